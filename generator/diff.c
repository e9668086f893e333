/* old model + new model -> ordered steps with exact inverses (see diff.h).
 *
 * Objects are compared through the statements ddl.c writes for them: two
 * indexes, triggers, foreign keys, views or functions are the same when their
 * CREATE statements are the same text. Tables and columns are matched by
 * name, or through renamed_from. */
#include "diff.h"

#include <stdio.h>
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
    return !peer || strcmp(peer->sql, st->sql) != 0 || forced(s, st->object);
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

static void create_changed(dctx *c, const objset *s, const char *label)
{
    for (size_t i = 0; i < s->new_.n; i++) {
        const ddl_stmt *st = &s->new_.items[i];
        if (!obj_changed(s, st, &s->old))
            continue;
        diff_step *p = step(c, gen_printf(c->a, "create %s %s", label, st->object), false);
        push(&p->up, st->kind, st->object, st->sql);
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
static void enum_rebuild(dctx *c, const m_schema *cols_schema, const m_enum *to, ddl_script *out)
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
            if (col->type.kind != T_ENUM || strcmp(col->type.enum_name, to->name) != 0)
                continue;
            const char *table = ddl_qualify(a, cols_schema, t->name);
            const char *arr = col->type.array ? "[]" : "";
            if (col->default_sql)
                push(out, DDL_TABLE, table, gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", table, col->name));
            push(out, DDL_TABLE, table,
                 gen_printf(a, "ALTER TABLE %s ALTER COLUMN %s TYPE %s%s USING %s::text%s::%s%s",
                            table, col->name, name, arr, col->name, arr, name, arr));
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

/* Same length, same order, and every difference is a value that is new in
 * its place with the old one gone: read as renames (ALTER TYPE ... RENAME
 * VALUE keeps the rows), which a reviewer sees in the change list. Anything
 * else with a missing value rebuilds the type. */
static bool renames_values(dctx *c, const m_enum *e, const m_enum *oe)
{
    if (e->values.n != oe->values.n)
        return false;
    for (size_t i = 0; i < e->values.n; i++) {
        const char *v = e->values.items[i], *ov = oe->values.items[i];
        if (strcmp(v, ov) != 0 && (has_value(&oe->values, v) || has_value(&e->values, ov)))
            return false;
    }
    const char *name = q(c, e->name);
    for (size_t i = 0; i < e->values.n; i++) {
        const char *v = e->values.items[i], *ov = oe->values.items[i];
        if (strcmp(v, ov) == 0)
            continue;
        diff_step *p = step(c, gen_printf(c->a, "rename value '%s' of enum %s to '%s'", ov,
                                          e->name, v), false);
        push(&p->up, DDL_ENUM, name, gen_printf(c->a, "ALTER TYPE %s RENAME VALUE %s TO %s", name,
                                                ddl_literal(c->a, ov), ddl_literal(c->a, v)));
        push(&p->down, DDL_ENUM, name, gen_printf(c->a, "ALTER TYPE %s RENAME VALUE %s TO %s", name,
                                                  ddl_literal(c->a, v), ddl_literal(c->a, ov)));
    }
    mark_enum_tables(c, e->name); /* literals in views and partial indexes change */
    return true;
}

/* The tables and enums that exist on both sides must agree on every enum
 * column, so the rebuild runs only over columns present in both. */
static void diff_enum_values(dctx *c, const m_enum *e, const m_enum *oe)
{
    gen_arena *a = c->a;
    bool equal = e->values.n == oe->values.n && is_subsequence(&oe->values, &e->values);
    if (equal)
        return;
    const char *name = q(c, e->name);
    if (is_subsequence(&oe->values, &e->values)) {
        diff_step *p = step(c, gen_printf(a, "add values to enum %s", e->name), false);
        for (size_t i = 0; i < e->values.n; i++) {
            const char *v = e->values.items[i];
            if (has_value(&oe->values, v))
                continue;
            const char *where = i + 1 < e->values.n
                                    ? gen_printf(a, " BEFORE %s", ddl_literal(a, e->values.items[i + 1]))
                                    : "";
            /* a later value may be new too: anchor on the previous one then */
            if (i > 0)
                where = gen_printf(a, " AFTER %s", ddl_literal(a, e->values.items[i - 1]));
            push(&p->up, DDL_ENUM, name,
                 gen_printf(a, "ALTER TYPE %s ADD VALUE %s%s", name, ddl_literal(a, v), where));
        }
        m_enum back = *oe;
        back.name = e->name;
        enum_rebuild(c, c->o, &back, &p->down);
        note_enum_rebuilt(c, e->name); /* the down rebuilds it */
        return;
    }
    if (renames_values(c, e, oe))
        return;
    bool removes = false;
    for (size_t i = 0; i < oe->values.n; i++)
        removes = removes || !has_value(&e->values, oe->values.items[i]);
    diff_step *p = step(c, gen_printf(a, "rebuild enum %s", e->name), removes);
    enum_rebuild(c, c->n, e, &p->up);
    m_enum back = *oe;
    back.name = e->name;
    enum_rebuild(c, c->o, &back, &p->down);
    note_enum_rebuilt(c, e->name);
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

static void drop_tables(dctx *c)
{
    for (size_t i = c->o->ntables; i-- > 0;) {
        const m_table *t = &c->o->tables[i];
        if (c->new_of[i])
            continue;
        const char *name = ddl_qualify(c->a, c->o, t->name);
        diff_step *p = step(c, gen_printf(c->a, "drop table %s", t->name), true);
        push(&p->up, DDL_TABLE, name, gen_printf(c->a, "DROP TABLE %s", name));
        table_create_stmts(c->o, t, &p->down);
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
    diff_step *p = step(c, gen_printf(c->a, "add column %s.%s", t->name, col->name), false);
    if (col->backfill && !col->nullable) {
        m_column loose = *col;
        loose.nullable = true;
        push(&p->up, DDL_TABLE, table,
             alter(c, t, "ADD COLUMN %s%s", ddl_column_definition(c->a, c->n, &loose), ""));
        push(&p->up, DDL_TABLE, table,
             gen_printf(c->a, "UPDATE %s SET %s = %s", table, col->name, col->backfill));
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
    diff_step *p = step(c, gen_printf(c->a, "drop column %s.%s", nt->name, oc->name), true);
    push(&p->up, DDL_TABLE, table, alter(c, nt, "DROP COLUMN %s%s", oc->name, ""));
    push(&p->down, DDL_TABLE, table,
         alter(c, nt, "ADD COLUMN %s%s", ddl_column_definition(c->a, c->o, oc), ""));
    if (oc->comment)
        ddl_comment(&p->down, "COLUMN", gen_printf(c->a, "%s.%s", table, oc->name), oc->comment);
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
        const char *nt = alter_type_sql(c, c->n, &col->type), *ot = alter_type_sql(c, c->o, &oc->type);
        diff_step *p = step(c, gen_printf(a, "change type of %s.%s", t->name, col->name), false);
        if (oc->default_sql)
            push(&p->up, DDL_TABLE, table, alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
        push(&p->up, DDL_TABLE, table,
             alter(c, t, "ALTER COLUMN %s TYPE %s", col->name,
                   gen_printf(a, "%s USING %s::%s", nt, col->name, nt)));
        if (oc->default_sql)
            push(&p->up, DDL_TABLE, table,
                 alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, oc->default_sql));
        if (oc->default_sql)
            push(&p->down, DDL_TABLE, table, alter(c, t, "ALTER COLUMN %s DROP DEFAULT%s", col->name, ""));
        push(&p->down, DDL_TABLE, table,
             alter(c, t, "ALTER COLUMN %s TYPE %s", col->name,
                   gen_printf(a, "%s USING %s::%s", ot, col->name, ot)));
        if (oc->default_sql)
            push(&p->down, DDL_TABLE, table,
                 alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, oc->default_sql));
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
        push(&p->down, DDL_TABLE, table,
             oc->default_sql ? alter(c, t, "ALTER COLUMN %s SET DEFAULT %s", col->name, oc->default_sql)
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

/* ALTER TYPE ... ADD VALUE commits before the value can be used (ERRATA):
 * when a later statement of the same migration spells a new value, the
 * migration runs statement by statement instead of in one transaction. */
static void check_new_value_use(dctx *c)
{
    diff_result *r = c->r;
    for (size_t s = 0; s < r->n; s++)
        for (size_t i = 0; i < r->steps[s].up.n; i++) {
            const char *sql = r->steps[s].up.items[i].sql;
            const char *add = strstr(sql, " ADD VALUE '");
            if (!add || strncmp(sql, "ALTER TYPE ", 11) != 0)
                continue;
            const char *lit = add + 11;
            const char *literal = gen_strndup(c->a, lit, (size_t)(strchr(lit + 1, '\'') + 1 - lit));
            for (size_t t = s + 1; t < r->n; t++)
                for (size_t k = 0; k < r->steps[t].up.n; k++)
                    if (strstr(r->steps[t].up.items[k].sql, literal) && r->transactional) {
                        r->transactional = false;
                        r->nontransactional_reason = gen_printf(
                            c->a, "enum value %s is added and used in the same migration",
                            literal);
                    }
        }
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

int diff_schemas(const m_schema *old_schema, const m_schema *new_schema, gen_arena *a,
                 gen_diag *d, diff_result *out)
{
    memset(out, 0, sizeof *out);
    out->arena = a;
    out->transactional = true;
    int errors = d->errors;
    dctx c = {a, d, old_schema, new_schema, out, NULL, NULL, NULL, NULL, 0, 0};
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
    drop_changed(&c, &tr, "trigger");
    drop_functions(&c, true);
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
    check_new_value_use(&c);
    return d->errors == errors ? 0 : -1;
}

void diff_flatten(const diff_result *r, ddl_script *up, ddl_script *down)
{
    for (size_t i = 0; i < r->n; i++)
        append(up, &r->steps[i].up);
    for (size_t i = r->n; i-- > 0;)
        append(down, &r->steps[i].down);
}
