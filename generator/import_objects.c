/* Enums, functions and views for `schemac import`, and the report of the
 * objects the schema language has no words for. Views come out in
 * dependency order (a view after the views it reads), then by name. */
#include "import_internal.h"

#include <stdlib.h>
#include <string.h>

void imp_build_enums(imp_ctx *x)
{
    json_t *out = json_object(), *e;
    size_t i;
    json_array_foreach(x->cat.enums, i, e) {
        const char *name = imp_str(e, "name");
        if (!imp_identifier(name)) {
            imp_report(x, "enum", name, "the name is not a lower-case SQL identifier");
            continue;
        }
        json_t *en = json_object();
        if (imp_str(e, "comment"))
            json_object_set_new(en, "comment", json_string(imp_str(e, "comment")));
        json_object_set(en, "values", json_object_get(e, "values"));
        json_object_set_new(out, name, en);
    }
    if (json_object_size(out))
        json_object_set(x->doc, "enums", out);
    json_decref(out);
}

/* ---- functions --------------------------------------------------------- */

static const char *volatility(const char *code)
{
    return code[0] == 's' ? "stable" : code[0] == 'i' ? "immutable" : "volatile";
}

/* The properties the generator's CREATE FUNCTION does not write: each one
 * a report line, the function still imported without it. */
static void function_properties(imp_ctx *x, json_t *f, const char *sig)
{
    char path[200];
    snprintf(path, sizeof path, "search_path=pg_catalog, %s", x->schema);
    const char *config = imp_str(f, "config");
    double cost = json_number_value(json_object_get(f, "cost"));
    if (!config || strcmp(config, path) != 0)
        imp_report(x, "function", sig, "SET %s (the generator pins search_path = pg_catalog, %s)",
                   config ? config : "nothing", x->schema);
    if (imp_bool(f, "strict"))
        imp_report(x, "function", sig, "STRICT");
    if (imp_bool(f, "secdef"))
        imp_report(x, "function", sig, "SECURITY DEFINER");
    if (imp_bool(f, "leakproof"))
        imp_report(x, "function", sig, "LEAKPROOF");
    if (strcmp(imp_str(f, "parallel"), "u") != 0)
        imp_report(x, "function", sig, "PARALLEL %s",
                   imp_str(f, "parallel")[0] == 's' ? "SAFE" : "RESTRICTED");
    if (cost != 100)
        imp_report(x, "function", sig, "COST %g", cost);
    json_t *rows = json_object_get(f, "rows");
    if (json_number_value(rows) != 0 && json_number_value(rows) != 1000)
        imp_report(x, "function", sig, "ROWS %g", json_number_value(rows));
}

static json_t *build_function(imp_ctx *x, json_t *f, const char *sig)
{
    const char *lang = imp_str(f, "language"), *body = imp_str(f, "body");
    size_t i;
    json_t *a, *args = json_array();
    if (strcmp(imp_str(f, "kind"), "f") != 0)
        imp_report(x, "function", sig, "procedures, aggregates and window functions are not in "
                                       "the schema language");
    else if (strcmp(lang, "plpgsql") != 0 && strcmp(lang, "sql") != 0)
        imp_report(x, "function", sig, "LANGUAGE %s (plpgsql or sql only)", lang);
    else if (imp_bool(f, "modes") || json_integer_value(json_object_get(f, "ndefaults")))
        imp_report(x, "function", sig, "OUT/INOUT/VARIADIC arguments or argument defaults");
    else if (body[0] != '\n' || body[strlen(body) - 1] != '\n')
        imp_report(x, "function", sig, "its body does not start and end with a newline (the "
                                       "generator writes AS $$<newline>body<newline>$$)");
    else {
        bool named = true;
        json_array_foreach(json_object_get(f, "args"), i, a) {
            const char *n = imp_str(a, "name");
            named = named && n && imp_identifier(n);
            json_t *arg = json_object();
            json_object_set_new(arg, "name", json_string(n ? n : ""));
            json_object_set_new(arg, "type", json_string(imp_str(a, "type")));
            json_array_append_new(args, arg);
        }
        if (!named) {
            imp_report(x, "function", sig, "an argument without a lower-case name");
        } else {
            function_properties(x, f, sig);
            json_t *out = json_object();
            if (imp_str(f, "comment"))
                json_object_set_new(out, "comment", json_string(imp_str(f, "comment")));
            json_object_set_new(out, "returns", json_string(imp_str(f, "returns")));
            if (strcmp(lang, "plpgsql") != 0)
                json_object_set_new(out, "language", json_string(lang));
            if (json_array_size(args))
                json_object_set(out, "args", args);
            if (strcmp(imp_str(f, "volatility"), "v") != 0)
                json_object_set_new(out, "volatility",
                                    json_string(volatility(imp_str(f, "volatility"))));
            json_object_set_new(out, "body", json_string(body + 1));
            json_decref(args);
            return out;
        }
    }
    json_decref(args);
    return NULL;
}

void imp_build_functions(imp_ctx *x)
{
    json_t *out = json_object(), *f;
    size_t i;
    json_array_foreach(x->cat.functions, i, f) {
        const char *name = imp_str(f, "name");
        char sig[600];
        snprintf(sig, sizeof sig, "%s(%s)", name, imp_str(f, "identity"));
        json_t *fn = NULL;
        if (!imp_identifier(name))
            imp_report(x, "function", sig, "the name is not a lower-case SQL identifier");
        else if (json_object_get(out, name))
            imp_report(x, "function", sig, "a second function named %s (overloading)", name);
        else
            fn = build_function(x, f, sig);
        if (fn)
            json_object_set_new(out, name, fn);
    }
    json_object_set(x->doc, "functions", out);
    json_decref(out);
}

/* ---- views ------------------------------------------------------------- */

/* pg_get_viewdef's text: a leading space and a closing semicolon. */
static char *view_sql(const char *def)
{
    while (*def == ' ')
        def++;
    size_t n = strlen(def);
    while (n && (def[n - 1] == ';' || def[n - 1] == '\n' || def[n - 1] == ' '))
        n--;
    char *s = malloc(n + 2);
    memcpy(s, def, n);
    memcpy(s + n, "\n", 2);
    return s;
}

/* The view's reason to be left out, or NULL. Its dependencies are placed
 * or left out already. */
static const char *view_problem(imp_ctx *x, json_t *v, json_t *placed, char *why, size_t size)
{
    const char *options = imp_str(v, "options");
    size_t i;
    json_t *u;
    if (!imp_identifier(imp_str(v, "name")))
        return "the name is not a lower-case SQL identifier";
    if (options && *options) {
        snprintf(why, size, "options (%s)", options);
        return why;
    }
    json_array_foreach(json_object_get(v, "uses"), i, u)
        if (json_object_get(x->left_out, json_string_value(u))) {
            snprintf(why, size, "it reads %s, which is left out", json_string_value(u));
            return why;
        }
    json_array_foreach(json_object_get(v, "deps"), i, u) {
        const char *d = json_string_value(u);
        if (!json_object_get(json_object_get(x->doc, "tables"), d) && !json_object_get(placed, d)) {
            snprintf(why, size, "it reads %s, which is left out or a partition", d);
            return why;
        }
    }
    return NULL;
}

static json_t *build_view(imp_ctx *x, json_t *v)
{
    json_t *out = json_object();
    const char *name = imp_str(v, "name");
    if (imp_str(v, "comment"))
        json_object_set_new(out, "comment", json_string(imp_str(v, "comment")));
    if (imp_bool(v, "materialized"))
        json_object_set_new(out, "materialized", json_true());
    if (json_array_size(json_object_get(v, "deps")))
        json_object_set(out, "depends_on", json_object_get(v, "deps"));
    char *sql = view_sql(imp_str(v, "sql"));
    json_object_set_new(out, "sql", imp_sql(sql));
    free(sql);
    if (imp_bool(v, "materialized"))
        imp_add_indexes(x, name, out);
    size_t i;
    json_t *tr;
    json_array_foreach(x->cat.triggers, i, tr)
        if (strcmp(imp_str(tr, "table"), name) == 0)
            imp_report(x, "trigger", imp_str(tr, "name"), "triggers on views (INSTEAD OF) are "
                                                          "not in the schema language");
    return out;
}

/* Whether every view v reads is placed or left out already. */
static bool deps_done(json_t *v, json_t *placed, json_t *dropped, json_t *views)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(v, "deps"), i, d) {
        const char *name = json_string_value(d);
        if (json_object_get(views, name) && !json_object_get(placed, name) &&
            !json_object_get(dropped, name))
            return false;
    }
    return true;
}

void imp_build_views(imp_ctx *x)
{
    json_t *dropped = json_object(), *placed = json_object(), *names = json_object(), *v;
    size_t i;
    json_array_foreach(x->cat.views, i, v)
        json_object_set_new(names, imp_str(v, "name"), json_true());
    /* views in dependency order; one left out leaves out the views reading it */
    while (json_object_size(placed) + json_object_size(dropped) < json_array_size(x->cat.views)) {
        bool progress = false;
        json_array_foreach(x->cat.views, i, v) {
            const char *name = imp_str(v, "name");
            char why[300];
            if (json_object_get(placed, name) || json_object_get(dropped, name) ||
                !deps_done(v, placed, dropped, names))
                continue;
            const char *problem = view_problem(x, v, placed, why, sizeof why);
            if (problem) {
                imp_report(x, imp_bool(v, "materialized") ? "materialized view" : "view", name,
                           "%s", problem);
                json_object_set_new(x->left_out, name, json_true());
                json_object_set_new(dropped, name, json_true());
            } else {
                json_object_set_new(placed, name, build_view(x, v));
            }
            progress = true;
            break;
        }
        if (!progress)
            break;
    }
    if (json_object_size(placed))
        json_object_set(x->doc, "views", placed);
    json_decref(placed);
    json_decref(dropped);
    json_decref(names);
}

void imp_report_others(imp_ctx *x)
{
    size_t i;
    json_t *o;
    json_array_foreach(x->cat.others, i, o)
        imp_report(x, imp_str(o, "kind"), imp_str(o, "name"), "%s", imp_str(o, "why"));
}

void imp_build_extensions(imp_ctx *x)
{
    if (json_array_size(x->cat.extensions))
        json_object_set(x->doc, "extensions", x->cat.extensions);
}
