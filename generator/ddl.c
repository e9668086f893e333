#include "ddl.h"

#include <stdio.h>
#include <string.h>

void ddl_script_init(ddl_script *d, gen_arena *a)
{
    memset(d, 0, sizeof *d);
    d->arena = a;
}

static void add(ddl_script *d, ddl_kind kind, const char *object, const char *sql)
{
    gen_grow(d->arena, (void **)&d->items, &d->cap, d->n + 1, sizeof *d->items);
    d->items[d->n++] = (ddl_stmt){kind, object, sql};
}

static const char *qualify(gen_arena *a, const m_schema *s, const char *name)
{
    return gen_printf(a, "%s.%s", s->name, name);
}

const char *ddl_literal(gen_arena *a, const char *text)
{
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, "'");
    for (const char *p = text; *p;) {
        size_t plain = strcspn(p, "'");
        gen_buf_add(&b, p, plain);
        p += plain;
        if (*p == '\'') {
            gen_buf_puts(&b, "''");
            p++;
        }
    }
    gen_buf_puts(&b, "'");
    return b.data;
}

/* "a, b, c" */
static const char *join_names(gen_arena *a, const m_names *n, const char *sep)
{
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t i = 0; i < n->n; i++) {
        if (i)
            gen_buf_puts(&b, sep);
        gen_buf_puts(&b, n->items[i]);
    }
    return b.data ? b.data : "";
}

/* PostgreSQL's own naming pattern, cut to 63 bytes like the server does. */
static const char *constraint_name(gen_arena *a, const char *table, const char *cols,
                                   const char *suffix)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s_%s%s%s", table, cols, *cols ? "_" : "", suffix);
    buf[63] = '\0';
    return gen_strdup(a, buf);
}

const char *ddl_pk_name(gen_arena *a, const m_table *t)
{
    return constraint_name(a, t->name, "", "pkey");
}

const char *ddl_unique_name(gen_arena *a, const m_table *t, const m_names *cols)
{
    return constraint_name(a, t->name, join_names(a, cols, "_"), "key");
}

const char *ddl_fk_name(gen_arena *a, const m_table *t, const m_names *cols)
{
    return constraint_name(a, t->name, join_names(a, cols, "_"), "fkey");
}

const char *ddl_check_name(gen_arena *a, const m_table *t, const char *column)
{
    return constraint_name(a, t->name, column, "check");
}

const char *ddl_partition_name(gen_arena *a, const m_table *t, int i)
{
    const m_partition *p = t->partition;
    int width = 1;
    for (int n = p->count - 1; n >= 10; n /= 10)
        width++;
    char num[16], wide[16];
    snprintf(num, sizeof num, "%d", i);
    snprintf(wide, sizeof wide, "%0*d", width, i);
    gen_buf b;
    gen_buf_init(&b, a);
    for (const char *s = p->name_pattern; *s;) {
        if (strncmp(s, "{nn}", 4) == 0) {
            gen_buf_puts(&b, wide);
            s += 4;
        } else if (strncmp(s, "{n}", 3) == 0) {
            gen_buf_puts(&b, num);
            s += 3;
        } else if (strncmp(s, "{n:", 3) == 0 && s[3] >= '1' && s[3] <= '9' && s[4] == '}') {
            /* a fixed width: the names stay when the count grows */
            gen_buf_printf(&b, "%0*d", s[3] - '0', i);
            s += 5;
        } else {
            gen_buf_add(&b, s++, 1);
        }
    }
    return b.data;
}

static const char *type_sql(gen_arena *a, const m_schema *s, const m_type *t)
{
    const char *base = m_type_sql(a, t);
    return t->kind == T_ENUM ? qualify(a, s, base) : base;
}

/* ---- enums, functions ------------------------------------------------ */

static void create_enum(const m_schema *s, const m_enum *e, ddl_script *d)
{
    gen_buf b;
    gen_buf_init(&b, d->arena);
    gen_buf_printf(&b, "CREATE TYPE %s AS ENUM (", qualify(d->arena, s, e->name));
    for (size_t i = 0; i < e->values.n; i++)
        gen_buf_printf(&b, "%s%s", i ? ", " : "", ddl_literal(d->arena, e->values.items[i]));
    gen_buf_puts(&b, ")");
    add(d, DDL_ENUM, qualify(d->arena, s, e->name), b.data);
}

static const char *function_signature(gen_arena *a, const m_schema *s, const m_function *f,
                                      bool with_names)
{
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "%s(", qualify(a, s, f->name));
    for (size_t i = 0; i < f->nargs; i++)
        gen_buf_printf(&b, "%s%s%s%s", i ? ", " : "", with_names ? f->args[i].name : "",
                       with_names ? " " : "", f->args[i].type);
    gen_buf_puts(&b, ")");
    return b.data;
}

/* The body's search_path is pinned: plpgsql resolves names at run time,
 * where the caller's path could otherwise shadow the schema's tables. */
static void create_function(const m_schema *s, const m_function *f, ddl_script *d)
{
    gen_arena *a = d->arena;
    const char *body = f->body;
    size_t len = strlen(body);
    const char *nl = len && body[len - 1] == '\n' ? "" : "\n";
    const char *sql = gen_printf(
        a,
        "CREATE FUNCTION %s RETURNS %s\n    LANGUAGE %s %s\n    SET search_path = pg_catalog, %s\n"
        "AS $schemac$\n%s%s$schemac$",
        function_signature(a, s, f, true), f->returns, f->language,
        strcmp(f->volatility, "volatile") == 0 ? "VOLATILE"
        : strcmp(f->volatility, "stable") == 0 ? "STABLE"
                                               : "IMMUTABLE",
        s->name, body, nl);
    add(d, DDL_FUNCTION, function_signature(a, s, f, false), sql);
}

/* ---- tables --------------------------------------------------------- */

static void column_definition(const m_schema *s, const m_column *c, gen_buf *b)
{
    gen_arena *a = b->arena;
    gen_buf_printf(b, "    %s %s", c->name, type_sql(a, s, &c->type));
    if (c->generated)
        gen_buf_printf(b, " GENERATED ALWAYS AS (%s) STORED", c->generated);
    if (!c->nullable)
        gen_buf_puts(b, " NOT NULL");
    if (c->default_sql)
        gen_buf_printf(b, " DEFAULT %s", c->default_sql);
}

size_t ddl_table_constraints(gen_arena *a, const m_table *t, ddl_constraint **out)
{
    size_t n = 0, cap = 0;
    ddl_constraint *items = NULL;
#define PUSH(nm, df)                                                                          \
    do {                                                                                      \
        gen_grow(a, (void **)&items, &cap, n + 1, sizeof *items);                             \
        items[n++] = (ddl_constraint){(nm), (df)};                                            \
    } while (0)
    if (t->primary_key.n)
        PUSH(ddl_pk_name(a, t), gen_printf(a, "PRIMARY KEY (%s)", join_names(a, &t->primary_key, ", ")));
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        const char *name = c->name;
        m_names one = {1, &name, NULL};
        if (c->unique)
            PUSH(ddl_unique_name(a, t, &one), gen_printf(a, "UNIQUE (%s)", c->name));
        if (c->check)
            PUSH(ddl_check_name(a, t, c->name), gen_printf(a, "CHECK (%s)", c->check));
    }
    for (size_t i = 0; i < t->nuniques; i++) {
        const m_unique *u = &t->uniques[i];
        PUSH(u->name ? u->name : ddl_unique_name(a, t, &u->columns),
             gen_printf(a, "UNIQUE (%s)", join_names(a, &u->columns, ", ")));
    }
    for (size_t i = 0; i < t->nchecks; i++) {
        const m_check *k = &t->checks[i];
        const char *name = k->name ? k->name
                           : i ? gen_printf(a, "%s_check%zu", t->name, i)
                               : gen_printf(a, "%s_check", t->name);
        PUSH(name, gen_printf(a, "CHECK (%s)", k->expr));
    }
    const m_partition *p = t->partition;
    if (p && p->by == PART_LIST && p->expression)
        PUSH(ddl_check_name(a, t, p->key), gen_printf(a, "CHECK (%s = %s)", p->key, p->expression));
#undef PUSH
    *out = items;
    return n;
}

static void table_constraints(const m_table *t, gen_buf *b)
{
    ddl_constraint *k;
    size_t n = ddl_table_constraints(b->arena, t, &k);
    for (size_t i = 0; i < n; i++)
        gen_buf_printf(b, ",\n    CONSTRAINT %s %s", k[i].name, k[i].definition);
}

static void create_table(const m_schema *s, const m_table *t, ddl_script *d)
{
    gen_buf b;
    gen_buf_init(&b, d->arena);
    gen_buf_printf(&b, "CREATE TABLE %s (\n", qualify(d->arena, s, t->name));
    for (size_t i = 0; i < t->ncolumns; i++) {
        if (i)
            gen_buf_puts(&b, ",\n");
        column_definition(s, &t->columns[i], &b);
    }
    table_constraints(t, &b);
    gen_buf_puts(&b, "\n)");
    static const char *const by[] = {"LIST", "HASH", "RANGE"};
    if (t->partition)
        gen_buf_printf(&b, " PARTITION BY %s (%s)", by[t->partition->by], t->partition->key);
    add(d, DDL_TABLE, qualify(d->arena, s, t->name), b.data);
}

static void create_partitions(const m_schema *s, const m_table *t, ddl_script *d)
{
    gen_arena *a = d->arena;
    const m_partition *p = t->partition;
    const char *parent = qualify(a, s, t->name);
    for (int i = 0; p->by != PART_RANGE && i < p->count; i++) {
        const char *name = qualify(a, s, ddl_partition_name(a, t, i));
        const char *bound =
            p->by == PART_LIST ? gen_printf(a, "FOR VALUES IN (%d)", i)
                               : gen_printf(a, "FOR VALUES WITH (MODULUS %d, REMAINDER %d)",
                                            p->count, i);
        add(d, DDL_PARTITION, name,
            gen_printf(a, "CREATE TABLE %s PARTITION OF %s %s", name, parent, bound));
    }
    for (size_t i = 0; i < p->nranges; i++) {
        const m_range *r = &p->ranges[i];
        const char *name = qualify(a, s, r->name);
        add(d, DDL_PARTITION, name,
            gen_printf(a, "CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%s) TO (%s)", name,
                       parent, r->from, r->to));
    }
    if (p->default_name) {
        const char *name = qualify(a, s, p->default_name);
        add(d, DDL_PARTITION, name,
            gen_printf(a, "CREATE TABLE %s PARTITION OF %s DEFAULT", name, parent));
    }
}

static const char *fk_actions(gen_arena *a, m_fk_action on_delete, m_fk_action on_update)
{
    static const char *const del[] = {"", " ON DELETE CASCADE", " ON DELETE SET NULL",
                                      " ON DELETE SET DEFAULT", " ON DELETE RESTRICT"};
    static const char *const upd[] = {"", " ON UPDATE CASCADE", " ON UPDATE SET NULL",
                                      " ON UPDATE SET DEFAULT", " ON UPDATE RESTRICT"};
    return gen_printf(a, "%s%s", del[on_delete], upd[on_update]);
}

static void add_fk(const m_schema *s, const m_table *t, const char *name, const m_names *cols,
                   const char *target, const m_names *refs, m_fk_action del, m_fk_action upd,
                   ddl_script *d)
{
    gen_arena *a = d->arena;
    const char *sql = gen_printf(
        a, "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s)%s",
        qualify(a, s, t->name), name, join_names(a, cols, ", "), qualify(a, s, target),
        join_names(a, refs, ", "), fk_actions(a, del, upd));
    add(d, DDL_FOREIGN_KEY, gen_printf(a, "%s.%s", qualify(a, s, t->name), name), sql);
}

static void create_foreign_keys(const m_schema *s, const m_table *t, ddl_script *d)
{
    gen_arena *a = d->arena;
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        if (!c->references)
            continue;
        const char *dot = strchr(c->references, '.');
        const char *target = gen_strndup(a, c->references, (size_t)(dot - c->references));
        const char *ref = dot + 1, *name = c->name;
        m_names cols = {1, &name, NULL}, refs = {1, &ref, NULL};
        add_fk(s, t, ddl_fk_name(a, t, &cols), &cols, target, &refs, c->on_delete, c->on_update,
               d);
    }
    for (size_t i = 0; i < t->nfks; i++) {
        const m_fk *fk = &t->fks[i];
        add_fk(s, t, fk->name ? fk->name : ddl_fk_name(a, t, &fk->columns), &fk->columns,
               fk->ref_table, &fk->ref_columns, fk->on_delete, fk->on_update, d);
    }
}

static void create_index(const m_schema *s, const char *owner, const m_index *ix, ddl_script *d)
{
    gen_arena *a = d->arena;
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "CREATE %sINDEX %s ON %s", ix->unique ? "UNIQUE " : "", ix->name,
                   qualify(a, s, owner));
    if (strcmp(ix->method, "btree") != 0)
        gen_buf_printf(&b, " USING %s", ix->method);
    gen_buf_puts(&b, " (");
    if (ix->expression)
        gen_buf_printf(&b, "(%s)", ix->expression);
    for (size_t i = 0; i < ix->ncols; i++)
        gen_buf_printf(&b, "%s%s%s%s%s", i ? ", " : "", ix->cols[i].name,
                       ix->cols[i].opclass ? " " : "",
                       ix->cols[i].opclass ? ix->cols[i].opclass : "",
                       ix->cols[i].desc ? " DESC" : "");
    gen_buf_puts(&b, ")");
    if (ix->include.n)
        gen_buf_printf(&b, " INCLUDE (%s)", join_names(a, &ix->include, ", "));
    for (size_t i = 0; i < ix->with.n; i++)
        gen_buf_printf(&b, "%s%s = %s%s", i ? ", " : " WITH (", ix->with.items[i],
                       ix->with_values[i], i + 1 < ix->with.n ? "" : ")");
    if (ix->where)
        gen_buf_printf(&b, " WHERE %s", ix->where);
    add(d, DDL_INDEX, qualify(a, s, ix->name), b.data);
}

static void create_trigger(const m_schema *s, const m_table *t, const m_trigger *tr,
                           ddl_script *d)
{
    static const char *const events[] = {"INSERT", "UPDATE", "DELETE", "TRUNCATE"};
    gen_arena *a = d->arena;
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "CREATE TRIGGER %s %s ", tr->name,
                   strcmp(tr->timing, "before") == 0 ? "BEFORE" : "AFTER");
    bool first = true;
    for (int k = 0; k < 4; k++) {
        if (!(tr->events & (1u << k)))
            continue;
        gen_buf_printf(&b, "%s%s", first ? "" : " OR ", events[k]);
        if (k == 1 && tr->columns.n)
            gen_buf_printf(&b, " OF %s", join_names(a, &tr->columns, ", "));
        first = false;
    }
    gen_buf_printf(&b, " ON %s FOR EACH %s", qualify(a, s, t->name),
                   tr->for_each_row ? "ROW" : "STATEMENT");
    if (tr->when)
        gen_buf_printf(&b, " WHEN (%s)", tr->when);
    gen_buf_printf(&b, " EXECUTE FUNCTION %s()", qualify(a, s, tr->function));
    add(d, DDL_TRIGGER, gen_printf(a, "%s ON %s", tr->name, qualify(a, s, t->name)), b.data);
}

/* ---- views, comments ------------------------------------------------ */

static const char *trimmed(gen_arena *a, const char *sql)
{
    size_t n = strlen(sql);
    while (n && (sql[n - 1] == '\n' || sql[n - 1] == ' ' || sql[n - 1] == ';'))
        n--;
    return gen_strndup(a, sql, n);
}

static void create_view(const m_schema *s, const m_view *w, ddl_script *d)
{
    gen_arena *a = d->arena;
    const char *name = qualify(a, s, w->name);
    add(d, DDL_VIEW, name,
        gen_printf(a, "CREATE %sVIEW %s AS\n%s", w->materialized ? "MATERIALIZED " : "", name,
                   trimmed(a, w->sql)));
    for (size_t i = 0; i < w->nindexes; i++)
        create_index(s, w->name, &w->indexes[i], d);
}

static void comment_on(ddl_script *d, const char *what, const char *object, const char *text)
{
    if (!text)
        return;
    add(d, DDL_COMMENT, object,
        gen_printf(d->arena, "COMMENT ON %s %s IS %s", what, object, ddl_literal(d->arena, text)));
}

static void create_comments(const m_schema *s, ddl_script *d)
{
    gen_arena *a = d->arena;
    for (size_t i = 0; i < s->nenums; i++)
        comment_on(d, "TYPE", qualify(a, s, s->enums[i].name), s->enums[i].comment);
    for (size_t i = 0; i < s->nfunctions; i++)
        comment_on(d, "FUNCTION", function_signature(a, s, &s->functions[i], false),
                   s->functions[i].comment);
    for (size_t i = 0; i < s->ntables; i++) {
        const m_table *t = &s->tables[i];
        comment_on(d, "TABLE", qualify(a, s, t->name), t->comment);
        for (size_t k = 0; k < t->ncolumns; k++)
            comment_on(d, "COLUMN", gen_printf(a, "%s.%s", qualify(a, s, t->name), t->columns[k].name),
                       t->columns[k].comment);
    }
    for (size_t i = 0; i < s->nviews; i++)
        comment_on(d, s->views[i].materialized ? "MATERIALIZED VIEW" : "VIEW",
                   qualify(a, s, s->views[i].name), s->views[i].comment);
}

/* Extensions live in public, where every session's default search_path
 * finds their types and operators; the scripts then search it last. */
const char *ddl_search_path(gen_arena *a, const m_schema *s)
{
    return gen_printf(a, "pg_catalog, %s%s", s->name, s->extensions.n ? ", public" : "");
}

/* "uuid-ossp" needs quotes, "vector" reads better without. */
void ddl_create_extension(const char *name, ddl_script *d)
{
    const char *q = strchr(name, '-') ? "\"" : "";
    const char *object = gen_printf(d->arena, "%s%s%s", q, name, q);
    add(d, DDL_EXTENSION, object, gen_printf(d->arena, "CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA public", object));
}

void ddl_create_all(const m_schema *s, ddl_script *d)
{
    for (size_t i = 0; i < s->extensions.n; i++)
        ddl_create_extension(s->extensions.items[i], d);
    add(d, DDL_SCHEMA, s->name, gen_printf(d->arena, "CREATE SCHEMA IF NOT EXISTS %s", s->name));
    for (size_t i = 0; i < s->nenums; i++)
        create_enum(s, &s->enums[i], d);
    for (size_t i = 0; i < s->nfunctions; i++)
        create_function(s, &s->functions[i], d);
    for (size_t i = 0; i < s->ntables; i++) {
        create_table(s, &s->tables[i], d);
        if (s->tables[i].partition)
            create_partitions(s, &s->tables[i], d);
    }
    for (size_t i = 0; i < s->ntables; i++)
        create_foreign_keys(s, &s->tables[i], d);
    for (size_t i = 0; i < s->ntables; i++)
        for (size_t k = 0; k < s->tables[i].nindexes; k++)
            create_index(s, s->tables[i].name, &s->tables[i].indexes[k], d);
    for (size_t i = 0; i < s->ntables; i++)
        for (size_t k = 0; k < s->tables[i].ntriggers; k++)
            create_trigger(s, &s->tables[i], &s->tables[i].triggers[k], d);
    for (size_t i = 0; i < s->nviews; i++)
        create_view(s, &s->views[i], d);
    create_comments(s, d);
}

/* View bodies are bound when created, so the path only needs to find the
 * schema's own tables while the script runs; pg_catalog comes first so the
 * schema cannot shadow built-ins either. */
void ddl_write_script(const m_schema *s, const ddl_script *d, gen_buf *out)
{
    gen_buf_printf(out, "-- Generated by schemac from %s. Do not edit.\n"
                        "-- The whole %s schema, in dependency order.\n\n"
                        "BEGIN;\n\nSET LOCAL search_path = %s;\n\n",
                   s->file, s->name, ddl_search_path(d->arena, s));
    for (size_t i = 0; i < d->n; i++)
        gen_buf_printf(out, "%s;\n\n", d->items[i].sql);
    gen_buf_puts(out, "COMMIT;\n");
}

/* ---- per-object statements, for migrations ---------------------------- */

const char *ddl_qualify(gen_arena *a, const m_schema *s, const char *name)
{
    return qualify(a, s, name);
}

const char *ddl_type_sql(gen_arena *a, const m_schema *s, const m_type *t)
{
    return type_sql(a, s, t);
}

const char *ddl_column_definition(gen_arena *a, const m_schema *s, const m_column *c)
{
    gen_buf b;
    gen_buf_init(&b, a);
    column_definition(s, c, &b);
    return b.data + 4; /* column_definition indents for CREATE TABLE */
}

const char *ddl_function_signature(gen_arena *a, const m_schema *s, const m_function *f)
{
    return function_signature(a, s, f, false);
}

void ddl_create_enum(const m_schema *s, const m_enum *e, ddl_script *d)
{
    create_enum(s, e, d);
}

void ddl_create_function(const m_schema *s, const m_function *f, ddl_script *d)
{
    create_function(s, f, d);
}

void ddl_create_table(const m_schema *s, const m_table *t, ddl_script *d)
{
    create_table(s, t, d);
}

void ddl_create_partitions(const m_schema *s, const m_table *t, ddl_script *d)
{
    if (t->partition)
        create_partitions(s, t, d);
}

void ddl_create_foreign_keys(const m_schema *s, const m_table *t, ddl_script *d)
{
    create_foreign_keys(s, t, d);
}

void ddl_create_index(const m_schema *s, const char *owner, const m_index *ix, ddl_script *d)
{
    create_index(s, owner, ix, d);
}

void ddl_create_trigger(const m_schema *s, const m_table *t, const m_trigger *tr, ddl_script *d)
{
    create_trigger(s, t, tr, d);
}

void ddl_create_view(const m_schema *s, const m_view *w, ddl_script *d)
{
    create_view(s, w, d);
}

void ddl_comment(ddl_script *d, const char *what, const char *object, const char *text)
{
    add(d, DDL_COMMENT, object,
        gen_printf(d->arena, "COMMENT ON %s %s IS %s", what, object,
                   text ? ddl_literal(d->arena, text) : "NULL"));
}

void ddl_table_comments(const m_schema *s, const m_table *t, ddl_script *d)
{
    gen_arena *a = d->arena;
    comment_on(d, "TABLE", qualify(a, s, t->name), t->comment);
    for (size_t k = 0; k < t->ncolumns; k++)
        comment_on(d, "COLUMN", gen_printf(a, "%s.%s", qualify(a, s, t->name), t->columns[k].name),
                   t->columns[k].comment);
}

/* The inverse of ddl_create_all: views, foreign keys (tables refer to each
 * other in any order), tables (partitions, indexes, triggers and comments go
 * with them), functions, types, and the schema itself without CASCADE, so
 * that anything not created here makes the drop fail instead of vanishing
 * (never public, which the database had before any migration). */
void ddl_drop_all(const m_schema *s, ddl_script *d)
{
    gen_arena *a = d->arena;
    for (size_t i = s->nviews; i-- > 0;) {
        const m_view *w = &s->views[i];
        const char *name = qualify(a, s, w->name);
        add(d, DDL_VIEW, name,
            gen_printf(a, "DROP %sVIEW %s", w->materialized ? "MATERIALIZED " : "", name));
    }
    ddl_script fks;
    ddl_script_init(&fks, a);
    for (size_t i = 0; i < s->ntables; i++)
        create_foreign_keys(s, &s->tables[i], &fks);
    for (size_t i = fks.n; i-- > 0;)
        add(d, DDL_FOREIGN_KEY, fks.items[i].object, ddl_drop_sql(a, &fks.items[i]));
    for (size_t i = s->ntables; i-- > 0;) {
        const char *name = qualify(a, s, s->tables[i].name);
        add(d, DDL_TABLE, name, gen_printf(a, "DROP TABLE %s", name));
    }
    for (size_t i = s->nfunctions; i-- > 0;) {
        const char *sig = function_signature(a, s, &s->functions[i], false);
        add(d, DDL_FUNCTION, sig, gen_printf(a, "DROP FUNCTION %s", sig));
    }
    for (size_t i = s->nenums; i-- > 0;) {
        const char *name = qualify(a, s, s->enums[i].name);
        add(d, DDL_ENUM, name, gen_printf(a, "DROP TYPE %s", name));
    }
    /* public exists in every database and belongs to it, not to us */
    if (strcmp(s->name, "public") != 0)
        add(d, DDL_SCHEMA, s->name, gen_printf(a, "DROP SCHEMA %s", s->name));
}

/* The object part of "X ON schema.table" / "schema.table.constraint". */
static const char *split_last_dot(gen_arena *a, const char *object, const char **rest)
{
    const char *dot = strrchr(object, '.');
    *rest = dot + 1;
    return gen_strndup(a, object, (size_t)(dot - object));
}

const char *ddl_drop_sql(gen_arena *a, const ddl_stmt *st)
{
    const char *last;
    switch (st->kind) {
    case DDL_SCHEMA:
        return gen_printf(a, "DROP SCHEMA %s", st->object);
    case DDL_EXTENSION:
        return gen_printf(a, "DROP EXTENSION IF EXISTS %s", st->object);
    case DDL_ENUM:
        return gen_printf(a, "DROP TYPE %s", st->object);
    case DDL_FUNCTION:
        return gen_printf(a, "DROP FUNCTION %s", st->object);
    case DDL_TABLE:
    case DDL_PARTITION:
        return gen_printf(a, "DROP TABLE %s", st->object);
    case DDL_FOREIGN_KEY: {
        const char *table = split_last_dot(a, st->object, &last);
        return gen_printf(a, "ALTER TABLE %s DROP CONSTRAINT %s", table, last);
    }
    case DDL_INDEX:
        return gen_printf(a, "DROP INDEX %s", st->object);
    case DDL_TRIGGER:
        return gen_printf(a, "DROP TRIGGER %s", st->object);
    case DDL_VIEW:
        return gen_printf(a, "DROP %sVIEW %s",
                          strncmp(st->sql, "CREATE MATERIALIZED", 19) == 0 ? "MATERIALIZED " : "",
                          st->object);
    case DDL_COMMENT:
        break;
    }
    return NULL;
}
