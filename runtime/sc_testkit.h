/* schemac runtime: checks the generated tests (and a service's own tests)
 * run against a real server. Nothing here is needed in production; it is
 * plain libpq with no test framework, so any framework can assert on it.
 *
 * Functions return 0, or -1 with the reason in why. */
#ifndef SCHEMAC_TESTKIT_H
#define SCHEMAC_TESTKIT_H

#include <stdbool.h>

#include "sc_query.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates database `name` on the server DATABASE_URL names (its host, port,
 * user and password; without DATABASE_URL, libpq's PG* variables), runs the
 * DDL file in it, and writes a conninfo for it into conninfo: DATABASE_URL
 * with the database name replaced. When SC_TEST_DIRECT_URL is set (a pooler
 * such as PgBouncer sits at DATABASE_URL, tests/pg/with-pgbouncer), the
 * database is created, built and dropped through SC_TEST_DIRECT_URL, the
 * server itself, and conninfo still goes through DATABASE_URL. */
/* The schema.sql a generated test suite builds its database from: the
 * SC_TEST_SCHEMA_SQL environment variable, else the one next to the
 * suite's own directory (test_file is the suite's __FILE__,
 * "<out>/tests/test_x.c", so "<out>/schema.sql" whatever --out was). */
const char *sc_testkit_schema_path(const char *test_file, char *buf, size_t size);

int sc_testkit_create_database(const char *name, const char *ddl_path, char *conninfo,
                               size_t size, char *why, size_t why_size);
int sc_testkit_drop_database(const char *name, char *why, size_t why_size);

/* The pooler mode DB_POOLER names (SC_POOLER_TRANSACTION for
 * "transaction", else SC_POOLER_NONE): a test's pool config sets
 * cfg.pooler from it, so that the suite runs as the service would behind
 * PgBouncer (tests/pg/with-pgbouncer exports DB_POOLER=transaction). */
sc_pooler_mode sc_testkit_pooler(void);

/* 1, 2, 3, ... for the whole process (thread-safe): the n of the values the
 * generated test factories make up. */
unsigned long sc_testfx_serial(void);

/* Prepares the statement and compares the server's view of it
 * (PQdescribePrepared) with the descriptor: parameter count and types,
 * result column names and types. The sqlx/pgtyped check, at test time.
 * This and sc_testkit_partitions_in_plan prepare, use and deallocate their
 * named statement in one transaction (their own unless pg is in one), so
 * they work behind PgBouncer in transaction mode too. */
int sc_testkit_check_statement(PGconn *pg, const sc_query *q, char *why, size_t why_size);

/* EXPLAINs the statement with sample arguments (source_value for text
 * parameters named like the partition source, the computed key for the
 * partition key) and counts the distinct partitions the plan names, a
 * partition being partition_prefix followed by its number ("chunks_part_");
 * *scans tells whether the plan scans at all. -1 on error. */
int sc_testkit_partitions_in_plan(PGconn *pg, const sc_query *q, const char *partition_prefix,
                                  const char *source_name, const char *source_value,
                                  int modulus, bool *scans, char *why, size_t why_size);

/* On a Citus coordinator: EXPLAINs the statement with sample arguments
 * (dist_value for text parameters named dist_name; the computed partition
 * key when modulus > 0) and returns the plan's Task Count (summed over its
 * Citus scans; 0 for a plan Citus does not distribute, 1 for a statement
 * routed to one shard). -1 on error. */
int sc_testkit_citus_tasks(PGconn *pg, const sc_query *q, const char *dist_name,
                           const char *dist_value, int modulus, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif
