/* theory_high_temperature.c — binary (Ising) perceptrons in the
 * high-temperature limit T -> infinity at fixed kappa = alpha/T (Seung,
 * Sompolinsky & Tishby 1992): the first-order transition kappa_c and the
 * spinodal kappa_sp of the poor branch, by Brent's method (GSL). */
#include "pdx/theory.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>


/* -beta f(R) = s(R) - kappa' arccos(R)/pi - kappa p with kappa' = kappa
 * (1-2p) and s(R) the entropy of Ising vectors at overlap R with the
 * teacher. The poor branch is the local maximum R* < 1 (dG/dR = 0); the
 * perfect state R = 1 has -beta f = -kappa p. The spinodal is where
 * d^2G/dR^2 = 0 too: R atanh(R) = 1, kappa' = pi sqrt(1-R^2) atanh(R). */
static double ising_ht_entropy(double R)
{
    double a = 0.5 * (1.0 + R), b = 0.5 * (1.0 - R);
    return -(a * log(a) + (b > 0.0 ? b * log(b) : 0.0));
}

static double ising_ht_slope(double R, void *params)
{
    double kappa = *(const double *)params;
    return -atanh(R) + kappa / (M_PI * sqrt(1.0 - R * R));
}

static double ising_ht_spinodal_eq(double R, void *params)
{
    (void)params;
    return R * atanh(R) - 1.0;
}

static int brent(gsl_function *F, double lo, double hi, double tol,
                 double *root)
{
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (s == NULL)
        return -1;
    int status = GSL_CONTINUE;
    if (gsl_root_fsolver_set(s, F, lo, hi) == GSL_SUCCESS)
        for (int iter = 0; iter < 200 && status == GSL_CONTINUE; iter++) {
            if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
                break;
            status = gsl_root_test_interval(gsl_root_fsolver_x_lower(s),
                                            gsl_root_fsolver_x_upper(s), 0.0,
                                            tol);
        }
    *root = gsl_root_fsolver_root(s);
    gsl_root_fsolver_free(s);
    return status == GSL_SUCCESS ? 0 : -1;
}

static double ising_ht_poor_phi(double kappa, void *params)
{
    double R_sp = *(const double *)params, R;
    gsl_function F = {ising_ht_slope, &kappa};
    if (brent(&F, 0.0, R_sp, 1e-15, &R) != 0)
        return NAN;
    return ising_ht_entropy(R) - kappa * acos(R) / M_PI;
}

int pdx_theory_ising_high_temperature(double label_noise, double *kappa_c,
                                      double *kappa_sp)
{
    *kappa_c = *kappa_sp = NAN;
    if (!(label_noise >= 0.0) || !(label_noise < 0.5))
        return -1;
    double R_sp;
    gsl_function S = {ising_ht_spinodal_eq, NULL};
    if (brent(&S, 0.5, 0.99, 1e-15, &R_sp) != 0)
        return -1;
    double k_sp = M_PI * sqrt(1.0 - R_sp * R_sp) * atanh(R_sp);
    double k_c;
    gsl_function F = {ising_ht_poor_phi, &R_sp};
    if (brent(&F, 0.5, k_sp * (1.0 - 1e-9), 1e-13, &k_c) != 0)
        return -1;
    *kappa_c = k_c / (1.0 - 2.0 * label_noise);
    *kappa_sp = k_sp / (1.0 - 2.0 * label_noise);
    return 0;
}
