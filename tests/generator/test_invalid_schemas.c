/* Every tests/invalid/<case>/schema.yaml must fail validation with exactly the
 * diagnostics in tests/invalid/<case>/error (file:line:col and message, in
 * file order). One cmocka test per case directory. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "yaml_tree.h"

#define CASES_DIR "tests/invalid"

typedef struct captured {
    char *text;
    size_t len;
} captured;

static void capture(void *ctx, const gen_loc *loc, const char *message)
{
    captured *c = ctx;
    char line[1400];
    gen_diag_format(line, sizeof line, loc, message);
    size_t n = strlen(line);
    c->text = realloc(c->text, c->len + n + 2);
    assert_non_null(c->text);
    memcpy(c->text + c->len, line, n);
    c->len += n;
    c->text[c->len++] = '\n';
    c->text[c->len] = '\0';
}

static char *read_case_file(gen_arena *a, const char *dir, const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", CASES_DIR, dir, name);
    char *buf = ytree_read_file(path, a, len);
    if (!buf)
        fail_msg("cannot read %s", path);
    return buf;
}

static void run_case(void **state)
{
    const char *dir = *state;
    gen_arena *a = gen_arena_new();
    size_t len, elen;
    char *src = read_case_file(a, dir, "schema.yaml", &len);
    char *expected = read_case_file(a, dir, "error", &elen);
    captured got = {0};
    gen_diag d;
    gen_diag_init(&d, capture, &got);
    m_schema *s = gen_schema_parse("schema.yaml", src, len, a, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    assert_null(s);
    assert_non_null(got.text);
    assert_string_equal(got.text, expected);
    free(got.text);
    gen_arena_free(a);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    DIR *dir = opendir(CASES_DIR);
    if (!dir) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", CASES_DIR);
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, by_name);
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    for (size_t i = 0; i < n; i++) {
        tests[i].name = names[i];
        tests[i].test_func = run_case;
        tests[i].initial_state = names[i];
    }
    int failed = _cmocka_run_group_tests("generator/invalid_schemas", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(tests);
    return failed;
}
