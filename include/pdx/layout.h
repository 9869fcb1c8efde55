/* pdx/layout.h — what a result file holds per task, shared by the module
 * that measures (observe) and the one that writes (store). Types only. */
#ifndef PDX_LAYOUT_H
#define PDX_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "pdx/error.h"

/* Extra dimensions a variable may have after (axes..., replica). */
typedef enum pdx_dim {
    PDX_DIM_TIME = 0,          /* record.times */
    PDX_DIM_STUDENT_UNIT = 1,  /* 0 .. K_max-1 */
    PDX_DIM_STUDENT_UNIT2 = 2, /* 0 .. K_max-1, second index of K x K */
    PDX_DIM_TEACHER_UNIT = 3,  /* 0 .. M_max-1 */
    PDX_DIM_TEACHER_UNIT2 = 4, /* 0 .. M_max-1, second index of M x M */
    PDX_DIM_LAYER = 5,         /* l = 1 .. L_max, hidden layers of deep nets
                                * (size 0 and absent from files unless a
                                * cell propagates signals) */
    PDX_DIM_BUDGET = 6,        /* record.budgets (size 0 and absent from
                                * files unless the spec gives budgets) */
    PDX_DIM_PERTURBATION = 7,  /* record.perturbations (issue 16; size 0
                                * and absent unless the spec gives them) */
    PDX_DIM_EIGEN = 8,         /* i = 1 .. k, record.noise_eigen: the
                                * eigenvalues of the gradient-noise
                                * covariance D, largest first (size 0 and
                                * absent from files unless asked for) */
    PDX_DIM_EIGEN2 = 9,        /* j = 1 .. k, second index of k x k */
    PDX_DIM_COUNT = 10
} pdx_dim;

/* The eigen dimension's spectra (pdx/observe.h) are exact up to min(P, d)
 * of this, beyond it computed by subspace iteration (the top k + 16). */
#define PDX_NOISE_EXACT_MAX 1000

/* Dimension names in result files, indexed by pdx_dim. */
#define PDX_DIM_NAMES                                                          \
    { "time",         "student_unit",  "student_unit2",                      \
      "teacher_unit", "teacher_unit2", "layer",                           \
      "budget",       "perturbation",  "eigen",         "eigen2" }

/* One float64 variable of shape (axes..., replica, dims[0..n_dims-1]). */
typedef struct pdx_var_desc {
    const char *name;      /* e.g. "eg" */
    const char *long_name; /* CF long_name */
    const char *units;     /* CF units ("1" when dimensionless) */
    size_t n_dims;         /* 0..3 */
    pdx_dim dims[3];
} pdx_var_desc;

typedef struct pdx_layout {
    const pdx_var_desc *vars;
    size_t n_vars;
    size_t dim_size[PDX_DIM_COUNT]; /* time, K_max, K_max, M_max, M_max,
                                     * L_max, budgets, perturbations,
                                     * k, k */
    /* bit v set: variable v is measured (buffers, NaN) but not written to
     * files, as no cell of the sweep produces it (e.g. eg_mean outside
     * metropolis and langevin; docs/FORMAT.md). v < 64. */
    uint64_t omit;
} pdx_layout;

/* Doubles per task of layout variable v (the product of its dim sizes). */
static inline size_t pdx_layout_var_size(const pdx_layout *layout, size_t v)
{
    size_t n = 1;
    for (size_t d = 0; d < layout->vars[v].n_dims; d++)
        n *= layout->dim_size[layout->vars[v].dims[d]];
    return n;
}

/* One finished task, as handed to the store. `values[v]` points to the
 * row-major data of layout variable v (product of its dim sizes doubles;
 * NaN where not computed). The caller owns every buffer. */
typedef struct pdx_task_record {
    uint64_t task;           /* cell * replicas + replica */
    int8_t status;           /* pdx_task_status */
    int64_t steps;           /* SGD steps taken */
    double wall_seconds;
    const double *const *values;
} pdx_task_record;

#endif
