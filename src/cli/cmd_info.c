/* cmd_info.c — `pdx info FILE...`: summary and progress of result files,
 * or of the shards of a sweep. */
#include "cli_common.h"
#include "cli_info.h"
#include "cli_scan.h"

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

/* What the checks of a set found so far. */
typedef struct check_tally {
    uint64_t intact, unverified;
} check_tally;

/* Print the check of one file (st: its status, err its error, r its
 * report, grid the grid of its spec) and count it. Returns 1 if a task
 * is damaged or the file cannot be read, else 0. */
static int check_one(const char *path, pdx_status st, const pdx_error *err,
                     const pdx_store_verify_report *r, const pdx_grid *grid,
                     check_tally *tally)
{
    if (st != PDX_OK) {
        printf("%s: checksums not checked: %s\n", path, err->message);
        return st == PDX_ERR_MISMATCH || st == PDX_ERR_SPEC ? 0 : 1;
    }
    tally->unverified += !r->verified;
    tally->intact += r->checked - r->n_damaged;
    if (r->n_damaged > 0)
        printf("%s: %llu of %llu finished tasks DAMAGED (their data do "
               "not match their checksum):\n",
               path, (unsigned long long)r->n_damaged,
               (unsigned long long)r->checked);
    for (uint64_t t = 0; t < r->n_damaged && t < 20; t++) {
        char where[512];
        pdx_grid_describe_task(grid, r->damaged[t], where, sizeof where);
        printf("  task %llu: %s\n", (unsigned long long)r->damaged[t], where);
    }
    if (r->n_damaged > 20)
        printf("  ... and %llu more\n",
               (unsigned long long)(r->n_damaged - 20));
    return r->n_damaged > 0;
}

static void check_total(const check_tally *tally)
{
    printf("checksums: %llu finished tasks intact",
           (unsigned long long)tally->intact);
    if (tally->unverified > 0)
        printf(", %llu file(s) without checksums (an older pdx: unverified)",
               (unsigned long long)tally->unverified);
    printf("\n");
}

/* The checksums of each of the n files (of one spec): damaged tasks by
 * cell and file, files without checksums. `grid` (NULL: each file's own,
 * built from its spec) is the grid of every file's spec when they share
 * one: 1,000 shard files are then checked without parsing the spec and
 * dealing the shards 1,000 times. Returns 1 if any task is damaged or a
 * file cannot be read, else 0. */
static int check_set(int n, char **paths, const pdx_grid *shared_grid)
{
    int rc = 0;
    check_tally tally = {0, 0};
    for (int i = 0; i < n; i++) {
        pdx_store_verify_report r;
        pdx_spec *spec = NULL;
        pdx_grid *grid = NULL;
        pdx_error err;
        pdx_error_clear(&err);
        pdx_status st;
        if (shared_grid != NULL) {
            pdx_layout layout;
            pdx_sweep_layout(shared_grid, &layout);
            st = pdx_store_verify_file(paths[i], shared_grid, &layout, &r,
                                       &err);
        } else {
            st = pdx_cli_verify_file(paths[i], &r, &spec, &grid, &err);
        }
        rc |= check_one(paths[i], st, &err, &r,
                        shared_grid != NULL ? shared_grid : grid, &tally);
        pdx_store_verify_report_clear(&r);
        pdx_grid_destroy(&grid);
        pdx_spec_destroy(&spec);
    }
    check_total(&tally);
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

/* The line of one file of a set. */
static void print_file_line(const char *path, const pdx_store_info *f)
{
    uint64_t finished = f->by_status[1] + f->by_status[2] + f->by_status[3];
    char shard[64];
    if (f->shard_count > 1)
        snprintf(shard, sizeof shard, "shard %llu of %llu",
                 (unsigned long long)f->shard_index,
                 (unsigned long long)f->shard_count);
    else
        snprintf(shard, sizeof shard, "whole grid");
    printf("%s: %s, %s: %llu tasks, %llu done, %llu diverged, %llu "
           "failed, %llu pending (%.1f%%)\n",
           path, shard, f->complete ? "finished" : "working",
           (unsigned long long)f->tasks, (unsigned long long)f->by_status[1],
           (unsigned long long)f->by_status[2],
           (unsigned long long)f->by_status[3],
           (unsigned long long)f->by_status[0],
           f->tasks > 0 ? 100.0 * (double)finished / (double)f->tasks
                        : 100.0);
}

/* The lines of the sweep the n files make (status: every task's). */
static void print_sweep_lines(const pdx_grid *grid, const int8_t *status,
                              const pdx_store_info *infos, int n)
{
    uint64_t by[4] = {0, 0, 0, 0};
    for (uint64_t t = 0; t < grid->n_tasks; t++)
        by[status[t] >= 0 && status[t] <= 3 ? status[t] : 0]++;
    uint64_t finished = by[1] + by[2] + by[3];
    printf("sweep: %llu tasks (%llu cells x %llu replicas): %llu "
           "done, %llu diverged, %llu failed, %llu pending: %.1f%% "
           "finished\n",
           (unsigned long long)grid->n_tasks,
           (unsigned long long)grid->n_cells,
           (unsigned long long)grid->replicas, (unsigned long long)by[1],
           (unsigned long long)by[2], (unsigned long long)by[3],
           (unsigned long long)by[0],
           grid->n_tasks > 0 ? 100.0 * (double)finished / (double)grid->n_tasks
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

static void report_damage(void)
{
    fprintf(stderr, "pdx: error: damaged tasks (listed above): `pdx run "
                    "SPEC` on each damaged file (with its -o and "
                    "--shard) runs them again\n");
}

/* Processes that scan a set of n files: one per core (OMP_NUM_THREADS
 * caps it, as for pdx run), at least 100 files each (a fork and the
 * results' trip back cost about a millisecond; the tests set
 * PDX_INFO_FILES_PER_PROCESS lower to split a few files). */
static int scan_workers(int n)
{
    int cores = omp_get_max_threads();
    const char *per = getenv("PDX_INFO_FILES_PER_PROCESS");
    int each = per != NULL && atoi(per) > 0 ? atoi(per) : 100;
    int most = n / each;
    return cores < most ? cores : most > 1 ? most : 1;
}

/* The common case of a set, the shards of one sweep, with one opening per
 * file (pdx_store_scan_file: its line, its status and its check), the
 * spec parsed and the shards dealt once, the files split between a
 * process per core (pdx_cli_scan_files): 1,000 shard files in under a
 * second. Prints what info_of_each prints. Returns -1 without printing
 * anything when a file does not open as a file of the first file's spec
 * or cannot be read or checked (info_of_each then says why), else the
 * exit code. */
static int info_of_sweep(int n, char **paths, int verify)
{
    pdx_store_info first;
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_store_inspect(paths[0], &first, &err) != PDX_OK)
        return -1;
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    int rc = -1;
    /* a spec that does not load: info_of_each says so */
    int loaded = first.spec_text != NULL &&
                 pdx_spec_parse_string(&spec, first.spec_text,
                                       first.spec_length, first.spec_path,
                                       NULL) == PDX_OK &&
                 pdx_grid_create(&grid, spec, NULL) == PDX_OK;
    pdx_store_info_clear(&first);
    if (!loaded) {
        pdx_spec_destroy(&spec);
        return -1;
    }
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    pdx_store_info *infos = calloc((size_t)n, sizeof *infos);
    pdx_store_verify_report *reports =
        verify ? calloc((size_t)n, sizeof *reports) : NULL;
    int8_t *status = calloc((size_t)grid->n_tasks + 1, 1);
    int ok = infos != NULL && status != NULL && (!verify || reports != NULL);
    if (ok)
        ok = pdx_cli_scan_files(n, paths, grid, &layout, status, infos,
                                reports, scan_workers(n));
    if (ok) {
        for (int i = 0; i < n; i++)
            print_file_line(paths[i], &infos[i]);
        print_sweep_lines(grid, status, infos, n);
        rc = 0;
        if (verify) {
            check_tally tally = {0, 0};
            for (int i = 0; i < n; i++)
                rc |= check_one(paths[i], PDX_OK, &err, &reports[i], grid,
                                &tally);
            check_total(&tally);
            if (rc != 0)
                report_damage();
        }
    }
    for (int i = 0; i < n && infos != NULL; i++)
        pdx_store_info_clear(&infos[i]);
    for (int i = 0; i < n && reports != NULL; i++)
        pdx_store_verify_report_clear(&reports[i]);
    free(infos);
    free(reports);
    free(status);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}

/* `pdx info` of several files: one line each, then the sweep they make. */
static int info_of_each(int n, char **paths, int verify)
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
        print_file_line(paths[i], &infos[i]);
        same_spec &= strcmp(infos[i].spec_sha256, infos[0].spec_sha256) == 0;
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
        if (rc == 0 && status != NULL)
            print_sweep_lines(grid, status, infos, n);
    }
    if (rc == 0 && verify &&
        check_set(n, paths, same_spec ? grid : NULL) != 0) {
        report_damage();
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

static int info_of_set(int n, char **paths, int verify)
{
    int rc = info_of_sweep(n, paths, verify);
    return rc >= 0 ? rc : info_of_each(n, paths, verify);
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
