/* `schemac import` (see import.h): the run and its command line. */
#include "import.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "model.h"
#include "scratch.h"

void imp_report(imp_ctx *x, const char *what, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(x->report, "not expressible: %s %s: ", what, name);
    vfprintf(x->report, fmt, ap);
    fputc('\n', x->report);
    va_end(ap);
    x->nreported++;
}

/* The C prefix: the schema's name when it is a short identifier, else its
 * first letters. */
static void derive_prefix(const char *schema, char *out, size_t size)
{
    if (strcmp(schema, "public") == 0) {
        snprintf(out, size, "db");
        return;
    }
    size_t n = 0;
    for (const char *p = schema; *p && n + 1 < size && n < 12; p++)
        if (isalnum((unsigned char)*p) || *p == '_')
            out[n++] = (char)tolower((unsigned char)*p);
    out[n] = '\0';
    if (!n || isdigit((unsigned char)out[0]))
        snprintf(out, size, "db");
}

static json_t *build(imp_ctx *x, const char *prefix)
{
    char derived[16];
    if (!prefix) {
        derive_prefix(x->schema, derived, sizeof derived);
        prefix = derived;
    }
    json_object_set_new(x->doc, "schema", json_string(x->schema));
    json_object_set_new(x->doc, "prefix", json_string(prefix));
    imp_report_others(x);
    imp_build_extensions(x);
    imp_build_enums(x);
    imp_build_functions(x);
    imp_build_tables(x);
    imp_build_views(x);
    /* an empty functions: says nothing */
    if (!json_object_size(json_object_get(x->doc, "functions")))
        json_object_del(x->doc, "functions");
    return x->doc;
}

/* The generator's own rules (reserved words, name clashes, ...) are the
 * last word: each error it finds in the file is one more report line. */
static void refused(void *ctx, const gen_loc *loc, const char *message)
{
    imp_ctx *x = ctx;
    char line[1200];
    gen_diag_format(line, sizeof line, loc, message);
    fprintf(x->report, "not expressible: the generator refuses %s\n", line);
    x->nreported++;
}

static void validate(imp_ctx *x, const char *text, size_t len)
{
    gen_arena *a = gen_arena_new();
    gen_diag d;
    gen_diag_init(&d, refused, x);
    gen_schema_parse("imported.yaml", text, len, a, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    gen_arena_free(a);
}

static int schema_exists(PGconn *c, const char *schema, sc_migrate_error *err)
{
    const char *values[1] = {schema};
    PGresult *r = PQexecParams(c, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", 1,
                               NULL, values, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? 0 : -1;
    if (rc)
        snprintf(err->message, sizeof err->message, "database %s has no schema %s", PQdb(c),
                 schema);
    PQclear(r);
    return rc;
}

int gen_import(const gen_import_options *o, sc_migrate_error *err)
{
    imp_ctx x = {.schema = o->schema ? o->schema : "public", .report = o->report};
    if (!imp_identifier(x.schema)) {
        snprintf(err->message, sizeof err->message,
                 "schema %s: the schema language needs a lower-case SQL identifier", x.schema);
        return GEN_IMPORT_ERROR;
    }
    PGconn *c = gen_connect(o->database_url, "the database to import", err);
    if (!c || schema_exists(c, x.schema, err) || imp_read(c, x.schema, &x.cat, err)) {
        PQfinish(c);
        return GEN_IMPORT_ERROR;
    }
    PQfinish(c);
    x.doc = json_object();
    x.left_out = json_object();
    build(&x, o->prefix);
    char banner[300];
    snprintf(banner, sizeof banner,
             "# Imported by schemac import from schema %s; edit freely, it is yours now.\n\n",
             x.schema);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    imp_write_yaml(mem, x.doc, banner);
    fclose(mem);
    validate(&x, text, len);
    fwrite(text, 1, len, o->out);
    free(text);
    json_decref(x.doc);
    json_decref(x.left_out);
    imp_catalog_free(&x.cat);
    return x.nreported ? GEN_IMPORT_LEFT_OUT : GEN_IMPORT_EXACT;
}

/* ---- the command line -------------------------------------------------- */

static const char import_help[] =
    "usage: schemac import [--database URL] [--schema NAME] [--prefix P] [--out FILE]\n\n"
    "Reads the catalog of one PostgreSQL schema and writes it as a schema file:\n"
    "enums, functions, tables (columns, defaults, serial and generated columns,\n"
    "keys, unique, check and foreign-key constraints), partitioning, indexes,\n"
    "triggers, views and materialized views, in dependency order, and the\n"
    "extensions installed in public as extensions:. Whatever the\n"
    "schema language cannot say is left out of the file and reported on stderr,\n"
    "one 'not expressible:' line per object. To adopt the database: import, then\n"
    "'schemac migrate new -m initial' and 'schemac migrate stamp head' on it.\n"
    "Exit 0 when the file says everything, 1 when something was left out, 2 on\n"
    "an error (nothing written).\n\n"
    "options:\n"
    "  --database URL    the database to read (default: DATABASE_URL)\n"
    "  --schema NAME     the PostgreSQL schema to import (default public)\n"
    "  --prefix P        the file's C prefix (default: from the schema's name)\n"
    "  --out FILE        write the schema file to FILE (default: standard output)\n"
    "  --help            this text\n";

int gen_import_main(int argc, char **argv)
{
    gen_import_options o = {getenv("DATABASE_URL"), "public", NULL, stdout, stderr};
    const char *out = NULL;
    for (int i = 0; i < argc; i++) {
        const char **slot = NULL;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(import_help, stdout);
            return 0;
        } else if (strcmp(argv[i], "--database") == 0) {
            slot = &o.database_url;
        } else if (strcmp(argv[i], "--schema") == 0) {
            slot = &o.schema;
        } else if (strcmp(argv[i], "--prefix") == 0) {
            slot = &o.prefix;
        } else if (strcmp(argv[i], "--out") == 0) {
            slot = &out;
        } else {
            fprintf(stderr, "schemac import: unknown option '%s'\n", argv[i]);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "schemac import: %s needs a value\n", argv[i]);
            return 2;
        }
        *slot = argv[++i];
    }
    /* the file appears whole or not at all: written beside, then renamed */
    char tmp[4200];
    if (out) {
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
        if (!(o.out = fopen(tmp, "w"))) {
            fprintf(stderr, "schemac import: cannot write %s\n", tmp);
            return 2;
        }
    }
    sc_migrate_error err = {{0}};
    int rc = gen_import(&o, &err);
    if (out) {
        bool ok = fclose(o.out) == 0 && rc != GEN_IMPORT_ERROR && rename(tmp, out) == 0;
        if (!ok)
            remove(tmp);
        if (!ok && rc != GEN_IMPORT_ERROR) {
            snprintf(err.message, sizeof err.message, "cannot write %s", out);
            rc = GEN_IMPORT_ERROR;
        }
    }
    if (rc == GEN_IMPORT_ERROR)
        fprintf(stderr, "schemac import: %s\n", err.message);
    return rc;
}
