#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sc_hashtext.h"
#include "sc_testkit.h"
#include "testkit_internal.h"

static int fail(char *why, size_t n, const char *fmt, const char *a, const char *b)
{
    snprintf(why, n, fmt, a, b);
    return -1;
}

static int exec_ok(PGconn *pg, const char *sql, char *why, size_t n)
{
    PGresult *r = PQexec(pg, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok ? 0 : fail(why, n, "%s: %s", sql, PQerrorMessage(pg));
}

/* The server itself: SC_TEST_DIRECT_URL when a pooler sits in front of
 * DATABASE_URL (tests/pg/with-pgbouncer), else DATABASE_URL. Databases are
 * created, built and dropped there: DROP DATABASE ... WITH (FORCE) must
 * reach the backends PgBouncer keeps, and the DDL's session SET must not
 * land on a pooled server connection. */
static const char *direct_url(const char **name)
{
    const char *url = getenv("SC_TEST_DIRECT_URL");
    *name = "SC_TEST_DIRECT_URL";
    if (url && *url)
        return url;
    *name = "DATABASE_URL";
    return getenv("DATABASE_URL");
}

static const char *server_url(void)
{
    const char *name;
    return direct_url(&name);
}

static PGconn *admin(char *why, size_t n)
{
    const char *name;
    const char *url = direct_url(&name);
    PGconn *pg = PQconnectdb(url ? url : "");
    if (PQstatus(pg) == CONNECTION_OK)
        return pg;
    fail(why, n, "cannot connect to %s: %s", name, PQerrorMessage(pg));
    PQfinish(pg);
    return NULL;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
        buf[n] = '\0';
    else
        free(buf), buf = NULL;
    fclose(f);
    return buf;
}

/* 'value' with quotes and backslashes escaped, as conninfo wants. */
static void put_conninfo_value(char *out, size_t size, size_t *len, const char *v)
{
    if (*len + 1 < size)
        out[(*len)++] = '\'';
    for (; *v && *len + 3 < size; v++) {
        if (*v == '\'' || *v == '\\')
            out[(*len)++] = '\\';
        out[(*len)++] = *v;
    }
    if (*len + 1 < size)
        out[(*len)++] = '\'';
    out[*len < size ? *len : size - 1] = '\0';
}

/* The settings of url (a URI or key=value string; NULL or empty: libpq's
 * environment defaults apply at connect time) with dbname replaced. */
static int conninfo_with_dbname(const char *url, const char *dbname, char *out, size_t size)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url ? url : "", &errmsg);
    PQfreemem(errmsg);
    if (!opts)
        return -1;
    size_t len = 0;
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || strcmp(o->keyword, "dbname") == 0)
            continue;
        len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s=", o->keyword);
        if (len >= size)
            break;
        put_conninfo_value(out, size, &len, o->val);
        if (len + 1 < size)
            out[len++] = ' ';
    }
    PQconninfoFree(opts);
    if (len >= size)
        return -1;
    out[len] = '\0';
    snprintf(out + len, size - len, "dbname=%s", dbname);
    return strlen(out) + 1 >= size ? -1 : 0;
}

const char *sc_testkit_schema_path(const char *test_file, char *buf, size_t size)
{
    const char *env = getenv("SC_TEST_SCHEMA_SQL");
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return buf;
    }
    const char *slash = test_file ? strrchr(test_file, '/') : NULL;
    size_t dir = slash ? (size_t)(slash - test_file) : 0; /* "<out>/tests" */
    while (dir > 0 && test_file[dir - 1] != '/')
        dir--; /* back to "<out>/" */
    if (slash && dir == 0 && test_file[0] != '/')
        snprintf(buf, size, "schema.sql"); /* "tests/test_x.c": out is the cwd */
    else if (!slash)
        snprintf(buf, size, "../schema.sql"); /* compiled inside <out>/tests */
    else
        snprintf(buf, size, "%.*sschema.sql", (int)dir, test_file);
    return buf;
}

int sc_testkit_create_database(const char *name, const char *ddl_path, char *conninfo,
                               size_t size, char *why, size_t why_size)
{
    PGconn *pg = admin(why, why_size);
    if (!pg)
        return -1;
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    int rc = exec_ok(pg, "SET client_min_messages = warning", why, why_size);
    rc = rc ? rc : exec_ok(pg, sql, why, why_size);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    rc = rc ? rc : exec_ok(pg, sql, why, why_size);
    if (!rc && sc_testkit_citus_enabled())
        rc = sc_testkit_citus_create(pg, server_url(), name, why, why_size);
    PQfinish(pg);
    if (rc)
        return rc;
    if (conninfo_with_dbname(getenv("DATABASE_URL"), name, conninfo, size))
        return fail(why, why_size, "cannot parse DATABASE_URL%s%s", "", "");
    const char *url_name;
    const char *url = direct_url(&url_name);
    char direct[1024];
    if (conninfo_with_dbname(url, name, direct, sizeof direct))
        return fail(why, why_size, "cannot parse %s%s", url_name, "");
    char *ddl = read_file(ddl_path);
    if (!ddl)
        return fail(why, why_size, "cannot read %s%s", ddl_path, "");
    pg = PQconnectdb(direct);
    rc = exec_ok(pg, "SET client_min_messages = warning", why, why_size);
    rc = rc ? rc : exec_ok(pg, ddl, why, why_size);
    PQfinish(pg);
    free(ddl);
    return rc;
}

int sc_testkit_drop_database(const char *name, char *why, size_t why_size)
{
    PGconn *pg = admin(why, why_size);
    if (!pg)
        return -1;
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    int rc = exec_ok(pg, sql, why, why_size);
    if (!rc && sc_testkit_citus_enabled())
        rc = sc_testkit_citus_drop(pg, server_url(), name, why, why_size);
    PQfinish(pg);
    return rc;
}

/* ---- statement descriptions ------------------------------------------ */

typedef struct type_info {
    Oid oid, elem;
    char typtype;
    char name[64];
} type_info;

static type_info lookup_type(PGconn *pg, Oid oid)
{
    char sql[128];
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
    case SC_K_TEXT: return oid == 25 || oid == 1043 || oid == 19 || oid == 1042 || oid == 142 ||
                           (f->flags & SC_F_TEXT_FORM); /* hstore, ltree, ...: sent as text */
    case SC_K_UUID: return oid == 2950;
    case SC_K_TIME: return oid == 1184 || oid == 1114;
    case SC_K_DATE: return oid == 1082;
    case SC_K_INTERVAL: return oid == 1186;
    case SC_K_JSON: return oid == 114;
    case SC_K_JSONB: return oid == 3802;
    case SC_K_BYTES: return oid == 17;
    case SC_K_TSVECTOR: return oid == 3614;
    case SC_K_TIMEOFDAY: return oid == 1083;
    case SC_K_TIMETZ: return oid == 1266;
    case SC_K_MONEY: return oid == 790;
    case SC_K_INET: return oid == 869 || oid == 650;
    case SC_K_MACADDR: return oid == 829 || oid == 774;
    case SC_K_BIT: return oid == 1560 || oid == 1562;
    case SC_K_POINT: return oid == 600;
    case SC_K_INT4RANGE: return oid == 3904;
    case SC_K_INT8RANGE: return oid == 3926;
    case SC_K_TSTZRANGE: return oid == 3910;
    case SC_K_DATERANGE: return oid == 3912;
    case SC_K_VECTOR: return strcmp(t.name, "vector") == 0; /* an extension's: no fixed OID */
    case SC_K_HALFVEC: return strcmp(t.name, "halfvec") == 0;
    case SC_K_ENUM: {
        const char *dot = strrchr(f->en->name, '.');
        return t.typtype == 'e' && strcmp(t.name, dot ? dot + 1 : f->en->name) == 0;
    }
    }
    return false;
}

static int check_described(PGconn *pg, const sc_query *q, const PGresult *r, char *why, size_t n)
{
    char detail[200];
    if (PQnparams(r) != q->stmt.nparams) {
        snprintf(detail, sizeof detail, "the server sees %d parameters, the descriptor %d",
                 PQnparams(r), q->stmt.nparams);
        return fail(why, n, "%s: %s", q->stmt.name, detail);
    }
    for (int i = 0; i < q->stmt.nparams; i++)
        if (!kind_accepts(pg, &q->params[i], PQparamtype(r, i))) {
            snprintf(detail, sizeof detail, "parameter $%d (%s) is %s on the server", i + 1,
                     q->params[i].name, lookup_type(pg, PQparamtype(r, i)).name);
            return fail(why, n, "%s: %s", q->stmt.name, detail);
        }
    if (!q->row)
        return 0;
    size_t verdict = q->access & SC_ACCESS_VERDICT ? 1 : 0;
    if ((size_t)PQnfields(r) != q->row->nfields + verdict) {
        snprintf(detail, sizeof detail, "%d result columns, the row struct has %zu%s",
                 PQnfields(r), q->row->nfields, verdict ? " and a verdict" : "");
        return fail(why, n, "%s: %s", q->stmt.name, detail);
    }
    if (verdict && PQftype(r, (int)q->row->nfields) != 16 /* bool */)
        return fail(why, n, "%s: %s", q->stmt.name, "the access verdict is not a boolean");
    for (size_t i = 0; i < q->row->nfields; i++) {
        const sc_field *f = &q->row->fields[i];
        if (strcmp(PQfname(r, (int)i), f->name) != 0 || !kind_accepts(pg, f, PQftype(r, (int)i))) {
            snprintf(detail, sizeof detail, "result column %zu is %s %s, the row struct expects %s",
                     i + 1, PQfname(r, (int)i), lookup_type(pg, PQftype(r, (int)i)).name, f->name);
            return fail(why, n, "%s: %s", q->stmt.name, detail);
        }
    }
    return 0;
}

/* A named statement lives on the server connection, and behind PgBouncer in
 * transaction mode the next message may reach another one (26000), or the
 * name may already exist there (42P05). So prepare, use and deallocate run
 * inside one transaction of our own (unless the caller is in one already),
 * which keeps the server connection ours throughout. */
static bool own_begin(PGconn *pg)
{
    if (PQtransactionStatus(pg) != PQTRANS_IDLE)
        return false;
    PGresult *r = PQexec(pg, "BEGIN");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

static void own_rollback(PGconn *pg, bool began)
{
    if (!began)
        return;
    PGresult *r = PQexec(pg, "ROLLBACK");
    PQclear(r);
}

int sc_testkit_check_statement(PGconn *pg, const sc_query *q, char *why, size_t why_size)
{
    bool began = own_begin(pg);
    /* With the descriptor's parameter types, as the executors send it. */
    PGresult *r = PQprepare(pg, "sc_testkit_check", q->stmt.sql, q->stmt.nparams,
                            q->stmt.param_types);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        PQclear(r);
        fail(why, why_size, "%s does not prepare: %s", q->stmt.name, PQerrorMessage(pg));
        own_rollback(pg, began);
        return -1;
    }
    PQclear(r);
    r = PQdescribePrepared(pg, "sc_testkit_check");
    int rc = check_described(pg, q, r, why, why_size);
    PQclear(r);
    r = PQexec(pg, "DEALLOCATE sc_testkit_check");
    PQclear(r);
    own_rollback(pg, began);
    return rc;
}

/* ---- EXPLAIN -------------------------------------------------------- */

static const char *sample(const sc_field *f, const char *source_name, const char *source_value)
{
    if (f->array)
        return "{}";
    switch (f->kind) {
    case SC_K_BOOL: return "t";
    case SC_K_TIME: case SC_K_DATE: return "2026-01-01";
    case SC_K_INTERVAL: return "1 day";
    case SC_K_JSON: case SC_K_JSONB: return "{}";
    case SC_K_BYTES: return "\\x00";
    case SC_K_ENUM: return f->en->values[0];
    case SC_K_UUID: return "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    case SC_K_TEXT: case SC_K_TSVECTOR:
        return strcmp(f->name, source_name) == 0 ? source_value : "x";
    default: return "1";
    }
}

static int count_partitions(const PGresult *r, const char *prefix, bool *scans)
{
    char seen[1024] = {0};
    int distinct = 0;
    *scans = false;
    for (int row = 0; row < PQntuples(r); row++) {
        const char *line = PQgetvalue(r, row, 0);
        /* Citus's own node stands for the remote plans shown under it */
        *scans |= strstr(line, "Scan") != NULL && strstr(line, "Custom Scan (Citus") == NULL;
        for (const char *p = strstr(line, prefix); p; p = strstr(p + 1, prefix)) {
            const char *digits = p + strlen(prefix);
            int n = atoi(digits);
            if (*digits >= '0' && *digits <= '9' && n >= 0 && n < 1024 && !seen[n]++)
                distinct++;
        }
    }
    return distinct;
}

/* EXPLAIN EXECUTE of q with sample arguments: source_value for text
 * parameters named source_name, the computed partition key (modulus > 0)
 * for the key. The plan's lines in a result the caller clears, or NULL with
 * why filled. EXPLAIN of a write plans it without running it; the rollback
 * is for statements that might have side effects in their planning. The
 * savepoint keeps the transaction usable for DEALLOCATE when EXPLAIN fails
 * (see own_begin). */
static PGresult *explain_samples(PGconn *pg, const sc_query *q, const char *source_name,
                                 const char *source_value, int modulus, char *why,
                                 size_t why_size)
{
    char key[16], sql[8192];
    snprintf(key, sizeof key, "%d",
             modulus > 0 ? sc_partition_key(source_value, strlen(source_value), modulus) : 0);
    bool began = own_begin(pg);
    PGresult *r = PQprepare(pg, "sc_testkit_explain", q->stmt.sql, q->stmt.nparams,
                            q->stmt.param_types);
    bool prepared = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!prepared) {
        fail(why, why_size, "%s does not prepare: %s", q->stmt.name, PQerrorMessage(pg));
        own_rollback(pg, began);
        return NULL;
    }
    int len = snprintf(sql, sizeof sql, "EXPLAIN EXECUTE sc_testkit_explain");
    for (int i = 0; i < q->stmt.nparams; i++) {
        const char *v = q->params[i].flags & SC_F_COMPUTED
                            ? key
                            : sample(&q->params[i], source_name, source_value);
        char *lit = PQescapeLiteral(pg, v, strlen(v));
        len += snprintf(sql + len, sizeof sql - (size_t)len, "%s%s", i ? ", " : "(", lit);
        PQfreemem(lit);
    }
    if (q->stmt.nparams)
        snprintf(sql + len, sizeof sql - (size_t)len, ")");
    r = PQexec(pg, "SAVEPOINT sc_testkit_explain");
    PQclear(r);
    PGresult *plan = PQexec(pg, sql);
    if (PQresultStatus(plan) != PGRES_TUPLES_OK) {
        fail(why, why_size, "%s: EXPLAIN failed: %s", q->stmt.name, PQerrorMessage(pg));
        PQclear(plan);
        plan = NULL;
    }
    r = PQexec(pg, "ROLLBACK TO SAVEPOINT sc_testkit_explain");
    PQclear(r);
    r = PQexec(pg, "DEALLOCATE sc_testkit_explain");
    PQclear(r);
    own_rollback(pg, began);
    return plan;
}

int sc_testkit_partitions_in_plan(PGconn *pg, const sc_query *q, const char *partition_prefix,
                                  const char *source_name, const char *source_value,
                                  int modulus, bool *scans, char *why, size_t why_size)
{
    PGresult *plan = explain_samples(pg, q, source_name, source_value, modulus, why, why_size);
    if (!plan)
        return -1;
    int count = count_partitions(plan, partition_prefix, scans);
    PQclear(plan);
    return count;
}

int sc_testkit_citus_tasks(PGconn *pg, const sc_query *q, const char *dist_name,
                           const char *dist_value, int modulus, char *why, size_t why_size)
{
    PGresult *plan = explain_samples(pg, q, dist_name, dist_value, modulus, why, why_size);
    if (!plan)
        return -1;
    int tasks = 0;
    for (int row = 0; row < PQntuples(plan); row++) {
        const char *at = strstr(PQgetvalue(plan, row, 0), "Task Count: ");
        if (at)
            tasks += atoi(at + strlen("Task Count: "));
    }
    PQclear(plan);
    return tasks;
}

sc_pooler_mode sc_testkit_pooler(void)
{
    const char *v = getenv("DB_POOLER");
    return v && strcasecmp(v, "transaction") == 0 ? SC_POOLER_TRANSACTION : SC_POOLER_NONE;
}

unsigned long sc_testfx_serial(void)
{
    static _Atomic unsigned long next = 0;
    return ++next;
}
