/* Loading of query tests: checks every name in `tests:` against the model and
 * resolves the fixture. A row's columns are resolved lazily (a label may
 * point at a row given later, or at a parent made on demand), each once. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "keys.h"
#include "parse_util.h"
#include "qtest.h"
#include "sqlscan.h"
#include "type_oids.h"
#include "qtest_arrays.h"
#include "qtest_internal.h"

enum { FIRST_SERIAL = 1001 };


/* "<owner> has no <what> 'word'" (or "unknown <what>"), with a hint. */
static void unknown(pctx *c, gen_loc loc, const char *owner, const char *what, const char *word,
                    const char *const *names, size_t n)
{
    const char *h = closest_name(word, names, n);
    const char *hint = h ? gen_printf(c->a, " (did you mean '%s'?)", h) : "";
    if (owner)
        gen_error(c->d, loc, "%s has no %s '%s'%s", owner, what, word, hint);
    else
        gen_error(c->d, loc, "unknown %s '%s'%s", what, word, hint);
}

/* ---- the rows of a test ---------------------------------------------- */

trow *qt_find_row(const tctx *tc, const char *label)
{
    for (size_t i = 0; i < tc->n; i++)
        if (tc->rows[i]->label && strcmp(tc->rows[i]->label, label) == 0)
            return tc->rows[i];
    return NULL;
}

static trow *add_row(tctx *tc, const m_table *t, const char *label, gen_loc loc,
                     const ynode *given)
{
    trow *r = gen_alloc(tc->c->a, sizeof *r);
    r->t = t;
    r->label = label;
    r->loc = loc;
    r->given = given;
    r->cols = gen_alloc(tc->c->a, t->ncolumns * sizeof *r->cols);
    r->seq = tc->n;
    gen_grow(tc->c->a, (void **)&tc->rows, &tc->cap, tc->n + 1, sizeof *tc->rows);
    tc->rows[tc->n++] = r;
    return r;
}

/* The parent row made for foreign keys into t that a test leaves out. */
static trow *made_parent(tctx *tc, const m_table *t)
{
    const char *label = gen_printf(tc->c->a, "_%s", t->name);
    trow *r = qt_find_row(tc, label);
    return r ? r : add_row(tc, t, label, tc->loc, NULL);
}

/* The table and column a column refers to, or false. */
static bool foreign_key_of(const m_schema *s, const m_table *t, const m_column *c,
                           const m_table **to, const m_column **col)
{
    if (c->references) {
        const char *dot = strchr(c->references, '.');
        char table[128];
        size_t n = (size_t)(dot - c->references);
        if (!dot || n >= sizeof table)
            return false;
        memcpy(table, c->references, n);
        table[n] = 0;
        *to = m_find_table(s, table);
        *col = *to ? m_find_column(*to, dot + 1) : NULL;
        return *col != NULL;
    }
    for (size_t i = 0; i < t->nfks; i++)
        for (size_t k = 0; k < t->fks[i].columns.n; k++)
            if (strcmp(t->fks[i].columns.items[k], c->name) == 0 && t->fks[i].target) {
                *to = t->fks[i].target;
                *col = m_find_column(*to, t->fks[i].ref_columns.items[k]);
                return *col != NULL;
            }
    return false;
}

static bool is_int(const m_type *t)
{
    return !t->array && (t->kind == T_SMALLINT || t->kind == T_INTEGER || t->kind == T_BIGINT ||
                         t->kind == T_SERIAL || t->kind == T_BIGSERIAL);
}

static bool is_uuid(const m_type *t, bool uuid_text)
{
    return !t->array && (t->kind == T_UUID || uuid_text);
}

static const char *uuid_of(gen_arena *a, int n)
{
    return gen_printf(a, "00000000-0000-4000-8000-%012d", n);
}

/* A value a simple column CHECK accepts: the first of `IN ('a', ...)` or
 * the low end of `BETWEEN x AND y`; NULL when the check is of another form
 * (`> 0`, `<> ''` accept the made-up values as they are). */
static const char *checked_value(gen_arena *a, const char *check)
{
    const char *in = strstr(check, " IN (");
    if (in) {
        const char *q = strchr(in, '\'');
        const char *end = q ? strchr(q + 1, '\'') : NULL;
        return end ? gen_strndup(a, q + 1, (size_t)(end - q - 1)) : NULL;
    }
    const char *between = strstr(check, "BETWEEN ");
    if (between) {
        const char *v = between + 8;
        return gen_strndup(a, v, strspn(v, "-0123456789"));
    }
    return NULL;
}

/* A value for a required column the test leaves out: unique in the test. */
static const char *filled_value(tctx *tc, const trow *r, const m_column *c)
{
    gen_arena *a = tc->c->a;
    const m_type *t = &c->type;
    if (t->kind == T_SERIAL || t->kind == T_BIGSERIAL) /* ids in insert order */
        return gen_printf(a, "%d", FIRST_SERIAL + tc->serials++);
    int n = ++tc->counter;
    const char *allowed = c->check ? checked_value(a, c->check) : NULL;
    if (allowed)
        return allowed;
    if (t->array)
        return "{}";
    if (is_uuid(t, c->uuid_text))
        return uuid_of(a, n);
    switch (t->kind) {
    case T_SMALLINT: case T_INTEGER: case T_BIGINT: case T_NUMERIC: case T_REAL: case T_DOUBLE:
    case T_SERIAL: case T_BIGSERIAL:
        return gen_printf(a, "%d", n);
    case T_BOOLEAN: return "false";
    case T_ENUM: return t->en ? t->en->values.items[0] : "";
    case T_TIMESTAMPTZ: return "2026-01-01 00:00:00+00";
    case T_TIMESTAMP: return "2026-01-01 00:00:00";
    case T_DATE: return "2026-01-01";
    case T_INTERVAL: return "0";
    case T_JSON: case T_JSONB: return gen_printf(a, "{\"%s\": %d}", c->name, n);
    case T_BYTEA: return "\\x00";
    case T_TSVECTOR: return "";
    case T_VECTOR: case T_HALFVEC: return qt_vector_made(a, t);
    case T_TEXT: case T_VARCHAR: {
        const char *v = gen_printf(a, "%s-%d", c->name, n);
        if (t->kind == T_VARCHAR && t->p > 0 && (int)strlen(v) > t->p)
            v = gen_printf(a, "%d", n);
        return v;
    }
    default:
        if (m_type_sample_text(a, t))
            return m_type_sample_text(a, t);
        gen_error(tc->c->d, r->given ? r->loc : tc->loc,
                  "column '%s.%s' needs a value in this test (none can be made up for its type)",
                  r->t->name, c->name);
        return "";
    }
}


/* Numbers and booleans unquoted (they read better), the rest quoted. */
static const char *sql_literal(gen_arena *a, const m_type *t, const char *raw)
{
    if (!raw)
        return "NULL";
    bool plain = !t->array && (is_int(t) || t->kind == T_BOOLEAN) && *raw &&
                 strspn(raw, "-0123456789truefals") == strlen(raw);
    return plain ? raw : ddl_literal(a, raw);
}

static void set_value(tcol *v, gen_arena *a, const m_type *t, const char *raw)
{
    v->raw = raw;
    v->sql = sql_literal(a, t, raw);
}

/* expr with every bare reference to column replaced by value (no
 * subquery: Citus refuses one inside INSERT ... VALUES). */
static const char *substitute_column(gen_arena *a, const char *expr, const char *column,
                                     const char *value)
{
    sql_scan scan;
    if (!sql_tokenize(a, expr, &scan))
        return NULL;
    gen_buf b;
    gen_buf_init(&b, a);
    size_t at = 0;
    for (size_t i = 0; i < scan.n; i++) {
        const sql_tok *t = &scan.toks[i];
        bool qualified = i > 0 && scan.toks[i - 1].kind == TK_PUNCT &&
                         strcmp(scan.toks[i - 1].text, ".") == 0;
        bool call = i + 1 < scan.n && scan.toks[i + 1].kind == TK_PUNCT &&
                    strcmp(scan.toks[i + 1].text, "(") == 0;
        if (t->kind != TK_IDENT || strcmp(t->text, column) != 0 || qualified || call)
            continue;
        gen_buf_printf(&b, "%.*s%s", (int)(t->offset - at), expr + at, value);
        at = t->offset + t->len;
    }
    gen_buf_puts(&b, expr + at);
    return b.data;
}

/* The partition key as the partition expression over the source's value. */
static void computed_key(tctx *tc, trow *r, const m_column *c, tcol *v)
{
    const m_partition *p = r->t->partition;
    tcol *src = qt_row_value(tc, r, p->source_col, tc->loc);
    const char *value = gen_printf(tc->c->a, "(%s::%s)", src->sql,
                                   ddl_type_sql(tc->c->a, tc->c->s, &p->source_col->type));
    const char *key = substitute_column(tc->c->a, p->expression, p->source, value);
    v->opaque = true;
    v->sql = key ? gen_printf(tc->c->a, "(%s)", key)
                 : gen_printf(tc->c->a, "(SELECT %s FROM (SELECT %s AS %s) AS k)", p->expression,
                              value, p->source);
    (void)c;
}

/* A table CHECK naming the column (made-up values would not know its rule). */
static bool in_multi_column_check(const m_table *t, const m_column *c)
{
    for (size_t i = 0; i < t->nchecks; i++)
        if (t->checks[i].expr && strstr(t->checks[i].expr, c->name))
            return true;
    return false;
}

static void fill_column(tctx *tc, trow *r, const m_column *c, tcol *v)
{
    const m_table *to;
    const m_column *ref;
    bool serial = c->type.kind == T_SERIAL || c->type.kind == T_BIGSERIAL;
    bool in_pk = false;
    for (size_t i = 0; i < r->t->primary_key.n; i++)
        in_pk |= strcmp(r->t->primary_key.items[i], c->name) == 0;
    if (m_is_computed_key(r->t, c))
        computed_key(tc, r, c, v);
    else if (serial || (in_pk && c->default_sql))
        set_value(v, tc->c->a, &c->type, filled_value(tc, r, c));
    else if (m_is_version_column(r->t, c)) /* numbered by create; a fixture row gives it */
        set_value(v, tc->c->a, &c->type, filled_value(tc, r, c));
    else if (c->generated || c->server_written ||
             ((c->nullable || c->default_sql) && !(r->every && !in_multi_column_check(r->t, c))))
        v->omitted = true;
    else if (foreign_key_of(tc->c->s, r->t, c, &to, &ref) && tc->shallow)
        *v = (tcol){.parent = to, .parent_col = ref, .sql = "NULL"};
    else if (foreign_key_of(tc->c->s, r->t, c, &to, &ref))
        *v = *qt_row_value(tc, made_parent(tc, to), ref, tc->loc);
    else
        set_value(v, tc->c->a, &c->type, filled_value(tc, r, c));
}

tcol *qt_row_value(tctx *tc, trow *r, const m_column *c, gen_loc use)
{
    tcol *v = &r->cols[c - r->t->columns];
    if (v->done)
        return v;
    if (v->busy) {
        gen_error(tc->c->d, use, "row labels refer to each other in a cycle at '%s.%s'",
                  r->t->name, c->name);
        v->done = true;
        v->sql = "NULL";
        return v;
    }
    v->busy = true;
    const ynode *given = r->given ? ymap_get(r->given, c->name) : NULL;
    if (given) {
        qt_value q;
        qt_resolve_node(tc, given, &c->type, c, r->t, &q);
        set_value(v, tc->c->a, &c->type, q.text);
    } else {
        fill_column(tc, r, c, v);
    }
    v->busy = false;
    v->done = true;
    return v;
}

/* ---- values ----------------------------------------------------------- */

static json_t *to_json(const ynode *n)
{
    if (n->kind == Y_MAP) {
        json_t *o = json_object();
        for (size_t i = 0; i < n->n; i++)
            json_object_set_new(o, n->keys[i]->text, to_json(n->vals[i]));
        return o;
    }
    if (n->kind == Y_SEQ) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n->n; i++)
            json_array_append_new(arr, to_json(n->vals[i]));
        return arr;
    }
    if (ynode_is_null(n))
        return json_null();
    if (n->plain) {
        json_error_t e;
        json_t *v = json_loads(n->text, JSON_DECODE_ANY, &e);
        if (v && !json_is_object(v) && !json_is_array(v))
            return v; /* numbers, true, false */
        json_decref(v);
    }
    return json_string(n->text);
}


/* '{...}' of a sequence; an element "@label.column" is that row's value. */
static const char *array_literal(tctx *tc, const ynode *n, qt_value *out)
{
    gen_buf b;
    gen_buf_init(&b, tc->c->a);
    gen_buf_puts(&b, "{");
    out->items = gen_alloc(tc->c->a, (n->n + 1) * sizeof *out->items);
    for (size_t i = 0; i < n->n; i++) {
        const ynode *e = n->vals[i];
        if (e->kind != Y_SCALAR) {
            gen_error(tc->c->d, e->loc, "an array element must be a scalar");
            continue;
        }
        const char *text = e->text;
        if (text[0] == '@' && text[1] != '@')
            text = qt_label_value(tc, e, NULL, NULL, NULL);
        else if (text[0] == '@')
            text++;
        if (!text)
            text = "";
        out->items[out->nitems++] = text;
        gen_buf_puts(&b, i ? ",\"" : "\"");
        for (const char *p = text; *p; p++) {
            if (*p == '"' || *p == '\\')
                gen_buf_puts(&b, "\\");
            gen_buf_add(&b, p, 1);
        }
        gen_buf_puts(&b, "\"");
    }
    gen_buf_puts(&b, "}");
    return b.data;
}

/* "@label" or "@label.column": the value of that row's column. */
const char *qt_label_value(tctx *tc, const ynode *n, const m_column *ctx_col,
                           const m_table *ctx_table, const char **sql)
{
    pctx *c = tc->c;
    const char *ref = n->text + 1, *dot = strchr(ref, '.');
    const char *label = dot ? gen_strndup(c->a, ref, (size_t)(dot - ref)) : ref;
    trow *r = qt_find_row(tc, label);
    if (!r) {
        gen_error(c->d, n->loc, "unknown row label '%s' (give a row 'as: %s' in 'given')", label, label);
        return NULL;
    }
    const m_column *col = NULL;
    const m_table *to;
    const m_column *ref_col;
    if (dot) {
        col = m_find_column(r->t, dot + 1);
        if (!col) {
            gen_error(c->d, n->loc, "table '%s' has no column '%s'", r->t->name, dot + 1);
            return NULL;
        }
    } else if (ctx_col && ctx_table && foreign_key_of(c->s, ctx_table, ctx_col, &to, &ref_col) &&
               to == r->t) {
        col = ref_col;
    } else if (r->t->primary_key.n == 1) {
        col = m_find_column(r->t, r->t->primary_key.items[0]);
    } else {
        gen_error(c->d, n->loc, "'%s' is a row of %s, whose key has %zu columns: write '@%s.<column>'",
                  label, r->t->name, r->t->primary_key.n, label);
        return NULL;
    }
    tcol *v = qt_row_value(tc, r, col, n->loc);
    if (v->omitted || v->opaque) {
        gen_error(c->d, n->loc, "the value of '%s.%s' is not known to the test: give it in row '%s'",
                  r->t->name, col->name, label);
        return NULL;
    }
    if (sql)
        *sql = v->sql;
    return v->raw;
}

static void check_scalar(tctx *tc, const ynode *n, const m_type *type)
{
    pctx *c = tc->c;
    if (type->array)
        return;
    if (is_int(type)) {
        char *end;
        strtoll(n->text, &end, 10);
        if (!*n->text || *end)
            gen_error(c->d, n->loc, "'%s' is not an integer", n->text);
    } else if (type->kind == T_BOOLEAN && strcmp(n->text, "true") && strcmp(n->text, "false")) {
        gen_error(c->d, n->loc, "'%s' is not a boolean (true or false)", n->text);
    } else if (type->kind == T_ENUM && type->en) {
        const m_names *vals = &type->en->values;
        for (size_t i = 0; i < vals->n; i++)
            if (strcmp(vals->items[i], n->text) == 0)
                return;
        const char *h = closest_name(n->text, vals->items, vals->n);
        gen_error(c->d, n->loc, "'%s' is not a value of enum %s%s%s%s", n->text, type->en->name,
                  h ? " (did you mean '" : "", h ? h : "", h ? "'?)" : "");
    }
}

void qt_resolve_node(tctx *tc, const ynode *n, const m_type *type, const m_column *ctx_col,
                     const m_table *ctx_table, qt_value *out)
{
    pctx *c = tc->c;
    memset(out, 0, sizeof *out);
    out->loc = n->loc;
    if (qt_is_vector(type) && !(n->kind == Y_SCALAR && ((ynode_is_null(n) && n->plain) || n->text[0] == '@'))) {
        qt_vector_value(c->a, c->d, n, type, out);
        return;
    }
    if (n->kind != Y_SCALAR) {
        if (type->array && n->kind == Y_SEQ) {
            out->text = array_literal(tc, n, out);
        } else if (type->kind == T_JSON || type->kind == T_JSONB) {
            json_t *j = to_json(n);
            /* Into the arena, not json_dumps: under generate, jansson's memory
             * is a scratch arena that free() must not see (generate.c). */
            size_t len = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
            char *text = gen_alloc(c->a, len + 1);
            json_dumpb(j, text, len, JSON_COMPACT | JSON_ENCODE_ANY);
            out->text = text;
            json_decref(j);
        } else {
            gen_error(c->d, n->loc, "a %s is a value only for a json or array column",
                      n->kind == Y_MAP ? "mapping" : "sequence");
            out->text = "";
        }
        return;
    }
    if (ynode_is_null(n) && n->plain) {
        out->text = NULL;
        return;
    }
    if (n->text[0] == '@' && n->text[1] != '@') {
        out->text = qt_label_value(tc, n, ctx_col, ctx_table, NULL);
        if (!out->text)
            out->text = "";
        return;
    }
    out->text = n->text[0] == '@' ? n->text + 1 : n->text;
    if (out->text == n->text)
        check_scalar(tc, n, type);
}

/* ---- given ----------------------------------------------------------- */

static void declare_rows(tctx *tc, const ynode *given)
{
    pctx *c = tc->c;
    if (!expect_kind(c, given, Y_MAP, "'given'"))
        return;
    for (size_t i = 0; i < given->n; i++) {
        const char *tname = given->keys[i]->text;
        const m_table *t = m_find_table(c->s, tname);
        if (!t) {
            const char *names[256];
            size_t k = 0;
            for (; k < c->s->ntables && k < 256; k++)
                names[k] = c->s->tables[k].name;
            unknown(c, given->keys[i]->loc, NULL, "table", tname, names, k);
            continue;
        }
        const ynode *rows = given->vals[i];
        if (!expect_kind(c, rows, Y_SEQ, "the rows of a table"))
            continue;
        for (size_t k = 0; k < rows->n; k++) {
            const ynode *row = rows->vals[k];
            if (!expect_kind(c, row, Y_MAP, "a row"))
                continue;
            const char *label = NULL;
            for (size_t j = 0; j < row->n; j++) {
                const char *key = row->keys[j]->text;
                if (strcmp(key, "as") == 0) {
                    label = row->vals[j]->text;
                    if (row->vals[j]->kind != Y_SCALAR || !label || !*label)
                        gen_error(c->d, row->vals[j]->loc, "'as' must be a label");
                    else if (qt_find_row(tc, label))
                        gen_error(c->d, row->vals[j]->loc, "label '%s' is used twice in this test", label);
                    else if (strspn(label, LABEL_CHARS) != strlen(label) ||
                             (label[0] >= '0' && label[0] <= '9'))
                        gen_error(c->d, row->vals[j]->loc,
                                  "row label '%s' must be [a-z_][a-z0-9_]* (it is written \"@%s\")",
                                  label, label);
                } else if (!m_find_column(t, key)) {
                    const char *names[512];
                    size_t m = 0;
                    for (; m < t->ncolumns && m < 512; m++)
                        names[m] = t->columns[m].name;
                    unknown(c, row->keys[j]->loc, t->name, "column", key, names, m);
                }
            }
            add_row(tc, t, label, row->loc, row);
        }
    }
}

/* Serial ids follow the order rows are written in, whatever order labels
 * are resolved in: tests that order by id rely on it. */
static void number_rows(tctx *tc)
{
    for (size_t i = 0; i < tc->n; i++)
        for (size_t k = 0; k < tc->rows[i]->t->ncolumns; k++) {
            const m_column *c = &tc->rows[i]->t->columns[k];
            if (c->type.kind == T_SERIAL || c->type.kind == T_BIGSERIAL)
                qt_row_value(tc, tc->rows[i], c, tc->rows[i]->loc);
        }
}

/* Foreign-key depth: rows of a table go in after the rows it references.
 * Memoized (depths[i] < 0: not known yet; INT_MIN: being computed, a cycle
 * through other tables counts as depth 0), so a chain of n tables costs
 * O(n) and not O(n^2) per table; no depth cap, so a chain deeper than any
 * fixed limit still inserts parents first. */
enum { DEPTH_UNKNOWN = -1, DEPTH_VISITING = -2 };

static int depth(const m_schema *s, int *depths, const m_table *t)
{
    size_t me = (size_t)(t - s->tables);
    if (depths[me] == DEPTH_VISITING)
        return 0;
    if (depths[me] != DEPTH_UNKNOWN)
        return depths[me];
    depths[me] = DEPTH_VISITING;
    int d = 0;
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_table *to;
        const m_column *col;
        if (foreign_key_of(s, t, &t->columns[i], &to, &col) && to != t) {
            int k = depth(s, depths, to) + 1;
            d = k > d ? k : d;
        }
    }
    depths[me] = d;
    return d;
}

const int *qt_table_depths(gen_arena *a, const m_schema *s)
{
    if (s->fk_depths)
        return s->fk_depths;
    int *depths = gen_alloc(a, (s->ntables + 1) * sizeof *depths);
    for (size_t i = 0; i < s->ntables; i++)
        depths[i] = DEPTH_UNKNOWN;
    for (size_t i = 0; i < s->ntables; i++)
        depth(s, depths, &s->tables[i]);
    ((m_schema *)s)->fk_depths = depths;
    return depths;
}

static int by_depth(const void *x, const void *y)
{
    const trow *a = *(trow *const *)x, *b = *(trow *const *)y;
    if (a->depth != b->depth)
        return a->depth - b->depth;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static const char *insert_sql(tctx *tc, const trow *r)
{
    gen_buf cols, vals;
    gen_buf_init(&cols, tc->c->a);
    gen_buf_init(&vals, tc->c->a);
    for (size_t i = 0; i < r->t->ncolumns; i++) {
        const tcol *v = &r->cols[i];
        if (v->omitted)
            continue;
        if (cols.data) {
            gen_buf_puts(&cols, ", ");
            gen_buf_puts(&vals, ", ");
        }
        gen_buf_puts(&cols, r->t->columns[i].name);
        gen_buf_puts(&vals, v->sql);
    }
    const char *table = ddl_qualify(tc->c->a, tc->c->s, r->t->name);
    if (!cols.data)
        return gen_printf(tc->c->a, "INSERT INTO %s DEFAULT VALUES", table);
    return gen_printf(tc->c->a, "INSERT INTO %s (%s) VALUES (%s)", table, cols.data, vals.data);
}

static void resolve_rows(tctx *tc, m_qtest *qt)
{
    for (size_t i = 0; i < tc->n; i++) /* tc->n grows as parents are made */
        for (size_t k = 0; k < tc->rows[i]->t->ncolumns; k++)
            qt_row_value(tc, tc->rows[i], &tc->rows[i]->t->columns[k], tc->rows[i]->loc);
    for (size_t i = 0; i < tc->n; i++)
        tc->rows[i]->depth = tc->depths[tc->rows[i]->t - tc->c->s->tables];
    if (tc->n)
        qsort(tc->rows, tc->n, sizeof *tc->rows, by_depth);
    qt->nrows = tc->n;
    qt->rows = gen_alloc(tc->c->a, tc->n * sizeof *qt->rows);
    for (size_t i = 0; i < tc->n; i++)
        qt->rows[i] = (qt_row){tc->rows[i]->t, tc->rows[i]->label, insert_sql(tc, tc->rows[i])};
}

/* ---- args, expect, check --------------------------------------------- */

static bool arg_type_supported(const m_type *t)
{
    if (t->array)
        return qt_array_arg_supported(t);
    switch (t->kind) {
    case T_NUMERIC: case T_REAL: case T_DOUBLE: case T_DATE: case T_INTERVAL:
    case T_TSVECTOR:
        return false;
    default:
        return true;
    }
}

static void load_args(tctx *tc, m_qtest *qt, const ynode *args)
{
    pctx *c = tc->c;
    const m_query *q = tc->q;
    if (args && !expect_kind(c, args, Y_MAP, "'args'"))
        args = NULL;
    const char *names[64];
    size_t nn = 0;
    qt->args = gen_alloc(c->a, (q->nparams + 1) * sizeof *qt->args);
    for (size_t i = 0; i < q->nparams; i++) {
        const m_param *p = &q->params[i];
        if (p->computed)
            continue;
        if (nn < 64)
            names[nn++] = p->name;
        qt_arg *a = &qt->args[qt->nargs++];
        a->param = p;
        const ynode *v = args ? ymap_get(args, p->name) : NULL;
        if (!v) {
            if (!p->optional)
                gen_error(c->d, args ? args->loc : tc->loc,
                          "argument '%s' of %s is missing (write null for SQL NULL)", p->name, q->name);
            continue;
        }
        if (!arg_type_supported(&p->type)) {
            gen_error(c->d, v->loc, "an argument of type %s cannot be given in a test",
                      m_type_sql(c->a, &p->type));
            continue;
        }
        a->given = true;
        m_type type = p->type;
        if (type.kind == T_ENUM && !type.en)
            type.en = m_find_enum(c->s, type.enum_name);
        const m_column *col = p->from_column;
        if (type.array && v->kind == Y_SCALAR && !ynode_is_null(v))
            qt_array_arg_text(c, v, &type, &a->value);
        else
            qt_resolve_node(tc, v, &type, col, col ? col->table : NULL, &a->value);
        if (type.array)
            qt_check_array_items(c, v, &type, &a->value);
    }
    for (size_t i = 0; args && i < args->n; i++) {
        bool found = false;
        for (size_t k = 0; k < qt->nargs; k++)
            found |= strcmp(qt->args[k].param->name, args->keys[i]->text) == 0;
        if (!found)
            unknown(c, args->keys[i]->loc, q->name, "parameter", args->keys[i]->text, names, nn);
    }
}

/* ---- entry ------------------------------------------------------------ */

static void load_test(pctx *c, const int *depths, m_query *q, m_qtest *qt, const ynode *m)
{
    check_keys(c, m, gen_known_keys(GK_QUERY_TEST), "a query test");
    tctx tc = {c, q, m->loc, NULL, 0, 0, 0, 0, depths, false};
    qt->loc = m->loc;
    qt->query = q;
    qt->name = get_text(c, m, "name", false, "a query test");
    const ynode *given = ymap_get(m, "given");
    if (given && !ynode_is_null(given))
        declare_rows(&tc, given);
    number_rows(&tc);
    qt->status = qt_load_status(&tc, ymap_get(m, "status"));
    load_args(&tc, qt, ymap_get(m, "args"));
    qt_load_expect(&tc, qt, ymap_get(m, "expect"));
    qt->check = qt_load_check(&tc, ymap_get(m, "check"));
    if (q->returns == RET_EXEC && !qt->check && strcmp(qt->status, "SC_OK") == 0 &&
        !ymap_get(m, "expect"))
        gen_error(c->d, m->loc, "a test of an 'exec' query needs a 'check' that proves its effect");
    resolve_rows(&tc, qt);
}

static void load_query_tests(pctx *c, const int *depths, m_table *t, const ynode *key,
                             const ynode *list)
{
    m_query *q = NULL;
    const char *names[256];
    size_t n = 0;
    for (size_t i = 0; i < t->nqueries; i++) {
        if (strcmp(t->queries[i].name, key->text) == 0)
            q = &t->queries[i];
        if (n < 256)
            names[n++] = t->queries[i].name;
    }
    if (!q) {
        unknown(c, key->loc, t->name, "query", key->text, names, n);
        return;
    }
    if (q->returns == RET_COPY || q->returns == RET_UPSERT) {
        gen_error(c->d, key->loc, "copy and upsert queries have no query tests (they have no WHERE clause)");
        return;
    }
    if (!expect_kind(c, list, Y_SEQ, "the tests of a query"))
        return;
    q->tests = gen_alloc(c->a, list->n * sizeof *q->tests);
    for (size_t i = 0; i < list->n; i++)
        if (expect_kind(c, list->vals[i], Y_MAP, "a query test"))
            load_test(c, depths, q, &q->tests[q->ntests++], list->vals[i]);
}

static void require_tests(pctx *c)
{
    for (size_t i = 0; i < c->s->ntables; i++) {
        const m_table *t = &c->s->tables[i];
        for (size_t k = 0; k < t->nqueries; k++)
            if (t->queries[k].returns != RET_COPY && t->queries[k].returns != RET_UPSERT &&
                !t->queries[k].ntests && !t->queries[k].untested)
                gen_error(c->d, t->queries[k].loc,
                          "query '%s' has no test (require_tests is on): add one under tests.%s.%s",
                          t->queries[k].name, t->name, t->queries[k].name);
    }
}

void gen_load_tests(pctx *c, const ynode *tests)
{
    if (tests && !ynode_is_null(tests) && expect_kind(c, tests, Y_MAP, "'tests'")) {
        const int *depths = qt_table_depths(c->a, c->s);
        for (size_t i = 0; i < tests->n; i++) {
            m_table *t = m_find_table(c->s, tests->keys[i]->text);
            if (!t) {
                gen_error(c->d, tests->keys[i]->loc, "tests for unknown table '%s'", tests->keys[i]->text);
                continue;
            }
            const ynode *group = tests->vals[i];
            if (!expect_kind(c, group, Y_MAP, "the tests of a table"))
                continue;
            for (size_t k = 0; k < group->n; k++)
                load_query_tests(c, depths, t, group->keys[k], group->vals[k]);
        }
    }
    qt_check_untested(c);
    if (c->s->require_tests)
        require_tests(c);
}

/* ---- rows for the generated round-trip tests ------------------------- */

static void copy_made_row(gen_arena *a, const trow *r, qt_made_row *out)
{
    size_t n = r->t->ncolumns;
    out->raw = gen_alloc(a, n * sizeof *out->raw);
    out->set = gen_alloc(a, n * sizeof *out->set);
    out->parent = gen_alloc(a, n * sizeof *out->parent);
    out->parent_col = gen_alloc(a, n * sizeof *out->parent_col);
    for (size_t i = 0; i < n; i++) {
        out->set[i] = !r->cols[i].omitted && !r->cols[i].opaque;
        out->raw[i] = r->cols[i].raw;
        out->parent[i] = r->cols[i].parent;
        out->parent_col[i] = r->cols[i].parent_col ? r->cols[i].parent_col->name : NULL;
    }
}

/* Beyond this many rows (a deep foreign-key chain) a test's parents are not
 * spelled out as INSERTs: each test would carry its whole chain, and
 * generation would grow with the square of the depth. */
enum { MAX_INLINE_ROWS = 24 };

/* Fills the two made rows (and, unless shallow, their parents); false when
 * the rows outgrow MAX_INLINE_ROWS or a value cannot be made up. */
static bool fill_made(tctx *tc, const m_table *t, bool every_column, trow *made[2])
{
    gen_arena *a = tc->c->a;
    for (int k = 0; k < 2; k++) {
        made[k] = add_row(tc, t, gen_printf(a, "_made%d", k), t->loc, NULL);
        made[k]->every = every_column;
    }
    for (size_t i = 0; i < tc->n; i++) { /* grows as parents are made */
        if (tc->n > MAX_INLINE_ROWS && !tc->shallow)
            return false;
        for (size_t k = 0; k < tc->rows[i]->t->ncolumns; k++)
            qt_row_value(tc, tc->rows[i], &tc->rows[i]->t->columns[k], t->loc);
    }
    return tc->c->d->errors == 0;
}

static bool made_rows(pctx *c, const m_table *t, bool every_column, bool shallow, tctx *tc,
                      trow *made[2])
{
    *tc = (tctx){c, NULL, t->loc, NULL, 0, 0, 0, 0, qt_table_depths(c->a, c->s), shallow};
    return fill_made(tc, t, every_column, made);
}

bool qt_make_rows(gen_arena *a, const m_schema *s, const m_table *t, bool every_column,
                  qt_made *out)
{
    if (t->nchecks)
        return false; /* a table CHECK relates columns made-up values know nothing of */
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    pctx c = {a, &d, (m_schema *)s};
    tctx tc;
    trow *made[2];
    bool ok = made_rows(&c, t, every_column, false, &tc, made);
    if (!ok && tc.n > MAX_INLINE_ROWS && d.errors == 0)
        ok = made_rows(&c, t, every_column, true, &tc, made);
    if (!ok) {
        gen_diag_release(&d);
        return false;
    }
    const int *depths = tc.depths;
    for (int k = 0; k < 2; k++)
        copy_made_row(a, made[k], &out->rows[k]);
    trow **parents = gen_alloc(a, tc.n * sizeof *parents);
    size_t np = 0;
    for (size_t i = 0; i < tc.n; i++)
        if (tc.rows[i] != made[0] && tc.rows[i] != made[1]) {
            tc.rows[i]->depth = depths[tc.rows[i]->t - s->tables];
            parents[np++] = tc.rows[i];
        }
    if (np)
        qsort(parents, np, sizeof *parents, by_depth);
    out->nparents = np;
    out->parents = gen_alloc(a, (np + 1) * sizeof *out->parents);
    for (size_t i = 0; i < np; i++)
        out->parents[i] = insert_sql(&tc, parents[i]);
    gen_diag_release(&d);
    return true;
}
