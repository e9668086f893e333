/* The SQL tokenizer: parameters, casts, literals, comments and optional
 * fragments, and rendering of fragment variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sqlscan.h"

/* Renders a variant and checks its parameter order ("a,b"). */
static const char *render(gen_arena *a, const char *sql, const sql_scan *s, unsigned mask,
                          const char *order)
{
    sql_variant v = sql_render(a, sql, s, mask, NULL, NULL);
    char names[200] = "";
    for (size_t i = 0; i < v.nparams; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "," : "",
                 v.params[i]);
    assert_string_equal(names, order);
    return v.sql;
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
    assert_string_equal(render(a, sql, &s, 0, "id"), "SELECT * FROM t WHERE id = $1 ORDER BY id");
    assert_string_equal(render(a, sql, &s, 1, "id,status"),
                        "SELECT * FROM t WHERE id = $1 AND status = $2 ORDER BY id");
    assert_string_equal(render(a, sql, &s, 2, "id,name"),
                        "SELECT * FROM t WHERE id = $1 AND name = $2 ORDER BY id");
    assert_string_equal(render(a, sql, &s, 3, "id,status,name"),
                        "SELECT * FROM t WHERE id = $1 AND status = $2 AND name = $3 ORDER BY id");
    gen_arena_free(a);
}

static void fragments_on_their_own_lines_leave_no_blank_lines(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    sql_scan s;
    const char *sql = "UPDATE t SET\n    a = 1\n    [[, b = :b]]\n    [[, c = :c]]\nWHERE (id = :id OR f(:id))\nRETURNING *";
    assert_true(sql_tokenize(a, sql, &s));
    assert_string_equal(render(a, sql, &s, 0, "id"),
                        "UPDATE t SET\n    a = 1\nWHERE (id = $1 OR f($1))\nRETURNING *");
    assert_string_equal(render(a, sql, &s, 2, "c,id"),
                        "UPDATE t SET\n    a = 1\n    , c = $1\nWHERE (id = $2 OR f($2))\nRETURNING *");
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
        cmocka_unit_test(fragments_on_their_own_lines_leave_no_blank_lines),
        cmocka_unit_test(lexical_errors_are_reported_with_line),
        cmocka_unit_test(array_subscripts_are_not_fragments),
    };
    return cmocka_run_group_tests_name("generator/sqlscan", tests, NULL, NULL);
}
