#include "sqlscan.h"

#include <ctype.h>
#include <string.h>

#include "output.h"

typedef struct lexer {
    gen_arena *arena;
    const char *src, *p;
    int line;
    int fragment;       /* current fragment, -1 outside */
    sql_scan *out;
    size_t cap;
} lexer;

static bool ident_start(char c)
{
    return c == '_' || isalpha((unsigned char)c) || (unsigned char)c >= 0x80;
}

static bool ident_char(char c)
{
    return ident_start(c) || isdigit((unsigned char)c) || c == '$';
}

static void count_lines(lexer *l, const char *from, const char *to)
{
    for (; from < to; from++)
        if (*from == '\n')
            l->line++;
}

static void push(lexer *l, sql_tok_kind kind, const char *start, const char *end, bool lower)
{
    sql_scan *s = l->out;
    gen_grow(l->arena, (void **)&s->toks, &l->cap, s->n + 1, sizeof *s->toks);
    sql_tok *t = &s->toks[s->n++];
    t->kind = kind;
    t->offset = (size_t)(start - l->src);
    t->len = (size_t)(end - start);
    t->line = l->line;
    t->fragment = l->fragment;
    if (kind == TK_PARAM)
        start++;
    char *text = gen_strndup(l->arena, start, (size_t)(end - start));
    if (lower)
        for (char *c = text; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    t->text = text;
}

static bool fail(lexer *l, const char *message)
{
    l->out->error = message;
    l->out->error_line = l->line;
    return false;
}

/* Skips a quoted run ending at quote; doubled quotes escape, as do
 * backslashes when backslash_escapes (E'' strings). */
static bool skip_quoted(lexer *l, char quote, bool backslash_escapes)
{
    const char *p = l->p + 1;
    for (;; p++) {
        if (!*p)
            return fail(l, quote == '"' ? "unterminated quoted identifier"
                                        : "unterminated string literal");
        if (backslash_escapes && *p == '\\' && p[1]) {
            p++;
        } else if (*p == quote) {
            if (p[1] != quote)
                break;
            p++;
        }
    }
    count_lines(l, l->p, p + 1);
    l->p = p + 1;
    return true;
}

/* $tag$ ... $tag$; returns false when l->p is not a dollar quote start. */
static bool try_dollar_quote(lexer *l, bool *ok)
{
    const char *p = l->p + 1;
    while (ident_char(*p) && *p != '$')
        p++;
    if (*p != '$' || (p > l->p + 1 && isdigit((unsigned char)l->p[1])))
        return false;
    size_t taglen = (size_t)(p - l->p) + 1;
    const char *end;
    for (end = p + 1; *end; end++)
        if (*end == '$' && strncmp(end, l->p, taglen) == 0)
            break;
    if (!*end) {
        *ok = fail(l, "unterminated dollar-quoted string");
        return true;
    }
    const char *start = l->p;
    count_lines(l, l->p, end + taglen);
    l->p = end + taglen;
    push(l, TK_LITERAL, start, l->p, false);
    *ok = true;
    return true;
}

static bool skip_block_comment(lexer *l)
{
    int depth = 0;
    const char *p = l->p;
    while (*p) {
        if (p[0] == '/' && p[1] == '*') {
            depth++;
            p += 2;
        } else if (p[0] == '*' && p[1] == '/') {
            p += 2;
            if (--depth == 0)
                break;
        } else {
            p++;
        }
    }
    if (depth)
        return fail(l, "unterminated /* comment");
    count_lines(l, l->p, p);
    l->p = p;
    return true;
}

static bool lex_fragment_mark(lexer *l, bool open)
{
    if (open && l->fragment >= 0)
        return fail(l, "optional fragments '[[ ... ]]' cannot nest");
    if (!open && l->fragment < 0)
        return fail(l, "']]' without a matching '[['");
    if (open)
        l->fragment = (int)l->out->nfragments++;
    push(l, open ? TK_FRAG_OPEN : TK_FRAG_CLOSE, l->p, l->p + 2, false);
    if (!open)
        l->fragment = -1;
    l->p += 2;
    return true;
}

static bool lex_one(lexer *l)
{
    const char *p = l->p, *start = p;
    char c = *p;
    if (c == '\n') {
        l->line++;
        l->p++;
    } else if (isspace((unsigned char)c)) {
        l->p++;
    } else if (c == '-' && p[1] == '-') {
        while (*l->p && *l->p != '\n')
            l->p++;
    } else if (c == '/' && p[1] == '*') {
        return skip_block_comment(l);
    } else if (c == '[' && p[1] == '[') {
        return lex_fragment_mark(l, true);
    } else if (c == ']' && p[1] == ']' && l->fragment >= 0) {
        return lex_fragment_mark(l, false);
    } else if (c == '\'' || ((c == 'E' || c == 'e') && p[1] == '\'')) {
        if (c != '\'')
            l->p++;
        if (!skip_quoted(l, '\'', c != '\''))
            return false;
        push(l, TK_LITERAL, start, l->p, false);
    } else if (c == '"') {
        if (!skip_quoted(l, '"', false))
            return false;
        push(l, TK_IDENT, start + 1, l->p - 1, false);
    } else if (c == '$' && !isdigit((unsigned char)p[1])) {
        bool ok = true;
        if (try_dollar_quote(l, &ok))
            return ok;
        l->p++;
        push(l, TK_OP, start, l->p, false);
    } else if (c == ':' && p[1] == ':') {
        l->p += 2;
        push(l, TK_OP, start, l->p, false);
    } else if (c == ':' && ident_start(p[1])) {
        l->p++;
        while (ident_char(*l->p) && *l->p != '$')
            l->p++;
        push(l, TK_PARAM, start, l->p, false);
    } else if (ident_start(c)) {
        while (ident_char(*l->p))
            l->p++;
        push(l, TK_IDENT, start, l->p, true);
    } else if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)p[1]))) {
        while (isalnum((unsigned char)*l->p) || *l->p == '.')
            l->p++;
        push(l, TK_LITERAL, start, l->p, false);
    } else if (strchr("(),.;[]", c)) {
        l->p++;
        push(l, TK_PUNCT, start, l->p, false);
    } else {
        while (*l->p && strchr("+-*/<>=~!@#%^&|`?:", *l->p) &&
               !(l->p[0] == '-' && l->p[1] == '-') && !(l->p[0] == '/' && l->p[1] == '*'))
            l->p++;
        if (l->p == start)
            l->p++;
        push(l, TK_OP, start, l->p, false);
    }
    return true;
}

bool sql_tokenize(gen_arena *a, const char *sql, sql_scan *out)
{
    memset(out, 0, sizeof *out);
    lexer l = {.arena = a, .src = sql, .p = sql, .fragment = -1, .out = out};
    while (*l.p)
        if (!lex_one(&l))
            return false;
    if (l.fragment >= 0)
        return fail(&l, "'[[' without a matching ']]'");
    return true;
}

bool sql_tok_is(const sql_tok *t, const char *kw)
{
    return t->kind == TK_IDENT && strcmp(t->text, kw) == 0 && t->len == strlen(kw);
}

/* The number of the parameter name in this variant, adding it when new. */
static int variant_param(gen_arena *a, const char *name, sql_variant *v, size_t *cap)
{
    for (size_t i = 0; i < v->nparams; i++)
        if (strcmp(v->params[i], name) == 0)
            return (int)i + 1;
    gen_grow(a, (void **)&v->params, cap, v->nparams + 1, sizeof *v->params);
    v->params[v->nparams++] = name;
    return (int)v->nparams;
}

/* Drops the blanks before a removed fragment, and the line break after it
 * when the fragment had its line(s) to itself. */
static size_t trim_before_dropped(gen_buf *b, const char *sql, size_t after)
{
    while (b->len && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
        b->data[--b->len] = '\0';
    bool own_line = b->len == 0 || b->data[b->len - 1] == '\n';
    size_t skip = after;
    while (sql[skip] == ' ' || sql[skip] == '\t')
        skip++;
    if (own_line && sql[skip] == '\n')
        return skip + 1;
    return after;
}

sql_variant sql_render(gen_arena *a, const char *sql, const sql_scan *scan, unsigned present,
                       sql_rewrite_fn rewrite, void *ctx)
{
    sql_variant v = {0};
    size_t cap = 0;
    gen_buf b;
    gen_buf_init(&b, a);
    size_t copied = 0;
    for (size_t i = 0; i < scan->n; i++) {
        const sql_tok *t = &scan->toks[i];
        bool dropped = t->fragment >= 0 && !(present & (1u << t->fragment));
        bool mark = t->kind == TK_FRAG_OPEN || t->kind == TK_FRAG_CLOSE;
        const char *replacement = NULL;
        if (!dropped && !mark && t->kind != TK_PARAM &&
            !(rewrite && (replacement = rewrite(ctx, scan, i))))
            continue;
        /* Text before a fragment's opening mark is outside the fragment. */
        if (!dropped || t->kind == TK_FRAG_OPEN)
            gen_buf_add(&b, sql + copied, t->offset - copied);
        copied = t->offset + t->len;
        if (replacement)
            gen_buf_puts(&b, replacement);
        else if (t->kind == TK_PARAM && !dropped)
            gen_buf_printf(&b, "$%d", variant_param(a, t->text, &v, &cap));
        else if (dropped && t->kind == TK_FRAG_CLOSE)
            copied = trim_before_dropped(&b, sql, copied);
    }
    gen_buf_add(&b, sql + copied, strlen(sql) - copied);
    v.sql = b.data ? b.data : gen_strdup(a, "");
    return v;
}
