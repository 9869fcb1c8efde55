/* metropolis_entry.c — the version-space entry of spherical Metropolis
 * students (train.entry perceptron; issue 14 item 4).
 *
 * At T = 0 Metropolis accepts no move that raises the training error, so
 * a hot start on the sphere only descends and stays stuck at positive
 * error (N = 200, alpha = 10: train error .37 where Gibbs learning at
 * T = 0 has none). The entry first runs the perceptron rule (Rosenblatt;
 * examples in their order mu = 0 .. P-1, w += y_mu x_mu on each mistake,
 * sign(0) = +1 as in the energy) from the start weights until an epoch
 * without mistakes (entry_epochs counts the epochs, that one included;
 * 0 when the start has no training error), then puts w back on the
 * sphere |w|^2 = N. Metropolis
 * at T = 0 from there is a random walk within the version space (every
 * move that leaves it is refused), whose uniform measure is Gibbs
 * learning at T = 0. The perceptron convergence theorem guarantees an
 * entry for a separable set (every set of clean teacher labels); with
 * label noise above the interpolation threshold there is none, and after
 * PDX_ENTRY_MAX_EPOCHS the weights are left where the rule ended and the
 * task is marked not equilibrated. No random numbers: the entry changes
 * no stream. */
#include <math.h>

#include "train_internal.h"

/* One epoch of the perceptron rule; returns the mistakes made. */
static size_t entry_epoch(double *w, const pdx_dataset *d)
{
    const size_t N = d->N, P = d->P;
    size_t mistakes = 0;
    for (size_t mu = 0; mu < P; mu++) {
        const double *x = d->x + mu * N;
        double h = pdx_model_dot(w, x, N);
        if (!pdx__misclassified(h, d->y[mu]))
            continue;
        mistakes++;
        const double y = d->y[mu] > 0.0 ? 1.0 : -1.0;
        for (size_t j = 0; j < N; j++)
            w[j] += y * x[j];
    }
    return mistakes;
}

/* Mistakes of w on the training set (0 or 1: stops at the first). */
static size_t entry_any_mistake(const double *w, const pdx_dataset *d)
{
    for (size_t mu = 0; mu < d->P; mu++)
        if (pdx__misclassified(pdx_model_dot(w, d->x + mu * d->N, d->N),
                               d->y[mu]))
            return 1;
    return 0;
}

double pdx__metropolis_entry(pdx_trainer *t)
{
    const pdx_dataset *d = t->data;
    double *w = t->student.w;
    const size_t N = d->N;
    /* the rule on unnormalised weights (its convergence needs |w| to
     * grow); a solution is checked again on the sphere, where sampling
     * starts (a field within rounding of 0 could change sign) */
    if (!entry_any_mistake(w, d))
        return 0.0;
    for (int epoch = 1; epoch <= PDX_ENTRY_MAX_EPOCHS; epoch++) {
        if (entry_epoch(w, d) > 0)
            continue;
        pdx__to_sphere(w, N);
        if (!entry_any_mistake(w, d))
            return (double)epoch;
    }
    pdx__to_sphere(w, N);
    return NAN;
}
