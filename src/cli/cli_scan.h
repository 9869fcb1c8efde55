/* cli_scan.h — `pdx info` of a sweep's shard files in several processes
 * (src/cli/cli_scan.c). Public headers only, like main.c. */
#ifndef PDX_CLI_SCAN_H
#define PDX_CLI_SCAN_H

#include <stdint.h>

#include "pdx/grid.h"
#include "pdx/layout.h"
#include "pdx/store.h"

/* pdx_store_scan_file of paths[0..n-1] in turn (status: the grid's array,
 * PDX_TASK_PENDING where no file has the task finished; infos[i] and,
 * reports not NULL, reports[i] of each file), the same results, with the
 * files after the first split between up to `workers` processes: this
 * one and forked children, each scanning a contiguous block and sending
 * back what it found through a pipe (HDF5 is not thread-safe; a child
 * inherits the first file's work: the shard deal and the spec's hash).
 * Returns 1 when every file was scanned, else 0 (a file did not open as a
 * file of this grid, could not be read, or its reader crashed: the caller
 * looks at the files again one by one, which says why); on 0 the
 * arrays' contents are unspecified (the caller clears them). */
int pdx_cli_scan_files(int n, char **paths, const pdx_grid *grid,
                       const pdx_layout *layout, int8_t *status,
                       pdx_store_info *infos,
                       pdx_store_verify_report *reports, int workers);

#endif
