/* The audit trail of tables declared with `audit:` (documents,
 * collection_sources, collection_permissions): every insert, update (with the
 * changed columns' names) and delete writes a collection_audit_log row in
 * the same transaction, with the acting user and operation that
 * sc_tx_set_audit named; a rolled-back change leaves no log row, and deleting
 * a collection (whose cascade deletes its documents) still works. */
#include "gen_helpers.h"

#include "sm_collections.h"
#include "sm_documents.h"
#include "sm_users.h"

static gen_db *db;
static int32_t actor;
static const char *const COLL = "6a0c1f3e-2b4d-4e5f-8a9b-00000000a0d1";
static const char *const DOC = "6a0c1f3e-2b4d-4e5f-8a9b-00000000a0d2";

static void ok(int rc, const sc_error *err, const char *what)
{
    if (rc != SC_OK)
        fail_msg("%s -> %s: %s", what, sc_status_name(rc), err->message);
}

static long long scalar(const char *sql)
{
    PGresult *r = gen_sql(db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    long long v = PQgetisnull(r, 0, 0) ? -1 : atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static long long log_rows(const char *action)
{
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM semantik.collection_audit_log WHERE action = '%s'", action);
    return scalar(sql);
}

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("audit");
    sc_error err = {0};
    sm_user_new u = {.username = "auditor", .email = "a@example.org", .hashed_password = "x"};
    sm_user user;
    ok(sm_users_create(db->conn, db->arena, &u, &user, &err), &err, "user");
    actor = user.id;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

static void create_collection_as(int32_t who)
{
    sc_error err = {0};
    ok(sc_tx_begin(db->conn, NULL, &err), &err, "begin");
    ok(sc_tx_set_audit(db->conn, who, 0, &err), &err, "audit context");
    sm_collection_new in = {.id = COLL, .name = "audited", .owner_id = actor,
                            .vector_store_name = "col_audited", .embedding_model = "m"};
    sm_collection out;
    ok(sm_collections_create(db->conn, db->arena, &in, &out, &err), &err, "create");
    ok(sc_tx_commit(db->conn, &err), &err, "commit");
}

static void each_kind_of_change_is_logged_with_its_actor(void **state)
{
    (void)state;
    sc_error err = {0};
    create_collection_as(actor);
    assert_int_equal(log_rows("collections.insert"), 0); /* collections are not audited */
    char sql[400];
    /* a document: insert, update of one column, delete */
    ok(sc_tx_begin(db->conn, NULL, &err), &err, "begin");
    ok(sc_tx_set_audit(db->conn, actor, 0, &err), &err, "audit context");
    sm_document doc;
    ok(sm_documents_create_if_absent(db->conn, db->arena,
                                     &(sm_documents_create_if_absent_args){
                                         .id = DOC, .collection_id = COLL, .file_path = "/a",
                                         .file_name = "a", .file_size = 1, .content_hash = "h"},
                                     &doc, &err),
       &err, "document");
    sm_document_patch patch = {.set_file_name = true, .file_name = "renamed"};
    ok(sm_documents_update(db->conn, db->arena, COLL, DOC, &patch, &doc, &err), &err, "update");
    ok(sm_documents_delete(db->conn, COLL, DOC, &err), &err, "delete");
    ok(sc_tx_commit(db->conn, &err), &err, "commit");
    assert_int_equal(log_rows("documents.insert"), 1);
    assert_int_equal(log_rows("documents.update"), 1);
    assert_int_equal(log_rows("documents.delete"), 1);
    /* the update names what changed, and only names: no values */
    PGresult *r = gen_sql(db, "SELECT details::text FROM semantik.collection_audit_log WHERE action = 'documents.update'");
    const char *details = PQgetvalue(r, 0, 0);
    assert_non_null(strstr(details, "\"file_name\""));
    assert_null(strstr(details, "renamed"));
    assert_null(strstr(details, "\"content_hash\"")); /* unchanged */
    PQclear(r);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM semantik.collection_audit_log WHERE collection_id = '%s' AND user_id = %d", COLL, actor);
    assert_int_equal(scalar(sql), 3);
}

static void without_a_context_the_actor_is_null(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_document doc;
    ok(sm_documents_create_if_absent(db->conn, db->arena,
                                     &(sm_documents_create_if_absent_args){
                                         .id = DOC, .collection_id = COLL, .file_path = "/w",
                                         .file_name = "w", .file_size = 1, .content_hash = "hw"},
                                     &doc, &err),
       &err, "document by a worker");
    assert_int_equal(scalar("SELECT user_id FROM semantik.collection_audit_log "
                            "WHERE action = 'documents.insert' ORDER BY id DESC LIMIT 1"),
                     -1);
    ok(sm_documents_delete(db->conn, COLL, DOC, &err), &err, "delete");
    /* the context ends with its transaction */
    assert_int_equal(sc_tx_set_audit(db->conn, actor, 0, &err), SC_MISUSE);
}

static void a_rolled_back_change_leaves_no_log_row(void **state)
{
    (void)state;
    sc_error err = {0};
    long long before = scalar("SELECT count(*) FROM semantik.collection_audit_log");
    ok(sc_tx_begin(db->conn, NULL, &err), &err, "begin");
    ok(sc_tx_set_audit(db->conn, actor, 0, &err), &err, "audit context");
    sm_document doc;
    ok(sm_documents_create_if_absent(db->conn, db->arena,
                                     &(sm_documents_create_if_absent_args){
                                         .id = DOC, .collection_id = COLL, .file_path = "/n",
                                         .file_name = "n", .file_size = 1, .content_hash = "hn"},
                                     &doc, &err),
       &err, "document");
    ok(sc_tx_rollback(db->conn, &err), &err, "rollback");
    assert_int_equal(scalar("SELECT count(*) FROM semantik.collection_audit_log"), before);
}

static void deleting_an_audited_collection_still_works(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_document doc;
    ok(sm_documents_create_if_absent(db->conn, db->arena,
                                     &(sm_documents_create_if_absent_args){
                                         .id = DOC, .collection_id = COLL, .file_path = "/b",
                                         .file_name = "b", .file_size = 1, .content_hash = "h2"},
                                     &doc, &err),
       &err, "document");
    /* the cascade deletes the document; its log row would name a collection
     * that is gone, so it is not written, and the collection's log goes too */
    ok(sm_collections_delete(db->conn, COLL, actor, &err), &err, "delete collection");
    assert_int_equal(scalar("SELECT count(*) FROM semantik.collection_audit_log"), 0);
    assert_int_equal(scalar("SELECT count(*) FROM semantik.documents"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_kind_of_change_is_logged_with_its_actor),
        cmocka_unit_test(without_a_context_the_actor_is_null),
        cmocka_unit_test(a_rolled_back_change_leaves_no_log_row),
        cmocka_unit_test(deleting_an_audited_collection_still_works),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
