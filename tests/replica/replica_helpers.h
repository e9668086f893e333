/* The replica tier's fixture: a database of the suite's own built from
 * generated/schema.sql on the primary, and the moment the standby has
 * replayed it, so that both servers hold the same (empty) schema. Needs
 * tests/pg/with-standby (SC_TEST_REPLICA_HOST/PORT). */
#ifndef REPLICA_HELPERS_H
#define REPLICA_HELPERS_H

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
#include "sm_api_keys.h"
#include "sm_users.h"

typedef struct rp_env {
    char name[64];
    char primary_conninfo[512];
    char replica_conninfo[512];
    char standby_admin[512];  /* the standby's postgres database */
    sc_arena *arena;
} rp_env;

static inline bool rp_tier_available(void)
{
    if (getenv("SC_TEST_REPLICA_HOST") && getenv("SC_TEST_REPLICA_PORT"))
        return true;
    printf("replica tier: skipped (no standby; run under tests/pg/with-standby)\n");
    return false;
}

static inline PGresult *rp_exec(const char *conninfo, const char *sql)
{
    PGconn *pg = PQconnectdb(conninfo);
    PGresult *r = PQexec(pg, sql);
    PQfinish(pg);
    return r;
}

static inline void rp_standby_sql(rp_env *e, const char *sql)
{
    PGresult *r = rp_exec(e->standby_admin, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s on the standby: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

/* Waits until the standby has replayed everything the primary has written
 * so far (a condition polled against a generous deadline that only stops
 * a hung run, not a timing assertion). */
static inline bool rp_standby_catch_up(rp_env *e)
{
    PGresult *r = rp_exec(e->primary_conninfo, "SELECT pg_current_wal_insert_lsn()::text");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return false;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn",
             PQgetvalue(r, 0, 0));
    PQclear(r);
    for (int attempt = 0; attempt < 600000; attempt++) {
        r = rp_exec(e->standby_admin, sql);
        bool done = PQresultStatus(r) == PGRES_TUPLES_OK && PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
        if (done)
            return true;
    }
    return false;
}

static inline bool rp_env_open(rp_env *e, const char *suite)
{
    memset(e, 0, sizeof *e);
    char why[1024];
    snprintf(e->name, sizeof e->name, "rp_%s_%d", suite, (int)getpid());
    if (sc_testkit_create_database(e->name, "generated/schema.sql", e->primary_conninfo,
                                   sizeof e->primary_conninfo, why, sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        return false;
    }
    const char *host = getenv("SC_TEST_REPLICA_HOST"), *port = getenv("SC_TEST_REPLICA_PORT");
    snprintf(e->replica_conninfo, sizeof e->replica_conninfo,
             "host=%s port=%s dbname=%s user=postgres", host, port, e->name);
    snprintf(e->standby_admin, sizeof e->standby_admin,
             "host=%s port=%s dbname=postgres user=postgres", host, port);
    e->arena = sc_arena_new(0);
    return rp_standby_catch_up(e);
}

static inline void rp_env_close(rp_env *e)
{
    char why[1024];
    sc_arena_free(e->arena);
    if (sc_testkit_drop_database(e->name, why, sizeof why) != 0)
        fprintf(stderr, "%s\n", why);
}

static inline sc_cluster *rp_cluster_on(const char *primary, const char *replica, double wait_s)
{
    sc_pool_config p, r;
    sc_pool_config_init(&p);
    p.conninfo = primary;
    p.pool_size = 2;
    p.pooler = sc_testkit_pooler();
    r = p;
    r.conninfo = replica;
    sc_cluster *cl = NULL;
    sc_error err = {0};
    if (sc_cluster_open(&p, replica ? &r : NULL, wait_s, &cl, &err) != SC_OK)
        fail_msg("sc_cluster_open: %s", err.message);
    return cl;
}

static inline sc_cluster *rp_cluster(rp_env *e, double wait_s)
{
    return rp_cluster_on(e->primary_conninfo, e->replica_conninfo, wait_s);
}

#endif
