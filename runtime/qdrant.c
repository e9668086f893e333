/* Qdrant collection names (spec 002 §4.1, spec 003 "Qdrant Vector
 * Database"); the rules and the choices where the spec is silent are in
 * sc_qdrant.h. Every name is measured before a byte of it is written, so a
 * refused call leaves out empty and never touches out[size] or beyond. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "sc_qdrant.h"
#include "sc_query.h" /* sc_uuid_normalize */


/* The output checks every function makes first. */
static int check_out(const char *fn, char *out, size_t size, sc_error *err)
{
    if (!out || size == 0)
        return sc_error_set(err, SC_MISUSE, "%s: out is NULL or size is 0", fn);
    out[0] = '\0';
    return SC_OK;
}

/* The final length check and copy: len bytes of name, then a NUL. */
static int emit(const char *fn, const char *name, size_t len, char *out, size_t size,
                sc_error *err)
{
    if (len > SC_QDRANT_NAME_MAX)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "%s: the name would be %zu bytes, Qdrant allows at most %d", fn,
                            len, SC_QDRANT_NAME_MAX);
    if (len >= size)
        return sc_error_set(err, SC_MISUSE, "%s: the name needs %zu bytes, out has %zu", fn,
                            len + 1, size);
    memcpy(out, name, len);
    out[len] = '\0';
    return SC_OK;
}

static int uuid_arg(const char *fn, const char *id, char uuid[37], sc_error *err)
{
    char buf[48];
    if (!id)
        return sc_error_set(err, SC_INVALID_INPUT, "%s: collection_id is NULL", fn);
    if (sc_uuid_normalize(id, uuid) != 0)
        return sc_error_set(err, SC_INVALID_INPUT, "%s: collection_id is not a UUID v4: '%s'",
                            fn, sc_shown(id, buf));
    return SC_OK;
}

/* Checks a name part: non-empty, at most SC_QDRANT_NAME_MAX bytes (so the
 * length arithmetic below cannot overflow), every byte allowed by `ok`. */
static int part_arg(const char *fn, const char *what, const char *s, bool (*ok)(char),
                    const char *allowed, sc_error *err)
{
    if (!s)
        return sc_error_set(err, SC_INVALID_INPUT, "%s: %s is NULL", fn, what);
    if (!s[0])
        return sc_error_set(err, SC_INVALID_INPUT, "%s: %s is empty", fn, what);
    size_t len = strnlen(s, SC_QDRANT_NAME_MAX + 1);
    if (len > SC_QDRANT_NAME_MAX)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "%s: %s is longer than a Qdrant name (%d bytes)", fn, what,
                            SC_QDRANT_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!ok(s[i])) {
            if (c >= 0x21 && c < 0x7f)
                return sc_error_set(err, SC_INVALID_INPUT,
                                    "%s: %s may hold only %s, not '%c' (byte %zu)", fn, what,
                                    allowed, c, i);
            return sc_error_set(err, SC_INVALID_INPUT,
                                "%s: %s may hold only %s, not byte 0x%02x (byte %zu)", fn, what,
                                allowed, c, i);
        }
    }
    return SC_OK;
}

static bool alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool model_char(char c) { return alnum(c) || c == '-'; }

static bool base_char(char c) { return alnum(c) || c == '-' || c == '_'; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

const char *sc_qdrant_quantization_suffix(const char *quantization)
{
    static const char *const map[][2] = {
        {"float32", "f32"},
        {"float16", "f16"},
        {"int8", "i8"},
    };
    if (!quantization)
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(quantization, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

int sc_qdrant_vector_store_name(const char *collection_id, char *out, size_t size,
                                sc_error *err)
{
    static const char fn[] = "sc_qdrant_vector_store_name";
    int rc = check_out(fn, out, size, err);
    if (rc != SC_OK)
        return rc;
    char uuid[37];
    if ((rc = uuid_arg(fn, collection_id, uuid, err)) != SC_OK)
        return rc;
    char name[4 + 36 + 1];
    memcpy(name, "col_", 4);
    for (int i = 0; i < 36; i++)
        name[4 + i] = uuid[i] == '-' ? '_' : uuid[i];
    return emit(fn, name, 40, out, size, err);
}

int sc_qdrant_model_collection_name(const char *collection_id, const char *model_short,
                                    const char *quantization, char *out, size_t size,
                                    sc_error *err)
{
    static const char fn[] = "sc_qdrant_model_collection_name";
    int rc = check_out(fn, out, size, err);
    if (rc != SC_OK)
        return rc;
    char uuid[37];
    if ((rc = uuid_arg(fn, collection_id, uuid, err)) != SC_OK)
        return rc;
    if ((rc = part_arg(fn, "model_short", model_short, model_char,
                       "ASCII letters, digits and '-'", err)) != SC_OK)
        return rc;
    const char *suffix = sc_qdrant_quantization_suffix(quantization);
    if (!suffix) {
        char buf[48];
        return sc_error_set(err, SC_INVALID_INPUT,
                            "%s: quantization must be float32, float16 or int8, not '%s'", fn,
                            quantization ? sc_shown(quantization, buf) : "(NULL)");
    }
    /* 36 + 1 + at most 255 + 1 + 3 bytes: measured here, checked by emit. */
    char name[36 + 1 + SC_QDRANT_NAME_MAX + 1 + 3 + 1];
    size_t len = 0;
    memcpy(name, uuid, 36);
    len = 36;
    name[len++] = '_';
    for (const char *p = model_short; *p; p++)
        name[len++] = lower(*p);
    name[len++] = '_';
    size_t slen = strlen(suffix);
    memcpy(name + len, suffix, slen);
    len += slen;
    return emit(fn, name, len, out, size, err);
}

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
 * civil_from_days), so the timestamp needs neither the time zone nor
 * gmtime's static state. days >= 0 here. */
static void civil_from_days(int64_t days, int *y, int *m, int *d)
{
    days += 719468;
    int64_t era = days / 146097;
    int64_t doe = days - era * 146097;                                  /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int sc_qdrant_staging_name(const char *base_name, time_t when, char *out, size_t size,
                           sc_error *err)
{
    static const char fn[] = "sc_qdrant_staging_name";
    /* 9999-12-31T23:59:59Z: the last second with a four-digit year. */
    static const int64_t last = INT64_C(253402300799);
    int rc = check_out(fn, out, size, err);
    if (rc != SC_OK)
        return rc;
    if ((rc = part_arg(fn, "base_name", base_name, base_char,
                       "ASCII letters, digits, '_' and '-'", err)) != SC_OK)
        return rc;
    int64_t t = (int64_t)when;
    if (t < 0 || t > last)
        return sc_error_set(err, SC_INVALID_INPUT,
                            "%s: when (%" PRId64 ") is outside 1970-01-01 to 9999-12-31 UTC", fn,
                            t);
    int y, mo, d;
    civil_from_days(t / 86400, &y, &mo, &d);
    int64_t s = t % 86400;
    char name[8 + SC_QDRANT_NAME_MAX + 1 + 15 + 1];
    int n = snprintf(name, sizeof name, "staging_%s_%04d%02d%02d_%02d%02d%02d", base_name, y, mo,
                     d, (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    if (n < 0 || (size_t)n >= sizeof name) /* cannot happen: base_name <= 255 bytes */
        return sc_error_set(err, SC_INVALID_INPUT, "%s: the name does not fit", fn);
    return emit(fn, name, (size_t)n, out, size, err);
}
