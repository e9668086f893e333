/* A forked chain fixed by `schemac migrate rebase` (tests/migrate/rebase):
 * two branches start from one 0001; theirs adds items.note (0002), mine adds
 * owners.email and tags and drops owners.legacy (0002, --allow-destructive);
 * the merge brings both 0002s into one directory.
 * - `migrate new`, `migrate check`, the runner and a rebase without a name
 *   refuse the fork, naming both files;
 * - rebase keeps their 0002 byte for byte and writes 0003 from the merged
 *   YAML against their snapshot: `migrate check` passes, a database that had
 *   their 0002 goes up to the catalog of the merged YAML created from
 *   scratch, down restores their schema and my dropped column's rows;
 * - rebase refuses a merge that lost their column (it would drop it under
 *   the --allow-destructive mine had) and changes nothing;
 * - two of mine (0002, 0003) against their 0002: naming the first is enough,
 *   both collapse into one 0003;
 * - a hand-renamed fork (their 0002, my 0002 renamed 0003) is refused by
 *   check and runner, since 0003 says it followed another body. */
#include <dirent.h>
#include <sys/stat.h>

#include "migrate_testlib.h"
#include "output.h"
#include "schemac_gen.h"

#define Y(name) "tests/migrate/rebase/" name ".yaml"
#define THEIRS "0002_note_on_items"
#define MINE "0002_owner_email_and_tags"

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    assert_int_equal(system(cmd), 0);
}

/* The names in dir, sorted, one per line (malloc'd). */
static char *listing(const char *dir)
{
    char cmd[600], *out = calloc(1, 4096);
    snprintf(cmd, sizeof cmd, "LC_ALL=C ls '%s'", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, 4095, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return out;
}

static char *slurp(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    char *text = calloc(1, 1 << 18);
    size_t n = fread(text, 1, (1 << 18) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* base/0001; theirs = base + their 0002 (returned, applied to db when db is
 * set, before the merge); mine = base + my 0002 [+ 0003], copied in. */
static char *forked_chain(PGconn *db, bool mine_twice)
{
    char *base = tl_tmpdir(), *mine = tl_tmpdir(), *theirs = tl_tmpdir();
    tl_migrate_new(Y("base"), base, "initial");
    sh("cp '%s'/* '%s'", base, mine);
    sh("cp '%s'/* '%s'", base, theirs);
    tl_migrate_new(Y("theirs"), theirs, "note on items");
    if (mine_twice) {
        tl_migrate_new(Y("mine_first"), mine, "owner email");
        tl_migrate_destructive(Y("mine"), mine, "tags and no legacy");
    } else {
        tl_migrate_destructive(Y("mine"), mine, "owner email and tags");
    }
    if (db) {
        sc_migrations m;
        tl_load(theirs, &m);
        tl_up(db, &m, NULL);
        sc_migrations_free(&m);
    }
    sh("cp '%s'/0002_* '%s'", mine, theirs); /* the merge */
    if (mine_twice)
        sh("cp '%s'/0003_* '%s'", mine, theirs);
    tl_rmdir(base);
    tl_rmdir(mine);
    return theirs;
}

static int rebase(const char *yaml, const char *dir, const char *mine, tl_captured *cap)
{
    gen_migrate_options o = {.schema_path = yaml, .out_dir = "generated", .migrations_dir = dir};
    gen_diag d;
    memset(cap, 0, sizeof *cap);
    gen_diag_init(&d, tl_capture, cap);
    int rc = gen_migrate_rebase(&o, mine, &d, NULL);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return rc;
}

/* `schemac migrate check` of dir, with a generated/ written from yaml. */
static int check(const char *yaml, const char *dir, tl_captured *cap)
{
    char *out = tl_tmpdir();
    gen_diag d;
    memset(cap, 0, sizeof *cap);
    gen_diag_init(&d, tl_capture, cap);
    gen_options go = {.schema_path = yaml, .out_dir = out};
    assert_int_equal(gen_generate(&go, &d), 0);
    gen_migrate_options o = {.schema_path = yaml, .out_dir = out, .migrations_dir = dir};
    int rc = gen_migrate_check(&o, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    tl_rmdir(out);
    return rc;
}

static void has(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("expected '%s' in:\n%s", part, text);
}

static void fork_is_refused_naming_both(void **state)
{
    (void)state;
    char *dir = forked_chain(NULL, false);
    char *before = listing(dir);
    tl_captured cap;
    assert_int_equal(tl_migrate_try(Y("merged"), dir, "more", false, &cap), 1);
    has(cap.text, THEIRS ".sql and " MINE ".sql both have revision 0002");
    has(cap.text, "schemac migrate rebase YOURS");
    has(cap.text, "nothing was written");
    char *after = listing(dir);
    assert_string_equal(after, before); /* no 0003 against either snapshot */
    free(after);

    assert_int_equal(check(Y("merged"), dir, &cap), 1);
    has(cap.text, "the chain forks");
    assert_null(strstr(cap.text, "out of sequence"));

    sc_migrations m;
    sc_migrate_error err = {{0}};
    assert_int_equal(sc_migrations_load(dir, &m, &err), -1);
    has(err.message, MINE ".sql both have revision 0002");
    has(err.message, "schemac migrate rebase");

    assert_int_equal(rebase(Y("merged"), dir, NULL, &cap), 1);
    has(cap.text, THEIRS ".sql and " MINE ".sql both have revision 0002");
    assert_int_equal(rebase(Y("merged"), dir, "no_such", &cap), 1);
    has(cap.text, "'no_such' names no migration");
    assert_int_equal(rebase(Y("merged"), dir, "0002", &cap), 1); /* a revision is not a name */
    has(cap.text, "'0002' names no migration");
    after = listing(dir);
    assert_string_equal(after, before);
    free(after);
    free(before);
    tl_rmdir(dir);
}

static void rebase_moves_mine_after_theirs(void **state)
{
    (void)state;
    PGconn *c = tl_db_create("mr_rebase");
    char *dir = forked_chain(c, false);
    tl_exec(c, "INSERT INTO mig_rebase.owners (name, legacy) VALUES ('ann', 'old value')");
    char *theirs = slurp(dir, THEIRS ".sql");
    tl_captured cap;
    if (rebase(Y("merged"), dir, MINE ".sql", &cap))
        fail_msg("rebase: %s", cap.text);
    char *files = listing(dir);
    assert_string_equal(files, "0001_initial.snapshot.json\n0001_initial.sql\n"
                               THEIRS ".snapshot.json\n" THEIRS ".sql\n"
                               "0003_owner_email_and_tags.snapshot.json\n"
                               "0003_owner_email_and_tags.sql\n");
    free(files);
    char *now = slurp(dir, THEIRS ".sql");
    assert_string_equal(now, theirs); /* theirs is never rewritten */
    char *moved = slurp(dir, "0003_owner_email_and_tags.sql");
    has(moved, "-- down_revision: 0002\n");
    has(moved, "-- message:       owner email and tags\n");
    has(moved, "it replaces " MINE ".sql");
    has(moved, "schemac_backup.r0003_owners_legacy"); /* backups named for 0003 */
    assert_null(strstr(moved, "ADD COLUMN note")); /* theirs is not redone */
    if (check(Y("merged"), dir, &cap))
        fail_msg("migrate check: %s", cap.text);

    sc_migrations m;
    tl_load(dir, &m);
    tl_up(c, &m, NULL);
    char *dump = tl_dump(c, "mig_rebase");
    char *want = tl_fresh_dump(Y("merged"), "mr_rebase_fresh", "mig_rebase");
    tl_dumps_equal(dump, want, "their 0002 + rebased 0003 vs the merged YAML");
    free(dump);
    free(want);
    tl_down(c, &m, 1);
    dump = tl_dump(c, "mig_rebase");
    want = tl_fresh_dump(Y("theirs"), "mr_rebase_fresh", "mig_rebase");
    tl_dumps_equal(dump, want, "down of the rebased 0003 vs their YAML");
    tl_expect(c, "SELECT legacy FROM mig_rebase.owners WHERE name = 'ann'", "old value");
    tl_up(c, &m, NULL);
    tl_expect(c, "SELECT max(revision) FROM schemac.migrations", "0003");
    free(dump);
    free(want);
    free(moved);
    free(now);
    free(theirs);
    sc_migrations_free(&m);
    tl_db_drop(c, "mr_rebase");
    tl_rmdir(dir);
}

static void rebase_refuses_a_merge_that_lost_theirs(void **state)
{
    (void)state;
    char *dir = forked_chain(NULL, false);
    char *before = listing(dir);
    tl_captured cap;
    assert_int_equal(rebase(Y("lost"), dir, MINE, &cap), 1);
    has(cap.text, "the YAML would drop column items.note, which your migration did not");
    has(cap.text, "did the merge lose one of their changes?");
    char *after = listing(dir);
    assert_string_equal(after, before);
    free(after);
    free(before);
    tl_rmdir(dir);
}

static void two_of_mine_collapse_into_one(void **state)
{
    (void)state;
    PGconn *c = tl_db_create("mr_collapse");
    char *dir = forked_chain(c, true);
    tl_captured cap;
    /* naming the first is enough: 0003 says it was diffed after it */
    if (rebase(Y("merged"), dir, "owner_email", &cap))
        fail_msg("rebase: %s", cap.text);
    char *files = listing(dir);
    assert_string_equal(files, "0001_initial.snapshot.json\n0001_initial.sql\n"
                               THEIRS ".snapshot.json\n" THEIRS ".sql\n"
                               "0003_owner_email_tags_and_no_legacy.snapshot.json\n"
                               "0003_owner_email_tags_and_no_legacy.sql\n");
    free(files);
    char *moved = slurp(dir, "0003_owner_email_tags_and_no_legacy.sql");
    has(moved, "-- message:       owner email; tags and no legacy\n");
    has(moved, "it replaces 0002_owner_email.sql, 0003_tags_and_no_legacy.sql");
    free(moved);
    if (check(Y("merged"), dir, &cap))
        fail_msg("migrate check: %s", cap.text);
    sc_migrations m;
    tl_load(dir, &m);
    tl_up(c, &m, NULL);
    char *dump = tl_dump(c, "mig_rebase");
    char *want = tl_fresh_dump(Y("merged"), "mr_collapse_fresh", "mig_rebase");
    tl_dumps_equal(dump, want, "collapsed 0003 vs the merged YAML");
    free(dump);
    free(want);
    sc_migrations_free(&m);
    tl_db_drop(c, "mr_collapse");
    tl_rmdir(dir);
}

static void hand_renamed_fork_does_not_follow(void **state)
{
    (void)state;
    char *dir = forked_chain(NULL, false);
    /* what the issue describes people doing today: rename mine to 0003 and
     * fix its header; its down_checksum still names the base 0001's body */
    sh("cd '%s' && sed -e 's/^-- revision:      0002/-- revision:      0003/' "
       "-e 's/^-- down_revision: 0001/-- down_revision: 0002/' " MINE ".sql > "
       "0003_owner_email_and_tags.sql && rm " MINE ".sql && mv " MINE ".snapshot.json "
       "0003_owner_email_and_tags.snapshot.json%s",
       dir, "");
    tl_captured cap;
    assert_int_equal(check(Y("merged"), dir, &cap), 1);
    has(cap.text, "0003_owner_email_and_tags.sql:1:1: error: it was generated after a migration");
    has(cap.text, "not after " THEIRS ".sql");
    sc_migrations m;
    sc_migrate_error err = {{0}};
    assert_int_equal(sc_migrations_load(dir, &m, &err), -1);
    has(err.message, "the chain does not follow");
    tl_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fork_is_refused_naming_both),
        cmocka_unit_test(rebase_moves_mine_after_theirs),
        cmocka_unit_test(rebase_refuses_a_merge_that_lost_theirs),
        cmocka_unit_test(two_of_mine_collapse_into_one),
        cmocka_unit_test(hand_renamed_fork_does_not_follow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
