/* test_entropy_sgd.c — the Entropy-SGD trainer (issue 16) against an
 * independent implementation of Chaudhari et al.'s Algorithm 1 (with
 * noise, averaging and scoping: fails when any part of the inner loop or
 * the outer step is wrong), its limits (one inner step with alpha = 1,
 * eps = 0, eta' gamma = 1 is sgd's step; gamma -> infinity with full
 * batches is gd's step up to O(1/gamma)), and determinism over where the
 * run is cut into checkpoints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/rng.h"
#include "pdx/train.h"
#include "pdx_test.h"
#define params_of(text) pdx_test_params_of((text), "esgd.yaml")

static pdx_trainer *trainer_of(const pdx_params *p)
{
    pdx_trainer *t = NULL;
    size_t P = (size_t)pdx_params_train_size(p);
    assert_int_equal(pdx_trainer_create_finite(&t, (size_t)p->N, 4, 2, 100, P,
                                               NULL),
                     PDX_OK);
    pdx_error err;
    /* the same cell key for every algorithm: the same epoch orders */
    if (pdx_trainer_set_cell(t, p, 2385, 77, 1, &err) != PDX_OK)
        fail_msg("set: %s", err.message);
    return t;
}

/* Largest |a_i - b_i| over the student's first- and second-layer weights,
 * and the largest |a_i| (the scale). */
static double weights_gap(const pdx_trainer *a, const pdx_trainer *b,
                          double *scale)
{
    const pdx_committee *sa = pdx_trainer_student(a),
                        *sb = pdx_trainer_student(b);
    double gap = 0.0, big = 0.0;
    for (size_t i = 0; i < sa->K * sa->N; i++) {
        gap = fmax(gap, fabs(sa->w[i] - sb->w[i]));
        big = fmax(big, fabs(sa->w[i]));
    }
    for (size_t k = 0; k < sa->K; k++) {
        gap = fmax(gap, fabs(sa->v[k] - sb->v[k]));
        big = fmax(big, fabs(sa->v[k]));
    }
    *scale = big;
    return gap;
}

/* One inner step with alpha = 1, eps = 0, eta' = 1/gamma: the outer step
 * w - eta gamma (w - w') = w - eta grad f_B(w), sgd's step on the same
 * minibatch, for any gamma (twolayer student: both layers, decay). */
static void test_entropy_sgd_one_inner_step_is_sgd(void **state)
{
    (void)state;
    const char *common =
        "N: 40\nteacher: {kind: committee, hidden: 2}\n"
        "student: {kind: twolayer, hidden: 3, init_scale: 0.7}\n"
        "data: {alpha: 2.5}\n"
        "train: {batch: 9, learning_rate: 0.37, epochs: 5,"
        " weight_decay: 0.013, ";
    char sgd_text[512], esgd_text[768];
    snprintf(sgd_text, sizeof sgd_text, "%salgorithm: sgd}\n", common);
    for (int g = 0; g < 2; g++) {
        double gamma = g == 0 ? 3.1 : 1e3;
        snprintf(esgd_text, sizeof esgd_text,
                 "%salgorithm: entropy_sgd, esgd_langevin_steps: 1, "
                 "esgd_alpha: 1, esgd_noise: 0, esgd_gamma: %.17g, "
                 "esgd_inner_learning_rate: %.17g}\n",
                 common, gamma, 1.0 / gamma);
        pdx_params ps = params_of(sgd_text), pe = params_of(esgd_text);
        assert_int_equal(pdx_params_steps_per_time(&pe),
                         pdx_params_steps_per_time(&ps));
        pdx_trainer *sgd = trainer_of(&ps), *esgd = trainer_of(&pe);
        assert_int_equal(pdx_trainer_iterate(sgd, pdx_trainer_total_steps(sgd)),
                         0);
        assert_int_equal(
            pdx_trainer_iterate(esgd, pdx_trainer_total_steps(esgd)), 0);
        double scale, gap = weights_gap(sgd, esgd, &scale);
        printf("# gamma %g: |w_esgd - w_sgd| = %.3g (scale %.3g)\n", gamma,
               gap, scale);
        /* rounding only: gamma (w - w') loses ~ulp(w) gamma / |grad| */
        assert_true(gap <= 1e-9 * scale * gamma);
        pdx_trainer_destroy(&sgd);
        pdx_trainer_destroy(&esgd);
    }
}

/* Full batches (B = P), L = 4 inner steps, alpha = 1, eps = 0, eta' gamma
 * = 1: w' after the inner loop is w - grad f(w'')/gamma, so the outer
 * step is gd's step w - eta grad f(w) up to O(1/gamma). The gap to sgd
 * with B = P (one step an epoch) after the same number of outer steps
 * falls as 1/gamma. */
static void test_entropy_sgd_large_gamma_is_gd(void **state)
{
    (void)state;
    const char *common =
        "N: 30\nteacher: {kind: committee, hidden: 2}\n"
        "student: {kind: committee, hidden: 2, init_scale: 0.8}\n"
        "data: {alpha: 2}\n"
        "train: {batch: 60, learning_rate: 0.6, ";
    char text[768];
    snprintf(text, sizeof text, "%salgorithm: sgd, epochs: 6}\n", common);
    pdx_params ps = params_of(text);
    pdx_trainer *sgd = trainer_of(&ps);
    assert_int_equal(pdx_trainer_iterate(sgd, pdx_trainer_total_steps(sgd)),
                     0);
    double gaps[3], scale = 0.0;
    const double gammas[3] = {1e2, 1e4, 1e6};
    for (int g = 0; g < 3; g++) {
        snprintf(text, sizeof text,
                 "%salgorithm: entropy_sgd, epochs: 24, "
                 "esgd_langevin_steps: 4, esgd_alpha: 1, esgd_noise: 0, "
                 "esgd_gamma: %.17g, esgd_inner_learning_rate: %.17g}\n",
                 common, gammas[g], 1.0 / gammas[g]);
        pdx_params pe = params_of(text);
        pdx_trainer *esgd = trainer_of(&pe);
        assert_int_equal(
            pdx_trainer_iterate(esgd, pdx_trainer_total_steps(esgd)), 0);
        gaps[g] = weights_gap(sgd, esgd, &scale);
        printf("# gamma %g: |w_esgd - w_gd| = %.3g (scale %.3g)\n",
               gammas[g], gaps[g], scale);
        pdx_trainer_destroy(&esgd);
    }
    /* O(1/gamma): 100 times closer per factor 100 (within rounding) */
    assert_true(gaps[0] > 1e-5 * scale);
    assert_true(gaps[1] < gaps[0] / 50.0 && gaps[1] > gaps[0] / 200.0);
    assert_true(gaps[2] < 1e-6 * scale);
    pdx_trainer_destroy(&sgd);
}

/* Algorithm 1 written out for a perceptron student (yhat = w.x/sqrt N,
 * squared loss), full batches in index order, with noise from the same
 * DYNAMICS blocks, averaging and scoping: the trainer's weights after 3
 * outer steps (and a last, cut one) equal it to rounding. */
static void test_entropy_sgd_matches_algorithm_1(void **state)
{
    (void)state;
    const double eta = 0.3, gamma0 = 0.7, growth = 0.1, eta_in = 0.05,
                 eps = 0.02, alpha = 0.75, decay = 0.01;
    const int L = 5, epochs = 17; /* 3 outer steps of 5, one of 2 */
    char text[768];
    snprintf(text, sizeof text,
             "N: 25\nteacher: {kind: perceptron}\n"
             "student: {kind: perceptron, init_scale: 0.9}\n"
             "data: {alpha: 1.6, label_noise: 0.3}\n"
             "train: {algorithm: entropy_sgd, batch: 40, epochs: %d,"
             " learning_rate: %.17g, weight_decay: %.17g,"
             " esgd_langevin_steps: %d, esgd_gamma: %.17g,"
             " esgd_gamma_growth: %.17g, esgd_inner_learning_rate: %.17g,"
             " esgd_noise: %.17g, esgd_alpha: %.17g}\n",
             epochs, eta, decay, L, gamma0, growth, eta_in, eps, alpha);
    pdx_params p = params_of(text);
    pdx_trainer *t = trainer_of(&p);
    const pdx_dataset *d = pdx_trainer_dataset(t);
    const size_t N = d->N, P = d->P;
    assert_int_equal(P, 40);
    double *w = malloc(N * sizeof *w), *wp = malloc(N * sizeof *wp),
           *mu = malloc(N * sizeof *mu), *grad = malloc(N * sizeof *grad),
           *z = malloc(N * sizeof *z);
    memcpy(w, pdx_trainer_student(t)->w, N * sizeof *w);
    pdx_rng_stream noise;
    pdx_rng_stream_init(&noise, 2385, PDX_RNG_DYNAMICS, 77, 1);
    double gamma = gamma0;
    for (int s = 0; s < epochs; s++) {
        if (s % L == 0) {
            memcpy(wp, w, N * sizeof *w);
            memcpy(mu, w, N * sizeof *w);
            gamma = gamma0 * pow(1.0 + growth, (double)s);
        }
        memset(grad, 0, N * sizeof *grad);
        for (size_t m = 0; m < P; m++) {
            const double *x = d->x + m * N;
            double yhat = pdx_model_dot(wp, x, N) / sqrt((double)N);
            for (size_t j = 0; j < N; j++)
                grad[j] += (yhat - d->y[m]) * x[j] / sqrt((double)N) /
                           (double)P;
        }
        pdx_rng_gaussian(&noise, (uint64_t)s << 8, z, N);
        for (size_t j = 0; j < N; j++) {
            double dx = grad[j] + decay * wp[j] - gamma * (w[j] - wp[j]);
            wp[j] = wp[j] - eta_in * dx + sqrt(eta_in) * eps * z[j];
            mu[j] = (1.0 - alpha) * mu[j] + alpha * wp[j];
        }
        if (s % L == L - 1 || s == epochs - 1)
            for (size_t j = 0; j < N; j++)
                w[j] -= eta * gamma * (w[j] - mu[j]);
    }
    /* cut mid-way through an outer step: the same result */
    assert_int_equal(pdx_trainer_iterate(t, 7), 0);
    assert_int_equal(pdx_trainer_iterate(t, pdx_trainer_total_steps(t)), 0);
    double gap = 0.0, big = 0.0;
    for (size_t j = 0; j < N; j++) {
        gap = fmax(gap, fabs(pdx_trainer_student(t)->w[j] - w[j]));
        big = fmax(big, fabs(w[j]));
    }
    printf("# |w - w_algorithm1| = %.3g (scale %.3g)\n", gap, big);
    assert_true(gap <= 1e-12 * big);
    /* and it moved: not a frozen student */
    pdx_trainer *fresh = trainer_of(&p);
    double scale, moved = weights_gap(t, fresh, &scale);
    printf("# moved %.3g\n", moved);
    assert_true(moved > 1e-3 * scale);
    pdx_trainer_destroy(&fresh);
    free(w);
    free(wp);
    free(mu);
    free(grad);
    free(z);
    pdx_trainer_destroy(&t);
}

/* Same seed and cell: the same bits wherever the run is cut; another
 * cell key (the noise and the orders): other bits. */
static void test_entropy_sgd_deterministic(void **state)
{
    (void)state;
    pdx_params p = params_of(
        "N: 30\nteacher: {kind: perceptron}\n"
        "student: {kind: committee, hidden: 3, init_scale: 1}\n"
        "data: {alpha: 2, label_noise: 1}\ntrain: {algorithm: entropy_sgd,"
        " loss: logistic, batch: 8, epochs: 3, esgd_langevin_steps: 4,"
        " esgd_noise: 0.01, esgd_gamma: 0.5, esgd_gamma_growth: 0.3}\n"
        "record: {test_size: 100}\n");
    pdx_trainer *a = trainer_of(&p), *b = trainer_of(&p);
    int64_t total = pdx_trainer_total_steps(a);
    assert_int_equal(total, 24);
    for (int64_t s = 1; s <= total; s += 3)
        assert_int_equal(pdx_trainer_iterate(a, s), 0);
    assert_int_equal(pdx_trainer_iterate(a, total), 0);
    assert_int_equal(pdx_trainer_iterate(b, total), 0);
    assert_memory_equal(pdx_trainer_student(a)->w, pdx_trainer_student(b)->w,
                        90 * sizeof(double));
    pdx_trainer *c = NULL;
    pdx_error err;
    assert_int_equal(pdx_trainer_create_finite(&c, 30, 4, 2, 100, 60, NULL),
                     PDX_OK);
    assert_int_equal(pdx_trainer_set_cell(c, &p, 2385, 78, 1, &err), PDX_OK);
    assert_int_equal(pdx_trainer_iterate(c, total), 0);
    assert_true(memcmp(pdx_trainer_student(a)->w, pdx_trainer_student(c)->w,
                       90 * sizeof(double)) != 0);
    pdx_trainer_destroy(&a);
    pdx_trainer_destroy(&b);
    pdx_trainer_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entropy_sgd_one_inner_step_is_sgd),
        cmocka_unit_test(test_entropy_sgd_large_gamma_is_gd),
        cmocka_unit_test(test_entropy_sgd_matches_algorithm_1),
        cmocka_unit_test(test_entropy_sgd_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
