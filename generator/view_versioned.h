/* The create statement of a versioned table (versioned: in tenancy.c). */
#ifndef SCHEMAC_GEN_VIEW_VERSIONED_H
#define SCHEMAC_GEN_VIEW_VERSIONED_H

#include "model.h"

/* The INSERT of create for a versioned table, or NULL for any other: cols
 * and vals are the column and value lists of the plain INSERT, order[i] the
 * column bound to $i+1. */
const char *vv_create_sql(gen_arena *a, const m_schema *s, const m_table *t, const char *cols,
                          const char *vals, const char *const *order, size_t n);

/* What create's comment adds for a versioned table ("" for any other). */
const char *vv_create_note(gen_arena *a, const m_table *t);

#endif
