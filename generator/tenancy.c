/* Tenancy across tables: what the scope of one table means for the tables
 * around it.
 *
 *   items:    { scope: user_id, columns: { id, user_id, last_version, ... } }
 *   analyses:
 *     scope: user_id
 *     versioned: { column: version, per: item_id, counter: last_version }
 *     columns:
 *       item_id: { type: bigint, references: items.id, same_scope: true }
 *
 * - same_scope: the reference carries the scope, (item_id, user_id)
 *   REFERENCES items (id, user_id), so a row can never point at another
 *   user's parent. The column's single-column foreign key becomes that
 *   table-level one, and the parent gets the UNIQUE (id, user_id) the
 *   reference needs when no key of it covers those columns already. Both are
 *   plain model objects from here on: DDL, snapshots and migration diffs
 *   (which create constraints before foreign keys and drop them after) see
 *   them as if the YAML had spelled them out.
 * - versioned: create numbers the rows of one parent 1, 2, ... by bumping a
 *   counter column of the parent in the same statement (view_versioned.c);
 *   the parent row's lock orders concurrent creates, so two writers never
 *   get the same number.
 * - A query binds its scope through a parent row: a parameter compared with
 *   the scope column of a table scoped by the same column, whose scope the
 *   statement copies (INSERT ... SELECT i.user_id ...) or equates
 *   (a.user_id = i.user_id). */
#include <string.h>

#include "keys.h"
#include "parse_util.h"
#include "sqlscan.h"

/* ---- same_scope ------------------------------------------------------ */

static bool names_are(const m_names *n, const char *x, const char *y)
{
    if (n->n != 2)
        return false;
    return (strcmp(n->items[0], x) == 0 && strcmp(n->items[1], y) == 0) ||
           (strcmp(n->items[0], y) == 0 && strcmp(n->items[1], x) == 0);
}

/* A key of t that is exactly {x, y}: the primary key, a UNIQUE constraint
 * or a unique index without WHERE. */
static bool has_key_on(const m_table *t, const char *x, const char *y)
{
    if (names_are(&t->primary_key, x, y))
        return true;
    for (size_t i = 0; i < t->nuniques; i++)
        if (names_are(&t->uniques[i].columns, x, y))
            return true;
    for (size_t i = 0; i < t->nindexes; i++) {
        const m_index *ix = &t->indexes[i];
        if (ix->unique && !ix->where && !ix->expression && ix->ncols == 2 && ix->cols[0].name &&
            ix->cols[1].name &&
            ((strcmp(ix->cols[0].name, x) == 0 && strcmp(ix->cols[1].name, y) == 0) ||
             (strcmp(ix->cols[0].name, y) == 0 && strcmp(ix->cols[1].name, x) == 0)))
            return true;
    }
    return false;
}

/* ref alone is a key of t: then (ref, scope) is unique anyway, and the
 * UNIQUE the reference needs adds no rule of its own. */
static bool is_single_key(const m_table *t, const char *ref)
{
    const m_column *c = m_find_column(t, ref);
    if (!c)
        return false;
    if (c->unique || c->primary_key ||
        (t->primary_key.n == 1 && strcmp(t->primary_key.items[0], ref) == 0))
        return true;
    for (size_t i = 0; i < t->nuniques; i++)
        if (t->uniques[i].columns.n == 1 && strcmp(t->uniques[i].columns.items[0], ref) == 0)
            return true;
    for (size_t i = 0; i < t->nindexes; i++) {
        const m_index *ix = &t->indexes[i];
        if (ix->unique && !ix->where && !ix->expression && ix->ncols == 1 && ix->cols[0].name &&
            strcmp(ix->cols[0].name, ref) == 0)
            return true;
    }
    return false;
}

static m_names pair(pctx *c, const char *x, const char *y, gen_loc loc)
{
    m_names n = {2, gen_alloc(c->a, 2 * sizeof(char *)), gen_alloc(c->a, 2 * sizeof(gen_loc))};
    n.items[0] = x, n.items[1] = y;
    n.locs[0] = n.locs[1] = loc;
    return n;
}

static void add_parent_key(pctx *c, m_table *parent, const char *ref, gen_loc loc)
{
    if (has_key_on(parent, ref, parent->scope))
        return;
    m_unique *u = gen_alloc(c->a, (parent->nuniques + 1) * sizeof *u);
    if (parent->nuniques)
        memcpy(u, parent->uniques, parent->nuniques * sizeof *u);
    u[parent->nuniques] = (m_unique){.loc = loc, .columns = pair(c, ref, parent->scope, loc)};
    parent->uniques = u;
    parent->nuniques++;
}

static void add_scoped_fk(pctx *c, m_table *t, m_column *col, const char *table, const char *ref,
                          const m_table *parent)
{
    m_fk *fks = gen_alloc(c->a, (t->nfks + 1) * sizeof *fks);
    if (t->nfks)
        memcpy(fks, t->fks, t->nfks * sizeof *fks);
    fks[t->nfks] = (m_fk){.loc = col->references_loc,
                          .columns = pair(c, col->name, t->scope, col->references_loc),
                          .ref_table = table,
                          .ref_table_loc = col->references_loc,
                          .ref_columns = pair(c, ref, parent->scope, col->references_loc),
                          .on_delete = col->on_delete,
                          .on_update = col->on_update};
    t->fks = fks;
    t->nfks++;
}

static void carry_scope(pctx *c, m_table *t, m_column *col)
{
    const char *dot = col->references ? strchr(col->references, '.') : NULL;
    if (!dot) {
        gen_error(c->d, col->same_scope_loc,
                  "column '%s' has same_scope but no 'references: table.column'", col->name);
        return;
    }
    if (!t->scope) {
        gen_error(c->d, col->same_scope_loc,
                  "column '%s' has same_scope, but table '%s' has no 'scope' to carry", col->name,
                  t->name);
        return;
    }
    const char *table = gen_strndup(c->a, col->references, (size_t)(dot - col->references));
    m_table *parent = m_find_table(c->s, table);
    if (!parent)
        return; /* the reference check reports it */
    if (!parent->scope || strcmp(parent->scope, t->scope) != 0) {
        gen_error(c->d, col->same_scope_loc,
                  "same_scope: table '%s' is not scoped by '%s' (a reference can carry the "
                  "scope only to a table with the same scope column)",
                  parent->name, t->scope);
        return;
    }
    if (strcmp(col->name, t->scope) == 0 || strcmp(dot + 1, parent->scope) == 0) {
        gen_error(c->d, col->same_scope_loc,
                  "same_scope: '%s' is the scope column itself; put same_scope on the reference "
                  "to the parent's key",
                  col->name);
        return;
    }
    if (!m_find_column(t, t->scope) || !m_find_column(parent, dot + 1))
        return; /* reported by the scope and reference checks */
    if (!is_single_key(parent, dot + 1)) {
        gen_error(c->d, col->references_loc,
                  "same_scope: '%s' is not the primary key or a unique column of table '%s' (the "
                  "generator adds UNIQUE (%s, %s) only over a key, where it changes nothing)",
                  col->references, parent->name, dot + 1, parent->scope);
        col->references = NULL; /* reported once */
        return;
    }
    const m_column *to = m_find_column(parent, dot + 1);
    col->uuid_text |= to->uuid_text;
    add_parent_key(c, parent, dot + 1, col->same_scope_loc);
    add_scoped_fk(c, t, col, table, dot + 1, parent);
    col->references = NULL; /* the table-level key replaces the column's */
}

void gen_carry_scopes(pctx *c)
{
    for (size_t i = 0; i < c->s->ntables; i++) {
        m_table *t = &c->s->tables[i];
        for (size_t k = 0; k < t->ncolumns; k++)
            if (t->columns[k].same_scope)
                carry_scope(c, t, &t->columns[k]);
    }
}

/* ---- versioned ------------------------------------------------------- */

void gen_parse_versioned(pctx *c, m_table *t, const ynode *v)
{
    if (!v || !expect_kind(c, v, Y_MAP, "'versioned'"))
        return;
    check_keys(c, v, gen_known_keys(GK_VERSIONED), "'versioned'");
    m_versioned *ver = &t->versioned;
    ver->loc = v->loc;
    ver->column = get_text(c, v, "column", true, "'versioned'");
    ver->per = get_text(c, v, "per", true, "'versioned'");
    ver->counter = get_text(c, v, "counter", true, "'versioned'");
    if (!ver->per || !ver->counter)
        ver->column = NULL;
}

static bool is_counter_type(const m_type *t)
{
    return !t->array && (t->kind == T_INTEGER || t->kind == T_BIGINT);
}

/* The foreign key that `per` is a column of: its columns and the parent's. */
static m_table *per_parent(pctx *c, m_table *t, m_versioned *v)
{
    m_column *per = v->per_col;
    if (per->references) {
        const char *dot = strchr(per->references, '.');
        m_table *parent = dot ? m_find_table(c->s, gen_strndup(c->a, per->references,
                                                               (size_t)(dot - per->references)))
                              : NULL;
        if (parent) {
            v->keys = (m_names){1, &per->name, NULL};
            const char **ref = gen_alloc(c->a, sizeof *ref);
            *ref = dot + 1;
            v->parent_keys = (m_names){1, ref, NULL};
        }
        return parent;
    }
    for (size_t i = 0; i < t->nfks; i++)
        for (size_t k = 0; k < t->fks[i].columns.n; k++)
            if (strcmp(t->fks[i].columns.items[k], per->name) == 0 && t->fks[i].target) {
                v->keys = t->fks[i].columns;
                v->parent_keys = t->fks[i].ref_columns;
                return t->fks[i].target;
            }
    return NULL;
}

/* A scoped parent is found under the caller's scope too, even when the
 * reference does not carry it: create never bumps another user's counter. */
static void add_scope_key(pctx *c, const m_table *t, m_versioned *v)
{
    if (!t->scope_col || !v->parent->scope || strcmp(v->parent->scope, t->scope) != 0)
        return;
    for (size_t i = 0; i < v->keys.n; i++)
        if (strcmp(v->keys.items[i], t->scope) == 0)
            return;
    const char **keys = gen_alloc(c->a, (v->keys.n + 1) * sizeof *keys);
    const char **refs = gen_alloc(c->a, (v->keys.n + 1) * sizeof *refs);
    memcpy(keys, v->keys.items, v->keys.n * sizeof *keys);
    memcpy(refs, v->parent_keys.items, v->keys.n * sizeof *refs);
    keys[v->keys.n] = t->scope;
    refs[v->keys.n] = v->parent->scope;
    v->keys = (m_names){v->keys.n + 1, keys, NULL};
    v->parent_keys = (m_names){v->keys.n, refs, NULL};
}

static bool check_counter(pctx *c, const m_table *t, m_versioned *v)
{
    m_column *counter = m_find_column(v->parent, v->counter);
    if (!counter) {
        gen_error(c->d, v->loc, "versioned: counter '%s' is not a column of table '%s', which "
                                "'%s' references",
                  v->counter, v->parent->name, v->per);
        return false;
    }
    if (!is_counter_type(&counter->type) || !m_type_same(&counter->type, &v->column_col->type) ||
        counter->nullable || !counter->default_sql) {
        gen_error(c->d, counter->loc,
                  "versioned: counter '%s.%s' must be NOT NULL, of the type of '%s.%s' (%s), with "
                  "a default (the number before the first row, usually 0)",
                  v->parent->name, counter->name, t->name, v->column,
                  m_type_sql(c->a, &v->column_col->type));
        return false;
    }
    v->counter_col = counter;
    return true;
}

static bool check_versioned_columns(pctx *c, m_table *t, m_versioned *v)
{
    v->column_col = m_find_column(t, v->column);
    v->per_col = m_find_column(t, v->per);
    if (!v->column_col || !v->per_col) {
        gen_error(c->d, v->loc, "versioned: '%s' is not a column of table '%s'",
                  v->column_col ? v->per : v->column, t->name);
        return false;
    }
    if (!is_counter_type(&v->column_col->type) || v->column_col->nullable) {
        gen_error(c->d, v->column_col->loc,
                  "versioned: column '%s' must be a NOT NULL integer or bigint", v->column);
        return false;
    }
    if (!(t->operations & OP_CREATE)) {
        gen_error(c->d, v->loc, "versioned: table '%s' has no create operation to number its rows",
                  t->name);
        return false;
    }
    return true;
}

void gen_check_versioned(pctx *c, m_table *t)
{
    m_versioned *v = &t->versioned;
    if (!v->column || !check_versioned_columns(c, t, v))
        return;
    v->parent = per_parent(c, t, v);
    if (!v->parent) {
        gen_error(c->d, v->loc, "versioned: per column '%s' must reference the parent row", v->per);
        return;
    }
    if (!check_counter(c, t, v))
        return;
    add_scope_key(c, t, v);
    /* The server numbers the rows: neither create nor update writes these. */
    v->column_col->server_written = true;
    v->counter_col->server_written = true;
}

bool m_is_version_column(const m_table *t, const m_column *c)
{
    return t->versioned.column_col == c && c;
}

bool m_is_version_parent_key(const m_table *t, const m_column *c)
{
    const m_versioned *v = &t->versioned;
    for (size_t i = 0; v->parent && i < v->keys.n; i++)
        if (strcmp(v->keys.items[i], c->name) == 0)
            return true;
    return false;
}

/* ---- scope bound through a parent row -------------------------------- */

/* The table a FROM/JOIN/UPDATE/INTO of the statement names `name` (by its
 * own name or an alias). */
static m_table *aliased(const pctx *c, const sql_scan *s, const char *name)
{
    for (size_t i = 0; i + 1 < s->n; i++) {
        const sql_tok *t = &s->toks[i];
        if (!(sql_tok_is(t, "from") || sql_tok_is(t, "join") || sql_tok_is(t, "update") ||
              sql_tok_is(t, "into")) ||
            s->toks[i + 1].kind != TK_IDENT)
            continue;
        m_table *table = m_find_table(c->s, s->toks[i + 1].text);
        if (!table)
            continue;
        size_t a = i + 2;
        if (a < s->n && sql_tok_is(&s->toks[a], "as"))
            a++;
        if (strcmp(table->name, name) == 0 ||
            (a < s->n && s->toks[a].kind == TK_IDENT && strcmp(s->toks[a].text, name) == 0))
            return table;
    }
    return NULL;
}

static bool tok_is_punct(const sql_scan *s, size_t i, const char *p)
{
    return i < s->n && s->toks[i].kind == TK_PUNCT && strcmp(s->toks[i].text, p) == 0;
}

/* The column named by tokens [i, *end): `col` (looked up in dflt) or
 * `alias.col`. */
static const m_column *column_at(const pctx *c, const sql_scan *s, size_t i, const m_table *dflt,
                                 size_t *end)
{
    if (i >= s->n || s->toks[i].kind != TK_IDENT)
        return NULL;
    if (tok_is_punct(s, i + 1, ".") && i + 2 < s->n && s->toks[i + 2].kind == TK_IDENT) {
        const m_table *t = aliased(c, s, s->toks[i].text);
        *end = i + 3;
        return t ? m_find_column(t, s->toks[i + 2].text) : NULL;
    }
    *end = i + 1;
    return dflt ? m_find_column(dflt, s->toks[i].text) : NULL;
}

/* INSERT INTO t (a, scope, ...) SELECT x, p.scope, ...: the select item at
 * the scope column's position is the parent's scope column. */
static bool insert_copies_scope(const pctx *c, const m_query *q, const sql_scan *s,
                                const m_table *parent)
{
    if (s->n < 4 || !sql_tok_is(&s->toks[0], "insert") || !tok_is_punct(s, 3, "("))
        return false;
    size_t pos = 0, k = 4;
    bool found = false;
    for (; k < s->n && !tok_is_punct(s, k, ")"); k++) {
        if (tok_is_punct(s, k, ","))
            pos += !found;
        else if (s->toks[k].kind == TK_IDENT && strcmp(s->toks[k].text, q->table->scope) == 0)
            found = true;
    }
    if (!found || k + 1 >= s->n || !sql_tok_is(&s->toks[k + 1], "select"))
        return false;
    size_t i = k + 2;
    int depth = 0;
    for (size_t item = 0; i < s->n && item < pos; i++) { /* skip to the pos-th item */
        if (tok_is_punct(s, i, "("))
            depth++;
        else if (tok_is_punct(s, i, ")"))
            depth--;
        else if (depth == 0 && tok_is_punct(s, i, ","))
            item++;
    }
    size_t end;
    const m_column *col = column_at(c, s, i, parent, &end);
    return col == parent->scope_col && end < s->n &&
           (tok_is_punct(s, end, ",") || sql_tok_is(&s->toks[end], "from"));
}

/* `x.scope = p.scope` (either way round) somewhere in the statement. */
static bool equates_scope(const pctx *c, const m_query *q, const sql_scan *s, const m_table *parent)
{
    for (size_t i = 0; i < s->n; i++) {
        size_t end, end2;
        const m_column *a = column_at(c, s, i, q->table, &end);
        if (!a || end >= s->n || s->toks[end].kind != TK_OP || strcmp(s->toks[end].text, "=") != 0)
            continue;
        const m_column *b = column_at(c, s, end + 1, q->table, &end2);
        if ((a == q->table->scope_col && b == parent->scope_col) ||
            (b == q->table->scope_col && a == parent->scope_col))
            return true;
    }
    return false;
}

bool gen_scope_bound_through_parent(const pctx *c, const m_query *q, const sql_scan *s)
{
    const m_table *t = q->table;
    for (size_t i = 0; i < q->nparams; i++) {
        const m_param *p = &q->params[i];
        for (size_t k = 0; k < p->ncompared && !p->optional; k++) {
            const m_table *parent = p->compared[k]->table;
            if (parent == t || p->assigned[k] || !parent->scope_col ||
                p->compared[k] != parent->scope_col || strcmp(parent->scope, t->scope) != 0)
                continue;
            if (insert_copies_scope(c, q, s, parent) || equates_scope(c, q, s, parent))
                return true;
        }
    }
    return false;
}
