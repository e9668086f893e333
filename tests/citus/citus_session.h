/* What the Citus tier's tests share: a libpq connection for catalog checks
 * and a pool of one for the generated API, both on DATABASE_URL (the
 * coordinator), plus sql() that fails the test on any error. Included once
 * per test program (it defines the session's statics). */
#ifndef CITUS_SESSION_H
#define CITUS_SESSION_H

#include <stdlib.h>

#include <libpq-fe.h>

#include "schemac.h"

static PGconn *pg;
static sc_pool *pool;
static sc_conn *conn;
static sc_arena *arena;

static int session_open(void **state)
{
    (void)state;
    pg = PQconnectdb(getenv("DATABASE_URL"));
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = getenv("DATABASE_URL");
    cfg.pool_size = 1;
    sc_error err = {0};
    if (PQstatus(pg) != CONNECTION_OK || sc_pool_open(&cfg, &pool, &err) != SC_OK ||
        sc_pool_acquire(pool, &conn, &err) != SC_OK)
        return -1;
    arena = sc_arena_new(0);
    return 0;
}

static int session_close(void **state)
{
    (void)state;
    sc_pool_release(pool, conn);
    sc_pool_close(pool);
    sc_arena_free(arena);
    PQfinish(pg);
    return 0;
}

static PGresult *sql(const char *text)
{
    PGresult *r = PQexec(pg, text);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", text, PQresultErrorMessage(r));
    return r;
}

#endif
