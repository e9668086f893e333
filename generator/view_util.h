/* Helpers of the views: C names and types of model objects, C comments and
 * string literals. */
#ifndef SCHEMAC_GEN_VIEW_UTIL_H
#define SCHEMAC_GEN_VIEW_UTIL_H

#include <jansson.h>

#include "model.h"

const char *vu_upper(gen_arena *a, const char *s);
const char *vu_singular(gen_arena *a, const char *plural);
const char *vu_table_singular(gen_arena *a, const m_table *t);
const char *vu_article(const char *word);
const char *vu_kind(const m_type *t);               /* "SC_K_INT32" */
bool vu_is_pointer(const m_type *t);                /* NULL-able without a flag */
bool vu_is_blob(const m_type *t);                   /* sc_bytes, sc_vector */
/* (const char *const[]){"name", "value", NULL} of q's settings, or NULL. */
const char *vu_settings_init(gen_arena *a, const m_query *q);
const char *vu_c_type(gen_arena *a, const m_schema *s, const m_type *t);
/* The same for a member of a decoded row (json: sc_json). */
const char *vu_row_type(gen_arena *a, const m_schema *s, const m_type *t);
const char *vu_input_type(gen_arena *a, const m_schema *s, const m_type *t);
/* The optional form of a scalar type: sc_opt_i32, sm_opt_document_status. */
const char *vu_opt_type(gen_arena *a, const m_schema *s, const m_type *t);
const char *vu_decl(gen_arena *a, const char *type, const char *name);
const char *vu_param_cast(gen_arena *a, const m_schema *s, const m_type *t);
const char *vu_sql_type(gen_arena *a, const m_schema *s, const m_type *t); /* for casts */
const char *vu_comment(gen_arena *a, const char *text, const char *indent, int width);
/* Generator-built text (a body, a prototype, SQL) as a JSON string, without
 * jansson's byte-by-byte UTF-8 check: it is made of the schema's text, which
 * libyaml checked as it read it, and the generator's own ASCII; checking
 * the large ones again took a tenth of a run. */
json_t *vu_text(const char *text);
/* {key: text}, the one-member objects views make per field and per
 * parameter, without json_pack's format parsing. */
json_t *vu_pair(const char *key, const char *text);
const char *vu_c_string(gen_arena *a, const char *text, const char *indent);
const char *vu_join(gen_arena *a, const char *const *items, size_t n, const char *sep);

#endif
