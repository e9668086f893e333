/* The generated signatures as a caller writes them: argument structs with
 * designated initializers for long signatures, sc_opt_* values for optional
 * and nullable scalars, plain values where NULL is never valid. Each test
 * checks what reached the database, not only the status. */
#include "gen_helpers.h"

#include "sm_catalog.h"
#include "sm_collection_permissions.h"
#include "sm_collection_resource_limits.h"
#include "sm_collections.h"
#include "sm_documents.h"
#include "sm_users.h"

static gen_db *db;
static int32_t owner, reader;
static const char *const COLL = "6a0c1f3e-2b4d-4e5f-8a9b-00000000c011";

static void ok(int rc, const sc_error *err, const char *what)
{
    if (rc != SC_OK)
        fail_msg("%s -> %s: %s", what, sc_status_name(rc), err->message);
}

static int32_t make_user(const char *name)
{
    char email[64];
    snprintf(email, sizeof email, "%s@example.org", name);
    sm_user_new in = {.username = name, .email = email, .hashed_password = "x"};
    sm_user out;
    sc_error err = {0};
    ok(sm_users_create(db->conn, db->arena, &in, &out, &err), &err, "create user");
    return out.id;
}

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("api_forms");
    owner = make_user("owner");
    reader = make_user("reader");
    sm_collection_new in = {.id = COLL, .name = "forms", .owner_id = owner,
                            .vector_store_name = "col_forms", .embedding_model = "m"};
    sm_collection out;
    sc_error err = {0};
    ok(sm_collections_create(db->conn, db->arena, &in, &out, &err), &err, "create collection");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

/* Sixteen positional arguments became named members: file_path and
 * file_name cannot be swapped silently, and members left out are NULL. */
static void struct_form_names_every_value(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_document doc;
    sm_documents_create_if_absent_args args = {
        .id = "6a0c1f3e-2b4d-4e5f-8a9b-00000000d001", .collection_id = COLL,
        .file_path = "/in/report.pdf", .file_name = "report.pdf", .file_size = 2048,
        .content_hash = "hash-forms-1", .mime_type = "application/pdf"};
    ok(sm_documents_create_if_absent(db->conn, db->arena, &args, &doc, &err), &err, "create");
    assert_string_equal(doc.file_path, "/in/report.pdf");
    assert_string_equal(doc.file_name, "report.pdf");
    assert_int_equal(doc.file_size, 2048);
    assert_false(doc.has_source_id); /* .source_id left out: SQL NULL */
    assert_null(doc.uri);
    assert_null(doc.meta.text);
    /* the same content again: the documented "duplicate" answer */
    args.id = "6a0c1f3e-2b4d-4e5f-8a9b-00000000d002";
    assert_int_equal(sm_documents_create_if_absent(db->conn, db->arena, &args, &doc, &err),
                     SC_NOT_FOUND);
    sc_error_clear(&err);
}

/* SC_NONE drops an optional SET fragment: only the counters given change. */
static void optional_scalars_drop_their_fragment(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_collection col;
    ok(sm_collections_update_stats(db->conn, db->arena,
                                   &(sm_collections_update_stats_args){
                                       .id = COLL, .document_count = SC_SOME(7),
                                       .vector_count = SC_SOME(70)},
                                   &col, &err),
       &err, "update both");
    assert_int_equal(col.document_count, 7);
    assert_int_equal(col.vector_count, 70);
    ok(sm_collections_update_stats(db->conn, db->arena,
                                   &(sm_collections_update_stats_args){
                                       .id = COLL, .vector_count = SC_SOME(0)},
                                   &col, &err),
       &err, "update one");
    assert_int_equal(col.document_count, 7); /* SC_NONE (left out): untouched */
    assert_int_equal(col.vector_count, 0);   /* SC_SOME(0) is a value, not "none" */
}

/* For a nullable column, SC_NONE is SQL NULL and SC_SOME(0) is zero. */
static void nullable_scalars_store_null_or_the_value(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_collection_resource_limit lim;
    sm_collection_resource_limits_upsert_args args = {
        .collection_id = COLL, .max_documents = SC_SOME(0), .max_chunks = SC_SOME(INT64_MAX),
        .max_concurrent_operations = 2};
    ok(sm_collection_resource_limits_upsert(db->conn, db->arena, &args, &lim, &err), &err,
       "upsert");
    assert_true(lim.has_max_documents);
    assert_int_equal(lim.max_documents, 0);
    assert_true(lim.has_max_chunks);
    assert_true(lim.max_chunks == INT64_MAX);
    assert_false(lim.has_max_storage_bytes);
    args.max_documents = (sc_opt_i32)SC_NONE;
    ok(sm_collection_resource_limits_upsert(db->conn, db->arena, &args, &lim, &err), &err,
       "upsert again");
    assert_false(lim.has_max_documents);
    PGresult *r = PQexec(sc_conn_pg(db->conn),
                         "SELECT max_documents IS NULL FROM semantik.collection_resource_limits "
                         "WHERE collection_id = '6a0c1f3e-2b4d-4e5f-8a9b-00000000c011'");
    assert_string_equal(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
}

/* An optional enum filter: SC_SOME selects, SC_NONE lists all. */
static void optional_enum_filter(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_document *rows;
    size_t n;
    ok(sm_documents_list_by_collection(db->conn, db->arena, COLL,
                                       (sm_opt_document_status)SC_NONE, (sc_opt_i64)SC_NONE,
                                       NULL, &rows, &n, NULL, &err),
       &err, "all");
    assert_int_equal(n, 1);
    ok(sm_documents_list_by_collection(db->conn, db->arena, COLL,
                                       (sm_opt_document_status)SC_SOME(SM_DOCUMENT_STATUS_FAILED),
                                       (sc_opt_i64)SC_NONE, NULL, &rows, &n, NULL, &err),
       &err, "failed only");
    assert_int_equal(n, 0);
    ok(sm_documents_list_by_collection(db->conn, db->arena, COLL,
                                       (sm_opt_document_status)SC_SOME(SM_DOCUMENT_STATUS_PENDING),
                                       (sc_opt_i64)SC_NONE, NULL, &rows, &n, NULL, &err),
       &err, "pending only");
    assert_int_equal(n, 1);
}

/* A grant names a user: a plain int32_t, no pointer that could be NULL; and
 * only the owner (or an admin) may grant: the grantee cannot grant itself. */
static void grant_takes_a_plain_user_id(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_collection_permission p;
    /* the grantee-to-be tries to grant itself admin */
    assert_int_equal(sm_collection_permissions_grant_to_user(
                         db->conn, db->arena,
                         &(sm_collection_permissions_grant_to_user_args){
                             .collection_id = COLL, .user_id = reader, .permission = "admin",
                             .acting_user_id = reader},
                         &p, &err),
                     SC_NOT_FOUND);
    sc_error_clear(&err);
    ok(sm_collection_permissions_grant_to_user(db->conn, db->arena,
                                               &(sm_collection_permissions_grant_to_user_args){
                                                   .collection_id = COLL, .user_id = reader,
                                                   .permission = "read", .acting_user_id = owner},
                                               &p, &err),
       &err, "grant");
    assert_true(p.has_user_id);
    assert_int_equal(p.user_id, reader);
    int64_t affected = -1;
    ok(sm_collection_permissions_revoke_from_user(db->conn, COLL, reader, reader, &affected, &err),
       &err, "revoke by the grantee");
    assert_int_equal(affected, 0); /* a read grantee cannot revoke */
    ok(sm_collection_permissions_revoke_from_user(db->conn, COLL, reader, owner, &affected, &err),
       &err, "revoke");
    assert_int_equal(affected, 1);
}

static const char *one_var(const char *name, void *ctx)
{
    return strcmp(name, "CHUNK_PARTITION_COUNT") == 0 ? ctx : NULL;
}

/* Spec 002's CHUNK_PARTITION_COUNT must agree with the schema's 100. */
static void a_disagreeing_partition_count_is_refused_at_start(void **state)
{
    (void)state;
    sc_error err = {0};
    assert_int_equal(sm_check_environment(one_var, NULL, &err), SC_OK); /* unset */
    assert_int_equal(sm_check_environment(one_var, "100", &err), SC_OK);
    assert_int_equal(sm_check_environment(one_var, "50", &err), SC_INVALID_INPUT);
    assert_non_null(strstr(err.message, "CHUNK_PARTITION_COUNT is 50"));
    assert_non_null(strstr(err.message, "100"));
    sc_error_clear(&err);
    assert_int_equal(sm_check_environment(one_var, "lots", &err), SC_INVALID_INPUT);
    assert_non_null(strstr(err.message, "CHUNK_PARTITION_COUNT"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(struct_form_names_every_value),
        cmocka_unit_test(optional_scalars_drop_their_fragment),
        cmocka_unit_test(nullable_scalars_store_null_or_the_value),
        cmocka_unit_test(optional_enum_filter),
        cmocka_unit_test(grant_takes_a_plain_user_id),
        cmocka_unit_test(a_disagreeing_partition_count_is_refused_at_start),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
