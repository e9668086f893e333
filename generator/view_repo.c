/* The view of one table's repository: the standard operations and the named
 * queries, each as a typed C function over static sc_query descriptors.
 *
 * Every function follows one shape: fill a local argument struct, pick the
 * statement variant (optional filters), call one runtime executor. The
 * parameters of a function are described once (vparam) and everything else,
 * vr_prototype, argument struct, field descriptors and body, derives from that. */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "sqlscan.h"
#include "type_oids.h"
#include "view.h"
#include "view_batch.h"
#include "view_repo.h"
#include "view_send.h"
#include "view_util.h"
#include "view_versioned.h"

enum { DEFAULT_PAGE_LIMIT = 50 };

void vr_init(vfunc *f, gen_arena *a, const m_schema *s, const m_table *t, const char *op)
{
    memset(f, 0, sizeof *f);
    f->a = a;
    f->s = s;
    f->t = t;
    f->name = gen_printf(a, "%s_%s_%s", s->prefix, t->name, op);
    f->args_struct = gen_printf(a, "%s_bind", f->name);
    f->public_args = gen_printf(a, "%s_args", f->name);
    f->variants = json_array();
    f->count_variants = json_array();
    gen_buf_init(&f->body, a);
}

vparam *vr_add_param(vfunc *f, const char *name, const m_type *type)
{
    for (size_t i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return &f->params[i];
    gen_grow(f->a, (void **)&f->params, &f->cap, f->nparams + 1, sizeof *f->params);
    vparam *p = &f->params[f->nparams++];
    memset(p, 0, sizeof *p);
    p->name = name;
    p->type = *type;
    return p;
}

vparam *vr_add_column_param(vfunc *f, const m_column *c)
{
    vparam *p = vr_add_param(f, c->name, &c->type);
    p->uuid_text = c->uuid_text;
    p->secret = c->secret;
    return p;
}

const vparam *vr_find(const vfunc *f, const char *name)
{
    for (size_t i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return &f->params[i];
    return NULL;
}

/* ---- C types of a parameter ------------------------------------------ */

bool vr_by_pointer(const vparam *p)
{
    return !vu_is_pointer(&p->type) && (p->nullable || p->optional);
}

bool vr_has_flag(const vparam *p)
{
    return !vu_is_pointer(&p->type) && p->nullable && !p->optional;
}

/* A scalar that may be absent, in a member of its own (not a patch's): it
 * travels as an sc_opt_* value. Arrays and bytea travel by pointer. */
bool vr_is_opt(const vparam *p)
{
    return vr_by_pointer(p) && !p->member && !p->type.array && !vu_is_blob(&p->type);
}

bool vr_struct_for(size_t visible)
{
    return visible > 3;
}

/* Long signatures take one struct: eight `const char *` in a row compile
 * whatever their order; designated initializers name each value. */
bool vr_wants_struct(const vfunc *f)
{
    size_t visible = 0;
    for (size_t i = 0; i < f->nparams; i++)
        visible += !f->params[i].computed && !f->params[i].hidden;
    return vr_struct_for(visible);
}

void vr_settle(vfunc *f)
{
    if (!f->settled)
        f->by_struct = vr_wants_struct(f);
    f->settled = true;
}

/* The caller's value of parameter `name` as the body reads it. */
const char *vr_arg(const vfunc *f, const char *name)
{
    return f->by_struct ? gen_printf(f->a, "args->%s", name) : name;
}

/* A C condition: the caller gave parameter p. */
const char *vr_present(const vfunc *f, const vparam *p)
{
    const char *arg = p->hidden ? gen_printf(f->a, "sc_args.%s", p->name) : vr_arg(f, p->name);
    return vr_is_opt(p) ? gen_printf(f->a, "%s.has", arg) : arg;
}

/* The type in the prototype (and in the caller's argument struct). */
const char *vr_arg_type(const vfunc *f, const vparam *p)
{
    const char *t = vu_c_type(f->a, f->s, &p->type);
    if (p->type.array)
        return "const sc_array *";
    if (vu_is_blob(&p->type))
        return gen_printf(f->a, "const %s *", t);
    if (strcmp(t, "char *") == 0)
        return "const char *";
    return vr_is_opt(p) ? vu_opt_type(f->a, f->s, &p->type) : t;
}

/* The type of the bound struct's member. */
static const char *vr_field_type(const vfunc *f, const vparam *p)
{
    if (vr_is_opt(p))
        return vu_opt_type(f->a, f->s, &p->type);
    const char *t = vu_c_type(f->a, f->s, &p->type);
    return strcmp(t, "char *") == 0 ? "const char *" : t;
}

/* ---- descriptors ----------------------------------------------------- */

const char *vr_param_init(const vfunc *f, const vparam *p)
{
    bool opt = vr_is_opt(p);
    return view_field_init(f->a, f->s, f->args_struct, p->name,
                           opt ? gen_printf(f->a, "%s.value", p->name) : p->member, &p->type,
                           p->nullable, vr_has_flag(p),
                           (p->computed ? VF_COMPUTED : 0) | (opt ? VF_OPT : 0), p->uuid_text,
                           p->secret);
}

/* The partition binding of a variant whose $n order is `order`. */
static const char *vr_partition_init(const vfunc *f, const char *const *order, size_t n)
{
    const m_partition *part = f->t->partition;
    if (!part || part->by != PART_LIST || !part->expression)
        return "{0, 0, 0}";
    int key = 0, source = 0;
    for (size_t i = 0; i < n; i++) {
        const vparam *p = vr_find(f, order[i]);
        if (p && p->computed)
            key = (int)i + 1;
        if (p && strcmp(order[i], part->source) == 0)
            source = (int)i + 1;
    }
    return key ? gen_printf(f->a, "{%d, %d, %d}", key, source, part->count) : "{0, 0, 0}";
}

/* The statement as data for `schemac vet` (vet.c), which prepares it on a
 * server: the SQL exactly as sent, the model types of its parameters and
 * the row it decodes into. Templates never read it; it rides in the view so
 * that vet checks the very statements generate writes, with no second
 * builder to keep in step. */
static json_t *vet_record(const vfunc *f, const char *sql, const char *const *order, size_t n,
                          const char *row, bool verdict)
{
    json_t *params = json_array();
    for (size_t i = 0; i < n; i++) {
        const vparam *p = vr_find(f, order[i]);
        json_array_append_new(params, json_pack("{s:s, s:i, s:b, s:s?}", "name", p->name, "kind",
                                                (int)p->type.kind, "array", p->type.array, "enum",
                                                p->type.enum_name));
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:s?, s:b}", "function", f->name, "table", f->t->name,
                     "sql", vu_text(sql), "params", params, "row", row, "verdict", verdict);
}

/* Adds one sc_query initializer; order[i] names the parameter bound to $i+1. */
void vr_add_variant(vfunc *f, json_t *list, const char *sql, const char *const *order,
                    size_t n, const char *row)
{
    size_t index = json_array_size(list);
    bool count = list == f->count_variants;
    const char *params_name = gen_printf(f->a, "%s_%sparams%zu", f->name, count ? "count_" : "", index);
    json_t *inits = json_array();
    gen_buf flags;
    gen_buf_init(&flags, f->a);
    gen_buf types;
    gen_buf_init(&types, f->a);
    bool secret = false, typed = false;
    for (size_t i = 0; i < n; i++) {
        const vparam *p = vr_find(f, order[i]);
        json_array_append_new(inits, vu_pair("init", vr_param_init(f, p)));
        gen_buf_printf(&flags, "%s%s", i ? ", " : "", p->secret ? "SC_PARAM_SECRET" : "0");
        secret |= p->secret;
        /* Typed parameters: the server need not infer them from context. */
        unsigned oid = m_type_oid(&p->type);
        gen_buf_printf(&types, "%s%u", i ? ", " : "", oid);
        typed |= oid != 0;
    }
    /* Secret parameters are masked when DB_ECHO logs the statement. */
    json_t *v = json_pack("{s:s, s:o, s:o, s:i, s:s, s:s, s:s, s:b, s:b, s:s, s:s}", "stmt",
                          gen_printf(f->a, "%s%s", f->name, count ? "_count" : ""), "sql",
                          vu_text(vu_c_string(f->a, sql, "                        ")), "params", inits,
                          "nparams", (int)n, "params_name", params_name, "row", row ? row : "NULL",
                          "partition", vr_partition_init(f, order, n), "has_params", n > 0,
                          "has_secrets", secret, "flags_name",
                          gen_printf(f->a, "%s_flags", params_name), "flags",
                          flags.data ? flags.data : "");
    json_object_set_new(v, "access", f->access && !count ? json_string(f->access) : json_false());
    json_object_set_new(v, "primary_only", json_boolean(f->primary_only));
    json_object_set_new(v, "types", typed ? json_string(types.data) : json_false());
    json_object_set_new(v, "types_name", json_string(gen_printf(f->a, "%s_types", params_name)));
    json_object_set_new(v, "settings", f->settings && !count ? json_string(f->settings) : json_false());
    json_t *vet = vet_record(f, sql, order, n, row, f->access && !count);
    json_object_set_new(vet, "variant", json_integer((json_int_t)index));
    json_object_set_new(vet, "count", json_boolean(count));
    json_object_set_new(v, "vet", vet);
    json_array_append_new(list, v);
}

/* ---- bodies ---------------------------------------------------------- */

void vr_assign(vfunc *f)
{
    vr_settle(f);
    gen_buf *b = &f->body;
    gen_buf_printf(b, "    %s sc_args;\n    memset(&sc_args, 0, sizeof sc_args);\n", f->args_struct);
    for (size_t i = 0; i < f->nparams; i++) {
        const vparam *p = &f->params[i];
        const char *arg = vr_arg(f, p->name);
        if (p->computed || p->hidden)
            continue;
        if (p->type.array || vu_is_blob(&p->type))
            gen_buf_printf(b, "    if (%s)\n        sc_args.%s = *%s;\n", arg, p->name, arg);
        else
            gen_buf_printf(b, "    sc_args.%s = %s;\n", p->name, arg);
    }
}

/* What the header says about an argument beyond its type. */
static const char *vr_arg_note(const vfunc *f, const vparam *p)
{
    const char *notes[4];
    size_t n = 0;
    if (p->uuid_text)
        notes[n++] = "UUID text";
    if (p->type.kind == T_VARCHAR && p->type.p > 0)
        notes[n++] = gen_printf(f->a, "at most %d characters", p->type.p);
    if (p->optional)
        notes[n++] = vr_is_opt(p) ? "SC_NONE drops its filter" : "NULL drops its filter";
    else if (p->nullable)
        notes[n++] = vr_is_opt(p) ? "SC_NONE is SQL NULL" : "NULL is SQL NULL";
    if (p->type.kind == T_JSON || p->type.kind == T_JSONB)
        notes[n++] = "borrowed: the caller keeps its reference";
    return n ? gen_printf(f->a, "/* %s */", vu_join(f->a, notes, n, "; ")) : NULL;
}

static void vr_declare_public(vfunc *f)
{
    f->public_fields = json_array();
    for (size_t i = 0; i < f->nparams; i++) {
        const vparam *p = &f->params[i];
        if (!p->computed && !p->hidden)
            json_array_append_new(f->public_fields, json_pack("{s:s, s:s?}", "decl", vu_decl(f->a, vr_arg_type(f, p), p->name), "note", vr_arg_note(f, p)));
    }
}

const char *vr_arguments(vfunc *f)
{
    vr_settle(f);
    if (f->by_struct)
        return gen_printf(f->a, ", const %s *args", f->public_args);
    gen_buf b;
    gen_buf_init(&b, f->a);
    for (size_t i = 0; i < f->nparams; i++)
        if (!f->params[i].computed && !f->params[i].hidden)
            gen_buf_printf(&b, ", %s", vu_decl(f->a, vr_arg_type(f, &f->params[i]), f->params[i].name));
    return b.data ? b.data : "";
}

const char *vr_prototype(vfunc *f, const char *outputs, bool arena)
{
    vr_settle(f);
    if (f->by_struct && !f->public_fields)
        vr_declare_public(f);
    gen_buf b;
    gen_buf_init(&b, f->a);
    gen_buf_printf(&b, "int %s(sc_conn *conn", f->name);
    if (arena)
        gen_buf_puts(&b, ", sc_arena *arena");
    gen_buf_puts(&b, vr_arguments(f));
    if (outputs)
        gen_buf_printf(&b, ", %s", outputs);
    gen_buf_puts(&b, ", sc_error *err)");
    return vr_wrap(f->a, b.data, strlen(f->name) + 5);
}

/* The next comma of C text outside string and character literals (a test
 * argument may be JSON with commas: breaking there would split the
 * literal), or NULL. */
static const char *next_comma(const char *p)
{
    char quote = 0;
    for (; *p; p++) {
        if (quote && *p == '\\' && p[1])
            p++;
        else if (quote && *p == quote)
            quote = 0;
        else if (!quote && (*p == '"' || *p == '\''))
            quote = *p;
        else if (!quote && *p == ',')
            return p;
    }
    return NULL;
}

/* Wraps a prototype or call at commas to stay within 100 columns. */
const char *vr_wrap(gen_arena *a, const char *text, size_t indent)
{
    gen_buf w;
    gen_buf_init(&w, a);
    size_t col = 0;
    for (const char *p = text; *p;) {
        const char *next = next_comma(p);
        size_t len = next ? (size_t)(next - p) + 1 : strlen(p);
        if (col + len > 96 && col > indent) {
            gen_buf_printf(&w, "\n%*s", (int)indent, "");
            col = indent;
            while (*p == ' ')
                p++, len--;
        }
        gen_buf_add(&w, p, len);
        col += len;
        p += len;
    }
    return w.data;
}

/* Positional UUID arguments are named in the comment (the struct form
 * notes them per member). */
static const char *uuid_note(const vfunc *f, const char *comment)
{
    const char *names[16];
    size_t n = 0;
    for (size_t i = 0; !f->by_struct && i < f->nparams && n < 16; i++) {
        const vparam *p = &f->params[i];
        if (p->uuid_text && !p->computed && !p->hidden && !p->member)
            names[n++] = p->name;
    }
    if (!n)
        return comment;
    return gen_printf(f->a, "%s %s must be UUID text (checked before the round trip).", comment,
                      vu_join(f->a, names, n, ", "));
}

json_t *vr_function_view(vfunc *f, const char *comment, const char *proto, bool declare_args)
{
    comment = uuid_note(f, comment);
    json_t *fields = json_array();
    for (size_t i = 0; declare_args && i < f->nparams; i++) {
        const vparam *p = &f->params[i];
        json_array_append_new(fields, vu_pair("decl", vu_decl(f->a, vr_field_type(f, p), p->name)));
        if (vr_has_flag(p))
            json_array_append_new(fields, vu_pair("decl", gen_printf(f->a, "bool has_%s", p->name)));
    }
    if (declare_args && json_array_size(fields) == 0)
        json_array_append_new(fields, vu_pair("decl", "char none /* no parameters */"));
    json_t *public_args = json_false();
    if (f->public_fields)
        public_args = json_pack("{s:s, s:s, s:o}", "name", f->public_args, "comment",
                                vu_comment(f->a, gen_printf(f->a, "The arguments of %s; members left out of a designated initializer are NULL / SC_NONE.", f->name), "", 100),
                                "fields", f->public_fields);
    return json_pack("{s:s, s:o, s:o, s:b, s:o, s:s, s:o, s:s, s:b, s:o, s:o, s:o, s:b, s:b}", "name", f->name,
                     "comment", vu_text(vu_comment(f->a, comment, "", 100)), "prototype", vu_text(proto),
                     "has_args", declare_args && json_array_size(fields) > 0, "args_fields", fields,
                     "args_struct", f->args_struct, "variants", f->variants, "queries_name",
                     gen_printf(f->a, "%s_queries", f->name), "has_count",
                     json_array_size(f->count_variants) > 0, "count_variants", f->count_variants,
                     "body", vu_text(f->body.data ? f->body.data : ""), "public_args", public_args,
                     "has_variants", json_array_size(f->variants) > 0, "keyset", false);
}

json_t *vr_companion_view(const vfunc *f, const char *name, const char *comment,
                          const char *proto, const char *body)
{
    return json_pack("{s:s, s:o, s:o, s:b, s:[], s:s, s:[], s:s, s:b, s:[], s:o, s:b, s:b, s:b}",
                     "name", name, "comment", vu_text(vu_comment(f->a, comment, "", 100)), "prototype",
                     vu_text(proto), "has_args", false, "args_fields", "args_struct", f->args_struct,
                     "variants", "queries_name", gen_printf(f->a, "%s_queries", f->name),
                     "has_count", false, "count_variants", "body", vu_text(body), "public_args", false,
                     "has_variants", false, "keyset", false);
}

/* ---- SQL helpers ----------------------------------------------------- */

/* The explicit column list `*` stands for, wrapped so that generated SQL
 * stays readable in review. */
const char *vr_select_list(gen_arena *a, const m_table *t, const char *alias)
{
    gen_buf b;
    gen_buf_init(&b, a);
    size_t line = 0;
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        const char *col = gen_printf(a, "%s%s", alias && i ? alias : "", c->name);
        /* The runtime reads the text of a type it does not decode. */
        if (c->type.kind == T_TEXTMAP)
            col = gen_printf(a, "%s::text%s AS %s", col, c->type.array ? "[]" : "", c->name);
        if (i && line + strlen(col) > 72) {
            gen_buf_puts(&b, ",\n       ");
            line = 0;
        } else if (i) {
            gen_buf_puts(&b, ", ");
        }
        gen_buf_puts(&b, col);
        line += strlen(col) + 2;
    }
    return b.data;
}

const char *vr_qualified(gen_arena *a, const m_schema *s, const m_table *t)
{
    return gen_printf(a, "%s.%s", s->name, t->name);
}

static void vr_where_add(vfunc *f, where *w, const m_column *c)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->order[i], c->name) == 0)
            return;
    vparam *p = vr_add_column_param(f, c);
    p->computed = m_is_computed_key(f->t, c);
    gen_grow(f->a, (void **)&w->order, &w->cap, w->n + 1, sizeof *w->order);
    w->order[w->n++] = c->name;
    gen_buf_printf(&w->sql, "%s%s = $%zu", w->n > 1 ? " AND " : "", c->name, w->n);
}

void vr_where_key(vfunc *f, where *w, bool pk)
{
    const m_table *t = f->t;
    gen_buf_init(&w->sql, f->a);
    for (size_t i = 0; pk && i < t->primary_key.n; i++)
        vr_where_add(f, w, m_find_column(t, t->primary_key.items[i]));
    if (t->scope_col)
        vr_where_add(f, w, t->scope_col);
    if (t->partition && t->partition->source_col && t->partition->by != PART_RANGE)
        vr_where_add(f, w, t->partition->source_col);
    if (t->partition && t->partition->key_col && t->partition->expression)
        vr_where_add(f, w, t->partition->key_col);
}

static const char *vr_order_by_pk(gen_arena *a, const m_table *t)
{
    if (!t->primary_key.n)
        return "";
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, "\nORDER BY ");
    for (size_t i = 0; i < t->primary_key.n; i++)
        gen_buf_printf(&b, "%s%s", i ? ", " : "", t->primary_key.items[i]);
    return b.data;
}

/* ---- standard operations --------------------------------------------- */

static void op_get(gen_arena *a, const m_schema *s, const m_table *t, const char *row,
                   json_t *functions)
{
    vfunc f;
    vr_init(&f, a, s, t, "get");
    where w = {0};
    vr_where_key(&f, &w, true);
    const char *sql = gen_printf(a, "SELECT %s\nFROM %s\nWHERE %s", vr_select_list(a, t, NULL),
                                 vr_qualified(a, s, t), w.sql.data);
    vr_add_variant(&f, f.variants, sql, w.order, w.n, gen_printf(a, "&%s_row", row));
    vr_assign(&f);
    const char *prefix = gen_strdup(a, f.body.data);
    gen_buf_printf(&f.body, "    return sc_query_one(conn, &%s_queries[0], &sc_args, arena, out, err);\n", f.name);
    const char *proto = vr_prototype(&f, gen_printf(a, "%s *out", row), true);
    json_t *send = vs_function(&f, &(vs_shape){.prefix = prefix, .args = "&sc_args", .variant = "0",
                                               .inputs = vr_arguments(&f), .row = row});
    json_array_append_new(functions, vr_function_view(&f, gen_printf(a, "One row of %s by its primary key; SC_NOT_FOUND when there is none%s.", t->name, t->scope_col ? " or it belongs to another user" : ""),
                                                      proto, true));
    json_array_append_new(functions, send);
}

static void op_delete(gen_arena *a, const m_schema *s, const m_table *t, json_t *functions)
{
    vfunc f;
    vr_init(&f, a, s, t, "delete");
    where w = {0};
    vr_where_key(&f, &w, true);
    const char *sql = gen_printf(a, "DELETE FROM %s\nWHERE %s", vr_qualified(a, s, t), w.sql.data);
    vr_add_variant(&f, f.variants, sql, w.order, w.n, NULL);
    vr_assign(&f);
    const char *prefix = gen_strdup(a, f.body.data);
    const char *fill = vb_fill(&f);
    gen_buf_printf(&f.body,
                   "    int64_t sc_affected = 0;\n"
                   "    int sc_rc = sc_query_exec(conn, &%s_queries[0], &sc_args, &sc_affected, err);\n"
                   "    if (sc_rc == SC_OK && sc_affected == 0)\n"
                   "        return sc_error_set(err, SC_NOT_FOUND, \"%s: no row\");\n"
                   "    return sc_rc;\n", f.name, f.name);
    const char *proto = vr_prototype(&f, NULL, false);
    json_t *batch = vb_plain_params(&f) ? vb_function(&f, &(vb_shape){.fill = fill, .none_is_error = true}) : NULL;
    json_t *send = vs_function(&f, &(vs_shape){.prefix = prefix, .args = "&sc_args", .variant = "0",
                                               .inputs = vr_arguments(&f), .none_is_error = true});
    json_t *fv = vr_function_view(&f, gen_printf(a, "Deletes one row of %s by its primary key; SC_NOT_FOUND when there is none.", t->name),
                                  proto, true);
    if (batch && !f.by_struct)
        vb_declare_items(&f, fv, NULL);
    json_array_append_new(functions, fv);
    if (batch)
        json_array_append_new(functions, batch);
    json_array_append_new(functions, send);
}

static json_t *op_list(gen_arena *a, const m_schema *s, const m_table *t, const char *row)
{
    vfunc f;
    vr_init(&f, a, s, t, "list");
    where w = {0};
    vr_where_key(&f, &w, false);
    const char *filter = w.n ? gen_printf(a, "\nWHERE %s", w.sql.data) : "";
    m_type bigint;
    m_type_parse("bigint", &bigint);
    vr_add_param(&f, "limit", &bigint)->computed = false;
    vr_add_param(&f, "offset", &bigint);
    const char **order = gen_alloc(a, (w.n + 2) * sizeof *order);
    if (w.n)
        memcpy(order, w.order, w.n * sizeof *order);
    order[w.n] = "limit";
    order[w.n + 1] = "offset";
    const char *sql = gen_printf(a, "SELECT %s\nFROM %s%s%s\nLIMIT $%zu OFFSET $%zu",
                                 vr_select_list(a, t, NULL), vr_qualified(a, s, t), filter,
                                 vr_order_by_pk(a, t), w.n + 1, w.n + 2);
    vr_add_variant(&f, f.variants, sql, order, w.n + 2, gen_printf(a, "&%s_row", row));
    vr_add_variant(&f, f.count_variants, gen_printf(a, "SELECT count(*)\nFROM %s%s", vr_qualified(a, s, t), filter),
                w.order, w.n, NULL);
    /* limit and offset come from the page, not the vr_prototype */
    f.nparams -= 2;
    const char *proto = vr_prototype(&f, gen_printf(a, "const sc_page *page, %s **out_rows, size_t *out_n, int64_t *out_total", row), true);
    vr_assign(&f);
    f.nparams += 2;
    gen_buf_printf(&f.body,
                   "    sc_args.limit = page ? page->limit : %d;\n"
                   "    sc_args.offset = page ? page->offset : 0;\n"
                   "    int sc_rc = sc_query_many(conn, &%s_queries[0], &sc_args, arena, (void **)out_rows, out_n, err);\n"
                   "    if (sc_rc == SC_OK && out_total)\n"
                   "        sc_rc = sc_query_count(conn, &%s_count_queries[0], &sc_args, out_total, err);\n"
                   "    return sc_rc;\n", DEFAULT_PAGE_LIMIT, f.name, f.name);
    return vr_function_view(&f, gen_printf(a, "A page of %s in primary key order (page NULL: the first %d), and the total count when out_total is not NULL.", t->name, DEFAULT_PAGE_LIMIT),
                         proto, true);
}

bool vr_insertable(const m_table *t, const m_column *c)
{
    (void)t;
    return c->type.kind != T_SERIAL && c->type.kind != T_BIGSERIAL && !c->generated &&
           !c->server_written;
}

/* The create input: one member per vr_insertable column but the computed key.
 * Columns with a default take it when left unset (NULL / has_ flag false). */
static json_t *new_struct(gen_arena *a, const m_schema *s, const m_table *t, const char *name)
{
    json_t *fields = json_array();
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        if (!vr_insertable(t, c) || m_is_computed_key(t, c))
            continue;
        bool optional = c->nullable || c->default_sql;
        const char *note = c->default_sql ? gen_printf(a, "/* unset: DEFAULT %s */", c->default_sql)
                           : c->nullable  ? "/* unset: NULL */"
                                          : NULL;
        json_array_append_new(fields, json_pack("{s:s, s:s?}", "decl", vu_decl(a, vu_input_type(a, s, &c->type), c->name), "note", note));
        if (optional && !vu_is_pointer(&c->type))
            json_array_append_new(fields, json_pack("{s:s, s:n}", "decl", gen_printf(a, "bool has_%s", c->name), "note"));
    }
    return json_pack("{s:s, s:s, s:o, s:b}", "name", name, "comment",
                     vu_comment(a, gen_printf(a, "The columns of a new %s row; the server fills the rest.", t->name), "", 100),
                     "fields", fields, "row_fn", false);
}

/* The batch form of create: every row in one pipelined round trip per
 * SC_BATCH_CHUNK rows, all or nothing (sc_query_batch). */
static json_t *create_batch(const vfunc *f, const char *row, const char *new_name)
{
    gen_arena *a = f->a;
    const char *name = gen_printf(a, "%s_batch", f->name);
    const char *proto = vr_wrap(a, gen_printf(a, "int %s(sc_conn *conn, sc_arena *arena, const %s *rows, size_t n, %s *out, sc_error *errors, sc_error *err)",
                                              name, new_name, row), strlen(name) + 5);
    const char *body = gen_printf(a, "    sc_batch batch = {.args = rows, .args_size = sizeof *rows, .n = n, .arena = arena,\n"
                                     "                      .rows = out, .errors = errors};\n"
                                     "    return sc_query_batch(conn, &%s_queries[0], &batch, err);\n", f->name);
    const char *comment = gen_printf(a, "Inserts n %s rows in one pipeline (a round trip per %s), all or nothing: outside a transaction in one of its own, inside the caller's a failing row aborts it. out (NULL: not kept) gets the n rows as stored; errors (NULL: err only) gets each row's outcome, SC_NOT_RUN for rows not inserted because another failed. Bad input is refused before anything is sent.",
                                     vu_table_singular(a, f->t), "SC_BATCH_CHUNK rows");
    return vr_companion_view(f, name, comment, proto, body);
}

static void op_create(gen_arena *a, const m_schema *s, const m_table *t, const char *row,
                      const char *new_name, json_t *functions)
{
    vfunc f;
    vr_init(&f, a, s, t, "create");
    f.args_struct = new_name;
    gen_buf cols, vals;
    gen_buf_init(&cols, a);
    gen_buf_init(&vals, a);
    const char **order = gen_alloc(a, (t->ncolumns + 1) * sizeof *order);
    size_t n = 0;
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        if (!vr_insertable(t, c))
            continue;
        vparam *p = vr_add_column_param(&f, c);
        p->computed = m_is_computed_key(t, c);
        p->nullable = c->nullable || c->default_sql;
        p->member = c->name; /* a member of the caller's _new struct: has_ flags, no sc_opt */
        order[n++] = c->name;
        const char *cast = gen_printf(a, "$%zu%s", n, vu_param_cast(a, s, &c->type));
        gen_buf_printf(&cols, "%s%s", n > 1 ? ", " : "", c->name);
        gen_buf_printf(&vals, "%s%s", n > 1 ? ", " : "",
                       c->default_sql ? gen_printf(a, "COALESCE(%s, %s)", cast, c->default_sql) : cast);
    }
    const char *sql = vv_create_sql(a, s, t, cols.data, vals.data, order, n);
    if (!sql)
        sql = gen_printf(a, "INSERT INTO %s (%s)\nVALUES (%s)\nRETURNING %s", vr_qualified(a, s, t),
                         cols.data, vals.data, vr_select_list(a, t, NULL));
    vr_add_variant(&f, f.variants, sql, order, n, gen_printf(a, "&%s_row", row));
    gen_buf_printf(&f.body, "    return sc_query_one(conn, &%s_queries[0], in, arena, out, err);\n", f.name);
    const char *proto = vr_wrap(a, gen_printf(a, "int %s(sc_conn *conn, sc_arena *arena, const %s *in, %s *out, sc_error *err)",
                                              f.name, new_name, row), strlen(f.name) + 5);
    /* The descriptor reads the caller's struct: has_ flags live there. */
    for (size_t i = 0; i < f.nparams; i++)
        f.params[i].optional = false;
    json_t *batch = create_batch(&f, row, new_name);
    json_t *send = vs_function(&f, &(vs_shape){.prefix = "", .args = "in", .variant = "0",
                                               .inputs = gen_printf(a, ", const %s *in", new_name), .row = row});
    json_array_append_new(functions, vr_function_view(&f, gen_printf(a, "Inserts %s %s row and returns it as stored (defaults, serials and triggers applied).%s", vu_article(vu_table_singular(a, t)), vu_table_singular(a, t), vv_create_note(a, t)),
                         proto, false));
    json_array_append_new(functions, batch);
    json_array_append_new(functions, send);
}

/* "&name_queries[i]" for every statement of every function, in order. */
static json_t *statement_refs(gen_arena *a, json_t *functions)
{
    json_t *refs = json_array();
    size_t i;
    json_t *fn;
    json_array_foreach(functions, i, fn) {
        const char *name = json_string_value(json_object_get(fn, "name"));
        size_t n = json_array_size(json_object_get(fn, "variants"));
        size_t nc = json_array_size(json_object_get(fn, "count_variants"));
        for (size_t k = 0; k < n; k++)
            json_array_append_new(refs, vu_pair("ref", gen_printf(a, "&%s_queries[%zu]", name, k)));
        for (size_t k = 0; k < nc; k++)
            json_array_append_new(refs, vu_pair("ref", gen_printf(a, "&%s_count_queries[%zu]", name, k)));
    }
    return refs;
}

/* One callback adapter per row type the _each functions stream. */
static json_t *row_calls(json_t *functions)
{
    json_t *calls = json_array(), *seen = json_object();
    size_t i;
    json_t *fn;
    json_array_foreach(functions, i, fn) {
        const char *row = json_string_value(json_object_get(fn, "each_row"));
        if (!row || json_object_get(seen, row))
            continue;
        json_object_set_new(seen, row, json_true());
        json_array_append_new(calls, vu_pair("row", row));
    }
    json_decref(seen);
    return calls;
}

json_t *view_repository(gen_arena *a, const m_schema *s, const m_table *t, const view_env *env)
{
    json_t *v = json_object();
    const char *file = gen_printf(a, "%s_%s.h", s->prefix, t->name);
    view_common(v, a, s, env, file);
    const char *row = gen_printf(a, "%s_%s", s->prefix, vu_table_singular(a, t));
    const char *new_name = gen_printf(a, "%s_new", row);
    json_t *types = json_array(), *functions = json_array();
    if (t->operations & OP_CREATE) {
        json_array_append_new(types, new_struct(a, s, t, new_name));
        op_create(a, s, t, row, new_name, functions);
    }
    if ((t->operations & OP_GET) && t->primary_key.n)
        op_get(a, s, t, row, functions);
    if ((t->operations & OP_UPDATE) && t->primary_key.n)
        view_repo_update(a, s, t, row, types, functions);
    if ((t->operations & OP_DELETE) && t->primary_key.n)
        op_delete(a, s, t, functions);
    if (t->operations & OP_LIST)
        json_array_append_new(functions, op_list(a, s, t, row));
    view_repo_transitions(a, s, t, row, functions);
    json_t *row_descs = json_array(), *copies = json_array(), *upserts = json_array();
    view_repo_queries(a, s, t, types, row_descs, functions, copies, upserts);
    json_object_set_new(v, "upserts", upserts);
    json_object_set_new(v, "row_calls", row_calls(functions));
    json_object_set_new(v, "row_descs", row_descs);
    json_object_set_new(v, "copies", copies);
    json_object_set_new(v, "statements", statement_refs(a, functions));
    json_object_set_new(v, "statements_name", json_string(gen_printf(a, "%s_%s_statements", s->prefix, t->name)));
    json_object_set_new(v, "header", json_string(file));
    json_object_set_new(v, "table", json_string(t->name));
    json_object_set_new(v, "types", types);
    json_object_set_new(v, "functions", functions);
    return v;
}

