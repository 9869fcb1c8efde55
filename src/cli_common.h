/* cli_common.h — error reporting shared by the `pdx` subcommands (main.c,
 * cli_theory.c). Public headers only, like them. */
#ifndef PDX_CLI_COMMON_H
#define PDX_CLI_COMMON_H

#include "pdx/error.h"

/* Print "pdx: error: MESSAGE" and "(see HELP --help)" to stderr; returns
 * 2, the exit code of bad usage. `help` names the command, e.g. "pdx". */
int pdx_cli_usage_error(const char *help, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print an error (a stop by signal is not called an error: the run
 * resumes) and return its exit code. */
int pdx_cli_report(const pdx_error *err);

#endif
