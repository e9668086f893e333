/* Shared by the migration suites: one database per test (created through
 * the maintenance connection to DATABASE_URL, dropped at the end, so suites
 * can run in any order against the one test server), a normalized
 * `pg_dump --schema-only` of one schema, and migration directories written
 * in-process by the generator. Header-only: every test_*.c is its own
 * binary. */
#ifndef MIGRATE_TESTLIB_H
#define MIGRATE_TESTLIB_H

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

#include "ddl.h"
#include "migrate.h"
#include "sc_migrate.h"

#define PG_DUMP "/usr/lib/postgresql/15/bin/pg_dump"

static inline void tl_quiet(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static inline PGconn *tl_connect(const char *dbname)
{
    const char *keys[] = {"dbname", "dbname", NULL};
    const char *vals[] = {getenv("DATABASE_URL"), dbname, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to %s: %s", dbname ? dbname : "DATABASE_URL", PQerrorMessage(c));
    PQsetNoticeProcessor(c, tl_quiet, NULL);
    return c;
}

/* printf-style: a literal % in SQL is written %%. */
static inline void tl_exec(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void tl_exec(PGconn *c, const char *fmt, ...)
{
    char sql[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s-- in --\n%.500s", PQerrorMessage(c), sql);
    PQclear(r);
}

/* The first value of a query, as a malloc'd string ("" for NULL). */
static inline char *tl_value(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
        fail_msg("%s-- in --\n%s", PQerrorMessage(c), sql);
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static inline void tl_expect(PGconn *c, const char *sql, const char *want)
{
    char *got = tl_value(c, sql);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n  gave '%s', expected '%s'", sql, got, want);
    free(got);
}

/* A fresh database named name (dropped first if a failed run left it). */
static inline PGconn *tl_db_create(const char *name)
{
    PGconn *m = tl_connect(NULL);
    tl_exec(m, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    tl_exec(m, "CREATE DATABASE %s", name);
    PQfinish(m);
    return tl_connect(name);
}

static inline void tl_db_drop(PGconn *c, const char *name)
{
    PQfinish(c);
    PGconn *m = tl_connect(NULL);
    tl_exec(m, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    PQfinish(m);
}

/* pg_dump --schema-only of one schema, without comments, blank lines, SET
 * lines and \restrict lines (random per run); they carry nothing about the
 * objects. malloc'd. */
static inline char *tl_dump(PGconn *c, const char *schema)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "SELECT count(*) FROM pg_namespace WHERE nspname = '%s'", schema);
    char *exists = tl_value(c, cmd);
    bool none = strcmp(exists, "0") == 0;
    free(exists);
    if (none) /* pg_dump fails on a schema that does not exist */
        return strdup("");
    snprintf(cmd, sizeof cmd, "%s --schema-only --no-owner --schema=%s -h '%s' -p '%s' -U '%s' '%s'",
             PG_DUMP, schema, PQhost(c), PQport(c), PQuser(c), PQdb(c));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap), line[65536];
    out[0] = '\0';
    while (fgets(line, sizeof line, p)) {
        if (line[0] == '\n' || strncmp(line, "--", 2) == 0 || strncmp(line, "SET ", 4) == 0 ||
            strncmp(line, "SELECT pg_catalog.set_config", 28) == 0 ||
            strncmp(line, "\\restrict", 9) == 0 || strncmp(line, "\\unrestrict", 11) == 0)
            continue;
        size_t len = strlen(line);
        while (n + len + 1 > cap)
            out = realloc(out, cap *= 2);
        memcpy(out + n, line, len + 1);
        n += len;
    }
    assert_int_equal(pclose(p), 0);
    return out;
}

/* Fails with the first differing line of two dumps. */
static inline void tl_dumps_equal(const char *got, const char *want, const char *what)
{
    if (strcmp(got, want) == 0)
        return;
    const char *g = got, *w = want;
    while (*g && *g == *w)
        g++, w++;
    while (g > got && g[-1] != '\n')
        g--, w--;
    fail_msg("%s: the catalogs differ\n  got:      %.300s\n  expected: %.300s", what, g, w);
}

/* The schema of a YAML file created from scratch (ddl_create_all) in db. */
static inline char *tl_fresh_dump(const char *yaml, const char *db, const char *schema)
{
    gen_arena *a = gen_arena_new();
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    m_schema *s = gen_schema_load(yaml, a, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    assert_non_null(s);
    ddl_script ddl;
    ddl_script_init(&ddl, a);
    ddl_create_all(s, &ddl);
    PGconn *c = tl_db_create(db);
    tl_exec(c, "BEGIN");
    tl_exec(c, "SET LOCAL search_path = pg_catalog, %s", s->name);
    for (size_t i = 0; i < ddl.n; i++)
        tl_exec(c, "%s", ddl.items[i].sql);
    tl_exec(c, "COMMIT");
    char *dump = tl_dump(c, schema);
    tl_db_drop(c, db);
    gen_arena_free(a);
    return dump;
}

/* A temporary directory (removed by tl_rmdir). */
static inline char *tl_tmpdir(void)
{
    char *t = strdup("/tmp/schemac-migtest.XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static inline void tl_rmdir(char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

/* Diagnostics collected as "file:line:col: error: ..." lines. */
typedef struct tl_captured {
    char text[16384];
    int n;
} tl_captured;

static inline void tl_capture(void *ctx, const gen_loc *loc, const char *message)
{
    tl_captured *c = ctx;
    size_t used = strlen(c->text);
    if (used + 2 >= sizeof c->text)
        return;
    gen_diag_format(c->text + used, sizeof c->text - used - 1, loc, message);
    strcat(c->text, "\n");
    c->n++;
}

/* schemac migrate new --schema yaml --dir dir -m message
 * [--allow-destructive], in-process; returns its exit status, with the
 * diagnostics in cap (NULL: printed to stderr). */
static inline int tl_migrate_try(const char *yaml, const char *dir, const char *message,
                                 bool allow_destructive, tl_captured *cap)
{
    gen_migrate_options o = {.schema_path = yaml, .out_dir = "generated", .migrations_dir = dir,
                             .message = message, .allow_destructive = allow_destructive};
    gen_diag d;
    if (cap)
        memset(cap, 0, sizeof *cap);
    gen_diag_init(&d, cap ? tl_capture : NULL, cap);
    int rc = gen_migrate_new(&o, &d, NULL);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return rc;
}

static inline void tl_migrate_new(const char *yaml, const char *dir, const char *message)
{
    assert_int_equal(tl_migrate_try(yaml, dir, message, false, NULL), 0);
}

static inline void tl_migrate_destructive(const char *yaml, const char *dir, const char *message)
{
    assert_int_equal(tl_migrate_try(yaml, dir, message, true, NULL), 0);
}

static inline void tl_load(const char *dir, sc_migrations *m)
{
    sc_migrate_error err = {{0}};
    if (sc_migrations_load(dir, m, &err))
        fail_msg("%s", err.message);
}

static inline void tl_up(PGconn *c, const sc_migrations *m, const char *target)
{
    sc_migrate_error err = {{0}};
    if (sc_migrate_up(c, m, target, NULL, &err))
        fail_msg("up to %s: %s", target ? target : "head", err.message);
}

static inline void tl_down(PGconn *c, const sc_migrations *m, int n)
{
    sc_migrate_error err = {{0}};
    if (sc_migrate_down(c, m, n, NULL, &err))
        fail_msg("down %d: %s", n, err.message);
}

/* Whether the vector tier can run here: a server (DATABASE_URL) with
 * pgvector among its available extensions. Prints "skipped: <tier>: why"
 * when not, so that the skip shows in the run. */
static inline bool tl_pgvector_available(const char *tier)
{
    if (!getenv("DATABASE_URL")) {
        printf("skipped: %s: DATABASE_URL is not set (run under tests/pg/with-pg)\n", tier);
        return false;
    }
    PGconn *c = tl_connect(NULL);
    char *n = tl_value(c, "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'");
    PQfinish(c);
    bool ok = strcmp(n, "1") == 0;
    free(n);
    if (!ok)
        printf("skipped: %s: pgvector is not installed on this server "
               "(pg_available_extensions has no 'vector'; see ../shared/pg-extensions)\n", tier);
    return ok;
}

#endif
