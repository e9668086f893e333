/* sc_qdrant_*: the spec's own examples byte for byte, the staging timestamp
 * against the C library's gmtime_r, and every refusal: bad UUIDs, hostile
 * or oversized name parts, unknown quantizations, out-of-range times, NULL
 * arguments and short buffers, with a guard zone after `size` that must stay
 * untouched. No database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sc_qdrant.h"

#define SPEC_UUID "550e8400-e29b-41d4-a716-446655440000"
#define GUARD 0x5a
#define BUF 600

/* One call of any of the three builders, so that the buffer and refusal
 * checks below run over all of them. */
typedef struct call {
    int kind; /* 0 vector store, 1 per model, 2 staging */
    const char *a, *b, *c;
    time_t when;
} call;

static int run(const call *k, char *out, size_t size, sc_error *err)
{
    switch (k->kind) {
    case 0: return sc_qdrant_vector_store_name(k->a, out, size, err);
    case 1: return sc_qdrant_model_collection_name(k->a, k->b, k->c, out, size, err);
    default: return sc_qdrant_staging_name(k->a, k->when, out, size, err);
    }
}

/* Every byte from `from` to the end of the buffer still holds the guard. */
static void guard_intact(const char *buf, size_t from)
{
    for (size_t i = from; i < BUF; i++)
        if ((unsigned char)buf[i] != GUARD)
            fail_msg("byte %zu written (size was %zu)", i, from);
}

/* The call succeeds with `want`; so does it with exactly strlen+1 bytes; with
 * one byte less, or any smaller size, it is SC_MISUSE, out is empty and
 * nothing at or past `size` changed. */
static void expect_name(const call *k, const char *want)
{
    char buf[BUF];
    sc_error e = {0};
    size_t need = strlen(want) + 1;
    assert_true(need <= SC_QDRANT_NAME_SIZE);
    for (size_t size = 0; size <= need + 1; size++) {
        memset(buf, GUARD, sizeof buf);
        sc_error_clear(&e);
        int rc = run(k, size ? buf : NULL, size, &e);
        if (size < need) {
            assert_int_equal(rc, SC_MISUSE);
            assert_int_equal(e.category, SC_MISUSE);
            if (size > 0)
                assert_int_equal(buf[0], '\0');
            guard_intact(buf, size ? size : 0);
            if (size > 1)
                assert_non_null(strstr(e.message, "bytes"));
        } else {
            if (rc != SC_OK)
                fail_msg("size %zu: %s %s", size, sc_status_name(rc), e.message);
            assert_string_equal(buf, want);
            guard_intact(buf, need);
        }
    }
    /* The same through a NULL err, and with the recommended buffer. */
    char big[SC_QDRANT_NAME_SIZE];
    assert_int_equal(run(k, big, sizeof big, NULL), SC_OK);
    assert_string_equal(big, want);
    for (const char *p = big; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            fail_msg("'%c' in %s", *p, big);
}

/* Refused with `status`; out is empty, nothing past out[0] changed, and the
 * message names `what`. */
static void expect_refusal(const call *k, int status, const char *what)
{
    char buf[BUF];
    memset(buf, GUARD, sizeof buf);
    sc_error e = {0};
    int rc = run(k, buf, SC_QDRANT_NAME_SIZE, &e);
    if (rc != status)
        fail_msg("kind %d '%.60s' '%.60s' '%.60s': %s (%s), expected %s", k->kind,
                 k->a ? k->a : "(NULL)", k->b ? k->b : "(NULL)", k->c ? k->c : "(NULL)",
                 sc_status_name(rc), e.message, sc_status_name(status));
    assert_int_equal(e.category, status);
    assert_int_equal(buf[0], '\0');
    guard_intact(buf, 1);
    if (what && !strstr(e.message, what))
        fail_msg("message does not name %s: %s", what, e.message);
    /* No control characters leak into the message. */
    for (const char *p = e.message; *p; p++)
        assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    /* A NULL err is fine too. */
    assert_int_equal(run(k, buf, SC_QDRANT_NAME_SIZE, NULL), status);
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- the names ------------------------------------------------------------ */

static void spec_003_example_exactly(void **state)
{
    (void)state;
    call k = {1, SPEC_UUID, "qwen06b", "float16", 0};
    expect_name(&k, "550e8400-e29b-41d4-a716-446655440000_qwen06b_f16");
    /* Case does not matter on input; the name is lower-case. */
    call upper = {1, "550E8400-E29B-41D4-A716-446655440000", "Qwen06B", "float16", 0};
    expect_name(&upper, "550e8400-e29b-41d4-a716-446655440000_qwen06b_f16");
    call f32 = {1, SPEC_UUID, "bge-small", "float32", 0};
    expect_name(&f32, SPEC_UUID "_bge-small_f32");
    call i8 = {1, SPEC_UUID, "qwen06b", "int8", 0};
    expect_name(&i8, SPEC_UUID "_qwen06b_i8");
}

static void quantization_suffixes(void **state)
{
    (void)state;
    assert_string_equal(sc_qdrant_quantization_suffix("float32"), "f32");
    assert_string_equal(sc_qdrant_quantization_suffix("float16"), "f16");
    assert_string_equal(sc_qdrant_quantization_suffix("int8"), "i8");
    static const char *const unknown[] = {"", "f16", "FLOAT16", "Float16", "float16 ",
                                          " float16", "float64", "int4", "bfloat16",
                                          "binary", "float1", "float160"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_null(sc_qdrant_quantization_suffix(unknown[i]));
    assert_null(sc_qdrant_quantization_suffix(NULL));
}

static void spec_002_vector_store_name(void **state)
{
    (void)state;
    call k = {0, SPEC_UUID, NULL, NULL, 0};
    expect_name(&k, "col_550e8400_e29b_41d4_a716_446655440000");
    call mixed = {0, "550E8400-e29B-41D4-a716-44665544AbCd", NULL, NULL, 0};
    expect_name(&mixed, "col_550e8400_e29b_41d4_a716_44665544abcd");
}

static void staging_names(void **state)
{
    (void)state;
    /* 2024-01-15T14:30:00Z */
    call k = {2, "col_550e8400_e29b_41d4_a716_446655440000", NULL, NULL, (time_t)1705329000};
    expect_name(&k, "staging_col_550e8400_e29b_41d4_a716_446655440000_20240115_143000");
    call model = {2, SPEC_UUID "_qwen06b_f16", NULL, NULL, (time_t)1705329000};
    expect_name(&model, "staging_" SPEC_UUID "_qwen06b_f16_20240115_143000");
    static const struct {
        int64_t t;
        const char *stamp;
    } times[] = {
        {0, "19700101_000000"},
        {59, "19700101_000059"},
        {86399, "19700101_235959"},
        {951782400, "20000229_000000"},  /* a leap day of a year divisible by 400 */
        {1709251199, "20240229_235959"}, /* the last second of a leap day */
        {1709251200, "20240301_000000"},
        {4107542400, "21000301_000000"}, /* 2100 is not a leap year */
        {INT64_C(253402300799), "99991231_235959"},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "staging_b_%s", times[i].stamp);
        call t = {2, "b", NULL, NULL, (time_t)times[i].t};
        expect_name(&t, want);
    }
    /* The base is kept as given, capitals included. */
    call caps = {2, "Col-A_b", NULL, NULL, 0};
    expect_name(&caps, "staging_Col-A_b_19700101_000000");
}

/* The hand-written calendar agrees with the C library on 200,000 times
 * spread over the whole range (fixed-seed, so a failure reproduces). */
static void staging_timestamp_matches_gmtime(void **state)
{
    (void)state;
    uint64_t x = 0x243f6a8885a308d3ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        time_t t = (time_t)(x % (UINT64_C(253402300799) + 1));
        if (i < 100000)
            t = (time_t)(x % UINT64_C(4102444800)); /* dense before 2100 */
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        char want[64], got[SC_QDRANT_NAME_SIZE];
        size_t n = strftime(want, sizeof want, "staging_x_%Y%m%d_%H%M%S", &tm);
        assert_true(n > 0);
        sc_error e = {0};
        assert_int_equal(sc_qdrant_staging_name("x", t, got, sizeof got, &e), SC_OK);
        if (strcmp(got, want) != 0)
            fail_msg("t=%lld: %s, gmtime says %s", (long long)t, got, want);
    }
}

/* ---- refusals --------------------------------------------------------------- */

static void bad_uuids_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "not-a-uuid",
        "550e8400-e29b-41d4-a716-44665544000",   /* 35 characters */
        "550e8400-e29b-41d4-a716-4466554400000", /* 37 */
        "550e8400e29b41d4a716446655440000",      /* no hyphens */
        "{550e8400-e29b-41d4-a716-446655440000}",
        "550e8400-e29b-41d4-a716-44665544000g",
        "550e8400_e29b_41d4_a716_446655440000",
        "550e840-0e29b-41d4-a716-446655440000",  /* hyphen misplaced */
        "550e8400-e29b-11d4-a716-446655440000",  /* version 1 */
        "550e8400-e29b-41d4-c716-446655440000",  /* not the RFC 4122 variant */
        "550e8400-e29b-41d4-a716-446655440000\n",
        " 550e8400-e29b-41d4-a716-446655440000",
        "550e8400-e29b-41d4-a716-44665544000\xc3\xa9",
        "../../550e8400-e29b-41d4-a716-44665544",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call v = {0, bad[i], NULL, NULL, 0};
        expect_refusal(&v, SC_INVALID_INPUT, "collection_id");
        call m = {1, bad[i], "qwen06b", "float16", 0};
        expect_refusal(&m, SC_INVALID_INPUT, "collection_id");
    }
    char *long_id = repeat('a', 100000);
    call v = {0, long_id, NULL, NULL, 0};
    expect_refusal(&v, SC_INVALID_INPUT, "collection_id");
    free(long_id);
    call vnull = {0, NULL, NULL, NULL, 0};
    expect_refusal(&vnull, SC_INVALID_INPUT, "collection_id is NULL");
    call mnull = {1, NULL, "qwen06b", "float16", 0};
    expect_refusal(&mnull, SC_INVALID_INPUT, "collection_id is NULL");
}

static void hostile_model_names_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",           "qwen/06b",   "../qwen",   "qwen 06b", " qwen",     "qwen\t",
        "qwen\n06b",  "qwen_06b",   "qwen:06b",  "qwen.06b", "qwen*",     "qwen?",
        "qwen|x",     "qwen\\x",    "qwen\"x",   "qwen<x>",  "qwen%2F06b", "qwen#1",
        "qwen&x=1",   "qw\x1f" "en", "qw\x7f" "en", "qw\xc3\xa9n", "Qwen/Qwen3-Embedding-0.6B",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call m = {1, SPEC_UUID, bad[i], "float16", 0};
        expect_refusal(&m, SC_INVALID_INPUT, "model_short");
    }
    call mnull = {1, SPEC_UUID, NULL, "float16", 0};
    expect_refusal(&mnull, SC_INVALID_INPUT, "model_short is NULL");
    /* Hostile bytes are never copied into the message as they are. */
    call nl = {1, SPEC_UUID, "a\nERROR forged", "float16", 0};
    expect_refusal(&nl, SC_INVALID_INPUT, "0x0a");
}

static void unknown_quantizations_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "f16", "FLOAT16", "float16 ", "float64", "int4",
                                      "float16/../x", "binary"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call m = {1, SPEC_UUID, "qwen06b", bad[i], 0};
        expect_refusal(&m, SC_INVALID_INPUT, "quantization");
    }
    call mnull = {1, SPEC_UUID, "qwen06b", NULL, 0};
    expect_refusal(&mnull, SC_INVALID_INPUT, "quantization");
}

/* 255 bytes is the limit: the longest model name that fits is accepted,
 * one byte more is refused, and so is any very long input. */
static void names_longer_than_qdrant_allows_are_refused(void **state)
{
    (void)state;
    /* 36 + 1 + m + 1 + 3 = 255 for f16. */
    char *m214 = repeat('m', 214), *m215 = repeat('m', 215);
    char want[SC_QDRANT_NAME_SIZE];
    snprintf(want, sizeof want, "%s_%s_f16", SPEC_UUID, m214);
    assert_int_equal(strlen(want), 255);
    call ok = {1, SPEC_UUID, m214, "float16", 0};
    expect_name(&ok, want);
    call over = {1, SPEC_UUID, m215, "float16", 0};
    expect_refusal(&over, SC_INVALID_INPUT, "255");
    call i8 = {1, SPEC_UUID, m215, "int8", 0}; /* a shorter suffix leaves one byte more */
    snprintf(want, sizeof want, "%s_%s_i8", SPEC_UUID, m215);
    expect_name(&i8, want);
    free(m214);
    free(m215);

    /* staging_ + base + _YYYYMMDD_HHMMSS = base + 24 bytes. */
    char *b231 = repeat('b', 231), *b232 = repeat('b', 232);
    snprintf(want, sizeof want, "staging_%s_19700101_000000", b231);
    assert_int_equal(strlen(want), 255);
    call sok = {2, b231, NULL, NULL, 0};
    expect_name(&sok, want);
    call sover = {2, b232, NULL, NULL, 0};
    expect_refusal(&sover, SC_INVALID_INPUT, "255");
    free(b231);
    free(b232);

    /* Very long inputs (no NUL for a long way) are refused by length. */
    static const size_t lens[] = {255, 256, 4096, 1000000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char *s = repeat('z', lens[i]);
        call m = {1, SPEC_UUID, s, "float16", 0};
        expect_refusal(&m, SC_INVALID_INPUT, lens[i] > 255 ? "model_short" : "255");
        call st = {2, s, NULL, NULL, 0};
        expect_refusal(&st, SC_INVALID_INPUT, lens[i] > 255 ? "base_name" : "255");
        free(s);
    }
}

static void bad_staging_bases_and_times_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "a/b", "a b", "a.b", "..", "a:b", "a\nb",
                                      "a*", "col_\xc3\xa9", "a%2Fb", "a\\b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call s = {2, bad[i], NULL, NULL, 1705329000};
        expect_refusal(&s, SC_INVALID_INPUT, "base_name");
    }
    call snull = {2, NULL, NULL, NULL, 0};
    expect_refusal(&snull, SC_INVALID_INPUT, "base_name is NULL");
    call before = {2, "b", NULL, NULL, (time_t)-1};
    expect_refusal(&before, SC_INVALID_INPUT, "when");
    call after = {2, "b", NULL, NULL, (time_t)INT64_C(253402300800)};
    expect_refusal(&after, SC_INVALID_INPUT, "when");
}

/* NULL out or size 0 is SC_MISUSE, whatever the other arguments, and
 * writes nothing. */
static void null_out_and_zero_size_are_misuse(void **state)
{
    (void)state;
    const call calls[] = {
        {0, SPEC_UUID, NULL, NULL, 0},
        {1, SPEC_UUID, "qwen06b", "float16", 0},
        {2, "col_x", NULL, NULL, 0},
        {0, NULL, NULL, NULL, 0},
        {1, "bad", "a/b", "zzz", 0},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        sc_error e = {0};
        assert_int_equal(run(&calls[i], NULL, 64, &e), SC_MISUSE);
        assert_int_equal(e.category, SC_MISUSE);
        char buf[BUF];
        memset(buf, GUARD, sizeof buf);
        sc_error_clear(&e);
        assert_int_equal(run(&calls[i], buf, 0, &e), SC_MISUSE);
        guard_intact(buf, 0);
        assert_int_equal(run(&calls[i], NULL, 0, NULL), SC_MISUSE);
    }
}

/* The first error set on err wins, as everywhere in the runtime. */
static void an_earlier_error_is_kept(void **state)
{
    (void)state;
    sc_error e = {0};
    sc_error_set(&e, SC_CONFLICT, "earlier");
    char buf[SC_QDRANT_NAME_SIZE];
    assert_int_equal(sc_qdrant_vector_store_name("bad", buf, sizeof buf, &e), SC_INVALID_INPUT);
    assert_int_equal(e.category, SC_CONFLICT);
    assert_string_equal(e.message, "earlier");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_003_example_exactly),
        cmocka_unit_test(quantization_suffixes),
        cmocka_unit_test(spec_002_vector_store_name),
        cmocka_unit_test(staging_names),
        cmocka_unit_test(staging_timestamp_matches_gmtime),
        cmocka_unit_test(bad_uuids_are_refused),
        cmocka_unit_test(hostile_model_names_are_refused),
        cmocka_unit_test(unknown_quantizations_are_refused),
        cmocka_unit_test(names_longer_than_qdrant_allows_are_refused),
        cmocka_unit_test(bad_staging_bases_and_times_are_refused),
        cmocka_unit_test(null_out_and_zero_size_are_misuse),
        cmocka_unit_test(an_earlier_error_is_kept),
    };
    return cmocka_run_group_tests_name("runtime qdrant", tests, NULL, NULL);
}
