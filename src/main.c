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

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/rng.h"
#include "pdx/spec.h"
#include "pdx/store.h"
#include "pdx/sweep.h"
#include "version.h"

#ifndef PDX_VERSION
#define PDX_VERSION "unknown"
#endif

static volatile sig_atomic_t stop_requested = 0;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int report(const pdx_error *err)
{
    char buf[2048];
    pdx_error_format(err, buf, sizeof buf);
    fprintf(stderr, "pdx: error: %s\n", buf);
    return pdx_status_exit_code(err->status);
}

static const char *const main_usage =
    "usage: pdx <command> [options]\n"
    "\n"
    "Phase-diagram explorer: sweeps of teacher-student learning into HDF5.\n"
    "\n"
    "commands:\n"
    "  validate SPEC        check a sweep spec; exit 2 with FILE:LINE:COL on error\n"
    "  plan SPEC            axes, cells, tasks, estimated work, time, size, memory\n"
    "  run SPEC [-o OUT]    run (or resume) a sweep into an HDF5 file\n"
    "  info FILE            summary and progress of a result file\n"
    "  keys [--markdown]    every spec key with type, default, bounds, meaning\n"
    "\n"
    "options: --help (also after a command), --version\n"
    "exit codes: 0 ok, 1 runtime failure, 2 bad usage or spec, 75 stopped early\n";

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pdx: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see pdx --help)\n");
    va_end(ap);
    return 2;
}

/* Parse, validate and build the grid; prints the error and returns the exit
 * code on failure (0 on success). */
static int load_spec(const char *path, pdx_spec **spec, pdx_grid **grid)
{
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_spec_parse_file(spec, path, &err) != PDX_OK)
        return report(&err);
    if (pdx_grid_create(grid, *spec, &err) != PDX_OK) {
        pdx_spec_destroy(spec);
        return report(&err);
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
        return report(&err);
    }
    return 0;
}

static double output_bytes(const pdx_grid *grid)
{
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    double per_task = 1.0 + 8.0 + 8.0; /* status, steps, wall_seconds */
    for (size_t v = 0; v < layout.n_vars; v++) {
        double n = 1.0;
        for (size_t d = 0; d < layout.vars[v].n_dims; d++)
            n *= (double)layout.dim_size[layout.vars[v].dims[d]];
        per_task += 8.0 * n;
    }
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
        return usage_error("validate needs exactly one SPEC file");
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
        return usage_error("plan needs exactly one SPEC file");
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
        steps += (double)pdx_grid_steps_at(&p, p.train_alpha) *
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

static int cmd_run(int argc, char **argv, const char *command_line)
{
    const char *out_path = NULL;
    int threads = 0, quiet = 0, force = 0, fsync_each = 0, bundle = 0;
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},
        {"force", no_argument, 0, 'f'},
        {"fsync", no_argument, 0, 's'},
        {"bundle", required_argument, 0, 'b'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:t:qfh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 't': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > 4096)
                return usage_error("--threads: '%s' is not a thread count "
                                   "(1 .. 4096)",
                                   optarg);
            threads = (int)v;
            break;
        }
        case 'q': quiet = 1; break;
        case 'f': force = 1; break;
        case 's': fsync_each = 1; break;
        case 'b': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > 64)
                return usage_error("--bundle: '%s' is not a bundle size "
                                   "(1 .. 64)",
                                   optarg);
            bundle = (int)v;
            break;
        }
        case 'h':
            printf(
                "usage: pdx run SPEC [-o OUT] [--threads N] [--quiet] "
                "[--force] [--fsync]\n\n"
                "Run every task (cell x replica) of SPEC into the HDF5 file "
                "OUT (default:\n<name>.h5). Each finished task is committed "
                "at once, so the file is valid\nat every moment; running the "
                "same command again resumes an interrupted run.\n\n"
                "  -o, --output OUT   result file\n"
                "  -t, --threads N    OpenMP threads (default: "
                "OMP_NUM_THREADS or all cores)\n"
                "  -q, --quiet        no progress on stderr\n"
                "  -f, --force        overwrite OUT even if it holds another "
                "spec\n"
                "      --fsync        fsync after every task (node crashes)\n"
                "      --bundle N     online tasks of one replica share "
                "each input, up to N\n"
                "                     at a time (default 8; 1 = alone); "
                "results are identical\n"
                "\nProgress: a live bar on a terminal, a line every 10 s "
                "otherwise.\nSIGINT, SIGTERM, SIGUSR1: stop taking tasks, "
                "keep what is done, exit 75.\n");
            return 0;
        default: return 2;
        }
    }
    if (optind != argc - 1)
        return usage_error("run needs exactly one SPEC file");
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    int rc = load_spec(argv[optind], &spec, &grid);
    if (rc != 0)
        return rc;
    threads = resolve_threads(threads);
    rc = check_memory(spec, grid, threads);
    char default_out[160];
    if (out_path == NULL) {
        snprintf(default_out, sizeof default_out, "%s.h5", spec->base.name);
        out_path = default_out;
    }
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    pdx_store_options store_opts = {fsync_each};
    pdx_store *store = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    int8_t *status = NULL;
    char host[256] = "unknown", start_time[64];
    gethostname(host, sizeof host - 1);
    iso_time_now(start_time, sizeof start_time);
    pdx_provenance prov = {PDX_VERSION, PDX_GIT_DESCRIBE, command_line, host,
                           start_time, PDX_RNG_NAME, PDX_RNG_KEY_VERSION};
    if (rc != 0)
        goto done;

    if (file_exists(out_path) && !force) {
        char file_sha[65], spec_sha[65];
        int complete = 0;
        if (pdx_store_probe(out_path, file_sha, &complete, &err) != PDX_OK) {
            rc = report(&err);
            goto done;
        }
        pdx_store_sha256_hex(spec->text, spec->text_length, spec_sha);
        if (complete && strcmp(file_sha, spec_sha) == 0) {
            if (!quiet)
                fprintf(stderr, "pdx: %s is already complete for this spec; "
                                "nothing to do (--force reruns it)\n",
                        out_path);
            printf("%s\n", out_path);
            goto done;
        }
        if (pdx_store_open(&store, out_path, grid, &layout, &store_opts,
                           &err) != PDX_OK) {
            if (err.status == PDX_ERR_MISMATCH) {
                char buf[1200];
                pdx_error_format(&err, buf, sizeof buf);
                fprintf(stderr,
                        "pdx: error: %s already exists and does not match "
                        "this spec (%s);\nuse --force to overwrite it or -o "
                        "to choose another file\n",
                        out_path, buf);
                rc = 2;
            } else {
                rc = report(&err);
            }
            goto done;
        }
        if (!quiet)
            fprintf(stderr, "pdx: resuming %s\n", out_path);
    } else if (pdx_store_create(&store, out_path, grid, &layout, &prov,
                                &store_opts, &err) != PDX_OK) {
        rc = report(&err);
        goto done;
    }
    status = malloc((size_t)grid->n_tasks);
    if (status == NULL) {
        rc = report(&(pdx_error){.status = PDX_ERR_NOMEM,
                                 .message = "cannot allocate status array"});
        goto done;
    }
    if (pdx_store_read_status(store, status, &err) != PDX_OK) {
        rc = report(&err);
        goto done;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    pdx_sweep_options sweep_opts = pdx_sweep_options_default();
    sweep_opts.threads = threads;
    sweep_opts.quiet = quiet;
    sweep_opts.progress_tty = isatty(STDERR_FILENO);
    sweep_opts.stop = &stop_requested;
    sweep_opts.max_bundle = bundle;
    pdx_sweep_summary summary;
    if (!quiet)
        fprintf(stderr, "pdx: %s: %llu tasks (%llu cells x %llu replicas) "
                        "on %d threads -> %s\n",
                spec->path, (unsigned long long)grid->n_tasks,
                (unsigned long long)grid->n_cells,
                (unsigned long long)grid->replicas, threads, out_path);
    pdx_status st = pdx_sweep_run(grid, &layout, store, status, &sweep_opts,
                                  &summary, &err);
    if (st != PDX_OK) {
        pdx_store_destroy(&store);
        rc = report(&err);
        goto done;
    }
    char end_time[64];
    iso_time_now(end_time, sizeof end_time);
    if (pdx_store_finish(&store, end_time, &err) != PDX_OK) {
        rc = report(&err);
        goto done;
    }
    if (!quiet)
        fprintf(stderr,
                "pdx: %llu tasks run (%llu done, %llu diverged, %llu "
                "failed; %llu already done) in %.2f s, %.3g SGD steps/s\n",
                (unsigned long long)summary.run,
                (unsigned long long)summary.done,
                (unsigned long long)summary.diverged,
                (unsigned long long)summary.failed,
                (unsigned long long)summary.skipped, summary.wall_seconds,
                summary.wall_seconds > 0 ? summary.steps / summary.wall_seconds
                                         : 0.0);
    printf("%s\n", out_path);
done:
    free(status);
    pdx_store_destroy(&store);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    if (want_help(argc, argv)) {
        printf("usage: pdx info FILE\n\nSummary of a result file: axes, "
               "variables, tasks by status, provenance.\nWorks while a run "
               "is still writing the file.\n");
        return 0;
    }
    if (argc != 2)
        return usage_error("info needs exactly one FILE");
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_store_print_info(argv[1], stdout, &err) != PDX_OK)
        return report(&err);
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

int main(int argc, char **argv)
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
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(argc - 1, argv + 1);
    return usage_error("unknown command '%s'", cmd);
}
