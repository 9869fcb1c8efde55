/* theory_capacity.c — storage capacities of perceptrons (pdx/theory.h,
 * "Capacities"): the Gardner volume of spherical weights that realise P =
 * alpha N labelled patterns with margin kappa, at its vanishing point
 * (Gardner 1988; with a teacher and label noise, Gyorgyi & Tishby 1990,
 * Engel & Van den Broeck 2001 ch. 5), and the replica-symmetric entropy
 * of binary weights that store random patterns (Gardner & Derrida 1988)
 * with its zero, the Krauth-Mezard capacity (1989).
 *
 * The spherical volume is convex for kappa >= 0, so replica symmetry is
 * exact there; the binary entropy's zero is the one-step replica symmetry
 * breaking capacity of Krauth and Mezard (proved as a lower bound by Ding
 * and Sun 2019), while the RS entropy itself is only an upper bound on the
 * true (quenched) entropy where it is negative. */
#include "pdx/theory.h"

#include <math.h>
#include <stddef.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>

#include "theory_gibbs_internal.h"
#include "theory_internal.h"

/* ------------------------------------------------------------------------ */
/* Spherical weights: the Gardner capacity                                   */

/* At q -> 1 the volume's exponent is [1 - R^2 - 2 alpha I(R)] / (2(1-q)),
 * with I(R) = int_{-inf}^{kappa} Dt P(+|t) (kappa - t)^2 and P(+|t) =
 * (1-p) H(-s t) + p H(s t), s = R/sqrt(1-R^2), the probability that the
 * label agrees with the student's field direction t given its overlap R
 * with the teacher. The volume vanishes at alpha_c = max_R (1-R^2)/(2 I). */
typedef struct cap_ctx {
    double kappa, p, s;
} cap_ctx;

static double f_capacity(double t, void *params)
{
    const cap_ctx *c = params;
    if (t >= c->kappa)
        return 0.0;
    double d = c->kappa - t;
    double agree = c->p == 0.5 ? 0.5
                               : (1.0 - c->p) * pdx_theory_H(-c->s * t) +
                                     c->p * pdx_theory_H(c->s * t);
    return pdx_th_phi(t) * agree * d * d;
}

typedef struct cap_search {
    pdx_theory_workspace *ws;
    cap_ctx c;
    int failed;
} cap_search;

/* -alpha(R) at R = tanh(u) (minimised by GSL's brent). */
static double neg_alpha_at(double u, void *params)
{
    cap_search *s = params;
    double R = tanh(u);
    double one_minus_R2 = 1.0 / (cosh(u) * cosh(u));
    s->c.s = R / sqrt(one_minus_R2);
    double scale = s->c.s > 0.0 ? 1.0 / s->c.s : 0.0;
    double I;
    if (pdx_th_integrate(s->ws, f_capacity, &s->c, s->c.kappa, &scale, 1,
                         &I) != 0 ||
        !(I > 0.0)) {
        s->failed = 1;
        return 0.0;
    }
    return -one_minus_R2 / (2.0 * I);
}

int pdx_theory_gardner_capacity(pdx_theory_workspace *ws, double kappa,
                                double label_noise, double *alpha_c,
                                double *R)
{
    *alpha_c = NAN;
    *R = NAN;
    if (ws == NULL || !(kappa >= 0.0) || !isfinite(kappa) ||
        !(label_noise >= 0.0 && label_noise <= 1.0))
        return PDX_THEORY_NOT_APPLICABLE;
    if (label_noise == 0.0 && kappa == 0.0) {
        /* the teacher itself separates every training set */
        *alpha_c = INFINITY;
        *R = 1.0;
        return PDX_THEORY_SOLVED;
    }
    cap_search s = {ws, {kappa, label_noise / 2.0, 0.0}, 0};
    /* scan u (R = tanh u) on a grid, then refine the best interior point */
    enum { N_GRID = 97 };
    const double du = 0.125;
    double best = INFINITY;
    int i_best = -1;
    for (int i = 0; i < N_GRID; i++) {
        double v = neg_alpha_at(i * du, &s);
        if (s.failed)
            return PDX_THEORY_NOT_CONVERGED;
        if (v < best) {
            best = v;
            i_best = i;
        }
    }
    /* the maximum may lie between u = 0 and the first grid point (near
     * random labels R ~ (1 - 2p)): look for it on a finer grid there */
    double lo_u = (i_best - 1) * du, mid_u = i_best * du, hi_u = (i_best + 1) * du;
    double f_lo = NAN, f_mid = best, f_hi = NAN;
    if (i_best == 0) {
        double f0 = best;
        mid_u = NAN;
        for (double u = du / 2.0; u > 1e-9 && label_noise < 1.0; u /= 2.0) {
            double v = neg_alpha_at(u, &s);
            if (s.failed)
                return PDX_THEORY_NOT_CONVERGED;
            if (v < f0) {
                mid_u = u;
                f_mid = v;
                break;
            }
            hi_u = u;
            f_hi = v;
        }
        if (isnan(mid_u)) {
            /* alpha(R) = (1 - R^2)/(2 I) is largest at R = 0 */
            *alpha_c = -f0;
            *R = label_noise == 1.0 ? NAN : 0.0;
            return PDX_THEORY_SOLVED;
        }
        lo_u = 0.0;
        f_lo = f0;
        if (isnan(f_hi)) {
            hi_u = du;
            f_hi = neg_alpha_at(du, &s);
        }
    }
    if (i_best == N_GRID - 1)
        return PDX_THEORY_NOT_CONVERGED; /* R within 1e-10 of 1 */
    gsl_function F = {neg_alpha_at, &s};
    gsl_min_fminimizer *m = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (m == NULL)
        return PDX_THEORY_NOT_CONVERGED;
    int status = PDX_THEORY_NOT_CONVERGED;
    if (isnan(f_lo))
        f_lo = neg_alpha_at(lo_u, &s);
    if (isnan(f_hi))
        f_hi = neg_alpha_at(hi_u, &s);
    if (gsl_min_fminimizer_set_with_values(m, &F, mid_u, f_mid, lo_u, f_lo,
                                           hi_u, f_hi) == GSL_SUCCESS) {
        for (int it = 0; it < 200 && !s.failed; it++) {
            if (gsl_min_fminimizer_iterate(m) != GSL_SUCCESS)
                break;
            double lo = gsl_min_fminimizer_x_lower(m);
            double hi = gsl_min_fminimizer_x_upper(m);
            /* alpha is flat at its maximum: u to 1e-7 puts alpha within
             * ~1e-14 of it (the integrals' own accuracy is 1e-11) */
            if (gsl_min_test_interval(lo, hi, 1e-7, 0.0) == GSL_SUCCESS) {
                status = PDX_THEORY_SOLVED;
                break;
            }
        }
        if (status == PDX_THEORY_SOLVED && !s.failed) {
            double u = gsl_min_fminimizer_x_minimum(m);
            *alpha_c = -neg_alpha_at(u, &s);
            *R = tanh(u);
        }
    }
    gsl_min_fminimizer_free(m);
    return s.failed ? PDX_THEORY_NOT_CONVERGED : status;
}

double pdx_theory_gardner_random(double kappa)
{
    /* 1/alpha_c = int_{-kappa}^inf Dt (t + kappa)^2 */
    return 1.0 / ((1.0 + kappa * kappa) * pdx_theory_H(-kappa) +
                  kappa * pdx_th_phi(kappa));
}

/* ------------------------------------------------------------------------ */
/* Binary weights: the replica-symmetric storage entropy                     */

/* s(alpha) = extr_{q, qh} [ -qh (1-q)/2 + int Dz ln 2cosh(sqrt(qh) z)
 *                           + alpha int Dt ln H(u) ],
 * u = (kappa + sqrt(q) t)/sqrt(1-q); saddle point
 * q = int Dz tanh^2(sqrt(qh) z), qh = alpha/(1-q) int Dt G(u)^2, G the
 * Mills ratio H'/H with the sign of pdx_theory_mills. */
typedef struct bin_ctx {
    double kappa, sq, s1q; /* kappa, sqrt(q), sqrt(1-q) */
    double sqh;            /* sqrt(qh) */
} bin_ctx;

static double f_tanh2(double z, void *params)
{
    const bin_ctx *b = params;
    double t = tanh(b->sqh * z);
    return pdx_th_phi(z) * t * t;
}

static double f_mills2(double t, void *params)
{
    const bin_ctx *b = params;
    double g = pdx_theory_mills((b->kappa + b->sq * t) / b->s1q);
    return pdx_th_phi(t) * g * g;
}

static double f_log_H(double t, void *params)
{
    const bin_ctx *b = params;
    return pdx_th_phi(t) * pdx_theory_log_H((b->kappa + b->sq * t) / b->s1q);
}

static double f_log_cosh(double z, void *params)
{
    const bin_ctx *b = params;
    double x = fabs(b->sqh * z);
    return pdx_th_phi(z) * (x + log1p(exp(-2.0 * x))); /* ln 2cosh */
}

/* The right-hand sides of the saddle point at (q, qh): new q and qh. */
static int bin_map(pdx_theory_workspace *ws, double alpha, double kappa,
                   double q, double qh, double *q_new, double *qh_new)
{
    bin_ctx b = {kappa, sqrt(q), sqrt(1.0 - q), sqrt(qh)};
    double zs = b.sqh > 0.0 ? 1.0 / b.sqh : 0.0;
    double ts = b.sq > 0.0 ? b.s1q / b.sq : 0.0;
    double center = b.sq > 0.0 ? -kappa / b.sq : 0.0;
    double a, m;
    if (pdx_th_integrate(ws, f_tanh2, &b, 0.0, &zs, 1, &a) != 0 ||
        pdx_th_integrate(ws, f_mills2, &b, center, &ts, 1, &m) != 0)
        return -1;
    *q_new = a;
    *qh_new = alpha / (1.0 - q) * m;
    return 0;
}

typedef struct bin_solve {
    pdx_theory_workspace *ws;
    double alpha, kappa;
} bin_solve;

/* The saddle point in relative form at q = 1/(1+e^-x0), qh = e^x1. */
static int bin_f(const gsl_vector *x, void *params, gsl_vector *f)
{
    const bin_solve *b = params;
    double q = 1.0 / (1.0 + exp(-gsl_vector_get(x, 0)));
    double qh = exp(gsl_vector_get(x, 1));
    double qn, qhn;
    if (!(q > 0.0 && q < 1.0) || !isfinite(qh) ||
        bin_map(b->ws, b->alpha, b->kappa, q, qh, &qn, &qhn) != 0)
        return GSL_EDOM;
    gsl_vector_set(f, 0, qn / q - 1.0);
    gsl_vector_set(f, 1, qhn / qh - 1.0);
    return GSL_SUCCESS;
}

/* Newton (GSL hybrids) from (q, qh): 0 and the root in q, qh, or -1. */
static int bin_newton(pdx_theory_workspace *ws, double alpha, double kappa,
                      double *q, double *qh)
{
    bin_solve b = {ws, alpha, kappa};
    gsl_multiroot_function F = {bin_f, 2, &b};
    double start[2] = {log(*q / (1.0 - *q)), log(*qh)}, x[2], f[2];
    if (pdx_th_hybrids2(&F, start, 100, 1e-14, 0.0, 0.0, x, f) != 0 ||
        !(fmax(fabs(f[0]), fabs(f[1])) < 1e-12))
        return -1;
    *q = 1.0 / (1.0 + exp(-x[0]));
    *qh = exp(x[1]);
    return 0;
}

int pdx_theory_binary_storage(pdx_theory_workspace *ws, double alpha,
                              double kappa, const double start[2],
                              pdx_binary_storage_point *out)
{
    *out = (pdx_binary_storage_point){PDX_THEORY_NOT_CONVERGED, alpha, kappa,
                                      NAN, NAN, NAN, NAN, NAN};
    if (ws == NULL || !(alpha > 0.0) || !isfinite(alpha) || !(kappa >= 0.0) ||
        !isfinite(kappa)) {
        out->status = PDX_THEORY_NOT_APPLICABLE;
        return out->status;
    }
    out->annealed_entropy = M_LN2 + alpha * pdx_theory_log_H(kappa);
    double q = 0.0, qh = 0.0;
    if (start != NULL && start[0] > 0.0 && start[0] < 1.0 && start[1] > 0.0) {
        q = start[0];
        qh = start[1];
    }
    /* damped iteration of the saddle-point map to a rough point (the
     * damping halves when the step grows: period-two oscillations), then
     * Newton; the iteration goes on to the end if Newton fails */
    double damp = 0.5, last_step = INFINITY;
    int converged = 0, newton_tried = 0;
    for (int it = 0; it < 20000; it++) {
        double qn, qhn;
        if (bin_map(ws, alpha, kappa, q, qh, &qn, &qhn) != 0)
            return out->status;
        double step = fabs(qn - q) + fabs(qhn - qh) / (1.0 + qh);
        if (step < 1e-14) {
            converged = 1;
            break;
        }
        if (!newton_tried && step < 1e-3 && q > 0.0) {
            newton_tried = 1;
            double qt = q, qht = qh;
            if (bin_newton(ws, alpha, kappa, &qt, &qht) == 0) {
                q = qt;
                qh = qht;
                converged = 1;
                break;
            }
        }
        if (step > last_step && damp > 1.0 / 64.0)
            damp *= 0.5;
        last_step = step;
        q = (1.0 - damp) * q + damp * qn;
        qh = (1.0 - damp) * qh + damp * qhn;
        if (!(q < 1.0) || !(q >= 0.0))
            return out->status; /* no RS solution: q -> 1 */
    }
    double qn, qhn;
    if (!converged || bin_map(ws, alpha, kappa, q, qh, &qn, &qhn) != 0)
        return out->status;
    double residual = fmax(fabs(qn - q) / fmax(q, 1e-300),
                           fabs(qhn - qh) / fmax(qh, 1e-300));
    bin_ctx b = {kappa, sqrt(q), sqrt(1.0 - q), sqrt(qh)};
    double zs = b.sqh > 0.0 ? 1.0 / b.sqh : 0.0;
    double ts = b.sq > 0.0 ? b.s1q / b.sq : 0.0;
    double center = b.sq > 0.0 ? -kappa / b.sq : 0.0;
    double lc, lh;
    if (pdx_th_integrate(ws, f_log_cosh, &b, 0.0, &zs, 1, &lc) != 0 ||
        pdx_th_integrate(ws, f_log_H, &b, center, &ts, 1, &lh) != 0)
        return out->status;
    out->q = q;
    out->qhat = qh;
    out->entropy = -0.5 * qh * (1.0 - q) + lc + alpha * lh;
    out->residual = residual;
    out->status = residual <= PDX_THEORY_RESIDUAL_TOL
                      ? PDX_THEORY_SOLVED
                      : PDX_THEORY_NOT_CONVERGED;
    return out->status;
}

/* The RS entropy at alpha (NaN where not solved), continuing from *x. */
static double entropy_at(pdx_theory_workspace *ws, double alpha, double kappa,
                         double x[2])
{
    pdx_binary_storage_point pt;
    if (pdx_theory_binary_storage(ws, alpha, kappa, x, &pt) !=
        PDX_THEORY_SOLVED)
        return NAN;
    x[0] = pt.q;
    x[1] = pt.qhat;
    return pt.entropy;
}

int pdx_theory_binary_capacity(pdx_theory_workspace *ws, double kappa,
                               double *alpha_c, double *q_c)
{
    *alpha_c = NAN;
    *q_c = NAN;
    if (ws == NULL || !(kappa >= 0.0) || !isfinite(kappa))
        return PDX_THEORY_NOT_APPLICABLE;
    /* the annealed entropy ln 2 + alpha ln H(kappa) bounds the RS one from
     * above, so the zero lies below the annealed capacity; walk up from a
     * tenth of it until the entropy turns negative, then bisect */
    double a_ann = -M_LN2 / pdx_theory_log_H(kappa);
    double x[2] = {0.0, 0.0};
    double lo = 0.1 * a_ann, s_lo = entropy_at(ws, lo, kappa, x);
    if (!(s_lo > 0.0))
        return PDX_THEORY_NOT_CONVERGED;
    double x_lo[2] = {x[0], x[1]};
    double hi = NAN;
    for (int k = 1; k <= 9; k++) {
        double a = (0.1 + 0.1 * k) * a_ann;
        double s = entropy_at(ws, a, kappa, x);
        if (isnan(s))
            return PDX_THEORY_NOT_CONVERGED;
        if (s <= 0.0) {
            hi = a;
            break;
        }
        lo = a;
        x_lo[0] = x[0];
        x_lo[1] = x[1];
    }
    if (isnan(hi))
        return PDX_THEORY_NOT_CONVERGED;
    for (int it = 0; it < 60 && hi - lo > 1e-12 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        x[0] = x_lo[0];
        x[1] = x_lo[1];
        double s = entropy_at(ws, mid, kappa, x);
        if (isnan(s))
            return PDX_THEORY_NOT_CONVERGED;
        if (s > 0.0) {
            lo = mid;
            x_lo[0] = x[0];
            x_lo[1] = x[1];
        } else {
            hi = mid;
        }
    }
    *alpha_c = 0.5 * (lo + hi);
    *q_c = x_lo[0];
    return PDX_THEORY_SOLVED;
}
