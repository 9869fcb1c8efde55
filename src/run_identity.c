/* run_identity.c — files of a pdx before the canonical spec identity
 * (issue 19): their `spec_sha256` is the SHA-256 of the spec's raw text,
 * so a comment or a change of layout would make them "another spec". The
 * spec text they store is parsed again: when it is this spec in canonical
 * form, the file's identity is recorded as this spec's
 * (pdx_spec.older_sha256), and every later check (pdx_store_spec_matches:
 * resume, verify, merge, theory files) accepts it. */
#include "pdx/run.h"

#include "pdx/store.h"

#include <stdio.h>
#include <string.h>

static void add_older(pdx_spec *spec, const char *sha)
{
    size_t n = sizeof spec->older_sha256 / sizeof spec->older_sha256[0];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(spec->older_sha256[i], sha) == 0)
            return;
        if (spec->older_sha256[i][0] == '\0') {
            snprintf(spec->older_sha256[i], sizeof spec->older_sha256[i],
                     "%s", sha);
            return;
        }
    }
}

int pdx_run_older_identity(pdx_spec *spec, const char *path)
{
    pdx_store_info info;
    if (path == NULL || pdx_store_inspect(path, &info, NULL) != PDX_OK)
        return 0;
    int same = pdx_store_spec_matches(spec, info.spec_sha256);
    if (!same && info.spec_text != NULL) {
        char raw[65], mine[65], theirs[65];
        pdx_store_sha256_hex(info.spec_text, info.spec_length, raw);
        pdx_spec *old = NULL;
        /* only an identity of the old kind (the hash of the stored text);
         * a canonical identity of another spec stays another spec */
        if (strcmp(raw, info.spec_sha256) == 0 &&
            pdx_spec_parse_string(&old, info.spec_text, info.spec_length,
                                  path, NULL) == PDX_OK) {
            pdx_store_spec_sha256(spec, mine);
            pdx_store_spec_sha256(old, theirs);
            same = strcmp(mine, theirs) == 0;
            if (same)
                add_older(spec, info.spec_sha256);
        }
        pdx_spec_destroy(&old);
    }
    pdx_store_info_clear(&info);
    return same;
}
