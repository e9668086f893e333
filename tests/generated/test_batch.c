/* Pipelined batches (<table>_create_batch over sc_query_batch): many rows in
 * one pipeline, a per-row outcome, all or nothing in and out of a
 * transaction, bad input refused before anything is sent, and the faults a
 * pipeline meets: a row blocked on a lock past the deadline, a backend killed
 * mid-batch. */
#include <pthread.h>

#include "gen_helpers.h"

#include "sm_collection_sources.h"

enum { MAX_ROWS = 700 };

static gen_db *db;
static const char *const COLL = "6a0c1f3e-2b4d-4e5f-8a9b-00000000b001";
static const char *const NO_SUCH_COLL = "6a0c1f3e-2b4d-4e5f-8a9b-00000000b0ff";
static sm_collection_source_new rows[MAX_ROWS];
static char paths[MAX_ROWS][40];
static sm_collection_source out[MAX_ROWS];
static sc_error errors[MAX_ROWS];

static long long stored(void)
{
    return gen_scalar(db, "SELECT count(*) FROM semantik.collection_sources");
}

static void run_sql(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("batch");
    PGresult *r = gen_sql(db, "INSERT INTO semantik.users (username, email, hashed_password) "
                              "VALUES ('ba', 'ba@example.org', 'x');"
                              "INSERT INTO semantik.collections (id, name, owner_id, vector_store_name,"
                              " embedding_model) SELECT '6a0c1f3e-2b4d-4e5f-8a9b-00000000b001', 'ba',"
                              " id, 'col_ba', 'm' FROM semantik.users");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

/* n fresh rows with distinct paths, and an empty table. */
static int fresh(void **state)
{
    (void)state;
    PQclear(gen_sql(db, "DELETE FROM semantik.collection_sources"));
    for (int i = 0; i < MAX_ROWS; i++) {
        snprintf(paths[i], sizeof paths[i], "/batch/file-%04d.md", i);
        rows[i] = (sm_collection_source_new){.collection_id = COLL, .source_path = paths[i],
                                             .source_type = "file"};
    }
    memset(errors, 0, sizeof errors);
    memset(out, 0, sizeof out);
    sc_arena_reset(db->arena);
    return 0;
}

static void every_row_lands_and_comes_back_across_chunks(void **state)
{
    (void)state;
    size_t n = 2 * SC_BATCH_CHUNK + 37; /* three pipelines' worth */
    rows[5].document_count = 9;
    rows[5].has_document_count = true;
    sc_error err = {0};
    int rc = sm_collection_sources_create_batch(db->conn, db->arena, rows, n, out, errors, &err);
    if (rc != SC_OK)
        fail_msg("%s", err.message);
    assert_int_equal(stored(), (long long)n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(errors[i].category, SC_OK);
        assert_string_equal(out[i].source_path, paths[i]);
        assert_true(out[i].id > 0);
    }
    assert_int_equal(out[5].document_count, 9);
    assert_int_equal(out[6].document_count, 0); /* DEFAULT 0 */
    assert_true(out[n - 1].id > out[0].id);     /* in order */
}

static void a_failing_row_names_itself_and_nothing_is_kept(void **state)
{
    (void)state;
    size_t n = SC_BATCH_CHUNK + 30, bad = SC_BATCH_CHUNK + 14;
    rows[bad].source_path = paths[10]; /* a duplicate of a row sent before it */
    sc_error err = {0};
    int rc = sm_collection_sources_create_batch(db->conn, db->arena, rows, n, NULL, errors, &err);
    assert_int_equal(rc, SC_CONFLICT);
    assert_non_null(strstr(err.message, "[270]"));
    assert_int_equal(errors[bad].category, SC_CONFLICT);
    assert_int_equal(errors[10].category, SC_NOT_RUN);      /* ran, rolled back */
    assert_int_equal(errors[bad + 1].category, SC_NOT_RUN); /* aborted in its pipeline */
    assert_int_equal(errors[n - 1].category, SC_NOT_RUN);
    assert_int_equal(stored(), 0);
    /* The connection is usable and out of its transaction. */
    rc = sm_collection_sources_create_batch(db->conn, db->arena, rows, 3, NULL, NULL, &err);
    assert_int_equal(rc, SC_OK);
    assert_int_equal(stored(), 3);
}

static void inside_a_transaction_a_failure_aborts_it_and_leaves_no_rows(void **state)
{
    (void)state;
    sc_error err = {0};
    assert_int_equal(sc_tx_begin(db->conn, NULL, &err), SC_OK);
    assert_int_equal(sm_collection_sources_create(db->conn, db->arena, &rows[99], &out[0], &err),
                     SC_OK);
    rows[37].collection_id = NO_SUCH_COLL;
    int rc = sm_collection_sources_create_batch(db->conn, db->arena, rows, 60, NULL, errors, &err);
    assert_int_equal(rc, SC_FOREIGN_KEY);
    assert_int_equal(errors[36].category, SC_OK); /* ran inside the caller's transaction */
    assert_int_equal(errors[37].category, SC_FOREIGN_KEY);
    assert_int_equal(errors[38].category, SC_NOT_RUN);
    assert_int_equal(sc_tx_depth(db->conn), 1);
    assert_int_equal(sc_tx_rollback(db->conn, &err), SC_OK);
    assert_int_equal(stored(), 0);
}

static void inside_a_transaction_the_rows_commit_with_it(void **state)
{
    (void)state;
    sc_error err = {0};
    assert_int_equal(sc_tx_begin(db->conn, NULL, &err), SC_OK);
    assert_int_equal(sm_collection_sources_create_batch(db->conn, db->arena, rows, 100, out, NULL,
                                                        &err),
                     SC_OK);
    assert_int_equal(stored(), 0); /* not committed yet */
    assert_int_equal(sc_tx_commit(db->conn, &err), SC_OK);
    assert_int_equal(stored(), 100);
}

static void bad_input_is_refused_before_anything_is_sent(void **state)
{
    (void)state;
    rows[5].source_path = NULL; /* NOT NULL: the server would say 23502 */
    sc_error err = {0};
    int rc = sm_collection_sources_create_batch(db->conn, db->arena, rows, 10, out, errors, &err);
    assert_int_equal(rc, SC_INVALID_INPUT);
    assert_non_null(strstr(err.message, "[5]"));
    assert_int_equal(errors[5].category, SC_INVALID_INPUT);
    assert_int_equal(errors[0].category, SC_NOT_RUN);
    assert_int_equal(errors[9].category, SC_NOT_RUN);
    assert_int_equal(stored(), 0);
    assert_int_equal(sc_tx_depth(db->conn), 0);
}

static void an_empty_batch_and_misuse(void **state)
{
    (void)state;
    sc_error err = {0};
    assert_int_equal(sm_collection_sources_create_batch(db->conn, db->arena, rows, 0, out, NULL,
                                                        &err),
                     SC_OK);
    assert_int_equal(sm_collection_sources_create_batch(NULL, db->arena, rows, 2, out, NULL, &err),
                     SC_MISUSE);
    sc_error_clear(&err);
    assert_int_equal(sm_collection_sources_create_batch(db->conn, NULL, rows, 2, out, NULL, &err),
                     SC_MISUSE);
    assert_int_equal(stored(), 0);
}

/* Ten stored rows; their ids in out[0..10). */
static void store_ten(void)
{
    sc_error err = {0};
    assert_int_equal(sm_collection_sources_create_batch(db->conn, db->arena, rows, 10, out, NULL,
                                                        &err),
                     SC_OK);
}

static long long sum_of_counts(void)
{
    return gen_scalar(db, "SELECT coalesce(sum(document_count), 0) FROM semantik.collection_sources");
}

static void an_update_batch_with_a_missing_row_changes_nothing(void **state)
{
    (void)state;
    store_ten();
    sm_collection_source_patch patch = {.set_document_count = true, .document_count = 7};
    sm_collection_sources_update_args items[3] = {
        {.patch = patch, .collection_id = COLL, .id = out[0].id},
        {.patch = patch, .collection_id = COLL, .id = 999999},
        {.patch = patch, .collection_id = COLL, .id = out[2].id}};
    sm_collection_source changed[3];
    sc_error err = {0};
    int rc = sm_collection_sources_update_batch(db->conn, db->arena, items, 3, changed, errors, &err);
    assert_int_equal(rc, SC_NOT_FOUND);
    assert_int_equal(errors[1].category, SC_NOT_FOUND);
    assert_int_equal(errors[0].category, SC_NOT_RUN); /* rolled back with the batch */
    assert_int_equal(errors[2].category, SC_NOT_RUN);
    assert_int_equal(sum_of_counts(), 0);
    items[1].id = out[1].id;
    sc_error_clear(&err);
    rc = sm_collection_sources_update_batch(db->conn, db->arena, items, 3, changed, errors, &err);
    assert_int_equal(rc, SC_OK);
    assert_int_equal(changed[2].document_count, 7);
    assert_int_equal(changed[2].id, out[2].id);
    assert_int_equal(sum_of_counts(), 21);
}

static void a_delete_batch_deletes_every_row_or_none(void **state)
{
    (void)state;
    store_ten();
    sm_collection_sources_delete_args gone[4] = {{out[0].collection_id, out[0].id},
                                                 {out[1].collection_id, out[1].id},
                                                 {out[2].collection_id, -5},
                                                 {out[3].collection_id, out[3].id}};
    sc_error err = {0};
    assert_int_equal(sm_collection_sources_delete_batch(db->conn, gone, 4, errors, &err),
                     SC_NOT_FOUND);
    assert_int_equal(errors[2].category, SC_NOT_FOUND);
    assert_int_equal(stored(), 10);
    gone[2].id = out[2].id;
    sc_error_clear(&err);
    assert_int_equal(sm_collection_sources_delete_batch(db->conn, gone, 4, errors, &err), SC_OK);
    assert_int_equal(stored(), 6);
    assert_int_equal(sm_collection_sources_delete_batch(db->conn, NULL, 2, NULL, &err), SC_MISUSE);
}

static void named_query_batches_keep_each_answer(void **state)
{
    (void)state;
    store_ten();
    sm_collection_sources_update_stats_args stats[3] = {
        {.collection_id = COLL, .id = out[4].id, .document_count = 3, .size_bytes = 10},
        {.collection_id = COLL, .id = -1, .document_count = 100, .size_bytes = 1}, /* an exec: no row is no error */
        {.collection_id = COLL, .id = out[5].id, .document_count = 4, .size_bytes = 20}};
    int64_t affected[3] = {-1, -1, -1};
    sc_error err = {0};
    assert_int_equal(sm_collection_sources_update_stats_batch(db->conn, stats, 3, affected, NULL,
                                                              &err),
                     SC_OK);
    assert_int_equal(affected[0], 1);
    assert_int_equal(affected[1], 0);
    assert_int_equal(affected[2], 1);
    assert_int_equal(sum_of_counts(), 7);

    sm_collection_sources_get_by_path_args paths_of[2] = {{COLL, paths[7]}, {COLL, paths[4]}};
    sm_collection_source found[2];
    assert_int_equal(sm_collection_sources_get_by_path_batch(db->conn, db->arena, paths_of, 2,
                                                             found, errors, &err),
                     SC_OK);
    assert_int_equal(found[0].id, out[7].id);
    assert_int_equal(found[1].document_count, 3);
    paths_of[1].source_path = "/no/such/file";
    assert_int_equal(sm_collection_sources_get_by_path_batch(db->conn, db->arena, paths_of, 2,
                                                             found, errors, &err),
                     SC_NOT_FOUND);
    assert_int_equal(errors[1].category, SC_NOT_FOUND);
    paths_of[0].collection_id = "not-a-uuid"; /* checked before anything is sent */
    sc_error_clear(&err);
    assert_int_equal(sm_collection_sources_get_by_path_batch(db->conn, db->arena, paths_of, 2,
                                                             found, errors, &err),
                     SC_INVALID_INPUT);
    assert_non_null(strstr(err.message, "[0]"));
}

/* ---- faults: a second pool with a short deadline ---------------------- */

/* Another session inserts row 50's key and keeps its transaction open: the
 * batch's row 50 waits on it (a unique check waits for the other outcome). */
static PGconn *hold_row_key(int row)
{
    PGconn *pg = PQconnectdb(db->conninfo);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    char sql[256];
    snprintf(sql, sizeof sql,
             "BEGIN; INSERT INTO semantik.collection_sources (collection_id, source_path, "
             "source_type) VALUES ('%s', '%s', 'file')",
             COLL, paths[row]);
    run_sql(pg, sql);
    return pg;
}

static void a_row_blocked_past_the_deadline_times_out_and_keeps_nothing(void **state)
{
    (void)state;
    PGconn *holder = hold_row_key(50);
    sc_pool *p = gen_pool_with(db, 0.3, SC_POOLER_NONE);
    sc_conn *c = NULL;
    sc_error err = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK);
    int rc = sm_collection_sources_create_batch(c, db->arena, rows, 80, NULL, errors, &err);
    assert_int_equal(rc, SC_TIMEOUT);
    sc_pool_release(p, c); /* evicted: its session was cancelled mid-pipeline */
    run_sql(holder, "ROLLBACK");
    PQfinish(holder);
    assert_int_equal(stored(), 0);
    /* The pool opens a fresh connection that works. */
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK);
    assert_int_equal(sm_collection_sources_create_batch(c, db->arena, rows, 80, NULL, NULL, &err),
                     SC_OK);
    sc_pool_release(p, c);
    sc_pool_close(p);
    assert_int_equal(stored(), 80);
}

static void a_backend_killed_mid_batch_is_a_lost_connection_and_keeps_nothing(void **state)
{
    (void)state;
    PGconn *holder = hold_row_key(120);
    sc_pool *p = gen_pool_with(db, 30.0, SC_POOLER_NONE);
    sc_conn *c = NULL;
    sc_error err = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK);
    gen_killer k = {db->conninfo, PQbackendPID(sc_conn_pg(c)), false};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, gen_kill_when_blocked, &k), 0);
    int rc = sm_collection_sources_create_batch(c, db->arena, rows, 200, NULL, errors, &err);
    pthread_join(t, NULL);
    assert_true(k.killed);
    assert_int_equal(rc, SC_CONNECTION); /* COMMIT was never sent: safe to retry */
    sc_pool_release(p, c);
    sc_pool_close(p);
    run_sql(holder, "ROLLBACK");
    PQfinish(holder);
    assert_int_equal(stored(), 0);
}

/* Two writers batch the same 300 keys at once, each marking its rows: one
 * batch lands whole, the other fails whole (a conflict, or a deadlock the
 * server breaks), never a mix. */
typedef struct writer {
    const char *type;
    int rc;
} writer;

static void *batch_writer(void *arg)
{
    writer *w = arg;
    sc_pool *p = gen_pool_with(db, 30.0, SC_POOLER_NONE);
    sc_conn *c = NULL;
    sc_error err = {0};
    sc_arena *a = sc_arena_new(0);
    static sm_collection_source_new mine[2][300];
    sm_collection_source_new *batch = mine[w->type[0] == 'b'];
    for (int i = 0; i < 300; i++) /* the second writer goes in the other order */
        batch[i] = (sm_collection_source_new){.collection_id = COLL,
                                             .source_path = paths[w->type[0] == 'b' ? 299 - i : i],
                                             .source_type = w->type};
    w->rc = sc_pool_acquire(p, &c, &err);
    if (w->rc == SC_OK)
        w->rc = sm_collection_sources_create_batch(c, a, batch, 300, NULL, NULL, &err);
    sc_pool_release(p, c);
    sc_pool_close(p);
    sc_arena_free(a);
    return NULL;
}

static void two_writers_on_the_same_keys_never_mix(void **state)
{
    (void)state;
    writer w[2] = {{"a-writer", -1}, {"b-writer", -1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, batch_writer, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_true((w[0].rc == SC_OK) != (w[1].rc == SC_OK));
    int lost = w[0].rc == SC_OK ? w[1].rc : w[0].rc;
    assert_true(lost == SC_CONFLICT || lost == SC_DEADLOCK);
    assert_int_equal(stored(), 300);
    assert_int_equal(gen_scalar(db, "SELECT count(DISTINCT source_type) FROM semantik.collection_sources"), 1);
}

static void under_transaction_pooling_the_calls_go_unnamed(void **state)
{
    (void)state;
    sc_pool *p = gen_pool_with(db, 30.0, SC_POOLER_TRANSACTION);
    sc_conn *c = NULL;
    sc_error err = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK);
    int rc = sm_collection_sources_create_batch(c, db->arena, rows, 300, out, errors, &err);
    if (rc != SC_OK)
        fail_msg("%s", err.message);
    assert_int_equal(sc_conn_cached_statements(c), 0);
    assert_string_equal(out[299].source_path, paths[299]);
    sc_pool_release(p, c);
    sc_pool_close(p);
    assert_int_equal(stored(), 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(every_row_lands_and_comes_back_across_chunks, fresh),
        cmocka_unit_test_setup(a_failing_row_names_itself_and_nothing_is_kept, fresh),
        cmocka_unit_test_setup(inside_a_transaction_a_failure_aborts_it_and_leaves_no_rows, fresh),
        cmocka_unit_test_setup(inside_a_transaction_the_rows_commit_with_it, fresh),
        cmocka_unit_test_setup(bad_input_is_refused_before_anything_is_sent, fresh),
        cmocka_unit_test_setup(an_empty_batch_and_misuse, fresh),
        cmocka_unit_test_setup(an_update_batch_with_a_missing_row_changes_nothing, fresh),
        cmocka_unit_test_setup(a_delete_batch_deletes_every_row_or_none, fresh),
        cmocka_unit_test_setup(named_query_batches_keep_each_answer, fresh),
        cmocka_unit_test_setup(a_row_blocked_past_the_deadline_times_out_and_keeps_nothing, fresh),
        cmocka_unit_test_setup(a_backend_killed_mid_batch_is_a_lost_connection_and_keeps_nothing,
                               fresh),
        cmocka_unit_test_setup(two_writers_on_the_same_keys_never_mix, fresh),
        cmocka_unit_test_setup(under_transaction_pooling_the_calls_go_unnamed, fresh),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
