/* schemac migrate rebase MINE (see migrate.h).
 *
 * What it accepts: a migrations directory in which, after a git merge, some
 * files are "mine" (named by the developer) and the rest ("theirs") still
 * form a linear chain 0001..K:
 *     0001_init  0002_theirs  [0003_theirs ...]  0002_mine  [0003_mine ...]
 * What it leaves:
 *     0001_init  0002_theirs  [0003_theirs ...]  K+1_mine
 * where K+1 is diffed from the (merged) YAML against theirs' newest
 * snapshot, so it holds exactly what the YAML has beyond theirs, and its
 * checksum, backup table names (rNNNN_) and down_revision are those of its
 * new place. Several of mine collapse into that one migration.
 *
 * Mine is named rather than guessed: the files alone cannot tell which
 * branch a 0002 came from (after `git merge` theirs are the newer files,
 * after `git rebase` mine are), and moving the wrong one would rewrite a
 * migration that other databases may already have applied. */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate_files.h"
#include "yaml_tree.h"

/* What the regenerated migration keeps of mine. */
typedef struct mine_info {
    const char *message;           /* mine's messages, joined by "; " */
    const char *lock_timeout, *statement_timeout;
    const char **destroyed;        /* plan lines "N. WHAT (destroys data)": WHAT */
    size_t ndestroyed, cap;
} mine_info;

/* Does the token (a name, NNNN_slug, slug or path; n bytes) name f? */
static bool names_file(const mig_file *f, const char *tok, size_t n)
{
    const char *slash = memchr(tok, '/', n);
    while (slash) { /* a path: its last component */
        n -= (size_t)(slash + 1 - tok);
        tok = slash + 1;
        slash = memchr(tok, '/', n);
    }
    if (n > 4 && strncmp(tok + n - 4, ".sql", 4) == 0)
        n -= 4;
    size_t len = strlen(f->name) - 4; /* without .sql */
    return (n == len && strncmp(f->name, tok, n) == 0) ||
           (n == len - 5 && strncmp(f->name + 5, tok, n) == 0);
}

static void list_names(gen_buf *b, const mig_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        gen_buf_printf(b, "%s%s", i ? ", " : "", l->items[i].name);
}

/* Marks the files that spec names; each token must name exactly one. */
static int pick_mine(gen_arena *a, const mig_list *l, const char *spec, bool *mine, gen_diag *d)
{
    gen_loc at = {"schemac migrate rebase", 0, 0};
    int bad = 0;
    for (const char *tok = spec; *tok;) {
        size_t n = strcspn(tok, ",");
        size_t hits = 0, hit = 0;
        for (size_t i = 0; i < l->n; i++)
            if (n && names_file(&l->items[i], tok, n))
                hits++, hit = i;
        if (hits == 1) {
            mine[hit] = true;
        } else {
            gen_buf b;
            gen_buf_init(&b, a);
            list_names(&b, l);
            gen_error(d, at, "'%.*s' names %s migration (the directory has %s)", (int)n, tok,
                      hits ? "more than one" : "no", b.len ? b.data : "none");
            bad = -1;
        }
        tok += n + (tok[n] == ',');
    }
    return bad;
}

/* down_checksum of the file at path, or NULL (files older than the header). */
static const char *down_checksum(gen_arena *a, const char *path)
{
    size_t len;
    const char *text = ytree_read_file(path, a, &len);
    return text ? mig_header_value(a, text, "down_checksum") : NULL;
}

/* A file diffed after one of mine (its down_checksum is that body's) is
 * mine too, so naming the first of several is enough. */
static void add_followers(gen_arena *a, const mig_list *l, bool *mine)
{
    const char **sum = gen_alloc(a, (l->n + 1) * sizeof *sum);
    for (size_t i = 0; i < l->n; i++) {
        const char *down = mine[i] ? NULL : down_checksum(a, l->items[i].path);
        for (size_t k = 0; k < i && down && !mine[i]; k++)
            mine[i] = mine[k] && sum[k] && strcmp(down, sum[k]) == 0;
        if (mine[i])
            sum[i] = mig_actual_checksum(a, l->items[i].path);
    }
}

/* Theirs must follow one another where the files say what they follow. */
static int theirs_follow(gen_arena *a, const mig_list *theirs, gen_diag *d)
{
    for (size_t i = 1; i < theirs->n; i++) {
        const char *down = down_checksum(a, theirs->items[i].path);
        const char *prev = mig_actual_checksum(a, theirs->items[i - 1].path);
        if (down && (!prev || strcmp(down, prev) != 0)) {
            gen_error(d, (gen_loc){theirs->items[i].path, 1, 1},
                      "it was not generated after %s: it belongs to another branch; name it "
                      "too if it is yours",
                      theirs->items[i - 1].name);
            return -1;
        }
    }
    return 0;
}

/* Splits l into theirs (must be linear: 0001..K, one file each) and ours
 * (consecutive revisions starting at or below K: it forks from theirs). */
static int split_sides(gen_arena *a, const mig_list *l, const bool *mine, mig_list *theirs,
                       mig_list *ours, gen_diag *d)
{
    gen_loc at = {"schemac migrate rebase", 0, 0};
    memset(theirs, 0, sizeof *theirs);
    memset(ours, 0, sizeof *ours);
    for (size_t i = 0; i < l->n; i++) {
        mig_list *side = mine[i] ? ours : theirs;
        gen_grow(a, (void **)&side->items, &side->cap, side->n + 1, sizeof *side->items);
        side->items[side->n++] = l->items[i];
    }
    if (!ours->n) {
        gen_error(d, at, "name your migration(s): schemac migrate rebase NNNN_slug.sql[,...]");
        return -1;
    }
    for (size_t i = 0; i < theirs->n; i++)
        if (theirs->items[i].revision != (int)i + 1) {
            gen_error(d, at, "without the migrations you named, the chain is still not linear at %s "
                             "(expected revision %04zu): name every migration of yours, "
                             "comma-separated",
                      theirs->items[i].name, i + 1);
            return -1;
        }
    for (size_t i = 1; i < ours->n; i++)
        if (ours->items[i].revision != ours->items[0].revision + (int)i) {
            gen_error(d, at, "%s and %s are not consecutive: yours must be one run of revisions",
                      ours->items[i - 1].name, ours->items[i].name);
            return -1;
        }
    if (ours->items[0].revision > (int)theirs->n) {
        gen_error(d, at, "%s does not fork from the chain (the others end at %04zu): nothing to "
                         "rebase",
                  ours->items[0].name, theirs->n);
        return -1;
    }
    return 0;
}

/* The quoted value after prefix in text ("SET lock_timeout = '" -> 5s). */
static const char *quoted_after(gen_arena *a, const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix);
    if (!p)
        return NULL;
    p += strlen(prefix);
    return gen_strndup(a, p, strcspn(p, "'\n"));
}

/* Plan lines "--   N. WHAT (destroys data)" of a header. */
static void read_destroyed(gen_arena *a, const char *text, mine_info *m)
{
    static const char mark[] = " (destroys data)";
    for (const char *line = text; *line && strncmp(line, "-- +up\n", 7) != 0;) {
        size_t len = strcspn(line, "\n");
        const char *p = line + 5;
        if (len > 5 && strncmp(line, "--   ", 5) == 0 && *p >= '0' && *p <= '9') {
            p += strspn(p, "0123456789");
            size_t mlen = sizeof mark - 1, rest = len - (size_t)(p - line);
            if (strncmp(p, ". ", 2) == 0 && rest > mlen + 2 &&
                strncmp(line + len - mlen, mark, mlen) == 0) {
                gen_grow(a, (void **)&m->destroyed, &m->cap, m->ndestroyed + 1, sizeof *m->destroyed);
                m->destroyed[m->ndestroyed++] = gen_strndup(a, p + 2, rest - 2 - mlen);
            }
        }
        line += len + (line[len] == '\n');
    }
}

static int read_mine(gen_arena *a, const mig_list *ours, mine_info *m, gen_diag *d)
{
    memset(m, 0, sizeof *m);
    gen_buf msg;
    gen_buf_init(&msg, a);
    for (size_t i = 0; i < ours->n; i++) {
        const mig_file *f = &ours->items[i];
        size_t len;
        const char *text = ytree_read_file(f->path, a, &len);
        if (!text) {
            gen_error(d, (gen_loc){f->path, 0, 0}, "cannot read the migration");
            return -1;
        }
        const char *message = mig_header_value(a, text, "message");
        gen_buf_printf(&msg, "%s%s", i ? "; " : "", message ? message : f->name + 5);
        if (i == 0) { /* the first of mine sets the timeouts of the whole */
            m->lock_timeout = quoted_after(a, text, "\nSET lock_timeout = '");
            m->statement_timeout = quoted_after(a, text, "\nSET statement_timeout = '");
        }
        read_destroyed(a, text, m);
    }
    m->message = msg.data;
    return 0;
}

/* Inherited --allow-destructive covers what mine destroyed, nothing more: a
 * merge that lost one of their columns must not drop it silently. */
static int check_destroyed(const gen_migrate_options *o, const mine_info *m, const mig_next *n,
                           gen_diag *d)
{
    int bad = 0;
    for (size_t i = 0; i < n->r.n && !o->allow_destructive; i++) {
        if (!n->r.steps[i].destructive)
            continue;
        bool known = false;
        for (size_t k = 0; k < m->ndestroyed; k++)
            known = known || strcmp(m->destroyed[k], n->r.steps[i].what) == 0;
        if (!known) {
            gen_error(d, (gen_loc){o->schema_path, 0, 0},
                      "against %s, the YAML would %s, which your migration did not: did the "
                      "merge lose one of their changes? Fix the YAML (or pass "
                      "--allow-destructive if it is meant); nothing was written",
                      n->base, n->r.steps[i].what);
            bad = -1;
        }
    }
    return bad;
}

/* Removes mine's files, except a path the new migration now uses. */
static int remove_mine(const mig_list *ours, const mig_next *n, gen_diag *d)
{
    int bad = 0;
    for (size_t i = 0; i < ours->n; i++) {
        const char *paths[2] = {ours->items[i].path, ours->items[i].snapshot};
        for (int k = 0; k < 2; k++)
            if (strcmp(paths[k], n->sql_path) != 0 && strcmp(paths[k], n->snap_path) != 0 &&
                unlink(paths[k]) != 0) {
                gen_error(d, (gen_loc){paths[k], 0, 0}, "cannot remove it; remove it by hand");
                bad = -1;
            }
    }
    return bad;
}

static void report(const mig_list *theirs, const mig_list *ours, const mig_next *n)
{
    printf("rebase: %s %zu migration%s of yours after %s\n", ours->n > 1 ? "collapsed" : "moved",
           ours->n, ours->n == 1 ? "" : "s", theirs->items[theirs->n - 1].name);
    printf("wrote %s (%zu change%s%s), diffed from the YAML against %s\n", n->sql_path, n->r.n,
           n->r.n == 1 ? "" : "s", n->r.ndestructive ? ", some destroy data" : "", n->base);
    for (size_t i = 0; i < ours->n; i++)
        printf("removed %s and its snapshot\n", ours->items[i].path);
    printf("Review the new migration, then commit. A database that applied %s%s refuses the new "
           "chain: run 'schemac migrate down' there before the merge, or recreate it.\n",
           ours->items[0].name, ours->n > 1 ? " and the rest of yours" : "");
}

/* Everything up to the write; rc 0 with n->r.n > 0 means "write n". */
static int plan(gen_arena *a, const gen_migrate_options *o, const char *dir, const mig_list *l,
                const char *spec, mig_list *theirs, mig_list *ours, mig_next *n, gen_diag *d)
{
    bool *mine = gen_alloc(a, (l->n + 1) * sizeof *mine);
    mine_info m;
    if (pick_mine(a, l, spec, mine, d))
        return -1;
    add_followers(a, l, mine);
    if (split_sides(a, l, mine, theirs, ours, d) || theirs_follow(a, theirs, d) ||
        read_mine(a, ours, &m, d))
        return -1;
    gen_migrate_options ro = *o;
    ro.message = m.message;
    ro.lock_timeout = o->lock_timeout ? o->lock_timeout : m.lock_timeout;
    ro.statement_timeout = o->statement_timeout ? o->statement_timeout : m.statement_timeout;
    ro.allow_destructive = o->allow_destructive || m.ndestroyed > 0;
    gen_buf names;
    gen_buf_init(&names, a);
    list_names(&names, ours);
    ro.replaces = names.data;
    if (mig_prepare(a, &ro, dir, theirs, d, n) || check_destroyed(o, &m, n, d))
        return -1;
    if (n->r.n == 0) {
        gen_error(d, (gen_loc){o->schema_path, 0, 0},
                  "the YAML matches %s: none of %s's changes are left to move. If the merge lost "
                  "them, fix the YAML; if theirs already made them, remove yours and their "
                  "snapshots by hand; nothing was changed",
                  n->base, ours->items[0].name);
        return -1;
    }
    return 0;
}

int gen_migrate_rebase(const gen_migrate_options *o, const char *mine, gen_diag *d,
                       const char **written)
{
    if (written)
        *written = NULL;
    char dirbuf[4096];
    const char *dir = gen_migrations_dir(o, dirbuf, sizeof dirbuf);
    gen_arena *a = gen_arena_new();
    int rc = 1;
    mig_list l, theirs, ours;
    mig_next n;
    if (mig_list_dir(a, dir, &l, d))
        goto done;
    size_t fork = mig_fork_at(&l);
    if (!mine && fork == l.n) {
        printf("nothing to rebase: %s is one chain of %zu migration%s\n", dir, l.n,
               l.n == 1 ? "" : "s");
        rc = 0;
    } else if (!mine) {
        mig_report_fork(&l, fork, "name yours", d);
    } else if (plan(a, o, dir, &l, mine, &theirs, &ours, &n, d) == 0 && mig_write(dir, &n, d) == 0) {
        rc = remove_mine(&ours, &n, d) ? 1 : 0;
        report(&theirs, &ours, &n);
        if (written)
            *written = strdup(n.sql_path);
    }
done:
    gen_diag_flush(d); /* locations point into the arena */
    gen_arena_free(a);
    return rc;
}
