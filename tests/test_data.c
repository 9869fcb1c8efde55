/* test_data.c — fixed training sets: nesting, label noise, input noise,
 * input corruption, capacity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/data.h"
#include "pdx/grid.h"
#include "pdx/train.h"
#include "pdx_test.h"
#define params_of(text) pdx_test_params_of((text), "data.yaml")

/* Parameters of cell 0 of a spec given as text (asserts it is valid). */
/* A trainer for params with room for `max_P` examples, set up for
 * (seed 2385, replica). */
static pdx_trainer *trainer_of(const pdx_params *p, size_t max_P,
                               uint64_t replica)
{
    pdx_trainer *t = NULL;
    assert_int_equal(pdx_trainer_create_finite(&t, (size_t)p->N, 64, 64, 0,
                                               max_P, NULL),
                     PDX_OK);
    pdx_error err;
    if (pdx_trainer_set_cell(t, p, 2385, 0, replica, &err) != PDX_OK)
        fail_msg("set: %s", err.message);
    return t;
}

#define PERCEPTRON_SPEC(extra)                                                 \
    "N: 40\nteacher: {kind: perceptron}\n"                                     \
    "student: {kind: perceptron}\n"                                            \
    "train: {algorithm: perceptron, epochs: 1}\n" extra

static void test_data_nested_prefix(void **state)
{
    (void)state;
    pdx_params small = params_of(PERCEPTRON_SPEC("data: {alpha: 1.5}\n"));
    pdx_params large = params_of(PERCEPTRON_SPEC("data: {alpha: 4.25}\n"));
    pdx_trainer *a = trainer_of(&small, 200, 1);
    const pdx_dataset *da = pdx_trainer_dataset(a);
    pdx_trainer *b = trainer_of(&large, 200, 1);
    const pdx_dataset *db = pdx_trainer_dataset(b);
    assert_int_equal(da->P, 60);
    assert_int_equal(db->P, 170);
    assert_memory_equal(da->x, db->x, 60 * 40 * sizeof(double));
    assert_memory_equal(da->y, db->y, 60 * sizeof(double));
    /* the same trainer, reused for the larger set, extends its prefix */
    assert_int_equal(pdx_trainer_set_cell(a, &large, 2385, 0, 1, NULL),
                     PDX_OK);
    assert_memory_equal(da->x, db->x, 170 * 40 * sizeof(double));
    /* another replica has other examples */
    pdx_trainer *c = trainer_of(&small, 200, 2);
    const pdx_dataset *dc = pdx_trainer_dataset(c);
    assert_true(memcmp(da->x, dc->x, 40 * sizeof(double)) != 0);
    /* labels are the teacher's signs */
    for (size_t mu = 0; mu < 170; mu++) {
        double field =
            pdx_model_dot(pdx_trainer_teacher(b)->w, db->x + mu * 40, 40);
        assert_true(db->y[mu] == (field >= 0 ? 1.0 : -1.0));
        assert_true(db->y[mu] == db->y_clean[mu]);
    }
    pdx_trainer_destroy(&a);
    pdx_trainer_destroy(&b);
    pdx_trainer_destroy(&c);
}

static void test_data_label_noise(void **state)
{
    (void)state;
    const size_t P = 8000;
    pdx_params p2 = params_of(PERCEPTRON_SPEC(
        "data: {alpha: 200, label_noise: 0.2}\n"));
    pdx_params p5 = params_of(PERCEPTRON_SPEC(
        "data: {alpha: 200, label_noise: 0.5}\n"));
    pdx_params p10 = params_of(PERCEPTRON_SPEC(
        "data: {alpha: 200, label_noise: 1}\n"));
    pdx_trainer *a = trainer_of(&p2, P, 0);
    const pdx_dataset *da = pdx_trainer_dataset(a);
    pdx_trainer *b = trainer_of(&p5, P, 0);
    const pdx_dataset *db = pdx_trainer_dataset(b);
    pdx_trainer *c = trainer_of(&p10, P, 0);
    const pdx_dataset *dc = pdx_trainer_dataset(c);
    double flipped2 = 0, flipped5 = 0, flipped10 = 0;
    for (size_t mu = 0; mu < P; mu++) {
        assert_true(da->y_clean[mu] == db->y_clean[mu]);
        /* corrupted at 0.2 => corrupted the same way at 0.5 (subset) */
        if (da->y[mu] != da->y_clean[mu])
            assert_true(db->y[mu] == da->y[mu]);
        flipped2 += da->y[mu] != da->y_clean[mu];
        flipped5 += db->y[mu] != db->y_clean[mu];
        flipped10 += dc->y[mu] != dc->y_clean[mu];
        assert_true(fabs(dc->y[mu]) == 1.0);
    }
    /* a corrupted label is random: wrong with probability 1/2, so the
     * flipped fraction is noise/2; 5 standard deviations */
    double sd = sqrt(0.25 / (double)P);
    assert_double_near(flipped2 / P, 0.1, 5 * sd);
    assert_double_near(flipped5 / P, 0.25, 5 * sd);
    assert_double_near(flipped10 / P, 0.5, 5 * sd);
    pdx_trainer_destroy(&a);
    pdx_trainer_destroy(&b);
    pdx_trainer_destroy(&c);
}

static void test_data_output_noise_classification(void **state)
{
    (void)state;
    /* noise sigma on the teacher's field (variance T ~ 1): the label
     * flips with probability arccos(sqrt(T/(T+sigma^2)))/pi */
    const size_t P = 8000;
    pdx_params p = params_of(
        "N: 40\nteacher: {kind: perceptron, weights: binary, "
        "output_noise: 0.7}\nstudent: {kind: perceptron}\n"
        "data: {alpha: 200}\ntrain: {algorithm: perceptron, epochs: 1}\n");
    pdx_trainer *t = trainer_of(&p, P, 3);
    const pdx_dataset *dt = pdx_trainer_dataset(t);
    double flipped = 0;
    for (size_t mu = 0; mu < P; mu++)
        flipped += dt->y[mu] != dt->y_clean[mu];
    double expected = acos(1.0 / sqrt(1.0 + 0.49)) / M_PI;
    assert_double_near(flipped / P, expected,
                       5 * sqrt(expected * (1 - expected) / P));
    pdx_trainer_destroy(&t);
}

static void test_data_input_noise_and_corruption(void **state)
{
    (void)state;
    const size_t P = 400, N = 40;
    pdx_params clean = params_of(PERCEPTRON_SPEC("data: {alpha: 10}\n"));
    pdx_params noisy = params_of(PERCEPTRON_SPEC(
        "data: {alpha: 10, input_noise: 0.35}\n"));
    pdx_params corrupt = params_of(PERCEPTRON_SPEC(
        "data: {alpha: 10, input_corruption: 1}\n"));
    pdx_trainer *a = trainer_of(&clean, P, 0);
    const pdx_dataset *da = pdx_trainer_dataset(a);
    pdx_trainer *b = trainer_of(&noisy, P, 0);
    const pdx_dataset *db = pdx_trainer_dataset(b);
    pdx_trainer *c = trainer_of(&corrupt, P, 0);
    const pdx_dataset *dc = pdx_trainer_dataset(c);
    double d2 = 0, cross = 0, c2 = 0;
    for (size_t i = 0; i < P * N; i++) {
        double d = db->x[i] - da->x[i];
        d2 += d * d;
        cross += da->x[i] * dc->x[i];
        c2 += dc->x[i] * dc->x[i];
    }
    /* noise of std 0.35 per entry; labels from the clean inputs */
    double n = (double)(P * N);
    assert_double_near(d2 / n, 0.35 * 0.35, 5 * 0.1225 * sqrt(2.0 / n));
    assert_memory_equal(da->y, db->y, P * sizeof(double));
    assert_memory_equal(da->y, dc->y, P * sizeof(double));
    assert_memory_equal(da->y_clean, dc->y_clean, P * sizeof(double));
    /* corrupted inputs are fresh Gaussians, unrelated to the clean ones */
    assert_double_near(c2 / n, 1.0, 5 * sqrt(2.0 / n));
    assert_double_near(cross / n, 0.0, 5 / sqrt(n));
    pdx_trainer_destroy(&a);
    pdx_trainer_destroy(&b);
    pdx_trainer_destroy(&c);
}

static void test_data_regression_labels(void **state)
{
    (void)state;
    const size_t P = 4000;
    pdx_params p = params_of("N: 30\nteacher: {hidden: 2}\n"
                             "data: {alpha: 133.34, label_noise: 1}\n"
                             "train: {algorithm: gd, epochs: 1}\n");
    pdx_trainer *t = trainer_of(&p, P, 0);
    const pdx_dataset *dt = pdx_trainer_dataset(t);
    assert_int_equal(dt->P, P);
    assert_false(dt->classification);
    /* random labels: the teacher on independent inputs, so the same
     * distribution as the clean labels and uncorrelated with them */
    double s_clean = 0, s_noisy = 0, cross = 0, m_clean = 0, m_noisy = 0;
    for (size_t mu = 0; mu < P; mu++) {
        m_clean += dt->y_clean[mu];
        m_noisy += dt->y[mu];
    }
    m_clean /= P;
    m_noisy /= P;
    for (size_t mu = 0; mu < P; mu++) {
        double a = dt->y_clean[mu] - m_clean, b = dt->y[mu] - m_noisy;
        s_clean += a * a;
        s_noisy += b * b;
        cross += a * b;
    }
    assert_double_close(s_noisy, s_clean, 0.1);
    assert_double_near(cross / sqrt(s_clean * s_noisy), 0.0, 5 / sqrt(P));
    pdx_trainer_destroy(&t);
}

static void test_data_capacity(void **state)
{
    (void)state;
    pdx_params p = params_of(PERCEPTRON_SPEC("data: {alpha: 3}\n"));
    pdx_trainer *t = NULL;
    assert_int_equal(pdx_trainer_create_finite(&t, 40, 1, 1, 0, 100, NULL),
                     PDX_OK);
    pdx_error err;
    assert_int_equal(pdx_trainer_set_cell(t, &p, 1, 0, 0, &err),
                     PDX_ERR_USAGE);
    assert_non_null(strstr(err.message, "P=120"));
    pdx_trainer_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_nested_prefix),
        cmocka_unit_test(test_data_label_noise),
        cmocka_unit_test(test_data_output_noise_classification),
        cmocka_unit_test(test_data_input_noise_and_corruption),
        cmocka_unit_test(test_data_regression_labels),
        cmocka_unit_test(test_data_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
