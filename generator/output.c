#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void gen_buf_init(gen_buf *b, gen_arena *a)
{
    memset(b, 0, sizeof *b);
    b->arena = a;
}

void gen_buf_add(gen_buf *b, const char *s, size_t n)
{
    gen_grow_uninit(b->arena, (void **)&b->data, &b->cap, b->len + n + 1, 1);
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

/* Whether path already holds exactly b's bytes: a size that differs says
 * no without reading. */
static bool same_bytes(const char *path, const gen_buf *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == b->len;
    char chunk[65536];
    for (size_t off = 0; same && off < b->len;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        same = got > 0 && (size_t)got <= b->len - off && memcmp(chunk, b->data + off, (size_t)got) == 0;
        off += got > 0 ? (size_t)got : 0;
    }
    close(fd);
    return same;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t put = write(fd, data, len);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return -1;
        data += put;
        len -= (size_t)put;
    }
    return 0;
}

/* Written beside the target and renamed over it, so a reader (make, the
 * compiler, an editor) never sees a half-written file. There is no fsync:
 * every file is reproducible from the schema, and an fsync per file is what
 * made writing a large schema into a fresh directory take seconds. After a
 * crash a file may be stale or empty, never torn, and the next generate
 * rewrites whatever differs. */
static int write_atomically(const char *path, const gen_buf *b)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, b->data, b->len);
    rc |= close(fd);
    if (rc != 0 || rename(tmp, path) != 0) {
        int keep = errno;
        unlink(tmp);
        errno = keep;
        return -1;
    }
    return 0;
}

/* The directories this run made sure of: files alternate between dir and
 * dir/tests, and a mkdir walk per file costs a syscall per path component. */
typedef struct made_dirs {
    char path[4][4096];
    size_t next;
} made_dirs;

/* Creates the directory of `path` (it ends at the last '/') once per run. */
static int ensure_dir(char *path, made_dirs *made)
{
    char *slash = strrchr(path, '/');
    *slash = '\0';
    bool known = false;
    for (size_t i = 0; i < 4 && !known; i++)
        known = strcmp(made->path[i], path) == 0;
    int rc = known ? 0 : mkdirs(path);
    if (rc != 0)
        fprintf(stderr, "schemac: cannot create directory %s: %s\n", path, strerror(errno));
    else if (!known)
        snprintf(made->path[made->next++ % 4], sizeof made->path[0], "%s", path);
    *slash = '/';
    return rc;
}

int gen_output_write(const gen_output *o, const char *dir, size_t *written)
{
    *written = 0;
    made_dirs made = {0};
    for (size_t i = 0; i < o->n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, o->files[i].name);
        if (ensure_dir(path, &made) != 0)
            return -1;
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

static int compare_names(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Prunes one directory level: dir/sub, whose files are named "sub/name";
 * names is o's file names, sorted. */
static void prune_level(const char **names, size_t n, const char *dir, const char *sub,
                        size_t *removed)
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
        const char *key = name;
        bool produced = bsearch(&key, names, n, sizeof *names, compare_names) != NULL;
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
    const char **names = gen_alloc(o->arena, (o->n + 1) * sizeof *names);
    for (size_t i = 0; i < o->n; i++)
        names[i] = o->files[i].name;
    qsort(names, o->n, sizeof *names, compare_names);
    prune_level(names, o->n, dir, "", removed);
    prune_level(names, o->n, dir, "tests", removed);
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
