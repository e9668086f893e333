/* sc_hashtext.h — client-side port of PostgreSQL 15's hashtext() and of the
 * `chunks` partition key.
 *
 * The `chunks` table is LIST-partitioned on
 *
 *     partition_key = abs(hashtext(collection_id)::bigint) % 100
 *
 * and the writer has to supply that key (a trigger cannot re-route a row, and
 * COPY silently accepts a wrong key), so the client computes it with these
 * functions instead of asking the server.
 *
 * What is reproduced
 *   hashtext(text) under a deterministic collation (every libc collation and
 *   the database default) is PostgreSQL's hash_bytes() — Bob Jenkins' lookup3
 *   as in src/common/hashfn.c — over the string's bytes as stored, i.e. its
 *   UTF-8 encoding in a UTF8 database. Its uint32 result is returned as int4
 *   (reinterpreted, so about half of all values are negative).
 *
 *   hash_bytes() reads the input in native-endian 32-bit words, so hashtext()
 *   itself differs between little- and big-endian servers. These functions
 *   reproduce a LITTLE-endian server (x86-64, aarch64, ppc64le: all mainstream
 *   PostgreSQL builds) on any client, whatever the client's own byte order or
 *   the input's alignment: words are assembled from single bytes.
 *
 *   Not reproduced: nondeterministic (ICU) collations, where the server hashes
 *   an ICU sort key instead of the bytes, and non-UTF8 databases when the
 *   caller passes UTF-8 (pass the bytes the way the server stores them).
 *
 * Why the bigint cast
 *   One input in 2^32 hashes to INT_MIN (e.g. the 12-byte string
 *   "B7V3LXmFOyCa"), and `abs(hashtext(x)) % 100` then fails on the server
 *   with "integer out of range". `abs(hashtext(x)::bigint) % 100` is equal
 *   everywhere else and defined there (2147483648 % 100 = 48).
 *   sc_partition_key() computes the bigint form.
 *
 * Both functions are pure, thread-safe and allocation-free.
 */
#ifndef SC_HASHTEXT_H
#define SC_HASHTEXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PostgreSQL 15 `hashtext(s)` for the `len` bytes at `s` (no terminator
 * needed; `s` may be NULL when len == 0). `len` is at most 1 GB for any real
 * text value. */
int32_t sc_hashtext(const char *s, size_t len);

/* `abs(hashtext(s)::bigint) % modulus` as the server computes it (SQL `%`
 * takes the sign of the dividend, so the result is in [0, |modulus|) also for
 * a negative modulus). Defined for INT_MIN hashes. Returns -1 when
 * modulus == 0 (the server raises "division by zero"). For `chunks`, the
 * modulus is 100. */
int32_t sc_partition_key(const char *s, size_t len, int32_t modulus);

#ifdef __cplusplus
}
#endif

#endif /* SC_HASHTEXT_H */
