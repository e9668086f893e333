/* A foreign-key chain 40 tables deep (bench/synthetic.sh chain 40): the
 * generated tests of a deep table take their parents from the parents'
 * factories instead of spelling out the whole chain as INSERTs (which made
 * generation grow with the cube of the depth), and they still pass against
 * the real server. Needs SC_TEST_SCHEMAC (set by make run-tests) and
 * DATABASE_URL (tests/pg/with-pg). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "shell_testlib.h"

static char root[PATH_MAX];    /* the repository */
static char build[PATH_MAX];   /* the directory of the schemac binary */
static char schemac[PATH_MAX];
static char dir[64];

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("SC_TEST_SCHEMAC");
    if (!bin || !realpath(bin, schemac) || !realpath(__FILE__, root))
        return -1;
    *strstr(root, "/tests/generator/") = '\0';
    snprintf(build, sizeof build, "%s", schemac);
    *strrchr(build, '/') = '\0';
    snprintf(dir, sizeof dir, "/tmp/schemac-chain-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return tl_sh("sh %s/bench/synthetic.sh chain 40 >%s/chain.yaml && %s generate --schema %s/chain.yaml "
              "--out %s/gen >/dev/null", root, dir, schemac, dir, dir) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tl_sh("rm -rf %s", dir);
    return 0;
}

static void a_deep_table_takes_its_parent_from_the_factory(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/gen/tests/test_sy_t39.c", dir);
    char *deep = slurp(path);
    snprintf(path, sizeof path, "%s/gen/tests/test_sy_t3.c", dir);
    char *shallow = slurp(path);
    assert_non_null(deep);
    assert_non_null(shallow);
    assert_non_null(strstr(deep, "#include \"sy_factories.h\""));
    assert_non_null(strstr(deep, "sy_test_make_t38(fx->conn, fx->arena, NULL, &sc_parent_t38"));
    assert_int_equal(count(deep, "INSERT INTO"), 0);
    /* A shallow table keeps its fixture: its three parents as INSERTs. */
    assert_null(strstr(shallow, "sy_test_make_"));
    assert_true(count(shallow, "INSERT INTO syn.t2") > 0);
    assert_true(count(shallow, "INSERT INTO syn.t0") > 0);
    free(deep);
    free(shallow);
}

static void the_deep_tests_pass_against_the_server(void **state)
{
    (void)state;
    if (!getenv("DATABASE_URL")) {
        printf("skipped: DATABASE_URL is not set (run under tests/pg/with-pg)\n");
        return;
    }
    /* build/san's runtime is instrumented: the program must be too. */
    const char *san = strstr(build, "/build/san") ? "-fsanitize=address,undefined" : "";
    int rc = tl_sh("cd %s/gen && cc %s -std=c11 -D_DEFAULT_SOURCE -I%s/runtime -I. "
                "$(pkg-config --cflags libpq jansson) tests/test_sy_t39.c sy_*.c tests/sy_factories.c "
                "%s/libschemac.a $(pkg-config --libs libpq jansson) -lcmocka -lpthread -o t39 && ./t39",
                dir, san, root, build);
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_deep_table_takes_its_parent_from_the_factory),
        cmocka_unit_test(the_deep_tests_pass_against_the_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
