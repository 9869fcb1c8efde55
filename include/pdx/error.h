/* pdx/error.h — status codes and error context.
 *
 * Every fallible pdx function returns a pdx_status and takes a last argument
 * `pdx_error *err` (may be NULL) that receives where and what went wrong.
 * Status values are stable: they are written to result files and never
 * renumbered. All errors are set through pdx_error_set (one breakpoint). */
#ifndef PDX_ERROR_H
#define PDX_ERROR_H

#include <stddef.h>

typedef enum pdx_status {
    PDX_OK = 0,
    PDX_ERR_USAGE = 1,     /* bad command-line usage or bad argument */
    PDX_ERR_SPEC = 2,      /* the sweep spec is invalid (file:line:col: key) */
    PDX_ERR_IO = 3,        /* a file could not be read or written */
    PDX_ERR_HDF5 = 4,      /* an HDF5 call failed (path named in message) */
    PDX_ERR_NOMEM = 5,     /* allocation failed */
    PDX_ERR_NUMERIC = 6,   /* a numerical routine failed */
    PDX_ERR_TOO_BIG = 7,   /* grid size overflows or exceeds the machine */
    PDX_ERR_MISMATCH = 8,  /* a file does not match the spec or layout */
    PDX_ERR_STOPPED = 9,   /* stopped early by a signal; resumable */
    PDX_ERR_INTERNAL = 10  /* broken invariant that could not be asserted */
} pdx_status;

/* Per-task status stored in result files (int8 variable `status`). */
typedef enum pdx_task_status {
    PDX_TASK_PENDING = 0,
    PDX_TASK_DONE = 1,
    PDX_TASK_DIVERGED = 2,
    PDX_TASK_FAILED = 3
} pdx_task_status;

typedef struct pdx_error {
    pdx_status status;
    char file[256];    /* spec or data file at fault, "" if none */
    int line;          /* 1-based line in `file`, 0 if none */
    int column;        /* 1-based column in `file`, 0 if none */
    char key[128];     /* spec key, HDF5 path or cell at fault, "" if none */
    char message[768]; /* what is wrong, in words a user understands */
} pdx_error;

/* Record an error in *err (if err is not NULL) and return `status`.
 * `file`, `key` may be NULL; `line`/`column` 0 when unknown.
 * Thread-safe as long as each thread uses its own pdx_error. */
pdx_status pdx_error_set(pdx_error *err, pdx_status status, const char *file,
                         int line, int column, const char *key,
                         const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;

/* Reset *err to "no error" (status PDX_OK, empty strings). NULL is a no-op. */
void pdx_error_clear(pdx_error *err);

/* Render "FILE:LINE:COLUMN: key: message" (the parts that are known) into
 * buf (always NUL-terminated). Returns the number of characters written. */
size_t pdx_error_format(const pdx_error *err, char *buf, size_t size);

/* Short stable name of a status ("ok", "spec", ...). Never NULL. */
const char *pdx_status_name(pdx_status status);

/* Process exit code for a status: 0 ok, 2 usage/spec/too big, 75 stopped,
 * 1 anything else. */
int pdx_status_exit_code(pdx_status status);

#endif
