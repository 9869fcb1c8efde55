/* test_flatness.c — the local energy of issue 16 against exact averages:
 * for a perceptron student with the squared loss, the mean loss over
 * random perturbations has a closed form (flips of a uniformly random set
 * of m = round(p N) weights: sampling without replacement; multiplicative
 * Gaussian noise: a variance sigma^2 sum_i w_i^2 x_i^2 / N), so the
 * recorded mean must lie within 5 of its recorded standard errors of it
 * (this fails when the flip count, the noise or the averaging is wrong);
 * size 0 is the training error itself; flipping every weight of a binary
 * student gives 1 - its error; the draws are a function of (seed, cell,
 * replica, checkpoint) only; and the layout's index bookkeeping with both
 * budgets and perturbations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/observe.h"
#include "pdx/sweep.h"
#include "pdx_test.h"

typedef struct measured {
    pdx_spec *spec;
    pdx_grid *grid;
    pdx_layout layout;
    double **values;
    pdx_params params;
    pdx_trainer *trainer;
    pdx_flattener *flat;
} measured;

/* The first cell of `text`, trained to the end; the flattener made. */
static void setup(measured *m, const char *text)
{
    memset(m, 0, sizeof *m);
    pdx_error err;
    if (pdx_spec_parse_string(&m->spec, text, strlen(text), "flat.yaml",
                              &err) != PDX_OK)
        fail_msg("spec: %s", err.message);
    assert_int_equal(pdx_grid_create(&m->grid, m->spec, NULL), PDX_OK);
    pdx_sweep_layout(m->grid, &m->layout);
    m->values = calloc(m->layout.n_vars, sizeof *m->values);
    for (size_t v = 0; v < m->layout.n_vars; v++) {
        size_t n = pdx_layout_var_size(&m->layout, v);
        m->values[v] = malloc((n ? n : 1) * sizeof(double));
        for (size_t i = 0; i < n; i++)
            m->values[v][i] = NAN;
    }
    pdx_grid_cell_params(m->grid, 0, &m->params);
    const pdx_params *p = &m->params;
    pdx_trainer_deep_limits deep = {0};
    deep.student_depth = m->grid->max_student_depth;
    deep.student_width = m->grid->max_student_width;
    deep.batch = m->grid->max_deep_batch;
    assert_int_equal(pdx_trainer_create_deep(
                         &m->trainer, (size_t)p->N, 4, 2,
                         (size_t)m->grid->max_test_size,
                         (size_t)pdx_params_train_size(p), &deep, NULL),
                     PDX_OK);
    if (pdx_trainer_set_cell(m->trainer, p, 7, pdx_grid_cell_key(p), 0,
                             &err) != PDX_OK)
        fail_msg("set: %s", err.message);
    assert_int_equal(pdx_trainer_iterate(m->trainer,
                                         pdx_trainer_total_steps(m->trainer)),
                     0);
    assert_int_equal(pdx_flattener_create(&m->flat, (size_t)p->N, 4,
                                          m->grid->max_student_depth,
                                          m->grid->max_student_width,
                                          m->spec->perturbations,
                                          m->spec->n_perturbations, NULL),
                     PDX_OK);
}

static void teardown(measured *m)
{
    for (size_t v = 0; v < m->layout.n_vars; v++)
        free(m->values[v]);
    free(m->values);
    pdx_flattener_destroy(&m->flat);
    pdx_trainer_destroy(&m->trainer);
    pdx_grid_destroy(&m->grid);
    pdx_spec_destroy(&m->spec);
}

static double value(const measured *m, int var, size_t ti, size_t j)
{
    size_t base = pdx_observe_flat_base(&m->layout);
    return m->values[base + (size_t)var]
                    [ti * m->layout.dim_size[PDX_DIM_PERTURBATION] + j];
}

/* The exact mean squared loss over the perturbations of size `size`. */
static double exact_loss(const measured *m, double size, int binary)
{
    const pdx_dataset *d = pdx_trainer_dataset(m->trainer);
    const double *w = pdx_trainer_student(m->trainer)->w;
    const size_t N = d->N, P = d->P;
    const double n = (double)N;
    double flips = floor(size * n + 0.5), total = 0.0;
    for (size_t mu = 0; mu < P; mu++) {
        const double *x = d->x + mu * N;
        double yhat = 0.0, sum_a = 0.0, sum_a2 = 0.0;
        for (size_t i = 0; i < N; i++) {
            double a = w[i] * x[i];
            yhat += a;
            sum_a += a;
            sum_a2 += a * a;
        }
        yhat /= sqrt(n);
        double mean, var;
        if (binary) { /* yhat - 2 sum_{i in S} a_i / sqrt N, |S| = flips */
            double pop_var = sum_a2 / n - (sum_a / n) * (sum_a / n);
            mean = yhat - 2.0 * flips * (sum_a / n) / sqrt(n);
            var = 4.0 / n * flips * (n - flips) / (n - 1.0) * pop_var;
        } else {
            mean = yhat;
            var = size * size * sum_a2 / n;
        }
        double r = d->y[mu] - mean;
        total += 0.5 * (r * r + var);
    }
    return total / (double)P;
}

static void check_against_exact(const char *text, int binary)
{
    measured m;
    setup(&m, text);
    pdx_observe_flatness(m.flat, m.trainer, &m.layout, 1, m.values);
    double loss0, err0 = pdx_trainer_train_error(m.trainer, 0, &loss0);
    /* size 0: the student itself, every draw alike */
    assert_double_near(value(&m, PDX_FLAT_ENERGY, 1, 0), err0, 1e-12);
    assert_double_near(value(&m, PDX_FLAT_LOSS, 1, 0), loss0, 1e-9);
    assert_double_near(value(&m, PDX_FLAT_ENERGY_SE, 1, 0), 0.0, 1e-12);
    for (size_t j = 1; j < m.spec->n_perturbations; j++) {
        double size = m.spec->perturbations[j];
        double got = value(&m, PDX_FLAT_LOSS, 1, j);
        double se = value(&m, PDX_FLAT_LOSS_SE, 1, j);
        double want = exact_loss(&m, size, binary);
        printf("# size %g: loss %.5f +- %.5f, exact %.5f; error %.4f\n", size,
               got, se, want, value(&m, PDX_FLAT_ENERGY, 1, j));
        assert_true(se > 0.0);
        assert_true(fabs(got - want) < 5.0 * se);
        /* a perturbed student does no better than... at least not NaN */
        assert_true(value(&m, PDX_FLAT_ENERGY, 1, j) >= 0.0);
    }
    /* checkpoint 0 was not written; checkpoint 1 only */
    assert_true(isnan(value(&m, PDX_FLAT_ENERGY, 0, 0)));
    teardown(&m);
}

static void test_flatness_binary_flips_exact(void **state)
{
    (void)state;
    check_against_exact(
        "N: 60\nteacher: {kind: perceptron}\n"
        "student: {kind: perceptron, weights: binary}\n"
        "data: {alpha: 2, label_noise: 0.1}\n"
        "train: {algorithm: metropolis, temperature: 0.5, epochs: 4}\n"
        "record: {times: [2, 4], perturbations: [0, 0.05, 0.3, 0.5],"
        " perturbation_draws: 400}\n",
        1);
}

static void test_flatness_gaussian_noise_exact(void **state)
{
    (void)state;
    check_against_exact(
        "N: 50\nteacher: {kind: perceptron}\n"
        "student: {kind: perceptron, init_scale: 1}\n"
        "data: {alpha: 1.5}\n"
        "train: {algorithm: sgd, batch: 5, learning_rate: 0.1, epochs: 3}\n"
        "record: {times: [1, 3], perturbations: [0, 0.1, 0.5, 1.5],"
        " perturbation_draws: 400}\n",
        0);
}

/* Flipping every weight of a binary student: the error of -w, 1 - err. */
static void test_flatness_flip_all(void **state)
{
    (void)state;
    measured m;
    setup(&m, "N: 41\nteacher: {kind: perceptron}\n"
              "student: {kind: perceptron, weights: binary}\n"
              "data: {alpha: 3}\n"
              "train: {algorithm: metropolis, temperature: 0.2, epochs: 3}\n"
              "record: {times: [3], perturbations: [1],"
              " perturbation_draws: 3}\n");
    pdx_observe_flatness(m.flat, m.trainer, &m.layout, 0, m.values);
    double err = pdx_trainer_train_error(m.trainer, 0, NULL);
    printf("# error %.4f, all flipped %.4f\n", err,
           value(&m, PDX_FLAT_ENERGY, 0, 0));
    assert_double_near(value(&m, PDX_FLAT_ENERGY, 0, 0), 1.0 - err, 1e-12);
    assert_double_near(value(&m, PDX_FLAT_ENERGY_SE, 0, 0), 0.0, 1e-12);
    teardown(&m);
}

/* The same task measures the same bits; another checkpoint index draws
 * other perturbations; the student is not changed. */
static void test_flatness_deterministic(void **state)
{
    (void)state;
    const char *text =
        "N: 30\nteacher: {kind: perceptron}\n"
        "student: {kind: committee, hidden: 3, init_scale: 1}\n"
        "data: {alpha: 2}\ntrain: {algorithm: entropy_sgd, epochs: 2,"
        " loss: logistic, batch: 6, esgd_langevin_steps: 3}\n"
        "record: {times: [1, 2], perturbations: [0.2, 0.7],"
        " perturbation_draws: 5, test_size: 50}\n";
    measured a, b;
    setup(&a, text);
    setup(&b, text);
    size_t n = 30 * 3;
    double *w = malloc(n * sizeof *w);
    memcpy(w, pdx_trainer_student(a.trainer)->w, n * sizeof *w);
    pdx_observe_flatness(a.flat, a.trainer, &a.layout, 0, a.values);
    pdx_observe_flatness(a.flat, a.trainer, &a.layout, 1, a.values);
    pdx_observe_flatness(b.flat, b.trainer, &b.layout, 0, b.values);
    pdx_observe_flatness(b.flat, b.trainer, &b.layout, 1, b.values);
    assert_memory_equal(w, pdx_trainer_student(a.trainer)->w,
                        n * sizeof *w);
    for (int v = 0; v < PDX_FLAT_COUNT; v++)
        for (size_t j = 0; j < 2; j++) {
            assert_true(value(&a, v, 0, j) == value(&b, v, 0, j));
            assert_true(value(&a, v, 1, j) == value(&b, v, 1, j));
        }
    assert_true(value(&a, PDX_FLAT_LOSS, 0, 1) !=
                value(&a, PDX_FLAT_LOSS, 1, 1));
    free(w);
    teardown(&a);
    teardown(&b);
}

/* Deep students: every parameter perturbed. Size 0 is the student's own
 * training error and loss, bit for bit; larger noise raises the loss; the
 * student is left as it was; the draws are deterministic. */
static void test_flatness_deep_student(void **state)
{
    (void)state;
    const char *text =
        "N: 24\nteacher: {kind: perceptron}\n"
        "student: {kind: deep, depth: 2, width: 16, activation: tanh}\n"
        "data: {alpha: 3}\ntrain: {algorithm: sgd, epochs: 20, batch: 8,"
        " learning_rate: 0.05}\n"
        "record: {times: [20], perturbations: [0, 0.3, 1.5],"
        " perturbation_draws: 8, test_size: 50}\n";
    measured a, b;
    setup(&a, text);
    setup(&b, text);
    const pdx_deep *net = pdx_trainer_student(a.trainer)->deep;
    assert_non_null(net);
    size_t nw = pdx_deep_weight_count(net->N, net->depth, net->width);
    double *w = malloc(nw * sizeof *w), a0 = net->a0;
    memcpy(w, net->w, nw * sizeof *w);
    pdx_observe_flatness(a.flat, a.trainer, &a.layout, 0, a.values);
    pdx_observe_flatness(b.flat, b.trainer, &b.layout, 0, b.values);
    assert_memory_equal(w, net->w, nw * sizeof *w);
    assert_true(a0 == net->a0);
    double loss, e = pdx_trainer_train_error(a.trainer, 0, &loss);
    assert_true(value(&a, PDX_FLAT_ENERGY, 0, 0) == e);
    assert_true(value(&a, PDX_FLAT_LOSS, 0, 0) == loss);
    print_message("deep local loss %g %g %g (error %g %g %g)\n",
                  value(&a, PDX_FLAT_LOSS, 0, 0),
                  value(&a, PDX_FLAT_LOSS, 0, 1),
                  value(&a, PDX_FLAT_LOSS, 0, 2),
                  value(&a, PDX_FLAT_ENERGY, 0, 0),
                  value(&a, PDX_FLAT_ENERGY, 0, 1),
                  value(&a, PDX_FLAT_ENERGY, 0, 2));
    assert_true(value(&a, PDX_FLAT_LOSS, 0, 1) > loss);
    assert_true(value(&a, PDX_FLAT_LOSS, 0, 2) >
                value(&a, PDX_FLAT_LOSS, 0, 1));
    assert_true(value(&a, PDX_FLAT_LOSS_SE, 0, 2) > 0.0);
    for (int v = 0; v < PDX_FLAT_COUNT; v++)
        for (size_t j = 0; j < 3; j++)
            assert_memory_equal(&a.values[pdx_observe_flat_base(&a.layout) +
                                          (size_t)v][j],
                                &b.values[pdx_observe_flat_base(&b.layout) +
                                          (size_t)v][j],
                                sizeof(double));
    free(w);
    teardown(&a);
    teardown(&b);
}

/* Budgets and perturbations together: robust variables, then flat ones;
 * the names are where the bases say. */
static void test_flatness_layout_with_budgets(void **state)
{
    (void)state;
    measured m;
    setup(&m, "N: 20\nteacher: {kind: perceptron}\n"
              "student: {kind: perceptron}\ndata: {alpha: 1}\n"
              "train: {algorithm: sgd, epochs: 1}\n"
              "record: {times: [1], budgets: [0, 0.1],"
              " perturbations: [0, 0.1, 0.2], test_size: 20}\n");
    const pdx_layout *l = &m.layout;
    size_t rb = pdx_observe_robust_base(l), fb = pdx_observe_flat_base(l);
    assert_int_equal(rb, PDX_OBS_FINITE_COUNT);
    assert_int_equal(fb, rb + PDX_ROBUST_COUNT);
    assert_int_equal(l->n_vars, fb + PDX_FLAT_COUNT);
    assert_string_equal(l->vars[rb].name, "robust_error");
    assert_string_equal(l->vars[fb].name, "local_energy");
    assert_string_equal(l->vars[fb + PDX_FLAT_LOSS_SE].name, "local_loss_se");
    assert_int_equal(pdx_layout_var_size(l, fb), 3);
    teardown(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flatness_binary_flips_exact),
        cmocka_unit_test(test_flatness_gaussian_noise_exact),
        cmocka_unit_test(test_flatness_flip_all),
        cmocka_unit_test(test_flatness_deterministic),
        cmocka_unit_test(test_flatness_deep_student),
        cmocka_unit_test(test_flatness_layout_with_budgets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
