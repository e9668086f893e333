/* Extensions: added ones are created before anything that may use their
 * types, removed ones dropped after everything that used them is gone.
 * A column of the extension's type dropped in the same migration is kept
 * in schemac_backup, which keeps the extension too: remove the extension
 * in a later migration (docs/dsl.md). */
#include <string.h>

#include "diff_internal.h"

static bool listed(const m_names *n, const char *name)
{
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->items[i], name) == 0)
            return true;
    return false;
}

void diff_extensions(dctx *c, bool create)
{
    const m_names *now = &c->n->extensions, *before = &c->o->extensions;
    const m_names *from = create ? now : before, *other = create ? before : now;
    for (size_t i = 0; i < from->n; i++) {
        const char *name = from->items[i];
        if (listed(other, name))
            continue;
        /* not destructive: DROP EXTENSION without CASCADE refuses while a
         * column (or a backup of one) still has its types */
        diff_step *p = d_step(c, gen_printf(c->a, "%s extension %s", create ? "create" : "drop",
                                            name),
                              false);
        ddl_script made;
        ddl_script_init(&made, c->a);
        ddl_create_extension(name, &made);
        const ddl_stmt *st = &made.items[0];
        d_push(create ? &p->up : &p->down, st->kind, st->object, st->sql);
        d_push(create ? &p->down : &p->up, st->kind, st->object, ddl_drop_sql(c->a, st));
    }
}
