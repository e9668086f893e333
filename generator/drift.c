/* migrate drift (see drift.h). */
#include "drift.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "scratch.h"

enum { MAX_SCHEMAS = 32 };

typedef struct schema_set {
    char *names[MAX_SCHEMAS];
    size_t n;
} schema_set;

static void add_schema(schema_set *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->names[i]) == len && strncmp(s->names[i], name, len) == 0)
            return;
    if (s->n < MAX_SCHEMAS)
        s->names[s->n++] = strndup(name, len);
}

static void free_schemas(schema_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->names[i]);
    s->n = 0;
}

/* The schemas of every migration's "search_path: pg_catalog, x" header:
 * what the migrations own even where none of them has run yet. */
static void header_schemas(const sc_migrations *m, schema_set *out)
{
    for (size_t i = 0; i < m->n; i++) {
        int k = 0;
        for (const char *p = m->items[i].search_path; p && *p; k++) {
            p += strspn(p, " ,");
            size_t len = strcspn(p, " ,");
            /* "pg_catalog, x, public": public comes last for extensions */
            bool system = (len == 10 && strncmp(p, "pg_catalog", len) == 0) ||
                          (len == 7 && strncmp(p, "\"$user\"", len) == 0) ||
                          (k >= 2 && len == 6 && strncmp(p, "public", len) == 0);
            if (len && !system)
                add_schema(out, p, len);
            p += len;
        }
    }
}

/* The schemas the migrations created in the scratch database. */
static int created_schemas(PGconn *c, schema_set *out, sc_migrate_error *err)
{
    PGresult *r = PQexec(c, "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT IN "
                            "('public', 'information_schema', 'schemac', 'schemac_backup') AND "
                            "nspname NOT LIKE 'pg\\_%'");
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err->message, sizeof err->message, "scratch database: %s", PQerrorMessage(c));
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        add_schema(out, PQgetvalue(r, i, 0), strlen(PQgetvalue(r, i, 0)));
    PQclear(r);
    return rc;
}

/* Applied migrations whose file hashes differently now: the expected
 * catalog is then not what ran. One report line each. */
static size_t changed_files(PGconn *live, const sc_migrations *m, FILE *out)
{
    PGresult *r = PQexec(live, "SELECT revision, checksum FROM schemac.migrations "
                               "WHERE to_regclass('schemac.migrations') IS NOT NULL "
                               "ORDER BY revision");
    size_t n = 0;
    for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
        for (size_t k = 0; k < m->n; k++)
            if (strcmp(m->items[k].revision, PQgetvalue(r, i, 0)) == 0 &&
                strcmp(m->items[k].actual_checksum, PQgetvalue(r, i, 1)) != 0) {
                fprintf(out, "changed checksum of migration %s: '%s' -> '%s' (the file changed "
                             "after it was applied)\n",
                        m->items[k].path, m->items[k].actual_checksum, PQgetvalue(r, i, 1));
                n++;
            }
    PQclear(r);
    return n;
}

static int known_revision(const sc_migrations *m, const char *rev, const char *dir,
                          sc_migrate_error *err)
{
    if (strcmp(rev, "none") == 0)
        return 0;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].revision, rev) == 0)
            return 0;
    snprintf(err->message, sizeof err->message,
             "the database is at revision %s, which no migration in %s provides", rev, dir);
    return -1;
}

/* Builds the expected catalog in the scratch database and compares. */
static int compare(PGconn *live, gen_scratch *s, const sc_migrations *m, const char *rev,
                   FILE *out, size_t *count, sc_migrate_error *err)
{
    /* our own database: no pooler in between, whatever DB_POOLER says */
    sc_migrate_options quiet = {.pooler = "session"};
    schema_set owned = {{0}, 0};
    header_schemas(m, &owned);
    if (sc_migrate_up(s->conn, m, rev, &quiet, err) || created_schemas(s->conn, &owned, err)) {
        char why[sizeof err->message];
        memcpy(why, err->message, sizeof why);
        snprintf(err->message, sizeof err->message,
                 "cannot build revision %.60s in the scratch database: %.3900s", rev, why);
        free_schemas(&owned);
        return -1;
    }
    gen_catalog want, got;
    int rc = gen_catalog_read(s->conn, (const char *const *)owned.names, owned.n, &want, err);
    if (rc == 0 &&
        (rc = gen_catalog_read(live, (const char *const *)owned.names, owned.n, &got, err)) != 0)
        gen_catalog_free(&want);
    if (rc == 0) {
        *count = changed_files(live, m, out) + gen_catalog_diff(&got, &want, out);
        gen_catalog_free(&want);
        gen_catalog_free(&got);
    }
    free_schemas(&owned);
    return rc;
}

static int drift_at(PGconn *live, const sc_migrations *m, const gen_drift_options *o, FILE *out,
                    sc_migrate_error *err)
{
    char rev[64];
    if (sc_migrate_current(live, rev, sizeof rev, err) ||
        known_revision(m, rev, o->migrations_dir, err))
        return GEN_DRIFT_ERROR;
    gen_scratch s;
    if (gen_scratch_open(&s, o->database_url, o->scratch_url, err))
        return GEN_DRIFT_ERROR;
    size_t n = 0;
    int rc = compare(live, &s, m, rev, out, &n, err);
    gen_scratch_close(&s);
    if (rc)
        return GEN_DRIFT_ERROR;
    if (n == 0)
        fprintf(out, "no drift (revision %s)\n", rev);
    else
        fprintf(out, "drift: %zu difference%s from revision %s\n", n, n == 1 ? "" : "s", rev);
    return n ? GEN_DRIFT_FOUND : GEN_DRIFT_NONE;
}

int gen_drift(const gen_drift_options *o, sc_migrate_error *err)
{
    if (!o->database_url || !*o->database_url) {
        snprintf(err->message, sizeof err->message,
                 "DATABASE_URL is not set: drift compares that database with its migrations");
        return GEN_DRIFT_ERROR;
    }
    sc_migrations m;
    if (sc_migrations_load(o->migrations_dir, &m, err))
        return GEN_DRIFT_ERROR;
    PGconn *live = gen_connect(o->database_url, "DATABASE_URL", err);
    int rc = live ? drift_at(live, &m, o, o->out ? o->out : stdout, err) : GEN_DRIFT_ERROR;
    PQfinish(live);
    sc_migrations_free(&m);
    return rc;
}
