/* schemac erd: tables with their columns (type, key, nullability), foreign
 * keys as edges with their ON DELETE, partitioned tables with their
 * partition count, and the enums. DOT is drawn with HTML-like labels (one
 * row per column, the column name cell is the edge port); SVG is that DOT
 * through `dot -Tsvg`; Mermaid is an erDiagram whose words are kept to what
 * every Mermaid release lexes (see mmd_word). */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "erd.h"
#include "output.h"
#include "schemac_gen.h"

extern char **environ;

/* One foreign key, whether written on the column (references:) or on the
 * table (foreign_keys:). */
typedef struct erd_fk {
    const m_table *parent;
    m_names cols, refs;
    m_fk_action on_delete, on_update;
} erd_fk;

typedef struct erd_fks {
    size_t n;
    erd_fk *items;
} erd_fks;

static const char *const actions[] = {"NO ACTION", "CASCADE", "SET NULL", "SET DEFAULT",
                                      "RESTRICT"};

static m_names one_name(gen_arena *a, const char *name)
{
    const char **items = gen_alloc(a, sizeof *items);
    items[0] = name;
    return (m_names){1, items, NULL};
}

/* Column-level references first, then table-level keys: declaration order. */
static erd_fks table_fks(const m_schema *s, const m_table *t, gen_arena *a)
{
    erd_fks out = {0, gen_alloc(a, (t->ncolumns + t->nfks + 1) * sizeof(erd_fk))};
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        if (!c->references)
            continue;
        const char *dot = strchr(c->references, '.');
        const char *table = gen_strndup(a, c->references, (size_t)(dot - c->references));
        out.items[out.n++] = (erd_fk){m_find_table(s, table), one_name(a, c->name),
                                      one_name(a, dot + 1), c->on_delete, c->on_update};
    }
    for (size_t i = 0; i < t->nfks; i++) {
        const m_fk *fk = &t->fks[i];
        out.items[out.n++] =
            (erd_fk){fk->target, fk->columns, fk->ref_columns, fk->on_delete, fk->on_update};
    }
    return out;
}

static bool names_have(const m_names *n, const char *name)
{
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->items[i], name) == 0)
            return true;
    return false;
}

static bool is_fk(const erd_fks *fks, const char *col)
{
    for (size_t i = 0; i < fks->n; i++)
        if (names_have(&fks->items[i].cols, col))
            return true;
    return false;
}

/* Unique on its own: a composite unique constraint says nothing about one column. */
static bool is_unique(const m_table *t, const m_column *c)
{
    if (c->unique)
        return true;
    for (size_t i = 0; i < t->nuniques; i++)
        if (t->uniques[i].columns.n == 1 && strcmp(t->uniques[i].columns.items[0], c->name) == 0)
            return true;
    return false;
}

/* The key columns are exactly one unique set: at most one child per parent. */
static bool fk_is_one_to_one(const m_table *t, const erd_fk *fk)
{
    if (fk->cols.n == 1 && is_unique(t, m_find_column(t, fk->cols.items[0])))
        return true;
    if (fk->cols.n != t->primary_key.n)
        return false;
    for (size_t i = 0; i < fk->cols.n; i++)
        if (!names_have(&t->primary_key, fk->cols.items[i]))
            return false;
    return true;
}

static bool fk_is_nullable(const m_table *t, const erd_fk *fk)
{
    for (size_t i = 0; i < fk->cols.n; i++) {
        const m_column *c = m_find_column(t, fk->cols.items[i]);
        if (c && c->nullable)
            return true;
    }
    return false;
}

/* Identifying: the child's primary key contains the whole foreign key. */
static bool fk_is_identifying(const m_table *t, const erd_fk *fk)
{
    for (size_t i = 0; i < fk->cols.n; i++)
        if (!names_have(&t->primary_key, fk->cols.items[i]))
            return false;
    return true;
}

static const char *fk_actions(gen_arena *a, const erd_fk *fk)
{
    if (fk->on_update == FK_NO_ACTION)
        return gen_printf(a, "ON DELETE %s", actions[fk->on_delete]);
    return gen_printf(a, "ON DELETE %s ON UPDATE %s", actions[fk->on_delete],
                      actions[fk->on_update]);
}

static const char *join(gen_arena *a, const m_names *n)
{
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t i = 0; i < n->n; i++)
        gen_buf_printf(&b, "%s%s", i ? ", " : "", n->items[i]);
    return b.data ? b.data : "";
}

/* A range table counts its ranges; every kind counts its default partition. */
static int partition_count(const m_partition *p)
{
    int n = p->by == PART_RANGE ? (int)p->nranges : p->count;
    return n + (p->default_name ? 1 : 0);
}

static const char *partition_note(gen_arena *a, const m_table *t)
{
    static const char *const by[] = {"LIST", "HASH", "RANGE"};
    const m_partition *p = t->partition;
    int n = partition_count(p);
    return gen_printf(a, "partitioned by %s (%s), %d partition%s", by[p->by], p->key, n,
                      n == 1 ? "" : "s");
}

/* "PK", "FK", "UK" joined by sep: what keys the column takes part in. */
static const char *key_marks(gen_arena *a, const m_table *t, const erd_fks *fks,
                             const m_column *c, const char *sep)
{
    bool pk = names_have(&t->primary_key, c->name), fk = is_fk(fks, c->name);
    bool uk = !pk && is_unique(t, c);
    return gen_printf(a, "%s%s%s%s%s", pk ? "PK" : "", pk && fk ? sep : "", fk ? "FK" : "",
                      (pk || fk) && uk ? sep : "", uk ? "UK" : "");
}

/* ---- DOT ---------------------------------------------------------------- */

/* Text inside an HTML-like label or a quoted DOT string. */
static void dot_escape(gen_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': gen_buf_puts(b, "&amp;"); break;
        case '<': gen_buf_puts(b, "&lt;"); break;
        case '>': gen_buf_puts(b, "&gt;"); break;
        case '"': gen_buf_puts(b, "&quot;"); break;
        default: gen_buf_add(b, s, 1);
        }
    }
}

static void dot_cell(gen_buf *b, const char *port, const char *text)
{
    gen_buf_puts(b, "<td align=\"left\"");
    if (port) {
        gen_buf_puts(b, " port=\"");
        dot_escape(b, port);
        gen_buf_puts(b, "\"");
    }
    gen_buf_puts(b, ">");
    dot_escape(b, text);
    gen_buf_puts(b, "</td>");
}

/* A row has a port at each end, <column>_l and <column>_r (no two columns
 * can share one), so that edges leave a parent row on its right and enter a
 * child row on its left instead of crossing the cells. */
static void dot_column(gen_buf *b, const m_table *t, const erd_fks *fks, const m_column *c)
{
    gen_arena *a = b->arena;
    gen_buf_puts(b, "    <tr>");
    dot_cell(b, gen_printf(a, "%s_l", c->name), key_marks(a, t, fks, c, " "));
    dot_cell(b, NULL, c->name);
    dot_cell(b, NULL, m_type_sql(a, &c->type));
    dot_cell(b, gen_printf(a, "%s_r", c->name), c->nullable ? "NULL" : "NOT NULL");
    gen_buf_puts(b, "</tr>\n");
}

static void dot_table(gen_buf *b, const m_table *t, const erd_fks *fks)
{
    gen_buf_puts(b, "  \"");
    dot_escape(b, t->name);
    gen_buf_puts(b, "\" [label=<\n    <table border=\"0\" cellborder=\"1\" cellspacing=\"0\" "
                    "cellpadding=\"3\">\n");
    gen_buf_printf(b, "    <tr><td colspan=\"4\" bgcolor=\"%s\"><b>",
                   t->partition ? "#f2d7a6" : "#c6d7ec");
    dot_escape(b, t->name);
    gen_buf_puts(b, "</b></td></tr>\n");
    if (t->partition) {
        gen_buf_puts(b, "    <tr><td colspan=\"4\" bgcolor=\"#faefd9\"><i>");
        dot_escape(b, partition_note(b->arena, t));
        gen_buf_puts(b, "</i></td></tr>\n");
    }
    for (size_t i = 0; i < t->ncolumns; i++)
        dot_column(b, t, fks, &t->columns[i]);
    gen_buf_puts(b, "    </table>>];\n");
}

/* Parent -> child, so that parents sit left of their children; the arrow
 * ends carry the cardinality (crow's foot at the child). */
static void dot_edge(gen_buf *b, const m_table *t, const erd_fk *fk)
{
    gen_arena *a = b->arena;
    gen_buf_puts(b, "  \"");
    dot_escape(b, fk->parent->name);
    gen_buf_puts(b, "\":\"");
    dot_escape(b, fk->refs.items[0]);
    gen_buf_puts(b, "_r\":e -> \"");
    dot_escape(b, t->name);
    gen_buf_puts(b, "\":\"");
    dot_escape(b, fk->cols.items[0]);
    gen_buf_printf(b, "_l\":w [arrowtail=%s, arrowhead=%s, label=\"",
                   fk_is_nullable(t, fk) ? "teeodot" : "teetee",
                   fk_is_one_to_one(t, fk) ? "teeodot" : "crowodot");
    if (fk->cols.n > 1)
        gen_buf_printf(b, "(%s)\\n", join(a, &fk->cols));
    dot_escape(b, fk_actions(a, fk));
    gen_buf_puts(b, "\"];\n");
}

static void dot_enum(gen_buf *b, const m_enum *e)
{
    gen_buf_puts(b, "    \"enum ");
    dot_escape(b, e->name);
    gen_buf_puts(b, "\" [label=<\n    <table border=\"0\" cellborder=\"1\" cellspacing=\"0\" "
                    "cellpadding=\"3\">\n    <tr><td bgcolor=\"#dccfe8\"><i>enum</i> <b>");
    dot_escape(b, e->name);
    gen_buf_puts(b, "</b></td></tr>\n");
    for (size_t i = 0; i < e->values.n; i++) {
        gen_buf_puts(b, "    <tr>");
        dot_cell(b, NULL, e->values.items[i]);
        gen_buf_puts(b, "</tr>\n");
    }
    gen_buf_puts(b, "    </table>>];\n");
}

static const char *render_dot(const m_schema *s, gen_arena *a)
{
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "/* Generated by schemac from %s. Do not edit. */\ndigraph \"", s->file);
    dot_escape(&b, s->name);
    gen_buf_puts(&b, "\" {\n"
                     "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10, nodesep=0.3, "
                     "ranksep=1.2];\n"
                     "  node [shape=plaintext, fontname=\"Helvetica\", fontsize=10];\n"
                     "  edge [dir=both, fontname=\"Helvetica\", fontsize=8, color=\"#4d4d4d\"];\n");
    for (size_t i = 0; i < s->ntables; i++) {
        erd_fks fks = table_fks(s, &s->tables[i], a);
        gen_buf_puts(&b, "\n");
        dot_table(&b, &s->tables[i], &fks);
    }
    gen_buf_puts(&b, "\n");
    for (size_t i = 0; i < s->ntables; i++) {
        erd_fks fks = table_fks(s, &s->tables[i], a);
        for (size_t k = 0; k < fks.n; k++)
            dot_edge(&b, &s->tables[i], &fks.items[k]);
    }
    if (s->nenums) {
        gen_buf_puts(&b, "\n  subgraph cluster_enums {\n    label=\"enums\";\n"
                         "    style=dashed;\n    color=\"#999999\";\n");
        for (size_t i = 0; i < s->nenums; i++)
            dot_enum(&b, &s->enums[i]);
        gen_buf_puts(&b, "  }\n");
    }
    gen_buf_puts(&b, "}\n");
    return b.data;
}

/* ---- Mermaid ------------------------------------------------------------ */

/* A word Mermaid reads as one attribute type or name in every release: only
 * [A-Za-z0-9_], not starting with a digit, and not PK/FK/UK (which the lexer
 * takes for keys whatever their position). varchar(255) -> varchar_255,
 * numeric(10,2) -> numeric_10_2, text[] -> text_array,
 * double precision -> double_precision. */
static const char *mmd_word(gen_arena *a, const char *text)
{
    gen_buf b;
    gen_buf_init(&b, a);
    if (text[0] >= '0' && text[0] <= '9')
        gen_buf_puts(&b, "_");
    for (const char *p = text; *p; p++) {
        bool word = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '_';
        if (strncmp(p, "[]", 2) == 0) {
            gen_buf_puts(&b, b.len && b.data[b.len - 1] == '_' ? "array" : "_array");
            p++;
        } else if (word) {
            gen_buf_add(&b, p, 1);
        } else if (b.len && b.data[b.len - 1] != '_') {
            gen_buf_puts(&b, "_");
        }
    }
    while (b.len > 1 && b.data[b.len - 1] == '_')
        b.data[--b.len] = '\0';
    if (!strcasecmp(b.data, "pk") || !strcasecmp(b.data, "fk") || !strcasecmp(b.data, "uk"))
        gen_buf_puts(&b, "_");
    return b.data;
}

/* Entity names: bare when they are plain words, quoted when Mermaid's
 * lexer would take them for a keyword (it is case-insensitive and tries
 * `one`, `many`, `to`, `end`, `class`, ... before names). */
static const char *mmd_entity(gen_arena *a, const char *name)
{
    static const char *const keywords[] = {"erdiagram", "one", "many", "only", "zero", "to",
                                           "optionally", "end", "class", "classdef", "style",
                                           "subgraph", "direction", "u", "title", NULL};
    bool plain = !(name[0] >= '0' && name[0] <= '9');
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_'))
            plain = false;
    for (size_t i = 0; plain && keywords[i]; i++)
        if (strcasecmp(name, keywords[i]) == 0)
            plain = false;
    return plain ? name : gen_printf(a, "\"%s\"", name);
}

/* What Mermaid cannot show by itself: the exact name and type when the word
 * had to change, nullability, the partition key. No double quotes inside. */
static const char *mmd_comment(gen_arena *a, const m_table *t, const m_column *c)
{
    const char *sql = m_type_sql(a, &c->type);
    const char *parts[4];
    size_t n = 0;
    if (strcmp(c->name, mmd_word(a, c->name)) != 0)
        parts[n++] = gen_printf(a, "column %s", c->name);
    if (strcmp(sql, mmd_word(a, sql)) != 0)
        parts[n++] = sql;
    if (c->nullable)
        parts[n++] = "nullable";
    if (t->partition && strcmp(t->partition->key, c->name) == 0)
        parts[n++] = gen_printf(a, "partition key, %d partitions", partition_count(t->partition));
    if (n == 0)
        return "";
    m_names list = {n, parts, NULL};
    return gen_printf(a, " \"%s\"", join(a, &list));
}

static void mmd_table(gen_buf *b, const m_table *t, const erd_fks *fks)
{
    gen_arena *a = b->arena;
    if (t->partition)
        gen_buf_printf(b, "    %%%% %s: %s\n", t->name, partition_note(a, t));
    gen_buf_printf(b, "    %s {\n", mmd_entity(a, t->name));
    for (size_t i = 0; i < t->ncolumns; i++) {
        const m_column *c = &t->columns[i];
        const char *keys = key_marks(a, t, fks, c, ", ");
        gen_buf_printf(b, "        %s %s%s%s%s\n", mmd_word(a, m_type_sql(a, &c->type)),
                       mmd_word(a, c->name), *keys ? " " : "", keys, mmd_comment(a, t, c));
    }
    gen_buf_puts(b, "    }\n");
}

static void mmd_enum(gen_buf *b, const m_enum *e)
{
    gen_buf_printf(b, "    %s {\n", mmd_entity(b->arena, e->name));
    for (size_t i = 0; i < e->values.n; i++)
        gen_buf_printf(b, "        enum %s\n", mmd_word(b->arena, e->values.items[i]));
    gen_buf_puts(b, "    }\n");
}

/* parent ||--o{ child: exactly one parent (|o when the key may be NULL),
 * zero or more children (o| when the key is unique); a solid line when the
 * key is part of the child's primary key (identifying), dotted otherwise. */
static void mmd_edge(gen_buf *b, const m_table *t, const erd_fk *fk)
{
    gen_arena *a = b->arena;
    gen_buf_printf(b, "    %s %s%s%s %s : \"%s %s\"\n", mmd_entity(a, fk->parent->name),
                   fk_is_nullable(t, fk) ? "|o" : "||", fk_is_identifying(t, fk) ? "--" : "..",
                   fk_is_one_to_one(t, fk) ? "o|" : "o{", mmd_entity(a, t->name),
                   join(a, &fk->cols), fk_actions(a, fk));
}

static const char *render_mermaid(const m_schema *s, gen_arena *a)
{
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "erDiagram\n    %%%% Generated by schemac from %s. Do not edit.\n", s->file);
    for (size_t i = 0; i < s->ntables; i++) {
        erd_fks fks = table_fks(s, &s->tables[i], a);
        mmd_table(&b, &s->tables[i], &fks);
    }
    for (size_t i = 0; i < s->nenums; i++)
        mmd_enum(&b, &s->enums[i]);
    for (size_t i = 0; i < s->ntables; i++) {
        erd_fks fks = table_fks(s, &s->tables[i], a);
        for (size_t k = 0; k < fks.n; k++)
            mmd_edge(&b, &s->tables[i], &fks.items[k]);
    }
    return b.data;
}

/* ---- the verb ----------------------------------------------------------- */

bool erd_format_parse(const char *name, erd_format *out)
{
    static const char *const names[] = {"dot", "svg", "mermaid"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (erd_format)i;
            return true;
        }
    return false;
}

const char *erd_render(const m_schema *s, erd_format f, gen_arena *a)
{
    return f == ERD_MERMAID ? render_mermaid(s, a) : render_dot(s, a);
}

/* Feeds text to `dot -Tsvg [-o out]`; dot writes the SVG itself. */
static int run_dot(const char *text, const char *out, gen_diag *d)
{
    int fds[2];
    if (pipe(fds) != 0) {
        gen_error(d, (gen_loc){"schemac erd", 0, 0}, "pipe: %s", strerror(errno));
        return 1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    char *argv[] = {"dot", "-Tsvg", out ? "-o" : NULL, (char *)out, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (rc != 0) {
        close(fds[1]);
        gen_error(d, (gen_loc){"schemac erd", 0, 0},
                  "--format svg needs Graphviz's 'dot' on PATH (%s); Debian: apt-get install "
                  "graphviz, or use --format dot",
                  strerror(rc));
        return 1;
    }
    /* dot may die on bad input before reading everything: a write error,
     * not SIGPIPE, then reports it below. */
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    size_t len = strlen(text);
    bool wrote = write(fds[1], text, len) == (ssize_t)len;
    close(fds[1]);
    signal(SIGPIPE, old);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!wrote || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        gen_error(d, (gen_loc){"schemac erd", 0, 0}, "dot -Tsvg failed (status %d)", status);
        return 1;
    }
    return 0;
}

/* Writes the diagram to stdout, or to out through out.tmp, so that a
 * failed run (dot refusing, a full disk) never leaves half a file behind. */
static int write_diagram(const char *text, erd_format f, const char *out, gen_arena *a,
                         gen_diag *d)
{
    if (!out && f == ERD_SVG)
        return run_dot(text, NULL, d);
    if (!out)
        return fputs(text, stdout) < 0 || fflush(stdout) != 0;
    const char *tmp = gen_printf(a, "%s.tmp", out);
    bool ok;
    if (f == ERD_SVG) {
        ok = run_dot(text, tmp, d) == 0;
    } else {
        FILE *file = fopen(tmp, "w");
        ok = file && fputs(text, file) >= 0;
        ok = (file && fclose(file) == 0) && ok;
        if (!ok)
            gen_error(d, (gen_loc){tmp, 0, 0}, "cannot write: %s", strerror(errno));
    }
    if (ok && rename(tmp, out) != 0) {
        gen_error(d, (gen_loc){out, 0, 0}, "cannot write: %s", strerror(errno));
        ok = false;
    }
    if (!ok)
        remove(tmp);
    return ok ? 0 : 1;
}

int gen_erd(const gen_options *o, gen_diag *d)
{
    erd_format f = ERD_DOT;
    if (o->format && !erd_format_parse(o->format, &f)) {
        gen_error(d, (gen_loc){"schemac erd", 0, 0}, "--format is dot, svg or mermaid, not '%s'",
                  o->format);
        return 1;
    }
    gen_arena *a = gen_arena_new();
    m_schema *s = gen_schema_load(o->schema_path, a, d);
    int rc = 1;
    if (s) {
        rc = write_diagram(erd_render(s, f, a), f, o->out_file, a, d);
    }
    gen_arena_free(a);
    return rc;
}
