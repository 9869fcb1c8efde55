/* sha256.c — the spec's SHA-256 (the `spec_sha256` attribute).
 *
 * Hashing is nettle's (Debian nettle-dev, pkg-config `nettle`), a small,
 * well-kept library with a plain C API and no global state, chosen over
 * libgcrypt (needs gcry_check_version initialisation, pulls libgpg-error)
 * and over the hand-written FIPS 180-4 code pdx carried before: the same
 * digest, so files written before and after match.
 *
 * What is hashed (issue 19): the spec's canonical text (pdx_spec's
 * `canonical`: keys and values as parsed), so that a comment or a change
 * of layout does not make a file "another spec"; files of pdx before it
 * hold the hash of the raw text, which pdx_store_spec_matches accepts. */
#include "pdx/store.h"

#include <nettle/sha2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The last text hashed and its hash: `pdx info` of 1,000 shard files
 * opens each against one spec, whose canonical text (every value of its
 * axes: 20 kB for a 10^5-cell grid) took a fifth of the command to hash
 * again for each file. Compared byte for byte, so never stale. The store
 * is called from one thread at a time (pdx/store.h), so is this. */
static struct {
    char *text;
    size_t length;
    char hex[65];
} sha_memo;

static void sha256_memo(const char *text, size_t length, char hex[65])
{
    if (sha_memo.text != NULL && sha_memo.length == length &&
        memcmp(sha_memo.text, text, length) == 0) {
        memcpy(hex, sha_memo.hex, 65);
        return;
    }
    pdx_store_sha256_hex(text, length, hex);
    char *copy = malloc(length + 1);
    if (copy == NULL)
        return; /* not remembered */
    memcpy(copy, text, length);
    free(sha_memo.text);
    sha_memo.text = copy;
    sha_memo.length = length;
    memcpy(sha_memo.hex, hex, 65);
}

void pdx_store_spec_sha256(const pdx_spec *spec, char hex[65])
{
    if (spec->canonical != NULL)
        sha256_memo(spec->canonical, spec->canonical_length, hex);
    else
        sha256_memo(spec->text != NULL ? spec->text : "",
                    spec->text != NULL ? spec->text_length : 0, hex);
}

int pdx_store_spec_matches(const pdx_spec *spec, const char *file_sha)
{
    char hex[65];
    if (file_sha == NULL || file_sha[0] == '\0')
        return 0;
    pdx_store_spec_sha256(spec, hex);
    if (strcmp(hex, file_sha) == 0)
        return 1;
    /* written by a pdx before issue 19: the hash of the raw text, of this
     * text or of one found to be this spec (pdx_run_older_identity) */
    pdx_store_sha256_hex(spec->text != NULL ? spec->text : "",
                         spec->text != NULL ? spec->text_length : 0, hex);
    if (strcmp(hex, file_sha) == 0)
        return 1;
    for (size_t i = 0; i < sizeof spec->older_sha256 / 65; i++)
        if (spec->older_sha256[i][0] != '\0' &&
            strcmp(spec->older_sha256[i], file_sha) == 0)
            return 1;
    return 0;
}
