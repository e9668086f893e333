/* State machines beyond set_<column>: `enforce: database` makes the server
 * refuse a forbidden move made by any SQL (check_violation naming the
 * trigger), a named UPDATE that sets a literal is guarded with the literal's
 * sources, and a literal no state can move to is refused at generate time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "ddl.h"
#include "view.h"

static const char *const SCHEMA_YAML =
    "schema: enf\n"
    "prefix: ef\n"
    "enums:\n"
    "  phase:\n"
    "    values: [draft, review, published, archived]\n"
    "    transitions:\n"
    "      draft: [review]\n"
    "      review: [draft, published]\n"
    "      published: [archived]\n"
    "    enforce: database\n"
    "tables:\n"
    "  posts:\n"
    "    columns:\n"
    "      id:    { type: serial, primary_key: true }\n"
    "      phase: { type: phase, default: \"'draft'\" }\n"
    "      title: { type: text }\n"
    "queries:\n"
    "  posts:\n"
    "    archive:\n"
    "      returns: execrows\n"
    "      sql: UPDATE posts SET phase = 'archived' WHERE id = :id\n";

typedef struct fixture {
    gen_arena *arena;
    m_schema *schema;
    PGconn *conn;
} fixture;

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s\n-- in --\n%.400s", PQerrorMessage(c), sql);
    PQclear(r);
}

static m_schema *parse(gen_arena *a, const char *yaml, int *errors)
{
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    m_schema *s = gen_schema_parse("enforce.yaml", yaml, strlen(yaml), a, &d);
    *errors = d.errors;
    gen_diag_release(&d);
    return s;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->arena = gen_arena_new();
    int errors;
    f->schema = parse(f->arena, SCHEMA_YAML, &errors);
    f->conn = PQconnectdb(getenv("DATABASE_URL"));
    *state = f;
    if (!f->schema || PQstatus(f->conn) != CONNECTION_OK)
        return -1;
    exec_ok(f->conn, "BEGIN");
    ddl_script ddl;
    ddl_script_init(&ddl, f->arena);
    ddl_create_all(f->schema, &ddl);
    exec_ok(f->conn, "SET LOCAL search_path = pg_catalog, enf");
    for (size_t i = 0; i < ddl.n; i++)
        exec_ok(f->conn, ddl.items[i].sql);
    exec_ok(f->conn, "INSERT INTO enf.posts (title) VALUES ('a')");
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    exec_ok(f->conn, "ROLLBACK");
    PQfinish(f->conn);
    gen_arena_free(f->arena);
    free(f);
    return 0;
}

/* One UPDATE inside a savepoint: its SQLSTATE ("" when it worked) and the
 * constraint named by the error. */
static void try_update(PGconn *c, const char *sql, char *state, char *constraint)
{
    exec_ok(c, "SAVEPOINT try");
    PGresult *r = PQexec(c, sql);
    const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *con = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    snprintf(state, 6, "%s", st ? st : "");
    snprintf(constraint, 64, "%s", con ? con : "");
    PQclear(r);
    exec_ok(c, st ? "ROLLBACK TO SAVEPOINT try" : "RELEASE SAVEPOINT try");
}

static void the_server_refuses_forbidden_moves_from_any_sql(void **state)
{
    fixture *f = *state;
    char st[6], con[64];
    try_update(f->conn, "UPDATE enf.posts SET phase = 'published'", st, con); /* draft -> published */
    assert_string_equal(st, "23514");
    assert_string_equal(con, "posts_phase_transition");
    try_update(f->conn, "UPDATE enf.posts SET phase = 'review'", st, con);
    assert_string_equal(st, "");
    try_update(f->conn, "UPDATE enf.posts SET phase = 'review', title = 'same phase'", st, con);
    assert_string_equal(st, ""); /* not a move: other columns change freely */
    try_update(f->conn, "UPDATE enf.posts SET title = 'b'", st, con);
    assert_string_equal(st, "");
    try_update(f->conn, "UPDATE enf.posts SET phase = 'published'", st, con);
    assert_string_equal(st, "");
    try_update(f->conn, "UPDATE enf.posts SET phase = 'draft'", st, con); /* published -> draft: not a move */
    assert_string_equal(st, "23514");
}

static void a_literal_target_is_guarded_with_its_sources(void **state)
{
    fixture *f = *state;
    const m_table *t = &f->schema->tables[0];
    json_t *v = view_repository(f->arena, f->schema, t, &(view_env){"enforce.yaml", 100, "0.1.0"});
    char *text = json_dumps(v, JSON_COMPACT);
    assert_non_null(strstr(text, "phase IN ('published')")); /* only published may be archived */
    free(text);
    json_decref(v);
}

static void a_literal_no_state_reaches_is_refused(void **state)
{
    (void)state;
    gen_arena *a = gen_arena_new();
    int errors = 0;
    char yaml[2000];
    /* draft: nothing moves to it once review -> draft is gone */
    snprintf(yaml, sizeof yaml, "%s", SCHEMA_YAML);
    char *review = strstr(yaml, "      review: [draft, published]\n");
    assert_non_null(review);
    memcpy(review, "      review: [published]       \n", strlen("      review: [published]       \n"));
    char *q = strstr(yaml, "'archived'");
    assert_non_null(q);
    memcpy(q, "'draft'   ", 10);
    assert_null(parse(a, yaml, &errors));
    assert_true(errors > 0);
    snprintf(yaml, sizeof yaml, "%s", SCHEMA_YAML);
    q = strstr(yaml, "'archived'");
    memcpy(q, "'deleted' ", 10); /* not a value at all */
    assert_null(parse(a, yaml, &errors));
    assert_true(errors > 0);
    gen_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_server_refuses_forbidden_moves_from_any_sql),
        cmocka_unit_test(a_literal_target_is_guarded_with_its_sources),
        cmocka_unit_test(a_literal_no_state_reaches_is_refused),
    };
    return cmocka_run_group_tests_name("generator/enforce", tests, setup, teardown);
}
