/* The generated test factories (generated/tests/sm_factories.h), as a
 * service's own tests would use them: one call makes a chunk with its
 * document, collection and owner; overrides are kept; unique columns stay
 * unique over many calls; a table-level CHECK is satisfied by overrides. */
#include "gen_helpers.h"

#include "sc_hashtext.h"
#include "tests/sm_factories.h"

static gen_db *db;

static void ok(int rc, const sc_error *err, const char *what)
{
    if (rc != SC_OK)
        fail_msg("%s -> %s: %s", what, sc_status_name(rc), err->message);
}

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("factories");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

static long long scalar(const char *sql)
{
    PGresult *r = gen_sql(db, sql);
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static void one_call_makes_a_row_and_its_parents(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_chunk chunk;
    ok(sm_test_make_chunk(db->conn, db->arena, NULL, &chunk, &err), &err, "chunk");
    assert_null(chunk.document_id); /* nullable: left to the table */
    assert_int_equal(chunk.partition_key,
                     sc_partition_key(chunk.collection_id, strlen(chunk.collection_id), 100));
    assert_int_equal(scalar("SELECT count(*) FROM semantik.collections"), 1);
    assert_int_equal(scalar("SELECT count(*) FROM semantik.users"), 1);
    assert_int_equal(scalar("SELECT count(*) FROM semantik.chunks"), 1);
    sm_document doc;
    ok(sm_test_make_document(db->conn, db->arena, NULL, &doc, &err), &err, "document");
    assert_int_equal(strlen(doc.id), 36); /* a UUID key */
    assert_string_not_equal(doc.collection_id, chunk.collection_id); /* a parent of its own */
    assert_int_equal(scalar("SELECT count(*) FROM semantik.collections"), 2);
    sc_arena_reset(db->arena);
}

static void overrides_are_kept_and_uniques_stay_unique(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_user owner;
    ok(sm_test_make_user(db->conn, db->arena, &(sm_user_new){.username = "chosen"}, &owner, &err),
       &err, "user");
    assert_string_equal(owner.username, "chosen");
    for (int i = 0; i < 50; i++) {
        sm_collection c;
        ok(sm_test_make_collection(db->conn, db->arena, &(sm_collection_new){.owner_id = owner.id},
                                   &c, &err),
           &err, "collection"); /* name and vector_store_name are unique */
        assert_int_equal(c.owner_id, owner.id);
    }
    char sql[120];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM semantik.collections WHERE owner_id = %d", owner.id);
    assert_int_equal(scalar(sql), 50);
    sc_arena_reset(db->arena);
}

static void a_table_check_is_met_by_overrides(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_user reader;
    ok(sm_test_make_user(db->conn, db->arena, NULL, &reader, &err), &err, "user");
    sm_collection_permission p;
    /* user xor API key: the factory cannot choose, the test does */
    ok(sm_test_make_collection_permission(db->conn, db->arena,
                                          &(sm_collection_permission_new){
                                              .user_id = reader.id, .has_user_id = true,
                                              .permission = "write"},
                                          &p, &err),
       &err, "permission");
    assert_string_equal(p.permission, "write");
    assert_int_equal(p.user_id, reader.id);
    /* without them the server's CHECK refuses, as it should */
    assert_int_equal(sm_test_make_collection_permission(db->conn, db->arena, NULL, &p, &err),
                     SC_CHECK);
    sc_arena_reset(db->arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_call_makes_a_row_and_its_parents),
        cmocka_unit_test(overrides_are_kept_and_uniques_stay_unique),
        cmocka_unit_test(a_table_check_is_met_by_overrides),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
