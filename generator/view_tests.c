/* The view of a repository's generated test: every statement checked
 * against the server, partition pruning for partitioned tables, and a
 * create/get/list/delete round trip for tables whose rows can be made from
 * the schema alone (no foreign key or check among the required columns). */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "view_repo.h"
#include "view_util.h"

static bool is_required(const m_table *t, const m_column *c)
{
    return vr_insertable(t, c) && !c->nullable && !c->default_sql && !vr_is_computed_key(t, c);
}

/* Whether text of the table's checks names the column (then "x" may fail). */
static bool checked(const m_table *t, const m_column *c)
{
    if (c->check)
        return true;
    for (size_t i = 0; i < t->nchecks; i++)
        if (t->checks[i].expr && strstr(t->checks[i].expr, c->name))
            return true;
    return false;
}

static bool in_foreign_key(const m_table *t, const m_column *c)
{
    if (c->references)
        return true;
    for (size_t i = 0; i < t->nfks; i++)
        for (size_t k = 0; k < t->fks[i].columns.n; k++)
            if (strcmp(t->fks[i].columns.items[k], c->name) == 0)
                return true;
    return false;
}

/* A C initializer value and the assertion that it came back, or NULL when
 * this kind of column cannot be made up. */
static bool sample_value(gen_arena *a, const m_schema *s, const m_table *t, const m_column *c,
                         const char **value, const char **check)
{
    const char *n = c->name;
    if (c->type.array)
        return false;
    switch (c->type.kind) {
    case T_SMALLINT: case T_INTEGER: case T_BIGINT:
        *value = "7";
        *check = gen_printf(a, "assert_int_equal(got.%s, 7);", n);
        return true;
    case T_BOOLEAN:
        *value = "true";
        *check = gen_printf(a, "assert_true(got.%s);", n);
        return true;
    case T_TEXT: case T_VARCHAR:
        if (c->uuid_text) {
            *value = "\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\"";
        } else {
            int max = c->type.kind == T_VARCHAR && c->type.p > 0 ? c->type.p : 64;
            *value = gen_printf(a, "\"%.*s\"", max, gen_printf(a, "%s-%s", t->name, n));
        }
        *check = gen_printf(a, "assert_string_equal(got.%s, %s);", n, *value);
        return true;
    case T_ENUM:
        *value = gen_printf(a, "%s_%s_%s", vu_upper(a, s->prefix), vu_upper(a, c->type.enum_name),
                            vu_upper(a, c->type.en->values.items[0]));
        *check = gen_printf(a, "assert_int_equal(got.%s, %s);", n, *value);
        return true;
    case T_TIMESTAMPTZ: case T_TIMESTAMP:
        *value = "1767225600000000"; /* 2026-01-01 */
        *check = gen_printf(a, "assert_true(got.%s == 1767225600000000);", n);
        return true;
    case T_JSON: case T_JSONB:
        *value = "sample_json";
        *check = gen_printf(a, "assert_true(json_equal(got.%s, sample_json));", n);
        return true;
    default:
        return false;
    }
}

/* Fills fields/checks for a table that can be round-tripped; false if not. */
static bool round_trip(gen_arena *a, const m_schema *s, const m_table *t, json_t *fields,
                       json_t *checks)
{
    if ((t->operations & (OP_CREATE | OP_GET | OP_DELETE)) != (OP_CREATE | OP_GET | OP_DELETE) ||
        !t->primary_key.n || t->partition)
        return false;
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        if (!is_required(t, c))
            continue;
        const char *value, *check;
        if (in_foreign_key(t, c) || checked(t, c) || !sample_value(a, s, t, c, &value, &check))
            return false;
        json_array_append_new(fields, json_pack("{s:s}", "init", gen_printf(a, ".%s = %s", c->name, value)));
        json_array_append_new(checks, json_pack("{s:s}", "check", check));
    }
    return true;
}

/* The key arguments of get/delete, read from the created row. */
static const char *key_args(gen_arena *a, const m_table *t)
{
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t i = 0; i < t->primary_key.n; i++)
        gen_buf_printf(&b, ", made.%s", t->primary_key.items[i]);
    if (t->scope_col) {
        bool in_pk = false;
        for (size_t i = 0; i < t->primary_key.n; i++)
            in_pk |= strcmp(t->primary_key.items[i], t->scope) == 0;
        if (!in_pk)
            gen_buf_printf(&b, ", made.%s", t->scope);
    }
    return b.data ? b.data : "";
}

json_t *view_tests(gen_arena *a, const m_schema *s, const m_table *t, const view_env *env)
{
    json_t *v = json_object();
    const char *file = gen_printf(a, "tests/test_%s_%s.c", s->prefix, t->name);
    view_common(v, a, s, env, file);
    const m_partition *p = t->partition;
    bool pruned = p && p->by == PART_LIST && p->expression && p->source_col;
    json_t *fields = json_array(), *checks = json_array();
    bool trip = round_trip(a, s, t, fields, checks);
    json_object_set_new(v, "table", json_string(t->name));
    json_object_set_new(v, "header", json_string(gen_printf(a, "%s_%s.h", s->prefix, t->name)));
    json_object_set_new(v, "statements", json_string(gen_printf(a, "%s_%s_statements", s->prefix, t->name)));
    json_object_set_new(v, "database", json_string(gen_printf(a, "t_%s_%s", s->prefix, t->name)));
    json_object_set_new(v, "pruned", json_boolean(pruned));
    json_object_set_new(v, "qualified", json_string(gen_printf(a, "%s.%s", s->name, t->name)));
    json_object_set_new(v, "source", json_string(pruned ? p->source : ""));
    json_object_set_new(v, "partition_prefix",
                        json_string(pruned ? gen_strndup(a, p->name_pattern, strcspn(p->name_pattern, "{")) : ""));
    json_object_set_new(v, "modulus", json_integer(pruned ? p->count : 0));
    json_object_set_new(v, "round_trip", json_boolean(trip));
    json_object_set_new(v, "row", json_string(gen_printf(a, "%s_%s", s->prefix, vu_singular(a, t->name))));
    json_object_set_new(v, "fn", json_string(gen_printf(a, "%s_%s", s->prefix, t->name)));
    json_object_set_new(v, "key_args", json_string(key_args(a, t)));
    json_object_set_new(v, "has_list", json_boolean(t->operations & OP_LIST));
    json_object_set_new(v, "list_args", json_string(t->scope_col ? gen_printf(a, ", made.%s", t->scope) : ""));
    json_object_set_new(v, "fields", fields);
    json_object_set_new(v, "checks", checks);
    json_t *qtests = view_query_tests(a, s, t);
    json_object_set_new(v, "has_query_tests", json_boolean(json_array_size(qtests) > 0));
    json_object_set_new(v, "query_tests", qtests);
    return v;
}
