/* Indexes, triggers, foreign keys and constraints compared by the CREATE
 * statement ddl.c writes for them; partitions matched by bound; the rules
 * that force an unchanged object to be rebuilt around a change. */
#include "diff_internal.h"

/* ---- generic objects: compared by their CREATE text ------------------ */

static const ddl_stmt *find_stmt(const ddl_script *d, const char *object)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].object, object) == 0)
            return &d->items[i];
    return NULL;
}

static bool forced(const objset *s, const char *object)
{
    for (size_t i = 0; i < s->nforced; i++)
        if (strcmp(s->forced[i], object) == 0)
            return true;
    return false;
}

static void force(dctx *c, objset *s, const char *object)
{
    gen_grow(c->a, (void **)&s->forced, &s->capforced, s->nforced + 1, sizeof *s->forced);
    s->forced[s->nforced++] = object;
}

/* The old model with renamed tables under their new names. Objects whose
 * names are stored (indexes, triggers, partitions) follow ALTER TABLE
 * RENAME in the server, so they compare equal through this view; derived
 * constraint names do not follow, so constraints compare on the real one. */
static const m_schema *old_under_new_names(dctx *c)
{
    m_schema *s = gen_alloc(c->a, sizeof *s);
    *s = *c->o;
    s->tables = gen_alloc(c->a, (s->ntables + 1) * sizeof *s->tables);
    for (size_t i = 0; i < s->ntables; i++) {
        s->tables[i] = c->o->tables[i];
        if (c->new_of[i])
            s->tables[i].name = c->new_of[i]->name;
    }
    return s;
}

void objset_init(dctx *c, objset *s, collect_fn fn, bool follow_renames)
{
    memset(s, 0, sizeof *s);
    ddl_script_init(&s->old, c->a);
    ddl_script_init(&s->new_, c->a);
    fn(c, follow_renames ? old_under_new_names(c) : c->o, true, &s->old);
    fn(c, c->n, false, &s->new_);
}

static bool obj_changed(const objset *s, const ddl_stmt *st, const ddl_script *other)
{
    const ddl_stmt *peer = find_stmt(other, st->object);
    for (size_t i = 0; i < s->nrenamed; i++)
        if (strcmp(s->renamed[i], st->object) == 0)
            return false;
    return !peer || strcmp(peer->sql, st->sql) != 0 || forced(s, st->object);
}

/* st (a new-side statement) exists unchanged on the old side and no rule
 * forces it to be rebuilt: it is in the database throughout the migration. */
bool obj_kept(const objset *s, const ddl_stmt *st)
{
    return find_stmt(&s->new_, st->object) && !obj_changed(s, st, &s->old);
}

/* "PRIMARY KEY (id)" of "ALTER TABLE t ADD CONSTRAINT name PRIMARY KEY (id)". */
static const char *constraint_definition(const char *sql, const char **name, size_t *name_len)
{
    const char *at = strstr(sql, " ADD CONSTRAINT ");
    if (!at)
        return NULL;
    *name = at + strlen(" ADD CONSTRAINT ");
    *name_len = strcspn(*name, " ");
    return *name + *name_len;
}

/* A renamed table's derived constraint names (pets_pkey) change with it:
 * rename the constraints (their indexes follow) instead of rebuilding. */
void pair_renamed_constraints(dctx *c, objset *s)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        if (!old || strcmp(old->name, t->name) == 0)
            continue;
        const char *oprefix = gen_printf(c->a, "ALTER TABLE %s ADD CONSTRAINT ", ddl_qualify(c->a, c->o, old->name));
        const char *nprefix = gen_printf(c->a, "ALTER TABLE %s ADD CONSTRAINT ", d_q(c, t->name));
        for (size_t k = 0; k < s->old.n; k++) {
            const ddl_stmt *o = &s->old.items[k];
            const char *oname, *nname;
            size_t olen, nlen;
            if (strncmp(o->sql, oprefix, strlen(oprefix)) != 0 || find_stmt(&s->new_, o->object))
                continue;
            const char *odef = constraint_definition(o->sql, &oname, &olen);
            for (size_t j = 0; odef && j < s->new_.n; j++) {
                const ddl_stmt *n = &s->new_.items[j];
                if (strncmp(n->sql, nprefix, strlen(nprefix)) != 0 || find_stmt(&s->old, n->object))
                    continue;
                const char *ndef = constraint_definition(n->sql, &nname, &nlen);
                if (!ndef || strcmp(ndef, odef) != 0)
                    continue;
                gen_grow(c->a, (void **)&s->renamed, &s->caprenamed, s->nrenamed + 2, sizeof *s->renamed);
                s->renamed[s->nrenamed++] = o->object;
                s->renamed[s->nrenamed++] = n->object;
                break;
            }
        }
    }
}

/* The steps for the pairs above, once the tables carry their new names. */
void rename_constraints(dctx *c, const objset *s, const char *label)
{
    for (size_t i = 0; i + 1 < s->nrenamed; i += 2) {
        const ddl_stmt *o = find_stmt(&s->old, s->renamed[i]), *n = find_stmt(&s->new_, s->renamed[i + 1]);
        const char *oname = "", *nname = "";
        size_t olen = 0, nlen = 0;
        constraint_definition(o->sql, &oname, &olen);
        constraint_definition(n->sql, &nname, &nlen);
        if (olen == nlen && strncmp(oname, nname, olen) == 0)
            continue; /* an explicit name: the table's rename took it along */
        const char *table = gen_strndup(c->a, n->sql + strlen("ALTER TABLE "),
                                        strcspn(n->sql + strlen("ALTER TABLE "), " "));
        diff_step *p = d_step(c, gen_printf(c->a, "rename %s %.*s to %.*s", label, (int)olen, oname,
                                          (int)nlen, nname), false);
        d_push(&p->up, DDL_TABLE, table,
             gen_printf(c->a, "ALTER TABLE %s RENAME CONSTRAINT %.*s TO %.*s", table, (int)olen,
                        oname, (int)nlen, nname));
        d_push(&p->down, DDL_TABLE, table,
             gen_printf(c->a, "ALTER TABLE %s RENAME CONSTRAINT %.*s TO %.*s", table, (int)nlen,
                        nname, (int)olen, oname));
    }
}

void drop_changed(dctx *c, const objset *s, const char *label)
{
    for (size_t i = s->old.n; i-- > 0;) {
        const ddl_stmt *st = &s->old.items[i];
        if (!obj_changed(s, st, &s->new_))
            continue;
        diff_step *p = d_step(c, gen_printf(c->a, "drop %s %s", label, st->object), false);
        d_push(&p->up, st->kind, st->object, ddl_drop_sql(c->a, st));
        d_push(&p->down, st->kind, st->object, st->sql);
    }
}

/* The new-side table an "ALTER TABLE t ADD CONSTRAINT" statement names. */
static const m_table *constraint_table(dctx *c, const char *sql, size_t *index)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const char *prefix = gen_printf(c->a, "ALTER TABLE %s ADD CONSTRAINT ", d_q(c, c->n->tables[i].name));
        if (strncmp(sql, prefix, strlen(prefix)) == 0) {
            *index = i;
            return &c->n->tables[i];
        }
    }
    return NULL;
}

/* A foreign key or check added to a table that has rows: NOT VALID (a
 * brief lock, no scan), then VALIDATE CONSTRAINT, which scans under a lock
 * that lets reads and writes go on. PostgreSQL 15 refuses NOT VALID
 * foreign keys on partitioned tables: those stay one statement (the lint
 * flags them). */
static void add_constraint(dctx *c, diff_step *p, const ddl_stmt *st)
{
    size_t ti = 0;
    const m_table *t = constraint_table(c, st->sql, &ti);
    const char *def = strstr(st->sql, " ADD CONSTRAINT ");
    const char *name = def ? def + strlen(" ADD CONSTRAINT ") : NULL;
    size_t name_len = name ? strcspn(name, " ") : 0;
    bool checkable = name && (strncmp(name + name_len, " FOREIGN KEY (", 14) == 0 ||
                              strncmp(name + name_len, " CHECK (", 8) == 0);
    if (!t || !c->old_of[ti] || !checkable || t->partition) {
        d_push(&p->up, st->kind, st->object, st->sql);
        return;
    }
    d_push(&p->up, st->kind, st->object, gen_printf(c->a, "%s NOT VALID", st->sql));
    d_push(&p->up, st->kind, st->object,
         gen_printf(c->a, "ALTER TABLE %s VALIDATE CONSTRAINT %.*s", d_q(c, t->name), (int)name_len, name));
}

void create_changed(dctx *c, const objset *s, const char *label)
{
    for (size_t i = 0; i < s->new_.n; i++) {
        const ddl_stmt *st = &s->new_.items[i];
        if (!obj_changed(s, st, &s->old))
            continue;
        diff_step *p = d_step(c, gen_printf(c->a, "create %s %s", label, st->object), false);
        add_constraint(c, p, st);
        d_push(&p->down, st->kind, st->object, ddl_drop_sql(c->a, st));
    }
}

void collect_fks(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    (void)c, (void)old;
    for (size_t i = 0; i < s->ntables; i++)
        ddl_create_foreign_keys(s, &s->tables[i], out);
}

void collect_indexes(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    (void)c, (void)old;
    for (size_t i = 0; i < s->ntables; i++)
        for (size_t k = 0; k < s->tables[i].nindexes; k++)
            ddl_create_index(s, s->tables[i].name, &s->tables[i].indexes[k], out);
}

void collect_triggers(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    (void)c, (void)old;
    for (size_t i = 0; i < s->ntables; i++)
        for (size_t k = 0; k < s->tables[i].ntriggers; k++)
            ddl_create_trigger(s, &s->tables[i], &s->tables[i].triggers[k], out);
}

/* Table constraints as "ALTER TABLE t ADD CONSTRAINT name def" statements,
 * keyed "schema.table.name" like foreign keys. Only tables on both sides:
 * CREATE TABLE and DROP TABLE carry the constraints of the others. */
void collect_constraints(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (old ? c->new_of[i] != NULL : c->old_of[i] != NULL)
            collect_table_constraints(c, s, &s->tables[i], out);
}

void collect_table_constraints(dctx *c, const m_schema *s, const m_table *t, ddl_script *out)
{
    const char *table = ddl_qualify(c->a, s, t->name);
    ddl_constraint *k;
    size_t n = ddl_table_constraints(c->a, t, &k);
    for (size_t j = 0; j < n; j++)
        d_push(out, DDL_FOREIGN_KEY, gen_printf(c->a, "%s.%s", table, k[j].name),
               gen_printf(c->a, "ALTER TABLE %s ADD CONSTRAINT %s %s", table, k[j].name,
                          k[j].definition));
}

/* Partitions of tables present on both sides only: new tables bring theirs,
 * dropped tables take theirs along. */
void collect_partitions(dctx *c, const m_schema *s, bool old, ddl_script *out)
{
    for (size_t i = 0; i < s->ntables; i++) {
        bool both = old ? c->new_of[i] != NULL : c->old_of[i] != NULL;
        if (both)
            ddl_create_partitions(s, &s->tables[i], out);
    }
}

/* ---- partitions: matched by their bound ------------------------------- */

/* "PARTITION OF parent FOR VALUES ..." of a CREATE TABLE ... PARTITION OF. */
static const char *bound_of(const ddl_stmt *st)
{
    return strstr(st->sql, " PARTITION OF ");
}

static const ddl_stmt *same_bound(const ddl_script *d, const ddl_stmt *st)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(bound_of(&d->items[i]), bound_of(st)) == 0)
            return &d->items[i];
    return NULL;
}

static const m_table *parent_of(dctx *c, const ddl_stmt *part)
{
    for (size_t i = 0; i < c->n->ntables; i++)
        if (strstr(part->sql, gen_printf(c->a, " PARTITION OF %s ", d_q(c, c->n->tables[i].name))))
            return &c->n->tables[i];
    return NULL;
}

/* The name PostgreSQL gives a partition's copy of a parent index:
 * <partition>_<columns>_<label> (ChooseRelationName, short names). */
static const char *child_index_name(dctx *c, const char *part, const m_index *ix)
{
    gen_buf b;
    gen_buf_init(&b, c->a);
    gen_buf_printf(&b, "%s_", part);
    for (size_t i = 0; i < ix->ncols; i++)
        gen_buf_printf(&b, "%s_", ix->cols[i].name);
    if (ix->expression)
        gen_buf_puts(&b, "expr_");
    gen_buf_puts(&b, "idx");
    return gen_printf(c->a, "%.63s", b.data);
}

/* Renames a partition and the indexes it inherited, which carry its name. */
static void rename_partition(dctx *c, const ddl_stmt *st, const ddl_stmt *old)
{
    gen_arena *a = c->a;
    const char *to = strrchr(st->object, '.') + 1, *from = strrchr(old->object, '.') + 1;
    diff_step *p = d_step(c, gen_printf(a, "rename partition %s to %s", from, to), false);
    d_push(&p->up, DDL_PARTITION, st->object, gen_printf(a, "ALTER TABLE %s RENAME TO %s", old->object, to));
    d_push(&p->down, DDL_PARTITION, old->object, gen_printf(a, "ALTER TABLE %s RENAME TO %s", st->object, from));
    const m_table *t = parent_of(c, st);
    if (!t)
        return;
    const char *names[2][64];
    size_t n = 0;
    if (t->primary_key.n) {
        names[0][n] = gen_printf(a, "%.63s", gen_printf(a, "%s_pkey", from));
        names[1][n++] = gen_printf(a, "%.63s", gen_printf(a, "%s_pkey", to));
    }
    for (size_t i = 0; i < t->nindexes && n < 64; i++) {
        names[0][n] = child_index_name(c, from, &t->indexes[i]);
        names[1][n++] = child_index_name(c, to, &t->indexes[i]);
    }
    for (size_t i = 0; i < n; i++) {
        d_push(&p->up, DDL_INDEX, d_q(c, names[1][i]),
             gen_printf(a, "ALTER INDEX IF EXISTS %s RENAME TO %s", d_q(c, names[0][i]), names[1][i]));
        d_push(&p->down, DDL_INDEX, d_q(c, names[0][i]),
             gen_printf(a, "ALTER INDEX IF EXISTS %s RENAME TO %s", d_q(c, names[1][i]), names[0][i]));
    }
}

/* A partition whose bound stays keeps its rows: a new name pattern renames
 * it. Bounds that disappear drop their partition and its rows (flagged);
 * new bounds get a partition. drops: the first pass (before columns are
 * dropped), else renames and creations. */
void diff_partitions(dctx *c, const objset *parts, bool drops)
{
    gen_arena *a = c->a;
    if (drops) {
        for (size_t i = parts->old.n; i-- > 0;) {
            const ddl_stmt *st = &parts->old.items[i];
            if (same_bound(&parts->new_, st))
                continue;
            diff_step *p = d_step(c, gen_printf(a, "drop partition %s", st->object), true);
            d_push(&p->up, st->kind, st->object, ddl_drop_sql(a, st));
            d_push(&p->down, st->kind, st->object, st->sql);
        }
        return;
    }
    for (size_t i = 0; i < parts->new_.n; i++) {
        const ddl_stmt *st = &parts->new_.items[i], *old = same_bound(&parts->old, st);
        if (old && strcmp(old->object, st->object) == 0)
            continue;
        if (old) {
            rename_partition(c, st, old);
            continue;
        }
        diff_step *p = d_step(c, gen_printf(a, "create partition %s", st->object), false);
        d_push(&p->up, st->kind, st->object, st->sql);
        d_push(&p->down, st->kind, st->object, ddl_drop_sql(a, st));
    }
}

/* A changed list expression re-decides every row's partition: rows whose
 * key disagrees would be stranded where no query looks. Each direction
 * counts them first and refuses with the way out, before the key CHECK is
 * put back (which would only say "violated by some row"). */
static const char *strand_check(dctx *c, const m_table *t, const m_partition *p)
{
    const char *table = d_q(c, t->name);
    const char *why = gen_printf(
        c->a, " rows of %s have a %s that the expression %s does not give: they would be "
              "stranded in the wrong partition. A repartition moves rows, which a migration "
              "does not do in place: create the table anew under another name with the new "
              "partitioning, copy the rows in batches (INSERT ... SELECT with the key "
              "recomputed), then rename both tables in one transaction and drop the old one",
        table, p->key, ddl_literal(c->a, p->expression));
    return gen_printf(c->a, "DO $strand$ DECLARE n bigint; BEGIN\n"
                            "  SELECT count(*) INTO n FROM %s WHERE %s IS DISTINCT FROM (%s);\n"
                            "  IF n > 0 THEN\n"
                            "    RAISE EXCEPTION '%%', n || %s;\n"
                            "  END IF;\n"
                            "END $strand$",
                      table, p->key, p->expression, ddl_literal(c->a, why));
}

void check_stranded_rows(dctx *c)
{
    for (size_t i = 0; i < c->n->ntables; i++) {
        const m_table *t = &c->n->tables[i], *old = c->old_of[i];
        const m_partition *p = t->partition, *op = old ? old->partition : NULL;
        if (!p || !op || p->by != PART_LIST || !p->expression || !op->expression ||
            strcmp(p->expression, op->expression) == 0)
            continue;
        diff_step *s = d_step(c, gen_printf(c->a, "check that every row of %s fits the new "
                                                  "partition expression", t->name), false);
        d_push(&s->up, DDL_TABLE, d_q(c, t->name), strand_check(c, t, p));
        d_push(&s->down, DDL_TABLE, d_q(c, t->name), strand_check(c, t, op));
    }
}

/* ---- forcing dependants to be rebuilt ------------------------------------- */

/* Foreign keys into a table whose key constraint is rebuilt must go first. */
void force_fks_into(dctx *c, objset *fks, const objset *keys)
{
    for (size_t i = 0; i < keys->old.n; i++) {
        const ddl_stmt *k = &keys->old.items[i];
        if (!obj_changed(keys, k, &keys->new_))
            continue;
        const char *table = gen_strndup(c->a, k->object, (size_t)(strrchr(k->object, '.') - k->object));
        const char *needle = gen_printf(c->a, "REFERENCES %s (", table);
        for (size_t j = 0; j < fks->old.n; j++)
            if (strstr(fks->old.items[j].sql, needle))
                force(c, fks, fks->old.items[j].object);
    }
}



/* Steps that commit on their own (ADD VALUE) go first, in their order. */
void hoist_own_transactions(dctx *c)
{
    diff_result *r = c->r;
    diff_step *sorted = gen_alloc(c->a, (r->n + 1) * sizeof *sorted);
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->n; i++)
            if (r->steps[i].own_transaction == (pass == 0))
                sorted[n++] = r->steps[i];
    if (r->n)
        memcpy(r->steps, sorted, r->n * sizeof *sorted);
}

/* Triggers whose function is dropped and created again. */
void force_function_triggers(dctx *c, objset *tr)
{
    for (size_t i = 0; i < c->n->ntables; i++)
        for (size_t k = 0; k < c->n->tables[i].ntriggers; k++) {
            const m_trigger *t = &c->n->tables[i].triggers[k];
            const m_function *f = m_find_function(c->n, t->function);
            const m_function *of = m_find_function(c->o, t->function);
            if (f && of && strcmp(f->returns, of->returns) != 0)
                force(c, tr, gen_printf(c->a, "%s ON %s", t->name, d_q(c, c->n->tables[i].name)));
        }
}

/* Indexes created on a live table with concurrently: true (ERRATA 9): no
 * transaction, and on a partitioned table ON ONLY the parent, each
 * partition concurrently, then ATTACH. Indexes of new tables are built with
 * the (empty) table as usual. */
void concurrent_indexes(dctx *c)
{
    for (size_t s = 0; s < c->r->n; s++) {
        diff_step *p = &c->r->steps[s];
        if (p->up.n != 1 || p->up.items[0].kind != DDL_INDEX || strncmp(p->what, "create ", 7) != 0)
            continue;
        const m_index *found = NULL;
        const m_table *owner = NULL;
        for (size_t i = 0; i < c->n->ntables && !found; i++)
            for (size_t k = 0; k < c->n->tables[i].nindexes; k++)
                if (strcmp(d_q(c, c->n->tables[i].indexes[k].name), p->up.items[0].object) == 0 &&
                    c->n->tables[i].indexes[k].concurrently && c->old_of[i]) {
                    found = &c->n->tables[i].indexes[k];
                    owner = &c->n->tables[i];
                }
        if (!found)
            continue;
        const char *sql = p->up.items[0].sql, *object = p->up.items[0].object;
        const char *rest = strstr(sql, "INDEX ") + 6;
        const char *head = gen_strndup(c->a, sql, (size_t)(rest - sql));
        c->r->transactional = false;
        c->r->nontransactional_reason = "CREATE INDEX CONCURRENTLY cannot run in a transaction";
        p->up.n = 0;
        if (!owner->partition) {
            d_push(&p->up, DDL_INDEX, object, gen_printf(c->a, "%sCONCURRENTLY %s", head, rest));
            continue;
        }
        const char *on = gen_printf(c->a, " ON %s", d_q(c, owner->name));
        const char *after_on = strstr(rest, on) + strlen(on);
        d_push(&p->up, DDL_INDEX, object,
             gen_printf(c->a, "%s%.*s ON ONLY %s%s", head, (int)(strstr(rest, on) - rest), rest,
                        d_q(c, owner->name), after_on));
        ddl_script parts;
        ddl_script_init(&parts, c->a);
        ddl_create_partitions(c->n, owner, &parts);
        for (size_t i = 0; i < parts.n; i++) {
            /* named as PostgreSQL names the copy of a parent index, so the
             * result equals a database created from scratch */
            const char *part = parts.items[i].object;
            const char *pname = child_index_name(c, strrchr(part, '.') + 1, found);
            d_push(&p->up, DDL_INDEX, d_q(c, pname),
                 gen_printf(c->a, "%sCONCURRENTLY %s ON %s%s", head, pname, part, after_on));
            d_push(&p->up, DDL_INDEX, object,
                 gen_printf(c->a, "ALTER INDEX %s ATTACH PARTITION %s", object, d_q(c, pname)));
        }
    }
}
