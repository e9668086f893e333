#include "parse_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *closest_name(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(word);
    size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    for (size_t i = 0; i < n && candidates[i]; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (d <= limit && d < best_d) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}

void check_keys(pctx *c, const ynode *map, const char *const *allowed, const char *what)
{
    size_t n = 0;
    while (allowed[n])
        n++;
    for (size_t i = 0; i < map->n; i++) {
        const char *key = map->keys[i]->text;
        bool known = false;
        for (size_t k = 0; k < n && !known; k++)
            known = strcmp(key, allowed[k]) == 0;
        if (known)
            continue;
        const char *hint = closest_name(key, allowed, n);
        if (hint)
            gen_error(c->d, map->keys[i]->loc, "unknown key '%s' in %s (did you mean '%s'?)", key,
                      what, hint);
        else
            gen_error(c->d, map->keys[i]->loc, "unknown key '%s' in %s", key, what);
    }
}

bool expect_kind(pctx *c, const ynode *n, ynode_kind k, const char *what)
{
    if (n->kind == k)
        return true;
    gen_error(c->d, n->loc, "%s must be %s, not %s", what, ynode_kind_name(k),
              ynode_kind_name(n->kind));
    return false;
}

const char *get_text(pctx *c, const ynode *map, const char *key, bool required,
                     const char *what)
{
    const ynode *v = ymap_get(map, key);
    if (!v || ynode_is_null(v)) {
        if (required)
            gen_error(c->d, v ? v->loc : map->loc, "%s needs '%s'", what, key);
        return NULL;
    }
    char label[200];
    snprintf(label, sizeof label, "'%s' of %s", key, what);
    if (!expect_kind(c, v, Y_SCALAR, label))
        return NULL;
    return v->text;
}

bool get_bool(pctx *c, const ynode *map, const char *key, bool dflt)
{
    const ynode *v = ymap_get(map, key);
    if (!v)
        return dflt;
    if (yscalar_is(v, "true"))
        return true;
    if (yscalar_is(v, "false"))
        return false;
    gen_error(c->d, v->loc, "'%s' must be true or false", key);
    return dflt;
}

int get_int(pctx *c, const ynode *map, const char *key, int dflt, int min, int max)
{
    const ynode *v = ymap_get(map, key);
    if (!v)
        return dflt;
    char *end = NULL;
    long x = v->kind == Y_SCALAR ? strtol(v->text, &end, 10) : 0;
    if (v->kind != Y_SCALAR || end == v->text || *end || x < min || x > max) {
        gen_error(c->d, v->loc, "'%s' must be a whole number from %d to %d", key, min, max);
        return dflt;
    }
    return (int)x;
}

void get_names(pctx *c, const ynode *map, const char *key, m_names *out)
{
    memset(out, 0, sizeof *out);
    const ynode *v = ymap_get(map, key);
    if (!v || ynode_is_null(v))
        return;
    const ynode *const *items = (const ynode *const *)&v;
    size_t n = 1;
    if (v->kind == Y_SEQ) {
        items = (const ynode *const *)v->vals;
        n = v->n;
    }
    out->items = gen_alloc(c->a, (n ? n : 1) * sizeof *out->items);
    out->locs = gen_alloc(c->a, (n ? n : 1) * sizeof *out->locs);
    for (size_t i = 0; i < n; i++) {
        char label[120];
        snprintf(label, sizeof label, "an entry of '%s'", key);
        if (!expect_kind(c, items[i], Y_SCALAR, label))
            continue;
        out->items[out->n] = items[i]->text;
        out->locs[out->n++] = items[i]->loc;
    }
}

/* PostgreSQL's reserved key words (SQL Key Words appendix, "reserved" and
 * "reserved (can be function or type)"): as names they would need quoting in
 * every statement, so the schema refuses them. */
static const char *const sql_reserved[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
    "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
    "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except",
    "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group", "having",
    "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join", "lateral",
    "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not",
    "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps", "placing",
    "primary", "references", "returning", "right", "select", "session_user", "similar", "some",
    "symmetric", "system_user", "table", "tablesample", "then", "to", "trailing", "true",
    "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with",
    NULL};

/* C11 keywords and names the generated code uses itself: a column or
 * parameter with one of these names would not compile. */
static const char *const c_reserved[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false",
    "conn", "arena", "err", "out", "page", NULL};

static bool in_list(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++) /* the first byte rules out most: every name is checked */
        if (list[i][0] == name[0] && strcmp(name, list[i]) == 0)
            return true;
    return false;
}

static bool is_c_name(const char *what)
{
    return strcmp(what, "column") == 0 || strcmp(what, "parameter") == 0 ||
           strcmp(what, "argument") == 0;
}

bool check_identifier(pctx *c, const char *name, gen_loc loc, const char *what)
{
    size_t len = strlen(name);
    bool ok = len > 0 && (name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'));
    for (size_t i = 1; ok && i < len; i++)
        ok = name[i] == '_' || (name[i] >= 'a' && name[i] <= 'z') ||
             (name[i] >= '0' && name[i] <= '9');
    if (!ok) {
        gen_error(c->d, loc,
                  "%s name '%s' is not a valid SQL identifier (lower-case letters, digits "
                  "and '_', not starting with a digit)",
                  what, name);
        return false;
    }
    if (len > 63) {
        gen_error(c->d, loc,
                  "%s name '%s' is %zu bytes long; PostgreSQL identifiers are at most 63",
                  what, name, len);
        return false;
    }
    if (strcmp(what, "enum value") != 0 && in_list(name, sql_reserved)) {
        gen_error(c->d, loc, "%s name '%s' is a reserved word in PostgreSQL; choose another name",
                  what, name);
        return false;
    }
    if (is_c_name(what) && (in_list(name, c_reserved) || strncmp(name, "out_", 4) == 0 ||
                            strncmp(name, "sc_", 3) == 0)) {
        gen_error(c->d, loc,
                  "%s name '%s' would clash with a C keyword or a name of the generated code; "
                  "choose another name",
                  what, name);
        return false;
    }
    return true;
}
