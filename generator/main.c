/* schemac: the command line. Every verb is a row of the table below, which
 * also carries its help text; the work is done by the library in
 * schemac_gen.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "drift.h"
#include "import.h"
#include "migrate.h"
#include "sc_migrate.h"
#include "schemac_gen.h"

static int migrate_main(int argc, char **argv);
static int run_init(const gen_options *o, gen_diag *d);

typedef struct verb {
    const char *name;
    const char *usage;
    const char *help;
    int (*run)(const gen_options *o, gen_diag *d);
} verb;

static const verb verbs[] = {
    {"init", "init [DIR]",
     "Starts a new project in DIR (default: the current directory; created if\n"
     "missing): schema/app.yaml, a commented starter schema (two tables with a\n"
     "foreign key, an enum with a state machine, a named query and its tests);\n"
     "a Makefile (make: regenerate generated/ and build; make test: the generated\n"
     "tests on a scratch database; make migration, migrate, run, check); src/main.c;\n"
     "README.md; .gitignore; generated/ and its first migration. The Makefile\n"
     "builds against this schemac's source tree when it runs from one (build/\n"
     "schemac), else against the installed one (pkg-config libschemac).\n"
     "Refuses, writing nothing, when DIR holds one of those files or generated/.",
     run_init},
    {"generate", "generate [--schema FILE] [--out DIR] [--templates DIR]",
     "Validates the schema and writes the generated C sources into DIR.\n"
     "Nothing is written when the schema has errors; files whose bytes are\n"
     "unchanged are left alone.",
     gen_generate},
    {"check-schema", "check-schema [--schema FILE | FILE]",
     "Validates the schema and reports every error as file:line:col; writes nothing.",
     gen_check_schema},
    {"vet", "vet [--schema FILE]",
     "Prepares every statement of every repository (standard operations and every\n"
     "variant of every named query) on a PostgreSQL server and compares parameter\n"
     "and result types with what the generated C encodes and decodes; each problem\n"
     "is reported at its query's file:line:col. Needs a server where the user may\n"
     "create a database: the one DATABASE_URL names (or libpq's PGHOST/PGPORT\n"
     "defaults) gets a scratch database with the schema's DDL, dropped afterwards;\n"
     "the database the URL names is not touched. Exit 0 clean, 1 problems,\n"
     "2 no server (e.g. tests/pg/with-pg build/schemac vet).",
     gen_vet},
    {"migrate", "migrate SUBVERB [ARGS]   (new, rebase, up, down, current, history, stamp, sql, check, drift)",
     "Versioned migrations in generated/migrations: 'schemac migrate --help' lists\n"
     "the sub-verbs, 'schemac migrate SUBVERB --help' explains one.",
     NULL},
    {"import", "import [--database URL] [--schema NAME] [--prefix P] [--out FILE]",
     "Writes a live database's schema as a schema file ('schemac import --help').",
     NULL},
    {"erd", "erd [--schema FILE | FILE] [--format dot|svg|mermaid] [--out FILE]",
     "Draws the schema as an entity-relationship diagram: tables with their\n"
     "columns, types, keys and nullability, foreign keys with their ON DELETE,\n"
     "partition counts, enums. dot is Graphviz input, svg is that drawn by\n"
     "Graphviz's dot (which must be installed), mermaid is an erDiagram for\n"
     "pull-request descriptions. Deterministic; 'make erd' writes docs/semantik.svg.",
     gen_erd},
};

/* erd writes one document: --out is a FILE (stdout by default), --format. */
static const char *const erd_option_help =
    "  --schema FILE     the schema (default schema/semantik.yaml)\n"
    "  --format F        dot (default), svg or mermaid\n"
    "  --out FILE        write the diagram to FILE (default: standard output)\n"
    "  --help            this text\n";

static const char *const option_help =
    "  --schema FILE     the schema (default schema/semantik.yaml)\n"
    "  --out DIR         the output directory (default generated)\n"
    "  --templates DIR   templates overriding the built-in set\n"
    "  --help            this text\n";

static void print_usage(FILE *f)
{
    fprintf(f, "usage: schemac VERB [OPTIONS]   (schemac %s)\n\nverbs:\n", SCHEMAC_GEN_VERSION);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  schemac %s\n", verbs[i].usage);
    fprintf(f, "\n'schemac VERB --help' explains a verb.\n");
}

static void print_verb_help(const verb *v)
{
    printf("usage: schemac %s\n\n%s\n\noptions:\n%s", v->usage, v->help,
           v->run == gen_erd ? erd_option_help
           : v->run == run_init ? "  --help            this text\n"
                                : option_help);
}

static const verb *find_verb(const char *name)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(verbs[i].name, name) == 0)
            return &verbs[i];
    return NULL;
}

static const char init_default_dir[] = ".";

/* Returns 0, 1 for a usage error, or -1 when --help was printed. */
static int parse_options(const verb *v, int argc, char **argv, gen_options *o)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_verb_help(v);
            return -1;
        } else if (v->run == run_init) { /* init [DIR]: nothing else */
            if (arg[0] == '-' || o->out_dir != init_default_dir) {
                fprintf(stderr, "schemac init: unexpected argument '%s'\n", arg);
                return 1;
            }
            o->out_dir = arg;
            continue;
        } else if (strcmp(arg, "--schema") == 0) {
            slot = &o->schema_path;
        } else if (strcmp(arg, "--out") == 0) {
            slot = v->run == gen_erd ? &o->out_file : &o->out_dir;
        } else if (strcmp(arg, "--format") == 0 && v->run == gen_erd) {
            slot = &o->format;
        } else if (strcmp(arg, "--templates") == 0 && v->run != gen_erd) {
            slot = &o->templates_dir;
        } else if (arg[0] != '-') {
            o->schema_path = arg;
            continue;
        } else {
            fprintf(stderr, "schemac %s: unknown option '%s'\n", v->name, arg);
            return 1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "schemac %s: %s needs a value\n", v->name, arg);
            return 1;
        }
        *slot = argv[++i];
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("schemac %s\n", SCHEMAC_GEN_VERSION);
        return 0;
    }
    const verb *v = find_verb(argv[1]);
    if (!v) {
        fprintf(stderr, "schemac: unknown verb '%s'\n", argv[1]);
        print_usage(stderr);
        return 2;
    }
    if (!v->run && strcmp(v->name, "import") == 0)
        return gen_import_main(argc - 2, argv + 2);
    if (!v->run)
        return migrate_main(argc - 2, argv + 2);
    gen_options o = {.schema_path = "schema/semantik.yaml",
                     .out_dir = v->run == run_init ? init_default_dir : "generated"};
    int rc = parse_options(v, argc - 2, argv + 2, &o);
    if (rc)
        return rc < 0 ? 0 : 2;
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    rc = v->run(&o, &d);
    gen_diag_flush(&d);
    if (d.errors)
        fprintf(stderr, "%d error%s\n", d.errors, d.errors == 1 ? "" : "s");
    gen_diag_release(&d);
    return rc == 2 ? 2 : rc ? 1 : 0; /* vet's 2: no server to ask */
}

/* The source tree this binary was built in: <root>/build/schemac or
 * <root>/build/san/schemac beside <root>/runtime. Writes root and returns
 * the build directory relative to it, or NULL for an installed schemac. */
static const char *source_tree(char *root, size_t size)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    static const char *const builds[] = {"/build/san/schemac", "/build/schemac"};
    for (size_t i = 0; i < 2; i++) {
        size_t len = strlen(builds[i]);
        if ((size_t)n <= len || strcmp(exe + n - len, builds[i]) != 0)
            continue;
        snprintf(root, size, "%.*s", (int)((size_t)n - len), exe);
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/runtime/sc_migrate.h", root);
        if (access(probe, R_OK) == 0)
            return i == 0 ? "build/san" : "build";
    }
    return NULL;
}

static int run_init(const gen_options *o, gen_diag *d)
{
    char root[4096];
    const char *build = source_tree(root, sizeof root);
    gen_init_options io = {o->out_dir, build ? root : NULL, build};
    return gen_init(&io, d);
}

/* ---- schemac migrate SUBVERB --------------------------------------------
 * Offline sub-verbs (new, check, sql) need no database; the others connect
 * to DATABASE_URL and run through runtime/sc_migrate.h. */

typedef struct migrate_args {
    gen_migrate_options o;
    const char *arg;         /* the positional argument: TARGET, N, REV, RANGE */
    const char *to;          /* down --to REV */
    bool quiet, verbose;     /* up/down: progress output (see migrate_progress) */
} migrate_args;

/* The options a sub-verb takes: its --help lists those, its parser refuses
 * the others. */
enum { O_SCHEMA = 1, O_OUT = 2, O_DIR = 4, O_MESSAGE = 8, O_DESTRUCTIVE = 16, O_TIMEOUTS = 32,
       O_TO = 64, O_SCRATCH = 256, O_PROGRESS = 512,
       O_DB = 128 /* not an option: the verb connects to DATABASE_URL */ };

typedef struct subverb {
    const char *name, *usage, *help;
    int (*run)(const migrate_args *a);
    unsigned options;
} subverb;

typedef struct migrate_option {
    const char *name, *alias, *value, *help;
    unsigned bit;
    size_t slot;             /* an option with a value: offsetof its string in migrate_args */
    size_t flag;             /* a flag (value NULL): offsetof its bool in migrate_args */
} migrate_option;

static const migrate_option migrate_options[] = {
    {"--schema", NULL, "FILE", "the schema (default schema/semantik.yaml)", O_SCHEMA,
     offsetof(migrate_args, o.schema_path), 0},
    {"--out", NULL, "DIR", "the generated directory (default generated)", O_OUT,
     offsetof(migrate_args, o.out_dir), 0},
    {"--dir", NULL, "DIR", "the migrations directory (default <out>/migrations)", O_DIR,
     offsetof(migrate_args, o.migrations_dir), 0},
    {"-m", "--message", "MESSAGE", "the message of the new migration", O_MESSAGE,
     offsetof(migrate_args, o.message), 0},
    {"--allow-destructive", NULL, NULL, "go ahead with changes that destroy data (backed up first)",
     O_DESTRUCTIVE, 0, offsetof(migrate_args, o.allow_destructive)},
    {"--lock-timeout", NULL, "T", "lock_timeout of each section (default 5s)", O_TIMEOUTS,
     offsetof(migrate_args, o.lock_timeout), 0},
    {"--statement-timeout", NULL, "T", "statement_timeout of each section (default 15min)",
     O_TIMEOUTS, offsetof(migrate_args, o.statement_timeout), 0},
    {"--to", NULL, "REV", "revert until the database is at REV (a revision, or base)", O_TO,
     offsetof(migrate_args, to), 0},
    {"--scratch-url", NULL, "URL", "an empty database to build the expected schema in", O_SCRATCH,
     offsetof(migrate_args, o.scratch_url), 0},
    {"--quiet", "-q", NULL, "print nothing but errors", O_PROGRESS, 0,
     offsetof(migrate_args, quiet)},
    {"--verbose", "-v", NULL, "print every statement with its duration, also when piped",
     O_PROGRESS, 0, offsetof(migrate_args, verbose)},
};

enum { NMIGRATE_OPTIONS = sizeof migrate_options / sizeof migrate_options[0] };

static int run_new(const migrate_args *a)
{
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    int rc = gen_migrate_new(&a->o, &d, NULL);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return rc;
}

static int run_check(const migrate_args *a)
{
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    int rc = gen_migrate_check(&a->o, &d);
    gen_diag_flush(&d);
    if (d.errors)
        fprintf(stderr, "migrate check: %d problem%s\n", d.errors, d.errors == 1 ? "" : "s");
    gen_diag_release(&d);
    return rc;
}

static int run_rebase(const migrate_args *a)
{
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    int rc = gen_migrate_rebase(&a->o, a->arg, &d, NULL);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    return rc;
}

/* Loads the migration files, connects when db is set, runs fn. */
static int with_migrations(const migrate_args *a, bool db,
                           int (*fn)(PGconn *c, const sc_migrations *m, const migrate_args *a,
                                     sc_migrate_error *err))
{
    char buf[4096];
    const char *dir = gen_migrations_dir(&a->o, buf, sizeof buf);
    sc_migrations m;
    sc_migrate_error err = {{0}};
    if (sc_migrations_load(dir, &m, &err)) {
        fprintf(stderr, "schemac migrate: %s\n", err.message);
        return 1;
    }
    PGconn *c = NULL;
    int rc = 0;
    if (db) {
        const char *url = getenv("DATABASE_URL");
        if (!url || !*url) {
            fprintf(stderr, "schemac migrate: DATABASE_URL is not set\n");
            sc_migrations_free(&m);
            return 1;
        }
        c = PQconnectdb(url);
        if (PQstatus(c) != CONNECTION_OK) {
            char why[1024]; /* libpq's message can quote the password */
            fprintf(stderr, "schemac migrate: cannot connect: %s\n",
                    sc_migrate_connect_error(url, c, why, sizeof why));
            rc = 1;
        }
    }
    if (rc == 0 && fn(c, &m, a, &err)) {
        fprintf(stderr, "schemac migrate: %s\n", err.message);
        rc = 1;
    }
    PQfinish(c);
    sc_migrations_free(&m);
    return rc;
}

/* ---- progress of up and down ---------------------------------------------
 * On stderr (stdout stays for what a verb prints as its answer). A terminal,
 * or --verbose, gets one line per statement as it runs:
 *   [37/101] CREATE INDEX CONCURRENTLY chunks_p37_doc_idx ON ... ... 1.24 s
 * (the text is written before the statement runs and the duration after, so
 * a slow statement shows while it runs); a pipe gets one line per migration,
 * so CI logs stay short. --quiet prints nothing but errors. */

typedef struct migrate_progress {
    FILE *out;
    bool statements;         /* a line per statement, not only per migration */
    int width;               /* of the statement text */
    bool open;               /* a statement line waits for its duration */
    bool quiet;
} migrate_progress;

/* sql on one line (whitespace runs become one space), cut to width
 * characters; never inside a UTF-8 sequence (a COMMENT's text). */
static void print_one_line(FILE *out, const char *sql, int width)
{
    int n = 0;
    for (const char *p = sql; *p && (n < width || ((unsigned char)*p & 0xC0) == 0x80); p++) {
        if (((unsigned char)*p & 0xC0) == 0x80) {
            fputc(*p, out); /* continues the character counted before */
            continue;
        }
        if (strchr(" \t\r\n", *p)) {
            while (p[1] && strchr(" \t\r\n", p[1]))
                p++;
            if (!p[1])
                break;
            fputc(' ', out);
        } else {
            fputc(*p, out);
        }
        n++;
    }
    fputs(n >= width ? "... " : " ... ", out);
}

static void on_statement(migrate_progress *p, const sc_migrate_step *s)
{
    if (s->event == SC_MIGRATE_STATEMENT) {
        fprintf(p->out, "[%zu/%zu] ", s->index, s->count);
        print_one_line(p->out, s->sql, p->width);
        p->open = true;
        return;
    }
    if (!p->open) /* a server notice came between: say which statement ended */
        fprintf(p->out, "[%zu/%zu] ... ", s->index, s->count);
    if (s->failed)
        fprintf(p->out, "failed after %.2f s\n", s->ms / 1e3);
    else if (s->skipped)
        fprintf(p->out, "already done\n");
    else
        fprintf(p->out, "%.2f s\n", s->ms / 1e3);
    p->open = false;
}

static void on_migrate_step(void *arg, const sc_migrate_step *s)
{
    migrate_progress *p = arg;
    const sc_migration *m = s->migration;
    const char *msg = m->message ? m->message : "";
    if (s->event == SC_MIGRATE_BEGIN && p->statements)
        fprintf(p->out, "%s %s: %s (%zu statements)\n", m->revision,
                s->up ? "applying" : "reverting", msg, s->count);
    else if (s->event == SC_MIGRATE_END)
        fprintf(p->out, "%s %s: %s (%zu statement%s, %.2f s)\n", m->revision,
                s->up ? "applied" : "reverted", msg, s->count, s->count == 1 ? "" : "s",
                s->ms / 1e3);
    else if (s->event != SC_MIGRATE_BEGIN && p->statements)
        on_statement(p, s);
    fflush(p->out);
}

/* The statement text's width: what a terminal leaves beside "[i/n] " and
 * the duration; 100 columns in a log. */
static int statement_width(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 60)
        return ws.ws_col - 30;
    return 100;
}

/* The server's NOTICEs belong to a statement: they are shown with the
 * statements, not among the one-line-per-migration summary (where "schema
 * ... already exists, skipping" is noise); WARNINGs always, but not with
 * --quiet. An open statement line is ended first. */
static void on_notice(void *arg, const char *message)
{
    migrate_progress *p = arg;
    bool warning = strncmp(message, "WARNING", 7) == 0;
    if (p->quiet || !(p->statements || warning))
        return;
    if (p->open)
        fputc('\n', p->out);
    p->open = false;
    fputs(message, p->out);
}

/* The runner's options for a's --quiet/--verbose; p is the callback's (and
 * c's notice processor's). */
static sc_migrate_options progress_options(PGconn *c, const migrate_args *a, migrate_progress *p)
{
    *p = (migrate_progress){stderr, a->verbose || isatty(fileno(stderr)), 0, false, a->quiet};
    p->width = statement_width(stderr);
    PQsetNoticeProcessor(c, on_notice, p);
    if (a->quiet)
        return (sc_migrate_options){.progress = NULL};
    return (sc_migrate_options){.progress = stderr, .on_step = on_migrate_step, .step_arg = p};
}

/* An error after a statement line that got no duration starts a line. */
static int progress_end(const migrate_progress *p, int rc)
{
    if (p->open)
        fputc('\n', p->out);
    return rc;
}

static int do_up(PGconn *c, const sc_migrations *m, const migrate_args *a, sc_migrate_error *e)
{
    migrate_progress p;
    sc_migrate_options o = progress_options(c, a, &p);
    return progress_end(&p, sc_migrate_up(c, m, a->arg, &o, e));
}

/* down N or down --to REV. */
static int down_with(PGconn *c, const sc_migrations *m, const migrate_args *a,
                     const sc_migrate_options *o, sc_migrate_error *e)
{
    if (a->to && a->arg) {
        snprintf(e->message, sizeof e->message, "down takes a count or --to REV, not both");
        return -1;
    }
    if (a->to)
        return sc_migrate_down_to(c, m, a->to, o, e);
    char *end;
    long n = a->arg ? strtol(a->arg, &end, 10) : 1;
    if (a->arg && (*end || n < 0)) {
        snprintf(e->message, sizeof e->message,
                 "down takes a count (default 1) or --to REV, not '%s'", a->arg);
        return -1;
    }
    return sc_migrate_down(c, m, (int)n, o, e);
}

static int do_down(PGconn *c, const sc_migrations *m, const migrate_args *a, sc_migrate_error *e)
{
    migrate_progress p;
    sc_migrate_options o = progress_options(c, a, &p);
    int rc = down_with(c, m, a, &o, e);
    return progress_end(&p, rc);
}

static int do_current(PGconn *c, const sc_migrations *m, const migrate_args *a, sc_migrate_error *e)
{
    (void)m, (void)a;
    char rev[64];
    if (sc_migrate_current(c, rev, sizeof rev, e))
        return -1;
    printf("%s\n", rev);
    return 0;
}

static int do_history(PGconn *c, const sc_migrations *m, const migrate_args *a, sc_migrate_error *e)
{
    (void)a;
    return sc_migrate_history(c, m, stdout, e);
}

static int do_stamp(PGconn *c, const sc_migrations *m, const migrate_args *a, sc_migrate_error *e)
{
    sc_migrate_options o = {.progress = stderr};
    return sc_migrate_stamp(c, m, a->arg, &o, e);
}

static int do_sql(PGconn *c, const sc_migrations *m, const migrate_args *a, sc_migrate_error *e)
{
    (void)c;
    return sc_migrate_sql(m, a->arg, stdout, e);
}

static int run_up(const migrate_args *a) { return with_migrations(a, true, do_up); }
static int run_down(const migrate_args *a) { return with_migrations(a, true, do_down); }
static int run_current(const migrate_args *a) { return with_migrations(a, true, do_current); }
static int run_history(const migrate_args *a) { return with_migrations(a, true, do_history); }
static int run_sql(const migrate_args *a) { return with_migrations(a, false, do_sql); }

static int run_stamp(const migrate_args *a)
{
    if (!a->arg) {
        fprintf(stderr, "schemac migrate stamp: a revision is required (e.g. 0001, head, base)\n");
        return 2;
    }
    return with_migrations(a, true, do_stamp);
}

/* Exit 0: no drift, 1: drift, 2: no answer (usage, connection, build). */
static int run_drift(const migrate_args *a)
{
    char buf[4096];
    gen_drift_options o = {getenv("DATABASE_URL"), a->o.scratch_url,
                           gen_migrations_dir(&a->o, buf, sizeof buf), stdout};
    sc_migrate_error err = {{0}};
    int rc = gen_drift(&o, &err);
    if (rc == GEN_DRIFT_ERROR)
        fprintf(stderr, "schemac migrate drift: %s\n", err.message);
    return rc;
}

static const subverb subverbs[] = {
    {"new", "migrate new -m MESSAGE [--allow-destructive] [--lock-timeout T] [--statement-timeout T]",
     "Compares the schema with the snapshot of the newest migration and writes the\n"
     "next one (NNNN_slug.sql with up and down sections, plus its snapshot).\n"
     "Prints \"no changes\" and writes nothing when the schema is unchanged. The\n"
     "first run writes 0001, which creates the whole schema. No database needed.\n"
     "Refuses a change that destroys data (drop table or column, narrowing type,\n"
     "enum value removal) unless --allow-destructive: then the migration backs the\n"
     "data up in schema schemac_backup, verifies the copy, and its down restores it.\n"
     "Refuses ambiguous renames and NOT NULL columns without default or backfill.\n"
     "Lints locks (see README); each section sets lock_timeout (default 5s) and\n"
     "statement_timeout (default 15min), overridden with the options.",
     run_new, O_SCHEMA | O_OUT | O_DIR | O_MESSAGE | O_DESTRUCTIVE | O_TIMEOUTS},
    {"rebase", "migrate rebase [MINE[,MINE...]] [--allow-destructive]",
     "After a git merge brought two migrations with one revision (two branches each\n"
     "ran 'migrate new'): removes MINE (file name, NNNN_slug or slug; the ones\n"
     "diffed after it go too) and its snapshot, keeps theirs, and writes one migration\n"
     "after theirs, diffed from the merged schema against their newest snapshot,\n"
     "with MINE's message and timeouts and fresh checksums. Mine is named, not\n"
     "guessed: the files cannot tell which branch a 0002 came from. It may destroy\n"
     "only what MINE destroyed, unless --allow-destructive. Without MINE it names\n"
     "the forked files. No database needed; a database that applied MINE must\n"
     "'migrate down' it first (before the merge) or be recreated.",
     run_rebase, O_SCHEMA | O_OUT | O_DIR | O_DESTRUCTIVE},
    {"up", "migrate up [TARGET]",
     "Applies pending migrations up to TARGET (a revision or head, the default)\n"
     "against DATABASE_URL,\n"
     "each in one transaction unless its header says otherwise, under an advisory\n"
     "lock. Refuses applied migrations whose files changed.",
     run_up, O_OUT | O_DIR | O_PROGRESS | O_DB},
    {"down", "migrate down [N | --to REV]",
     "Reverts the newest N applied migrations (default 1), or every migration above\n"
     "REV (--to base reverts them all). Each down runs in one transaction unless its\n"
     "header says otherwise.",
     run_down, O_OUT | O_DIR | O_TO | O_PROGRESS | O_DB},
    {"current", "migrate current", "Prints the newest applied revision, or none.", run_current,
     O_OUT | O_DIR | O_DB},
    {"history", "migrate history", "Lists every migration: applied (when, how long) or pending.",
     run_history, O_OUT | O_DIR | O_DB},
    {"stamp", "migrate stamp REV",
     "Records REV (a revision, head, or base/none) as applied without running anything.",
     run_stamp, O_OUT | O_DIR | O_DB},
    {"sql", "migrate sql [RANGE]",
     "Prints, without touching any database, the SQL that up (RANGE: B, or A:B with\n"
     "A < B) or down (A:B with A > B) would run. Default: every migration up.",
     run_sql, O_OUT | O_DIR},
    {"check", "migrate check",
     "For CI: fails when the schema has changes no migration covers, when generated/\n"
     "is stale, when a migration's checksum does not match its body, or when a\n"
     "migration breaks the lock lint without a waiver.",
     run_check, O_SCHEMA | O_OUT | O_DIR},
    {"drift", "migrate drift [--scratch-url URL]",
     "Compares the database of DATABASE_URL with what its migrations make: the\n"
     "migrations up to the revision the database records run in a scratch database\n"
     "(created on the same server and dropped again; --scratch-url names an empty\n"
     "database to use instead, where the user may not create databases), and every\n"
     "hand-made difference in the schemas the migrations own is one line:\n"
     "  extra index s.ix_foo: CREATE INDEX ix_foo ON s.t USING btree (c)\n"
     "  missing column s.t.c: integer, not null, default 0\n"
     "  changed default of column s.t.c: '0' -> '1'   (migrations -> database)\n"
     "Tables, partitions, columns (type, not null, default, identity, generated),\n"
     "constraints, indexes, triggers, functions, views, enums, sequences, comments.\n"
     "Exit 0 and \"no drift\" when equal, 1 on drift, 2 when it cannot tell.",
     run_drift, O_OUT | O_DIR | O_SCRATCH | O_DB},
};

static void print_subverb_help(const subverb *sv)
{
    printf("usage: schemac %s\n\n%s\n\noptions:\n", sv->usage, sv->help);
    for (size_t i = 0; i < NMIGRATE_OPTIONS; i++) {
        const migrate_option *mo = &migrate_options[i];
        if (!(sv->options & mo->bit))
            continue;
        char head[64];
        snprintf(head, sizeof head, "%s%s%s", mo->name, mo->value ? " " : "", mo->value ? mo->value : "");
        printf("  %-22s %s\n", head, mo->help);
    }
    printf("  %-22s %s\n", "--help", "this text");
    if (sv->options & O_DB)
        printf("environment: DATABASE_URL (required); DB_POOLER=transaction makes the runner "
               "refuse.\n");
}

/* Sets the option argv[*i] names, taking its value; 1 on a usage error. */
static int take_migrate_option(const subverb *sv, int argc, char **argv, int *i, migrate_args *a)
{
    const char *arg = argv[*i];
    for (size_t k = 0; k < NMIGRATE_OPTIONS; k++) {
        const migrate_option *mo = &migrate_options[k];
        if (strcmp(arg, mo->name) != 0 && !(mo->alias && strcmp(arg, mo->alias) == 0))
            continue;
        if (!(sv->options & mo->bit)) {
            fprintf(stderr, "schemac migrate %s: %s is not an option of this verb "
                            "('schemac migrate %s --help' lists them)\n", sv->name, arg, sv->name);
            return 1;
        }
        if (!mo->value) { /* a flag (slot 0 is o.schema_path, not "none") */
            *(bool *)((char *)a + mo->flag) = true;
            return 0;
        }
        if (*i + 1 >= argc) {
            fprintf(stderr, "schemac migrate %s: %s needs a value\n", sv->name, arg);
            return 1;
        }
        *(const char **)((char *)a + mo->slot) = argv[++*i];
        return 0;
    }
    fprintf(stderr, "schemac migrate %s: unexpected argument '%s'\n", sv->name, arg);
    return 1;
}

static void print_migrate_usage(FILE *f)
{
    fprintf(f, "usage:\n");
    for (size_t i = 0; i < sizeof subverbs / sizeof subverbs[0]; i++)
        fprintf(f, "  schemac %s\n", subverbs[i].usage);
    fprintf(f, "\n'schemac migrate SUBVERB --help' explains one.\n");
}

static int migrate_main(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        print_migrate_usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    const subverb *sv = NULL;
    for (size_t i = 0; i < sizeof subverbs / sizeof subverbs[0]; i++)
        if (strcmp(subverbs[i].name, argv[0]) == 0)
            sv = &subverbs[i];
    if (!sv) {
        fprintf(stderr, "schemac migrate: unknown sub-verb '%s'\n", argv[0]);
        print_migrate_usage(stderr);
        return 2;
    }
    migrate_args a = {.o = {.schema_path = "schema/semantik.yaml", .out_dir = "generated"}};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_subverb_help(sv);
            return 0;
        }
        if (argv[i][0] != '-' && !a.arg)
            a.arg = argv[i];
        else if (take_migrate_option(sv, argc, argv, &i, &a))
            return 2;
    }
    int rc = sv->run(&a);
    return rc == 2 ? 2 : rc ? 1 : 0; /* drift's 2: no answer */
}
