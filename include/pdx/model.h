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

/* g(z) for an activation (erf means erf(z/sqrt 2), see pdx_model_g_many). */
double pdx_model_g(int activation, double z);

/* out[i] = g(z[i]), i < n: the same bits as pdx_model_g, vectorised for
 * erf (which pdx evaluates from its own table, within 2e-15 of libm). */
void pdx_model_g_many(int activation, const double *z, double *out,
                      size_t n);

/* g'(z); 0 for sign. */
double pdx_model_dg(int activation, double z);

/* x . y over n entries (fixed summation order). */
double pdx_model_dot(const double *x, const double *y, size_t n);

/* out[r] = w_r . x for the rows w_r = w + r ld, r < rows: each
 * bit-identical to pdx_model_dot(w_r, x, n), x read once for 4 rows. */
void pdx_model_dot_rows(const double *w, size_t rows, size_t ld,
                        const double *x, size_t n, double *out);

/* Pre-activations lambda[k] = w_k . x / sqrt(N) and the output f(x). */
double pdx_model_forward(const pdx_committee *model, const double *x,
                         double *lambda);

#endif
