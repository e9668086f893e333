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

typedef struct gen_db {
    char name[64];
    char conninfo[512];
    sc_pool *pool;
    sc_conn *conn;
    sc_arena *arena;
} gen_db;

static inline void gen_exec(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s\n-- in: %.300s", PQerrorMessage(pg), sql);
    PQclear(r);
}

static inline char *gen_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        fail_msg("cannot read %s", path);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Creates the suite's database, loads the schema, opens a pool of one. */
static inline gen_db *gen_db_open(const char *suite)
{
    gen_db *db = calloc(1, sizeof *db);
    snprintf(db->name, sizeof db->name, "gen_%s_%d", suite, (int)getpid());
    PGconn *admin = PQconnectdb(getenv("DATABASE_URL"));
    assert_int_equal(PQstatus(admin), CONNECTION_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db->name);
    gen_exec(admin, sql);
    PQfinish(admin);
    const char *host = getenv("PGHOST"), *port = getenv("PGPORT"), *user = getenv("PGUSER");
    snprintf(db->conninfo, sizeof db->conninfo, "host=%s port=%s user=%s dbname=%s",
             host ? host : "/tmp", port ? port : "5432", user ? user : "postgres", db->name);
    PGconn *pg = PQconnectdb(db->conninfo);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    char *ddl = gen_read_file("generated/schema.sql");
    gen_exec(pg, "SET client_min_messages = warning");
    gen_exec(pg, ddl);
    free(ddl);
    PQfinish(pg);
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = db->conninfo;
    cfg.pool_size = 1;
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
    sc_pool_release(db->pool, db->conn);
    sc_pool_close(db->pool);
    sc_arena_free(db->arena);
    PGconn *admin = PQconnectdb(getenv("DATABASE_URL"));
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db->name);
    gen_exec(admin, sql);
    PQfinish(admin);
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


#endif
