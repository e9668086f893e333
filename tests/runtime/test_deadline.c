/* Every network wait has a deadline: a backend frozen with SIGSTOP (what a
 * network partition looks like to the client) must give SC_TIMEOUT while it
 * is still frozen, never a hang; a COMMIT without an answer is
 * SC_COMMIT_UNKNOWN; a write outside a transaction lost after it was sent
 * is SC_COMMIT_UNKNOWN, not the retryable SC_CONNECTION. Deterministic: the
 * assertion is that the call returned while /proc says the backend is still
 * stopped, no clock is compared. */
#include <signal.h>
#include <sys/types.h>

#include "rt_helpers.h"

static const sc_stmt select_pid = {"test_select_pid", "SELECT pg_backend_pid()", 0, NULL, NULL};
static const sc_stmt select_one = {"test_select_one", "SELECT 1", 0, NULL, NULL};
static const sc_stmt insert_row = {"test_insert_row", "INSERT INTO deadline_t VALUES (1)", 0,
                                   NULL, NULL};
static const sc_stmt insert_and_die = {
    "test_insert_and_die",
    "INSERT INTO deadline_t SELECT 2 WHERE pg_terminate_backend(pg_backend_pid())", 0, NULL,
    NULL};
static const sc_stmt select_and_die = {
    "test_select_and_die", "SELECT pg_terminate_backend(pg_backend_pid())", 0, NULL, NULL};

static sc_pool *deadline_pool(bool pre_ping)
{
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.client_timeout_s = 0.3;
    cfg.pre_ping = pre_ping;
    sc_pool *p = NULL;
    sc_error e = {0};
    if (sc_pool_open(&cfg, &p, &e) != SC_OK)
        fail_msg("sc_pool_open: %s", e.message);
    return p;
}

static int backend_pid(sc_conn *c)
{
    PGresult *r = NULL;
    sc_error e = {0};
    assert_int_equal(sc_exec(c, &select_pid, NULL, NULL, NULL, 0, &r, &e), SC_OK);
    int pid = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return pid;
}

/* The process state letter from /proc (T: stopped). */
static char process_state(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    assert_non_null(close_paren);
    return close_paren[2];
}

/* SIGSTOP and wait until the kernel reports the process stopped. */
static void freeze(int pid)
{
    assert_int_equal(kill(pid, SIGSTOP), 0);
    for (int i = 0; i < 100000 && process_state(pid) != 'T'; i++)
        rt_pause_ms(1);
    assert_int_equal(process_state(pid), 'T');
}

static void thaw(int pid)
{
    assert_int_equal(kill(pid, SIGCONT), 0);
}

static void statement_on_frozen_backend_times_out(void **state)
{
    (void)state;
    sc_pool *p = deadline_pool(false);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int pid = backend_pid(c);
    freeze(pid);
    int rc = sc_exec(c, &select_one, NULL, NULL, NULL, 0, NULL, &e);
    char still = process_state(pid);
    thaw(pid);
    assert_int_equal(rc, SC_TIMEOUT);
    assert_int_equal(e.category, SC_TIMEOUT);
    assert_int_equal(still, 'T');
    assert_true(sc_conn_is_broken(c));
    sc_pool_release(p, c);
    /* The pool goes on with a fresh connection. Behind PgBouncer a fresh
     * client connection may be given the thawed server backend again, once
     * PgBouncer has found it healthy: only directly is the pid new. */
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int next = backend_pid(c);
    if (!rt_pgbouncer())
        assert_int_not_equal(next, pid);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
}

/* A caller of sc_conn_pg gets libpq's blocking mode; the runtime's next
 * call still waits with its deadline. */
static void raw_access_is_blocking_and_runtime_keeps_its_deadline(void **state)
{
    (void)state;
    sc_pool *p = deadline_pool(false);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int pid = backend_pid(c);
    PGconn *pg = sc_conn_pg(c);
    assert_int_equal(PQisnonblocking(pg), 0);
    PGresult *r = PQexec(pg, "SELECT 1");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    freeze(pid);
    int rc = sc_exec(c, &select_one, NULL, NULL, NULL, 0, NULL, &e);
    char still = process_state(pid);
    thaw(pid);
    assert_int_equal(rc, SC_TIMEOUT);
    assert_int_equal(still, 'T');
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
}

static void commit_on_frozen_backend_is_unknown(void **state)
{
    (void)state;
    PGconn *admin = rt_raw();
    rt_raw_exec(admin, "CREATE TABLE IF NOT EXISTS deadline_t (v int)");
    sc_pool *p = deadline_pool(false);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int pid = backend_pid(c);
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    assert_int_equal(sc_exec(c, &insert_row, NULL, NULL, NULL, 0, NULL, &e), SC_OK);
    freeze(pid);
    int rc = sc_tx_commit(c, &e);
    char still = process_state(pid);
    thaw(pid);
    assert_int_equal(rc, SC_COMMIT_UNKNOWN);
    assert_int_equal(e.category, SC_COMMIT_UNKNOWN);
    assert_false(sc_status_is_retryable(rc));
    assert_int_equal(still, 'T');
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
    PQfinish(admin);
}

static void pre_ping_on_frozen_backend_replaces_it(void **state)
{
    (void)state;
    sc_pool *p = deadline_pool(true);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int pid = backend_pid(c);
    sc_pool_release(p, c);
    freeze(pid);
    int rc = sc_pool_acquire(p, &c, &e);
    char still = process_state(pid);
    int fresh = rc == SC_OK ? backend_pid(c) : 0;
    thaw(pid);
    assert_int_equal(rc, SC_OK);
    assert_int_equal(still, 'T');
    assert_int_not_equal(fresh, pid);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.ping_failures, 1);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
}

static void autocommit_write_lost_after_send_is_unknown(void **state)
{
    (void)state;
    PGconn *admin = rt_raw();
    rt_raw_exec(admin, "CREATE TABLE IF NOT EXISTS deadline_t (v int)");
    sc_pool *p = deadline_pool(false);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int rc = sc_exec(c, &insert_and_die, NULL, NULL, NULL, 0, NULL, &e);
    assert_int_equal(rc, SC_COMMIT_UNKNOWN);
    assert_int_equal(e.category, SC_COMMIT_UNKNOWN);
    assert_false(sc_status_is_retryable(rc));
    sc_pool_release(p, c);

    /* The same inside a transaction: rolled back, safe to retry. */
    sc_error_clear(&e);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    rc = sc_exec(c, &insert_and_die, NULL, NULL, NULL, 0, NULL, &e);
    assert_int_equal(rc, SC_CONNECTION);
    assert_true(sc_status_is_retryable(rc));
    sc_pool_release(p, c);

    /* A read lost outside a transaction changed nothing. */
    sc_error_clear(&e);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    rc = sc_exec(c, &select_and_die, NULL, NULL, NULL, 0, NULL, &e);
    assert_int_equal(rc, SC_CONNECTION);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
    PQfinish(admin);
}

static void bad_deadlines_are_refused(void **state)
{
    (void)state;
    const double bad[] = {0.0, -1.0, 1e30, 0.0 / 0.0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sc_pool_config cfg;
        rt_config(&cfg, 1, 0);
        cfg.client_timeout_s = bad[i];
        sc_pool *p = NULL;
        sc_error e = {0};
        assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_INVALID_INPUT);
        assert_non_null(strstr(e.message, "client_timeout_s"));
        assert_null(p);
    }
}

/* A connection held past leak_detection_s is reported by the housekeeping
 * thread once, with its tag, pid and last statement, while still borrowed. */
static void held_connection_is_reported_once(void **state)
{
    (void)state;
    rt_log log;
    rt_log_init(&log);
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.leak_detection_s = 0.05;
    cfg.log_fn = rt_log_fn;
    cfg.log_ctx = &log;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire_tagged(p, "leak_test_worker", &c, &e), SC_OK);
    int pid = backend_pid(c);
    /* The report names PQbackendPID, which behind PgBouncer is its key. */
    if (rt_pgbouncer())
        pid = PQbackendPID(sc_conn_pg(c));
    size_t seen = 0;
    for (int i = 0; i < 60000 && seen == 0; i++) { /* wait for the event, bounded */
        pthread_mutex_lock(&log.mu);
        seen = rt_log_count(&log, "leak_test_worker");
        pthread_mutex_unlock(&log.mu);
        if (!seen)
            rt_pause_ms(1);
    }
    assert_int_equal(seen, 1);
    assert_int_equal(sc_pool_check_leaks(p), 0); /* once per borrow */
    char pidtext[32];
    snprintf(pidtext, sizeof pidtext, "backend pid %d", pid);
    pthread_mutex_lock(&log.mu);
    assert_int_equal(rt_log_count(&log, pidtext), 1);
    assert_int_equal(rt_log_count(&log, "last statement test_select_pid"), 1);
    pthread_mutex_unlock(&log.mu);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
    rt_log_free(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(statement_on_frozen_backend_times_out),
        cmocka_unit_test(raw_access_is_blocking_and_runtime_keeps_its_deadline),
        cmocka_unit_test(commit_on_frozen_backend_is_unknown),
        cmocka_unit_test(pre_ping_on_frozen_backend_replaces_it),
        cmocka_unit_test(autocommit_write_lost_after_send_is_unknown),
        cmocka_unit_test(bad_deadlines_are_refused),
        cmocka_unit_test(held_connection_is_reported_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
