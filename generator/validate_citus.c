/* Citus shapes: `distribution: {column, colocate_with}` and `reference: true`
 * per table. Plain PostgreSQL ignores them; the generator refuses, at the
 * YAML line, the keys and foreign keys Citus 12.1 rejects, so that a schema
 * that compiles also distributes (the rules are quoted in each message). */
#include <stdio.h>
#include <string.h>

#include "parse_util.h"

static bool distributed(const m_table *t)
{
    return t && t->dist_column;
}

static bool in_citus(const m_table *t)
{
    return t && (t->dist_column || t->reference);
}

/* The first table of t's colocation group: colocate_with followed to its
 * end (cycles are refused before this is called). */
static const m_table *group_root(const m_schema *s, const m_table *t)
{
    for (size_t hops = 0; t && t->colocate_with && hops <= s->ntables; hops++) {
        const m_table *next = m_find_table(s, t->colocate_with);
        if (!next || next == t)
            break;
        t = next;
    }
    return t;
}

static bool names_have(const m_names *n, const char *name)
{
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->items[i], name) == 0)
            return true;
    return false;
}

static void check_key(pctx *c, const m_table *t, const m_names *cols, gen_loc loc,
                      const char *what)
{
    if (cols->n && !names_have(cols, t->dist_column))
        gen_error(c->d, loc, "%s of distributed table '%s' must include its distribution column "
                  "'%s' (Citus: \"PRIMARY KEY and UNIQUE constraints of a distributed table must "
                  "include the distribution column\")", what, t->name, t->dist_column);
}

static void check_keys_of(pctx *c, m_table *t)
{
    check_key(c, t, &t->primary_key, t->loc, "the primary key");
    for (size_t i = 0; i < t->ncolumns; i++) {
        m_column *col = &t->columns[i];
        m_names one = {1, &col->name, &col->loc};
        if (col->unique)
            check_key(c, t, &one, col->loc, "a unique column");
        if (col->primary_key && t->primary_key.n == 0)
            check_key(c, t, &one, col->loc, "the primary key");
    }
    for (size_t i = 0; i < t->nuniques; i++)
        check_key(c, t, &t->uniques[i].columns, t->uniques[i].loc, "a unique constraint");
    for (size_t i = 0; i < t->nindexes; i++) {
        const m_index *x = &t->indexes[i];
        if (!x->unique)
            continue;
        bool has = false;
        for (size_t k = 0; k < x->ncols; k++)
            has |= strcmp(x->cols[k].name, t->dist_column) == 0;
        if (!has)
            gen_error(c->d, x->loc, "unique index '%s' of distributed table '%s' must include "
                      "its distribution column '%s' (Citus: \"PRIMARY KEY and UNIQUE constraints "
                      "of a distributed table must include the distribution column\")",
                      x->name, t->name, t->dist_column);
    }
}

/* One foreign key, from t to target, its columns and referenced columns. */
static void check_fk_shape(pctx *c, const m_table *t, const m_table *target, const m_names *cols,
                           const m_names *refs, gen_loc loc)
{
    if (!target)
        return;
    if (t->reference && distributed(target)) {
        gen_error(c->d, loc, "reference table '%s' cannot reference distributed table '%s' "
                  "(Citus: \"a distributed table may reference a reference table, not the other "
                  "way round\")", t->name, target->name);
        return;
    }
    if (in_citus(t) && !in_citus(target)) {
        gen_error(c->d, loc, "%s table '%s' references '%s', which is neither distributed nor a "
                  "reference table (Citus: \"referenced table must be a distributed table or a "
                  "reference table\"); give '%s' distribution or reference: true",
                  t->reference ? "reference" : "distributed", t->name, target->name, target->name);
        return;
    }
    if (!distributed(t) || !distributed(target))
        return;
    if (group_root(c->s, t) != group_root(c->s, target)) {
        gen_error(c->d, loc, "distributed tables '%s' and '%s' are not colocated, so a foreign key "
                  "cannot join them (Citus: \"foreign keys between distributed tables must be "
                  "colocated\"); add colocate_with: %s", t->name, target->name, target->name);
        return;
    }
    for (size_t i = 0; i < cols->n && i < refs->n; i++)
        if (strcmp(cols->items[i], t->dist_column) == 0 &&
            strcmp(refs->items[i], target->dist_column) == 0)
            return;
    gen_error(c->d, loc, "the foreign key from '%s' to '%s' must pair their distribution columns "
              "('%s' with '%s') (Citus: \"foreign keys between distributed tables must include the "
              "distribution column on both sides\")", t->name, target->name, t->dist_column,
              target->dist_column);
}

static void check_fks_of(pctx *c, m_table *t)
{
    for (size_t i = 0; i < t->nfks; i++) {
        const m_fk *fk = &t->fks[i];
        check_fk_shape(c, t, fk->target, &fk->columns, &fk->ref_columns, fk->loc);
    }
    for (size_t i = 0; i < t->ncolumns; i++) {
        m_column *col = &t->columns[i];
        const char *dot = col->references ? strchr(col->references, '.') : NULL;
        if (!dot)
            continue;
        char *table = gen_strndup(c->a, col->references, (size_t)(dot - col->references));
        const char *ref = dot + 1;
        m_names cols = {1, &col->name, &col->loc}, refs = {1, &ref, &col->references_loc};
        check_fk_shape(c, t, m_find_table(c->s, table), &cols, &refs, col->references_loc);
    }
}

static void check_colocation(pctx *c, m_table *t)
{
    if (!t->colocate_with)
        return;
    const m_table *with = m_find_table(c->s, t->colocate_with);
    if (!with || with == t || !distributed(with)) {
        gen_error(c->d, t->dist_loc, "colocate_with: '%s' must name another distributed table",
                  t->colocate_with);
        return;
    }
    if (group_root(c->s, with) == t) {
        gen_error(c->d, t->dist_loc, "colocate_with of '%s' and '%s' go round in a circle",
                  t->name, with->name);
        return;
    }
    const m_column *mine = t->dist_col, *theirs = m_find_column(with, with->dist_column);
    if (mine && theirs && !m_type_same(&mine->type, &theirs->type))
        gen_error(c->d, t->dist_loc, "'%s.%s' and '%s.%s' must have the same type to be colocated "
                  "(Citus colocates by the distribution column's type)", t->name, mine->name,
                  with->name, theirs->name);
}

void gen_validate_citus(pctx *c)
{
    for (size_t i = 0; i < c->s->ntables; i++) {
        m_table *t = &c->s->tables[i];
        if (t->dist_column) {
            t->dist_col = m_find_column(t, t->dist_column);
            if (!t->dist_col)
                gen_error(c->d, t->dist_loc, "distribution column '%s' is not a column of table "
                          "'%s'", t->dist_column, t->name);
            else if (t->dist_col->nullable)
                gen_error(c->d, t->dist_loc, "distribution column '%s.%s' must be NOT NULL "
                          "(Citus routes every row by it)", t->name, t->dist_column);
        }
    }
    for (size_t i = 0; i < c->s->ntables; i++) {
        m_table *t = &c->s->tables[i];
        if (distributed(t)) {
            check_colocation(c, t);
            if (t->dist_col)
                check_keys_of(c, t);
        }
        check_fks_of(c, t);
    }
}
