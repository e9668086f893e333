/* Every network wait of the runtime, in one place: libpq's non-blocking
 * calls, poll() on PQsocket until a deadline, and what happens past it (the
 * server query is cancelled, the connection evicted). The executor, the
 * pool (connect, ping, reset), transactions and COPY all wait through here,
 * so no call can block for longer than the pool's deadlines. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

double sc_conn_deadline(const sc_conn *c)
{
    return sc_now() + c->pool->cfg.client_timeout_s;
}

/* User code may have switched the connection back to blocking mode (see
 * sc_conn_pg); the runtime's own calls always run non-blocking. */
void sc_conn_nonblocking(sc_conn *c)
{
    if (!PQisnonblocking(c->pg))
        PQsetnonblocking(c->pg, 1);
}

/* 1 when fd is ready for events, 0 past the deadline, -1 on a poll error or
 * a closed socket. */
static int wait_socket(PGconn *pg, short events, double deadline)
{
    for (;;) {
        int fd = PQsocket(pg);
        if (fd < 0)
            return -1;
        double left = deadline - sc_now();
        if (left <= 0)
            return 0;
        int ms = left > 86400.0 ? 86400000 : (int)(left * 1000.0) + 1;
        struct pollfd pfd = {fd, events, 0};
        int n = poll(&pfd, 1, ms);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* Sends what libpq has buffered (libpq's documented loop for non-blocking
 * connections: on read-ready, consume input, then flush again). */
static int flush_until(PGconn *pg, double deadline)
{
    for (;;) {
        int r = PQflush(pg);
        if (r <= 0)
            return r == 0 ? 1 : -1;
        int w = wait_socket(pg, POLLIN | POLLOUT, deadline);
        if (w <= 0)
            return w;
        if (!PQconsumeInput(pg))
            return -1;
    }
}

/* Waits until PQgetResult will not block; false past the deadline. A lost
 * connection counts as ready: PQgetResult then reports it. */
static bool wait_not_busy(PGconn *pg, double deadline)
{
    while (PQisBusy(pg)) {
        int w = wait_socket(pg, POLLIN, deadline);
        if (w == 0)
            return false;
        if (w < 0 || !PQconsumeInput(pg))
            return true;
    }
    return true;
}

static bool is_copy(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH;
}

static bool is_error(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR;
}

/* Cancels what the server is running for this connection and marks the
 * connection broken: after a missed deadline its protocol state is
 * unknown. PQcancel opens its own short connection to the postmaster,
 * which answers even when the backend itself is frozen. */
static void cancel_and_evict(sc_conn *c)
{
    PGcancel *cancel = PQgetCancel(c->pg);
    if (cancel) {
        char why[256];
        PQcancel(cancel, why, sizeof why);
        PQfreeCancel(cancel);
    }
    if (!c->broken)
        sc_log(c->pool, SC_LOG_WARN,
               "no answer within %.3f s (backend pid %d): query cancelled, connection evicted",
               c->pool->cfg.client_timeout_s, c->backend_pid);
    c->broken = true;
}

static int timed_out(sc_conn *c, sc_error *err)
{
    cancel_and_evict(c);
    return sc_error_set(err, SC_TIMEOUT,
                        "no answer from the server within %.3f s (backend pid %d): the query "
                        "was cancelled and the connection evicted",
                        c->pool->cfg.client_timeout_s, c->backend_pid);
}

static void deliver(sc_row_sink *sink, PGresult *r)
{
    if (sink->stopped == SC_OK) {
        sink->rows++;
        sink->stopped = sink->row(sink->ctx, r);
    }
    PQclear(r);
}

int sc_conn_flush(sc_conn *c, double deadline)
{
    return flush_until(c->pg, deadline);
}

int sc_conn_timed_out(sc_conn *c, sc_error *err)
{
    return timed_out(c, err);
}

int sc_conn_next_result(sc_conn *c, double deadline, PGresult **res, sc_error *err)
{
    *res = NULL;
    if (!wait_not_busy(c->pg, deadline))
        return timed_out(c, err);
    *res = PQgetResult(c->pg);
    return SC_OK;
}

int sc_conn_await(sc_conn *c, double deadline, PGresult **res, sc_error *err)
{
    *res = NULL;
    PGconn *pg = c->pg;
    if (flush_until(pg, deadline) == 0)
        return timed_out(c, err);
    PGresult *keep = NULL;
    for (;;) {
        if (!wait_not_busy(pg, deadline)) {
            PQclear(keep);
            return timed_out(c, err);
        }
        PGresult *r = PQgetResult(pg);
        if (!r)
            break;
        if (c->sink && PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
            deliver(c->sink, r);
            deadline = sc_conn_deadline(c);
            continue;
        }
        if (is_copy(r)) { /* the caller continues the COPY */
            PQclear(keep);
            *res = r;
            return SC_OK;
        }
        if (keep && is_error(keep)) { /* the first error is the one to report */
            PQclear(r);
            continue;
        }
        PQclear(keep);
        keep = r;
    }
    *res = keep;
    return SC_OK;
}

int sc_conn_run(sc_conn *c, const char *sql, PGresult **out, sc_error *err)
{
    *out = NULL;
    sc_conn_nonblocking(c);
    if (!PQsendQuery(c->pg, sql))
        return SC_OK; /* *out NULL: the caller reports a lost connection */
    return sc_conn_await(c, sc_conn_deadline(c), out, err);
}

int sc_conn_copy_put(sc_conn *c, const char *data, int n, double deadline, sc_error *err)
{
    for (;;) {
        int r = PQputCopyData(c->pg, data, n);
        if (r < 0)
            return SC_CONNECTION;
        if (r == 1)
            break;
        int w = wait_socket(c->pg, POLLOUT, deadline); /* libpq's buffer is full */
        if (w == 0)
            return timed_out(c, err);
        if (w < 0)
            return SC_CONNECTION;
    }
    int f = flush_until(c->pg, deadline);
    return f > 0 ? SC_OK : f == 0 ? timed_out(c, err) : SC_CONNECTION;
}

int sc_conn_copy_end(sc_conn *c, const char *errmsg, double deadline, PGresult **res,
                     sc_error *err)
{
    *res = NULL;
    for (;;) {
        int r = PQputCopyEnd(c->pg, errmsg);
        if (r < 0)
            return SC_CONNECTION;
        if (r == 1)
            break;
        int w = wait_socket(c->pg, POLLOUT, deadline);
        if (w == 0)
            return timed_out(c, err);
        if (w < 0)
            return SC_CONNECTION;
    }
    return sc_conn_await(c, deadline, res, err);
}

PGconn *sc_connect_until(const char *const *keys, const char *const *vals, double deadline,
                         PQnoticeProcessor notice, void *notice_arg, bool *timed_out_out)
{
    *timed_out_out = false;
    PGconn *pg = PQconnectStartParams(keys, vals, 1);
    if (!pg)
        return NULL;
    /* Before any I/O: a notice sent during start-up must not reach stderr. */
    PQsetNoticeProcessor(pg, notice, notice_arg);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(pg) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
           st != PGRES_POLLING_FAILED) {
        int w = wait_socket(pg, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
        if (w == 0) {
            *timed_out_out = true;
            break;
        }
        st = PQconnectPoll(pg);
    }
    if (st == PGRES_POLLING_OK && PQstatus(pg) == CONNECTION_OK)
        PQsetnonblocking(pg, 1);
    return pg;
}

/* --- what a statement may do ---------------------------------------------- */

static const char *skip_space_and_comments(const char *s)
{
    for (;;) {
        while (isspace((unsigned char)*s) || *s == '(')
            s++;
        if (s[0] == '-' && s[1] == '-') {
            s += strcspn(s, "\n");
        } else if (s[0] == '/' && s[1] == '*') {
            const char *end = strstr(s + 2, "*/");
            s = end ? end + 2 : s + strlen(s);
        } else {
            return s;
        }
    }
}

static bool keyword_is(const char *s, const char *kw)
{
    size_t n = strlen(kw);
    return strncasecmp(s, kw, n) == 0 && !isalnum((unsigned char)s[n]) && s[n] != '_';
}

/* A whole word anywhere in sql, case-insensitive (string literals are not
 * told apart: a false "writes" only costs a conservative status). */
static bool has_word(const char *sql, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = sql; *p; p++) {
        if (strncasecmp(p, word, n) != 0)
            continue;
        bool left = p == sql || (!isalnum((unsigned char)p[-1]) && p[-1] != '_');
        bool right = !isalnum((unsigned char)p[n]) && p[n] != '_';
        if (left && right)
            return true;
    }
    return false;
}

unsigned sc_sql_classify(const char *sql)
{
    static const char *const plain[] = {"SELECT", "WITH", "VALUES", "TABLE", "INSERT",
                                        "UPDATE", "DELETE", "MERGE", "COPY"};
    static const char *const writes[] = {"INSERT", "UPDATE", "DELETE", "MERGE", "INTO",
                                         "nextval", "setval", "COPY"};
    static const char *const session[] = {"set_config", "pg_advisory_lock",
                                          "pg_advisory_lock_shared", "pg_try_advisory_lock",
                                          "pg_try_advisory_lock_shared", "dblink_connect"};
    const char *s = skip_space_and_comments(sql);
    unsigned flags = 0;
    bool known = false;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        known = known || keyword_is(s, plain[i]);
    if (!known)
        flags |= SC_SQL_SESSION;
    for (size_t i = 0; i < sizeof session / sizeof session[0]; i++)
        if (has_word(sql, session[i]))
            flags |= SC_SQL_SESSION;
    bool reads = keyword_is(s, "SELECT") || keyword_is(s, "WITH") ||
                 keyword_is(s, "VALUES") || keyword_is(s, "TABLE") || keyword_is(s, "SHOW");
    for (size_t i = 0; reads && i < sizeof writes / sizeof writes[0]; i++)
        if (has_word(sql, writes[i]))
            reads = false;
    if (reads)
        flags |= SC_SQL_READ_ONLY;
    return flags;
}
