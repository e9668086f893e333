/* schemac erd: the DOT and Mermaid text of a small schema (every shape the
 * diagram draws) and of schema/semantik.yaml equal their golden files byte
 * for byte; every Mermaid line has the shape the Mermaid lexer accepts; the
 * SVG (whose bytes depend on the Graphviz version) is well-formed XML naming
 * every table; without `dot` on PATH svg fails with a clear message and
 * writes nothing; an unknown --format is refused.
 * After a deliberate change: `make erd-golden`, then review the diff. */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "erd.h"
#include "schemac_gen.h"
#include "yaml_tree.h"

static const char *const SMALL = "tests/generator/erd/small.yaml";
static const char *const SEMANTIK = "schema/semantik.yaml";

static m_schema *load(const char *path, gen_arena *a)
{
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    m_schema *s = gen_schema_load(path, a, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    assert_non_null(s);
    return s;
}

/* Compares with tests/generator/erd/<name>; on a difference the output is
 * left in /tmp for `diff`. */
static void check_golden(const char *schema, erd_format f, const char *golden)
{
    gen_arena *a = gen_arena_new();
    const char *got = erd_render(load(schema, a), f, a);
    size_t len;
    char *path = gen_printf(a, "tests/generator/erd/%s", golden);
    const char *want = ytree_read_file(path, a, &len);
    assert_non_null(want);
    if (strcmp(got, want) != 0) {
        char *tmp = gen_printf(a, "/tmp/schemac-erd-%s", golden);
        FILE *out = fopen(tmp, "w");
        if (out) {
            fputs(got, out);
            fclose(out);
        }
        fail_msg("%s differs from the golden file: diff %s %s (make erd-golden rewrites it)",
                 golden, path, tmp);
    }
    gen_arena_free(a);
}

static void small_dot_is_golden(void **state)
{
    (void)state;
    check_golden(SMALL, ERD_DOT, "small.dot");
}

static void small_mermaid_is_golden(void **state)
{
    (void)state;
    check_golden(SMALL, ERD_MERMAID, "small.mmd");
}

static void semantik_dot_is_golden(void **state)
{
    (void)state;
    check_golden(SEMANTIK, ERD_DOT, "semantik.dot");
}

static void semantik_mermaid_is_golden(void **state)
{
    (void)state;
    check_golden(SEMANTIK, ERD_MERMAID, "semantik.mmd");
}

/* The Mermaid subset erd writes, as regular expressions over whole lines:
 * plain words ([A-Za-z0-9_], no PK/FK/UK as a type or name), a quoted
 * entity name only where needed, comments without quotes inside. */
static const char *const mermaid_lines[] = {
    "^erDiagram$",
    "^    %% [^\n]*$",
    "^    (\"[a-z_][a-z0-9_]*\"|[a-z_][a-z0-9_]*) \\{$",
    "^        [A-Za-z_][A-Za-z0-9_]* [A-Za-z_][A-Za-z0-9_]*( (PK|FK|UK)(, (PK|FK|UK))*)?"
    "( \"[^\"]*\")?$",
    "^    }$",
    "^    (\"[a-z_][a-z0-9_]*\"|[a-z_][a-z0-9_]*) (\\|\\||\\|o)(--|\\.\\.)(o\\{|o\\|) "
    "(\"[a-z_][a-z0-9_]*\"|[a-z_][a-z0-9_]*) : \"[^\"]*\"$",
};

static bool bad_word(const char *line)
{
    char type[128], name[128];
    if (sscanf(line, " %127s %127s", type, name) != 2)
        return false;
    return !strcasecmp(type, "pk") || !strcasecmp(type, "fk") || !strcasecmp(type, "uk") ||
           !strcasecmp(name, "pk") || !strcasecmp(name, "fk") || !strcasecmp(name, "uk");
}

static void check_mermaid_lines(const char *schema)
{
    enum { N = sizeof mermaid_lines / sizeof *mermaid_lines };
    regex_t re[N];
    for (size_t i = 0; i < N; i++)
        assert_int_equal(regcomp(&re[i], mermaid_lines[i], REG_EXTENDED | REG_NOSUB), 0);
    gen_arena *a = gen_arena_new();
    char *text = gen_strdup(a, erd_render(load(schema, a), ERD_MERMAID, a));
    assert_true(strncmp(text, "erDiagram\n", 10) == 0);
    int lineno = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        bool ok = false;
        for (size_t i = 0; i < N && !ok; i++)
            ok = regexec(&re[i], line, 0, NULL, 0) == 0;
        if (!ok || (strncmp(line, "        ", 8) == 0 && bad_word(line)))
            fail_msg("%s: mermaid line %d is not erDiagram syntax: '%s'", schema, lineno, line);
    }
    for (size_t i = 0; i < N; i++)
        regfree(&re[i]);
    gen_arena_free(a);
}

static void mermaid_lines_are_valid_syntax(void **state)
{
    (void)state;
    check_mermaid_lines(SMALL);
    check_mermaid_lines(SEMANTIK);
}

static void capture(void *ctx, const gen_loc *loc, const char *message)
{
    gen_diag_format(ctx, 1024, loc, message);
}

static int erd(const char *schema, const char *format, const char *out, char msg[1024])
{
    gen_options o = {.schema_path = schema, .format = format, .out_file = out};
    gen_diag d;
    msg[0] = '\0';
    gen_diag_init(&d, capture, msg);
    int rc = gen_erd(&o, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return rc;
}

static void svg_is_well_formed_and_names_every_table(void **state)
{
    (void)state;
    char dir[] = "/tmp/schemac-erd.XXXXXX", msg[1024], cmd[512];
    assert_non_null(mkdtemp(dir));
    gen_arena *a = gen_arena_new();
    const char *svg = gen_printf(a, "%s/semantik.svg", dir);
    assert_int_equal(erd(SEMANTIK, "svg", svg, msg), 0);
    snprintf(cmd, sizeof cmd, "xmllint --noout %s", svg);
    assert_int_equal(system(cmd), 0);
    size_t len;
    const char *text = ytree_read_file(svg, a, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "<svg"));
    const m_schema *s = load(SEMANTIK, a);
    for (size_t i = 0; i < s->ntables; i++)
        if (!strstr(text, gen_printf(a, ">%s</text>", s->tables[i].name)))
            fail_msg("the svg does not name table %s", s->tables[i].name);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    gen_arena_free(a);
}

static void svg_without_graphviz_is_a_clear_error(void **state)
{
    (void)state;
    char dir[] = "/tmp/schemac-erd-nodot.XXXXXX", msg[1024], out[128];
    assert_non_null(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/x.svg", dir);
    char *path = strdup(getenv("PATH"));
    setenv("PATH", dir, 1); /* an empty directory: no dot */
    int rc = erd(SMALL, "svg", out, msg);
    setenv("PATH", path, 1);
    free(path);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(msg, "needs Graphviz's 'dot' on PATH"));
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(rmdir(dir), 0); /* nothing written, not even x.svg.tmp */
}

static void unknown_format_is_refused(void **state)
{
    (void)state;
    char msg[1024];
    assert_int_equal(erd(SMALL, "png", NULL, msg), 1);
    assert_string_equal(msg, "schemac erd: error: --format is dot, svg or mermaid, not 'png'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_dot_is_golden),
        cmocka_unit_test(small_mermaid_is_golden),
        cmocka_unit_test(semantik_dot_is_golden),
        cmocka_unit_test(semantik_mermaid_is_golden),
        cmocka_unit_test(mermaid_lines_are_valid_syntax),
        cmocka_unit_test(svg_is_well_formed_and_names_every_table),
        cmocka_unit_test(svg_without_graphviz_is_a_clear_error),
        cmocka_unit_test(unknown_format_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
