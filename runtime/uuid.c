/* Random (version 4) UUIDs for callers that create ids client-side. */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

#include "schemac.h"

/* 16 bytes from the kernel's CSPRNG; getrandom blocks only before the
 * kernel's pool is first initialised, at boot. */
static bool random_bytes(unsigned char *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(b + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

bool sc_uuid_v4(char out[37])
{
    if (!out)
        return false;
    unsigned char b[16];
    if (!random_bytes(b, sizeof b)) {
        out[0] = '\0';
        return false;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
    return true;
}
