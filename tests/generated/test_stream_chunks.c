/* A million chunk rows of one document read through the generated streaming
 * form (sm_chunks_get_chunks_by_document_each) with an arena capped at
 * 64 KiB: every row arrives, in chunk order, with its JSON metadata, and
 * the arena never grows past its budget, while the array form of the same
 * read runs out of it. */
#include "gen_helpers.h"

#include "sm_chunks.h"
#include "sm_collections.h"
#include "sm_documents.h"
#include "sm_users.h"

enum { ROWS = 1000000, BUDGET = 64 * 1024 };

static gen_db *db;
static const char *const COLL = "6a0c1f3e-2b4d-4e5f-8a9b-00000000e001";
static const char *const DOC = "6a0c1f3e-2b4d-4e5f-8a9b-00000000e002";

static void ok(int rc, const sc_error *err, const char *what)
{
    if (rc != SC_OK)
        fail_msg("%s -> %s: %s", what, sc_status_name(rc), err->message);
}

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("stream");
    sc_error err = {0};
    sm_user_new u = {.username = "streamer", .email = "s@example.org", .hashed_password = "x"};
    sm_user user;
    ok(sm_users_create(db->conn, db->arena, &u, &user, &err), &err, "user");
    sm_collection_new c = {.id = COLL, .name = "big", .owner_id = user.id,
                           .vector_store_name = "col_big", .embedding_model = "m"};
    sm_collection col;
    ok(sm_collections_create(db->conn, db->arena, &c, &col, &err), &err, "collection");
    sm_document doc;
    ok(sm_documents_create_if_absent(db->conn, db->arena,
                                     &(sm_documents_create_if_absent_args){
                                         .id = DOC, .collection_id = COLL,
                                         .file_path = "/big.txt", .file_name = "big.txt",
                                         .file_size = 1, .content_hash = "big"},
                                     &doc, &err),
       &err, "document");
    /* the rows themselves by one INSERT ... SELECT: the read is under test */
    char sql[700];
    snprintf(sql, sizeof sql,
             "INSERT INTO semantik.chunks (collection_id, partition_key, document_id, chunk_index,"
             " content, metadata) SELECT '%s', abs(hashtext('%s')::bigint) %% 100, '%s', g,"
             " 'chunk ' || g || ' of a long document, with a realistic sentence or two of text',"
             " jsonb_build_object('page', g / 40) FROM generate_series(0, %d) g",
             COLL, COLL, DOC, ROWS - 1);
    PQclear(gen_sql(db, sql));
    PQclear(gen_sql(db, "ANALYZE semantik.chunks"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

typedef struct tally {
    int32_t rows, next_index;
    bool in_order, content_ok, metadata_ok;
} tally;

static int check_chunk(void *ctx, const sm_chunk *row)
{
    tally *t = ctx;
    t->in_order = t->in_order && row->chunk_index == t->next_index;
    char want[32];
    snprintf(want, sizeof want, "chunk %d of", row->chunk_index);
    t->content_ok = t->content_ok && strncmp(row->content, want, strlen(want)) == 0;
    json_t *page = json_object_get(sc_json_value(&row->metadata), "page");
    t->metadata_ok = t->metadata_ok && json_integer_value(page) == row->chunk_index / 40;
    t->next_index++;
    t->rows++;
    return SC_OK;
}

static void a_million_rows_stream_in_a_fixed_budget(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(8192);
    sc_arena_set_limit(a, BUDGET);
    sc_error err = {0};
    tally t = {0, 0, true, true, true};
    ok(sm_chunks_get_chunks_by_document_each(db->conn, a, COLL, DOC, (sc_opt_i64)SC_NONE,
                                             check_chunk, &t, &err),
       &err, "stream");
    assert_int_equal(t.rows, ROWS);
    assert_true(t.in_order);
    assert_true(t.content_ok);
    assert_true(t.metadata_ok);
    assert_true(sc_arena_bytes(a) <= BUDGET);
    /* the array form needs the whole result at once: it cannot fit */
    sm_chunk *rows;
    size_t n;
    assert_int_equal(sm_chunks_get_chunks_by_document(db->conn, a, COLL, DOC,
                                                      (sc_opt_i64)SC_NONE, &rows, &n, &err),
                     SC_NO_MEMORY);
    sc_error_clear(&err);
    sc_arena_free(a);
}

static int stop_after_five(void *ctx, const sm_chunk *row)
{
    (void)row;
    return ++*(int *)ctx == 5 ? SC_NOT_FOUND : SC_OK;
}

/* The optional LIMIT still applies, and a callback can end the read early. */
static void limit_and_early_stop(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    sc_error err = {0};
    tally t = {0, 0, true, true, true};
    ok(sm_chunks_get_chunks_by_document_each(db->conn, a, COLL, DOC, (sc_opt_i64)SC_SOME(25),
                                             check_chunk, &t, &err),
       &err, "limited");
    assert_int_equal(t.rows, 25);
    int seen = 0;
    assert_int_equal(sm_chunks_get_chunks_by_document_each(db->conn, a, COLL, DOC,
                                                           (sc_opt_i64)SC_SOME(1000),
                                                           stop_after_five, &seen, &err),
                     SC_NOT_FOUND);
    assert_int_equal(seen, 5);
    sc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_million_rows_stream_in_a_fixed_budget),
        cmocka_unit_test(limit_and_early_stop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
