/* sc_hashtext / sc_partition_key against the real server: every string is
 * hashed in C and by PostgreSQL 15 (hashtext(x), abs(hashtext(x)::bigint) % m),
 * and every value must match, string by string. Strings come from a fixed-seed
 * PRNG so a failure reproduces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "sc_hashtext.h"

#define BATCH 2000

/* ---- fixed-seed PRNG (splitmix64) ---------------------------------------- */

static uint64_t rng_state;

static void rng_seed(uint64_t seed) { rng_state = seed; }

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint32_t rng_range(uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(rng_next() % ((uint64_t)hi - lo + 1));
}

/* ---- string sets ----------------------------------------------------------- */

typedef struct {
    char **s;
    size_t *len;
    size_t n, cap;
} strset;

static void set_add(strset *set, const char *s, size_t len)
{
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 256;
        set->s = realloc(set->s, set->cap * sizeof *set->s);
        set->len = realloc(set->len, set->cap * sizeof *set->len);
        assert_non_null(set->s);
        assert_non_null(set->len);
    }
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    set->s[set->n] = copy;
    set->len[set->n] = len;
    set->n++;
}

static void set_free(strset *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->s[i]);
    free(set->s);
    free(set->len);
    memset(set, 0, sizeof *set);
}

/* Lowercase UUID v4 text, 36 chars plus NUL. */
static void uuid_v4(char out[37])
{
    unsigned char b[16];
    uint64_t hi = rng_next(), lo = rng_next();
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (8 * i));
        b[8 + i] = (unsigned char)(lo >> (8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10xx */
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

/* Encodes code point cp (valid, not a surrogate) as UTF-8; returns its width. */
static size_t utf8_put(unsigned char *p, uint32_t cp)
{
    if (cp < 0x80) {
        p[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (unsigned char)(0xc0 | (cp >> 6));
        p[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (unsigned char)(0xe0 | (cp >> 12));
        p[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        p[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    p[0] = (unsigned char)(0xf0 | (cp >> 18));
    p[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    p[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    p[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A random code point whose UTF-8 form is `width` bytes (no NUL, no
 * surrogates: text cannot hold either). */
static uint32_t random_cp(int width)
{
    switch (width) {
    case 1: return rng_range(0x01, 0x7f);
    case 2: return rng_range(0x80, 0x7ff);
    case 3: {
        uint32_t cp;
        do
            cp = rng_range(0x800, 0xffff);
        while (cp >= 0xd800 && cp <= 0xdfff);
        return cp;
    }
    default: return rng_range(0x10000, 0x10ffff);
    }
}

/* Valid UTF-8 of exactly `bytes` bytes; when bytes >= 2 the first character
 * is multibyte. widths[w] counts characters of each width. */
static size_t random_utf8(unsigned char *out, size_t bytes, size_t widths[5])
{
    size_t n = 0;
    while (n < bytes) {
        size_t room = bytes - n;
        int maxw = room < 4 ? (int)room : 4;
        int w = (n == 0 && maxw >= 2) ? (int)rng_range(2, (uint32_t)maxw)
                                      : (int)rng_range(1, (uint32_t)maxw);
        size_t got = utf8_put(out + n, random_cp(w));
        assert_int_equal(got, (size_t)w);
        widths[w]++;
        n += got;
    }
    return n;
}

/* ---- server comparison ------------------------------------------------------ */

/* printable form of a test string for failure messages */
static void show(const char *s, size_t len, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            buf[o++] = (char)ch;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
    }
    buf[o] = '\0';
}

/* Array literal {"a","b",...}: every element quoted, " and \ escaped. */
static char *array_literal(char **s, const size_t *len, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 2 * len[i] + 3;
    char *lit = malloc(cap);
    assert_non_null(lit);
    char *p = lit;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (size_t j = 0; j < len[i]; j++) {
            if (s[i][j] == '"' || s[i][j] == '\\')
                *p++ = '\\';
            *p++ = s[i][j];
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return lit;
}

static const char *COMPARE_SQL =
    "SELECT x, hashtext(x), abs(hashtext(x)::bigint) % 100,"
    "       abs(hashtext(x)::bigint) % 7, abs(hashtext(x)::bigint) % 2147483647"
    "  FROM unnest($1::text[]) WITH ORDINALITY AS t(x, i) ORDER BY i";

static const int32_t MODULI[] = {100, 7, 2147483647};

/* Sends the set in batches and asserts, string by string, that the server
 * received the same bytes and computes the same hash and keys. Stops at the
 * first mismatch and names it. Returns the number of strings compared. */
static size_t compare_with_server(PGconn *c, const strset *set, const char *what)
{
    size_t compared = 0;
    for (size_t start = 0; start < set->n; start += BATCH) {
        size_t n = set->n - start < BATCH ? set->n - start : BATCH;
        char *lit = array_literal(set->s + start, set->len + start, n);
        const char *params[1] = {lit};
        PGresult *r = PQexecParams(c, COMPARE_SQL, 1, NULL, params, NULL, NULL, 0);
        free(lit);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            print_error("%s: query failed: %s", what, PQerrorMessage(c));
            PQclear(r);
            fail();
        }
        assert_int_equal(PQntuples(r), (int)n);
        for (size_t i = 0; i < n; i++) {
            const char *s = set->s[start + i];
            size_t len = set->len[start + i];
            int row = (int)i;
            char shown[600];
            show(s, len, shown, sizeof shown);

            if ((size_t)PQgetlength(r, row, 0) != len ||
                memcmp(PQgetvalue(r, row, 0), s, len) != 0) {
                print_error("%s #%zu: server received different bytes for \"%s\"\n",
                            what, start + i, shown);
                PQclear(r);
                fail();
            }
            long long srv_hash = strtoll(PQgetvalue(r, row, 1), NULL, 10);
            int32_t mine = sc_hashtext(s, len);
            if (srv_hash != (long long)mine) {
                print_error("%s #%zu: first mismatch \"%s\" (%zu bytes): "
                            "sc_hashtext %d, server hashtext %lld\n",
                            what, start + i, shown, len, (int)mine, srv_hash);
                PQclear(r);
                fail();
            }
            for (int m = 0; m < 3; m++) {
                long long srv_key = strtoll(PQgetvalue(r, row, 2 + m), NULL, 10);
                int32_t key = sc_partition_key(s, len, MODULI[m]);
                if (srv_key != (long long)key) {
                    print_error("%s #%zu: first mismatch \"%s\": sc_partition_key(%d) "
                                "%d, server %lld\n",
                                what, start + i, shown, (int)MODULI[m], (int)key, srv_key);
                    PQclear(r);
                    fail();
                }
            }
            compared++;
        }
        PQclear(r);
    }
    assert_int_equal(compared, set->n);
    print_message("[          ] %s: %zu strings equal to the server\n", what, compared);
    return compared;
}

/* ---- fixture ------------------------------------------------------------------ */

static int connect_server(void **state)
{
    const char *url = getenv("DATABASE_URL");
    if (!url) {
        fprintf(stderr, "DATABASE_URL is not set\n");
        return -1;
    }
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    if (PQsetClientEncoding(c, "UTF8") != 0) {
        PQfinish(c);
        return -1;
    }
    *state = c;
    return 0;
}

static int disconnect_server(void **state)
{
    PQfinish(*state);
    return 0;
}

/* ---- tests ----------------------------------------------------------------------- */

/* hashtext hashes the stored bytes, so the claim is about UTF8 databases. */
static void server_is_pg15_utf8(void **state)
{
    PGconn *c = *state;
    PGresult *r = PQexec(c, "SELECT current_setting('server_encoding'),"
                            "       current_setting('server_version_num')::int / 10000");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "UTF8");
    assert_string_equal(PQgetvalue(r, 0, 1), "15");
    PQclear(r);
}

static void uuid_v4_strings_match_server(void **state)
{
    strset set = {0};
    rng_seed(0x5eed0001u);
    char u[37];
    for (int i = 0; i < 10000; i++) {
        uuid_v4(u);
        assert_int_equal(strlen(u), 36);
        assert_int_equal(u[14], '4');
        set_add(&set, u, 36);
    }
    assert_int_equal(compare_with_server(*state, &set, "uuid v4"), 10000);
    set_free(&set);
}

static void multibyte_utf8_strings_match_server(void **state)
{
    strset set = {0};
    size_t widths[5] = {0};
    size_t multibyte = 0;
    unsigned char buf[64];
    rng_seed(0x5eed0002u);
    /* Every byte length 0..64, i.e. every lookup3 tail length 0..11 after
     * 0..5 full 12-byte blocks, 40 strings each. */
    for (size_t bytes = 0; bytes <= 64; bytes++) {
        for (int k = 0; k < 40; k++) {
            size_t before = widths[2] + widths[3] + widths[4];
            size_t n = random_utf8(buf, bytes, widths);
            assert_int_equal(n, bytes);
            if (widths[2] + widths[3] + widths[4] > before)
                multibyte++;
            set_add(&set, (const char *)buf, n);
        }
    }
    assert_true(multibyte >= 2000);
    assert_true(widths[2] > 1000 && widths[3] > 1000 && widths[4] > 1000);
    print_message("[          ] utf8: %zu strings with multibyte characters "
                  "(%zu 2-byte, %zu 3-byte, %zu 4-byte chars)\n",
                  multibyte, widths[2], widths[3], widths[4]);
    assert_int_equal(compare_with_server(*state, &set, "utf8 0..64 bytes"), set.n);
    set_free(&set);
}

static void empty_and_ascii_lengths_match_server(void **state)
{
    strset set = {0};
    char buf[41];
    rng_seed(0x5eed0003u);
    set_add(&set, "", 0);
    for (size_t len = 1; len <= 40; len++) {
        for (int k = 0; k < 5; k++) {
            /* printable ASCII, including space, '"' and '\\' */
            for (size_t i = 0; i < len; i++)
                buf[i] = (char)rng_range(0x20, 0x7e);
            set_add(&set, buf, len);
        }
        /* plus control characters (everything but NUL) */
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)rng_range(0x01, 0x7f);
        set_add(&set, buf, len);
    }
    /* one string holding every non-NUL ASCII byte */
    char all[127];
    for (int i = 0; i < 127; i++)
        all[i] = (char)(i + 1);
    set_add(&set, all, sizeof all);
    assert_int_equal(compare_with_server(*state, &set, "empty + ascii 1..40"), 1 + 40 * 6 + 1);
    set_free(&set);
}

static void int_min_string_matches_server(void **state)
{
    PGconn *c = *state;
    const char *s = "B7V3LXmFOyCa";
    assert_int_equal(sc_hashtext(s, 12), INT32_MIN);
    int32_t key = sc_partition_key(s, 12, 100);
    assert_int_equal(key, 48); /* 2147483648 % 100 */

    const char *params[1] = {s};
    PGresult *r = PQexecParams(c,
        "SELECT hashtext($1::text), abs(hashtext($1::text)::bigint) % 100",
        1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "-2147483648");
    assert_int_equal(strtol(PQgetvalue(r, 0, 1), NULL, 10), key);
    PQclear(r);
}

/* Why the key is abs(hashtext(x)::bigint) % 100: the int4 form overflows. */
static void naive_int4_abs_overflows_on_server(void **state)
{
    PGconn *c = *state;
    const char *params[1] = {"B7V3LXmFOyCa"};
    PGresult *r = PQexecParams(c, "SELECT abs(hashtext($1::text)) % 100",
                               1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    const char *sqlstate = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    assert_non_null(sqlstate);
    assert_string_equal(sqlstate, "22003"); /* numeric_value_out_of_range */
    assert_non_null(strstr(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
                           "integer out of range"));
    PQclear(r);

    /* and it is that string alone: a neighbour works in both forms */
    params[0] = "B7V3LXmFOyCb";
    r = PQexecParams(c, "SELECT abs(hashtext($1::text)) % 100 = abs(hashtext($1::text)::bigint) % 100",
                     1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
}

/* Local properties: alignment never matters, modulus edge cases. */
static void alignment_and_modulus_edges(void **state)
{
    (void)state;
    char buf[80 + 8];
    rng_seed(0x5eed0004u);
    for (size_t len = 0; len <= 80; len++) {
        char ref[80];
        for (size_t i = 0; i < len; i++)
            ref[i] = (char)rng_range(0x01, 0xff);
        int32_t h = sc_hashtext(ref, len);
        for (size_t off = 0; off < 8; off++) {
            memcpy(buf + off, ref, len);
            assert_int_equal(sc_hashtext(buf + off, len), h);
        }
    }
    assert_int_equal(sc_hashtext(NULL, 0), sc_hashtext("", 0));
    const char *s = "B7V3LXmFOyCa";
    assert_int_equal(sc_partition_key(s, 12, 0), -1);
    assert_int_equal(sc_partition_key(s, 12, 1), 0);
    assert_int_equal(sc_partition_key(s, 12, -100), 48);
    assert_int_equal(sc_partition_key(s, 12, INT32_MIN), 0);
    assert_int_equal(sc_partition_key(s, 12, INT32_MAX), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(server_is_pg15_utf8),
        cmocka_unit_test(uuid_v4_strings_match_server),
        cmocka_unit_test(multibyte_utf8_strings_match_server),
        cmocka_unit_test(empty_and_ascii_lengths_match_server),
        cmocka_unit_test(int_min_string_matches_server),
        cmocka_unit_test(naive_int4_abs_overflows_on_server),
        cmocka_unit_test(alignment_and_modulus_edges),
    };
    return cmocka_run_group_tests_name("runtime/hashtext", tests, connect_server,
                                       disconnect_server);
}
