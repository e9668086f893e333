/* The batch forms of single-statement functions (view_batch.c). */
#ifndef VIEW_BATCH_H
#define VIEW_BATCH_H

#include "view_repo.h"

/* What a batch form returns per call, and how its bind structs are filled. */
typedef struct vb_shape {
    const char *fill;    /* body lines setting sc_args[i] from items[i] */
    const char *row;     /* row type of a call that returns one, or NULL */
    bool affected;       /* out_affected: each call's row count */
    bool none_is_error;  /* a call that finds no row is SC_NOT_FOUND */
} vb_shape;

/* No argument the body fills from elsewhere (keyset cursors, guards). */
bool vb_plain_params(const vfunc *f);
/* sc_args[i].x = items[i].x for every argument the caller gives. */
const char *vb_fill(const vfunc *f);
/* Declares f->public_args in view (f's function view) as the batch's item
 * struct: fields, or one member per argument when NULL. */
void vb_declare_items(vfunc *f, json_t *view, json_t *fields);
/* The view of <f>_batch over f's first statement. */
json_t *vb_function(const vfunc *f, const vb_shape *shape);

#endif
