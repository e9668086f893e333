/* Fault tests (SQLite style): fail the Nth runtime allocation and check that
 * every path reports SC_NO_MEMORY and leaks nothing (LeakSanitizer under
 * SAN=1); drop the connection at step N of a transaction and check that no
 * partial write survives. */
#include "rt_helpers.h"

static const Oid int_type[] = {23};
static const sc_stmt stmts[3] = {
    {"fault_a", "SELECT $1::int + 1", 1, int_type, NULL},
    {"fault_b", "SELECT $1::int + 2", 1, int_type, NULL},
    {"fault_c", "SELECT $1::int + 3", 1, int_type, NULL},
};

static const char *url_lookup(const char *name, void *ctx)
{
    (void)ctx;
    if (strcmp(name, "DATABASE_URL") == 0)
        return getenv("DATABASE_URL");
    if (strcmp(name, "DB_POOL_SIZE") == 0)
        return "2";
    return NULL;
}

static int three_statements(sc_conn *c, void *ctx, sc_error *err)
{
    (void)ctx;
    for (int i = 0; i < 3; i++) {
        const char *v[1] = {"1"};
        int rc = sc_exec(c, &stmts[i], v, NULL, NULL, 0, NULL, err);
        if (rc != SC_OK)
            return rc;
    }
    return SC_OK;
}

/* Everything that allocates, once; cleans up on every path. */
static int scenario(sc_arena *arena)
{
    sc_pool_config cfg;
    sc_error e = {0};
    int rc = sc_pool_config_from_lookup(&cfg, url_lookup, NULL, &e);
    if (rc != SC_OK)
        return rc;
    cfg.application_name = "schemac-fault";
    cfg.conninfo = cfg.owned_conninfo;
    sc_pool *p = NULL;
    rc = sc_pool_open(&cfg, &p, &e);
    sc_pool_config_cleanup(&cfg);
    if (rc != SC_OK)
        return rc;
    rc = sc_tx_run(p, NULL, three_statements, NULL, &e);
    sc_conn *c = NULL;
    if (rc == SC_OK)
        rc = sc_pool_acquire(p, &c, &e);
    if (rc == SC_OK) {
        sc_partition_spec spec = {"fault_plain", "k", "s", 10};
        sc_partition_report r;
        rc = sc_partition_report_run(c, arena, &spec, &r, &e);
        sc_pool_release(p, c);
    }
    if (rc != SC_OK && e.category != rc)
        fail_msg("status %s but error category %s", sc_status_name(rc),
                 sc_status_name(e.category));
    assert_int_equal(sc_pool_close(p), 0);
    return rc;
}

static void every_allocation_failure_is_clean(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "counts the allocations of the prepared-statement path, which "
                             "DB_POOLER=transaction does not take");
    PGconn *pg = rt_raw();
    rt_raw_exec(pg, "SET client_min_messages = warning; DROP TABLE IF EXISTS fault_plain;"
                    "CREATE TABLE fault_plain (s text, k int); INSERT INTO fault_plain VALUES ('x', 0)");
    sc_arena *arena = sc_arena_new(0);
    int failures = 0;
    long n;
    for (n = 1; n < 200; n++) {
        sc_test_fail_allocation(n);
        int rc = scenario(arena);
        sc_test_fail_allocation(0);
        sc_arena_reset(arena);
        if (rc == SC_OK)
            break;
        if (rc != SC_NO_MEMORY)
            fail_msg("allocation %ld failed: got %s, not SC_NO_MEMORY", n, sc_status_name(rc));
        failures++;
    }
    assert_true(n < 200);   /* the scenario finishes once n passes its last allocation */
    assert_true(failures >= 8); /* and every allocation on the way was tried */
    /* The connections of the failed runs were all closed (a backend leaves
     * pg_stat_activity a moment after its client hung up: wait for it). */
    rt_wait_until(pg, "SELECT count(*) = 0 FROM pg_stat_activity"
                      " WHERE application_name = 'schemac-fault'");
    rt_raw_exec(pg, "DROP TABLE fault_plain");
    PQfinish(pg);
    sc_arena_free(arena);
}

/* Drop the connection before step n (1-3: before the nth insert, 4: before
 * COMMIT) on the first attempt. */
typedef struct drop_arg {
    int drop_before;
    int calls;
} drop_arg;

static int insert_three(sc_conn *c, void *ctx, sc_error *err)
{
    drop_arg *a = ctx;
    a->calls++;
    for (int step = 1; step <= 4; step++) {
        if (a->calls == 1 && step == a->drop_before) {
            PGconn *admin = rt_raw();
            rt_terminate(admin, rt_server_pid(c));
            PQfinish(admin);
        }
        if (step == 4)
            break;
        char sql[64];
        snprintf(sql, sizeof sql, "INSERT INTO fault_rows VALUES (%d)", step);
        int rc = sc_exec_sql(c, sql, NULL, err);
        if (rc != SC_OK)
            return rc;
    }
    return SC_OK;
}

static void connection_dropped_at_each_step(void **state)
{
    (void)state;
    PGconn *pg = rt_raw();
    rt_raw_exec(pg, "SET client_min_messages = warning; DROP TABLE IF EXISTS fault_rows;"
                    "CREATE TABLE fault_rows (v int)");
    sc_pool *p = rt_pool(1, 0);
    for (int n = 1; n <= 4; n++) {
        rt_raw_exec(pg, "TRUNCATE fault_rows");
        drop_arg a = {n, 0};
        sc_error e = {0};
        int rc = sc_tx_run(p, NULL, insert_three, &a, &e);
        long long rows = rt_raw_int(pg, "SELECT count(*) FROM fault_rows");
        if (n <= 3) {
            /* Lost before COMMIT: rolled back, retried, landed once. */
            assert_int_equal(rc, SC_OK);
            assert_int_equal(a.calls, 2);
            assert_int_equal(rows, 3);
        } else {
            /* COMMIT went to a dead socket: the client cannot know, so it
             * must not retry; the server had in fact rolled back. */
            assert_int_equal(rc, SC_COMMIT_UNKNOWN);
            assert_int_equal(a.calls, 1);
            assert_int_equal(rows, 0);
        }
    }
    assert_int_equal(sc_pool_close(p), 0);
    rt_raw_exec(pg, "DROP TABLE fault_rows");
    PQfinish(pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocation_failure_is_clean),
        cmocka_unit_test(connection_dropped_at_each_step),
    };
    return cmocka_run_group_tests_name("runtime faults", tests, NULL, NULL);
}
