/* schemac runtime: typed, table-driven statements for generated code.
 *
 * Generated code describes each statement once as a static const sc_query:
 * the sc_stmt (SQL text, parameter OIDs), the parameters as fields of an
 * argument struct, and the result row as fields of a row struct (offsets,
 * kinds, presence flags). A generated function fills its argument struct and
 * calls one of the sc_query_* executors below; all libpq work (text encoding
 * of parameters, binary decoding of results into the arena) happens here,
 * once, in the style of protobuf-c's descriptors.
 *
 * Value conventions in structs:
 *   smallint/integer/bigint -> int16_t/int32_t/int64_t; boolean -> bool;
 *   real/double -> float/double; text, varchar, numeric (exact decimal
 *   text), uuid (36 lower-case chars), tsvector (text form) -> char *;
 *   timestamptz/timestamp -> sc_time; date -> int32_t days since 1970-01-01;
 *   interval -> sc_interval; json/jsonb -> json_t * (jansson; the arena
 *   holds the reference and drops it at sc_arena_reset / sc_arena_free:
 *   json_incref a value to keep it longer); bytea ->
 *   sc_bytes; vector(n)/halfvec(n) -> sc_vector; enums -> int (index of the
 *   label); arrays -> sc_array; time, timetz, money, network types, bit
 *   strings, point, ranges and extension types: see sc_types.h.
 *   A nullable pointer is NULL for SQL NULL; a nullable scalar has a
 *   `bool has_x` presence flag next to it. */
#ifndef SCHEMAC_QUERY_H
#define SCHEMAC_QUERY_H

#include <jansson.h>

#include "schemac.h"
#include "sc_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t sc_time; /* microseconds since 1970-01-01 00:00:00 UTC */

typedef struct sc_interval {
    int64_t usec;
    int32_t days, months;
} sc_interval;

typedef struct sc_bytes {
    const unsigned char *data;
    size_t len;
} sc_bytes;

/* A pgvector vector(n) or halfvec(n): dim floats at v (halfvec is rounded
 * to IEEE half precision on the way in). v NULL is SQL NULL. A parameter
 * whose dim is not the column's n is refused before the round trip. */
typedef struct sc_vector {
    int32_t dim;
    const float *v;
} sc_vector;

/* A json or jsonb column of a row: the server's text, kept in the arena and
 * parsed only when asked for (sc_json_value), so rows whose JSON the caller
 * never reads cost no parsing. text NULL is SQL NULL. */
typedef struct sc_json {
    const char *text;   /* NUL-terminated, in the row's arena */
    size_t len;
    sc_arena *arena;
    json_t **parsed;    /* a slot in the arena: the value once parsed */
} sc_json;

/* The value of j, parsed on the first call and kept (later calls return the
 * same value): the arena's reference, valid until it is reset or freed
 * (json_incref to keep it longer). NULL for SQL NULL, or when memory runs
 * out. */
json_t *sc_json_value(const sc_json *j);

/* A one-dimensional array: items points at n elements of the field's C type
 * (int32_t, char *, ...). */
typedef struct sc_array {
    size_t n;
    void *items;
} sc_array;

/* An optional scalar argument of a generated function: a nullable value (no
 * value is SQL NULL) or an optional filter (no value drops it). Zero is
 * "none", so a member left out of a designated initializer is none:
 *
 *     sm_documents_list_by_collection(conn, arena, id, (sm_opt_document_status)SC_NONE,
 *                                     (sc_opt_i32)SC_SOME(source), NULL, &rows, &n, NULL, &err);
 *     &(sm_collections_update_stats_args){.id = id, .document_count = SC_SOME(12)}
 *
 * `has` comes first so that a bare `.x = 5` (forgetting SC_SOME) is a
 * -Wmissing-braces error, not a silent NULL. Generated headers add one such
 * type per enum (sm_opt_<enum>). */
#define SC_SOME(x) {.has = true, .value = (x)}
#define SC_NONE {.has = false}

typedef struct sc_opt_i16 { bool has; int16_t value; } sc_opt_i16;
typedef struct sc_opt_i32 { bool has; int32_t value; } sc_opt_i32; /* also date (days) */
typedef struct sc_opt_i64 { bool has; int64_t value; } sc_opt_i64;
typedef struct sc_opt_bool { bool has; bool value; } sc_opt_bool;
typedef struct sc_opt_f32 { bool has; float value; } sc_opt_f32;
typedef struct sc_opt_f64 { bool has; double value; } sc_opt_f64;
typedef struct sc_opt_time { bool has; sc_time value; } sc_opt_time;
typedef struct sc_opt_interval { bool has; sc_interval value; } sc_opt_interval;

typedef enum sc_kind {
    SC_K_INT16, SC_K_INT32, SC_K_INT64, SC_K_BOOL, SC_K_FLOAT4, SC_K_FLOAT8,
    SC_K_NUMERIC, SC_K_TEXT, SC_K_UUID, SC_K_TIME, SC_K_DATE, SC_K_INTERVAL,
    SC_K_JSON, SC_K_JSONB, SC_K_BYTES, SC_K_ENUM, SC_K_TSVECTOR,
    /* sc_types.h: time, timetz, money, inet/cidr and macaddr (text), bit
     * strings (text), point, ranges */
    SC_K_TIMEOFDAY, SC_K_TIMETZ, SC_K_MONEY, SC_K_INET, SC_K_MACADDR, SC_K_BIT, SC_K_POINT,
    SC_K_INT4RANGE, SC_K_INT8RANGE, SC_K_TSTZRANGE, SC_K_DATERANGE,
    SC_K_VECTOR, SC_K_HALFVEC /* pgvector: sc_vector, sent and read in binary */
} sc_kind;

typedef struct sc_enum_desc {
    const char *name;             /* SQL type name, for messages */
    size_t nvalues;
    const char *const *values;    /* labels in declaration order */
} sc_enum_desc;

/* has_offset of a field without a presence flag. A flag always follows its
 * value, so offset 0 never holds one, and designated initializers that leave
 * has_offset out mean "no flag". */
#define SC_NO_FLAG ((size_t)0)

enum {
    SC_F_NULLABLE = 0x01,  /* NULL allowed: pointer NULL or presence flag false */
    SC_F_SECRET = 0x02,    /* never logged */
    SC_F_UUID_TEXT = 0x04, /* text that must be a UUID: validated, lower-cased */
    SC_F_COMPUTED = 0x08,  /* filled by the executor (partition key), not the caller */
    SC_F_DEFAULT = 0x10,   /* sc_copy_rows: unset means the column's DEFAULT */
    SC_F_LAZY_JSON = 0x20, /* a row's json/jsonb member is an sc_json (parsed on
                              first use), not a json_t * */
    SC_F_TEXT_FORM = 0x40  /* text of a type whose binary form is not text
                              (hstore, ltree, c_type: text): read through a
                              ::text cast, copied in text */
};

typedef struct sc_field {
    const char *name;
    sc_kind kind;
    bool array;
    unsigned flags;
    size_t offset;         /* of the value in its struct */
    size_t has_offset;     /* of the bool presence flag, or SC_NO_FLAG */
    int max_len;           /* varchar(n): characters, checked before sending; vector(n),
                              halfvec(n): the dimension, checked the same way; 0: none */
    const sc_enum_desc *en;
} sc_field;

typedef struct sc_row_desc {
    const char *name;      /* C type name, for messages */
    size_t size;           /* sizeof the row struct */
    size_t nfields;
    const sc_field *fields;/* in SELECT-list order */
} sc_row_desc;

/* Computes a partition key parameter from a source parameter before sending:
 * key = abs(hashtext(source)::bigint) % modulus (see sc_hashtext.h). */
typedef struct sc_partition_bind {
    int key_param;         /* 1-based index into params; 0: no computed key */
    int source_param;      /* 1-based */
    int32_t modulus;
} sc_partition_bind;

/* Offset pagination; keyset pagination uses only limit. */
typedef struct sc_page {
    int64_t limit;
    int64_t offset;
} sc_page;

typedef struct sc_query {
    sc_stmt stmt;                  /* SQL with $1..$n, prepared once per connection */
    const sc_field *params;        /* stmt.nparams fields of the argument struct */
    const sc_row_desc *row;        /* NULL for statements without rows */
    sc_partition_bind partition;
    unsigned access;               /* SC_ACCESS_*: the last column is a verdict */
    unsigned flags;                /* SC_QUERY_* */
    /* NULL, or name, value, name, value, ..., NULL: SET LOCAL for this
     * statement only (hnsw.ef_search, ivfflat.probes). Run in a short
     * transaction of its own, or inside the caller's with the previous
     * values put back after it; the session is never changed. */
    const char *const *settings;
} sc_query;

/* The query said `replica: never` (it must see the latest commit whatever
 * token the caller holds, e.g. an API key's revocation): a replica
 * connection refuses it with SC_MISUSE. */
enum { SC_QUERY_PRIMARY = 1 };

/* A permission-checked `one` query: the column after the row's fields says
 * whether the caller may see the row. Not true: SC_ACCESS_DENIED (the row
 * is not handed out), or SC_NOT_FOUND with SC_ACCESS_HIDES_EXISTENCE. */
enum { SC_ACCESS_VERDICT = 1, SC_ACCESS_HIDES_EXISTENCE = 2 };

/* Exactly one row into *row (zeroed first); SC_NOT_FOUND when none. */
int sc_query_one(sc_conn *c, const sc_query *q, const void *args, sc_arena *a, void *row,
                 sc_error *err);
/* Every row into an arena array of *n row structs (*rows NULL when none). */
int sc_query_many(sc_conn *c, const sc_query *q, const void *args, sc_arena *a, void **rows,
                  size_t *n, sc_error *err);
/* A row callback of sc_query_each: SC_OK continues; any other status stops
 * the stream and becomes the call's result. The row, and every string and
 * JSON value it points to, lives until the callback returns: copy what
 * must outlive it. */
typedef int (*sc_row_fn)(void *ctx, const void *row);
/* Streams the rows (libpq's single-row mode): one row at a time is decoded
 * into the arena and handed to fn, and the arena is rewound after each, so
 * memory stays at one row whatever the result's size. After fn stops the
 * stream the remaining rows are read and dropped (the connection stays
 * usable, an open transaction is not aborted). Rows handed over before an
 * error were real rows, but the result was incomplete: the status says so.
 * fn must not use the connection. The client deadline is per row. */
int sc_query_each(sc_conn *c, const sc_query *q, const void *args, sc_arena *a, sc_row_fn fn,
                  void *ctx, sc_error *err);
/* Keyset (seek) pagination: a page starts after the sort key of the last
 * row of the one before, so rows inserted or deleted between pages are
 * neither skipped nor repeated (OFFSET's weakness). A cursor is an opaque,
 * URL-safe string of those key values, tagged with the query's name; a
 * generated keyset function takes one in (NULL: the first page) and hands
 * the next one out (NULL: no more rows). */
typedef struct sc_keyset {
    const char *name;          /* the query: a cursor of another one is refused */
    size_t nkeys;              /* at most 8 */
    const sc_field *row_keys;  /* the sort-key columns in the row struct */
    const sc_field *arg_keys;  /* the after_ parameters in the argument struct */
} sc_keyset;
/* The cursor that starts after `row`, into the arena. */
int sc_cursor_encode(const sc_keyset *k, const void *row, sc_arena *a, const char **out,
                     sc_error *err);
/* The key values of a cursor into the argument struct (strings into the
 * arena); SC_INVALID_INPUT for a malformed cursor or one of another query. */
int sc_cursor_decode(const sc_keyset *k, const char *cursor, sc_arena *a, void *args,
                     sc_error *err);

/* No rows expected; *affected (may be NULL) gets the affected row count. */
int sc_query_exec(sc_conn *c, const sc_query *q, const void *args, int64_t *affected,
                  sc_error *err);
/* One bigint (count(*)). */
int sc_query_count(sc_conn *c, const sc_query *q, const void *args, int64_t *count,
                   sc_error *err);

/* A pipelined batch: n calls of one statement (libpq's pipeline mode), the
 * arguments of call i at args + i * args_size. Every argument is checked
 * before anything is sent, so bad input sends nothing. Calls go out in
 * chunks of at most SC_BATCH_CHUNK, one sync and one round trip each.
 *
 * All or nothing: outside a transaction the batch runs in one of its own
 * (BEGIN, the chunks, COMMIT; ROLLBACK when any call fails); inside the
 * caller's, a failing call aborts that transaction as a single call would
 * (roll it back), and a call that found no row (none_is_error) is reported
 * without aborting it.
 *
 * rows: n row structs of q->row, decoded into the arena (NULL: not kept).
 * affected: n row counts (NULL: not kept). errors: n outcomes (NULL: only
 * err): SC_OK, the call's own error, or SC_NOT_RUN for a call that was not
 * run or was rolled back because another call failed. Returns SC_OK, or the
 * first failing call's status with err naming its index. */
enum { SC_BATCH_CHUNK = 256 };
typedef struct sc_batch {
    const void *args;
    size_t args_size;
    size_t n;
    sc_arena *arena;       /* needed when rows is not NULL */
    void *rows;
    int64_t *affected;
    sc_error *errors;
    bool none_is_error;    /* a call that changes or returns no row: SC_NOT_FOUND */
} sc_batch;

int sc_query_batch(sc_conn *c, const sc_query *q, const sc_batch *b, sc_error *err);

/* The event-loop form: requests in flight on one connection, none waited
 * for. sc_query_send queues a statement (libpq's pipeline mode, one sync per
 * request: each is a transaction of its own, and a failure stays its own)
 * and returns at once; the caller polls sc_conn_socket(c) for
 * sc_conn_events(c) with a timeout of sc_conn_poll_timeout_ms(c), and calls
 * sc_conn_process(c) when the socket is ready (or the timeout passes): it
 * reads what has come and completes, in send order, each request whose
 * answer is in, calling its done(ctx, status, err) exactly once (err NULL
 * on SC_OK). A request past its deadline (now + client_timeout_s at send)
 * cancels the server's work and evicts the connection; every request in
 * flight then completes with SC_TIMEOUT (and after a lost connection with
 * SC_CONNECTION, or SC_COMMIT_UNKNOWN for a write). The blocking calls
 * refuse (SC_MISUSE) while requests are in flight; releasing the connection
 * completes them as lost. Arguments are encoded at send and may go away;
 * the outputs and the arena must live until done is called. done may send
 * more requests on the connection but must not release it. */
typedef void (*sc_done_fn)(void *ctx, int status, const sc_error *err);

typedef enum sc_answer { SC_ANSWER_ONE, SC_ANSWER_MANY, SC_ANSWER_EXEC } sc_answer;

typedef struct sc_request {
    sc_answer answer;
    sc_arena *arena;      /* ONE and MANY */
    void *row;            /* ONE: the row struct, zeroed then filled */
    void **rows;          /* MANY: an arena array of *n row structs */
    size_t *n;
    int64_t *affected;    /* EXEC: the row count (may be NULL) */
    bool none_is_error;   /* EXEC: no row changed is SC_NOT_FOUND */
    sc_done_fn done;
    void *ctx;
} sc_request;

/* SC_OK: queued, done will be called. Otherwise nothing was queued (bad
 * input, misuse, a lost connection) and done is not called. */
int sc_query_send(sc_conn *c, const sc_query *q, const void *args, const sc_request *r,
                  sc_error *err);
/* Reads and sends what the socket allows and completes what it can. SC_OK,
 * or the failure that completed every request in flight. */
int sc_conn_process(sc_conn *c, sc_error *err);
/* The connection's socket, and the poll events it waits for (0: none in
 * flight). */
int sc_conn_socket(const sc_conn *c);
short sc_conn_events(const sc_conn *c);
/* Milliseconds until the earliest deadline in flight (-1: none). */
int sc_conn_poll_timeout_ms(const sc_conn *c);
size_t sc_conn_in_flight(const sc_conn *c);

/* Bulk load through COPY ... FROM STDIN: rows are an array of n structs of
 * row_size bytes described by columns (in COPY column order). Batches of at
 * most `batch` rows (the spec's 10,000) each go out as one COPY, never one
 * round trip per row; outside a transaction all batches run in one, so a
 * failure leaves no partial rows. A computed partition key column is filled
 * from its source like a statement parameter. A column flagged SC_F_DEFAULT
 * is left out of the COPY for rows that leave it unset, so the server fills
 * its DEFAULT (PostgreSQL 15's COPY has no per-row DEFAULT marker): each
 * run of consecutive rows that leave the same such columns unset is one
 * COPY (of at most `batch` rows), and several COPYs share one transaction.
 * Only the first 64 columns can be SC_F_DEFAULT. */
typedef struct sc_copy {
    const char *name;              /* for logs and errors */
    const char *sql;               /* COPY schema.table (cols) FROM STDIN */
    size_t ncolumns;
    const sc_field *columns;
    size_t row_size;
    size_t batch;                  /* 0: 10,000 */
    sc_partition_bind partition;   /* 1-based column indexes */
    const char *table;             /* schema.table: COPYs of fewer columns
                                      (needed with SC_F_DEFAULT columns) */
} sc_copy;

/* REFRESH MATERIALIZED VIEW [CONCURRENTLY] view (a schema-qualified name
 * of the generated code's, never user input), with the client deadline;
 * it does not change the session. */
int sc_refresh_view(sc_conn *c, const char *view, bool concurrently, sc_error *err);

/* Bulk upsert (INSERT ... VALUES (...), (...) ... ON CONFLICT ...), which
 * COPY cannot do: statements of at most 65,535 / ncolumns rows (PostgreSQL's
 * bind-parameter limit) or `batch` when smaller; outside a transaction all
 * statements run in one, so a failure leaves no row written. An unset
 * SC_F_DEFAULT column is DEFAULT in that row, as in create. *affected is
 * the rows inserted or updated. */
typedef struct sc_upsert {
    const char *name;              /* for logs and errors */
    const char *head;              /* INSERT INTO schema.table (cols) VALUES */
    const char *tail;              /* ON CONFLICT (...) DO UPDATE SET ... */
    size_t ncolumns;
    const sc_field *columns;       /* in the order of head's column list */
    size_t row_size;
    size_t batch;                  /* 0: as many rows as the parameter limit allows */
} sc_upsert;

int sc_upsert_rows(sc_conn *c, const sc_upsert *u, const void *rows, size_t n,
                   int64_t *affected, sc_error *err);
/* The rows per statement of u. */
size_t sc_upsert_batch_rows(const sc_upsert *u);

int sc_copy_rows(sc_conn *c, const sc_copy *cp, const void *rows, size_t n, int64_t *inserted,
                 sc_error *err);

/* Checks the arguments against the descriptor without a round trip: NUL-free
 * text within its declared length, well-formed UUIDs, NULL only where
 * allowed, known enum values. SC_INVALID_INPUT names the parameter. */
int sc_query_check_args(const sc_query *q, const void *args, sc_error *err);

/* Enum labels: index or -1. */
int sc_enum_from_string(const sc_enum_desc *e, const char *label);
const char *sc_enum_to_string(const sc_enum_desc *e, int value);

/* JSON values decoded into an arena stay referenced until the arena is
 * reset or freed (sc_arena tracks them); json_incref to keep one longer. */

/* Text forms used in parameters, exposed for tests and callers. */
int sc_time_format(sc_time t, char *buf, size_t n);       /* ISO 8601 with +00 */
int sc_uuid_normalize(const char *in, char out[37]);      /* 0, or -1 if malformed */

#ifdef __cplusplus
}
#endif

#endif
