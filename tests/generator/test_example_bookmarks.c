/* The second example schema (issue 15), examples/bookmarks.yaml, in the
 * vector tier: its committed migrations go up, down and up again on the
 * server with the catalog unchanged, and its committed generated layer
 * (examples/bookmarks/) is built the way a service builds it, its generated
 * suites run, and tests/examples/bookmarks_behaviour.c runs on the migrated
 * database. Prints a "skipped" line without pgvector. Needs SC_TEST_SCHEMAC
 * (make run-tests) for the build directory. */
#include <limits.h>

#include "migrate_testlib.h"
#include "shell_testlib.h"

#define OUT "examples/bookmarks"

static bool tier_available(void)
{
    return tl_pgvector_available("bookmarks example (vector tier)");
}

static void migrations_go_up_down_and_up(void **state)
{
    (void)state;
    if (!tier_available())
        return;
    sc_migrations m;
    tl_load(OUT "/migrations", &m);
    PGconn *c = tl_db_create("sc_bookmarks_mig");
    tl_up(c, &m, NULL);
    char *head = tl_dump(c, "bookmarks");
    tl_down(c, &m, (int)m.n);
    tl_expect(c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'bookmarks'", "0");
    tl_up(c, &m, NULL);
    char *again = tl_dump(c, "bookmarks");
    tl_dumps_equal(again, head, "head after down to base and up");
    free(head);
    free(again);
    tl_db_drop(c, "sc_bookmarks_mig");
    sc_migrations_free(&m);
}

static void the_generated_layer_works(void **state)
{
    (void)state;
    if (!tier_available())
        return;
    char root[PATH_MAX], schemac[PATH_MAX], build[PATH_MAX], dir[] = "/tmp/schemac-bookmarks-XXXXXX";
    const char *bin = getenv("SC_TEST_SCHEMAC");
    assert_non_null(bin);
    assert_non_null(realpath(bin, schemac));
    assert_non_null(realpath(".", root));
    snprintf(build, sizeof build, "%s", schemac);
    *strrchr(build, '/') = '\0';
    assert_non_null(mkdtemp(dir));
    PGconn *c = tl_db_create("sc_bookmarks_run");
    const char *san = strstr(build, "/build/san") ? "-fsanitize=address,undefined" : "";
    /* The database through DATABASE_URL's server, migrated by the example's own chain. */
    int rc = tl_sh("cd %s/" OUT " && url=$(printf '%%s' \"$DATABASE_URL\" | sed 's|/[^/?]*?|/sc_bookmarks_run?|') && "
                "DATABASE_URL=\"$url\" %s migrate up --quiet --out . && "
                "for t in tests/test_bk_*.c; do cc %s -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE "
                "-I%s/runtime -I. $(pkg-config --cflags libpq jansson) \"$t\" bk_*.c tests/bk_factories.c "
                "%s/libschemac.a $(pkg-config --libs libpq jansson) -lcmocka -lpthread -lm -o %s/suite && "
                "%s/suite || exit 1; done && "
                "cc %s -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -I%s/runtime -I. "
                "$(pkg-config --cflags libpq jansson) %s/tests/examples/bookmarks_behaviour.c bk_*.c "
                "%s/libschemac.a $(pkg-config --libs libpq jansson) -lcmocka -lpthread -lm -o %s/behaviour && "
                "%s/behaviour \"$url\"",
                root, schemac, san, root, build, dir, dir, san, root, root, build, dir, dir);
    tl_sh("rm -rf %s", dir);
    tl_db_drop(c, "sc_bookmarks_run");
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations_go_up_down_and_up),
        cmocka_unit_test(the_generated_layer_works),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
