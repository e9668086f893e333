/* Scratch databases (see scratch.h). */
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quiet(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static int fail_with(sc_migrate_error *err, const char *what, const char *why)
{
    snprintf(err->message, sizeof err->message, "%s: %s", what, why);
    return -1;
}

static PGconn *checked(PGconn *c, const char *url, const char *what, sc_migrate_error *err)
{
    if (PQstatus(c) == CONNECTION_OK) {
        PQsetNoticeProcessor(c, quiet, NULL);
        return c;
    }
    char why[1024]; /* libpq's message can quote the password */
    snprintf(err->message, sizeof err->message, "cannot connect to %s: %s", what,
             sc_migrate_connect_error(url, c, why, sizeof why));
    PQfinish(c);
    return NULL;
}

PGconn *gen_connect(const char *url, const char *what, sc_migrate_error *err)
{
    return checked(PQconnectdb(url ? url : ""), url, what, err);
}

/* Database dbname on the server of url: url's other settings, its dbname
 * replaced (the second dbname wins over the one the URL expands to). */
static PGconn *connect_db(const char *url, const char *dbname, sc_migrate_error *err)
{
    const char *keys[] = {"dbname", "dbname", NULL};
    const char *vals[] = {url ? url : "", dbname, NULL};
    char what[128];
    snprintf(what, sizeof what, "the scratch database %s", dbname);
    return checked(PQconnectdbParams(keys, vals, 1), url, what, err);
}

int gen_exec(PGconn *c, const char *sql, const char *what, sc_migrate_error *err)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        rc = fail_with(err, what, msg ? msg : PQerrorMessage(c));
    }
    PQclear(r);
    return rc;
}

/* 16 hex digits from /dev/urandom: two runs at once never collide. */
static int random_name(char *buf, size_t size, sc_migrate_error *err)
{
    unsigned char bytes[8];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f)
        fclose(f);
    if (got != sizeof bytes)
        return fail_with(err, "scratch database", "cannot read /dev/urandom");
    int n = snprintf(buf, size, "schemac_scratch_");
    for (size_t i = 0; i < sizeof bytes; i++)
        n += snprintf(buf + n, size - (size_t)n, "%02x", bytes[i]);
    return 0;
}

/* Schemas of a database apart from the system's and public. */
static const char *const own_schemas =
    "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname <> 'public' "
    "AND nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%' ORDER BY nspname";

/* A given scratch database must start empty: what is dropped at the end
 * is then only what this run created. */
static int require_empty(PGconn *c, sc_migrate_error *err)
{
    PGresult *r = PQexec(c, own_schemas);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = fail_with(err, "the scratch database", PQerrorMessage(c));
    else if (PQntuples(r) > 0)
        snprintf(err->message, sizeof err->message,
                 "the scratch database (--scratch-url) must be empty, but it has schema %s%s: "
                 "give a database of its own, which the run fills and empties again",
                 PQgetvalue(r, 0, 0), PQntuples(r) > 1 ? " and others" : ""),
            rc = -1;
    PQclear(r);
    return rc;
}

static int open_given(gen_scratch *s, const char *scratch_url, sc_migrate_error *err)
{
    s->conn = gen_connect(scratch_url, "the scratch database (--scratch-url)", err);
    if (!s->conn)
        return -1;
    if (require_empty(s->conn, err)) {
        PQfinish(s->conn);
        s->conn = NULL;
        return -1;
    }
    return 0;
}

int gen_scratch_open(gen_scratch *s, const char *server_url, const char *scratch_url,
                     sc_migrate_error *err)
{
    memset(s, 0, sizeof *s);
    if (scratch_url)
        return open_given(s, scratch_url, err);
    char name[64], sql[160];
    if (random_name(name, sizeof name, err))
        return -1;
    s->admin = gen_connect(server_url, server_url && *server_url ? "DATABASE_URL" : "the server "
                           "libpq's defaults name (PGHOST, PGPORT; DATABASE_URL is not set)", err);
    if (!s->admin)
        return -1;
    /* template0: objects a site added to template1 would look like drift */
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0", name);
    if (gen_exec(s->admin, sql, "cannot create a scratch database (give --scratch-url on "
                 "servers where the user may not create databases)", err)) {
        gen_scratch_close(s);
        return -1;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->conn = connect_db(server_url, name, err);
    if (!s->conn) {
        gen_scratch_close(s);
        return -1;
    }
    return 0;
}

/* A given database: every schema the run created goes again. */
static void empty_given(PGconn *c)
{
    PGresult *r = PQexec(c, own_schemas);
    for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
        char *id = PQescapeIdentifier(c, PQgetvalue(r, i, 0), strlen(PQgetvalue(r, i, 0)));
        char sql[256];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", id ? id : "\"\"");
        PQfreemem(id);
        PQclear(PQexec(c, sql));
    }
    PQclear(r);
}

void gen_scratch_close(gen_scratch *s)
{
    if (!s)
        return;
    if (s->conn && !s->admin)
        empty_given(s->conn);
    PQfinish(s->conn);
    s->conn = NULL;
    if (s->admin && s->name[0]) {
        char sql[160];
        sc_migrate_error err = {{0}};
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", s->name);
        if (gen_exec(s->admin, sql, "cannot drop the scratch database", &err))
            fprintf(stderr, "schemac: %s (%s is left behind)\n", err.message, s->name);
    }
    PQfinish(s->admin);
    s->admin = NULL;
    s->name[0] = '\0';
}
