/* `schemac migrate drift`: the hand-made differences between a live
 * database and what its migrations made of it (Alembic's `check`, Atlas's
 * `schema diff`, against the revision the database says it is at).
 *
 * The expected catalog is built, not inferred: the migrations up to the
 * live database's revision run in a scratch database on the same server
 * (scratch.h), and both catalogs are read the same way (catalog.h),
 * restricted to the schemas the migrations own: those named by their
 * search_path headers and those the migrations create (the runner's
 * `schemac` and the backups' `schemac_backup` are bookkeeping, not schema).
 * The report also names applied migrations whose file changed since. */
#ifndef SCHEMAC_GEN_DRIFT_H
#define SCHEMAC_GEN_DRIFT_H

#include <stdio.h>

#include "sc_migrate.h"

typedef struct gen_drift_options {
    const char *database_url;    /* the live database (DATABASE_URL) */
    const char *scratch_url;     /* NULL: create a scratch database on its server */
    const char *migrations_dir;
    FILE *out;                   /* the report; NULL: stdout */
} gen_drift_options;

enum { GEN_DRIFT_NONE = 0, GEN_DRIFT_FOUND = 1, GEN_DRIFT_ERROR = 2 };

/* Prints one line per difference and a last line ("no drift (revision
 * 0002)" or "drift: N differences from revision 0002"). Returns a
 * GEN_DRIFT_* value; on GEN_DRIFT_ERROR err says why and no scratch
 * database is left behind. */
int gen_drift(const gen_drift_options *o, sc_migrate_error *err);

#endif
