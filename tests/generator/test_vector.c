/* pgvector (issue 15): extensions:, vector(n)/halfvec(n), index methods with
 * operator classes and storage parameters, query settings, vector test
 * arguments. The generator checks run everywhere; the vector tier (the
 * migrations on the server, the suites generated from tests/vector/
 * vector.yaml and tests/vector/vector_tier.c compiled against that code)
 * runs when the server offers the extension (pg_available_extensions) and
 * prints a "skipped" line otherwise. Needs SC_TEST_SCHEMAC (make run-tests)
 * and DATABASE_URL (tests/pg/with-pg) for the tier. */
#include <glob.h>
#include <limits.h>

#include "migrate_testlib.h"
#include "shell_testlib.h"
#include "output.h"
#include "snapshot.h"

#define SCHEMA "tests/vector/vector.yaml"
#define MIG "tests/vector/migrate/"

/* ---- the generator ------------------------------------------------------ */

static m_schema *load_text(gen_arena *a, const char *text, tl_captured *cap)
{
    gen_diag d;
    memset(cap, 0, sizeof *cap);
    gen_diag_init(&d, tl_capture, cap);
    m_schema *s = gen_schema_parse("t.yaml", text, strlen(text), a, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return s;
}

static m_schema *load_file(gen_arena *a, const char *path)
{
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    m_schema *s = gen_schema_load(path, a, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    assert_non_null(s);
    return s;
}

static const ddl_stmt *find_stmt(const ddl_script *d, const char *prefix)
{
    for (size_t i = 0; i < d->n; i++)
        if (strncmp(d->items[i].sql, prefix, strlen(prefix)) == 0)
            return &d->items[i];
    return NULL;
}

static void the_extension_comes_first_and_indexes_carry_opclass_and_with(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    m_schema *s = load_file(a, SCHEMA);
    ddl_script d;
    ddl_script_init(&d, a);
    ddl_create_all(s, &d);
    assert_true(d.n > 3);
    assert_string_equal(d.items[0].sql, "CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public");
    const ddl_stmt *hnsw = find_stmt(&d, "CREATE INDEX ix_items_embedding_hnsw");
    const ddl_stmt *ivf = find_stmt(&d, "CREATE INDEX ix_items_embedding_ivf");
    const ddl_stmt *gin = find_stmt(&d, "CREATE INDEX ix_docs_body");
    assert_non_null(hnsw);
    assert_non_null(ivf);
    assert_non_null(gin);
    assert_string_equal(hnsw->sql, "CREATE INDEX ix_items_embedding_hnsw ON vec.items USING hnsw "
                                   "(embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)");
    assert_string_equal(ivf->sql, "CREATE INDEX ix_items_embedding_ivf ON vec.items USING ivfflat "
                                  "(embedding vector_l2_ops) WITH (lists = 4)");
    assert_string_equal(gin->sql, "CREATE INDEX ix_docs_body ON vec.docs USING gin (body jsonb_path_ops)");
    /* the script finds the extension's types and operator classes */
    gen_buf b;
    gen_buf_init(&b, a);
    ddl_write_script(s, &d, &b);
    assert_non_null(strstr(b.data, "SET LOCAL search_path = pg_catalog, vec, public;\n\n"
                                   "CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;"));
    gen_arena_free(a);
}

static void the_snapshot_keeps_extensions_opclasses_and_with(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    gen_buf b1, b2;
    gen_buf_init(&b1, a);
    snapshot_write(load_file(a, SCHEMA), &b1);
    assert_non_null(strstr(b1.data, "\"extensions\": [\"vector\"]"));
    assert_non_null(strstr(b1.data, "\"columns\": [\"embedding vector_cosine_ops\"]"));
    assert_non_null(strstr(b1.data, "\"with\": {\"m\": \"16\", \"ef_construction\": \"64\"}"));
    tl_captured cap;
    m_schema *back = load_text(a, b1.data, &cap);
    assert_non_null(back);
    gen_buf_init(&b2, a);
    snapshot_write(back, &b2);
    assert_string_equal(b1.data, b2.data);
    gen_arena_free(a);
}

typedef struct bad_case {
    const char *yaml_tail;   /* after a header and a table t(id) */
    const char *error;
} bad_case;

static void mistakes_are_named_at_the_yaml(void **state)
{
    (void)state;
    static const char head[] = "schema: x\nprefix: x\n%stables:\n  t:\n    columns:\n"
                               "      id: { type: bigserial, primary_key: true }\n%s";
    static const struct {
        const char *top, *rest, *error;
    } cases[] = {
        {"", "      v: { type: vector(3) }\n",
         "t.yaml:7:18: error: column 't.v' is a pgvector type: add 'extensions: [vector]' at the top"},
        {"extensions: [vector]\n", "      v: { type: vector }\n", "vector needs a dimension: vector(n)"},
        {"extensions: [vector]\n", "      v: { type: halfvec(0) }\n", "a halfvec length must be at least 1"},
        {"extensions: [vector]\n", "      v: { type: vector(3) }\n    indexes:\n"
                                   "      - { columns: [v DESC extra] }\n",
         "index column 'v DESC extra' has words after its direction"},
        {"extensions: [vector]\n", "      v: { type: vector(3) }\n    indexes:\n"
                                   "      - { columns: [v], method: hnsw, with: { m: \"1; DROP\" } }\n",
         "storage parameter 'm' must be a number or a word, not '1; DROP'"},
        {"extensions: [vector]\n", "      v: { type: vector(3) }\n    indexes:\n"
                                   "      - { columns: [v], method: lsh }\n",
         "index method must be btree, gin, gist, brin, hash, spgist, ivfflat or hnsw, not 'lsh'"},
        {"extensions: [vector, vector]\n", "", "extension 'vector' is listed twice"},
        {"extensions: [vector]\n", "      v: { type: vector(3) }\nqueries:\n  t:\n    q:\n"
                                   "      returns: many\n      settings: { hnsw.ef_search: \"1'\" }\n"
                                   "      sql: SELECT * FROM t ORDER BY v <=> :q LIMIT 1\n"
                                   "      params: { q: vector(3) }\n",
         "setting 'hnsw.ef_search' must be a number or a word, not '1''"},
        {"extensions: [vector]\n", "      v: { type: vector(3) }\nqueries:\n  t:\n    q:\n"
                                   "      returns: many\n      sql: SELECT * FROM t ORDER BY v <=> :q LIMIT 1\n"
                                   "      params: { q: vector(3) }\n"
                                   "tests:\n  t:\n    q:\n      - { args: { q: [1, 2] }, expect: [] }\n",
         "a vector(3) value needs 3 numbers, not 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gen_arena *a = gen_arena_new();
        char yaml[2048];
        snprintf(yaml, sizeof yaml, head, cases[i].top, cases[i].rest);
        tl_captured cap;
        m_schema *s = load_text(a, yaml, &cap);
        if (s || !strstr(cap.text, cases[i].error))
            fail_msg("case %zu: expected '%s', got:\n%s", i, cases[i].error, cap.text);
        gen_arena_free(a);
    }
}

/* The migration file whose name starts with prefix, malloc'd text. */
static char *migration_text(const char *dir, const char *prefix)
{
    char pattern[PATH_MAX];
    snprintf(pattern, sizeof pattern, "%s/%s_*.sql", dir, prefix);
    glob_t g;
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    FILE *f = fopen(g.gl_pathv[0], "rb");
    globfree(&g);
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* v1 -> v2 adds the extension, the column and an IVFFlat index; v3 turns
 * the index into HNSW with other parameters; v4 drops the column, v5 the
 * extension. */
static char *write_migrations(void)
{
    char *dir = tl_tmpdir();
    tl_migrate_new(MIG "v1.yaml", dir, "plain");
    tl_migrate_new(MIG "v2.yaml", dir, "vectors");
    tl_migrate_new(MIG "v3.yaml", dir, "hnsw");
    tl_migrate_destructive(MIG "v4.yaml", dir, "no vectors");
    tl_migrate_new(MIG "v5.yaml", dir, "no extension");
    return dir;
}

static void extension_and_index_changes_diff_into_migrations(void **state)
{
    (void)state;
    char *dir = write_migrations();
    char *m2 = migration_text(dir, "0002"), *m3 = migration_text(dir, "0003"),
         *m5 = migration_text(dir, "0005");
    const char *up = strstr(m2, "-- +up\n");
    assert_non_null(up);
    assert_non_null(strstr(m2, "-- search_path:   pg_catalog, vm, public\n"));
    const char *ext = strstr(up, "CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;");
    const char *col = strstr(up, "ALTER TABLE vm.notes ADD COLUMN embedding vector(3);");
    assert_non_null(ext);
    assert_non_null(col);
    assert_true(ext < col);
    assert_non_null(strstr(up, "USING ivfflat (embedding vector_l2_ops) WITH (lists = 2);"));
    assert_non_null(strstr(strstr(m2, "-- +down\n"), "DROP EXTENSION IF EXISTS vector;"));
    const char *up3 = strstr(m3, "-- +up\n");
    assert_non_null(up3);
    assert_non_null(strstr(up3, "\nDROP INDEX vm.ix_notes_embedding;\n"));
    assert_non_null(strstr(up3, "\nCREATE INDEX CONCURRENTLY "
                               "ix_notes_embedding ON vm.notes USING hnsw (embedding vector_cosine_ops) "
                               "WITH (m = 8, ef_construction = 32);"));
    const char *drop = strstr(m5, "\nDROP EXTENSION IF EXISTS vector;\n");
    assert_non_null(drop);
    assert_true(drop < strstr(m5, "-- +down\n"));
    free(m2);
    free(m3);
    free(m5);
    tl_rmdir(dir);
}

/* ---- the vector tier ------------------------------------------------------ */

static bool tier_available(void)
{
    return tl_pgvector_available("vector tier");
}

static void migrations_go_up_down_and_up_on_the_server(void **state)
{
    (void)state;
    if (!tier_available())
        return;
    char *dir = write_migrations();
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("sc_vector_mig");
    tl_up(c, &m, "0003");
    tl_exec(c, "INSERT INTO vm.notes (body, embedding) VALUES ('a', '[1,0,0]'), ('b', '[0,1,0]')");
    tl_expect(c, "SELECT body FROM vm.notes ORDER BY embedding <=> '[1,0.1,0]' LIMIT 1", "a");
    tl_expect(c, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_notes_embedding'",
              "CREATE INDEX ix_notes_embedding ON vm.notes USING hnsw (embedding vector_cosine_ops) "
              "WITH (m='8', ef_construction='32')");
    char *at3 = tl_dump(c, "vm");
    tl_down(c, &m, 1);
    tl_expect(c, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_notes_embedding'",
              "CREATE INDEX ix_notes_embedding ON vm.notes USING ivfflat (embedding) "
              "WITH (lists='2')"); /* vector_l2_ops is ivfflat's default: not shown */
    tl_up(c, &m, "0003");
    char *again = tl_dump(c, "vm");
    tl_dumps_equal(again, at3, "0003 after down and up");
    /* the column goes (kept in schemac_backup, which needs the type);
     * once the backup is cleared the extension can go too */
    tl_up(c, &m, "0004");
    tl_exec(c, "DROP SCHEMA schemac_backup CASCADE");
    tl_up(c, &m, NULL);
    tl_expect(c, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'", "0");
    tl_down(c, &m, 1);
    tl_expect(c, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'", "1");
    free(at3);
    free(again);
    tl_db_drop(c, "sc_vector_mig");
    sc_migrations_free(&m);
    tl_rmdir(dir);
}

/* The generated suites (statements against the server, the nearest-first
 * query tests) and vector_tier.c, built the way a service builds them. */
static void the_generated_code_works_against_pgvector(void **state)
{
    (void)state;
    if (!tier_available())
        return;
    char root[PATH_MAX], schemac[PATH_MAX], build[PATH_MAX], dir[] = "/tmp/schemac-vector-XXXXXX";
    const char *bin = getenv("SC_TEST_SCHEMAC");
    assert_non_null(bin);
    assert_non_null(realpath(bin, schemac));
    assert_non_null(realpath(".", root));
    snprintf(build, sizeof build, "%s", schemac);
    *strrchr(build, '/') = '\0';
    assert_non_null(mkdtemp(dir));
    const char *san = strstr(build, "/build/san") ? "-fsanitize=address,undefined" : "";
    const char *cc = "cc %s -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -I%s/runtime -I. "
                     "$(pkg-config --cflags libpq jansson)";
    const char *ld = "%s/libschemac.a $(pkg-config --libs libpq jansson) -lcmocka -lpthread -lm";
    char compile[PATH_MAX + 512], link[PATH_MAX + 256];
    snprintf(compile, sizeof compile, cc, san, root);
    snprintf(link, sizeof link, ld, build);
    int rc = tl_sh("%s generate --schema %s/" SCHEMA " --out %s/gen >/dev/null && cd %s/gen && "
                "for t in items wide docs; do %s tests/test_vt_$t.c vt_*.c tests/vt_factories.c %s "
                "-o test_$t && ./test_$t || exit 1; done && "
                "%s %s/tests/vector/vector_tier.c vt_*.c %s -o tier && ./tier %s/gen/schema.sql",
                schemac, root, dir, dir, compile, link, compile, root, link, dir);
    tl_sh("rm -rf %s", dir);
    assert_int_equal(rc, 0);
}

static char *file_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* CI installs the prebuilt extensions before the tests when the machine
 * has them; the project's own setup never names them. */
static void ci_installs_pgvector_before_make_test(void **state)
{
    (void)state;
    char *ci = file_text(".ci/run"), *deps = file_text("mk/deps.sh"), *mk = file_text("Makefile");
    char *installer = file_text("mk/pg-extensions.sh");
    const char *install = strstr(ci, "../shared/pg-extensions");
    assert_non_null(install);
    assert_non_null(strstr(ci, "sh mk/pg-extensions.sh \"$ext\""));
    assert_non_null(strstr(ci, "[ -f \"$ext/install.sh\" ]"));
    assert_non_null(strstr(installer, "sh \"$dir/install.sh\""));
    const char *test = strstr(ci, "\nmake test\n");
    assert_non_null(test);
    assert_true(install < test);
    assert_null(strstr(deps, "pg-extensions"));
    assert_null(strstr(mk, "pg-extensions"));
    free(ci);
    free(installer);
    free(deps);
    free(mk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_extension_comes_first_and_indexes_carry_opclass_and_with),
        cmocka_unit_test(the_snapshot_keeps_extensions_opclasses_and_with),
        cmocka_unit_test(mistakes_are_named_at_the_yaml),
        cmocka_unit_test(extension_and_index_changes_diff_into_migrations),
        cmocka_unit_test(migrations_go_up_down_and_up_on_the_server),
        cmocka_unit_test(the_generated_code_works_against_pgvector),
        cmocka_unit_test(ci_installs_pgvector_before_make_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
