/* The DDL of schema/semantik.yaml against the real server: every statement
 * runs, the catalog holds what the model says (100 chunks partitions, the
 * partition-key check), and every variant of every named query prepares.
 * Everything happens inside one transaction that is rolled back. */
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
#include "sqlscan.h"

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

static long query_long(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    long v = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->arena = gen_arena_new();
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    f->schema = gen_schema_load("schema/semantik.yaml", f->arena, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    f->conn = PQconnectdb(getenv("DATABASE_URL"));
    *state = f;
    if (!f->schema || PQstatus(f->conn) != CONNECTION_OK)
        return -1;
    exec_ok(f->conn, "BEGIN");
    ddl_script ddl;
    ddl_script_init(&ddl, f->arena);
    ddl_create_all(f->schema, &ddl);
    exec_ok(f->conn, "SET LOCAL search_path = pg_catalog, semantik");
    for (size_t i = 0; i < ddl.n; i++)
        exec_ok(f->conn, ddl.items[i].sql);
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

static void chunks_has_one_hundred_partitions(void **state)
{
    fixture *f = *state;
    assert_int_equal(query_long(f->conn, "SELECT count(*) FROM pg_inherits "
                                         "WHERE inhparent = 'semantik.chunks'::regclass"),
                     100);
    assert_int_equal(query_long(f->conn, "SELECT count(*) FROM pg_class "
                                         "WHERE relname = 'chunks_part_99' AND relispartition"),
                     1);
}

static void every_table_of_the_model_exists(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < f->schema->ntables; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM pg_attribute WHERE attrelid = 'semantik.%s'::regclass "
                 "AND attnum > 0 AND NOT attisdropped",
                 f->schema->tables[i].name);
        assert_int_equal(query_long(f->conn, sql), (long)f->schema->tables[i].ncolumns);
    }
}

static void wrong_partition_key_is_rejected(void **state)
{
    fixture *f = *state;
    m_table *chunks = m_find_table(f->schema, "chunks");
    assert_non_null(chunks);
    assert_non_null(chunks->partition);
    exec_ok(f->conn, "SAVEPOINT wrong_key");
    /* The check fires before any foreign key is looked at. */
    PGresult *r = PQexec(f->conn, "INSERT INTO semantik.chunks (collection_id, partition_key, "
                                  "chunk_index, content) VALUES ('B7V3LXmFOyCa', 47, 0, 'x')");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME), "chunks_partition_key_check");
    PQclear(r);
    exec_ok(f->conn, "ROLLBACK TO SAVEPOINT wrong_key");
}

static void prepare_variant(fixture *f, const m_query *q, const sql_scan *scan, unsigned mask)
{
    static int seq;
    char *sql = sql_render(f->arena, q->sql, scan, mask, NULL, NULL).sql;
    char name[64];
    snprintf(name, sizeof name, "q%d", ++seq);
    exec_ok(f->conn, "SAVEPOINT prep");
    PGresult *r = PQprepare(f->conn, name, sql, 0, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("query %s.%s (variant %u) does not prepare: %s\n%s", q->table->name, q->name,
                 mask, PQerrorMessage(f->conn), sql);
    PQclear(r);
    exec_ok(f->conn, "RELEASE SAVEPOINT prep");
}

static void every_query_variant_prepares(void **state)
{
    fixture *f = *state;
    int prepared = 0;
    for (size_t t = 0; t < f->schema->ntables; t++) {
        const m_table *table = &f->schema->tables[t];
        for (size_t k = 0; k < table->nqueries; k++) {
            const m_query *q = &table->queries[k];
            if (!q->sql)
                continue;
            sql_scan scan;
            assert_true(sql_tokenize(f->arena, q->sql, &scan));
            for (unsigned mask = 0; mask < (1u << scan.nfragments); mask++, prepared++)
                prepare_variant(f, q, &scan, mask);
        }
    }
    assert_true(prepared > 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunks_has_one_hundred_partitions),
        cmocka_unit_test(every_table_of_the_model_exists),
        cmocka_unit_test(wrong_partition_key_is_rejected),
        cmocka_unit_test(every_query_variant_prepares),
    };
    return cmocka_run_group_tests_name("generator/ddl", tests, setup, teardown);
}
