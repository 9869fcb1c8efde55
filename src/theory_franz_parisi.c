/* theory_franz_parisi.c — the Franz-Parisi potential of the binary
 * perceptron storage problem (pdx/theory.h, "Capacities"): the local
 * entropy of the solutions at Hamming distance d from a *typical*
 * solution (one drawn uniformly from all solutions), in the replica-
 * symmetric ansatz (Franz & Parisi 1995; for this model Huang & Kabashima
 * 2014, whose conclusion -- typical solutions are isolated -- it shows).
 *
 * The reference w~ is a typical solution: n -> 0 replicas with overlap q~
 * and conjugate Q = qhat~, the RS saddle point of the storage entropy
 * (pdx_theory_binary_storage). s -> 0 replicas w constrained to overlap p
 * = 1 - 2d with w~^1 have overlap q1 among themselves and t with the
 * other reference replicas; conjugates qh1, th and ph (the Lagrange
 * multiplier of p). The potential is
 *   V(p) = extr [ G_S - ph p + th t - qh1 (1-q1)/2 + alpha G_E ],
 *   G_S = int Dz (1 + tanh(sqrt(Q) z)) int Dy ln 2cosh(h),
 *         h = (th/sqrt Q) z + sqrt(qh1 - th^2/Q) y + ph - th,
 *   G_E = int Dz0 (1/H(A)) int_{eta > A} D eta int Dz1
 *         ln H((kappa - m)/sqrt(1-q1)),  A = (kappa - sqrt(q~) z0)/sqrt(1-q~),
 *         m = (t/sqrt q~) z0 + ((p-t)/sqrt(1-q~)) eta + c z1,
 *         c^2 = q1 - t^2/q~ - (p-t)^2/(1-q~)
 * (the patterns' fields: w~^1's field is above kappa, and the w's are
 * Gaussian given it). Saddle point: q1 = int (1+tanh) tanh^2 h, t =
 * int (1+tanh) tanh(sqrt(Q) z) tanh h, qh1 = -2 alpha dG_E/dq1, th = -alpha dG_E/dt, and ph such
 * that p = int (1+tanh) tanh h. At p = q~ it is solved by q1 = t = q~,
 * qh1 = th = ph = Q, and V(q~) is the storage entropy itself: the
 * typical distance carries all the solutions. At alpha -> 0, V(d) is the
 * binary entropy of d.
 *
 * Numerics: fixed Gauss-Hermite rules (61 nodes) in z, y, z0, z1 and a
 * 40-node Gauss-Legendre rule in u for eta = H^-1(u H(A)) (the truncated
 * Gaussian by its inverse distribution); the derivatives of G_E by
 * central differences of these fixed sums (smooth in the parameters);
 * ph by Brent's method; the (q1, t) map by damped iteration, then GSL
 * hybrids. Measured against 81/60-node rules the potential moves by less
 * than 5e-6 at alpha <= 0.5 and by up to 1.3e-3 at alpha = 0.8, d = 0.005
 * (q1 -> 1: a steep integrand); docs/THEORY.md has the table. That, not
 * the residual of the equations, bounds its accuracy. */
#include "pdx/theory.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_erf.h>

#include "theory_gibbs_internal.h"
#include "theory_internal.h"

#define FP_NZ 61 /* Gauss-Hermite nodes */
#define FP_NU 40 /* Gauss-Legendre nodes for the truncated eta */

typedef struct fp_ctx {
    double alpha, kappa, p;
    double qt, Q;               /* the reference's q~ and qhat~ */
    double z[FP_NZ], wz[FP_NZ]; /* probabilists' Hermite: sum wz = 1 */
    double w1[FP_NZ];           /* wz (1 + tanh(sqrt(Q) z)) */
    double ta[FP_NZ];           /* tanh(sqrt(Q) z) */
    /* eta at (z0, u) and the combined weight wz(z0) wu(u) */
    double eta[FP_NZ][FP_NU], wzu[FP_NZ][FP_NU];
} fp_ctx;

static double ln_2cosh(double x)
{
    x = fabs(x);
    return x + log1p(exp(-2.0 * x));
}

/* The quadrature rules; -1 if GSL could not build them. */
static int fp_rules(fp_ctx *c)
{
    gsl_integration_fixed_workspace *h = gsl_integration_fixed_alloc(
        gsl_integration_fixed_hermite, FP_NZ, 0.0, 0.5, 0.0, 0.0);
    gsl_integration_glfixed_table *g = gsl_integration_glfixed_table_alloc(FP_NU);
    if (h == NULL || g == NULL) {
        if (h != NULL)
            gsl_integration_fixed_free(h);
        if (g != NULL)
            gsl_integration_glfixed_table_free(g);
        return -1;
    }
    const double *nodes = gsl_integration_fixed_nodes(h);
    const double *weights = gsl_integration_fixed_weights(h);
    double a = sqrt(c->Q), total = 0.0;
    for (int i = 0; i < FP_NZ; i++)
        total += weights[i];
    for (int i = 0; i < FP_NZ; i++) {
        c->z[i] = nodes[i];
        c->wz[i] = weights[i] / total;
        c->ta[i] = tanh(a * nodes[i]);
        c->w1[i] = c->wz[i] * (1.0 + c->ta[i]);
    }
    for (int i = 0; i < FP_NZ; i++) {
        double A = (c->kappa - sqrt(c->qt) * c->z[i]) / sqrt(1.0 - c->qt);
        double tail = exp(pdx_theory_log_H(A));
        for (int j = 0; j < FP_NU; j++) {
            double x, w;
            gsl_integration_glfixed_point(0.0, 1.0, (size_t)j, &x, &w, g);
            c->eta[i][j] = gsl_cdf_ugaussian_Qinv(x * tail);
            c->wzu[i][j] = c->wz[i] * w;
        }
    }
    gsl_integration_fixed_free(h);
    gsl_integration_glfixed_table_free(g);
    return 0;
}

/* G_S and its moments m[0] = int (1+tanh) tanh h (= p), m[1] = int
 * (1+tanh) tanh^2 h (= q1) and m[2] = int (1+tanh) tanh(sqrt(Q) z) tanh h
 * (= t = -dG_S/dth, by Gaussian integration by parts in z and y: no
 * derivative through sqrt(qh1 - th^2/Q), which vanishes as alpha -> 0). */
static void fp_gs(const fp_ctx *c, double qh1, double th, double ph,
                  double *gs, double m[3])
{
    double a = sqrt(c->Q), r = sqrt(fmax(qh1 - th * th / c->Q, 0.0));
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int i = 0; i < FP_NZ; i++) {
        double base = th / a * c->z[i] + ph - th;
        double l = 0.0, t1 = 0.0, t2 = 0.0;
        for (int j = 0; j < FP_NZ; j++) {
            double h = base + r * c->z[j];
            double th_ = tanh(h);
            l += c->wz[j] * ln_2cosh(h);
            t1 += c->wz[j] * th_;
            t2 += c->wz[j] * th_ * th_;
        }
        s0 += c->w1[i] * l;
        s1 += c->w1[i] * t1;
        s2 += c->w1[i] * t2;
        s3 += c->w1[i] * c->ta[i] * t1;
    }
    *gs = s0;
    if (m != NULL) {
        m[0] = s1;
        m[1] = s2;
        m[2] = s3;
    }
}

/* G_E at (q1, t); NaN outside the domain (c^2 < 0 or q1 >= 1). */
static double fp_ge(const fp_ctx *c, double q1, double t)
{
    double p = c->p, qt = c->qt;
    double c2 = q1 - t * t / qt - (p - t) * (p - t) / (1.0 - qt);
    if (!(c2 >= -1e-15) || !(q1 < 1.0))
        return NAN;
    double cz = sqrt(fmax(c2, 0.0)), s1q = sqrt(1.0 - q1);
    double a0 = t / sqrt(qt), a1 = (p - t) / sqrt(1.0 - qt), sum = 0.0;
    for (int i = 0; i < FP_NZ; i++)
        for (int j = 0; j < FP_NU; j++) {
            double m0 = a0 * c->z[i] + a1 * c->eta[i][j], inner = 0.0;
            for (int k = 0; k < FP_NZ; k++)
                inner += c->wz[k] *
                         pdx_theory_log_H((c->kappa - m0 - cz * c->z[k]) / s1q);
            sum += c->wzu[i][j] * inner;
        }
    return sum;
}

/* dG_E/dq1 (which = 0) or dG_E/dt (1) at (q1, t) with step e: central
 * where both sides lie in the domain (c^2 >= 0, q1 < 1), else one-sided
 * of second order on the side that does (the saddle point can sit next
 * to c^2 = 0: at the typical distance on it, as alpha -> 0 within ~q~). */
static double fp_ge_slope(const fp_ctx *c, double q1, double t, int which,
                          double e)
{
#define GE_AT(k) (which == 0 ? fp_ge(c, q1 + (k)*e, t) : fp_ge(c, q1, t + (k)*e))
    double up = GE_AT(1), down = GE_AT(-1);
    if (isfinite(up) && isfinite(down))
        return (up - down) / (2.0 * e);
    double mid = GE_AT(0);
    if (isfinite(up))
        return (-3.0 * mid + 4.0 * up - GE_AT(2)) / (2.0 * e);
    return (3.0 * mid - 4.0 * down + GE_AT(-2)) / (2.0 * e);
#undef GE_AT
}

typedef struct ph_ctx {
    const fp_ctx *c;
    double qh1, th;
} ph_ctx;

static double ph_residual(double ph, void *params)
{
    const ph_ctx *h = params;
    double gs, m[3];
    fp_gs(h->c, h->qh1, h->th, ph, &gs, m);
    return m[0] - h->c->p;
}

/* ph with int (1+tanh) tanh h = p (increasing in ph); -1 if none. */
static int fp_ph(const fp_ctx *c, double qh1, double th, double *ph)
{
    ph_ctx h = {c, qh1, th};
    gsl_function F = {ph_residual, &h};
    double lo = -60.0, hi = 60.0;
    if (!(ph_residual(lo, &h) < 0.0 && ph_residual(hi, &h) > 0.0))
        return -1;
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (s == NULL)
        return -1;
    gsl_root_fsolver_set(s, &F, lo, hi);
    int rc = -1;
    for (int it = 0; it < 200; it++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
            break;
        double a = gsl_root_fsolver_x_lower(s), b = gsl_root_fsolver_x_upper(s);
        if (b - a < 1e-13 * (1.0 + fabs(a))) {
            *ph = gsl_root_fsolver_root(s);
            rc = 0;
            break;
        }
    }
    gsl_root_fsolver_free(s);
    return rc;
}

/* One application of the saddle-point map: (q1, t) -> (q1', t'), with the
 * conjugates it used in hat[3] = {qh1, th, ph}. -1 outside the domain. */
static int fp_map(const fp_ctx *c, double q1, double t, double *q1n,
                  double *tn, double hat[3])
{
    /* steps below the scales of q1 (1 - q1) and t (q~ as alpha -> 0) */
    double gq = fp_ge_slope(c, q1, t, 0, 1e-5 * fmin(1.0, 10.0 * (1.0 - q1)));
    double gt = fp_ge_slope(c, q1, t, 1, 1e-5 * fmin(1.0, 10.0 * c->qt));
    double qh1 = -2.0 * c->alpha * gq, th = -c->alpha * gt, ph;
    /* qh1 >= th^2/Q (a variance) holds at the saddle point; on the way
     * there the variance is clamped at 0 (fp_gs), and the end checks it */
    if (!isfinite(qh1) || !isfinite(th) || fp_ph(c, qh1, th, &ph) != 0)
        return -1;
    double gs, m[3];
    fp_gs(c, qh1, th, ph, &gs, m);
    *q1n = m[1];
    *tn = m[2];
    hat[0] = qh1;
    hat[1] = th;
    hat[2] = ph;
    return 0;
}

static int fp_f(const gsl_vector *x, void *params, gsl_vector *f)
{
    const fp_ctx *c = params;
    double q1 = gsl_vector_get(x, 0), t = gsl_vector_get(x, 1), q1n, tn,
           hat[3];
    if (fp_map(c, q1, t, &q1n, &tn, hat) != 0)
        return GSL_EDOM;
    gsl_vector_set(f, 0, q1n - q1);
    gsl_vector_set(f, 1, tn - t);
    return GSL_SUCCESS;
}

/* A start inside the domain: the typical point moved toward p. */
static void fp_start(const fp_ctx *c, const double start[2], double *q1,
                     double *t)
{
    *t = c->qt;
    *q1 = fmax(c->qt, c->p * c->p);
    if (start != NULL && isfinite(start[0]) && isfinite(start[1])) {
        *q1 = start[0];
        *t = start[1];
    }
    double need = *t * *t / c->qt + (c->p - *t) * (c->p - *t) / (1.0 - c->qt);
    if (*q1 < need + 1e-3)
        *q1 = fmin(need + 1e-3, 0.5 * (need + 1.0));
}

/* Damped iteration to a rough point, then hybrids: 0 and (q1, t). */
static int fp_solve(fp_ctx *c, double *q1, double *t)
{
    double damp = 0.5, last = INFINITY;
    for (int it = 0; it < 3000; it++) {
        double q1n, tn, hat[3];
        if (fp_map(c, *q1, *t, &q1n, &tn, hat) != 0)
            return -1;
        double step = fabs(q1n - *q1) + fabs(tn - *t);
        if (step < 1e-10)
            return 0;
        if (step < 1e-4) {
            gsl_multiroot_function F = {fp_f, 2, c};
            double s[2] = {*q1, *t}, x[2], f[2];
            if (pdx_th_hybrids2(&F, s, 60, 1e-11, 0.0, 0.0, x, f) == 0 &&
                fmax(fabs(f[0]), fabs(f[1])) < 1e-9) {
                *q1 = x[0];
                *t = x[1];
                return 0;
            }
        }
        if (step > last && damp > 1.0 / 64.0)
            damp *= 0.5;
        last = step;
        *q1 = (1.0 - damp) * *q1 + damp * q1n;
        *t = (1.0 - damp) * *t + damp * tn;
        double need =
            *t * *t / c->qt + (c->p - *t) * (c->p - *t) / (1.0 - c->qt);
        if (*q1 < need)
            *q1 = need;
    }
    return -1;
}

int pdx_theory_franz_parisi(pdx_theory_workspace *ws, double alpha,
                            double kappa, double distance,
                            const double start[2],
                            pdx_franz_parisi_point *out)
{
    *out = (pdx_franz_parisi_point){
        .status = PDX_THEORY_NOT_CONVERGED, .alpha = alpha, .kappa = kappa,
        .distance = distance, .p = 1.0 - 2.0 * distance, .entropy = NAN,
        .storage_entropy = NAN, .q_ref = NAN, .qhat_ref = NAN, .q1 = NAN,
        .t = NAN, .qhat1 = NAN, .that = NAN, .phat = NAN, .residual = NAN};
    if (ws == NULL || !(alpha > 0.0) || !isfinite(alpha) || !(kappa >= 0.0) ||
        !isfinite(kappa) || !(distance > 0.0 && distance < 0.5)) {
        out->status = PDX_THEORY_NOT_APPLICABLE;
        return out->status;
    }
    pdx_binary_storage_point typical;
    int st = pdx_theory_binary_storage(ws, alpha, kappa, NULL, &typical);
    out->storage_entropy = typical.entropy;
    if (st != PDX_THEORY_SOLVED)
        return out->status = st;
    if (!(typical.entropy > 0.0)) { /* beyond the capacity: no solutions */
        out->status = PDX_THEORY_NOT_APPLICABLE;
        return out->status;
    }
    fp_ctx *c = malloc(sizeof *c);
    if (c == NULL)
        return out->status;
    c->alpha = alpha;
    c->kappa = kappa;
    c->p = 1.0 - 2.0 * distance;
    c->qt = typical.q;
    c->Q = typical.qhat;
    out->q_ref = typical.q;
    out->qhat_ref = typical.qhat;
    double q1, t, q1n, tn, hat[3];
    if (fp_rules(c) != 0) {
        free(c);
        return out->status;
    }
    fp_start(c, start, &q1, &t);
    if (fp_solve(c, &q1, &t) == 0 &&
        fp_map(c, q1, t, &q1n, &tn, hat) == 0) {
        double gs;
        fp_gs(c, hat[0], hat[1], hat[2], &gs, NULL);
        out->q1 = q1;
        out->t = t;
        out->qhat1 = hat[0];
        out->that = hat[1];
        out->phat = hat[2];
        out->entropy = gs - hat[2] * c->p + hat[1] * t -
                       0.5 * hat[0] * (1.0 - q1) +
                       alpha * fp_ge(c, q1, t);
        out->residual = fabs(q1n - q1) + fabs(tn - t);
        out->status = isfinite(out->entropy) &&
                              hat[0] - hat[1] * hat[1] / c->Q >= -1e-9 &&
                              out->residual <= PDX_THEORY_RESIDUAL_TOL
                          ? PDX_THEORY_SOLVED
                          : PDX_THEORY_NOT_CONVERGED;
    }
    free(c);
    return out->status;
}
