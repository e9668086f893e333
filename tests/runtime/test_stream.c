/* sc_query_each: rows one at a time in single-row mode. A callback that
 * stops the stream leaves the connection (and an open transaction) usable;
 * an error after some rows is reported as an error; a backend killed
 * mid-stream is SC_CONNECTION; the arena holds one row at a time. */
#include "rt_helpers.h"

#include "sc_query.h"

static sc_pool *pool;
static sc_conn *conn;

typedef struct n_row {
    int32_t n;
    char *text;
} n_row;

typedef struct n_args {
    int32_t upto;
} n_args;

static const sc_field n_params[] = {{.name = "upto", .kind = SC_K_INT32, .offset = 0}};
static const sc_field n_fields[] = {
    {.name = "n", .kind = SC_K_INT32, .offset = offsetof(n_row, n)},
    {.name = "text", .kind = SC_K_TEXT, .offset = offsetof(n_row, text)}};
static const sc_row_desc n_desc = {"n_row", sizeof(n_row), 2, n_fields};
static const sc_query q_series = {
    .stmt = {"stream_series", "SELECT g, repeat('x', 100) || g FROM generate_series(1, $1) g", 1,
             NULL, NULL},
    .params = n_params,
    .row = &n_desc};
/* Fails at row 1000: rows before the error arrive first. */
static const sc_query q_fails = {
    .stmt = {"stream_fails", "SELECT 1000 / (1000 - g), 'r' FROM generate_series(1, $1) g", 1,
             NULL, NULL},
    .params = n_params,
    .row = &n_desc};

typedef struct seen {
    int32_t rows, last;
    int32_t stop_at;       /* return stop_status at this row (0: never) */
    int stop_status;
    bool in_order;
    PGconn *admin;         /* kill_at: terminate the stream's backend here */
    int32_t kill_at;
    int pid;
} seen;

static int count_row(void *ctx, const void *row)
{
    seen *s = ctx;
    const n_row *r = row;
    s->rows++;
    s->in_order = s->in_order && r->n == s->last + 1;
    s->last = r->n;
    if (s->kill_at && r->n == s->kill_at)
        rt_terminate(s->admin, s->pid);
    return s->stop_at && r->n == s->stop_at ? s->stop_status : SC_OK;
}

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

/* 200,000 rows through an arena capped at 32 KiB; the array form of the same
 * result does not fit the cap and says so. */
static void rows_stream_within_a_fixed_arena_budget(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(4096);
    sc_arena_set_limit(a, 32 * 1024);
    sc_error e = {0};
    seen s = {.in_order = true};
    n_args args = {200000};
    assert_int_equal(sc_query_each(conn, &q_series, &args, a, count_row, &s, &e), SC_OK);
    assert_int_equal(s.rows, 200000);
    assert_true(s.in_order);
    assert_true(sc_arena_bytes(a) <= 32 * 1024);
    void *rows;
    size_t n;
    assert_int_equal(sc_query_many(conn, &q_series, &args, a, &rows, &n, &e), SC_NO_MEMORY);
    sc_error_clear(&e);
    assert_int_equal(rt_int(conn, "SELECT 7"), 7); /* the connection is still usable */
    sc_arena_free(a);
}

/* A callback's status stops the stream and is returned; the rest of the rows
 * are drained, so the transaction around it goes on. */
static void stopping_early_keeps_the_transaction(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    sc_error e = {0};
    assert_int_equal(sc_tx_begin(conn, NULL, &e), SC_OK);
    seen s = {.in_order = true, .stop_at = 10, .stop_status = SC_CHECK};
    n_args args = {50000};
    assert_int_equal(sc_query_each(conn, &q_series, &args, a, count_row, &s, &e), SC_CHECK);
    assert_int_equal(s.rows, 10); /* no callback after the stop */
    assert_int_equal(rt_int(conn, "SELECT 8"), 8);
    assert_int_equal(sc_tx_commit(conn, &e), SC_OK);
    sc_arena_free(a);
}

/* Rows that came before a server error were delivered, but the call fails. */
static void an_error_after_rows_is_an_error(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    sc_error e = {0};
    seen s = {.in_order = true};
    n_args args = {2000};
    int rc = sc_query_each(conn, &q_fails, &args, a, count_row, &s, &e);
    assert_int_not_equal(rc, SC_OK);
    assert_string_equal(e.sqlstate, "22012"); /* division_by_zero */
    assert_true(s.rows > 0 && s.rows < 1000);
    sc_error_clear(&e);
    assert_int_equal(rt_int(conn, "SELECT 9"), 9);
    sc_arena_free(a);
}

/* The backend dies while rows are still coming: SC_CONNECTION, and the pool
 * replaces the connection on release. */
static void a_killed_backend_ends_the_stream(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    sc_error e = {0};
    seen s = {.in_order = true, .admin = rt_raw(), .kill_at = 100};
    s.pid = (int)rt_int(conn, "SELECT pg_backend_pid()");
    n_args args = {5000000};
    int rc = sc_query_each(conn, &q_series, &args, a, count_row, &s, &e);
    assert_int_equal(rc, SC_CONNECTION);
    assert_true(s.rows >= 100 && s.rows < 5000000);
    PQfinish(s.admin);
    sc_pool_release(pool, conn);
    sc_error_clear(&e);
    assert_int_equal(sc_pool_acquire(pool, &conn, &e), SC_OK);
    assert_int_equal(rt_int(conn, "SELECT 10"), 10);
    sc_arena_free(a);
}

static void bad_arguments_are_misuse(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    sc_error e = {0};
    n_args args = {1};
    assert_int_equal(sc_query_each(conn, &q_series, &args, a, NULL, NULL, &e), SC_MISUSE);
    sc_error_clear(&e);
    assert_int_equal(sc_query_each(NULL, &q_series, &args, a, count_row, NULL, &e), SC_MISUSE);
    sc_error_clear(&e);
    assert_int_equal(sc_query_each(conn, &q_series, &args, NULL, count_row, NULL, &e), SC_MISUSE);
    sc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_stream_within_a_fixed_arena_budget),
        cmocka_unit_test(stopping_early_keeps_the_transaction),
        cmocka_unit_test(an_error_after_rows_is_an_error),
        cmocka_unit_test(a_killed_backend_ends_the_stream),
        cmocka_unit_test(bad_arguments_are_misuse),
    };
    return cmocka_run_group_tests_name("runtime/stream", tests, setup, teardown);
}
