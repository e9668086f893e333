/* The scenario suite: one schema edit per tests/migrate/case_<name>/
 * (before.yaml, after.yaml, case.txt), each proven on the server:
 *   - 0001 (before.yaml) goes up and gets rows in every table;
 *   - `migrate new` writes 0002 (with --allow-destructive when case.txt
 *     says "destructive"), which goes up: the catalog equals after.yaml
 *     created from scratch, every table kept by name keeps its row count,
 *     and the case's own checks ("up: SQL => expected") hold;
 *   - down: the catalog equals before.yaml from scratch and every row of
 *     every table is as it was (compared as jsonb, so a column restored at
 *     the end of the table compares equal);
 *   - up again works (backups are dropped by the down).
 * "upfails: text": the up must fail with that text and leave rows and
 * catalog as they were. "nontransactional" / "commit": the header says
 * transactional: false / a "-- +commit" splits the up section. */
#include "migrate_testlib.h"

#define SCHEMA "mig_case"

static const char *const cases[] = {
    "add_table", "drop_table", "rename_table", "add_nullable_column", "add_not_null_default",
    "add_not_null_backfill", "drop_column", "rename_column", "widen_varchar",
    "narrow_varchar_fits", "narrow_varchar_too_long", "integer_to_bigint", "add_enum_value",
    "drop_enum_value", "rename_enum_value", "reorder_enum_values", "add_unique", "drop_unique",
    "add_check", "drop_check", "add_foreign_key", "drop_foreign_key", "add_index", "drop_index",
    "add_partial_index", "concurrent_index_partitioned", "partition_count", "add_view",
    "drop_view", "add_materialized_view", "trigger_function_body", "add_comment",
    "enforce_transitions", "drop_json_columns", "json_to_varchar", "enum_value_default_trigger",
    "enum_value_leaves_dependents", "enum_down_rows_hold_value", "remove_enum_value_dependents",
    "rename_enum_value_views_stay", "retype_column_views_stay", "retype_column_read_by_view",
    "unique_concurrent_resume", "concurrent_partitioned_resume", "partition_count_same_expression",
    "partition_count_would_rename", "partition_count_fixed_width", "repartition_strands_rows",
    "add_same_scope", "serial_to_bigserial",
};

typedef struct case_spec {
    bool destructive, nontransactional, commit;
    char newfails[600], upfails[600], downfails[600];
    char checks[16][600];      /* "SQL => expected" */
    int nchecks;
    char seed[4][600], fix[600], afterup[600], fixdown[600];
    int nseed;
    char uphas[4][300], uplacks[4][300];
    int nuphas, nuplacks;
} case_spec;

/* "key: value" into buf when line starts with key. */
static bool take(const char *line, const char *key, char *buf, size_t size)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0 || strncmp(line + n, ": ", 2) != 0)
        return false;
    snprintf(buf, size, "%s", line + n + 2);
    return true;
}

static void read_case(const char *name, case_spec *s)
{
    memset(s, 0, sizeof *s);
    char path[300], line[600];
    snprintf(path, sizeof path, "tests/migrate/case_%s/case.txt", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "destructive") == 0)
            s->destructive = true;
        else if (strcmp(line, "nontransactional") == 0)
            s->nontransactional = true;
        else if (strcmp(line, "commit") == 0)
            s->commit = true;
        else if (take(line, "up", s->checks[s->nchecks], sizeof s->checks[0]))
            s->nchecks += s->nchecks < 15;
        else if (take(line, "seed", s->seed[s->nseed], sizeof s->seed[0]))
            s->nseed += s->nseed < 3;
        else if (take(line, "uphas", s->uphas[s->nuphas], sizeof s->uphas[0]))
            s->nuphas += s->nuphas < 3;
        else if (take(line, "uplacks", s->uplacks[s->nuplacks], sizeof s->uplacks[0]))
            s->nuplacks += s->nuplacks < 3;
        else if (!take(line, "newfails", s->newfails, sizeof s->newfails) &&
                 !take(line, "upfails", s->upfails, sizeof s->upfails) &&
                 !take(line, "downfails", s->downfails, sizeof s->downfails) &&
                 !take(line, "fix", s->fix, sizeof s->fix) &&
                 !take(line, "afterup", s->afterup, sizeof s->afterup) &&
                 !take(line, "fixdown", s->fixdown, sizeof s->fixdown) && line[0])
            fail_msg("%s: unknown line '%s'", path, line);
    }
    fclose(f);
}

/* Rows in every table: three owners, two pets, chunk rows whose key is the
 * same under % 4 and % 8 (so the partition count case keeps them). */
static void seed(PGconn *c)
{
    tl_exec(c, "SET search_path = " SCHEMA);
    tl_exec(c, "INSERT INTO owners (name, color, qty, note, updated_at) VALUES "
               "('ann', 'red', 3, 'x', '2020-01-01'), ('bob', 'blue', 5, NULL, '2020-01-02'), "
               "('cy', 'green', 7, 'long note', '2020-01-03')");
    tl_exec(c, "INSERT INTO pets (owner_id, name) VALUES (1, 'rex'), (2, 'tom')");
    tl_exec(c, "INSERT INTO chunks (doc, part, body) SELECT 'd' || i, abs(hashtext('d' || i)::bigint) %% 4, "
               "'b' || i FROM generate_series(1, 40) i WHERE abs(hashtext('d' || i)::bigint) %% 8 < 4");
    tl_exec(c, "INSERT INTO samples (small, big, r, f, n, b, u, ts, tsn, d, iv, j, jb, bytes, tv, tags, "
               "colors, js) VALUES (-7, 9007199254740993, 1.5, 2.25, 12345.67, true, "
               "'6f1c2a9e-0d4b-4c1e-9a57-3f0e8b2d7c11', '2024-02-29 12:00:00+00', '2024-02-29 12:00:00', "
               "'2024-02-29', '1 day 02:03:04', '{\"a\": [1, 2], \"b\": \"x\"}', "
               "'{\"k\": {\"deep\": true}}', '\\x00ff10', 'quick brown fox', "
               "ARRAY['a', 'b,c', 'it''s'], ARRAY['red', 'blue']::color[], "
               "ARRAY['{\"x\": 1}', '[]']::json[])");
    tl_exec(c, "INSERT INTO samples (small) VALUES (NULL)");
    tl_exec(c, "RESET search_path");
}

/* "name=count" per table of the schema (partitions are in their parent). */
static char *row_counts(PGconn *c)
{
    return tl_value(c, "SELECT coalesce(string_agg(c.relname || '=' || "
                       "(xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', "
                       "n.nspname, c.relname), false, true, '')))[1]::text, ',' ORDER BY c.relname), '') "
                       "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = '" SCHEMA "' AND c.relkind IN ('r', 'p') AND NOT c.relispartition");
}

/* Every row of every table as sorted jsonb text. */
static char *contents(PGconn *c)
{
    return tl_value(c, "SELECT coalesce(string_agg(c.relname || '=' || "
                       "(xpath('/row/j/text()', query_to_xml(format('SELECT coalesce(jsonb_agg(to_jsonb(t) "
                       "ORDER BY to_jsonb(t)::text), ''[]'') AS j FROM %I.%I t', n.nspname, c.relname), "
                       "false, true, '')))[1]::text, E'\\n' ORDER BY c.relname), '') "
                       "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = '" SCHEMA "' AND c.relkind IN ('r', 'p') AND NOT c.relispartition");
}

/* Tables present before and after keep their row counts. */
static void counts_kept(const char *before, const char *after)
{
    char *copy = strdup(before);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        char name[128];
        snprintf(name, sizeof name, "%.*s=", (int)(strchr(tok, '=') - tok), tok);
        const char *at = strstr(after, name);
        if (at && (at == after || at[-1] == ',') && strncmp(at, tok, strlen(tok)) != 0)
            fail_msg("row count changed: before %s, after %.40s", tok, at);
    }
    free(copy);
}

static void run_checks(PGconn *c, const case_spec *s)
{
    for (int i = 0; i < s->nchecks; i++) {
        char sql[600];
        snprintf(sql, sizeof sql, "%s", s->checks[i]);
        char *arrow = strstr(sql, " => ");
        assert_non_null(arrow);
        *arrow = '\0';
        tl_expect(c, sql, arrow + 4);
    }
}

/* The up section of the new migration as one text. */
static char *up_text(const sc_migration *m)
{
    size_t len = 1;
    for (size_t i = 0; i < m->nup; i++)
        len += strlen(m->up[i].sql) + 1;
    char *t = calloc(1, len);
    for (size_t i = 0; i < m->nup; i++)
        strcat(strcat(t, m->up[i].sql), "\n");
    return t;
}

static void check_up_text(const char *name, const sc_migration *m, const case_spec *s)
{
    char *t = up_text(m);
    for (int i = 0; i < s->nuphas; i++)
        if (!strstr(t, s->uphas[i]))
            fail_msg("%s: the up section lacks '%s':\n%.2000s", name, s->uphas[i], t);
    for (int i = 0; i < s->nuplacks; i++)
        if (strstr(t, s->uplacks[i]))
            fail_msg("%s: the up section has '%s':\n%.2000s", name, s->uplacks[i], t);
    free(t);
}

/* Writes 0002 (with --allow-destructive exactly when the case says so);
 * false when the case expects migrate new to refuse, and it did. */
static bool write_edit(const char *after, const char *dir, const case_spec *s)
{
    tl_captured cap;
    int rc = tl_migrate_try(after, dir, "edit", false, &cap);
    if (s->newfails[0]) {
        assert_int_equal(rc, 1);
        if (!strstr(cap.text, s->newfails))
            fail_msg("expected '%s' from migrate new, got: %s", s->newfails, cap.text);
        return false;
    }
    if (!s->destructive) {
        if (rc != 0)
            fail_msg("migrate new failed: %s", cap.text);
        return true;
    }
    assert_int_equal(rc, 1);
    assert_non_null(strstr(cap.text, "destroys data"));
    tl_migrate_destructive(after, dir, "edit");
    return true;
}

/* A failing up (transactional: nothing changed; not: the error says what
 * stayed applied), then the case's fix, after which up must go through. */
static void failing_up(PGconn *c, const sc_migrations *m, const case_spec *s, const char *name,
                       const char *rows_before, const char *want_before)
{
    sc_migrate_error err = {{0}};
    assert_int_equal(sc_migrate_up(c, m, NULL, NULL, &err), -1);
    if (!strstr(err.message, s->upfails))
        fail_msg("expected '%s' in: %s", s->upfails, err.message);
    if (s->nontransactional)
        return;
    char *rows = contents(c), *dump = tl_dump(c, SCHEMA);
    assert_string_equal(rows, rows_before);
    tl_dumps_equal(dump, want_before, name);
    free(rows);
    free(dump);
}

/* The first down of a case that expects it to refuse: nothing changes,
 * then the case's fix lets the down go through. */
static void failing_down(PGconn *c, const sc_migrations *m, const case_spec *s, const char *name,
                         const char *want_after)
{
    sc_migrate_error err = {{0}};
    assert_int_equal(sc_migrate_down(c, m, 1, NULL, &err), -1);
    if (!strstr(err.message, s->downfails))
        fail_msg("expected '%s' in: %s", s->downfails, err.message);
    char *dump = tl_dump(c, SCHEMA);
    tl_dumps_equal(dump, want_after, name);
    free(dump);
    tl_expect(c, "SELECT max(revision) FROM schemac.migrations", "0002");
    tl_exec(c, "SET search_path = " SCHEMA);
    tl_exec(c, "%s", s->fixdown);
    tl_exec(c, "RESET search_path");
}

static void in_schema(PGconn *c, const char *sql)
{
    tl_exec(c, "SET search_path = " SCHEMA);
    tl_exec(c, "%s", sql);
    tl_exec(c, "RESET search_path");
}

static void run_case(const char *name)
{
    case_spec s;
    read_case(name, &s);
    char before[300], after[300], db[80], fresh[80];
    snprintf(before, sizeof before, "tests/migrate/case_%s/before.yaml", name);
    snprintf(after, sizeof after, "tests/migrate/case_%s/after.yaml", name);
    snprintf(db, sizeof db, "mt_case_%s", name);
    snprintf(fresh, sizeof fresh, "mt_case_%s_fresh", name);
    char *dir = tl_tmpdir();
    tl_migrate_new(before, dir, "before");
    if (!write_edit(after, dir, &s)) {
        tl_rmdir(dir);
        return;
    }
    char *want_before = tl_fresh_dump(before, fresh, SCHEMA);
    char *want_after = tl_fresh_dump(after, fresh, SCHEMA);
    sc_migrations m;
    tl_load(dir, &m);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.items[1].transactional, !s.nontransactional);
    bool split = false;
    for (size_t i = 0; i < m.items[1].nup; i++)
        split = split || m.items[1].up[i].commit_before;
    assert_int_equal(split, s.commit);
    check_up_text(name, &m.items[1], &s);
    PGconn *c = tl_db_create(db);
    tl_up(c, &m, "0001");
    seed(c);
    for (int i = 0; i < s.nseed; i++)
        in_schema(c, s.seed[i]);
    char *rows_before = contents(c), *counts_before = row_counts(c);
    if (s.upfails[0]) {
        failing_up(c, &m, &s, name, rows_before, want_before);
        if (!s.fix[0])
            goto done;
        in_schema(c, s.fix);
        free(rows_before);
        free(counts_before);
        rows_before = contents(c), counts_before = row_counts(c);
    }
    for (int round = 0; round < 2; round++) {
        tl_up(c, &m, NULL);
        char *dump = tl_dump(c, SCHEMA), *counts = row_counts(c);
        tl_dumps_equal(dump, want_after, name);
        counts_kept(counts_before, counts);
        run_checks(c, &s);
        free(dump);
        free(counts);
        if (round == 0 && s.afterup[0])
            in_schema(c, s.afterup);
        if (round == 0 && s.downfails[0])
            failing_down(c, &m, &s, name, want_after);
        tl_down(c, &m, 1);
        dump = tl_dump(c, SCHEMA);
        tl_dumps_equal(dump, want_before, name);
        char *rows = contents(c);
        if (strcmp(rows, rows_before) != 0)
            fail_msg("%s: rows differ after down\n  before: %.600s\n  after:  %.600s", name,
                     rows_before, rows);
        /* a down leaves no trace: backups and their schema are gone */
        tl_expect(c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'schemac_backup'", "0");
        free(rows);
        free(dump);
    }
done:
    free(rows_before);
    free(counts_before);
    sc_migrations_free(&m);
    tl_db_drop(c, db);
    tl_rmdir(dir);
    free(want_before);
    free(want_after);
}

static void scenario(void **state)
{
    run_case(*(const char *const *)*state);
}

int main(void)
{
    enum { N = sizeof cases / sizeof cases[0] };
    struct CMUnitTest tests[N];
    for (size_t i = 0; i < N; i++)
        tests[i] = (struct CMUnitTest){cases[i], scenario, NULL, NULL, (void *)&cases[i]};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
