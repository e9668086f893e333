#include "yaml_tree.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

typedef struct loader {
    yaml_parser_t parser;
    const char *file;
    gen_arena *arena;
    gen_diag *diag;
    bool failed;
} loader;

static gen_loc mark_loc(const loader *l, yaml_mark_t m)
{
    return (gen_loc){l->file, (int)m.line + 1, (int)m.column + 1};
}

/* Next event, or false after reporting libyaml's syntax error. */
static bool next_event(loader *l, yaml_event_t *ev)
{
    if (yaml_parser_parse(&l->parser, ev))
        return true;
    yaml_parser_t *p = &l->parser;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->context)
        gen_error(l->diag, mark_loc(l, p->problem_mark), "YAML syntax error: %s %s", problem,
                  p->context);
    else
        gen_error(l->diag, mark_loc(l, p->problem_mark), "YAML syntax error: %s", problem);
    l->failed = true;
    return false;
}

static ynode *load_node(loader *l, yaml_event_t *ev, int depth);

static ynode *new_node(loader *l, ynode_kind kind, yaml_mark_t m)
{
    ynode *n = gen_alloc(l->arena, sizeof *n);
    n->kind = kind;
    n->loc = mark_loc(l, m);
    return n;
}

static void append(loader *l, ynode *parent, size_t *cap, ynode *key, ynode *val)
{
    size_t kcap = *cap;
    gen_grow(l->arena, (void **)&parent->vals, cap, parent->n + 1, sizeof(ynode *));
    if (parent->kind == Y_MAP)
        gen_grow(l->arena, (void **)&parent->keys, &kcap, parent->n + 1, sizeof(ynode *));
    if (key)
        parent->keys[parent->n] = key;
    parent->vals[parent->n++] = val;
}

static bool check_new_key(loader *l, const ynode *map, const ynode *key)
{
    if (key->kind != Y_SCALAR) {
        gen_error(l->diag, key->loc, "mapping keys must be plain scalars");
        return false;
    }
    for (size_t i = 0; i < map->n; i++) {
        const ynode *k = map->keys[i];
        if (k->len == key->len && memcmp(k->text, key->text, key->len) == 0) {
            gen_error(l->diag, key->loc, "duplicate key '%s' (first at line %d, column %d)",
                      key->text, k->loc.line, k->loc.col);
            return false;
        }
    }
    return true;
}

static ynode *load_collection(loader *l, yaml_event_t *start, int depth)
{
    bool is_map = start->type == YAML_MAPPING_START_EVENT;
    ynode *n = new_node(l, is_map ? Y_MAP : Y_SEQ, start->start_mark);
    yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    size_t cap = 0;
    for (;;) {
        yaml_event_t ev;
        if (!next_event(l, &ev))
            return NULL;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return n;
        }
        ynode *key = NULL;
        if (is_map) {
            key = load_node(l, &ev, depth + 1);
            if (!key || !next_event(l, &ev))
                return NULL;
        }
        ynode *val = load_node(l, &ev, depth + 1);
        if (!val)
            return NULL;
        if (!key || check_new_key(l, n, key))
            append(l, n, &cap, key, val);
    }
}

/* Consumes ev (and everything up to the node's end). */
static ynode *load_node(loader *l, yaml_event_t *ev, int depth)
{
    ynode *n = NULL;
    if (depth > YTREE_MAX_DEPTH) {
        gen_error(l->diag, mark_loc(l, ev->start_mark), "nesting deeper than %d levels",
                  YTREE_MAX_DEPTH);
        l->failed = true;
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = new_node(l, Y_SCALAR, ev->start_mark);
        n->text = gen_strndup(l->arena, (const char *)ev->data.scalar.value,
                              ev->data.scalar.length);
        n->len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (strlen(n->text) != n->len) {
            gen_error(l->diag, n->loc, "scalar contains a NUL character");
            l->failed = true;
        }
        break;
    case YAML_ALIAS_EVENT:
        gen_error(l->diag, mark_loc(l, ev->start_mark),
                  "YAML aliases are not supported in a schema; write the value out");
        l->failed = true;
        break;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT: {
        yaml_event_t start = *ev;
        n = load_collection(l, &start, depth);
        break;
    }
    default:
        gen_error(l->diag, mark_loc(l, ev->start_mark), "unexpected YAML event");
        l->failed = true;
        break;
    }
    yaml_event_delete(ev);
    return n;
}

static ynode *load_stream(loader *l)
{
    yaml_event_t ev;
    ynode *root = NULL;
    if (!next_event(l, &ev))
        return NULL;
    yaml_event_delete(&ev); /* STREAM_START */
    if (!next_event(l, &ev))
        return NULL;
    if (ev.type == YAML_STREAM_END_EVENT) {
        gen_error(l->diag, mark_loc(l, ev.start_mark), "the schema file is empty");
        yaml_event_delete(&ev);
        return NULL;
    }
    yaml_event_delete(&ev); /* DOCUMENT_START */
    if (!next_event(l, &ev) || !(root = load_node(l, &ev, 0)))
        return NULL;
    if (!next_event(l, &ev))
        return NULL;
    yaml_event_delete(&ev); /* DOCUMENT_END */
    if (!next_event(l, &ev))
        return NULL;
    if (ev.type != YAML_STREAM_END_EVENT) {
        gen_error(l->diag, mark_loc(l, ev.start_mark),
                  "a schema file holds one YAML document; found a second one");
        l->failed = true;
    }
    yaml_event_delete(&ev);
    return root;
}

ynode *ytree_load(const char *file, const char *buf, size_t len, gen_arena *a, gen_diag *d)
{
    loader l = {.file = file, .arena = a, .diag = d};
    if (!yaml_parser_initialize(&l.parser)) {
        gen_error(d, (gen_loc){file, 0, 0}, "cannot initialize the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf, len);
    ynode *root = load_stream(&l);
    yaml_parser_delete(&l.parser);
    return l.failed ? NULL : root;
}

char *ytree_read_file(const char *path, gen_arena *a, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        gen_grow_uninit(a, (void **)&buf, &cap, n + 65536 + 1, 1);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err) {
        errno = err;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

ynode *ymap_get(const ynode *map, const char *key)
{
    if (!map || map->kind != Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return map->vals[i];
    return NULL;
}

bool yscalar_is(const ynode *n, const char *text)
{
    return n && n->kind == Y_SCALAR && strcmp(n->text, text) == 0;
}

bool ynode_is_null(const ynode *n)
{
    return !n || (n->kind == Y_SCALAR && n->plain &&
                  (n->len == 0 || strcmp(n->text, "null") == 0 || strcmp(n->text, "~") == 0 ||
                   strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0));
}

const char *ynode_kind_name(ynode_kind k)
{
    switch (k) {
    case Y_SCALAR: return "a scalar";
    case Y_MAP: return "a mapping";
    case Y_SEQ: return "a list";
    }
    return "?";
}
