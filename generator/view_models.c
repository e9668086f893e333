/* The view of the models header and source: enums with their transition
 * tables, and one row struct per table with its sc_row_desc. */
#include <string.h>

#include "view.h"
#include "view_repo.h"
#include "view_util.h"

/* Fills the banner, guard and version gate every generated file shares. */
void view_common(json_t *v, gen_arena *a, const m_schema *s, const view_env *env,
                 const char *file)
{
    char guard[128];
    size_t n = 0;
    for (const char *p = file; *p && n + 1 < sizeof guard; p++)
        guard[n++] = *p == '.' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    guard[n] = '\0';
    json_object_set_new(v, "source", json_string(env->source));
    json_object_set_new(v, "file", json_string(file));
    json_object_set_new(v, "guard", json_string(guard));
    json_object_set_new(v, "schema_hash", json_string(gen_printf(a, "%016llx", s->hash)));
    json_object_set_new(v, "runtime_version", json_integer(env->runtime_version));
    json_object_set_new(v, "runtime_version_string", json_string(env->runtime_version_string));
    json_object_set_new(v, "prefix", json_string(s->prefix));
    json_object_set_new(v, "PREFIX", json_string(vu_upper(a, s->prefix)));
    json_object_set_new(v, "models_header", json_string(gen_printf(a, "%s_models.h", s->prefix)));
}

const char *view_row_struct(gen_arena *a, const m_schema *s, const m_table *t)
{
    return gen_printf(a, "%s_%s", s->prefix, vu_table_singular(a, t));
}

/* The state graph as the header shows it, one note per value: "-> b, c"
 * or "final". NULL for an enum without transitions. */
static const char *enum_moves(gen_arena *a, const m_enum *e, size_t from)
{
    if (!e->ntransitions)
        return NULL;
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t to = 0; to < e->values.n; to++)
        if (m_enum_allows(e, from, to))
            gen_buf_printf(&b, "%s%s", b.len ? ", " : "-> ", e->values.items[to]);
    return b.len ? b.data : "final: no move out";
}

static json_t *enum_view(gen_arena *a, const m_schema *s, const m_enum *e)
{
    const char *c_name = gen_printf(a, "%s_%s", s->prefix, e->name);
    const char *upper = vu_upper(a, c_name);
    json_t *values = json_array();
    for (size_t i = 0; i < e->values.n; i++) {
        const char *moves = enum_moves(a, e, i);
        json_array_append_new(values, json_pack("{s:s, s:s, s:i, s:s?}", "label", e->values.items[i],
                                                "const", gen_printf(a, "%s_%s", upper,
                                                                    vu_upper(a, e->values.items[i])),
                                                "index", (int)i, "moves", moves));
    }
    /* transitions[from] is a bit set of the values `from` may move to */
    json_t *rows = json_array();
    for (size_t from = 0; from < e->values.n && e->ntransitions; from++) {
        unsigned long long bits = 0;
        for (size_t t = 0; t < e->ntransitions; t++)
            if (e->transitions[t].from == from)
                for (size_t k = 0; k < e->transitions[t].nto; k++)
                    bits |= 1ULL << e->transitions[t].to[k];
        json_array_append_new(rows, json_pack("{s:s, s:s}", "from",
                                              gen_printf(a, "%s_%s", upper,
                                                         vu_upper(a, e->values.items[from])),
                                              "bits", gen_printf(a, "0x%llxu", bits)));
    }
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:b, s:o}", "c_name", c_name, "upper",
                          upper, "desc", gen_printf(a, "%s_enum", c_name), "sql_name",
                          gen_printf(a, "%s.%s", s->name, e->name), "values", values, "count",
                          (int)e->values.n, "has_transitions", e->ntransitions > 0,
                          "transitions", rows);
    json_object_set_new(v, "opt", json_string(gen_printf(a, "%s_opt_%s", s->prefix, e->name)));
    const char *comment = vu_comment(a, e->comment, "", 80);
    json_object_set_new(v, "comment", comment ? json_string(comment) : json_false());
    return v;
}

const char *view_field_init(gen_arena *a, const m_schema *s, const char *owner, const char *name,
                            const char *member, const m_type *t, bool nullable, bool has_flag,
                            unsigned extra_flags, bool uuid_text, bool secret)
{
    if (!member)
        member = name;
    const char *flags[7];
    size_t nf = 0;
    if (nullable)
        flags[nf++] = "SC_F_NULLABLE";
    if (secret)
        flags[nf++] = "SC_F_SECRET";
    if (uuid_text)
        flags[nf++] = "SC_F_UUID_TEXT";
    if (extra_flags & VF_COMPUTED)
        flags[nf++] = "SC_F_COMPUTED";
    if (extra_flags & VF_DEFAULT)
        flags[nf++] = "SC_F_DEFAULT";
    if ((extra_flags & VF_ROW) && !t->array && (t->kind == T_JSON || t->kind == T_JSONB))
        flags[nf++] = "SC_F_LAZY_JSON";
    if (t->kind == T_TEXTMAP)
        flags[nf++] = "SC_F_TEXT_FORM";
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "{.name = \"%s\", .kind = %s", name, vu_kind(t));
    if (t->array)
        gen_buf_puts(&b, ", .array = true");
    if (nf)
        gen_buf_printf(&b, ", .flags = %s", vu_join(a, flags, nf, " | "));
    if (extra_flags & VF_COMPUTED) /* computed by the executor: nothing to read */
        gen_buf_puts(&b, ",\n     .offset = 0");
    else
        gen_buf_printf(&b, ",\n     .offset = offsetof(%s, %s)", owner, member);
    if (has_flag && (extra_flags & VF_OPT)) {
        gen_buf_printf(&b, ", .has_offset = offsetof(%s, %s.has)", owner, name);
    } else if (has_flag) {
        const char *dot = strrchr(member, '.');
        gen_buf_printf(&b, ", .has_offset = offsetof(%s, %.*shas_%s)", owner,
                       dot ? (int)(dot - member + 1) : 0, member, dot ? dot + 1 : member);
    }
    if ((t->kind == T_VARCHAR || t->kind == T_CHAR || t->kind == T_VECTOR || t->kind == T_HALFVEC) &&
        t->p > 0)
        gen_buf_printf(&b, ", .max_len = %d", t->p);
    if (t->kind == T_ENUM)
        gen_buf_printf(&b, ", .en = &%s_%s_enum", s->prefix, t->enum_name);
    gen_buf_puts(&b, "}");
    return b.data;
}

static const char *column_note(gen_arena *a, const m_table *t, const m_column *c)
{
    const char *parts[9];
    size_t n = 0;
    parts[n++] = m_type_sql(a, &c->type);
    if (c->uuid_text)
        parts[n++] = "UUID text";
    for (size_t i = 0; i < t->primary_key.n; i++)
        if (strcmp(t->primary_key.items[i], c->name) == 0)
            parts[n++] = "primary key";
    if (c->nullable)
        parts[n++] = vu_is_pointer(&c->type) ? "NULL when unset" : "has_ flag";
    if (c->references)
        parts[n++] = gen_printf(a, "-> %s", c->references);
    if (c->secret)
        parts[n++] = "secret";
    if (c->check)
        parts[n++] = gen_printf(a, "CHECK (%s)", c->check);
    if (c->type.kind == T_JSON || c->type.kind == T_JSONB)
        parts[n++] = "text until sc_json_value parses it (the arena's reference)";
    const char *note = vu_join(a, parts, n, ", ");
    return c->comment ? gen_printf(a, "%s: %s", note, c->comment) : note;
}

static json_t *table_view(gen_arena *a, const m_schema *s, const m_table *t)
{
    const char *row = view_row_struct(a, s, t);
    json_t *fields = json_array(), *inits = json_array();
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        bool flag = c->nullable && !vu_is_pointer(&c->type);
        json_t *f = json_pack("{s:s, s:s}", "decl",
                              vu_decl(a, vu_row_type(a, s, &c->type), c->name), "note",
                              vu_comment(a, column_note(a, t, c), "", 60));
        json_array_append_new(fields, f);
        if (flag)
            json_array_append_new(fields, json_pack("{s:s, s:b}", "decl",
                                                    gen_printf(a, "bool has_%s", c->name),
                                                    "note", false));
        json_array_append_new(inits, json_pack("{s:s}", "init",
                                               view_field_init(a, s, row, c->name, NULL, &c->type,
                                                               c->nullable, flag, VF_ROW,
                                                               c->uuid_text, c->secret)));
    }
    json_t *v = json_pack("{s:s, s:s, s:s, s:o, s:o, s:i}", "table", t->name, "struct", row,
                          "desc", gen_printf(a, "%s_row", row), "fields", fields, "inits", inits,
                          "nfields", (int)t->ncolumns);
    const char *comment = vu_comment(a, t->comment ? t->comment : gen_printf(a, "A row of %s.%s.", s->name, t->name), "", 80);
    json_object_set_new(v, "comment", json_string(comment));
    return v;
}

json_t *view_models(gen_arena *a, const m_schema *s, const view_env *env)
{
    json_t *v = json_object();
    view_common(v, a, s, env, gen_printf(a, "%s_models.h", s->prefix));
    json_t *enums = json_array(), *tables = json_array();
    for (size_t i = 0; i < s->nenums; i++)
        json_array_append_new(enums, enum_view(a, s, &s->enums[i]));
    for (size_t i = 0; i < s->ntables; i++)
        json_array_append_new(tables, table_view(a, s, &s->tables[i]));
    json_object_set_new(v, "enums", enums);
    json_object_set_new(v, "tables", tables);
    return v;
}

/* REFRESH ... CONCURRENTLY needs a unique index on the materialized view
 * over plain columns and without WHERE (PostgreSQL's rule): decided here,
 * at generate time, and said in the generated comment. */
static const m_index *concurrent_index(const m_view *v)
{
    for (size_t i = 0; i < v->nindexes; i++) {
        const m_index *ix = &v->indexes[i];
        if (ix->unique && !ix->where && !ix->expression && ix->ncols > 0)
            return ix;
    }
    return NULL;
}

static json_t *refresh_views(gen_arena *a, const m_schema *s)
{
    json_t *list = json_array();
    for (size_t i = 0; i < s->nviews; i++) {
        const m_view *v = &s->views[i];
        if (!v->materialized)
            continue;
        const m_index *ix = concurrent_index(v);
        const char *how = ix ? gen_printf(a, "CONCURRENTLY (readers are not blocked; the unique index %s allows it)", ix->name)
                             : "without CONCURRENTLY (readers wait: the view has no unique index over plain columns without WHERE, which CONCURRENTLY needs)";
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}", "name",
                                              gen_printf(a, "%s_refresh_%s", s->prefix, v->name),
                                              "view", gen_printf(a, "%s.%s", s->name, v->name),
                                              "comment", vu_comment(a, gen_printf(a, "Refreshes the materialized view %s %s.", v->name, how), "", 100),
                                              "concurrently", ix != NULL));
    }
    return list;
}

/* partition.count_env: the environment variable a deployment sets, which
 * must say the same number as the schema (a different count is a
 * migration, not a setting). */
static json_t *env_checks(gen_arena *a, const m_schema *s)
{
    json_t *list = json_array();
    for (size_t i = 0; i < s->ntables; i++) {
        const m_partition *p = s->tables[i].partition;
        if (p && p->count_env && p->count)
            json_array_append_new(list, json_pack("{s:s, s:i, s:s}", "var", p->count_env, "count",
                                                  p->count, "what",
                                                  gen_printf(a, "the %s partitions of %s", s->tables[i].name, s->file ? s->file : "the schema")));
    }
    return list;
}

json_t *view_catalog(gen_arena *a, const m_schema *s, const view_env *env)
{
    json_t *v = json_object();
    const char *file = gen_printf(a, "%s_catalog.h", s->prefix);
    view_common(v, a, s, env, file);
    json_t *tables = json_array();
    for (size_t i = 0; i < s->ntables; i++) {
        const char *t = s->tables[i].name;
        json_array_append_new(tables, json_pack("{s:s, s:s, s:s}", "table", t, "header",
                                                gen_printf(a, "%s_%s.h", s->prefix, t), "statements",
                                                gen_printf(a, "%s_%s_statements", s->prefix, t)));
    }
    json_object_set_new(v, "catalog_header", json_string(file));
    json_object_set_new(v, "tables", tables);
    json_object_set_new(v, "refreshes", refresh_views(a, s));
    json_object_set_new(v, "env_checks", env_checks(a, s));
    json_object_set_new(v, "count", json_integer((json_int_t)s->ntables));
    return v;
}
