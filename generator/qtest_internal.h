/* What qtest.c (rows and arguments) and qtest_expect.c (expectations,
 * statuses, checks) share while loading one query test. Not a public
 * interface (see qtest.h). */
#ifndef SCHEMAC_GEN_QTEST_INTERNAL_H
#define SCHEMAC_GEN_QTEST_INTERNAL_H

#include "parse_util.h"
#include "qtest.h"

#define LABEL_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

/* The state of one column of a working row. */
typedef struct tcol {
    bool done, busy, omitted, opaque; /* opaque: an expression, value unknown here */
    const char *raw;                  /* the value (NULL: SQL NULL) */
    const char *sql;                  /* literal or expression */
    const m_table *parent;            /* shallow: made by the parent's factory at run time */
    const m_column *parent_col;       /* the parent's column it takes */
} tcol;

typedef struct trow {
    const m_table *t;
    const char *label;
    gen_loc loc;
    const ynode *given;               /* NULL for a made parent */
    tcol *cols;
    size_t seq;
    int depth;                        /* foreign-key depth of the table */
    bool every;                       /* fill optional columns too (qt_make_rows) */
} trow;

typedef struct tctx {
    pctx *c;
    const m_query *q;
    gen_loc loc;
    trow **rows;
    size_t n, cap;
    int counter, serials;
    const int *depths;                /* foreign-key depth of each table */
    bool shallow;                     /* foreign keys from parent factories, no parent rows */
} tctx;

/* The working row labelled label, or NULL. */
trow *qt_find_row(const tctx *tc, const char *label);
/* Column c of row r, resolved on first use (use: where it is needed). */
tcol *qt_row_value(tctx *tc, trow *r, const m_column *c, gen_loc use);
/* A YAML value of the given type: a literal, a label, JSON or an array. */
void qt_resolve_node(tctx *tc, const ynode *n, const m_type *type, const m_column *ctx_col,
                     const m_table *ctx_table, qt_value *out);
/* "@label" or "@label.column": its value, and its SQL in *sql. */
const char *qt_label_value(tctx *tc, const ynode *n, const m_column *ctx_col,
                           const m_table *ctx_table, const char **sql);

/* qtest_expect.c */
void qt_load_expect(tctx *tc, m_qtest *qt, const ynode *e);
const char *qt_load_status(tctx *tc, const ynode *n);
const char *qt_load_check(tctx *tc, const ynode *n);

#endif
