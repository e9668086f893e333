/* Health: the ping, and the partition health report on small partitioned
 * tables built here (LIST on a writer-supplied key with and without a CHECK,
 * LIST on an expression, native HASH, a plain table). */
#include "rt_helpers.h"

static sc_pool *pool;
static sc_conn *conn;
static sc_arena *arena;

static int setup(void **state)
{
    (void)state;
    pool = rt_pool(2, 0);
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(pool, &conn, &e), SC_OK);
    arena = sc_arena_new(0);
    rt_exec(conn,
            "SET client_min_messages = warning;"
            "DROP TABLE IF EXISTS hp_checked, hp_loose, hp_expr, hp_hash, hp_plain;"
            /* LIST on partition_key, CHECK as ERRATA 5 recommends; modulus 4. */
            "CREATE TABLE hp_checked (id bigserial, collection_id varchar NOT NULL,"
            " partition_key int NOT NULL,"
            " CONSTRAINT hp_checked_key CHECK (partition_key = abs(hashtext(collection_id)::bigint) % 4),"
            " PRIMARY KEY (id, collection_id, partition_key)) PARTITION BY LIST (partition_key);"
            "CREATE TABLE hp_checked_0 PARTITION OF hp_checked FOR VALUES IN (0);"
            "CREATE TABLE hp_checked_1 PARTITION OF hp_checked FOR VALUES IN (1);"
            "CREATE TABLE hp_checked_2 PARTITION OF hp_checked FOR VALUES IN (2);"
            "CREATE TABLE hp_checked_3 PARTITION OF hp_checked FOR VALUES IN (3);"
            "INSERT INTO hp_checked (collection_id, partition_key)"
            " SELECT 'c' || (g % 10), abs(hashtext('c' || (g % 10))::bigint) % 4"
            " FROM generate_series(1, 200) g;"
            /* The same without the CHECK: a wrong key is accepted silently. */
            "CREATE TABLE hp_loose (collection_id varchar, partition_key int)"
            " PARTITION BY LIST (partition_key);"
            "CREATE TABLE hp_loose_0 PARTITION OF hp_loose FOR VALUES IN (0);"
            "CREATE TABLE hp_loose_1 PARTITION OF hp_loose FOR VALUES IN (1);"
            "INSERT INTO hp_loose SELECT 'x' || g, abs(hashtext('x' || g)::bigint) % 2"
            " FROM generate_series(1, 30) g;"
            "INSERT INTO hp_loose SELECT 'wrong' || g, 1 - abs(hashtext('wrong' || g)::bigint) % 2"
            " FROM generate_series(1, 3) g;"
            "CREATE TABLE hp_loose_null PARTITION OF hp_loose FOR VALUES IN (NULL);"
            "INSERT INTO hp_loose VALUES ('null key', NULL);"
            "CREATE TABLE hp_expr (collection_id varchar)"
            " PARTITION BY LIST ((abs(hashtext(collection_id)::bigint) % 2));"
            "CREATE TABLE hp_expr_0 PARTITION OF hp_expr FOR VALUES IN (0);"
            "CREATE TABLE hp_expr_1 PARTITION OF hp_expr FOR VALUES IN (1);"
            "CREATE TABLE hp_hash (collection_id varchar) PARTITION BY HASH (collection_id);"
            "CREATE TABLE hp_hash_0 PARTITION OF hp_hash FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
            "CREATE TABLE hp_hash_1 PARTITION OF hp_hash FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
            "INSERT INTO hp_hash SELECT 'h' || g FROM generate_series(1, 50) g;"
            "CREATE TABLE hp_plain (collection_id varchar, partition_key int);"
            "INSERT INTO hp_plain VALUES ('p', abs(hashtext('p')::bigint) % 100);");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rt_exec(conn, "DROP TABLE hp_checked, hp_loose, hp_expr, hp_hash, hp_plain");
    sc_pool_release(pool, conn);
    sc_arena_free(arena);
    assert_int_equal(sc_pool_close(pool), 0);
    return 0;
}

static void health_check_pings_the_server(void **state)
{
    (void)state;
    sc_health h;
    sc_error e = {0};
    assert_int_equal(sc_health_check(pool, &h, &e), SC_OK);
    assert_true(h.ok);
    assert_true(h.server_version >= 150000);
    assert_false(h.in_recovery);
    assert_int_equal(h.pool.in_use, 1); /* the suite's own connection */
}

static void health_check_reports_an_unreachable_server(void **state)
{
    (void)state;
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.conninfo = "host=/nonexistent/socket/dir port=1 connect_timeout=2";
    rt_log log;
    rt_log_init(&log);
    cfg.log_fn = rt_log_fn;
    cfg.log_ctx = &log;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_health h;
    assert_int_equal(sc_health_check(p, &h, &e), SC_CONNECTION);
    assert_false(h.ok);
    sc_pool_close(p);
    rt_log_free(&log);
}

static sc_partition_report report(const char *table, const char *key, const char *source,
                                  int modulus)
{
    sc_partition_spec spec = {table, key, source, modulus};
    sc_partition_report r;
    sc_error e = {0};
    int rc = sc_partition_report_run(conn, arena, &spec, &r, &e);
    if (rc != SC_OK)
        fail_msg("report on %s: %s %s", table, sc_status_name(rc), e.message);
    return r;
}

static void checked_list_partitions(void **state)
{
    (void)state;
    sc_partition_report r = report("public.hp_checked", "partition_key", "collection_id", 4);
    assert_int_equal(r.impl, SC_PART_WRITER_CHECKED);
    assert_int_equal(r.strategy, 'l');
    assert_true(r.key_has_check);
    assert_int_equal(r.partitions, 4);
    assert_true(r.verified);
    assert_int_equal(r.rows, 200);
    assert_int_equal(r.mismatched_rows, 0);
    assert_int_equal(r.null_keys, 0);
    /* The distribution equals the server's own count per key. */
    int64_t total = 0, max = 0;
    for (int i = 0; i < r.partitions; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", r.info[i].name);
        assert_int_equal(r.info[i].rows, rt_int(conn, sql));
        total += r.info[i].rows;
        max = r.info[i].rows > max ? r.info[i].rows : max;
    }
    assert_int_equal(total, 200);
    assert_int_equal(r.max_rows, max);
    assert_true(r.avg_rows == 50.0);
    assert_true(r.skew_ratio == (double)max / 50.0);
    int off = 0;
    for (int i = 0; i < r.partitions; i++) {
        double rel = (double)r.info[i].rows / 50.0 * 100.0;
        sc_partition_status want = r.info[i].rows == 0 ? SC_PARTITION_EMPTY
                                   : rel > 200.0       ? SC_PARTITION_HOT
                                   : rel < 50.0        ? SC_PARTITION_COLD
                                                       : SC_PARTITION_NORMAL;
        assert_int_equal(r.info[i].status, want);
        off += want != SC_PARTITION_NORMAL;
    }
    assert_int_equal(r.hot + r.cold + r.empty, off);
    assert_string_equal(r.info[0].name, "hp_checked_0");
    char text[1024];
    size_t need = sc_partition_report_format(&r, text, sizeof text);
    assert_int_equal(need, strlen(text));
    assert_non_null(strstr(text, "key verification: OK"));
    assert_non_null(strstr(text, "CHECK constraint"));
    char small[8];
    assert_int_equal(sc_partition_report_format(&r, small, sizeof small), need);
    assert_int_equal(strlen(small), 7);
}

static void wrong_and_null_keys_are_found(void **state)
{
    (void)state;
    sc_partition_report r = report("hp_loose", "partition_key", "collection_id", 2);
    assert_int_equal(r.impl, SC_PART_WRITER_UNGUARDED);
    assert_int_equal(r.rows, 34);
    assert_int_equal(r.partitions, 3);
    assert_int_equal(r.null_keys, 1);
    assert_int_equal(r.mismatched_rows, 4); /* a NULL key is wrong too */
    char text[1024];
    sc_partition_report_format(&r, text, sizeof text);
    assert_non_null(strstr(text, "MISMATCH"));
}

static void other_implementations_are_detected(void **state)
{
    (void)state;
    sc_partition_report r = report("hp_expr", NULL, NULL, 0);
    assert_int_equal(r.impl, SC_PART_LIST_EXPRESSION);
    assert_false(r.verified);
    r = report("hp_hash", NULL, NULL, 0);
    assert_int_equal(r.impl, SC_PART_NATIVE_HASH);
    assert_int_equal(r.partitions, 2);
    assert_int_equal(r.rows, 50);
    assert_int_equal(r.partitions_used, 2);
    r = report("hp_plain", "partition_key", "collection_id", 100);
    assert_int_equal(r.impl, SC_PART_NOT_PARTITIONED);
    assert_int_equal(r.mismatched_rows, 0);
    assert_int_equal(r.rows, 1);
}

static void bad_specs_are_refused(void **state)
{
    (void)state;
    sc_partition_report r;
    sc_error e = {0};
    sc_partition_spec missing = {"hp_no_such_table", "partition_key", "collection_id", 4};
    assert_int_equal(sc_partition_report_run(conn, arena, &missing, &r, &e), SC_NOT_FOUND);
    sc_partition_spec bad_column = {"hp_checked", "no_such_column", "collection_id", 4};
    sc_error_clear(&e);
    assert_int_equal(sc_partition_report_run(conn, arena, &bad_column, &r, &e), SC_INVALID_INPUT);
    sc_partition_spec bad_modulus = {"hp_checked", "partition_key", "collection_id", 0};
    sc_error_clear(&e);
    assert_int_equal(sc_partition_report_run(conn, arena, &bad_modulus, &r, &e),
                     SC_INVALID_INPUT);
    /* An identifier that would be an injection if spliced: quoted, not run. */
    sc_partition_spec evil = {"hp_checked", "partition_key", "collection_id\"; DROP TABLE hp_plain; --", 4};
    sc_error_clear(&e);
    assert_int_equal(sc_partition_report_run(conn, arena, &evil, &r, &e), SC_INVALID_INPUT);
    assert_int_equal(rt_int(conn, "SELECT count(*) FROM hp_plain"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(health_check_pings_the_server),
        cmocka_unit_test(health_check_reports_an_unreachable_server),
        cmocka_unit_test(checked_list_partitions),
        cmocka_unit_test(wrong_and_null_keys_are_found),
        cmocka_unit_test(other_implementations_are_detected),
        cmocka_unit_test(bad_specs_are_refused),
    };
    return cmocka_run_group_tests_name("runtime health", tests, setup, teardown);
}
