/* Read replicas through the generated API (issue 17 #1), on a real streaming
 * standby of the test cluster (tests/pg/with-standby): read-your-writes by
 * WAL position, a paused standby falling back to the primary, writes and
 * `replica: never` queries refused on replica connections, and a write that
 * reaches a standby mapped to SC_READ_ONLY. Promotion is test_failover. */
#include "replica_helpers.h"

static rp_env env;

static int setup(void **state)
{
    (void)state;
    return rp_env_open(&env, "replica") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rp_env_close(&env);
    return 0;
}

static int create_user(sc_conn *c, sc_arena *a, int i, sm_user *out, sc_error *err)
{
    char name[64], mail[96];
    snprintf(name, sizeof name, "reader-%d-%d", (int)getpid(), i);
    snprintf(mail, sizeof mail, "%s@example.org", name);
    sm_user_new in = {.username = name, .email = mail, .hashed_password = "x"};
    return sm_users_create(c, a, &in, out, err);
}

/* 200 commits each read back at once through the token: never stale. The
 * same pairs read without a token are counted, to show what the token buys
 * (printed, not asserted: how far a standby lags is not the runtime's). */
static void reads_after_writes_are_never_stale(void **state)
{
    (void)state;
    sc_cluster *cl = rp_cluster(&env, 30.0);
    sc_error err = {0};
    int stale = 0, untokened_misses = 0, on_replica = 0;
    for (int i = 0; i < 200; i++) {
        sc_conn *w = NULL, *r = NULL;
        sm_user u, back;
        sc_wal_token t;
        assert_int_equal(sc_cluster_acquire_write(cl, &w, &err), SC_OK);
        assert_int_equal(create_user(w, env.arena, i, &u, &err), SC_OK);
        assert_int_equal(sc_conn_wal_token(w, &t, &err), SC_OK);
        assert_true(t.lsn != 0 && t.lsn != SC_WAL_TOKEN_PRIMARY);
        sc_cluster_release(cl, w);

        if (i % 2) { /* without the token, on the replica */
            assert_int_equal(sc_cluster_acquire_read(cl, NULL, &r, &err), SC_OK);
            untokened_misses += sm_users_get(r, env.arena, u.id, &back, &err) == SC_NOT_FOUND;
            sc_cluster_release(cl, r);
        }
        assert_int_equal(sc_cluster_acquire_read(cl, &t, &r, &err), SC_OK);
        on_replica += sc_conn_is_replica(r);
        int rc = sm_users_get(r, env.arena, u.id, &back, &err);
        stale += rc != SC_OK || strcmp(back.username, u.username) != 0;
        sc_cluster_release(cl, r);
        sc_arena_reset(env.arena);
    }
    sc_cluster_stats s;
    sc_cluster_get_stats(cl, &s);
    printf("read-your-writes: 200 pairs, %d stale; %d of 200 read on the replica "
           "(%llu waited for replay, %llu fell back); without a token %d of 100 missed the row\n",
           stale, on_replica, (unsigned long long)s.waited,
           (unsigned long long)(s.fallbacks_lag + s.fallbacks_down), untokened_misses);
    assert_int_equal(stale, 0);
    assert_true(on_replica > 0);
    assert_int_equal(sc_cluster_close(cl), 0);
}

/* A commit inside a transaction: the token comes with the COMMIT. */
static void commit_token_covers_the_transaction(void **state)
{
    (void)state;
    sc_cluster *cl = rp_cluster(&env, 30.0);
    sc_error err = {0};
    sc_conn *w = NULL, *r = NULL;
    sm_user u, back;
    sc_wal_token t = {0};
    assert_int_equal(sc_cluster_acquire_write(cl, &w, &err), SC_OK);
    assert_int_equal(sc_tx_begin(w, NULL, &err), SC_OK);
    assert_int_equal(create_user(w, env.arena, 1000, &u, &err), SC_OK);
    assert_int_equal(sc_conn_wal_token(w, &t, &err), SC_MISUSE); /* before the commit */
    assert_int_equal(sc_tx_commit_token(w, &t, &err), SC_OK);
    assert_true(t.lsn != 0 && t.lsn != SC_WAL_TOKEN_PRIMARY);
    sc_cluster_release(cl, w);
    assert_int_equal(sc_cluster_acquire_read(cl, &t, &r, &err), SC_OK);
    assert_int_equal(sm_users_get(r, env.arena, u.id, &back, &err), SC_OK);
    sc_cluster_release(cl, r);
    assert_int_equal(sc_cluster_close(cl), 0);
}

/* Replay paused: the token's read waits out its deadline and reads the
 * primary, which has the row; a read without a token stays on the replica
 * (where the row is missing: the difference the token makes). */
static void paused_replay_reads_the_primary(void **state)
{
    (void)state;
    sc_cluster *cl = rp_cluster(&env, 0.05);
    sc_error err = {0};
    rp_standby_sql(&env, "SELECT pg_wal_replay_pause()");
    sc_conn *w = NULL, *r = NULL;
    sm_user u, back;
    sc_wal_token t;
    assert_int_equal(sc_cluster_acquire_write(cl, &w, &err), SC_OK);
    assert_int_equal(create_user(w, env.arena, 2000, &u, &err), SC_OK);
    assert_int_equal(sc_conn_wal_token(w, &t, &err), SC_OK);
    sc_cluster_release(cl, w);

    assert_int_equal(sc_cluster_acquire_read(cl, &t, &r, &err), SC_OK);
    assert_false(sc_conn_is_replica(r));
    assert_int_equal(sm_users_get(r, env.arena, u.id, &back, &err), SC_OK);
    assert_string_equal(back.username, u.username);
    sc_cluster_release(cl, r);

    assert_int_equal(sc_cluster_acquire_read(cl, NULL, &r, &err), SC_OK);
    assert_true(sc_conn_is_replica(r));
    assert_int_equal(sm_users_get(r, env.arena, u.id, &back, &err), SC_NOT_FOUND);
    sc_cluster_release(cl, r);

    sc_cluster_stats s;
    sc_cluster_get_stats(cl, &s);
    assert_int_equal(s.fallbacks_lag, 1);
    rp_standby_sql(&env, "SELECT pg_wal_replay_resume()");
    assert_int_equal(sc_cluster_close(cl), 0);
}

/* An unknown position (lost after a commit) reads the primary. */
static void unknown_position_reads_the_primary(void **state)
{
    (void)state;
    sc_cluster *cl = rp_cluster(&env, 30.0);
    sc_error err = {0};
    sc_wal_token t = {SC_WAL_TOKEN_PRIMARY};
    sc_conn *r = NULL;
    assert_int_equal(sc_cluster_acquire_read(cl, &t, &r, &err), SC_OK);
    assert_false(sc_conn_is_replica(r));
    sc_cluster_release(cl, r);
    assert_int_equal(sc_cluster_close(cl), 0);
}

/* A replica connection refuses writes and `replica: never` reads before
 * any round trip; ordinary reads run. */
static void replica_connection_refuses_writes(void **state)
{
    (void)state;
    sc_cluster *cl = rp_cluster(&env, 30.0);
    sc_error err = {0};
    sc_conn *r = NULL;
    sm_user u;
    sm_api_key k;
    assert_int_equal(sc_cluster_acquire_read(cl, NULL, &r, &err), SC_OK);
    assert_true(sc_conn_is_replica(r));
    assert_int_equal(create_user(r, env.arena, 3000, &u, &err), SC_MISUSE);
    assert_non_null(strstr(err.message, "sc_cluster_acquire_write"));
    sc_error_clear(&err);
    assert_int_equal(sm_users_delete(r, 1, &err), SC_MISUSE);
    sc_error_clear(&err);
    assert_int_equal(sm_api_keys_get_by_key_hash(r, env.arena, "no-such-hash", &k, &err),
                     SC_MISUSE);
    assert_non_null(strstr(err.message, "replica: never"));
    assert_int_equal(sm_users_get_by_username(r, env.arena, "nobody", &u, &err), SC_NOT_FOUND);
    sc_cluster_release(cl, r);

    sc_conn *w = NULL;
    assert_int_equal(sc_cluster_acquire_write(cl, &w, &err), SC_OK);
    assert_int_equal(sm_api_keys_get_by_key_hash(w, env.arena, "no-such-hash", &k, &err),
                     SC_NOT_FOUND);
    sc_cluster_release(cl, w);
    assert_int_equal(sc_cluster_close(cl), 0);
}

/* A primary pool pointed at a standby (the old primary after a failover):
 * the write is refused by the server as 25006, reported SC_READ_ONLY
 * (retryable: it did not run) and the connection is evicted. */
static void write_on_a_standby_is_read_only(void **state)
{
    (void)state;
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = env.replica_conninfo;
    cfg.pool_size = 1;
    sc_pool *p = NULL;
    sc_error err = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &err), SC_OK);
    sc_conn *c = NULL;
    sm_user u;
    assert_int_equal(sc_pool_acquire(p, &c, &err), SC_OK);
    assert_int_equal(create_user(c, env.arena, 4000, &u, &err), SC_READ_ONLY);
    assert_string_equal(err.sqlstate, "25006");
    assert_true(sc_status_is_retryable(SC_READ_ONLY));
    assert_true(sc_conn_is_broken(c));
    sc_pool_release(p, c);
    sc_pool_stats s;
    sc_pool_get_stats(p, &s);
    assert_int_equal(s.evicted, 1);
    assert_int_equal(sc_pool_close(p), 0);
}

/* Bad arguments are refused, not crashed on. */
static void bad_arguments(void **state)
{
    (void)state;
    sc_error err = {0};
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = env.primary_conninfo;
    sc_cluster *cl = NULL;
    assert_int_equal(sc_cluster_open(NULL, NULL, 1, &cl, &err), SC_MISUSE);
    assert_int_equal(sc_cluster_open(&cfg, NULL, -1, &cl, &err), SC_INVALID_INPUT);
    assert_null(cl);
    assert_int_equal(sc_cluster_acquire_read(NULL, NULL, NULL, &err), SC_MISUSE);
    assert_int_equal(sc_conn_wal_token(NULL, NULL, &err), SC_MISUSE);
    assert_int_equal(sc_cluster_close(NULL), 0);
    /* Without replicas every read goes to the primary. */
    assert_int_equal(sc_cluster_open(&cfg, NULL, 1, &cl, &err), SC_OK);
    sc_conn *r = NULL;
    assert_int_equal(sc_cluster_acquire_read(cl, NULL, &r, &err), SC_OK);
    assert_false(sc_conn_is_replica(r));
    sc_cluster_release(cl, r);
    assert_null(sc_cluster_replica(cl));
    assert_int_equal(sc_cluster_close(cl), 0);
}

int main(void)
{
    if (!rp_tier_available())
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_after_writes_are_never_stale),
        cmocka_unit_test(commit_token_covers_the_transaction),
        cmocka_unit_test(paused_replay_reads_the_primary),
        cmocka_unit_test(unknown_position_reads_the_primary),
        cmocka_unit_test(replica_connection_refuses_writes),
        cmocka_unit_test(write_on_a_standby_is_read_only),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests_name("replica", tests, setup, teardown);
}
