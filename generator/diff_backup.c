/* Destructive steps: refused without --allow-destructive; with it, the data
 * is copied to schemac_backup first and the down restores it. */
#include "diff_internal.h"

/* ---- safety: refusal and backups ---------------------------------------- */

/* A destructive change goes ahead only with --allow-destructive; without
 * it the error names the object (and the run writes nothing). */
bool destructive_allowed(dctx *c, gen_loc loc, const char *what)
{
    if (c->opt->allow_destructive || c->opt->coverage_only)
        return true;
    gen_error(c->d, loc,
              "%s destroys data; keep it in the YAML, or pass --allow-destructive to back "
              "the data up in schema schemac_backup and go ahead",
              what);
    return false;
}

const char *backup_table(dctx *c, const char *table, const char *column)
{
    const char *base = column ? gen_printf(c->a, "r%04d_%s_%s", c->opt->revision, table, column)
                              : gen_printf(c->a, "r%04d_%s", c->opt->revision, table);
    return gen_printf(c->a, "schemac_backup.%.63s", base);
}

/* Copies select_sql into backup and fails the migration unless the copy
 * holds as many rows as source. */
void backup_rows(dctx *c, diff_step *p, const char *backup, const char *source,
                        const char *select_sql)
{
    gen_arena *a = c->a;
    d_push(&p->up, DDL_TABLE, "schemac_backup", "CREATE SCHEMA IF NOT EXISTS schemac_backup");
    d_push(&p->up, DDL_TABLE, backup, gen_printf(a, "CREATE TABLE %s AS %s", backup, select_sql));
    d_push(&p->up, DDL_TABLE, backup,
         gen_printf(a, "DO $verify$ BEGIN\n"
                       "  IF (SELECT count(*) FROM %s) <> (SELECT count(*) FROM %s) THEN\n"
                       "    RAISE EXCEPTION 'backup %s is incomplete';\n"
                       "  END IF;\n"
                       "END $verify$",
                    backup, source, backup));
}

/* "t.a = b.a AND t.b = b.b" over the primary key of t. */
static const char *pk_join(dctx *c, const m_table *t)
{
    gen_buf b;
    gen_buf_init(&b, c->a);
    for (size_t i = 0; i < t->primary_key.n; i++)
        gen_buf_printf(&b, "%st.%s = b.%s", i ? " AND " : "", t->primary_key.items[i],
                       t->primary_key.items[i]);
    return b.data;
}

static const char *pk_list(dctx *c, const m_table *t)
{
    gen_buf b;
    gen_buf_init(&b, c->a);
    for (size_t i = 0; i < t->primary_key.n; i++)
        gen_buf_printf(&b, "%s, ", t->primary_key.items[i]);
    return b.data;
}

/* Backs up (primary key, value) of one column before a step changes it;
 * the down, after undoing the change, writes the saved values back. value
 * is the column as saved (e.g. "status::text AS status"), restore the
 * saved value as stored again (e.g. "b.status::schema.type"). */
bool backup_column(dctx *c, diff_step *p, const m_table *t, const char *column,
                          const char *value)
{
    if (!t->primary_key.n) {
        gen_error(c->d, t->loc, "table '%s' has no primary key, so the values of column '%s' "
                                "cannot be backed up and restored", t->name, column);
        return false;
    }
    const char *table = d_q(c, t->name), *backup = backup_table(c, t->name, column);
    backup_rows(c, p, backup, table,
                gen_printf(c->a, "SELECT %s%s FROM %s", pk_list(c, t), value, table));
    return true;
}

/* Rows are compared as text: json, xml, point and many extension types
 * have no equality operator, and every type has a text form. */
void restore_column(dctx *c, ddl_script *down, const m_table *t, const char *column,
                           const char *restore)
{
    const char *table = d_q(c, t->name), *backup = backup_table(c, t->name, column);
    /* a restore puts rows back as they were: no updated_at trigger runs */
    d_push(down, DDL_TABLE, table, gen_printf(c->a, "ALTER TABLE %s DISABLE TRIGGER USER", table));
    d_push(down, DDL_TABLE, table,
         gen_printf(c->a, "UPDATE %s t SET %s = %s FROM %s b WHERE %s AND "
                          "t.%s::text IS DISTINCT FROM (%s)::text",
                    table, column, restore, backup, pk_join(c, t), column, restore));
    d_push(down, DDL_TABLE, table, gen_printf(c->a, "ALTER TABLE %s ENABLE TRIGGER USER", table));
    drop_backup(c, down, backup);
}

/* The backup is gone once restored; the schema goes with the last one, so
 * that a down leaves the database as the migration found it. */
void drop_backup(dctx *c, ddl_script *down, const char *backup)
{
    d_push(down, DDL_TABLE, backup, gen_printf(c->a, "DROP TABLE %s", backup));
    d_push(down, DDL_TABLE, "schemac_backup",
           "DO $empty$ BEGIN\n"
           "  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'schemac_backup'::regnamespace) THEN\n"
           "    DROP SCHEMA schemac_backup;\n"
           "  END IF;\n"
           "END $empty$");
}
