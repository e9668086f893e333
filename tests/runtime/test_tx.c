/* Transactions: nesting, isolation, read-only, failed COMMIT, and sc_tx_run
 * retrying real serialization failures, real deadlocks and a backend killed
 * mid-transaction, while a connection lost during COMMIT is reported as
 * SC_COMMIT_UNKNOWN and never retried. Timeouts map to their categories. */
#include "rt_helpers.h"

static sc_pool *pool;

static int setup(void **state)
{
    (void)state;
    pool = rt_pool(4, 0);
    PGconn *pg = rt_raw();
    rt_raw_exec(pg, "SET client_min_messages = warning;"
                    "DROP TABLE IF EXISTS tx_rows, tx_ssi, tx_locks, tx_cu;"
                    "DROP FUNCTION IF EXISTS tx_cu_block();"
                    "CREATE TABLE tx_rows (v int PRIMARY KEY);"
                    "CREATE TABLE tx_ssi (who text, v int);"
                    "CREATE TABLE tx_locks (id int PRIMARY KEY, n int);"
                    "INSERT INTO tx_locks VALUES (1, 0), (2, 0);"
                    "CREATE TABLE tx_cu (v int);"
                    /* Blocks COMMIT (deferred trigger) until the admin lock goes. */
                    "CREATE FUNCTION tx_cu_block() RETURNS trigger LANGUAGE plpgsql AS"
                    " $$ BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$;"
                    "CREATE CONSTRAINT TRIGGER tx_cu_at_commit AFTER INSERT ON tx_cu"
                    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tx_cu_block()");
    PQfinish(pg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(sc_pool_close(pool), 0);
    return 0;
}

static int reset_rows(void **state)
{
    (void)state;
    PGconn *pg = rt_raw();
    rt_raw_exec(pg, "TRUNCATE tx_rows, tx_ssi, tx_cu; UPDATE tx_locks SET n = 0");
    PQfinish(pg);
    return 0;
}

static long long count_rows(const char *sql)
{
    PGconn *pg = rt_raw();
    long long n = rt_raw_int(pg, sql);
    PQfinish(pg);
    return n;
}

static void nested_savepoints(void **state)
{
    (void)state;
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(pool, &c, &e), SC_OK);
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    rt_exec(c, "INSERT INTO tx_rows VALUES (1)");
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    assert_int_equal(sc_tx_depth(c), 2);
    rt_exec(c, "INSERT INTO tx_rows VALUES (2)");
    assert_int_equal(sc_tx_rollback(c, &e), SC_OK); /* drops 2 only */
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    rt_exec(c, "INSERT INTO tx_rows VALUES (3)");
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    assert_int_equal(sc_tx_depth(c), 3);
    assert_int_equal(sc_exec_sql(c, "SELECT 1/0", NULL, &e), SC_INVALID_INPUT);
    sc_error_clear(&e);
    assert_int_equal(sc_tx_rollback(c, &e), SC_OK); /* the failure is contained */
    rt_exec(c, "INSERT INTO tx_rows VALUES (4)");
    assert_int_equal(sc_tx_commit(c, &e), SC_OK);   /* releases the savepoint */
    assert_int_equal(sc_tx_depth(c), 1);
    assert_int_equal(sc_tx_commit(c, &e), SC_OK);
    assert_int_equal(sc_tx_depth(c), 0);
    sc_pool_release(pool, c);
    assert_int_equal(count_rows("SELECT count(*) FROM tx_rows"), 3);
    assert_int_equal(count_rows("SELECT sum(v) FROM tx_rows"), 1 + 3 + 4);
}

static void isolation_read_only_and_failed_commit(void **state)
{
    (void)state;
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(pool, &c, &e), SC_OK);
    sc_tx_options o = SC_TX_OPTIONS_DEFAULT;
    o.isolation = SC_ISOLATION_SERIALIZABLE;
    o.read_only = true;
    assert_int_equal(sc_tx_begin(c, &o, &e), SC_OK);
    PGresult *r = NULL;
    assert_int_equal(sc_exec_sql(c, "SELECT current_setting('transaction_isolation'),"
                                    " current_setting('transaction_read_only')",
                                 &r, &e),
                     SC_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "serializable");
    assert_string_equal(PQgetvalue(r, 0, 1), "on");
    PQclear(r);
    assert_int_equal(sc_exec_sql(c, "INSERT INTO tx_rows VALUES (9)", NULL, &e), SC_READ_ONLY);
    assert_string_equal(e.sqlstate, "25006");
    assert_false(sc_conn_is_broken(c)); /* the transaction's own refusal, not a standby */
    /* COMMIT of a failed transaction is a rollback, and says so. */
    sc_error_clear(&e);
    assert_int_equal(sc_tx_commit(c, &e), SC_DATABASE);
    assert_string_equal(e.sqlstate, "25P02");
    assert_int_equal(sc_tx_depth(c), 0);
    o.isolation = SC_ISOLATION_REPEATABLE_READ;
    o.read_only = false;
    assert_int_equal(sc_tx_begin(c, &o, &e), SC_OK);
    assert_int_equal(sc_exec_sql(c, "SELECT current_setting('transaction_isolation')", &r, &e),
                     SC_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "repeatable read");
    PQclear(r);
    assert_int_equal(sc_tx_rollback(c, &e), SC_OK);
    sc_pool_release(pool, c);
}

/* --- sc_tx_run ------------------------------------------------------------ */

typedef struct counted {
    int calls;
    int result;
} counted;

static int always_fail(sc_conn *c, void *ctx, sc_error *err)
{
    (void)c;
    counted *k = ctx;
    k->calls++;
    return sc_error_set(err, k->result, "made up failure");
}

static void retries_are_bounded_and_only_for_retryable_failures(void **state)
{
    (void)state;
    sc_tx_options o = SC_TX_OPTIONS_DEFAULT;
    o.retry_limit = 2;
    o.retry_interval_s = 0;
    counted k = {0, SC_SERIALIZATION};
    sc_error e = {0};
    assert_int_equal(sc_tx_run(pool, &o, always_fail, &k, &e), SC_SERIALIZATION);
    assert_int_equal(k.calls, 3);
    assert_string_equal(e.message, "made up failure");
    k = (counted){0, SC_CONFLICT};
    sc_error_clear(&e);
    assert_int_equal(sc_tx_run(pool, &o, always_fail, &k, &e), SC_CONFLICT);
    assert_int_equal(k.calls, 1);
}

static int insert_and_commit(sc_conn *c, void *ctx, sc_error *err)
{
    counted *k = ctx;
    k->calls++;
    return sc_exec_sql(c, "INSERT INTO tx_rows VALUES (100)", NULL, err);
}

static int leave_savepoint_open(sc_conn *c, void *ctx, sc_error *err)
{
    (void)ctx;
    return sc_tx_begin(c, NULL, err);
}

static void run_commits_and_rejects_unbalanced_callbacks(void **state)
{
    (void)state;
    counted k = {0, 0};
    sc_error e = {0};
    assert_int_equal(sc_tx_run(pool, NULL, insert_and_commit, &k, &e), SC_OK);
    assert_int_equal(k.calls, 1);
    assert_int_equal(count_rows("SELECT count(*) FROM tx_rows WHERE v = 100"), 1);
    assert_int_equal(sc_tx_run(pool, NULL, leave_savepoint_open, NULL, &e), SC_MISUSE);
}

/* Two SERIALIZABLE transactions, each reading what the other writes: SSI
 * must abort one of them; sc_tx_run retries it to success. */
typedef struct ssi_arg {
    pthread_barrier_t *both_read;
    const char *who;
    int calls;
    int rc;
    sc_error err;
} ssi_arg;

static int write_skew(sc_conn *c, void *ctx, sc_error *err)
{
    ssi_arg *a = ctx;
    a->calls++;
    PGresult *r = NULL;
    int rc = sc_exec_sql(c, "SELECT count(*) FROM tx_ssi", &r, err);
    PQclear(r);
    if (rc != SC_OK)
        return rc;
    if (a->calls == 1)
        pthread_barrier_wait(a->both_read);
    const char *vals[1] = {a->who};
    return sc_exec_params(c, "INSERT INTO tx_ssi SELECT $1, count(*) FROM tx_ssi", 1, vals, NULL,
                          err);
}

static void *run_write_skew(void *arg)
{
    ssi_arg *a = arg;
    sc_tx_options o = SC_TX_OPTIONS_DEFAULT;
    o.isolation = SC_ISOLATION_SERIALIZABLE;
    o.retry_limit = 5;
    a->rc = sc_tx_run(pool, &o, write_skew, a, &a->err);
    return NULL;
}

static void serialization_failure_is_retried(void **state)
{
    (void)state;
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 2);
    ssi_arg a1 = {.both_read = &b, .who = "a"}, a2 = {.both_read = &b, .who = "b"};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, run_write_skew, &a1);
    pthread_create(&t2, NULL, run_write_skew, &a2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_barrier_destroy(&b);
    assert_int_equal(a1.rc, SC_OK);
    assert_int_equal(a2.rc, SC_OK);
    assert_int_equal(a1.calls + a2.calls, 3); /* exactly one retry */
    /* Serial order: one saw 0 rows, the other 1. */
    assert_int_equal(count_rows("SELECT count(*) FROM tx_ssi"), 2);
    assert_int_equal(count_rows("SELECT sum(v) FROM tx_ssi"), 1);
}

typedef struct deadlock_arg {
    pthread_barrier_t *both_locked;
    int first, second;
    int calls;
    int rc;
} deadlock_arg;

static int lock_two_rows(sc_conn *c, void *ctx, sc_error *err)
{
    deadlock_arg *a = ctx;
    a->calls++;
    char sql[96];
    int rc = sc_exec_sql(c, "SET LOCAL deadlock_timeout = '10ms'", NULL, err);
    snprintf(sql, sizeof sql, "UPDATE tx_locks SET n = n + 1 WHERE id = %d", a->first);
    if (rc == SC_OK)
        rc = sc_exec_sql(c, sql, NULL, err);
    if (rc != SC_OK)
        return rc;
    if (a->calls == 1)
        pthread_barrier_wait(a->both_locked);
    snprintf(sql, sizeof sql, "UPDATE tx_locks SET n = n + 1 WHERE id = %d", a->second);
    return sc_exec_sql(c, sql, NULL, err);
}

static void *run_lock_two_rows(void *arg)
{
    deadlock_arg *a = arg;
    sc_error e = {0};
    a->rc = sc_tx_run(pool, NULL, lock_two_rows, a, &e);
    return NULL;
}

static void deadlock_is_retried(void **state)
{
    (void)state;
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 2);
    deadlock_arg a1 = {&b, 1, 2, 0, -1}, a2 = {&b, 2, 1, 0, -1};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, run_lock_two_rows, &a1);
    pthread_create(&t2, NULL, run_lock_two_rows, &a2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_barrier_destroy(&b);
    assert_int_equal(a1.rc, SC_OK);
    assert_int_equal(a2.rc, SC_OK);
    /* At least one retry. Not exactly one: when the victim's retry grabs the
     * row the survivor was waiting for before the survivor wakes, the two
     * deadlock again (seen under a loaded SAN run); each retry is bounded. */
    assert_true(a1.calls + a2.calls >= 3);
    assert_int_equal(count_rows("SELECT sum(n) FROM tx_locks"), 4);
}

/* The callback kills its own backend between two writes on the first
 * attempt: the first write must not survive, and the retry lands both. */
typedef struct kill_arg {
    int calls;
} kill_arg;

static int write_kill_write(sc_conn *c, void *ctx, sc_error *err)
{
    kill_arg *a = ctx;
    a->calls++;
    int rc = sc_exec_sql(c, "INSERT INTO tx_rows VALUES (1)", NULL, err);
    if (rc != SC_OK)
        return rc;
    if (a->calls == 1) {
        PGconn *admin = rt_raw();
        rt_terminate(admin, rt_server_pid(c));
        PQfinish(admin);
    }
    return sc_exec_sql(c, "INSERT INTO tx_rows VALUES (2)", NULL, err);
}

static void backend_killed_mid_transaction_is_retried(void **state)
{
    (void)state;
    sc_pool_stats before, after;
    sc_pool_get_stats(pool, &before);
    kill_arg a = {0};
    sc_error e = {0};
    assert_int_equal(sc_tx_run(pool, NULL, write_kill_write, &a, &e), SC_OK);
    assert_int_equal(a.calls, 2);
    assert_int_equal(count_rows("SELECT count(*) FROM tx_rows"), 2);
    sc_pool_get_stats(pool, &after);
    assert_int_equal(after.evicted, before.evicted + 1);
}

static void backend_killed_mid_transaction_leaves_no_partial_write(void **state)
{
    (void)state;
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(pool, &c, &e), SC_OK);
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    rt_exec(c, "INSERT INTO tx_rows VALUES (7)");
    PGconn *admin = rt_raw();
    rt_terminate(admin, rt_server_pid(c));
    PQfinish(admin);
    assert_int_equal(sc_exec_sql(c, "INSERT INTO tx_rows VALUES (8)", NULL, &e), SC_CONNECTION);
    sc_error_clear(&e);
    assert_int_equal(sc_tx_commit(c, &e), SC_CONNECTION); /* never sent */
    sc_pool_release(pool, c);
    assert_int_equal(count_rows("SELECT count(*) FROM tx_rows"), 0);
    /* The pool recovers at once. */
    assert_int_equal(sc_pool_acquire(pool, &c, &e), SC_OK);
    assert_int_equal(rt_int(c, "SELECT 3"), 3);
    sc_pool_release(pool, c);
}

/* Kill the backend while COMMIT waits inside a deferred trigger. */
typedef struct killer_arg {
    int killed_pid;
} killer_arg;

static void *kill_during_commit(void *arg)
{
    killer_arg *k = arg;
    PGconn *admin = rt_raw();
    rt_wait_until(admin, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query = 'COMMIT'"
                         " AND wait_event = 'advisory')");
    k->killed_pid = (int)rt_raw_int(admin, "SELECT pid FROM pg_stat_activity"
                                           " WHERE query = 'COMMIT' AND wait_event = 'advisory'");
    rt_terminate(admin, k->killed_pid);
    PQfinish(admin);
    return NULL;
}

static int insert_blocking_row(sc_conn *c, void *ctx, sc_error *err)
{
    counted *k = ctx;
    k->calls++;
    return sc_exec_sql(c, "INSERT INTO tx_cu VALUES (1)", NULL, err);
}

static void connection_lost_during_commit_is_commit_unknown(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "holds a session advisory lock on an admin connection, which transaction "
                             "pooling hands to other clients");
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.lock_timeout_ms = 0;
    cfg.statement_timeout_ms = 0;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    PGconn *holder = rt_raw();
    rt_raw_exec(holder, "SELECT pg_advisory_lock(4242)");
    killer_arg k = {0};
    pthread_t t;
    pthread_create(&t, NULL, kill_during_commit, &k);
    counted calls = {0, 0};
    int rc = sc_tx_run(p, NULL, insert_blocking_row, &calls, &e);
    pthread_join(t, NULL);
    rt_raw_exec(holder, "SELECT pg_advisory_unlock(4242)");
    PQfinish(holder);
    assert_int_equal(rc, SC_COMMIT_UNKNOWN);
    assert_int_equal(e.category, SC_COMMIT_UNKNOWN);
    assert_int_equal(calls.calls, 1); /* never retried blindly */
    assert_true(k.killed_pid > 0);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(sc_pool_close(p), 0);
}

static void statement_and_lock_timeouts_are_mapped(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "checks timeouts on autocommit statements, which DB_POOLER=transaction sets "
                             "only per transaction (SET LOCAL at sc_tx_begin), and holds a session advisory "
                             "lock");
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.statement_timeout_ms = 50;
    cfg.lock_timeout_ms = 0;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    PGconn *holder = rt_raw();
    rt_raw_exec(holder, "SELECT pg_advisory_lock(77)");
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    /* Would wait forever on the held lock: only the timeout ends it. */
    assert_int_equal(sc_exec_sql(c, "SELECT pg_advisory_lock(77)", NULL, &e), SC_QUERY_TIMEOUT);
    assert_string_equal(e.sqlstate, "57014");
    assert_false(sc_conn_is_broken(c));
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);

    cfg.statement_timeout_ms = 0;
    cfg.lock_timeout_ms = 50;
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    rt_raw_exec(holder, "BEGIN; LOCK TABLE tx_rows IN ACCESS EXCLUSIVE MODE");
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    sc_error_clear(&e);
    assert_int_equal(sc_exec_sql(c, "SELECT count(*) FROM tx_rows", NULL, &e), SC_LOCK_TIMEOUT);
    assert_string_equal(e.sqlstate, "55P03");
    sc_pool_release(p, c);
    rt_raw_exec(holder, "ROLLBACK; SELECT pg_advisory_unlock(77)");
    PQfinish(holder);
    assert_int_equal(sc_pool_close(p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(nested_savepoints, reset_rows),
        cmocka_unit_test_setup(isolation_read_only_and_failed_commit, reset_rows),
        cmocka_unit_test_setup(retries_are_bounded_and_only_for_retryable_failures, reset_rows),
        cmocka_unit_test_setup(run_commits_and_rejects_unbalanced_callbacks, reset_rows),
        cmocka_unit_test_setup(serialization_failure_is_retried, reset_rows),
        cmocka_unit_test_setup(deadlock_is_retried, reset_rows),
        cmocka_unit_test_setup(backend_killed_mid_transaction_is_retried, reset_rows),
        cmocka_unit_test_setup(backend_killed_mid_transaction_leaves_no_partial_write, reset_rows),
        cmocka_unit_test_setup(connection_lost_during_commit_is_commit_unknown, reset_rows),
        cmocka_unit_test_setup(statement_and_lock_timeouts_are_mapped, reset_rows),
    };
    return cmocka_run_group_tests_name("runtime transactions", tests, setup, teardown);
}
