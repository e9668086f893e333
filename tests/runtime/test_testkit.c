/* The test kit generated suites stand on: the database they build comes
 * from DATABASE_URL alone (no PGHOST/PGPORT/PGUSER needed, its password and
 * options kept), and the schema.sql they read sits next to the suite's own
 * directory, wherever --out put it. Real server (tests/pg/with-pg). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "sc_testkit.h"

static void schema_path_follows_the_suite(void **state)
{
    (void)state;
    char buf[256];
    unsetenv("SC_TEST_SCHEMA_SQL");
    assert_string_equal(sc_testkit_schema_path("generated/tests/test_sm_users.c", buf, sizeof buf),
                        "generated/schema.sql");
    assert_string_equal(sc_testkit_schema_path("/srv/app/db/out/tests/test_x_a.c", buf, sizeof buf),
                        "/srv/app/db/out/schema.sql");
    assert_string_equal(sc_testkit_schema_path("tests/test_x_a.c", buf, sizeof buf), "schema.sql");
    assert_string_equal(sc_testkit_schema_path("test_x_a.c", buf, sizeof buf), "../schema.sql");
    setenv("SC_TEST_SCHEMA_SQL", "/elsewhere/schema.sql", 1);
    assert_string_equal(sc_testkit_schema_path("generated/tests/test_sm_users.c", buf, sizeof buf),
                        "/elsewhere/schema.sql");
    unsetenv("SC_TEST_SCHEMA_SQL");
}

/* Only DATABASE_URL set: the database is created on that server and the
 * conninfo reaches it. */
static void database_url_alone_is_enough(void **state)
{
    (void)state;
    const char *url = getenv("DATABASE_URL");
    assert_non_null(url);
    unsetenv("PGHOST");
    unsetenv("PGPORT");
    unsetenv("PGUSER");
    unsetenv("PGDATABASE");
    char ddl[] = "/tmp/sc-testkit-ddl.XXXXXX";
    int fd = mkstemp(ddl);
    assert_true(fd >= 0);
    const char *sql = "CREATE TABLE kit_probe (id int); INSERT INTO kit_probe VALUES (7);";
    assert_int_equal(write(fd, sql, strlen(sql)), (ssize_t)strlen(sql));
    close(fd);
    char conninfo[1024], why[1024];
    int rc = sc_testkit_create_database("t_kit_probe", ddl, conninfo, sizeof conninfo, why, sizeof why);
    unlink(ddl);
    if (rc != 0)
        fail_msg("%s", why);
    PGconn *pg = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    PGresult *r = PQexec(pg, "SELECT current_database() || ':' || (SELECT id FROM kit_probe)");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "t_kit_probe:7");
    PQclear(r);
    PQfinish(pg);
    assert_int_equal(sc_testkit_drop_database("t_kit_probe", why, sizeof why), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schema_path_follows_the_suite),
        cmocka_unit_test(database_url_alone_is_enough),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
