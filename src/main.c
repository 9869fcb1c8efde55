/* main.c — the `pdx` command line. Public headers only. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "pdx/cluster.h"
#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/rng.h"
#include "pdx/spec.h"
#include "pdx/store.h"
#include "pdx/sweep.h"
#include "cli_common.h"
#include "cli_info.h"
#include "cli_theory.h"
#include "version.h"

#ifndef PDX_VERSION
#define PDX_VERSION "unknown"
#endif

/* Number of stop signals received (SIGINT, SIGTERM, SIGUSR1). */
static volatile sig_atomic_t stop_requested = 0;

/* This process's MPI rank and the number of ranks (0 and 1 without MPI). */
static int mpi_rank = 0, mpi_size = 1;

static void on_stop_signal(int sig)
{
    (void)sig;
    if (stop_requested < 100)
        stop_requested++;
}

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
    "\n"
    "options: --help (also after a command), --version\n"
    "exit codes: 0 ok, 1 runtime failure, 2 bad usage or spec, 75 stopped early\n";

/* A whole number in [1, max] from an option argument; 0 if it is not. */
static int parse_count(const char *text, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || v < 1 || v > max)
        return 0;
    *out = (int)v;
    return 1;
}

/* Parse, validate and build the grid; prints the error and returns the exit
 * code on failure (0 on success). */
static int load_spec(const char *path, pdx_spec **spec, pdx_grid **grid)
{
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_spec_parse_file(spec, path, &err) != PDX_OK)
        return pdx_cli_report(&err);
    if (pdx_grid_create(grid, *spec, &err) != PDX_OK) {
        pdx_spec_destroy(spec);
        return pdx_cli_report(&err);
    }
    return 0;
}

static double physical_memory_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : INFINITY;
}

static int resolve_threads(int requested)
{
    return requested > 0 ? requested : omp_get_max_threads();
}

/* Refuse grids whose memory estimate does not fit in the machine. */
static int check_memory(const pdx_spec *spec, const pdx_grid *grid,
                        int threads)
{
    double need = pdx_sweep_memory_bytes(grid, threads);
    double have = physical_memory_bytes();
    if (need > 0.8 * have) {
        pdx_error err;
        pdx_error_set(&err, PDX_ERR_TOO_BIG, spec->path, 0, 0, NULL,
                      "the run needs about %.3g GiB of memory with %d "
                      "threads but the machine has %.3g GiB (reduce N, "
                      "record.test_size, hidden units or --threads)",
                      need / 1073741824.0, threads, have / 1073741824.0);
        return pdx_cli_report(&err);
    }
    return 0;
}

static double output_bytes(const pdx_grid *grid)
{
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    double per_task = 1.0 + 8.0 + 8.0; /* status, steps, wall_seconds */
    for (size_t v = 0; v < layout.n_vars; v++)
        per_task += 8.0 * (double)pdx_layout_var_size(&layout, v);
    return per_task * (double)grid->n_tasks;
}

static void print_bytes(FILE *f, double bytes)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        u++;
    }
    fprintf(f, "%.1f %s", bytes, unit[u]);
}

static int want_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

static int cmd_validate(int argc, char **argv)
{
    if (want_help(argc, argv)) {
        printf("usage: pdx validate SPEC\n\nParse and check a sweep spec. "
               "Prints a one-line summary; on error prints\n"
               "FILE:LINE:COLUMN: key: what is wrong, and exits with 2.\n");
        return 0;
    }
    if (argc != 2)
        return pdx_cli_usage_error("pdx",
                                   "validate needs exactly one SPEC file");
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    int rc = load_spec(argv[1], &spec, &grid);
    if (rc != 0)
        return rc;
    rc = check_memory(spec, grid, resolve_threads(0));
    if (rc == 0)
        printf("%s: ok: %zu axes, %llu cells, %llu tasks, %zu times\n",
               argv[1], spec->n_axes, (unsigned long long)grid->n_cells,
               (unsigned long long)grid->n_tasks, spec->n_times);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}

static int cmd_plan(int argc, char **argv)
{
    int threads = 0;
    static const struct option opts[] = {{"threads", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
        if (c == 't')
            threads = atoi(optarg);
        else if (c == 'h') {
            printf("usage: pdx plan SPEC [--threads N]\n\nShow the axes, "
                   "number of cells and tasks, estimated work and time, the\n"
                   "output size and the memory a run needs.\n");
            return 0;
        } else
            return 2;
    }
    if (optind != argc - 1)
        return pdx_cli_usage_error("pdx", "plan needs exactly one SPEC file");
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    int rc = load_spec(argv[optind], &spec, &grid);
    if (rc != 0)
        return rc;
    threads = resolve_threads(threads);
    const pdx_key *keys = pdx_spec_keys(NULL);
    printf("spec     %s (%s)\n", spec->path, spec->base.name);
    printf("axes     %zu\n", spec->n_axes);
    for (size_t a = 0; a < spec->n_axes; a++) {
        const pdx_axis *ax = &spec->axes[a];
        const pdx_key *k = &keys[ax->key];
        static const char *const scale[] = {"list", "lin", "log"};
        printf("  %-28s %4zu values  %-4s ", k->name, ax->n, scale[ax->scale]);
        if (k->type == PDX_KEY_CHOICE)
            for (size_t i = 0; i < ax->n; i++)
                printf("%s%s", i ? ", " : "",
                       pdx_spec_choice_name(ax->key, (int)ax->values[i]));
        else
            printf("%g .. %g", ax->values[0], ax->values[ax->n - 1]);
        printf("\n");
    }
    printf("cells    %llu\n", (unsigned long long)grid->n_cells);
    printf("replicas %llu\n", (unsigned long long)grid->replicas);
    printf("tasks    %llu\n", (unsigned long long)grid->n_tasks);
    printf("times    %zu checkpoints, %g .. %g\n", spec->n_times,
           spec->times[0], spec->times[spec->n_times - 1]);
    double cost = 0.0, steps = 0.0;
    for (uint64_t cell = 0; cell < grid->n_cells; cell++) {
        pdx_params p;
        pdx_grid_cell_params(grid, cell, &p);
        cost += pdx_grid_task_cost(&p) * (double)grid->replicas;
        steps += (double)pdx_grid_total_steps(&p) *
                 (double)grid->replicas;
    }
    /* ~6 GFLOP/s of the cost model per thread on a 2020s x86-64 core */
    double seconds = cost / (6e9 * threads);
    printf("work     %.3g SGD steps, %.3g flop (cost model)\n", steps, cost);
    printf("time     about %.3g s with %d threads (estimate)\n", seconds,
           threads);
    printf("output   ");
    print_bytes(stdout, output_bytes(grid));
    printf(" uncompressed\nmemory   ");
    print_bytes(stdout, pdx_sweep_memory_bytes(grid, threads));
    printf(" with %d threads (machine: ", threads);
    print_bytes(stdout, physical_memory_bytes());
    printf(")\n");
    rc = check_memory(spec, grid, threads);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}

static void iso_time_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Print why an existing output file is refused, and return exit code 2. */
static int refuse_existing(const char *path, const pdx_error *err, int extend)
{
    char buf[1200];
    pdx_error_format(err, buf, sizeof buf);
    fprintf(stderr,
            "pdx: error: %s already exists and does not match this spec "
            "(%s);\n%suse --force to start over, or -o to choose another "
            "file\n",
            path, buf,
            extend ? ""
                   : "use --extend if this spec only adds axis values or "
                     "replicas to it, ");
    return 2;
}

/* Whether a run makes a new file at `path` (the sweep creates it while
 * computing): none there or --force, and not a shard of a sweep whose
 * merged file `base` exists. Else open_output opens it. */
static int makes_new_file(const char *path, const char *base, int force)
{
    return force || (!file_exists(path) &&
                     (strcmp(path, base) == 0 || !file_exists(base)));
}

/* pdx_store_create_extended with the grid of the spec stored in `base`
 * (the store does not parse specs; it says why when there is no grid to
 * build: no spec, a shard file). */
static pdx_status create_extended(pdx_store **store, const char *path,
                                  const char *base, const pdx_grid *grid,
                                  const pdx_layout *layout,
                                  const pdx_provenance *prov,
                                  const pdx_store_options *opts,
                                  uint64_t *carried, pdx_error *err)
{
    pdx_store_info info;
    pdx_spec *base_spec = NULL;
    pdx_grid *base_grid = NULL;
    pdx_status st = pdx_store_inspect(base, &info, err);
    if (st == PDX_OK && info.spec_text != NULL && info.shard_count <= 1) {
        pdx_error inner;
        pdx_error_clear(&inner);
        if (pdx_spec_parse_string(&base_spec, info.spec_text,
                                  info.spec_length,
                                  info.spec_path != NULL ? info.spec_path
                                                         : base,
                                  &inner) != PDX_OK) {
            char buf[1024];
            pdx_error_format(&inner, buf, sizeof buf);
            st = pdx_error_set(err, PDX_ERR_SPEC, base, 0, 0, "/@spec",
                               "the spec stored in the file does not parse "
                               "with this pdx: %s",
                               buf);
        } else {
            st = pdx_grid_create(&base_grid, base_spec, err);
        }
    }
    if (st == PDX_OK)
        st = pdx_store_create_extended(store, path, base, base_grid, grid,
                                       layout, prov, opts, carried, err);
    pdx_grid_destroy(&base_grid);
    pdx_spec_destroy(&base_spec);
    pdx_store_info_clear(&info);
    return st;
}

/* Open the existing output of a run (!makes_new_file): resume `path`, or
 * create it from the finished tasks of `base` (--extend; `base` is `path`
 * for a whole-grid run, the sweep's merged file for a shard). Returns 0
 * with *store set, or with *store NULL when `path` is already complete;
 * else the exit code (the error printed). */
static int open_output(const char *path, const char *base,
                       const pdx_spec *spec, const pdx_grid *grid,
                       const pdx_layout *layout, const pdx_provenance *prov,
                       const pdx_store_options *opts, int force, int extend,
                       int quiet, pdx_store **store)
{
    pdx_error err;
    pdx_error_clear(&err);
    *store = NULL;
    char spec_sha[65];
    pdx_store_sha256_hex(spec->text, spec->text_length, spec_sha);
    uint64_t carried = 0;
    if (file_exists(path) && !force) {
        pdx_store_info info;
        if (pdx_store_inspect(path, &info, &err) != PDX_OK)
            /* not a pdx file: refused like another spec's output (exit 2,
             * --force overwrites); --extend cannot apply, so no hint */
            return err.status == PDX_ERR_MISMATCH
                       ? refuse_existing(path, &err, 1)
                       : pdx_cli_report(&err);
        char file_sha[65];
        memcpy(file_sha, info.spec_sha256, sizeof file_sha);
        int complete = info.complete &&
                       info.shard_count == (opts->shard_count > 1
                                                ? opts->shard_count
                                                : 1) &&
                       info.shard_index == opts->shard_index;
        pdx_store_info_clear(&info);
        if (complete && strcmp(file_sha, spec_sha) == 0) {
            if (!quiet)
                fprintf(stderr, "pdx: %s is already complete for this spec; "
                                "nothing to do (--force reruns it)\n",
                        path);
            return 0;
        }
        if (pdx_store_open(store, path, grid, layout, opts, &err) == PDX_OK) {
            if (!quiet)
                fprintf(stderr, "pdx: resuming %s\n", path);
            return 0;
        }
        if (err.status != PDX_ERR_MISMATCH)
            return pdx_cli_report(&err);
        if (!extend || strcmp(path, base) != 0 ||
            strcmp(file_sha, spec_sha) == 0)
            return refuse_existing(path, &err, extend);
        pdx_error_clear(&err);
        if (create_extended(store, path, path, grid, layout, prov, opts,
                            &carried, &err) != PDX_OK)
            return err.status == PDX_ERR_MISMATCH
                       ? refuse_existing(path, &err, extend)
                       : pdx_cli_report(&err);
    } else if (!force && strcmp(path, base) != 0 && file_exists(base)) {
        /* A shard of a sweep whose merged file exists: a partial merge of
         * this spec, or (--extend) an earlier sweep this one extends. */
        char file_sha[65];
        int complete = 0;
        if (pdx_store_probe(base, file_sha, &complete, &err) != PDX_OK)
            return pdx_cli_report(&err);
        if (strcmp(file_sha, spec_sha) != 0 && !extend) {
            pdx_error_set(&err, PDX_ERR_MISMATCH, base, 0, 0, NULL,
                          "the merged file of this sweep was written for "
                          "another spec");
            return refuse_existing(base, &err, extend);
        }
        if (create_extended(store, path, base, grid, layout, prov, opts,
                            &carried, &err) != PDX_OK)
            return err.status == PDX_ERR_MISMATCH
                       ? refuse_existing(base, &err, extend)
                       : pdx_cli_report(&err);
    } else {
        /* removed between makes_new_file and here */
        pdx_error_set(&err, PDX_ERR_IO, path, 0, 0, NULL,
                      "the file went away while it was being opened; run "
                      "the same command again");
        return pdx_cli_report(&err);
    }
    if (!quiet && carried > 0)
        fprintf(stderr, "pdx: %s: %llu finished tasks kept from %s\n", path,
                (unsigned long long)carried, base);
    return 0;
}

/* Merge the shard files of an MPI run into `out` and remove them. */
static int merge_mpi_shards(const char *out, uint64_t count,
                            const pdx_grid *grid, const pdx_layout *layout,
                            const pdx_provenance *prov, int quiet)
{
    char **paths = calloc(count, sizeof *paths);
    int rc = 0;
    pdx_error err;
    pdx_error_clear(&err);
    for (uint64_t i = 0; i < count && paths != NULL && rc == 0; i++) {
        paths[i] = malloc(4096);
        if (paths[i] == NULL ||
            pdx_cluster_shard_path(out, i, count, paths[i], 4096, &err) !=
                PDX_OK)
            rc = 1;
    }
    if (paths == NULL || rc != 0) {
        fprintf(stderr, "pdx: error: cannot name the shard files\n");
        rc = 1;
    } else {
        char end_time[64];
        iso_time_now(end_time, sizeof end_time);
        pdx_store_merge_report rep;
        if (pdx_store_merge(out, (const char *const *)paths, (size_t)count,
                            grid, layout, prov, 0, end_time, &rep,
                            &err) != PDX_OK) {
            rc = pdx_cli_report(&err);
        } else {
            for (uint64_t i = 0; i < count; i++)
                unlink(paths[i]);
            if (!quiet)
                fprintf(stderr, "pdx: merged %llu shard files into %s\n",
                        (unsigned long long)count, out);
        }
    }
    for (uint64_t i = 0; paths != NULL && i < count; i++)
        free(paths[i]);
    free(paths);
    return rc;
}

static int cmd_run(int argc, char **argv, const char *command_line)
{
    const char *out_path = NULL, *shard_text = NULL;
    int threads = 0, quiet = 0, force = 0, fsync_each = 0, bundle = 0;
    int extend = 0;
    double grace = -1.0;
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},
        {"force", no_argument, 0, 'f'},
        {"fsync", no_argument, 0, 's'},
        {"bundle", required_argument, 0, 'b'},
        {"shard", required_argument, 0, 'S'},
        {"extend", no_argument, 0, 'e'},
        {"grace", required_argument, 0, 'g'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:t:qfh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 't':
            if (!parse_count(optarg, 4096, &threads))
                return pdx_cli_usage_error(
                    "pdx",
                    "--threads: '%s' is not a thread count "
                    "(1 .. 4096)",
                    optarg);
            break;
        case 'q': quiet = 1; break;
        case 'f': force = 1; break;
        case 's': fsync_each = 1; break;
        case 'b':
            if (!parse_count(optarg, 64, &bundle))
                return pdx_cli_usage_error(
                    "pdx",
                    "--bundle: '%s' is not a bundle size "
                    "(1 .. 64)",
                    optarg);
            break;
        case 'S': shard_text = optarg; break;
        case 'e': extend = 1; break;
        case 'g': {
            char *end;
            grace = strtod(optarg, &end);
            if (*end != '\0' || !(grace >= 0.0) || grace > 1e7)
                return pdx_cli_usage_error("pdx",
                                           "--grace: '%s' is not a number of "
                                           "seconds",
                                           optarg);
            break;
        }
        case 'h':
            printf(
                "usage: pdx run SPEC [-o OUT] [--threads N] [--quiet] "
                "[--force] [--extend]\n"
                "               [--shard I/N] [--grace SECONDS] [--fsync] "
                "[--bundle N]\n\n"
                "Run every task (cell x replica) of SPEC into the HDF5 file "
                "OUT (default:\n<name>.h5). Each finished task is committed "
                "at once, so the file is valid\nat every moment; running the "
                "same command again resumes an interrupted run\n(finished "
                "tasks are kept, the others run again).\n\n"
                "  -o, --output OUT   result file\n"
                "  -t, --threads N    OpenMP threads (default: "
                "OMP_NUM_THREADS or all cores)\n"
                "  -q, --quiet        no progress on stderr\n"
                "  -f, --force        start over, even if OUT holds another "
                "spec\n"
                "      --extend       SPEC adds axis values or replicas to "
                "the spec of OUT: keep\n"
                "                     OUT's results, run only the new "
                "tasks\n"
                "      --shard I/N    run shard I of N (a cost-balanced "
                "share of the tasks) into\n"
                "                     OUT.shard-I-of-N.h5; `pdx merge` "
                "joins the shards. Default\n"
                "                     in a SLURM array job: the array task "
                "of the array's tasks\n"
                "      --grace S      after a stop signal, running tasks "
                "have S seconds to\n"
                "                     finish (default 20); the others are "
                "run again on resume\n"
                "      --fsync        fsync after every task (node "
                "crashes)\n"
                "      --bundle N     online tasks of one replica share "
                "each input, up to N\n"
                "                     at a time (default 8; 1 = alone); "
                "results are identical\n"
                "\nProgress: a live bar on a terminal, a line every 10 s "
                "otherwise.\nSIGINT, SIGTERM, SIGUSR1: stop taking tasks, "
                "let running ones finish within\nthe grace period, keep what "
                "is done, exit 75 (a second signal stops at once).\nUnder "
                "mpirun (a -Dmpi=enabled build) each rank runs one shard and "
                "rank 0\nmerges them into OUT.\n");
            return 0;
        default: return 2;
        }
    }
    if (optind != argc - 1)
        return pdx_cli_usage_error("pdx", "run needs exactly one SPEC file");

    /* which tasks: the whole grid, a shard, or this MPI rank's shard */
    uint64_t shard_index = 0, shard_count = 1;
    int mpi = mpi_size > 1;
    pdx_error err;
    pdx_error_clear(&err);
    if (mpi) {
        if (shard_text != NULL)
            return pdx_cli_usage_error(
                "pdx",
                "--shard cannot be given under MPI: each of "
                "the %d ranks runs its own shard",
                mpi_size);
        shard_index = (uint64_t)mpi_rank;
        shard_count = (uint64_t)mpi_size;
    } else if (shard_text != NULL) {
        if (pdx_cluster_parse_shard(shard_text, &shard_index, &shard_count,
                                    &err) != PDX_OK)
            return pdx_cli_report(&err);
    } else {
        int found = 0;
        if (pdx_cluster_shard_from_env(&found, &shard_index, &shard_count,
                                       &err) != PDX_OK)
            return pdx_cli_report(&err);
    }

    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    int rc = load_spec(argv[optind], &spec, &grid);
    if (rc != 0)
        return rc;
    threads = resolve_threads(threads);
    rc = check_memory(spec, grid, threads);
    char default_out[160], shard_path[4096];
    if (out_path == NULL) {
        snprintf(default_out, sizeof default_out, "%s.h5", spec->base.name);
        out_path = default_out;
    }
    const char *file_path = out_path;
    if (rc == 0 && shard_count > 1) {
        if (pdx_cluster_shard_path(out_path, shard_index, shard_count,
                                   shard_path, sizeof shard_path,
                                   &err) != PDX_OK)
            rc = pdx_cli_report(&err);
        file_path = shard_path;
    }
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    pdx_store_options store_opts = {.fsync_each_commit = fsync_each,
                                    .shard_index = shard_index,
                                    .shard_count = shard_count,
                                    .threads = threads};
    pdx_store *store = NULL;
    int8_t *status = NULL;
    char host[256] = "unknown", start_time[64];
    gethostname(host, sizeof host - 1);
    iso_time_now(start_time, sizeof start_time);
    pdx_provenance prov = {PDX_VERSION, PDX_GIT_DESCRIBE, command_line, host,
                           start_time, PDX_RNG_NAME, PDX_RNG_KEY_VERSION};
    int nothing_to_do = 0;
    if (rc != 0)
        goto done;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    /* A sharded sweep whose merged file is complete has nothing to do. */
    if (shard_count > 1 && !force && file_exists(out_path)) {
        char spec_sha[65];
        pdx_store_info info;
        pdx_store_sha256_hex(spec->text, spec->text_length, spec_sha);
        int complete = pdx_store_inspect(out_path, &info, &err) == PDX_OK &&
                       info.complete && info.shard_count <= 1 &&
                       strcmp(info.spec_sha256, spec_sha) == 0;
        pdx_store_info_clear(&info);
        if (complete) {
            if (!quiet && mpi_rank == 0)
                fprintf(stderr, "pdx: %s is already complete for this "
                                "spec; nothing to do (--force reruns it)\n",
                        out_path);
            nothing_to_do = 1;
            goto done;
        }
        pdx_error_clear(&err);
    }

    /* A new file is created by the sweep's first thread while the others
     * start computing: every task is pending. Else open_output resumes,
     * extends or refuses. */
    int fresh = makes_new_file(file_path, out_path, force);
    pdx_sweep_new_store new_store = {file_path, &prov, &store_opts, NULL};
    if (!fresh) {
        rc = open_output(file_path, out_path, spec, grid, &layout, &prov,
                         &store_opts, force, extend, quiet, &store);
        if (rc != 0)
            goto done;
    }
    if (fresh || store != NULL) {
        status = calloc((size_t)grid->n_tasks, 1); /* 0: pending */
        if (status == NULL) {
            rc = pdx_cli_report(&(pdx_error){.status = PDX_ERR_NOMEM,
                                             .message =
                                                 "cannot allocate the status "
                                                 "array"});
            goto done;
        }
        if (!fresh && pdx_store_read_status(store, status, &err) != PDX_OK) {
            rc = pdx_cli_report(&err);
            goto done;
        }
        pdx_sweep_options sweep_opts = pdx_sweep_options_default();
        if (fresh)
            sweep_opts.create = &new_store;
        sweep_opts.prepare_finish = 1;
        sweep_opts.threads = threads;
        sweep_opts.quiet = quiet;
        sweep_opts.progress_tty = isatty(STDERR_FILENO);
        sweep_opts.stop = &stop_requested;
        sweep_opts.max_bundle = bundle;
        if (grace >= 0.0)
            sweep_opts.grace_seconds = grace;
        sweep_opts.shard_index = shard_index;
        sweep_opts.shard_count = shard_count;
        pdx_sweep_summary summary;
        if (!quiet && shard_count > 1)
            fprintf(stderr, "pdx: %s: shard %llu of %llu of %llu tasks "
                            "(%llu cells x %llu replicas) on %d threads -> "
                            "%s\n",
                    spec->path, (unsigned long long)shard_index,
                    (unsigned long long)shard_count,
                    (unsigned long long)grid->n_tasks,
                    (unsigned long long)grid->n_cells,
                    (unsigned long long)grid->replicas, threads, file_path);
        else if (!quiet)
            fprintf(stderr, "pdx: %s: %llu tasks (%llu cells x %llu "
                            "replicas) on %d threads -> %s\n",
                    spec->path, (unsigned long long)grid->n_tasks,
                    (unsigned long long)grid->n_cells,
                    (unsigned long long)grid->replicas, threads, file_path);
        pdx_status st = pdx_sweep_run(grid, &layout, store, status,
                                      &sweep_opts, &summary, &err);
        if (fresh)
            store = new_store.store;
        if (st != PDX_OK && store == NULL) {
            rc = pdx_cli_report(&err); /* the file could not be created */
            goto done;
        }
        if (st != PDX_OK) {
            /* The snapshot: every finished task is committed; make it
             * durable before the file is closed. */
            pdx_error sync_err;
            if (pdx_store_sync(store, &sync_err) != PDX_OK && !quiet)
                pdx_cli_report(&sync_err);
            pdx_store_destroy(&store);
            rc = pdx_cli_report(&err);
            if (err.status == PDX_ERR_IO)
                fprintf(stderr, "pdx: %s is valid and keeps every finished "
                                "task: free some space (or fix the error) "
                                "and run the same command again to "
                                "resume\n",
                        file_path);
            goto done;
        }
        char end_time[64];
        iso_time_now(end_time, sizeof end_time);
        if (pdx_store_finish(&store, end_time, &err) != PDX_OK) {
            rc = pdx_cli_report(&err);
            fprintf(stderr, "pdx: %s is valid and holds every task "
                            "(uncompressed): free some space and run the "
                            "same command again to finish it\n",
                    file_path);
            goto done;
        }
        if (!quiet)
            fprintf(stderr,
                    "pdx: %llu tasks run (%llu done, %llu diverged, %llu "
                    "failed; %llu already done) in %.3f s, %.3g SGD "
                    "steps/s\n",
                    (unsigned long long)summary.run,
                    (unsigned long long)summary.done,
                    (unsigned long long)summary.diverged,
                    (unsigned long long)summary.failed,
                    (unsigned long long)summary.skipped,
                    summary.wall_seconds,
                    summary.wall_seconds > 0
                        ? summary.steps / summary.wall_seconds
                        : 0.0);
    }
done:
    if (mpi) {
        /* every rank's shard is finished (or stopped) before rank 0
         * merges; all ranks leave with the same code */
        rc = pdx_cluster_agree(rc);
        if (rc == 0 && !nothing_to_do && mpi_rank == 0)
            rc = merge_mpi_shards(out_path, shard_count, grid, &layout,
                                  &prov, quiet);
        if (rc == 0 && mpi_rank == 0)
            printf("%s\n", out_path);
    } else if (rc == 0) {
        printf("%s\n", nothing_to_do ? out_path : file_path);
    }
    free(status);
    pdx_store_destroy(&store);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}

/* Parse the spec stored in a result file (for merge and info). Returns 0
 * or the exit code (the error printed). */
static int load_spec_of_file(const pdx_store_info *info, const char *path,
                             pdx_spec **spec, pdx_grid **grid)
{
    pdx_error err;
    pdx_error_clear(&err);
    if (info->spec_text == NULL) {
        pdx_error_set(&err, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                      "the file holds no spec");
        return pdx_cli_report(&err);
    }
    if (pdx_spec_parse_string(spec, info->spec_text, info->spec_length,
                              info->spec_path, &err) != PDX_OK) {
        fprintf(stderr, "pdx: error: %s: the spec stored in the file does "
                        "not parse with this pdx:\n",
                path);
        return pdx_cli_report(&err);
    }
    if (pdx_grid_create(grid, *spec, &err) != PDX_OK) {
        pdx_spec_destroy(spec);
        return pdx_cli_report(&err);
    }
    return 0;
}

/* "0, 2, 5-7" of the shard indices below `count` that no file holds. */
static void missing_shards(const pdx_store_info *infos, int n, uint64_t count,
                           char *buf, size_t size)
{
    buf[0] = '\0';
    unsigned char *seen = calloc((size_t)count, 1);
    if (seen == NULL)
        return;
    for (int i = 0; i < n; i++)
        if (infos[i].shard_count == count)
            seen[infos[i].shard_index] = 1;
    size_t used = 0;
    for (uint64_t s = 0; s < count && used + 32 < size;) {
        if (seen[s]) {
            s++;
            continue;
        }
        uint64_t e = s;
        while (e + 1 < count && !seen[e + 1])
            e++;
        int w = e > s ? snprintf(buf + used, size - used, "%s%llu-%llu",
                                 used ? ", " : "", (unsigned long long)s,
                                 (unsigned long long)e)
                      : snprintf(buf + used, size - used, "%s%llu",
                                 used ? ", " : "", (unsigned long long)s);
        used += w > 0 ? (size_t)w : 0;
        s = e + 1;
    }
    free(seen);
}

/* May a merge of files like `info` (grid `grid`) replace the file at
 * `path`? Yes if it is a result file of the same spec, or of a spec whose
 * grid lies inside `grid` (the merged file an extended sweep replaces). */
static int replaceable_by(const char *path, const pdx_store_info *info,
                          const pdx_grid *grid)
{
    pdx_store_info existing;
    if (pdx_store_inspect(path, &existing, NULL) != PDX_OK)
        return 0;
    int ok = strcmp(existing.spec_sha256, info->spec_sha256) == 0;
    pdx_spec *spec = NULL;
    pdx_grid *old_grid = NULL;
    size_t *map = NULL;
    if (!ok && existing.spec_text != NULL && existing.shard_count <= 1 &&
        pdx_spec_parse_string(&spec, existing.spec_text,
                              existing.spec_length, path, NULL) == PDX_OK &&
        pdx_grid_create(&old_grid, spec, NULL) == PDX_OK)
        ok = pdx_grid_embed(old_grid, grid, &map, NULL) == PDX_OK;
    free(map);
    pdx_grid_destroy(&old_grid);
    pdx_spec_destroy(&spec);
    pdx_store_info_clear(&existing);
    return ok;
}

static int cmd_merge(int argc, char **argv, const char *command_line)
{
    int partial = 0, force = 0, quiet = 0;
    static const struct option opts[] = {{"partial", no_argument, 0, 'p'},
                                         {"force", no_argument, 0, 'f'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fqh", opts, NULL)) != -1) {
        switch (c) {
        case 'p': partial = 1; break;
        case 'f': force = 1; break;
        case 'q': quiet = 1; break;
        case 'h':
            printf(
                "usage: pdx merge OUT FILES... [--partial] [--force] "
                "[--quiet]\n\n"
                "Join the result files of one spec (shard files of `pdx run "
                "--shard`, whole-grid\nfiles, finished or not, in any mix) "
                "into OUT. The specs must match; a task\nfinished in "
                "several files must have the same results in each. With "
                "every\ntask finished, OUT is the file a single `pdx run` "
                "writes (docs/FORMAT.md,\n\"Identity\"); missing tasks are "
                "listed and nothing is written.\n\n"
                "  --partial   with tasks missing, write OUT as a working "
                "file that\n"
                "              `pdx run SPEC -o OUT` completes\n"
                "  --force     overwrite OUT even if it holds another spec\n"
                "  --quiet     no summary on stderr\n");
            return 0;
        default: return 2;
        }
    }
    if (argc - optind < 2)
        return pdx_cli_usage_error(
            "pdx", "merge needs OUT and at least one input FILE");
    const char *out = argv[optind];
    const char *const *inputs = (const char *const *)argv + optind + 1;
    int n = argc - optind - 1;
    pdx_store_info *infos = calloc((size_t)n, sizeof *infos);
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    int rc = 0;
    pdx_error err;
    pdx_error_clear(&err);
    if (infos == NULL)
        return pdx_cli_report(
            &(pdx_error){.status = PDX_ERR_NOMEM, .message = "out of memory"});
    const char *earliest = NULL;
    for (int i = 0; i < n && rc == 0; i++) {
        if (pdx_store_inspect(inputs[i], &infos[i], &err) != PDX_OK) {
            rc = pdx_cli_report(&err);
        } else if (strcmp(infos[i].spec_sha256, infos[0].spec_sha256) != 0) {
            fprintf(stderr,
                    "pdx: error: %s was written for another spec than %s "
                    "(SHA-256 %.16s... and %.16s...): only files of one "
                    "spec merge\n",
                    inputs[i], inputs[0], infos[i].spec_sha256,
                    infos[0].spec_sha256);
            rc = 1;
        } else if (earliest == NULL ||
                   strcmp(infos[i].start_time, earliest) < 0) {
            earliest = infos[i].start_time;
        }
    }
    if (rc == 0)
        rc = load_spec_of_file(&infos[0], inputs[0], &spec, &grid);
    if (rc == 0 && !force && file_exists(out)) {
        int is_input = 0;
        for (int i = 0; i < n; i++)
            is_input |= strcmp(out, inputs[i]) == 0;
        if (!is_input && !replaceable_by(out, &infos[0], grid)) {
            fprintf(stderr, "pdx: error: %s exists and is not a result file "
                            "of this spec (or of a spec it extends); "
                            "--force overwrites it\n",
                    out);
            rc = 2;
        }
    }
    if (rc == 0) {
        pdx_layout layout;
        pdx_sweep_layout(grid, &layout);
        char host[256] = "unknown", end_time[64];
        gethostname(host, sizeof host - 1);
        iso_time_now(end_time, sizeof end_time);
        pdx_provenance prov = {infos[0].pdx_version, infos[0].git_describe,
                               command_line,         host,
                               earliest,             infos[0].rng,
                               infos[0].rng_key_version};
        pdx_store_merge_report rep;
        pdx_status st = pdx_store_merge(out, inputs, (size_t)n, grid,
                                        &layout, &prov, partial, end_time,
                                        &rep, &err);
        if (rep.warning[0] != '\0')
            fprintf(stderr, "pdx: warning: %s\n", rep.warning);
        if (st != PDX_OK)
            rc = pdx_cli_report(&err);
        if (rep.missing > 0) {
            fprintf(stderr, "pdx: %llu of %llu tasks are missing (pending "
                            "in every file), e.g.:\n",
                    (unsigned long long)rep.missing,
                    (unsigned long long)rep.tasks);
            for (uint64_t i = 0; i < rep.missing && i < 8; i++) {
                char where[512];
                pdx_grid_describe_task(grid, rep.first_missing[i], where,
                                       sizeof where);
                fprintf(stderr, "  task %llu: %s\n",
                        (unsigned long long)rep.first_missing[i], where);
            }
            uint64_t count = infos[0].shard_count;
            char absent[512] = "";
            if (count > 1)
                missing_shards(infos, n, count, absent, sizeof absent);
            if (absent[0] != '\0')
                fprintf(stderr, "pdx: no file of shard(s) %s of %llu was "
                                "given\n",
                        absent, (unsigned long long)count);
            if (st == PDX_OK)
                fprintf(stderr, "pdx: %s is a working file: `pdx run "
                                "SPEC -o %s` computes the missing tasks\n",
                        out, out);
            else
                fprintf(stderr, "pdx: run the missing shards and merge "
                                "again, or use --partial to write a working "
                                "file that `pdx run SPEC -o %s` completes\n",
                        out);
        }
        if (st == PDX_OK && !quiet)
            fprintf(stderr,
                    "pdx: merged %d files into %s: %llu of %llu tasks "
                    "finished (%llu in several files, identical)\n",
                    n, out, (unsigned long long)rep.finished,
                    (unsigned long long)rep.tasks,
                    (unsigned long long)rep.overlapping);
        if (st == PDX_OK)
            printf("%s\n", out);
    }
    for (int i = 0; i < n; i++)
        pdx_store_info_clear(&infos[i]);
    free(infos);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}

/* `pdx info` of several files: one line each, then the sweep they make. */
static int info_of_set(int n, char **paths)
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
        (rc = load_spec_of_file(&infos[0], paths[0], &spec, &grid)) == 0) {
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
                missing_shards(infos, n, count, absent, sizeof absent);
            if (absent[0] != '\0')
                printf("shards: no file of shard(s) %s of %llu\n", absent,
                       (unsigned long long)count);
        }
    }
    free(status);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    for (int i = 0; i < n; i++)
        pdx_store_info_clear(&infos[i]);
    free(infos);
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    if (want_help(argc, argv)) {
        printf("usage: pdx info FILE...\n\nSummary of a result file: axes, "
               "variables, tasks by status, provenance.\nWith several files "
               "(the shards of a sweep): a line per file, then the\nprogress "
               "of the whole sweep and the shards no file holds. Works while "
               "a\nrun is still writing the files.\n");
        return 0;
    }
    if (argc < 2)
        return pdx_cli_usage_error("pdx", "info needs at least one FILE");
    pdx_cli_info_unlock(); /* before the first HDF5 file call */
    if (argc > 2)
        return info_of_set(argc - 1, argv + 1);
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_cli_print_info(argv[1], stdout, &err) != PDX_OK)
        return pdx_cli_report(&err);
    return 0;
}

static int cmd_keys(int argc, char **argv)
{
    if (want_help(argc, argv)) {
        printf("usage: pdx keys\n\nEvery key a sweep spec may hold, as a "
               "Markdown table (docs/SPEC.md is made from it).\n");
        return 0;
    }
    pdx_spec_print_keys(stdout);
    return 0;
}

static int run_command(int argc, char **argv);

int main(int argc, char **argv)
{
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_cluster_init(&argc, &argv, &mpi_rank, &mpi_size, &err) != PDX_OK)
        return pdx_cli_report(&err);
    int rc = run_command(argc, argv);
    pdx_cluster_finalize();
    return rc;
}

static int run_command(int argc, char **argv)
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
    size_t used = 0;
    command_line[0] = '\0';
    for (int i = 0; i < argc && used + 1 < sizeof command_line; i++) {
        int w = snprintf(command_line + used, sizeof command_line - used,
                         "%s%s", i ? " " : "", argv[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used >= sizeof command_line)
        used = sizeof command_line - 1;
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "plan") == 0)
        return cmd_plan(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1, command_line);
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc - 1, argv + 1, command_line);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "theory") == 0)
        return pdx_cli_theory(argc - 1, argv + 1, command_line);
    return pdx_cli_usage_error("pdx", "unknown command '%s'", cmd);
}
