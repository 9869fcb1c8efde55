/* test_deep_robust.c — replicated SGD and Entropy-SGD of deep students
 * (issue 16 item 1; src/train/replicated_deep.c, entropy_deep.c) against
 * their limits: replicated_sgd with y = 1 is the deep sgd row bit for
 * bit; its coupling pulls the replicas together; Entropy-SGD with one
 * inner step, alpha = 1, eps = 0 and eta' gamma = 1 is sgd's step for any
 * gamma, and with full batches it approaches gd's step as 1/gamma
 * (gamma -> infinity); both give the same bits wherever a run is cut
 * into checkpoints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/train.h"
#include "pdx_test.h"

typedef struct deep_case {
    pdx_spec *spec;
    pdx_grid *grid;
} deep_case;

static deep_case case_of(const char *text)
{
    deep_case c = {NULL, NULL};
    pdx_error err;
    if (pdx_spec_parse_string(&c.spec, text, strlen(text), "deep.yaml",
                              &err) != PDX_OK)
        fail_msg("spec: %s", err.message);
    assert_int_equal(pdx_grid_create(&c.grid, c.spec, NULL), PDX_OK);
    return c;
}

static void case_clear(deep_case *c)
{
    pdx_grid_destroy(&c->grid);
    pdx_spec_destroy(&c->spec);
}

/* A trainer for cell `cell` of the case's grid (sized for all of them),
 * set up for task replica 1 with a cell key shared by every cell (the
 * same epoch orders for every algorithm). */
static pdx_trainer *trainer_at(const deep_case *c, uint64_t cell)
{
    const pdx_grid *g = c->grid;
    pdx_trainer_deep_limits d = {g->max_student_depth, g->max_student_width,
                                 g->max_teacher_depth, g->max_teacher_width,
                                 g->max_deep_batch,
                                 g->max_propagate_columns,
                                 g->max_replica_count, g->max_ladder};
    pdx_trainer *t = NULL;
    assert_int_equal(pdx_trainer_create_deep(
                         &t, (size_t)g->max_N, g->max_student_hidden,
                         g->max_teacher_hidden, (size_t)g->max_test_size,
                         (size_t)g->max_train_size, &d, NULL),
                     PDX_OK);
    pdx_params p;
    pdx_grid_cell_params(g, cell, &p);
    pdx_error err;
    if (pdx_trainer_set_cell(t, &p, 2385, 77, 1, &err) != PDX_OK)
        fail_msg("set: %s", err.message);
    return t;
}

/* Largest |a - b| over every parameter of two deep students, and the
 * largest |a| (the scale). */
static double deep_gap(const pdx_deep *a, const pdx_deep *b, double *scale)
{
    const double *pa[3] = {a->w, a->b, a->a}, *pb[3] = {b->w, b->b, b->a};
    const size_t len[3] = {pdx_deep_weight_count(a->N, a->depth, a->width),
                           a->depth * a->width, a->width};
    double gap = fabs(a->a0 - b->a0), big = fabs(a->a0);
    for (int q = 0; q < 3; q++)
        for (size_t j = 0; j < len[q]; j++) {
            gap = fmax(gap, fabs(pa[q][j] - pb[q][j]));
            big = fmax(big, fabs(pa[q][j]));
        }
    *scale = big;
    return gap;
}

/* Same bits: every parameter. */
static void assert_same_net(const pdx_deep *a, const pdx_deep *b)
{
    const size_t W = pdx_deep_weight_count(a->N, a->depth, a->width);
    assert_memory_equal(a->w, b->w, W * sizeof(double));
    assert_memory_equal(a->b, b->b, a->depth * a->width * sizeof(double));
    assert_memory_equal(a->a, b->a, a->width * sizeof(double));
    assert_memory_equal(&a->a0, &b->a0, sizeof a->a0);
}

/* y = 1 (traced coupling, gamma > 0: the centre is the replica): the deep
 * sgd row bit for bit, for two activations, a decay and two batch sizes. */
static void test_deep_robust_replicated_y1_is_sgd(void **state)
{
    (void)state;
    deep_case c = case_of(
        "N: 23\nteacher: {kind: perceptron}\n"
        "student: {kind: deep, depth: 3, width: 9, sigma_w2: 1.7, "
        "sigma_b2: 0.1, activation: [tanh, relu]}\n"
        "data: {alpha: 2.3}\n"
        "train: {learning_rate: 0.07, weight_decay: 0.003, epochs: 6, "
        "batch: [1, 7], replica_count: 1, replica_gamma: 0.4, "
        "replica_gamma_growth: 0.5, replica_stop: false, loss: logistic, "
        "algorithm: [sgd, replicated_sgd]}\n"
        "record: {test_size: 50}\n");
    assert_int_equal(c.grid->n_cells, 8);
    for (uint64_t cell = 0; cell < 8; cell += 2) {
        pdx_trainer *a = trainer_at(&c, cell), *b = trainer_at(&c, cell + 1);
        assert_int_equal(pdx_trainer_params(a)->train_algorithm, PDX_ALG_SGD);
        assert_int_equal(pdx_trainer_params(b)->train_algorithm,
                         PDX_ALG_REPLICATED_SGD);
        int64_t total = pdx_trainer_total_steps(a);
        assert_int_equal(total, pdx_trainer_total_steps(b));
        assert_int_equal(pdx_trainer_iterate(a, total), 0);
        assert_int_equal(pdx_trainer_iterate(b, total), 0);
        assert_same_net(pdx_trainer_student(a)->deep,
                        pdx_trainer_student(b)->deep);
        const pdx_committee *rep;
        assert_int_equal(pdx_trainer_replicas(b, &rep, NULL), 1);
        assert_same_net(rep[0].deep, pdx_trainer_student(b)->deep);
        pdx_trainer_destroy(&a);
        pdx_trainer_destroy(&b);
    }
    case_clear(&c);
}

/* Mean |theta^a - centre|^2 per parameter. */
static double replica_distance(const pdx_trainer *t)
{
    const pdx_committee *rep;
    const pdx_deep *c = pdx_trainer_student(t)->deep;
    size_t y = pdx_trainer_replicas(t, &rep, NULL);
    double d = 0.0, scale;
    for (size_t a = 0; a < y; a++) {
        double g = deep_gap(rep[a].deep, c, &scale);
        d += g * g;
    }
    return d / (double)y;
}

/* The coupling pulls the replicas together (both couplings): with gamma
 * 2 they end far closer than uncoupled; uncoupled they stay apart, and
 * their centre is their mean (traced) or the start (centre, gamma 0). */
static void test_deep_robust_coupling_contracts(void **state)
{
    (void)state;
    deep_case c = case_of(
        "N: 20\nteacher: {kind: perceptron}\n"
        "student: {kind: deep, depth: 2, width: 8, sigma_w2: 1.5}\n"
        "data: {alpha: 2, label_noise: 1}\n"
        "train: {algorithm: replicated_sgd, learning_rate: 0.1, batch: 8, "
        "epochs: 30, replica_count: 4, replica_stop: false, "
        "replica_coupling: [traced, centre], replica_gamma: [0, 2]}\n"
        "record: {test_size: 50}\n");
    double d[4];
    for (uint64_t cell = 0; cell < 4; cell++) {
        pdx_trainer *t = trainer_at(&c, cell);
        assert_int_equal(pdx_trainer_iterate(t, pdx_trainer_total_steps(t)),
                         0);
        d[cell] = replica_distance(t);
        pdx_trainer_destroy(&t);
    }
    printf("# largest |theta^a - c|^2: traced %.3g, %.3g; centre %.3g, "
           "%.3g (gamma 0, 2)\n", d[0], d[1], d[2], d[3]);
    assert_true(d[0] > 0.05 && d[2] > 0.05);
    assert_true(d[1] < 1e-3 * d[0]);
    assert_true(d[3] < 1e-3 * d[2]);
    case_clear(&c);
}

/* One inner step, alpha = 1, eps = 0, eta' = 1/gamma: the outer step
 * theta - eta gamma (theta - theta') = theta - eta (grad + decay theta),
 * the deep sgd step on the same minibatch, for any gamma. */
static void test_deep_robust_entropy_one_inner_step_is_sgd(void **state)
{
    (void)state;
    const double gammas[2] = {3.1, 1e3};
    for (int k = 0; k < 2; k++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "N: 21\nteacher: {kind: perceptron}\n"
                 "student: {kind: deep, depth: 2, width: 10, sigma_w2: 1.6, "
                 "sigma_b2: 0.05}\n"
                 "data: {alpha: 3}\n"
                 "train: {learning_rate: 0.09, weight_decay: 0.01, epochs: 5, "
                 "batch: 8, esgd_langevin_steps: 1, esgd_alpha: 1, "
                 "esgd_noise: 0, esgd_gamma: %.17g, "
                 "esgd_inner_learning_rate: %.17g, "
                 "algorithm: [sgd, entropy_sgd]}\n"
                 "record: {test_size: 50}\n",
                 gammas[k], 1.0 / gammas[k]);
        deep_case c = case_of(text);
        pdx_trainer *a = trainer_at(&c, 0), *b = trainer_at(&c, 1);
        assert_int_equal(pdx_trainer_params(b)->train_algorithm,
                         PDX_ALG_ENTROPY_SGD);
        assert_int_equal(pdx_trainer_total_steps(a),
                         pdx_trainer_total_steps(b));
        assert_int_equal(pdx_trainer_iterate(a, pdx_trainer_total_steps(a)),
                         0);
        assert_int_equal(pdx_trainer_iterate(b, pdx_trainer_total_steps(b)),
                         0);
        double scale, gap = deep_gap(pdx_trainer_student(a)->deep,
                                     pdx_trainer_student(b)->deep, &scale);
        printf("# gamma %g: |theta_esgd - theta_sgd| = %.3g (scale %.3g)\n",
               gammas[k], gap, scale);
        assert_true(gap <= 1e-9 * scale * gammas[k]);
        pdx_trainer_destroy(&a);
        pdx_trainer_destroy(&b);
        case_clear(&c);
    }
}

/* Full batches, L = 4 inner steps, alpha = 1, eps = 0, eta' gamma = 1:
 * the outer step is gd's step theta - eta grad f(theta) up to
 * O(1/gamma): gamma -> infinity reduces Entropy-SGD to (full-batch) sgd.
 * The gap to 6 gd steps after 6 outer steps falls 100 times per factor
 * 100 of gamma. */
static void test_deep_robust_entropy_large_gamma_is_gd(void **state)
{
    (void)state;
    const char *common =
        "N: 18\nteacher: {kind: perceptron}\n"
        "student: {kind: deep, depth: 2, width: 7, sigma_w2: 1.5, "
        "sigma_b2: 0.05}\n"
        "data: {alpha: 2}\nrecord: {test_size: 50}\n"
        "train: {batch: 36, learning_rate: 0.3, ";
    char text[1024];
    snprintf(text, sizeof text, "%salgorithm: sgd, epochs: 6}\n", common);
    deep_case cs = case_of(text);
    pdx_trainer *sgd = trainer_at(&cs, 0);
    assert_int_equal(pdx_trainer_iterate(sgd, pdx_trainer_total_steps(sgd)),
                     0);
    const double gammas[3] = {1e2, 1e4, 1e6};
    double gaps[3], scale = 0.0;
    for (int k = 0; k < 3; k++) {
        snprintf(text, sizeof text,
                 "%salgorithm: entropy_sgd, epochs: 24, "
                 "esgd_langevin_steps: 4, esgd_alpha: 1, esgd_noise: 0, "
                 "esgd_gamma: %.17g, esgd_inner_learning_rate: %.17g}\n",
                 common, gammas[k], 1.0 / gammas[k]);
        deep_case ce = case_of(text);
        pdx_trainer *esgd = trainer_at(&ce, 0);
        assert_int_equal(
            pdx_trainer_iterate(esgd, pdx_trainer_total_steps(esgd)), 0);
        gaps[k] = deep_gap(pdx_trainer_student(sgd)->deep,
                           pdx_trainer_student(esgd)->deep, &scale);
        printf("# gamma %g: |theta_esgd - theta_gd| = %.3g (scale %.3g)\n",
               gammas[k], gaps[k], scale);
        pdx_trainer_destroy(&esgd);
        case_clear(&ce);
    }
    assert_true(gaps[0] > 1e-5 * scale);
    assert_true(gaps[1] < gaps[0] / 50.0 && gaps[1] > gaps[0] / 200.0);
    assert_true(gaps[2] < 1e-6 * scale);
    pdx_trainer_destroy(&sgd);
    case_clear(&cs);
}

/* The same bits wherever a run is cut into checkpoints (replicated with
 * a centre and growing gamma; Entropy-SGD with noise, averaging and
 * scoping, cut inside outer steps), and twice the same run. */
static void test_deep_robust_checkpoint_independent(void **state)
{
    (void)state;
    deep_case c = case_of(
        "N: 19\nteacher: {kind: perceptron}\n"
        "student: {kind: deep, depth: 2, width: 8, sigma_w2: 1.5}\n"
        "data: {alpha: 2.5}\n"
        "train: {learning_rate: 0.08, batch: 6, epochs: 12, "
        "replica_count: 3, replica_gamma: 0.05, replica_gamma_growth: 0.2, "
        "replica_coupling: centre, replica_stop: false, "
        "esgd_langevin_steps: 5, esgd_gamma: 0.5, esgd_gamma_growth: 0.1, "
        "esgd_noise: 0.01, esgd_alpha: 0.7, esgd_inner_learning_rate: 0.1, "
        "algorithm: [replicated_sgd, entropy_sgd]}\n"
        "record: {test_size: 50}\n");
    for (uint64_t cell = 0; cell < 2; cell++) {
        pdx_trainer *a = trainer_at(&c, cell), *b = trainer_at(&c, cell);
        int64_t total = pdx_trainer_total_steps(a);
        assert_int_equal(pdx_trainer_iterate(a, total), 0);
        for (int64_t k = 1; k <= 13; k++)
            assert_int_equal(pdx_trainer_iterate(b, total * k / 13 + (k % 3)),
                             0);
        assert_int_equal(pdx_trainer_iterate(b, total), 0);
        assert_same_net(pdx_trainer_student(a)->deep,
                        pdx_trainer_student(b)->deep);
        const pdx_committee *ra, *rb;
        size_t y = pdx_trainer_replicas(a, &ra, NULL);
        assert_int_equal(pdx_trainer_replicas(b, &rb, NULL), y);
        assert_int_equal(y, cell == 0 ? 3 : 0);
        for (size_t r = 0; r < y; r++)
            assert_same_net(ra[r].deep, rb[r].deep);
        /* it learned: the training error fell well below a half */
        double e = pdx_trainer_train_error(a, 0, NULL);
        printf("# %s: training error %.3g\n", cell ? "esgd" : "rsgd", e);
        assert_true(e < 0.4);
        pdx_trainer_destroy(&a);
        pdx_trainer_destroy(&b);
    }
    case_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_robust_replicated_y1_is_sgd),
        cmocka_unit_test(test_deep_robust_coupling_contracts),
        cmocka_unit_test(test_deep_robust_entropy_one_inner_step_is_sgd),
        cmocka_unit_test(test_deep_robust_entropy_large_gamma_is_gd),
        cmocka_unit_test(test_deep_robust_checkpoint_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
