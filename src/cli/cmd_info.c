/* cmd_info.c — `pdx info FILE...`: summary and progress of result files,
 * or of the shards of a sweep. */
#include "cli_common.h"
#include "cli_info.h"

#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pdx/layout.h"
#include "pdx/sweep.h"

/* The checksums of each of the n files (of one spec): damaged tasks by
 * cell and file, files without checksums. Returns 1 if any task is
 * damaged or a file cannot be read, else 0. */
static int check_set(int n, char **paths)
{
    int rc = 0;
    uint64_t intact = 0, unverified = 0;
    for (int i = 0; i < n; i++) {
        pdx_store_verify_report r;
        pdx_spec *spec = NULL;
        pdx_grid *grid = NULL;
        pdx_error err;
        pdx_error_clear(&err);
        pdx_status st = pdx_cli_verify_file(paths[i], &r, &spec, &grid, &err);
        if (st != PDX_OK) {
            printf("%s: checksums not checked: %s\n", paths[i], err.message);
            rc = st == PDX_ERR_MISMATCH || st == PDX_ERR_SPEC ? rc : 1;
            continue;
        }
        unverified += !r.verified;
        intact += r.checked - r.n_damaged;
        if (r.n_damaged > 0) {
            printf("%s: %llu of %llu finished tasks DAMAGED (their data do "
                   "not match their checksum):\n",
                   paths[i], (unsigned long long)r.n_damaged,
                   (unsigned long long)r.checked);
            rc = 1;
        }
        for (uint64_t t = 0; t < r.n_damaged && t < 20; t++) {
            char where[512];
            pdx_grid_describe_task(grid, r.damaged[t], where, sizeof where);
            printf("  task %llu: %s\n", (unsigned long long)r.damaged[t],
                   where);
        }
        if (r.n_damaged > 20)
            printf("  ... and %llu more\n",
                   (unsigned long long)(r.n_damaged - 20));
        pdx_store_verify_report_clear(&r);
        pdx_grid_destroy(&grid);
        pdx_spec_destroy(&spec);
    }
    printf("checksums: %llu finished tasks intact", (unsigned long long)intact);
    if (unverified > 0)
        printf(", %llu file(s) without checksums (an older pdx: unverified)",
               (unsigned long long)unverified);
    printf("\n");
    return rc;
}

static int info_of(int n, char **paths, int verify);

/* info_of in a child process: HDF5 1.10 crashes (SIGSEGV in H5HG_read)
 * reading some damaged metadata -- a flipped bit in the global heap that
 * holds the dimension lists of a file -- and `pdx info` is the command
 * that reads damaged files on purpose. A crash becomes an error naming
 * the files (exit 1). Without fork, the files are read in this process. */
static int info_guarded(int n, char **paths, int verify)
{
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child < 0)
        return info_of(n, paths, verify);
    if (child == 0) {
        int rc = info_of(n, paths, verify);
        fflush(stdout);
        fflush(stderr);
        _exit(rc);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "pdx: error: cannot wait for the reader of %s: "
                            "%s\n",
                    paths[0], strerror(errno));
            return 1;
        }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "pdx: error: %s%s: reading %s crashed the HDF5 library "
                    "(signal %d): its metadata are damaged\n",
            paths[0], n > 1 ? " ..." : "", n > 1 ? "the files" : "the file",
            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return 1;
}

/* `pdx info` of several files: one line each, then the sweep they make. */
static int info_of_set(int n, char **paths, int verify)
{
    pdx_store_info *infos = calloc((size_t)n, sizeof *infos);
    if (infos == NULL)
        return pdx_cli_report(
            &(pdx_error){.status = PDX_ERR_NOMEM, .message = "out of memory"});
    pdx_error err;
    pdx_error_clear(&err);
    int rc = 0, same_spec = 1;
    for (int i = 0; i < n && rc == 0; i++) {
        if (pdx_store_inspect(paths[i], &infos[i], &err) != PDX_OK) {
            rc = pdx_cli_report(&err);
            break;
        }
        const pdx_store_info *f = &infos[i];
        uint64_t finished = f->by_status[1] + f->by_status[2] +
                            f->by_status[3];
        char shard[64];
        if (f->shard_count > 1)
            snprintf(shard, sizeof shard, "shard %llu of %llu",
                     (unsigned long long)f->shard_index,
                     (unsigned long long)f->shard_count);
        else
            snprintf(shard, sizeof shard, "whole grid");
        printf("%s: %s, %s: %llu tasks, %llu done, %llu diverged, %llu "
               "failed, %llu pending (%.1f%%)\n",
               paths[i], shard, f->complete ? "finished" : "working",
               (unsigned long long)f->tasks,
               (unsigned long long)f->by_status[1],
               (unsigned long long)f->by_status[2],
               (unsigned long long)f->by_status[3],
               (unsigned long long)f->by_status[0],
               f->tasks > 0 ? 100.0 * (double)finished / (double)f->tasks
                            : 100.0);
        same_spec &= strcmp(f->spec_sha256, infos[0].spec_sha256) == 0;
    }
    if (rc == 0 && !same_spec)
        printf("sweep: the files hold different specs (no union)\n");
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    int8_t *status = NULL;
    if (rc == 0 && same_spec &&
        (rc = pdx_cli_load_spec_of_file(&infos[0], paths[0], &spec, &grid)) == 0) {
        pdx_layout layout;
        pdx_sweep_layout(grid, &layout);
        status = calloc((size_t)grid->n_tasks, 1);
        for (int i = 0; i < n && rc == 0 && status != NULL; i++)
            if (pdx_store_gather_status(paths[i], grid, &layout, status,
                                        &err) != PDX_OK)
                rc = pdx_cli_report(&err);
        if (rc == 0 && status != NULL) {
            uint64_t by[4] = {0, 0, 0, 0};
            for (uint64_t t = 0; t < grid->n_tasks; t++)
                by[status[t] >= 0 && status[t] <= 3 ? status[t] : 0]++;
            uint64_t finished = by[1] + by[2] + by[3];
            printf("sweep: %llu tasks (%llu cells x %llu replicas): %llu "
                   "done, %llu diverged, %llu failed, %llu pending: %.1f%% "
                   "finished\n",
                   (unsigned long long)grid->n_tasks,
                   (unsigned long long)grid->n_cells,
                   (unsigned long long)grid->replicas,
                   (unsigned long long)by[1], (unsigned long long)by[2],
                   (unsigned long long)by[3], (unsigned long long)by[0],
                   grid->n_tasks > 0
                       ? 100.0 * (double)finished / (double)grid->n_tasks
                       : 100.0);
            uint64_t count = 1;
            for (int i = 0; i < n; i++)
                if (infos[i].shard_count > count)
                    count = infos[i].shard_count;
            char absent[512] = "";
            if (count > 1)
                pdx_cli_missing_shards(infos, n, count, absent, sizeof absent);
            if (absent[0] != '\0')
                printf("shards: no file of shard(s) %s of %llu\n", absent,
                       (unsigned long long)count);
        }
    }
    if (rc == 0 && verify && check_set(n, paths) != 0) {
        fprintf(stderr, "pdx: error: damaged tasks (listed above): `pdx run "
                        "SPEC` on each damaged file (with its -o and "
                        "--shard) runs them again\n");
        rc = 1;
    }
    free(status);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    for (int i = 0; i < n; i++)
        pdx_store_info_clear(&infos[i]);
    free(infos);
    return rc;
}

int pdx_cli_info(int argc, char **argv)
{
    if (pdx_cli_want_help(argc, argv)) {
        printf("usage: pdx info FILE... [--no-verify]\n\nSummary of a result "
               "file: axes, variables, tasks by status, provenance,\nand the "
               "check of every finished task against its checksum (damaged\n"
               "tasks are listed by cell). With several files (the shards of "
               "a sweep):\na line per file, then the progress of the whole "
               "sweep, the shards no file\nholds and the damaged tasks. "
               "Works while a run is still writing the files.\n\n"
               "  --no-verify   skip the check (it reads all the data)\n\n"
               "Exit codes: 0 ok (also for a file of an older pdx without "
               "checksums:\n\"unverified\"), 1 a file cannot be read or holds "
               "damaged tasks, 2 bad usage.\n");
        return 0;
    }
    int verify = 1, n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-verify") == 0)
            verify = 0;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return pdx_cli_usage_error("pdx", "info: unknown option '%s'",
                                       argv[i]);
        else
            argv[++n] = argv[i];
    }
    if (n < 1)
        return pdx_cli_usage_error("pdx", "info needs at least one FILE");
    pdx_cli_info_unlock(); /* before the first HDF5 file call */
    return info_guarded(n, argv + 1, verify);
}

/* `pdx info` of the n files. */
static int info_of(int n, char **paths, int verify)
{
    if (n > 1)
        return info_of_set(n, paths, verify);
    char **argv = paths - 1;
    pdx_error err;
    pdx_error_clear(&err);
    uint64_t damaged = 0;
    if (pdx_cli_print_info(argv[1], stdout, verify, &damaged, &err) != PDX_OK)
        return pdx_cli_report(&err);
    if (damaged > 0) {
        fflush(stdout);
        fprintf(stderr, "pdx: error: %s: %llu damaged (listed above): "
                        "`pdx run SPEC -o %s` (with its --shard) runs damaged "
                        "tasks again; damaged labels need --force\n",
                argv[1], (unsigned long long)damaged, argv[1]);
        return 1;
    }
    return 0;
}
