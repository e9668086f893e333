/* Schema diff: the statements that turn the database of one model into the
 * database of another, and the statements that turn it back.
 *
 * The diff is a list of steps; each step holds its up statements and the
 * exact inverse. The up section runs the steps in order and the down section
 * runs their inverses in reverse order, so a down is exact by construction.
 * Steps are ordered by dependency: drops of views, triggers, foreign keys,
 * indexes and constraints first, then types, functions, renames, new
 * tables, column changes, partitions, dropped tables, then the creation of
 * constraints, indexes, foreign keys, triggers, views and comments.
 *
 * Destructive steps (dropping a table or column, narrowing a type, removing
 * an enum value) are refused unless diff_options.allow_destructive; with it,
 * each first copies the data it destroys to schemac_backup.rNNNN_<name>,
 * checks the copy's row count, and its down restores from the copy. A
 * column or table that disappears while one of the same type appears
 * without renamed_from is refused as an ambiguous rename. Added enum values
 * go in a first step that commits on its own (own_transaction). */
#ifndef SCHEMAC_GEN_DIFF_H
#define SCHEMAC_GEN_DIFF_H

#include "ddl.h"

typedef struct diff_options {
    bool allow_destructive;
    bool coverage_only;     /* migrate check: count the changes, refuse nothing */
    int revision;           /* names the backup tables */
} diff_options;

typedef struct diff_step {
    ddl_script up, down;
    bool destructive;
    bool own_transaction;      /* commits before the steps after it (ADD VALUE) */
    const char *what;          /* one line for the reviewer, e.g. "add column chunks.tags" */
} diff_step;

typedef struct diff_result {
    gen_arena *arena;
    diff_step *steps;
    size_t n, cap;
    bool transactional;        /* false when a statement cannot run in a transaction */
    const char *nontransactional_reason;
    size_t ndestructive;
} diff_result;

/* Compares old (NULL: an empty database) with new. Changes the diff cannot
 * express are reported through d; returns 0, or -1 after reporting. */
int diff_schemas(const m_schema *old_schema, const m_schema *new_schema,
                 const diff_options *o, gen_arena *a, gen_diag *d, diff_result *out);

/* The up statements in order, and the down statements in order. */
void diff_flatten(const diff_result *r, ddl_script *up, ddl_script *down);

/* The Citus distribution block for schema.sql (nothing without Citus tables). */
void diff_citus_script(gen_arena *a, const m_schema *s, ddl_script *out);

#endif
