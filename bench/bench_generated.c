/* make bench: the generated Semantik functions against hand-written libpq
 * on the same database in the same run. Each workload is measured three
 * ways:
 *
 *   generated   the generated function, runtime defaults
 *   raw same    raw libpq running the very SQL text the generator emits,
 *               prepared, binary results: the runtime's own overhead
 *   raw minimal raw libpq running the SQL a C programmer would write by hand
 *               for the same result (the columns a caller uses, no defaults
 *               spelled out): what the generator's SQL costs a user
 *
 *   get collection by id with the permission check  20,000 calls over 1,000
 *                                                    collections (1-4 KB meta)
 *   create document, one transaction each            10,000 calls (1-2 KB meta)
 *   list 50 chunks of a document                      5,000 calls over 100
 *                                                    documents (1-4 KB metadata)
 *   bulk insert 200,000 chunks of ~800 bytes          vs raw COPY, text and binary
 *   100 document inserts in one transaction, 100 times: create_batch against
 *   100 creates, and raw libpq's pipeline against one statement at a time
 *
 * Each figure is the median of 5 runs (bulk: 3), the sides alternating, with
 * the min-max; a spread over 10% of the median is flagged. Also: peak RSS
 * after the bulk inserts (the generator's own time is bench/generation.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "sc_hashtext.h"
#include "sc_testkit.h"
#include "schemac.h"
#include "sm_catalog.h"
#include "sm_chunks.h"
#include "sm_collections.h"
#include "sm_documents.h"
#include "sm_users.h"

enum { RUNS = 5, GETS = 20000, CREATES = 10000, LISTS = 5000, BULK = 200000, BATCH = 100,
       BATCH_TXS = 100, COLLS = 1000, DOCS = 100, CHUNKS = 50 };

static const char *const COLLECTION = "5b0c8d1e-7f2a-4e3b-9c4d-000000000001";
static const char *const DOCUMENT = "5b0c8d1e-7f2a-4e3b-9c4d-0000000000d1";
static char conninfo[512];
static int32_t owner;
static char content[801];
static char coll_ids[COLLS][40];
static char doc_ids[DOCS][40];
static char *create_meta; /* the JSON text of the create workload's meta */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_generated: %s: %s\n", what, why);
    exit(1);
}

static void exec_raw(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die(sql, PQerrorMessage(pg));
    PQclear(r);
}

static void create_database(void)
{
    char why[1024];
    if (sc_testkit_create_database("bench_semantik", "generated/schema.sql", conninfo,
                                   sizeof conninfo, why, sizeof why) != 0)
        die("database", why);
}

/* Metadata as services store it: a handful of keys, nested values, and a
 * text field that brings it to `bytes` (1-4 KB across rows). */
static json_t *realistic_json(int i, size_t bytes)
{
    char text[4096];
    size_t n = bytes < sizeof text ? bytes : sizeof text - 1;
    for (size_t k = 0; k < n; k++)
        text[k] = "lorem ipsum dolor sit amet "[(k + (size_t)i) % 27];
    text[n] = '\0';
    return json_pack("{s:s, s:i, s:b, s:[s,s,s], s:{s:s, s:i, s:f}, s:s}", "source", "upload",
                     "version", i % 7, "reviewed", i % 2, "tags", "report", "2026", "q3",
                     "origin", "path", "/data/reports", "page", i % 40, "score", 0.5 + i % 10,
                     "summary", text);
}

static size_t json_bytes(int i)
{
    return 1000 + (size_t)(i * 7919) % 3000;
}

static void seed_collections(sc_conn *c, sc_arena *a)
{
    sc_error err = {0};
    for (int i = 0; i < COLLS; i++) {
        char name[32], store[48];
        snprintf(coll_ids[i], sizeof coll_ids[i], "5b0c8d1e-7f2a-4e3b-9c4d-%012d", 100000 + i);
        snprintf(name, sizeof name, "collection %d", i);
        snprintf(store, sizeof store, "col_bench_%d", i);
        json_t *meta = realistic_json(i, json_bytes(i));
        sm_collection_new col = {.id = i ? coll_ids[i] : COLLECTION, .name = name,
                                 .owner_id = owner, .vector_store_name = store,
                                 .embedding_model = "Qwen/Qwen3-Embedding-0.6B", .meta = meta};
        if (i == 0)
            snprintf(coll_ids[0], sizeof coll_ids[0], "%s", COLLECTION);
        sm_collection co;
        if (sm_collections_create(c, a, &col, &co, &err))
            die("seed collection", err.message);
        json_decref(meta);
        sc_arena_reset(a);
    }
}

static void seed_documents(sc_conn *c, sc_arena *a)
{
    sc_error err = {0};
    static sm_chunk_new rows[CHUNKS];
    json_t *metas[CHUNKS];
    for (int d = 0; d < DOCS; d++) {
        /* a group of ids of their own: the workloads number theirs from 1 */
        snprintf(doc_ids[d], sizeof doc_ids[d], "5b0c8d1e-7f2a-4e3b-9c4e-%012d", d);
        if (d == 0)
            snprintf(doc_ids[0], sizeof doc_ids[0], "%s", DOCUMENT);
        sm_document_new doc = {.id = doc_ids[d], .collection_id = coll_ids[d], .file_path = "/d",
                               .file_name = "d", .file_size = 1, .content_hash = doc_ids[d]};
        sm_document dout;
        if (sm_documents_create(c, a, &doc, &dout, &err))
            die("seed document", err.message);
        for (int i = 0; i < CHUNKS; i++) {
            metas[i] = realistic_json(d * CHUNKS + i, json_bytes(d * CHUNKS + i));
            rows[i] = (sm_chunk_new){.collection_id = coll_ids[d], .document_id = doc_ids[d],
                                     .chunk_index = i, .content = content, .metadata = metas[i]};
        }
        int64_t n;
        if (sm_chunks_create_chunks_bulk(c, rows, CHUNKS, &n, &err))
            die("seed chunks", err.message);
        for (int i = 0; i < CHUNKS; i++)
            json_decref(metas[i]);
        sc_arena_reset(a);
    }
}

static void seed(sc_conn *c, sc_arena *a)
{
    sc_error err = {0};
    sm_user_new u = {.username = "bench", .email = "bench@example.org", .hashed_password = "x"};
    sm_user uo;
    if (sm_users_create(c, a, &u, &uo, &err))
        die("seed user", err.message);
    owner = uo.id;
    seed_collections(c, a);
    seed_documents(c, a);
    json_t *meta = realistic_json(7, 1500);
    create_meta = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    sc_arena_reset(a);
}

/* ---- the four workloads, generated and raw ---------------------------- */

typedef struct ctx {
    sc_conn *conn;
    sc_arena *arena;
    PGconn *raw;
    int seq;
    int create_nparams;
} ctx;

/* The i-th key of a run: spread over the whole data set, the same
 * sequence on every side. */
static const char *coll_key(int i)
{
    return coll_ids[(size_t)i * 7919 % COLLS];
}

static void gen_get(ctx *x, int n)
{
    sc_error err = {0};
    sm_collection c;
    for (int i = 0; i < n; i++) {
        if (sm_collections_get_by_uuid_with_permission_check(x->conn, x->arena, coll_key(i), owner, &c, &err))
            die("get", err.message);
        sc_arena_reset(x->arena);
    }
}

/* The SQL text a generated function sends, from the catalog, so that the
 * raw side prepares the very same statement. */
static const sc_query *generated_query(const char *name, int nparams)
{
    for (size_t i = 0; i < sm_repository_count; i++)
        for (size_t k = 0; k < *sm_repositories[i].count; k++) {
            const sc_query *q = sm_repositories[i].statements[k];
            if (strcmp(q->stmt.name, name) == 0 && q->stmt.nparams == nparams)
                return q;
        }
    die(name, "no such generated statement");
    return NULL;
}

static const char *generated_sql(const char *name, int nparams)
{
    for (size_t i = 0; i < sm_repository_count; i++)
        for (size_t k = 0; k < *sm_repositories[i].count; k++) {
            const sc_stmt *st = &sm_repositories[i].statements[k]->stmt;
            if (strcmp(st->name, name) == 0 && st->nparams == nparams)
                return st->sql;
        }
    die(name, "no such generated statement");
    return NULL;
}

/* What hand-written code does with a row at the least: copies every value
 * out of the PGresult before clearing it (the generated side also converts
 * each value to its C type in the arena). */
static size_t raw_copy_rows(const PGresult *r)
{
    static char scratch[1 << 20];
    size_t used = 0;
    for (int row = 0; row < PQntuples(r); row++)
        for (int col = 0; col < PQnfields(r); col++) {
            size_t len = (size_t)PQgetlength(r, row, col);
            if (used + len > sizeof scratch)
                used = 0;
            memcpy(scratch + used, PQgetvalue(r, row, col), len);
            used += len;
        }
    return used;
}

static void raw_get(ctx *x, int n)
{
    char owner_text[16];
    snprintf(owner_text, sizeof owner_text, "%d", owner);
    /* bound in the order the generated statement numbers them ($1 is the
     * user of the access check) */
    const sc_query *q = generated_query("sm_collections_get_by_uuid_with_permission_check", 2);
    int id_at = strcmp(q->params[0].name, "id") == 0 ? 0 : 1;
    const char *values[2];
    values[1 - id_at] = owner_text;
    for (int i = 0; i < n; i++) {
        values[id_at] = coll_key(i);
        PGresult *r = PQexecPrepared(x->raw, "get", 2, values, NULL, NULL, 1);
        int verdict = PQnfields(r) - 1; /* the same job: the access check must hold */
        if (PQntuples(r) != 1 || PQgetvalue(r, 0, verdict)[0] != 1)
            die("raw get", PQerrorMessage(x->raw));
        raw_copy_rows(r);
        PQclear(r);
    }
}

/* By hand: the ten columns a caller shows, the check in the WHERE clause
 * (a denied and a missing collection both come back empty). */
static const char *const GET_MINIMAL =
    "SELECT id, name, owner_id, is_public, status, vector_store_name, embedding_model,"
    " chunk_size, document_count, meta FROM semantik.collections c"
    " WHERE id = $1 AND (owner_id = $2 OR is_public OR EXISTS (SELECT 1 FROM"
    " semantik.collection_permissions p WHERE p.collection_id = c.id AND p.user_id = $2))";

static void raw_get_minimal(ctx *x, int n)
{
    char owner_text[16];
    snprintf(owner_text, sizeof owner_text, "%d", owner);
    const char *values[2] = {NULL, owner_text};
    for (int i = 0; i < n; i++) {
        values[0] = coll_key(i);
        PGresult *r = PQexecPrepared(x->raw, "get_min", 2, values, NULL, NULL, 1);
        if (PQntuples(r) != 1)
            die("raw minimal get", PQerrorMessage(x->raw));
        raw_copy_rows(r);
        PQclear(r);
    }
}

static void gen_create(ctx *x, int n)
{
    sc_error err = {0};
    sm_document d;
    char id[40], hash[32];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "5b0c8d1e-7f2a-4e3b-9c4d-%012d", ++x->seq);
        snprintf(hash, sizeof hash, "g%d", x->seq);
        /* The caller holds its metadata as JSON; the raw sides serialize it too. */
        json_t *meta = json_loads(create_meta, 0, NULL);
        sm_document_new in = {.id = id, .collection_id = COLLECTION, .file_path = "/p",
                              .file_name = "p", .file_size = 10, .content_hash = hash,
                              .meta = meta};
        if (sm_documents_create(x->conn, x->arena, &in, &d, &err))
            die("create", err.message);
        json_decref(meta);
        sc_arena_reset(x->arena);
    }
}

/* The generated INSERT binds every insertable column (NULL: the column's
 * DEFAULT); the raw side binds the same statement, unset columns NULL. */
static void raw_create(ctx *x, int n)
{
    const sc_query *q = generated_query("sm_documents_create", x->create_nparams);
    char id[40], hash[32];
    const char *values[64] = {0};
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "5b0c8d1e-7f2a-4e3b-9c4d-%012d", ++x->seq);
        snprintf(hash, sizeof hash, "r%d", x->seq);
        json_t *meta = json_loads(create_meta, 0, NULL);
        char *meta_text = json_dumps(meta, JSON_COMPACT);
        for (int k = 0; k < q->stmt.nparams; k++) {
            const char *f = q->params[k].name;
            values[k] = strcmp(f, "id") == 0              ? id
                        : strcmp(f, "collection_id") == 0 ? COLLECTION
                        : strcmp(f, "file_path") == 0     ? "/p"
                        : strcmp(f, "file_name") == 0     ? "p"
                        : strcmp(f, "file_size") == 0     ? "10"
                        : strcmp(f, "content_hash") == 0  ? hash
                        : strcmp(f, "meta") == 0          ? meta_text
                                                          : NULL;
        }
        PGresult *r = PQexecPrepared(x->raw, "create", q->stmt.nparams, values, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("raw create", PQerrorMessage(x->raw));
        raw_copy_rows(r);
        PQclear(r);
        free(meta_text);
        json_decref(meta);
    }
}

/* By hand: the columns given, the server's defaults left to the table, and
 * only the id back. */
static const char *const CREATE_MINIMAL =
    "INSERT INTO semantik.documents (id, collection_id, file_path, file_name, file_size,"
    " content_hash, meta) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";

static void raw_create_minimal(ctx *x, int n)
{
    char id[40], hash[32];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "5b0c8d1e-7f2a-4e3b-9c4d-%012d", ++x->seq);
        snprintf(hash, sizeof hash, "m%d", x->seq);
        json_t *meta = json_loads(create_meta, 0, NULL);
        char *meta_text = json_dumps(meta, JSON_COMPACT);
        const char *values[7] = {id, COLLECTION, "/p", "p", "10", hash, meta_text};
        PGresult *r = PQexecPrepared(x->raw, "create_min", 7, values, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("raw minimal create", PQerrorMessage(x->raw));
        raw_copy_rows(r);
        PQclear(r);
        free(meta_text);
        json_decref(meta);
    }
}

/* ---- 100 inserts in one transaction, n transactions ------------------- */

static void fill_batch(ctx *x, sm_document_new *rows, char (*ids)[40], char (*hashes)[32],
                       char side)
{
    for (int k = 0; k < BATCH; k++) {
        snprintf(ids[k], sizeof ids[k], "5b0c8d1e-7f2a-4e3b-9c4d-%012d", ++x->seq);
        snprintf(hashes[k], sizeof hashes[k], "%c%d", side, x->seq);
        rows[k] = (sm_document_new){.id = ids[k], .collection_id = COLLECTION,
                                    .file_path = "/p", .file_name = "p", .file_size = 10,
                                    .content_hash = hashes[k]};
    }
}

static void gen_tx(ctx *x, int n, bool batched)
{
    sc_error err = {0};
    sm_document_new rows[BATCH];
    static sm_document out[BATCH];
    char ids[BATCH][40], hashes[BATCH][32];
    for (int t = 0; t < n; t++) {
        fill_batch(x, rows, ids, hashes, batched ? 'b' : 'o');
        if (sc_tx_begin(x->conn, NULL, &err))
            die("begin", err.message);
        if (batched && sm_documents_create_batch(x->conn, x->arena, rows, BATCH, out, NULL, &err))
            die("create_batch", err.message);
        for (int k = 0; !batched && k < BATCH; k++)
            if (sm_documents_create(x->conn, x->arena, &rows[k], &out[k], &err))
                die("create", err.message);
        if (sc_tx_commit(x->conn, &err))
            die("commit", err.message);
        sc_arena_reset(x->arena);
    }
}

static void gen_batch(ctx *x, int n) { gen_tx(x, n, true); }
static void gen_one_by_one(ctx *x, int n) { gen_tx(x, n, false); }

static void raw_values(const sc_query *q, const char **values, const char *id, const char *hash)
{
    for (int k = 0; k < q->stmt.nparams; k++) {
        const char *f = q->params[k].name;
        values[k] = strcmp(f, "id") == 0              ? id
                    : strcmp(f, "collection_id") == 0 ? COLLECTION
                    : strcmp(f, "file_path") == 0     ? "/p"
                    : strcmp(f, "file_name") == 0     ? "p"
                    : strcmp(f, "file_size") == 0     ? "10"
                    : strcmp(f, "content_hash") == 0  ? hash
                                                      : NULL;
    }
}

/* Raw libpq's pipeline: every insert queued, one sync, every result read. */
static void raw_pipeline(ctx *x, const sc_query *q, char (*ids)[40], char (*hashes)[32])
{
    const char *values[64] = {0};
    if (!PQenterPipelineMode(x->raw))
        die("pipeline", PQerrorMessage(x->raw));
    for (int k = 0; k < BATCH; k++) {
        raw_values(q, values, ids[k], hashes[k]);
        if (!PQsendQueryPrepared(x->raw, "create", q->stmt.nparams, values, NULL, NULL, 1))
            die("raw send", PQerrorMessage(x->raw));
    }
    PQpipelineSync(x->raw);
    for (int k = 0; k < BATCH; k++) {
        PGresult *r = PQgetResult(x->raw);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("raw pipelined create", PQerrorMessage(x->raw));
        raw_copy_rows(r);
        PQclear(r);
        PQclear(PQgetResult(x->raw)); /* the end of this statement's results */
    }
    PGresult *sync = PQgetResult(x->raw);
    if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC)
        die("raw sync", PQerrorMessage(x->raw));
    PQclear(sync);
    PQexitPipelineMode(x->raw);
}

static void raw_tx(ctx *x, int n, bool pipelined)
{
    const sc_query *q = generated_query("sm_documents_create", x->create_nparams);
    sm_document_new rows[BATCH];
    char ids[BATCH][40], hashes[BATCH][32];
    const char *values[64] = {0};
    for (int t = 0; t < n; t++) {
        fill_batch(x, rows, ids, hashes, pipelined ? 'p' : 'r');
        exec_raw(x->raw, "BEGIN");
        if (pipelined)
            raw_pipeline(x, q, ids, hashes);
        for (int k = 0; !pipelined && k < BATCH; k++) {
            raw_values(q, values, ids[k], hashes[k]);
            PGresult *r = PQexecPrepared(x->raw, "create", q->stmt.nparams, values, NULL, NULL, 1);
            if (PQresultStatus(r) != PGRES_TUPLES_OK)
                die("raw create", PQerrorMessage(x->raw));
            raw_copy_rows(r);
            PQclear(r);
        }
        exec_raw(x->raw, "COMMIT");
    }
}

static void raw_batch(ctx *x, int n) { raw_tx(x, n, true); }
static void raw_one_by_one(ctx *x, int n) { raw_tx(x, n, false); }

static int doc_of(int i)
{
    return (int)((size_t)i * 31 % DOCS);
}

static void gen_list(ctx *x, int n)
{
    sc_error err = {0};
    int64_t max = 50;
    sm_chunk *rows;
    size_t got;
    for (int i = 0; i < n; i++) {
        int d = doc_of(i);
        if (sm_chunks_get_chunks_by_document(x->conn, x->arena, coll_ids[d], doc_ids[d], (sc_opt_i64)SC_SOME(max), &rows, &got, &err) || got != 50)
            die("list", err.message);
        sc_arena_reset(x->arena);
    }
}

static void raw_list_with(ctx *x, int n, const char *stmt)
{
    for (int i = 0; i < n; i++) {
        int d = doc_of(i);
        char key[16];
        snprintf(key, sizeof key, "%d", sc_partition_key(coll_ids[d], strlen(coll_ids[d]), 100));
        const char *values[4] = {coll_ids[d], key, doc_ids[d], "50"};
        PGresult *r = PQexecPrepared(x->raw, stmt, 4, values, NULL, NULL, 1);
        if (PQntuples(r) != 50)
            die("raw list", PQerrorMessage(x->raw));
        raw_copy_rows(r);
        PQclear(r);
    }
}

static void raw_list(ctx *x, int n)
{
    raw_list_with(x, n, "list");
}

/* By hand: what a reader of chunks uses, pruned to the collection's
 * partition the same way. */
static const char *const LIST_MINIMAL =
    "SELECT id, chunk_index, content, metadata FROM semantik.chunks"
    " WHERE collection_id = $1 AND partition_key = $2 AND document_id = $3"
    " ORDER BY chunk_index LIMIT $4";

static void raw_list_minimal(ctx *x, int n)
{
    raw_list_with(x, n, "list_min");
}

static void gen_bulk(ctx *x, int n)
{
    sm_chunk_new *rows = malloc((size_t)n * sizeof *rows);
    for (int i = 0; i < n; i++)
        rows[i] = (sm_chunk_new){.collection_id = COLLECTION, .document_id = DOCUMENT,
                                 .chunk_index = 1000 + i, .content = content};
    sc_error err = {0};
    int64_t inserted;
    if (sm_chunks_create_chunks_bulk(x->conn, rows, (size_t)n, &inserted, &err) || inserted != n)
        die("bulk", err.message);
    free(rows);
}

/* The baseline: one COPY in text format of the same columns the generated
 * copy loads (unset ones NULL), rows formatted by hand. */
static void raw_bulk(ctx *x, int n)
{
    int key = sc_partition_key(COLLECTION, strlen(COLLECTION), 100);
    exec_raw(x->raw, "BEGIN");
    PGresult *r = PQexec(x->raw, "COPY semantik.chunks (collection_id, document_id, "
                                 "chunking_config_id, chunk_index, content, start_offset, "
                                 "end_offset, token_count, embedding_vector_id, metadata, "
                                 "partition_key) FROM STDIN");
    if (PQresultStatus(r) != PGRES_COPY_IN)
        die("raw copy", PQerrorMessage(x->raw));
    PQclear(r);
    char *buf = malloc(1 << 20);
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(buf + len, 2048, "%s\t%s\t\\N\t%d\t%s\t\\N\t\\N\t\\N\t\\N\t\\N\t%d\n",
                                COLLECTION, DOCUMENT, 1000 + i, content, key);
        if (len > (1 << 20) - 2048 || i + 1 == n) {
            PQputCopyData(x->raw, buf, (int)len);
            len = 0;
        }
    }
    free(buf);
    PQputCopyEnd(x->raw, NULL);
    r = PQgetResult(x->raw);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("raw copy end", PQerrorMessage(x->raw));
    PQclear(r);
    exec_raw(x->raw, "COMMIT");
}

/* The same rows in COPY's binary format, the generated side's format: the
 * fairer baseline since copy_binary.c. */
static void put_be(char **p, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        *(*p)++ = (char)(v >> (8 * (bytes - 1 - i)));
}

static void put_text(char **p, const char *s)
{
    size_t n = strlen(s);
    put_be(p, (uint32_t)n, 4);
    memcpy(*p, s, n);
    *p += n;
}

static void raw_bulk_binary(ctx *x, int n)
{
    int key = sc_partition_key(COLLECTION, strlen(COLLECTION), 100);
    exec_raw(x->raw, "BEGIN");
    PGresult *r = PQexec(x->raw, "COPY semantik.chunks (collection_id, document_id, "
                                 "chunking_config_id, chunk_index, content, start_offset, "
                                 "end_offset, token_count, embedding_vector_id, metadata, "
                                 "partition_key) FROM STDIN (FORMAT binary)");
    if (PQresultStatus(r) != PGRES_COPY_IN)
        die("raw binary copy", PQerrorMessage(x->raw));
    PQclear(r);
    char *buf = malloc(1 << 20), *p = buf;
    memcpy(p, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
    p += 19;
    for (int i = 0; i < n; i++) {
        put_be(&p, 11, 2);
        put_text(&p, COLLECTION);
        put_text(&p, DOCUMENT);
        put_be(&p, 0xffffffffu, 4);
        put_be(&p, 4, 4);
        put_be(&p, (uint32_t)(1000 + i), 4);
        put_text(&p, content);
        for (int k = 0; k < 5; k++) /* offsets, token count, vector id, metadata */
            put_be(&p, 0xffffffffu, 4);
        put_be(&p, 4, 4);
        put_be(&p, (uint32_t)key, 4);
        if (i + 1 == n)
            put_be(&p, 0xffff, 2);
        if (p - buf > (1 << 20) - 2048 || i + 1 == n) {
            PQputCopyData(x->raw, buf, (int)(p - buf));
            p = buf;
        }
    }
    free(buf);
    PQputCopyEnd(x->raw, NULL);
    r = PQgetResult(x->raw);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("raw binary copy end", PQerrorMessage(x->raw));
    PQclear(r);
    exec_raw(x->raw, "COMMIT");
}

static void clear_bulk(ctx *x)
{
    exec_raw(x->raw, "DELETE FROM semantik.chunks WHERE chunk_index >= 1000");
    exec_raw(x->raw, "VACUUM semantik.chunks");
}

/* ---- measurement ------------------------------------------------------ */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef void (*workload)(ctx *, int);

static double timed_rate(ctx *x, workload w, int calls, bool bulk)
{
    double t0 = now();
    w(x, calls);
    double rate = calls / (now() - t0);
    if (bulk)
        clear_bulk(x);
    return rate;
}

/* A median with its min and max. */
typedef struct figure {
    double med, lo, hi;
} figure;

static figure summarize(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], by_value);
    return (figure){v[n / 2], v[0], v[n - 1]};
}

/* The sides' runs alternate, so that drift on the machine (other load,
 * autovacuum) hits every side alike. */
static void measure(ctx *x, const workload *sides, int nsides, int calls, bool bulk,
                    figure *out)
{
    int runs = bulk ? 3 : RUNS; /* a bulk run takes ~15 s a side */
    double v[3][RUNS];
    for (int i = 0; i < runs; i++)
        for (int k = 0; k < nsides; k++)
            v[k][i] = timed_rate(x, sides[k], calls, bulk);
    for (int k = 0; k < nsides; k++)
        out[k] = summarize(v[k], runs);
}

static bool noisy(figure f)
{
    return f.hi - f.lo > 0.10 * f.med;
}

static void cell(figure f)
{
    printf(" %9.0f [%6.0f-%6.0f]%s", f.med, f.lo, f.hi, noisy(f) ? "*" : " ");
}

/* generated, raw on the same SQL (and the ratio), raw on minimal SQL (and
 * the ratio) when there is one. */
static void row(const char *name, figure gen, figure same, const figure *minimal)
{
    printf("%-38s", name);
    cell(gen);
    cell(same);
    printf(" %6.3f", gen.med / same.med);
    if (minimal) {
        cell(*minimal);
        printf(" %6.3f", gen.med / minimal->med);
    }
    printf("\n");
}

static void compare3(ctx *x, const char *name, workload gen, workload same, workload minimal,
                     int calls, bool bulk)
{
    workload sides[3] = {gen, same, minimal};
    figure f[3];
    measure(x, sides, minimal ? 3 : 2, calls, bulk, f);
    row(name, f[0], f[1], minimal ? &f[2] : NULL);
}

/* `bench_generated get` (or create, list, bulk) runs one workload, for
 * profiling; no argument runs them all. */
static bool wanted(int argc, char **argv, const char *name)
{
    return argc < 2 || strcmp(argv[1], name) == 0;
}

int main(int argc, char **argv)
{
    for (int i = 0; i < 800; i++)
        content[i] = "The quick brown fox jumps over the lazy dog. "[i % 45];
    create_database();
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = conninfo;
    cfg.pool_size = 1; /* the runtime's defaults otherwise */
    sc_pool *pool;
    sc_error err = {0};
    if (sc_pool_open(&cfg, &pool, &err))
        die("pool", err.message);
    ctx x = {0};
    if (sc_pool_acquire(pool, &x.conn, &err))
        die("acquire", err.message);
    x.arena = sc_arena_new(0);
    x.raw = PQconnectdb(conninfo);
    /* The same session settings the pool sends at connect: statement and
     * lock timeouts cost the server a timer per statement. */
    char settings[256];
    snprintf(settings, sizeof settings,
             "SET jit = %s; SET statement_timeout = %d; SET lock_timeout = %d; "
             "SET idle_in_transaction_session_timeout = %d",
             cfg.jit_off ? "off" : "on", cfg.statement_timeout_ms, cfg.lock_timeout_ms,
             cfg.idle_in_transaction_timeout_ms);
    exec_raw(x.raw, settings);
    seed(x.conn, x.arena);
    PGresult *r = PQprepare(x.raw, "get", generated_sql("sm_collections_get_by_uuid_with_permission_check", 2), 0, NULL);
    PQclear(r);
    for (size_t i = 0; i < sm_repository_count; i++)
        for (size_t k = 0; k < *sm_repositories[i].count; k++)
            if (strcmp(sm_repositories[i].statements[k]->stmt.name, "sm_documents_create") == 0)
                x.create_nparams = sm_repositories[i].statements[k]->stmt.nparams;
    r = PQprepare(x.raw, "create", generated_sql("sm_documents_create", x.create_nparams), 0, NULL);
    PQclear(r);
    r = PQprepare(x.raw, "list", generated_sql("sm_chunks_get_chunks_by_document", 4), 0, NULL);
    PQclear(r);
    const char *const minimal[][2] = {
        {"get_min", GET_MINIMAL}, {"create_min", CREATE_MINIMAL}, {"list_min", LIST_MINIMAL}};
    for (size_t i = 0; i < sizeof minimal / sizeof minimal[0]; i++) {
        r = PQprepare(x.raw, minimal[i][0], minimal[i][1], 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            die(minimal[i][0], PQresultErrorMessage(r));
        PQclear(r);
    }

    printf("\nbench_generated: calls/s (bulk: rows/s, batch: transactions/s), median of %d runs "
           "(bulk: 3) [min-max], * = spread over 10%%\n", RUNS);
    printf("%-38s %27s %27s %6s %27s %6s\n", "workload", "generated", "raw, same SQL", "ratio",
           "raw, minimal SQL", "ratio");
    if (wanted(argc, argv, "get"))
        compare3(&x, "get collection + permission (20,000)", gen_get, raw_get, raw_get_minimal,
                 GETS, false);
    if (wanted(argc, argv, "create"))
        compare3(&x, "create document, 1 tx each (10,000)", gen_create, raw_create,
                 raw_create_minimal, CREATES, false);
    if (wanted(argc, argv, "list"))
        compare3(&x, "list 50 chunks of a document (5,000)", gen_list, raw_list, raw_list_minimal,
                 LISTS, false);
    if (wanted(argc, argv, "bulk")) {
        compare3(&x, "bulk 200,000 chunks vs text COPY", gen_bulk, raw_bulk, NULL, BULK, true);
        compare3(&x, "bulk 200,000 chunks vs binary COPY", gen_bulk, raw_bulk_binary, NULL, BULK,
                 true);
    }
    if (wanted(argc, argv, "batch")) {
        printf("100 document inserts in one transaction, x%d (target: batch >= 1.3x one by one):\n",
               BATCH_TXS);
        compare3(&x, "  create_batch vs 100 x create", gen_batch, gen_one_by_one, NULL, BATCH_TXS,
                 false);
        compare3(&x, "  raw pipeline vs 100 x PQexecPrepared", raw_batch, raw_one_by_one, NULL,
                 BATCH_TXS, false);
        compare3(&x, "  create_batch vs raw pipeline", gen_batch, raw_batch, NULL, BATCH_TXS,
                 false);
    }
    if (argc >= 2)
        return 0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS of the process after the bulk inserts: %ld KiB\n", ru.ru_maxrss);
    PQfinish(x.raw);
    sc_pool_release(pool, x.conn);
    sc_pool_close(pool);
    sc_arena_free(x.arena);
    return 0;
}
