#include "arena.h"

#include <stdbool.h>
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
    block *spare; /* standard blocks emptied by gen_arena_reset, for reuse */
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

static void free_blocks(block *b)
{
    for (block *next; b; b = next) {
        next = b->next;
        free(b);
    }
}

void gen_arena_free(gen_arena *a)
{
    if (!a)
        return;
    free_blocks(a->head);
    free_blocks(a->spare);
    free(a);
}

void gen_arena_reset(gen_arena *a)
{
    for (block *b = a->head, *next; b; b = next) {
        next = b->next;
        if (b->size == BLOCK_SIZE) {
            b->next = a->spare;
            a->spare = b;
        } else {
            free(b);
        }
    }
    a->head = NULL;
}

static size_t aligned(size_t size)
{
    const size_t align = _Alignof(max_align_t);
    return (size + align - 1) / align * align;
}

/* A request larger than a quarter block gets a block of its own, linked
 * behind the head, so the head's free tail is not abandoned: a growing
 * output buffer would otherwise waste most of every block it leaves. */
static block *block_for(gen_arena *a, size_t size)
{
    block *b = a->head;
    if (b && b->size - b->used >= size)
        return b;
    size_t cap = size > BLOCK_SIZE / 4 ? size : BLOCK_SIZE;
    block *fresh;
    if (cap == BLOCK_SIZE && a->spare) {
        fresh = a->spare;
        a->spare = fresh->next;
    } else {
        fresh = or_die(malloc(sizeof(block) + cap));
    }
    fresh->used = 0;
    fresh->size = cap;
    if (b && cap != BLOCK_SIZE) {
        fresh->next = b->next;
        b->next = fresh;
    } else {
        fresh->next = b;
        a->head = fresh;
    }
    return fresh;
}

/* Uninitialised memory, for callers that overwrite all of it at once. */
static void *alloc_raw(gen_arena *a, size_t size)
{
    size = aligned(size);
    block *b = block_for(a, size);
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

void *gen_alloc(gen_arena *a, size_t size)
{
    return memset(alloc_raw(a, size), 0, size);
}

void *gen_alloc_uninit(gen_arena *a, size_t size)
{
    return alloc_raw(a, size);
}

char *gen_strndup(gen_arena *a, const char *s, size_t n)
{
    char *p = alloc_raw(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gen_strdup(gen_arena *a, const char *s)
{
    return s ? gen_strndup(a, s, strlen(s)) : NULL;
}

/* The output of format_plain: bytes past cap are counted, not stored. */
typedef struct sink {
    char *dst;
    size_t cap, len;
} sink;

static void put_bytes(sink *o, const char *s, size_t n)
{
    if (o->len < o->cap)
        memcpy(o->dst + o->len, s, n < o->cap - o->len ? n : o->cap - o->len);
    o->len += n;
}

static void put_number(sink *o, unsigned long long v, bool neg)
{
    char digits[24];
    size_t n = sizeof digits;
    do
        digits[--n] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    if (neg)
        digits[--n] = '-';
    put_bytes(o, digits + n, sizeof digits - n);
}

/* The conversions nearly every generator format uses (%s, %.*s, %d, %u,
 * %zu, %c, %%), without vsnprintf's per-call set-up, which took a fifth of
 * a run. False at any other conversion or a NULL string; the caller then
 * uses vsnprintf with its own copy of the arguments. */
static bool format_plain(sink *o, const char *fmt, va_list *ap)
{
    for (const char *f = fmt; *f;) {
        const char *pct = strchr(f, '%');
        size_t lit = pct ? (size_t)(pct - f) : strlen(f);
        put_bytes(o, f, lit);
        if (!pct)
            break;
        f = pct + 1;
        if (*f == 's' || (f[0] == '.' && f[1] == '*' && f[2] == 's')) {
            int prec = *f == '.' ? va_arg(*ap, int) : -1;
            const char *str = va_arg(*ap, const char *);
            if (!str)
                return false;
            put_bytes(o, str, prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str));
            f += *f == '.' ? 3 : 1;
        } else if (*f == 'd') {
            int v = va_arg(*ap, int);
            put_number(o, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0);
            f++;
        } else if (*f == 'u') {
            put_number(o, va_arg(*ap, unsigned), false);
            f++;
        } else if (f[0] == 'z' && f[1] == 'u') {
            put_number(o, va_arg(*ap, size_t), false);
            f += 2;
        } else if (*f == 'c' || *f == '%') {
            char c = *f == 'c' ? (char)va_arg(*ap, int) : '%';
            put_bytes(o, &c, 1);
            f++;
        } else {
            return false;
        }
    }
    return true;
}

/* One pass into a stack buffer for the common short string, a second only
 * when the result outgrows it; formats format_plain does not know go to
 * vsnprintf the same way. */
char *gen_vprintf(gen_arena *a, const char *fmt, va_list ap)
{
    char small[512];
    sink o = {small, sizeof small, 0};
    va_list args;
    va_copy(args, ap);
    bool plain = format_plain(&o, fmt, &args);
    va_end(args);
    if (plain && o.len < sizeof small)
        return gen_strndup(a, small, o.len);
    if (plain) {
        sink full = {alloc_raw(a, o.len + 1), o.len + 1, 0};
        va_copy(args, ap);
        format_plain(&full, fmt, &args);
        va_end(args);
        full.dst[full.len] = '\0';
        return full.dst;
    }
    va_copy(args, ap);
    int n = vsnprintf(small, sizeof small, fmt, args);
    va_end(args);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof small)
        return gen_strndup(a, small, (size_t)n);
    char *p = alloc_raw(a, (size_t)n + 1);
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

/* The last allocation of the head block grows where it is when the block
 * has room (a buffer being appended to, the common case); anything else
 * moves. */
static void grow(gen_arena *a, void **items, size_t *cap, size_t need, size_t elem_size, bool zero)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    block *b = a->head;
    size_t old = aligned(*cap * elem_size), want = aligned(ncap * elem_size);
    if (*cap && b && (char *)*items + old == (char *)b->data + b->used &&
        b->used - old + want <= b->size) {
        b->used += want - old;
    } else {
        void *p = alloc_raw(a, ncap * elem_size);
        if (*cap)
            memcpy(p, *items, *cap * elem_size);
        *items = p;
    }
    if (zero)
        memset((char *)*items + *cap * elem_size, 0, (ncap - *cap) * elem_size);
    *cap = ncap;
}

void gen_grow(gen_arena *a, void **items, size_t *cap, size_t need, size_t elem_size)
{
    grow(a, items, cap, need, elem_size, true);
}

void gen_grow_uninit(gen_arena *a, void **items, size_t *cap, size_t need, size_t elem_size)
{
    grow(a, items, cap, need, elem_size, false);
}
