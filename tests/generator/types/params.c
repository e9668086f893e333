/* Parameters the server cannot type from context (issue 15, generator
 * point 1): `:raw_response ->> 'category'` failed with "operator is not
 * unique: unknown ->> unknown" and `cardinality(:embedding)` with "could not
 * determine polymorphic type" until statements carried their parameter
 * types. Built by tests/generator/test_types.c against the code generated
 * from types.yaml; DDL_PATH names the DDL file (extensions + schema.sql). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sc_testkit.h"
#include "ty_samples.h"

static char database[64], conninfo[4096];
static sc_pool *pool;
static sc_conn *conn;
static sc_arena *arena;

static void expect_ok(int rc, const sc_error *err)
{
    if (rc != SC_OK)
        fail_msg("status %d: %s", rc, err->message);
}

static void a_json_parameter_takes_an_operator(void **state)
{
    (void)state;
    sc_error err = {0};
    json_t *doc = json_pack("{s:s}", "category", "news");
    ty_samples_category_of_row row;
    int rc = ty_samples_category_of(conn, arena, doc, &row, &err);
    json_decref(doc);
    expect_ok(rc, &err);
    assert_non_null(row.category);
    assert_string_equal(row.category, "news");
}

static void an_array_parameter_takes_a_polymorphic_function(void **state)
{
    (void)state;
    sc_error err = {0};
    float v[3] = {1, 2, 3};
    ty_samples_dimensions_of_row row;
    int rc = ty_samples_dimensions_of(conn, arena, &(sc_array){3, v}, &row, &err);
    expect_ok(rc, &err);
    assert_true(row.has_n);
    assert_int_equal(row.n, 3);
}

static int setup(void **state)
{
    (void)state;
    char why[1024];
    snprintf(database, sizeof database, "t_ty_params_%d", (int)getpid());
    if (sc_testkit_create_database(database, getenv("DDL_PATH"), conninfo, sizeof conninfo, why,
                                   sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = conninfo;
    cfg.pool_size = 1;
    cfg.pooler = sc_testkit_pooler();
    sc_error err = {0};
    if (sc_pool_open(&cfg, &pool, &err) != SC_OK || sc_pool_acquire(pool, &conn, &err) != SC_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    arena = sc_arena_new(0);
    return arena ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char why[1024];
    sc_arena_free(arena);
    sc_pool_release(pool, conn);
    sc_pool_close(pool);
    return sc_testkit_drop_database(database, why, sizeof why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_json_parameter_takes_an_operator),
        cmocka_unit_test(an_array_parameter_takes_a_polymorphic_function),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
