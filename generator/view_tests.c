/* The view of a repository's generated test: every statement checked
 * against the server, partition pruning for partitioned tables, the round
 * trips and constraint tests made up from the schema (view_made.c) and the
 * query tests of the schema (view_qtests.c). */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "view_repo.h"
#include "view_util.h"

json_t *view_tests(gen_arena *a, const m_schema *s, const m_table *t, const view_env *env)
{
    json_t *v = json_object();
    const char *file = gen_printf(a, "tests/test_%s_%s.c", s->prefix, t->name);
    view_common(v, a, s, env, file);
    const m_partition *p = t->partition;
    bool pruned = p && p->by == PART_LIST && p->expression && p->source_col;
    json_object_set_new(v, "table", json_string(t->name));
    json_object_set_new(v, "header", json_string(gen_printf(a, "%s_%s.h", s->prefix, t->name)));
    json_object_set_new(v, "statements", json_string(gen_printf(a, "%s_%s_statements", s->prefix, t->name)));
    json_object_set_new(v, "database", json_string(gen_printf(a, "t_%s_%s", s->prefix, t->name)));
    json_object_set_new(v, "pruned", json_boolean(pruned));
    json_object_set_new(v, "qualified", json_string(gen_printf(a, "%s.%s", s->name, t->name)));
    json_object_set_new(v, "partition_source", json_string(pruned ? p->source : ""));
    json_object_set_new(v, "partition_prefix",
                        json_string(pruned ? gen_strndup(a, p->name_pattern, strcspn(p->name_pattern, "{")) : ""));
    json_object_set_new(v, "modulus", json_integer(pruned ? p->count : 0));
    json_t *tests = view_made_tests(a, s, t);
    json_object_set_new(v, "uses_factories", json_boolean(view_made_uses_factories(tests)));
    json_object_set_new(v, "factories_header", json_string(gen_printf(a, "%s_factories.h", s->prefix)));
    json_t *query_tests = view_query_tests(a, s, t);
    json_array_extend(tests, query_tests);
    json_decref(query_tests);
    json_object_set_new(v, "has_query_tests", json_boolean(json_array_size(tests) > 0));
    json_object_set_new(v, "query_tests", tests);
    return v;
}
