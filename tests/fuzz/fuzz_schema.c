/* libFuzzer target for the YAML front end: any bytes must either load into a
 * model or produce diagnostics, never crash, hang or leak. `make fuzz` runs it
 * for FUZZ_SECONDS with a corpus seeded from tests/invalid and the Semantik
 * schema. */
#include <stddef.h>
#include <stdint.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(void *ctx, const gen_loc *loc, const char *message)
{
    (void)ctx;
    (void)loc;
    (void)message;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gen_arena *a = gen_arena_new();
    gen_diag d;
    gen_diag_init(&d, discard, NULL);
    gen_schema_parse("fuzz.yaml", (const char *)data, size, a, &d);
    gen_diag_flush(&d);
    gen_diag_release(&d);
    gen_arena_free(a);
    return 0;
}
