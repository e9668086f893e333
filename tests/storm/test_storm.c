/* The storm suite (issue "runtime under production faults", part 8):
 * writer threads under a kill storm and under fast server restarts. Every
 * write carries a unique (writer, seq) and a secret token; at the end the
 * table must hold every acknowledged write exactly once, nothing that was
 * reported as not written, both rows of every committed transaction, and no
 * log line, error text or stderr byte may hold a secret.
 *
 * SC_STORM_SECONDS sets the kill storm's length (default 2: the bounded form
 * run by `make test`; `make test-storm` runs 30). The length is how long the
 * faults go on, never a pass/fail threshold. The killer's 20 ms pause is the
 * fault rate, not a synchronization. */
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../runtime/rt_helpers.h"

#include "internal.h" /* sc_now */

#define WRITERS 8
#define MAX_SEQ 200000
#define SECRET_MARK "StormSecret"
#define APP_NAME "schemac-storm"

enum outcome { NOT_TRIED, ACKED, UNKNOWN, GAVE_UP };

typedef struct writer {
    int id;
    sc_pool *pool;
    atomic_bool *stop;
    atomic_int acked_count;
    int nseq;
    unsigned char outcome[MAX_SEQ];
    int retries, unknown, conflicts, unexpected;
    char first_unexpected[200];
} writer;

/* ---- log scan: every line is checked as it arrives, none is stored ---- */

static atomic_long log_lines, log_hits;
static char first_hit[300];
static pthread_mutex_t hit_mu = PTHREAD_MUTEX_INITIALIZER;

static void note_hit(const char *where, const char *text)
{
    atomic_fetch_add(&log_hits, 1);
    pthread_mutex_lock(&hit_mu);
    if (!first_hit[0])
        snprintf(first_hit, sizeof first_hit, "%s: %.250s", where, text);
    pthread_mutex_unlock(&hit_mu);
}

static void scan_log(void *ctx, int level, const char *message)
{
    (void)ctx;
    (void)level;
    atomic_fetch_add(&log_lines, 1);
    if (strstr(message, SECRET_MARK))
        note_hit("log", message);
}

static void scan_error(const sc_error *e)
{
    const char *fields[] = {e->message, e->detail, e->constraint, e->table};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strstr(fields[i], SECRET_MARK))
            note_hit("sc_error", fields[i]);
}

/* ---- the writes ---------------------------------------------------- */

static const unsigned char row_flags[] = {0, 0, SC_PARAM_SECRET};
static const sc_stmt insert_row = {
    "storm_insert_row", "INSERT INTO storm_rows(writer, seq, token) VALUES ($1, $2, $3)", 3, NULL,
    row_flags};
static const sc_stmt insert_pair = {"storm_insert_pair",
                                    "INSERT INTO storm_pairs(writer, seq) VALUES ($1, $2)", 2,
                                    NULL, NULL};
static const unsigned char key_flags[] = {SC_PARAM_SECRET};
static const sc_stmt insert_key = {"storm_insert_key",
                                   "INSERT INTO storm_keys(key_hash) VALUES ($1)", 1, NULL,
                                   key_flags};

typedef struct write_args {
    char writer[16], seq[16], token[64];
} write_args;

static void fill_args(write_args *a, int w, int seq)
{
    snprintf(a->writer, sizeof a->writer, "%d", w);
    snprintf(a->seq, sizeof a->seq, "%d", seq);
    snprintf(a->token, sizeof a->token, SECRET_MARK "-%d-%d", w, seq);
}

static int write_row(sc_conn *c, const write_args *a, sc_error *err)
{
    const char *values[] = {a->writer, a->seq, a->token};
    return sc_exec(c, &insert_row, values, NULL, NULL, 0, NULL, err);
}

/* A transaction of two rows: both or neither. */
static int write_pair(sc_conn *c, void *ctx, sc_error *err)
{
    const write_args *a = ctx;
    int rc = write_row(c, a, err);
    if (rc != SC_OK)
        return rc;
    const char *values[] = {a->writer, a->seq};
    return sc_exec(c, &insert_pair, values, NULL, NULL, 0, NULL, err);
}

/* A duplicate secret key: the server's detail would quote it. */
static int write_duplicate_key(sc_conn *c, sc_error *err)
{
    const char *values[] = {SECRET_MARK "-the-one-key"};
    return sc_exec(c, &insert_key, values, NULL, NULL, 0, NULL, err);
}

/* One autocommit write on a borrowed connection. */
static int autocommit_write(writer *w, const write_args *a, sc_error *err)
{
    sc_conn *c = NULL;
    int rc = sc_pool_acquire_tagged(w->pool, "storm writer", &c, err);
    if (rc != SC_OK)
        return rc;
    rc = write_row(c, a, err);
    if (rc == SC_OK && atoi(a->seq) % 10 == 4) { /* every fifth autocommit write */
        sc_error dup = {0};
        int d = write_duplicate_key(c, &dup);
        scan_error(&dup);
        w->conflicts += d == SC_CONFLICT;
    }
    sc_pool_release(w->pool, c);
    return rc;
}

static void note_unexpected(writer *w, int rc, const sc_error *e)
{
    if (w->unexpected++ == 0)
        snprintf(w->first_unexpected, sizeof w->first_unexpected, "%s (%s): %.160s",
                 sc_status_name(rc), e->sqlstate, e->message);
}

/* A client's back-off between retries, as a service would do it: none for
 * the first 100 (a killed backend is replaced at once), then 1 ms growing to
 * 10 ms, so that a restart slowed by a loaded machine outlasts no writer
 * (10,000 attempts last well over a minute) while a server that never comes
 * back still ends the run. Not a synchronisation: nothing waits for it. */
static void backoff(int attempt)
{
    if (attempt < 100)
        return;
    long ms = attempt - 99 < 10 ? attempt - 99 : 10;
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Writes seq until the runtime gives a definite or an unknown outcome. A
 * retryable status promises that nothing was written, so the same (writer,
 * seq) is written again: a broken promise shows up as a duplicate. */
static void write_one(writer *w, int seq)
{
    write_args a;
    fill_args(&a, w->id, seq);
    for (int attempt = 0; attempt < 10000; attempt++) {
        sc_error e = {0};
        int rc = seq % 2 ? sc_tx_run(w->pool, NULL, write_pair, &a, &e)
                         : autocommit_write(w, &a, &e);
        scan_error(&e);
        if (rc == SC_OK) {
            w->outcome[seq] = ACKED;
            atomic_fetch_add(&w->acked_count, 1);
            return;
        }
        if (rc == SC_COMMIT_UNKNOWN) {
            w->outcome[seq] = UNKNOWN;
            w->unknown++;
            return;
        }
        if (!sc_status_is_retryable(rc) && rc != SC_TIMEOUT) {
            note_unexpected(w, rc, &e);
            w->outcome[seq] = GAVE_UP;
            return;
        }
        w->retries++;
        backoff(attempt);
    }
    w->outcome[seq] = GAVE_UP;
    note_unexpected(w, SC_CONNECTION, &(sc_error){.message = "10000 attempts failed"});
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    while (!atomic_load(w->stop) && w->nseq < MAX_SEQ)
        write_one(w, w->nseq++);
    return NULL;
}

/* ---- fixtures ------------------------------------------------------ */

static void create_tables(void)
{
    PGconn *raw = rt_raw();
    rt_raw_exec(raw, "DROP TABLE IF EXISTS storm_rows, storm_pairs, storm_keys;"
                     "CREATE TABLE storm_rows(writer int NOT NULL, seq int NOT NULL, token text);"
                     "CREATE TABLE storm_pairs(writer int NOT NULL, seq int NOT NULL);"
                     "CREATE TABLE storm_keys(key_hash text UNIQUE);"
                     "INSERT INTO storm_keys VALUES ('" SECRET_MARK "-the-one-key')");
    PQfinish(raw);
}

/* The runtime's defaults (pre-ping window, timeouts, retries), with the
 * log scanned and every statement echoed so that the echo is scanned too. */
static sc_pool *storm_pool(int size)
{
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    cfg.conninfo = rt_url();
    cfg.pool_size = size;
    cfg.application_name = APP_NAME;
    cfg.retry_limit = 10;
    cfg.echo = true;
    cfg.log_fn = scan_log;
    sc_pool *p = NULL;
    sc_error e = {0};
    int rc = sc_pool_open(&cfg, &p, &e);
    if (rc != SC_OK)
        fail_msg("sc_pool_open: %s %s", sc_status_name(rc), e.message);
    return p;
}

static double storm_seconds(void)
{
    const char *s = getenv("SC_STORM_SECONDS");
    double v = s ? atof(s) : 2;
    return v > 0 ? v : 2;
}

/* stderr goes to a file while the storm runs: libpq's notices must reach
 * the log callback, never the terminal. */
typedef struct captured_stderr {
    int saved;
    FILE *file;
} captured_stderr;

static void capture_stderr(captured_stderr *s)
{
    fflush(stderr);
    s->file = tmpfile();
    assert_non_null(s->file);
    s->saved = dup(2);
    assert_true(dup2(fileno(s->file), 2) >= 0);
}

static size_t restore_stderr(captured_stderr *s)
{
    fflush(stderr);
    dup2(s->saved, 2);
    close(s->saved);
    long n = ftell(s->file);
    if (n > 0) {
        char buf[400] = {0};
        rewind(s->file);
        size_t got = fread(buf, 1, sizeof buf - 1, s->file);
        buf[got] = '\0';
        print_error("stderr during the storm (%ld bytes): %s\n", n, buf);
    }
    fclose(s->file);
    return n > 0 ? (size_t)n : 0;
}

/* ---- the final check ----------------------------------------------- */

typedef struct tally {
    long acked, unknown, unknown_landed, missing, duplicates, phantoms, torn, retries, conflicts, unexpected;
} tally;

static void count_outcomes(writer *ws, int n, tally *t)
{
    for (int i = 0; i < n; i++) {
        t->retries += ws[i].retries;
        t->conflicts += ws[i].conflicts;
        t->unexpected += ws[i].unexpected;
        if (ws[i].unexpected)
            print_error("writer %d: %d unexpected, first: %s\n", i, ws[i].unexpected,
                        ws[i].first_unexpected);
        for (int s = 0; s < ws[i].nseq; s++) {
            t->acked += ws[i].outcome[s] == ACKED;
            t->unknown += ws[i].outcome[s] == UNKNOWN;
        }
    }
}

/* Compares the table with what each writer was told. */
static void check_table(writer *ws, int n, tally *t)
{
    PGconn *raw = rt_raw();
    /* Grouped first and joined once: a correlated count would be quadratic
     * in the rows of a long storm. */
    PGresult *r = PQexec(raw, "SELECT writer, seq, r.copies, coalesce(p.copies, 0)"
                              " FROM (SELECT writer, seq, count(*) AS copies FROM storm_rows"
                              "       GROUP BY 1, 2) r"
                              " LEFT JOIN (SELECT writer, seq, count(*) AS copies"
                              "            FROM storm_pairs GROUP BY 1, 2) p"
                              " USING (writer, seq)");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    static unsigned char seen[WRITERS][MAX_SEQ];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < PQntuples(r); i++) {
        int w = atoi(PQgetvalue(r, i, 0)), s = atoi(PQgetvalue(r, i, 1));
        long copies = atol(PQgetvalue(r, i, 2)), pairs = atol(PQgetvalue(r, i, 3));
        assert_true(w >= 0 && w < n && s >= 0 && s < ws[w].nseq);
        seen[w][s] = 1;
        t->duplicates += copies > 1 || pairs > 1;
        t->torn += s % 2 == 1 && pairs != 1;
        t->phantoms += ws[w].outcome[s] != ACKED && ws[w].outcome[s] != UNKNOWN;
        t->unknown_landed += ws[w].outcome[s] == UNKNOWN;
    }
    PQclear(r);
    /* A pair without its row is a torn transaction too. */
    t->torn += rt_raw_int(raw, "SELECT count(*) FROM storm_pairs p"
                               " LEFT JOIN storm_rows r USING (writer, seq)"
                               " WHERE r.writer IS NULL");
    PQfinish(raw);
    for (int w = 0; w < n; w++)
        for (int s = 0; s < ws[w].nseq; s++)
            t->missing += ws[w].outcome[s] == ACKED && !seen[w][s];
}

static void assert_no_loss(const char *name, writer *ws, int n, tally *t)
{
    count_outcomes(ws, n, t);
    check_table(ws, n, t);
    print_message("%s: %ld acknowledged, %ld commit-unknown (%ld of them committed), %ld "
                  "retried attempts, %ld secret "
                  "conflicts; %ld missing, %ld duplicated, %ld phantom, %ld torn, %ld "
                  "unexpected; %ld log lines, %ld secret hits\n",
                  name, t->acked, t->unknown, t->unknown_landed, t->retries, t->conflicts, t->missing,
                  t->duplicates, t->phantoms, t->torn, t->unexpected, atomic_load(&log_lines),
                  atomic_load(&log_hits));
    if (atomic_load(&log_hits))
        fail_msg("a secret reached text: %s", first_hit);
    assert_true(t->acked > 0);
    assert_int_equal(t->missing, 0);
    assert_int_equal(t->duplicates, 0);
    assert_int_equal(t->phantoms, 0);
    assert_int_equal(t->torn, 0);
    assert_int_equal(t->unexpected, 0);
}

static writer *start_writers(sc_pool *p, atomic_bool *stop, pthread_t *threads, int n)
{
    writer *ws = calloc((size_t)n, sizeof *ws);
    assert_non_null(ws);
    for (int i = 0; i < n; i++) {
        ws[i].id = i;
        ws[i].pool = p;
        ws[i].stop = stop;
        assert_int_equal(pthread_create(&threads[i], NULL, writer_main, &ws[i]), 0);
    }
    return ws;
}

static void join_writers(pthread_t *threads, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
}

/* ---- kill storm ---------------------------------------------------- */

typedef struct killer {
    atomic_bool *stop;
    long kills;
} killer;

static void *killer_main(void *arg)
{
    killer *k = arg;
    PGconn *admin = PQconnectdb(rt_url());
    if (PQstatus(admin) != CONNECTION_OK)
        return NULL;
    while (!atomic_load(k->stop)) {
        PGresult *r = PQexec(admin, "SELECT count(pg_terminate_backend(pid)) FROM"
                                    " (SELECT pid FROM pg_stat_activity WHERE application_name"
                                    " = '" APP_NAME "' ORDER BY random() LIMIT 1) victim");
        if (PQresultStatus(r) == PGRES_TUPLES_OK)
            k->kills += atol(PQgetvalue(r, 0, 0));
        PQclear(r);
        rt_pause_ms(20);
    }
    PQfinish(admin);
    return NULL;
}

static void kill_storm(void **state)
{
    (void)state;
    create_tables();
    atomic_store(&log_lines, 0);
    atomic_store(&log_hits, 0);
    captured_stderr err_capture;
    capture_stderr(&err_capture);
    sc_pool *p = storm_pool(4);
    atomic_bool stop = false, stop_killer = false;
    pthread_t threads[WRITERS], kt;
    writer *ws = start_writers(p, &stop, threads, WRITERS);
    killer k = {&stop_killer, 0};
    assert_int_equal(pthread_create(&kt, NULL, killer_main, &k), 0);
    double until = sc_now() + storm_seconds();
    while (sc_now() < until)
        rt_pause_ms(50); /* the storm's length, not a synchronization */
    atomic_store(&stop, true);
    join_writers(threads, WRITERS);
    atomic_store(&stop_killer, true);
    pthread_join(kt, NULL);
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    assert_int_equal(sc_pool_close(p), 0);
    size_t stderr_bytes = restore_stderr(&err_capture);
    tally t = {0};
    print_message("kill storm: %.0f s, 8 writers on a pool of 4, %ld backends killed\n",
                  storm_seconds(), k.kills);
    assert_no_loss("kill storm", ws, WRITERS, &t);
    assert_true(k.kills > 0);
    assert_int_equal(stderr_bytes, 0);
    assert_true(t.conflicts > 0); /* the secret-detail path was exercised */
    free(ws);
}

/* ---- three fast restarts ------------------------------------------- */

static void restart_server(void)
{
    if (!getenv("SC_TEST_PG_CTL"))
        fail_msg("SC_TEST_PG_CTL is not set: run under tests/pg/with-pg");
    int status = system("\"$SC_TEST_PG_CTL\" restart -m fast >/dev/null 2>&1");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Waits (polling, bounded) until every writer has had a write acknowledged
 * after the point `before` was taken: recovery, seen from every thread. */
static void wait_every_writer_progressed(writer *ws, int n, const int *before)
{
    for (long spins = 0; spins < 600000; spins++) {
        int behind = 0;
        for (int i = 0; i < n; i++)
            behind += atomic_load(&ws[i].acked_count) <= before[i];
        if (!behind)
            return;
        rt_pause_ms(1);
    }
    fail_msg("a writer made no progress after a restart");
}

static void fast_restarts(void **state)
{
    (void)state;
    create_tables();
    atomic_store(&log_lines, 0);
    atomic_store(&log_hits, 0);
    enum { N = 4 };
    sc_pool *p = storm_pool(N);
    atomic_bool stop = false;
    pthread_t threads[N];
    writer *ws = start_writers(p, &stop, threads, N);
    int before[N];
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < N; i++)
            before[i] = atomic_load(&ws[i].acked_count);
        wait_every_writer_progressed(ws, N, before); /* writing before the restart */
        for (int i = 0; i < N; i++)
            before[i] = atomic_load(&ws[i].acked_count);
        restart_server();
        wait_every_writer_progressed(ws, N, before);
    }
    atomic_store(&stop, true);
    join_writers(threads, N);
    assert_int_equal(sc_pool_close(p), 0);
    tally t = {0};
    assert_no_loss("3 fast restarts", ws, N, &t);
    free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill_storm),
        cmocka_unit_test(fast_restarts),
    };
    return cmocka_run_group_tests_name("storm", tests, NULL, NULL);
}
