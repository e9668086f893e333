/* migrate new / migrate check (see migrate.h). */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ddl.h"
#include "diff.h"
#include "lint.h"
#include "migrate_files.h"
#include "model.h"
#include "output.h"
#include "schemac_gen.h"
#include "snapshot.h"
#include "yaml_tree.h"

#define UP_MARKER "-- +up\n"
#define DOWN_MARKER "-- +down\n"

const char *gen_migrations_dir(const gen_migrate_options *o, char *buf, unsigned size)
{
    if (o->migrations_dir)
        return o->migrations_dir;
    snprintf(buf, size, "%s/migrations", o->out_dir ? o->out_dir : "generated");
    return buf;
}

static int by_revision(const void *x, const void *y)
{
    const mig_file *a = x, *b = y;
    if (a->revision != b->revision)
        return (a->revision > b->revision) - (a->revision < b->revision);
    return strcmp(a->name, b->name);
}

int mig_list_dir(gen_arena *a, const char *dir, mig_list *out, gen_diag *d)
{
    memset(out, 0, sizeof *out);
    DIR *dp = opendir(dir);
    if (!dp)
        return errno == ENOENT ? 0 : (gen_error(d, (gen_loc){dir, 0, 0}, "cannot open: %s", strerror(errno)), -1);
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (len < 9 || strcmp(e->d_name + len - 4, ".sql") != 0 || e->d_name[4] != '_' ||
            !isdigit((unsigned char)e->d_name[0]) || !isdigit((unsigned char)e->d_name[1]) ||
            !isdigit((unsigned char)e->d_name[2]) || !isdigit((unsigned char)e->d_name[3]))
            continue;
        gen_grow(a, (void **)&out->items, &out->cap, out->n + 1, sizeof *out->items);
        mig_file *f = &out->items[out->n++];
        f->revision = atoi(e->d_name);
        f->name = gen_strdup(a, e->d_name);
        f->path = gen_printf(a, "%s/%s", dir, e->d_name);
        f->snapshot = gen_printf(a, "%s/%.*s.snapshot.json", dir, (int)(len - 4), e->d_name);
    }
    closedir(dp);
    if (out->n)
        qsort(out->items, out->n, sizeof *out->items, by_revision);
    return 0;
}

size_t mig_fork_at(const mig_list *l)
{
    for (size_t i = 1; i < l->n; i++)
        if (l->items[i].revision == l->items[i - 1].revision)
            return i;
    return l->n;
}

void mig_report_fork(const mig_list *l, size_t at, const char *what, gen_diag *d)
{
    const mig_file *first = &l->items[at - 1], *second = &l->items[at];
    gen_error(d, (gen_loc){second->path, 1, 1},
              "the chain forks: %s and %s both have revision %04d (two branches each added "
              "one, and the merge brought both); %s. Run 'schemac migrate rebase YOURS', YOURS "
              "being the (first) one your branch added (%s or %s): it moves yours after theirs, "
              "regenerated from the YAML",
              first->name, second->name, second->revision, what, first->name, second->name);
}

/* "Add tags to documents!" -> "add_tags_to_documents" (at most 40 bytes). */
static const char *slug(gen_arena *a, const char *message)
{
    char buf[41];
    size_t n = 0;
    bool gap = false;
    for (const char *p = message; *p && n < sizeof buf - 1; p++) {
        if (isalnum((unsigned char)*p)) {
            if (gap && n)
                buf[n++] = '_';
            if (n < sizeof buf - 1)
                buf[n++] = (char)tolower((unsigned char)*p);
            gap = false;
        } else {
            gap = true;
        }
    }
    buf[n] = '\0';
    return gen_strdup(a, n ? buf : "migration");
}

/* One line: newlines in -m become spaces. */
static const char *one_line(gen_arena *a, const char *s)
{
    char *t = gen_strdup(a, s);
    for (char *p = t; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return t;
}

/* Waiver comments for up statements, by index in the up section as the
 * runner splits it (the SET statements count). */
typedef struct waivers {
    const char **text;    /* per index: "-- lint-waiver: ..." lines or NULL */
    size_t n;
} waivers;

static void write_stmt(gen_buf *b, const char *sql, const waivers *w, size_t index)
{
    if (w && index < w->n && w->text[index])
        gen_buf_puts(b, w->text[index]);
    gen_buf_printf(b, "%s;\n\n", sql);
}

static void write_timeouts(gen_buf *b, const gen_migrate_options *o)
{
    gen_buf_printf(b, "SET lock_timeout = '%s';\n\n", o->lock_timeout ? o->lock_timeout : "5s");
    gen_buf_printf(b, "SET statement_timeout = '%s';\n\n",
                   o->statement_timeout ? o->statement_timeout : "15min");
}

/* The up section: timeouts, then the steps; "-- +commit" after the steps
 * that commit on their own (they come first, see diff.h). */
static void write_up(gen_buf *b, const gen_migrate_options *o, const diff_result *r, const waivers *w)
{
    gen_buf_puts(b, "-- +up\n\n");
    write_timeouts(b, o);
    size_t index = 2;
    for (size_t i = 0; i < r->n; i++) {
        const diff_step *p = &r->steps[i];
        if (i > 0 && r->steps[i - 1].own_transaction && !p->own_transaction && r->transactional)
            gen_buf_puts(b, "-- +commit\n\n");
        for (size_t k = 0; k < p->up.n; k++)
            write_stmt(b, p->up.items[k].sql, w, index++);
    }
}

static void write_down(gen_buf *b, const gen_migrate_options *o, const diff_result *r)
{
    gen_buf_puts(b, "-- +down\n\n");
    write_timeouts(b, o);
    for (size_t i = r->n; i-- > 0;)
        for (size_t k = 0; k < r->steps[i].down.n; k++)
            gen_buf_printf(b, "%s;\n\n", r->steps[i].down.items[k].sql);
}

/* One plan entry: what the step locks, rewrites, where it commits, what
 * can go wrong. */
static void write_plan_step(gen_buf *out, const diff_result *r, size_t i,
                            const lint_result *lint, size_t first_index)
{
    const diff_step *p = &r->steps[i];
    int strongest = -1;
    const char *lock = "none";
    bool rewrites = false, updates = false;
    for (size_t k = 0; k < p->up.n; k++) {
        int strength;
        const char *l = lint_lock_of(p->up.items[k].sql, &strength);
        if (strength > strongest)
            strongest = strength, lock = l;
        const char *sql = p->up.items[k].sql;
        rewrites = rewrites || (strncmp(sql, "ALTER TABLE ", 12) == 0 && strstr(sql, " USING "));
        updates = updates || strncmp(sql, "UPDATE ", 7) == 0;
    }
    /* a step that creates its table (or the whole schema) locks nothing in use */
    if (strncmp(p->what, "create table ", 13) == 0 || strncmp(p->what, "create schema ", 14) == 0)
        strongest = 0, lock = "none (new objects only)", rewrites = updates = false;
    gen_buf_printf(out, "--   %zu. %s%s\n", i + 1, p->what, p->destructive ? " (destroys data)" : "");
    if (!p->up.n) {
        gen_buf_puts(out, "--      up: nothing; the down section undoes an earlier step here\n");
        return;
    }
    gen_buf_printf(out, "--      lock: %s; rewrites the table: %s; transaction: %s\n", lock,
                   rewrites ? "yes" : updates ? "no, but updates every row" : "no",
                   !r->transactional ? "none (each statement commits)"
                   : p->own_transaction ? "its own, committed before the next steps"
                                        : "the migration's");
    if (p->destructive)
        gen_buf_puts(out, "--      hazard: destroys data; copied first to schema schemac_backup "
                          "(row count verified), restored by the down section\n");
    if (strongest >= 8)
        gen_buf_puts(out, "--      hazard: blocks reads and writes of the table until it ends\n");
    for (size_t f = 0; f < lint->n; f++) {
        const lint_finding *x = &lint->items[f];
        if (x->section == 0 && x->index >= first_index && x->index < first_index + p->up.n)
            gen_buf_printf(out, "--      hazard: lint %s %s%s\n", x->rule,
                           x->waived ? "waived: " : "VIOLATION: ", x->waived ? x->reason : x->message);
    }
}

static void render_migration(gen_arena *a, const gen_migrate_options *o, const m_schema *s,
                             const mig_next *n, const char *snapshot_name,
                             const waivers *w, const lint_result *lint, gen_buf *out)
{
    const diff_result *r = &n->r;
    int revision = n->revision;
    gen_buf body;
    gen_buf_init(&body, a);
    write_up(&body, o, r, w);
    write_down(&body, o, r);
    body.len--; /* one newline at the end of the file */
    body.data[body.len] = '\0';
    const char *message = one_line(a, o->message);
    gen_buf_printf(out, "-- Migration %04d: %s\n--\n", revision, message);
    gen_buf_printf(out, "-- revision:      %04d\n", revision);
    if (revision > 1)
        gen_buf_printf(out, "-- down_revision: %04d\n", revision - 1);
    else
        gen_buf_puts(out, "-- down_revision: none\n");
    gen_buf_printf(out, "-- message:       %s\n", message);
    gen_buf_printf(out, "-- transactional: %s\n", r->transactional ? "true" : "false");
    gen_buf_printf(out, "-- search_path:   %s\n", ddl_search_path(out->arena, s));
    gen_buf_printf(out, "-- checksum:      fnv1a64:%016llx\n", gen_hash64(body.data, body.len));
    /* which 0002 this 0003 was diffed after: a fork, or a file renamed by
     * hand, shows as a chain that does not follow (check, runner, rebase) */
    if (n->down_checksum)
        gen_buf_printf(out, "-- down_checksum: %s\n", n->down_checksum);
    gen_buf_puts(out, "--\n");
    gen_buf_printf(out,
                   "-- Generated by 'schemac migrate new' from %s. The schema after this\n"
                   "-- migration is %s. The checksum covers every byte from the\n"
                   "-- \"-- +up\" line on: a migration that was applied must not change.\n",
                   o->schema_path, snapshot_name);
    if (o->replaces)
        gen_buf_printf(out, "-- Moved here by 'schemac migrate rebase' (diffed again, not copied): "
                            "it replaces %s.\n",
                       o->replaces);
    if (!r->transactional)
        gen_buf_printf(out, "-- Not transactional (%s): each statement commits on its own,\n"
                            "-- and a failure leaves the statements before it applied.\n",
                       r->nontransactional_reason);
    gen_buf_printf(out, "--\n-- Plan (read this first). Every section starts with lock_timeout %s "
                        "and statement_timeout %s.\n",
                   o->lock_timeout ? o->lock_timeout : "5s",
                   o->statement_timeout ? o->statement_timeout : "15min");
    size_t index = 2;
    for (size_t i = 0; i < r->n; i++) {
        write_plan_step(out, r, i, lint, index);
        index += r->steps[i].up.n;
    }
    gen_buf_puts(out, "\n");
    gen_buf_add(out, body.data, body.len);
}

/* Does sql name object (as a whole word, possibly qualified)? */
static bool names_object(const char *sql, const char *object)
{
    size_t n = strlen(object);
    for (const char *p = strstr(sql, object); p; p = strstr(p + 1, object)) {
        bool before = p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        bool after = !(isalnum((unsigned char)p[n]) || p[n] == '_');
        if (before && after)
            return true;
    }
    return false;
}

/* Turns the lint's findings on the first rendering into waiver comments
 * where the YAML waives them; returns the count of findings left. */
static size_t apply_waivers(gen_arena *a, const m_schema *s, const lint_result *lint, waivers *w)
{
    size_t left = 0;
    w->n = 0;
    for (size_t i = 0; i < lint->n; i++)
        if (lint->items[i].index + 1 > w->n)
            w->n = lint->items[i].index + 1;
    w->text = gen_alloc(a, (w->n + 1) * sizeof *w->text);
    for (size_t i = 0; i < lint->n; i++) {
        const lint_finding *f = &lint->items[i];
        const m_waiver *found = NULL;
        for (size_t k = 0; k < s->nwaivers && f->section == 0; k++)
            if (strcmp(s->waivers[k].rule, f->rule) == 0 && names_object(f->sql, s->waivers[k].object))
                found = &s->waivers[k];
        if (!found) {
            left++;
            continue;
        }
        w->text[f->index] = gen_printf(a, "%s-- lint-waiver: %s: %s\n",
                                       w->text[f->index] ? w->text[f->index] : "", f->rule,
                                       one_line(a, found->reason));
    }
    return left;
}

static m_schema *load_snapshot(const mig_file *f, gen_arena *a, gen_diag *d)
{
    return gen_schema_load(f->snapshot, a, d);
}

/* The newest snapshot (NULL model when there is no migration yet). */
static int base_schema(const mig_list *l, gen_arena *a, gen_diag *d, m_schema **out)
{
    *out = NULL;
    if (!l->n)
        return 0;
    *out = load_snapshot(&l->items[l->n - 1], a, d);
    return *out ? 0 : -1;
}

static int make_dir(const char *path, gen_diag *d)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(buf, 0777) == 0 || errno == EEXIST)
        return 0;
fail:
    gen_error(d, (gen_loc){path, 0, 0}, "cannot create the directory: %s", strerror(errno));
    return -1;
}

static int write_file(const char *path, const gen_buf *b, gen_diag *d)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0 || rename(tmp, path) != 0) {
        gen_error(d, (gen_loc){path, 0, 0}, "cannot write: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Renders, lints, writes the YAML's waivers in and lints again: what is
 * written is what `migrate check` lints. */
static int render_linted(gen_arena *a, const gen_migrate_options *o, const m_schema *s,
                         mig_next *n, const char *snap_name, gen_diag *d)
{
    waivers w = {NULL, 0};
    lint_result lint;
    gen_buf_init(&n->sql, a);
    render_migration(a, o, s, n, snap_name, &w, &(lint_result){0}, &n->sql);
    if (lint_migration(a, n->sql_path, n->sql.data, d, &lint))
        return -1;
    if (apply_waivers(a, s, &lint, &w)) {
        lint_report(&lint, n->sql_path, d);
        gen_error(d, (gen_loc){o->schema_path, 0, 0},
                  "the migration breaks the lock lint (above, at the lines it would have); nothing "
                  "was written");
        return -1;
    }
    gen_buf_init(&n->sql, a);
    render_migration(a, o, s, n, snap_name, &w, &(lint_result){0}, &n->sql);
    if (lint_migration(a, n->sql_path, n->sql.data, d, &lint))
        return -1;
    gen_buf_init(&n->sql, a);
    render_migration(a, o, s, n, snap_name, &w, &lint, &n->sql);
    return 0;
}

int mig_prepare(gen_arena *a, const gen_migrate_options *o, const char *dir,
                const mig_list *chain, gen_diag *d, mig_next *out)
{
    memset(out, 0, sizeof *out);
    m_schema *old_schema = NULL, *new_schema = gen_schema_load(o->schema_path, a, d);
    if (!new_schema || base_schema(chain, a, d, &old_schema))
        return -1;
    out->revision = chain->n ? chain->items[chain->n - 1].revision + 1 : 1;
    out->base = chain->n ? chain->items[chain->n - 1].snapshot : NULL;
    out->down_checksum = chain->n ? mig_actual_checksum(a, chain->items[chain->n - 1].path) : NULL;
    if (chain->n && !out->down_checksum) {
        gen_error(d, (gen_loc){chain->items[chain->n - 1].path, 0, 0},
                  "cannot read it, or it has no '-- +up' section");
        return -1;
    }
    diff_options dopt = {.allow_destructive = o->allow_destructive, .revision = out->revision};
    if (diff_schemas(old_schema, new_schema, &dopt, a, d, &out->r))
        return -1;
    if (out->r.n == 0)
        return 0;
    const char *base = gen_printf(a, "%04d_%s", out->revision, slug(a, o->message));
    const char *snap_name = gen_printf(a, "%s.snapshot.json", base);
    out->sql_path = gen_printf(a, "%s/%s.sql", dir, base);
    out->snap_path = gen_printf(a, "%s/%s", dir, snap_name);
    if (render_linted(a, o, new_schema, out, snap_name, d))
        return -1;
    gen_buf_init(&out->snap, a);
    snapshot_write(new_schema, &out->snap);
    return 0;
}

int mig_write(const char *dir, const mig_next *n, gen_diag *d)
{
    return make_dir(dir, d) || write_file(n->snap_path, &n->snap, d) || write_file(n->sql_path, &n->sql, d)
               ? -1
               : 0;
}

int gen_migrate_new(const gen_migrate_options *o, gen_diag *d, const char **written)
{
    if (written)
        *written = NULL;
    if (!o->message || !*o->message) {
        gen_error(d, (gen_loc){"schemac migrate new", 0, 0}, "a message is required: -m \"what changes\"");
        return 1;
    }
    char dirbuf[4096];
    const char *dir = gen_migrations_dir(o, dirbuf, sizeof dirbuf);
    gen_arena *a = gen_arena_new();
    int rc = 1;
    mig_list l;
    mig_next n;
    if (mig_list_dir(a, dir, &l, d))
        goto done;
    /* diffing against either side's snapshot would undo the other side's
     * change in the new migration: refuse until the chain is linear again */
    size_t fork = mig_fork_at(&l);
    if (fork < l.n) {
        mig_report_fork(&l, fork, "nothing was written", d);
        goto done;
    }
    if (mig_prepare(a, o, dir, &l, d, &n))
        goto done;
    rc = 0;
    if (n.r.n == 0) {
        printf("no changes: %s matches the newest migration in %s\n", o->schema_path, dir);
        goto done;
    }
    if (mig_write(dir, &n, d)) {
        rc = 1;
        goto done;
    }
    printf("wrote %s (%zu change%s%s)\n", n.sql_path, n.r.n, n.r.n == 1 ? "" : "s",
           n.r.ndestructive ? ", some destroy data: review the down section" : "");
    if (written)
        *written = strdup(n.sql_path);
done:
    gen_diag_flush(d); /* locations point into the arena */
    gen_arena_free(a);
    return rc;
}

/* ---- check ---------------------------------------------------------------- */

/* The value of "-- key: value" in the header, or NULL. */
const char *mig_header_value(gen_arena *a, const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, UP_MARKER, strlen(UP_MARKER)) == 0)
            break;
        if (strncmp(line, "-- ", 3) == 0 && strncmp(line + 3, key, klen) == 0 && line[3 + klen] == ':') {
            const char *v = line + 4 + klen;
            while (*v == ' ')
                v++;
            return gen_strndup(a, v, strcspn(v, "\n"));
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return NULL;
}

static const char *body_of(const char *text)
{
    if (strncmp(text, UP_MARKER, strlen(UP_MARKER)) == 0)
        return text;
    const char *p = strstr(text, "\n" UP_MARKER);
    return p ? p + 1 : NULL;
}

const char *mig_actual_checksum(gen_arena *a, const char *path)
{
    size_t len;
    const char *text = ytree_read_file(path, a, &len), *body = text ? body_of(text) : NULL;
    return body ? gen_printf(a, "fnv1a64:%016llx", gen_hash64(body, len - (size_t)(body - text)))
                : NULL;
}

/* A down_checksum (older files have none) names the body the migration was
 * diffed after: a different one means its base is not the file before it. */
static void check_follows(gen_arena *a, const mig_file *f, const char *text, const mig_file *prev,
                          gen_diag *d)
{
    const char *want = mig_header_value(a, text, "down_checksum");
    const char *prev_sum = want && prev ? mig_actual_checksum(a, prev->path) : NULL;
    if (want && prev && (!prev_sum || strcmp(want, prev_sum) != 0))
        gen_error(d, (gen_loc){f->path, 1, 1},
                  "it was generated after a migration whose body hashes to %s, not after %s "
                  "(%s): the chain does not follow (a fork renamed by hand?); run 'schemac "
                  "migrate rebase' on the chain as the merge left it",
                  want, prev->name, prev_sum ? prev_sum : "unreadable");
}

static void check_migration(gen_arena *a, const mig_file *f, int expect, const mig_file *prev,
                            gen_diag *d)
{
    gen_loc at = {f->path, 1, 1};
    size_t len;
    char *text = ytree_read_file(f->path, a, &len);
    if (!text) {
        gen_error(d, at, "cannot read the migration");
        return;
    }
    if (f->revision != expect)
        gen_error(d, at, "revision %04d out of sequence: expected %04d", f->revision, expect);
    const char *rev = mig_header_value(a, text, "revision");
    const char *down = mig_header_value(a, text, "down_revision");
    const char *sum = mig_header_value(a, text, "checksum");
    const char *body = body_of(text);
    char want_down[16];
    snprintf(want_down, sizeof want_down, expect > 1 ? "%04d" : "none", expect - 1);
    if (!rev || atoi(rev) != f->revision)
        gen_error(d, at, "header 'revision' does not match the file name");
    if (!down || strcmp(down, want_down) != 0)
        gen_error(d, at, "header 'down_revision' should be %s", want_down);
    if (!body) {
        gen_error(d, at, "no '-- +up' section");
        return;
    }
    char actual[32];
    snprintf(actual, sizeof actual, "fnv1a64:%016llx", gen_hash64(body, len - (size_t)(body - text)));
    if (!sum || strcmp(sum, actual) != 0)
        gen_error(d, at, "checksum mismatch: the header says %s but the body hashes to %s "
                         "(was the migration edited after it was generated?)",
                  sum ? sum : "nothing", actual);
    check_follows(a, f, text, prev, d);
    if (access(f->snapshot, R_OK) != 0)
        gen_error(d, at, "its snapshot %s is missing", f->snapshot);
    lint_result lint;
    if (lint_migration(a, f->path, text, d, &lint) == 0)
        lint_report(&lint, f->path, d);
}

/* Files of a against b: same names and bytes, except the migrations dir. */
static int compare_dirs(gen_arena *a, const char *fresh, const char *committed, gen_diag *d)
{
    int bad = 0;
    const char *dirs[2] = {fresh, committed};
    for (int side = 0; side < 2; side++) {
        DIR *dp = opendir(dirs[side]);
        if (!dp) {
            gen_error(d, (gen_loc){dirs[side], 0, 0}, "cannot open: %s", strerror(errno));
            return -1;
        }
        struct dirent *e;
        while ((e = readdir(dp))) {
            if (e->d_name[0] == '.' || strcmp(e->d_name, "migrations") == 0)
                continue;
            const char *mine = gen_printf(a, "%s/%s", dirs[side], e->d_name);
            const char *other = gen_printf(a, "%s/%s", dirs[1 - side], e->d_name);
            size_t n1 = 0, n2 = 0;
            char *b1 = ytree_read_file(mine, a, &n1), *b2 = ytree_read_file(other, a, &n2);
            if (side == 0 && b1 && (!b2 || n1 != n2 || memcmp(b1, b2, n1) != 0)) {
                gen_error(d, (gen_loc){other, 0, 0}, "stale: 'schemac generate' writes it differently (run make)");
                bad = -1;
            } else if (side == 1 && b1 && !b2) {
                gen_error(d, (gen_loc){mine, 0, 0}, "not written by 'schemac generate' any more");
                bad = -1;
            }
        }
        closedir(dp);
    }
    return bad;
}

static void remove_tree(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    char path[4200];
    while ((e = readdir(dp))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(dp);
    rmdir(dir);
}

static int check_generated_fresh(gen_arena *a, const gen_migrate_options *o, gen_diag *d)
{
    char tmpl[] = "/tmp/schemac-check.XXXXXX";
    if (!mkdtemp(tmpl)) {
        gen_error(d, (gen_loc){"/tmp", 0, 0}, "cannot create a temporary directory: %s", strerror(errno));
        return -1;
    }
    gen_options go = {.schema_path = o->schema_path, .out_dir = tmpl};
    int rc = gen_generate(&go, d) ? -1 : compare_dirs(a, tmpl, o->out_dir ? o->out_dir : "generated", d);
    remove_tree(tmpl);
    return rc;
}

int gen_migrate_check(const gen_migrate_options *o, gen_diag *d)
{
    char dirbuf[4096];
    const char *dir = gen_migrations_dir(o, dirbuf, sizeof dirbuf);
    gen_arena *a = gen_arena_new();
    int errors = d->errors;
    mig_list l = {0};
    m_schema *old_schema = NULL, *new_schema = gen_schema_load(o->schema_path, a, d);
    diff_result r;
    if (!new_schema || mig_list_dir(a, dir, &l, d))
        goto done;
    /* a fork is one error, not an "out of sequence" on every later file; with
     * two heads, coverage against "the newest snapshot" would mean nothing */
    size_t fork = mig_fork_at(&l);
    if (fork < l.n)
        mig_report_fork(&l, fork, "CI cannot check the YAML's coverage against two heads", d);
    for (size_t i = 0; i < l.n; i++)
        check_migration(a, &l.items[i], fork < l.n ? l.items[i].revision : (int)i + 1,
                        fork == l.n && i ? &l.items[i - 1] : NULL, d);
    diff_options dopt = {.coverage_only = true};
    r.n = 0;
    if (fork == l.n && (base_schema(&l, a, d, &old_schema) ||
                        diff_schemas(old_schema, new_schema, &dopt, a, d, &r)))
        goto done;
    if (r.n)
        gen_error(d, (gen_loc){o->schema_path, 0, 0},
                  "%zu change%s that no migration covers (first: %s); run "
                  "'schemac migrate new -m \"...\"' and commit the result",
                  r.n, r.n == 1 ? "" : "s", r.steps[0].what);
    check_generated_fresh(a, o, d);
done:
    gen_diag_flush(d); /* locations point into the arena */
    gen_arena_free(a);
    if (d->errors == errors)
        printf("migrate check: %zu migration%s, checksums match, schema covered, generated/ fresh\n",
               l.n, l.n == 1 ? "" : "s");
    return d->errors == errors ? 0 : 1;
}
