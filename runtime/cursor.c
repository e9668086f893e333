/* Keyset cursors: the sort-key values of a page's last row, as one opaque
 * URL-safe string a service can hand to its client and take back.
 *
 *   cursor = tag "." hex(value 1) "." hex(value 2) ...
 *
 * tag is a hash of the query's name, so a cursor of another list is refused
 * rather than silently read as this one's. Values are in a form of our own
 * (decimal integers, microseconds for timestamps, the text itself for
 * strings), hex-encoded so that no character needs escaping. A cursor is
 * not a secret and not signed: it only says where a page starts, and its
 * values are bound as parameters like any argument. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_query.h"
#include "sc_query_internal.h"

enum { MAX_VALUE = 4096 };

static uint32_t tag_of(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static void *at(void *base, const sc_field *f)
{
    return (char *)base + f->offset;
}

/* The value's own text form into buf (or *text for strings). */
static int value_text(const sc_field *f, const void *row, char *buf, size_t size,
                      const char **text)
{
    const void *p = (const char *)row + f->offset;
    *text = buf;
    switch (f->kind) {
    case SC_K_INT16: snprintf(buf, size, "%d", *(const int16_t *)p); return 0;
    case SC_K_INT32: case SC_K_DATE: snprintf(buf, size, "%" PRId32, *(const int32_t *)p); return 0;
    case SC_K_ENUM: snprintf(buf, size, "%d", *(const int *)p); return 0;
    case SC_K_INT64: case SC_K_TIME: snprintf(buf, size, "%" PRId64, *(const int64_t *)p); return 0;
    case SC_K_BOOL: snprintf(buf, size, "%c", *(const bool *)p ? 't' : 'f'); return 0;
    case SC_K_FLOAT4: snprintf(buf, size, "%.9g", (double)*(const float *)p); return 0;
    case SC_K_FLOAT8: snprintf(buf, size, "%.17g", *(const double *)p); return 0;
    case SC_K_NUMERIC: case SC_K_TEXT: case SC_K_UUID:
        *text = *(const char *const *)p;
        return *text && strlen(*text) <= MAX_VALUE ? 0 : -1;
    default:
        return -1;
    }
}

int sc_cursor_encode(const sc_keyset *k, const void *row, sc_arena *a, const char **out,
                     sc_error *err)
{
    if (!k || !row || !a || !out)
        return sc_error_set(err, SC_MISUSE, "sc_cursor_encode: keyset, row, arena and out needed");
    *out = NULL;
    size_t cap = 16;
    const char *texts[8];
    char bufs[8][32];
    if (k->nkeys > 8)
        return sc_error_set(err, SC_MISUSE, "%s: more than 8 keyset columns", k->name);
    for (size_t i = 0; i < k->nkeys; i++) {
        const sc_field *f = &k->row_keys[i];
        if (!sc_field_present(row, f) || value_text(f, row, bufs[i], sizeof bufs[i], &texts[i]))
            return sc_error_set(err, SC_INVALID_INPUT, "%s: keyset column %s has no usable value",
                                k->name, f->name);
        cap += 1 + 2 * strlen(texts[i]);
    }
    char *s = sc_arena_alloc(a, cap);
    if (!s)
        return sc_error_set(err, SC_NO_MEMORY, "%s: no room for a cursor", k->name);
    size_t n = (size_t)snprintf(s, cap, "%08" PRIx32, tag_of(k->name));
    for (size_t i = 0; i < k->nkeys; i++) {
        s[n++] = '.';
        for (const unsigned char *p = (const unsigned char *)texts[i]; *p; p++)
            n += (size_t)snprintf(s + n, cap - n, "%02x", *p);
    }
    s[n] = '\0';
    *out = s;
    return SC_OK;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Segment [s, end) decoded into buf; -1 when it is not hex or too long. */
static int unhex(const char *s, const char *end, char *buf, size_t size)
{
    size_t len = (size_t)(end - s);
    if (len % 2 || len / 2 >= size)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        buf[i] = (char)(hi * 16 + lo);
        if (!buf[i])
            return -1;
    }
    buf[len / 2] = '\0';
    return 0;
}

static int parse_int(const char *t, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (errno || end == t || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* The text form back into the argument struct's member. */
static int store_value(const sc_field *f, void *args, const char *t, sc_arena *a)
{
    void *p = at(args, f);
    long long v;
    char *end;
    switch (f->kind) {
    case SC_K_INT16:
        if (parse_int(t, INT16_MIN, INT16_MAX, &v))
            return -1;
        *(int16_t *)p = (int16_t)v;
        return 0;
    case SC_K_INT32: case SC_K_DATE:
        if (parse_int(t, INT32_MIN, INT32_MAX, &v))
            return -1;
        *(int32_t *)p = (int32_t)v;
        return 0;
    case SC_K_ENUM:
        if (parse_int(t, 0, f->en ? (long long)f->en->nvalues - 1 : INT32_MAX, &v))
            return -1;
        *(int *)p = (int)v;
        return 0;
    case SC_K_INT64: case SC_K_TIME:
        if (parse_int(t, INT64_MIN, INT64_MAX, &v))
            return -1;
        *(int64_t *)p = (int64_t)v;
        return 0;
    case SC_K_BOOL:
        if (strcmp(t, "t") != 0 && strcmp(t, "f") != 0)
            return -1;
        *(bool *)p = t[0] == 't';
        return 0;
    case SC_K_FLOAT4: case SC_K_FLOAT8: {
        double d = strtod(t, &end);
        if (end == t || *end)
            return -1;
        if (f->kind == SC_K_FLOAT4)
            *(float *)p = (float)d;
        else
            *(double *)p = d;
        return 0;
    }
    case SC_K_NUMERIC: case SC_K_TEXT: case SC_K_UUID: {
        char *s = sc_arena_strndup(a, t, strlen(t));
        if (!s)
            return -1;
        *(char **)p = s;
        return 0;
    }
    default:
        return -1;
    }
}

int sc_cursor_decode(const sc_keyset *k, const char *cursor, sc_arena *a, void *args,
                     sc_error *err)
{
    if (!k || !cursor || !a || !args)
        return sc_error_set(err, SC_MISUSE, "sc_cursor_decode: keyset, cursor, arena and args needed");
    char tag[9];
    snprintf(tag, sizeof tag, "%08" PRIx32, tag_of(k->name));
    if (strncmp(cursor, tag, 8) != 0)
        return sc_error_set(err, SC_INVALID_INPUT, "%s: the cursor is not one of this query's",
                            k->name);
    const char *s = cursor + 8;
    char value[MAX_VALUE + 1];
    for (size_t i = 0; i < k->nkeys; i++) {
        if (*s != '.')
            return sc_error_set(err, SC_INVALID_INPUT, "%s: malformed cursor", k->name);
        const char *end = strchr(s + 1, '.');
        if (!end)
            end = s + 1 + strlen(s + 1);
        if (unhex(s + 1, end, value, sizeof value) || store_value(&k->arg_keys[i], args, value, a))
            return sc_error_set(err, SC_INVALID_INPUT, "%s: malformed cursor (%s)", k->name,
                                k->arg_keys[i].name);
        s = end;
    }
    if (*s)
        return sc_error_set(err, SC_INVALID_INPUT, "%s: malformed cursor", k->name);
    return SC_OK;
}
