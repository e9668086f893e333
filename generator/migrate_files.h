/* The migration directory as migrate.c and rebase.c both read it, and the
 * next migration rendered in memory before anything is written. Private to
 * the generator: the CLI and tests use migrate.h.
 *
 * A chain is linear when its revisions are 0001, 0002, ... with one file
 * each. Two files with one revision are a fork: two branches each added a
 * migration, and git merged both into the directory. */
#ifndef SCHEMAC_GEN_MIGRATE_FILES_H
#define SCHEMAC_GEN_MIGRATE_FILES_H

#include "diff.h"
#include "migrate.h"
#include "output.h"

typedef struct mig_file {
    int revision;
    const char *name;       /* NNNN_slug.sql */
    const char *path;       /* dir/NNNN_slug.sql */
    const char *snapshot;   /* dir/NNNN_slug.snapshot.json */
} mig_file;

typedef struct mig_list {
    mig_file *items;
    size_t n, cap;
} mig_list;

/* NNNN_*.sql in dir, sorted by revision, then name (so that a fork lists
 * the same way every time). A missing directory is an empty list. */
int mig_list_dir(gen_arena *a, const char *dir, mig_list *out, gen_diag *d);

/* Index of the first file whose revision repeats the one before it, or
 * l->n when no revision repeats. */
size_t mig_fork_at(const mig_list *l);

/* Reports the fork at l->items[at] (both files) and, as the way out,
 * `schemac migrate rebase YOURS`; what says what the caller did instead. */
void mig_report_fork(const mig_list *l, size_t at, const char *what, gen_diag *d);

/* The value of "-- key: value" in a migration's header, or NULL. */
const char *mig_header_value(gen_arena *a, const char *text, const char *key);

/* "fnv1a64:<hex>" of the body of the migration at path (what its header's
 * checksum, and its successor's down_checksum, should say), or NULL when it
 * cannot be read or has no "-- +up" line. */
const char *mig_actual_checksum(gen_arena *a, const char *path);

/* The next migration after a linear chain, rendered and linted but not
 * written. r.n == 0 means the YAML matches the chain's newest snapshot. */
typedef struct mig_next {
    diff_result r;
    int revision;
    const char *base;       /* the newest snapshot of the chain, or NULL */
    const char *down_checksum; /* the body checksum of the chain's newest file */
    const char *sql_path, *snap_path;
    gen_buf sql, snap;
} mig_next;

int mig_prepare(gen_arena *a, const gen_migrate_options *o, const char *dir,
                const mig_list *chain, gen_diag *d, mig_next *out);

/* Writes the snapshot, then the migration (each through a rename). */
int mig_write(const char *dir, const mig_next *n, gen_diag *d);

#endif
