/* Tests every repository gets without writing any: create with every column
 * given and with only the required ones, each read back column by column and
 * deleted; a unique, foreign-key and (simple) column CHECK violation per
 * constraint, mapped to SC_CONFLICT / SC_FOREIGN_KEY / SC_CHECK with the
 * constraint's name; a missing
 * required string refused before the round trip. Rows are made up by
 * qt_make_rows, parents inserted first. Entries have the shape of the query
 * tests (view_qtests.c), so one template section renders both. */
#include <stdio.h>
#include <string.h>

#include "ddl.h"
#include "view_qtests.h"
#include "view_repo.h"
#include "view_util.h"

typedef struct made_ctx {
    gen_arena *a;
    const m_schema *s;
    const m_table *t;
    const char *fn, *row;    /* sm_documents, sm_document */
    const qt_made *made;
} made_ctx;

static bool in_new(const m_table *t, const m_column *c)
{
    return vr_insertable(t, c) && !m_is_computed_key(t, c);
}

static bool has_flag(const m_column *c)
{
    return (c->nullable || c->default_sql) && !vu_is_pointer(&c->type);
}

/* `.x = value` (and `.has_x = true`) for the _new struct. */
static void field_init(const made_ctx *m, const m_column *c, const char *raw, json_t *decls)
{
    gen_arena *a = m->a;
    const char *v;
    if (!raw) {
        v = vu_is_blob(&c->type) ? "{0}" : "NULL";
    } else if (qt_is_vector(&c->type)) {
        v = gen_printf(a, "{%d, %s}", c->type.p, qt_vector_array_c(a, raw, c->type.p));
    } else if (c->type.array) {
        v = "{0, NULL}"; /* made-up arrays are empty */
    } else if (c->type.kind == T_BYTEA) {
        size_t len;
        const char *lit = vq_bytes_literal(a, raw, &len);
        v = gen_printf(a, "{(const unsigned char *)%s, %zu}", lit, len);
    } else {
        v = vq_scalar_c(a, m->s, &c->type, raw);
    }
    vq_add(decls, "decl", gen_printf(a, "    .%s = %s,", c->name, v));
    if (raw && has_flag(c))
        vq_add(decls, "decl", gen_printf(a, "    .has_%s = true,", c->name));
}

/* The local a parent factory fills for a deep chain's foreign key. */
static const char *parent_var(const made_ctx *m, const m_table *parent)
{
    return gen_printf(m->a, "sc_parent_%s", parent->name);
}

/* `.x = sc_parent_t.id` for a foreign key the parent's factory provides. */
static void parent_init(const made_ctx *m, const m_column *c, const qt_made_row *r, size_t i,
                        json_t *decls)
{
    vq_add(decls, "decl", gen_printf(m->a, "    .%s = %s.%s,", c->name, parent_var(m, r->parent[i]),
                                     r->parent_col[i]));
    if (has_flag(c))
        vq_add(decls, "decl", gen_printf(m->a, "    .has_%s = true,", c->name));
}

static void new_struct(const made_ctx *m, const char *var, const qt_made_row *r,
                       const m_column *replaced, const char *replacement, json_t *decls)
{
    vq_add(decls, "decl", gen_printf(m->a, "%s_new %s = {", m->row, var));
    for (size_t i = 0; i < m->t->ncolumns; i++) {
        const m_column *c = &m->t->columns[i];
        if (!in_new(m->t, c))
            continue;
        if (c == replaced)
            field_init(m, c, replacement, decls);
        else if (r->set[i] && r->parent[i])
            parent_init(m, c, r, i, decls);
        else if (r->set[i])
            field_init(m, c, r->raw[i], decls);
    }
    vq_add(decls, "decl", "};");
}

/* A deep chain's parents, made by their factories before the test's rows:
 * one per parent table, shared by both made rows. */
static json_t *parent_decls(const made_ctx *m)
{
    json_t *decls = json_array();
    const qt_made_row *r = &m->made->rows[0];
    for (size_t i = 0; i < m->t->ncolumns; i++) {
        const m_table *p = r->parent[i];
        bool seen = false;
        for (size_t k = 0; k < i && p; k++)
            seen |= r->parent[k] == p;
        if (!p || seen)
            continue;
        const char *singular = vu_table_singular(m->a, p);
        vq_add(decls, "decl", gen_printf(m->a, "%s_%s %s;", m->s->prefix, singular, parent_var(m, p)));
        vq_add(decls, "decl", gen_printf(m->a, "sc_fx_expect_status(fx, %s_test_make_%s(fx->conn, fx->arena, NULL, &%s, &fx->err), SC_OK);",
                                         m->s->prefix, singular, parent_var(m, p)));
    }
    return decls;
}

/* ", got.id, got.owner_id": what get and delete take, read from a row. */
static const char *key_args(const made_ctx *m, const char *var)
{
    gen_buf b;
    gen_buf_init(&b, m->a);
    const m_table *t = m->t;
    bool scope_in_pk = false;
    for (size_t i = 0; i < t->primary_key.n; i++) {
        const m_column *c = m_find_column(t, t->primary_key.items[i]);
        scope_in_pk |= c == t->scope_col;
        if (!m_is_computed_key(t, c))
            gen_buf_printf(&b, ", %s.%s", var, c->name);
    }
    if (t->scope_col && !scope_in_pk)
        gen_buf_printf(&b, ", %s.%s", var, t->scope);
    return b.data ? b.data : "";
}

static json_t *entry(const made_ctx *m, const char *fn, const char *comment, json_t *decls,
                     const char *call, const char *status, json_t *asserts)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < m->made->nparents; i++)
        json_array_append_new(rows, json_pack("{s:s, s:b}", "sql", vu_c_string(m->a, m->made->parents[i], "        "),
                                              "label", 0));
    json_t *parents = parent_decls(m);
    json_array_extend(parents, decls);
    json_decref(decls);
    decls = parents;
    json_t *v = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:b}", "fn", fn, "comment",
                          vu_comment(m->a, comment, "", 100), "status", status, "has_rows",
                          m->made->nparents > 0, "rows", rows, "decls", decls, "asserts", asserts,
                          "check", 0);
    json_object_set_new(v, "call", json_string(vr_wrap(m->a, call, strlen(m->fn) + 18)));
    return v;
}

static const char *create_call(const made_ctx *m, const char *var, const char *out)
{
    return gen_printf(m->a, "int rc = %s_create(fx->conn, fx->arena, &%s, &%s, &fx->err);", m->fn, var, out);
}

/* create, then get: every column the row set comes back as it went in. */
static json_t *round_trip(const made_ctx *m, bool every)
{
    gen_arena *a = m->a;
    const qt_made_row *r = &m->made->rows[0];
    json_t *decls = json_array(), *asserts = json_array();
    new_struct(m, "in", r, NULL, NULL, decls);
    vq_add(decls, "decl", gen_printf(a, "%s made, got;", m->row));
    vq_add(asserts, "assert", gen_printf(a, "rc = %s_get(fx->conn, fx->arena%s, &got, &fx->err);", m->fn, key_args(m, "made")));
    vq_add(asserts, "assert", "sc_fx_expect_status(fx, rc, SC_OK);");
    for (size_t i = 0; i < m->t->ncolumns; i++) {
        const m_column *c = &m->t->columns[i];
        if (!in_new(m->t, c) || (!r->set[i] && !(c->nullable && !c->default_sql)) || r->parent[i])
            continue; /* a factory's key is checked by the foreign key itself */
        qt_field f = {c->name, c->type, c->nullable, {m->t->loc, r->set[i] ? r->raw[i] : NULL, 0, NULL}};
        vq_assert_field(a, m->s, "got", &f, asserts);
    }
    if (m->t->operations & OP_DELETE) {
        vq_add(asserts, "assert", gen_printf(a, "assert_int_equal(%s_delete(fx->conn%s, &fx->err), SC_OK);", m->fn, key_args(m, "made")));
        vq_add(asserts, "assert", gen_printf(a, "assert_int_equal(%s_get(fx->conn, fx->arena%s, &got, &fx->err), SC_NOT_FOUND);", m->fn, key_args(m, "made")));
    }
    const char *what = every ? "every column given" : "only the required columns given (the rest NULL or DEFAULT)";
    return entry(m, every ? "create_every_column" : "create_required_columns",
                 gen_printf(a, "create and get with %s; then delete.", what), decls,
                 create_call(m, "in", "made"), "SC_OK", asserts);
}

/* Every set of columns the table keeps unique, and the constraint's name. */
typedef struct unique_set {
    m_names cols;
    const char *name;
} unique_set;

static size_t unique_sets(const made_ctx *m, unique_set *out, size_t max)
{
    const m_table *t = m->t;
    size_t n = 0;
    if (t->primary_key.n && n < max)
        out[n++] = (unique_set){t->primary_key, ddl_pk_name(m->a, t)};
    for (size_t i = 0; i < t->ncolumns && n < max; i++)
        if (t->columns[i].unique && !t->columns[i].primary_key) {
            m_names one = {1, (const char **)&t->columns[i].name, (gen_loc *)&t->columns[i].loc};
            out[n++] = (unique_set){one, ddl_unique_name(m->a, t, &one)};
        }
    for (size_t i = 0; i < t->nuniques && n < max; i++)
        out[n++] = (unique_set){t->uniques[i].columns, t->uniques[i].name ? t->uniques[i].name
                                : ddl_unique_name(m->a, t, &t->uniques[i].columns)};
    for (size_t i = 0; i < t->nindexes && n < max; i++) {
        const m_index *ix = &t->indexes[i];
        if (!ix->unique || ix->where || ix->expression)
            continue; /* a partial index holds only where its WHERE does */
        m_names cols = {ix->ncols, gen_alloc(m->a, (ix->ncols + 1) * sizeof(char *)), ix->col_locs};
        for (size_t k = 0; k < ix->ncols; k++)
            cols.items[k] = ix->cols[k].name;
        out[n++] = (unique_set){cols, ix->name};
    }
    return n;
}

static bool same_on(const made_ctx *m, const qt_made_row *x, const qt_made_row *y,
                    const m_names *cols)
{
    for (size_t i = 0; i < cols->n; i++) {
        size_t k = (size_t)(m_find_column(m->t, cols->items[i]) - m->t->columns);
        if (x->set[k] && y->set[k] && x->parent[k] && x->parent[k] == y->parent[k])
            continue; /* the same factory-made parent */
        if (!x->set[k] || !y->set[k] || !x->raw[k] || !y->raw[k] || strcmp(x->raw[k], y->raw[k]))
            return false;
    }
    return true;
}

/* The second row collides with the first on exactly one unique set; NULL
 * when that cannot be arranged (the server fills a column, or the made-up
 * rows share a parent that another unique set contains). */
static json_t *unique_violation(const made_ctx *m, const unique_set *sets, size_t nsets,
                                size_t target)
{
    gen_arena *a = m->a;
    const m_names *cols = &sets[target].cols;
    const char *name = sets[target].name;
    qt_made_row dup = m->made->rows[1];
    dup.raw = gen_alloc(a, m->t->ncolumns * sizeof *dup.raw);
    memcpy(dup.raw, m->made->rows[1].raw, m->t->ncolumns * sizeof *dup.raw);
    for (size_t i = 0; i < cols->n; i++) {
        const m_column *c = m_find_column(m->t, cols->items[i]);
        size_t k = (size_t)(c - m->t->columns);
        if (!in_new(m->t, c) || !m->made->rows[0].set[k] || !dup.set[k])
            return NULL; /* the server fills it: no collision to provoke */
        dup.raw[k] = m->made->rows[0].raw[k];
    }
    for (size_t i = 0; i < nsets; i++)
        if (i != target && same_on(m, &m->made->rows[0], &dup, &sets[i].cols))
            return NULL;
    json_t *decls = json_array(), *asserts = json_array();
    new_struct(m, "first", &m->made->rows[0], NULL, NULL, decls);
    new_struct(m, "second", &dup, NULL, NULL, decls);
    vq_add(decls, "decl", gen_printf(a, "%s made;", m->row));
    vq_add(decls, "decl", gen_printf(a, "assert_int_equal(%s_create(fx->conn, fx->arena, &first, &made, &fx->err), SC_OK);", m->fn));
    vq_add(asserts, "assert", gen_printf(a, "assert_string_equal(fx->err.constraint, \"%s\");", name));
    return entry(m, gen_printf(a, "unique_%s", name),
                 gen_printf(a, "a second row with the same %s is refused as SC_CONFLICT naming %s.", vu_join(a, cols->items, cols->n, ", "), name),
                 decls, create_call(m, "second", "made"), "SC_CONFLICT", asserts);
}

static void unique_violations(const made_ctx *m, json_t *out)
{
    unique_set sets[32];
    size_t n = unique_sets(m, sets, 32);
    for (size_t i = 0; i < n; i++) {
        json_t *e = unique_violation(m, sets, n, i);
        if (e)
            json_array_append_new(out, e);
    }
}

static const char *missing_parent(const m_column *c)
{
    if (c->uuid_text || c->type.kind == T_UUID)
        return "ffffffff-ffff-4fff-bfff-ffffffffffff";
    return c->type.kind == T_TEXT || c->type.kind == T_VARCHAR ? "no-such-row" : "999999";
}

static json_t *fk_violation(const made_ctx *m, const m_column *c, const char *name)
{
    if (!in_new(m->t, c))
        return NULL;
    json_t *decls = json_array(), *asserts = json_array();
    new_struct(m, "in", &m->made->rows[0], c, missing_parent(c), decls);
    vq_add(decls, "decl", gen_printf(m->a, "%s made;", m->row));
    vq_add(asserts, "assert", gen_printf(m->a, "assert_string_equal(fx->err.constraint, \"%s\");", name));
    return entry(m, gen_printf(m->a, "foreign_key_%s", name),
                 gen_printf(m->a, "%s naming a row that does not exist is refused as SC_FOREIGN_KEY naming %s.", c->name, name),
                 decls, create_call(m, "in", "made"), "SC_FOREIGN_KEY", asserts);
}

static void fk_violations(const made_ctx *m, json_t *out)
{
    const m_table *t = m->t;
    json_t *e;
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        m_names one = {1, (const char **)&c->name, (gen_loc *)&c->loc}; /* read only */
        /* a versioned create finds its parent first: no parent is SC_NOT_FOUND */
        if (c->references && !m_is_version_parent_key(t, c) &&
            (e = fk_violation(m, c, ddl_fk_name(m->a, t, &one))))
            json_array_append_new(out, e);
    }
    for (size_t i = 0; i < t->nfks; i++) {
        const m_fk *fk = &t->fks[i];
        if (fk->columns.n != 1)
            continue;
        const char *name = fk->name ? fk->name : ddl_fk_name(m->a, t, &fk->columns);
        if ((e = fk_violation(m, m_find_column(t, fk->columns.items[0]), name)))
            json_array_append_new(out, e);
    }
}

/* A value the column's own CHECK refuses, for the simple forms
 * `col IN ('a', ...)`, `col BETWEEN x AND y`, `col > n`, `col >= n` and
 * `col <> ''`; NULL for any other. */
static const char *refused_value(gen_arena *a, const m_column *c)
{
    const char *check = c->check;
    size_t len = strlen(c->name);
    if (!check || strncmp(check, c->name, len) != 0)
        return NULL;
    const char *rest = check + len;
    long long lo, hi;
    char op[3];
    if (strncmp(rest, " IN (", 5) == 0 && (c->type.kind == T_TEXT || c->type.kind == T_VARCHAR))
        return "not-one-of-them";
    if (sscanf(rest, " BETWEEN %lld AND %lld", &lo, &hi) == 2)
        return gen_printf(a, "%lld", hi + 1);
    if (sscanf(rest, " %2[<>=] %lld", op, &lo) == 2 && strcmp(op, ">") == 0)
        return gen_printf(a, "%lld", lo);
    if (sscanf(rest, " %2[<>=] %lld", op, &lo) == 2 && strcmp(op, ">=") == 0)
        return gen_printf(a, "%lld", lo - 1);
    if (strcmp(rest, " <> ''") == 0)
        return "";
    return NULL;
}

static void check_violations(const made_ctx *m, json_t *out)
{
    for (size_t i = 0; i < m->t->ncolumns; i++) {
        const m_column *c = &m->t->columns[i];
        const char *bad = in_new(m->t, c) ? refused_value(m->a, c) : NULL;
        if (!bad)
            continue;
        const char *name = ddl_check_name(m->a, m->t, c->name);
        json_t *decls = json_array(), *asserts = json_array();
        new_struct(m, "in", &m->made->rows[0], c, bad, decls);
        vq_add(decls, "decl", gen_printf(m->a, "%s made;", m->row));
        vq_add(asserts, "assert", gen_printf(m->a, "assert_string_equal(fx->err.constraint, \"%s\");", name));
        json_array_append_new(out, entry(m, gen_printf(m->a, "check_%s", name),
                                         gen_printf(m->a, "%s = %s breaks its CHECK (%s): SC_CHECK naming %s.", c->name,
                                                    *bad ? bad : "''", c->check, name),
                                         decls, create_call(m, "in", "made"), "SC_CHECK", asserts));
    }
}

/* The first required string left NULL: refused before the round trip. */
static void not_null_refused(const made_ctx *m, json_t *out)
{
    for (size_t i = 0; i < m->t->ncolumns; i++) {
        const m_column *c = &m->t->columns[i];
        if (!in_new(m->t, c) || c->nullable || c->default_sql || !vu_is_pointer(&c->type) ||
            c->type.array || vu_is_blob(&c->type))
            continue;
        json_t *decls = json_array(), *asserts = json_array();
        new_struct(m, "in", &m->made->rows[0], c, NULL, decls);
        vq_add(decls, "decl", gen_printf(m->a, "%s made;", m->row));
        json_array_append_new(out, entry(m, gen_printf(m->a, "not_null_%s", c->name),
                                         gen_printf(m->a, "%s is NOT NULL: leaving it NULL is refused before the round trip.", c->name),
                                         decls, create_call(m, "in", "made"), "SC_INVALID_INPUT", asserts));
        return;
    }
}

/* Types whose C form has no literal here yet (days, intervals, times of
 * day, money, points, ranges). */
static bool has_unwritable_column(const m_table *t)
{
    for (size_t i = 0; i < t->ncolumns; i++) {
        m_type_kind k = t->columns[i].type.kind;
        if (in_new(t, &t->columns[i]) && !t->columns[i].type.array &&
            (k == T_DATE || k == T_INTERVAL || k == T_TIME || k == T_TIMETZ ||
             k == T_MONEY || k == T_POINT || k == T_INT4RANGE || k == T_INT8RANGE ||
             k == T_TSTZRANGE || k == T_DATERANGE))
            return true;
    }
    return false;
}

bool view_made_uses_factories(const json_t *tests)
{
    size_t i;
    json_t *e;
    json_array_foreach(tests, i, e) {
        size_t k;
        json_t *d;
        json_array_foreach(json_object_get(e, "decls"), k, d)
            if (strstr(json_string_value(json_object_get(d, "decl")), "_test_make_"))
                return true;
    }
    return false;
}

json_t *view_made_tests(gen_arena *a, const m_schema *s, const m_table *t)
{
    json_t *out = json_array();
    if ((t->operations & (OP_CREATE | OP_GET)) != (OP_CREATE | OP_GET) || !t->primary_key.n ||
        has_unwritable_column(t))
        return out;
    made_ctx m = {a, s, t, gen_printf(a, "%s_%s", s->prefix, t->name),
                  gen_printf(a, "%s_%s", s->prefix, vu_table_singular(a, t)), NULL};
    qt_made every, required;
    if (!qt_make_rows(a, s, t, true, &every) || !qt_make_rows(a, s, t, false, &required))
        return out;
    m.made = &every;
    json_array_append_new(out, round_trip(&m, true));
    m.made = &required; /* the shortest rows that show each refusal */
    json_array_append_new(out, round_trip(&m, false));
    fk_violations(&m, out);
    unique_violations(&m, out);
    check_violations(&m, out);
    not_null_refused(&m, out);
    return out;
}
