/* The event-loop forms of functions (<function>_send, view_send.c). */
#ifndef VIEW_SEND_H
#define VIEW_SEND_H

#include "view_repo.h"

/* How a function's single form runs, for its _send twin. */
typedef struct vs_shape {
    const char *prefix;   /* body lines before the call: fill sc_args, pick sc_variant */
    const char *args;     /* what is bound: "&sc_args", or "in" */
    const char *variant;  /* the statement: "sc_variant", or "0" */
    const char *inputs;   /* the prototype's arguments after conn (and arena) */
    const char *row;      /* ONE and MANY: the row type */
    bool many;            /* MANY: out_rows and out_n */
    bool affected;        /* EXEC: out_affected */
    bool none_is_error;   /* EXEC: no row changed is SC_NOT_FOUND */
} vs_shape;

/* The view of <f>_send: queues f's statement, completion through a callback. */
json_t *vs_function(const vfunc *f, const vs_shape *shape);

#endif
