/* Schema snapshots: the database-relevant part of a model, written as
 * canonical JSON in the DSL's own shape.
 *
 * A snapshot sits beside every migration (NNNN_slug.snapshot.json) and is
 * the base of the next diff. JSON is YAML, so reading one back is plain
 * gen_schema_parse: there is no second reader to keep in step with the DSL.
 * Keys come in a fixed order, every boolean is explicit, and only what
 * shapes the database is kept (no queries, scopes, operations, transitions,
 * secrets, renamed_from or backfill: those are C API or one-off migration
 * instructions, not database state). The output is deterministic byte for
 * byte. */
#ifndef SCHEMAC_GEN_SNAPSHOT_H
#define SCHEMAC_GEN_SNAPSHOT_H

#include "model.h"
#include "output.h"

void snapshot_write(const m_schema *s, gen_buf *out);

#endif
