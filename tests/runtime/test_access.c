/* The access verdict of a permission-checked `one` query (SC_ACCESS_VERDICT):
 * no row is SC_NOT_FOUND, a row whose verdict is false or NULL is
 * SC_ACCESS_DENIED with nothing of it decoded, or SC_NOT_FOUND when the
 * query hides existence; a true verdict hands the row out. */
#include "rt_helpers.h"

#include "sc_query.h"

static sc_pool *pool;
static sc_conn *conn;

typedef struct v_row {
    int32_t n;
    char *text;
} v_row;

typedef struct v_args {
    int32_t n;
    int32_t verdict; /* 1 true, 0 false, -1 NULL */
} v_args;

static const sc_field v_params[] = {
    {.name = "n", .kind = SC_K_INT32, .offset = offsetof(v_args, n)},
    {.name = "verdict", .kind = SC_K_INT32, .offset = offsetof(v_args, verdict)}};
static const sc_field v_fields[] = {
    {.name = "n", .kind = SC_K_INT32, .offset = offsetof(v_row, n)},
    {.name = "text", .kind = SC_K_TEXT, .offset = offsetof(v_row, text)}};
static const sc_row_desc v_desc = {"v_row", sizeof(v_row), 2, v_fields};
#define V_SQL                                                                                    \
    "SELECT g, 'secret ' || g, CASE $2::int WHEN 1 THEN true WHEN 0 THEN false END AS sc_access "    \
    "FROM generate_series(1, 3) g WHERE g = $1::int"
static const sc_query q_checked = {
    .stmt = {"access_checked", V_SQL, 2, NULL, NULL},
    .params = v_params, .row = &v_desc, .access = SC_ACCESS_VERDICT};
static const sc_query q_hiding = {
    .stmt = {"access_hiding", V_SQL, 2, NULL, NULL},
    .params = v_params, .row = &v_desc,
    .access = SC_ACCESS_VERDICT | SC_ACCESS_HIDES_EXISTENCE};

static int setup(void **state)
{
    (void)state;
    pool = rt_pool(1, 0);
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(pool, &conn, &e), SC_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sc_pool_release(pool, conn);
    assert_int_equal(sc_pool_close(pool), 0);
    return 0;
}

static int one(const sc_query *q, int32_t n, int32_t verdict, v_row *row, sc_error *e)
{
    static sc_arena *a;
    if (!a)
        a = sc_arena_new(0);
    v_args args = {n, verdict};
    sc_error_clear(e);
    memset(row, 0xab, sizeof *row); /* the executor must not leave this behind */
    return sc_query_one(conn, q, &args, a, row, e);
}

static void verdicts_split_not_found_from_denied(void **state)
{
    (void)state;
    v_row r;
    sc_error e;
    int rc0 = one(&q_checked, 2, 1, &r, &e);
    if (rc0 != SC_OK)
        fail_msg("%s", e.message);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.text, "secret 2");
    assert_int_equal(one(&q_checked, 9, 1, &r, &e), SC_NOT_FOUND);
    assert_int_equal(one(&q_checked, 2, 0, &r, &e), SC_ACCESS_DENIED);
    assert_int_equal(e.category, SC_ACCESS_DENIED);
    assert_int_equal(r.n, 0);
    assert_null(r.text); /* nothing of a denied row is handed out */
    assert_int_equal(one(&q_checked, 2, -1, &r, &e), SC_ACCESS_DENIED); /* NULL is not yes */
}

static void hiding_existence_answers_not_found(void **state)
{
    (void)state;
    v_row r;
    sc_error e;
    assert_int_equal(one(&q_hiding, 2, 0, &r, &e), SC_NOT_FOUND);
    assert_null(r.text);
    assert_int_equal(one(&q_hiding, 9, 1, &r, &e), SC_NOT_FOUND);
    assert_int_equal(one(&q_hiding, 3, 1, &r, &e), SC_OK);
    assert_string_equal(r.text, "secret 3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verdicts_split_not_found_from_denied),
        cmocka_unit_test(hiding_existence_answers_not_found),
    };
    return cmocka_run_group_tests_name("runtime/access", tests, setup, teardown);
}
