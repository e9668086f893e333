/* schemac vet: every statement the generated code sends, checked by a
 * server before any C compiles (sqlc's `vet`, sqlx's and pgtyped's
 * build-time check).
 *
 * The statements are the views' own (view_repo.c attaches a "vet" record
 * to every statement variant: SQL as sent, parameter types, the row it
 * decodes into), so vet checks exactly what `generate` writes. A scratch
 * database (scratch.h) on the server of DATABASE_URL gets the schema's full
 * DDL (ddl.c, as the initial migration), then each statement is PREPAREd
 * and described: a server error, a parameter or result column whose type
 * is not what the generated C encodes or decodes, or a result column of
 * another name is reported at the query's position in the YAML. Types are
 * compared by name through pg_type (domains resolved to their base type,
 * enums by name); a type vet cannot judge (an extension's, a pseudo-type)
 * is skipped rather than guessed at. The rules are those of the generated
 * tests' sc_testkit_check_statement, so a schema that vets clean passes
 * that part of `make test`. */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "model.h"
#include "scratch.h"
#include "schemac.h"
#include "schemac_gen.h"
#include "type_oids.h"
#include "view.h"
#include "view_repo.h"

typedef struct vet_type {
    Oid oid, elem, base;
    char typtype, category;
    bool catalog;          /* in pg_catalog */
    char name[64];         /* typname */
    char sql[96];          /* format_type: "bigint", "mig.status" */
} vet_type;

typedef struct vet_ctx {
    gen_arena *a;
    const m_schema *s;
    gen_diag *d;
    PGconn *c;
    vet_type *types;       /* cache by oid */
    size_t ntypes, cap;
    json_t **seen;         /* records already checked (views share lists) */
    size_t nseen, seencap;
    size_t checked, problems;
} vet_ctx;

/* ---- server types ----------------------------------------------------- */

static vet_type lookup(vet_ctx *v, Oid oid)
{
    for (size_t i = 0; i < v->ntypes; i++)
        if (v->types[i].oid == oid)
            return v->types[i];
    vet_type t = {oid, 0, 0, '?', '?', false, "?", "?"};
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT t.typname, n.nspname = 'pg_catalog', t.typtype, t.typcategory, t.typelem, "
             "t.typbasetype, format_type(t.oid, NULL) FROM pg_catalog.pg_type t JOIN "
             "pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = %u", oid);
    PGresult *r = PQexec(v->c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        snprintf(t.name, sizeof t.name, "%s", PQgetvalue(r, 0, 0));
        t.catalog = PQgetvalue(r, 0, 1)[0] == 't';
        t.typtype = PQgetvalue(r, 0, 2)[0];
        t.category = PQgetvalue(r, 0, 3)[0];
        t.elem = (Oid)strtoul(PQgetvalue(r, 0, 4), NULL, 10);
        t.base = (Oid)strtoul(PQgetvalue(r, 0, 5), NULL, 10);
        snprintf(t.sql, sizeof t.sql, "%s", PQgetvalue(r, 0, 6));
    }
    PQclear(r);
    gen_grow(v->a, (void **)&v->types, &v->cap, v->ntypes + 1, sizeof *v->types);
    v->types[v->ntypes++] = t;
    return t;
}

/* A domain is sent and received as its base type. */
static vet_type resolved(vet_ctx *v, Oid oid)
{
    vet_type t = lookup(v, oid);
    for (int depth = 0; t.typtype == 'd' && t.base && depth < 16; depth++)
        t = lookup(v, t.base);
    return t;
}

/* The pg_catalog type names a model type's C encoding accepts. */
static const char *const *accepted(m_type_kind k)
{
    static const char *const i2[] = {"int2", NULL}, *const i4[] = {"int4", NULL},
                             *const i8[] = {"int8", NULL}, *const b[] = {"bool", NULL},
                             *const f4[] = {"float4", NULL}, *const f8[] = {"float8", NULL},
                             *const num[] = {"numeric", NULL},
                             *const text[] = {"text", "varchar", "bpchar", "name", NULL},
                             *const uuid[] = {"uuid", NULL},
                             *const ts[] = {"timestamptz", "timestamp", NULL},
                             *const date[] = {"date", NULL}, *const iv[] = {"interval", NULL},
                             *const js[] = {"json", NULL}, *const jsb[] = {"jsonb", NULL},
                             *const by[] = {"bytea", NULL}, *const tsv[] = {"tsvector", NULL};
    switch (k) {
    case T_SMALLINT: return i2;
    case T_INTEGER: case T_SERIAL: return i4;
    case T_BIGINT: case T_BIGSERIAL: return i8;
    case T_BOOLEAN: return b;
    case T_REAL: return f4;
    case T_DOUBLE: return f8;
    case T_NUMERIC: return num;
    case T_TEXT: case T_VARCHAR: return text;
    case T_VECTOR: case T_HALFVEC: return NULL; /* an extension's: by name */
    case T_UUID: return uuid;
    case T_TIMESTAMPTZ: case T_TIMESTAMP: return ts;
    case T_DATE: return date;
    case T_INTERVAL: return iv;
    case T_JSON: return js;
    case T_JSONB: return jsb;
    case T_BYTEA: return by;
    case T_TSVECTOR: return tsv;
    case T_ENUM: case T_TEXTMAP: return NULL;
    case T_CHAR: case T_TIME: case T_TIMETZ: case T_MONEY: case T_XML: case T_BIT: case T_VARBIT:
    case T_INET: case T_CIDR: case T_MACADDR: case T_POINT: case T_INT4RANGE: case T_INT8RANGE:
    case T_TSTZRANGE: case T_DATERANGE:
        return m_type_pg_names(k);
    }
    return NULL;
}

static bool element_matches(const m_type *want, const vet_type *t)
{
    if (want->kind == T_ENUM)
        return t->typtype == 'e' && strcmp(t->name, want->enum_name) == 0;
    if (want->kind == T_VECTOR || want->kind == T_HALFVEC)
        return strcmp(t->name, want->kind == T_VECTOR ? "vector" : "halfvec") == 0;
    if (want->kind == T_TEXTMAP) /* the type itself, or its ::text in a result */
        return strcmp(t->name, want->enum_name) == 0 || (t->catalog && strcmp(t->name, "text") == 0);
    for (const char *const *n = accepted(want->kind); n && *n; n++)
        if (t->catalog && strcmp(t->name, *n) == 0)
            return true;
    return false;
}

/* Whether comparing is meaningful: an extension's base type (citext, ...)
 * or a pseudo-type says nothing vet can hold against the model. */
static bool judgeable(const m_type *want, const vet_type *t)
{
    if (t->typtype == 'p' || t->oid == 705 /* unknown */ || t->name[0] == '?')
        return false;
    return t->catalog || t->typtype == 'e' || want->kind == T_ENUM || want->kind == T_VECTOR ||
           want->kind == T_HALFVEC || want->kind == T_TEXTMAP;
}

/* NULL when the server's type oid is what want encodes; else its name. */
static const char *mismatch(vet_ctx *v, const m_type *want, Oid oid)
{
    vet_type t = resolved(v, oid);
    bool is_array = t.category == 'A' && t.elem != 0;
    if (want->array != is_array)
        return judgeable(want, &t) || is_array ? gen_strdup(v->a, t.sql) : NULL;
    vet_type e = is_array ? resolved(v, t.elem) : t;
    if (!judgeable(want, &e) || element_matches(want, &e))
        return NULL;
    return gen_strdup(v->a, t.sql);
}

/* ---- statements -------------------------------------------------------- */

typedef struct vet_stmt {
    const char *function, *sql, *label;
    const m_table *t;
    const m_query *q;      /* NULL: a standard operation */
    gen_loc loc;
    json_t *params;
    const char *row;
    bool verdict;
} vet_stmt;

static void problem(vet_ctx *v, const vet_stmt *st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(vet_ctx *v, const vet_stmt *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *what = gen_vprintf(v->a, fmt, ap);
    va_end(ap);
    gen_error(v->d, st->loc, "%s: %s", st->label, what);
    v->problems++;
}

static m_type type_of(json_t *p)
{
    m_type t = {(m_type_kind)json_integer_value(json_object_get(p, "kind")), -1, -1,
                json_is_true(json_object_get(p, "array")),
                json_string_value(json_object_get(p, "enum")), NULL};
    return t;
}

/* The server's message, with the text at its error position when given. */
static const char *server_error(vet_ctx *v, const vet_stmt *st, const PGresult *r)
{
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
    const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *text = gen_strdup(v->a, msg ? msg : PQerrorMessage(v->c));
    long at = pos ? strtol(pos, NULL, 10) : 0;
    if (at > 0 && (size_t)at <= strlen(st->sql)) {
        const char *p = st->sql + at - 1;
        text = gen_printf(v->a, "%s (at '%.*s')", text, (int)strcspn(p, "\n") < 40 ? (int)strcspn(p, "\n") : 40, p);
    }
    return hint ? gen_printf(v->a, "%s; hint: %s", text, hint) : text;
}

static void check_params(vet_ctx *v, const vet_stmt *st, const PGresult *r)
{
    size_t n = json_array_size(st->params);
    if ((size_t)PQnparams(r) != n) {
        problem(v, st, "the server sees %d parameters, the generated C binds %zu", PQnparams(r), n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(st->params, i);
        m_type want = type_of(p);
        const char *got = mismatch(v, &want, PQparamtype(r, (int)i));
        if (got)
            problem(v, st, "parameter $%zu (:%s) is %s on the server, but the generated C binds %s",
                    i + 1, json_string_value(json_object_get(p, "name")), got,
                    m_type_sql(v->a, &want));
    }
}

/* The columns a row descriptor decodes: a table's row or a query's
 * declared columns. false when vet does not know the row (no check). */
typedef struct vet_cols {
    size_t n;
    const char **names;
    const m_type **types;
} vet_cols;

static bool row_columns(vet_ctx *v, const vet_stmt *st, vet_cols *out)
{
    const m_table *t = st->t;
    if (strcmp(st->row, gen_printf(v->a, "&%s_row", view_row_struct(v->a, v->s, t))) == 0) {
        out->n = t->ncolumns;
        out->names = gen_alloc(v->a, (t->ncolumns + 1) * sizeof *out->names);
        out->types = gen_alloc(v->a, (t->ncolumns + 1) * sizeof *out->types);
        for (size_t i = 0; i < t->ncolumns; i++)
            out->names[i] = t->columns[i].name, out->types[i] = &t->columns[i].type;
        return true;
    }
    for (size_t k = 0; k < t->nqueries; k++) {
        const m_query *q = &t->queries[k];
        if (!q->ncolumns || strcmp(st->row, gen_printf(v->a, "&%s_desc", vq_row_type(v->a, v->s, q))) != 0)
            continue;
        out->n = q->ncolumns;
        out->names = gen_alloc(v->a, (q->ncolumns + 1) * sizeof *out->names);
        out->types = gen_alloc(v->a, (q->ncolumns + 1) * sizeof *out->types);
        for (size_t i = 0; i < q->ncolumns; i++)
            out->names[i] = q->columns[i].name, out->types[i] = &q->columns[i].type;
        return true;
    }
    return false;
}

static void check_result(vet_ctx *v, const vet_stmt *st, const PGresult *r)
{
    vet_cols cols;
    if (!st->row || !row_columns(v, st, &cols))
        return;
    size_t verdict = st->verdict ? 1 : 0;
    if ((size_t)PQnfields(r) != cols.n + verdict) {
        problem(v, st, "it returns %d columns, but the generated row has %zu%s", PQnfields(r),
                cols.n, verdict ? " and an access verdict" : "");
        return;
    }
    for (size_t i = 0; i < cols.n; i++) {
        const char *got = mismatch(v, cols.types[i], PQftype(r, (int)i));
        if (strcmp(PQfname(r, (int)i), cols.names[i]) != 0)
            problem(v, st, "result column %zu is named %s, but the generated row expects %s",
                    i + 1, PQfname(r, (int)i), cols.names[i]);
        else if (got)
            problem(v, st, "result column %zu (%s) is %s on the server, but the generated row "
                    "decodes %s", i + 1, cols.names[i], got, m_type_sql(v->a, cols.types[i]));
    }
    if (verdict && resolved(v, PQftype(r, (int)cols.n)).oid != 16 /* bool */)
        problem(v, st, "the access verdict (last column) is not a boolean");
}

static void vet_statement(vet_ctx *v, const vet_stmt *st)
{
    v->checked++;
    PGresult *r = PQprepare(v->c, "", st->sql, 0, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        problem(v, st, "the server refuses the statement: %s", server_error(v, st, r));
        PQclear(r);
        return;
    }
    PQclear(r);
    r = PQdescribePrepared(v->c, "");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        problem(v, st, "cannot describe the statement: %s", server_error(v, st, r));
    else
        check_params(v, st, r), check_result(v, st, r);
    PQclear(r);
}

/* ---- collecting the statements from the views --------------------------- */

/* The query a generated function runs (its name is prefix_table_query),
 * and where to point: the query's SQL, or the table of a standard one. */
static void place(vet_ctx *v, vet_stmt *st, json_t *rec)
{
    st->t = m_find_table(v->s, json_string_value(json_object_get(rec, "table")));
    st->q = NULL;
    st->loc = st->t ? st->t->loc : (gen_loc){v->s->file, 0, 0};
    size_t skip = strlen(v->s->prefix) + 1 + (st->t ? strlen(st->t->name) + 1 : 0);
    const char *op = strlen(st->function) > skip ? st->function + skip : st->function;
    for (size_t i = 0; st->t && i < st->t->nqueries; i++)
        if (strcmp(st->t->queries[i].name, op) == 0)
            st->q = &st->t->queries[i];
    if (st->q)
        st->loc = st->q->sql_loc.line > 0 ? st->q->sql_loc : st->q->loc;
    const char *what = st->q ? gen_printf(v->a, "query %s.%s", st->t->name, op)
                             : gen_printf(v->a, "%s (standard %s of %s)", st->function, op,
                                          st->t ? st->t->name : "?");
    int variant = (int)json_integer_value(json_object_get(rec, "variant"));
    bool count = json_is_true(json_object_get(rec, "count"));
    st->label = gen_printf(v->a, "%s%s%s", what, count ? ", its count statement" : "",
                           variant ? gen_printf(v->a, ", statement variant %d", variant) : "");
}

static bool seen(vet_ctx *v, json_t *rec)
{
    for (size_t i = 0; i < v->nseen; i++)
        if (v->seen[i] == rec)
            return true;
    gen_grow(v->a, (void **)&v->seen, &v->seencap, v->nseen + 1, sizeof *v->seen);
    v->seen[v->nseen++] = rec;
    return false;
}

static void walk(vet_ctx *v, json_t *j)
{
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            walk(v, json_array_get(j, i));
        return;
    }
    if (!json_is_object(j))
        return;
    const char *key;
    json_t *value;
    json_object_foreach(j, key, value) {
        if (strcmp(key, "vet") != 0 || !json_is_object(value)) {
            walk(v, value);
            continue;
        }
        if (seen(v, value))
            continue;
        vet_stmt st = {json_string_value(json_object_get(value, "function")),
                       json_string_value(json_object_get(value, "sql")), NULL, NULL, NULL,
                       {0}, json_object_get(value, "params"),
                       json_string_value(json_object_get(value, "row")),
                       json_is_true(json_object_get(value, "verdict"))};
        place(v, &st, value);
        vet_statement(v, &st);
    }
}

/* ---- the scratch schema --------------------------------------------------- */

/* The whole schema, as the initial migration creates it, in one
 * transaction; a statement the server refuses is reported by object. */
static int create_schema(vet_ctx *v, gen_loc at)
{
    ddl_script ddl;
    ddl_script_init(&ddl, v->a);
    ddl_create_all(v->s, &ddl);
    sc_migrate_error err = {{0}};
    const char *path = gen_printf(v->a, "SET LOCAL search_path = %s", ddl_search_path(v->a, v->s));
    int rc = gen_exec(v->c, "BEGIN", "BEGIN", &err) || gen_exec(v->c, path, "search_path", &err);
    for (size_t i = 0; rc == 0 && i < ddl.n; i++)
        if (gen_exec(v->c, ddl.items[i].sql, gen_printf(v->a, "the schema's DDL for %s",
                                                        ddl.items[i].object), &err)) {
            gen_error(v->d, at, "%s (vet builds the schema on the server first)", err.message);
            rc = -1;
        }
    PQclear(PQexec(v->c, rc ? "ROLLBACK" : "COMMIT"));
    return rc;
}

static void vet_all(vet_ctx *v)
{
    view_env env = {v->s->file, SC_VERSION_NUMBER, SC_VERSION_STRING};
    for (size_t i = 0; i < v->s->ntables; i++) {
        json_t *view = view_repository(v->a, v->s, &v->s->tables[i], &env);
        walk(v, view);
        json_decref(view);
        v->nseen = 0; /* records are shared within one view only; freed ones get reused */
    }
}

int gen_vet(const gen_options *o, gen_diag *d)
{
    gen_arena *a = gen_arena_new();
    m_schema *s = gen_schema_load(o->schema_path, a, d);
    if (!s) {
        gen_arena_free(a);
        return 1;
    }
    gen_loc at = {o->schema_path, 0, 0};
    const char *url = getenv("DATABASE_URL");
    gen_scratch sc;
    sc_migrate_error err = {{0}};
    if (gen_scratch_open(&sc, url, NULL, &err)) {
        gen_error(d, at, "vet prepares every statement on a PostgreSQL server and needs one "
                  "where it may create a scratch database (set DATABASE_URL; the database it "
                  "names is left as it is): %s", err.message);
        gen_arena_free(a);
        return 2;
    }
    vet_ctx v = {a, s, d, sc.conn, NULL, 0, 0, NULL, 0, 0, 0, 0};
    int rc = create_schema(&v, at);
    if (rc == 0)
        vet_all(&v);
    gen_scratch_close(&sc);
    if (rc == 0 && !v.problems)
        printf("vet: %zu statements of %s prepare and match the model\n", v.checked,
               o->schema_path);
    gen_arena_free(a);
    return rc || v.problems ? 1 : 0;
}
