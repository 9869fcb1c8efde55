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
    static const struct option opts[] = {{"threads", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
        if (c == 't')
            threads = atoi(optarg);
        else if (c == 'h') {
            printf("usage: pdx plan SPEC [KEY=VALUE ...] [--threads N]\n\nShow the axes, "
                   "number of cells and tasks, estimated work and time, the\n"
                   "output size and the memory a run needs.\n");
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
    print_bytes(stdout, pdx_run_machine_memory_bytes());
    printf(")\n");
    rc = pdx_cli_check_memory(spec, grid, threads);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}
