/* The mustache subset described in render.h.
 *
 * Grammar of a template (with the current delimiters, initially {{ and }}):
 *   template := (text | tag)*
 *   tag      := '{{' ws* sigil? ws* body ws* '}}'
 *   sigil    := '#' | '^' | '/' | '>' | '!' | '=' (body ends with '=')
 *   name     := '.' | '@first' | '@last' | '@index' | segment ('.' segment)*
 *   segment  := [A-Za-z0-9_-]+
 * Sections nest and close by name. Parsing produces one flat node array per
 * template: a section node records the index just past its body, so rendering
 * is a loop over a range with no tree to allocate or walk. */
#include "render.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* ---- parsed form ---------------------------------------------------------- */

typedef enum { NODE_TEXT, NODE_VAR, NODE_SECTION, NODE_INVERTED, NODE_PARTIAL } node_kind;

typedef enum { NAME_PATH, NAME_DOT, NAME_FIRST, NAME_LAST, NAME_INDEX } name_kind;

typedef struct node {
    node_kind kind;
    bool line_start; /* begins a template line: receives a partial's indentation */
    bool standalone; /* its line was removed: it emits no indentation itself */
    unsigned line, col;
    const char *text; /* TEXT: the bytes; PARTIAL: the standalone indentation */
    size_t len;
    const char *name; /* as written: messages, close matching, partial lookup */
    name_kind special;
    const char **path; /* NAME_PATH: the dotted segments */
    size_t npath;
    size_t end; /* SECTION / INVERTED: index of the first node after the body */
} node;

typedef struct template {
    char *name;
    gen_arena *arena; /* owns the text copy, nodes and names */
    node *nodes;
    size_t n;
} template;

struct render_templates {
    template *items;
    size_t n, cap;
};

/* Like the arena: the generator is a batch compiler and aborts when memory
 * runs out; template and lookup errors, though, are always reported. */
static _Noreturn void out_of_memory(void)
{
    fputs("schemac: out of memory\n", stderr);
    abort();
}

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

static char *xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        out_of_memory();
    return copy;
}

static void set_error(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(char *err, size_t errsize, const char *fmt, ...)
{
    if (!err || errsize == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsize, fmt, ap);
    va_end(ap);
}

/* ---- parser --------------------------------------------------------------- */

typedef struct parser {
    gen_arena *a;
    const char *name;
    const char *src;
    size_t len;
    /* A forward-only cursor that turns offsets into line:col. */
    size_t at, at_line, at_line_start;
    char open[16], close[16];
    size_t open_len, close_len;
    node *nodes;
    size_t n, cap;
    size_t *open_sections;
    size_t nopen, open_cap;
    char *err;
    size_t errsize;
} parser;

static void locate(parser *p, size_t off, unsigned *line, unsigned *col, size_t *line_start)
{
    for (; p->at < off; p->at++)
        if (p->src[p->at] == '\n') {
            p->at_line++;
            p->at_line_start = p->at + 1;
        }
    if (line)
        *line = (unsigned)p->at_line;
    if (col)
        *col = (unsigned)(off - p->at_line_start + 1);
    if (line_start)
        *line_start = p->at_line_start;
}

static int parse_fail(parser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int parse_fail(parser *p, size_t off, const char *fmt, ...)
{
    unsigned line, col;
    locate(p, off, &line, &col, NULL);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_error(p->err, p->errsize, "%s:%u:%u: %s", p->name, line, col, msg);
    return -1;
}

static node *push_node(parser *p, node_kind kind, size_t off)
{
    gen_grow(p->a, (void **)&p->nodes, &p->cap, p->n + 1, sizeof(node));
    node *n = &p->nodes[p->n++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line_start = off == 0 || p->src[off - 1] == '\n';
    if (kind != NODE_TEXT) /* tags come in order: the cursor only moves forward */
        locate(p, off, &n->line, &n->col, NULL);
    return n;
}

static void add_text(parser *p, size_t from, size_t to)
{
    if (from >= to)
        return;
    node *n = push_node(p, NODE_TEXT, from);
    n->text = p->src + from;
    n->len = to - from;
}

static const char *find(const char *hay, size_t from, size_t len, const char *needle, size_t nlen)
{
    for (size_t i = from; i + nlen <= len; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    return NULL;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
    return is_blank(c) || c == '\n' || c == '\r';
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* Checks `name` and fills n->special / n->path. */
static int parse_name(parser *p, node *n, const char *name, size_t tag_off)
{
    n->name = name;
    if (strcmp(name, ".") == 0) {
        n->special = NAME_DOT;
        return 0;
    }
    if (name[0] == '@') {
        if (strcmp(name, "@first") == 0)
            n->special = NAME_FIRST;
        else if (strcmp(name, "@last") == 0)
            n->special = NAME_LAST;
        else if (strcmp(name, "@index") == 0)
            n->special = NAME_INDEX;
        else
            return parse_fail(p, tag_off, "unknown special name '%s' (expected @first, @last or @index)",
                              name);
        return 0;
    }
    size_t segments = 1;
    for (const char *c = name; *c; c++) {
        if (*c == '.') {
            if (c == name || c[1] == '\0' || c[1] == '.')
                return parse_fail(p, tag_off, "invalid name '%s' (empty part in a dotted name)", name);
            segments++;
        } else if (!is_name_char(*c)) {
            return parse_fail(p, tag_off,
                              "invalid name '%s' (names are letters, digits, '_', '-' and dots; "
                              "for a literal delimiter in the output use {{=<%% %%>=}})",
                              name);
        }
    }
    n->special = NAME_PATH;
    n->path = gen_alloc(p->a, segments * sizeof(char *));
    const char *start = name;
    for (const char *c = name;; c++)
        if (*c == '.' || *c == '\0') {
            n->path[n->npath++] = gen_strndup(p->a, start, (size_t)(c - start));
            if (*c == '\0')
                break;
            start = c + 1;
        }
    return 0;
}

static int parse_partial_name(parser *p, const char *name, size_t tag_off)
{
    if (!*name)
        return parse_fail(p, tag_off, "partial tag without a name");
    for (const char *c = name; *c; c++)
        if (!is_name_char(*c) && *c != '.' && *c != '/')
            return parse_fail(p, tag_off, "invalid partial name '%s'", name);
    return 0;
}

/* {{=<% %>=}}: body is "<% %>" (between the two '='). */
static int set_delimiters(parser *p, const char *body, size_t tag_off)
{
    char open[16], close[16], rest;
    int got = sscanf(body, "%15s %15s %c", open, close, &rest);
    if (got != 2 || strchr(open, '=') || strchr(close, '='))
        return parse_fail(p, tag_off, "invalid delimiter tag (expected e.g. {{=<%% %%>=}})");
    strcpy(p->open, open);
    strcpy(p->close, close);
    p->open_len = strlen(open);
    p->close_len = strlen(close);
    return 0;
}

/* A tag that may stand alone on its line: the line holds nothing else but
 * blanks. On success *line_from is where the line starts (its leading blanks
 * belong to the tag) and *resume is just past the line's newline. */
static bool standalone(parser *p, size_t tag_start, size_t tag_end, size_t *line_from, size_t *resume)
{
    size_t ls;
    locate(p, tag_start, NULL, NULL, &ls);
    for (size_t i = ls; i < tag_start; i++)
        if (!is_blank(p->src[i]))
            return false;
    size_t i = tag_end;
    while (i < p->len && is_blank(p->src[i]))
        i++;
    if (i < p->len && p->src[i] == '\r' && i + 1 < p->len && p->src[i + 1] == '\n')
        i += 2;
    else if (i < p->len && p->src[i] == '\n')
        i++;
    else if (i != p->len)
        return false;
    *line_from = ls;
    *resume = i;
    return true;
}

static int open_section(parser *p, node_kind kind, const char *name, size_t tag_off, bool alone)
{
    node *n = push_node(p, kind, tag_off);
    n->standalone = alone;
    if (parse_name(p, n, name, tag_off))
        return -1;
    gen_grow(p->a, (void **)&p->open_sections, &p->open_cap, p->nopen + 1, sizeof(size_t));
    p->open_sections[p->nopen++] = p->n - 1;
    return 0;
}

static int close_section(parser *p, const char *name, size_t tag_off)
{
    if (p->nopen == 0)
        return parse_fail(p, tag_off, "close tag '/%s' without an open section", name);
    node *open = &p->nodes[p->open_sections[p->nopen - 1]];
    if (strcmp(open->name, name) != 0)
        return parse_fail(p, tag_off, "mismatched close tag '/%s': section '%s' opened at %u:%u is still open",
                          name, open->name, open->line, open->col);
    open->end = p->n;
    p->nopen--;
    return 0;
}

/* One tag whose text (between the delimiters) is src[body_from, body_to). */
static int parse_tag(parser *p, size_t tag_start, size_t tag_end, size_t body_from, size_t body_to,
                     size_t *text_from)
{
    while (body_from < body_to && is_space(p->src[body_from]))
        body_from++;
    while (body_to > body_from && is_space(p->src[body_to - 1]))
        body_to--;
    if (body_from == body_to)
        return parse_fail(p, tag_start, "empty tag");
    char sigil = p->src[body_from];
    if (sigil == '{' || sigil == '&')
        return parse_fail(p, tag_start, "'%c' tags are not supported: values are never escaped, write {{name}}",
                          sigil);
    bool has_sigil = strchr("#^/>!=", sigil) != NULL;
    size_t from = body_from + (has_sigil ? 1 : 0), to = body_to;
    if (sigil == '=') {
        if (to <= from || p->src[to - 1] != '=')
            return parse_fail(p, tag_start, "invalid delimiter tag (expected e.g. {{=<%% %%>=}})");
        to--;
    }
    if (sigil != '!')
        while (from < to && is_space(p->src[from]))
            from++;
    char *body = gen_strndup(p->a, p->src + from, to - from);

    size_t line_from = 0, resume = 0;
    bool alone = has_sigil && standalone(p, tag_start, tag_end, &line_from, &resume);
    add_text(p, *text_from, alone ? line_from : tag_start);
    *text_from = alone ? resume : tag_end;

    switch (sigil) {
    case '!':
        return 0;
    case '=':
        return set_delimiters(p, body, tag_start);
    case '#':
        return open_section(p, NODE_SECTION, body, tag_start, alone);
    case '^':
        return open_section(p, NODE_INVERTED, body, tag_start, alone);
    case '/':
        return close_section(p, body, tag_start);
    case '>': {
        if (parse_partial_name(p, body, tag_start))
            return -1;
        node *n = push_node(p, NODE_PARTIAL, tag_start);
        n->name = body;
        n->standalone = alone;
        if (alone) {
            n->text = p->src + line_from;
            n->len = tag_start - line_from;
        }
        return 0;
    }
    default: {
        node *n = push_node(p, NODE_VAR, tag_start);
        return parse_name(p, n, body, tag_start);
    }
    }
}

static int parse(parser *p)
{
    size_t pos = 0, text_from = 0;
    for (;;) {
        const char *open = find(p->src, pos, p->len, p->open, p->open_len);
        if (!open)
            break;
        size_t tag_start = (size_t)(open - p->src);
        size_t body_from = tag_start + p->open_len;
        const char *close = find(p->src, body_from, p->len, p->close, p->close_len);
        if (!close)
            return parse_fail(p, tag_start, "unclosed tag '%s' (no '%s' follows)", p->open, p->close);
        size_t body_to = (size_t)(close - p->src);
        size_t tag_end = body_to + p->close_len;
        if (parse_tag(p, tag_start, tag_end, body_from, body_to, &text_from))
            return -1;
        pos = text_from > tag_end ? text_from : tag_end;
    }
    add_text(p, text_from, p->len);
    if (p->nopen) {
        node *open = &p->nodes[p->open_sections[p->nopen - 1]];
        set_error(p->err, p->errsize, "%s:%u:%u: unclosed section '%s'", p->name, open->line, open->col,
                  open->name);
        return -1;
    }
    return 0;
}

/* ---- template set --------------------------------------------------------- */

render_templates *render_templates_new(void)
{
    render_templates *t = calloc(1, sizeof *t);
    if (!t)
        out_of_memory();
    return t;
}

static void template_clear(template *t)
{
    free(t->name);
    gen_arena_free(t->arena);
}

void render_templates_free(render_templates *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        template_clear(&t->items[i]);
    free(t->items);
    free(t);
}

static template *find_template(const render_templates *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->items[i].name) == len && memcmp(t->items[i].name, name, len) == 0)
            return &t->items[i];
    return NULL;
}

int render_templates_has(const render_templates *t, const char *name)
{
    return find_template(t, name, strlen(name)) != NULL;
}

int render_templates_add(render_templates *t, const char *name, const char *text, size_t len,
                         char *err, size_t errsize)
{
    gen_arena *a = gen_arena_new();
    char *copy = gen_alloc(a, len + 1);
    memcpy(copy, text, len);
    parser p = {.a = a, .name = name, .src = copy, .len = len, .at_line = 1,
                .open = "{{", .close = "}}", .open_len = 2, .close_len = 2,
                .err = err, .errsize = errsize};
    if (parse(&p)) {
        gen_arena_free(a);
        return -1;
    }
    template parsed = {.name = xstrdup(name), .arena = a, .nodes = p.nodes, .n = p.n};
    template *old = find_template(t, name, strlen(name));
    if (old) {
        template_clear(old);
        *old = parsed;
        return 0;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->items = xrealloc(t->items, t->cap * sizeof(template));
    }
    t->items[t->n++] = parsed;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static int read_file(const char *path, char **text, size_t *len, char *err, size_t errsize)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_error(err, errsize, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (cap - n < 4096)
            buf = xrealloc(buf, cap = cap * 2 + 4096);
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        set_error(err, errsize, "%s: read error", path);
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}

/* Sorted so loading (and which error comes first) is deterministic. */
static int list_templates(const char *dir, char ***names, size_t *count, char *err, size_t errsize)
{
    DIR *d = opendir(dir);
    if (!d) {
        set_error(err, errsize, "%s: %s", dir, strerror(errno));
        return -1;
    }
    char **list = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".tmpl"))
            continue;
        list = xrealloc(list, (n + 1) * sizeof(char *));
        list[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(list, n, sizeof(char *), compare_names);
    *names = list;
    *count = n;
    return 0;
}

int render_templates_load_dir(render_templates *t, const char *dir, char *err, size_t errsize)
{
    char **names;
    size_t count;
    if (list_templates(dir, &names, &count, err, errsize))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2;
        char *path = xrealloc(NULL, plen);
        snprintf(path, plen, "%s/%s", dir, names[i]);
        char *text;
        size_t len;
        rc = read_file(path, &text, &len, err, errsize);
        if (rc == 0) {
            rc = render_templates_add(t, names[i], text, len, err, errsize);
            free(text);
        }
        free(path);
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* ---- renderer ------------------------------------------------------------- */

typedef struct frame {
    json_t *value;
    const char *label; /* the section that pushed it, for error messages */
    bool loop;         /* an element of an array section: has index/count */
    size_t index, count;
} frame;

typedef struct buffer {
    char *data;
    size_t len, cap;
} buffer;

typedef struct renderer {
    const render_templates *set;
    buffer out;
    buffer indent; /* of the standalone partials being rendered, concatenated */
    frame *frames;
    size_t nframes, frame_cap;
    int depth; /* partials */
    json_t *index_value; /* scratch integer for {{@index}} */
    char *err;
    size_t errsize;
} renderer;

static void put(buffer *b, const char *s, size_t n)
{
    if (b->cap - b->len <= n) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->len <= n)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static int fail(renderer *r, const template *t, const node *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(renderer *r, const template *t, const node *n, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_error(r->err, r->errsize, "%s:%u:%u: %s", t->name, n->line, n->col, msg);
    return -1;
}

static void push_frame(renderer *r, json_t *value, const char *label, bool loop, size_t index,
                       size_t count)
{
    if (r->nframes == r->frame_cap) {
        r->frame_cap = r->frame_cap ? r->frame_cap * 2 : 16;
        r->frames = xrealloc(r->frames, r->frame_cap * sizeof(frame));
    }
    r->frames[r->nframes++] = (frame){value, label, loop, index, count};
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

/* "(context: tables > columns; names here: name, type)": where the lookup
 * happened and what it could have used instead. */
static void describe_context(const renderer *r, char *out, size_t size)
{
    size_t used = 0;
#define APPEND(...)                                                                 \
    do {                                                                            \
        int k = snprintf(out + used, used < size ? size - used : 0, __VA_ARGS__);  \
        used += k > 0 ? (size_t)k : 0;                                              \
    } while (0)
    APPEND("(context: ");
    bool any = false;
    for (size_t i = 1; i < r->nframes; i++) {
        APPEND("%s%s", any ? " > " : "", r->frames[i].label);
        any = true;
    }
    if (!any)
        APPEND("top level");
    json_t *innermost = NULL;
    for (size_t i = r->nframes; i-- > 0 && !innermost;)
        if (json_is_object(r->frames[i].value))
            innermost = r->frames[i].value;
    if (innermost && json_object_size(innermost)) {
        APPEND("; names here: ");
        size_t shown = 0;
        const char *key;
        json_t *value;
        json_object_foreach(innermost, key, value) {
            (void)value;
            if (shown == 8) {
                APPEND(", ...");
                break;
            }
            APPEND("%s%s", shown ? ", " : "", key);
            shown++;
        }
    }
    APPEND(")");
#undef APPEND
    if (used >= size && size >= 5)
        strcpy(out + size - 5, "...)");
}

static const frame *innermost_loop(const renderer *r)
{
    for (size_t i = r->nframes; i-- > 0;)
        if (r->frames[i].loop)
            return &r->frames[i];
    return NULL;
}

/* Finds the value a name refers to (borrowed; @index's lives until the next
 * lookup). */
static int lookup(renderer *r, const template *t, const node *n, json_t **out)
{
    if (n->special == NAME_DOT) {
        *out = r->nframes ? r->frames[r->nframes - 1].value : NULL;
        return 0;
    }
    if (n->special != NAME_PATH) {
        const frame *f = innermost_loop(r);
        if (!f)
            return fail(r, t, n, "'%s' used outside a section over an array", n->name);
        if (n->special == NAME_FIRST)
            *out = json_boolean(f->index == 0);
        else if (n->special == NAME_LAST)
            *out = json_boolean(f->index + 1 == f->count);
        else {
            json_integer_set(r->index_value, (json_int_t)f->index);
            *out = r->index_value;
        }
        return 0;
    }
    json_t *v = NULL;
    for (size_t i = r->nframes; i-- > 0 && !v;)
        if (json_is_object(r->frames[i].value))
            v = json_object_get(r->frames[i].value, n->path[0]);
    if (!v) {
        char context[512];
        describe_context(r, context, sizeof context);
        return fail(r, t, n, "unknown name '%s' %s", n->name, context);
    }
    for (size_t i = 1; i < n->npath; i++) {
        if (!json_is_object(v))
            return fail(r, t, n, "unknown name '%s': '%s' is %s, not an object", n->name, n->path[i - 1],
                        type_name(v));
        json_t *member = json_object_get(v, n->path[i]);
        if (!member)
            return fail(r, t, n, "unknown name '%s': '%s' has no member '%s'", n->name, n->path[i - 1],
                        n->path[i]);
        v = member;
    }
    *out = v;
    return 0;
}

static bool is_truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_OBJECT: return true;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0;
    case JSON_TRUE: return true;
    default: return false;
    }
}

/* The shortest %g form that reads back as the same double, so output is
 * exact and stable. */
static void format_real(double d, char *out, size_t size)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(out, size, "%.*g", precision, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

static void emit_indent_if_line_start(renderer *r, const node *n)
{
    if (r->indent.len && n->line_start && !n->standalone)
        put(&r->out, r->indent.data, r->indent.len);
}

/* Indents each line of the text that starts a template line, except empty
 * ones (no trailing whitespace in generated C). */
static void emit_text(renderer *r, const node *n)
{
    if (r->indent.len == 0) {
        put(&r->out, n->text, n->len);
        return;
    }
    const char *p = n->text, *end = n->text + n->len;
    bool line_start = n->line_start;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl + 1 : end;
        bool empty = *p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n');
        if (line_start && !empty)
            put(&r->out, r->indent.data, r->indent.len);
        put(&r->out, p, (size_t)(stop - p));
        p = stop;
        line_start = true;
    }
}

static int render_var(renderer *r, const template *t, const node *n)
{
    json_t *v;
    if (lookup(r, t, n, &v))
        return -1;
    char num[64];
    emit_indent_if_line_start(r, n);
    switch (json_typeof(v)) {
    case JSON_STRING:
        put(&r->out, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        put(&r->out, num, strlen(num));
        return 0;
    case JSON_REAL:
        format_real(json_real_value(v), num, sizeof num);
        put(&r->out, num, strlen(num));
        return 0;
    case JSON_TRUE:
        put(&r->out, "true", 4);
        return 0;
    case JSON_FALSE:
        put(&r->out, "false", 5);
        return 0;
    default:
        return fail(r, t, n, "'%s' is %s, not a value to print%s", n->name, v ? type_name(v) : "null",
                    json_is_array(v) || json_is_object(v) ? " (use a section)"
                                                          : " (test it with a section)");
    }
}

static int render_range(renderer *r, const template *t, size_t begin, size_t end);

static int render_section(renderer *r, const template *t, const node *n, size_t body)
{
    json_t *v;
    if (lookup(r, t, n, &v))
        return -1;
    emit_indent_if_line_start(r, n);
    bool truthy = is_truthy(v);
    if (n->kind == NODE_INVERTED)
        return truthy ? 0 : render_range(r, t, body, n->end);
    if (!truthy)
        return 0;
    if (n->special != NAME_PATH && n->special != NAME_DOT)
        return render_range(r, t, body, n->end);
    if (json_is_true(v))
        return render_range(r, t, body, n->end);
    if (json_is_array(v)) {
        size_t count = json_array_size(v);
        for (size_t i = 0; i < count; i++) {
            push_frame(r, json_array_get(v, i), n->name, true, i, count);
            int rc = render_range(r, t, body, n->end);
            r->nframes--;
            if (rc)
                return rc;
        }
        return 0;
    }
    push_frame(r, v, n->name, false, 0, 0);
    int rc = render_range(r, t, body, n->end);
    r->nframes--;
    return rc;
}

static const template *find_partial(const render_templates *set, const char *name)
{
    const template *found = find_template(set, name, strlen(name));
    if (found)
        return found;
    char with_suffix[512];
    int k = snprintf(with_suffix, sizeof with_suffix, "%s.tmpl", name);
    if (k < 0 || (size_t)k >= sizeof with_suffix)
        return NULL;
    return find_template(set, with_suffix, (size_t)k);
}

static int render_partial(renderer *r, const template *t, const node *n)
{
    const template *partial = find_partial(r->set, n->name);
    if (!partial)
        return fail(r, t, n, "unknown partial '%s'", n->name);
    if (r->depth >= RENDER_MAX_PARTIAL_DEPTH)
        return fail(r, t, n, "partial '%s' nested more than %d levels deep (recursive partial?)", n->name,
                    RENDER_MAX_PARTIAL_DEPTH);
    emit_indent_if_line_start(r, n);
    size_t indent_len = r->indent.len;
    if (n->len)
        put(&r->indent, n->text, n->len);
    r->depth++;
    int rc = render_range(r, partial, 0, partial->n);
    r->depth--;
    r->indent.len = indent_len;
    return rc;
}

static int render_range(renderer *r, const template *t, size_t begin, size_t end)
{
    for (size_t i = begin; i < end; i++) {
        const node *n = &t->nodes[i];
        int rc = 0;
        switch (n->kind) {
        case NODE_TEXT:
            emit_text(r, n);
            break;
        case NODE_VAR:
            rc = render_var(r, t, n);
            break;
        case NODE_SECTION:
        case NODE_INVERTED:
            rc = render_section(r, t, n, i + 1);
            i = n->end - 1;
            break;
        case NODE_PARTIAL:
            rc = render_partial(r, t, n);
            break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

int render(const render_templates *t, const char *name, json_t *ctx, char **out, size_t *outlen,
           char *err, size_t errsize)
{
    *out = NULL;
    if (outlen)
        *outlen = 0;
    const template *top = find_template(t, name, strlen(name));
    if (!top) {
        set_error(err, errsize, "unknown template '%s'", name);
        return -1;
    }
    renderer r = {.set = t, .err = err, .errsize = errsize, .index_value = json_integer(0)};
    if (!r.index_value)
        out_of_memory();
    put(&r.out, "", 0); /* an empty result is still a string */
    push_frame(&r, ctx, "", false, 0, 0);
    int rc = render_range(&r, top, 0, top->n);
    free(r.frames);
    free(r.indent.data);
    json_decref(r.index_value);
    if (rc) {
        free(r.out.data);
        return -1;
    }
    *out = r.out.data;
    if (outlen)
        *outlen = r.out.len;
    return 0;
}
