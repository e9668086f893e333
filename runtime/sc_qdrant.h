/* sc_qdrant.h — Qdrant collection names for Semantik collections.
 *
 * PostgreSQL keeps, for every collection, the name of its Qdrant collection
 * (collections.vector_store_name) and the names of its per-model and staging
 * collections (qdrant_collections, qdrant_staging). These functions build
 * those names the way the spec spells them, so that every writer produces
 * byte-for-byte the same name for the same collection:
 *
 *   vector store  col_{uuid with '-' as '_'}               spec 002 §4.1
 *                 col_550e8400_e29b_41d4_a716_446655440000
 *   per model     {uuid}_{model_short}_{quantization suffix} spec 003 "Qdrant"
 *                 550e8400-e29b-41d4-a716-446655440000_qwen06b_f16
 *   staging       staging_{base}_{YYYYMMDD_HHMMSS, UTC}     spec 002 §4.1/4.2
 *                 staging_col_550e..._20240115_143000
 *
 * Inputs
 *   collection_id: a UUID in the form the rest of the runtime accepts
 *     (sc_uuid_normalize: 8-4-4-4-12 hex digits, version 4, RFC 4122 variant,
 *     either case); it is written lower-case.
 *   model_short: the embedding model's short name as the caller chose it
 *     (spec 003 names it embedding_model_short and gives one example, qwen06b,
 *     but no rule to derive it from embedding_model). ASCII letters, digits
 *     and '-'; letters are written lower-case. '_' is refused: it separates
 *     the three parts of the name.
 *   quantization: collections.quantization, exactly float32, float16 or int8,
 *     written f32, f16 and i8 (spec 003's example gives float16 -> f16;
 *     f32 and i8 follow the same pattern). Anything else is refused.
 *   base_name: the name being re-indexed, normally a vector store name:
 *     ASCII letters, digits, '_' and '-', kept as given.
 *   when: seconds since the Unix epoch, passed in so that the result depends
 *     on the arguments only (use time(NULL) for "now"). The spec does not fix
 *     the timestamp's format; it is written in UTC as YYYYMMDD_HHMMSS, which is
 *     the form Semantik's Python QdrantManager writes and parses when it
 *     decides whether a staging collection is older than 24 hours (a name it
 *     cannot parse counts as old and is cleaned up). 1970-01-01 to 9999-12-31.
 *
 * Every character these functions write is one of [a-z0-9_-] (the base name
 * may add [A-Z]): none of the characters Qdrant refuses in a collection name
 * (< > : " / \ | ? * NUL 0x1F), none that need escaping in a URL path, no
 * space.
 *
 * Results
 *   SC_OK: out holds the name and its terminator.
 *   SC_INVALID_INPUT: an input is NULL or malformed, or the name would be
 *     longer than SC_QDRANT_NAME_MAX bytes; err names the argument.
 *   SC_MISUSE: out is NULL, or size is too small for the name (err says how
 *     many bytes it needs; SC_QDRANT_NAME_SIZE is always enough).
 * On failure out is the empty string when size > 0. Nothing is ever written
 * at or past out[size]. Pure, thread-safe and allocation-free; err may be NULL.
 */
#ifndef SC_QDRANT_H
#define SC_QDRANT_H

#include <stddef.h>
#include <time.h>

#include "schemac.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest collection name Qdrant accepts: Qdrant validates every
 * collection name with length(min = 1, max = 255), in the REST API
 * (qdrant/qdrant src/actix/api/mod.rs, StrictCollectionPath, used to create
 * a collection) and in gRPC (lib/api/build.rs, CreateCollection.collection_name),
 * and refuses < > : " / \ | ? * NUL 0x1F in a new name
 * (lib/common/common/src/validation.rs). A name is a directory on the
 * server's disk, and 255 bytes is the usual file name limit. The limit counts
 * characters; all names here are ASCII, so bytes and characters agree. */
#define SC_QDRANT_NAME_MAX 255
/* A buffer of this size holds any name, terminator included. */
#define SC_QDRANT_NAME_SIZE (SC_QDRANT_NAME_MAX + 1)

/* collections.vector_store_name: "col_" and the lower-cased UUID with every
 * '-' replaced by '_' (40 bytes). */
int sc_qdrant_vector_store_name(const char *collection_id, char *out, size_t size,
                                sc_error *err);

/* A per-model collection: "{uuid}_{model_short}_{suffix}", the UUID
 * lower-cased with its hyphens. */
int sc_qdrant_model_collection_name(const char *collection_id, const char *model_short,
                                    const char *quantization, char *out, size_t size,
                                    sc_error *err);

/* A blue-green staging collection: "staging_{base_name}_{YYYYMMDD_HHMMSS}",
 * the time in UTC. */
int sc_qdrant_staging_name(const char *base_name, time_t when, char *out, size_t size,
                           sc_error *err);

/* The name suffix of a quantization: "f32", "f16", "i8", or NULL for any
 * other string (NULL included). */
const char *sc_qdrant_quantization_suffix(const char *quantization);

#ifdef __cplusplus
}
#endif

#endif /* SC_QDRANT_H */
