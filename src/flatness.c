/* flatness.c — the local energy of issue 16 (Baldassi et al. 2016, PNAS;
 * Chaudhari et al. 2017): at each checkpoint, the training error and
 * training loss of copies of the student perturbed at every size of
 * record.perturbations — a random fraction p of a binary student's
 * weights flipped, or w_i -> w_i (1 + sigma z_i) for continuous weights —
 * averaged over record.perturbation_draws draws, with standard errors.
 * Solutions in wide flat minima (dense regions) keep a low local energy
 * as the perturbation grows; isolated ones lose it at once.
 * Reads trainers through pdx/train.h's getters only. */
#include "pdx/observe.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/model.h"
#include "pdx/rng.h"

static const pdx_var_desc flat_variables[PDX_FLAT_COUNT] = {
    [PDX_FLAT_ENERGY] = {"local_energy",
                         "local energy: training error (noisy labels) of "
                         "the student with a fraction p of its binary "
                         "weights flipped, or w_i -> w_i (1 + sigma z_i) "
                         "(record.perturbations), mean over "
                         "record.perturbation_draws draws",
                         "1", 2, {PDX_DIM_TIME, PDX_DIM_PERTURBATION}},
    [PDX_FLAT_ENERGY_SE] = {"local_energy_se",
                            "standard error of local_energy over the draws",
                            "1", 2, {PDX_DIM_TIME, PDX_DIM_PERTURBATION}},
    [PDX_FLAT_LOSS] = {"local_loss",
                       "training loss (train.loss, noisy labels) of the "
                       "perturbed student, mean over the draws",
                       "1", 2, {PDX_DIM_TIME, PDX_DIM_PERTURBATION}},
    [PDX_FLAT_LOSS_SE] = {"local_loss_se",
                          "standard error of local_loss over the draws", "1",
                          2, {PDX_DIM_TIME, PDX_DIM_PERTURBATION}},
};

const pdx_var_desc *pdx_observe_flat_variables(void)
{
    return flat_variables;
}

size_t pdx_observe_flat_base(const pdx_layout *layout)
{
    size_t n = pdx_observe_noise_base(layout); /* the noise ones follow */
    if (layout->dim_size[PDX_DIM_PERTURBATION] == 0 || n < PDX_FLAT_COUNT)
        return n;
    return n - PDX_FLAT_COUNT;
}

/* ---- the workspace ---- */

struct pdx_flattener {
    size_t max_N, max_K;
    const double *sizes;
    size_t n_sizes;
    double *w, *v;       /* the perturbed copy */
    double *noise;       /* K N (or a deep net's parameters) Gaussians or
                          * uniforms */
    uint32_t *order;     /* K N: the partial shuffle of binary flips */
    pdx_deep *net;       /* the perturbed copy of a deep student (or NULL) */
};

/* Parameters of a deep net: weights, biases, readout and its bias. */
static size_t deep_parameters(size_t N, size_t depth, size_t width)
{
    return pdx_deep_weight_count(N, depth, width) + (depth + 1) * width + 1;
}

double pdx_flattener_bytes(size_t max_N, size_t max_K, size_t max_depth,
                           size_t max_width)
{
    double deep = max_depth > 0
                      ? pdx_deep_bytes(max_N, max_depth, max_width) +
                            8.0 * (double)deep_parameters(max_N, max_depth,
                                                          max_width)
                      : 0.0;
    return (8.0 + 8.0 + 4.0) * (double)max_N * (double)max_K +
           8.0 * (double)max_K + deep + 128.0;
}

pdx_status pdx_flattener_create(pdx_flattener **out, size_t max_N,
                                size_t max_K, size_t max_depth,
                                size_t max_width, const double *sizes,
                                size_t n_sizes, pdx_error *err)
{
    *out = NULL;
    pdx_flattener *f = calloc(1, sizeof *f);
    size_t n = max_N * max_K > 0 ? max_N * max_K : 1;
    size_t n_noise = n;
    if (max_depth > 0 && deep_parameters(max_N, max_depth, max_width) > n)
        n_noise = deep_parameters(max_N, max_depth, max_width);
    int deep_ok = 1;
    if (f != NULL) {
        f->w = malloc(n * sizeof *f->w);
        f->v = malloc((max_K > 0 ? max_K : 1) * sizeof *f->v);
        f->noise = malloc(n_noise * sizeof *f->noise);
        f->order = malloc(n * sizeof *f->order);
        if (max_depth > 0)
            deep_ok = pdx_deep_create(&f->net, max_N, max_depth, max_width,
                                      NULL) == PDX_OK;
    }
    if (f == NULL || f->w == NULL || f->v == NULL || f->noise == NULL ||
        f->order == NULL || !deep_ok) {
        pdx_flattener_destroy(&f);
        return pdx_error_set(
            err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
            "cannot allocate the local energy's workspace of %.0f bytes",
            pdx_flattener_bytes(max_N, max_K, max_depth, max_width));
    }
    f->max_N = max_N;
    f->max_K = max_K;
    f->sizes = sizes;
    f->n_sizes = n_sizes;
    *out = f;
    return PDX_OK;
}

void pdx_flattener_destroy(pdx_flattener **flattener)
{
    if (flattener == NULL || *flattener == NULL)
        return;
    pdx_flattener *f = *flattener;
    free(f->w);
    free(f->v);
    free(f->noise);
    free(f->order);
    pdx_deep_destroy(&f->net);
    free(f);
    *flattener = NULL;
}

/* ---- the measurement ---- */

/* Flip round(p n) distinct weights of f->w (n = K N): the first of a
 * Fisher-Yates shuffle driven by the block's uniforms. */
static void flip_fraction(pdx_flattener *f, const pdx_rng_stream *stream,
                          uint64_t block, double p, size_t n)
{
    double want = floor(p * (double)n + 0.5);
    size_t flips = want >= (double)n ? n : (size_t)want;
    if (flips == 0)
        return;
    pdx_rng_uniform(stream, block, f->noise, flips);
    for (size_t i = 0; i < n; i++)
        f->order[i] = (uint32_t)i;
    for (size_t i = 0; i < flips; i++) {
        size_t r = i + (size_t)(f->noise[i] * (double)(n - i));
        if (r >= n)
            r = n - 1;
        uint32_t tmp = f->order[i];
        f->order[i] = f->order[r];
        f->order[r] = tmp;
        f->w[f->order[i]] = -f->w[f->order[i]];
    }
}

/* w_i -> w_i (1 + sigma z_i) for the n first-layer weights. */
static void multiply_noise(pdx_flattener *f, const pdx_rng_stream *stream,
                           uint64_t block, double sigma, size_t n)
{
    if (sigma == 0.0)
        return;
    pdx_rng_gaussian(stream, block, f->noise, n);
    for (size_t i = 0; i < n; i++)
        f->w[i] *= 1.0 + sigma * f->noise[i];
}

/* f->net := the deep student `s` with every parameter multiplied by
 * (1 + sigma z): the weights of every layer, the biases, the readout and
 * its bias, z drawn in that order. */
static void perturb_deep(pdx_flattener *f, const pdx_deep *s,
                         const pdx_rng_stream *stream, uint64_t block,
                         double sigma)
{
    pdx_deep *c = f->net;
    size_t nw = pdx_deep_weight_count(s->N, s->depth, s->width);
    size_t nb = s->depth * s->width, n = nw + nb + s->width + 1;
    c->N = s->N;
    c->depth = s->depth;
    c->width = s->width;
    c->activation = s->activation;
    c->sigma_w2 = s->sigma_w2;
    c->sigma_b2 = s->sigma_b2;
    memcpy(c->w, s->w, nw * sizeof *c->w);
    memcpy(c->b, s->b, nb * sizeof *c->b);
    memcpy(c->a, s->a, s->width * sizeof *c->a);
    c->a0 = s->a0;
    if (sigma == 0.0)
        return;
    pdx_rng_gaussian(stream, block, f->noise, n);
    const double *z = f->noise;
    for (size_t i = 0; i < nw; i++)
        c->w[i] *= 1.0 + sigma * z[i];
    for (size_t i = 0; i < nb; i++)
        c->b[i] *= 1.0 + sigma * z[nw + i];
    for (size_t i = 0; i < s->width; i++)
        c->a[i] *= 1.0 + sigma * z[nw + nb + i];
    c->a0 *= 1.0 + sigma * z[n - 1];
}

void pdx_observe_flatness(pdx_flattener *f, const pdx_trainer *t,
                          const pdx_layout *layout, size_t time_index,
                          double *const *out)
{
    const size_t n_sizes = layout->dim_size[PDX_DIM_PERTURBATION];
    if (f == NULL || n_sizes == 0 || pdx_trainer_dataset(t) == NULL)
        return;
    const pdx_params *p = pdx_trainer_params(t);
    const pdx_committee *student = pdx_trainer_student(t);
    const pdx_deep *deep = student->deep;
    if (deep != NULL
            ? f->net == NULL || deep->N > f->max_N ||
                  deep->depth > f->net->max_depth ||
                  deep->width > f->net->max_width
            : student->K > f->max_K || student->N > f->max_N)
        return;
    const size_t n = student->K * student->N;
    const int binary = p->student_weights == PDX_WEIGHTS_BINARY;
    const int64_t draws = p->record_perturbation_draws;
    uint64_t seed, cell_key, replica;
    pdx_trainer_stream_names(t, &seed, &cell_key, &replica);
    pdx_rng_stream stream;
    pdx_rng_stream_init(&stream, seed, PDX_RNG_FLATNESS, cell_key, replica);
    pdx_committee copy = *student;
    if (deep != NULL) {
        copy.deep = f->net;
    } else {
        copy.w = f->w;
        copy.v = f->v;
        memcpy(f->v, student->v, student->K * sizeof *f->v);
    }
    const size_t base = pdx_observe_flat_base(layout);
    const size_t at = time_index * n_sizes;
    for (size_t j = 0; j < n_sizes && j < f->n_sizes; j++) {
        /* Welford: mean and sum of squared deviations */
        double mean_e = 0.0, m2_e = 0.0, mean_l = 0.0, m2_l = 0.0;
        for (int64_t d = 0; d < draws; d++) {
            uint64_t block = ((uint64_t)time_index << 40) |
                             ((uint64_t)j << 20) | (uint64_t)d;
            if (deep != NULL) {
                perturb_deep(f, deep, &stream, block, f->sizes[j]);
            } else {
                memcpy(f->w, student->w, n * sizeof *f->w);
                if (binary)
                    flip_fraction(f, &stream, block, f->sizes[j], n);
                else
                    multiply_noise(f, &stream, block, f->sizes[j], n);
            }
            double loss;
            double e = pdx_trainer_train_error_of(t, &copy, &loss);
            double k = (double)(d + 1);
            double de = e - mean_e, dl = loss - mean_l;
            mean_e += de / k;
            mean_l += dl / k;
            m2_e += de * (e - mean_e);
            m2_l += dl * (loss - mean_l);
        }
        double dn = (double)draws;
        out[base + PDX_FLAT_ENERGY][at + j] = mean_e;
        out[base + PDX_FLAT_LOSS][at + j] = mean_l;
        out[base + PDX_FLAT_ENERGY_SE][at + j] =
            draws > 1 ? sqrt(m2_e / (dn - 1.0) / dn) : NAN;
        out[base + PDX_FLAT_LOSS_SE][at + j] =
            draws > 1 ? sqrt(m2_l / (dn - 1.0) / dn) : NAN;
    }
}
