/* pg_type OIDs of the column types whose OIDs are fixed (type_oids.c). */
#ifndef SCHEMAC_GEN_TYPE_OIDS_H
#define SCHEMAC_GEN_TYPE_OIDS_H

#include "model.h"

/* The OID of t (its array type for t[]), or 0 when it has none that is the
 * same in every database (enums, extension types). */
unsigned m_type_oid(const m_type *t);

/* The pg_catalog type names a column of kind k may have on the server
 * (NULL-terminated), for the types of issue 15; NULL for the others. */
const char *const *m_type_pg_names(m_type_kind k);

/* A valid text form of one value of those types (made-up test rows), or
 * NULL when schemac cannot know one. */
const char *m_type_sample_text(gen_arena *a, const m_type *t);

#endif
