/* A query's settings (sc_query.settings: ivfflat.probes, hnsw.ef_search):
 * SET LOCAL lasts only inside a transaction, so the statement runs in one.
 * Outside a transaction that is a short one of its own (BEGIN, SET LOCAL,
 * the statement, COMMIT): one server connection even behind PgBouncer in
 * transaction mode, and nothing outlives the COMMIT. Inside the caller's
 * transaction the values are set around the statement and the previous
 * ones put back after it, so the caller's later statements see what they
 * saw before. Nothing here changes the session: the connection goes back
 * to the pool clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sc_query.h"
#include "sc_query_internal.h"

enum { MAX_SETTINGS = 8 };

static size_t count_settings(const char *const *s)
{
    size_t n = 0;
    while (s[2 * n])
        n++;
    return n;
}

/* "SET LOCAL a = 'x'; SET LOCAL b = 'y'" (values from the descriptor, or
 * the caller's own previous ones, quoted). NULL value: back to the default. */
static int set_local(sc_conn *c, size_t n, const char *const *names, const char *const *values,
                     sc_error *err)
{
    sc_textbuf b = {0};
    for (size_t i = 0; i < n; i++) {
        char *lit = values[i] ? PQescapeLiteral(c->pg, values[i], strlen(values[i])) : NULL;
        char stmt[160];
        int len = lit ? snprintf(stmt, sizeof stmt, "SET LOCAL %s = %s;", names[i], lit)
                      : snprintf(stmt, sizeof stmt, "SET LOCAL %s TO DEFAULT;", names[i]);
        PQfreemem(lit);
        if (len < 0 || (size_t)len >= sizeof stmt) {
            free(b.data);
            return sc_error_set(err, SC_MISUSE, "setting '%s': name or value too long", names[i]);
        }
        sc_textbuf_put(&b, stmt, (size_t)len);
    }
    if (b.failed || !b.data) {
        free(b.data);
        return sc_error_set(err, SC_NO_MEMORY, "settings: out of memory");
    }
    int rc = sc_conn_control(c, b.data, err);
    free(b.data);
    return rc;
}

/* The values the caller's transaction has now, into the arena-less
 * PGresult *held (values point into it). */
static int current_values(sc_conn *c, size_t n, const char *const *names, PGresult **held,
                          const char **values, sc_error *err)
{
    sc_textbuf b = {0};
    sc_textbuf_put(&b, "SELECT ", 7);
    for (size_t i = 0; i < n; i++) {
        char part[128];
        int len = snprintf(part, sizeof part, "%scurrent_setting('%s', true)", i ? ", " : "",
                           names[i]);
        sc_textbuf_put(&b, part, (size_t)len);
    }
    if (b.failed) {
        free(b.data);
        return sc_error_set(err, SC_NO_MEMORY, "settings: out of memory");
    }
    int rc = sc_conn_run(c, b.data, held, err);
    free(b.data);
    if (rc != SC_OK)
        return rc;
    if (!*held || PQresultStatus(*held) != PGRES_TUPLES_OK || PQntuples(*held) != 1)
        return sc_error_set(err, *held ? SC_DATABASE : SC_CONNECTION, "reading settings: %s",
                            *held ? PQresultErrorMessage(*held) : PQerrorMessage(c->pg));
    for (size_t i = 0; i < n; i++)
        values[i] = PQgetisnull(*held, 0, (int)i) ? NULL : PQgetvalue(*held, 0, (int)i);
    return SC_OK;
}

int sc_run_with_settings(sc_conn *c, const sc_query *q, sc_settings_body body, void *ctx,
                         sc_error *err)
{
    size_t n = count_settings(q->settings);
    if (n > MAX_SETTINGS)
        return sc_error_set(err, SC_MISUSE, "%s: more than %d settings", q->stmt.name,
                            MAX_SETTINGS);
    const char *names[MAX_SETTINGS], *values[MAX_SETTINGS], *before[MAX_SETTINGS];
    for (size_t i = 0; i < n; i++) {
        names[i] = q->settings[2 * i];
        values[i] = q->settings[2 * i + 1];
    }
    bool own = c->tx_depth == 0 && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    PGresult *held = NULL;
    int rc = own ? sc_tx_begin(c, NULL, err) : current_values(c, n, names, &held, before, err);
    if (rc == SC_OK)
        rc = set_local(c, n, names, values, err);
    if (rc == SC_OK)
        rc = body(ctx, err);
    if (own && c->tx_depth > 0) {
        if (rc == SC_OK)
            rc = sc_tx_commit(c, err);
        else if (!c->broken) {
            sc_error ignored = {0};
            sc_tx_rollback(c, &ignored);
        } else {
            c->tx_depth = 0;
        }
    } else if (!own && rc == SC_OK) {
        rc = set_local(c, n, names, before, err); /* the caller's values again */
    }
    PQclear(held);
    return rc;
}
