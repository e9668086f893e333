/* The view: the model as jansson objects holding every name, C type, SQL
 * text and descriptor initializer the templates print. Templates never
 * compute; everything they need is decided here. */
#ifndef SCHEMAC_GEN_VIEW_H
#define SCHEMAC_GEN_VIEW_H

#include <jansson.h>

#include "model.h"

typedef struct view_env {
    const char *source;        /* schema path as given, for the banner */
    int runtime_version;       /* SC_VERSION_NUMBER the code needs */
    const char *runtime_version_string;
} view_env;

/* New references; the caller json_decref's them. */
json_t *view_models(gen_arena *a, const m_schema *s, const view_env *env);
json_t *view_repository(gen_arena *a, const m_schema *s, const m_table *t, const view_env *env);

json_t *view_tests(gen_arena *a, const m_schema *s, const m_table *t, const view_env *env);
json_t *view_catalog(gen_arena *a, const m_schema *s, const view_env *env);
/* tests/<prefix>_factories.{h,c}: test factories (view_factories.c). */
json_t *view_factories(gen_arena *a, const m_schema *s, const view_env *env);

/* The C name of a table's row struct: prefix + singular ("sm_collection"). */
const char *view_row_struct(gen_arena *a, const m_schema *s, const m_table *t);

#endif
