/* Keyset pages of the generated layer (list_for_user_keyset): a client
 * paging through while other writers insert sees every collection that was
 * there exactly once, where OFFSET pages repeat one; cursors are opaque,
 * checked, and can be made from a remembered row. */
#include "gen_helpers.h"

#include "sm_collection_audit_log.h"
#include "sm_collections.h"
#include "sm_users.h"

enum { START = 25, PAGE = 10 };

static gen_db *db;
static int32_t owner;
static int made;

static void ok(int rc, const sc_error *err, const char *what)
{
    if (rc != SC_OK)
        fail_msg("%s -> %s: %s", what, sc_status_name(rc), err->message);
}

/* Collection number i, created i seconds after a fixed instant. */
static void make_collection(int i)
{
    char id[40], name[40], store[40];
    snprintf(id, sizeof id, "7c2e0000-0000-4000-8000-%012d", i);
    snprintf(name, sizeof name, "keyset-%d", i);
    snprintf(store, sizeof store, "col_keyset_%d", i);
    sm_collection_new in = {.id = id, .name = name, .owner_id = owner,
                            .vector_store_name = store, .embedding_model = "m",
                            .created_at = INT64_C(1780000000000000) + (int64_t)i * 1000000,
                            .has_created_at = true};
    sm_collection out;
    sc_error err = {0};
    ok(sm_collections_create(db->conn, db->arena, &in, &out, &err), &err, "create");
    made++;
}

static int number_of(const sm_collection *c)
{
    return atoi(c->id + strlen("7c2e0000-0000-4000-8000-"));
}

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("keyset");
    sm_user_new u = {.username = "pager", .email = "p@example.org", .hashed_password = "x"};
    sm_user user;
    sc_error err = {0};
    ok(sm_users_create(db->conn, db->arena, &u, &user, &err), &err, "user");
    owner = user.id;
    for (int i = 1; i <= START; i++)
        make_collection(i * 10); /* gaps: later inserts can land between pages */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

/* Between pages, new collections arrive: newer than everything (the front
 * of the list) and between rows already read and rows still to come. */
static void keyset_pages_see_each_row_once_under_inserts(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    sc_error err = {0};
    int seen[1000] = {0};
    const char *cursor = NULL;
    int pages = 0;
    do {
        sm_collection *rows;
        size_t n;
        const char *next;
        ok(sm_collections_list_for_user_keyset(db->conn, a, owner, (sm_opt_collection_status)SC_NONE,
                                               cursor, PAGE, &rows, &n, &next, &err),
           &err, "page");
        assert_true(n <= PAGE);
        for (size_t i = 0; i < n; i++) {
            seen[number_of(&rows[i])]++;
            if (i)
                assert_true(rows[i].created_at <= rows[i - 1].created_at);
        }
        make_collection(900 + pages);        /* newest of all: before page one */
        make_collection(105 + pages * 2);    /* in the middle of the list */
        cursor = next;
        pages++;
    } while (cursor && pages < 20);
    assert_null(cursor);
    for (int i = 1; i <= START; i++)
        assert_int_equal(seen[i * 10], 1); /* every collection there at the start, once */
    for (int i = 0; i < 1000; i++)
        assert_true(seen[i] <= 1);         /* and nothing twice */
    sc_arena_free(a);
}

/* The same situation with OFFSET pages: a row inserted at the front pushes
 * the last row of page one onto page two. This is why keyset pages exist. */
static void offset_pages_repeat_a_row_under_inserts(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    sc_error err = {0};
    sm_collection *first, *second;
    size_t n1, n2;
    sc_page page = {PAGE, 0};
    ok(sm_collections_list_for_user(db->conn, a, owner, (sm_opt_collection_status)SC_NONE, &page,
                                    &first, &n1, NULL, &err),
       &err, "offset page 1");
    sm_collection_patch touch = {.set_description = true, .description = "touched"};
    sm_collection changed;
    ok(sm_collections_update(db->conn, a, first[n1 - 1].id, owner, &touch, &changed, &err), &err,
       "touch"); /* list_for_user orders by updated_at: the row moves to the front */
    make_collection(999);
    page.offset = PAGE;
    ok(sm_collections_list_for_user(db->conn, a, owner, (sm_opt_collection_status)SC_NONE, &page,
                                    &second, &n2, NULL, &err),
       &err, "offset page 2");
    int repeated = 0;
    for (size_t i = 0; i < n1; i++)
        for (size_t k = 0; k < n2; k++)
            repeated += strcmp(first[i].id, second[k].id) == 0;
    assert_true(repeated > 0);
    sc_arena_free(a);
}

static void bad_cursors_are_refused(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    sc_error err = {0};
    sm_collection *rows;
    size_t n;
    const char *next;
    const char *bad[] = {"", "zz", "00000000", "not-a-cursor", "ffffffff.31", "x'; DROP TABLE x; --"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sm_collections_list_for_user_keyset(db->conn, a, owner,
                                                             (sm_opt_collection_status)SC_NONE,
                                                             bad[i], PAGE, &rows, &n, &next, &err),
                         SC_INVALID_INPUT);
        sc_error_clear(&err);
    }
    /* this list's own cursor, tampered with: odd hex, a non-hex digit, one value short */
    sm_collection last = {.created_at = 5, .id = "7c2e0000-0000-4000-8000-000000000010"};
    const char *good;
    ok(sm_collections_list_for_user_keyset_cursor(a, &last, &good, &err), &err, "good");
    char t1[256], t2[256], t3[256];
    snprintf(t1, sizeof t1, "%.*s", (int)strlen(good) - 1, good);
    snprintf(t2, sizeof t2, "%.*sg", (int)strlen(good) - 1, good);
    snprintf(t3, sizeof t3, "%.*s", (int)(strrchr(good, '.') - good), good);
    const char *tampered[] = {t1, t2, t3};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(sm_collections_list_for_user_keyset(db->conn, a, owner,
                                                             (sm_opt_collection_status)SC_NONE,
                                                             tampered[i], PAGE, &rows, &n, &next,
                                                             &err),
                         SC_INVALID_INPUT);
        sc_error_clear(&err);
    }
    /* a real cursor of another list */
    sm_collection_audit_log entry = {.created_at = 1, .id = 7};
    const char *foreign;
    ok(sm_collection_audit_log_list_by_collection_cursor(a, &entry, &foreign, &err), &err, "foreign");
    assert_int_equal(sm_collections_list_for_user_keyset(db->conn, a, owner,
                                                         (sm_opt_collection_status)SC_NONE,
                                                         foreign, PAGE, &rows, &n, &next, &err),
                     SC_INVALID_INPUT);
    sc_error_clear(&err);
    assert_int_equal(sm_collections_list_for_user_keyset(db->conn, a, owner,
                                                         (sm_opt_collection_status)SC_NONE, NULL,
                                                         -1, &rows, &n, &next, &err),
                     SC_INVALID_INPUT);
    sc_error_clear(&err);
    sc_arena_free(a);
}

/* A service can remember a row and resume after it; a cursor survives the
 * round trip as text (copied out of the arena, as a client would send it). */
static void a_remembered_row_resumes_the_list(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    sc_error err = {0};
    sm_collection *all, *after;
    size_t n, m;
    const char *next, *cursor;
    ok(sm_collections_list_for_user_keyset(db->conn, a, owner, (sm_opt_collection_status)SC_NONE,
                                           NULL, 1000, &all, &n, &next, &err),
       &err, "all");
    assert_null(next);
    assert_true(n > 5);
    ok(sm_collections_list_for_user_keyset_cursor(a, &all[4], &cursor, &err), &err, "cursor");
    char copy[256];
    snprintf(copy, sizeof copy, "%s", cursor);
    assert_null(strpbrk(copy, " /?&=%+#")); /* safe in a URL as it is */
    ok(sm_collections_list_for_user_keyset(db->conn, a, owner, (sm_opt_collection_status)SC_NONE,
                                           copy, 3, &after, &m, &next, &err),
       &err, "resume");
    assert_int_equal(m, 3);
    assert_string_equal(after[0].id, all[5].id);
    assert_string_equal(after[2].id, all[7].id);
    assert_non_null(next);
    sc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyset_pages_see_each_row_once_under_inserts),
        cmocka_unit_test(offset_pages_repeat_a_row_under_inserts),
        cmocka_unit_test(bad_cursors_are_refused),
        cmocka_unit_test(a_remembered_row_resumes_the_list),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
