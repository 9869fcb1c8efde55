/* entropy_sgd.c — the Entropy-SGD family (Chaudhari et al. 2017,
 * "Entropy-SGD: biasing gradient descent into wide valleys", Algorithm 1):
 * gradient steps on the local entropy
 *     F(w; gamma) = ln int dw' exp(-f(w') - (gamma/2) |w - w'|^2),
 *     -grad F = gamma (w - <w'>),
 * with <w'> estimated by L Langevin (SGLD) steps started at w' = mu = w:
 *     w' -= eta' (grad f_B(w') + gamma (w' - w)) + sqrt(eta') eps N(0, 1),
 *     mu = (1 - alpha) mu + alpha w',
 * then the outer step w -= eta gamma (w - mu). f is the mean loss of the
 * minibatch (train.batch, train.loss) plus weight_decay/2 (|w|^2 + |v|^2),
 * as in the gradient family; every trained weight (w, and v for twolayer
 * or trained second layers) takes part. Scoping: gamma = gamma_0 (1 +
 * growth)^t, t the time (epochs) at the start of the outer step.
 *
 * Time: one step = one inner step = one minibatch gradient, so an epoch
 * is ceil(P/B) steps as for sgd (the same gradients per epoch: Chaudhari's
 * "effective epochs"); an outer step is L steps, and one also ends at the
 * end of training. The student holds the outer weights w at every
 * checkpoint; w' and mu live in the family workspace.
 *
 * Limits (tests/test_train.c): L = 1, alpha = 1, eps = 0, eta' gamma = 1
 * is sgd's step w -= eta grad f_B(w) for any gamma; full batches with
 * alpha = 1, eps = 0, eta' gamma = 1 give gd's step for any L up to
 * O(1/gamma) (gamma -> infinity).
 *
 * Random numbers (per cell: keyed by (seed, cell_key, replica)):
 *   SHUFFLE block e: the order of epoch e (pdx__make_perm, as sgd);
 *   DYNAMICS block (s << 8) | k: N Gaussians, the inner noise of unit k at
 *     step s (k = 255: the K second-layer weights).
 * No allocation. */
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"

typedef struct esgd_state {
    int64_t inner;   /* inner steps taken in the current outer step */
    double gamma;    /* scope of the current outer step */
    int train_v;     /* the second layer is trained */
} esgd_state;

/* Workspace: w' (K N), v' (K), mu_w (K N), mu_v (K). */
static double esgd_workspace_doubles(const pdx__trainer_sizes *sz)
{
    return 2.0 * ((double)sz->max_K * (double)sz->max_N + (double)sz->max_K);
}

static void esgd_views(pdx_trainer *t, double **wp, double **vp,
                       double **mu_w, double **mu_v)
{
    const size_t KN = t->student.K * t->student.N, K = t->student.K;
    double *ws = pdx__family_doubles(t);
    *wp = ws;
    *vp = ws + KN;
    *mu_w = ws + KN + K;
    *mu_v = ws + 2 * KN + K;
}

static void esgd_start(pdx_trainer *t)
{
    esgd_state *st = pdx__family_state(t);
    st->inner = 0;
    st->gamma = t->params.train_esgd_gamma;
    st->train_v = t->params.student_kind == PDX_MODEL_TWOLAYER ||
                  (t->params.student_kind == PDX_MODEL_COMMITTEE &&
                   t->params.student_second_layer == PDX_SECOND_TRAINED);
}

/* One Langevin step of n inner weights wp toward the anchor w:
 * wp -= eta' (grad/b + decay wp + gamma (wp - w)) + sigma z; then
 * mu = (1 - alpha) mu + alpha wp. z from `noise` (NULL: none). */
static void inner_update(double *restrict wp, const double *restrict w,
                         const double *restrict grad, double *restrict mu,
                         const double *restrict noise, size_t n, double scale,
                         double eta_inner, double decay, double gamma,
                         double sigma, double alpha)
{
    for (size_t j = 0; j < n; j++) {
        double step = grad[j] * scale + decay * wp[j] + gamma * (wp[j] - w[j]);
        wp[j] -= eta_inner * step;
        if (noise != NULL)
            wp[j] += sigma * noise[j];
        mu[j] = (1.0 - alpha) * mu[j] + alpha * wp[j];
    }
}

/* Inner step t->step on the minibatch idx[0..b-1]. */
static int inner_step(pdx_trainer *t, void *state, const uint32_t *idx,
                      size_t b)
{
    const esgd_state *st = state;
    pdx_committee *s = &t->student;
    const size_t N = s->N, K = s->K;
    double *wp, *vp, *mu_w, *mu_v;
    esgd_views(t, &wp, &vp, &mu_w, &mu_v);
    pdx_committee inner = *s;
    inner.w = wp;
    inner.v = vp;
    if (pdx__batch_gradient(t, &inner, idx, b, st->train_v))
        return 1;
    const pdx_params *p = &t->params;
    const double eta_inner = p->train_esgd_inner_learning_rate;
    const double decay = p->train_weight_decay;
    const double sigma = sqrt(eta_inner) * p->train_esgd_noise;
    const double alpha = p->train_esgd_alpha;
    const double scale = 1.0 / (double)b;
    pdx_rng_stream noise;
    const int noisy = p->train_esgd_noise > 0.0;
    if (noisy)
        pdx_rng_stream_init(&noise, t->seed, PDX_RNG_DYNAMICS, t->cell_key,
                            t->replica);
    if (st->train_v) {
        if (noisy) /* into coef: K doubles of scratch */
            pdx_rng_gaussian(&noise, ((uint64_t)t->step << 8) | 255u,
                             t->coef, K);
        inner_update(vp, s->v, t->grad_v, mu_v, noisy ? t->coef : NULL, K,
                     scale, eta_inner, decay, st->gamma, sigma, alpha);
    }
    for (size_t k = 0; k < K; k++) {
        if (noisy)
            pdx_rng_gaussian(&noise, ((uint64_t)t->step << 8) | k, t->x, N);
        inner_update(wp + k * N, s->w + k * N, t->grad_w + k * N,
                     mu_w + k * N, noisy ? t->x : NULL, N, scale, eta_inner,
                     decay, st->gamma, sigma, alpha);
    }
    return 0;
}

/* The start of an outer step: w' = mu = w, the scope at this time. */
static void outer_begin(pdx_trainer *t, void *state)
{
    esgd_state *st = state;
    const pdx_committee *s = &t->student;
    const size_t KN = s->K * s->N;
    double *wp, *vp, *mu_w, *mu_v;
    esgd_views(t, &wp, &vp, &mu_w, &mu_v);
    memcpy(wp, s->w, KN * sizeof *wp);
    memcpy(mu_w, s->w, KN * sizeof *mu_w);
    memcpy(vp, s->v, s->K * sizeof *vp);
    memcpy(mu_v, s->v, s->K * sizeof *mu_v);
    double time = (double)t->step / (double)t->steps_per_epoch;
    st->gamma = t->params.train_esgd_gamma_growth > 0.0
                    ? t->params.train_esgd_gamma *
                          pow(1.0 + t->params.train_esgd_gamma_growth, time)
                    : t->params.train_esgd_gamma;
}

/* The outer step w -= eta gamma (w - mu). */
static void outer_end(pdx_trainer *t, void *state)
{
    esgd_state *st = state;
    pdx_committee *s = &t->student;
    const size_t KN = s->K * s->N;
    double *wp, *vp, *mu_w, *mu_v;
    esgd_views(t, &wp, &vp, &mu_w, &mu_v);
    const double c = t->params.train_learning_rate * st->gamma;
    double *restrict w = s->w;
    for (size_t j = 0; j < KN; j++)
        w[j] -= c * (w[j] - mu_w[j]);
    if (st->train_v) {
        const double cv = t->params.train_learning_rate_second * st->gamma;
        for (size_t k = 0; k < s->K; k++)
            s->v[k] -= cv * (s->v[k] - mu_v[k]);
    }
    st->inner = 0;
}

static int esgd_iterate(pdx_trainer *t, int64_t until)
{
    static const pdx__entropy_steps steps = {outer_begin, inner_step,
                                             outer_end};
    esgd_state *st = pdx__family_state(t);
    return pdx__entropy_iterate(t, until, st, &st->inner, &steps);
}

static const pdx__trainer_algorithm esgd_algorithms[] = {
    {"entropy_sgd", PDX_ALG_ENTROPY_SGD, 0},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_entropy_sgd = {
    .family = "entropy_sgd",
    .algorithms = esgd_algorithms,
    .finite = 1,
    .state_bytes = sizeof(esgd_state),
    .workspace_doubles = esgd_workspace_doubles,
    .start = esgd_start,
    .iterate = esgd_iterate,
};
