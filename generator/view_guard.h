/* State-machine guard of named UPDATE queries (view_guard.c). */
#ifndef SCHEMAC_GEN_VIEW_GUARD_H
#define SCHEMAC_GEN_VIEW_GUARD_H

#include "model.h"
#include "sqlscan.h"

typedef struct vguard {
    const m_column *col;   /* the column whose enum has transitions */
    const char *param;     /* the parameter it is set from, or NULL: */
    int literal;           /* the enum value a literal sets (-1: a parameter) */
    const char *sql;       /* the query's SQL with the guard in its WHERE */
    const char *probe;     /* SELECT of the rows the UPDATE targets, or NULL */
} vguard;

/* True when q sets a state-machine column from a parameter or a literal
 * outside optional fragments; fills g. */
bool vg_find(gen_arena *a, const m_query *q, const sql_scan *scan, vguard *g);

/* The value index a quoted literal names in e, or -1. */
int vg_enum_index(const m_enum *e, const sql_tok *lit);
/* How many values of e may move to value `to`. */
size_t vg_sources(const m_enum *e, size_t to);

#endif
