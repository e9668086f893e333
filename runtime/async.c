/* The event-loop form (sc_query_send, sc_conn_process): requests queued on a
 * connection in libpq's pipeline mode, each ended by its own sync so that a
 * failure stays its own, answered in order. Nothing here waits: the caller
 * polls sc_conn_socket for sc_conn_events, with sc_conn_poll_timeout_ms,
 * and calls sc_conn_process, which reads what has come and completes every
 * request whose answer is in, or fails the requests past their deadline. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sc_query.h"
#include "sc_query_internal.h"

/* One request in flight, in send order. */
typedef struct inflight {
    sc_request r;
    const sc_query *q;
    double deadline;
    bool prepare;       /* a PREPARE's answer comes first */
    bool read_only;     /* its loss outside a transaction is not an unknown outcome */
    int status;         /* the first failure among its answers */
    sc_error err;
    PGresult *res;      /* the statement's answer */
    char *secrets[8];   /* copies of secret parameter values, to scrub err */
    int nsecrets;
} inflight;

struct sc_async {
    inflight *ring;
    size_t head, count, cap;
    bool want_write;    /* libpq holds unsent data */
};

size_t sc_conn_in_flight(const sc_conn *c)
{
    return c && c->async ? c->async->count : 0;
}

static inflight *nth(sc_async *q, size_t i)
{
    return &q->ring[(q->head + i) % q->cap];
}

static bool ring_grow(sc_conn *c)
{
    sc_async *q = c->async;
    if (!q && !(q = c->async = sc_calloc(1, sizeof *q)))
        return false;
    if (q->count < q->cap)
        return true;
    size_t cap = q->cap ? q->cap * 2 : 16;
    inflight *ring = sc_calloc(cap, sizeof *ring);
    if (!ring)
        return false;
    for (size_t i = 0; i < q->count; i++)
        ring[i] = *nth(q, i);
    free(q->ring);
    q->ring = ring;
    q->head = 0;
    q->cap = cap;
    return true;
}

static void keep_secrets(inflight *f, const sc_stmt *s, const sc_params *p)
{
    for (int i = 0; s->param_flags && i < s->nparams && f->nsecrets < 8; i++)
        if ((s->param_flags[i] & SC_PARAM_SECRET) && p->values[i] && p->formats[i] == 0)
            f->secrets[f->nsecrets++] = strdup(p->values[i]);
}

static void scrub_secrets(inflight *f)
{
    if (!f->nsecrets)
        return;
    sc_error_scrub_values(&f->err, f->nsecrets, (const char *const *)f->secrets, NULL);
    sc_error_hide_values(&f->err);
}

static void free_inflight(inflight *f)
{
    PQclear(f->res);
    for (int i = 0; i < f->nsecrets; i++)
        free(f->secrets[i]);
    memset(f, 0, sizeof *f);
}

/* ---- completing ------------------------------------------------------- */

static int decode_exec(inflight *f)
{
    const char *t = PQcmdTuples(f->res);
    int64_t n = *t ? strtoll(t, NULL, 10) : 0;
    if (f->r.affected)
        *f->r.affected = n;
    if (n == 0 && f->r.none_is_error)
        return sc_error_set(&f->err, SC_NOT_FOUND, "%s: no row", f->q->stmt.name);
    return SC_OK;
}

static int decode(inflight *f)
{
    if (f->status != SC_OK)
        return f->status;
    if (!f->res)
        return sc_error_set(&f->err, SC_DATABASE, "%s: no answer", f->q->stmt.name);
    switch (f->r.answer) {
    case SC_ANSWER_ONE:
        return sc_decode_one(f->q, f->res, f->r.arena, f->r.row, &f->err);
    case SC_ANSWER_MANY:
        return sc_decode_many(f->q, f->res, f->r.arena, f->r.rows, f->r.n, &f->err);
    default:
        return decode_exec(f);
    }
}

/* Pops the head request and tells its caller; the callback may send more. */
static void complete_head(sc_conn *c, int status)
{
    sc_async *q = c->async;
    inflight f = *nth(q, 0);
    memset(nth(q, 0), 0, sizeof f);
    q->head = (q->head + 1) % q->cap;
    q->count--;
    if (status != SC_OK && f.err.category == SC_OK)
        sc_error_set(&f.err, status, "%s failed", f.q->stmt.name);
    if (status != SC_OK)
        scrub_secrets(&f);
    if (f.r.done)
        f.r.done(f.r.ctx, status, status == SC_OK ? NULL : &f.err);
    free_inflight(&f);
}

/* Every request in flight fails: the connection is gone or past a deadline. */
static void fail_all(sc_conn *c, int status, const sc_error *why)
{
    c->broken = true;
    while (sc_conn_in_flight(c)) {
        inflight *f = nth(c->async, 0);
        int st = status;
        if (status == SC_CONNECTION && c->tx_depth == 0 && !f->read_only)
            st = SC_COMMIT_UNKNOWN; /* it went out on its own: it may have committed */
        f->err = *why;
        f->err.category = st;
        complete_head(c, st);
    }
}

static int lost(sc_conn *c, sc_error *err)
{
    sc_error why = {0};
    char msg[160];
    sc_copy_str(msg, sizeof msg, PQerrorMessage(c->pg));
    msg[strcspn(msg, "\n")] = '\0';
    sc_error_set(&why, SC_CONNECTION, "connection lost with requests in flight: %s",
                 msg[0] ? msg : "no answer");
    fail_all(c, SC_CONNECTION, &why);
    if (err)
        *err = why;
    return SC_CONNECTION;
}

/* One answer of the head request. */
static void take(sc_conn *c, inflight *f, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        if (f->prepare)
            f->prepare = false; /* the PREPARE went through */
        else if (!f->res)
            f->res = r, r = NULL;
    } else if (st == PGRES_PIPELINE_ABORTED) {
        if (f->status == SC_OK)
            f->status = sc_error_set(&f->err, SC_DATABASE, "%s: not run", f->q->stmt.name);
    } else if (f->status == SC_OK) {
        f->status = sc_conn_fail(c, r, &f->err);
        if (sc_exec_statement_vanished(r) || f->prepare)
            sc_conn_cache_reset(c); /* names in flight may be gone */
    }
    PQclear(r);
}

/* Reads every answer already in; completes requests at their sync. */
static int drain(sc_conn *c, sc_error *err)
{
    bool ended = false; /* the last call returned the end of a statement's answers */
    while (sc_conn_in_flight(c) && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            if (PQstatus(c->pg) == CONNECTION_BAD)
                return lost(c, err);
            if (ended)
                break; /* two ends in a row: nothing more is in; wait for it */
            ended = true;
            continue;
        }
        ended = false;
        inflight *f = nth(c->async, 0);
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            int status = decode(f);
            complete_head(c, status);
            continue;
        }
        take(c, f, r);
        if (PQstatus(c->pg) == CONNECTION_BAD)
            return lost(c, err);
    }
    return SC_OK;
}

static int flush(sc_conn *c, sc_error *err)
{
    int r = PQflush(c->pg);
    if (r < 0)
        return lost(c, err);
    c->async->want_write = r == 1;
    return SC_OK;
}

static int expire(sc_conn *c, sc_error *err)
{
    if (!sc_conn_in_flight(c) || nth(c->async, 0)->deadline > sc_now())
        return SC_OK;
    sc_error why = {0};
    sc_conn_timed_out(c, &why); /* cancels the server's work, evicts the connection */
    fail_all(c, SC_TIMEOUT, &why);
    if (err)
        *err = why;
    return SC_TIMEOUT;
}

int sc_conn_process(sc_conn *c, sc_error *err)
{
    if (!c || !c->async || !c->async->count)
        return SC_OK;
    if (c->broken)
        return lost(c, err);
    if (!PQconsumeInput(c->pg))
        return lost(c, err);
    int rc = flush(c, err);
    if (rc == SC_OK)
        rc = drain(c, err);
    if (rc == SC_OK && sc_conn_in_flight(c) == 0 && !c->async->want_write &&
        PQpipelineStatus(c->pg) == PQ_PIPELINE_ON)
        PQexitPipelineMode(c->pg); /* idle: the blocking calls may run again */
    return rc == SC_OK ? expire(c, err) : rc;
}

int sc_conn_socket(const sc_conn *c)
{
    return c && c->pg ? PQsocket(c->pg) : -1;
}

short sc_conn_events(const sc_conn *c)
{
    if (!sc_conn_in_flight(c))
        return 0;
    return (short)(POLLIN | (c->async->want_write ? POLLOUT : 0));
}

int sc_conn_poll_timeout_ms(const sc_conn *c)
{
    if (!sc_conn_in_flight(c))
        return -1;
    double left = c->async->ring[c->async->head].deadline - sc_now();
    return left <= 0 ? 0 : left > 86400.0 ? 86400000 : (int)(left * 1000.0) + 1;
}

/* ---- sending ---------------------------------------------------------- */

static int check_send(sc_conn *c, const sc_query *q, const void *args, const sc_request *r,
                      sc_error *err)
{
    if (!c || !q || !r || !r->done)
        return sc_error_set(err, SC_MISUSE, "sc_query_send: connection, query, request and "
                                            "completion callback needed");
    if (!args && q->stmt.nparams > 0)
        return sc_error_set(err, SC_MISUSE, "%s: args is NULL", q->stmt.name);
    bool rows = r->answer == SC_ANSWER_ONE || r->answer == SC_ANSWER_MANY;
    if (rows && (!q->row || !r->arena || (r->answer == SC_ANSWER_ONE ? !r->row : !r->rows || !r->n)))
        return sc_error_set(err, SC_MISUSE, "%s: the arena and the output are required",
                            q->stmt.name);
    if (c->broken)
        return sc_error_set(err, SC_CONNECTION, "connection is broken; release it");
    if (c->pool->replica && sc_replica_refuses(c, q->stmt.name, q->flags & SC_QUERY_PRIMARY,
                                              sc_sql_classify(q->stmt.sql), err))
        return SC_MISUSE;
    /* Each request is a transaction of its own (its own sync). */
    bool open_tx = PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF &&
                   PQtransactionStatus(c->pg) != PQTRANS_IDLE;
    if (c->tx_depth > 0 || open_tx)
        return sc_error_set(err, SC_MISUSE, "%s: requests are sent outside a transaction",
                            q->stmt.name);
    return SC_OK;
}

/* The statement's name on c, queued for preparing in this pipeline when it
 * is new (NULL under transaction pooling: sent unnamed). */
static const char *statement_name(sc_conn *c, const sc_query *q, inflight *f)
{
    if (c->pool->cfg.pooler == SC_POOLER_TRANSACTION) {
        f->read_only = (sc_sql_classify(q->stmt.sql) & SC_SQL_READ_ONLY) != 0;
        return NULL;
    }
    bool fresh = false;
    unsigned flags = 0;
    const char *name = sc_exec_cache_claim(c, &q->stmt, &fresh, &flags);
    f->read_only = (flags & SC_SQL_READ_ONLY) != 0;
    if (flags & SC_SQL_SESSION)
        sc_conn_mark_dirty(c);
    if (name && fresh) {
        if (!PQsendPrepare(c->pg, name, q->stmt.sql, q->stmt.nparams, q->stmt.param_types))
            return NULL;
        f->prepare = true;
    }
    return name;
}

static bool send_statement(sc_conn *c, const sc_query *q, const sc_params *p, inflight *f)
{
    const sc_stmt *s = &q->stmt;
    const char *name = statement_name(c, q, f);
    if (name)
        return PQsendQueryPrepared(c->pg, name, s->nparams, p->values, p->lengths, p->formats, 1);
    if (c->pool->cfg.pooler != SC_POOLER_TRANSACTION)
        return false; /* out of memory caching it, or the PREPARE could not be queued */
    return PQsendQueryParams(c->pg, s->sql, s->nparams, s->param_types, p->values, p->lengths,
                             p->formats, 1);
}

int sc_query_send(sc_conn *c, const sc_query *q, const void *args, const sc_request *r,
                  sc_error *err)
{
    int rc = check_send(c, q, args, r, err);
    if (rc != SC_OK)
        return rc;
    sc_params p;
    if ((rc = sc_params_encode(&p, q, args, err)) != SC_OK)
        return rc;
    if (!ring_grow(c)) {
        sc_params_free(&p);
        return sc_error_set(err, SC_NO_MEMORY, "%s: out of memory queueing it", q->stmt.name);
    }
    sc_conn_nonblocking(c);
    if (PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF && !PQenterPipelineMode(c->pg)) {
        sc_params_free(&p);
        return sc_error_set(err, SC_MISUSE, "%s: the connection is busy", q->stmt.name);
    }
    inflight *f = nth(c->async, c->async->count);
    memset(f, 0, sizeof *f);
    *f = (inflight){.r = *r, .q = q, .deadline = sc_conn_deadline(c)};
    keep_secrets(f, &q->stmt, &p);
    bool sent = send_statement(c, q, &p, f) && PQpipelineSync(c->pg);
    sc_params_free(&p);
    if (!sent) {
        free_inflight(f);
        c->broken = true;
        return sc_error_set(err, SC_CONNECTION, "%s: could not be queued: %s", q->stmt.name,
                            PQerrorMessage(c->pg));
    }
    c->async->count++;
    c->last_stmt = q->stmt.name;
    /* Sent by sc_conn_process when the socket is writable: the requests
     * queued in one turn of the caller's loop go out in one write. */
    c->async->want_write = true;
    return SC_OK;
}

void sc_conn_async_free(sc_conn *c)
{
    if (!c->async)
        return;
    if (c->async->count) {
        sc_error why = {0};
        sc_error_set(&why, SC_CONNECTION, "the connection was released with requests in flight");
        fail_all(c, SC_CONNECTION, &why);
    }
    free(c->async->ring);
    free(c->async);
    c->async = NULL;
}
