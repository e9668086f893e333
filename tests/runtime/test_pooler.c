/* Two clients behind PgBouncer in transaction mode take turns on one server
 * connection (tests/pg/with-pgbouncer transaction): each must only ever get
 * the answers of its own statements (ERRATA: a named statement fails with
 * 26000 / 42P05 once another client had the server connection, an unnamed
 * prepare followed by a later execute can run another client's statement),
 * inside and outside transactions. Directly, or in session mode, the same
 * runs without the sharing. */
#include "rt_helpers.h"

static const Oid one_text[] = {25};
/* The same shape for both clients, different SQL: a statement that ran for
 * the other client shows in the answer. */
static const sc_stmt echo_one = {"pooler_echo", "SELECT $1::text || '/one'", 1, one_text, NULL};
static const sc_stmt echo_two = {"pooler_echo", "SELECT $1::text || '/two'", 1, one_text, NULL};

static void expect_echo(sc_conn *c, const sc_stmt *s, int i, const char *who)
{
    char v[16], want[32];
    snprintf(v, sizeof v, "%d", i);
    snprintf(want, sizeof want, "%d/%s", i, who);
    const char *vals[1] = {v};
    PGresult *r = NULL;
    sc_error e = {0};
    int rc = sc_exec(c, s, vals, NULL, NULL, 0, &r, &e);
    if (rc != SC_OK)
        fail_msg("client %s, round %d: %s %s (SQLSTATE %s)", who, i, sc_status_name(rc), e.message,
                 e.sqlstate);
    if (strcmp(PQgetvalue(r, 0, 0), want) != 0)
        fail_msg("client %s, round %d: got '%s', another client's statement", who, i,
                 PQgetvalue(r, 0, 0));
    PQclear(r);
}

static int server_pid(sc_conn *c)
{
    return (int)rt_int(c, "SELECT pg_backend_pid()");
}

static void clients_taking_turns_get_their_own_answers(void **state)
{
    (void)state;
    sc_pool *p1 = rt_pool(1, 0), *p2 = rt_pool(1, 0);
    sc_conn *one = NULL, *two = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p1, &one, &e), SC_OK);
    assert_int_equal(sc_pool_acquire(p2, &two, &e), SC_OK);
    int shared = 0;
    for (int i = 0; i < 200; i++) {
        /* Strict turns, nothing concurrent: PgBouncer hands the idle server
         * connection the other client just gave back. */
        expect_echo(one, &echo_one, i, "one");
        expect_echo(two, &echo_two, i, "two");
        shared += server_pid(one) == server_pid(two);
        /* A transaction keeps its server connection: prepare-and-run
         * inside it is the client's own, whatever ran before. */
        assert_int_equal(sc_tx_begin(two, NULL, &e), SC_OK);
        expect_echo(two, &echo_two, i, "two");
        expect_echo(one, &echo_one, i, "one"); /* another server connection meanwhile */
        expect_echo(two, &echo_two, i + 1, "two");
        assert_int_equal(sc_tx_commit(two, &e), SC_OK);
    }
    const char *mode = rt_pgbouncer();
    if (mode && strcmp(mode, "transaction") == 0)
        assert_true(shared > 0); /* the clients did share server connections */
    else
        assert_int_equal(shared, 0); /* directly, or in session mode, never */
    printf("server connection shared in %d of 200 rounds (%s)\n", shared,
           mode ? mode : "direct");
    sc_pool_release(p1, one);
    sc_pool_release(p2, two);
    assert_int_equal(sc_pool_close(p1), 0);
    assert_int_equal(sc_pool_close(p2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clients_taking_turns_get_their_own_answers),
    };
    return cmocka_run_group_tests_name("runtime behind a pooler", tests, NULL, NULL);
}
