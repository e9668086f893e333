/* Enum changes: renames, added values (own transaction), rebuilds for
 * removed or reordered values under the columns that use the type. */
#include "diff_internal.h"

/* ---- enums -------------------------------------------------------------- */

static bool is_subsequence(const m_names *small, const m_names *big)
{
    size_t k = 0;
    for (size_t i = 0; i < big->n && k < small->n; i++)
        if (strcmp(big->items[i], small->items[k]) == 0)
            k++;
    return k == small->n;
}

static bool has_value(const m_names *v, const char *x)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->items[i], x) == 0)
            return true;
    return false;
}

/* Removing, reordering or renaming values (ERRATA): rename the type away,
 * create it anew, move every column over through text with its default
 * dropped and restored, drop the old type. cols_schema holds the columns
 * and defaults of the side being created. */
/* The USING expression moving a column to the rebuilt type: through text,
 * with the values of removed: {old: new} replaced. */
static const char *enum_using(dctx *c, const m_column *col, const char *name, const m_enum *map)
{
    gen_arena *a = c->a;
    if (col->type.array) {
        const char *e = gen_printf(a, "%s::text[]", col->name);
        for (size_t i = 0; map && i < map->nremoved; i++)
            e = gen_printf(a, "array_replace(%s, %s, %s)", e, ddl_literal(a, map->removed_old[i]),
                           ddl_literal(a, map->removed_new[i]));
        return gen_printf(a, "%s::%s[]", e, name);
    }
    if (!map || !map->nremoved)
        return gen_printf(a, "%s::text::%s", col->name, name);
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "CASE %s::text", col->name);
    for (size_t i = 0; i < map->nremoved; i++)
        gen_buf_printf(&b, " WHEN %s THEN %s", ddl_literal(a, map->removed_old[i]),
                       ddl_literal(a, map->removed_new[i]));
    gen_buf_printf(&b, " ELSE %s::text END::%s", col->name, name);
    return b.data;
}

/* Tables of cols_schema that exist when an enum step runs (up: not the
 * ones created later; down: all of the old side). */
static bool exists_at_enum_step(dctx *c, const m_schema *cols_schema, size_t i)
{
    return cols_schema != c->n || c->old_of[i];
}

static void enum_rebuild(dctx *c, const m_schema *cols_schema, const m_enum *to, const m_enum *map,
                         ddl_script *out)
{
    gen_arena *a = c->a;
    const char *name = d_q(c, to->name);
    const char *tmp = gen_printf(a, "%.55s_old", to->name);
    d_push(out, DDL_ENUM, name, gen_printf(a, "ALTER TYPE %s RENAME TO %s", name, tmp));
    ddl_create_enum(c->n, to, out);
    if (to->comment)
        ddl_comment(out, "TYPE", name, to->comment);
    for (size_t i = 0; i < cols_schema->ntables; i++) {
        const m_table *t = &cols_schema->tables[i];
        for (size_t k = 0; k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k];
            if (col->type.kind != T_ENUM || strcmp(col->type.enum_name, to->name) != 0 ||
                !exists_at_enum_step(c, cols_schema, i))
                continue;
            const char *table = ddl_qualify(a, cols_schema, t->name);
            const char *arr = col->type.array ? "[]" : "";
            if (col->default_sql)
                d_push(out, DDL_TABLE, table, gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", table, col->name));
            d_push(out, DDL_TABLE, table,
                 gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s TYPE %s%s USING %s", table,
                            col->name, name, arr, enum_using(c, col, name, map)));
            if (col->default_sql)
                d_push(out, DDL_TABLE, table,
                     gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", table,
                                col->name, col->default_sql));
        }
    }
    d_push(out, DDL_ENUM, name, gen_printf(a, "DROP TYPE %s", ddl_qualify(a, c->n, tmp)));
}

/* The tables of s (old or new) with a column of enum name, as altered. */
static void mark_enum_tables(dctx *c, const char *enum_name)
{
    for (size_t i = 0; i < c->n->ntables; i++)
        for (size_t k = 0; k < c->n->tables[i].ncolumns; k++) {
            const m_column *col = &c->n->tables[i].columns[k];
            if (col->type.kind == T_ENUM && strcmp(col->type.enum_name, enum_name) == 0)
                c->altered[i] = true;
        }
}

/* A type rebuilt under its columns (up or down): views over those tables
 * and partial indexes spelling its literals are rebuilt around it. */
static void note_enum_rebuilt(dctx *c, const char *name)
{
    gen_grow(c->a, (void **)&c->recreated_enums, &c->caprecreated, c->nrecreated + 1,
             sizeof *c->recreated_enums);
    c->recreated_enums[c->nrecreated++] = name;
    mark_enum_tables(c, name);
}

/* renamed_values: {new: old} as RENAME VALUE steps (only what the YAML
 * says: a value replaced in place is otherwise a removal plus an addition).
 * Returns the old values under their new names. */
static m_names rename_values(dctx *c, const m_enum *e, const m_enum *oe)
{
    m_names cur = oe->values;
    cur.items = gen_alloc(c->a, (cur.n + 1) * sizeof *cur.items);
    memcpy(cur.items, oe->values.items, cur.n * sizeof *cur.items);
    const char *name = d_q(c, e->name);
    for (size_t r = 0; r < e->nrenamed; r++) {
        const char *to = e->renamed_new[r], *from = e->renamed_old[r];
        if (!has_value(&cur, from) || has_value(&cur, to))
            continue;
        for (size_t i = 0; i < cur.n; i++)
            if (strcmp(cur.items[i], from) == 0)
                cur.items[i] = to;
        diff_step *p = d_step(c, gen_printf(c->a, "rename value '%s' of enum %s to '%s'", from,
                                          e->name, to), false);
        d_push(&p->up, DDL_ENUM, name, gen_printf(c->a, "ALTER TYPE %s RENAME VALUE %s TO %s", name,
                                                ddl_literal(c->a, from), ddl_literal(c->a, to)));
        d_push(&p->down, DDL_ENUM, name, gen_printf(c->a, "ALTER TYPE %s RENAME VALUE %s TO %s", name,
                                                  ddl_literal(c->a, to), ddl_literal(c->a, from)));
        mark_enum_tables(c, e->name); /* literals in views and partial indexes change */
    }
    return cur;
}

/* A value's name at the start of the migration (before value renames). */
static const char *value_at_start(const m_names *cur, const m_enum *oe, const char *v)
{
    for (size_t i = 0; i < cur->n; i++)
        if (strcmp(cur->items[i], v) == 0)
            return oe->values.items[i];
    return v;
}

/* Values only added: ALTER TYPE ... ADD VALUE in a first step that commits
 * on its own (ERRATA: a value cannot be used in the transaction that added
 * it), under the type's name at the start of the migration; IF NOT EXISTS
 * makes a retry after a later failure harmless. The down rebuilds the type
 * without them at the step's place in the order. */
static void add_enum_values(dctx *c, const m_enum *e, const m_enum *oe, const m_names *cur)
{
    gen_arena *a = c->a;
    const char *start_name = ddl_qualify(a, c->o, oe->name);
    diff_step *p = d_step(c, gen_printf(a, "add values to enum %s", e->name), false);
    p->own_transaction = true;
    for (size_t i = 0; i < e->values.n; i++) {
        const char *v = e->values.items[i];
        if (has_value(cur, v))
            continue;
        const char *where = "";
        /* anchor on the previous value (it may be new too: added just before) */
        if (i > 0)
            where = gen_printf(a, " AFTER %s",
                               ddl_literal(a, value_at_start(cur, oe, e->values.items[i - 1])));
        else if (i + 1 < e->values.n)
            where = gen_printf(a, " BEFORE %s",
                               ddl_literal(a, value_at_start(cur, oe, e->values.items[i + 1])));
        d_push(&p->up, DDL_ENUM, start_name,
             gen_printf(a, "ALTER TYPE %s ADD VALUE IF NOT EXISTS %s%s", start_name,
                        ddl_literal(a, v), where));
    }
    diff_step *back_step =
        d_step(c, gen_printf(a, "on down only: rebuild enum %s without its new values", e->name), false);
    m_enum back = *oe;
    back.name = e->name;
    back.values = *cur;
    enum_rebuild(c, c->o, &back, NULL, &back_step->down);
    note_enum_rebuilt(c, e->name); /* the down rebuilds it */
}

/* Values removed (each needs removed: {old: new}) or reordered: the type is
 * rebuilt under its columns, which rewrites their tables. A removal backs
 * up the affected columns; the down rebuilds the old type and restores. */
static void rebuild_enum(dctx *c, const m_enum *e, const m_enum *oe, const m_names *cur)
{
    gen_arena *a = c->a;
    size_t missing = 0;
    for (size_t i = 0; i < cur->n; i++) {
        const char *v = cur->items[i];
        if (has_value(&e->values, v))
            continue;
        missing++;
        bool mapped = false;
        for (size_t k = 0; k < e->nremoved; k++)
            mapped = mapped || strcmp(e->removed_old[k], v) == 0;
        if (!mapped && !c->opt->coverage_only)
            gen_error(c->d, e->loc,
                      "value '%s' of enum '%s' is removed: say what the rows holding it become, "
                      "e.g. 'removed: { %s: %s }' (if it was renamed: 'renamed_values: { <new>: %s }')",
                      v, e->name, v, e->values.items[0], v);
    }
    if (missing && !destructive_allowed(c, e->loc, gen_printf(a, "removing values of enum '%s'", e->name)))
        return;
    diff_step *p = d_step(c, gen_printf(a, "rebuild enum %s (%s)", e->name,
                                      missing ? "values removed, rows mapped by 'removed'"
                                              : "values reordered"),
                        missing > 0);
    ddl_script restore;
    ddl_script_init(&restore, a);
    const char *type = d_q(c, e->name);
    for (size_t i = 0; missing && i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i];
        for (size_t k = 0; c->old_of[i] && k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k];
            if (col->type.kind != T_ENUM || strcmp(col->type.enum_name, e->name) != 0)
                continue;
            const char *arr = col->type.array ? "[]" : "";
            backup_column(c, p, t, col->name, gen_printf(a, "%s::text AS %s", col->name, col->name));
            restore_column(c, &restore, t, col->name, gen_printf(a, "b.%s::%s%s", col->name, type, arr));
        }
    }
    enum_rebuild(c, c->n, e, e, &p->up);
    m_enum back = *oe;
    back.name = e->name;
    back.values = *cur;
    enum_rebuild(c, c->o, &back, NULL, &p->down);
    d_append(&p->down, &restore);
    note_enum_rebuilt(c, e->name);
}

static void diff_enum_values(dctx *c, const m_enum *e, const m_enum *oe)
{
    m_names cur = rename_values(c, e, oe);
    if (e->values.n == cur.n && is_subsequence(&cur, &e->values))
        return;
    if (is_subsequence(&cur, &e->values))
        add_enum_values(c, e, oe, &cur);
    else
        rebuild_enum(c, e, oe, &cur);
}

void create_enums(dctx *c)
{
    for (size_t i = 0; i < c->n->nenums; i++) {
        const m_enum *e = &c->n->enums[i];
        const m_enum *oe = old_enum(c, e);
        if (oe && strcmp(oe->name, e->name) != 0) {
            diff_step *p = d_step(c, gen_printf(c->a, "rename enum %s to %s", oe->name, e->name), false);
            d_push(&p->up, DDL_ENUM, d_q(c, e->name),
                 gen_printf(c->a, "ALTER TYPE %s RENAME TO %s", d_q(c, oe->name), e->name));
            d_push(&p->down, DDL_ENUM, d_q(c, e->name),
                 gen_printf(c->a, "ALTER TYPE %s RENAME TO %s", d_q(c, e->name), oe->name));
        }
        if (oe) {
            diff_enum_values(c, e, oe);
            continue;
        }
        diff_step *p = d_step(c, gen_printf(c->a, "create enum %s", e->name), false);
        ddl_create_enum(c->n, e, &p->up);
        if (e->comment)
            ddl_comment(&p->up, "TYPE", d_q(c, e->name), e->comment);
        d_push(&p->down, DDL_ENUM, d_q(c, e->name), gen_printf(c->a, "DROP TYPE %s", d_q(c, e->name)));
    }
}

void drop_enums(dctx *c)
{
    for (size_t i = c->o->nenums; i-- > 0;) {
        const m_enum *oe = &c->o->enums[i];
        bool kept = m_find_enum(c->n, enum_new_name(c, oe->name)) != NULL;
        if (kept)
            continue;
        diff_step *p = d_step(c, gen_printf(c->a, "drop enum %s", oe->name), false);
        const char *name = ddl_qualify(c->a, c->o, oe->name);
        d_push(&p->up, DDL_ENUM, name, gen_printf(c->a, "DROP TYPE %s", name));
        ddl_create_enum(c->o, oe, &p->down);
        if (oe->comment)
            ddl_comment(&p->down, "TYPE", name, oe->comment);
    }
}
