/* The result arena, and the harness itself: a real server is reachable
 * through DATABASE_URL and its strings land in the arena intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "schemac.h"

static void allocations_are_aligned_and_distinct(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(64);
    assert_non_null(a);
    char *prev = NULL;
    for (int i = 0; i < 1000; i++) {
        char *p = sc_arena_alloc(a, (size_t)(i % 97) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        assert_ptr_not_equal(p, prev);
        memset(p, 0xab, (size_t)(i % 97) + 1);
        prev = p;
    }
    sc_arena_reset(a);
    assert_non_null(sc_arena_alloc(a, 10));
    sc_arena_free(a);
    sc_arena_free(NULL);
}

static void oversized_request_fails_cleanly(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    assert_null(sc_arena_alloc(a, SIZE_MAX - 4));
    sc_arena_free(a);
}

static void server_text_copies_into_arena(void **state)
{
    (void)state;
    const char *url = getenv("DATABASE_URL");
    assert_non_null(url);
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, "SELECT 'schemac ' || current_setting('server_version_num')::int / 10000");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    sc_arena *a = sc_arena_new(0);
    char *s = sc_arena_strndup(a, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    assert_string_equal(s, "schemac 15");
    sc_arena_free(a);
}

static void status_names_cover_every_code(void **state)
{
    (void)state;
    assert_string_equal(sc_status_name(SC_OK), "SC_OK");
    assert_string_equal(sc_status_name(SC_DATABASE), "SC_DATABASE");
    assert_string_equal(sc_status_name(SC_NOT_RUN), "SC_NOT_RUN");
    assert_string_equal(sc_status_name(SC_READ_ONLY + 1), "SC_UNKNOWN_STATUS");
    for (int s = SC_OK; s <= SC_READ_ONLY; s++)
        assert_string_not_equal(sc_status_name(s), "SC_UNKNOWN_STATUS");
}

/* A reset keeps its blocks for the next round (up to 256 KiB of spares):
 * a request loop reaches a steady size instead of malloc'ing every time,
 * and one huge result does not pin its memory after the reset. */
static void reset_reuses_blocks_up_to_a_cap(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(4096);
    size_t steady = 0;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 20; i++)
            assert_non_null(sc_arena_alloc(a, 1000));
        if (round == 1)
            steady = sc_arena_bytes(a);
        if (round > 1)
            assert_int_equal(sc_arena_bytes(a), steady);
        sc_arena_reset(a);
    }
    for (int i = 0; i < 256; i++) /* 1 MiB in 4 KiB blocks */
        assert_non_null(sc_arena_alloc(a, 4000));
    assert_true(sc_arena_bytes(a) >= 1024 * 1000);
    sc_arena_reset(a);
    assert_true(sc_arena_bytes(a) <= 4096 + 256 * 1024);
    sc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocations_are_aligned_and_distinct),
        cmocka_unit_test(oversized_request_fails_cleanly),
        cmocka_unit_test(server_text_copies_into_arena),
        cmocka_unit_test(status_names_cover_every_code),
        cmocka_unit_test(reset_reuses_blocks_up_to_a_cap),
    };
    return cmocka_run_group_tests_name("runtime/arena", tests, NULL, NULL);
}
