/* The monitoring objects of spec 002 sections 2.4 and 7.3 on skewed data:
 * one collection with 1,000 chunks and four with 10 (each in its own
 * partition). partition_health and the runtime's partition report name the
 * same hot partition (one rule: above 200 % of the average);
 * partition_distribution, analyze_partition_skew() and
 * get_partition_statistics() report the exact counts; the generated
 * sm_refresh_collection_chunking_stats refreshes the materialized view
 * concurrently. */
#include "gen_helpers.h"

#include "sc_hashtext.h"
#include "sm_catalog.h"

enum { BIG = 1000, SMALL = 10, NSMALL = 4 };

static gen_db *db;
static char ids[NSMALL + 1][40]; /* ids[0] is the big collection */
static int keys[NSMALL + 1];

static PGresult *sql_ok(const char *sql)
{
    PGresult *r = gen_sql(db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    return r;
}

static long long scalar(const char *sql)
{
    PGresult *r = sql_ok(sql);
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static void add_chunks(int which, int n)
{
    char sql[900];
    snprintf(sql, sizeof sql,
             "INSERT INTO semantik.collections (id, name, owner_id, vector_store_name, embedding_model)"
             " SELECT '%s', 'mon_%d', id, 'col_mon_%d', 'm' FROM semantik.users;"
             "INSERT INTO semantik.chunks (collection_id, partition_key, chunk_index, content, token_count)"
             " SELECT '%s', %d, g, 'c', 7 FROM generate_series(1, %d) g",
             ids[which], which, which, ids[which], keys[which], n);
    PQclear(sql_ok(sql));
}

/* Five collection ids in five different partitions. */
static void pick_ids(void)
{
    int found = 0;
    for (int i = 0; found <= NSMALL; i++) {
        char id[40];
        snprintf(id, sizeof id, "6a0c1f3e-2b4d-4e5f-8a9b-%012d", 7000 + i);
        int key = sc_partition_key(id, strlen(id), 100);
        bool taken = false;
        for (int k = 0; k < found; k++)
            taken |= keys[k] == key;
        if (taken)
            continue;
        snprintf(ids[found], sizeof ids[found], "%s", id);
        keys[found++] = key;
    }
}

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("monitoring");
    PQclear(sql_ok("INSERT INTO semantik.users (username, email, hashed_password) "
                   "VALUES ('mon', 'mon@example.org', 'x')"));
    pick_ids();
    add_chunks(0, BIG);
    for (int i = 1; i <= NSMALL; i++)
        add_chunks(i, SMALL);
    /* partition_health reads the statistics; ANALYZE writes them at once */
    PQclear(sql_ok("ANALYZE semantik.chunks"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

static void health_view_and_runtime_report_agree_on_the_hot_partition(void **state)
{
    (void)state;
    PGresult *r = sql_ok("SELECT partition_key FROM semantik.partition_health "
                         "WHERE partition_status = 'HOT' ORDER BY partition_key");
    assert_int_equal(PQntuples(r), 1);
    assert_int_equal(atoi(PQgetvalue(r, 0, 0)), keys[0]);
    PQclear(r);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT row_count FROM semantik.partition_health WHERE partition_key = %d", keys[0]);
    assert_int_equal(scalar(sql), BIG);
    sc_partition_spec spec = {"semantik.chunks", "partition_key", "collection_id", 100};
    sc_partition_report report;
    sc_error err = {0};
    if (sc_partition_report_run(db->conn, db->arena, &spec, &report, &err) != SC_OK)
        fail_msg("%s", err.message);
    assert_int_equal(report.hot, 1);
    char hot[32];
    snprintf(hot, sizeof hot, "chunks_part_%02d", keys[0]);
    for (int i = 0; i < report.partitions; i++)
        if (report.info[i].status == SC_PARTITION_HOT)
            assert_string_equal(report.info[i].name, hot);
    /* the small partitions are near the average (10 of 10.4): normal in both */
    snprintf(sql, sizeof sql, "SELECT partition_status FROM semantik.partition_health WHERE partition_key = %d", keys[1]);
    r = sql_ok(sql);
    assert_string_equal(PQgetvalue(r, 0, 0), "NORMAL");
    PQclear(r);
    sc_arena_reset(db->arena);
}

static void distribution_and_skew_functions_count_exactly(void **state)
{
    (void)state;
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT chunk_count FROM semantik.partition_distribution WHERE partition_key = %d", keys[0]);
    assert_int_equal(scalar(sql), BIG);
    assert_int_equal(scalar("SELECT max(partitions_in_use) FROM semantik.partition_distribution"), NSMALL + 1);
    PGresult *r = sql_ok("SELECT recommendation FROM semantik.partition_distribution LIMIT 1");
    assert_string_equal(PQgetvalue(r, 0, 0), "REBALANCE_RECOMMENDED"); /* max 1000 / avg 10.4 */
    PQclear(r);
    r = sql_ok("SELECT partitions, partitions_used, total_chunks, max_chunks, hot_partitions, "
               "recommendation FROM semantik.analyze_partition_skew()");
    assert_int_equal(PQntuples(r), 1);
    assert_int_equal(atoi(PQgetvalue(r, 0, 0)), 100);
    assert_int_equal(atoi(PQgetvalue(r, 0, 1)), NSMALL + 1);
    assert_int_equal(atoll(PQgetvalue(r, 0, 2)), BIG + NSMALL * SMALL);
    assert_int_equal(atoll(PQgetvalue(r, 0, 3)), BIG);
    assert_int_equal(atoi(PQgetvalue(r, 0, 4)), 1);
    assert_non_null(strstr(PQgetvalue(r, 0, 5), "skewed"));
    PQclear(r);
    snprintf(sql, sizeof sql,
             "SELECT partition_key, partition_name, chunk_count, partition_chunk_count, share_pct "
             "FROM semantik.get_partition_statistics('%s')", ids[1]);
    r = sql_ok(sql);
    assert_int_equal(atoi(PQgetvalue(r, 0, 0)), keys[1]);
    char name[32];
    snprintf(name, sizeof name, "chunks_part_%02d", keys[1]);
    assert_string_equal(PQgetvalue(r, 0, 1), name);
    assert_int_equal(atoll(PQgetvalue(r, 0, 2)), SMALL);
    assert_int_equal(atoll(PQgetvalue(r, 0, 3)), SMALL);
    assert_string_equal(PQgetvalue(r, 0, 4), "100.00");
    PQclear(r);
}

static void a_balanced_table_is_reported_balanced(void **state)
{
    (void)state;
    /* inside a transaction rolled back: ten chunks in each of the 100
     * partitions, from one collection per partition key */
    PGconn *pg = PQconnectdb(db->conninfo);
    PQclear(PQexec(pg, "BEGIN; DELETE FROM semantik.chunks"));
    PGresult *fill = PQexec(pg,
        "WITH ids AS (SELECT DISTINCT ON (k) id, k FROM ("
        "  SELECT format('6a0c1f3e-2b4d-4e5f-8a9b-%s', lpad(g::text, 12, '0')) AS id,"
        "         (abs(hashtext(format('6a0c1f3e-2b4d-4e5f-8a9b-%s', lpad(g::text, 12, '0')))::bigint) % 100)::int AS k"
        "  FROM generate_series(100000, 110000) g) c ORDER BY k, id),"
        " made AS (INSERT INTO semantik.collections (id, name, owner_id, vector_store_name, embedding_model)"
        "  SELECT id, 'even_' || k, (SELECT min(id) FROM semantik.users), 'col_even_' || k, 'm' FROM ids"
        "  RETURNING id)"
        " INSERT INTO semantik.chunks (collection_id, partition_key, chunk_index, content)"
        " SELECT ids.id, ids.k, g, 'c' FROM ids, generate_series(1, 10) g");
    assert_int_equal(PQresultStatus(fill), PGRES_COMMAND_OK);
    assert_string_equal(PQcmdTuples(fill), "1000");
    PQclear(fill);
    PGresult *r = PQexec(pg, "SELECT hot_partitions, recommendation FROM semantik.analyze_partition_skew()");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "0");
    assert_string_equal(PQgetvalue(r, 0, 1), "balanced");
    PQclear(r);
    PQclear(PQexec(pg, "ROLLBACK"));
    PQfinish(pg);
}

static void the_materialized_view_refreshes_concurrently(void **state)
{
    (void)state;
    sc_error err = {0};
    /* the view was filled when schema.sql created it, before these rows */
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT coalesce(sum(chunk_count), -1) FROM semantik.collection_chunking_stats WHERE collection_id = '%s'", ids[0]);
    long long before = scalar(sql);
    if (sm_refresh_collection_chunking_stats(db->conn, &err) != SC_OK)
        fail_msg("%s", err.message);
    assert_int_equal(before, -1);
    assert_int_equal(scalar(sql), BIG);
    snprintf(sql, sizeof sql, "SELECT total_tokens FROM semantik.collection_chunking_stats WHERE collection_id = '%s'", ids[1]);
    assert_int_equal(scalar(sql), SMALL * 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(health_view_and_runtime_report_agree_on_the_hot_partition),
        cmocka_unit_test(distribution_and_skew_functions_count_exactly),
        cmocka_unit_test(a_balanced_table_is_reported_balanced),
        cmocka_unit_test(the_materialized_view_refreshes_concurrently),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
