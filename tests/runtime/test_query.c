/* The typed executor (sc_query.h) against the real server: every column type
 * round-trips with and without NULLs, arguments are checked before the round
 * trip, and a computed partition key lands rows in the right partition. The
 * descriptors are written by hand exactly as the generator emits them. */
#include "rt_helpers.h"

#include <math.h>

#include "sc_query.h"
#include "sc_query_internal.h"

static const char *const mood_labels[] = {"sad", "ok", "happy"};
static const sc_enum_desc mood = {"qt_mood", 3, mood_labels};

typedef struct qt_row {
    int32_t id;
    int16_t i16; bool has_i16;
    int32_t i32; bool has_i32;
    int64_t i64; bool has_i64;
    bool b; bool has_b;
    float f4; bool has_f4;
    double f8; bool has_f8;
    char *num;
    char *txt;
    char *vc;
    char *u;
    sc_time ts; bool has_ts;
    int32_t d; bool has_d;
    sc_interval iv; bool has_iv;
    json_t *js;
    json_t *jb;
    sc_bytes by;
    char *tv;
    int mood; bool has_mood;
    sc_array tags;
    sc_array nums;
} qt_row;

#define F(name, kind, flag) \
    {#name, kind, false, SC_F_NULLABLE, offsetof(qt_row, name), flag, 0, NULL}
#define HAS(name) offsetof(qt_row, has_##name)

static const sc_field qt_fields[] = {
    {"id", SC_K_INT32, false, 0, offsetof(qt_row, id), SC_NO_FLAG, 0, NULL},
    F(i16, SC_K_INT16, HAS(i16)),
    F(i32, SC_K_INT32, HAS(i32)),
    F(i64, SC_K_INT64, HAS(i64)),
    F(b, SC_K_BOOL, HAS(b)),
    F(f4, SC_K_FLOAT4, HAS(f4)),
    F(f8, SC_K_FLOAT8, HAS(f8)),
    F(num, SC_K_NUMERIC, SC_NO_FLAG),
    F(txt, SC_K_TEXT, SC_NO_FLAG),
    {"vc", SC_K_TEXT, false, SC_F_NULLABLE, offsetof(qt_row, vc), SC_NO_FLAG, 5, NULL},
    F(u, SC_K_UUID, SC_NO_FLAG),
    F(ts, SC_K_TIME, HAS(ts)),
    F(d, SC_K_DATE, HAS(d)),
    F(iv, SC_K_INTERVAL, HAS(iv)),
    F(js, SC_K_JSON, SC_NO_FLAG),
    F(jb, SC_K_JSONB, SC_NO_FLAG),
    F(by, SC_K_BYTES, SC_NO_FLAG),
    F(tv, SC_K_TSVECTOR, SC_NO_FLAG),
    {"mood", SC_K_ENUM, false, SC_F_NULLABLE, offsetof(qt_row, mood), HAS(mood), 0, &mood},
    {"tags", SC_K_TEXT, true, SC_F_NULLABLE, offsetof(qt_row, tags), SC_NO_FLAG, 0, NULL},
    {"nums", SC_K_INT32, true, SC_F_NULLABLE, offsetof(qt_row, nums), SC_NO_FLAG, 0, NULL},
};

static const sc_row_desc qt_desc = {"qt_row", sizeof(qt_row), 21, qt_fields};

#define COLS "i16, i32, i64, b, f4, f8, num, txt, vc, u, ts, d, iv, js, jb, by, tv, mood, tags, nums"
static const sc_query qt_insert = {
    {"qt_insert",
     "INSERT INTO qt_all (" COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
     "$13, $14, $15, $16, $17, $18, $19, $20) RETURNING id, " COLS,
     20, NULL, NULL},
    qt_fields + 1,
    &qt_desc,
    {0, 0, 0},
    0,
    0,
    NULL,
};

static const sc_field id_param[] = {
    {"id", SC_K_INT32, false, 0, offsetof(qt_row, id), SC_NO_FLAG, 0, NULL},
};
static const sc_query qt_get = {
    {"qt_get", "SELECT id, " COLS " FROM qt_all WHERE id = $1", 1, NULL, NULL},
    id_param, &qt_desc, {0, 0, 0}, 0, 0, NULL,
};
static const sc_query qt_delete = {
    {"qt_delete", "DELETE FROM qt_all WHERE id >= $1", 1, NULL, NULL},
    id_param, NULL, {0, 0, 0}, 0, 0, NULL,
};
static const sc_query qt_count = {
    {"qt_count", "SELECT count(*) FROM qt_all WHERE id >= $1", 1, NULL, NULL},
    id_param, NULL, {0, 0, 0}, 0, 0, NULL,
};
static const sc_query qt_list = {
    {"qt_list", "SELECT id, " COLS " FROM qt_all WHERE id >= $1 ORDER BY id", 1, NULL, NULL},
    id_param, &qt_desc, {0, 0, 0}, 0, 0, NULL,
};

typedef struct fixture {
    sc_pool *pool;
    sc_conn *conn;
    sc_arena *arena;
} fixture;

static int setup(void **state)
{
    PGconn *pg = rt_raw();
    rt_raw_exec(pg, "SET client_min_messages = warning; DROP TABLE IF EXISTS qt_all; DROP TABLE IF EXISTS qt_parts; "
                    "DROP TABLE IF EXISTS qt_copy_bin; DROP TABLE IF EXISTS qt_copy_txt; "
                    "DROP TYPE IF EXISTS qt_mood; "
                    "CREATE TYPE qt_mood AS ENUM ('sad', 'ok', 'happy');"
                    "CREATE TABLE qt_all (id serial PRIMARY KEY, i16 smallint, i32 integer, "
                    "i64 bigint, b boolean, f4 real, f8 double precision, num numeric(14,4), "
                    "txt text, vc varchar(5), u uuid, ts timestamptz, d date, iv interval, "
                    "js json, jb jsonb, by bytea, tv tsvector, mood qt_mood, tags text[], "
                    "nums int4[]);"
                    "CREATE TABLE qt_copy_bin (LIKE qt_all INCLUDING DEFAULTS); CREATE TABLE qt_copy_txt (LIKE qt_all INCLUDING DEFAULTS);"
                    "CREATE TABLE qt_parts (bucket text NOT NULL, pkey integer NOT NULL, "
                    "CHECK (pkey = abs(hashtext(bucket)::bigint) % 4)) PARTITION BY LIST (pkey);"
                    "CREATE TABLE qt_parts_0 PARTITION OF qt_parts FOR VALUES IN (0);"
                    "CREATE TABLE qt_parts_1 PARTITION OF qt_parts FOR VALUES IN (1);"
                    "CREATE TABLE qt_parts_2 PARTITION OF qt_parts FOR VALUES IN (2);"
                    "CREATE TABLE qt_parts_3 PARTITION OF qt_parts FOR VALUES IN (3);");
    PQfinish(pg);
    fixture *f = calloc(1, sizeof *f);
    f->pool = rt_pool(1, 0);
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(f->pool, &f->conn, &e), SC_OK);
    f->arena = sc_arena_new(0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sc_pool_release(f->pool, f->conn);
    sc_pool_close(f->pool);
    sc_arena_free(f->arena);
    free(f);
    return 0;
}

static void full_row(qt_row *r, json_t *js, json_t *jb)
{
    static char *tags[] = {"a \"quoted\" tag", "back\\slash", NULL, "ünïcödé"};
    static int32_t nums[] = {1, -2, 2147483647};
    static const unsigned char bytes[] = {0, 1, 2, 255, 0};
    memset(r, 0, sizeof *r);
    r->i16 = -32768, r->has_i16 = true;
    r->i32 = 2147483647, r->has_i32 = true;
    r->i64 = INT64_MIN, r->has_i64 = true;
    r->b = true, r->has_b = true;
    r->f4 = 1.5f, r->has_f4 = true;
    r->f8 = -0.1, r->has_f8 = true;
    r->num = "-12345678.0001";
    r->txt = "it's \"text\" with ünïcödé";
    r->vc = "fünf!";
    r->u = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";
    r->ts = -1234567890123456LL, r->has_ts = true; /* 1930-11-18, before the epochs */
    r->d = 20000, r->has_d = true;
    r->iv = (sc_interval){3723000001LL, -4, 14}, r->has_iv = true;
    r->js = js;
    r->jb = jb;
    r->by = (sc_bytes){bytes, sizeof bytes};
    r->tv = "'cat':3A 'sat':2,4B";
    r->mood = 2, r->has_mood = true;
    r->tags = (sc_array){4, tags};
    r->nums = (sc_array){3, nums};
}

static void every_type_round_trips(void **state)
{
    fixture *f = *state;
    json_t *js = json_pack("{s:i, s:[s, n]}", "a", 1, "b", "x");
    json_t *jb = json_pack("{s:b}", "ok", 1);
    qt_row in, out;
    full_row(&in, js, jb);
    sc_error e = {0};
    assert_int_equal(sc_query_one(f->conn, &qt_insert, &in, f->arena, &out, &e), SC_OK);
    qt_row got;
    assert_int_equal(sc_query_one(f->conn, &qt_get, &out, f->arena, &got, &e), SC_OK);
    assert_int_equal(got.id, out.id);
    assert_true(got.has_i16 && got.i16 == -32768);
    assert_true(got.has_i32 && got.i32 == 2147483647);
    assert_true(got.has_i64 && got.i64 == INT64_MIN);
    assert_true(got.has_b && got.b);
    assert_true(got.has_f4 && got.f4 == 1.5f);
    assert_true(got.has_f8 && got.f8 == -0.1);
    assert_string_equal(got.num, "-12345678.0001");
    assert_string_equal(got.txt, in.txt);
    assert_string_equal(got.vc, "fünf!");
    assert_string_equal(got.u, "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
    assert_true(got.has_ts && got.ts == in.ts);
    assert_true(got.has_d && got.d == 20000);
    assert_true(got.has_iv && got.iv.usec == 3723000001LL && got.iv.days == -4 &&
                got.iv.months == 14);
    assert_true(json_equal(got.js, js));
    assert_true(json_equal(got.jb, jb));
    assert_int_equal(got.by.len, 5);
    assert_memory_equal(got.by.data, in.by.data, 5);
    assert_string_equal(got.tv, "'cat':3A 'sat':2,4B");
    assert_true(got.has_mood && got.mood == 2);
    assert_int_equal(got.tags.n, 4);
    assert_string_equal(((char **)got.tags.items)[0], "a \"quoted\" tag");
    assert_string_equal(((char **)got.tags.items)[1], "back\\slash");
    assert_null(((char **)got.tags.items)[2]);
    assert_string_equal(((char **)got.tags.items)[3], "ünïcödé");
    assert_int_equal(got.nums.n, 3);
    assert_int_equal(((int32_t *)got.nums.items)[1], -2);
    json_decref(js);
    json_decref(jb);
    sc_arena_reset(f->arena);
}

static void nulls_round_trip(void **state)
{
    fixture *f = *state;
    qt_row in, out;
    memset(&in, 0, sizeof in);
    sc_error e = {0};
    assert_int_equal(sc_query_one(f->conn, &qt_insert, &in, f->arena, &out, &e), SC_OK);
    assert_true(out.id > 0);
    assert_false(out.has_i16 || out.has_i32 || out.has_i64 || out.has_b || out.has_f4 ||
                 out.has_f8 || out.has_ts || out.has_d || out.has_iv || out.has_mood);
    assert_null(out.num);
    assert_null(out.txt);
    assert_null(out.u);
    assert_null(out.js);
    assert_null(out.by.data);
    assert_null(out.tv);
    assert_null(out.tags.items);
    sc_arena_reset(f->arena);
}

/* Each bad argument is refused before anything reaches the server. */
static void bad_arguments_are_refused_before_the_round_trip(void **state)
{
    fixture *f = *state;
    qt_row base, r, out;
    memset(&base, 0, sizeof base);
    base.id = 0;
    int64_t before = 0;
    sc_error e = {0};
    assert_int_equal(sc_query_count(f->conn, &qt_count, &base, &before, &e), SC_OK);

    struct { const char *what; void (*set)(qt_row *); const char *message; } cases[] = {
        {"uuid", NULL, "parameter 'u' is not a UUID v4: 'not-a-uuid'"},
        {"uuid v1", NULL, "parameter 'u' is not a UUID v4: 'c232ab00-9414-11ec-b3c8-9f6bdeced846'"},
        {"varchar", NULL, "parameter 'vc' is 6 characters long; at most 5 are allowed"},
        {"utf8", NULL, "parameter 'txt' is not valid UTF-8"},
        {"enum", NULL, "parameter 'mood' is not a value of enum qt_mood"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r = base;
        if (i == 0) r.u = "not-a-uuid";
        if (i == 1) r.u = "c232ab00-9414-11ec-b3c8-9f6bdeced846";
        if (i == 2) r.vc = "sechs!";
        if (i == 3) r.txt = "bad \xC3\x28 byte";
        if (i == 4) r.mood = 7, r.has_mood = true;
        memset(&e, 0, sizeof e);
        assert_int_equal(sc_query_one(f->conn, &qt_insert, &r, f->arena, &out, &e),
                         SC_INVALID_INPUT);
        assert_int_equal(e.category, SC_INVALID_INPUT);
        assert_string_equal(e.message, cases[i].message);
    }
    int64_t after = 0;
    assert_int_equal(sc_query_count(f->conn, &qt_count, &base, &after, &e), SC_OK);
    assert_int_equal(after, before);
}

static void not_null_parameter_refuses_null(void **state)
{
    (void)state;
    static const sc_field must[] = {
        {"txt", SC_K_TEXT, false, 0, offsetof(qt_row, txt), SC_NO_FLAG, 0, NULL},
    };
    static const sc_query q = {{"qt_must", "SELECT $1::text", 1, NULL, NULL}, must, NULL,
                               {0, 0, 0}, 0, 0, NULL};
    qt_row r;
    memset(&r, 0, sizeof r);
    sc_error e = {0};
    assert_int_equal(sc_query_check_args(&q, &r, &e), SC_INVALID_INPUT);
    assert_string_equal(e.message, "parameter 'txt' is NULL but may not be");
}

static void many_count_and_exec(void **state)
{
    fixture *f = *state;
    qt_row in, out, from;
    memset(&in, 0, sizeof in);
    sc_error e = {0};
    assert_int_equal(sc_query_one(f->conn, &qt_insert, &in, f->arena, &out, &e), SC_OK);
    from = out;
    for (int i = 0; i < 4; i++)
        assert_int_equal(sc_query_one(f->conn, &qt_insert, &in, f->arena, &out, &e), SC_OK);
    qt_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(sc_query_many(f->conn, &qt_list, &from, f->arena, (void **)&rows, &n, &e),
                     SC_OK);
    assert_int_equal(n, 5);
    assert_int_equal(rows[0].id, from.id);
    assert_int_equal(rows[4].id, out.id);
    int64_t count = 0, affected = 0;
    assert_int_equal(sc_query_count(f->conn, &qt_count, &from, &count, &e), SC_OK);
    assert_int_equal(count, 5);
    assert_int_equal(sc_query_exec(f->conn, &qt_delete, &from, &affected, &e), SC_OK);
    assert_int_equal(affected, 5);
    assert_int_equal(sc_query_one(f->conn, &qt_get, &from, f->arena, &out, &e), SC_NOT_FOUND);
    sc_arena_reset(f->arena);
}

typedef struct part_args {
    char *bucket;
    int32_t pkey;
} part_args;

static void computed_partition_key_routes_rows(void **state)
{
    fixture *f = *state;
    static const sc_field params[] = {
        {"bucket", SC_K_TEXT, false, 0, offsetof(part_args, bucket), SC_NO_FLAG, 0, NULL},
        {"pkey", SC_K_INT32, false, SC_F_COMPUTED, offsetof(part_args, pkey), SC_NO_FLAG, 0, NULL},
    };
    static const sc_query insert = {
        {"qt_part_insert", "INSERT INTO qt_parts (bucket, pkey) VALUES ($1, $2)", 2, NULL, NULL},
        params, NULL, {2, 1, 4}, 0, 0, NULL,
    };
    static const char *const buckets[] = {"B7V3LXmFOyCa", "alpha", "beta", "gamma", "δέλτα"};
    for (size_t i = 0; i < 5; i++) {
        part_args a = {(char *)buckets[i], -1};
        sc_error e = {0};
        assert_int_equal(sc_query_exec(f->conn, &insert, &a, NULL, &e), SC_OK);
    }
    PGconn *pg = rt_raw();
    PGresult *r = PQexec(pg, "SELECT count(*) FROM qt_parts WHERE pkey = abs(hashtext(bucket)::bigint) % 4");
    assert_string_equal(PQgetvalue(r, 0, 0), "5");
    PQclear(r);
    PQfinish(pg);
}

/* COPY writes binary when every column allows it and text otherwise; both
 * must store the same values. qt_copy_bin gets the columns with a client-side
 * binary form, qt_copy_txt the same plus numeric, which keeps it in text. */
#define COPY_COLS "i16, i32, i64, b, f4, f8, txt, vc, ts, d, iv, js, jb, by, mood"
static const sc_field copy_fields[] = {
    F(i16, SC_K_INT16, HAS(i16)), F(i32, SC_K_INT32, HAS(i32)), F(i64, SC_K_INT64, HAS(i64)),
    F(b, SC_K_BOOL, HAS(b)), F(f4, SC_K_FLOAT4, HAS(f4)), F(f8, SC_K_FLOAT8, HAS(f8)),
    F(txt, SC_K_TEXT, SC_NO_FLAG),
    {"vc", SC_K_TEXT, false, SC_F_NULLABLE, offsetof(qt_row, vc), SC_NO_FLAG, 5, NULL},
    F(ts, SC_K_TIME, HAS(ts)), F(d, SC_K_DATE, HAS(d)), F(iv, SC_K_INTERVAL, HAS(iv)),
    F(js, SC_K_JSON, SC_NO_FLAG), F(jb, SC_K_JSONB, SC_NO_FLAG), F(by, SC_K_BYTES, SC_NO_FLAG),
    {"mood", SC_K_ENUM, false, SC_F_NULLABLE, offsetof(qt_row, mood), HAS(mood), 0, &mood},
    F(num, SC_K_NUMERIC, SC_NO_FLAG),
};
static const sc_copy copy_bin = {"qt_copy_bin", "COPY qt_copy_bin (" COPY_COLS ") FROM STDIN",
                                 15, copy_fields, sizeof(qt_row), 2, {0, 0, 0}, NULL};
static const sc_copy copy_txt = {"qt_copy_txt", "COPY qt_copy_txt (" COPY_COLS ", num) FROM STDIN",
                                 16, copy_fields, sizeof(qt_row), 2, {0, 0, 0}, NULL};

static int64_t rows_differing(void)
{
    PGconn *pg = rt_raw();
    PGresult *r = PQexec(pg, "SELECT count(*) FROM ("
                             "(SELECT i16, i32, i64, b, f4, f8, txt, vc, ts, d, iv, js::text, jb, by, mood FROM qt_copy_bin"
                             " EXCEPT ALL SELECT i16, i32, i64, b, f4, f8, txt, vc, ts, d, iv, js::text, jb, by, mood FROM qt_copy_txt)"
                             " UNION ALL "
                             "(SELECT i16, i32, i64, b, f4, f8, txt, vc, ts, d, iv, js::text, jb, by, mood FROM qt_copy_txt"
                             " EXCEPT ALL SELECT i16, i32, i64, b, f4, f8, txt, vc, ts, d, iv, js::text, jb, by, mood FROM qt_copy_bin)) AS d");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(pg);
    return n;
}

static int64_t count_of(const char *table)
{
    PGconn *pg = rt_raw();
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    PGresult *r = PQexec(pg, sql);
    int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(pg);
    return n;
}

static void copy_binary_and_text_store_the_same(void **state)
{
    fixture *f = *state;
    assert_true(sc_copy_binary_ok(&copy_bin));
    assert_false(sc_copy_binary_ok(&copy_txt));
    json_t *js = json_pack("{s:i, s:[s, n]}", "a", 1, "b", "x");
    json_t *jb = json_pack("{s:s}", "tab", "a\tb\\c");
    qt_row rows[5];
    full_row(&rows[0], js, jb);
    memset(&rows[1], 0, sizeof rows[1]); /* every column NULL */
    full_row(&rows[2], js, jb);
    rows[2].txt = "tab\there, newline\nhere, back\\slash, \\N, empty next";
    rows[2].vc = "";
    rows[2].d = -20000; /* 1915, before both epochs */
    rows[2].ts = 0;
    rows[2].i64 = INT64_MAX;
    rows[2].f8 = 1e308;
    rows[2].mood = 0;
    rows[2].by = (sc_bytes){(const unsigned char *)"", 0};
    full_row(&rows[3], js, jb);
    rows[3].ts = 946684800000000LL - 1; /* a microsecond before 2000 */
    full_row(&rows[4], js, jb);
    rows[4].iv = (sc_interval){-1, 0, -1};
    for (int i = 0; i < 5; i++)
        rows[i].num = i == 1 ? NULL : "1.5";
    sc_error e = {0};
    int64_t n = 0;
    int rc = sc_copy_rows(f->conn, &copy_bin, rows, 5, &n, &e);
    if (rc != SC_OK)
        fail_msg("%s", e.message);
    assert_int_equal(n, 5);
    assert_int_equal(sc_copy_rows(f->conn, &copy_txt, rows, 5, &n, &e), SC_OK);
    assert_int_equal(n, 5);
    assert_int_equal(rows_differing(), 0);

    /* and the values are the ones sent, not just the same mistake twice */
    PGconn *pg = rt_raw();
    PGresult *r = PQexec(pg, "SELECT count(*) FROM qt_copy_bin WHERE i16 = -32768 AND i64 = -9223372036854775808"
                             " AND f4 = 1.5 AND ts = '1930-11-18 00:28:29.876544+00' AND d = '2024-10-04'"
                             " AND iv = interval '14 months -4 days 01:02:03.000001' AND mood = 'happy'"
                             " AND by = '\\x000102ff00'::bytea AND vc = 'fünf!' AND jb = '{\"tab\": \"a\\tb\\\\c\"}'");
    assert_string_equal(PQgetvalue(r, 0, 0), "1"); /* rows[0]; 3 and 4 differ in ts, iv */
    PQclear(r);
    PQfinish(pg);

    /* a refused value aborts its whole COPY: nothing of it is stored */
    rows[3].vc = "too long";
    int64_t before = count_of("qt_copy_bin");
    assert_int_equal(sc_copy_rows(f->conn, &copy_bin, rows, 5, &n, &e), SC_INVALID_INPUT);
    assert_int_equal(n, 0);
    assert_int_equal(count_of("qt_copy_bin"), before);
    json_decref(js);
    json_decref(jb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_type_round_trips),
        cmocka_unit_test(nulls_round_trip),
        cmocka_unit_test(bad_arguments_are_refused_before_the_round_trip),
        cmocka_unit_test(not_null_parameter_refuses_null),
        cmocka_unit_test(many_count_and_exec),
        cmocka_unit_test(computed_partition_key_routes_rows),
        cmocka_unit_test(copy_binary_and_text_store_the_same),
    };
    return cmocka_run_group_tests_name("runtime/query", tests, setup, teardown);
}
