/* Shared by query.c and codec.c; not for generated code. */
#ifndef SC_QUERY_INTERNAL_H
#define SC_QUERY_INTERNAL_H

#include "sc_query.h"

/* PostgreSQL's epoch (2000-01-01) from the Unix one, in days and usec: the
 * binary forms of date and timestamp count from it. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_USEC (10957LL * 86400 * 1000000)

/* Decodes row `row` of a binary result into out per desc; values are copied
 * into the arena. */
int sc_decode_row(const PGresult *res, int row, const sc_row_desc *desc, sc_arena *a, void *out,
                  sc_error *err);
/* The same for a result with `extra` columns after the row's (an access
 * verdict), which are not decoded. */
int sc_decode_row_extra(const PGresult *res, int row, const sc_row_desc *desc, size_t extra,
                        sc_arena *a, void *out, sc_error *err);
/* The answer of a `one` statement into row (zeroed first): SC_NOT_FOUND
 * without a row, the access verdict applied (SC_ACCESS_DENIED); and of a
 * `many` statement into an arena array. Shared by the blocking executors
 * and the event-loop form. */
int sc_decode_one(const sc_query *q, const PGresult *res, sc_arena *a, void *row, sc_error *err);
int sc_decode_many(const sc_query *q, const PGresult *res, sc_arena *a, void **rows, size_t *n,
                   sc_error *err);
/* Any integer column (int2/int4/int8) as int64. */
int sc_decode_int(const PGresult *res, int row, int col, int64_t *out, sc_error *err);

/* The text form of field f of the struct at base: *text NULL for SQL NULL,
 * *owned (malloc'd, may be NULL) to free after use. Small values are written
 * to scratch. Refuses bad input like a parameter would. */
#define SC_FIELD_SCRATCH 48
int sc_field_text(const sc_field *f, const void *base, char scratch[SC_FIELD_SCRATCH],
                  char **owned, const char **text, sc_error *err);

/* The encoded parameters of one call, as sc_exec takes them: encode, send,
 * then free what encoding allocated (JSON and array texts). */
enum { SC_MAX_PARAMS = 128 };
typedef struct sc_params {
    const char *values[SC_MAX_PARAMS];
    int lengths[SC_MAX_PARAMS], formats[SC_MAX_PARAMS];
    char scratch[SC_MAX_PARAMS][SC_FIELD_SCRATCH];
    char *owned[SC_MAX_PARAMS];
    int nowned;
} sc_params;
/* Checks and encodes args for q (partition key computed); on failure
 * nothing needs freeing. */
int sc_params_encode(sc_params *p, const sc_query *q, const void *args, sc_error *err);
void sc_params_free(sc_params *p);

/* False when field f of the struct at base holds SQL NULL (NULL pointer or
 * presence flag false). */
bool sc_field_present(const void *base, const sc_field *f);

/* The text literal of an array parameter ('{...}'), malloc'd. */
char *sc_array_literal(const sc_field *f, const void *array, sc_error *err);

/* The size of one value of a kind in a struct (array elements). */
size_t sc_kind_size(sc_kind k);

/* A growable malloc'd string, NUL-terminated; `failed` sticks once memory
 * runs out, so callers check once at the end. */
typedef struct sc_textbuf {
    char *data;
    size_t len, cap;
    bool failed;
} sc_textbuf;

void sc_textbuf_put(sc_textbuf *b, const char *s, size_t n);

int sc_date_format(int32_t days, char *buf, size_t n);

/* The kinds of sc_types.h (codec_types.c): a binary value into dst, the
 * size of one in a struct, and the text form of one parameter (into buf, or
 * *owned, malloc'd). */
int sc_decode_more(const sc_field *f, const char *v, int len, sc_arena *a, void *dst,
                   sc_error *err);
size_t sc_kind_size_more(sc_kind k);
const char *sc_encode_more(const sc_field *f, const void *p, char *buf, size_t size, char **owned,
                           sc_error *err);
bool sc_kind_is_more(sc_kind k);

/* Runs fn(ptr) when the arena is reset or freed (JSON references). */
int sc_arena_defer(sc_arena *a, void (*fn)(void *), void *ptr);

/* COPY in binary format (copy_binary.c): whether every column has a binary
 * form that needs nothing from the server (no type OIDs: arrays, numeric
 * and tsvector go as text), and one row in that format. */
bool sc_copy_binary_ok(const sc_copy *cp);
void sc_copy_binary_header(sc_textbuf *b);
void sc_copy_binary_trailer(sc_textbuf *b);
int sc_copy_binary_row(sc_textbuf *b, const sc_copy *cp, const void *row, sc_error *err);

/* Runs body (the statement of q) with q->settings in force (settings.c). */
typedef int (*sc_settings_body)(void *ctx, sc_error *err);
int sc_run_with_settings(sc_conn *c, const sc_query *q, sc_settings_body body, void *ctx,
                         sc_error *err);

/* pgvector values (vector.c): the binary form of vector_recv / halfvec_recv
 * (int16 dim, int16 unused, dim float4 or float2, network order) and the
 * text form '[1,2,3]' (COPY), both malloc'd; *len is the binary length.
 * Both refuse a dimension other than f->max_len. Decoding copies into the
 * arena. */
char *sc_vector_binary(const sc_field *f, const sc_vector *v, int *len, sc_error *err);
char *sc_vector_text(const sc_field *f, const sc_vector *v, sc_error *err);
int sc_vector_decode(const sc_field *f, const char *bytes, int len, sc_arena *a, sc_vector *dst,
                     sc_error *err);

#endif
