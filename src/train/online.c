/* online.c — the online family: SGD of soft committee machines on fresh
 * inputs (Saad-Solla / Goldt), time alpha = steps/N.
 *
 * Step t draws x (N Gaussians) from the INPUTS stream, block t, shared by
 * every cell of a replica; the label-noise Gaussian is entry N of the same
 * block. Update, with delta = y - yhat:
 *     w_k += eta / sqrt(N) * delta * v_k * g'(lambda_k) * x
 *     v_k += eta_v / N * delta * g(lambda_k)        (trained second layer)
 *
 * pdx_trainer_online_step is public: the sweep's bundles call it directly
 * (no indirect call per step) on an input stream shared by several
 * trainers of one replica. */
#include <math.h>

#include "pdx/rng.h"
#include "train_internal.h"

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

size_t pdx_trainer_online_draws(const pdx_params *params)
{
    return (size_t)params->N + (params->teacher_output_noise > 0.0 ? 1 : 0);
}

static int online_iterate(pdx_trainer *t, int64_t until)
{
    const size_t draws = pdx_trainer_online_draws(&t->params);
    pdx_rng_stream inputs;
    pdx_rng_stream_init(&inputs, t->seed, PDX_RNG_INPUTS, 0, t->replica);
    while (t->step < until) {
        pdx_rng_gaussian(&inputs, (uint64_t)t->step, t->x, draws);
        double y = pdx_model_forward(&t->teacher, t->x, t->nu);
        if (pdx_trainer_online_step(t, t->x, y))
            return 1;
    }
    return 0;
}

static const pdx__trainer_algorithm online_algorithms[] = {
    {"online", PDX_ALG_ONLINE, 0},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_online = {
    .family = "online",
    .algorithms = online_algorithms,
    .finite = 0,
    .iterate = online_iterate,
};
