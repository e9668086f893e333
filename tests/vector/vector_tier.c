/* The vector tier's own checks, compiled against the code schemac
 * generates from tests/vector/vector.yaml (tests/generator/test_vector.c
 * builds and runs it on a database made from that schema.sql, with
 * DATABASE_URL naming it): vector(n) round trips in pgvector's binary form,
 * the dimension refused before the round trip, halfvec, query settings
 * that take effect without leaking, and the indexes the planner uses once
 * the table is large enough. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sc_testkit.h"
#include "vt_docs.h"
#include "vt_items.h"
#include "vt_wide.h"

static sc_pool *pool;
static sc_conn *conn;
static sc_arena *arena;
static char database[64];
static const char *schema_sql;

/* A database of its own, built from the schema.sql of argv[1]. */
static int setup(void **state)
{
    (void)state;
    const char *ddl = schema_sql;
    char conninfo[512], why[512];
    snprintf(database, sizeof database, "vt_tier_%ld", (long)getpid());
    if (sc_testkit_create_database(database, ddl, conninfo, sizeof conninfo, why, sizeof why) != 0) {
        fprintf(stderr, "vector tier: %s\n", why);
        return -1;
    }
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = conninfo;
    cfg.pool_size = 2;
    cfg.pooler = sc_testkit_pooler();
    sc_error err = {0};
    if (sc_pool_open(&cfg, &pool, &err) != SC_OK || sc_pool_acquire(pool, &conn, &err) != SC_OK) {
        fprintf(stderr, "vector tier: %s\n", err.message);
        return -1;
    }
    arena = sc_arena_new(0);
    return arena ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sc_pool_release(pool, conn);
    sc_pool_close(pool);
    sc_arena_free(arena);
    char why[512];
    return sc_testkit_drop_database(database, why, sizeof why);
}

static PGresult *sql(const char *text)
{
    PGresult *r = PQexec(sc_conn_pg(conn), text);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", text, PQresultErrorMessage(r));
    return r;
}

static char *one_value(const char *text)
{
    PGresult *r = sql(text);
    char *v = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return v;
}

/* The bug: written right, read back as a 1-byte string. */
static void a_vector_of_1024_comes_back_whole(void **state)
{
    (void)state;
    static float v[1024];
    for (int i = 0; i < 1024; i++)
        v[i] = (float)i / 7.0f - 50.0f;
    sc_error err = {0};
    vt_wide made, got;
    vt_wide_new in = {.v = {1024, v}};
    assert_int_equal(vt_wide_create(conn, arena, &in, &made, &err), SC_OK);
    assert_int_equal(vt_wide_get(conn, arena, made.id, &got, &err), SC_OK);
    assert_int_equal(got.v.dim, 1024);
    assert_memory_equal(got.v.v, v, sizeof v);
    /* the server holds the same numbers, not something that decodes alike */
    char q[128];
    snprintf(q, sizeof q, "SELECT vector_dims(v), (v::real[])[1024] FROM vec.wide WHERE id = %lld",
             (long long)made.id);
    PGresult *r = sql(q);
    assert_string_equal(PQgetvalue(r, 0, 0), "1024");
    assert_true(fabs(atof(PQgetvalue(r, 0, 1)) - (double)v[1023]) < 1e-3);
    PQclear(r);
}

static void a_wrong_dimension_is_refused_before_the_round_trip(void **state)
{
    (void)state;
    static const float three[3] = {1, 2, 3};
    sc_error err = {0};
    vt_wide made;
    char *before = one_value("SELECT count(*) FROM vec.wide");
    vt_wide_new in = {.v = {3, three}};
    assert_int_equal(vt_wide_create(conn, arena, &in, &made, &err), SC_INVALID_INPUT);
    assert_non_null(strstr(err.message, "'v' has 3 dimensions; vector(1024) expects 1024"));
    char *after = one_value("SELECT count(*) FROM vec.wide");
    assert_string_equal(before, after);
    free(before);
    free(after);
    vt_item item;
    vt_item_new bad = {.label = "x", .embedding = {2, three}};
    err = (sc_error){0};
    assert_int_equal(vt_items_create(conn, arena, &bad, &item, &err), SC_INVALID_INPUT);
    assert_non_null(strstr(err.message, "'embedding' has 2 dimensions; vector(3) expects 3"));
    static const float huge[3] = {1, 70000, 0};
    vt_item_new too_big = {.label = "x", .embedding = {3, three}, .half = {3, huge}};
    err = (sc_error){0};
    assert_int_equal(vt_items_create(conn, arena, &too_big, &item, &err), SC_INVALID_INPUT);
    assert_non_null(strstr(err.message, "'half': element 1 (70000) is out of range for halfvec"));
}

/* halfvec: float on the C side, IEEE half on the wire; NULL stays NULL. */
static void halfvec_round_trips_and_null_stays_null(void **state)
{
    (void)state;
    static const float e[3] = {1, 0, 0}, h[3] = {0.5f, -2.0f, 1000.0f};
    sc_error err = {0};
    vt_item made, got;
    vt_item_new in = {.label = "half", .embedding = {3, e}, .half = {3, h}};
    assert_int_equal(vt_items_create(conn, arena, &in, &made, &err), SC_OK);
    assert_int_equal(vt_items_get(conn, arena, made.id, &got, &err), SC_OK);
    assert_int_equal(got.half.dim, 3);
    assert_memory_equal(got.half.v, h, sizeof h); /* exact in half precision */
    char q[96];
    snprintf(q, sizeof q, "SELECT half::text FROM vec.items WHERE id = %lld", (long long)made.id);
    char *text = one_value(q);
    assert_string_equal(text, "[0.5,-2,1000]");
    free(text);
    vt_item_new plain = {.label = "plain", .embedding = {3, e}};
    assert_int_equal(vt_items_create(conn, arena, &plain, &made, &err), SC_OK);
    assert_int_equal(vt_items_get(conn, arena, made.id, &got, &err), SC_OK);
    assert_null(got.half.v);
}

static char *ef_search(void)
{
    return one_value("SELECT current_setting('hnsw.ef_search')");
}

/* Outside a transaction: a short one of its own; the setting is gone after. */
static void a_setting_takes_effect_and_does_not_leak(void **state)
{
    (void)state;
    char *before = ef_search();
    sc_error err = {0};
    vt_items_ef_search_seen_row row;
    assert_int_equal(vt_items_ef_search_seen(conn, arena, &row, &err), SC_OK);
    assert_string_equal(row.ef, "123");
    char *after = ef_search();
    assert_string_equal(after, before);
    assert_string_not_equal(after, "123");
    free(before);
    free(after);
}

/* Inside the caller's transaction: the caller's own value comes back. */
static void inside_a_transaction_the_callers_value_is_kept(void **state)
{
    (void)state;
    sc_error err = {0};
    assert_int_equal(sc_tx_begin(conn, NULL, &err), SC_OK);
    PQclear(sql("SET LOCAL hnsw.ef_search = 77"));
    vt_items_ef_search_seen_row row;
    assert_int_equal(vt_items_ef_search_seen(conn, arena, &row, &err), SC_OK);
    assert_string_equal(row.ef, "123");
    char *now = ef_search();
    assert_string_equal(now, "77");
    free(now);
    assert_int_equal(sc_tx_commit(conn, &err), SC_OK);
    now = ef_search();
    assert_string_not_equal(now, "77");
    free(now);
}

/* Enough rows that a scan and sort costs more than the index. */
static void fill_items(void)
{
    PQclear(sql("INSERT INTO vec.items (label, embedding) SELECT 'n' || i, "
                "ARRAY[cos(i), sin(i), (i % 97) / 97.0]::vector(3) FROM generate_series(1, 20000) i"));
    PQclear(sql("ANALYZE vec.items"));
}

static bool plan_uses(const char *explain, const char *index)
{
    PGresult *r = sql(explain);
    bool found = false;
    for (int i = 0; i < PQntuples(r); i++)
        found |= strstr(PQgetvalue(r, i, 0), index) != NULL;
    if (!found)
        for (int i = 0; i < PQntuples(r); i++)
            fprintf(stderr, "  %s\n", PQgetvalue(r, i, 0));
    PQclear(r);
    return found;
}

/* The cosine distance from [1,0,0]. */
static double cosine_to_x(const sc_vector *v)
{
    double norm = sqrt((double)(v->v[0] * v->v[0] + v->v[1] * v->v[1] + v->v[2] * v->v[2]));
    return 1 - (double)v->v[0] / norm;
}

static void nearest_neighbours_use_their_index(void **state)
{
    (void)state;
    fill_items();
    /* the generated statements' own text, with a literal for the vector */
    assert_true(plan_uses("EXPLAIN SELECT id FROM vec.items ORDER BY embedding <=> '[1,0,0]' LIMIT 5",
                          "ix_items_embedding_hnsw"));
    assert_true(plan_uses("EXPLAIN SELECT id FROM vec.items ORDER BY embedding <-> '[1,0,0]' LIMIT 5",
                          "ix_items_embedding_ivf"));
    /* and the generated query answers through it, nearest first */
    static const float q[3] = {1, 0, 0};
    sc_error err = {0};
    vt_item *rows;
    size_t n;
    assert_int_equal(vt_items_nearest_cosine(conn, arena, &(sc_vector){3, q}, 5, &rows, &n, &err),
                     SC_OK);
    assert_int_equal(n, 5);
    for (size_t i = 1; i < n; i++)
        assert_true(cosine_to_x(&rows[i - 1].embedding) <= cosine_to_x(&rows[i].embedding) + 1e-6);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: vector_tier SCHEMA_SQL\n");
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_vector_of_1024_comes_back_whole),
        cmocka_unit_test(a_wrong_dimension_is_refused_before_the_round_trip),
        cmocka_unit_test(halfvec_round_trips_and_null_stays_null),
        cmocka_unit_test(a_setting_takes_effect_and_does_not_leak),
        cmocka_unit_test(inside_a_transaction_the_callers_value_is_kept),
        cmocka_unit_test(nearest_neighbours_use_their_index),
    };
    schema_sql = argv[1];
    return cmocka_run_group_tests(tests, setup, teardown);
}
