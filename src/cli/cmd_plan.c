/* cmd_plan.c — `pdx plan SPEC`: axes, cells, tasks, estimated work and
 * time, output size and memory. */
#include "cli_common.h"

#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/layout.h"
#include "pdx/run.h"
#include "pdx/sweep.h"

static double output_bytes(const pdx_grid *grid)
{
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    double per_task = 1.0 + 8.0 + 8.0; /* status, steps, wall_seconds */
    for (size_t v = 0; v < layout.n_vars; v++)
        if (!(v < 64 && (layout.omit >> v & 1u))) /* not written (issue 19) */
            per_task += 8.0 * (double)pdx_layout_var_size(&layout, v);
    return per_task * (double)grid->n_tasks;
}

/* The time model of `pdx plan` (seconds on the reference machine of
 * docs/ARCHITECTURE.md, a 2-core x86-64 VM), measured with bench/bench.py
 * --workloads plan, which prints the estimate next to the measured time
 * of every shipped sweep and of a tiny-task sweep:
 * - computing: the grid's cost model (flop) at ~6 GFLOP/s per thread;
 *   online SGD runs ~3.5 times faster than its flop count says (bundles
 *   of tasks share each input, the Gaussians are vectorised), trained deep
 *   students ~5.5 times (FMA register tiles, vectorised tanh: bench_deep;
 *   1-thread CPU time 5.7 s for D1's 10.4 s of flop at the old 4, 20.1 s
 *   for deep-trainability's 20.2: the figure splits the two);
 * - per task, besides its flop: setting up the trainer and the observer,
 *   the result buffers, the job list (~6 us of a thread);
 * - commits (issue 20): groups of tasks at most --commit-window apart,
 *   ~1 us a task plus ~3 ms per group (two flushes), plus the bytes;
 * - the file: created filled (~1 GB/s) and repacked compressed
 *   (~150 MB/s per thread), 20 ms of start-up. */
#define PLAN_FLOP_PER_S 6e9
#define PLAN_ONLINE_SPEEDUP 3.5
#define PLAN_DEEP_SPEEDUP 5.5
#define PLAN_TASK_SECONDS 6e-6
#define PLAN_COMMIT_TASK_SECONDS 1e-6
#define PLAN_COMMIT_GROUP_SECONDS 3e-3
#define PLAN_CREATE_BYTES_PER_S 1e9
#define PLAN_REPACK_BYTES_PER_S 1.5e8
#define PLAN_START_SECONDS 0.02

typedef struct plan_time {
    double compute, commits, file, total;
} plan_time;

static plan_time plan_seconds(const pdx_grid *grid, int threads,
                              double window)
{
    plan_time t;
    double tasks = (double)grid->n_tasks, flop = 0.0;
    for (uint64_t cell = 0; cell < grid->n_cells; cell++) {
        pdx_params p;
        pdx_grid_cell_params(grid, cell, &p);
        double c = pdx_grid_task_cost(&p) * (double)grid->replicas;
        if (p.train_algorithm == PDX_ALG_ONLINE)
            c /= PLAN_ONLINE_SPEEDUP;
        else if (p.student_kind == PDX_MODEL_DEEP &&
                 p.train_algorithm != PDX_ALG_PROPAGATE)
            c /= PLAN_DEEP_SPEEDUP;
        flop += c;
    }
    t.compute = (flop / PLAN_FLOP_PER_S + tasks * PLAN_TASK_SECONDS) /
                threads;
    /* a group per window of the run, at most one per task */
    double groups = window > 0.0 ? 1.0 + t.compute / window : tasks;
    if (groups > tasks)
        groups = tasks;
    double bytes = output_bytes(grid);
    t.commits = tasks * PLAN_COMMIT_TASK_SECONDS +
                groups * PLAN_COMMIT_GROUP_SECONDS +
                bytes / PLAN_CREATE_BYTES_PER_S;
    t.file = PLAN_START_SECONDS + bytes / PLAN_CREATE_BYTES_PER_S +
             bytes / (PLAN_REPACK_BYTES_PER_S * threads);
    t.total = t.compute + t.commits + t.file;
    return t;
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

int pdx_cli_plan(int argc, char **argv)
{
    int threads = 0;
    double window = PDX_SWEEP_COMMIT_WINDOW;
    static const struct option opts[] = {{"threads", required_argument, 0, 't'},
                                         {"commit-window", required_argument, 0, 'w'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
        if (c == 't')
            threads = atoi(optarg);
        else if (c == 'w') {
            char *end;
            window = strtod(optarg, &end);
            if (*end != '\0' || !(window >= 0.0) ||
                window > PDX_SWEEP_MAX_COMMIT_WINDOW)
                return pdx_cli_usage_error(
                    "pdx", "--commit-window: '%s' is not a number of seconds "
                    "(0 .. %g)", optarg, PDX_SWEEP_MAX_COMMIT_WINDOW);
        } else if (c == 'h') {
            printf("usage: pdx plan SPEC [KEY=VALUE ...] [--threads N] "
                   "[--commit-window S]\n\n"
                   "Show the axes, number of cells and tasks, estimated work "
                   "and time, the\noutput size and the memory a run needs. "
                   "The time is computing (the cost\nmodel), commits (groups "
                   "of tasks --commit-window S apart, as pdx run\n"
                   "--commit-window; default 1) and the file (creation and "
                   "compressed repack),\nmeasured on a 2-core x86-64 VM "
                   "(bench/bench.py --workloads plan).\n");
            return 0;
        } else
            return 2;
    }
    if (optind >= argc)
        return pdx_cli_usage_error("pdx", "plan needs exactly one SPEC file");
    int rc = pdx_cli_take_overrides(argc - optind - 1, argv + optind + 1,
                                    "plan");
    if (rc >= 0)
        return rc;
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    rc = pdx_cli_load_spec_overrides(argv[optind],
                                     (const char *const *)(argv + optind + 1),
                                     (size_t)(argc - optind - 1), &spec,
                                     &grid);
    if (rc != 0)
        return rc;
    threads = threads > 0 ? threads : omp_get_max_threads();
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
        if (ax->zip != 0) /* issue 19: axes that vary together */
            printf("  (zip %d)", ax->zip);
        printf("\n");
    }
    printf("cells    %llu\n", (unsigned long long)grid->n_cells);
    printf("replicas %llu\n", (unsigned long long)grid->replicas);
    printf("tasks    %llu\n", (unsigned long long)grid->n_tasks);
    printf("times    %zu checkpoints, %g .. %g\n", spec->n_times,
           spec->times[0], spec->times[spec->n_times - 1]);
    if (spec->n_budgets > 0) /* the robust error's attacks are in "work" */
        printf("budgets  %zu robust-error budgets, %g .. %g\n",
               spec->n_budgets, spec->budgets[0],
               spec->budgets[spec->n_budgets - 1]);
    if (spec->n_perturbations > 0) /* the local energy's passes are in "work" */
        printf("perturbations %zu local-energy sizes, %g .. %g\n",
               spec->n_perturbations, spec->perturbations[0],
               spec->perturbations[spec->n_perturbations - 1]);
    if (spec->base.record_noise_eigen > 0) /* issue 17: counted in "work" */
        printf("noise    D's top %lld eigenvalues at %zu checkpoints%s\n",
               (long long)spec->base.record_noise_eigen, spec->n_times,
               spec->base.record_current
                   ? ", the current at every step after its burn-in"
                   : "");
    double cost = 0.0, steps = 0.0;
    for (uint64_t cell = 0; cell < grid->n_cells; cell++) {
        pdx_params p;
        pdx_grid_cell_params(grid, cell, &p);
        cost += pdx_grid_task_cost(&p) * (double)grid->replicas;
        steps += (double)pdx_grid_total_steps(&p) *
                 (double)grid->replicas;
    }
    plan_time t = plan_seconds(grid, threads, window);
    printf("work     %.3g SGD steps, %.3g flop (cost model)\n", steps, cost);
    printf("time     about %.3g s with %d threads (estimate: computing "
           "%.3g s, commits %.3g s, file %.3g s)\n",
           t.total, threads, t.compute, t.commits, t.file);
    printf("output   ");
    print_bytes(stdout, output_bytes(grid));
    printf(" uncompressed\nmemory   ");
    print_bytes(stdout, pdx_sweep_memory_bytes(grid, threads));
    printf(" with %d threads (machine: ", threads);
    print_bytes(stdout, pdx_run_machine_memory_bytes());
    printf(")\n");
    rc = pdx_cli_check_memory(spec, grid, threads);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}
