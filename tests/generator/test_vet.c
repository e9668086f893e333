/* schemac vet against the real server (gen_vet, in-process):
 * - a misspelled column in a named query is refused by the server and
 *   reported at the query's sql in the YAML (file:line:col);
 * - a declared result column and a declared parameter whose types differ
 *   from what the server describes are reported, by name and type;
 * - schema/semantik.yaml vets clean (this is how `make test` runs vet);
 * - no scratch database is left behind; without a server, exit 2 saying
 *   what vet needs. */
#include "migrate_testlib.h"

#include "schemac_gen.h"

/* Line and column numbers below are those of this text. */
static const char *const broken_yaml =
    "schema: vet_case\n"                                        /* 1 */
    "prefix: vc\n"
    "\n"
    "tables:\n"
    "  owners:\n"                                               /* 5 */
    "    columns:\n"
    "      id:    { type: serial, primary_key: true }\n"
    "      name:  { type: varchar(40) }\n"
    "      qty:   { type: integer, default: \"0\" }\n"
    "\n"                                                        /* 10 */
    "queries:\n"
    "  owners:\n"
    "    by_name:\n"
    "      returns: many\n"
    "      sql: SELECT * FROM owners WHERE nmae = :name\n"      /* 15 */
    "      params:\n"
    "        name: varchar\n"
    "    total:\n"
    "      returns: one\n"
    "      sql: SELECT count(*) AS n FROM owners WHERE qty > :min\n" /* 20 */
    "      columns:\n"
    "        n: integer\n"
    "      params:\n"
    "        min: integer\n"
    "    heavy:\n"                                              /* 25 */
    "      returns: many\n"
    "      sql: SELECT * FROM owners WHERE qty > :least\n"
    "      params:\n"
    "        least: bigint\n";

static char *write_yaml(const char *dir, const char *text)
{
    char *path = malloc(512);
    snprintf(path, 512, "%s/vet.yaml", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int vet(const char *yaml, tl_captured *cap)
{
    gen_options o = {.schema_path = yaml, .out_dir = "generated"};
    gen_diag d;
    memset(cap, 0, sizeof *cap);
    gen_diag_init(&d, tl_capture, cap);
    int rc = gen_vet(&o, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return rc;
}

static void expect_line(const tl_captured *cap, const char *line)
{
    if (!strstr(cap->text, line))
        fail_msg("expected\n  %s\nin\n%s", line, cap->text);
}

static void no_scratch_left(void)
{
    PGconn *c = tl_connect(NULL);
    tl_expect(c, "SELECT count(*) FROM pg_database WHERE datname LIKE 'schemac\\_scratch\\_%'", "0");
    PQfinish(c);
}

static void broken_queries_are_reported_at_their_sql(void **state)
{
    (void)state;
    char *dir = tl_tmpdir(), *yaml = write_yaml(dir, broken_yaml), line[1024];
    tl_captured cap;
    assert_int_equal(vet(yaml, &cap), 1);
    snprintf(line, sizeof line, "%s:15:12: error: query owners.by_name: the server refuses the "
             "statement: column \"nmae\" does not exist (at 'nmae = $1')", yaml);
    expect_line(&cap, line);
    snprintf(line, sizeof line, "%s:20:12: error: query owners.total: result column 1 (n) is "
             "bigint on the server, but the generated row decodes integer", yaml);
    expect_line(&cap, line);
    snprintf(line, sizeof line, "%s:27:12: error: query owners.heavy: parameter $1 (:least) is "
             "integer on the server, but the generated C binds bigint", yaml);
    expect_line(&cap, line);
    assert_int_equal(cap.n, 3); /* the standard operations are fine */
    no_scratch_left();
    free(yaml);
    tl_rmdir(dir);
}

static void semantik_vets_clean(void **state)
{
    (void)state;
    tl_captured cap;
    int rc = vet("schema/semantik.yaml", &cap);
    if (rc != 0 || cap.n != 0)
        fail_msg("vet %d:\n%s", rc, cap.text);
    no_scratch_left();
}

static void without_a_server_says_what_it_needs(void **state)
{
    (void)state;
    char *saved = strdup(getenv("DATABASE_URL"));
    setenv("DATABASE_URL", "postgresql://someone:sekret@/x?host=/nonexistent", 1);
    tl_captured cap;
    int rc = vet("schema/semantik.yaml", &cap);
    setenv("DATABASE_URL", saved, 1);
    free(saved);
    assert_int_equal(rc, 2);
    expect_line(&cap, "schema/semantik.yaml: error: vet prepares every statement on a PostgreSQL "
                      "server and needs one where it may create a scratch database");
    assert_null(strstr(cap.text, "sekret"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(broken_queries_are_reported_at_their_sql),
        cmocka_unit_test(semantik_vets_clean),
        cmocka_unit_test(without_a_server_says_what_it_needs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
