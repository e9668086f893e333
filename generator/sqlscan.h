/* A tokenizer for the SQL text of queries: enough of PostgreSQL's lexical
 * rules (strings, E-strings, dollar quotes, quoted identifiers, comments,
 * ::casts) to find `:name` parameters and `[[ ... ]]` optional fragments
 * without being fooled by text inside literals. It never rewrites SQL beyond
 * replacing parameters and dropping absent fragments. */
#ifndef SCHEMAC_GEN_SQLSCAN_H
#define SCHEMAC_GEN_SQLSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

typedef enum sql_tok_kind {
    TK_IDENT,       /* unquoted (lower-cased in text) or "quoted" identifier */
    TK_PARAM,       /* :name; text is the name */
    TK_OP,          /* = < > <= >= <> != and other operator characters */
    TK_PUNCT,       /* ( ) , . ; [ ] */
    TK_LITERAL,     /* string, number, dollar-quoted text */
    TK_FRAG_OPEN,   /* [[ */
    TK_FRAG_CLOSE   /* ]] */
} sql_tok_kind;

typedef struct sql_tok {
    sql_tok_kind kind;
    const char *text;   /* NUL-terminated copy (see above) */
    size_t offset, len; /* position in the source SQL */
    int line;           /* 0-based line within the SQL */
    int fragment;       /* index of the enclosing [[ ]], or -1 */
} sql_tok;

typedef struct sql_scan {
    size_t n;
    sql_tok *toks;
    size_t nfragments;
    const char *error;  /* NULL on success */
    int error_line;
} sql_scan;

/* Tokenizes sql; on a lexical error sets out->error and returns false. */
bool sql_tokenize(gen_arena *a, const char *sql, sql_scan *out);

/* True when the token is the unquoted identifier/keyword kw (lower case). */
bool sql_tok_is(const sql_tok *t, const char *kw);

/* One variant of a query: the SQL with the fragments whose bit is clear in
 * `present` dropped and every :name replaced by $n, numbered by first
 * appearance in this variant; params[n-1] is the name bound to $n. */
typedef struct sql_variant {
    char *sql;
    size_t nparams;
    const char **params;
} sql_variant;

/* Returns the text that replaces token i, or NULL to keep it (used to expand
 * `*` into explicit columns and to qualify names with their schema). */
typedef const char *(*sql_rewrite_fn)(void *ctx, const sql_scan *scan, size_t i);

sql_variant sql_render(gen_arena *a, const char *sql, const sql_scan *scan, unsigned present,
                       sql_rewrite_fn rewrite, void *ctx);

#endif
