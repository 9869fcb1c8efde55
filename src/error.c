/* error.c — the one place where pdx errors are set. */
#include "pdx/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy_string(char *dst, size_t size, const char *src)
{
    if (src == NULL) {
        dst[0] = '\0';
        return;
    }
    snprintf(dst, size, "%s", src);
}

pdx_status pdx_error_set(pdx_error *err, pdx_status status, const char *file,
                         int line, int column, const char *key,
                         const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    copy_string(err->file, sizeof err->file, file);
    err->line = line;
    err->column = column;
    copy_string(err->key, sizeof err->key, key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

void pdx_error_clear(pdx_error *err)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof *err);
    err->status = PDX_OK;
}

size_t pdx_error_format(const pdx_error *err, char *buf, size_t size)
{
    if (size == 0)
        return 0;
    buf[0] = '\0';
    if (err == NULL)
        return 0;
    char where[320] = "";
    if (err->file[0] != '\0') {
        if (err->line > 0 && err->column > 0)
            snprintf(where, sizeof where, "%.255s:%d:%d: ", err->file,
                     err->line, err->column);
        else if (err->line > 0)
            snprintf(where, sizeof where, "%.255s:%d: ", err->file, err->line);
        else
            snprintf(where, sizeof where, "%.255s: ", err->file);
    }
    const char *message = err->message[0] != '\0'
                              ? err->message
                              : pdx_status_name(err->status);
    int n = snprintf(buf, size, "%s%s%s%s", where, err->key,
                     err->key[0] != '\0' ? ": " : "", message);
    if (n < 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

const char *pdx_status_name(pdx_status status)
{
    switch (status) {
    case PDX_OK: return "ok";
    case PDX_ERR_USAGE: return "usage";
    case PDX_ERR_SPEC: return "spec";
    case PDX_ERR_IO: return "io";
    case PDX_ERR_HDF5: return "hdf5";
    case PDX_ERR_NOMEM: return "out of memory";
    case PDX_ERR_NUMERIC: return "numeric";
    case PDX_ERR_TOO_BIG: return "too big";
    case PDX_ERR_MISMATCH: return "mismatch";
    case PDX_ERR_STOPPED: return "stopped";
    case PDX_ERR_INTERNAL: return "internal";
    }
    return "unknown";
}

int pdx_status_exit_code(pdx_status status)
{
    switch (status) {
    case PDX_OK: return 0;
    case PDX_ERR_USAGE:
    case PDX_ERR_SPEC:
    case PDX_ERR_TOO_BIG: return 2;
    case PDX_ERR_STOPPED: return 75;
    default: return 1;
    }
}
