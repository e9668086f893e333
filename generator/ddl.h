/* DDL: the model as PostgreSQL statements, in dependency order.
 *
 * Written once, in C (not templates): the initial-schema script, the
 * generated tests' database and the migrations all use these statements, and
 * migrations are data that must be exact. Every object is named with its
 * schema (CVE-2018-1058), and every constraint carries an explicit name so
 * that error mapping and migration diffs can refer to it. */
#ifndef SCHEMAC_GEN_DDL_H
#define SCHEMAC_GEN_DDL_H

#include "model.h"
#include "output.h"

typedef enum ddl_kind {
    DDL_SCHEMA, DDL_ENUM, DDL_FUNCTION, DDL_TABLE, DDL_PARTITION, DDL_FOREIGN_KEY,
    DDL_INDEX, DDL_TRIGGER, DDL_VIEW, DDL_COMMENT, DDL_EXTENSION
} ddl_kind;

typedef struct ddl_stmt {
    ddl_kind kind;
    const char *object;   /* qualified name of what the statement creates */
    const char *sql;      /* without the trailing semicolon */
} ddl_stmt;

typedef struct ddl_script {
    gen_arena *arena;
    ddl_stmt *items;
    size_t n, cap;
} ddl_script;

void ddl_script_init(ddl_script *d, gen_arena *a);

/* Every statement creating the schema's objects, in dependency order:
 * schema, enums, functions, tables (with keys and checks), partitions,
 * foreign keys, indexes, triggers, views, comments. */
void ddl_create_all(const m_schema *s, ddl_script *out);

/* The statements as one script: "stmt;\n\n" each, inside BEGIN/COMMIT. */
void ddl_write_script(const m_schema *s, const ddl_script *d, gen_buf *out);

/* Names PostgreSQL would not pick on its own, decided here once. */
const char *ddl_pk_name(gen_arena *a, const m_table *t);
const char *ddl_unique_name(gen_arena *a, const m_table *t, const m_names *cols);
const char *ddl_fk_name(gen_arena *a, const m_table *t, const m_names *cols);
const char *ddl_check_name(gen_arena *a, const m_table *t, const char *column);
const char *ddl_partition_name(gen_arena *a, const m_table *t, int i);

/* A SQL string literal with quotes doubled. */
const char *ddl_literal(gen_arena *a, const char *text);

/* ---- per-object statements (migrations) -------------------------------
 * The same text ddl_create_all writes, one object at a time, so that a
 * migration creating an object and the initial schema never disagree. */

typedef struct ddl_constraint {
    const char *name;
    const char *definition;   /* "PRIMARY KEY (a, b)", "UNIQUE (a)", "CHECK (...)" */
} ddl_constraint;

/* The constraints inside a CREATE TABLE, in that order; returns the count. */
size_t ddl_table_constraints(gen_arena *a, const m_table *t, ddl_constraint **out);

const char *ddl_qualify(gen_arena *a, const m_schema *s, const char *name);
const char *ddl_type_sql(gen_arena *a, const m_schema *s, const m_type *t);
/* "name type [GENERATED ...] [NOT NULL] [DEFAULT x]" as in CREATE TABLE. */
const char *ddl_column_definition(gen_arena *a, const m_schema *s, const m_column *c);
/* "schema.fn(argtype, ...)": what DROP/COMMENT ON FUNCTION name. */
const char *ddl_function_signature(gen_arena *a, const m_schema *s, const m_function *f);

/* CREATE EXTENSION IF NOT EXISTS name WITH SCHEMA public (the initial
 * migration's down leaves it: other schemas of the database may use it). */
void ddl_create_extension(const char *name, ddl_script *d);
/* "pg_catalog, schema", and ", public" when the schema uses extensions. */
const char *ddl_search_path(gen_arena *a, const m_schema *s);
void ddl_create_enum(const m_schema *s, const m_enum *e, ddl_script *d);
void ddl_create_function(const m_schema *s, const m_function *f, ddl_script *d);
void ddl_create_table(const m_schema *s, const m_table *t, ddl_script *d); /* no partitions */
void ddl_create_partitions(const m_schema *s, const m_table *t, ddl_script *d);
void ddl_create_foreign_keys(const m_schema *s, const m_table *t, ddl_script *d);
void ddl_create_index(const m_schema *s, const char *owner, const m_index *ix, ddl_script *d);
void ddl_create_trigger(const m_schema *s, const m_table *t, const m_trigger *tr, ddl_script *d);
void ddl_create_view(const m_schema *s, const m_view *w, ddl_script *d); /* with its indexes */
/* COMMENT ON what object IS text; text NULL removes the comment. */
void ddl_comment(ddl_script *d, const char *what, const char *object, const char *text);
void ddl_table_comments(const m_schema *s, const m_table *t, ddl_script *d);

/* The statement dropping what st creates (NULL for comments). */
const char *ddl_drop_sql(gen_arena *a, const ddl_stmt *st);

/* The exact inverse of ddl_create_all, in reverse dependency order. */
void ddl_drop_all(const m_schema *s, ddl_script *d);

#endif
