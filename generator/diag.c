#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(void)
{
    fputs("schemac: out of memory\n", stderr);
    abort();
}

void gen_diag_init(gen_diag *d, gen_diag_fn fn, void *ctx)
{
    memset(d, 0, sizeof *d);
    d->fn = fn;
    d->ctx = ctx;
}

void gen_diag_release(gen_diag *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->entries[i].message);
    free(d->entries);
    d->entries = NULL;
    d->n = d->cap = 0;
}

void gen_error(gen_diag *d, gen_loc loc, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    d->errors++;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        gen_diag_entry *e = realloc(d->entries, cap * sizeof *e);
        if (!e)
            die_oom();
        d->entries = e;
        d->cap = cap;
    }
    gen_diag_entry *e = &d->entries[d->n];
    e->loc = loc;
    e->message = strdup(buf);
    if (!e->message)
        die_oom();
    e->seq = d->n++;
}

static int by_position(const void *pa, const void *pb)
{
    const gen_diag_entry *a = pa, *b = pb;
    int c = strcmp(a->loc.file ? a->loc.file : "", b->loc.file ? b->loc.file : "");
    if (c)
        return c;
    if (a->loc.line != b->loc.line)
        return a->loc.line < b->loc.line ? -1 : 1;
    if (a->loc.col != b->loc.col)
        return a->loc.col < b->loc.col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void gen_diag_format(char *buf, size_t size, const gen_loc *loc, const char *message)
{
    const char *file = loc->file ? loc->file : "<input>";
    if (loc->line > 0)
        snprintf(buf, size, "%s:%d:%d: error: %s", file, loc->line, loc->col, message);
    else
        snprintf(buf, size, "%s: error: %s", file, message);
}

void gen_diag_flush(gen_diag *d)
{
    if (d->n > 1)
        qsort(d->entries, d->n, sizeof *d->entries, by_position);
    for (size_t i = 0; i < d->n; i++) {
        gen_diag_entry *e = &d->entries[i];
        if (d->fn) {
            d->fn(d->ctx, &e->loc, e->message);
        } else {
            char line[1400];
            gen_diag_format(line, sizeof line, &e->loc, e->message);
            fprintf(stderr, "%s\n", line);
        }
        free(e->message);
    }
    d->n = 0;
}
