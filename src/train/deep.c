/* deep.c — the deep family: minibatch SGD and full-batch gradient descent
 * of deep students (student.kind deep, pdx/model.h) by backpropagation, on
 * a fixed training set. The same steps as the gradient family's: sgd
 * takes ceil(P/B) minibatches an epoch in a fresh order (the SHUFFLE
 * stream, pdx__make_perm), gd one step of the whole set; each step is
 *     theta -= eta (grad(mean loss of the batch) + weight_decay theta)
 * for every weight, bias and readout parameter, as torch.optim.SGD does.
 * A non-finite loss slope is divergence; so are weights whose effective
 * sigma_w2 (sum_ij W_ij^2 / n) exceeds train.divergence_norm
 * (pdx_trainer_check). No random numbers besides the order of examples
 * and, with train.dropout > 0, the dropout masks (pdx_deep_dropout:
 * DROPOUT stream of the cell, block (step << 20) | layer); no
 * allocation. */
#include <math.h>
#include <string.h>

#include "train_internal.h"

typedef struct deep_state {
    pdx_deep grad; /* the gradient, a net of the student's sizes */
} deep_state;

static size_t deep_batch_of(const pdx_trainer *t)
{
    const size_t P = t->data->P;
    size_t B = t->params.train_algorithm == PDX_ALG_GD
                   ? P
                   : (size_t)t->params.train_batch;
    return B < P ? B : P;
}

static double deep_doubles(const pdx__trainer_sizes *sz)
{
    const pdx_trainer_deep_limits *d = &sz->deep;
    if (d->batch == 0 || d->student_depth == 0)
        return 0.0;
    double n = (double)d->student_width, L = (double)d->student_depth;
    double B = (double)d->batch, N = (double)sz->max_N;
    double weights = (double)pdx_deep_weight_count(sz->max_N,
                                                   d->student_depth,
                                                   d->student_width);
    return weights + L * n + n            /* the gradient */
           + 2.0 * L * B * n              /* pre-activations, activations */
           + 3.0 * B * n + 2.0 * B        /* errors; yhat, dyhat */
           + B * N;                       /* the batch's inputs */
}

/* The workspace after the gradient's arrays. */
typedef struct deep_arrays {
    double *h, *act, *delta, *yhat, *dyhat, *x;
} deep_arrays;

static deep_arrays deep_arrays_of(pdx_trainer *t)
{
    const pdx_trainer_deep_limits *d = &t->sizes.deep;
    const size_t n = d->student_width, L = d->student_depth, B = d->batch;
    deep_state *st = pdx__family_state(t);
    deep_arrays a;
    a.h = st->grad.a + n;
    a.act = a.h + L * B * n;
    a.delta = a.act + L * B * n;
    a.yhat = a.delta + 3 * B * n;
    a.dyhat = a.yhat + B;
    a.x = a.dyhat + B;
    return a;
}

static void deep_start(pdx_trainer *t)
{
    deep_state *st = pdx__family_state(t);
    const pdx_trainer_deep_limits *d = &t->sizes.deep;
    const pdx_deep *s = t->student.deep;
    double *w = pdx__family_doubles(t);
    st->grad = *s; /* sizes */
    st->grad.w = w;
    st->grad.b = w + pdx_deep_weight_count(t->sizes.max_N, d->student_depth,
                                           d->student_width);
    st->grad.a = st->grad.b + d->student_depth * d->student_width;
    st->grad.work = NULL;
}

/* theta -= eta (g scale + decay theta) over n parameters. */
static void descend(double *restrict theta, const double *restrict g,
                    size_t n, double eta, double scale, double decay)
{
    for (size_t k = 0; k < n; k++)
        theta[k] -= eta * (g[k] * scale + decay * theta[k]);
}

/* One step on the examples idx[0..B-1]. Returns 1 on a non-finite loss
 * slope (diverged). */
static int deep_step(pdx_trainer *t, const uint32_t *idx, size_t B)
{
    deep_state *st = pdx__family_state(t);
    pdx_deep *s = t->student.deep;
    const pdx_dataset *d = t->data;
    const size_t N = s->N, n = s->width, L = s->depth;
    deep_arrays a = deep_arrays_of(t);
    for (size_t r = 0; r < B; r++)
        memcpy(a.x + r * N, d->x + (size_t)idx[r] * N, N * sizeof *a.x);
    pdx_deep_dropout dropout, *drop = NULL;
    if (t->params.train_dropout > 0.0) {
        pdx_rng_stream_init(&dropout.stream, t->seed, PDX_RNG_DROPOUT,
                            t->cell_key, t->replica);
        dropout.step = (uint64_t)t->step;
        dropout.rate = t->params.train_dropout;
        drop = &dropout;
    }
    /* the errors' room (3 B n) is free until the backward pass */
    pdx_deep_forward_batch_dropout(s, a.x, B, drop, a.delta, a.h, a.act,
                                   a.yhat);
    for (size_t r = 0; r < B; r++) {
        a.dyhat[r] = pdx__loss_slope(t->params.train_loss, d->y[idx[r]],
                                     a.yhat[r]);
        if (!isfinite(a.dyhat[r]))
            return 1;
    }
    pdx_deep_backward_batch_dropout(s, a.x, B, a.h, a.act, a.dyhat, drop,
                                    &st->grad, a.delta);
    const double eta = t->params.train_learning_rate;
    const double decay = t->params.train_weight_decay;
    const double scale = 1.0 / (double)B;
    descend(s->w, st->grad.w, pdx_deep_weight_count(N, L, n), eta, scale,
            decay);
    descend(s->b, st->grad.b, L * n, eta, scale, decay);
    descend(s->a, st->grad.a, n, eta, scale, decay);
    descend(&s->a0, &st->grad.a0, 1, eta, scale, decay);
    return 0;
}

static int deep_iterate(pdx_trainer *t, int64_t until)
{
    const size_t P = t->data->P, B = deep_batch_of(t);
    for (; t->step < until; t->step++) {
        int64_t epoch = t->step / t->steps_per_epoch;
        int64_t pos = t->step % t->steps_per_epoch;
        if (pos == 0)
            pdx__note_fit(t);
        if (epoch != t->perm_epoch) {
            if (t->params.train_algorithm == PDX_ALG_GD) {
                for (size_t mu = 0; mu < P; mu++)
                    t->perm[mu] = (uint32_t)mu; /* the set in order */
                t->perm_epoch = epoch;
            } else {
                pdx__make_perm(t, epoch);
            }
        }
        size_t first = (size_t)pos * B;
        size_t b = first + B <= P ? B : P - first;
        if (deep_step(t, t->perm + first, b))
            return 1;
    }
    if (t->step == t->total_steps)
        pdx__note_fit(t);
    return 0;
}

static const pdx__trainer_algorithm deep_algorithms[] = {
    {"sgd", PDX_ALG_SGD, 0},
    {"gd", PDX_ALG_GD, 0},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_deep = {
    .family = "deep",
    .algorithms = deep_algorithms,
    .finite = 1,
    .deep = 1,
    .state_bytes = sizeof(deep_state),
    .workspace_doubles = deep_doubles,
    .start = deep_start,
    .iterate = deep_iterate,
};
