/* Health: a ping (spec 001 §11) and the partition health report of spec 001
 * §11 / 002 §7.3 (implementation detection, key verification, distribution
 * and skew), corrected by ERRATA 1, 2, 4 and 5. Catalog queries are static
 * descriptors run through sc_exec like generated code; the row counts need
 * the table's own identifiers and go through sc_exec_params. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int sc_health_check(sc_pool *p, sc_health *out, sc_error *err)
{
    static const sc_stmt ping = {
        "sc_health_check",
        "SELECT 1, current_setting('server_version_num')::int, pg_is_in_recovery()", 0, NULL,
        NULL};
    if (!p || !out)
        return sc_error_set(err, SC_MISUSE, "sc_health_check: pool and out are required");
    memset(out, 0, sizeof *out);
    sc_conn *c = NULL;
    int rc = sc_pool_acquire(p, &c, err);
    if (rc == SC_OK) {
        PGresult *res = NULL;
        rc = sc_exec(c, &ping, NULL, NULL, NULL, 0, &res, err);
        if (rc == SC_OK && PQntuples(res) == 1) {
            out->ok = strcmp(PQgetvalue(res, 0, 0), "1") == 0;
            out->server_version = atoi(PQgetvalue(res, 0, 1));
            out->in_recovery = PQgetvalue(res, 0, 2)[0] == 't';
        }
        PQclear(res);
        sc_pool_release(p, c);
        if (rc == SC_OK && !out->ok)
            rc = sc_error_set(err, SC_DATABASE, "health check: SELECT 1 did not return 1");
    }
    sc_pool_get_stats(p, &out->pool);
    return rc;
}

const char *sc_partition_impl_name(sc_partition_impl impl)
{
    switch (impl) {
    case SC_PART_NOT_PARTITIONED:
        return "not partitioned";
    case SC_PART_NATIVE_HASH:
        return "native HASH partitioning";
    case SC_PART_LIST_EXPRESSION:
        return "LIST on an expression";
    case SC_PART_WRITER_CHECKED:
        return "LIST on a writer-supplied key, CHECK constraint";
    case SC_PART_WRITER_TRIGGER:
        return "LIST on a writer-supplied key, validating trigger";
    case SC_PART_WRITER_UNGUARDED:
        return "LIST on a writer-supplied key, unchecked";
    case SC_PART_OTHER:
        return "other partitioning";
    }
    return "unknown";
}

/* The table: oid, relkind, the name quoted for SQL, partitioning strategy,
 * whether the key has an expression, whether key_column is a key column,
 * a CHECK constraint tying the key to hashtext, a BEFORE INSERT row trigger. */
static const Oid table_types[] = {25, 25};
static const sc_stmt describe_table = {
    "sc_partition_describe",
    "SELECT c.oid, c.relkind::text, c.oid::regclass::text, coalesce(pt.partstrat::text, ''),"
    " coalesce(0 = ANY (pt.partattrs::int2[]), false),"
    " coalesce((SELECT a.attnum = ANY (pt.partattrs::int2[]) FROM pg_attribute a"
    "   WHERE a.attrelid = c.oid AND a.attname = $2 AND NOT a.attisdropped), false),"
    " EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'c'"
    "   AND pg_get_constraintdef(k.oid) LIKE '%hashtext%'"
    "   AND position($2 IN pg_get_constraintdef(k.oid)) > 0),"
    " EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal"
    "   AND (t.tgtype & 7) = 7)" /* ROW | BEFORE | INSERT */
    " FROM pg_class c LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid"
    " WHERE c.oid = to_regclass($1)",
    2, table_types, NULL};

static const Oid column_types[] = {26, 25};
static const sc_stmt column_exists = {
    "sc_partition_column",
    "SELECT 1 FROM pg_attribute WHERE attrelid = $1 AND attname = $2 AND attnum > 0"
    " AND NOT attisdropped",
    2, column_types, NULL};

static const Oid leaf_types[] = {26};
static const sc_stmt list_leaves = {
    "sc_partition_leaves",
    "SELECT c.oid, c.relname, pg_relation_size(c.oid), coalesce(s.n_dead_tup, 0)"
    " FROM pg_partition_tree($1) t JOIN pg_class c ON c.oid = t.relid"
    " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
    " WHERE t.isleaf ORDER BY c.relname",
    1, leaf_types, NULL};

static bool is_true(const PGresult *r, int col)
{
    return PQgetvalue(r, 0, col)[0] == 't';
}

static sc_partition_impl classify(const sc_partition_report *r, bool has_expr, bool key_is_col)
{
    switch (r->strategy) {
    case 0:
        return SC_PART_NOT_PARTITIONED;
    case 'h':
        return SC_PART_NATIVE_HASH;
    case 'l':
        if (has_expr || !key_is_col)
            return SC_PART_LIST_EXPRESSION;
        if (r->key_has_check)
            return SC_PART_WRITER_CHECKED;
        return r->has_insert_trigger ? SC_PART_WRITER_TRIGGER : SC_PART_WRITER_UNGUARDED;
    default:
        return SC_PART_OTHER;
    }
}

static int detect(sc_conn *c, const sc_partition_spec *spec, sc_partition_report *out,
                  char *oid, size_t oid_n, char *qualified, size_t q_n, sc_error *err)
{
    const char *params[2] = {spec->table, spec->key_column ? spec->key_column : ""};
    PGresult *r = NULL;
    int rc = sc_exec(c, &describe_table, params, NULL, NULL, 0, &r, err);
    if (rc != SC_OK)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return sc_error_set(err, SC_NOT_FOUND, "partition report: no table %s", spec->table);
    }
    sc_copy_str(oid, oid_n, PQgetvalue(r, 0, 0));
    sc_copy_str(qualified, q_n, PQgetvalue(r, 0, 2));
    out->strategy = PQgetvalue(r, 0, 3)[0];
    out->key_has_check = is_true(r, 6);
    out->has_insert_trigger = is_true(r, 7);
    out->impl = classify(out, is_true(r, 4), is_true(r, 5));
    PQclear(r);
    return SC_OK;
}

static int require_column(sc_conn *c, const char *oid, const char *column, sc_error *err)
{
    const char *params[2] = {oid, column};
    PGresult *r = NULL;
    int rc = sc_exec(c, &column_exists, params, NULL, NULL, 0, &r, err);
    if (rc == SC_OK && PQntuples(r) != 1)
        rc = sc_error_set(err, SC_INVALID_INPUT, "partition report: no column %s", column);
    PQclear(r);
    return rc;
}

static int load_leaves(sc_conn *c, sc_arena *a, const char *oid, sc_partition_report *out,
                       char ***leaf_oids, sc_error *err)
{
    const char *params[1] = {oid};
    PGresult *r = NULL;
    int rc = sc_exec(c, &list_leaves, params, NULL, NULL, 0, &r, err);
    if (rc != SC_OK)
        return rc;
    int n = PQntuples(r);
    out->partitions = n;
    out->info = n ? sc_arena_alloc(a, (size_t)n * sizeof *out->info) : NULL;
    *leaf_oids = n ? sc_arena_alloc(a, (size_t)n * sizeof **leaf_oids) : NULL;
    if (n && (!out->info || !*leaf_oids)) {
        PQclear(r);
        return sc_error_set(err, SC_NO_MEMORY, "partition report: out of memory");
    }
    for (int i = 0; i < n; i++) {
        sc_partition_info *p = &out->info[i];
        memset(p, 0, sizeof *p);
        (*leaf_oids)[i] = sc_arena_strndup(a, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
        if (!(*leaf_oids)[i]) {
            PQclear(r);
            return sc_error_set(err, SC_NO_MEMORY, "partition report: out of memory");
        }
        sc_copy_str(p->name, sizeof p->name, PQgetvalue(r, i, 1));
        p->bytes = strtoll(PQgetvalue(r, i, 2), NULL, 10);
        p->dead_rows = strtoll(PQgetvalue(r, i, 3), NULL, 10);
    }
    PQclear(r);
    return SC_OK;
}

/* One scan: rows per leaf (by tableoid), NULL keys and wrong keys. The
 * identifiers are quoted by libpq; the modulus is bound. */
static int count_rows(sc_conn *c, const sc_partition_spec *spec, const char *qualified,
                      char **leaf_oids, sc_partition_report *out, sc_error *err)
{
    char *key = NULL, *src = NULL, *sql = NULL;
    int rc = SC_OK;
    bool verify = spec->key_column && spec->source_column;
    if (verify) {
        key = PQescapeIdentifier(c->pg, spec->key_column, strlen(spec->key_column));
        src = PQescapeIdentifier(c->pg, spec->source_column, strlen(spec->source_column));
        if (!key || !src) {
            rc = sc_error_set(err, SC_NO_MEMORY, "partition report: out of memory");
            goto done;
        }
    }
    size_t n = strlen(qualified) + (verify ? 2 * strlen(key) + strlen(src) : 0) + 256;
    sql = sc_malloc(n);
    if (!sql) {
        rc = sc_error_set(err, SC_NO_MEMORY, "partition report: out of memory");
        goto done;
    }
    if (verify)
        snprintf(sql, n,
                 "SELECT tableoid, count(*), count(*) FILTER (WHERE %s IS NULL),"
                 " count(*) FILTER (WHERE %s IS DISTINCT FROM"
                 " abs(hashtext(%s::text)::bigint) %% $1::int)"
                 " FROM %s GROUP BY tableoid",
                 key, key, src, qualified);
    else
        snprintf(sql, n, "SELECT tableoid, count(*), 0, 0 FROM %s GROUP BY tableoid", qualified);
    char modulus[16];
    snprintf(modulus, sizeof modulus, "%d", spec->modulus);
    const char *params[1] = {modulus};
    PGresult *r = NULL;
    rc = sc_exec_params(c, sql, verify ? 1 : 0, params, &r, err);
    if (rc != SC_OK)
        goto done;
    out->verified = verify;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t rows = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        out->rows += rows;
        out->null_keys += strtoll(PQgetvalue(r, i, 2), NULL, 10);
        out->mismatched_rows += strtoll(PQgetvalue(r, i, 3), NULL, 10);
        for (int j = 0; j < out->partitions; j++)
            if (strcmp(leaf_oids[j], PQgetvalue(r, i, 0)) == 0)
                out->info[j].rows = rows;
    }
    PQclear(r);
done:
    PQfreemem(key);
    PQfreemem(src);
    free(sql);
    return rc;
}

const char *sc_partition_status_name(sc_partition_status status)
{
    switch (status) {
    case SC_PARTITION_HOT:
        return "HOT";
    case SC_PARTITION_COLD:
        return "COLD";
    case SC_PARTITION_EMPTY:
        return "EMPTY";
    default:
        return "NORMAL";
    }
}

static sc_partition_status partition_status(const sc_partition_report *r,
                                            const sc_partition_info *p)
{
    if (r->rows == 0)
        return SC_PARTITION_NORMAL;
    if (p->rows == 0)
        return SC_PARTITION_EMPTY;
    if (p->relative_size > SC_PARTITION_HOT_PCT)
        return SC_PARTITION_HOT;
    if (p->relative_size < SC_PARTITION_COLD_PCT)
        return SC_PARTITION_COLD;
    return SC_PARTITION_NORMAL;
}

static void distribution(sc_partition_report *out)
{
    if (out->partitions == 0)
        return;
    out->min_rows = out->info[0].rows;
    for (int i = 0; i < out->partitions; i++) {
        int64_t rows = out->info[i].rows;
        out->partitions_used += rows > 0;
        out->min_rows = rows < out->min_rows ? rows : out->min_rows;
        out->max_rows = rows > out->max_rows ? rows : out->max_rows;
    }
    out->avg_rows = (double)out->rows / out->partitions;
    out->skew_ratio = out->avg_rows > 0 ? (double)out->max_rows / out->avg_rows : 0;
    for (int i = 0; i < out->partitions; i++) {
        sc_partition_info *p = &out->info[i];
        p->relative_size = out->avg_rows > 0 ? (double)p->rows / out->avg_rows * 100.0 : 0;
        p->status = partition_status(out, p);
        out->hot += p->status == SC_PARTITION_HOT;
        out->cold += p->status == SC_PARTITION_COLD;
        out->empty += p->status == SC_PARTITION_EMPTY;
    }
}

int sc_partition_report_run(sc_conn *c, sc_arena *a, const sc_partition_spec *spec,
                            sc_partition_report *out, sc_error *err)
{
    if (!c || !a || !spec || !out || !spec->table)
        return sc_error_set(err, SC_MISUSE, "sc_partition_report_run: missing argument");
    memset(out, 0, sizeof *out);
    if (spec->key_column && spec->source_column && spec->modulus < 1)
        return sc_error_set(err, SC_INVALID_INPUT, "partition report: modulus must be >= 1");
    char oid[16], qualified[200];
    char **leaf_oids = NULL;
    int rc = detect(c, spec, out, oid, sizeof oid, qualified, sizeof qualified, err);
    if (rc == SC_OK && spec->key_column)
        rc = require_column(c, oid, spec->key_column, err);
    if (rc == SC_OK && spec->source_column)
        rc = require_column(c, oid, spec->source_column, err);
    if (rc == SC_OK)
        rc = load_leaves(c, a, oid, out, &leaf_oids, err);
    if (rc == SC_OK)
        rc = count_rows(c, spec, qualified, leaf_oids, out, err);
    if (rc == SC_OK)
        distribution(out);
    return rc;
}

/* snprintf-style appending: counts what it would need, writes what fits. */
typedef struct text_out {
    char *buf;
    size_t n, len;
} text_out;

static void emit(text_out *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void emit(text_out *t, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (k <= 0)
        return;
    size_t len = (size_t)k < sizeof line ? (size_t)k : sizeof line - 1;
    if (t->n > 0 && t->len + 1 < t->n) {
        size_t room = t->n - 1 - t->len;
        size_t copy = len < room ? len : room;
        memcpy(t->buf + t->len, line, copy);
        t->buf[t->len + copy] = '\0';
    }
    t->len += len;
}

size_t sc_partition_report_format(const sc_partition_report *r, char *buf, size_t n)
{
    text_out t = {buf, buf ? n : 0, 0};
    if (t.n)
        buf[0] = '\0';
    if (!r) /* nothing to report: an empty string, like snprintf of "" */
        return 0;
    emit(&t, "Partition health report\n");
    emit(&t, "  implementation: %s\n", sc_partition_impl_name(r->impl));
    emit(&t, "  partitions: %d (%d in use)\n", r->partitions, r->partitions_used);
    if (r->verified)
        emit(&t, "  key verification: %s (%lld of %lld rows wrong, %lld NULL keys)\n",
             r->mismatched_rows == 0 && r->null_keys == 0 ? "OK" : "MISMATCH",
             (long long)r->mismatched_rows, (long long)r->rows, (long long)r->null_keys);
    else
        emit(&t, "  key verification: skipped\n");
    emit(&t, "  rows: %lld, per partition min %lld / avg %.1f / max %lld, skew %.2f\n",
         (long long)r->rows, (long long)r->min_rows, r->avg_rows, (long long)r->max_rows,
         r->skew_ratio);
    emit(&t, "  partitions off average: %d hot, %d cold, %d empty\n", r->hot, r->cold, r->empty);
    for (int i = 0; r->info && i < r->partitions; i++)
        if (r->info[i].status != SC_PARTITION_NORMAL)
            emit(&t, "    %s: %s, %lld rows (%.0f%% of average), %lld dead\n", r->info[i].name,
                 sc_partition_status_name(r->info[i].status), (long long)r->info[i].rows,
                 r->info[i].relative_size, (long long)r->info[i].dead_rows);
    return t.len;
}
