/* A scratch database: somewhere to build what a schema or a chain of
 * migrations produces, so that `schemac migrate drift` and `schemac vet`
 * can ask the server itself instead of re-implementing its rules.
 *
 * Either created on the server a URL names (CREATE DATABASE
 * schemac_scratch_<16 random hex digits>, dropped again by
 * gen_scratch_close whatever happened in between), or, for servers where
 * the user may not create databases, an existing database given by URL
 * (--scratch-url): it must hold no schema of its own when opened, and
 * gen_scratch_close drops the schemas created in it.
 *
 * Messages never contain a URL's password (sc_migrate_connect_error). */
#ifndef SCHEMAC_GEN_SCRATCH_H
#define SCHEMAC_GEN_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "sc_migrate.h"

typedef struct gen_scratch {
    PGconn *conn;      /* the scratch database; NULL when not open */
    PGconn *admin;     /* where CREATE/DROP DATABASE runs; NULL with a given URL */
    char name[64];     /* the database created, "" with a given URL */
} gen_scratch;

/* Connects to url ("" or NULL: libpq's defaults, PGHOST etc.), with
 * messages the user can read; notices are silenced. NULL with err set. */
PGconn *gen_connect(const char *url, const char *what, sc_migrate_error *err);

/* scratch_url NULL: creates a database on server_url's server. Returns 0,
 * or -1 with err set and nothing left behind. */
int gen_scratch_open(gen_scratch *s, const char *server_url, const char *scratch_url,
                     sc_migrate_error *err);

/* Drops what gen_scratch_open created (NULL-safe, idempotent). */
void gen_scratch_close(gen_scratch *s);

/* Runs sql; 0, or -1 with the server's message and what in err. */
int gen_exec(PGconn *c, const char *sql, const char *what, sc_migrate_error *err);

#endif
