/* Repository functions beyond get/create/delete/list: the update of chosen
 * columns, status moves checked against the enum's state machine, and every
 * named query of the schema with its optional-filter variants. */
#include <stdio.h>
#include <string.h>

#include "sqlscan.h"
#include "view_batch.h"
#include "view_guard.h"
#include "view_keyset.h"
#include "view_qtests.h"
#include "view_repo.h"
#include "view_send.h"
#include "view_util.h"

/* ---- update of chosen columns --------------------------------------- */

static bool has_transitions(const m_column *c)
{
    return c->type.kind == T_ENUM && !c->type.array && c->type.en && c->type.en->ntransitions;
}

static bool in_key(const m_table *t, const m_column *c)
{
    for (size_t i = 0; i < t->primary_key.n; i++)
        if (strcmp(t->primary_key.items[i], c->name) == 0)
            return true;
    const m_partition *p = t->partition;
    return c == t->scope_col || (p && (c == p->key_col || c == p->source_col));
}

/* Updatable: written by C, not identifying the row, not moved by a state
 * machine (those have their own set_ function). */
static bool updatable(const m_table *t, const m_column *c)
{
    return vr_insertable(t, c) && !in_key(t, c) && !has_transitions(c);
}

void view_repo_update(gen_arena *a, const m_schema *s, const m_table *t, const char *row,
                      json_t *types, json_t *functions)
{
    vfunc f;
    vr_init(&f, a, s, t, "update");
    const char *patch = gen_printf(a, "%s_patch", row);
    json_t *fields = json_array();
    gen_buf set;
    gen_buf_init(&set, a);
    const char **order = gen_alloc(a, (2 * t->ncolumns + 8) * sizeof *order);
    size_t n = 0;
    m_type boolean;
    m_type_parse("boolean", &boolean);
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        if (!updatable(t, c))
            continue;
        vparam *flag = vr_add_param(&f, gen_printf(a, "set_%s", c->name), &boolean);
        flag->member = gen_printf(a, "patch.set_%s", c->name);
        vparam *value = vr_add_column_param(&f, c);
        value->member = gen_printf(a, "patch.%s", c->name);
        value->nullable = true; /* ignored when not set; NULL for a NOT NULL column fails */
        value->optional = !c->nullable; /* no has_ flag: a value is always there */
        order[n++] = flag->name;
        order[n++] = value->name;
        gen_buf_printf(&set, "%s%s = CASE WHEN $%zu THEN $%zu%s ELSE %s END", n > 2 ? ",\n    " : "",
                       c->name, n - 1, n, vu_param_cast(a, s, &c->type), c->name);
        json_array_append_new(fields, json_pack("{s:s, s:n}", "decl", gen_printf(a, "bool set_%s", c->name), "note"));
        json_array_append_new(fields, json_pack("{s:s, s:n}", "decl", vu_decl(a, vu_input_type(a, s, &c->type), c->name), "note"));
        if (c->nullable && !vu_is_pointer(&c->type))
            json_array_append_new(fields, json_pack("{s:s, s:n}", "decl", gen_printf(a, "bool has_%s", c->name), "note"));
    }
    if (!n) { /* nothing to update: no function, and f's arrays go too */
        json_decref(fields);
        json_decref(f.variants);
        json_decref(f.count_variants);
        return;
    }
    size_t nset = f.nparams;
    where w = {0};
    vr_where_key(&f, &w, true);
    for (size_t i = 0; i < w.n; i++)
        order[n++] = w.order[i];
    /* the key's $n follow the SET list's */
    gen_buf key;
    gen_buf_init(&key, a);
    for (size_t i = 0; i < w.n; i++)
        gen_buf_printf(&key, "%s%s = $%zu", i ? " AND " : "", w.order[i], 2 * (nset / 2) + i + 1);
    const char *sql = gen_printf(a, "UPDATE %s SET\n    %s\nWHERE %s\nRETURNING %s", vr_qualified(a, s, t),
                                 set.data, key.data, vr_select_list(a, t, NULL));
    vr_add_variant(&f, f.variants, sql, order, n, gen_printf(a, "&%s_row", row));
    json_array_append_new(types, json_pack("{s:s, s:s, s:o, s:b}", "name", patch, "comment",
                                           vu_comment(a, gen_printf(a, "The columns to change in %s %s row: set_x selects x.", vu_article(vu_table_singular(a, t)), vu_table_singular(a, t)), "", 100),
                                           "fields", fields, "row_fn", false));
    /* The argument struct embeds the patch; the prototype takes it by pointer. */
    size_t total = f.nparams;
    f.nparams = nset;
    for (size_t i = 0; i < nset; i++)
        f.params[i].computed = true; /* hidden from prototype and assignments */
    f.nparams = total;
    const char *proto = vr_prototype(&f, gen_printf(a, "const %s *patch, %s *out", patch, row), true);
    /* patch first in the prototype reads better: move it */
    gen_buf_printf(&f.body, "    %s sc_args;\n    memset(&sc_args, 0, sizeof sc_args);\n    sc_args.patch = *patch;\n", f.args_struct);
    for (size_t i = nset; i < total; i++)
        if (!f.params[i].computed)
            gen_buf_printf(&f.body, "    sc_args.%s = %s;\n", f.params[i].name, vr_arg(&f, f.params[i].name));
    json_t *send = vs_function(&f, &(vs_shape){.prefix = gen_strdup(a, f.body.data), .args = "&sc_args", .variant = "0",
                                               .inputs = gen_printf(a, "%s, const %s *patch", vr_arguments(&f), patch), .row = row});
    gen_buf_printf(&f.body, "    return sc_query_one(conn, &%s_queries[0], &sc_args, arena, out, err);\n", f.name);
    gen_buf fill;
    gen_buf_init(&fill, a);
    gen_buf_puts(&fill, "        sc_args[i].patch = items[i].patch;\n");
    for (size_t i = nset; i < total; i++)
        if (!f.params[i].computed)
            gen_buf_printf(&fill, "        sc_args[i].%s = items[i].%s;\n", f.params[i].name, f.params[i].name);
    json_t *batch = vb_function(&f, &(vb_shape){.fill = fill.data, .row = row, .none_is_error = true});
    for (size_t i = 0; i < nset; i++)
        f.params[i].computed = false;
    json_t *fv = vr_function_view(&f, gen_printf(a, "Changes the columns selected in patch and returns the row; SC_NOT_FOUND when there is no such row%s.", t->scope_col ? " for this user" : ""), proto, false);
    /* the argument struct: the patch, then the key */
    json_t *args = json_array();
    json_array_append_new(args, json_pack("{s:s, s:n}", "decl", gen_printf(a, "%s patch", patch), "note"));
    for (size_t i = nset; i < total; i++) {
        const vparam *p = &f.params[i];
        const char *type = vu_c_type(a, s, &p->type);
        json_array_append_new(args, json_pack("{s:s, s:n}", "decl", vu_decl(a, strcmp(type, "char *") == 0 ? "const char *" : type, p->name), "note"));
    }
    json_object_set_new(fv, "args_fields", json_deep_copy(args));
    json_object_set(fv, "has_args", json_true());
    vb_declare_items(&f, fv, args);
    json_array_append_new(functions, fv);
    json_array_append_new(functions, batch);
    json_array_append_new(functions, send);
}

/* ---- status moves --------------------------------------------------- */

/* The arguments of the table's get for the key of w, from the bound
 * values, in get's own form (positional or its argument struct). */
static const char *get_arguments(const vfunc *f, const where *w)
{
    gen_buf b;
    gen_buf_init(&b, f->a);
    size_t visible = 0;
    for (size_t i = 0; i < w->n; i++)
        visible += !vr_find(f, w->order[i])->computed;
    bool by_struct = vr_struct_for(visible);
    for (size_t i = 0; i < w->n; i++)
        if (!vr_find(f, w->order[i])->computed)
            gen_buf_printf(&b, "%s%s%ssc_args.%s", b.len ? ", " : "", by_struct ? "." : "",
                           by_struct ? gen_printf(f->a, "%s = ", w->order[i]) : "", w->order[i]);
    return by_struct ? gen_printf(f->a, "&(%s_%s_get_args){%s}", f->s->prefix, f->t->name, b.data) : b.data;
}

static json_t *transition_function(gen_arena *a, const m_schema *s, const m_table *t,
                                   const char *row, const m_column *c)
{
    vfunc f;
    vr_init(&f, a, s, t, gen_printf(a, "set_%s", c->name));
    where w = {0};
    vr_where_key(&f, &w, true);
    const m_enum *e = c->type.en;
    m_type to_type = c->type, from_type = c->type;
    from_type.array = true;
    vr_add_param(&f, "to", &to_type);
    vparam *from = vr_add_param(&f, "allowed_from", &from_type);
    const char **order = gen_alloc(a, (w.n + 2) * sizeof *order);
    if (w.n)
        memcpy(order, w.order, w.n * sizeof *order);
    order[w.n] = "to";
    order[w.n + 1] = "allowed_from";
    const char *enum_sql = vu_sql_type(a, s, &c->type);
    const char *sql = gen_printf(a, "UPDATE %s SET %s = $%zu::%s\nWHERE %s AND %s = ANY($%zu::%s[])\nRETURNING %s",
                                 vr_qualified(a, s, t), c->name, w.n + 1, enum_sql, w.sql.data, c->name,
                                 w.n + 2, enum_sql, vr_select_list(a, t, NULL));
    vr_add_variant(&f, f.variants, sql, order, w.n + 2, gen_printf(a, "&%s_row", row));
    const char *en = gen_printf(a, "%s_%s", s->prefix, e->name);
    const char *count = gen_printf(a, "%s_COUNT", vu_upper(a, en));
    /* allowed_from is bound like any parameter but filled by the body from
     * the state machine, so it stays out of the prototype. */
    from->computed = true;
    const char *proto = vr_prototype(&f, gen_printf(a, "%s *out", row), true);
    vr_assign(&f);
    gen_buf *b = &f.body;
    gen_buf_printf(b, "    int sc_from[%s];\n    size_t sc_nfrom = 0;\n", count);
    gen_buf_printf(b, "    for (int v = 0; v < %s; v++)\n        if (%s_can_transition((%s)v, sc_args.to))\n            sc_from[sc_nfrom++] = v;\n", count, en, en);
    gen_buf_puts(b, "    sc_args.allowed_from = (sc_array){sc_nfrom, sc_from};\n");
    gen_buf_printf(b, "    int sc_rc = sc_query_one(conn, &%s_queries[0], &sc_args, arena, out, err);\n", f.name);
    if (t->operations & OP_GET) {
        gen_buf_puts(b, "    if (sc_rc != SC_NOT_FOUND)\n        return sc_rc;\n");
        gen_buf_puts(b, "    /* Nothing changed: no such row, or a move the state machine forbids. */\n");
        gen_buf_puts(b, "    sc_error_clear(err);\n");
        gen_buf_printf(b, "    sc_rc = %s_%s_get(conn, arena, %s, out, err);\n"
                          "    if (sc_rc != SC_OK)\n        return sc_rc;\n", s->prefix, t->name, get_arguments(&f, &w));
        gen_buf_printf(b, "    return sc_error_set(err, SC_CHECK, \"%s: %s cannot move from %%s to %%s\",\n"
                          "                        %s_to_string(out->%s), %s_to_string(sc_args.to));\n",
                       f.name, c->name, en, c->name, en);
    } else {
        gen_buf_puts(b, "    return sc_rc;\n");
    }
    return vr_function_view(&f, gen_printf(a, "Moves %s to `to` if the state machine of %s allows it from the current value, in one UPDATE (no read-then-write race). SC_CHECK names both states when it does not; SC_NOT_FOUND when there is no such row.", c->name, e->name), proto, true);
}

void view_repo_transitions(gen_arena *a, const m_schema *s, const m_table *t, const char *row,
                           json_t *functions)
{
    if (!t->primary_key.n)
        return;
    for (size_t i = 0; i < t->ncolumns; i++)
        if (has_transitions(&t->columns[i]))
            json_array_append_new(functions, transition_function(a, s, t, row, &t->columns[i]));
}

/* ---- named queries --------------------------------------------------- */

typedef struct rewrite_ctx {
    gen_arena *a;
    const m_schema *s;
    const m_table *t;
} rewrite_ctx;

static bool is_relation_keyword(const sql_tok *t)
{
    static const char *const words[] = {"from", "join", "into", "update", "only", "table", NULL};
    for (size_t i = 0; t && words[i]; i++)
        if (sql_tok_is(t, words[i]))
            return true;
    return false;
}

static bool is_relation(const m_schema *s, const char *name)
{
    return m_find_table(s, name) || m_find_view(s, name);
}

/* Expands `*` to the table's columns and names the schema of every table,
 * view, enum (in casts) and function the SQL mentions. */
static const char *rewrite(void *vctx, const sql_scan *scan, size_t i)
{
    rewrite_ctx *c = vctx;
    const sql_tok *t = &scan->toks[i];
    const sql_tok *prev = i ? &scan->toks[i - 1] : NULL;
    const sql_tok *next = i + 1 < scan->n ? &scan->toks[i + 1] : NULL;
    bool after_dot = prev && prev->kind == TK_PUNCT && strcmp(prev->text, ".") == 0;
    bool before_dot = next && next->kind == TK_PUNCT && strcmp(next->text, ".") == 0;
    if (t->kind == TK_OP && strcmp(t->text, "*") == 0) {
        if (prev && (sql_tok_is(prev, "select") || sql_tok_is(prev, "returning")))
            return vr_select_list(c->a, c->t, NULL);
        if (after_dot && i >= 2 && scan->toks[i - 2].kind == TK_IDENT)
            return vr_select_list(c->a, c->t, gen_printf(c->a, "%s.", scan->toks[i - 2].text));
        return NULL;
    }
    if (t->kind != TK_IDENT || after_dot || before_dot)
        return NULL;
    bool cast = prev && prev->kind == TK_OP && strcmp(prev->text, "::") == 0;
    bool call = next && next->kind == TK_PUNCT && strcmp(next->text, "(") == 0;
    if ((is_relation_keyword(prev) && is_relation(c->s, t->text)) ||
        (cast && m_find_enum(c->s, t->text)) || (call && m_find_function(c->s, t->text)))
        return gen_printf(c->a, "%s.%s", c->s->name, t->text);
    return NULL;
}

/* Where a parameter goes in the prototype: what identifies the row (primary
 * key or a unique column, then the scope, then the partition source) first, then the rest in
 * the order the SQL mentions them; so `update_status(id, status, message)`
 * reads like `get(id)`, whatever the SQL's order. A value assigned in SET
 * never identifies the row, even to a unique column (`rename(id, user_id,
 * new_name)`). */
static int param_rank(const m_query *q, const m_param *p)
{
    const m_table *t = q->table;
    int rank = 3;
    for (size_t k = 0; k < p->ncompared; k++) {
        const m_column *c = p->compared[k];
        if (c->table != t || p->assigned[k])
            continue;
        for (size_t i = 0; i < t->primary_key.n; i++)
            if (strcmp(t->primary_key.items[i], c->name) == 0)
                rank = 0;
        if (c->unique)
            rank = 0;
        if (c == t->scope_col && rank > 1)
            rank = 1;
        if (t->partition && c == t->partition->source_col && rank > 2)
            rank = 2;
    }
    return p->optional ? 3 : rank;
}

/* NULL is a value the caller may pass: declared so, or stored into a
 * nullable column and never compared (`col = NULL` matches nothing). */
static bool param_takes_null(const m_param *p)
{
    if (p->declared)
        return p->declared_nullable;
    return p->from_column && p->from_column->nullable && !p->in_condition;
}

void vq_add_params(vfunc *f, const m_query *q)
{
    for (int rank = 0; rank <= 3; rank++)
    for (size_t i = 0; i < q->nparams; i++) {
        const m_param *mp = &q->params[i];
        if (param_rank(q, mp) != rank)
            continue;
        vparam *p = vr_add_param(f, mp->name, &mp->type);
        p->optional = mp->optional;
        p->computed = mp->computed;
        for (size_t k = 0; k < mp->ncompared; k++) {
            p->uuid_text |= mp->compared[k]->uuid_text;
            p->secret |= mp->compared[k]->secret;
        }
        p->nullable = !mp->optional && param_takes_null(mp);
        if (p->type.kind == T_ENUM && !p->type.en)
            p->type.en = m_find_enum(f->s, p->type.enum_name);
    }
}

const char *vq_row_type(gen_arena *a, const m_schema *s, const m_query *q)
{
    return q->ncolumns ? gen_printf(a, "%s_%s_%s_row", s->prefix, q->table->name, q->name)
                       : gen_printf(a, "%s_%s", s->prefix, vu_table_singular(a, q->table));
}

/* Row struct and descriptor for a query that declares its columns. */
static const char *declared_row(gen_arena *a, const m_schema *s, const m_query *q, json_t *types,
                                json_t *row_descs)
{
    const char *name = vq_row_type(a, s, q);
    json_t *fields = json_array(), *inits = json_array();
    for (size_t i = 0; i < q->ncolumns; i++) {
        const m_result_col *c = &q->columns[i];
        bool flag = c->nullable && !vu_is_pointer(&c->type);
        json_array_append_new(fields, json_pack("{s:s, s:n}", "decl", vu_decl(a, vu_row_type(a, s, &c->type), c->name), "note"));
        if (flag)
            json_array_append_new(fields, json_pack("{s:s, s:n}", "decl", gen_printf(a, "bool has_%s", c->name), "note"));
        json_array_append_new(inits, vu_pair("init", view_field_init(a, s, name, c->name, NULL, &c->type, c->nullable, flag, VF_ROW, false, false)));
    }
    json_array_append_new(types, json_pack("{s:s, s:s, s:o, s:s}", "name", name, "comment",
                                           vu_comment(a, gen_printf(a, "A row of %s.", q->name), "", 100), "fields", fields,
                                           "row_fn", gen_printf(a, "%s_fn", name)));
    json_array_append_new(row_descs, json_pack("{s:s, s:s, s:o, s:i}", "struct", name, "desc",
                                               gen_printf(a, "%s_desc", name), "inits", inits,
                                               "nfields", (int)q->ncolumns));
    return name;
}

/* The parameters of fragment `frag`, as a C condition ("a && b") and the
 * list of names for the error message. */
static void fragment_condition(const vfunc *f, const sql_scan *scan, size_t frag, const char **all,
                               const char **any, const char **names)
{
    gen_arena *a = f->a;
    gen_buf and_, or_, list;
    gen_buf_init(&and_, a);
    gen_buf_init(&or_, a);
    gen_buf_init(&list, a);
    for (size_t i = 0; i < scan->n; i++) {
        const sql_tok *t = &scan->toks[i];
        if (t->fragment != (int)frag || t->kind != TK_PARAM || (list.data && strstr(list.data, t->text)))
            continue;
        const char *given = vr_present(f, vr_find(f, t->text));
        gen_buf_printf(&and_, "%s%s", and_.len ? " && " : "", given);
        gen_buf_printf(&or_, "%s%s", or_.len ? " || " : "", given);
        gen_buf_printf(&list, "%s%s", list.len ? ", " : "", t->text);
    }
    *all = and_.data;
    *any = or_.data;
    *names = list.data;
}

/* The total of an offset-paginated query: the same statement, counted. */
static void add_query_count_variant(vfunc *f, const m_query *q, const char *sql,
                                    const char **order, size_t n)
{
    if (q->paginate == PAGE_OFFSET)
        vr_add_variant(f, f->count_variants,
                       gen_printf(f->a, "SELECT count(*) FROM (\n%s\n) AS counted", sql), order, n,
                       NULL);
}

static void add_query_variants(vfunc *f, const m_query *q, const char *source,
                               const sql_scan *scan, const char *row)
{
    rewrite_ctx ctx = {f->a, f->s, q->table};
    for (unsigned mask = 0; mask < (1u << scan->nfragments); mask++) {
        sql_variant v = sql_render(f->a, source, scan, mask, rewrite, &ctx);
        const char **order = gen_alloc(f->a, (v.nparams + 2) * sizeof *order);
        if (v.nparams)
            memcpy(order, v.params, v.nparams * sizeof *order);
        size_t n = v.nparams;
        const char *sql = v.sql;
        size_t len = strlen(sql);
        while (len && (sql[len - 1] == '\n' || sql[len - 1] == ' ' || sql[len - 1] == ';'))
            len--;
        sql = gen_strndup(f->a, sql, len);
        if (q->paginate != PAGE_NONE) {
            add_query_count_variant(f, q, sql, order, n);
            order[n++] = "limit";
            if (q->paginate == PAGE_OFFSET) {
                order[n++] = "offset";
                sql = gen_printf(f->a, "%s\nLIMIT $%zu OFFSET $%zu", sql, n - 1, n);
            } else {
                sql = gen_printf(f->a, "%s\nLIMIT $%zu", sql, n);
            }
        }
        vr_add_variant(f, f->variants, sql, order, n, row ? gen_printf(f->a, "&%s", row) : NULL);
    }
}

static const char *outputs(gen_arena *a, const m_query *q, const char *row)
{
    switch (q->returns) {
    case RET_ONE: return gen_printf(a, "%s *out", row);
    case RET_MANY:
        return q->paginate == PAGE_OFFSET
                   ? gen_printf(a, "const sc_page *page, %s **out_rows, size_t *out_n, int64_t *out_total", row)
               : q->paginate == PAGE_KEYSET
                   ? vk_outputs(a, row)
                   : gen_printf(a, "%s **out_rows, size_t *out_n", row);
    case RET_EXECROWS: return "int64_t *out_affected";
    case RET_COUNT: return "int64_t *out_count";
    default: return NULL;
    }
}

static void select_variant(vfunc *f, const sql_scan *scan)
{
    gen_buf *b = &f->body;
    if (!scan->nfragments) {
        gen_buf_puts(b, "    unsigned sc_variant = 0;\n");
        return;
    }
    gen_buf_puts(b, "    unsigned sc_variant = 0;\n");
    for (size_t i = 0; i < scan->nfragments; i++) {
        const char *all, *any, *names;
        fragment_condition(f, scan, i, &all, &any, &names);
        gen_buf_printf(b, "    if (%s)\n        sc_variant |= 1u << %zu;\n", all, i);
        if (strchr(names, ','))
            gen_buf_printf(b, "    else if (%s)\n        return sc_error_set(err, SC_INVALID_INPUT, "
                              "\"%s: give %s together or not at all\");\n", any, f->name, names);
    }
}

/* The probe of a guarded query: the last statement variant. */
static void add_probe_variant(vfunc *f, const m_query *q, const char *probe, const char *row)
{
    rewrite_ctx ctx = {f->a, f->s, q->table};
    sql_scan scan;
    sql_tokenize(f->a, probe, &scan);
    sql_variant v = sql_render(f->a, probe, &scan, 0, rewrite, &ctx);
    vr_add_variant(f, f->variants, v.sql, v.params, v.nparams, gen_printf(f->a, "&%s", row));
}

/* allowed_from: every state the enum lets move to the target state. */
static void fill_allowed_from(vfunc *f, const vguard *g)
{
    gen_buf *b = &f->body;
    const char *en = gen_printf(f->a, "%s_%s", f->s->prefix, g->col->type.enum_name);
    const char *count = gen_printf(f->a, "%s_COUNT", vu_upper(f->a, en));
    gen_buf_printf(b, "    int sc_from[%s];\n    size_t sc_nfrom = 0;\n", count);
    gen_buf_printf(b, "    for (int v = 0; v < %s; v++)\n        if (%s_can_transition((%s)v, %s))\n"
                      "            sc_from[sc_nfrom++] = v;\n", count, en, en,
                   gen_printf(f->a, "sc_args.%s", g->param));
    gen_buf_puts(b, "    sc_args.allowed_from = (sc_array){sc_nfrom, sc_from};\n");
}

/* A guarded `one` query that matched nothing: the probe tells why. */
static void call_guarded_one(vfunc *f, const vguard *g, size_t probe)
{
    gen_buf *b = &f->body;
    const char *en = gen_printf(f->a, "%s_%s", f->s->prefix, g->col->type.enum_name);
    gen_buf_printf(b, "    int sc_rc = sc_query_one(conn, &%s_queries[sc_variant], &sc_args, arena, out, err);\n"
                      "    if (sc_rc != SC_NOT_FOUND)\n        return sc_rc;\n"
                      "    /* Nothing moved: no such row, or a move the state machine forbids. */\n"
                      "    sc_error_clear(err);\n"
                      "    sc_rc = sc_query_one(conn, &%s_queries[%zu], &sc_args, arena, out, err);\n"
                      "    if (sc_rc != SC_OK)\n        return sc_rc;\n", f->name, f->name, probe);
    const char *to = g->param ? gen_printf(f->a, "sc_args.%s", g->param)
                              : vq_enum_constant(f->a, f->s, &g->col->type,
                                                 g->col->type.en->values.items[g->literal]);
    gen_buf_printf(b, "    if (!%s_can_transition(out->%s, %s))\n"
                      "        return sc_error_set(err, SC_CHECK, \"%s: %s cannot move from %%s to %%s\",\n"
                      "                            %s_to_string(out->%s), %s_to_string(%s));\n",
                   en, g->col->name, to, f->name, g->col->name, en, g->col->name, en, to);
    gen_buf_printf(b, "    return sc_error_set(err, SC_SERIALIZATION, \"%s: the row changed during the update; retry\");\n",
                   f->name);
}

static void call_executor(vfunc *f, const m_query *q)
{
    gen_buf *b = &f->body;
    const char *qs = gen_printf(f->a, "&%s_queries[sc_variant]", f->name);
    if (q->paginate == PAGE_OFFSET)
        gen_buf_printf(b, "    sc_args.limit = page ? page->limit : %d;\n", 50);
    if (q->paginate == PAGE_OFFSET)
        gen_buf_puts(b, "    sc_args.offset = page ? page->offset : 0;\n");
    switch (q->returns) {
    case RET_ONE:
        gen_buf_printf(b, "    return sc_query_one(conn, %s, &sc_args, arena, out, err);\n", qs);
        break;
    case RET_MANY:
        if (q->paginate == PAGE_KEYSET) {
            vk_call_many(f);
            break;
        }
        gen_buf_printf(b, "    int sc_rc = sc_query_many(conn, %s, &sc_args, arena, (void **)out_rows, out_n, err);\n", qs);
        if (q->paginate == PAGE_OFFSET)
            gen_buf_printf(b, "    if (sc_rc == SC_OK && out_total)\n"
                              "        sc_rc = sc_query_count(conn, &%s_count_queries[sc_variant], &sc_args, out_total, err);\n",
                           f->name);
        gen_buf_puts(b, "    return sc_rc;\n");
        break;
    case RET_EXECROWS:
        gen_buf_printf(b, "    return sc_query_exec(conn, %s, &sc_args, out_affected, err);\n", qs);
        break;
    case RET_COUNT:
        gen_buf_printf(b, "    return sc_query_count(conn, %s, &sc_args, out_count, err);\n", qs);
        break;
    default:
        gen_buf_printf(b, "    return sc_query_exec(conn, %s, &sc_args, NULL, err);\n", qs);
        break;
    }
}

/* The streaming form of a `many` query: the same arguments, variants and
 * statements, rows handed one by one to a typed callback (sc_query_each). */
static json_t *each_function(vfunc *f, const char *row, const char *prefix,
                             const char *proto_args, const char *comment)
{
    gen_arena *a = f->a;
    const char *name = gen_printf(a, "%s_each", f->name);
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, prefix);
    gen_buf_printf(&b, "    %s_call sc_call = {fn, ctx};\n"
                       "    return sc_query_each(conn, &%s_queries[sc_variant], &sc_args, arena, %s_deliver, &sc_call, err);\n",
                   row, f->name, row);
    const char *proto = vr_wrap(a, gen_printf(a, "int %s(sc_conn *conn, sc_arena *arena%s, %s_fn fn, void *ctx, sc_error *err)", name, proto_args, row), strlen(name) + 5);
    json_t *v = vr_companion_view(f, name, gen_printf(a, "%s Streamed: each row is handed to fn (SC_OK continues, another status stops and is returned) and lives until fn returns; the arena holds one row at a time, whatever the result's size. fn must not use conn.", comment),
                                  proto, b.data);
    json_object_set_new(v, "each_row", json_string(row));
    return v;
}

/* A batch form fits a query of one statement whose arguments all come from
 * the caller and whose answer is one row or a count. */
static bool batchable(const vfunc *f, const m_query *q, bool guarded)
{
    bool single = q->returns == RET_ONE || q->returns == RET_EXEC || q->returns == RET_EXECROWS;
    /* settings need a transaction around the statement: not in a pipeline */
    return single && !guarded && !q->access && q->paginate == PAGE_NONE && !q->settings.n &&
           json_array_size(f->variants) == 1 && vb_plain_params(f);
}

/* An event-loop form fits a query answered by one statement and decoded
 * as it comes: no probe after a guarded UPDATE, no page count, no cursor. */
static bool sendable(const m_query *q, bool probed)
{
    bool answered = q->returns == RET_ONE || q->returns == RET_MANY || q->returns == RET_EXEC ||
                    q->returns == RET_EXECROWS;
    return answered && !probed && q->paginate == PAGE_NONE;
}

static json_t *query_function(gen_arena *a, const m_schema *s, const m_query *q, json_t *types,
                              json_t *row_descs, json_t *companions)
{
    vfunc f;
    vr_init(&f, a, s, q->table, q->name);
    vq_add_params(&f, q);
    sql_scan scan;
    sql_tokenize(a, q->sql, &scan); /* validation tokenized it already */
    vguard g;
    bool guarded = vg_find(a, q, &scan, &g) && (!g.param || !vr_by_pointer(vr_find(&f, g.param)));
    bool param_guard = guarded && g.param;
    if (guarded)
        sql_tokenize(a, g.sql, &scan);
    if (param_guard) {
        m_type from_type = g.col->type;
        from_type.array = true;
        vr_add_param(&f, "allowed_from", &from_type);
    }
    const char *row = NULL, *row_desc = NULL;
    if (q->returns == RET_ONE || q->returns == RET_MANY) {
        if (q->ncolumns) {
            row = declared_row(a, s, q, types, row_descs);
            row_desc = gen_printf(a, "%s_desc", row);
        } else {
            row = vq_row_type(a, s, q);
            row_desc = gen_printf(a, "%s_row", row);
        }
    }
    size_t visible = f.nparams;
    m_type bigint;
    m_type_parse("bigint", &bigint);
    if (q->paginate != PAGE_NONE)
        vr_add_param(&f, "limit", &bigint);
    if (q->paginate == PAGE_OFFSET)
        vr_add_param(&f, "offset", &bigint);
    if (q->access)
        f.access = q->hide_existence ? "SC_ACCESS_VERDICT | SC_ACCESS_HIDES_EXISTENCE" : "SC_ACCESS_VERDICT";
    f.primary_only = q->primary_only;
    f.settings = vu_settings_init(a, q);
    add_query_variants(&f, q, guarded ? g.sql : q->sql, &scan, row_desc);
    bool probed = guarded && g.probe && q->returns == RET_ONE;
    if (probed)
        add_probe_variant(&f, q, g.probe, row_desc);
    size_t total = f.nparams;
    f.nparams = visible;
    if (param_guard) /* bound like any parameter, but filled by the body */
        ((vparam *)vr_find(&f, "allowed_from"))->computed = true;
    bool keyset = q->paginate == PAGE_KEYSET && q->returns == RET_MANY;
    if (keyset)
        vk_hide_cursor_params(&f, q);
    const char *proto = vr_prototype(&f, outputs(a, q, row), row != NULL);
    vr_assign(&f);
    f.nparams = total;
    if (param_guard)
        fill_allowed_from(&f, &g);
    if (keyset)
        vk_decode_cursor(&f, q);
    select_variant(&f, &scan);
    const char *prefix = gen_strdup(a, f.body.data);
    if (probed)
        call_guarded_one(&f, &g, (size_t)1 << scan.nfragments);
    else
        call_executor(&f, q);
    const char *comment = q->comment ? q->comment : gen_printf(a, "Named query %s of %s.", q->name, q->table->name);
    if (q->access)
        comment = gen_printf(a, "%s %s", comment, q->hide_existence
                             ? "SC_NOT_FOUND both when there is no such row and when the access check fails (not_found_hides_existence), from one statement."
                             : "SC_NOT_FOUND when there is no such row, SC_ACCESS_DENIED when it exists but the access check fails (the row is not handed out), from one statement.");
    if (q->primary_only)
        comment = gen_printf(a, "%s Reads the primary (replica: never): a replica connection refuses it.", comment);
    if (q->unscoped)
        comment = gen_printf(a, "%s Unscoped: %s", comment, q->unscoped);
    if (q->untested)
        comment = gen_printf(a, "%s Untested: %s", comment, q->untested);
    if (q->all_partitions)
        comment = gen_printf(a, "%s Scans every partition: %s", comment, q->all_partitions);
    if (q->fanout)
        comment = gen_printf(a, "%s On Citus it runs on every shard: %s", comment, q->fanout);
    if (scan.nfragments)
        comment = gen_printf(a, "%s Optional arguments left out (SC_NONE, NULL) drop their filter (%zu statement variants).", comment, (size_t)1 << scan.nfragments);
    if (probed)
        comment = gen_printf(a, "%s Moves %s only where the state machine of %s allows it, in the same UPDATE; SC_CHECK names both states when it does not.", comment, g.col->name, g.col->type.enum_name);
    else if (guarded)
        comment = gen_printf(a, "%s Rows whose %s may not move to %s (state machine of %s) are left as they are.", comment, g.col->name,
                             g.param ? gen_printf(a, "`%s`", g.param) : g.col->type.en->values.items[g.literal], g.col->type.enum_name);
    if (q->returns == RET_MANY && q->paginate == PAGE_NONE)
        json_array_append_new(companions, each_function(&f, row, prefix, vr_arguments(&f), comment));
    bool batched = batchable(&f, q, guarded);
    if (batched)
        json_array_append_new(companions, vb_function(&f, &(vb_shape){.fill = vb_fill(&f), .row = q->returns == RET_ONE ? row : NULL,
                                                                      .affected = q->returns == RET_EXECROWS,
                                                                      .none_is_error = q->returns == RET_ONE}));
    if (sendable(q, probed) && !q->settings.n) /* the event loop sends one statement */
        json_array_append_new(companions, vs_function(&f, &(vs_shape){.prefix = prefix, .args = "&sc_args", .variant = "sc_variant",
                                                                      .inputs = vr_arguments(&f), .row = row,
                                                                      .many = q->returns == RET_MANY,
                                                                      .affected = q->returns == RET_EXECROWS}));
    if (keyset) {
        comment = vk_comment(a, q, comment);
        json_array_append_new(companions, vk_cursor_function(&f, row));
    }
    json_t *v = vr_function_view(&f, comment, proto, true);
    json_object_set_new(v, "keyset", keyset ? vk_keyset_view(&f, q, row) : json_false());
    if (batched && !f.by_struct)
        vb_declare_items(&f, v, NULL);
    return v;
}

/* A copy query: COPY of the listed columns (plus the computed partition key,
 * last, after its source) from an array of the table's _new structs. */
static json_t *copy_function(gen_arena *a, const m_schema *s, const m_query *q)
{
    const m_table *t = q->table;
    const char *name = gen_printf(a, "%s_%s_%s", s->prefix, t->name, q->name);
    const char *input = gen_printf(a, "%s_%s_new", s->prefix, vu_table_singular(a, t));
    json_t *inits = json_array();
    gen_buf cols;
    gen_buf_init(&cols, a);
    int source = 0;
    const m_partition *p = t->partition;
    for (size_t i = 0; i < q->copy_columns.n; i++) {
        const m_column *c = m_find_column(t, q->copy_columns.items[i]);
        bool nullable = c->nullable || c->default_sql;
        bool flag = nullable && !vu_is_pointer(&c->type);
        /* Unset means DEFAULT, as in create: the runtime leaves the column
         * out of the COPY for the rows that leave it unset. */
        unsigned extra = c->default_sql ? VF_DEFAULT : 0;
        json_array_append_new(inits, vu_pair("init", view_field_init(a, s, input, c->name, NULL, &c->type, nullable, flag, extra, c->uuid_text, c->secret)));
        gen_buf_printf(&cols, "%s%s", i ? ", " : "", c->name);
        if (p && p->source_col == c)
            source = (int)i + 1;
    }
    size_t n = q->copy_columns.n;
    const char *listed = gen_strdup(a, cols.data);
    const char *partition = "{0, 0, 0}";
    if (p && p->by == PART_LIST && p->expression && p->key_col) {
        json_array_append_new(inits, vu_pair("init", view_field_init(a, s, input, p->key, NULL, &p->key_col->type, false, false, VF_COMPUTED, false, false)));
        gen_buf_printf(&cols, ", %s", p->key);
        partition = gen_printf(a, "{%zu, %d, %d}", ++n, source, p->count);
    }
    const char *proto = vr_wrap(a, gen_printf(a, "int %s(sc_conn *conn, const %s *rows, size_t n, int64_t *out_inserted, sc_error *err)",
                                              name, input), strlen(name) + 5);
    const char *comment = q->comment ? q->comment : gen_printf(a, "Bulk insert of %s rows.", t->name);
    comment = gen_printf(a, "%s Loads rows[0..n) with COPY in batches of %d rows (one transaction when there are several). Only %s are loaded (the other members of the struct are ignored); an unset value is the column's DEFAULT where it has one (as in create), NULL otherwise.", comment, q->batch, listed);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:s, s:s, s:i}", "name", name, "comment",
                     vu_comment(a, comment, "", 100), "prototype", proto, "table",
                     vu_c_string(a, gen_printf(a, "%s.%s", s->name, t->name), "         "), "sql",
                     vu_c_string(a, gen_printf(a, "COPY %s.%s (%s) FROM STDIN", s->name, t->name, cols.data), "         "),
                     "columns", inits, "ncolumns", (int)n, "input", input, "partition", partition,
                     "batch", q->batch);
}

void view_repo_queries(gen_arena *a, const m_schema *s, const m_table *t, json_t *types,
                       json_t *row_descs, json_t *functions, json_t *copies, json_t *upserts)
{
    for (size_t i = 0; i < t->nqueries; i++) {
        const m_query *q = &t->queries[i];
        if (q->returns == RET_COPY)
            json_array_append_new(copies, copy_function(a, s, q));
        else if (q->returns == RET_UPSERT)
            json_array_append_new(upserts, view_upsert_function(a, s, q));
        else if (q->sql)
        {
            json_t *companions = json_array();
            json_array_append_new(functions, query_function(a, s, q, types, row_descs, companions));
            json_array_extend(functions, companions);
            json_decref(companions);
        }
    }
}
