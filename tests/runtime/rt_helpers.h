/* Helpers shared by the runtime suites (header-only: each suite is its own
 * binary). Everything talks to the real server named by DATABASE_URL. */
#ifndef RT_HELPERS_H
#define RT_HELPERS_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "schemac.h"
#include "sc_testkit.h"

static inline const char *rt_url(void)
{
    const char *url = getenv("DATABASE_URL");
    assert_non_null(url);
    return url;
}

/* "transaction" or "session" when the suite runs behind PgBouncer
 * (tests/pg/with-pgbouncer), else NULL. */
static inline const char *rt_pgbouncer(void)
{
    const char *m = getenv("SC_TEST_POOLER");
    return m && *m ? m : NULL;
}

/* Skips the calling test, with a visible line, when it runs behind PgBouncer
 * in `mode` (NULL: in either mode). For tests of what PgBouncer changes on
 * purpose (a backend pid, session state); they still run on the server
 * itself in `make test`. */
#define RT_SKIP_BEHIND_PGBOUNCER(mode, why)                                                     \
    do {                                                                                        \
        const char *rt_m_ = rt_pgbouncer();                                                     \
        if (rt_m_ && (!(mode) || strcmp(rt_m_, (mode) ? (mode) : "") == 0)) {                  \
            printf("skipped behind PgBouncer (%s mode): %s: %s\n", rt_m_, __func__, why);       \
            fflush(stdout);                                                                     \
            skip();                                                                             \
        }                                                                                       \
    } while (0)

/* The pid of the server backend c talks to, for tests that kill it. Directly
 * PQbackendPID; behind PgBouncer that is PgBouncer's own key, so the server
 * is asked. That backend is c's only while PgBouncer links them: always in
 * session mode, inside a transaction in transaction mode. */
static inline int rt_server_pid(sc_conn *c)
{
    PGconn *pg = sc_conn_pg(c);
    if (!rt_pgbouncer())
        return PQbackendPID(pg);
    PGresult *r = PQexec(pg, "SELECT pg_backend_pid()");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("SELECT pg_backend_pid(): %s", PQresultErrorMessage(r));
    int pid = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return pid;
}

/* A small pool on the test server, short waits, quick retries; DB_POOLER
 * says whether PgBouncer in transaction mode is in between. */
static inline void rt_config(sc_pool_config *cfg, int size, int overflow)
{
    sc_pool_config_init(cfg);
    cfg->conninfo = rt_url();
    cfg->pool_size = size;
    cfg->max_overflow = overflow;
    cfg->timeout_s = 30;
    cfg->retry_interval_s = 0.001;
    cfg->application_name = "schemac-test";
    cfg->pooler = sc_testkit_pooler();
    cfg->pre_ping_idle_s = 0; /* ping on every borrow: tests kill idle backends */
}

static inline sc_pool *rt_pool(int size, int overflow)
{
    sc_pool_config cfg;
    rt_config(&cfg, size, overflow);
    sc_pool *p = NULL;
    sc_error e = {0};
    int rc = sc_pool_open(&cfg, &p, &e);
    if (rc != SC_OK)
        fail_msg("sc_pool_open: %s %s", sc_status_name(rc), e.message);
    return p;
}

static inline PGconn *rt_raw(void)
{
    PGconn *pg = PQconnectdb(rt_url());
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    return pg;
}

static inline void rt_raw_exec(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

static inline long long rt_raw_int(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

static inline long long rt_raw_intf(PGconn *pg, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return rt_raw_int(pg, sql);
}

static inline void rt_exec(sc_conn *c, const char *sql)
{
    sc_error e = {0};
    int rc = sc_exec_sql(c, sql, NULL, &e);
    if (rc != SC_OK)
        fail_msg("%s %s: %.300s", sc_status_name(rc), e.message, sql);
}

static inline long long rt_int(sc_conn *c, const char *sql)
{
    sc_error e = {0};
    PGresult *r = NULL;
    int rc = sc_exec_sql(c, sql, &r, &e);
    if (rc != SC_OK || PQntuples(r) != 1)
        fail_msg("%s: %s %s", sql, sc_status_name(rc), e.message);
    long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

static inline void rt_pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls (bounded, ~60 s) until sql returns true on the admin connection: a
 * wait for a condition, not for time. */
static inline void rt_wait_until(PGconn *admin, const char *sql)
{
    for (int i = 0; i < 60000; i++) {
        PGresult *r = PQexec(admin, sql);
        bool yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                   PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
        if (yes)
            return;
        rt_pause_ms(1);
    }
    fail_msg("condition never became true: %s", sql);
}

static inline void rt_terminate(PGconn *admin, int pid)
{
    assert_int_equal(rt_raw_intf(admin, "SELECT pg_terminate_backend(%d)::int", pid), 1);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %d)",
             pid);
    rt_wait_until(admin, sql);
}

/* Captures log lines (thread-safe). */
typedef struct rt_log {
    pthread_mutex_t mu;
    char **lines;
    size_t n, cap;
} rt_log;

static inline void rt_log_fn(void *ctx, int level, const char *message)
{
    (void)level;
    rt_log *l = ctx;
    pthread_mutex_lock(&l->mu);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->lines = realloc(l->lines, l->cap * sizeof *l->lines);
    }
    l->lines[l->n++] = strdup(message);
    pthread_mutex_unlock(&l->mu);
}

static inline void rt_log_init(rt_log *l)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
}

static inline void rt_log_free(rt_log *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i]);
    free(l->lines);
    pthread_mutex_destroy(&l->mu);
}

static inline size_t rt_log_count(rt_log *l, const char *needle)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        k += strstr(l->lines[i], needle) != NULL;
    return k;
}

/* An environment for sc_pool_config_from_lookup: {name, value} pairs ending
 * with {NULL, NULL}. */
typedef struct env_pair {
    const char *name, *value;
} env_pair;

static inline const char *table_lookup(const char *name, void *ctx)
{
    for (const env_pair *p = ctx; p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p->value;
    return NULL;
}

#endif
