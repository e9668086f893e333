/* The fixture of the generated cmocka tests (generated/tests/): one
 * connection inside a transaction that the teardown rolls back, so no test
 * sees another's rows, and the helpers the tests call. Include after
 * <cmocka.h>; failures report the line of the test, not of the helper.
 *
 *   static int begin(void **state) { return sc_fx_begin(pool, state); }
 *   static int rollback(void **state) { return sc_fx_rollback(pool, state); }
 *   ...
 *   sc_fx *fx = *state;
 *   sc_fx_insert(fx, rows);            -- then SAVEPOINT before the call
 *   sc_fx_expect_status(fx, rc, SC_OK); -- a failed call is rolled back to it
 *   sc_fx_check(fx, "SELECT ...");      -- one row, one column, true
 */
#ifndef SC_TESTFX_H
#define SC_TESTFX_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "sc_query.h"
#include "schemac.h"

typedef struct sc_fx {
    sc_conn *conn;
    sc_arena *arena;
    sc_error err;             /* of the call under test */
    json_t *json[32];         /* made by sc_fx_json, freed by the teardown */
    size_t njson;
} sc_fx;

#define SC_FX_FAIL_AT(file, line, ...) (print_error(__VA_ARGS__), _fail(file, line))
#define sc_fx_exec(fx, sql) sc_fx_exec_at(fx, sql, __FILE__, __LINE__)
#define sc_fx_insert(fx, rows) sc_fx_insert_at(fx, rows, __FILE__, __LINE__)
#define sc_fx_expect_status(fx, rc, want) sc_fx_expect_status_at(fx, rc, want, __FILE__, __LINE__)
#define sc_fx_expect_rows(n, want) sc_fx_expect_rows_at(n, want, __FILE__, __LINE__)
#define sc_fx_check(fx, sql) sc_fx_check_at(fx, sql, __FILE__, __LINE__)
#define sc_fx_assert_json(got, want) sc_fx_assert_json_at(got, want, __FILE__, __LINE__)

static inline void sc_fx_exec_at(sc_fx *fx, const char *sql, const char *file, int line)
{
    sc_error err = {0};
    if (sc_exec_sql(fx->conn, sql, NULL, &err) != SC_OK)
        SC_FX_FAIL_AT(file, line, "ERROR: %s\n  in: %s\n", err.message, sql);
}

/* The rows of the fixture (NULL-terminated), then the savepoint the call
 * is rolled back to when it fails. */
static inline void sc_fx_insert_at(sc_fx *fx, const char *const *rows, const char *file, int line)
{
    for (size_t i = 0; rows && rows[i]; i++)
        sc_fx_exec_at(fx, rows[i], file, line);
    sc_fx_exec_at(fx, "SAVEPOINT sc_fx_call", file, line);
}

static inline void sc_fx_expect_status_at(sc_fx *fx, int rc, int want, const char *file, int line)
{
    if (rc != want)
        SC_FX_FAIL_AT(file, line, "ERROR: returned %s, expected %s: %s\n", sc_status_name(rc),
                      sc_status_name(want), fx->err.message);
    if (rc != SC_OK) /* a failed statement aborts the transaction */
        sc_fx_exec_at(fx, "ROLLBACK TO SAVEPOINT sc_fx_call", file, line);
}

static inline void sc_fx_expect_rows_at(size_t n, size_t want, const char *file, int line)
{
    if (n != want)
        SC_FX_FAIL_AT(file, line, "ERROR: %zu rows came back, expected %zu\n", n, want);
}

static inline void sc_fx_check_at(sc_fx *fx, const char *sql, const char *file, int line)
{
    PGresult *res = NULL;
    sc_error err = {0};
    if (sc_exec_sql(fx->conn, sql, &res, &err) != SC_OK)
        SC_FX_FAIL_AT(file, line, "ERROR: check failed to run: %s\n  in: %s\n", err.message, sql);
    bool ok = PQntuples(res) == 1 && PQnfields(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!ok)
        SC_FX_FAIL_AT(file, line, "ERROR: check is not true: %s\n", sql);
}

/* A JSON value that lives until the teardown. */
static inline json_t *sc_fx_json(sc_fx *fx, const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    assert_true(fx->njson < sizeof fx->json / sizeof *fx->json);
    return fx->json[fx->njson++] = j;
}

static inline void sc_fx_assert_json_at(const json_t *got, const char *want, const char *file,
                                        int line)
{
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    bool same = got && w && json_equal(got, w);
    json_decref(w);
    if (same)
        return;
    char *text = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    print_error("ERROR: JSON %s, expected %s\n", text ? text : "NULL", want);
    free(text);
    _fail(file, line);
}

/* The server reads the time, so every PostgreSQL spelling works. */
static inline sc_time sc_fx_time(sc_fx *fx, const char *text)
{
    const char *values[1] = {text};
    PGresult *res = PQexecParams(sc_conn_pg(fx->conn),
                                 "SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::bigint",
                                 1, NULL, values, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    sc_time t = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return t;
}

/* cmocka setup: a connection from pool inside a new transaction. */
static inline int sc_fx_begin(sc_pool *pool, void **state)
{
    sc_fx *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (sc_pool_acquire(pool, &fx->conn, &fx->err) != SC_OK) {
        free(fx);
        return -1;
    }
    if (sc_tx_begin(fx->conn, NULL, &fx->err) != SC_OK) {
        sc_pool_release(pool, fx->conn);
        free(fx);
        return -1;
    }
    fx->arena = sc_arena_new(0);
    *state = fx;
    return 0;
}

/* cmocka teardown: everything the test wrote is rolled back. */
static inline int sc_fx_rollback(sc_pool *pool, void **state)
{
    sc_fx *fx = *state;
    sc_error err = {0};
    int rc = sc_tx_rollback(fx->conn, &err);
    sc_pool_release(pool, fx->conn);
    sc_arena_free(fx->arena);
    for (size_t i = 0; i < fx->njson; i++)
        json_decref(fx->json[i]);
    free(fx);
    return rc == SC_OK ? 0 : -1;
}

#endif
