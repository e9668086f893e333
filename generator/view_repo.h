/* Internal to the repository views (view_repo.c: standard operations,
 * view_query.c: named queries, updates and status transitions). */
#ifndef SCHEMAC_GEN_VIEW_REPO_H
#define SCHEMAC_GEN_VIEW_REPO_H

#include <jansson.h>

#include "output.h"
#include "view.h"

void view_common(json_t *v, gen_arena *a, const m_schema *s, const view_env *env,
                 const char *file);
/* A field descriptor initializer; member is the offsetof designator (NULL:
 * name); extra_flags is VF_COMPUTED, VF_DEFAULT, VF_OPT (member is x.value of
 * an sc_opt_*: its presence is x.has). */
/* VF_ROW: a member of a decoded row (JSON: sc_json, parsed on first use). */
enum { VF_COMPUTED = 1, VF_DEFAULT = 2, VF_OPT = 4, VF_ROW = 8 };
const char *view_field_init(gen_arena *a, const m_schema *s, const char *owner, const char *name,
                            const char *member, const m_type *t, bool nullable, bool has_flag,
                            unsigned extra_flags, bool uuid_text, bool secret);

/* One parameter of a generated function. */
typedef struct vparam {
    const char *name;
    m_type type;
    bool nullable;   /* SQL NULL allowed */
    bool optional;   /* inside an optional fragment */
    bool computed;   /* partition key: filled by the executor */
    bool hidden;     /* keyset cursor value: filled by the body from the cursor */
    bool uuid_text, secret;
    const char *member;  /* offsetof designator when not the name */
} vparam;

typedef struct vfunc {
    gen_arena *a;
    const m_schema *s;
    const m_table *t;
    const char *name;        /* sm_collections_get */
    const char *args_struct; /* the struct its statements bind (private) */
    const char *public_args; /* the caller's argument struct (struct form) */
    bool settled, by_struct; /* struct form: more than three arguments */
    json_t *public_fields;   /* its members, as the header declares them */
    const char *access;      /* SC_ACCESS_* of its statements, or NULL */
    bool primary_only;       /* replica: never */
    const char *settings;    /* the sc_query.settings initializer, or NULL */
    vparam *params;
    size_t nparams, cap;
    json_t *variants;        /* sc_query initializers */
    json_t *count_variants;
    gen_buf body;
} vfunc;

typedef struct where {
    gen_buf sql;
    const char **order;
    size_t n, cap;
} where;

void vr_init(vfunc *f, gen_arena *a, const m_schema *s, const m_table *t, const char *op);
vparam *vr_add_param(vfunc *f, const char *name, const m_type *type);
vparam *vr_add_column_param(vfunc *f, const m_column *c);
const vparam *vr_find(const vfunc *f, const char *name);
bool vr_by_pointer(const vparam *p);
/* The type of an argument in the prototype and the caller's argument struct. */
const char *vr_arg_type(const vfunc *f, const vparam *p);
bool vr_has_flag(const vparam *p);
bool vr_is_opt(const vparam *p);
bool vr_wants_struct(const vfunc *f);
/* The struct-form rule itself: more than three visible arguments. */
bool vr_struct_for(size_t visible);
/* The view of a function that runs another's statements (f's bind struct
 * and queries): <query>_each, <query>_cursor. */
json_t *vr_companion_view(const vfunc *f, const char *name, const char *comment,
                          const char *proto, const char *body);
void vr_settle(vfunc *f);
const char *vr_arg(const vfunc *f, const char *name);
const char *vr_present(const vfunc *f, const vparam *p);
const char *vr_param_init(const vfunc *f, const vparam *p);
void vr_add_variant(vfunc *f, json_t *list, const char *sql, const char *const *order, size_t n,
                    const char *row);
void vr_assign(vfunc *f);
const char *vr_wrap(gen_arena *a, const char *text, size_t indent);
const char *vr_prototype(vfunc *f, const char *outputs, bool arena);
/* The prototype's arguments after conn (and arena): ", const x_args *args"
 * in the struct form, else one ", type name" per visible parameter. */
const char *vr_arguments(vfunc *f);
json_t *vr_function_view(vfunc *f, const char *comment, const char *proto, bool declare_args);
const char *vr_select_list(gen_arena *a, const m_table *t, const char *alias);
const char *vr_qualified(gen_arena *a, const m_schema *s, const m_table *t);
void vr_where_key(vfunc *f, where *w, bool pk);
bool vr_insertable(const m_table *t, const m_column *c);

/* The query tests of a table's named queries (view_qtests.c). */
json_t *view_query_tests(gen_arena *a, const m_schema *s, const m_table *t);
/* Round trips and constraint tests made up from the schema (view_made.c). */
json_t *view_made_tests(gen_arena *a, const m_schema *s, const m_table *t);
/* Whether made tests call the factories (a deep chain's parents). */
bool view_made_uses_factories(const json_t *tests);

/* The C type of a row a one/many query returns: its declared columns
 * struct, or the table's row. */
const char *vq_row_type(gen_arena *a, const m_schema *s, const m_query *q);

/* The C parameters of a named query, in prototype order. */
void vq_add_params(vfunc *f, const m_query *q);

void view_repo_update(gen_arena *a, const m_schema *s, const m_table *t, const char *row,
                      json_t *types, json_t *functions);
void view_repo_transitions(gen_arena *a, const m_schema *s, const m_table *t, const char *row,
                           json_t *functions);
void view_repo_queries(gen_arena *a, const m_schema *s, const m_table *t, json_t *types,
                       json_t *row_descs, json_t *functions, json_t *copies, json_t *upserts);
/* A returns: upsert query (view_upsert.c). */
json_t *view_upsert_function(gen_arena *a, const m_schema *s, const m_query *q);

#endif
