/* The statement executor: prepared once per connection and cached by
 * descriptor, binary results, NULL parameters, recovery when the server
 * forgot a statement, and pooler=transaction mode keeping nothing prepared. */
#include <arpa/inet.h>

#include "rt_helpers.h"

static const Oid one_text[] = {25};
static const sc_stmt echo_text = {"exec_echo_text", "SELECT $1::text", 1, one_text, NULL};
static const Oid one_int[] = {23};
static const sc_stmt plus_one = {"exec_plus_one", "SELECT $1 + 1", 1, one_int, NULL};
static const sc_stmt no_types = {"exec_no_types", "SELECT $1::int * 2", 1, NULL, NULL};

static long long server_prepared(sc_conn *c)
{
    return rt_int(c, "SELECT count(*) FROM pg_prepared_statements");
}

static void statements_are_prepared_once_per_connection(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "tests the per-connection statement cache, which DB_POOLER=transaction turns "
                             "off (transaction_pooler_keeps_nothing_prepared covers that mode)");
    sc_pool *p = rt_pool(1, 0);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    for (int i = 0; i < 50; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        const char *vals[1] = {v};
        PGresult *r = NULL;
        assert_int_equal(sc_exec(c, &plus_one, vals, NULL, NULL, 0, &r, &e), SC_OK);
        assert_int_equal(atoi(PQgetvalue(r, 0, 0)), i + 1);
        PQclear(r);
        assert_int_equal(sc_exec(c, &no_types, vals, NULL, NULL, 0, &r, &e), SC_OK);
        assert_int_equal(atoi(PQgetvalue(r, 0, 0)), 2 * i);
        PQclear(r);
    }
    assert_int_equal(sc_conn_cached_statements(c), 2);
    assert_int_equal(server_prepared(c), 2);
    sc_pool_release(p, c);
    /* The same connection comes back with its cache warm. */
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(sc_conn_cached_statements(c), 2);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
}

/* Many descriptors: the cache grows past its first table. */
static void cache_grows(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "tests the per-connection statement cache, which DB_POOLER=transaction turns "
                             "off (transaction_pooler_keeps_nothing_prepared covers that mode)");
    enum { N = 40 };
    static sc_stmt many[N];
    static char sql[N][32];
    for (int i = 0; i < N; i++) {
        snprintf(sql[i], sizeof sql[i], "SELECT %d", i);
        many[i] = (sc_stmt){"exec_many", sql[i], 0, NULL, NULL};
    }
    sc_pool *p = rt_pool(1, 0);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i++) {
            PGresult *r = NULL;
            assert_int_equal(sc_exec(c, &many[i], NULL, NULL, NULL, 0, &r, &e), SC_OK);
            assert_int_equal(atoi(PQgetvalue(r, 0, 0)), i);
            PQclear(r);
        }
    assert_int_equal(sc_conn_cached_statements(c), N);
    assert_int_equal(server_prepared(c), N);
    sc_pool_release(p, c);
    sc_pool_close(p);
}

static void binary_results_and_null_parameters(void **state)
{
    (void)state;
    sc_pool *p = rt_pool(1, 0);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    uint32_t be = htonl(41);
    const char *vals[1] = {(const char *)&be};
    int lens[1] = {4}, fmts[1] = {1};
    PGresult *r = NULL;
    assert_int_equal(sc_exec(c, &plus_one, vals, lens, fmts, 1, &r, &e), SC_OK);
    assert_int_equal(PQfformat(r, 0), 1);
    uint32_t got;
    memcpy(&got, PQgetvalue(r, 0, 0), 4);
    assert_int_equal(ntohl(got), 42);
    PQclear(r);

    const char *nulls[1] = {NULL};
    assert_int_equal(sc_exec(c, &echo_text, nulls, NULL, NULL, 0, &r, &e), SC_OK);
    assert_true(PQgetisnull(r, 0, 0));
    PQclear(r);
    /* A NULL out clears the result for the caller. */
    assert_int_equal(sc_exec(c, &echo_text, nulls, NULL, NULL, 0, NULL, &e), SC_OK);
    sc_pool_release(p, c);
    sc_pool_close(p);
}

static void forgotten_statement_is_prepared_again(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "tests the per-connection statement cache, which DB_POOLER=transaction turns "
                             "off (transaction_pooler_keeps_nothing_prepared covers that mode)");
    sc_pool *p = rt_pool(1, 0);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    const char *vals[1] = {"abc"};
    assert_int_equal(sc_exec(c, &echo_text, vals, NULL, NULL, 0, NULL, &e), SC_OK);
    rt_exec(c, "DEALLOCATE ALL");
    PGresult *r = NULL;
    assert_int_equal(sc_exec(c, &echo_text, vals, NULL, NULL, 0, &r, &e), SC_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "abc");
    PQclear(r);
    assert_int_equal(server_prepared(c), 1);

    /* Inside a transaction the error has aborted it: reported, not hidden. */
    rt_exec(c, "DEALLOCATE ALL");
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    assert_int_equal(sc_exec(c, &echo_text, vals, NULL, NULL, 0, NULL, &e), SC_DATABASE);
    assert_string_equal(e.sqlstate, "26000");
    sc_error_clear(&e);
    assert_int_equal(sc_tx_rollback(c, &e), SC_OK);
    assert_int_equal(sc_exec(c, &echo_text, vals, NULL, NULL, 0, NULL, &e), SC_OK);
    sc_pool_release(p, c);
    sc_pool_close(p);
}

#define STATEMENT_TIMEOUT "SELECT setting::int FROM pg_settings WHERE name = 'statement_timeout'"

static void transaction_pooler_keeps_nothing_prepared(void **state)
{
    (void)state;
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.pooler = SC_POOLER_TRANSACTION;
    cfg.statement_timeout_ms = 4321;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    assert_int_equal(sc_pool_pooler(p), SC_POOLER_TRANSACTION);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    for (int i = 0; i < 3; i++) {
        const char *vals[1] = {"7"};
        PGresult *r = NULL;
        assert_int_equal(sc_exec(c, &plus_one, vals, NULL, NULL, 0, &r, &e), SC_OK);
        assert_string_equal(PQgetvalue(r, 0, 0), "8");
        PQclear(r);
    }
    assert_int_equal(sc_conn_cached_statements(c), 0);
    assert_int_equal(server_prepared(c), 0);
    /* No session SET was sent: the server default (0) stays outside a
     * transaction, and SET LOCAL applies inside one only. */
    assert_int_equal(rt_int(c, STATEMENT_TIMEOUT), 0);
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    assert_int_equal(rt_int(c, STATEMENT_TIMEOUT), 4321);
    assert_int_equal(sc_tx_commit(c, &e), SC_OK);
    assert_int_equal(rt_int(c, STATEMENT_TIMEOUT), 0);
    sc_pool_release(p, c);
    sc_pool_close(p);
}

/* A descriptor that breaks the "static const" rule must not run stale SQL. */
static void reused_descriptor_address_is_prepared_again(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "tests the per-connection statement cache, which DB_POOLER=transaction turns "
                             "off (transaction_pooler_keeps_nothing_prepared covers that mode)");
    rt_log log;
    rt_log_init(&log);
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.log_fn = rt_log_fn;
    cfg.log_ctx = &log;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    sc_stmt d = {"exec_reused", "SELECT 1", 0, NULL, NULL};
    PGresult *r = NULL;
    assert_int_equal(sc_exec(c, &d, NULL, NULL, NULL, 0, &r, &e), SC_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "1");
    PQclear(r);
    d.sql = "SELECT 2";
    assert_int_equal(sc_exec(c, &d, NULL, NULL, NULL, 0, &r, &e), SC_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "2");
    PQclear(r);
    assert_int_equal(rt_log_count(&log, "descriptor address reused"), 1);
    sc_pool_release(p, c);
    sc_pool_close(p);
    rt_log_free(&log);
}

static void misuse_is_reported(void **state)
{
    (void)state;
    sc_error e = {0};
    assert_int_equal(sc_exec(NULL, &plus_one, NULL, NULL, NULL, 0, NULL, &e), SC_MISUSE);
    sc_pool *p = rt_pool(1, 0);
    sc_conn *c = NULL;
    sc_error_clear(&e);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    /* A statement with parameters but no values. */
    assert_int_equal(sc_exec(c, &plus_one, NULL, NULL, NULL, 0, NULL, &e), SC_MISUSE);
    sc_error_clear(&e);
    assert_int_equal(sc_tx_commit(c, &e), SC_MISUSE);
    sc_error_clear(&e);
    assert_int_equal(sc_tx_rollback(c, &e), SC_MISUSE);
    sc_pool_release(p, c);
    sc_pool_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(statements_are_prepared_once_per_connection),
        cmocka_unit_test(cache_grows),
        cmocka_unit_test(binary_results_and_null_parameters),
        cmocka_unit_test(forgotten_statement_is_prepared_again),
        cmocka_unit_test(transaction_pooler_keeps_nothing_prepared),
        cmocka_unit_test(reused_descriptor_address_is_prepared_again),
        cmocka_unit_test(misuse_is_reported),
    };
    return cmocka_run_group_tests_name("runtime executor", tests, NULL, NULL);
}
