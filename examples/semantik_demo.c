/* A small service using the generated Semantik layer through the runtime,
 * the way a C service vendors generated/ and runtime/ (see README.md).
 * `make demo` runs it against a throwaway database migrated to head:
 *
 *   a user and a collection; two documents; 20,000 chunks in one bulk call;
 *   chunks read back from the one partition of their collection, and all
 *   of a document's chunks streamed through a 16 KiB arena; a second user
 *   who may read the collection only once it is shared, paging through what
 *   he can read with keyset cursors; the collection through its status
 *   machine (one move refused); the partition report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_hashtext.h"
#include "schemac.h"
#include "sm_catalog.h"
#include "sm_chunks.h"
#include "sm_collection_permissions.h"
#include "sm_collections.h"
#include "sm_documents.h"
#include "sm_users.h"

static const char *const COLLECTION = "9d4e2f6a-8b1c-4d3e-a5f7-0123456789ab";
static const char *const DOCUMENTS[2] = {"9d4e2f6a-8b1c-4d3e-a5f7-00000000d0c1",
                                         "9d4e2f6a-8b1c-4d3e-a5f7-00000000d0c2"};
enum { CHUNKS = 20000 };

/* Stops the demo with the runtime's message: status, SQLSTATE, constraint. */
static void check(int rc, const sc_error *err, const char *what)
{
    if (rc == SC_OK)
        return;
    fprintf(stderr, "demo: %s: %s (%s%s%s) %s\n", what, sc_status_name(rc), err->sqlstate,
            err->constraint[0] ? ", constraint " : "", err->constraint, err->message);
    exit(1);
}

static int32_t create_user(sc_conn *c, sc_arena *a, const char *name)
{
    char email[64];
    snprintf(email, sizeof email, "%s@example.org", name);
    sm_user_new in = {.username = name, .email = email, .hashed_password = "$argon2id$demo"};
    sm_user out;
    sc_error err = {0};
    check(sm_users_create(c, a, &in, &out, &err), &err, "create user");
    printf("user %-6s id %d\n", out.username, out.id);
    return out.id;
}

static void create_collection(sc_conn *c, sc_arena *a, int32_t owner)
{
    json_t *meta = json_pack("{s:s}", "team", "search");
    sm_collection_new in = {.id = COLLECTION, .name = "handbook", .owner_id = owner,
                            .vector_store_name = "col_handbook", .embedding_model = "bge-small",
                            .meta = meta};
    sm_collection out;
    sc_error err = {0};
    check(sm_collections_create(c, a, &in, &out, &err), &err, "create collection");
    json_decref(meta);
    printf("collection %s '%s' status %s\n", out.id, out.name,
           sm_collection_status_to_string(out.status));
}

static void create_documents(sc_conn *c, sc_arena *a)
{
    for (int i = 0; i < 2; i++) {
        char name[32], hash[32];
        snprintf(name, sizeof name, "chapter-%d.md", i + 1);
        snprintf(hash, sizeof hash, "sha256:%d", i + 1);
        /* More than three arguments: one struct, every value named; members
         * left out (source_id, uri, meta, ...) are NULL / SC_NONE. */
        sm_documents_create_if_absent_args in = {
            .id = DOCUMENTS[i], .collection_id = COLLECTION, .file_path = name,
            .file_name = name, .file_size = 4096, .content_hash = hash,
            .mime_type = "text/markdown"};
        sm_document out;
        sc_error err = {0};
        check(sm_documents_create_if_absent(c, a, &in, &out, &err), &err, "create document");
    }
    printf("2 documents\n");
}

static void bulk_insert_chunks(sc_conn *c)
{
    static char text[] = "Partitioning keeps each collection's chunks together.";
    sm_chunk_new *rows = calloc(CHUNKS, sizeof *rows);
    for (int i = 0; i < CHUNKS; i++)
        rows[i] = (sm_chunk_new){.collection_id = COLLECTION, .document_id = DOCUMENTS[i % 2],
                                 .chunk_index = i / 2, .content = text};
    int64_t inserted = 0;
    sc_error err = {0};
    check(sm_chunks_create_chunks_bulk(c, rows, CHUNKS, &inserted, &err), &err, "bulk insert");
    free(rows);
    printf("bulk insert: %lld chunks (COPY, batches of 10,000, one transaction)\n",
           (long long)inserted);
}

static void read_chunks(sc_conn *c, sc_arena *a)
{
    int64_t count = 0;
    sm_chunk *rows;
    size_t n;
    sc_error err = {0};
    check(sm_chunks_get_chunks_by_document(c, a, COLLECTION, DOCUMENTS[0], (sc_opt_i64)SC_SOME(3),
                                           &rows, &n, &err),
          &err, "read chunks");
    check(sm_chunks_count_by_collection(c, COLLECTION, &count, &err), &err, "count chunks");
    printf("read back %zu chunks of chapter-1 (of %lld in the collection), all in "
           "chunks_part_%02d: partition_key = abs(hashtext(collection_id)::bigint) %% 100\n",
           n, (long long)count, sc_partition_key(COLLECTION, strlen(COLLECTION), 100));
    sc_arena_reset(a);
}

typedef struct text_total {
    int64_t chunks, bytes;
} text_total;

static int add_chunk(void *ctx, const sm_chunk *row)
{
    text_total *t = ctx;
    t->chunks++;
    t->bytes += (int64_t)strlen(row->content);
    return SC_OK; /* any other status would stop the stream and be returned */
}

/* A result of any size in a fixed amount of memory: rows arrive one at a
 * time and the arena is rewound after each. */
static void stream_chunks(sc_conn *c)
{
    sc_arena *small = sc_arena_new(4096);
    sc_arena_set_limit(small, 16384);
    text_total t = {0, 0};
    sc_error err = {0};
    check(sm_chunks_get_chunks_by_document_each(c, small, COLLECTION, DOCUMENTS[0],
                                                (sc_opt_i64)SC_NONE, add_chunk, &t, &err),
          &err, "stream chunks");
    printf("streamed %lld chunks of chapter-1 (%lld bytes of text) through an arena of %zu bytes\n",
           (long long)t.chunks, (long long)t.bytes, sc_arena_bytes(small));
    sc_arena_free(small);
}

/* Keyset pages: the cursor of one page starts the next; inserts in between
 * neither skip nor repeat a row. */
static void page_collections(sc_conn *c, sc_arena *a, int32_t user)
{
    const char *cursor = NULL;
    int page = 0;
    do {
        sm_collection *rows;
        size_t n;
        sc_error err = {0};
        check(sm_collections_list_for_user_keyset(c, a, user, (sm_opt_collection_status)SC_NONE,
                                                  cursor, 1, &rows, &n, &cursor, &err),
              &err, "page collections");
        printf("keyset page %d: %zu collection(s)%s%s, next cursor %s\n", ++page, n,
               n ? ", first " : "", n ? rows[0].name : "", cursor ? cursor : "none");
    } while (cursor);
    sc_arena_reset(a);
}

static void check_permission(sc_conn *c, sc_arena *a, int32_t reader)
{
    sm_collection col;
    sc_error err = {0};
    int rc = sm_collections_get_by_uuid_with_permission_check(c, a, COLLECTION, reader, &col, &err);
    printf("bob reads the collection before it is shared: %s\n", sc_status_name(rc));
    sm_collection_permission_new grant = {.collection_id = COLLECTION, .user_id = reader,
                                          .has_user_id = true, .permission = "read"};
    sm_collection_permission p;
    memset(&err, 0, sizeof err);
    check(sm_collection_permissions_create(c, a, &grant, &p, &err), &err, "grant");
    memset(&err, 0, sizeof err);
    rc = sm_collections_get_by_uuid_with_permission_check(c, a, COLLECTION, reader, &col, &err);
    printf("bob reads it after a read grant: %s ('%s')\n", sc_status_name(rc),
           rc == SC_OK ? col.name : err.message);
    sc_arena_reset(a);
}

static void move_status(sc_conn *c, sc_arena *a, int32_t owner)
{
    static const sm_collection_status moves[] = {
        SM_COLLECTION_STATUS_READY,      /* refused: pending -> ready is not allowed */
        SM_COLLECTION_STATUS_PROCESSING, SM_COLLECTION_STATUS_READY,
        SM_COLLECTION_STATUS_DEGRADED, SM_COLLECTION_STATUS_PROCESSING, SM_COLLECTION_STATUS_READY};
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        sm_collection col;
        sc_error err = {0};
        int rc = sm_collections_set_status(c, a, COLLECTION, owner, moves[i], &col, &err);
        if (rc == SC_OK)
            printf("status -> %s\n", sm_collection_status_to_string(col.status));
        else
            printf("status -> %s refused: %s\n", sm_collection_status_to_string(moves[i]),
                   err.message);
    }
    sc_arena_reset(a);
}

static void partition_report(sc_conn *c, sc_arena *a)
{
    sc_partition_spec spec = {"semantik.chunks", "partition_key", "collection_id", 100};
    sc_partition_report report;
    sc_error err = {0};
    check(sc_partition_report_run(c, a, &spec, &report, &err), &err, "partition report");
    char text[16384];
    sc_partition_report_format(&report, text, sizeof text);
    /* the 99 empty partitions say nothing a reader needs here */
    printf("\n");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (!strstr(line, ": EMPTY,"))
            printf("%s\n", line);
}

int main(void)
{
    sc_pool_config cfg;
    sc_error err = {0};
    /* DATABASE_URL and the DB_* settings of spec 001 section 9; a
     * CHUNK_PARTITION_COUNT other than the schema's is refused */
    check(sm_check_environment(NULL, NULL, &err), &err, "environment");
    check(sc_pool_config_from_env(&cfg, &err), &err, "configuration");
    sc_pool *pool;
    check(sc_pool_open(&cfg, &pool, &err), &err, "pool");
    sc_conn *c;
    check(sc_pool_acquire(pool, &c, &err), &err, "acquire");
    sc_arena *a = sc_arena_new(0);

    int32_t alice = create_user(c, a, "alice");
    int32_t bob = create_user(c, a, "bob");
    create_collection(c, a, alice);
    create_documents(c, a);
    bulk_insert_chunks(c);
    read_chunks(c, a);
    stream_chunks(c);
    check_permission(c, a, bob);
    page_collections(c, a, bob);
    move_status(c, a, alice);
    partition_report(c, a);

    sc_arena_free(a);
    sc_pool_release(pool, c);
    sc_pool_close(pool);
    sc_pool_config_cleanup(&cfg);
    return 0;
}
