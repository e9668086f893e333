/* The imported document as YAML in the style of schema/semantik.yaml: a
 * mapping of scalars (a column, an index) on one line in braces when it
 * fits in 100 columns, lists of names in brackets, multi-line SQL as
 * literal blocks, a blank line between the entries of a top-level section.
 * Scalars are plain where YAML reads them back as the same text, else
 * double-quoted; so the file reads back exactly what the catalog said. */
#include "import_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { WIDTH = 100 };

typedef struct ybuf {
    char *data;
    size_t len, cap;
} ybuf;

static void put(ybuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void puts_(ybuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void indent(ybuf *b, int n)
{
    for (int i = 0; i < n; i++)
        put(b, " ", 1);
}

/* Whether YAML reads s back as this very string when written plain; in a
 * flow collection the commas and brackets are syntax too. */
static bool plain_ok(const char *s, bool in_flow)
{
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "null", "~",
                                        "y", "n"};
    size_t n = strlen(s);
    if (n == 0 || s[n - 1] == ' ' || !(isalnum((unsigned char)s[0]) || s[0] == '_' || s[0] == '('))
        return false;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7f || c == '`' || (in_flow && strchr(",[]{}", c)))
            return false;
        if (c == '#' && p[-1] == ' ')
            return false;
        if (c == ':' && (p[1] == ' ' || p[1] == '\0'))
            return false;
        if (c == ' ' && p[1] == ' ')
            return false;
    }
    return true;
}

static void quoted(ybuf *b, const char *s)
{
    puts_(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\', esc[1] = (char)*p, esc[2] = '\0';
        } else if (*p == '\n') {
            strcpy(esc, "\\n");
        } else if (*p == '\t') {
            strcpy(esc, "\\t");
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", *p);
        } else {
            esc[0] = (char)*p, esc[1] = '\0';
        }
        puts_(b, esc);
    }
    puts_(b, "\"");
}

static void scalar(ybuf *b, json_t *v, bool in_flow)
{
    if (json_is_true(v))
        puts_(b, "true");
    else if (json_is_false(v))
        puts_(b, "false");
    else if (json_is_integer(v)) {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        puts_(b, num);
    } else if (plain_ok(json_string_value(v), in_flow))
        puts_(b, json_string_value(v));
    else
        quoted(b, json_string_value(v));
}

/* A literal block reads back exactly: no CR, no other control
 * characters, no line starting with a tab. */
static bool literal_ok(const char *s)
{
    if (!strchr(s, '\n'))
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            return false;
        if (c == '\t' && (p == s || p[-1] == '\n'))
            return false;
    }
    return true;
}

static void literal(ybuf *b, const char *s, int in)
{
    size_t n = strlen(s), trailing = 0;
    while (trailing < n && s[n - 1 - trailing] == '\n')
        trailing++;
    puts_(b, "|");
    if (s[0] == ' ' || s[0] == '\n')
        puts_(b, "2");
    puts_(b, trailing == 0 ? "-" : trailing > 1 ? "+" : "");
    for (const char *line = s; *line;) {
        size_t len = strcspn(line, "\n");
        puts_(b, "\n");
        if (len) {
            indent(b, in);
            put(b, line, len);
        }
        line += len;
        if (*line == '\n')
            line++;
        if (!*line)
            break;
    }
    for (size_t i = 1; i < trailing; i++)
        puts_(b, "\n");
    puts_(b, "\n");
}

static bool is_flat(json_t *v)
{
    if (json_is_string(v))
        return !strchr(json_string_value(v), '\n');
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
            if (!json_is_string(e) || strchr(json_string_value(e), '\n'))
                return false;
        return true;
    }
    return !json_is_object(v);
}

/* "[a, b]" or "{ k: v, ... }" into f; false when v has no flow form. */
static bool flow(ybuf *f, json_t *v, bool top)
{
    size_t i;
    json_t *e;
    const char *k;
    if (json_is_array(v)) {
        if (!is_flat(v))
            return false;
        puts_(f, "[");
        json_array_foreach(v, i, e) {
            puts_(f, i ? ", " : "");
            scalar(f, e, true);
        }
        puts_(f, "]");
        return true;
    }
    if (!json_is_object(v))
        return is_flat(v) ? (scalar(f, v, !top), true) : false;
    json_object_foreach(v, k, e)
        if (!is_flat(e))
            return false;
    puts_(f, "{ ");
    i = 0;
    json_object_foreach(v, k, e) {
        puts_(f, i++ ? ", " : "");
        puts_(f, k);
        puts_(f, ": ");
        flow(f, e, false);
    }
    puts_(f, " }");
    return true;
}

static void block(ybuf *b, json_t *v, int in);

/* " <flow>" when it fits after col columns, else the block on new lines. */
static void value(ybuf *b, json_t *v, int col, int in)
{
    ybuf f = {0};
    if (json_is_string(v) && literal_ok(json_string_value(v))) {
        puts_(b, " ");
        literal(b, json_string_value(v), in);
    } else if (flow(&f, v, true) && (col + 1 + (int)f.len <= WIDTH || !json_is_object(v) ||
                               !json_object_size(v))) {
        puts_(b, " ");
        puts_(b, f.data ? f.data : "");
        puts_(b, "\n");
    } else if ((json_is_object(v) && json_object_size(v)) ||
               (json_is_array(v) && json_array_size(v))) {
        puts_(b, "\n");
        block(b, v, in);
    } else {
        puts_(b, json_is_array(v) ? " []\n" : " {}\n");
    }
    free(f.data);
}

static void block(ybuf *b, json_t *v, int in)
{
    const char *k;
    json_t *e;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, e) {
            indent(b, in);
            puts_(b, k);
            puts_(b, ":");
            value(b, e, in + (int)strlen(k) + 1, in + 2);
        }
        return;
    }
    json_array_foreach(v, i, e) {
        indent(b, in);
        puts_(b, "-");
        ybuf f = {0};
        if (json_is_object(e) && flow(&f, e, true) && in + 2 + (int)f.len <= WIDTH) {
            puts_(b, " ");
            puts_(b, f.data);
            puts_(b, "\n");
        } else if (json_is_object(e)) {
            /* the first key on the dash's line */
            ybuf sub = {0};
            block(&sub, e, in + 2);
            puts_(b, " ");
            puts_(b, sub.data ? sub.data + in + 2 : "{}\n");
            free(sub.data);
        } else {
            value(b, e, in + 1, in + 2);
        }
        free(f.data);
    }
}

void imp_write_yaml(FILE *out, json_t *doc, const char *banner)
{
    ybuf b = {0};
    puts_(&b, banner);
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        bool section = json_is_object(v) && json_object_size(v);
        if (section)
            puts_(&b, "\n");
        puts_(&b, k);
        puts_(&b, ":");
        if (!section) {
            value(&b, v, (int)strlen(k) + 1, 2);
            continue;
        }
        puts_(&b, "\n");
        /* a blank line between entries, but between two one-liners */
        const char *name;
        json_t *entry;
        size_t n = 0;
        bool one_line = true;
        json_object_foreach(v, name, entry) {
            ybuf e = {0};
            indent(&e, 2);
            puts_(&e, name);
            puts_(&e, ":");
            value(&e, entry, 3 + (int)strlen(name), 4);
            bool single = strchr(e.data, '\n') == e.data + e.len - 1;
            if (n++ && !(single && one_line))
                puts_(&b, "\n");
            one_line = single;
            puts_(&b, e.data);
            free(e.data);
        }
    }
    fputs(b.data ? b.data : "", out);
    free(b.data);
}
