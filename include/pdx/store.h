/* pdx/store.h — result files: netCDF-4 compatible HDF5 with named
 * dimensions, crash-safe per-task commits, final compressed repack.
 *
 * The only module that includes hdf5.h. HDF5 is not called concurrently by
 * pdx: callers serialise every pdx_store_* call (the sweep does so in one
 * named critical section). File layout: docs/FORMAT.md.
 *
 * Write protocol (see DESIGN.md): every dataset is created up front,
 * unfiltered, space allocated early, filled with NaN (status 0 = pending),
 * in a file created under a temporary name and then renamed to `path`.
 * A commit writes the task's data, flushes, sets its status, flushes.
 * pdx_store_finish rewrites the file compressed (shuffle + deflate) under a
 * temporary name and renames it over `path`. */
#ifndef PDX_STORE_H
#define PDX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/layout.h"

typedef struct pdx_store pdx_store;

typedef struct pdx_provenance {
    const char *pdx_version;  /* e.g. "0.1.0" */
    const char *git_describe; /* "unknown" if not built from git */
    const char *command_line;
    const char *host;
    const char *start_time;   /* ISO 8601 UTC */
    const char *rng;          /* "philox4x32-10" */
    int rng_key_version;      /* bumped when streams change */
} pdx_provenance;

typedef struct pdx_store_options {
    int fsync_each_commit; /* fsync the file after every commit (after
                            * the data and again after the status, so
                            * that a node crash cannot keep a status
                            * without its data) */
} pdx_store_options;

/* Create a new result file at `path` for every task of `grid` (overwrites
 * an existing file at `path` only after the new one is complete). The
 * grid, its spec and the layout must outlive the store.
 * Returns PDX_OK, PDX_ERR_IO (also when the directory has too little free
 * space for the file, checked first), PDX_ERR_HDF5 (message names path and
 * the object), PDX_ERR_NOMEM, PDX_ERR_USAGE (grid, spec and layout
 * disagree, or a layout variable name is reserved or repeated),
 * PDX_ERR_TOO_BIG (more than 28 axes). */
pdx_status pdx_store_create(pdx_store **out, const char *path,
                            const pdx_grid *grid, const pdx_layout *layout,
                            const pdx_provenance *provenance,
                            const pdx_store_options *options, pdx_error *err);

/* Open an existing working file written by pdx_store_create for further
 * commits (resume). Fails with PDX_ERR_MISMATCH when its spec SHA-256, grid
 * shape or layout differ from the arguments, naming what differs. */
pdx_status pdx_store_open(pdx_store **out, const char *path,
                          const pdx_grid *grid, const pdx_layout *layout,
                          const pdx_store_options *options, pdx_error *err);

/* Read-only look at an existing file: the SHA-256 of the spec it was
 * written for ("" if none) and whether the run in it finished (the file was
 * repacked by pdx_store_finish and takes no more commits). Returns PDX_OK,
 * PDX_ERR_IO/PDX_ERR_HDF5 (cannot open), PDX_ERR_MISMATCH (not pdx). */
pdx_status pdx_store_probe(const char *path, char spec_sha256[65],
                           int *complete, pdx_error *err);

/* Status of every task (n_tasks int8 values, pdx_task_status). */
pdx_status pdx_store_read_status(pdx_store *store, int8_t *status,
                                 pdx_error *err);

/* Write one task's results and mark it with record->status (protocol
 * above). A NULL record->values or values[v] writes NaN. Returns PDX_OK,
 * PDX_ERR_HDF5, PDX_ERR_IO (e.g. disk full: the file stays valid and the
 * task stays pending), PDX_ERR_USAGE (task out of range, status not 1..3). */
pdx_status pdx_store_commit(pdx_store *store, const pdx_task_record *record,
                            pdx_error *err);

/* Finish: write end_time, repack compressed under a temporary name, rename
 * over the working file, and destroy the store (*store set to NULL, also
 * on failure, where the uncompressed working file is left intact). Needs
 * free space up to the working file's size (checked first: PDX_ERR_IO).
 * Returns PDX_OK, PDX_ERR_IO, PDX_ERR_HDF5, PDX_ERR_NOMEM. */
pdx_status pdx_store_finish(pdx_store **store, const char *end_time,
                            pdx_error *err);

/* Close without finishing (the file stays a valid, resumable working
 * file). Accepts NULL; sets *store to NULL. */
void pdx_store_destroy(pdx_store **store);

/* Print a summary of any pdx result file to `out` (a FILE*): name, spec
 * hash, axes with sizes and ranges, variables, task counts by status,
 * provenance. Opens read-only without file locking so that it works while
 * a run is writing; to that end it also sets HDF5_USE_FILE_LOCKING=FALSE
 * in the process environment (for the CLI, not for a process that writes).
 * Returns PDX_OK, PDX_ERR_IO, PDX_ERR_HDF5, PDX_ERR_MISMATCH (not a pdx
 * file). */
pdx_status pdx_store_print_info(const char *path, void *out, pdx_error *err);

/* Silence HDF5's automatic error printing (once, at start-up; the store
 * also silences it on entry to every call, since thread-safe HDF5 keeps
 * that setting per thread). */
void pdx_store_init_library(void);

/* SHA-256 of `length` bytes as 64 lowercase hex digits and a NUL (the
 * `spec_sha256` attribute). Thread-safe. */
void pdx_store_sha256_hex(const void *data, size_t length, char hex[65]);

#endif
