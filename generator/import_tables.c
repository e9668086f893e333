/* Tables for `schemac import`: columns, keys and constraints, indexes,
 * triggers (partitioning is import_partition.c). A name PostgreSQL (or
 * the DSL) would choose anyway is left out; any other is kept. Column-level
 * keys (primary_key, unique, check, references) are used where the
 * catalog's constraint is exactly what the key makes; the table-level
 * lists hold the rest. Tables come out parents first (foreign keys), then
 * by name. */
#include "import_internal.h"

#include <stdlib.h>
#include <string.h>

/* The rows of a catalog array that belong to table. */
#define FOR_TABLE(arr, table, i, row)                                                            \
    json_array_foreach(arr, i, row) if (strcmp(imp_str(row, "table"), table) == 0)

static json_t *names_of(json_t *arr)
{
    return arr && json_is_array(arr) ? arr : NULL;
}

static void mark(imp_ctx *x, const char *table, const char *col)
{
    char key[300];
    snprintf(key, sizeof key, "%s.%s", table, col);
    json_object_set_new(x->left_out, key, json_true());
}

bool imp_uses_left_out(imp_ctx *x, const char *table, json_t *columns, const char **which)
{
    size_t i;
    json_t *c;
    json_array_foreach(names_of(columns), i, c) {
        char key[300];
        snprintf(key, sizeof key, "%s.%s", table, json_string_value(c));
        if (json_object_get(x->left_out, key) || json_object_get(x->left_out, table)) {
            *which = json_string_value(c);
            return true;
        }
    }
    return false;
}

/* ---- the tables and columns that cannot be written at all -------------- */

static bool table_expressible(imp_ctx *x, json_t *t)
{
    const char *name = imp_str(t, "name");
    if (!imp_identifier(name))
        imp_report(x, "table", name, "the name is not a lower-case SQL identifier");
    else if (strcmp(imp_str(t, "kind"), "f") == 0)
        imp_report(x, "foreign table", name, "foreign tables are not in the schema language");
    else
        return true;
    json_object_set_new(x->left_out, name, json_true());
    return false;
}

/* serial / bigserial: a plain owned sequence named as PostgreSQL names it,
 * which the column's default draws from. */
static const char *serial_type(json_t *col, const char *table)
{
    json_t *s = json_object_get(col, "serial");
    const char *dflt = imp_str(col, "default"), *type = imp_str(col, "type");
    if (!json_is_object(s) || !dflt || !imp_bool(s, "plain") || imp_str(col, "identity")[0])
        return NULL;
    char want[200], seq[200];
    snprintf(seq, sizeof seq, "%s_%s_seq", table, imp_str(col, "name"));
    snprintf(want, sizeof want, "nextval('%s'::regclass)", imp_str(s, "name"));
    if (strcmp(seq, imp_str(s, "name")) != 0 || strcmp(want, dflt) != 0 ||
        strcmp(imp_str(s, "type"), type) != 0)
        return NULL;
    return strcmp(type, "integer") == 0 ? "serial" : strcmp(type, "bigint") == 0 ? "bigserial" : NULL;
}

static json_t *build_column(imp_ctx *x, const char *table, json_t *c)
{
    const char *name = imp_str(c, "name"), *identity = imp_str(c, "identity");
    char full[300], why[200];
    snprintf(full, sizeof full, "%s.%s", table, name);
    if (!imp_identifier(name)) {
        imp_report(x, "column", full, "the name is not a lower-case SQL identifier");
        return mark(x, table, name), NULL;
    }
    const char *serial = serial_type(c, table);
    bool as_text = false;
    const char *type = serial ? serial : imp_map_type(c, x->schema, &as_text, why, sizeof why);
    if (!type) {
        imp_report(x, "column", full, "%s", why);
        return mark(x, table, name), NULL;
    }
    json_t *out = json_object();
    json_object_set_new(out, "type", json_string(type));
    if (as_text)
        json_object_set_new(out, "c_type", json_string("text"));
    if (!imp_bool(c, "notnull"))
        json_object_set_new(out, "nullable", json_true());
    const char *dflt = imp_str(c, "default");
    if (dflt && !serial && (json_is_object(json_object_get(c, "serial")) || strstr(dflt, "nextval(")))
        imp_report(x, "column", full, "default %s draws from a sequence that is not the plain "
                                      "one of a serial column; left out", dflt);
    else if (dflt && !serial)
        json_object_set_new(out, "default", imp_sql(dflt));
    if (imp_str(c, "generated"))
        json_object_set_new(out, "generated", imp_sql(imp_str(c, "generated")));
    if (identity && identity[0])
        imp_report(x, "column", full, "GENERATED %s AS IDENTITY; imported as a plain %s column",
                   identity[0] == 'a' ? "ALWAYS" : "BY DEFAULT", type);
    if (imp_str(c, "collation"))
        imp_report(x, "column", full, "collation %s; imported with the type's own",
                   imp_str(c, "collation"));
    return out;
}

/* ---- constraints ------------------------------------------------------- */

typedef struct tbuild {
    imp_ctx *x;
    const char *name;
    json_t *cat;          /* the catalog's table */
    json_t *columns;      /* name -> DSL column (a mapping until the end) */
    json_t *out;          /* the DSL table */
    json_t *pk;           /* the primary key's columns */
    char part_check[128];  /* the LIST partition's key check, consumed */
} tbuild;

static void put_list(json_t *obj, const char *key, json_t *item)
{
    json_t *l = json_object_get(obj, key);
    if (!l) {
        l = json_array();
        json_object_set_new(obj, key, l);
    }
    json_array_append_new(l, item);
}

static char *joined(json_t *cols)
{
    size_t i, n = 1;
    json_t *c;
    json_array_foreach(cols, i, c)
        n += strlen(json_string_value(c)) + 2;
    char *s = calloc(1, n);
    json_array_foreach(cols, i, c) {
        if (i)
            strcat(s, ", ");
        strcat(s, json_string_value(c));
    }
    return s;
}

/* def is exactly "<word> (a, b)": no INCLUDE, WITH, NULLS NOT DISTINCT. */
static bool plain_key(const char *word, json_t *k)
{
    char *cols = joined(json_object_get(k, "cols"));
    char want[1200];
    snprintf(want, sizeof want, "%s (%s)", word, cols);
    free(cols);
    return strcmp(want, imp_str(k, "def")) == 0;
}

static json_t *column_of(tbuild *b, json_t *cols)
{
    return json_array_size(cols) == 1
               ? json_object_get(b->columns, json_string_value(json_array_get(cols, 0)))
               : NULL;
}

static bool is_default_name(tbuild *b, json_t *k, const char *suffix)
{
    char buf[128];
    return strcmp(imp_default_name(b->name, json_object_get(k, "cols"), suffix, buf, sizeof buf),
                  imp_str(k, "name")) == 0;
}

static void add_primary_key(tbuild *b, json_t *k, const char *full)
{
    json_t *cols = json_object_get(k, "cols");
    json_t *empty = json_array();
    char want[128];
    if (strcmp(imp_default_name(b->name, empty, "pkey", want, sizeof want), imp_str(k, "name")))
        imp_report(b->x, "primary key", full, "its name (the schema language names it %s)", want);
    json_decref(empty);
    if (!plain_key("PRIMARY KEY", k))
        imp_report(b->x, "primary key", full, "%s; imported as PRIMARY KEY (columns)",
                   imp_str(k, "def"));
    json_t *col = column_of(b, cols);
    if (col)
        json_object_set_new(col, "primary_key", json_true());
    else
        json_object_set(b->out, "primary_key", cols);
    b->pk = cols;
}

static void add_unique(tbuild *b, json_t *k, const char *full)
{
    if (!plain_key("UNIQUE", k)) {
        imp_report(b->x, "unique constraint", full, "%s", imp_str(k, "def"));
        return;
    }
    json_t *col = column_of(b, json_object_get(k, "cols"));
    if (col && is_default_name(b, k, "key")) {
        json_object_set_new(col, "unique", json_true());
        return;
    }
    json_t *u = json_object();
    if (!is_default_name(b, k, "key"))
        json_object_set_new(u, "name", json_string(imp_str(k, "name")));
    json_object_set(u, "columns", json_object_get(k, "cols"));
    put_list(b->out, "unique", u);
}

/* "CHECK (expr)" -> expr; NULL when more follows (NOT VALID). */
static char *check_expr(const char *def)
{
    size_t n = strlen(def);
    if (strncmp(def, "CHECK (", 7) != 0 || def[n - 1] != ')')
        return NULL;
    return strndup(def + 7, n - 8);
}

static void add_check(tbuild *b, json_t *k, const char *full)
{
    char *expr = check_expr(imp_str(k, "def"));
    if (!expr || imp_bool(k, "noinherit")) {
        imp_report(b->x, "check constraint", full, "%s", imp_str(k, "def"));
        free(expr);
        return;
    }
    if (strcmp(b->part_check, imp_str(k, "name")) == 0) {
        free(expr); /* the partition key's: partition.expression says it */
        return;
    }
    json_t *col = column_of(b, json_object_get(k, "cols"));
    if (col && is_default_name(b, k, "check") && !json_object_get(col, "check")) {
        json_object_set_new(col, "check", imp_sql(expr));
        free(expr);
        return;
    }
    json_t *ck = json_object(), *list = json_object_get(b->out, "checks");
    size_t pos = json_array_size(list);
    char dflt[128];
    if (pos)
        snprintf(dflt, sizeof dflt, "%s_check%zu", b->name, pos);
    else
        snprintf(dflt, sizeof dflt, "%s_check", b->name);
    if (strcmp(dflt, imp_str(k, "name")) != 0)
        json_object_set_new(ck, "name", json_string(imp_str(k, "name")));
    json_object_set_new(ck, "expr", imp_sql(expr));
    free(expr);
    put_list(b->out, "checks", ck);
}

static json_t *primary_key_of(imp_ctx *x, const char *table)
{
    size_t i;
    json_t *k;
    FOR_TABLE(x->cat.constraints, table, i, k)
        if (strcmp(imp_str(k, "type"), "p") == 0)
            return json_object_get(k, "cols");
    return NULL;
}

static void add_actions(json_t *o, json_t *k)
{
    const char *del = imp_fk_action(imp_str(k, "on_delete"));
    const char *upd = imp_fk_action(imp_str(k, "on_update"));
    if (del)
        json_object_set_new(o, "on_delete", json_string(del));
    if (upd)
        json_object_set_new(o, "on_update", json_string(upd));
}

static void add_foreign_key(tbuild *b, json_t *k, const char *full)
{
    const char *ref = imp_str(k, "reftable"), *which;
    json_t *refcols = json_object_get(k, "refcols");
    if (strcmp(imp_str(k, "refschema"), b->x->schema) != 0) {
        imp_report(b->x, "foreign key", full, "it references %s.%s, outside the schema",
                   imp_str(k, "refschema"), ref);
        return;
    }
    if (imp_uses_left_out(b->x, ref, refcols, &which)) {
        imp_report(b->x, "foreign key", full, "it references %s.%s, which is left out", ref, which);
        return;
    }
    if (strcmp(imp_str(k, "match"), "s") != 0 || imp_bool(k, "deferrable") ||
        !imp_bool(k, "validated") || imp_bool(k, "setcols")) {
        imp_report(b->x, "foreign key", full, "%s", imp_str(k, "def"));
        return;
    }
    json_t *col = column_of(b, json_object_get(k, "cols"));
    if (col && is_default_name(b, k, "fkey") && json_array_size(refcols) == 1) {
        json_object_set_new(col, "references",
                            json_sprintf("%s.%s", ref, json_string_value(json_array_get(refcols, 0))));
        add_actions(col, k);
        return;
    }
    json_t *fk = json_object();
    if (!is_default_name(b, k, "fkey"))
        json_object_set_new(fk, "name", json_string(imp_str(k, "name")));
    json_object_set(fk, "columns", json_object_get(k, "cols"));
    json_object_set_new(fk, "references", json_string(ref));
    json_t *pk = primary_key_of(b->x, ref);
    if (!pk || !json_equal(pk, refcols))
        json_object_set(fk, "ref_columns", refcols);
    add_actions(fk, k);
    put_list(b->out, "foreign_keys", fk);
}

static void add_constraints(tbuild *b)
{
    static const char order[] = "pucfxt"; /* keys first: checks may use the columns they make */
    for (const char *kind = order; *kind; kind++) {
        size_t i;
        json_t *k;
        FOR_TABLE(b->x->cat.constraints, b->name, i, k) {
            if (imp_str(k, "type")[0] != *kind)
                continue;
            char full[300];
            const char *which;
            snprintf(full, sizeof full, "%s.%s", b->name, imp_str(k, "name"));
            if (*kind == 'x' || *kind == 't')
                imp_report(b->x, *kind == 'x' ? "exclusion constraint" : "constraint trigger",
                           full, "%s", imp_str(k, "def"));
            else if (!imp_identifier(imp_str(k, "name")))
                imp_report(b->x, "constraint", full, "the name is not a lower-case SQL identifier");
            else if (imp_uses_left_out(b->x, b->name, json_object_get(k, "cols"), &which))
                imp_report(b->x, "constraint", full, "it uses column %s, which is left out", which);
            else if (*kind == 'p')
                add_primary_key(b, k, full);
            else if (*kind == 'u')
                add_unique(b, k, full);
            else if (*kind == 'c')
                add_check(b, k, full);
            else
                add_foreign_key(b, k, full);
            if (imp_str(k, "comment"))
                imp_report(b->x, "comment on constraint", full, "constraints carry no comment");
        }
    }
}

/* ---- indexes and triggers ---------------------------------------------- */

void imp_add_indexes(imp_ctx *x, const char *owner, json_t *out)
{
    size_t i;
    json_t *ix;
    FOR_TABLE(x->cat.indexes, owner, i, ix) {
        char why[300];
        const char *which, *name = imp_str(ix, "name");
        json_t *uses = json_object_get(ix, "uses");
        json_t *dsl = NULL;
        if (!imp_identifier(name))
            snprintf(why, sizeof why, "the name is not a lower-case SQL identifier");
        else if (imp_uses_left_out(x, owner, uses, &which))
            snprintf(why, sizeof why, "it uses column %s, which is left out", which);
        else
            dsl = imp_map_index(owner, ix, why, sizeof why);
        if (!dsl) {
            imp_report(x, "index", name, "%s (%s)", why, imp_str(ix, "def"));
            continue;
        }
        if (imp_str(ix, "comment"))
            imp_report(x, "comment on index", name, "indexes carry no comment");
        put_list(out, "indexes", dsl);
    }
}

/* "... WHEN (cond) EXECUTE FUNCTION f()" -> cond */
static char *trigger_when(const char *def)
{
    const char *w = strstr(def, " WHEN (");
    const char *e = w ? strstr(w, ") EXECUTE FUNCTION ") : NULL;
    for (const char *n = e; n; n = strstr(n + 1, ") EXECUTE FUNCTION "))
        e = n;
    return e ? strndup(w + 7, (size_t)(e - w - 7)) : NULL;
}

static json_t *build_trigger(imp_ctx *x, const char *table, json_t *tr, char *why, size_t size)
{
    long type = (long)json_integer_value(json_object_get(tr, "type"));
    const char *fn = imp_str(tr, "function"), *which;
    if (strcmp(imp_str(tr, "fschema"), x->schema) != 0 || !imp_identifier(fn))
        snprintf(why, size, "its function %s.%s is outside the schema", imp_str(tr, "fschema"), fn);
    else if (json_integer_value(json_object_get(tr, "nargs")) || imp_bool(tr, "constraint") ||
             imp_bool(tr, "transition") || (type & 64))
        snprintf(why, size, "arguments, CONSTRAINT, REFERENCING or INSTEAD OF");
    else if (strcmp(imp_str(tr, "enabled"), "O") != 0)
        snprintf(why, size, "it is not simply enabled (ALTER TABLE ... ENABLE/DISABLE TRIGGER)");
    else if (!imp_identifier(imp_str(tr, "name")))
        snprintf(why, size, "the name is not a lower-case SQL identifier");
    else if (imp_uses_left_out(x, table, json_object_get(tr, "uses"), &which))
        snprintf(why, size, "it uses column %s, which is left out", which);
    else if (!json_object_get(json_object_get(x->doc, "functions"), fn))
        snprintf(why, size, "its function %s is left out", fn);
    else {
        json_t *t = json_object(), *events = json_array();
        json_object_set_new(t, "name", json_string(imp_str(tr, "name")));
        json_object_set_new(t, "function", json_string(fn));
        json_object_set_new(t, "timing", json_string(type & 2 ? "before" : "after"));
        static const struct { long bit; const char *name; } ev[] = {
            {4, "insert"}, {16, "update"}, {8, "delete"}, {32, "truncate"}};
        for (size_t i = 0; i < 4; i++)
            if (type & ev[i].bit)
                json_array_append_new(events, json_string(ev[i].name));
        json_object_set_new(t, "events", events);
        if (json_array_size(json_object_get(tr, "cols")))
            json_object_set(t, "columns", json_object_get(tr, "cols"));
        json_object_set_new(t, "for_each", json_string(type & 1 ? "row" : "statement"));
        char *when = trigger_when(imp_str(tr, "def"));
        if (when)
            json_object_set_new(t, "when", imp_sql(when));
        free(when);
        return t;
    }
    return NULL;
}

static void add_triggers(tbuild *b)
{
    size_t i;
    json_t *tr;
    FOR_TABLE(b->x->cat.triggers, b->name, i, tr) {
        char full[300], why[300];
        snprintf(full, sizeof full, "%s.%s", b->name, imp_str(tr, "name"));
        json_t *t = build_trigger(b->x, b->name, tr, why, sizeof why);
        if (!t) {
            imp_report(b->x, "trigger", full, "%s (%s)", why, imp_str(tr, "def"));
            continue;
        }
        if (imp_str(tr, "comment"))
            imp_report(b->x, "comment on trigger", full, "triggers carry no comment");
        put_list(b->out, "triggers", t);
    }
}

/* ---- one table --------------------------------------------------------- */

static void table_properties(imp_ctx *x, json_t *t, const char *name)
{
    const char *options = imp_str(t, "options");
    if (imp_bool(t, "unlogged"))
        imp_report(x, "table", name, "UNLOGGED; imported as a logged table");
    if (imp_bool(t, "rls"))
        imp_report(x, "table", name, "row level security is enabled");
    if (options && *options)
        imp_report(x, "table", name, "storage parameters (%s)", options);
    if (json_array_size(json_object_get(t, "inherits")))
        imp_report(x, "table", name, "it inherits from %s",
                   json_string_value(json_array_get(json_object_get(t, "inherits"), 0)));
}

/* A column with only a type is written as the type alone (`name: text`). */
static json_t *shorthand(json_t *columns)
{
    const char *k;
    json_t *v;
    json_object_foreach(columns, k, v)
        if (json_object_size(v) == 1 && json_object_get(v, "type"))
            json_object_set(columns, k, json_object_get(v, "type"));
    return columns;
}

static json_t *build_table(imp_ctx *x, json_t *t)
{
    tbuild b = {x, imp_str(t, "name"), t, json_object(), json_object(), NULL, ""};
    if (imp_str(t, "comment"))
        json_object_set_new(b.out, "comment", json_string(imp_str(t, "comment")));
    table_properties(x, t, b.name);
    size_t i;
    json_t *c;
    FOR_TABLE(x->cat.columns, b.name, i, c) {
        json_t *col = build_column(x, b.name, c);
        if (col)
            json_object_set_new(b.columns, imp_str(c, "name"), col);
    }
    json_object_set_new(b.out, "columns", b.columns);
    json_t *part = imp_build_partition(x, t, b.part_check, sizeof b.part_check);
    add_constraints(&b);
    if (part)
        json_object_set_new(b.out, "partition", part);
    imp_add_indexes(x, b.name, b.out);
    add_triggers(&b);
    /* comments last in each column's mapping: they are the longest */
    FOR_TABLE(x->cat.columns, b.name, i, c) {
        json_t *col = json_object_get(b.columns, imp_str(c, "name"));
        if (col && imp_str(c, "comment"))
            json_object_set_new(col, "comment", json_string(imp_str(c, "comment")));
    }
    shorthand(b.columns);
    return b.out;
}

/* Whether every table t's foreign keys reference is placed already. */
static bool parents_placed(json_t *t, const char *name, json_t *placed)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(t, "columns"), k, v) {
        const char *ref = json_is_object(v) ? imp_str(v, "references") : NULL;
        if (ref) {
            char table[128];
            snprintf(table, sizeof table, "%.*s", (int)strcspn(ref, "."), ref);
            if (strcmp(table, name) != 0 && !json_object_get(placed, table))
                return false;
        }
    }
    size_t i;
    json_array_foreach(json_object_get(t, "foreign_keys"), i, v) {
        const char *ref = imp_str(v, "references");
        if (strcmp(ref, name) != 0 && !json_object_get(placed, ref))
            return false;
    }
    return true;
}

void imp_build_tables(imp_ctx *x)
{
    json_t *built = json_object(), *placed = json_object();
    size_t i;
    json_t *t;
    json_array_foreach(x->cat.tables, i, t)
        table_expressible(x, t);
    json_array_foreach(x->cat.tables, i, t)
        if (!json_object_get(x->left_out, imp_str(t, "name")))
            json_object_set_new(built, imp_str(t, "name"), build_table(x, t));
    /* parents first; a cycle takes the first remaining by name */
    while (json_object_size(placed) < json_object_size(built)) {
        const char *pick = NULL, *k;
        json_t *v;
        json_object_foreach(built, k, v) {
            if (json_object_get(placed, k))
                continue;
            if (!pick)
                pick = k;
            if (parents_placed(v, k, placed)) {
                pick = k;
                break;
            }
        }
        json_object_set(placed, pick, json_object_get(built, pick));
    }
    json_object_set_new(x->doc, "tables", placed);
    json_decref(built);
}
