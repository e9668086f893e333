/* What must step aside while an enum type is rebuilt under a column.
 *
 * ALTER COLUMN ... TYPE refuses a column used by a view or by a trigger's
 * UPDATE OF / WHEN, and re-parses partial indexes, expression indexes and
 * CHECK constraints against the new type, where a literal of the old type
 * no longer compares. Exactly those objects that read the column are
 * dropped before the move and created again after it, inside the rebuild
 * (so a down that rebuilds the type does it, and an up that only adds a
 * value touches nothing). Objects this migration rebuilds anyway are
 * absent at that point and left to their own steps. */
#include "diff_internal.h"

#include "sqlscan.h"

/* True when sql names ident outside literals and comments. */
bool sql_mentions(gen_arena *a, const char *sql, const char *ident)
{
    sql_scan s;
    if (!sql || !sql_tokenize(a, sql, &s))
        return sql != NULL; /* unreadable: assume it does */
    for (size_t i = 0; i < s.n; i++)
        if (s.toks[i].kind == TK_IDENT && strcmp(s.toks[i].text, ident) == 0)
            return true;
    return false;
}

/* True when sql selects * (count(*) aside): it reads every column. */
bool sql_selects_star(gen_arena *a, const char *sql)
{
    sql_scan s;
    if (!sql || !sql_tokenize(a, sql, &s))
        return sql != NULL;
    for (size_t i = 0; i < s.n; i++)
        if (strcmp(s.toks[i].text, "*") == 0 &&
            !(i > 0 && strcmp(s.toks[i - 1].text, "(") == 0))
            return true;
    return false;
}

static bool has_name(const m_names *v, const char *x)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->items[i], x) == 0)
            return true;
    return false;
}

static bool queued(const ddl_script *d, const char *object)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].object, object) == 0)
            return true;
    return false;
}

/* Queues st (kept unchanged by this migration) to be dropped and created. */
static void step_aside(dctx *c, enum_deps *d, const ddl_stmt *st)
{
    if (queued(&d->create, st->object))
        return;
    d_push(&d->drop, st->kind, st->object, ddl_drop_sql(c->a, st));
    d_push(&d->create, st->kind, st->object, st->sql);
}

static void index_deps(dctx *c, const m_table *nt, const char *column, enum_deps *d)
{
    for (size_t k = 0; k < nt->nindexes; k++) {
        const m_index *ix = &nt->indexes[k];
        if (!sql_mentions(c->a, ix->where, column) && !sql_mentions(c->a, ix->expression, column))
            continue;
        ddl_script s;
        ddl_script_init(&s, c->a);
        ddl_create_index(c->n, nt->name, ix, &s);
        for (size_t i = 0; i < s.n; i++)
            if (obj_kept(c->ix, &s.items[i]))
                step_aside(c, d, &s.items[i]);
    }
}

static void trigger_deps(dctx *c, const m_table *nt, const char *column, enum_deps *d)
{
    for (size_t k = 0; k < nt->ntriggers; k++) {
        const m_trigger *tr = &nt->triggers[k];
        if (!has_name(&tr->columns, column) && !sql_mentions(c->a, tr->when, column))
            continue;
        ddl_script s;
        ddl_script_init(&s, c->a);
        ddl_create_trigger(c->n, nt, tr, &s);
        for (size_t i = 0; i < s.n; i++)
            if (obj_kept(c->tr, &s.items[i]))
                step_aside(c, d, &s.items[i]);
    }
}

/* CHECK constraints spelling a literal next to the column. */
static void check_deps(dctx *c, const m_table *nt, const char *column, enum_deps *d)
{
    ddl_script s;
    ddl_script_init(&s, c->a);
    collect_table_constraints(c, c->n, nt, &s);
    for (size_t i = 0; i < s.n; i++) {
        const char *def = strstr(s.items[i].sql, " CHECK (");
        if (def && strchr(def, '\'') && sql_mentions(c->a, def, column) &&
            obj_kept(c->keys, &s.items[i]))
            step_aside(c, d, &s.items[i]);
    }
}

static bool view_reads(dctx *c, const m_view *w, const char *table, const char *column)
{
    return has_name(&w->depends_on, table) &&
           (sql_mentions(c->a, w->sql, column) || sql_selects_star(c->a, w->sql));
}

/* Views kept by this migration that read the column, and the kept views
 * over those; dropped last-first, created first-last (YAML order is
 * dependency order). */
static void view_deps(dctx *c, const char *old_table, const char *column, enum_deps *d)
{
    const m_schema *o = c->o;
    bool *hit = gen_alloc(c->a, (o->nviews + 1) * sizeof *hit);
    for (size_t i = 0; i < o->nviews; i++) {
        const m_view *w = &o->views[i];
        if (c->view_orb[i])
            continue;
        hit[i] = view_reads(c, w, old_table, column);
        for (size_t k = 0; k < i && !hit[i]; k++)
            hit[i] = hit[k] && has_name(&w->depends_on, o->views[k].name);
    }
    for (size_t i = o->nviews; i-- > 0;)
        if (hit[i] && !queued(&d->create, d_q(c, o->views[i].name)))
            view_drop_stmt(c->a, o, &o->views[i], &d->view_drop);
    for (size_t i = 0; i < o->nviews; i++)
        if (hit[i] && !queued(&d->create, d_q(c, o->views[i].name)))
            view_create_stmts(c->n, m_find_view(c->n, o->views[i].name), &d->create);
}

void enum_deps_init(dctx *c, enum_deps *d)
{
    ddl_script_init(&d->view_drop, c->a);
    ddl_script_init(&d->drop, c->a);
    ddl_script_init(&d->create, c->a);
}

void enum_deps_collect(dctx *c, size_t old_table, const m_column *oc, enum_deps *d)
{
    const m_table *ot = &c->o->tables[old_table], *nt = c->new_of[old_table];
    view_deps(c, ot->name, oc->name, d);
    if (!nt) /* dropped by this migration: its indexes and triggers are gone by now */
        return;
    index_deps(c, nt, oc->name, d);
    trigger_deps(c, nt, oc->name, d);
    check_deps(c, nt, oc->name, d);
}
