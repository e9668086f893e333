/* Resuming a migration that is not transactional (CREATE INDEX
 * CONCURRENTLY, ERRATA 9): its statements commit one by one, so a failure
 * leaves the ones before it applied. The runner records how many went
 * through in schemac.migration_progress; the next run of the same file in
 * the same direction skips them. The statement that failed may have left
 * an INVALID index behind (CONCURRENTLY builds in two phases), which is
 * dropped before the statement runs again; an index or an ATTACH that is
 * already there when resuming (the process died between the statement and
 * its progress row) counts as done. */
#include "migrate_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail_res(sc_migrate_error *err, PGconn *c, const char *what)
{
    if (err)
        snprintf(err->message, sizeof err->message, "%s: %s", what, PQerrorMessage(c));
    return -1;
}

static const char *const progress_table =
    "CREATE TABLE schemac.migration_progress (\n"
    "    revision text NOT NULL,\n"
    "    direction text NOT NULL CHECK (direction IN ('up', 'down')),\n"
    "    checksum text NOT NULL,\n"
    "    statements_done integer NOT NULL,\n"
    "    updated_at timestamptz NOT NULL DEFAULT now(),\n"
    "    PRIMARY KEY (revision, direction)\n"
    ")";

static bool query_true(PGconn *c, const char *sql, int n, const char *const *v)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, v, NULL, NULL, 0);
    bool yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
               strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return yes;
}

static int ensure_progress_table(PGconn *c, sc_migrate_error *err)
{
    if (query_true(c, "SELECT to_regclass('schemac.migration_progress') IS NOT NULL", 0, NULL))
        return 0;
    PGresult *r = PQexec(c, progress_table);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail_res(err, c, "cannot create schemac.migration_progress");
    PQclear(r);
    return rc;
}

int sc_mig_resume_point(PGconn *c, const sc_migration *m, bool up, size_t *done,
                        sc_migrate_error *err)
{
    *done = 0;
    if (ensure_progress_table(c, err))
        return -1;
    const char *v[2] = {m->revision, up ? "up" : "down"};
    PGresult *r = PQexecParams(c, "SELECT statements_done, checksum FROM schemac.migration_progress "
                                  "WHERE revision = $1 AND direction = $2",
                               2, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return fail_res(err, c, "cannot read schemac.migration_progress");
    }
    int rc = 0;
    if (PQntuples(r) == 1) {
        if (strcmp(PQgetvalue(r, 0, 1), m->actual_checksum) != 0) {
            snprintf(err->message, sizeof err->message,
                     "%s: a previous %s run stopped after statement %s, but the file changed "
                     "since (checksum %s, now %s); restore the file as it ran, or finish the "
                     "migration by hand and 'migrate stamp' it",
                     m->path, v[1], PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), m->actual_checksum);
            rc = -1;
        } else {
            *done = (size_t)atol(PQgetvalue(r, 0, 0));
        }
    }
    PQclear(r);
    return rc;
}

int sc_mig_record_progress(PGconn *c, const sc_migration *m, bool up, size_t done,
                           sc_migrate_error *err)
{
    char n[24];
    snprintf(n, sizeof n, "%zu", done);
    const char *v[4] = {m->revision, up ? "up" : "down", m->actual_checksum, n};
    PGresult *r = PQexecParams(
        c, "INSERT INTO schemac.migration_progress (revision, direction, checksum, statements_done) "
           "VALUES ($1, $2, $3, $4) ON CONFLICT (revision, direction) DO UPDATE SET "
           "checksum = EXCLUDED.checksum, statements_done = EXCLUDED.statements_done, updated_at = now()",
        4, NULL, v, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail_res(err, c, "cannot record the migration's progress");
    PQclear(r);
    return rc;
}

int sc_mig_clear_progress(PGconn *c, const sc_migration *m, sc_migrate_error *err)
{
    const char *v[1] = {m->revision};
    PGresult *r = PQexecParams(c, "DELETE FROM schemac.migration_progress WHERE revision = $1", 1,
                               NULL, v, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail_res(err, c, "cannot clear the migration's progress");
    PQclear(r);
    return rc;
}

/* The next word of p (an identifier, maybe schema-qualified) into buf. */
static const char *word(const char *p, char *buf, size_t size)
{
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, " (\n");
    snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), p);
    return p + n;
}

static const char *skip(const char *p, const char *kw)
{
    while (*p == ' ')
        p++;
    size_t n = strlen(kw);
    return strncmp(p, kw, n) == 0 && p[n] == ' ' ? p + n : NULL;
}

/* "CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON [ONLY] table":
 * the index name and its table, or false. */
static bool parse_create_index(const char *sql, char *name, char *table, size_t size)
{
    const char *p = skip(sql, "CREATE"), *q;
    if (!p)
        return false;
    if ((q = skip(p, "UNIQUE")))
        p = q;
    if (!(p = skip(p, "INDEX")))
        return false;
    if ((q = skip(p, "CONCURRENTLY")))
        p = q;
    if ((q = skip(p, "IF")) && (q = skip(q, "NOT")) && (q = skip(q, "EXISTS")))
        p = q;
    p = word(p, name, size);
    if (!(p = skip(p, "ON")))
        return false;
    if ((q = skip(p, "ONLY")))
        p = q;
    word(p, table, size);
    return name[0] && table[0];
}

static int exec_simple(PGconn *c, const char *sql, sc_migrate_error *err)
{
    PGresult *r = PQexec(c, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail_res(err, c, sql);
    PQclear(r);
    return rc;
}

/* An index of that name next to the table: 'v' valid, 'i' INVALID, 'p'
 * partitioned (invalid until every partition is attached), 0 none. */
static char index_state(PGconn *c, const char *name, const char *table)
{
    const char *v[2] = {name, table};
    PGresult *r = PQexecParams(
        c, "SELECT CASE WHEN c.relkind = 'I' THEN 'p' WHEN i.indisvalid THEN 'v' ELSE 'i' END "
           "FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
           "WHERE c.relname = $1 AND c.relnamespace = "
           "(SELECT relnamespace FROM pg_class WHERE oid = to_regclass($2))",
        2, NULL, v, NULL, NULL, 0);
    char st = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0)[0] : 0;
    PQclear(r);
    return st;
}

int sc_mig_prepare_statement(PGconn *c, const char *sql, bool resuming, FILE *progress,
                             sc_migrate_error *err)
{
    char name[200], table[200];
    if (parse_create_index(sql, name, table, sizeof name)) {
        char st = index_state(c, name, table);
        if (st == 'i') {
            char drop[512];
            const char *dot = strrchr(table, '.');
            snprintf(drop, sizeof drop, "DROP INDEX CONCURRENTLY IF EXISTS %.*s%s",
                     dot ? (int)(dot + 1 - table) : 0, table, name);
            if (progress)
                fprintf(progress, "migrate: dropping INVALID index %s left by an earlier failed build\n", name);
            return exec_simple(c, drop, err);
        }
        return resuming && (st == 'v' || st == 'p') ? 1 : 0;
    }
    const char *p = skip(sql, "ALTER"), *q;
    if (resuming && p && (p = skip(p, "INDEX"))) {
        char parent[200], child[200];
        p = word(p, parent, sizeof parent);
        if ((q = skip(p, "ATTACH")) && (q = skip(q, "PARTITION"))) {
            word(q, child, sizeof child);
            const char *v[2] = {child, parent};
            return query_true(c, "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = "
                                 "to_regclass($1) AND inhparent = to_regclass($2))", 2, v) ? 1 : 0;
        }
    }
    return 0;
}
