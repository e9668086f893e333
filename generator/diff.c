/* old model + new model -> ordered steps with exact inverses (see diff.h).
 *
 * Objects are compared through the statements ddl.c writes for them: two
 * indexes, triggers, foreign keys, views or functions are the same when their
 * CREATE statements are the same text. Tables and columns are matched by
 * name, or through renamed_from. */
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

/* ---- steps ------------------------------------------------------------ */

static diff_step *step(dctx *c, const char *what, bool destructive)
{
    diff_result *r = c->r;
    gen_grow(c->a, (void **)&r->steps, &r->cap, r->n + 1, sizeof *r->steps);
    diff_step *s = &r->steps[r->n++];
    memset(s, 0, sizeof *s);
    ddl_script_init(&s->up, c->a);
    ddl_script_init(&s->down, c->a);
    s->what = what;
    s->destructive = destructive;
    if (destructive)
        r->ndestructive++;
    return s;
}

static void push(ddl_script *d, ddl_kind kind, const char *object, const char *sql)
{
    gen_grow(d->arena, (void **)&d->items, &d->cap, d->n + 1, sizeof *d->items);
    d->items[d->n++] = (ddl_stmt){kind, object, sql};
}

static void append(ddl_script *to, const ddl_script *from)
{
    for (size_t i = 0; i < from->n; i++)
        push(to, from->items[i].kind, from->items[i].object, from->items[i].sql);
}

static bool same(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

static const char *q(dctx *c, const char *name)
{
    return ddl_qualify(c->a, c->n, name);
}

/* ---- safety: refusal and backups ---------------------------------------- */

/* A destructive change goes ahead only with --allow-destructive; without
 * it the error names the object (and the run writes nothing). */
static bool destructive_allowed(dctx *c, gen_loc loc, const char *what)
{
    if (c->opt->allow_destructive || c->opt->coverage_only)
        return true;
    gen_error(c->d, loc,
              "%s destroys data; keep it in the YAML, or pass --allow-destructive to back "
              "the data up in schema schemac_backup and go ahead",
              what);
    return false;
}

static const char *backup_table(dctx *c, const char *table, const char *column)
{
    const char *base = column ? gen_printf(c->a, "r%04d_%s_%s", c->opt->revision, table, column)
                              : gen_printf(c->a, "r%04d_%s", c->opt->revision, table);
    return gen_printf(c->a, "schemac_backup.%.63s", base);
}

/* Copies select_sql into backup and fails the migration unless the copy
 * holds as many rows as source. */
static void backup_rows(dctx *c, diff_step *p, const char *backup, const char *source,
                        const char *select_sql)
{
    gen_arena *a = c->a;
    push(&p->up, DDL_TABLE, "schemac_backup", "CREATE SCHEMA IF NOT EXISTS schemac_backup");
    push(&p->up, DDL_TABLE, backup, gen_printf(a, "CREATE TABLE %s AS %s", backup, select_sql));
    push(&p->up, DDL_TABLE, backup,
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
static bool backup_column(dctx *c, diff_step *p, const m_table *t, const char *column,
                          const char *value)
{
    if (!t->primary_key.n) {
        gen_error(c->d, t->loc, "table '%s' has no primary key, so the values of column '%s' "
                                "cannot be backed up and restored", t->name, column);
        return false;
    }
    const char *table = q(c, t->name), *backup = backup_table(c, t->name, column);
    backup_rows(c, p, backup, table,
                gen_printf(c->a, "SELECT %s%s FROM %s", pk_list(c, t), value, table));
    return true;
}

static void restore_column(dctx *c, ddl_script *down, const m_table *t, const char *column,
                           const char *restore)
{
    const char *table = q(c, t->name), *backup = backup_table(c, t->name, column);
    /* a restore puts rows back as they were: no updated_at trigger runs */
    push(down, DDL_TABLE, table, gen_printf(c->a, "ALTER TABLE %s DISABLE TRIGGER USER", table));
    push(down, DDL_TABLE, table,
         gen_printf(c->a, "UPDATE %s t SET %s = %s FROM %s b WHERE %s AND t.%s IS DISTINCT FROM %s",
                    table, column, restore, backup, pk_join(c, t), column, restore));
    push(down, DDL_TABLE, table, gen_printf(c->a, "ALTER TABLE %s ENABLE TRIGGER USER", table));
    push(down, DDL_TABLE, backup, gen_printf(c->a, "DROP TABLE %s", backup));
}

/* ---- matching --------------------------------------------------------- */

static void match_tables(dctx *c)
{
    c->old_of = gen_alloc(c->a, (c->n->ntables + 1) * sizeof *c->old_of);
    c->new_of = gen_alloc(c->a, (c->o->ntables + 1) * sizeof *c->new_of);
    c->altered = gen_alloc(c->a, (c->n->ntables + 1) * sizeof *c->altered);
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i];
        const m_table *old = m_find_table(c->o, t->name);
        if (!old && t->renamed_from)
            old = m_find_table(c->o, t->renamed_from);
        c->old_of[i] = old;
        if (old)
            c->new_of[old - c->o->tables] = t;
    }
}

static const m_column *old_column(const m_table *old, const m_column *col)
{
    const m_column *oc = m_find_column(old, col->name);
    if (!oc && col->renamed_from)
        oc = m_find_column(old, col->renamed_from);
    return oc;
}

static const m_column *new_column(const m_table *nt, const m_table *old, const m_column *oc)
{
    for (size_t i = 0; i < nt->ncolumns; i++)
        if (old_column(old, &nt->columns[i]) == oc)
            return &nt->columns[i];
    return NULL;
}

/* The new name of an old enum (renamed_from), or its own. */
static const char *enum_new_name(dctx *c, const char *old_name)
{
    for (size_t i = 0; i < c->n->nenums; i++)
        if (c->n->enums[i].renamed_from && strcmp(c->n->enums[i].renamed_from, old_name) == 0 &&
            !m_find_enum(c->o, c->n->enums[i].name))
            return c->n->enums[i].name;
    return old_name;
}

static const m_enum *old_enum(dctx *c, const m_enum *e)
{
    const m_enum *oe = m_find_enum(c->o, e->name);
    if (!oe && e->renamed_from)
        oe = m_find_enum(c->o, e->renamed_from);
    return oe;
}

/* The stored type of a column for comparison, with old enum names mapped to
 * their new names. */
static const char *type_key(dctx *c, const m_column *col, bool old)
{
    if (old && col->type.kind == T_ENUM) {
        m_type t = col->type;
        t.enum_name = enum_new_name(c, t.enum_name);
        return ddl_type_sql(c->a, c->n, &t);
    }
    return ddl_type_sql(c->a, c->n, &col->type);
}

/* ALTER COLUMN TYPE cannot name serial types: they are integers plus a
 * sequence default. */
static const char *alter_type_sql(dctx *c, const m_schema *s, const m_type *t)
{
    m_type u = *t;
    if (u.kind == T_SERIAL)
        u.kind = T_INTEGER;
    if (u.kind == T_BIGSERIAL)
        u.kind = T_BIGINT;
    return ddl_type_sql(c->a, s, &u);
}

static bool enum_recreated(dctx *c, const char *name)
{
    for (size_t i = 0; i < c->nrecreated; i++)
        if (strcmp(c->recreated_enums[i], name) == 0)
            return true;
    return false;
}

/* ---- generic objects: compared by their CREATE text ------------------ */

typedef void (*collect_fn)(dctx *c, const m_schema *s, bool old, ddl_script *out);

static const ddl_stmt *find_stmt(const ddl_script *d, const char *object)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].object, object) == 0)
            return &d->items[i];
    return NULL;
}

typedef struct objset {
    ddl_script old, new_;
    const char **forced;       /* objects rebuilt although their text is equal */
    const char **renamed;      /* old and new names of constraints renamed in place */
    size_t nrenamed, caprenamed;
    size_t nforced, capforced;
} objset;

static bool forced(const objset *s, const char *object)
{
    for (size_t i = 0; i < s->nforced; i++)
        if (strcmp(s->forced[i], object) == 0)
            return true;
    return false;
}

static void force(dctx *c, objset *s, const char *object)
{
    gen_grow(c->a, (void **)&s->forced, &s->capforced, s->nforced + 1, sizeof *s->forced);
    s->forced[s->nforced++] = object;
}

/* The old model with renamed tables under their new names. Objects whose
 * names are stored (indexes, triggers, partitions) follow ALTER TABLE
 * RENAME in the server, so they compare equal through this view; derived
 * constraint names do not follow, so constraints compare on the real one. */
static const m_schema *old_under_new_names(dctx *c)
{
    m_schema *s = gen_alloc(c->a, sizeof *s);
    *s = *c->o;
    s->tables = gen_alloc(c->a, (s->ntables + 1) * sizeof *s->tables);
    for (size_t i = 0; i < s->ntables; i++) {
        s->tables[i] = c->o->tables[i];
        if (c->new_of[i])
            s->tables[i].name = c->new_of[i]->name;
    }
    return s;
}

static void objset_init(dctx *c, objset *s, collect_fn fn, bool follow_renames)
{
    memset(s, 0, sizeof *s);
    ddl_script_init(&s->old, c->a);
    ddl_script_init(&s->new_, c->a);
    fn(c, follow_renames ? old_under_new_names(c) : c->o, true, &s->old);
    fn(c, c->n, false, &s->new_);
}

static bool obj_changed(const objset *s, const ddl_stmt *st, const ddl_script *other)
{
    const ddl_stmt *peer = find_stmt(other, st->object);
    for (size_t i = 0; i < s->nrenamed; i++)
        if (strcmp(s->renamed[i], st->object) == 0)
            return false;
    return !peer || strcmp(peer->sql, st->sql) != 0 || forced(s, st->object);
}

/* "PRIMARY KEY (id)" of "ALTER TABLE t ADD CONSTRAINT name PRIMARY KEY (id)". */
static const char *constraint_definition(const char *sql, const char **name, size_t *name_len)
{
    const char *at = strstr(sql, " ADD CONSTRAINT ");
    if (!at)
        return NULL;
    *name = at + strlen(" ADD CONSTRAINT ");
    *name_len = strcspn(*name, " ");
    return *name + *name_len;
}

/* A renamed table's derived constraint names (pets_pkey) change with it:
 * rename the constraints (their indexes follow) instead of rebuilding. */
static void pair_renamed_constraints(dctx *c, objset *s)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old || strcmp(old->name, t->name) == 0)
            continue;
        const char *oprefix = gen_printf(c->a, "ALTER TABLE %s ADD CONSTRAINT ", ddl_qualify(c->a, c->o, old->name));
        const char *nprefix = gen_printf(c->a, "ALTER TABLE %s ADD CONSTRAINT ", q(c, t->name));
        for (size_t k = 0; k < s->old.n; k++) {
            const ddl_stmt *o = &s->old.items[k];
            const char *oname, *nname;
            size_t olen, nlen;
            if (strncmp(o->sql, oprefix, strlen(oprefix)) != 0 || find_stmt(&s->new_, o->object))
                continue;
            const char *odef = constraint_definition(o->sql, &oname, &olen);
            for (size_t j = 0; odef && j < s->new_.n; j++) {
                const ddl_stmt *n = &s->new_.items[j];
                if (strncmp(n->sql, nprefix, strlen(nprefix)) != 0 || find_stmt(&s->old, n->object))
                    continue;
                const char *ndef = constraint_definition(n->sql, &nname, &nlen);
                if (!ndef || strcmp(ndef, odef) != 0)
                    continue;
                gen_grow(c->a, (void **)&s->renamed, &s->caprenamed, s->nrenamed + 2, sizeof *s->renamed);
                s->renamed[s->nrenamed++] = o->object;
                s->renamed[s->nrenamed++] = n->object;
                break;
            }
        }
    }
}

/* The steps for the pairs above, once the tables carry their new names. */
static void rename_constraints(dctx *c, const objset *s, const char *label)
{
    for (size_t i = 0; i + 1 < s->nrenamed; i += 2) {
        const ddl_stmt *o = find_stmt(&s->old, s->renamed[i]), *n = find_stmt(&s->new_, s->renamed[i + 1]);
        const char *oname = "", *nname = "";
        size_t olen = 0, nlen = 0;
        constraint_definition(o->sql, &oname, &olen);
        constraint_definition(n->sql, &nname, &nlen);
        if (olen == nlen && strncmp(oname, nname, olen) == 0)
            continue; /* an explicit name: the table's rename took it along */
        const char *table = gen_strndup(c->a, n->sql + strlen("ALTER TABLE "),
                                        strcspn(n->sql + strlen("ALTER TABLE "), " "));
        diff_step *p = step(c, gen_printf(c->a, "rename %s %.*s to %.*s", label, (int)olen, oname,
                                          (int)nlen, nname), false);
        push(&p->up, DDL_TABLE, table,
             gen_printf(c->a, "ALTER TABLE %s RENAME CONSTRAINT %.*s TO %.*s", table, (int)olen,
                        oname, (int)nlen, nname));
        push(&p->down, DDL_TABLE, table,
             gen_printf(c->a, "ALTER TABLE %s RENAME CONSTRAINT %.*s TO %.*s", table, (int)nlen,
                        nname, (int)olen, oname));
    }
}

static void drop_changed(dctx *c, const objset *s, const char *label)
{
    for (size_t i = s->old.n; i-- > 0;) {
        const ddl_stmt *st = &s->old.items[i];
        if (!obj_changed(s, st, &s->new_))
            continue;
        diff_step *p = step(c, gen_printf(c->a, "drop %s %s", label, st->object), false);
        push(&p->up, st->kind, st->object, ddl_drop_sql(c->a, st));
        push(&p->down, st->kind, st->object, st->sql);
    }
}

/* The new-side table an "ALTER TABLE t ADD CONSTRAINT" statement names. */
static const m_table *constraint_table(dctx *c, const char *sql, size_t *index)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const char *prefix = gen_printf(c->a, "ALTER TABLE %s ADD CONSTRAINT ", q(c, c->n->tables[i].name));
        if (strncmp(sql, prefix, strlen(prefix)) == 0) {
            *index = i;
            return &c->n->tables[i];
        }
    }
    return NULL;
}

/* A foreign key or check added to a table that has rows: NOT VALID (a
 * brief lock, no scan), then VALIDATE CONSTRAINT, which scans under a lock
 * that lets reads and writes go on. PostgreSQL 15 refuses NOT VALID
 * foreign keys on partitioned tables: those stay one statement (the lint
 * flags them). */
static void add_constraint(dctx *c, diff_step *p, const ddl_stmt *st)
{
    size_t ti = 0;
    const m_table *t = constraint_table(c, st->sql, &ti);
    const char *def = strstr(st->sql, " ADD CONSTRAINT ");
    const char *name = def ? def + strlen(" ADD CONSTRAINT ") : NULL;
    size_t name_len = name ? strcspn(name, " ") : 0;
    bool checkable = name && (strncmp(name + name_len, " FOREIGN KEY (", 14) == 0 ||
                              strncmp(name + name_len, " CHECK (", 8) == 0);
    if (!t || !c->old_of[ti] || !checkable || t->partition) {
        push(&p->up, st->kind, st->object, st->sql);
        return;
    }
    push(&p->up, st->kind, st->object, gen_printf(c->a, "%s NOT VALID", st->sql));
    push(&p->up, st->kind, st->object,
         gen_printf(c->a, "ALTER TABLE %s VALIDATE CONSTRAINT %.*s", q(c, t->name), (int)name_len, name));
}

static void create_changed(dctx *c, const objset *s, const char *label)
{
    for (size_t i = 0; i < s->new_.n; i++) {
        const ddl_stmt *st = &s->new_.items[i];
        if (!obj_changed(s, st, &s->old))
            continue;
        diff_step *p = step(c, gen_printf(c->a, "create %s %s", label, st->object), false);
        add_constraint(c, p, st);
        push(&p->down, st->kind, st->object, ddl_drop_sql(c->a, st));
    }
}

static void collect_fks(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    (void)c, (void)old;
    for (size_t i = 0; i < s->ntables; i++)
        ddl_create_foreign_keys(s, &s->tables[i], out);
}

static void collect_indexes(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    (void)c, (void)old;
    for (size_t i = 0; i < s->ntables; i++)
        for (size_t k = 0; k < s->tables[i].nindexes; k++)
            ddl_create_index(s, s->tables[i].name, &s->tables[i].indexes[k], out);
}

static void collect_triggers(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    (void)c, (void)old;
    for (size_t i = 0; i < s->ntables; i++)
        for (size_t k = 0; k < s->tables[i].ntriggers; k++)
            ddl_create_trigger(s, &s->tables[i], &s->tables[i].triggers[k], out);
}

/* Table constraints as "ALTER TABLE t ADD CONSTRAINT name def" statements,
 * keyed "schema.table.name" like foreign keys. Only tables on both sides:
 * CREATE TABLE and DROP TABLE carry the constraints of the others. */
static void collect_constraints(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    for (size_t i = 0; i < s->ntables; i++) {
        const m_table *t = &s->tables[i];
        if (!(old ? c->new_of[i] != NULL : c->old_of[i] != NULL))
            continue;
        const char *table = ddl_qualify(c->a, s, t->name);
        ddl_constraint *k;
        size_t n = ddl_table_constraints(c->a, t, &k);
        for (size_t j = 0; j < n; j++)
            push(out, DDL_FOREIGN_KEY, gen_printf(c->a, "%s.%s", table, k[j].name),
                 gen_printf(c->a, "ALTER TABLE %s ADD CONSTRAINT %s %s", table, k[j].name,
                            k[j].definition));
    }
}

/* Partitions of tables present on both sides only: new tables bring theirs,
 * dropped tables take theirs along. */
static void collect_partitions(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    for (size_t i = 0; i < s->ntables; i++) {
        bool both = old ? c->new_of[i] != NULL : c->old_of[i] != NULL;
        if (both)
            ddl_create_partitions(s, &s->tables[i], out);
    }
}

/* ---- partitions: matched by their bound ------------------------------- */

/* "PARTITION OF parent FOR VALUES ..." of a CREATE TABLE ... PARTITION OF. */
static const char *bound_of(const ddl_stmt *st)
{
    return strstr(st->sql, " PARTITION OF ");
}

static const ddl_stmt *same_bound(const ddl_script *d, const ddl_stmt *st)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(bound_of(&d->items[i]), bound_of(st)) == 0)
            return &d->items[i];
    return NULL;
}

static const m_table *parent_of(dctx *c, const ddl_stmt *part)
{
    for (size_t i = 0; i < c->n->ntables; i++)
        if (strstr(part->sql, gen_printf(c->a, " PARTITION OF %s ", q(c, c->n->tables[i].name))))
            return &c->n->tables[i];
    return NULL;
}

/* The name PostgreSQL gives a partition's copy of a parent index:
 * <partition>_<columns>_<label> (ChooseRelationName, short names). */
static const char *child_index_name(dctx *c, const char *part, const m_index *ix)
{
    gen_buf b;
    gen_buf_init(&b, c->a);
    gen_buf_printf(&b, "%s_", part);
    for (size_t i = 0; i < ix->ncols; i++)
        gen_buf_printf(&b, "%s_", ix->cols[i].name);
    if (ix->expression)
        gen_buf_puts(&b, "expr_");
    gen_buf_puts(&b, "idx");
    return gen_printf(c->a, "%.63s", b.data);
}

/* Renames a partition and the indexes it inherited, which carry its name. */
static void rename_partition(dctx *c, const ddl_stmt *st, const ddl_stmt *old)
{
    gen_arena *a = c->a;
    const char *to = strrchr(st->object, '.') + 1, *from = strrchr(old->object, '.') + 1;
    diff_step *p = step(c, gen_printf(a, "rename partition %s to %s", from, to), false);
    push(&p->up, DDL_PARTITION, st->object, gen_printf(a, "ALTER TABLE %s RENAME TO %s", old->object, to));
    push(&p->down, DDL_PARTITION, old->object, gen_printf(a, "ALTER TABLE %s RENAME TO %s", st->object, from));
    const m_table *t = parent_of(c, st);
    if (!t)
        return;
    const char *names[2][64];
    size_t n = 0;
    if (t->primary_key.n) {
        names[0][n] = gen_printf(a, "%.63s", gen_printf(a, "%s_pkey", from));
        names[1][n++] = gen_printf(a, "%.63s", gen_printf(a, "%s_pkey", to));
    }
    for (size_t i = 0; i < t->nindexes && n < 64; i++) {
        names[0][n] = child_index_name(c, from, &t->indexes[i]);
        names[1][n++] = child_index_name(c, to, &t->indexes[i]);
    }
    for (size_t i = 0; i < n; i++) {
        push(&p->up, DDL_INDEX, q(c, names[1][i]),
             gen_printf(a, "ALTER INDEX IF EXISTS %s RENAME TO %s", q(c, names[0][i]), names[1][i]));
        push(&p->down, DDL_INDEX, q(c, names[0][i]),
             gen_printf(a, "ALTER INDEX IF EXISTS %s RENAME TO %s", q(c, names[1][i]), names[0][i]));
    }
}

/* A partition whose bound stays keeps its rows: a new name pattern renames
 * it. Bounds that disappear drop their partition and its rows (flagged);
 * new bounds get a partition. drops: the first pass (before columns are
 * dropped), else renames and creations. */
static void diff_partitions(dctx *c, const objset *parts, bool drops)
{
    gen_arena *a = c->a;
    if (drops) {
        for (size_t i = parts->old.n; i-- > 0;) {
            const ddl_stmt *st = &parts->old.items[i];
            if (same_bound(&parts->new_, st))
                continue;
            diff_step *p = step(c, gen_printf(a, "drop partition %s", st->object), true);
            push(&p->up, st->kind, st->object, ddl_drop_sql(a, st));
            push(&p->down, st->kind, st->object, st->sql);
        }
        return;
    }
    for (size_t i = 0; i < parts->new_.n; i++) {
        const ddl_stmt *st = &parts->new_.items[i], *old = same_bound(&parts->old, st);
        if (old && strcmp(old->object, st->object) == 0)
            continue;
        if (old) {
            rename_partition(c, st, old);
            continue;
        }
        diff_step *p = step(c, gen_printf(a, "create partition %s", st->object), false);
        push(&p->up, st->kind, st->object, st->sql);
        push(&p->down, st->kind, st->object, ddl_drop_sql(a, st));
    }
}

/* ---- views: rebuilt when their text or anything they read changes ----- */

static bool table_altered(dctx *c, const char *name)
{
    for (size_t i = 0; i < c->n->ntables; i++)
        if (strcmp(c->n->tables[i].name, name) == 0)
            return c->altered[i];
    for (size_t i = 0; i < c->o->ntables; i++)
        if (strcmp(c->o->tables[i].name, name) == 0)
            return !c->new_of[i] || c->new_of[i] != m_find_table(c->n, name);
    return false;
}

static const char *view_sql(dctx *c, const m_schema *s, const m_view *w)
{
    ddl_script d;
    ddl_script_init(&d, c->a);
    ddl_create_view(s, w, &d);
    gen_buf b;
    gen_buf_init(&b, c->a);
    for (size_t i = 0; i < d.n; i++)
        gen_buf_printf(&b, "%s;\n", d.items[i].sql);
    return b.data; /* comments alone are a COMMENT, not a rebuild */
}

/* rebuild[name] for old and new views: a fixed point over depends_on. */
static bool *views_to_rebuild(dctx *c, bool **old_rebuild)
{
    bool *nr = gen_alloc(c->a, (c->n->nviews + 1) * sizeof *nr);
    bool *orb = gen_alloc(c->a, (c->o->nviews + 1) * sizeof *orb);
    for (size_t i = 0; i < c->n->nviews; i++) {
        const m_view *w = &c->n->views[i];
        const m_view *ow = m_find_view(c->o, w->name);
        nr[i] = !ow || strcmp(view_sql(c, c->n, w), view_sql(c, c->o, ow)) != 0;
        for (size_t k = 0; k < w->depends_on.n; k++)
            nr[i] = nr[i] || table_altered(c, w->depends_on.items[k]);
    }
    for (size_t i = 0; i < c->o->nviews; i++) {
        const m_view *w = &c->o->views[i];
        const m_view *nw = m_find_view(c->n, w->name);
        orb[i] = !nw || nr[nw - c->n->views];
        for (size_t k = 0; k < w->depends_on.n; k++)
            orb[i] = orb[i] || table_altered(c, w->depends_on.items[k]);
    }
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < c->n->nviews; i++) {
            const m_view *w = &c->n->views[i];
            const m_view *ow = m_find_view(c->o, w->name);
            bool want = nr[i] || (ow && orb[ow - c->o->views]);
            for (size_t k = 0; k < w->depends_on.n; k++) {
                const m_view *dep = m_find_view(c->n, w->depends_on.items[k]);
                want = want || (dep && nr[dep - c->n->views]);
            }
            if (want && !nr[i])
                nr[i] = grew = true;
        }
        for (size_t i = 0; i < c->o->nviews; i++) {
            const m_view *w = &c->o->views[i];
            const m_view *nw = m_find_view(c->n, w->name);
            bool want = orb[i] || (nw && nr[nw - c->n->views]);
            for (size_t k = 0; k < w->depends_on.n; k++) {
                const m_view *dep = m_find_view(c->o, w->depends_on.items[k]);
                want = want || (dep && orb[dep - c->o->views]);
            }
            if (want && !orb[i])
                orb[i] = grew = true;
        }
    }
    *old_rebuild = orb;
    return nr;
}

static void view_create_stmts(const m_schema *s, const m_view *w, ddl_script *out)
{
    ddl_create_view(s, w, out);
    if (w->comment)
        ddl_comment(out, w->materialized ? "MATERIALIZED VIEW" : "VIEW",
                    ddl_qualify(out->arena, s, w->name), w->comment);
}

static void view_drop_stmt(gen_arena *a, const m_schema *s, const m_view *w, ddl_script *out)
{
    const char *name = ddl_qualify(a, s, w->name);
    push(out, DDL_VIEW, name,
         gen_printf(a, "DROP %sVIEW %s", w->materialized ? "MATERIALIZED " : "", name));
}

static void drop_views(dctx *c, const bool *orb)
{
    for (size_t i = c->o->nviews; i-- > 0;) {
        if (!orb[i])
            continue;
        const m_view *w = &c->o->views[i];
        diff_step *p = step(c, gen_printf(c->a, "drop view %s", w->name), false);
        view_drop_stmt(c->a, c->o, w, &p->up);
        view_create_stmts(c->o, w, &p->down);
    }
}

static void create_views(dctx *c, const bool *nr)
{
    for (size_t i = 0; i < c->n->nviews; i++) {
        if (!nr[i])
            continue;
        const m_view *w = &c->n->views[i];
        diff_step *p = step(c, gen_printf(c->a, "create view %s", w->name), false);
        view_create_stmts(c->n, w, &p->up);
        view_drop_stmt(c->a, c->n, w, &p->down);
    }
}

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
    const char *name = q(c, to->name);
    const char *tmp = gen_printf(a, "%.55s_old", to->name);
    push(out, DDL_ENUM, name, gen_printf(a, "ALTER TYPE %s RENAME TO %s", name, tmp));
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
                push(out, DDL_TABLE, table, gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", table, col->name));
            push(out, DDL_TABLE, table,
                 gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s TYPE %s%s USING %s", table,
                            col->name, name, arr, enum_using(c, col, name, map)));
            if (col->default_sql)
                push(out, DDL_TABLE, table,
                     gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", table,
                                col->name, col->default_sql));
        }
    }
    push(out, DDL_ENUM, name, gen_printf(a, "DROP TYPE %s", ddl_qualify(a, c->n, tmp)));
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
    const char *name = q(c, e->name);
    for (size_t r = 0; r < e->nrenamed; r++) {
        const char *to = e->renamed_new[r], *from = e->renamed_old[r];
        if (!has_value(&cur, from) || has_value(&cur, to))
            continue;
        for (size_t i = 0; i < cur.n; i++)
            if (strcmp(cur.items[i], from) == 0)
                cur.items[i] = to;
        diff_step *p = step(c, gen_printf(c->a, "rename value '%s' of enum %s to '%s'", from,
                                          e->name, to), false);
        push(&p->up, DDL_ENUM, name, gen_printf(c->a, "ALTER TYPE %s RENAME VALUE %s TO %s", name,
                                                ddl_literal(c->a, from), ddl_literal(c->a, to)));
        push(&p->down, DDL_ENUM, name, gen_printf(c->a, "ALTER TYPE %s RENAME VALUE %s TO %s", name,
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
    diff_step *p = step(c, gen_printf(a, "add values to enum %s", e->name), false);
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
        push(&p->up, DDL_ENUM, start_name,
             gen_printf(a, "ALTER TYPE %s ADD VALUE IF NOT EXISTS %s%s", start_name,
                        ddl_literal(a, v), where));
    }
    diff_step *back_step =
        step(c, gen_printf(a, "on down only: rebuild enum %s without its new values", e->name), false);
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
    diff_step *p = step(c, gen_printf(a, "rebuild enum %s (%s)", e->name,
                                      missing ? "values removed, rows mapped by 'removed'"
                                              : "values reordered"),
                        missing > 0);
    ddl_script restore;
    ddl_script_init(&restore, a);
    const char *type = q(c, e->name);
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
    append(&p->down, &restore);
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

static void create_enums(dctx *c)
{
    for (size_t i = 0; i < c->n->nenums; i++) {
        const m_enum *e = &c->n->enums[i];
        const m_enum *oe = old_enum(c, e);
        if (oe && strcmp(oe->name, e->name) != 0) {
            diff_step *p = step(c, gen_printf(c->a, "rename enum %s to %s", oe->name, e->name), false);
            push(&p->up, DDL_ENUM, q(c, e->name),
                 gen_printf(c->a, "ALTER TYPE %s RENAME TO %s", q(c, oe->name), e->name));
            push(&p->down, DDL_ENUM, q(c, e->name),
                 gen_printf(c->a, "ALTER TYPE %s RENAME TO %s", q(c, e->name), oe->name));
        }
        if (oe) {
            diff_enum_values(c, e, oe);
            continue;
        }
        diff_step *p = step(c, gen_printf(c->a, "create enum %s", e->name), false);
        ddl_create_enum(c->n, e, &p->up);
        if (e->comment)
            ddl_comment(&p->up, "TYPE", q(c, e->name), e->comment);
        push(&p->down, DDL_ENUM, q(c, e->name), gen_printf(c->a, "DROP TYPE %s", q(c, e->name)));
    }
}

static void drop_enums(dctx *c)
{
    for (size_t i = c->o->nenums; i-- > 0;) {
        const m_enum *oe = &c->o->enums[i];
        bool kept = m_find_enum(c->n, enum_new_name(c, oe->name)) != NULL;
        if (kept)
            continue;
        diff_step *p = step(c, gen_printf(c->a, "drop enum %s", oe->name), false);
        const char *name = ddl_qualify(c->a, c->o, oe->name);
        push(&p->up, DDL_ENUM, name, gen_printf(c->a, "DROP TYPE %s", name));
        ddl_create_enum(c->o, oe, &p->down);
        if (oe->comment)
            ddl_comment(&p->down, "TYPE", name, oe->comment);
    }
}

/* ---- functions ---------------------------------------------------------- */

static const char *function_sql(dctx *c, const m_schema *s, const m_function *f)
{
    ddl_script d;
    ddl_script_init(&d, c->a);
    ddl_create_function(s, f, &d);
    return d.items[0].sql;
}

static const char *or_replace(dctx *c, const char *create_sql)
{
    return gen_printf(c->a, "CREATE OR REPLACE %s", create_sql + strlen("CREATE "));
}

static const m_function *function_by_signature(dctx *c, const m_schema *s, const char *sig,
                                               const m_schema *sig_schema)
{
    for (size_t i = 0; i < s->nfunctions; i++)
        if (strcmp(ddl_function_signature(c->a, sig_schema, &s->functions[i]), sig) == 0)
            return &s->functions[i];
    return NULL;
}

/* Same signature and result: CREATE OR REPLACE both ways. */
static void create_functions(dctx *c)
{
    for (size_t i = 0; i < c->n->nfunctions; i++) {
        const m_function *f = &c->n->functions[i];
        const char *sig = ddl_function_signature(c->a, c->n, f);
        const m_function *of = function_by_signature(c, c->o, sig, c->n);
        const char *sql = function_sql(c, c->n, f);
        if (of && strcmp(of->returns, f->returns) == 0) {
            const char *old_sql = function_sql(c, c->n, of);
            if (strcmp(old_sql, sql) == 0)
                continue;
            diff_step *p = step(c, gen_printf(c->a, "replace function %s", sig), false);
            push(&p->up, DDL_FUNCTION, sig, or_replace(c, sql));
            push(&p->down, DDL_FUNCTION, sig, or_replace(c, old_sql));
            continue;
        }
        diff_step *p = step(c, gen_printf(c->a, "create function %s", sig), false);
        push(&p->up, DDL_FUNCTION, sig, sql);
        if (f->comment)
            ddl_comment(&p->up, "FUNCTION", sig, f->comment);
        push(&p->down, DDL_FUNCTION, sig, gen_printf(c->a, "DROP FUNCTION %s", sig));
    }
}

/* Old functions whose signature or result is gone; they go after the
 * triggers that call them. A changed result needs DROP + CREATE, which the
 * create pass above already wrote for the new one: drop the old first. */
static void drop_functions(dctx *c, bool result_changed_only)
{
    for (size_t i = c->o->nfunctions; i-- > 0;) {
        const m_function *of = &c->o->functions[i];
        const char *sig = ddl_function_signature(c->a, c->n, of);
        const m_function *f = function_by_signature(c, c->n, sig, c->n);
        bool result_changed = f && strcmp(of->returns, f->returns) != 0;
        if (f && !result_changed)
            continue;
        if (result_changed != result_changed_only)
            continue;
        diff_step *p = step(c, gen_printf(c->a, "drop function %s", sig), false);
        push(&p->up, DDL_FUNCTION, sig, gen_printf(c->a, "DROP FUNCTION %s", sig));
        push(&p->down, DDL_FUNCTION, sig, function_sql(c, c->n, of));
        if (of->comment)
            ddl_comment(&p->down, "FUNCTION", sig, of->comment);
    }
}

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
        push(&p->up, DDL_TABLE, q(c, to), gen_printf(c->a, "ALTER SEQUENCE %s RENAME TO %s", q(c, from), to));
        push(&p->down, DDL_TABLE, q(c, from), gen_printf(c->a, "ALTER SEQUENCE %s RENAME TO %s", q(c, to), from));
    }
}

static void rename_tables(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old || strcmp(old->name, t->name) == 0)
            continue;
        c->altered[i] = true;
        diff_step *p = step(c, gen_printf(c->a, "rename table %s to %s", old->name, t->name), false);
        push(&p->up, DDL_TABLE, q(c, t->name),
             gen_printf(c->a, "ALTER TABLE %s RENAME TO %s", q(c, old->name), t->name));
        push(&p->down, DDL_TABLE, q(c, t->name),
             gen_printf(c->a, "ALTER TABLE %s RENAME TO %s", q(c, t->name), old->name));
        /* the down runs the step's statements in order: rename the sequences
         * back before the table, so put the table rename last there */
        diff_step *seq = step(c, gen_printf(c->a, "rename sequences of %s", t->name), false);
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

static void create_tables(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i];
        if (c->old_of[i])
            continue;
        diff_step *p = step(c, gen_printf(c->a, "create table %s", t->name), false);
        table_create_stmts(c->n, t, &p->up);
        push(&p->down, DDL_TABLE, q(c, t->name), gen_printf(c->a, "DROP TABLE %s", q(c, t->name)));
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
    push(down, DDL_TABLE, name,
         gen_printf(c->a, "INSERT INTO %s (%s) SELECT %s FROM %s", name, cols.data, values.data, backup));
    for (size_t k = 0; k < t->ncolumns; k++)
        if (is_serial(&t->columns[k]))
            push(down, DDL_TABLE, name,
                 gen_printf(c->a, "SELECT setval(pg_get_serial_sequence('%s', '%s'), max(%s)) FROM %s",
                            name, t->columns[k].name, t->columns[k].name, name));
    push(down, DDL_TABLE, backup, gen_printf(c->a, "DROP TABLE %s", backup));
}

static void drop_tables(dctx *c)
{
    for (size_t i = c->o->ntables; i-- > 0;) {
        const m_table *t = &c->o->tables[i];
        if (c->new_of[i])
            continue;
        const char *name = ddl_qualify(c->a, c->o, t->name);
        if (!destructive_allowed(c, (gen_loc){c->n->file, 0, 0},
                                 gen_printf(c->a, "dropping table '%s'", t->name)))
            continue;
        diff_step *p = step(c, gen_printf(c->a, "drop table %s", t->name), true);
        const char *backup = backup_table(c, t->name, NULL);
        backup_rows(c, p, backup, name, backup_select(c, t, name));
        push(&p->up, DDL_TABLE, name, gen_printf(c->a, "DROP TABLE %s", name));
        table_create_stmts(c->o, t, &p->down);
        restore_table(c, &p->down, t, name, backup);
    }
}

static const char *alter(dctx *c, const m_table *t, const char *fmt, const char *a1,
                         const char *a2)
{
    return gen_printf(c->a, "ALTER TABLE %s %s", q(c, t->name), gen_printf(c->a, fmt, a1, a2));
}

static void add_column(dctx *c, const m_table *t, const m_column *col)
{
    const char *table = q(c, t->name);
    if (!col->nullable && !col->default_sql && !col->backfill && !col->generated && !is_serial(col) &&
        !c->opt->coverage_only)
        gen_error(c->d, col->loc,
                  "column '%s.%s' is added NOT NULL to a table that may have rows, with no "
                  "value for them: give it a 'default', a 'backfill' expression, or 'nullable: true'",
                  t->name, col->name);
    diff_step *p = step(c, gen_printf(c->a, "add column %s.%s", t->name, col->name), false);
    if (col->backfill && !col->nullable) {
        m_column loose = *col;
        loose.nullable = true;
        push(&p->up, DDL_TABLE, table,
             alter(c, t, "ADD COLUMN %s%s", ddl_column_definition(c->a, c->n, &loose), ""));
        /* a backfill fills the new column only: no updated_at trigger runs */
        push(&p->up, DDL_TABLE, table, gen_printf(c->a, "ALTER TABLE %s DISABLE TRIGGER USER", table));
        push(&p->up, DDL_TABLE, table,
             gen_printf(c->a, "UPDATE %s SET %s = %s", table, col->name, col->backfill));
        push(&p->up, DDL_TABLE, table, gen_printf(c->a, "ALTER TABLE %s ENABLE TRIGGER USER", table));
        push(&p->up, DDL_TABLE, table, alter(c, t, "ALTER COLUMN %s SET NOT NULL%s", col->name, ""));
    } else {
        push(&p->up, DDL_TABLE, table,
             alter(c, t, "ADD COLUMN %s%s", ddl_column_definition(c->a, c->n, col), ""));
    }
    if (col->comment)
        ddl_comment(&p->up, "COLUMN", gen_printf(c->a, "%s.%s", table, col->name), col->comment);
    push(&p->down, DDL_TABLE, table, alter(c, t, "DROP COLUMN %s%s", col->name, ""));
}

static void drop_column(dctx *c, const m_table *nt, const m_column *oc)
{
    const char *table = q(c, nt->name);
    if (!destructive_allowed(c, nt->loc, gen_printf(c->a, "dropping column '%s.%s'", nt->name, oc->name)))
        return;
    diff_step *p = step(c, gen_printf(c->a, "drop column %s.%s", nt->name, oc->name), true);
    bool en = oc->type.kind == T_ENUM;
    if (!backup_column(c, p, nt, oc->name,
                       en ? gen_printf(c->a, "%s::text%s AS %s", oc->name, oc->type.array ? "[]" : "", oc->name)
                          : oc->name))
        return;
    push(&p->up, DDL_TABLE, table, alter(c, nt, "DROP COLUMN %s%s", oc->name, ""));
    /* added back without NOT NULL, filled from the backup, then tightened */
    m_column loose = *oc;
    loose.nullable = true;
    push(&p->down, DDL_TABLE, table,
         alter(c, nt, "ADD COLUMN %s%s", ddl_column_definition(c->a, c->o, &loose), ""));
    if (oc->comment)
        ddl_comment(&p->down, "COLUMN", gen_printf(c->a, "%s.%s", table, oc->name), oc->comment);
    restore_column(c, &p->down, nt, oc->name,
                   en ? gen_printf(c->a, "b.%s::%s", oc->name, ddl_type_sql(c->a, c->o, &oc->type))
                      : gen_printf(c->a, "b.%s", oc->name));
    if (!oc->nullable)
        push(&p->down, DDL_TABLE, table, alter(c, nt, "ALTER COLUMN %s SET NOT NULL%s", oc->name, ""));
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

/* ALTER COLUMN TYPE. The USING clause is written exactly when the change
 * rewrites the table (the lock lint reads it so). A narrowing string change
 * goes through text so that a value too long fails the migration instead
 * of being cut (only an explicit cast to varchar(n) truncates). */
static const char *alter_type(dctx *c, const m_table *t, const char *column, const m_type *from,
                              const m_type *to, const m_schema *to_schema)
{
    const char *sql = alter_type_sql(c, to_schema, to);
    if (binary_coercible(from, to))
        return alter(c, t, "ALTER COLUMN %s TYPE %s", column, sql);
    const char *via = is_string(from) && is_string(to) ? (to->array ? "text[]" : "text") : sql;
    if (from->kind == T_ENUM || to->kind == T_ENUM)
        via = gen_printf(c->a, "%s::%s", to->array ? "text[]" : "text", sql);
    return alter(c, t, "ALTER COLUMN %s TYPE %s", column,
                 gen_printf(c->a, "%s USING %s::%s", sql, column, via));
}

/* An enum column whose default changes while the type's values change
 * (renamed, added, removed): the old default may spell a value that the
 * type loses, the new one a value it gains. The old default goes before
 * the enum steps (and comes back after them on the way down). */
static bool default_crosses_enum_change(dctx *c, const m_column *col, const m_column *oc)
{
    if (col->type.kind != T_ENUM || oc->type.kind != T_ENUM || !oc->default_sql ||
        same(col->default_sql, oc->default_sql))
        return false;
    const m_enum *e = m_find_enum(c->n, col->type.enum_name), *oe = e ? old_enum(c, e) : NULL;
    if (!e || !oe || e->values.n != oe->values.n)
        return e && oe;
    for (size_t i = 0; i < e->values.n; i++)
        if (strcmp(e->values.items[i], oe->values.items[i]) != 0)
            return true;
    return false;
}

static void drop_enum_defaults(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        for (size_t k = 0; old && k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k], *oc = old_column(old, col);
            if (!oc || !default_crosses_enum_change(c, col, oc))
                continue;
            diff_step *p = step(c, gen_printf(c->a, "drop the old default of %s.%s before its enum changes",
                                              t->name, oc->name), false);
            push(&p->up, DDL_TABLE, q(c, t->name), alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", oc->name, ""));
            push(&p->down, DDL_TABLE, q(c, t->name),
                 alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", oc->name, oc->default_sql));
        }
    }
}

/* Type, nullability and default of a column present on both sides. */
static void alter_column(dctx *c, size_t ti, const m_column *col, const m_column *oc)
{
    const m_table *t = &c->n->tables[ti];
    const char *table = q(c, t->name);
    gen_arena *a = c->a;
    if (strcmp(oc->name, col->name) != 0) {
        c->altered[ti] = true;
        diff_step *p = step(c, gen_printf(a, "rename column %s.%s to %s", t->name, oc->name, col->name), false);
        push(&p->up, DDL_TABLE, table, alter(c, t, "RENAME COLUMN %s TO %s", oc->name, col->name));
        push(&p->down, DDL_TABLE, table, alter(c, t, "RENAME COLUMN %s TO %s", col->name, oc->name));
        rename_sequences(c, p, t, c->old_of[ti], false);
    }
    if (strcmp(type_key(c, col, false), type_key(c, oc, true)) != 0) {
        c->altered[ti] = true;
        bool narrows = !widens(&oc->type, &col->type);
        const char *what = gen_printf(a, "changing the type of column '%s.%s' from %s to %s",
                                      t->name, col->name, type_key(c, oc, true), type_key(c, col, false));
        if (narrows && !destructive_allowed(c, col->type_loc, what))
            return;
        diff_step *p = step(c, gen_printf(a, "%s type of %s.%s (%s to %s)", narrows ? "narrow" : "change",
                                          t->name, col->name, type_key(c, oc, true),
                                          type_key(c, col, false)),
                            narrows);
        if (narrows && !backup_column(c, p, t, col->name, col->name))
            return;
        if (oc->default_sql)
            push(&p->up, DDL_TABLE, table, alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
        push(&p->up, DDL_TABLE, table, alter_type(c, t, col->name, &oc->type, &col->type, c->n));
        if (oc->default_sql)
            push(&p->up, DDL_TABLE, table,
                 alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, oc->default_sql));
        if (oc->default_sql)
            push(&p->down, DDL_TABLE, table, alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
        push(&p->down, DDL_TABLE, table, alter_type(c, t, col->name, &col->type, &oc->type, c->o));
        if (oc->default_sql)
            push(&p->down, DDL_TABLE, table,
                 alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, oc->default_sql));
        if (narrows)
            restore_column(c, &p->down, t, col->name, gen_printf(a, "b.%s", col->name));
    }
    if (col->nullable != oc->nullable) {
        diff_step *p = step(c, gen_printf(a, "%s %s.%s", col->nullable ? "allow NULL in" : "forbid NULL in",
                                          t->name, col->name), false);
        push(&p->up, DDL_TABLE, table,
             alter(c, t, "ALTER COLUMN %s %s NOT NULL", col->name, col->nullable ? "DROP" : "SET"));
        push(&p->down, DDL_TABLE, table,
             alter(c, t, "ALTER COLUMN %s %s NOT NULL", col->name, col->nullable ? "SET" : "DROP"));
    }
    if (!same(col->default_sql, oc->default_sql)) {
        diff_step *p = step(c, gen_printf(a, "change default of %s.%s", t->name, col->name), false);
        push(&p->up, DDL_TABLE, table,
             col->default_sql ? alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, col->default_sql)
                              : alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
        bool crosses = default_crosses_enum_change(c, col, oc); /* old one restored later */
        push(&p->down, DDL_TABLE, table,
             oc->default_sql && !crosses
                 ? alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, oc->default_sql)
                 : alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
    }
    if (!same(col->generated, oc->generated))
        gen_error(c->d, col->loc,
                  "changing the generation expression of column '%s' is not supported by "
                  "'migrate new'; drop the column in one migration and add it in the next",
                  col->name);
}

static void diff_columns(dctx *c, bool drops)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old)
            continue;
        if (drops) {
            for (size_t k = old->ncolumns; k-- > 0;)
                if (!new_column(t, old, &old->columns[k])) {
                    c->altered[i] = true;
                    drop_column(c, t, &old->columns[k]);
                }
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

/* Columns dropped or retyped change what views read: mark before views. */
static void mark_altered_tables(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old) {
            c->altered[i] = true;
            continue;
        }
        if (strcmp(old->name, t->name) != 0)
            c->altered[i] = true;
        for (size_t k = 0; k < old->ncolumns; k++)
            if (!new_column(t, old, &old->columns[k]))
                c->altered[i] = true;
        for (size_t k = 0; k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k], *oc = old_column(old, col);
            if (oc && (strcmp(oc->name, col->name) != 0 ||
                       strcmp(type_key(c, col, false), type_key(c, oc, true)) != 0))
                c->altered[i] = true;
        }
    }
}

/* ---- renames the YAML does not state -------------------------------------- */

static int by_string(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The sorted column types of a table: two tables with the same key may be
 * one table renamed. */
static const char *table_shape(dctx *c, const m_table *t, bool old)
{
    const char **types = gen_alloc(c->a, (t->ncolumns + 1) * sizeof *types);
    for (size_t k = 0; k < t->ncolumns; k++)
        types[k] = type_key(c, &t->columns[k], old);
    qsort(types, t->ncolumns, sizeof *types, by_string);
    gen_buf b;
    gen_buf_init(&b, c->a);
    for (size_t k = 0; k < t->ncolumns; k++)
        gen_buf_printf(&b, "%s,", types[k]);
    return b.data;
}

/* A drop and an add of the same type look like a rename: never guess,
 * ask (renamed_from or --allow-destructive). */
static void check_ambiguous_renames(dctx *c)
{
    if (c->opt->allow_destructive || c->opt->coverage_only)
        return;
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old) {
            for (size_t j = 0; j < c->o->ntables; j++)
                if (!c->new_of[j] &&
                    strcmp(table_shape(c, t, false), table_shape(c, &c->o->tables[j], true)) == 0)
                    gen_error(c->d, t->loc,
                              "table '%s' is added and table '%s' with the same column types is "
                              "dropped: if it is a rename, say 'renamed_from: %s' on '%s'; if it "
                              "is a drop and an add, pass --allow-destructive",
                              t->name, c->o->tables[j].name, c->o->tables[j].name, t->name);
            continue;
        }
        for (size_t k = 0; k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k];
            if (old_column(old, col))
                continue;
            for (size_t j = 0; j < old->ncolumns; j++) {
                const m_column *oc = &old->columns[j];
                if (!new_column(t, old, oc) &&
                    strcmp(type_key(c, col, false), type_key(c, oc, true)) == 0)
                    gen_error(c->d, col->loc,
                              "column '%s.%s' is added and column '%s' of the same type (%s) is "
                              "dropped: if it is a rename, say 'renamed_from: %s' on '%s'; if it "
                              "is a drop and an add, pass --allow-destructive",
                              t->name, col->name, oc->name, type_key(c, col, false), oc->name,
                              col->name);
            }
        }
    }
}

static void check_partitioning(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old)
            continue;
        const m_partition *p = t->partition, *op = old->partition;
        if (!p && !op)
            continue;
        if (!p || !op || p->by != op->by || strcmp(p->key, op->key) != 0)
            gen_error(c->d, t->loc,
                      "changing whether or how table '%s' is partitioned (by, key) is not "
                      "supported by 'migrate new'; create a new table and move the rows",
                      t->name);
        else if (p->by == PART_HASH && p->count != op->count)
            gen_error(c->d, p->loc,
                      "changing the count of hash partitions of table '%s' (%d to %d) moves "
                      "every row to another partition, which 'migrate new' does not do; create "
                      "a new table and move the rows",
                      t->name, op->count, p->count);
    }
}

/* ---- comments on objects present on both sides ------------------------- */

static void comment_step(dctx *c, const char *what, const char *object, const char *now,
                         const char *before)
{
    if (same(now, before))
        return;
    diff_step *p = step(c, gen_printf(c->a, "comment on %s %s", what, object), false);
    ddl_comment(&p->up, what, object, now);
    ddl_comment(&p->down, what, object, before);
}

static void diff_comments(dctx *c, const bool *view_rebuilt)
{
    for (size_t i = 0; i < c->n->nenums; i++) {
        const m_enum *e = &c->n->enums[i], *oe = old_enum(c, e);
        if (oe)
            comment_step(c, "TYPE", q(c, e->name), e->comment, oe->comment);
    }
    for (size_t i = 0; i < c->n->nfunctions; i++) {
        const m_function *f = &c->n->functions[i];
        const char *sig = ddl_function_signature(c->a, c->n, f);
        const m_function *of = function_by_signature(c, c->o, sig, c->n);
        if (of && strcmp(of->returns, f->returns) == 0)
            comment_step(c, "FUNCTION", sig, f->comment, of->comment);
    }
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old)
            continue;
        comment_step(c, "TABLE", q(c, t->name), t->comment, old->comment);
        for (size_t k = 0; k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k], *oc = old_column(old, col);
            if (oc)
                comment_step(c, "COLUMN", gen_printf(c->a, "%s.%s", q(c, t->name), col->name),
                             col->comment, oc->comment);
        }
    }
    for (size_t i = 0; i < c->n->nviews; i++) {
        const m_view *w = &c->n->views[i], *ow = m_find_view(c->o, w->name);
        if (ow && !view_rebuilt[i])
            comment_step(c, w->materialized ? "MATERIALIZED VIEW" : "VIEW", q(c, w->name),
                         w->comment, ow->comment);
    }
}

/* ---- forcing dependants to be rebuilt ------------------------------------- */

/* Foreign keys into a table whose key constraint is rebuilt must go first. */
static void force_fks_into(dctx *c, objset *fks, const objset *keys)
{
    for (size_t i = 0; i < keys->old.n; i++) {
        const ddl_stmt *k = &keys->old.items[i];
        if (!obj_changed(keys, k, &keys->new_))
            continue;
        const char *table = gen_strndup(c->a, k->object, (size_t)(strrchr(k->object, '.') - k->object));
        const char *needle = gen_printf(c->a, "REFERENCES %s (", table);
        for (size_t j = 0; j < fks->old.n; j++)
            if (strstr(fks->old.items[j].sql, needle))
                force(c, fks, fks->old.items[j].object);
    }
}

/* Partial and expression indexes spell enum literals with the type: when
 * the type is rebuilt under them they must be rebuilt too. */
static void force_enum_indexes(dctx *c, objset *ix)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i];
        bool uses = false;
        for (size_t k = 0; k < t->ncolumns; k++)
            uses = uses || (t->columns[k].type.kind == T_ENUM &&
                            enum_recreated(c, t->columns[k].type.enum_name));
        for (size_t k = 0; uses && k < t->nindexes; k++)
            if (t->indexes[k].where || t->indexes[k].expression)
                force(c, ix, q(c, t->indexes[k].name));
    }
}

/* CHECK constraints spelling enum literals, on tables whose enum is rebuilt
 * under them: re-parsed against the old type they would fail. */
static void force_enum_checks(dctx *c, objset *keys)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i];
        bool uses = false;
        for (size_t k = 0; k < t->ncolumns; k++)
            uses = uses || (t->columns[k].type.kind == T_ENUM &&
                            enum_recreated(c, t->columns[k].type.enum_name));
        const char *prefix = gen_printf(c->a, "%s.", q(c, t->name));
        for (size_t k = 0; uses && k < keys->new_.n; k++) {
            const ddl_stmt *st = &keys->new_.items[k];
            if (strncmp(st->object, prefix, strlen(prefix)) == 0 && strstr(st->sql, " CHECK (") &&
                strchr(st->sql, '\''))
                force(c, keys, st->object);
        }
    }
}

/* Steps that commit on their own (ADD VALUE) go first, in their order. */
static void hoist_own_transactions(dctx *c)
{
    diff_result *r = c->r;
    diff_step *sorted = gen_alloc(c->a, (r->n + 1) * sizeof *sorted);
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->n; i++)
            if (r->steps[i].own_transaction == (pass == 0))
                sorted[n++] = r->steps[i];
    if (r->n)
        memcpy(r->steps, sorted, r->n * sizeof *sorted);
}

/* Triggers whose function is dropped and created again. */
static void force_function_triggers(dctx *c, objset *tr)
{
    for (size_t i = 0; i < c->n->ntables; i++)
        for (size_t k = 0; k < c->n->tables[i].ntriggers; k++) {
            const m_trigger *t = &c->n->tables[i].triggers[k];
            const m_function *f = m_find_function(c->n, t->function);
            const m_function *of = m_find_function(c->o, t->function);
            if (f && of && strcmp(f->returns, of->returns) != 0)
                force(c, tr, gen_printf(c->a, "%s ON %s", t->name, q(c, c->n->tables[i].name)));
        }
}

/* Indexes created on a live table with concurrently: true (ERRATA 9): no
 * transaction, and on a partitioned table ON ONLY the parent, each
 * partition concurrently, then ATTACH. Indexes of new tables are built with
 * the (empty) table as usual. */
static void concurrent_indexes(dctx *c)
{
    for (size_t s = 0; s < c->r->n; s++) {
        diff_step *p = &c->r->steps[s];
        if (p->up.n != 1 || p->up.items[0].kind != DDL_INDEX || strncmp(p->what, "create ", 7) != 0)
            continue;
        const m_index *found = NULL;
        const m_table *owner = NULL;
        for (size_t i = 0; i < c->n->ntables && !found; i++)
            for (size_t k = 0; k < c->n->tables[i].nindexes; k++)
                if (strcmp(q(c, c->n->tables[i].indexes[k].name), p->up.items[0].object) == 0 &&
                    c->n->tables[i].indexes[k].concurrently && c->old_of[i]) {
                    found = &c->n->tables[i].indexes[k];
                    owner = &c->n->tables[i];
                }
        if (!found)
            continue;
        const char *sql = p->up.items[0].sql, *object = p->up.items[0].object;
        const char *rest = strstr(sql, "INDEX ") + 6;
        const char *head = gen_strndup(c->a, sql, (size_t)(rest - sql));
        c->r->transactional = false;
        c->r->nontransactional_reason = "CREATE INDEX CONCURRENTLY cannot run in a transaction";
        p->up.n = 0;
        if (!owner->partition) {
            push(&p->up, DDL_INDEX, object, gen_printf(c->a, "%sCONCURRENTLY %s", head, rest));
            continue;
        }
        const char *on = gen_printf(c->a, " ON %s", q(c, owner->name));
        const char *after_on = strstr(rest, on) + strlen(on);
        push(&p->up, DDL_INDEX, object,
             gen_printf(c->a, "%s%.*s ON ONLY %s%s", head, (int)(strstr(rest, on) - rest), rest,
                        q(c, owner->name), after_on));
        ddl_script parts;
        ddl_script_init(&parts, c->a);
        ddl_create_partitions(c->n, owner, &parts);
        for (size_t i = 0; i < parts.n; i++) {
            /* named as PostgreSQL names the copy of a parent index, so the
             * result equals a database created from scratch */
            const char *part = parts.items[i].object;
            const char *pname = child_index_name(c, strrchr(part, '.') + 1, found);
            push(&p->up, DDL_INDEX, q(c, pname),
                 gen_printf(c->a, "%sCONCURRENTLY %s ON %s%s", head, pname, part, after_on));
            push(&p->up, DDL_INDEX, object,
                 gen_printf(c->a, "ALTER INDEX %s ATTACH PARTITION %s", object, q(c, pname)));
        }
    }
}

/* ---- the whole diff ------------------------------------------------------- */

static void initial(dctx *c)
{
    const m_schema *s = c->n;
    size_t parts = 0, indexes = 0, triggers = 0;
    for (size_t i = 0; i < s->ntables; i++) {
        const m_partition *p = s->tables[i].partition;
        parts += p ? (p->by == PART_RANGE ? p->nranges + (p->default_name != NULL) : (size_t)p->count) : 0;
        indexes += s->tables[i].nindexes;
        triggers += s->tables[i].ntriggers;
    }
    diff_step *p = step(c, gen_printf(c->a, "create schema %s: %zu enums, %zu functions, %zu tables "
                                            "(%zu partitions), %zu indexes, %zu triggers, %zu views",
                                      s->name, s->nenums, s->nfunctions, s->ntables, parts,
                                      indexes, triggers, s->nviews),
                        false);
    ddl_create_all(s, &p->up);
    /* already in down order: flattening reverses steps, not the
     * statements inside one step */
    ddl_drop_all(s, &p->down);
}

int diff_schemas(const m_schema *old_schema, const m_schema *new_schema,
                 const diff_options *o, gen_arena *a, gen_diag *d, diff_result *out)
{
    memset(out, 0, sizeof *out);
    out->arena = a;
    out->transactional = true;
    int errors = d->errors;
    dctx c = {a, d, old_schema, new_schema, out, NULL, NULL, NULL, NULL, 0, 0, o};
    if (!old_schema) {
        initial(&c);
        return 0;
    }
    if (strcmp(old_schema->name, new_schema->name) != 0) {
        gen_error(d, (gen_loc){new_schema->file, 0, 0},
                  "renaming the schema ('%s' to '%s') is not supported by 'migrate new'",
                  old_schema->name, new_schema->name);
        return -1;
    }
    match_tables(&c);
    check_ambiguous_renames(&c);
    check_partitioning(&c);
    mark_altered_tables(&c);

    /* enums rebuilt under their columns alter those tables: decide first */
    size_t before = out->n;
    create_enums(&c);
    diff_step *enum_steps = gen_alloc(a, (out->n - before + 1) * sizeof *enum_steps);
    size_t nenum_steps = out->n - before;
    if (nenum_steps)
        memcpy(enum_steps, out->steps + before, nenum_steps * sizeof *enum_steps);
    out->n = before;
    out->ndestructive = 0;
    for (size_t i = 0; i < nenum_steps; i++)
        out->ndestructive += enum_steps[i].destructive;

    objset fks, ix, tr, keys, parts;
    objset_init(&c, &fks, collect_fks, false);
    objset_init(&c, &ix, collect_indexes, true);
    objset_init(&c, &tr, collect_triggers, true);
    objset_init(&c, &keys, collect_constraints, false);
    objset_init(&c, &parts, collect_partitions, true);
    pair_renamed_constraints(&c, &keys);
    pair_renamed_constraints(&c, &fks);
    force_fks_into(&c, &fks, &keys);
    force_enum_indexes(&c, &ix);
    force_enum_checks(&c, &keys);
    force_function_triggers(&c, &tr);
    bool *orb, *nr = views_to_rebuild(&c, &orb);

    /* Constraints and foreign keys are dropped under the old table names,
     * triggers under the new ones (they compare through renames). */
    drop_views(&c, orb);
    drop_changed(&c, &fks, "foreign key");
    drop_changed(&c, &ix, "index");
    drop_changed(&c, &keys, "constraint");
    rename_tables(&c);
    rename_constraints(&c, &keys, "constraint");
    rename_constraints(&c, &fks, "foreign key");
    drop_changed(&c, &tr, "trigger");
    drop_functions(&c, true);
    drop_enum_defaults(&c);
    for (size_t i = 0; i < nenum_steps; i++) {
        gen_grow(a, (void **)&out->steps, &out->cap, out->n + 1, sizeof *out->steps);
        out->steps[out->n++] = enum_steps[i];
    }
    create_functions(&c);
    create_tables(&c);
    diff_columns(&c, false);
    diff_partitions(&c, &parts, true);
    diff_columns(&c, true);
    drop_tables(&c);
    drop_functions(&c, false);
    drop_enums(&c);
    diff_partitions(&c, &parts, false);
    create_changed(&c, &keys, "constraint");
    create_changed(&c, &ix, "index");
    create_changed(&c, &fks, "foreign key");
    create_changed(&c, &tr, "trigger");
    concurrent_indexes(&c);
    create_views(&c, nr);
    diff_comments(&c, nr);
    hoist_own_transactions(&c);
    return d->errors == errors ? 0 : -1;
}

void diff_flatten(const diff_result *r, ddl_script *up, ddl_script *down)
{
    for (size_t i = 0; i < r->n; i++)
        append(up, &r->steps[i].up);
    for (size_t i = r->n; i-- > 0;)
        append(down, &r->steps[i].down);
}
