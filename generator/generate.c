/* The generate verb: schema -> model -> views -> templates -> files. Files
 * are staged beside their targets as they render and renamed into place
 * only once all of them rendered, so that a failure anywhere changes
 * nothing (the staged temporaries are removed). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "diff.h"
#include "model.h"
#include "output.h"
#include "render.h"
#include "schemac.h"
#include "schemac_gen.h"
#include "view.h"

int gen_check_schema(const gen_options *o, gen_diag *d)
{
    gen_arena *a = gen_arena_new();
    m_schema *s = gen_schema_load(o->schema_path, a, d);
    gen_arena_free(a);
    return s ? 0 : 1;
}

static render_templates *load_templates(const gen_options *o, gen_diag *d)
{
    char err[1024];
    render_templates *t = render_templates_new();
    if (render_templates_add_builtin(t, err, sizeof err) != 0 ||
        (o->templates_dir && render_templates_load_dir(t, o->templates_dir, err, sizeof err) != 0)) {
        gen_error(d, (gen_loc){o->templates_dir ? o->templates_dir : "templates", 0, 0}, "%s", err);
        render_templates_free(t);
        return NULL;
    }
    return t;
}

/* The output being rendered and, when a thread writes as it goes, its writer. */
typedef struct sink {
    gen_output *out;
    gen_writer *writer;
} sink;

/* Renders template `name` with view v (borrowed) into file `file` of out. */
static int render_file(const render_templates *t, const char *name, json_t *v, sink *out,
                       const char *file, gen_diag *d)
{
    char err[1024], *text = NULL;
    size_t len = 0;
    int rc = render(t, name, v, &text, &len, err, sizeof err);
    if (rc != 0) {
        gen_error(d, (gen_loc){name, 0, 0}, "%s", err);
        return -1;
    }
    gen_output_adopt(out->out, file, text, len);
    gen_writer_ready(out->writer);
    return 0;
}

/* While views are built and rendered, jansson allocates from a scratch
 * arena that is emptied after each table: the views are discarded whole
 * instead of freed node by node (json_decref of a view walked and freed
 * every node, a fifth of the run), and the arena's blocks are reused, so
 * the run touches a few hundred kilobytes instead of growing by every
 * view. The views' own scratch strings (gen_printf into `a`) go there too;
 * what outlives a view lives in the model's arena (m_index_tables,
 * qt_table_depths) or in the output. jansson's free is a no-op meanwhile. */
static gen_arena *json_scratch;

static void *scratch_malloc(size_t size)
{
    return gen_alloc_uninit(json_scratch, size);
}

static void scratch_free(void *p)
{
    (void)p;
}

typedef struct view_scope {
    json_malloc_t old_malloc;
    json_free_t old_free;
} view_scope;

static void views_begin(view_scope *scope, gen_arena *scratch)
{
    json_get_alloc_funcs(&scope->old_malloc, &scope->old_free);
    json_scratch = scratch;
    json_set_alloc_funcs(scratch_malloc, scratch_free);
}

static void views_end(const view_scope *scope)
{
    json_set_alloc_funcs(scope->old_malloc, scope->old_free);
    json_scratch = NULL;
}

static int render_tables(const m_schema *s, const render_templates *t, gen_arena *scratch,
                         const view_env *env, sink *out, gen_diag *d)
{
    const char *p = s->prefix;
    int rc = 0;
    for (size_t i = 0; i < s->ntables && rc == 0; i++) {
        const m_table *table = &s->tables[i];
        gen_arena_reset(scratch);
        json_t *v = view_repository(scratch, s, table, env);
        rc |= render_file(t, "repository.h.tmpl", v, out, gen_printf(scratch, "%s_%s.h", p, table->name), d);
        rc |= render_file(t, "repository.c.tmpl", v, out, gen_printf(scratch, "%s_%s.c", p, table->name), d);
        v = view_tests(scratch, s, table, env);
        rc |= render_file(t, "test_repository.c.tmpl", v, out,
                          gen_printf(scratch, "tests/test_%s_%s.c", p, table->name), d);
    }
    return rc;
}

static int render_all(const m_schema *s, const render_templates *t, gen_arena *a,
                      const gen_options *o, sink *out, gen_diag *d)
{
    view_env env = {o->schema_path, SC_VERSION_NUMBER, SC_VERSION_STRING};
    const char *p = s->prefix;
    gen_arena *scratch = gen_arena_new();
    view_scope scope;
    views_begin(&scope, scratch);
    /* Each view is built once and feeds both the header and the source. */
    json_t *v = view_models(scratch, s, &env);
    int rc = render_file(t, "models.h.tmpl", v, out, gen_printf(a, "%s_models.h", p), d);
    rc |= render_file(t, "models.c.tmpl", v, out, gen_printf(a, "%s_models.c", p), d);
    gen_arena_reset(scratch);
    v = view_catalog(scratch, s, &env);
    rc |= render_file(t, "catalog.h.tmpl", v, out, gen_printf(a, "%s_catalog.h", p), d);
    rc |= render_file(t, "catalog.c.tmpl", v, out, gen_printf(a, "%s_catalog.c", p), d);
    gen_arena_reset(scratch);
    v = view_factories(scratch, s, &env);
    rc |= render_file(t, "factories.h.tmpl", v, out, gen_printf(a, "tests/%s_factories.h", p), d);
    rc |= render_file(t, "factories.c.tmpl", v, out, gen_printf(a, "tests/%s_factories.c", p), d);
    if (rc == 0)
        rc = render_tables(s, t, scratch, &env, out, d);
    views_end(&scope);
    gen_arena_free(scratch);
    ddl_script ddl;
    ddl_script_init(&ddl, a);
    ddl_create_all(s, &ddl);
    diff_citus_script(a, s, &ddl);
    ddl_write_script(s, &ddl, gen_output_file(out->out, "schema.sql"));
    gen_writer_ready(out->writer);
    return rc;
}

int gen_generate(const gen_options *o, gen_diag *d)
{
    gen_arena *a = gen_arena_new();
    int rc = 1;
    m_schema *s = gen_schema_load(o->schema_path, a, d);
    render_templates *t = s ? load_templates(o, d) : NULL;
    if (t) {
        gen_output out;
        gen_output_init(&out, a);
        sink to = {&out, gen_writer_start(&out, o->out_dir)};
        size_t written, removed;
        bool rendered = render_all(s, t, a, o, &to, d) == 0;
        int wrote = to.writer ? gen_writer_finish(to.writer, rendered, &written)
                    : rendered ? gen_output_write(&out, o->out_dir, &written)
                               : 0;
        if (rendered && wrote == 0)
            rc = gen_output_prune(&out, o->out_dir, &removed) == 0 ? 0 : 1;
        gen_output_release(&out);
    }
    render_templates_free(t);
    gen_arena_free(a);
    return rc;
}
