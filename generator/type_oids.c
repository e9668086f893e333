/* The pg_type OIDs of the types whose OIDs are fixed (built into every
 * PostgreSQL since 8.x): statements send them with their parameters, so the
 * server never has to guess a parameter's type from its context, which fails
 * for `:doc ->> 'k'` (operator is not unique: unknown ->> unknown) and
 * `cardinality(:arr)` (could not determine polymorphic type). Enums and
 * extension types (vector, hstore, citext, ...) get their OIDs per database:
 * 0 leaves them to the server's inference, as before. */
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
    default: return (type_oid){0, 0};
    }
}

unsigned m_type_oid(const m_type *t)
{
    type_oid o = oid_of(t->kind);
    return t->array ? o.array : o.scalar;
}
