/* C text of test values and assertions, shared by the query tests
 * (view_qtests.c) and the made-up round trips (view_made.c). */
#ifndef SCHEMAC_GEN_VIEW_QTESTS_H
#define SCHEMAC_GEN_VIEW_QTESTS_H

#include <jansson.h>

#include "qtest.h"

const char *vq_enum_constant(gen_arena *a, const m_schema *s, const m_type *t, const char *v);
/* A C string literal of a bytea value ("\x0102" is hex); *len its bytes. */
const char *vq_bytes_literal(gen_arena *a, const char *text, size_t *len);
/* A C expression of type t holding the value (fx_time/fx_json for times and JSON). */
const char *vq_scalar_c(gen_arena *a, const m_schema *s, const m_type *t, const char *text);
/* Appends {key: text} to list. */
void vq_add(json_t *list, const char *key, const char *text);
/* Appends the assertions that row.field holds f's value. */
void vq_assert_field(gen_arena *a, const m_schema *s, const char *row, const qt_field *f,
                     json_t *asserts);

#endif
