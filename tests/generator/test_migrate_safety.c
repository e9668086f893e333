/* The safety rules of `migrate new` and the lock lint of `migrate check`:
 * - a destructive edit without --allow-destructive is refused, naming the
 *   object (table, column, narrowing type, enum values);
 * - a drop + add that looks like a rename (column or table) is refused;
 * - a NOT NULL column without default or backfill is refused; so is an enum
 *   value removed without a mapping;
 * - a lint violation without a waiver makes `migrate new` write nothing; a
 *   waiver in the YAML is written into the file with its reason; a
 *   committed file whose waiver was removed fails `migrate check` at the
 *   statement's line; every section starts with the timeouts (overridable);
 * - the plan names lock, rewrite, transaction and hazards per step;
 * - unknown lint rules and value-map keys are rejected by the parser. */
#include "migrate_testlib.h"
#include "output.h"
#include "lint.h"
#include "schemac_gen.h"

#define BASE "tests/migrate/case_add_table/before.yaml"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* before.yaml with one edit (old -> new, each once), as a file in dir. */
static char *edited(const char *dir, const char *name, const char *old, const char *new_text,
                    const char *appended)
{
    char *base = slurp(BASE);
    char *at = strstr(base, old);
    assert_non_null(at);
    size_t cap = strlen(base) + strlen(new_text) + strlen(appended) + 1;
    char *out = malloc(cap);
    snprintf(out, cap, "%.*s%s%s%s", (int)(at - base), base, new_text, at + strlen(old), appended);
    char *path = malloc(600);
    snprintf(path, 600, "%s/%s.yaml", dir, name);
    spit(path, out);
    free(base);
    free(out);
    return path;
}

/* Expects `migrate new` on yaml (after BASE as 0001) to fail with every
 * needle in its diagnostics, and to write nothing. */
static void refused(const char *yaml, bool allow, const char *const *needles)
{
    char *mig = tl_tmpdir();
    tl_migrate_new(BASE, mig, "base");
    tl_captured cap;
    assert_int_equal(tl_migrate_try(yaml, mig, "edit", allow, &cap), 1);
    for (const char *const *n = needles; *n; n++)
        if (!strstr(cap.text, *n))
            fail_msg("expected '%s' in:\n%s", *n, cap.text);
    char path[700];
    snprintf(path, sizeof path, "%s/0002_edit.sql", mig);
    assert_int_not_equal(access(path, F_OK), 0);
    tl_rmdir(mig);
}

#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void destructive_edits_are_refused(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    refused("tests/migrate/case_drop_table/after.yaml", false,
            NEEDLES("after.yaml: error: dropping table 'pets' destroys data", "--allow-destructive"));
    refused("tests/migrate/case_drop_column/after.yaml", false,
            NEEDLES("dropping column 'owners.note' destroys data"));
    refused("tests/migrate/case_narrow_varchar_fits/after.yaml", false,
            NEEDLES("changing the type of column 'owners.name' from varchar(40) to varchar(10) destroys data"));
    refused("tests/migrate/case_drop_enum_value/after.yaml", false,
            NEEDLES("removing values of enum 'color' destroys data"));
    /* a removal needs its mapping even with the flag */
    char *y = edited(dir, "unmapped", "    values: [red, green, blue]", "    values: [red, blue]", "");
    refused(y, true, NEEDLES("value 'green' of enum 'color' is removed: say what the rows holding it "
                             "become, e.g. 'removed: { green: red }'"));
    free(y);
    tl_rmdir(dir);
}

static void ambiguous_renames_are_refused(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    char *col = edited(dir, "col", "      note:       { type: text, nullable: true }\n",
                       "      remark:     { type: text, nullable: true }\n", "");
    refused(col, false,
            NEEDLES(":27:7: error: column 'owners.remark' is added and column 'note' of the same type (text) "
                    "is dropped: if it is a rename, say 'renamed_from: note' on 'remark'"));
    char *tab = edited(dir, "tab", "  pets:\n", "  animals:\n", "");
    refused(tab, false, NEEDLES("table 'animals' is added and table 'pets' with the same column types "
                                "is dropped: if it is a rename, say 'renamed_from: pets'"));
    /* with the flag it is what it says: a drop (backed up) and an add */
    char *mig = tl_tmpdir();
    tl_migrate_new(BASE, mig, "base");
    assert_int_equal(tl_migrate_try(col, mig, "edit", true, NULL), 0);
    tl_rmdir(mig);
    free(col);
    free(tab);
    tl_rmdir(dir);
}

static void not_null_needs_default_or_backfill(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    char *y = edited(dir, "nn", "      note:       { type: text, nullable: true }\n",
                     "      note:       { type: text, nullable: true }\n      score:      { type: integer }\n", "");
    refused(y, false, NEEDLES("error: column 'owners.score' is added NOT NULL to a table that may have "
                              "rows, with no value for them: give it a 'default', a 'backfill'"));
    free(y);
    tl_rmdir(dir);
}

static int check_dir(const char *yaml, const char *out, tl_captured *cap)
{
    memset(cap, 0, sizeof *cap);
    gen_migrate_options o = {.schema_path = yaml, .out_dir = out};
    gen_diag d;
    gen_diag_init(&d, tl_capture, cap);
    int rc = gen_migrate_check(&o, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return rc;
}

/* Removes the first line starting with prefix and fixes the checksum, as a
 * careless hand edit would. */
static void drop_line_keep_checksum(const char *path, const char *prefix)
{
    char *text = slurp(path);
    char *line = strstr(text, prefix);
    assert_non_null(line);
    char *end = strchr(line, '\n') + 1;
    memmove(line, end, strlen(end) + 1);
    char *body = strstr(text, "\n-- +up\n") + 1;
    char sum[40];
    snprintf(sum, sizeof sum, "fnv1a64:%016llx", gen_hash64(body, strlen(body)));
    char *old = strstr(text, "fnv1a64:");
    memcpy(old, sum, strlen(sum));
    spit(path, text);
    free(text);
}

static void lint_waivers_and_migrate_check(void **state)
{
    (void)state;
    char *dir = tl_tmpdir();
    const char *ix = "      - { name: ix_owners_qty, columns: [qty] }\n";
    const char *ix2 = "      - { name: ix_owners_qty, columns: [qty] }\n"
                      "      - { name: ix_owners_name, columns: [name] }\n";
    char *bare = edited(dir, "bare", ix, ix2, "");
    refused(bare, false, NEEDLES("lock lint [index-not-concurrent]: index built on existing table "
                                 "mig_case.owners without CONCURRENTLY",
                                 "nothing was written"));
    char *waived = edited(dir, "waived", ix, ix2,
                          "\nlint_waivers:\n  - { rule: index-not-concurrent, object: ix_owners_name, "
                          "reason: \"owners holds ten rows\" }\n");
    char out[600], mig[700], path[800];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(mig, sizeof mig, "%s/migrations", out);
    gen_options go = {.schema_path = waived, .out_dir = out};
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    assert_int_equal(gen_generate(&go, &d), 0);
    gen_diag_release(&d);
    tl_migrate_new(BASE, mig, "base");
    gen_migrate_options o = {.schema_path = waived, .out_dir = "generated", .migrations_dir = mig,
                             .message = "name index", .lock_timeout = "2s", .statement_timeout = "1h"};
    gen_diag_init(&d, NULL, NULL);
    assert_int_equal(gen_migrate_new(&o, &d, NULL), 0);
    gen_diag_release(&d);
    snprintf(path, sizeof path, "%s/0002_name_index.sql", mig);
    char *text = slurp(path);
    assert_non_null(strstr(text, "-- lint-waiver: index-not-concurrent: owners holds ten rows\n"
                                 "CREATE INDEX ix_owners_name ON mig_case.owners"));
    assert_non_null(strstr(text, "-- +up\n\nSET lock_timeout = '2s';\n\nSET statement_timeout = '1h';\n"));
    assert_non_null(strstr(text, "-- +down\n\nSET lock_timeout = '2s';\n\nSET statement_timeout = '1h';\n"));
    /* the plan, before the body */
    char *plan = strstr(text, "-- Plan (read this first)");
    assert_non_null(plan);
    assert_true(plan < strstr(text, "\n-- +up\n"));
    assert_non_null(strstr(plan, "--   1. create index mig_case.ix_owners_name\n"
                                 "--      lock: SHARE (blocks writes while it builds); rewrites the "
                                 "table: no; transaction: the migration's\n"
                                 "--      hazard: lint index-not-concurrent waived: owners holds ten rows\n"));
    free(text);
    tl_captured cap;
    if (check_dir(waived, out, &cap))
        fail_msg("%s", cap.text);
    drop_line_keep_checksum(path, "-- lint-waiver: ");
    assert_int_equal(check_dir(waived, out, &cap), 1);
    assert_non_null(strstr(cap.text, "0002_name_index.sql:"));
    assert_non_null(strstr(cap.text, ":1: error: lock lint [index-not-concurrent]"));
    assert_null(strstr(cap.text, "checksum"));
    drop_line_keep_checksum(path, "SET lock_timeout");
    assert_int_equal(check_dir(waived, out, &cap), 1);
    assert_non_null(strstr(cap.text, "lock lint [timeouts]"));
    free(bare);
    free(waived);
    tl_rmdir(dir);
}

static void plan_of_destructive_and_enum_steps(void **state)
{
    (void)state;
    char *mig = tl_tmpdir();
    tl_migrate_new("tests/migrate/case_add_enum_value/before.yaml", mig, "base");
    tl_migrate_new("tests/migrate/case_add_enum_value/after.yaml", mig, "yellow");
    char path[700];
    snprintf(path, sizeof path, "%s/0002_yellow.sql", mig);
    char *text = slurp(path);
    assert_non_null(strstr(text, "--   1. add values to enum color\n"
                                 "--      lock: ACCESS EXCLUSIVE on the type (brief); rewrites the table: "
                                 "no; transaction: its own, committed before the next steps\n"));
    assert_non_null(strstr(text, "ALTER TYPE mig_case.color ADD VALUE IF NOT EXISTS 'yellow' AFTER 'blue';\n\n"
                                 "-- +commit\n"));
    /* without the commit the lint sees the new value used in its transaction */
    char *commit = strstr(text, "-- +commit\n");
    memmove(commit, commit + 11, strlen(commit + 11) + 1);
    gen_arena *a = gen_arena_new();
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    lint_result lint;
    assert_int_equal(lint_migration(a, "x.sql", text, &d, &lint), 0);
    gen_diag_release(&d);
    assert_int_equal(lint.nviolations, 1);
    assert_string_equal(lint.items[0].rule, "add-value-used");
    gen_arena_free(a);
    free(text);
    tl_rmdir(mig);
    mig = tl_tmpdir();
    tl_migrate_new("tests/migrate/case_drop_table/before.yaml", mig, "base");
    tl_migrate_destructive("tests/migrate/case_drop_table/after.yaml", mig, "drop pets");
    snprintf(path, sizeof path, "%s/0002_drop_pets.sql", mig);
    text = slurp(path);
    assert_non_null(strstr(text, "drop table pets (destroys data)\n"));
    assert_non_null(strstr(text, "--      hazard: destroys data; copied first to schema schemac_backup"));
    assert_non_null(strstr(text, "CREATE TABLE schemac_backup.r0002_pets AS SELECT id, owner_id, vet_id, name "
                                 "FROM mig_case.pets;\n"));
    assert_non_null(strstr(text, "RAISE EXCEPTION 'backup schemac_backup.r0002_pets is incomplete'"));
    assert_non_null(strstr(text, "INSERT INTO mig_case.pets (id, owner_id, vet_id, name) SELECT id, owner_id, "
                                 "vet_id, name FROM schemac_backup.r0002_pets;\n"));
    free(text);
    tl_rmdir(mig);
}

static void parser_rejects_unknown_rules_and_values(void **state)
{
    (void)state;
    const char *yaml =
        "schema: s\nprefix: p\nenums:\n  e:\n    values: [a, b]\n    removed: { c: z }\n"
        "    renamed_values: { y: q }\ntables:\n  t:\n    columns:\n      id: { type: integer }\n"
        "lint_waivers:\n  - { rule: index-not-concurent, object: t, reason: x }\n"
        "  - { rule: type-rewrite, object: t }\n";
    gen_arena *a = gen_arena_new();
    tl_captured cap;
    memset(&cap, 0, sizeof cap);
    gen_diag d;
    gen_diag_init(&d, tl_capture, &cap);
    assert_null(gen_schema_parse("w.yaml", yaml, strlen(yaml), a, &d));
    gen_diag_flush(&d);
    gen_diag_release(&d);
    const char *want[] = {
        "w.yaml:6:19: error: 'removed' of enum 'e' names 'z', which is not a value of it",
        "w.yaml:7:23: error: 'renamed_values' of enum 'e' names 'y', which is not a value of it",
        "w.yaml:13:13: error: unknown lint rule 'index-not-concurent' (did you mean 'index-not-concurrent'?)",
        "error: a lint waiver needs 'reason'",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(cap.text, want[i]))
            fail_msg("expected '%s' in:\n%s", want[i], cap.text);
    gen_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(destructive_edits_are_refused),
        cmocka_unit_test(ambiguous_renames_are_refused),
        cmocka_unit_test(not_null_needs_default_or_backfill),
        cmocka_unit_test(lint_waivers_and_migrate_check),
        cmocka_unit_test(plan_of_destructive_and_enum_steps),
        cmocka_unit_test(parser_rejects_unknown_rules_and_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
