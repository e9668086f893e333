/* Diagnostics: "file:line:col: error: message", collected while the compiler
 * keeps going, then delivered in file order through a callback (stderr by
 * default) so that one run reports every error and tests can capture them. */
#ifndef SCHEMAC_GEN_DIAG_H
#define SCHEMAC_GEN_DIAG_H

#include <stddef.h>

typedef struct gen_loc {
    const char *file;
    int line, col; /* 1-based; 0 when unknown */
} gen_loc;

/* message is the text after "error: "; the callback must copy what it keeps. */
typedef void (*gen_diag_fn)(void *ctx, const gen_loc *loc, const char *message);

typedef struct gen_diag_entry {
    gen_loc loc;
    char *message;
    size_t seq; /* keeps report order stable for equal locations */
} gen_diag_entry;

typedef struct gen_diag {
    gen_diag_fn fn; /* NULL: print to stderr */
    void *ctx;
    int errors;
    gen_diag_entry *entries;
    size_t n, cap;
} gen_diag;

void gen_diag_init(gen_diag *d, gen_diag_fn fn, void *ctx);
void gen_diag_release(gen_diag *d);

void gen_error(gen_diag *d, gen_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sorts by file position and delivers everything collected so far. */
void gen_diag_flush(gen_diag *d);

/* Formats "file:line:col: error: message" into buf (for callbacks and tests). */
void gen_diag_format(char *buf, size_t size, const gen_loc *loc, const char *message);

#endif
