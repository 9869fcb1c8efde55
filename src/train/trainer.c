/* train.c — trainer workspaces, teachers, students, test sets, and online
 * SGD of soft committee machines (Saad-Solla / Goldt); the finite-set
 * trainers are in train_finite.c.
 *
 * Step t draws x (N Gaussians) from the INPUTS stream, block t, shared by
 * every cell of a replica; the label-noise Gaussian is entry N of the same
 * block. Update, with delta = y - yhat:
 *     w_k += eta / sqrt(N) * delta * v_k * g'(lambda_k) * x
 *     v_k += eta_v / N * delta * g(lambda_k)        (trained second layer)
 */
#include "pdx/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"
#include "vec8.h"

/* A second test-set slot is kept when both fit in this many bytes. */
#define PDX_TEST_CACHE_BYTES (64.0 * 1024 * 1024)

static int test_slots(size_t max_N, size_t max_test)
{
    double one = 8.0 * (double)max_test * ((double)max_N + 1.0);
    return max_test > 0 && 2.0 * one <= PDX_TEST_CACHE_BYTES ? 2 : 1;
}

double pdx_trainer_workspace_bytes(size_t max_N, size_t max_K, size_t max_M,
                                   size_t max_test)
{
    double doubles = (double)max_K * (double)max_N      /* student w */
                     + (double)max_M * (double)max_N    /* teacher B */
                     + (double)max_N + 2.0              /* x */
                     + 3.0 * (double)max_K + 2.0 * (double)max_M
                     + (double)test_slots(max_N, max_test) *
                           ((double)max_test * (double)max_N /* test inputs */
                            + (double)max_test);             /* labels */
    return 8.0 * doubles + (double)sizeof(pdx_trainer);
}

double pdx_trainer_workspace_bytes_finite(size_t max_N, size_t max_K,
                                          size_t max_M, size_t max_test,
                                          size_t max_P)
{
    double bytes = pdx_trainer_workspace_bytes(max_N, max_K, max_M, max_test);
    if (max_P == 0)
        return bytes;
    double doubles = (double)max_K * (double)max_N + (double)max_K /* grad */
                     + (double)max_P                                /* field */
                     + (double)max_N * (double)max_P                /* xt */
                     + 4.0 * (double)max_N + 4.0                    /* uniforms */
                     + (double)max_K * (double)max_M;               /* sum_R */
    return bytes + 8.0 * doubles + 4.0 * (double)max_P +
           pdx_dataset_bytes(max_N, max_P);
}

pdx_status pdx_trainer_create(pdx_trainer **out, size_t max_N, size_t max_K,
                              size_t max_M, size_t max_test, pdx_error *err)
{
    return pdx_trainer_create_finite(out, max_N, max_K, max_M, max_test, 0,
                                     err);
}

pdx_status pdx_trainer_create_finite(pdx_trainer **out, size_t max_N,
                                     size_t max_K, size_t max_M,
                                     size_t max_test, size_t max_P,
                                     pdx_error *err)
{
    *out = NULL;
    pdx_trainer *t = calloc(1, sizeof *t);
    if (t == NULL)
        goto nomem;
    t->max_N = max_N;
    t->max_K = max_K;
    t->max_M = max_M;
    t->max_test = max_test;
    t->max_P = max_P;
    t->student.w = pdx_alloc_doubles(max_K * max_N);
    t->student.v = pdx_alloc_doubles(max_K);
    t->teacher.w = pdx_alloc_doubles(max_M * max_N);
    t->teacher.v = pdx_alloc_doubles(max_M);
    t->x = pdx_alloc_doubles(max_N + 2);
    t->lambda = pdx_alloc_doubles(max_K);
    t->nu = pdx_alloc_doubles(max_M);
    t->coef = pdx_alloc_doubles(max_K);
    t->test_slots = test_slots(max_N, max_test);
    int test_ok = 1;
    for (int slot = 0; max_test > 0 && slot < t->test_slots; slot++) {
        t->test_x_slot[slot] = pdx_alloc_doubles(max_test * max_N);
        t->test_y_slot[slot] = pdx_alloc_doubles(max_test);
        test_ok = test_ok && t->test_x_slot[slot] && t->test_y_slot[slot];
    }
    t->test_x = t->test_x_slot[0];
    t->test_y = t->test_y_slot[0];
    t->perm_epoch = -1;
    t->uniforms_sweep = -1;
    int finite_ok = 1;
    if (max_P > 0) {
        t->grad_w = pdx_alloc_doubles(max_K * max_N);
        t->grad_v = pdx_alloc_doubles(max_K);
        t->field = pdx_alloc_doubles(max_P);
        t->xt = pdx_alloc_doubles(max_N * max_P);
        t->uniforms = pdx_alloc_doubles(4 * max_N + 4);
        t->sum_R = pdx_alloc_doubles(max_K * max_M);
        t->perm = calloc(max_P, sizeof *t->perm);
        finite_ok = t->grad_w && t->grad_v && t->field && t->xt &&
                    t->uniforms && t->sum_R && t->perm &&
                    pdx_dataset_create(&t->data, max_N, max_P, NULL) ==
                        PDX_OK;
    }
    if (!t->student.w || !t->student.v || !t->teacher.w || !t->teacher.v ||
        !t->x || !t->lambda || !t->nu || !t->coef ||
        !test_ok || !finite_ok) {
        pdx_trainer_destroy(&t);
        goto nomem;
    }
    *out = t;
    return PDX_OK;
nomem:
    return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                         "cannot allocate a training workspace of %.0f bytes",
                         pdx_trainer_workspace_bytes_finite(
                             max_N, max_K, max_M, max_test, max_P));
}

void pdx_trainer_destroy(pdx_trainer **trainer)
{
    if (trainer == NULL || *trainer == NULL)
        return;
    pdx_trainer *t = *trainer;
    free(t->student.w);
    free(t->student.v);
    free(t->teacher.w);
    free(t->teacher.v);
    free(t->x);
    free(t->lambda);
    free(t->nu);
    free(t->coef);
    for (int slot = 0; slot < 2; slot++) {
        free(t->test_x_slot[slot]);
        free(t->test_y_slot[slot]);
    }
    free(t->grad_w);
    free(t->grad_v);
    free(t->field);
    free(t->xt);
    free(t->uniforms);
    free(t->sum_R);
    free(t->perm);
    pdx_dataset_destroy(&t->data);
    free(t);
    *trainer = NULL;
}

int pdx_trainer_has_closed_form(const pdx_params *params)
{
    if (params->teacher_kind == PDX_MODEL_PERCEPTRON)
        return params->student_kind == PDX_MODEL_PERCEPTRON;
    return (params->student_activation == PDX_ACT_ERF &&
            params->teacher_activation == PDX_ACT_ERF) ||
           (params->student_activation == PDX_ACT_LINEAR &&
            params->teacher_activation == PDX_ACT_LINEAR);
}

/* The teacher of (params, seed, replica): a committee of M units, or a
 * perceptron (one sign unit; binary weights are the signs of the same
 * Gaussians). */
static void make_teacher(pdx_trainer *t, const pdx_params *params,
                         uint64_t seed, uint64_t replica)
{
    const size_t N = (size_t)params->N;
    const size_t M = (size_t)pdx_params_teacher_units(params);
    pdx_rng_stream teacher_stream;
    pdx_rng_stream_init(&teacher_stream, seed, PDX_RNG_TEACHER, 0, replica);
    t->teacher.N = N;
    t->teacher.K = M;
    t->classification = params->teacher_kind == PDX_MODEL_PERCEPTRON;
    t->teacher.activation =
        t->classification ? PDX_ACT_SIGN : params->teacher_activation;
    for (size_t m = 0; m < M; m++) {
        double *b = t->teacher.w + m * N;
        pdx_rng_gaussian(&teacher_stream, m, b, N);
        if (t->classification && params->teacher_weights == PDX_TEACHER_BINARY)
            for (size_t j = 0; j < N; j++)
                b[j] = b[j] >= 0.0 ? 1.0 : -1.0;
        t->teacher.v[m] = 1.0;
    }
}

/* Scale w (n entries) onto |w|^2 = n; a zero vector stays zero. */
static void to_sphere(double *w, size_t n)
{
    double q = pdx_model_dot(w, w, n);
    if (q > 0.0) {
        double f = sqrt((double)n / q);
        for (size_t j = 0; j < n; j++)
            w[j] *= f;
    }
}

/* The student's initial weights. Committees: w from the INIT stream times
 * init_scale; v = second_layer_init (twolayer: second_layer_init N(0,1)/
 * sqrt K, block 2^32 of INIT). Perceptrons (one linear unit, v = 1): hot =
 * START stream (continuous: times init_scale; spherical: rescaled; binary:
 * signs), cold = the teacher's weights (spherical: rescaled, binary:
 * signs); the Hebb rule starts from zero. */
static void make_student(pdx_trainer *t, const pdx_params *params,
                         uint64_t seed, uint64_t replica)
{
    const size_t N = (size_t)params->N;
    const size_t K = (size_t)pdx_params_student_units(params);
    pdx_rng_stream init_stream;
    pdx_committee *s = &t->student;
    s->N = N;
    s->K = K;
    if (params->student_kind == PDX_MODEL_PERCEPTRON) {
        s->activation = PDX_ACT_LINEAR;
        s->v[0] = 1.0;
        double *w = s->w;
        int weights = params->student_weights;
        if (params->train_algorithm == PDX_ALG_HEBB) {
            memset(w, 0, N * sizeof *w);
        } else if (params->train_start == PDX_START_COLD) {
            memcpy(w, t->teacher.w, N * sizeof *w);
        } else {
            pdx_rng_stream_init(&init_stream, seed, PDX_RNG_START, 0, replica);
            pdx_rng_gaussian(&init_stream, 0, w, N);
            if (weights == PDX_WEIGHTS_CONTINUOUS)
                for (size_t j = 0; j < N; j++)
                    w[j] *= params->student_init_scale;
        }
        /* the hidden continuous weights of clipped rules start here */
        if (t->grad_w != NULL)
            memcpy(t->grad_w, w, N * sizeof *w);
        if (weights == PDX_WEIGHTS_SPHERICAL)
            to_sphere(w, N);
        else if (weights == PDX_WEIGHTS_BINARY &&
                 params->train_algorithm != PDX_ALG_HEBB)
            for (size_t j = 0; j < N; j++)
                w[j] = w[j] >= 0.0 ? 1.0 : -1.0;
        return;
    }
    pdx_rng_stream_init(&init_stream, seed, PDX_RNG_INIT, 0, replica);
    s->activation = params->student_activation;
    for (size_t k = 0; k < K; k++) {
        double *w = s->w + k * N;
        pdx_rng_gaussian(&init_stream, k, w, N);
        for (size_t j = 0; j < N; j++)
            w[j] *= params->student_init_scale;
        s->v[k] = params->student_second_layer_init;
    }
    if (params->student_kind == PDX_MODEL_TWOLAYER) {
        pdx_rng_gaussian(&init_stream, (uint64_t)1 << 32, s->v, K);
        double scale = params->student_second_layer_init / sqrt((double)K);
        for (size_t k = 0; k < K; k++)
            s->v[k] *= scale;
    }
}

pdx_status pdx_trainer_set(pdx_trainer *t, const pdx_params *params,
                           uint64_t seed, uint64_t replica, pdx_error *err)
{
    return pdx_trainer_set_cell(t, params, seed, 0, replica, err);
}

pdx_status pdx_trainer_set_cell(pdx_trainer *t, const pdx_params *params,
                                uint64_t seed, uint64_t cell_key,
                                uint64_t replica, pdx_error *err)
{
    size_t N = (size_t)params->N,
           K = (size_t)pdx_params_student_units(params),
           M = (size_t)pdx_params_teacher_units(params);
    size_t P = (size_t)pdx_params_train_size(params);
    int use_test = params->record_eg == PDX_EG_TEST_SET ||
                   (params->record_eg == PDX_EG_AUTO &&
                    !pdx_trainer_has_closed_form(params));
    size_t test_size = use_test ? (size_t)params->record_test_size : 0;
    if (N > t->max_N || K > t->max_K || M > t->max_M ||
        test_size > t->max_test || P > t->max_P)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "cell (N=%zu, K=%zu, M=%zu, test=%zu, P=%zu) "
                             "exceeds the workspace",
                             N, K, M, test_size, P);
    t->params = *params;
    t->seed = seed;
    t->replica = replica;
    t->cell_key = cell_key;
    t->step = 0;
    t->diverged = 0;
    if (pdx_params_finite(params)) {
        t->steps_per_epoch = pdx_params_steps_per_time(params);
        double steps = floor(params->train_epochs *
                             (double)t->steps_per_epoch + 0.5);
        if (params->train_algorithm == PDX_ALG_HEBB && steps > (double)P)
            steps = (double)P; /* one pass; later times hold its result */
        t->total_steps = (int64_t)steps;
    } else {
        t->steps_per_epoch = (int64_t)N;
        t->total_steps = (int64_t)floor(params->train_alpha * (double)N + 0.5);
    }
    make_teacher(t, params, seed, replica);
    make_student(t, params, seed, replica);

    t->test_size = test_size;
    uint64_t test_key[4] = {seed + 1, replica,
                            (uint64_t)N | ((uint64_t)test_size << 24),
                            (uint64_t)t->teacher.activation |
                                ((uint64_t)M << 8) |
                                ((uint64_t)params->teacher_weights << 16) |
                                ((uint64_t)params->teacher_kind << 24)};
    if (test_size > 0 &&
        memcmp(test_key, t->test_keys[t->test_slot], sizeof test_key) != 0) {
        /* the other slot holds it, or becomes the one regenerated */
        t->test_slot = (t->test_slot + 1) % t->test_slots;
        t->test_x = t->test_x_slot[t->test_slot];
        t->test_y = t->test_y_slot[t->test_slot];
    }
    if (test_size > 0 &&
        memcmp(test_key, t->test_keys[t->test_slot], sizeof test_key) != 0) {
        pdx_rng_stream test_stream;
        pdx_rng_stream_init(&test_stream, seed, PDX_RNG_TEST, 0, replica);
        for (size_t mu = 0; mu < test_size; mu++) {
            double *x = t->test_x + mu * N;
            pdx_rng_gaussian(&test_stream, mu, x, N);
            t->test_y[mu] = pdx_data_label(&t->teacher, t->classification, x,
                                           t->nu);
        }
        memcpy(t->test_keys[t->test_slot], test_key, sizeof test_key);
    }
    if (pdx_params_finite(params)) {
        pdx_status st = pdx_dataset_generate(t->data, params, &t->teacher,
                                             seed, replica, t->nu, err);
        if (st != PDX_OK)
            return st;
        pdx__trainer_finite_start(t);
    }
    return PDX_OK;
}

static int weights_finite(const pdx_trainer *t)
{
    const pdx_committee *s = &t->student;
    double limit = t->params.train_divergence_norm;
    for (size_t k = 0; k < s->K; k++) {
        const double *w = s->w + k * s->N;
        double q = pdx_model_dot(w, w, s->N) / (double)s->N;
        if (!isfinite(q) || q > limit || !isfinite(s->v[k]))
            return 0;
    }
    return 1;
}

int pdx_trainer_online_step(pdx_trainer *t, const double *restrict x,
                            double y_clean)
{
    pdx_committee *s = &t->student;
    const size_t N = s->N, K = s->K;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const double eta_w = t->params.train_learning_rate * inv_sqrt_N;
    const double noise = t->params.teacher_output_noise;
    const double y = noise > 0.0 ? y_clean + noise * x[N] : y_clean;
    double yhat = 0.0;
    for (size_t k = 0; k < K; k++) {
        t->lambda[k] = pdx_model_dot(s->w + k * N, x, N) * inv_sqrt_N;
        yhat += s->v[k] * pdx_model_g(s->activation, t->lambda[k]);
    }
    double delta = y - yhat;
    if (!isfinite(delta)) {
        t->diverged = 1;
        return 1;
    }
    for (size_t k = 0; k < K; k++)
        t->coef[k] = eta_w * delta * s->v[k] *
                     pdx_model_dg(s->activation, t->lambda[k]);
    if (t->params.student_second_layer == PDX_SECOND_TRAINED) {
        const double eta_v = t->params.train_learning_rate_second / (double)N;
        for (size_t k = 0; k < K; k++)
            s->v[k] += eta_v * delta * pdx_model_g(s->activation, t->lambda[k]);
    }
    for (size_t k = 0; k < K; k++) {
        double *restrict w = s->w + k * N;
        const double c = t->coef[k];
        for (size_t j = 0; j < N; j++)
            w[j] += c * x[j];
    }
    t->step++;
    return 0;
}

int pdx_trainer_check(pdx_trainer *t)
{
    if (!t->diverged && !weights_finite(t))
        t->diverged = 1;
    return t->diverged;
}

size_t pdx_trainer_online_draws(const pdx_params *params)
{
    return (size_t)params->N + (params->teacher_output_noise > 0.0 ? 1 : 0);
}

int pdx_trainer_iterate(pdx_trainer *t, int64_t until_step)
{
    if (t->diverged)
        return 1;
    if (pdx_params_finite(&t->params))
        return pdx__trainer_finite_iterate(t, until_step);
    if (until_step > t->total_steps)
        until_step = t->total_steps;
    const size_t draws = pdx_trainer_online_draws(&t->params);
    pdx_rng_stream inputs;
    pdx_rng_stream_init(&inputs, t->seed, PDX_RNG_INPUTS, 0, t->replica);
    while (t->step < until_step) {
        pdx_rng_gaussian(&inputs, (uint64_t)t->step, t->x, draws);
        double y = pdx_model_forward(&t->teacher, t->x, t->nu);
        if (pdx_trainer_online_step(t, t->x, y))
            return 1;
    }
    return pdx_trainer_check(t);
}
