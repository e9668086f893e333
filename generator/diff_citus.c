/* Citus distribution in migrations: one guarded DO block per migration that
 * makes tables reference or distributed tables, after the tables and their
 * constraints exist. On plain PostgreSQL the block sees no citus extension
 * and does nothing, so one YAML and one migration chain serve both.
 *
 * Citus 12.1 refuses to distribute a table whose foreign keys point at a
 * table it does not manage yet, and turning a table into a reference table
 * drags every table linked to it by foreign keys into its metadata (which
 * fails on partitioned tables with CHECKs; ../shared/pg-extensions/README).
 * So the block takes the foreign keys touching the tables off, distributes
 * (reference tables first, then each colocation group from its first
 * table), and puts the same keys back, by name, from their own definitions. */
#include "diff_internal.h"

static bool in_citus(const m_table *t)
{
    return t && (t->reference || t->dist_column);
}

static bool same_distribution(const m_table *a, const m_table *b)
{
    return a && b && a->reference == b->reference && d_same(a->dist_column, b->dist_column) &&
           d_same(a->colocate_with, b->colocate_with);
}

/* Tables that change into Citus tables in this migration, in the order
 * Citus needs: reference tables, then distributed tables after the table
 * they are colocated with. */
static size_t tables_to_distribute(dctx *c, const m_table **out)
{
    const m_schema *s = c->n;
    size_t n = 0;
    bool *done = gen_alloc(c->a, (s->ntables + 1) * sizeof *done);
    for (size_t i = 0; i < s->ntables; i++) {
        const m_table *t = &s->tables[i], *old = c->o ? m_find_table(c->o, t->name) : NULL;
        if (old && in_citus(old) && !same_distribution(t, old)) {
            gen_error(c->d, t->dist_column ? t->dist_loc : t->loc,
                      "table '%s' is already a %s table: migrate new does not change or undo a "
                      "distribution (undistribute_table by hand, then a migration)", t->name,
                      old->reference ? "reference" : "distributed");
            done[i] = true;
        } else if (!in_citus(t) || (old && same_distribution(t, old)))
            done[i] = true;
        else if (t->reference)
            out[n++] = t, done[i] = true;
    }
    for (bool progress = true; progress;) {
        progress = false;
        for (size_t i = 0; i < s->ntables; i++) {
            const m_table *t = &s->tables[i];
            if (done[i])
                continue;
            const m_table *with = t->colocate_with ? m_find_table(s, t->colocate_with) : NULL;
            if (with && !done[with - s->tables])
                continue;
            out[n++] = t, done[i] = progress = true;
        }
    }
    return n;
}

static const char *regclass_array(dctx *c, const m_table **tables, size_t n)
{
    gen_buf b;
    gen_buf_init(&b, c->a);
    gen_buf_puts(&b, "ARRAY[");
    for (size_t i = 0; i < n; i++)
        gen_buf_printf(&b, "%s'%s'", i ? ", " : "", d_q(c, tables[i]->name));
    gen_buf_puts(&b, "]::regclass[]");
    return b.data;
}

static void distribute_call(dctx *c, gen_buf *b, const m_table *t)
{
    if (t->reference) {
        gen_buf_printf(b, "    PERFORM create_reference_table('%s');\n", d_q(c, t->name));
        return;
    }
    gen_buf_printf(b, "    PERFORM create_distributed_table('%s', '%s'", d_q(c, t->name),
                   t->dist_column);
    if (t->colocate_with)
        gen_buf_printf(b, ", colocate_with => '%s'", d_q(c, t->colocate_with));
    gen_buf_puts(b, ");\n");
}

static const char *distribute_block(dctx *c, const m_table **tables, size_t n)
{
    const char *set = regclass_array(c, tables, n);
    gen_buf b;
    gen_buf_init(&b, c->a);
    gen_buf_printf(&b,
        "-- Citus: reference and distributed tables, only where the citus extension is\n"
        "-- installed (plain PostgreSQL skips the block). Foreign keys touching the\n"
        "-- tables come off first and go back, by name, once the tables are distributed.\n"
        "DO $citus$\n"
        "DECLARE\n"
        "    fk record;\n"
        "    saved text[] := '{}';\n"
        "    stmt text;\n"
        "BEGIN\n"
        "    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN\n"
        "        RETURN;\n"
        "    END IF;\n"
        "    -- The schema's triggers touch only their own row's shard.\n"
        "    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);\n"
        "    -- One connection per worker inside this transaction: the keys put back\n"
        "    -- below see the shards created above.\n"
        "    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);\n"
        "    FOR fk IN\n"
        "        SELECT k.conrelid::regclass AS tbl, k.conname, pg_get_constraintdef(k.oid) AS def\n"
        "        FROM pg_constraint k\n"
        "        WHERE k.contype = 'f' AND k.conparentid = 0\n"
        "          AND (k.conrelid = ANY (%s)\n"
        "               OR k.confrelid = ANY (%s))\n"
        "        ORDER BY k.conrelid::regclass::text, k.conname\n"
        "    LOOP\n"
        "        EXECUTE format('ALTER TABLE %%s DROP CONSTRAINT %%I', fk.tbl, fk.conname);\n"
        "        saved := saved || format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', fk.tbl, fk.conname, fk.def);\n"
        "    END LOOP;\n",
        set, set);
    for (size_t i = 0; i < n; i++)
        distribute_call(c, &b, tables[i]);
    gen_buf_puts(&b,
        "    FOREACH stmt IN ARRAY saved LOOP\n"
        "        EXECUTE stmt;\n"
        "    END LOOP;\n"
        "END\n"
        "$citus$");
    return b.data;
}

/* The down of tables that existed before: back to local tables. Tables
 * this migration creates are dropped by its down, distributed or not. */
static const char *undistribute_block(dctx *c, const m_table **tables, size_t n)
{
    gen_buf b;
    gen_buf_init(&b, c->a);
    gen_buf_puts(&b,
        "-- Citus: the tables distributed by this migration become local again.\n"
        "DO $citus$\n"
        "BEGIN\n"
        "    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN\n"
        "        RETURN;\n"
        "    END IF;\n");
    size_t kept = 0;
    for (size_t i = n; i-- > 0;) {
        if (!c->o || !m_find_table(c->o, tables[i]->name))
            continue;
        gen_buf_printf(&b, "    PERFORM undistribute_table('%s', cascade_via_foreign_keys => true);\n",
                       d_q(c, tables[i]->name));
        kept++;
    }
    gen_buf_puts(&b, "END\n$citus$");
    return kept ? b.data : NULL;
}

void diff_distribution(dctx *c)
{
    const m_table **tables = gen_alloc(c->a, (c->n->ntables + 1) * sizeof *tables);
    size_t n = tables_to_distribute(c, tables);
    if (!n)
        return;
    gen_buf what;
    gen_buf_init(&what, c->a);
    gen_buf_puts(&what, "distribute on Citus (when installed):");
    for (size_t i = 0; i < n; i++)
        gen_buf_printf(&what, "%s %s%s", i ? "," : "", tables[i]->name,
                       tables[i]->reference ? " (reference)" : "");
    diff_step *p = d_step(c, what.data, false);
    d_push(&p->up, DDL_TABLE, tables[0]->name, distribute_block(c, tables, n));
    const char *down = undistribute_block(c, tables, n);
    if (down)
        d_push(&p->down, DDL_TABLE, tables[0]->name, down);
}

/* schema.sql creates everything at once, so it ends with the same block for
 * every Citus table: a database made from it (the generated suites') is
 * distributed like one migrated from scratch. */
void diff_citus_script(gen_arena *a, const m_schema *s, ddl_script *out)
{
    dctx c = {.a = a, .n = s};
    const m_table **tables = gen_alloc(a, (s->ntables + 1) * sizeof *tables);
    size_t n = tables_to_distribute(&c, tables);
    if (n)
        d_push(out, DDL_TABLE, tables[0]->name, distribute_block(&c, tables, n));
}
