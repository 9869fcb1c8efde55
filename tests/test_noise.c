/* test_noise.c — issue 17: the gradient-noise covariance D and its
 * spectrum against a direct computation (finite-difference per-example
 * gradients, Jacobi eigenvalues) on tiny models, the subspace iteration
 * against the exact spectrum, and the probability-current estimator on
 * Ornstein-Uhlenbeck processes with known drift H and diffusion D: a
 * non-commuting case against the closed form J = A S - S A^T of the
 * discretised process (S = A S A^T + 2 D dt, A = I - H dt), commuting
 * cases where J = 0, and the calibration of its standard error. */
#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/observe.h"
#include "pdx/rng.h"
#include "pdx_test.h"

/* ---- a trainer on the first cell of a spec, trained `epochs` ---- */

typedef struct tiny {
    pdx_spec *spec;
    pdx_grid *grid;
    pdx_params params;
    pdx_trainer *trainer;
} tiny;

static void tiny_make(tiny *m, const char *text, double epochs)
{
    memset(m, 0, sizeof *m);
    pdx_error err;
    if (pdx_spec_parse_string(&m->spec, text, strlen(text), "noise.yaml",
                              &err) != PDX_OK)
        fail_msg("spec: %s", err.message);
    assert_int_equal(pdx_grid_create(&m->grid, m->spec, NULL), PDX_OK);
    pdx_grid_cell_params(m->grid, 0, &m->params);
    const pdx_params *p = &m->params;
    assert_int_equal(pdx_trainer_create_finite(
                         &m->trainer, (size_t)p->N, 8, 4,
                         (size_t)m->grid->max_test_size,
                         (size_t)pdx_params_train_size(p), NULL),
                     PDX_OK);
    if (pdx_trainer_set_cell(m->trainer, p, 11, pdx_grid_cell_key(p), 0,
                             &err) != PDX_OK)
        fail_msg("set: %s", err.message);
    assert_int_equal(pdx_trainer_iterate(m->trainer,
                                         pdx_grid_steps_at(p, epochs)),
                     0);
}

static void tiny_free(tiny *m)
{
    pdx_trainer_destroy(&m->trainer);
    pdx_grid_destroy(&m->grid);
    pdx_spec_destroy(&m->spec);
}

/* The loss of example mu at parameters theta (w K x N, then v K when
 * trained), computed here from the model's definition. */
static double example_loss(const tiny *m, const double *theta, size_t mu)
{
    const pdx_committee *s = pdx_trainer_student(m->trainer);
    const pdx_dataset *d = pdx_trainer_dataset(m->trainer);
    const size_t N = s->N, K = s->K;
    const size_t n = pdx_trainer_parameter_count(m->trainer);
    const double *x = d->x + mu * N;
    double yhat = 0.0;
    for (size_t k = 0; k < K; k++) {
        double z = 0.0;
        for (size_t j = 0; j < N; j++)
            z += theta[k * N + j] * x[j];
        z /= sqrt((double)N);
        double v = n > K * N ? theta[K * N + k] : s->v[k];
        yhat += v * pdx_model_g(s->activation, z);
    }
    double y = d->y[mu];
    if (m->params.train_loss == PDX_LOSS_LOGISTIC)
        return log1p(exp(-y * yhat));
    return 0.5 * (y - yhat) * (y - yhat);
}

/* Cyclic Jacobi: the eigenvalues of the symmetric n x n a (destroyed),
 * descending, and the eigenvectors as columns of v. */
static void jacobi(double *a, size_t n, double *eval, double *v)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            v[i * n + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                off += a[i * n + j] * a[i * n + j];
        if (off < 1e-30)
            break;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p + 1; q < n; q++) {
                if (fabs(a[p * n + q]) < 1e-300)
                    continue;
                double th = 0.5 * atan2(2 * a[p * n + q],
                                        a[q * n + q] - a[p * n + p]);
                double c = cos(th), s = sin(th);
                for (size_t k = 0; k < n; k++) { /* a = a R */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < n; k++) { /* a = R^T a */
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (size_t k = 0; k < n; k++) {
                    double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
    for (size_t i = 0; i < n; i++)
        eval[i] = a[i * n + i];
    for (size_t i = 0; i < n; i++) /* selection sort, descending */
        for (size_t j = i + 1; j < n; j++)
            if (eval[j] > eval[i]) {
                double t = eval[i];
                eval[i] = eval[j];
                eval[j] = t;
                for (size_t k = 0; k < n; k++) {
                    t = v[k * n + i];
                    v[k * n + i] = v[k * n + j];
                    v[k * n + j] = t;
                }
            }
}

/* D, its spectrum and summary from pdx_noise_spectrum against the direct
 * computation, for the student of `text` after `epochs`. */
static void check_against_direct(const char *text, double epochs)
{
    tiny m;
    tiny_make(&m, text, epochs);
    const size_t d = pdx_trainer_parameter_count(m.trainer);
    const size_t P = pdx_trainer_dataset(m.trainer)->P;
    assert_true(d > 0 && d <= 16);
    double theta[16], g[64][16], gbar[16] = {0};
    assert_int_equal(pdx_trainer_parameters(m.trainer, theta), d);
    const double h = 1e-6;
    for (size_t mu = 0; mu < P; mu++)
        for (size_t i = 0; i < d; i++) {
            double t = theta[i];
            theta[i] = t + h;
            double up = example_loss(&m, theta, mu);
            theta[i] = t - h;
            double down = example_loss(&m, theta, mu);
            theta[i] = t;
            g[mu][i] = (up - down) / (2 * h);
            gbar[i] += g[mu][i] / (double)P;
        }
    double D[256] = {0}, Dc[256], eval[16], vec[256], trace = 0.0, sq = 0.0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t mu = 0; mu < P; mu++)
                s += g[mu][i] * g[mu][j];
            D[i * d + j] = s / (double)P - gbar[i] * gbar[j];
        }
    memcpy(Dc, D, d * d * sizeof *D);
    jacobi(Dc, d, eval, vec);
    for (size_t i = 0; i < d; i++) {
        trace += D[i * d + i];
        sq += eval[i] * eval[i];
    }
    double signal = 0.0, decay = m.params.train_weight_decay;
    for (size_t i = 0; i < d; i++)
        signal += (gbar[i] + decay * theta[i]) * (gbar[i] + decay * theta[i]);
    double cum = 0.0, rank99 = 0.0;
    for (size_t i = 0; i < d && rank99 == 0.0; i++)
        if ((cum += eval[i]) >= 0.99 * trace)
            rank99 = (double)(i + 1);

    pdx_noise_meter *meter = NULL;
    assert_int_equal(pdx_noise_meter_create(&meter, P, d, d, NULL), PDX_OK);
    double eig[16];
    pdx_noise_summary sum;
    assert_int_equal(pdx_noise_spectrum(meter, m.trainer, d,
                                        PDX_NOISE_EXACT_MAX, 0, eig, &sum),
                     d);
    const double tol = 1e-7 * eval[0];
    size_t rank = P < d ? P : d;
    for (size_t i = 0; i < d; i++) {
        if (i < rank)
            assert_double_near(eig[i], eval[i], tol);
        else /* beyond min(P, d): D is singular there, and not computed */
            assert_true(isnan(eig[i]) && fabs(eval[i]) < tol);
    }
    assert_int_equal(sum.exact, 1);
    assert_double_close(sum.trace, trace, 1e-6);
    assert_double_close(sum.rank, trace * trace / sq, 1e-5);
    assert_double_close(sum.rank99, rank99, 0.0);
    assert_double_close(sum.snr, signal / trace, 1e-5);
    /* the eigenvector of the largest eigenvalue (non-degenerate here) */
    assert_true(eval[0] > 1.05 * eval[1]);
    assert_int_equal(pdx_noise_spectrum(meter, m.trainer, 2,
                                        PDX_NOISE_EXACT_MAX, 1, eig, &sum),
                     d);
    size_t kv, dv;
    const double *u = pdx_noise_meter_directions(meter, &kv, &dv);
    assert_int_equal(kv, 2);
    assert_int_equal(dv, d);
    double dot = 0.0;
    for (size_t i = 0; i < d; i++)
        dot += u[i] * vec[i * d];
    assert_double_near(fabs(dot), 1.0, 1e-6);
    pdx_noise_meter_destroy(&meter);
    tiny_free(&m);
}

static void test_d_committee_primal(void **state)
{
    (void)state;
    /* d = K N + K = 8 <= P = 12: the d x d path; decay in the SNR */
    check_against_direct("N: 3\n"
                         "teacher: {kind: committee, hidden: 1}\n"
                         "student: {kind: committee, hidden: 2, "
                         "second_layer: trained}\n"
                         "data: {alpha: 4}\n"
                         "train: {algorithm: sgd, learning_rate: 0.1, "
                         "batch: 2, weight_decay: 0.03, epochs: 5}\n"
                         "record: {times: [5]}\n",
                         3.0);
}

static void test_d_perceptron_dual(void **state)
{
    (void)state;
    /* d = N = 8 > P = 4: the P x P Gram path; logistic loss */
    check_against_direct("N: 8\n"
                         "teacher: {kind: perceptron}\n"
                         "student: {kind: perceptron}\n"
                         "data: {alpha: 0.5}\n"
                         "train: {algorithm: gd, learning_rate: 0.2, "
                         "loss: logistic, epochs: 5}\n"
                         "record: {times: [5]}\n",
                         2.0);
}

/* Beyond exact_max the top eigenvalues come from subspace iteration: they
 * agree with the exact ones, the trace is exact, the participation ratio
 * an upper bound, and the directions span the same top eigenvectors. */
static void test_iterated_spectrum(void **state)
{
    (void)state;
    tiny m;
    tiny_make(&m,
              "N: 60\n"
              "teacher: {kind: perceptron}\n"
              "student: {kind: perceptron}\n"
              "data: {alpha: 2, label_noise: 0.2}\n"
              "train: {algorithm: sgd, learning_rate: 0.1, batch: 10, "
              "loss: logistic, epochs: 5}\n"
              "record: {times: [5]}\n",
              3.0);
    const size_t d = 60, P = 120, k = 4;
    pdx_noise_meter *meter = NULL;
    assert_int_equal(pdx_noise_meter_create(&meter, P, d, k, NULL), PDX_OK);
    double exact[4], iter[4], u_exact[4 * 60];
    pdx_noise_summary se, si;
    assert_int_equal(pdx_noise_spectrum(meter, m.trainer, k, 1000, 1, exact,
                                        &se),
                     d);
    size_t kv, dv;
    memcpy(u_exact, pdx_noise_meter_directions(meter, &kv, &dv),
           sizeof u_exact);
    assert_int_equal(pdx_noise_spectrum(meter, m.trainer, k, 10, 1, iter,
                                        &si),
                     d);
    assert_int_equal(se.exact, 1);
    assert_int_equal(si.exact, 0);
    const double *u = pdx_noise_meter_directions(meter, &kv, &dv);
    for (size_t i = 0; i < k; i++) {
        assert_double_close(iter[i], exact[i], 1e-6);
        double dot = 0.0;
        for (size_t j = 0; j < d; j++)
            dot += u[i * d + j] * u_exact[i * d + j];
        assert_double_near(fabs(dot), 1.0, 1e-4);
    }
    assert_double_close(si.trace, se.trace, 1e-12);
    assert_double_close(si.snr, se.snr, 1e-12);
    assert_true(si.rank >= se.rank * (1 - 1e-9));
    assert_true(isnan(si.rank99) || si.rank99 >= se.rank99);
    pdx_noise_meter_destroy(&meter);
    tiny_free(&m);
}

/* ---- Ornstein-Uhlenbeck processes ---- */

enum { KO = 3 };

static void matmul(const double *a, const double *b, double *c, int tb)
{
    for (int i = 0; i < KO; i++)
        for (int j = 0; j < KO; j++) {
            double s = 0.0;
            for (int l = 0; l < KO; l++)
                s += a[i * KO + l] * (tb ? b[j * KO + l] : b[l * KO + j]);
            c[i * KO + j] = s;
        }
}

/* The discretised process x_{t+1} = A x_t + xi, A = I - H dt,
 * cov xi = 2 D dt: its stationary covariance S (S = A S A^T + 2 D dt, by
 * iterating the map) and the current J = A S - S A^T. */
static void ou_closed_form(const double *H, const double *D, double dt,
                           double *A, double *J)
{
    double S[KO * KO] = {0}, T[KO * KO], U[KO * KO];
    for (int i = 0; i < KO * KO; i++)
        A[i] = (i % (KO + 1) == 0) - H[i] * dt;
    for (int it = 0; it < 200000; it++) {
        matmul(A, S, T, 0);
        matmul(T, A, U, 1);
        double change = 0.0;
        for (int i = 0; i < KO * KO; i++) {
            double s = U[i] + 2.0 * D[i] * dt;
            change += fabs(s - S[i]);
            S[i] = s;
        }
        if (change < 1e-16)
            break;
    }
    matmul(A, S, T, 0);
    for (int i = 0; i < KO; i++)
        for (int j = 0; j < KO; j++)
            J[i * KO + j] = T[i * KO + j] - T[j * KO + i];
}

/* Run the process for n transitions after a burn-in into the estimator
 * (noise from the stream (seed, 0, run)). */
static void ou_run(pdx_current *c, const double *A, const double *D,
                   double dt, int64_t n, uint64_t run, double offset)
{
    double L[KO * KO] = {0}, cov[KO * KO];
    for (int i = 0; i < KO * KO; i++)
        cov[i] = 2.0 * D[i] * dt;
    for (int i = 0; i < KO; i++) /* Cholesky: cov = L L^T */
        for (int j = 0; j <= i; j++) {
            double s = cov[i * KO + j];
            for (int l = 0; l < j; l++)
                s -= L[i * KO + l] * L[j * KO + l];
            L[i * KO + j] = i == j ? sqrt(s) : s / L[j * KO + j];
        }
    pdx_rng_stream st;
    pdx_rng_stream_init(&st, 17, PDX_RNG_DYNAMICS, 0, run);
    double x[KO] = {0}, y[KO], z[KO];
    const int64_t burn = 4000;
    pdx_current_start(c, KO, n);
    for (int64_t t = 0; t <= burn + n; t++) {
        if (t >= burn) {
            for (int i = 0; i < KO; i++)
                y[i] = x[i] + offset;
            pdx_current_push(c, y);
        }
        pdx_rng_gaussian(&st, (uint64_t)t, z, KO);
        double nx[KO];
        for (int i = 0; i < KO; i++) {
            nx[i] = 0.0;
            for (int j = 0; j < KO; j++)
                nx[i] += A[i * KO + j] * x[j] + L[i * KO + j] * z[j];
        }
        memcpy(x, nx, sizeof x);
    }
}

/* H and D do not commute: the estimate equals the closed form within 4.5
 * standard errors, and the current is far from zero. */
static void test_ou_noncommuting(void **state)
{
    (void)state;
    const double H[KO * KO] = {1, 0, 0, 0, 2, 0, 0, 0, 4};
    const double D[KO * KO] = {1, 0.6, 0.3, 0.6, 1, 0.5, 0.3, 0.5, 1};
    const double dt = 0.05;
    double A[KO * KO], Jx[KO * KO], J[KO * KO], se[KO * KO], chi2;
    ou_closed_form(H, D, dt, A, Jx);
    /* the identity behind the docs: A S - S A^T = -dt (H S - S H) */
    pdx_current *c = NULL;
    assert_int_equal(pdx_current_create(&c, KO, NULL), PDX_OK);
    ou_run(c, A, D, dt, 400000, 1, 3.0); /* an offset changes nothing */
    assert_int_equal(pdx_current_result(c, J, se, &chi2), 400000);
    double biggest = 0.0;
    for (int i = 0; i < KO; i++)
        for (int j = 0; j < KO; j++) {
            if (i == j) {
                assert_true(J[i * KO + j] == 0.0);
                continue;
            }
            assert_double_close(J[i * KO + j], -J[j * KO + i], 1e-12);
            if (fabs(J[i * KO + j] - Jx[i * KO + j]) > 4.5 * se[i * KO + j])
                fail_msg("J[%d][%d] = %g, closed form %g, se %g", i, j,
                         J[i * KO + j], Jx[i * KO + j], se[i * KO + j]);
            double z = fabs(Jx[i * KO + j]) / se[i * KO + j];
            biggest = z > biggest ? z : biggest;
        }
    assert_true(biggest > 10.0);
    assert_true(chi2 > 100.0);
    pdx_current_destroy(&c);
}

/* H and D commute (D = R diag R^T with H's eigenvectors R, and D = 0.7 H):
 * no current, every entry within 4.5 se of 0; over many runs the mean
 * chi^2 is that of t-statistics with 19 degrees of freedom, 3 x 19/17. */
static void test_ou_commuting(void **state)
{
    (void)state;
    const double c1 = cos(0.7), s1 = sin(0.7);
    const double R[KO * KO] = {c1, -s1, 0, s1, c1, 0, 0, 0, 1};
    const double h[KO] = {1, 2, 4}, dd[KO] = {2, 0.5, 1};
    double H[KO * KO], D[KO * KO], D2[KO * KO];
    for (int i = 0; i < KO; i++)
        for (int j = 0; j < KO; j++) {
            double a = 0.0, b = 0.0;
            for (int l = 0; l < KO; l++) {
                a += R[i * KO + l] * h[l] * R[j * KO + l];
                b += R[i * KO + l] * dd[l] * R[j * KO + l];
            }
            H[i * KO + j] = a;
            D[i * KO + j] = b;
            D2[i * KO + j] = 0.7 * a;
        }
    const double dt = 0.05;
    double A[KO * KO], Jx[KO * KO], J[KO * KO], se[KO * KO], chi2;
    pdx_current *c = NULL;
    assert_int_equal(pdx_current_create(&c, KO, NULL), PDX_OK);
    for (int which = 0; which < 2; which++) {
        const double *Dw = which == 0 ? D : D2;
        ou_closed_form(H, Dw, dt, A, Jx);
        for (int i = 0; i < KO * KO; i++)
            assert_double_near(Jx[i], 0.0, 1e-12);
        ou_run(c, A, Dw, dt, 400000, 2 + (uint64_t)which, -1.0);
        pdx_current_result(c, J, se, &chi2);
        for (int i = 0; i < KO * KO; i++)
            if (fabs(J[i]) > 4.5 * se[i])
                fail_msg("case %d: J[%d] = %g, se %g", which, i, J[i], se[i]);
    }
    /* calibration of se: 300 short runs of the first case */
    ou_closed_form(H, D, dt, A, Jx);
    double mean = 0.0;
    for (int run = 0; run < 300; run++) {
        ou_run(c, A, D, dt, 20000, 100 + (uint64_t)run, 0.0);
        pdx_current_result(c, J, se, &chi2);
        mean += chi2 / 300.0;
    }
    if (!(mean > 3.0 * 19.0 / 17.0 * 0.8 && mean < 3.0 * 19.0 / 17.0 * 1.25))
        fail_msg("mean chi2 %g over 300 runs, expected %g", mean,
                 3.0 * 19.0 / 17.0);
    pdx_current_destroy(&c);
}

/* Batches: fewer than 2 x 20 transitions use n / 2 batches; one
 * transition has no se. */
static void test_current_small(void **state)
{
    (void)state;
    pdx_current *c = NULL;
    assert_int_equal(pdx_current_create(&c, 2, NULL), PDX_OK);
    double J[4], se[4], chi2;
    pdx_current_start(c, 2, 1);
    pdx_current_push(c, (double[]){1, 0});
    pdx_current_push(c, (double[]){0, 1});
    pdx_current_push(c, (double[]){5, 5}); /* beyond n: ignored */
    assert_int_equal(pdx_current_result(c, J, se, &chi2), 1);
    /* y1 y0^T - y0 y1^T: [0 -1; 1 0] */
    assert_double_close(J[1], -1.0, 0.0);
    assert_double_close(J[2], 1.0, 0.0);
    assert_true(isnan(se[1]));
    pdx_current_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d_committee_primal),
        cmocka_unit_test(test_d_perceptron_dual),
        cmocka_unit_test(test_iterated_spectrum),
        cmocka_unit_test(test_ou_noncommuting),
        cmocka_unit_test(test_ou_commuting),
        cmocka_unit_test(test_current_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
