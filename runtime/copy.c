/* Bulk loads with COPY FROM STDIN, in batches, one transaction for all.
 * Binary format when every column has a binary form the client can write
 * alone (copy_binary.c); text otherwise: every kind has a text form the
 * server parses (numeric, tsvector and arrays included). The server stays
 * the limit either way (ERRATA: ~47,000 chunk rows/s, the foreign-key checks
 * cost half); binary saves it the parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_hashtext.h"
#include "sc_query.h"
#include "sc_query_internal.h"
#include "internal.h"

enum { DEFAULT_BATCH = 10000, FLUSH_AT = 256 * 1024 };

/* COPY text escapes: backslash, and the delimiter and line characters.
 * strcspn finds the next one a word at a time; most text has none. */
static void put_escaped(sc_textbuf *b, const char *s)
{
    for (;;) {
        size_t run = strcspn(s, "\\\t\n\r");
        sc_textbuf_put(b, s, run);
        s += run;
        if (!*s)
            return;
        const char *esc = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : "\\r";
        sc_textbuf_put(b, esc, 2);
        s++;
    }
}

/* One line of COPY text. The partition key is computed from the source
 * column's text as it is written, so the key column must follow it. */
static int put_row(sc_textbuf *b, const sc_copy *cp, const void *row, sc_error *err)
{
    int32_t key = -1;
    for (size_t i = 0; i < cp->ncolumns; i++) {
        const sc_field *f = &cp->columns[i];
        if (i)
            sc_textbuf_put(b, "\t", 1);
        if (f->flags & SC_F_COMPUTED) {
            char text[16];
            snprintf(text, sizeof text, "%d", key);
            sc_textbuf_put(b, text, strlen(text));
            continue;
        }
        char scratch[SC_FIELD_SCRATCH], *owned = NULL;
        const char *text = NULL;
        int rc = sc_field_text(f, row, scratch, &owned, &text, err);
        if (rc != SC_OK)
            return rc;
        if (!text)
            sc_textbuf_put(b, "\\N", 2);
        else
            put_escaped(b, text);
        if (text && (int)i + 1 == cp->partition.source_param)
            key = sc_partition_key(text, strlen(text), cp->partition.modulus);
        free(owned);
    }
    sc_textbuf_put(b, "\n", 1);
    return b->failed ? sc_error_set(err, SC_NO_MEMORY, "%s: out of memory", cp->name) : SC_OK;
}

/* A failed COPY's detail quotes the offending row ("Key (k)=(...)"): with a
 * secret column in it, no row value is kept. */
static void hide_secret_columns(const sc_copy *cp, sc_error *err)
{
    for (size_t i = 0; i < cp->ncolumns; i++)
        if (cp->columns[i].flags & SC_F_SECRET) {
            sc_error_hide_values(err);
            return;
        }
}

static int copy_failed(sc_conn *c, const sc_copy *cp, PGresult *res, sc_error *err)
{
    PGconn *pg = c->pg;
    int rc = res ? sc_error_from_result(err, res, pg)
                 : sc_error_set(err, SC_CONNECTION, "%s: %s", cp->name, PQerrorMessage(pg));
    if (PQstatus(pg) != CONNECTION_OK)
        sc_conn_invalidate(c);
    PQclear(res);
    hide_secret_columns(cp, err);
    return rc ? rc : SC_DATABASE;
}

/* A COPY outside a transaction commits on its own when it ends: lost on
 * the way, it may have committed. */
static int copy_outcome_unknown(const sc_copy *cp, sc_error *err)
{
    if (err && err->category == SC_CONNECTION) {
        err->category = SC_COMMIT_UNKNOWN;
        snprintf(err->message, sizeof err->message,
                 "%s: connection lost during a COPY outside a transaction: it may have "
                 "committed",
                 cp->name);
    }
    return SC_COMMIT_UNKNOWN;
}

/* Starts COPY FROM STDIN: SC_OK once the server is in COPY_IN. */
static int copy_start(sc_conn *c, const sc_copy *cp, const char *sql, double deadline,
                      sc_error *err)
{
    sc_conn_nonblocking(c);
    if (!PQsendQuery(c->pg, sql))
        return copy_failed(c, cp, NULL, err);
    PGresult *res = NULL;
    int rc = sc_conn_await(c, deadline, &res, err);
    if (rc != SC_OK)
        return rc;
    if (!res || PQresultStatus(res) != PGRES_COPY_IN)
        return copy_failed(c, cp, res, err);
    PQclear(res);
    return SC_OK;
}

/* Ends the COPY (aborting it when input_rc says a row was refused) and
 * adds the server's row count. */
static int copy_finish(sc_conn *c, const sc_copy *cp, int input_rc, double deadline,
                       int64_t *inserted, sc_error *err)
{
    PGresult *res = NULL;
    int rc = sc_conn_copy_end(c, input_rc == SC_OK ? NULL : "schemac: input refused", deadline,
                              &res, err);
    if (rc == SC_CONNECTION)
        return copy_failed(c, cp, NULL, err);
    if (rc != SC_OK)
        return rc;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        if (input_rc != SC_OK) { /* the input error is the one to report */
            PQclear(res);
            return input_rc;
        }
        return copy_failed(c, cp, res, err);
    }
    *inserted += strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return input_rc;
}

/* One COPY of rows [from, to); sql says which format (binary or not). The
 * whole batch shares one deadline per round of waiting. */
static int copy_batch(sc_conn *c, const sc_copy *cp, const char *sql, bool binary,
                      const char *rows, size_t from, size_t to, int64_t *inserted, sc_error *err)
{
    int rc = copy_start(c, cp, sql, sc_conn_deadline(c), err);
    if (rc != SC_OK)
        return rc;
    sc_textbuf b = {0};
    if (binary)
        sc_copy_binary_header(&b);
    for (size_t i = from; i < to && rc == SC_OK; i++) {
        const void *row = rows + i * cp->row_size;
        rc = binary ? sc_copy_binary_row(&b, cp, row, err) : put_row(&b, cp, row, err);
        if (rc == SC_OK && binary && i + 1 == to)
            sc_copy_binary_trailer(&b);
        if (rc == SC_OK && (b.len >= FLUSH_AT || i + 1 == to)) {
            rc = sc_conn_copy_put(c, b.data, (int)b.len, sc_conn_deadline(c), err);
            if (rc == SC_CONNECTION) {
                free(b.data);
                return copy_failed(c, cp, NULL, err);
            }
            b.len = 0;
        }
    }
    free(b.data);
    if (rc == SC_TIMEOUT)
        return rc;
    /* A refused row aborts the COPY, which rolls back the whole batch. */
    return copy_finish(c, cp, rc, sc_conn_deadline(c), inserted, err);
}

int sc_copy_rows(sc_conn *c, const sc_copy *cp, const void *rows, size_t n, int64_t *inserted,
                 sc_error *err)
{
    if (inserted)
        *inserted = 0;
    /* Checked before anything touches the connection or the rows. */
    if (!c || !cp || !cp->sql || (!rows && n > 0))
        return sc_error_set(err, SC_MISUSE, "sc_copy_rows: %s: NULL %s",
                            cp && cp->name ? cp->name : "(unnamed copy)",
                            !c ? "connection" : !cp || !cp->sql ? "descriptor" : "rows");
    int64_t count = 0;
    size_t batch = cp->batch ? cp->batch : DEFAULT_BATCH;
    bool binary = sc_copy_binary_ok(cp);
    sc_textbuf sql = {0};
    sc_textbuf_put(&sql, cp->sql, strlen(cp->sql));
    if (binary)
        sc_textbuf_put(&sql, " (FORMAT binary)", 16);
    if (sql.failed) {
        free(sql.data);
        return sc_error_set(err, SC_NO_MEMORY, "%s: out of memory", cp->name);
    }
    bool own_tx = sc_tx_depth(c) == 0 && n > batch;
    bool autocommit = !own_tx && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    int rc = own_tx ? sc_tx_begin(c, NULL, err) : SC_OK;
    for (size_t from = 0; rc == SC_OK && from < n; from += batch)
        rc = copy_batch(c, cp, sql.data, binary, rows, from, from + batch < n ? from + batch : n,
                        &count, err);
    free(sql.data);
    if (own_tx)
        rc = rc == SC_OK ? sc_tx_commit(c, err) : (sc_tx_rollback(c, NULL), rc);
    else if (rc == SC_CONNECTION && autocommit)
        rc = copy_outcome_unknown(cp, err);
    if (inserted)
        *inserted = rc == SC_OK ? count : 0;
    return rc;
}
