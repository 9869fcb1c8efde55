/* observe_layout.c — the variables of a layout, composed of the groups of
 * the observe module in a fixed order: the base variables
 * (PDX_OBS_ONLINE_COUNT, PDX_OBS_FINITE_COUNT or PDX_OBS_COUNT), the
 * robust error's (record.budgets), the local energy's
 * (record.perturbations) and the gradient noise's (record.noise_eigen).
 * Each group's first index follows from the layout's dimensions
 * (pdx_observe_robust_base, pdx_observe_flat_base, pdx_observe_noise_base),
 * so a group that a spec does not ask for costs nothing. */
#include "pdx/observe.h"

#include <pthread.h>
#include <string.h>

enum {
    N_BASES = 3,
    MAX_VARS = PDX_OBS_COUNT + PDX_ROBUST_COUNT + PDX_FLAT_COUNT +
               PDX_NOISE_COUNT
};
/* pdx_layout's omit is a 64-bit mask of the variables */
_Static_assert(MAX_VARS <= 64, "more than 64 variables: widen pdx_layout.omit");

static const size_t layout_bases[N_BASES] = {
    PDX_OBS_ONLINE_COUNT, PDX_OBS_FINITE_COUNT, PDX_OBS_COUNT};
/* [base][robust | flat << 1 | noise << 2] */
static pdx_var_desc composed[N_BASES][8][MAX_VARS];
static size_t composed_count[N_BASES][8];
static pthread_once_t composed_once = PTHREAD_ONCE_INIT;

static void fill_composed(void)
{
    for (size_t b = 0; b < N_BASES; b++)
        for (int g = 0; g < 8; g++) {
            size_t n;
            const pdx_var_desc *v =
                pdx_observe_layout_variables(layout_bases[b], g & 1, &n);
            pdx_var_desc *out = composed[b][g];
            memcpy(out, v, n * sizeof *v);
            if (g & 2) {
                memcpy(out + n, pdx_observe_flat_variables(),
                       PDX_FLAT_COUNT * sizeof *v);
                n += PDX_FLAT_COUNT;
            }
            if (g & 4) {
                memcpy(out + n, pdx_observe_noise_variables(),
                       PDX_NOISE_COUNT * sizeof *v);
                n += PDX_NOISE_COUNT;
            }
            composed_count[b][g] = n;
        }
}

const pdx_var_desc *pdx_observe_layout_variables_all(size_t base,
                                                     int robust, int flat,
                                                     int noise,
                                                     size_t *count)
{
    if (!flat && !noise)
        return pdx_observe_layout_variables(base, robust, count);
    pthread_once(&composed_once, fill_composed);
    int g = (robust != 0) | (flat != 0) << 1 | (noise != 0) << 2;
    for (size_t b = 0; b < N_BASES; b++)
        if (layout_bases[b] == base) {
            *count = composed_count[b][g];
            return composed[b][g];
        }
    return pdx_observe_layout_variables(base, robust, count);
}
