/* The event-loop forms (<function>_send): the same arguments and statement
 * as the single form, queued on the connection with sc_query_send; the
 * answer is decoded into the caller's outputs and done(ctx, status, err)
 * called when sc_conn_process reads it. */
#include <stdio.h>
#include <string.h>

#include "view_send.h"
#include "view_util.h"

static const char *outputs_of(const vfunc *f, const vs_shape *sh)
{
    if (sh->many)
        return gen_printf(f->a, ", %s **out_rows, size_t *out_n", sh->row);
    if (sh->row)
        return gen_printf(f->a, ", %s *out", sh->row);
    return sh->affected ? ", int64_t *out_affected" : "";
}

static const char *request_of(const vfunc *f, const vs_shape *sh)
{
    if (sh->many)
        return "{.answer = SC_ANSWER_MANY, .arena = arena, .rows = (void **)out_rows,\n"
               "                         .n = out_n, .done = done, .ctx = ctx}";
    if (sh->row)
        return "{.answer = SC_ANSWER_ONE, .arena = arena, .row = out,\n"
               "                         .done = done, .ctx = ctx}";
    return gen_printf(f->a, "{.answer = SC_ANSWER_EXEC, .affected = %s, .none_is_error = %s,\n"
                            "                         .done = done, .ctx = ctx}",
                      sh->affected ? "out_affected" : "NULL", sh->none_is_error ? "true" : "false");
}

json_t *vs_function(const vfunc *f, const vs_shape *sh)
{
    gen_arena *a = f->a;
    const char *name = gen_printf(a, "%s_send", f->name);
    const char *proto = vr_wrap(a, gen_printf(a, "int %s(sc_conn *conn%s%s%s, sc_done_fn done, void *ctx, sc_error *err)",
                                              name, sh->row ? ", sc_arena *arena" : "", sh->inputs,
                                              outputs_of(f, sh)), strlen(name) + 5);
    gen_buf b;
    gen_buf_init(&b, a);
    gen_buf_puts(&b, sh->prefix);
    gen_buf_printf(&b, "    sc_request sc_req = %s;\n%s;\n", request_of(f, sh),
                   vr_wrap(a, gen_printf(a, "    return sc_query_send(conn, &%s_queries[%s], %s, &sc_req, err)",
                                         f->name, sh->variant, sh->args), 25));
    const char *out = sh->many ? "*out_rows and *out_n" : sh->row ? "out" : sh->affected ? "*out_affected" : NULL;
    const char *comment = gen_printf(a, "The event-loop form of %s: queues it on conn and returns at once; sc_conn_process decodes the answer%s and calls done(ctx, status, err) once (see sc_query_send).%s SC_OK: queued; otherwise nothing was sent and done is not called.",
                                     f->name, out ? gen_printf(a, " into %s", out) : "",
                                     out ? " The outputs and the arena must live until done is called." : "");
    return vr_companion_view(f, name, comment, proto, b.data);
}
