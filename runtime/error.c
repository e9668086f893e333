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

/* SC_NOT_FOUND is an answer, not a cause to keep: a caller that turns it
 * into another status (SC_ACCESS_DENIED for a row the user may not see)
 * must be able to say so, or the status returned and err disagree. */
static bool takes_error(const sc_error *err)
{
    return err && (err->category == SC_OK || err->category == SC_NOT_FOUND);
}

int sc_error_set(sc_error *err, int category, const char *fmt, ...)
{
    if (!takes_error(err))
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
        {"02000", SC_NOT_FOUND},     {"P0002", SC_NOT_FOUND},   {"25006", SC_READ_ONLY},
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

/* The quoted name after `word "` in msg, into out; false when absent. */
static bool quoted_after(const char *msg, const char *word, char *out, size_t size)
{
    const char *at = msg ? strstr(msg, word) : NULL;
    if (!at)
        return false;
    at += strlen(word);
    const char *end = strchr(at, '"');
    if (!end || (size_t)(end - at) >= size)
        return false;
    memcpy(out, at, (size_t)(end - at));
    out[end - at] = '\0';
    return true;
}

/* Citus shard objects are the table's names plus "_<shard id>" (six or
 * more digits, from 102008 up). */
static void strip_shard_suffix(char *name)
{
    char *u = strrchr(name, '_');
    size_t digits = u ? strspn(u + 1, "0123456789") : 0;
    if (u && digits >= 6 && u[1 + digits] == '\0')
        *u = '\0';
}

/* Citus passes a worker's error on without its constraint and table
 * fields; the message still names them, with the shard's suffix. So a
 * caller that tells a duplicate username from a duplicate email by
 * err->constraint gets the same answer on Citus. */
static void names_from_remote_message(sc_error *err, const PGresult *res)
{
    const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    bool remote = context && strstr(context, "while executing command on");
    if (!primary || err->constraint[0])
        return;
    if (quoted_after(primary, "constraint \"", err->constraint, sizeof err->constraint) && remote)
        strip_shard_suffix(err->constraint);
    if (!err->table[0] && (quoted_after(primary, "relation \"", err->table, sizeof err->table) ||
                           quoted_after(primary, "table \"", err->table, sizeof err->table)) &&
        remote)
        strip_shard_suffix(err->table);
}

int sc_error_from_result(sc_error *err, const PGresult *res, const PGconn *pg)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    bool lost = !res || (!state && pg && PQstatus(pg) == CONNECTION_BAD);
    int category = lost ? SC_CONNECTION : sc_sqlstate_category(state);
    if (!takes_error(err))
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
        if (state && starts_with(state, "23"))
            names_from_remote_message(err, res);
    }
    if (!err->message[0] && pg)
        copy_first_line(err->message, sizeof err->message, PQerrorMessage(pg));
    if (!err->message[0])
        sc_copy_str(err->message, sizeof err->message, lost ? "connection lost" : "query failed");
    return category;
}

bool sc_remote_connection_failed(const PGresult *res, const PGconn *pg)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *severity = res ? PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED) : NULL;
    return state && starts_with(state, "08") && strcmp(state, "08P01") != 0 && severity &&
           strcmp(severity, "ERROR") == 0 && pg && PQstatus(pg) == CONNECTION_OK;
}

bool sc_status_is_retryable(int status)
{
    return status == SC_SERIALIZATION || status == SC_DEADLOCK || status == SC_CONNECTION ||
           status == SC_READ_ONLY; /* refused before it ran: the next primary may take it */
}

/* ASCII only: the locale must not change what counts as a word. */
static bool is_word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* A short secret ("a", "pw") occurs inside ordinary words by chance; only a
 * standalone occurrence is masked so that "database a" keeps "database". */
static bool standalone(const char *msg, const char *hit, size_t slen)
{
    return (hit == msg || !is_word_char(hit[-1])) && !is_word_char(hit[slen]);
}

/* Masks the slen bytes at hit and returns where scanning resumes: past the
 * replacement, so a secret like "*" cannot match its own mask again. The
 * buffer's capacity is unknown, so the text never grows: a secret shorter
 * than "***" becomes as many '*' as it has bytes. */
static char *mask_at(char *hit, size_t slen)
{
    if (slen < 3) {
        memset(hit, '*', slen);
        return hit + slen;
    }
    memcpy(hit, "***", 3);
    memmove(hit + 3, hit + slen, strlen(hit + slen) + 1);
    return hit + 3;
}

void sc_scrub(char *msg, const char *secret)
{
    if (!msg || !secret || !secret[0])
        return;
    size_t slen = strlen(secret);
    bool short_secret = slen < 6;
    char *from = msg, *hit;
    while ((hit = strstr(from, secret)) != NULL)
        from = short_secret && !standalone(msg, hit, slen) ? hit + 1 : mask_at(hit, slen);
}

/* ---- hiding row values of failed statements with secret parameters ---- */

static const char hidden_detail[] = "(detail hidden: the statement has secret parameters)";

/* The last occurrence of needle in s, or NULL. The server's own words come
 * last in a detail, so searching from the end skips values that imitate them. */
static const char *last_strstr(const char *s, const char *needle)
{
    const char *last = NULL;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
        last = p;
    return last;
}

/* "Key (cols)=(vals) <tail>" with the values masked, or false when the detail
 * is not in a shape known to hold nothing else (truncated, other wording). */
static bool mask_key_detail(const char *d, char *out, size_t n)
{
    static const char *const tails[] = {") already exists.", ") is not present in table \"",
                                        ") is still referenced from table \""};
    static const char conflicts[] = ") conflicts with existing key (";
    if (strncmp(d, "Key (", 5) != 0)
        return false;
    const char *eq = strstr(d, ")=(");
    if (!eq)
        return false;
    int cols = (int)(eq - d - 5);
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        const char *t = last_strstr(eq + 3, tails[i]);
        if (!t)
            continue;
        /* A table name tail must end the detail: `"name".` */
        if (i > 0 && (strlen(t) < 3 || strcmp(t + strlen(t) - 2, "\".") != 0))
            return false;
        snprintf(out, n, "Key (%.*s)=(***%s", cols, d + 5, t);
        return true;
    }
    /* Exclusion constraints quote two rows: rebuild both from the columns. */
    if (strstr(eq + 3, conflicts) && strlen(d) > 2 && strcmp(d + strlen(d) - 2, ").") == 0) {
        snprintf(out, n, "Key (%.*s)=(***%s%.*s)=(***).", cols, d + 5, conflicts, cols, d + 5);
        return true;
    }
    return false;
}

void sc_error_hide_values(sc_error *err)
{
    if (!err || !err->detail[0])
        return;
    char out[sizeof err->detail];
    if (strncmp(err->detail, "Failing row contains (", 22) == 0)
        sc_copy_str(out, sizeof out, "Failing row contains (***)");
    else if (!mask_key_detail(err->detail, out, sizeof out))
        sc_copy_str(out, sizeof out, hidden_detail);
    sc_copy_str(err->detail, sizeof err->detail, out);
}

/* A field truncated to its size can end with the first bytes of a long
 * value: mask such a tail too (at least 6 bytes, as for whole secrets). */
static void scrub_cut_tail(char *field, const char *value)
{
    size_t flen = strlen(field), vlen = strlen(value);
    for (size_t k = vlen - 1 < flen ? vlen - 1 : flen; k >= 6; k--) {
        if (memcmp(field + flen - k, value, k) == 0) {
            mask_at(field + flen - k, k);
            return;
        }
    }
}

void sc_error_scrub_values(sc_error *err, int n, const char *const *values, const int *formats)
{
    if (!err || !values)
        return;
    for (int i = 0; i < n; i++) {
        const char *v = values[i];
        if (!v || !v[0] || (formats && formats[i] != 0))
            continue; /* NULL, empty, or binary: binary bytes are not text */
        sc_scrub(err->message, v);
        sc_scrub(err->detail, v);
        if (strlen(v) > 6) {
            scrub_cut_tail(err->message, v);
            scrub_cut_tail(err->detail, v);
        }
    }
}

const char *sc_shown(const char *s, char buf[48])
{
    size_t i = 0;
    for (; s[i] && i < 40; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (s[i]) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}
