/* test_evidence.c — the Laplace evidence (src/evidence.c, pdx/evidence.h)
 * against the closed-form evidence of Bayesian linear regression (where
 * the Laplace approximation is exact), against quadrature for a logistic
 * perceptron with one weight, and on teacher against random labels. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/evidence.h"
#include "pdx/rng.h"
#include "pdx/spec.h"
#include "pdx_test.h"

/* Gaussian inputs x (P x N) and, from a teacher B, labels y: sign (or the
 * real teacher output when `real`), a fraction `random` replaced by
 * random signs. */
static void make_set(size_t P, size_t N, uint64_t seed, int real,
                     double random, double *x, double *y)
{
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, seed, PDX_RNG_DATA, 0, 0);
    double *B = malloc(N * sizeof *B), *u = malloc(2 * P * sizeof *u);
    pdx_rng_gaussian(&s, 0, x, P * N);
    pdx_rng_gaussian(&s, 1, B, N);
    pdx_rng_uniform(&s, 2, u, 2 * P);
    for (size_t mu = 0; mu < P; mu++) {
        double f = 0.0;
        for (size_t i = 0; i < N; i++)
            f += x[mu * N + i] * B[i];
        f /= sqrt((double)N);
        y[mu] = real ? f + 0.3 * (u[mu] - 0.5) : (f >= 0 ? 1.0 : -1.0);
        if (!real && u[mu] < random)
            y[mu] = u[P + mu] < 0.5 ? 1.0 : -1.0;
    }
    free(B);
    free(u);
}

static double test_cholesky_logdet(double *a, size_t n)
{
    double logdet = 0.0;
    for (size_t j = 0; j < n; j++) {
        for (size_t i = j; i < n; i++) {
            double s = a[i * n + j];
            for (size_t k = 0; k < j; k++)
                s -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = i == j ? sqrt(s) : s / a[j * n + j];
        }
        logdet += 2.0 * log(a[j * n + j]);
    }
    return logdet;
}

/* Bayesian linear regression: y ~ N(0, K), K = I + X X^T/(N lambda), so
 * ln P(y|X) = -y^T K^-1 y/2 - ln det K/2 - P ln(2 pi)/2; by Sylvester's
 * identity the Occam factor -ln det(H/lambda)/2 = -ln det K/2 and the
 * cost term is the rest. Computed here in the P-dimensional form, the
 * library works in the N-dimensional one. */
static void test_evidence_gaussian_closed_form(void **state)
{
    (void)state;
    const size_t P = 37, N = 13;
    const double lambda = 2.385;
    double *x = malloc(P * N * sizeof *x), *y = malloc(P * sizeof *y);
    make_set(P, N, 11, 1, 0.0, x, y);
    double *K = malloc(P * P * sizeof *K), *v = malloc(P * sizeof *v);
    for (size_t a = 0; a < P; a++)
        for (size_t b = 0; b < P; b++) {
            double s = 0.0;
            for (size_t i = 0; i < N; i++)
                s += x[a * N + i] * x[b * N + i];
            K[a * P + b] = (a == b) + s / ((double)N * lambda);
        }
    double logdet = test_cholesky_logdet(K, P);
    memcpy(v, y, P * sizeof *v); /* v = L^-1 y: y^T K^-1 y = |v|^2 */
    for (size_t i = 0; i < P; i++) {
        for (size_t k = 0; k < i; k++)
            v[i] -= K[i * P + k] * v[k];
        v[i] /= K[i * P + i];
    }
    double quad = 0.0;
    for (size_t i = 0; i < P; i++)
        quad += v[i] * v[i];
    double occam = -0.5 * logdet;
    double cost = -0.5 * quad - 0.5 * (double)P * log(2.0 * M_PI);

    double *work = malloc(pdx_evidence_workspace_doubles(P, N) * sizeof *work);
    double w[13];
    pdx_evidence_result r;
    assert_int_equal(pdx_evidence_laplace(x, y, P, N, lambda,
                                          PDX_EVIDENCE_GAUSSIAN, work, w, &r),
                     0);
    assert_true(r.converged);
    assert_double_close(r.occam, occam, 1e-11);
    assert_double_close(r.cost, cost, 1e-11);
    assert_double_close(r.log_evidence, cost + occam, 1e-11);
    assert_double_close(r.null_model, -(double)P * log(2.0), 1e-15);
    free(x); free(y); free(K); free(v); free(work);
}

/* One weight, logistic likelihood: ln P(y|X) = ln int dw N(w; 0, 1/lambda)
 * prod sigma(y x w) by quadrature; the Laplace value is close (within
 * 0.02 at P = 60 here, where the posterior is nearly Gaussian), and the
 * MAP solves lambda w = sum sigma(-y x w) y x. */
static void test_evidence_logistic_one_weight(void **state)
{
    (void)state;
    const size_t P = 60, N = 1;
    const double lambda = 0.7;
    double x[60], y[60], work[200], w;
    make_set(P, N, 5, 0, 0.2, x, y);
    pdx_evidence_result r;
    assert_int_equal(pdx_evidence_laplace(x, y, P, N, lambda,
                                          PDX_EVIDENCE_LOGISTIC, work, &w, &r),
                     0);
    double stationary = -lambda * w;
    for (size_t mu = 0; mu < P; mu++)
        stationary += y[mu] * x[mu] / (1.0 + exp(y[mu] * x[mu] * w));
    assert_double_near(stationary, 0.0, 1e-9);
    /* quadrature of the log-integrand around w, relative to its maximum */
    double sum = 0.0, h = 1e-3, top = -INFINITY;
    double logf[40001];
    for (int k = -20000; k <= 20000; k++) {
        double u = w + h * k, lf = 0.5 * log(lambda / (2 * M_PI)) -
                                   0.5 * lambda * u * u;
        for (size_t mu = 0; mu < P; mu++)
            lf -= log1p(exp(-y[mu] * x[mu] * u));
        logf[k + 20000] = lf;
        top = fmax(top, lf);
    }
    for (int k = 0; k <= 40000; k++)
        sum += exp(logf[k] - top) * h;
    double exact = top + log(sum);
    assert_double_near(r.log_evidence, exact, 0.02);
    assert_true(r.occam < 0.0);
    /* probit: the same machinery, another likelihood */
    assert_int_equal(pdx_evidence_laplace(x, y, P, N, lambda,
                                          PDX_EVIDENCE_PROBIT, work, &w, &r),
                     0);
    assert_true(r.converged && isfinite(r.log_evidence));
}

/* Zhang et al.'s random labels: at P = 3N the teacher's labels are far
 * more probable than the null model's, random ones less (Smith & Le). */
static void test_evidence_random_labels_below_null(void **state)
{
    (void)state;
    const size_t N = 20, P = 60;
    double *x = malloc(P * N * sizeof *x), *y = malloc(P * sizeof *y);
    double *work = malloc(pdx_evidence_workspace_doubles(P, N) * sizeof *work);
    double w[20];
    pdx_evidence_result r;
    make_set(P, N, 3, 0, 0.0, x, y);
    assert_int_equal(pdx_evidence_laplace(x, y, P, N, 0.2,
                                          PDX_EVIDENCE_LOGISTIC, work, w, &r),
                     0);
    assert_true(r.log_evidence - r.null_model > 5.0);
    make_set(P, N, 3, 0, 1.0, x, y);
    assert_int_equal(pdx_evidence_laplace(x, y, P, N, 0.2,
                                          PDX_EVIDENCE_LOGISTIC, work, w, &r),
                     0);
    print_message("# random labels: ln Z - null = %g (cost %g, occam %g)\n",
                  r.log_evidence - r.null_model, r.cost, r.occam);
    assert_true(r.log_evidence - r.null_model < 0.0);
    free(x); free(y); free(work);
}

static void test_evidence_bad_arguments(void **state)
{
    (void)state;
    double x[4] = {1, 2, 3, 4}, y[2] = {1, -1}, work[64], w[2];
    pdx_evidence_result r;
    assert_int_equal(pdx_evidence_laplace(x, y, 2, 2, 0.0,
                                          PDX_EVIDENCE_LOGISTIC, work, w, &r),
                     -1);
    assert_true(isnan(r.log_evidence));
    assert_int_equal(pdx_evidence_laplace(x, y, 2, 2, 1.0, PDX_EVIDENCE_NONE,
                                          work, w, &r),
                     -1);
    double a[4] = {1, 2, 2, 1}; /* indefinite */
    assert_true(isnan(pdx_evidence_cholesky(a, 2)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evidence_gaussian_closed_form),
        cmocka_unit_test(test_evidence_logistic_one_weight),
        cmocka_unit_test(test_evidence_random_labels_below_null),
        cmocka_unit_test(test_evidence_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
