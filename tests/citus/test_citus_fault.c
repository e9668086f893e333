/* The Citus tier, a worker down (issue 17): tests/citus/schema.yaml on a
 * coordinator and two workers (tests/pg/with-citus, tests/run-citus), one
 * worker stopped with pg_ctl stop -m immediate while the runtime's pool is
 * connected to the coordinator. What a service meets: reads and writes of
 * a collection whose shards are on the dead worker fail with SC_CONNECTION
 * (the coordinator's ERROR 08006 "connection to the remote node ...
 * failed"), retryable, on a connection that stays in the pool; a
 * collection on the live worker is read and written as before; a
 * transaction touching both leaves no row; once the worker is started
 * again the same write succeeds through the same pool. Runs after
 * test_citus (the schema migrated and distributed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "schemac.h"
#include "ct_collections.h"
#include "ct_documents.h"
#include "ct_users.h"

static PGconn *pg; /* checks, beside the pool */
static sc_pool *pool;
static sc_arena *arena;
static char dead_port[16], live_port[16];
static char dead_id[64], live_id[64];
static bool worker_stopped;

static PGresult *sql(const char *text)
{
    PGresult *r = PQexec(pg, text);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", text, PQresultErrorMessage(r));
    return r;
}

static long long sql_int(const char *fmt, const char *a, const char *b)
{
    char text[512];
    snprintf(text, sizeof text, fmt, a, b);
    PGresult *r = sql(text);
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* pg_ctl ARGS on the worker at port, through with-citus's wrapper. */
static int worker_ctl(const char *port, const char *args)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "\"$SC_TEST_CITUS_WORKER_CTL\" %s %s >/dev/null 2>&1", port, args);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first of fault-1, fault-2, ... whose collections shard is on the
 * worker at port (and with it the collection's documents: colocated). */
static void collection_on(const char *port, char *out, size_t size)
{
    char text[512];
    snprintf(text, sizeof text,
             "SELECT c.id FROM (SELECT 'fault-' || g AS id, g FROM generate_series(1, 200) g) c "
             "JOIN citus_shards s ON s.shardid = "
             "get_shard_id_for_distribution_column('ct.collections', c.id) "
             "AND s.table_name = 'ct.collections'::regclass WHERE s.nodeport = %s "
             "ORDER BY c.g LIMIT 1",
             port);
    PGresult *r = sql(text);
    assert_int_equal(PQntuples(r), 1);
    snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

static int setup(void **state)
{
    (void)state;
    const char *workers = getenv("SC_TEST_CITUS_WORKERS");
    if (!workers || sscanf(workers, "%15s %15s", dead_port, live_port) != 2 ||
        !getenv("SC_TEST_CITUS_WORKER_CTL"))
        return -1;
    pg = PQconnectdb(getenv("DATABASE_URL"));
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = getenv("DATABASE_URL");
    cfg.pool_size = 1; /* one connection: "the same pool" is the same session */
    sc_error err = {0};
    if (PQstatus(pg) != CONNECTION_OK || sc_pool_open(&cfg, &pool, &err) != SC_OK)
        return -1;
    arena = sc_arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (worker_stopped && worker_ctl(dead_port, "start") == 0)
        worker_stopped = false;
    if (!worker_stopped) { /* the user's delete cascades to its collections */
        PGresult *r = PQexec(pg, "DELETE FROM ct.users WHERE name = 'fault-owner'");
        PQclear(r);
    }
    sc_pool_close(pool);
    sc_arena_free(arena);
    PQfinish(pg);
    return worker_stopped ? -1 : 0;
}

static int create_document(const char *collection_id, const char *id, sc_error *err)
{
    sc_conn *c = NULL;
    int rc = sc_pool_acquire(pool, &c, err);
    if (rc != SC_OK)
        return rc;
    ct_document_new dn = {.id = id, .collection_id = collection_id, .uri = "file:///fault"};
    ct_document doc;
    rc = ct_documents_create(c, arena, &dn, &doc, err);
    sc_pool_release(pool, c);
    return rc;
}

static int read_document(const char *collection_id, const char *id, sc_error *err)
{
    sc_conn *c = NULL;
    int rc = sc_pool_acquire(pool, &c, err);
    if (rc != SC_OK)
        return rc;
    ct_document doc;
    rc = ct_documents_get(c, arena, collection_id, id, &doc, err);
    sc_pool_release(pool, c);
    return rc;
}

static void a_collection_on_each_worker(void **state)
{
    (void)state;
    collection_on(dead_port, dead_id, sizeof dead_id);
    collection_on(live_port, live_id, sizeof live_id);
    printf("citus fault: collection %s on worker %s (to stop), %s on worker %s\n", dead_id,
           dead_port, live_id, live_port);
    sc_conn *c = NULL;
    sc_error err = {0};
    assert_int_equal(sc_pool_acquire(pool, &c, &err), SC_OK);
    ct_user u;
    ct_user_new un = {.name = "fault-owner"};
    assert_int_equal(ct_users_create(c, arena, &un, &u, &err), SC_OK);
    ct_collection col;
    ct_collection_new dead = {.id = dead_id, .owner_id = u.id, .name = "on the worker to stop"};
    ct_collection_new live = {.id = live_id, .owner_id = u.id, .name = "on the live worker"};
    assert_int_equal(ct_collections_create(c, arena, &dead, &col, &err), SC_OK);
    assert_int_equal(ct_collections_create(c, arena, &live, &col, &err), SC_OK);
    sc_pool_release(pool, c);
    assert_int_equal(create_document(dead_id, "before", &err), SC_OK);
}

static void the_dead_workers_collection_fails_retryably(void **state)
{
    (void)state;
    assert_int_equal(worker_ctl(dead_port, "stop -m immediate"), 0);
    worker_stopped = true;
    sc_pool_stats before, after;
    sc_pool_get_stats(pool, &before);

    sc_error err = {0};
    int rc = create_document(dead_id, "outage", &err);
    printf("citus fault: write on the stopped worker: %s, SQLSTATE %s: %s\n", sc_status_name(rc),
           err.sqlstate, err.message);
    assert_int_equal(rc, SC_CONNECTION);
    assert_string_equal(err.sqlstate, "08006");
    assert_non_null(strstr(err.message, "remote node"));
    assert_true(sc_status_is_retryable(rc));

    sc_error read_err = {0};
    rc = read_document(dead_id, "before", &read_err);
    printf("citus fault: read on the stopped worker: %s, SQLSTATE %s\n", sc_status_name(rc),
           read_err.sqlstate);
    assert_int_equal(rc, SC_CONNECTION);

    /* The coordinator session was fine: it stays in the pool. */
    sc_pool_get_stats(pool, &after);
    assert_int_equal(after.evicted, before.evicted);
    assert_int_equal(after.connects, before.connects);
}

static void the_live_workers_collection_still_works(void **state)
{
    (void)state;
    sc_error err = {0};
    assert_int_equal(create_document(live_id, "outage", &err), SC_OK);
    assert_int_equal(read_document(live_id, "outage", &err), SC_OK);
}

typedef struct both_ctx {
    const char *first, *second;
    int calls;
} both_ctx;

static int write_both(sc_conn *c, void *ctx, sc_error *err)
{
    both_ctx *b = ctx;
    b->calls++;
    ct_document doc;
    ct_document_new one = {.id = "tx", .collection_id = b->first, .uri = "file:///tx"};
    ct_document_new two = {.id = "tx", .collection_id = b->second, .uri = "file:///tx"};
    int rc = ct_documents_create(c, arena, &one, &doc, err);
    return rc ? rc : ct_documents_create(c, arena, &two, &doc, err);
}

/* The live worker's write first, so that the failure comes after a row was
 * written: the whole transaction goes, on both workers. sc_tx_run retries
 * SC_CONNECTION as it says, and gives it back when the worker stays down. */
static void a_transaction_across_both_leaves_nothing(void **state)
{
    (void)state;
    both_ctx b = {live_id, dead_id, 0};
    sc_tx_options o = SC_TX_OPTIONS_DEFAULT;
    o.retry_limit = 1;
    o.retry_interval_s = 0;
    sc_error err = {0};
    assert_int_equal(sc_tx_run(pool, &o, write_both, &b, &err), SC_CONNECTION);
    assert_int_equal(b.calls, 2);
    assert_string_equal(err.sqlstate, "08006");
    assert_int_equal(sql_int("SELECT count(*) FROM ct.documents WHERE collection_id = '%s' "
                             "AND id = 'tx'%s",
                             live_id, ""),
                     0);
}

static void after_a_restart_the_same_write_succeeds(void **state)
{
    (void)state;
    assert_int_equal(worker_ctl(dead_port, "start"), 0);
    worker_stopped = false;
    sc_pool_stats before, after;
    sc_pool_get_stats(pool, &before);
    sc_error err = {0};
    /* "outage" again: had the failed write left its row, this would be a
     * conflict. */
    int rc = create_document(dead_id, "outage", &err);
    if (rc != SC_OK)
        fail_msg("%s: %s", sc_status_name(rc), err.message);
    both_ctx b = {live_id, dead_id, 0};
    assert_int_equal(sc_tx_run(pool, NULL, write_both, &b, &err), SC_OK);
    sc_pool_get_stats(pool, &after);
    assert_int_equal(after.connects, before.connects); /* the same session throughout */
    /* Every row is there once, and no other. */
    assert_int_equal(sql_int("SELECT count(*) FROM ct.documents WHERE collection_id = '%s'%s",
                             dead_id, ""),
                     3); /* before, outage, tx */
    assert_int_equal(sql_int("SELECT count(*) FROM ct.documents WHERE collection_id = '%s'%s",
                             live_id, ""),
                     2); /* outage, tx */
}

int main(void)
{
    if (!getenv("SC_TEST_CITUS")) {
        printf("citus fault tier: skipped (run under tests/pg/with-citus)\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_collection_on_each_worker),
        cmocka_unit_test(the_dead_workers_collection_fails_retryably),
        cmocka_unit_test(the_live_workers_collection_still_works),
        cmocka_unit_test(a_transaction_across_both_leaves_nothing),
        cmocka_unit_test(after_a_restart_the_same_write_succeeds),
    };
    return cmocka_run_group_tests_name("citus, a worker down", tests, setup, teardown);
}
