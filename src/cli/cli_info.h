/* cli_info.h — the text of `pdx info FILE` (src/cli_info.c), called by
 * main.c. Public headers only, like main.c. */
#ifndef PDX_CLI_INFO_H
#define PDX_CLI_INFO_H

#include <stdio.h>

#include <stdint.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/spec.h"
#include "pdx/store.h"

/* Print the summary of the result or theory file at `path` to `out`:
 * name, spec hash, axes with sizes and ranges, variables, tasks (cells)
 * by status, the check of its checksums (`verify`; *damaged: the damaged
 * tasks, listed by cell), provenance (pdx_store_describe). Before the
 * process's first HDF5 file call, set HDF5_USE_FILE_LOCKING=FALSE
 * (pdx_cli_info_unlock) so that it also works while a run writes the
 * file. Returns PDX_OK, pdx_store_describe's status (nothing printed) or
 * the failure to read the data for the check (PDX_ERR_HDF5, PDX_ERR_IO,
 * PDX_ERR_NOMEM; the summary printed up to it). */
pdx_status pdx_cli_print_info(const char *path, FILE *out, int verify,
                              uint64_t *damaged, pdx_error *err);

/* Check the checksums of the result file at `path` (pdx_store_verify_file)
 * with the grid of the spec stored in it, which *spec and *grid receive
 * (the caller destroys them; NULL on failure). Returns PDX_OK,
 * PDX_ERR_SPEC (the stored spec does not parse with this pdx),
 * PDX_ERR_MISMATCH (no spec; the file's layout is not this pdx's) or
 * pdx_store_verify_file's failure. */
pdx_status pdx_cli_verify_file(const char *path,
                               pdx_store_verify_report *report,
                               pdx_spec **spec, pdx_grid **grid,
                               pdx_error *err);

/* Let this process read files that a running pdx writes: sets
 * HDF5_USE_FILE_LOCKING=FALSE in the environment. HDF5 1.10 takes a file
 * lock that makes readers of a file being written fail (errno 11); the
 * store's read-only opens turn it off per file (HDF5 >= 1.10.7), but the
 * variable overrides that property (a user's TRUE), and 1.10.8 reads it
 * only once, when the first file call initialises its file layer: call
 * this before any, and only in a process that does not write. */
void pdx_cli_info_unlock(void);

#endif
