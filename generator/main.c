/* schemac: the command line. Every verb is a row of the table below, which
 * also carries its help text; the work is done by the library in
 * schemac_gen.h. */
#include <stdio.h>
#include <string.h>

#include "schemac_gen.h"

typedef struct verb {
    const char *name;
    const char *usage;
    const char *help;
    int (*run)(const gen_options *o, gen_diag *d);
} verb;

static const verb verbs[] = {
    {"generate", "generate [--schema FILE] [--out DIR] [--templates DIR]",
     "Validates the schema and writes the generated C sources into DIR.\n"
     "Nothing is written when the schema has errors; files whose bytes are\n"
     "unchanged are left alone.",
     gen_generate},
    {"check-schema", "check-schema [--schema FILE | FILE]",
     "Validates the schema and reports every error as file:line:col; writes nothing.",
     gen_check_schema},
};

static const char *const option_help =
    "  --schema FILE     the schema (default schema/semantik.yaml)\n"
    "  --out DIR         the output directory (default generated)\n"
    "  --templates DIR   templates overriding the built-in set\n"
    "  --help            this text\n";

static void print_usage(FILE *f)
{
    fprintf(f, "usage: schemac VERB [OPTIONS]   (schemac %s)\n\nverbs:\n", SCHEMAC_GEN_VERSION);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  schemac %s\n", verbs[i].usage);
    fprintf(f, "\n'schemac VERB --help' explains a verb.\n");
}

static void print_verb_help(const verb *v)
{
    printf("usage: schemac %s\n\n%s\n\noptions:\n%s", v->usage, v->help, option_help);
}

static const verb *find_verb(const char *name)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(verbs[i].name, name) == 0)
            return &verbs[i];
    return NULL;
}

/* Returns 0, 1 for a usage error, or -1 when --help was printed. */
static int parse_options(const verb *v, int argc, char **argv, gen_options *o)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_verb_help(v);
            return -1;
        } else if (strcmp(arg, "--schema") == 0) {
            slot = &o->schema_path;
        } else if (strcmp(arg, "--out") == 0) {
            slot = &o->out_dir;
        } else if (strcmp(arg, "--templates") == 0) {
            slot = &o->templates_dir;
        } else if (arg[0] != '-') {
            o->schema_path = arg;
            continue;
        } else {
            fprintf(stderr, "schemac %s: unknown option '%s'\n", v->name, arg);
            return 1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "schemac %s: %s needs a value\n", v->name, arg);
            return 1;
        }
        *slot = argv[++i];
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("schemac %s\n", SCHEMAC_GEN_VERSION);
        return 0;
    }
    const verb *v = find_verb(argv[1]);
    if (!v) {
        fprintf(stderr, "schemac: unknown verb '%s'\n", argv[1]);
        print_usage(stderr);
        return 2;
    }
    gen_options o = {.schema_path = "schema/semantik.yaml", .out_dir = "generated"};
    int rc = parse_options(v, argc - 2, argv + 2, &o);
    if (rc)
        return rc < 0 ? 0 : 2;
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    rc = v->run(&o, &d);
    gen_diag_flush(&d);
    if (d.errors)
        fprintf(stderr, "%d error%s\n", d.errors, d.errors == 1 ? "" : "s");
    gen_diag_release(&d);
    return rc ? 1 : 0;
}
