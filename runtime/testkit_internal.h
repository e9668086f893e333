/* Shared by the test kit's own files (testkit.c, testkit_citus.c); not
 * installed. */
#ifndef SC_TESTKIT_INTERNAL_H
#define SC_TESTKIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/* Whether SC_TEST_CITUS asks for a Citus cluster (tests/pg/with-citus). */
bool sc_testkit_citus_enabled(void);

/* After CREATE DATABASE name on the coordinator (connected as
 * coordinator, from url: NULL or empty for libpq's environment): the same
 * database on every worker of SC_TEST_CITUS_WORKERS (ports on the
 * coordinator's host), CREATE EXTENSION citus on every node, and the
 * coordinator host and the workers joined in it. 0, or -1 with why. */
int sc_testkit_citus_create(PGconn *coordinator, const char *url, const char *name, char *why,
                            size_t n);

/* DROP DATABASE name on every worker (the coordinator's is the caller's). */
int sc_testkit_citus_drop(PGconn *coordinator, const char *url, const char *name, char *why,
                          size_t n);

#endif
