/* theory_internal.h — what the theory_*.c files share: the workspace and
 * integrals over Gaussian measures. */
#ifndef PDX_THEORY_INTERNAL_H
#define PDX_THEORY_INTERNAL_H

#include <stddef.h>

#include <gsl/gsl_integration.h>

#include "pdx/theory.h"

#define PDX_TH_QUAD_LIMIT 2000

struct pdx_theory_workspace {
    gsl_integration_workspace *quad;
};

/* f(t) for a real integral; the Gaussian weight, if any, is part of f. */
typedef double (*pdx_th_fn)(double t, void *params);

/* int f(t) dt over the real line, for an f that decays at least like a
 * Gaussian of unit variance centred at 0 or at `center`: the adaptive
 * Gauss-Kronrod rule gsl_integration_qag (61 points) on each interval
 * between break points at -16, 0, `center`, +-{1/4, 1, 2, 4, 8, 16} times every scale
 * (0 or non-finite scales are skipped) and 16 (+ |center|). Returns 0 and
 * *result, or a GSL error code when the requested accuracy (relative
 * 1e-11) was not reached and the error estimate is above
 * 1e-9 (1 + |result|). */
int pdx_th_integrate(pdx_theory_workspace *ws, pdx_th_fn f, void *params,
                     double center, const double *scales, size_t n_scales,
                     double *result);

/* log(exp(a) + exp(b)) without overflow. */
double pdx_th_logaddexp(double a, double b);

/* Standard normal density. */
double pdx_th_phi(double x);

/* The deep mean-field values of one cell with a deep student
 * (theory_deep.c): vars[v] is the cell's block of theory variable v
 * (n_layers values for the layer variables; NULL: not in the file). The
 * per-cell values at the student's activation, sigma_w2 and sigma_b2;
 * for train.algorithm propagate the per-layer ones from propagate.q0,
 * propagate.c0 (layers 1 .. student.depth, NaN beyond). Returns the
 * cell's pdx_theory_status. */
int pdx_th_deep_cell(pdx_theory_workspace *ws, const pdx_params *p,
                     double *const *vars, size_t n_layers);

#endif
