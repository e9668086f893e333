/* Column types beyond Semantik's and typed parameters (issue 15, generator
 * points 0 and 1): tests/generator/types/types.yaml is generated into a
 * temporary directory, and the programs next to it (params.c, roundtrip.c)
 * and the schema's own generated tests are compiled against that code and
 * run against the server. Needs SC_TEST_SCHEMAC (set by make run-tests) and
 * DATABASE_URL (tests/pg/with-pg). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("SC_TEST_SCHEMAC");
    if (!bin || !realpath(bin, schemac) || !realpath(__FILE__, root))
        return -1;
    *strstr(root, "/tests/generator/") = '\0';
    snprintf(build, sizeof build, "%s", schemac);
    *strrchr(build, '/') = '\0';
    snprintf(dir, sizeof dir, "/tmp/schemac-types-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    /* The extensions first: the DDL's types need them. */
    return tl_sh("%s generate --schema %s/tests/generator/types/types.yaml --out %s/gen >/dev/null && "
              "cat %s/tests/generator/types/extensions.sql %s/gen/schema.sql >%s/ddl.sql && "
              "%s generate --schema %s/tests/generator/types/required.yaml --out %s/req >/dev/null && "
              "sed s/tyt/tyr/ %s/tests/generator/types/extensions.sql | cat - %s/req/schema.sql "
              ">%s/req.sql",
              schemac, root, dir, root, dir, dir, schemac, root, dir, root, dir, dir) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (!getenv("SC_TEST_KEEP"))
        tl_sh("rm -rf %s", dir);
    return 0;
}

/* Compiles program (a path relative to the output directory `out`, gen or
 * req) with the code generated there (prefix ty or tr) and runs it with
 * the DDL file (ddl or req) in its environment. */
static int compile_in(const char *out, const char *prefix, const char *ddl, const char *program,
                      const char *extra, const char *redirect)
{
    /* build/san's runtime is instrumented: the program must be too. */
    const char *san = strstr(build, "/build/san") ? "-fsanitize=address,undefined" : "";
    return tl_sh("cd %s/%s && cc %s -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -I%s/runtime -I. "
              "$(pkg-config --cflags libpq jansson) %s %s_*.c %s %s/libschemac.a "
              "$(pkg-config --libs libpq jansson) -lcmocka -lpthread -lm -o prog && "
              "DDL_PATH=%s/%s.sql SC_TEST_SCHEMA_SQL=%s/%s.sql ./prog %s",
              dir, out, san, root, program, prefix, extra, build, dir, ddl, dir, ddl, redirect);
}

static int compile_and_run(const char *program, const char *extra, const char *redirect)
{
    return compile_in("gen", "ty", "ddl", program, extra, redirect);
}

static bool have_server(void)
{
    if (getenv("DATABASE_URL"))
        return true;
    printf("skipped: DATABASE_URL is not set (run under tests/pg/with-pg)\n");
    return false;
}

static void typed_parameters_reach_the_server(void **state)
{
    (void)state;
    if (!have_server())
        return;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/tests/generator/types/params.c", root);
    assert_int_equal(compile_and_run(path, "", ""), 0);
}

static void every_type_round_trips(void **state)
{
    (void)state;
    if (!have_server())
        return;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/tests/generator/types/roundtrip.c", root);
    assert_int_equal(compile_and_run(path, "", ""), 0);
}

/* The schema's generated tests fail in one place only: their statement
 * check finds the query that reads hstore uncast (attrs_uncast) too. */
static void the_schemas_generated_tests_catch_the_uncast_read(void **state)
{
    (void)state;
    if (!have_server())
        return;
    assert_int_not_equal(compile_and_run("tests/test_ty_samples.c", "tests/ty_factories.c",
                                         ">out.txt 2>&1"), 0);
    assert_int_equal(tl_sh("grep -q 'ty_samples_attrs_uncast: result column 1 is attrs hstore' %s/gen/out.txt && "
                        "grep -q '1 FAILED TEST' %s/gen/out.txt",
                        dir, dir), 0);
}

/* NOT NULL columns of every type: the generated fixtures and factories
 * make up values the server takes and reads back. */
static void made_up_values_of_each_type_pass(void **state)
{
    (void)state;
    if (!have_server())
        return;
    assert_int_equal(compile_in("req", "tr", "req", "tests/test_tr_hosts.c", "tests/tr_factories.c", ""), 0);
    assert_int_equal(compile_in("req", "tr", "req", "tests/test_tr_slots.c", "tests/tr_factories.c", ""), 0);
    /* The factory of hosts makes up every NOT NULL column, extensions' included. */
    assert_int_equal(tl_sh("grep -q 'int tr_test_make_host(' %s/req/tests/tr_factories.c", dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(typed_parameters_reach_the_server),
        cmocka_unit_test(every_type_round_trips),
        cmocka_unit_test(the_schemas_generated_tests_catch_the_uncast_read),
        cmocka_unit_test(made_up_values_of_each_type_pass),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
