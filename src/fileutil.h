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

/* The lock of an output: flock(2) on the hidden sidecar file
 * "DIR/.NAME.lock" next to output DIR/NAME (never on the output itself: HDF5 takes its own locks there, and
 * readers -- pdx info, Python -- take none, so they are never blocked).
 * A kernel lock: it dies with its process, so a killed writer never
 * blocks the next one. The holder writes "<host> <pid>" into the file;
 * pdx_file_unlock removes the file while it still holds the lock (a
 * killed holder leaves it behind, empty of meaning: the next writer of
 * the output takes it over and removes it). Opaque. */
typedef struct pdx_file_lock pdx_file_lock;

/* Take the lock of output `path` without waiting: exclusive (`shared` 0:
 * a writer, for its whole life) or shared (`shared` 1: a reader that must
 * not see the file while a writer has it, e.g. a shard run looking at the
 * merged file; any number of them at once). Two locks of one path
 * conflict even within one process (separate open file descriptions).
 * With the environment variable PDX_LOCK=off, *out is a lock that locks
 * nothing (file systems without flock). Returns PDX_OK (*out set),
 * PDX_ERR_IO (held by another writer, or by readers when `shared` is 0:
 * the message names the output and the holder's host and pid; or the lock
 * file cannot be created or locked, e.g. a file system without flock: the
 * message says so and names PDX_LOCK=off), PDX_ERR_NOMEM. *out is NULL on
 * failure. Thread-safe. */
pdx_status pdx_file_lock_take(pdx_file_lock **out, const char *path,
                              int shared, pdx_error *err);

/* Release a lock (remove its file when no one else holds it). Accepts
 * NULL; sets *lock to NULL. */
void pdx_file_lock_release(pdx_file_lock **lock);

#endif
