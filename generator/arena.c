#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct block {
    struct block *next;
    size_t used, size;
    max_align_t data[];
} block;

struct gen_arena {
    block *head;
};

enum { BLOCK_SIZE = 64 * 1024 };

static void *or_die(void *p)
{
    if (!p) {
        fputs("schemac: out of memory\n", stderr);
        abort();
    }
    return p;
}

gen_arena *gen_arena_new(void)
{
    return or_die(calloc(1, sizeof(gen_arena)));
}

void gen_arena_free(gen_arena *a)
{
    if (!a)
        return;
    for (block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void *gen_alloc(gen_arena *a, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    size = (size + align - 1) / align * align;
    block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > BLOCK_SIZE ? size : BLOCK_SIZE;
        b = or_die(malloc(sizeof(block) + cap));
        b->used = 0;
        b->size = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return memset(p, 0, size);
}

char *gen_strndup(gen_arena *a, const char *s, size_t n)
{
    char *p = gen_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gen_strdup(gen_arena *a, const char *s)
{
    return s ? gen_strndup(a, s, strlen(s)) : NULL;
}

/* One formatting pass for the common short string; a second only when the
 * result outgrows the stack buffer. */
char *gen_vprintf(gen_arena *a, const char *fmt, va_list ap)
{
    char small[512];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof small)
        return gen_strndup(a, small, (size_t)n);
    char *p = gen_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *gen_printf(gen_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = gen_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void gen_grow(gen_arena *a, void **items, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = gen_alloc(a, ncap * elem_size);
    if (*cap)
        memcpy(p, *items, *cap * elem_size);
    *items = p;
    *cap = ncap;
}
