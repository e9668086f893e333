/* The YAML front end: locations, and the YAML-level refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "yaml_tree.h"

typedef struct captured {
    char text[4096];
    int count;
} captured;

static void capture(void *ctx, const gen_loc *loc, const char *message)
{
    captured *c = ctx;
    char line[1400];
    gen_diag_format(line, sizeof line, loc, message);
    size_t used = strlen(c->text);
    snprintf(c->text + used, sizeof c->text - used, "%s\n", line);
    c->count++;
}

/* Loads src and returns the collected diagnostics ("" when none). */
static ynode *load(const char *src, captured *c, gen_arena *a)
{
    gen_diag d;
    memset(c, 0, sizeof *c);
    gen_diag_init(&d, capture, c);
    ynode *root = ytree_load("t.yaml", src, strlen(src), a, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return c->count ? NULL : root;
}

static void nodes_keep_their_positions(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    captured c;
    ynode *root = load("schema: semantik\ntables:\n  users:\n    columns: [id, name]\n", &c, a);
    assert_non_null(root);
    assert_int_equal(root->kind, Y_MAP);
    ynode *users = ymap_get(ymap_get(root, "tables"), "users");
    assert_non_null(users);
    assert_int_equal(users->loc.line, 4);
    assert_int_equal(users->loc.col, 5);
    ynode *cols = ymap_get(users, "columns");
    assert_int_equal(cols->kind, Y_SEQ);
    assert_int_equal(cols->n, 2);
    assert_string_equal(cols->vals[1]->text, "name");
    assert_int_equal(cols->vals[1]->loc.col, 19);
    gen_arena_free(a);
}

static void syntax_error_names_line_and_column(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    captured c;
    assert_null(load("tables:\n  users: [a, b\n  x: 1\n", &c, a));
    assert_string_equal(c.text, "t.yaml:3:4: error: YAML syntax error: did not find expected "
                                "',' or ']' while parsing a flow sequence\n");
    gen_arena_free(a);
}

static void duplicate_key_points_at_both(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    captured c;
    assert_null(load("a: 1\nb: 2\na: 3\n", &c, a));
    assert_string_equal(c.text, "t.yaml:3:1: error: duplicate key 'a' (first at line 1, column 1)\n");
    gen_arena_free(a);
}

static void aliases_are_refused(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    captured c;
    assert_null(load("a: &x [1, 2]\nb: *x\n", &c, a));
    assert_string_equal(c.text, "t.yaml:2:4: error: YAML aliases are not supported in a schema; "
                                "write the value out\n");
    gen_arena_free(a);
}

static void deep_nesting_is_refused(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    char src[400];
    memset(src, '[', 100);
    memset(src + 100, ']', 100);
    src[200] = '\0';
    captured c;
    assert_null(load(src, &c, a));
    assert_non_null(strstr(c.text, "nesting deeper than 64 levels"));
    gen_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nodes_keep_their_positions),
        cmocka_unit_test(syntax_error_names_line_and_column),
        cmocka_unit_test(duplicate_key_points_at_both),
        cmocka_unit_test(aliases_are_refused),
        cmocka_unit_test(deep_nesting_is_refused),
    };
    return cmocka_run_group_tests_name("generator/yaml_tree", tests, NULL, NULL);
}
