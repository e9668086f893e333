#include "output.h"

#include <dirent.h>
#include <pthread.h>
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

/* The directories this run made sure of: files alternate between dir and
 * dir/tests, and a mkdir walk per file costs a syscall per path component.
 * The ones it created are removed again when the run is abandoned. */
typedef struct made_dirs {
    char path[4][4096];
    size_t next;
    char created[8][4096];
    size_t ncreated;
} made_dirs;

static int make_one(const char *path, made_dirs *made)
{
    if (mkdir(path, 0777) == 0) {
        if (made->ncreated < 8)
            snprintf(made->created[made->ncreated++], sizeof made->created[0], "%s", path);
        return 0;
    }
    return errno == EEXIST ? 0 : -1;
}

void gen_output_adopt(gen_output *o, const char *name, char *text, size_t len)
{
    gen_buf *b = gen_output_file(o, name);
    *b = (gen_buf){text, len, len, NULL};
    o->files[o->n - 1].heap = text;
}

void gen_output_release(gen_output *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->files[i].heap);
        o->files[i].heap = NULL;
    }
}

static int mkdirs(const char *path, made_dirs *made)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (make_one(tmp, made) != 0)
            return -1;
        *p = '/';
    }
    return make_one(tmp, made);
}

static void remove_created(const made_dirs *made)
{
    for (size_t i = made->ncreated; i-- > 0;)
        rmdir(made->created[i]);
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

/* Files are written beside their target (path.tmp) and renamed over it, so
 * a reader (make, the compiler, an editor) never sees a half-written file.
 * There is no fsync: every file is reproducible from the schema, and an
 * fsync per file is what makes writing a large schema into a fresh
 * directory take seconds. After a crash a file may be stale or empty, never
 * torn, and the next generate rewrites whatever differs. */
static void temp_name(char *tmp, size_t size, const char *path)
{
    snprintf(tmp, size, "%s.tmp", path);
}

static int write_temp(const char *path, const gen_buf *b)
{
    char tmp[4200];
    temp_name(tmp, sizeof tmp, path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, b->data, b->len);
    if (close(fd) != 0 || rc != 0) {
        int keep = errno;
        unlink(tmp);
        errno = keep;
        return -1;
    }
    return 0;
}

static int commit_temp(const char *path)
{
    char tmp[4200];
    temp_name(tmp, sizeof tmp, path);
    if (rename(tmp, path) == 0)
        return 0;
    int keep = errno;
    unlink(tmp);
    errno = keep;
    return -1;
}

static void discard_temp(const char *path)
{
    char tmp[4200];
    temp_name(tmp, sizeof tmp, path);
    unlink(tmp);
}

/* Creates the directory of `path` (it ends at the last '/') once per run. */
static int ensure_dir(char *path, made_dirs *made)
{
    char *slash = strrchr(path, '/');
    *slash = '\0';
    bool known = false;
    for (size_t i = 0; i < 4 && !known; i++)
        known = strcmp(made->path[i], path) == 0;
    int rc = known ? 0 : mkdirs(path, made);
    if (rc != 0)
        fprintf(stderr, "schemac: cannot create directory %s: %s\n", path, strerror(errno));
    else if (!known)
        snprintf(made->path[made->next++ % 4], sizeof made->path[0], "%s", path);
    *slash = '/';
    return rc;
}

typedef enum { STAGE_SAME, STAGE_TEMP, STAGE_FAILED } stage_result;

/* Compares dir/name with b and, where they differ, writes b beside it. */
static stage_result stage_file(const char *dir, const gen_file *f, made_dirs *made)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, f->name);
    if (ensure_dir(path, made) != 0)
        return STAGE_FAILED;
    if (same_bytes(path, &f->body))
        return STAGE_SAME;
    if (write_temp(path, &f->body) == 0)
        return STAGE_TEMP;
    fprintf(stderr, "schemac: cannot write %s: %s\n", path, strerror(errno));
    return STAGE_FAILED;
}

static int commit_file(const char *dir, const gen_file *f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, f->name);
    if (commit_temp(path) == 0)
        return 0;
    fprintf(stderr, "schemac: cannot write %s: %s\n", path, strerror(errno));
    return -1;
}

int gen_output_write(const gen_output *o, const char *dir, size_t *written)
{
    *written = 0;
    made_dirs made = {0};
    for (size_t i = 0; i < o->n; i++) {
        stage_result r = stage_file(dir, &o->files[i], &made);
        if (r == STAGE_FAILED || (r == STAGE_TEMP && commit_file(dir, &o->files[i]) != 0))
            return -1;
        *written += r == STAGE_TEMP;
    }
    return 0;
}

/* ---- writing while rendering ------------------------------------------- */

struct gen_writer {
    gen_output *o; /* ready() takes over its adopted bodies */
    const char *dir;
    pthread_mutex_t lock;
    pthread_cond_t more;
    gen_file *jobs; /* copies of o's finished files (o->files moves as it grows) */
    stage_result *staged;
    size_t njobs, cap, done; /* done: jobs the writer has staged */
    bool closing, cancelled, failed;
    made_dirs made; /* the writer's, read by gen_writer_finish after the join */
    pthread_t thread;
};

static void *writer_main(void *arg)
{
    gen_writer *w = arg;
    for (size_t i = 0;; i++) {
        pthread_mutex_lock(&w->lock);
        while (i == w->njobs && !w->closing)
            pthread_cond_wait(&w->more, &w->lock);
        bool stop = i == w->njobs || w->failed || w->cancelled;
        gen_file job = stop ? (gen_file){0} : w->jobs[i];
        pthread_mutex_unlock(&w->lock);
        if (stop)
            return NULL;
        stage_result r = stage_file(w->dir, &job, &w->made);
        free(job.heap); /* staged: only its name is needed from here on */
        pthread_mutex_lock(&w->lock);
        w->staged[i] = r;
        w->done = i + 1;
        w->failed |= r == STAGE_FAILED;
        pthread_mutex_unlock(&w->lock);
    }
}

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size);
    if (!p) {
        fputs("schemac: out of memory\n", stderr);
        abort();
    }
    return p;
}

gen_writer *gen_writer_start(gen_output *o, const char *dir)
{
    gen_writer *w = xrealloc(NULL, sizeof *w);
    *w = (gen_writer){.o = o, .dir = dir};
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->more, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->more);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL; /* the caller writes at the end instead */
    }
    return w;
}

void gen_writer_ready(gen_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    if (w->o->n > w->cap) {
        w->cap = w->o->n * 2;
        w->jobs = xrealloc(w->jobs, w->cap * sizeof *w->jobs);
        w->staged = xrealloc(w->staged, w->cap * sizeof *w->staged);
    }
    for (; w->njobs < w->o->n; w->njobs++) {
        gen_file *f = &w->o->files[w->njobs];
        w->jobs[w->njobs] = *f;
        if (f->heap) /* the writer frees it once staged */
            *f = (gen_file){f->name, {NULL, 0, 0, NULL}, NULL};
    }
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->lock);
}

/* Renames what was staged into place, or (commit false, or a rename
 * failed) removes the temporaries left. */
static int writer_settle(gen_writer *w, bool commit, size_t *written)
{
    int rc = 0;
    for (size_t i = 0; i < w->njobs; i++) {
        if (w->staged[i] != STAGE_TEMP)
            continue;
        if (commit && commit_file(w->dir, &w->jobs[i]) == 0) {
            (*written)++;
            continue;
        }
        if (commit)
            rc = -1;
        commit = false;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", w->dir, w->jobs[i].name);
        discard_temp(path);
    }
    return rc;
}

int gen_writer_finish(gen_writer *w, bool commit, size_t *written)
{
    *written = 0;
    pthread_mutex_lock(&w->lock);
    w->closing = true;
    w->cancelled = !commit;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    for (size_t i = w->done; i < w->njobs; i++)
        free(w->jobs[i].heap); /* not staged: the writer stopped early */
    int rc = w->failed ? -1 : 0;
    rc |= writer_settle(w, commit && rc == 0, written);
    if (!commit)
        remove_created(&w->made);
    pthread_cond_destroy(&w->more);
    pthread_mutex_destroy(&w->lock);
    free(w->jobs);
    free(w->staged);
    free(w);
    return rc;
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
