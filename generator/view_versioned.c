/* create on a versioned table numbers the row from a counter on its parent,
 * bumped in the same statement:
 *
 *   WITH sc_next AS (
 *       UPDATE s.items SET last_version = last_version + 1
 *       WHERE id = $1::bigint AND user_id = $2::integer
 *       RETURNING last_version
 *   )
 *   INSERT INTO s.analyses (item_id, user_id, body, version)
 *   SELECT $1::bigint, $2::integer, $3::text, last_version FROM sc_next
 *   RETURNING ...
 *
 * Why not max(version) + 1: two transactions read the same max and insert
 * the same number, whatever FOR UPDATE OF the parent is added (the lock is
 * taken after the snapshot the subquery reads). The UPDATE locks the parent
 * row instead; a second writer waits for the first to commit and, under READ
 * COMMITTED, re-reads the row it waited for, so it bumps the committed
 * counter: distinct numbers, no retry, no error. (Under REPEATABLE READ it
 * fails with a serialization error, which sc_tx_run retries.) No parent row,
 * or one of another user, inserts nothing: SC_NOT_FOUND. */
#include <string.h>

#include "output.h"
#include "view_repo.h"
#include "view_util.h"
#include "view_versioned.h"

static size_t position(const char *const *order, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(order[i], name) == 0)
            return i + 1;
    return 0;
}

const char *vv_create_sql(gen_arena *a, const m_schema *s, const m_table *t, const char *cols,
                          const char *vals, const char *const *order, size_t n)
{
    const m_versioned *v = &t->versioned;
    if (!v->parent || !v->counter_col)
        return NULL;
    gen_buf match;
    gen_buf_init(&match, a);
    for (size_t i = 0; i < v->keys.n; i++) {
        size_t k = position(order, n, v->keys.items[i]);
        const m_column *c = m_find_column(t, v->keys.items[i]);
        if (!k || !c)
            return NULL;
        gen_buf_printf(&match, "%s%s = $%zu::%s", i ? " AND " : "", v->parent_keys.items[i], k,
                       vu_sql_type(a, s, &c->type));
    }
    const char *counter = v->counter_col->name;
    return gen_printf(a,
                      "WITH sc_next AS (\n"
                      "    UPDATE %s SET %s = %s + 1\n"
                      "    WHERE %s\n"
                      "    RETURNING %s\n"
                      ")\n"
                      "INSERT INTO %s (%s, %s)\n"
                      "SELECT %s, %s FROM sc_next\n"
                      "RETURNING %s",
                      vr_qualified(a, s, v->parent), counter, counter, match.data, counter,
                      vr_qualified(a, s, t), cols, v->column_col->name, vals, counter,
                      vr_select_list(a, t, NULL));
}

const char *vv_create_note(gen_arena *a, const m_table *t)
{
    const m_versioned *v = &t->versioned;
    if (!v->parent || !v->counter_col)
        return "";
    return gen_printf(a, " %s is the next number of its %s row (%s.%s, bumped in the same statement: "
                         "concurrent creates never share one); SC_NOT_FOUND when there is no such %s row%s.",
                      v->column, v->parent->name, v->parent->name, v->counter_col->name,
                      v->parent->name, t->scope_col ? " for this user" : "");
}
