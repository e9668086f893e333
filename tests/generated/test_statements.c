/* Every statement of every generated repository against the real schema,
 * the way sqlx and pgtyped check queries at build time: it prepares, the
 * server's parameter and result types (PQdescribePrepared) match the
 * descriptors the C code decodes with, and every statement on chunks that
 * binds the partition source touches exactly one partition (EXPLAIN). */
#include "gen_helpers.h"

#include "sc_hashtext.h"
#include "sm_catalog.h"

typedef struct type_info {
    Oid oid, elem;
    char typtype;
    char name[64];
} type_info;

static type_info lookup_type(PGconn *pg, Oid oid)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT typelem, typtype, typname FROM pg_type WHERE oid = %u", oid);
    PGresult *r = PQexec(pg, sql);
    type_info t = {oid, 0, '?', ""};
    if (PQntuples(r) == 1) {
        t.elem = (Oid)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
        t.typtype = PQgetvalue(r, 0, 1)[0];
        snprintf(t.name, sizeof t.name, "%s", PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return t;
}

/* Whether a server type is what a field of this kind decodes or encodes. */
static bool kind_accepts(PGconn *pg, const sc_field *f, Oid oid)
{
    type_info t = lookup_type(pg, oid);
    if (f->array) {
        if (t.elem == 0)
            return false;
        t = lookup_type(pg, t.elem);
        oid = t.oid;
    }
    switch (f->kind) {
    case SC_K_INT16: return oid == 21;
    case SC_K_INT32: return oid == 23;
    case SC_K_INT64: return oid == 20;
    case SC_K_BOOL: return oid == 16;
    case SC_K_FLOAT4: return oid == 700;
    case SC_K_FLOAT8: return oid == 701;
    case SC_K_NUMERIC: return oid == 1700;
    case SC_K_TEXT: return oid == 25 || oid == 1043 || oid == 19 || oid == 1042;
    case SC_K_UUID: return oid == 2950;
    case SC_K_TIME: return oid == 1184 || oid == 1114;
    case SC_K_DATE: return oid == 1082;
    case SC_K_INTERVAL: return oid == 1186;
    case SC_K_JSON: return oid == 114;
    case SC_K_JSONB: return oid == 3802;
    case SC_K_BYTES: return oid == 17;
    case SC_K_TSVECTOR: return oid == 3614;
    case SC_K_ENUM: {
        const char *dot = strrchr(f->en->name, '.');
        return t.typtype == 'e' && strcmp(t.name, dot ? dot + 1 : f->en->name) == 0;
    }
    }
    return false;
}

static void check_statement(PGconn *pg, const char *table, const sc_query *q, int *checked)
{
    char name[32];
    snprintf(name, sizeof name, "s%d", ++*checked);
    PGresult *r = PQprepare(pg, name, q->stmt.sql, 0, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s (%s): does not prepare: %s%s", q->stmt.name, table, PQerrorMessage(pg),
                 q->stmt.sql);
    PQclear(r);
    r = PQdescribePrepared(pg, name);
    if (PQnparams(r) != q->stmt.nparams)
        fail_msg("%s: the server sees %d parameters, the descriptor %d", q->stmt.name,
                 PQnparams(r), q->stmt.nparams);
    for (int i = 0; i < q->stmt.nparams; i++)
        if (!kind_accepts(pg, &q->params[i], PQparamtype(r, i)))
            fail_msg("%s: parameter $%d (%s) is %s on the server", q->stmt.name, i + 1,
                     q->params[i].name, lookup_type(pg, PQparamtype(r, i)).name);
    if (q->row) {
        if ((size_t)PQnfields(r) != q->row->nfields)
            fail_msg("%s: %d result columns, the row struct has %zu", q->stmt.name, PQnfields(r),
                     q->row->nfields);
        for (size_t i = 0; i < q->row->nfields; i++) {
            if (strcmp(PQfname(r, (int)i), q->row->fields[i].name) != 0)
                fail_msg("%s: result column %zu is '%s', the row struct expects '%s'",
                         q->stmt.name, i + 1, PQfname(r, (int)i), q->row->fields[i].name);
            if (!kind_accepts(pg, &q->row->fields[i], PQftype(r, (int)i)))
                fail_msg("%s: column %s is %s on the server", q->stmt.name,
                         q->row->fields[i].name, lookup_type(pg, PQftype(r, (int)i)).name);
        }
    }
    PQclear(r);
}

static void every_statement_matches_the_server(void **state)
{
    gen_db *db = *state;
    PGconn *pg = PQconnectdb(db->conninfo);
    int checked = 0;
    for (size_t i = 0; i < sm_repository_count; i++) {
        const sm_repository_info *repo = &sm_repositories[i];
        for (size_t k = 0; k < *repo->count; k++)
            check_statement(pg, repo->table, repo->statements[k], &checked);
    }
    PQfinish(pg);
    assert_true(checked > 150);
}

/* A sample text value of a parameter for EXPLAIN. */
static const char *sample(const sc_field *f, const char *collection, char *buf, size_t n)
{
    if (f->array)
        return "{}";
    switch (f->kind) {
    case SC_K_INT16: case SC_K_INT32: case SC_K_INT64: case SC_K_FLOAT4: case SC_K_FLOAT8:
    case SC_K_NUMERIC: return "1";
    case SC_K_BOOL: return "t";
    case SC_K_TIME: case SC_K_DATE: return "2026-01-01";
    case SC_K_INTERVAL: return "1 day";
    case SC_K_JSON: case SC_K_JSONB: return "{}";
    case SC_K_BYTES: return "\\x00";
    case SC_K_ENUM: return f->en->values[0];
    case SC_K_UUID: return "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    default:
        snprintf(buf, n, "%s", strcmp(f->name, "collection_id") == 0 ? collection : "x");
        return buf;
    }
}

/* Distinct chunks partitions named in an EXPLAIN of q with sample values. */
static int partitions_in_plan(PGconn *pg, const sc_query *q, bool *scans)
{
    const char *collection = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    char key[16], bufs[32][64];
    const char *values[32];
    for (int i = 0; i < q->stmt.nparams; i++) {
        values[i] = sample(&q->params[i], collection, bufs[i], sizeof bufs[i]);
        if (q->params[i].flags & SC_F_COMPUTED) {
            snprintf(key, sizeof key, "%d", sc_partition_key(collection, strlen(collection), 100));
            values[i] = key;
        }
    }
    PGresult *r = PQexec(pg, "BEGIN");
    PQclear(r);
    r = PQprepare(pg, "xplain", q->stmt.sql, 0, NULL);
    PQclear(r);
    char sql[64 + 32 * 80] = "EXPLAIN EXECUTE xplain(";
    for (int i = 0; i < q->stmt.nparams; i++) {
        char *lit = PQescapeLiteral(pg, values[i], strlen(values[i]));
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql), "%s%s", i ? ", " : "", lit);
        PQfreemem(lit);
    }
    strcat(sql, ")");
    r = PQexec(pg, q->stmt.nparams ? sql : "EXPLAIN EXECUTE xplain");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: EXPLAIN failed: %s", q->stmt.name, PQerrorMessage(pg));
    char seen[100] = {0};
    int distinct = 0;
    *scans = false;
    for (int row = 0; row < PQntuples(r); row++) {
        const char *line = PQgetvalue(r, row, 0);
        *scans |= strstr(line, "Scan") != NULL;
        const char *p = strstr(line, "chunks_part_");
        if (p) {
            int n = atoi(p + 12);
            if (n >= 0 && n < 100 && !seen[n]++)
                distinct++;
        }
    }
    PQclear(r);
    r = PQexec(pg, "ROLLBACK");
    PQclear(r);
    r = PQexec(pg, "DEALLOCATE xplain");
    PQclear(r);
    return distinct;
}

static void chunks_statements_touch_one_partition(void **state)
{
    gen_db *db = *state;
    PGconn *pg = PQconnectdb(db->conninfo);
    const sm_repository_info *chunks = NULL;
    for (size_t i = 0; i < sm_repository_count; i++)
        if (strcmp(sm_repositories[i].table, "chunks") == 0)
            chunks = &sm_repositories[i];
    assert_non_null(chunks);
    int explained = 0;
    for (size_t k = 0; k < *chunks->count; k++) {
        const sc_query *q = chunks->statements[k];
        if (q->partition.key_param == 0 && strstr(q->stmt.sql, "partition_key = $") == NULL)
            continue; /* the all-partitions health check */
        bool scans;
        int parts = partitions_in_plan(pg, q, &scans);
        if (parts > 1 || (scans && parts != 1))
            fail_msg("%s: the plan touches %d partitions\n%s", q->stmt.name, parts, q->stmt.sql);
        explained++;
    }
    PQfinish(pg);
    assert_true(explained >= 10);
}

/* The detector itself: `collection_id = $1` alone does not prune (ERRATA 3). */
static void unpruned_plan_is_detected(void **state)
{
    gen_db *db = *state;
    static const sc_field params[] = {{.name = "collection_id", .kind = SC_K_TEXT}};
    static const sc_query probe = {
        .stmt = {.name = "probe", .sql = "SELECT id FROM semantik.chunks WHERE collection_id = $1",
                 .nparams = 1},
        .params = params,
    };
    PGconn *pg = PQconnectdb(db->conninfo);
    bool scans;
    assert_int_equal(partitions_in_plan(pg, &probe, &scans), 100);
    assert_true(scans);
    PQfinish(pg);
}

static int setup(void **state)
{
    *state = gen_db_open("statements");
    return 0;
}

static int teardown(void **state)
{
    gen_db_close(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_statement_matches_the_server),
        cmocka_unit_test(chunks_statements_touch_one_partition),
        cmocka_unit_test(unpruned_plan_is_detected),
    };
    return cmocka_run_group_tests_name("generated/statements", tests, setup, teardown);
}
