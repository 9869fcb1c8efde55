/* theory_gibbs_large_alpha.c — the large-alpha asymptote eg ~ c(T, p) /
 * alpha of Gibbs learning of spherical perceptrons at temperature T with
 * label noise p (notation of theory_perceptron.c), from the alpha ->
 * infinity limit of the saddle-point equations, solved as such; at high
 * temperature by continuation in T (c(T) -> T/(1-2p), the high-temperature
 * limit). */
#include "pdx/theory.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multiroots.h>
#include <gsl/gsl_vector.h>

#include "theory_gibbs_internal.h"

/* With 1 - q ~ 1/(B alpha)^2 and q - R^2 ~ 1/(A alpha)^2, the saddle-point
 * equations become, with m = min(A, B) and s = t/m,
 *   B^2 = 2 A^3 Ia / sqrt(2 pi),
 *   B^4 / (2 A^2) + (B^3 Ib - A^3 Ia) / sqrt(2 pi) = 0,
 *   Ia = (1-2p) int s phi(A s) L(B s) ds,  Ib = int W(A s) s L'(B s) ds,
 * and alpha eg -> sqrt(1/A^2 + 1/B^2) / pi. */
typedef struct large_ctx {
    pdx_theory_workspace *ws;
    perc_model m;
    double A, B, scale;
} large_ctx;

static double f_Ia(double t, void *p)
{
    const large_ctx *c = p;
    double s = t / c->scale;
    return (1.0 - 2.0 * c->m.p) * s * pdx_th_phi(c->A * s) *
           L_of(&c->m, c->B * s) / c->scale;
}

static double f_Ib(double t, void *p)
{
    const large_ctx *c = p;
    double s = t / c->scale;
    return W_of(&c->m, c->A * s) * s * L_prime(&c->m, c->B * s) / c->scale;
}

static int large_f(const gsl_vector *xv, void *params, gsl_vector *f)
{
    large_ctx *c = params;
    double lA = gsl_vector_get(xv, 0), lB = gsl_vector_get(xv, 1);
    if (!isfinite(lA) || !isfinite(lB) || fabs(lA) > 30 || fabs(lB) > 30)
        return GSL_EDOM;
    c->A = exp(lA);
    c->B = exp(lB);
    c->scale = fmin(c->A, c->B);
    double scales[2] = {c->scale / c->A, c->scale / c->B};
    double Ia, Ib;
    if (pdx_th_integrate(c->ws, f_Ia, c, 0.0, scales, 2, &Ia) != 0 ||
        pdx_th_integrate(c->ws, f_Ib, c, 0.0, scales, 2, &Ib) != 0)
        return GSL_EFAILED;
    double A = c->A, B = c->B;
    double F2 = 2.0 * A * A * A * Ia / (SQRT_2PI * B * B) - 1.0;
    double F1 = 1.0 + 2.0 * A * A * (B * B * B * Ib - A * A * A * Ia) /
                          (SQRT_2PI * B * B * B * B);
    gsl_vector_set(f, 0, F1);
    gsl_vector_set(f, 1, F2);
    return isfinite(F1) && isfinite(F2) ? GSL_SUCCESS : GSL_EDOM;
}

/* Solve the large-alpha equations at temperature T from (log A, log B)
 * = x (in and out). 0 on success. */
static int large_solve(pdx_theory_workspace *ws, double temperature,
                       double label_noise, double x[2])
{
    large_ctx c;
    memset(&c, 0, sizeof c);
    c.ws = ws;
    c.m = model_make(1.0, temperature, label_noise, 0);
    gsl_multiroot_function F = {large_f, 2, &c};
    double xs[2], f[2];
    if (pdx_th_hybrids2(&F, x, 200, 1e-11, 0.0, 0.0, xs, f) != 0)
        return GSL_ENOPROG;
    double r = fabs(f[0]) + fabs(f[1]);
    if (!(isfinite(r) && r < 1e-8))
        return GSL_ENOPROG;
    x[0] = xs[0];
    x[1] = xs[1];
    return 0;
}

double pdx_theory_gibbs_large_alpha(pdx_theory_workspace *ws,
                                    double temperature, double label_noise)
{
    if (!(temperature >= 0.0) || !(label_noise >= 0.0) ||
        !(label_noise < 0.5) || (temperature == 0.0 && label_noise > 0.0) ||
        !isfinite(temperature))
        return NAN;
    /* T = 0: A = B = sqrt(2) / (pi 0.6247); higher T and noise: smaller */
    double start = log(0.72 / (1.0 + temperature) * (1.0 - 2.0 * label_noise));
    double x[2] = {start, start};
    int rc = large_solve(ws, temperature, label_noise, x);
    if (rc != 0 && temperature > 1.0) {
        /* at high temperature A and B part (B -> 1/(pi T), the annealed
         * width, while A grows): continue in log T from T = 1, where
         * the start above converges, extrapolating log A, log B linearly
         * in log T */
        double T = 1.0, prev[2], step = log(1.25);
        x[0] = x[1] = log(0.36 * (1.0 - 2.0 * label_noise));
        rc = large_solve(ws, T, label_noise, x);
        prev[0] = x[0];
        prev[1] = x[1];
        double prev_T = T;
        while (rc == 0 && T < temperature) {
            double next = fmin(temperature, T * exp(step));
            double w = prev_T < T ? log(next / T) / log(T / prev_T) : 0.0;
            double guess[2] = {x[0] + w * (x[0] - prev[0]),
                               x[1] + w * (x[1] - prev[1])};
            double y[2] = {guess[0], guess[1]};
            if (large_solve(ws, next, label_noise, y) == 0) {
                prev[0] = x[0];
                prev[1] = x[1];
                prev_T = T;
                x[0] = y[0];
                x[1] = y[1];
                T = next;
                step = fmin(log(1.25), 1.5 * step);
            } else if ((step *= 0.5) < 1e-4) {
                rc = GSL_ENOPROG;
            }
        }
    }
    if (rc != 0)
        return NAN;
    double A = exp(x[0]), B = exp(x[1]);
    return sqrt(1.0 / (A * A) + 1.0 / (B * B)) / M_PI;
}
