/* equilibrate.c — equilibration diagnostics of a Monte Carlo time series
 * (issue 14 item 4): the integrated autocorrelation time by Sokal's
 * automatic windowing, a drift test between the series' beginning and
 * end, and the verdict `equilibrated` (docs/TRAINERS.md, "Equilibrated
 * Monte Carlo"). Pure arithmetic on arrays; no allocation.
 *
 * References: A. D. Sokal, "Monte Carlo methods in statistical mechanics:
 * foundations and new algorithms", in Functional Integration (Cargese
 * 1996), Plenum 1997, sec. 3 (the windowed estimator and its window
 * rule M >= c tau(M), c ~ 5); N. Madras and A. D. Sokal, J. Stat. Phys.
 * 50, 109 (1988); J. Geweke, "Evaluating the accuracy of sampling-based
 * approaches to calculating posterior moments", Bayesian Statistics 4
 * (1992) (first 10 % against last 50 %); batch means: e.g. W. Janke,
 * "Statistical analysis of simulations: data correlations and error
 * estimation", NIC Series 10, 423 (2002), sec. 3.3. */
#include "pdx/observe.h"

#include <math.h>

/* Sokal's window constant c: the window M is the smallest with
 * M >= c tau(M). */
#define EQ_WINDOW_C 5.0

double pdx_autocorr_time(const double *x, size_t n, size_t *window)
{
    if (window != NULL)
        *window = 0;
    if (n < 2)
        return NAN;
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    double c0 = 0.0;
    for (size_t i = 0; i < n; i++)
        c0 += (x[i] - mean) * (x[i] - mean);
    c0 /= (double)n;
    if (!(c0 > 0.0))
        return NAN; /* a constant series: no time scale */
    double tau = 0.5;
    for (size_t t = 1; t < n / 2; t++) {
        double ct = 0.0;
        for (size_t i = 0; i + t < n; i++)
            ct += (x[i] - mean) * (x[i + t] - mean);
        tau += ct / ((double)(n - t) * c0);
        if ((double)t >= EQ_WINDOW_C * tau) {
            if (window != NULL)
                *window = t;
            return tau > 0.5 ? tau : 0.5;
        }
    }
    return tau > 0.5 ? tau : 0.5; /* window not found: *window stays 0 */
}

/* Mean and variance of x[0..n-1]. */
static void eq_moments(const double *x, size_t n, double *mean, double *var)
{
    double m = 0.0, v = 0.0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = n > 1 ? v / (double)(n - 1) : 0.0;
}

double pdx_drift_z(const double *x, size_t n, double tau)
{
    size_t na = n / 10, nb = n / 2;
    if (na < 2 || nb < 2)
        return NAN;
    if (!(tau >= 0.5))
        tau = 0.5;
    double ma, va, mb, vb;
    eq_moments(x, na, &ma, &va);
    eq_moments(x + (n - nb), nb, &mb, &vb);
    double se2 = 2.0 * tau * (va / (double)na + vb / (double)nb);
    if (ma == mb)
        return 0.0;
    return se2 > 0.0 ? fabs(ma - mb) / sqrt(se2) : INFINITY;
}

double pdx_batch_means_time(const double *x, size_t n)
{
    const size_t batches = PDX_EQ_BATCHES, b = n / batches;
    if (b < 2)
        return NAN;
    double mean, var;
    eq_moments(x, b * batches, &mean, &var);
    if (!(var > 0.0))
        return NAN;
    double s2 = 0.0;
    for (size_t k = 0; k < batches; k++) {
        double m = 0.0;
        for (size_t i = 0; i < b; i++)
            m += x[k * b + i];
        m /= (double)b;
        s2 += (m - mean) * (m - mean);
    }
    s2 /= (double)(batches - 1);
    return 0.5 * (double)b * s2 / var;
}

/* One series' part of the verdict: 1 when it shows no failure (a
 * constant series shows none: it has no time scale), its tau (NaN when
 * constant) into *tau and |z| into *z. A non-finite sample fails (its
 * statistics are NaN and would pass as a constant series). */
static int eq_series(const double *x, size_t n, double *tau, double *z,
                     double *sem)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) { /* no time scale, and no constant either */
            *tau = *z = *sem = NAN;
            return 0;
        }
    size_t window;
    *tau = pdx_autocorr_time(x, n, &window);
    /* a slow mode of small amplitude under fast noise (e.g. tempering's
     * exchanges among rungs of equal energy) ends Sokal's window early;
     * batch means see it: take the larger */
    double tau_bm = pdx_batch_means_time(x, n);
    if (!isnan(*tau) && tau_bm > *tau)
        *tau = tau_bm;
    if (isnan(*tau)) {
        *z = 0.0;
        *sem = 0.0;
        return 1;
    }
    double mean, var;
    eq_moments(x, n, &mean, &var);
    *sem = sqrt(2.0 * *tau * var / (double)n);
    *z = pdx_drift_z(x, n, *tau);
    return window > 0 && *z <= PDX_EQ_DRIFT_Z_MAX;
}

void pdx_equilibration_assess(const double *energy, const double *eg,
                              size_t n, int zero_temperature,
                              pdx_equilibration *out)
{
    out->tau_energy = out->tau_eg = out->n_eff = out->drift_z = NAN;
    out->sem_energy = out->sem_eg = NAN;
    out->equilibrated = 0;
    if (n < PDX_EQ_MIN_SAMPLES)
        return;
    double z_energy, z_eg;
    int ok = eq_series(energy, n, &out->tau_energy, &z_energy,
                       &out->sem_energy);
    ok &= eq_series(eg, n, &out->tau_eg, &z_eg, &out->sem_eg);
    out->drift_z = z_energy > z_eg ? z_energy : z_eg;
    double tau = isnan(out->tau_energy) ? out->tau_eg
                 : isnan(out->tau_eg) || out->tau_energy > out->tau_eg
                     ? out->tau_energy
                     : out->tau_eg;
    if (isnan(tau))
        return; /* both constant: frozen, nothing was sampled */
    out->n_eff = (double)n / (2.0 * tau);
    ok &= out->n_eff >= PDX_EQ_MIN_EFFECTIVE;
    if (zero_temperature) /* T = 0 samples the version space only */
        for (size_t i = 0; i < n; i++)
            ok &= energy[i] == 0.0;
    out->equilibrated = ok;
}
