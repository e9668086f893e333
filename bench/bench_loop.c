/* make bench: the event-loop form against threads, on the point read
 * (sm_collections_get_by_uuid_with_permission_check) of the same rows:
 *
 *   4 threads, each holding one of 4 pooled connections, blocking calls
 *   1 thread, the same 4 connections, <function>_send + poll(): 1 request
 *     in flight per connection (the threads' concurrency), then 16
 *
 * The pool has the runtime's default settings on both sides. Keys are spread
 * over 1,000 collections. Each figure is the median of 5 runs, alternating
 * sides, with the min-max spread. The target: one thread with 4
 * connections at least 0.9x of 4 threads with 4 connections. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc_testkit.h"
#include "schemac.h"
#include "sm_collections.h"
#include "sm_users.h"

enum { CONNS = 4, CALLS = 20000, KEYS = 1000, RUNS = 5, MAX_DEPTH = 16 };

static char conninfo[512];
static int32_t owner;
static char ids[KEYS][40];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_loop: %s: %s\n", what, why);
    exit(1);
}

static sc_pool *open_pool(void)
{
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = conninfo;
    cfg.pool_size = CONNS;
    sc_pool *p;
    sc_error err = {0};
    if (sc_pool_open(&cfg, &p, &err))
        die("pool", err.message);
    return p;
}

static void seed(sc_pool *p)
{
    sc_conn *c;
    sc_error err = {0};
    if (sc_pool_acquire(p, &c, &err))
        die("acquire", err.message);
    sc_arena *a = sc_arena_new(0);
    sm_user u;
    sm_user_new nu = {.username = "loop", .email = "loop@example.org", .hashed_password = "x"};
    if (sm_users_create(c, a, &nu, &u, &err))
        die("seed user", err.message);
    owner = u.id;
    json_t *meta = json_pack("{s:s, s:i}", "note", "a realistic bit of metadata", "v", 3);
    for (int i = 0; i < KEYS; i++) {
        snprintf(ids[i], sizeof ids[i], "7c1d2e3f-4a5b-4c6d-8e7f-%012d", i);
        char name[32], store[32];
        snprintf(name, sizeof name, "loop %d", i);
        snprintf(store, sizeof store, "col_loop_%d", i);
        sm_collection_new nc = {.id = ids[i], .name = name, .owner_id = owner,
                                .vector_store_name = store, .embedding_model = "m",
                                .chunking_config = meta};
        sm_collection col;
        if (sm_collections_create(c, a, &nc, &col, &err))
            die("seed collection", err.message);
        sc_arena_reset(a);
    }
    json_decref(meta);
    sc_arena_free(a);
    sc_pool_release(p, c);
}

/* ---- threads ------------------------------------------------------------ */

typedef struct worker {
    sc_pool *pool;
    int index;
} worker;

static void *blocking_reads(void *arg)
{
    worker *w = arg;
    sc_conn *c;
    sc_error err = {0};
    if (sc_pool_acquire(w->pool, &c, &err))
        die("acquire", err.message);
    sc_arena *a = sc_arena_new(0);
    sm_collection row;
    for (int i = 0; i < CALLS / CONNS; i++) {
        const char *id = ids[(i * CONNS + w->index) * 7919 % KEYS];
        if (sm_collections_get_by_uuid_with_permission_check(c, a, id, owner, &row, &err))
            die("get", err.message);
        sc_arena_reset(a);
    }
    sc_arena_free(a);
    sc_pool_release(w->pool, c);
    return NULL;
}

static double threads_rate(sc_pool *p)
{
    pthread_t t[CONNS];
    worker w[CONNS];
    double t0 = now();
    for (int i = 0; i < CONNS; i++) {
        w[i] = (worker){p, i};
        pthread_create(&t[i], NULL, blocking_reads, &w[i]);
    }
    for (int i = 0; i < CONNS; i++)
        pthread_join(t[i], NULL);
    return CALLS / (now() - t0);
}

/* ---- one thread, poll() --------------------------------------------------- */

typedef struct loop {
    sc_conn *conns[CONNS];
    int sent, done;
} loop;

typedef struct slot {
    loop *l;
    sc_conn *c;
    sc_arena *a;
    sm_collection row;
} slot;

static void answered(void *ctx, int status, const sc_error *err);

static void send_next(slot *s)
{
    if (s->l->sent == CALLS)
        return;
    sc_error err = {0};
    sc_arena_reset(s->a);
    const char *id = ids[s->l->sent++ * 7919 % KEYS];
    if (sm_collections_get_by_uuid_with_permission_check_send(s->c, s->a, id, owner, &s->row,
                                                              answered, s, &err))
        die("send", err.message);
}

static void answered(void *ctx, int status, const sc_error *err)
{
    slot *s = ctx;
    if (status != SC_OK)
        die("answer", err->message);
    s->l->done++;
    send_next(s);
}

static double loop_rate(sc_pool *p, int depth)
{
    loop l = {0};
    sc_error err = {0};
    for (int i = 0; i < CONNS; i++)
        if (sc_pool_acquire(p, &l.conns[i], &err))
            die("acquire", err.message);
    slot slots[CONNS * MAX_DEPTH];
    double t0 = now();
    for (int i = 0; i < CONNS * depth; i++) {
        slots[i] = (slot){&l, l.conns[i % CONNS], sc_arena_new(0), {0}};
        send_next(&slots[i]);
    }
    while (l.done < CALLS) {
        struct pollfd fds[CONNS];
        for (int i = 0; i < CONNS; i++)
            fds[i] = (struct pollfd){sc_conn_socket(l.conns[i]), sc_conn_events(l.conns[i]), 0};
        poll(fds, CONNS, 1000);
        for (int i = 0; i < CONNS; i++)
            if (fds[i].revents && sc_conn_process(l.conns[i], &err))
                die("process", err.message);
    }
    double rate = CALLS / (now() - t0);
    for (int i = 0; i < CONNS * depth; i++)
        sc_arena_free(slots[i].a);
    for (int i = 0; i < CONNS; i++)
        sc_pool_release(p, l.conns[i]);
    return rate;
}

/* ---- measurement ------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *v, double base)
{
    qsort(v, RUNS, sizeof v[0], by_value);
    double spread = (v[RUNS - 1] - v[0]) / v[RUNS / 2];
    printf("%-50s %9.0f/s  (%.0f-%.0f)  %5.2fx%s\n", what, v[RUNS / 2], v[0], v[RUNS - 1],
           base > 0 ? v[RUNS / 2] / base : 1.0, spread > 0.2 ? "  spread > 20%: do not trust" : "");
}

int main(void)
{
    char why[1024];
    if (sc_testkit_create_database("bench_loop", "generated/schema.sql", conninfo,
                                   sizeof conninfo, why, sizeof why) != 0)
        die("database", why);
    sc_pool *p = open_pool();
    seed(p);
    double th[RUNS], one[RUNS], deep[RUNS];
    for (int r = 0; r < RUNS; r++) {
        th[r] = threads_rate(p);
        one[r] = loop_rate(p, 1);
        deep[r] = loop_rate(p, MAX_DEPTH);
    }
    printf("\nbench_loop: point read with permission check, %d calls, median of %d (min-max)\n",
           CALLS, RUNS);
    qsort(th, RUNS, sizeof th[0], by_value);
    double base = th[RUNS / 2];
    report("4 threads x 4 connections, blocking", th, 0);
    report("1 thread x 4 connections, 1 in flight each", one, base);
    report("1 thread x 4 connections, 16 in flight each", deep, base);
    printf("target: 1 thread x 4 connections >= 0.90x of 4 threads x 4 connections\n");
    sc_pool_close(p);
    return 0;
}
