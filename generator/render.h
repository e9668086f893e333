/* render: the mustache subset that turns the jansson view of the model into C
 * and SQL text through the templates in templates/.
 *
 * Tags (whitespace inside the braces is ignored: {{ name }} == {{name}}):
 *   {{name}}       a string, integer, real, true or false, written as is: there is
 *                  NO escaping (we emit C and SQL, not HTML). `name` is looked up
 *                  in the context stack, innermost first; `a.b` finds `a` like
 *                  that and then walks members (`b` is never searched outward);
 *                  `{{.}}` is the current item. A missing name, null, an array
 *                  or an object is an ERROR, never an empty string: templates
 *                  must not silently drop things.
 *   {{#name}}...{{/name}}
 *                  section. Array: the body once per element, the element pushed
 *                  on the context stack. Object: once, the object pushed. String
 *                  or number: once if non-empty / non-zero, the value pushed (so
 *                  {{.}} is it). true: once, the context unchanged. false, null,
 *                  an empty array, "" and 0: skipped. A missing name is an error.
 *   {{^name}}...{{/name}}
 *                  inverted section: the body once, context unchanged, exactly
 *                  when {{#name}} would skip it. A missing name is an error.
 *   {{@first}} {{@last}} {{@index}}
 *                  inside a section over an array (the innermost one): whether
 *                  this is the first / last element (booleans, usable as
 *                  sections: `{{^@last}}, {{/@last}}`) and the 0-based index.
 *                  Sections over these never push anything.
 *   {{>partial}}   the template `partial` (or else `partial.tmpl`) rendered in the
 *                  current context. Nesting deeper than RENDER_MAX_PARTIAL_DEPTH
 *                  is an error (it is almost always a recursive partial).
 *   {{! comment }} ignored; may span lines.
 *   {{=<% %>=}}    sets the delimiters for the rest of this template, for
 *                  templates whose C text itself contains `{{` (`= {{0}}`).
 *
 * Standalone lines: a line holding only one section, inverted, close, partial,
 * comment or delimiter tag plus spaces/tabs disappears entirely, newline
 * included, as in the mustache spec, so templates can be indented readably. A
 * standalone partial is indented by that line's leading whitespace on every
 * line of its template text (not inside interpolated values); unlike the spec,
 * empty lines stay empty so generated C carries no trailing whitespace.
 *
 * Errors read "name:line:col: message" (line and column of the tag, 1-based,
 * columns in bytes), e.g.
 *   repository.c.tmpl:12:5: unknown name 'c_type' (context: tables > columns; names here: name, sql_type)
 * Parse errors (unclosed tag or section, mismatched close tag, invalid name)
 * come from render_templates_add; lookup errors and unknown partials from
 * render. Render errors are reported, never aborted on; only running out of
 * memory aborts, as everywhere in the generator.
 *
 * Each template is parsed once into a flat node list; rendering walks it. */
#ifndef SCHEMAC_GEN_RENDER_H
#define SCHEMAC_GEN_RENDER_H

#include <stddef.h>

#include <jansson.h>

#define RENDER_MAX_PARTIAL_DEPTH 32

/* A set of named, parsed templates. Not thread-safe for writing; rendering only
 * reads it. */
typedef struct render_templates render_templates;

render_templates *render_templates_new(void);
void render_templates_free(render_templates *t); /* NULL is a no-op */

/* Parses `text` (len bytes, need not be NUL-terminated; it is copied) as
 * template `name`. A template of the same name is replaced, so a user's
 * --templates directory loaded after the built-ins overrides them. Returns 0,
 * or -1 with "name:line:col: message" in err (err may be NULL) and the set
 * unchanged. */
int render_templates_add(render_templates *t, const char *name, const char *text, size_t len,
                         char *err, size_t errsize);

/* Adds every `*.tmpl` file of dir, in byte order of file names; a template's
 * name is its file name (`row.c.tmpl`). Stops at the first error, returning -1
 * with a message in err; templates added before it stay. */
int render_templates_load_dir(render_templates *t, const char *dir, char *err, size_t errsize);

/* 1 if the set holds a template called exactly `name`. */
int render_templates_has(const render_templates *t, const char *name);

/* Renders template `name` with the context `ctx` (borrowed, not modified) into
 * a malloc'd NUL-terminated string *out of *outlen bytes (the caller frees it).
 * Returns 0, or -1 with *out = NULL and "name:line:col: message" in err (for
 * an unknown top-level template just "unknown template 'name'"). */
int render(const render_templates *t, const char *name, json_t *ctx, char **out, size_t *outlen,
           char *err, size_t errsize);

/* The templates compiled into the binary from every templates/NAME.tmpl by
 * mk/embed.sh (build/gen/templates_builtin.c); names are file names. */
typedef struct render_builtin_template {
    const char *name;
    const char *text;
    size_t len;
} render_builtin_template;

extern const render_builtin_template render_builtin[];
extern const size_t render_builtin_count;

/* Adds every built-in template (defined in the generated file). */
int render_templates_add_builtin(render_templates *t, char *err, size_t errsize);

#endif
