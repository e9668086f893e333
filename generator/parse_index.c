/* Index columns with operator classes, index storage parameters, and the
 * extensions a schema needs (pgvector's types, operator classes and index
 * methods come from `CREATE EXTENSION vector`). */
#include <ctype.h>
#include <string.h>

#include "parse_util.h"

static bool is_word(const char *s, size_t n)
{
    if (n == 0 || !(islower((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
            return false;
    return true;
}

static bool word_is(const char *s, size_t n, const char *w)
{
    if (strlen(w) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (toupper((unsigned char)s[i]) != w[i])
            return false;
    return true;
}

/* "embedding vector_cosine_ops", "created_at DESC", "tags jsonb_path_ops":
 * the column, then an optional operator class, then an optional direction. */
void gen_parse_index_column(pctx *c, m_index *ix, size_t k, const char *text, gen_loc loc)
{
    const char *tok[4];
    size_t len[4], n = 0;
    for (const char *p = text; *p && n < 4;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        tok[n] = p;
        len[n] = strcspn(p, " ");
        p += len[n++];
    }
    ix->col_locs[k] = loc;
    if (n == 0 || n > 3 || !is_word(tok[0], len[0])) {
        gen_error(c->d, loc, "index column '%s' must be a column name, optionally followed by an "
                             "operator class and ASC or DESC (use 'expression' for anything else)",
                  text);
        return;
    }
    ix->cols[k].name = gen_strndup(c->a, tok[0], len[0]);
    size_t i = 1;
    if (i < n && !word_is(tok[i], len[i], "ASC") && !word_is(tok[i], len[i], "DESC")) {
        if (!is_word(tok[i], len[i])) {
            gen_error(c->d, loc, "'%.*s' in index column '%s' is neither an operator class nor "
                                 "ASC or DESC",
                      (int)len[i], tok[i], text);
            return;
        }
        ix->cols[k].opclass = gen_strndup(c->a, tok[i], len[i]);
        i++;
    }
    if (i < n && word_is(tok[i], len[i], "DESC"))
        ix->cols[k].desc = true;
    else if (i < n && !word_is(tok[i], len[i], "ASC"))
        gen_error(c->d, loc, "index column direction must be ASC or DESC, not '%.*s'",
                  (int)len[i], tok[i]);
    if (i + 1 < n)
        gen_error(c->d, loc, "index column '%s' has words after its direction", text);
}

/* with: { lists: 100 } -> WITH (lists = 100). Values are numbers or words,
 * written as given. */
void gen_parse_index_with(pctx *c, m_index *ix, const ynode *m)
{
    const ynode *w = ymap_get(m, "with");
    if (!w || !expect_kind(c, w, Y_MAP, "'with' of an index"))
        return;
    ix->with.n = w->n;
    ix->with.items = gen_alloc(c->a, (w->n + 1) * sizeof *ix->with.items);
    ix->with.locs = gen_alloc(c->a, (w->n + 1) * sizeof *ix->with.locs);
    ix->with_values = gen_alloc(c->a, (w->n + 1) * sizeof *ix->with_values);
    for (size_t i = 0; i < w->n; i++) {
        const ynode *v = w->vals[i];
        ix->with.items[i] = w->keys[i]->text;
        ix->with.locs[i] = w->keys[i]->loc;
        ix->with_values[i] = "";
        check_identifier(c, w->keys[i]->text, w->keys[i]->loc, "storage parameter");
        if (!expect_kind(c, v, Y_SCALAR, "a storage parameter's value"))
            continue;
        if (!*v->text || strspn(v->text, "abcdefghijklmnopqrstuvwxyz0123456789_.") != v->len) {
            gen_error(c->d, v->loc, "storage parameter '%s' must be a number or a word, not '%s'",
                      w->keys[i]->text, v->text);
            continue;
        }
        ix->with_values[i] = v->text;
    }
}

void gen_parse_extensions(pctx *c, const ynode *root)
{
    m_names *e = &c->s->extensions;
    get_names(c, root, "extensions", e);
    for (size_t i = 0; i < e->n; i++) {
        const char *x = e->items[i];
        if (!*x || strspn(x, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(x))
            gen_error(c->d, e->locs[i], "extension name '%s' must be lower case letters, digits, "
                                        "'_' or '-'", x);
        for (size_t k = 0; k < i; k++)
            if (strcmp(e->items[k], x) == 0)
                gen_error(c->d, e->locs[i], "extension '%s' is listed twice", x);
    }
}

static bool has_extension(const m_schema *s, const char *name)
{
    for (size_t i = 0; i < s->extensions.n; i++)
        if (strcmp(s->extensions.items[i], name) == 0)
            return true;
    return false;
}

/* vector(n) without `extensions: [vector]` fails at migration time with
 * 'type "vector" does not exist': say so at the column instead. */
void gen_check_extension_types(pctx *c)
{
    if (has_extension(c->s, "vector"))
        return;
    for (size_t i = 0; i < c->s->ntables; i++)
        for (size_t k = 0; k < c->s->tables[i].ncolumns; k++) {
            const m_column *col = &c->s->tables[i].columns[k];
            if (col->type.kind == T_VECTOR || col->type.kind == T_HALFVEC)
                gen_error(c->d, col->type_loc,
                          "column '%s.%s' is a pgvector type: add 'extensions: [vector]' at the "
                          "top of the schema",
                          c->s->tables[i].name, col->name);
        }
}

/* "hnsw.ef_search", "work_mem": a setting's name, with one optional dot. */
static bool is_setting_name(const char *s)
{
    const char *dot = strchr(s, '.');
    if (!dot)
        return is_word(s, strlen(s));
    return is_word(s, (size_t)(dot - s)) && is_word(dot + 1, strlen(dot + 1));
}

void gen_parse_query_settings(pctx *c, m_query *q, const ynode *m)
{
    const ynode *w = ymap_get(m, "settings");
    if (!w || !expect_kind(c, w, Y_MAP, "'settings' of a query"))
        return;
    if (w->n > 8)
        gen_error(c->d, w->loc, "a query takes at most 8 settings");
    q->settings.n = w->n;
    q->settings.items = gen_alloc(c->a, (w->n + 1) * sizeof *q->settings.items);
    q->settings.locs = gen_alloc(c->a, (w->n + 1) * sizeof *q->settings.locs);
    q->setting_values = gen_alloc(c->a, (w->n + 1) * sizeof *q->setting_values);
    for (size_t i = 0; i < w->n; i++) {
        const ynode *v = w->vals[i];
        q->settings.items[i] = w->keys[i]->text;
        q->settings.locs[i] = w->keys[i]->loc;
        q->setting_values[i] = "";
        if (!is_setting_name(w->keys[i]->text) || strlen(w->keys[i]->text) > 63)
            gen_error(c->d, w->keys[i]->loc, "'%s' is not a setting name (like hnsw.ef_search)",
                      w->keys[i]->text);
        if (!expect_kind(c, v, Y_SCALAR, "a setting's value"))
            continue;
        if (!*v->text || v->len > 63 ||
            strspn(v->text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != v->len) {
            gen_error(c->d, v->loc, "setting '%s' must be a number or a word, not '%s'",
                      w->keys[i]->text, v->text);
            continue;
        }
        q->setting_values[i] = v->text;
    }
}
