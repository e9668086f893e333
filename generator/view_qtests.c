/* The query tests of one repository as C: per test the fixture's INSERTs,
 * the call of the generated function with its arguments as C literals, and
 * one assertion per expected value. qtest.c resolved every value already. */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "qtest.h"
#include "view_keyset.h"
#include "view_qtests.h"
#include "view_repo.h"
#include "view_util.h"

const char *vq_enum_constant(gen_arena *a, const m_schema *s, const m_type *t, const char *v)
{
    return gen_printf(a, "%s_%s_%s", vu_upper(a, s->prefix), vu_upper(a, t->enum_name), vu_upper(a, v));
}

/* "\x01\x02" for a SQL hex bytea literal, else the text's own bytes. */
const char *vq_bytes_literal(gen_arena *a, const char *text, size_t *len)
{
    if (strncmp(text, "\\x", 2) != 0) {
        *len = strlen(text);
        return vu_c_string(a, text, "");
    }
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, "\"");
    size_t n = 0;
    for (const char *p = text + 2; p[0] && p[1]; p += 2, n++)
        gen_buf_printf(&b, "\\x%c%c", p[0], p[1]);
    gen_buf_puts(&b, "\"");
    *len = n;
    return b.data;
}

/* A C expression of type t holding the value (not a pointer to it). */
const char *vq_scalar_c(gen_arena *a, const m_schema *s, const m_type *t, const char *text)
{
    switch (t->kind) {
    case T_ENUM: return vq_enum_constant(a, s, t, text);
    case T_TIMESTAMPTZ: case T_TIMESTAMP: return gen_printf(a, "sc_fx_time(fx, %s)", vu_c_string(a, text, ""));
    case T_JSON: case T_JSONB: return gen_printf(a, "sc_fx_json(fx, %s)", vu_c_string(a, text, ""));
    case T_SMALLINT: case T_INTEGER: case T_BIGINT: case T_SERIAL: case T_BIGSERIAL: case T_BOOLEAN:
    case T_REAL: case T_DOUBLE:
        return text;
    default:
        return vu_c_string(a, text, "");
    }
}

static const char *array_c(gen_arena *a, const m_schema *s, const qt_value *v, const m_type *t)
{
    m_type elem = *t;
    elem.array = false;
    const char *type = vu_c_type(a, s, &elem);
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t i = 0; i < v->nitems; i++)
        gen_buf_printf(&b, "%s%s", i ? ", " : "", vq_scalar_c(a, s, &elem, v->items[i]));
    if (!v->nitems) /* an empty array, not NULL: items points at no element */
        return gen_printf(a, "&(sc_array){0, (%s[]){0}}", type);
    return gen_printf(a, "&(sc_array){%zu, (%s[]){%s}}", v->nitems, type, b.data);
}

/* The argument as C; NULL when it is left out (absent or SQL NULL). In a
 * designated initializer (by_struct) an optional scalar is SC_SOME(v), in a
 * call a compound literal of its sc_opt_ type. */
static const char *arg_c(gen_arena *a, const m_schema *s, const vparam *p, const qt_arg *arg,
                         bool by_struct)
{
    if (!arg || !arg->given || !arg->value.text) {
        if (by_struct)
            return NULL;
        return vr_is_opt(p) ? gen_printf(a, "(%s)SC_NONE", vu_opt_type(a, s, &p->type)) : "NULL";
    }
    const char *text = arg->value.text;
    if (p->type.array)
        return array_c(a, s, &arg->value, &p->type);
    if (p->type.kind == T_BYTEA) {
        size_t len;
        const char *lit = vq_bytes_literal(a, text, &len);
        return gen_printf(a, "&(sc_bytes){(const unsigned char *)%s, %zu}", lit, len);
    }
    if (qt_is_vector(&p->type))
        return qt_vector_c(a, &arg->value);
    const char *v = vq_scalar_c(a, s, &p->type, text);
    if (vr_is_opt(p))
        return by_struct ? gen_printf(a, "SC_SOME(%s)", v)
                         : gen_printf(a, "(%s)SC_SOME(%s)", vu_opt_type(a, s, &p->type), v);
    return v;
}

static const qt_arg *find_arg(const m_qtest *qt, const char *name)
{
    for (size_t i = 0; i < qt->nargs; i++)
        if (strcmp(qt->args[i].param->name, name) == 0)
            return &qt->args[i];
    return NULL;
}

void vq_add(json_t *list, const char *key, const char *text)
{
    json_array_append_new(list, vu_pair(key, text));
}

/* Declarations, and the call's output arguments. */
static const char *outputs(gen_arena *a, const m_schema *s, const m_query *q, json_t *decls)
{
    const char *row = vq_row_type(a, s, q);
    switch (q->returns) {
    case RET_ONE:
        vq_add(decls, "decl", gen_printf(a, "%s got;", row));
        return ", &got";
    case RET_MANY:
        vq_add(decls, "decl", gen_printf(a, "%s *rows = NULL;", row));
        vq_add(decls, "decl", "size_t n = 0;");
        if (q->paginate == PAGE_OFFSET) {
            vq_add(decls, "decl", "int64_t total = -1;");
            return ", NULL, &rows, &n, &total";
        }
        if (q->paginate == PAGE_KEYSET) {
            vq_add(decls, "decl", "const char *next = NULL;");
            return ", 0, &rows, &n, &next";
        }
        return ", &rows, &n";
    case RET_EXECROWS:
        vq_add(decls, "decl", "int64_t affected = -1;");
        return ", &affected";
    case RET_COUNT:
        vq_add(decls, "decl", "int64_t count = -1;");
        return ", &count";
    default:
        return "";
    }
}

void vq_assert_field(gen_arena *a, const m_schema *s, const char *row, const qt_field *f,
                     json_t *asserts)
{
    const char *x = gen_printf(a, "%s.%s", row, f->name);
    bool flag = f->nullable && !vu_is_pointer(&f->type);
    const char *text = f->value.text;
    bool json = !f->type.array && (f->type.kind == T_JSON || f->type.kind == T_JSONB);
    if (!text) {
        /* NULL in a struct member: sc_json's text, sc_array's items, sc_bytes' data. */
        const char *member = json ? ".text" : f->type.array ? ".items"
                             : f->type.kind == T_BYTEA ? ".data" : qt_is_vector(&f->type) ? ".v" : "";
        vq_add(asserts, "assert", flag ? gen_printf(a, "assert_false(%s.has_%s);", row, f->name)
                                       : gen_printf(a, "assert_null(%s%s);", x, member));
        return;
    }
    if (flag)
        vq_add(asserts, "assert", gen_printf(a, "assert_true(%s.has_%s);", row, f->name));
    if (f->type.array) {
        vq_add(asserts, "assert", gen_printf(a, "assert_int_equal(%s.n, 0);", x)); /* made-up: {} */
        return;
    }
    size_t len;
    const char *bytes;
    switch (f->type.kind) {
    case T_TIMESTAMPTZ: case T_TIMESTAMP:
        vq_add(asserts, "assert", gen_printf(a, "assert_true(%s == sc_fx_time(fx, %s));", x, vu_c_string(a, text, "")));
        break;
    case T_BYTEA:
        bytes = vq_bytes_literal(a, text, &len);
        vq_add(asserts, "assert", gen_printf(a, "assert_int_equal(%s.len, %zu);", x, len));
        vq_add(asserts, "assert", gen_printf(a, "assert_memory_equal(%s.data, %s, %zu);", x, bytes, len));
        break;
    case T_VECTOR: case T_HALFVEC: /* the floats as written (exact in half too) */
        vq_add(asserts, "assert", gen_printf(a, "assert_int_equal(%s.dim, %d);", x, f->type.p));
        vq_add(asserts, "assert", gen_printf(a, "assert_memory_equal(%s.v, %s, %d * sizeof(float));", x,
                                             qt_vector_array_c(a, text, f->type.p), f->type.p));
        break;
    case T_REAL: case T_DOUBLE: case T_DATE: case T_INTERVAL: case T_TSVECTOR:
        break; /* the server's spelling may differ from the made-up text */
    case T_BOOLEAN:
        vq_add(asserts, "assert", gen_printf(a, "assert_%s(%s);", strcmp(text, "true") == 0 ? "true" : "false", x));
        break;
    case T_ENUM:
        vq_add(asserts, "assert", gen_printf(a, "assert_int_equal(%s, %s);", x, vq_enum_constant(a, s, &f->type, text)));
        break;
    case T_JSON: case T_JSONB:
        vq_add(asserts, "assert", gen_printf(a, "sc_fx_assert_json(sc_json_value(&%s), %s);", x, vu_c_string(a, text, "")));
        break;
    case T_SMALLINT: case T_INTEGER: case T_BIGINT: case T_SERIAL: case T_BIGSERIAL:
        vq_add(asserts, "assert", gen_printf(a, "assert_int_equal(%s, %s);", x, text));
        break;
    default:
        vq_add(asserts, "assert", gen_printf(a, "assert_non_null(%s);", x));
        vq_add(asserts, "assert", gen_printf(a, "assert_string_equal(%s, %s);", x, vu_c_string(a, text, "")));
        break;
    }
}

static void assertions(gen_arena *a, const m_schema *s, const m_qtest *qt, json_t *asserts)
{
    const m_query *q = qt->query;
    if (strcmp(qt->status, "SC_OK") != 0)
        return;
    if (qt->has_count) {
        vq_add(asserts, "assert", gen_printf(a, "assert_int_equal(%s, %lld);",
                                          q->returns == RET_COUNT ? "count" : "affected", qt->count));
        return;
    }
    if (q->returns == RET_MANY) {
        vq_add(asserts, "assert", gen_printf(a, "sc_fx_expect_rows(n, %zu);", qt->nexpect));
        if (q->paginate == PAGE_OFFSET)
            vq_add(asserts, "assert", "assert_int_equal(total, (int64_t)n);");
    }
    for (size_t i = 0; i < qt->nexpect; i++) {
        const char *row = q->returns == RET_MANY ? gen_printf(a, "rows[%zu]", i) : "got";
        if (qt->expect[i].label)
            vq_add(asserts, "assert", gen_printf(a, "/* %s: %s */", row, qt->expect[i].label));
        for (size_t k = 0; k < qt->expect[i].n; k++)
            vq_assert_field(a, s, row, &qt->expect[i].fields[k], asserts);
    }
}

/* A test that gives after_<col> values starts after a row holding them:
 * the cursor is made from that row by the generated <query>_cursor. */
static const char *cursor_arg(gen_arena *a, const m_schema *s, const m_qtest *qt,
                              const vfunc *f, json_t *decls)
{
    const m_query *q = qt->query;
    gen_buf row;
    gen_buf_init(&row, a);
    for (size_t i = 0; i < q->keyset.n; i++) {
        const char *col = q->keyset.items[i];
        const qt_arg *arg = find_arg(qt, gen_printf(a, "after_%s", col));
        if (!arg || !arg->given || !arg->value.text)
            continue;
        const m_column *c = m_find_column(q->table, col);
        gen_buf_printf(&row, "%s.%s = %s", row.len ? ", " : "", col, vq_scalar_c(a, s, &c->type, arg->value.text));
    }
    if (!row.len)
        return "NULL";
    const char *type = vq_row_type(a, s, q);
    vq_add(decls, "decl", gen_printf(a, "const %s after_row = {%s};", type, row.data));
    vq_add(decls, "decl", "const char *after = NULL;");
    vq_add(decls, "decl", gen_printf(a, "assert_int_equal(%s_cursor(fx->arena, &after_row, &after, &fx->err), SC_OK);", f->name));
    return "after";
}

static const char *call(gen_arena *a, const m_schema *s, const m_qtest *qt, json_t *decls)
{
    const m_query *q = qt->query;
    vfunc f;
    vr_init(&f, a, s, q->table, q->name);
    vq_add_params(&f, q);
    json_decref(f.variants); /* only the parameters are needed here */
    json_decref(f.count_variants);
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "int rc = %s(fx->conn", f.name);
    if (q->returns == RET_ONE || q->returns == RET_MANY)
        gen_buf_puts(&b, ", fx->arena");
    if (q->paginate == PAGE_KEYSET)
        vk_hide_cursor_params(&f, q);
    bool by_struct = vr_wants_struct(&f);
    gen_buf fields;
    gen_buf_init(&fields, a);
    for (size_t i = 0; i < f.nparams; i++) {
        const vparam *p = &f.params[i];
        const char *v = p->computed || p->hidden ? NULL : arg_c(a, s, p, find_arg(qt, p->name), by_struct);
        if (v && by_struct)
            gen_buf_printf(&fields, "%s.%s = %s", fields.len ? ", " : "", p->name, v);
        else if (v)
            gen_buf_printf(&b, ", %s", v);
    }
    if (by_struct)
        gen_buf_printf(&b, ", &(%s){%s}", f.public_args, fields.len ? fields.data : "0");
    if (q->paginate == PAGE_KEYSET)
        gen_buf_printf(&b, ", %s", cursor_arg(a, s, qt, &f, decls));
    gen_buf_printf(&b, "%s, &fx->err);", outputs(a, s, q, decls));
    return vr_wrap(a, b.data, strlen(f.name) + 14);
}

static const char *identifier_of(gen_arena *a, const m_qtest *qt, size_t index)
{
    return gen_printf(a, "%s_%zu", qt->query->name, index + 1);
}

json_t *view_query_tests(gen_arena *a, const m_schema *s, const m_table *t)
{
    json_t *list = json_array();
    for (size_t i = 0; i < t->nqueries; i++) {
        const m_query *q = &t->queries[i];
        for (size_t k = 0; k < q->ntests; k++) {
            const m_qtest *qt = &q->tests[k];
            json_t *rows = json_array(), *decls = json_array(), *asserts = json_array();
            for (size_t r = 0; r < qt->nrows; r++) {
                const char *label = qt->rows[r].label;
                json_t *row = vu_pair("sql", vu_c_string(a, qt->rows[r].sql, "        "));
                json_object_set_new(row, "label", label && label[0] != '_' ? json_string(label) : json_false());
                json_array_append_new(rows, row);
            }
            const char *about = qt->name ? qt->name : "";
            json_t *v = json_pack("{s:s, s:o, s:s, s:b, s:o}", "fn", identifier_of(a, qt, k),
                                  "comment", vu_text(vu_comment(a, gen_printf(a, "%s: %s", q->name, about), "", 100)),
                                  "status", qt->status, "has_rows", qt->nrows > 0, "rows", rows);
            json_object_set_new(v, "call", vu_text(call(a, s, qt, decls)));
            assertions(a, s, qt, asserts);
            json_object_set_new(v, "decls", decls);
            json_object_set_new(v, "asserts", asserts);
            json_object_set_new(v, "check", qt->check ? json_string(vu_c_string(a, qt->check, "             ")) : json_false());
            json_array_append_new(list, v);
        }
    }
    return list;
}
