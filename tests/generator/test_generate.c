/* The generate verb as a library call: output is the same bytes twice, a
 * --templates directory overrides a built-in template by name, a broken
 * override names its file and line, and a schema with errors writes
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "schemac_gen.h"
#include "yaml_tree.h"

static char *slurp(const char *path)
{
    gen_arena *a = gen_arena_new();
    size_t len;
    char *text = ytree_read_file(path, a, &len);
    char *copy = text ? strdup(text) : NULL;
    gen_arena_free(a);
    return copy;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int generate(const char *out, const char *templates)
{
    gen_options o = {"schema/semantik.yaml", out, templates};
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    int rc = gen_generate(&o, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return rc;
}

static void generation_is_deterministic(void **state)
{
    (void)state;
    char a[] = "/tmp/schemac-gen-a.XXXXXX", b[] = "/tmp/schemac-gen-b.XXXXXX";
    assert_non_null(mkdtemp(a));
    assert_non_null(mkdtemp(b));
    assert_int_equal(generate(a, NULL), 0);
    assert_int_equal(generate(b, NULL), 0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "diff -r %s %s >/dev/null && diff -r -x migrations %s generated >/dev/null", a, b, a);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", a, b);
    assert_int_equal(system(cmd), 0);
}

static void templates_dir_overrides_a_builtin(void **state)
{
    (void)state;
    char t[] = "/tmp/schemac-tmpl.XXXXXX", out[] = "/tmp/schemac-out.XXXXXX";
    assert_non_null(mkdtemp(t));
    assert_non_null(mkdtemp(out));
    char path[300];
    snprintf(path, sizeof path, "%s/banner.tmpl", t);
    write_file(path, "/* ACME generated code from {{source}} */\n");
    assert_int_equal(generate(out, t), 0);
    snprintf(path, sizeof path, "%s/sm_models.h", out);
    char *models = slurp(path);
    assert_non_null(models);
    assert_true(strncmp(models, "/* ACME generated code from schema/semantik.yaml */\n", 52) == 0);
    free(models);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", t, out);
    assert_int_equal(system(cmd), 0);
}

static void broken_override_is_reported_and_writes_nothing(void **state)
{
    (void)state;
    char t[] = "/tmp/schemac-tmpl.XXXXXX", out[] = "/tmp/schemac-out.XXXXXX";
    assert_non_null(mkdtemp(t));
    assert_non_null(mkdtemp(out));
    char path[300];
    snprintf(path, sizeof path, "%s/banner.tmpl", t);
    write_file(path, "/* {{#source}} never closed */\n");
    assert_int_equal(generate(out, t), 1);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", out);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", t, out);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generation_is_deterministic),
        cmocka_unit_test(templates_dir_overrides_a_builtin),
        cmocka_unit_test(broken_override_is_reported_and_writes_nothing),
    };
    return cmocka_run_group_tests_name("generator/generate", tests, NULL, NULL);
}
