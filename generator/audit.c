/* `audit: { into: log_table, key: log_column, from: column }` on a table:
 * every INSERT, UPDATE (with the names of the columns that changed) and
 * DELETE of a row writes a row of the log table in the same transaction,
 * from an AFTER ... FOR EACH ROW trigger added to the model like a declared
 * one (so DDL, snapshots and migrations carry it). The log row gets:
 *   key       the row's `from` column (collection_id of a document; id of a
 *             collection)
 *   action    '<table>.insert' | '<table>.update' | '<table>.delete'
 *   details   {"table": ..., "row": {primary key}, "changed": [columns]}
 *   user_id, operation_id (when the log has them): the transaction-local
 *             settings schemac.user_id / schemac.operation_id, which
 *             sc_tx_set_audit() sets; NULL outside such a transaction.
 * Values never go into the log, only column names (a secret stays secret).
 * When the log's key references a table and that row is gone (a document
 * deleted by the cascade of its collection's delete), nothing is logged:
 * the log rows of that collection go with it anyway. */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "parse_util.h"

static const m_column *find_col(const m_table *t, const char *name)
{
    return t ? m_find_column(t, name) : NULL;
}

/* json_build_object('id', r->'id', ...) over the primary key (declared on
 * the table, or as primary_key: true on a column: validation merges the two
 * later). */
static const char *row_key(gen_arena *a, const m_table *t)
{
    gen_buf b;
    gen_buf_init(&b, a);
    for (size_t i = 0; i < t->primary_key.n; i++)
        gen_buf_printf(&b, "%s'%s', r->'%s'", i ? ", " : "", t->primary_key.items[i],
                       t->primary_key.items[i]);
    for (size_t i = 0; !t->primary_key.n && i < t->ncolumns; i++)
        if (t->columns[i].primary_key)
            gen_buf_printf(&b, "%s'%s', r->'%s'", b.len ? ", " : "", t->columns[i].name,
                           t->columns[i].name);
    return gen_printf(a, "json_build_object(%s)", b.data ? b.data : "");
}

/* "WHERE EXISTS (...)" when the log key references a table, else "". */
static const char *parent_guard(gen_arena *a, const m_schema *s, const m_column *key)
{
    if (!key->references)
        return "";
    const char *dot = strchr(key->references, '.');
    if (!dot)
        return "";
    return gen_printf(a, "\n    WHERE EXISTS (SELECT 1 FROM %s.%.*s WHERE %s = key_value)", s->name,
                      (int)(dot - key->references), key->references, dot + 1);
}

static const char *audit_body(gen_arena *a, const m_schema *s, const m_table *t,
                              const m_table *log, const m_column *key)
{
    bool who = find_col(log, "user_id") != NULL, op = find_col(log, "operation_id") != NULL;
    bool details = find_col(log, "details") != NULL;
    return gen_printf(a,
        "DECLARE\n"
        "    r json;\n"
        "    changed json;\n"
        "    key_value %s;\n"
        "BEGIN\n"
        "    IF TG_OP = 'DELETE' THEN\n"
        "        r := row_to_json(OLD);\n"
        "    ELSE\n"
        "        r := row_to_json(NEW);\n"
        "    END IF;\n"
        "    key_value := (r->>'%s')::%s;\n"
        "    IF TG_OP = 'UPDATE' THEN\n"
        "        SELECT json_agg(n.key ORDER BY n.key) INTO changed\n"
        "        FROM json_each(row_to_json(NEW)) n JOIN json_each(row_to_json(OLD)) o ON o.key = n.key\n"
        "        WHERE n.value::text IS DISTINCT FROM o.value::text;\n"
        "        IF changed IS NULL THEN\n"
        "            RETURN NULL;\n"
        "        END IF;\n"
        "    END IF;\n"
        "    INSERT INTO %s.%s (%s, action%s%s%s)\n"
        "    SELECT key_value, '%s.' || lower(TG_OP)%s%s%s%s;\n"
        "    RETURN NULL;\n"
        "END;\n",
        m_type_sql(a, &key->type), t->audit.from, m_type_sql(a, &key->type), s->name, log->name,
        key->name, details ? ", details" : "", who ? ", user_id" : "", op ? ", operation_id" : "",
        t->name,
        details ? gen_printf(a, ",\n           json_build_object('table', '%s', 'row', %s, 'changed', changed)", t->name, row_key(a, t)) : "",
        who ? ",\n           nullif(current_setting('schemac.user_id', true), '')::integer" : "",
        op ? ",\n           nullif(current_setting('schemac.operation_id', true), '')::integer" : "",
        parent_guard(a, s, key));
}

static void add_audit(pctx *c, m_table *t)
{
    const m_audit *au = &t->audit;
    const m_table *log = m_find_table(c->s, au->into);
    const m_column *key = find_col(log, au->key), *from = m_find_column(t, au->from);
    if (!log || !key || !from || !find_col(log, "action")) {
        gen_error(c->d, au->loc,
                  "audit of table '%s': '%s' must be a table with columns '%s' and 'action', and "
                  "'%s' a column of '%s'",
                  t->name, au->into, au->key, au->from, t->name);
        return;
    }
    if (log == t) {
        gen_error(c->d, au->loc, "table '%s' cannot audit into itself", t->name);
        return;
    }
    const char *name = gen_printf(c->a, "%s_audit", t->name);
    if (gen_model_name_taken(c->s, t, name)) {
        gen_error(c->d, au->loc, "audit of table '%s' needs the name '%s', which the schema "
                                 "already uses for a function or trigger", t->name, name);
        return;
    }
    m_function f = {0};
    f.name = name;
    f.loc = au->loc;
    f.returns = "trigger";
    f.language = "plpgsql";
    f.volatility = "volatile";
    f.body = audit_body(c->a, c->s, t, log, key);
    f.comment = gen_printf(c->a, "Writes a %s row for every insert, update and delete of %s (audit).", log->name, t->name);
    m_trigger tr = {0};
    tr.name = name;
    tr.function = name;
    tr.timing = "after";
    tr.loc = tr.function_loc = au->loc;
    tr.events = EV_INSERT | EV_UPDATE | EV_DELETE;
    tr.for_each_row = true;
    gen_model_add_trigger(c, t, &f, &tr);
}

void gen_add_audit_triggers(pctx *c)
{
    for (size_t i = 0; i < c->s->ntables; i++)
        if (c->s->tables[i].audit.into)
            add_audit(c, &c->s->tables[i]);
}
