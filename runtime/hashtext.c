/* Client-side PostgreSQL 15 hashtext(): lookup3 hash_bytes() as in
 * src/common/hashfn.c, little-endian variant. See sc_hashtext.h.
 *
 * On a little-endian server hash_bytes() has two paths, aligned (whole
 * uint32 loads) and unaligned (bytes assembled little-endian); both feed the
 * same values into a, b and c. Here every word is assembled from bytes, which
 * is that result on any host byte order, without unaligned loads. */
#include "sc_hashtext.h"

#include <stdint.h>

static inline uint32_t rot32(uint32_t x, unsigned k)
{
    return (x << k) | (x >> (32u - k));
}

static inline uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

#define SC_MIX(a, b, c)                              \
    do {                                             \
        a -= c; a ^= rot32(c, 4);  c += b;           \
        b -= a; b ^= rot32(a, 6);  a += c;           \
        c -= b; c ^= rot32(b, 8);  b += a;           \
        a -= c; a ^= rot32(c, 16); c += b;           \
        b -= a; b ^= rot32(a, 19); a += c;           \
        c -= b; c ^= rot32(b, 4);  b += a;           \
    } while (0)

#define SC_FINAL(a, b, c)                            \
    do {                                             \
        c ^= b; c -= rot32(b, 14);                   \
        a ^= c; a -= rot32(c, 11);                   \
        b ^= a; b -= rot32(a, 25);                   \
        c ^= b; c -= rot32(b, 16);                   \
        a ^= c; a -= rot32(c, 4);                    \
        b ^= a; b -= rot32(a, 14);                   \
        c ^= b; c -= rot32(b, 24);                   \
    } while (0)

static uint32_t hash_bytes_le(const unsigned char *k, size_t len)
{
    /* The server passes the length as int; text is at most 1 GB. */
    uint32_t a, b, c;
    a = b = c = 0x9e3779b9u + (uint32_t)len + 3923095u;

    while (len >= 12) {
        a += le32(k);
        b += le32(k + 4);
        c += le32(k + 8);
        SC_MIX(a, b, c);
        k += 12;
        len -= 12;
    }

    /* The last 0..11 bytes; the lowest byte of c is left alone (lookup3
     * reserves it for the length, which PostgreSQL folds into the seed). */
    switch (len) {
    case 11: c += (uint32_t)k[10] << 24; /* fall through */
    case 10: c += (uint32_t)k[9] << 16;  /* fall through */
    case 9:  c += (uint32_t)k[8] << 8;   /* fall through */
    case 8:  b += (uint32_t)k[7] << 24;  /* fall through */
    case 7:  b += (uint32_t)k[6] << 16;  /* fall through */
    case 6:  b += (uint32_t)k[5] << 8;   /* fall through */
    case 5:  b += k[4];                  /* fall through */
    case 4:  a += (uint32_t)k[3] << 24;  /* fall through */
    case 3:  a += (uint32_t)k[2] << 16;  /* fall through */
    case 2:  a += (uint32_t)k[1] << 8;   /* fall through */
    case 1:  a += k[0];                  /* fall through */
    default: break;
    }

    SC_FINAL(a, b, c);
    return c;
}

int32_t sc_hashtext(const char *s, size_t len)
{
    static const unsigned char empty[1] = {0};
    uint32_t h = hash_bytes_le(len ? (const unsigned char *)s : empty, len);
    /* int4 reinterpretation of the uint32, without implementation-defined
     * conversion of out-of-range values. */
    return h <= (uint32_t)INT32_MAX ? (int32_t)h
                                    : (int32_t)(h - 0x80000000u) + INT32_MIN;
}

int32_t sc_partition_key(const char *s, size_t len, int32_t modulus)
{
    if (modulus == 0)
        return -1;
    int64_t h = sc_hashtext(s, len);
    int64_t m = modulus;
    if (h < 0)
        h = -h; /* in int64, INT32_MIN becomes 2147483648 */
    if (m < 0)
        m = -m;
    return (int32_t)(h % m);
}
