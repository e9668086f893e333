/* The keys of every mapping of the schema language, one table per kind of
 * mapping: the parser checks a mapping against its table (unknown keys are
 * errors), and tests compare the tables with schema/schemac.schema.json, whose
 * definitions are named after the contexts below. */
#ifndef SCHEMAC_GEN_KEYS_H
#define SCHEMAC_GEN_KEYS_H

typedef enum gen_key_context {
    GK_SCHEMA,        /* the top level of the file */
    GK_ENUM,
    GK_FUNCTION,
    GK_FUNCTION_ARG,  /* an entry of a function's args */
    GK_TABLE,
    GK_COLUMN,        /* a column written as a mapping */
    GK_AUDIT,
    GK_UNIQUE,        /* an entry of a table's unique */
    GK_CHECK,         /* an entry of a table's checks */
    GK_FOREIGN_KEY,
    GK_INDEX,
    GK_PARTITION,
    GK_RANGE,         /* an entry of a partition's ranges */
    GK_TRIGGER,
    GK_VIEW,
    GK_QUERY,
    GK_PAGINATE,      /* paginate written as a mapping */
    GK_DECLARED_TYPE, /* a query's params or columns entry written as a mapping */
    GK_LINT_WAIVER,
    GK_QUERY_TEST,
    GK_DISTRIBUTION,  /* a table's distribution (Citus) */
    GK_VERSIONED,     /* a table's versioned: { column, per, counter } */
    GK_COUNT
} gen_key_context;

/* The keys a mapping of context c may have, NULL-terminated (static). */
const char *const *gen_known_keys(gen_key_context c);

/* The context's name ("table", "foreign_key", ...): the name of its
 * definition in the JSON Schema ("schema" is the schema's root). */
const char *gen_key_context_name(gen_key_context c);

#endif
