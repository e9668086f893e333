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
    DDL_INDEX, DDL_TRIGGER, DDL_VIEW, DDL_COMMENT
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

#endif
