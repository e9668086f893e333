#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void gen_buf_init(gen_buf *b, gen_arena *a)
{
    memset(b, 0, sizeof *b);
    b->arena = a;
}

void gen_buf_add(gen_buf *b, const char *s, size_t n)
{
    gen_grow(b->arena, (void **)&b->data, &b->cap, b->len + n + 1, 1);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void gen_buf_puts(gen_buf *b, const char *s)
{
    gen_buf_add(b, s, strlen(s));
}

void gen_buf_printf(gen_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = gen_vprintf(b->arena, fmt, ap);
    va_end(ap);
    gen_buf_puts(b, s);
}

void gen_output_init(gen_output *o, gen_arena *a)
{
    memset(o, 0, sizeof *o);
    o->arena = a;
}

gen_buf *gen_output_file(gen_output *o, const char *name)
{
    gen_grow(o->arena, (void **)&o->files, &o->cap, o->n + 1, sizeof *o->files);
    gen_file *f = &o->files[o->n++];
    f->name = gen_strdup(o->arena, name);
    gen_buf_init(&f->body, o->arena);
    return &f->body;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static int same_bytes(const char *path, const gen_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int same = 1;
    char chunk[65536];
    size_t off = 0, got;
    while (same && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        same = off + got <= b->len && memcmp(chunk, b->data + off, got) == 0;
        off += got;
    }
    fclose(f);
    return same && off == b->len;
}

static int write_atomically(const char *path, const gen_buf *b)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    size_t put = b->len ? fwrite(b->data, 1, b->len, f) : 0;
    if (fclose(f) != 0 || put != b->len || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

int gen_output_write(const gen_output *o, const char *dir, size_t *written)
{
    *written = 0;
    for (size_t i = 0; i < o->n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, o->files[i].name);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        if (mkdirs(path) != 0) {
            fprintf(stderr, "schemac: cannot create directory %s: %s\n", path, strerror(errno));
            return -1;
        }
        *slash = '/';
        if (same_bytes(path, &o->files[i].body))
            continue;
        if (write_atomically(path, &o->files[i].body) != 0) {
            fprintf(stderr, "schemac: cannot write %s: %s\n", path, strerror(errno));
            return -1;
        }
        (*written)++;
    }
    return 0;
}

static bool is_generated_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcmp(dot, ".c") == 0 || strcmp(dot, ".h") == 0 || strcmp(dot, ".sql") == 0);
}

/* Prunes one directory level: dir/sub, whose files are named "sub/name". */
static void prune_level(const gen_output *o, const char *dir, const char *sub, size_t *removed)
{
    char level[4096];
    snprintf(level, sizeof level, "%s%s%s", dir, *sub ? "/" : "", sub);
    DIR *d = opendir(level);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (!is_generated_name(e->d_name))
            continue;
        char name[600];
        snprintf(name, sizeof name, "%s%s%s", sub, *sub ? "/" : "", e->d_name);
        bool produced = false;
        for (size_t i = 0; i < o->n && !produced; i++)
            produced = strcmp(o->files[i].name, name) == 0;
        char path[4800];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (!produced && remove(path) == 0)
            (*removed)++;
    }
    closedir(d);
}

int gen_output_prune(const gen_output *o, const char *dir, size_t *removed)
{
    *removed = 0;
    prune_level(o, dir, "", removed);
    prune_level(o, dir, "tests", removed);
    return 0;
}

unsigned long long gen_hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
