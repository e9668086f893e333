/* vector(n) and halfvec(n) in query tests: a value is a YAML list of
 * numbers ([1, 0, 0]) or pgvector's text ("[1,0,0]"); SQL reads the text,
 * a C argument is an sc_vector over a float array literal. */
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "qtest.h"

bool qt_is_vector(const m_type *t)
{
    return !t->array && (t->kind == T_VECTOR || t->kind == T_HALFVEC);
}

static bool is_number(const char *s)
{
    char *end;
    if (!*s)
        return false;
    strtod(s, &end);
    return *end == '\0';
}

/* "[1, 2,3]" -> its elements; false when it is not that shape. */
static bool split_text(gen_arena *a, const char *s, const char ***items, size_t *n)
{
    size_t len = strlen(s);
    if (len < 2 || s[0] != '[' || s[len - 1] != ']')
        return false;
    *items = gen_alloc(a, len * sizeof **items);
    *n = 0;
    for (const char *p = s + 1; p < s + len - 1;) {
        p += strspn(p, " ");
        size_t k = strcspn(p, ",]");
        const char *item = gen_strndup(a, p, k);
        while (k && item[k - 1] == ' ')
            ((char *)item)[--k] = '\0';
        (*items)[(*n)++] = item;
        p += strcspn(p, ",]");
        if (*p == ',')
            p++;
    }
    return true;
}

void qt_vector_value(gen_arena *a, gen_diag *d, const ynode *n, const m_type *t, qt_value *out)
{
    const char *name = t->kind == T_HALFVEC ? "halfvec" : "vector";
    out->text = "";
    const char **items = NULL;
    size_t count = 0;
    if (n->kind == Y_SEQ) {
        items = gen_alloc(a, (n->n + 1) * sizeof *items);
        for (size_t i = 0; i < n->n; i++) {
            if (n->vals[i]->kind != Y_SCALAR || !is_number(n->vals[i]->text)) {
                gen_error(d, n->vals[i]->loc, "a %s element must be a number", name);
                return;
            }
            items[count++] = n->vals[i]->text;
        }
    } else if (n->kind != Y_SCALAR || !split_text(a, n->text, &items, &count)) {
        gen_error(d, n->loc, "a %s value is a list of numbers: [1, 0, 0]", name);
        return;
    }
    for (size_t i = 0; i < count; i++)
        if (!is_number(items[i])) {
            gen_error(d, n->loc, "'%s' in a %s value is not a number", items[i], name);
            return;
        }
    if ((int)count != t->p) {
        gen_error(d, n->loc, "a %s(%d) value needs %d numbers, not %zu", name, t->p, t->p, count);
        return;
    }
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, "[");
    for (size_t i = 0; i < count; i++)
        gen_buf_printf(&b, "%s%s", i ? "," : "", items[i]);
    gen_buf_puts(&b, "]");
    out->text = b.data;
    out->items = items;
    out->nitems = count;
}

const char *qt_vector_made(gen_arena *a, const m_type *t)
{
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, "[1");
    for (int i = 1; i < t->p; i++)
        gen_buf_puts(&b, ",0");
    gen_buf_puts(&b, "]");
    return b.data;
}

/* The float array of pgvector text: "(const float[3]){1.0f}" for the
 * made-up [1,0,0] (C zero-fills the rest, so a vector(1024) stays one
 * short line), else every element. */
const char *qt_vector_array_c(gen_arena *a, const char *text, int dim)
{
    if (strcmp(text, qt_vector_made(a, &(m_type){.kind = T_VECTOR, .p = dim})) == 0)
        return gen_printf(a, "(const float[%d]){1.0f}", dim);
    const char **items = NULL;
    size_t n = 0;
    if (!split_text(a, text, &items, &n))
        n = 0;
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t i = 0; i < n; i++)
        gen_buf_printf(&b, "%s%s%sf", i ? ", " : "", items[i], strpbrk(items[i], ".eE") ? "" : ".0");
    return gen_printf(a, "(const float[%d]){%s}", dim, b.data ? b.data : "0");
}

const char *qt_vector_c(gen_arena *a, const qt_value *v)
{
    const char **items = v->items;
    size_t n = v->nitems;
    if (!items && v->text)
        split_text(a, v->text, &items, &n); /* a label's value: the row's text */
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t i = 0; i < n; i++)
        gen_buf_printf(&b, "%s%s%sf", i ? ", " : "", items[i],
                       strpbrk(items[i], ".eE") ? "" : ".0");
    return gen_printf(a, "&(sc_vector){%zu, (const float[]){%s}}", n, b.data ? b.data : "0");
}
