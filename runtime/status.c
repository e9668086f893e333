#include "schemac.h"

const char *sc_status_name(int status)
{
    static const char *const names[] = {
        [SC_OK] = "SC_OK",
        [SC_NOT_FOUND] = "SC_NOT_FOUND",
        [SC_CONFLICT] = "SC_CONFLICT",
        [SC_FOREIGN_KEY] = "SC_FOREIGN_KEY",
        [SC_CHECK] = "SC_CHECK",
        [SC_NOT_NULL] = "SC_NOT_NULL",
        [SC_SERIALIZATION] = "SC_SERIALIZATION",
        [SC_DEADLOCK] = "SC_DEADLOCK",
        [SC_QUERY_TIMEOUT] = "SC_QUERY_TIMEOUT",
        [SC_LOCK_TIMEOUT] = "SC_LOCK_TIMEOUT",
        [SC_CONNECTION] = "SC_CONNECTION",
        [SC_COMMIT_UNKNOWN] = "SC_COMMIT_UNKNOWN",
        [SC_INVALID_INPUT] = "SC_INVALID_INPUT",
        [SC_ACCESS_DENIED] = "SC_ACCESS_DENIED",
        [SC_TIMEOUT] = "SC_TIMEOUT",
        [SC_NO_MEMORY] = "SC_NO_MEMORY",
        [SC_MISUSE] = "SC_MISUSE",
        [SC_DATABASE] = "SC_DATABASE",
        [SC_NOT_RUN] = "SC_NOT_RUN",
        [SC_READ_ONLY] = "SC_READ_ONLY",
    };
    if (status < 0 || (size_t)status >= sizeof names / sizeof names[0] || !names[status])
        return "SC_UNKNOWN_STATUS";
    return names[status];
}
