/* The pool: many threads, timeout, waiters, overflow, recycle, pre-ping,
 * dirty and busy returns, leak reports, server settings at connect. */
#include "rt_helpers.h"

static const Oid int_type[] = {23};
static const sc_stmt select_int = {"pool_select_int", "SELECT $1::int", 1, int_type, NULL};

enum { STRESS_THREADS = 16, STRESS_CYCLES = 10000 };

typedef struct stress_arg {
    sc_pool *pool;
    int id;
    int errors;
    char first_error[300];
} stress_arg;

static void *stress_worker(void *arg)
{
    stress_arg *a = arg;
    for (int i = 0; i < STRESS_CYCLES; i++) {
        sc_conn *c = NULL;
        sc_error e = {0};
        char v[24];
        snprintf(v, sizeof v, "%d", a->id * STRESS_CYCLES + i);
        const char *vals[1] = {v};
        PGresult *r = NULL;
        int rc = sc_pool_acquire(a->pool, &c, &e);
        if (rc == SC_OK) {
            rc = sc_exec(c, &select_int, vals, NULL, NULL, 0, &r, &e);
            if (rc == SC_OK && strcmp(PQgetvalue(r, 0, 0), v) != 0)
                rc = sc_error_set(&e, SC_DATABASE, "wrong answer %s for %s", PQgetvalue(r, 0, 0), v);
            PQclear(r);
            sc_pool_release(a->pool, c);
        }
        if (rc != SC_OK && a->errors++ == 0)
            snprintf(a->first_error, sizeof a->first_error, "%s: %s", sc_status_name(rc),
                     e.message);
    }
    return NULL;
}

static void sixteen_threads_share_four_connections(void **state)
{
    (void)state;
    sc_pool_config cfg;
    rt_config(&cfg, 4, 0);
    cfg.application_name = "schemac-stress"; /* none of the other tests' backends */
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    pthread_t t[STRESS_THREADS];
    stress_arg args[STRESS_THREADS];
    for (int i = 0; i < STRESS_THREADS; i++) {
        args[i] = (stress_arg){.pool = p, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, stress_worker, &args[i]), 0);
    }
    int errors = 0;
    for (int i = 0; i < STRESS_THREADS; i++) {
        pthread_join(t[i], NULL);
        if (args[i].errors)
            print_error("thread %d: %d errors, first %s\n", i, args[i].errors, args[i].first_error);
        errors += args[i].errors;
    }
    assert_int_equal(errors, 0);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.acquired, (uint64_t)STRESS_THREADS * STRESS_CYCLES);
    assert_int_equal(st.in_use, 0);
    assert_true(st.open <= 4);
    assert_int_equal(st.idle, st.open);
    assert_int_equal(st.timeouts, 0);
    PGconn *admin = rt_raw();
    assert_true(rt_raw_int(admin, "SELECT count(*) FROM pg_stat_activity"
                                  " WHERE application_name = 'schemac-stress'") <= 4);
    PQfinish(admin);
    assert_int_equal(sc_pool_close(p), 0);
}

static void acquire_times_out(void **state)
{
    (void)state;
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.timeout_s = 0.05;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *held = NULL, *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &held, &e), SC_OK);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_TIMEOUT);
    assert_null(c);
    assert_int_equal(e.category, SC_TIMEOUT);
    assert_non_null(strstr(e.message, "pool_size 1"));
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.timeouts, 1);
    sc_pool_release(p, held);
    sc_error_clear(&e);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
}

typedef struct waiter {
    sc_pool *pool;
    int rc;
    int pid;
} waiter;

static void *wait_for_connection(void *arg)
{
    waiter *w = arg;
    sc_conn *c = NULL;
    sc_error e = {0};
    w->rc = sc_pool_acquire(w->pool, &c, &e);
    if (w->rc == SC_OK) {
        w->pid = PQbackendPID(sc_conn_pg(c));
        sc_pool_release(w->pool, c);
    }
    return NULL;
}

static void waiter_gets_the_released_connection(void **state)
{
    (void)state;
    sc_pool *p = rt_pool(1, 0);
    sc_conn *held = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &held, &e), SC_OK);
    int pid = PQbackendPID(sc_conn_pg(held));
    waiter w = {p, -1, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_for_connection, &w), 0);
    sc_pool_stats st;
    int polls = 0;
    do {
        rt_pause_ms(1);
        sc_pool_get_stats(p, &st);
    } while (st.waiting == 0 && ++polls < 60000);
    assert_int_equal(st.waiting, 1);
    sc_pool_release(p, held);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, SC_OK);
    assert_int_equal(w.pid, pid);
    assert_int_equal(sc_pool_close(p), 0);
}

static void overflow_connections_close_when_returned(void **state)
{
    (void)state;
    sc_pool_config cfg;
    rt_config(&cfg, 2, 2);
    cfg.timeout_s = 0;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c[5] = {0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(sc_pool_acquire(p, &c[i], &e), SC_OK);
    assert_int_equal(sc_pool_acquire(p, &c[4], &e), SC_TIMEOUT);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.open, 4);
    for (int i = 0; i < 4; i++)
        sc_pool_release(p, c[i]);
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.open, 2);
    assert_int_equal(st.idle, 2);
    assert_int_equal(sc_pool_close(p), 0);
}

static void old_connections_are_recycled(void **state)
{
    (void)state;
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.recycle_s = 0.001;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int first = PQbackendPID(sc_conn_pg(c));
    /* Wait for the condition "older than recycle", whatever the clock does. */
    while (sc_conn_age(c) <= cfg.recycle_s)
        rt_pause_ms(1);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_not_equal(PQbackendPID(sc_conn_pg(c)), first);
    sc_pool_release(p, c);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_true(st.recycled >= 1);
    assert_true(st.connects >= 2);
    assert_int_equal(sc_pool_close(p), 0);

    /* Control: without recycling the same backend comes back. */
    cfg.recycle_s = -1;
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    first = PQbackendPID(sc_conn_pg(c));
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(PQbackendPID(sc_conn_pg(c)), first);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
}

static void pre_ping_replaces_a_terminated_idle_connection(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "kills the server backend of an idle connection, which PgBouncer links to none "
                             "in transaction mode");
    sc_pool *p = rt_pool(1, 0);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int first = rt_server_pid(c);
    sc_pool_release(p, c);
    PGconn *admin = rt_raw();
    rt_terminate(admin, first);
    PQfinish(admin);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_not_equal(rt_server_pid(c), first);
    assert_int_equal(rt_int(c, "SELECT 5"), 5);
    sc_pool_release(p, c);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.ping_failures, 1);
    assert_int_equal(sc_pool_close(p), 0);
}

static void without_pre_ping_the_dead_connection_is_evicted_on_failure(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "kills the server backend of an idle connection, which PgBouncer links to none "
                             "in transaction mode");
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.pre_ping = false;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int first = rt_server_pid(c);
    sc_pool_release(p, c);
    PGconn *admin = rt_raw();
    rt_terminate(admin, first);
    PQfinish(admin);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(sc_exec_sql(c, "SELECT 1", NULL, &e), SC_CONNECTION);
    sc_pool_release(p, c);
    sc_error_clear(&e);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(rt_int(c, "SELECT 6"), 6);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
}

static void dirty_return_is_rolled_back(void **state)
{
    (void)state;
    sc_pool *p = rt_pool(1, 0);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    rt_exec(c, "DROP TABLE IF EXISTS pool_dirty; CREATE TABLE pool_dirty (v int)");
    int pid = PQbackendPID(sc_conn_pg(c));
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    rt_exec(c, "INSERT INTO pool_dirty VALUES (1)");
    sc_pool_release(p, c); /* forgot to commit */

    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(PQbackendPID(sc_conn_pg(c)), pid);
    assert_int_equal(PQtransactionStatus(sc_conn_pg(c)), PQTRANS_IDLE);
    assert_int_equal(sc_tx_depth(c), 0);
    assert_int_equal(rt_int(c, "SELECT count(*) FROM pool_dirty"), 0);

    /* A failed transaction returned as is. */
    rt_exec(c, "BEGIN");
    assert_int_equal(sc_exec_sql(c, "SELECT 1/0", NULL, &e), SC_INVALID_INPUT);
    assert_int_equal(PQtransactionStatus(sc_conn_pg(c)), PQTRANS_INERROR);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(PQtransactionStatus(sc_conn_pg(c)), PQTRANS_IDLE);
    rt_exec(c, "DROP TABLE pool_dirty");
    sc_pool_release(p, c);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.dirty_returns, 2);
    assert_int_equal(sc_pool_close(p), 0);
}

static void busy_return_is_closed(void **state)
{
    (void)state;
    sc_pool *p = rt_pool(1, 0);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int pid = PQbackendPID(sc_conn_pg(c));
    assert_int_equal(PQsendQuery(sc_conn_pg(c), "SELECT 1"), 1); /* never read */
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_not_equal(PQbackendPID(sc_conn_pg(c)), pid);
    assert_int_equal(rt_int(c, "SELECT 2"), 2);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
}

static void close_reports_leaked_connections(void **state)
{
    (void)state;
    rt_log log;
    rt_log_init(&log);
    sc_pool_config cfg;
    rt_config(&cfg, 2, 0);
    cfg.log_fn = rt_log_fn;
    cfg.log_ctx = &log;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *kept = NULL, *leaked = NULL;
    assert_int_equal(sc_pool_acquire(p, &kept, &e), SC_OK);
    assert_int_equal(sc_pool_acquire(p, &leaked, &e), SC_OK);
    int pid = PQbackendPID(sc_conn_pg(leaked));
    sc_pool_release(p, kept);
    assert_int_equal(sc_pool_close(p), 1);
    char needle[64];
    snprintf(needle, sizeof needle, "backend pid %d", pid);
    assert_int_equal(rt_log_count(&log, needle), 1);
    assert_int_equal(rt_log_count(&log, "leaked"), 1);
    assert_null(sc_pool_close(NULL) ? "x" : NULL);
    rt_log_free(&log);
}

static void server_settings_are_sent_at_connect(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "session settings are sent with SET LOCAL per transaction under "
                             "DB_POOLER=transaction, not at connect");
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.statement_timeout_ms = 12000;
    cfg.lock_timeout_ms = 3000;
    cfg.idle_in_transaction_timeout_ms = 45000;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    PGresult *r = NULL;
    assert_int_equal(sc_exec_sql(c,
                                 "SELECT current_setting('application_name'),"
                                 " current_setting('jit'),"
                                 " (SELECT setting FROM pg_settings WHERE name = 'statement_timeout'),"
                                 " (SELECT setting FROM pg_settings WHERE name = 'lock_timeout'),"
                                 " (SELECT setting FROM pg_settings"
                                 "   WHERE name = 'idle_in_transaction_session_timeout')",
                                 &r, &e),
                     SC_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "schemac-test");
    assert_string_equal(PQgetvalue(r, 0, 1), "off");
    assert_string_equal(PQgetvalue(r, 0, 2), "12000");
    assert_string_equal(PQgetvalue(r, 0, 3), "3000");
    assert_string_equal(PQgetvalue(r, 0, 4), "45000");
    PQclear(r);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
}

/* idle_in_transaction_session_timeout ends the session on the server: the
 * next statement reports a lost connection and the pool evicts it. */
static void idle_in_transaction_timeout_evicts(void **state)
{
    (void)state;
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.idle_in_transaction_timeout_ms = 20;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    /* The pid inside the transaction: behind PgBouncer in transaction mode
     * the backend is c's only there (and SET LOCAL sets the timeout there). */
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    int pid = rt_server_pid(c);
    PGconn *admin = rt_raw();
    char gone[160];
    snprintf(gone, sizeof gone,
             "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %d)", pid);
    rt_wait_until(admin, gone);
    PQfinish(admin);
    assert_int_equal(sc_exec_sql(c, "SELECT 1", NULL, &e), SC_CONNECTION);
    assert_true(sc_conn_is_broken(c));
    sc_pool_release(p, c);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.open, 0);
    assert_int_equal(sc_pool_close(p), 0);
}

static void bad_config_and_refused_connections(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER(NULL,
                             "expects the server's own refusal messages; PgBouncer answers for an unknown "
                             "database or user itself");
    sc_pool_config cfg;
    rt_config(&cfg, 0, 0);
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_INVALID_INPUT);
    assert_null(p);
    rt_config(&cfg, 1, 0);
    cfg.conninfo = "host=/tmp port='unterminated";
    sc_error_clear(&e);
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_INVALID_INPUT);

    /* A database that does not exist: the server refuses, the slot is freed. */
    char url[1024];
    snprintf(url, sizeof url, "%s dbname=schemac_no_such_db", "");
    PQconninfoOption *opts = PQconninfoParse(rt_url(), NULL);
    assert_non_null(opts);
    size_t len = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && strcmp(o->keyword, "dbname") != 0)
            len += (size_t)snprintf(url + len, sizeof url - len, "%s='%s' ", o->keyword, o->val);
    PQconninfoFree(opts);
    snprintf(url + len, sizeof url - len, "dbname=schemac_no_such_db");
    rt_config(&cfg, 1, 0);
    cfg.conninfo = url;
    cfg.log_fn = rt_log_fn;
    rt_log log;
    rt_log_init(&log);
    cfg.log_ctx = &log;
    sc_error_clear(&e);
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    for (int i = 0; i < 3; i++) {
        sc_error_clear(&e);
        assert_int_equal(sc_pool_acquire(p, &c, &e), SC_CONNECTION);
        assert_non_null(strstr(e.message, "schemac_no_such_db"));
    }
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.open, 0);
    assert_int_equal(sc_pool_close(p), 0);
    rt_log_free(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sixteen_threads_share_four_connections),
        cmocka_unit_test(acquire_times_out),
        cmocka_unit_test(waiter_gets_the_released_connection),
        cmocka_unit_test(overflow_connections_close_when_returned),
        cmocka_unit_test(old_connections_are_recycled),
        cmocka_unit_test(pre_ping_replaces_a_terminated_idle_connection),
        cmocka_unit_test(without_pre_ping_the_dead_connection_is_evicted_on_failure),
        cmocka_unit_test(dirty_return_is_rolled_back),
        cmocka_unit_test(busy_return_is_closed),
        cmocka_unit_test(close_reports_leaked_connections),
        cmocka_unit_test(server_settings_are_sent_at_connect),
        cmocka_unit_test(idle_in_transaction_timeout_evicts),
        cmocka_unit_test(bad_config_and_refused_connections),
    };
    return cmocka_run_group_tests_name("runtime pool", tests, NULL, NULL);
}
