/* cmd_validate.c — `pdx validate SPEC`: parse and check a spec. */
#include "cli_common.h"

#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pdx_cli_validate(int argc, char **argv)
{
    if (pdx_cli_want_help(argc, argv)) {
        printf("usage: pdx validate SPEC [KEY=VALUE ...]\n\nParse and "
               "check a sweep spec, with KEY=VALUE overrides as `pdx run`\n"
               "takes them. Prints a one-line summary; on error prints\n"
               "FILE:LINE:COLUMN: key: what is wrong, and exits with 2.\n");
        return 0;
    }
    if (argc < 2)
        return pdx_cli_usage_error("pdx",
                                   "validate needs exactly one SPEC file");
    int rc = pdx_cli_take_overrides(argc - 2, argv + 2, "validate");
    if (rc >= 0)
        return rc;
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    rc = pdx_cli_load_spec_overrides(argv[1], (const char *const *)(argv + 2),
                                     (size_t)(argc - 2), &spec, &grid);
    if (rc != 0)
        return rc;
    rc = pdx_cli_check_memory(spec, grid, omp_get_max_threads());
    if (rc == 0)
        printf("%s: ok: %zu axes, %llu cells, %llu tasks, %zu times\n",
               argv[1], spec->n_axes, (unsigned long long)grid->n_cells,
               (unsigned long long)grid->n_tasks, spec->n_times);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}
