/* gradient.c — the gradient family on a fixed training set: minibatch
 * SGD (one step = one minibatch, ceil(P/B) an epoch, a fresh order each
 * epoch), full-batch gradient descent and Langevin dynamics (one step =
 * one epoch). The plain gradient of the mean loss of the batch plus
 * weight_decay/2 (|w|^2 + |v|^2), as torch.optim.SGD; Langevin adds
 * sqrt(2 eta T) N(0, 1) to every trained weight each step, so that its
 * stationary law is exp(-(mean loss + decay)/T).
 *
 * Random numbers (per cell: keyed by (seed, cell_key, replica)):
 *   SHUFFLE block e: P uniforms, the Fisher-Yates order of epoch e;
 *   DYNAMICS block (s << 8) | k: N Gaussians, Langevin noise of unit k at
 *     step s (k = 255: the K second-layer weights).
 *   DROPOUT block (s << 24) | i: K uniforms, the dropout mask of the i-th
 *     example of step s's batch (train.dropout > 0; sgd, gd).
 * No allocation. */
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"
#include "vec8.h"

/* Batches of up to FUSED examples keep their coefficients and rows and
 * sum each weight's gradient in one pass after the loop (the same
 * additions in the same order as accumulating into grad_w, without its
 * loads and stores per example). */
enum { FUSED = 64 };

static int is_perceptron(const pdx_trainer *t)
{
    return t->params.student_kind == PDX_MODEL_PERCEPTRON;
}

/* w[j] -= eta (scale sum_i c[i] rows[i][j] + decay w[j]), the sum over
 * i in order from +0: 8 weights at a time in one vector, element by
 * element the same operations as the scalar loop. */

static void fused_update(double *restrict w, size_t N,
                         const double *const *rows, const double *c,
                         size_t b, double eta, double scale, double decay)
{
    size_t j = 0;
    for (; j + 8 <= N; j += 8) {
        pdx_vd acc[PDX_VN];
        for (int h = 0; h < PDX_VN; h++)
            acc[h] = (pdx_vd){0};
        for (size_t i = 0; i < b; i++)
            for (int h = 0; h < PDX_VN; h++)
                acc[h] += c[i] * pdx_vd_load(rows[i] + j + (size_t)h * PDX_VW);
        for (int h = 0; h < PDX_VN; h++) {
            double *wj = w + j + (size_t)h * PDX_VW;
            pdx_vd wv = pdx_vd_load(wj);
            wv -= eta * (acc[h] * scale + decay * wv);
            pdx_vd_store(wj, wv);
        }
    }
    for (; j < N; j++) {
        double acc = 0.0;
        for (size_t i = 0; i < b; i++)
            acc += c[i] * rows[i][j];
        w[j] -= eta * (acc * scale + decay * w[j]);
    }
}

/* The update of a batch of b examples after its gradient is summed:
 * fused (rows and coefs[i][k] kept) or from t->grad_w; t->grad_v holds the
 * second layer's gradient. Then the Langevin noise (temperature > 0). */
static void apply_batch(pdx_trainer *t, const double *const *rows,
                        const double *coefs, size_t b, int fused,
                        int train_v, double temperature)
{
    pdx_committee *s = &t->student;
    const size_t N = s->N, K = s->K;
    const double eta = t->params.train_learning_rate;
    const double eta_v = t->params.train_learning_rate_second;
    const double decay = t->params.train_weight_decay;
    const double *restrict gw = t->grad_w;
    double *restrict gv = t->grad_v;
    const double scale = 1.0 / (double)b;
    pdx_rng_stream noise;
    if (temperature > 0.0)
        pdx_rng_stream_init(&noise, t->seed, PDX_RNG_DYNAMICS,
                            t->cell_key, t->replica);
    const double sigma = sqrt(2.0 * eta * temperature);
    const double sigma_v = sqrt(2.0 * eta_v * temperature);
    if (train_v) {
        for (size_t k = 0; k < K; k++)
            s->v[k] -= eta_v * (gv[k] * scale + decay * s->v[k]);
        if (temperature > 0.0) {
            /* gv is spent: reuse it for the noise */
            pdx_rng_gaussian(&noise, ((uint64_t)t->step << 8) | 255u, gv,
                             K);
            for (size_t k = 0; k < K; k++)
                s->v[k] += sigma_v * gv[k];
        }
    }
    for (size_t k = 0; k < K; k++) {
        double *restrict w = s->w + k * N;
        if (fused) {
            double ck[FUSED];
            for (size_t i = 0; i < b; i++)
                ck[i] = coefs[i * K + k];
            fused_update(w, N, rows, ck, b, eta, scale, decay);
        } else {
            const double *restrict gk = gw + k * N;
            for (size_t j = 0; j < N; j++)
                w[j] -= eta * (gk[j] * scale + decay * w[j]);
        }
        if (temperature > 0.0) {
            pdx_rng_gaussian(&noise, ((uint64_t)t->step << 8) | k, t->x,
                             N);
            const double *restrict xi = t->x;
            for (size_t j = 0; j < N; j++)
                w[j] += sigma * xi[j];
        }
    }
}

/* One gradient step on the examples idx[0..b-1] (idx NULL: 0..b-1), with
 * Langevin noise of temperature `temperature` (0: none). Counts the
 * misclassified examples at the current weights into *errors (if not
 * NULL). Returns 1 on a non-finite loss slope (diverged). */
static int gradient_step(pdx_trainer *t, const uint32_t *idx, size_t b,
                         double temperature, int64_t *errors)
{
    pdx_committee *s = &t->student;
    const pdx_dataset *d = t->data;
    const size_t N = s->N, K = s->K;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const double eta = t->params.train_learning_rate;
    const double eta_v = t->params.train_learning_rate_second;
    const double decay = t->params.train_weight_decay;
    const int loss = t->params.train_loss;
    const int act = s->activation;
    const int train_v = !is_perceptron(t) &&
                        (t->params.student_kind == PDX_MODEL_TWOLAYER ||
                         t->params.student_second_layer == PDX_SECOND_TRAINED);
    double *restrict gw = t->grad_w;
    double *restrict gv = t->grad_v;
    double *lambda = t->lambda;
    /* adversarial training: each example's attack x + delta in t->x,
     * summed into grad_w (rows are not kept) */
    const int adversarial = t->params.train_adversarial_budget > 0.0;
    const int direct = !adversarial && b == 1 && temperature == 0.0;
    const int fused = !adversarial && !direct && b <= FUSED;
    const double *rows[FUSED];
    double coefs[FUSED * 64]; /* [i][k], K <= 64 */
    if (!direct) {
        if (!fused)
            memset(gw, 0, K * N * sizeof *gw);
        memset(gv, 0, K * sizeof *gv);
    }
    int64_t wrong = 0;
    double g[64], mask[64];
    /* inverted dropout of the hidden units (train.dropout; not Langevin) */
    const double dropout = temperature > 0.0 ? 0.0 : t->params.train_dropout;
    pdx_rng_stream drop;
    if (dropout > 0.0)
        pdx_rng_stream_init(&drop, t->seed, PDX_RNG_DROPOUT, t->cell_key,
                            t->replica);
    for (size_t i = 0; i < b; i++) {
        size_t mu = idx != NULL ? idx[i] : i;
        const double *restrict x = d->x + mu * N;
        const double y = d->y[mu];
        if (adversarial) {
            pdx__adversarial_input(t, x, y, t->x);
            x = t->x;
        }
        double yhat = pdx__student_output(s, x, lambda, g, inv_sqrt_N);
        if (errors != NULL && t->classification)
            wrong += pdx__misclassified(yhat, y);
        if (dropout > 0.0) { /* the masked output; errors are unmasked */
            pdx_rng_uniform(&drop, ((uint64_t)t->step << 24) | i, mask, K);
            pdx_model_dropout_mask(mask, K, dropout, mask);
            yhat = 0.0;
            for (size_t k = 0; k < K; k++) {
                g[k] *= mask[k];
                yhat += s->v[k] * g[k];
            }
        }
        double slope = pdx__loss_slope(loss, y, yhat);
        if (!isfinite(slope))
            return 1;
        for (size_t k = 0; k < K; k++)
            t->coef[k] = slope * s->v[k] * pdx_model_dg(act, lambda[k]) *
                         inv_sqrt_N;
        if (dropout > 0.0)
            for (size_t k = 0; k < K; k++)
                t->coef[k] *= mask[k];
        if (direct) {
            /* b = 1: update in place (the gradient is of the old weights
             * since every coefficient is already computed) */
            if (train_v)
                for (size_t k = 0; k < K; k++)
                    s->v[k] -= eta_v * (slope * g[k] + decay * s->v[k]);
            for (size_t k = 0; k < K; k++) {
                double *restrict w = s->w + k * N;
                const double c = eta * t->coef[k];
                if (decay > 0.0) {
                    const double shrink = 1.0 - eta * decay;
                    for (size_t j = 0; j < N; j++)
                        w[j] = shrink * w[j] - c * x[j];
                } else {
                    for (size_t j = 0; j < N; j++)
                        w[j] -= c * x[j];
                }
            }
        } else if (fused) {
            if (train_v)
                for (size_t k = 0; k < K; k++)
                    gv[k] += slope * g[k];
            rows[i] = x;
            memcpy(coefs + i * K, t->coef, K * sizeof *coefs);
        } else {
            if (train_v)
                for (size_t k = 0; k < K; k++)
                    gv[k] += slope * g[k];
            for (size_t k = 0; k < K; k++) {
                double *restrict gk = gw + k * N;
                const double c = t->coef[k];
                for (size_t j = 0; j < N; j++)
                    gk[j] += c * x[j];
            }
        }
    }
    if (errors != NULL)
        *errors = wrong;
    if (!direct)
        apply_batch(t, rows, coefs, b, fused, train_v, temperature);
    if (is_perceptron(t) && t->params.student_weights == PDX_WEIGHTS_SPHERICAL)
        pdx__to_sphere(s->w, N);
    return 0;
}

static int run_sgd(pdx_trainer *t, int64_t until)
{
    for (; t->step < until; t->step++) {
        int64_t epoch = t->step / t->steps_per_epoch;
        int64_t pos = t->step % t->steps_per_epoch;
        if (pos == 0)
            pdx__note_fit(t);
        const uint32_t *idx;
        size_t b = pdx__epoch_batch(t, epoch, pos, &idx);
        if (gradient_step(t, idx, b, 0.0, NULL))
            return 1;
    }
    return 0;
}

static int run_full_batch(pdx_trainer *t, int64_t until, double temperature)
{
    for (; t->step < until; t->step++) {
        int64_t errors = 0;
        if (gradient_step(t, NULL, t->data->P, temperature, &errors))
            return 1;
        if (t->classification && errors == 0 && isnan(t->time_to_fit))
            t->time_to_fit = (double)t->step; /* errors of w(step) */
    }
    return 0;
}

static int gradient_iterate(pdx_trainer *t, int64_t until)
{
    int diverged =
        t->params.train_algorithm == PDX_ALG_SGD
            ? run_sgd(t, until)
            : run_full_batch(t, until,
                             t->params.train_algorithm == PDX_ALG_LANGEVIN
                                 ? t->params.train_temperature
                                 : 0.0);
    if (diverged)
        return 1;
    if (t->step == t->total_steps)
        pdx__note_fit(t);
    return 0;
}

static const pdx__trainer_algorithm gradient_algorithms[] = {
    {"sgd", PDX_ALG_SGD, 0},
    {"gd", PDX_ALG_GD, 0},
    {"langevin", PDX_ALG_LANGEVIN, 1},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_gradient = {
    .family = "gradient",
    .algorithms = gradient_algorithms,
    .finite = 1,
    .iterate = gradient_iterate,
};
