/* Every column type of types.yaml written through the generated create and
 * read back through the generated get: a value, the edge values where they
 * matter, and NULL (issue 15, generator point 0). Built and run by
 * tests/generator/test_types.c; DDL_PATH names the DDL (extensions first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sc_testkit.h"
#include "ty_samples.h"

static char database[64], conninfo[4096];
static sc_pool *pool;
static sc_conn *conn;
static sc_arena *arena;

static const int64_t USEC = 1000000;

static void expect_ok(int rc, const sc_error *err)
{
    if (rc != SC_OK)
        fail_msg("status %d: %s", rc, err->message);
}

/* Creates in, reads the row back by its id. */
static ty_sample round_trip(const ty_sample_new *in)
{
    sc_error err = {0};
    ty_sample made, got;
    expect_ok(ty_samples_create(conn, arena, in, &made, &err), &err);
    expect_ok(ty_samples_get(conn, arena, made.id, &got, &err), &err);
    return got;
}

/* What the server itself says about row id: one boolean. */
static void server_agrees(int32_t id, const char *condition)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT (%s)::text FROM tyt.samples WHERE id = %d", condition, id);
    sc_error err = {0};
    PGresult *r = NULL;
    expect_ok(sc_exec_sql(conn, sql, &r, &err), &err);
    assert_int_equal(PQntuples(r), 1);
    if (strcmp(PQgetvalue(r, 0, 0), "true") != 0)
        fail_msg("the server does not agree: %s", condition);
    PQclear(r);
}

static void null_in_every_column(void **state)
{
    (void)state;
    ty_sample got = round_trip(&(ty_sample_new){0});
    assert_false(got.has_at_time || got.has_at_timetz || got.has_price || got.has_spot ||
                 got.has_span || got.has_span8 || got.has_period || got.has_days);
    assert_null(got.addr);
    assert_null(got.net);
    assert_null(got.mac);
    assert_null(got.code);
    assert_null(got.doc);
    assert_null(got.flags);
    assert_null(got.bits);
    assert_null(got.name_ci);
    assert_null(got.attrs);
    assert_null(got.path);
    assert_null(got.query);
}

static void times_of_day(void **state)
{
    (void)state;
    int64_t noon = 12 * 3600 * USEC + 345678;
    ty_sample got = round_trip(&(ty_sample_new){
        .at_time = noon, .has_at_time = true,
        .at_timetz = {noon, -(5 * 3600 + 30 * 60)}, .has_at_timetz = true});
    assert_true(got.has_at_time);
    assert_int_equal(got.at_time, noon);
    assert_int_equal(got.at_timetz.usec, noon);
    assert_int_equal(got.at_timetz.offset_s, -(5 * 3600 + 30 * 60));
    server_agrees(got.id, "at_time = '12:00:00.345678' AND at_timetz = '12:00:00.345678-05:30'");
    /* 24:00:00 is a time of day too; +14:00 the largest offset in use. */
    got = round_trip(&(ty_sample_new){.at_time = 24 * 3600 * USEC, .has_at_time = true,
                                      .at_timetz = {0, 14 * 3600}, .has_at_timetz = true});
    assert_int_equal(got.at_time, 24 * 3600 * USEC);
    assert_int_equal(got.at_timetz.usec, 0);
    assert_int_equal(got.at_timetz.offset_s, 14 * 3600);
    server_agrees(got.id, "at_time = '24:00:00' AND at_timetz = '00:00:00+14'");
}

static void a_time_past_midnight_is_refused(void **state)
{
    (void)state;
    sc_error err = {0};
    ty_sample made;
    int rc = ty_samples_create(conn, arena, &(ty_sample_new){.at_time = 24 * 3600 * USEC + 1,
                                                             .has_at_time = true},
                               &made, &err);
    assert_int_equal(rc, SC_INVALID_INPUT);
    assert_non_null(strstr(err.message, "at_time"));
}

static void money(void **state)
{
    (void)state;
    ty_sample got = round_trip(&(ty_sample_new){.price = -123456, .has_price = true});
    assert_int_equal(got.price, -123456);
    server_agrees(got.id, "price = '-1234.56'::money");
    got = round_trip(&(ty_sample_new){.price = INT64_MAX, .has_price = true});
    assert_int_equal(got.price, INT64_MAX);
}

static void network_addresses(void **state)
{
    (void)state;
    ty_sample got = round_trip(&(ty_sample_new){.addr = "192.168.1.5/24", .net = "10.0.0.0/8",
                                                .mac = "08:00:2B:01:02:03"});
    assert_string_equal(got.addr, "192.168.1.5/24");
    assert_string_equal(got.net, "10.0.0.0/8");
    assert_string_equal(got.mac, "08:00:2b:01:02:03");
    got = round_trip(&(ty_sample_new){.addr = "2001:db8::1", .net = "2001:db8::/32"});
    assert_string_equal(got.addr, "2001:db8::1");
    assert_string_equal(got.net, "2001:db8::/32");
    got = round_trip(&(ty_sample_new){.addr = "::ffff:1.2.3.4"});
    assert_string_equal(got.addr, "::ffff:1.2.3.4");
    server_agrees(got.id, "addr = '::ffff:1.2.3.4'::inet");
}

static void a_malformed_address_is_a_clear_error(void **state)
{
    (void)state;
    sc_error err = {0};
    ty_sample made;
    int rc = ty_samples_create(conn, arena, &(ty_sample_new){.addr = "300.1.2.3"}, &made, &err);
    assert_int_not_equal(rc, SC_OK);
    assert_non_null(strstr(err.message, "invalid input syntax for type inet"));
    /* The connection is still good. */
    ty_sample got = round_trip(&(ty_sample_new){.addr = "127.0.0.1"});
    assert_string_equal(got.addr, "127.0.0.1");
}

static void text_forms(void **state)
{
    (void)state;
    ty_sample got = round_trip(&(ty_sample_new){
        .code = "ab", .doc = "<a x=\"1\">&amp;</a>", .flags = "1010", .bits = "110010011",
        .name_ci = "MiXeD", .attrs = "a=>1, \"b c\"=>NULL", .path = "top.science.astronomy",
        .query = "fat & (rat | cat)"});
    assert_string_equal(got.code, "ab  "); /* char(4) pads */
    assert_string_equal(got.doc, "<a x=\"1\">&amp;</a>");
    assert_string_equal(got.flags, "1010");
    assert_string_equal(got.bits, "110010011");
    assert_string_equal(got.name_ci, "MiXeD");
    assert_string_equal(got.attrs, "\"a\"=>\"1\", \"b c\"=>NULL");
    assert_string_equal(got.path, "top.science.astronomy");
    assert_string_equal(got.query, "'fat' & ( 'rat' | 'cat' )");
    /* As text: the extensions' operators are not on the session's search_path. */
    server_agrees(got.id, "name_ci::text = 'MiXeD' AND attrs::text = '\"a\"=>\"1\", \"b c\"=>NULL' "
                          "AND path::text = 'top.science.astronomy'");
    got = round_trip(&(ty_sample_new){.bits = "", .attrs = "", .path = ""});
    assert_string_equal(got.bits, "");
    assert_string_equal(got.attrs, "");
    assert_string_equal(got.path, "");
}

static void a_point(void **state)
{
    (void)state;
    ty_sample got = round_trip(&(ty_sample_new){.spot = {-1.5, 1e300}, .has_spot = true});
    assert_true(got.spot.x == -1.5 && got.spot.y == 1e300);
    got = round_trip(&(ty_sample_new){.spot = {0.1, 1.0 / 3}, .has_spot = true});
    assert_true(got.spot.x == 0.1 && got.spot.y == 1.0 / 3);
}

static void ranges(void **state)
{
    (void)state;
    /* (1,5] is [2,6) once the server has canonicalized it. */
    ty_sample got = round_trip(&(ty_sample_new){
        .span = {.nonempty = true, .lower = 1, .upper = 5, .upper_inc = true}, .has_span = true,
        .span8 = {.nonempty = true, .lower_inf = true, .upper = INT64_MAX - 1}, .has_span8 = true});
    assert_true(got.span.nonempty && got.span.lower_inc && !got.span.upper_inc);
    assert_int_equal(got.span.lower, 2);
    assert_int_equal(got.span.upper, 6);
    assert_true(got.span8.lower_inf && !got.span8.upper_inf);
    assert_int_equal(got.span8.upper, INT64_MAX - 1);
    server_agrees(got.id, "span = '[2,6)' AND span8 = '(,9223372036854775806)'");
    /* Empty, and unbounded on both sides. */
    got = round_trip(&(ty_sample_new){.span = {0}, .has_span = true,
                                      .span8 = {.nonempty = true, .lower_inf = true, .upper_inf = true},
                                      .has_span8 = true});
    assert_true(got.has_span && !got.span.nonempty);
    assert_true(got.span8.nonempty && got.span8.lower_inf && got.span8.upper_inf);
    server_agrees(got.id, "isempty(span) AND span8 = '(,)'");
    /* Times keep their bounds' inclusivity; dates are canonical too. */
    sc_time t0 = 1767225600 * USEC + 1; /* 2026-01-01 00:00:00.000001 UTC */
    got = round_trip(&(ty_sample_new){
        .period = {.nonempty = true, .lower = t0, .upper = t0 + 3600 * USEC, .upper_inc = true},
        .has_period = true,
        .days = {.nonempty = true, .lower = 20454, .upper = 20454, .lower_inc = true,
                 .upper_inc = true},
        .has_days = true});
    assert_true(!got.period.lower_inc && got.period.upper_inc);
    assert_true(got.period.lower == t0 && got.period.upper == t0 + 3600 * USEC);
    assert_true(got.days.lower_inc && !got.days.upper_inc);
    assert_int_equal(got.days.lower, 20454);
    assert_int_equal(got.days.upper, 20455);
    server_agrees(got.id, "period = '(2026-01-01 00:00:00.000001+00,2026-01-01 01:00:00.000001+00]' "
                          "AND days = '[2026-01-01,2026-01-02)'");
}

/* The rule: a type the runtime does not decode is never read in binary as
 * text. SELECT * reads hstore through its ::text cast (text_forms); a query
 * that reads it without one gets an error naming the column. */
static void binary_hstore_is_never_taken_for_text(void **state)
{
    (void)state;
    ty_sample got = round_trip(&(ty_sample_new){.attrs = "k=>v"});
    sc_error err = {0};
    ty_samples_attrs_uncast_row row;
    int rc = ty_samples_attrs_uncast(conn, arena, got.id, &row, &err);
    assert_int_equal(rc, SC_DATABASE);
    assert_non_null(strstr(err.message, "column 'attrs'"));
    assert_non_null(strstr(err.message, "::text"));
}

static int setup(void **state)
{
    (void)state;
    char why[1024];
    snprintf(database, sizeof database, "t_ty_roundtrip_%d", (int)getpid());
    if (sc_testkit_create_database(database, getenv("DDL_PATH"), conninfo, sizeof conninfo, why,
                                   sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = conninfo;
    cfg.pool_size = 1;
    cfg.pooler = sc_testkit_pooler();
    sc_error err = {0};
    if (sc_pool_open(&cfg, &pool, &err) != SC_OK || sc_pool_acquire(pool, &conn, &err) != SC_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    arena = sc_arena_new(0);
    return arena ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char why[1024];
    sc_arena_free(arena);
    sc_pool_release(pool, conn);
    sc_pool_close(pool);
    return sc_testkit_drop_database(database, why, sizeof why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(null_in_every_column),
        cmocka_unit_test(times_of_day),
        cmocka_unit_test(a_time_past_midnight_is_refused),
        cmocka_unit_test(money),
        cmocka_unit_test(network_addresses),
        cmocka_unit_test(a_malformed_address_is_a_clear_error),
        cmocka_unit_test(text_forms),
        cmocka_unit_test(a_point),
        cmocka_unit_test(ranges),
        cmocka_unit_test(binary_hstore_is_never_taken_for_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
