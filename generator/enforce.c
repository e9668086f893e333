/* `enforce: database` on an enum with transitions: every column of that
 * enum gets a BEFORE UPDATE OF trigger that refuses a forbidden move made by
 * any SQL, not only by generated code (which guards its own UPDATEs in the
 * same statement, view_guard.c). The trigger and its function are added to
 * the model as if the YAML had declared them, so the DDL, the snapshot and
 * the migration diff (up and down) treat them like any other trigger. */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "parse_util.h"

/* (OLD, NEW) pairs the state machine allows, as SQL row values. */
static const char *allowed_pairs(gen_arena *a, const m_enum *e)
{
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t t = 0; t < e->ntransitions; t++) {
        const m_transition *tr = &e->transitions[t];
        for (size_t k = 0; tr->from != (size_t)-1 && k < tr->nto; k++)
            if (tr->to[k] != (size_t)-1)
                gen_buf_printf(&b, "%s('%s', '%s')", b.len ? ", " : "",
                               e->values.items[tr->from], e->values.items[tr->to[k]]);
    }
    return b.data ? b.data : "(NULL, NULL)";
}

static const char *trigger_body(gen_arena *a, const m_table *t, const m_column *c,
                                const m_enum *e, const char *name)
{
    return gen_printf(a,
                      "BEGIN\n"
                      "    IF NEW.%s IS DISTINCT FROM OLD.%s AND OLD.%s IS NOT NULL AND NEW.%s IS NOT NULL\n"
                      "       AND (OLD.%s::text, NEW.%s::text) NOT IN (%s) THEN\n"
                      "        RAISE EXCEPTION '%s.%s cannot move from %% to %% (state machine of %s)',\n"
                      "            OLD.%s, NEW.%s USING ERRCODE = 'check_violation', CONSTRAINT = '%s';\n"
                      "    END IF;\n"
                      "    RETURN NEW;\n"
                      "END;\n",
                      c->name, c->name, c->name, c->name, c->name, c->name, allowed_pairs(a, e),
                      t->name, c->name, e->name, c->name, c->name, name);
}

bool gen_model_name_taken(const m_schema *s, const m_table *t, const char *name)
{
    for (size_t i = 0; i < s->nfunctions; i++)
        if (strcmp(s->functions[i].name, name) == 0)
            return true;
    for (size_t i = 0; i < t->ntriggers; i++)
        if (strcmp(t->triggers[i].name, name) == 0)
            return true;
    return false;
}

void gen_model_add_trigger(pctx *c, m_table *t, const m_function *fn, const m_trigger *trigger)
{
    gen_arena *a = c->a;
    m_schema *s = c->s;
    m_function *fns = gen_alloc(a, (s->nfunctions + 1) * sizeof *fns);
    if (s->nfunctions)
        memcpy(fns, s->functions, s->nfunctions * sizeof *fns);
    fns[s->nfunctions] = *fn;
    s->functions = fns;
    s->nfunctions++;
    m_trigger *trs = gen_alloc(a, (t->ntriggers + 1) * sizeof *trs);
    if (t->ntriggers)
        memcpy(trs, t->triggers, t->ntriggers * sizeof *trs);
    trs[t->ntriggers] = *trigger;
    t->triggers = trs;
    t->ntriggers++;
}

static void add_trigger(pctx *c, m_table *t, const m_column *col, const m_enum *e)
{
    gen_arena *a = c->a;
    const char *name = gen_printf(a, "%s_%s_transition", t->name, col->name);
    if (gen_model_name_taken(c->s, t, name)) {
        gen_error(c->d, col->loc, "enum '%s' enforces its transitions with '%s', a name the "
                                  "schema already uses for a function or trigger",
                  e->name, name);
        return;
    }
    m_function f = {0};
    f.name = name;
    f.loc = e->loc;
    f.returns = "trigger";
    f.language = "plpgsql";
    f.volatility = "volatile";
    f.body = trigger_body(a, t, col, e, name);
    f.comment = gen_printf(a, "Refuses moves of %s.%s the state machine of %s forbids (enforce: database).", t->name, col->name, e->name);
    m_trigger tr = {0};
    tr.name = name;
    tr.function = name;
    tr.timing = "before";
    tr.loc = tr.function_loc = e->loc;
    tr.events = EV_UPDATE;
    tr.for_each_row = true;
    tr.columns.n = 1;
    tr.columns.items = gen_alloc(a, sizeof *tr.columns.items);
    tr.columns.items[0] = col->name;
    tr.columns.locs = gen_alloc(a, sizeof *tr.columns.locs);
    tr.columns.locs[0] = col->loc;
    gen_model_add_trigger(c, t, &f, &tr);
}

void gen_add_transition_triggers(pctx *c)
{
    m_schema *s = c->s;
    for (size_t i = 0; i < s->ntables; i++) {
        m_table *t = &s->tables[i];
        for (size_t k = 0; k < t->ncolumns; k++) {
            const m_column *col = &t->columns[k];
            if (col->type.kind != T_ENUM || col->type.array || !col->type.enum_name)
                continue;
            const m_enum *e = m_find_enum(s, col->type.enum_name);
            if (e && e->enforce_database)
                add_trigger(c, t, col, e);
        }
    }
}
