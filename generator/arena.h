/* A bump arena owning the whole model: one gen_arena_free releases it.
 * The generator is a batch compiler, so running out of memory aborts with a
 * message instead of threading ENOMEM through every parser function. */
#ifndef SCHEMAC_GEN_ARENA_H
#define SCHEMAC_GEN_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct gen_arena gen_arena;

gen_arena *gen_arena_new(void);
void gen_arena_free(gen_arena *a); /* NULL is a no-op */
/* Releases everything allocated so far, keeping blocks for reuse. */
void gen_arena_reset(gen_arena *a);

void *gen_alloc(gen_arena *a, size_t size); /* zeroed */
void *gen_alloc_uninit(gen_arena *a, size_t size);
char *gen_strdup(gen_arena *a, const char *s);
char *gen_strndup(gen_arena *a, const char *s, size_t n);
char *gen_printf(gen_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *gen_vprintf(gen_arena *a, const char *fmt, va_list ap);

/* Grows *items (of elem_size bytes each) to hold at least need elements;
 * the new elements are zeroed, but by gen_grow_uninit (a byte buffer about
 * to be written over). */
void gen_grow(gen_arena *a, void **items, size_t *cap, size_t need, size_t elem_size);
void gen_grow_uninit(gen_arena *a, void **items, size_t *cap, size_t need, size_t elem_size);

#endif
