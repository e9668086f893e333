/* Transactions: BEGIN/COMMIT/ROLLBACK with savepoints for nesting, and
 * sc_tx_run, which retries a whole transaction on the failures where that is
 * safe (ERRATA: 40001, 40P01, connection lost before COMMIT was sent) and
 * never after a COMMIT whose outcome is unknown. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Runs one transaction-control statement; echoes it like any other. */
static int run_control(sc_conn *c, const char *sql, sc_error *err)
{
    return sc_conn_control(c, sql, err);
}

static const char *isolation_sql(sc_isolation iso)
{
    switch (iso) {
    case SC_ISOLATION_READ_COMMITTED:
        return " ISOLATION LEVEL READ COMMITTED";
    case SC_ISOLATION_REPEATABLE_READ:
        return " ISOLATION LEVEL REPEATABLE READ";
    case SC_ISOLATION_SERIALIZABLE:
        return " ISOLATION LEVEL SERIALIZABLE";
    default:
        return "";
    }
}

static int begin_top(sc_conn *c, const sc_tx_options *o, sc_error *err)
{
    char sql[640];
    const char *settings =
        c->pool->cfg.pooler == SC_POOLER_TRANSACTION ? c->pool->settings_sql : "";
    snprintf(sql, sizeof sql, "BEGIN%s%s%s;%s", isolation_sql(o ? o->isolation : 0),
             o && o->read_only ? " READ ONLY" : "", o && o->deferrable ? " DEFERRABLE" : "",
             settings);
    int rc = run_control(c, sql, err);
    if (rc != SC_OK) {
        /* BEGIN may have worked and a SET LOCAL failed: do not leave a
         * half-open transaction behind. */
        if (!c->broken && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
            sc_error ignored = {0};
            sc_conn_control(c, "ROLLBACK", &ignored);
        }
        return rc;
    }
    c->tx_depth = 1;
    c->tx_read_only = o && o->read_only;
    return SC_OK;
}

int sc_tx_begin(sc_conn *c, const sc_tx_options *o, sc_error *err)
{
    if (!c)
        return sc_error_set(err, SC_MISUSE, "sc_tx_begin: no connection");
    if (c->tx_depth == 0)
        return begin_top(c, o, err);
    char sql[48];
    snprintf(sql, sizeof sql, "SAVEPOINT sc_sp_%d", c->tx_depth);
    int rc = run_control(c, sql, err);
    if (rc == SC_OK)
        c->tx_depth++;
    return rc;
}

/* What came back for a COMMIT: the first failed result and the command
 * tag of the last good one. */
typedef struct commit_answer {
    PGresult *failed;
    char status[16];
    bool any;
} commit_answer;

static void read_commit_answer(PGresult *res, commit_answer *a)
{
    a->any = res != NULL;
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
        sc_copy_str(a->status, sizeof a->status, PQcmdStatus(res));
        PQclear(res);
    } else {
        a->failed = res;
    }
}

static int commit_unknown(sc_conn *c, const char *why, sc_error *err)
{
    c->broken = true;
    sc_log(c->pool, SC_LOG_ERROR, "%s during COMMIT: outcome unknown", why);
    return sc_error_set(err, SC_COMMIT_UNKNOWN,
                        "%s during COMMIT: the transaction may or may not have committed", why);
}

/* COMMIT sent by hand so that "not sent" (safe to retry) and "sent, then
 * lost or no answer by the deadline" (outcome unknown) are told apart. */
static int commit_top(sc_conn *c, sc_error *err)
{
    sc_pool *p = c->pool;
    double started = p->cfg.echo ? sc_now() : 0;
    c->tx_depth = 0; /* whatever happens below, the transaction is over */
    bool was_empty = !err || err->category == SC_OK;
    if (!c->broken)
        sc_conn_nonblocking(c);
    if (c->broken || !PQsendQuery(c->pg, "COMMIT")) {
        c->broken = true;
        return sc_error_set(err, SC_CONNECTION,
                            "connection lost before COMMIT was sent; rolled back");
    }
    PGresult *res = NULL;
    int rc = sc_conn_await(c, sc_conn_deadline(c), &res, err);
    commit_answer a = {NULL, "", false};
    if (rc == SC_OK)
        read_commit_answer(res, &a);
    const char *state = a.failed ? PQresultErrorField(a.failed, PG_DIAG_SQLSTATE) : NULL;
    if (rc == SC_TIMEOUT) {
        /* The deadline said SC_TIMEOUT; for a COMMIT that means unknown. */
        if (was_empty)
            sc_error_clear(err);
        rc = commit_unknown(c, "no answer by the deadline", err);
    } else if (!a.any || PQstatus(c->pg) == CONNECTION_BAD ||
               (a.failed && sc_sqlstate_category(state) == SC_CONNECTION)) {
        rc = commit_unknown(c, "connection lost", err);
    } else if (a.failed) {
        rc = sc_conn_fail(c, a.failed, err);
    } else if (strcmp(a.status, "ROLLBACK") == 0) {
        /* The transaction had failed earlier; the server rolled it back. */
        rc = sc_error_set(err, SC_DATABASE,
                          "COMMIT rolled back: an earlier statement had failed");
        if (err && err->category == SC_DATABASE && !err->sqlstate[0])
            sc_copy_str(err->sqlstate, sizeof err->sqlstate, "25P02");
    }
    PQclear(a.failed);
    if (p->cfg.echo)
        sc_log_statement(p, NULL, "COMMIT", 0, NULL, NULL, NULL, NULL, sc_now() - started, rc);
    return rc;
}

int sc_tx_commit(sc_conn *c, sc_error *err)
{
    if (!c || c->tx_depth == 0)
        return sc_error_set(err, SC_MISUSE, "sc_tx_commit outside a transaction");
    if (c->tx_depth == 1)
        return commit_top(c, err);
    char sql[48];
    snprintf(sql, sizeof sql, "RELEASE SAVEPOINT sc_sp_%d", c->tx_depth - 1);
    int rc = run_control(c, sql, err);
    c->tx_depth = rc == SC_OK ? c->tx_depth - 1 : c->tx_depth;
    return rc;
}

int sc_tx_rollback(sc_conn *c, sc_error *err)
{
    if (!c || c->tx_depth == 0)
        return sc_error_set(err, SC_MISUSE, "sc_tx_rollback outside a transaction");
    if (c->tx_depth == 1) {
        c->tx_depth = 0;
        return run_control(c, "ROLLBACK", err);
    }
    char sql[96];
    int sp = c->tx_depth - 1;
    snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT sc_sp_%d; RELEASE SAVEPOINT sc_sp_%d", sp,
             sp);
    int rc = run_control(c, sql, err);
    if (rc == SC_OK)
        c->tx_depth--;
    return rc;
}

int sc_tx_depth(const sc_conn *c)
{
    return c ? c->tx_depth : 0;
}

/* Rolls back every level, ignoring errors: used on the way out of a failed
 * attempt, where the first error is the one that matters. */
static void abandon(sc_conn *c)
{
    if (c->tx_depth > 0 && !c->broken) {
        sc_error ignored = {0};
        c->tx_depth = 1;
        sc_tx_rollback(c, &ignored);
    }
    c->tx_depth = 0;
}

/* How sc_tx_run and sc_tx_run_conn call their callbacks. */
typedef struct tx_call {
    sc_tx_fn fn;
    sc_tx_conn_fn conn_fn;
    sc_arena *arena;
    void *ctx;
} tx_call;

/* One attempt on c: begin, the callback, commit or roll back. */
static int attempt_on(sc_conn *c, const sc_tx_options *o, const tx_call *call, sc_error *err)
{
    int rc = sc_tx_begin(c, o, err);
    if (rc == SC_OK) {
        rc = call->fn ? call->fn(c, call->ctx, err)
                      : call->conn_fn(c, call->arena, call->ctx, err);
        if (rc != SC_OK)
            sc_error_set(err, rc, "transaction callback failed with %s", sc_status_name(rc));
        else if (c->tx_depth != 1)
            rc = sc_error_set(err, SC_MISUSE,
                              "transaction callback left the transaction at depth %d",
                              c->tx_depth);
        if (rc == SC_OK)
            rc = sc_tx_commit(c, err);
        else
            abandon(c);
    }
    return rc;
}

static int run_once(sc_pool *p, const sc_tx_options *o, sc_tx_fn fn, void *ctx, sc_error *err)
{
    sc_conn *c = NULL;
    int rc = sc_pool_acquire(p, &c, err);
    if (rc != SC_OK)
        return rc;
    tx_call call = {fn, NULL, NULL, ctx};
    rc = attempt_on(c, o, &call, err);
    sc_pool_release(p, c);
    return rc;
}

static void sleep_seconds(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* interval * 2^attempt, capped at 30 s (no libm: the runtime links with
 * libpq and pthread only). */
static double backoff_seconds(double interval, int attempt)
{
    double s = interval;
    for (int i = 0; i < attempt && s < 30.0; i++)
        s *= 2.0;
    return s > 30.0 ? 30.0 : s;
}

int sc_tx_run(sc_pool *p, const sc_tx_options *o, sc_tx_fn fn, void *ctx, sc_error *err)
{
    if (!p || !fn)
        return sc_error_set(err, SC_MISUSE, "sc_tx_run: pool and callback are required");
    int limit = o && o->retry_limit >= 0 ? o->retry_limit : p->cfg.retry_limit;
    double interval = o && o->retry_interval_s >= 0 ? o->retry_interval_s : p->cfg.retry_interval_s;
    for (int attempt = 0;; attempt++) {
        sc_error e = {0};
        int rc = run_once(p, o, fn, ctx, &e);
        if (rc == SC_OK)
            return SC_OK;
        if (!sc_status_is_retryable(rc) || attempt >= limit) {
            if (err && err->category == SC_OK)
                *err = e;
            return rc;
        }
        sc_log(p, SC_LOG_INFO, "transaction failed with %s (%s); retry %d of %d",
               sc_status_name(rc), e.sqlstate[0] ? e.sqlstate : "no SQLSTATE", attempt + 1,
               limit);
        sleep_seconds(backoff_seconds(interval, attempt));
    }
}

int sc_tx_run_conn(sc_conn *c, const sc_tx_options *o, sc_arena *a, sc_tx_conn_fn fn, void *ctx,
                   sc_error *err)
{
    if (!c || !fn)
        return sc_error_set(err, SC_MISUSE, "sc_tx_run_conn: connection and callback are required");
    if (c->tx_depth != 0)
        return sc_error_set(err, SC_MISUSE,
                            "sc_tx_run_conn: already in a transaction (depth %d): a retry "
                            "would have to repeat the outer one",
                            c->tx_depth);
    const sc_pool *p = c->pool;
    int limit = o && o->retry_limit >= 0 ? o->retry_limit : p->cfg.retry_limit;
    double interval = o && o->retry_interval_s >= 0 ? o->retry_interval_s : p->cfg.retry_interval_s;
    sc_arena_mark mark = sc_arena_save(a);
    tx_call call = {NULL, fn, a, ctx};
    for (int attempt = 0;; attempt++) {
        sc_error e = {0};
        int rc = attempt_on(c, o, &call, &e);
        if (rc == SC_OK)
            return SC_OK;
        sc_arena_rewind(a, mark); /* a failed attempt keeps nothing */
        bool retry = rc == SC_SERIALIZATION || rc == SC_DEADLOCK;
        if (!retry || attempt >= limit || c->broken) {
            if (err && (err->category == SC_OK || err->category == SC_NOT_FOUND))
                *err = e;
            return rc;
        }
        sc_log(c->pool, SC_LOG_INFO, "transaction failed with %s (%s); retry %d of %d on the "
               "same connection", sc_status_name(rc), e.sqlstate[0] ? e.sqlstate : "no SQLSTATE",
               attempt + 1, limit);
        sleep_seconds(backoff_seconds(interval, attempt));
    }
}

int sc_tx_set_audit(sc_conn *c, int64_t user_id, int64_t operation_id, sc_error *err)
{
    if (!c)
        return sc_error_set(err, SC_MISUSE, "sc_tx_set_audit: the connection is NULL");
    if (sc_tx_depth(c) == 0)
        return sc_error_set(err, SC_MISUSE, "sc_tx_set_audit: outside a transaction the "
                                            "settings would end with this statement");
    char user[24] = "", op[24] = "";
    if (user_id)
        snprintf(user, sizeof user, "%lld", (long long)user_id);
    if (operation_id)
        snprintf(op, sizeof op, "%lld", (long long)operation_id);
    /* SET LOCAL rather than set_config(): nothing stays on the session, and
     * Citus passes SET LOCAL on to the workers whose shard triggers write
     * the audit rows once citus.propagate_set_commands is 'local' (on plain
     * PostgreSQL that name is an inert placeholder). The values are
     * integers formatted here, so the text needs no quoting beyond ''. */
    char sql[200];
    snprintf(sql, sizeof sql,
             "SET LOCAL citus.propagate_set_commands = 'local'; "
             "SET LOCAL schemac.user_id = '%s'; SET LOCAL schemac.operation_id = '%s'",
             user, op);
    return sc_conn_control(c, sql, err);
}
