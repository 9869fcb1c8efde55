/* test_model.c — activations, kernels and the online SGD step against a
 * straightforward reference implementation. */
#include <stdlib.h>
#include <string.h>

#include "pdx/model.h"
#include "pdx/rng.h"
#include "pdx/train.h"
#include "pdx_test.h"

static void test_model_activations_and_derivatives(void **state)
{
    (void)state;
    const int acts[] = {PDX_ACT_ERF, PDX_ACT_RELU, PDX_ACT_TANH,
                        PDX_ACT_LINEAR};
    const double zs[] = {-2.385, -0.731, 0.2417, 1.913};
    for (size_t a = 0; a < 4; a++)
        for (size_t i = 0; i < 4; i++) {
            double z = zs[i], h = 1e-6;
            double fd = (pdx_model_g(acts[a], z + h) -
                         pdx_model_g(acts[a], z - h)) / (2 * h);
            assert_double_near(pdx_model_dg(acts[a], z), fd, 1e-8);
        }
    assert_double_close(pdx_model_g(PDX_ACT_ERF, 1.1), erf(1.1 / sqrt(2.0)),
                        1e-15);
    assert_double_close(pdx_model_g(PDX_ACT_SIGN, -0.3), -1.0, 0);
    assert_double_close(pdx_model_g(PDX_ACT_RELU, -0.3), 0.0, 0);
}

static void test_model_dot_matches_naive_sum(void **state)
{
    (void)state;
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 5, PDX_RNG_TEST, 0, 0);
    for (size_t n = 1; n < 40; n += 3) {
        double x[40], y[40];
        pdx_rng_gaussian(&s, n, x, n);
        pdx_rng_gaussian(&s, 100 + n, y, n);
        long double ref = 0;
        for (size_t j = 0; j < n; j++)
            ref += (long double)x[j] * y[j];
        assert_double_near(pdx_model_dot(x, y, n), (double)ref, 1e-12);
    }
}

/* pdx's erf (a table of polynomials, see scripts/gen-erf-table.py) is
 * within 2e-15 of libm's everywhere: a dense grid through every interval
 * and its edges, tiny and huge arguments; erf(0) = 0, odd, +-1 at
 * infinity, NaN kept. pdx_model_g_many gives the same bits as
 * pdx_model_g, for lengths that exercise vector loop tails. */
static void test_model_erf_table_accuracy(void **state)
{
    (void)state;
    double worst = 0.0;
    for (long i = -2000000; i <= 2000000; i++) {
        double z = (double)i * 4.5e-6; /* |z / sqrt 2| up to 6.4 */
        double e = fabs(pdx_model_g(PDX_ACT_ERF, z) - erf(z / sqrt(2.0)));
        worst = fmax(worst, e);
    }
    for (int k = 0; k <= 33; k++) { /* interval edges t = k 0.1875 */
        for (int d = -2; d <= 2; d++) {
            double t = nextafter(k * 0.1875, d < 0 ? 0.0 : 10.0);
            if (d == 0)
                t = k * 0.1875;
            double z = t * sqrt(2.0);
            worst = fmax(worst, fabs(pdx_model_g(PDX_ACT_ERF, z) -
                                     erf(z / sqrt(2.0))));
        }
    }
    if (worst > 2e-15)
        fail_msg("erf differs from libm by %g", worst);
    assert_true(pdx_model_g(PDX_ACT_ERF, 0.0) == 0.0);
    assert_double_close(pdx_model_g(PDX_ACT_ERF, 1e-300),
                        1e-300 * sqrt(2.0 / M_PI), 1e-15);
    assert_true(pdx_model_g(PDX_ACT_ERF, -0.7) ==
                -pdx_model_g(PDX_ACT_ERF, 0.7));
    assert_true(pdx_model_g(PDX_ACT_ERF, 9.0) == 1.0);
    assert_true(pdx_model_g(PDX_ACT_ERF, INFINITY) == 1.0);
    assert_true(pdx_model_g(PDX_ACT_ERF, -INFINITY) == -1.0);
    assert_true(isnan(pdx_model_g(PDX_ACT_ERF, NAN)));

    double z[37], many[37];
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 11, PDX_RNG_TEST, 0, 0);
    pdx_rng_gaussian(&s, 0, z, 37);
    z[3] = NAN;
    z[5] = 0.0;
    z[8] = 12.0;
    for (size_t n = 1; n <= 37; n += 4) {
        for (size_t i = 0; i < n; i++)
            z[i] *= 1.7;
        pdx_model_g_many(PDX_ACT_ERF, z, many, n);
        for (size_t i = 0; i < n; i++) {
            double one = pdx_model_g(PDX_ACT_ERF, z[i]);
            assert_memory_equal(&many[i], &one, sizeof one);
        }
    }
}

/* pdx_model_dot_rows gives, row by row, the bits of pdx_model_dot, for
 * every row count (blocks of 4 and the rest) and lengths with tails. */
static void test_model_dot_rows_matches_dot(void **state)
{
    (void)state;
    enum { ROWS = 11, LD = 45 };
    double w[ROWS * LD], x[LD], out[ROWS];
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 12, PDX_RNG_TEST, 0, 0);
    pdx_rng_gaussian(&s, 0, w, ROWS * LD);
    pdx_rng_gaussian(&s, 1, x, LD);
    for (size_t rows = 1; rows <= ROWS; rows++)
        for (size_t n = 1; n <= LD; n += 7) {
            pdx_model_dot_rows(w, rows, LD, x, n, out);
            for (size_t r = 0; r < rows; r++) {
                double one = pdx_model_dot(w + r * LD, x, n);
                assert_memory_equal(&out[r], &one, sizeof one);
            }
        }
}

/* Straightforward online SGD step, written independently of
 * src/train/online.c. */
static void reference_run(const pdx_params *p, uint64_t seed, uint64_t replica,
                          int64_t steps, double *w_out, double *v_out)
{
    size_t N = (size_t)p->N, K = (size_t)p->student_hidden,
           M = (size_t)p->teacher_hidden;
    double *B = malloc(M * N * sizeof *B), *w = w_out, *x = malloc((N + 1) * sizeof *x);
    pdx_rng_stream ts, is, xs;
    pdx_rng_stream_init(&ts, seed, PDX_RNG_TEACHER, 0, replica);
    pdx_rng_stream_init(&is, seed, PDX_RNG_INIT, 0, replica);
    pdx_rng_stream_init(&xs, seed, PDX_RNG_INPUTS, 0, replica);
    for (size_t m = 0; m < M; m++)
        pdx_rng_gaussian(&ts, m, B + m * N, N);
    for (size_t k = 0; k < K; k++) {
        pdx_rng_gaussian(&is, k, w + k * N, N);
        for (size_t j = 0; j < N; j++)
            w[k * N + j] *= p->student_init_scale;
        v_out[k] = p->student_second_layer_init;
    }
    for (int64_t t = 0; t < steps; t++) {
        pdx_rng_gaussian(&xs, (uint64_t)t, x, N + 1);
        double y = 0, yhat = 0, lam[8], dlam[8];
        for (size_t m = 0; m < M; m++) {
            double s = 0;
            for (size_t j = 0; j < N; j++)
                s += B[m * N + j] * x[j];
            y += pdx_model_g(p->teacher_activation, s / sqrt((double)N));
        }
        y += p->teacher_output_noise * x[N];
        for (size_t k = 0; k < K; k++) {
            double s = 0;
            for (size_t j = 0; j < N; j++)
                s += w[k * N + j] * x[j];
            lam[k] = s / sqrt((double)N);
            yhat += v_out[k] * pdx_model_g(p->student_activation, lam[k]);
            dlam[k] = pdx_model_dg(p->student_activation, lam[k]);
        }
        double d = y - yhat;
        double vold[8];
        memcpy(vold, v_out, K * sizeof *v_out);
        if (p->student_second_layer == PDX_SECOND_TRAINED)
            for (size_t k = 0; k < K; k++)
                v_out[k] += p->train_learning_rate_second / (double)N * d *
                            pdx_model_g(p->student_activation, lam[k]);
        for (size_t k = 0; k < K; k++)
            for (size_t j = 0; j < N; j++)
                w[k * N + j] += p->train_learning_rate / sqrt((double)N) * d *
                                vold[k] * dlam[k] * x[j];
    }
    free(B);
    free(x);
}

static void check_against_reference(pdx_params *p)
{
    pdx_params_resolve(p, NULL);
    pdx_trainer *t = NULL;
    assert_int_equal(pdx_trainer_create(&t, (size_t)p->N,
                                        (size_t)p->student_hidden,
                                        (size_t)p->teacher_hidden,
                                        (size_t)p->record_test_size, NULL),
                     PDX_OK);
    assert_int_equal(pdx_trainer_set(t, p, 99, 3, NULL), PDX_OK);
    int64_t steps = 700;
    int diverged = pdx_trainer_iterate(t, steps);
    if (diverged)
        fail_msg("diverged at step %lld", (long long)pdx_trainer_step(t));
    assert_int_equal(pdx_trainer_step(t), steps);
    size_t K = (size_t)p->student_hidden, N = (size_t)p->N;
    double *w = malloc(K * N * sizeof *w), v[8];
    reference_run(p, 99, 3, steps, w, v);
    for (size_t i = 0; i < K * N; i++)
        assert_double_near(pdx_trainer_student(t)->w[i], w[i], 1e-12);
    for (size_t k = 0; k < K; k++)
        assert_double_near(pdx_trainer_student(t)->v[k], v[k], 1e-12);
    free(w);
    pdx_trainer_destroy(&t);
    assert_null(t);
}

static void test_model_sgd_matches_reference_erf(void **state)
{
    (void)state;
    pdx_params p;
    pdx_params_default(&p);
    p.N = 37;
    p.student_hidden = 3;
    p.teacher_hidden = 2;
    p.train_learning_rate = 0.731;
    p.student_init_scale = 0.2385;
    p.train_alpha = 100;
    check_against_reference(&p);
}

static void test_model_sgd_matches_reference_relu_noise_second_layer(void **state)
{
    (void)state;
    pdx_params p;
    pdx_params_default(&p);
    p.N = 41;
    p.student_hidden = 2;
    p.teacher_hidden = 3;
    p.student_activation = PDX_ACT_RELU;
    p.teacher_activation = PDX_ACT_TANH;
    p.teacher_output_noise = 0.317;
    p.student_second_layer = PDX_SECOND_TRAINED;
    p.student_second_layer_init = 0.613;
    p.train_learning_rate = 0.213;
    p.train_learning_rate_second = 0.0917;
    p.student_init_scale = 0.5;
    p.train_alpha = 100;
    p.record_test_size = 64; /* no closed form: a (small) test set */
    check_against_reference(&p);
}

/* A huge learning rate diverges: iterate reports it and stops. */
static void test_model_divergence_detected(void **state)
{
    (void)state;
    pdx_params p;
    pdx_params_default(&p);
    p.N = 50;
    p.student_activation = PDX_ACT_LINEAR;
    p.teacher_activation = PDX_ACT_LINEAR;
    p.train_learning_rate = 9.5;
    p.train_alpha = 200;
    pdx_params_resolve(&p, NULL);
    pdx_trainer *t = NULL;
    assert_int_equal(pdx_trainer_create(&t, 50, 2, 2, 0, NULL), PDX_OK);
    assert_int_equal(pdx_trainer_set(t, &p, 1, 0, NULL), PDX_OK);
    assert_int_equal(pdx_trainer_iterate(t, pdx_trainer_total_steps(t)), 1);
    assert_int_equal(pdx_trainer_check(t), 1); /* stays diverged */
    assert_true(pdx_trainer_step(t) < pdx_trainer_total_steps(t));
    pdx_trainer_destroy(&t);
}

static void test_model_workspace_limits(void **state)
{
    (void)state;
    pdx_params p;
    pdx_params_default(&p);
    p.N = 64;
    pdx_params_resolve(&p, NULL);
    pdx_trainer *t = NULL;
    pdx_error err;
    assert_int_equal(pdx_trainer_create(&t, 32, 2, 2, 0, NULL), PDX_OK);
    assert_int_equal(pdx_trainer_set(t, &p, 1, 0, &err), PDX_ERR_USAGE);
    assert_non_null(strstr(err.message, "N=64"));
    pdx_trainer_destroy(&t);
    pdx_trainer_destroy(&t); /* NULL is fine */
}

/* teacher.normalise (issue 14): none is the raw TEACHER stream bit for bit;
 * unit_norm gives |B_m|^2 = N; orthonormal gives T = I; binary rows keep
 * their bits. */
static void test_model_teacher_normalise(void **state)
{
    (void)state;
    enum { M = 3, N = 37 };
    static double B[M * N], raw[M * N], T[M * M];
    pdx_rng_stream stream;
    pdx_rng_stream_init(&stream, 4711, PDX_RNG_TEACHER, 0, 3);
    for (size_t m = 0; m < M; m++)
        pdx_rng_gaussian(&stream, m, raw + m * N, N);
    pdx_model_teacher_rows(B, M, N, 4711, 3, 0, PDX_NORMALISE_NONE);
    assert_memory_equal(B, raw, sizeof B);
    pdx_model_teacher_overlaps(B, M, N, T);
    double off = 0.0, diag = 0.0;
    for (size_t m = 0; m < M; m++)
        for (size_t o = 0; o < M; o++)
            if (m == o)
                diag += fabs(T[m * M + o] - 1.0);
            else
                off += fabs(T[m * M + o]);
    assert_true(diag > 1e-2 && off > 1e-2); /* as drawn: not normalised */
    pdx_model_teacher_rows(B, M, N, 4711, 3, 0, PDX_NORMALISE_UNIT_NORM);
    pdx_model_teacher_overlaps(B, M, N, T);
    for (size_t m = 0; m < M; m++) {
        assert_double_close(T[m * M + m], 1.0, 1e-14);
        for (size_t j = 0; j < N; j++) /* the same direction */
            assert_true(B[m * N + j] * raw[m * N + j] >= 0.0);
    }
    assert_true(fabs(T[1]) > 1e-2); /* rows stay correlated */
    pdx_model_teacher_rows(B, M, N, 4711, 3, 0, PDX_NORMALISE_ORTHONORMAL);
    pdx_model_teacher_overlaps(B, M, N, T);
    for (size_t m = 0; m < M; m++)
        for (size_t o = 0; o < M; o++)
            if (m == o)
                assert_double_close(T[m * M + o], 1.0, 1e-14);
            else
                assert_true(fabs(T[m * M + o]) < 1e-14);
    /* binary rows: |B|^2 = N already, unchanged by any normalisation */
    pdx_model_teacher_rows(raw, 1, N, 99, 0, 1, PDX_NORMALISE_NONE);
    pdx_model_teacher_rows(B, 1, N, 99, 0, 1, PDX_NORMALISE_ORTHONORMAL);
    assert_memory_equal(B, raw, N * sizeof *B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_activations_and_derivatives),
        cmocka_unit_test(test_model_dot_matches_naive_sum),
        cmocka_unit_test(test_model_erf_table_accuracy),
        cmocka_unit_test(test_model_dot_rows_matches_dot),
        cmocka_unit_test(test_model_sgd_matches_reference_erf),
        cmocka_unit_test(test_model_sgd_matches_reference_relu_noise_second_layer),
        cmocka_unit_test(test_model_divergence_detected),
        cmocka_unit_test(test_model_workspace_limits),
        cmocka_unit_test(test_model_teacher_normalise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
