/* Factories for the users' own tests (spec 001 §7 factory fixtures):
 * <prefix>_test_make_<row>(conn, arena, overrides, out, err) inserts a valid
 * row through the generated create, taking every member the overrides set
 * and making up the rest of what the table requires: a fresh UUID for a
 * UUID key, "<column>-<n>" for a required string (n a process-wide serial,
 * so unique columns stay unique), the made-up value the query tests use for
 * a column with a CHECK, the current time for a required timestamp, {} for
 * required JSON, and for a required foreign key a parent made by the
 * parent's own factory. A plain required scalar that is 0 counts as unset.
 * Written to tests/<prefix>_factories.{h,c}: test support, not part of the
 * production headers. */
#include <stdio.h>
#include <string.h>

#include "qtest.h"
#include "type_oids.h"
#include "view.h"
#include "view_qtests.h"
#include "view_repo.h"
#include "view_util.h"

typedef struct fctx {
    gen_arena *a;
    const m_schema *s;
    const m_table *t;
    const qt_made *made;     /* NULL when the table has no made-up rows */
    gen_buf decls, body, after;
} fctx;

static bool required(const m_table *t, const m_column *c)
{
    return vr_insertable(t, c) && !m_is_computed_key(t, c) && !c->nullable && !c->default_sql;
}

static const char *made_raw(const fctx *f, const m_column *c)
{
    if (!f->made)
        return NULL;
    size_t k = (size_t)(c - f->t->columns);
    return f->made->rows[0].set[k] ? f->made->rows[0].raw[k] : NULL;
}

/* The table and column a required foreign key points at, when that table
 * has a factory (a create). */
static const m_table *parent_of(const fctx *f, const m_column *c, const char **col)
{
    const m_table *p = NULL;
    const char *dot = c->references ? strchr(c->references, '.') : NULL;
    if (dot) {
        p = m_find_table(f->s, gen_strndup(f->a, c->references, (size_t)(dot - c->references)));
        *col = dot + 1;
    }
    for (size_t i = 0; !p && i < f->t->nfks; i++) { /* table-level foreign_keys */
        const m_fk *fk = &f->t->fks[i];
        if (fk->columns.n == 1 && strcmp(fk->columns.items[0], c->name) == 0 && fk->target) {
            p = fk->target;
            *col = fk->ref_columns.items[0];
        }
    }
    return p && (p->operations & OP_CREATE) && p != f->t ? p : NULL;
}

static void make_parent(fctx *f, const m_column *c, const m_table *p, const char *col)
{
    const char *row = view_row_struct(f->a, f->s, p);
    gen_buf_printf(&f->decls, "    %s made_%s;\n", row, c->name);
    gen_buf_printf(&f->body,
                   "    if (!in.%s) {\n"
                   "        int rc = %s_test_make_%s(conn, arena, NULL, &made_%s, err);\n"
                   "        if (rc != SC_OK)\n"
                   "            return rc;\n"
                   "        in.%s = made_%s.%s;\n"
                   "    }\n",
                   c->name, f->s->prefix,
                   vu_table_singular(f->a, p), c->name, c->name, c->name, col);
}

/* In the primary key or a unique constraint: made-up values must differ. */
static bool unique_column(const m_table *t, const m_column *c)
{
    if (c->unique || c->primary_key)
        return true;
    for (size_t i = 0; i < t->nuniques; i++)
        for (size_t k = 0; k < t->uniques[i].columns.n; k++)
            if (strcmp(t->uniques[i].columns.items[k], c->name) == 0)
                return true;
    return false;
}

static bool make_string(fctx *f, const m_column *c)
{
    const char *raw = made_raw(f, c);
    if (c->check && raw && unique_column(f->t, c))
        raw = NULL; /* a CHECK such as name <> '' holds for "<column>-<n>" too */
    if (c->uuid_text) {
        gen_buf_printf(&f->decls, "    char made_%s[37];\n", c->name);
        gen_buf_printf(&f->body, "    if (!in.%s && sc_uuid_v4(made_%s))\n        in.%s = made_%s;\n",
                       c->name, c->name, c->name, c->name);
    } else if (c->check && raw) {
        gen_buf_printf(&f->body, "    if (!in.%s)\n        in.%s = %s;\n", c->name, c->name, vu_c_string(f->a, raw, ""));
    } else {
        int limit = c->type.kind == T_VARCHAR && c->type.p > 0 ? c->type.p + 1 : 80;
        gen_buf_printf(&f->decls, "    char made_%s[%d];\n", c->name, limit < 80 ? limit : 80);
        gen_buf_printf(&f->body,
                       "    if (!in.%s) {\n"
                       "        snprintf(made_%s, sizeof made_%s, \"%.20s-%%lu\", serial);\n"
                       "        in.%s = made_%s;\n"
                       "    }\n",
                       c->name, c->name, c->name, c->name, c->name, c->name);
    }
    return true;
}

/* One required column; false when its type has no made-up value. */
static bool make_column(fctx *f, const m_column *c)
{
    const char *pcol;
    const m_table *p = parent_of(f, c, &pcol);
    if (p) {
        make_parent(f, c, p, pcol);
        return true;
    }
    if (c->type.array)
        return true; /* an empty array is a value */
    const char *raw = made_raw(f, c);
    switch (c->type.kind) {
    case T_TEXT: case T_VARCHAR: case T_UUID: case T_NUMERIC:
        if (c->type.kind == T_NUMERIC && !c->check) {
            gen_buf_printf(&f->body, "    if (!in.%s)\n        in.%s = \"1\";\n", c->name, c->name);
            return true;
        }
        return make_string(f, c);
    case T_SMALLINT: case T_INTEGER: case T_BIGINT:
        gen_buf_printf(&f->body, "    if (!in.%s)\n        in.%s = %s;\n", c->name, c->name,
                       c->check && raw ? raw : c->unique ? gen_printf(f->a, "(%s)serial", vu_c_type(f->a, f->s, &c->type)) : "1");
        return true;
    case T_TIMESTAMPTZ: case T_TIMESTAMP:
        gen_buf_printf(&f->body, "    if (!in.%s)\n        in.%s = (sc_time)time(NULL) * 1000000;\n", c->name, c->name);
        return true;
    case T_JSON: case T_JSONB:
        gen_buf_printf(&f->decls, "    json_t *made_%s = NULL;\n", c->name);
        gen_buf_printf(&f->body, "    if (!in.%s)\n        in.%s = made_%s = json_object();\n", c->name, c->name, c->name);
        gen_buf_printf(&f->after, "    json_decref(made_%s);\n", c->name);
        return true;
    case T_BYTEA:
        gen_buf_printf(&f->body, "    if (!in.%s.data)\n        in.%s = (sc_bytes){(const unsigned char *)\"made\", 4};\n", c->name, c->name);
        return true;
    case T_BOOLEAN: case T_REAL: case T_DOUBLE: case T_DATE: case T_ENUM: case T_INTERVAL:
    case T_TIME: case T_TIMETZ: case T_MONEY: case T_POINT: case T_INT4RANGE: case T_INT8RANGE:
    case T_TSTZRANGE: case T_DATERANGE:
        return true; /* zero is a value (a range's is empty) */
    case T_CHAR: case T_XML: case T_BIT: case T_VARBIT: case T_INET: case T_CIDR: case T_MACADDR:
    case T_TEXTMAP: {
        const char *sample = m_type_sample_text(f->a, &c->type);
        if (sample)
            gen_buf_printf(&f->body, "    if (!in.%s)\n        in.%s = %s;\n", c->name, c->name,
                           vu_c_string(f->a, sample, ""));
        return sample != NULL;
    }
    default:
        return false;
    }
}

static json_t *factory(gen_arena *a, const m_schema *s, const m_table *t)
{
    qt_made made;
    fctx f = {a, s, t, qt_make_rows(a, s, t, false, &made) ? &made : NULL, {0}, {0}, {0}};
    gen_buf_init(&f.decls, a);
    gen_buf_init(&f.body, a);
    gen_buf_init(&f.after, a);
    for (size_t i = 0; i < t->ncolumns; i++)
        if (required(t, &t->columns[i]) && !make_column(&f, &t->columns[i]))
            return NULL;
    const char *row = view_row_struct(a, s, t);
    const char *name = gen_printf(a, "%s_test_make_%s", s->prefix, vu_table_singular(a, t));
    const char *proto = vr_wrap(a, gen_printf(a, "int %s(sc_conn *conn, sc_arena *arena, const %s_new *overrides, %s *out, sc_error *err)", name, row, row), strlen(name) + 5);
    const char *body = gen_printf(a,
        "    %s_new in = {0};\n"
        "    if (overrides)\n"
        "        in = *overrides;\n"
        "%s%s%s"
        "    int rc = %s_%s_create(conn, arena, &in, out, err);\n"
        "%s"
        "    return rc;\n",
        row, f.body.data && strstr(f.body.data, "serial") ? "    unsigned long serial = sc_testfx_serial();\n" : "",
        f.decls.data ? f.decls.data : "", f.body.data ? f.body.data : "", s->prefix, t->name,
        f.after.data ? f.after.data : "");
    return json_pack("{s:s, s:s, s:s, s:s}", "name", name, "prototype", proto, "body", body,
                     "header", gen_printf(a, "%s_%s.h", s->prefix, t->name));
}

json_t *view_factories(gen_arena *a, const m_schema *s, const view_env *env)
{
    json_t *v = json_object();
    const char *file = gen_printf(a, "%s_factories.h", s->prefix);
    view_common(v, a, s, env, file);
    json_t *list = json_array();
    for (size_t i = 0; i < s->ntables; i++) {
        const m_table *t = &s->tables[i];
        json_t *f = (t->operations & OP_CREATE) ? factory(a, s, t) : NULL;
        if (f)
            json_array_append_new(list, f);
    }
    json_object_set_new(v, "factories", list);
    json_object_set_new(v, "factories_header", json_string(file));
    return v;
}
