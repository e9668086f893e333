/* The lock lint (see lint.h). The statements come from the runner's own
 * splitter (sc_migration_parse), so the lint sees what `migrate up` runs. */
#include "lint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "sc_migrate.h"

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The name after prefix ("ALTER TABLE x ..."), up to a space or '('. */
static const char *name_after(gen_arena *a, const char *sql, const char *prefix)
{
    const char *p = strstr(sql, prefix);
    if (!p)
        return NULL;
    p += strlen(prefix);
    if (starts(p, "ONLY "))
        p += 5;
    if (starts(p, "IF NOT EXISTS "))
        p += 14;
    return gen_strndup(a, p, strcspn(p, " (\n"));
}

typedef struct lctx {
    gen_arena *a;
    const char **created;     /* tables created earlier in the up section */
    size_t ncreated, capcreated;
    const char **added;       /* 'value' literals added since the last commit */
    size_t nadded, capadded;
    const char **rewritten;   /* tables rewritten (ACCESS EXCLUSIVE) since the last commit */
    size_t nrewritten, caprewritten;
    lint_result *r;
    const sc_migration *m;
} lctx;

static bool in_list(const char *const *list, size_t n, const char *table)
{
    for (size_t i = 0; table && i < n; i++)
        if (strcmp(list[i], table) == 0)
            return true;
    return false;
}

/* Created by this migration, or already held under ACCESS EXCLUSIVE by a
 * rewrite earlier in the transaction (flagged there, once): building an
 * index or checking a constraint on it blocks nobody further. */
static bool created_here(const lctx *c, const char *table)
{
    return in_list(c->created, c->ncreated, table) || in_list(c->rewritten, c->nrewritten, table);
}

/* The reason of a "-- lint-waiver: rule: reason" among the comment lines
 * right above line (1-based) of text, or NULL. */
static const char *waiver_for(gen_arena *a, const char *text, int line, const char *rule)
{
    const char *at = text;
    for (int n = 1; n < line && at; n++) {
        at = strchr(at, '\n');
        at = at ? at + 1 : NULL;
    }
    if (!at)
        return NULL;
    const char *tag = gen_printf(a, "-- lint-waiver: %s: ", rule);
    while (at > text) {
        const char *prev = at - 1; /* the '\n' ending the line above */
        while (prev > text && prev[-1] != '\n')
            prev--;
        if (!starts(prev, "-- "))
            break;
        if (starts(prev, tag))
            return gen_strndup(a, prev + strlen(tag), strcspn(prev + strlen(tag), "\n"));
        at = prev;
    }
    return NULL;
}

static void finding(lctx *c, int section, size_t index, const sc_migration_stmt *st,
                    const char *rule, const char *message)
{
    lint_result *r = c->r;
    gen_grow(c->a, (void **)&r->items, &r->cap, r->n + 1, sizeof *r->items);
    const char *reason = waiver_for(c->a, c->m->text, st->line, rule);
    r->items[r->n++] = (lint_finding){section, index, st->line, rule, message, st->sql,
                                      reason != NULL, reason};
    if (!reason)
        r->nviolations++;
}

static void check_timeouts(lctx *c, int section, const sc_migration_stmt *st, size_t n)
{
    bool lock = false, stmt = false;
    for (size_t i = 0; i < n && i < 2; i++) {
        lock = lock || starts(st[i].sql, "SET lock_timeout");
        stmt = stmt || starts(st[i].sql, "SET statement_timeout");
    }
    if (n && !(lock && stmt))
        finding(c, section, 0, &st[0], "timeouts",
                "the section does not start with SET lock_timeout and SET statement_timeout: a "
                "statement queued behind a long transaction would block every query on the table");
}

static void remember_added_value(lctx *c, const char *sql)
{
    const char *v = strstr(sql, " ADD VALUE ");
    if (!v || !starts(sql, "ALTER TYPE "))
        return;
    v = strchr(v, '\'');
    const char *end = v ? strchr(v + 1, '\'') : NULL;
    if (!end)
        return;
    gen_grow(c->a, (void **)&c->added, &c->capadded, c->nadded + 1, sizeof *c->added);
    c->added[c->nadded++] = gen_strndup(c->a, v, (size_t)(end + 1 - v));
}

static void check_statement(lctx *c, size_t i, const sc_migration_stmt *st)
{
    const char *sql = st->sql;
    gen_arena *a = c->a;
    const char *creates = starts(sql, "CREATE TABLE ")               ? "CREATE TABLE "
                          : starts(sql, "CREATE MATERIALIZED VIEW ") ? "CREATE MATERIALIZED VIEW "
                                                                     : NULL;
    if (creates) {
        gen_grow(a, (void **)&c->created, &c->capcreated, c->ncreated + 1, sizeof *c->created);
        c->created[c->ncreated++] = name_after(a, sql, creates);
        return;
    }
    if (st->commit_before || !c->m->transactional)
        c->nadded = c->nrewritten = 0;
    for (size_t k = 0; k < c->nadded && c->m->transactional; k++)
        if (strstr(sql, c->added[k]) && !starts(sql, "ALTER TYPE "))
            finding(c, 0, i, st, "add-value-used",
                    gen_printf(a, "enum value %s is used in the transaction that added it "
                                  "(PostgreSQL: unsafe use of new value); commit first", c->added[k]));
    remember_added_value(c, sql);
    if ((starts(sql, "CREATE INDEX ") || starts(sql, "CREATE UNIQUE INDEX ")) &&
        !strstr(sql, " CONCURRENTLY ") && !strstr(sql, " ON ONLY ")) {
        const char *table = name_after(a, sql, " ON ");
        if (!created_here(c, table))
            finding(c, 0, i, st, "index-not-concurrent",
                    gen_printf(a, "index built on existing table %s without CONCURRENTLY blocks "
                                  "its writes for the whole build; mark the index 'concurrently: true'",
                               table));
        return;
    }
    if (!starts(sql, "ALTER TABLE "))
        return;
    const char *table = name_after(a, sql, "ALTER TABLE ");
    if (created_here(c, table))
        return;
    const char *add = strstr(sql, " ADD CONSTRAINT ");
    if (add) {
        const char *def = add + strlen(" ADD CONSTRAINT ");
        def += strcspn(def, " ");
        if (starts(def, " UNIQUE (") || starts(def, " PRIMARY KEY ("))
            finding(c, 0, i, st, "index-not-concurrent",
                    gen_printf(a, "a unique or primary key constraint on existing table %s builds "
                                  "its index while blocking writes", table));
        else if ((starts(def, " FOREIGN KEY (") || starts(def, " CHECK (")) &&
                 !strstr(sql, " NOT VALID"))
            finding(c, 0, i, st, "constraint-not-valid",
                    gen_printf(a, "a foreign key or check added to existing table %s without NOT "
                                  "VALID scans it while blocking writes; add NOT VALID, then "
                                  "VALIDATE CONSTRAINT", table));
    }
    if (strstr(sql, " ADD COLUMN ") && strstr(sql, " NOT NULL") && !strstr(sql, " DEFAULT ") &&
        !strstr(sql, " GENERATED ") && !strstr(sql, "serial NOT NULL"))
        finding(c, 0, i, st, "not-null-no-default",
                gen_printf(a, "a NOT NULL column without a default added to existing table %s "
                              "fails as soon as the table has a row", table));
    if (strstr(sql, " ALTER COLUMN ") && strstr(sql, " TYPE ") && strstr(sql, " USING ")) {
        finding(c, 0, i, st, "type-rewrite",
                gen_printf(a, "this type change rewrites table %s under ACCESS EXCLUSIVE (no "
                              "reads or writes until it ends)", table));
        gen_grow(a, (void **)&c->rewritten, &c->caprewritten, c->nrewritten + 1, sizeof *c->rewritten);
        c->rewritten[c->nrewritten++] = table;
    }
}

int lint_migration(gen_arena *a, const char *path, const char *text, gen_diag *d,
                   lint_result *out)
{
    memset(out, 0, sizeof *out);
    sc_migration m;
    sc_migrate_error err = {{0}};
    if (sc_migration_parse(path, text, &m, &err)) {
        gen_error(d, (gen_loc){path, 0, 0}, "%s", err.message);
        return -1;
    }
    lctx c = {.a = a, .r = out, .m = &m};
    check_timeouts(&c, 0, m.up, m.nup);
    check_timeouts(&c, 1, m.down, m.ndown);
    for (size_t i = 0; i < m.nup; i++)
        check_statement(&c, i, &m.up[i]);
    /* findings point into m: keep copies in the arena */
    for (size_t i = 0; i < out->n; i++)
        out->items[i].sql = gen_strdup(a, out->items[i].sql);
    sc_migration_free(&m);
    return 0;
}

void lint_report(const lint_result *r, const char *path, gen_diag *d)
{
    for (size_t i = 0; i < r->n; i++) {
        const lint_finding *f = &r->items[i];
        if (!f->waived)
            gen_error(d, (gen_loc){path, f->line, 1},
                      "lock lint [%s]: %s (waive it in the YAML: lint_waivers: [{ rule: %s, "
                      "object: <name>, reason: \"...\" }])",
                      f->rule, f->message, f->rule);
    }
}

/* ---- the plan's lock column ------------------------------------------------ */

typedef struct lock_rule {
    const char *prefix, *contains, *lock;
    int strength;
} lock_rule;

/* First match wins; strength orders PostgreSQL's table lock modes. */
static const lock_rule lock_rules[] = {
    {"SET ", NULL, "none", 0},
    {"DO ", NULL, "ACCESS SHARE (reads to verify)", 1},
    {"CREATE SCHEMA", NULL, "none", 0},
    {"CREATE TABLE ", " AS ", "ACCESS SHARE (copies the rows)", 1},
    {"CREATE TABLE ", " PARTITION OF ", "ACCESS EXCLUSIVE on the parent (brief: new partition)", 7},
    {"CREATE TABLE ", NULL, "none (new table)", 0},
    {"CREATE TYPE ", NULL, "none (new type)", 0},
    {"CREATE FUNCTION ", NULL, "none (new function)", 0},
    {"CREATE OR REPLACE FUNCTION ", NULL, "none (function replaced)", 0},
    {"CREATE VIEW ", NULL, "none (new view)", 0},
    {"CREATE MATERIALIZED VIEW ", NULL, "ACCESS SHARE (reads what it selects)", 1},
    {"CREATE INDEX ", " CONCURRENTLY ", "SHARE UPDATE EXCLUSIVE (reads and writes go on)", 4},
    {"CREATE UNIQUE INDEX ", " CONCURRENTLY ", "SHARE UPDATE EXCLUSIVE (reads and writes go on)", 4},
    {"CREATE INDEX ", " ON ONLY ", "SHARE on the parent only (no rows)", 5},
    {"CREATE UNIQUE INDEX ", " ON ONLY ", "SHARE on the parent only (no rows)", 5},
    {"CREATE INDEX ", NULL, "SHARE (blocks writes while it builds)", 5},
    {"CREATE UNIQUE INDEX ", NULL, "SHARE (blocks writes while it builds)", 5},
    {"ALTER INDEX ", " ATTACH PARTITION ", "SHARE UPDATE EXCLUSIVE", 4},
    {"CREATE TRIGGER ", NULL, "SHARE ROW EXCLUSIVE (blocks writes, briefly)", 6},
    {"UPDATE ", NULL, "ROW EXCLUSIVE (writes every row it matches)", 3},
    {"INSERT ", NULL, "ROW EXCLUSIVE", 3},
    {"SELECT ", NULL, "none", 0},
    {"COMMENT ", NULL, "SHARE UPDATE EXCLUSIVE (brief)", 4},
    {"ALTER TYPE ", NULL, "ACCESS EXCLUSIVE on the type (brief)", 2},
    {"ALTER TABLE ", " VALIDATE CONSTRAINT ", "SHARE UPDATE EXCLUSIVE (scans; reads and writes go on)", 4},
    {"ALTER TABLE ", " NOT VALID", "SHARE ROW EXCLUSIVE (brief, no scan)", 6},
    {"ALTER TABLE ", " USING ", "ACCESS EXCLUSIVE, rewrites the table", 8},
    {"ALTER TABLE ", " SET NOT NULL", "ACCESS EXCLUSIVE, scans the table", 8},
    {"ALTER TABLE ", " ADD CONSTRAINT ", "ACCESS EXCLUSIVE / SHARE ROW EXCLUSIVE, scans the table", 8},
    {"ALTER TABLE ", NULL, "ACCESS EXCLUSIVE (brief: catalog only)", 7},
    {"ALTER SEQUENCE ", NULL, "ACCESS EXCLUSIVE on the sequence (brief)", 2},
    {"DROP ", NULL, "ACCESS EXCLUSIVE (brief)", 7},
    {"REFRESH ", NULL, "EXCLUSIVE on the view", 7},
};

const char *lint_lock_of(const char *sql, int *strength)
{
    for (size_t i = 0; i < sizeof lock_rules / sizeof lock_rules[0]; i++) {
        const lock_rule *r = &lock_rules[i];
        if (starts(sql, r->prefix) && (!r->contains || strstr(sql, r->contains))) {
            *strength = r->strength;
            return r->lock;
        }
    }
    *strength = 7;
    return "ACCESS EXCLUSIVE";
}
