/* The generator as a library: the CLI in main.c is a thin layer over these
 * calls, and tests drive them in-process. Each returns 0 on success and a
 * non-zero value after reporting through the gen_diag. */
#ifndef SCHEMAC_GEN_H
#define SCHEMAC_GEN_H

#include "diag.h"

#define SCHEMAC_GEN_VERSION "0.1.0"

typedef struct gen_options {
    const char *schema_path;   /* default schema/semantik.yaml */
    const char *out_dir;       /* default generated */
    const char *templates_dir; /* NULL: the built-in templates */
    const char *format;        /* erd: dot (default), svg or mermaid */
    const char *out_file;      /* erd: the diagram's file; NULL: stdout */
} gen_options;

/* Parses and validates the schema; writes nothing. */
int gen_check_schema(const gen_options *o, gen_diag *d);

/* Parses, validates and renders everything in memory, then writes it. */
int gen_generate(const gen_options *o, gen_diag *d);

/* The schema as an entity-relationship diagram (generator/erd.h). */
int gen_erd(const gen_options *o, gen_diag *d);
/* Prepares every statement of every repository on a scratch database built
 * from the schema's DDL (on the server of DATABASE_URL) and compares
 * parameter and result types with the model, reporting each problem at its
 * query's file:line:col. 0: clean, 1: problems, 2: no server to ask. */
int gen_vet(const gen_options *o, gen_diag *d);

/* schemac init: a new project in dir (created if missing): a starter
 * schema (schema/app.yaml), a Makefile that regenerates generated/ and
 * builds and tests it against the runtime, src/main.c, README.md,
 * .gitignore, generated/ and its first migration. Writes nothing when dir
 * already holds one of those files or generated/ (each is reported). */
typedef struct gen_init_options {
    const char *dir;           /* NULL or "": the current directory */
    const char *schemac_root;  /* a schemac source tree for the Makefile; NULL:
                                  the installed schemac and pkg-config */
    const char *schemac_build; /* its build directory, relative to the root:
                                  "build" (NULL) or "build/san" */
} gen_init_options;
int gen_init(const gen_init_options *o, gen_diag *d);
#endif
