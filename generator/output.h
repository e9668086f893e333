/* Output files are renamed into place only when every one of them
 * rendered, so a failing run leaves the output directory as it was. A file
 * whose bytes did not change is not rewritten (make stays incremental, the
 * mtimes of unchanged files stay put). */
#ifndef SCHEMAC_GEN_OUTPUT_H
#define SCHEMAC_GEN_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

typedef struct gen_buf {
    char *data;
    size_t len, cap;
    gen_arena *arena;
} gen_buf;

void gen_buf_init(gen_buf *b, gen_arena *a);
void gen_buf_add(gen_buf *b, const char *s, size_t n);
void gen_buf_puts(gen_buf *b, const char *s);
void gen_buf_printf(gen_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct gen_file {
    const char *name; /* relative to the output directory */
    gen_buf body;
    char *heap;       /* body.data when malloc'd (gen_output_adopt), else NULL */
} gen_file;

typedef struct gen_output {
    gen_arena *arena;
    gen_file *files;
    size_t n, cap;
} gen_output;

void gen_output_init(gen_output *o, gen_arena *a);
gen_buf *gen_output_file(gen_output *o, const char *name);
/* Adds a file whose body is malloc'd text (a render's), taking it over
 * instead of copying it into the arena; gen_output_release frees it, or the
 * writer once it has staged the file. */
void gen_output_adopt(gen_output *o, const char *name, char *text, size_t len);
void gen_output_release(gen_output *o);

/* Writes every file under dir (creating it); returns 0, or -1 with a message
 * on stderr. *written counts files whose bytes changed. */
int gen_output_write(const gen_output *o, const char *dir, size_t *written);

/* Writing while rendering: a second thread compares each finished file
 * with the one on disk and, where they differ, writes it beside its target
 * (name.tmp), so that creating files, mostly kernel time, overlaps the
 * rendering of the next ones. gen_writer_finish renames the temporaries
 * into place only when commit (everything rendered) and nothing failed,
 * and removes them otherwise; -1 after a message on stderr. Without a
 * thread (gen_writer_start returned NULL) use gen_output_write. */
typedef struct gen_writer gen_writer;
gen_writer *gen_writer_start(gen_output *o, const char *dir);
void gen_writer_ready(gen_writer *w); /* o's files so far are complete; NULL: no-op */
int gen_writer_finish(gen_writer *w, bool commit, size_t *written);

/* Removes the *.c, *.h and *.sql files directly in dir and in dir/tests that
 * o does not produce (a dropped table's repository and its test);
 * migrations/ is never touched. */
int gen_output_prune(const gen_output *o, const char *dir, size_t *removed);

/* FNV-1a 64-bit: the schema hash stamped into generated files. */
unsigned long long gen_hash64(const void *data, size_t len);

#endif
