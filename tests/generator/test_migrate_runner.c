/* The migration runner against the real server, each test in its own
 * database:
 * - every committed migration (generated/migrations) goes up, down and up
 *   again, and after each step the catalog equals a database created from
 *   scratch from that revision's snapshot; head equals the current YAML;
 * - an applied migration whose file changed is refused, naming the file;
 * - two runners started at once: one applies, the other waits on the
 *   advisory lock and then finds nothing to do;
 * - a migration failing halfway leaves the database as it was and names
 *   file, line and statement;
 * - DB_POOLER=transaction is refused; `sql` prints what would run;
 * - down --to REV reverts to REV or base, and refuses a REV above current;
 * - each `schemac migrate VERB --help` lists its own options only, and a
 *   verb refuses another verb's option. */
#include <pthread.h>
#include <time.h>

#include "migrate_testlib.h"
#include "output.h"

#define COMMITTED "generated/migrations"
#define BEFORE_YAML "tests/migrate/scenario/before.yaml"
#define AFTER_YAML "tests/migrate/scenario/after.yaml"

/* The snapshot beside migration i ("NNNN_slug.snapshot.json"). */
static char *snapshot_of(const sc_migration *m)
{
    size_t n = strlen(m->path);
    char *s = malloc(n + 32);
    snprintf(s, n + 32, "%.*s.snapshot.json", (int)(n - 4), m->path);
    return s;
}

static void committed_migrations_up_down_up(void **state)
{
    (void)state;
    sc_migrations m;
    tl_load(COMMITTED, &m);
    assert_true(m.n >= 1);
    char **expected = calloc(m.n + 1, sizeof *expected);
    expected[0] = strdup("");
    for (size_t i = 0; i < m.n; i++) {
        char *snap = snapshot_of(&m.items[i]);
        expected[i + 1] = tl_fresh_dump(snap, "mt_committed_fresh", "semantik");
        free(snap);
    }
    PGconn *c = tl_db_create("mt_committed");
    for (size_t i = 0; i < m.n; i++) {
        tl_up(c, &m, m.items[i].revision);
        char *dump = tl_dump(c, "semantik");
        tl_dumps_equal(dump, expected[i + 1], m.items[i].path);
        free(dump);
    }
    for (size_t i = m.n; i > 0; i--) {
        tl_down(c, &m, 1);
        char *dump = tl_dump(c, "semantik");
        tl_dumps_equal(dump, expected[i - 1], "after down");
        free(dump);
    }
    tl_expect(c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'semantik'", "0");
    tl_up(c, &m, NULL);
    char *head = tl_dump(c, "semantik");
    char *yaml = tl_fresh_dump("schema/semantik.yaml", "mt_committed_fresh", "semantik");
    tl_dumps_equal(head, yaml, "all migrations vs the DDL of schema/semantik.yaml");
    free(head);
    free(yaml);
    tl_db_drop(c, "mt_committed");
    for (size_t i = 0; i <= m.n; i++)
        free(expected[i]);
    free(expected);
    sc_migrations_free(&m);
}

/* Rewrites a file's body and, when fix_header, its checksum too. */
static void tamper(const char *path, bool fix_header)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 200, f);
    fclose(f);
    text[n] = '\0';
    char *down = strstr(text, "\n-- +down\n");
    assert_non_null(down);
    const char *extra = "\nCOMMENT ON SCHEMA mig_scenario IS 'edited';\n";
    memmove(down + strlen(extra), down, strlen(down) + 1);
    memcpy(down, extra, strlen(extra));
    n += strlen(extra);
    if (fix_header) {
        char *body = strstr(text, "\n-- +up\n") + 1;
        char *sum = strstr(text, "fnv1a64:") + 8;
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", gen_hash64(body, n - (size_t)(body - text)));
        memcpy(sum, hex, 16);
    }
    f = fopen(path, "wb");
    fwrite(text, 1, n, f);
    fclose(f);
}

static void changed_applied_migration_is_refused(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("mt_checksum");
    tl_up(c, &m, NULL);
    const char *path = m.items[0].path;
    char *copy = strdup(path);
    sc_migrations_free(&m);

    tamper(copy, true); /* consistent file, but not what was applied */
    tl_load(dir, &m);
    sc_migrate_error err = {{0}};
    assert_int_equal(sc_migrate_up(c, &m, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.message, copy));
    assert_non_null(strstr(err.message, "changed after it was applied"));
    err.message[0] = '\0';
    assert_int_equal(sc_migrate_down(c, &m, 1, NULL, &err), -1);
    assert_non_null(strstr(err.message, "changed after it was applied"));
    sc_migrations_free(&m);

    tamper(copy, false); /* edited by hand: the header no longer matches */
    tl_load(dir, &m);
    err.message[0] = '\0';
    assert_int_equal(sc_migrate_up(c, &m, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.message, copy));
    assert_non_null(strstr(err.message, "checksum mismatch"));
    tl_expect(c, "SELECT count(*) FROM schemac.migrations", "1");
    sc_migrations_free(&m);
    free(copy);
    tl_db_drop(c, "mt_checksum");
    tl_rmdir(dir);
}

typedef struct runner {
    const sc_migrations *m;
    int rc;
    char *log;
    size_t loglen;
    sc_migrate_error err;
} runner;

static void *run_up(void *arg)
{
    runner *r = arg;
    PGconn *c = tl_connect("mt_concurrent");
    FILE *log = open_memstream(&r->log, &r->loglen);
    sc_migrate_options o = {.progress = log};
    r->rc = sc_migrate_up(c, r->m, NULL, &o, &r->err);
    fclose(log);
    PQfinish(c);
    return NULL;
}

/* Polls (bounded) until n sessions wait for the migration lock. */
static void wait_for_waiters(PGconn *c, const char *n)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
             "AND ((classid::bigint << 32) | objid::bigint) = %lld",
             (long long)SC_MIGRATE_LOCK);
    for (int i = 0; i < 20000; i++) {
        char *v = tl_value(c, sql);
        bool done = strcmp(v, n) == 0;
        free(v);
        if (done)
            return;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    fail_msg("the runners never queued on the migration lock");
}

static void two_runners_serialize(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    tl_migrate_destructive(AFTER_YAML, dir, "after");
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("mt_concurrent");
    /* Hold the lock so that both runners are surely inside up() at once. */
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%lld)", (long long)SC_MIGRATE_LOCK);
    tl_exec(c, "%s", sql);
    runner r[2] = {{.m = &m}, {.m = &m}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, run_up, &r[i]);
    wait_for_waiters(c, "2");
    snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%lld)", (long long)SC_MIGRATE_LOCK);
    tl_exec(c, "%s", sql);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    int applied = 0, idle = 0;
    for (int i = 0; i < 2; i++) {
        if (r[i].rc)
            fail_msg("runner %d: %s", i, r[i].err.message);
        assert_non_null(strstr(r[i].log, "waiting"));
        applied += strstr(r[i].log, "applying 0001") != NULL;
        idle += strstr(r[i].log, "nothing to do") != NULL;
        free(r[i].log);
    }
    assert_int_equal(applied, 1);
    assert_int_equal(idle, 1);
    tl_expect(c, "SELECT string_agg(revision, ',' ORDER BY revision) FROM schemac.migrations",
              "0001,0002");
    sc_migrations_free(&m);
    tl_db_drop(c, "mt_concurrent");
    tl_rmdir(dir);
}

/* A hand-written 0002 whose fourth statement fails. */
static const char *const bad_body =
    "-- +up\n"
    "CREATE TABLE mig_scenario.half (id integer);\n"
    "\n"
    "INSERT INTO mig_scenario.half VALUES (1);\n"
    "\n"
    "CREATE FUNCTION mig_scenario.semi() RETURNS text LANGUAGE sql AS $f$ SELECT ';' $f$;\n"
    "\n"
    "ALTER TABLE mig_scenario.no_such_table\n"
    "    ADD COLUMN x integer;\n"
    "\n"
    "-- +down\n"
    "DROP TABLE mig_scenario.half;\n";

static void write_bad_migration(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/0002_bad.sql", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f,
            "-- revision: 0002\n-- down_revision: 0001\n-- message: fails halfway\n"
            "-- transactional: true\n-- search_path: pg_catalog, mig_scenario\n"
            "-- checksum: fnv1a64:%016llx\n\n%s",
            gen_hash64(bad_body, strlen(bad_body)), bad_body);
    fclose(f);
}

static void failing_migration_leaves_nothing(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    write_bad_migration(dir);
    sc_migrations m;
    tl_load(dir, &m);
    assert_int_equal(m.items[1].nup, 4);
    PGconn *c = tl_db_create("mt_failing");
    tl_up(c, &m, "0001");
    char *before = tl_dump(c, "mig_scenario");
    sc_migrate_error err = {{0}};
    assert_int_equal(sc_migrate_up(c, &m, NULL, NULL, &err), -1);
    char where[600];
    snprintf(where, sizeof where, "%s/0002_bad.sql:15: statement 4 of the up section failed", dir);
    if (!strstr(err.message, where))
        fail_msg("unexpected error: %s", err.message);
    assert_non_null(strstr(err.message, "no_such_table"));
    assert_non_null(strstr(err.message, "statement: ALTER TABLE mig_scenario.no_such_table"));
    char *after = tl_dump(c, "mig_scenario");
    tl_dumps_equal(after, before, "after a failed migration");
    tl_expect(c, "SELECT max(revision) FROM schemac.migrations", "0001");
    tl_expect(c, "SELECT to_regclass('mig_scenario.half') IS NULL", "t");
    free(before);
    free(after);
    sc_migrations_free(&m);
    tl_db_drop(c, "mt_failing");
    tl_rmdir(dir);
}

static char *history(PGconn *c, const sc_migrations *m)
{
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    sc_migrate_error err = {{0}};
    if (sc_migrate_history(c, m, f, &err))
        fail_msg("%s", err.message);
    fclose(f);
    return text;
}

static void current_history_stamp(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    tl_migrate_destructive(AFTER_YAML, dir, "after");
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("mt_stamp");
    sc_migrate_error err = {{0}};
    char rev[32];
    assert_int_equal(sc_migrate_current(c, rev, sizeof rev, &err), 0);
    assert_string_equal(rev, "none"); /* no version table yet */
    tl_up(c, &m, "1");
    assert_int_equal(sc_migrate_current(c, rev, sizeof rev, &err), 0);
    assert_string_equal(rev, "0001");
    char *h = history(c, &m);
    assert_non_null(strstr(h, "0001  before"));
    assert_non_null(strstr(h, "(current)"));
    assert_non_null(strstr(h, "0002  after"));
    assert_non_null(strstr(h, "pending"));
    free(h);
    /* stamp records without running: the 0002 table labels stays absent */
    assert_int_equal(sc_migrate_stamp(c, &m, "head", NULL, &err), 0);
    assert_int_equal(sc_migrate_current(c, rev, sizeof rev, &err), 0);
    assert_string_equal(rev, "0002");
    tl_expect(c, "SELECT to_regclass('mig_scenario.labels') IS NULL", "t");
    assert_int_equal(sc_migrate_stamp(c, &m, "0001", NULL, &err), 0);
    tl_up(c, &m, NULL);
    tl_expect(c, "SELECT to_regclass('mig_scenario.labels') IS NULL", "f");
    assert_int_equal(sc_migrate_stamp(c, &m, "none", NULL, &err), 0);
    assert_int_equal(sc_migrate_current(c, rev, sizeof rev, &err), 0);
    assert_string_equal(rev, "none");
    assert_int_equal(sc_migrate_stamp(c, &m, "0007", NULL, &err), -1);
    assert_non_null(strstr(err.message, "unknown revision '0007'"));
    sc_migrations_free(&m);
    tl_db_drop(c, "mt_stamp");
    tl_rmdir(dir);
}

static void down_to_revision_and_base(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    tl_migrate_destructive(AFTER_YAML, dir, "after");
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("mt_down_to");
    sc_migrate_error err = {{0}};
    char rev[32];
    tl_up(c, &m, NULL);
    assert_int_equal(sc_migrate_down_to(c, &m, "0001", NULL, &err), 0);
    assert_int_equal(sc_migrate_current(c, rev, sizeof rev, &err), 0);
    assert_string_equal(rev, "0001");
    /* above the current revision: refused, nothing runs */
    assert_int_equal(sc_migrate_down_to(c, &m, "0002", NULL, &err), -1);
    assert_non_null(strstr(err.message, "'migrate up 0002'"));
    assert_int_equal(sc_migrate_down_to(c, &m, "0001", NULL, &err), 0); /* nothing to do */
    assert_int_equal(sc_migrate_down_to(c, &m, "base", NULL, &err), 0);
    assert_int_equal(sc_migrate_current(c, rev, sizeof rev, &err), 0);
    assert_string_equal(rev, "none");
    tl_expect(c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'mig_scenario'", "0");
    tl_up(c, &m, "base"); /* base as an up target: nothing to apply */
    assert_int_equal(sc_migrate_current(c, rev, sizeof rev, &err), 0);
    assert_string_equal(rev, "none");
    assert_int_equal(sc_migrate_down_to(c, &m, "0009", NULL, &err), -1);
    assert_non_null(strstr(err.message, "unknown revision '0009'"));
    sc_migrations_free(&m);
    tl_db_drop(c, "mt_down_to");
    tl_rmdir(dir);
}

/* A schema in public: the initial down drops what it created and leaves
 * the schema, which the database had before (it once ran DROP SCHEMA
 * public). */
static void down_of_public_keeps_the_schema(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    char yaml[600];
    snprintf(yaml, sizeof yaml, "%s/public.yaml", dir);
    FILE *f = fopen(yaml, "w");
    assert_non_null(f);
    fputs("schema: public\nprefix: pb\ntables:\n  things:\n    columns:\n"
          "      id: { type: serial, primary_key: true }\n      name: text\n", f);
    fclose(f);
    tl_migrate_new(yaml, dir, "initial");
    sc_migrations m;
    tl_load(dir, &m);
    for (size_t i = 0; i < m.items[0].ndown; i++)
        assert_null(strstr(m.items[0].down[i].sql, "DROP SCHEMA"));
    PGconn *c = tl_db_create("mt_public");
    tl_up(c, &m, NULL);
    tl_expect(c, "SELECT to_regclass('public.things') IS NOT NULL", "t");
    tl_down(c, &m, 1);
    tl_expect(c, "SELECT to_regclass('public.things') IS NULL", "t");
    tl_expect(c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'public'", "1");
    sc_migrations_free(&m);
    tl_db_drop(c, "mt_public");
    tl_rmdir(dir);
}

/* The output of "schemac ARGS" (the binary of this build: SC_TEST_SCHEMAC,
 * set by make), malloc'd. */
static char *command_output(const char *args)
{
    const char *bin = getenv("SC_TEST_SCHEMAC");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s", bin && *bin ? bin : "build/schemac", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 14, n = 0;
    char *out = calloc(1, cap);
    while (n + 1 < cap && fgets(out + n, (int)(cap - n), p))
        n = strlen(out);
    pclose(p);
    return out;
}

static void each_verb_helps_with_its_own_options(void **state)
{
    (void)state;
    char *h = command_output("migrate new --help");
    assert_non_null(strstr(h, "--allow-destructive"));
    assert_non_null(strstr(h, "-m MESSAGE"));
    assert_non_null(strstr(h, "--lock-timeout T"));
    assert_null(strstr(h, "--to REV"));
    free(h);
    h = command_output("migrate up --help");
    assert_null(strstr(h, "-m MESSAGE"));
    assert_null(strstr(h, "--allow-destructive"));
    assert_non_null(strstr(h, "DATABASE_URL"));
    free(h);
    h = command_output("migrate down --help");
    assert_non_null(strstr(h, "--to REV"));
    assert_null(strstr(h, "-m MESSAGE"));
    free(h);
    h = command_output("migrate up -m oops 2>&1; echo rc=$?");
    assert_non_null(strstr(h, "-m is not an option of this verb"));
    assert_non_null(strstr(h, "rc=2"));
    free(h);
}

/* Options with a value are taken with it, also the first one of the table
 * (--schema once was mistaken for a flag: the default schema was diffed and
 * --allow-destructive set). */
static void new_takes_the_schema_option(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    char args[512];
    snprintf(args, sizeof args, "migrate new --schema %s --dir %s -m before 2>&1; echo rc=$?",
             BEFORE_YAML, dir);
    char *out = command_output(args);
    assert_non_null(strstr(out, "rc=0"));
    free(out);
    sc_migrations m;
    tl_load(dir, &m);
    assert_int_equal(m.n, 1);
    assert_non_null(strstr(m.items[0].path, "0001_before.sql"));
    assert_non_null(strstr(m.items[0].text, "mig_scenario"));
    assert_null(strstr(m.items[0].text, "semantik"));
    sc_migrations_free(&m);
    tl_rmdir(dir);
}

static void pooler_and_offline_sql(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    tl_migrate_destructive(AFTER_YAML, dir, "after");
    sc_migrations m;
    tl_load(dir, &m);
    sc_migrate_error err = {{0}};
    sc_migrate_options o = {.pooler = "transaction"};
    assert_int_equal(sc_migrate_up(NULL, &m, NULL, &o, &err), -1);
    assert_non_null(strstr(err.message, "DB_POOLER=transaction"));
    /* DB_POOLER=Transaction puts the pool in transaction mode (config.c
     * ignores case): the runner must refuse it too. */
    sc_migrate_options upper = {.pooler = "Transaction"};
    assert_int_equal(sc_migrate_up(NULL, &m, NULL, &upper, &err), -1);
    assert_non_null(strstr(err.message, "DB_POOLER=transaction"));

    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(sc_migrate_sql(&m, "0002:0001", f, &err), 0);
    fclose(f);
    assert_non_null(strstr(text, "-- down 0002_after.sql"));
    assert_null(strstr(text, "-- up "));
    assert_non_null(strstr(text, "DELETE FROM schemac.migrations WHERE revision = '0002'"));
    free(text);
    f = open_memstream(&text, &len);
    assert_int_equal(sc_migrate_sql(&m, NULL, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(text, "-- up 0001_before.sql"));
    assert_non_null(strstr(text, "-- up 0002_after.sql"));
    free(text);
    assert_int_equal(sc_migrate_sql(&m, "0009", stdout, &err), -1);
    assert_non_null(strstr(err.message, "unknown revision '0009'"));
    sc_migrations_free(&m);
    tl_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(committed_migrations_up_down_up),
        cmocka_unit_test(changed_applied_migration_is_refused),
        cmocka_unit_test(two_runners_serialize),
        cmocka_unit_test(failing_migration_leaves_nothing),
        cmocka_unit_test(current_history_stamp),
        cmocka_unit_test(pooler_and_offline_sql),
        cmocka_unit_test(down_to_revision_and_base),
        cmocka_unit_test(down_of_public_keeps_the_schema),
        cmocka_unit_test(each_verb_helps_with_its_own_options),
        cmocka_unit_test(new_takes_the_schema_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
