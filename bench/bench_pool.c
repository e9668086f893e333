/* make bench: what the pool costs.
 *  1. uncontended sc_pool_acquire + sc_pool_release (pre_ping off and on);
 *  2. 8 threads each borrowing, running the get-collection query
 *     (owner-or-public check) through sc_exec and releasing, against
 *  3. the baselines: raw libpq with a prepared statement, 8 threads sharing
 *     4 connections through a mutex-guarded free list (what a C programmer
 *     writes without a pool library: the same threads and connections as
 *     the pool of 4), and 8 threads each on its own connection.
 * The pool runs with the runtime's default settings (pre_ping on, idle
 * window 1 s), then with one setting changed per line: 8 connections (the
 * baseline's resources), pinging on every borrow, and a raw-SQL call per
 * borrow (the connection is dirty, so release resets it). Each line is the
 * median of REPEATS runs, interleaved with the baseline's, with min-max. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "schemac.h"

enum {
    THREADS = 8,
    POOLED = 4,
    QUERIES_PER_THREAD = 5000,
    ROWS = 1000,
    CYCLES = 20000,
    REPEATS = 5
};

#define GET_COLLECTION                                                                         \
    "SELECT id, owner_id, is_public, name FROM public.bench_collections"                      \
    " WHERE id = $1 AND (owner_id = $2 OR is_public)"

static const Oid get_types[] = {1043, 23};
static const sc_stmt get_collection = {"bench_get_collection", GET_COLLECTION, 2, get_types,
                                       NULL};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_pool: %s: %s\n", what, why);
    exit(1);
}

static void raw_exec(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die(sql, PQresultErrorMessage(r));
    PQclear(r);
}

static void create_table(void)
{
    PGconn *pg = PQconnectdb(getenv("DATABASE_URL"));
    if (PQstatus(pg) != CONNECTION_OK)
        die("connect", PQerrorMessage(pg));
    raw_exec(pg, "SET client_min_messages = warning;"
                 "DROP TABLE IF EXISTS public.bench_collections;"
                 "CREATE TABLE public.bench_collections (id varchar PRIMARY KEY,"
                 " owner_id int NOT NULL, is_public bool NOT NULL, name text NOT NULL);"
                 "INSERT INTO public.bench_collections"
                 " SELECT 'col-' || g, g % 50, g % 7 = 0, 'collection ' || g"
                 " FROM generate_series(0, 999) g;"
                 "ANALYZE public.bench_collections");
    PQfinish(pg);
}

/* One pool configuration: the defaults with at most a change or two. */
typedef struct setup {
    const char *name;
    int size;
    bool pre_ping;
    double pre_ping_idle_s; /* < 0: the default */
    bool dirty;             /* a raw-SQL call per borrow */
} setup;

static sc_pool *open_pool(int size, bool pre_ping, double pre_ping_idle_s)
{
    sc_pool_config cfg;
    sc_error e = {0};
    if (sc_pool_config_from_env(&cfg, &e) != SC_OK)
        die("config", e.message);
    cfg.pool_size = size;
    cfg.max_overflow = 0;
    cfg.pre_ping = pre_ping;
    if (pre_ping_idle_s >= 0)
        cfg.pre_ping_idle_s = pre_ping_idle_s;
    sc_pool *p = NULL;
    if (sc_pool_open(&cfg, &p, &e) != SC_OK)
        die("sc_pool_open", e.message);
    sc_pool_config_cleanup(&cfg);
    return p;
}

static double uncontended_ns(bool pre_ping)
{
    sc_pool *p = open_pool(1, pre_ping, 0); /* 0: every borrow pings */
    sc_conn *c = NULL;
    sc_error e = {0};
    if (sc_pool_acquire(p, &c, &e) != SC_OK) /* open it outside the timing */
        die("acquire", e.message);
    sc_pool_release(p, c);
    double t0 = now();
    for (int i = 0; i < CYCLES; i++) {
        if (sc_pool_acquire(p, &c, &e) != SC_OK)
            die("acquire", e.message);
        sc_pool_release(p, c);
    }
    double ns = (now() - t0) / CYCLES * 1e9;
    sc_pool_close(p);
    return ns;
}

typedef struct worker {
    sc_pool *pool;
    bool dirty;
    int id;
    int found;
} worker;

/* Query i of thread t: a collection the user owns, a public one, or neither. */
static void params_for(int t, int i, char *id, size_t n, char *owner, size_t m)
{
    int row = (t * 7919 + i * 31) % ROWS;
    snprintf(id, n, "col-%d", row);
    snprintf(owner, m, "%d", i % 3 ? row % 50 : (row + 1) % 50);
}

static void *pooled_worker(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < QUERIES_PER_THREAD; i++) {
        char id[32], owner[16];
        params_for(w->id, i, id, sizeof id, owner, sizeof owner);
        const char *vals[2] = {id, owner};
        sc_conn *c = NULL;
        sc_error e = {0};
        PGresult *r = NULL;
        if (sc_pool_acquire(w->pool, &c, &e) != SC_OK)
            die("acquire", e.message);
        if (w->dirty && sc_exec_sql(c, "SELECT 1", NULL, &e) != SC_OK)
            die("sc_exec_sql", e.message);
        if (sc_exec(c, &get_collection, vals, NULL, NULL, 1, &r, &e) != SC_OK)
            die("sc_exec", e.message);
        w->found += PQntuples(r);
        PQclear(r);
        sc_pool_release(w->pool, c);
    }
    return NULL;
}

static void *raw_worker(void *arg)
{
    worker *w = arg;
    PGconn *pg = PQconnectdb(getenv("DATABASE_URL"));
    if (PQstatus(pg) != CONNECTION_OK)
        die("connect", PQerrorMessage(pg));
    PGresult *r = PQprepare(pg, "get", GET_COLLECTION, 2, get_types);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("prepare", PQresultErrorMessage(r));
    PQclear(r);
    for (int i = 0; i < QUERIES_PER_THREAD; i++) {
        char id[32], owner[16];
        params_for(w->id, i, id, sizeof id, owner, sizeof owner);
        const char *vals[2] = {id, owner};
        r = PQexecPrepared(pg, "get", 2, vals, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("execute", PQresultErrorMessage(r));
        w->found += PQntuples(r);
        PQclear(r);
    }
    PQfinish(pg);
    return NULL;
}

/* The hand-written pool: POOLED raw connections on a free list, a mutex
 * and a condition variable; no health check, no session reset. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t freed;
    PGconn *free[POOLED];
    int nfree;
} shared = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0};

static void shared_open(void)
{
    for (int i = 0; i < POOLED; i++) {
        PGconn *pg = PQconnectdb(getenv("DATABASE_URL"));
        if (PQstatus(pg) != CONNECTION_OK)
            die("connect", PQerrorMessage(pg));
        PGresult *r = PQprepare(pg, "get", GET_COLLECTION, 2, get_types);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            die("prepare", PQresultErrorMessage(r));
        PQclear(r);
        shared.free[shared.nfree++] = pg;
    }
}

static void shared_close(void)
{
    while (shared.nfree)
        PQfinish(shared.free[--shared.nfree]);
}

static PGconn *shared_take(void)
{
    pthread_mutex_lock(&shared.mu);
    while (shared.nfree == 0)
        pthread_cond_wait(&shared.freed, &shared.mu);
    PGconn *pg = shared.free[--shared.nfree];
    pthread_mutex_unlock(&shared.mu);
    return pg;
}

static void shared_give(PGconn *pg)
{
    pthread_mutex_lock(&shared.mu);
    shared.free[shared.nfree++] = pg;
    pthread_cond_signal(&shared.freed);
    pthread_mutex_unlock(&shared.mu);
}

static void *raw_shared_worker(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < QUERIES_PER_THREAD; i++) {
        char id[32], owner[16];
        params_for(w->id, i, id, sizeof id, owner, sizeof owner);
        const char *vals[2] = {id, owner};
        PGconn *pg = shared_take();
        PGresult *r = PQexecPrepared(pg, "get", 2, vals, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("execute", PQresultErrorMessage(r));
        w->found += PQntuples(r);
        PQclear(r);
        shared_give(pg);
    }
    return NULL;
}

/* Queries per second over THREADS threads; *found checks both sides did the
 * same work. */
static double run_threads(void *(*fn)(void *), sc_pool *p, bool dirty, int *found)
{
    pthread_t t[THREADS];
    worker w[THREADS];
    double t0 = now();
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){p, dirty, i, 0};
        pthread_create(&t[i], NULL, fn, &w[i]);
    }
    *found = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        *found += w[i].found;
    }
    return (double)THREADS * QUERIES_PER_THREAD / (now() - t0);
}

/* pings: the pre-ping round trips the run sent (sc_pool_get_stats), so the
 * output shows whether two setups ran the same code. */
static double pooled_rate(const setup *s, int *found, uint64_t *pings)
{
    sc_pool *p = open_pool(s->size, s->pre_ping, s->pre_ping_idle_s);
    double rate = run_threads(pooled_worker, p, s->dirty, found);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    *pings += st.pings;
    if (sc_pool_close(p) != 0)
        die("pool", "leaked connections");
    return rate;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const setup setups[] = {
    {"sc_pool, 4 shared, defaults", POOLED, true, -1, false},
    {"sc_pool, 8 connections, defaults", THREADS, true, -1, false},
    {"sc_pool, 4 shared, pre_ping off", POOLED, false, -1, false},
    {"sc_pool, 4 shared, ping every borrow", POOLED, true, 0, false},
    {"sc_pool, 4 shared, raw SQL per borrow", POOLED, true, -1, true},
};
enum { NSETUPS = sizeof setups / sizeof setups[0] };

int main(void)
{
    if (!getenv("DATABASE_URL"))
        die("DATABASE_URL", "not set (run under tests/pg/with-pg)");
    create_table();
    printf("bench_pool: uncontended acquire+release: %.0f ns (pre_ping off), %.0f ns "
           "(pre_ping on, every borrow: one round trip)\n",
           uncontended_ns(false), uncontended_ns(true));
    double raw[REPEATS], raw4[REPEATS], rates[NSETUPS][REPEATS], ratios[NSETUPS][REPEATS];
    uint64_t pings[NSETUPS] = {0};
    int found_raw = 0, found_raw4 = 0;
    for (int r = 0; r < REPEATS; r++) {
        raw[r] = run_threads(raw_worker, NULL, false, &found_raw);
        shared_open();
        raw4[r] = run_threads(raw_shared_worker, NULL, false, &found_raw4);
        shared_close();
        if (found_raw4 != found_raw)
            die("results differ", "the raw runs found different rows");
        for (int k = 0; k < NSETUPS; k++) {
            int found = 0;
            rates[k][r] = pooled_rate(&setups[k], &found, &pings[k]);
            ratios[k][r] = rates[k][r] / (setups[k].size == THREADS ? raw[r] : raw4[r]);
            if (found != found_raw)
                die("results differ", "pooled and raw runs found different rows");
        }
    }
    printf("bench_pool: get-collection, %d threads x %d queries (%d rows found), median of %d"
           " [min-max]\n",
           THREADS, QUERIES_PER_THREAD, found_raw, REPEATS);
    double base8 = median_of(raw, REPEATS), base4 = median_of(raw4, REPEATS);
    printf("bench_pool:   %-40s %8.0f q/s [%.0f-%.0f]\n", "raw libpq, 4 shared (mutex), prepared",
           base4, raw4[0], raw4[REPEATS - 1]);
    printf("bench_pool:   %-40s %8.0f q/s [%.0f-%.0f]\n", "raw libpq, 8 connections, prepared",
           base8, raw[0], raw[REPEATS - 1]);
    /* Each setup against the raw side with its own number of connections;
     * also the median of the ratios run by run (each pooled run against
     * the raw run just before it), which drift between runs affects less. */
    for (int k = 0; k < NSETUPS; k++) {
        bool eight = setups[k].size == THREADS;
        double m = median_of(rates[k], REPEATS), per_run = median_of(ratios[k], REPEATS);
        double spread = (rates[k][REPEATS - 1] - rates[k][0]) / m;
        printf("bench_pool:   %-40s %8.0f q/s [%.0f-%.0f] %.2fx raw %d, per run %.2fx "
               "[%.2f-%.2f], %llu pings%s\n",
               setups[k].name, m, rates[k][0], rates[k][REPEATS - 1], m / (eight ? base8 : base4),
               eight ? 8 : 4, per_run, ratios[k][0], ratios[k][REPEATS - 1],
               (unsigned long long)pings[k], spread > 0.2 ? "  (spread > 20%: noisy)" : "");
    }
    printf("bench_pool: target: 4 shared, defaults >= 0.95x raw 4 shared\n");
    PGconn *pg = PQconnectdb(getenv("DATABASE_URL"));
    raw_exec(pg, "DROP TABLE public.bench_collections");
    PQfinish(pg);
    return 0;
}
