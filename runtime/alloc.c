/* Every allocation the runtime makes goes through here, so that a fault test
 * can fail the Nth one and check for a clean SC_NO_MEMORY and no leak (as
 * SQLite's *fault.test scripts do). libpq's own allocations are not
 * covered. */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

static atomic_long fail_countdown;

void sc_test_fail_allocation(long n)
{
    atomic_store(&fail_countdown, n > 0 ? n : 0);
}

static bool injected_failure(void)
{
    if (atomic_load(&fail_countdown) <= 0)
        return false;
    return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

void *sc_malloc(size_t n)
{
    return injected_failure() ? NULL : malloc(n);
}

void *sc_calloc(size_t count, size_t size)
{
    return injected_failure() ? NULL : calloc(count, size);
}
