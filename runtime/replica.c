/* Read replicas: a primary pool and a replica pool behind one handle, and
 * read-your-writes through a WAL position the caller carries from a commit
 * to a later read (see "Read replicas" in schemac.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct sc_cluster {
    sc_pool *primary;
    sc_pool *replica;       /* NULL: every read goes to the primary */
    double read_wait_s;
    pthread_mutex_t mu;
    sc_cluster_stats stats;
};

/* ---- tokens ------------------------------------------------------------ */

static bool parse_lsn(const char *text, uint64_t *out)
{
    unsigned hi, lo;
    char tail;
    if (!text || sscanf(text, "%X/%X%c", &hi, &lo, &tail) != 2)
        return false;
    *out = ((uint64_t)hi << 32) | lo;
    return true;
}

static void format_lsn(uint64_t lsn, char buf[24])
{
    snprintf(buf, 24, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
}

/* The insert position, not pg_current_wal_lsn() (the write position): with
 * synchronous_commit = off a commit returns before its record is written,
 * and only the insert position is sure to be at or past it. Read after the
 * COMMIT: a position read inside the transaction is before its record. */
static const sc_stmt wal_position = {
    .name = "sc_wal_position",
    .sql = "SELECT pg_current_wal_insert_lsn()",
};

int sc_conn_wal_token(sc_conn *c, sc_wal_token *out, sc_error *err)
{
    if (!c || !out)
        return sc_error_set(err, SC_MISUSE, "sc_conn_wal_token: connection and token needed");
    out->lsn = SC_WAL_TOKEN_PRIMARY;
    if (c->pool->replica)
        return sc_error_set(err, SC_MISUSE, "sc_conn_wal_token: a replica connection has "
                            "no writes to wait for");
    if (c->tx_depth > 0)
        return sc_error_set(err, SC_MISUSE, "sc_conn_wal_token inside a transaction: take "
                            "it after the commit (sc_tx_commit_token)");
    PGresult *res = NULL;
    int rc = sc_exec(c, &wal_position, NULL, NULL, NULL, 0, &res, err);
    if (rc != SC_OK)
        return rc;
    uint64_t lsn = 0;
    bool ok = PQntuples(res) == 1 && parse_lsn(PQgetvalue(res, 0, 0), &lsn);
    PQclear(res);
    if (!ok)
        return sc_error_set(err, SC_DATABASE, "the server answered no WAL position");
    out->lsn = lsn;
    return SC_OK;
}

int sc_tx_commit_token(sc_conn *c, sc_wal_token *out, sc_error *err)
{
    if (out)
        out->lsn = SC_WAL_TOKEN_PRIMARY;
    if (!out)
        return sc_error_set(err, SC_MISUSE, "sc_tx_commit_token: a token is needed");
    if (c && c->tx_depth > 1)
        return sc_error_set(err, SC_MISUSE, "sc_tx_commit_token inside a savepoint: the "
                            "outer transaction has not committed");
    int rc = sc_tx_commit(c, err);
    if (rc != SC_OK)
        return rc;
    /* Committed: a failure from here on only loses the position, and the
     * token then sends the next read to the primary. */
    sc_error ignored = {0};
    sc_conn_wal_token(c, out, &ignored);
    return SC_OK;
}

/* ---- the cluster ------------------------------------------------------- */

int sc_cluster_open(const sc_pool_config *primary, const sc_pool_config *replica,
                    double read_wait_s, sc_cluster **out, sc_error *err)
{
    if (!primary || !out)
        return sc_error_set(err, SC_MISUSE, "sc_cluster_open: primary config and out needed");
    *out = NULL;
    if (!(read_wait_s >= 0 && read_wait_s <= 3600))
        return sc_error_set(err, SC_INVALID_INPUT, "sc_cluster_open: read_wait_s must be "
                            "between 0 and 3600 seconds");
    sc_cluster *cl = sc_calloc(1, sizeof *cl);
    if (!cl)
        return sc_error_set(err, SC_NO_MEMORY, "out of memory opening the cluster");
    cl->read_wait_s = read_wait_s;
    pthread_mutex_init(&cl->mu, NULL);
    int rc = sc_pool_open(primary, &cl->primary, err);
    if (rc == SC_OK && replica) {
        rc = sc_pool_open(replica, &cl->replica, err);
        if (rc == SC_OK)
            cl->replica->replica = true;
    }
    if (rc != SC_OK) {
        sc_cluster_close(cl);
        return rc;
    }
    *out = cl;
    return SC_OK;
}

int sc_cluster_close(sc_cluster *cl)
{
    if (!cl)
        return 0;
    int leaks = sc_pool_close(cl->primary) + sc_pool_close(cl->replica);
    pthread_mutex_destroy(&cl->mu);
    free(cl);
    return leaks;
}

sc_pool *sc_cluster_primary(sc_cluster *cl) { return cl ? cl->primary : NULL; }
sc_pool *sc_cluster_replica(sc_cluster *cl) { return cl ? cl->replica : NULL; }

void sc_cluster_get_stats(sc_cluster *cl, sc_cluster_stats *out)
{
    pthread_mutex_lock(&cl->mu);
    *out = cl->stats;
    pthread_mutex_unlock(&cl->mu);
}

static void count(sc_cluster *cl, uint64_t *field)
{
    pthread_mutex_lock(&cl->mu);
    (*field)++;
    pthread_mutex_unlock(&cl->mu);
}

int sc_cluster_acquire_write(sc_cluster *cl, sc_conn **out, sc_error *err)
{
    if (!cl)
        return sc_error_set(err, SC_MISUSE, "sc_cluster_acquire_write: no cluster");
    return sc_pool_acquire(cl->primary, out, err);
}

/* A standby answers whether its replay reached the token; a server out of
 * recovery (the replica pool's prefer-standby fell back to the primary, or
 * the standby was promoted) whether its own WAL did. */
static const sc_stmt caught_up = {
    .name = "sc_replica_caught_up",
    .sql = "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
           "ELSE pg_current_wal_lsn() END >= $1::pg_lsn",
    .nparams = 1,
};

static int has_caught_up(sc_conn *c, const char *lsn, bool *yes, sc_error *err)
{
    PGresult *res = NULL;
    const char *values[] = {lsn};
    int rc = sc_exec(c, &caught_up, values, NULL, NULL, 0, &res, err);
    if (rc != SC_OK)
        return rc;
    *yes = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return SC_OK;
}

static void pause_for(double seconds)
{
    struct timespec ts = {.tv_sec = (time_t)seconds,
                          .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Polls the standby until its replay reaches the token or the deadline
 * passes. The pause starts at 50 us and doubles to 2 ms: a caught-up standby
 * is usually a fraction of a millisecond behind (ERRATA), a paused one never
 * catches up and must not cost more than the deadline. */
static int wait_for_replay(sc_cluster *cl, sc_conn *c, uint64_t lsn, bool *reached,
                           sc_error *err)
{
    char text[24];
    format_lsn(lsn, text);
    double deadline = sc_now() + cl->read_wait_s, pause = 50e-6;
    for (bool waited = false;; waited = true) {
        int rc = has_caught_up(c, text, reached, err);
        if (rc != SC_OK || *reached) {
            if (waited && *reached)
                count(cl, &cl->stats.waited);
            return rc;
        }
        double left = deadline - sc_now();
        if (left <= 0)
            return SC_OK;
        pause_for(pause < left ? pause : left);
        pause = pause * 2 < 2e-3 ? pause * 2 : 2e-3;
    }
}

int sc_cluster_acquire_read(sc_cluster *cl, const sc_wal_token *after, sc_conn **out,
                            sc_error *err)
{
    if (!cl || !out)
        return sc_error_set(err, SC_MISUSE, "sc_cluster_acquire_read: cluster and out needed");
    *out = NULL;
    uint64_t lsn = after ? after->lsn : 0;
    if (!cl->replica || lsn == SC_WAL_TOKEN_PRIMARY) {
        count(cl, &cl->stats.primary_reads);
        return sc_pool_acquire(cl->primary, out, err);
    }
    sc_conn *c = NULL;
    sc_error why = {0};
    int rc = sc_pool_acquire(cl->replica, &c, &why);
    bool reached = rc == SC_OK && lsn == 0;
    if (rc == SC_OK && lsn != 0)
        rc = wait_for_replay(cl, c, lsn, &reached, &why);
    if (rc == SC_OK && reached) {
        count(cl, &cl->stats.replica_reads);
        *out = c;
        return SC_OK;
    }
    /* Behind past the deadline, or unreachable: the primary has the row. */
    if (c)
        sc_pool_release(cl->replica, c);
    count(cl, rc == SC_OK ? &cl->stats.fallbacks_lag : &cl->stats.fallbacks_down);
    if (rc != SC_OK)
        sc_log(cl->primary, SC_LOG_WARN, "replica unavailable, reading from the primary: %s",
               why.message);
    count(cl, &cl->stats.primary_reads);
    return sc_pool_acquire(cl->primary, out, err);
}

void sc_cluster_release(sc_cluster *cl, sc_conn *c)
{
    (void)cl;
    if (c)
        sc_pool_release(c->pool, c);
}

bool sc_conn_is_replica(const sc_conn *c)
{
    return c && c->pool->replica;
}

/* What may run on a replica connection: statements whose text cannot write,
 * unless the query said `replica: never` (SC_QUERY_PRIMARY). */
int sc_replica_refuses(const sc_conn *c, const char *name, bool primary_only,
                       unsigned sql_flags, sc_error *err)
{
    if (!c->pool->replica)
        return SC_OK;
    if (!name)
        name = "(unnamed statement)";
    if (primary_only)
        return sc_error_set(err, SC_MISUSE, "%.60s must read the primary (replica: never); "
                            "acquire with sc_cluster_acquire_write", name);
    if (!(sql_flags & SC_SQL_READ_ONLY))
        return sc_error_set(err, SC_MISUSE, "%.60s may write: not on a replica connection "
                            "(acquire with sc_cluster_acquire_write)", name);
    return SC_OK;
}

/* DATABASE_REPLICA_URL takes DATABASE_URL's place; every other variable is
 * the primary's (one set of pool settings for both). */
static const char *replica_lookup(const char *name, void *ctx)
{
    (void)ctx;
    if (strcmp(name, "DATABASE_URL") == 0)
        return getenv("DATABASE_REPLICA_URL");
    if (strncmp(name, "POSTGRES_", 9) == 0)
        return NULL;
    return getenv(name);
}

int sc_cluster_open_env(sc_cluster **out, sc_error *err)
{
    if (!out)
        return sc_error_set(err, SC_MISUSE, "sc_cluster_open_env: out needed");
    *out = NULL;
    sc_pool_config primary, replica;
    int rc = sc_pool_config_from_env(&primary, err);
    if (rc != SC_OK)
        return rc;
    double wait_s = 0.1;
    const char *w = getenv("DB_REPLICA_WAIT");
    if (w && *w) {
        char *end;
        wait_s = strtod(w, &end);
        if (end == w || *end || !(wait_s >= 0 && wait_s <= 3600)) {
            sc_pool_config_cleanup(&primary);
            return sc_error_set(err, SC_INVALID_INPUT, "DB_REPLICA_WAIT must be seconds "
                                "between 0 and 3600");
        }
    }
    const char *url = getenv("DATABASE_REPLICA_URL");
    bool with_replica = url && *url;
    if (with_replica && (rc = sc_pool_config_from_lookup(&replica, replica_lookup, NULL, err)) != SC_OK) {
        sc_pool_config_cleanup(&primary);
        return rc;
    }
    rc = sc_cluster_open(&primary, with_replica ? &replica : NULL, wait_s, out, err);
    sc_pool_config_cleanup(&primary);
    if (with_replica)
        sc_pool_config_cleanup(&replica);
    return rc;
}
