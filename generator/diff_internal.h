/* What the diff_*.c files share: the context of one diff and the steps
 * each file contributes. Not a public interface (see diff.h). */
#ifndef SCHEMAC_GEN_DIFF_INTERNAL_H
#define SCHEMAC_GEN_DIFF_INTERNAL_H

#include "diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct objset;

typedef struct dctx {
    gen_arena *a;
    gen_diag *d;
    const m_schema *o, *n;   /* old (never NULL here: an empty model stands in) */
    diff_result *r;
    const m_table **old_of;  /* per new table: its old table or NULL */
    const m_table **new_of;  /* per old table: its new table or NULL */
    const diff_options *opt;
    /* known before the enum steps are written, which work around them */
    const struct objset *ix, *tr, *keys;
    const bool *view_orb;    /* per old view: this migration drops it */
} dctx;

typedef struct objset {
    ddl_script old, new_;
    const char **forced;       /* objects rebuilt although their text is equal */
    const char **renamed;      /* old and new names of constraints renamed in place */
    size_t nrenamed, caprenamed;
    size_t nforced, capforced;
} objset;

typedef void (*collect_fn)(dctx *c, const m_schema *s, bool old, ddl_script *out);

/* ---- steps, matching and names (diff.c) */
diff_step *d_step(dctx *c, const char *what, bool destructive);
void d_push(ddl_script *d, ddl_kind kind, const char *object, const char *sql);
void d_append(ddl_script *to, const ddl_script *from);
bool d_same(const char *x, const char *y);
const char *d_q(dctx *c, const char *name);
const m_column *old_column(const m_table *old, const m_column *col);
const m_column *new_column(const m_table *nt, const m_table *old, const m_column *oc);
const char *enum_new_name(dctx *c, const char *old_name);
const m_enum *old_enum(dctx *c, const m_enum *e);
const char *type_key(dctx *c, const m_column *col, bool old);
const char *alter_type_sql(dctx *c, const m_schema *s, const m_type *t);

/* ---- refusals, backups and restores (diff_backup.c) */
bool destructive_allowed(dctx *c, gen_loc loc, const char *what);
const char *backup_table(dctx *c, const char *table, const char *column);
void backup_rows(dctx *c, diff_step *p, const char *backup, const char *source, const char *select_sql);
bool backup_column(dctx *c, diff_step *p, const m_table *t, const char *column, const char *value);
void restore_column(dctx *c, ddl_script *down, const m_table *t, const char *column, const char *restore);
void drop_backup(dctx *c, ddl_script *down, const char *backup);

/* ---- objects compared by their CREATE text, partitions, forcing (diff_objects.c) */
void objset_init(dctx *c, objset *s, collect_fn fn, bool follow_renames);
void pair_renamed_constraints(dctx *c, objset *s);
void rename_constraints(dctx *c, const objset *s, const char *label);
void drop_changed(dctx *c, const objset *s, const char *label);
void create_changed(dctx *c, const objset *s, const char *label);
void collect_fks(dctx *c, const m_schema *s, bool old, ddl_script *out);
void collect_indexes(dctx *c, const m_schema *s, bool old, ddl_script *out);
void collect_triggers(dctx *c, const m_schema *s, bool old, ddl_script *out);
void collect_constraints(dctx *c, const m_schema *s, bool old, ddl_script *out);
void collect_table_constraints(dctx *c, const m_schema *s, const m_table *t, ddl_script *out);
bool obj_kept(const objset *s, const ddl_stmt *st);
void collect_partitions(dctx *c, const m_schema *s, bool old, ddl_script *out);
void diff_partitions(dctx *c, const objset *parts, bool drops);
void check_stranded_rows(dctx *c);
void force_fks_into(dctx *c, objset *fks, const objset *keys);
void hoist_own_transactions(dctx *c);
void force_function_triggers(dctx *c, objset *tr);
void concurrent_indexes(dctx *c);

/* ---- Citus distribution (diff_citus.c) */
void diff_distribution(dctx *c);

/* ---- views and functions (diff_views.c) */
bool *views_to_rebuild(dctx *c, bool **old_rebuild);
void drop_views(dctx *c, const bool *orb);
void create_views(dctx *c, const bool *nr);
void view_create_stmts(const m_schema *s, const m_view *w, ddl_script *out);
void view_drop_stmt(gen_arena *a, const m_schema *s, const m_view *w, ddl_script *out);
const m_function *function_by_signature(dctx *c, const m_schema *s, const char *sig, const m_schema *sig_schema);
void create_functions(dctx *c);
void drop_functions(dctx *c, bool result_changed_only);

/* ---- enums (diff_enum.c) */
void create_enums(dctx *c);
void drop_enums(dctx *c);
/* Extensions added (create) or removed (not create) (diff_extensions.c). */
void diff_extensions(dctx *c, bool create);

/* ---- what steps aside while an enum is rebuilt (diff_enum_deps.c) */
typedef struct enum_deps {
    ddl_script view_drop, drop, create;
} enum_deps;
bool sql_mentions(gen_arena *a, const char *sql, const char *ident);
bool sql_selects_star(gen_arena *a, const char *sql);
void enum_deps_init(dctx *c, enum_deps *d);
void enum_deps_collect(dctx *c, size_t old_table, const m_column *oc, enum_deps *d);

/* ---- tables and columns (diff_columns.c) */
bool default_crosses_enum_change(dctx *c, const m_column *col, const m_column *oc);
void rename_tables(dctx *c);
void create_tables(dctx *c);
void drop_tables(dctx *c);
const char *d_alter(dctx *c, const m_table *t, const char *fmt, const char *a1, const char *a2);
void drop_enum_defaults(dctx *c);
void diff_columns(dctx *c, bool drops);

#endif
