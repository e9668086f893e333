/* Shared by the suites of the generated Semantik layer: each suite gets a
 * database of its own, built from generated/schema.sql and dropped at the
 * end, so suites never see each other's rows. */
#ifndef GEN_HELPERS_H
#define GEN_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "schemac.h"
#include "sc_query.h"
#include "sc_testkit.h"

typedef struct gen_db {
    char name[64];
    char conninfo[512];
    sc_pool *pool;
    sc_conn *conn;
    sc_arena *arena;
} gen_db;

/* Creates the suite's database from generated/schema.sql (sc_testkit.h) and
 * opens a pool of one on it. */
static inline gen_db *gen_db_open(const char *suite)
{
    gen_db *db = calloc(1, sizeof *db);
    char why[1024];
    snprintf(db->name, sizeof db->name, "gen_%s_%d", suite, (int)getpid());
    if (sc_testkit_create_database(db->name, "generated/schema.sql", db->conninfo,
                                   sizeof db->conninfo, why, sizeof why) != 0)
        fail_msg("%s", why);
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = db->conninfo;
    cfg.pool_size = 1;
    cfg.pooler = sc_testkit_pooler();
    cfg.application_name = "schemac-generated-test";
    sc_error e = {0};
    if (sc_pool_open(&cfg, &db->pool, &e) != SC_OK)
        fail_msg("sc_pool_open: %s", e.message);
    assert_int_equal(sc_pool_acquire(db->pool, &db->conn, &e), SC_OK);
    db->arena = sc_arena_new(0);
    return db;
}

static inline void gen_db_close(gen_db *db)
{
    char why[1024];
    sc_pool_release(db->pool, db->conn);
    sc_pool_close(db->pool);
    sc_arena_free(db->arena);
    if (sc_testkit_drop_database(db->name, why, sizeof why) != 0)
        fail_msg("%s", why);
    free(db);
}

/* Runs SQL on the suite database outside the pool (EXPLAIN, fixtures). */
static inline PGresult *gen_sql(gen_db *db, const char *sql)
{
    PGconn *pg = PQconnectdb(db->conninfo);
    PGresult *r = PQexec(pg, sql);
    PQfinish(pg);
    return r;
}

/* One number from SQL on the suite database (count(*), sum(...)). */
static inline long long gen_scalar(gen_db *db, const char *sql)
{
    PGresult *r = gen_sql(db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* A pool of one on the suite database with a client deadline and pooler
 * mode of the test's choosing. */
static inline sc_pool *gen_pool_with(gen_db *db, double client_timeout_s, sc_pooler_mode pooler)
{
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = db->conninfo;
    cfg.pool_size = 1;
    cfg.client_timeout_s = client_timeout_s;
    cfg.pooler = pooler;
    sc_pool *p = NULL;
    sc_error e = {0};
    if (sc_pool_open(&cfg, &p, &e) != SC_OK)
        fail_msg("sc_pool_open: %s", e.message);
    return p;
}

/* A thread that kills backend `pid` once the server reports it waiting on
 * a lock: the wait is on the server's own report, not on time. */
typedef struct gen_killer {
    const char *conninfo;
    int pid;
    bool killed;
} gen_killer;

static inline void *gen_kill_when_blocked(void *arg)
{
    gen_killer *k = arg;
    PGconn *pg = PQconnectdb(k->conninfo);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE pid = %d AND wait_event_type = 'Lock'", k->pid);
    for (int tries = 0; tries < 100000 && !k->killed; tries++) {
        PGresult *r = PQexec(pg, sql);
        k->killed = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        PQclear(r);
    }
    PQfinish(pg);
    return NULL;
}

#endif
