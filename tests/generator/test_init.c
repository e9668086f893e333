/* schemac init, through the binary of this build (SC_TEST_SCHEMAC):
 * - into a new directory it writes the starter files, generated/ and the
 *   first migration; the schema passes check-schema; `make` there builds
 *   against this tree's build products, `make test` runs the generated
 *   suites on the server of DATABASE_URL, and `make migrate run` applies the
 *   migration to a database of its own and runs the starter program;
 * - into a directory that holds one of its files it refuses, naming the
 *   file, and writes nothing (the file keeps its bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

static const char *schemac(void)
{
    const char *bin = getenv("SC_TEST_SCHEMAC");
    return bin && *bin ? bin : "build/schemac";
}

/* Runs the shell command (printf-style) with stdout and stderr into *out
 * (malloc'd); returns its exit status. The parent make's MAKEFLAGS (its
 * jobserver, its command-line variables) must not leak into the project's
 * make. */
static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int run(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(cmd, sizeof cmd, "unset MAKEFLAGS MFLAGS MAKELEVEL; ( ");
    n += vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    snprintf(cmd + n, sizeof cmd - (size_t)n, " ) 2>&1");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 20, len = 0;
    char *text = calloc(1, cap);
    while (len + 1 < cap && fgets(text + len, (int)(cap - len), p))
        len = strlen(text);
    int rc = pclose(p);
    *out = text;
    return rc;
}

/* The command must succeed; its output (the end of it) is shown when it
 * does not. */
static void run_ok(const char *what, const char *cmd)
{
    char *out;
    int rc = run(&out, "%s", cmd);
    size_t len = strlen(out);
    if (rc != 0)
        fail_msg("%s failed (status %d):\n%s", what, rc, out + (len > 6000 ? len - 6000 : 0));
    free(out);
}

static bool exists(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0;
}

static char *slurp(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return strdup(text);
}

static char *tmpdir(void)
{
    char *t = strdup("/tmp/schemac-init.XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static void rmdir_all(char *dir)
{
    char *out;
    assert_int_equal(run(&out, "rm -rf '%s'", dir), 0);
    free(out);
    free(dir);
}

static void starter_files_are_there(const char *dir)
{
    static const char *const files[] = {
        "schema/app.yaml", "Makefile", ".gitignore", "src/main.c", "README.md",
        "generated/schema.sql", "generated/app_posts.h", "generated/app_authors.c",
        "generated/tests/test_app_posts.c", "generated/migrations/0001_initial_schema.sql",
        "generated/migrations/0001_initial_schema.snapshot.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!exists(dir, files[i]))
            fail_msg("schemac init wrote no %s", files[i]);
    char *yaml = slurp(dir, "schema/app.yaml");
    assert_non_null(strstr(yaml, "enums:"));
    assert_non_null(strstr(yaml, "references: authors.id"));
    assert_non_null(strstr(yaml, "queries:"));
    assert_non_null(strstr(yaml, "\n# ")); /* commented for a newcomer */
    free(yaml);
    char *mk = slurp(dir, "Makefile");
    assert_non_null(strstr(mk, "SCHEMAC_ROOT"));
    assert_non_null(strstr(mk, "pkg-config --cflags libschemac"));
    free(mk);
    char *ignore = slurp(dir, ".gitignore");
    assert_non_null(strstr(ignore, "/build/"));
    free(ignore);
}

/* A database of its own for make migrate, as a URL on DATABASE_URL's
 * server (malloc'd); dropped again by drop_database. */
static void no_notices(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static char *create_database(const char *name)
{
    PGconn *c = PQconnectdb(getenv("DATABASE_URL"));
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQsetNoticeProcessor(c, no_notices, NULL);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    char *url = malloc(2048);
    snprintf(url, 2048, "postgresql://%s@/%s?host=%s&port=%s", PQuser(c), name, PQhost(c),
             PQport(c));
    PQfinish(c);
    return url;
}

static void drop_database(const char *name)
{
    PGconn *c = PQconnectdb(getenv("DATABASE_URL"));
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    PQclear(PQexec(c, sql));
    PQfinish(c);
}

static void init_builds_and_tests(void **state)
{
    (void)state;
    char *root = tmpdir();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/myapp", root); /* init creates it */
    char *out;
    int rc = run(&out, "%s init %s", schemac(), dir);
    if (rc != 0)
        fail_msg("schemac init: status %d\n%s", rc, out);
    assert_non_null(strstr(out, "make test"));
    free(out);
    starter_files_are_there(dir);

    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s check-schema '%s/schema/app.yaml'", schemac(), dir);
    run_ok("check-schema of the starter schema", cmd);
    snprintf(cmd, sizeof cmd, "make -C '%s'", dir);
    run_ok("make", cmd);
    rc = run(&out, "make -C '%s' test", dir); /* on DATABASE_URL's server */
    if (rc != 0 || !strstr(out, "== build/tests/test_app_posts") || !strstr(out, "[  PASSED  ]"))
        fail_msg("make test: status %d\n%s", rc, out);
    free(out);
    snprintf(cmd, sizeof cmd, "make -C '%s' check", dir);
    run_ok("make check", cmd);

    char *url = create_database("it_init_app");
    char line[4096];
    snprintf(line, sizeof line, "DATABASE_URL='%s' make -s -C '%s' migrate run", url, dir);
    rc = run(&out, "%s", line);
    if (rc != 0)
        fail_msg("make migrate run: status %d\n%s", rc, out);
    assert_non_null(strstr(out, "0001 applied: initial schema"));
    assert_non_null(strstr(out, "Ann has 1 published post: 'Hello'"));
    free(out);
    free(url);
    drop_database("it_init_app");
    rmdir_all(root);
}

/* Every file init would write, for a directory that must stay as it was. */
static void nothing_written(const char *dir)
{
    static const char *const files[] = {"schema", "schema/app.yaml", ".gitignore", "src",
                                        "README.md", "generated"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (exists(dir, files[i]))
            fail_msg("a refused init wrote %s", files[i]);
}

static void init_refuses_to_overwrite(void **state)
{
    (void)state;
    char *dir = tmpdir();
    char path[1024];
    snprintf(path, sizeof path, "%s/Makefile", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("all:\n\techo mine\n", f);
    fclose(f);
    char *out;
    int rc = run(&out, "%s init '%s'", schemac(), dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(out, path) || !strstr(out, "exists already"))
        fail_msg("the refusal does not name %s:\n%s", path, out);
    free(out);
    nothing_written(dir);
    char *mk = slurp(dir, "Makefile");
    assert_string_equal(mk, "all:\n\techo mine\n");
    free(mk);

    /* A second init over a first one: every file is named, none rewritten. */
    rmdir_all(dir);
    dir = tmpdir();
    assert_int_equal(run(&out, "%s init '%s'", schemac(), dir), 0);
    free(out);
    char *before = slurp(dir, "schema/app.yaml");
    rc = run(&out, "%s init '%s'", schemac(), dir);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "schema/app.yaml: error: exists already"));
    assert_non_null(strstr(out, "/generated: error: exists already"));
    assert_null(strstr(out, "wrote "));
    free(out);
    char *after = slurp(dir, "schema/app.yaml");
    assert_string_equal(before, after);
    free(before);
    free(after);
    rmdir_all(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_builds_and_tests),
        cmocka_unit_test(init_refuses_to_overwrite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
