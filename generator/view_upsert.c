/* Bulk upsert of a table's _new structs (returns: upsert): the INSERT's
 * head and ON CONFLICT tail as the runtime's sc_upsert descriptor, which
 * fills in VALUES rows per statement (runtime/upsert.c). */
#include <stdio.h>
#include <string.h>

#include "view_repo.h"
#include "view_util.h"

static const char *update_list(gen_arena *a, const m_query *q)
{
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t i = 0; i < q->copy_columns.n; i++) {
        const char *col = q->copy_columns.items[i];
        bool chosen = false, conflict = false;
        for (size_t k = 0; k < q->update.n; k++)
            chosen |= strcmp(q->update.items[k], col) == 0;
        for (size_t k = 0; k < q->conflict.n; k++)
            conflict |= strcmp(q->conflict.items[k], col) == 0;
        if (q->update.n ? chosen : !conflict)
            gen_buf_printf(&b, "%s%s = EXCLUDED.%s", b.len ? ", " : "", col, col);
    }
    return b.data;
}

json_t *view_upsert_function(gen_arena *a, const m_schema *s, const m_query *q)
{
    const m_table *t = q->table;
    const char *name = gen_printf(a, "%s_%s_%s", s->prefix, t->name, q->name);
    const char *input = gen_printf(a, "%s_%s_new", s->prefix, vu_table_singular(a, t));
    json_t *inits = json_array();
    gen_buf cols, conflict;
    gen_buf_init(&cols, a);
    gen_buf_init(&conflict, a);
    for (size_t i = 0; i < q->copy_columns.n; i++) {
        const m_column *c = m_find_column(t, q->copy_columns.items[i]);
        bool nullable = c->nullable || c->default_sql;
        bool flag = nullable && !vu_is_pointer(&c->type);
        json_array_append_new(inits, vu_pair("init", view_field_init(a, s, input, c->name, NULL, &c->type, nullable, flag, c->default_sql ? VF_DEFAULT : 0, c->uuid_text, c->secret)));
        gen_buf_printf(&cols, "%s%s", i ? ", " : "", c->name);
    }
    for (size_t i = 0; i < q->conflict.n; i++)
        gen_buf_printf(&conflict, "%s%s", i ? ", " : "", q->conflict.items[i]);
    const char *set = update_list(a, q);
    const char *tail = set ? gen_printf(a, "ON CONFLICT (%s) DO UPDATE SET %s", conflict.data, set)
                           : gen_printf(a, "ON CONFLICT (%s) DO NOTHING", conflict.data);
    const char *proto = vr_wrap(a, gen_printf(a, "int %s(sc_conn *conn, const %s *rows, size_t n, int64_t *out_affected, sc_error *err)",
                                              name, input), strlen(name) + 5);
    /* batch: defaults to 10,000 for copy; for an upsert the default is the
     * most rows the parameter limit allows */
    size_t batch = q->batch == 10000 ? 0 : (size_t)q->batch, most = 65535 / q->copy_columns.n;
    size_t per = batch && batch < most ? batch : most;
    const char *comment = q->comment ? q->comment : gen_printf(a, "Bulk upsert of %s rows.", t->name);
    comment = gen_printf(a, "%s Writes rows[0..n) as multi-row INSERT ... %s, in statements of at most %zu rows (PostgreSQL allows 65,535 bind parameters; %zu columns each), all in one transaction when there are several: a failure writes no row. Only %s are written; an unset value is the column's DEFAULT where it has one, NULL otherwise. *out_affected: rows inserted or updated.",
                         comment, tail, per, q->copy_columns.n, cols.data);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:s, s:i}", "name", name, "comment",
                     vu_comment(a, comment, "", 100), "prototype", proto, "head",
                     vu_c_string(a, gen_printf(a, "INSERT INTO %s.%s (%s) VALUES", s->name, t->name, cols.data), "         "),
                     "tail", vu_c_string(a, tail, "         "), "columns", inits, "ncolumns",
                     (int)q->copy_columns.n, "input", input, "batch", (int)batch);
}
