/* entropy_deep.c — Entropy-SGD of deep students (issue 16 item 1;
 * entropy_sgd.c is the same algorithm, Chaudhari et al. 2017's Algorithm
 * 1, for perceptrons, committees and two-layer students), over every
 * parameter theta of the net (weights, biases, readout and its bias):
 * an outer step starts theta' = mu = theta and takes L =
 * train.esgd_langevin_steps inner steps on successive minibatches (the
 * sgd order of examples),
 *     theta' -= eta' (grad f_B(theta') + decay theta' + gamma (theta' -
 *               theta)) + sqrt(eta') eps N(0, 1),
 *     mu = (1 - alpha) mu + alpha theta',
 * then theta -= eta gamma (theta - mu) (eta = train.learning_rate for
 * every parameter, as the deep sgd row). Time, scoping and the end of the
 * last outer step as entropy_sgd.c: one step is one inner step. The
 * gradient is the deep family's (deep_step.c), so the bits depend on
 * neither threads nor shards; theta' and mu live in the family workspace,
 * so a run cut mid outer step continues bit for bit.
 *
 * Random numbers: SHUFFLE block e (the order of epoch e, as sgd);
 * DYNAMICS block (s << 8) | q: the inner noise of parameter block q at
 * step s (q = 0 weights, 1 biases, 2 readout, 3 readout bias). No
 * allocation. */
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"

typedef struct edeep_state {
    int64_t inner;        /* inner steps taken in the current outer step */
    double gamma;         /* scope of the current outer step */
    pdx_deep inner_net;   /* theta' (a net over the workspace) */
    pdx_deep mu;          /* the average mu (a view: parameters only) */
    double *noise;        /* the largest block's Gaussians */
    pdx__deep_step step;  /* the gradient and the batch's arrays */
} edeep_state;

/* theta', mu, one block of noise, the gradient and the arrays. */
static double edeep_workspace_doubles(const pdx__trainer_sizes *sz)
{
    if (sz->deep.batch == 0 || sz->deep.student_depth == 0)
        return 0.0;
    return 3.0 * pdx__deep_param_doubles(sz) + pdx__deep_step_doubles(sz);
}

static void edeep_start(pdx_trainer *t)
{
    edeep_state *st = pdx__family_state(t);
    const size_t stride = (size_t)pdx__deep_param_doubles(&t->sizes);
    double *ws = pdx__family_doubles(t);
    st->inner = 0;
    st->gamma = t->params.train_esgd_gamma;
    pdx__deep_view(&st->inner_net, t->student.deep, ws);
    pdx__deep_view(&st->mu, t->student.deep, ws + stride);
    st->noise = ws + 2 * stride;
    pdx__deep_step_init(t, &st->step, ws + 3 * stride);
}

/* One Langevin step of n inner parameters tp toward the anchor th:
 * tp -= eta' (grad/b + decay tp + gamma (tp - th)) + sigma z; then
 * mu = (1 - alpha) mu + alpha tp. z from `noise` (NULL: none). */
static void edeep_update(double *restrict tp, const double *restrict th,
                         const double *restrict grad, double *restrict mu,
                         const double *restrict noise, size_t n, double scale,
                         double eta_inner, double decay, double gamma,
                         double sigma, double alpha)
{
    for (size_t j = 0; j < n; j++) {
        double step = grad[j] * scale + decay * tp[j] + gamma * (tp[j] - th[j]);
        tp[j] -= eta_inner * step;
        if (noise != NULL)
            tp[j] += sigma * noise[j];
        mu[j] = (1.0 - alpha) * mu[j] + alpha * tp[j];
    }
}

/* Inner step t->step on the minibatch idx[0..b-1]. */
static int edeep_inner_step(pdx_trainer *t, void *state,
                            const uint32_t *idx, size_t b)
{
    edeep_state *st = state;
    if (pdx__deep_gradient(t, &st->step, &st->inner_net, idx, b, NULL))
        return 1;
    const pdx_params *p = &t->params;
    const double eta_inner = p->train_esgd_inner_learning_rate;
    const double sigma = sqrt(eta_inner) * p->train_esgd_noise;
    const int noisy = p->train_esgd_noise > 0.0;
    pdx_rng_stream noise;
    if (noisy)
        pdx_rng_stream_init(&noise, t->seed, PDX_RNG_DYNAMICS, t->cell_key,
                            t->replica);
    double *tp[4], *th[4], *g[4], *mu[4];
    size_t len[4];
    pdx__deep_parts(&st->inner_net, tp, len);
    pdx__deep_parts(t->student.deep, th, len);
    pdx__deep_parts(&st->step.grad, g, len);
    pdx__deep_parts(&st->mu, mu, len);
    for (size_t q = 0; q < 4; q++) {
        if (noisy)
            pdx_rng_gaussian(&noise, ((uint64_t)t->step << 8) | q, st->noise,
                             len[q]);
        edeep_update(tp[q], th[q], g[q], mu[q], noisy ? st->noise : NULL,
                     len[q], 1.0 / (double)b, eta_inner, p->train_weight_decay,
                     st->gamma, sigma, p->train_esgd_alpha);
    }
    return 0;
}

/* The start of an outer step: theta' = mu = theta, the scope now. */
static void edeep_outer_begin(pdx_trainer *t, void *state)
{
    edeep_state *st = state;
    double *th[4], *tp[4], *mu[4];
    size_t len[4];
    pdx__deep_parts(t->student.deep, th, len);
    pdx__deep_parts(&st->inner_net, tp, len);
    pdx__deep_parts(&st->mu, mu, len);
    for (size_t q = 0; q < 4; q++) {
        memcpy(tp[q], th[q], len[q] * sizeof *tp[q]);
        memcpy(mu[q], th[q], len[q] * sizeof *mu[q]);
    }
    double time = (double)t->step / (double)t->steps_per_epoch;
    st->gamma = t->params.train_esgd_gamma_growth > 0.0
                    ? t->params.train_esgd_gamma *
                          pow(1.0 + t->params.train_esgd_gamma_growth, time)
                    : t->params.train_esgd_gamma;
}

/* The outer step theta -= eta gamma (theta - mu). */
static void edeep_outer_end(pdx_trainer *t, void *state)
{
    edeep_state *st = state;
    const double c = t->params.train_learning_rate * st->gamma;
    double *th[4], *mu[4];
    size_t len[4];
    pdx__deep_parts(t->student.deep, th, len);
    pdx__deep_parts(&st->mu, mu, len);
    for (size_t q = 0; q < 4; q++) {
        double *restrict w = th[q];
        const double *restrict m = mu[q];
        for (size_t j = 0; j < len[q]; j++)
            w[j] -= c * (w[j] - m[j]);
    }
    st->inner = 0;
}

static int edeep_iterate(pdx_trainer *t, int64_t until)
{
    static const pdx__entropy_steps steps = {
        edeep_outer_begin, edeep_inner_step, edeep_outer_end};
    edeep_state *st = pdx__family_state(t);
    return pdx__entropy_iterate(t, until, st, &st->inner, &steps);
}

static const pdx__trainer_algorithm edeep_algorithms[] = {
    {"entropy_sgd", PDX_ALG_ENTROPY_SGD, 0},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_entropy_deep = {
    .family = "entropy_deep",
    .algorithms = edeep_algorithms,
    .finite = 1,
    .deep = 1,
    .state_bytes = sizeof(edeep_state),
    .workspace_doubles = edeep_workspace_doubles,
    .start = edeep_start,
    .iterate = edeep_iterate,
};
