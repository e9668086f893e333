/* Search enrichment (spec 002 section 4.3 step 4) at the size a vector
 * search returns: 1,000 hit ids, some of the collection, some of another
 * collection, some absent, in Qdrant's score order. get_for_search returns
 * exactly the collection's chunks, in the order of the ids, each with its
 * document's fields, from one statement pruned to one partition. */
#include "gen_helpers.h"

#include "sm_chunks.h"

enum { OURS = 600, THEIRS = 200, ABSENT = 200, HITS = OURS + THEIRS + ABSENT };

static gen_db *db;
static const char *const A = "6a0c1f3e-2b4d-4e5f-8a9b-00000000a001";
static const char *const B = "6a0c1f3e-2b4d-4e5f-8a9b-00000000b001";
static int64_t ids[HITS];
static int want_index[HITS]; /* chunk_index of ids[i] when it is ours, else -1 */

static void seed_collection(const char *coll, const char *doc, const char *file, int n)
{
    char sql[1200];
    snprintf(sql, sizeof sql,
             "INSERT INTO semantik.users (username, email, hashed_password) VALUES "
             "('u_%.8s', 'u_%.8s@example.org', 'x');"
             "INSERT INTO semantik.collections (id, name, owner_id, vector_store_name, embedding_model)"
             " SELECT '%s', 'c_%.8s', id, 'col_%.8s', 'm' FROM semantik.users WHERE username = 'u_%.8s';"
             "INSERT INTO semantik.documents (id, collection_id, file_path, file_name, file_size,"
             " content_hash, uri, meta) VALUES ('%s', '%s', '/in/%s', '%s', 1, 'h', 'doc://%s', '{\"lang\": \"en\"}');"
             "INSERT INTO semantik.chunks (collection_id, partition_key, document_id, chunk_index, content)"
             " SELECT '%s', abs(hashtext('%s')::bigint) %% 100, '%s', g, 'text ' || g"
             " FROM generate_series(0, %d) g",
             coll + 28, coll + 28, coll, coll + 28, coll + 28, coll + 28, doc, coll, file, file,
             file, coll, coll, doc, n - 1);
    PGresult *r = gen_sql(db, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("seed: %s", PQresultErrorMessage(r));
    PQclear(r);
}

/* The ids of a collection's chunks in chunk_index order. */
static void chunk_ids(const char *coll, int64_t *out, int n)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT id FROM semantik.chunks WHERE collection_id = '%s' ORDER BY chunk_index", coll);
    PGresult *r = gen_sql(db, sql);
    assert_int_equal(PQntuples(r), n);
    for (int i = 0; i < n; i++)
        out[i] = atoll(PQgetvalue(r, i, 0));
    PQclear(r);
}

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("search");
    seed_collection(A, "6a0c1f3e-2b4d-4e5f-8a9b-00000000a0d1", "a.md", OURS + 50);
    seed_collection(B, "6a0c1f3e-2b4d-4e5f-8a9b-00000000b0d1", "b.md", THEIRS);
    int64_t ours[OURS + 50], theirs[THEIRS];
    chunk_ids(A, ours, OURS + 50);
    chunk_ids(B, theirs, THEIRS);
    /* a deterministic shuffle of ours (every 13th chunk is not a hit),
     * theirs and ids no chunk has */
    int o = 0, t = 0, x = 0;
    for (int i = 0; i < HITS; i++) {
        int kind = i % 5 == 1 ? 1 : i % 5 == 3 ? 2 : 0;
        if ((kind == 1 && t == THEIRS) || (kind == 2 && x == ABSENT))
            kind = 0;
        if (kind == 0 && o == OURS)
            kind = t < THEIRS ? 1 : 2;
        if (kind == 0) {
            int idx = (o * 7) % (OURS + 50);
            while (idx % 13 == 12)
                idx = (idx + 1) % (OURS + 50);
            ids[i] = ours[idx];
            want_index[i] = idx;
            o++;
        } else if (kind == 1) {
            ids[i] = theirs[t++];
            want_index[i] = -1;
        } else {
            ids[i] = INT64_C(900000000) + x++;
            want_index[i] = -1;
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

static void a_thousand_hits_come_back_in_order_with_their_documents(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_chunks_get_for_search_row *rows;
    size_t n;
    int rc = sm_chunks_get_for_search(db->conn, db->arena, A, &(sc_array){HITS, ids}, &rows, &n,
                                      &err);
    if (rc != SC_OK)
        fail_msg("%s", err.message);
    size_t expected = 0, k = 0;
    for (int i = 0; i < HITS; i++) {
        if (want_index[i] < 0)
            continue;
        expected++;
        assert_true(k < n);
        assert_int_equal(rows[k].ordinal, i + 1); /* the hit's place in the ids */
        assert_true(rows[k].id == ids[i]);
        assert_int_equal(rows[k].chunk_index, want_index[i]);
        assert_string_equal(rows[k].file_name, "a.md");
        assert_string_equal(rows[k].uri, "doc://a.md");
        assert_string_equal(json_string_value(json_object_get(sc_json_value(&rows[k].document_meta), "lang")), "en");
        k++;
    }
    assert_int_equal(n, expected); /* none of B's, none absent */
    assert_true(expected > 0 && expected < HITS);
}

static void the_read_is_pruned_to_one_partition(void **state)
{
    (void)state;
    /* EXPLAIN of the generated statement: one chunks partition scanned */
    char sql[900];
    snprintf(sql, sizeof sql,
             "EXPLAIN (COSTS OFF) SELECT h.ordinal, k.id FROM unnest('{1,2,3}'::bigint[]) WITH "
             "ORDINALITY AS h(id, ordinal) JOIN semantik.chunks k ON k.id = h.id "
             "WHERE k.collection_id = '%s' AND k.partition_key = abs(hashtext('%s')::bigint) %% 100",
             A, A);
    PGresult *r = gen_sql(db, sql);
    int part = -1, mentions = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *at = strstr(PQgetvalue(r, i, 0), "chunks_part_");
        if (!at)
            continue;
        int p = atoi(at + strlen("chunks_part_"));
        assert_true(part < 0 || p == part); /* every mention is the same partition */
        part = p;
        mentions++;
    }
    PQclear(r);
    assert_true(mentions > 0);
}

static void no_ids_no_rows(void **state)
{
    (void)state;
    sc_error err = {0};
    sm_chunks_get_for_search_row *rows;
    size_t n = 7;
    assert_int_equal(sm_chunks_get_for_search(db->conn, db->arena, A, &(sc_array){0, NULL}, &rows,
                                              &n, &err),
                     SC_OK);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_thousand_hits_come_back_in_order_with_their_documents),
        cmocka_unit_test(the_read_is_pruned_to_one_partition),
        cmocka_unit_test(no_ids_no_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
