/* The lock lint: what a migration does to a live database, read from the
 * migration's text (so `migrate check` lints committed files as they are).
 *
 * Rules (names as written in lint_waivers and in the file):
 *   timeouts              each section starts with SET lock_timeout and
 *                         SET statement_timeout
 *   index-not-concurrent  CREATE INDEX, or ADD CONSTRAINT ... UNIQUE /
 *                         PRIMARY KEY, on a table this migration did not
 *                         create, without CONCURRENTLY (blocks writes while
 *                         the index is built)
 *   not-null-no-default   ADD COLUMN ... NOT NULL without DEFAULT on an
 *                         existing table (fails on the first row)
 *   constraint-not-valid  ADD CONSTRAINT ... FOREIGN KEY / CHECK on an
 *                         existing table without NOT VALID (scans under a
 *                         lock that blocks writes; VALIDATE CONSTRAINT does
 *                         not)
 *   type-rewrite          ALTER COLUMN ... TYPE ... USING: the generator
 *                         writes USING exactly when the change rewrites the
 *                         table under ACCESS EXCLUSIVE
 *   add-value-used        a value added by ALTER TYPE ... ADD VALUE spelled
 *                         later in the same transaction (no "-- +commit"
 *                         between): PostgreSQL rejects it
 * Rules other than timeouts apply to the up section. A table created by the
 * migration, or rewritten by a type change earlier in the same transaction
 * (already locked), is exempt from index-not-concurrent and
 * constraint-not-valid. A statement is waived
 * from a rule by a comment line right above it:
 *   -- lint-waiver: <rule>: <reason>
 */
#ifndef SCHEMAC_GEN_LINT_H
#define SCHEMAC_GEN_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"

typedef struct lint_finding {
    int section;          /* 0 up, 1 down */
    size_t index;         /* statement index in its section */
    int line;             /* in the file */
    const char *rule, *message;
    const char *sql;      /* the statement */
    bool waived;
    const char *reason;   /* of the waiver */
} lint_finding;

typedef struct lint_result {
    lint_finding *items;
    size_t n, cap;
    size_t nviolations;   /* not waived */
} lint_result;

/* Lints the text of a migration file (path names it in messages). Returns 0,
 * or -1 when the text does not parse (reported through d). */
int lint_migration(gen_arena *a, const char *path, const char *text, gen_diag *d,
                   lint_result *out);

/* Reports every finding that is not waived as an error at its line. */
void lint_report(const lint_result *r, const char *path, gen_diag *d);

/* The lock a statement takes and whether it rewrites or scans the table:
 * one line for the plan ("ACCESS EXCLUSIVE, rewrites the table"). */
const char *lint_lock_of(const char *sql, int *strength);

#endif
