/* The typed executor behind generated functions: arguments are checked and
 * encoded as text parameters (bytea goes binary), the statement runs through
 * sc_exec (prepared once per connection), and rows come back in binary and
 * are decoded into the caller's arena (codec.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sc_hashtext.h"
#include "sc_query.h"
#include "sc_query_internal.h"

/* Generated statements stay far below this (an update of every column of a
 * wide table binds two parameters per column). */
enum { SCRATCH = SC_FIELD_SCRATCH, MAX_STACK_PARAMS = SC_MAX_PARAMS };

/* Per-call parameter storage: small values live in scratch, JSON and array
 * texts are malloc'd and freed when the call ends. */
typedef struct encoded {
    int n;
    const char **values;
    int *lengths, *formats;
    char (*scratch)[SCRATCH];
    char **owned;
    int nowned;
} encoded;

static const void *field_ptr(const void *base, const sc_field *f)
{
    return (const char *)base + f->offset;
}

bool sc_field_present(const void *base, const sc_field *f)
{
    if (f->has_offset != SC_NO_FLAG)
        return *(const bool *)((const char *)base + f->has_offset);
    switch (f->kind) {
    case SC_K_NUMERIC: case SC_K_TEXT: case SC_K_UUID: case SC_K_TSVECTOR:
    case SC_K_JSON: case SC_K_JSONB: case SC_K_INET: case SC_K_MACADDR: case SC_K_BIT:
        return f->array ? ((const sc_array *)field_ptr(base, f))->items != NULL
                        : *(const void *const *)field_ptr(base, f) != NULL;
    case SC_K_BYTES:
        return f->array || ((const sc_bytes *)field_ptr(base, f))->data != NULL;
    case SC_K_VECTOR: case SC_K_HALFVEC:
        return f->array ? ((const sc_array *)field_ptr(base, f))->items != NULL
                        : ((const sc_vector *)field_ptr(base, f))->v != NULL;
    default:
        return true;
    }
}

/* Characters of valid UTF-8, or -1 when s is not valid UTF-8. ASCII runs
 * are skipped eight bytes at a time (bulk loads pass every text through),
 * never reading past the terminator. */
static long utf8_length(const char *s)
{
    size_t bytes = strlen(s), i = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof w);
        if (w & 0x8080808080808080ULL)
            break;
    }
    long n = (long)i;
    for (p += i; *p; n++) {
        int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                  : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0 || (extra == 1 && *p < 0xC2))
            return -1;
        p++;
        for (int k = 0; k < extra; k++, p++)
            if ((*p & 0xC0) != 0x80)
                return -1;
    }
    return n;
}

static int check_text(const sc_field *f, const char *s, sc_error *err)
{
    long len = utf8_length(s);
    if (len < 0)
        return sc_error_set(err, SC_INVALID_INPUT, "parameter '%s' is not valid UTF-8", f->name);
    if (f->max_len > 0 && len > f->max_len)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "parameter '%s' is %ld characters long; at most %d are allowed",
                            f->name, len, f->max_len);
    return SC_OK;
}

static int encode_float(double v, bool single, char *buf)
{
    if (isnan(v))
        return snprintf(buf, SCRATCH, "NaN");
    if (isinf(v))
        return snprintf(buf, SCRATCH, v > 0 ? "Infinity" : "-Infinity");
    return snprintf(buf, SCRATCH, single ? "%.9g" : "%.17g", v);
}

static const char *own(encoded *e, char *s)
{
    if (s)
        e->owned[e->nowned++] = s;
    return s;
}

/* The text form of one scalar value at p; NULL with err set on bad input. */
static const char *encode_scalar(encoded *e, int i, const sc_field *f, const void *p,
                                 sc_error *err)
{
    char *buf = e->scratch[i];
    switch (f->kind) {
    case SC_K_INT16: snprintf(buf, SCRATCH, "%d", *(const int16_t *)p); return buf;
    case SC_K_INT32: snprintf(buf, SCRATCH, "%d", *(const int32_t *)p); return buf;
    case SC_K_INT64: snprintf(buf, SCRATCH, "%lld", (long long)*(const int64_t *)p); return buf;
    case SC_K_BOOL: return *(const bool *)p ? "t" : "f";
    case SC_K_FLOAT4: encode_float(*(const float *)p, true, buf); return buf;
    case SC_K_FLOAT8: encode_float(*(const double *)p, false, buf); return buf;
    case SC_K_TIME: sc_time_format(*(const sc_time *)p, buf, SCRATCH); return buf;
    case SC_K_DATE: sc_date_format(*(const int32_t *)p, buf, SCRATCH); return buf;
    case SC_K_INTERVAL: {
        const sc_interval *v = p;
        snprintf(buf, SCRATCH, "%d months %d days %lld microseconds", v->months, v->days,
                 (long long)v->usec);
        return buf;
    }
    case SC_K_UUID: {
        const char *s = *(const char *const *)p;
        if (sc_uuid_normalize(s, buf) != 0) {
            sc_error_set(err, SC_INVALID_INPUT, "parameter '%s' is not a UUID v4: '%.40s'",
                         f->name, s);
            return NULL;
        }
        return buf;
    }
    case SC_K_ENUM: {
        const char *label = sc_enum_to_string(f->en, *(const int *)p);
        if (!label)
            sc_error_set(err, SC_INVALID_INPUT, "parameter '%s' is not a value of enum %s",
                         f->name, f->en->name);
        return label;
    }
    case SC_K_JSON: case SC_K_JSONB: {
        char *s = json_dumps(*(json_t *const *)p, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!s)
            sc_error_set(err, SC_INVALID_INPUT, "parameter '%s' cannot be encoded as JSON",
                         f->name);
        return own(e, s);
    }
    case SC_K_TIMEOFDAY: case SC_K_TIMETZ: case SC_K_MONEY: case SC_K_POINT:
    case SC_K_INT4RANGE: case SC_K_INT8RANGE: case SC_K_TSTZRANGE: case SC_K_DATERANGE: {
        char *owned = NULL;
        const char *s = sc_encode_more(f, p, buf, SCRATCH, &owned, err);
        own(e, owned);
        return s;
    }
    default: { /* text, numeric, tsvector, inet, macaddr, bit strings */
        const char *s = *(const char *const *)p;
        if (f->flags & SC_F_UUID_TEXT) {
            if (sc_uuid_normalize(s, buf) != 0) {
                sc_error_set(err, SC_INVALID_INPUT, "parameter '%s' is not a UUID v4: '%.40s'",
                             f->name, s);
                return NULL;
            }
            return buf;
        }
        return check_text(f, s, err) == SC_OK ? s : NULL;
    }
    }
}

/* bytea as its hex text form, for COPY (parameters send it binary). */
static char *bytea_hex(const sc_bytes *b)
{
    static const char hex[] = "0123456789abcdef";
    char *s = malloc(2 * b->len + 3);
    if (!s)
        return NULL;
    s[0] = '\\';
    s[1] = 'x';
    for (size_t i = 0; i < b->len; i++) {
        s[2 + 2 * i] = hex[b->data[i] >> 4];
        s[3 + 2 * i] = hex[b->data[i] & 15];
    }
    s[2 + 2 * b->len] = '\0';
    return s;
}

int sc_field_text(const sc_field *f, const void *base, char scratch[SC_FIELD_SCRATCH],
                  char **owned, const char **text, sc_error *err)
{
    *owned = NULL;
    *text = NULL;
    if (!sc_field_present(base, f)) {
        if (f->flags & SC_F_NULLABLE)
            return SC_OK;
        return sc_error_set(err, SC_INVALID_INPUT, "parameter '%s' is NULL but may not be",
                            f->name);
    }
    const void *p = field_ptr(base, f);
    if (f->array)
        *text = *owned = sc_array_literal(f, p, err);
    else if (f->kind == SC_K_BYTES)
        *text = *owned = bytea_hex(p);
    else if (f->kind == SC_K_VECTOR || f->kind == SC_K_HALFVEC)
        *text = *owned = sc_vector_text(f, p, err);
    else {
        char *one[1];
        const char *value = NULL;
        int length = 0, format = 0;
        encoded e = {1, &value, &length, &format, (char(*)[SCRATCH])scratch, one, 0};
        *text = encode_scalar(&e, 0, f, p, err);
        if (e.nowned)
            *owned = one[0];
    }
    if (*text)
        return SC_OK;
    return err && err->category ? err->category : SC_INVALID_INPUT;
}

static int encode_one(encoded *e, int i, const sc_field *f, const void *args, sc_error *err)
{
    e->lengths[i] = 0;
    e->formats[i] = 0;
    if (f->kind == SC_K_BYTES && !f->array && sc_field_present(args, f)) {
        const sc_bytes *b = field_ptr(args, f);
        e->values[i] = (const char *)b->data;
        e->lengths[i] = (int)b->len;
        e->formats[i] = 1;
        return SC_OK;
    }
    /* money in binary: its text form depends on the server's lc_monetary. */
    if (f->kind == SC_K_MONEY && !f->array && sc_field_present(args, f)) {
        uint64_t m = (uint64_t)*(const int64_t *)field_ptr(args, f);
        for (int b = 0; b < 8; b++)
            e->scratch[i][b] = (char)(m >> (56 - 8 * b));
        e->values[i] = e->scratch[i];
        e->lengths[i] = 8;
        e->formats[i] = 1;
        return SC_OK;
    }
    if ((f->kind == SC_K_VECTOR || f->kind == SC_K_HALFVEC) && !f->array &&
        sc_field_present(args, f)) {
        char *bin = sc_vector_binary(f, field_ptr(args, f), &e->lengths[i], err);
        if (!bin)
            return err && err->category ? err->category : SC_INVALID_INPUT;
        e->values[i] = e->owned[e->nowned++] = bin;
        e->formats[i] = 1;
        return SC_OK;
    }
    char *owned = NULL;
    int rc = sc_field_text(f, args, e->scratch[i], &owned, &e->values[i], err);
    if (owned)
        e->owned[e->nowned++] = owned;
    return rc;
}

/* The partition key is computed here, from the already-encoded source text,
 * so the statement can say `partition_key = $n` and prune with a generic plan. */
static void bind_partition_key(encoded *e, const sc_query *q)
{
    const sc_partition_bind *b = &q->partition;
    if (b->key_param <= 0 || !e->values[b->source_param - 1])
        return;
    const char *src = e->values[b->source_param - 1];
    int32_t key = sc_partition_key(src, strlen(src), b->modulus);
    snprintf(e->scratch[b->key_param - 1], SCRATCH, "%d", key);
    e->values[b->key_param - 1] = e->scratch[b->key_param - 1];
}

void sc_textbuf_put(sc_textbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *data = realloc(b->data, cap);
        if (!data) {
            b->failed = true;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* An array element in double quotes, with '"' and '\' escaped. */
static void tb_put_quoted(sc_textbuf *b, const char *s)
{
    sc_textbuf_put(b, "\"", 1);
    for (const char *run = s;; s++) {
        if (*s && *s != '"' && *s != '\\')
            continue;
        sc_textbuf_put(b, run, (size_t)(s - run));
        if (!*s)
            break;
        sc_textbuf_put(b, "\\", 1);
        run = s;
    }
    sc_textbuf_put(b, "\"", 1);
}

static void encoded_free(encoded *e);

char *sc_array_literal(const sc_field *f, const void *array, sc_error *err)
{
    const sc_array *arr = array;
    if (f->kind == SC_K_BYTES) {
        sc_error_set(err, SC_MISUSE, "parameter '%s': bytea arrays are not supported", f->name);
        return NULL;
    }
    if (f->kind == SC_K_VECTOR || f->kind == SC_K_HALFVEC) {
        sc_error_set(err, SC_MISUSE, "parameter '%s': vector arrays are not supported", f->name);
        return NULL;
    }
    sc_field elem = *f;
    elem.array = false;
    elem.offset = 0;
    elem.has_offset = SC_NO_FLAG;
    sc_textbuf b = {0};
    sc_textbuf_put(&b, "{", 1);
    for (size_t i = 0; i < arr->n; i++) {
        const void *item = (const char *)arr->items + i * sc_kind_size(f->kind);
        char scratch[1][SCRATCH];
        char *owned[1];
        const char *value = NULL;
        int length = 0, format = 0;
        encoded e = {1, &value, &length, &format, scratch, owned, 0};
        if (i)
            sc_textbuf_put(&b, ",", 1);
        if (!sc_field_present(item, &elem)) {
            sc_textbuf_put(&b, "NULL", 4);
        } else if ((value = encode_scalar(&e, 0, &elem, item, err)) != NULL) {
            tb_put_quoted(&b, value);
        } else {
            encoded_free(&e);
            free(b.data);
            return NULL;
        }
        encoded_free(&e);
    }
    sc_textbuf_put(&b, "}", 1);
    if (b.failed) {
        free(b.data);
        sc_error_set(err, SC_NO_MEMORY, "parameter '%s': out of memory", f->name);
        return NULL;
    }
    return b.data;
}

static void encoded_free(encoded *e)
{
    for (int i = 0; i < e->nowned; i++)
        free(e->owned[i]);
}

static int encode_all(encoded *e, const sc_query *q, const void *args, sc_error *err)
{
    for (int i = 0; i < e->n; i++) {
        if (q->params[i].flags & SC_F_COMPUTED) {
            e->values[i] = NULL;
            e->lengths[i] = e->formats[i] = 0;
            continue;
        }
        int rc = encode_one(e, i, &q->params[i], args, err);
        if (rc != SC_OK)
            return rc;
    }
    bind_partition_key(e, q);
    return SC_OK;
}

int sc_params_encode(sc_params *p, const sc_query *q, const void *args, sc_error *err)
{
    int n = q->stmt.nparams;
    if (n > MAX_STACK_PARAMS)
        return sc_error_set(err, SC_MISUSE, "%s: more than %d parameters", q->stmt.name,
                            MAX_STACK_PARAMS);
    encoded e = {n, p->values, p->lengths, p->formats, p->scratch, p->owned, 0};
    int rc = encode_all(&e, q, args, err);
    p->nowned = e.nowned;
    if (rc != SC_OK)
        sc_params_free(p);
    return rc;
}

void sc_params_free(sc_params *p)
{
    encoded_free(&(encoded){.owned = p->owned, .nowned = p->nowned});
    p->nowned = 0;
}

/* Encodes, runs and hands back the result (binary rows); with c NULL it
 * only encodes, which is the argument check (sc_query_check_args only:
 * the executors refuse a NULL connection in check_call first). */
static int run_into(sc_conn *c, const sc_query *q, const void *args, PGresult **res,
                    sc_row_sink *sink, sc_error *err);

static int run(sc_conn *c, const sc_query *q, const void *args, PGresult **res, sc_error *err)
{
    return run_into(c, q, args, res, NULL, err);
}

typedef struct settings_call {
    sc_conn *c;
    const sc_query *q;
    const void *args;
    PGresult **res;
    sc_row_sink *sink;
} settings_call;

static int plain_run_into(sc_conn *c, const sc_query *q, const void *args, PGresult **res,
                          sc_row_sink *sink, sc_error *err);

static int settings_body(void *ctx, sc_error *err)
{
    settings_call *x = ctx;
    return plain_run_into(x->c, x->q, x->args, x->res, x->sink, err);
}

/* Arguments are checked before any settings round trip. */
static int run_into(sc_conn *c, const sc_query *q, const void *args, PGresult **res,
                    sc_row_sink *sink, sc_error *err)
{
    if (!c || !q->settings)
        return plain_run_into(c, q, args, res, sink, err);
    int rc = plain_run_into(NULL, q, args, NULL, NULL, err);
    if (rc != SC_OK)
        return rc;
    settings_call x = {c, q, args, res, sink};
    rc = sc_run_with_settings(c, q, settings_body, &x, err);
    if (rc != SC_OK && res && *res) {
        PQclear(*res);
        *res = NULL;
    }
    return rc;
}

static int plain_run_into(sc_conn *c, const sc_query *q, const void *args, PGresult **res,
                          sc_row_sink *sink, sc_error *err)
{
    int n = q->stmt.nparams;
    if (n > MAX_STACK_PARAMS)
        return sc_error_set(err, SC_MISUSE, "%s: more than %d parameters", q->stmt.name,
                            MAX_STACK_PARAMS);
    const char *values[MAX_STACK_PARAMS];
    int lengths[MAX_STACK_PARAMS], formats[MAX_STACK_PARAMS];
    char scratch[MAX_STACK_PARAMS][SCRATCH];
    char *owned[MAX_STACK_PARAMS];
    encoded e = {n, values, lengths, formats, scratch, owned, 0};
    int rc = encode_all(&e, q, args, err);
    if (rc == SC_OK && c && sink)
        rc = sc_exec_each(c, &q->stmt, values, lengths, formats, sink, err);
    else if (rc == SC_OK && c)
        rc = sc_exec(c, &q->stmt, values, lengths, formats, 1, res, err);
    encoded_free(&e);
    return rc;
}

static const char *query_name(const sc_query *q)
{
    return q && q->stmt.name ? q->stmt.name : "(unnamed query)";
}

/* Arguments every path needs: a descriptor, and an argument struct when
 * there are parameters to read from it. */
static int check_query(const char *fn, const sc_query *q, const void *args, sc_error *err)
{
    if (!q)
        return sc_error_set(err, SC_MISUSE, "%s: the query descriptor is NULL", fn);
    if (!args && q->stmt.nparams > 0)
        return sc_error_set(err, SC_MISUSE, "%s: %s: args is NULL but the query has %d parameters",
                            fn, query_name(q), q->stmt.nparams);
    return SC_OK;
}

/* A NULL connection once silently meant "check the arguments only", so a
 * write with c == NULL returned SC_OK without running: refuse it. */
static int check_call(const char *fn, sc_conn *c, const sc_query *q, const void *args,
                      sc_error *err)
{
    int rc = check_query(fn, q, args, err);
    if (rc == SC_OK && !c)
        rc = sc_error_set(err, SC_MISUSE, "%s: %s: the connection is NULL", fn, query_name(q));
    if (rc == SC_OK && (q->flags & SC_QUERY_PRIMARY) && sc_conn_is_replica(c))
        rc = sc_error_set(err, SC_MISUSE, "%s must read the primary (replica: never); acquire "
                          "with sc_cluster_acquire_write", query_name(q));
    return rc;
}

/* one/many also need somewhere to put rows, and a row descriptor. */
static int check_rows_call(const char *fn, sc_conn *c, const sc_query *q, const void *args,
                           const sc_arena *a, const void *out, sc_error *err)
{
    int rc = check_call(fn, c, q, args, err);
    if (rc == SC_OK && (!a || !out))
        rc = sc_error_set(err, SC_MISUSE, "%s: %s: the arena and the output are required", fn,
                          query_name(q));
    if (rc == SC_OK && !q->row)
        rc = sc_error_set(err, SC_MISUSE, "%s: %s returns no rows", fn, query_name(q));
    return rc;
}

int sc_query_check_args(const sc_query *q, const void *args, sc_error *err)
{
    int rc = check_query("sc_query_check_args", q, args, err);
    return rc != SC_OK ? rc : run(NULL, q, args, NULL, err);
}

/* The access verdict of row 0 (binary bool; NULL counts as denied). */
static bool verdict_true(const PGresult *res, int col)
{
    return col < PQnfields(res) && !PQgetisnull(res, 0, col) && PQgetlength(res, 0, col) == 1 &&
           PQgetvalue(res, 0, col)[0] == 1;
}

int sc_query_one(sc_conn *c, const sc_query *q, const void *args, sc_arena *a, void *row,
                 sc_error *err)
{
    int rc = check_rows_call("sc_query_one", c, q, args, a, row, err);
    if (rc != SC_OK)
        return rc;
    PGresult *res = NULL;
    rc = run(c, q, args, &res, err);
    if (rc != SC_OK)
        return rc;
    rc = sc_decode_one(q, res, a, row, err);
    PQclear(res);
    return rc;
}

int sc_decode_one(const sc_query *q, const PGresult *res, sc_arena *a, void *row, sc_error *err)
{
    memset(row, 0, q->row->size);
    if (PQntuples(res) == 0)
        return sc_error_set(err, SC_NOT_FOUND, "%s: no row", q->stmt.name);
    if ((q->access & SC_ACCESS_VERDICT) && !verdict_true(res, (int)q->row->nfields))
        return (q->access & SC_ACCESS_HIDES_EXISTENCE)
                   ? sc_error_set(err, SC_NOT_FOUND, "%s: no row", q->stmt.name)
                   : sc_error_set(err, SC_ACCESS_DENIED,
                                  "%s: the row exists but access is denied", q->stmt.name);
    return sc_decode_row_extra(res, 0, q->row, q->access & SC_ACCESS_VERDICT ? 1 : 0, a, row,
                               err);
}

int sc_query_many(sc_conn *c, const sc_query *q, const void *args, sc_arena *a, void **rows,
                  size_t *n, sc_error *err)
{
    int rc = check_rows_call("sc_query_many", c, q, args, a, rows && n ? rows : NULL, err);
    if (rc != SC_OK)
        return rc;
    PGresult *res = NULL;
    *rows = NULL;
    *n = 0;
    rc = run(c, q, args, &res, err);
    if (rc != SC_OK)
        return rc;
    rc = sc_decode_many(q, res, a, rows, n, err);
    PQclear(res);
    return rc;
}

int sc_decode_many(const sc_query *q, const PGresult *res, sc_arena *a, void **rows, size_t *n,
                   sc_error *err)
{
    size_t count = (size_t)PQntuples(res);
    char *out = count ? sc_arena_alloc(a, count * q->row->size) : NULL;
    if (count && !out)
        return sc_error_set(err, SC_NO_MEMORY, "%s: %zu rows do not fit in memory",
                            q->stmt.name, count);
    if (out)
        memset(out, 0, count * q->row->size);
    for (size_t i = 0; i < count; i++) {
        int rc = sc_decode_row(res, (int)i, q->row, a, out + i * q->row->size, err);
        if (rc != SC_OK)
            return rc;
    }
    *rows = out;
    *n = count;
    return SC_OK;
}

/* One row at a time: decoded into `row` in the arena, handed to the
 * caller, then everything it took from the arena is given back. */
typedef struct each_ctx {
    const sc_query *q;
    sc_arena *a;
    void *row;
    sc_arena_mark mark;
    sc_row_fn fn;
    void *ctx;
    sc_error *err;
} each_ctx;

static int each_row(void *ctx, const PGresult *res)
{
    each_ctx *x = ctx;
    memset(x->row, 0, x->q->row->size);
    int rc = sc_decode_row(res, 0, x->q->row, x->a, x->row, x->err);
    if (rc == SC_OK)
        rc = x->fn(x->ctx, x->row);
    sc_arena_rewind(x->a, x->mark);
    return rc;
}

int sc_query_each(sc_conn *c, const sc_query *q, const void *args, sc_arena *a, sc_row_fn fn,
                  void *ctx, sc_error *err)
{
    int rc = check_rows_call("sc_query_each", c, q, args, a, fn ? (void *)&fn : NULL, err);
    if (rc != SC_OK)
        return rc;
    sc_arena_mark before = sc_arena_save(a);
    each_ctx x = {q, a, sc_arena_alloc(a, q->row->size), {0}, fn, ctx, err};
    if (!x.row)
        return sc_error_set(err, SC_NO_MEMORY, "%s: no room for one row", q->stmt.name);
    x.mark = sc_arena_save(a);
    sc_row_sink sink = {each_row, &x, SC_OK, 0};
    rc = run_into(c, q, args, NULL, &sink, err);
    sc_arena_rewind(a, before);
    return rc;
}

int sc_query_exec(sc_conn *c, const sc_query *q, const void *args, int64_t *affected,
                  sc_error *err)
{
    int rc = check_call("sc_query_exec", c, q, args, err);
    if (rc != SC_OK)
        return rc;
    PGresult *res = NULL;
    rc = run(c, q, args, &res, err);
    if (rc != SC_OK)
        return rc;
    if (affected) {
        const char *tuples = PQcmdTuples(res);
        *affected = *tuples ? strtoll(tuples, NULL, 10) : 0;
    }
    PQclear(res);
    return SC_OK;
}

int sc_query_count(sc_conn *c, const sc_query *q, const void *args, int64_t *count,
                   sc_error *err)
{
    int rc = check_call("sc_query_count", c, q, args, err);
    if (rc == SC_OK && !count)
        rc = sc_error_set(err, SC_MISUSE, "sc_query_count: %s: count is NULL", query_name(q));
    if (rc != SC_OK)
        return rc;
    PGresult *res = NULL;
    rc = run(c, q, args, &res, err);
    if (rc != SC_OK)
        return rc;
    if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0))
        rc = sc_error_set(err, SC_MISUSE, "%s: a count query must return one non-NULL value",
                          q->stmt.name);
    else
        rc = sc_decode_int(res, 0, 0, count, err);
    PQclear(res);
    return rc;
}

int sc_enum_from_string(const sc_enum_desc *e, const char *label)
{
    for (size_t i = 0; label && i < e->nvalues; i++)
        if (strcmp(e->values[i], label) == 0)
            return (int)i;
    return -1;
}

const char *sc_enum_to_string(const sc_enum_desc *e, int value)
{
    return value >= 0 && (size_t)value < e->nvalues ? e->values[value] : NULL;
}
