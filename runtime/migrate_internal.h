/* Shared by runtime/migrate.c and runtime/migrate_resume.c; not installed. */
#ifndef SC_MIGRATE_INTERNAL_H
#define SC_MIGRATE_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "sc_migrate.h"

/* How many statements of m (in that direction) a previous run applied. */
int sc_mig_resume_point(PGconn *c, const sc_migration *m, bool up, size_t *done,
                        sc_migrate_error *err);
int sc_mig_record_progress(PGconn *c, const sc_migration *m, bool up, size_t done,
                           sc_migrate_error *err);
int sc_mig_clear_progress(PGconn *c, const sc_migration *m, sc_migrate_error *err);

/* Before a statement of a non-transactional migration runs: drops an
 * INVALID index of the name it creates; returns 1 when resuming and what it
 * does is already there (skip it), 0 to run it, -1 on error. */
int sc_mig_prepare_statement(PGconn *c, const char *sql, bool resuming, FILE *progress,
                             sc_migrate_error *err);

#endif
