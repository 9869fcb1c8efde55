/* trainer.c — the trainer table, the trainer object (workspaces,
 * teachers, students, test and training sets) and the dispatch of
 * pdx_trainer_iterate to the row of the current task. The algorithms
 * themselves are in one file per family: online.c, gradient.c, rules.c,
 * metropolis.c (docs/TRAINERS.md: how to add one). */
#include "pdx/train.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"
#include "vec8.h"

/* The trainer table: one row per family. A train.algorithm value is
 * served by exactly one row (tests/test_train.c checks every choice of
 * the spec has one). */
const pdx__trainer_type *const pdx__trainer_table[] = {
    &pdx__trainer_online,
    &pdx__trainer_gradient,
    &pdx__trainer_rules,
    &pdx__trainer_metropolis,
    &pdx__trainer_deep,
    &pdx__trainer_propagate,
    &pdx__trainer_replicated_mc,
    &pdx__trainer_replicated_sgd,
    &pdx__trainer_entropy_sgd,
    &pdx__trainer_replicated_deep,
    &pdx__trainer_entropy_deep,
    NULL,
};

const pdx__trainer_type *pdx__trainer_type_of(
    int algorithm, int deep, const pdx__trainer_algorithm **served)
{
    for (size_t r = 0; pdx__trainer_table[r] != NULL; r++) {
        if (pdx__trainer_table[r]->deep != deep)
            continue;
        const pdx__trainer_algorithm *a = pdx__trainer_table[r]->algorithms;
        for (; a->name != NULL; a++)
            if (a->algorithm == algorithm) {
                if (served != NULL)
                    *served = a;
                return pdx__trainer_table[r];
            }
    }
    return NULL;
}

const char *pdx_trainer_family(int algorithm, const char **name)
{
    const pdx__trainer_algorithm *a = NULL;
    const pdx__trainer_type *row = pdx__trainer_type_of(algorithm, 0, &a);
    if (row == NULL)
        row = pdx__trainer_type_of(algorithm, 1, &a);
    if (name != NULL)
        *name = row != NULL ? a->name : NULL;
    return row != NULL ? row->family : NULL;
}

int pdx_trainer_samples_averages(const pdx_params *params)
{
    const pdx__trainer_algorithm *a = NULL;
    return pdx__trainer_type_of(params->train_algorithm,
                                params->student_kind == PDX_MODEL_DEEP,
                                &a) != NULL &&
           a->averages;
}

/* A second test-set slot is kept when both fit in this many bytes. */
#define PDX_TEST_CACHE_BYTES (64.0 * 1024 * 1024)

/* The memory estimate counts the trainer's fixed part (struct pdx_trainer
 * and the largest family state) as at least this many bytes, the size of
 * the object before the trainer table (issue 13), so that `pdx plan`
 * prints the figures it printed while the object fits; a larger object
 * (more keys in pdx_params, a bigger family state) is counted at its
 * real size by fixed_bytes(). */
#define PDX_TRAINER_FIXED_BYTES 1152.0

/* The fixed part: struct pdx_trainer and the largest family state. */
static double fixed_bytes(void)
{
    size_t most = 0;
    for (size_t r = 0; pdx__trainer_table[r] != NULL; r++)
        if (pdx__trainer_table[r]->state_bytes > most)
            most = pdx__trainer_table[r]->state_bytes;
    double bytes = (double)(sizeof(struct pdx_trainer) + most);
    return bytes > PDX_TRAINER_FIXED_BYTES ? bytes : PDX_TRAINER_FIXED_BYTES;
}

static int test_slots(size_t max_N, size_t max_test)
{
    double one = 8.0 * (double)max_test * ((double)max_N + 1.0);
    return max_test > 0 && 2.0 * one <= PDX_TEST_CACHE_BYTES ? 2 : 1;
}

int pdx_trainer_test_slots(size_t max_N, size_t max_test)
{
    return test_slots(max_N, max_test);
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
    return 8.0 * doubles + fixed_bytes();
}

/* Doubles of the largest family workspace for these sizes (finite rows
 * only with training sets). */
static double family_doubles(const pdx__trainer_sizes *sz)
{
    double most = 0.0;
    for (size_t r = 0; pdx__trainer_table[r] != NULL; r++) {
        const pdx__trainer_type *row = pdx__trainer_table[r];
        if ((row->finite && sz->max_P == 0) || row->workspace_doubles == NULL)
            continue;
        double d = row->workspace_doubles(sz);
        if (d > most)
            most = d;
    }
    return most;
}

double pdx_trainer_workspace_bytes_finite(size_t max_N, size_t max_K,
                                          size_t max_M, size_t max_test,
                                          size_t max_P)
{
    return pdx_trainer_workspace_bytes_deep(max_N, max_K, max_M, max_test,
                                            max_P, NULL);
}

/* The deep nets the trainer itself holds: the trained student (when deep
 * students are trained) and the teacher. */
static double deep_nets_bytes(size_t max_N, const pdx_trainer_deep_limits *d)
{
    double bytes = 0.0;
    if (d->batch > 0 && d->student_depth > 0)
        bytes += pdx_deep_bytes(max_N, d->student_depth, d->student_width);
    if (d->teacher_depth > 0)
        bytes += pdx_deep_bytes(max_N, d->teacher_depth, d->teacher_width);
    return bytes;
}

double pdx_trainer_workspace_bytes_deep(size_t max_N, size_t max_K,
                                        size_t max_M, size_t max_test,
                                        size_t max_P,
                                        const pdx_trainer_deep_limits *deep)
{
    double bytes = pdx_trainer_workspace_bytes(max_N, max_K, max_M, max_test);
    pdx__trainer_sizes sz = {max_N, max_K, max_M, max_test, max_P, {0}};
    sz.deep.replicas = PDX_TRAINER_MAX_Y;
    sz.deep.ladder = PDX_LADDER_MAX;
    if (deep != NULL) {
        sz.deep = *deep;
        bytes += deep_nets_bytes(max_N, deep);
    }
    if (max_P == 0)
        return bytes + 8.0 * family_doubles(&sz);
    double doubles = (double)max_K * (double)max_N + (double)max_K /* grad */
                     + (double)max_P                            /* scratch */
                     + family_doubles(&sz);
    return bytes + 8.0 * doubles + 4.0 * (double)max_P +
           pdx_dataset_bytes(max_N, max_P);
}

/* The family block: room for the largest row's state and workspace. */
static size_t family_block_bytes(const pdx__trainer_sizes *sz)
{
    size_t most = 0;
    for (size_t r = 0; pdx__trainer_table[r] != NULL; r++) {
        const pdx__trainer_type *row = pdx__trainer_table[r];
        if (row->finite && sz->max_P == 0)
            continue;
        assert((double)(sizeof(struct pdx_trainer) + row->state_bytes) <=
               fixed_bytes());
        size_t bytes = (row->state_bytes + 63) / 64 * 64;
        if (row->workspace_doubles != NULL)
            bytes += 8 * (size_t)row->workspace_doubles(sz);
        if (bytes > most)
            most = bytes;
    }
    return most;
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
    return pdx_trainer_create_deep(out, max_N, max_K, max_M, max_test, max_P,
                                   NULL, err);
}

pdx_status pdx_trainer_create_deep(pdx_trainer **out, size_t max_N,
                                   size_t max_K, size_t max_M,
                                   size_t max_test, size_t max_P,
                                   const pdx_trainer_deep_limits *deep,
                                   pdx_error *err)
{
    *out = NULL;
    pdx_trainer *t = calloc(1, sizeof *t);
    if (t == NULL)
        goto nomem;
    t->sizes = (pdx__trainer_sizes){max_N, max_K, max_M, max_test, max_P,
                                    {0}};
    t->sizes.deep.replicas = PDX_TRAINER_MAX_Y;
    t->sizes.deep.ladder = PDX_LADDER_MAX;
    if (deep != NULL)
        t->sizes.deep = *deep;
    const pdx_trainer_deep_limits *d = &t->sizes.deep;
    int deep_ok = 1;
    if (d->batch > 0 && d->student_depth > 0)
        deep_ok = pdx_deep_create(&t->student_net, max_N, d->student_depth,
                                  d->student_width, NULL) == PDX_OK;
    if (deep_ok && d->teacher_depth > 0)
        deep_ok = pdx_deep_create(&t->teacher_net, max_N, d->teacher_depth,
                                  d->teacher_width, NULL) == PDX_OK;
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
    t->time_to_fit = NAN;
    int finite_ok = 1;
    if (max_P > 0) {
        t->grad_w = pdx_alloc_doubles(max_K * max_N);
        t->grad_v = pdx_alloc_doubles(max_K);
        t->scratch = pdx_alloc_doubles(max_P);
        t->perm = calloc(max_P, sizeof *t->perm);
        finite_ok = t->grad_w && t->grad_v && t->scratch && t->perm &&
                    pdx_dataset_create(&t->data, max_N, max_P, NULL) ==
                        PDX_OK;
    }
    t->family_bytes = family_block_bytes(&t->sizes);
    t->family = pdx_alloc_doubles((t->family_bytes + 7) / 8);
    if (!t->student.w || !t->student.v || !t->teacher.w || !t->teacher.v ||
        !t->x || !t->lambda || !t->nu || !t->coef || !t->family ||
        !test_ok || !finite_ok || !deep_ok) {
        pdx_trainer_destroy(&t);
        goto nomem;
    }
    *out = t;
    return PDX_OK;
nomem:
    return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                         "cannot allocate a training workspace of %.0f bytes",
                         pdx_trainer_workspace_bytes_deep(
                             max_N, max_K, max_M, max_test, max_P, deep));
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
    free(t->scratch);
    free(t->perm);
    free(t->family);
    pdx_deep_destroy(&t->student_net);
    pdx_deep_destroy(&t->teacher_net);
    pdx_dataset_destroy(&t->data);
    free(t);
    *trainer = NULL;
}

int pdx_trainer_has_closed_form(const pdx_params *params)
{
    if (params->teacher_kind == PDX_MODEL_DEEP ||
        params->student_kind == PDX_MODEL_DEEP)
        return 0;
    if (params->teacher_kind == PDX_MODEL_PERCEPTRON)
        return params->student_kind == PDX_MODEL_PERCEPTRON;
    return (params->student_activation == PDX_ACT_ERF &&
            params->teacher_activation == PDX_ACT_ERF) ||
           (params->student_activation == PDX_ACT_LINEAR &&
            params->teacher_activation == PDX_ACT_LINEAR);
}

/* The teacher of (params, seed, replica): a committee of M units, or a
 * perceptron (one sign unit; binary weights are the signs of the same
 * Gaussians), normalised by teacher.normalise (pdx_model_teacher_rows). */
static void make_teacher(pdx_trainer *t, const pdx_params *params,
                         uint64_t seed, uint64_t replica)
{
    const size_t N = (size_t)params->N;
    const size_t M = (size_t)pdx_params_teacher_units(params);
    pdx_rng_stream teacher_stream;
    pdx_rng_stream_init(&teacher_stream, seed, PDX_RNG_TEACHER, 0, replica);
    t->teacher.N = N;
    t->teacher.K = M;
    t->teacher.deep = NULL;
    if (params->teacher_kind == PDX_MODEL_DEEP) {
        t->teacher.K = 0;
        t->classification = 0;
        t->teacher.activation = params->teacher_activation;
        t->teacher.deep = t->teacher_net;
        pdx_deep_init(t->teacher_net, &teacher_stream, N,
                      (size_t)params->teacher_depth,
                      (size_t)params->teacher_width,
                      params->teacher_activation, params->teacher_sigma_w2,
                      params->teacher_sigma_b2);
        return;
    }
    t->classification = params->teacher_kind == PDX_MODEL_PERCEPTRON;
    t->teacher.activation =
        t->classification ? PDX_ACT_SIGN : params->teacher_activation;
    pdx_model_teacher_rows(t->teacher.w, M, N, seed, replica,
                           t->classification &&
                               params->teacher_weights == PDX_TEACHER_BINARY,
                           params->teacher_normalise);
    for (size_t m = 0; m < M; m++)
        t->teacher.v[m] = 1.0;
}

/* The student's initial weights. Committees: w from the INIT stream times
 * init_scale; v = second_layer_init (twolayer: second_layer_init N(0,1)/
 * sqrt K, block 2^32 of INIT). Perceptrons (one linear unit, v = 1): hot =
 * START stream (continuous: times init_scale; spherical: rescaled; binary:
 * signs), cold = the teacher's weights (spherical: rescaled, binary:
 * signs); a family may start elsewhere (the Hebb rule: zero). */
static void make_student(pdx_trainer *t, const pdx_params *params,
                         uint64_t seed, uint64_t replica)
{
    const size_t N = (size_t)params->N;
    const size_t K = (size_t)pdx_params_student_units(params);
    pdx_rng_stream init_stream;
    pdx_committee *s = &t->student;
    s->N = N;
    s->K = K;
    s->deep = NULL;
    if (params->student_kind == PDX_MODEL_DEEP) {
        /* propagate makes its layers one at a time (propagate.c) */
        s->K = 0;
        s->activation = params->student_activation;
        if (params->train_algorithm == PDX_ALG_PROPAGATE)
            return;
        pdx_rng_stream_init(&init_stream, seed, PDX_RNG_INIT, 0, replica);
        s->deep = t->student_net;
        pdx_deep_init(t->student_net, &init_stream, N,
                      (size_t)params->student_depth,
                      (size_t)params->student_width,
                      params->student_activation, params->student_sigma_w2,
                      params->student_sigma_b2);
        return;
    }
    if (params->student_kind == PDX_MODEL_PERCEPTRON) {
        s->activation = PDX_ACT_LINEAR;
        s->v[0] = 1.0;
        double *w = s->w;
        int weights = params->student_weights;
        if (params->train_start == PDX_START_COLD) {
            memcpy(w, t->teacher.w, N * sizeof *w);
        } else {
            pdx_rng_stream_init(&init_stream, seed, PDX_RNG_START, t->chain,
                                replica);
            pdx_rng_gaussian(&init_stream, 0, w, N);
            if (weights == PDX_WEIGHTS_CONTINUOUS)
                for (size_t j = 0; j < N; j++)
                    w[j] *= params->student_init_scale;
        }
        /* the weights before projection (hidden weights of clipped rules) */
        if (t->grad_w != NULL)
            memcpy(t->grad_w, w, N * sizeof *w);
        if (weights == PDX_WEIGHTS_SPHERICAL)
            pdx__to_sphere(w, N);
        else if (weights == PDX_WEIGHTS_BINARY)
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

void pdx_trainer_fill_tests(const pdx_trainer *t, size_t first, size_t end,
                            double *x, double *y)
{
    const size_t N = (size_t)t->params.N;
    pdx_rng_stream test_stream;
    pdx_rng_stream_init(&test_stream, t->seed, PDX_RNG_TEST, 0, t->replica);
    for (size_t mu = first; mu < end; mu++) {
        pdx_rng_gaussian(&test_stream, mu, x + mu * N, N);
        y[mu] = pdx_data_label(&t->teacher, t->classification, x + mu * N,
                               t->nu);
    }
}

void pdx_trainer_share_tests(pdx_trainer *t, const pdx_test_source *src,
                             size_t max_test)
{
    t->test_source = src;
    t->test_held = NULL;
    t->sizes.max_test = src != NULL ? max_test : 0;
}

/* The test set of the task (if it needs one): from the shared source, or
 * kept when the current or the other slot already holds it, else made
 * from the TEST stream. */
static void make_test_set(pdx_trainer *t, const pdx_params *params,
                          uint64_t seed, uint64_t replica, size_t test_size)
{
    const size_t N = (size_t)params->N;
    const size_t M = (size_t)pdx_params_teacher_units(params);
    t->test_size = test_size;
    uint64_t test_key[4] = {seed + 1, replica,
                            (uint64_t)N | ((uint64_t)test_size << 24),
                            (uint64_t)t->teacher.activation |
                                ((uint64_t)M << 8) |
                                ((uint64_t)params->teacher_weights << 16) |
                                ((uint64_t)params->teacher_kind << 24) |
                                ((uint64_t)params->teacher_normalise << 32)};
    if (params->teacher_kind == PDX_MODEL_DEEP) /* the deep teacher's sizes */
        test_key[2] ^= pdx_rng_mix64(pdx_data_deep_key(params));
    if (t->test_source != NULL) {
        t->test_held = t->test_source->acquire(t->test_source->ctx, t,
                                               t->test_held, test_key,
                                               test_size, N, &t->test_x,
                                               &t->test_y);
        return;
    }
    if (test_size > 0 &&
        memcmp(test_key, t->test_keys[t->test_slot], sizeof test_key) != 0) {
        /* the other slot holds it, or becomes the one regenerated */
        t->test_slot = (t->test_slot + 1) % t->test_slots;
        t->test_x = t->test_x_slot[t->test_slot];
        t->test_y = t->test_y_slot[t->test_slot];
    }
    if (test_size > 0 &&
        memcmp(test_key, t->test_keys[t->test_slot], sizeof test_key) != 0) {
        pdx_trainer_fill_tests(t, 0, test_size, t->test_x, t->test_y);
        memcpy(t->test_keys[t->test_slot], test_key, sizeof test_key);
    }
}

/* Whether the cell's deep nets fit the trainer's deep limits. */
static int deep_fits(const pdx_trainer *t, const pdx_params *p)
{
    const pdx_trainer_deep_limits *d = &t->sizes.deep;
    if (p->teacher_kind == PDX_MODEL_DEEP &&
        ((size_t)p->teacher_depth > d->teacher_depth ||
         (size_t)p->teacher_width > d->teacher_width ||
         t->teacher_net == NULL))
        return 0;
    if (p->student_kind != PDX_MODEL_DEEP)
        return 1;
    if ((size_t)p->student_depth > d->student_depth ||
        (size_t)p->student_width > d->student_width)
        return 0;
    if (p->train_algorithm == PDX_ALG_PROPAGATE)
        return (size_t)(2 + p->propagate_curve_points +
                        p->propagate_probes) <= d->columns;
    size_t B = p->train_algorithm == PDX_ALG_GD
                   ? (size_t)pdx_params_train_size(p)
                   : (size_t)p->train_batch;
    size_t P = (size_t)pdx_params_train_size(p);
    return t->student_net != NULL && (B < P ? B : P) <= d->batch;
}

pdx_status pdx_trainer_set_cell(pdx_trainer *t, const pdx_params *params,
                                uint64_t seed, uint64_t cell_key,
                                uint64_t replica, pdx_error *err)
{
    return pdx_trainer_set_chain(t, params, seed, cell_key, replica, 0, err);
}

pdx_status pdx_trainer_set_chain(pdx_trainer *t, const pdx_params *params,
                                 uint64_t seed, uint64_t cell_key,
                                 uint64_t replica, uint64_t chain,
                                 pdx_error *err)
{
    const int deep = params->student_kind == PDX_MODEL_DEEP;
    const pdx__trainer_type *row =
        pdx__trainer_type_of(params->train_algorithm, deep, NULL);
    if (row == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "no trainer serves train.algorithm %d for %s "
                             "students",
                             params->train_algorithm,
                             deep ? "deep" : "these");
    size_t N = (size_t)params->N,
           K = (size_t)pdx_params_student_units(params),
           M = (size_t)pdx_params_teacher_units(params);
    size_t P = (size_t)pdx_params_train_size(params);
    int use_test = params->train_algorithm != PDX_ALG_PROPAGATE &&
                   (params->record_eg == PDX_EG_TEST_SET ||
                    params->record_budget_count > 0 ||
                    (params->record_eg == PDX_EG_AUTO &&
                     !pdx_trainer_has_closed_form(params)));
    size_t test_size = use_test ? (size_t)params->record_test_size : 0;
    const pdx__trainer_sizes *sz = &t->sizes;
    if (N > sz->max_N || K > sz->max_K || M > sz->max_M ||
        test_size > sz->max_test || P > sz->max_P || !deep_fits(t, params))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "cell (N=%zu, K=%zu, M=%zu, test=%zu, P=%zu, "
                             "deep nets) exceeds the workspace",
                             N, K, M, test_size, P);
    t->type = row;
    t->params = *params;
    t->seed = seed;
    t->replica = replica;
    t->chain = chain;
    t->cell_key = chain == 0 ? cell_key
                             : pdx_rng_mix64(cell_key ^ pdx_rng_mix64(chain));
    t->step = 0;
    t->diverged = 0;
    t->time_to_fit = NAN;
    t->entry_epochs = NAN;
    t->swap_rate = NAN;
    if (pdx_params_finite(params)) { /* a training set, or propagate */
        t->steps_per_epoch = pdx_params_steps_per_time(params);
        double steps = floor(params->train_epochs *
                             (double)t->steps_per_epoch + 0.5);
        t->total_steps = (int64_t)steps;
    } else {
        t->steps_per_epoch = (int64_t)N;
        t->total_steps = (int64_t)floor(params->train_alpha * (double)N + 0.5);
    }
    make_teacher(t, params, seed, replica);
    make_student(t, params, seed, replica);
    make_test_set(t, params, seed, replica, test_size);
    if (row->finite) {
        pdx_status st = pdx_dataset_generate(t->data, params, &t->teacher,
                                             seed, replica, t->nu, err);
        if (st != PDX_OK)
            return st;
        t->perm_epoch = -1;
    }
    if (row->start != NULL)
        row->start(t);
    return PDX_OK;
}

static int weights_finite(const pdx_trainer *t)
{
    const pdx_committee *s = &t->student;
    double limit = t->params.train_divergence_norm;
    if (s->deep != NULL)
        return pdx_deep_check(s->deep, limit);
    for (size_t k = 0; k < s->K; k++) {
        const double *w = s->w + k * s->N;
        double q = pdx_model_dot(w, w, s->N) / (double)s->N;
        if (!isfinite(q) || q > limit || !isfinite(s->v[k]))
            return 0;
    }
    return 1;
}

int pdx_trainer_check(pdx_trainer *t)
{
    if (!t->diverged && !weights_finite(t))
        t->diverged = 1;
    return t->diverged;
}

int pdx_trainer_iterate(pdx_trainer *t, int64_t until_step)
{
    if (t->diverged)
        return 1;
    if (until_step > t->total_steps)
        until_step = t->total_steps;
    if (t->type->iterate(t, until_step)) {
        t->diverged = 1;
        return 1;
    }
    return pdx_trainer_check(t);
}

double pdx_trainer_train_error(pdx_trainer *t, int clean, double *loss)
{
    if (t->data == NULL || t->type == NULL || !t->type->finite) {
        if (loss != NULL)
            *loss = NAN;
        return NAN;
    }
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P;
    const double *y = clean ? d->y_clean : d->y;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const double *fields = t->type->fields != NULL ? t->type->fields(t) : NULL;
    double errors = 0.0, loss_sum = 0.0, g[64];
    /* deep students: PDX_DEEP_BLOCK inputs at a time through the matrix
     * kernel (each output the bits of a single input's) */
    double block[PDX_DEEP_BLOCK];
    const pdx_deep *deep = fields == NULL ? t->student.deep : NULL;
    for (size_t mu = 0; mu < P; mu++) {
        if (deep != NULL && mu % PDX_DEEP_BLOCK == 0)
            pdx_deep_outputs(deep, d->x + mu * N,
                             P - mu < PDX_DEEP_BLOCK ? P - mu : PDX_DEEP_BLOCK,
                             block);
        double yhat = fields != NULL ? fields[mu] * inv_sqrt_N
                      : deep != NULL ? block[mu % PDX_DEEP_BLOCK]
                                     : pdx__student_output(&t->student,
                                                           d->x + mu * N,
                                                           t->lambda, g,
                                                           inv_sqrt_N);
        if (t->classification)
            errors += pdx__misclassified(yhat, y[mu]);
        else
            errors += 0.5 * (y[mu] - yhat) * (y[mu] - yhat);
        if (loss != NULL)
            loss_sum += pdx__loss_value(t->params.train_loss, d->y[mu], yhat);
    }
    if (loss != NULL)
        *loss = loss_sum / (double)P;
    return errors / (double)P;
}

double pdx_trainer_train_error_of(const pdx_trainer *t,
                                  const pdx_committee *model, double *loss)
{
    if (t->data == NULL || t->type == NULL || !t->type->finite ||
        model->K > 64) {
        if (loss != NULL)
            *loss = NAN;
        return NAN;
    }
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    double errors = 0.0, loss_sum = 0.0, lambda[64], g[64];
    /* a deep net: a block of inputs at a time through its own scratch */
    for (size_t first = 0; model->deep != NULL && first < P;
         first += PDX_DEEP_BLOCK) {
        size_t nb = P - first < PDX_DEEP_BLOCK ? P - first : PDX_DEEP_BLOCK;
        double yhat[PDX_DEEP_BLOCK];
        pdx_deep_outputs(model->deep, d->x + first * N, nb, yhat);
        for (size_t b = 0; b < nb; b++) {
            double y = d->y[first + b];
            if (t->classification)
                errors += pdx__misclassified(yhat[b], y);
            else
                errors += 0.5 * (y - yhat[b]) * (y - yhat[b]);
            loss_sum += pdx__loss_value(t->params.train_loss, y, yhat[b]);
        }
    }
    for (size_t mu = 0; model->deep == NULL && mu < P; mu++) {
        double yhat = pdx__student_output(model, d->x + mu * N, lambda, g,
                                          inv_sqrt_N);
        if (t->classification)
            errors += pdx__misclassified(yhat, d->y[mu]);
        else
            errors += 0.5 * (d->y[mu] - yhat) * (d->y[mu] - yhat);
        loss_sum += pdx__loss_value(t->params.train_loss, d->y[mu], yhat);
    }
    if (loss != NULL)
        *loss = loss_sum / (double)P;
    return errors / (double)P;
}

/* ---- getters ---- */

const pdx_params *pdx_trainer_params(const pdx_trainer *t)
{
    return &t->params;
}

const pdx_committee *pdx_trainer_student(const pdx_trainer *t)
{
    return &t->student;
}

const pdx_committee *pdx_trainer_teacher(const pdx_trainer *t)
{
    return &t->teacher;
}

int pdx_trainer_classification(const pdx_trainer *t)
{
    return t->classification;
}

const pdx_dataset *pdx_trainer_dataset(const pdx_trainer *t)
{
    return t->type != NULL && t->type->finite ? t->data : NULL;
}

size_t pdx_trainer_test_set(const pdx_trainer *t, const double **x,
                            const double **y)
{
    if (x != NULL)
        *x = t->test_size > 0 ? t->test_x : NULL;
    if (y != NULL)
        *y = t->test_size > 0 ? t->test_y : NULL;
    return t->test_size;
}

int64_t pdx_trainer_step(const pdx_trainer *t)
{
    return t->step;
}

int64_t pdx_trainer_total_steps(const pdx_trainer *t)
{
    return t->total_steps;
}

int64_t pdx_trainer_steps_per_time(const pdx_trainer *t)
{
    return t->steps_per_epoch;
}

double pdx_trainer_time_to_fit(const pdx_trainer *t)
{
    return t->time_to_fit;
}

void pdx_trainer_stream_names(const pdx_trainer *t, uint64_t *seed,
                              uint64_t *cell_key, uint64_t *replica)
{
    *seed = t->seed;
    *cell_key = t->cell_key;
    *replica = t->replica;
}

size_t pdx_trainer_layers(const pdx_trainer *t, const double **q,
                          const double **c, const double **chi,
                          const double **length)
{
    const double *none = NULL;
    if (t->type == NULL || t->type->layers == NULL) {
        if (q != NULL)
            *q = none;
        if (c != NULL)
            *c = none;
        if (chi != NULL)
            *chi = none;
        if (length != NULL)
            *length = none;
        return 0;
    }
    return t->type->layers(t, q, c, chi, length);
}

double pdx_trainer_entry_epochs(const pdx_trainer *t)
{
    return t->entry_epochs;
}

double pdx_trainer_swap_rate(const pdx_trainer *t)
{
    return t->swap_rate;
}

double pdx_trainer_accept_rate(const pdx_trainer *t)
{
    return t->type != NULL && t->type->accept_rate != NULL
               ? t->type->accept_rate(t)
               : NAN;
}

size_t pdx_trainer_replicas(const pdx_trainer *t,
                            const pdx_committee **replicas,
                            double *time_to_success)
{
    if (t->type == NULL || t->type->replicas == NULL) {
        if (replicas != NULL)
            *replicas = NULL;
        if (time_to_success != NULL)
            *time_to_success = NAN;
        return 0;
    }
    return t->type->replicas(t, replicas, time_to_success);
}
