/* Keyset pagination of a named query (paginate: { keyset: [cols] }): the
 * after_<col> parameters leave the prototype for one opaque cursor in and
 * one out, the keyset descriptor that turns a row into a cursor and a
 * cursor into those parameters, and the <query>_cursor helper that starts
 * a page after a known row. The runtime half is runtime/cursor.c. */
#include <stdio.h>
#include <string.h>

#include "view_keyset.h"
#include "view_util.h"

static const char *after_name(gen_arena *a, const char *col)
{
    return gen_printf(a, "after_%s", col);
}

void vk_hide_cursor_params(vfunc *f, const m_query *q)
{
    for (size_t i = 0; i < q->keyset.n; i++) {
        vparam *p = (vparam *)vr_find(f, after_name(f->a, q->keyset.items[i]));
        if (p)
            p->hidden = true;
    }
}

const char *vk_outputs(gen_arena *a, const char *row)
{
    return gen_printf(a, "const char *after, int64_t limit, %s **out_rows, size_t *out_n, const char **out_next", row);
}

json_t *vk_keyset_view(const vfunc *f, const m_query *q, const char *row)
{
    gen_arena *a = f->a;
    json_t *row_inits = json_array(), *arg_inits = json_array();
    for (size_t i = 0; i < q->keyset.n; i++) {
        const m_column *c = m_find_column(q->table, q->keyset.items[i]);
        json_array_append_new(row_inits, vu_pair("init", view_field_init(a, f->s, row, c->name, NULL, &c->type, false, false, 0, false, false)));
        const vparam *p = vr_find(f, after_name(a, c->name));
        const char *member = vr_is_opt(p) ? gen_printf(a, "%s.value", p->name) : p->name;
        json_array_append_new(arg_inits, vu_pair("init", view_field_init(a, f->s, f->args_struct, p->name, member, &p->type, false, false, 0, false, false)));
    }
    return json_pack("{s:s, s:i, s:o, s:o}", "name", f->name, "nkeys", (int)q->keyset.n,
                     "row_keys", row_inits, "arg_keys", arg_inits);
}

void vk_decode_cursor(vfunc *f, const m_query *q)
{
    gen_buf *b = &f->body;
    gen_buf_printf(b, "    if (limit < 0)\n"
                      "        return sc_error_set(err, SC_INVALID_INPUT, \"%s: limit is negative\");\n"
                      "    if (after) {\n"
                      "        int sc_rc = sc_cursor_decode(&%s_keyset, after, arena, &sc_args, err);\n"
                      "        if (sc_rc != SC_OK)\n"
                      "            return sc_rc;\n", f->name, f->name);
    for (size_t i = 0; i < q->keyset.n; i++) {
        const vparam *p = vr_find(f, after_name(f->a, q->keyset.items[i]));
        if (vr_is_opt(p))
            gen_buf_printf(b, "        sc_args.%s.has = true;\n", p->name);
    }
    gen_buf_puts(b, "    }\n");
}

/* One row more than the page tells whether another page follows. */
void vk_call_many(vfunc *f)
{
    gen_buf_printf(&f->body,
                   "    int64_t sc_limit = limit ? limit : %d;\n"
                   "    sc_args.limit = sc_limit < INT64_MAX ? sc_limit + 1 : sc_limit;\n"
                   "    if (out_next)\n"
                   "        *out_next = NULL;\n"
                   "    int sc_rc = sc_query_many(conn, &%s_queries[sc_variant], &sc_args, arena, (void **)out_rows, out_n, err);\n"
                   "    if (sc_rc != SC_OK || *out_n <= (size_t)sc_limit)\n"
                   "        return sc_rc;\n"
                   "    *out_n = (size_t)sc_limit;\n"
                   "    if (!out_next)\n"
                   "        return SC_OK;\n"
                   "    return sc_cursor_encode(&%s_keyset, &(*out_rows)[sc_limit - 1], arena, out_next, err);\n",
                   VK_DEFAULT_LIMIT, f->name, f->name);
}

const char *vk_comment(gen_arena *a, const m_query *q, const char *comment)
{
    gen_buf cols;
    gen_buf_init(&cols, a);
    for (size_t i = 0; i < q->keyset.n; i++)
        gen_buf_printf(&cols, "%s%s", i ? ", " : "", q->keyset.items[i]);
    return gen_printf(a, "%s Keyset pages by (%s): `after` is NULL for the first page, else the *out_next of the page before; *out_next (may be NULL) is NULL after the last page. Rows inserted or deleted between pages are neither skipped nor repeated. limit 0: %d.", comment, cols.data, VK_DEFAULT_LIMIT);
}

json_t *vk_cursor_function(const vfunc *f, const char *row)
{
    gen_arena *a = f->a;
    const char *name = gen_printf(a, "%s_cursor", f->name);
    const char *proto = vr_wrap(a, gen_printf(a, "int %s(sc_arena *arena, const %s *last, const char **out_cursor, sc_error *err)", name, row), strlen(name) + 5);
    const char *body = gen_printf(a, "    return sc_cursor_encode(&%s_keyset, last, arena, out_cursor, err);\n", f->name);
    return vr_companion_view(f, name, gen_printf(a, "The cursor of %s that starts after `last` (a row of an earlier page, or one the service remembers), into the arena.", f->name),
                             proto, body);
}
