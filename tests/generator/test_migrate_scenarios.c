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
    "enforce_transitions",
};

typedef struct case_spec {
    bool destructive, nontransactional, commit;
    char upfails[600];
    char checks[16][600];      /* "SQL => expected" */
    int nchecks;
} case_spec;

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
        else if (strncmp(line, "upfails: ", 9) == 0)
            snprintf(s->upfails, sizeof s->upfails, "%s", line + 9);
        else if (strncmp(line, "up: ", 4) == 0 && s->nchecks < 16)
            snprintf(s->checks[s->nchecks++], sizeof s->checks[0], "%s", line + 4);
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

static void run_case(const char *name)
{
    case_spec s;
    read_case(name, &s);
    char before[300], after[300], db[80], fresh[80];
    snprintf(before, sizeof before, "tests/migrate/case_%s/before.yaml", name);
    snprintf(after, sizeof after, "tests/migrate/case_%s/after.yaml", name);
    snprintf(db, sizeof db, "mt_case_%s", name);
    snprintf(fresh, sizeof fresh, "mt_case_%s_fresh", name);
    char *want_before = tl_fresh_dump(before, fresh, SCHEMA);
    char *want_after = tl_fresh_dump(after, fresh, SCHEMA);
    char *dir = tl_tmpdir();
    tl_migrate_new(before, dir, "before");
    if (!s.destructive) { /* the flag is needed exactly when the case says so */
        tl_captured cap;
        assert_int_equal(tl_migrate_try(after, dir, "edit", false, &cap), 0);
    } else {
        tl_captured cap;
        assert_int_equal(tl_migrate_try(after, dir, "edit", false, &cap), 1);
        assert_non_null(strstr(cap.text, "destroys data"));
        tl_migrate_destructive(after, dir, "edit");
    }
    sc_migrations m;
    tl_load(dir, &m);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.items[1].transactional, !s.nontransactional);
    bool split = false;
    for (size_t i = 0; i < m.items[1].nup; i++)
        split = split || m.items[1].up[i].commit_before;
    assert_int_equal(split, s.commit);
    PGconn *c = tl_db_create(db);
    tl_up(c, &m, "0001");
    seed(c);
    char *rows_before = contents(c), *counts_before = row_counts(c);
    if (s.upfails[0]) {
        sc_migrate_error err = {{0}};
        assert_int_equal(sc_migrate_up(c, &m, NULL, NULL, &err), -1);
        if (!strstr(err.message, s.upfails))
            fail_msg("expected '%s' in: %s", s.upfails, err.message);
        char *rows = contents(c), *dump = tl_dump(c, SCHEMA);
        assert_string_equal(rows, rows_before);
        tl_dumps_equal(dump, want_before, name);
        free(rows);
        free(dump);
    }
    for (int round = 0; round < 2 && !s.upfails[0]; round++) {
        tl_up(c, &m, NULL);
        char *dump = tl_dump(c, SCHEMA), *counts = row_counts(c);
        tl_dumps_equal(dump, want_after, name);
        counts_kept(counts_before, counts);
        run_checks(c, &s);
        free(dump);
        free(counts);
        tl_down(c, &m, 1);
        dump = tl_dump(c, SCHEMA);
        tl_dumps_equal(dump, want_before, name);
        char *rows = contents(c);
        if (strcmp(rows, rows_before) != 0)
            fail_msg("%s: rows differ after down\n  before: %.600s\n  after:  %.600s", name,
                     rows_before, rows);
        free(rows);
        free(dump);
    }
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
