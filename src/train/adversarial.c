/* adversarial.c — adversarial training (issue 18): sgd on x + delta, the
 * attack of train.adversarial_attack with budget train.adversarial_budget
 * in record.norm against the example's training loss at the current
 * weights (Goodfellow et al. 2015: fgsm; Madry et al. 2018: pgd from
 * delta = 0, steps of 2.5 eps/steps projected on the ball). No random
 * numbers, no allocation: the input gradient sum_k c_k w_k is formed one
 * entry at a time. */
#include <math.h>
#include <string.h>

#include "train_internal.h"

/* Entry j of the loss's input gradient: sum_k coef[k] w_kj. */
static double input_gradient(const pdx_committee *s, const double *coef,
                             size_t j)
{
    double g = 0.0;
    for (size_t k = 0; k < s->K; k++)
        g += coef[k] * s->w[k * s->N + j];
    return g;
}

void pdx__adversarial_input(pdx_trainer *t, const double *x, double y,
                            double *out)
{
    const pdx_committee *s = &t->student;
    const pdx_params *p = &t->params;
    const size_t N = s->N, K = s->K;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const double eps = p->train_adversarial_budget;
    const int linf = p->record_norm == PDX_NORM_LINF;
    const int fgsm = p->train_adversarial_attack == PDX_ATTACK_FGSM;
    const int64_t steps = fgsm ? 1 : p->train_adversarial_steps;
    const double step = fgsm ? eps : 2.5 * eps / (double)steps;
    double g[64];
    memcpy(out, x, N * sizeof *out);
    for (int64_t it = 0; it < steps; it++) {
        double yhat = pdx__student_output(s, out, t->lambda, g, inv_sqrt_N);
        double slope = pdx__loss_slope(p->train_loss, y, yhat);
        if (!isfinite(slope))
            return; /* the step itself reports the divergence */
        for (size_t k = 0; k < K; k++)
            t->coef[k] = slope * s->v[k] *
                         pdx_model_dg(s->activation, t->lambda[k]) *
                         inv_sqrt_N;
        if (linf) {
            for (size_t j = 0; j < N; j++) {
                double gj = input_gradient(s, t->coef, j);
                double d = out[j] - x[j] +
                           (gj > 0.0 ? step : gj < 0.0 ? -step : 0.0);
                out[j] = x[j] + (d > eps ? eps : d < -eps ? -eps : d);
            }
            continue;
        }
        double gn = 0.0, dn = 0.0;
        for (size_t j = 0; j < N; j++) {
            double gj = input_gradient(s, t->coef, j);
            gn += gj * gj;
        }
        if (!(gn > 0.0))
            return;
        gn = sqrt(gn);
        for (size_t j = 0; j < N; j++) {
            double d = out[j] - x[j] + step * input_gradient(s, t->coef, j) / gn;
            dn += d * d;
        }
        dn = sqrt(dn);
        double shrink = dn > eps ? eps / dn : 1.0;
        for (size_t j = 0; j < N; j++) {
            double d = out[j] - x[j] + step * input_gradient(s, t->coef, j) / gn;
            out[j] = x[j] + shrink * d;
        }
    }
}
