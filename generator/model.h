/* The validated schema model: what the YAML says, resolved and checked.
 *
 * Everything lives in one gen_arena. Lists keep declaration order, which is
 * also output order. Cross references (foreign keys, enum types, scope and
 * partition columns, trigger functions) are resolved to pointers by
 * validation; emitters may rely on them once gen_schema_load succeeded. */
#ifndef SCHEMAC_GEN_MODEL_H
#define SCHEMAC_GEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"

/* A list of strings with the location of each (column lists, event lists). */
typedef struct m_names {
    size_t n;
    const char **items;
    gen_loc *locs;
} m_names;

typedef struct m_enum m_enum;
typedef struct m_table m_table;
typedef struct m_column m_column;
typedef struct m_function m_function;

typedef struct m_transition {
    gen_loc loc;
    size_t from;     /* index into values */
    size_t nto;
    size_t *to;
} m_transition;

struct m_enum {
    const char *name;
    gen_loc loc;
    const char *comment, *renamed_from;
    m_names values;
    size_t ntransitions;
    m_transition *transitions;
    bool enforce_database;  /* enforce: database: a trigger refuses forbidden moves */
    /* migrations: removed: {old: new} maps rows of a removed value;
     * renamed_values: {new: old} renames a value in place */
    size_t nremoved, nrenamed;
    const char **removed_old, **removed_new, **renamed_new, **renamed_old;
};

typedef enum m_type_kind {
    T_SMALLINT, T_INTEGER, T_BIGINT, T_SERIAL, T_BIGSERIAL, T_BOOLEAN, T_REAL,
    T_DOUBLE, T_NUMERIC, T_TEXT, T_VARCHAR, T_UUID, T_TIMESTAMPTZ, T_TIMESTAMP,
    T_DATE, T_INTERVAL, T_JSON, T_JSONB, T_BYTEA, T_TSVECTOR, T_VECTOR, T_ENUM,
    /* issue 15: natural C forms (runtime/sc_types.h) */
    T_CHAR, T_TIME, T_TIMETZ, T_MONEY, T_XML, T_BIT, T_VARBIT, T_INET, T_CIDR, T_MACADDR,
    T_POINT, T_INT4RANGE, T_INT8RANGE, T_TSTZRANGE, T_DATERANGE,
    /* text of a type whose binary form the runtime does not decode (citext,
     * hstore, ltree, or `c_type: text`): enum_name holds its SQL name */
    T_TEXTMAP,
    T_HALFVEC          /* pgvector's halfvec(n): sc_vector in C */
} m_type_kind;

typedef struct m_type {
    m_type_kind kind;
    int p, s;            /* numeric(p,s), varchar(p), vector(p), halfvec(p); -1 when absent */
    bool array;          /* one-dimensional array of the element type */
    const char *enum_name;
    const m_enum *en;    /* resolved for T_ENUM */
} m_type;

typedef enum m_fk_action {
    FK_NO_ACTION, FK_CASCADE, FK_SET_NULL, FK_SET_DEFAULT, FK_RESTRICT
} m_fk_action;

struct m_column {
    const char *name;
    gen_loc loc, type_loc;
    m_type type;
    bool nullable, primary_key, unique, secret;
    bool server_written;             /* set by a trigger or default, never by C */
    bool uuid_text;                  /* format: uuid (or references such a column) */
    const char *default_sql, *check, *generated, *comment, *renamed_from, *backfill;
    const char *references;          /* "table.column" as written */
    gen_loc references_loc;
    m_fk_action on_delete, on_update;
    bool same_scope;                 /* the reference carries the scope (tenancy.c) */
    gen_loc same_scope_loc;
    m_table *table;
};

typedef struct m_index_col {
    const char *name;
    const char *opclass;             /* operator class (vector_cosine_ops) or NULL */
    bool desc;
} m_index_col;

typedef struct m_index {
    const char *name;                /* always set: explicit or derived */
    gen_loc loc;
    size_t ncols;
    m_index_col *cols;
    gen_loc *col_locs;
    const char *expression, *where, *method;
    m_names include;
    m_names with;                    /* storage parameters: WITH (with[i] = with_values[i]) */
    const char **with_values;
    bool unique, concurrently;
} m_index;

typedef struct m_unique {
    const char *name;                /* NULL: PostgreSQL's default name */
    gen_loc loc;
    m_names columns;
} m_unique;

typedef struct m_check {
    const char *name;
    gen_loc loc;
    const char *expr;
} m_check;

typedef struct m_fk {
    const char *name;                /* NULL: PostgreSQL's default name */
    gen_loc loc;
    m_names columns;
    const char *ref_table;
    gen_loc ref_table_loc;
    m_names ref_columns;
    m_fk_action on_delete, on_update;
    m_table *target;                 /* resolved */
} m_fk;

typedef enum m_partition_by { PART_LIST, PART_HASH, PART_RANGE } m_partition_by;

typedef struct m_range {
    const char *name, *from, *to;
    gen_loc loc;
} m_range;

typedef struct m_partition {
    gen_loc loc;
    m_partition_by by;
    const char *key, *source, *expression, *name_pattern, *default_name;
    const char *count_env;           /* an environment variable that must agree with count */
    gen_loc key_loc, source_loc;
    int count;
    size_t nranges;
    m_range *ranges;
    m_column *key_col, *source_col;  /* resolved */
} m_partition;

enum { EV_INSERT = 1, EV_UPDATE = 2, EV_DELETE = 4, EV_TRUNCATE = 8 };

typedef struct m_trigger {
    const char *name, *function, *timing, *when;
    gen_loc loc, function_loc;
    unsigned events;
    m_names columns;
    bool for_each_row;
    m_function *fn;                  /* resolved */
} m_trigger;

enum { OP_CREATE = 1, OP_GET = 2, OP_UPDATE = 4, OP_DELETE = 8, OP_LIST = 16, OP_ALL = 31 };

typedef enum m_returns {
    RET_ONE, RET_MANY, RET_EXEC, RET_EXECROWS, RET_COUNT, RET_COPY, RET_UPSERT
} m_returns;

typedef enum m_paginate { PAGE_NONE, PAGE_OFFSET, PAGE_KEYSET } m_paginate;

typedef struct m_param {
    const char *name;
    gen_loc loc;
    m_type type;
    bool typed;          /* type known (declared or inferred) */
    bool declared;       /* from params: */
    bool optional;       /* only inside [[ ]] fragments */
    bool computed;       /* the partition key: bound from the source */
    const m_column *from_column;     /* the column its type came from */
    size_t ncompared;                /* columns it is compared with (scope and */
    const m_column *compared[8];     /* partition rules look here) */
    bool assigned[8];                /* compared[k] is a SET target, not a condition */
    bool in_condition;   /* compared in a condition (`col = :p`), where NULL never matches */
    bool declared_nullable;          /* params: { p: { type: t, nullable: true } } */
} m_param;

typedef struct m_result_col {
    const char *name;
    gen_loc loc;
    m_type type;
    bool nullable;       /* result columns: NULL may come back */
} m_result_col;

typedef struct m_query {
    const char *name;
    gen_loc loc, sql_loc;
    m_table *table;
    m_returns returns;
    const char *sql, *comment, *all_partitions, *unscoped;
    const char *fanout;         /* "reason": a query on a distributed table that
                                   does not bind the distribution column */
    const char *untested;       /* untested: "reason": exempt from require_tests */
    const char *access;         /* access: the condition a found row must meet */
    m_names conflict, update;   /* upsert: ON CONFLICT (conflict) DO UPDATE SET update */
    bool hide_existence;        /* not_found_hides_existence: denied reads as not found */
    bool primary_only;          /* replica: never */
    m_paginate paginate;
    m_names keyset;
    m_names copy_columns;
    m_names settings;                /* SET LOCAL settings[i] = setting_values[i] for the */
    const char **setting_values;     /* statement (hnsw.ef_search, ivfflat.probes) */
    int batch;
    size_t nparams;
    m_param *params;                 /* in order of first appearance */
    size_t ncolumns;
    m_result_col *columns;           /* declared result; none: the table row */
    size_t nfragments;               /* optional [[ ]] fragments */
    size_t ntests;
    struct m_qtest *tests;           /* qtest.h */
} m_query;

typedef struct m_view {
    const char *name, *sql, *comment;
    gen_loc loc;
    bool materialized;
    m_names depends_on;
    size_t nindexes;
    m_index *indexes;
} m_view;

typedef struct m_arg {
    const char *name;
    const char *type;
} m_arg;

struct m_function {
    const char *name, *returns, *language, *volatility, *body, *comment;
    gen_loc loc;
    size_t nargs;
    m_arg *args;
};

typedef struct m_audit {
    const char *into;      /* the log table */
    const char *key;       /* its column that names what changed (collection_id) */
    const char *from;      /* this table's column that fills it (default: key) */
    gen_loc loc;
} m_audit;

/* versioned: { column, per, counter }: create numbers the rows of one
 * parent 1, 2, ... by bumping a counter on the parent in the same statement
 * (tenancy.c, view_versioned.c). */
typedef struct m_versioned {
    const char *column, *per, *counter;   /* column is NULL when not versioned */
    gen_loc loc;
    m_column *column_col, *per_col, *counter_col;   /* resolved */
    m_table *parent;
    m_names keys, parent_keys;   /* this table's columns = the parent's that find its row */
} m_versioned;

struct m_table {
    const char *name;
    const char *singular;  /* NULL: derived from name (vu_table_singular) */
    gen_loc loc;
    m_audit audit;         /* audit: into is NULL when not audited */
    const char *comment, *renamed_from, *scope;
    gen_loc scope_loc;
    unsigned operations;
    size_t ncolumns;
    m_column *columns;
    m_names primary_key;
    size_t nuniques, nchecks, nfks, nindexes, ntriggers, nqueries;
    m_unique *uniques;
    m_check *checks;
    m_fk *fks;
    m_index *indexes;
    m_trigger *triggers;
    m_query *queries;
    m_partition *partition;          /* NULL: not partitioned */
    m_column *scope_col;             /* resolved */
    /* Citus (validate_citus.c): distribution: {column, colocate_with}, or
     * reference: true; plain PostgreSQL ignores both */
    const char *dist_column, *colocate_with;
    gen_loc dist_loc;
    bool reference;
    m_column *dist_col;              /* resolved */
    m_versioned versioned;
};

/* lint_waivers: one lock-lint rule waived for the statements naming object. */
typedef struct m_waiver {
    const char *rule, *object, *reason;
    gen_loc loc;
} m_waiver;

typedef struct m_schema {
    const char *file;
    const char *name, *prefix;
    unsigned long long hash;         /* of the source bytes (but an editor modeline) */
    size_t nenums, nfunctions, ntables, nviews;
    m_enum *enums;
    m_function *functions;
    m_table *tables;
    m_view *views;
    size_t nwaivers;
    m_waiver *waivers;
    m_names extensions;              /* CREATE EXTENSION IF NOT EXISTS, before anything */
    bool require_tests;              /* every named query but copy needs a test */
    int *fk_depths;                  /* qtest.c: foreign-key depth by table, computed once */
    struct m_table_index *table_index; /* m_find_table's hash, valid while the tables stay put */
} m_schema;

/* Reads, parses and validates a schema file. NULL after reporting errors. */
m_schema *gen_schema_load(const char *path, gen_arena *a, gen_diag *d);
/* The same from a buffer (tests, fuzzing); file is used in diagnostics. */
m_schema *gen_schema_parse(const char *file, const char *buf, size_t len, gen_arena *a,
                           gen_diag *d);

m_table *m_find_table(const m_schema *s, const char *name);
/* Hashes the table names once the tables array is complete: views look
 * tables up by name per column and per made row, which a linear search made
 * quadratic in the number of tables. */
void m_index_tables(gen_arena *a, m_schema *s);
m_column *m_find_column(const m_table *t, const char *name);
/* The partition key of a LIST table computed from its source (never given). */
bool m_is_computed_key(const m_table *t, const m_column *c);
/* versioned: the column create numbers, and the columns that find the parent
 * whose counter it bumps (tenancy.c). */
bool m_is_version_column(const m_table *t, const m_column *c);
bool m_is_version_parent_key(const m_table *t, const m_column *c);
m_enum *m_find_enum(const m_schema *s, const char *name);
/* Whether e's transitions let value `from` move to value `to`. */
bool m_enum_allows(const m_enum *e, size_t from, size_t to);
m_function *m_find_function(const m_schema *s, const char *name);
m_view *m_find_view(const m_schema *s, const char *name);

/* Types: parsing, SQL spelling, comparison. */
bool m_type_parse(const char *text, m_type *out);
const char *m_type_sql(gen_arena *a, const m_type *t);   /* e.g. "varchar(64)", "text[]" */
bool m_type_same(const m_type *a, const m_type *b);      /* ignores varchar length */
const char *const *m_type_names(void);                   /* NULL-terminated, for hints */

#endif
