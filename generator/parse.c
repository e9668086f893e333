/* YAML tree -> model. This file checks shape (keys, kinds, values of closed
 * sets, identifiers); validate.c checks meaning (references, partitioning,
 * scoping, query parameters).
 *
 * Grammar (see docs/dsl.md for the meaning of each key):
 *   schema:    identifier
 *   prefix:    identifier
 *   enums:     { name: { values: [v...], transitions: { v: [v...] }, comment, renamed_from,
 *                        removed: { old: new }, renamed_values: { new: old } } }
 *   functions: { name: { returns, language, args: [{name, type}], volatility, body, comment } }
 *   tables:    { name: { columns: { name: type | { type, ... } }, primary_key, unique,
 *                        checks, foreign_keys, indexes, partition, triggers, scope,
 *                        operations, comment, renamed_from } }
 *   views:     { name: { sql, materialized, depends_on, indexes, comment } }
 *   queries:   { table: { name: { returns, sql, params, columns, paginate,
 *                                 all_partitions, unscoped, replica, batch, comment } } }
 *   lint_waivers: [{ rule, object, reason }]
 */
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "output.h"
#include "parse_util.h"
#include "qtest.h"

/* Iterates a mapping's entries, checking each name is an identifier. */
#define FOR_EACH_ENTRY(map, i) for (size_t i = 0; i < (map)->n; i++)

static void *alloc_array(pctx *c, size_t n, size_t size)
{
    return gen_alloc(c->a, (n ? n : 1) * size);
}

static m_fk_action parse_fk_action(pctx *c, const ynode *map, const char *key)
{
    static const char *const names[] = {"no action", "cascade", "set null", "set default",
                                        "restrict"};
    const char *v = get_text(c, map, key, false, "a foreign key");
    if (!v)
        return FK_NO_ACTION;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(v, names[i]) == 0)
            return (m_fk_action)i;
    gen_error(c->d, ymap_get(map, key)->loc,
              "'%s' must be one of cascade, set null, set default, restrict, no action; "
              "not '%s'",
              key, v);
    return FK_NO_ACTION;
}

static void parse_type(pctx *c, const ynode *n, m_type *out)
{
    if (!expect_kind(c, n, Y_SCALAR, "a column type"))
        return;
    if (!m_type_parse(n->text, out)) {
        const char *hint = closest_name(n->text, m_type_names(), (size_t)-1);
        if (hint)
            gen_error(c->d, n->loc, "unknown column type '%s' (did you mean '%s'?)", n->text,
                      hint);
        else
            gen_error(c->d, n->loc, "unknown column type '%s'", n->text);
        out->kind = T_TEXT;
        return;
    }
    if (out->kind == T_ENUM) {
        char *name = gen_strdup(c->a, n->text);
        char *bracket = strchr(name, '[');
        if (bracket)
            *bracket = '\0';
        out->enum_name = name;
    }
}

/* ---- enums ---------------------------------------------------------- */

static size_t enum_value_index(const m_enum *e, const char *v)
{
    for (size_t i = 0; i < e->values.n; i++)
        if (strcmp(e->values.items[i], v) == 0)
            return i;
    return (size_t)-1;
}

static void parse_transitions(pctx *c, m_enum *e, const ynode *tr)
{
    if (!tr || !expect_kind(c, tr, Y_MAP, "'transitions'"))
        return;
    e->transitions = alloc_array(c, tr->n, sizeof *e->transitions);
    FOR_EACH_ENTRY(tr, i) {
        m_transition *t = &e->transitions[e->ntransitions++];
        t->loc = tr->keys[i]->loc;
        t->from = enum_value_index(e, tr->keys[i]->text);
        if (t->from == (size_t)-1)
            gen_error(c->d, t->loc, "transition from '%s', which is not a value of enum '%s'",
                      tr->keys[i]->text, e->name);
        const ynode *to = tr->vals[i];
        const ynode *const *items = (const ynode *const *)&tr->vals[i];
        size_t n = 1;
        if (to->kind == Y_SEQ) {
            items = (const ynode *const *)to->vals;
            n = to->n;
        }
        t->to = alloc_array(c, n, sizeof *t->to);
        for (size_t k = 0; k < n; k++) {
            if (!expect_kind(c, items[k], Y_SCALAR, "a transition target"))
                continue;
            size_t idx = enum_value_index(e, items[k]->text);
            if (idx == (size_t)-1)
                gen_error(c->d, items[k]->loc,
                          "transition to '%s', which is not a value of enum '%s'",
                          items[k]->text, e->name);
            else
                t->to[t->nto++] = idx;
        }
    }
}

/* removed: {old: new} and renamed_values: {new: old}: the value on the
 * right (removed) or left (renamed_values) must be a current value; the
 * other side names a value of the previous migration's snapshot. */
static size_t parse_value_map(pctx *c, const m_enum *e, const ynode *m, const char *key,
                              const char ***keys, const char ***vals)
{
    if (!m || ynode_is_null(m))
        return 0;
    char label[64];
    snprintf(label, sizeof label, "'%s'", key);
    if (!expect_kind(c, m, Y_MAP, label))
        return 0;
    *keys = alloc_array(c, m->n, sizeof **keys);
    *vals = alloc_array(c, m->n, sizeof **vals);
    bool removed = strcmp(key, "removed") == 0;
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!expect_kind(c, m->vals[i], Y_SCALAR, label))
            continue;
        const ynode *current = removed ? m->vals[i] : m->keys[i];
        if (enum_value_index(e, current->text) == (size_t)-1)
            gen_error(c->d, current->loc, "%s of enum '%s' names '%s', which is not a value of it",
                      label, e->name, current->text);
        (*keys)[n] = m->keys[i]->text;
        (*vals)[n++] = m->vals[i]->text;
    }
    return n;
}

static void parse_enum(pctx *c, m_enum *e, const ynode *key, const ynode *v)
{
    e->name = key->text;
    e->loc = key->loc;
    check_identifier(c, e->name, key->loc, "enum");
    if (!expect_kind(c, v, Y_MAP, "an enum"))
        return;
    check_keys(c, v, gen_known_keys(GK_ENUM), "an enum");
    const char *enforce = get_text(c, v, "enforce", false, "an enum");
    if (enforce && strcmp(enforce, "database") != 0 && strcmp(enforce, "generated") != 0)
        gen_error(c->d, ymap_get(v, "enforce")->loc,
                  "'enforce' must be database or generated, not '%s'", enforce);
    e->enforce_database = enforce && strcmp(enforce, "database") == 0;
    if (e->enforce_database && !ymap_get(v, "transitions"))
        gen_error(c->d, ymap_get(v, "enforce")->loc,
                  "enum '%s' has 'enforce: database' but no 'transitions' to enforce", e->name);
    e->comment = get_text(c, v, "comment", false, "an enum");
    e->renamed_from = get_text(c, v, "renamed_from", false, "an enum");
    get_names(c, v, "values", &e->values);
    if (e->values.n == 0)
        gen_error(c->d, key->loc, "enum '%s' needs at least one value in 'values'", e->name);
    for (size_t i = 0; i < e->values.n; i++) {
        check_identifier(c, e->values.items[i], e->values.locs[i], "enum value");
        for (size_t k = 0; k < i; k++)
            if (strcmp(e->values.items[i], e->values.items[k]) == 0)
                gen_error(c->d, e->values.locs[i],
                          "duplicate value '%s' in enum '%s' (first at line %d, column %d)",
                          e->values.items[i], e->name, e->values.locs[k].line,
                          e->values.locs[k].col);
    }
    parse_transitions(c, e, ymap_get(v, "transitions"));
    e->nremoved = parse_value_map(c, e, ymap_get(v, "removed"), "removed", &e->removed_old,
                                  &e->removed_new);
    e->nrenamed = parse_value_map(c, e, ymap_get(v, "renamed_values"), "renamed_values",
                                  &e->renamed_new, &e->renamed_old);
    for (size_t i = 0; i < e->nremoved; i++)
        if (enum_value_index(e, e->removed_old[i]) != (size_t)-1)
            gen_error(c->d, e->loc, "enum '%s': removed value '%s' is still in 'values'",
                      e->name, e->removed_old[i]);
}

/* ---- functions ------------------------------------------------------ */

static void parse_function(pctx *c, m_function *f, const ynode *key, const ynode *v)
{
    f->name = key->text;
    f->loc = key->loc;
    check_identifier(c, f->name, key->loc, "function");
    if (!expect_kind(c, v, Y_MAP, "a function"))
        return;
    check_keys(c, v, gen_known_keys(GK_FUNCTION), "a function");
    f->returns = get_text(c, v, "returns", true, "a function");
    f->language = get_text(c, v, "language", false, "a function");
    f->volatility = get_text(c, v, "volatility", false, "a function");
    f->body = get_text(c, v, "body", true, "a function");
    f->comment = get_text(c, v, "comment", false, "a function");
    if (!f->language)
        f->language = "plpgsql";
    if (strcmp(f->language, "plpgsql") != 0 && strcmp(f->language, "sql") != 0)
        gen_error(c->d, ymap_get(v, "language")->loc,
                  "'language' must be plpgsql or sql, not '%s'", f->language);
    if (!f->volatility)
        f->volatility = "volatile";
    if (strcmp(f->volatility, "volatile") != 0 && strcmp(f->volatility, "stable") != 0 &&
        strcmp(f->volatility, "immutable") != 0)
        gen_error(c->d, ymap_get(v, "volatility")->loc,
                  "'volatility' must be volatile, stable or immutable, not '%s'", f->volatility);
    const ynode *args = ymap_get(v, "args");
    if (!args || !expect_kind(c, args, Y_SEQ, "'args'"))
        return;
    f->args = alloc_array(c, args->n, sizeof *f->args);
    for (size_t i = 0; i < args->n; i++) {
        const ynode *a = args->vals[i];
        if (!expect_kind(c, a, Y_MAP, "a function argument"))
            continue;
        check_keys(c, a, gen_known_keys(GK_FUNCTION_ARG), "a function argument");
        m_arg *arg = &f->args[f->nargs++];
        arg->name = get_text(c, a, "name", true, "a function argument");
        arg->type = get_text(c, a, "type", true, "a function argument");
        if (arg->name)
            check_identifier(c, arg->name, ymap_get(a, "name")->loc, "argument");
    }
}

/* ---- tables --------------------------------------------------------- */

/* `c_type: text`: a type schemac does not know (an extension's) travels as
 * its text form (char *), read through a ::text cast. */
static void parse_c_type(pctx *c, const ynode *v, m_type *type)
{
    const char *ctype = get_text(c, v, "c_type", false, "a column");
    if (!ctype)
        return;
    gen_loc loc = ymap_get(v, "c_type")->loc;
    if (strcmp(ctype, "text") != 0)
        gen_error(c->d, loc, "'c_type' must be text, not '%s'", ctype);
    else if (type->kind == T_ENUM || type->kind == T_TEXTMAP)
        type->kind = T_TEXTMAP;
    else
        gen_error(c->d, loc, "'c_type: text' is for types schemac does not map itself; '%s' has "
                  "a C form of its own", m_type_sql(c->a, type));
}

static void parse_column(pctx *c, m_table *t, m_column *col, const ynode *key, const ynode *v)
{
    col->name = key->text;
    col->loc = key->loc;
    col->table = t;
    check_identifier(c, col->name, key->loc, "column");
    if (v->kind == Y_SCALAR) { /* shorthand: "name: text" */
        col->type_loc = v->loc;
        parse_type(c, v, &col->type);
        return;
    }
    if (!expect_kind(c, v, Y_MAP, "a column"))
        return;
    check_keys(c, v, gen_known_keys(GK_COLUMN), "a column");
    const ynode *type = ymap_get(v, "type");
    if (!type) {
        gen_error(c->d, key->loc, "column '%s' needs a 'type'", col->name);
    } else {
        col->type_loc = type->loc;
        parse_type(c, type, &col->type);
    }
    col->nullable = get_bool(c, v, "nullable", false);
    col->primary_key = get_bool(c, v, "primary_key", false);
    col->unique = get_bool(c, v, "unique", false);
    col->secret = get_bool(c, v, "secret", false);
    col->server_written = get_bool(c, v, "server_written", false);
    const char *format = get_text(c, v, "format", false, "a column");
    if (format && strcmp(format, "uuid") != 0)
        gen_error(c->d, ymap_get(v, "format")->loc, "'format' must be uuid, not '%s'", format);
    col->uuid_text = format != NULL;
    parse_c_type(c, v, &col->type);
    col->default_sql = get_text(c, v, "default", false, "a column");
    col->check = get_text(c, v, "check", false, "a column");
    col->generated = get_text(c, v, "generated", false, "a column");
    col->comment = get_text(c, v, "comment", false, "a column");
    col->renamed_from = get_text(c, v, "renamed_from", false, "a column");
    col->backfill = get_text(c, v, "backfill", false, "a column");
    col->references = get_text(c, v, "references", false, "a column");
    if (col->references)
        col->references_loc = ymap_get(v, "references")->loc;
    col->on_delete = parse_fk_action(c, v, "on_delete");
    col->on_update = parse_fk_action(c, v, "on_update");
    col->same_scope = get_bool(c, v, "same_scope", false);
    if (col->same_scope)
        col->same_scope_loc = ymap_get(v, "same_scope")->loc;
    if (!col->references && (ymap_get(v, "on_delete") || ymap_get(v, "on_update")))
        gen_error(c->d, (ymap_get(v, "on_delete") ? ymap_get(v, "on_delete")
                                                  : ymap_get(v, "on_update"))->loc,
                  "column '%s' has on_delete/on_update but no 'references'", col->name);
}

static void parse_columns(pctx *c, m_table *t, const ynode *cols)
{
    if (!cols) {
        gen_error(c->d, t->loc, "table '%s' needs 'columns'", t->name);
        return;
    }
    if (!expect_kind(c, cols, Y_MAP, "'columns'"))
        return;
    if (cols->n == 0)
        gen_error(c->d, cols->loc, "table '%s' has no columns", t->name);
    t->columns = alloc_array(c, cols->n, sizeof *t->columns);
    FOR_EACH_ENTRY(cols, i)
        parse_column(c, t, &t->columns[t->ncolumns++], cols->keys[i], cols->vals[i]);
}

/* A list of mappings under key; calls fn for each. */
static const ynode *list_of_maps(pctx *c, const ynode *map, const char *key)
{
    const ynode *v = ymap_get(map, key);
    if (!v || ynode_is_null(v))
        return NULL;
    char label[64];
    snprintf(label, sizeof label, "'%s'", key);
    return expect_kind(c, v, Y_SEQ, label) ? v : NULL;
}

static const char *optional_name(pctx *c, const ynode *m, const char *what)
{
    const char *name = get_text(c, m, "name", false, what);
    if (name)
        check_identifier(c, name, ymap_get(m, "name")->loc, what);
    return name;
}

static void parse_uniques(pctx *c, m_table *t, const ynode *table)
{
    const ynode *list = list_of_maps(c, table, "unique");
    if (!list)
        return;
    t->uniques = alloc_array(c, list->n, sizeof *t->uniques);
    for (size_t i = 0; i < list->n; i++) {
        const ynode *m = list->vals[i];
        if (!expect_kind(c, m, Y_MAP, "a unique constraint"))
            continue;
        check_keys(c, m, gen_known_keys(GK_UNIQUE), "a unique constraint");
        m_unique *u = &t->uniques[t->nuniques++];
        u->loc = m->loc;
        u->name = optional_name(c, m, "constraint");
        get_names(c, m, "columns", &u->columns);
        if (!u->columns.n)
            gen_error(c->d, m->loc, "a unique constraint needs 'columns'");
    }
}

static void parse_checks(pctx *c, m_table *t, const ynode *table)
{
    const ynode *list = list_of_maps(c, table, "checks");
    if (!list)
        return;
    t->checks = alloc_array(c, list->n, sizeof *t->checks);
    for (size_t i = 0; i < list->n; i++) {
        const ynode *m = list->vals[i];
        if (!expect_kind(c, m, Y_MAP, "a check constraint"))
            continue;
        check_keys(c, m, gen_known_keys(GK_CHECK), "a check constraint");
        m_check *k = &t->checks[t->nchecks++];
        k->loc = m->loc;
        k->name = optional_name(c, m, "constraint");
        k->expr = get_text(c, m, "expr", true, "a check constraint");
    }
}

static void parse_fks(pctx *c, m_table *t, const ynode *table)
{
    const ynode *list = list_of_maps(c, table, "foreign_keys");
    if (!list)
        return;
    t->fks = alloc_array(c, list->n, sizeof *t->fks);
    for (size_t i = 0; i < list->n; i++) {
        const ynode *m = list->vals[i];
        if (!expect_kind(c, m, Y_MAP, "a foreign key"))
            continue;
        check_keys(c, m, gen_known_keys(GK_FOREIGN_KEY), "a foreign key");
        m_fk *fk = &t->fks[t->nfks++];
        fk->loc = m->loc;
        fk->name = optional_name(c, m, "constraint");
        get_names(c, m, "columns", &fk->columns);
        fk->ref_table = get_text(c, m, "references", true, "a foreign key");
        if (fk->ref_table)
            fk->ref_table_loc = ymap_get(m, "references")->loc;
        get_names(c, m, "ref_columns", &fk->ref_columns);
        fk->on_delete = parse_fk_action(c, m, "on_delete");
        fk->on_update = parse_fk_action(c, m, "on_update");
        if (!fk->columns.n)
            gen_error(c->d, m->loc, "a foreign key needs 'columns'");
    }
}

static void parse_index(pctx *c, m_index *ix, const ynode *m)
{
    static const char *const methods[] = {"btree", "gin", "gist", "brin", "hash", "spgist",
                                         "ivfflat", "hnsw", NULL};
    ix->loc = m->loc;
    check_keys(c, m, gen_known_keys(GK_INDEX), "an index");
    ix->name = optional_name(c, m, "index");
    m_names cols;
    get_names(c, m, "columns", &cols);
    ix->ncols = cols.n;
    ix->cols = alloc_array(c, cols.n, sizeof *ix->cols);
    ix->col_locs = alloc_array(c, cols.n, sizeof *ix->col_locs);
    for (size_t k = 0; k < cols.n; k++)
        gen_parse_index_column(c, ix, k, cols.items[k], cols.locs[k]);
    ix->expression = get_text(c, m, "expression", false, "an index");
    ix->where = get_text(c, m, "where", false, "an index");
    ix->method = get_text(c, m, "method", false, "an index");
    get_names(c, m, "include", &ix->include);
    gen_parse_index_with(c, ix, m);
    ix->unique = get_bool(c, m, "unique", false);
    ix->concurrently = get_bool(c, m, "concurrently", false);
    if (!ix->ncols == !ix->expression)
        gen_error(c->d, m->loc, "an index needs either 'columns' or 'expression' (not both)");
    if (!ix->method) {
        ix->method = "btree";
    } else {
        bool known = false;
        for (size_t i = 0; methods[i] && !known; i++)
            known = strcmp(ix->method, methods[i]) == 0;
        if (!known)
            gen_error(c->d, ymap_get(m, "method")->loc,
                      "index method must be btree, gin, gist, brin, hash, spgist, ivfflat or hnsw, "
                      "not '%s'",
                      ix->method);
    }
}

static void parse_indexes(pctx *c, const ynode *owner, m_index **out, size_t *n)
{
    const ynode *list = list_of_maps(c, owner, "indexes");
    if (!list)
        return;
    *out = alloc_array(c, list->n, sizeof **out);
    for (size_t i = 0; i < list->n; i++)
        if (expect_kind(c, list->vals[i], Y_MAP, "an index"))
            parse_index(c, &(*out)[(*n)++], list->vals[i]);
}

static void parse_ranges(pctx *c, m_partition *p, const ynode *m)
{
    const ynode *list = list_of_maps(c, m, "ranges");
    if (!list)
        return;
    p->ranges = alloc_array(c, list->n, sizeof *p->ranges);
    for (size_t i = 0; i < list->n; i++) {
        const ynode *r = list->vals[i];
        if (!expect_kind(c, r, Y_MAP, "a range partition"))
            continue;
        check_keys(c, r, gen_known_keys(GK_RANGE), "a range partition");
        m_range *rg = &p->ranges[p->nranges++];
        rg->loc = r->loc;
        rg->name = get_text(c, r, "name", true, "a range partition");
        rg->from = get_text(c, r, "from", true, "a range partition");
        rg->to = get_text(c, r, "to", true, "a range partition");
        if (rg->name)
            check_identifier(c, rg->name, ymap_get(r, "name")->loc, "partition");
    }
}

static void parse_partition(pctx *c, m_table *t, const ynode *m)
{
    if (!m || !expect_kind(c, m, Y_MAP, "'partition'"))
        return;
    check_keys(c, m, gen_known_keys(GK_PARTITION), "'partition'");
    m_partition *p = t->partition = gen_alloc(c->a, sizeof *p);
    p->loc = m->loc;
    p->count_env = get_text(c, m, "count_env", false, "'partition'");
    const char *by = get_text(c, m, "by", true, "'partition'");
    if (by && strcmp(by, "list") == 0)
        p->by = PART_LIST;
    else if (by && strcmp(by, "hash") == 0)
        p->by = PART_HASH;
    else if (by && strcmp(by, "range") == 0)
        p->by = PART_RANGE;
    else if (by)
        gen_error(c->d, ymap_get(m, "by")->loc, "'by' must be list, hash or range, not '%s'", by);
    p->key = get_text(c, m, "key", true, "'partition'");
    if (p->key)
        p->key_loc = ymap_get(m, "key")->loc;
    p->source = get_text(c, m, "source", false, "'partition'");
    if (p->source)
        p->source_loc = ymap_get(m, "source")->loc;
    p->expression = get_text(c, m, "expression", false, "'partition'");
    p->count = get_int(c, m, "count", 0, 1, 1000);
    p->name_pattern = get_text(c, m, "name", false, "'partition'");
    p->default_name = get_text(c, m, "default", false, "'partition'");
    parse_ranges(c, p, m);
}

static void parse_trigger(pctx *c, m_trigger *tr, const ynode *m)
{
    static const char *const events[] = {"insert", "update", "delete", "truncate"};
    tr->loc = m->loc;
    check_keys(c, m, gen_known_keys(GK_TRIGGER), "a trigger");
    tr->name = get_text(c, m, "name", true, "a trigger");
    if (tr->name)
        check_identifier(c, tr->name, ymap_get(m, "name")->loc, "trigger");
    tr->function = get_text(c, m, "function", true, "a trigger");
    if (tr->function)
        tr->function_loc = ymap_get(m, "function")->loc;
    tr->timing = get_text(c, m, "timing", true, "a trigger");
    if (tr->timing && strcmp(tr->timing, "before") != 0 && strcmp(tr->timing, "after") != 0 &&
        strcmp(tr->timing, "instead of") != 0)
        gen_error(c->d, ymap_get(m, "timing")->loc,
                  "'timing' must be before, after or instead of, not '%s'", tr->timing);
    m_names ev;
    get_names(c, m, "events", &ev);
    if (!ev.n)
        gen_error(c->d, m->loc, "a trigger needs 'events'");
    for (size_t i = 0; i < ev.n; i++) {
        unsigned bit = 0;
        for (size_t k = 0; k < 4; k++)
            if (strcmp(ev.items[i], events[k]) == 0)
                bit = 1u << k;
        if (!bit)
            gen_error(c->d, ev.locs[i],
                      "trigger event must be insert, update, delete or truncate, not '%s'",
                      ev.items[i]);
        tr->events |= bit;
    }
    get_names(c, m, "columns", &tr->columns);
    const char *each = get_text(c, m, "for_each", false, "a trigger");
    tr->for_each_row = !each || strcmp(each, "row") == 0;
    if (each && strcmp(each, "row") != 0 && strcmp(each, "statement") != 0)
        gen_error(c->d, ymap_get(m, "for_each")->loc,
                  "'for_each' must be row or statement, not '%s'", each);
    tr->when = get_text(c, m, "when", false, "a trigger");
}

static unsigned parse_operations(pctx *c, const ynode *table)
{
    static const char *const ops[] = {"create", "get", "update", "delete", "list"};
    const ynode *v = ymap_get(table, "operations");
    if (!v)
        return OP_ALL;
    m_names names;
    get_names(c, table, "operations", &names);
    unsigned mask = 0;
    for (size_t i = 0; i < names.n; i++) {
        unsigned bit = 0;
        for (size_t k = 0; k < 5; k++)
            if (strcmp(names.items[i], ops[k]) == 0)
                bit = 1u << k;
        if (!bit)
            gen_error(c->d, names.locs[i],
                      "operation must be create, get, update, delete or list, not '%s'",
                      names.items[i]);
        mask |= bit;
    }
    return mask;
}

static void parse_distribution(pctx *c, m_table *t, const ynode *v)
{
    t->reference = get_bool(c, v, "reference", false);
    const ynode *d = ymap_get(v, "distribution");
    if (!d || !expect_kind(c, d, Y_MAP, "'distribution'"))
        return;
    check_keys(c, d, gen_known_keys(GK_DISTRIBUTION), "'distribution'");
    t->dist_loc = d->loc;
    t->dist_column = get_text(c, d, "column", true, "'distribution'");
    t->colocate_with = get_text(c, d, "colocate_with", false, "'distribution'");
    if (t->reference)
        gen_error(c->d, d->loc, "table '%s' is either distributed or a reference table, not both",
                  t->name);
}

static void parse_table(pctx *c, m_table *t, const ynode *key, const ynode *v)
{
    t->name = key->text;
    t->loc = key->loc;
    check_identifier(c, t->name, key->loc, "table");
    if (!expect_kind(c, v, Y_MAP, "a table"))
        return;
    check_keys(c, v, gen_known_keys(GK_TABLE), "a table");
    t->comment = get_text(c, v, "comment", false, "a table");
    t->renamed_from = get_text(c, v, "renamed_from", false, "a table");
    t->singular = get_text(c, v, "singular", false, "a table");
    if (t->singular)
        check_identifier(c, t->singular, ymap_get(v, "singular")->loc, "singular name");
    t->scope = get_text(c, v, "scope", false, "a table");
    if (t->scope)
        t->scope_loc = ymap_get(v, "scope")->loc;
    t->operations = parse_operations(c, v);
    parse_distribution(c, t, v);
    const ynode *audit = ymap_get(v, "audit");
    if (audit && expect_kind(c, audit, Y_MAP, "'audit'")) {
        check_keys(c, audit, gen_known_keys(GK_AUDIT), "'audit'");
        t->audit.into = get_text(c, audit, "into", true, "'audit'");
        t->audit.key = get_text(c, audit, "key", true, "'audit'");
        t->audit.from = get_text(c, audit, "from", false, "'audit'");
        t->audit.loc = audit->loc;
        if (!t->audit.from)
            t->audit.from = t->audit.key;
    }
    parse_columns(c, t, ymap_get(v, "columns"));
    gen_parse_versioned(c, t, ymap_get(v, "versioned"));
    get_names(c, v, "primary_key", &t->primary_key);
    parse_uniques(c, t, v);
    parse_checks(c, t, v);
    parse_fks(c, t, v);
    parse_indexes(c, v, &t->indexes, &t->nindexes);
    parse_partition(c, t, ymap_get(v, "partition"));
    const ynode *trs = list_of_maps(c, v, "triggers");
    if (trs) {
        t->triggers = alloc_array(c, trs->n, sizeof *t->triggers);
        for (size_t i = 0; i < trs->n; i++)
            if (expect_kind(c, trs->vals[i], Y_MAP, "a trigger"))
                parse_trigger(c, &t->triggers[t->ntriggers++], trs->vals[i]);
    }
}

/* ---- views ---------------------------------------------------------- */

static void parse_view(pctx *c, m_view *w, const ynode *key, const ynode *v)
{
    w->name = key->text;
    w->loc = key->loc;
    check_identifier(c, w->name, key->loc, "view");
    if (!expect_kind(c, v, Y_MAP, "a view"))
        return;
    check_keys(c, v, gen_known_keys(GK_VIEW), "a view");
    w->sql = get_text(c, v, "sql", true, "a view");
    w->comment = get_text(c, v, "comment", false, "a view");
    w->materialized = get_bool(c, v, "materialized", false);
    get_names(c, v, "depends_on", &w->depends_on);
    parse_indexes(c, v, &w->indexes, &w->nindexes);
    if (w->nindexes && !w->materialized)
        gen_error(c->d, ymap_get(v, "indexes")->loc,
                  "view '%s' has indexes but is not materialized", w->name);
}

/* ---- queries -------------------------------------------------------- */

static m_returns parse_returns(pctx *c, const ynode *m)
{
    static const char *const shapes[] = {"one", "many", "exec", "execrows", "count", "copy",
                                         "upsert"};
    const char *r = get_text(c, m, "returns", true, "a query");
    if (!r)
        return RET_EXEC;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (strcmp(r, shapes[i]) == 0)
            return (m_returns)i;
    gen_error(c->d, ymap_get(m, "returns")->loc,
              "'returns' must be one, many, exec, execrows, count, copy or upsert, not '%s'", r);
    return RET_EXEC;
}

static void parse_paginate(pctx *c, m_query *q, const ynode *p)
{
    if (!p)
        return;
    if (yscalar_is(p, "offset")) {
        q->paginate = PAGE_OFFSET;
        return;
    }
    if (p->kind == Y_MAP && ymap_get(p, "keyset")) {
        check_keys(c, p, gen_known_keys(GK_PAGINATE), "'paginate'");
        q->paginate = PAGE_KEYSET;
        get_names(c, p, "keyset", &q->keyset);
        if (!q->keyset.n)
            gen_error(c->d, p->loc, "'keyset' needs the columns of the sort order");
        return;
    }
    gen_error(c->d, p->loc, "'paginate' must be offset or { keyset: [columns] }");
}

static void parse_declared_types(pctx *c, const ynode *m, const char *key, m_result_col **out,
                                 size_t *n)
{
    const ynode *v = ymap_get(m, key);
    if (!v || !expect_kind(c, v, Y_MAP, key[0] == 'p' ? "'params'" : "'columns'"))
        return;
    *out = alloc_array(c, v->n, sizeof **out);
    FOR_EACH_ENTRY(v, i) {
        m_result_col *rc = &(*out)[(*n)++];
        rc->name = v->keys[i]->text;
        rc->loc = v->keys[i]->loc;
        check_identifier(c, rc->name, rc->loc, key[0] == 'p' ? "parameter" : "column");
        const ynode *spec = v->vals[i];
        if (spec->kind == Y_MAP) {
            const char *what = key[0] == 'p' ? "a parameter" : "a result column";
            check_keys(c, spec, gen_known_keys(GK_DECLARED_TYPE), what);
            rc->nullable = get_bool(c, spec, "nullable", false);
            spec = ymap_get(spec, "type");
            if (!spec) {
                gen_error(c->d, rc->loc, "%s '%s' needs a 'type'", what + 2, rc->name);
                continue;
            }
        }
        parse_type(c, spec, &rc->type);
    }
}

/* replica: never keeps a read on the primary whatever token its caller
 * holds; reads may go to a replica otherwise, so "never" is the only value. */
static void parse_replica(pctx *c, m_query *q, const ynode *v)
{
    if (!v)
        return;
    if (v->kind != Y_SCALAR || strcmp(v->text, "never") != 0) {
        gen_error(c->d, v->loc, "replica must be 'never' (reads may go to a replica unless "
                                "a query says so)");
        return;
    }
    q->primary_only = true;
}

static void parse_query(pctx *c, m_query *q, m_table *t, const ynode *key, const ynode *v,
                        declared_params *dp)
{
    q->name = key->text;
    q->loc = key->loc;
    q->table = t;
    check_identifier(c, q->name, key->loc, "query");
    if (!expect_kind(c, v, Y_MAP, "a query"))
        return;
    check_keys(c, v, gen_known_keys(GK_QUERY), "a query");
    q->access = get_text(c, v, "access", false, "a query");
    q->hide_existence = get_bool(c, v, "not_found_hides_existence", false);
    q->returns = parse_returns(c, v);
    q->comment = get_text(c, v, "comment", false, "a query");
    q->all_partitions = get_text(c, v, "all_partitions", false, "a query");
    q->unscoped = get_text(c, v, "unscoped", false, "a query");
    parse_replica(c, q, ymap_get(v, "replica"));
    q->fanout = get_text(c, v, "fanout", false, "a query");
    q->untested = get_text(c, v, "untested", false, "a query");
    q->batch = get_int(c, v, "batch", 10000, 1, 10000);
    parse_paginate(c, q, ymap_get(v, "paginate"));
    gen_parse_query_settings(c, q, v);
    parse_declared_types(c, v, "params", &dp->items, &dp->n);
    if (q->returns == RET_UPSERT) {
        get_names(c, v, "columns", &q->copy_columns);
        get_names(c, v, "conflict", &q->conflict);
        get_names(c, v, "update", &q->update);
        if (!q->copy_columns.n || !q->conflict.n)
            gen_error(c->d, key->loc, "upsert query '%s' needs 'columns' (the columns to write) "
                                      "and 'conflict' (the unique key that decides insert or update)",
                      q->name);
        if (ymap_get(v, "sql"))
            gen_error(c->d, ymap_get(v, "sql")->loc,
                      "upsert query '%s' is generated from its columns and takes no 'sql'", q->name);
        return;
    }
    if (q->returns == RET_COPY) {
        get_names(c, v, "columns", &q->copy_columns);
        if (!q->copy_columns.n)
            gen_error(c->d, key->loc, "copy query '%s' needs 'columns' (the columns to load)",
                      q->name);
        if (ymap_get(v, "sql"))
            gen_error(c->d, ymap_get(v, "sql")->loc,
                      "copy query '%s' loads its table with COPY and takes no 'sql'", q->name);
        return;
    }
    parse_declared_types(c, v, "columns", &q->columns, &q->ncolumns);
    q->sql = get_text(c, v, "sql", true, "a query");
    if (q->sql)
        q->sql_loc = ymap_get(v, "sql")->loc;
    if (q->access || ymap_get(v, "not_found_hides_existence"))
        gen_access_select(c, q, ymap_get(v, "access") ? ymap_get(v, "access")->loc : key->loc);
}

static void parse_queries(pctx *c, const ynode *qs, query_decls **decls, size_t *ndecls)
{
    if (!qs || !expect_kind(c, qs, Y_MAP, "'queries'"))
        return;
    size_t total = 0;
    FOR_EACH_ENTRY(qs, i)
        total += qs->vals[i]->kind == Y_MAP ? qs->vals[i]->n : 0;
    *decls = alloc_array(c, total, sizeof **decls);
    FOR_EACH_ENTRY(qs, i) {
        m_table *t = m_find_table(c->s, qs->keys[i]->text);
        if (!t) {
            const char *names[256];
            size_t n = 0;
            for (size_t k = 0; k < c->s->ntables && n < 256; k++)
                names[n++] = c->s->tables[k].name;
            const char *hint = closest_name(qs->keys[i]->text, names, n);
            gen_error(c->d, qs->keys[i]->loc, "queries for unknown table '%s'%s%s%s",
                      qs->keys[i]->text, hint ? " (did you mean '" : "", hint ? hint : "",
                      hint ? "'?)" : "");
            continue;
        }
        const ynode *group = qs->vals[i];
        if (!expect_kind(c, group, Y_MAP, "the queries of a table"))
            continue;
        t->queries = alloc_array(c, group->n, sizeof *t->queries);
        FOR_EACH_ENTRY(group, k) {
            query_decls *qd = &(*decls)[(*ndecls)++];
            qd->q = &t->queries[t->nqueries++];
            parse_query(c, qd->q, t, group->keys[k], group->vals[k], &qd->params);
        }
    }
}

/* ---- top level ------------------------------------------------------ */

/* Calls parse for each entry of the mapping at key. */
#define PARSE_SECTION(c, root, key, arr, count, parse)                                         \
    do {                                                                                       \
        const ynode *sec_ = ymap_get(root, key);                                               \
        if (sec_ && !ynode_is_null(sec_) && expect_kind(c, sec_, Y_MAP, "'" key "'")) {        \
            (arr) = alloc_array(c, sec_->n, sizeof *(arr));                                    \
            for (size_t i_ = 0; i_ < sec_->n; i_++)                                            \
                parse(c, &(arr)[(count)++], sec_->keys[i_], sec_->vals[i_]);                   \
        }                                                                                      \
    } while (0)

static const char *const lint_rules[] = {"timeouts", "index-not-concurrent", "not-null-no-default",
                                         "constraint-not-valid", "type-rewrite",
                                         "add-value-used", NULL};

/* lint_waivers: [{ rule, object, reason }] (see docs/dsl.md). */
static void parse_waivers(pctx *c, const ynode *root)
{
    const ynode *list = list_of_maps(c, root, "lint_waivers");
    if (!list)
        return;
    c->s->waivers = alloc_array(c, list->n, sizeof *c->s->waivers);
    for (size_t i = 0; i < list->n; i++) {
        const ynode *m = list->vals[i];
        if (!expect_kind(c, m, Y_MAP, "a lint waiver"))
            continue;
        check_keys(c, m, gen_known_keys(GK_LINT_WAIVER), "a lint waiver");
        m_waiver *w = &c->s->waivers[c->s->nwaivers++];
        w->loc = m->loc;
        w->rule = get_text(c, m, "rule", true, "a lint waiver");
        w->object = get_text(c, m, "object", true, "a lint waiver");
        w->reason = get_text(c, m, "reason", true, "a lint waiver");
        bool known = false;
        for (size_t k = 0; w->rule && lint_rules[k]; k++)
            known = known || strcmp(lint_rules[k], w->rule) == 0;
        if (w->rule && !known) {
            const char *hint = closest_name(w->rule, lint_rules, 6);
            gen_error(c->d, ymap_get(m, "rule")->loc, "unknown lint rule '%s'%s%s%s", w->rule,
                      hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
        }
        if (w->reason && !*w->reason)
            gen_error(c->d, ymap_get(m, "reason")->loc, "a lint waiver needs a reason");
    }
}

static void parse_root(pctx *c, const ynode *root, query_decls **decls, size_t *ndecls)
{
    m_schema *s = c->s;
    if (!expect_kind(c, root, Y_MAP, "the schema file"))
        return;
    check_keys(c, root, gen_known_keys(GK_SCHEMA), "the schema file");
    s->name = get_text(c, root, "schema", true, "the schema file");
    if (s->name)
        check_identifier(c, s->name, ymap_get(root, "schema")->loc, "schema");
    s->prefix = get_text(c, root, "prefix", true, "the schema file");
    if (s->prefix)
        check_identifier(c, s->prefix, ymap_get(root, "prefix")->loc, "prefix");
    if (!ymap_get(root, "tables"))
        gen_error(c->d, root->loc, "the schema file needs 'tables'");
    gen_parse_extensions(c, root);
    PARSE_SECTION(c, root, "enums", s->enums, s->nenums, parse_enum);
    PARSE_SECTION(c, root, "functions", s->functions, s->nfunctions, parse_function);
    PARSE_SECTION(c, root, "tables", s->tables, s->ntables, parse_table);
    PARSE_SECTION(c, root, "views", s->views, s->nviews, parse_view);
    parse_queries(c, ymap_get(root, "queries"), decls, ndecls);
    parse_waivers(c, root);
    s->require_tests = get_bool(c, root, "require_tests", false);
}

/* An editor's modeline on the first line ("# yaml-language-server: $schema=
 * ./schemac.schema.json") tells the editor where the JSON Schema is and
 * nothing about the schema: the hash leaves it out, so adding it changes no
 * generated file. Returns the length of that line, 0 without one. */
static size_t modeline_length(const char *buf, size_t len)
{
    static const char tag[] = "# yaml-language-server:";
    if (len < sizeof tag - 1 || memcmp(buf, tag, sizeof tag - 1) != 0)
        return 0;
    const char *nl = memchr(buf, '\n', len);
    return nl ? (size_t)(nl - buf) + 1 : len;
}

m_schema *gen_schema_parse(const char *file, const char *buf, size_t len, gen_arena *a,
                           gen_diag *d)
{
    int before = d->errors;
    ynode *root = ytree_load(file, buf, len, a, d);
    if (!root)
        return NULL;
    m_schema *s = gen_alloc(a, sizeof *s);
    s->file = file;
    size_t skip = modeline_length(buf, len);
    s->hash = gen_hash64(buf + skip, len - skip);
    pctx c = {a, d, s};
    query_decls *decls = NULL;
    size_t ndecls = 0;
    parse_root(&c, root, &decls, &ndecls);
    if (d->errors == before)
        gen_add_transition_triggers(&c);
    if (d->errors == before)
        gen_add_audit_triggers(&c);
    gen_validate(&c, decls, ndecls);
    if (d->errors == before) /* tests resolve against a sound model only */
        gen_load_tests(&c, root->kind == Y_MAP ? ymap_get(root, "tests") : NULL);
    if (d->errors != before)
        return NULL;
    /* The model is complete: index it now, in the model's arena, since the
     * views that use these run on a scratch arena (generate.c). */
    m_index_tables(a, s);
    qt_table_depths(a, s);
    return s;
}

m_schema *gen_schema_load(const char *path, gen_arena *a, gen_diag *d)
{
    size_t len = 0;
    char *buf = ytree_read_file(path, a, &len);
    if (!buf) {
        gen_error(d, (gen_loc){path, 0, 0}, "cannot read the schema file");
        return NULL;
    }
    return gen_schema_parse(path, buf, len, a, d);
}
