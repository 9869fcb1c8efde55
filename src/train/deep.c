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
 * allocation. The gradient itself: deep_step.c. */
#include <math.h>
#include <string.h>

#include "train_internal.h"

typedef struct deep_state {
    pdx__deep_step step; /* the gradient and the batch's arrays */
} deep_state;

static size_t deep_batch_of(const pdx_trainer *t)
{
    const size_t P = t->data->P;
    size_t B = t->params.train_algorithm == PDX_ALG_GD
                   ? P
                   : (size_t)t->params.train_batch;
    return B < P ? B : P;
}

static void deep_start(pdx_trainer *t)
{
    deep_state *st = pdx__family_state(t);
    pdx__deep_step_init(t, &st->step, pdx__family_doubles(t));
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
    const size_t N = s->N, n = s->width, L = s->depth;
    pdx_deep_dropout dropout, *drop = NULL;
    if (t->params.train_dropout > 0.0) {
        pdx_rng_stream_init(&dropout.stream, t->seed, PDX_RNG_DROPOUT,
                            t->cell_key, t->replica);
        dropout.step = (uint64_t)t->step;
        dropout.rate = t->params.train_dropout;
        drop = &dropout;
    }
    if (pdx__deep_gradient(t, &st->step, s, idx, B, drop))
        return 1;
    const pdx_deep *g = &st->step.grad;
    const double eta = t->params.train_learning_rate;
    const double decay = t->params.train_weight_decay;
    const double scale = 1.0 / (double)B;
    descend(s->w, g->w, pdx_deep_weight_count(N, L, n), eta, scale, decay);
    descend(s->b, g->b, L * n, eta, scale, decay);
    descend(s->a, g->a, n, eta, scale, decay);
    descend(&s->a0, &g->a0, 1, eta, scale, decay);
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
    .workspace_doubles = pdx__deep_step_doubles,
    .start = deep_start,
    .iterate = deep_iterate,
};
