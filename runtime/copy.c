/* Bulk loads with COPY FROM STDIN, in batches, one transaction for all.
 * Binary format when every column has a binary form the client can write
 * alone (copy_binary.c); text otherwise: every kind has a text form the
 * server parses (numeric, tsvector and arrays included). The server stays
 * the limit either way (ERRATA: ~47,000 chunk rows/s, the foreign-key checks
 * cost half); binary saves it the parsing. */
#include <stdint.h>
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

/* ---- columns with a DEFAULT -------------------------------------------- */

/* Bit i: column i has SC_F_DEFAULT and this row leaves it unset. */
static uint64_t unset_defaults(const sc_copy *cp, const void *row)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < cp->ncolumns && i < 64; i++)
        if ((cp->columns[i].flags & SC_F_DEFAULT) && !sc_field_present(row, &cp->columns[i]))
            mask |= UINT64_C(1) << i;
    return mask;
}

static bool has_default_columns(const sc_copy *cp)
{
    for (size_t i = 0; i < cp->ncolumns && i < 64; i++)
        if (cp->columns[i].flags & SC_F_DEFAULT)
            return true;
    return false;
}

/* Where rows [from, n) stop sharing row from's unset defaults (or the batch
 * ends). */
static size_t run_end(const sc_copy *cp, const char *rows, size_t from, size_t n, size_t batch)
{
    uint64_t mask = unset_defaults(cp, rows + from * cp->row_size);
    size_t to = from + 1;
    while (to < n && to - from < batch && unset_defaults(cp, rows + to * cp->row_size) == mask)
        to++;
    return to;
}

/* One COPY's descriptor and SQL: cp without the columns in mask. */
typedef struct copy_plan {
    sc_copy cp;
    sc_field *columns;
    bool binary;
    sc_textbuf sql;
} copy_plan;

static int plan_copy(const sc_copy *cp, uint64_t mask, copy_plan *pl, sc_error *err)
{
    memset(pl, 0, sizeof *pl);
    pl->cp = *cp;
    if (mask) {
        pl->columns = malloc(cp->ncolumns * sizeof *pl->columns);
        if (!pl->columns)
            return sc_error_set(err, SC_NO_MEMORY, "%s: out of memory", cp->name);
        size_t k = 0;
        for (size_t i = 0; i < cp->ncolumns; i++) {
            if (i < 64 && (mask & (UINT64_C(1) << i)))
                continue;
            /* The partition indexes are 1-based column positions: renumber. */
            if ((int)i + 1 == cp->partition.key_param)
                pl->cp.partition.key_param = (int)k + 1;
            if ((int)i + 1 == cp->partition.source_param)
                pl->cp.partition.source_param = (int)k + 1;
            pl->columns[k++] = cp->columns[i];
        }
        pl->cp.columns = pl->columns;
        pl->cp.ncolumns = k;
        sc_textbuf_put(&pl->sql, "COPY ", 5);
        sc_textbuf_put(&pl->sql, cp->table, strlen(cp->table));
        for (size_t i = 0; i < k; i++) {
            sc_textbuf_put(&pl->sql, i ? ", \"" : " (\"", i ? 3 : 3);
            sc_textbuf_put(&pl->sql, pl->columns[i].name, strlen(pl->columns[i].name));
            sc_textbuf_put(&pl->sql, "\"", 1);
        }
        sc_textbuf_put(&pl->sql, ") FROM STDIN", 12);
    } else {
        sc_textbuf_put(&pl->sql, cp->sql, strlen(cp->sql));
    }
    pl->binary = sc_copy_binary_ok(&pl->cp);
    if (pl->binary)
        sc_textbuf_put(&pl->sql, " (FORMAT binary)", 16);
    sc_textbuf_put(&pl->sql, "", 1); /* the terminating NUL */
    if (pl->sql.failed)
        return sc_error_set(err, SC_NO_MEMORY, "%s: out of memory", cp->name);
    return SC_OK;
}

static void plan_free(copy_plan *pl)
{
    free(pl->columns);
    free(pl->sql.data);
}

/* Rows [from, to): one COPY. */
static int copy_run(sc_conn *c, const sc_copy *cp, uint64_t mask, const char *rows, size_t from,
                    size_t to, int64_t *count, sc_error *err)
{
    copy_plan pl;
    int rc = plan_copy(cp, mask, &pl, err);
    if (rc == SC_OK)
        rc = copy_batch(c, &pl.cp, pl.sql.data, pl.binary, rows, from, to, count, err);
    plan_free(&pl);
    return rc;
}

/* How many COPYs rows[0..n) take. */
static size_t count_runs(const sc_copy *cp, const char *rows, size_t n, size_t batch,
                         bool defaults)
{
    if (!defaults)
        return (n + batch - 1) / batch;
    size_t runs = 0;
    for (size_t from = 0; from < n; from = run_end(cp, rows, from, n, batch))
        runs++;
    return runs;
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
    bool defaults = has_default_columns(cp);
    if (defaults && !cp->table)
        return sc_error_set(err, SC_MISUSE, "%s: SC_F_DEFAULT columns need the table name",
                            cp->name);
    const char *base = rows;
    int64_t count = 0;
    size_t batch = cp->batch ? cp->batch : DEFAULT_BATCH;
    bool own_tx = sc_tx_depth(c) == 0 && count_runs(cp, base, n, batch, defaults) > 1;
    bool autocommit = !own_tx && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    int rc = own_tx ? sc_tx_begin(c, NULL, err) : SC_OK;
    for (size_t from = 0, to; rc == SC_OK && from < n; from = to) {
        to = defaults ? run_end(cp, base, from, n, batch) : (n - from > batch ? from + batch : n);
        uint64_t mask = defaults ? unset_defaults(cp, base + from * cp->row_size) : 0;
        rc = copy_run(c, cp, mask, base, from, to, &count, err);
    }
    if (own_tx)
        rc = rc == SC_OK ? sc_tx_commit(c, err) : (sc_tx_rollback(c, NULL), rc);
    else if (rc == SC_CONNECTION && autocommit)
        rc = copy_outcome_unknown(cp, err);
    if (inserted)
        *inserted = rc == SC_OK ? count : 0;
    return rc;
}
