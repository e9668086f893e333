/* `schemac import`: a live database's schema as a schema file (Prisma's
 * `db pull`, Atlas's `schema inspect`), so that schemac can adopt a database
 * it did not create: import, then `migrate new` (the initial migration) and
 * `migrate stamp` (the database is already at it).
 *
 * The catalog of one PostgreSQL schema is read (import_read.c), turned into
 * the DSL as a jansson document in the order of docs/dsl.md
 * (import_tables.c, import_objects.c, with the catalog-to-DSL decisions in
 * import_map.c) and printed as YAML (import_yaml.c). Whatever the DSL
 * cannot express is left out of the file and reported, one line per object
 * ("not expressible: index s.ix: operator class text_pattern_ops"), never
 * dropped silently. */
#ifndef SCHEMAC_GEN_IMPORT_H
#define SCHEMAC_GEN_IMPORT_H

#include <stdio.h>

#include "sc_migrate.h"

typedef struct gen_import_options {
    const char *database_url;   /* NULL or "": libpq's defaults */
    const char *schema;         /* the PostgreSQL schema to read (default public) */
    const char *prefix;         /* the file's C prefix; NULL: derived from schema */
    FILE *out;                  /* the YAML */
    FILE *report;               /* what was left out, one line each */
} gen_import_options;

enum { GEN_IMPORT_EXACT = 0, GEN_IMPORT_LEFT_OUT = 1, GEN_IMPORT_ERROR = 2 };

/* Writes the schema file. Returns GEN_IMPORT_EXACT when everything was
 * expressed, GEN_IMPORT_LEFT_OUT when the report names what is not in the
 * file, GEN_IMPORT_ERROR (err says why; nothing written) otherwise. */
int gen_import(const gen_import_options *o, sc_migrate_error *err);

/* The command line: schemac import [--database URL] [--schema NAME]
 * [--prefix P] [--out FILE]. Returns the exit status. */
int gen_import_main(int argc, char **argv);

#endif
