/* The key tables of keys.h. A new key goes here, into the parser, into
 * docs/dsl.md and into schema/schemac.schema.json (tests/generator/
 * test_jsonschema.c fails until the last one has it). */
#include "keys.h"

#include <stddef.h>

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct {
    const char *name;
    const char *const *keys;
} contexts[GK_COUNT] = {
    [GK_SCHEMA] = {"schema", KEYS("schema", "prefix", "enums", "functions", "tables", "views",
                                  "queries", "lint_waivers", "tests", "require_tests",
                                  "extensions")},
    [GK_ENUM] = {"enum", KEYS("values", "transitions", "comment", "renamed_from", "removed",
                              "renamed_values", "enforce")},
    [GK_FUNCTION] = {"function",
                     KEYS("returns", "language", "args", "volatility", "body", "comment")},
    [GK_FUNCTION_ARG] = {"function_arg", KEYS("name", "type")},
    [GK_TABLE] = {"table", KEYS("columns", "primary_key", "unique", "checks", "foreign_keys",
                                "indexes", "partition", "triggers", "scope", "operations",
                                "comment", "renamed_from", "audit", "singular", "versioned",
                                "distribution", "reference")},
    [GK_DISTRIBUTION] = {"distribution", KEYS("column", "colocate_with")},
    [GK_COLUMN] = {"column", KEYS("type", "nullable", "default", "primary_key", "unique",
                                  "references", "on_delete", "on_update", "check", "generated",
                                  "comment", "secret", "renamed_from", "backfill",
                                  "server_written", "format", "c_type", "same_scope")},
    [GK_AUDIT] = {"audit", KEYS("into", "key", "from")},
    [GK_UNIQUE] = {"unique", KEYS("name", "columns")},
    [GK_CHECK] = {"check", KEYS("name", "expr")},
    [GK_FOREIGN_KEY] = {"foreign_key", KEYS("name", "columns", "references", "ref_columns",
                                            "on_delete", "on_update")},
    [GK_INDEX] = {"index", KEYS("name", "columns", "expression", "unique", "where", "method",
                                "include", "concurrently", "with")},
    [GK_PARTITION] = {"partition", KEYS("by", "key", "source", "expression", "count", "name",
                                        "ranges", "default", "count_env")},
    [GK_RANGE] = {"range", KEYS("name", "from", "to")},
    [GK_TRIGGER] = {"trigger",
                    KEYS("name", "function", "timing", "events", "columns", "for_each", "when")},
    [GK_VIEW] = {"view", KEYS("sql", "materialized", "depends_on", "indexes", "comment")},
    [GK_QUERY] = {"query", KEYS("returns", "sql", "params", "columns", "paginate",
                                "all_partitions", "unscoped", "replica", "fanout", "batch", "comment",
                                "access", "not_found_hides_existence", "conflict", "update",
                                "untested", "settings")},
    [GK_PAGINATE] = {"paginate", KEYS("keyset")},
    [GK_DECLARED_TYPE] = {"declared_type", KEYS("type", "nullable")},
    [GK_LINT_WAIVER] = {"lint_waiver", KEYS("rule", "object", "reason")},
    [GK_QUERY_TEST] = {"query_test", KEYS("name", "given", "args", "expect", "status", "check")},
    [GK_VERSIONED] = {"versioned", KEYS("column", "per", "counter")},
};

const char *const *gen_known_keys(gen_key_context c)
{
    return (unsigned)c < GK_COUNT ? contexts[c].keys : NULL;
}

const char *gen_key_context_name(gen_key_context c)
{
    return (unsigned)c < GK_COUNT ? contexts[c].name : NULL;
}
