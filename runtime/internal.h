/* Shared by the runtime's own files; not installed, not for generated code. */
#ifndef SC_INTERNAL_H
#define SC_INTERNAL_H

#include <pthread.h>
#include <time.h>

#include "schemac.h"

/* One prepared statement on one connection: the descriptor it came from and
 * the server-side name it was prepared under. */
typedef struct sc_cached_stmt {
    const sc_stmt *key;
    const char *sql;        /* key->sql when prepared: a reused address with */
    int nparams;            /* other SQL is prepared again, not run stale */
    unsigned sql_flags;     /* sc_sql_classify(sql), computed once */
    char name[24];
} sc_cached_stmt;

typedef struct sc_async sc_async;

struct sc_conn {
    PGconn *pg;
    sc_pool *pool;
    double opened_at;       /* sc_now() when the connection opened */
    double acquired_at;     /* sc_now() when last handed out, for leak reports */
    double released_at;     /* sc_now() when last given back (pre_ping_idle_s) */
    int backend_pid;        /* kept: libpq forgets it once the connection is lost */
    bool broken;            /* lost or unusable: release closes it */
    bool dirty;             /* session state may have changed: reset on release */
    const char *last_stmt;  /* name of the last descriptor run, for leak reports */
    const char *tag;        /* sc_pool_acquire_tagged's tag, for leak reports */
    double leak_reported_at; /* acquired_at of the borrow already reported */
    int tx_depth;           /* 0 outside a transaction, 1 + savepoints inside */
    bool tx_read_only;      /* the transaction was begun READ ONLY (its 25006 is its own) */
    sc_cached_stmt *cache;  /* open addressing by descriptor address */
    size_t cache_cap;       /* a power of two, or 0 */
    size_t cache_used;
    unsigned next_stmt_id;  /* names are never reused on a connection */
    struct sc_row_sink *sink; /* set while a statement streams its rows */
    struct sc_async *async; /* requests in flight (async.c), or NULL */
    sc_conn *next;          /* idle stack, or the borrowed list */
    sc_conn *prev;          /* borrowed list only */
};

struct sc_pool {
    pthread_mutex_t mu;
    pthread_cond_t available;
    sc_pool_config cfg;     /* owned copies of the strings below */
    char *conninfo;
    char *application_name;
    char redacted[256];     /* conninfo for log lines */
    char *settings_sql;     /* "SET ..." sent per connection or per transaction */
    char *password;         /* scrubbed from every message passed on, or NULL */
    sc_conn *idle;          /* stack: most recently used on top */
    sc_conn *borrowed;      /* doubly linked, for leak reports */
    sc_pool_stats stats;
    bool replica;           /* the replica pool of an sc_cluster (replica.c) */
    /* leak detection (leak.c): a housekeeping thread when the threshold is set */
    pthread_t leak_thread;
    pthread_mutex_t leak_mu;
    pthread_cond_t leak_wake;
    bool leak_running, leak_stop;
};

/* Starts / stops the leak-detection thread (no-op without a threshold). */
int sc_leak_start(sc_pool *p);
void sc_leak_stop(sc_pool *p);

/* malloc and calloc, failing on demand in fault tests
 * (sc_test_fail_allocation). Freed with free(). */
void *sc_malloc(size_t n);
void *sc_calloc(size_t count, size_t size);

/* Monotonic seconds. */
double sc_now(void);

/* Logging with the pool's callback; pool may be NULL (stderr). */
void sc_log(const sc_pool *p, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Echo of one statement with its duration; secret parameters masked. */
void sc_log_statement(const sc_pool *p, const char *name, const char *sql, int nparams,
                      const char *const *values, const int *lengths, const int *formats,
                      const unsigned char *flags, double seconds, int status);

/* Fills err from a failed result (or a NULL one) and marks the connection
 * broken if the failure means the session is gone. Returns the category. */
int sc_conn_fail(sc_conn *c, const PGresult *res, sc_error *err);

/* Whether res is the server reporting that a connection of its own failed:
 * Citus's coordinator to a worker that is down ("connection to the remote
 * node ... failed", 08006), postgres_fdw or dblink to a remote. SQLSTATE
 * class 08 (but 08P01, our own protocol) at ERROR severity while our
 * connection is still up: the statement failed and its transaction on the
 * server is rolled back, and our session is intact, so it stays in the pool
 * and the failure is SC_CONNECTION, retryable, never SC_COMMIT_UNKNOWN
 * (error.c). */
bool sc_remote_connection_failed(const PGresult *res, const PGconn *pg);

/* Forgets every cached statement (the server-side ones are gone or about to
 * be). */
void sc_conn_cache_reset(sc_conn *c);
void sc_conn_cache_free(sc_conn *c);

/* Replaces occurrences of secret in msg (in place) by "***" (a secret of
 * 1-2 bytes by as many '*': msg never grows). A secret shorter than 6 bytes
 * is masked only where it is not part of a larger alphanumeric word. */
void sc_scrub(char *msg, const char *secret);

/* For a failed statement with SC_PARAM_SECRET parameters: rewrites
 * err->detail so that no row value survives ("Key (k)=(***) already
 * exists.", "Failing row contains (***)", anything else a fixed text). */
void sc_error_hide_values(sc_error *err);
/* sc_scrub's every non-empty text-format value (formats NULL or 0) out of
 * err->message and err->detail. */
void sc_error_scrub_values(sc_error *err, int n, const char *const *values, const int *formats);

/* At most 40 bytes of s for a message, anything but printable ASCII shown
 * as '?', so that a hostile value cannot forge log lines (error.c). */
const char *sc_shown(const char *s, char buf[48]);

/* --- network waits with deadlines (io.c) --------------------------------- */

/* Now + the pool's client_timeout_s. */
double sc_conn_deadline(const sc_conn *c);
/* The runtime's calls run in libpq's non-blocking mode. */
void sc_conn_nonblocking(sc_conn *c);
/* After a PQsend* that returned 1: flushes and collects every result until
 * the deadline. SC_OK with *res the first error result, else the last one,
 * or a COPY_IN/COPY_OUT result (NULL: the connection was lost). Past the
 * deadline the server query is cancelled, the connection marked broken and
 * SC_TIMEOUT returned (err set). */
int sc_conn_await(sc_conn *c, double deadline, PGresult **res, sc_error *err);

/* The pieces of sc_conn_await for a pipeline (batch.c), which reads result by
 * result. flush: 1 sent, 0 past the deadline, -1 lost. next_result: SC_OK
 * with *res (NULL: the end of one statement's results), or SC_TIMEOUT
 * (cancelled and evicted, err set) past the deadline. */
int sc_conn_flush(sc_conn *c, double deadline);
int sc_conn_next_result(sc_conn *c, double deadline, PGresult **res, sc_error *err);
int sc_conn_timed_out(sc_conn *c, sc_error *err);
/* The name under which s is prepared on c, prepared first if needed; *name
 * NULL under transaction pooling (send it unnamed). Marks the session dirty
 * when the statement may change it. */
int sc_exec_prepared_name(sc_conn *c, const sc_stmt *s, const char **name, sc_error *err);
/* Takes the values of s's secret parameters out of err (a failed call's). */
void sc_exec_hide_secrets(const sc_stmt *s, const char *const *values, const int *formats,
                          sc_error *err);
/* Whether res says the server forgot a prepared statement (26000). */
bool sc_exec_statement_vanished(const PGresult *res);
/* The name s goes by on c, taken in the cache now; *fresh when the caller
 * must queue its PREPARE first; *flags its sc_sql_classify. NULL when out
 * of memory. */
const char *sc_exec_cache_claim(sc_conn *c, const sc_stmt *s, bool *fresh, unsigned *flags);
/* Fails what is in flight (the connection is being released or closed) and
 * frees the queue (async.c). */
void sc_conn_async_free(sc_conn *c);

/* Where a streamed statement's rows go (single-row mode): row() is called
 * with each one-row result while it returns SC_OK; after the first other
 * status (kept in `stopped`) the rest are read and dropped, so the
 * connection stays usable and a transaction is not aborted. The deadline
 * is per row: each row that arrives restarts it. */
typedef struct sc_row_sink {
    int (*row)(void *ctx, const PGresult *res);
    void *ctx;
    int stopped;
    int64_t rows;
} sc_row_sink;
/* A statement of the runtime's own making (a bulk upsert's text depends on
 * its rows): run unprepared, with the deadline, hooks and outcome labels of
 * sc_exec, and without marking the session dirty. Text parameters. */
int sc_exec_generated_text(sc_conn *c, const char *name, const char *sql, int nparams,
                           const char *const *values, const unsigned char *param_flags,
                           PGresult **out, sc_error *err);
/* sc_exec in single-row mode; the final result is consumed. SC_OK, the
 * status that stopped the stream, or the statement's error. */
int sc_exec_each(sc_conn *c, const sc_stmt *s, const char *const *values, const int *lengths,
                 const int *formats, sc_row_sink *sink, sc_error *err);
/* One simple-query string with the deadline; marks nothing dirty (the
 * runtime's own control statements). *out NULL when nothing could be sent. */
int sc_conn_run(sc_conn *c, const char *sql, PGresult **out, sc_error *err);
/* COPY data and end with the deadline: SC_OK, SC_TIMEOUT (evicted) or
 * SC_CONNECTION (err not set: the caller reports libpq's message). */
int sc_conn_copy_put(sc_conn *c, const char *data, int n, double deadline, sc_error *err);
int sc_conn_copy_end(sc_conn *c, const char *errmsg, double deadline, PGresult **res,
                     sc_error *err);
/* PQconnectStartParams + PQconnectPoll until the deadline; the notice
 * processor is set before any I/O. The caller checks PQstatus. */
PGconn *sc_connect_until(const char *const *keys, const char *const *vals, double deadline,
                         PQnoticeProcessor notice, void *notice_arg, bool *timed_out);

/* Raw SQL ran on the connection (sc_exec_sql, sc_exec_params, sc_conn_pg):
 * its session may have changed, so release resets it. */
static inline void sc_conn_mark_dirty(sc_conn *c)
{
    c->dirty = true;
}

/* A transaction-control statement of the runtime's own (BEGIN, COMMIT of a
 * savepoint, ROLLBACK): deadline, echo, nothing marked dirty. */
int sc_conn_control(sc_conn *c, const char *sql, sc_error *err);

/* What a statement's text may do: SC_SQL_READ_ONLY when it cannot write
 * (its loss outside a transaction is then a plain lost connection, not an
 * unknown outcome), SC_SQL_SESSION when it may change session state (the
 * connection is reset on release). */
enum { SC_SQL_READ_ONLY = 1u, SC_SQL_SESSION = 2u };
/* SC_MISUSE when c belongs to a replica pool and the statement may write
 * (sql_flags lacks SC_SQL_READ_ONLY) or must read the primary; SC_OK
 * otherwise (replica.c). */
int sc_replica_refuses(const sc_conn *c, const char *name, bool primary_only,
                       unsigned sql_flags, sc_error *err);
unsigned sc_sql_classify(const char *sql);

/* Copies src into dst (size n), always terminated. */
void sc_copy_str(char *dst, size_t n, const char *src);

#endif
