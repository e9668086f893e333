/* The connection pool: a mutex, a condition variable, a stack of idle
 * connections and a list of borrowed ones (for leak reports). Network work
 * (connect, ping, rollback, close) always happens outside the lock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sc_query.h"

double sc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = sc_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* The password libpq would send (NULL if none), to scrub it from any message
 * we pass on. False when memory ran out. */
static bool conninfo_password(const char *conninfo, char **out)
{
    *out = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", NULL);
    if (!opts)
        return false;
    bool ok = true;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
            ok = (*out = dup_or_null(o->val)) != NULL;
    PQconninfoFree(opts);
    return ok;
}

/* The server settings as one simple-query string: "SET" once per connection
 * without a pooler, "SET LOCAL" per transaction behind PgBouncer in
 * transaction mode (a session SET would leak to other clients there). */
static char *build_settings_sql(const sc_pool_config *cfg)
{
    const char *set = cfg->pooler == SC_POOLER_TRANSACTION ? "SET LOCAL" : "SET";
    char buf[512];
    size_t len = 0;
    buf[0] = '\0';
#define ADD_SETTING(...)                                                                        \
    len += (size_t)snprintf(buf + len, sizeof buf - len, __VA_ARGS__)
    if (cfg->jit_off)
        ADD_SETTING("%s jit = off;", set);
    if (cfg->statement_timeout_ms > 0)
        ADD_SETTING("%s statement_timeout = %d;", set, cfg->statement_timeout_ms);
    if (cfg->lock_timeout_ms > 0)
        ADD_SETTING("%s lock_timeout = %d;", set, cfg->lock_timeout_ms);
    if (cfg->idle_in_transaction_timeout_ms > 0)
        ADD_SETTING("%s idle_in_transaction_session_timeout = %d;", set,
                    cfg->idle_in_transaction_timeout_ms);
#undef ADD_SETTING
    return dup_or_null(buf);
}

/* A count within [min, max], named with its variable in the message. */
static int check_count(const char *name, int v, int min, int max, sc_error *err)
{
    if (v < min || v > max)
        return sc_error_set(err, SC_INVALID_INPUT, "%s must be from %d to %d, got %d", name, min,
                            max, v);
    return SC_OK;
}

/* Seconds from min to 1e6: a larger value (1e30) overflows the time_t of a
 * wait's deadline and the wait busy-spins; !(<=) also refuses NaN. */
static int check_seconds(const char *name, double v, double min, sc_error *err)
{
    if (!(v >= min && v <= 1e6))
        return sc_error_set(err, SC_INVALID_INPUT, "%s must be from %g to 1000000 seconds", name,
                            min);
    return SC_OK;
}

static int check_config(const sc_pool_config *cfg, sc_error *err)
{
    int rc = check_count("pool_size (DB_POOL_SIZE)", cfg->pool_size, 1, 10000, err);
    if (rc == SC_OK)
        rc = check_count("max_overflow (DB_MAX_OVERFLOW)", cfg->max_overflow, 0, 10000, err);
    if (rc == SC_OK)
        rc = check_count("retry_limit (DB_RETRY_LIMIT)", cfg->retry_limit, 0, 1000, err);
    if (rc == SC_OK)
        rc = check_seconds("timeout_s (DB_POOL_TIMEOUT)", cfg->timeout_s, 0, err);
    if (rc == SC_OK)
        rc = check_seconds("retry_interval_s (DB_RETRY_INTERVAL)", cfg->retry_interval_s, 0, err);
    /* recycle_s <= 0 means "never", but it must still be a number. */
    if (rc == SC_OK && !(cfg->recycle_s <= 1e6))
        rc = sc_error_set(err, SC_INVALID_INPUT,
                          "recycle_s (DB_POOL_RECYCLE) must be at most 1000000 seconds");
    if (rc != SC_OK)
        return rc;
    if (cfg->statement_timeout_ms < 0 || cfg->lock_timeout_ms < 0 ||
        cfg->idle_in_transaction_timeout_ms < 0)
        return sc_error_set(err, SC_INVALID_INPUT, "server timeouts must not be negative");
    PQconninfoOption *opts = PQconninfoParse(cfg->conninfo ? cfg->conninfo : "", NULL);
    if (!opts)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "conninfo: libpq cannot parse the connection string");
    PQconninfoFree(opts);
    return SC_OK;
}

static void free_pool_strings(sc_pool *p)
{
    free(p->conninfo);
    free(p->application_name);
    free(p->settings_sql);
    free(p->password);
}

/* A deadline must be a positive, finite number of seconds that a time_t
 * and an int of milliseconds can hold. */
static int check_deadline(const char *name, double s, sc_error *err)
{
    if (!(s > 0 && s <= 1e6))
        return sc_error_set(err, SC_INVALID_INPUT,
                            "%s must be more than 0 and at most 1000000 seconds", name);
    return SC_OK;
}

static int check_deadlines(const sc_pool_config *cfg, sc_error *err)
{
    int rc = check_deadline("client_timeout_s (DB_CLIENT_TIMEOUT)", cfg->client_timeout_s, err);
    return rc != SC_OK ? rc
                       : check_deadline("connect_timeout_s (DB_CONNECT_TIMEOUT)",
                                        cfg->connect_timeout_s, err);
}

int sc_pool_open(const sc_pool_config *cfg, sc_pool **out, sc_error *err)
{
    if (!out || !cfg)
        return sc_error_set(err, SC_MISUSE, "sc_pool_open: cfg and out are required");
    *out = NULL;
    int rc = check_deadlines(cfg, err);
    if (rc == SC_OK)
        rc = check_config(cfg, err);
    if (rc != SC_OK)
        return rc;
    sc_pool *p = sc_calloc(1, sizeof *p);
    if (!p)
        return sc_error_set(err, SC_NO_MEMORY, "out of memory opening the pool");
    p->cfg = *cfg;
    p->cfg.owned_conninfo = NULL;
    p->conninfo = dup_or_null(cfg->conninfo ? cfg->conninfo : "");
    p->application_name = dup_or_null(cfg->application_name);
    p->settings_sql = build_settings_sql(cfg);
    bool have_password = conninfo_password(cfg->conninfo, &p->password);
    p->cfg.conninfo = p->conninfo;
    p->cfg.application_name = p->application_name;
    if (!p->conninfo || !p->settings_sql || !have_password ||
        (cfg->application_name && !p->application_name))
        goto no_memory;
    sc_conninfo_redact(p->conninfo, p->redacted, sizeof p->redacted);
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        goto no_memory;
    /* Waits are measured on the monotonic clock: a wall-clock jump must not
     * cut or stretch the pool timeout. */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int cond_rc = pthread_cond_init(&p->available, &attr);
    pthread_condattr_destroy(&attr);
    if (cond_rc != 0)
        goto no_memory;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        pthread_cond_destroy(&p->available);
        goto no_memory;
    }
    if (sc_leak_start(p) != SC_OK) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->available);
        goto no_memory;
    }
    *out = p;
    return SC_OK;
no_memory:
    free_pool_strings(p);
    free(p);
    return sc_error_set(err, SC_NO_MEMORY, "out of memory opening the pool");
}

static void close_conn(sc_conn *c)
{
    if (!c)
        return;
    sc_conn_async_free(c);
    PQfinish(c->pg);
    sc_conn_cache_free(c);
    free(c);
}

/* First line of libpq's message with the password scrubbed. */
static void connect_failure_message(const sc_pool *p, const PGconn *pg, char *buf, size_t n)
{
    sc_copy_str(buf, n, pg ? PQerrorMessage(pg) : "out of memory");
    buf[strcspn(buf, "\n")] = '\0';
    sc_scrub(buf, p->password);
}

static int apply_session_settings(sc_pool *p, sc_conn *c, sc_error *err)
{
    if (p->cfg.pooler == SC_POOLER_TRANSACTION || !p->settings_sql[0])
        return SC_OK;
    PGresult *res = NULL;
    int rc = sc_conn_run(c, p->settings_sql, &res, err);
    if (rc == SC_OK && (!res || PQresultStatus(res) != PGRES_COMMAND_OK))
        rc = sc_error_from_result(err, res, c->pg);
    PQclear(res);
    return rc;
}

/* Server notices (NOTICE, WARNING) go to the pool's log, not to stderr. */
static void route_notice(void *arg, const char *message)
{
    char line[512];
    sc_copy_str(line, sizeof line, message);
    line[strcspn(line, "\n")] = '\0';
    sc_log(arg, SC_LOG_DEBUG, "server: %s", line);
}

static int connect_one(sc_pool *p, sc_conn **out, sc_error *err)
{
    const char *keys[4] = {"dbname", "fallback_application_name", NULL, NULL};
    const char *vals[4] = {p->conninfo, "schemac", NULL, NULL};
    if (p->application_name) {
        keys[2] = "application_name";
        vals[2] = p->application_name;
    }
    sc_log(p, SC_LOG_DEBUG, "connecting to %s", p->redacted);
    bool late = false;
    PGconn *pg = sc_connect_until(keys, vals, sc_now() + p->cfg.connect_timeout_s, route_notice,
                                  p, &late);
    if (!pg || late || PQstatus(pg) != CONNECTION_OK) {
        char why[200];
        if (late)
            snprintf(why, sizeof why, "no answer within connect_timeout_s = %.3f s",
                     p->cfg.connect_timeout_s);
        else
            connect_failure_message(p, pg, why, sizeof why);
        sc_log(p, SC_LOG_WARN, "cannot connect to %s: %s", p->redacted, why);
        PQfinish(pg);
        return sc_error_set(err, pg ? SC_CONNECTION : SC_NO_MEMORY, "cannot connect: %s", why);
    }
    sc_conn *c = sc_calloc(1, sizeof *c);
    if (!c) {
        PQfinish(pg);
        return sc_error_set(err, SC_NO_MEMORY, "out of memory opening a connection");
    }
    c->pg = pg;
    c->pool = p;
    int rc = apply_session_settings(p, c, err);
    if (rc != SC_OK) {
        close_conn(c);
        return rc;
    }
    c->backend_pid = PQbackendPID(pg);
    c->opened_at = sc_now();
    *out = c;
    return SC_OK;
}

/* --- lists, all under p->mu ------------------------------------------------ */

static void borrow_locked(sc_pool *p, sc_conn *c)
{
    c->tag = NULL;
    c->prev = NULL;
    c->next = p->borrowed;
    if (p->borrowed)
        p->borrowed->prev = c;
    p->borrowed = c;
    p->stats.in_use++;
}

static void unborrow_locked(sc_pool *p, sc_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        p->borrowed = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
    p->stats.in_use--;
}

static sc_conn *pop_idle_locked(sc_pool *p)
{
    sc_conn *c = p->idle;
    p->idle = c->next;
    c->next = NULL;
    p->stats.idle--;
    return c;
}

/* ------------------------------------------------------------------------- */

static bool too_old(const sc_pool *p, const sc_conn *c, double now)
{
    return p->cfg.recycle_s > 0 && now - c->opened_at > p->cfg.recycle_s;
}

/* An empty query: the cheapest round trip, bounded by the deadline (a
 * frozen backend is as dead as a killed one). */
static bool ping(sc_conn *c)
{
    PGresult *res = NULL;
    sc_error ignored = {0};
    int rc = sc_conn_run(c, "", &res, &ignored);
    bool alive = rc == SC_OK && res && PQresultStatus(res) == PGRES_EMPTY_QUERY;
    PQclear(res);
    return alive && !c->broken && PQstatus(c->pg) == CONNECTION_OK;
}

/* Checks an idle connection just taken from the stack; a false answer means
 * it must be closed and replaced (the stats say why). With pre_ping, only a
 * connection idle for pre_ping_idle_s or longer is pinged. */
static bool still_usable(sc_pool *p, sc_conn *c, uint64_t *recycled, uint64_t *dead,
                         uint64_t *pings)
{
    double now = sc_now();
    if (too_old(p, c, now)) {
        (*recycled)++;
        return false;
    }
    bool want_ping = p->cfg.pre_ping && !(now - c->released_at < p->cfg.pre_ping_idle_s);
    if (want_ping)
        (*pings)++;
    if (PQstatus(c->pg) != CONNECTION_OK || (want_ping && !ping(c))) {
        (*dead)++;
        sc_log(p, SC_LOG_INFO, "pre-ping: replacing a dead idle connection");
        return false;
    }
    return true;
}

static void deadline_to_timespec(double deadline, struct timespec *ts)
{
    ts->tv_sec = (time_t)deadline;
    ts->tv_nsec = (long)((deadline - (double)ts->tv_sec) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits until a connection is idle or may be opened; false on timeout. */
static bool wait_for_capacity_locked(sc_pool *p, double deadline)
{
    int limit = p->cfg.pool_size + p->cfg.max_overflow;
    while (!p->idle && p->stats.open >= limit) {
        if (sc_now() >= deadline)
            return false;
        struct timespec ts;
        deadline_to_timespec(deadline, &ts);
        p->stats.waiting++;
        pthread_cond_timedwait(&p->available, &p->mu, &ts);
        p->stats.waiting--;
    }
    return true;
}

/* DB_ECHO_POOL: one line per checkout and return. */
static void echo_pool(const sc_pool *p, const char *what, const sc_conn *c)
{
    if (p->cfg.echo_pool)
        sc_log(p, SC_LOG_INFO, "pool: %s, backend pid %d", what, c->backend_pid);
}

static int acquire(sc_pool *p, sc_conn **out, sc_error *err);

static void report_pool(const sc_pool *p, sc_pool_event_kind kind, double seconds, int status,
                        const sc_conn *c)
{
    if (!p->cfg.on_pool)
        return;
    sc_pool_event ev = {kind, seconds, status, kind == SC_POOL_RELEASE && c ? c->tag : NULL,
                        c ? c->backend_pid : 0};
    p->cfg.on_pool(p->cfg.hook_ctx, &ev);
}

int sc_pool_acquire(sc_pool *p, sc_conn **out, sc_error *err)
{
    if (!p || !out)
        return sc_error_set(err, SC_MISUSE, "sc_pool_acquire: pool and out are required");
    double started = p->cfg.on_pool ? sc_now() : 0;
    int rc = acquire(p, out, err);
    report_pool(p, SC_POOL_ACQUIRE, p->cfg.on_pool ? sc_now() - started : 0, rc, *out);
    return rc;
}

static int acquire(sc_pool *p, sc_conn **out, sc_error *err)
{
    *out = NULL;
    double deadline = sc_now() + p->cfg.timeout_s;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (!wait_for_capacity_locked(p, deadline)) {
            p->stats.timeouts++;
            int total = p->stats.open;
            pthread_mutex_unlock(&p->mu);
            return sc_error_set(err, SC_TIMEOUT,
                                "no connection free within %.3f s (%d open, pool_size %d, "
                                "max_overflow %d)",
                                p->cfg.timeout_s, total, p->cfg.pool_size, p->cfg.max_overflow);
        }
        if (p->idle) {
            sc_conn *c = pop_idle_locked(p);
            borrow_locked(p, c);
            /* Counted now, under the lock already held, and taken back
             * below if the connection proves unusable: the usual borrow
             * (no ping due) locks the pool once. */
            p->stats.acquired++;
            pthread_mutex_unlock(&p->mu);
            uint64_t recycled = 0, dead = 0, pings = 0;
            if (still_usable(p, c, &recycled, &dead, &pings)) {
                c->acquired_at = sc_now();
                if (pings) {
                    pthread_mutex_lock(&p->mu);
                    p->stats.pings += pings;
                    pthread_mutex_unlock(&p->mu);
                }
                echo_pool(p, "checkout", c);
                *out = c;
                return SC_OK;
            }
            pthread_mutex_lock(&p->mu);
            p->stats.acquired--;
            unborrow_locked(p, c);
            p->stats.open--;
            p->stats.recycled += recycled;
            p->stats.pings += pings;
            p->stats.ping_failures += dead;
            pthread_mutex_unlock(&p->mu);
            close_conn(c);
            pthread_mutex_lock(&p->mu);
            continue; /* capacity is free now: take another idle one or open */
        }
        p->stats.open++; /* reserve the slot before connecting unlocked */
        pthread_mutex_unlock(&p->mu);
        sc_conn *c = NULL;
        int rc = connect_one(p, &c, err);
        pthread_mutex_lock(&p->mu);
        if (rc != SC_OK) {
            p->stats.open--;
            pthread_cond_signal(&p->available);
            pthread_mutex_unlock(&p->mu);
            return rc;
        }
        p->stats.connects++;
        p->stats.acquired++;
        borrow_locked(p, c);
        pthread_mutex_unlock(&p->mu);
        c->acquired_at = sc_now();
        echo_pool(p, "checkout (new connection)", c);
        *out = c;
        return SC_OK;
    }
}

/* --- session reset (see sc_pool_release in schemac.h) ------------------- */

/* Everything runs in the one implicit transaction of a simple-query string
 * (checked on PostgreSQL 15: DISCARD TEMP, DEALLOCATE and CLOSE ALL are
 * accepted there, even when default_transaction_read_only made it read
 * only). SET SESSION AUTHORIZATION DEFAULT also resets SET ROLE, which
 * RESET ALL leaves alone. Every name is schema-qualified: the caller's
 * search_path is reset, but not before the first statements. */
static const char reset_head[] =
    "SET SESSION AUTHORIZATION DEFAULT;RESET ALL;CLOSE ALL;UNLISTEN *;"
    "SELECT pg_catalog.pg_advisory_unlock_all();DISCARD TEMP;DISCARD SEQUENCES;"
    "DO $sc_reset$DECLARE s text; BEGIN FOR s IN SELECT name FROM "
    "pg_catalog.pg_prepared_statements WHERE name <> ALL (ARRAY[";
/* The DO block loaded PL/pgSQL, which turns placeholders named plpgsql.*
 * into real settings with the caller's values: RESET ALL once more. */
static const char reset_mid[] =
    "]::text[]) LOOP EXECUTE pg_catalog.format('DEALLOCATE %I', s); END LOOP; "
    "END$sc_reset$;RESET ALL;";
/* Custom placeholders (app.user_id) survive RESET ALL with an empty value
 * and are not listed in pg_settings (GUC_NO_SHOW_ALL): probe the names that
 * policies and non-system functions read, keep the ones ALTER ROLE / ALTER
 * DATABASE set (a fresh session has them too). The runtime's own
 * schemac.* (sc_tx_set_audit) are only ever set transaction-locally and read
 * as nullif(..., ''), so an empty leftover is the same as none. One row:
 * the count. */
static const char reset_probe[] =
    "SELECT pg_catalog.count(*) FROM (SELECT DISTINCT m[1] AS n FROM ("
    "SELECT pg_catalog.pg_get_expr(polqual, polrelid) AS src FROM pg_catalog.pg_policy "
    "UNION ALL SELECT pg_catalog.pg_get_expr(polwithcheck, polrelid) FROM pg_catalog.pg_policy "
    "UNION ALL SELECT prosrc FROM pg_catalog.pg_proc WHERE pronamespace OPERATOR(pg_catalog.<>) "
    "ALL (ARRAY['pg_catalog'::pg_catalog.regnamespace, "
    "'information_schema'::pg_catalog.regnamespace])) t, "
    "pg_catalog.regexp_matches(t.src, $p$current_setting\\s*\\(\\s*'([^']+)'$p$, 'g') m) c "
    "WHERE pg_catalog.strpos(c.n, '.') OPERATOR(pg_catalog.>) 0 "
    "AND pg_catalog.lower(c.n) NOT LIKE 'schemac.%' "
    "AND pg_catalog.current_setting(c.n, true) IS NOT NULL "
    "AND NOT EXISTS (SELECT FROM pg_catalog.pg_settings s "
    "WHERE s.name OPERATOR(pg_catalog.=) pg_catalog.lower(c.n)) "
    "AND NOT EXISTS (SELECT FROM pg_catalog.pg_db_role_setting d, "
    "pg_catalog.unnest(d.setconfig) x WHERE d.setdatabase OPERATOR(pg_catalog.=) ANY (ARRAY[0, "
    "(SELECT oid FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) "
    "pg_catalog.current_database())]::pg_catalog.oid[]) "
    "AND d.setrole OPERATOR(pg_catalog.=) ANY (ARRAY[0, (SELECT oid FROM pg_catalog.pg_roles "
    "WHERE rolname OPERATOR(pg_catalog.=) SESSION_USER)]::pg_catalog.oid[]) "
    "AND pg_catalog.lower(pg_catalog.split_part(x, '=', 1)) OPERATOR(pg_catalog.=) "
    "pg_catalog.lower(c.n))";

/* The reset string for c, or NULL when memory ran out. */
static char *build_reset_sql(const sc_pool *p, const sc_conn *c, bool rollback)
{
    const char *settings = p->cfg.pooler == SC_POOLER_TRANSACTION ? "" : p->settings_sql;
    size_t n = sizeof "ROLLBACK;" + sizeof reset_head + sizeof reset_mid + strlen(settings) +
               sizeof reset_probe + c->cache_used * (sizeof c->cache[0].name + 3);
    char *sql = sc_malloc(n);
    if (!sql)
        return NULL;
    size_t len = (size_t)snprintf(sql, n, "%s%s", rollback ? "ROLLBACK;" : "", reset_head);
    bool first = true;
    for (size_t i = 0; i < c->cache_cap; i++) {
        if (!c->cache[i].key)
            continue;
        /* "sc_<n>": our own names, nothing to escape */
        len += (size_t)snprintf(sql + len, n - len, "%s'%s'", first ? "" : ",",
                                c->cache[i].name);
        first = false;
    }
    snprintf(sql + len, n - len, "%s%s%s", reset_mid, settings, reset_probe);
    return sql;
}

/* One round trip that makes c a fresh session again; false: close it. */
static bool reset_session(sc_pool *p, sc_conn *c, bool rollback)
{
    char *sql = build_reset_sql(p, c, rollback);
    if (!sql) {
        sc_log(p, SC_LOG_WARN, "out of memory resetting a session; closing the connection");
        return false;
    }
    PGresult *res = NULL;
    sc_error err = {0};
    int rc = sc_conn_run(c, sql, &res, &err);
    free(sql);
    bool ok = rc == SC_OK && res && PQresultStatus(res) == PGRES_TUPLES_OK &&
              PQntuples(res) == 1 && PQtransactionStatus(c->pg) == PQTRANS_IDLE &&
              !c->broken && PQstatus(c->pg) == CONNECTION_OK;
    if (ok && strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
        sc_log(p, SC_LOG_INFO,
               "a returned session defined custom settings a fresh one lacks; closing it "
               "(backend pid %d)",
               c->backend_pid);
        ok = false;
    } else if (!ok) {
        char why[200];
        sc_copy_str(why, sizeof why,
                    err.message[0] ? err.message
                    : res          ? PQresultErrorMessage(res)
                                   : PQerrorMessage(c->pg));
        why[strcspn(why, "\n")] = '\0';
        sc_log(p, SC_LOG_WARN, "session reset failed (backend pid %d): %s; closing it",
               c->backend_pid, why);
    }
    PQclear(res);
    return ok;
}

/* Brings a returned connection back to "idle, no transaction" and, when it
 * is dirty, to a fresh session; or says it must be closed. */
static bool clean_for_reuse(sc_pool *p, sc_conn *c, bool *dirty, bool *reset)
{
    if (c->broken || PQstatus(c->pg) != CONNECTION_OK)
        return false;
    if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF) {
        sc_log(p, SC_LOG_WARN, "a connection was returned in pipeline mode; closing it");
        return false;
    }
    bool in_tx = false;
    switch (PQtransactionStatus(c->pg)) {
    case PQTRANS_IDLE:
        break;
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR: {
        *dirty = true;
        in_tx = true;
        sc_log(p, SC_LOG_WARN,
               "a connection was returned inside a transaction; rolling it back");
        if (c->dirty)
            break; /* the reset string starts with ROLLBACK */
        PGresult *res = NULL;
        sc_error ignored = {0};
        sc_conn_run(c, "ROLLBACK", &res, &ignored);
        bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK &&
                  PQtransactionStatus(c->pg) == PQTRANS_IDLE;
        PQclear(res);
        if (!ok)
            return false;
        break;
    }
    default: /* a query still in flight (ACTIVE) or UNKNOWN: not reusable */
        sc_log(p, SC_LOG_WARN, "a connection was returned busy; closing it");
        return false;
    }
    c->tx_depth = 0;
    if (!c->dirty)
        return true;
    if (!reset_session(p, c, in_tx))
        return false;
    c->dirty = false;
    *reset = true;
    return true;
}

void sc_pool_release(sc_pool *p, sc_conn *c)
{
    if (!c)
        return;
    if (p && p != c->pool)
        sc_log(c->pool, SC_LOG_ERROR, "sc_pool_release: connection given back to another pool");
    p = c->pool; /* the connection knows its own pool */
    echo_pool(p, "return", c);
    report_pool(p, SC_POOL_RELEASE, sc_now() - c->acquired_at, SC_OK, c);
    if (sc_conn_in_flight(c))
        sc_conn_async_free(c); /* fails them and marks the connection broken */
    bool dirty = false, reset = false;
    bool keep = clean_for_reuse(p, c, &dirty, &reset);
    c->released_at = sc_now();
    bool old = keep && too_old(p, c, sc_now());
    if (old)
        keep = false;
    pthread_mutex_lock(&p->mu);
    unborrow_locked(p, c);
    if (dirty)
        p->stats.dirty_returns++;
    if (reset)
        p->stats.resets++;
    if (old)
        p->stats.recycled++;
    else if (!keep)
        p->stats.evicted++;
    /* Overflow: keep at most pool_size idle connections. */
    if (keep && p->stats.idle >= p->cfg.pool_size)
        keep = false;
    if (keep) {
        c->next = p->idle;
        p->idle = c;
        p->stats.idle++;
    } else {
        p->stats.open--;
    }
    pthread_cond_signal(&p->available);
    pthread_mutex_unlock(&p->mu);
    if (!keep)
        close_conn(c);
}

int sc_pool_close(sc_pool *p)
{
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    sc_conn *idle = p->idle, *borrowed = p->borrowed;
    p->idle = p->borrowed = NULL;
    pthread_mutex_unlock(&p->mu);
    int leaked = 0;
    double now = sc_now();
    while (borrowed) {
        sc_conn *next = borrowed->next;
        leaked++;
        sc_log(p, SC_LOG_ERROR,
               "sc_pool_close: connection leaked: acquired %.3f s ago, backend pid %d, "
               "never released",
               now - borrowed->acquired_at, borrowed->backend_pid);
        close_conn(borrowed);
        borrowed = next;
    }
    while (idle) {
        sc_conn *next = idle->next;
        close_conn(idle);
        idle = next;
    }
    if (leaked)
        sc_log(p, SC_LOG_ERROR, "sc_pool_close: %d connection(s) were not released", leaked);
    sc_leak_stop(p);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->available);
    free_pool_strings(p);
    free(p);
    return leaked;
}

void sc_pool_get_stats(sc_pool *p, sc_pool_stats *out)
{
    if (!out)
        return;
    if (!p) {
        memset(out, 0, sizeof *out);
        return;
    }
    pthread_mutex_lock(&p->mu);
    *out = p->stats;
    pthread_mutex_unlock(&p->mu);
}

sc_pooler_mode sc_pool_pooler(const sc_pool *p)
{
    return p ? p->cfg.pooler : SC_POOLER_NONE;
}

PGconn *sc_conn_pg(sc_conn *c)
{
    if (!c)
        return NULL;
    sc_conn_mark_dirty(c); /* raw access: the session may change */
    /* The runtime's own waits are non-blocking; a caller's PQputCopyData or
     * PQsendQuery expect libpq's default. Each runtime path sets its mode
     * again before it sends. */
    if (PQisnonblocking(c->pg))
        PQsetnonblocking(c->pg, 0);
    return c->pg;
}

sc_pool *sc_conn_pool(sc_conn *c)
{
    return c ? c->pool : NULL;
}

double sc_conn_age(const sc_conn *c)
{
    return c ? sc_now() - c->opened_at : 0;
}

void sc_conn_invalidate(sc_conn *c)
{
    if (c)
        c->broken = true;
}

bool sc_conn_is_broken(const sc_conn *c)
{
    return !c || c->broken || PQstatus(c->pg) != CONNECTION_OK;
}

/* SQLSTATEs after which the session is gone or poisoned (ERRATA). */
static bool evicting_sqlstate(const char *s)
{
    return s && (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 ||
                 strcmp(s, "57P02") == 0 || strcmp(s, "57P05") == 0 || strcmp(s, "25P03") == 0);
}

int sc_conn_fail(sc_conn *c, const PGresult *res, sc_error *err)
{
    int category = sc_error_from_result(err, res, c->pg);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    bool evict = evicting_sqlstate(state) && !sc_remote_connection_failed(res, c->pg);
    if (!res || PQstatus(c->pg) == CONNECTION_BAD || evict) {
        if (!c->broken)
            sc_log(c->pool, SC_LOG_WARN, "connection lost (backend pid %d): evicting it",
                   c->backend_pid);
        c->broken = true;
    } else if (category == SC_READ_ONLY && !c->pool->replica && !c->broken &&
               !(c->tx_depth > 0 && c->tx_read_only)) {
        /* The primary pool met a standby: the old primary after a failover.
         * A new connection's target_session_attrs finds the new one. */
        sc_log(c->pool, SC_LOG_WARN, "the server is read-only (a standby?): evicting the "
               "connection (backend pid %d)", c->backend_pid);
        c->broken = true;
    }
    return category;
}
