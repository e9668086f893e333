/* Shared by the import_*.c files (see import.h). */
#ifndef SCHEMAC_GEN_IMPORT_INTERNAL_H
#define SCHEMAC_GEN_IMPORT_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "sc_migrate.h"

/* The catalog as read: one JSON array per kind of object (import_read.c). */
typedef struct imp_catalog {
    json_t *enums, *functions, *tables, *columns, *constraints, *indexes, *triggers, *views,
        *others, *extensions;
} imp_catalog;

/* One import run: the catalog, the document being built, the report. */
typedef struct imp_ctx {
    const char *schema;
    imp_catalog cat;
    json_t *doc;               /* the DSL document, keys in output order */
    json_t *left_out;          /* "table.column" names left out (their users follow) */
    FILE *report;
    int nreported;
} imp_ctx;

int imp_read(PGconn *c, const char *schema, imp_catalog *out, sc_migrate_error *err);
void imp_catalog_free(imp_catalog *cat);

/* One line of the report: "not expressible: <what> <name>: <why>". */
void imp_report(imp_ctx *x, const char *what, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- import_map.c: the catalog-to-DSL decisions ------------------------- */

/* The DSL spelling of a column's catalog type c (format_type's text, the
 * kind and schema of the type or of its element), or NULL with *why set;
 * *as_text when the DSL says it with c_type: text. */
const char *imp_map_type(json_t *c, const char *schema, bool *as_text, char *why, size_t whysize);
/* A name the DSL accepts: [a-z_][a-z0-9_]*, at most 63 bytes. */
bool imp_identifier(const char *name);
/* PostgreSQL's default name of a constraint: table_cols_suffix, cut at 63. */
const char *imp_default_name(const char *table, json_t *cols, const char *suffix, char *buf,
                             size_t size);
/* The name the DSL derives for an index (validate.c's derived_index_name). */
const char *imp_index_default_name(const char *owner, json_t *dsl_index, char *buf, size_t size);
/* An index of the catalog as a DSL index, or NULL with *why set. */
json_t *imp_map_index(const char *owner, json_t *ix, char *why, size_t whysize);
/* Deparsed SQL as text that parses back to the same tree (malloc'd). */
char *imp_sql_text(const char *sql);
json_t *imp_sql(const char *sql);      /* the same as a JSON string */
/* The ON DELETE / ON UPDATE code of pg_constraint as the DSL spells it. */
const char *imp_fk_action(const char *code);

/* ---- building the document --------------------------------------------- */

void imp_build_tables(imp_ctx *x);     /* import_tables.c */
void imp_add_indexes(imp_ctx *x, const char *owner, json_t *out);
/* import_partition.c: t's partitioning, or NULL (reported when it cannot be
 * said); key_check gets the name of the LIST key's CHECK constraint that
 * partition.expression stands for ("" when none). */
json_t *imp_build_partition(imp_ctx *x, json_t *t, char *key_check, size_t size);
void imp_build_enums(imp_ctx *x);      /* import_objects.c */
void imp_build_functions(imp_ctx *x);
void imp_build_views(imp_ctx *x);
void imp_report_others(imp_ctx *x);
void imp_build_extensions(imp_ctx *x);
bool imp_uses_left_out(imp_ctx *x, const char *table, json_t *columns, const char **which);

/* ---- import_yaml.c ------------------------------------------------------ */

void imp_write_yaml(FILE *out, json_t *doc, const char *banner);

/* Small jansson helpers. */
const char *imp_str(json_t *o, const char *key);   /* NULL for null or absent */
bool imp_bool(json_t *o, const char *key);

#endif
