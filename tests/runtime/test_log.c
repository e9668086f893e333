/* Logging: DB_ECHO lines carry the statement and its duration but never a
 * secret parameter; connection strings are redacted; a password appears in
 * no log line and no error message, whatever goes wrong. */
#include "rt_helpers.h"

#define PASSWORD "PwNeverLogged42"
#define SECRET_VALUE "TokenNeverLogged77"

static const Oid login_types[] = {25, 25};
static const unsigned char login_flags[] = {0, SC_PARAM_SECRET};
static const sc_stmt login = {"log_login", "SELECT $1::text = 'alice' AND length($2) > 0", 2,
                              login_types, login_flags};

static sc_pool *echo_pool(const char *conninfo, rt_log *log)
{
    sc_pool_config cfg;
    rt_config(&cfg, 2, 0);
    cfg.conninfo = conninfo;
    cfg.echo = true;
    cfg.log_fn = rt_log_fn;
    cfg.log_ctx = log;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    return p;
}

static void echo_logs_statements_with_durations_and_masks_secrets(void **state)
{
    (void)state;
    rt_log log;
    rt_log_init(&log);
    sc_pool *p = echo_pool(rt_url(), &log);
    sc_conn *c = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    const char *vals[2] = {"alice", SECRET_VALUE};
    PGresult *r = NULL;
    assert_int_equal(sc_exec(c, &login, vals, NULL, NULL, 0, &r, &e), SC_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    assert_int_equal(sc_tx_begin(c, NULL, &e), SC_OK);
    assert_int_equal(sc_exec(c, &login, vals, NULL, NULL, 0, NULL, &e), SC_OK);
    assert_int_equal(sc_tx_commit(c, &e), SC_OK);
    assert_int_equal(sc_exec_sql(c, "SELECT 1/0", NULL, &e), SC_INVALID_INPUT);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);

    assert_int_equal(rt_log_count(&log, "log_login ok: SELECT $1::text"), 2);
    assert_int_equal(rt_log_count(&log, "$1='alice', $2=***"), 2);
    /* every statement line has a duration; the rest is the connect line */
    assert_int_equal(rt_log_count(&log, " ms "), log.n - rt_log_count(&log, "connecting to "));
    assert_true(rt_log_count(&log, "BEGIN") >= 1);
    assert_int_equal(rt_log_count(&log, "COMMIT"), 1);
    assert_int_equal(rt_log_count(&log, "SC_INVALID_INPUT: SELECT 1/0"), 1);
    assert_int_equal(rt_log_count(&log, SECRET_VALUE), 0);
    assert_int_equal(rt_log_count(&log, "pool: "), 0); /* DB_ECHO_POOL is off */
    rt_log_free(&log);
}

static void echo_pool_logs_checkouts_and_returns(void **state)
{
    (void)state;
    rt_log log;
    rt_log_init(&log);
    sc_pool_config cfg;
    rt_config(&cfg, 1, 0);
    cfg.echo_pool = true;
    cfg.log_fn = rt_log_fn;
    cfg.log_ctx = &log;
    sc_pool *p = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
        sc_pool_release(p, c);
    }
    assert_int_equal(sc_pool_close(p), 0);
    assert_int_equal(rt_log_count(&log, "pool: checkout (new connection)"), 1);
    assert_int_equal(rt_log_count(&log, "pool: checkout"), 3);
    assert_int_equal(rt_log_count(&log, "pool: return"), 3);
    assert_int_equal(rt_log_count(&log, " ms "), 0); /* DB_ECHO is off */
    rt_log_free(&log);
}

static void redaction_of_connection_strings(void **state)
{
    (void)state;
    char buf[512];
    sc_conninfo_redact("postgresql://bob:" PASSWORD "@db.example:5432/app?sslmode=require", buf,
                       sizeof buf);
    assert_null(strstr(buf, PASSWORD));
    assert_non_null(strstr(buf, "password=***"));
    assert_non_null(strstr(buf, "user=bob"));
    assert_non_null(strstr(buf, "host=db.example"));
    sc_conninfo_redact("host=h user=bob password='" PASSWORD "' dbname=app", buf, sizeof buf);
    assert_null(strstr(buf, PASSWORD));
    assert_non_null(strstr(buf, "password=***"));
    sc_conninfo_redact("postgresql://bob:" PASSWORD "@h/app?password=" PASSWORD "x", buf,
                       sizeof buf);
    assert_null(strstr(buf, PASSWORD));
    sc_conninfo_redact("host='unterminated password=" PASSWORD, buf, sizeof buf);
    assert_string_equal(buf, "<unparseable connection string>");
    sc_conninfo_redact("postgresql://bob:" PASSWORD "@h/app", buf, 10); /* truncates */
    assert_int_equal(strlen(buf), 9);
}

static void assert_no_password(rt_log *log, const sc_error *e)
{
    for (size_t i = 0; i < log->n; i++)
        if (strstr(log->lines[i], PASSWORD))
            fail_msg("password in log line: %s", log->lines[i]);
    assert_null(strstr(e->message, PASSWORD));
    assert_null(strstr(e->detail, PASSWORD));
}

/* Drives every path that logs: echo, a lost connection, pre-ping, a dirty
 * return, a refused connection, a leak. */
static void exercise(const char *conninfo, const char *refused_conninfo)
{
    rt_log log;
    rt_log_init(&log);
    sc_pool *p = echo_pool(conninfo, &log);
    sc_conn *c = NULL, *leak = NULL;
    sc_error e = {0};
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(rt_int(c, "SELECT 1"), 1);
    PGconn *admin = rt_raw();
    rt_terminate(admin, rt_server_pid(c));
    assert_int_equal(sc_exec_sql(c, "SELECT 1", NULL, &e), SC_CONNECTION);
    assert_no_password(&log, &e);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    int pid = rt_server_pid(c);
    rt_exec(c, "BEGIN");
    sc_pool_release(p, c);
    rt_terminate(admin, pid);
    PQfinish(admin);
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK); /* pre-ping replaces it */
    assert_int_equal(sc_pool_acquire(p, &leak, &e), SC_OK);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 1);
    assert_true(log.n > 5);
    assert_true(rt_log_count(&log, "connecting to ") >= 3);
    assert_int_equal(rt_log_count(&log, "connecting to "), rt_log_count(&log, "password=***"));

    sc_pool *refused = echo_pool(refused_conninfo, &log);
    sc_error_clear(&e);
    assert_int_equal(sc_pool_acquire(refused, &c, &e), SC_CONNECTION);
    assert_true(rt_log_count(&log, "password=***") >= 1); /* the redacted form is logged */
    assert_no_password(&log, &e);
    sc_pool_close(refused);
    rt_log_free(&log);
}

static void password_never_appears_in_logs(void **state)
{
    (void)state;
    RT_SKIP_BEHIND_PGBOUNCER("transaction",
                             "kills the server backend of an idle connection, which PgBouncer links to none "
                             "in transaction mode");
    const char *url = rt_url();
    /* URL form: the password in the userinfo. */
    const char *at = strchr(url, '@');
    assert_non_null(at);
    char with_pw[1024], refused[1024];
    snprintf(with_pw, sizeof with_pw, "%.*s:%s%s", (int)(at - url), url, PASSWORD, at);
    snprintf(refused, sizeof refused, "%.*s:%s@/schemac_no_such_db%s", (int)(at - url), url,
             PASSWORD, strchr(at, '?'));
    exercise(with_pw, refused);
    /* key=value form. */
    char base[1024];
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    size_t len = 0;
    base[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && strcmp(o->keyword, "dbname") != 0)
            len += (size_t)snprintf(base + len, sizeof base - len, "%s='%s' ", o->keyword,
                                    o->val);
    PQconninfoFree(opts);
    assert_true(len < 900);
    snprintf(with_pw, sizeof with_pw, "%sdbname=%s password=%s", base, getenv("PGDATABASE"),
             PASSWORD);
    snprintf(refused, sizeof refused, "%sdbname=schemac_no_such_db password=%s", base,
             PASSWORD);
    exercise(with_pw, refused);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(echo_logs_statements_with_durations_and_masks_secrets),
        cmocka_unit_test(echo_pool_logs_checkouts_and_returns),
        cmocka_unit_test(redaction_of_connection_strings),
        cmocka_unit_test(password_never_appears_in_logs),
    };
    return cmocka_run_group_tests_name("runtime logging", tests, NULL, NULL);
}
