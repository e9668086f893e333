/* sc_partition_key throughput: 1,000,000 lowercase UUID strings, keys/s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sc_hashtext.h"

#define N 1000000

int main(void)
{
    char (*ids)[37] = malloc((size_t)N * sizeof *ids);
    if (!ids)
        return 1;
    uint64_t x = 0x5eedull;
    for (int i = 0; i < N; i++) {
        uint64_t hi = (x = x * 6364136223846793005ull + 1442695040888963407ull);
        uint64_t lo = (x = x * 6364136223846793005ull + 1442695040888963407ull);
        snprintf(ids[i], 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(hi >> 32),
                 (unsigned)(hi >> 16) & 0xffff, (unsigned)hi & 0xfff,
                 0x8000 | ((unsigned)(lo >> 48) & 0x3fff),
                 (unsigned long long)(lo & 0xffffffffffffull));
    }
    struct timespec t0, t1;
    uint64_t sum = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++)
        sum += (uint64_t)sc_partition_key(ids[i], 36, 100);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("bench_hashtext: %d sc_partition_key calls in %.3f s: %.0f keys/s (mean key %.2f)\n",
           N, s, N / s, (double)sum / N);
    free(ids);
    return 0;
}
