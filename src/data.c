/* data.c — fixed training sets (see pdx/data.h for the stream layout).
 *
 * Noise of example mu, from the DATA_NOISE stream of (seed, replica):
 *   block mu + (0 << 40): 2 uniforms: label corrupted if u0 < label_noise;
 *                         a random +-1 label is +1 if u1 < 1/2
 *   block mu + (1 << 40): N Gaussians: the random input whose teacher
 *                         output is a corrupted regression label
 *   block mu + (2 << 40): 1 uniform: input corrupted if < input_corruption
 *   block mu + (3 << 40): N Gaussians: the fresh random input
 *   block mu + (4 << 40): N Gaussians: additive input noise
 *   block mu + (5 << 40): 1 Gaussian: output noise of the teacher */
#include "pdx/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/rng.h"
#include "vec8.h"

#define DATA_BLOCK(kind, mu) ((uint64_t)(mu) + ((uint64_t)(kind) << 40))

double pdx_dataset_bytes(size_t max_N, size_t max_P)
{
    return 8.0 * ((double)max_P * (double)max_N + 3.0 * (double)max_P +
                  2.0 * (double)max_N + 2.0) +
           (double)sizeof(pdx_dataset);
}

pdx_status pdx_dataset_create(pdx_dataset **out, size_t max_N, size_t max_P,
                              pdx_error *err)
{
    *out = NULL;
    pdx_dataset *d = calloc(1, sizeof *d);
    if (d != NULL) {
        d->max_N = max_N;
        d->max_P = max_P;
        d->x = pdx_alloc_doubles(max_P * max_N);
        d->y = pdx_alloc_doubles(max_P);
        d->y_clean = pdx_alloc_doubles(max_P);
        d->y_teacher = pdx_alloc_doubles(max_P);
        d->scratch = pdx_alloc_doubles(2 * max_N + 2);
        if (d->x != NULL && d->y != NULL && d->y_clean != NULL &&
            d->y_teacher != NULL && d->scratch != NULL) {
            *out = d;
            return PDX_OK;
        }
        pdx_dataset_destroy(&d);
    }
    return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                         "cannot allocate a training set of %.0f bytes",
                         pdx_dataset_bytes(max_N, max_P));
}

void pdx_dataset_destroy(pdx_dataset **data)
{
    if (data == NULL || *data == NULL)
        return;
    free((*data)->x);
    free((*data)->y);
    free((*data)->y_clean);
    free((*data)->y_teacher);
    free((*data)->scratch);
    free(*data);
    *data = NULL;
}

double pdx_data_label(const pdx_committee *teacher, int classification,
                      const double *x, double *nu)
{
    double y = pdx_model_forward(teacher, x, nu);
    if (classification)
        return y >= 0.0 ? 1.0 : -1.0;
    return y;
}

static uint64_t double_bits(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

uint64_t pdx_data_deep_key(const pdx_params *p)
{
    uint64_t h = pdx_rng_mix64((uint64_t)p->teacher_depth);
    h = pdx_rng_mix64(h ^ (uint64_t)p->teacher_width);
    h = pdx_rng_mix64(h ^ (uint64_t)p->teacher_activation);
    h = pdx_rng_mix64(h ^ double_bits(p->teacher_sigma_w2));
    return pdx_rng_mix64(h ^ double_bits(p->teacher_sigma_b2));
}

/* Everything the examples depend on besides their index. */
static void data_key(const pdx_params *p, const pdx_committee *teacher,
                     uint64_t seed, uint64_t replica, uint64_t key[8])
{
    key[0] = seed;
    key[1] = replica;
    key[2] = (uint64_t)p->N;
    key[3] = (uint64_t)p->teacher_kind | ((uint64_t)p->teacher_weights << 8) |
             ((uint64_t)teacher->activation << 16) |
             ((uint64_t)teacher->K << 24);
    key[4] = p->teacher_kind == PDX_MODEL_DEEP
                 ? pdx_data_deep_key(p)
                 : (uint64_t)p->teacher_normalise; /* 0: none */
    /* (label noise: see labels_noise) */
    key[5] = double_bits(p->data_input_noise);
    key[6] = double_bits(p->data_input_corruption);
    key[7] = double_bits(p->teacher_output_noise);
}

pdx_status pdx_dataset_generate(pdx_dataset *d, const pdx_params *params,
                                const pdx_committee *teacher, uint64_t seed,
                                uint64_t replica, double *nu, pdx_error *err)
{
    const size_t N = (size_t)params->N;
    const size_t P = (size_t)pdx_params_train_size(params);
    if (N > d->max_N || P > d->max_P)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "training set P=%zu, N=%zu exceeds the "
                             "workspace (%zu x %zu)",
                             P, N, d->max_P, d->max_N);
    uint64_t key[8];
    data_key(params, teacher, seed, replica, key);
    if (memcmp(key, d->key, sizeof key) != 0) {
        memcpy(d->key, key, sizeof key);
        d->made = 0;
        d->labels_made = 0;
    }
    if (double_bits(d->labels_noise) != double_bits(params->data_label_noise)) {
        d->labels_noise = params->data_label_noise;
        d->labels_made = 0;
    }
    d->N = N;
    d->P = P;
    d->classification = params->teacher_kind == PDX_MODEL_PERCEPTRON;
    const int classification = d->classification;
    pdx_rng_stream inputs, noise;
    pdx_rng_stream_init(&inputs, seed, PDX_RNG_DATA, 0, replica);
    pdx_rng_stream_init(&noise, seed, PDX_RNG_DATA_NOISE, 0, replica);
    const double label_noise = params->data_label_noise;
    const double input_noise = params->data_input_noise;
    const double corruption = params->data_input_corruption;
    const double output_noise = params->teacher_output_noise;
    double *other = d->scratch; /* N: a random or noise input */
    for (size_t mu = d->made; mu < P; mu++) {
        double *x = d->x + mu * N;
        pdx_rng_gaussian(&inputs, mu, x, N);
        double y = pdx_model_forward(teacher, x, nu);
        double clean = classification ? (y >= 0.0 ? 1.0 : -1.0) : y;
        if (output_noise > 0.0) {
            double g;
            pdx_rng_gaussian(&noise, DATA_BLOCK(5, mu), &g, 1);
            /* classification: noise on the teacher's field, then sign */
            y = classification ? nu[0] + output_noise * g
                               : y + output_noise * g;
        }
        if (classification)
            y = y >= 0.0 ? 1.0 : -1.0;
        if (corruption > 0.0) {
            double u;
            pdx_rng_uniform(&noise, DATA_BLOCK(2, mu), &u, 1);
            if (u < corruption)
                pdx_rng_gaussian(&noise, DATA_BLOCK(3, mu), x, N);
        }
        if (input_noise > 0.0) {
            pdx_rng_gaussian(&noise, DATA_BLOCK(4, mu), other, N);
            for (size_t j = 0; j < N; j++)
                x[j] += input_noise * other[j];
        }
        d->y_teacher[mu] = y;
        d->y_clean[mu] = clean;
    }
    if (P > d->made)
        d->made = P;
    for (size_t mu = d->labels_made; mu < P; mu++) {
        double y = d->y_teacher[mu];
        if (label_noise > 0.0) {
            double u[2];
            pdx_rng_uniform(&noise, DATA_BLOCK(0, mu), u, 2);
            if (u[0] < label_noise) {
                if (classification) {
                    y = u[1] < 0.5 ? 1.0 : -1.0;
                } else {
                    pdx_rng_gaussian(&noise, DATA_BLOCK(1, mu), other, N);
                    y = pdx_model_forward(teacher, other, nu);
                }
            }
        }
        d->y[mu] = y;
    }
    if (P > d->labels_made)
        d->labels_made = P;
    return PDX_OK;
}
