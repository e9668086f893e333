/* A borrowed connection comes back as a fresh session: every session-state
 * misuse through the raw connection is undone on release (or the connection
 * is closed), the statement cache survives the reset, a clean connection
 * pays nothing. And pre-ping only after an idle window. */
#include "rt_helpers.h"

static const Oid int_type[] = {23};
static const sc_stmt select_int = {"session_select_int", "SELECT $1::int", 1, int_type, NULL};

/* What a borrower can observe of its session, as one string. Settings of
 * PL/pgSQL at their built-in values are left out: the reset's DO block
 * loads the language, which defines them (a library cannot be unloaded). */
static const char snapshot_sql[] =
    "SELECT (SELECT string_agg(name || '=' || coalesce(setting, '<null>'), E'\\n' ORDER BY name)"
    "          FROM pg_settings"
    "         WHERE NOT (name LIKE 'plpgsql.%' AND setting IS NOT DISTINCT FROM boot_val))"
    " || E'\\nuser=' || current_user || E'\\nsession_user=' || session_user"
    " || E'\\nadvisory=' || (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    "                          AND pid = pg_backend_pid())"
    " || E'\\ntemp=' || (SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema())"
    " || E'\\nlisten=' || (SELECT count(*) FROM pg_listening_channels())"
    " || E'\\ncursors=' || (SELECT count(*) FROM pg_cursors)"
    " || E'\\nforeign_prepared=' || (SELECT count(*) FROM pg_prepared_statements"
    "                                 WHERE name NOT LIKE 'sc\\_%')"
    " || E'\\nplaceholders=' || (SELECT count(*) FROM unnest(ARRAY['app.user_id', 'app.r0',"
    "      'app.r1', 'app.r2', 'app.r3']) n WHERE current_setting(n, true) IS NOT NULL)"
    " || E'\\nread_only=' || current_setting('transaction_read_only')"
    " || E'\\nin_tx=' || (pg_current_xact_id_if_assigned() IS NOT NULL)::text";

static char *snapshot(sc_conn *c)
{
    PGconn *pg = sc_conn_pg(c);
    PGresult *r = PQexec(pg, snapshot_sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("snapshot: %s", PQresultErrorMessage(r));
    char *s = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    /* DISCARD SEQUENCES: currval of any sequence is undefined again */
    r = PQexec(pg, "SELECT currval('sess_seq')");
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (PQresultStatus(r) != PGRES_FATAL_ERROR || !state || strcmp(state, "55000") != 0)
        fail_msg("currval survived the reset: %s", PQresultErrorMessage(r));
    PQclear(r);
    return s;
}

/* The first line that differs, for a readable failure. */
static void assert_same_session(const char *fresh, const char *now, const char *what)
{
    if (strcmp(fresh, now) == 0)
        return;
    const char *a = fresh, *b = now;
    while (*a && *a == *b)
        a++, b++;
    while (a > fresh && a[-1] != '\n')
        a--, b--;
    fail_msg("%s: next borrower's session differs from a fresh one:\n  fresh: %.120s\n  "
             "now:   %.120s",
             what, a, b);
}

static void run_cached(sc_conn *c, int v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%d", v);
    const char *vals[1] = {buf};
    PGresult *r = NULL;
    sc_error e = {0};
    int rc = sc_exec(c, &select_int, vals, NULL, NULL, 0, &r, &e);
    if (rc != SC_OK)
        fail_msg("cached statement: %s %s", sc_status_name(rc), e.message);
    assert_string_equal(PQgetvalue(r, 0, 0), buf);
    PQclear(r);
}

static void raw(sc_conn *c, const char *sql)
{
    PGresult *r = PQexec(sc_conn_pg(c), sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

/* --- the misuses ------------------------------------------------------------ */

enum {
    M_SEARCH_PATH,
    M_STATEMENT_TIMEOUT,
    M_SET_ROLE,
    M_PLACEHOLDER, /* closes the connection */
    M_ADVISORY,
    M_TEMP_TABLE,
    M_LISTEN,
    M_HOLD_CURSOR,
    M_PREPARE,
    M_READ_ONLY,
    M_CURRVAL,
    M_SESSION_AUTH,
    M_OPEN_TX,     /* left inside a transaction with session changes */
    M_WORK_MEM,
    M_COUNT
};

static const char *const misuse_names[M_COUNT] = {
    "SET search_path", "SET statement_timeout", "SET ROLE", "set_config(app.user_id)",
    "advisory lock", "temp table", "LISTEN", "WITH HOLD cursor", "PREPARE",
    "SET SESSION CHARACTERISTICS READ ONLY", "sequence currval", "SET SESSION AUTHORIZATION",
    "open transaction", "SET work_mem"};

static unsigned rnd_state;
static unsigned rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) & 0xffffffu;
}

static int seq_counter;

static void misuse(sc_conn *c, int kind, unsigned v)
{
    char sql[300];
    switch (kind) {
    case M_SEARCH_PATH:
        snprintf(sql, sizeof sql, "SET search_path = sess_s%u, public", v % 3);
        break;
    case M_STATEMENT_TIMEOUT:
        snprintf(sql, sizeof sql, "SET statement_timeout = '%us'", 2 + v % 1000);
        break;
    case M_SET_ROLE:
        snprintf(sql, sizeof sql, "SET ROLE sess_role%u", v % 2);
        break;
    case M_PLACEHOLDER:
        if (v % 2)
            snprintf(sql, sizeof sql, "SELECT set_config('app.user_id', '%u', false)", v);
        else
            snprintf(sql, sizeof sql, "SET app.r%u = 'v%u'", v % 4, v);
        break;
    case M_ADVISORY:
        snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%u), pg_advisory_lock_shared(%u)",
                 v, v + 1);
        break;
    case M_TEMP_TABLE:
        snprintf(sql, sizeof sql,
                 "CREATE TEMP TABLE IF NOT EXISTS sess_tmp%u (x int); INSERT INTO sess_tmp%u "
                 "VALUES (%u)",
                 v % 5, v % 5, v);
        break;
    case M_LISTEN:
        snprintf(sql, sizeof sql, "LISTEN sess_chan%u", v % 7);
        break;
    case M_HOLD_CURSOR:
        snprintf(sql, sizeof sql,
                 "BEGIN; DECLARE sess_cur%u CURSOR WITH HOLD FOR SELECT %u; COMMIT", v, v);
        break;
    case M_PREPARE:
        snprintf(sql, sizeof sql, "PREPARE user_stmt%u AS SELECT %u", v, v % 100);
        break;
    case M_READ_ONLY:
        snprintf(sql, sizeof sql, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
        break;
    case M_CURRVAL:
        snprintf(sql, sizeof sql, "SELECT nextval('public.sess_seq')");
        seq_counter++;
        break;
    case M_SESSION_AUTH:
        snprintf(sql, sizeof sql, "SET SESSION AUTHORIZATION sess_role%u", v % 2);
        break;
    case M_OPEN_TX:
        snprintf(sql, sizeof sql,
                 "BEGIN; SET search_path = sess_s1; SELECT pg_advisory_lock(%u); "
                 "DECLARE sess_open_cur CURSOR WITH HOLD FOR SELECT 1",
                 v);
        break;
    case M_WORK_MEM:
        snprintf(sql, sizeof sql, "SET work_mem = '%uMB'", 1 + v % 64);
        break;
    }
    raw(c, sql);
}

/* A pool of one, the schema objects the misuses need, a fresh snapshot. */
typedef struct fixture {
    sc_pool *pool;
    char *fresh;
} fixture;

static void fixture_open(fixture *f, double pre_ping_idle_s)
{
    PGconn *admin = rt_raw();
    rt_raw_exec(admin, "SET client_min_messages = warning;"
                       "DROP SCHEMA IF EXISTS sess_s0, sess_s1, sess_s2 CASCADE;"
                       "CREATE SCHEMA sess_s0; CREATE SCHEMA sess_s1; CREATE SCHEMA sess_s2;"
                       "DROP SEQUENCE IF EXISTS sess_seq; CREATE SEQUENCE sess_seq;"
                       "DO $$BEGIN CREATE ROLE sess_role0; EXCEPTION WHEN duplicate_object "
                       "THEN NULL; END$$;"
                       "DO $$BEGIN CREATE ROLE sess_role1; EXCEPTION WHEN duplicate_object "
                       "THEN NULL; END$$;"
                       "GRANT USAGE ON SCHEMA sess_s0, sess_s1, sess_s2 TO PUBLIC;"
                       "GRANT USAGE ON SEQUENCE sess_seq TO PUBLIC;"
                       /* what an application reads: the reset probes these names */
                       "CREATE OR REPLACE FUNCTION public.sess_current_user_id() RETURNS text"
                       " LANGUAGE sql STABLE AS $f$ SELECT current_setting('app.user_id', true)"
                       " || current_setting('app.r0', true) || current_setting('app.r1', true)"
                       " || current_setting('app.r2', true) || current_setting('app.r3', true)"
                       " $f$");
    PQfinish(admin);
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.application_name = "schemac-session";
    cfg.pre_ping_idle_s = pre_ping_idle_s;
    sc_error e = {0};
    f->pool = NULL;
    assert_int_equal(sc_pool_open(&cfg, &f->pool, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(f->pool, &c, &e), SC_OK);
    f->fresh = snapshot(c); /* a brand-new connection of this pool */
    sc_pool_release(f->pool, c);
}

static void fixture_close(fixture *f)
{
    free(f->fresh);
    assert_int_equal(sc_pool_close(f->pool), 0);
}

/* Acquire, misuse (kinds[0..n)), release, acquire: a fresh session. Returns
 * whether the backend survived (reset) or was replaced. */
static bool misuse_and_check(fixture *f, const int *kinds, int n, const unsigned *vals)
{
    sc_error e = {0};
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(f->pool, &c, &e), SC_OK);
    run_cached(c, 1); /* cached before the misuse */
    size_t cached = sc_conn_cached_statements(c);
    assert_true(cached >= 1);
    int pid = PQbackendPID(sc_conn_pg(c));
    bool closes = false;
    char what[300] = "";
    for (int i = 0; i < n; i++) {
        misuse(c, kinds[i], vals[i]);
        closes = closes || kinds[i] == M_PLACEHOLDER;
        size_t len = strlen(what);
        snprintf(what + len, sizeof what - len, "%s%s(%u)", i ? " + " : "",
                 misuse_names[kinds[i]], vals[i]);
    }
    sc_pool_release(f->pool, c);
    c = NULL;
    assert_int_equal(sc_pool_acquire(f->pool, &c, &e), SC_OK);
    int pid2 = PQbackendPID(sc_conn_pg(c));
    if (closes) {
        if (pid2 == pid)
            fail_msg("%s: the connection should have been closed", what);
    } else {
        if (pid2 != pid)
            fail_msg("%s: the reset failed, the connection was replaced", what);
        assert_int_equal(sc_conn_cached_statements(c), cached);
    }
    char *now = snapshot(c);
    assert_same_session(f->fresh, now, what);
    free(now);
    run_cached(c, 2); /* the cache is still valid (or fresh on a new connection) */
    if (!closes)
        assert_int_equal(sc_conn_cached_statements(c), cached);
    PGresult *r = PQexec(sc_conn_pg(c), "");
    assert_int_equal(PQresultStatus(r), PGRES_EMPTY_QUERY);
    PQclear(r);
    sc_pool_release(f->pool, c);
    return pid2 == pid;
}

static void each_misuse_is_undone(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER(NULL,
                             "closing a connection ends only the client's connection to PgBouncer, so the "
                             "placeholder a misuse defined stays in the server session the next client gets "
                             "(after DISCARD ALL, empty), and the reset's RESET ALL clears the "
                             "application_name PgBouncer SET; in transaction mode nothing is cached");
    fixture f;
    fixture_open(&f, 1.0);
    for (int k = 0; k < M_COUNT; k++) {
        unsigned v = 42;
        sc_pool_stats before, after;
        sc_pool_get_stats(f.pool, &before);
        bool reused = misuse_and_check(&f, &k, 1, &v);
        sc_pool_get_stats(f.pool, &after);
        if (k == M_PLACEHOLDER) {
            assert_false(reused);
            assert_int_equal(after.evicted, before.evicted + 1);
        } else {
            assert_true(reused);
            /* the misuse's release and the check's release are both resets */
            assert_int_equal(after.resets, before.resets + 2);
            assert_int_equal(after.evicted, before.evicted);
        }
    }
    fixture_close(&f);
}

/* A hand-made PREPARE named like ours but not in the cache goes too. */
static void foreign_statement_with_our_prefix_is_deallocated(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "a session-level named statement; under transaction pooling it stays on a "
                             "server connection another client gets");
    fixture f;
    fixture_open(&f, 1.0);
    sc_error e = {0};
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(f.pool, &c, &e), SC_OK);
    run_cached(c, 1);
    raw(c, "PREPARE sc_999 AS SELECT 1; PREPARE \"Odd 'name\" AS SELECT 2");
    sc_pool_release(f.pool, c);
    assert_int_equal(sc_pool_acquire(f.pool, &c, &e), SC_OK);
    PGresult *r = PQexec(sc_conn_pg(c), "SELECT count(*) FROM pg_prepared_statements");
    assert_string_equal(PQgetvalue(r, 0, 0), "1"); /* only the cached one */
    PQclear(r);
    run_cached(c, 3);
    sc_pool_release(f.pool, c);
    fixture_close(&f);
}

enum { RANDOM_ROUNDS = 1000, RANDOM_SEED = 20240611 };

static void random_misuses_leave_no_dirty_borrower(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER(NULL,
                             "compares a reused session with a fresh one (see each_misuse_is_undone)");
    rnd_state = RANDOM_SEED;
    print_message("random misuses: seed %u, %d rounds\n", (unsigned)RANDOM_SEED, RANDOM_ROUNDS);
    fixture f;
    fixture_open(&f, 1.0);
    int reused = 0, replaced = 0;
    for (int round = 0; round < RANDOM_ROUNDS; round++) {
        int kinds[3];
        unsigned vals[3];
        int n = 1 + (int)(rnd() % 3);
        for (int i = 0; i < n; i++) {
            kinds[i] = (int)(rnd() % M_COUNT);
            vals[i] = rnd() % 100000;
        }
        /* combinations the server itself refuses become a plain SET: after
         * an open transaction, another role (no membership between the test
         * roles) or a read-only default (no writes) */
        bool tx = false, role = false, ro = false;
        for (int i = 0; i < n; i++) {
            int k = kinds[i];
            if (tx || (role && (k == M_SET_ROLE || k == M_SESSION_AUTH)) ||
                (ro && (k == M_TEMP_TABLE || k == M_CURRVAL)))
                kinds[i] = M_WORK_MEM;
            tx = tx || kinds[i] == M_OPEN_TX;
            role = role || kinds[i] == M_SET_ROLE || kinds[i] == M_SESSION_AUTH;
            ro = ro || kinds[i] == M_READ_ONLY;
        }
        /* a failing check aborts the test: 0 dirty next borrowers */
        if (misuse_and_check(&f, kinds, n, vals))
            reused++;
        else
            replaced++;
    }
    print_message("random misuses: %d reset and reused, %d closed (placeholders)\n", reused,
                  replaced);
    assert_int_equal(reused + replaced, RANDOM_ROUNDS);
    assert_true(reused > 0 && replaced > 0);
    fixture_close(&f);
}

/* The cost bound: generated code never changes the session, so releasing
 * such a connection sends nothing. */
static void clean_connection_is_not_reset(void **state)
{
    (void)state;
    sc_pool *p = rt_pool(1, 0);
    sc_error e = {0};
    for (int i = 0; i < 50; i++) {
        sc_conn *c = NULL;
        assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
        run_cached(c, i);
        assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
        run_cached(c, i + 1);
        assert_int_equal(sc_tx_commit(c, &e), SC_OK);
        sc_pool_release(p, c);
    }
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.resets, 0);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.dirty_returns, 0);
    /* contrast: raw access makes the next release a reset */
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_non_null(sc_conn_pg(c));
    sc_pool_release(p, c);
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.resets, 1);
    assert_int_equal(st.connects, 1);
    assert_int_equal(sc_pool_close(p), 0);
}

/* libpq state the reset cannot repair: the connection is closed. */
static void connection_left_in_pipeline_mode_is_closed(void **state)
{
    (void)state;
    sc_pool *p = rt_pool(1, 0);
    sc_error e = {0};
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(PQenterPipelineMode(sc_conn_pg(c)), 1);
    sc_pool_release(p, c);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.open, 0);
    assert_int_equal(sc_pool_close(p), 0);
}

/* A reset that fails closes the connection (counted in evicted, not in
 * resets): here the backend was terminated while borrowed. */
static void failed_reset_closes(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "kills the server backend of an idle connection, which PgBouncer links to none "
                             "in transaction mode");
    sc_pool *p = rt_pool(1, 0);
    sc_error e = {0};
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int pid = rt_server_pid(c);
    PGconn *admin = rt_raw();
    rt_terminate(admin, pid);
    sc_pool_release(p, c); /* dirty: the reset round trip fails */
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.resets, 0);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.open, 0);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    run_cached(c, 7);
    sc_pool_release(p, c);
    PQfinish(admin);
    assert_int_equal(sc_pool_close(p), 0);
}

/* --- pre-ping idle window ------------------------------------------------- */

static sc_pool *ping_pool(int n, double idle_s)
{
    sc_pool_config cfg;
    rt_config(&cfg, n, 0);
    cfg.application_name = "schemac-preping";
    cfg.pre_ping = true;
    cfg.pre_ping_idle_s = idle_s;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    return p;
}

enum { PING_N = 4 };

static void pre_ping_with_zero_window_replaces_every_dead_backend(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "kills the server backend of an idle connection, which PgBouncer links to none "
                             "in transaction mode");
    sc_pool *p = ping_pool(PING_N, 0);
    sc_error e = {0};
    sc_conn *held[PING_N];
    int pids[PING_N];
    for (int i = 0; i < PING_N; i++) {
        assert_int_equal(sc_pool_acquire(p, &held[i], &e), SC_OK);
        run_cached(held[i], i);
        pids[i] = rt_server_pid(held[i]);
    }
    for (int i = 0; i < PING_N; i++)
        sc_pool_release(p, held[i]);
    PGconn *admin = rt_raw();
    for (int i = 0; i < PING_N; i++)
        rt_terminate(admin, pids[i]); /* waits until the backend is gone */
    PQfinish(admin);
    int errors = 0;
    for (int i = 0; i < 2 * PING_N; i++) {
        sc_conn *c = NULL;
        int rc = sc_pool_acquire(p, &c, &e);
        if (rc == SC_OK) {
            char v[16];
            snprintf(v, sizeof v, "%d", i);
            const char *vals[1] = {v};
            PGresult *r = NULL;
            rc = sc_exec(c, &select_int, vals, NULL, NULL, 0, &r, &e);
            PQclear(r);
            sc_pool_release(p, c);
        }
        errors += rc != SC_OK;
    }
    assert_int_equal(errors, 0);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.ping_failures, PING_N);
    assert_true(st.pings >= PING_N);
    assert_int_equal(sc_pool_close(p), 0);
}

static void pre_ping_skipped_inside_the_window(void **state)
{
    (void)state;
    sc_pool *p = ping_pool(1, 1e6);
    sc_error e = {0};
    for (int i = 0; i < 20; i++) {
        sc_conn *c = NULL;
        assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
        run_cached(c, i);
        sc_pool_release(p, c);
    }
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.pings, 0);
    assert_int_equal(st.acquired, 20);
    assert_int_equal(sc_pool_close(p), 0);
    /* contrast: window 0, every borrow of an idle connection pings */
    p = ping_pool(1, 0);
    for (int i = 0; i < 20; i++) {
        sc_conn *c = NULL;
        assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
        run_cached(c, i);
        sc_pool_release(p, c);
    }
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.pings, 19); /* the first borrow opened the connection */
    assert_int_equal(sc_pool_close(p), 0);
}

static void pre_ping_idle_from_env(void **state)
{
    (void)state;
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    assert_true(cfg.pre_ping_idle_s == 1.0);
    env_pair ok[] = {{"DB_POOL_PRE_PING_IDLE", "0.25"}, {NULL, NULL}};
    sc_error e = {0};
    assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, ok, &e), SC_OK);
    assert_true(cfg.pre_ping_idle_s == 0.25);
    sc_pool_config_cleanup(&cfg);
    const char *bad[] = {"-1", "abc", "nan", "inf", "1s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env_pair kv[] = {{"DB_POOL_PRE_PING_IDLE", bad[i]}, {NULL, NULL}};
        sc_error_clear(&e);
        assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, kv, &e),
                         SC_INVALID_INPUT);
        assert_non_null(strstr(e.message, "DB_POOL_PRE_PING_IDLE"));
        sc_pool_config_cleanup(&cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_misuse_is_undone),
        cmocka_unit_test(foreign_statement_with_our_prefix_is_deallocated),
        cmocka_unit_test(random_misuses_leave_no_dirty_borrower),
        cmocka_unit_test(clean_connection_is_not_reset),
        cmocka_unit_test(connection_left_in_pipeline_mode_is_closed),
        cmocka_unit_test(failed_reset_closes),
        cmocka_unit_test(pre_ping_with_zero_window_replaces_every_dead_backend),
        cmocka_unit_test(pre_ping_skipped_inside_the_window),
        cmocka_unit_test(pre_ping_idle_from_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
