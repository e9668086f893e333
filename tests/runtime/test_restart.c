/* The server restarts under the pool (pg_ctl restart on the test cluster):
 * with pre_ping the next acquire hands out a fresh connection invisibly;
 * without it the first statement fails with SC_CONNECTION and sc_tx_run
 * retries on a fresh connection. */
#include <sys/wait.h>

#include "rt_helpers.h"

static void restart_server(void)
{
    const char *ctl = getenv("SC_TEST_PG_CTL");
    if (!ctl)
        fail_msg("SC_TEST_PG_CTL is not set: run under tests/pg/with-pg");
    int status = system("\"$SC_TEST_PG_CTL\" restart -m fast >/dev/null 2>&1");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void pool_with_pre_ping_recovers_on_next_acquire(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "restarts the server under idle connections, which transaction pooling keeps "
                             "open to PgBouncer: there is nothing to recover");
    sc_pool *p = rt_pool(2, 0);
    sc_conn *a = NULL, *b = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &a, &e), SC_OK);
    assert_int_equal(sc_pool_acquire(p, &b, &e), SC_OK);
    int old_a = PQbackendPID(sc_conn_pg(a)), old_b = PQbackendPID(sc_conn_pg(b));
    sc_pool_release(p, a);
    sc_pool_release(p, b);
    restart_server();
    assert_int_equal(sc_pool_acquire(p, &a, &e), SC_OK);
    assert_int_equal(sc_pool_acquire(p, &b, &e), SC_OK);
    assert_int_equal(rt_int(a, "SELECT 1"), 1);
    assert_int_equal(rt_int(b, "SELECT 2"), 2);
    int new_a = PQbackendPID(sc_conn_pg(a)), new_b = PQbackendPID(sc_conn_pg(b));
    assert_true(new_a != old_a && new_a != old_b);
    assert_true(new_b != old_a && new_b != old_b);
    sc_pool_release(p, a);
    sc_pool_release(p, b);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.ping_failures, 2);
    sc_health h;
    assert_int_equal(sc_health_check(p, &h, &e), SC_OK);
    assert_true(h.ok);
    assert_int_equal(sc_pool_close(p), 0);
}

static int select_one(sc_conn *c, void *ctx, sc_error *err)
{
    int *calls = ctx;
    (*calls)++;
    return sc_exec_sql(c, "SELECT 1", NULL, err);
}

static void pool_without_pre_ping_recovers_through_retry(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "restarts the server under idle connections, which transaction pooling keeps "
                             "open to PgBouncer: there is nothing to recover");
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.pre_ping = false;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    sc_pool_release(p, c);
    restart_server();
    int calls = 0;
    assert_int_equal(sc_tx_run(p, NULL, select_one, &calls, &e), SC_OK);
    assert_int_equal(calls, 1); /* BEGIN failed on the dead connection: fn never ran */
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.connects, 2);
    assert_int_equal(sc_pool_close(p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_with_pre_ping_recovers_on_next_acquire),
        cmocka_unit_test(pool_without_pre_ping_recovers_through_retry),
    };
    return cmocka_run_group_tests_name("runtime server restart", tests, NULL, NULL);
}
