/* State machines in named queries. A named UPDATE that sets a column whose
 * enum declares transitions from a parameter (`SET status = :status`) moves
 * only rows whose current value may move there, in the same statement: its
 * WHERE clause gains `AND status = ANY(:allowed_from)`, which the generated
 * function fills from the enum's can_transition. Without this, the named
 * query would be a way around the state machine that set_<column> enforces.
 *
 * A literal target (`SET status = 'deleted'`) is guarded the same way with
 * the sources known at generate time: `AND status IN ('pending', ...)`.
 *
 * The probe is the same WHERE clause as a SELECT: when the guarded UPDATE
 * matched nothing, it tells "no such row" from "a forbidden move". */
#include <string.h>

#include "output.h"
#include "view_guard.h"

static bool is_punct(const sql_tok *t, const char *p)
{
    return t->kind == TK_PUNCT && strcmp(t->text, p) == 0;
}

int vg_enum_index(const m_enum *e, const sql_tok *lit)
{
    size_t n = strlen(lit->text);
    if (lit->kind != TK_LITERAL || n < 2 || lit->text[0] != '\'' || lit->text[n - 1] != '\'')
        return -1;
    for (size_t i = 0; i < e->values.n; i++)
        if (strlen(e->values.items[i]) == n - 2 &&
            strncmp(e->values.items[i], lit->text + 1, n - 2) == 0)
            return (int)i;
    return -1;
}

size_t vg_sources(const m_enum *e, size_t to)
{
    size_t n = 0;
    for (size_t from = 0; from < e->values.n; from++)
        n += m_enum_allows(e, from, to);
    return n;
}

/* `col = :param` or `col = 'value'` right after SET or a comma, outside
 * optional fragments. */
static bool find_assignment(const m_query *q, const sql_scan *scan, size_t end, vguard *g)
{
    for (size_t i = 1; i + 2 < end; i++) {
        const sql_tok *prev = &scan->toks[i - 1], *t = &scan->toks[i];
        const sql_tok *eq = &scan->toks[i + 1], *val = &scan->toks[i + 2];
        if (t->kind != TK_IDENT || !(sql_tok_is(prev, "set") || is_punct(prev, ",")) ||
            eq->kind != TK_OP || strcmp(eq->text, "=") != 0 ||
            (val->kind != TK_PARAM && val->kind != TK_LITERAL) || val->fragment >= 0)
            continue;
        const m_column *c = m_find_column(q->table, t->text);
        if (!c || c->type.kind != T_ENUM || c->type.array || !c->type.en ||
            !c->type.en->ntransitions)
            continue;
        g->col = c;
        g->literal = val->kind == TK_LITERAL ? vg_enum_index(c->type.en, val) : -1;
        if (val->kind == TK_LITERAL && g->literal < 0)
            continue; /* validation reported it */
        g->param = val->kind == TK_PARAM ? val->text : NULL;
        return true;
    }
    return false;
}

/* `status IN ('a', 'b')`: the values the enum lets move to the literal. */
static const char *literal_guard(gen_arena *a, const m_column *c, size_t to)
{
    const m_enum *e = c->type.en;
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t from = 0; from < e->values.n; from++)
        if (m_enum_allows(e, from, to))
            gen_buf_printf(&b, "%s'%s'", b.len ? ", " : "", e->values.items[from]);
    return gen_printf(a, "%s IN (%s)", c->name, b.data ? b.data : "NULL");
}

/* The source text between two offsets, without trailing blanks. */
static const char *span(gen_arena *a, const char *sql, size_t from, size_t to)
{
    while (to > from && strchr(" \t\n;", sql[to - 1]))
        to--;
    return gen_strndup(a, sql + from, to - from);
}

bool vg_find(gen_arena *a, const m_query *q, const sql_scan *scan, vguard *g)
{
    memset(g, 0, sizeof *g);
    g->literal = -1;
    if (!scan->n || !sql_tok_is(&scan->toks[0], "update") || q->table->partition)
        return false;
    size_t where = 0, returning = scan->n;
    int depth = 0;
    bool where_fragments = false;
    for (size_t i = 0; i < scan->n; i++) {
        const sql_tok *t = &scan->toks[i];
        depth += is_punct(t, "(") - is_punct(t, ")");
        if (depth == 0 && t->fragment < 0 && !where && sql_tok_is(t, "where"))
            where = i;
        else if (depth == 0 && t->fragment < 0 && sql_tok_is(t, "returning"))
            returning = i;
        else if (where && returning == scan->n && t->fragment >= 0)
            where_fragments = true;
    }
    if (!find_assignment(q, scan, where ? where : returning, g))
        return false;
    const char *sql = q->sql;
    size_t end = returning < scan->n ? scan->toks[returning].offset : strlen(sql);
    const char *tail = returning < scan->n ? gen_printf(a, "\n%s", sql + end) : "";
    const char *guard = g->param ? gen_printf(a, "%s = ANY(:allowed_from::%s[])", g->col->name,
                                              g->col->type.enum_name)
                                 : literal_guard(a, g->col, (size_t)g->literal);
    if (where) {
        const sql_tok *w = &scan->toks[where];
        const char *cond = span(a, sql, w->offset + w->len, end);
        g->sql = gen_printf(a, "%s (%s)\n  AND %s%s", span(a, sql, 0, w->offset + w->len),
                            cond + strspn(cond, " \t\n"), guard, tail);
        if (!where_fragments)
            g->probe = gen_printf(a, "SELECT * FROM %s WHERE %s", q->table->name,
                                  cond + strspn(cond, " \t\n"));
    } else {
        g->sql = gen_printf(a, "%s\nWHERE %s%s", span(a, sql, 0, end), guard, tail);
        g->probe = NULL; /* every row: nothing to tell apart */
    }
    return true;
}
