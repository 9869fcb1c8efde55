/* fileutil.h — private to the library: temporary files written next to an
 * output and renamed over it when complete, cleanup of the temporaries of
 * killed processes, fsync of a directory. Plain POSIX (no HDF5), so that
 * any module writing files can use it. Not thread-safe where it says so. */
#ifndef PDX_FILEUTIL_H
#define PDX_FILEUTIL_H

#include <stddef.h>

#include "pdx/error.h"

/* This host's name, '/' replaced by '_' ("localhost" if unknown), always
 * NUL-terminated within `size` bytes. Thread-safe. */
void pdx_file_host_name(char *buf, size_t size);

/* "<path>.<tag>-<host>-<pid>": a temporary file of this process next to
 * `path` ("tmp": a new or repacked file renamed into place when complete;
 * "merge": the working file of a merge). Returns a malloc'ed string the
 * caller frees, or NULL (out of memory). Thread-safe. */
char *pdx_file_temporary_path(const char *path, const char *tag);

/* pdx_file_temporary_path(path, "tmp"). */
char *pdx_file_tmp_path(const char *path);

/* Remove the temporaries ("tmp" and "merge") next to `path` left by
 * processes of this host that no longer run (killed during a create,
 * repack, extension or merge); another host's are kept (their process
 * may be alive). Best effort: errors are ignored. Not thread-safe with
 * respect to other writers of the same directory. */
void pdx_file_remove_stale_temporaries(const char *path);

/* fsync the directory holding `path` (after a rename into it). File
 * systems that refuse fsync on directories (EINVAL, EROFS) count as done.
 * Returns PDX_OK or PDX_ERR_IO (the message names the directory). */
pdx_status pdx_file_fsync_directory_of(const char *path, pdx_error *err);

/* The end of writing a temporary `tmp` (closed) for `path`: with status
 * PDX_OK, rename it over `path` and fsync the directory; otherwise, or
 * when the rename fails, remove it (tmp may be NULL then). Returns the
 * first failure (status itself, or PDX_ERR_IO naming both files). */
pdx_status pdx_file_install(const char *tmp, const char *path,
                            pdx_status status, pdx_error *err);

#endif
