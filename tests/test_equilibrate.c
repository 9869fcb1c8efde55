/* test_equilibrate.c — equilibrated Monte Carlo (issue 14 item 4): the
 * autocorrelation-time estimator on AR(1) series of known tau, the
 * verdict's failure modes, parallel tempering against the exactly
 * enumerated Boltzmann law at every temperature of its ladder, and the
 * version-space entry below and above capacity. Statistical tolerances
 * follow from the sample counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/observe.h"
#include "pdx/rng.h"
#include "pdx/train.h"
#include "pdx_test.h"

/* AR(1) x_{t+1} = phi x_t + sqrt(1 - phi^2) xi_t (stationary start):
 * rho(t) = phi^t, tau_int = (1 + phi) / (2 (1 - phi)). */
static double *ar1(double phi, size_t n, uint64_t seed)
{
    double *x = malloc(n * sizeof *x);
    double *xi = malloc(n * sizeof *xi);
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, seed, PDX_RNG_DYNAMICS, 1, 0);
    pdx_rng_gaussian(&s, 0, xi, n);
    x[0] = xi[0];
    for (size_t i = 1; i < n; i++)
        x[i] = phi * x[i - 1] + sqrt(1.0 - phi * phi) * xi[i];
    free(xi);
    return x;
}

static void test_autocorr_time_ar1(void **state)
{
    (void)state;
    const double phis[] = {0.0, 0.5, 0.8, 0.95};
    const size_t n = 200000;
    for (size_t k = 0; k < 4; k++) {
        double phi = phis[k], want = (1.0 + phi) / (2.0 * (1.0 - phi));
        double *x = ar1(phi, n, 11 + k);
        size_t window;
        double tau = pdx_autocorr_time(x, n, &window);
        /* Sokal: var(tau) ~ 2 (2M + 1) tau^2 / n; 5 sd, plus the
         * window's bias phi^(M+1)/(1-phi) */
        double sd = sqrt(2.0 * (2.0 * (double)window + 1.0) / (double)n) * want;
        printf("# phi %.2f: tau %.4f (exact %.4f, sd %.4f), window %zu\n",
               phi, tau, want, sd, window);
        assert_true(window > 0 && (double)window >= 5.0 * tau);
        assert_double_near(tau, want, 5.0 * sd + 0.02 * want);
        /* a stationary series shows no drift */
        assert_true(pdx_drift_z(x, n, tau) < PDX_EQ_DRIFT_Z_MAX);
        free(x);
    }
}

static void test_autocorr_time_edge_cases(void **state)
{
    (void)state;
    double c[200];
    for (size_t i = 0; i < 200; i++)
        c[i] = 0.25;
    size_t window = 7;
    assert_true(isnan(pdx_autocorr_time(c, 200, &window)));
    assert_int_equal(window, 0);
    assert_true(isnan(pdx_autocorr_time(c, 1, NULL)));
    /* a series far slower than its length: the estimate may find a
     * window (the sample mean hides the slow mode), so the verdict also
     * needs n_eff and the drift test to refuse it */
    double *x = ar1(0.9995, 2000, 5), *y = ar1(0.9995, 2000, 6);
    pdx_equilibration q;
    pdx_equilibration_assess(x, y, 2000, 0, &q);
    printf("# slow: tau %.1f %.1f, n_eff %.1f, drift %.2f\n", q.tau_energy,
           q.tau_eg, q.n_eff, q.drift_z);
    assert_false(q.equilibrated);
    free(x);
    free(y);
}

/* Fast noise over a slow mode of small amplitude (a = 0.3, phi = 0.999):
 * rho(t) = a^2 phi^t / (1 + a^2), tau = 0.5 + a^2/(1 + a^2) phi/(1 - phi)
 * = 83. Sokal's window closes at once (tau ~ 0.6); batch means see the
 * slow mode, and the verdict takes the larger. */
static void test_batch_means_sees_slow_mode(void **state)
{
    (void)state;
    const size_t n = 40000;
    double *slow = ar1(0.999, n, 31), *fast = ar1(0.0, n, 32);
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.3 * slow[i] + fast[i];
    const double want = 0.5 + 0.09 / 1.09 * 0.999 / 0.001;
    double sokal = pdx_autocorr_time(x, n, NULL);
    double bm = pdx_batch_means_time(x, n);
    pdx_equilibration q;
    pdx_equilibration_assess(x, fast, n, 0, &q);
    printf("# slow mode: Sokal %.2f, batch means %.1f, exact %.1f; verdict "
           "tau %.1f\n", sokal, bm, want, q.tau_energy);
    assert_true(sokal < 5.0);
    assert_true(bm > 0.4 * want && bm < 2.0 * want);
    assert_true(q.tau_energy == bm);
    /* AR(1): batch means agree with the exact tau within its noise */
    double *y = ar1(0.8, 200000, 33);
    double bm1 = pdx_batch_means_time(y, 200000);
    assert_true(bm1 > 4.5 * 0.4 && bm1 < 4.5 * 1.8);
    free(y);
    free(x);
    free(slow);
    free(fast);
}

/* The verdict: what it must refuse. */
static void test_equilibration_verdict(void **state)
{
    (void)state;
    const size_t n = 20000;
    double *e = ar1(0.5, n, 21), *g = ar1(0.5, n, 22);
    pdx_equilibration q;
    pdx_equilibration_assess(e, g, n, 0, &q);
    assert_true(q.equilibrated);
    assert_double_near(q.n_eff, (double)n / (2.0 * fmax(q.tau_energy, q.tau_eg)),
                       1e-9);
    /* the standard error of the mean: sqrt(2 tau var / n), var = 1 and
     * tau = 1.5 for phi = 0.5 */
    assert_double_near(q.sem_energy, sqrt(3.0 / (double)n),
                       0.1 * sqrt(3.0 / (double)n));
    /* too few samples */
    pdx_equilibration_assess(e, g, 50, 0, &q);
    assert_false(q.equilibrated);
    /* a drift: the series relaxes from 3 sd above its mean */
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = e[i] + 3.0 * exp(-(double)i / 3000.0);
    pdx_equilibration_assess(d, g, n, 0, &q);
    assert_false(q.equilibrated);
    assert_true(pdx_drift_z(d, n, 1.5) > PDX_EQ_DRIFT_Z_MAX);
    /* frozen: both constant */
    double *c = calloc(n, sizeof *c);
    pdx_equilibration_assess(c, c, n, 0, &q);
    assert_false(q.equilibrated);
    /* T = 0: the energy must stay 0 (version space); eg may move */
    pdx_equilibration_assess(c, g, n, 1, &q);
    assert_true(q.equilibrated);
    assert_true(isnan(q.tau_energy));
    for (size_t i = 0; i < n; i++)
        c[i] = 0.01;
    pdx_equilibration_assess(c, g, n, 1, &q);
    assert_false(q.equilibrated);
    /* a non-finite sample (a NaN eg, an overflowed energy) is no constant
     * series: the task is not marked, whatever the other series says */
    memcpy(d, g, n * sizeof *d);
    d[n / 3] = NAN;
    pdx_equilibration_assess(e, d, n, 0, &q);
    assert_false(q.equilibrated);
    assert_true(isnan(q.sem_eg));
    d[n / 3] = INFINITY;
    pdx_equilibration_assess(d, e, n, 0, &q);
    assert_false(q.equilibrated);
    free(c);
    free(d);
    free(e);
    free(g);
}

/* A spec's grid (kept alive: a cell's ladder points into the spec). */
typedef struct sweep_of {
    pdx_spec *spec;
    pdx_grid *grid;
} sweep_of;

static sweep_of parse(const char *text)
{
    sweep_of s = {NULL, NULL};
    pdx_error err;
    if (pdx_spec_parse_string(&s.spec, text, strlen(text), "eq.yaml", &err) !=
        PDX_OK)
        fail_msg("spec: %s", err.message);
    assert_int_equal(pdx_grid_create(&s.grid, s.spec, NULL), PDX_OK);
    return s;
}

static void release(sweep_of *s)
{
    pdx_grid_destroy(&s->grid);
    pdx_spec_destroy(&s->spec);
}

static pdx_trainer *trainer_at(const sweep_of *s, uint64_t cell,
                               pdx_params *p)
{
    pdx_grid_cell_params(s->grid, cell, p);
    pdx_trainer *t = NULL;
    assert_int_equal(pdx_trainer_create_finite(
                         &t, (size_t)p->N, 1, 1, 0,
                         (size_t)pdx_params_train_size(p), NULL),
                     PDX_OK);
    pdx_error err;
    if (pdx_trainer_set_cell(t, p, 2385, pdx_grid_cell_key(p), 0, &err) !=
        PDX_OK)
        fail_msg("set: %s", err.message);
    return t;
}

/* Parallel tempering on binary weights, N = 8 (256 states), a ladder of
 * three temperatures: each cell's samples against exp(-E/T)/Z by
 * chi-square (p = 1e-4), and the exchanges actually happen. */
static void test_tempering_boltzmann(void **state)
{
    (void)state;
    sweep_of s = parse("N: 8\nteacher: {kind: perceptron, weights: binary}\n"
                       "student: {kind: perceptron, weights: binary}\n"
                       "data: {alpha: 1.5, label_noise: 0.3}\n"
                       "train: {algorithm: metropolis, temperature: [0.25, "
                       "0.6, 1.5], parallel_tempering: true, epochs: 120000}\n"
                       "record: {times: [1]}\n");
    for (uint64_t cell = 0; cell < 3; cell++) {
        pdx_params p;
        pdx_trainer *t = trainer_at(&s, cell, &p);
        const double T = p.train_temperature;
        const pdx_dataset *d = pdx_trainer_dataset(t);
        const size_t N = 8, P = d->P;
        double expected[256], Z = 0, counts[256] = {0};
        for (size_t st = 0; st < 256; st++) {
            double w[8];
            for (size_t i = 0; i < N; i++)
                w[i] = (st >> i) & 1 ? 1.0 : -1.0;
            int E = 0;
            for (size_t mu = 0; mu < P; mu++)
                E += (pdx_model_dot(w, d->x + mu * N, N) >= 0.0) !=
                     (d->y[mu] > 0.0);
            expected[st] = exp(-E / T);
            Z += expected[st];
        }
        int64_t samples = 0;
        for (int64_t k = 2; k <= 120000; k += 2) {
            assert_int_equal(pdx_trainer_iterate(t, k * (int64_t)N), 0);
            size_t st = 0;
            for (size_t i = 0; i < N; i++)
                st |= (size_t)(pdx_trainer_student(t)->w[i] > 0) << i;
            counts[st]++;
            samples++;
        }
        double chi2 = 0, pooled_obs = 0, pooled_exp = 0;
        int bins = 0;
        for (size_t st = 0; st < 256; st++) {
            double e = (double)samples * expected[st] / Z;
            if (e < 5) {
                pooled_obs += counts[st];
                pooled_exp += e;
                continue;
            }
            chi2 += (counts[st] - e) * (counts[st] - e) / e;
            bins++;
        }
        if (pooled_exp >= 5) {
            chi2 += (pooled_obs - pooled_exp) * (pooled_obs - pooled_exp) /
                    pooled_exp;
            bins++;
        }
        /* successive samples 2 sweeps apart are nearly independent at
         * these temperatures; the critical value allows some correlation */
        double df = bins - 1, critical = df + 3.72 * sqrt(2 * df) + 8;
        double rate = pdx_trainer_swap_rate(t);
        printf("# T = %g: chi2 = %.1f, %d bins (critical %.1f), swap rate "
               "%.3f\n",
               T, chi2, bins, critical, rate);
        if (!(chi2 < critical))
            fail_msg("T = %g: chi2 = %g >= %g: tempering does not sample "
                     "exp(-E/T)",
                     T, chi2, critical);
        if (cell < 2)
            assert_true(rate > 0.05 && rate < 1.0);
        else
            assert_true(isnan(rate)); /* the top of the ladder */
        pdx_trainer_destroy(&t);
    }
    release(&s);
}

/* The cells of one ladder share its trajectory: the configuration a task
 * records at its temperature is the one the ladder holds there, whichever
 * cell computes it; a cut of the run changes nothing. */
static void test_tempering_cut_independent(void **state)
{
    (void)state;
    sweep_of s = parse("N: 30\nteacher: {kind: perceptron, weights: binary}\n"
                       "student: {kind: perceptron, weights: spherical}\n"
                       "data: {alpha: 2}\n"
                       "train: {algorithm: metropolis, temperature: [0.1, "
                       "0.3, 1], parallel_tempering: true, epochs: 300}\n"
                       "record: {times: [1]}\n");
    pdx_params p;
    pdx_trainer *a = trainer_at(&s, 1, &p);
    pdx_trainer *b = trainer_at(&s, 1, &p);
    assert_int_equal(pdx_trainer_iterate(a, 300 * 30), 0);
    for (int64_t step = 7; step < 300 * 30; step += 7 * 30 + 13)
        assert_int_equal(pdx_trainer_iterate(b, step), 0);
    assert_int_equal(pdx_trainer_iterate(b, 300 * 30), 0);
    assert_memory_equal(pdx_trainer_student(a)->w, pdx_trainer_student(b)->w,
                        30 * sizeof(double));
    assert_true(pdx_trainer_swap_rate(a) == pdx_trainer_swap_rate(b));
    pdx_trainer_destroy(&a);
    pdx_trainer_destroy(&b);
    release(&s);
}

/* The entry reaches the version space below capacity (and Metropolis at
 * T = 0 then walks inside it); with random labels above capacity there is
 * none, and the entry says so. */
static void test_entry_version_space(void **state)
{
    (void)state;
    sweep_of s = parse("N: 100\nteacher: {kind: perceptron, weights: binary}\n"
                       "student: {kind: perceptron, weights: spherical}\n"
                       "data: {alpha: [1.0, 5.0]}\n"
                       "train: {algorithm: metropolis, temperature: 0, "
                       "entry: perceptron, epochs: 200}\n"
                       "record: {times: [1]}\n");
    for (uint64_t cell = 0; cell < 2; cell++) {
        pdx_params p;
        pdx_trainer *t = trainer_at(&s, cell, &p);
        double epochs = pdx_trainer_entry_epochs(t);
        printf("# alpha %g: entry after %g epochs\n", p.data_alpha, epochs);
        assert_true(epochs >= 1.0 && epochs < 10000.0);
        assert_true(pdx_trainer_train_error(t, 0, NULL) == 0.0);
        double w0[100];
        memcpy(w0, pdx_trainer_student(t)->w, sizeof w0);
        assert_int_equal(pdx_trainer_iterate(t, 200 * 100), 0);
        assert_true(pdx_trainer_train_error(t, 0, NULL) == 0.0);
        double overlap = pdx_model_dot(w0, pdx_trainer_student(t)->w, 100);
        assert_true(overlap < 0.999 * 100.0); /* it moved */
        assert_true(pdx_trainer_accept_rate(t) > 0.0);
        pdx_trainer_destroy(&t);
    }
    release(&s);
    /* random labels (F = 1: flip probability 1/2) at alpha = 3 > 2 */
    s = parse("N: 40\nteacher: {kind: perceptron, weights: binary}\n"
              "student: {kind: perceptron, weights: spherical}\n"
              "data: {alpha: 3, label_noise: 1}\n"
              "train: {algorithm: metropolis, temperature: 0, "
              "entry: perceptron, epochs: 10}\n"
              "record: {times: [1]}\n");
    pdx_params p;
    pdx_trainer *t = trainer_at(&s, 0, &p);
    assert_true(isnan(pdx_trainer_entry_epochs(t)));
    assert_true(pdx_trainer_train_error(t, 0, NULL) > 0.0);
    pdx_trainer_destroy(&t);
    release(&s);
}

/* Without the entry a hot start at T = 0 stays outside the version space
 * (the failure the entry repairs). */
static void test_entry_needed(void **state)
{
    (void)state;
    sweep_of s = parse("N: 100\nteacher: {kind: perceptron, weights: binary}\n"
                       "student: {kind: perceptron, weights: spherical}\n"
                       "data: {alpha: 5.0}\n"
                       "train: {algorithm: metropolis, temperature: 0, "
                       "epochs: 200}\n"
                       "record: {times: [1]}\n");
    pdx_params p;
    pdx_trainer *t = trainer_at(&s, 0, &p);
    assert_int_equal(pdx_trainer_iterate(t, 200 * 100), 0);
    assert_true(pdx_trainer_train_error(t, 0, NULL) > 0.0);
    assert_true(isnan(pdx_trainer_entry_epochs(t)));
    pdx_trainer_destroy(&t);
    release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autocorr_time_ar1),
        cmocka_unit_test(test_autocorr_time_edge_cases),
        cmocka_unit_test(test_equilibration_verdict),
        cmocka_unit_test(test_batch_means_sees_slow_mode),
        cmocka_unit_test(test_tempering_boltzmann),
        cmocka_unit_test(test_tempering_cut_independent),
        cmocka_unit_test(test_entry_version_space),
        cmocka_unit_test(test_entry_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
