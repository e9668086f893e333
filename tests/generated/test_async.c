/* The event-loop form (<function>_send + sc_conn_process): many requests in
 * flight on one connection, answered in order, each failure its own; the
 * blocking calls refused meanwhile; and the faults: a request past its
 * deadline, a backend killed with writes in flight, a connection released
 * with requests in flight. */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>

#include "gen_helpers.h"

#include "sm_collections.h"
#include "sm_users.h"

enum { MAX_GOT = 400 };

static gen_db *db;
static int32_t owner, stranger;
static const char *const COLL = "6a0c1f3e-2b4d-4e5f-8a9b-00000000a001";
static const char *const PRIVATE_OF_STRANGER = "6a0c1f3e-2b4d-4e5f-8a9b-00000000a002";
static const char *const NO_SUCH = "6a0c1f3e-2b4d-4e5f-8a9b-00000000a0ff";

typedef struct outcome {
    int seq;
    int status;
    char message[160];
} outcome;

static outcome got[MAX_GOT];
static int ngot;

static void record(void *ctx, int status, const sc_error *err)
{
    assert_true(ngot < MAX_GOT);
    outcome *o = &got[ngot++];
    o->seq = (int)(intptr_t)ctx;
    o->status = status;
    snprintf(o->message, sizeof o->message, "%.150s", err ? err->message : "");
    assert_true(status == SC_OK ? err == NULL : err != NULL && err->category == status);
}

static void *seq(int i)
{
    return (void *)(intptr_t)i;
}

/* The caller's event loop, reduced to one connection. */
static int drain(sc_conn *c)
{
    int rc = SC_OK;
    while (sc_conn_in_flight(c)) {
        struct pollfd p = {sc_conn_socket(c), sc_conn_events(c), 0};
        poll(&p, 1, sc_conn_poll_timeout_ms(c));
        sc_error e = {0};
        int r = sc_conn_process(c, &e);
        if (r != SC_OK)
            rc = r;
    }
    return rc;
}

static int setup(void **state)
{
    (void)state;
    db = gen_db_open("async");
    sc_error err = {0};
    sm_user u;
    sm_user_new a = {.username = "as", .email = "as@example.org", .hashed_password = "x"};
    sm_user_new b = {.username = "st", .email = "st@example.org", .hashed_password = "x"};
    assert_int_equal(sm_users_create(db->conn, db->arena, &a, &u, &err), SC_OK);
    owner = u.id;
    assert_int_equal(sm_users_create(db->conn, db->arena, &b, &u, &err), SC_OK);
    stranger = u.id;
    sm_collection c;
    sm_collection_new mine = {.id = COLL, .name = "async", .owner_id = owner,
                              .vector_store_name = "col_async", .embedding_model = "m"};
    sm_collection_new theirs = {.id = PRIVATE_OF_STRANGER, .name = "theirs", .owner_id = stranger,
                                .vector_store_name = "col_theirs", .embedding_model = "m"};
    assert_int_equal(sm_collections_create(db->conn, db->arena, &mine, &c, &err), SC_OK);
    assert_int_equal(sm_collections_create(db->conn, db->arena, &theirs, &c, &err), SC_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gen_db_close(db);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    ngot = 0;
    memset(got, 0, sizeof got);
    sc_arena_reset(db->arena);
    PQclear(gen_sql(db, "DELETE FROM semantik.users WHERE username LIKE 'ev%'"));
    return 0;
}

static void many_requests_in_flight_are_answered_in_order(void **state)
{
    (void)state;
    enum { N = 120 };
    static sm_collection rows[N];
    sc_error err = {0};
    for (int i = 0; i < N; i++) {
        const char *id = i % 3 == 0 ? COLL : i % 3 == 1 ? PRIVATE_OF_STRANGER : NO_SUCH;
        assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                             db->conn, db->arena, id, owner, &rows[i], record, seq(i), &err),
                         SC_OK);
    }
    assert_int_equal(sc_conn_in_flight(db->conn), N);
    assert_int_equal(ngot, 0); /* nothing waited for */
    assert_int_equal(drain(db->conn), SC_OK);
    assert_int_equal(ngot, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(got[i].seq, i);
        int want = i % 3 == 0 ? SC_OK : i % 3 == 1 ? SC_ACCESS_DENIED : SC_NOT_FOUND;
        assert_int_equal(got[i].status, want);
    }
    assert_string_equal(rows[0].name, "async");
    assert_null(rows[1].name); /* denied: nothing of the row is handed out */
    /* Idle again: the blocking calls work. */
    sm_collection c;
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check(db->conn, db->arena, COLL,
                                                                      owner, &c, &err),
                     SC_OK);
}

static void a_failing_write_is_its_own_and_the_next_one_lands(void **state)
{
    (void)state;
    sm_user_new first = {.username = "ev1", .email = "ev1@example.org", .hashed_password = "x"};
    sm_user_new dup = {.username = "ev1", .email = "ev1b@example.org", .hashed_password = "x"};
    sm_user_new next = {.username = "ev2", .email = "ev2@example.org", .hashed_password = "x"};
    sm_user out[3];
    sc_error err = {0};
    assert_int_equal(sm_users_create_send(db->conn, db->arena, &first, &out[0], record, seq(0), &err), SC_OK);
    assert_int_equal(sm_users_create_send(db->conn, db->arena, &dup, &out[1], record, seq(1), &err), SC_OK);
    assert_int_equal(sm_users_create_send(db->conn, db->arena, &next, &out[2], record, seq(2), &err), SC_OK);
    assert_int_equal(drain(db->conn), SC_OK);
    assert_int_equal(got[0].status, SC_OK);
    assert_int_equal(got[1].status, SC_CONFLICT);
    assert_int_equal(got[2].status, SC_OK);
    assert_string_equal(out[2].username, "ev2");
    assert_int_equal(gen_scalar(db, "SELECT count(*) FROM semantik.users WHERE username LIKE 'ev%'"), 2);
}

static void exec_and_many_answers(void **state)
{
    (void)state;
    sm_user_new u = {.username = "ev3", .email = "ev3@example.org", .hashed_password = "x"};
    sm_user made;
    sc_error err = {0};
    assert_int_equal(sm_users_create(db->conn, db->arena, &u, &made, &err), SC_OK);
    sm_collection *list = NULL;
    size_t n = 99;
    assert_int_equal(sm_collections_list_stale_staging_send(db->conn, db->arena, 0, &list, &n,
                                                            record, seq(0), &err),
                     SC_OK);
    assert_int_equal(sm_users_delete_send(db->conn, made.id, record, seq(1), &err), SC_OK);
    assert_int_equal(sm_users_delete_send(db->conn, made.id, record, seq(2), &err), SC_OK);
    assert_int_equal(drain(db->conn), SC_OK);
    assert_int_equal(got[0].status, SC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(got[1].status, SC_OK);
    assert_int_equal(got[2].status, SC_NOT_FOUND); /* the second delete found nothing */
}

static void the_blocking_calls_wait_until_nothing_is_in_flight(void **state)
{
    (void)state;
    sm_collection c, d;
    sc_error err = {0};
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                         db->conn, db->arena, COLL, owner, &c, record, seq(0), &err),
                     SC_OK);
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check(db->conn, db->arena, COLL,
                                                                      owner, &d, &err),
                     SC_MISUSE);
    assert_int_equal(sc_tx_begin(db->conn, NULL, &err), SC_MISUSE);
    assert_int_equal(drain(db->conn), SC_OK);
    assert_int_equal(got[0].status, SC_OK);
    /* And none is sent inside a transaction: each request is one of its own. */
    sc_error_clear(&err);
    assert_int_equal(sc_tx_begin(db->conn, NULL, &err), SC_OK);
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                         db->conn, db->arena, COLL, owner, &c, record, seq(1), &err),
                     SC_MISUSE);
    assert_int_equal(sc_tx_rollback(db->conn, &err), SC_OK);
    assert_int_equal(ngot, 1);
}

static void bad_input_queues_nothing_and_calls_nothing(void **state)
{
    (void)state;
    sm_collection c;
    sc_error err = {0};
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                         db->conn, db->arena, "not-a-uuid", owner, &c, record, seq(0), &err),
                     SC_INVALID_INPUT);
    assert_int_equal(sc_conn_in_flight(db->conn), 0);
    sc_error_clear(&err);
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                         db->conn, db->arena, COLL, owner, &c, NULL, NULL, &err),
                     SC_MISUSE);
    assert_int_equal(drain(db->conn), SC_OK);
    assert_int_equal(ngot, 0);
}

/* A completion that sends the next request, as a chained handler would. */
typedef struct chain {
    sc_conn *c;
    sm_collection row;
    int left;
} chain;

static void chained(void *ctx, int status, const sc_error *err)
{
    chain *ch = ctx;
    record(seq(ch->left), status, err);
    if (--ch->left > 0) {
        sc_error e = {0};
        assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                             ch->c, db->arena, COLL, owner, &ch->row, chained, ch, &e),
                         SC_OK);
    }
}

static void a_completion_may_send_the_next_request(void **state)
{
    (void)state;
    chain ch = {db->conn, {0}, 5};
    sc_error err = {0};
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                         db->conn, db->arena, COLL, owner, &ch.row, chained, &ch, &err),
                     SC_OK);
    assert_int_equal(drain(db->conn), SC_OK);
    assert_int_equal(ngot, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(got[i].status, SC_OK);
}

/* ---- faults ------------------------------------------------------------ */

/* Another session holds a new user's unique name: a create of the same name
 * waits on it. */
static PGconn *hold_username(const char *name)
{
    PGconn *pg = PQconnectdb(db->conninfo);
    char sql[256];
    snprintf(sql, sizeof sql,
             "BEGIN; INSERT INTO semantik.users (username, email, hashed_password) "
             "VALUES ('%s', '%s@example.org', 'x')", name, name);
    PGresult *r = PQexec(pg, sql);
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    return pg;
}

static void release_holder(PGconn *pg)
{
    PQclear(PQexec(pg, "ROLLBACK"));
    PQfinish(pg);
}

static void requests_past_the_deadline_fail_and_evict_the_connection(void **state)
{
    (void)state;
    PGconn *holder = hold_username("evheld");
    sc_pool *p = gen_pool_with(db, 0.3, SC_POOLER_NONE);
    sc_conn *c = NULL;
    sc_error err = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK);
    sm_user_new blocked = {.username = "evheld", .email = "evheld2@example.org", .hashed_password = "x"};
    sm_user out;
    sm_collection col;
    assert_int_equal(sm_users_create_send(c, db->arena, &blocked, &out, record, seq(0), &err), SC_OK);
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                         c, db->arena, COLL, owner, &col, record, seq(1), &err),
                     SC_OK);
    assert_int_equal(drain(c), SC_TIMEOUT);
    assert_int_equal(ngot, 2);
    assert_int_equal(got[0].status, SC_TIMEOUT);
    assert_int_equal(got[1].status, SC_TIMEOUT);
    sc_pool_release(p, c);
    release_holder(holder);
    assert_int_equal(gen_scalar(db, "SELECT count(*) FROM semantik.users WHERE username = 'evheld'"), 0);
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK); /* a fresh connection */
    assert_int_equal(sm_users_create(c, db->arena, &blocked, &out, &err), SC_OK);
    sc_pool_release(p, c);
    sc_pool_close(p);
}

static void a_killed_backend_fails_reads_as_lost_and_writes_as_unknown(void **state)
{
    (void)state;
    PGconn *holder = hold_username("evkill");
    sc_pool *p = gen_pool_with(db, 30.0, SC_POOLER_NONE);
    sc_conn *c = NULL;
    sc_error err = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK);
    gen_killer k = {db->conninfo, PQbackendPID(sc_conn_pg(c)), false};
    sm_user_new blocked = {.username = "evkill", .email = "evkill2@example.org", .hashed_password = "x"};
    sm_user out;
    sm_collection col;
    assert_int_equal(sm_users_create_send(c, db->arena, &blocked, &out, record, seq(0), &err), SC_OK);
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                         c, db->arena, COLL, owner, &col, record, seq(1), &err),
                     SC_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, gen_kill_when_blocked, &k), 0);
    int rc = drain(c);
    pthread_join(t, NULL);
    assert_true(k.killed);
    assert_int_equal(rc, SC_CONNECTION);
    assert_int_equal(got[0].status, SC_COMMIT_UNKNOWN); /* a write that went out alone */
    assert_int_equal(got[1].status, SC_CONNECTION);     /* a read: safe to retry */
    sc_pool_release(p, c);
    sc_pool_close(p);
    release_holder(holder);
}

static void under_transaction_pooling_requests_go_unnamed(void **state)
{
    (void)state;
    sc_pool *p = gen_pool_with(db, 30.0, SC_POOLER_TRANSACTION);
    sc_conn *c = NULL;
    sc_error err = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK);
    static sm_collection rows[20];
    for (int i = 0; i < 20; i++)
        assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                             c, db->arena, i % 2 ? COLL : NO_SUCH, owner, &rows[i], record,
                             seq(i), &err),
                         SC_OK);
    assert_int_equal(drain(c), SC_OK);
    assert_int_equal(ngot, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(got[i].status, i % 2 ? SC_OK : SC_NOT_FOUND);
    assert_int_equal(sc_conn_cached_statements(c), 0); /* nothing prepared by name */
    sc_pool_release(p, c);
    sc_pool_close(p);
}

static void releasing_with_requests_in_flight_completes_them(void **state)
{
    (void)state;
    sc_pool *p = gen_pool_with(db, 30.0, SC_POOLER_NONE);
    sc_conn *c = NULL;
    sc_error err = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK);
    sm_collection col;
    assert_int_equal(sm_collections_get_by_uuid_with_permission_check_send(
                         c, db->arena, COLL, owner, &col, record, seq(0), &err),
                     SC_OK);
    sc_pool_release(p, c);
    assert_int_equal(ngot, 1);
    assert_int_equal(got[0].status, SC_CONNECTION);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(st.idle, 0); /* not handed out again mid-pipeline */
    sc_pool_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(many_requests_in_flight_are_answered_in_order, reset),
        cmocka_unit_test_setup(a_failing_write_is_its_own_and_the_next_one_lands, reset),
        cmocka_unit_test_setup(exec_and_many_answers, reset),
        cmocka_unit_test_setup(the_blocking_calls_wait_until_nothing_is_in_flight, reset),
        cmocka_unit_test_setup(bad_input_queues_nothing_and_calls_nothing, reset),
        cmocka_unit_test_setup(a_completion_may_send_the_next_request, reset),
        cmocka_unit_test_setup(requests_past_the_deadline_fail_and_evict_the_connection, reset),
        cmocka_unit_test_setup(a_killed_backend_fails_reads_as_lost_and_writes_as_unknown, reset),
        cmocka_unit_test_setup(under_transaction_pooling_requests_go_unnamed, reset),
        cmocka_unit_test_setup(releasing_with_requests_in_flight_completes_them, reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
