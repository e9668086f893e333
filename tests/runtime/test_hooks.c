/* The observability hooks: one statement event per statement (generated
 * path and raw SQL) with its name, rows, status and SQLSTATE and never a
 * parameter value; one pool event per acquire (also a timed-out one) and
 * per release, with the tag and backend pid. */
#include "rt_helpers.h"

typedef struct seen {
    pthread_mutex_t mu;
    int statements, acquires, releases;
    sc_statement_event last;
    char last_name[64], last_sqlstate[6], last_sql[200];
    sc_pool_event last_pool;
    char last_tag[32];
    bool saw_value;
} seen;

static void on_statement(void *ctx, const sc_statement_event *ev)
{
    seen *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->statements++;
    s->last = *ev;
    snprintf(s->last_name, sizeof s->last_name, "%s", ev->name ? ev->name : "(raw)");
    snprintf(s->last_sqlstate, sizeof s->last_sqlstate, "%s", ev->sqlstate);
    snprintf(s->last_sql, sizeof s->last_sql, "%s", ev->sql);
    s->saw_value |= strstr(ev->sql, "hook-secret") != NULL;
    pthread_mutex_unlock(&s->mu);
}

static void on_pool(void *ctx, const sc_pool_event *ev)
{
    seen *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (ev->kind == SC_POOL_ACQUIRE)
        s->acquires++;
    else
        s->releases++;
    s->last_pool = *ev;
    snprintf(s->last_tag, sizeof s->last_tag, "%s", ev->tag ? ev->tag : "");
    pthread_mutex_unlock(&s->mu);
}

static sc_pool *hooked_pool(seen *s, double timeout_s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.timeout_s = timeout_s;
    cfg.on_statement = on_statement;
    cfg.on_pool = on_pool;
    cfg.hook_ctx = s;
    sc_pool *p = NULL;
    sc_error e = {0};
    if (sc_pool_open(&cfg, &p, &e) != SC_OK)
        fail_msg("sc_pool_open: %s", e.message);
    return p;
}

static const Oid text_type[] = {25};
static const unsigned char secret_flag[] = {SC_PARAM_SECRET};
static const sc_stmt insert_secret = {"hooks_insert", "INSERT INTO hooks_t VALUES ($1)", 1,
                                      text_type, secret_flag};

static void every_statement_is_reported_once(void **state)
{
    (void)state;
    seen s;
    sc_pool *p = hooked_pool(&s, 5);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire_tagged(p, "hooks test", &c, &e), SC_OK);
    assert_int_equal(s.acquires, 1);
    assert_int_equal(s.last_pool.status, SC_OK);
    assert_int_equal(s.last_pool.backend_pid, PQbackendPID(sc_conn_pg(c)));
    int before = s.statements;
    assert_int_equal(sc_exec_sql(c, "DROP TABLE IF EXISTS hooks_t;"
                                    " CREATE TABLE hooks_t (k text UNIQUE)", NULL, &e),
                     SC_OK);
    assert_int_equal(s.statements, before + 1);
    assert_string_equal(s.last_name, "(raw)");
    const char *values[] = {"hook-secret-1"};
    for (int i = 0; i < 3; i++) {
        sc_error_clear(&e);
        int rc = sc_exec(c, &insert_secret, values, NULL, NULL, 0, NULL, &e);
        assert_int_equal(rc, i == 0 ? SC_OK : SC_CONFLICT);
    }
    assert_int_equal(s.statements, before + 4);
    assert_string_equal(s.last_name, "hooks_insert");
    assert_int_equal(s.last.status, SC_CONFLICT);
    assert_int_equal(s.last.rows, -1);
    assert_string_equal(s.last_sqlstate, "23505");
    assert_true(s.last.seconds >= 0);
    assert_false(s.saw_value);
    PGresult *r = NULL;
    assert_int_equal(sc_exec_sql(c, "SELECT * FROM hooks_t", &r, &e), SC_OK);
    PQclear(r);
    assert_int_equal(s.last.rows, 1);
    assert_int_equal(s.last.status, SC_OK);
    assert_string_equal(s.last_sqlstate, "");
    sc_pool_release(p, c);
    assert_int_equal(s.releases, 1);
    assert_string_equal(s.last_tag, "hooks test");
    assert_true(s.last_pool.seconds >= 0);
    assert_int_equal(sc_pool_close(p), 0);
    pthread_mutex_destroy(&s.mu);
}

static void a_timed_out_acquire_is_reported(void **state)
{
    (void)state;
    seen s;
    sc_pool *p = hooked_pool(&s, 0);
    sc_conn *held = NULL, *none = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &held, &e), SC_OK);
    assert_int_equal(sc_pool_acquire(p, &none, &e), SC_TIMEOUT);
    assert_int_equal(s.acquires, 2);
    assert_int_equal(s.last_pool.status, SC_TIMEOUT);
    assert_int_equal(s.last_pool.backend_pid, 0);
    sc_pool_release(p, held);
    assert_int_equal(sc_pool_close(p), 0);
    pthread_mutex_destroy(&s.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_statement_is_reported_once),
        cmocka_unit_test(a_timed_out_acquire_is_reported),
    };
    return cmocka_run_group_tests_name("hooks", tests, NULL, NULL);
}
