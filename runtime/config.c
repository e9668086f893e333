/* Pool configuration: defaults from spec 001 §5/§9 and the environment
 * variables of spec 001 §9 / 002 appendix C. A malformed value is an error
 * naming the variable, never a silent fallback to the default. */
#include <ctype.h>
#include <errno.h>
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

/* The raw password of a URL (between "user:" and "@"), to scrub it from
 * libpq's parse errors, which quote parts of the input. */
static void scrub_url_password(char *msg, const char *url)
{
    const char *start = strstr(url, "://");
    if (!start)
        return;
    start += 3;
    size_t authority = strcspn(start, "/?");
    const char *at = NULL;
    for (size_t i = 0; i < authority; i++)
        if (start[i] == '@')
            at = start + i;
    const char *colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
    if (colon && at - colon > 1) {
        char secret[256];
        size_t len = (size_t)(at - colon - 1);
        if (len < sizeof secret) {
            memcpy(secret, colon + 1, len);
            secret[len] = '\0';
            sc_scrub(msg, secret);
        }
    }
    const char *pw = strstr(url, "password=");
    if (pw) {
        char secret[256];
        sc_copy_str(secret, sizeof secret, pw + 9);
        secret[strcspn(secret, "& ")] = '\0';
        sc_scrub(msg, secret);
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

/* Rewrites "postgresql+driver://" to "postgresql://" and asyncpg's "ssl=X"
 * query parameter to libpq's "sslmode=X". Returns a malloc'd string or NULL
 * when memory is exhausted. */
static char *normalize_url(const char *url)
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
     * "true" -> "require"), so this is always enough. */
    size_t cap = 2 * strlen(url) + 32;
    char *out = sc_malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    if (plus) {
        snprintf(out, cap, "%.*s", (int)(plus - url), url);
        url = rest;
    }
    size_t len = strlen(out);
    const char *q = strchr(url, '?');
    size_t head = q ? (size_t)(q - url) + 1 : strlen(url);
    memcpy(out + len, url, head);
    len += head;
    out[len] = '\0';
    if (!q)
        return out;
    /* Copy the parameters one by one, renaming ssl. */
    const char *p = q + 1;
    while (*p) {
        size_t plen = strcspn(p, "&");
        if (strncmp(p, "ssl=", 4) == 0) {
            const char *v = p + 4;
            size_t vlen = plen - 4;
            const char *mode = NULL;
            if (vlen == 4 && strncasecmp(v, "true", 4) == 0)
                mode = "require";
            else if (vlen == 5 && strncasecmp(v, "false", 5) == 0)
                mode = "disable";
            if (mode)
                len += (size_t)snprintf(out + len, cap - len, "sslmode=%s", mode);
            else
                len += (size_t)snprintf(out + len, cap - len, "sslmode=%.*s", (int)vlen, v);
        } else {
            memcpy(out + len, p, plen);
            len += plen;
            out[len] = '\0';
        }
        p += plen;
        if (*p == '&') {
            out[len++] = '&';
            out[len] = '\0';
            p++;
        }
    }
    return out;
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

static int conninfo_from_env(sc_env_lookup_fn lookup, void *ctx, char **out, sc_error *err)
{
    const char *url = lookup_var(lookup, ctx, "DATABASE_URL");
    if (!url)
        return conninfo_from_parts(lookup, ctx, out, err);
    char *conninfo = normalize_url(url);
    if (!conninfo)
        return sc_error_set(err, SC_NO_MEMORY, "out of memory reading DATABASE_URL");
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
    rc = conninfo_from_env(lookup, ctx, &conninfo, err);
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
