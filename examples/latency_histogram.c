/* Feeding the runtime's hooks into metrics: every statement's latency goes
 * into a histogram per statement name, every acquire's wait into another,
 * and the program prints them. `make demo` runs it after the demo service
 * (it needs a database migrated to head, with DATABASE_URL set). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "schemac.h"
#include "sm_users.h"

enum { BUCKETS = 16, NAMES = 8, CALLS = 2000 };

/* Bucket k holds latencies from 2^k to 2^(k+1) microseconds. */
typedef struct histogram {
    const char *name;
    long count[BUCKETS];
    long total;
} histogram;

typedef struct metrics {
    pthread_mutex_t mu; /* hooks run on whichever thread made the call */
    histogram statements[NAMES];
    histogram acquire_wait;
    long failures;
} metrics;

static void add(histogram *h, double seconds)
{
    double us = seconds * 1e6;
    int k = 0;
    while (k < BUCKETS - 1 && us >= (double)(2L << k))
        k++;
    h->count[k]++;
    h->total++;
}

static histogram *for_name(metrics *m, const char *name)
{
    for (int i = 0; i < NAMES; i++) {
        histogram *h = &m->statements[i];
        if (!h->name || strcmp(h->name, name) == 0) {
            h->name = name; /* statement names are static strings */
            return h;
        }
    }
    return &m->statements[NAMES - 1];
}

static void on_statement(void *ctx, const sc_statement_event *ev)
{
    metrics *m = ctx;
    pthread_mutex_lock(&m->mu);
    add(for_name(m, ev->name ? ev->name : "(raw SQL)"), ev->seconds);
    m->failures += ev->status != SC_OK;
    pthread_mutex_unlock(&m->mu);
}

static void on_pool(void *ctx, const sc_pool_event *ev)
{
    metrics *m = ctx;
    if (ev->kind != SC_POOL_ACQUIRE)
        return;
    pthread_mutex_lock(&m->mu);
    add(&m->acquire_wait, ev->seconds);
    pthread_mutex_unlock(&m->mu);
}

static void print(const histogram *h)
{
    printf("%s: %ld\n", h->name, h->total);
    for (int k = 0; k < BUCKETS; k++)
        if (h->count[k])
            printf("  %6ld-%-6ld us %6ld\n", k ? 2L << (k - 1) : 0L, 2L << k, h->count[k]);
}

static int fail(const char *what, int rc, const sc_error *e)
{
    fprintf(stderr, "latency_histogram: %s: %s %s\n", what, sc_status_name(rc), e->message);
    return 1;
}

int main(void)
{
    static metrics m = {.mu = PTHREAD_MUTEX_INITIALIZER, .acquire_wait = {.name = "acquire wait"}};
    sc_pool_config cfg;
    sc_error e = {0};
    int rc = sc_pool_config_from_env(&cfg, &e);
    if (rc != SC_OK)
        return fail("config", rc, &e);
    cfg.on_statement = on_statement;
    cfg.on_pool = on_pool;
    cfg.hook_ctx = &m;
    sc_pool *pool = NULL;
    if ((rc = sc_pool_open(&cfg, &pool, &e)) != SC_OK)
        return fail("open", rc, &e);
    sc_arena *a = sc_arena_new(0);
    sm_user_new in = {.username = "histogram", .email = "histogram@example.org",
                      .hashed_password = "$argon2id$demo"};
    sm_user user;
    for (int i = 0; i < CALLS && rc == SC_OK; i++) {
        sc_conn *c = NULL;
        if ((rc = sc_pool_acquire(pool, &c, &e)) != SC_OK)
            break;
        if (i == 0)
            rc = sm_users_create(c, a, &in, &user, &e);
        if (rc == SC_OK)
            rc = sm_users_get_by_username(c, a, "histogram", &user, &e);
        sc_pool_release(pool, c);
        sc_arena_reset(a);
    }
    sc_arena_free(a);
    sc_pool_close(pool);
    sc_pool_config_cleanup(&cfg);
    if (rc != SC_OK)
        return fail("calls", rc, &e);
    for (int i = 0; i < NAMES && m.statements[i].name; i++)
        print(&m.statements[i]);
    print(&m.acquire_wait);
    printf("failed statements: %ld\n", m.failures);
    return 0;
}
