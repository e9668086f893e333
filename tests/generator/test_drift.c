/* schemac migrate drift against the real server (gen_drift, in-process),
 * each test in its own database, on the migration scenario
 * (tests/migrate/scenario):
 * - a database migrated to head, or to an older revision, has no drift;
 *   so does one with Semantik's committed migrations (100 partitions);
 * - each hand-made change (index, default, dropped column, trigger, view,
 *   table, enum value, not null, function body) is exactly one line naming
 *   the object, and the run exits 1;
 * - the scratch database is dropped, also when building it fails; a given
 *   --scratch-url must be empty and is emptied again;
 * - a connection error exits 2 without printing the URL's password. */
#include "migrate_testlib.h"

#include "drift.h"

#define BEFORE_YAML "tests/migrate/scenario/before.yaml"
#define AFTER_YAML "tests/migrate/scenario/after.yaml"

static char *url_of(const char *db)
{
    PGconn *c = tl_connect(NULL);
    char *url = malloc(1024);
    snprintf(url, 1024, "host=%s port=%s user=%s dbname=%s", PQhost(c), PQport(c), PQuser(c), db);
    PQfinish(c);
    return url;
}

/* gen_drift on db; the report in *report (malloc'd). */
static int drift(const char *db, const char *dir, const char *scratch_url, char **report,
                 sc_migrate_error *err)
{
    size_t len;
    FILE *out = open_memstream(report, &len);
    char *url = url_of(db);
    gen_drift_options o = {url, scratch_url, dir, out};
    memset(err, 0, sizeof *err);
    int rc = gen_drift(&o, err);
    fclose(out);
    free(url);
    return rc;
}

static void no_scratch_left(void)
{
    PGconn *c = tl_connect(NULL);
    tl_expect(c, "SELECT count(*) FROM pg_database WHERE datname LIKE 'schemac\\_scratch\\_%'", "0");
    PQfinish(c);
}

static void expect_no_drift(const char *db, const char *dir, const char *rev)
{
    char *report, want[64];
    sc_migrate_error err;
    int rc = drift(db, dir, NULL, &report, &err);
    if (rc != GEN_DRIFT_NONE)
        fail_msg("drift %d: %s%s", rc, err.message, report);
    snprintf(want, sizeof want, "no drift (revision %s)\n", rev);
    assert_string_equal(report, want);
    free(report);
}

static void head_and_older_revision_have_no_drift(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    tl_migrate_destructive(AFTER_YAML, dir, "after");
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("dr_clean");
    expect_no_drift("dr_clean", dir, "none");
    tl_up(c, &m, "0001");
    expect_no_drift("dr_clean", dir, "0001"); /* compared with 0001, not head */
    tl_up(c, &m, NULL);
    expect_no_drift("dr_clean", dir, "0002");
    tl_down(c, &m, 1);
    tl_up(c, &m, NULL); /* dropped columns and rebuilt objects leave no trace */
    expect_no_drift("dr_clean", dir, "0002");
    sc_migrations_free(&m);
    tl_db_drop(c, "dr_clean");
    tl_rmdir(dir);
    no_scratch_left();
}

static void committed_migrations_have_no_drift(void **state)
{
    (void)state;
    sc_migrations m;
    tl_load("generated/migrations", &m);
    PGconn *c = tl_db_create("dr_committed");
    tl_up(c, &m, NULL);
    expect_no_drift("dr_committed", "generated/migrations", m.items[m.n - 1].revision);
    sc_migrations_free(&m);
    tl_db_drop(c, "dr_committed");
}

typedef struct hand_change {
    const char *sql;
    const char *line;   /* the one line of the report */
} hand_change;

static const hand_change changes[] = {
    {"CREATE INDEX ix_hand ON mig_scenario.items (title)",
     "extra index mig_scenario.ix_hand: CREATE INDEX ix_hand ON mig_scenario.items USING btree "
     "(title)\n"},
    {"ALTER TABLE mig_scenario.items ALTER COLUMN qty SET DEFAULT 5",
     "changed default of column mig_scenario.items.qty: '0' -> '5'\n"},
    {"ALTER TABLE mig_scenario.owners DROP COLUMN legacy",
     "missing column mig_scenario.owners.legacy: text\n"},
    {"CREATE TRIGGER trg_hand BEFORE INSERT ON mig_scenario.owners FOR EACH ROW EXECUTE "
     "FUNCTION mig_scenario.touch()",
     "extra trigger mig_scenario.owners.trg_hand: CREATE TRIGGER trg_hand BEFORE INSERT ON "
     "mig_scenario.owners FOR EACH ROW EXECUTE FUNCTION mig_scenario.touch()\n"},
    {"CREATE OR REPLACE VIEW mig_scenario.open_items AS SELECT id, title, status FROM "
     "mig_scenario.items WHERE status <> 'new'",
     "changed definition of view mig_scenario.open_items: '...items WHERE (items.status <> "
     "'closed'::mig_scenario.item_status);' -> '...items WHERE (items.status <> "
     "'new'::mig_scenario.item_status);'\n"},
    /* its primary key is part of the table, not a line of its own */
    {"CREATE TABLE mig_scenario.hand (id integer PRIMARY KEY, x text)",
     "extra table mig_scenario.hand: (id integer, x text)\n"},
    {"ALTER TYPE mig_scenario.shade ADD VALUE 'grey'",
     "changed values of enum mig_scenario.shade: 'light, dark' -> 'light, dark, grey'\n"},
    {"ALTER TABLE mig_scenario.items ALTER COLUMN note SET NOT NULL",
     "changed not null of column mig_scenario.items.note: 'false' -> 'true'\n"},
    {"COMMENT ON TABLE mig_scenario.owners IS 'edited'",
     "changed comment of table mig_scenario.owners: 'People owning items.' -> 'edited'\n"},
    {"DROP INDEX mig_scenario.ix_events_item",
     "missing index mig_scenario.ix_events_item: CREATE INDEX ix_events_item ON ONLY "
     "mig_scenario.events USING btree (item_key)\n"},
};

static void each_hand_made_change_is_one_line(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    sc_migrations m;
    tl_load(dir, &m);
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        PGconn *c = tl_db_create("dr_hand");
        tl_up(c, &m, NULL);
        tl_exec(c, "%s", changes[i].sql);
        char *report;
        sc_migrate_error err;
        int rc = drift("dr_hand", dir, NULL, &report, &err);
        char want[2048];
        snprintf(want, sizeof want, "%sdrift: 1 difference from revision 0001\n", changes[i].line);
        if (rc != GEN_DRIFT_FOUND || strcmp(report, want) != 0)
            fail_msg("after %s\n  drift %d (%s) reported:\n%s  expected:\n%s", changes[i].sql, rc,
                     err.message, report, want);
        free(report);
        tl_db_drop(c, "dr_hand");
    }
    sc_migrations_free(&m);
    tl_rmdir(dir);
    no_scratch_left();
}

/* A hand-written 0002 that the scratch database cannot run. */
static void write_failing_migration(const char *dir)
{
    static const char body[] = "-- +up\nCREATE TABLE mig_scenario.no_such.t (id integer);\n"
                               "-- +down\nSELECT 1;\n";
    char path[512];
    snprintf(path, sizeof path, "%s/0002_fails.sql", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "-- revision: 0002\n-- down_revision: 0001\n-- message: fails\n"
               "-- checksum: fnv1a64:%016llx\n\n%s", gen_hash64(body, strlen(body)), body);
    fclose(f);
}

static void scratch_database_is_dropped_on_failure(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    write_failing_migration(dir);
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("dr_fail");
    sc_migrate_error err = {{0}};
    assert_int_equal(sc_migrate_stamp(c, &m, "0002", NULL, &err), 0);
    char *report;
    assert_int_equal(drift("dr_fail", dir, NULL, &report, &err), GEN_DRIFT_ERROR);
    if (!strstr(err.message, "cannot build revision 0002 in the scratch database") ||
        !strstr(err.message, "0002_fails.sql:7: statement 1 of the up section failed"))
        fail_msg("unexpected error: %s", err.message);
    free(report);
    no_scratch_left();
    sc_migrations_free(&m);
    tl_db_drop(c, "dr_fail");
    tl_rmdir(dir);
}

static void given_scratch_database(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("dr_live");
    tl_up(c, &m, NULL);
    tl_exec(c, "CREATE INDEX ix_hand ON mig_scenario.items (title)");
    PGconn *s = tl_db_create("dr_scratch");
    char *scratch = url_of("dr_scratch"), *report;
    sc_migrate_error err;
    assert_int_equal(drift("dr_live", dir, scratch, &report, &err), GEN_DRIFT_FOUND);
    assert_non_null(strstr(report, "extra index mig_scenario.ix_hand: "));
    free(report);
    /* emptied again: the next run finds it usable */
    tl_expect(s, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('mig_scenario', 'schemac')",
              "0");
    tl_exec(s, "CREATE SCHEMA somebody_elses");
    assert_int_equal(drift("dr_live", dir, scratch, &report, &err), GEN_DRIFT_ERROR);
    assert_non_null(strstr(err.message, "must be empty, but it has schema somebody_elses"));
    tl_expect(s, "SELECT count(*) FROM pg_namespace WHERE nspname = 'somebody_elses'", "1");
    free(report);
    free(scratch);
    tl_db_drop(s, "dr_scratch");
    tl_db_drop(c, "dr_live");
    sc_migrations_free(&m);
    tl_rmdir(dir);
}

static void connection_error_hides_the_password(void **state)
{
    (void)state;
    char *report;
    size_t len;
    FILE *out = open_memstream(&report, &len);
    gen_drift_options o = {"postgresql://someone:sekret@/x?host=/nonexistent", NULL,
                           "generated/migrations", out};
    sc_migrate_error err = {{0}};
    assert_int_equal(gen_drift(&o, &err), GEN_DRIFT_ERROR);
    fclose(out);
    assert_non_null(strstr(err.message, "cannot connect to DATABASE_URL"));
    assert_null(strstr(err.message, "sekret"));
    assert_string_equal(report, "");
    free(report);
    o.database_url = NULL;
    assert_int_equal(gen_drift(&o, &err), GEN_DRIFT_ERROR);
    assert_non_null(strstr(err.message, "DATABASE_URL is not set"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(head_and_older_revision_have_no_drift),
        cmocka_unit_test(committed_migrations_have_no_drift),
        cmocka_unit_test(each_hand_made_change_is_one_line),
        cmocka_unit_test(scratch_database_is_dropped_on_failure),
        cmocka_unit_test(given_scratch_database),
        cmocka_unit_test(connection_error_hides_the_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
