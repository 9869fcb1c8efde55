/* cli_common.c — error reporting shared by the `pdx` subcommands. */
#include "cli_common.h"

#include <stdarg.h>
#include <stdio.h>

int pdx_cli_usage_error(const char *help, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pdx: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see %s --help)\n", help);
    va_end(ap);
    return 2;
}

int pdx_cli_report(const pdx_error *err)
{
    char buf[2048];
    pdx_error_format(err, buf, sizeof buf);
    fprintf(stderr, "pdx: %s%s\n",
            err->status == PDX_ERR_STOPPED ? "" : "error: ", buf);
    return pdx_status_exit_code(err->status);
}
