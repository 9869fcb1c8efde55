/* cli_info.h — the text of `pdx info FILE` (src/cli_info.c), called by
 * main.c. Public headers only, like main.c. */
#ifndef PDX_CLI_INFO_H
#define PDX_CLI_INFO_H

#include <stdio.h>

#include "pdx/error.h"

/* Print the summary of the result or theory file at `path` to `out`:
 * name, spec hash, axes with sizes and ranges, variables, tasks (cells)
 * by status, provenance (pdx_store_describe). Before the process's first
 * HDF5 file call, set HDF5_USE_FILE_LOCKING=FALSE (pdx_cli_info_unlock)
 * so that it also works while a run writes the file. Returns PDX_OK or
 * pdx_store_describe's status; prints nothing on failure. */
pdx_status pdx_cli_print_info(const char *path, FILE *out, pdx_error *err);

/* Let this process read files that a running pdx writes: sets
 * HDF5_USE_FILE_LOCKING=FALSE in the environment. HDF5 1.10 takes a file
 * lock that makes readers of a file being written fail (errno 11); the
 * store's read-only opens turn it off per file (HDF5 >= 1.10.7), but the
 * variable overrides that property (a user's TRUE), and 1.10.8 reads it
 * only once, when the first file call initialises its file layer: call
 * this before any, and only in a process that does not write. */
void pdx_cli_info_unlock(void);

#endif
