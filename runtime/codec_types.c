/* The binary forms of the less common column types (sc_types.h), and their
 * text forms as parameters. codec.c and query.c hand these kinds here. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sc_query_internal.h"

static uint64_t be(const char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | (unsigned char)p[i];
    return v;
}

static int bad(sc_error *err, const sc_field *f, const char *why)
{
    return sc_error_set(err, SC_DATABASE, "column '%s': %s", f->name, why);
}

static int store_text(const sc_field *f, sc_arena *a, const char *s, void *dst, sc_error *err)
{
    char *copy = sc_arena_strndup(a, s, strlen(s));
    if (!copy)
        return sc_error_set(err, SC_NO_MEMORY, "column '%s': out of memory", f->name);
    *(char **)dst = copy;
    return SC_OK;
}

/* inet and cidr: family (2: IPv4, 3: IPv6), bits, is_cidr, address length,
 * address; the text as the server writes it (the mask only when it is not
 * the whole address, always for cidr). */
static int decode_inet(const sc_field *f, const char *v, int len, sc_arena *a, void *dst,
                       sc_error *err)
{
    if (len < 4 || (v[0] != 2 && v[0] != 3) || len != 4 + (unsigned char)v[3] ||
        (unsigned char)v[3] != (v[0] == 2 ? 4 : 16))
        return bad(err, f, "not an inet or cidr value");
    char text[INET6_ADDRSTRLEN + 8];
    unsigned char addr[16];
    memcpy(addr, v + 4, (unsigned char)v[3]);
    if (!inet_ntop(v[0] == 2 ? AF_INET : AF_INET6, addr, text, INET6_ADDRSTRLEN))
        return bad(err, f, "not an inet or cidr value");
    int bits = (unsigned char)v[1], max = v[0] == 2 ? 32 : 128;
    if (v[2] || bits != max)
        snprintf(text + strlen(text), 8, "/%d", bits);
    return store_text(f, a, text, dst, err);
}

static int decode_macaddr(const sc_field *f, const char *v, int len, sc_arena *a, void *dst,
                          sc_error *err)
{
    if (len != 6 && len != 8)
        return bad(err, f, "not a macaddr");
    char text[24], *o = text;
    for (int i = 0; i < len; i++)
        o += sprintf(o, "%s%02x", i ? ":" : "", (unsigned char)v[i]);
    return store_text(f, a, text, dst, err);
}

/* bit(n) and varbit: the length in bits, then the bits, first bit high. */
static int decode_bit(const sc_field *f, const char *v, int len, sc_arena *a, void *dst,
                      sc_error *err)
{
    if (len < 4)
        return bad(err, f, "not a bit string");
    int64_t nbits = (int32_t)be(v, 4);
    if (nbits < 0 || (nbits + 7) / 8 > len - 4)
        return bad(err, f, "not a bit string");
    char *s = sc_arena_alloc(a, (size_t)nbits + 1);
    if (!s)
        return sc_error_set(err, SC_NO_MEMORY, "column '%s': out of memory", f->name);
    for (int64_t i = 0; i < nbits; i++)
        s[i] = (unsigned char)v[4 + i / 8] >> (7 - i % 8) & 1 ? '1' : '0';
    s[nbits] = '\0';
    *(char **)dst = s;
    return SC_OK;
}

static double float8_of(const char *p)
{
    uint64_t bits = be(p, 8);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* A range bound's value as int64_t: integers as they are, times and dates
 * moved from PostgreSQL's epoch to Unix's (infinities kept as extremes). */
static int range_bound(const sc_field *f, const char *v, int len, int64_t *out, sc_error *err)
{
    int want = f->kind == SC_K_INT4RANGE || f->kind == SC_K_DATERANGE ? 4 : 8;
    if (len != want)
        return bad(err, f, "malformed range bound");
    int64_t x = want == 4 ? (int64_t)(int32_t)be(v, 4) : (int64_t)be(v, 8);
    if (f->kind == SC_K_TSTZRANGE && x != INT64_MAX && x != INT64_MIN)
        x = x > INT64_MAX - PG_EPOCH_USEC ? INT64_MAX : x + PG_EPOCH_USEC;
    if (f->kind == SC_K_DATERANGE && x != INT32_MAX && x != INT32_MIN)
        x += PG_EPOCH_DAYS;
    *out = x;
    return SC_OK;
}

enum { RANGE_EMPTY = 0x01, RANGE_LB_INC = 0x02, RANGE_UB_INC = 0x04, RANGE_LB_INF = 0x08,
       RANGE_UB_INF = 0x10 };

/* Flags, then each finite bound as (length, value). */
static int decode_range(const sc_field *f, const char *v, int len, sc_range *r, sc_error *err)
{
    memset(r, 0, sizeof *r);
    if (len < 1)
        return bad(err, f, "malformed range");
    unsigned flags = (unsigned char)v[0];
    if (flags & RANGE_EMPTY)
        return SC_OK;
    r->nonempty = true;
    r->lower_inc = flags & RANGE_LB_INC;
    r->upper_inc = flags & RANGE_UB_INC;
    r->lower_inf = flags & RANGE_LB_INF;
    r->upper_inf = flags & RANGE_UB_INF;
    const char *p = v + 1, *end = v + len;
    for (int b = 0; b < 2; b++) {
        if (b == 0 ? r->lower_inf : r->upper_inf)
            continue;
        if (end - p < 4)
            return bad(err, f, "malformed range");
        int32_t blen = (int32_t)be(p, 4);
        p += 4;
        if (blen < 0 || end - p < blen)
            return bad(err, f, "malformed range");
        int rc = range_bound(f, p, blen, b == 0 ? &r->lower : &r->upper, err);
        if (rc != SC_OK)
            return rc;
        p += blen;
    }
    return SC_OK;
}

bool sc_kind_is_more(sc_kind k)
{
    return k >= SC_K_TIMEOFDAY && k <= SC_K_DATERANGE;
}

int sc_decode_more(const sc_field *f, const char *v, int len, sc_arena *a, void *dst,
                   sc_error *err)
{
    switch (f->kind) {
    case SC_K_TIMEOFDAY: case SC_K_MONEY:
        if (len != 8)
            return bad(err, f, f->kind == SC_K_MONEY ? "not a money value" : "not a time");
        *(int64_t *)dst = (int64_t)be(v, 8);
        return SC_OK;
    case SC_K_TIMETZ: {
        if (len != 12)
            return bad(err, f, "not a timetz");
        sc_timetz *t = dst;
        t->usec = (int64_t)be(v, 8);
        t->offset_s = -(int32_t)be(v + 8, 4); /* the server counts seconds west */
        return SC_OK;
    }
    case SC_K_INET: return decode_inet(f, v, len, a, dst, err);
    case SC_K_MACADDR: return decode_macaddr(f, v, len, a, dst, err);
    case SC_K_BIT: return decode_bit(f, v, len, a, dst, err);
    case SC_K_POINT: {
        if (len != 16)
            return bad(err, f, "not a point");
        sc_point *pt = dst;
        pt->x = float8_of(v);
        pt->y = float8_of(v + 8);
        return SC_OK;
    }
    case SC_K_INT4RANGE: case SC_K_INT8RANGE: case SC_K_TSTZRANGE: case SC_K_DATERANGE:
        return decode_range(f, v, len, dst, err);
    default:
        return bad(err, f, "a kind this runtime does not decode");
    }
}

size_t sc_kind_size_more(sc_kind k)
{
    switch (k) {
    case SC_K_TIMEOFDAY: case SC_K_MONEY: return sizeof(int64_t);
    case SC_K_TIMETZ: return sizeof(sc_timetz);
    case SC_K_POINT: return sizeof(sc_point);
    case SC_K_INT4RANGE: case SC_K_INT8RANGE: case SC_K_TSTZRANGE: case SC_K_DATERANGE:
        return sizeof(sc_range);
    default: return sizeof(char *); /* inet, macaddr, bit: text */
    }
}

/* ---- text forms ------------------------------------------------------ */

int sc_time_of_day_format(int64_t usec, char *buf, size_t n)
{
    int64_t s = usec / 1000000;
    return snprintf(buf, n, "%02d:%02d:%02d.%06d", (int)(s / 3600), (int)(s / 60 % 60),
                    (int)(s % 60), (int)(usec % 1000000));
}

int sc_timetz_format(sc_timetz t, char *buf, size_t n)
{
    int len = sc_time_of_day_format(t.usec, buf, n);
    int64_t off = t.offset_s < 0 ? -(int64_t)t.offset_s : t.offset_s;
    if (len < 0 || (size_t)len >= n)
        return len;
    return len + snprintf(buf + len, n - (size_t)len, "%c%02d:%02d:%02d", t.offset_s < 0 ? '-' : '+',
                          (int)(off / 3600), (int)(off / 60 % 60), (int)(off % 60));
}

static void range_bound_text(const sc_field *f, int64_t x, char *out, size_t n)
{
    if (f->kind == SC_K_TSTZRANGE) {
        out[0] = '"';
        int len = sc_time_format(x, out + 1, n - 2);
        snprintf(out + 1 + len, n - 1 - (size_t)len, "\"");
    } else if (f->kind == SC_K_DATERANGE) {
        sc_date_format((int32_t)x, out, n);
    } else {
        snprintf(out, n, "%lld", (long long)x);
    }
}

static char *range_text(const sc_field *f, const sc_range *r)
{
    char lo[48] = "", hi[48] = "";
    if (!r->nonempty)
        return strdup("empty");
    if (!r->lower_inf)
        range_bound_text(f, r->lower, lo, sizeof lo);
    if (!r->upper_inf)
        range_bound_text(f, r->upper, hi, sizeof hi);
    char *s = malloc(sizeof lo + sizeof hi + 4);
    if (s)
        sprintf(s, "%c%s,%s%c", r->lower_inc && !r->lower_inf ? '[' : '(', lo, hi,
                r->upper_inc && !r->upper_inf ? ']' : ')');
    return s;
}

const char *sc_encode_more(const sc_field *f, const void *p, char *buf, size_t size, char **owned,
                           sc_error *err)
{
    *owned = NULL;
    switch (f->kind) {
    case SC_K_TIMEOFDAY: {
        int64_t t = *(const int64_t *)p;
        if (t < 0 || t > 86400LL * 1000000) {
            sc_error_set(err, SC_INVALID_INPUT, "parameter '%s' is not a time of day: %lld "
                         "microseconds", f->name, (long long)t);
            return NULL;
        }
        sc_time_of_day_format(t, buf, size);
        return buf;
    }
    case SC_K_TIMETZ: {
        const sc_timetz *t = p;
        if (t->usec < 0 || t->usec > 86400LL * 1000000) {
            sc_error_set(err, SC_INVALID_INPUT, "parameter '%s' is not a time of day: %lld "
                         "microseconds", f->name, (long long)t->usec);
            return NULL;
        }
        sc_timetz_format(*t, buf, size);
        return buf;
    }
    case SC_K_MONEY: { /* text (COPY, upsert): two fraction digits */
        int64_t m = *(const int64_t *)p;
        uint64_t u = m < 0 ? 0 - (uint64_t)m : (uint64_t)m;
        snprintf(buf, size, "%s%llu.%02llu", m < 0 ? "-" : "", (unsigned long long)(u / 100),
                 (unsigned long long)(u % 100));
        return buf;
    }
    case SC_K_POINT: {
        const sc_point *pt = p;
        snprintf(buf, size, "(%.17g,%.17g)", pt->x, pt->y);
        return buf;
    }
    case SC_K_INT4RANGE: case SC_K_INT8RANGE: case SC_K_TSTZRANGE: case SC_K_DATERANGE:
        *owned = range_text(f, p);
        if (!*owned)
            sc_error_set(err, SC_NO_MEMORY, "parameter '%s': out of memory", f->name);
        return *owned;
    default:
        sc_error_set(err, SC_MISUSE, "parameter '%s': a kind this runtime does not encode", f->name);
        return NULL;
    }
}
