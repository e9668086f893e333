/* The migration runner: applies and rolls back the migrations that
 * `schemac migrate new` writes (generated/migrations/NNNN_slug.sql).
 *
 * Plain libpq: every call takes a PGconn the caller owns, connected
 * directly to the server (not through a transaction-pooling proxy: the
 * session advisory lock that serializes runners would leak; DB_POOLER=
 * transaction makes every call refuse).
 *
 * What the database records (schema "schemac", created on first use):
 *   schemac.migrations(revision, down_revision, message, checksum, file,
 *                      applied_at, duration_ms)
 * Every call that changes the database holds pg_advisory_lock(SC_MIGRATE_LOCK)
 * for its whole run, so two runners started at once serialize: the second
 * waits, then finds nothing left to do. Each migration runs in one
 * transaction (with its version row) unless its header says
 * "transactional: false"; a "-- +commit" line inside a section commits what
 * ran before it and opens the next transaction (a new enum value must be
 * committed before use; the statements before are idempotent, ADD VALUE IF
 * NOT EXISTS, so a retry after a later failure is safe); a failing statement rolls the migration back and
 * the error names file:line and the statement.
 *
 * Errors: every function returns 0 or -1 and fills an sc_migrate_error
 * (messages name files and lines, which an sc_error's 256 bytes cannot
 * hold). Progress lines go to opts->progress (NULL: none); opts->on_step,
 * when set, is told of every migration and statement (sc_migrate_step). */
#ifndef SC_MIGRATE_H
#define SC_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

#define SC_MIGRATE_LOCK 0x5c4d494752415445LL /* "\\MIGRATE" */

typedef struct sc_migrate_error {
    char message[4096];
} sc_migrate_error;

typedef struct sc_migration_stmt {
    const char *sql;      /* without the terminating semicolon */
    int line;             /* 1-based line of its first character in the file */
    bool commit_before;   /* a "-- +commit" line precedes it: the statements
                             before commit first (ALTER TYPE ... ADD VALUE) */
} sc_migration_stmt;

typedef struct sc_migration {
    char *path;
    char *revision;        /* "0002" */
    char *down_revision;   /* "0001", or "none" */
    char *down_checksum;   /* the body checksum of the migration it follows,
                              or NULL (files written before the header had it) */
    char *message;
    char *checksum;        /* from the header: "fnv1a64:..." */
    char *actual_checksum; /* of the body as it is on disk */
    char *search_path;     /* set for the migration's statements */
    bool transactional;
    size_t nup, ndown;
    sc_migration_stmt *up, *down;
    char *text;            /* the file; statements point into a copy */
    char *stmt_text;
} sc_migration;

typedef struct sc_migrations {
    size_t n;
    sc_migration *items;   /* by revision */
} sc_migrations;

/* What a progress callback is told, in this order for each migration:
 * BEGIN, then STATEMENT and STATEMENT_DONE for each statement that runs
 * (index 1..count; a resumed run starts after the statements a previous run
 * applied), then END when the migration and its version row are committed.
 * A failing statement gets STATEMENT_DONE with failed set and no END. */
typedef enum sc_migrate_event {
    SC_MIGRATE_BEGIN,
    SC_MIGRATE_STATEMENT,
    SC_MIGRATE_STATEMENT_DONE,
    SC_MIGRATE_END,
} sc_migrate_event;

typedef struct sc_migrate_step {
    sc_migrate_event event;
    const sc_migration *migration;
    bool up;               /* applying (up section) or reverting (down) */
    size_t index;          /* STATEMENT*: 1-based; BEGIN/END: 0 */
    size_t count;          /* statements of the section */
    const char *sql;       /* STATEMENT*: the statement; else NULL */
    double ms;             /* STATEMENT_DONE, END: how long it took */
    bool skipped;          /* STATEMENT_DONE: a resumed run found it done */
    bool failed;           /* STATEMENT_DONE: it failed (err says why) */
} sc_migrate_step;

/* Called on the runner's thread, between statements; the step and what it
 * points to are borrowed for the call. */
typedef void (*sc_migrate_progress_fn)(void *arg, const sc_migrate_step *step);

typedef struct sc_migrate_options {
    FILE *progress;        /* progress lines; NULL: silent */
    const char *pooler;    /* NULL: getenv("DB_POOLER"); "transaction" refuses */
    /* NULL: no callback. When set, it reports each migration and statement
     * and the "applying"/"applied in" lines are not written to progress
     * (the notes still are: waiting for the lock, nothing to do, resuming). */
    sc_migrate_progress_fn on_step;
    void *step_arg;
} sc_migrate_options;

/* Reads every NNNN_*.sql file of dir and splits its sections into
 * statements (SQL-aware: quotes, dollar quotes, comments). */
int sc_migrations_load(const char *dir, sc_migrations *out, sc_migrate_error *err);
/* One file (tests). */
int sc_migration_load(const char *path, sc_migration *out, sc_migrate_error *err);
/* The same from the file's text (path names it in messages; the lint). */
int sc_migration_parse(const char *path, const char *text, sc_migration *out,
                       sc_migrate_error *err);
void sc_migrations_free(sc_migrations *m);      /* NULL-safe */
void sc_migration_free(sc_migration *m);

/* Applies pending migrations up to target ("head" or NULL: all; else a
 * revision such as "0002" or "2"). */
int sc_migrate_up(PGconn *c, const sc_migrations *m, const char *target,
                  const sc_migrate_options *o, sc_migrate_error *err);
/* Rolls back the newest n applied migrations. */
int sc_migrate_down(PGconn *c, const sc_migrations *m, int n, const sc_migrate_options *o,
                    sc_migrate_error *err);
/* Reverts the newest applied migrations until the database is at target
 * (a revision, or "base"/"none" for nothing applied). */
int sc_migrate_down_to(PGconn *c, const sc_migrations *m, const char *target,
                       const sc_migrate_options *o, sc_migrate_error *err);
/* The newest applied revision, or "none". */
int sc_migrate_current(PGconn *c, char *rev, size_t size, sc_migrate_error *err);
/* One line per migration: revision, message, applied at / pending. */
int sc_migrate_history(PGconn *c, const sc_migrations *m, FILE *out, sc_migrate_error *err);
/* Records rev ("none" or a revision) as current without running anything. */
int sc_migrate_stamp(PGconn *c, const sc_migrations *m, const char *rev,
                     const sc_migrate_options *o, sc_migrate_error *err);
/* Offline: the SQL `up`/`down` would run, as a psql script. range: NULL or
 * "" (every migration up), "B" (up to B), "A:B" (A < B: up from after A to B;
 * A > B: down from A to just above B). */
int sc_migrate_sql(const sc_migrations *m, const char *range, FILE *out, sc_migrate_error *err);

/* The message to print when connecting to url failed: libpq's error for c
 * with the password scrubbed, or a fixed text when libpq cannot parse url
 * (its parse errors quote the input). Written into buf (n bytes). */
const char *sc_migrate_connect_error(const char *url, const PGconn *c, char *buf, size_t n);

#endif
