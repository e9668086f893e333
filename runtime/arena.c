#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schemac.h"

typedef struct sc_block {
    struct sc_block *next;
    size_t used, size;
    max_align_t data[];
} sc_block;

typedef struct sc_deferred {
    struct sc_deferred *next;
    void (*fn)(void *);
    void *ptr;
} sc_deferred;

/* Blocks a reset or rewind gives back are kept for the next calls up to
 * this many bytes, so a reset-and-refill loop (a request per reset) does
 * not malloc and free its blocks every time. */
enum { SPARE_MAX = 256 * 1024 };

struct sc_arena {
    sc_block *head;   /* the block being filled; older blocks follow */
    sc_block *spare;  /* given back, kept for reuse (at most SPARE_MAX bytes) */
    size_t spare_bytes;
    size_t block_size;
    size_t held;      /* bytes of all blocks, spares included */
    size_t limit;     /* 0: none; else held never exceeds it */
    sc_deferred *deferred; /* run at reset and free: JSON references */
};

int sc_arena_defer(sc_arena *a, void (*fn)(void *), void *ptr);
/* The node lives in the arena itself: no malloc per decoded JSON value. */
int sc_arena_defer(sc_arena *a, void (*fn)(void *), void *ptr)
{
    sc_deferred *d = sc_arena_alloc(a, sizeof *d);
    if (!d)
        return -1;
    *d = (sc_deferred){a->deferred, fn, ptr};
    a->deferred = d;
    return 0;
}

static void run_deferred(sc_arena *a)
{
    while (a->deferred) {
        sc_deferred *d = a->deferred;
        a->deferred = d->next;
        d->fn(d->ptr);
    }
}

sc_arena *sc_arena_new(size_t block_size)
{
    sc_arena *a = calloc(1, sizeof *a);
    if (a)
        a->block_size = block_size ? block_size : 16384;
    return a;
}

static void free_blocks(sc_block *b)
{
    while (b) {
        sc_block *next = b->next;
        free(b);
        b = next;
    }
}

void sc_arena_free(sc_arena *a)
{
    if (!a)
        return;
    run_deferred(a);
    free_blocks(a->head);
    free_blocks(a->spare);
    free(a);
}

/* b leaves the chain: kept as a spare while there is room, else freed. */
static void give_back(sc_arena *a, sc_block *b)
{
    if (a->spare_bytes + b->size <= SPARE_MAX) {
        b->next = a->spare;
        a->spare = b;
        a->spare_bytes += b->size;
        return;
    }
    a->held -= b->size;
    free(b);
}

/* A spare block with room for size bytes, taken off the spare list. */
static sc_block *take_spare(sc_arena *a, size_t size)
{
    for (sc_block **p = &a->spare; *p; p = &(*p)->next)
        if ((*p)->size >= size) {
            sc_block *b = *p;
            *p = b->next;
            a->spare_bytes -= b->size;
            return b;
        }
    return NULL;
}

/* Keeps the first block so that a reset-and-refill loop does not churn malloc. */
void sc_arena_reset(sc_arena *a)
{
    if (!a)
        return;
    run_deferred(a);
    if (!a->head)
        return;
    sc_block *keep = a->head;
    while (keep->next)
        keep = keep->next;
    for (sc_block *b = a->head; b != keep;) {
        sc_block *next = b->next;
        give_back(a, b);
        b = next;
    }
    keep->used = 0;
    a->head = keep;
}

/* No result set needs a single block of 512 GiB; above it malloc fails anyway,
 * or a sanitizer aborts the process instead of returning NULL. */
#define ARENA_MAX_BLOCK \
    ((size_t)(UINT64_C(1) << 39 < SIZE_MAX / 2 ? UINT64_C(1) << 39 : SIZE_MAX / 2))

void *sc_arena_alloc(sc_arena *a, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    /* Rounding up and adding the block header must not wrap around: a
     * wrapped size would be a small allocation handed out as a huge one. */
    if (!a || size > SIZE_MAX - sizeof(sc_block) - align)
        return NULL;
    size = (size + align - 1) / align * align;
    sc_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > a->block_size ? size : a->block_size;
        if (cap > ARENA_MAX_BLOCK - sizeof *b)
            return NULL;
        b = take_spare(a, size);
        if (!b) {
            if (a->limit && (cap > a->limit || a->held > a->limit - cap))
                return NULL;
            b = malloc(sizeof *b + cap);
            if (!b)
                return NULL;
            a->held += cap;
            b->size = cap;
        }
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

sc_arena_mark sc_arena_save(const sc_arena *a)
{
    sc_arena_mark m = {NULL, 0, NULL};
    if (a && a->head) {
        m.block = a->head;
        m.used = a->head->used;
        m.deferred = a->deferred;
    }
    return m;
}

/* Blocks allocated after the mark sit in front of it in the list (a new
 * block always becomes the head), deferred releases likewise. */
void sc_arena_rewind(sc_arena *a, sc_arena_mark m)
{
    if (!a)
        return;
    if (!m.block) {
        sc_arena_reset(a);
        return;
    }
    while (a->deferred && a->deferred != m.deferred) {
        sc_deferred *d = a->deferred;
        a->deferred = d->next;
        d->fn(d->ptr);
    }
    while (a->head && a->head != (sc_block *)m.block) {
        sc_block *next = a->head->next;
        give_back(a, a->head);
        a->head = next;
    }
    if (a->head)
        a->head->used = m.used;
}

void sc_arena_set_limit(sc_arena *a, size_t bytes)
{
    if (a)
        a->limit = bytes;
}

size_t sc_arena_bytes(const sc_arena *a)
{
    return a ? a->held : 0;
}

char *sc_arena_strndup(sc_arena *a, const char *s, size_t n)
{
    if (!s || n == SIZE_MAX) /* n + 1 would wrap to 0 */
        return NULL;
    char *p = sc_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}
