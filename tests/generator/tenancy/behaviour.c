/* The tenancy schema (schema.yaml next to this file) against the server:
 * compiled by tests/generator/test_tenancy.c with the code generated from
 * it, run under tests/pg/with-pg.
 *
 * - A reference that carries the scope refuses another user's parent
 *   (SC_FOREIGN_KEY naming the constraint), even through plain SQL.
 * - Versioned creates: a writer that starts while another holds the item's
 *   counter in an open transaction waits, then gets the next number (the
 *   race that gave two "version 2" with max()+1 ... FOR UPDATE OF); many
 *   writers released together get 1..N, each once, with no error; under
 *   REPEATABLE READ the waiting writer's serialization failure is retried
 *   by sc_tx_run into the next number. The waits are observed in
 *   pg_stat_activity, never slept on. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "sc_testkit.h"
#include "schemac.h"
#include "tn_analyses.h"
#include "tn_items.h"
#include "tn_notes.h"
#include "tn_users.h"

enum { WRITERS = 4, CREATES_EACH = 25 };

static char database[64], conninfo[1024];
static sc_pool *pool;

typedef struct world {
    int64_t ann, bob, anns_item, bobs_item;
} world;

static int64_t make_user(sc_conn *c, sc_arena *a, const char *name)
{
    tn_user u;
    sc_error err = {0};
    assert_int_equal(tn_users_create(c, a, &(tn_user_new){.name = name}, &u, &err), SC_OK);
    return u.id;
}

static int64_t make_item(sc_conn *c, sc_arena *a, int64_t user, const char *name)
{
    tn_item it;
    sc_error err = {0};
    assert_int_equal(tn_items_create(c, a, &(tn_item_new){.user_id = user, .name = name}, &it, &err),
                     SC_OK);
    return it.id;
}

static world make_world(sc_conn *c, sc_arena *a)
{
    world w;
    w.ann = make_user(c, a, "ann");
    w.bob = make_user(c, a, "bob");
    w.anns_item = make_item(c, a, w.ann, "ann's");
    w.bobs_item = make_item(c, a, w.bob, "bob's");
    return w;
}

static char *value(sc_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *value(sc_conn *c, const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    PGresult *r = NULL;
    sc_error err = {0};
    if (sc_exec_sql(c, sql, &r, &err) != SC_OK || PQntuples(r) != 1)
        fail_msg("%s: %s", sql, err.message);
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static void expect_sql(sc_conn *c, const char *want, const char *sql)
{
    char *got = value(c, "%s", sql);
    if (strcmp(got, want) != 0)
        fail_msg("%s gave '%s', expected '%s'", sql, got, want);
    free(got);
}

/* ---- a reference that carries the scope ----------------------------- */

static void another_users_parent_is_refused(void **state)
{
    (void)state;
    sc_conn *c;
    sc_error err = {0};
    sc_arena *a = sc_arena_new(0);
    assert_int_equal(sc_pool_acquire(pool, &c, &err), SC_OK);
    world w = make_world(c, a);
    tn_note note;
    /* ann's note on bob's item: the key (item_id, user_id) has no parent */
    int rc = tn_notes_create(c, a, &(tn_note_new){.item_id = w.bobs_item, .user_id = w.ann, .body = "x"},
                             &note, &err);
    assert_int_equal(rc, SC_FOREIGN_KEY);
    assert_string_equal(err.constraint, "notes_item_id_user_id_fkey");
    /* the database itself refuses it, whatever code writes the row */
    memset(&err, 0, sizeof err);
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO tenancy.analyses (item_id, user_id, version, body) "
                              "VALUES (%lld, %lld, 1, 'x')", (long long)w.bobs_item, (long long)w.ann);
    assert_int_equal(sc_exec_sql(c, sql, NULL, &err), SC_FOREIGN_KEY);
    assert_string_equal(err.constraint, "analyses_item_id_user_id_fkey");
    /* a versioned create does not even find another user's item */
    tn_analysis an;
    memset(&err, 0, sizeof err);
    rc = tn_analyses_create(c, a, &(tn_analysis_new){.item_id = w.bobs_item, .user_id = w.ann, .body = "x"},
                            &an, &err);
    assert_int_equal(rc, SC_NOT_FOUND);
    char q[128];
    snprintf(q, sizeof q, "SELECT last_version FROM tenancy.items WHERE id = %lld", (long long)w.bobs_item);
    expect_sql(c, "0", q);
    /* the owner's own rows go in, and leave with their item */
    memset(&err, 0, sizeof err);
    assert_int_equal(tn_notes_create(c, a, &(tn_note_new){.item_id = w.anns_item, .user_id = w.ann, .body = "y"},
                                     &note, &err), SC_OK);
    assert_int_equal(tn_analyses_create(c, a, &(tn_analysis_new){.item_id = w.anns_item, .user_id = w.ann, .body = "y"},
                                        &an, &err), SC_OK);
    assert_int_equal(an.version, 1);
    assert_int_equal(tn_items_delete(c, w.anns_item, w.ann, &err), SC_OK);
    expect_sql(c, "0", "SELECT (SELECT count(*) FROM tenancy.notes) + (SELECT count(*) FROM tenancy.analyses)");
    sc_pool_release(pool, c);
    sc_arena_free(a);
}

/* ---- versioned creates under concurrency ------------------------------ */

typedef struct writer {
    int64_t item, user;
    int n;                       /* creates to make */
    pthread_barrier_t *start;    /* NULL: start at once */
    bool in_transaction;         /* one explicit transaction around the creates */
    int versions[CREATES_EACH];
    int status;                  /* the first failure, or SC_OK */
    char message[256];
    bool finished;               /* atomic: the thread is done */
} writer;

static void *write_versions(void *arg)
{
    writer *wr = arg;
    sc_conn *c = NULL;
    sc_error err = {0};
    sc_arena *a = sc_arena_new(0);
    wr->status = sc_pool_acquire(pool, &c, &err);
    if (wr->start)
        pthread_barrier_wait(wr->start);
    if (wr->status == SC_OK && wr->in_transaction)
        wr->status = sc_tx_begin(c, NULL, &err);
    for (int i = 0; wr->status == SC_OK && i < wr->n; i++) {
        tn_analysis an;
        wr->status = tn_analyses_create(c, a, &(tn_analysis_new){.item_id = wr->item, .user_id = wr->user,
                                                                 .body = "racing"}, &an, &err);
        wr->versions[i] = wr->status == SC_OK ? an.version : -1;
        sc_arena_reset(a);
    }
    if (wr->status == SC_OK && wr->in_transaction)
        wr->status = sc_tx_commit(c, &err);
    snprintf(wr->message, sizeof wr->message, "%s", err.message);
    if (c)
        sc_pool_release(pool, c);
    sc_arena_free(a);
    __atomic_store_n(&wr->finished, true, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Sessions of this database waiting for a lock. */
static int lock_waiters(sc_conn *observer)
{
    char *n = value(observer, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                              "AND wait_event_type = 'Lock'");
    int waiting = atoi(n);
    free(n);
    return waiting;
}

/* A holds the item's counter in an open transaction; B starts its create
 * then, must wait for A's row lock, and gets the number after A's. */
static void a_writer_waiting_on_an_open_transaction_gets_the_next_version(void **state)
{
    (void)state;
    sc_conn *first, *observer;
    sc_error err = {0};
    sc_arena *a = sc_arena_new(0);
    assert_int_equal(sc_pool_acquire(pool, &first, &err), SC_OK);
    assert_int_equal(sc_pool_acquire(pool, &observer, &err), SC_OK);
    world w = make_world(observer, a);
    assert_int_equal(sc_tx_begin(first, NULL, &err), SC_OK);
    tn_analysis an;
    assert_int_equal(tn_analyses_create(first, a, &(tn_analysis_new){.item_id = w.anns_item, .user_id = w.ann,
                                                                     .body = "first"}, &an, &err), SC_OK);
    assert_int_equal(an.version, 1);
    writer second = {.item = w.anns_item, .user = w.ann, .n = 1, .in_transaction = true};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, write_versions, &second), 0);
    /* B is inside its create, blocked on A's row (or failed: reported below) */
    while (lock_waiters(observer) == 0 && !__atomic_load_n(&second.finished, __ATOMIC_SEQ_CST))
        ;
    assert_false(__atomic_load_n(&second.finished, __ATOMIC_SEQ_CST));
    assert_int_equal(sc_tx_commit(first, &err), SC_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (second.status != SC_OK)
        fail_msg("the waiting writer failed (%d): %s", second.status, second.message);
    assert_int_equal(second.versions[0], 2);
    char q[160];
    snprintf(q, sizeof q, "SELECT string_agg(version::text, ',' ORDER BY version) FROM tenancy.analyses "
                          "WHERE item_id = %lld", (long long)w.anns_item);
    expect_sql(observer, "1,2", q);
    sc_pool_release(pool, first);
    sc_pool_release(pool, observer);
    sc_arena_free(a);
}

/* ---- REPEATABLE READ: the waiting writer's snapshot is too old --------- */

typedef struct rr_writer {
    int64_t item, user;
    int attempts, version, status;
    char message[256];
    bool finished;               /* atomic */
} rr_writer;

static int create_once(sc_conn *c, void *ctx, sc_error *err)
{
    rr_writer *wr = ctx;
    wr->attempts++;
    sc_arena *a = sc_arena_new(0);
    tn_analysis an;
    int rc = tn_analyses_create(c, a, &(tn_analysis_new){.item_id = wr->item, .user_id = wr->user,
                                                         .body = "repeatable"}, &an, err);
    if (rc == SC_OK)
        wr->version = an.version;
    sc_arena_free(a);
    return rc;
}

static void *write_repeatable_read(void *arg)
{
    rr_writer *wr = arg;
    sc_error err = {0};
    sc_tx_options o = {SC_ISOLATION_REPEATABLE_READ, false, false, 3, 0.0};
    wr->status = sc_tx_run(pool, &o, create_once, wr, &err);
    snprintf(wr->message, sizeof wr->message, "%s", err.message);
    __atomic_store_n(&wr->finished, true, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Under REPEATABLE READ the waiting writer cannot see the committed counter:
 * its create fails with a serialization error, which sc_tx_run retries in a
 * fresh transaction, and the retry gets the next number. */
static void repeatable_read_writers_retry_to_the_next_version(void **state)
{
    (void)state;
    sc_conn *first, *observer;
    sc_error err = {0};
    sc_arena *a = sc_arena_new(0);
    assert_int_equal(sc_pool_acquire(pool, &first, &err), SC_OK);
    assert_int_equal(sc_pool_acquire(pool, &observer, &err), SC_OK);
    world w = make_world(observer, a);
    sc_tx_options o = {SC_ISOLATION_REPEATABLE_READ, false, false, -1, -1.0};
    assert_int_equal(sc_tx_begin(first, &o, &err), SC_OK);
    tn_analysis an;
    assert_int_equal(tn_analyses_create(first, a, &(tn_analysis_new){.item_id = w.anns_item, .user_id = w.ann,
                                                                     .body = "first"}, &an, &err), SC_OK);
    rr_writer second = {.item = w.anns_item, .user = w.ann};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, write_repeatable_read, &second), 0);
    while (lock_waiters(observer) == 0 && !__atomic_load_n(&second.finished, __ATOMIC_SEQ_CST))
        ;
    assert_false(__atomic_load_n(&second.finished, __ATOMIC_SEQ_CST));
    assert_int_equal(sc_tx_commit(first, &err), SC_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (second.status != SC_OK)
        fail_msg("the repeatable-read writer failed (%d): %s", second.status, second.message);
    assert_int_equal(second.attempts, 2);
    assert_int_equal(second.version, 2);
    sc_pool_release(pool, first);
    sc_pool_release(pool, observer);
    sc_arena_free(a);
}

/* WRITERS threads released together, each making CREATES_EACH versions of
 * one item (half of them inside one open transaction each): every number
 * 1..N once, no error. */
static void racing_writers_get_distinct_versions(void **state)
{
    (void)state;
    sc_conn *c;
    sc_error err = {0};
    sc_arena *a = sc_arena_new(0);
    assert_int_equal(sc_pool_acquire(pool, &c, &err), SC_OK);
    world w = make_world(c, a);
    sc_pool_release(pool, c);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, WRITERS);
    writer wr[WRITERS];
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        wr[i] = (writer){.item = w.anns_item, .user = w.ann, .n = CREATES_EACH, .start = &start,
                         .in_transaction = i % 2 == 0};
        assert_int_equal(pthread_create(&t[i], NULL, write_versions, &wr[i]), 0);
    }
    bool seen[WRITERS * CREATES_EACH + 1] = {false};
    for (int i = 0; i < WRITERS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        if (wr[i].status != SC_OK)
            fail_msg("writer %d failed (%d): %s", i, wr[i].status, wr[i].message);
        for (int k = 0; k < CREATES_EACH; k++) {
            int v = wr[i].versions[k];
            if (v < 1 || v > WRITERS * CREATES_EACH || seen[v])
                fail_msg("writer %d got version %d twice or out of 1..%d", i, v, WRITERS * CREATES_EACH);
            seen[v] = true;
            if (k && v <= wr[i].versions[k - 1])
                fail_msg("writer %d: version %d after %d", i, v, wr[i].versions[k - 1]);
        }
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(sc_pool_acquire(pool, &c, &err), SC_OK);
    char q[160], want[16];
    snprintf(q, sizeof q, "SELECT last_version FROM tenancy.items WHERE id = %lld", (long long)w.anns_item);
    snprintf(want, sizeof want, "%d", WRITERS * CREATES_EACH);
    expect_sql(c, want, q);
    sc_pool_release(pool, c);
    sc_arena_free(a);
}

static int setup(void **state)
{
    (void)state;
    char why[1024], schema_sql[4096];
    snprintf(database, sizeof database, "t_tenancy_%d", (int)getpid());
    if (sc_testkit_create_database(database, sc_testkit_schema_path(__FILE__, schema_sql, sizeof schema_sql),
                                   conninfo, sizeof conninfo, why, sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = conninfo;
    cfg.pool_size = WRITERS + 1;
    cfg.pooler = sc_testkit_pooler();
    sc_error err = {0};
    if (sc_pool_open(&cfg, &pool, &err) != SC_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char why[1024];
    sc_pool_close(pool);
    return sc_testkit_drop_database(database, why, sizeof why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(another_users_parent_is_refused),
        cmocka_unit_test(a_writer_waiting_on_an_open_transaction_gets_the_next_version),
        cmocka_unit_test(repeatable_read_writers_retry_to_the_next_version),
        cmocka_unit_test(racing_writers_get_distinct_versions),
    };
    return cmocka_run_group_tests_name("tenancy/behaviour", tests, setup, teardown);
}
