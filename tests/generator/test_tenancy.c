/* Tenancy across tables (issue 15): tests/generator/tenancy/schema.yaml, a
 * second application schema scoped by user_id, is generated; the emitted
 * SQL carries the scope in its references and numbers versions from the
 * parent's counter; its generated tests (query tests with array arguments,
 * an untested: query under require_tests) and tenancy/behaviour.c (a
 * cross-user reference refused, racing writers) pass against the server.
 * Refusals are data in tests/invalid (same_scope_*, versioned_*,
 * scope_parent_*, untested_misuse, test_array_bad_elements); the migration
 * up and down is tests/migrate/case_add_same_scope. Needs SC_TEST_SCHEMAC
 * (make run-tests) and DATABASE_URL (tests/pg/with-pg). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "shell_testlib.h"

#include "model.h"

static char root[PATH_MAX];    /* the repository */
static char build[PATH_MAX];   /* the directory of the schemac binary */
static char schemac[PATH_MAX];
static char dir[64];

static char *slurp(const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/gen/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("SC_TEST_SCHEMAC");
    if (!bin || !realpath(bin, schemac) || !realpath(__FILE__, root))
        return -1;
    *strstr(root, "/tests/generator/") = '\0';
    snprintf(build, sizeof build, "%s", schemac);
    *strrchr(build, '/') = '\0';
    snprintf(dir, sizeof dir, "/tmp/schemac-tenancy-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return tl_sh("%s generate --schema %s/tests/generator/tenancy/schema.yaml --out %s/gen >/dev/null",
              schemac, root, dir) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tl_sh("rm -rf %s", dir);
    return 0;
}

static void references_carry_the_scope(void **state)
{
    (void)state;
    char *ddl = slurp("schema.sql");
    assert_non_null(ddl);
    /* one UNIQUE (id, user_id) on the parent, for both children */
    assert_int_equal(count(ddl, "CONSTRAINT items_id_user_id_key UNIQUE (id, user_id)"), 1);
    assert_non_null(strstr(ddl, "ADD CONSTRAINT analyses_item_id_user_id_fkey FOREIGN KEY (item_id, user_id) "
                                "REFERENCES tenancy.items (id, user_id) ON DELETE CASCADE;"));
    assert_non_null(strstr(ddl, "ADD CONSTRAINT notes_item_id_user_id_fkey FOREIGN KEY (item_id, user_id) "
                                "REFERENCES tenancy.items (id, user_id) ON DELETE CASCADE;"));
    /* the single-column key gave way to the scoped one */
    assert_null(strstr(ddl, "analyses_item_id_fkey"));
    assert_null(strstr(ddl, "notes_item_id_fkey"));
    free(ddl);
}

static void versioned_create_bumps_the_parent_counter(void **state)
{
    (void)state;
    char *c = slurp("tn_analyses.c");
    char *h = slurp("tn_analyses.h");
    assert_non_null(c);
    assert_non_null(h);
    assert_non_null(strstr(c, "\"WITH sc_next AS (\\n\"\n"
                              "                        \"    UPDATE tenancy.items SET last_version = last_version + 1\\n\"\n"
                              "                        \"    WHERE id = $1::bigint AND user_id = $2::bigint\\n\"\n"
                              "                        \"    RETURNING last_version\\n\"\n"
                              "                        \")\\n\"\n"
                              "                        \"INSERT INTO tenancy.analyses (item_id, user_id, scores, body, version)\\n\"\n"
                              "                        \"SELECT $1::bigint, $2::bigint, $3::real[], $4::text, last_version FROM sc_next\\n\""));
    /* the server numbers the rows: version is neither given nor patched */
    const char *new_struct = strstr(h, "typedef struct tn_analysis_new {");
    assert_non_null(new_struct);
    const char *end = strstr(new_struct, "} tn_analysis_new;");
    assert_non_null(end);
    char *members = strndup(new_struct, (size_t)(end - new_struct));
    assert_null(strstr(members, "version"));
    free(members);
    assert_null(strstr(h, "set_version"));
    char *items = slurp("tn_items.h");
    assert_null(strstr(items, "set_last_version"));
    assert_non_null(strstr(items, "Untested: run only by the load-test harness"));
    free(items);
    free(c);
    free(h);
}

/* A parent key that already covers (id, user_id), in any order, is used
 * as it is: no second UNIQUE. */
static void an_existing_parent_key_is_reused(void **state)
{
    (void)state;
    static const char yaml[] =
        "schema: s\nprefix: p\ntables:\n"
        "  items:\n    scope: user_id\n    columns:\n      id: { type: bigserial, primary_key: true }\n"
        "      user_id: bigint\n    unique:\n      - { name: uq_items_owner, columns: [user_id, id] }\n"
        "  notes:\n    scope: user_id\n    columns:\n      id: { type: bigserial, primary_key: true }\n"
        "      user_id: bigint\n      item_id: { type: bigint, references: items.id, same_scope: true }\n";
    gen_arena *a = gen_arena_new();
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    m_schema *s = gen_schema_parse("inline.yaml", yaml, sizeof yaml - 1, a, &d);
    assert_non_null(s);
    assert_int_equal(d.errors, 0);
    const m_table *items = m_find_table(s, "items"), *notes = m_find_table(s, "notes");
    assert_int_equal(items->nuniques, 1);
    assert_int_equal(notes->nfks, 1);
    assert_string_equal(notes->fks[0].ref_columns.items[1], "user_id");
    assert_null(m_find_column(notes, "item_id")->references);
    gen_diag_release(&d);
    gen_arena_free(a);
}

/* Service authors compile the generated layer with their own warnings. */
static void the_generated_layer_compiles_pedantic(void **state)
{
    (void)state;
    assert_int_equal(tl_sh("cd %s/gen && for f in tn_*.c tests/tn_factories.c; do cc -std=c11 -Wall -Wextra "
                        "-Wpedantic -Wconversion -Werror -fsyntax-only -D_DEFAULT_SOURCE "
                        "$(pkg-config --cflags libpq jansson) -I%s/runtime -I. \"$f\" || exit 1; done",
                        dir, root),
                     0);
}

static int compile_and_run(const char *name, const char *sources)
{
    /* build/san's runtime is instrumented: the program must be too. */
    const char *san = strstr(build, "/build/san") ? "-fsanitize=address,undefined" : "";
    return tl_sh("cd %s/gen && cc %s -std=c11 -D_DEFAULT_SOURCE -I%s/runtime -I. "
              "$(pkg-config --cflags libpq jansson) %s tn_*.c %s/libschemac.a "
              "$(pkg-config --libs libpq jansson) -lcmocka -lpthread -o %s && "
              "SC_TEST_SCHEMA_SQL=%s/gen/schema.sql ./%s",
              dir, san, root, sources, build, name, dir, name);
}

static void the_generated_tests_pass_against_the_server(void **state)
{
    (void)state;
    if (!getenv("DATABASE_URL")) {
        printf("skipped: DATABASE_URL is not set (run under tests/pg/with-pg)\n");
        return;
    }
    static const char *const tables[] = {"users", "items", "analyses", "notes"};
    for (size_t i = 0; i < 4; i++) {
        char name[64], sources[256];
        snprintf(name, sizeof name, "test_tn_%s", tables[i]);
        snprintf(sources, sizeof sources, "tests/%s.c tests/tn_factories.c", name);
        assert_int_equal(compile_and_run(name, sources), 0);
    }
}

static void cross_user_references_and_racing_writers(void **state)
{
    (void)state;
    if (!getenv("DATABASE_URL")) {
        printf("skipped: DATABASE_URL is not set (run under tests/pg/with-pg)\n");
        return;
    }
    char sources[PATH_MAX + 64];
    snprintf(sources, sizeof sources, "%s/tests/generator/tenancy/behaviour.c", root);
    assert_int_equal(compile_and_run("behaviour", sources), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(references_carry_the_scope),
        cmocka_unit_test(versioned_create_bumps_the_parent_counter),
        cmocka_unit_test(an_existing_parent_key_is_reused),
        cmocka_unit_test(the_generated_layer_compiles_pedantic),
        cmocka_unit_test(the_generated_tests_pass_against_the_server),
        cmocka_unit_test(cross_user_references_and_racing_writers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
