/* Semantik on Citus (issue 17 #3): schema/semantik.yaml migrated onto a
 * coordinator with two workers (tests/run-citus, after the demo). The
 * distribution its comments describe is the one the migration made; every
 * generated statement on a distributed table that binds collection_id runs
 * as one task on one worker (EXPLAIN); a collection's rows share one worker;
 * the audit triggers, which run on that worker, see the acting user. */
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
#include "sm_catalog.h"
#include "sm_collections.h"
#include "sm_documents.h"
#include "sm_users.h"

#define COLLECTION "5d1c0c8e-2f4b-4a57-9d3e-7a1b2c3d4e5f"

static const char *const distributed[] = {
    "collection_sources", "documents", "chunks", "document_artifacts", "connector_secrets",
    "collection_permissions", "collection_audit_log",
};
static const char *const reference[] = {
    "users", "chunking_strategies", "chunking_configs", "collections", "api_keys",
    "refresh_tokens", "operations", "collection_resource_limits", "operation_metrics",
};

#include "citus_session.h"

static bool in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void the_tables_are_distributed_as_the_yaml_says(void **state)
{
    (void)state;
    PGresult *r = sql("SELECT split_part(logicalrelid::text, '.', 2), partmethod, colocationid "
                      "FROM pg_dist_partition WHERE logicalrelid::text LIKE 'semantik.%' "
                      "AND logicalrelid::text NOT LIKE 'semantik.chunks_part_%' ORDER BY 1");
    assert_int_equal(PQntuples(r), (int)(COUNT(distributed) + COUNT(reference)));
    const char *group = NULL;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *name = PQgetvalue(r, i, 0), *method = PQgetvalue(r, i, 1);
        if (in(name, reference, COUNT(reference))) {
            assert_string_equal(method, "n");
            continue;
        }
        assert_true(in(name, distributed, COUNT(distributed)));
        assert_string_equal(method, "h");
        if (!group)
            group = PQgetvalue(r, i, 2);
        assert_string_equal(PQgetvalue(r, i, 2), group); /* one colocation group */
    }
    PQclear(r);
    r = sql("SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'semantik.chunks_part_%'");
    assert_string_equal(PQgetvalue(r, 0, 0), "100"); /* the partitions follow chunks */
    PQclear(r);
}

static bool binds(const sc_query *q, const char *param)
{
    for (int k = 0; k < q->stmt.nparams; k++)
        if (strcmp(q->params[k].name, param) == 0)
            return true;
    return false;
}

static void collection_statements_are_one_task(void **state)
{
    (void)state;
    int routed = 0, other = 0, unexplained = 0;
    char why[1024];
    for (size_t r = 0; r < sm_repository_count; r++) {
        const sm_repository_info *repo = &sm_repositories[r];
        if (!in(repo->table, distributed, COUNT(distributed)))
            continue;
        int modulus = strcmp(repo->table, "chunks") == 0 ? 100 : 0;
        for (size_t i = 0; i < *repo->count; i++) {
            const sc_query *q = repo->statements[i];
            if (strncmp(q->stmt.sql, "COPY", 4) == 0)
                continue;
            if (!binds(q, "collection_id")) {
                other++; /* marked fanout in the YAML, or the standard list */
                continue;
            }
            int tasks = sc_testkit_citus_tasks(pg, q, "collection_id", COLLECTION, modulus, why,
                                               sizeof why);
            if (tasks < 0 && strstr(why, "could not create distributed plan") &&
                strstr(q->stmt.sql, "INSERT INTO") && strstr(q->stmt.sql, "SELECT")) {
                /* Citus plans an INSERT ... SELECT with parameters only when
                 * it runs; the generated suites above run every one of them */
                printf("citus: %-50s not explainable (INSERT ... SELECT)\n", q->stmt.name);
                unexplained++;
                continue;
            }
            if (tasks < 0)
                fail_msg("%s", why);
            if (tasks != 1)
                fail_msg("%s: %d tasks in its plan", q->stmt.name, tasks);
            routed++;
        }
    }
    printf("citus: %d semantik statements on one shard, %d not explainable, %d others\n", routed,
           unexplained, other);
    assert_true(routed >= 40);
    assert_true(unexplained <= 4);
}

static void a_collections_rows_share_one_worker_and_audit_their_actor(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_user u;
    sm_user_new un = {.username = "routing", .email = "routing@example.com",
                      .hashed_password = "x"};
    assert_int_equal(sm_users_create(conn, arena, &un, &u, &err), SC_OK);
    sm_collection col;
    sm_collection_new cn = {.id = COLLECTION, .name = "routing", .owner_id = u.id,
                            .vector_store_name = "routing_vs", .embedding_model = "m"};
    assert_int_equal(sm_collections_create(conn, arena, &cn, &col, &err), SC_OK);

    assert_int_equal(sc_tx_begin(conn, NULL, &err), SC_OK);
    assert_int_equal(sc_tx_set_audit(conn, u.id, 0, &err), SC_OK);
    sm_document doc;
    assert_int_equal(sm_documents_create_if_absent(
                         conn, arena,
                         &(sm_documents_create_if_absent_args){
                             .id = "6e2d1d9f-3a5c-4b68-8e4f-8b2c3d4e5f60", .collection_id = COLLECTION,
                             .file_path = "/r", .file_name = "r", .file_size = 1, .content_hash = "h"},
                         &doc, &err),
                     SC_OK);
    assert_int_equal(sc_tx_commit(conn, &err), SC_OK);

    /* The trigger ran on the worker holding the document and wrote the
     * colocated log there, with the actor SET LOCAL passed on to it. */
    char q[600];
    snprintf(q, sizeof q,
             "SELECT user_id FROM semantik.collection_audit_log WHERE collection_id = '%s' "
             "AND action = 'documents.insert'", COLLECTION);
    PGresult *r = sql(q);
    assert_int_equal(PQntuples(r), 1);
    assert_int_equal(atoi(PQgetvalue(r, 0, 0)), u.id);
    PQclear(r);

    snprintf(q, sizeof q,
             "SELECT count(DISTINCT n.nodeport) FROM unnest(ARRAY["
             "get_shard_id_for_distribution_column('semantik.documents', '%s'), "
             "get_shard_id_for_distribution_column('semantik.collection_audit_log', '%s'), "
             "get_shard_id_for_distribution_column('semantik.collection_permissions', '%s')]) "
             "AS s(shardid) JOIN pg_dist_placement p USING (shardid) "
             "JOIN pg_dist_node n USING (groupid)",
             COLLECTION, COLLECTION, COLLECTION);
    r = sql(q);
    assert_string_equal(PQgetvalue(r, 0, 0), "1");
    PQclear(r);
}

int main(void)
{
    if (!getenv("SC_TEST_CITUS")) {
        printf("skipped: semantik_routing runs in the Citus tier (tests/run-citus)\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_tables_are_distributed_as_the_yaml_says),
        cmocka_unit_test(collection_statements_are_one_task),
        cmocka_unit_test(a_collections_rows_share_one_worker_and_audit_their_actor),
    };
    return cmocka_run_group_tests_name("semantik on citus", tests, session_open, session_close);
}
