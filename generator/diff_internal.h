/* What the diff_*.c files share: the context of one diff and the steps
 * each file contributes. Not a public interface (see diff.h). */
#ifndef SCHEMAC_GEN_DIFF_INTERNAL_H
#define SCHEMAC_GEN_DIFF_INTERNAL_H

#include "diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dctx {
    gen_arena *a;
    gen_diag *d;
    const m_schema *o, *n;   /* old (never NULL here: an empty model stands in) */
    diff_result *r;
    const m_table **old_of;  /* per new table: its old table or NULL */
    const m_table **new_of;  /* per old table: its new table or NULL */
    bool *altered;           /* per new table: views over it must be rebuilt */
    const char **recreated_enums;  /* rebuilt or value-renamed under their columns */
    size_t nrecreated, caprecreated;
    const diff_options *opt;
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
bool enum_recreated(dctx *c, const char *name);

/* ---- refusals, backups and restores (diff_backup.c) */
bool destructive_allowed(dctx *c, gen_loc loc, const char *what);
const char *backup_table(dctx *c, const char *table, const char *column);
void backup_rows(dctx *c, diff_step *p, const char *backup, const char *source, const char *select_sql);
bool backup_column(dctx *c, diff_step *p, const m_table *t, const char *column, const char *value);
void restore_column(dctx *c, ddl_script *down, const m_table *t, const char *column, const char *restore);

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
void collect_partitions(dctx *c, const m_schema *s, bool old, ddl_script *out);
void diff_partitions(dctx *c, const objset *parts, bool drops);
void force_fks_into(dctx *c, objset *fks, const objset *keys);
void force_enum_indexes(dctx *c, objset *ix);
void force_enum_checks(dctx *c, objset *keys);
void hoist_own_transactions(dctx *c);
void force_function_triggers(dctx *c, objset *tr);
void concurrent_indexes(dctx *c);

/* ---- views and functions (diff_views.c) */
bool *views_to_rebuild(dctx *c, bool **old_rebuild);
void drop_views(dctx *c, const bool *orb);
void create_views(dctx *c, const bool *nr);
const m_function *function_by_signature(dctx *c, const m_schema *s, const char *sig, const m_schema *sig_schema);
void create_functions(dctx *c);
void drop_functions(dctx *c, bool result_changed_only);

/* ---- enums (diff_enum.c) */
void create_enums(dctx *c);
void drop_enums(dctx *c);

/* ---- tables and columns (diff_columns.c) */
void rename_tables(dctx *c);
void create_tables(dctx *c);
void drop_tables(dctx *c);
const char *d_alter(dctx *c, const m_table *t, const char *fmt, const char *a1, const char *a2);
void drop_enum_defaults(dctx *c);
void diff_columns(dctx *c, bool drops);
void mark_altered_tables(dctx *c);

#endif
