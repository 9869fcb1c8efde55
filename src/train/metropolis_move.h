/* metropolis_move.h — one Metropolis move of a perceptron on a fixed
 * training set, shared by the plain run (metropolis.c) and parallel
 * tempering (tempering.c), so that both do the same arithmetic.
 *
 * Binary weights: flip w_i, i from u[0]. Spherical weights: rotate
 * (w_i, w_j), i != j from u[0], u[1], by the angle angle (2 u[2] - 1),
 * which keeps |w|^2. The fields h_mu = w.x_mu are updated in O(P); xt is
 * the inputs transposed (N x P); acceptance with u[1] (binary) or u[3]
 * (spherical) against exp(-dE/T). Returns 1 if accepted (then *energy
 * gains dE). */
#ifndef PDX_METROPOLIS_MOVE_H
#define PDX_METROPOLIS_MOVE_H

#include <math.h>

#include "train_internal.h"

static inline int pdx__mc_move(double *restrict w, double *restrict h,
                               const double *restrict xt,
                               const double *restrict y, size_t N, size_t P,
                               int spherical, double angle, double T,
                               const double *u, int64_t *energy)
{
    size_t i = (size_t)(u[0] * (double)N);
    if (i >= N)
        i = N - 1;
    const double *restrict xi = xt + i * P;
    int64_t dE = 0;
    if (!spherical) {
        const double step_i = -2.0 * w[i];
        for (size_t mu = 0; mu < P; mu++) {
            double hn = h[mu] + step_i * xi[mu];
            dE += pdx__misclassified(hn, y[mu]) -
                  pdx__misclassified(h[mu], y[mu]);
        }
        int accept = dE <= 0 || (T > 0.0 && u[1] < exp(-(double)dE / T));
        if (accept) {
            w[i] = -w[i];
            for (size_t mu = 0; mu < P; mu++)
                h[mu] += step_i * xi[mu];
            *energy += dE;
        }
        return accept;
    }
    size_t j = (size_t)(u[1] * (double)(N - 1));
    if (j >= N - 1)
        j = N - 2;
    if (j >= i)
        j++;
    const double *restrict xj = xt + j * P;
    double theta = angle * (2.0 * u[2] - 1.0);
    double c = cos(theta), sn = sin(theta);
    double wi = c * w[i] - sn * w[j];
    double wj = sn * w[i] + c * w[j];
    double di = wi - w[i], dj = wj - w[j];
    for (size_t mu = 0; mu < P; mu++) {
        double hn = h[mu] + di * xi[mu] + dj * xj[mu];
        dE += pdx__misclassified(hn, y[mu]) - pdx__misclassified(h[mu], y[mu]);
    }
    int accept = dE <= 0 || (T > 0.0 && u[3] < exp(-(double)dE / T));
    if (accept) {
        w[i] = wi;
        w[j] = wj;
        for (size_t mu = 0; mu < P; mu++)
            h[mu] += di * xi[mu] + dj * xj[mu];
        *energy += dE;
    }
    return accept;
}

#endif
