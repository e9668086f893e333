/* A promotion in the middle of a run (issue 17 #1): a writer creates users
 * through the generated API on a primary pool whose conninfo lists both
 * servers with target_session_attrs=read-write; meanwhile the primary is
 * shut down (fast: its WAL senders hand the standby everything first) and
 * the standby promoted. The pool must find the new primary by itself, and
 * every write it acknowledged must be there. Destroys the cluster's
 * primary: run it alone, last (make run-replica). */
#include <pthread.h>

#include "replica_helpers.h"

enum { BEFORE = 40, AFTER = 40, MAX_ACKS = 100000 };

typedef struct writer {
    sc_cluster *cl;
    pthread_mutex_t mu;
    pthread_cond_t progress;
    int acked, acked_after, failures, unknown;
    bool promoted, stop;
    int *ids;
    char (*names)[48];
} writer;

static rp_env env;

static bool retry_later(int rc)
{
    return rc == SC_CONNECTION || rc == SC_READ_ONLY || rc == SC_TIMEOUT;
}

/* One attempt; an acknowledged row is recorded under the lock. */
static void write_once(writer *w, sc_arena *a, int seq)
{
    char name[48], mail[80];
    snprintf(name, sizeof name, "fo-%d-%d", (int)getpid(), seq);
    snprintf(mail, sizeof mail, "%s@example.org", name);
    sm_user_new in = {.username = name, .email = mail, .hashed_password = "x"};
    sm_user out;
    sc_error err = {0};
    sc_conn *c = NULL;
    int rc = sc_cluster_acquire_write(w->cl, &c, &err);
    if (rc == SC_OK)
        rc = sm_users_create(c, a, &in, &out, &err);
    if (c)
        sc_cluster_release(w->cl, c);
    pthread_mutex_lock(&w->mu);
    if (rc == SC_OK && w->acked < MAX_ACKS) {
        w->ids[w->acked] = out.id;
        snprintf(w->names[w->acked], sizeof w->names[0], "%s", name);
        w->acked++;
        w->acked_after += w->promoted;
    } else if (rc == SC_COMMIT_UNKNOWN) {
        w->unknown++;
    } else if (rc != SC_OK) {
        w->failures++;
        if (!retry_later(rc))
            fail_msg("write failed with %s: %s", sc_status_name(rc), err.message);
    }
    pthread_cond_broadcast(&w->progress);
    pthread_mutex_unlock(&w->mu);
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    sc_arena *a = sc_arena_new(0);
    for (int seq = 0;; seq++) {
        pthread_mutex_lock(&w->mu);
        bool done = w->stop || w->acked_after >= AFTER || w->acked >= MAX_ACKS;
        pthread_mutex_unlock(&w->mu);
        if (done)
            break;
        write_once(w, a, seq);
        sc_arena_reset(a);
    }
    sc_arena_free(a);
    return NULL;
}

static void wait_for_acks(writer *w, int n)
{
    pthread_mutex_lock(&w->mu);
    while (w->acked < n)
        pthread_cond_wait(&w->progress, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

static void run_ctl(const char *var, const char *args)
{
    const char *ctl = getenv(var);
    assert_non_null(ctl);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null", ctl, args);
    assert_int_equal(system(cmd), 0);
}

static void promotion_keeps_acknowledged_writes(void **state)
{
    (void)state;
    char both[1024];
    snprintf(both, sizeof both,
             "host=%s,%s port=%s,%s dbname=%s user=postgres target_session_attrs=read-write",
             getenv("PGHOST"), getenv("SC_TEST_REPLICA_HOST"), getenv("PGPORT"),
             getenv("SC_TEST_REPLICA_PORT"), env.name);
    writer w = {.cl = rp_cluster_on(both, NULL, 0), .ids = calloc(MAX_ACKS, sizeof(int)),
                .names = calloc(MAX_ACKS, 48)};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.progress, NULL);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);

    wait_for_acks(&w, BEFORE);
    run_ctl("SC_TEST_PG_CTL", "stop -m fast");
    run_ctl("SC_TEST_STANDBY_PG_CTL", "promote");
    pthread_mutex_lock(&w.mu);
    w.promoted = true;
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(pthread_join(t, NULL), 0);
    printf("failover: %d writes acknowledged (%d after the promotion), %d refused while no "
           "primary answered, %d with an unknown outcome\n",
           w.acked, w.acked_after, w.failures, w.unknown);
    assert_true(w.acked_after >= AFTER);
    assert_int_equal(sc_cluster_close(w.cl), 0);

    /* Every acknowledged row is on the new primary. */
    sc_cluster *now = rp_cluster_on(env.replica_conninfo, NULL, 0);
    sc_conn *c = NULL;
    sc_error err = {0};
    assert_int_equal(sc_cluster_acquire_write(now, &c, &err), SC_OK);
    int missing = 0;
    for (int i = 0; i < w.acked; i++) {
        sm_user u;
        int rc = sm_users_get(c, env.arena, w.ids[i], &u, &err);
        missing += rc != SC_OK || strcmp(u.username, w.names[i]) != 0;
    }
    sc_cluster_release(now, c);
    assert_int_equal(sc_cluster_close(now), 0);
    assert_int_equal(missing, 0);
    free(w.ids);
    free(w.names);
}

int main(void)
{
    if (!rp_tier_available())
        return 0;
    if (!rp_env_open(&env, "failover"))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(promotion_keeps_acknowledged_writes),
    };
    int failed = cmocka_run_group_tests_name("failover", tests, NULL, NULL);
    /* No drop: the old primary is down and the cluster is thrown away. */
    sc_arena_free(env.arena);
    return failed;
}
