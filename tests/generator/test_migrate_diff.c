/* migrate new: snapshots and the diff, proven on the server.
 * - snapshots round-trip through the YAML reader byte for byte, escapes too;
 * - an unchanged schema gives "no changes"; the same edit gives the same bytes;
 * - tests/migrate/scenario: before.yaml -> after.yaml touches every kind of
 *   object; the generated migration goes up, down and up again over rows
 *   that survive, and each end equals a database created from scratch;
 * - tests/migrate/concurrent: an index with concurrently: true on a live
 *   partitioned table is built outside a transaction (ERRATA 9);
 * - tests/migrate/enum_in_use: a value added and used at once: the ADD
 *   VALUE commits first ("-- +commit"), the rest is one transaction; the
 *   down rebuilds the type under a CHECK and a partial index;
 * - migrate check fails on uncovered changes, stale output, edited files. */
#include "migrate_testlib.h"
#include "output.h"
#include "schemac_gen.h"
#include "snapshot.h"

#define SCENARIO "tests/migrate/scenario/"
#define CONCURRENT "tests/migrate/concurrent/"

static m_schema *load(gen_arena *a, const char *file, const char *text)
{
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    m_schema *s = text ? gen_schema_parse(file, text, strlen(text), a, &d)
                       : gen_schema_load(file, a, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    assert_non_null(s);
    return s;
}

static const char *snapshot_text(gen_arena *a, const m_schema *s)
{
    gen_buf b;
    gen_buf_init(&b, a);
    snapshot_write(s, &b);
    return b.data;
}

static void snapshot_round_trips(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    const char *first = snapshot_text(a, load(a, "schema/semantik.yaml", NULL));
    const char *second = snapshot_text(a, load(a, "snapshot.json", first));
    assert_string_equal(first, second);
    /* quotes, backslashes, tabs, control characters, UTF-8, long lines */
    const char *tricky =
        "schema: tricky\nprefix: tr\ntables:\n  t:\n    comment: \"say \\\"hi\\\"\\t\\\\ \\u0001 "
        "\\u00e9t\\u00e9 \\u2603\"\n    columns:\n      id: { type: integer, primary_key: true }\n"
        "      d: { type: text, default: \"'a\\\\b'\" }\n"
        "      s: { type: text, check: \"s ~ '^[a-z]+$' AND length(s) < 99999999999999999999999999"
        "9999999999999999999999999999999999999999999999999999999999999999999999999999999999\" }\n";
    m_schema *s = load(a, "tricky.yaml", tricky);
    const char *t1 = snapshot_text(a, s);
    m_schema *back = load(a, "tricky.json", t1);
    assert_string_equal(snapshot_text(a, back), t1);
    assert_string_equal(back->tables[0].comment, s->tables[0].comment);
    assert_string_equal(back->tables[0].columns[1].default_sql, "'a\\b'");
    gen_arena_free(a);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 21];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static void unchanged_schema_and_determinism(void **state)
{
    (void)state;
    char *d1 = tl_tmpdir(), *d2 = tl_tmpdir();
    tl_migrate_new(SCENARIO "before.yaml", d1, "before");
    tl_migrate_new(SCENARIO "before.yaml", d1, "nothing"); /* no changes */
    tl_migrate_new(SCENARIO "before.yaml", d2, "before");
    tl_migrate_destructive(SCENARIO "after.yaml", d1, "the edits");
    tl_migrate_destructive(SCENARIO "after.yaml", d2, "the edits");
    char p1[600], p2[600];
    snprintf(p1, sizeof p1, "%s/0002_nothing.sql", d1);
    assert_int_not_equal(access(p1, F_OK), 0);
    const char *names[] = {"0002_the_edits.sql", "0002_the_edits.snapshot.json"};
    for (int i = 0; i < 2; i++) {
        snprintf(p1, sizeof p1, "%s/%s", d1, names[i]);
        snprintf(p2, sizeof p2, "%s/%s", d2, names[i]);
        char *a = read_all(p1), *b = read_all(p2);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    tl_rmdir(d1);
    tl_rmdir(d2);
}

static void scenario_rows(PGconn *c)
{
    tl_exec(c, "SET search_path = mig_scenario");
    tl_exec(c, "INSERT INTO owners (name, mood, legacy) VALUES ('ann', 'busy', 'x'), ('bob', NULL, NULL)");
    tl_exec(c, "INSERT INTO items (owner_id, title, status, kind, qty, note, code) VALUES "
               "(1, 'pen', 'active', 'a', 3, 'blue', 7), (2, 'cup', 'closed', 'c', 5, NULL, 8)");
    tl_exec(c, "UPDATE items SET shade = 'light' WHERE title = 'pen'");
    /* a key in the same partition under % 4 and % 8 survives the new check */
    tl_exec(c, "INSERT INTO events (item_key, part, payload) SELECT 'k' || i, "
               "abs(hashtext('k' || i)::bigint) %% 4, '{\"n\": 1}' FROM generate_series(1, 50) i "
               "WHERE abs(hashtext('k' || i)::bigint) %% 8 < 4 LIMIT 1");
    tl_exec(c, "RESET search_path");
}

static void scenario_up_down_up_keeps_rows(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    char *want_before = tl_fresh_dump(SCENARIO "before.yaml", "mt_scenario_fresh", "mig_scenario");
    char *want_after = tl_fresh_dump(SCENARIO "after.yaml", "mt_scenario_fresh", "mig_scenario");
    tl_migrate_new(SCENARIO "before.yaml", dir, "before");
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("mt_scenario");
    tl_up(c, &m, NULL);
    scenario_rows(c);
    sc_migrations_free(&m);

    tl_migrate_destructive(SCENARIO "after.yaml", dir, "the edits");
    tl_load(dir, &m);
    assert_true(m.items[1].transactional);
    for (int round = 0; round < 2; round++) {
        tl_up(c, &m, NULL);
        char *dump = tl_dump(c, "mig_scenario");
        tl_dumps_equal(dump, want_after, "up to after.yaml");
        free(dump);
        tl_expect(c, "SELECT string_agg(full_name || '/' || coalesce(mood::text, '-'), ',' ORDER BY id) "
                     "FROM mig_scenario.people", "ann/busy,bob/-");
        tl_expect(c, "SELECT pg_typeof(mood)::text FROM mig_scenario.people LIMIT 1", "mig_scenario.temper");
        tl_expect(c, "SELECT to_regclass('mig_scenario.events_p0') IS NULL "
                     "AND to_regclass('mig_scenario.evt_0') IS NOT NULL", "t");
        tl_expect(c, "SELECT string_agg(format('%s/%s/%s/%s/%s/%s', title, status, kind, qty, priority, code), ',' ORDER BY id) "
                     "FROM mig_scenario.items", "pen/active/a/3/30/7,cup/closed/c/5/50/8");
        tl_expect(c, "SELECT payload->>'n' FROM mig_scenario.events", "1");
        tl_expect(c, "SELECT shade FROM mig_scenario.items WHERE title = 'pen'", "pale");
        tl_exec(c, "INSERT INTO mig_scenario.items (owner_id, title, status, code, priority) "
                   "VALUES (1, 'new', 'paused', 9, 1)");
        tl_exec(c, "DELETE FROM mig_scenario.items WHERE title = 'new'");

        tl_down(c, &m, 1);
        dump = tl_dump(c, "mig_scenario");
        tl_dumps_equal(dump, want_before, "down to before.yaml");
        free(dump);
        /* the dropped column came back from its backup */
        tl_expect(c, "SELECT string_agg(name || '/' || coalesce(legacy, '-'), ',' ORDER BY id) "
                     "FROM mig_scenario.owners", "ann/x,bob/-");
        tl_expect(c, "SELECT string_agg(format('%s/%s/%s/%s', title, status, kind, qty), ',' ORDER BY id) "
                     "FROM mig_scenario.items", "pen/active/a/3,cup/closed/c/5");
        tl_expect(c, "SELECT shade FROM mig_scenario.items WHERE title = 'pen'", "light");
    }
    sc_migrations_free(&m);
    tl_db_drop(c, "mt_scenario");
    free(want_before);
    free(want_after);
    tl_rmdir(dir);
}

static void concurrent_index_on_partitioned_table(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(CONCURRENT "before.yaml", dir, "before");
    tl_migrate_new(CONCURRENT "after.yaml", dir, "index concurrently");
    sc_migrations m;
    tl_load(dir, &m);
    assert_true(m.items[0].transactional);
    assert_false(m.items[1].transactional);
    char *want = tl_fresh_dump(CONCURRENT "after.yaml", "mt_concurrent_fresh", "mig_concurrent");
    PGconn *c = tl_db_create("mt_concurrent_ix");
    tl_up(c, &m, "0001");
    tl_exec(c, "INSERT INTO mig_concurrent.logs (k, part, msg) SELECT 'k' || i, "
               "abs(hashtext('k' || i)::bigint) %% 3, 'm' || i FROM generate_series(1, 50) i");
    for (int round = 0; round < 2; round++) {
        tl_up(c, &m, NULL);
        char *dump = tl_dump(c, "mig_concurrent");
        tl_dumps_equal(dump, want, "concurrent indexes vs after.yaml");
        free(dump);
        tl_expect(c, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                     "WHERE c.relname = 'ix_logs_msg' AND i.indisvalid", "1");
        tl_expect(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = "
                     "'mig_concurrent.ix_logs_msg'::regclass", "3");
        tl_expect(c, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                     "WHERE c.relname = 'ix_plain_v' AND i.indisvalid", "1");
        tl_down(c, &m, 1);
        tl_expect(c, "SELECT to_regclass('mig_concurrent.ix_logs_msg') IS NULL", "t");
    }
    tl_expect(c, "SELECT count(*) FROM mig_concurrent.logs", "50");
    free(want);
    sc_migrations_free(&m);
    tl_db_drop(c, "mt_concurrent_ix");
    tl_rmdir(dir);
}

#define ENUM_IN_USE "tests/migrate/enum_in_use/"

static void enum_value_added_and_used(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    char *want_before = tl_fresh_dump(ENUM_IN_USE "before.yaml", "mt_enum_fresh", "mig_enum_use");
    char *want_after = tl_fresh_dump(ENUM_IN_USE "after.yaml", "mt_enum_fresh", "mig_enum_use");
    tl_migrate_new(ENUM_IN_USE "before.yaml", dir, "before");
    tl_migrate_new(ENUM_IN_USE "after.yaml", dir, "mid level");
    sc_migrations m;
    tl_load(dir, &m);
    /* one transaction after the ADD VALUE commits on its own */
    assert_true(m.items[1].transactional);
    assert_true(m.items[1].nup > 3 && m.items[1].up[3].commit_before);
    PGconn *c = tl_db_create("mt_enum_use");
    tl_up(c, &m, "0001");
    tl_exec(c, "INSERT INTO mig_enum_use.tasks (lvl, pri) VALUES ('low', 0), ('high', 5)");
    for (int round = 0; round < 2; round++) {
        tl_up(c, &m, NULL);
        char *dump = tl_dump(c, "mig_enum_use");
        tl_dumps_equal(dump, want_after, "up to after.yaml");
        free(dump);
        tl_exec(c, "INSERT INTO mig_enum_use.tasks DEFAULT VALUES");
        tl_expect(c, "SELECT lvl FROM mig_enum_use.tasks ORDER BY id DESC LIMIT 1", "mid");
        tl_exec(c, "DELETE FROM mig_enum_use.tasks WHERE lvl = 'mid'");
        tl_down(c, &m, 1);
        dump = tl_dump(c, "mig_enum_use");
        tl_dumps_equal(dump, want_before, "down to before.yaml");
        free(dump);
        tl_expect(c, "SELECT string_agg(lvl || '/' || pri, ',' ORDER BY id) FROM mig_enum_use.tasks",
                  "low/0,high/5");
    }
    sc_migrations_free(&m);
    tl_db_drop(c, "mt_enum_use");
    free(want_before);
    free(want_after);
    tl_rmdir(dir);
}

typedef struct captured {
    char text[8192];
    int n;
} captured;

static void capture(void *ctx, const gen_loc *loc, const char *message)
{
    captured *c = ctx;
    size_t used = strlen(c->text);
    gen_diag_format(c->text + used, sizeof c->text - used - 1, loc, message);
    strcat(c->text, "\n");
    c->n++;
}

static int check(const char *yaml, const char *out, captured *cap)
{
    memset(cap, 0, sizeof *cap);
    gen_migrate_options o = {.schema_path = yaml, .out_dir = out};
    gen_diag d;
    gen_diag_init(&d, capture, cap);
    int rc = gen_migrate_check(&o, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return rc;
}

static void append_to(const char *path, const char *text)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* migrate check: uncovered YAML changes, stale generated/, edited migrations. */
static void migrate_check_catches_problems(void **state)
{
    (void)state;
    char *out = tl_tmpdir();
    char migrations[600], path[700];
    snprintf(migrations, sizeof migrations, "%s/migrations", out);
    gen_options go = {.schema_path = SCENARIO "before.yaml", .out_dir = out};
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    assert_int_equal(gen_generate(&go, &d), 0);
    gen_diag_release(&d);
    tl_migrate_new(SCENARIO "before.yaml", migrations, "before");
    captured cap;
    if (check(SCENARIO "before.yaml", out, &cap))
        fail_msg("%s", cap.text);

    assert_int_equal(check(SCENARIO "after.yaml", out, &cap), 1);
    assert_non_null(strstr(cap.text, "that no migration covers"));

    snprintf(path, sizeof path, "%s/schema.sql", out);
    append_to(path, "-- edited\n");
    assert_int_equal(check(SCENARIO "before.yaml", out, &cap), 1);
    assert_non_null(strstr(cap.text, "schema.sql: error: stale"));
    assert_int_equal(gen_generate(&go, &d), 0);

    snprintf(path, sizeof path, "%s/0001_before.sql", migrations);
    append_to(path, "-- edited\n");
    assert_int_equal(check(SCENARIO "before.yaml", out, &cap), 1);
    assert_non_null(strstr(cap.text, "0001_before.sql:1:1: error: checksum mismatch"));
    tl_rmdir(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(snapshot_round_trips),
        cmocka_unit_test(unchanged_schema_and_determinism),
        cmocka_unit_test(scenario_up_down_up_keeps_rows),
        cmocka_unit_test(concurrent_index_on_partitioned_table),
        cmocka_unit_test(enum_value_added_and_used),
        cmocka_unit_test(migrate_check_catches_problems),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
