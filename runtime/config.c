/* Pool configuration: defaults from spec 001 §5/§9, the environment
 * variables of spec 001 §9 / 002 appendix C, and the server_settings of a
 * DATABASE_URL as spec 002 appendix B writes them. A malformed value is an
 * error naming the variable, never a silent fallback to the default. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

void sc_pool_config_init(sc_pool_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->pool_size = 20;
    cfg->max_overflow = 40;
    cfg->timeout_s = 30.0;
    cfg->recycle_s = 3600.0;
    cfg->pre_ping = true;
    cfg->pre_ping_idle_s = 1.0;
    cfg->statement_timeout_ms = 30000;
    cfg->lock_timeout_ms = 5000;
    cfg->idle_in_transaction_timeout_ms = 60000;
    cfg->jit_off = true;
    cfg->retry_limit = 3;
    cfg->retry_interval_s = 0.5;
    cfg->client_timeout_s = 35.0;
    cfg->connect_timeout_s = 10.0;
}

void sc_pool_config_cleanup(sc_pool_config *cfg)
{
    if (!cfg)
        return;
    if (cfg->owned_conninfo && cfg->conninfo == cfg->owned_conninfo)
        cfg->conninfo = NULL;
    free(cfg->owned_conninfo);
    cfg->owned_conninfo = NULL;
}

static const char *lookup_var(sc_env_lookup_fn lookup, void *ctx, const char *name)
{
    const char *v = lookup(name, ctx);
    return v && v[0] ? v : NULL;
}

static int parse_int(const char *name, const char *v, long min, long max, int *out,
                     sc_error *err)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || end == v || *end || n < min || n > max)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "%s: expected an integer from %ld to %ld, got '%.40s'", name, min,
                            max, v);
    *out = (int)n;
    return SC_OK;
}

static int parse_seconds(const char *name, const char *v, double min, double *out,
                         sc_error *err)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    while (isspace((unsigned char)*end))
        end++;
    /* The bound keeps every duration within a time_t and an int of
     * milliseconds once converted (1e6 s, as sc_pool_open checks); the
     * negated test also refuses NaN and infinities. */
    if (errno || end == v || *end || !(d >= min && d <= 1e6))
        return sc_error_set(err, SC_INVALID_INPUT,
                            "%s: expected a number of seconds from %g to 1000000, got '%.40s'",
                            name, min, v);
    *out = d;
    return SC_OK;
}

static int parse_bool(const char *name, const char *v, bool *out, sc_error *err)
{
    static const char *const yes[] = {"true", "1", "yes", "on", "t", "y"};
    static const char *const no[] = {"false", "0", "no", "off", "f", "n"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return SC_OK;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return SC_OK;
        }
    }
    return sc_error_set(err, SC_INVALID_INPUT, "%s: expected true or false, got '%.40s'", name,
                        v);
}

/* A postgresql:// or postgres:// URL's authority, after the "://"; NULL for
 * anything else (a key=value conninfo). */
static const char *pg_url_authority(const char *url)
{
    if (strncmp(url, "postgresql://", 13) == 0)
        return url + 13;
    if (strncmp(url, "postgres://", 11) == 0)
        return url + 11;
    return NULL;
}

/* Where the host part of an authority starts: after "user[:password]@" when
 * an '@' comes before the first '/', as libpq's conninfo_uri_parse_options
 * reads it (so a password may hold '?', '&' or ':'). */
static const char *url_host_part(const char *authority)
{
    size_t n = strcspn(authority, "@/");
    return authority[n] == '@' ? authority + n + 1 : authority;
}

/* A postgresql:// URL's query ("a=1&b=2", after the '?'), or NULL. */
static const char *url_query(const char *url)
{
    const char *authority = pg_url_authority(url);
    const char *q = authority ? strchr(url_host_part(authority), '?') : NULL;
    return q ? q + 1 : NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes the n bytes at s into out (room for n + 1 bytes), as
 * libpq does: "%XX" with two hex digits, '+' left alone; false for a bad
 * escape or %00. */
static bool pct_decode(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[k++] = s[i];
            continue;
        }
        if (n - i < 3)
            return false;
        int h = hex_value(s[i + 1]), l = hex_value(s[i + 2]);
        if (h < 0 || l < 0 || (h == 0 && l == 0))
            return false;
        out[k++] = (char)(h * 16 + l);
        i += 2;
    }
    out[k] = '\0';
    return true;
}

/* Masks the password of a URL (between "user:" and "@", raw and decoded)
 * and of a password= parameter in msg, for messages built from the URL or
 * from libpq's parse errors, which quote parts of the input. */
static void scrub_url_password(char *msg, const char *url)
{
    const char *userinfo = strstr(url, "://"); /* any scheme: also postgresql+asyncpg */
    const char *host = userinfo ? url_host_part(userinfo += 3) : NULL;
    if (host && host > userinfo) {
        const char *at = host - 1;
        const char *colon = memchr(userinfo, ':', (size_t)(at - userinfo));
        if (colon && at - colon > 1) {
            char secret[256], plain[256];
            size_t len = (size_t)(at - colon - 1);
            if (len < sizeof secret) {
                memcpy(secret, colon + 1, len);
                secret[len] = '\0';
                sc_scrub(msg, secret);
                if (pct_decode(secret, len, plain))
                    sc_scrub(msg, plain);
            }
        }
    }
    const char *pw = strstr(url, "password=");
    if (pw) {
        char secret[256], plain[256];
        sc_copy_str(secret, sizeof secret, pw + 9);
        secret[strcspn(secret, "& ")] = '\0';
        sc_scrub(msg, secret);
        if (pct_decode(secret, strlen(secret), plain))
            sc_scrub(msg, plain);
    }
}

/* libpq's parse errors quote a fragment of the input ("invalid
 * percent-encoded token: \"pw%zz\""), which may hold any part of the
 * password, even one too long to scrub by value: every quoted span goes. */
static void mask_quoted(char *msg)
{
    char *open;
    while ((open = strchr(msg, '"')) != NULL) {
        char *close = strchr(open + 1, '"');
        char *rest = close ? close + 1 : open + strlen(open); /* unterminated: to the end */
        size_t span = (size_t)(rest - open);
        if (span < 5) { /* too short for the mask: blank it in place */
            memset(open, '\'', span);
            msg = rest;
        } else {
            memcpy(open, "'***'", 5);
            memmove(open + 5, rest, strlen(rest) + 1);
            msg = open + 5;
        }
    }
}

/* ---- DATABASE_URL: scheme, ssl= and server_settings= --------------------
 *
 * Spec 002 appendix B writes the server settings into the URL the way
 * asyncpg's connect(server_settings={...}) takes them:
 *
 *     postgresql://user:pass@host:5432/semantik?server_settings=jit:off&statement_timeout:30000
 *
 * libpq refuses that ("invalid URI query parameter"), so the query is read
 * here first. Grammar (after percent-decoding, as libpq decodes):
 *
 *     server_settings=ENTRY[,ENTRY]...       ENTRY = NAME:VALUE | NAME=VALUE
 *     &NAME:VALUE                            (a parameter without '=' after
 *                                             server_settings continues it:
 *                                             the spec's statement_timeout:30000)
 *
 * Entries are also separated by an encoded '&' (server_settings=jit%3Aoff%26
 * statement_timeout%3A30000) and by ','; names are case-insensitive, blanks
 * around names and values are ignored, a later entry overrides an earlier
 * one. The settings the pool applies itself (sc_pool_config) are taken out
 * of the URL:
 *
 *     jit                                  on|off (true/false/yes/no/1/0) -> jit_off;
 *                                          on leaves the server's setting alone
 *     statement_timeout                    -> statement_timeout_ms
 *     lock_timeout                         -> lock_timeout_ms
 *     idle_in_transaction_session_timeout  -> idle_in_transaction_timeout_ms
 *                                          (milliseconds, or a number with
 *                                          ms, s, min, h or d, as the server
 *                                          reads them; 0 = leave it alone)
 *     application_name                     -> libpq's application_name=
 *
 * Any other name is refused: the pool cannot send it, and libpq's options
 * parameter (options=-c%20name%3Dvalue) can. Every other query parameter is
 * handed to libpq unchanged, in its place. */

typedef struct url_settings {
    int jit_off;          /* -1: not given */
    int timeout_ms[3];    /* statement, lock, idle in transaction; -1: not given */
    char *app_name;       /* decoded, malloc'd; NULL: not given */
} url_settings;

static const char *const timeout_setting[3] = {
    "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"};


/* SC_INVALID_INPUT with a message that has been scrubbed of the URL's
 * password (the message only quotes setting names and values, but a
 * password could be pasted into one of them). */
static int url_error(sc_error *err, const char *url, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int url_error(sc_error *err, const char *url, const char *fmt, ...)
{
    char msg[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    scrub_url_password(msg, url);
    return sc_error_set(err, SC_INVALID_INPUT, "%s", msg);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* A duration in milliseconds as the server reads one for a setting whose
 * unit is ms: digits, then optionally ms, s, min, h or d (case-sensitive,
 * blanks allowed before the unit); from 0 to INT_MAX ms. */
static bool parse_ms(const char *v, int *out)
{
    static const struct {
        const char *unit;
        unsigned long long ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
    if (!isdigit((unsigned char)*v))
        return false;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    unsigned long long mult = 1;
    if (*end) {
        size_t i = 0;
        while (i < sizeof units / sizeof units[0] && strcmp(end, units[i].unit) != 0)
            i++;
        if (i == sizeof units / sizeof units[0])
            return false;
        mult = units[i].ms;
    }
    if (n > (unsigned long long)INT_MAX / mult)
        return false;
    *out = (int)(n * mult);
    return true;
}

/* One NAME:VALUE (or NAME=VALUE) entry, decoded and modifiable. */
static int apply_setting(url_settings *ss, char *entry, const char *url, sc_error *err)
{
    char b1[48];
    entry = trim(entry);
    if (!entry[0])
        return SC_OK; /* "jit:off,," */
    size_t sep = strcspn(entry, ":=");
    if (!entry[sep])
        return url_error(err, url,
                         "DATABASE_URL: server_settings entry '%s' is not name:value "
                         "(e.g. server_settings=jit:off,statement_timeout:30000)",
                         sc_shown(entry, b1));
    entry[sep] = '\0';
    char *name = trim(entry), *value = trim(entry + sep + 1);
    if (!value[0])
        return url_error(err, url, "DATABASE_URL: server_settings %s has no value",
                         sc_shown(name, b1));
    if (strcasecmp(name, "jit") == 0) {
        bool on;
        if (parse_bool("jit", value, &on, NULL) != SC_OK)
            return url_error(err, url,
                             "DATABASE_URL: server_settings jit: expected on or off, got '%s'",
                             sc_shown(value, b1));
        ss->jit_off = on ? 0 : 1;
        return SC_OK;
    }
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(name, timeout_setting[i]) != 0)
            continue;
        if (!parse_ms(value, &ss->timeout_ms[i]))
            return url_error(err, url,
                             "DATABASE_URL: server_settings %s: expected milliseconds from 0 "
                             "to 2147483647 (e.g. 30000 or 30s), got '%s'%s",
                             timeout_setting[i], sc_shown(value, b1),
                             i == 0 ? "; or set DB_QUERY_TIMEOUT (seconds)" : "");
        return SC_OK;
    }
    if (strcasecmp(name, "application_name") == 0) {
        char *copy = sc_malloc(strlen(value) + 1);
        if (!copy)
            return sc_error_set(err, SC_NO_MEMORY, "out of memory reading DATABASE_URL");
        strcpy(copy, value);
        free(ss->app_name);
        ss->app_name = copy;
        return SC_OK;
    }
    sc_shown(name, b1);
    return url_error(err, url,
                     "DATABASE_URL: server_settings '%s' cannot be applied by the pool (it "
                     "applies jit, the timeouts and application_name); write "
                     "options=-c%%20%s%%3D<value> instead",
                     b1, b1);
}

/* A server_settings value or a continuation parameter, still encoded. */
static int apply_settings(url_settings *ss, const char *raw, size_t n, const char *url,
                          sc_error *err)
{
    char *decoded = sc_malloc(n + 1);
    if (!decoded)
        return sc_error_set(err, SC_NO_MEMORY, "out of memory reading DATABASE_URL");
    if (!pct_decode(raw, n, decoded)) {
        free(decoded);
        return url_error(err, url, "DATABASE_URL: server_settings: invalid percent-encoding "
                                   "(%%XX with two hex digits, not %%00)");
    }
    int rc = SC_OK;
    for (char *p = decoded; rc == SC_OK;) {
        size_t len = strcspn(p, ",&");
        bool last = !p[len];
        p[len] = '\0';
        rc = apply_setting(ss, p, url, err);
        if (last)
            break;
        p += len + 1;
    }
    free(decoded);
    return rc;
}

/* Whether the n-byte (encoded) parameter name at p decodes to name. */
static bool key_is(const char *p, size_t n, const char *name)
{
    char key[64];
    return n < sizeof key && pct_decode(p, n, key) && strcmp(key, name) == 0;
}

/* Appends s percent-encoded (everything but RFC 3986's unreserved bytes). */
static size_t append_encoded(char *out, size_t len, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            out[len++] = (char)*p;
        } else {
            out[len++] = '%';
            out[len++] = hex[*p >> 4];
            out[len++] = hex[*p & 15];
        }
    }
    out[len] = '\0';
    return len;
}

/* Rewrites "postgresql+driver://" to "postgresql://", asyncpg's "ssl=X"
 * query parameter to libpq's "sslmode=X", and takes server_settings out of
 * the query into ss (see above). A string that is not a postgresql:// URL
 * after the scheme rewrite (a key=value conninfo) is left as it is. On
 * success *out is a malloc'd string. */
static int normalize_url(const char *url, url_settings *ss, char **out, sc_error *err)
{
    const char *rest = url;
    const char *plus = NULL;
    if (strncmp(url, "postgresql+", 11) == 0 || strncmp(url, "postgres+", 9) == 0) {
        plus = strchr(url, '+');
        rest = strstr(plus, "://");
        if (!rest)
            rest = plus + strlen(plus); /* no scheme end: leave it to libpq */
    }
    /* Renaming never more than doubles a parameter ("ssl=" -> "sslmode=",
     * "true" -> "require"), and an application_name from server_settings
     * takes at most three bytes per byte it had in the URL. */
    size_t cap = 3 * strlen(url) + 64;
    char *o = sc_malloc(cap);
    if (!o)
        return sc_error_set(err, SC_NO_MEMORY, "out of memory reading DATABASE_URL");
    size_t len = 0;
    if (plus) {
        len = (size_t)(plus - url);
        memcpy(o, url, len);
    }
    /* The scheme-rewritten URL, then its query located in it. */
    size_t tail = strlen(rest);
    memcpy(o + len, rest, tail + 1);
    const char *q = url_query(o);
    if (!q) {
        *out = o;
        return SC_OK;
    }
    size_t head = (size_t)(q - o);
    char *query = sc_malloc(strlen(q) + 1);
    if (!query) {
        free(o);
        return sc_error_set(err, SC_NO_MEMORY, "out of memory reading DATABASE_URL");
    }
    strcpy(query, q);
    len = head;
    o[len] = '\0';
    /* The parameters one by one: server_settings into ss, ssl renamed, the
     * rest copied. */
    bool kept = false, removed = false, settings = false, has_app = false;
    int rc = SC_OK;
    for (const char *p = query; rc == SC_OK;) {
        size_t plen = strcspn(p, "&");
        const char *eq = memchr(p, '=', plen);
        if (eq && key_is(p, (size_t)(eq - p), "server_settings")) {
            rc = apply_settings(ss, eq + 1, plen - (size_t)(eq + 1 - p), url, err);
            removed = settings = true;
        } else if (!eq && settings && plen > 0) {
            rc = apply_settings(ss, p, plen, url, err); /* "&statement_timeout:30000" */
            removed = true;
        } else {
            if (kept)
                o[len++] = '&';
            kept = true;
            if (eq && key_is(p, (size_t)(eq - p), "application_name"))
                has_app = true;
            if (strncmp(p, "ssl=", 4) == 0) {
                const char *v = p + 4;
                size_t vlen = plen - 4;
                const char *mode = NULL;
                if (vlen == 4 && strncasecmp(v, "true", 4) == 0)
                    mode = "require";
                else if (vlen == 5 && strncasecmp(v, "false", 5) == 0)
                    mode = "disable";
                if (mode)
                    len += (size_t)snprintf(o + len, cap - len, "sslmode=%s", mode);
                else
                    len += (size_t)snprintf(o + len, cap - len, "sslmode=%.*s", (int)vlen, v);
            } else {
                memcpy(o + len, p, plen);
                len += plen;
            }
            o[len] = '\0';
        }
        if (!p[plen])
            break;
        p += plen + 1;
    }
    free(query);
    if (rc == SC_OK && ss->app_name) {
        if (has_app) {
            rc = url_error(err, url,
                           "DATABASE_URL: application_name is given twice, as a parameter "
                           "and in server_settings; keep one");
        } else {
            if (kept)
                o[len++] = '&';
            kept = true;
            memcpy(o + len, "application_name=", 17);
            len = append_encoded(o, len + 17, ss->app_name);
        }
    }
    if (rc != SC_OK) {
        free(o);
        return rc;
    }
    if (removed && !kept)
        o[--len] = '\0'; /* the '?' of a query that is now empty */
    *out = o;
    return SC_OK;
}

/* Appends " key='value'" with libpq quoting; false if it does not fit. */
static bool append_kv(char *buf, size_t cap, const char *key, const char *value)
{
    size_t len = strlen(buf);
    int k = snprintf(buf + len, cap - len, "%s%s='", len ? " " : "", key);
    if (k < 0 || (size_t)k >= cap - len)
        return false;
    len += (size_t)k;
    for (const char *v = value; *v; v++) {
        if (len + 3 >= cap)
            return false;
        if (*v == '\'' || *v == '\\')
            buf[len++] = '\\';
        buf[len++] = *v;
    }
    if (len + 2 > cap)
        return false;
    buf[len++] = '\'';
    buf[len] = '\0';
    return true;
}

static int conninfo_from_parts(sc_env_lookup_fn lookup, void *ctx, char **out, sc_error *err)
{
    static const char *const vars[][2] = {
        {"POSTGRES_HOST", "host"}, {"POSTGRES_PORT", "port"},     {"POSTGRES_DB", "dbname"},
        {"POSTGRES_USER", "user"}, {"POSTGRES_PASSWORD", "password"},
    };
    size_t cap = 64;
    for (size_t i = 0; i < 5; i++) {
        const char *v = lookup_var(lookup, ctx, vars[i][0]);
        cap += v ? 2 * strlen(v) + 16 : 0;
    }
    char *buf = sc_malloc(cap);
    if (!buf)
        return sc_error_set(err, SC_NO_MEMORY, "out of memory building the connection string");
    buf[0] = '\0';
    for (size_t i = 0; i < 5; i++) {
        const char *v = lookup_var(lookup, ctx, vars[i][0]);
        if (v && !append_kv(buf, cap, vars[i][1], v)) {
            free(buf);
            return sc_error_set(err, SC_INVALID_INPUT, "%s: value too long", vars[i][0]);
        }
    }
    const char *port = lookup_var(lookup, ctx, "POSTGRES_PORT");
    int port_number;
    if (port && parse_int("POSTGRES_PORT", port, 1, 65535, &port_number, err) != SC_OK) {
        free(buf);
        return SC_INVALID_INPUT;
    }
    *out = buf;
    return SC_OK;
}

/* The server settings server_settings named, into cfg (which holds the
 * DB_* values already). A statement_timeout that disagrees with
 * DB_QUERY_TIMEOUT is refused rather than one silently winning. */
static int apply_url_settings(sc_pool_config *cfg, const url_settings *ss, sc_env_lookup_fn lookup,
                              void *ctx, sc_error *err)
{
    int st = ss->timeout_ms[0];
    if (st >= 0 && lookup_var(lookup, ctx, "DB_QUERY_TIMEOUT") && st != cfg->statement_timeout_ms)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "DATABASE_URL: server_settings statement_timeout (%d ms) disagrees "
                            "with DB_QUERY_TIMEOUT (%d ms); set one of them",
                            st, cfg->statement_timeout_ms);
    if (ss->jit_off >= 0)
        cfg->jit_off = ss->jit_off == 1;
    if (st >= 0)
        cfg->statement_timeout_ms = st;
    if (ss->timeout_ms[1] >= 0)
        cfg->lock_timeout_ms = ss->timeout_ms[1];
    if (ss->timeout_ms[2] >= 0)
        cfg->idle_in_transaction_timeout_ms = ss->timeout_ms[2];
    return SC_OK;
}

static int conninfo_from_env(sc_pool_config *cfg, sc_env_lookup_fn lookup, void *ctx, char **out,
                             sc_error *err)
{
    const char *url = lookup_var(lookup, ctx, "DATABASE_URL");
    if (!url)
        return conninfo_from_parts(lookup, ctx, out, err);
    url_settings ss = {.jit_off = -1, .timeout_ms = {-1, -1, -1}, .app_name = NULL};
    char *conninfo = NULL;
    int rc = normalize_url(url, &ss, &conninfo, err);
    free(ss.app_name); /* copied into conninfo */
    ss.app_name = NULL;
    if (rc != SC_OK)
        return rc;
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
    if (!opts) {
        char reason[200];
        sc_copy_str(reason, sizeof reason, why ? why : "out of memory");
        reason[strcspn(reason, "\n")] = '\0';
        mask_quoted(reason);
        scrub_url_password(reason, url);
        scrub_url_password(reason, conninfo);
        PQfreemem(why);
        free(conninfo);
        return sc_error_set(err, SC_INVALID_INPUT, "DATABASE_URL: not a valid connection URL (%s)",
                            reason);
    }
    PQconninfoFree(opts);
    if ((rc = apply_url_settings(cfg, &ss, lookup, ctx, err)) != SC_OK) {
        free(conninfo);
        return rc;
    }
    *out = conninfo;
    return SC_OK;
}

static int pooler_from_string(const char *v, sc_pooler_mode *out, sc_error *err)
{
    if (strcasecmp(v, "none") == 0 || strcasecmp(v, "session") == 0)
        *out = SC_POOLER_NONE;
    else if (strcasecmp(v, "transaction") == 0)
        *out = SC_POOLER_TRANSACTION;
    else
        return sc_error_set(err, SC_INVALID_INPUT,
                            "DB_POOLER: expected none, session or transaction, got '%.40s'", v);
    return SC_OK;
}

/* The numeric and boolean variables; each fails with its own name. */
static int numbers_from_env(sc_pool_config *cfg, sc_env_lookup_fn lookup, void *ctx,
                            sc_error *err)
{
    const char *v;
    double seconds;
    if ((v = lookup_var(lookup, ctx, "DB_POOL_SIZE")) &&
        parse_int("DB_POOL_SIZE", v, 1, 10000, &cfg->pool_size, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_MAX_OVERFLOW")) &&
        parse_int("DB_MAX_OVERFLOW", v, 0, 10000, &cfg->max_overflow, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_POOL_TIMEOUT")) &&
        parse_seconds("DB_POOL_TIMEOUT", v, 0, &cfg->timeout_s, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_POOL_RECYCLE")) &&
        parse_seconds("DB_POOL_RECYCLE", v, -1, &cfg->recycle_s, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_POOL_PRE_PING")) &&
        parse_bool("DB_POOL_PRE_PING", v, &cfg->pre_ping, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_POOL_PRE_PING_IDLE")) &&
        parse_seconds("DB_POOL_PRE_PING_IDLE", v, 0, &cfg->pre_ping_idle_s, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_QUERY_TIMEOUT"))) {
        if (parse_seconds("DB_QUERY_TIMEOUT", v, 0, &seconds, err))
            return SC_INVALID_INPUT;
        if (seconds > 2147483.0)
            return sc_error_set(err, SC_INVALID_INPUT, "DB_QUERY_TIMEOUT: at most 2147483 s");
        cfg->statement_timeout_ms = (int)(seconds * 1000.0 + 0.5);
    }
    if ((v = lookup_var(lookup, ctx, "DB_RETRY_LIMIT")) &&
        parse_int("DB_RETRY_LIMIT", v, 0, 1000, &cfg->retry_limit, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_RETRY_INTERVAL")) &&
        parse_seconds("DB_RETRY_INTERVAL", v, 0, &cfg->retry_interval_s, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_ECHO")) && parse_bool("DB_ECHO", v, &cfg->echo, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_ECHO_POOL")) &&
        parse_bool("DB_ECHO_POOL", v, &cfg->echo_pool, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_POOLER")) && pooler_from_string(v, &cfg->pooler, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_CLIENT_TIMEOUT")) &&
        parse_seconds("DB_CLIENT_TIMEOUT", v, 0.001, &cfg->client_timeout_s, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_POOL_LEAK_DETECTION")) &&
        parse_seconds("DB_POOL_LEAK_DETECTION", v, 0, &cfg->leak_detection_s, err))
        return SC_INVALID_INPUT;
    if ((v = lookup_var(lookup, ctx, "DB_CONNECT_TIMEOUT")) &&
        parse_seconds("DB_CONNECT_TIMEOUT", v, 0.001, &cfg->connect_timeout_s, err))
        return SC_INVALID_INPUT;
    return SC_OK;
}

int sc_pool_config_from_lookup(sc_pool_config *cfg, sc_env_lookup_fn lookup, void *ctx,
                               sc_error *err)
{
    if (!cfg || !lookup)
        return sc_error_set(err, SC_MISUSE, "sc_pool_config_from_lookup: cfg and lookup needed");
    sc_pool_config_init(cfg);
    int rc = numbers_from_env(cfg, lookup, ctx, err);
    if (rc != SC_OK)
        return rc;
    char *conninfo = NULL;
    rc = conninfo_from_env(cfg, lookup, ctx, &conninfo, err);
    if (rc != SC_OK)
        return rc;
    cfg->owned_conninfo = conninfo;
    cfg->conninfo = conninfo;
    return SC_OK;
}

static const char *lookup_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

int sc_pool_config_from_env(sc_pool_config *cfg, sc_error *err)
{
    return sc_pool_config_from_lookup(cfg, lookup_getenv, NULL, err);
}

int sc_env_expect_count(sc_env_lookup_fn lookup, void *ctx, const char *name, long expected,
                        const char *what, sc_error *err)
{
    if (!name || !what)
        return sc_error_set(err, SC_MISUSE, "sc_env_expect_count: name and what needed");
    const char *v = lookup ? lookup(name, ctx) : getenv(name);
    if (!v || !*v)
        return SC_OK;
    int n = 0;
    int rc = parse_int(name, v, 1, 1000000, &n, err);
    if (rc != SC_OK)
        return rc;
    if (n != expected)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "%s is %d but %s are %ld: a different count is a schema change "
                            "(partition count, then schemac migrate new), not a setting; unset "
                            "%s or set it to %ld",
                            name, n, what, expected, name, expected);
    return SC_OK;
}
