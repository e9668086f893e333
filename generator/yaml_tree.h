/* The YAML document as a tree whose every node keeps its file:line:col.
 *
 * Accepted: one document of mappings, sequences and scalars. Anchors and
 * aliases are refused (a schema has no need for them, and shared subtrees
 * would let a tiny file expand exponentially), as are duplicate mapping keys
 * and non-scalar keys. Nesting deeper than YTREE_MAX_DEPTH is refused. */
#ifndef SCHEMAC_GEN_YAML_TREE_H
#define SCHEMAC_GEN_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"

#define YTREE_MAX_DEPTH 64

typedef enum ynode_kind { Y_SCALAR, Y_MAP, Y_SEQ } ynode_kind;

typedef struct ynode ynode;
struct ynode {
    ynode_kind kind;
    gen_loc loc;
    /* Y_SCALAR */
    const char *text; /* NUL-terminated; len excludes it */
    size_t len;
    bool plain;       /* unquoted: "null", "~" and "" mean no value */
    /* Y_MAP: keys[i] -> vals[i]; Y_SEQ: vals[i] */
    size_t n;
    ynode **keys;
    ynode **vals;
};

/* Returns the root, or NULL after reporting errors to d. */
ynode *ytree_load(const char *file, const char *buf, size_t len, gen_arena *a, gen_diag *d);

/* Reads a whole file into the arena; NULL (errno set) on failure. */
char *ytree_read_file(const char *path, gen_arena *a, size_t *len);

ynode *ymap_get(const ynode *map, const char *key);
bool yscalar_is(const ynode *n, const char *text);
bool ynode_is_null(const ynode *n);
const char *ynode_kind_name(ynode_kind k);

#endif
