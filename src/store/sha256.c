/* sha256.c — the spec's SHA-256 (the `spec_sha256` attribute).
 *
 * Hashing is nettle's (Debian nettle-dev, pkg-config `nettle`), a small,
 * well-kept library with a plain C API and no global state, chosen over
 * libgcrypt (needs gcry_check_version initialisation, pulls libgpg-error)
 * and over the hand-written FIPS 180-4 code pdx carried before: the same
 * digest, so files written before and after match. */
#include "pdx/store.h"

#include <nettle/sha2.h>

#include <stdio.h>

void pdx_store_sha256_hex(const void *data, size_t length, char hex[65])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    if (length > 0)
        sha256_update(&ctx, length, data);
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    hex[64] = '\0';
}
