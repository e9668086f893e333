/* Meaning checks over the parsed model: names, references, keys,
 * partitioning, triggers, views. Query checks live in validate_query.c. */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "parse_util.h"

struct m_table_index {
    const m_table *tables; /* the array and count hashed: a later append */
    size_t ntables;        /* or move makes the index stale, not wrong */
    size_t mask;
    size_t *slots; /* table index + 1; 0 is empty */
};

static size_t name_hash(const char *name)
{
    return (size_t)gen_hash64(name, strlen(name));
}

void m_index_tables(gen_arena *a, m_schema *s)
{
    struct m_table_index *x = gen_alloc(a, sizeof *x);
    size_t size = 16;
    while (size < 2 * s->ntables)
        size *= 2;
    *x = (struct m_table_index){s->tables, s->ntables, size - 1, gen_alloc(a, size * sizeof *x->slots)};
    for (size_t i = 0; i < s->ntables; i++) {
        size_t at = name_hash(s->tables[i].name) & x->mask;
        while (x->slots[at])
            at = (at + 1) & x->mask;
        x->slots[at] = i + 1;
    }
    s->table_index = x;
}

m_table *m_find_table(const m_schema *s, const char *name)
{
    const struct m_table_index *x = s->table_index;
    if (x && x->tables == s->tables && x->ntables == s->ntables) {
        for (size_t at = name_hash(name) & x->mask; x->slots[at]; at = (at + 1) & x->mask)
            if (strcmp(s->tables[x->slots[at] - 1].name, name) == 0)
                return &s->tables[x->slots[at] - 1];
        return NULL;
    }
    for (size_t i = 0; i < s->ntables; i++)
        if (strcmp(s->tables[i].name, name) == 0)
            return &s->tables[i];
    return NULL;
}

bool m_is_computed_key(const m_table *t, const m_column *c)
{
    const m_partition *p = t->partition;
    return p && p->by == PART_LIST && p->expression && p->key_col == c;
}

m_column *m_find_column(const m_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (t->columns[i].name && strcmp(t->columns[i].name, name) == 0)
            return &t->columns[i];
    return NULL;
}

bool m_enum_allows(const m_enum *e, size_t from, size_t to)
{
    for (size_t t = 0; t < e->ntransitions; t++)
        for (size_t k = 0; e->transitions[t].from == from && k < e->transitions[t].nto; k++)
            if (e->transitions[t].to[k] == to)
                return true;
    return false;
}

m_enum *m_find_enum(const m_schema *s, const char *name)
{
    for (size_t i = 0; i < s->nenums; i++)
        if (strcmp(s->enums[i].name, name) == 0)
            return &s->enums[i];
    return NULL;
}

m_function *m_find_function(const m_schema *s, const char *name)
{
    for (size_t i = 0; i < s->nfunctions; i++)
        if (strcmp(s->functions[i].name, name) == 0)
            return &s->functions[i];
    return NULL;
}

m_view *m_find_view(const m_schema *s, const char *name)
{
    for (size_t i = 0; i < s->nviews; i++)
        if (strcmp(s->views[i].name, name) == 0)
            return &s->views[i];
    return NULL;
}

/* ---- one namespace for relations (tables, views, indexes, partitions) -- */

typedef struct relname {
    const char *name, *what;
    gen_loc loc;
} relname;

typedef struct relnames {
    relname *items;
    size_t n, cap;
} relnames;

static void claim(pctx *c, relnames *r, const char *name, const char *what, gen_loc loc)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->items[i].name, name) != 0)
            continue;
        gen_error(c->d, loc, "%s name '%s' is already used by %s (line %d, column %d)", what,
                  name, r->items[i].what, r->items[i].loc.line, r->items[i].loc.col);
        return;
    }
    gen_grow(c->a, (void **)&r->items, &r->cap, r->n + 1, sizeof *r->items);
    r->items[r->n++] = (relname){name, what, loc};
}

/* ---- columns and types ---------------------------------------------- */

static void resolve_enum_type(pctx *c, m_type *t, gen_loc loc)
{
    if (t->kind != T_ENUM)
        return;
    t->en = m_find_enum(c->s, t->enum_name);
    if (t->en)
        return;
    const char *names[512];
    size_t n = 0;
    for (const char *const *tn = m_type_names(); *tn && n < 256; tn++)
        names[n++] = *tn;
    for (size_t i = 0; i < c->s->nenums && n < 512; i++)
        names[n++] = c->s->enums[i].name;
    const char *hint = closest_name(t->enum_name, names, n);
    if (hint)
        gen_error(c->d, loc, "unknown column type '%s' (did you mean '%s'?)", t->enum_name, hint);
    else
        gen_error(c->d, loc, "unknown column type '%s' (not a built-in type or an enum; "
                  "an extension's type takes c_type: text)",
                  t->enum_name);
    t->kind = T_TEXT;
}

static void check_type_size(pctx *c, const m_type *t, gen_loc loc)
{
    bool vec = t->kind == T_VECTOR || t->kind == T_HALFVEC;
    const char *vname = t->kind == T_HALFVEC ? "halfvec" : "vector";
    if ((t->kind == T_VARCHAR || vec) && t->p == 0)
        gen_error(c->d, loc, "a %s length must be at least 1",
                  t->kind == T_VARCHAR ? "varchar" : vname);
    if (vec && t->p < 0)
        gen_error(c->d, loc, "%s needs a dimension: %s(n)", vname, vname);
    if (vec && t->p > 16000)
        gen_error(c->d, loc, "a %s has at most 16000 dimensions, not %d", vname, t->p);
    if (vec && t->array)
        gen_error(c->d, loc, "arrays of %s are not supported (one vector per column)", vname);
    if (t->kind == T_NUMERIC && t->p >= 0 && (t->p < 1 || t->p > 1000))
        gen_error(c->d, loc, "numeric precision must be from 1 to 1000");
    if (t->kind == T_NUMERIC && t->s > t->p)
        gen_error(c->d, loc, "numeric scale %d exceeds its precision %d", t->s, t->p);
}

void check_type(pctx *c, m_type *t, gen_loc loc)
{
    resolve_enum_type(c, t, loc);
    check_type_size(c, t, loc);
}

static void check_column(pctx *c, m_column *col)
{
    check_type(c, &col->type, col->type_loc);
    if (col->uuid_text && col->type.kind != T_VARCHAR && col->type.kind != T_TEXT)
        gen_error(c->d, col->loc, "format: uuid is for text or varchar columns ('%s' is %s)",
                  col->name, m_type_sql(c->a, &col->type));
    bool serial = col->type.kind == T_SERIAL || col->type.kind == T_BIGSERIAL;
    if (serial && col->default_sql)
        gen_error(c->d, col->loc, "column '%s' is %s and cannot also have a default", col->name,
                  m_type_sql(c->a, &col->type));
    if (col->generated && (col->default_sql || serial))
        gen_error(c->d, col->loc, "generated column '%s' cannot have a default", col->name);
    if (col->primary_key && col->nullable)
        gen_error(c->d, col->loc, "primary key column '%s' cannot be nullable", col->name);
    if (col->type.kind == T_ENUM && col->type.en && col->default_sql && !col->type.array) {
        char v[128];
        size_t len = strlen(col->default_sql);
        bool quoted = len >= 2 && col->default_sql[0] == '\'' && col->default_sql[len - 1] == '\'';
        if (quoted && len - 2 < sizeof v) {
            memcpy(v, col->default_sql + 1, len - 2);
            v[len - 2] = '\0';
            bool found = false;
            for (size_t i = 0; i < col->type.en->values.n && !found; i++)
                found = strcmp(col->type.en->values.items[i], v) == 0;
            if (!found)
                gen_error(c->d, col->loc, "default '%s' of column '%s' is not a value of enum '%s'",
                          v, col->name, col->type.en->name);
        }
    }
}

/* ---- keys ----------------------------------------------------------- */

/* Checks that every name is a column of t; reports duplicates too. */
static bool check_column_list(pctx *c, const m_table *t, const m_names *names, const char *what)
{
    bool ok = true;
    for (size_t i = 0; i < names->n; i++) {
        if (!m_find_column(t, names->items[i])) {
            gen_error(c->d, names->locs[i], "%s column '%s' is not a column of table '%s'", what,
                      names->items[i], t->name);
            ok = false;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(names->items[i], names->items[k]) == 0) {
                gen_error(c->d, names->locs[i], "column '%s' appears twice in the %s", names->items[i],
                          what);
                ok = false;
            }
    }
    return ok;
}

static bool names_contain(const m_names *names, const char *name)
{
    for (size_t i = 0; i < names->n; i++)
        if (strcmp(names->items[i], name) == 0)
            return true;
    return false;
}

static void check_primary_key(pctx *c, m_table *t)
{
    const m_column *flagged = NULL;
    for (size_t i = 0; i < t->ncolumns; i++) {
        m_column *col = &t->columns[i];
        if (!col->primary_key)
            continue;
        if (flagged) {
            gen_error(c->d, col->loc,
                      "table '%s' has primary_key on two columns ('%s' and '%s'); a composite "
                      "key is written 'primary_key: [%s, %s]' on the table",
                      t->name, flagged->name, col->name, flagged->name, col->name);
            return;
        }
        flagged = col;
    }
    if (flagged && t->primary_key.n) {
        gen_error(c->d, flagged->loc,
                  "table '%s' declares its primary key twice (on column '%s' and in "
                  "'primary_key')",
                  t->name, flagged->name);
        return;
    }
    if (flagged) {
        t->primary_key.n = 1;
        t->primary_key.items = gen_alloc(c->a, sizeof(char *));
        t->primary_key.locs = gen_alloc(c->a, sizeof(gen_loc));
        t->primary_key.items[0] = flagged->name;
        t->primary_key.locs[0] = flagged->loc;
        return;
    }
    if (!check_column_list(c, t, &t->primary_key, "primary key"))
        return;
    for (size_t i = 0; i < t->primary_key.n; i++) {
        m_column *col = m_find_column(t, t->primary_key.items[i]);
        if (col->nullable)
            gen_error(c->d, t->primary_key.locs[i], "primary key column '%s' cannot be nullable",
                      col->name);
    }
    if (!t->primary_key.n && (t->operations & (OP_GET | OP_UPDATE | OP_DELETE)))
        gen_error(c->d, t->loc,
                  "table '%s' has no primary key, which get/update/delete need; add one or "
                  "narrow 'operations' to [create, list]",
                  t->name);
}

/* True when cols are exactly the primary key or a unique constraint of t. */
static bool is_unique_key(const m_table *t, const m_names *cols)
{
    if (cols->n == 1) {
        const m_column *col = m_find_column(t, cols->items[0]);
        if (col && col->unique)
            return true;
    }
    bool pk = t->primary_key.n == cols->n;
    for (size_t i = 0; pk && i < cols->n; i++)
        pk = names_contain(&t->primary_key, cols->items[i]);
    if (pk)
        return true;
    for (size_t u = 0; u < t->nuniques; u++) {
        bool same = t->uniques[u].columns.n == cols->n;
        for (size_t i = 0; same && i < cols->n; i++)
            same = names_contain(&t->uniques[u].columns, cols->items[i]);
        if (same)
            return true;
    }
    for (size_t x = 0; x < t->nindexes; x++) {
        const m_index *ix = &t->indexes[x];
        bool same = ix->unique && !ix->where && ix->ncols == cols->n;
        for (size_t i = 0; same && i < cols->n; i++)
            same = ix->cols[i].name && names_contain(cols, ix->cols[i].name);
        if (same)
            return true;
    }
    return false;
}

/* Checks one foreign key: columns of t -> ref columns of target. */
static void check_fk_pair(pctx *c, const m_table *t, const m_names *cols, m_table *target,
                          const m_names *refs, gen_loc loc, m_fk_action on_delete)
{
    if (cols->n != refs->n) {
        gen_error(c->d, loc, "foreign key has %zu columns but references %zu", cols->n, refs->n);
        return;
    }
    for (size_t i = 0; i < refs->n; i++) {
        const m_column *to = m_find_column(target, refs->items[i]);
        const m_column *from = m_find_column(t, cols->items[i]);
        if (!to) {
            gen_error(c->d, refs->locs[i], "foreign key references unknown column '%s.%s'",
                      target->name, refs->items[i]);
            return;
        }
        if (!from)
            return;
        if (!m_type_same(&from->type, &to->type)) {
            gen_error(c->d, loc, "column '%s' (%s) references '%s.%s' of another type (%s)",
                      from->name, m_type_sql(c->a, &from->type), target->name, to->name,
                      m_type_sql(c->a, &to->type));
            return;
        }
        if (on_delete == FK_SET_NULL && !from->nullable)
            gen_error(c->d, loc, "on_delete: set null needs column '%s' to be nullable",
                      from->name);
    }
    if (!is_unique_key(target, refs))
        gen_error(c->d, loc,
                  "foreign key target '%s(%s%s)' is neither the primary key nor unique",
                  target->name, refs->items[0], refs->n > 1 ? ", ..." : "");
}

static m_table *fk_target(pctx *c, const char *name, gen_loc loc)
{
    m_table *target = m_find_table(c->s, name);
    if (!target)
        gen_error(c->d, loc, "foreign key references unknown table '%s'", name);
    return target;
}

static void check_column_reference(pctx *c, m_table *t, m_column *col)
{
    if (!col->references)
        return;
    const char *dot = strchr(col->references, '.');
    if (!dot || dot == col->references || !dot[1] || strchr(dot + 1, '.')) {
        gen_error(c->d, col->references_loc, "'references' must be 'table.column', not '%s'",
                  col->references);
        return;
    }
    char *table = gen_strndup(c->a, col->references, (size_t)(dot - col->references));
    m_table *target = fk_target(c, table, col->references_loc);
    if (!target)
        return;
    m_names cols = {1, &col->name, &col->loc};
    const char *ref = dot + 1;
    m_names refs = {1, &ref, &col->references_loc};
    check_fk_pair(c, t, &cols, target, &refs, col->references_loc, col->on_delete);
    const m_column *to = m_find_column(target, ref);
    if (to && to->uuid_text)
        col->uuid_text = true; /* a reference to a UUID is one too */
}

static void check_table_fks(pctx *c, m_table *t)
{
    for (size_t i = 0; i < t->nfks; i++) {
        m_fk *fk = &t->fks[i];
        if (!check_column_list(c, t, &fk->columns, "foreign key") || !fk->ref_table)
            continue;
        fk->target = fk_target(c, fk->ref_table, fk->ref_table_loc);
        if (!fk->target)
            continue;
        if (!fk->ref_columns.n)
            fk->ref_columns = fk->target->primary_key;
        check_fk_pair(c, t, &fk->columns, fk->target, &fk->ref_columns, fk->loc, fk->on_delete);
        for (size_t k = 0; k < fk->columns.n && k < fk->ref_columns.n; k++) {
            m_column *from = m_find_column(t, fk->columns.items[k]);
            const m_column *to = m_find_column(fk->target, fk->ref_columns.items[k]);
            if (from && to && to->uuid_text)
                from->uuid_text = true;
        }
    }
}

/* ---- indexes -------------------------------------------------------- */

static const char *derived_index_name(pctx *c, const char *table, const m_index *ix)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "ix_%s", table);
    for (size_t i = 0; i < ix->ncols && n < (int)sizeof buf; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "_%s", ix->cols[i].name ? ix->cols[i].name : "");
    if (ix->expression)
        snprintf(buf + n, sizeof buf - (size_t)n, "_expr");
    return gen_strdup(c->a, buf);
}

static void check_index(pctx *c, const m_table *t, const char *owner, m_index *ix)
{
    if (!ix->name) {
        ix->name = derived_index_name(c, owner, ix);
        if (strlen(ix->name) > 63)
            gen_error(c->d, ix->loc, "the derived index name '%s' is longer than 63 bytes; give "
                                     "the index a 'name'",
                      ix->name);
    }
    if (!t)
        return;
    for (size_t i = 0; i < ix->ncols; i++)
        if (ix->cols[i].name && !m_find_column(t, ix->cols[i].name))
            gen_error(c->d, ix->col_locs[i], "index column '%s' is not a column of table '%s'",
                      ix->cols[i].name, t->name);
    check_column_list(c, t, &ix->include, "index include");
}

/* ---- partitioning --------------------------------------------------- */

static m_column *partition_column(pctx *c, m_table *t, const char *name, gen_loc loc,
                                  const char *what)
{
    if (!name)
        return NULL;
    m_column *col = m_find_column(t, name);
    if (!col)
        gen_error(c->d, loc, "partition %s '%s' is not a column of table '%s'", what, name,
                  t->name);
    return col;
}

/* "{n:W}", W one digit: partition numbers zero-padded to W digits. */
static bool has_fixed_width(const char *pattern)
{
    const char *at = strstr(pattern, "{n:");
    return at && at[3] >= '1' && at[3] <= '9' && at[4] == '}';
}

static void check_partition_shape(pctx *c, m_table *t, m_partition *p)
{
    if (p->by == PART_LIST) {
        if (!p->count)
            gen_error(c->d, p->loc, "list partitioning of '%s' needs 'count'", t->name);
        if (!p->expression || !p->source)
            gen_error(c->d, p->loc,
                      "list partitioning of '%s' needs 'source' and 'expression' (the key is "
                      "computed from the source by the writer; see ERRATA)",
                      t->name);
    } else if (p->by == PART_HASH) {
        if (!p->count)
            gen_error(c->d, p->loc, "hash partitioning of '%s' needs 'count'", t->name);
        if (p->expression)
            gen_error(c->d, p->loc, "hash partitioning hashes its key itself; remove 'expression'");
        if (!p->source)
            p->source = p->key, p->source_loc = p->key_loc;
    } else if (!p->nranges) {
        gen_error(c->d, p->loc, "range partitioning of '%s' needs 'ranges'", t->name);
    }
    if (p->by != PART_RANGE && p->count && !p->name_pattern)
        gen_error(c->d, p->loc, "partitioning of '%s' needs a 'name' pattern such as '%s_p{nn}'",
                  t->name, t->name);
    if (p->name_pattern && !strstr(p->name_pattern, "{n}") && !strstr(p->name_pattern, "{nn}") &&
        !has_fixed_width(p->name_pattern))
        gen_error(c->d, p->loc, "partition name pattern '%s' needs {n}, {nn} or {n:W} (W a digit)",
                  p->name_pattern);
    if (p->by == PART_RANGE && (p->count || p->name_pattern))
        gen_error(c->d, p->loc, "range partitioning lists its 'ranges'; remove 'count' and 'name'");
}

static void check_partition_keys(pctx *c, m_table *t, const m_partition *p)
{
    if (t->primary_key.n && !names_contain(&t->primary_key, p->key))
        gen_error(c->d, t->primary_key.n ? t->primary_key.locs[0] : t->loc,
                  "the primary key of partitioned table '%s' must include the partition key "
                  "'%s'",
                  t->name, p->key);
    for (size_t i = 0; i < t->nuniques; i++)
        if (!names_contain(&t->uniques[i].columns, p->key))
            gen_error(c->d, t->uniques[i].loc,
                      "unique constraint on partitioned table '%s' must include the partition "
                      "key '%s'",
                      t->name, p->key);
    for (size_t i = 0; i < t->nindexes; i++) {
        const m_index *ix = &t->indexes[i];
        bool has = false;
        for (size_t k = 0; k < ix->ncols && !has; k++)
            has = ix->cols[k].name && strcmp(ix->cols[k].name, p->key) == 0;
        if (ix->unique && !has)
            gen_error(c->d, ix->loc,
                      "unique index '%s' on partitioned table '%s' must include the partition "
                      "key '%s'",
                      ix->name, t->name, p->key);
    }
    for (size_t i = 0; i < t->ncolumns; i++)
        if (t->columns[i].unique && strcmp(t->columns[i].name, p->key) != 0)
            gen_error(c->d, t->columns[i].loc,
                      "unique column '%s' of partitioned table '%s' must include the partition "
                      "key; use a unique constraint on ['%s', '%s']",
                      t->columns[i].name, t->name, t->columns[i].name, p->key);
}

static void check_partition(pctx *c, m_table *t, relnames *rel)
{
    m_partition *p = t->partition;
    if (!p)
        return;
    check_partition_shape(c, t, p);
    p->key_col = partition_column(c, t, p->key, p->key_loc, "key");
    p->source_col = partition_column(c, t, p->source, p->source_loc, "source");
    if (p->key_col && p->by == PART_LIST && p->expression && p->key_col->nullable)
        gen_error(c->d, p->key_loc, "partition key '%s' cannot be nullable", p->key);
    if (p->key)
        check_partition_keys(c, t, p);
    for (size_t i = 0; i < p->nranges; i++)
        if (p->ranges[i].name)
            claim(c, rel, p->ranges[i].name, "partition", p->ranges[i].loc);
    if (p->default_name)
        claim(c, rel, p->default_name, "partition", p->loc);
}

/* ---- triggers, scope, views ---------------------------------------- */

static void check_triggers(pctx *c, m_table *t)
{
    for (size_t i = 0; i < t->ntriggers; i++) {
        m_trigger *tr = &t->triggers[i];
        for (size_t k = 0; k < i; k++)
            if (tr->name && t->triggers[k].name && strcmp(tr->name, t->triggers[k].name) == 0)
                gen_error(c->d, tr->loc, "duplicate trigger '%s' on table '%s'", tr->name, t->name);
        if (tr->function) {
            tr->fn = m_find_function(c->s, tr->function);
            if (!tr->fn)
                gen_error(c->d, tr->function_loc, "trigger '%s' calls unknown function '%s'",
                          tr->name ? tr->name : "?", tr->function);
            else if (tr->fn->returns && strcmp(tr->fn->returns, "trigger") != 0)
                gen_error(c->d, tr->function_loc,
                          "trigger '%s' calls function '%s', which returns %s, not trigger",
                          tr->name ? tr->name : "?", tr->function, tr->fn->returns);
        }
        if (tr->columns.n && !(tr->events & EV_UPDATE))
            gen_error(c->d, tr->loc, "trigger 'columns' (UPDATE OF) needs the update event");
        check_column_list(c, t, &tr->columns, "trigger");
        if (tr->timing && strcmp(tr->timing, "instead of") == 0)
            gen_error(c->d, tr->loc, "INSTEAD OF triggers belong on views, not table '%s'", t->name);
    }
}

static void check_scope(pctx *c, m_table *t)
{
    if (!t->scope)
        return;
    t->scope_col = m_find_column(t, t->scope);
    if (!t->scope_col)
        gen_error(c->d, t->scope_loc, "scope column '%s' is not a column of table '%s'", t->scope,
                  t->name);
}

static void check_views(pctx *c, relnames *rel)
{
    for (size_t i = 0; i < c->s->nviews; i++) {
        m_view *w = &c->s->views[i];
        claim(c, rel, w->name, w->materialized ? "materialized view" : "view", w->loc);
        for (size_t k = 0; k < w->depends_on.n; k++) {
            const char *dep = w->depends_on.items[k];
            bool earlier_view = false;
            for (size_t v = 0; v < i && !earlier_view; v++)
                earlier_view = strcmp(c->s->views[v].name, dep) == 0;
            if (!m_find_table(c->s, dep) && !earlier_view)
                gen_error(c->d, w->depends_on.locs[k],
                          "view '%s' depends on '%s', which is neither a table nor a view "
                          "declared above it",
                          w->name, dep);
        }
        for (size_t x = 0; x < w->nindexes; x++) {
            check_index(c, NULL, w->name, &w->indexes[x]);
            claim(c, rel, w->indexes[x].name, "index", w->indexes[x].loc);
        }
    }
}

static void check_table(pctx *c, m_table *t, relnames *rel)
{
    claim(c, rel, t->name, "table", t->loc);
    if (m_find_enum(c->s, t->name))
        gen_error(c->d, t->loc, "table '%s' has the name of an enum (tables are types too)",
                  t->name);
    for (size_t i = 0; i < t->ncolumns; i++)
        check_column(c, &t->columns[i]);
    check_primary_key(c, t);
    for (size_t i = 0; i < t->ncolumns; i++)
        check_column_reference(c, t, &t->columns[i]);
    for (size_t i = 0; i < t->nuniques; i++) {
        check_column_list(c, t, &t->uniques[i].columns, "unique constraint");
        if (t->uniques[i].name)
            claim(c, rel, t->uniques[i].name, "constraint", t->uniques[i].loc);
    }
    check_table_fks(c, t);
    for (size_t i = 0; i < t->nindexes; i++) {
        check_index(c, t, t->name, &t->indexes[i]);
        claim(c, rel, t->indexes[i].name, "index", t->indexes[i].loc);
    }
    check_partition(c, t, rel);
    check_triggers(c, t);
    check_scope(c, t);
}

void gen_validate(pctx *c, query_decls *decls, size_t ndecls)
{
    relnames rel = {0};
    gen_carry_scopes(c);
    for (size_t i = 0; i < c->s->ntables; i++)
        check_table(c, &c->s->tables[i], &rel);
    for (size_t i = 0; i < c->s->ntables; i++)
        gen_check_versioned(c, &c->s->tables[i]);
    check_views(c, &rel);
    gen_check_extension_types(c);
    gen_validate_citus(c);
    gen_validate_queries(c, decls, ndecls);
}
