/* noise.c — the gradient-noise geometry of issue 17 (Chaudhari & Soatto
 * 2017): the covariance of the per-example gradients g_mu of the trained
 * weights (pdx_trainer_example_gradients) at the current weights,
 *   D = (1/P) sum_mu g_mu g_mu^T - gbar gbar^T,  gbar = (1/P) sum_mu g_mu
 * (a minibatch of B drawn with replacement has gradient covariance D/B),
 * its top eigenvalues, trace, participation ratio (tr D)^2 / tr D^2, the
 * fewest eigenvalues that hold 99 % of the trace, and the gradient
 * signal-to-noise ratio |grad f|^2 / tr D (grad f = gbar + the weight
 * decay's gradient: the full-batch gradient of the objective; a minibatch
 * of B has B times this ratio). And the probability current of the
 * weights in the top eigendirections of D after burn-in (src/current.c).
 *
 * D = Gc^T Gc / P with Gc the centred P x d matrix of gradients, so its
 * non-zero eigenvalues are those of the smaller of Gc^T Gc / P (d x d) and
 * Gc Gc^T / P (P x P): exact (GSL's symmetric eigensolver) while
 * m = min(P, d) <= exact_max (PDX_NOISE_EXACT_MAX), beyond it the top
 * r = min(m, k + 16) by subspace iteration (11 products with D of r
 * vectors, started from r centred gradients: no random numbers), where
 * the trace is still exact, the participation ratio an upper bound (the
 * rest of the trace spread evenly over the other m - r eigenvalues) and
 * rank99 NaN unless the top r hold 99 %. Deterministic: fixed orders of
 * summation, no threads. Reads trainers through pdx/train.h only. */
#include "pdx/observe.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const pdx_var_desc noise_variables[PDX_NOISE_COUNT] = {
    [PDX_NOISE_EIGENVALUES] = {"noise_eigenvalues",
                               "eigenvalues of the gradient-noise covariance "
                               "D = (1/P) sum_mu g_mu g_mu^T - gbar gbar^T of "
                               "the per-example gradients of all trained "
                               "weights, largest first (NaN beyond min(P, d))",
                               "1", 2, {PDX_DIM_TIME, PDX_DIM_EIGEN}},
    [PDX_NOISE_TRACE] = {"noise_trace", "trace of D", "1", 1,
                         {PDX_DIM_TIME}},
    [PDX_NOISE_RANK] = {"noise_rank",
                        "effective rank of D: participation ratio "
                        "(tr D)^2 / tr D^2 (an upper bound where the "
                        "spectrum is not exact)",
                        "1", 1, {PDX_DIM_TIME}},
    [PDX_NOISE_RANK99] = {"noise_rank99",
                          "fewest eigenvalues of D holding 99 % of its "
                          "trace (NaN where the top ones computed hold "
                          "less)",
                          "1", 1, {PDX_DIM_TIME}},
    [PDX_NOISE_RANK99_FRACTION] = {"noise_rank99_fraction",
                                   "noise_rank99 / d, d the number of "
                                   "trained weights",
                                   "1", 1, {PDX_DIM_TIME}},
    [PDX_NOISE_SNR] = {"grad_snr",
                       "gradient signal-to-noise ratio |grad f|^2 / tr D "
                       "(grad f: full-batch gradient of the objective, "
                       "weight decay included; a minibatch of B has B "
                       "times this)",
                       "1", 1, {PDX_DIM_TIME}},
    [PDX_NOISE_DIMENSION] = {"noise_dimension",
                             "d, the number of trained weights (K N, + K "
                             "with a trained second layer)",
                             "1", 0, {PDX_DIM_TIME}},
    [PDX_NOISE_CURRENT] = {"current",
                           "probability current J_ij = <y_i(t+1) y_j(t)> - "
                           "<y_i(t) y_j(t+1)>, y the weights projected on "
                           "the eigenvectors i, j of D at "
                           "record.current_burn_in, over every step after "
                           "it (antisymmetric)",
                           "1", 2, {PDX_DIM_EIGEN, PDX_DIM_EIGEN2}},
    [PDX_NOISE_CURRENT_SE] = {"current_se",
                              "standard error of current (batch means, 20 "
                              "batches of consecutive steps)",
                              "1", 2, {PDX_DIM_EIGEN, PDX_DIM_EIGEN2}},
    [PDX_NOISE_CURRENT_CHI2] = {"current_chi2",
                                "sum over i < j of (current / current_se)^2: "
                                "about k(k-1)/2 x 19/17 where there is no "
                                "current",
                                "1", 0, {PDX_DIM_TIME}},
    [PDX_NOISE_CURRENT_STEPS] = {"current_steps",
                                 "transitions (training steps) summed into "
                                 "current",
                                 "1", 0, {PDX_DIM_TIME}},
    [PDX_NOISE_CURRENT_EIGENVALUES] = {"current_eigenvalues",
                                       "eigenvalues of D at "
                                       "record.current_burn_in, of the "
                                       "directions of current",
                                       "1", 1, {PDX_DIM_EIGEN}},
};

const pdx_var_desc *pdx_observe_noise_variables(void)
{
    return noise_variables;
}

size_t pdx_observe_noise_base(const pdx_layout *layout)
{
    if (layout->dim_size[PDX_DIM_EIGEN] == 0 ||
        layout->n_vars < PDX_NOISE_COUNT)
        return layout->n_vars;
    return layout->n_vars - PDX_NOISE_COUNT;
}

/* ---- the workspace ---- */

struct pdx_noise_meter {
    size_t max_P, max_d, k;
    double *G;       /* max_P x max_d: the per-example gradients */
    double *gbar;    /* max_d: mean gradient (+ decay) */
    double *U;       /* k x max_d: the current's directions */
    double *ref;     /* max_d: weights at burn-in */
    double *x, *y;   /* max_d, k */
    size_t d, kc;    /* the current task's d and directions */
    pdx_current *current;
};

double pdx_noise_meter_bytes(size_t max_P, size_t max_d, size_t k)
{
    double P = (double)max_P, d = (double)max_d, kk = (double)k;
    double m = P < d ? P : d;
    if (m > PDX_NOISE_EXACT_MAX)
        m = PDX_NOISE_EXACT_MAX;
    /* the meter's arrays, and per call the matrix and eigenvectors of the
     * smaller Gram matrix (exact) or the subspace (randomized) */
    double r = kk + 16.0;
    double call = 2.0 * m * m + 4.0 * m;
    if (call < 3.0 * r * (P + d))
        call = 3.0 * r * (P + d);
    return 8.0 * (P * d + d * (3.0 + kk) + kk + call) +
           pdx_current_bytes(k) + (double)sizeof(pdx_noise_meter);
}

pdx_status pdx_noise_meter_create(pdx_noise_meter **out, size_t max_P,
                                  size_t max_d, size_t k, pdx_error *err)
{
    *out = NULL;
    pdx_noise_meter *m = calloc(1, sizeof *m);
    size_t P = max_P > 0 ? max_P : 1, d = max_d > 0 ? max_d : 1;
    size_t kk = k > 0 ? k : 1;
    pdx_status st = PDX_OK;
    if (m != NULL) {
        m->max_P = max_P;
        m->max_d = max_d;
        m->k = k;
        m->G = malloc(P * d * sizeof *m->G);
        m->gbar = malloc(d * sizeof *m->gbar);
        m->U = malloc(kk * d * sizeof *m->U);
        m->ref = malloc(d * sizeof *m->ref);
        m->x = malloc(d * sizeof *m->x);
        m->y = malloc(kk * sizeof *m->y);
        st = pdx_current_create(&m->current, kk, err);
    }
    if (m == NULL || st != PDX_OK || m->G == NULL || m->gbar == NULL ||
        m->U == NULL || m->ref == NULL || m->x == NULL || m->y == NULL) {
        pdx_noise_meter_destroy(&m);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0,
                             "record.noise_eigen",
                             "out of memory for the gradient-noise "
                             "workspace (%.0f bytes: P = %zu examples x d = "
                             "%zu weights)",
                             pdx_noise_meter_bytes(max_P, max_d, k), max_P,
                             max_d);
    }
    *out = m;
    return PDX_OK;
}

void pdx_noise_meter_destroy(pdx_noise_meter **meter)
{
    if (meter == NULL || *meter == NULL)
        return;
    pdx_noise_meter *m = *meter;
    free(m->G);
    free(m->gbar);
    free(m->U);
    free(m->ref);
    free(m->x);
    free(m->y);
    pdx_current_destroy(&m->current);
    free(m);
    *meter = NULL;
}

/* ---- the spectrum ---- */

static int by_value_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Sign convention of an eigenvector: its largest |component| positive. */
static void fix_sign(double *v, size_t d)
{
    size_t at = 0;
    for (size_t j = 1; j < d; j++)
        if (fabs(v[j]) > fabs(v[at]))
            at = j;
    if (v[at] < 0.0)
        for (size_t j = 0; j < d; j++)
            v[j] = -v[j];
}

static void normalize(double *v, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += v[j] * v[j];
    s = sqrt(s);
    for (size_t j = 0; j < d; j++)
        v[j] = s > 0.0 ? v[j] / s : 0.0;
}

/* All m = min(P, d) eigenvalues of D = Gc^T Gc / P, descending, into
 * evals; with U (k x d) the top k eigenvectors too. Returns 0, or -1 when
 * out of memory. */
static int exact_spectrum(const double *G, size_t P, size_t d, size_t ld,
                          size_t k, double *evals, double *U)
{
    const size_t m = P < d ? P : d;
    const int primal = d <= P;
    double *c = malloc(m * m * sizeof *c);
    double *vec = U != NULL ? malloc(m * m * sizeof *vec) : NULL;
    if (c == NULL || (U != NULL && vec == NULL)) {
        free(c);
        free(vec);
        return -1;
    }
    gsl_matrix_view C = gsl_matrix_view_array(c, m, m);
    gsl_matrix_const_view A = gsl_matrix_const_view_array_with_tda(G, P, d,
                                                                   ld);
    gsl_blas_dsyrk(CblasLower, primal ? CblasTrans : CblasNoTrans,
                   1.0 / (double)P, &A.matrix, 0.0, &C.matrix);
    gsl_vector_view ev = gsl_vector_view_array(evals, m);
    if (U == NULL) {
        gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(m);
        gsl_eigen_symm(&C.matrix, &ev.vector, w);
        gsl_eigen_symm_free(w);
        qsort(evals, m, sizeof *evals, by_value_desc);
    } else {
        gsl_matrix_view V = gsl_matrix_view_array(vec, m, m);
        gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(m);
        gsl_eigen_symmv(&C.matrix, &ev.vector, &V.matrix, w);
        gsl_eigen_symmv_free(w);
        gsl_eigen_symmv_sort(&ev.vector, &V.matrix, GSL_EIGEN_SORT_VAL_DESC);
        for (size_t i = 0; i < k && i < m; i++) {
            double *u = U + i * d;
            if (primal) {
                for (size_t j = 0; j < d; j++)
                    u[j] = vec[j * m + i];
            } else { /* u = Gc^T a_i, a_i the Gram's eigenvector */
                memset(u, 0, d * sizeof *u);
                for (size_t mu = 0; mu < P; mu++) {
                    const double a = vec[mu * m + i];
                    const double *g = G + mu * ld;
                    for (size_t j = 0; j < d; j++)
                        u[j] += a * g[j];
                }
            }
            normalize(u, d);
            fix_sign(u, d);
        }
    }
    for (size_t i = 0; i < m; i++)
        if (evals[i] < 0.0)
            evals[i] = 0.0; /* rounding below the null space */
    free(c);
    free(vec);
    return 0;
}

/* out = D q = Gc^T (Gc q) / P (z: P scratch) */
static void apply_d(const double *G, size_t P, size_t d, size_t ld,
                    const double *q, double *z, double *out)
{
    for (size_t mu = 0; mu < P; mu++) {
        const double *g = G + mu * ld;
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += g[j] * q[j];
        z[mu] = s / (double)P;
    }
    memset(out, 0, d * sizeof *out);
    for (size_t mu = 0; mu < P; mu++) {
        const double *g = G + mu * ld;
        for (size_t j = 0; j < d; j++)
            out[j] += z[mu] * g[j];
    }
}

/* Modified Gram-Schmidt, twice, of the r vectors Q (r x d); a vector that
 * vanishes is replaced by a unit vector. */
static void orthonormalize(double *Q, size_t r, size_t d)
{
    for (size_t c = 0; c < r; c++) {
        double *q = Q + c * d;
        for (int pass = 0; pass < 3; pass++) {
            for (size_t b = 0; b < c; b++) {
                const double *p = Q + b * d;
                double s = 0.0;
                for (size_t j = 0; j < d; j++)
                    s += p[j] * q[j];
                for (size_t j = 0; j < d; j++)
                    q[j] -= s * p[j];
            }
            double n = 0.0;
            for (size_t j = 0; j < d; j++)
                n += q[j] * q[j];
            if (n > 1e-200 && pass > 0)
                break;
            if (!(n > 1e-200)) {
                memset(q, 0, d * sizeof *q);
                q[(c + (size_t)pass * 7919) % d] = 1.0;
            }
        }
        normalize(q, d);
    }
}

/* The top r = min(m, k + 16) eigenvalues (descending, into evals) and,
 * with U, the top k eigenvectors, by subspace iteration. Returns r, or 0
 * when out of memory. */
static size_t iterated_spectrum(const double *G, size_t P, size_t d,
                                size_t ld, size_t k, double *evals,
                                double *U)
{
    const size_t m = P < d ? P : d;
    const size_t r = k + 16 < m ? k + 16 : m;
    double *Q = malloc(r * d * sizeof *Q), *W = malloc(r * d * sizeof *W);
    double *z = malloc(P * sizeof *z), *t = malloc(r * r * sizeof *t);
    double *vec = malloc(r * r * sizeof *vec);
    if (Q == NULL || W == NULL || z == NULL || t == NULL || vec == NULL) {
        free(Q), free(W), free(z), free(t), free(vec);
        return 0;
    }
    for (size_t c = 0; c < r; c++) /* start: r of the centred gradients */
        memcpy(Q + c * d, G + (c * P / r) * ld, d * sizeof *Q);
    orthonormalize(Q, r, d);
    for (int it = 0; it < 10; it++) {
        for (size_t c = 0; c < r; c++)
            apply_d(G, P, d, ld, Q + c * d, z, W + c * d);
        memcpy(Q, W, r * d * sizeof *Q);
        orthonormalize(Q, r, d);
    }
    for (size_t c = 0; c < r; c++)
        apply_d(G, P, d, ld, Q + c * d, z, W + c * d);
    for (size_t a = 0; a < r; a++) /* Rayleigh-Ritz: T = Q^T D Q */
        for (size_t b = 0; b <= a; b++) {
            double s = 0.0, s2 = 0.0;
            for (size_t j = 0; j < d; j++) {
                s += Q[a * d + j] * W[b * d + j];
                s2 += Q[b * d + j] * W[a * d + j];
            }
            t[a * r + b] = t[b * r + a] = 0.5 * (s + s2);
        }
    gsl_matrix_view T = gsl_matrix_view_array(t, r, r);
    gsl_matrix_view V = gsl_matrix_view_array(vec, r, r);
    gsl_vector_view ev = gsl_vector_view_array(evals, r);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(r);
    gsl_eigen_symmv(&T.matrix, &ev.vector, &V.matrix, w);
    gsl_eigen_symmv_free(w);
    gsl_eigen_symmv_sort(&ev.vector, &V.matrix, GSL_EIGEN_SORT_VAL_DESC);
    for (size_t i = 0; i < r; i++)
        if (evals[i] < 0.0)
            evals[i] = 0.0;
    for (size_t i = 0; U != NULL && i < k && i < r; i++) {
        double *u = U + i * d;
        memset(u, 0, d * sizeof *u);
        for (size_t c = 0; c < r; c++)
            for (size_t j = 0; j < d; j++)
                u[j] += vec[c * r + i] * Q[c * d + j];
        normalize(u, d);
        fix_sign(u, d);
    }
    free(Q), free(W), free(z), free(t), free(vec);
    return r;
}

size_t pdx_noise_spectrum(pdx_noise_meter *meter, pdx_trainer *trainer,
                          size_t k, size_t exact_max, int vectors,
                          double *eig, pdx_noise_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    sum->trace = sum->rank = sum->rank99 = sum->snr = NAN;
    const pdx_dataset *data = pdx_trainer_dataset(trainer);
    size_t d = pdx_trainer_parameter_count(trainer);
    if (d == 0 || data == NULL || d > meter->max_d || data->P > meter->max_P)
        return 0;
    const size_t P = data->P, ld = d;
    double *G = meter->G, *gbar = meter->gbar;
    pdx_trainer_example_gradients(trainer, G, ld, meter->x);
    memset(gbar, 0, d * sizeof *gbar);
    for (size_t mu = 0; mu < P; mu++)
        for (size_t j = 0; j < d; j++)
            gbar[j] += G[mu * ld + j];
    double trace = 0.0, signal = 0.0;
    for (size_t j = 0; j < d; j++)
        gbar[j] /= (double)P;
    for (size_t mu = 0; mu < P; mu++)
        for (size_t j = 0; j < d; j++) {
            double g = G[mu * ld + j] - gbar[j];
            G[mu * ld + j] = g;
            trace += g * g;
        }
    trace /= (double)P;
    for (size_t j = 0; j < d; j++) {
        double g = gbar[j] + meter->x[j]; /* + the weight decay's */
        signal += g * g;
    }
    sum->d = d;
    sum->trace = trace;
    sum->snr = signal / trace;
    const size_t m = P < d ? P : d;
    double *evals = malloc(m * sizeof *evals);
    if (evals == NULL)
        return d;
    double *U = vectors ? meter->U : NULL;
    size_t have = 0;
    sum->exact = m <= exact_max;
    if (sum->exact)
        have = exact_spectrum(G, P, d, ld, k, evals, U) == 0 ? m : 0;
    else
        have = iterated_spectrum(G, P, d, ld, k, evals, U);
    for (size_t i = 0; i < k; i++)
        eig[i] = i < have ? evals[i] : NAN;
    if (vectors) {
        meter->kc = have < k ? have : k;
        meter->d = d;
    }
    double sq = 0.0, top = 0.0;
    sum->rank99 = NAN;
    for (size_t i = 0; i < have; i++) {
        sq += evals[i] * evals[i];
        top += evals[i];
        if (isnan(sum->rank99) && top >= 0.99 * trace)
            sum->rank99 = (double)(i + 1);
    }
    if (have > 0 && !sum->exact && m > have) /* the rest spread evenly */
        sq += (trace - top) * (trace - top) / (double)(m - have);
    sum->rank = have > 0 && sq > 0.0 ? trace * trace / sq : NAN;
    free(evals);
    return d;
}

const double *pdx_noise_meter_directions(const pdx_noise_meter *meter,
                                         size_t *k, size_t *d)
{
    *k = meter->kc;
    *d = meter->d;
    return meter->U;
}

/* ---- into the layout's variables ---- */

void pdx_observe_noise(pdx_noise_meter *meter, pdx_trainer *trainer,
                       const pdx_layout *layout, size_t ti,
                       double *const *out)
{
    const size_t base = pdx_observe_noise_base(layout);
    const size_t k = layout->dim_size[PDX_DIM_EIGEN];
    if (meter == NULL || base == layout->n_vars || k == 0 ||
        !pdx_params_noise_applies(pdx_trainer_params(trainer)))
        return;
    pdx_noise_summary s;
    double *eig = out[base + PDX_NOISE_EIGENVALUES] + ti * k;
    size_t d = pdx_noise_spectrum(meter, trainer, k, PDX_NOISE_EXACT_MAX, 0,
                                  eig, &s);
    if (d == 0)
        return;
    out[base + PDX_NOISE_TRACE][ti] = s.trace;
    out[base + PDX_NOISE_RANK][ti] = s.rank;
    out[base + PDX_NOISE_RANK99][ti] = s.rank99;
    out[base + PDX_NOISE_RANK99_FRACTION][ti] = s.rank99 / (double)d;
    out[base + PDX_NOISE_SNR][ti] = s.snr;
    out[base + PDX_NOISE_DIMENSION][0] = (double)d;
}

void pdx_observe_current_start(pdx_noise_meter *meter, pdx_trainer *trainer,
                               int64_t transitions, const pdx_layout *layout,
                               double *const *out)
{
    const size_t base = pdx_observe_noise_base(layout);
    const size_t k = layout->dim_size[PDX_DIM_EIGEN];
    meter->kc = 0;
    if (base == layout->n_vars || k == 0)
        return;
    pdx_noise_summary s;
    double *eig = out[base + PDX_NOISE_CURRENT_EIGENVALUES];
    meter->d = pdx_noise_spectrum(meter, trainer, k, PDX_NOISE_EXACT_MAX, 1,
                                  eig, &s);
    if (meter->d == 0) {
        meter->kc = 0;
        return;
    }
    pdx_trainer_parameters(trainer, meter->ref);
    pdx_current_start(meter->current, meter->kc, transitions);
    pdx_observe_current_push(meter, trainer);
}

void pdx_observe_current_push(pdx_noise_meter *meter,
                              const pdx_trainer *trainer)
{
    if (meter->kc == 0)
        return;
    const size_t d = meter->d;
    pdx_trainer_parameters(trainer, meter->x);
    for (size_t j = 0; j < d; j++)
        meter->x[j] -= meter->ref[j];
    for (size_t i = 0; i < meter->kc; i++) {
        const double *u = meter->U + i * d;
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += u[j] * meter->x[j];
        meter->y[i] = s;
    }
    pdx_current_push(meter->current, meter->y);
}

void pdx_observe_current_finish(pdx_noise_meter *meter,
                                const pdx_layout *layout, double *const *out)
{
    const size_t base = pdx_observe_noise_base(layout);
    const size_t k = layout->dim_size[PDX_DIM_EIGEN];
    const size_t kc = meter->kc;
    if (base == layout->n_vars || kc == 0)
        return;
    double *Jk = malloc(2 * kc * kc * sizeof *Jk);
    if (Jk == NULL)
        return;
    double chi2;
    int64_t n = pdx_current_result(meter->current, Jk, Jk + kc * kc, &chi2);
    for (size_t i = 0; i < kc; i++)
        for (size_t j = 0; j < kc; j++) {
            out[base + PDX_NOISE_CURRENT][i * k + j] = Jk[i * kc + j];
            out[base + PDX_NOISE_CURRENT_SE][i * k + j] =
                Jk[kc * kc + i * kc + j];
        }
    out[base + PDX_NOISE_CURRENT_CHI2][0] = chi2;
    out[base + PDX_NOISE_CURRENT_STEPS][0] = (double)n;
    free(Jk);
    meter->kc = 0;
}
