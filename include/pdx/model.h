/* pdx/model.h — soft committee machines and their kernels.
 *
 * A committee machine with K hidden units computes
 *     f(x) = sum_k v_k g(lambda_k),  lambda_k = w_k . x / sqrt(N)
 * (Saad-Solla / Goldt normalisation). Weights are caller-owned arrays;
 * kernels never allocate and are thread-safe on distinct data.
 *
 * Reductions use a fixed order of partial sums, so results do not depend on
 * the vector width the compiler chooses. */
#ifndef PDX_MODEL_H
#define PDX_MODEL_H

#include <stddef.h>

#include "pdx/spec.h"

typedef struct pdx_committee {
    size_t N;        /* input dimension */
    size_t K;        /* hidden units */
    int activation;  /* pdx_activation */
    double *w;       /* K x N first-layer weights, row-major */
    double *v;       /* K second-layer weights */
} pdx_committee;

/* g(z) for an activation (erf means erf(z/sqrt 2)). */
double pdx_model_g(int activation, double z);

/* g'(z); 0 for sign. */
double pdx_model_dg(int activation, double z);

/* x . y over n entries (fixed summation order). */
double pdx_model_dot(const double *x, const double *y, size_t n);

/* Pre-activations lambda[k] = w_k . x / sqrt(N) and the output f(x). */
double pdx_model_forward(const pdx_committee *model, const double *x,
                         double *lambda);

#endif
