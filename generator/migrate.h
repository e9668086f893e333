/* `schemac migrate new`, `check` and `rebase`: the offline half of
 * migrations (no database). The runner is runtime/sc_migrate.h.
 *
 * A migration directory holds, per revision NNNN:
 *   NNNN_slug.sql            header, "-- +up" section, "-- +down" section
 *   NNNN_slug.snapshot.json  the schema after NNNN (see snapshot.h)
 * The next migration is the diff between the newest snapshot and the YAML. */
#ifndef SCHEMAC_GEN_MIGRATE_H
#define SCHEMAC_GEN_MIGRATE_H

#include <stdbool.h>

#include "diag.h"

typedef struct gen_migrate_options {
    const char *schema_path;      /* default schema/semantik.yaml */
    const char *out_dir;          /* generated/ (checked for freshness) */
    const char *migrations_dir;   /* default <out_dir>/migrations */
    const char *message;          /* -m */
    bool allow_destructive;       /* drop/narrow/remove values, with a backup */
    const char *lock_timeout;     /* SET at the top of each section; default 5s */
    const char *statement_timeout;/* default 15min */
    const char *replaces;         /* rebase: the files the new one replaces (header note) */
    const char *scratch_url;      /* drift: an empty database to build into (drift.h) */
} gen_migrate_options;

/* Writes the next migration and its snapshot, or prints "no changes".
 * *written (may be NULL) receives the path of the new .sql file or NULL. */
int gen_migrate_new(const gen_migrate_options *o, gen_diag *d, const char **written);

/* CI: the YAML has no change without a migration, generated/ is what
 * `schemac generate` writes, every migration's checksum matches its body and
 * the revisions form one chain with a snapshot each. */
int gen_migrate_check(const gen_migrate_options *o, gen_diag *d);

/* After a merge brought two branches' migrations with one revision: removes
 * mine (comma-separated file names, NNNN_slug or slugs, in any order) and
 * their snapshots, and writes one migration after the rest of the chain
 * (theirs), diffed from the YAML against its newest snapshot, with mine's
 * message and timeouts; --allow-destructive is inherited only for the data
 * mine destroyed. Offline: a database that applied mine must revert it
 * first. *written as for gen_migrate_new. */
int gen_migrate_rebase(const gen_migrate_options *o, const char *mine, gen_diag *d,
                       const char **written);

/* The migrations directory of o (arena-free: static storage or o's). */
const char *gen_migrations_dir(const gen_migrate_options *o, char *buf, unsigned size);

#endif
