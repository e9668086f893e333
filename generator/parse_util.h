/* Shared helpers of the parser and the validator: typed access to YAML nodes
 * that reports a located error instead of returning garbage. */
#ifndef SCHEMAC_GEN_PARSE_UTIL_H
#define SCHEMAC_GEN_PARSE_UTIL_H

#include "model.h"
#include "yaml_tree.h"

typedef struct pctx {
    gen_arena *a;
    gen_diag *d;
    m_schema *s;
} pctx;

/* "did you mean" helper: the closest candidate within a small edit distance,
 * or NULL. */
const char *closest_name(const char *word, const char *const *candidates, size_t n);

/* Reports keys of map that are not in allowed (NULL-terminated). */
void check_keys(pctx *c, const ynode *map, const char *const *allowed, const char *what);

/* True when n has kind k; otherwise reports "<what> must be <k>". */
bool expect_kind(pctx *c, const ynode *n, ynode_kind k, const char *what);

/* A scalar value of map[key]; NULL when absent (reported when required). */
const char *get_text(pctx *c, const ynode *map, const char *key, bool required,
                     const char *what);
bool get_bool(pctx *c, const ynode *map, const char *key, bool dflt);
int get_int(pctx *c, const ynode *map, const char *key, int dflt, int min, int max);
/* A list of scalars (a single scalar is a list of one). */
void get_names(pctx *c, const ynode *map, const char *key, m_names *out);

/* Checks a SQL identifier: [a-z_][a-z0-9_]*, at most 63 bytes. */
bool check_identifier(pctx *c, const char *name, gen_loc loc, const char *what);

/* params: are parsed like result columns and turned into m_param by
 * validation, which merges them with the parameters found in the SQL. */
typedef struct declared_params {
    size_t n;
    m_result_col *items;
} declared_params;

typedef struct query_decls {
    m_query *q;
    declared_params params;
} query_decls;

/* Index columns "name [opclass] [ASC|DESC]", `with:` storage parameters
 * and the top-level `extensions:` list (parse_index.c). */
void gen_parse_index_column(pctx *c, m_index *ix, size_t k, const char *text, gen_loc loc);
void gen_parse_index_with(pctx *c, m_index *ix, const ynode *m);
void gen_parse_extensions(pctx *c, const ynode *root);
/* settings: { hnsw.ef_search: 100 }: SET LOCAL around the statement. */
void gen_parse_query_settings(pctx *c, m_query *q, const ynode *m);
/* Columns of an extension's type need the extension listed (parse_index.c). */
void gen_check_extension_types(pctx *c);

/* Checks meaning once the shape is parsed; runs even after parse errors, so
 * one run reports everything (it must tolerate missing pieces). */
void gen_validate(pctx *c, query_decls *decls, size_t ndecls);
void gen_validate_queries(pctx *c, query_decls *decls, size_t ndecls);
/* validate_citus.c: distribution and reference tables. */
void gen_validate_citus(pctx *c);

/* Loads and resolves `tests:` (qtest.c); needs a validated model. */
void gen_load_tests(pctx *c, const ynode *tests);

/* Resolves an enum type name and checks sizes (varchar(0), numeric(p,s)). */
void check_type(pctx *c, m_type *t, gen_loc loc);

/* access: on a `one` SELECT: the condition joins the select list as the
 * row's verdict, so one statement tells "no row" from "not yours"
 * (access.c). */
void gen_access_select(pctx *c, m_query *q, gen_loc loc);

/* enforce: database: the transition triggers added to the model (enforce.c). */
void gen_add_transition_triggers(pctx *c);
/* Triggers the generator adds as if the YAML declared them (enforce.c). */
bool gen_model_name_taken(const m_schema *s, const m_table *t, const char *name);
void gen_model_add_trigger(pctx *c, m_table *t, const m_function *fn, const m_trigger *trigger);
/* Tenancy across tables (tenancy.c): same_scope references become foreign
 * keys that carry the scope, with the parent's UNIQUE (key, scope) added
 * when needed; versioned: is parsed and checked; a query may bind its scope
 * through the row of a parent scoped by the same column. */
void gen_parse_versioned(pctx *c, m_table *t, const ynode *v);
void gen_carry_scopes(pctx *c);
void gen_check_versioned(pctx *c, m_table *t);
struct sql_scan;
bool gen_scope_bound_through_parent(const pctx *c, const m_query *q, const struct sql_scan *s);
/* audit: { into, key, from }: the audit triggers added to the model (audit.c). */
void gen_add_audit_triggers(pctx *c);

#endif
