/* The generated Semantik layer end to end on a real database: round trips,
 * the permission-checked reads of spec 001 section 6 with rows that must and
 * must not come back, constraint violations mapped with their names, status
 * moves refused by the state machine, UUID validation, and the partitioned
 * bulk path. */
#include "gen_helpers.h"

#include "sc_hashtext.h"
#include "sm_chunks.h"
#include "sm_collection_permissions.h"
#include "sm_collections.h"
#include "sm_documents.h"
#include "sm_users.h"

#define OK(call) expect_status((call), SC_OK, &err, #call, __LINE__)
#define FAILS(status, call) expect_status((call), (status), &err, #call, __LINE__)

static void expect_status(int rc, int want, sc_error *err, const char *what, int line)
{
    if (rc != want)
        fail_msg("line %d: %s -> %s (wanted %s): %s", line, what, sc_status_name(rc),
                 sc_status_name(want), err->message);
    if (rc != SC_OK && err->category != want)
        fail_msg("line %d: %s: error category %s", line, what, sc_status_name(err->category));
}

static gen_db *db;

static int32_t make_user(const char *name)
{
    char email[64];
    snprintf(email, sizeof email, "%s@example.org", name);
    sm_user_new in = {.username = name, .email = email, .hashed_password = "x"};
    sm_user out;
    sc_error err = {0};
    OK(sm_users_create(db->conn, db->arena, &in, &out, &err));
    return out.id;
}

static void make_collection(const char *id, const char *name, int32_t owner, bool public)
{
    char store[80];
    snprintf(store, sizeof store, "col_%s", name);
    sm_collection_new in = {.id = id, .name = name, .owner_id = owner,
                            .vector_store_name = store, .embedding_model = "m",
                            .is_public = public, .has_is_public = true};
    sm_collection out;
    sc_error err = {0};
    OK(sm_collections_create(db->conn, db->arena, &in, &out, &err));
}

static const char *const ID_A = "0f6c7a5e-1d2b-4c3a-9e8f-000000000001";
static const char *const ID_B_PRIVATE = "0f6c7a5e-1d2b-4c3a-9e8f-000000000002";
static const char *const ID_B_PUBLIC = "0f6c7a5e-1d2b-4c3a-9e8f-000000000003";
static const char *const ID_C_SHARED = "0f6c7a5e-1d2b-4c3a-9e8f-000000000004";

static int32_t alice, bob, carol;

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("semantik");
    alice = make_user("alice");
    bob = make_user("bob");
    carol = make_user("carol");
    make_collection(ID_A, "alice-notes", alice, false);
    make_collection(ID_B_PRIVATE, "bob-private", bob, false);
    make_collection(ID_B_PUBLIC, "bob-public", bob, true);
    make_collection(ID_C_SHARED, "carol-shared", carol, false);
    sm_collection_permission_new grant = {.collection_id = ID_C_SHARED, .user_id = alice,
                                          .has_user_id = true, .permission = "read"};
    sm_collection_permission out;
    sc_error err = {0};
    OK(sm_collection_permissions_create(db->conn, db->arena, &grant, &out, &err));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

static void collection_round_trips(void **state)
{
    (void)state;
    sc_error err = {0};
    json_t *meta = json_pack("{s:s, s:[i, i]}", "team", "search", "sizes", 1, 2);
    sm_collection_new in = {.id = "0F6C7A5E-1D2B-4C3A-9E8F-0000000000AA", .name = "round-trip",
                            .owner_id = alice, .vector_store_name = "col_rt",
                            .embedding_model = "bge", .meta = meta, .chunk_size = 512,
                            .has_chunk_size = true};
    sm_collection made, got;
    OK(sm_collections_create(db->conn, db->arena, &in, &made, &err));
    json_decref(meta);
    /* lower-cased before the round trip */
    assert_string_equal(made.id, "0f6c7a5e-1d2b-4c3a-9e8f-0000000000aa");
    OK(sm_collections_get(db->conn, db->arena, made.id, alice, &got, &err));
    assert_string_equal(got.name, "round-trip");
    assert_int_equal(got.status, SM_COLLECTION_STATUS_PENDING); /* the column default */
    assert_int_equal(got.chunk_size, 512);
    assert_int_equal(got.chunk_overlap, 200);                  /* default */
    assert_null(got.description);                              /* SQL NULL */
    assert_false(got.has_embedding_dimension);
    /* JSON stays text until asked for, is parsed once, and NULL is NULL */
    assert_non_null(strstr(got.meta.text, "\"sizes\""));
    json_t *parsed = sc_json_value(&got.meta);
    assert_ptr_equal(sc_json_value(&got.meta), parsed);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(parsed, "sizes"), 1)), 2);
    assert_null(got.qdrant_staging.text);
    assert_null(sc_json_value(&got.qdrant_staging));
    assert_true(got.created_at > 1700000000LL * 1000000);
    /* scoped: another user's id does not find it */
    FAILS(SC_NOT_FOUND, sm_collections_get(db->conn, db->arena, made.id, bob, &got, &err));
    sc_arena_reset(db->arena);
}

/* A caller maps a generated get's SC_NOT_FOUND to its own answer: the
 * status it returns and err must agree (schemac.h, "Errors"). */
static int get_for_request(const char *id, int32_t user, sm_collection *out, sc_error *err)
{
    int rc = sm_collections_get(db->conn, db->arena, id, user, out, err);
    if (rc == SC_NOT_FOUND)
        return sc_error_set(err, SC_ACCESS_DENIED, "collection %s: not yours", id);
    return rc;
}

static void not_found_can_be_mapped_to_another_status(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_collection_new in = {.id = "0f6c7a5e-1d2b-4c3a-9e8f-0000000000ab", .name = "mapped",
                            .owner_id = alice, .vector_store_name = "col_mapped",
                            .embedding_model = "bge"};
    sm_collection made, got;
    OK(sm_collections_create(db->conn, db->arena, &in, &made, &err));
    sc_error_clear(&err);
    int rc = get_for_request(made.id, bob, &got, &err);
    assert_int_equal(rc, SC_ACCESS_DENIED);
    assert_int_equal(err.category, SC_ACCESS_DENIED);
    assert_string_equal(err.message, "collection 0f6c7a5e-1d2b-4c3a-9e8f-0000000000ab: not yours");
    /* Any other error still wins over what follows it. */
    assert_int_equal(sc_error_set(&err, SC_DATABASE, "later"), SC_DATABASE);
    assert_int_equal(err.category, SC_ACCESS_DENIED);
    OK(sm_collections_delete(db->conn, made.id, alice, &err));
    sc_arena_reset(db->arena);
}

static bool has_id(const sm_collection *rows, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].id, id) == 0)
            return true;
    return false;
}

/* Owner, or public, or a grant: exactly those come back (spec 001 section 6). */
static void list_for_user_returns_owned_public_and_shared(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_collection *rows;
    size_t n;
    int64_t total;
    OK(sm_collections_list_for_user(db->conn, db->arena, alice, (sm_opt_collection_status)SC_NONE, NULL, &rows, &n, &total, &err));
    assert_true(has_id(rows, n, ID_A));
    assert_true(has_id(rows, n, ID_B_PUBLIC));
    assert_true(has_id(rows, n, ID_C_SHARED));
    assert_false(has_id(rows, n, ID_B_PRIVATE));
    assert_int_equal(total, (int64_t)n);
    /* the optional status filter is its own statement */
    sm_opt_collection_status ready = SC_SOME(SM_COLLECTION_STATUS_READY);
    OK(sm_collections_list_for_user(db->conn, db->arena, alice, ready, NULL, &rows, &n, &total, &err));
    assert_int_equal(n, 0);
    /* offset pagination keeps the total */
    sc_page page = {1, 1};
    OK(sm_collections_list_for_user(db->conn, db->arena, bob, (sm_opt_collection_status)SC_NONE, &page, &rows, &n, &total, &err));
    assert_int_equal(n, 1);
    assert_int_equal(total, 2);
    sc_arena_reset(db->arena);
}

static void permission_check_hides_other_users_rows(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_collection c;
    OK(sm_collections_get_by_uuid_with_permission_check(db->conn, db->arena, ID_C_SHARED, alice, &c, &err));
    OK(sm_collections_get_by_uuid_with_permission_check(db->conn, db->arena, ID_B_PUBLIC, alice, &c, &err));
    /* spec 001 section 6: it exists but is not hers: AccessDenied, and none of its values */
    FAILS(SC_ACCESS_DENIED, sm_collections_get_by_uuid_with_permission_check(db->conn, db->arena, ID_B_PRIVATE, alice, &c, &err));
    assert_null(c.id);
    assert_null(c.name);
    memset(&err, 0, sizeof err);
    FAILS(SC_ACCESS_DENIED, sm_collections_get_by_uuid_with_permission_check(db->conn, db->arena, ID_C_SHARED, bob, &c, &err));
    memset(&err, 0, sizeof err);
    FAILS(SC_NOT_FOUND, sm_collections_get_by_uuid_with_permission_check(db->conn, db->arena, "0f6c7a5e-1d2b-4c3a-9e8f-0000000000ff", alice, &c, &err));
    sc_arena_reset(db->arena);
}

static void violations_map_to_statuses_with_constraint_names(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_user_new dup = {.username = "alice", .email = "other@example.org", .hashed_password = "x"};
    sm_user u;
    FAILS(SC_CONFLICT, sm_users_create(db->conn, db->arena, &dup, &u, &err));
    assert_string_equal(err.sqlstate, "23505");
    assert_true(strstr(err.constraint, "username") != NULL);

    memset(&err, 0, sizeof err);
    sm_collection_new orphan = {.id = "0f6c7a5e-1d2b-4c3a-9e8f-0000000000bb", .name = "orphan",
                                .owner_id = 999999, .vector_store_name = "col_orphan",
                                .embedding_model = "m"};
    sm_collection c;
    FAILS(SC_FOREIGN_KEY, sm_collections_create(db->conn, db->arena, &orphan, &c, &err));
    assert_true(strstr(err.constraint, "owner") != NULL);

    memset(&err, 0, sizeof err);
    sm_collection_permission_new neither = {.collection_id = ID_A, .permission = "read"};
    sm_collection_permission p;
    FAILS(SC_CHECK, sm_collection_permissions_create(db->conn, db->arena, &neither, &p, &err));
    assert_string_equal(err.constraint, "check_user_or_api_key");

    memset(&err, 0, sizeof err);
    sm_collection_patch clear_name = {.set_name = true, .name = NULL};
    FAILS(SC_NOT_NULL, sm_collections_update(db->conn, db->arena, ID_A, alice, &clear_name, &c, &err));
    assert_string_equal(err.sqlstate, "23502");
    sc_arena_reset(db->arena);
}

static void input_is_checked_before_the_round_trip(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_collection c;
    FAILS(SC_INVALID_INPUT, sm_collections_get(db->conn, db->arena, "not-a-uuid", alice, &c, &err));
    assert_string_equal(err.message, "parameter 'id' is not a UUID v4: 'not-a-uuid'");
    memset(&err, 0, sizeof err);
    FAILS(SC_INVALID_INPUT, sm_collections_get(db->conn, db->arena, NULL, alice, &c, &err));
}

static void status_moves_follow_the_state_machine(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_collection c;
    /* pending -> ready is not in spec 001's table */
    FAILS(SC_CHECK, sm_collections_set_status(db->conn, db->arena, ID_A, alice, SM_COLLECTION_STATUS_READY, &c, &err));
    assert_string_equal(err.message, "sm_collections_set_status: status cannot move from pending to ready");
    memset(&err, 0, sizeof err);
    OK(sm_collections_set_status(db->conn, db->arena, ID_A, alice, SM_COLLECTION_STATUS_PROCESSING, &c, &err));
    assert_int_equal(c.status, SM_COLLECTION_STATUS_PROCESSING);
    OK(sm_collections_set_status(db->conn, db->arena, ID_A, alice, SM_COLLECTION_STATUS_READY, &c, &err));
    assert_int_equal(c.status, SM_COLLECTION_STATUS_READY);
    FAILS(SC_NOT_FOUND, sm_collections_set_status(db->conn, db->arena, ID_B_PRIVATE, alice, SM_COLLECTION_STATUS_PROCESSING, &c, &err));
    assert_true(sm_collection_status_can_transition(SM_COLLECTION_STATUS_ERROR, SM_COLLECTION_STATUS_PROCESSING));
    assert_false(sm_collection_status_can_transition(SM_COLLECTION_STATUS_ERROR, SM_COLLECTION_STATUS_READY));
    sc_arena_reset(db->arena);
}

enum { BULK_ROWS = 25000 };

static sm_chunk_new *bulk_rows(const char *collection, const char *document, size_t n)
{
    static char content[] = "chunk text with a tab\there and a backslash \\ and ünïcödé";
    sm_chunk_new *rows = calloc(n, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        rows[i].collection_id = collection;
        rows[i].document_id = document;
        rows[i].chunk_index = (int32_t)i;
        rows[i].content = content;
    }
    return rows;
}

static void make_document(const char *id, const char *collection)
{
    sm_document_new in = {.id = id, .collection_id = collection, .file_path = "/a", .file_name = "a",
                          .file_size = 1, .content_hash = id};
    sm_document out;
    sc_error err = {0};
    OK(sm_documents_create(db->conn, db->arena, &in, &out, &err));
}

static void bulk_insert_splits_batches_and_lands_in_one_partition(void **state)
{
    (void)state;
    const char *doc = "0f6c7a5e-1d2b-4c3a-9e8f-0000000000d1";
    make_document(doc, ID_B_PUBLIC);
    sm_chunk_new *rows = bulk_rows(ID_B_PUBLIC, doc, BULK_ROWS);
    sc_error err = {0};
    int64_t inserted = 0, count = 0;
    OK(sm_chunks_create_chunks_bulk(db->conn, rows, BULK_ROWS, &inserted, &err));
    assert_int_equal(inserted, BULK_ROWS);
    OK(sm_chunks_count_by_collection(db->conn, ID_B_PUBLIC, &count, &err));
    assert_int_equal(count, BULK_ROWS);
    /* every row in the partition the server's own formula names */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM semantik.chunks_part_%02d WHERE collection_id = '%s'",
             sc_partition_key(ID_B_PUBLIC, strlen(ID_B_PUBLIC), 100), ID_B_PUBLIC);
    PGresult *r = gen_sql(db, sql);
    assert_int_equal(atoi(PQgetvalue(r, 0, 0)), BULK_ROWS);
    PQclear(r);
    /* read back in order, escapes intact */
    int64_t max = 3;
    sm_chunk *got;
    size_t n;
    OK(sm_chunks_get_chunks_by_document(db->conn, db->arena, ID_B_PUBLIC, doc, (sc_opt_i64)SC_SOME(max), &got, &n, &err));
    assert_int_equal(n, 3);
    assert_int_equal(got[2].chunk_index, 2);
    assert_string_equal(got[0].content, rows[0].content);
    free(rows);
    sc_arena_reset(db->arena);
}

static void failing_bulk_insert_leaves_no_rows(void **state)
{
    (void)state;
    sm_chunk_new *rows = bulk_rows(ID_C_SHARED, NULL, BULK_ROWS);
    rows[15000].document_id = "0f6c7a5e-1d2b-4c3a-9e8f-00000000dead"; /* no such document */
    sc_error err = {0};
    int64_t inserted = -1, count = -1;
    FAILS(SC_FOREIGN_KEY, sm_chunks_create_chunks_bulk(db->conn, rows, BULK_ROWS, &inserted, &err));
    assert_int_equal(inserted, 0);
    memset(&err, 0, sizeof err);
    OK(sm_chunks_count_by_collection(db->conn, ID_C_SHARED, &count, &err));
    assert_int_equal(count, 0);
    free(rows);
}

/* The same sm_chunk_new means the same row on both paths: an unset column
 * with a DEFAULT gets it from create and from the bulk COPY alike, also when
 * rows differ in what they set (each run of alike rows is its own COPY,
 * all in one transaction). */
static void bulk_insert_applies_defaults_like_create(void **state)
{
    (void)state;
    const char *doc = "0f6c7a5e-1d2b-4c3a-9e8f-0000000000d7";
    make_document(doc, ID_B_PUBLIC);
    json_t *meta = json_pack("{s:i}", "page", 7);
    sm_chunk_new one = {.collection_id = ID_B_PUBLIC, .document_id = doc, .chunk_index = 100,
                        .content = "created one by one"};
    sm_chunk made;
    sc_error err = {0};
    OK(sm_chunks_create(db->conn, db->arena, &one, &made, &err));
    sm_chunk_new *rows = bulk_rows(ID_B_PUBLIC, doc, 6);
    rows[2].metadata = rows[3].metadata = meta; /* unset, set, unset: three COPYs */
    int64_t inserted = 0;
    OK(sm_chunks_create_chunks_bulk(db->conn, rows, 6, &inserted, &err));
    assert_int_equal(inserted, 6);
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT string_agg(chunk_index || '=' || coalesce(metadata::text,"
             " 'NULL'), ' ' ORDER BY chunk_index) FROM semantik.chunks WHERE document_id = '%s'",
             doc);
    PGresult *r = gen_sql(db, sql);
    assert_string_equal(PQgetvalue(r, 0, 0), "0={} 1={} 2={\"page\": 7} 3={\"page\": 7} 4={} "
                                             "5={} 100={}");
    PQclear(r);
    /* A refused row in the last COPY takes the earlier ones with it. */
    const char *doc2 = "0f6c7a5e-1d2b-4c3a-9e8f-0000000000d8";
    make_document(doc2, ID_B_PUBLIC);
    sm_chunk_new *bad = bulk_rows(ID_B_PUBLIC, doc2, 4);
    bad[1].metadata = meta;
    bad[3].document_id = "0f6c7a5e-1d2b-4c3a-9e8f-00000000dead";
    FAILS(SC_FOREIGN_KEY, sm_chunks_create_chunks_bulk(db->conn, bad, 4, &inserted, &err));
    assert_int_equal(inserted, 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM semantik.chunks WHERE document_id = '%s'",
             doc2);
    r = gen_sql(db, sql);
    assert_string_equal(PQgetvalue(r, 0, 0), "0");
    PQclear(r);
    /* The other suites count this collection's chunks. */
    snprintf(sql, sizeof sql, "DELETE FROM semantik.chunks WHERE document_id = '%s'", doc);
    PQclear(gen_sql(db, sql));
    json_decref(meta);
    free(rows);
    free(bad);
    sc_arena_reset(db->arena);
}

static void make_document_with_hash(const char *id, const char *collection, const char *hash)
{
    sm_document_new in = {.id = id, .collection_id = collection, .file_path = "/p",
                          .file_name = "p", .file_size = 1, .content_hash = hash};
    sm_document out;
    sc_error err = {0};
    OK(sm_documents_create(db->conn, db->arena, &in, &out, &err));
}

/* Deduplication is per collection: the same hash elsewhere is not a match. */
static void document_queries_filter_by_collection_and_status(void **state)
{
    (void)state;
    const char *d1 = "0f6c7a5e-1d2b-4c3a-9e8f-0000000000e1", *d2 = "0f6c7a5e-1d2b-4c3a-9e8f-0000000000e2";
    make_document_with_hash(d1, ID_A, "sha:same");
    make_document_with_hash(d2, ID_A, "sha:other");
    make_document_with_hash("0f6c7a5e-1d2b-4c3a-9e8f-0000000000e3", ID_C_SHARED, "sha:same");
    sc_error err = {0};
    sm_document doc;
    OK(sm_documents_get_by_content_hash(db->conn, db->arena, ID_A, "sha:same", &doc, &err));
    assert_string_equal(doc.id, d1);
    FAILS(SC_NOT_FOUND, sm_documents_get_by_content_hash(db->conn, db->arena, ID_B_PRIVATE, "sha:same", &doc, &err));
    sm_document *rows;
    size_t n;
    int64_t total;
    memset(&err, 0, sizeof err);
    OK(sm_documents_list_by_collection(db->conn, db->arena, ID_A, (sm_opt_document_status)SC_NONE, (sc_opt_i64)SC_NONE, NULL, &rows, &n, &total, &err));
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);
    sm_opt_document_status completed = SC_SOME(SM_DOCUMENT_STATUS_COMPLETED),
                           pending = SC_SOME(SM_DOCUMENT_STATUS_PENDING);
    OK(sm_documents_list_by_collection(db->conn, db->arena, ID_A, completed, (sc_opt_i64)SC_NONE, NULL, &rows, &n, &total, &err));
    assert_int_equal(n, 0);
    OK(sm_documents_list_by_collection(db->conn, db->arena, ID_A, pending, (sc_opt_i64)SC_NONE, NULL, &rows, &n, &total, &err));
    assert_int_equal(n, 2);
    sc_arena_reset(db->arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(collection_round_trips),
        cmocka_unit_test(bulk_insert_applies_defaults_like_create),
        cmocka_unit_test(not_found_can_be_mapped_to_another_status),
        cmocka_unit_test(list_for_user_returns_owned_public_and_shared),
        cmocka_unit_test(permission_check_hides_other_users_rows),
        cmocka_unit_test(violations_map_to_statuses_with_constraint_names),
        cmocka_unit_test(input_is_checked_before_the_round_trip),
        cmocka_unit_test(status_moves_follow_the_state_machine),
        cmocka_unit_test(bulk_insert_splits_batches_and_lands_in_one_partition),
        cmocka_unit_test(failing_bulk_insert_leaves_no_rows),
        cmocka_unit_test(document_queries_filter_by_collection_and_status),
    };
    return cmocka_run_group_tests_name("generated/semantik", tests, setup, teardown);
}
