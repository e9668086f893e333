/* The generator tests that build generated code the way a service does run
 * shell command lines (schemac generate, cc, the built suites): one helper
 * for all of them. */
#ifndef SHELL_TESTLIB_H
#define SHELL_TESTLIB_H

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* system() of the formatted command line; its exit status. */
static inline int tl_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int tl_sh(const char *fmt, ...)
{
    char cmd[4 * PATH_MAX + 4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

#endif
