/* SQLSTATE -> category map and the sc_error helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void sc_copy_str(char *dst, size_t n, const char *src)
{
    if (!dst || n == 0)
        return;
    if (!src)
        src = "";
    size_t len = strlen(src);
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

void sc_error_clear(sc_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int sc_error_set(sc_error *err, int category, const char *fmt, ...)
{
    if (!err || err->category != SC_OK)
        return category;
    memset(err, 0, sizeof *err);
    err->category = category;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return category;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int sc_sqlstate_category(const char *sqlstate)
{
    static const struct {
        const char *state;
        int category;
    } exact[] = {
        {"23505", SC_CONFLICT},      {"23P01", SC_CONFLICT},   {"23503", SC_FOREIGN_KEY},
        {"23514", SC_CHECK},         {"23502", SC_NOT_NULL},   {"40001", SC_SERIALIZATION},
        {"40P01", SC_DEADLOCK},      {"57014", SC_QUERY_TIMEOUT}, {"55P03", SC_LOCK_TIMEOUT},
        {"57P01", SC_CONNECTION},    {"57P02", SC_CONNECTION}, {"57P03", SC_CONNECTION},
        {"57P05", SC_CONNECTION},    {"25P03", SC_CONNECTION}, {"42501", SC_ACCESS_DENIED},
        {"02000", SC_NOT_FOUND},     {"P0002", SC_NOT_FOUND},
    };
    if (!sqlstate || strlen(sqlstate) != 5)
        return SC_DATABASE;
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(sqlstate, exact[i].state) == 0)
            return exact[i].category;
    /* Whole classes, after the exact codes so that they can override. */
    if (starts_with(sqlstate, "08"))
        return SC_CONNECTION;
    if (starts_with(sqlstate, "22"))
        return SC_INVALID_INPUT;
    if (starts_with(sqlstate, "28"))
        return SC_ACCESS_DENIED;
    return SC_DATABASE;
}

/* The part of libpq's message before the first newline: the rest is
 * "DETAIL:"/"HINT:" lines that have their own fields. */
static void copy_first_line(char *dst, size_t n, const char *msg)
{
    sc_copy_str(dst, n, msg);
    char *nl = strchr(dst, '\n');
    if (nl)
        *nl = '\0';
}

int sc_error_from_result(sc_error *err, const PGresult *res, const PGconn *pg)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    bool lost = !res || (!state && pg && PQstatus(pg) == CONNECTION_BAD);
    int category = lost ? SC_CONNECTION : sc_sqlstate_category(state);
    if (!err || err->category != SC_OK)
        return category;
    memset(err, 0, sizeof *err);
    err->category = category;
    if (state)
        sc_copy_str(err->sqlstate, sizeof err->sqlstate, state);
    if (res) {
        sc_copy_str(err->constraint, sizeof err->constraint,
                    PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME));
        sc_copy_str(err->table, sizeof err->table, PQresultErrorField(res, PG_DIAG_TABLE_NAME));
        sc_copy_str(err->detail, sizeof err->detail,
                    PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        copy_first_line(err->message, sizeof err->message,
                        primary ? primary : PQresultErrorMessage(res));
    }
    if (!err->message[0] && pg)
        copy_first_line(err->message, sizeof err->message, PQerrorMessage(pg));
    if (!err->message[0])
        sc_copy_str(err->message, sizeof err->message, lost ? "connection lost" : "query failed");
    return category;
}

bool sc_status_is_retryable(int status)
{
    return status == SC_SERIALIZATION || status == SC_DEADLOCK || status == SC_CONNECTION;
}

void sc_scrub(char *msg, const char *secret)
{
    if (!msg || !secret || !secret[0])
        return;
    size_t slen = strlen(secret);
    char *hit;
    while ((hit = strstr(msg, secret)) != NULL) {
        /* "***" is never longer than what it replaces unless the secret is
         * shorter than 3 characters; then mask in place with '*'. */
        if (slen >= 3) {
            memcpy(hit, "***", 3);
            memmove(hit + 3, hit + slen, strlen(hit + slen) + 1);
        } else {
            memset(hit, '*', slen);
        }
    }
}
