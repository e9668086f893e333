/* old model + new model -> ordered steps with exact inverses (see diff.h).
 *
 * Objects are compared through the statements ddl.c writes for them: two
 * indexes, triggers, foreign keys, views or functions are the same when their
 * CREATE statements are the same text. Tables and columns are matched by
 * name, or through renamed_from. */
#include "diff_internal.h"

/* ---- steps ------------------------------------------------------------ */

diff_step *d_step(dctx *c, const char *what, bool destructive)
{
    diff_result *r = c->r;
    gen_grow(c->a, (void **)&r->steps, &r->cap, r->n + 1, sizeof *r->steps);
    diff_step *s = &r->steps[r->n++];
    memset(s, 0, sizeof *s);
    ddl_script_init(&s->up, c->a);
    ddl_script_init(&s->down, c->a);
    s->what = what;
    s->destructive = destructive;
    if (destructive)
        r->ndestructive++;
    return s;
}

void d_push(ddl_script *d, ddl_kind kind, const char *object, const char *sql)
{
    gen_grow(d->arena, (void **)&d->items, &d->cap, d->n + 1, sizeof *d->items);
    d->items[d->n++] = (ddl_stmt){kind, object, sql};
}

void d_append(ddl_script *to, const ddl_script *from)
{
    for (size_t i = 0; i < from->n; i++)
        d_push(to, from->items[i].kind, from->items[i].object, from->items[i].sql);
}

bool d_same(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

const char *d_q(dctx *c, const char *name)
{
    return ddl_qualify(c->a, c->n, name);
}

/* ---- matching --------------------------------------------------------- */

static void match_tables(dctx *c)
{
    c->old_of = gen_alloc(c->a, (c->n->ntables + 1) * sizeof *c->old_of);
    c->new_of = gen_alloc(c->a, (c->o->ntables + 1) * sizeof *c->new_of);
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i];
        const m_table *old = m_find_table(c->o, t->name);
        if (!old && t->renamed_from)
            old = m_find_table(c->o, t->renamed_from);
        c->old_of[i] = old;
        if (old)
            c->new_of[old - c->o->tables] = t;
    }
}

const m_column *old_column(const m_table *old, const m_column *col)
{
    const m_column *oc = m_find_column(old, col->name);
    if (!oc && col->renamed_from)
        oc = m_find_column(old, col->renamed_from);
    return oc;
}

const m_column *new_column(const m_table *nt, const m_table *old, const m_column *oc)
{
    for (size_t i = 0; i < nt->ncolumns; i++)
        if (old_column(old, &nt->columns[i]) == oc)
            return &nt->columns[i];
    return NULL;
}

/* The new name of an old enum (renamed_from), or its own. */
const char *enum_new_name(dctx *c, const char *old_name)
{
    for (size_t i = 0; i < c->n->nenums; i++)
        if (c->n->enums[i].renamed_from && strcmp(c->n->enums[i].renamed_from, old_name) == 0 &&
            !m_find_enum(c->o, c->n->enums[i].name))
            return c->n->enums[i].name;
    return old_name;
}

const m_enum *old_enum(dctx *c, const m_enum *e)
{
    const m_enum *oe = m_find_enum(c->o, e->name);
    if (!oe && e->renamed_from)
        oe = m_find_enum(c->o, e->renamed_from);
    return oe;
}

/* The stored type of a column for comparison, with old enum names mapped to
 * their new names. */
const char *type_key(dctx *c, const m_column *col, bool old)
{
    if (old && col->type.kind == T_ENUM) {
        m_type t = col->type;
        t.enum_name = enum_new_name(c, t.enum_name);
        return ddl_type_sql(c->a, c->n, &t);
    }
    return ddl_type_sql(c->a, c->n, &col->type);
}

/* ALTER COLUMN TYPE cannot name serial types: they are integers plus a
 * sequence default. */
const char *alter_type_sql(dctx *c, const m_schema *s, const m_type *t)
{
    m_type u = *t;
    if (u.kind == T_SERIAL)
        u.kind = T_INTEGER;
    if (u.kind == T_BIGSERIAL)
        u.kind = T_BIGINT;
    return ddl_type_sql(c->a, s, &u);
}


/* ---- renames the YAML does not state -------------------------------------- */

static int by_string(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The sorted column types of a table: two tables with the same key may be
 * one table renamed. */
static const char *table_shape(dctx *c, const m_table *t, bool old)
{
    const char **types = gen_alloc(c->a, (t->ncolumns + 1) * sizeof *types);
    for (size_t k = 0; k < t->ncolumns; k++)
        types[k] = type_key(c, &t->columns[k], old);
    qsort(types, t->ncolumns, sizeof *types, by_string);
    gen_buf b;
    gen_buf_init(&b, c->a);
    for (size_t k = 0; k < t->ncolumns; k++)
        gen_buf_printf(&b, "%s,", types[k]);
    return b.data;
}

/* A drop and an add of the same type look like a rename: never guess,
 * ask (renamed_from or --allow-destructive). */
static void check_ambiguous_renames(dctx *c)
{
    if (c->opt->allow_destructive || c->opt->coverage_only)
        return;
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old) {
            for (size_t j = 0; j < c->o->ntables; j++)
                if (!c->new_of[j] &&
                    strcmp(table_shape(c, t, false), table_shape(c, &c->o->tables[j], true)) == 0)
                    gen_error(c->d, t->loc,
                              "table '%s' is added and table '%s' with the same column types is "
                              "dropped: if it is a rename, say 'renamed_from: %s' on '%s'; if it "
                              "is a drop and an add, pass --allow-destructive",
                              t->name, c->o->tables[j].name, c->o->tables[j].name, t->name);
            continue;
        }
        for (size_t k = 0; k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k];
            if (old_column(old, col))
                continue;
            for (size_t j = 0; j < old->ncolumns; j++) {
                const m_column *oc = &old->columns[j];
                if (!new_column(t, old, oc) &&
                    strcmp(type_key(c, col, false), type_key(c, oc, true)) == 0)
                    gen_error(c->d, col->loc,
                              "column '%s.%s' is added and column '%s' of the same type (%s) is "
                              "dropped: if it is a rename, say 'renamed_from: %s' on '%s'; if it "
                              "is a drop and an add, pass --allow-destructive",
                              t->name, col->name, oc->name, type_key(c, col, false), oc->name,
                              col->name);
            }
        }
    }
}

/* A list count change: the expression must change with it (else the new
 * partitions never get a row), and the partitions that stay keep their
 * names unless the pattern itself changes (a side-effect rename breaks
 * what names them: scripts, grants, monitoring). Rows that the new expression puts elsewhere are checked at
 * run time (diff_partitions). */
static void check_list_count(dctx *c, const m_table *t, const m_table *old)
{
    const m_partition *p = t->partition, *op = old->partition;
    if (p->expression && op->expression && strcmp(p->expression, op->expression) == 0)
        gen_error(c->d, p->loc,
                  "the partition count of '%s' changes from %d to %d but the expression stays "
                  "'%s': rows would still go to %d partitions and the new ones stay empty; "
                  "change the expression with the count, or keep the count",
                  t->name, op->count, p->count, p->expression, op->count);
    if (strcmp(p->name_pattern, op->name_pattern) != 0)
        return; /* a new pattern asks for the renames */
    int kept = p->count < op->count ? p->count : op->count;
    for (int i = 0; i < kept; i++) {
        const char *was = ddl_partition_name(c->a, old, i), *now = ddl_partition_name(c->a, t, i);
        if (strcmp(was, now) == 0)
            continue;
        gen_error(c->d, p->loc,
                  "changing the partition count of '%s' from %d to %d would rename its "
                  "partitions (%s becomes %s): a migration never renames partitions on a count "
                  "change; give the pattern a fixed width, e.g. '%s' with {n:%d} in place of {nn}",
                  t->name, op->count, p->count, was, now, op->name_pattern,
                  (int)strlen(was) - (int)strlen(op->name_pattern) + 4);
        return;
    }
}

static void check_partitioning(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old)
            continue;
        const m_partition *p = t->partition, *op = old->partition;
        if (!p && !op)
            continue;
        if (!p || !op || p->by != op->by || strcmp(p->key, op->key) != 0)
            gen_error(c->d, t->loc,
                      "changing whether or how table '%s' is partitioned (by, key) is not "
                      "supported by 'migrate new'; create a new table and move the rows",
                      t->name);
        else if (p->by == PART_HASH && p->count != op->count)
            gen_error(c->d, p->loc,
                      "changing the count of hash partitions of table '%s' (%d to %d) moves "
                      "every row to another partition, which 'migrate new' does not do; create "
                      "a new table and move the rows",
                      t->name, op->count, p->count);
        else if (p->by == PART_LIST && p->count != op->count)
            check_list_count(c, t, old);
    }
}

/* ---- comments on objects present on both sides ------------------------- */

static void comment_step(dctx *c, const char *what, const char *object, const char *now,
                         const char *before)
{
    if (d_same(now, before))
        return;
    diff_step *p = d_step(c, gen_printf(c->a, "comment on %s %s", what, object), false);
    ddl_comment(&p->up, what, object, now);
    ddl_comment(&p->down, what, object, before);
}

static void diff_comments(dctx *c, const bool *view_rebuilt)
{
    for (size_t i = 0; i < c->n->nenums; i++) {
        const m_enum *e = &c->n->enums[i], *oe = old_enum(c, e);
        if (oe)
            comment_step(c, "TYPE", d_q(c, e->name), e->comment, oe->comment);
    }
    for (size_t i = 0; i < c->n->nfunctions; i++) {
        const m_function *f = &c->n->functions[i];
        const char *sig = ddl_function_signature(c->a, c->n, f);
        const m_function *of = function_by_signature(c, c->o, sig, c->n);
        if (of && strcmp(of->returns, f->returns) == 0)
            comment_step(c, "FUNCTION", sig, f->comment, of->comment);
    }
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old)
            continue;
        comment_step(c, "TABLE", d_q(c, t->name), t->comment, old->comment);
        for (size_t k = 0; k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k], *oc = old_column(old, col);
            if (oc)
                comment_step(c, "COLUMN", gen_printf(c->a, "%s.%s", d_q(c, t->name), col->name),
                             col->comment, oc->comment);
        }
    }
    for (size_t i = 0; i < c->n->nviews; i++) {
        const m_view *w = &c->n->views[i], *ow = m_find_view(c->o, w->name);
        if (ow && !view_rebuilt[i])
            comment_step(c, w->materialized ? "MATERIALIZED VIEW" : "VIEW", d_q(c, w->name),
                         w->comment, ow->comment);
    }
}

/* ---- the whole diff ------------------------------------------------------- */

static void initial(dctx *c)
{
    const m_schema *s = c->n;
    size_t parts = 0, indexes = 0, triggers = 0;
    for (size_t i = 0; i < s->ntables; i++) {
        const m_partition *p = s->tables[i].partition;
        parts += p ? (p->by == PART_RANGE ? p->nranges + (p->default_name != NULL) : (size_t)p->count) : 0;
        indexes += s->tables[i].nindexes;
        triggers += s->tables[i].ntriggers;
    }
    diff_step *p = d_step(c, gen_printf(c->a, "create schema %s: %zu enums, %zu functions, %zu tables "
                                            "(%zu partitions), %zu indexes, %zu triggers, %zu views",
                                      s->name, s->nenums, s->nfunctions, s->ntables, parts,
                                      indexes, triggers, s->nviews),
                        false);
    ddl_create_all(s, &p->up);
    /* already in down order: flattening reverses steps, not the
     * statements inside one step */
    ddl_drop_all(s, &p->down);
    diff_distribution(c);
}

int diff_schemas(const m_schema *old_schema, const m_schema *new_schema,
                 const diff_options *o, gen_arena *a, gen_diag *d, diff_result *out)
{
    memset(out, 0, sizeof *out);
    out->arena = a;
    out->transactional = true;
    int errors = d->errors;
    dctx c = {.a = a, .d = d, .o = old_schema, .n = new_schema, .r = out, .opt = o};
    if (!old_schema) {
        initial(&c);
        return 0;
    }
    if (strcmp(old_schema->name, new_schema->name) != 0) {
        gen_error(d, (gen_loc){new_schema->file, 0, 0},
                  "renaming the schema ('%s' to '%s') is not supported by 'migrate new'",
                  old_schema->name, new_schema->name);
        return -1;
    }
    match_tables(&c);
    check_ambiguous_renames(&c);
    check_partitioning(&c);

    objset fks, ix, tr, keys, parts;
    objset_init(&c, &fks, collect_fks, false);
    objset_init(&c, &ix, collect_indexes, true);
    objset_init(&c, &tr, collect_triggers, true);
    objset_init(&c, &keys, collect_constraints, false);
    objset_init(&c, &parts, collect_partitions, true);
    pair_renamed_constraints(&c, &keys);
    pair_renamed_constraints(&c, &fks);
    force_fks_into(&c, &fks, &keys);
    force_function_triggers(&c, &tr);
    bool *orb, *nr = views_to_rebuild(&c, &orb);
    c.ix = &ix, c.tr = &tr, c.keys = &keys, c.view_orb = orb;

    /* enum steps are written now (they step around the objects above) and
     * placed in the order below */
    size_t before = out->n;
    create_enums(&c);
    diff_step *enum_steps = gen_alloc(a, (out->n - before + 1) * sizeof *enum_steps);
    size_t nenum_steps = out->n - before;
    if (nenum_steps)
        memcpy(enum_steps, out->steps + before, nenum_steps * sizeof *enum_steps);
    out->n = before;
    out->ndestructive = 0;
    for (size_t i = 0; i < nenum_steps; i++)
        out->ndestructive += enum_steps[i].destructive;

    /* Constraints and foreign keys are dropped under the old table names,
     * triggers under the new ones (they compare through renames). */
    diff_extensions(&c, true);
    drop_views(&c, orb);
    drop_changed(&c, &fks, "foreign key");
    drop_changed(&c, &ix, "index");
    drop_changed(&c, &keys, "constraint");
    rename_tables(&c);
    rename_constraints(&c, &keys, "constraint");
    rename_constraints(&c, &fks, "foreign key");
    drop_changed(&c, &tr, "trigger");
    drop_functions(&c, true);
    drop_enum_defaults(&c);
    for (size_t i = 0; i < nenum_steps; i++) {
        gen_grow(a, (void **)&out->steps, &out->cap, out->n + 1, sizeof *out->steps);
        out->steps[out->n++] = enum_steps[i];
    }
    create_functions(&c);
    create_tables(&c);
    diff_columns(&c, false);
    diff_partitions(&c, &parts, true);
    diff_columns(&c, true);
    drop_tables(&c);
    drop_functions(&c, false);
    drop_enums(&c);
    diff_extensions(&c, false);
    diff_partitions(&c, &parts, false);
    check_stranded_rows(&c);
    create_changed(&c, &keys, "constraint");
    create_changed(&c, &ix, "index");
    create_changed(&c, &fks, "foreign key");
    create_changed(&c, &tr, "trigger");
    concurrent_indexes(&c);
    create_views(&c, nr);
    diff_comments(&c, nr);
    diff_distribution(&c);
    hoist_own_transactions(&c);
    return d->errors == errors ? 0 : -1;
}

void diff_flatten(const diff_result *r, ddl_script *up, ddl_script *down)
{
    for (size_t i = 0; i < r->n; i++)
        d_append(up, &r->steps[i].up);
    for (size_t i = r->n; i-- > 0;)
        d_append(down, &r->steps[i].down);
}
