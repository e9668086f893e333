/* Query checks: parameters and their types, optional fragments, result
 * shape, pagination, and the partition and scope rules.
 *
 * A parameter's type comes from (in order): `params:`, a cast written after
 * it (`:p::integer`), the columns it is compared with (`col = :p`,
 * `(a, b) < (:x, :y)`, `col = ANY(:p)`, `INSERT INTO t (a) VALUES (:p)`),
 * LIMIT/OFFSET (bigint), and finally a same-named column of the query's table.
 * Columns are resolved through the FROM/JOIN/UPDATE/INTO aliases of the text;
 * this is a scan of tokens, not a SQL parser, and the generated tests check
 * every statement against the server with PQdescribePrepared. */
#include <stdio.h>
#include <string.h>

#include "parse_util.h"
#include "sqlscan.h"
#include "view_guard.h"

enum { MAX_ALIASES = 16, MAX_FRAGMENTS = 4 };

typedef struct qctx {
    pctx *c;
    m_query *q;
    sql_scan scan;
    size_t naliases;
    const char *alias[MAX_ALIASES];
    m_table *alias_table[MAX_ALIASES];
} qctx;

static gen_loc sql_line_loc(const qctx *x, int line)
{
    gen_loc loc = x->q->sql_loc;
    /* Block scalars start on the line after their indicator. */
    if (line > 0 || strchr(x->q->sql, '\n'))
        loc.line += line + 1, loc.col = 1;
    return loc;
}

static const sql_tok *tok(const qctx *x, long i)
{
    return i >= 0 && (size_t)i < x->scan.n ? &x->scan.toks[i] : NULL;
}

static bool tok_punct(const sql_tok *t, const char *p)
{
    return t && t->kind == TK_PUNCT && strcmp(t->text, p) == 0;
}

static bool is_compare(const sql_tok *t)
{
    static const char *const ops[] = {"=", "<>", "!=", "<", ">", "<=", ">=", NULL};
    if (!t)
        return false;
    if (t->kind == TK_IDENT)
        return sql_tok_is(t, "like") || sql_tok_is(t, "ilike");
    for (size_t i = 0; t->kind == TK_OP && ops[i]; i++)
        if (strcmp(t->text, ops[i]) == 0)
            return true;
    return false;
}

/* ---- aliases -------------------------------------------------------- */

static bool is_clause_word(const sql_tok *t)
{
    static const char *const words[] = {
        "where", "join", "inner", "left", "right", "full", "cross", "on", "using", "set",
        "values", "group", "order", "limit", "offset", "returning", "select", "union",
        "natural", "lateral", "having", "window", "for", "default", "as", "from", NULL};
    for (size_t i = 0; words[i]; i++)
        if (sql_tok_is(t, words[i]))
            return true;
    return false;
}

static void add_alias(qctx *x, const char *alias, m_table *t)
{
    if (x->naliases < MAX_ALIASES) {
        x->alias[x->naliases] = alias;
        x->alias_table[x->naliases++] = t;
    }
}

static void collect_aliases(qctx *x)
{
    for (size_t i = 0; i + 1 < x->scan.n; i++) {
        const sql_tok *t = &x->scan.toks[i];
        if (!(sql_tok_is(t, "from") || sql_tok_is(t, "join") || sql_tok_is(t, "update") ||
              sql_tok_is(t, "into")))
            continue;
        const sql_tok *name = tok(x, (long)i + 1);
        m_table *table = name->kind == TK_IDENT ? m_find_table(x->c->s, name->text) : NULL;
        if (!table)
            continue;
        add_alias(x, table->name, table);
        long a = (long)i + 2;
        if (tok(x, a) && sql_tok_is(tok(x, a), "as"))
            a++;
        const sql_tok *alias = tok(x, a);
        if (alias && alias->kind == TK_IDENT && !is_clause_word(alias))
            add_alias(x, alias->text, table);
    }
}

static m_column *resolve_column(const qctx *x, const char *qualifier, const char *name)
{
    if (qualifier) {
        for (size_t i = 0; i < x->naliases; i++)
            if (strcmp(x->alias[i], qualifier) == 0)
                return m_find_column(x->alias_table[i], name);
        return NULL;
    }
    m_column *col = m_find_column(x->q->table, name);
    for (size_t i = 0; !col && i < x->naliases; i++)
        col = m_find_column(x->alias_table[i], name);
    return col;
}

/* The column reference ending at token i ("col" or "alias.col"). */
static m_column *column_ending_at(const qctx *x, long i)
{
    const sql_tok *t = tok(x, i);
    if (!t || t->kind != TK_IDENT)
        return NULL;
    if (tok_punct(tok(x, i - 1), ".") && tok(x, i - 2) && tok(x, i - 2)->kind == TK_IDENT)
        return resolve_column(x, tok(x, i - 2)->text, t->text);
    return resolve_column(x, NULL, t->text);
}

/* The column reference starting at token i. */
static m_column *column_starting_at(const qctx *x, long i)
{
    const sql_tok *t = tok(x, i);
    if (!t || t->kind != TK_IDENT)
        return NULL;
    if (tok_punct(tok(x, i + 1), ".") && tok(x, i + 2) && tok(x, i + 2)->kind == TK_IDENT)
        return resolve_column(x, t->text, tok(x, i + 2)->text);
    return resolve_column(x, NULL, t->text);
}

/* ---- positional lists: (a, b) < (:x, :y) and INSERT ... VALUES ----- */

/* Index of the '(' opening the flat list that holds token i, and the
 * position of i in it; false when i is not directly in such a list. */
static bool list_position(const qctx *x, long i, long *open, size_t *pos)
{
    *pos = 0;
    for (long k = i - 1; k >= 0; k--) {
        const sql_tok *t = tok(x, k);
        if (tok_punct(t, "(")) {
            *open = k;
            return true;
        }
        if (tok_punct(t, ","))
            (*pos)++;
        else if (t->kind != TK_PARAM && t->kind != TK_IDENT && !tok_punct(t, ".") &&
                 t->kind != TK_FRAG_OPEN && !(t->kind == TK_OP && strcmp(t->text, "::") == 0))
            return false;
    }
    return false;
}

/* The pos-th column of the flat list closed by the ')' at index close. */
static m_column *list_column(const qctx *x, long close, size_t pos)
{
    long open = close;
    while (open >= 0 && !tok_punct(tok(x, open), "("))
        open--;
    size_t k = 0;
    for (long j = open + 1; j < close; j++) {
        if (tok_punct(tok(x, j), ",")) {
            k++;
            continue;
        }
        if (k == pos && !tok_punct(tok(x, j + 1), "."))
            return column_ending_at(x, j);
    }
    return NULL;
}

/* INSERT INTO t (a, b) SELECT :x, :y FROM ...: the column of t that a
 * parameter standing alone in the SELECT list is inserted into. Only the
 * distribution rule reads it: a scope must come from the parent row that
 * such a SELECT reads (tests/invalid/scope_parent_not_copied). */
static m_column *insert_select_column(const qctx *x, long i)
{
    const sql_tok *next = tok(x, i + 1);
    if (next && next->kind == TK_OP && strcmp(next->text, "::") == 0)
        next = tok(x, i + 3); /* :x::varchar */
    if (next && !tok_punct(next, ",") && !sql_tok_is(next, "from") && !sql_tok_is(next, "where"))
        return NULL;
    size_t pos = 0;
    for (long k = i - 1; k >= 0; k--) {
        const sql_tok *t = tok(x, k);
        if (sql_tok_is(t, "select")) {
            long close = k - 1;
            if (!tok_punct(tok(x, close), ")"))
                return NULL;
            long open = close;
            while (open >= 0 && !tok_punct(tok(x, open), "("))
                open--;
            const sql_tok *into = tok(x, open - 2);
            return into && sql_tok_is(into, "into") ? list_column(x, close, pos) : NULL;
        }
        if (tok_punct(t, ","))
            pos++;
        else if (t->kind != TK_PARAM && t->kind != TK_IDENT && !tok_punct(t, ".") &&
                 !(t->kind == TK_OP && strcmp(t->text, "::") == 0))
            return NULL;
    }
    return NULL;
}

static m_column *positional_column(const qctx *x, long i)
{
    long open;
    size_t pos;
    if (!list_position(x, i, &open, &pos))
        return NULL;
    const sql_tok *before = tok(x, open - 1);
    if (is_compare(before) && tok_punct(tok(x, open - 2), ")"))
        return list_column(x, open - 2, pos);
    if (before && sql_tok_is(before, "values") && tok_punct(tok(x, open - 2), ")"))
        return list_column(x, open - 2, pos);
    return NULL;
}

/* ---- parameter inference -------------------------------------------- */

typedef struct evidence {
    m_type type;
    const m_column *col; /* NULL when the type came from a cast or LIMIT */
    bool compared;       /* from a comparison, not a position in VALUES */
} evidence;

static bool cast_type(qctx *x, long i, m_type *out)
{
    const sql_tok *cast = tok(x, i + 1), *name = tok(x, i + 2);
    if (!cast || cast->kind != TK_OP || strcmp(cast->text, "::") != 0 || !name ||
        name->kind != TK_IDENT)
        return false;
    char text[160];
    snprintf(text, sizeof text, "%s%s", name->text,
             tok_punct(tok(x, i + 3), "[") && tok_punct(tok(x, i + 4), "]") ? "[]" : "");
    if (!m_type_parse(text, out))
        return false;
    if (out->kind == T_ENUM) {
        out->enum_name = gen_strdup(x->c->a, name->text);
        out->en = m_find_enum(x->c->s, name->text);
        if (!out->en)
            return false;
    }
    return true;
}

static bool column_evidence(const m_column *col, bool array, evidence *e)
{
    if (!col)
        return false;
    e->type = col->type;
    e->type.array = e->type.array || array;
    e->col = col;
    return true;
}

/* What token i (a parameter) tells about its type. */
static bool infer_at(qctx *x, long i, evidence *e)
{
    memset(e, 0, sizeof *e);
    if (cast_type(x, i, &e->type))
        return true;
    const sql_tok *prev = tok(x, i - 1);
    if (prev && (sql_tok_is(prev, "limit") || sql_tok_is(prev, "offset"))) {
        m_type_parse("bigint", &e->type);
        return true;
    }
    e->compared = true;
    if (is_compare(prev) && column_evidence(column_ending_at(x, i - 2), false, e))
        return true;
    if (is_compare(tok(x, i + 1)) && column_evidence(column_starting_at(x, i + 2), false, e))
        return true;
    if (tok_punct(prev, "(") && tok(x, i - 2) && sql_tok_is(tok(x, i - 2), "any") &&
        is_compare(tok(x, i - 3)) && column_evidence(column_ending_at(x, i - 4), true, e))
        return true;
    e->compared = false;
    return column_evidence(positional_column(x, i), false, e);
}

static m_param *find_param(m_query *q, const char *name)
{
    for (size_t i = 0; i < q->nparams; i++)
        if (strcmp(q->params[i].name, name) == 0)
            return &q->params[i];
    return NULL;
}

static void describe(const qctx *x, const evidence *e, char *buf, size_t size)
{
    const char *type = m_type_sql(x->c->a, &e->type);
    if (e->col)
        snprintf(buf, size, "%s.%s (%s)", e->col->table->name, e->col->name, type);
    else
        snprintf(buf, size, "%s", type);
}

/* True when token i sits in a SET list (UPDATE ... SET, ON CONFLICT DO
 * UPDATE SET): walking back at its own nesting level meets SET before any
 * clause that starts a condition or another list. */
static bool in_set_clause(const qctx *x, long i)
{
    static const char *const stops[] = {"where", "from", "returning", "select", "values", "on",
                                        "having", "group", "order", "using", "when"};
    int depth = 0;
    for (long k = i - 1; k >= 0; k--) {
        const sql_tok *t = tok(x, k);
        if (tok_punct(t, ")"))
            depth++;
        else if (tok_punct(t, "("))
            depth--;
        if (depth > 0)
            continue;
        if (depth < 0) /* left the parameter's own parentheses: keep going out */
            depth = 0;
        if (sql_tok_is(t, "set"))
            return true;
        for (size_t s = 0; s < sizeof stops / sizeof stops[0]; s++)
            if (sql_tok_is(t, stops[s]))
                return false;
    }
    return false;
}

static void note_evidence(qctx *x, m_param *p, const evidence *e, gen_loc loc, bool assigned)
{
    if (e->compared && !assigned)
        p->in_condition = true;
    if (e->col && p->ncompared < sizeof p->compared / sizeof p->compared[0]) {
        p->assigned[p->ncompared] = assigned;
        p->compared[p->ncompared++] = e->col;
    }
    if (!p->typed) {
        p->type = e->type;
        p->typed = true;
        p->from_column = e->col;
        return;
    }
    if (m_type_same(&p->type, &e->type))
        return;
    evidence first = {p->type, p->from_column, false};
    char a[200], b[200];
    describe(x, &first, a, sizeof a);
    describe(x, e, b, sizeof b);
    gen_error(x->c->d, loc, "parameter ':%s' of query '%s' is used with two different types: %s "
                            "and %s",
              p->name, x->q->name, a, b);
}

static void collect_params(qctx *x)
{
    m_query *q = x->q;
    size_t cap = 0;
    for (size_t i = 0; i < x->scan.n; i++) {
        const sql_tok *t = &x->scan.toks[i];
        if (t->kind != TK_PARAM)
            continue;
        m_param *p = find_param(q, t->text);
        if (!p) {
            gen_grow(x->c->a, (void **)&q->params, &cap, q->nparams + 1, sizeof *q->params);
            p = &q->params[q->nparams++];
            memset(p, 0, sizeof *p);
            p->name = t->text;
            p->loc = sql_line_loc(x, t->line);
            p->optional = true;
            check_identifier(x->c, p->name, p->loc, "parameter");
        }
        if (t->fragment < 0)
            p->optional = false;
        evidence e;
        if (infer_at(x, (long)i, &e))
            note_evidence(x, p, &e, sql_line_loc(x, t->line), in_set_clause(x, (long)i));
    }
}

static void apply_declared(qctx *x, const declared_params *dp)
{
    for (size_t i = 0; i < dp->n; i++) {
        m_result_col *d = &dp->items[i];
        check_type(x->c, &d->type, d->loc);
        m_param *p = find_param(x->q, d->name);
        if (!p) {
            gen_error(x->c->d, d->loc, "parameter '%s' is declared but query '%s' does not use "
                                       "':%s'",
                      d->name, x->q->name, d->name);
            continue;
        }
        if (!p->typed || !m_type_same(&p->type, &d->type))
            p->from_column = NULL;
        p->type = d->type;
        p->typed = p->declared = true;
        p->declared_nullable = d->nullable;
    }
}

static void default_types(qctx *x)
{
    for (size_t i = 0; i < x->q->nparams; i++) {
        m_param *p = &x->q->params[i];
        const m_column *col = p->typed ? NULL : m_find_column(x->q->table, p->name);
        if (col) {
            p->type = col->type;
            p->typed = true;
            p->from_column = col;
        }
        if (!p->typed)
            gen_error(x->c->d, p->loc,
                      "cannot tell the type of parameter ':%s' in query '%s'; declare it under "
                      "'params:'",
                      p->name, x->q->name);
    }
}

/* ---- rules ---------------------------------------------------------- */

static const m_param *param_bound_to(const m_query *q, const m_column *col)
{
    for (size_t i = 0; col && i < q->nparams; i++) {
        const m_param *p = &q->params[i];
        for (size_t k = 0; k < p->ncompared && !p->optional; k++)
            if (p->compared[k] == col)
                return p;
    }
    return NULL;
}

static void check_partition_rule(qctx *x)
{
    m_query *q = x->q;
    const m_partition *p = q->table->partition;
    if (!p || q->all_partitions || q->returns == RET_COPY || q->returns == RET_UPSERT || !p->source_col)
        return;
    if (!param_bound_to(q, p->source_col)) {
        gen_error(x->c->d, q->loc,
                  "query '%s' on partitioned table '%s' does not bind the partition source "
                  "column '%s'; compare it with a parameter (%s = :%s), or mark the query "
                  "all_partitions: \"reason\"",
                  q->name, q->table->name, p->source, p->source, p->source);
        return;
    }
    if (p->by != PART_LIST || !p->expression || !p->key_col)
        return;
    const m_param *key = param_bound_to(q, p->key_col);
    if (!key) {
        gen_error(x->c->d, q->loc,
                  "query '%s' on partitioned table '%s' binds '%s' but not the partition key; "
                  "add 'AND %s = :%s' so the planner prunes to one partition (the generator "
                  "computes it from :%s)",
                  q->name, q->table->name, p->source, p->key, p->key, p->source);
        return;
    }
    ((m_param *)key)->computed = true;
}

static void check_scope_rule(qctx *x)
{
    m_query *q = x->q;
    const m_table *t = q->table;
    if (!t->scope_col || q->unscoped || q->returns == RET_COPY || q->returns == RET_UPSERT)
        return;
    if (!param_bound_to(q, t->scope_col) && !gen_scope_bound_through_parent(x->c, q, &x->scan))
        gen_error(x->c->d, q->loc,
                  "query '%s' on scoped table '%s' does not bind its scope column '%s'; "
                  "compare it with a parameter (or a parent's %s with a parameter, and take "
                  "%s from that row), or mark the query unscoped: \"reason\"",
                  q->name, t->name, t->scope, t->scope, t->scope);
}

static bool inserted_by_select(const qctx *x, const m_column *col)
{
    for (size_t i = 0; i < x->scan.n; i++)
        if (x->scan.toks[i].kind == TK_PARAM && insert_select_column(x, (long)i) == col)
            return true;
    return false;
}

/* On Citus a query that binds the distribution column runs as one task on
 * one worker; any other fans out to every shard. */
static void check_distribution_rule(qctx *x)
{
    m_query *q = x->q;
    const m_table *t = q->table;
    if (!t->dist_col || q->fanout || q->returns == RET_COPY || q->returns == RET_UPSERT)
        return;
    if (!param_bound_to(q, t->dist_col) && !inserted_by_select(x, t->dist_col))
        gen_error(x->c->d, q->loc,
                  "query '%s' on distributed table '%s' does not bind its distribution column "
                  "'%s', so on Citus it runs on every shard; compare it with a parameter "
                  "(%s = :%s), or mark the query fanout: \"reason\"",
                  q->name, t->name, t->dist_column, t->dist_column, t->dist_column);
}

static bool selects_table_row(const qctx *x)
{
    for (size_t i = 0; i < x->scan.n; i++) {
        const sql_tok *t = &x->scan.toks[i];
        if (t->kind != TK_OP || strcmp(t->text, "*") != 0)
            continue;
        const sql_tok *prev = tok(x, (long)i - 1);
        if (prev && (sql_tok_is(prev, "select") || sql_tok_is(prev, "returning") ||
                     tok_punct(prev, ".")))
            return true;
    }
    return false;
}

static void check_shape(qctx *x)
{
    m_query *q = x->q;
    if ((q->returns == RET_ONE || q->returns == RET_MANY) && !q->ncolumns &&
        !selects_table_row(x))
        gen_error(x->c->d, q->sql_loc,
                  "query '%s' returns rows of table '%s' but does not select '*'; declare "
                  "'columns:' for another result shape",
                  q->name, q->table->name);
    if (q->paginate != PAGE_NONE && q->returns != RET_MANY)
        gen_error(x->c->d, q->loc, "query '%s' paginates but does not return many", q->name);
    for (size_t i = 0; i < q->ncolumns; i++)
        check_type(x->c, &q->columns[i].type, q->columns[i].loc);
}

static bool in_names(const m_names *n, const char *name)
{
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->items[i], name) == 0)
            return true;
    return false;
}

/* The keyset identifies a row: it holds a unique column, or the primary
 * key's columns are each in it or bound by the query (`collection_id =
 * :collection_id` leaves id to tell the rows of one collection apart). */
static bool keyset_is_total(const m_query *q)
{
    const m_table *t = q->table;
    for (size_t i = 0; i < q->keyset.n; i++) {
        const m_column *c = m_find_column(t, q->keyset.items[i]);
        if (c && c->unique)
            return true;
    }
    if (!t->primary_key.n)
        return false;
    for (size_t i = 0; i < t->primary_key.n; i++) {
        const char *k = t->primary_key.items[i];
        if (!in_names(&q->keyset, k) && !param_bound_to(q, m_find_column(t, k)))
            return false;
    }
    return true;
}

/* A keyset is a total order over values that are always there: a NULL key
 * or ties between rows would skip or repeat rows at page boundaries. */
static void check_keyset_order(qctx *x)
{
    m_query *q = x->q;
    if (!q->keyset.n)
        return;
    for (size_t i = 0; i < q->keyset.n; i++) {
        const m_column *c = m_find_column(q->table, q->keyset.items[i]);
        if (!c)
            return;
        if (c->nullable)
            gen_error(x->c->d, q->keyset.locs[i],
                      "keyset column '%s' is nullable; a page cannot start after a NULL key",
                      c->name);
    }
    if (!keyset_is_total(q))
        gen_error(x->c->d, q->keyset.locs[q->keyset.n - 1],
                  "keyset of query '%s' is not a total order (rows may tie at a page boundary); "
                  "end it with a unique column such as the primary key",
                  q->name);
    if (q->ncolumns)
        gen_error(x->c->d, q->loc,
                  "keyset query '%s' declares its columns; keyset pages need the table's row", q->name);
}

static void check_keyset(qctx *x)
{
    m_query *q = x->q;
    check_keyset_order(x);
    for (size_t i = 0; i < q->keyset.n; i++) {
        const char *col = q->keyset.items[i];
        if (!m_find_column(q->table, col)) {
            gen_error(x->c->d, q->keyset.locs[i], "keyset column '%s' is not a column of table '%s'",
                      col, q->table->name);
            continue;
        }
        char name[80];
        snprintf(name, sizeof name, "after_%s", col);
        const m_param *p = find_param(q, name);
        if (!p || !p->optional)
            gen_error(x->c->d, q->keyset.locs[i],
                      "keyset pagination on '%s' needs the cursor parameter ':%s' inside an "
                      "optional fragment, e.g. [[AND (%s) > (:%s)]]",
                      col, name, col, name);
    }
}

/* `SET status = 'x'` on a state-machine column: x must be a value, and one
 * that some state may move to (else the UPDATE could never move a row; the
 * generator guards it with those sources, view_guard.c). */
static void check_literal_moves(qctx *x)
{
    const sql_scan *scan = &x->scan;
    for (size_t i = 1; i + 2 < scan->n; i++) {
        const sql_tok *prev = &scan->toks[i - 1], *t = &scan->toks[i];
        const sql_tok *eq = &scan->toks[i + 1], *val = &scan->toks[i + 2];
        if (t->kind != TK_IDENT || !(sql_tok_is(prev, "set") || tok_punct(prev, ",")) ||
            eq->kind != TK_OP || strcmp(eq->text, "=") != 0 || val->kind != TK_LITERAL)
            continue;
        const m_column *c = m_find_column(x->q->table, t->text);
        const m_enum *e = c && c->type.kind == T_ENUM && !c->type.array ? c->type.en : NULL;
        if (!e || !e->ntransitions)
            continue;
        int to = vg_enum_index(e, val);
        if (to < 0)
            gen_error(x->c->d, sql_line_loc(x, val->line),
                      "query '%s' sets %s to %s, which is not a value of enum '%s'", x->q->name,
                      c->name, val->text, e->name);
        else if (!vg_sources(e, (size_t)to))
            gen_error(x->c->d, sql_line_loc(x, val->line),
                      "query '%s' sets %s to '%s', but no state of enum '%s' may move there; "
                      "add a transition to it or drop the query",
                      x->q->name, c->name, e->values.items[to], e->name);
    }
}

static void check_fragments(qctx *x)
{
    if (x->scan.nfragments > MAX_FRAGMENTS)
        gen_error(x->c->d, x->q->sql_loc,
                  "query '%s' has %zu optional fragments; at most %d (%d variants) are allowed",
                  x->q->name, x->scan.nfragments, MAX_FRAGMENTS, 1 << MAX_FRAGMENTS);
    for (size_t f = 0; f < x->scan.nfragments; f++) {
        int line = 0;
        bool has_param = false;
        for (size_t i = 0; i < x->scan.n; i++) {
            const sql_tok *t = &x->scan.toks[i];
            if (t->fragment == (int)f && t->kind == TK_FRAG_OPEN)
                line = t->line;
            has_param |= t->fragment == (int)f && t->kind == TK_PARAM;
        }
        if (!has_param)
            gen_error(x->c->d, sql_line_loc(x, line),
                      "optional fragment %zu of query '%s' has no parameter to depend on", f + 1,
                      x->q->name);
    }
    x->q->nfragments = x->scan.nfragments;
}

static bool copy_lists(const m_query *q, const char *column)
{
    for (size_t i = 0; i < q->copy_columns.n; i++)
        if (strcmp(q->copy_columns.items[i], column) == 0)
            return true;
    return false;
}

static void check_copy(qctx *x)
{
    m_query *q = x->q;
    const m_table *t = q->table;
    const m_partition *p = t->partition;
    for (size_t i = 0; i < q->copy_columns.n; i++) {
        const m_column *col = m_find_column(t, q->copy_columns.items[i]);
        if (!col)
            gen_error(x->c->d, q->copy_columns.locs[i], "copy column '%s' is not a column of table '%s'",
                      q->copy_columns.items[i], t->name);
        else if (col->generated)
            gen_error(x->c->d, q->copy_columns.locs[i], "copy column '%s' is generated and cannot be loaded",
                      col->name);
        else if (p && p->expression && col == p->key_col)
            gen_error(x->c->d, q->copy_columns.locs[i],
                      "copy column '%s' is the computed partition key; the generator fills it in "
                      "from '%s'",
                      col->name, p->source);
    }
    if (p && p->expression && p->source && !copy_lists(q, p->source))
        gen_error(x->c->d, q->loc, "copy query '%s' must load the partition source column '%s'",
                  q->name, p->source);
}

static bool in_list(const m_names *n, const char *name)
{
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->items[i], name) == 0)
            return true;
    return false;
}

/* An upsert writes its columns; the conflict key is among them and the
 * update list among the others. Partitioned tables with a computed key are
 * left to copy and named queries. */
static void check_upsert(qctx *x)
{
    m_query *q = x->q;
    const m_table *t = q->table;
    check_copy(x);
    if (t->partition && t->partition->expression)
        gen_error(x->c->d, q->loc, "upsert query '%s': table '%s' has a computed partition key, "
                                   "which bulk upsert does not fill in; use a named query",
                  q->name, t->name);
    for (size_t i = 0; i < q->conflict.n; i++)
        if (!in_list(&q->copy_columns, q->conflict.items[i]))
            gen_error(x->c->d, q->conflict.locs[i],
                      "conflict column '%s' of upsert '%s' is not one of its columns",
                      q->conflict.items[i], q->name);
    for (size_t i = 0; i < q->update.n; i++)
        if (!in_list(&q->copy_columns, q->update.items[i]) || in_list(&q->conflict, q->update.items[i]))
            gen_error(x->c->d, q->update.locs[i],
                      "update column '%s' of upsert '%s' must be one of its columns and not "
                      "of the conflict key",
                      q->update.items[i], q->name);
}

static void check_name(qctx *x)
{
    static const char *const ops[] = {"create", "get", "update", "delete", "list"};
    for (size_t i = 0; i < 5; i++)
        if ((x->q->table->operations & (1u << i)) && strcmp(x->q->name, ops[i]) == 0)
            gen_error(x->c->d, x->q->loc,
                      "query name '%s' is taken by the standard operation of table '%s'",
                      x->q->name, x->q->table->name);
}

static void validate_query(pctx *c, query_decls *qd)
{
    qctx x = {.c = c, .q = qd->q};
    m_query *q = qd->q;
    check_name(&x);
    if (q->returns == RET_COPY) {
        check_copy(&x);
        return;
    }
    if (q->returns == RET_UPSERT) {
        check_upsert(&x);
        return;
    }
    if (!q->sql)
        return;
    if (!sql_tokenize(c->a, q->sql, &x.scan)) {
        gen_error(c->d, sql_line_loc(&x, x.scan.error_line), "%s in the SQL of query '%s'",
                  x.scan.error, q->name);
        return;
    }
    collect_aliases(&x);
    collect_params(&x);
    apply_declared(&x, &qd->params);
    default_types(&x);
    check_fragments(&x);
    check_shape(&x);
    check_keyset(&x);
    check_literal_moves(&x);
    check_partition_rule(&x);
    check_scope_rule(&x);
    check_distribution_rule(&x);
}

void gen_validate_queries(pctx *c, query_decls *decls, size_t ndecls)
{
    for (size_t i = 0; i < ndecls; i++)
        validate_query(c, &decls[i]);
}
