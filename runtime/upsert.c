/* Bulk upsert: a multi-row INSERT ... ON CONFLICT, which COPY cannot do.
 * PostgreSQL takes at most 65,535 bind parameters per statement, so the
 * rows go out in statements of at most 65,535 / ncolumns rows (or the
 * descriptor's smaller batch); outside a transaction every statement runs
 * in one, so a failure anywhere leaves no row written. A column flagged
 * SC_F_DEFAULT that a row leaves unset is written as DEFAULT in that row's
 * VALUES, as create does, so the statement text depends on the rows and is
 * not prepared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sc_query.h"
#include "sc_query_internal.h"

enum { MAX_PARAMS = 65535 };

typedef struct batch_sql {
    sc_textbuf sql;
    const char **values;
    unsigned char *flags;      /* SC_PARAM_SECRET per parameter: never logged */
    char (*scratch)[SC_FIELD_SCRATCH];
    char **owned;
    int nparams, nowned;
} batch_sql;

static void batch_free(batch_sql *b)
{
    for (int i = 0; i < b->nowned; i++)
        free(b->owned[i]);
    free(b->values);
    free(b->flags);
    free(b->scratch);
    free(b->owned);
    free(b->sql.data);
}

static void puts_sql(batch_sql *b, const char *s)
{
    sc_textbuf_put(&b->sql, s, strlen(s));
}

static bool unset_default(const sc_field *f, const void *row)
{
    return (f->flags & SC_F_DEFAULT) && !sc_field_present(row, f);
}

/* One row's "($1, DEFAULT, $2)" and its parameter texts. */
static int add_row(batch_sql *b, const sc_upsert *u, const char *row, bool first, sc_error *err)
{
    puts_sql(b, first ? "(" : ",\n(");
    for (size_t k = 0; k < u->ncolumns; k++) {
        const sc_field *f = &u->columns[k];
        if (k)
            puts_sql(b, ", ");
        if (unset_default(f, row)) {
            puts_sql(b, "DEFAULT");
            continue;
        }
        int i = b->nparams++;
        b->flags[i] = f->flags & SC_F_SECRET ? SC_PARAM_SECRET : 0;
        char *owned = NULL;
        int rc = sc_field_text(f, row, b->scratch[i], &owned, &b->values[i], err);
        if (owned)
            b->owned[b->nowned++] = owned;
        if (rc != SC_OK)
            return rc;
        char ref[16];
        snprintf(ref, sizeof ref, "$%d", i + 1);
        puts_sql(b, ref);
    }
    puts_sql(b, ")");
    return SC_OK;
}

static int run_batch(sc_conn *c, const sc_upsert *u, const char *rows, size_t from, size_t to,
                     int64_t *affected, sc_error *err)
{
    size_t cap = (to - from) * u->ncolumns;
    batch_sql b = {{0}, calloc(cap ? cap : 1, sizeof *b.values),
                   calloc(cap ? cap : 1, sizeof *b.flags), calloc(cap ? cap : 1, sizeof *b.scratch),
                   calloc(cap ? cap : 1, sizeof *b.owned), 0, 0};
    if (!b.values || !b.flags || !b.scratch || !b.owned) {
        batch_free(&b);
        return sc_error_set(err, SC_NO_MEMORY, "%s: no memory for %zu rows", u->name, to - from);
    }
    puts_sql(&b, u->head);
    puts_sql(&b, "\n");
    int rc = SC_OK;
    for (size_t i = from; rc == SC_OK && i < to; i++)
        rc = add_row(&b, u, rows + i * u->row_size, i == from, err);
    if (rc == SC_OK) {
        puts_sql(&b, "\n");
        puts_sql(&b, u->tail);
    }
    if (rc == SC_OK && b.sql.failed)
        rc = sc_error_set(err, SC_NO_MEMORY, "%s: statement too large", u->name);
    PGresult *res = NULL;
    if (rc == SC_OK)
        rc = sc_exec_generated_text(c, u->name, b.sql.data, b.nparams, b.values, b.flags, &res,
                                    err);
    if (rc == SC_OK) {
        const char *n = PQcmdTuples(res);
        *affected += *n ? strtoll(n, NULL, 10) : 0;
    }
    PQclear(res);
    batch_free(&b);
    return rc;
}

size_t sc_upsert_batch_rows(const sc_upsert *u)
{
    size_t most = u->ncolumns ? MAX_PARAMS / u->ncolumns : 1;
    return u->batch && u->batch < most ? u->batch : most;
}

int sc_upsert_rows(sc_conn *c, const sc_upsert *u, const void *rows, size_t n,
                   int64_t *affected, sc_error *err)
{
    if (affected)
        *affected = 0;
    if (!c || !u || !u->head || !u->tail || !u->ncolumns || (!rows && n > 0))
        return sc_error_set(err, SC_MISUSE, "sc_upsert_rows: %s: NULL %s",
                            u && u->name ? u->name : "(unnamed upsert)",
                            !c ? "connection" : !u || !u->head ? "descriptor" : "rows");
    if (n == 0)
        return SC_OK;
    size_t per = sc_upsert_batch_rows(u);
    bool own_tx = sc_tx_depth(c) == 0 && n > per;
    int64_t count = 0;
    int rc = own_tx ? sc_tx_begin(c, NULL, err) : SC_OK;
    for (size_t from = 0; rc == SC_OK && from < n; from += per)
        rc = run_batch(c, u, rows, from, n - from > per ? from + per : n, &count, err);
    if (own_tx)
        rc = rc == SC_OK ? sc_tx_commit(c, err) : (sc_tx_rollback(c, NULL), rc);
    if (affected)
        *affected = rc == SC_OK ? count : 0;
    return rc;
}

int sc_refresh_view(sc_conn *c, const char *view, bool concurrently, sc_error *err)
{
    if (!c || !view || !*view)
        return sc_error_set(err, SC_MISUSE, "sc_refresh_view: connection and view needed");
    char sql[300];
    int n = snprintf(sql, sizeof sql, "REFRESH MATERIALIZED VIEW %s%s",
                     concurrently ? "CONCURRENTLY " : "", view);
    if (n < 0 || (size_t)n >= sizeof sql)
        return sc_error_set(err, SC_MISUSE, "sc_refresh_view: view name too long");
    PGresult *res = NULL;
    int rc = sc_exec_generated_text(c, "sc_refresh_view", sql, 0, NULL, NULL, &res, err);
    PQclear(res);
    return rc;
}
