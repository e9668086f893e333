/* Reading one schema's catalog for `schemac import` (see import.h).
 *
 * One query per kind of object, each answering one JSON array (json_agg),
 * so that a new attribute is one more json_build_object pair here and a
 * json lookup where it is used. Expressions come from the server's own
 * deparsers with search_path = pg_catalog, <schema>: the schema's own names
 * come out unqualified, as a schema file writes them, and the generator
 * creates everything with that same path. Extension members are left out
 * (they are the extension's). */
#include "import_internal.h"

#include <string.h>

#define IN_SCHEMA "n.nspname = $1"
#define NOT_EXTENSION(cls, oid)                                                                  \
    " NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '" cls "'::regclass AND e.objid = " \
    oid " AND e.deptype = 'e')"
#define AGG(obj, order) "SELECT coalesce(json_agg(" obj " ORDER BY " order "), '[]') "
/* the columns an object reads, by pg_depend (expressions included) */
#define USES(cls, oid, rel)                                                                      \
    "(SELECT json_agg(DISTINCT ua.attname) FROM pg_depend ud JOIN pg_attribute ua ON "           \
    "ua.attrelid = ud.refobjid AND ua.attnum = ud.refobjsubid WHERE ud.classid = '" cls          \
    "'::regclass AND ud.objid = " oid " AND ud.refobjid = " rel " AND ud.refobjsubid > 0)"

static const char enums_sql[] =
    AGG("json_build_object('name', t.typname, 'comment', obj_description(t.oid, 'pg_type'), "
        "'values', (SELECT json_agg(l.enumlabel ORDER BY l.enumsortorder) FROM pg_enum l WHERE "
        "l.enumtypid = t.oid))", "t.typname")
    "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE " IN_SCHEMA
    " AND t.typtype = 'e' AND" NOT_EXTENSION("pg_type", "t.oid");

static const char functions_sql[] =
    AGG("json_build_object('name', p.proname, 'kind', p.prokind, 'identity', "
        "pg_get_function_identity_arguments(p.oid), 'args', (SELECT json_agg(json_build_object("
        "'name', p.proargnames[k.ord], 'type', format_type(k.t, NULL)) ORDER BY k.ord) FROM "
        "unnest(p.proargtypes::oid[]) WITH ORDINALITY k(t, ord)), 'modes', NOT coalesce(p.proargmodes::text[] "
        "<@ ARRAY['i', 't'], true), 'ndefaults', p.pronargdefaults, 'returns', pg_get_function_result(p.oid), "
        "'language', l.lanname, 'volatility', p.provolatile, 'body', p.prosrc, 'config', "
        "array_to_string(p.proconfig, ', '), 'strict', p.proisstrict, 'secdef', p.prosecdef, "
        "'leakproof', p.proleakproof, 'parallel', p.proparallel, 'cost', p.procost, 'rows', "
        "p.prorows, 'comment', obj_description(p.oid, 'pg_proc'))",
        "p.proname, pg_get_function_identity_arguments(p.oid)")
    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = "
    "p.prolang WHERE " IN_SCHEMA " AND" NOT_EXTENSION("pg_proc", "p.oid");

/* a partition's own objects: what it has that its parent did not give it */
#define OWN_OBJECTS                                                                              \
    "(SELECT json_agg(o) FROM (SELECT 'constraint ' || k.conname AS o FROM pg_constraint k "     \
    "WHERE k.conrelid = pc.oid AND k.conislocal AND k.conparentid = 0 UNION ALL SELECT 'index ' " \
    "|| xc.relname FROM pg_index xi JOIN pg_class xc ON xc.oid = xi.indexrelid WHERE "           \
    "xi.indrelid = pc.oid AND NOT EXISTS (SELECT 1 FROM pg_inherits xh WHERE xh.inhrelid = "     \
    "xi.indexrelid) AND NOT EXISTS (SELECT 1 FROM pg_constraint xk WHERE xk.conindid = "         \
    "xi.indexrelid AND xk.conrelid = pc.oid) UNION ALL SELECT 'trigger ' || xt.tgname FROM "     \
    "pg_trigger xt WHERE xt.tgrelid = pc.oid AND NOT xt.tgisinternal AND xt.tgparentid = 0) s)"

static const char tables_sql[] =
    AGG("json_build_object('name', c.relname, 'kind', c.relkind, 'comment', "
        "obj_description(c.oid, 'pg_class'), 'unlogged', c.relpersistence = 'u', 'rls', "
        "c.relrowsecurity, 'options', array_to_string(c.reloptions, ', '), 'inherits', (SELECT "
        "json_agg(h.inhparent::regclass::text) FROM pg_inherits h WHERE h.inhrelid = c.oid), "
        "'strategy', pt.partstrat, 'natts', pt.partnatts, 'key', (SELECT a.attname FROM "
        "pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = pt.partattrs[0]), 'keydef', "
        "pg_get_partkeydef(c.oid), 'parts', (SELECT json_agg(json_build_object('name', "
        "pc.relname, 'schema', pn.nspname, 'bound', pg_get_expr(pc.relpartbound, pc.oid), "
        "'kind', pc.relkind, 'comment', obj_description(pc.oid, 'pg_class'), 'options', "
        "array_to_string(pc.reloptions, ', '), 'own', " OWN_OBJECTS ") ORDER BY pc.relname) "
        "FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhrelid JOIN pg_namespace pn ON "
        "pn.oid = pc.relnamespace WHERE h.inhparent = c.oid))", "c.relname")
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN "
    "pg_partitioned_table pt ON pt.partrelid = c.oid WHERE " IN_SCHEMA " AND c.relkind IN ('r', "
    "'p', 'f') AND NOT c.relispartition AND" NOT_EXTENSION("pg_class", "c.oid");

static const char columns_sql[] =
    AGG("json_build_object('table', c.relname, 'name', a.attname, 'type', "
        "format_type(a.atttypid, a.atttypmod), 'typtype', coalesce(et.typtype, t.typtype), "
        "'typschema', tn.nspname, 'typext', EXISTS (SELECT 1 FROM pg_depend xd WHERE "
        "xd.classid = 'pg_type'::regclass AND xd.objid = coalesce(et.oid, t.oid) AND xd.deptype "
        "= 'e'), 'notnull', a.attnotnull, 'default', CASE WHEN a.attgenerated "
        "= '' THEN pg_get_expr(d.adbin, d.adrelid) END, 'generated', CASE WHEN a.attgenerated "
        "<> '' THEN pg_get_expr(d.adbin, d.adrelid) END, 'identity', a.attidentity, "
        "'collation', CASE WHEN a.attcollation <> t.typcollation THEN "
        "a.attcollation::regcollation::text END, 'comment', col_description(c.oid, a.attnum), "
        "'serial', (SELECT json_build_object('name', s.relname, 'type', format_type(q.seqtypid, "
        "NULL), 'plain', q.seqstart = 1 AND q.seqincrement = 1 AND q.seqmin = 1 AND q.seqcache "
        "= 1 AND NOT q.seqcycle AND q.seqmax = CASE q.seqtypid WHEN 'int4'::regtype THEN "
        "2147483647 WHEN 'int8'::regtype THEN 9223372036854775807 ELSE 32767 END) FROM "
        "pg_depend dp JOIN pg_class s ON s.oid = dp.objid JOIN pg_sequence q ON q.seqrelid = "
        "s.oid WHERE dp.classid = 'pg_class'::regclass AND dp.refclassid = 'pg_class'::regclass "
        "AND dp.refobjid = c.oid AND dp.refobjsubid = a.attnum AND dp.deptype = 'a' LIMIT 1))",
        "c.relname, a.attnum")
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = "
    "c.relnamespace JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type et ON et.oid = "
    "t.typelem AND t.typcategory = 'A' JOIN pg_namespace tn ON tn.oid = coalesce(et.typnamespace, "
    "t.typnamespace) LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE " IN_SCHEMA " AND c.relkind IN ('r', 'p', 'f') AND NOT c.relispartition AND "
    "a.attnum > 0 AND NOT a.attisdropped AND" NOT_EXTENSION("pg_class", "c.oid");

#define ATTNAMES(arr, rel)                                                                       \
    "(SELECT json_agg(ca.attname ORDER BY ck.ord) FROM unnest(" arr ") WITH ORDINALITY ck(n, "   \
    "ord) JOIN pg_attribute ca ON ca.attrelid = " rel " AND ca.attnum = ck.n)"

static const char constraints_sql[] =
    AGG("json_build_object('table', c.relname, 'name', k.conname, 'type', k.contype, 'def', "
        "pg_get_constraintdef(k.oid), 'cols', " ATTNAMES("k.conkey", "k.conrelid") ", "
        "'reftable', rc.relname, 'refschema', rn.nspname, 'refcols', "
        ATTNAMES("k.confkey", "k.confrelid") ", 'on_delete', k.confdeltype, 'on_update', "
        "k.confupdtype, 'match', k.confmatchtype, 'deferrable', k.condeferrable, 'validated', "
        "k.convalidated, 'noinherit', k.connoinherit, 'setcols', k.confdelsetcols IS NOT NULL, "
        "'comment', obj_description(k.oid, 'pg_constraint'))", "c.relname, k.conname")
    "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = "
    "c.relnamespace LEFT JOIN pg_class rc ON rc.oid = k.confrelid LEFT JOIN pg_namespace rn ON "
    "rn.oid = rc.relnamespace WHERE " IN_SCHEMA " AND c.relkind IN ('r', 'p') AND NOT "
    "c.relispartition AND k.conparentid = 0 AND k.conislocal";

/* indexes backing a constraint are the constraint */
static const char indexes_sql[] =
    AGG("json_build_object('table', c.relname, 'relkind', c.relkind, 'name', ic.relname, 'def', "
        "pg_get_indexdef(i.indexrelid), 'unique', i.indisunique, 'method', am.amname, 'nkey', "
        "i.indnkeyatts, 'keys', (SELECT json_agg(json_build_object('att', a.attname, 'text', "
        "pg_get_indexdef(i.indexrelid, k.ord::int, true), 'option', i.indoption[k.ord - 1], "
        "'opclass', opc.opcname, 'opcdefault', coalesce(opc.opcdefault, true), 'collok', "
        "a.attnum IS NULL OR k.ord > i.indnkeyatts OR i.indcollation[k.ord - 1] IN (0, "
        "a.attcollation)) ORDER BY k.ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, "
        "ord) LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND "
        "k.attnum <> 0 LEFT JOIN pg_opclass opc ON k.ord <= i.indnkeyatts AND opc.oid = "
        "i.indclass[k.ord - 1]), 'where', pg_get_expr(i.indpred, i.indrelid), 'options', "
        "array_to_string(ic.reloptions, ', '), 'nnd', i.indnullsnotdistinct, 'valid', "
        "i.indisvalid, 'comment', obj_description(i.indexrelid, 'pg_class'), 'uses', "
        USES("pg_class", "i.indexrelid", "i.indrelid") ")", "c.relname, ic.relname")
    "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = "
    "i.indrelid JOIN pg_am am ON am.oid = ic.relam JOIN pg_namespace n ON n.oid = "
    "c.relnamespace WHERE " IN_SCHEMA " AND c.relkind IN ('r', 'p', 'm') AND NOT "
    "c.relispartition AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = "
    "i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')) AND"
    NOT_EXTENSION("pg_class", "i.indexrelid");

static const char triggers_sql[] =
    AGG("json_build_object('table', c.relname, 'relkind', c.relkind, 'name', t.tgname, 'type', "
        "t.tgtype, 'def', pg_get_triggerdef(t.oid), 'function', p.proname, 'fschema', "
        "pn.nspname, 'nargs', t.tgnargs, 'cols', " ATTNAMES("t.tgattr::int2[]", "t.tgrelid") ", "
        "'constraint', t.tgconstraint <> 0, 'enabled', t.tgenabled, 'transition', t.tgoldtable "
        "IS NOT NULL OR t.tgnewtable IS NOT NULL, 'comment', obj_description(t.oid, "
        "'pg_trigger'), 'uses', " USES("pg_trigger", "t.oid", "t.tgrelid") ")",
        "c.relname, t.tgname")
    "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = "
    "c.relnamespace JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = "
    "p.pronamespace WHERE " IN_SCHEMA " AND NOT t.tgisinternal AND t.tgparentid = 0 AND NOT "
    "c.relispartition";

/* deps: the relations of the schema a view reads; uses: "table.column" */
static const char views_sql[] =
    AGG("json_build_object('name', c.relname, 'materialized', c.relkind = 'm', 'sql', "
        "pg_get_viewdef(c.oid, true), 'comment', obj_description(c.oid, 'pg_class'), 'options', "
        "array_to_string(c.reloptions, ', '), 'deps', (SELECT json_agg(DISTINCT dc.relname) FROM "
        "pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
        "AND d.refclassid = 'pg_class'::regclass JOIN pg_class dc ON dc.oid = d.refobjid JOIN "
        "pg_namespace dn ON dn.oid = dc.relnamespace WHERE r.ev_class = c.oid AND dc.oid <> "
        "c.oid AND dn.nspname = $1), 'uses', (SELECT json_agg(DISTINCT dc.relname || '.' || "
        "da.attname) FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND "
        "d.objid = r.oid AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 JOIN "
        "pg_class dc ON dc.oid = d.refobjid JOIN pg_attribute da ON da.attrelid = dc.oid AND "
        "da.attnum = d.refobjsubid WHERE r.ev_class = c.oid AND dc.oid <> c.oid))", "c.relname")
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " IN_SCHEMA
    " AND c.relkind IN ('v', 'm') AND" NOT_EXTENSION("pg_class", "c.oid");

/* plpgsql is in every database; citus needs shared_preload_libraries, and
 * distribution: works without it, so the schema never creates it. */
#define NOT_OURS_EXTENSION "x.extname NOT IN ('plpgsql', 'citus', 'citus_columnar')"

/* Objects the DSL has no words for at all: (kind, name, why) rows. */
static const char others_sql[] =
    AGG("json_build_object('kind', o.kind, 'name', o.name, 'why', o.why)", "o.kind, o.name")
    "FROM ("
    "SELECT 'schema' AS kind, n.nspname AS name, 'a comment on the schema ('||"
    "obj_description(n.oid, 'pg_namespace') || ')' AS why FROM pg_namespace n WHERE " IN_SCHEMA
    " AND obj_description(n.oid, 'pg_namespace') IS NOT NULL "
    "UNION ALL SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type' WHEN 'm' "
    "THEN 'multirange type' ELSE 'composite type' END, t.typname, 'the schema language has no "
    "such type' FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class "
    "tc ON tc.oid = t.typrelid WHERE " IN_SCHEMA " AND (t.typtype IN ('d', 'r') OR "
    "tc.relkind = 'c') AND" NOT_EXTENSION("pg_type", "t.oid") " "
    "UNION ALL SELECT 'sequence', c.relname, 'a sequence of its own (serial columns have theirs)' "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " IN_SCHEMA " AND "
    "c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = "
    "'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')) AND"
    NOT_EXTENSION("pg_class", "c.oid") " "
    "UNION ALL SELECT 'policy', c.relname || '.' || p.polname, 'row security policies' FROM "
    "pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = "
    "c.relnamespace WHERE " IN_SCHEMA " "
    "UNION ALL SELECT 'extension', x.extname, 'installed in schema ' || xn.nspname || "
    "'; extensions: creates its extensions in public' FROM pg_extension x JOIN pg_namespace xn "
    "ON xn.oid = x.extnamespace WHERE " NOT_OURS_EXTENSION " AND xn.nspname <> 'public') o";

/* Extensions are the database's, not the schema's: those in public are
 * what extensions: says (it creates them WITH SCHEMA public). */
static const char extensions_sql[] =
    AGG("to_json(x.extname)", "x.extname")
    "FROM pg_extension x JOIN pg_namespace xn ON xn.oid = x.extnamespace WHERE "
    NOT_OURS_EXTENSION " AND xn.nspname = 'public' AND $1::text IS NOT NULL";

int imp_read(PGconn *c, const char *schema, imp_catalog *out, sc_migrate_error *err)
{
    memset(out, 0, sizeof *out);
    struct {
        const char *sql;
        json_t **slot;
    } kinds[] = {{enums_sql, &out->enums},           {functions_sql, &out->functions},
                 {tables_sql, &out->tables},         {columns_sql, &out->columns},
                 {constraints_sql, &out->constraints}, {indexes_sql, &out->indexes},
                 {triggers_sql, &out->triggers},     {views_sql, &out->views},
                 {others_sql, &out->others},     {extensions_sql, &out->extensions}};
    const char *path = "SELECT pg_catalog.set_config('search_path', 'pg_catalog, ' || "
                       "pg_catalog.quote_ident($1), false)";
    const char *values[1] = {schema};
    PGresult *r = PQexecParams(c, path, 1, NULL, values, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    for (size_t i = 0; ok && i < sizeof kinds / sizeof kinds[0]; i++) {
        r = PQexecParams(c, kinds[i].sql, 1, NULL, values, NULL, NULL, 0);
        ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        json_error_t jerr;
        *kinds[i].slot = ok ? json_loads(PQgetvalue(r, 0, 0), 0, &jerr) : NULL;
        ok = ok && *kinds[i].slot;
        PQclear(r);
    }
    if (!ok) {
        snprintf(err->message, sizeof err->message, "cannot read the catalog of %s: %s", PQdb(c),
                 PQerrorMessage(c));
        imp_catalog_free(out);
        return -1;
    }
    return 0;
}

void imp_catalog_free(imp_catalog *cat)
{
    json_t **all[] = {&cat->enums,   &cat->functions, &cat->tables,
                      &cat->columns, &cat->constraints, &cat->indexes,
                      &cat->triggers, &cat->views,     &cat->others,
                      &cat->extensions};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        json_decref(*all[i]);
        *all[i] = NULL;
    }
}
