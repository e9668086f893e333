/* Canonical JSON of a model (see snapshot.h). Layout: one key per line down
 * to each table, and one line per column, constraint, index and trigger, so
 * that a snapshot's diff in review reads like the YAML change. */
#include "snapshot.h"

#include <stdio.h>
#include <string.h>

/* A JSON string: quotes, backslashes and control characters escaped; other
 * bytes (UTF-8) verbatim, which libyaml reads back unchanged. */
static void json_str(gen_buf *b, const char *s)
{
    gen_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"')
            gen_buf_puts(b, "\\\"");
        else if (*p == '\\')
            gen_buf_puts(b, "\\\\");
        else if (*p == '\n')
            gen_buf_puts(b, "\\n");
        else if (*p == '\t')
            gen_buf_puts(b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            gen_buf_printf(b, "\\u%04x", *p);
        else
            gen_buf_add(b, (const char *)p, 1);
    }
    gen_buf_puts(b, "\"");
}

/* Members of one object; the first call writes no comma. */
typedef struct jobj {
    gen_buf *b;
    int n;
    const char *sep;      /* between members: ", " inline or ",\n<indent>" */
} jobj;

static void key(jobj *o, const char *k)
{
    if (o->n++)
        gen_buf_puts(o->b, o->sep);
    json_str(o->b, k);
    gen_buf_puts(o->b, ": ");
}

static void kstr(jobj *o, const char *k, const char *v)
{
    if (!v)
        return;
    key(o, k);
    json_str(o->b, v);
}

static void kbool(jobj *o, const char *k, bool v)
{
    key(o, k);
    gen_buf_puts(o->b, v ? "true" : "false");
}

static void kint(jobj *o, const char *k, int v)
{
    key(o, k);
    gen_buf_printf(o->b, "%d", v);
}

static void kstrs(jobj *o, const char *k, size_t n, const char *const *items)
{
    key(o, k);
    gen_buf_puts(o->b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            gen_buf_puts(o->b, ", ");
        json_str(o->b, items[i]);
    }
    gen_buf_puts(o->b, "]");
}

static void knames(jobj *o, const char *k, const m_names *n)
{
    kstrs(o, k, n->n, n->items);
}

static const char *fk_action_name(m_fk_action a)
{
    static const char *const names[] = {"no action", "cascade", "set null", "set default",
                                        "restrict"};
    return names[a];
}

/* ---- leaves: one line each ------------------------------------------ */

static void column(gen_buf *b, const m_column *c)
{
    jobj o = {b, 0, ", "};
    gen_buf_puts(b, "{");
    kstr(&o, "type", m_type_sql(b->arena, &c->type));
    kbool(&o, "nullable", c->nullable);
    kstr(&o, "default", c->default_sql);
    kbool(&o, "unique", c->unique);
    kstr(&o, "check", c->check);
    kstr(&o, "generated", c->generated);
    if (c->references) {
        kstr(&o, "references", c->references);
        kstr(&o, "on_delete", fk_action_name(c->on_delete));
        kstr(&o, "on_update", fk_action_name(c->on_update));
    }
    kstr(&o, "comment", c->comment);
    gen_buf_puts(b, "}");
}

static void index_(gen_buf *b, const m_index *ix)
{
    jobj o = {b, 0, ", "};
    gen_buf_puts(b, "{");
    kstr(&o, "name", ix->name);
    if (ix->ncols) {
        key(&o, "columns");
        gen_buf_puts(b, "[");
        for (size_t i = 0; i < ix->ncols; i++) {
            gen_buf_puts(b, i ? ", " : "");
            const m_index_col *col = &ix->cols[i];
            json_str(b, gen_printf(b->arena, "%s%s%s%s", col->name, col->opclass ? " " : "",
                                   col->opclass ? col->opclass : "", col->desc ? " DESC" : ""));
        }
        gen_buf_puts(b, "]");
    }
    kstr(&o, "expression", ix->expression);
    kbool(&o, "unique", ix->unique);
    kstr(&o, "where", ix->where);
    kstr(&o, "method", ix->method);
    knames(&o, "include", &ix->include);
    kbool(&o, "concurrently", ix->concurrently);
    if (ix->with.n) {
        key(&o, "with");
        gen_buf_puts(b, "{");
        for (size_t i = 0; i < ix->with.n; i++) {
            gen_buf_puts(b, i ? ", " : "");
            json_str(b, ix->with.items[i]);
            gen_buf_puts(b, ": ");
            json_str(b, ix->with_values[i]);
        }
        gen_buf_puts(b, "}");
    }
    gen_buf_puts(b, "}");
}

static void trigger(gen_buf *b, const m_trigger *tr)
{
    static const char *const events[] = {"insert", "update", "delete", "truncate"};
    const char *ev[4];
    size_t n = 0;
    for (int k = 0; k < 4; k++)
        if (tr->events & (1u << k))
            ev[n++] = events[k];
    jobj o = {b, 0, ", "};
    gen_buf_puts(b, "{");
    kstr(&o, "name", tr->name);
    kstr(&o, "function", tr->function);
    kstr(&o, "timing", tr->timing);
    kstrs(&o, "events", n, ev);
    knames(&o, "columns", &tr->columns);
    kstr(&o, "for_each", tr->for_each_row ? "row" : "statement");
    kstr(&o, "when", tr->when);
    gen_buf_puts(b, "}");
}

/* A list of one-line items under key, one item per line. */
#define LIST(o, k, n, indent, ...)                                                         \
    do {                                                                                      \
        key(o, k);                                                                            \
        gen_buf_puts((o)->b, (n) ? "[\n" : "[]");                                             \
        for (size_t i_ = 0; i_ < (n); i_++) {                                                 \
            gen_buf_puts((o)->b, indent "  ");                                                \
            __VA_ARGS__;                                                                      \
            gen_buf_puts((o)->b, i_ + 1 < (n) ? ",\n" : "\n" indent "]");                     \
        }                                                                                     \
    } while (0)

/* ---- tables --------------------------------------------------------- */

static void partition(gen_buf *b, const m_partition *p)
{
    static const char *const by[] = {"list", "hash", "range"};
    jobj o = {b, 0, ",\n        "};
    gen_buf_puts(b, "{\n        ");
    kstr(&o, "by", by[p->by]);
    kstr(&o, "key", p->key);
    kstr(&o, "source", p->source);
    kstr(&o, "expression", p->expression);
    if (p->by != PART_RANGE) {
        kint(&o, "count", p->count);
        kstr(&o, "name", p->name_pattern);
    }
    if (p->nranges) {
        LIST(&o, "ranges", p->nranges, "        ", {
            const m_range *r = &p->ranges[i_];
            jobj ro = {b, 0, ", "};
            gen_buf_puts(b, "{");
            kstr(&ro, "name", r->name);
            kstr(&ro, "from", r->from);
            kstr(&ro, "to", r->to);
            gen_buf_puts(b, "}");
        });
    }
    kstr(&o, "default", p->default_name);
    gen_buf_puts(b, "\n      }");
}

static void table(gen_buf *b, const m_table *t)
{
    jobj o = {b, 0, ",\n      "};
    gen_buf_puts(b, "{\n      ");
    kstr(&o, "comment", t->comment);
    key(&o, "columns");
    gen_buf_puts(b, "{\n");
    for (size_t i = 0; i < t->ncolumns; i++) {
        gen_buf_puts(b, "        ");
        json_str(b, t->columns[i].name);
        gen_buf_puts(b, ": ");
        column(b, &t->columns[i]);
        gen_buf_puts(b, i + 1 < t->ncolumns ? ",\n" : "\n      }");
    }
    knames(&o, "primary_key", &t->primary_key);
    LIST(&o, "unique", t->nuniques, "      ", {
        jobj uo = {b, 0, ", "};
        gen_buf_puts(b, "{");
        kstr(&uo, "name", t->uniques[i_].name);
        knames(&uo, "columns", &t->uniques[i_].columns);
        gen_buf_puts(b, "}");
    });
    LIST(&o, "checks", t->nchecks, "      ", {
        jobj co = {b, 0, ", "};
        gen_buf_puts(b, "{");
        kstr(&co, "name", t->checks[i_].name);
        kstr(&co, "expr", t->checks[i_].expr);
        gen_buf_puts(b, "}");
    });
    LIST(&o, "foreign_keys", t->nfks, "      ", {
        const m_fk *fk = &t->fks[i_];
        jobj fo = {b, 0, ", "};
        gen_buf_puts(b, "{");
        kstr(&fo, "name", fk->name);
        knames(&fo, "columns", &fk->columns);
        kstr(&fo, "references", fk->ref_table);
        knames(&fo, "ref_columns", &fk->ref_columns);
        kstr(&fo, "on_delete", fk_action_name(fk->on_delete));
        kstr(&fo, "on_update", fk_action_name(fk->on_update));
        gen_buf_puts(b, "}");
    });
    LIST(&o, "indexes", t->nindexes, "      ", index_(b, &t->indexes[i_]));
    if (t->partition) {
        key(&o, "partition");
        partition(b, t->partition);
    }
    LIST(&o, "triggers", t->ntriggers, "      ", trigger(b, &t->triggers[i_]));
    if (t->dist_column) {
        key(&o, "distribution");
        jobj dobj = {b, 0, ", "};
        gen_buf_puts(b, "{");
        kstr(&dobj, "column", t->dist_column);
        kstr(&dobj, "colocate_with", t->colocate_with);
        gen_buf_puts(b, "}");
    }
    if (t->reference)
        kbool(&o, "reference", true);
    gen_buf_puts(b, "\n    }");
}

/* ---- enums, functions, views ------------------------------------------ */

static void enum_(gen_buf *b, const m_enum *e)
{
    jobj o = {b, 0, ", "};
    gen_buf_puts(b, "{");
    kstr(&o, "comment", e->comment);
    knames(&o, "values", &e->values);
    gen_buf_puts(b, "}");
}

static void function(gen_buf *b, const m_function *f)
{
    jobj o = {b, 0, ",\n      "};
    gen_buf_puts(b, "{\n      ");
    kstr(&o, "comment", f->comment);
    kstr(&o, "returns", f->returns);
    kstr(&o, "language", f->language);
    kstr(&o, "volatility", f->volatility);
    LIST(&o, "args", f->nargs, "      ", {
        jobj ao = {b, 0, ", "};
        gen_buf_puts(b, "{");
        kstr(&ao, "name", f->args[i_].name);
        kstr(&ao, "type", f->args[i_].type);
        gen_buf_puts(b, "}");
    });
    kstr(&o, "body", f->body);
    gen_buf_puts(b, "\n    }");
}

static void view(gen_buf *b, const m_view *w)
{
    jobj o = {b, 0, ",\n      "};
    gen_buf_puts(b, "{\n      ");
    kstr(&o, "comment", w->comment);
    kbool(&o, "materialized", w->materialized);
    knames(&o, "depends_on", &w->depends_on);
    kstr(&o, "sql", w->sql);
    if (w->materialized)
        LIST(&o, "indexes", w->nindexes, "      ", index_(b, &w->indexes[i_]));
    gen_buf_puts(b, "\n    }");
}

/* A top-level section: "name": { "item": {...}, ... } */
#define SECTION(o, k, n, items, emit)                                                         \
    do {                                                                                      \
        key(o, k);                                                                            \
        gen_buf_puts((o)->b, (n) ? "{\n" : "{}");                                             \
        for (size_t i_ = 0; i_ < (n); i_++) {                                                 \
            gen_buf_puts((o)->b, "    ");                                                     \
            json_str((o)->b, (items)[i_].name);                                               \
            gen_buf_puts((o)->b, ": ");                                                       \
            emit((o)->b, &(items)[i_]);                                                       \
            gen_buf_puts((o)->b, i_ + 1 < (n) ? ",\n" : "\n  }");                             \
        }                                                                                     \
    } while (0)

void snapshot_write(const m_schema *s, gen_buf *out)
{
    jobj o = {out, 0, ",\n  "};
    gen_buf_puts(out, "{\n  ");
    kstr(&o, "schema", s->name);
    kstr(&o, "prefix", s->prefix);
    if (s->extensions.n)
        knames(&o, "extensions", &s->extensions);
    SECTION(&o, "enums", s->nenums, s->enums, enum_);
    SECTION(&o, "functions", s->nfunctions, s->functions, function);
    SECTION(&o, "tables", s->ntables, s->tables, table);
    SECTION(&o, "views", s->nviews, s->views, view);
    gen_buf_puts(out, "\n}\n");
}
