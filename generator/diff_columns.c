/* Tables and columns: renames, creations, drops with backups, type,
 * nullability and default changes. */
#include "diff_internal.h"

/* ---- tables and columns --------------------------------------------------- */

static bool is_serial(const m_column *col)
{
    return col->type.kind == T_SERIAL || col->type.kind == T_BIGSERIAL;
}

/* A serial column's sequence is named <table>_<column>_seq when created
 * and keeps that name through renames: rename it along, so that the
 * database matches one created from scratch. */
static void rename_sequences(dctx *c, diff_step *p, const m_table *t, const m_table *old,
                             bool table_renamed)
{
    for (size_t k = 0; k < t->ncolumns; k++) {
        const m_column *col = &t->columns[k], *oc = old_column(old, col);
        if (!oc || !is_serial(col) || !is_serial(oc))
            continue;
        if (!table_renamed && strcmp(col->name, oc->name) == 0)
            continue;
        const char *from = gen_printf(c->a, "%.63s", gen_printf(c->a, "%s_%s_seq", old->name, oc->name));
        const char *to = gen_printf(c->a, "%.63s", gen_printf(c->a, "%s_%s_seq", t->name, col->name));
        if (table_renamed) /* the column is renamed later, under the new table */
            to = gen_printf(c->a, "%.63s", gen_printf(c->a, "%s_%s_seq", t->name, oc->name));
        else
            from = gen_printf(c->a, "%.63s", gen_printf(c->a, "%s_%s_seq", t->name, oc->name));
        if (strcmp(from, to) == 0)
            continue;
        d_push(&p->up, DDL_TABLE, d_q(c, to), gen_printf(c->a, "ALTER SEQUENCE %s RENAME TO %s", d_q(c, from), to));
        d_push(&p->down, DDL_TABLE, d_q(c, from), gen_printf(c->a, "ALTER SEQUENCE %s RENAME TO %s", d_q(c, to), from));
    }
}

void rename_tables(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old || strcmp(old->name, t->name) == 0)
            continue;
        diff_step *p = d_step(c, gen_printf(c->a, "rename table %s to %s", old->name, t->name), false);
        d_push(&p->up, DDL_TABLE, d_q(c, t->name),
             gen_printf(c->a, "ALTER TABLE %s RENAME TO %s", d_q(c, old->name), t->name));
        d_push(&p->down, DDL_TABLE, d_q(c, t->name),
             gen_printf(c->a, "ALTER TABLE %s RENAME TO %s", d_q(c, t->name), old->name));
        /* the down runs the step's statements in order: rename the sequences
         * back before the table, so put the table rename last there */
        diff_step *seq = d_step(c, gen_printf(c->a, "rename sequences of %s", t->name), false);
        rename_sequences(c, seq, t, old, true);
        if (!seq->up.n)
            c->r->n--;
    }
}

static void table_create_stmts(const m_schema *s, const m_table *t, ddl_script *out)
{
    ddl_create_table(s, t, out);
    ddl_create_partitions(s, t, out);
    ddl_table_comments(s, t, out);
}

void create_tables(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i];
        if (c->old_of[i])
            continue;
        diff_step *p = d_step(c, gen_printf(c->a, "create table %s", t->name), false);
        table_create_stmts(c->n, t, &p->up);
        d_push(&p->down, DDL_TABLE, d_q(c, t->name), gen_printf(c->a, "DROP TABLE %s", d_q(c, t->name)));
    }
}

/* Every column, enums as text: the backup must not depend on a type the
 * migration may drop. */
static const char *backup_select(dctx *c, const m_table *t, const char *name)
{
    gen_buf b;
    gen_buf_init(&b, c->a);
    gen_buf_puts(&b, "SELECT ");
    for (size_t k = 0; k < t->ncolumns; k++) {
        const m_column *col = &t->columns[k];
        if (col->type.kind == T_ENUM)
            gen_buf_printf(&b, "%s%s::text%s AS %s", k ? ", " : "", col->name,
                           col->type.array ? "[]" : "", col->name);
        else
            gen_buf_printf(&b, "%s%s", k ? ", " : "", col->name);
    }
    gen_buf_printf(&b, " FROM %s", name);
    return b.data;
}

/* INSERT ... SELECT with explicit columns (the backup's order may differ
 * from the model's), then the serial sequences past the restored keys. */
static void restore_table(dctx *c, ddl_script *down, const m_table *t, const char *name,
                          const char *backup)
{
    gen_buf cols, values;
    gen_buf_init(&cols, c->a);
    gen_buf_init(&values, c->a);
    for (size_t k = 0; k < t->ncolumns; k++) {
        const m_column *col = &t->columns[k];
        if (col->generated)
            continue;
        gen_buf_printf(&cols, "%s%s", cols.len ? ", " : "", col->name);
        gen_buf_printf(&values, "%s%s", values.len ? ", " : "", col->name);
        if (col->type.kind == T_ENUM)
            gen_buf_printf(&values, "::%s", ddl_type_sql(c->a, c->o, &col->type));
    }
    d_push(down, DDL_TABLE, name,
         gen_printf(c->a, "INSERT INTO %s (%s) SELECT %s FROM %s", name, cols.data, values.data, backup));
    for (size_t k = 0; k < t->ncolumns; k++)
        if (is_serial(&t->columns[k]))
            d_push(down, DDL_TABLE, name,
                 gen_printf(c->a, "SELECT setval(pg_get_serial_sequence('%s', '%s'), max(%s)) FROM %s",
                            name, t->columns[k].name, t->columns[k].name, name));
    drop_backup(c, down, backup);
}

void drop_tables(dctx *c)
{
    for (size_t i = c->o->ntables; i-- > 0;) {
        const m_table *t = &c->o->tables[i];
        if (c->new_of[i])
            continue;
        const char *name = ddl_qualify(c->a, c->o, t->name);
        if (!destructive_allowed(c, (gen_loc){c->n->file, 0, 0},
                                 gen_printf(c->a, "dropping table '%s'", t->name)))
            continue;
        diff_step *p = d_step(c, gen_printf(c->a, "drop table %s", t->name), true);
        const char *backup = backup_table(c, t->name, NULL);
        backup_rows(c, p, backup, name, backup_select(c, t, name));
        d_push(&p->up, DDL_TABLE, name, gen_printf(c->a, "DROP TABLE %s", name));
        table_create_stmts(c->o, t, &p->down);
        restore_table(c, &p->down, t, name, backup);
    }
}

const char *d_alter(dctx *c, const m_table *t, const char *fmt, const char *a1,
                         const char *a2)
{
    return gen_printf(c->a, "ALTER TABLE %s %s", d_q(c, t->name), gen_printf(c->a, fmt, a1, a2));
}

static void add_column(dctx *c, const m_table *t, const m_column *col)
{
    const char *table = d_q(c, t->name);
    if (!col->nullable && !col->default_sql && !col->backfill && !col->generated && !is_serial(col) &&
        !c->opt->coverage_only)
        gen_error(c->d, col->loc,
                  "column '%s.%s' is added NOT NULL to a table that may have rows, with no "
                  "value for them: give it a 'default', a 'backfill' expression, or 'nullable: true'",
                  t->name, col->name);
    diff_step *p = d_step(c, gen_printf(c->a, "add column %s.%s", t->name, col->name), false);
    if (col->backfill && !col->nullable) {
        m_column loose = *col;
        loose.nullable = true;
        d_push(&p->up, DDL_TABLE, table,
             d_alter(c, t, "ADD COLUMN %s%s", ddl_column_definition(c->a, c->n, &loose), ""));
        /* a backfill fills the new column only: no updated_at trigger runs */
        d_push(&p->up, DDL_TABLE, table, gen_printf(c->a, "ALTER TABLE %s DISABLE TRIGGER USER", table));
        d_push(&p->up, DDL_TABLE, table,
             gen_printf(c->a, "UPDATE %s SET %s = %s", table, col->name, col->backfill));
        d_push(&p->up, DDL_TABLE, table, gen_printf(c->a, "ALTER TABLE %s ENABLE TRIGGER USER", table));
        d_push(&p->up, DDL_TABLE, table, d_alter(c, t, "ALTER COLUMN %s SET NOT NULL%s", col->name, ""));
    } else {
        d_push(&p->up, DDL_TABLE, table,
             d_alter(c, t, "ADD COLUMN %s%s", ddl_column_definition(c->a, c->n, col), ""));
    }
    if (col->comment)
        ddl_comment(&p->up, "COLUMN", gen_printf(c->a, "%s.%s", table, col->name), col->comment);
    d_push(&p->down, DDL_TABLE, table, d_alter(c, t, "DROP COLUMN %s%s", col->name, ""));
}

static void drop_column(dctx *c, const m_table *nt, const m_column *oc)
{
    const char *table = d_q(c, nt->name);
    if (!destructive_allowed(c, nt->loc, gen_printf(c->a, "dropping column '%s.%s'", nt->name, oc->name)))
        return;
    diff_step *p = d_step(c, gen_printf(c->a, "drop column %s.%s", nt->name, oc->name), true);
    bool en = oc->type.kind == T_ENUM;
    if (!backup_column(c, p, nt, oc->name,
                       en ? gen_printf(c->a, "%s::text%s AS %s", oc->name, oc->type.array ? "[]" : "", oc->name)
                          : oc->name))
        return;
    d_push(&p->up, DDL_TABLE, table, d_alter(c, nt, "DROP COLUMN %s%s", oc->name, ""));
    /* added back without NOT NULL, filled from the backup, then tightened */
    m_column loose = *oc;
    loose.nullable = true;
    d_push(&p->down, DDL_TABLE, table,
         d_alter(c, nt, "ADD COLUMN %s%s", ddl_column_definition(c->a, c->o, &loose), ""));
    if (oc->comment)
        ddl_comment(&p->down, "COLUMN", gen_printf(c->a, "%s.%s", table, oc->name), oc->comment);
    restore_column(c, &p->down, nt, oc->name,
                   en ? gen_printf(c->a, "b.%s::%s", oc->name, ddl_type_sql(c->a, c->o, &oc->type))
                      : gen_printf(c->a, "b.%s", oc->name));
    if (!oc->nullable)
        d_push(&p->down, DDL_TABLE, table, d_alter(c, nt, "ALTER COLUMN %s SET NOT NULL%s", oc->name, ""));
}

/* ---- type changes: which keep the bytes, which keep every value ------- */

static int int_rank(m_type_kind k)
{
    switch (k) {
    case T_SMALLINT: return 1;
    case T_INTEGER: case T_SERIAL: return 2;
    case T_BIGINT: case T_BIGSERIAL: return 3;
    default: return 0;
    }
}

static bool is_string(const m_type *t)
{
    return t->kind == T_TEXT || t->kind == T_VARCHAR;
}

/* Stored bytes stay valid: PostgreSQL changes the catalog only (no rewrite,
 * no scan). */
static bool binary_coercible(const m_type *from, const m_type *to)
{
    if (from->array != to->array)
        return false;
    if (is_string(from) && is_string(to))
        return to->kind == T_TEXT || to->p < 0 || (from->kind == T_VARCHAR && from->p >= 0 && to->p >= from->p);
    if (from->kind == T_NUMERIC && to->kind == T_NUMERIC)
        return to->p < 0 || (from->p == to->p && from->s == to->s);
    return false;
}

/* Every value of from is a value of to. */
static bool widens(const m_type *from, const m_type *to)
{
    if (binary_coercible(from, to))
        return true;
    if (from->array != to->array)
        return false;
    if (int_rank(from->kind) && int_rank(to->kind))
        return int_rank(to->kind) >= int_rank(from->kind);
    if (int_rank(from->kind) && to->kind == T_NUMERIC && to->p < 0)
        return true;
    if (from->kind == T_REAL && to->kind == T_DOUBLE)
        return true;
    if (from->kind == T_TIMESTAMP && to->kind == T_TIMESTAMPTZ)
        return false; /* values shift with the session time zone */
    return to->kind == T_TEXT && from->kind != T_ENUM;
}

/* serial <-> bigserial: the sequence's own type moves with the column, or
 * a bigserial would still stop at 2^31 - 1. */
static void retype_sequence(dctx *c, diff_step *p, const m_table *t, const m_column *col,
                            const m_column *oc)
{
    if (!is_serial(col) || !is_serial(oc) || col->type.kind == oc->type.kind)
        return;
    const char *seq = d_q(c, gen_printf(c->a, "%.63s", gen_printf(c->a, "%s_%s_seq", t->name, col->name)));
    const char *to = col->type.kind == T_BIGSERIAL ? "bigint" : "integer";
    const char *from = oc->type.kind == T_BIGSERIAL ? "bigint" : "integer";
    d_push(&p->up, DDL_TABLE, seq, gen_printf(c->a, "ALTER SEQUENCE %s AS %s", seq, to));
    d_push(&p->down, DDL_TABLE, seq, gen_printf(c->a, "ALTER SEQUENCE %s AS %s", seq, from));
}

/* ALTER COLUMN TYPE. The USING clause is written exactly when the change
 * rewrites the table (the lock lint reads it so). A narrowing string change
 * goes through text so that a value too long fails the migration instead
 * of being cut (only an explicit cast to varchar(n) truncates). */
static const char *alter_type(dctx *c, const m_table *t, const char *column, const m_type *from,
                              const m_type *to, const m_schema *to_schema)
{
    const char *sql = alter_type_sql(c, to_schema, to);
    if (binary_coercible(from, to))
        return d_alter(c, t, "ALTER COLUMN %s TYPE %s", column, sql);
    const char *via = is_string(from) && is_string(to) ? (to->array ? "text[]" : "text") : sql;
    if (from->kind == T_ENUM || to->kind == T_ENUM)
        via = gen_printf(c->a, "%s::%s", to->array ? "text[]" : "text", sql);
    return d_alter(c, t, "ALTER COLUMN %s TYPE %s", column,
                 gen_printf(c->a, "%s USING %s::%s", sql, column, via));
}

/* An enum column whose default changes while the type's values change
 * (renamed, added, removed): the old default may spell a value that the
 * type loses, the new one a value it gains. The old default goes before
 * the enum steps (and comes back after them on the way down). */
bool default_crosses_enum_change(dctx *c, const m_column *col, const m_column *oc)
{
    if (col->type.kind != T_ENUM || oc->type.kind != T_ENUM || !oc->default_sql ||
        d_same(col->default_sql, oc->default_sql))
        return false;
    const m_enum *e = m_find_enum(c->n, col->type.enum_name), *oe = e ? old_enum(c, e) : NULL;
    if (!e || !oe || e->values.n != oe->values.n)
        return e && oe;
    for (size_t i = 0; i < e->values.n; i++)
        if (strcmp(e->values.items[i], oe->values.items[i]) != 0)
            return true;
    return false;
}

void drop_enum_defaults(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        for (size_t k = 0; old && k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k], *oc = old_column(old, col);
            if (!oc || !default_crosses_enum_change(c, col, oc))
                continue;
            diff_step *p = d_step(c, gen_printf(c->a, "drop the old default of %s.%s before its enum changes",
                                              t->name, oc->name), false);
            d_push(&p->up, DDL_TABLE, d_q(c, t->name), d_alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", oc->name, ""));
            d_push(&p->down, DDL_TABLE, d_q(c, t->name),
                 d_alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", oc->name, oc->default_sql));
        }
    }
}

/* Type, nullability and default of a column present on both sides. */
static void alter_column(dctx *c, size_t ti, const m_column *col, const m_column *oc)
{
    const m_table *t = &c->n->tables[ti];
    const char *table = d_q(c, t->name);
    gen_arena *a = c->a;
    if (strcmp(oc->name, col->name) != 0) {
        diff_step *p = d_step(c, gen_printf(a, "rename column %s.%s to %s", t->name, oc->name, col->name), false);
        d_push(&p->up, DDL_TABLE, table, d_alter(c, t, "RENAME COLUMN %s TO %s", oc->name, col->name));
        d_push(&p->down, DDL_TABLE, table, d_alter(c, t, "RENAME COLUMN %s TO %s", col->name, oc->name));
        rename_sequences(c, p, t, c->old_of[ti], false);
    }
    if (strcmp(type_key(c, col, false), type_key(c, oc, true)) != 0) {
        bool narrows = !widens(&oc->type, &col->type);
        const char *what = gen_printf(a, "changing the type of column '%s.%s' from %s to %s",
                                      t->name, col->name, type_key(c, oc, true), type_key(c, col, false));
        if (narrows && !destructive_allowed(c, col->type_loc, what))
            return;
        diff_step *p = d_step(c, gen_printf(a, "%s type of %s.%s (%s to %s)", narrows ? "narrow" : "change",
                                          t->name, col->name, type_key(c, oc, true),
                                          type_key(c, col, false)),
                            narrows);
        if (narrows && !backup_column(c, p, t, col->name, col->name))
            return;
        if (oc->default_sql)
            d_push(&p->up, DDL_TABLE, table, d_alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
        d_push(&p->up, DDL_TABLE, table, alter_type(c, t, col->name, &oc->type, &col->type, c->n));
        if (oc->default_sql)
            d_push(&p->up, DDL_TABLE, table,
                 d_alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, oc->default_sql));
        if (oc->default_sql)
            d_push(&p->down, DDL_TABLE, table, d_alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
        d_push(&p->down, DDL_TABLE, table, alter_type(c, t, col->name, &col->type, &oc->type, c->o));
        if (oc->default_sql)
            d_push(&p->down, DDL_TABLE, table,
                 d_alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, oc->default_sql));
        if (narrows)
            restore_column(c, &p->down, t, col->name, gen_printf(a, "b.%s", col->name));
        retype_sequence(c, p, t, col, oc);
    }
    if (col->nullable != oc->nullable) {
        diff_step *p = d_step(c, gen_printf(a, "%s %s.%s", col->nullable ? "allow NULL in" : "forbid NULL in",
                                          t->name, col->name), false);
        d_push(&p->up, DDL_TABLE, table,
             d_alter(c, t, "ALTER COLUMN %s %s NOT NULL", col->name, col->nullable ? "DROP" : "SET"));
        d_push(&p->down, DDL_TABLE, table,
             d_alter(c, t, "ALTER COLUMN %s %s NOT NULL", col->name, col->nullable ? "SET" : "DROP"));
    }
    if (!d_same(col->default_sql, oc->default_sql)) {
        diff_step *p = d_step(c, gen_printf(a, "change default of %s.%s", t->name, col->name), false);
        d_push(&p->up, DDL_TABLE, table,
             col->default_sql ? d_alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, col->default_sql)
                              : d_alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
        bool crosses = default_crosses_enum_change(c, col, oc); /* old one restored later */
        d_push(&p->down, DDL_TABLE, table,
             oc->default_sql && !crosses
                 ? d_alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, oc->default_sql)
                 : d_alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
    }
    if (!d_same(col->generated, oc->generated))
        gen_error(c->d, col->loc,
                  "changing the generation expression of column '%s' is not supported by "
                  "'migrate new'; drop the column in one migration and add it in the next",
                  col->name);
}

void diff_columns(dctx *c, bool drops)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old)
            continue;
        if (drops) {
            for (size_t k = old->ncolumns; k-- > 0;)
                if (!new_column(t, old, &old->columns[k]))
                    drop_column(c, t, &old->columns[k]);
            continue;
        }
        for (size_t k = 0; k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k], *oc = old_column(old, col);
            if (oc)
                alter_column(c, i, col, oc);
            else
                add_column(c, t, col);
        }
    }
}

