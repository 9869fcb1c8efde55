/* test_observe.c — order parameters and the generalization error. */
#include <stdlib.h>
#include <string.h>

#include "pdx/observe.h"
#include "pdx/rng.h"
#include "pdx_test.h"

/* Train an erf/erf (or linear/linear) committee for a while, then compare
 * the closed-form eg from Q, R, T with a large independent test set:
 * they must agree within 3 standard errors of the test-set mean. */
static void closed_form_vs_test_set(int activation, double lr)
{
    enum { N = 60, K = 3, M = 2, P = 60000 };
    pdx_params p;
    pdx_params_default(&p);
    p.N = N;
    p.student_hidden = K;
    p.teacher_hidden = M;
    p.student_activation = activation;
    p.teacher_activation = activation;
    p.student_init_scale = 0.6;
    p.student_second_layer_init = 0.847;
    p.train_learning_rate = lr;
    p.train_alpha = 3;
    p.record_eg = PDX_EG_TEST_SET;
    p.record_test_size = P;
    pdx_params_resolve(&p, NULL);
    pdx_trainer *t = NULL;
    assert_int_equal(pdx_trainer_create(&t, N, K, M, P, NULL), PDX_OK);
    assert_int_equal(pdx_trainer_set(t, &p, 2385, 1, NULL), PDX_OK);
    assert_int_equal(pdx_trainer_iterate(t, pdx_trainer_total_steps(t)), 0);

    pdx_layout layout = {0};
    layout.vars = pdx_observe_variables(&layout.n_vars);
    layout.dim_size[PDX_DIM_TIME] = 1;
    layout.dim_size[PDX_DIM_STUDENT_UNIT] = layout.dim_size[PDX_DIM_STUDENT_UNIT2] = K;
    layout.dim_size[PDX_DIM_TEACHER_UNIT] = layout.dim_size[PDX_DIM_TEACHER_UNIT2] = M;
    double eg[1], Q[K * K], R[K * M], T[M * M], v[K], norm[1];
    double *out[PDX_OBS_COUNT] = {eg, Q, R, T, v, norm};
    pdx_observe_teacher(t, &layout, out);
    pdx_observe_measure(t, &layout, 0, out);

    /* test-set mean and its standard error, computed here */
    double sum = 0, sum2 = 0, lambda[K];
    const double *test_x, *test_y;
    assert_int_equal(pdx_trainer_test_set(t, &test_x, &test_y), P);
    for (size_t mu = 0; mu < P; mu++) {
        double d = test_y[mu] - pdx_model_forward(pdx_trainer_student(t),
                                                  test_x + mu * N, lambda);
        double e = 0.5 * d * d;
        sum += e;
        sum2 += e * e;
    }
    double mean = sum / P, se = sqrt((sum2 / P - mean * mean) / (P - 1));
    assert_double_close(eg[0], mean, 1e-12); /* measure used the test set */
    double closed = pdx_observe_eg_closed_form(
        activation, K, M, Q, K, R, M, T, M, v, pdx_trainer_teacher(t)->v);
    if (fabs(closed - mean) > 3.0 * se)
        fail_msg("closed form eg = %.6g, test set %.6g +- %.2g (3 se = %.2g)",
                 closed, mean, se, 3 * se);
    /* and the run learned something: eg well below its initial value */
    assert_true(closed > 0.0);
    /* norm is the mean diagonal of Q */
    double qsum = 0;
    for (size_t k = 0; k < K; k++)
        qsum += Q[k * K + k];
    assert_double_close(norm[0], qsum / K, 1e-14);
    pdx_trainer_destroy(&t);
}

static void test_observe_closed_form_matches_test_set_erf(void **state)
{
    (void)state;
    closed_form_vs_test_set(PDX_ACT_ERF, 0.7);
}

static void test_observe_closed_form_matches_test_set_linear(void **state)
{
    (void)state;
    closed_form_vs_test_set(PDX_ACT_LINEAR, 0.2);
}

/* Exact identities: a student equal to the teacher has eg = 0; for K = M = 1
 * erf units eg = (1/pi)(asin(Q/(1+Q)) + asin(T/(1+T)) - 2 asin(R/...)). */
static void test_observe_closed_form_identities(void **state)
{
    (void)state;
    double Q[4] = {1.3, 0.2385, 0.2385, 0.77};
    double v[2] = {1.0, 0.6};
    assert_double_near(pdx_observe_eg_closed_form(PDX_ACT_ERF, 2, 2, Q, 2, Q,
                                                  2, Q, 2, v, v),
                       0.0, 1e-15);
    assert_double_near(pdx_observe_eg_closed_form(PDX_ACT_LINEAR, 2, 2, Q, 2,
                                                  Q, 2, Q, 2, v, v),
                       0.0, 1e-15);
    double q = 0.81, r = 0.43, tt = 1.07, one = 1.0;
    double expect = (asin(q / (1 + q)) + asin(tt / (1 + tt)) -
                     2 * asin(r / sqrt((1 + q) * (1 + tt)))) / M_PI;
    assert_double_close(pdx_observe_eg_closed_form(PDX_ACT_ERF, 1, 1, &q, 1,
                                                   &r, 1, &tt, 1, &one, &one),
                        expect, 1e-14);
    /* linear: eg = (Q - 2R + T)/2 */
    assert_double_close(pdx_observe_eg_closed_form(PDX_ACT_LINEAR, 1, 1, &q,
                                                   1, &r, 1, &tt, 1, &one,
                                                   &one),
                        0.5 * (q - 2 * r + tt), 1e-14);
    assert_true(isnan(pdx_observe_eg_closed_form(PDX_ACT_RELU, 1, 1, &q, 1,
                                                 &r, 1, &tt, 1, &one, &one)));
}

/* Saad & Solla (1995): with an uninformed student (R = 0, Q -> 0) and an
 * orthonormal erf teacher of M units, eg = (M/pi) asin(1/2) = M/6. */
static void test_observe_uninformed_student(void **state)
{
    (void)state;
    double Q[4] = {0, 0, 0, 0}, R[4] = {0, 0, 0, 0}, T[4] = {1, 0, 0, 1};
    double v[2] = {1, 1};
    assert_double_close(pdx_observe_eg_closed_form(PDX_ACT_ERF, 2, 2, Q, 2, R,
                                                   2, T, 2, v, v),
                        2.0 / 6.0, 1e-14);
}

/* The observer's burn-in averages are the means of what pdx_observe_measure
 * reports at the same moments; pdx_observer_start forgets them; per-task
 * values come from the trainer (time to fit, acceptance rate), and online
 * tasks get none. Metropolis on a binary perceptron (N = 40, alpha = 2.15,
 * T = 0.385), sampled at sweeps 5..20. */
static void test_observe_observer_averages(void **state)
{
    (void)state;
    enum { N = 40 };
    pdx_params p;
    pdx_params_default(&p);
    p.N = N;
    p.teacher_kind = PDX_MODEL_PERCEPTRON;
    p.student_kind = PDX_MODEL_PERCEPTRON;
    p.student_weights = PDX_WEIGHTS_BINARY;
    p.data_alpha = 2.15;
    p.data_label_noise = 0.1;
    p.train_algorithm = PDX_ALG_METROPOLIS;
    p.train_temperature = 0.385;
    p.train_epochs = 20;
    pdx_params_resolve(&p, NULL);
    size_t P = (size_t)pdx_params_train_size(&p);
    pdx_trainer *t = NULL;
    pdx_observer *o = NULL;
    assert_int_equal(pdx_trainer_create_finite(&t, N, 1, 1, 0, P, NULL),
                     PDX_OK);
    assert_int_equal(pdx_observer_create(&o, 1, 1, NULL), PDX_OK);
    assert_int_equal(pdx_trainer_set_cell(t, &p, 2385, 17, 3, NULL), PDX_OK);
    assert_true(pdx_trainer_samples_averages(&p));

    pdx_layout layout = {0};
    layout.vars = pdx_observe_variables(&layout.n_vars);
    assert_int_equal(layout.n_vars, PDX_OBS_COUNT);
    layout.dim_size[PDX_DIM_TIME] = 1;
    layout.dim_size[PDX_DIM_STUDENT_UNIT] =
        layout.dim_size[PDX_DIM_STUDENT_UNIT2] = 1;
    layout.dim_size[PDX_DIM_TEACHER_UNIT] =
        layout.dim_size[PDX_DIM_TEACHER_UNIT2] = 1;
    double v[PDX_OBS_COUNT];
    double *out[PDX_OBS_COUNT];
    for (size_t i = 0; i < PDX_OBS_COUNT; i++) {
        v[i] = -2.385; /* untouched marker */
        out[i] = &v[i];
    }
    pdx_observe_teacher(t, &layout, out);
    pdx_observer_start(o);
    double eg = 0, et = 0, etc = 0, R = 0;
    for (int64_t sweep = 5; sweep <= 20; sweep++) {
        assert_int_equal(pdx_trainer_iterate(t, sweep * N), 0);
        pdx_observe_measure(t, &layout, 0, out);
        eg += v[PDX_OBS_EG];
        et += v[PDX_OBS_TRAIN_ERROR];
        etc += v[PDX_OBS_TRAIN_ERROR_CLEAN];
        R += v[PDX_OBS_R];
        pdx_observe_sample(o, t, &layout, out);
    }
    assert_int_equal(pdx_observer_samples(o), 16);
    pdx_observe_task(o, t, &layout, out);
    assert_double_close(v[PDX_OBS_EG_MEAN], eg / 16, 1e-14);
    assert_double_close(v[PDX_OBS_TRAIN_ERROR_MEAN], et / 16, 1e-14);
    assert_double_close(v[PDX_OBS_TRAIN_ERROR_CLEAN_MEAN], etc / 16, 1e-14);
    assert_double_close(v[PDX_OBS_R_MEAN], R / 16, 1e-14);
    assert_true(v[PDX_OBS_ACCEPT_RATE] > 0 && v[PDX_OBS_ACCEPT_RATE] <= 1);
    assert_double_close(v[PDX_OBS_ACCEPT_RATE], pdx_trainer_accept_rate(t), 0);
    double ttf = pdx_trainer_time_to_fit(t);
    assert_true(isnan(ttf) ? isnan(v[PDX_OBS_TIME_TO_FIT])
                           : v[PDX_OBS_TIME_TO_FIT] == ttf);

    /* a new task: no samples, so no averages written */
    pdx_observer_start(o);
    assert_int_equal(pdx_observer_samples(o), 0);
    v[PDX_OBS_EG_MEAN] = -2.385;
    pdx_observe_task(o, t, &layout, out);
    assert_true(v[PDX_OBS_EG_MEAN] == -2.385);

    /* online tasks have no per-task values */
    pdx_params online;
    pdx_params_default(&online);
    online.N = N;
    online.student_hidden = online.teacher_hidden = 1;
    pdx_params_resolve(&online, NULL);
    assert_false(pdx_trainer_samples_averages(&online));
    assert_int_equal(pdx_trainer_set(t, &online, 2385, 0, NULL), PDX_OK);
    assert_null(pdx_trainer_dataset(t));
    assert_true(isnan(pdx_trainer_accept_rate(t)));
    v[PDX_OBS_TIME_TO_FIT] = -2.385;
    pdx_observe_task(o, t, &layout, out);
    assert_true(v[PDX_OBS_TIME_TO_FIT] == -2.385);
    pdx_observer_destroy(&o);
    pdx_observer_destroy(&o); /* NULL is fine */
    assert_null(o);
    pdx_trainer_destroy(&t);
}

/* record.bayes (issue 14): chain 0 of pdx_trainer_set_chain is
 * pdx_trainer_set_cell bit for bit; chain 1 has the same teacher and data
 * but its own start and moves; the pair observer's q is w.w'/N, q_mean the
 * mean of the samples' q, eg_bayes the error of the sum of both chains'
 * samples (here summed by hand). Spherical Metropolis, N = 30. */
static void test_observe_pair_centre_of_mass(void **state)
{
    (void)state;
    enum { N = 30, SAMPLES = 7 };
    pdx_params p;
    pdx_params_default(&p);
    p.N = N;
    p.teacher_kind = PDX_MODEL_PERCEPTRON;
    p.student_kind = PDX_MODEL_PERCEPTRON;
    p.student_weights = PDX_WEIGHTS_SPHERICAL;
    p.data_alpha = 1.85;
    p.train_algorithm = PDX_ALG_METROPOLIS;
    p.train_temperature = 0.615;
    p.train_epochs = 20;
    p.record_bayes = 1;
    pdx_params_resolve(&p, NULL);
    size_t P = (size_t)pdx_params_train_size(&p);
    pdx_trainer *a = NULL, *b = NULL, *c = NULL;
    pdx_pair_observer *pair = NULL;
    assert_int_equal(pdx_trainer_create_finite(&a, N, 1, 1, 0, P, NULL),
                     PDX_OK);
    assert_int_equal(pdx_trainer_create_finite(&b, N, 1, 1, 0, P, NULL),
                     PDX_OK);
    assert_int_equal(pdx_trainer_create_finite(&c, N, 1, 1, 0, P, NULL),
                     PDX_OK);
    assert_int_equal(pdx_pair_observer_create(&pair, N, NULL), PDX_OK);
    assert_int_equal(pdx_trainer_set_chain(a, &p, 77, 4242, 2, 0, NULL),
                     PDX_OK);
    assert_int_equal(pdx_trainer_set_chain(b, &p, 77, 4242, 2, 1, NULL),
                     PDX_OK);
    assert_int_equal(pdx_trainer_set_cell(c, &p, 77, 4242, 2, NULL), PDX_OK);
    const pdx_committee *sa = pdx_trainer_student(a),
                        *sb = pdx_trainer_student(b),
                        *sc = pdx_trainer_student(c);
    /* same teacher and training set, different start */
    assert_memory_equal(pdx_trainer_teacher(a)->w, pdx_trainer_teacher(b)->w,
                        N * sizeof(double));
    assert_memory_equal(pdx_trainer_dataset(a)->y, pdx_trainer_dataset(b)->y,
                        P * sizeof(double));
    assert_true(memcmp(sa->w, sb->w, N * sizeof(double)) != 0);

    pdx_layout layout = {0};
    layout.vars = pdx_observe_variables(&layout.n_vars);
    layout.dim_size[PDX_DIM_TIME] = 1;
    double v[PDX_OBS_COUNT];
    double *out[PDX_OBS_COUNT];
    for (size_t i = 0; i < PDX_OBS_COUNT; i++) {
        v[i] = -2.385;
        out[i] = &v[i];
    }
    pdx_pair_observer_start(pair);
    pdx_observe_pair_task(pair, a, &layout, out); /* no samples: nothing */
    assert_true(v[PDX_OBS_EG_BAYES] == -2.385);
    double sum[N] = {0}, q_sum = 0.0;
    for (int s = 1; s <= SAMPLES; s++) {
        int64_t at = (int64_t)(2 * s) * N;
        assert_int_equal(pdx_trainer_iterate(a, at), 0);
        assert_int_equal(pdx_trainer_iterate(b, at), 0);
        assert_int_equal(pdx_trainer_iterate(c, at), 0);
        assert_memory_equal(sa->w, sc->w, N * sizeof(double)); /* chain 0 */
        assert_true(memcmp(sa->w, sb->w, N * sizeof(double)) != 0);
        double q = 0.0;
        for (size_t j = 0; j < N; j++) {
            q += sa->w[j] * sb->w[j];
            sum[j] += sa->w[j] + sb->w[j];
        }
        q_sum += q / N;
        pdx_observe_pair_measure(a, b, &layout, 0, out);
        assert_double_close(v[PDX_OBS_Q_PAIR], q / N, 1e-13);
        pdx_observe_pair_sample(pair, a, b);
    }
    pdx_observe_pair_task(pair, a, &layout, out);
    assert_double_close(v[PDX_OBS_Q_MEAN], q_sum / SAMPLES, 1e-13);
    const double *B = pdx_trainer_teacher(a)->w;
    double ww = 0.0, wb = 0.0, bb = 0.0;
    for (size_t j = 0; j < N; j++) {
        ww += sum[j] * sum[j];
        wb += sum[j] * B[j];
        bb += B[j] * B[j];
    }
    assert_double_close(v[PDX_OBS_EG_BAYES],
                        acos(wb / sqrt(ww * bb)) / M_PI, 1e-12);
    assert_true(v[PDX_OBS_EG_BAYES] > 0.0 && v[PDX_OBS_EG_BAYES] < 0.5);
    pdx_pair_observer_destroy(&pair);
    pdx_pair_observer_destroy(&pair); /* NULL is fine */
    pdx_trainer_destroy(&a);
    pdx_trainer_destroy(&b);
    pdx_trainer_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observe_closed_form_matches_test_set_erf),
        cmocka_unit_test(test_observe_closed_form_matches_test_set_linear),
        cmocka_unit_test(test_observe_closed_form_identities),
        cmocka_unit_test(test_observe_uninformed_student),
        cmocka_unit_test(test_observe_observer_averages),
        cmocka_unit_test(test_observe_pair_centre_of_mass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
