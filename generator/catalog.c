/* Reading and comparing catalogs (see catalog.h).
 *
 * One query per kind of object. Each returns (kind, key, attributes...);
 * the attributes' names are the queries' column names, so that a new
 * attribute is one more column here and nothing else. An attribute whose
 * name starts with '~' is shown in the summary of an extra or missing
 * object but never compared (a table's column list: its columns are rows of
 * their own). Values are text; NULL reads as "" (libpq), which is what an
 * absent default or comment should compare as. */
#include "catalog.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define IN_SCHEMAS "n.nspname = ANY ($1::text[])"
#define NOT_EXTENSION(cls, oid)                                                                  \
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '" cls "'::regclass AND e.objid = " \
    oid " AND e.deptype = 'e')"
#define COMMENT(oid, cls) "coalesce(obj_description(" oid ", '" cls "'), '') AS comment"

typedef struct cat_query {
    int rank;
    const char *sql;
} cat_query;

static const cat_query queries[] = {
    {0, "SELECT 'schema', n.nspname, " COMMENT("n.oid", "pg_namespace")
        " FROM pg_namespace n WHERE " IN_SCHEMAS},
    {1, "SELECT 'enum', n.nspname || '.' || t.typname, (SELECT string_agg(l.enumlabel, ', ' "
        "ORDER BY l.enumsortorder) FROM pg_enum l WHERE l.enumtypid = t.oid) AS values, "
        COMMENT("t.oid", "pg_type")
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE " IN_SCHEMAS
        " AND t.typtype = 'e' AND " NOT_EXTENSION("pg_type", "t.oid")},
    {2, "SELECT 'domain', n.nspname || '.' || t.typname, format_type(t.typbasetype, "
        "t.typtypmod) AS type, t.typnotnull::text AS \"not null\", t.typdefault AS default, "
        "(SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), ', ' ORDER BY "
        "k.conname) FROM pg_constraint k WHERE k.contypid = t.oid) AS constraints, "
        COMMENT("t.oid", "pg_type")
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE " IN_SCHEMAS
        " AND t.typtype = 'd' AND " NOT_EXTENSION("pg_type", "t.oid")},
    {3, "SELECT 'type', n.nspname || '.' || t.typname, (SELECT string_agg(a.attname || ' ' || "
        "format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a "
        "WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS attributes, "
        COMMENT("t.oid", "pg_type")
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON "
        "c.oid = t.typrelid AND c.relkind = 'c' WHERE " IN_SCHEMAS
        " AND " NOT_EXTENSION("pg_type", "t.oid")},
    {4, "SELECT 'sequence', n.nspname || '.' || c.relname, format_type(s.seqtypid, NULL) AS type, "
        "s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS minimum, "
        "s.seqmax::text AS maximum, s.seqcache::text AS cache, s.seqcycle::text AS cycle, "
        "(SELECT d.refobjid::regclass::text || '.' || a.attname FROM pg_depend d JOIN "
        "pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid WHERE d.classid "
        "= 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND "
        "d.deptype IN ('a', 'i') LIMIT 1) AS \"owned by\", " COMMENT("c.oid", "pg_class")
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON "
        "s.seqrelid = c.oid WHERE " IN_SCHEMAS " AND " NOT_EXTENSION("pg_class", "c.oid")},
    {5, "SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, n.nspname || '.' || "
        "p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
        "pg_get_functiondef(p.oid) AS definition, " COMMENT("p.oid", "pg_proc")
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE " IN_SCHEMAS
        " AND p.prokind IN ('f', 'p') AND " NOT_EXTENSION("pg_proc", "p.oid")},
    {6, "SELECT CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE 'table' END, n.nspname || '.' || "
        "c.relname, '(' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, "
        "a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND "
        "a.attnum > 0 AND NOT a.attisdropped), '') || ')' AS \"~columns\", CASE c.relkind WHEN "
        "'p' THEN pg_get_partkeydef(c.oid) END AS \"partitioned by\", (c.relpersistence = 'u')"
        "::text AS unlogged, c.relrowsecurity::text AS \"row security\", "
        "array_to_string(c.reloptions, ', ') AS options, " COMMENT("c.oid", "pg_class")
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " IN_SCHEMAS
        " AND c.relkind IN ('r', 'p', 'f') AND NOT c.relispartition AND "
        NOT_EXTENSION("pg_class", "c.oid")},
    {7, "SELECT 'partition', n.nspname || '.' || c.relname, 'PARTITION OF ' || "
        "h.inhparent::regclass::text || ' ' || pg_get_expr(c.relpartbound, c.oid) AS definition, "
        "CASE c.relkind WHEN 'p' THEN pg_get_partkeydef(c.oid) END AS \"partitioned by\", "
        "array_to_string(c.reloptions, ', ') AS options, " COMMENT("c.oid", "pg_class")
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_inherits h ON "
        "h.inhrelid = c.oid WHERE " IN_SCHEMAS " AND c.relispartition AND c.relkind IN ('r', "
        "'p', 'f')"},
    /* a partition's columns are its parent's */
    {8, "SELECT 'column', n.nspname || '.' || c.relname || '.' || a.attname, "
        "format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull::text AS \"not null\", "
        "CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default, "
        "CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END AS identity, "
        "CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated, "
        "CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END "
        "AS collation, coalesce(col_description(c.oid, a.attnum), '') AS comment"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON "
        "n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON "
        "d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE " IN_SCHEMAS
        " AND c.relkind IN ('r', 'p', 'f') AND NOT c.relispartition AND a.attnum > 0 AND NOT "
        "a.attisdropped AND " NOT_EXTENSION("pg_class", "c.oid")},
    /* inherited and cloned constraints (partitions) follow their parent's */
    {9, "SELECT 'constraint', n.nspname || '.' || c.relname || '.' || k.conname, "
        "pg_get_constraintdef(k.oid) AS definition, " COMMENT("k.oid", "pg_constraint")
        " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON "
        "n.oid = c.relnamespace WHERE " IN_SCHEMAS " AND k.conparentid = 0 AND k.conislocal"},
    /* an index backing a constraint is the constraint; one attached to a
     * parent index is the parent's */
    {10, "SELECT 'index', n.nspname || '.' || ic.relname, pg_get_indexdef(i.indexrelid) AS "
         "definition, (NOT i.indisvalid)::text AS invalid, "
         COMMENT("i.indexrelid", "pg_class")
         " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON "
         "n.oid = ic.relnamespace WHERE " IN_SCHEMAS " AND NOT EXISTS (SELECT 1 FROM "
         "pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND "
         "k.contype IN ('p', 'u', 'x')) AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE "
         "h.inhrelid = i.indexrelid) AND " NOT_EXTENSION("pg_class", "i.indexrelid")},
    {11, "SELECT 'trigger', n.nspname || '.' || c.relname || '.' || t.tgname, "
         "pg_get_triggerdef(t.oid) AS definition, CASE t.tgenabled WHEN 'D' THEN 'never' WHEN "
         "'R' THEN 'replica only' WHEN 'A' THEN 'always' END AS enabled, "
         COMMENT("t.oid", "pg_trigger")
         " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = "
         "c.relnamespace WHERE " IN_SCHEMAS " AND NOT t.tgisinternal AND t.tgparentid = 0"},
    {12, "SELECT 'policy', n.nspname || '.' || c.relname || '.' || p.polname, CASE p.polcmd WHEN "
         "'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' "
         "ELSE 'ALL' END || CASE WHEN p.polpermissive THEN '' ELSE ' RESTRICTIVE' END AS command, "
         "(SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END, ', ' ORDER "
         "BY 1) FROM unnest(p.polroles) r) AS roles, pg_get_expr(p.polqual, p.polrelid) AS "
         "using, pg_get_expr(p.polwithcheck, p.polrelid) AS \"with check\""
         " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = "
         "c.relnamespace WHERE " IN_SCHEMAS},
    {13, "SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, n.nspname || "
         "'.' || c.relname, pg_get_viewdef(c.oid) AS definition, " COMMENT("c.oid", "pg_class")
         " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " IN_SCHEMAS
         " AND c.relkind IN ('v', 'm') AND " NOT_EXTENSION("pg_class", "c.oid")},
};

enum { NQUERIES = sizeof queries / sizeof queries[0] };

void gen_catalog_free(gen_catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nresults; i++)
        PQclear(c->results[i]);
    free(c->results);
    free(c->rows);
    memset(c, 0, sizeof *c);
}

static int cmp_rows(const cat_row *a, const cat_row *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    int k = strcmp(a->key, b->key);
    return k ? k : strcmp(a->kind, b->kind);
}

static int by_rank_key(const void *x, const void *y)
{
    return cmp_rows(x, y);
}

/* '{"a","b"}': the schemas as one text[] parameter. */
static char *array_literal(const char *const *schemas, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += 2 * strlen(schemas[i]) + 3;
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const char *s = schemas[i]; *s; s++) {
            if (*s == '"' || *s == '\\')
                *p++ = '\\';
            *p++ = *s;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

static int add_rows(gen_catalog *out, PGresult *r, int rank)
{
    int n = PQntuples(r);
    cat_row *rows = realloc(out->rows, (out->n + (size_t)n + 1) * sizeof *rows);
    if (!rows)
        return -1;
    out->rows = rows;
    for (int i = 0; i < n; i++)
        rows[out->n++] = (cat_row){rank, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                   PQnfields(r) - 2, r, i};
    return 0;
}

int gen_catalog_read(PGconn *c, const char *const *schemas, size_t n, gen_catalog *out,
                     sc_migrate_error *err)
{
    memset(out, 0, sizeof *out);
    /* every name the deparsers print comes out schema-qualified */
    PGresult *r = PQexec(c, "SET search_path = pg_catalog");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    char *param = array_literal(schemas, n);
    out->results = calloc(NQUERIES, sizeof *out->results);
    for (size_t i = 0; ok && param && out->results && i < NQUERIES; i++) {
        const char *values[1] = {param};
        r = PQexecParams(c, queries[i].sql, 1, NULL, values, NULL, NULL, 0);
        out->results[out->nresults++] = r;
        ok = PQresultStatus(r) == PGRES_TUPLES_OK && add_rows(out, r, queries[i].rank) == 0;
    }
    free(param);
    if (!ok || !out->results) {
        snprintf(err->message, sizeof err->message, "cannot read the catalog of %s: %s", PQdb(c),
                 PQerrorMessage(c));
        gen_catalog_free(out);
        return -1;
    }
    if (out->n)
        qsort(out->rows, out->n, sizeof *out->rows, by_rank_key);
    return 0;
}

/* ---- the report ------------------------------------------------------ */

static const char *attr_name(const cat_row *r, int i)
{
    return PQfname(r->res, i + 2);
}

static const char *attr_value(const cat_row *r, int i)
{
    return PQgetvalue(r->res, r->row, i + 2);
}

/* A value on one line: runs of white space (a function body's newlines and
 * indentation) become one space. malloc'd. */
static char *one_line(const char *s)
{
    char *out = malloc(strlen(s) + 1), *p = out;
    if (!out)
        return NULL;
    bool space = false;
    for (; *s; s++) {
        bool ws = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';
        if (ws && p > out)
            space = true;
        if (ws)
            continue;
        if (space)
            *p++ = ' ';
        space = false;
        *p++ = *s;
    }
    *p = '\0';
    return out;
}

/* "integer, not null, default 0": the first attribute as it is, then every
 * other one that says something, by name. */
static void print_summary(FILE *out, const cat_row *r)
{
    int printed = 0;
    for (int i = 0; i < r->nattrs; i++) {
        const char *name = attr_name(r, i), *v = attr_value(r, i);
        if (!*v || strcmp(v, "false") == 0)
            continue;
        char *flat = one_line(v);
        fputs(printed++ ? ", " : ": ", out);
        if (i == 0 || name[0] == '~')
            fputs(flat ? flat : v, out);
        else if (strcmp(v, "true") == 0)
            fputs(name, out);
        else
            fprintf(out, "%s %s", name, flat ? flat : v);
        free(flat);
    }
    fputc('\n', out);
}

/* Long values (view and function definitions) are shown around their
 * first difference, so that the line says what changed. */
static void print_changed(FILE *out, const cat_row *r, int i, const char *want, const char *got)
{
    char *w = one_line(want), *g = one_line(got);
    const char *a = w ? w : want, *b = g ? g : got;
    size_t same = 0, wide = 100;
    while (a[same] && a[same] == b[same])
        same++;
    size_t from = strlen(a) > wide || strlen(b) > wide ? (same > 30 ? same - 30 : 0) : 0;
    fprintf(out, "changed %s of %s %s: '%s%.*s%s' -> '%s%.*s%s'\n", attr_name(r, i), r->kind,
            r->key, from ? "..." : "", (int)wide, a + from, strlen(a + from) > wide ? "..." : "",
            from ? "..." : "", (int)wide, b + from, strlen(b + from) > wide ? "..." : "");
    free(w);
    free(g);
}

static size_t compare_attrs(FILE *out, const cat_row *live, const cat_row *want)
{
    size_t n = 0;
    for (int i = 0; i < want->nattrs && i < live->nattrs; i++) {
        if (attr_name(want, i)[0] == '~')
            continue;
        if (strcmp(attr_value(want, i), attr_value(live, i)) != 0) {
            print_changed(out, want, i, attr_value(want, i), attr_value(live, i));
            n++;
        }
    }
    return n;
}

/* Columns, constraints, triggers and policies belong to a table: those of
 * a table the other side does not have at all are in that table's summary,
 * not lines of their own. */
static bool of_absent_table(const cat_row *r, const gen_catalog *other)
{
    const char *dot = strrchr(r->key, '.');
    if (!(r->rank == 8 || r->rank == 9 || r->rank == 11 || r->rank == 12) || !dot)
        return false;
    size_t len = (size_t)(dot - r->key);
    for (size_t i = 0; i < other->n; i++) {
        const cat_row *t = &other->rows[i];
        if (t->rank == 6 && strlen(t->key) == len && strncmp(t->key, r->key, len) == 0)
            return false;
    }
    return true;
}

static void report_alone(FILE *out, const cat_row *r, const gen_catalog *other, const char *what,
                         size_t *n)
{
    if (of_absent_table(r, other))
        return;
    fprintf(out, "%s %s %s", what, r->kind, r->key);
    print_summary(out, r);
    (*n)++;
}

size_t gen_catalog_diff(const gen_catalog *live, const gen_catalog *expected, FILE *out)
{
    size_t l = 0, e = 0, n = 0;
    while (l < live->n || e < expected->n) {
        int c = l == live->n ? 1 : e == expected->n ? -1 : cmp_rows(&live->rows[l], &expected->rows[e]);
        if (c < 0)
            report_alone(out, &live->rows[l++], expected, "extra", &n);
        else if (c > 0)
            report_alone(out, &expected->rows[e++], live, "missing", &n);
        else
            n += compare_attrs(out, &live->rows[l++], &expected->rows[e++]);
    }
    return n;
}
