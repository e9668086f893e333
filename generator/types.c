/* Column types: the accepted spellings, the canonical SQL spelling, and the
 * comparison used for foreign keys and query parameters. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

typedef struct type_name {
    const char *spelling;
    m_type_kind kind;
    bool sized;          /* accepts (n) or (p,s) */
} type_name;

/* Canonical spellings first: m_type_sql uses the first row of each kind. */
static const type_name type_names[] = {
    {"smallint", T_SMALLINT, false},   {"integer", T_INTEGER, false},
    {"bigint", T_BIGINT, false},       {"serial", T_SERIAL, false},
    {"bigserial", T_BIGSERIAL, false}, {"boolean", T_BOOLEAN, false},
    {"real", T_REAL, false},           {"double precision", T_DOUBLE, false},
    {"numeric", T_NUMERIC, true},      {"text", T_TEXT, false},
    {"varchar", T_VARCHAR, true},      {"uuid", T_UUID, false},
    {"timestamptz", T_TIMESTAMPTZ, false}, {"timestamp", T_TIMESTAMP, false},
    {"date", T_DATE, false},           {"interval", T_INTERVAL, false},
    {"json", T_JSON, false},           {"jsonb", T_JSONB, false},
    {"bytea", T_BYTEA, false},         {"tsvector", T_TSVECTOR, false},
    {"vector", T_VECTOR, true},        {"halfvec", T_HALFVEC, true},
    {"char", T_CHAR, true},            {"time", T_TIME, false},
    {"timetz", T_TIMETZ, false},       {"money", T_MONEY, false},
    {"xml", T_XML, false},             {"bit", T_BIT, true},
    {"varbit", T_VARBIT, true},        {"inet", T_INET, false},
    {"cidr", T_CIDR, false},           {"macaddr", T_MACADDR, false},
    {"point", T_POINT, false},         {"int4range", T_INT4RANGE, false},
    {"int8range", T_INT8RANGE, false}, {"tstzrange", T_TSTZRANGE, false},
    {"daterange", T_DATERANGE, false},
    {"citext", T_TEXTMAP, false},      {"hstore", T_TEXTMAP, false},
    {"ltree", T_TEXTMAP, false},
    /* other spellings of the same types */
    {"int", T_INTEGER, false},         {"int4", T_INTEGER, false},
    {"int2", T_SMALLINT, false},       {"int8", T_BIGINT, false},
    {"serial4", T_SERIAL, false},      {"serial8", T_BIGSERIAL, false},
    {"bool", T_BOOLEAN, false},        {"float4", T_REAL, false},
    {"float8", T_DOUBLE, false},       {"decimal", T_NUMERIC, true},
    {"character varying", T_VARCHAR, true},
    {"timestamp with time zone", T_TIMESTAMPTZ, false},
    {"timestamp without time zone", T_TIMESTAMP, false},
    {"character", T_CHAR, true},       {"bit varying", T_VARBIT, true},
    {"time with time zone", T_TIMETZ, false},
    {"time without time zone", T_TIME, false},
};

const char *const *m_type_names(void)
{
    static const char *names[sizeof type_names / sizeof type_names[0] + 1];
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        names[i] = type_names[i].spelling;
    return names;
}

/* Lower-cases and collapses runs of blanks into one space. */
static void normalize(const char *in, char *out, size_t size)
{
    size_t n = 0;
    bool blank = false;
    for (; *in && n + 1 < size; in++) {
        if (isspace((unsigned char)*in)) {
            blank = n > 0;
            continue;
        }
        if (blank && *in != '(' && *in != ')' && *in != ',' && *in != '[' &&
            out[n - 1] != '(' && out[n - 1] != ',')
            out[n++] = ' ';
        blank = false;
        if (n + 1 < size)
            out[n++] = (char)tolower((unsigned char)*in);
    }
    out[n] = '\0';
}

/* Parses "(n)" or "(p,s)" at s; returns the rest or NULL. */
static const char *parse_size(const char *s, int *p, int *sc)
{
    char *end;
    long a = strtol(s + 1, &end, 10);
    if (end == s + 1 || a < 0 || a > 100000)
        return NULL;
    *p = (int)a;
    if (*end == ',') {
        const char *start = end + 1;
        long b = strtol(start, &end, 10);
        if (end == start || b < 0 || b > 1000)
            return NULL;
        *sc = (int)b;
    }
    return *end == ')' ? end + 1 : NULL;
}

static bool is_identifier_text(const char *s)
{
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z')))
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

bool m_type_parse(const char *text, m_type *out)
{
    char buf[128];
    normalize(text, buf, sizeof buf);
    memset(out, 0, sizeof *out);
    out->p = out->s = -1;
    size_t len = strlen(buf);
    if (len > 2 && strcmp(buf + len - 2, "[]") == 0) {
        out->array = true;
        buf[len -= 2] = '\0';
    }
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        const type_name *t = &type_names[i];
        size_t n = strlen(t->spelling);
        if (strncmp(buf, t->spelling, n) != 0)
            continue;
        const char *rest = buf + n;
        if (*rest == '(' && t->sized)
            rest = parse_size(rest, &out->p, &out->s);
        if (!rest || *rest)
            continue;
        if (out->s >= 0 && t->kind != T_NUMERIC)
            return false;
        out->kind = t->kind;
        if (t->kind == T_TEXTMAP)
            out->enum_name = t->spelling;
        return true;
    }
    if (!is_identifier_text(buf))
        return false;
    out->kind = T_ENUM; /* resolved (or refused) by validation */
    return true;
}

static const char *canonical(m_type_kind k)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (type_names[i].kind == k)
            return type_names[i].spelling;
    return "?";
}

const char *m_type_sql(gen_arena *a, const m_type *t)
{
    const char *base = t->kind == T_ENUM || t->kind == T_TEXTMAP ? t->enum_name : canonical(t->kind);
    const char *suffix = t->array ? "[]" : "";
    if (t->p >= 0 && t->s >= 0)
        return gen_printf(a, "%s(%d,%d)%s", base, t->p, t->s, suffix);
    if (t->p >= 0)
        return gen_printf(a, "%s(%d)%s", base, t->p, suffix);
    return gen_printf(a, "%s%s", base, suffix);
}

/* serial is integer and varchar is text once stored: compare what is stored. */
static m_type_kind stored_kind(m_type_kind k)
{
    switch (k) {
    case T_SERIAL: return T_INTEGER;
    case T_BIGSERIAL: return T_BIGINT;
    case T_VARCHAR: return T_TEXT;
    default: return k;
    }
}

bool m_type_same(const m_type *a, const m_type *b)
{
    if (stored_kind(a->kind) != stored_kind(b->kind) || a->array != b->array)
        return false;
    if (a->kind == T_ENUM || a->kind == T_TEXTMAP)
        return strcmp(a->enum_name, b->enum_name) == 0;
    if (a->kind == T_NUMERIC || a->kind == T_VECTOR || a->kind == T_HALFVEC || a->kind == T_CHAR ||
        a->kind == T_BIT || a->kind == T_VARBIT)
        return a->p == b->p && a->s == b->s;
    return true;
}
