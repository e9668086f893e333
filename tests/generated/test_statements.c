/* The checks the generated tests rely on (runtime/sc_testkit.h), proven able
 * to fail: a statement that does not prune is seen touching every partition,
 * and a descriptor that disagrees with the server is refused. The generated
 * suites (generated/tests/) apply them to every statement of the catalog. */
#include "gen_helpers.h"

#include "sc_testkit.h"
#include "sm_catalog.h"

static const char *const COLLECTION = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

/* ERRATA 3: `collection_id = $1` alone scans all 100 partitions. */
static void unpruned_plan_is_detected(void **state)
{
    gen_db *db = *state;
    static const sc_field params[] = {{.name = "collection_id", .kind = SC_K_TEXT}};
    static const sc_query probe = {
        .stmt = {.name = "probe", .sql = "SELECT id FROM semantik.chunks WHERE collection_id = $1",
                 .nparams = 1},
        .params = params,
    };
    PGconn *pg = PQconnectdb(db->conninfo);
    bool scans;
    char why[512];
    assert_int_equal(sc_testkit_partitions_in_plan(pg, &probe, "chunks_part_", "collection_id",
                                                   COLLECTION, 100, &scans, why, sizeof why),
                     100);
    assert_true(scans);
    PQfinish(pg);
}

static void mismatched_descriptor_is_refused(void **state)
{
    gen_db *db = *state;
    static const sc_field cols[] = {{.name = "id", .kind = SC_K_INT64}}; /* id is integer */
    static const sc_row_desc row = {"probe_row", sizeof(int64_t), 1, cols};
    static const sc_query probe = {
        .stmt = {.name = "probe", .sql = "SELECT id FROM semantik.users", .nparams = 0},
        .row = &row,
    };
    PGconn *pg = PQconnectdb(db->conninfo);
    char why[512];
    assert_int_equal(sc_testkit_check_statement(pg, &probe, why, sizeof why), -1);
    assert_string_equal(why, "probe: result column 1 is id int4, the row struct expects id");
    PQfinish(pg);
}

static void every_repository_has_its_statements(void **state)
{
    (void)state;
    size_t total = 0;
    for (size_t i = 0; i < sm_repository_count; i++) {
        assert_true(*sm_repositories[i].count > 0);
        total += *sm_repositories[i].count;
    }
    assert_int_equal(sm_repository_count, 16);
    assert_true(total > 150);
}

static int setup(void **state)
{
    *state = gen_db_open("statements");
    return 0;
}

static int teardown(void **state)
{
    gen_db_close(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unpruned_plan_is_detected),
        cmocka_unit_test(mismatched_descriptor_is_refused),
        cmocka_unit_test(every_repository_has_its_statements),
    };
    return cmocka_run_group_tests_name("generated/statements", tests, setup, teardown);
}
