/* The migration runner (see sc_migrate.h).
 *
 * File grammar (written by generator/migrate.c):
 *   header:  "-- key: value" lines (revision, down_revision, message,
 *            transactional, search_path, checksum) and free comments
 *   "-- +up" line, statements, "-- +down" line, statements
 * The checksum is FNV-1a 64 of every byte from the "-- +up" line to the end. */
#include "sc_migrate.h"
#include "internal.h" /* sc_scrub, sc_copy_str */
#include "migrate_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int fail(sc_migrate_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(sc_migrate_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void progress(const sc_migrate_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void progress(const sc_migrate_options *o, const char *fmt, ...)
{
    if (!o || !o->progress)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->progress, fmt, ap);
    va_end(ap);
    fflush(o->progress);
}

static unsigned long long fnv1a64(const char *p, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 < cap)
            continue;
        char *bigger = realloc(buf, cap *= 2);
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- splitting: statements with their line numbers ---------------------- */

typedef struct splitter {
    sc_migration_stmt *items[2];
    size_t n[2], cap[2];
    bool commit_pending;   /* a "-- +commit" line since the last statement */
} splitter;

static int push_stmt(splitter *s, int section, const char *sql, int line)
{
    if (s->n[section] == s->cap[section]) {
        size_t cap = s->cap[section] ? s->cap[section] * 2 : 16;
        sc_migration_stmt *p = realloc(s->items[section], cap * sizeof *p);
        if (!p)
            return -1;
        s->items[section] = p;
        s->cap[section] = cap;
    }
    s->items[section][s->n[section]++] = (sc_migration_stmt){sql, line, s->commit_pending};
    s->commit_pending = false;
    return 0;
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Length of a dollar-quote opener "$tag$" at p, or 0. */
static size_t dollar_tag(const char *p, const char *start)
{
    if (*p != '$' || (p > start && ident_char(p[-1])))
        return 0;
    size_t i = 1;
    if (isdigit((unsigned char)p[1]))
        return 0;
    while (isalnum((unsigned char)p[i]) || p[i] == '_')
        i++;
    return p[i] == '$' ? i + 1 : 0;
}

static bool line_is(const char *p, const char *marker)
{
    size_t n = strlen(marker);
    return strncmp(p, marker, n) == 0 && (p[n] == '\n' || p[n] == '\0');
}

/* Splits body (modified in place: each ';' ending a statement becomes NUL)
 * into the up (0) and down (1) sections. Section markers count only
 * between statements. Returns 0 or -1 with a located message. */
static int split(char *body, int first_line, const char *path, splitter *s,
                 sc_migrate_error *err)
{
    int line = first_line, section = -1, stmt_line = 0;
    char *stmt = NULL;
    for (char *p = body; *p;) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (isspace((unsigned char)*p)) {
            p++;
        } else if (p[0] == '-' && p[1] == '-') {
            bool at_line_start = p == body || p[-1] == '\n';
            if (!stmt && at_line_start && line_is(p, "-- +up"))
                section = 0;
            else if (!stmt && at_line_start && line_is(p, "-- +down"))
                section = 1, s->commit_pending = false;
            else if (!stmt && at_line_start && section >= 0 && line_is(p, "-- +commit"))
                s->commit_pending = true;
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            int depth = 0;
            do {
                if (p[0] == '/' && p[1] == '*')
                    depth++, p += 2;
                else if (p[0] == '*' && p[1] == '/')
                    depth--, p += 2;
                else
                    line += *p++ == '\n';
            } while (*p && depth > 0);
        } else if (*p == ';') {
            if (stmt) {
                *p = '\0';
                if (section < 0)
                    return fail(err, "%s:%d: statement before the '-- +up' line", path, stmt_line);
                if (push_stmt(s, section, stmt, stmt_line))
                    return fail(err, "out of memory");
            }
            stmt = NULL;
            p++;
        } else {
            if (!stmt) {
                stmt = p;
                stmt_line = line;
            }
            size_t tag;
            if (*p == '\'' || *p == '"') {
                char q = *p;
                bool escapes = q == '\'' && p > body && (p[-1] == 'E' || p[-1] == 'e') &&
                               (p - 1 == body || !ident_char(p[-2]));
                for (p++; *p; p++) {
                    if (*p == '\n')
                        line++;
                    if (escapes && *p == '\\' && p[1]) {
                        p++;
                        line += *p == '\n';
                    } else if (*p == q && p[1] == q) {
                        p++;
                    } else if (*p == q) {
                        break;
                    }
                }
                if (!*p)
                    return fail(err, "%s:%d: unterminated quoted text", path, stmt_line);
                p++;
            } else if ((tag = dollar_tag(p, body)) > 0) {
                char *close = p + tag;
                for (; *close && strncmp(close, p, tag) != 0; close++)
                    line += *close == '\n';
                if (!*close)
                    return fail(err, "%s:%d: unterminated dollar quote %.*s", path, stmt_line,
                                (int)tag, p);
                p = close + tag;
            } else {
                p++;
            }
        }
    }
    if (stmt)
        return fail(err, "%s:%d: the last statement has no terminating ';'", path, stmt_line);
    if (section < 1)
        return fail(err, "%s: no '-- +down' section", path);
    return 0;
}

/* ---- loading -------------------------------------------------------------- */

static char *header_value(const char *text, const char *body, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && line < body;) {
        if (strncmp(line, "-- ", 3) == 0 && strncmp(line + 3, key, klen) == 0 && line[3 + klen] == ':') {
            const char *v = line + 4 + klen;
            while (*v == ' ')
                v++;
            return strndup(v, strcspn(v, "\n"));
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return NULL;
}

static int count_lines(const char *from, const char *to)
{
    int n = 0;
    for (; from < to; from++)
        n += *from == '\n';
    return n;
}

void sc_migration_free(sc_migration *m)
{
    if (!m)
        return;
    free(m->path);
    free(m->revision);
    free(m->down_revision);
    free(m->down_checksum);
    free(m->message);
    free(m->checksum);
    free(m->actual_checksum);
    free(m->search_path);
    free(m->up);
    free(m->down);
    free(m->text);
    free(m->stmt_text);
    memset(m, 0, sizeof *m);
}

int sc_migration_load(const char *path, sc_migration *out, sc_migrate_error *err)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        memset(out, 0, sizeof *out);
        return fail(err, "%s: cannot read: %s", path, strerror(errno));
    }
    int rc = sc_migration_parse(path, text, out, err);
    free(text);
    return rc;
}

int sc_migration_parse(const char *path, const char *text, sc_migration *out, sc_migrate_error *err)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    out->path = strdup(path);
    out->text = strdup(text);
    if (!out->path || !out->text) {
        fail(err, "out of memory");
        sc_migration_free(out);
        return -1;
    }
    const char *body = line_is(out->text, "-- +up") ? out->text : strstr(out->text, "\n-- +up\n");
    if (!body) {
        fail(err, "%s: no '-- +up' line", path);
        sc_migration_free(out);
        return -1;
    }
    if (body != out->text)
        body++;
    out->revision = header_value(out->text, body, "revision");
    out->down_revision = header_value(out->text, body, "down_revision");
    out->down_checksum = header_value(out->text, body, "down_checksum");
    out->message = header_value(out->text, body, "message");
    out->checksum = header_value(out->text, body, "checksum");
    out->search_path = header_value(out->text, body, "search_path");
    char *tx = header_value(out->text, body, "transactional");
    out->transactional = !tx || strcmp(tx, "false") != 0;
    free(tx);
    char sum[40];
    snprintf(sum, sizeof sum, "fnv1a64:%016llx", fnv1a64(body, len - (size_t)(body - out->text)));
    out->actual_checksum = strdup(sum);
    if (!out->revision || !out->down_revision || !out->checksum) {
        fail(err, "%s: the header needs revision, down_revision and checksum", path);
        sc_migration_free(out);
        return -1;
    }
    out->stmt_text = strdup(body);
    splitter s = {{NULL, NULL}, {0, 0}, {0, 0}, false};
    int rc = out->stmt_text && out->actual_checksum
                 ? split(out->stmt_text, 1 + count_lines(out->text, body), path, &s, err)
                 : fail(err, "out of memory");
    out->up = s.items[0];
    out->nup = s.n[0];
    out->down = s.items[1];
    out->ndown = s.n[1];
    if (rc)
        sc_migration_free(out);
    return rc;
}

static int by_revision(const void *a, const void *b)
{
    return strcmp(((const sc_migration *)a)->revision, ((const sc_migration *)b)->revision);
}

void sc_migrations_free(sc_migrations *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        sc_migration_free(&m->items[i]);
    free(m->items);
    memset(m, 0, sizeof *m);
}

static bool is_migration_name(const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)name[i]))
            return false;
    return len > 9 && name[4] == '_' && strcmp(name + len - 4, ".sql") == 0;
}

int sc_migrations_load(const char *dir, sc_migrations *out, sc_migrate_error *err)
{
    memset(out, 0, sizeof *out);
    DIR *dp = opendir(dir);
    if (!dp)
        return fail(err, "%s: cannot open the migrations directory: %s", dir, strerror(errno));
    struct dirent *e;
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && (e = readdir(dp))) {
        if (!is_migration_name(e->d_name))
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            sc_migration *p = realloc(out->items, cap * sizeof *p);
            if (!p) {
                rc = fail(err, "out of memory");
                break;
            }
            out->items = p;
        }
        size_t plen = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(plen);
        if (!path) {
            rc = fail(err, "out of memory");
            break;
        }
        snprintf(path, plen, "%s/%s", dir, e->d_name);
        rc = sc_migration_load(path, &out->items[out->n], err);
        free(path);
        if (rc == 0)
            out->n++;
    }
    closedir(dp);
    if (rc) {
        sc_migrations_free(out);
        return -1;
    }
    if (out->n)
        qsort(out->items, out->n, sizeof *out->items, by_revision);
    for (size_t i = 0; i < out->n; i++) {
        const char *want = i ? out->items[i - 1].revision : "none";
        if (i && strcmp(out->items[i].revision, want) == 0) {
            fail(err, "%s and %s both have revision %s: the chain forks (two branches each "
                      "added one); run 'schemac migrate rebase YOURS' to make it linear",
                 out->items[i - 1].path, out->items[i].path, want);
            sc_migrations_free(out);
            return -1;
        }
        /* a 0003 diffed after the other branch's 0002 runs against a schema
         * it was not written for: refuse before touching a database */
        const sc_migration *prev = i ? &out->items[i - 1] : NULL, *cur = &out->items[i];
        if (prev && cur->down_checksum && strcmp(cur->down_checksum, prev->actual_checksum) != 0) {
            fail(err, "%s was generated after a migration whose body hashes to %s, not after %s "
                      "(%s): the chain does not follow; run 'schemac migrate rebase' on the "
                      "chain as the merge left it",
                 cur->path, cur->down_checksum, prev->path, prev->actual_checksum);
            sc_migrations_free(out);
            return -1;
        }
        if (strcmp(out->items[i].down_revision, want) != 0) {
            fail(err, "%s: down_revision is %s, but the previous migration is %s",
                 out->items[i].path, out->items[i].down_revision, want);
            sc_migrations_free(out);
            return -1;
        }
    }
    return 0;
}

/* ---- the database side ------------------------------------------------------- */

static int exec_ok(PGconn *c, const char *sql, sc_migrate_error *err)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
                 ? 0
                 : fail(err, "%s\n  while running: %s", PQerrorMessage(c), sql);
    PQclear(r);
    return rc;
}

static int exec_params(PGconn *c, const char *sql, int n, const char *const *values,
                       sc_migrate_error *err)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
                 ? 0
                 : fail(err, "%s\n  while running: %s", PQerrorMessage(c), sql);
    PQclear(r);
    return rc;
}

static int refuse_pooler(const sc_migrate_options *o, sc_migrate_error *err)
{
    const char *pooler = o && o->pooler ? o->pooler : getenv("DB_POOLER");
    /* as case-blind as the pool's own DB_POOLER parsing (config.c) */
    if (pooler && strcasecmp(pooler, "transaction") == 0)
        return fail(err, "refusing to migrate through a transaction-pooling proxy "
                         "(DB_POOLER=transaction): the session advisory lock that keeps two "
                         "runners apart would leak to other clients. Connect to the server "
                         "directly (or through session pooling) to migrate.");
    return 0;
}

/* Waits for the lock, saying so when another runner holds it. */
static int lock(PGconn *c, const sc_migrate_options *o, sc_migrate_error *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%lld)", (long long)SC_MIGRATE_LOCK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail(err, "cannot take the migration lock: %s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    bool got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (got)
        return 0;
    progress(o, "migrate: another runner holds the migration lock; waiting\n");
    snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%lld)", (long long)SC_MIGRATE_LOCK);
    return exec_ok(c, sql, err);
}

static void unlock(PGconn *c)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%lld)", (long long)SC_MIGRATE_LOCK);
    PQclear(PQexec(c, sql));
    PQclear(PQexec(c, "RESET search_path"));
    /* migrations set their own timeouts; the caller's session gets its own back */
    PQclear(PQexec(c, "RESET lock_timeout"));
    PQclear(PQexec(c, "RESET statement_timeout"));
}

static const char *const version_table =
    "CREATE TABLE IF NOT EXISTS schemac.migrations (\n"
    "    revision text PRIMARY KEY,\n"
    "    down_revision text NOT NULL,\n"
    "    message text NOT NULL,\n"
    "    checksum text NOT NULL,\n"
    "    file text NOT NULL,\n"
    "    applied_at timestamptz NOT NULL DEFAULT now(),\n"
    "    duration_ms bigint NOT NULL\n"
    ")";

/* Created on first use; looked up first so that later runs stay quiet
 * (IF NOT EXISTS would print a notice every time). */
static int ensure_version_table(PGconn *c, sc_migrate_error *err)
{
    PGresult *r = PQexec(c, "SELECT to_regclass('schemac.migrations') IS NOT NULL");
    bool exists = PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (exists)
        return 0;
    return exec_ok(c, "CREATE SCHEMA IF NOT EXISTS schemac", err) ||
           exec_ok(c, version_table, err);
}

typedef struct applied {
    size_t n;
    char **revision, **checksum;
    PGresult *res;
} applied;

static void applied_free(applied *a)
{
    free(a->revision);
    free(a->checksum);
    PQclear(a->res);
    memset(a, 0, sizeof *a);
}

static int read_applied(PGconn *c, applied *out, sc_migrate_error *err)
{
    memset(out, 0, sizeof *out);
    out->res = PQexec(c, "SELECT revision, checksum FROM schemac.migrations ORDER BY revision");
    if (PQresultStatus(out->res) != PGRES_TUPLES_OK) {
        fail(err, "cannot read schemac.migrations: %s", PQerrorMessage(c));
        applied_free(out);
        return -1;
    }
    out->n = (size_t)PQntuples(out->res);
    out->revision = calloc(out->n + 1, sizeof *out->revision);
    out->checksum = calloc(out->n + 1, sizeof *out->checksum);
    if (!out->revision || !out->checksum) {
        applied_free(out);
        return fail(err, "out of memory");
    }
    for (size_t i = 0; i < out->n; i++) {
        out->revision[i] = PQgetvalue(out->res, (int)i, 0);
        out->checksum[i] = PQgetvalue(out->res, (int)i, 1);
    }
    return 0;
}

/* Applied revisions must be the first files, unchanged since they ran, and
 * every file must still match its own header. */
static int verify(const sc_migrations *m, const applied *a, sc_migrate_error *err)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].checksum, m->items[i].actual_checksum) != 0)
            return fail(err, "%s: checksum mismatch: the header says %s but the file hashes to "
                             "%s; the migration was edited after it was generated (regenerate "
                             "it, never edit one by hand)",
                        m->items[i].path, m->items[i].checksum, m->items[i].actual_checksum);
    for (size_t i = 0; i < a->n; i++) {
        if (i >= m->n || strcmp(a->revision[i], m->items[i].revision) != 0)
            return fail(err, "the database has revision %s applied, but %s", a->revision[i],
                        i < m->n ? "the migration files do not have it at that place"
                                 : "no migration file provides it");
        if (strcmp(a->checksum[i], m->items[i].actual_checksum) != 0)
            return fail(err, "%s was changed after it was applied (recorded checksum %s, the "
                             "file now hashes to %s); refusing to continue. Restore the file "
                             "as it was applied and put the change in a new migration.",
                        m->items[i].path, a->checksum[i], m->items[i].actual_checksum);
    }
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* "CREATE TABLE x (" from a statement, for error messages. */
static void first_line(const char *sql, char *buf, size_t size)
{
    size_t n = strcspn(sql, "\n");
    snprintf(buf, size, "%.*s%s", (int)(n < 200 ? n : 200), sql, sql[n] || n > 200 ? " ..." : "");
}

/* After a failure in a migration that is not transactional: what stays and
 * how to go on. */
static void explain_partial(bool up, size_t ran, size_t n, sc_migrate_error *err)
{
    size_t len = strlen(err->message);
    if (ran)
        snprintf(err->message + len, sizeof err->message - len,
                 "\n  statements 1-%zu of %zu of the %s section were applied and stay (this "
                 "migration is not transactional); fix the cause and run 'migrate %s' again: it "
                 "resumes at statement %zu",
                 ran, n, up ? "up" : "down", up ? "up" : "down", ran + 1);
    else
        snprintf(err->message + len, sizeof err->message - len,
                 "\n  no statement was applied; fix the cause and run 'migrate %s' again",
                 up ? "up" : "down");
}

static void report(const sc_migrate_options *o, sc_migrate_step s)
{
    if (o && o->on_step)
        o->on_step(o->step_arg, &s);
}

/* Statement i (0-based) of the section; resuming: a previous run got past
 * some statements. Reports it to the callback before and after. */
static int run_statement(PGconn *c, const sc_migration *m, bool up, size_t i, bool resuming,
                         const sc_migrate_options *o, sc_migrate_error *err)
{
    size_t n = up ? m->nup : m->ndown;
    const sc_migration_stmt *st = &(up ? m->up : m->down)[i];
    sc_migrate_step s = {SC_MIGRATE_STATEMENT, m, up, i + 1, n, st->sql, 0, false, false};
    report(o, s);
    double start = now_ms();
    int done = m->transactional ? 0
                                : sc_mig_prepare_statement(c, st->sql, resuming,
                                                           o ? o->progress : NULL, err);
    PGresult *r = done ? NULL : PQexec(c, st->sql);
    ExecStatusType rs = done ? PGRES_COMMAND_OK : r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    s.event = SC_MIGRATE_STATEMENT_DONE;
    s.ms = now_ms() - start;
    s.skipped = done > 0;
    s.failed = done < 0 || (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK);
    if (s.failed && done == 0) {
        char head[256];
        first_line(st->sql, head, sizeof head);
        const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        fail(err, "%s:%d: statement %zu of the %s section failed: %s\n  statement: %s",
             m->path, st->line, i + 1, up ? "up" : "down", msg ? msg : PQerrorMessage(c), head);
    }
    PQclear(r);
    report(o, s);
    if (s.failed && !m->transactional && done == 0)
        explain_partial(up, i, n, err);
    return s.failed ? -1 : 0;
}

/* Statements from index from on; a migration that is not transactional
 * records each one that went through (see migrate_resume.c). */
static int run_statements(PGconn *c, const sc_migration *m, bool up, size_t from,
                          const sc_migrate_options *o, sc_migrate_error *err)
{
    size_t n = up ? m->nup : m->ndown;
    const sc_migration_stmt *st = up ? m->up : m->down;
    for (size_t i = from; i < n; i++) {
        if (st[i].commit_before && m->transactional &&
            (exec_ok(c, "COMMIT", err) || exec_ok(c, "BEGIN", err)))
            return -1;
        if (run_statement(c, m, up, i, from > 0, o, err))
            return -1;
        if (!m->transactional && sc_mig_record_progress(c, m, up, i + 1, err))
            return -1;
    }
    return 0;
}

static const char *file_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A migration starts or ends: to the callback when there is one (it
 * prints its own lines), else a line to progress. */
static void announce(const sc_migrate_options *o, const sc_migration *m, bool up,
                     sc_migrate_event ev, double ms)
{
    size_t n = up ? m->nup : m->ndown;
    if (o && o->on_step)
        report(o, (sc_migrate_step){ev, m, up, 0, n, NULL, ms, false, false});
    else if (ev == SC_MIGRATE_BEGIN)
        progress(o, "migrate: %s %s (%s) ...\n", up ? "applying" : "reverting",
                 file_name(m->path), m->message ? m->message : "");
    else
        progress(o, "migrate: %s %s in %.0f ms\n", file_name(m->path),
                 up ? "applied" : "reverted", ms);
}

/* One migration up or down, with its version row, in one transaction
 * unless the file says otherwise. On failure the transaction is rolled back
 * and err names the file, line and statement. */
static int run_one(PGconn *c, const sc_migration *m, bool up, const sc_migrate_options *o,
                   sc_migrate_error *err)
{
    announce(o, m, up, SC_MIGRATE_BEGIN, 0);
    double start = now_ms();
    if (m->search_path) {
        const char *v[1] = {m->search_path};
        if (exec_params(c, "SELECT pg_catalog.set_config('search_path', $1, false)", 1, v, err))
            return -1;
    }
    size_t from = 0;
    if (!m->transactional && sc_mig_resume_point(c, m, up, &from, err))
        return -1;
    if (from)
        progress(o, "migrate: resuming %s at statement %zu (a previous run applied %zu)\n",
                 file_name(m->path), from + 1, from);
    if (m->transactional && exec_ok(c, "BEGIN", err))
        return -1;
    if (run_statements(c, m, up, from, o, err)) {
        if (m->transactional)
            PQclear(PQexec(c, "ROLLBACK"));
        return -1;
    }
    char ms[32];
    snprintf(ms, sizeof ms, "%.0f", now_ms() - start);
    const char *v[6] = {m->revision, m->down_revision, m->message ? m->message : "",
                        m->actual_checksum, file_name(m->path), ms};
    int rc = up ? exec_params(c, "INSERT INTO schemac.migrations (revision, down_revision, message, "
                                 "checksum, file, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                              6, v, err)
                : exec_params(c, "DELETE FROM schemac.migrations WHERE revision = $1", 1, v, err);
    if (rc == 0 && !m->transactional)
        rc = sc_mig_clear_progress(c, m, err);
    if (rc == 0 && m->transactional)
        rc = exec_ok(c, "COMMIT", err);
    if (rc) {
        if (m->transactional)
            PQclear(PQexec(c, "ROLLBACK"));
        return -1;
    }
    announce(o, m, up, SC_MIGRATE_END, now_ms() - start);
    return 0;
}

/* "head"/NULL -> last index + 1; "0002" or "2" -> count of files up to it. */
static int resolve_target(const sc_migrations *m, const char *target, size_t *count,
                          sc_migrate_error *err)
{
    if (!target || !*target || strcmp(target, "head") == 0) {
        *count = m->n;
        return 0;
    }
    if (strcmp(target, "none") == 0 || strcmp(target, "base") == 0) {
        *count = 0;
        return 0;
    }
    char *end;
    long want = strtol(target, &end, 10);
    for (size_t i = 0; *end == '\0' && i < m->n; i++)
        if (atol(m->items[i].revision) == want) {
            *count = i + 1;
            return 0;
        }
    return fail(err, "unknown revision '%s' (revisions: 0001 to %s, head, base or none)", target,
                m->n ? m->items[m->n - 1].revision : "none");
}

/* Lock, version table, applied rows, verification: what every verb that
 * touches the database does first. */
static int begin_session(PGconn *c, const sc_migrations *m, const sc_migrate_options *o,
                         applied *a, sc_migrate_error *err)
{
    if (refuse_pooler(o, err))
        return -1;
    if (PQstatus(c) != CONNECTION_OK) {
        fail(err, "not connected: %s", PQerrorMessage(c));
        if (err) /* libpq's message may quote the password */
            sc_scrub(err->message, PQpass(c));
        return -1;
    }
    if (lock(c, o, err))
        return -1;
    if (ensure_version_table(c, err) || read_applied(c, a, err) || verify(m, a, err)) {
        applied_free(a);
        unlock(c);
        return -1;
    }
    return 0;
}

int sc_migrate_up(PGconn *c, const sc_migrations *m, const char *target,
                  const sc_migrate_options *o, sc_migrate_error *err)
{
    size_t count;
    applied a;
    if (resolve_target(m, target, &count, err) || begin_session(c, m, o, &a, err))
        return -1;
    int rc = 0;
    if (a.n >= count)
        progress(o, "migrate: nothing to do: the database is at %s\n",
                 a.n ? a.revision[a.n - 1] : "none");
    for (size_t i = a.n; rc == 0 && i < count; i++)
        rc = run_one(c, &m->items[i], true, o, err);
    applied_free(&a);
    unlock(c);
    return rc;
}

int sc_migrate_down(PGconn *c, const sc_migrations *m, int n, const sc_migrate_options *o,
                    sc_migrate_error *err)
{
    applied a;
    if (n < 0)
        return fail(err, "down needs a count of at least 0, not %d", n);
    if (begin_session(c, m, o, &a, err))
        return -1;
    int rc = 0;
    if (a.n == 0)
        progress(o, "migrate: nothing to revert: no migration is applied\n");
    for (size_t i = a.n; rc == 0 && i > 0 && a.n - i < (size_t)n; i--)
        rc = run_one(c, &m->items[i - 1], false, o, err);
    applied_free(&a);
    unlock(c);
    return rc;
}

int sc_migrate_down_to(PGconn *c, const sc_migrations *m, const char *target,
                       const sc_migrate_options *o, sc_migrate_error *err)
{
    size_t count;
    applied a;
    if (!target)
        return fail(err, "down --to needs a revision (e.g. 0002, base)");
    if (resolve_target(m, target, &count, err) || begin_session(c, m, o, &a, err))
        return -1;
    int rc = 0;
    if (count > a.n)
        rc = fail(err, "the database is at %s, below %s: 'migrate up %s' goes there",
                  a.n ? a.revision[a.n - 1] : "base", m->items[count - 1].revision,
                  m->items[count - 1].revision);
    else if (count == a.n)
        progress(o, "migrate: nothing to revert: the database is at %s\n",
                 a.n ? a.revision[a.n - 1] : "base");
    for (size_t i = a.n; rc == 0 && i > count; i--)
        rc = run_one(c, &m->items[i - 1], false, o, err);
    applied_free(&a);
    unlock(c);
    return rc;
}

int sc_migrate_current(PGconn *c, char *rev, size_t size, sc_migrate_error *err)
{
    PGresult *r = PQexec(c, "SELECT CASE WHEN to_regclass('schemac.migrations') IS NULL THEN NULL "
                            "ELSE 1 END");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail(err, "%s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    bool exists = !PQgetisnull(r, 0, 0);
    PQclear(r);
    snprintf(rev, size, "none");
    if (!exists)
        return 0;
    r = PQexec(c, "SELECT max(revision) FROM schemac.migrations");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail(err, "%s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    if (!PQgetisnull(r, 0, 0))
        snprintf(rev, size, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int sc_migrate_history(PGconn *c, const sc_migrations *m, FILE *out, sc_migrate_error *err)
{
    char cur[64];
    if (sc_migrate_current(c, cur, sizeof cur, err))
        return -1;
    PGresult *r = NULL;
    if (strcmp(cur, "none") != 0) {
        r = PQexec(c, "SELECT revision, to_char(applied_at AT TIME ZONE 'UTC', "
                      "'YYYY-MM-DD HH24:MI:SS'), duration_ms FROM schemac.migrations");
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fail(err, "%s", PQerrorMessage(c));
            PQclear(r);
            return -1;
        }
    }
    for (size_t i = 0; i < m->n; i++) {
        const sc_migration *mi = &m->items[i];
        int row = -1;
        for (int k = 0; r && k < PQntuples(r); k++)
            if (strcmp(PQgetvalue(r, k, 0), mi->revision) == 0)
                row = k;
        if (row >= 0)
            fprintf(out, "%s  %-40s  applied %s UTC in %s ms%s\n", mi->revision, mi->message,
                    PQgetvalue(r, row, 1), PQgetvalue(r, row, 2),
                    strcmp(mi->revision, cur) == 0 ? "  (current)" : "");
        else
            fprintf(out, "%s  %-40s  pending\n", mi->revision, mi->message);
    }
    PQclear(r);
    return 0;
}

int sc_migrate_stamp(PGconn *c, const sc_migrations *m, const char *rev,
                     const sc_migrate_options *o, sc_migrate_error *err)
{
    size_t count;
    applied a;
    if (!rev)
        return fail(err, "stamp needs a revision");
    if (resolve_target(m, rev, &count, err) || begin_session(c, m, o, &a, err))
        return -1;
    int rc = exec_ok(c, "BEGIN", err);
    for (size_t i = count; rc == 0 && i < a.n; i++) {
        const char *v[1] = {a.revision[i]};
        rc = exec_params(c, "DELETE FROM schemac.migrations WHERE revision = $1", 1, v, err);
    }
    for (size_t i = a.n; rc == 0 && i < count; i++) {
        const sc_migration *mi = &m->items[i];
        const char *v[5] = {mi->revision, mi->down_revision, mi->message ? mi->message : "",
                            mi->actual_checksum, file_name(mi->path)};
        rc = exec_params(c, "INSERT INTO schemac.migrations (revision, down_revision, message, "
                            "checksum, file, duration_ms) VALUES ($1, $2, $3, $4, $5, 0)",
                         5, v, err);
    }
    rc = rc ? rc : exec_ok(c, "COMMIT", err);
    if (rc)
        PQclear(PQexec(c, "ROLLBACK"));
    else
        progress(o, "migrate: stamped %s without running anything\n",
                 count ? m->items[count - 1].revision : "none");
    applied_free(&a);
    unlock(c);
    return rc;
}

/* ---- offline SQL ------------------------------------------------------------ */

static void print_sql_literal(FILE *out, const char *s)
{
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', out);
        fputc(*s, out);
    }
    fputc('\'', out);
}

static void print_one(const sc_migration *m, bool up, FILE *out)
{
    fprintf(out, "-- %s %s: %s\n", up ? "up" : "down", file_name(m->path), m->message);
    if (m->search_path)
        fprintf(out, "SET search_path = %s;\n", m->search_path);
    if (m->transactional)
        fputs("BEGIN;\n", out);
    size_t n = up ? m->nup : m->ndown;
    const sc_migration_stmt *st = up ? m->up : m->down;
    for (size_t i = 0; i < n; i++) {
        if (st[i].commit_before && m->transactional)
            fputs("COMMIT;\nBEGIN;\n", out);
        fprintf(out, "%s;\n", st[i].sql);
    }
    if (up) {
        fputs("INSERT INTO schemac.migrations (revision, down_revision, message, checksum, file, "
              "duration_ms) VALUES (", out);
        const char *v[5] = {m->revision, m->down_revision, m->message ? m->message : "",
                            m->actual_checksum, file_name(m->path)};
        for (int i = 0; i < 5; i++) {
            print_sql_literal(out, v[i]);
            fputs(", ", out);
        }
        fputs("0);\n", out);
    } else {
        fputs("DELETE FROM schemac.migrations WHERE revision = ", out);
        print_sql_literal(out, m->revision);
        fputs(";\n", out);
    }
    if (m->transactional)
        fputs("COMMIT;\n", out);
    fputs("\n", out);
}

int sc_migrate_sql(const sc_migrations *m, const char *range, FILE *out, sc_migrate_error *err)
{
    size_t from = 0, to = m->n;
    if (range && *range) {
        const char *colon = strchr(range, ':');
        char first[64];
        snprintf(first, sizeof first, "%.*s", colon ? (int)(colon - range) : (int)strlen(range),
                 range);
        if (colon) {
            if (resolve_target(m, first, &from, err) || resolve_target(m, colon + 1, &to, err))
                return -1;
        } else if (resolve_target(m, first, &to, err)) {
            return -1;
        }
    }
    fputs("-- Generated by schemac migrate sql: what 'migrate up/down' would run.\n"
          "CREATE SCHEMA IF NOT EXISTS schemac;\n", out);
    fprintf(out, "%s;\n\n", version_table);
    for (size_t i = from; i < to; i++)
        print_one(&m->items[i], true, out);
    for (size_t i = from; i > to; i--)
        print_one(&m->items[i - 1], false, out);
    return 0;
}

/* libpq's connection errors can quote the connection string, password
 * included (`invalid percent-encoded token: "pw%zz"`): a string it cannot
 * parse gets a fixed message, any other has its password scrubbed. */
const char *sc_migrate_connect_error(const char *url, const PGconn *c, char *buf, size_t n)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(url ? url : "", &why);
    PQfreemem(why); /* quotes the input */
    if (!opts) {
        sc_copy_str(buf, n, "DATABASE_URL: libpq cannot parse the connection string");
        return buf;
    }
    sc_copy_str(buf, n, c ? PQerrorMessage(c) : "out of memory");
    size_t len = n ? strlen(buf) : 0;
    if (len && buf[len - 1] == '\n') /* one shape for both cases: no newline */
        buf[len - 1] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0)
            sc_scrub(buf, o->val);
    sc_scrub(buf, c ? PQpass(c) : NULL);
    PQconninfoFree(opts);
    return buf;
}
