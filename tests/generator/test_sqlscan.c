/* The SQL tokenizer: parameters, casts, literals, comments and optional
 * fragments, and rendering of fragment variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sqlscan.h"

static const char *const param_order[] = {"id", "status", "name", "x", NULL};

static int index_of(void *ctx, const char *name)
{
    (void)ctx;
    for (int i = 0; param_order[i]; i++)
        if (strcmp(param_order[i], name) == 0)
            return i;
    return 99;
}

static void params_are_found_outside_literals(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    sql_scan s;
    const char *sql = "SELECT ':x', $q$ :y $q$, \"a:b\", E'\\' :z' -- :c\n"
                      "/* :d /* nested */ */ FROM t WHERE id = :id AND n::text = :name";
    assert_true(sql_tokenize(a, sql, &s));
    int params = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.toks[i].kind == TK_PARAM) {
            params++;
            assert_true(strcmp(s.toks[i].text, "id") == 0 || strcmp(s.toks[i].text, "name") == 0);
        }
    assert_int_equal(params, 2);
    gen_arena_free(a);
}

static void fragments_render_per_variant(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    sql_scan s;
    const char *sql = "SELECT * FROM t WHERE id = :id [[AND status = :status]] [[AND name = :name]] ORDER BY id";
    assert_true(sql_tokenize(a, sql, &s));
    assert_int_equal(s.nfragments, 2);
    assert_string_equal(sql_render(a, sql, &s, 0, index_of, NULL),
                        "SELECT * FROM t WHERE id = $1 ORDER BY id");
    assert_string_equal(sql_render(a, sql, &s, 1, index_of, NULL),
                        "SELECT * FROM t WHERE id = $1 AND status = $2 ORDER BY id");
    assert_string_equal(sql_render(a, sql, &s, 3, index_of, NULL),
                        "SELECT * FROM t WHERE id = $1 AND status = $2 AND name = $3 ORDER BY id");
    gen_arena_free(a);
}

static void lexical_errors_are_reported_with_line(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    sql_scan s;
    assert_false(sql_tokenize(a, "SELECT 1\nWHERE a = 'open", &s));
    assert_string_equal(s.error, "unterminated string literal");
    assert_int_equal(s.error_line, 1);
    assert_false(sql_tokenize(a, "[[ a [[ b ]] ]]", &s));
    assert_string_equal(s.error, "optional fragments '[[ ... ]]' cannot nest");
    assert_false(sql_tokenize(a, "SELECT $x$ never closed", &s));
    assert_string_equal(s.error, "unterminated dollar-quoted string");
    gen_arena_free(a);
}

static void array_subscripts_are_not_fragments(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    sql_scan s;
    assert_true(sql_tokenize(a, "SELECT arr[1], m[2][3] FROM t", &s));
    assert_int_equal(s.nfragments, 0);
    gen_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(params_are_found_outside_literals),
        cmocka_unit_test(fragments_render_per_variant),
        cmocka_unit_test(lexical_errors_are_reported_with_line),
        cmocka_unit_test(array_subscripts_are_not_fragments),
    };
    return cmocka_run_group_tests_name("generator/sqlscan", tests, NULL, NULL);
}
