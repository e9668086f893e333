/* Query tests (docs/dsl.md "Query tests"): the rows a named query runs
 * against, its arguments, and what must come back. Loading resolves every
 * value (labels, filled-in columns, made parent rows) into SQL and C text, so
 * the test view only formats what is here. */
#ifndef SCHEMAC_GEN_QTEST_H
#define SCHEMAC_GEN_QTEST_H

#include "model.h"
#include "yaml_tree.h"

/* A value as written, resolved. text is what SQL reads (labels replaced,
 * JSON text for json, '{...}' for arrays); NULL text is SQL NULL. */
typedef struct qt_value {
    gen_loc loc;
    const char *text;
    size_t nitems;           /* arrays: the elements, for C arguments */
    const char **items;
} qt_value;

/* One INSERT of the fixture. */
typedef struct qt_row {
    const m_table *table;
    const char *label;       /* NULL, a label, or "_<table>" for a made parent */
    const char *sql;
} qt_row;

typedef struct qt_field {
    const char *name;
    m_type type;
    bool nullable;
    qt_value value;
} qt_field;

typedef struct qt_expect_row {
    const char *label;       /* the row it names, or NULL for a mapping */
    size_t n;
    qt_field *fields;
} qt_expect_row;

typedef struct qt_arg {
    const m_param *param;
    bool given;              /* false: an optional parameter left out */
    qt_value value;
} qt_arg;

typedef struct m_qtest m_qtest;

struct m_qtest {
    const char *name;        /* NULL when the test has none */
    gen_loc loc;
    const m_query *query;
    size_t nrows;
    qt_row *rows;            /* in insert order: parents first */
    size_t nargs;
    qt_arg *args;            /* one per non-computed parameter, in query order */
    const char *status;      /* "SC_OK", "SC_NOT_FOUND", ... */
    bool has_count;
    long long count;         /* execrows, count */
    size_t nexpect;
    qt_expect_row *expect;   /* one, many */
    const char *check;       /* SQL, labels replaced; NULL when none */
};

/* Two rows of a table made up for the generated round-trip and constraint
 * tests (not inserted), and the INSERTs of the parent rows their foreign
 * keys point at. raw[i] is column i's value (NULL: SQL NULL) where set[i]. */
typedef struct qt_made_row {
    const char **raw;
    bool *set;
    /* A foreign key of a deep chain: taken from a row the parent table's
     * factory makes at run time (parent NULL: raw is the value). */
    const m_table **parent;
    const char **parent_col;
} qt_made_row;

typedef struct qt_made {
    size_t nparents;
    const char **parents;
    qt_made_row rows[2];     /* the same parents; unique values differ */
} qt_made;

/* every_column: optional columns get values too (a simple column CHECK is
 * honoured, columns of a table-level CHECK stay unset). False when a
 * required column's type has no made-up value. */
bool qt_make_rows(gen_arena *a, const m_schema *s, const m_table *t, bool every_column,
                  qt_made *out);
/* The foreign-key depth of every table, by table index: computed once per
 * schema into a and cached in s (made rows are inserted parents first). */
const int *qt_table_depths(gen_arena *a, const m_schema *s);

/* vector(n), halfvec(n) values (qtest_vector.c): a YAML list or pgvector
 * text checked against n into out; a made-up value; the C argument. */
bool qt_is_vector(const m_type *t);
void qt_vector_value(gen_arena *a, gen_diag *d, const ynode *n, const m_type *t, qt_value *out);
const char *qt_vector_made(gen_arena *a, const m_type *t);
const char *qt_vector_c(gen_arena *a, const qt_value *v);
const char *qt_vector_array_c(gen_arena *a, const char *text, int dim);

#endif
