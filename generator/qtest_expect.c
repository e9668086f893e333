/* Loading of a query test's expectations: the rows or number that must
 * come back (`expect`), the status instead of success (`status`) and the SQL
 * that must hold afterwards (`check`). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "qtest_internal.h"

static const char *const statuses[][2] = {
    {"not_found", "SC_NOT_FOUND"}, {"conflict", "SC_CONFLICT"},
    {"foreign_key", "SC_FOREIGN_KEY"}, {"check", "SC_CHECK"}, {"not_null", "SC_NOT_NULL"},
    {"invalid_input", "SC_INVALID_INPUT"}, {"access_denied", "SC_ACCESS_DENIED"}};

static bool comparable(const m_type *t)
{
    if (t->array)
        return false;
    switch (t->kind) {
    case T_SMALLINT: case T_INTEGER: case T_BIGINT: case T_SERIAL: case T_BIGSERIAL:
    case T_BOOLEAN: case T_TEXT: case T_VARCHAR: case T_UUID: case T_ENUM: case T_JSON:
    case T_JSONB:
        return true;
    default:
        return false;
    }
}

/* A result column of the query by name: declared, or the table's. */
static bool result_column(const m_query *q, const char *name, qt_field *f, const m_column **col)
{
    *col = NULL;
    if (q->ncolumns) {
        for (size_t i = 0; i < q->ncolumns; i++)
            if (strcmp(q->columns[i].name, name) == 0) {
                f->name = q->columns[i].name;
                f->type = q->columns[i].type;
                f->nullable = q->columns[i].nullable;
                return true;
            }
        return false;
    }
    const m_column *c = m_find_column(q->table, name);
    if (!c)
        return false;
    f->name = c->name;
    f->type = c->type;
    f->nullable = c->nullable;
    *col = c;
    return true;
}

static void expect_label(tctx *tc, const ynode *n, qt_expect_row *row)
{
    pctx *c = tc->c;
    const m_query *q = tc->q;
    const char *label = n->text[0] == '@' ? n->text + 1 : n->text; /* "@a" reads as a too */
    trow *r = qt_find_row(tc, label);
    if (!r) {
        gen_error(c->d, n->loc, "unknown row label '%s' (an expected row is a label or a mapping of columns)", label);
        return;
    }
    if (r->t != q->table || q->ncolumns) {
        gen_error(c->d, n->loc, "'%s' is a row of %s, but %s returns %s", n->text, r->t->name, q->name,
                  q->ncolumns ? "declared columns: expect a mapping" : gen_printf(c->a, "rows of %s", q->table->name));
        return;
    }
    const m_table *t = q->table;
    row->label = r->label;
    row->fields = gen_alloc(c->a, t->primary_key.n * sizeof *row->fields);
    for (size_t i = 0; i < t->primary_key.n; i++) {
        const m_column *col = m_find_column(t, t->primary_key.items[i]);
        tcol *v = qt_row_value(tc, r, col, n->loc);
        if (v->opaque || v->omitted)
            continue; /* a computed key follows from the columns compared */
        qt_field *f = &row->fields[row->n++];
        f->name = col->name;
        f->type = col->type;
        f->value.loc = n->loc;
        f->value.text = v->raw;
    }
}

static void expect_mapping(tctx *tc, const ynode *m, qt_expect_row *row)
{
    pctx *c = tc->c;
    row->fields = gen_alloc(c->a, (m->n + 1) * sizeof *row->fields);
    for (size_t i = 0; i < m->n; i++) {
        qt_field *f = &row->fields[row->n];
        const m_column *col;
        if (!result_column(tc->q, m->keys[i]->text, f, &col)) {
            gen_error(c->d, m->keys[i]->loc, "%s returns no column '%s'", tc->q->name, m->keys[i]->text);
            continue;
        }
        if (!comparable(&f->type)) {
            gen_error(c->d, m->keys[i]->loc, "a %s column cannot be compared in 'expect': use 'check'",
                      m_type_sql(c->a, &f->type));
            continue;
        }
        qt_resolve_node(tc, m->vals[i], &f->type, col, col ? tc->q->table : NULL, &f->value);
        if (!f->value.text && !f->nullable) {
            gen_error(c->d, m->vals[i]->loc, "column '%s' is never NULL", f->name);
            continue;
        }
        row->n++;
    }
}

static void load_expect_rows(tctx *tc, m_qtest *qt, const ynode *e)
{
    pctx *c = tc->c;
    if (!expect_kind(c, e, Y_SEQ, gen_printf(c->a, "'expect' of a '%s' query (a list of rows)",
                                             tc->q->returns == RET_ONE ? "one" : "many")))
        return;
    if (tc->q->returns == RET_ONE && e->n > 1)
        gen_error(c->d, e->loc, "'%s' returns one row: expect [] or [row]", tc->q->name);
    qt->expect = gen_alloc(c->a, (e->n + 1) * sizeof *qt->expect);
    for (size_t i = 0; i < e->n; i++) {
        const ynode *item = e->vals[i];
        qt_expect_row *row = &qt->expect[qt->nexpect++];
        if (item->kind == Y_SCALAR)
            expect_label(tc, item, row);
        else if (item->kind == Y_MAP)
            expect_mapping(tc, item, row);
        else
            gen_error(c->d, item->loc, "an expected row is a label or a mapping of columns");
    }
    if (tc->q->returns == RET_ONE && e->n == 0 && strcmp(qt->status, "SC_OK") == 0)
        qt->status = "SC_NOT_FOUND";
}

void qt_load_expect(tctx *tc, m_qtest *qt, const ynode *e)
{
    pctx *c = tc->c;
    m_returns ret = tc->q->returns;
    if (!e) {
        if ((ret == RET_ONE || ret == RET_MANY || ret == RET_EXECROWS || ret == RET_COUNT) &&
            strcmp(qt->status, "SC_OK") == 0)
            gen_error(c->d, tc->loc, "this test of %s needs 'expect' (or a 'status')", tc->q->name);
        return;
    }
    if (strcmp(qt->status, "SC_OK") != 0) {
        gen_error(c->d, e->loc, "'expect' and 'status' exclude each other (a failed call returns nothing)");
        return;
    }
    if (ret == RET_ONE || ret == RET_MANY) {
        load_expect_rows(tc, qt, e);
    } else if (ret == RET_EXECROWS || ret == RET_COUNT) {
        char *end = NULL;
        if (e->kind == Y_SCALAR)
            qt->count = strtoll(e->text, &end, 10);
        if (e->kind != Y_SCALAR || !*e->text || *end || qt->count < 0)
            gen_error(c->d, e->loc, "'expect' of %s query is a number of rows",
                      ret == RET_COUNT ? "a count" : "an execrows");
        qt->has_count = true;
    } else {
        gen_error(c->d, e->loc, "an 'exec' query returns nothing to expect: prove its effect with 'check'");
    }
}

const char *qt_load_status(tctx *tc, const ynode *n)
{
    if (!n)
        return "SC_OK";
    const char *names[8];
    size_t k = 0;
    for (; k < sizeof statuses / sizeof *statuses; k++) {
        names[k] = statuses[k][0];
        if (n->kind == Y_SCALAR && strcmp(n->text, statuses[k][0]) == 0)
            return statuses[k][1];
    }
    const char *h = closest_name(n->kind == Y_SCALAR ? n->text : "", names, k);
    gen_error(tc->c->d, n->loc, "unknown status '%s' (%s%s%s)", n->kind == Y_SCALAR ? n->text : "?",
              h ? "did you mean '" : "one of not_found, conflict, foreign_key, check, not_null, invalid_input, access_denied",
              h ? h : "", h ? "'?" : "");
    return "SC_OK";
}

/* check: SQL with @label and @label.column replaced by literals; "@@" and
 * other @ operators are left alone. */
const char *qt_load_check(tctx *tc, const ynode *n)
{
    pctx *c = tc->c;
    if (!n || n->kind != Y_SCALAR) {
        if (n)
            gen_error(c->d, n->loc, "'check' is SQL returning one boolean");
        return NULL;
    }
    gen_buf b;
    gen_buf_init(&b, c->a);
    const char *p = n->text;
    while (*p) {
        if (p[0] == '@' && p[1] == '@') {
            gen_buf_add(&b, p, 2);
            p += 2;
            continue;
        }
        size_t len = p[0] == '@' ? strspn(p + 1, LABEL_CHARS) : 0;
        if (!len) {
            gen_buf_add(&b, p, 1);
            p++;
            continue;
        }
        if (p[1 + len] == '.')
            len += 1 + strspn(p + 2 + len, LABEL_CHARS);
        ynode ref = *n;
        ref.text = gen_strndup(c->a, p, len + 1);
        const char *sql = "NULL";
        qt_label_value(tc, &ref, NULL, NULL, &sql);
        gen_buf_puts(&b, sql);
        p += 1 + len;
    }
    return b.data;
}
