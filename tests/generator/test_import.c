/* schemac import against the real server (gen_import, in-process):
 * - the round trip, for every schema of the repository (semantik.yaml, the
 *   ERD example, the migration scenario, every scenario case's after.yaml):
 *   migrate up, import, generate from the imported file, migrate up into a
 *   second database, and the two catalogs (catalog.h, the one `migrate
 *   drift` reads) are equal; importing the second database gives the same
 *   bytes again, and nothing is reported as left out;
 * - a database made by hand-written SQL with what semantik.yaml does not
 *   use (RANGE and HASH partitions, identity columns, INCLUDE indexes, an
 *   exclusion constraint, a domain, views over views): import reports
 *   exactly the objects the language cannot say, and the round trip
 *   differs from the original in exactly those;
 * - adoption: import, migrate new, migrate stamp head, then migrate up runs
 *   nothing and migrate drift finds no drift;
 * - a file the generator would refuse is written and each refusal reported;
 * - the command line: exit 1 with the file written when something was left
 *   out, 2 and no file on an error. */
#include "migrate_testlib.h"

#include <glob.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "catalog.h"
#include "drift.h"
#include "import.h"
#include "schemac_gen.h"

static char *url_of(const char *db)
{
    PGconn *c = tl_connect(NULL);
    char *url = malloc(1024);
    snprintf(url, 1024, "host=%s port=%s user=%s dbname=%s", PQhost(c), PQport(c), PQuser(c), db);
    PQfinish(c);
    return url;
}

/* gen_import of db's schema into file; the report in *report. */
static int import_to(const char *db, const char *schema, const char *file, char **report)
{
    size_t len;
    FILE *rep = open_memstream(report, &len), *out = fopen(file, "w");
    assert_non_null(out);
    char *url = url_of(db);
    gen_import_options o = {url, schema, NULL, out, rep};
    sc_migrate_error err = {{0}};
    int rc = gen_import(&o, &err);
    fclose(out);
    fclose(rep);
    free(url);
    if (rc == GEN_IMPORT_ERROR)
        fail_msg("import of %s: %s", db, err.message);
    return rc;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *s = NULL;
    size_t n = 0;
    assert_true(getdelim(&s, &n, '\0', f) >= 0);
    fclose(f);
    return s;
}

/* What a round trip's databases need before the migrations run (an
 * extension the schema's types come from); NULL for nothing. */
static const char *prepare_sql;

/* The schema's migrations from scratch, applied to a new database db. */
static PGconn *migrated(const char *yaml, const char *dir, const char *db)
{
    tl_migrate_new(yaml, dir, "initial");
    sc_migrations m;
    tl_load(dir, &m);
    PGconn *c = tl_db_create(db);
    if (prepare_sql)
        tl_exec(c, "%s", prepare_sql);
    tl_up(c, &m, NULL);
    sc_migrations_free(&m);
    return c;
}

/* The differences of b's catalog from a's, one line each ("" for none). */
static char *catalog_diff(PGconn *a, PGconn *b, const char *schema)
{
    gen_catalog ca, cb;
    sc_migrate_error err = {{0}};
    const char *schemas[1] = {schema};
    if (gen_catalog_read(a, schemas, 1, &ca, &err) || gen_catalog_read(b, schemas, 1, &cb, &err))
        fail_msg("%s", err.message);
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    gen_catalog_diff(&cb, &ca, out);
    fclose(out);
    gen_catalog_free(&ca);
    gen_catalog_free(&cb);
    return text;
}

/* The schema name of a schema file (its "schema:" line). */
static void schema_of(const char *yaml, char *out, size_t size)
{
    char *text = slurp(yaml), *at = strstr(text, "\nschema: ");
    assert_non_null(at);
    snprintf(out, size, "%.*s", (int)strcspn(at + 9, " \n#"), at + 9);
    free(text);
}

static void generates(const char *yaml, const char *dir)
{
    char out[600];
    snprintf(out, sizeof out, "%s/gen", dir);
    gen_options o = {.schema_path = yaml, .out_dir = out};
    gen_diag d;
    gen_diag_init(&d, NULL, NULL);
    int rc = gen_generate(&o, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    assert_int_equal(rc, 0);
}

/* Imports db into dir/imported.yaml, builds that into db2; the catalog
 * difference and the report come back (malloc'd). */
static char *second_database(PGconn *c, const char *db, const char *db2, const char *schema,
                             const char *dir, char **report, char **yaml_text, int *rc)
{
    char imported[600], dir2[600];
    snprintf(imported, sizeof imported, "%s/imported.yaml", dir);
    snprintf(dir2, sizeof dir2, "%s/m2", dir);
    assert_int_equal(mkdir(dir2, 0700), 0);
    *rc = import_to(db, schema, imported, report);
    generates(imported, dir);
    PGconn *c2 = migrated(imported, dir2, db2);
    char *diff = catalog_diff(c, c2, schema);
    *yaml_text = slurp(imported);
    char again[600], *report2;
    snprintf(again, sizeof again, "%s/again.yaml", dir);
    import_to(db2, schema, again, &report2);
    char *text2 = slurp(again);
    if (strcmp(text2, *yaml_text) != 0)
        tl_dumps_equal(text2, *yaml_text, "importing the round trip's database");
    free(text2);
    free(report2);
    tl_db_drop(c2, db2);
    return diff;
}

/* The round trip of yaml: equal catalogs, and the report is exactly want. */
static void round_trip_reporting(const char *yaml, const char *want)
{
    char schema[128], *report, *text;
    schema_of(yaml, schema, sizeof schema);
    char *dir = tl_tmpdir(), dir1[600];
    snprintf(dir1, sizeof dir1, "%s/m1", dir);
    assert_int_equal(mkdir(dir1, 0700), 0);
    PGconn *c = migrated(yaml, dir1, "imp_a");
    int rc;
    char *diff = second_database(c, "imp_a", "imp_b", schema, dir, &report, &text, &rc);
    if (rc != (*want ? GEN_IMPORT_LEFT_OUT : GEN_IMPORT_EXACT) || *diff || strcmp(report, want))
        fail_msg("%s: the round trip differs:\n%s\nreport:\n%s\nimported:\n%.3000s", yaml, diff,
                 report, text);
    free(diff);
    free(report);
    free(text);
    tl_db_drop(c, "imp_a");
    tl_rmdir(dir);
}

static void round_trip(const char *yaml)
{
    round_trip_reporting(yaml, "");
}

static bool available(const char *extension)
{
    PGconn *c = tl_connect(NULL);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_available_extensions WHERE name = '%s'",
             extension);
    char *n = tl_value(c, sql);
    bool yes = strcmp(n, "1") == 0;
    free(n);
    PQfinish(c);
    return yes;
}

static void semantik_round_trips(void **state)
{
    (void)state;
    round_trip("schema/semantik.yaml");
}

static void examples_round_trip(void **state)
{
    (void)state;
    /* vector(3) with extensions: [vector]: the import says extensions: too */
    if (available("vector")) {
        round_trip("tests/generator/erd/small.yaml");
        round_trip("tests/generator/import/scoped_vectors.yaml");
        round_trip("examples/bookmarks.yaml");
    } else {
        printf("skipped: tests/generator/erd/small.yaml, import/scoped_vectors.yaml and "
               "examples/bookmarks.yaml round trips (pgvector is not installed)\n");
    }
    round_trip("tests/generator/tenancy/schema.yaml");
    /* contrib types in the schema itself (as test_types.c installs them):
     * the types map, the extensions are where extensions: cannot put them */
    prepare_sql = "CREATE SCHEMA tyt; CREATE EXTENSION hstore SCHEMA tyt; CREATE EXTENSION "
                  "ltree SCHEMA tyt; CREATE EXTENSION citext SCHEMA tyt";
    round_trip_reporting("tests/generator/types/types.yaml",
                         "not expressible: extension citext: installed in schema tyt; "
                         "extensions: creates its extensions in public\n"
                         "not expressible: extension hstore: installed in schema tyt; "
                         "extensions: creates its extensions in public\n"
                         "not expressible: extension ltree: installed in schema tyt; "
                         "extensions: creates its extensions in public\n");
    prepare_sql = NULL;
    round_trip("tests/migrate/scenario/before.yaml");
    round_trip("tests/migrate/scenario/after.yaml");
}

static void scenario_final_states_round_trip(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("tests/migrate/case_*/after.yaml", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 40);
    for (size_t i = 0; i < g.gl_pathc; i++)
        round_trip(g.gl_pathv[i]);
    globfree(&g);
}

/* ---- a database made by hand ------------------------------------------- */

static const char *const hand_sql[] = {
    "CREATE SCHEMA hand",
    "SET search_path = hand",
    "CREATE DOMAIN positive AS integer CHECK (VALUE > 0)",
    "CREATE TYPE mood AS ENUM ('calm', 'busy')",
    "CREATE TABLE owners (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "name text NOT NULL, mood mood NOT NULL DEFAULT 'calm', score positive)",
    "CREATE TABLE events (id bigserial, at timestamptz NOT NULL, owner_id integer NOT NULL "
    "REFERENCES owners (id) ON DELETE CASCADE, body jsonb, PRIMARY KEY (id, at)) "
    "PARTITION BY RANGE (at)",
    "CREATE TABLE events_2026_h1 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO "
    "('2026-07-01')",
    "CREATE TABLE events_2026_h2 PARTITION OF events FOR VALUES FROM ('2026-07-01') TO "
    "('2027-01-01')",
    "CREATE TABLE events_other PARTITION OF events DEFAULT",
    "CREATE INDEX events_owner ON events (owner_id) INCLUDE (body)",
    "CREATE TABLE buckets (k bigint NOT NULL, v text, PRIMARY KEY (k)) PARTITION BY HASH (k)",
    "CREATE TABLE buckets_p0 PARTITION OF buckets FOR VALUES WITH (MODULUS 4, REMAINDER 0)",
    "CREATE TABLE buckets_p1 PARTITION OF buckets FOR VALUES WITH (MODULUS 4, REMAINDER 1)",
    "CREATE TABLE buckets_p2 PARTITION OF buckets FOR VALUES WITH (MODULUS 4, REMAINDER 2)",
    "CREATE TABLE buckets_p3 PARTITION OF buckets FOR VALUES WITH (MODULUS 4, REMAINDER 3)",
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "CREATE TABLE bookings (id serial PRIMARY KEY, room integer NOT NULL, during tstzrange NOT "
    "NULL, EXCLUDE USING gist (room WITH =, during WITH &&))",
    "CREATE TABLE rooms (id integer PRIMARY KEY, name varchar(40) NOT NULL, seats smallint "
    "NOT NULL DEFAULT 4 CHECK (seats > 0), UNIQUE (name))",
    "CREATE INDEX rooms_name_pattern ON rooms (name text_pattern_ops)",
    "CREATE INDEX rooms_lower ON rooms (lower(name))",
    "CREATE INDEX rooms_name_fill ON rooms (name DESC) WITH (fillfactor = 70)",
    "CREATE TABLE hosts (id integer PRIMARY KEY, addr inet NOT NULL, net cidr, mac macaddr, "
    "code char(4), at time)",
    "CREATE VIEW busy_owners AS SELECT id, name FROM owners WHERE mood = 'busy'",
    "CREATE VIEW busy_owner_names AS SELECT name FROM busy_owners",
    "COMMENT ON TABLE rooms IS 'Rooms: where things happen, #1'",
    "RESET search_path",
};

static PGconn *hand_database(const char *db)
{
    PGconn *c = tl_db_create(db);
    for (size_t i = 0; i < sizeof hand_sql / sizeof hand_sql[0]; i++)
        tl_exec(c, "%s", hand_sql[i]);
    return c;
}

static const char hand_report[] =
    "not expressible: domain positive: the schema language has no such type\n"
    "not expressible: extension btree_gist: installed in schema hand; extensions: creates its "
    "extensions in public\n"
    "not expressible: exclusion constraint bookings.bookings_room_during_excl: EXCLUDE USING "
    "gist (room WITH =, during WITH &&)\n"
    "not expressible: column owners.id: GENERATED ALWAYS AS IDENTITY; imported as a plain "
    "integer column\n"
    "not expressible: column owners.score: type positive is a domain\n";

/* The round trip's catalog differs in what the report names, nothing else. */
static const char hand_diff[] =
    "missing domain hand.positive: integer, constraints positive_check CHECK ((VALUE > 0))\n"
    "missing sequence hand.owners_id_seq: integer, start 1, increment 1, minimum 1, maximum "
    "2147483647, cache 1, owned by hand.owners.id\n"
    "changed identity of column hand.owners.id: 'always' -> ''\n"
    "missing column hand.owners.score: hand.positive\n"
    "missing constraint hand.bookings.bookings_room_during_excl: EXCLUDE USING gist (room WITH "
    "=, during WITH &&)\n";

/* What the language does say of that database: RANGE partitions with a
 * DEFAULT, HASH partitions by a pattern, INCLUDE, an expression index, a
 * comment with a colon and a hash, views in dependency order. */
static const char *const hand_yaml_has[] = {
    "    partition: { by: hash, key: k, count: 4, name: \"buckets_p{nn}\" }\n",
    "        - { name: events_2026_h1, from: \"'2026-01-01 00:00:00+00'\", to: "
    "\"'2026-07-01 00:00:00+00'\" }\n",
    "      default: events_other\n",
    "      - { name: events_owner, columns: [owner_id], include: [body] }\n",
    "      - { name: rooms_lower, expression: lower(name::text) }\n",
    "      - { name: rooms_name_pattern, columns: [name text_pattern_ops] }\n",
    "      - name: rooms_name_fill\n        columns: [name DESC]\n        with: { fillfactor: 70 }\n",
    "    columns:\n      id: { type: integer, primary_key: true }\n      addr: inet\n",
    "    comment: \"Rooms: where things happen, #1\"\n",
    "  busy_owner_names:\n    depends_on: [busy_owners]\n",
};

static void hand_made_database_reports_what_it_leaves_out(void **state)
{
    (void)state;
    char *dir = tl_tmpdir(), *report, *text;
    PGconn *c = hand_database("imp_hand");
    int rc;
    char *diff = second_database(c, "imp_hand", "imp_hand2", "hand", dir, &report, &text, &rc);
    assert_int_equal(rc, GEN_IMPORT_LEFT_OUT);
    assert_string_equal(report, hand_report);
    assert_string_equal(diff, hand_diff);
    for (size_t i = 0; i < sizeof hand_yaml_has / sizeof hand_yaml_has[0]; i++)
        if (!strstr(text, hand_yaml_has[i]))
            fail_msg("the imported file lacks\n%s\n%s", hand_yaml_has[i], text);
    assert_true(strstr(text, "  busy_owners:") < strstr(text, "  busy_owner_names:"));
    free(diff);
    free(report);
    free(text);
    tl_db_drop(c, "imp_hand");
    tl_rmdir(dir);
}

/* pgvector made by hand in public (where extensions: puts it): the types,
 * the index methods with their operator classes and parameters all say
 * themselves, and the file says extensions: [vector]. */
static const char *const vector_sql[] = {
    "CREATE EXTENSION vector",
    "CREATE SCHEMA vec",
    "CREATE TABLE vec.docs (id bigint PRIMARY KEY, embedding public.vector(3), small "
    "public.halfvec(2), body tsvector, q tsquery)",
    "CREATE INDEX docs_hnsw ON vec.docs USING hnsw (embedding public.vector_cosine_ops) WITH "
    "(m = 16, ef_construction = 64)",
    "CREATE INDEX docs_ivf ON vec.docs USING ivfflat (small public.halfvec_l2_ops) WITH (lists "
    "= 100)",
    "CREATE INDEX docs_body ON vec.docs USING gin (body)",
};

static const char *const vector_yaml_has[] = {
    "\nextensions: [vector]\n",
    "      embedding: { type: vector(3), nullable: true }\n",
    "      small: { type: halfvec(2), nullable: true }\n",
    "      q: { type: tsquery, c_type: text, nullable: true }\n",
    "      - name: docs_hnsw\n        columns: [embedding vector_cosine_ops]\n        method: "
    "hnsw\n        with: { m: 16, ef_construction: 64 }\n",
    "      - name: docs_ivf\n        columns: [small halfvec_l2_ops]\n        method: ivfflat\n"
    "        with: { lists: 100 }\n",
    "      - { name: docs_body, columns: [body], method: gin }\n",
};

static void hand_made_vectors_import_exactly(void **state)
{
    (void)state;
    if (!available("vector")) {
        printf("skipped: hand_made_vectors_import_exactly (pgvector is not installed)\n");
        return;
    }
    char *dir = tl_tmpdir(), *report, *text;
    PGconn *c = tl_db_create("imp_vec");
    for (size_t i = 0; i < sizeof vector_sql / sizeof vector_sql[0]; i++)
        tl_exec(c, "%s", vector_sql[i]);
    int rc;
    char *diff = second_database(c, "imp_vec", "imp_vec2", "vec", dir, &report, &text, &rc);
    assert_string_equal(report, "");
    assert_string_equal(diff, "");
    assert_int_equal(rc, GEN_IMPORT_EXACT);
    for (size_t i = 0; i < sizeof vector_yaml_has / sizeof vector_yaml_has[0]; i++)
        if (!strstr(text, vector_yaml_has[i]))
            fail_msg("the imported file lacks\n%s\n%s", vector_yaml_has[i], text);
    free(diff);
    free(report);
    free(text);
    tl_db_drop(c, "imp_vec");
    tl_rmdir(dir);
}

/* ---- adoption ---------------------------------------------------------- */

static const char *const adopt_sql[] = {
    "CREATE SCHEMA adopt",
    "SET search_path = adopt",
    "CREATE TYPE state AS ENUM ('open', 'done')",
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, "
    "adopt AS $$\nBEGIN\n  NEW.changed_at := now();\n  RETURN NEW;\nEND;\n$$",
    "CREATE TABLE lists (id serial PRIMARY KEY, title varchar(80) NOT NULL UNIQUE)",
    "CREATE TABLE items (id bigserial PRIMARY KEY, list_id integer NOT NULL REFERENCES lists "
    "ON DELETE CASCADE, state state NOT NULL DEFAULT 'open', qty integer NOT NULL DEFAULT 1 "
    "CHECK (qty > 0), kind varchar(10) NOT NULL CHECK (kind IN ('a', 'b')), changed_at "
    "timestamptz, note text)",
    "CREATE INDEX items_open ON items (list_id) WHERE state = 'open'",
    "CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch()",
    "CREATE VIEW open_items AS SELECT id, list_id FROM items WHERE state = 'open'",
    "COMMENT ON COLUMN items.note IS 'free text'",
    "RESET search_path",
};

static void adoption_stamps_without_running_anything(void **state)
{
    (void)state;
    char *dir = tl_tmpdir(), yaml[600], mdir[600], *report, *before, *url = url_of("imp_adopt");
    snprintf(yaml, sizeof yaml, "%s/adopt.yaml", dir);
    snprintf(mdir, sizeof mdir, "%s/migrations", dir);
    assert_int_equal(mkdir(mdir, 0700), 0);
    PGconn *c = tl_db_create("imp_adopt");
    for (size_t i = 0; i < sizeof adopt_sql / sizeof adopt_sql[0]; i++)
        tl_exec(c, "%s", adopt_sql[i]);
    assert_int_equal(import_to("imp_adopt", "adopt", yaml, &report), GEN_IMPORT_EXACT);
    assert_string_equal(report, "");
    tl_migrate_new(yaml, mdir, "initial");
    sc_migrations m;
    tl_load(mdir, &m);
    sc_migrate_error err = {{0}};
    if (sc_migrate_stamp(c, &m, "head", NULL, &err))
        fail_msg("stamp: %s", err.message);
    before = tl_dump(c, "adopt");
    tl_up(c, &m, NULL); /* nothing to run: the objects exist already */
    char *after = tl_dump(c, "adopt");
    tl_dumps_equal(after, before, "migrate up after stamp");
    tl_expect(c, "SELECT string_agg(revision, ',') FROM schemac.migrations", "0001");
    char *out;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    gen_drift_options o = {url, NULL, mdir, f};
    int rc = gen_drift(&o, &err);
    fclose(f);
    if (rc != GEN_DRIFT_NONE)
        fail_msg("drift %d: %s%s", rc, err.message, out);
    assert_string_equal(out, "no drift (revision 0001)\n");
    free(out);
    free(before);
    free(after);
    free(report);
    free(url);
    sc_migrations_free(&m);
    tl_db_drop(c, "imp_adopt");
    tl_rmdir(dir);
}

/* A file the generator would refuse (a C keyword as a column name) is
 * still written, and each refusal is a report line. */
static void generator_refusals_are_reported(void **state)
{
    (void)state;
    char *dir = tl_tmpdir(), yaml[600], *report;
    snprintf(yaml, sizeof yaml, "%s/c.yaml", dir);
    PGconn *c = tl_db_create("imp_refused");
    tl_exec(c, "CREATE SCHEMA refused");
    tl_exec(c, "CREATE TABLE refused.t (id integer PRIMARY KEY, double real NOT NULL)");
    assert_int_equal(import_to("imp_refused", "refused", yaml, &report), GEN_IMPORT_LEFT_OUT);
    assert_string_equal(report, "not expressible: the generator refuses imported.yaml:10:7: "
                                "error: column name 'double' would clash with a C keyword or a "
                                "name of the generated code; choose another name\n");
    char *text = slurp(yaml);
    assert_non_null(strstr(text, "      double: real\n"));
    free(text);
    free(report);
    tl_db_drop(c, "imp_refused");
    tl_rmdir(dir);
}

/* ---- the command line -------------------------------------------------- */

static int cli(const char *args)
{
    const char *bin = getenv("SC_TEST_SCHEMAC") ? getenv("SC_TEST_SCHEMAC") : "build/schemac";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s import %s", bin, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void command_line_exit_status_says_what_was_left_out(void **state)
{
    (void)state;
    char *dir = tl_tmpdir(), args[1600], file[600], errs[600];
    char *url = url_of("imp_cli");
    PGconn *c = hand_database("imp_cli");
    snprintf(file, sizeof file, "%s/hand.yaml", dir);
    snprintf(errs, sizeof errs, "%s/stderr", dir);
    snprintf(args, sizeof args, "--database '%s' --schema hand --out %s 2>%s", url, file, errs);
    assert_int_equal(cli(args), 1);
    char *text = slurp(file), *stderr_text = slurp(errs);
    assert_non_null(strstr(text, "\nschema: hand\n"));
    assert_string_equal(stderr_text, hand_report);
    free(text);
    free(stderr_text);
    snprintf(file, sizeof file, "%s/none.yaml", dir);
    snprintf(args, sizeof args, "--database '%s' --schema nosuch --out %s 2>%s", url, file, errs);
    assert_int_equal(cli(args), 2);
    assert_int_equal(access(file, F_OK), -1); /* an error writes nothing */
    stderr_text = slurp(errs);
    assert_string_equal(stderr_text, "schemac import: database imp_cli has no schema nosuch\n");
    free(stderr_text);
    assert_int_equal(cli("--bogus 2>/dev/null"), 2);
    free(url);
    tl_db_drop(c, "imp_cli");
    tl_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_made_database_reports_what_it_leaves_out),
        cmocka_unit_test(adoption_stamps_without_running_anything),
        cmocka_unit_test(hand_made_vectors_import_exactly),
        cmocka_unit_test(command_line_exit_status_says_what_was_left_out),
        cmocka_unit_test(generator_refusals_are_reported),
        cmocka_unit_test(semantik_round_trips),
        cmocka_unit_test(examples_round_trip),
        cmocka_unit_test(scenario_final_states_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
