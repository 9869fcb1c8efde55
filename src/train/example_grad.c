/* example_grad.c — per-example gradients of the training loss at the
 * current weights, for the gradient-noise geometry of issue 17
 * (pdx/observe.h, "Gradient-noise geometry"). The parameter vector is
 * the student's trained weights in a fixed order: w (K x N, row k at k N)
 * then, when the second layer is trained, v (K). The gradient of example
 * mu is the gradient of loss(y_mu, yhat(x_mu)) alone (no weight decay:
 * it is the same for every example), the same coefficients as the
 * gradient family's step (gradient.c): d/dw_k = slope v_k g'(lambda_k)
 * x / sqrt(N), d/dv_k = slope g(lambda_k). Clean training inputs (an
 * adversarial run's attacks are not reproduced). No allocation. */
#include <math.h>
#include <string.h>

#include "train_internal.h"

static int trains_second_layer(const pdx_trainer *t)
{
    return t->params.student_kind != PDX_MODEL_PERCEPTRON &&
           (t->params.student_kind == PDX_MODEL_TWOLAYER ||
            t->params.student_second_layer == PDX_SECOND_TRAINED);
}

size_t pdx_trainer_parameter_count(const pdx_trainer *t)
{
    const pdx_committee *s = &t->student;
    if (s->deep != NULL || t->data == NULL)
        return 0;
    return s->K * s->N + (trains_second_layer(t) ? s->K : 0);
}

size_t pdx_trainer_parameters(const pdx_trainer *t, double *out)
{
    const size_t d = pdx_trainer_parameter_count(t);
    if (d == 0)
        return 0;
    const pdx_committee *s = &t->student;
    memcpy(out, s->w, s->K * s->N * sizeof *out);
    if (d > s->K * s->N)
        memcpy(out + s->K * s->N, s->v, s->K * sizeof *out);
    return d;
}

size_t pdx_trainer_example_gradients(pdx_trainer *t, double *G, size_t ld,
                                     double *decay_grad)
{
    const size_t d = pdx_trainer_parameter_count(t);
    if (d == 0)
        return 0;
    const pdx_committee *s = &t->student;
    const pdx_dataset *data = t->data;
    const size_t N = s->N, K = s->K, P = data->P;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const int train_v = d > K * N;
    double g[64];
    for (size_t mu = 0; mu < P; mu++) {
        const double *x = data->x + mu * N;
        double yhat = pdx__student_output(s, x, t->lambda, g, inv_sqrt_N);
        double slope = pdx__loss_slope(t->params.train_loss, data->y[mu],
                                       yhat);
        double *row = G + mu * ld;
        for (size_t k = 0; k < K; k++) {
            double c = slope * s->v[k] *
                       pdx_model_dg(s->activation, t->lambda[k]) * inv_sqrt_N;
            for (size_t j = 0; j < N; j++)
                row[k * N + j] = c * x[j];
        }
        if (train_v)
            for (size_t k = 0; k < K; k++)
                row[K * N + k] = slope * g[k];
    }
    if (decay_grad != NULL) {
        const double decay = t->params.train_weight_decay;
        for (size_t i = 0; i < K * N; i++)
            decay_grad[i] = decay * s->w[i];
        if (train_v)
            for (size_t k = 0; k < K; k++)
                decay_grad[K * N + k] = decay * s->v[k];
    }
    return d;
}
