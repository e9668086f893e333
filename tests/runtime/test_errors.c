/* SQLSTATE -> category, and sc_error filled from real server errors:
 * SQLSTATE, constraint, table, message, detail. */
#include "rt_helpers.h"

static void sqlstate_map_covers_the_categories(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int cat;
    } cases[] = {
        {"23505", SC_CONFLICT},      {"23503", SC_FOREIGN_KEY},   {"23514", SC_CHECK},
        {"23502", SC_NOT_NULL},      {"40001", SC_SERIALIZATION}, {"40P01", SC_DEADLOCK},
        {"57014", SC_QUERY_TIMEOUT}, {"55P03", SC_LOCK_TIMEOUT},  {"08006", SC_CONNECTION},
        {"08001", SC_CONNECTION},    {"57P01", SC_CONNECTION},    {"25P03", SC_CONNECTION},
        {"22P02", SC_INVALID_INPUT}, {"22012", SC_INVALID_INPUT}, {"42501", SC_ACCESS_DENIED},
        {"28P01", SC_ACCESS_DENIED}, {"P0002", SC_NOT_FOUND},     {"42P01", SC_DATABASE},
        {"XX000", SC_DATABASE},      {NULL, SC_DATABASE},         {"123", SC_DATABASE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(sc_sqlstate_category(cases[i].s), cases[i].cat);
    assert_true(sc_status_is_retryable(SC_SERIALIZATION));
    assert_true(sc_status_is_retryable(SC_DEADLOCK));
    assert_true(sc_status_is_retryable(SC_CONNECTION));
    assert_false(sc_status_is_retryable(SC_COMMIT_UNKNOWN));
    assert_false(sc_status_is_retryable(SC_CONFLICT));
}

static void first_error_wins(void **state)
{
    (void)state;
    sc_error e;
    sc_error_clear(&e);
    assert_int_equal(sc_error_set(&e, SC_INVALID_INPUT, "id %s", "missing"), SC_INVALID_INPUT);
    assert_int_equal(sc_error_set(&e, SC_DATABASE, "later"), SC_DATABASE);
    assert_int_equal(e.category, SC_INVALID_INPUT);
    assert_string_equal(e.message, "id missing");
    assert_int_equal(sc_error_set(NULL, SC_CHECK, "no struct"), SC_CHECK);
}

/* SC_NOT_FOUND is an answer: the next error replaces it, once. */
static void not_found_is_replaced_by_the_next_error(void **state)
{
    (void)state;
    sc_error e = {0};
    assert_int_equal(sc_error_set(&e, SC_NOT_FOUND, "no row"), SC_NOT_FOUND);
    assert_int_equal(sc_error_set(&e, SC_ACCESS_DENIED, "not yours"), SC_ACCESS_DENIED);
    assert_int_equal(e.category, SC_ACCESS_DENIED);
    assert_string_equal(e.message, "not yours");
    assert_int_equal(sc_error_set(&e, SC_NOT_FOUND, "later"), SC_NOT_FOUND);
    assert_int_equal(e.category, SC_ACCESS_DENIED);
}

static sc_pool *pool;
static sc_conn *conn;

static int setup(void **state)
{
    (void)state;
    pool = rt_pool(2, 0);
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(pool, &conn, &e), SC_OK);
    rt_exec(conn, "DROP TABLE IF EXISTS err_child, err_parent;"
                  "CREATE TABLE err_parent (id int PRIMARY KEY, name text NOT NULL,"
                  " qty int CONSTRAINT err_qty_positive CHECK (qty > 0),"
                  " CONSTRAINT err_parent_name_key UNIQUE (name));"
                  "CREATE TABLE err_child (id int PRIMARY KEY,"
                  " parent_id int CONSTRAINT err_child_parent_fk REFERENCES err_parent(id));"
                  "INSERT INTO err_parent VALUES (1, 'one', 1);");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rt_exec(conn, "DROP TABLE IF EXISTS err_child, err_parent");
    sc_pool_release(pool, conn);
    assert_int_equal(sc_pool_close(pool), 0);
    return 0;
}

static const Oid insert_types[] = {23, 25, 23};
static const sc_stmt insert_parent = {"err_insert_parent",
                                      "INSERT INTO err_parent (id, name, qty) VALUES ($1, $2, $3)",
                                      3, insert_types, NULL};
static const Oid child_types[] = {23, 23};
static const sc_stmt insert_child = {"err_insert_child",
                                     "INSERT INTO err_child (id, parent_id) VALUES ($1, $2)", 2,
                                     child_types, NULL};

static int insert(const char *id, const char *name, const char *qty, sc_error *e)
{
    const char *v[3] = {id, name, qty};
    return sc_exec(conn, &insert_parent, v, NULL, NULL, 0, NULL, e);
}

static void unique_violation_names_constraint_table_and_detail(void **state)
{
    (void)state;
    sc_error e = {0};
    assert_int_equal(insert("2", "one", "1", &e), SC_CONFLICT);
    assert_int_equal(e.category, SC_CONFLICT);
    assert_string_equal(e.sqlstate, "23505");
    assert_string_equal(e.constraint, "err_parent_name_key");
    assert_string_equal(e.table, "err_parent");
    assert_non_null(strstr(e.message, "duplicate key"));
    assert_non_null(strstr(e.detail, "(name)=(one)"));
}

static void foreign_key_check_not_null_and_invalid_input(void **state)
{
    (void)state;
    sc_error e = {0};
    const char *v[2] = {"1", "99"};
    assert_int_equal(sc_exec(conn, &insert_child, v, NULL, NULL, 0, NULL, &e), SC_FOREIGN_KEY);
    assert_string_equal(e.constraint, "err_child_parent_fk");
    assert_string_equal(e.table, "err_child");
    assert_string_equal(e.sqlstate, "23503");

    sc_error_clear(&e);
    assert_int_equal(insert("3", "three", "0", &e), SC_CHECK);
    assert_string_equal(e.constraint, "err_qty_positive");

    sc_error_clear(&e);
    assert_int_equal(insert("4", NULL, "1", &e), SC_NOT_NULL);
    assert_string_equal(e.sqlstate, "23502");
    assert_string_equal(e.table, "err_parent");

    sc_error_clear(&e);
    assert_int_equal(insert("not a number", "x", "1", &e), SC_INVALID_INPUT);
    assert_string_equal(e.sqlstate, "22P02");

    sc_error_clear(&e);
    assert_int_equal(sc_exec_sql(conn, "SELECT 1/0", NULL, &e), SC_INVALID_INPUT);
    assert_string_equal(e.sqlstate, "22012");
}

static void access_denied_and_not_found(void **state)
{
    (void)state;
    rt_exec(conn, "DROP ROLE IF EXISTS err_nobody; CREATE ROLE err_nobody");
    rt_exec(conn, "SET ROLE err_nobody");
    sc_error e = {0};
    assert_int_equal(sc_exec_sql(conn, "SELECT * FROM err_parent", NULL, &e), SC_ACCESS_DENIED);
    assert_string_equal(e.sqlstate, "42501");
    rt_exec(conn, "RESET ROLE; DROP ROLE err_nobody");

    sc_error_clear(&e);
    assert_int_equal(sc_exec_sql(conn, "DO $$ BEGIN RAISE no_data_found; END $$", NULL, &e),
                     SC_NOT_FOUND);
    assert_string_equal(e.sqlstate, "P0002");

    sc_error_clear(&e);
    assert_int_equal(sc_exec_sql(conn, "SELECT * FROM err_no_such_table", NULL, &e), SC_DATABASE);
    assert_string_equal(e.sqlstate, "42P01");
    /* None of these errors broke the connection. */
    assert_false(sc_conn_is_broken(conn));
    assert_int_equal(rt_int(conn, "SELECT 7"), 7);
}

static void lost_connection_is_a_connection_error(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "kills the server backend of an idle connection, which PgBouncer links to none "
                             "in transaction mode");
    sc_conn *victim = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(pool, &victim, &e), SC_OK);
    int pid = rt_server_pid(victim);
    PGconn *admin = rt_raw();
    rt_terminate(admin, pid);
    PQfinish(admin);
    assert_int_equal(sc_exec_sql(victim, "SELECT 1", NULL, &e), SC_CONNECTION);
    /* libpq reports the server's parting FATAL (57P01) when it read it before
     * the end of the stream, and nothing otherwise: the category does not
     * depend on it. */
    assert_true(strcmp(e.sqlstate, "") == 0 || strcmp(e.sqlstate, "57P01") == 0);
    assert_int_equal(e.category, SC_CONNECTION);
    assert_true(e.message[0] != '\0');
    assert_true(sc_conn_is_broken(victim));
    /* Further calls say so without touching libpq. */
    sc_error again = {0};
    assert_int_equal(sc_exec_sql(victim, "SELECT 1", NULL, &again), SC_CONNECTION);
    sc_pool_release(pool, victim);
    sc_pool_stats st;
    sc_pool_get_stats(pool, &st);
    assert_int_equal(st.evicted, 1);

    /* sc_error_from_result on a NULL result is a lost connection too. */
    sc_error n = {0};
    assert_int_equal(sc_error_from_result(&n, NULL, NULL), SC_CONNECTION);
    assert_string_equal(n.message, "connection lost");
}

static const Oid state_types[] = {25};
static const sc_stmt remote_down = {"err_remote_down",
                                    "INSERT INTO err_child (id, parent_id) "
                                    "SELECT 50, NULL FROM err_remote_down($1)",
                                    1, state_types, NULL};

/* A Citus coordinator whose worker is down answers a write with an ERROR
 * 08006 ("connection to the remote node ... failed") on a connection that
 * is fine (tests/citus/test_citus_fault.c meets the real one). A function
 * raising that SQLSTATE stands in for it here: the write is SC_CONNECTION
 * (retryable), not SC_COMMIT_UNKNOWN, nothing of it stays, and the
 * connection stays in the pool. 08P01 is our own protocol: still evicted. */
static void a_servers_own_lost_connection_keeps_ours(void **state)
{
    (void)state;
    rt_exec(conn, "CREATE OR REPLACE FUNCTION err_remote_down(state text) RETURNS void "
                  "LANGUAGE plpgsql AS $$ BEGIN INSERT INTO err_parent VALUES (99, 'remote', 1); "
                  "RAISE EXCEPTION 'connection to the remote node w:5433 failed' "
                  "USING ERRCODE = state; END $$");
    sc_pool_stats before, after;
    sc_pool_get_stats(pool, &before);
    sc_error e = {0};
    const char *v[1] = {"08006"};
    assert_int_equal(sc_exec(conn, &remote_down, v, NULL, NULL, 0, NULL, &e), SC_CONNECTION);
    assert_string_equal(e.sqlstate, "08006");
    assert_non_null(strstr(e.message, "remote node"));
    assert_true(sc_status_is_retryable(e.category));
    assert_false(sc_conn_is_broken(conn));
    assert_int_equal(rt_int(conn, "SELECT count(*) FROM err_parent WHERE id = 99"), 0);
    assert_int_equal(rt_int(conn, "SELECT count(*) FROM err_child WHERE id = 50"), 0);
    sc_pool_get_stats(pool, &after);
    assert_int_equal(after.evicted, before.evicted);

    sc_conn *other = NULL;
    assert_int_equal(sc_pool_acquire(pool, &other, &e), SC_OK);
    sc_error p = {0};
    v[0] = "08P01";
    assert_int_equal(sc_exec(other, &remote_down, v, NULL, NULL, 0, NULL, &p), SC_COMMIT_UNKNOWN);
    assert_true(sc_conn_is_broken(other));
    sc_pool_release(pool, other);
    rt_exec(conn, "DROP FUNCTION err_remote_down(text)");
}

/* A worker's constraint error reaches a Citus coordinator's client
 * without its constraint and table fields (tests/citus meets the real
 * one); the names come from the message then, so code that tells one
 * duplicate from another by err.constraint works there too. */
static void a_forwarded_violation_still_names_its_constraint(void **state)
{
    (void)state;
    sc_error e = {0};
    assert_int_equal(sc_exec_sql(conn, "DO $$ BEGIN RAISE EXCEPTION 'duplicate key value violates "
                                       "unique constraint \"users_email_key\"' USING ERRCODE = "
                                       "'23505'; END $$", NULL, &e),
                     SC_CONFLICT);
    assert_string_equal(e.constraint, "users_email_key");
    sc_error_clear(&e);
    assert_int_equal(sc_exec_sql(conn, "DO $$ BEGIN RAISE EXCEPTION 'new row for relation "
                                       "\"docs_102040\" violates check constraint "
                                       "\"docs_n_check\"' USING ERRCODE = '23514'; END $$",
                                 NULL, &e),
                     SC_CHECK);
    /* not from a worker: the names are taken as they are */
    assert_string_equal(e.constraint, "docs_n_check");
    assert_string_equal(e.table, "docs_102040");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sqlstate_map_covers_the_categories),
        cmocka_unit_test(first_error_wins),
        cmocka_unit_test(not_found_is_replaced_by_the_next_error),
        cmocka_unit_test(unique_violation_names_constraint_table_and_detail),
        cmocka_unit_test(foreign_key_check_not_null_and_invalid_input),
        cmocka_unit_test(access_denied_and_not_found),
        cmocka_unit_test(lost_connection_is_a_connection_error),
        cmocka_unit_test(a_servers_own_lost_connection_keeps_ours),
        cmocka_unit_test(a_forwarded_violation_still_names_its_constraint),
    };
    return cmocka_run_group_tests_name("runtime errors", tests, setup, teardown);
}
