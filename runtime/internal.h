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
    char name[24];
} sc_cached_stmt;

struct sc_conn {
    PGconn *pg;
    sc_pool *pool;
    double opened_at;       /* sc_now() when the connection opened */
    double acquired_at;     /* sc_now() when last handed out, for leak reports */
    int backend_pid;        /* kept: libpq forgets it once the connection is lost */
    bool broken;            /* lost or unusable: release closes it */
    int tx_depth;           /* 0 outside a transaction, 1 + savepoints inside */
    sc_cached_stmt *cache;  /* open addressing by descriptor address */
    size_t cache_cap;       /* a power of two, or 0 */
    size_t cache_used;
    unsigned next_stmt_id;  /* names are never reused on a connection */
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
};

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

/* Forgets every cached statement (the server-side ones are gone or about to
 * be). */
void sc_conn_cache_reset(sc_conn *c);
void sc_conn_cache_free(sc_conn *c);

/* Replaces occurrences of secret in msg (in place) by "***". */
void sc_scrub(char *msg, const char *secret);

/* Copies src into dst (size n), always terminated. */
void sc_copy_str(char *dst, size_t n, const char *src);

#endif
