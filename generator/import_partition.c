/* Partitioned tables for `schemac import`: LIST (the key computed from a
 * source column, as the DSL makes it: a CHECK "key = expression" and
 * partitions 0..count-1), HASH (MODULUS count, REMAINDER 0..count-1) and
 * RANGE (each partition listed), with a DEFAULT partition. LIST and HASH
 * partitions must follow a naming pattern ({n}, {nn} or {n:W}); the DSL has
 * no way to name them one by one. */
#include "import_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct parts {
    int count;
    const char **names;   /* by number; NULL where none has it */
    const char *dflt;
} parts;

static int width_of(int n)
{
    int w = 1;
    for (; n >= 10; n /= 10)
        w++;
    return w;
}

static void name_for(const char *pattern, int i, int count, char *out, size_t size)
{
    size_t n = 0;
    for (const char *s = pattern; *s && n + 12 < size;) {
        if (strncmp(s, "{nn}", 4) == 0) {
            n += (size_t)snprintf(out + n, size - n, "%0*d", width_of(count - 1), i);
            s += 4;
        } else if (strncmp(s, "{n}", 3) == 0) {
            n += (size_t)snprintf(out + n, size - n, "%d", i);
            s += 3;
        } else if (strncmp(s, "{n:", 3) == 0) {
            n += (size_t)snprintf(out + n, size - n, "%0*d", s[3] - '0', i);
            s += 5;
        } else {
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
}

static bool pattern_fits(const char *pattern, const parts *p)
{
    for (int i = 0; i < p->count; i++) {
        char name[200];
        name_for(pattern, i, p->count, name, sizeof name);
        if (!p->names[i] || strcmp(name, p->names[i]) != 0)
            return false;
    }
    return true;
}

/* The pattern the names follow: a run of zeros in partition 0's name
 * stands for the number; {nn} first (the count's width), then {n}, then a
 * fixed width. */
static bool find_pattern(const parts *p, char *out, size_t size)
{
    const char *first = p->names[0];
    if (!first || strchr(first, '{'))
        return false;
    for (const char *z = strchr(first, '0'); z; z = strchr(z + 1, '0')) {
        size_t w = strspn(z, "0");
        if ((z > first && z[-1] >= '0' && z[-1] <= '9') || (z[w] >= '0' && z[w] <= '9'))
            continue;
        const char *forms[3] = {"{nn}", "{n}", NULL};
        char fixed[8];
        snprintf(fixed, sizeof fixed, "{n:%zu}", w < 10 ? w : 9);
        forms[2] = fixed;
        for (int f = 0; f < 3; f++) {
            snprintf(out, size, "%.*s%s%s", (int)(z - first), first, forms[f], z + w);
            if (pattern_fits(out, p))
                return true;
        }
    }
    return false;
}

/* "FOR VALUES IN (3)" / "FOR VALUES WITH (modulus 4, remainder 3)" ->
 * the number, or -1; *modulus for HASH. */
static int bound_number(const char *bound, char by, int *modulus)
{
    int n = -1, m = -1;
    char tail;
    if (by == 'l' && sscanf(bound, "FOR VALUES IN (%d%c", &n, &tail) == 2 && tail == ')')
        return n;
    if (by == 'h' &&
        sscanf(bound, "FOR VALUES WITH (modulus %d, remainder %d%c", &m, &n, &tail) == 3 &&
        tail == ')') {
        *modulus = m;
        return n;
    }
    return -1;
}

static bool part_expressible(imp_ctx *x, const char *table, json_t *pt)
{
    const char *name = imp_str(pt, "name"), *options = imp_str(pt, "options");
    size_t i;
    json_t *o;
    bool ok = true;
    if (strcmp(imp_str(pt, "schema"), x->schema) != 0 || !imp_identifier(name)) {
        imp_report(x, "partition", name, "it is in schema %s or its name is not a lower-case SQL "
                                         "identifier", imp_str(pt, "schema"));
        return false;
    }
    if (strcmp(imp_str(pt, "kind"), "r") != 0) {
        imp_report(x, "partition", name, "it is partitioned itself (sub-partitions)");
        ok = false;
    }
    json_array_foreach(json_object_get(pt, "own"), i, o)
        imp_report(x, "partition", name, "%s of its own, not from %s", json_string_value(o), table);
    if (options && *options)
        imp_report(x, "partition", name, "storage parameters (%s)", options);
    if (imp_str(pt, "comment"))
        imp_report(x, "partition", name, "partitions carry no comment");
    return ok;
}

/* The LIST key's CHECK: "CHECK ((key = expr))" named <table>_<key>_check. */
static bool list_check(imp_ctx *x, const char *table, const char *key, json_t *out, char *name,
                       size_t size)
{
    size_t i;
    json_t *k;
    char want[128], prefix[200];
    snprintf(want, sizeof want, "%s_%s_check", table, key);
    want[63] = '\0';
    snprintf(prefix, sizeof prefix, "CHECK ((%s = ", key);
    json_array_foreach(x->cat.constraints, i, k) {
        const char *def = imp_str(k, "def");
        size_t n = strlen(def), p = strlen(prefix);
        json_t *cols = json_object_get(k, "cols");
        if (strcmp(imp_str(k, "table"), table) != 0 || strcmp(imp_str(k, "name"), want) != 0 ||
            strncmp(def, prefix, p) != 0 || n < p + 2 || strcmp(def + n - 2, "))") != 0 ||
            json_array_size(cols) != 2)
            continue;
        const char *a = json_string_value(json_array_get(cols, 0));
        const char *b = json_string_value(json_array_get(cols, 1));
        json_object_set_new(out, "source", json_string(strcmp(a, key) == 0 ? b : a));
        json_object_set_new(out, "expression", json_stringn(def + p, n - p - 2));
        snprintf(name, size, "%s", want);
        return true;
    }
    return false;
}

/* LIST and HASH: numbered partitions, count of them, named by a pattern. */
static bool numbered(imp_ctx *x, const char *table, char by, json_t *list, json_t *out)
{
    size_t n = json_array_size(list), i;
    json_t *pt;
    parts p = {0, calloc(n + 1, sizeof(char *)), NULL};
    int modulus = -1;
    bool ok = true;
    json_array_foreach(list, i, pt) {
        const char *bound = imp_str(pt, "bound");
        int m = -1, k = strcmp(bound, "DEFAULT") == 0 ? -2 : bound_number(bound, by, &m);
        if (k == -2) {
            p.dflt = imp_str(pt, "name");
            continue;
        }
        if (k < 0 || k >= (int)n || p.names[k] || (by == 'h' && modulus >= 0 && m != modulus)) {
            imp_report(x, "partitioning of", table, "partition %s: %s", imp_str(pt, "name"), bound);
            ok = false;
            break;
        }
        modulus = m;
        p.names[k] = imp_str(pt, "name");
        p.count = k + 1 > p.count ? k + 1 : p.count;
    }
    char pattern[200];
    for (int k = 0; ok && k < p.count; k++)
        ok = p.names[k] != NULL;
    if (ok && by == 'h' && modulus != p.count)
        ok = false;
    if (ok && !(p.count && find_pattern(&p, pattern, sizeof pattern))) {
        imp_report(x, "partitioning of", table, "its partitions follow no naming pattern ({n}, "
                                               "{nn}, {n:W}); the language cannot name them one by one");
        ok = false;
    }
    if (ok) {
        json_object_set_new(out, "count", json_integer(p.count));
        json_object_set_new(out, "name", json_string(pattern));
        if (p.dflt)
            json_object_set_new(out, "default", json_string(p.dflt));
    }
    free(p.names);
    return ok;
}

/* "FOR VALUES FROM (a) TO (b)" -> from a, to b. */
static bool ranges(imp_ctx *x, const char *table, json_t *list, json_t *out)
{
    size_t i;
    json_t *pt, *rs = json_array();
    json_array_foreach(list, i, pt) {
        const char *bound = imp_str(pt, "bound"), *to;
        size_t n = strlen(bound);
        if (strcmp(bound, "DEFAULT") == 0) {
            json_object_set_new(out, "default", json_string(imp_str(pt, "name")));
            continue;
        }
        if (strncmp(bound, "FOR VALUES FROM (", 17) != 0 || !(to = strstr(bound, ") TO (")) ||
            bound[n - 1] != ')') {
            imp_report(x, "partitioning of", table, "partition %s: %s", imp_str(pt, "name"), bound);
            json_decref(rs);
            return false;
        }
        json_t *r = json_object();
        json_object_set_new(r, "name", json_string(imp_str(pt, "name")));
        json_object_set_new(r, "from", json_stringn(bound + 17, (size_t)(to - bound - 17)));
        json_object_set_new(r, "to", json_stringn(to + 6, (size_t)(bound + n - 1 - to - 6)));
        json_array_append_new(rs, r);
    }
    json_object_set_new(out, "ranges", rs);
    return true;
}

json_t *imp_build_partition(imp_ctx *x, json_t *t, char *key_check, size_t size)
{
    const char *strategy = imp_str(t, "strategy"), *table = imp_str(t, "name");
    const char *key = imp_str(t, "key");
    key_check[0] = '\0';
    if (!strategy)
        return NULL;
    if (json_integer_value(json_object_get(t, "natts")) != 1 || !key) {
        imp_report(x, "partitioning of", table, "PARTITION BY %s: the key must be one column; "
                                               "imported as a plain table", imp_str(t, "keydef"));
        return NULL;
    }
    json_t *list = json_object_get(t, "parts"), *pt;
    size_t i;
    bool ok = true;
    json_array_foreach(list, i, pt)
        ok = part_expressible(x, table, pt) && ok;
    json_t *out = json_object();
    static const char *const by[] = {"list", "hash", "range"};
    int which = strategy[0] == 'l' ? 0 : strategy[0] == 'h' ? 1 : 2;
    json_object_set_new(out, "by", json_string(by[which]));
    json_object_set_new(out, "key", json_string(key));
    if (ok && which == 0 && !list_check(x, table, key, out, key_check, size)) {
        imp_report(x, "partitioning of", table, "LIST partitioning needs the CHECK constraint "
                                               "%s_%s_check (%s = expression) the language makes",
                   table, key, key);
        ok = false;
    }
    if (ok)
        ok = which == 2 ? ranges(x, table, list, out) : numbered(x, table, strategy[0], list, out);
    if (!ok) {
        key_check[0] = '\0';
        imp_report(x, "partitioning of", table, "imported as a plain table");
        json_decref(out);
        return NULL;
    }
    return out;
}
