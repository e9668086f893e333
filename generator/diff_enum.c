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

/* Values of from that the rebuilt type lacks and map does not carry over,
 * as "'a', 'b'"; NULL when none. */
static const char *lost_values(dctx *c, const m_names *from, const m_enum *to, const m_enum *map)
{
    gen_buf b;
    gen_buf_init(&b, c->a);
    for (size_t i = 0; i < from->n; i++) {
        bool mapped = false;
        for (size_t k = 0; map && k < map->nremoved; k++)
            mapped = mapped || strcmp(map->removed_old[k], from->items[i]) == 0;
        if (!mapped && !has_value(&to->values, from->items[i]))
            gen_buf_printf(&b, "%s%s", b.len ? ", " : "", ddl_literal(c->a, from->items[i]));
    }
    return b.len ? b.data : NULL;
}

/* Rows holding a value the type loses would fail the cast halfway: refuse
 * first, with the count and the way out (a down has no removed: mapping). */
static void guard_lost_values(dctx *c, const char *table, const m_column *col, const char *type,
                              const char *lost, ddl_script *out)
{
    gen_arena *a = c->a;
    const char *hit = col->type.array
                          ? gen_printf(a, "%s::text[] && ARRAY[%s]", col->name, lost)
                          : gen_printf(a, "%s::text IN (%s)", col->name, lost);
    const char *why = gen_printf(a, " rows of %s.%s hold %s, which enum %s loses here: change them "
                                    "to values the target schema has (UPDATE %s SET %s = ... WHERE %s), "
                                    "then run this again",
                                 table, col->name, lost, type, table, col->name, hit);
    d_push(out, DDL_TABLE, table,
           gen_printf(a, "DO $guard$ DECLARE n bigint; BEGIN\n"
                         "  SELECT count(*) INTO n FROM %s WHERE %s;\n"
                         "  IF n > 0 THEN\n"
                         "    RAISE EXCEPTION '%%', n || %s;\n"
                         "  END IF;\n"
                         "END $guard$",
                      table, hit, ddl_literal(a, why)));
}

/* Moves one column to the rebuilt type: its default (the one it has while
 * enum steps run) comes off and goes back around the ALTER. */
static void move_column(dctx *c, const char *table, const m_column *oc, const char *default_sql,
                        const char *type, const m_enum *map, ddl_script *out)
{
    gen_arena *a = c->a;
    if (default_sql)
        d_push(out, DDL_TABLE, table,
               gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", table, oc->name));
    d_push(out, DDL_TABLE, table,
           gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s TYPE %s%s USING %s", table, oc->name, type,
                      oc->type.array ? "[]" : "", enum_using(c, oc, type, map)));
    if (default_sql)
        d_push(out, DDL_TABLE, table,
               gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", table, oc->name,
                          default_sql));
}

/* For the plan: "; around it: drop and recreate v1, trg ON t, ..." or "". */
static const char *stepped_aside(dctx *c, const ddl_script *created)
{
    gen_buf b;
    gen_buf_init(&b, c->a);
    for (size_t i = 0; i < created->n; i++)
        if (created->items[i].kind != DDL_COMMENT)
            gen_buf_printf(&b, "%s%s", b.len ? ", " : "; around it: drop and recreate ",
                           created->items[i].object);
    return b.len ? b.data : "";
}

/* Removing, reordering or dropping added values (ERRATA): rename the type
 * away, create it anew, move every column over through text, drop the old
 * type. While enum steps run, in either direction, the database holds the
 * old side's columns (under their old names) in the tables' current names:
 * columns added or dropped by this migration come and go in later steps,
 * table renames came before. Views, triggers, indexes and checks that read
 * a moved column step aside meanwhile (diff_enum_deps.c). */
static const char *enum_rebuild(dctx *c, const m_enum *to, const m_names *from,
                                const m_enum *map, ddl_script *out)
{
    gen_arena *a = c->a;
    const char *type = d_q(c, to->name), *tmp = gen_printf(a, "%.55s_old", to->name);
    const char *lost = lost_values(c, from, to, map);
    ddl_script moves;
    ddl_script_init(&moves, a);
    enum_deps deps;
    enum_deps_init(c, &deps);
    for (size_t i = 0; i < c->o->ntables; i++) {
        const m_table *ot = &c->o->tables[i], *nt = c->new_of[i];
        const char *table = d_q(c, nt ? nt->name : ot->name);
        for (size_t k = 0; k < ot->ncolumns; k++) {
            const m_column *oc = &ot->columns[k], *nc = nt ? new_column(nt, ot, oc) : NULL;
            if (oc->type.kind != T_ENUM || strcmp(enum_new_name(c, oc->type.enum_name), to->name) != 0)
                continue;
            if (lost)
                guard_lost_values(c, table, oc, to->name, lost, out);
            enum_deps_collect(c, i, oc, &deps);
            bool default_gone = nc && default_crosses_enum_change(c, nc, oc); /* dropped earlier */
            move_column(c, table, oc, default_gone ? NULL : oc->default_sql, type, map, &moves);
        }
    }
    d_push(out, DDL_ENUM, type, gen_printf(a, "ALTER TYPE %s RENAME TO %s", type, tmp));
    ddl_create_enum(c->n, to, out);
    if (to->comment)
        ddl_comment(out, "TYPE", type, to->comment);
    d_append(out, &deps.view_drop);
    d_append(out, &deps.drop);
    d_append(out, &moves);
    d_push(out, DDL_ENUM, type, gen_printf(a, "DROP TYPE %s", ddl_qualify(a, c->n, tmp)));
    d_append(out, &deps.create);
    return stepped_aside(c, &deps.create);
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
    const char *aside = enum_rebuild(c, &back, &e->values, NULL, &back_step->down);
    back_step->what = gen_printf(a, "%s%s", back_step->what, aside);
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
    const char *aside = enum_rebuild(c, e, cur, e, &p->up);
    m_enum back = *oe;
    back.name = e->name;
    back.values = *cur;
    enum_rebuild(c, &back, &e->values, NULL, &p->down);
    p->what = gen_printf(a, "%s%s", p->what, aside);
    d_append(&p->down, &restore);
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
