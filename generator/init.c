/* `schemac init [DIR]`: a new project a newcomer can build and test at once.
 *
 * It writes the starter files (templates/init_*.tmpl, compiled into the
 * binary like the other templates), then does what the project's own
 * Makefile and `schemac migrate new` would: generated/ from the starter
 * schema and the first migration. Those two run inside DIR with relative
 * paths, so the banners and headers name schema/app.yaml exactly as a
 * later `make` there does (a different path would make the first `make`
 * rewrite every file and `migrate check` see generated/ as stale). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "arena.h"
#include "migrate.h"
#include "output.h"
#include "render.h"
#include "schemac_gen.h"

/* What init writes, and from which template. */
static const struct {
    const char *file, *tmpl;
} starter[] = {
    {"schema/app.yaml", "init_app.yaml.tmpl"},
    {"Makefile", "init_Makefile.tmpl"},
    {".gitignore", "init_gitignore.tmpl"},
    {"src/main.c", "init_main.c.tmpl"},
    {"README.md", "init_README.md.tmpl"},
};
enum { NSTARTER = sizeof starter / sizeof starter[0] };

/* Refuses (every conflict reported) when DIR already holds one of the
 * files or generated/: init never overwrites, and writes nothing then. */
static int refuse_existing(const char *dir, gen_arena *a, gen_diag *d)
{
    int found = 0;
    for (size_t i = 0; i <= NSTARTER; i++) {
        const char *name = i < NSTARTER ? starter[i].file : "generated";
        const char *path = gen_printf(a, "%s/%s", dir, name);
        struct stat st;
        if (lstat(path, &st) == 0) {
            gen_error(d, (gen_loc){path, 0, 0},
                      "exists already: schemac init does not overwrite anything; "
                      "pick an empty or new directory");
            found++;
        }
    }
    return found ? -1 : 0;
}

/* The Makefile's view: where the schemac tree is (or "" for an installed
 * one) and how its runtime was built. */
static json_t *makefile_view(const gen_init_options *o)
{
    const char *build = o->schemac_build ? o->schemac_build : "build";
    bool san = strcmp(build, "build/san") == 0;
    return json_pack("{s:s, s:s, s:s}", "root", o->schemac_root ? o->schemac_root : "",
                     "build_subdir", build, "extra_flags",
                     san ? "-fsanitize=address,undefined -fno-omit-frame-pointer" : "");
}

/* Renders the starter files into out. */
static int render_starter(const gen_init_options *o, gen_output *out, gen_diag *d)
{
    char err[1024];
    render_templates *t = render_templates_new();
    json_t *v = makefile_view(o);
    int rc = render_templates_add_builtin(t, err, sizeof err);
    for (size_t i = 0; rc == 0 && i < NSTARTER; i++) {
        char *text;
        size_t len;
        rc = render(t, starter[i].tmpl, v, &text, &len, err, sizeof err);
        if (rc == 0) {
            gen_buf_add(gen_output_file(out, starter[i].file), text, len);
            free(text);
        }
    }
    if (rc)
        gen_error(d, (gen_loc){"templates", 0, 0}, "%s", err);
    json_decref(v);
    render_templates_free(t);
    return rc;
}

/* generate and migrate new, run in the project directory. */
static int generate_in(const char *dir, gen_diag *d)
{
    int here = open(".", O_RDONLY | O_DIRECTORY);
    if (here < 0 || chdir(dir) != 0) {
        gen_error(d, (gen_loc){dir, 0, 0}, "cannot enter the directory: %s", strerror(errno));
        if (here >= 0)
            close(here);
        return -1;
    }
    gen_options g = {.schema_path = "schema/app.yaml", .out_dir = "generated"};
    gen_migrate_options m = {.schema_path = g.schema_path, .out_dir = g.out_dir,
                             .message = "initial schema"};
    int rc = gen_generate(&g, d) || gen_migrate_new(&m, d, NULL) ? -1 : 0;
    if (fchdir(here) != 0 && rc == 0) {
        gen_error(d, (gen_loc){".", 0, 0}, "cannot return to the directory: %s", strerror(errno));
        rc = -1;
    }
    close(here);
    return rc;
}

int gen_init(const gen_init_options *o, gen_diag *d)
{
    const char *dir = o->dir && *o->dir ? o->dir : ".";
    gen_arena *a = gen_arena_new();
    gen_output out;
    gen_output_init(&out, a);
    size_t written = 0;
    int rc = refuse_existing(dir, a, d) || render_starter(o, &out, d) ||
                     gen_output_write(&out, dir, &written) || generate_in(dir, d)
                 ? 1
                 : 0;
    gen_diag_flush(d); /* the refusals' locations live in the arena */
    gen_arena_free(a);
    if (rc == 0)
        printf("schemac init: a new project in %s\n"
               "  next: cd %s && make && make test   (README.md says more)\n",
               dir, dir);
    return rc;
}
