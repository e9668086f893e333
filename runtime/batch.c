/* Pipelined batches (sc_query_batch): n calls of one statement in libpq's
 * pipeline mode. Every call's parameters are encoded before anything is
 * sent, so bad input reaches no server; then each chunk of calls goes out
 * with one sync and its answers are read call by call. Outside a
 * transaction the batch opens its own, so a failure keeps no row. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sc_query.h"
#include "sc_query_internal.h"

/* Every call's parameters: n * np values. Texts are copied into one buffer
 * (offsets until it stops growing), bytea points at the caller's bytes. */
typedef struct batch_params {
    size_t np;
    const char **values;
    int *lengths, *formats;
    size_t *offsets; /* into text.data; NOT_COPIED for NULL and bytea */
    sc_textbuf text;
} batch_params;

#define NOT_COPIED SIZE_MAX

typedef struct batch_run {
    sc_conn *c;
    const sc_query *q;
    const sc_batch *b;
    batch_params bp;
    const char *prepared; /* NULL: sent unnamed (transaction pooling) */
    double deadline;      /* restarted by every answer */
    size_t failed;        /* the first failed call; b->n while none */
    sc_error first;       /* its error */
    int64_t rows;         /* rows returned or changed, all calls */
    bool vanished;        /* the server forgot the prepared statement (26000) */
} batch_run;

static void params_free(batch_params *bp)
{
    free(bp->values);
    free(bp->lengths);
    free(bp->formats);
    free(bp->offsets);
    free(bp->text.data);
    memset(bp, 0, sizeof *bp);
}

static bool params_alloc(batch_params *bp, size_t n, size_t np)
{
    bp->np = np;
    size_t cells = n * np > 0 ? n * np : 1;
    if (np && n > SIZE_MAX / np / sizeof(size_t))
        return false;
    bp->values = calloc(cells, sizeof *bp->values);
    bp->lengths = calloc(cells, sizeof *bp->lengths);
    bp->formats = calloc(cells, sizeof *bp->formats);
    bp->offsets = calloc(cells, sizeof *bp->offsets);
    return bp->values && bp->lengths && bp->formats && bp->offsets;
}

static void keep_call(batch_params *bp, size_t i, const sc_params *p)
{
    for (size_t j = 0; j < bp->np; j++) {
        size_t k = i * bp->np + j;
        bp->lengths[k] = p->lengths[j];
        bp->formats[k] = p->formats[j];
        bp->offsets[k] = NOT_COPIED;
        if (!p->values[j] || p->formats[j] == 1) {
            bp->values[k] = p->values[j];
            continue;
        }
        bp->offsets[k] = bp->text.len;
        sc_textbuf_put(&bp->text, p->values[j], strlen(p->values[j]) + 1);
    }
}

static void error_at(sc_error *errors, size_t i, const sc_error *e)
{
    if (errors)
        errors[i] = *e;
}

static void outcome_all(sc_error *errors, size_t n, int status, const char *why)
{
    if (!errors)
        return;
    for (size_t i = 0; i < n; i++) {
        sc_error_clear(&errors[i]);
        if (status != SC_OK)
            sc_error_set(&errors[i], status, "%s", why);
    }
}

/* Encodes every call; the first bad one is the batch's error and nothing is
 * sent. */
static int encode_calls(batch_run *r, sc_error *err)
{
    const sc_batch *b = r->b;
    if (!params_alloc(&r->bp, b->n, (size_t)r->q->stmt.nparams))
        return sc_error_set(err, SC_NO_MEMORY, "%s: out of memory for %zu calls",
                            r->q->stmt.name, b->n);
    for (size_t i = 0; i < b->n; i++) {
        sc_params p;
        sc_error e = {0};
        int rc = sc_params_encode(&p, r->q, (const char *)b->args + i * b->args_size, &e);
        if (rc != SC_OK) {
            outcome_all(b->errors, b->n, SC_NOT_RUN, "not run: the batch has a bad argument");
            error_at(b->errors, i, &e);
            r->failed = i;
            r->first = e;
            return rc;
        }
        keep_call(&r->bp, i, &p);
        sc_params_free(&p);
    }
    if (r->bp.text.failed)
        return sc_error_set(err, SC_NO_MEMORY, "%s: out of memory for %zu calls",
                            r->q->stmt.name, b->n);
    for (size_t k = 0; k < b->n * r->bp.np; k++)
        if (r->bp.offsets[k] != NOT_COPIED)
            r->bp.values[k] = r->bp.text.data + r->bp.offsets[k];
    return SC_OK;
}

static int lost(batch_run *r, sc_error *err)
{
    r->c->broken = true;
    char why[160];
    sc_copy_str(why, sizeof why, PQerrorMessage(r->c->pg));
    why[strcspn(why, "\n")] = '\0';
    return sc_error_set(err, SC_CONNECTION, "%s: connection lost during a batch: %s",
                        r->q->stmt.name, why[0] ? why : "no answer");
}

static bool send_call(batch_run *r, size_t i)
{
    const sc_stmt *s = &r->q->stmt;
    size_t k = i * r->bp.np;
    const char *const *values = r->bp.values + k;
    if (r->prepared)
        return PQsendQueryPrepared(r->c->pg, r->prepared, s->nparams, values,
                                   r->bp.lengths + k, r->bp.formats + k, 1);
    return PQsendQueryParams(r->c->pg, s->sql, s->nparams, s->param_types, values,
                             r->bp.lengths + k, r->bp.formats + k, 1);
}

static void *row_at(const batch_run *r, size_t i)
{
    return (char *)r->b->rows + i * r->q->row->size;
}

/* A call that ran: its count, and its row when the caller keeps rows. */
static int take_rows(batch_run *r, size_t i, PGresult *res, sc_error *e)
{
    const sc_batch *b = r->b;
    int64_t n = PQntuples(res);
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        const char *t = PQcmdTuples(res);
        n = *t ? strtoll(t, NULL, 10) : 0;
    }
    r->rows += n;
    if (b->affected)
        b->affected[i] = n;
    if (b->rows && r->q->row) {
        memset(row_at(r, i), 0, r->q->row->size);
        if (PQntuples(res) > 0)
            return sc_decode_row(res, 0, r->q->row, b->arena, row_at(r, i), e);
    }
    if (n == 0 && b->none_is_error)
        return sc_error_set(e, SC_NOT_FOUND, "%s: no row", r->q->stmt.name);
    return SC_OK;
}

static void take_result(batch_run *r, size_t i, PGresult *res)
{
    sc_error e = {0};
    int rc;
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_PIPELINE_ABORTED) {
        rc = sc_error_set(&e, SC_NOT_RUN, "not run: an earlier call of the batch failed");
    } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        rc = take_rows(r, i, res, &e);
    } else {
        rc = sc_conn_fail(r->c, res, &e);
        size_t k = i * r->bp.np;
        sc_exec_hide_secrets(&r->q->stmt, r->bp.values + k, r->bp.formats + k, &e);
        r->vanished = r->vanished || sc_exec_statement_vanished(res);
    }
    error_at(r->b->errors, i, &e);
    if (rc != SC_OK && rc != SC_NOT_RUN && r->failed == r->b->n) {
        r->failed = i;
        r->first = e;
    }
}

/* The next answer (NULL: the end of one call's answers); each restarts the
 * deadline, as each row of a stream does. */
static int next(batch_run *r, PGresult **res, sc_error *err)
{
    int rc = sc_conn_next_result(r->c, r->deadline, res, err);
    if (rc == SC_OK)
        r->deadline = sc_conn_deadline(r->c);
    return rc;
}

static int read_call(batch_run *r, size_t i, sc_error *err)
{
    PGresult *res = NULL;
    int rc = next(r, &res, err);
    if (rc != SC_OK)
        return rc;
    if (!res)
        return lost(r, err);
    take_result(r, i, res);
    PQclear(res);
    if (PQstatus(r->c->pg) == CONNECTION_BAD)
        return lost(r, err);
    rc = next(r, &res, err); /* the NULL that ends this call's answers */
    if (rc == SC_OK && res) {
        PQclear(res);
        return lost(r, err);
    }
    return rc;
}

static int read_sync(batch_run *r, sc_error *err)
{
    PGresult *res = NULL;
    int rc = next(r, &res, err);
    if (rc != SC_OK)
        return rc;
    bool synced = res && PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    return synced ? SC_OK : lost(r, err);
}

static int run_chunk(batch_run *r, size_t from, size_t to, sc_error *err)
{
    for (size_t i = from; i < to; i++)
        if (!send_call(r, i))
            return lost(r, err);
    if (!PQpipelineSync(r->c->pg))
        return lost(r, err);
    int sent = sc_conn_flush(r->c, r->deadline);
    if (sent == 0)
        return sc_conn_timed_out(r->c, err);
    if (sent < 0)
        return lost(r, err);
    for (size_t i = from; i < to; i++) {
        int rc = read_call(r, i, err);
        if (rc != SC_OK)
            return rc;
    }
    return read_sync(r, err);
}

/* Chunks until one fails; calls of later chunks are never sent. */
static int run_chunks(batch_run *r, sc_error *err)
{
    size_t n = r->b->n;
    if (!PQenterPipelineMode(r->c->pg))
        return lost(r, err);
    int rc = SC_OK;
    size_t from = 0;
    for (; from < n && rc == SC_OK && r->failed == n; from += SC_BATCH_CHUNK) {
        size_t to = n - from > SC_BATCH_CHUNK ? from + SC_BATCH_CHUNK : n;
        rc = run_chunk(r, from, to, err);
    }
    for (size_t i = from; i < n && r->b->errors; i++)
        sc_error_set(&r->b->errors[i], SC_NOT_RUN, "not run: an earlier call of the batch failed");
    if (!r->c->broken)
        PQexitPipelineMode(r->c->pg);
    return rc;
}

/* The batch's error: the first failed call's, naming its index. */
static int first_failure(const batch_run *r, sc_error *err)
{
    if (err) {
        char was[sizeof err->message];
        sc_copy_str(was, sizeof was, r->first.message);
        *err = r->first;
        snprintf(err->message, sizeof err->message, "%s: call [%zu] of %zu failed: %.180s",
                 r->q->stmt.name, r->failed, r->b->n, was);
    }
    return r->first.category ? r->first.category : SC_DATABASE;
}

/* Undoes the outcome of calls that ran: they were rolled back with the
 * batch's own transaction. */
static void mark_rolled_back(const batch_run *r)
{
    for (size_t i = 0; r->b->errors && i < r->b->n; i++)
        if (r->b->errors[i].category == SC_OK)
            sc_error_set(&r->b->errors[i], SC_NOT_RUN, "rolled back: call [%zu] failed",
                         r->failed);
}

static int run_batch(batch_run *r, sc_error *err)
{
    int rc = encode_calls(r, err);
    if (rc != SC_OK)
        return r->failed < r->b->n ? first_failure(r, err) : rc;
    bool own = r->c->tx_depth == 0 && PQtransactionStatus(r->c->pg) == PQTRANS_IDLE;
    if (own && (rc = sc_tx_begin(r->c, NULL, err)) != SC_OK)
        return rc;
    rc = sc_exec_prepared_name(r->c, &r->q->stmt, &r->prepared, err);
    if (rc == SC_OK) {
        sc_conn_nonblocking(r->c);
        r->deadline = sc_conn_deadline(r->c);
        rc = run_chunks(r, err);
    }
    if (r->vanished)
        sc_conn_cache_reset(r->c);
    if (rc == SC_OK && r->failed < r->b->n)
        rc = first_failure(r, err);
    if (own && rc == SC_OK)
        return sc_tx_commit(r->c, err);
    if (own && !r->c->broken) {
        sc_error ignored = {0};
        sc_tx_rollback(r->c, &ignored);
        mark_rolled_back(r);
    } else if (own) {
        r->c->tx_depth = 0;
    }
    return rc;
}

static int check_batch(sc_conn *c, const sc_query *q, const sc_batch *b, sc_error *err)
{
    if (!c || !q || !b)
        return sc_error_set(err, SC_MISUSE, "sc_query_batch: connection, query and batch needed");
    if (b->n && (!b->args || b->args_size == 0) && q->stmt.nparams > 0)
        return sc_error_set(err, SC_MISUSE, "%s: batch of %zu calls without arguments",
                            q->stmt.name, b->n);
    if (b->rows && (!q->row || !b->arena))
        return sc_error_set(err, SC_MISUSE, "%s: rows need a statement with rows and an arena",
                            q->stmt.name);
    if (q->access)
        return sc_error_set(err, SC_MISUSE, "%s: permission-checked reads are not batched",
                            q->stmt.name);
    if (c->broken)
        return sc_error_set(err, SC_CONNECTION, "connection is broken; release it");
    if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF)
        return sc_error_set(err, SC_MISUSE, "%s: the connection is already in pipeline mode",
                            q->stmt.name);
    if (c->pool->replica)
        return sc_replica_refuses(c, q->stmt.name, q->flags & SC_QUERY_PRIMARY,
                                  sc_sql_classify(q->stmt.sql), err);
    return SC_OK;
}

static void report_batch(const batch_run *r, double started, int rc, const sc_error *err)
{
    const sc_pool_config *cfg = &r->c->pool->cfg;
    if (cfg->on_statement) {
        sc_statement_event ev = {r->q->stmt.name, r->q->stmt.sql, sc_now() - started,
                                 rc == SC_OK ? r->rows : -1, rc,
                                 err && rc != SC_OK ? err->sqlstate : ""};
        cfg->on_statement(cfg->hook_ctx, &ev);
    }
    if (cfg->echo)
        sc_log_statement(r->c->pool, r->q->stmt.name, r->q->stmt.sql, 0, NULL, NULL, NULL, NULL,
                         sc_now() - started, rc);
}

int sc_query_batch(sc_conn *c, const sc_query *q, const sc_batch *b, sc_error *err)
{
    int rc = check_batch(c, q, b, err);
    if (rc != SC_OK || b->n == 0)
        return rc;
    outcome_all(b->errors, b->n, SC_OK, "");
    double started = sc_now();
    batch_run r = {.c = c, .q = q, .b = b, .failed = b->n};
    c->last_stmt = q->stmt.name;
    rc = run_batch(&r, err);
    params_free(&r.bp);
    report_batch(&r, started, rc, err);
    return rc;
}
