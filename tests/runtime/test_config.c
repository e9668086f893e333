/* Configuration from a struct and from the spec's environment variables:
 * both URL spellings, POSTGRES_* parts, and a clear error naming the variable
 * for every malformed value. */
#include "rt_helpers.h"

static void defaults_follow_the_spec(void **state)
{
    (void)state;
    sc_pool_config cfg;
    sc_pool_config_init(&cfg);
    assert_int_equal(cfg.pool_size, 20);
    assert_int_equal(cfg.max_overflow, 40);
    assert_true(cfg.timeout_s == 30.0);
    assert_true(cfg.recycle_s == 3600.0);
    assert_true(cfg.pre_ping);
    assert_int_equal(cfg.statement_timeout_ms, 30000);
    assert_int_equal(cfg.lock_timeout_ms, 5000);
    assert_int_equal(cfg.idle_in_transaction_timeout_ms, 60000);
    assert_true(cfg.jit_off);
    assert_int_equal(cfg.retry_limit, 3);
    assert_true(cfg.retry_interval_s == 0.5);
    assert_false(cfg.echo);
    assert_int_equal(cfg.pooler, SC_POOLER_NONE);
}

static void every_variable_is_read(void **state)
{
    (void)state;
    env_pair env[] = {
        {"DATABASE_URL", "postgresql://u@localhost:5433/db"},
        {"DB_POOL_SIZE", "7"},
        {"DB_MAX_OVERFLOW", "0"},
        {"DB_POOL_TIMEOUT", "2.5"},
        {"DB_POOL_RECYCLE", "-1"},
        {"DB_POOL_PRE_PING", "false"},
        {"DB_QUERY_TIMEOUT", "12"},
        {"DB_RETRY_LIMIT", "5"},
        {"DB_RETRY_INTERVAL", "0.25"},
        {"DB_ECHO", "yes"},
        {"DB_ECHO_POOL", "on"},
        {"DB_POOLER", "transaction"},
        {NULL, NULL},
    };
    sc_pool_config cfg;
    sc_error e = {0};
    assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, env, &e), SC_OK);
    assert_string_equal(cfg.conninfo, "postgresql://u@localhost:5433/db");
    assert_int_equal(cfg.pool_size, 7);
    assert_int_equal(cfg.max_overflow, 0);
    assert_true(cfg.timeout_s == 2.5);
    assert_true(cfg.recycle_s == -1);
    assert_false(cfg.pre_ping);
    assert_int_equal(cfg.statement_timeout_ms, 12000);
    assert_int_equal(cfg.retry_limit, 5);
    assert_true(cfg.retry_interval_s == 0.25);
    assert_true(cfg.echo);
    assert_true(cfg.echo_pool);
    assert_int_equal(cfg.pooler, SC_POOLER_TRANSACTION);
    sc_pool_config_cleanup(&cfg);
    assert_null(cfg.conninfo);
    sc_pool_config_cleanup(&cfg); /* idempotent */
    sc_pool_config_cleanup(NULL);
}

static void sqlalchemy_spellings_are_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"postgresql+asyncpg://u:p@h:5432/db", "postgresql://u:p@h:5432/db"},
        {"postgresql+psycopg2://u@h/db", "postgresql://u@h/db"},
        {"postgresql+asyncpg://u@h/db?ssl=require", "postgresql://u@h/db?sslmode=require"},
        {"postgresql+asyncpg://u@h/db?ssl=true&connect_timeout=3",
         "postgresql://u@h/db?sslmode=require&connect_timeout=3"},
        {"postgres://u@h/db", "postgres://u@h/db"},
        {"postgresql+asyncpg://h/d?ssl=&ssl=&ssl=&ssl=&ssl=&ssl=&ssl=&ssl=&ssl=&ssl=",
         "postgresql://h/d?sslmode=&sslmode=&sslmode=&sslmode=&sslmode=&sslmode=&sslmode="
         "&sslmode=&sslmode=&sslmode="},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        env_pair env[] = {{"DATABASE_URL", cases[i].in}, {NULL, NULL}};
        sc_pool_config cfg;
        sc_error e = {0};
        assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, env, &e), SC_OK);
        assert_string_equal(cfg.conninfo, cases[i].out);
        sc_pool_config_cleanup(&cfg);
    }
}

/* The asyncpg spelling of the real test server's URL connects. */
static void asyncpg_url_reaches_the_server(void **state)
{
    (void)state;
    const char *url = rt_url();
    const char *rest = strstr(url, "://");
    assert_non_null(rest);
    char asyncpg[1024];
    snprintf(asyncpg, sizeof asyncpg, "postgresql+asyncpg%s%sssl=disable", rest,
             strchr(url, '?') ? "&" : "?");
    env_pair env[] = {{"DATABASE_URL", asyncpg}, {"DB_POOL_SIZE", "1"}, {NULL, NULL}};
    sc_pool_config cfg;
    sc_error e = {0};
    assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, env, &e), SC_OK);
    sc_pool *p = NULL;
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(rt_int(c, "SELECT 11"), 11);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
    sc_pool_config_cleanup(&cfg);
}

/* Without DATABASE_URL the POSTGRES_* parts build the connection. */
static void postgres_parts_build_the_connection(void **state)
{
    (void)state;
    env_pair env[] = {
        {"POSTGRES_HOST", getenv("PGHOST")},
        {"POSTGRES_PORT", getenv("PGPORT")},
        {"POSTGRES_DB", getenv("PGDATABASE")},
        {"POSTGRES_USER", getenv("PGUSER")},
        {"POSTGRES_PASSWORD", "it's \\ quoted"},
        {"DB_POOL_SIZE", "1"},
        {NULL, NULL},
    };
    sc_pool_config cfg;
    sc_error e = {0};
    assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, env, &e), SC_OK);
    PQconninfoOption *opts = PQconninfoParse(cfg.conninfo, NULL);
    assert_non_null(opts);
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0)
            assert_string_equal(o->val, "it's \\ quoted");
    PQconninfoFree(opts);
    sc_pool *p = NULL;
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK); /* trust auth ignores the password */
    assert_int_equal(rt_int(c, "SELECT 12"), 12);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
    sc_pool_config_cleanup(&cfg);
}

static void malformed_values_name_their_variable(void **state)
{
    (void)state;
    static const env_pair bad[] = {
        {"DB_POOL_SIZE", "abc"},       {"DB_POOL_SIZE", "0"},        {"DB_POOL_SIZE", "5x"},
        {"DB_MAX_OVERFLOW", "-2"},     {"DB_POOL_TIMEOUT", "soon"},  {"DB_POOL_TIMEOUT", "-1"},
        {"DB_POOL_RECYCLE", "1h"},     {"DB_POOL_PRE_PING", "maybe"}, {"DB_QUERY_TIMEOUT", "nan"},
        {"DB_RETRY_LIMIT", "3.5"},     {"DB_RETRY_INTERVAL", "inf"}, {"DB_ECHO", "2"}, {"DB_ECHO_POOL", "sometimes"},
        {"DB_POOLER", "statement"},    {"POSTGRES_PORT", "http"},
        {"DB_POOL_SIZE", "99999999999999999999"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env_pair env[] = {bad[i], {NULL, NULL}};
        sc_pool_config cfg;
        sc_error e = {0};
        int rc = sc_pool_config_from_lookup(&cfg, table_lookup, env, &e);
        if (rc != SC_INVALID_INPUT)
            fail_msg("%s=%s accepted", bad[i].name, bad[i].value);
        if (strncmp(e.message, bad[i].name, strlen(bad[i].name)) != 0)
            fail_msg("message for %s does not name it: %s", bad[i].name, e.message);
        sc_pool_config_cleanup(&cfg);
    }
}

static void malformed_url_is_an_error_without_the_password(void **state)
{
    (void)state;
    env_pair env[] = {{"DATABASE_URL", "postgresql://u:Hunter2Secret@h/db?nonsense=1"},
                      {NULL, NULL}};
    sc_pool_config cfg;
    sc_error e = {0};
    assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, env, &e), SC_INVALID_INPUT);
    assert_non_null(strstr(e.message, "DATABASE_URL"));
    assert_null(strstr(e.message, "Hunter2Secret"));
    sc_pool_config_cleanup(&cfg);

    env_pair env2[] = {{"DATABASE_URL", "postgresql://u:Hunter2%zz@h/db"}, {NULL, NULL}};
    sc_error_clear(&e);
    assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, env2, &e), SC_INVALID_INPUT);
    assert_null(strstr(e.message, "Hunter2"));
    sc_pool_config_cleanup(&cfg);
}

static void empty_variables_keep_defaults(void **state)
{
    (void)state;
    env_pair env[] = {{"DB_POOL_SIZE", ""}, {"DATABASE_URL", ""}, {NULL, NULL}};
    sc_pool_config cfg;
    sc_error e = {0};
    assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, env, &e), SC_OK);
    assert_int_equal(cfg.pool_size, 20);
    assert_string_equal(cfg.conninfo, "");
    sc_pool_config_cleanup(&cfg);
    /* The getenv variant reads the test server's DATABASE_URL. */
    assert_int_equal(sc_pool_config_from_env(&cfg, &e), SC_OK);
    assert_string_equal(cfg.conninfo, rt_url());
    sc_pool_config_cleanup(&cfg);
}

/* ---- server_settings in DATABASE_URL (spec 002 appendix B) ---------------- */

/* The config from a DATABASE_URL alone (and optional extra variables); fails
 * the test on an error. */
static void url_config(sc_pool_config *cfg, const char *url, const env_pair *extra)
{
    env_pair env[8] = {{"DATABASE_URL", url}};
    size_t n = 1;
    for (; extra && extra[n - 1].name; n++)
        env[n] = extra[n - 1];
    env[n] = (env_pair){NULL, NULL};
    sc_error e = {0};
    int rc = sc_pool_config_from_lookup(cfg, table_lookup, env, &e);
    if (rc != SC_OK)
        fail_msg("%s: %s %s", url, sc_status_name(rc), e.message);
    /* What is handed to libpq must parse. */
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(cfg->conninfo, &why);
    if (!opts)
        fail_msg("%s -> %s: %s", url, cfg->conninfo, why ? why : "?");
    PQconninfoFree(opts);
}

/* The value libpq reads for keyword in conninfo ("" when unset). */
static void expect_keyword(const char *conninfo, const char *keyword, const char *want)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    assert_non_null(opts);
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, keyword) == 0) {
            const char *got = o->val ? o->val : "";
            if (strcmp(got, want) != 0)
                fail_msg("%s: %s is '%s', expected '%s'", conninfo, keyword, got, want);
        }
    PQconninfoFree(opts);
}

static void spec_server_settings_url_is_accepted(void **state)
{
    (void)state;
    static const char *const spec[] = {
        "postgresql://user:pass@host:5432/semantik?server_settings=jit:off&statement_timeout:30000",
        "postgresql+asyncpg://user:pass@host:5432/semantik"
        "?server_settings=jit:off&statement_timeout:30000",
    };
    for (size_t i = 0; i < 2; i++) {
        sc_pool_config cfg;
        sc_pool_config_init(&cfg);
        url_config(&cfg, spec[i], NULL);
        assert_string_equal(cfg.conninfo, "postgresql://user:pass@host:5432/semantik");
        assert_true(cfg.jit_off);
        assert_int_equal(cfg.statement_timeout_ms, 30000);
        assert_int_equal(cfg.lock_timeout_ms, 5000); /* untouched defaults */
        assert_int_equal(cfg.idle_in_transaction_timeout_ms, 60000);
        sc_pool_config_cleanup(&cfg);
    }
    /* The values are really read, not just the defaults kept. */
    sc_pool_config cfg;
    url_config(&cfg, "postgresql://u@h/db?server_settings=jit:on&statement_timeout:12345", NULL);
    assert_string_equal(cfg.conninfo, "postgresql://u@h/db");
    assert_false(cfg.jit_off);
    assert_int_equal(cfg.statement_timeout_ms, 12345);
    sc_pool_config_cleanup(&cfg);
    /* The same value in DB_QUERY_TIMEOUT agrees with it. */
    const env_pair same[] = {{"DB_QUERY_TIMEOUT", "30"}, {NULL, NULL}};
    url_config(&cfg, spec[0], same);
    assert_int_equal(cfg.statement_timeout_ms, 30000);
    sc_pool_config_cleanup(&cfg);
}

static void server_settings_spellings(void **state)
{
    (void)state;
    static const struct {
        const char *query;
        int jit_off, statement_ms, lock_ms, idle_ms; /* -1: the default */
    } cases[] = {
        /* the spec's form encoded as one parameter value */
        {"server_settings=jit%3Aoff%26statement_timeout%3A20000", 1, 20000, -1, -1},
        {"server_settings=jit%3aoff%26statement_timeout%3a20000", 1, 20000, -1, -1},
        {"server_settings=jit:on,statement_timeout:20000", 0, 20000, -1, -1},
        {"server_settings=jit=on", 0, -1, -1, -1},
        {"server_settings=jit%3Don", 0, -1, -1, -1},
        {"server_settings=jit:on&statement_timeout%3A20000", 0, 20000, -1, -1},
        {"server_settings=JIT:ON", 0, -1, -1, -1},
        {"server_settings=jit:false", 1, -1, -1, -1},
        {"server_settings=jit:0", 1, -1, -1, -1},
        {"server_settings=jit:yes", 0, -1, -1, -1},
        {"server_settings=jit%3A%20on%20,%20statement_timeout%20:%201000", 0, 1000, -1, -1},
        {"server_settings=jit:on,,", 0, -1, -1, -1},
        {"server_settings=", -1, -1, -1, -1},
        {"server_settings=statement_timeout:30s", -1, 30000, -1, -1},
        {"server_settings=statement_timeout:30%20s", -1, 30000, -1, -1},
        {"server_settings=statement_timeout:0", -1, 0, -1, -1},
        {"server_settings=statement_timeout:2147483647", -1, 2147483647, -1, -1},
        {"server_settings=lock_timeout:2min&idle_in_transaction_session_timeout:1h", -1, -1,
         120000, 3600000},
        {"server_settings=idle_in_transaction_session_timeout:1d", -1, -1, -1, 86400000},
        {"server_settings=lock_timeout:250ms", -1, -1, 250, -1},
        /* a later entry wins */
        {"server_settings=statement_timeout:1&server_settings=statement_timeout:2", -1, 2, -1, -1},
        {"server_settings=jit:on&jit:off", 1, -1, -1, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[512];
        snprintf(url, sizeof url, "postgresql://u@h/db?%s", cases[i].query);
        sc_pool_config cfg;
        url_config(&cfg, url, NULL);
        if (strcmp(cfg.conninfo, "postgresql://u@h/db") != 0)
            fail_msg("%s -> %s", url, cfg.conninfo);
        sc_pool_config def;
        sc_pool_config_init(&def);
        bool jit = cases[i].jit_off < 0 ? def.jit_off : cases[i].jit_off == 1;
        if (cfg.jit_off != jit ||
            cfg.statement_timeout_ms !=
                (cases[i].statement_ms < 0 ? def.statement_timeout_ms : cases[i].statement_ms) ||
            cfg.lock_timeout_ms != (cases[i].lock_ms < 0 ? def.lock_timeout_ms : cases[i].lock_ms) ||
            cfg.idle_in_transaction_timeout_ms !=
                (cases[i].idle_ms < 0 ? def.idle_in_transaction_timeout_ms : cases[i].idle_ms))
            fail_msg("%s: jit_off %d statement %d lock %d idle %d", url, cfg.jit_off,
                     cfg.statement_timeout_ms, cfg.lock_timeout_ms,
                     cfg.idle_in_transaction_timeout_ms);
        sc_pool_config_cleanup(&cfg);
    }
}

static void other_query_parameters_are_kept(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"postgresql://u@h/db?sslmode=disable&server_settings=jit:off&statement_timeout:1000"
         "&connect_timeout=5&application_name=x",
         "postgresql://u@h/db?sslmode=disable&connect_timeout=5&application_name=x"},
        {"postgresql://u@h/db?connect_timeout=5&server_settings=jit:off&sslmode=disable",
         "postgresql://u@h/db?connect_timeout=5&sslmode=disable"},
        {"postgresql+asyncpg://u@h/db?ssl=true&server_settings=jit:off",
         "postgresql://u@h/db?sslmode=require"},
        {"postgresql://u@h/db?options=-c%20search_path%3Dpublic&server_settings=jit:off",
         "postgresql://u@h/db?options=-c%20search_path%3Dpublic"},
        /* application_name from server_settings goes to libpq, encoded */
        {"postgresql://u@h/db?server_settings=application_name:semantik,jit:off",
         "postgresql://u@h/db?application_name=semantik"},
        {"postgresql://u@h/db?connect_timeout=5&server_settings=application_name:my%20app%2Fv2",
         "postgresql://u@h/db?connect_timeout=5&application_name=my%20app%2Fv2"},
        /* no server_settings: nothing changes, separators included */
        {"postgresql://u@h/db?connect_timeout=1&sslmode=disable",
         "postgresql://u@h/db?connect_timeout=1&sslmode=disable"},
        {"postgresql://u@h/db?", "postgresql://u@h/db?"},
        /* the query starts after the user info, as libpq reads it: a '?' in
         * the password is the password's */
        {"postgresql://u:pw?server_settings=bogus:1@h/db", "postgresql://u:pw?server_settings=bogus:1@h/db"},
        {"postgresql://u:p?w@h/db?server_settings=jit:off", "postgresql://u:p?w@h/db"},
        /* a key=value conninfo is not a URL: left alone */
        {"host=h dbname=d password=a?ssl=b", "host=h dbname=d password=a?ssl=b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sc_pool_config cfg;
        url_config(&cfg, cases[i].in, NULL);
        if (strcmp(cfg.conninfo, cases[i].out) != 0)
            fail_msg("%s -> %s, expected %s", cases[i].in, cfg.conninfo, cases[i].out);
        sc_pool_config_cleanup(&cfg);
    }
    sc_pool_config cfg;
    url_config(&cfg, cases[5].in, NULL);
    expect_keyword(cfg.conninfo, "application_name", "my app/v2");
    expect_keyword(cfg.conninfo, "connect_timeout", "5");
    sc_pool_config_cleanup(&cfg);
    url_config(&cfg, cases[9].in, NULL);
    expect_keyword(cfg.conninfo, "password", "p?w");
    sc_pool_config_cleanup(&cfg);
}

/* Every refusal is SC_INVALID_INPUT naming DATABASE_URL and what is wrong,
 * and never shows the password, wherever it is in the URL. */
static void bad_server_settings_are_refused_without_the_password(void **state)
{
    (void)state;
    static const struct {
        const char *query, *named;
    } bad[] = {
        {"server_settings=search_path:public", "'search_path'"},
        {"server_settings=jit:off&work_mem:64MB", "'work_mem'"},
        {"server_settings=jit:off,default_transaction_isolation:serializable",
         "'default_transaction_isolation'"},
        {"server_settings=search_path%3Apublic", "options=-c%20search_path%3D<value>"},
        {"server_settings=jit:maybe", "jit: expected on or off"},
        {"server_settings=statement_timeout:abc", "statement_timeout: expected milliseconds"},
        {"server_settings=statement_timeout:abc", "DB_QUERY_TIMEOUT"},
        {"server_settings=statement_timeout:-1", "statement_timeout"},
        {"server_settings=statement_timeout:2147483648", "statement_timeout"},
        {"server_settings=statement_timeout:99999999999999999999999", "statement_timeout"},
        {"server_settings=lock_timeout:5parsecs", "lock_timeout"},
        {"server_settings=lock_timeout:1.5s", "lock_timeout"},
        {"server_settings=idle_in_transaction_session_timeout:25000d",
         "idle_in_transaction_session_timeout"},
        {"server_settings=statement_timeout:", "statement_timeout has no value"},
        {"server_settings=jit", "'jit' is not name:value"},
        {"server_settings=jit:off&statement_timeout", "'statement_timeout' is not name:value"},
        {"server_settings=jit%3", "percent-encoding"},
        {"server_settings=jit%3Aoff%00", "percent-encoding"},
        {"application_name=a&server_settings=application_name:b", "application_name is given twice"},
        {"server_settings=%01forged:1", "'?forged'"}, /* control bytes are not copied */
    };
    static const struct {
        const char *fmt, *password; /* the password as it is written in fmt */
    } urls[] = {
        {"postgresql://u:Hunter2Secret@h/db?%s", "Hunter2Secret"},
        {"postgresql+asyncpg://u:Hunter2Secret@h/db?%s", "Hunter2Secret"},
        {"postgresql://u@h/db?password=Hunter2Secret&%s", "Hunter2Secret"},
        {"postgresql://u:Hunter2%%3FSecret@h/db?%s", "Hunter2%3FSecret"},
        {"postgresql://u:Hunter2?Secret@h/db?%s", "Hunter2?Secret"},
    };
    for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
        for (size_t i = 0; i <= sizeof bad / sizeof bad[0]; i++) {
            char query[128], url[512];
            const char *named = "jit: expected on or off";
            if (i < sizeof bad / sizeof bad[0]) {
                snprintf(query, sizeof query, "%s", bad[i].query);
                named = bad[i].named;
            } else { /* the password pasted as a value */
                snprintf(query, sizeof query, "server_settings=jit:%s", urls[u].password);
            }
            snprintf(url, sizeof url, urls[u].fmt, query);
            env_pair env[] = {{"DATABASE_URL", url}, {NULL, NULL}};
            sc_pool_config cfg;
            sc_error e = {0};
            int rc = sc_pool_config_from_lookup(&cfg, table_lookup, env, &e);
            if (rc != SC_INVALID_INPUT)
                fail_msg("%s: %s, not refused", url, sc_status_name(rc));
            assert_int_equal(e.category, SC_INVALID_INPUT);
            if (strncmp(e.message, "DATABASE_URL", 12) != 0 || !strstr(e.message, named))
                fail_msg("%s: message does not say %s: %s", url, named, e.message);
            if (strstr(e.message, "Hunter2") || strstr(e.detail, "Hunter2"))
                fail_msg("%s: the password is in the message: %s", url, e.message);
            for (const char *p = e.message; *p; p++)
                assert_true((unsigned char)*p >= 0x20);
            assert_null(cfg.conninfo); /* cleaned up */
            sc_pool_config_cleanup(&cfg);
        }
    }
}

static void statement_timeout_must_agree_with_db_query_timeout(void **state)
{
    (void)state;
    env_pair env[] = {{"DATABASE_URL", "postgresql://u:Hunter2Secret@h/db?server_settings="
                                       "jit:off&statement_timeout:30000"},
                      {"DB_QUERY_TIMEOUT", "20"},
                      {NULL, NULL}};
    sc_pool_config cfg;
    sc_error e = {0};
    assert_int_equal(sc_pool_config_from_lookup(&cfg, table_lookup, env, &e), SC_INVALID_INPUT);
    assert_non_null(strstr(e.message, "statement_timeout (30000 ms)"));
    assert_non_null(strstr(e.message, "DB_QUERY_TIMEOUT (20000 ms)"));
    assert_null(strstr(e.message, "Hunter2"));
    sc_pool_config_cleanup(&cfg);
}

/* Out of memory anywhere on the way is SC_NO_MEMORY, nothing leaks (the
 * sanitizer build checks), and the next call works. */
static void server_settings_under_allocation_failures(void **state)
{
    (void)state;
    const char *url = "postgresql://u:pw@h/db?connect_timeout=3&server_settings=application_name:x,jit:on"
                      "&statement_timeout:7";
    for (int n = 1; n < 20; n++) {
        sc_test_fail_allocation(n);
        env_pair env[] = {{"DATABASE_URL", url}, {NULL, NULL}};
        sc_pool_config cfg;
        sc_error e = {0};
        int rc = sc_pool_config_from_lookup(&cfg, table_lookup, env, &e);
        sc_test_fail_allocation(0);
        if (rc == SC_OK) {
            assert_string_equal(cfg.conninfo,
                                "postgresql://u:pw@h/db?connect_timeout=3&application_name=x");
            assert_false(cfg.jit_off);
            assert_int_equal(cfg.statement_timeout_ms, 7);
        } else if (rc != SC_NO_MEMORY) {
            fail_msg("allocation %d: %s %s", n, sc_status_name(rc), e.message);
        }
        sc_pool_config_cleanup(&cfg);
    }
}

/* The spec's URL form on the real test server: the pool opens, and the
 * session has what server_settings asked for. */
static void server_settings_reach_the_server(void **state)
{
    (void)state;
    const char *url = rt_url();
    char with[1024];
    snprintf(with, sizeof with,
             "%s%sserver_settings=jit:off&statement_timeout:4321&lock_timeout:1234"
             "&idle_in_transaction_session_timeout:98765&application_name:semantik%%20test",
             url, strchr(url, '?') ? "&" : "?");
    env_pair env[] = {{"DATABASE_URL", with}, {"DB_POOL_SIZE", "1"}, {NULL, NULL}};
    sc_pool_config cfg;
    sc_error e = {0};
    int rc = sc_pool_config_from_lookup(&cfg, table_lookup, env, &e);
    if (rc != SC_OK)
        fail_msg("%s: %s", sc_status_name(rc), e.message);
    sc_pool *p = NULL;
    assert_int_equal(sc_pool_open(&cfg, &p, &e), SC_OK);
    sc_conn *c = NULL;
    assert_int_equal(sc_pool_acquire(p, &c, &e), SC_OK);
    assert_int_equal(rt_int(c, "SELECT (current_setting('jit') = 'off')::int"), 1);
    assert_int_equal(rt_int(c, "SELECT (current_setting('statement_timeout') = '4321ms')::int"),
                     1);
    assert_int_equal(rt_int(c, "SELECT (current_setting('lock_timeout') = '1234ms')::int"), 1);
    assert_int_equal(
        rt_int(c, "SELECT (current_setting('idle_in_transaction_session_timeout') = '98765ms')::int"),
        1);
    assert_int_equal(
        rt_int(c, "SELECT (current_setting('application_name') = 'semantik test')::int"), 1);
    sc_pool_release(p, c);
    assert_int_equal(sc_pool_close(p), 0);
    sc_pool_config_cleanup(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_follow_the_spec),
        cmocka_unit_test(every_variable_is_read),
        cmocka_unit_test(sqlalchemy_spellings_are_accepted),
        cmocka_unit_test(asyncpg_url_reaches_the_server),
        cmocka_unit_test(postgres_parts_build_the_connection),
        cmocka_unit_test(malformed_values_name_their_variable),
        cmocka_unit_test(malformed_url_is_an_error_without_the_password),
        cmocka_unit_test(empty_variables_keep_defaults),
        cmocka_unit_test(spec_server_settings_url_is_accepted),
        cmocka_unit_test(server_settings_spellings),
        cmocka_unit_test(other_query_parameters_are_kept),
        cmocka_unit_test(bad_server_settings_are_refused_without_the_password),
        cmocka_unit_test(statement_timeout_must_agree_with_db_query_timeout),
        cmocka_unit_test(server_settings_under_allocation_failures),
        cmocka_unit_test(server_settings_reach_the_server),
    };
    return cmocka_run_group_tests_name("runtime config", tests, NULL, NULL);
}
