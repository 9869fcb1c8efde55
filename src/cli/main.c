/* main.c — the `pdx` command line: dispatch to the commands (one file
 * each, cmd_<name>.c), --help, --version. Public headers only. */
#include <stdio.h>
#include <string.h>

#include "pdx/cluster.h"
#include "pdx/error.h"
#include "pdx/store.h"
#include "cli_common.h"
#include "version.h"

static const char *const main_usage =
    "usage: pdx <command> [options]\n"
    "\n"
    "Phase-diagram explorer: sweeps of teacher-student learning into HDF5.\n"
    "\n"
    "commands:\n"
    "  validate SPEC        check a sweep spec; exit 2 with FILE:LINE:COL on error\n"
    "  plan SPEC            axes, cells, tasks, estimated work, time, size, memory\n"
    "  run SPEC [-o OUT]    run (or resume) a sweep, or a shard of it, into "
    "HDF5\n"
    "  merge OUT FILES...   join the shard files of a sweep into one file\n"
    "  info FILE...         summary and progress of result files (or "
    "shards)\n"
    "  keys [--markdown]    every spec key with type, default, bounds, meaning\n"
    "  theory SPEC [-o OUT] statistical-mechanics predictions on the grid\n"
    "  theory --curve NAME --alpha A1,A2,...   one predicted curve as CSV\n"
    "  refine INPUT --along AXIS --kind KIND --tol TOL   locate a boundary\n"
    "                       to TOL running only the cells bisection needs\n"
    "\n"
    "options: --help (also after a command), --version\n"
    "exit codes: 0 ok, 1 runtime failure, 2 bad usage or spec, 75 stopped early\n";

/* The command line as one string (provenance), cut at its buffer. */
static void join_command_line(int argc, char **argv, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && used + 1 < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? " " : "",
                         argv[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int run_command(int argc, char **argv, int mpi_rank, int mpi_size)
{
    pdx_store_init_library();
    if (argc < 2) {
        fputs(main_usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(main_usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("pdx %s (%s)\n", PDX_VERSION, PDX_GIT_DESCRIBE);
        return 0;
    }
    char command_line[4096];
    join_command_line(argc, argv, command_line, sizeof command_line);
    if (strcmp(cmd, "validate") == 0)
        return pdx_cli_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "plan") == 0)
        return pdx_cli_plan(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return pdx_cli_run(argc - 1, argv + 1, command_line, mpi_rank,
                           mpi_size);
    if (strcmp(cmd, "info") == 0)
        return pdx_cli_info(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return pdx_cli_merge(argc - 1, argv + 1, command_line);
    if (strcmp(cmd, "keys") == 0)
        return pdx_cli_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "theory") == 0)
        return pdx_cli_theory(argc - 1, argv + 1, command_line);
    if (strcmp(cmd, "refine") == 0)
        return pdx_cli_refine(argc - 1, argv + 1, command_line);
    return pdx_cli_usage_error("pdx", "unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    pdx_error err;
    pdx_error_clear(&err);
    int mpi_rank = 0, mpi_size = 1;
    /* pdx run's stop signals first of all: a SIGTERM in the first
     * milliseconds stops the run (exit 75), it does not kill it */
    if (argc > 1 && (strcmp(argv[1], "run") == 0 ||
                     strcmp(argv[1], "refine") == 0))
        pdx_cli_run_catch_stop_signals();
    if (pdx_cluster_init(&argc, &argv, &mpi_rank, &mpi_size, &err) != PDX_OK)
        return pdx_cli_report(&err);
    int rc = run_command(argc, argv, mpi_rank, mpi_size);
    pdx_cluster_finalize();
    return rc;
}
