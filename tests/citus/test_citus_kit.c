/* The Citus tier: the test kit's databases (runtime/testkit_citus.c). Under
 * tests/pg/with-citus a suite's database is made on the coordinator and on
 * every worker, with the citus extension in each and the workers joined, so
 * that a table in it distributes over both workers; dropping it drops it on
 * every node. Without SC_TEST_CITUS the kit makes a plain database on the
 * coordinator alone. */
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

static char workers[2][16];

/* dbname on the node at port (NULL: the coordinator DATABASE_URL names). */
static PGconn *node(const char *port, const char *dbname)
{
    const char *keys[] = {"dbname", "dbname", port ? "port" : NULL, NULL};
    const char *values[] = {getenv("DATABASE_URL"), dbname, port, NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (PQstatus(pg) != CONNECTION_OK)
        fail_msg("port %s, %s: %s", port ? port : "coordinator", dbname, PQerrorMessage(pg));
    return pg;
}

static long long node_int(const char *port, const char *dbname, const char *sql)
{
    PGconn *pg = node(port, dbname);
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(pg);
    return v;
}

static void ddl_file(char *path, const char *sql)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, sql, strlen(sql)), (ssize_t)strlen(sql));
    close(fd);
}

static void a_database_on_every_node_distributes(void **state)
{
    (void)state;
    char ddl[] = "/tmp/sc-citus-kit.XXXXXX", conninfo[1024], why[1024];
    ddl_file(ddl, "CREATE TABLE kit (id int PRIMARY KEY);");
    int rc = sc_testkit_create_database("t_citus_kit", ddl, conninfo, sizeof conninfo, why,
                                        sizeof why);
    unlink(ddl);
    if (rc != 0)
        fail_msg("%s", why);
    for (int i = 0; i < 2; i++)
        assert_int_equal(node_int(workers[i], "t_citus_kit",
                                  "SELECT count(*) FROM pg_extension WHERE extname = 'citus'"),
                         1);
    /* The coordinator (group 0) and both workers, active. */
    assert_int_equal(node_int(NULL, "t_citus_kit",
                              "SELECT count(*) FROM pg_dist_node WHERE isactive"),
                     3);
    PGconn *pg = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    PGresult *r = PQexec(pg, "SELECT create_distributed_table('kit', 'id');"
                             "INSERT INTO kit SELECT generate_series(1, 20);"
                             "SELECT count(DISTINCT nodeport) || ':' || "
                             "(SELECT count(*) FROM kit) FROM citus_shards "
                             "WHERE table_name = 'kit'::regclass");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s", PQerrorMessage(pg));
    assert_string_equal(PQgetvalue(r, 0, 0), "2:20"); /* both workers, every row */
    PQclear(r);
    PQfinish(pg);

    assert_int_equal(sc_testkit_drop_database("t_citus_kit", why, sizeof why), 0);
    const char *gone = "SELECT count(*) FROM pg_database WHERE datname = 't_citus_kit'";
    assert_int_equal(node_int(NULL, "postgres", gone), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(node_int(workers[i], "postgres", gone), 0);
}

static void without_sc_test_citus_the_kit_is_plain(void **state)
{
    (void)state;
    char *saved = strdup(getenv("SC_TEST_CITUS"));
    unsetenv("SC_TEST_CITUS");
    char ddl[] = "/tmp/sc-citus-kit.XXXXXX", conninfo[1024], why[1024];
    ddl_file(ddl, "CREATE TABLE kit (id int PRIMARY KEY);");
    int rc = sc_testkit_create_database("t_citus_plain", ddl, conninfo, sizeof conninfo, why,
                                        sizeof why);
    unlink(ddl);
    setenv("SC_TEST_CITUS", saved, 1);
    free(saved);
    if (rc != 0)
        fail_msg("%s", why);
    const char *here = "SELECT count(*) FROM pg_database WHERE datname = 't_citus_plain'";
    assert_int_equal(node_int(workers[0], "postgres", here), 0);
    assert_int_equal(node_int(NULL, "t_citus_plain",
                              "SELECT count(*) FROM pg_extension WHERE extname = 'citus'"),
                     0);
    assert_int_equal(sc_testkit_drop_database("t_citus_plain", why, sizeof why), 0);
}

int main(void)
{
    const char *list = getenv("SC_TEST_CITUS_WORKERS");
    if (!getenv("SC_TEST_CITUS") || !list) {
        printf("citus test kit: skipped (run under tests/pg/with-citus)\n");
        return 0;
    }
    if (sscanf(list, "%15s %15s", workers[0], workers[1]) != 2) {
        fprintf(stderr, "SC_TEST_CITUS_WORKERS names fewer than two workers: %s\n", list);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_database_on_every_node_distributes),
        cmocka_unit_test(without_sc_test_citus_the_kit_is_plain),
    };
    return cmocka_run_group_tests_name("citus test kit", tests, NULL, NULL);
}
