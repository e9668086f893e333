/* The pg_type OIDs of the types whose OIDs are fixed (built into every
 * PostgreSQL since 8.x): statements send them with their parameters, so the
 * server never has to guess a parameter's type from its context, which fails
 * for `:doc ->> 'k'` (operator is not unique: unknown ->> unknown) and
 * `cardinality(:arr)` (could not determine polymorphic type). Enums and
 * extension types (vector, hstore, citext, ...) get their OIDs per database:
 * 0 leaves them to the server's inference, as before. */
#include <string.h>

#include "model.h"
#include "type_oids.h"

typedef struct type_oid {
    unsigned scalar, array;
} type_oid;

static type_oid oid_of(m_type_kind k)
{
    switch (k) {
    case T_SMALLINT: return (type_oid){21, 1005};
    case T_INTEGER: case T_SERIAL: return (type_oid){23, 1007};
    case T_BIGINT: case T_BIGSERIAL: return (type_oid){20, 1016};
    case T_BOOLEAN: return (type_oid){16, 1000};
    case T_REAL: return (type_oid){700, 1021};
    case T_DOUBLE: return (type_oid){701, 1022};
    case T_NUMERIC: return (type_oid){1700, 1231};
    case T_TEXT: return (type_oid){25, 1009};
    case T_VARCHAR: return (type_oid){1043, 1015};
    case T_UUID: return (type_oid){2950, 2951};
    case T_TIMESTAMPTZ: return (type_oid){1184, 1185};
    case T_TIMESTAMP: return (type_oid){1114, 1115};
    case T_DATE: return (type_oid){1082, 1182};
    case T_INTERVAL: return (type_oid){1186, 1187};
    case T_JSON: return (type_oid){114, 199};
    case T_JSONB: return (type_oid){3802, 3807};
    case T_BYTEA: return (type_oid){17, 1001};
    case T_TSVECTOR: return (type_oid){3614, 3643};
    case T_CHAR: return (type_oid){1042, 1014};
    case T_TIME: return (type_oid){1083, 1183};
    case T_TIMETZ: return (type_oid){1266, 1270};
    case T_MONEY: return (type_oid){790, 791};
    case T_XML: return (type_oid){142, 143};
    case T_BIT: return (type_oid){1560, 1561};
    case T_VARBIT: return (type_oid){1562, 1563};
    case T_INET: return (type_oid){869, 1041};
    case T_CIDR: return (type_oid){650, 651};
    case T_MACADDR: return (type_oid){829, 1040};
    case T_POINT: return (type_oid){600, 1017};
    case T_INT4RANGE: return (type_oid){3904, 3905};
    case T_INT8RANGE: return (type_oid){3926, 3927};
    case T_TSTZRANGE: return (type_oid){3910, 3911};
    case T_DATERANGE: return (type_oid){3912, 3913};
    default: return (type_oid){0, 0};
    }
}

unsigned m_type_oid(const m_type *t)
{
    type_oid o = oid_of(t->kind);
    return t->array ? o.array : o.scalar;
}

/* The pg_catalog names of the types of issue 15 (schemac vet). */
const char *const *m_type_pg_names(m_type_kind k)
{
    static const char *const names[][3] = {
        [T_CHAR] = {"bpchar", "text", NULL}, [T_TIME] = {"time", NULL},
        [T_TIMETZ] = {"timetz", NULL},       [T_MONEY] = {"money", NULL},
        [T_XML] = {"xml", NULL},             [T_BIT] = {"bit", NULL},
        [T_VARBIT] = {"varbit", NULL},       [T_INET] = {"inet", NULL},
        [T_CIDR] = {"cidr", NULL},           [T_MACADDR] = {"macaddr", NULL},
        [T_POINT] = {"point", NULL},         [T_INT4RANGE] = {"int4range", NULL},
        [T_INT8RANGE] = {"int8range", NULL}, [T_TSTZRANGE] = {"tstzrange", NULL},
        [T_DATERANGE] = {"daterange", NULL},
    };
    return k < sizeof names / sizeof names[0] && names[k][0] ? names[k] : NULL;
}

/* A valid text form of one value of the types of issue 15, for the rows
 * generated tests and factories make up; NULL for a type whose values
 * schemac cannot know (c_type: text). */
const char *m_type_sample_text(gen_arena *a, const m_type *t)
{
    switch (t->kind) {
    case T_TIME: return "12:00:00";
    case T_TIMETZ: return "12:00:00+00";
    case T_MONEY: return "1.00";
    case T_XML: return "<x/>";
    case T_INET: return "192.0.2.1";
    case T_CIDR: return "192.0.2.0/24";
    case T_MACADDR: return "08:00:2b:01:02:03";
    case T_POINT: return "(0,0)";
    case T_INT4RANGE: case T_INT8RANGE: case T_TSTZRANGE: case T_DATERANGE: return "empty";
    case T_VARBIT: return "0";
    case T_CHAR: case T_BIT: { /* n characters: char(n) reads back padded */
        int n = t->p > 0 ? t->p : 1;
        char *s = gen_alloc(a, (size_t)n + 1);
        memset(s, t->kind == T_BIT ? '0' : ' ', (size_t)n);
        if (t->kind == T_CHAR)
            s[0] = 'x';
        s[n] = '\0';
        return s;
    }
    case T_TEXTMAP:
        if (strcmp(t->enum_name, "citext") == 0 || strcmp(t->enum_name, "ltree") == 0)
            return "x";
        return strcmp(t->enum_name, "hstore") == 0 ? "" : NULL;
    default: return NULL;
    }
}
