/* A normalized description of a database's catalog, for comparing two
 * databases (`schemac migrate drift`).
 *
 * The catalog is read as keyed rows: kind ("table", "column", "index", ...),
 * key (the qualified name: "semantik.chunks", "semantik.chunks.id",
 * "semantik.f(integer)") and named attributes (a column's type, not null,
 * default, identity, generated expression, comment, ...). Definitions come
 * from the server's own deparsers (pg_get_constraintdef, pg_get_indexdef,
 * pg_get_triggerdef, pg_get_functiondef, pg_get_viewdef, partition bounds),
 * read with search_path = pg_catalog so that every name in them is
 * schema-qualified the same way in both databases. Only what migrations
 * decide is read: no OIDs, owners, grants, statistics, sequence positions or
 * column positions; objects PostgreSQL derives on its own (a partition's
 * columns and inherited constraints, indexes attached to a parent index,
 * cloned triggers, indexes backing a constraint, extension members) are left
 * out, so that one hand-made change is one difference. */
#ifndef SCHEMAC_GEN_CATALOG_H
#define SCHEMAC_GEN_CATALOG_H

#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "sc_migrate.h"

typedef struct cat_row {
    int rank;                 /* of its kind, for a stable report order */
    const char *kind, *key;
    int nattrs;
    const PGresult *res;      /* attributes are fields 2.. of row `row` */
    int row;
} cat_row;

typedef struct gen_catalog {
    PGresult **results;
    size_t nresults;
    cat_row *rows;            /* sorted by rank, then key */
    size_t n;
} gen_catalog;

/* Reads the objects of the schemas named (n of them) in c. Returns 0, or -1
 * with err set; out is empty then. */
int gen_catalog_read(PGconn *c, const char *const *schemas, size_t n, gen_catalog *out,
                     sc_migrate_error *err);
void gen_catalog_free(gen_catalog *c);  /* NULL-safe */

/* Prints one line per difference of live from expected:
 *   extra index s.ix: CREATE INDEX ix ON s.t USING btree (c)
 *   missing column s.t.c: integer, not null, default 0
 *   changed default of column s.t.c: '0' -> '1'
 * and returns how many there were. */
size_t gen_catalog_diff(const gen_catalog *live, const gen_catalog *expected, FILE *out);

#endif
