/* schema/schemac.schema.json, the JSON Schema editors use to complete and
 * check the YAML: every valid YAML schema of the repository passes it (run
 * by tests/jsonschema/validate.py with Debian's python3-jsonschema); a typo
 * is flagged by it as by the C parser; and its closed objects have exactly
 * the keys of the parser's tables (generator/keys.c), both ways, and its
 * type list is the parser's. The editor modeline that points at it leaves
 * the schema hash, and so every generated file, as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "keys.h"
#include "model.h"

static const char *const JSON_SCHEMA = "schema/schemac.schema.json";
/* Debian's interpreter: python3-jsonschema lives in its dist-packages, and
 * -I keeps a user's site-packages and PYTHONPATH out. */
static const char *const VALIDATE = "/usr/bin/python3 -I tests/jsonschema/validate.py";

/* ---- running the validator ------------------------------------------- */

/* Runs validate.py on paths; returns its exit status, output in out. */
static int run_validator(const char *paths, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s %s 2>&1", VALIDATE, JSON_SCHEMA, paths);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The last line of the validator's output, without its newline. */
static const char *summary(const char *out)
{
    static char line[256];
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '\n')
        len--;
    size_t start = len;
    while (start > 0 && out[start - 1] != '\n')
        start--;
    snprintf(line, sizeof line, "%.*s", (int)(len - start), out + start);
    return line;
}

/* Every YAML file of the repository (but tests/invalid/, wrong on purpose
 * for the C parser) passes: schema/, tests/generator/erd/, and the
 * migration cases and rebase inputs of tests/migrate/. */
static void repository_schemas_pass(void **state)
{
    (void)state;
    static char out[1 << 16];
    int rc = run_validator(".", out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "%s", out);
    assert_int_equal(rc, 0);
    int files = 0;
    assert_int_equal(sscanf(summary(out), "%d files valid", &files), 1);
    /* 1 + 1 + 108 when this was written: a walk that finds nothing, or
     * misses tests/migrate, must not pass */
    assert_true(files >= 110);
}

static const char *const SMALL_SCHEMA =
    "schema: s\n"
    "prefix: p\n"
    "tables:\n"
    "  items:\n"
    "    columns:\n"
    "      id: { type: serial, primary_key: true }\n"
    "      name: { type: text, %s: true }\n"
    "queries:\n"
    "  items:\n"
    "    by_name: { returns: one, sql: \"SELECT * FROM items WHERE name = :name\" }\n";

/* Writes the small schema with key in the name column to a file; returns
 * the C parser's verdict (true: accepted). */
static bool write_small(const char *key, char *path, size_t size)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml, SMALL_SCHEMA, key);
    snprintf(path, size, "/tmp/schemac-jsonschema-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    gen_arena *a = gen_arena_new();
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    m_schema *s = gen_schema_parse(path, yaml, strlen(yaml), a, &d);
    gen_diag_release(&d);
    gen_arena_free(a);
    return s != NULL;
}

/* The same file with `nullable:` misspelt is refused by the C parser and
 * by the JSON Schema, which names the key; spelt right, both accept it. */
static void typo_is_flagged(void **state)
{
    (void)state;
    char path[64], out[8192];
    assert_true(write_small("nullable", path, sizeof path));
    int rc = run_validator(path, out, sizeof out);
    unlink(path);
    if (rc != 0)
        fprintf(stderr, "%s", out);
    assert_int_equal(rc, 0);

    assert_false(write_small("nulable", path, sizeof path));
    rc = run_validator(path, out, sizeof out);
    unlink(path);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "tables.items.columns.name"));
    assert_non_null(strstr(out, "'nulable' was unexpected"));
    assert_string_equal(summary(out), "1 of 1 files invalid");
}

/* The hash of a schema (in every generated banner) leaves out an editor
 * modeline on the first line, and only that: another comment changes it. */
static unsigned long long hash_of(const char *head)
{
    char yaml[1024];
    int n = snprintf(yaml, sizeof yaml, "%s", head);
    snprintf(yaml + n, sizeof yaml - (size_t)n, SMALL_SCHEMA, "nullable");
    gen_arena *a = gen_arena_new();
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    m_schema *s = gen_schema_parse("t.yaml", yaml, strlen(yaml), a, &d);
    gen_diag_release(&d);
    assert_non_null(s);
    unsigned long long h = s->hash;
    gen_arena_free(a);
    return h;
}

static void modeline_leaves_the_hash(void **state)
{
    (void)state;
    unsigned long long plain = hash_of("");
    assert_true(plain == hash_of("# yaml-language-server: $schema=./schemac.schema.json\n"));
    assert_true(plain != hash_of("# a comment\n"));
    assert_true(plain != hash_of("\n# yaml-language-server: $schema=./schemac.schema.json\n"));
}

/* ---- keys: the parser's tables and the JSON Schema's objects ----------- */

static bool in_keys(const char *const *keys, const char *key)
{
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(keys[i], key) == 0)
            return true;
    return false;
}

typedef struct report {
    char text[8192];
    int problems;
} report;

static void problem(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(report *r, const char *fmt, ...)
{
    size_t used = strlen(r->text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text + used, sizeof r->text - used, fmt, ap);
    va_end(ap);
    used = strlen(r->text);
    snprintf(r->text + used, sizeof r->text - used, "\n");
    r->problems++;
}

/* The definition of context c: the root for "schema". */
static json_t *definition(json_t *schema, gen_key_context c)
{
    if (c == GK_SCHEMA)
        return schema;
    return json_object_get(json_object_get(schema, "definitions"), gen_key_context_name(c));
}

static void compare_context(json_t *schema, gen_key_context c, report *r)
{
    const char *name = gen_key_context_name(c);
    json_t *def = definition(schema, c);
    json_t *props = json_object_get(def, "properties");
    if (!json_is_object(props)) {
        problem(r, "%s: no definition with properties in the JSON Schema", name);
        return;
    }
    if (!json_is_false(json_object_get(def, "additionalProperties")))
        problem(r, "%s: not closed with additionalProperties: false", name);
    const char *const *keys = gen_known_keys(c);
    for (size_t i = 0; keys[i]; i++)
        if (!json_object_get(props, keys[i]))
            problem(r, "%s: the parser knows '%s', the JSON Schema does not", name, keys[i]);
    const char *key;
    json_t *v;
    json_object_foreach(props, key, v) {
        if (!in_keys(keys, key))
            problem(r, "%s: the JSON Schema has '%s', the parser does not", name, key);
        else if (!json_is_string(json_object_get(v, "description")))
            problem(r, "%s: '%s' has no description", name, key);
    }
}

/* Is node the definition of some context? */
static bool is_context_definition(json_t *schema, json_t *node)
{
    for (int c = 0; c < GK_COUNT; c++)
        if (definition(schema, (gen_key_context)c) == node)
            return true;
    return false;
}

/* A closed object anywhere else would check keys no parser table has. */
static void find_stray_closed(json_t *schema, json_t *node, const char *where, report *r)
{
    if (json_is_object(node)) {
        if (json_is_false(json_object_get(node, "additionalProperties")) &&
            !is_context_definition(schema, node))
            problem(r, "%s: a closed object that is no context of generator/keys.c", where);
        const char *key;
        json_t *v;
        json_object_foreach(node, key, v) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", where, key);
            find_stray_closed(schema, v, sub, r);
        }
    } else if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%zu", where, i);
            find_stray_closed(schema, v, sub, r);
        }
    }
}

static void compare_keys(json_t *schema, report *r)
{
    memset(r, 0, sizeof *r);
    for (int c = 0; c < GK_COUNT; c++)
        compare_context(schema, (gen_key_context)c, r);
    find_stray_closed(schema, schema, "#", r);
}

static json_t *load_json_schema(void)
{
    json_error_t e;
    json_t *schema = json_load_file(JSON_SCHEMA, 0, &e);
    if (!schema)
        fprintf(stderr, "%s:%d:%d: %s\n", JSON_SCHEMA, e.line, e.column, e.text);
    assert_non_null(schema);
    return schema;
}

static void keys_match_the_parser(void **state)
{
    (void)state;
    json_t *schema = load_json_schema();
    report r;
    compare_keys(schema, &r);
    if (r.problems)
        fprintf(stderr, "%s", r.text);
    assert_int_equal(r.problems, 0);
    json_decref(schema);
}

/* The comparison sees a key missing on either side and a stray closed
 * object (so keys_match_the_parser can fail). */
static void comparison_finds_differences(void **state)
{
    (void)state;
    json_t *schema = load_json_schema();
    json_t *defs = json_object_get(schema, "definitions");
    json_t *table_props = json_object_get(json_object_get(defs, "table"), "properties");
    json_object_del(table_props, "singular");
    json_t *column_props = json_object_get(json_object_get(defs, "column"), "properties");
    json_object_set_new(column_props, "colour", json_pack("{s:s}", "description", "d"));
    json_object_set_new(defs, "stray", json_pack("{s:s,s:b}", "type", "object",
                                                 "additionalProperties", 0));
    report r;
    compare_keys(schema, &r);
    assert_int_equal(r.problems, 3);
    assert_non_null(strstr(r.text, "table: the parser knows 'singular', the JSON Schema does not"));
    assert_non_null(strstr(r.text, "column: the JSON Schema has 'colour', the parser does not"));
    assert_non_null(strstr(r.text, "#/definitions/stray: a closed object"));
    json_decref(schema);
}

/* The completion list of column types is the parser's list of spellings. */
static void types_match_the_parser(void **state)
{
    (void)state;
    json_t *schema = load_json_schema();
    json_t *type = json_object_get(json_object_get(schema, "definitions"), "type");
    json_t *list = json_object_get(json_array_get(json_object_get(type, "anyOf"), 0), "enum");
    assert_true(json_is_array(list));
    const char *const *names = m_type_names();
    size_t n = 0;
    for (; names[n]; n++) {
        bool found = false;
        for (size_t i = 0; i < json_array_size(list) && !found; i++)
            found = strcmp(json_string_value(json_array_get(list, i)), names[n]) == 0;
        if (!found)
            fprintf(stderr, "type '%s' is missing from the JSON Schema\n", names[n]);
        assert_true(found);
    }
    assert_int_equal(json_array_size(list), n);
    json_decref(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(repository_schemas_pass),
        cmocka_unit_test(typo_is_flagged),
        cmocka_unit_test(modeline_leaves_the_hash),
        cmocka_unit_test(keys_match_the_parser),
        cmocka_unit_test(comparison_finds_differences),
        cmocka_unit_test(types_match_the_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
