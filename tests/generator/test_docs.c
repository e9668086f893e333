/* The man pages and the bash completion, against the binary they describe.
 *
 * docs/man: every page passes `mandoc -Tlint -W warning` without a word;
 * schemac.1 has an entry under COMMANDS for every verb `schemac --help`
 * lists and every sub-verb `schemac migrate --help` lists, each entry names
 * every option its `--help` prints, ENVIRONMENT names every variable the
 * help texts mention, and no entry documents a verb that is gone. The
 * checker is shown to catch a page with an option or a sub-verb removed.
 *
 * completion/schemac.bash, run by bash as the shell would (COMP_WORDS,
 * COMP_CWORD, then COMPREPLY): the verbs, the sub-verbs, every option of
 * every --help and none of another sub-verb's, erd's formats, schema files,
 * and the revisions of generated/migrations or of --dir.
 *
 * Finds the repository from __FILE__ and the binary from SC_TEST_SCHEMAC
 * (set by `make run-tests`; default build/schemac). */
#include <ctype.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char schemac[PATH_MAX]; /* the binary, absolute */
static char tmpdir[64];        /* migrations for --dir, doctored pages */

/* The output (stdout and stderr) of a shell command, malloc'd; its exit
 * status into *status. */
static char *run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *run(int *status, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

/* `schemac ARGS --help`, which must succeed. */
static char *help(const char *args)
{
    int st;
    char *out = run(&st, "%s %s --help 2>&1", schemac, args);
    if (st != 0)
        print_error("schemac %s --help exited %d:\n%s\n", args, st, out);
    assert_int_equal(st, 0);
    return out;
}

/* ---- what --help says ---------------------------------------------------- */

typedef struct words {
    char w[64][64];
    int n;
} words;

static void words_add(words *ws, const char *w, size_t len)
{
    assert_true(ws->n < 64 && len < 64);
    for (int i = 0; i < ws->n; i++)
        if (strlen(ws->w[i]) == len && strncmp(ws->w[i], w, len) == 0)
            return;
    memcpy(ws->w[ws->n], w, len);
    ws->w[ws->n++][len] = '\0';
}

static bool words_has(const words *ws, const char *w)
{
    for (int i = 0; i < ws->n; i++)
        if (strcmp(ws->w[i], w) == 0)
            return true;
    return false;
}

/* The word after `lead` on each line that starts with it ("  schemac "). */
static words listed(const char *text, const char *lead)
{
    words ws = {.n = 0};
    size_t k = strlen(lead);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, lead, k) == 0)
            words_add(&ws, l + k, strcspn(l + k, " \n"));
    return ws;
}

static words verbs(void)
{
    char *h = help("");
    words ws = listed(h, "  schemac ");
    free(h);
    assert_true(ws.n >= 5 && words_has(&ws, "migrate"));
    return ws;
}

static words subverbs(void)
{
    char *h = help("migrate");
    words ws = listed(h, "  schemac migrate ");
    free(h);
    assert_true(ws.n >= 10 && words_has(&ws, "drift"));
    return ws;
}

/* The options a help text lists: the first word of each "  -" line after
 * "options:". */
static words options_of(const char *args)
{
    char *h = help(args);
    const char *o = strstr(h, "\noptions:\n");
    assert_non_null(o);
    words ws = listed(o, "  -");
    for (int i = 0; i < ws.n; i++) { /* put the dash back */
        memmove(ws.w[i] + 1, ws.w[i], strlen(ws.w[i]) + 1);
        ws.w[i][0] = '-';
    }
    free(h);
    assert_true(words_has(&ws, "--help"));
    return ws;
}

/* The variables a help text names: the upper-case words with an underscore
 * on its "environment" lines, and around DATABASE_URL. */
static void env_vars(const char *text, words *ws)
{
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        size_t len = strcspn(l, "\n");
        char *line = strndup(l, len);
        bool wanted = strncmp(line, "environment", 11) == 0 || strstr(line, "DATABASE_URL");
        free(line);
        if (!wanted)
            continue;
        for (size_t i = 0; i < len;) {
            size_t j = i;
            while (j < len && (isupper((unsigned char)l[j]) || l[j] == '_'))
                j++;
            if (j - i > 2 && memchr(l + i, '_', j - i) && (i == 0 || !isalnum((unsigned char)l[i - 1])))
                words_add(ws, l + i, j - i);
            i = j > i ? j : i + 1;
        }
    }
}

/* ---- what the page says --------------------------------------------------- */

/* The page as a reader sees it: mandoc's text without the overstrikes. */
static char *rendered(const char *page)
{
    int st;
    char *out = run(&st, "mandoc -Tascii -O width=300 '%s' 2>/dev/null", page);
    assert_int_equal(st, 0);
    char *w = out;
    for (const char *r = out; *r; r++) {
        if (*r == '\b') {
            if (w > out)
                w--;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return out;
}

/* The section `name` of a rendered page (its heading starts a line at column
 * 0, and so does the next one), malloc'd; NULL when there is none. */
static char *section(const char *text, const char *name)
{
    size_t k = strlen(name);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, name, k) != 0 || l[k] != '\n')
            continue;
        const char *body = l + k + 1, *end = body;
        while (*end && (*end == ' ' || *end == '\n'))
            end = strchr(end, '\n') ? strchr(end, '\n') + 1 : end + strlen(end);
        return strndup(body, (size_t)(end - body));
    }
    return NULL;
}

/* Whether `w` stands in text as a word of its own (an option: not part of
 * a longer option). */
static bool has_word(const char *text, const char *w)
{
    size_t k = strlen(w);
    for (const char *p = strstr(text, w); p; p = strstr(p + 1, w)) {
        bool before = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '-' || p[-1] == '_');
        bool after = !(isalnum((unsigned char)p[k]) || p[k] == '-' || p[k] == '_');
        if (before && after)
            return true;
    }
    return false;
}

/* The entry of COMMANDS that documents `key` ("generate", "migrate",
 * "migrate new"): from its head line, "     schemac KEY ...", to the next
 * head line. malloc'd, NULL when missing. Every key of an entry into *keys. */
static char *entry(const char *commands, const char *key, words *keys)
{
    static const char head[] = "     schemac ";
    char *found = NULL;
    const char *l = commands;
    while (l && *l) {
        const char *next = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL;
        if (strncmp(l, head, sizeof head - 1) != 0) {
            l = next;
            continue;
        }
        const char *k = l + sizeof head - 1;
        size_t len = strcspn(k, " \n");
        if (strncmp(k, "migrate ", 8) == 0 && islower((unsigned char)k[8]) &&
            strncmp(k + 8, "subverb", 7) != 0)
            len = 8 + strcspn(k + 8, " \n");
        const char *end = next;
        while (end && *end && strncmp(end, head, sizeof head - 1) != 0)
            end = strchr(end, '\n') ? strchr(end, '\n') + 1 : NULL;
        if (keys)
            words_add(keys, k, len);
        if (!found && strlen(key) == len && strncmp(k, key, len) == 0)
            found = end ? strndup(l, (size_t)(end - l)) : strdup(l);
        l = end;
    }
    return found;
}

/* What `page` (schemac.1) fails to document of what the binary's --help
 * texts say, one line each into report; returns their count. */
static int undocumented(const char *page, char *report, size_t size)
{
    int problems = 0;
    report[0] = '\0';
#define PROBLEM(...)                                                            \
    do {                                                                        \
        problems++;                                                             \
        snprintf(report + strlen(report), size - strlen(report), __VA_ARGS__);  \
        snprintf(report + strlen(report), size - strlen(report), "\n");         \
    } while (0)
    char *text = rendered(page);
    char *commands = section(text, "COMMANDS");
    char *environment = section(text, "ENVIRONMENT");
    assert_non_null(commands);
    assert_non_null(environment);

    words vs = verbs(), ss = subverbs(), keys = {.n = 0}, env = {.n = 0};
    entry(commands, "", &keys);
    for (int i = 0; i < vs.n + ss.n; i++) {
        char key[80], args[80];
        if (i < vs.n)
            snprintf(key, sizeof key, "%s", vs.w[i]);
        else
            snprintf(key, sizeof key, "migrate %s", ss.w[i - vs.n]);
        snprintf(args, sizeof args, "%s", key);
        char *e = entry(commands, key, NULL);
        if (!e) {
            PROBLEM("COMMANDS has no entry \"schemac %s\"", key);
            continue;
        }
        char *h = help(args);
        env_vars(h, &env);
        free(h);
        if (strcmp(key, "migrate") != 0) {
            words os = options_of(args);
            for (int j = 0; j < os.n; j++)
                if (strcmp(os.w[j], "--help") != 0 && !has_word(e, os.w[j]))
                    PROBLEM("the entry of schemac %s does not name %s", key, os.w[j]);
        }
        free(e);
    }
    for (int i = 0; i < keys.n; i++) {
        const char *k = keys.w[i];
        bool known = strncmp(k, "migrate ", 8) == 0 ? words_has(&ss, k + 8) : words_has(&vs, k);
        if (!known)
            PROBLEM("COMMANDS documents \"schemac %s\", which schemac --help does not list", k);
    }
    for (int i = 0; i < env.n; i++)
        if (!has_word(environment, env.w[i]))
            PROBLEM("ENVIRONMENT does not name %s", env.w[i]);
    if (!has_word(text, "--help") || !has_word(text, "--version"))
        PROBLEM("the page names neither --help nor --version");
#undef PROBLEM
    free(environment);
    free(commands);
    free(text);
    return problems;
}

/* ---- the tests ------------------------------------------------------------ */

static void man_pages_pass_mandoc_lint(void **state)
{
    (void)state;
    assert_int_equal(access("docs/man/schemac.1", R_OK), 0);
    assert_int_equal(access("docs/man/schemac-schema.5", R_OK), 0);
    glob_t g;
    assert_int_equal(glob("docs/man/*.[1-9]", 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        int st;
        char *out = run(&st, "mandoc -Tlint -W warning '%s' 2>&1", g.gl_pathv[i]);
        if (st != 0 || *out)
            print_error("mandoc -Tlint -W warning %s (status %d):\n%s\n", g.gl_pathv[i], st, out);
        assert_int_equal(st, 0);
        assert_string_equal(out, "");
        free(out);
    }
    globfree(&g);
}

static void schemac_1_documents_every_verb_and_option(void **state)
{
    (void)state;
    static char report[1 << 14];
    int n = undocumented("docs/man/schemac.1", report, sizeof report);
    if (n)
        print_error("docs/man/schemac.1 lags behind schemac --help:\n%s", report);
    assert_int_equal(n, 0);
}

/* The page without its lines that mention `drop`: the checker must say so. */
static void doctored(const char *drop, const char *expect)
{
    char page[128], report[1 << 14];
    snprintf(page, sizeof page, "%s/doctored.1", tmpdir);
    int st;
    free(run(&st, "grep -v -e '%s' docs/man/schemac.1 >%s", drop, page));
    assert_int_equal(st, 0);
    assert_true(undocumented(page, report, sizeof report) > 0);
    if (!strstr(report, expect))
        print_error("expected \"%s\" in:\n%s", expect, report);
    assert_non_null(strstr(report, expect));
}

static void the_check_catches_a_missing_option_or_subverb(void **state)
{
    (void)state;
    doctored("\\\\-dir", "the entry of schemac migrate up does not name --dir");
    doctored("^\\.It Nm Cm migrate stamp", "COMMANDS has no entry \"schemac migrate stamp\"");
    doctored("DB_POOLER", "ENVIRONMENT does not name DB_POOLER");
}

/* COMPREPLY of completion/schemac.bash for the command line `line` (bash
 * words; the one completed is the last, or the one marked by a word "^"
 * after it), one candidate a line, sorted. */
static char *complete(const char *line)
{
    int st;
    char *out = run(&st,
                    "bash --norc --noprofile -c '. completion/schemac.bash && "
                    "COMP_WORDS=(%s) && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && "
                    "for i in \"${!COMP_WORDS[@]}\"; do [[ ${COMP_WORDS[i]} == ^ ]] && "
                    "COMP_CWORD=$((i - 1)) && unset \"COMP_WORDS[i]\" && "
                    "COMP_WORDS=(\"${COMP_WORDS[@]}\") && break; done; _schemac && "
                    "printf \"%%s\\n\" \"${COMPREPLY[@]}\"' 2>&1 | LC_ALL=C sort",
                    line);
    assert_int_equal(st, 0);
    return out;
}

static bool has_line(const char *text, const char *l)
{
    size_t k = strlen(l);
    for (const char *p = strstr(text, l); p; p = strstr(p + 1, l))
        if ((p == text || p[-1] == '\n') && p[k] == '\n')
            return true;
    return false;
}

static void assert_offers(const char *line, const char *want)
{
    char *out = complete(line);
    if (!has_line(out, want))
        print_error("completing [%s]: \"%s\" not among:\n%s", line, want, out);
    assert_true(has_line(out, want));
    free(out);
}

static void assert_offers_exactly(const char *line, const char *want)
{
    char *out = complete(line);
    if (strcmp(out, want) != 0)
        print_error("completing [%s]:\n%s\nwanted:\n%s", line, out, want);
    assert_string_equal(out, want);
    free(out);
}

static void completes_verbs_and_subverbs(void **state)
{
    (void)state;
    words vs = verbs(), ss = subverbs();
    for (int i = 0; i < vs.n; i++)
        assert_offers("schemac \"\"", vs.w[i]);
    assert_offers("schemac \"\"", "--help");
    assert_offers("schemac \"\"", "--version");
    for (int i = 0; i < ss.n; i++)
        assert_offers("schemac migrate \"\"", ss.w[i]);
    assert_offers_exactly("schemac migrate s", "sql\nstamp\n");
    assert_offers_exactly("schemac ch", "check-schema\n");
}

/* Every option each --help prints, and not another sub-verb's. */
static void completes_the_options_of_each_verb(void **state)
{
    (void)state;
    words vs = verbs(), ss = subverbs();
    for (int i = 0; i < vs.n + ss.n; i++) {
        char args[80], line[96];
        if (i < vs.n && strcmp(vs.w[i], "migrate") == 0)
            continue;
        snprintf(args, sizeof args, "%s%s", i < vs.n ? "" : "migrate ",
                 i < vs.n ? vs.w[i] : ss.w[i - vs.n]);
        snprintf(line, sizeof line, "schemac %s -", args);
        words os = options_of(args);
        for (int j = 0; j < os.n; j++)
            assert_offers(line, os.w[j]);
    }
    char *out = complete("schemac migrate up -");
    assert_false(has_line(out, "--allow-destructive"));
    assert_false(has_line(out, "-m"));
    free(out);
    assert_offers_exactly("schemac migrate new --al", "--allow-destructive\n");
    assert_offers_exactly("schemac migrate drift --sc", "--scratch-url\n");
}

static void completes_values_of_options(void **state)
{
    (void)state;
    assert_offers_exactly("schemac erd --format \"\"", "dot\nmermaid\nsvg\n");
    assert_offers_exactly("schemac erd --schema schema/sem", "schema/semantik.yaml\n");
    assert_offers("schemac generate --schema \"\"", "schema");
    assert_offers("schemac generate --out gen", "generated");
    assert_offers_exactly("schemac migrate new -m \"\"", "\n"); /* a message is free text */
    assert_offers_exactly("schemac check-schema tests/invalid/yaml_alias/",
                          "tests/invalid/yaml_alias/schema.yaml\n");
}

/* The revisions of generated/migrations: the NNNN of its NNNN_slug.sql. */
static void completes_revisions(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("generated/migrations/[0-9][0-9][0-9][0-9]_*.sql", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 1);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char rev[5];
        snprintf(rev, sizeof rev, "%s", g.gl_pathv[i] + strlen("generated/migrations/"));
        assert_offers("schemac migrate down --to \"\"", rev);
        assert_offers("schemac migrate stamp \"\"", rev);
        assert_offers("schemac migrate up \"\"", rev);
        assert_offers("schemac migrate sql \"\"", rev);
    }
    globfree(&g);
    assert_offers("schemac migrate down --to \"\"", "base");
    assert_offers("schemac migrate stamp \"\"", "head");
    assert_offers("schemac migrate stamp \"\"", "none");
    assert_offers("schemac migrate rebase \"\"", "0001_initial_schema");

    /* --dir (anywhere on the line) wins over generated/migrations. */
    char line[256];
    snprintf(line, sizeof line, "schemac migrate down --dir %s --to \"\"", tmpdir);
    assert_offers_exactly(line, "0042\n0043\nbase\n");
    snprintf(line, sizeof line, "schemac migrate stamp \"\" ^ --dir %s", tmpdir);
    assert_offers_exactly(line, "0042\n0043\nbase\nhead\nnone\n");
    snprintf(line, sizeof line, "schemac migrate rebase --dir %s 0043", tmpdir);
    assert_offers_exactly(line, "0043_second\n");
    /* A:B, whether or not COMP_WORDBREAKS split the word at the colon. */
    snprintf(line, sizeof line, "schemac migrate sql --dir %s 0042:", tmpdir);
    assert_offers_exactly(line, "0042:0042\n0042:0043\n0042:base\n0042:head\n");
    snprintf(line, sizeof line, "schemac migrate sql --dir %s 0042 : 004", tmpdir);
    assert_offers_exactly(line, "0042\n0043\n");
}

static int setup(void **state)
{
    (void)state;
    /* The repository: where __FILE__ is. make compiles from the top, so it
     * is relative; run from elsewhere, the binary's directory (build/tests/
     * generator, or build/san/...) is below the repository. */
    char root[PATH_MAX + 2];
    snprintf(root, sizeof root, "%s", __FILE__);
    char *cut = strstr(root, "tests/generator/test_docs.c");
    if (!cut)
        return -1;
    *cut = '\0';
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    while (root[0] != '/' && access(__FILE__, R_OK) != 0 && n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (!slash || slash == exe)
            return -1;
        *slash = '\0';
        n = slash - exe;
        char probe[PATH_MAX + 40];
        snprintf(probe, sizeof probe, "%s/%s", exe, __FILE__);
        if (access(probe, R_OK) == 0)
            snprintf(root, sizeof root, "%s/", exe);
    }
    /* SC_TEST_SCHEMAC is relative to where the suite started. */
    const char *bin = getenv("SC_TEST_SCHEMAC");
    if (bin && *bin && !realpath(bin, schemac))
        return -1;
    if (*root && chdir(root) != 0)
        return -1;
    if (!(bin && *bin) && !realpath("build/schemac", schemac))
        return -1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/schemac-docs.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    int st;
    free(run(&st, "cd %s && touch 0042_first.sql 0042_first.snapshot.json 0043_second.sql "
                  "0043_second.snapshot.json notes.txt", tmpdir));
    return st;
}

static int teardown(void **state)
{
    (void)state;
    int st;
    free(run(&st, "rm -rf %s", tmpdir));
    return st;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(man_pages_pass_mandoc_lint),
        cmocka_unit_test(schemac_1_documents_every_verb_and_option),
        cmocka_unit_test(the_check_catches_a_missing_option_or_subverb),
        cmocka_unit_test(completes_verbs_and_subverbs),
        cmocka_unit_test(completes_the_options_of_each_verb),
        cmocka_unit_test(completes_values_of_options),
        cmocka_unit_test(completes_revisions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
