/* sc_uuid_v4: the text form the generated code validates, version 4 and
 * the RFC 4122 variant, no repeats, accepted by the server as uuid. */
#include "rt_helpers.h"

static bool lower_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

static void form_version_and_variant(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        char id[37];
        assert_true(sc_uuid_v4(id));
        assert_int_equal(strlen(id), 36);
        for (int k = 0; k < 36; k++) {
            if (k == 8 || k == 13 || k == 18 || k == 23)
                assert_int_equal(id[k], '-');
            else
                assert_true(lower_hex(id[k]));
        }
        assert_int_equal(id[14], '4');
        assert_non_null(strchr("89ab", id[19]));
    }
    assert_false(sc_uuid_v4(NULL));
}

static int by_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void ten_thousand_without_a_repeat(void **state)
{
    (void)state;
    enum { N = 10000 };
    static char ids[N][37];
    for (int i = 0; i < N; i++)
        assert_true(sc_uuid_v4(ids[i]));
    qsort(ids, N, sizeof ids[0], by_text);
    for (int i = 1; i < N; i++)
        assert_int_not_equal(strcmp(ids[i - 1], ids[i]), 0);
}

static void the_server_reads_it_back_unchanged(void **state)
{
    (void)state;
    char id[37], sql[160];
    assert_true(sc_uuid_v4(id));
    snprintf(sql, sizeof sql, "SELECT ('%s'::uuid)::text = '%s'", id, id);
    PGconn *pg = rt_raw();
    PGresult *r = PQexec(pg, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    PQfinish(pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(form_version_and_variant),
        cmocka_unit_test(ten_thousand_without_a_repeat),
        cmocka_unit_test(the_server_reads_it_back_unchanged),
    };
    return cmocka_run_group_tests_name("uuid", tests, NULL, NULL);
}
