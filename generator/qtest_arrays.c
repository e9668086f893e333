/* Array arguments in query tests, and queries exempt from require_tests.
 *
 *   args: { weights: [0.5, 1.5], tags: "{a,b}" }   # a sequence, or array text
 *
 * Each element becomes a member of a C compound literal of the element type
 * ((float[]){0.5, 1.5}), so an element is checked here against that type:
 * a typo fails generation at its line, not the C compiler. */
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "qtest_arrays.h"

static m_type element_of(const m_type *t)
{
    m_type e = *t;
    e.array = false;
    return e;
}

bool qt_array_arg_supported(const m_type *t)
{
    switch (t->kind) {
    case T_SMALLINT: case T_INTEGER: case T_BIGINT: case T_REAL: case T_DOUBLE: case T_NUMERIC:
    case T_BOOLEAN: case T_TEXT: case T_VARCHAR: case T_UUID: case T_ENUM: case T_TIMESTAMPTZ:
    case T_TIMESTAMP:
        return true;
    default:
        return false;
    }
}

/* One element of array text starting at p: "quoted \"text\"" or bare. */
static const char *next_element(gen_arena *a, const char **p)
{
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, "");
    const char *s = *p;
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1])
                s++;
            gen_buf_add(&b, s, 1);
        }
        if (*s == '"')
            s++;
    } else {
        size_t n = strcspn(s, ",}");
        while (n && s[n - 1] == ' ')
            n--;
        gen_buf_add(&b, s, n);
        s += strcspn(s, ",}");
    }
    *p = s;
    return b.data;
}

void qt_array_arg_text(pctx *c, const ynode *v, const m_type *t, qt_value *out)
{
    memset(out, 0, sizeof *out);
    out->loc = v->loc;
    out->text = v->text;
    size_t len = strlen(v->text);
    if (len < 2 || v->text[0] != '{' || v->text[len - 1] != '}') {
        gen_error(c->d, v->loc,
                  "an argument of type %s is a sequence ([a, b]) or array text (\"{a,b}\"), "
                  "not '%s'",
                  m_type_sql(c->a, t), v->text);
        return;
    }
    out->items = gen_alloc(c->a, (len + 1) * sizeof *out->items);
    const char *p = v->text + 1;
    while (*p == ' ')
        p++;
    while (*p && *p != '}') {
        out->items[out->nitems++] = next_element(c->a, &p);
        while (*p == ' ' || *p == ',')
            p++;
    }
}

static bool is_number(const char *s, bool integer)
{
    char *end;
    if (!*s)
        return false;
    if (integer)
        strtoll(s, &end, 10);
    else
        strtod(s, &end);
    return *end == '\0';
}

static const char *element_problem(const m_type *e, const char *text)
{
    switch (e->kind) {
    case T_SMALLINT: case T_INTEGER: case T_BIGINT:
        return is_number(text, true) ? NULL : "an integer";
    case T_REAL: case T_DOUBLE: case T_NUMERIC:
        return is_number(text, false) ? NULL : "a number";
    case T_BOOLEAN:
        return strcmp(text, "true") == 0 || strcmp(text, "false") == 0 ? NULL : "true or false";
    case T_ENUM:
        for (size_t i = 0; e->en && i < e->en->values.n; i++)
            if (strcmp(e->en->values.items[i], text) == 0)
                return NULL;
        return e->en ? "a value of the enum" : NULL;
    default:
        return NULL;
    }
}

void qt_check_array_items(pctx *c, const ynode *v, const m_type *t, const qt_value *value)
{
    m_type e = element_of(t);
    for (size_t i = 0; i < value->nitems; i++) {
        const ynode *written = v->kind == Y_SEQ && i < v->n ? v->vals[i] : v;
        if (written->kind == Y_SCALAR && written->text[0] == '@' && written->text[1] != '@')
            continue; /* a row's value: typed by its column */
        const char *want = element_problem(&e, value->items[i]);
        if (want)
            gen_error(c->d, written->loc, "element %zu of the %s argument is '%s', not %s", i + 1,
                      m_type_sql(c->a, t), value->items[i], want);
    }
}

void qt_check_untested(pctx *c)
{
    for (size_t i = 0; i < c->s->ntables; i++) {
        const m_table *t = &c->s->tables[i];
        for (size_t k = 0; k < t->nqueries; k++) {
            const m_query *q = &t->queries[k];
            if (!q->untested)
                continue;
            if (!*q->untested)
                gen_error(c->d, q->loc, "query '%s': 'untested' needs the reason it has no test",
                          q->name);
            else if (q->ntests)
                gen_error(c->d, q->loc,
                          "query '%s' is marked untested but has tests under tests.%s.%s; drop "
                          "'untested'",
                          q->name, t->name, q->name);
        }
    }
}
