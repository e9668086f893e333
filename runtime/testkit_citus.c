/* The test kit on a Citus cluster (tests/pg/with-citus exports
 * SC_TEST_CITUS=1 and SC_TEST_CITUS_WORKERS="5433 5434", the workers on the
 * coordinator's host). Citus 12.1 keeps its node list per database and does
 * not propagate CREATE or DROP DATABASE, so a suite's fresh database is made
 * on every worker too, gets the citus extension on every node, and the
 * coordinator joins the workers in it; it is dropped on every node after.
 * Without SC_TEST_CITUS none of this runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit_internal.h"

bool sc_testkit_citus_enabled(void)
{
    const char *v = getenv("SC_TEST_CITUS");
    return v && *v && strcmp(v, "0") != 0;
}

static int citus_fail(char *why, size_t n, const char *what, const char *port, PGconn *pg)
{
    snprintf(why, n, "citus: %s (port %s): %s", what, port, pg ? PQerrorMessage(pg) : "");
    return -1;
}

/* A node of the cluster: the settings of url (the coordinator's; NULL or
 * empty: libpq's environment) with dbname, host and port replaced. The
 * later keywords override the expanded url, so no quoting is needed. */
static PGconn *node_connect(const char *url, const char *dbname, const char *host,
                            const char *port)
{
    const char *keys[] = {"dbname", "dbname", "host", "port", NULL};
    const char *values[] = {url ? url : "", dbname, host, port, NULL};
    return PQconnectdbParams(keys, values, 1);
}

static int node_exec(PGconn *pg, const char *sql, const char *port, char *why, size_t n)
{
    PGresult *r = PQexec(pg, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok ? 0 : citus_fail(why, n, sql, port, pg);
}

/* Runs sql in database dbname of the node at host:port. */
static int on_node(const char *url, const char *dbname, const char *host, const char *port,
                   const char *sql, char *why, size_t n)
{
    PGconn *pg = node_connect(url, dbname, host, port);
    int rc = PQstatus(pg) == CONNECTION_OK ? 0 : citus_fail(why, n, "cannot connect", port, pg);
    rc = rc ? rc : node_exec(pg, "SET client_min_messages = warning", port, why, n);
    rc = rc ? rc : node_exec(pg, sql, port, why, n);
    PQfinish(pg);
    return rc;
}

/* Where a suite's database lives: the coordinator's url and host:port. */
typedef struct citus_db {
    const char *url, *name, *host, *port;
} citus_db;

typedef int (*worker_fn)(const citus_db *db, const char *port, char *why, size_t n);

/* Calls each for every port of SC_TEST_CITUS_WORKERS, stopping at the
 * first failure. */
static int each_worker(worker_fn each, const citus_db *db, char *why, size_t n)
{
    const char *list = getenv("SC_TEST_CITUS_WORKERS");
    char port[16];
    for (const char *p = list ? list : ""; *p;) {
        size_t len = strcspn(p, " ,");
        if (len > 0 && len < sizeof port) {
            snprintf(port, sizeof port, "%.*s", (int)len, p);
            if (each(db, port, why, n))
                return -1;
        }
        p += len;
        p += strspn(p, " ,");
    }
    return 0;
}

static int create_on_worker(const citus_db *db, const char *port, char *why, size_t n)
{
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    int rc = on_node(db->url, "postgres", db->host, port, sql, why, n);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db->name);
    rc = rc ? rc : on_node(db->url, "postgres", db->host, port, sql, why, n);
    return rc ? rc : on_node(db->url, db->name, db->host, port, "CREATE EXTENSION citus", why, n);
}

/* On the coordinator, in the suite's database. */
static int add_worker(const citus_db *db, const char *port, char *why, size_t n)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT citus_add_node('%s', %s)", db->host, port);
    return on_node(db->url, db->name, db->host, db->port, sql, why, n);
}

static int drop_on_worker(const citus_db *db, const char *port, char *why, size_t n)
{
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    return on_node(db->url, "postgres", db->host, port, sql, why, n);
}

int sc_testkit_citus_create(PGconn *coordinator, const char *url, const char *name, char *why,
                            size_t n)
{
    citus_db db = {url, name, PQhost(coordinator), PQport(coordinator)};
    if (strchr(db.host, '\''))
        return citus_fail(why, n, "a quote in the coordinator's host", db.port, NULL);
    if (each_worker(create_on_worker, &db, why, n))
        return -1;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT citus_set_coordinator_host('%s', %s)", db.host, db.port);
    int rc = on_node(url, name, db.host, db.port, "CREATE EXTENSION citus", why, n);
    rc = rc ? rc : on_node(url, name, db.host, db.port, sql, why, n);
    return rc ? rc : each_worker(add_worker, &db, why, n);
}

int sc_testkit_citus_drop(PGconn *coordinator, const char *url, const char *name, char *why,
                          size_t n)
{
    citus_db db = {url, name, PQhost(coordinator), PQport(coordinator)};
    return each_worker(drop_on_worker, &db, why, n);
}
