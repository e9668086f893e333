/* sc_tx_run_conn: a transaction on the connection the caller holds (with a
 * pool of one, sc_tx_run would wait for a second), serialization failures
 * retried on it, every failed attempt's arena allocations rewound, a lost
 * connection and an open transaction refused rather than retried. */
#include "rt_helpers.h"

static sc_pool *pool;
static sc_conn *conn;

static int setup(void **state)
{
    (void)state;
    PGconn *pg = rt_raw();
    rt_raw_exec(pg, "SET client_min_messages = warning; DROP TABLE IF EXISTS txc_rows;"
                    "CREATE TABLE txc_rows (v int)");
    PQfinish(pg);
    pool = rt_pool(1, 0);
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(pool, &conn, &e), SC_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sc_pool_release(pool, conn);
    assert_int_equal(sc_pool_close(pool), 0);
    return 0;
}

static int clear_rows(void **state)
{
    (void)state;
    rt_exec(conn, "TRUNCATE txc_rows");
    return 0;
}

static long long rows_where(const char *cond)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM txc_rows WHERE %s", cond);
    return rt_int(conn, sql);
}

/* Fails its first `failures` attempts with a real 40001 from the server. */
typedef struct attempts {
    int calls, failures;
    void *block[8];
} attempts;

static int write_then_maybe_fail(sc_conn *c, sc_arena *a, void *ctx, sc_error *err)
{
    attempts *k = ctx;
    int call = k->calls++;
    k->block[call < 8 ? call : 7] = sc_arena_alloc(a, 4096);
    char sql[64];
    snprintf(sql, sizeof sql, "INSERT INTO txc_rows VALUES (%d)", call);
    int rc = sc_exec_sql(c, sql, NULL, err);
    if (rc == SC_OK && call < k->failures)
        rc = sc_exec_sql(c, "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001';"
                            " END $$", NULL, err);
    return rc;
}

static const sc_tx_options five_retries = {.retry_limit = 5, .retry_interval_s = 0.001};

static void runs_on_the_held_connection_of_a_pool_of_one(void **state)
{
    (void)state;
    attempts k = {0};
    sc_error e = {0};
    sc_arena *a = sc_arena_new(0);
    assert_int_equal(sc_tx_run_conn(conn, &five_retries, a, write_then_maybe_fail, &k, &e), SC_OK);
    assert_int_equal(k.calls, 1);
    assert_int_equal(rows_where("true"), 1);
    assert_int_equal(sc_tx_depth(conn), 0);
    sc_arena_free(a);
}

static void serialization_is_retried_and_failed_attempts_are_rewound(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    char *kept = sc_arena_strndup(a, "made before the transaction", 27);
    attempts k = {.failures = 2};
    sc_error e = {0};
    assert_int_equal(sc_tx_run_conn(conn, &five_retries, a, write_then_maybe_fail, &k, &e), SC_OK);
    assert_int_equal(k.calls, 3);
    /* Each attempt got the memory of the one before: nothing piled up. */
    assert_ptr_equal(k.block[0], k.block[1]);
    assert_ptr_equal(k.block[1], k.block[2]);
    assert_string_equal(kept, "made before the transaction");
    /* Only the committed attempt's row. */
    assert_int_equal(rows_where("true"), 1);
    assert_int_equal(rows_where("v = 2"), 1);
    /* The committed attempt's allocation stays. */
    assert_ptr_not_equal(sc_arena_alloc(a, 4096), k.block[2]);
    sc_arena_free(a);
}

static void exhausted_retries_keep_nothing(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    attempts k = {.failures = 100};
    sc_error e = {0};
    sc_tx_options two = {.retry_limit = 2, .retry_interval_s = 0};
    assert_int_equal(sc_tx_run_conn(conn, &two, a, write_then_maybe_fail, &k, &e),
                     SC_SERIALIZATION);
    assert_int_equal(e.category, SC_SERIALIZATION);
    assert_string_equal(e.sqlstate, "40001");
    assert_int_equal(k.calls, 3);
    assert_int_equal(rows_where("true"), 0);
    assert_ptr_equal(sc_arena_alloc(a, 4096), k.block[0]); /* rewound to where it began */
    sc_arena_free(a);
}

static int never_called(sc_conn *c, sc_arena *a, void *ctx, sc_error *err)
{
    (void)c;
    (void)a;
    (void)err;
    ++*(int *)ctx;
    return SC_OK;
}

static void refused_inside_a_transaction_and_without_arguments(void **state)
{
    (void)state;
    int calls = 0;
    sc_error e = {0};
    assert_int_equal(sc_tx_begin(conn, NULL, &e), SC_OK);
    assert_int_equal(sc_tx_run_conn(conn, NULL, NULL, never_called, &calls, &e), SC_MISUSE);
    assert_int_equal(sc_tx_rollback(conn, NULL), SC_OK);
    sc_error_clear(&e);
    assert_int_equal(sc_tx_run_conn(NULL, NULL, NULL, never_called, &calls, &e), SC_MISUSE);
    assert_int_equal(sc_tx_run_conn(conn, NULL, NULL, NULL, &calls, NULL), SC_MISUSE);
    assert_int_equal(calls, 0);
}

static int kill_own_backend(sc_conn *c, sc_arena *a, void *ctx, sc_error *err)
{
    (void)a;
    ++*(int *)ctx;
    return sc_exec_sql(c, "SELECT pg_terminate_backend(pg_backend_pid())", NULL, err);
}

/* The held connection is gone: no retry can run on it. */
static void lost_connection_is_returned_not_retried(void **state)
{
    (void)state;
    int calls = 0;
    sc_error e = {0};
    assert_int_equal(sc_tx_run_conn(conn, &five_retries, NULL, kill_own_backend, &calls, &e),
                     SC_CONNECTION);
    assert_int_equal(calls, 1);
    assert_true(sc_conn_is_broken(conn));
    sc_pool_release(pool, conn);
    sc_error_clear(&e);
    assert_int_equal(sc_pool_acquire(pool, &conn, &e), SC_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(runs_on_the_held_connection_of_a_pool_of_one, clear_rows),
        cmocka_unit_test_setup(serialization_is_retried_and_failed_attempts_are_rewound,
                               clear_rows),
        cmocka_unit_test_setup(exhausted_retries_keep_nothing, clear_rows),
        cmocka_unit_test_setup(refused_inside_a_transaction_and_without_arguments, clear_rows),
        cmocka_unit_test_setup(lost_connection_is_returned_not_retried, clear_rows),
    };
    return cmocka_run_group_tests_name("tx_conn", tests, setup, teardown);
}
