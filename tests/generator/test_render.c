/* The template engine: values, sections, special names, partials,
 * standalone-line removal, delimiters, every error with its location, and the
 * built-in template table. Every assertion compares exact bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "render.h"

/* JSON written with single quotes, to keep the C literals readable. */
static json_t *json_of(const char *text)
{
    char *copy = strdup(text);
    assert_non_null(copy);
    for (char *c = copy; *c; c++)
        if (*c == '\'')
            *c = '"';
    json_error_t error;
    json_t *value = json_loads(copy, JSON_DECODE_ANY, &error);
    if (!value)
        fail_msg("bad test JSON: %s: %s", copy, error.text);
    free(copy);
    return value;
}

static void add(render_templates *t, const char *name, const char *text)
{
    char err[512] = "";
    if (render_templates_add(t, name, text, strlen(text), err, sizeof err))
        fail_msg("template %s does not parse: %s", name, err);
}

/* Renders `name` of set t and compares the output with `expected`. */
static void assert_set_renders(render_templates *t, const char *name, const char *json,
                               const char *expected)
{
    json_t *ctx = json_of(json);
    char *out = NULL, err[512] = "";
    size_t len = 99;
    if (render(t, name, ctx, &out, &len, err, sizeof err))
        fail_msg("render failed: %s", err);
    assert_string_equal(out, expected);
    assert_int_equal(len, strlen(expected));
    free(out);
    json_decref(ctx);
}

static void assert_renders(const char *tmpl, const char *json, const char *expected)
{
    render_templates *t = render_templates_new();
    add(t, "t.tmpl", tmpl);
    assert_set_renders(t, "t.tmpl", json, expected);
    render_templates_free(t);
}

static void assert_set_fails(render_templates *t, const char *name, const char *json,
                             const char *expected_error)
{
    json_t *ctx = json_of(json);
    char *out = (char *)"unchanged", err[512] = "";
    size_t len = 99;
    assert_int_equal(render(t, name, ctx, &out, &len, err, sizeof err), -1);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_string_equal(err, expected_error);
    json_decref(ctx);
}

static void assert_render_fails(const char *tmpl, const char *json, const char *expected_error)
{
    render_templates *t = render_templates_new();
    add(t, "t.tmpl", tmpl);
    assert_set_fails(t, "t.tmpl", json, expected_error);
    render_templates_free(t);
}

static void assert_parse_fails(const char *tmpl, const char *expected_error)
{
    render_templates *t = render_templates_new();
    char err[512] = "";
    assert_int_equal(render_templates_add(t, "t.tmpl", tmpl, strlen(tmpl), err, sizeof err), -1);
    assert_string_equal(err, expected_error);
    assert_false(render_templates_has(t, "t.tmpl"));
    render_templates_free(t);
}

/* ---- values ---------------------------------------------------------------- */

static void variables_print_scalars(void **state)
{
    (void)state;
    assert_renders("{{s}}|{{i}}|{{n}}|{{r}}|{{t}}|{{f}}|{{big}}",
                   "{'s': 'text', 'i': 42, 'n': -7, 'r': 0.5, 't': true, 'f': false,"
                   " 'big': 9223372036854775807}",
                   "text|42|-7|0.5|true|false|9223372036854775807");
    assert_renders("{{ s }}{{\ts\t}}", "{'s': 'x'}", "xx");
    assert_renders("no tags at all\n", "{}", "no tags at all\n");
    assert_renders("", "{}", "");
    assert_renders("{{r}} {{q}}", "{'r': 0.1, 'q': 1e300}", "0.1 1e+300");
}

static void values_are_never_escaped(void **state)
{
    (void)state;
    render_templates *t = render_templates_new();
    add(t, "t.tmpl", "x = {{v}};");
    json_t *ctx = json_pack("{s:s}", "v", "\"<a & b>\" 'c' \\n \xc3\xa9");
    char *out, err[256];
    size_t len;
    assert_int_equal(render(t, "t.tmpl", ctx, &out, &len, err, sizeof err), 0);
    assert_string_equal(out, "x = \"<a & b>\" 'c' \\n \xc3\xa9;");
    free(out);
    json_decref(ctx);
    render_templates_free(t);
}

static void dotted_names_walk_objects(void **state)
{
    (void)state;
    assert_renders("{{a.b.c}} {{a.x}}", "{'a': {'b': {'c': 'deep'}, 'x': 1}}", "deep 1");
    /* The first part is found outward, the rest only inside it. */
    assert_renders("{{#items}}{{name}}:{{table.name}} {{/items}}",
                   "{'table': {'name': 'users'}, 'items': [{'name': 'id'}, {'name': 'email'}]}",
                   "id:users email:users ");
    assert_render_fails("{{#inner}}{{a.b}}{{/inner}}", "{'a': {'b': 1}, 'inner': {'a': {'c': 2}}}",
                        "t.tmpl:1:11: unknown name 'a.b': 'a' has no member 'b'");
}

static void context_stack_is_searched_innermost_first(void **state)
{
    (void)state;
    assert_renders("{{name}}[{{#cols}}{{name}}/{{table}} {{/cols}}]{{name}}",
                   "{'name': 'T', 'table': 'users', 'cols': [{'name': 'a'}, {'name': 'b', 'table': 'x'}]}",
                   "T[a/users b/x ]T");
    assert_renders("{{#list}}{{.}},{{/list}}", "{'list': ['a', 1, true]}", "a,1,true,");
    assert_renders("{{.}}", "'root string'", "root string");
}

/* ---- sections -------------------------------------------------------------- */

static void sections_follow_the_value(void **state)
{
    (void)state;
    const char *t = "<{{#v}}yes{{/v}}>";
    assert_renders(t, "{'v': [1, 2, 3]}", "<yesyesyes>");
    assert_renders(t, "{'v': {}}", "<yes>");
    assert_renders(t, "{'v': true}", "<yes>");
    assert_renders(t, "{'v': 'x'}", "<yes>");
    assert_renders(t, "{'v': 3}", "<yes>");
    assert_renders(t, "{'v': 0.5}", "<yes>");
    assert_renders(t, "{'v': false}", "<>");
    assert_renders(t, "{'v': null}", "<>");
    assert_renders(t, "{'v': []}", "<>");
    assert_renders(t, "{'v': ''}", "<>");
    assert_renders(t, "{'v': 0}", "<>");
    assert_renders(t, "{'v': 0.0}", "<>");
}

static void sections_push_objects_and_scalars(void **state)
{
    (void)state;
    assert_renders("{{#pk}}{{name}} {{type}}{{/pk}}", "{'pk': {'name': 'id', 'type': 'int'}}",
                   "id int");
    assert_renders("{{#comment}}/* {{.}} */{{/comment}}", "{'comment': 'hi'}", "/* hi */");
    /* true does not push: {{.}} stays the enclosing item. */
    assert_renders("{{#xs}}{{#flag}}{{.}}{{/flag}}{{/xs}}", "{'flag': true, 'xs': ['a', 'b']}", "ab");
    assert_renders("{{#rows}}({{#cells}}{{.}}{{/cells}}){{/rows}}",
                   "{'rows': [{'cells': [1, 2]}, {'cells': []}, {'cells': [3]}]}", "(12)()(3)");
}

static void inverted_sections_render_when_empty(void **state)
{
    (void)state;
    const char *t = "<{{^v}}none{{/v}}>";
    assert_renders(t, "{'v': false}", "<none>");
    assert_renders(t, "{'v': null}", "<none>");
    assert_renders(t, "{'v': []}", "<none>");
    assert_renders(t, "{'v': ''}", "<none>");
    assert_renders(t, "{'v': 0}", "<none>");
    assert_renders(t, "{'v': true}", "<>");
    assert_renders(t, "{'v': [1]}", "<>");
    assert_renders(t, "{'v': {}}", "<>");
    assert_renders(t, "{'v': 'x'}", "<>");
    /* No push: the context is unchanged inside. */
    assert_renders("{{^v}}{{name}}{{/v}}", "{'v': [], 'name': 'n'}", "n");
}

static void loop_specials_give_position(void **state)
{
    (void)state;
    assert_renders("f({{#params}}{{type}} {{name}}{{^@last}}, {{/@last}}{{/params}});",
                   "{'params': [{'type': 'int', 'name': 'a'}, {'type': 'double', 'name': 'b'},"
                   " {'type': 'bool', 'name': 'c'}]}",
                   "f(int a, double b, bool c);");
    assert_renders("{{#xs}}{{@index}}{{#@first}}F{{/@first}}{{#@last}}L{{/@last}}{{^@first}}-{{/@first}} {{/xs}}",
                   "{'xs': [1, 2, 3]}", "0F 1- 2L- ");
    assert_renders("{{#xs}}{{#@first}}{{#@last}}only{{/@last}}{{/@first}}{{/xs}}", "{'xs': [1]}", "only");
    assert_renders("{{#xs}}{{@first}}/{{@last}}/{{@index}} {{/xs}}", "{'xs': ['a', 'b']}",
                   "true/false/0 false/true/1 ");
    /* The innermost array section wins; an object section in between does not count. */
    assert_renders("{{#t}}{{#c}}{{@index}}.{{#o}}{{@index}}{{/o}} {{/c}}|{{/t}}",
                   "{'t': [{'c': [{'o': {}}, {'o': {}}]}, {'c': [{'o': {}}]}]}", "0.0 1.1 |0.0 |");
    /* Inside a special section the item stays current. */
    assert_renders("{{#xs}}{{#@first}}{{.}}{{/@first}}{{/xs}}", "{'xs': ['a', 'b']}", "a");
}

/* ---- partials -------------------------------------------------------------- */

static void partials_render_in_the_current_context(void **state)
{
    (void)state;
    render_templates *t = render_templates_new();
    add(t, "main.tmpl", "{{#cols}}[{{>col}}]{{/cols}} {{>other.tmpl}}");
    add(t, "col.tmpl", "{{name}}:{{type}}");
    add(t, "other.tmpl", "{{title}}");
    assert_set_renders(t, "main.tmpl",
                       "{'title': 'T', 'cols': [{'name': 'a', 'type': 'int'}, {'name': 'b', 'type': 'text'}]}",
                       "[a:int][b:text] T");
    render_templates_free(t);
}

static void standalone_partials_are_indented(void **state)
{
    (void)state;
    render_templates *t = render_templates_new();
    add(t, "struct.tmpl",
        "typedef struct {{name}} {\n"
        "    {{>fields}}\n"
        "} {{name}};\n");
    add(t, "fields.tmpl",
        "{{#fields}}\n"
        "{{type}} {{name}};\n"
        "{{/fields}}\n"
        "\n"
        "{{>extra}}\n");
    add(t, "extra.tmpl",
        "/* multi\n"
        "   line */\n"
        "  {{>last}}\n");
    add(t, "last.tmpl", "int last{{n}};\n");
    assert_set_renders(t, "struct.tmpl",
                       "{'name': 'row', 'n': 9, 'fields': [{'type': 'int64_t', 'name': 'id'},"
                       " {'type': 'double', 'name': 'title'}]}",
                       "typedef struct row {\n"
                       "    int64_t id;\n"
                       "    double title;\n"
                       "\n" /* empty lines get no indentation */
                       "    /* multi\n"
                       "       line */\n"
                       "      int last9;\n"
                       "} row;\n");
    /* Only template lines are indented, not lines inside values. */
    add(t, "v.tmpl", "  {{>val}}\n");
    add(t, "val.tmpl", "<{{s}}>\n");
    assert_set_renders(t, "v.tmpl", "{'s': 'a\\nb'}", "  <a\nb>\n");
    /* A partial that is not alone on its line is not indented. */
    add(t, "inline.tmpl", "  x {{>two}}\n");
    add(t, "two.tmpl", "1\n2\n");
    assert_set_renders(t, "inline.tmpl", "{}", "  x 1\n2\n\n");
    render_templates_free(t);
}

static void recursive_partials_follow_the_data(void **state)
{
    (void)state;
    render_templates *t = render_templates_new();
    add(t, "tree.tmpl", "{{name}}{{#kids}}({{>tree}}){{/kids}}");
    assert_set_renders(t, "tree.tmpl",
                       "{'name': 'a', 'kids': [{'name': 'b', 'kids': [{'name': 'c', 'kids': []}]},"
                       " {'name': 'd', 'kids': []}]}",
                       "a(b(c))(d)");
    render_templates_free(t);
}

/* {'c': {'c': ... false}} nested `depth` times: sections over c stop at the
 * innermost level (an object there would let `c` be found again outward). */
static char *nested_json(int depth)
{
    static char buf[1024];
    buf[0] = '\0';
    for (int i = 0; i < depth; i++)
        strcat(buf, "{'c': ");
    strcat(buf, "false");
    for (int i = 0; i < depth; i++)
        strcat(buf, "}");
    return buf;
}

static void partial_depth_is_limited(void **state)
{
    (void)state;
    render_templates *t = render_templates_new();
    add(t, "top.tmpl", "{{#c}}{{>r}}{{/c}}");
    add(t, "r.tmpl", "<{{#c}}{{>r}}{{/c}}>");
    /* 32 nested partials render... */
    char expected[128] = "";
    for (int i = 0; i < 32; i++)
        strcat(expected, "<");
    for (int i = 0; i < 32; i++)
        strcat(expected, ">");
    assert_set_renders(t, "top.tmpl", nested_json(33), expected);
    /* ...the 33rd is refused, at the tag that asked for it. */
    assert_set_fails(t, "top.tmpl", nested_json(34),
                     "r.tmpl:1:8: partial 'r' nested more than 32 levels deep (recursive partial?)");
    add(t, "loop.tmpl", "x\n  {{>loop}}\n");
    assert_set_fails(t, "loop.tmpl", "{}",
                     "loop.tmpl:2:3: partial 'loop' nested more than 32 levels deep (recursive partial?)");
    render_templates_free(t);
}

/* ---- standalone lines and comments ----------------------------------------- */

static void standalone_tag_lines_disappear(void **state)
{
    (void)state;
    assert_renders("enum e {\n"
                   "    {{#values}}\n"
                   "    E_{{name}},\n"
                   "    {{/values}}\n"
                   "};\n",
                   "{'values': [{'name': 'A'}, {'name': 'B'}]}",
                   "enum e {\n"
                   "    E_A,\n"
                   "    E_B,\n"
                   "};\n");
    assert_renders("begin\n"
                   "  {{! a comment }}\n"
                   "\t{{^none}}  \n"
                   "nothing\n"
                   "{{/none}}\n"
                   "end\n",
                   "{'none': []}", "begin\nnothing\nend\n");
    /* A standalone tag at the very end needs no newline; CRLF lines work too. */
    assert_renders("a\r\n{{#x}}\r\nb\r\n{{/x}}", "{'x': true}", "a\r\nb\r\n");
    /* Multi-line comments alone on their lines vanish with them. */
    assert_renders("a\n  {{! one\n  two }}  \nb\n", "{}", "a\nb\n");
    /* Blank lines are kept; only the tag lines go. */
    assert_renders("{{#x}}\n\nin\n\n{{/x}}\n", "{'x': 1}", "\nin\n\n");
}

static void tags_sharing_a_line_stay(void **state)
{
    (void)state;
    /* Not standalone: other text or tags share the line, so only the tags go. */
    assert_renders("  {{#x}}y{{/x}}\n", "{'x': true}", "  y\n");
    assert_renders("{{#x}}{{/x}}\n", "{'x': true}", "\n");
    assert_renders("a {{! c }}\n", "{}", "a \n");
    assert_renders("  {{v}}\n", "{'v': 'val'}", "  val\n");
    assert_renders("  {{#x}} z\n{{/x}}", "{'x': true}", "   z\n");
}

static void comments_are_ignored(void **state)
{
    (void)state;
    assert_renders("a{{! ignored {{ name }}b{{!x}}c", "{}", "abc");
    assert_renders("a{{!\nmulti\nline\n}}b", "{}", "ab");
}

static void delimiters_can_change(void **state)
{
    (void)state;
    /* C initializers contain `{{`; switch delimiters around them. */
    assert_renders("{{=<% %>=}}\n"
                   "static const int <%name%>[][2] = {{0, 1}};\n"
                   "<%={{ }}=%>\n"
                   "{{name}}\n",
                   "{'name': 'pairs'}",
                   "static const int pairs[][2] = {{0, 1}};\n"
                   "pairs\n");
    assert_parse_fails("{{=<% %>}}", "t.tmpl:1:1: invalid delimiter tag (expected e.g. {{=<% %>=}})");
    assert_parse_fails("{{= a =}}", "t.tmpl:1:1: invalid delimiter tag (expected e.g. {{=<% %>=}})");
}

/* ---- errors ---------------------------------------------------------------- */

static void render_errors_name_the_tag(void **state)
{
    (void)state;
    assert_render_fails("line one\n    {{nope}}", "{'a': 1, 'b': 2}",
                        "t.tmpl:2:5: unknown name 'nope' (context: top level; names here: a, b)");
    assert_render_fails("{{#tables}}\n  {{#columns}}\n    {{c_type}}\n  {{/columns}}\n{{/tables}}\n",
                        "{'tables': [{'columns': [{'name': 'id', 'sql_type': 'bigint'}]}]}",
                        "t.tmpl:3:5: unknown name 'c_type' (context: tables > columns; names here: name, sql_type)");
    assert_render_fails("{{x}}", "{}", "t.tmpl:1:1: unknown name 'x' (context: top level)");
    assert_render_fails("{{#missing}}x{{/missing}}", "{}", "t.tmpl:1:1: unknown name 'missing' (context: top level)");
    assert_render_fails("ab{{^missing}}x{{/missing}}", "{}", "t.tmpl:1:3: unknown name 'missing' (context: top level)");
    assert_render_fails("{{a.b}}", "{'a': 'str'}", "t.tmpl:1:1: unknown name 'a.b': 'a' is a string, not an object");
    assert_render_fails("{{a.b.c}}", "{'a': {'b': [1]}}",
                        "t.tmpl:1:1: unknown name 'a.b.c': 'b' is an array, not an object");
    assert_render_fails("{{v}}", "{'v': null}", "t.tmpl:1:1: 'v' is null, not a value to print (test it with a section)");
    assert_render_fails("{{v}}", "{'v': [1]}", "t.tmpl:1:1: 'v' is an array, not a value to print (use a section)");
    assert_render_fails("{{v}}", "{'v': {}}", "t.tmpl:1:1: 'v' is an object, not a value to print (use a section)");
    assert_render_fails(" {{@first}}", "{}", "t.tmpl:1:2: '@first' used outside a section over an array");
    assert_render_fails("{{#o}}{{@index}}{{/o}}", "{'o': {}}",
                        "t.tmpl:1:7: '@index' used outside a section over an array");
    /* Long key lists are cut after eight names. */
    assert_render_fails("{{z}}", "{'a':1,'b':1,'c':1,'d':1,'e':1,'f':1,'g':1,'h':1,'i':1}",
                        "t.tmpl:1:1: unknown name 'z' (context: top level; names here: a, b, c, d, e, f, g, h, ...)");
}

static void partial_errors_name_the_partial(void **state)
{
    (void)state;
    render_templates *t = render_templates_new();
    add(t, "main.tmpl", "x\n{{#cols}}\n  {{>col}}\n{{/cols}}\n{{>gone}}\n");
    add(t, "col.tmpl", "{{name}}\n{{ctype}}\n");
    assert_set_fails(t, "main.tmpl", "{'cols': [{'name': 'a'}]}",
                     "col.tmpl:2:1: unknown name 'ctype' (context: cols; names here: name)");
    assert_set_fails(t, "main.tmpl", "{'cols': []}", "main.tmpl:5:1: unknown partial 'gone'");
    assert_set_fails(t, "absent.tmpl", "{}", "unknown template 'absent.tmpl'");
    render_templates_free(t);
}

static void parse_errors_name_the_tag(void **state)
{
    (void)state;
    assert_parse_fails("a\n  {{#cols}}\n{{name}}\n", "t.tmpl:2:3: unclosed section 'cols'");
    assert_parse_fails("{{#a}}{{#b}}{{/a}}{{/b}}",
                       "t.tmpl:1:13: mismatched close tag '/a': section 'b' opened at 1:7 is still open");
    assert_parse_fails("x\n\n   {{/a}}", "t.tmpl:3:4: close tag '/a' without an open section");
    assert_parse_fails("ok {{x}}\nstatic int a[] = {{0}", "t.tmpl:2:18: unclosed tag '{{' (no '}}' follows)");
    assert_parse_fails("a {{ }}", "t.tmpl:1:3: empty tag");
    assert_parse_fails("{{a b}}",
                       "t.tmpl:1:1: invalid name 'a b' (names are letters, digits, '_', '-' and dots; "
                       "for a literal delimiter in the output use {{=<% %>=}})");
    assert_parse_fails("{{#a..b}}{{/a..b}}", "t.tmpl:1:1: invalid name 'a..b' (empty part in a dotted name)");
    assert_parse_fails("{{.a}}", "t.tmpl:1:1: invalid name '.a' (empty part in a dotted name)");
    assert_parse_fails("{{@count}}", "t.tmpl:1:1: unknown special name '@count' (expected @first, @last or @index)");
    assert_parse_fails("{{{raw}}}", "t.tmpl:1:1: '{' tags are not supported: values are never escaped, write {{name}}");
    assert_parse_fails("{{&raw}}", "t.tmpl:1:1: '&' tags are not supported: values are never escaped, write {{name}}");
    assert_parse_fails("{{>}}", "t.tmpl:1:1: partial tag without a name");
    assert_parse_fails("{{> a b}}", "t.tmpl:1:1: invalid partial name 'a b'");
}

static void failed_add_keeps_the_previous_template(void **state)
{
    (void)state;
    render_templates *t = render_templates_new();
    add(t, "t.tmpl", "old {{v}}");
    char err[256];
    assert_int_equal(render_templates_add(t, "t.tmpl", "{{#x}}", 6, err, sizeof err), -1);
    assert_string_equal(err, "t.tmpl:1:1: unclosed section 'x'");
    assert_set_renders(t, "t.tmpl", "{'v': 1}", "old 1");
    /* A successful add replaces it (user templates override built-ins). */
    add(t, "t.tmpl", "new {{v}}");
    assert_set_renders(t, "t.tmpl", "{'v': 1}", "new 1");
    /* err may be NULL; text needs no terminator. */
    assert_int_equal(render_templates_add(t, "u.tmpl", "{{/x}}", 6, NULL, 0), -1);
    assert_int_equal(render_templates_add(t, "u.tmpl", "{{v}}garbage", 5, NULL, 0), 0);
    assert_set_renders(t, "u.tmpl", "{'v': 2}", "2");
    render_templates_free(t);
    render_templates_free(NULL);
}

/* ---- loading, built-ins, scale, determinism --------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void templates_load_from_a_directory(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_render_XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "main.c.tmpl", "#include \"{{h}}\"\n{{>part}}");
    write_file(dir, "part.tmpl", "int {{v}};\n");
    write_file(dir, "notes.txt", "{{#broken");
    render_templates *t = render_templates_new();
    char err[512] = "";
    assert_int_equal(render_templates_load_dir(t, dir, err, sizeof err), 0);
    assert_true(render_templates_has(t, "main.c.tmpl"));
    assert_true(render_templates_has(t, "part.tmpl"));
    assert_false(render_templates_has(t, "notes.txt"));
    assert_set_renders(t, "main.c.tmpl", "{'h': 'x.h', 'v': 'y'}", "#include \"x.h\"\nint y;\n");

    write_file(dir, "z_bad.tmpl", "ok\n  {{#open}}\n");
    assert_int_equal(render_templates_load_dir(t, dir, err, sizeof err), -1);
    assert_string_equal(err, "z_bad.tmpl:2:3: unclosed section 'open'");
    render_templates_free(t);
    remove_dir(dir);

    t = render_templates_new();
    assert_int_equal(render_templates_load_dir(t, dir, err, sizeof err), -1);
    char expected[256];
    snprintf(expected, sizeof expected, "%s: No such file or directory", dir);
    assert_string_equal(err, expected);
    render_templates_free(t);
}

static size_t count_template_files(void)
{
    DIR *d = opendir("templates");
    if (!d)
        return 0;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len > 5 && strcmp(e->d_name + len - 5, ".tmpl") == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* Tests run from the repository root: the built-in table must match templates/. */
static void builtin_templates_match_the_directory(void **state)
{
    (void)state;
    assert_int_equal(render_builtin_count, count_template_files());
    render_templates *builtin = render_templates_new();
    render_templates *loaded = render_templates_new();
    char err[512] = "";
    if (render_templates_add_builtin(builtin, err, sizeof err))
        fail_msg("built-in templates do not parse: %s", err);
    if (count_template_files() && render_templates_load_dir(loaded, "templates", err, sizeof err))
        fail_msg("templates/ does not load: %s", err);
    for (size_t i = 0; i < render_builtin_count; i++) {
        assert_true(render_templates_has(builtin, render_builtin[i].name));
        assert_true(render_templates_has(loaded, render_builtin[i].name));
        assert_int_equal(strlen(render_builtin[i].text), render_builtin[i].len);
    }
    render_templates_free(builtin);
    render_templates_free(loaded);
}

static void large_arrays_render_completely(void **state)
{
    (void)state;
    enum { N = 20000 };
    json_t *rows = json_array();
    for (int i = 0; i < N; i++)
        json_array_append_new(rows, json_pack("{s:i,s:s}", "id", i, "name", "column_name"));
    json_t *ctx = json_pack("{s:o}", "rows", rows);
    render_templates *t = render_templates_new();
    add(t, "big.tmpl", "{{#rows}}\n    { {{id}}, \"{{name}}\" }{{^@last}},{{/@last}}\n{{/rows}}\n");
    char *out, err[256];
    size_t len;
    assert_int_equal(render(t, "big.tmpl", ctx, &out, &len, err, sizeof err), 0);
    size_t expected = 0;
    char line[64];
    for (int i = 0; i < N; i++)
        expected += (size_t)snprintf(line, sizeof line, "    { %d, \"column_name\" }%s\n", i,
                                     i + 1 < N ? "," : "");
    assert_int_equal(len, expected);
    assert_int_equal(strlen(out), len);
    assert_memory_equal(out, "    { 0, \"column_name\" },\n    { 1, ", 34);
    const char *tail = "},\n    { 19999, \"column_name\" }\n";
    assert_string_equal(out + len - strlen(tail), tail);
    free(out);
    render_templates_free(t);
    json_decref(ctx);
}

static void rendering_is_deterministic(void **state)
{
    (void)state;
    const char *tmpl = "{{#tables}}\n"
                       "/* {{name}} */\n"
                       "  {{>cols}}\n"
                       "{{/tables}}\n";
    render_templates *a = render_templates_new(), *b = render_templates_new();
    add(a, "m.tmpl", tmpl);
    add(a, "cols.tmpl", "{{#cols}}{{.}}{{^@last}}, {{/@last}}{{/cols}}\n");
    add(b, "cols.tmpl", "{{#cols}}{{.}}{{^@last}}, {{/@last}}{{/cols}}\n");
    add(b, "m.tmpl", tmpl);
    json_t *ctx = json_of("{'tables': [{'name': 't1', 'cols': ['a', 'b']}, {'name': 't2', 'cols': ['c']}]}");
    char *first, *second, *third, err[256];
    size_t n1, n2, n3;
    assert_int_equal(render(a, "m.tmpl", ctx, &first, &n1, err, sizeof err), 0);
    assert_int_equal(render(a, "m.tmpl", ctx, &second, &n2, err, sizeof err), 0);
    assert_int_equal(render(b, "m.tmpl", ctx, &third, &n3, err, sizeof err), 0);
    assert_string_equal(first, "/* t1 */\n  a, b\n/* t2 */\n  c\n");
    assert_int_equal(n1, n2);
    assert_int_equal(n1, n3);
    assert_memory_equal(first, second, n1);
    assert_memory_equal(first, third, n1);
    free(first);
    free(second);
    free(third);
    json_decref(ctx);
    render_templates_free(a);
    render_templates_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(variables_print_scalars),
        cmocka_unit_test(values_are_never_escaped),
        cmocka_unit_test(dotted_names_walk_objects),
        cmocka_unit_test(context_stack_is_searched_innermost_first),
        cmocka_unit_test(sections_follow_the_value),
        cmocka_unit_test(sections_push_objects_and_scalars),
        cmocka_unit_test(inverted_sections_render_when_empty),
        cmocka_unit_test(loop_specials_give_position),
        cmocka_unit_test(partials_render_in_the_current_context),
        cmocka_unit_test(standalone_partials_are_indented),
        cmocka_unit_test(recursive_partials_follow_the_data),
        cmocka_unit_test(partial_depth_is_limited),
        cmocka_unit_test(standalone_tag_lines_disappear),
        cmocka_unit_test(tags_sharing_a_line_stay),
        cmocka_unit_test(comments_are_ignored),
        cmocka_unit_test(delimiters_can_change),
        cmocka_unit_test(render_errors_name_the_tag),
        cmocka_unit_test(partial_errors_name_the_partial),
        cmocka_unit_test(parse_errors_name_the_tag),
        cmocka_unit_test(failed_add_keeps_the_previous_template),
        cmocka_unit_test(templates_load_from_a_directory),
        cmocka_unit_test(builtin_templates_match_the_directory),
        cmocka_unit_test(large_arrays_render_completely),
        cmocka_unit_test(rendering_is_deterministic),
    };
    return cmocka_run_group_tests_name("generator/render", tests, NULL, NULL);
}
