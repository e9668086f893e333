/* What of the catalog the schema language can say, decided in one place
 * each: column types (one table), index shapes, default names. When the
 * language grows (a type, an index method, operator classes, storage
 * parameters), these are the functions that learn it. */
#include "import_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

const char *imp_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool imp_bool(json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

bool imp_identifier(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63 || !(islower((unsigned char)name[0]) || name[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) || name[i] == '_'))
            return false;
    return true;
}

/* format_type's spelling -> the DSL's; "(n)" and "(p,s)" are carried over
 * where the DSL type takes them. */
typedef struct type_map {
    const char *catalog, *dsl;
    bool sized;
} type_map;

static const type_map types[] = {
    {"smallint", "smallint", false},
    {"integer", "integer", false},
    {"bigint", "bigint", false},
    {"boolean", "boolean", false},
    {"real", "real", false},
    {"double precision", "double precision", false},
    {"numeric", "numeric", true},
    {"text", "text", false},
    {"character varying", "varchar", true},
    {"uuid", "uuid", false},
    {"timestamp with time zone", "timestamptz", false},
    {"timestamp without time zone", "timestamp", false},
    {"date", "date", false},
    {"interval", "interval", false},
    {"json", "json", false},
    {"jsonb", "jsonb", false},
    {"bytea", "bytea", false},
    {"tsvector", "tsvector", false},
    {"time without time zone", "time", false},
    {"time with time zone", "timetz", false},
    {"money", "money", false},
    {"xml", "xml", false},
    {"character", "char", true},
    {"bit varying", "varbit", true},
    {"bit", "bit", true},
    {"inet", "inet", false},
    {"cidr", "cidr", false},
    {"macaddr", "macaddr", false},
    {"point", "point", false},
    {"int4range", "int4range", false},
    {"int8range", "int8range", false},
    {"tstzrange", "tstzrange", false},
    {"daterange", "daterange", false},
    /* extension types (pgvector, contrib), in public as extensions: makes them */
    {"vector", "vector", true},
    {"halfvec", "halfvec", true},
    {"citext", "citext", false},
    {"hstore", "hstore", false},
    {"ltree", "ltree", false},
};

static const char *map_scalar(const char *t, char *out, size_t size)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t n = strlen(types[i].catalog);
        if (strncmp(t, types[i].catalog, n) != 0)
            continue;
        const char *rest = t + n;
        if (*rest == '\0' || (types[i].sized && *rest == '(' && rest[strlen(rest) - 1] == ')')) {
            snprintf(out, size, "%s%s", types[i].dsl, rest);
            return out;
        }
    }
    return NULL;
}

/* A type schemac has no C form for but its text: a base or range type of
 * pg_catalog (tsquery, numrange) or of an extension in public, not an
 * array. The DDL's search path finds both. */
static const char *text_form(json_t *c, const char *elem, bool array, bool *as_text)
{
    const char *typtype = imp_str(c, "typtype"), *typschema = imp_str(c, "typschema");
    const char *dot = strrchr(elem, '.');
    bool known_place = strcmp(typschema, "pg_catalog") == 0 ||
                       (imp_bool(c, "typext") && strcmp(typschema, "public") == 0);
    if (array || !known_place || !strchr("brm", typtype[0]) || !imp_identifier(dot ? dot + 1 : elem))
        return NULL;
    *as_text = true;
    return dot ? dot + 1 : elem;
}

const char *imp_map_type(json_t *c, const char *schema, bool *as_text, char *why, size_t whysize)
{
    static char buf[160];
    const char *format_type = imp_str(c, "type"), *typtype = imp_str(c, "typtype");
    const char *typschema = imp_str(c, "typschema");
    char elem[128];
    size_t len = strlen(format_type);
    bool array = len > 2 && strcmp(format_type + len - 2, "[]") == 0;
    snprintf(elem, sizeof elem, "%.*s", (int)(array ? len - 2 : len), format_type);
    const char *dot = strrchr(elem, '.');
    const char *mapped = NULL;
    char scalar[128];
    if (strcmp(typtype, "e") == 0) {
        if (strcmp(typschema, schema) != 0 || !imp_identifier(elem)) {
            snprintf(why, whysize, "type %s is an enum of another schema", format_type);
            return NULL;
        }
        mapped = elem;
    } else if (strcmp(typtype, "d") == 0) {
        snprintf(why, whysize, "type %s is a domain", format_type);
        return NULL;
    } else {
        /* an extension's type shows qualified when its schema is not ours;
         * public is where extensions: creates them */
        mapped = map_scalar(elem, scalar, sizeof scalar);
        if (!mapped && dot && strcmp(typschema, "public") == 0)
            mapped = map_scalar(dot + 1, scalar, sizeof scalar);
        if (!mapped)
            mapped = text_form(c, elem, array, as_text);
    }
    m_type check;
    snprintf(buf, sizeof buf, "%s%s", mapped ? mapped : "", array ? "[]" : "");
    if (!mapped || (!*as_text && !m_type_parse(buf, &check))) {
        *as_text = false;
        snprintf(why, whysize, "type %s has no spelling in the schema language", format_type);
        return NULL;
    }
    return buf;
}

const char *imp_default_name(const char *table, json_t *cols, const char *suffix, char *buf,
                             size_t size)
{
    char full[512];
    int n = snprintf(full, sizeof full, "%s", table);
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
        n += snprintf(full + n, sizeof full - (size_t)n, "_%s", json_string_value(c));
    snprintf(full + n, sizeof full - (size_t)n, "_%s", suffix);
    full[63] = '\0';
    snprintf(buf, size, "%s", full);
    return buf;
}

const char *imp_index_default_name(const char *owner, json_t *ix, char *buf, size_t size)
{
    int n = snprintf(buf, size, "ix_%s", owner);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(ix, "columns"), i, c) {
        const char *col = json_string_value(c);
        n += snprintf(buf + n, size - (size_t)n, "_%.*s", (int)strcspn(col, " "), col);
    }
    if (json_object_get(ix, "expression"))
        snprintf(buf + n, size - (size_t)n, "_expr");
    return buf;
}

const char *imp_fk_action(const char *code)
{
    switch (code ? code[0] : 'a') {
    case 'c': return "cascade";
    case 'n': return "set null";
    case 'd': return "set default";
    case 'r': return "restrict";
    default: return NULL; /* no action: the DSL's default */
    }
}

/* One key of an index: a column (with its operator class when not the
 * type's default, and DESC) or the expression. */
static bool map_key(json_t *k, json_t *cols, const char **expression, char *why, size_t whysize)
{
    const char *att = imp_str(k, "att");
    long option = (long)json_integer_value(json_object_get(k, "option"));
    const char *opclass = imp_bool(k, "opcdefault") ? NULL : imp_str(k, "opclass");
    if (opclass && (!att || !imp_identifier(opclass))) {
        snprintf(why, whysize, "operator class %s", opclass);
        return false;
    }
    if (!imp_bool(k, "collok")) {
        snprintf(why, whysize, "a collation of its own on %s", att ? att : "an expression");
        return false;
    }
    if (option != 0 && option != 3) { /* 1: DESC, 2: NULLS FIRST; DESC means both */
        snprintf(why, whysize, "NULLS %s on %s", option & 2 ? "FIRST" : "LAST",
                 att ? att : "an expression");
        return false;
    }
    if (!att) {
        if (option) {
            snprintf(why, whysize, "a descending expression");
            return false;
        }
        *expression = imp_str(k, "text");
        return true;
    }
    json_array_append_new(cols, json_sprintf("%s%s%s%s", att, opclass ? " " : "",
                                             opclass ? opclass : "", option ? " DESC" : ""));
    return true;
}

static bool known_method(const char *m)
{
    static const char *const methods[] = {"btree", "gin", "gist", "brin", "hash",
                                          "spgist", "ivfflat", "hnsw"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(m, methods[i]) == 0)
            return true;
    return false;
}

/* "m=16, ef_construction=64" as with: { m: 16, ef_construction: 64 }; NULL
 * when a name or a value is not what with: takes (numbers and words). */
static json_t *map_with(const char *options)
{
    json_t *with = json_object();
    char buf[600];
    snprintf(buf, sizeof buf, "%s", options);
    for (char *save = NULL, *p = strtok_r(buf, ", ", &save); p; p = strtok_r(NULL, ", ", &save)) {
        char *eq = strchr(p, '=');
        if (eq)
            *eq = '\0';
        const char *v = eq ? eq + 1 : "";
        if (!eq || !imp_identifier(p) || !*v ||
            strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(v)) {
            json_decref(with);
            return NULL;
        }
        bool digits = strspn(v, "0123456789") == strlen(v) && strlen(v) < 10;
        json_object_set_new(with, p, digits ? json_integer(atol(v)) : json_string(v));
    }
    return with;
}

/* The DSL takes either columns (with operator classes) or one expression,
 * a method of its list, default collations, storage parameters of words
 * and numbers. */
json_t *imp_map_index(const char *owner, json_t *ix, char *why, size_t whysize)
{
    const char *method = imp_str(ix, "method"), *options = imp_str(ix, "options");
    if (!known_method(method)) {
        snprintf(why, whysize, "index method %s", method);
        return NULL;
    }
    if (imp_bool(ix, "nnd")) {
        snprintf(why, whysize, "NULLS NOT DISTINCT");
        return NULL;
    }
    if (!imp_bool(ix, "valid")) {
        snprintf(why, whysize, "the index is invalid (a failed CREATE INDEX CONCURRENTLY)");
        return NULL;
    }
    json_t *with = options && *options ? map_with(options) : NULL;
    if (options && *options && !with) {
        snprintf(why, whysize, "storage parameters (%s)", options);
        return NULL;
    }
    json_t *cols = json_array(), *include = json_array();
    const char *expression = NULL;
    long nkey = (long)json_integer_value(json_object_get(ix, "nkey"));
    size_t i;
    json_t *k;
    bool ok = true;
    json_array_foreach(json_object_get(ix, "keys"), i, k) {
        if ((long)i >= nkey)
            json_array_append_new(include, json_string(imp_str(k, "att")));
        else if (!map_key(k, cols, &expression, why, whysize))
            ok = false;
        if (!ok)
            break;
    }
    if (ok && expression && (nkey != 1 || json_array_size(cols))) {
        snprintf(why, whysize, "an expression among several keys");
        ok = false;
    }
    if (!ok) {
        json_decref(cols);
        json_decref(include);
        json_decref(with);
        return NULL;
    }
    json_t *out = json_object();
    if (expression) {
        json_object_set_new(out, "expression", imp_sql(expression));
        json_decref(cols);
    } else {
        json_object_set_new(out, "columns", cols);
    }
    if (imp_bool(ix, "unique"))
        json_object_set_new(out, "unique", json_true());
    if (imp_str(ix, "where"))
        json_object_set_new(out, "where", imp_sql(imp_str(ix, "where")));
    if (strcmp(method, "btree") != 0)
        json_object_set_new(out, "method", json_string(method));
    if (with)
        json_object_set_new(out, "with", with);
    if (json_array_size(include))
        json_object_set_new(out, "include", include);
    else
        json_decref(include);
    char dflt[600];
    const char *name = imp_str(ix, "name");
    if (strcmp(imp_index_default_name(owner, out, dflt, sizeof dflt), name) != 0) {
        /* name first: it is what a reader looks for */
        json_t *named = json_object();
        json_object_set_new(named, "name", json_string(name));
        json_object_update(named, out);
        json_decref(out);
        out = named;
    }
    return out;
}

/* ---- deparsed SQL that does not parse back to itself ------------------- */

/* The end of a single-quoted literal or of an ARRAY[...]'s brackets. */
static const char *close_bracket(const char *p)
{
    int depth = 1;
    for (; *p; p++) {
        if (*p == '\'') {
            for (p++; *p && !(*p == '\'' && p[1] != '\''); p++)
                if (*p == '\'')
                    p++;
            if (!*p)
                return NULL;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']' && --depth == 0) {
            return p;
        }
    }
    return NULL;
}

/* At p: "(col)::T = ANY ((ARRAY[list])::T[])" (or "col::T ... (ARRAY[list]::T[])",
 * pretty-printed; "<> ALL" for NOT IN). Appends "col IN (list)" (never
 * longer) at *out and returns the end of what it replaces, or NULL. */
static const char *in_list(const char *p, char **out)
{
    bool paren = *p == '(';
    const char *col = p + paren;
    size_t n = strspn(col, "abcdefghijklmnopqrstuvwxyz0123456789_.");
    if (!n || (paren && col[n] != ')') || strncmp(col + n + paren, "::", 2) != 0)
        return NULL;
    const char *type = col + n + paren + 2;
    const char *any = strstr(type, " = ANY (");
    const char *all = strstr(type, " <> ALL (");
    const char *op = any && (!all || any < all) ? any : all;
    if (!op || memchr(type, '(', (size_t)(op - type)) || op - type > 40)
        return NULL;
    size_t tlen = (size_t)(op - type);
    const char *arr = op + (op == any ? 8 : 9);
    bool inner = strncmp(arr, "(ARRAY[", 7) == 0;
    if (!inner && strncmp(arr, "ARRAY[", 6) != 0)
        return NULL;
    const char *list = arr + (inner ? 7 : 6), *end = close_bracket(list);
    if (!end)
        return NULL;
    const char *after = end + 1 + inner;
    if (strncmp(after, "::", 2) != 0 || strncmp(after + 2, type, tlen) != 0 ||
        strncmp(after + 2 + tlen, "[])", 3) != 0)
        return NULL;
    *out += sprintf(*out, "%.*s %sIN (%.*s)", (int)n, col, op == any ? "" : "NOT ",
                    (int)(end - list), list);
    return after + 2 + tlen + 3;
}

/* PostgreSQL prints `col IN ('a', 'b')` over a varchar column as
 * `(col)::text = ANY ((ARRAY['a'::character varying, ...])::text[])`, which
 * parses back to another tree (the cast goes into the elements) and so
 * prints differently: a check imported that way would differ from the
 * original's. The IN list parses back to the very tree. Malloc'd. */
char *imp_sql_text(const char *sql)
{
    char *out = malloc(strlen(sql) + 1), *w = out;
    bool word = false;
    for (const char *p = sql; *p;) {
        if (*p == '\'') {
            const char *q = p + 1;
            while (*q && !(*q == '\'' && q[1] != '\''))
                q += *q == '\'' ? 2 : 1;
            size_t n = (size_t)(*q ? q + 1 - p : q - p);
            memcpy(w, p, n);
            w += n, p += n, word = false;
            continue;
        }
        const char *next = word ? NULL : in_list(p, &w);
        if (next) {
            p = next;
            continue;
        }
        word = isalnum((unsigned char)*p) || *p == '_' || *p == '.';
        *w++ = *p++;
    }
    *w = '\0';
    return out;
}

json_t *imp_sql(const char *sql)
{
    char *text = imp_sql_text(sql);
    json_t *v = json_string(text);
    free(text);
    return v;
}
