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
    };
    return cmocka_run_group_tests_name("runtime config", tests, NULL, NULL);
}
