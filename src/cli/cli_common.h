/* cli_common.h — what the `pdx` subcommands (src/cli/) share: error
 * reporting, spec loading, a few printing helpers, and the commands
 * themselves, one file each (cmd_<name>.c), dispatched by main.c. Public
 * headers only, like every file of the command line. */
#ifndef PDX_CLI_COMMON_H
#define PDX_CLI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <signal.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/spec.h"
#include "pdx/store.h"

#ifndef PDX_VERSION
#define PDX_VERSION "unknown"
#endif

/* The commands: argv[0] is the command's name; each returns the exit code
 * (0 ok, 1 runtime failure, 2 bad usage or spec, 75 stopped early).
 * `command_line` is the whole command line (provenance). */
int pdx_cli_validate(int argc, char **argv);
int pdx_cli_plan(int argc, char **argv);
int pdx_cli_run(int argc, char **argv, const char *command_line,
                int mpi_rank, int mpi_size);
/* pdx run's handlers of SIGINT, SIGTERM and SIGUSR1 (stop requests; also
 * unblocked if the parent blocked them): main calls it before anything
 * else for `pdx run`. */
void pdx_cli_run_catch_stop_signals(void);
/* The flag those handlers raise (pdx refine passes it to its rounds). */
volatile sig_atomic_t *pdx_cli_stop_flag(void);
int pdx_cli_refine(int argc, char **argv, const char *command_line);
int pdx_cli_merge(int argc, char **argv, const char *command_line);
int pdx_cli_info(int argc, char **argv);
int pdx_cli_keys(int argc, char **argv);
int pdx_cli_theory(int argc, char **argv, const char *command_line);

/* Print "pdx: error: MESSAGE" and "(see HELP --help)" to stderr; returns
 * 2, the exit code of bad usage. `help` names the command, e.g. "pdx". */
int pdx_cli_usage_error(const char *help, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print an error (a stop by signal is not called an error: the run
 * resumes) and return its exit code. */
int pdx_cli_report(const pdx_error *err);

/* The CSV text of a theory point's status (pdx_theory_status): "solved",
 * "not_applicable", "not_converged" or "pending". */
const char *pdx_cli_theory_status(int status);

/* ",VALUE" of a CSV row on stdout: %.10g (nan, inf, -inf as such). */
void pdx_cli_put_csv(double v);

/* 1 if an argument after argv[0] is --help or -h. */
int pdx_cli_want_help(int argc, char **argv);

/* A SPEC argument that names nothing, or a directory, is bad usage:
 * prints the error (naming the path) and returns 2, else 0 (read errors
 * of an existing file are left to the parser: I/O, exit 1). */
int pdx_cli_check_spec_path(const char *path);

/* Parse, validate and build the grid (pdx_cli_check_spec_path first); prints the error and returns the
 * exit code on failure (0 on success). */
int pdx_cli_load_spec(const char *path, pdx_spec **spec, pdx_grid **grid);

/* As pdx_cli_load_spec, with command-line overrides "KEY=VALUE"
 * (pdx_spec_parse_file_overrides); prints the spec's warnings. */
int pdx_cli_load_spec_overrides(const char *path,
                                const char *const *overrides,
                                size_t n_overrides, pdx_spec **spec,
                                pdx_grid **grid);

/* The spec's warnings (spec->warnings) on stderr. */
void pdx_cli_print_warnings(const pdx_spec *spec);

/* Check the n arguments after a command's SPEC: each must be KEY=VALUE
 * (an override). Returns -1 if they are, else prints a usage error naming
 * `command` and returns 2. */
int pdx_cli_take_overrides(int n, char **args, const char *command);

/* Parse the spec stored in a result file (merge, info). Returns 0 or the
 * exit code (the error printed). */
int pdx_cli_load_spec_of_file(const pdx_store_info *info, const char *path,
                              pdx_spec **spec, pdx_grid **grid);

/* Refuse grids whose memory estimate does not fit in the machine: prints
 * the error and returns 2, else 0. */
int pdx_cli_check_memory(const pdx_spec *spec, const pdx_grid *grid,
                         int threads);

/* "0, 2, 5-7": the shard indices below `count` that none of the n files
 * holds, into buf ("" if none or out of memory). */
void pdx_cli_missing_shards(const pdx_store_info *infos, int n,
                            uint64_t count, char *buf, size_t size);

/* The current UTC time as ISO 8601 ("2026-01-02T03:04:05Z"). */
void pdx_cli_iso_time_now(char *buf, size_t size);

/* 1 if something exists at `path`. */
int pdx_cli_file_exists(const char *path);

#endif
