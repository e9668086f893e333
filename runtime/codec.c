/* Binary result decoding into row structs, and the text forms of times,
 * dates and UUIDs. Binary results make integers, times and UUIDs exact and
 * independent of the session's DateStyle and TimeZone. */
#include <stdio.h>
#include <string.h>

#include "sc_query_internal.h"

/* PostgreSQL's epoch (2000-01-01) relative to Unix's. */

static uint32_t be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static uint16_t be16(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint16_t)(u[0] << 8 | u[1]);
}

static uint64_t be64(const char *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static int bad_value(sc_error *err, const sc_field *f, const char *why)
{
    return sc_error_set(err, SC_DATABASE, "column '%s': %s", f->name, why);
}

static char *arena_text(sc_arena *a, const char *s, size_t n)
{
    return sc_arena_strndup(a, s, n);
}

/* ---- time ------------------------------------------------------------ */

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t year = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(year + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int sc_time_format(sc_time t, char *buf, size_t n)
{
    /* The extremes are PostgreSQL's infinities (see decode_time). */
    if (t == INT64_MAX || t == INT64_MIN)
        return snprintf(buf, n, "%s", t == INT64_MAX ? "infinity" : "-infinity");
    const int64_t day = 86400LL * 1000000;
    int64_t days = floor_div(t, day);
    /* Not t - days * day: near INT64_MIN that product overflows. */
    int64_t rest = t % day;
    if (rest < 0)
        rest += day;
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t secs = rest / 1000000;
    return snprintf(buf, n, "%04d-%02u-%02u %02d:%02d:%02d.%06d+00", y, m, d, (int)(secs / 3600),
                    (int)(secs / 60 % 60), (int)(secs % 60), (int)(rest % 1000000));
}

/* PostgreSQL's 'infinity' / '-infinity' are INT64_MAX / INT64_MIN since
 * 2000: kept as the extremes, and other values clamped rather than letting
 * the epoch shift overflow (undefined behaviour). */
static sc_time decode_time(int64_t pg)
{
    if (pg == INT64_MAX || pg > INT64_MAX - PG_EPOCH_USEC)
        return INT64_MAX;
    if (pg == INT64_MIN)
        return INT64_MIN;
    return pg + PG_EPOCH_USEC;
}

/* The same for dates (infinity is INT32_MAX / INT32_MIN days). */
static int32_t decode_date(int32_t pg)
{
    if (pg == INT32_MAX || pg > INT32_MAX - PG_EPOCH_DAYS)
        return INT32_MAX;
    if (pg == INT32_MIN)
        return INT32_MIN;
    return pg + PG_EPOCH_DAYS;
}

int sc_date_format(int32_t days, char *buf, size_t n)
{
    if (days == INT32_MAX || days == INT32_MIN)
        return snprintf(buf, n, "%s", days == INT32_MAX ? "infinity" : "-infinity");
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    return snprintf(buf, n, "%04d-%02u-%02u", y, m, d);
}

int sc_uuid_normalize(const char *in, char out[37])
{
    if (!in || strlen(in) != 36)
        return -1;
    for (int i = 0; i < 36; i++) {
        char c = in[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                                (c >= 'A' && c <= 'F')))
            return -1;
        out[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    out[36] = '\0';
    /* Version 4, RFC 4122 variant. */
    if (out[14] != '4' || !strchr("89ab", out[19]))
        return -1;
    return 0;
}

static void uuid_text(const char *raw, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[(unsigned char)raw[i] >> 4];
        out[k++] = hex[(unsigned char)raw[i] & 15];
    }
    out[36] = '\0';
}

/* ---- numeric and tsvector to text ----------------------------------- */

static char *numeric_text(sc_arena *a, const char *v, int len)
{
    if (len < 8)
        return NULL;
    int ndigits = (int16_t)be16(v), weight = (int16_t)be16(v + 2), dscale = be16(v + 6);
    uint16_t sign = be16(v + 4);
    if (sign == 0xC000)
        return arena_text(a, "NaN", 3);
    if (sign == 0xD000)
        return arena_text(a, "Infinity", 8);
    if (sign == 0xF000)
        return arena_text(a, "-Infinity", 9);
    if (ndigits < 0 || len < 8 + 2 * ndigits)
        return NULL;
    char *out = sc_arena_alloc(a, (size_t)(4 * (weight > 0 ? weight + 1 : 1) + dscale + 8));
    if (!out)
        return NULL;
    char *p = out;
    if (sign == 0x4000)
        *p++ = '-';
    if (weight < 0) {
        *p++ = '0';
    } else {
        for (int d = 0; d <= weight; d++) {
            int dig = d < ndigits ? be16(v + 8 + 2 * d) : 0;
            p += sprintf(p, d == 0 ? "%d" : "%04d", dig);
        }
    }
    if (dscale > 0) {
        *p++ = '.';
        char *frac = p;
        for (int d = weight + 1; p - frac < dscale; d++) {
            int dig = d >= 0 && d < ndigits ? be16(v + 8 + 2 * d) : 0;
            p += sprintf(p, "%04d", dig);
        }
        p = frac + dscale;
    }
    *p = '\0';
    return out;
}

static char *tsvector_text(sc_arena *a, const char *v, int len)
{
    if (len < 4)
        return NULL;
    uint32_t count = be32(v);
    size_t cap = (size_t)len * 3 + 16; /* quotes, escapes, ":65535A," per position */
    char *out = sc_arena_alloc(a, cap), *o = out;
    if (!out)
        return NULL;
    const char *p = v + 4, *end = v + len;
    for (uint32_t i = 0; i < count; i++) {
        const char *lex = p;
        while (p < end && *p)
            p++;
        if (p + 3 > end)
            return NULL;
        if (i)
            *o++ = ' ';
        *o++ = '\'';
        for (const char *c = lex; c < p; c++) {
            if (*c == '\'' || *c == '\\')
                *o++ = *c;
            *o++ = *c;
        }
        *o++ = '\'';
        uint16_t npos = be16(++p);
        p += 2;
        if (p + 2 * npos > end)
            return NULL;
        for (uint16_t k = 0; k < npos; k++, p += 2) {
            uint16_t wp = be16(p);
            static const char weights[] = {0, 'C', 'B', 'A'};
            o += sprintf(o, "%c%u", k ? ',' : ':', wp & 0x3FFF);
            if (weights[wp >> 14])
                *o++ = weights[wp >> 14];
        }
    }
    *o = '\0';
    return out;
}

/* ---- scalars --------------------------------------------------------- */

static int decode_integer(const sc_field *f, const char *v, int len, int64_t *out, sc_error *err)
{
    if (len == 2)
        *out = (int16_t)be16(v);
    else if (len == 4)
        *out = (int32_t)be32(v);
    else if (len == 8)
        *out = (int64_t)be64(v);
    else
        return bad_value(err, f, "not an integer");
    return SC_OK;
}

static int store_integer(const sc_field *f, int64_t x, void *dst, sc_error *err)
{
    if (f->kind == SC_K_INT16 && (x < INT16_MIN || x > INT16_MAX))
        return bad_value(err, f, "value out of range for int16_t");
    if (f->kind == SC_K_INT32 && (x < INT32_MIN || x > INT32_MAX))
        return bad_value(err, f, "value out of range for int32_t");
    if (f->kind == SC_K_INT16)
        *(int16_t *)dst = (int16_t)x;
    else if (f->kind == SC_K_INT32)
        *(int32_t *)dst = (int32_t)x;
    else
        *(int64_t *)dst = x;
    return SC_OK;
}

static void json_release(void *p)
{
    json_decref(p);
}

static int decode_json(const sc_field *f, const char *v, int len, sc_arena *a, void *dst,
                       sc_error *err)
{
    if (f->kind == SC_K_JSONB) {
        if (len < 1 || v[0] != 1)
            return bad_value(err, f, "unknown jsonb format version");
        v++, len--;
    }
    json_t *j = json_loadb(v, (size_t)len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!j)
        return bad_value(err, f, "invalid JSON from the server");
    if (sc_arena_defer(a, json_release, j) != 0) {
        json_decref(j);
        return sc_error_set(err, SC_NO_MEMORY, "column '%s': out of memory", f->name);
    }
    *(json_t **)dst = j;
    return SC_OK;
}

/* A row's json/jsonb column: the text is copied, the parse waits for
 * sc_json_value (jansson parsing was most of a JSON-heavy read's CPU). */
static int decode_lazy_json(const sc_field *f, const char *v, int len, sc_arena *a, void *dst,
                            sc_error *err)
{
    if (f->kind == SC_K_JSONB) {
        if (len < 1 || v[0] != 1)
            return bad_value(err, f, "unknown jsonb format version");
        v++, len--;
    }
    sc_json *j = dst;
    j->text = sc_arena_strndup(a, v, (size_t)len);
    j->parsed = sc_arena_alloc(a, sizeof *j->parsed);
    if (!j->text || !j->parsed)
        return sc_error_set(err, SC_NO_MEMORY, "column '%s': out of memory", f->name);
    *j->parsed = NULL;
    j->len = (size_t)len;
    j->arena = a;
    return SC_OK;
}

json_t *sc_json_value(const sc_json *j)
{
    if (!j || !j->text || !j->parsed)
        return NULL;
    if (*j->parsed)
        return *j->parsed;
    json_t *v = json_loadb(j->text, j->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (v && sc_arena_defer(j->arena, json_release, v) != 0) {
        json_decref(v);
        return NULL;
    }
    *j->parsed = v;
    return v;
}

static int decode_text_kind(const sc_field *f, const char *v, int len, sc_arena *a, void *dst,
                            sc_error *err)
{
    char *s;
    char uuid[37];
    if (f->kind == SC_K_NUMERIC && len >= 8) {
        s = numeric_text(a, v, len);
    } else if (f->kind == SC_K_TSVECTOR) {
        s = tsvector_text(a, v, len);
    } else if (f->kind == SC_K_UUID && len == 16) {
        uuid_text(v, uuid);
        s = arena_text(a, uuid, 36);
    } else {
        s = arena_text(a, v, (size_t)len);
    }
    if (!s)
        return bad_value(err, f, "malformed value or out of memory");
    *(char **)dst = s;
    return SC_OK;
}

static int decode_scalar(const sc_field *f, const char *v, int len, sc_arena *a, void *dst,
                         sc_error *err)
{
    int64_t x = 0;
    switch (f->kind) {
    case SC_K_INT16: case SC_K_INT32: case SC_K_INT64:
        if (decode_integer(f, v, len, &x, err) != SC_OK)
            return SC_DATABASE;
        return store_integer(f, x, dst, err);
    case SC_K_BOOL:
        if (len != 1)
            return bad_value(err, f, "not a boolean");
        *(bool *)dst = v[0] != 0;
        return SC_OK;
    case SC_K_FLOAT4: {
        if (len != 4)
            return bad_value(err, f, "not a real");
        uint32_t bits = be32(v);
        memcpy(dst, &bits, 4);
        return SC_OK;
    }
    case SC_K_FLOAT8: {
        if (len != 8)
            return bad_value(err, f, "not a double precision");
        uint64_t bits = be64(v);
        memcpy(dst, &bits, 8);
        return SC_OK;
    }
    case SC_K_TIME:
        if (len != 8)
            return bad_value(err, f, "not a timestamp");
        *(sc_time *)dst = decode_time((int64_t)be64(v));
        return SC_OK;
    case SC_K_DATE:
        if (len != 4)
            return bad_value(err, f, "not a date");
        *(int32_t *)dst = decode_date((int32_t)be32(v));
        return SC_OK;
    case SC_K_INTERVAL: {
        if (len != 16)
            return bad_value(err, f, "not an interval");
        sc_interval *iv = dst;
        iv->usec = (int64_t)be64(v);
        iv->days = (int32_t)be32(v + 8);
        iv->months = (int32_t)be32(v + 12);
        return SC_OK;
    }
    case SC_K_JSON: case SC_K_JSONB:
        return decode_json(f, v, len, a, dst, err);
    case SC_K_BYTES: {
        sc_bytes *b = dst;
        unsigned char *copy = sc_arena_alloc(a, (size_t)len + 1);
        if (!copy)
            return sc_error_set(err, SC_NO_MEMORY, "column '%s': out of memory", f->name);
        memcpy(copy, v, (size_t)len);
        b->data = copy;
        b->len = (size_t)len;
        return SC_OK;
    }
    case SC_K_VECTOR: case SC_K_HALFVEC:
        return sc_vector_decode(f, v, len, a, dst, err);
    case SC_K_ENUM: {
        char label[128];
        snprintf(label, sizeof label, "%.*s", len, v);
        int idx = sc_enum_from_string(f->en, label);
        if (idx < 0)
            return bad_value(err, f, "a label this code does not know (regenerate?)");
        *(int *)dst = idx;
        return SC_OK;
    }
    default:
        if (sc_kind_is_more(f->kind))
            return sc_decode_more(f, v, len, a, dst, err);
        return decode_text_kind(f, v, len, a, dst, err);
    }
}

size_t sc_kind_size(sc_kind k)
{
    switch (k) {
    case SC_K_INT16: return sizeof(int16_t);
    case SC_K_INT32: case SC_K_DATE: return sizeof(int32_t);
    case SC_K_INT64: case SC_K_TIME: return sizeof(int64_t);
    case SC_K_BOOL: return sizeof(bool);
    case SC_K_FLOAT4: return sizeof(float);
    case SC_K_FLOAT8: return sizeof(double);
    case SC_K_INTERVAL: return sizeof(sc_interval);
    case SC_K_BYTES: return sizeof(sc_bytes);
    case SC_K_VECTOR: case SC_K_HALFVEC: return sizeof(sc_vector);
    case SC_K_ENUM: return sizeof(int);
    default: return sc_kind_is_more(k) ? sc_kind_size_more(k) : sizeof(void *);
    }
}

/* One-dimensional binary arrays: ndim, flags, element type, (size, lower
 * bound) per dimension, then (length, bytes) per element. */
static int decode_array(const sc_field *f, const char *v, int len, sc_arena *a, sc_array *dst,
                        sc_error *err)
{
    if (len < 12)
        return bad_value(err, f, "malformed array");
    int32_t ndim = (int32_t)be32(v);
    if (ndim == 0) {
        dst->n = 0;
        dst->items = NULL;
        return SC_OK;
    }
    if (ndim != 1 || len < 20)
        return bad_value(err, f, "only one-dimensional arrays are supported");
    int32_t count = (int32_t)be32(v + 12);
    size_t size = sc_kind_size(f->kind);
    char *items = sc_arena_alloc(a, (size_t)(count > 0 ? count : 1) * size);
    if (count < 0 || !items)
        return bad_value(err, f, "malformed array or out of memory");
    memset(items, 0, (size_t)count * size);
    const char *p = v + 20, *end = v + len;
    sc_field elem = *f;
    elem.array = false;
    for (int32_t i = 0; i < count; i++) {
        if (p + 4 > end)
            return bad_value(err, f, "truncated array");
        int32_t elen = (int32_t)be32(p);
        p += 4;
        if (elen < 0)
            continue; /* NULL element: zero / NULL pointer */
        if (p + elen > end)
            return bad_value(err, f, "truncated array");
        int rc = decode_scalar(&elem, p, elen, a, items + (size_t)i * size, err);
        if (rc != SC_OK)
            return rc;
        p += elen;
    }
    dst->n = (size_t)count;
    dst->items = items;
    return SC_OK;
}

/* Whether a text field may take column col of a binary result as it is:
 * only the types whose binary form is their text (text, varchar, char(n),
 * name, xml, unknown). Another type read as text would be its binary form
 * (an hstore's counts and lengths, a vector's floats). */
static bool text_in_binary(const PGresult *res, int col)
{
    if (PQfformat(res, col) == 0)
        return true;
    switch (PQftype(res, col)) {
    case 25: case 1043: case 1042: case 19: case 142: case 705:
        return true;
    default:
        return false;
    }
}

int sc_decode_int(const PGresult *res, int row, int col, int64_t *out, sc_error *err)
{
    static const sc_field f = {.name = "count", .kind = SC_K_INT64};
    return decode_integer(&f, PQgetvalue(res, row, col), PQgetlength(res, row, col), out, err);
}

int sc_decode_row(const PGresult *res, int row, const sc_row_desc *desc, sc_arena *a, void *out,
                  sc_error *err)
{
    return sc_decode_row_extra(res, row, desc, 0, a, out, err);
}

int sc_decode_row_extra(const PGresult *res, int row, const sc_row_desc *desc, size_t extra,
                        sc_arena *a, void *out, sc_error *err)
{
    if ((size_t)PQnfields(res) != desc->nfields + extra)
        return sc_error_set(err, SC_MISUSE, "%s: the result has %d columns, the row struct %zu "
                                            "(regenerate?)",
                            desc->name, PQnfields(res), desc->nfields + extra);
    for (size_t i = 0; i < desc->nfields; i++) {
        const sc_field *f = &desc->fields[i];
        void *dst = (char *)out + f->offset;
        if (PQgetisnull(res, row, (int)i)) {
            if (!(f->flags & SC_F_NULLABLE))
                return bad_value(err, f, "NULL in a column declared NOT NULL");
            continue;
        }
        const char *v = PQgetvalue(res, row, (int)i);
        int len = PQgetlength(res, row, (int)i);
        if (f->kind == SC_K_TEXT && !f->array && !text_in_binary(res, (int)i))
            return bad_value(err, f, "the server's binary form of its type is not text: cast it "
                                     "to text in the query (col::text)");
        bool lazy = (f->flags & SC_F_LAZY_JSON) && (f->kind == SC_K_JSON || f->kind == SC_K_JSONB);
        int rc = f->array ? decode_array(f, v, len, a, dst, err)
                 : lazy   ? decode_lazy_json(f, v, len, a, dst, err)
                          : decode_scalar(f, v, len, a, dst, err);
        if (rc != SC_OK)
            return rc;
        if (f->has_offset != SC_NO_FLAG)
            *(bool *)((char *)out + f->has_offset) = true;
    }
    return SC_OK;
}
