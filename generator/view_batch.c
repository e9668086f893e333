/* The batch forms of single-statement functions (<function>_batch): an array
 * of one call's arguments in, every call in one pipeline (sc_query_batch),
 * a per-call outcome out. The body fills one bind struct per call the way
 * the single function fills its one, then hands the array to the runtime. */
#include <stdio.h>
#include <string.h>

#include "view_batch.h"
#include "view_util.h"

bool vb_plain_params(const vfunc *f)
{
    for (size_t i = 0; i < f->nparams; i++)
        if (f->params[i].hidden || (f->params[i].computed && strcmp(f->params[i].name, "allowed_from") == 0))
            return false;
    return true;
}

/* sc_args[i].x = items[i].x for every argument the caller gives. */
const char *vb_fill(const vfunc *f)
{
    gen_buf b;
    gen_buf_init(&b, f->a);
    for (size_t i = 0; i < f->nparams; i++) {
        const vparam *p = &f->params[i];
        if (p->computed || p->hidden)
            continue;
        if (p->type.array || vu_is_blob(&p->type))
            gen_buf_printf(&b, "        if (items[i].%s)\n            sc_args[i].%s = *items[i].%s;\n",
                           p->name, p->name, p->name);
        else
            gen_buf_printf(&b, "        sc_args[i].%s = items[i].%s;\n", p->name, p->name);
    }
    return b.data ? b.data : "";
}

/* The item struct of a function whose single form is positional: the same
 * members a struct-form function's _args has. */
void vb_declare_items(vfunc *f, json_t *view, json_t *fields)
{
    if (!fields) {
        fields = json_array();
        for (size_t i = 0; i < f->nparams; i++) {
            const vparam *p = &f->params[i];
            if (!p->computed && !p->hidden)
                json_array_append_new(fields, json_pack("{s:s, s:n}", "decl", vu_decl(f->a, vr_arg_type(f, p), p->name), "note"));
        }
    }
    json_object_set_new(view, "public_args",
                        json_pack("{s:s, s:s, s:o}", "name", f->public_args, "comment",
                                  vu_comment(f->a, gen_printf(f->a, "One call of %s_batch: the arguments of %s.", f->name, f->name), "", 100),
                                  "fields", fields));
}

static const char *outputs_of(const vfunc *f, const vb_shape *sh)
{
    if (sh->row)
        return gen_printf(f->a, ", %s *out", sh->row);
    return sh->affected ? ", int64_t *out_affected" : "";
}

json_t *vb_function(const vfunc *f, const vb_shape *sh)
{
    gen_arena *a = f->a;
    const char *name = gen_printf(a, "%s_batch", f->name);
    const char *proto = vr_wrap(a, gen_printf(a, "int %s(sc_conn *conn%s, const %s *items, size_t n%s, sc_error *errors, sc_error *err)",
                                              name, sh->row ? ", sc_arena *arena" : "", f->public_args,
                                              outputs_of(f, sh)), strlen(name) + 5);
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_printf(&b, "    if (n && !items)\n%s;\n"
                       "    %s *sc_args = calloc(n ? n : 1, sizeof *sc_args);\n"
                       "    if (!sc_args)\n%s;\n"
                       "    for (size_t i = 0; i < n; i++) {\n%s    }\n",
                   vr_wrap(a, gen_printf(a, "        return sc_error_set(err, SC_MISUSE, \"%s: items is NULL\")", name), 28),
                   f->args_struct,
                   vr_wrap(a, gen_printf(a, "        return sc_error_set(err, SC_NO_MEMORY, \"%s: out of memory\")", name), 28),
                   sh->fill);
    gen_buf_printf(&b, "    sc_batch sc_calls = {.args = sc_args, .args_size = sizeof *sc_args, .n = n,\n"
                       "                         %s.errors = errors, .none_is_error = %s};\n"
                       "%s;\n"
                       "    free(sc_args);\n"
                       "    return sc_rc;\n",
                   sh->row ? ".arena = arena, .rows = out, " : sh->affected ? ".affected = out_affected, " : "",
                   sh->none_is_error ? "true" : "false",
                   vr_wrap(a, gen_printf(a, "    int sc_rc = sc_query_batch(conn, &%s_queries[0], &sc_calls, err)", f->name), 31));
    const char *outcome = sh->row ? "out (NULL: not kept) gets each call's row" : sh->affected ? "out_affected (NULL: not kept) gets each call's row count" : NULL;
    const char *comment = gen_printf(a, "%s for each of n items in one pipeline (a round trip per SC_BATCH_CHUNK calls), all or nothing: outside a transaction in one of its own, inside the caller's a failing call aborts it%s.%s%s errors (NULL: err only) gets each call's outcome, SC_NOT_RUN for calls not run or rolled back because another failed. Bad input is refused before anything is sent.",
                                     f->name, sh->none_is_error ? " (a call that finds no row is SC_NOT_FOUND and, in the caller's transaction, does not abort it)" : "",
                                     outcome ? " " : "", outcome ? gen_printf(a, "%s;", outcome) : "");
    return vr_companion_view(f, name, comment, proto, b.data);
}
