/* helpers.c — what more than one trainer family needs: losses, the
 * spherical constraint, the per-epoch order of the examples, the time to
 * fit. No family calls another; they meet here. */
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"

double pdx__loss_value(int loss, double y, double yhat)
{
    switch (loss) {
    case PDX_LOSS_LOGISTIC: {
        double z = y * yhat;
        return z > 0.0 ? log1p(exp(-z)) : -z + log1p(exp(z));
    }
    case PDX_LOSS_HINGE: {
        double z = y * yhat;
        return z < 0.0 ? -z : 0.0;
    }
    case PDX_LOSS_SQUARED:
    default: {
        double d = y - yhat;
        return 0.5 * d * d;
    }
    }
}

void pdx__to_sphere(double *w, size_t n)
{
    double q = pdx_model_dot(w, w, n);
    if (q > 0.0) {
        double f = sqrt((double)n / q);
        for (size_t j = 0; j < n; j++)
            w[j] *= f;
    }
}

void pdx__make_perm(pdx_trainer *t, int64_t epoch)
{
    const size_t P = t->data->P;
    pdx_rng_stream shuffle;
    pdx_rng_stream_init(&shuffle, t->seed, PDX_RNG_SHUFFLE, t->cell_key,
                        t->replica);
    double *u = t->scratch;
    pdx_rng_uniform(&shuffle, (uint64_t)epoch, u, P);
    for (size_t i = 0; i < P; i++)
        t->perm[i] = (uint32_t)i;
    for (size_t i = P; i-- > 1;) {
        size_t j = (size_t)(u[i] * (double)(i + 1));
        if (j > i)
            j = i;
        uint32_t tmp = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = tmp;
    }
    t->perm_epoch = epoch;
}

size_t pdx__epoch_batch(pdx_trainer *t, int64_t epoch, int64_t pos,
                        const uint32_t **idx)
{
    const size_t P = t->data->P;
    const size_t B = (size_t)t->params.train_batch < P
                         ? (size_t)t->params.train_batch
                         : P;
    if (epoch != t->perm_epoch)
        pdx__make_perm(t, epoch);
    size_t first = (size_t)pos * B;
    *idx = t->perm + first;
    return first + B <= P ? B : P - first;
}

int pdx__entropy_iterate(pdx_trainer *t, int64_t until, void *state,
                         int64_t *inner,
                         const pdx__entropy_steps *steps)
{
    const int64_t L = t->params.train_esgd_langevin_steps;
    while (t->step < until) {
        int64_t epoch = t->step / t->steps_per_epoch;
        int64_t pos = t->step % t->steps_per_epoch;
        if (pos == 0)
            pdx__note_fit(t);
        if (*inner == 0)
            steps->begin(t, state);
        const uint32_t *idx;
        size_t b = pdx__epoch_batch(t, epoch, pos, &idx);
        if (steps->inner(t, state, idx, b))
            return 1;
        t->step++;
        (*inner)++;
        if (*inner == L || t->step == t->total_steps)
            steps->end(t, state);
    }
    if (t->step == t->total_steps)
        pdx__note_fit(t);
    return 0;
}

double pdx__replica_gamma(const pdx_params *p, double time)
{
    double gamma = p->train_replica_gamma;
    if (p->train_replica_gamma_growth > 0.0)
        gamma *= pow(1.0 + p->train_replica_gamma_growth, time);
    return gamma < p->train_replica_gamma_max ? gamma
                                              : p->train_replica_gamma_max;
}

/* 1 if the student classifies every training example (noisy labels)
 * correctly; stops at the first error. 0 for real labels. */
static int fits(pdx_trainer *t)
{
    if (!t->classification)
        return 0;
    const pdx_dataset *d = t->data;
    const size_t N = d->N;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    double g[64];
    if (t->student.deep != NULL) { /* a block of inputs at a time */
        double yhat[PDX_DEEP_BLOCK];
        for (size_t first = 0; first < d->P; first += PDX_DEEP_BLOCK) {
            size_t nb = d->P - first < PDX_DEEP_BLOCK ? d->P - first
                                                      : PDX_DEEP_BLOCK;
            pdx_deep_outputs(t->student.deep, d->x + first * N, nb, yhat);
            for (size_t b = 0; b < nb; b++)
                if (pdx__misclassified(yhat[b], d->y[first + b]))
                    return 0;
        }
        return 1;
    }
    for (size_t mu = 0; mu < d->P; mu++)
        if (pdx__misclassified(pdx__student_output(&t->student, d->x + mu * N,
                                                   t->lambda, g, inv_sqrt_N),
                               d->y[mu]))
            return 0;
    return 1;
}

void pdx__note_fit(pdx_trainer *t)
{
    if (isnan(t->time_to_fit) && fits(t))
        t->time_to_fit = (double)t->step / (double)t->steps_per_epoch;
}

/* The minibatch gradient of the loss of student s (a committee) on
 * examples idx[0..b-1] of the training set into t->grad_w (K x N) and
 * t->grad_v (K, when train_v), unscaled sums in order from +0 (the plain
 * sgd trainer's additions). Returns 1 on a non-finite loss slope. */
int pdx__batch_gradient(pdx_trainer *t, const pdx_committee *s,
                        const uint32_t *idx, size_t b, int train_v)
{
    const pdx_dataset *d = t->data;
    const size_t N = s->N, K = s->K;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const int loss = t->params.train_loss;
    double *restrict gw = t->grad_w;
    double *restrict gv = t->grad_v;
    double g[64];
    memset(gw, 0, K * N * sizeof *gw);
    memset(gv, 0, K * sizeof *gv);
    for (size_t i = 0; i < b; i++) {
        const double *restrict x = d->x + (size_t)idx[i] * N;
        double yhat = pdx__student_output(s, x, t->lambda, g, inv_sqrt_N);
        double slope = pdx__loss_slope(loss, d->y[idx[i]], yhat);
        if (!isfinite(slope))
            return 1;
        if (train_v)
            for (size_t k = 0; k < K; k++)
                gv[k] += slope * g[k];
        for (size_t k = 0; k < K; k++) {
            const double c = slope * s->v[k] *
                             pdx_model_dg(s->activation, t->lambda[k]) *
                             inv_sqrt_N;
            double *restrict gk = gw + k * N;
            for (size_t j = 0; j < N; j++)
                gk[j] += c * x[j];
        }
    }
    return 0;
}
