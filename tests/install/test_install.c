/* `make install` as a user meets it: into a temporary DESTDIR with a
 * non-default PREFIX, the tree holds exactly the library (real file, SONAME
 * link, dev link), the archive, the public headers, the pkg-config file, the
 * binary, the man pages and the completion; the shared library exports the
 * public sc_ API and no internal helper; a service (the demo and the
 * generated sources vendored into one directory) builds with
 * `pkg-config --cflags --libs libschemac` alone and runs against a real
 * PostgreSQL, migrated by the installed schemac; man finds the installed
 * pages and the installed completion completes; `make uninstall` removes
 * exactly what install wrote and nothing else.
 *
 * Runs from the top of the source tree (like every suite); it calls make
 * itself, always for the plain build: a SAN=1 library would need the
 * sanitizer flags at link time. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "schemac.h"

#define PREFIX "/opt/schemac"
#define STR_(x) #x
#define STR(x) STR_(x)
#define SONAME "libschemac.so." STR(SC_VERSION_MAJOR)
#define REAL_SO "libschemac.so." SC_VERSION_STRING

static char dest[64];    /* DESTDIR */
static char sysroot[80]; /* the machine after the install: /usr plus DESTDIR's /opt */

/* Runs a shell command; its stdout (and stderr) into out. Returns its status. */
static int run(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t size, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    char rest[4096]; /* drained, or a chatty command would block in write */
    while (fread(rest, 1, sizeof rest, p) > 0)
        ;
    int status = pclose(p);
    if (status != 0)
        print_error("command failed (%d): %s\n%s\n", status, cmd, out);
    return status;
}

/* The outer make's jobserver and variables (SAN=1) must not leak in. */
static int make(char *out, size_t size, const char *target)
{
    return run(out, size,
               "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory %s "
               "SAN=0 DESTDIR=%s PREFIX=" PREFIX " 2>&1",
               target, dest);
}

static int setup(void **state)
{
    (void)state;
    static char out[1 << 16];
    snprintf(dest, sizeof dest, "/tmp/schemac-install.XXXXXX");
    if (!mkdtemp(dest))
        return -1;
    snprintf(sysroot, sizeof sysroot, "%s/sysroot", dest);
    /* A file install did not write, in a directory it did not create:
     * uninstall must leave both. */
    if (run(out, sizeof out, "mkdir -p %s/stage%s/lib && echo keep >%s/stage%s/lib/keep.txt", dest,
            PREFIX, dest, PREFIX))
        return -1;
    strcat(dest, "/stage");
    /* Twice: a reinstall over an installed tree must work too. */
    if (make(out, sizeof out, "install") || make(out, sizeof out, "install"))
        return -1;
    return run(out, sizeof out, "mkdir -p %s/opt && ln -s /usr %s/usr && ln -s %s%s %s%s", sysroot,
               sysroot, dest, PREFIX, sysroot, PREFIX);
}

static int teardown(void **state)
{
    (void)state;
    char out[256];
    return run(out, sizeof out, "rm -rf %.*s", (int)(strlen(dest) - strlen("/stage")), dest);
}

static void append_glob(char *list, size_t size, const char *pattern, const char *dir)
{
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *base = strrchr(g.gl_pathv[i], '/') + 1;
        if (strstr(base, "internal.h"))
            continue;
        const char *ext = strrchr(base, '.');
        char sub[16] = "";
        if (strcmp(dir, "share/man") == 0)
            snprintf(sub, sizeof sub, "/man%s", ext + 1);
        snprintf(list + strlen(list), size - strlen(list), "." PREFIX "/%s%s/%s\n", dir, sub, base);
    }
    globfree(&g);
}

/* Every file and link below the prefix, against what the sources say
 * should be there (headers, man pages and completion may come and go). */
static void installs_exactly_the_expected_tree(void **state)
{
    (void)state;
    char want[8192] = "", got[8192];
    strcat(want, "." PREFIX "/bin/schemac\n");
    append_glob(want, sizeof want, "runtime/*.h", "include/schemac");
    strcat(want, "." PREFIX "/lib/keep.txt\n"
                 "." PREFIX "/lib/libschemac.a\n"
                 "." PREFIX "/lib/libschemac.so\n"
                 "." PREFIX "/lib/" SONAME "\n"
                 "." PREFIX "/lib/" REAL_SO "\n"
                 "." PREFIX "/lib/pkgconfig/libschemac.pc\n");
    if (access("completion/schemac.bash", F_OK) == 0)
        strcat(want, "." PREFIX "/share/bash-completion/completions/schemac\n");
    append_glob(want, sizeof want, "docs/man/*.1", "share/man");
    append_glob(want, sizeof want, "docs/man/*.5", "share/man");
    strcat(want, "." PREFIX "/share/schemac/install-manifest\n");
    assert_int_equal(run(got, sizeof got,
                         "cd %s && find . -type f -o -type l | LC_ALL=C sort", dest), 0);
    char sorted[8192];
    assert_int_equal(run(sorted, sizeof sorted, "printf '%%s' '%s' | LC_ALL=C sort", want), 0);
    assert_string_equal(got, sorted);
}

static void shared_library_has_soname_and_links(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(run(out, sizeof out, "cd %s%s/lib && readlink libschemac.so " SONAME,
                         dest, PREFIX), 0);
    assert_string_equal(out, SONAME "\n" REAL_SO "\n");
    assert_int_equal(run(out, sizeof out, "readelf -d %s%s/lib/" REAL_SO " | grep SONAME", dest,
                         PREFIX), 0);
    assert_non_null(strstr(out, "[" SONAME "]"));
}

/* nm -D --defined-only: every exported symbol is sc_...; internal helpers
 * are in the library (nm without -D sees them, as local symbols) but not
 * exported, so the check cannot pass by the helpers being absent. */
static void exports_only_the_public_api(void **state)
{
    (void)state;
    static char out[1 << 16];
    const char *lib = PREFIX "/lib/" REAL_SO;
    assert_int_equal(run(out, sizeof out, "nm -D --defined-only %s%s | awk '{print $3}'", dest, lib),
                     0);
    int n = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), n++)
        if (strncmp(line, "sc_", 3) != 0)
            fail_msg("exported symbol outside the public prefix: %s", line);
    assert_true(n > 50);
    static const char *const internal[] = {"sc_malloc", "sc_now", "sc_log", "sc_decode_row",
                                           "sc_textbuf_put", "sc_conn_run", "sc_leak_start"};
    for (size_t i = 0; i < sizeof internal / sizeof *internal; i++) {
        assert_int_equal(run(out, sizeof out, "nm %s%s | grep -c ' t %s$'", dest, lib, internal[i]),
                         0);
        assert_int_equal(run(out, sizeof out, "! nm -D --defined-only %s%s | grep -q ' %s$'",
                             dest, lib, internal[i]), 0);
    }
    static const char *const public[] = {"sc_pool_open", "sc_arena_new", "sc_status_name",
                                         "sc_hashtext", "sc_migrate_up"};
    for (size_t i = 0; i < sizeof public / sizeof *public; i++)
        assert_int_equal(run(out, sizeof out, "nm -D --defined-only %s%s | grep ' T %s$'", dest,
                             lib, public[i]), 0);
}

/* The service vendors generated/ (sources, headers, migrations) next to its
 * own code; everything about the library comes from pkg-config. */
static void service_builds_with_pkg_config_and_runs(void **state)
{
    (void)state;
    static char out[1 << 16];
    char svc[128], top[1024];
    assert_non_null(getcwd(top, sizeof top));
    snprintf(svc, sizeof svc, "%.*s/svc", (int)(strlen(dest) - strlen("/stage")), dest);
    assert_int_equal(run(out, sizeof out,
                         "mkdir -p %s && cp generated/*.c generated/*.h examples/semantik_demo.c %s/"
                         " && cp -r generated/migrations %s/",
                         svc, svc, svc), 0);
    const char *pc = "PKG_CONFIG_SYSROOT_DIR=%s PKG_CONFIG_PATH=%s" PREFIX "/lib/pkgconfig";
    char env[512];
    snprintf(env, sizeof env, pc, sysroot, sysroot);
    assert_int_equal(run(out, sizeof out, "%s pkg-config --cflags --libs libschemac", env), 0);
    assert_non_null(strstr(out, PREFIX "/include/schemac"));
    assert_int_equal(run(out, sizeof out,
                         "cd %s && cc -std=c11 -Wall -Wextra -Werror -o demo *.c"
                         " $(%s pkg-config --cflags --libs libschemac) 2>&1",
                         svc, env), 0);
    assert_int_equal(run(out, sizeof out, "readelf -d %s/demo | grep NEEDED", svc), 0);
    assert_non_null(strstr(out, "[" SONAME "]"));
    /* A fresh cluster like `make demo`'s: the demo's fixed ids need an
     * empty database. */
    assert_int_equal(run(out, sizeof out,
                         "cd %s && env -u DATABASE_URL LD_LIBRARY_PATH=%s" PREFIX "/lib %s/tests/pg/with-pg"
                         " sh -c '%s" PREFIX "/bin/schemac migrate up --dir migrations && ./demo' 2>&1",
                         svc, dest, top, dest), 0);
    assert_non_null(strstr(out, "collection 9d4e2f6a-8b1c-4d3e-a5f7-0123456789ab 'handbook'"));
}

/* What a user does with them: `man` finds the pages below MANDIR by name
 * and section, and bash-completion's file, sourced, completes schemac. */
static void man_pages_and_completion_are_usable_installed(void **state)
{
    (void)state;
    static char out[1 << 16];
    if (access("docs/man/schemac.1", F_OK) == 0) {
        assert_int_equal(run(out, sizeof out, "mman -M %s%s/share/man -T ascii 1 schemac 2>&1",
                             dest, PREFIX), 0);
        assert_non_null(strstr(out, "SCHEMAC(1)"));
    }
    if (access("docs/man/schemac-schema.5", F_OK) == 0) {
        assert_int_equal(run(out, sizeof out,
                             "mman -M %s%s/share/man -T ascii 5 schemac-schema 2>&1", dest,
                             PREFIX), 0);
        assert_non_null(strstr(out, "SCHEMAC-SCHEMA(5)"));
    }
    if (access("completion/schemac.bash", F_OK) == 0) {
        assert_int_equal(run(out, sizeof out,
                             "bash --norc --noprofile -c '. %s%s/share/bash-completion/completions/"
                             "schemac && COMP_WORDS=(schemac mig) && COMP_CWORD=1 && _schemac && "
                             "echo \"${COMPREPLY[*]}\" && complete -p schemac' 2>&1",
                             dest, PREFIX), 0);
        assert_string_equal(out, "migrate\ncomplete -F _schemac schemac\n");
    }
}

/* Last: removes what the manifest lists, keeps keep.txt and its directory. */
static void uninstall_removes_exactly_what_install_wrote(void **state)
{
    (void)state;
    static char out[1 << 16];
    assert_int_equal(make(out, sizeof out, "uninstall"), 0);
    assert_int_equal(run(out, sizeof out, "cd %s && find . | LC_ALL=C sort", dest), 0);
    assert_string_equal(out, ".\n./opt\n." PREFIX "\n." PREFIX "/lib\n." PREFIX "/lib/keep.txt\n");
    assert_int_equal(make(out, sizeof out, "uninstall"), 0);
    assert_non_null(strstr(out, "nothing to uninstall"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(installs_exactly_the_expected_tree),
        cmocka_unit_test(shared_library_has_soname_and_links),
        cmocka_unit_test(exports_only_the_public_api),
        cmocka_unit_test(service_builds_with_pkg_config_and_runs),
        cmocka_unit_test(man_pages_and_completion_are_usable_installed),
        cmocka_unit_test(uninstall_removes_exactly_what_install_wrote),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
