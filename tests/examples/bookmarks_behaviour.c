/* What examples/bookmarks.yaml promises its users, through its generated
 * layer (examples/bookmarks/) on a database migrated by its own migrations
 * (argv[1]: the conninfo): the search follows the trigger, nearest answers
 * nearest first and refuses a wrong dimension, a highlight can never point
 * at another user's bookmark, summaries are numbered per bookmark, and a
 * user's removal takes their rows with it. Built and run by
 * tests/generator/test_example_bookmarks.c (the vector tier). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bk_bookmarks.h"
#include "bk_highlights.h"
#include "bk_summaries.h"
#include "bk_users.h"

static const char *conninfo;
static sc_pool *pool;
static sc_conn *conn;
static sc_arena *arena;

static int setup(void **state)
{
    (void)state;
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = conninfo;
    cfg.pool_size = 1;
    sc_error err = {0};
    if (sc_pool_open(&cfg, &pool, &err) != SC_OK || sc_pool_acquire(pool, &conn, &err) != SC_OK)
        return -1;
    arena = sc_arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sc_pool_release(pool, conn);
    sc_arena_free(arena);
    return sc_pool_close(pool);
}

static int64_t user(const char *email)
{
    bk_user_new in = {.email = email};
    bk_user out;
    sc_error err = {0};
    assert_int_equal(bk_users_create(conn, arena, &in, &out, &err), SC_OK);
    return out.id;
}

static int64_t bookmark(int64_t uid, const char *url, const char *meta_json, const float *v)
{
    bk_bookmark_new in = {.user_id = uid, .url = url};
    in.meta = meta_json ? json_loads(meta_json, 0, NULL) : NULL;
    if (v)
        in.embedding = (sc_vector){3, v};
    bk_bookmark out;
    sc_error err = {0};
    assert_int_equal(bk_bookmarks_create(conn, arena, &in, &out, &err), SC_OK);
    json_decref(in.meta);
    return out.id;
}

static size_t search(int64_t uid, const char *words, bk_bookmark **rows)
{
    size_t n = 0;
    sc_error err = {0};
    assert_int_equal(bk_bookmarks_search(conn, arena, uid, words, 10, rows, &n, &err), SC_OK);
    return n;
}

static void search_follows_the_trigger(void **state)
{
    (void)state;
    int64_t ann = user("ann@search.example");
    int64_t id = bookmark(ann, "https://a.example/pg",
                          "{\"title\": \"Postgres internals\", \"tags\": [\"databases\"]}", NULL);
    bk_bookmark *rows;
    assert_int_equal(search(ann, "postgres", &rows), 1);
    assert_int_equal(rows[0].id, id);
    assert_int_equal(search(ann, "databases", &rows), 1); /* a tag */
    bk_bookmark_patch p = {.set_meta = true, .meta = json_pack("{s:s}", "title", "Gardening")};
    bk_bookmark out;
    sc_error err = {0};
    assert_int_equal(bk_bookmarks_update(conn, arena, id, ann, &p, &out, &err), SC_OK);
    json_decref(p.meta);
    assert_int_equal(search(ann, "postgres", &rows), 0);
    assert_int_equal(search(ann, "gardening", &rows), 1);
    /* hostile words are words, never syntax */
    assert_int_equal(search(ann, "'); DROP TABLE bookmarks; --", &rows), 0);
}

static void nearest_first_and_dimension_checked(void **state)
{
    (void)state;
    int64_t ann = user("ann@nearest.example"), bob = user("bob@nearest.example");
    static const float east[] = {1, 0, 0}, north[] = {0, 1, 0}, ne[] = {1, 1, 0};
    int64_t e = bookmark(ann, "https://a.example/e", NULL, east);
    bookmark(ann, "https://a.example/n", NULL, north);
    int64_t x = bookmark(ann, "https://a.example/ne", NULL, ne);
    bookmark(bob, "https://b.example/e", NULL, east);
    static const float q[] = {1, 0.1f, 0};
    sc_vector qv = {3, q};
    bk_bookmark *rows;
    size_t n = 0;
    sc_error err = {0};
    assert_int_equal(bk_bookmarks_nearest(conn, arena, ann, &qv, 2, &rows, &n, &err), SC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, e);
    assert_int_equal(rows[1].id, x);
    assert_int_equal(rows[0].embedding.dim, 3);
    assert_true(rows[0].embedding.v[0] == 1.0f);
    sc_vector wrong = {2, q};
    assert_int_equal(bk_bookmarks_nearest(conn, arena, ann, &wrong, 2, &rows, &n, &err),
                     SC_INVALID_INPUT);
    assert_non_null(strstr(err.message, "expects 3"));
}

static void highlights_never_cross_users(void **state)
{
    (void)state;
    int64_t ann = user("ann@hl.example"), bob = user("bob@hl.example");
    int64_t mine = bookmark(ann, "https://a.example/hl", NULL, NULL);
    bk_highlight_new in = {.bookmark_id = mine, .user_id = bob, .quote = "not yours"};
    bk_highlight out;
    sc_error err = {0};
    assert_int_equal(bk_highlights_create(conn, arena, &in, &out, &err), SC_FOREIGN_KEY);
    sc_error_clear(&err);
    in.user_id = ann;
    assert_int_equal(bk_highlights_create(conn, arena, &in, &out, &err), SC_OK);
}

static void summaries_are_numbered_per_bookmark(void **state)
{
    (void)state;
    int64_t ann = user("ann@sum.example"), bob = user("bob@sum.example");
    int64_t one = bookmark(ann, "https://a.example/s1", NULL, NULL);
    int64_t two = bookmark(ann, "https://a.example/s2", NULL, NULL);
    sc_error err = {0};
    bk_summary out;
    for (int i = 1; i <= 3; i++) {
        bk_summary_new in = {.bookmark_id = one, .user_id = ann, .model = "m", .body = "b"};
        assert_int_equal(bk_summaries_create(conn, arena, &in, &out, &err), SC_OK);
        assert_int_equal(out.version, i);
    }
    bk_summary_new other = {.bookmark_id = two, .user_id = ann, .model = "m", .body = "b"};
    assert_int_equal(bk_summaries_create(conn, arena, &other, &out, &err), SC_OK);
    assert_int_equal(out.version, 1);
    assert_int_equal(bk_summaries_latest(conn, arena, ann, one, &out, &err), SC_OK);
    assert_int_equal(out.version, 3);
    /* another user's bookmark: nothing to number */
    bk_summary_new stranger = {.bookmark_id = one, .user_id = bob, .model = "m", .body = "b"};
    assert_int_equal(bk_summaries_create(conn, arena, &stranger, &out, &err), SC_NOT_FOUND);
}

static void removing_a_user_takes_their_rows(void **state)
{
    (void)state;
    int64_t ann = user("ann@gone.example");
    int64_t b = bookmark(ann, "https://a.example/gone", "{\"title\": \"x\"}", NULL);
    sc_error err = {0};
    assert_int_equal(bk_users_delete(conn, ann, &err), SC_OK);
    bk_bookmark out;
    assert_int_equal(bk_bookmarks_get(conn, arena, b, ann, &out, &err), SC_NOT_FOUND);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CONNINFO\n", argv[0]);
        return 2;
    }
    conninfo = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_follows_the_trigger),
        cmocka_unit_test(nearest_first_and_dimension_checked),
        cmocka_unit_test(highlights_never_cross_users),
        cmocka_unit_test(summaries_are_numbered_per_bookmark),
        cmocka_unit_test(removing_a_user_takes_their_rows),
    };
    return cmocka_run_group_tests_name("bookmarks", tests, setup, teardown);
}
