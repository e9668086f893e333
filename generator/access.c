/* Permission-checked reads (`access:` on a `one` query). The condition does
 * not filter the row: it becomes the last column of the select list,
 *
 *   SELECT *, (owner_id = :user_id OR is_public OR ...) AS sc_access FROM ...
 *
 * so the one statement that finds the row also says whether the caller may
 * see it, with no read-then-check race: no row is SC_NOT_FOUND, a row
 * whose verdict is not true is SC_ACCESS_DENIED (its values are not handed
 * out), or SC_NOT_FOUND as well with not_found_hides_existence for services
 * that must not reveal that the row exists. */
#include <string.h>

#include "output.h"
#include "parse_util.h"
#include "sqlscan.h"

/* The offset of the top-level FROM of a SELECT, or 0. */
static size_t top_level_from(const sql_scan *scan)
{
    int depth = 0;
    for (size_t i = 1; i < scan->n; i++) {
        const sql_tok *t = &scan->toks[i];
        if (t->kind == TK_PUNCT && strcmp(t->text, "(") == 0)
            depth++;
        else if (t->kind == TK_PUNCT && strcmp(t->text, ")") == 0)
            depth--;
        else if (depth == 0 && sql_tok_is(t, "from"))
            return t->offset;
    }
    return 0;
}

void gen_access_select(pctx *c, m_query *q, gen_loc loc)
{
    if (!q->access) {
        gen_error(c->d, loc, "query '%s': not_found_hides_existence needs 'access'", q->name);
        return;
    }
    if (q->returns != RET_ONE || !q->sql) {
        gen_error(c->d, loc, "query '%s': 'access' checks the row of a `returns: one` SELECT",
                  q->name);
        return;
    }
    sql_scan scan;
    sql_tokenize(c->a, q->sql, &scan);
    size_t from = scan.n && sql_tok_is(&scan.toks[0], "select") ? top_level_from(&scan) : 0;
    if (!from) {
        gen_error(c->d, loc, "query '%s': 'access' needs a SELECT ... FROM query", q->name);
        return;
    }
    size_t end = from;
    while (end && strchr(" \t\n", q->sql[end - 1]))
        end--;
    size_t n = strlen(q->access);
    while (n && strchr(" \t\n", q->access[n - 1]))
        n--;
    q->sql = gen_printf(c->a, "%.*s, (%.*s) AS sc_access\n%s", (int)end, q->sql, (int)n,
                        q->access, q->sql + from);
}
