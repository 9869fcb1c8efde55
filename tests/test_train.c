/* test_train.c — finite-set trainers against exact results: gradient
 * descent reaches the least-squares / pseudo-inverse solution, Metropolis
 * samples the Boltzmann distribution of a system small enough to
 * enumerate, infinite temperature gives eg = 1/2, Langevin's stationary
 * law, the Hebb rule's order parameters, perceptron convergence, and
 * determinism of the per-cell streams. Statistical tolerances follow from
 * the sample counts (5 standard deviations, or chi-square at p = 1e-4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/observe.h"
#include "pdx/train.h"
#include "pdx_test.h"
#define params_of(text) pdx_test_params_of((text), "train.yaml")
/* white-box: the trainer table's rows and the Metropolis energy */
#include "../src/train/train_internal.h"

int64_t pdx__metropolis_energy(const pdx_trainer *t);

static pdx_trainer *trainer_of(const pdx_params *p, uint64_t cell_key,
                               uint64_t replica)
{
    pdx_trainer *t = NULL;
    size_t P = (size_t)pdx_params_train_size(p);
    assert_int_equal(pdx_trainer_create_finite(&t, (size_t)p->N, 8, 4, 2000,
                                               P, NULL),
                     PDX_OK);
    pdx_error err;
    if (pdx_trainer_set_cell(t, p, 2385, cell_key, replica, &err) != PDX_OK)
        fail_msg("set: %s", err.message);
    return t;
}

/* Solve the n x n system A z = b in place (Gaussian elimination with
 * partial pivoting); A row-major. */
static void solve(double *A, double *b, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < n; r++)
            if (fabs(A[r * n + c]) > fabs(A[piv * n + c]))
                piv = r;
        for (size_t k = 0; k < n; k++) {
            double tmp = A[c * n + k];
            A[c * n + k] = A[piv * n + k];
            A[piv * n + k] = tmp;
        }
        double tb = b[c];
        b[c] = b[piv];
        b[piv] = tb;
        for (size_t r = c + 1; r < n; r++) {
            double f = A[r * n + c] / A[c * n + c];
            for (size_t k = c; k < n; k++)
                A[r * n + k] -= f * A[c * n + k];
            b[r] -= f * b[c];
        }
    }
    for (size_t c = n; c-- > 0;) {
        for (size_t k = c + 1; k < n; k++)
            b[c] -= A[c * n + k] * b[k];
        b[c] /= A[c * n + c];
    }
}

/* Gradient descent on a linear student, squared loss, from w = 0:
 * alpha > 1 -> the least-squares solution sqrt(N) (X'X)^-1 X'y; alpha < 1
 * -> the minimum-norm interpolant sqrt(N) X'(XX')^-1 y (pseudo-inverse). */
static void check_gd_solution(const char *spec, int overdetermined)
{
    pdx_params p = params_of(spec);
    pdx_trainer *t = trainer_of(&p, 0, 0);
    const size_t N = (size_t)p.N, P = pdx_trainer_dataset(t)->P;
    const double *X = pdx_trainer_dataset(t)->x,
                 *y = pdx_trainer_dataset(t)->y;
    assert_int_equal(pdx_trainer_iterate(t, pdx_trainer_total_steps(t)), 0);
    size_t n = overdetermined ? N : P;
    double *A = calloc(n * n, sizeof *A), *b = calloc(n, sizeof *b);
    double *w = calloc(N, sizeof *w);
    if (overdetermined) {
        for (size_t i = 0; i < N; i++) {
            for (size_t j = 0; j < N; j++)
                for (size_t mu = 0; mu < P; mu++)
                    A[i * N + j] += X[mu * N + i] * X[mu * N + j];
            for (size_t mu = 0; mu < P; mu++)
                b[i] += X[mu * N + i] * y[mu];
        }
        solve(A, b, N);
        for (size_t i = 0; i < N; i++)
            w[i] = sqrt((double)N) * b[i];
    } else {
        for (size_t mu = 0; mu < P; mu++) {
            for (size_t nu = 0; nu < P; nu++)
                A[mu * P + nu] = pdx_model_dot(X + mu * N, X + nu * N, N);
            b[mu] = y[mu];
        }
        solve(A, b, P);
        for (size_t i = 0; i < N; i++)
            for (size_t mu = 0; mu < P; mu++)
                w[i] += sqrt((double)N) * X[mu * N + i] * b[mu];
    }
    for (size_t i = 0; i < N; i++)
        assert_double_near(pdx_trainer_student(t)->w[i], w[i], 1e-7);
    free(A);
    free(b);
    free(w);
    pdx_trainer_destroy(&t);
}

static void test_train_gd_least_squares(void **state)
{
    (void)state;
    check_gd_solution("N: 8\nteacher: {hidden: 1, activation: linear, "
                      "output_noise: 0.5}\n"
                      "student: {hidden: 1, activation: linear, "
                      "init_scale: 0}\n"
                      "data: {alpha: 2.5}\n"
                      "train: {algorithm: gd, learning_rate: 0.9, "
                      "epochs: 4000}\n",
                      1);
}

static void test_train_gd_pseudo_inverse(void **state)
{
    (void)state;
    check_gd_solution("N: 12\nteacher: {hidden: 1, activation: linear}\n"
                      "student: {hidden: 1, activation: linear, "
                      "init_scale: 0}\n"
                      "data: {alpha: 0.5}\n"
                      "train: {algorithm: gd, learning_rate: 1.5, "
                      "epochs: 4000}\n",
                      0);
}

/* Metropolis on binary weights with N = 8 (256 states) samples
 * exp(-E/T)/Z: chi-square of the state histogram (thinned to every 4th
 * sweep) against the enumerated distribution. */
static void check_boltzmann(double temperature)
{
    char spec[512];
    snprintf(spec, sizeof spec,
             "N: 8\nteacher: {kind: perceptron, weights: binary}\n"
             "student: {kind: perceptron, weights: binary}\n"
             "data: {alpha: 1.5, label_noise: 0.3}\n"
             "train: {algorithm: metropolis, temperature: %.17g, "
             "epochs: 400000}\n",
             temperature);
    pdx_params p = params_of(spec);
    pdx_trainer *t = trainer_of(&p, 77, 0);
    const size_t N = 8, P = pdx_trainer_dataset(t)->P, states = 256;
    double expected[256], Z = 0;
    for (size_t s = 0; s < states; s++) {
        double w[8];
        for (size_t i = 0; i < N; i++)
            w[i] = (s >> i) & 1 ? 1.0 : -1.0;
        int E = 0;
        for (size_t mu = 0; mu < P; mu++) {
            double h = pdx_model_dot(w, pdx_trainer_dataset(t)->x + mu * N, N);
            E += (h >= 0.0) != (pdx_trainer_dataset(t)->y[mu] > 0.0);
        }
        expected[s] = exp(-E / temperature);
        Z += expected[s];
    }
    double counts[256] = {0};
    const int64_t sweeps = 400000, thin = 4;
    int64_t samples = 0;
    for (int64_t k = thin; k <= sweeps; k += thin) {
        assert_int_equal(pdx_trainer_iterate(t, k * (int64_t)N), 0);
        size_t s = 0;
        for (size_t i = 0; i < N; i++)
            s |= (size_t)(pdx_trainer_student(t)->w[i] > 0) << i;
        counts[s]++;
        samples++;
    }
    double chi2 = 0;
    int bins = 0;
    double pooled_obs = 0, pooled_exp = 0;
    for (size_t s = 0; s < states; s++) {
        double e = samples * expected[s] / Z;
        if (e < 5) { /* pool rare states */
            pooled_obs += counts[s];
            pooled_exp += e;
            continue;
        }
        chi2 += (counts[s] - e) * (counts[s] - e) / e;
        bins++;
    }
    if (pooled_exp >= 5) {
        chi2 += (pooled_obs - pooled_exp) * (pooled_obs - pooled_exp) /
                pooled_exp;
        bins++;
    }
    /* df = bins - 1; p = 1e-4 critical value ~ df + 3.72 sqrt(2 df) + 8 */
    double df = bins - 1;
    double critical = df + 3.72 * sqrt(2 * df) + 8;
    printf("# T = %g: chi2 = %.1f with %d bins (critical %.1f)\n",
           temperature, chi2, bins, critical);
    if (!(chi2 < critical))
        fail_msg("chi2 = %g >= %g (df %g): Metropolis does not sample "
                 "exp(-E/T)",
                 chi2, critical, df);
    pdx_trainer_destroy(&t);
}

static void test_train_metropolis_boltzmann(void **state)
{
    (void)state;
    check_boltzmann(0.8);
    check_boltzmann(2.5);
}

/* The chi-square test must fail for a wrong distribution: the samples at
 * T = 0.8 against the Boltzmann law of T = 1.6. */
static void test_train_metropolis_boltzmann_detects_wrong_t(void **state)
{
    (void)state;
    pdx_params p = params_of(
        "N: 8\nteacher: {kind: perceptron, weights: binary}\n"
        "student: {kind: perceptron, weights: binary}\n"
        "data: {alpha: 1.5, label_noise: 0.3}\n"
        "train: {algorithm: metropolis, temperature: 0.8, epochs: 40000}\n");
    pdx_trainer *t = trainer_of(&p, 77, 0);
    const size_t N = 8, P = pdx_trainer_dataset(t)->P;
    double expected[256], Z = 0, counts[256] = {0};
    for (size_t s = 0; s < 256; s++) {
        double w[8];
        for (size_t i = 0; i < N; i++)
            w[i] = (s >> i) & 1 ? 1.0 : -1.0;
        int E = 0;
        for (size_t mu = 0; mu < P; mu++)
            E += (pdx_model_dot(w, pdx_trainer_dataset(t)->x + mu * N, N) >=
                  0.0) != (pdx_trainer_dataset(t)->y[mu] > 0.0);
        expected[s] = exp(-E / 1.6);
        Z += expected[s];
    }
    int64_t samples = 0;
    for (int64_t k = 4; k <= 40000; k += 4) {
        pdx_trainer_iterate(t, k * (int64_t)N);
        size_t s = 0;
        for (size_t i = 0; i < N; i++)
            s |= (size_t)(pdx_trainer_student(t)->w[i] > 0) << i;
        counts[s]++;
        samples++;
    }
    double chi2 = 0;
    int bins = 0;
    for (size_t s = 0; s < 256; s++) {
        double e = samples * expected[s] / Z;
        if (e >= 5) {
            chi2 += (counts[s] - e) * (counts[s] - e) / e;
            bins++;
        }
    }
    double df = bins - 1;
    assert_true(chi2 > df + 3.72 * sqrt(2 * df) + 8);
    pdx_trainer_destroy(&t);
}

/* At very high temperature every move is accepted: the student is a
 * random binary vector, eg = arccos(R)/pi ~ 1/2 with R ~ N(0, 1/N). */
static void test_train_metropolis_high_t(void **state)
{
    (void)state;
    pdx_params p = params_of(
        "N: 200\nteacher: {kind: perceptron, weights: binary}\n"
        "student: {kind: perceptron, weights: [binary, spherical]}\n"
        "data: {alpha: 1}\n"
        "train: {algorithm: metropolis, temperature: 1.0e6, epochs: 200,"
        " start: cold}\n");
    for (int spherical = 0; spherical < 2; spherical++) {
        p.student_weights =
            spherical ? PDX_WEIGHTS_SPHERICAL : PDX_WEIGHTS_BINARY;
        pdx_trainer *t = trainer_of(&p, 5, 1);
        double sum = 0;
        int n = 0;
        for (int64_t k = 100; k <= 200; k++) { /* after 100 sweeps */
            pdx_trainer_iterate(t, k * 200);
            double R = pdx_model_dot(pdx_trainer_student(t)->w,
                                     pdx_trainer_teacher(t)->w, 200) /
                       200;
            double Q = pdx_model_dot(pdx_trainer_student(t)->w,
                                     pdx_trainer_student(t)->w, 200) /
                       200;
            assert_double_near(Q, 1.0, 1e-9);
            sum += pdx_observe_eg_perceptron(Q, R, 1.0);
            n++;
        }
        /* per sample sd 1/(pi sqrt N) ~ 0.0225; the mean of 101 nearly
         * independent samples: 5 sd = 0.0112 (spherical moves mix more
         * slowly: allow 3x) */
        assert_double_near(sum / n, 0.5, spherical ? 0.034 : 0.0112);
        assert_true(pdx_trainer_accept_rate(t) > 0.99);
        pdx_trainer_destroy(&t);
    }
}

/* Metropolis keeps the energy and |w|^2 consistent with the weights, and
 * at low temperature it learns: over 8 replicas at N = 60, alpha = 2,
 * T = 0.3 (64 replicas: mean eg 0.36, sd 0.045 per replica; theory at
 * N -> infinity 0.258) the mean eg is far below the 1/2 of no learning. */
static void test_train_metropolis_energy_consistent(void **state)
{
    (void)state;
    pdx_params p = params_of(
        "N: 60\nteacher: {kind: perceptron}\n"
        "student: {kind: perceptron, weights: spherical}\n"
        "data: {alpha: 2}\n"
        "train: {algorithm: metropolis, temperature: 0.3, epochs: 50}\n");
    double eg_sum = 0;
    enum { REPLICAS = 8 };
    for (uint64_t replica = 0; replica < REPLICAS; replica++) {
        pdx_trainer *t = trainer_of(&p, 9, replica);
        pdx_trainer_iterate(t, pdx_trainer_total_steps(t));
        double err = pdx_trainer_train_error(t, 0, NULL);
        assert_double_near(err * (double)pdx_trainer_dataset(t)->P,
                           (double)pdx__metropolis_energy(t), 1e-9);
        double Q = pdx_model_dot(pdx_trainer_student(t)->w,
                                 pdx_trainer_student(t)->w, 60) /
                   60;
        assert_double_near(Q, 1.0, 1e-9);
        double R = pdx_model_dot(pdx_trainer_student(t)->w,
                                 pdx_trainer_teacher(t)->w, 60) /
                   60;
        double T = pdx_model_dot(pdx_trainer_teacher(t)->w,
                                 pdx_trainer_teacher(t)->w, 60) /
                   60;
        eg_sum += pdx_observe_eg_perceptron(Q, R, T);
        pdx_trainer_destroy(&t);
    }
    /* sd of the mean about 0.016: 0.42 is 4 sd above 0.36, 5 below 0.5 */
    assert_true(eg_sum / REPLICAS < 0.42);
}

/* Langevin on a linear student with squared loss and weight decay:
 * stationary law exp(-(L + lambda |w|^2/2)/T), a Gaussian of mean
 * H^-1 b and covariance T H^-1, H = X'X/(P N) + lambda. Checked: the mean
 * of |w - w*|^2 against T tr(H^-1) (to O(eta) discretisation). */
static void test_train_langevin_stationary(void **state)
{
    (void)state;
    pdx_params p = params_of(
        "N: 4\nteacher: {hidden: 1, activation: linear}\n"
        "student: {hidden: 1, activation: linear, init_scale: 0}\n"
        "data: {alpha: 5}\n"
        "train: {algorithm: langevin, learning_rate: 0.02, "
        "temperature: 0.05, weight_decay: 0.5, epochs: 200000}\n");
    pdx_trainer *t = trainer_of(&p, 3, 0);
    const size_t N = 4, P = pdx_trainer_dataset(t)->P;
    const double *X = pdx_trainer_dataset(t)->x,
                 *y = pdx_trainer_dataset(t)->y;
    double H[16] = {0}, b[4] = {0}, Hinv_trace = 0;
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < N; j++) {
            for (size_t mu = 0; mu < P; mu++)
                H[i * N + j] += X[mu * N + i] * X[mu * N + j];
            H[i * N + j] /= (double)(P * N);
        }
        H[i * N + i] += 0.5;
        for (size_t mu = 0; mu < P; mu++)
            b[i] += X[mu * N + i] * y[mu] / ((double)P * sqrt((double)N));
    }
    double Hc[16], wstar[4];
    memcpy(Hc, H, sizeof H);
    memcpy(wstar, b, sizeof b);
    solve(Hc, wstar, N);
    for (size_t i = 0; i < N; i++) {
        double e[4] = {0};
        e[i] = 1;
        memcpy(Hc, H, sizeof H);
        solve(Hc, e, N);
        Hinv_trace += e[i];
    }
    double sum = 0;
    int64_t n = 0;
    for (int64_t s = 1000; s <= 200000; s += 10) {
        pdx_trainer_iterate(t, s);
        double d2 = 0;
        for (size_t i = 0; i < N; i++)
            d2 += (pdx_trainer_student(t)->w[i] - wstar[i]) *
                  (pdx_trainer_student(t)->w[i] - wstar[i]);
        sum += d2;
        n++;
    }
    double expected = 0.05 * Hinv_trace;
    printf("# langevin <|w-w*|^2> = %.5f, T tr(H^-1) = %.5f\n", sum / n,
           expected);
    assert_double_close(sum / n, expected, 0.1);
    pdx_trainer_destroy(&t);
}

/* The Hebb rule w = sum y x / sqrt N: R = alpha sqrt(2 T/pi), Q = alpha +
 * alpha^2 (2/pi) (T ~ 1) up to O(1/sqrt N). */
static void test_train_hebb_order_parameters(void **state)
{
    (void)state;
    pdx_params p = params_of(
        "N: 400\nteacher: {kind: perceptron, weights: binary}\n"
        "student: {kind: perceptron}\n"
        "data: {alpha: 2}\n"
        "train: {algorithm: hebb, epochs: 3}\n");
    pdx_trainer *t = trainer_of(&p, 0, 0);
    assert_int_equal(pdx_trainer_total_steps(t), 800); /* one pass */
    pdx_trainer_iterate(t, pdx_trainer_total_steps(t));
    double R = pdx_model_dot(pdx_trainer_student(t)->w,
                             pdx_trainer_teacher(t)->w, 400) /
               400;
    double Q = pdx_model_dot(pdx_trainer_student(t)->w,
                             pdx_trainer_student(t)->w, 400) /
               400;
    double a = 2.0;
    assert_double_near(R, a * sqrt(2 / M_PI), 5 * sqrt(a / 400.0));
    assert_double_near(Q, a + a * a * 2 / M_PI, 0.15 * (a + a * a * 2 / M_PI));
    /* clipped Hebb: binary student is sign(J) */
    p.student_weights = PDX_WEIGHTS_BINARY;
    pdx_trainer *c = trainer_of(&p, 0, 0);
    pdx_trainer_iterate(c, pdx_trainer_total_steps(c));
    for (size_t i = 0; i < 400; i++)
        assert_true(pdx_trainer_student(c)->w[i] ==
                    (pdx_trainer_student(t)->w[i] >= 0 ? 1.0 : -1.0));
    pdx_trainer_destroy(&t);
    pdx_trainer_destroy(&c);
}

/* The perceptron rule fits separable data (convergence theorem); the
 * time to fit is recorded; with random labels the clean training error
 * of a student that fits is ~1/2. */
static void test_train_perceptron_fits(void **state)
{
    (void)state;
    pdx_params p = params_of(
        "N: 50\nteacher: {kind: perceptron}\nstudent: {kind: perceptron}\n"
        "data: {alpha: 1.2}\n"
        "train: {algorithm: perceptron, epochs: 500}\n");
    pdx_trainer *t = trainer_of(&p, 4, 0);
    pdx_trainer_iterate(t, pdx_trainer_total_steps(t));
    assert_true(isfinite(pdx_trainer_time_to_fit(t)));
    assert_double_near(pdx_trainer_train_error(t, 0, NULL), 0.0, 0.0);
    pdx_trainer_destroy(&t);
}

/* Minibatch SGD: the same (seed, cell, replica) gives the same weights;
 * another cell key another order; temperature sets the learning rate. */
static void test_train_sgd_streams(void **state)
{
    (void)state;
    pdx_params p = params_of(
        "N: 30\nteacher: {kind: perceptron}\n"
        "student: {kind: twolayer, hidden: 3, init_scale: 1}\n"
        "data: {alpha: 3, label_noise: 0.2}\n"
        "train: {algorithm: sgd, batch: 7, temperature: 0.02, epochs: 6,"
        " loss: logistic, weight_decay: 0.01}\nrecord: {test_size: 500}\n");
    assert_double_close(p.train_learning_rate, 0.14, 1e-15);
    assert_int_equal(pdx_params_steps_per_time(&p), 13); /* ceil(90/7) */
    pdx_trainer *a = trainer_of(&p, 11, 0);
    double before = pdx_trainer_train_error(a, 1, NULL);
    pdx_trainer *b = trainer_of(&p, 11, 0);
    pdx_trainer *c = trainer_of(&p, 12, 0);
    assert_int_equal(pdx_trainer_total_steps(a), 78);
    pdx_trainer_iterate(a, 40);
    pdx_trainer_iterate(a, 78);
    pdx_trainer_iterate(b, 78);
    pdx_trainer_iterate(c, 78);
    assert_memory_equal(pdx_trainer_student(a)->w, pdx_trainer_student(b)->w,
                        90 * sizeof(double));
    assert_memory_equal(pdx_trainer_student(a)->v, pdx_trainer_student(b)->v,
                        3 * sizeof(double));
    assert_true(memcmp(pdx_trainer_student(a)->w, pdx_trainer_student(c)->w,
                       90 * sizeof(double)) != 0);
    /* it learns: the clean training error falls */
    double after = pdx_trainer_train_error(a, 1, NULL);
    printf("# sgd: clean training error %.3f -> %.3f\n", before, after);
    assert_true(after < before);
    pdx_trainer_destroy(&a);
    pdx_trainer_destroy(&b);
    pdx_trainer_destroy(&c);
}

/* The trainer table serves every train.algorithm choice of the spec with
 * exactly one row, under the spec's name, and nothing the spec lacks;
 * every row can iterate, and the object plus the row's state fits the
 * fixed part the memory estimate counts (872 bytes, src/train/trainer.c). */
static void test_train_table_serves_every_algorithm(void **state)
{
    (void)state;
    const pdx_key *keys = pdx_spec_keys(NULL);
    const char *const *choices = keys[PDX_K_TRAIN_ALGORITHM].choices;
    assert_non_null(choices);
    int n_choices = 0;
    for (; choices[n_choices] != NULL; n_choices++) {
        const char *name = NULL;
        const char *family = pdx_trainer_family(n_choices, &name);
        if (family == NULL)
            fail_msg("train.algorithm %s has no row in the trainer table",
                     choices[n_choices]);
        assert_string_equal(name, choices[n_choices]);
        /* one row for deep students, one for the others, at most */
        for (int deep = 0; deep <= 1; deep++) {
            int rows = 0;
            for (size_t r = 0; pdx__trainer_table[r] != NULL; r++)
                for (const pdx__trainer_algorithm *a =
                         pdx__trainer_table[r]->algorithms;
                     a->name != NULL; a++)
                    rows += a->algorithm == n_choices &&
                            pdx__trainer_table[r]->deep == deep;
            if (rows > 1)
                fail_msg("train.algorithm %s is served by %d rows for %s "
                         "students",
                         choices[n_choices], rows, deep ? "deep" : "other");
        }
    }
    assert_true(n_choices >= 8);
    /* deep students: sgd, gd and propagate */
    assert_non_null(pdx__trainer_type_of(PDX_ALG_SGD, 1, NULL));
    assert_non_null(pdx__trainer_type_of(PDX_ALG_GD, 1, NULL));
    assert_non_null(pdx__trainer_type_of(PDX_ALG_PROPAGATE, 1, NULL));
    for (size_t r = 0; pdx__trainer_table[r] != NULL; r++) {
        const pdx__trainer_type *row = pdx__trainer_table[r];
        assert_non_null(row->family);
        assert_non_null(row->iterate);
        assert_non_null(row->algorithms[0].name);
        /* the memory estimate counts the object and the row's state (its
         * fixed part: the estimate at N = K = M = 1 without a test set
         * less its 10 doubles) */
        double fixed = pdx_trainer_workspace_bytes(1, 1, 1, 0) - 80.0;
        if ((double)(sizeof(pdx_trainer) + row->state_bytes) > fixed ||
            fixed < 1152.0)
            fail_msg("row %s: object %zu + state %zu bytes > the %g bytes "
                     "`pdx plan` counts", row->family, sizeof(pdx_trainer),
                     row->state_bytes, fixed);
        for (const pdx__trainer_algorithm *a = row->algorithms; a->name; a++) {
            if (a->algorithm < 0 || a->algorithm >= n_choices ||
                strcmp(choices[a->algorithm], a->name) != 0)
                fail_msg("row %s serves %s (%d), not a choice of the spec",
                         row->family, a->name, a->algorithm);
        }
    }
    const char *name = "unchanged";
    assert_null(pdx_trainer_family(n_choices, &name));
    assert_null(name);
}

/* The workspaces of replicated training (y students and their fields)
 * and of parallel tempering (the ladder's configurations and fields) are
 * counted, and held, only where a sweep has such cells and for their
 * most replicas y and longest ladder L: a trainer for a sweep without
 * them (limits 0) is smaller by at least y (N + P) and L (5 N + P)
 * doubles than one with them, and one without limits (room for the
 * most) larger still. */
static void test_train_workspace_only_when_asked(void **state)
{
    (void)state;
    pdx_trainer_deep_limits none = {0}, rep = {0}, pt = {0};
    rep.replicas = 3;
    pt.ladder = 5;
    const size_t N = 200, P = 2000;
    double plain = pdx_trainer_workspace_bytes_deep(N, 1, 1, 0, P, &none);
    double r = pdx_trainer_workspace_bytes_deep(N, 1, 1, 0, P, &rep);
    double t = pdx_trainer_workspace_bytes_deep(N, 1, 1, 0, P, &pt);
    double most = pdx_trainer_workspace_bytes_finite(N, 1, 1, 0, P);
    assert_true(r - plain >= 8.0 * 3 * (N + P));
    assert_true(t - plain >= 8.0 * 5 * (5 * N + P));
    assert_true(most - t >= 8.0 * (PDX_LADDER_MAX - 5) * (5 * N + P));
}

/* One trainer running tasks of different families in turn (the family
 * block and the common finite workspace are reused) ends each task with
 * the bits of a fresh trainer: set prepares all the state a task reads. */
static void test_train_reuse_across_families(void **state)
{
    (void)state;
    pdx_params mc = params_of(
        "N: 24\nteacher: {kind: perceptron}\n"
        "student: {kind: perceptron, weights: spherical}\n"
        "data: {alpha: 2.3, label_noise: 0.15}\n"
        "train: {algorithm: metropolis, temperature: 0.45, epochs: 7}\n");
    pdx_params sgd = params_of(
        "N: 24\nteacher: {kind: perceptron}\n"
        "student: {kind: twolayer, hidden: 3, init_scale: 1}\n"
        "data: {alpha: 2.3, label_noise: 0.15}\n"
        "train: {algorithm: sgd, batch: 5, learning_rate: 0.3, epochs: 4}\n"
        "record: {test_size: 300}\n");
    pdx_params hebb = params_of(
        "N: 24\nteacher: {kind: perceptron}\n"
        "student: {kind: perceptron, weights: binary}\n"
        "data: {alpha: 2.3}\ntrain: {algorithm: hebb, epochs: 1}\n");
    const pdx_params *order[] = {&mc, &sgd, &hebb, &mc, &hebb, &sgd};
    pdx_trainer *shared = NULL;
    size_t P = (size_t)pdx_params_train_size(&mc);
    assert_int_equal(pdx_trainer_create_finite(&shared, 24, 8, 4, 2000, P,
                                               NULL),
                     PDX_OK);
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const pdx_params *p = order[i];
        pdx_trainer *fresh = trainer_of(p, 31, 2);
        assert_int_equal(pdx_trainer_set_cell(shared, p, 2385, 31, 2, NULL),
                         PDX_OK);
        pdx_trainer_iterate(fresh, pdx_trainer_total_steps(fresh));
        pdx_trainer_iterate(shared, pdx_trainer_total_steps(shared));
        const pdx_committee *a = pdx_trainer_student(fresh);
        const pdx_committee *b = pdx_trainer_student(shared);
        assert_int_equal(a->K, b->K);
        assert_memory_equal(a->w, b->w, a->K * a->N * sizeof(double));
        assert_memory_equal(a->v, b->v, a->K * sizeof(double));
        double ea = pdx_trainer_train_error(fresh, 0, NULL);
        double eb = pdx_trainer_train_error(shared, 0, NULL);
        assert_memory_equal(&ea, &eb, sizeof ea);
        double ra = pdx_trainer_accept_rate(fresh);
        double rb = pdx_trainer_accept_rate(shared);
        assert_memory_equal(&ra, &rb, sizeof ra);
        pdx_trainer_destroy(&fresh);
    }
    pdx_trainer_destroy(&shared);
}

/* A task whose algorithm no row serves is refused with PDX_ERR_USAGE. */
static void test_train_set_refuses_unknown_algorithm(void **state)
{
    (void)state;
    pdx_params p;
    pdx_params_default(&p);
    p.N = 23;
    pdx_params_resolve(&p, NULL);
    p.train_algorithm = 99;
    pdx_trainer *t = NULL;
    assert_int_equal(pdx_trainer_create(&t, 23, 2, 2, 0, NULL), PDX_OK);
    pdx_error err;
    assert_int_equal(pdx_trainer_set(t, &p, 1, 0, &err), PDX_ERR_USAGE);
    assert_non_null(strstr(err.message, "train.algorithm 99"));
    pdx_trainer_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_gd_least_squares),
        cmocka_unit_test(test_train_gd_pseudo_inverse),
        cmocka_unit_test(test_train_metropolis_boltzmann),
        cmocka_unit_test(test_train_metropolis_boltzmann_detects_wrong_t),
        cmocka_unit_test(test_train_metropolis_high_t),
        cmocka_unit_test(test_train_metropolis_energy_consistent),
        cmocka_unit_test(test_train_langevin_stationary),
        cmocka_unit_test(test_train_hebb_order_parameters),
        cmocka_unit_test(test_train_perceptron_fits),
        cmocka_unit_test(test_train_sgd_streams),
        cmocka_unit_test(test_train_table_serves_every_algorithm),
        cmocka_unit_test(test_train_set_refuses_unknown_algorithm),
        cmocka_unit_test(test_train_reuse_across_families),
        cmocka_unit_test(test_train_workspace_only_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
