/* Bulk upsert beyond COPY (collection_sources.upsert_many): 20,000 rows of
 * six columns are 120,000 bind parameters, past PostgreSQL's 65,535, so the
 * rows go out in several statements; they land all or not at all, a second
 * run updates in place, and an unset column with a DEFAULT gets it. */
#include "gen_helpers.h"

#include "sm_collection_sources.h"

enum { ROWS = 20000 };

static gen_db *db;
static const char *const COLL = "6a0c1f3e-2b4d-4e5f-8a9b-00000000f001";
static sm_collection_source_new *rows;
static char (*paths)[32];

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("upsert");
    PGresult *r = gen_sql(db, "INSERT INTO semantik.users (username, email, hashed_password) "
                              "VALUES ('up', 'up@example.org', 'x');"
                              "INSERT INTO semantik.collections (id, name, owner_id, vector_store_name,"
                              " embedding_model) SELECT '6a0c1f3e-2b4d-4e5f-8a9b-00000000f001', 'up',"
                              " id, 'col_up', 'm' FROM semantik.users");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    rows = calloc(ROWS + 100, sizeof *rows);
    paths = calloc(ROWS + 100, sizeof *paths);
    for (int i = 0; i < ROWS + 100; i++) {
        snprintf(paths[i], sizeof paths[i], "/data/file-%05d.md", i);
        rows[i] = (sm_collection_source_new){.collection_id = COLL, .source_path = paths[i],
                                             .source_type = "file"};
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(rows);
    free(paths);
    gen_db_close(db);
    return 0;
}

static void rows_past_the_parameter_limit_land_in_one_call(void **state)
{
    (void)state;
    rows[0].document_count = 5;
    rows[0].has_document_count = true;
    sc_error err = {0};
    int64_t affected = -1;
    int rc = sm_collection_sources_upsert_many(db->conn, rows, ROWS, &affected, &err);
    if (rc != SC_OK)
        fail_msg("%s", err.message);
    assert_int_equal(affected, ROWS);
    assert_int_equal(gen_scalar(db, "SELECT count(*) FROM semantik.collection_sources"), ROWS);
    assert_int_equal(gen_scalar(db, "SELECT document_count FROM semantik.collection_sources "
                            "WHERE source_path = '/data/file-00000.md'"), 5);
    assert_int_equal(gen_scalar(db, "SELECT document_count FROM semantik.collection_sources "
                            "WHERE source_path = '/data/file-00001.md'"), 0); /* DEFAULT 0 */
}

static void a_second_run_updates_in_place_and_adds_the_new(void **state)
{
    (void)state;
    for (int i = 0; i < ROWS + 100; i++)
        rows[i].source_type = "directory";
    sc_error err = {0};
    int64_t affected = -1;
    assert_int_equal(sm_collection_sources_upsert_many(db->conn, rows, ROWS + 100, &affected, &err),
                     SC_OK);
    assert_int_equal(affected, ROWS + 100);
    assert_int_equal(gen_scalar(db, "SELECT count(*) FROM semantik.collection_sources"), ROWS + 100);
    assert_int_equal(gen_scalar(db, "SELECT count(*) FROM semantik.collection_sources "
                            "WHERE source_type = 'directory'"), ROWS + 100);
    /* document_count is not in the update list: the first run's 5 stays */
    assert_int_equal(gen_scalar(db, "SELECT document_count FROM semantik.collection_sources "
                            "WHERE source_path = '/data/file-00000.md'"), 5);
}

/* A row near the end (in the last statement) names no collection: the
 * foreign key refuses it and none of the statements before it is kept. */
static void a_failure_in_the_last_statement_writes_nothing(void **state)
{
    (void)state;
    for (int i = 0; i < ROWS + 100; i++)
        rows[i].source_type = "url";
    rows[ROWS + 50].collection_id = "6a0c1f3e-2b4d-4e5f-8a9b-0000000dead0";
    sc_error err = {0};
    int64_t affected = -1;
    assert_int_equal(sm_collection_sources_upsert_many(db->conn, rows, ROWS + 100, &affected, &err),
                     SC_FOREIGN_KEY);
    assert_int_equal(affected, 0);
    assert_int_equal(gen_scalar(db, "SELECT count(*) FROM semantik.collection_sources "
                            "WHERE source_type = 'url'"), 0);
    assert_int_equal(gen_scalar(db, "SELECT count(*) FROM semantik.collection_sources"), ROWS + 100);
    rows[ROWS + 50].collection_id = COLL;
    /* bad input is refused before anything is sent */
    rows[7].source_path = NULL;
    sc_error_clear(&err);
    assert_int_equal(sm_collection_sources_upsert_many(db->conn, rows, ROWS, &affected, &err),
                     SC_INVALID_INPUT);
    rows[7].source_path = paths[7];
    assert_int_equal(gen_scalar(db, "SELECT count(*) FROM semantik.collection_sources "
                            "WHERE source_type = 'url'"), 0);
}

static void nothing_to_write_is_fine(void **state)
{
    (void)state;
    sc_error err = {0};
    int64_t affected = -1;
    assert_int_equal(sm_collection_sources_upsert_many(db->conn, rows, 0, &affected, &err), SC_OK);
    assert_int_equal(affected, 0);
    assert_int_equal(sm_collection_sources_upsert_many(db->conn, NULL, 3, &affected, &err),
                     SC_MISUSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_past_the_parameter_limit_land_in_one_call),
        cmocka_unit_test(a_second_run_updates_in_place_and_adds_the_new),
        cmocka_unit_test(a_failure_in_the_last_statement_writes_nothing),
        cmocka_unit_test(nothing_to_write_is_fine),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
