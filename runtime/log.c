/* Logging: the pool's callback, statement echo, and connection strings with
 * their passwords removed (spec 001 §6: never log credentials). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const level_names[] = {"debug", "info", "warning", "error"};

/* Without a callback: everything but DEBUG (server notices) to stderr. */
static void log_to_stderr(int level, const char *message)
{
    if (level == SC_LOG_DEBUG)
        return;
    if (level < SC_LOG_DEBUG || level > SC_LOG_ERROR)
        level = SC_LOG_ERROR;
    fprintf(stderr, "schemac %s: %s\n", level_names[level], message);
}

void sc_log(const sc_pool *p, int level, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (p && p->cfg.log_fn)
        p->cfg.log_fn(p->cfg.log_ctx, level, message);
    else
        log_to_stderr(level, message);
}

/* Appends to a fixed buffer, silently truncating: a log line is allowed to
 * be cut, never to overflow. */
typedef struct line_buf {
    char *s;
    size_t n, len;
} line_buf;

static void put(line_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(line_buf *b, const char *fmt, ...)
{
    if (b->len + 1 >= b->n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->len, b->n - b->len, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    b->len += (size_t)k;
    if (b->len >= b->n)
        b->len = b->n - 1;
}

/* At most 64 bytes of a text value, control characters as '?'. */
static void put_value(line_buf *b, const char *v, int len)
{
    char shown[68];
    size_t n = len >= 0 ? (size_t)len : strlen(v);
    size_t k = n > 64 ? 64 : n;
    for (size_t i = 0; i < k; i++)
        shown[i] = (unsigned char)v[i] < 0x20 ? '?' : v[i];
    shown[k] = '\0';
    put(b, "'%s'%s", shown, n > k ? "..." : "");
}

void sc_log_statement(const sc_pool *p, const char *name, const char *sql, int nparams,
                      const char *const *values, const int *lengths, const int *formats,
                      const unsigned char *flags, double seconds, int status)
{
    char line[1024];
    line_buf b = {line, sizeof line, 0};
    line[0] = '\0';
    put(&b, "%.3f ms %s%s%s: %s", seconds * 1000.0, name ? name : "", name ? " " : "",
        status == SC_OK ? "ok" : sc_status_name(status), sql ? sql : "");
    for (int i = 0; i < nparams; i++) {
        put(&b, "%s$%d=", i == 0 ? " -- " : ", ", i + 1);
        if (flags && (flags[i] & SC_PARAM_SECRET))
            put(&b, "***");
        else if (!values || !values[i])
            put(&b, "NULL");
        else if (formats && formats[i] == 1)
            put(&b, "<%d binary bytes>", lengths ? lengths[i] : 0);
        else
            put_value(&b, values[i], -1);
    }
    sc_log(p, SC_LOG_INFO, "%s", line);
}

static bool needs_quotes(const char *v)
{
    if (!*v)
        return true;
    for (; *v; v++)
        if (*v == ' ' || *v == '\'' || *v == '\\' || *v == '=')
            return true;
    return false;
}

char *sc_conninfo_redact(const char *conninfo, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    line_buf b = {buf, n, 0};
    buf[0] = '\0';
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &errmsg);
    PQfreemem(errmsg); /* may quote the input, password included */
    if (!opts) {
        put(&b, "<unparseable connection string>");
        return buf;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val)
            continue;
        bool secret = strcmp(o->keyword, "password") == 0 || o->dispchar[0] == '*';
        const char *v = secret ? "***" : o->val;
        if (needs_quotes(v)) {
            put(&b, "%s%s='", b.len ? " " : "", o->keyword);
            for (const char *q = v; *q; q++)
                put(&b, "%s%c", (*q == '\'' || *q == '\\') ? "\\" : "", *q);
            put(&b, "'");
        } else {
            put(&b, "%s%s=%s", b.len ? " " : "", o->keyword, v);
        }
    }
    PQconninfoFree(opts);
    return buf;
}
