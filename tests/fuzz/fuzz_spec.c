/* fuzz_spec.c — libFuzzer target: any bytes through the spec parser, the
 * validator, the grid and the memory estimate. Must never crash, hang,
 * leak or read out of bounds; every rejection must carry a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdx_spec *spec = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    pdx_status st = pdx_spec_parse_string(&spec, (const char *)data, size,
                                          "fuzz.yaml", &err);
    if (st != PDX_OK) {
        if (spec != NULL || err.message[0] == '\0')
            abort(); /* a failure must leave no spec and say why */
        char buf[2048];
        pdx_error_format(&err, buf, sizeof buf);
        return 0;
    }
    pdx_grid *grid = NULL;
    if (pdx_grid_create(&grid, spec, &err) == PDX_OK) {
        /* touch a few cells the way a run would */
        uint64_t step = grid->n_cells / 7 + 1;
        for (uint64_t cell = 0; cell < grid->n_cells && cell < 50 * step;
             cell += step) {
            pdx_params p;
            pdx_grid_cell_params(grid, cell, &p);
            (void)pdx_grid_cell_key(&p);
            (void)pdx_grid_task_cost(&p);
        }
        char desc[512];
        pdx_grid_describe_task(grid, grid->n_tasks - 1, desc, sizeof desc);
        pdx_grid_destroy(&grid);
    } else if (err.message[0] == '\0') {
        abort();
    }
    pdx_spec_destroy(&spec);
    return 0;
}
