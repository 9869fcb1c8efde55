/* evidence.c — the Laplace evidence of a perceptron's training set
 * (pdx/evidence.h): Newton's method for the MAP weights, the Cholesky
 * factor of the Hessian for its log-determinant. Every sum runs in a
 * fixed order, so the bits depend on nothing but the inputs. */
#include "pdx/evidence.h"

#include <math.h>
#include <string.h>

#include "pdx/spec.h"

size_t pdx_evidence_workspace_doubles(size_t P, size_t N)
{
    return N * N + 4 * N + 2 * P;
}

double pdx_evidence_cholesky(double *a, size_t n)
{
    double logdet = 0.0;
    for (size_t j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (size_t k = 0; k < j; k++)
            d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0.0))
            return NAN;
        d = sqrt(d);
        a[j * n + j] = d;
        logdet += 2.0 * log(d);
        for (size_t i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (size_t k = 0; k < j; k++)
                s -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = s / d;
        }
    }
    return logdet;
}

/* Solve L L^T u = b in place (L from pdx_evidence_cholesky). */
static void cholesky_solve(const double *l, size_t n, double *b)
{
    for (size_t i = 0; i < n; i++) {
        double s = b[i];
        for (size_t k = 0; k < i; k++)
            s -= l[i * n + k] * b[k];
        b[i] = s / l[i * n + i];
    }
    for (size_t i = n; i-- > 0;) {
        double s = b[i];
        for (size_t k = i + 1; k < n; k++)
            s -= l[k * n + i] * b[k];
        b[i] = s / l[i * n + i];
    }
}

/* ln Phi(z), stable for very negative z (asymptotic series below -30). */
static double log_phi(double z)
{
    if (z > -30.0)
        return log(0.5 * erfc(-z / sqrt(2.0)));
    double z2 = z * z;
    return -0.5 * z2 - log(-z) - 0.5 * log(2.0 * M_PI) +
           log(1.0 - 1.0 / z2 + 3.0 / (z2 * z2));
}

/* The inverse Mills ratio phi(z)/Phi(z) (below -30: -z over the series
 * of log_phi, Phi(z) ~ phi(z) (1 - 1/z^2 + 3/z^4)/(-z)). */
static double mills(double z)
{
    if (z > -30.0)
        return exp(-0.5 * z * z - log_phi(z)) / sqrt(2.0 * M_PI);
    double z2 = z * z;
    return -z / (1.0 - 1.0 / z2 + 3.0 / (z2 * z2));
}

/* -ln P(y|f) and its first two derivatives in f (d1, d2 may be NULL). */
static double neg_log_lik(int likelihood, double y, double f, double *d1,
                          double *d2)
{
    switch (likelihood) {
    case PDX_EVIDENCE_LOGISTIC: {
        double z = y * f;
        /* log(1 + exp(-z)) without overflow */
        double v = z > 0.0 ? log1p(exp(-z)) : -z + log1p(exp(z));
        double s = 1.0 / (1.0 + exp(z)); /* sigma(-z) */
        if (d1 != NULL)
            *d1 = -y * s;
        if (d2 != NULL)
            *d2 = s * (1.0 - s);
        return v;
    }
    case PDX_EVIDENCE_PROBIT: {
        double z = y * f;
        double r = mills(z);
        if (d1 != NULL)
            *d1 = -y * r;
        if (d2 != NULL)
            *d2 = r * (z + r);
        return -log_phi(z);
    }
    case PDX_EVIDENCE_GAUSSIAN:
    default: {
        double r = y - f;
        if (d1 != NULL)
            *d1 = -r;
        if (d2 != NULL)
            *d2 = 1.0;
        return 0.5 * r * r + 0.5 * log(2.0 * M_PI);
    }
    }
}

/* C(w) of the outputs f (P) and weights w. */
static double cost_of(int likelihood, const double *y, const double *f,
                      size_t P, const double *w, size_t N, double lambda)
{
    double c = 0.0, ww = 0.0;
    for (size_t mu = 0; mu < P; mu++)
        c += neg_log_lik(likelihood, y[mu], f[mu], NULL, NULL);
    for (size_t i = 0; i < N; i++)
        ww += w[i] * w[i];
    return c + 0.5 * lambda * ww;
}

static void outputs(const double *x, size_t P, size_t N, const double *w,
                    double *f)
{
    const double scale = 1.0 / sqrt((double)N);
    for (size_t mu = 0; mu < P; mu++) {
        const double *xm = x + mu * N;
        double s = 0.0;
        for (size_t i = 0; i < N; i++)
            s += xm[i] * w[i];
        f[mu] = s * scale;
    }
}

/* Gradient g and Hessian h (lower triangle) of C at w with outputs f. */
static void derivatives(const double *x, const double *y, size_t P,
                        size_t N, double lambda, int likelihood,
                        const double *w, const double *f, double *g,
                        double *h)
{
    const double scale = 1.0 / sqrt((double)N);
    for (size_t i = 0; i < N; i++) {
        g[i] = lambda * w[i];
        for (size_t j = 0; j <= i; j++)
            h[i * N + j] = i == j ? lambda : 0.0;
    }
    for (size_t mu = 0; mu < P; mu++) {
        double d1, d2;
        neg_log_lik(likelihood, y[mu], f[mu], &d1, &d2);
        const double *xm = x + mu * N;
        const double c1 = d1 * scale, c2 = d2 / (double)N;
        for (size_t i = 0; i < N; i++) {
            g[i] += c1 * xm[i];
            const double ci = c2 * xm[i];
            double *hi = h + i * N;
            for (size_t j = 0; j <= i; j++)
                hi[j] += ci * xm[j];
        }
    }
}

static int fail(pdx_evidence_result *out)
{
    out->log_evidence = out->cost = out->occam = out->null_model = NAN;
    return -1;
}

int pdx_evidence_laplace(const double *x, const double *y, size_t P,
                         size_t N, double lambda, int likelihood,
                         double *work, double *w_map,
                         pdx_evidence_result *out)
{
    memset(out, 0, sizeof *out);
    if (N == 0 || !(lambda > 0.0) || likelihood < PDX_EVIDENCE_LOGISTIC ||
        likelihood > PDX_EVIDENCE_GAUSSIAN)
        return fail(out);
    double *h = work, *g = h + N * N, *step = g + N, *trial = step + N;
    double *f = trial + 2 * N, *f_trial = f + P;
    double *w = w_map;
    for (size_t i = 0; i < N; i++)
        w[i] = 0.0;
    outputs(x, P, N, w, f);
    double c = cost_of(likelihood, y, f, P, w, N, lambda);
    for (int it = 0; it < 200; it++) {
        derivatives(x, y, P, N, lambda, likelihood, w, f, g, h);
        if (isnan(pdx_evidence_cholesky(h, N)))
            return fail(out);
        memcpy(step, g, N * sizeof *step);
        cholesky_solve(h, N, step);
        double decrement = 0.0; /* g^T H^-1 g */
        for (size_t i = 0; i < N; i++)
            decrement += g[i] * step[i];
        out->iterations = it;
        if (!(decrement > 1e-20 * (1.0 + fabs(c)))) {
            out->converged = isfinite(decrement);
            break;
        }
        /* backtracking (Armijo): halve until C falls enough; near the
         * minimum (a decrement C's round-off cannot see) the full step */
        const int near = decrement < 1e-8 * (1.0 + fabs(c));
        double s = 1.0, c_trial = c;
        for (int k = 0; k < 60; k++, s *= 0.5) {
            for (size_t i = 0; i < N; i++)
                trial[i] = w[i] - s * step[i];
            outputs(x, P, N, trial, f_trial);
            c_trial = cost_of(likelihood, y, f_trial, P, trial, N, lambda);
            if (near || c_trial <= c - 1e-4 * s * decrement)
                break;
        }
        if (!near && !(c_trial < c)) { /* no progress: round-off's floor */
            out->converged = 1;
            break;
        }
        memcpy(w, trial, N * sizeof *w);
        memcpy(f, f_trial, P * sizeof *f);
        c = c_trial;
    }
    derivatives(x, y, P, N, lambda, likelihood, w, f, g, h);
    double logdet = pdx_evidence_cholesky(h, N);
    if (isnan(logdet))
        return fail(out);
    out->cost = -c;
    out->occam = -0.5 * (logdet - (double)N * log(lambda));
    out->log_evidence = out->cost + out->occam;
    out->null_model = -(double)P * log(2.0);
    return 0;
}
