/* pgvector's vector(n) and halfvec(n) (see sc_query_internal.h): parameters
 * go in vector_recv's binary form, so no float is printed and parsed again,
 * and results come back in vector_send's. halfvec keeps float on the C side
 * and converts to and from IEEE 754 half precision here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_query_internal.h"

/* pgvector's own limits (VECTOR_MAX_DIM, HALFVEC_MAX_DIM). */
enum { VECTOR_MAX_DIM = 16000, HALFVEC_MAX_DIM = 16000 };

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint16_t)(u[0] << 8 | u[1]);
}

static uint32_t get32(const char *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* float -> binary16, round to nearest even (check_dim refused what does
 * not fit). */
static uint16_t to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffff;
    if (((x >> 23) & 0xff) == 0xff) /* inf, nan */
        return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) { /* subnormal or zero */
        if (exp < -10)
            return sign;
        mant |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half = mant >> shift, rest = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = (uint32_t)exp << 10 | mant >> 13, rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
        half++; /* may carry into the exponent: still right */
    return (uint16_t)(sign | half);
}

static float from_half(uint16_t h)
{
    int exp = (h >> 10) & 0x1f;
    float m = (float)(h & 0x3ff);
    float v = exp == 0 ? ldexpf(m, -24)
              : exp == 31 ? (m ? NAN : INFINITY)
                          : ldexpf(m + 1024.0f, exp - 25);
    return (h & 0x8000) ? -v : v;
}

static bool half_kind(const sc_field *f)
{
    return f->kind == SC_K_HALFVEC;
}

static int check_dim(const sc_field *f, const sc_vector *v, sc_error *err)
{
    const char *type = half_kind(f) ? "halfvec" : "vector";
    int max = half_kind(f) ? HALFVEC_MAX_DIM : VECTOR_MAX_DIM;
    if (f->max_len > 0 && v->dim != f->max_len)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "parameter '%s' has %d dimensions; %s(%d) expects %d", f->name,
                            (int)v->dim, type, f->max_len, f->max_len);
    if (v->dim < 1 || v->dim > max)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "parameter '%s' has %d dimensions; a %s has 1 to %d", f->name,
                            (int)v->dim, type, max);
    for (int32_t i = 0; i < v->dim; i++) {
        if (!isfinite(v->v[i]))
            return sc_error_set(err, SC_INVALID_INPUT,
                                "parameter '%s': element %d is not a finite number", f->name,
                                (int)i);
        if (half_kind(f) && fabsf(v->v[i]) > 65504.0f) /* the largest half */
            return sc_error_set(err, SC_INVALID_INPUT,
                                "parameter '%s': element %d (%g) is out of range for halfvec",
                                f->name, (int)i, (double)v->v[i]);
    }
    return SC_OK;
}

char *sc_vector_binary(const sc_field *f, const sc_vector *v, int *len, sc_error *err)
{
    if (check_dim(f, v, err) != SC_OK)
        return NULL;
    size_t width = half_kind(f) ? 2 : 4, n = 4 + width * (size_t)v->dim;
    unsigned char *out = malloc(n);
    if (!out) {
        sc_error_set(err, SC_NO_MEMORY, "parameter '%s': out of memory", f->name);
        return NULL;
    }
    put16(out, (uint16_t)v->dim);
    put16(out + 2, 0);
    for (int32_t i = 0; i < v->dim; i++) {
        if (width == 2) {
            put16(out + 4 + 2 * i, to_half(v->v[i]));
        } else {
            uint32_t bits;
            memcpy(&bits, &v->v[i], 4);
            put32(out + 4 + 4 * i, bits);
        }
    }
    *len = (int)n;
    return (char *)out;
}

char *sc_vector_text(const sc_field *f, const sc_vector *v, sc_error *err)
{
    if (check_dim(f, v, err) != SC_OK)
        return NULL;
    sc_textbuf b = {0};
    char num[32];
    sc_textbuf_put(&b, "[", 1);
    for (int32_t i = 0; i < v->dim; i++) {
        int n = snprintf(num, sizeof num, "%s%.9g", i ? "," : "", (double)v->v[i]);
        sc_textbuf_put(&b, num, (size_t)n);
    }
    sc_textbuf_put(&b, "]", 1);
    if (b.failed) {
        free(b.data);
        sc_error_set(err, SC_NO_MEMORY, "parameter '%s': out of memory", f->name);
        return NULL;
    }
    return b.data;
}

int sc_vector_decode(const sc_field *f, const char *bytes, int len, sc_arena *a, sc_vector *dst,
                     sc_error *err)
{
    size_t width = half_kind(f) ? 2 : 4;
    if (len < 4)
        return sc_error_set(err, SC_DATABASE, "column '%s': malformed vector", f->name);
    int32_t dim = get16(bytes);
    if ((size_t)len != 4 + width * (size_t)dim)
        return sc_error_set(err, SC_DATABASE,
                            "column '%s': a vector of %d dimensions in %d bytes (not the binary "
                            "form of %s)",
                            f->name, (int)dim, len, half_kind(f) ? "halfvec" : "vector");
    float *v = sc_arena_alloc(a, (size_t)(dim ? dim : 1) * sizeof *v);
    if (!v)
        return sc_error_set(err, SC_NO_MEMORY, "column '%s': out of memory", f->name);
    for (int32_t i = 0; i < dim; i++) {
        if (width == 2) {
            v[i] = from_half(get16(bytes + 4 + 2 * i));
        } else {
            uint32_t bits = get32(bytes + 4 + 4 * i);
            memcpy(&v[i], &bits, 4);
        }
    }
    dst->dim = dim;
    dst->v = v;
    return SC_OK;
}
