/* schemac runtime: the C forms of the less common column types (issue 15).
 * Included by sc_query.h; see docs/dsl.md for the table of types.
 *
 *   time            -> int64_t microseconds since midnight (24:00:00 is
 *                      86,400,000,000)
 *   timetz          -> sc_timetz: that, and the UTC offset in seconds
 *                      (east positive: +02:00 is 7200)
 *   money           -> int64_t in the currency's smallest unit (cents for
 *                      a two-digit lc_monetary), sent as that integer cast
 *   inet, cidr, macaddr, bit(n), varbit, char(n), xml, citext, hstore,
 *   ltree, and any type declared `c_type: text` -> char * (the server's
 *                      text form)
 *   point           -> sc_point
 *   int4range, int8range, tstzrange, daterange -> sc_range (bounds as
 *                      int64_t: integers, sc_time, or days since 1970) */
#ifndef SCHEMAC_TYPES_H
#define SCHEMAC_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_timetz {
    int64_t usec;        /* since midnight, local to the offset */
    int32_t offset_s;    /* seconds east of UTC */
} sc_timetz;

typedef struct sc_point {
    double x, y;
} sc_point;

/* A range. Zero is the empty range. A bound that is absent (lower_inf /
 * upper_inf) is unbounded and its value unused. Discrete ranges (integers,
 * dates) come back from the server in canonical [lower, upper) form. */
typedef struct sc_range {
    bool nonempty;       /* false: 'empty' (the other members unused) */
    bool lower_inf, upper_inf;
    bool lower_inc, upper_inc;
    int64_t lower, upper;
} sc_range;

typedef struct sc_opt_timetz { bool has; sc_timetz value; } sc_opt_timetz;
typedef struct sc_opt_point { bool has; sc_point value; } sc_opt_point;
typedef struct sc_opt_range { bool has; sc_range value; } sc_opt_range;

/* Text forms, as sent in parameters: "HH:MM:SS.ffffff" and the same with
 * "+hh:mm:ss". */
int sc_time_of_day_format(int64_t usec, char *buf, size_t n);
int sc_timetz_format(sc_timetz t, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
