/* Views (rebuilt when their text or what they read changes) and functions
 * (replaced in place when the signature and result stay). */
#include "diff_internal.h"

/* ---- views: rebuilt when their text or anything they read changes ----- */

/* A column the view may read is dropped, renamed or retyped (an enum
 * rebuilt under it is not: the rebuild steps the view aside itself). */
static bool column_changed(dctx *c, const m_table *nt, const m_table *ot, const m_column *oc)
{
    const m_column *nc = new_column(nt, ot, oc);
    return !nc || strcmp(nc->name, oc->name) != 0 ||
           strcmp(type_key(c, nc, false), type_key(c, oc, true)) != 0;
}

/* True when the view's SQL reads a column of table (a depends_on entry of
 * the old or the new side) that this migration changes: PostgreSQL refuses
 * to change a column a view reads. Views over other columns stay. */
static bool reads_changed_column(dctx *c, const char *sql, const char *table, bool old_side)
{
    const m_table *ot, *nt;
    if (old_side) {
        ot = m_find_table(c->o, table);
        if (!ot)
            return false;
        nt = c->new_of[ot - c->o->tables];
        if (!nt)
            return true; /* the table goes */
    } else {
        nt = m_find_table(c->n, table);
        ot = nt ? c->old_of[nt - c->n->tables] : NULL;
        if (!ot)
            return false; /* a new table: the view's text changed too */
    }
    bool star = sql_selects_star(c->a, sql);
    if (star && nt->ncolumns != ot->ncolumns)
        return true;
    for (size_t k = 0; k < ot->ncolumns; k++) {
        const m_column *oc = &ot->columns[k], *nc = new_column(nt, ot, oc);
        if (column_changed(c, nt, ot, oc) &&
            (star || sql_mentions(c->a, sql, oc->name) || (nc && sql_mentions(c->a, sql, nc->name))))
            return true;
    }
    return false;
}

static bool view_reads_changed(dctx *c, const m_view *w, bool old_side)
{
    for (size_t k = 0; k < w->depends_on.n; k++)
        if (reads_changed_column(c, w->sql, w->depends_on.items[k], old_side))
            return true;
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
bool *views_to_rebuild(dctx *c, bool **old_rebuild)
{
    bool *nr = gen_alloc(c->a, (c->n->nviews + 1) * sizeof *nr);
    bool *orb = gen_alloc(c->a, (c->o->nviews + 1) * sizeof *orb);
    for (size_t i = 0; i < c->n->nviews; i++) {
        const m_view *w = &c->n->views[i];
        const m_view *ow = m_find_view(c->o, w->name);
        nr[i] = !ow || strcmp(view_sql(c, c->n, w), view_sql(c, c->o, ow)) != 0;
        nr[i] = nr[i] || view_reads_changed(c, w, false);
    }
    for (size_t i = 0; i < c->o->nviews; i++) {
        const m_view *w = &c->o->views[i];
        const m_view *nw = m_find_view(c->n, w->name);
        orb[i] = !nw || nr[nw - c->n->views];
        orb[i] = orb[i] || view_reads_changed(c, w, true);
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

void view_create_stmts(const m_schema *s, const m_view *w, ddl_script *out)
{
    ddl_create_view(s, w, out);
    if (w->comment)
        ddl_comment(out, w->materialized ? "MATERIALIZED VIEW" : "VIEW",
                    ddl_qualify(out->arena, s, w->name), w->comment);
}

void view_drop_stmt(gen_arena *a, const m_schema *s, const m_view *w, ddl_script *out)
{
    const char *name = ddl_qualify(a, s, w->name);
    d_push(out, DDL_VIEW, name,
         gen_printf(a, "DROP %sVIEW %s", w->materialized ? "MATERIALIZED " : "", name));
}

void drop_views(dctx *c, const bool *orb)
{
    for (size_t i = c->o->nviews; i-- > 0;) {
        if (!orb[i])
            continue;
        const m_view *w = &c->o->views[i];
        diff_step *p = d_step(c, gen_printf(c->a, "drop view %s", w->name), false);
        view_drop_stmt(c->a, c->o, w, &p->up);
        view_create_stmts(c->o, w, &p->down);
    }
}

void create_views(dctx *c, const bool *nr)
{
    for (size_t i = 0; i < c->n->nviews; i++) {
        if (!nr[i])
            continue;
        const m_view *w = &c->n->views[i];
        diff_step *p = d_step(c, gen_printf(c->a, "create view %s", w->name), false);
        view_create_stmts(c->n, w, &p->up);
        view_drop_stmt(c->a, c->n, w, &p->down);
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

const m_function *function_by_signature(dctx *c, const m_schema *s, const char *sig,
                                               const m_schema *sig_schema)
{
    for (size_t i = 0; i < s->nfunctions; i++)
        if (strcmp(ddl_function_signature(c->a, sig_schema, &s->functions[i]), sig) == 0)
            return &s->functions[i];
    return NULL;
}

/* Same signature and result: CREATE OR REPLACE both ways. */
void create_functions(dctx *c)
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
            diff_step *p = d_step(c, gen_printf(c->a, "replace function %s", sig), false);
            d_push(&p->up, DDL_FUNCTION, sig, or_replace(c, sql));
            d_push(&p->down, DDL_FUNCTION, sig, or_replace(c, old_sql));
            continue;
        }
        diff_step *p = d_step(c, gen_printf(c->a, "create function %s", sig), false);
        d_push(&p->up, DDL_FUNCTION, sig, sql);
        if (f->comment)
            ddl_comment(&p->up, "FUNCTION", sig, f->comment);
        d_push(&p->down, DDL_FUNCTION, sig, gen_printf(c->a, "DROP FUNCTION %s", sig));
    }
}

/* Old functions whose signature or result is gone; they go after the
 * triggers that call them. A changed result needs DROP + CREATE, which the
 * create pass above already wrote for the new one: drop the old first. */
void drop_functions(dctx *c, bool result_changed_only)
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
        diff_step *p = d_step(c, gen_printf(c->a, "drop function %s", sig), false);
        d_push(&p->up, DDL_FUNCTION, sig, gen_printf(c->a, "DROP FUNCTION %s", sig));
        d_push(&p->down, DDL_FUNCTION, sig, function_sql(c, c->n, of));
        if (of->comment)
            ddl_comment(&p->down, "FUNCTION", sig, of->comment);
    }
}
