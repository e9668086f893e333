/* The Citus tier (issue 17 #3): tests/citus/schema.yaml migrated onto a
 * coordinator with two workers (tests/pg/with-citus, tests/run-citus). The
 * migration's guarded block made users a reference table and collections,
 * documents and the partitioned chunks distributed and colocated; every
 * generated statement that binds the distribution column runs as one task
 * on one worker, the ones marked fanout (and the unfiltered lists) on every
 * shard; writes through the generated API land on one worker, and foreign
 * keys still hold across the distributed tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "schemac.h"
#include "sc_query.h"
#include "sc_testkit.h"
#include "ct_chunks.h"
#include "ct_collections.h"
#include "ct_documents.h"
#include "ct_users.h"

#include "citus_session.h"

static void tables_are_distributed_and_colocated(void **state)
{
    (void)state;
    PGresult *r = sql("SELECT logicalrelid::text, partmethod, colocationid FROM pg_dist_partition "
                      "WHERE logicalrelid::text IN ('ct.users', 'ct.collections', 'ct.documents', "
                      "'ct.chunks') ORDER BY 1");
    assert_int_equal(PQntuples(r), 4);
    /* chunks, collections, documents, users */
    assert_string_equal(PQgetvalue(r, 3, 0), "ct.users");
    assert_string_equal(PQgetvalue(r, 3, 1), "n"); /* reference: no distribution */
    for (int i = 0; i < 3; i++) {
        assert_string_equal(PQgetvalue(r, i, 1), "h");
        assert_string_equal(PQgetvalue(r, i, 2), PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    r = sql("SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'ct.chunks_p%'");
    assert_string_equal(PQgetvalue(r, 0, 0), "4"); /* the partitions follow their parent */
    PQclear(r);
    r = sql("SELECT count(DISTINCT nodeport) FROM pg_dist_shard s JOIN pg_dist_placement p "
            "USING (shardid) JOIN pg_dist_node n USING (groupid) "
            "WHERE s.logicalrelid = 'ct.documents'::regclass");
    assert_string_equal(PQgetvalue(r, 0, 0), "2"); /* spread over both workers */
    PQclear(r);
}

static void foreign_keys_are_back(void **state)
{
    (void)state;
    PGresult *r = sql("SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint "
                      "WHERE contype = 'f' AND conparentid = 0 AND connamespace = 'ct'::regnamespace "
                      "ORDER BY 1");
    assert_int_equal(PQntuples(r), 3);
    assert_string_equal(PQgetvalue(r, 0, 0), "ct.chunks.chunks_document_fk");
    assert_string_equal(PQgetvalue(r, 1, 0), "ct.collections.collections_owner_id_fkey");
    assert_string_equal(PQgetvalue(r, 2, 0), "ct.documents.documents_collection_id_fkey");
    PQclear(r);
}

/* Statements that bind the distribution column are router plans; the lists
 * without a filter and the queries marked fanout go to every shard. */
static void check_tasks(const sc_query *const *qs, size_t n, const char *dist, int modulus,
                        int *routed, int *fanned)
{
    char why[1024];
    for (size_t i = 0; i < n; i++) {
        const char *name = qs[i]->stmt.name;
        int tasks = sc_testkit_citus_tasks(pg, qs[i], dist, "c1", modulus, why, sizeof why);
        if (tasks < 0)
            fail_msg("%s", why);
        bool fanout = true; /* unless it binds the distribution column */
        for (int k = 0; k < qs[i]->stmt.nparams; k++)
            fanout &= strcmp(qs[i]->params[k].name, dist) != 0;
        printf("citus: %-40s %d task%s\n", name, tasks, tasks == 1 ? "" : "s");
        if (fanout ? tasks < 2 : tasks != 1)
            fail_msg("%s: %d tasks in its plan", name, tasks);
        fanout ? (*fanned)++ : (*routed)++;
    }
}

static void statements_route_to_one_shard(void **state)
{
    (void)state;
    int routed = 0, fanned = 0;
    check_tasks(ct_collections_statements, ct_collections_statements_count, "id", 0, &routed,
                &fanned);
    check_tasks(ct_documents_statements, ct_documents_statements_count, "collection_id", 0,
                &routed, &fanned);
    check_tasks(ct_chunks_statements, ct_chunks_statements_count, "collection_id", 4, &routed,
                &fanned);
    printf("citus: %d statements on one shard, %d on every shard\n", routed, fanned);
    assert_true(routed >= 12);
    assert_true(fanned >= 3);
}

static void writes_land_on_one_worker(void **state)
{
    (void)state;
    sc_error err = {0};
    ct_user u;
    ct_collection col;
    ct_document doc;
    ct_chunk ch;
    ct_user_new un = {.name = "ada"};
    assert_int_equal(ct_users_create(conn, arena, &un, &u, &err), SC_OK);
    ct_collection_new cn = {.id = "col-1", .owner_id = u.id, .name = "papers"};
    assert_int_equal(ct_collections_create(conn, arena, &cn, &col, &err), SC_OK);
    ct_document_new dn = {.id = "doc-1", .collection_id = "col-1", .uri = "file:///a"};
    assert_int_equal(ct_documents_create(conn, arena, &dn, &doc, &err), SC_OK);
    ct_chunk_new chn = {.collection_id = "col-1", .document_id = "doc-1", .body = "hello"};
    assert_int_equal(ct_chunks_create(conn, arena, &chn, &ch, &err), SC_OK);

    ct_document back;
    assert_int_equal(ct_documents_get(conn, arena, "col-1", "doc-1", &back, &err), SC_OK);
    assert_string_equal(back.uri, "file:///a");
    /* The collection's rows share one worker: colocated shards. */
    PGresult *r = sql("SELECT count(DISTINCT n.nodeport) FROM unnest(ARRAY["
                      "get_shard_id_for_distribution_column('ct.collections', 'col-1'), "
                      "get_shard_id_for_distribution_column('ct.documents', 'col-1')]) AS s(shardid) "
                      "JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid)");
    assert_string_equal(PQgetvalue(r, 0, 0), "1");
    PQclear(r);

    /* Foreign keys hold across shards: no document of a missing collection. */
    ct_document_new orphan = {.id = "doc-2", .collection_id = "no-such-collection", .uri = "x"};
    assert_int_equal(ct_documents_create(conn, arena, &orphan, &doc, &err), SC_FOREIGN_KEY);
    sc_error_clear(&err);
    assert_int_equal(ct_collections_delete(conn, "col-1", &err), SC_OK);
    assert_int_equal(ct_documents_get(conn, arena, "col-1", "doc-1", &back, &err), SC_NOT_FOUND);
}

int main(void)
{
    if (!getenv("SC_TEST_CITUS")) {
        printf("citus tier: skipped (run under tests/pg/with-citus)\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tables_are_distributed_and_colocated),
        cmocka_unit_test(foreign_keys_are_back),
        cmocka_unit_test(statements_route_to_one_shard),
        cmocka_unit_test(writes_land_on_one_worker),
    };
    return cmocka_run_group_tests_name("citus", tests, session_open, session_close);
}
