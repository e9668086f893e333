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
    return c->cache_used;
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

static int prepare(sc_conn *c, const sc_stmt *s, sc_cached_stmt **entry, sc_error *err)
{
    if (!cache_reserve(c))
        return sc_error_set(err, SC_NO_MEMORY, "out of memory caching statement %s",
                            s->name ? s->name : "");
    char name[24];
    snprintf(name, sizeof name, "sc_%u", c->next_stmt_id++);
    PGresult *res = PQprepare(c->pg, name, s->sql, s->nparams, s->param_types);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        int rc = sc_conn_fail(c, res, err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    *entry = cache_insert(c, s, name);
    return SC_OK;
}

/* Re-prepares into an existing cache entry; false (rc and err set) on
 * failure, leaving the entry pointing at nothing usable removed. */
static bool prepare_named(sc_conn *c, const sc_stmt *s, sc_cached_stmt *entry, int *rc,
                          sc_error *err)
{
    char name[24];
    snprintf(name, sizeof name, "sc_%u", c->next_stmt_id++);
    PGresult *res = PQprepare(c->pg, name, s->sql, s->nparams, s->param_types);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        *rc = sc_conn_fail(c, res, err);
        PQclear(res);
        sc_conn_cache_reset(c); /* simplest correct state: forget everything */
        return false;
    }
    PQclear(res);
    entry->sql = s->sql;
    entry->nparams = s->nparams;
    sc_copy_str(entry->name, sizeof entry->name, name);
    return true;
}

static bool statement_vanished(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return state && strcmp(state, "26000") == 0;
}

/* Prepared path: prepare on first use, then execute by name. If the server
 * forgot the statement (DISCARD ALL, DEALLOCATE), the cache is dropped and,
 * outside a transaction, the call is retried once; inside one the error
 * already aborted the transaction. */
static PGresult *run_prepared(sc_conn *c, const sc_stmt *s, const char *const *values,
                              const int *lengths, const int *formats, int result_format,
                              int *rc, sc_error *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        sc_cached_stmt *entry = cache_find(c, s);
        if (entry && (entry->sql != s->sql || entry->nparams != s->nparams)) {
            /* Same address, other statement: a descriptor that did not live
             * as long as the pool. Prepare the new one under a new name. */
            sc_log(c->pool, SC_LOG_WARN, "statement %s: descriptor address reused",
                   s->name ? s->name : "");
            if (!prepare_named(c, s, entry, rc, err))
                return NULL;
        }
        if (!entry && (*rc = prepare(c, s, &entry, err)) != SC_OK)
            return NULL;
        bool was_idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
        PGresult *res = PQexecPrepared(c->pg, entry->name, s->nparams, values, lengths, formats,
                                       result_format);
        if (!statement_vanished(res))
            return res;
        sc_conn_cache_reset(c);
        if (!was_idle || attempt == 1)
            return res;
        PQclear(res);
    }
    return NULL; /* not reached */
}

int sc_exec(sc_conn *c, const sc_stmt *s, const char *const *values, const int *lengths,
            const int *formats, int result_format, PGresult **out, sc_error *err)
{
    if (out)
        *out = NULL;
    if (!c || !s || !s->sql || s->nparams < 0 || (s->nparams > 0 && !values))
        return sc_error_set(err, SC_MISUSE, "sc_exec: connection, statement and values needed");
    if (c->broken)
        return sc_error_set(err, SC_CONNECTION, "connection is broken; release it");
    bool echo = c->pool->cfg.echo;
    double started = echo ? sc_now() : 0;
    int rc = SC_OK;
    PGresult *res;
    if (c->pool->cfg.pooler == SC_POOLER_TRANSACTION)
        res = PQexecParams(c->pg, s->sql, s->nparams, s->param_types, values, lengths, formats,
                           result_format);
    else
        res = run_prepared(c, s, values, lengths, formats, result_format, &rc, err);
    if (rc == SC_OK)
        rc = finish(c, res, out, err);
    if (echo)
        sc_log_statement(c->pool, s->name, s->sql, s->nparams, values, lengths, formats,
                         s->param_flags, sc_now() - started, rc);
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
    bool echo = c->pool->cfg.echo;
    double started = echo ? sc_now() : 0;
    PGresult *res = PQexecParams(c->pg, sql, nparams, NULL, values, NULL, NULL, 0);
    int rc = finish(c, res, out, err);
    if (echo)
        sc_log_statement(c->pool, NULL, sql, nparams, values, NULL, NULL, NULL,
                         sc_now() - started, rc);
    return rc;
}

int sc_exec_sql(sc_conn *c, const char *sql, PGresult **out, sc_error *err)
{
    if (out)
        *out = NULL;
    if (!c || !sql)
        return sc_error_set(err, SC_MISUSE, "sc_exec_sql: connection and sql needed");
    if (c->broken)
        return sc_error_set(err, SC_CONNECTION, "connection is broken; release it");
    bool echo = c->pool->cfg.echo;
    double started = echo ? sc_now() : 0;
    PGresult *res = PQexec(c->pg, sql);
    int rc = finish(c, res, out, err);
    if (echo)
        sc_log_statement(c->pool, NULL, sql, 0, NULL, NULL, NULL, NULL, sc_now() - started, rc);
    return rc;
}
