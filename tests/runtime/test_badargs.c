/* Bad arguments and secrets in messages (issue "runtime under production
 * faults", parts 5 and 6): sc_scrub, hiding row values of failed statements
 * with secret parameters, NULL and out-of-range arguments of the public API,
 * size arithmetic, time extremes and malformed DATABASE_URLs. Every call
 * must return an error status or be a documented no-op, never crash (the
 * suite runs clean under SAN=1). */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_helpers.h"

#include "internal.h"
#include "sc_migrate.h"
#include "sc_query.h"

/* ---- sc_scrub ------------------------------------------------------- */

static void scrub_case(const char *in, const char *secret, const char *want)
{
    char buf[256];
    sc_copy_str(buf, sizeof buf, in);
    sc_scrub(buf, secret);
    assert_string_equal(buf, want);
}

static void scrub_terminates_on_star_secrets(void **state)
{
    (void)state;
    /* These once looped forever: the mask recreated the match. */
    scrub_case("pw * here", "*", "pw * here");
    scrub_case("a ** b", "**", "a ** b");
    scrub_case("x *** y ***", "***", "x *** y ***");
    scrub_case("****", "**", "****");
    scrub_case("******", "***", "******");
}

static void scrub_short_secret_only_as_a_word(void **state)
{
    (void)state;
    scrub_case("database a", "a", "database *");
    scrub_case("a", "a", "*");
    scrub_case("abc", "a", "abc");
    scrub_case("(pw) pw: pwx xpw", "pw", "(**) **: pwx xpw");
    scrub_case("token \"pw%zz\"", "pw%zz", "token \"***\"");
    scrub_case("user hunt failed: hunter", "hunt", "user *** failed: hunter");
}

static void scrub_long_secret_everywhere(void **state)
{
    (void)state;
    scrub_case("xxHunter2Secretyy", "Hunter2Secret", "xx***yy");
    scrub_case("Hunter2Secret at start", "Hunter2Secret", "*** at start");
    scrub_case("at end Hunter2Secret", "Hunter2Secret", "at end ***");
    scrub_case("s3cr3t s3cr3ts3cr3t!s3cr3t", "s3cr3t", "*** ******!***");
    scrub_case("abc at start", "abc", "*** at start");
    scrub_case("at end abc", "abc", "at end ***");
    scrub_case("abc abc abc", "abc", "*** *** ***");
}

static void scrub_empty_and_null(void **state)
{
    (void)state;
    scrub_case("nothing to do", "", "nothing to do");
    scrub_case("", "abc", "");
    scrub_case("", "", "");
    char buf[] = "keep";
    sc_scrub(buf, NULL);
    sc_scrub(NULL, "x");
    assert_string_equal(buf, "keep");
}

/* A message filling its buffer exactly: a 1-2 byte secret must not grow it. */
static void scrub_never_grows_the_buffer(void **state)
{
    (void)state;
    char *exact = malloc(4); /* ASan checks the bound */
    memcpy(exact, "a b", 4);
    sc_scrub(exact, "a");
    assert_string_equal(exact, "* b");
    sc_scrub(exact, "b");
    assert_string_equal(exact, "* *");
    free(exact);
}

/* ---- hiding row values ---------------------------------------------- */

static void hide_case(const char *detail, const char *want)
{
    sc_error e = {0};
    e.category = SC_CONFLICT;
    sc_copy_str(e.detail, sizeof e.detail, detail);
    sc_error_hide_values(&e);
    assert_string_equal(e.detail, want);
}

static void hide_values_rewrites_details(void **state)
{
    (void)state;
    static const char hidden[] = "(detail hidden: the statement has secret parameters)";
    hide_case("Key (key_hash)=(abc) already exists.", "Key (key_hash)=(***) already exists.");
    hide_case("Key (a, b)=(x) already exists., y) already exists.",
              "Key (a, b)=(***) already exists.");
    hide_case("Key (lower(email))=(Bob@x) already exists.",
              "Key (lower(email))=(***) already exists.");
    hide_case("Key (parent_id)=(42) is not present in table \"parent\".",
              "Key (parent_id)=(***) is not present in table \"parent\".");
    hide_case("Key (id)=(1) is still referenced from table \"child\".",
              "Key (id)=(***) is still referenced from table \"child\".");
    hide_case("Key (r)=([1,5)) conflicts with existing key (r)=([2,3)).",
              "Key (r)=(***) conflicts with existing key (r)=(***).");
    hide_case("Failing row contains (1, secret, null).", "Failing row contains (***)");
    hide_case("Key (k)=(truncated value without its ending", hidden);
    hide_case("Token \"abc\" is invalid.", hidden);
    hide_case("", "");
    sc_error_hide_values(NULL);
}

static void scrub_values_masks_text_parameters(void **state)
{
    (void)state;
    sc_error e = {0};
    sc_error_set(&e, SC_INVALID_INPUT, "invalid input syntax for type uuid: \"tok-3141592\"");
    sc_copy_str(e.detail, sizeof e.detail, "tok-3141592 and \x01\x02");
    const char *values[] = {"tok-3141592", NULL, "", "\x01\x02"};
    const int formats[] = {0, 0, 0, 1};
    sc_error_scrub_values(&e, 4, values, formats);
    assert_string_equal(e.message, "invalid input syntax for type uuid: \"***\"");
    assert_string_equal(e.detail, "*** and \x01\x02"); /* binary values are not text */
    /* formats NULL: all text. */
    sc_copy_str(e.detail, sizeof e.detail, "x \x01\x02 y");
    sc_error_scrub_values(&e, 4, values, NULL);
    assert_string_equal(e.detail, "x ** y");
    sc_error_scrub_values(NULL, 4, values, NULL);
    sc_error_scrub_values(&e, 4, NULL, NULL);
}

/* A long value cut off by the 256-byte field leaves no prefix behind. */
static void scrub_values_masks_a_truncated_tail(void **state)
{
    (void)state;
    char value[400];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    sc_error e = {0};
    sc_error_set(&e, SC_INVALID_INPUT, "value too long: \"%s\"", value);
    const char *values[] = {value};
    sc_error_scrub_values(&e, 1, values, NULL);
    assert_string_equal(e.message, "value too long: \"***");
}

/* ---- the database part ---------------------------------------------- */

static sc_pool *pool;
static sc_conn *conn;

static int setup(void **state)
{
    (void)state;
    PGconn *raw = rt_raw();
    rt_raw_exec(raw, "DROP TABLE IF EXISTS t_secret; CREATE TABLE t_secret(k text UNIQUE)");
    PQfinish(raw);
    pool = rt_pool(2, 0);
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

static bool error_mentions(const sc_error *e, const char *s)
{
    return strstr(e->message, s) || strstr(e->detail, s) || strstr(e->constraint, s) ||
           strstr(e->table, s) || strstr(e->sqlstate, s);
}

/* A duplicate secret key: the server's detail quotes the value. */
static void exec_secret_conflict_hides_value(void **state)
{
    (void)state;
    static const unsigned char flags[] = {SC_PARAM_SECRET};
    static const sc_stmt insert = {"badargs_secret_insert", "INSERT INTO t_secret VALUES ($1)", 1,
                                   NULL, flags};
    const char *values[] = {"zz-Secret-Value-4711"};
    sc_error e = {0};
    assert_int_equal(sc_exec(conn, &insert, values, NULL, NULL, 0, NULL, &e), SC_OK);
    int rc = sc_exec(conn, &insert, values, NULL, NULL, 0, NULL, &e);
    assert_int_equal(rc, SC_CONFLICT);
    if (error_mentions(&e, values[0]))
        fail_msg("secret in the error: message '%s' detail '%s'", e.message, e.detail);
}

/* ---- size arithmetic ------------------------------------------------ */

static void arena_refuses_sizes_that_wrap(void **state)
{
    (void)state;
    sc_arena *a = sc_arena_new(0);
    assert_non_null(a);
    assert_null(sc_arena_alloc(a, SIZE_MAX));
    assert_null(sc_arena_alloc(a, SIZE_MAX - 16));
    assert_null(sc_arena_alloc(a, SIZE_MAX - 1));
    assert_null(sc_arena_alloc(a, SIZE_MAX / 2));
    assert_null(sc_arena_strndup(a, "x", SIZE_MAX));
    assert_null(sc_arena_strndup(a, "x", SIZE_MAX - 1));
    assert_null(sc_arena_strndup(a, NULL, 1));
    assert_null(sc_arena_alloc(NULL, 8));
    /* Still usable. */
    char *s = sc_arena_strndup(a, "hello", 5);
    assert_string_equal(s, "hello");
    sc_arena_free(a);
    sc_arena *huge = sc_arena_new(SIZE_MAX - 8);
    assert_non_null(huge);
    assert_null(sc_arena_alloc(huge, 1));
    sc_arena_free(huge);
}

/* ---- typed executors ------------------------------------------------ */

typedef struct k_args {
    char *k;
} k_args;

static const sc_field k_fields[] = {{.name = "k", .kind = SC_K_TEXT, .offset = 0}};
static const sc_field k_short[] = {{.name = "k", .kind = SC_K_TEXT, .offset = 0, .max_len = 100}};
static const sc_row_desc k_row = {"k_args", sizeof(k_args), 1, k_fields};
static const sc_query q_insert = {
    .stmt = {"badargs_insert", "INSERT INTO t_secret VALUES ($1)", 1, NULL, NULL},
    .params = k_fields};
static const sc_query q_select = {
    .stmt = {"badargs_select", "SELECT k FROM t_secret WHERE k = $1", 1, NULL, NULL},
    .params = k_fields,
    .row = &k_row};
static const sc_query q_count = {
    .stmt = {"badargs_count", "SELECT count(*) FROM t_secret WHERE k = $1", 1, NULL, NULL},
    .params = k_fields};
static const sc_query q_short = {
    .stmt = {"badargs_short", "SELECT $1::text AS k", 1, NULL, NULL},
    .params = k_short,
    .row = &k_row};

static void expect_misuse(int rc, sc_error *e)
{
    assert_int_equal(rc, SC_MISUSE);
    assert_int_equal(e->category, SC_MISUSE);
    assert_true(e->message[0] != '\0');
    sc_error_clear(e);
}

static void query_executors_refuse_null_arguments(void **state)
{
    (void)state;
    k_args args = {"badargs-null-conn"};
    sc_arena *a = sc_arena_new(0);
    k_args row;
    void *rows = NULL;
    size_t n = 0;
    int64_t count = 0;
    sc_error e = {0};
    /* A write with no connection used to return SC_OK without running. */
    expect_misuse(sc_query_exec(NULL, &q_insert, &args, NULL, &e), &e);
    expect_misuse(sc_query_exec(conn, NULL, &args, NULL, &e), &e);
    expect_misuse(sc_query_exec(conn, &q_insert, NULL, NULL, &e), &e);
    expect_misuse(sc_query_one(NULL, &q_select, &args, a, &row, &e), &e);
    expect_misuse(sc_query_one(conn, &q_select, &args, NULL, &row, &e), &e);
    expect_misuse(sc_query_one(conn, &q_select, &args, a, NULL, &e), &e);
    expect_misuse(sc_query_one(conn, &q_insert, &args, a, &row, &e), &e); /* no row desc */
    expect_misuse(sc_query_many(NULL, &q_select, &args, a, &rows, &n, &e), &e);
    expect_misuse(sc_query_many(conn, &q_select, &args, NULL, &rows, &n, &e), &e);
    expect_misuse(sc_query_many(conn, &q_select, &args, a, NULL, &n, &e), &e);
    expect_misuse(sc_query_many(conn, &q_select, &args, a, &rows, NULL, &e), &e);
    expect_misuse(sc_query_many(conn, &q_select, NULL, a, &rows, &n, &e), &e);
    expect_misuse(sc_query_count(NULL, &q_count, &args, &count, &e), &e);
    expect_misuse(sc_query_count(conn, &q_count, &args, NULL, &e), &e);
    expect_misuse(sc_query_check_args(NULL, &args, &e), &e);
    expect_misuse(sc_query_check_args(&q_insert, NULL, &e), &e);
    assert_int_equal(rt_int(conn, "SELECT count(*) FROM t_secret WHERE k = 'badargs-null-conn'"),
                     0);
    /* The argument check keeps working without a connection. */
    assert_int_equal(sc_query_check_args(&q_insert, &args, &e), SC_OK);
    assert_int_equal(sc_query_exec(conn, &q_insert, &args, NULL, &e), SC_OK);
    assert_int_equal(sc_query_count(conn, &q_count, &args, &count, &e), SC_OK);
    assert_int_equal(count, 1);
    assert_int_equal(sc_query_many(conn, &q_select, &args, a, &rows, &n, &e), SC_OK);
    assert_int_equal(n, 1);
    sc_arena_free(a);
}

static void text_parameters_reject_bad_utf8_and_huge_strings(void **state)
{
    (void)state;
    sc_error e = {0};
    k_args bad = {"ok\xff\xfe"};
    assert_int_equal(sc_query_check_args(&q_short, &bad, &e), SC_INVALID_INPUT);
    sc_error_clear(&e);
    size_t len = 10u << 20;
    char *huge = malloc(len + 1);
    memset(huge, 'h', len);
    huge[len] = '\0';
    k_args big = {huge};
    sc_arena *a = sc_arena_new(0);
    k_args row;
    assert_int_equal(sc_query_one(conn, &q_short, &big, a, &row, &e), SC_INVALID_INPUT);
    assert_null(strstr(e.message, "hhhhhhhh"));
    sc_arena_free(a);
    free(huge);
}

typedef struct copy_row {
    char *k;
} copy_row;

static void copy_rows_refuses_null_arguments(void **state)
{
    (void)state;
    static const sc_copy cp = {"badargs_copy", "COPY t_secret (k) FROM STDIN", 1, k_fields,
                               sizeof(copy_row), 0, {0, 0, 0}, NULL};
    static const sc_copy no_sql = {"badargs_copy", NULL, 1, k_fields, sizeof(copy_row), 0,
                                   {0, 0, 0}, NULL};
    copy_row rows[] = {{"copy-1"}};
    int64_t inserted = 99;
    sc_error e = {0};
    expect_misuse(sc_copy_rows(NULL, &cp, rows, 1, &inserted, &e), &e);
    assert_int_equal(inserted, 0);
    expect_misuse(sc_copy_rows(conn, NULL, rows, 1, &inserted, &e), &e);
    expect_misuse(sc_copy_rows(conn, &cp, NULL, 1, &inserted, &e), &e);
    expect_misuse(sc_copy_rows(conn, &no_sql, rows, 1, &inserted, &e), &e);
    assert_int_equal(sc_copy_rows(conn, &cp, NULL, 0, &inserted, &e), SC_OK);
    assert_int_equal(inserted, 0);
}

/* ---- configuration ranges ------------------------------------------- */

static void expect_config_rejected(const sc_pool_config *cfg, const char *name)
{
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(cfg, &p, &e), SC_INVALID_INPUT);
    assert_null(p);
    if (!strstr(e.message, name))
        fail_msg("'%s' does not name %s", e.message, name);
}

static void pool_open_rejects_out_of_range_settings(void **state)
{
    (void)state;
    sc_pool_config cfg;
    const double bad_seconds[] = {1e30, 1e6 + 1, NAN, INFINITY, -1};
    for (size_t i = 0; i < sizeof bad_seconds / sizeof bad_seconds[0]; i++) {
        rt_config(&cfg, 1, 0);
        cfg.timeout_s = bad_seconds[i];
        expect_config_rejected(&cfg, "timeout_s (DB_POOL_TIMEOUT)");
        rt_config(&cfg, 1, 0);
        cfg.retry_interval_s = bad_seconds[i];
        expect_config_rejected(&cfg, "retry_interval_s (DB_RETRY_INTERVAL)");
        if (bad_seconds[i] > 0 || isnan(bad_seconds[i])) { /* recycle <= 0 is "never" */
            rt_config(&cfg, 1, 0);
            cfg.recycle_s = bad_seconds[i];
            expect_config_rejected(&cfg, "recycle_s (DB_POOL_RECYCLE)");
        }
    }
    rt_config(&cfg, 10001, 0);
    expect_config_rejected(&cfg, "pool_size (DB_POOL_SIZE)");
    rt_config(&cfg, 0, 0);
    expect_config_rejected(&cfg, "pool_size");
    rt_config(&cfg, 1, 10001);
    expect_config_rejected(&cfg, "max_overflow (DB_MAX_OVERFLOW)");
    rt_config(&cfg, 1, -1);
    expect_config_rejected(&cfg, "max_overflow");
    rt_config(&cfg, 1, 0);
    cfg.retry_limit = 1001;
    expect_config_rejected(&cfg, "retry_limit (DB_RETRY_LIMIT)");
    cfg.retry_limit = -1;
    expect_config_rejected(&cfg, "retry_limit");
    /* The limits themselves are fine. */
    rt_config(&cfg, 10000, 10000);
    cfg.timeout_s = 1e6;
    cfg.recycle_s = -1;
    cfg.retry_limit = 1000;
    cfg.retry_interval_s = 1e6;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_pool_close(p);
}

static void env_rejects_out_of_range_settings(void **state)
{
    (void)state;
    static const env_pair cases[] = {
        {"DB_POOL_TIMEOUT", "1e30"},   {"DB_POOL_TIMEOUT", "nan"},  {"DB_POOL_TIMEOUT", "inf"},
        {"DB_POOL_RECYCLE", "1e7"},    {"DB_POOL_RECYCLE", "NaN"},  {"DB_RETRY_INTERVAL", "1e30"},
        {"DB_RETRY_INTERVAL", "-nan"}, {"DB_POOL_SIZE", "10001"},   {"DB_MAX_OVERFLOW", "10001"},
        {"DB_RETRY_LIMIT", "1001"},    {"DB_POOL_SIZE", "-1"},      {"DB_RETRY_LIMIT", "-1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        env_pair env[] = {cases[i], {NULL, NULL}};
        sc_pool_config cfg;
        sc_error e = {0};
        assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, env, &e),
                         SC_INVALID_INPUT);
        if (!strstr(e.message, cases[i].name))
            fail_msg("%s=%s: '%s'", cases[i].name, cases[i].value, e.message);
        sc_pool_config_cleanup(&cfg);
    }
}

/* ---- time extremes -------------------------------------------------- */

typedef struct time_row {
    sc_time t;
    int32_t d;
} time_row;

static const sc_field time_fields[] = {
    {.name = "t", .kind = SC_K_TIME, .offset = offsetof(time_row, t)},
    {.name = "d", .kind = SC_K_DATE, .offset = offsetof(time_row, d)}};
static const sc_row_desc time_desc = {"time_row", sizeof(time_row), 2, time_fields};

static void time_format_extremes_are_defined(void **state)
{
    (void)state;
    char buf[64];
    sc_time_format(INT64_MAX, buf, sizeof buf);
    assert_string_equal(buf, "infinity");
    sc_time_format(INT64_MIN, buf, sizeof buf);
    assert_string_equal(buf, "-infinity");
    /* Near the extremes the arithmetic stays defined (UBSan checks). */
    assert_true(sc_time_format(INT64_MIN + 1, buf, sizeof buf) > 0);
    assert_true(sc_time_format(INT64_MAX - 1, buf, sizeof buf) > 0);
    sc_time_format(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31 23:59:59.999999+00");
    sc_time_format(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01 00:00:00.000000+00");
}

static void time_infinities_round_trip(void **state)
{
    (void)state;
    static const sc_query q_inf = {
        .stmt = {"badargs_inf", "SELECT 'infinity'::timestamptz, '-infinity'::date", 0, NULL,
                 NULL},
        .row = &time_desc};
    static const sc_query q_echo = {
        .stmt = {"badargs_time_echo", "SELECT $1::timestamptz, 'infinity'::date", 1, NULL, NULL},
        .params = time_fields,
        .row = &time_desc};
    static const sc_query q_far = {
        .stmt = {"badargs_far", "SELECT '294276-12-31 23:59:59+00'::timestamptz, "
                                "'5874897-12-31'::date", 0, NULL, NULL},
        .row = &time_desc};
    sc_arena *a = sc_arena_new(0);
    time_row r;
    sc_error e = {0};
    assert_int_equal(sc_query_one(conn, &q_inf, NULL, a, &r, &e), SC_OK);
    assert_true(r.t == INT64_MAX);
    assert_true(r.d == INT32_MIN);
    time_row in = {INT64_MIN, 0};
    assert_int_equal(sc_query_one(conn, &q_echo, &in, a, &r, &e), SC_OK);
    assert_true(r.t == INT64_MIN);
    assert_true(r.d == INT32_MAX);
    /* The largest finite values: clamped or exact, never wrapped. */
    assert_int_equal(sc_query_one(conn, &q_far, NULL, a, &r, &e), SC_OK);
    assert_true(r.t > 0 && r.d > 0);
    sc_arena_free(a);
}

/* ---- NULL for every pointer of the public API ----------------------- */

static void pool_and_config_calls_refuse_null(void **state)
{
    (void)state;
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    sc_pool *p = NULL;
    sc_conn *c = NULL;
    sc_error e = {0};
    expect_misuse(sc_pool_open(NULL, &p, &e), &e);
    expect_misuse(sc_pool_open(&cfg, NULL, &e), &e);
    assert_int_equal(sc_pool_open(NULL, NULL, NULL), SC_MISUSE);
    expect_misuse(sc_pool_acquire(NULL, &c, &e), &e);
    assert_null(c);
    expect_misuse(sc_pool_acquire(pool, NULL, &e), &e);
    expect_misuse(sc_pool_acquire_tagged(NULL, "tag", &c, &e), &e);
    expect_misuse(sc_pool_acquire_tagged(pool, "tag", NULL, &e), &e);
    sc_pool_stats st;
    sc_pool_get_stats(NULL, &st);
    assert_int_equal(st.open, 0);
    assert_int_equal(sc_pool_close(NULL), 0);
    sc_pool_release(NULL, NULL);
    sc_pool_release(pool, NULL);
    assert_int_equal(sc_pool_check_leaks(NULL), 0);
    assert_int_equal(sc_pool_pooler(NULL), SC_POOLER_NONE);
    assert_null(sc_conn_pg(NULL));
    assert_null(sc_conn_pool(NULL));
    assert_true(sc_conn_is_broken(NULL));
    sc_conn_invalidate(NULL);
    assert_int_equal(sc_tx_depth(NULL), 0);
    sc_pool_config_init(NULL);
    sc_pool_config_cleanup(NULL);
    expect_misuse(sc_pool_config_from_lookup(NULL, table_lookup, NULL, &e), &e);
    expect_misuse(sc_pool_config_from_lookup(&cfg, NULL, NULL, &e), &e);
}

static void exec_and_tx_calls_refuse_null(void **state)
{
    (void)state;
    static const sc_stmt one = {"badargs_one", "SELECT $1::int", 1, NULL, NULL};
    static const sc_stmt no_sql = {"badargs_nosql", NULL, 0, NULL, NULL};
    const char *values[] = {"1"};
    PGresult *res = (PGresult *)&res; /* must come back NULL */
    sc_error e = {0};
    expect_misuse(sc_exec(NULL, &one, values, NULL, NULL, 0, &res, &e), &e);
    assert_null(res);
    expect_misuse(sc_exec(conn, NULL, values, NULL, NULL, 0, &res, &e), &e);
    expect_misuse(sc_exec(conn, &one, NULL, NULL, NULL, 0, &res, &e), &e);
    expect_misuse(sc_exec(conn, &no_sql, NULL, NULL, NULL, 0, &res, &e), &e);
    expect_misuse(sc_exec_params(NULL, "SELECT 1", 0, NULL, &res, &e), &e);
    expect_misuse(sc_exec_params(conn, NULL, 0, NULL, &res, &e), &e);
    expect_misuse(sc_exec_params(conn, "SELECT $1", 1, NULL, &res, &e), &e);
    expect_misuse(sc_exec_params(conn, "SELECT 1", -1, NULL, &res, &e), &e);
    expect_misuse(sc_exec_sql(NULL, "SELECT 1", &res, &e), &e);
    expect_misuse(sc_exec_sql(conn, NULL, &res, &e), &e);
    expect_misuse(sc_tx_begin(NULL, NULL, &e), &e);
    expect_misuse(sc_tx_commit(NULL, &e), &e);
    expect_misuse(sc_tx_rollback(NULL, &e), &e);
    expect_misuse(sc_tx_run(NULL, NULL, NULL, NULL, &e), &e);
    expect_misuse(sc_tx_run(pool, NULL, NULL, NULL, &e), &e);
    /* err NULL everywhere is allowed. */
    assert_int_equal(sc_exec(NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL), SC_MISUSE);
    assert_int_equal(sc_tx_begin(NULL, NULL, NULL), SC_MISUSE);
    /* The connection is still fine. */
    assert_int_equal(rt_int(conn, "SELECT 7"), 7);
}

static void health_and_report_calls_refuse_null(void **state)
{
    (void)state;
    sc_health h;
    sc_error e = {0};
    expect_misuse(sc_health_check(NULL, &h, &e), &e);
    expect_misuse(sc_health_check(pool, NULL, &e), &e);
    sc_arena *a = sc_arena_new(0);
    sc_partition_spec spec = {"t_secret", NULL, NULL, 0};
    sc_partition_spec no_table = {NULL, NULL, NULL, 0};
    sc_partition_report r;
    expect_misuse(sc_partition_report_run(NULL, a, &spec, &r, &e), &e);
    expect_misuse(sc_partition_report_run(conn, NULL, &spec, &r, &e), &e);
    expect_misuse(sc_partition_report_run(conn, a, NULL, &r, &e), &e);
    expect_misuse(sc_partition_report_run(conn, a, &spec, NULL, &e), &e);
    expect_misuse(sc_partition_report_run(conn, a, &no_table, &r, &e), &e);
    assert_int_equal(sc_partition_report_run(conn, a, &spec, &r, &e), SC_OK);
    /* snprintf-style: NULL buf with n 0 measures. */
    size_t need = sc_partition_report_format(&r, NULL, 0);
    assert_true(need > 0);
    char *buf = malloc(need + 1);
    assert_int_equal(sc_partition_report_format(&r, buf, need + 1), need);
    assert_int_equal(strlen(buf), need);
    char small[8];
    assert_int_equal(sc_partition_report_format(&r, small, sizeof small), need);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(sc_partition_report_format(NULL, small, sizeof small), 0);
    assert_string_equal(small, "");
    assert_int_equal(sc_partition_report_format(NULL, NULL, 0), 0);
    r.partitions = 3, r.info = NULL; /* inconsistent: no crash */
    assert_int_equal(sc_partition_report_format(&r, buf, need + 1) > 0, 1);
    free(buf);
    sc_arena_free(a);
}

static void error_and_name_helpers_accept_anything(void **state)
{
    (void)state;
    assert_string_equal(sc_status_name(-1), "SC_UNKNOWN_STATUS");
    assert_string_equal(sc_status_name(9999), "SC_UNKNOWN_STATUS");
    assert_string_equal(sc_status_name(INT_MIN), "SC_UNKNOWN_STATUS");
    assert_string_equal(sc_status_name(INT_MAX), "SC_UNKNOWN_STATUS");
    assert_string_equal(sc_status_name(SC_DATABASE), "SC_DATABASE");
    assert_int_equal(sc_sqlstate_category(NULL), SC_DATABASE);
    assert_int_equal(sc_sqlstate_category(""), SC_DATABASE);
    assert_int_equal(sc_sqlstate_category("XXXXXXXX"), SC_DATABASE);
    assert_int_equal(sc_sqlstate_category("2350"), SC_DATABASE);
    assert_int_equal(sc_error_from_result(NULL, NULL, NULL), SC_CONNECTION);
    sc_error e = {0};
    assert_int_equal(sc_error_from_result(&e, NULL, NULL), SC_CONNECTION);
    assert_true(e.message[0] != '\0');
    char buf[64];
    assert_non_null(sc_conninfo_redact(NULL, buf, sizeof buf));
    assert_null(sc_conninfo_redact("host=x", NULL, 0));
    assert_ptr_equal(sc_conninfo_redact("host=x password=p", buf, 0), buf);
    sc_conninfo_redact("postgresql://u:pw%zz@h/db", buf, sizeof buf);
    assert_string_equal(buf, "<unparseable connection string>");
    assert_string_equal(sc_partition_impl_name((sc_partition_impl)-1), "unknown");
    assert_non_null(sc_partition_status_name((sc_partition_status)9999));
    sc_error_clear(NULL);
    sc_arena_free(NULL);
    sc_arena_reset(NULL);
}

/* Runs fn in a child so that a crash does not take the suite down; true
 * when the child exited normally. */
static bool survives(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void stats_null_pool_null_out(void)
{
    sc_pool_get_stats(NULL, NULL);
}

static void stats_null_out(void)
{
    sc_pool_get_stats(pool, NULL);
}

static void cached_statements_null(void)
{
    if (sc_conn_cached_statements(NULL) != 0)
        _exit(1);
}

/* Each in a child process: a crash fails the case instead of the suite. */
static void null_stats_and_cache_calls_survive(void **state)
{
    (void)state;
    const struct {
        const char *what;
        void (*fn)(void);
    } calls[] = {
        {"sc_pool_get_stats(NULL, NULL)", stats_null_pool_null_out},
        {"sc_pool_get_stats(pool, NULL)", stats_null_out},
        {"sc_conn_cached_statements(NULL)", cached_statements_null},
    };
    int crashed = 0;
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (!survives(calls[i].fn)) {
            print_error("crashed: %s\n", calls[i].what);
            crashed++;
        }
    assert_int_equal(crashed, 0);
}

/* ---- malformed DATABASE_URL ----------------------------------------- */

static void malformed_database_url_hides_the_password(void **state)
{
    (void)state;
    char garbage[10 * 1024 + 64];
    /* A password longer than any scrub buffer, then 10 KB of bad escapes. */
    size_t len = (size_t)snprintf(garbage, sizeof garbage, "postgresql://u:LongSecretPw");
    while (len + 4 < 10 * 1024)
        len += (size_t)snprintf(garbage + len, sizeof garbage - len, "%%zz");
    snprintf(garbage + len, sizeof garbage - len, "@h/db");
    static char noise[10 * 1024 + 1];
    for (size_t i = 0; i < sizeof noise - 1; i++)
        noise[i] = (char)(33 + (i * 7919) % 90);
    const struct {
        const char *url, *password;
    } cases[] = {
        {"postgresql://u:*@[/db", "*"},
        {"postgresql://u:pw%zz@h/db", "pw%zz"},
        {"postgresql://u:s3cr3tpw%zz@h/db", "s3cr3tpw"},
        {"postgresql+asyncpg://u:s3cr3tpw@[/db?ssl=true", "s3cr3tpw"},
        {garbage, "LongSecretPw"},
        {noise, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        env_pair env[] = {{"DATABASE_URL", cases[i].url}, {NULL, NULL}};
        sc_pool_config cfg;
        sc_error e = {0};
        double started = sc_now();
        int rc = sc_pool_config_from_lookup(&cfg, table_lookup, env, &e);
        assert_true(sc_now() - started < 1.0);
        sc_pool_config_cleanup(&cfg);
        if (rc != SC_INVALID_INPUT)
            fail_msg("case %zu: %s %s", i, sc_status_name(rc), e.message);
        assert_non_null(strstr(e.message, "DATABASE_URL"));
        if (cases[i].password && strlen(cases[i].password) > 1 &&
            strstr(e.message, cases[i].password))
            fail_msg("case %zu leaks the password: %s", i, e.message);
    }
}

/* schemac migrate prints sc_migrate_connect_error, not libpq's message. */
static void migrate_connect_error_hides_the_password(void **state)
{
    (void)state;
    char buf[512];
    const char *bad = "postgresql://u:s3cr3tpw%zz@h/db";
    PGconn *c = PQconnectdb(bad);
    assert_non_null(strstr(PQerrorMessage(c), "s3cr3tpw")); /* why this exists */
    sc_migrate_connect_error(bad, c, buf, sizeof buf);
    PQfinish(c);
    assert_string_equal(buf, "DATABASE_URL: libpq cannot parse the connection string");
    /* Parseable: libpq's message, with the password scrubbed (here it
     * appears in the socket path that libpq quotes). */
    const char *ok = "host=/nonexistent/zzPw4711zz password=zzPw4711zz dbname=x";
    c = PQconnectdb(ok);
    assert_int_equal(PQstatus(c), CONNECTION_BAD);
    assert_non_null(strstr(PQerrorMessage(c), "zzPw4711zz"));
    sc_migrate_connect_error(ok, c, buf, sizeof buf);
    PQfinish(c);
    assert_null(strstr(buf, "zzPw4711zz"));
    assert_non_null(strstr(buf, "/nonexistent/***"));
}

int main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(scrub_terminates_on_star_secrets),
        cmocka_unit_test(scrub_short_secret_only_as_a_word),
        cmocka_unit_test(scrub_long_secret_everywhere),
        cmocka_unit_test(scrub_empty_and_null),
        cmocka_unit_test(scrub_never_grows_the_buffer),
        cmocka_unit_test(hide_values_rewrites_details),
        cmocka_unit_test(scrub_values_masks_text_parameters),
        cmocka_unit_test(scrub_values_masks_a_truncated_tail),
        cmocka_unit_test(arena_refuses_sizes_that_wrap),
        cmocka_unit_test(env_rejects_out_of_range_settings),
        cmocka_unit_test(time_format_extremes_are_defined),
        cmocka_unit_test(error_and_name_helpers_accept_anything),
        cmocka_unit_test(malformed_database_url_hides_the_password),
        cmocka_unit_test(migrate_connect_error_hides_the_password),
    };
    const struct CMUnitTest online[] = {
        cmocka_unit_test(query_executors_refuse_null_arguments),
        cmocka_unit_test(text_parameters_reject_bad_utf8_and_huge_strings),
        cmocka_unit_test(copy_rows_refuses_null_arguments),
        cmocka_unit_test(pool_open_rejects_out_of_range_settings),
        cmocka_unit_test(time_infinities_round_trip),
        cmocka_unit_test(pool_and_config_calls_refuse_null),
        cmocka_unit_test(exec_and_tx_calls_refuse_null),
        cmocka_unit_test(health_and_report_calls_refuse_null),
        cmocka_unit_test(null_stats_and_cache_calls_survive),
        cmocka_unit_test(exec_secret_conflict_hides_value),
    };
    int failed = cmocka_run_group_tests_name("badargs_offline", offline, NULL, NULL);
    return failed + cmocka_run_group_tests_name("badargs", online, setup, teardown);
}
