/* The statement executor generated code calls, and the per-connection
 * prepared-statement cache behind it. The cache is keyed by the descriptor's
 * address (generated descriptors are static const), so a lookup is one hash
 * of a pointer; server-side names are "sc_<n>", unique per connection. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static size_t slot_of(const sc_stmt *s, size_t cap)
{
    uintptr_t h = (uintptr_t)s;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 7) & (cap - 1);
}

static sc_cached_stmt *cache_find(sc_conn *c, const sc_stmt *s)
{
    if (c->cache_cap == 0)
        return NULL;
    for (size_t i = slot_of(s, c->cache_cap);; i = (i + 1) & (c->cache_cap - 1)) {
        if (c->cache[i].key == s)
            return &c->cache[i];
        if (!c->cache[i].key)
            return NULL;
    }
}

/* Makes room for one more entry (load factor below 1/2). */
static bool cache_reserve(sc_conn *c)
{
    if ((c->cache_used + 1) * 2 <= c->cache_cap)
        return true;
    size_t cap = c->cache_cap ? c->cache_cap * 2 : 16;
    sc_cached_stmt *fresh = sc_calloc(cap, sizeof *fresh);
    if (!fresh)
        return false;
    for (size_t i = 0; i < c->cache_cap; i++) {
        if (!c->cache[i].key)
            continue;
        size_t j = slot_of(c->cache[i].key, cap);
        while (fresh[j].key)
            j = (j + 1) & (cap - 1);
        fresh[j] = c->cache[i];
    }
    free(c->cache);
    c->cache = fresh;
    c->cache_cap = cap;
    return true;
}

static sc_cached_stmt *cache_insert(sc_conn *c, const sc_stmt *s, const char *name)
{
    size_t i = slot_of(s, c->cache_cap);
    while (c->cache[i].key)
        i = (i + 1) & (c->cache_cap - 1);
    c->cache[i].key = s;
    c->cache[i].sql = s->sql;
    c->cache[i].nparams = s->nparams;
    sc_copy_str(c->cache[i].name, sizeof c->cache[i].name, name);
    c->cache_used++;
    return &c->cache[i];
}

void sc_conn_cache_reset(sc_conn *c)
{
    if (c->cache)
        memset(c->cache, 0, c->cache_cap * sizeof *c->cache);
    c->cache_used = 0;
}

void sc_conn_cache_free(sc_conn *c)
{
    free(c->cache);
    c->cache = NULL;
    c->cache_cap = c->cache_used = 0;
}

size_t sc_conn_cached_statements(const sc_conn *c)
{
    return c ? c->cache_used : 0;
}

static bool result_ok(const PGresult *res)
{
    switch (PQresultStatus(res)) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_SINGLE_TUPLE:
        return true;
    default:
        return false;
    }
}

/* Hands a result to the caller or turns it into an error; clears it on every
 * path where the caller does not take it. */
static int finish(sc_conn *c, PGresult *res, PGresult **out, sc_error *err)
{
    if (res && result_ok(res)) {
        if (out)
            *out = res;
        else
            PQclear(res);
        return SC_OK;
    }
    int rc = sc_conn_fail(c, res, err);
    PQclear(res);
    return rc;
}

/* One statement's trip to the server and what its outcome means. */
typedef struct trip {
    double deadline;
    bool autocommit;    /* no transaction open when it was sent */
    bool sent;          /* libpq accepted it: it may have run */
    unsigned sql_flags; /* sc_sql_classify */
    bool err_was_empty; /* err is ours to relabel */
    bool single_row;    /* the statement (not its PREPARE) streams its rows */
    bool own_text;      /* the runtime's own SQL: known to leave the session as it was */
} trip;

static trip trip_start(sc_conn *c, sc_error *err)
{
    sc_conn_nonblocking(c);
    trip t = {sc_conn_deadline(c), PQtransactionStatus(c->pg) == PQTRANS_IDLE, false, 0,
              !err || err->category == SC_OK, false, false};
    return t;
}

/* Waits for the answer to what was just sent (sent false: nothing went out,
 * *res NULL reads as a lost connection). */
static int await_sent(sc_conn *c, trip *t, int sent, PGresult **res, sc_error *err)
{
    *res = NULL;
    if (!sent)
        return SC_OK;
    t->sent = true;
    if (t->single_row && !PQsetSingleRowMode(c->pg))
        return sc_error_set(err, SC_MISUSE, "single-row mode could not be set");
    return sc_conn_await(c, t->deadline, res, err);
}

/* A statement sent outside a transaction commits on its own: when the
 * connection is lost after it was sent, it may have committed, and calling
 * it safe to retry (SC_CONNECTION) would be a lie. A connection that is not
 * broken was not lost: the server answered (a Citus worker down,
 * sc_remote_connection_failed), so the statement did not commit here. */
static int label_outcome(const sc_conn *c, const trip *t, int rc, sc_error *err)
{
    if (rc != SC_CONNECTION || !c->broken || !t->sent || !t->autocommit ||
        (t->sql_flags & SC_SQL_READ_ONLY))
        return rc;
    if (err && t->err_was_empty) {
        err->category = SC_COMMIT_UNKNOWN;
        char was[sizeof err->message];
        sc_copy_str(was, sizeof was, err->message);
        snprintf(err->message, sizeof err->message,
                 "connection lost after a statement outside a transaction was sent: it may "
                 "have committed (%.160s)",
                 was);
    }
    return SC_COMMIT_UNKNOWN;
}

static int prepare_as(sc_conn *c, trip *t, const sc_stmt *s, const char *name, sc_error *err)
{
    PGresult *res = NULL;
    int rc = await_sent(c, t, PQsendPrepare(c->pg, name, s->sql, s->nparams, s->param_types),
                        &res, err);
    t->sent = false; /* a PREPARE changes no data */
    if (rc != SC_OK)
        return rc;
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
        PQclear(res);
        return SC_OK;
    }
    rc = sc_conn_fail(c, res, err);
    PQclear(res);
    return rc;
}

static int prepare(sc_conn *c, trip *t, const sc_stmt *s, sc_cached_stmt **entry, sc_error *err)
{
    if (!cache_reserve(c))
        return sc_error_set(err, SC_NO_MEMORY, "out of memory caching statement %s",
                            s->name ? s->name : "");
    char name[24];
    snprintf(name, sizeof name, "sc_%u", c->next_stmt_id++);
    int rc = prepare_as(c, t, s, name, err);
    if (rc != SC_OK)
        return rc;
    *entry = cache_insert(c, s, name);
    (*entry)->sql_flags = sc_sql_classify(s->sql);
    return SC_OK;
}

/* Re-prepares into an existing cache entry; on failure the whole cache is
 * forgotten (the simplest correct state). */
static int prepare_named(sc_conn *c, trip *t, const sc_stmt *s, sc_cached_stmt *entry,
                         sc_error *err)
{
    char name[24];
    snprintf(name, sizeof name, "sc_%u", c->next_stmt_id++);
    int rc = prepare_as(c, t, s, name, err);
    if (rc != SC_OK) {
        sc_conn_cache_reset(c);
        return rc;
    }
    entry->sql = s->sql;
    entry->nparams = s->nparams;
    entry->sql_flags = sc_sql_classify(s->sql);
    sc_copy_str(entry->name, sizeof entry->name, name);
    return SC_OK;
}

static bool statement_vanished(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return state && strcmp(state, "26000") == 0;
}

/* The cache entry for s, prepared if needed. */
static int cached(sc_conn *c, trip *t, const sc_stmt *s, sc_cached_stmt **entry, sc_error *err)
{
    *entry = cache_find(c, s);
    if (*entry && ((*entry)->sql != s->sql || (*entry)->nparams != s->nparams)) {
        /* Same address, other statement: a descriptor that did not live as
         * long as the pool. Prepare the new one under a new name. */
        sc_log(c->pool, SC_LOG_WARN, "statement %s: descriptor address reused",
               s->name ? s->name : "");
        return prepare_named(c, t, s, *entry, err);
    }
    return *entry ? SC_OK : prepare(c, t, s, entry, err);
}

int sc_exec_prepared_name(sc_conn *c, const sc_stmt *s, const char **name, sc_error *err)
{
    *name = NULL;
    unsigned flags = sc_sql_classify(s->sql);
    if (c->pool->cfg.pooler != SC_POOLER_TRANSACTION) {
        trip t = trip_start(c, err);
        sc_cached_stmt *entry = NULL;
        int rc = cached(c, &t, s, &entry, err);
        if (rc != SC_OK)
            return rc;
        *name = entry->name;
        flags = entry->sql_flags;
    }
    if (flags & SC_SQL_SESSION)
        sc_conn_mark_dirty(c);
    return SC_OK;
}

const char *sc_exec_cache_claim(sc_conn *c, const sc_stmt *s, bool *fresh, unsigned *flags)
{
    sc_cached_stmt *entry = cache_find(c, s);
    *fresh = !entry || entry->sql != s->sql || entry->nparams != s->nparams;
    if (!*fresh) {
        *flags = entry->sql_flags;
        return entry->name;
    }
    if (!entry && !cache_reserve(c))
        return NULL;
    char name[24];
    snprintf(name, sizeof name, "sc_%u", c->next_stmt_id++);
    if (!entry)
        entry = cache_insert(c, s, name);
    entry->sql = s->sql;
    entry->nparams = s->nparams;
    entry->sql_flags = *flags = sc_sql_classify(s->sql);
    sc_copy_str(entry->name, sizeof entry->name, name);
    return entry->name;
}

bool sc_exec_statement_vanished(const PGresult *res)
{
    return statement_vanished(res);
}

/* Prepared path: prepare on first use, then execute by name. If the server
 * forgot the statement (DISCARD ALL, DEALLOCATE), the cache is dropped and,
 * outside a transaction, the call is retried once; inside one the error
 * already aborted the transaction. */
static int run_prepared(sc_conn *c, trip *t, const sc_stmt *s, const char *const *values,
                        const int *lengths, const int *formats, int result_format,
                        PGresult **res, sc_error *err)
{
    if (c->pool->replica) {
        /* Refused before its PREPARE; a cached statement is not scanned again. */
        const sc_cached_stmt *known = cache_find(c, s);
        unsigned flags =
            known && known->sql == s->sql ? known->sql_flags : sc_sql_classify(s->sql);
        if (sc_replica_refuses(c, s->name, false, flags, err))
            return SC_MISUSE;
    }
    for (int attempt = 0;; attempt++) {
        sc_cached_stmt *entry = NULL;
        int rc = cached(c, t, s, &entry, err);
        if (rc != SC_OK)
            return rc;
        t->sql_flags = entry->sql_flags;
        if (entry->sql_flags & SC_SQL_SESSION)
            sc_conn_mark_dirty(c);
        t->single_row = c->sink != NULL;
        rc = await_sent(c, t,
                        PQsendQueryPrepared(c->pg, entry->name, s->nparams, values, lengths,
                                            formats, result_format),
                        res, err);
        t->single_row = false;
        if (rc == SC_OK && c->sink && c->sink->rows && statement_vanished(*res))
            return rc; /* rows were delivered: never run it twice */
        if (rc != SC_OK || !statement_vanished(*res))
            return rc;
        sc_conn_cache_reset(c);
        if (!t->autocommit || attempt == 1)
            return SC_OK;
        PQclear(*res);
        *res = NULL;
        t->sent = false;
    }
}

static int run_unprepared(sc_conn *c, trip *t, const sc_stmt *s, const char *const *values,
                          const int *lengths, const int *formats, int result_format,
                          PGresult **res, sc_error *err)
{
    t->sql_flags = sc_sql_classify(s->sql);
    if (c->pool->replica && sc_replica_refuses(c, s->name, false, t->sql_flags, err))
        return SC_MISUSE;
    if ((t->sql_flags & SC_SQL_SESSION) && !t->own_text)
        sc_conn_mark_dirty(c);
    t->single_row = c->sink != NULL;
    return await_sent(c, t,
                      PQsendQueryParams(c->pg, s->sql, s->nparams, s->param_types, values,
                                        lengths, formats, result_format),
                      res, err);
}

/* The secret parameters of a failed statement must not survive in err:
 * a unique violation's detail quotes the key (Key (key_hash)=(...)), and a
 * data error's message can quote the value itself. Only an error this call
 * wrote is touched: a caller's earlier error is theirs. */
static void hide_secrets(const trip *t, const sc_stmt *s, const char *const *values,
                         const int *formats, sc_error *err)
{
    if (t->err_was_empty)
        sc_exec_hide_secrets(s, values, formats, err);
}

void sc_exec_hide_secrets(const sc_stmt *s, const char *const *values, const int *formats,
                          sc_error *err)
{
    if (!err || !s->param_flags || !values)
        return;
    bool any = false;
    for (int i = 0; i < s->nparams; i++) {
        if (!(s->param_flags[i] & SC_PARAM_SECRET))
            continue;
        any = true;
        sc_error_scrub_values(err, 1, &values[i], formats ? &formats[i] : NULL);
    }
    if (any)
        sc_error_hide_values(err);
}

/* What a statement's hook is told about its result, read before the
 * result is handed over or freed. */
typedef struct result_facts {
    int64_t rows;
    char sqlstate[6];
} result_facts;

static result_facts facts_of(const PGresult *res)
{
    result_facts f = {-1, ""};
    if (!res)
        return f;
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK)
        f.rows = PQntuples(res);
    else if (st == PGRES_COMMAND_OK) {
        const char *n = PQcmdTuples((PGresult *)res);
        f.rows = *n ? strtoll(n, NULL, 10) : 0;
    }
    sc_copy_str(f.sqlstate, sizeof f.sqlstate, PQresultErrorField(res, PG_DIAG_SQLSTATE));
    return f;
}

static void report_statement(const sc_conn *c, const char *name, const char *sql, double started,
                             const result_facts *f, int rc, const sc_error *err)
{
    const sc_pool_config *cfg = &c->pool->cfg;
    if (!cfg->on_statement)
        return;
    const char *state = f->sqlstate[0] ? f->sqlstate : err && rc != SC_OK ? err->sqlstate : "";
    sc_statement_event ev = {name, sql, sc_now() - started, rc == SC_OK ? f->rows : -1, rc,
                             state};
    cfg->on_statement(cfg->hook_ctx, &ev);
}

/* The blocking calls wait for their own answer: not while event-loop
 * requests (sc_query_send) are in flight on the connection. */
static int in_flight(const char *what, sc_error *err)
{
    return sc_error_set(err, SC_MISUSE, "%.60s: requests are in flight on this connection "
                        "(sc_conn_process until sc_conn_in_flight is 0)", what ? what : "");
}

static int exec_stmt(sc_conn *c, const sc_stmt *s, const char *const *values,
                     const int *lengths, const int *formats, int result_format, PGresult **out,
                     sc_row_sink *sink, sc_error *err);

int sc_exec(sc_conn *c, const sc_stmt *s, const char *const *values, const int *lengths,
            const int *formats, int result_format, PGresult **out, sc_error *err)
{
    return exec_stmt(c, s, values, lengths, formats, result_format, out, NULL, err);
}

int sc_exec_each(sc_conn *c, const sc_stmt *s, const char *const *values, const int *lengths,
                 const int *formats, sc_row_sink *sink, sc_error *err)
{
    if (!sink || !sink->row)
        return sc_error_set(err, SC_MISUSE, "sc_exec_each: a row callback is needed");
    sink->stopped = SC_OK;
    sink->rows = 0;
    int rc = exec_stmt(c, s, values, lengths, formats, 1, NULL, sink, err);
    return rc == SC_OK ? sink->stopped : rc;
}

static int exec_stmt(sc_conn *c, const sc_stmt *s, const char *const *values,
                     const int *lengths, const int *formats, int result_format, PGresult **out,
                     sc_row_sink *sink, sc_error *err)
{
    if (out)
        *out = NULL;
    if (!c || !s || !s->sql || s->nparams < 0 || (s->nparams > 0 && !values))
        return sc_error_set(err, SC_MISUSE, "sc_exec: connection, statement and values needed");
    if (c->broken)
        return sc_error_set(err, SC_CONNECTION, "connection is broken; release it");
    if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF)
        return in_flight(s->name, err);
    bool echo = c->pool->cfg.echo;
    double started = echo || c->pool->cfg.on_statement ? sc_now() : 0;
    c->last_stmt = s->name;
    trip t = trip_start(c, err);
    PGresult *res = NULL;
    c->sink = sink;
    int rc = c->pool->cfg.pooler == SC_POOLER_TRANSACTION
                 ? run_unprepared(c, &t, s, values, lengths, formats, result_format, &res, err)
                 : run_prepared(c, &t, s, values, lengths, formats, result_format, &res, err);
    c->sink = NULL;
    result_facts f = facts_of(res);
    if (sink && f.rows >= 0)
        f.rows = sink->rows;
    if (rc == SC_OK)
        rc = label_outcome(c, &t, finish(c, res, out, err), err);
    if (rc != SC_OK)
        hide_secrets(&t, s, values, formats, err);
    report_statement(c, s->name, s->sql, started, &f, rc, err);
    if (echo)
        sc_log_statement(c->pool, s->name, s->sql, s->nparams, values, lengths, formats,
                         s->param_flags, sc_now() - started, rc);
    return rc;
}

int sc_exec_generated_text(sc_conn *c, const char *name, const char *sql, int nparams,
                           const char *const *values, const unsigned char *param_flags,
                           PGresult **out, sc_error *err)
{
    if (out)
        *out = NULL;
    if (c->broken)
        return sc_error_set(err, SC_CONNECTION, "connection is broken; release it");
    sc_stmt s = {name, sql, nparams, NULL, param_flags};
    bool echo = c->pool->cfg.echo;
    double started = echo || c->pool->cfg.on_statement ? sc_now() : 0;
    c->last_stmt = name;
    trip t = trip_start(c, err);
    t.own_text = true;
    PGresult *res = NULL;
    int rc = run_unprepared(c, &t, &s, values, NULL, NULL, 0, &res, err);
    result_facts f = facts_of(res);
    if (rc == SC_OK)
        rc = label_outcome(c, &t, finish(c, res, out, err), err);
    if (rc != SC_OK)
        hide_secrets(&t, &s, values, NULL, err);
    report_statement(c, name, sql, started, &f, rc, err);
    if (echo)
        sc_log_statement(c->pool, name, sql, nparams, values, NULL, NULL, param_flags,
                         sc_now() - started, rc);
    return rc;
}

/* sc_exec_params and sc_exec_sql: raw SQL, so the session may have changed. */
static int exec_raw(sc_conn *c, const char *sql, int nparams, const char *const *values,
                    PGresult **out, sc_error *err)
{
    if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF)
        return in_flight(sql, err);
    sc_conn_mark_dirty(c);
    bool echo = c->pool->cfg.echo;
    double started = echo || c->pool->cfg.on_statement ? sc_now() : 0;
    c->last_stmt = NULL;
    trip t = trip_start(c, err);
    t.sql_flags = sc_sql_classify(sql);
    int sent = nparams >= 0 ? PQsendQueryParams(c->pg, sql, nparams, NULL, values, NULL, NULL, 0)
                            : PQsendQuery(c->pg, sql);
    PGresult *res = NULL;
    int rc = await_sent(c, &t, sent, &res, err);
    result_facts f = facts_of(res);
    if (rc == SC_OK)
        rc = label_outcome(c, &t, finish(c, res, out, err), err);
    report_statement(c, NULL, sql, started, &f, rc, err);
    if (echo)
        sc_log_statement(c->pool, NULL, sql, nparams > 0 ? nparams : 0, values, NULL, NULL,
                         NULL, sc_now() - started, rc);
    return rc;
}

int sc_exec_params(sc_conn *c, const char *sql, int nparams, const char *const *values,
                   PGresult **out, sc_error *err)
{
    if (out)
        *out = NULL;
    if (!c || !sql || nparams < 0 || (nparams > 0 && !values))
        return sc_error_set(err, SC_MISUSE, "sc_exec_params: connection, sql and values needed");
    if (c->broken)
        return sc_error_set(err, SC_CONNECTION, "connection is broken; release it");
    return exec_raw(c, sql, nparams, values, out, err);
}

int sc_exec_sql(sc_conn *c, const char *sql, PGresult **out, sc_error *err)
{
    if (out)
        *out = NULL;
    if (!c || !sql)
        return sc_error_set(err, SC_MISUSE, "sc_exec_sql: connection and sql needed");
    if (c->broken)
        return sc_error_set(err, SC_CONNECTION, "connection is broken; release it");
    return exec_raw(c, sql, -1, NULL, out, err);
}

int sc_conn_control(sc_conn *c, const char *sql, sc_error *err)
{
    if (c->broken)
        return sc_error_set(err, SC_CONNECTION, "connection is broken; release it");
    if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF)
        return in_flight(sql, err);
    bool echo = c->pool->cfg.echo;
    double started = echo ? sc_now() : 0;
    PGresult *res = NULL;
    int rc = sc_conn_run(c, sql, &res, err);
    if (rc == SC_OK)
        rc = finish(c, res, NULL, err);
    if (echo)
        sc_log_statement(c->pool, NULL, sql, 0, NULL, NULL, NULL, NULL, sc_now() - started, rc);
    return rc;
}
