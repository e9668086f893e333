/* Progress of `migrate up` and `migrate down`, each test in its own
 * database:
 * - the runtime's callback sees, per migration, BEGIN, then every statement
 *   index 1..n in order (before and after it runs), then END; a failed
 *   statement is flagged and the resumed run starts at it;
 * - build/schemac piped prints one line per migration, --verbose one line
 *   per statement with [i/n], --quiet nothing at all. */
#include "migrate_testlib.h"
#include "output.h" /* gen_hash64 */

#define BEFORE_YAML "tests/migrate/scenario/before.yaml"
#define AFTER_YAML "tests/migrate/scenario/after.yaml"

/* Two migrations (0001 before, 0002 after) in a fresh temporary directory. */
static char *two_migrations(sc_migrations *m)
{
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    tl_migrate_destructive(AFTER_YAML, dir, "after");
    tl_load(dir, m);
    assert_int_equal(m->n, 2);
    return dir;
}

/* ---- the runtime callback ---------------------------------------------- */

typedef struct seen {
    sc_migrate_step steps[4096];
    size_t n;
} seen;

static void record(void *arg, const sc_migrate_step *s)
{
    seen *w = arg;
    assert_true(w->n < sizeof w->steps / sizeof w->steps[0]);
    w->steps[w->n++] = *s;
}

/* From w->steps[*at]: migration m's BEGIN, its statements 1..n with a
 * STATEMENT and a STATEMENT_DONE each, its END. */
static void expect_migration(const seen *w, size_t *at, const sc_migration *m, bool up)
{
    size_t n = up ? m->nup : m->ndown;
    const sc_migration_stmt *st = up ? m->up : m->down;
    assert_true(n > 0);
    assert_true(*at + 2 * n + 2 <= w->n);
    const sc_migrate_step *s = &w->steps[*at];
    assert_int_equal(s->event, SC_MIGRATE_BEGIN);
    assert_ptr_equal(s->migration, m);
    assert_int_equal(s->count, n);
    for (size_t i = 1; i <= n; i++) {
        for (int k = 0; k < 2; k++) {
            s = &w->steps[*at + 2 * i - 1 + (size_t)k];
            assert_int_equal(s->event, k ? SC_MIGRATE_STATEMENT_DONE : SC_MIGRATE_STATEMENT);
            assert_int_equal(s->index, i);
            assert_int_equal(s->count, n);
            assert_int_equal(s->up, up);
            assert_ptr_equal(s->sql, st[i - 1].sql);
            assert_false(s->failed);
        }
    }
    s = &w->steps[*at + 2 * n + 1];
    assert_int_equal(s->event, SC_MIGRATE_END);
    assert_ptr_equal(s->migration, m);
    *at += 2 * n + 2;
}

static void callback_sees_every_statement_in_order(void **state)
{
    (void)state;
    sc_migrations m;
    char *dir = two_migrations(&m);
    PGconn *c = tl_db_create("mp_callback");
    seen *w = calloc(1, sizeof *w);
    sc_migrate_options o = {.on_step = record, .step_arg = w};
    sc_migrate_error err = {{0}};
    if (sc_migrate_up(c, &m, NULL, &o, &err))
        fail_msg("up: %s", err.message);
    size_t at = 0;
    expect_migration(w, &at, &m.items[0], true);
    expect_migration(w, &at, &m.items[1], true);
    assert_int_equal(at, w->n);

    w->n = 0;
    if (sc_migrate_down(c, &m, 2, &o, &err))
        fail_msg("down: %s", err.message);
    at = 0;
    expect_migration(w, &at, &m.items[1], false);
    expect_migration(w, &at, &m.items[0], false);
    assert_int_equal(at, w->n);
    free(w);
    sc_migrations_free(&m);
    tl_db_drop(c, "mp_callback");
    tl_rmdir(dir);
}

/* A non-transactional 0002 whose second statement fails until
 * mig_scenario.needed exists. */
static const char *const resumable_body =
    "-- +up\n"
    "CREATE TABLE mig_scenario.r1 (id integer);\n"
    "\n"
    "CREATE TABLE mig_scenario.r2 (id integer REFERENCES mig_scenario.needed (id));\n"
    "\n"
    "CREATE TABLE mig_scenario.r3 (id integer);\n"
    "\n"
    "-- +down\n"
    "DROP TABLE mig_scenario.r3;\n"
    "\n"
    "DROP TABLE mig_scenario.r2;\n"
    "\n"
    "DROP TABLE mig_scenario.r1;\n";

static void write_resumable(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/0002_resumable.sql", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f,
            "-- revision: 0002\n-- down_revision: 0001\n-- message: resumable\n"
            "-- transactional: false\n-- search_path: pg_catalog, mig_scenario\n"
            "-- checksum: fnv1a64:%016llx\n\n%s",
            gen_hash64(resumable_body, strlen(resumable_body)), resumable_body);
    fclose(f);
}

/* w->steps[at] is event ev of statement index (0: none). */
static void expect_step(const seen *w, size_t at, sc_migrate_event ev, size_t index, bool failed)
{
    assert_true(at < w->n);
    if (w->steps[at].event != ev || w->steps[at].index != index || w->steps[at].failed != failed)
        fail_msg("step %zu: event %d index %zu failed %d; expected event %d index %zu failed %d",
                 at, (int)w->steps[at].event, w->steps[at].index, (int)w->steps[at].failed,
                 (int)ev, index, (int)failed);
}

/* A failing statement is reported failed and the migration gets no END; the
 * resumed run reports the statements from the failed one on. */
static void callback_follows_a_resumed_migration(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    tl_migrate_new(BEFORE_YAML, dir, "before");
    write_resumable(dir);
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create("mp_resume");
    tl_up(c, &m, "0001");
    seen *w = calloc(1, sizeof *w);
    sc_migrate_options o = {.on_step = record, .step_arg = w};
    sc_migrate_error err = {{0}};
    assert_int_equal(sc_migrate_up(c, &m, NULL, &o, &err), -1);
    assert_int_equal(w->n, 5);
    expect_step(w, 0, SC_MIGRATE_BEGIN, 0, false);
    expect_step(w, 1, SC_MIGRATE_STATEMENT, 1, false);
    expect_step(w, 2, SC_MIGRATE_STATEMENT_DONE, 1, false);
    expect_step(w, 3, SC_MIGRATE_STATEMENT, 2, false);
    expect_step(w, 4, SC_MIGRATE_STATEMENT_DONE, 2, true);

    tl_exec(c, "CREATE TABLE mig_scenario.needed (id integer PRIMARY KEY)");
    w->n = 0;
    if (sc_migrate_up(c, &m, NULL, &o, &err))
        fail_msg("resumed up: %s", err.message);
    assert_int_equal(w->n, 6);
    expect_step(w, 0, SC_MIGRATE_BEGIN, 0, false);
    for (size_t i = 2; i <= 3; i++) {
        expect_step(w, 2 * i - 3, SC_MIGRATE_STATEMENT, i, false);
        expect_step(w, 2 * i - 2, SC_MIGRATE_STATEMENT_DONE, i, false);
    }
    expect_step(w, 5, SC_MIGRATE_END, 0, false);
    free(w);
    sc_migrations_free(&m);
    tl_db_drop(c, "mp_resume");
    tl_rmdir(dir);
}

/* ---- the command line ---------------------------------------------------- */

/* "schemac migrate ARGS --dir DIR 2>&1" against database db (its stdout
 * and stderr are a pipe, not a terminal), malloc'd. */
static char *schemac_migrate(PGconn *c, const char *dir, const char *args)
{
    const char *bin = getenv("SC_TEST_SCHEMAC");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "DATABASE_URL='postgresql://%s@/%s?host=%s&port=%s' %s migrate %s --dir '%s' 2>&1",
             PQuser(c), PQdb(c), PQhost(c), PQport(c), bin && *bin ? bin : "build/schemac", args,
             dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *out = calloc(1, cap);
    while (n + 1 < cap && fgets(out + n, (int)(cap - n), p))
        n = strlen(out);
    int rc = pclose(p);
    if (rc != 0)
        fail_msg("%s: exit %d\n%s", cmd, rc, out);
    return out;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void piped_prints_one_line_per_migration(void **state)
{
    (void)state;
    sc_migrations m;
    char *dir = two_migrations(&m);
    PGconn *c = tl_db_create("mp_piped");
    char *out = schemac_migrate(c, dir, "up");
    assert_int_equal(count_lines(out), 2);
    char want[128];
    snprintf(want, sizeof want, "0001 applied: before (%zu statements, ", m.items[0].nup);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "0002 applied: after (%zu statements, ", m.items[1].nup);
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "[1/"));
    free(out);
    out = schemac_migrate(c, dir, "down --to base");
    assert_int_equal(count_lines(out), 2);
    assert_non_null(strstr(out, "0002 reverted: after ("));
    assert_non_null(strstr(out, "0001 reverted: before ("));
    free(out);
    tl_expect(c, "SELECT count(*) FROM schemac.migrations", "0");
    sc_migrations_free(&m);
    tl_db_drop(c, "mp_piped");
    tl_rmdir(dir);
}

/* Every "[i/n] " of a section, in order, each on its own line with a
 * duration. */
static void expect_statement_lines(const char *out, const sc_migration *m, bool up)
{
    size_t n = up ? m->nup : m->ndown;
    const char *p = strstr(out, up ? "applying: " : "reverting: ");
    assert_non_null(p);
    for (size_t i = 1; i <= n; i++) {
        char want[64];
        snprintf(want, sizeof want, "\n[%zu/%zu] ", i, n);
        const char *at = strstr(p, want);
        if (!at)
            fail_msg("no line %s in\n%s", want + 1, out);
        const char *eol = strchr(at + 1, '\n');
        assert_non_null(eol);
        assert_true(eol - at < 200); /* cut to one line */
        assert_memory_equal(eol - 2, " s", 2);
        p = eol;
    }
}

static void verbose_prints_each_statement(void **state)
{
    (void)state;
    sc_migrations m;
    char *dir = two_migrations(&m);
    PGconn *c = tl_db_create("mp_verbose");
    char *out = schemac_migrate(c, dir, "up 0001 --verbose");
    expect_statement_lines(out, &m.items[0], true);
    assert_non_null(strstr(out, "0001 applied: before ("));
    assert_int_equal(count_lines(out), (int)m.items[0].nup + 2);
    free(out);
    out = schemac_migrate(c, dir, "down -v");
    expect_statement_lines(out, &m.items[0], false);
    assert_non_null(strstr(out, "0001 reverted: before ("));
    free(out);
    sc_migrations_free(&m);
    tl_db_drop(c, "mp_verbose");
    tl_rmdir(dir);
}

static void quiet_prints_nothing(void **state)
{
    (void)state;
    sc_migrations m;
    char *dir = two_migrations(&m);
    PGconn *c = tl_db_create("mp_quiet");
    char *out = schemac_migrate(c, dir, "up --quiet");
    assert_string_equal(out, "");
    free(out);
    tl_expect(c, "SELECT count(*) FROM schemac.migrations", "2");
    out = schemac_migrate(c, dir, "up -q"); /* nothing to do: not said either */
    assert_string_equal(out, "");
    free(out);
    out = schemac_migrate(c, dir, "down -q --to base");
    assert_string_equal(out, "");
    free(out);
    tl_expect(c, "SELECT count(*) FROM schemac.migrations", "0");
    sc_migrations_free(&m);
    tl_db_drop(c, "mp_quiet");
    tl_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(callback_sees_every_statement_in_order),
        cmocka_unit_test(callback_follows_a_resumed_migration),
        cmocka_unit_test(piped_prints_one_line_per_migration),
        cmocka_unit_test(verbose_prints_each_statement),
        cmocka_unit_test(quiet_prints_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
