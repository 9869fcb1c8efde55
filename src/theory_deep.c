/* theory_deep.c — mean-field theory of signal propagation through random
 * deep networks (Poole et al. 2016, "Exponential expressivity in deep
 * neural networks through transient chaos"; Schoenholz et al. 2017, "Deep
 * information propagation"); docs/THEORY.md, "Random deep networks".
 *
 * Weights W_ij ~ N(0, sigma_w2 / fan_in), biases N(0, sigma_b2); the
 * pre-activations h^l = W^l phi(h^{l-1}) + b^l, h^1 = W^1 x + b^1. In the
 * limit of infinite width the pre-activations of one input have length
 *   q^l = sigma_w2 E_z[phi(sqrt(q^{l-1}) z)^2] + sigma_b2,
 * two inputs of equal length the correlation
 *   c^l = (sigma_w2 E[phi(u1) phi(u2)] + sigma_b2) / q^l,
 *   u1 = sqrt(q) z1, u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2)
 * (q, c of layer l - 1), and at the fixed point q*, c*:
 *   chi_1 = sigma_w2 E[phi'(sqrt(q*) z)^2],
 *   chi_c = sigma_w2 E[phi'(u1) phi'(u2)] (at q*, c*),
 *   dq^l/dq^{l-1} = chi_1 + sigma_w2 E[phi''(sqrt(q*) z) phi(sqrt(q*) z)],
 *   xi_q = -1/ln(dq/dq), xi_c = -1/ln(chi_c), xi_grad = -1/ln(chi_1)
 * (Schoenholz eqs. 5, 8, 9 and section 4; xi_grad < 0: gradients grow).
 *
 * Numerics: erf (pdx's erf(z/sqrt 2)), relu and linear in closed form
 * (arcsine and arc-cosine kernels); tanh (and the closed forms when
 * problem->numeric is set, for tests) by Gaussian integrals: 1-D ones
 * with pdx_th_integrate (adaptive Gauss-Kronrod, relative 1e-11), 2-D
 * ones by composite Gauss-Kronrod 21-point rules (gsl_integration_qk21)
 * in both variables on panels of length <= 1/2 refined around tanh's
 * transition (scale 1/sqrt(q) in z1, its image in z2), accepted when the
 * summed Kronrod error estimates stay below 1e-11 (else not converged).
 * Gauss-Hermite product rules were tried first: at q* ~ 2 they need more
 * than 300 nodes a dimension for 1e-11 (the saturating tanh is nearly a
 * step), at q = 8 more than 400. Fixed points and the critical line by gsl_root
 * (brent) on brackets that the activation's bounds guarantee. */
#include "pdx/theory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>

#include "theory_internal.h"

#define INT2_TOL 1e-11
#define ROOT_TOL 1e-13
#define ROOT_ITER 200

/* The activations the theory knows: bounded ones (tanh, erf, hard_tanh
 * odd, sigmoid not; |phi| <= 1 and |phi'| <= phi'(0) for all four) and
 * positively homogeneous ones (relu, linear). */
static int deep_activation_known(int act)
{
    return act == PDX_ACT_TANH || act == PDX_ACT_ERF ||
           act == PDX_ACT_RELU || act == PDX_ACT_LINEAR ||
           act == PDX_ACT_HARD_TANH || act == PDX_ACT_SIGMOID;
}

static int odd(int act)
{
    return act == PDX_ACT_TANH || act == PDX_ACT_ERF ||
           act == PDX_ACT_HARD_TANH;
}

static int homogeneous(int act)
{
    return act == PDX_ACT_RELU || act == PDX_ACT_LINEAR;
}

/* phi(x), phi'(x), phi''(x) (which = 0, 1, 2); erf is erf(x/sqrt 2);
 * relu's phi'' (a delta at 0) is 0: it only meets phi(0) = 0; hard_tanh's
 * (deltas at -1 and 1) is 0 here and E[phi phi''] has a closed form. */
static double act_d(int act, int which, double x)
{
    switch (act) {
    case PDX_ACT_TANH: {
        double t = tanh(x);
        return which == 0 ? t : which == 1 ? 1.0 - t * t
                                           : -2.0 * t * (1.0 - t * t);
    }
    case PDX_ACT_ERF: {
        if (which == 0)
            return erf(x * M_SQRT1_2);
        double g = sqrt(2.0 / M_PI) * exp(-0.5 * x * x);
        return which == 1 ? g : -x * g;
    }
    case PDX_ACT_RELU:
        return which == 0 ? (x > 0.0 ? x : 0.0)
                          : which == 1 ? (x > 0.0 ? 1.0 : 0.0) : 0.0;
    case PDX_ACT_HARD_TANH:
        return which == 0 ? (x > 1.0 ? 1.0 : x < -1.0 ? -1.0 : x)
                          : which == 1 ? (x > -1.0 && x < 1.0 ? 1.0 : 0.0)
                                       : 0.0;
    case PDX_ACT_SIGMOID: {
        double t = 1.0 / (1.0 + exp(-x));
        return which == 0 ? t : which == 1 ? t * (1.0 - t)
                                           : t * (1.0 - t) * (1.0 - 2.0 * t);
    }
    default: return which == 0 ? x : which == 1 ? 1.0 : 0.0;
    }
}

/* phi'(0)^2: chi_1 at q* = 0 is sigma_w2 times it. */
static double slope0_sq(int act)
{
    return act == PDX_ACT_ERF       ? 2.0 / M_PI
           : act == PDX_ACT_RELU    ? 0.5
           : act == PDX_ACT_SIGMOID ? 1.0 / 16.0
                                    : 1.0;
}

/* --------------------------------------------------------------------- */
/* Gaussian expectations                                                  */

typedef struct deep_ctx {
    pdx_theory_workspace *ws;
    int act;
    int numeric;     /* integrals even where a closed form exists */
    double sw, sb;   /* sigma_w2, sigma_b2 */
    int failed;      /* an integral did not converge */
} deep_ctx;

typedef struct one_d {
    int act;
    double s;        /* sqrt(q) */
    int a, b;        /* E[phi^(a)(s z) phi^(b)(s z)] */
} one_d;

static double one_d_integrand(double z, void *p)
{
    const one_d *o = p;
    return act_d(o->act, o->a, o->s * z) * act_d(o->act, o->b, o->s * z) *
           pdx_th_phi(z);
}

/* E[phi^(a)(sqrt(q) z) phi^(b)(sqrt(q) z)] by adaptive quadrature. */
static double expect1_numeric(deep_ctx *x, double q, int a, int b)
{
    one_d o = {x->act, sqrt(q), a, b};
    double scale = o.s > 0.0 ? 1.0 / o.s : 0.0, v = NAN;
    if (pdx_th_integrate(x->ws, one_d_integrand, &o, 0.0, &scale, 1, &v) !=
        GSL_SUCCESS)
        x->failed = 1;
    return v;
}

/* E phi^2, E phi'^2, E phi phi'' and E phi''^2 at q (kind 0 .. 3; the
 * last is never asked of relu, whose phi'' is a delta). */
static double expect1(deep_ctx *x, double q, int kind)
{
    static const int pa[4] = {0, 1, 0, 2}, pb[4] = {0, 1, 2, 2};
    if (x->act == PDX_ACT_HARD_TANH && kind >= 2) {
        /* phi'' = delta(x + 1) - delta(x - 1): E[phi phi''] = -2 p_q(1)
         * (p_q the N(0, q) density); E[phi''^2] is infinite */
        if (kind == 3 || !(q > 0.0))
            return kind == 3 ? INFINITY : 0.0;
        return -2.0 * exp(-0.5 / q) / sqrt(2.0 * M_PI * q);
    }
    if (x->numeric || x->act == PDX_ACT_TANH ||
        x->act == PDX_ACT_HARD_TANH || x->act == PDX_ACT_SIGMOID)
        return expect1_numeric(x, q, pa[kind], pb[kind]);
    if (x->act == PDX_ACT_ERF) {
        double r = sqrt(1.0 + 2.0 * q);
        if (kind == 0)
            return 2.0 / M_PI * asin(q / (1.0 + q));
        if (kind == 1)
            return 2.0 / M_PI / r;
        if (kind == 3) /* phi'' = -x phi' */
            return 2.0 / M_PI * q / (r * r * r);
        /* d/dq E phi^2 = E[phi'^2 + phi phi''] = (2/pi)/((1+q) r) */
        return 2.0 / M_PI * (1.0 / ((1.0 + q) * r) - 1.0 / r);
    }
    double h = x->act == PDX_ACT_RELU ? 0.5 : 1.0;
    return kind == 0 ? h * q : kind == 1 ? h : 0.0;
}

/* Within NEAR_CRITICAL of chi_1 = 1 on the chaotic side, c* is too close
 * to 1 for the correlation map's integrals (c* - 1 ~ 1e-6): the expansion
 * map(c) - c = (chi_1 - 1)(c - 1) + K (c - 1)^2 / 2, K = sigma_w2 q*
 * E[phi''^2] (the map's curvature at c = 1, by Price's theorem), gives
 * c* = 1 - 2 (chi_1 - 1)/K and chi_c = 2 - chi_1, both with errors of
 * order (chi_1 - 1)^2 < 1e-12. */
#define NEAR_CRITICAL 1e-6

/* Break points of a composite rule for E_z[h(z)] over [-PANEL_RANGE,
 * PANEL_RANGE] (the Gaussian weight is below 3e-18 beyond), for an h with
 * features (a transition, a kink) at centres z0[f] of widths w[f] (0:
 * the point alone): z0 +- w {1/4, 1/2, 1, 2, 4, 8}, then every panel cut
 * to length <= 3/2 (finer panels, down to 1/2 and eight multiples of w,
 * changed c* by < 1e-15 at the points of tests/test_theory_deep.c, at
 * several times the cost; with only {1/4, 1, 4} the Kronrod estimates of
 * chi_c's integral near c = 1 exceeded 1e-11 at q ~ 5, without 8 those
 * of sigmoid's slower tail at q ~ 90, the values unchanged). Returns the
 * number of points (<= PANEL_MAX + 1). */
#define PANEL_RANGE 9.0
#ifndef PANEL_LEN
#define PANEL_LEN 1.5
#define PANEL_MULTS 0.25, 0.5, 1, 2, 4, 8
#endif
#define PANEL_FEATURES 6
#define PANEL_MAX 200

static int by_value_deep(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t panels(const double *z0, const double *w, size_t n_features,
                     double *pts)
{
    static const double mult[] = {PANEL_MULTS};
    enum { N_MULT = sizeof mult / sizeof *mult };
    double raw[2 + PANEL_FEATURES * (1 + 2 * N_MULT)];
    size_t n = 0;
    raw[n++] = -PANEL_RANGE;
    raw[n++] = PANEL_RANGE;
    for (size_t f = 0; f < n_features && f < PANEL_FEATURES; f++) {
        if (fabs(z0[f]) < PANEL_RANGE)
            raw[n++] = z0[f];
        for (size_t m = 0; m < N_MULT && w[f] > 0.0 && isfinite(w[f]); m++)
            for (int sign = -1; sign <= 1; sign += 2) {
                double p = z0[f] + sign * mult[m] * w[f];
                if (fabs(p) < PANEL_RANGE)
                    raw[n++] = p;
            }
    }
    qsort(raw, n, sizeof *raw, by_value_deep);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && raw[i] - pts[k - 1] < 1e-12)
            continue;
        /* cut the gap to the previous point into pieces <= PANEL_LEN */
        if (k > 0) {
            double gap = raw[i] - pts[k - 1];
            int pieces = (int)ceil(gap / PANEL_LEN);
            double start = pts[k - 1];
            for (int j = 1; j < pieces && k < PANEL_MAX; j++)
                pts[k++] = start + gap * j / pieces;
        }
        if (k <= PANEL_MAX)
            pts[k++] = raw[i];
    }
    return k;
}

/* The inner integral of the correlation map at a given z1:
 * E_z2[phi^(a)(s (c z1 + r z2))] - base. */
typedef struct inner_ctx {
    int act, a;
    double s, c, r, z1, base;
    double err;           /* largest |phi(u1)| x error estimate of an
                           * inner integral */
} inner_ctx;

static double inner_integrand(double z2, void *p)
{
    const inner_ctx *in = p;
    return (act_d(in->act, in->a, in->s * (in->c * in->z1 + in->r * z2)) -
            in->base) *
           pdx_th_phi(z2);
}

/* sum over panels of gsl_integration_qk21 (Gauss-Kronrod 21 points); the
 * error estimates are added up into *err */
static double composite(gsl_function *F, const double *pts, size_t n,
                        double *err)
{
    double total = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        double r, e, ra, rs;
        gsl_integration_qk21(F, pts[i], pts[i + 1], &r, &e, &ra, &rs);
        total += r;
        *err += e;
    }
    return total;
}

typedef struct outer_ctx {
    inner_ctx in;
    int d;                /* subtract phi^(a)(u1) inside (the c = 1 value) */
} outer_ctx;

static double outer_integrand(double z1, void *p)
{
    outer_ctx *o = p;
    inner_ctx *in = &o->in;
    double f1 = act_d(in->act, in->a, in->s * z1);
    if (f1 == 0.0)
        return 0.0;
    in->z1 = z1;
    in->base = o->d ? f1 : 0.0;
    double inner;
    if (in->r == 0.0) {
        inner = act_d(in->act, in->a, in->s * in->c * z1) - in->base;
    } else {
        double pts[PANEL_MAX + 1], e = 0.0;
        /* u2 = s (c z1 + r z2): phi's transition at z2 = -c z1 / r, width
         * 1/(s r); hard_tanh's kinks at u2 = +-1 */
        double w = in->s > 0.0 ? 1.0 / (in->s * in->r) : 0.0;
        double z0[3] = {-in->c * z1 / in->r, 0.0, 0.0}, ws[3] = {w, 0, 0};
        size_t nf = 1;
        if (in->act == PDX_ACT_HARD_TANH && in->s > 0.0) {
            z0[1] = z0[0] + w;
            z0[2] = z0[0] - w;
            nf = 3;
        }
        size_t n = panels(z0, ws, nf, pts);
        gsl_function F = {inner_integrand, in};
        inner = composite(&F, pts, n, &e);
        /* the outer rule weighs this node's error by w_node pdf(z1), and
         * those weights sum to 1: the largest |f1| e bounds the total */
        in->err = fmax(in->err, e * fabs(f1));
    }
    return f1 * inner * pdx_th_phi(z1);
}

/* The 2-D integral by composite Gauss-Kronrod rules in both variables;
 * not converged when the outer rule's summed error estimates plus the
 * largest inner one (times |phi(u1)|) exceed 1e-11. */
static double expect2_numeric(deep_ctx *x, double q, double c, int a, int d)
{
    outer_ctx o;
    memset(&o, 0, sizeof o);
    o.in.act = x->act;
    o.in.a = a;
    o.in.s = sqrt(q);
    o.in.c = c;
    o.in.r = sqrt(fmax(0.0, 1.0 - c * c));
    o.d = d;
    double pts[PANEL_MAX + 1], err = 0.0;
    /* the outer integrand has phi(s z1)'s width 1/s and the inner
     * integral's, sqrt(1/s^2 + r^2)/|c| (a smoothed step in z1);
     * hard_tanh has kinks at z1 = +-1/s and smoothed ones (width r/|c|)
     * at +-1/(s |c|) */
    double s1 = o.in.s > 0.0 ? 1.0 / o.in.s : 0.0;
    double z0[PANEL_FEATURES] = {0.0, 0.0}, ws[PANEL_FEATURES];
    ws[0] = s1;
    ws[1] = s1 > 0.0 && c != 0.0 ? sqrt(1.0 / q + o.in.r * o.in.r) / fabs(c)
                                 : 0.0;
    size_t nf = 2;
    if (x->act == PDX_ACT_HARD_TANH && s1 > 0.0) {
        double wr = c != 0.0 ? o.in.r / fabs(c) : 0.0;
        double kinks[4] = {s1, -s1, c != 0.0 ? s1 / fabs(c) : 0.0,
                           c != 0.0 ? -s1 / fabs(c) : 0.0};
        for (int k = 0; k < 4; k++) {
            z0[nf] = kinks[k];
            ws[nf++] = k < 2 ? 0.25 * s1 : wr;
        }
    }
    size_t n = panels(z0, ws, nf, pts);
    /* odd or even phi^(a) (odd phi; phi' of every activation but relu):
     * the integrand is even under (z1, z2) -> (-z1, -z2), so z1 >= 0 (the
     * break points are symmetric, 0 among them) */
    int half = odd(x->act) || (a == 1 && x->act != PDX_ACT_RELU);
    size_t first = 0;
    while (half && first < n && pts[first] < 0.0)
        first++;
    gsl_function F = {outer_integrand, &o};
    double v = composite(&F, pts + first, n - first, &err);
    if (half) {
        v *= 2.0;
        err *= 2.0;
    }
    err += o.in.err;
    if (!(err <= INT2_TOL) || !isfinite(v))
        x->failed = 1;
    return v;
}

/* E[phi(u1) phi(u2)] - d E[phi(u1)^2] (a = 0) or E[phi'(u1) phi'(u2)]
 * (a = 1, d = 0) at length q and correlation c. */
static double expect2(deep_ctx *x, double q, double c, int a, int d)
{
    if (x->numeric || x->act == PDX_ACT_TANH ||
        x->act == PDX_ACT_HARD_TANH || x->act == PDX_ACT_SIGMOID)
        return expect2_numeric(x, q, c, a, d);
    double v, full;
    if (x->act == PDX_ACT_ERF) {
        if (a == 1)
            return 2.0 / M_PI / sqrt((1.0 + q) * (1.0 + q) - q * q * c * c);
        v = 2.0 / M_PI * asin(q * c / (1.0 + q));
        full = 2.0 / M_PI * asin(q / (1.0 + q));
    } else if (x->act == PDX_ACT_RELU) {
        double th = acos(fmax(-1.0, fmin(1.0, c)));
        if (a == 1)
            return (M_PI - th) / (2.0 * M_PI);
        v = q / (2.0 * M_PI) * (sin(th) + (M_PI - th) * c);
        full = 0.5 * q;
    } else {
        if (a == 1)
            return 1.0;
        v = q * c;
        full = q;
    }
    return d ? v - full : v;
}

/* E[phi(u1) phi(u2)] - E[phi(u1)^2] at length q and 1 - c = omc, without
 * the cancellation of the two terms near c = 1: below a threshold the
 * expansion in C12 = q c (Price's theorem) -q omc E[phi'^2] + (q omc)^2
 * E[phi''^2]/2, whose next term (~omc^3) stays below the 2-D integrals'
 * 1e-11 (tanh, sigmoid: omc < 2e-4) or erf's asin difference (1e-5);
 * hard_tanh's kinks leave an O(omc^(3/2)) term: first order below 5e-8;
 * relu through its arc-cosine kernel with sin t - t cos t in series for
 * small t; linear exactly. */
static double corr_diff(deep_ctx *x, double q, double omc)
{
    if (!(omc > 0.0))
        return 0.0;
    if (!x->numeric && x->act == PDX_ACT_LINEAR)
        return -q * omc;
    if (!x->numeric && x->act == PDX_ACT_RELU) {
        double t = 2.0 * asin(sqrt(0.5 * fmin(omc, 2.0)));
        double t2 = t * t;
        double st = t < 1e-2 ? t * t2 * (1.0 / 3 - t2 / 30 + t2 * t2 / 840)
                             : sin(t) - t * cos(t);
        return q / (2.0 * M_PI) * (st - M_PI * omc);
    }
    double limit = x->act == PDX_ACT_ERF         ? 1e-5
                   : x->act == PDX_ACT_HARD_TANH ? 5e-8
                                                 : 2e-4;
    if (omc < limit && !x->numeric) {
        double first = -q * omc * expect1(x, q, 1);
        return x->act == PDX_ACT_HARD_TANH
                   ? first
                   : first + 0.5 * q * q * omc * omc * expect1(x, q, 3);
    }
    return expect2(x, q, 1.0 - omc, 0, 1);
}

/* --------------------------------------------------------------------- */
/* Fixed points                                                           */

typedef double (*scalar_fn)(double, void *);

/* Brent's root of f on [lo, hi] (f(lo), f(hi) of opposite signs or 0);
 * returns 0 and *root, or -1. */
static int brent(scalar_fn f, void *p, double lo, double hi, double *root)
{
    gsl_function F = {f, p};
    double flo = f(lo, p), fhi = f(hi, p);
    if (flo == 0.0 || fhi == 0.0) {
        *root = flo == 0.0 ? lo : hi;
        return 0;
    }
    if (!isfinite(flo) || !isfinite(fhi) || (flo > 0) == (fhi > 0))
        return -1;
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (s == NULL)
        return -1;
    int rc = -1;
    if (gsl_root_fsolver_set(s, &F, lo, hi) == GSL_SUCCESS) {
        for (int it = 0; it < ROOT_ITER; it++) {
            if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
                break;
            double a = gsl_root_fsolver_x_lower(s);
            double b = gsl_root_fsolver_x_upper(s);
            if (gsl_root_test_interval(a, b, 0.0, ROOT_TOL) == GSL_SUCCESS) {
                *root = gsl_root_fsolver_root(s);
                rc = 0;
                break;
            }
        }
    }
    gsl_root_fsolver_free(s);
    return rc;
}

/* The length map minus q (sigma_b2 > 0), and (map - q)/q (sigma_b2 = 0). */
static double q_gap(double q, void *p)
{
    deep_ctx *x = p;
    return x->sw * expect1(x, q, 0) + x->sb - q;
}

static double q_gap_relative(double q, void *p)
{
    deep_ctx *x = p;
    return x->sw * expect1(x, q, 0) / q - 1.0;
}

/* q*: 0 solved, 1 no finite fixed point (q diverges), -1 not found. */
static int find_q_star(deep_ctx *x, double *q_star)
{
    if (homogeneous(x->act)) {
        double a = x->sw * slope0_sq(x->act); /* the map is a q + sb */
        if (a < 1.0 || (a == 1.0 && x->sb == 0.0)) {
            *q_star = a < 1.0 ? x->sb / (1.0 - a) : 0.0;
            return 0;
        }
        *q_star = INFINITY;
        return 1;
    }
    /* bounded: phi^2 <= 1, so q* <= sigma_w2 + sigma_b2; the map at
     * sigma_b2 is >= sigma_b2 (sigmoid: phi(0) = 1/2, q = 0 is no fixed
     * point even without bias) */
    if (x->sb > 0.0 || !odd(x->act))
        return brent(q_gap, x, x->sb, x->sw + x->sb, q_star) == 0 &&
                       !x->failed
                   ? 0
                   : -1;
    /* sigma_b2 = 0: q = 0 is a fixed point, the stable one unless
     * sigma_w2 phi'(0)^2 > 1; then the positive root of (map - q)/q,
     * which decreases from sigma_w2 phi'(0)^2 - 1 (|phi(x)| < phi'(0)|x|).
     * Closer to the line than q* = 1e-12 it is taken as 0. */
    if (x->sw * slope0_sq(x->act) <= 1.0) {
        *q_star = 0.0;
        return 0;
    }
    const double lo = 1e-12;
    if (q_gap_relative(lo, x) <= 0.0) {
        *q_star = 0.0;
        return x->failed ? -1 : 0;
    }
    return brent(q_gap_relative, x, lo, x->sw, q_star) == 0 && !x->failed
               ? 0
               : -1;
}

/* (c map(c) - c)/(1 - c) at q*; its value at c = 1 is 1 - chi_1. */
typedef struct c_gap_ctx {
    deep_ctx *x;
    double q, chi_1;
} c_gap_ctx;

static double c_gap(double c, void *p)
{
    c_gap_ctx *g = p;
    if (c >= 1.0)
        return 1.0 - g->chi_1;
    /* map(c) - c = sw (E phi phi(c) - E phi^2) / q + 1 - c */
    double diff = expect2(g->x, g->q, c, 0, 1);
    return g->x->sw * diff / (g->q * (1.0 - c)) + 1.0;
}

/* c* in the chaotic phase (chi_1 > 1): the map minus c is convex on
 * [0, 1] (a Mehler series with non-negative coefficients) and >= 0 at 0,
 * so its one root below 1 is found by brent on c_gap over [0, 1]. */
static int find_c_star(deep_ctx *x, double q, double chi_1, double *c_star)
{
    if (x->sb == 0.0 && odd(x->act)) {
        *c_star = 0.0; /* odd phi: the map is odd, c = 0 the stable root */
        return 0;
    }
    if (chi_1 - 1.0 < NEAR_CRITICAL) {
        /* hard_tanh's kinks make the map's curvature at c = 1 infinite
         * (the map - c ~ (1 - c)^(3/2)): no expansion, not converged */
        double K = x->sw * q * expect1(x, q, 3);
        *c_star = K > 0.0 && isfinite(K) ? 1.0 - 2.0 * (chi_1 - 1.0) / K
                                         : NAN;
        return isfinite(*c_star) && !x->failed ? 0 : -1;
    }
    c_gap_ctx g = {x, q, chi_1};
    return brent(c_gap, &g, 0.0, 1.0, c_star) == 0 && !x->failed ? 0 : -1;
}

static double xi_of(double chi)
{
    if (!(chi > 0.0))
        return chi == 0.0 ? 0.0 : NAN;
    double l = log(chi);
    return l == 0.0 ? INFINITY : -1.0 / l;
}

static pdx_status check_problem(const pdx_deep_problem *pb, pdx_error *err)
{
    if (!deep_activation_known(pb->activation))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "activation",
                             "deep theory: activation %d is not tanh, erf, "
                             "relu, linear, hard_tanh or sigmoid",
                             pb->activation);
    if (!(pb->sigma_w2 > 0.0) || !isfinite(pb->sigma_w2))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "sigma_w2",
                             "deep theory: sigma_w2 must be > 0 and finite, "
                             "not %g",
                             pb->sigma_w2);
    if (!(pb->sigma_b2 >= 0.0) || !isfinite(pb->sigma_b2))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "sigma_b2",
                             "deep theory: sigma_b2 must be >= 0 and finite, "
                             "not %g",
                             pb->sigma_b2);
    return PDX_OK;
}

static pdx_status ctx_open(deep_ctx *x, pdx_theory_workspace *ws,
                           const pdx_deep_problem *pb, pdx_error *err)
{
    memset(x, 0, sizeof *x);
    pdx_status st = check_problem(pb, err);
    if (st != PDX_OK)
        return st;
    x->ws = ws;
    x->act = pb->activation;
    x->numeric = pb->numeric;
    x->sw = pb->sigma_w2;
    x->sb = pb->sigma_b2;
    return PDX_OK;
}

static void point_clear(pdx_deep_point *out)
{
    out->status = PDX_THEORY_NOT_CONVERGED;
    out->q_star = out->c_star = out->chi_1 = out->chi_c = NAN;
    out->slope_q = out->xi_q = out->xi_c = out->xi_grad = NAN;
}

/* The fixed-point quantities of an open context. */
static void point_eval(deep_ctx *x, pdx_deep_point *out)
{
    point_clear(out);
    x->failed = 0;
    int qs = find_q_star(x, &out->q_star);
    if (qs < 0)
        return;
    if (qs > 0) {
        /* relu / linear above sigma_w2 phi'(0)^2 = 1 (or at it with
         * sigma_b2 > 0): q grows without bound; chi_1 does not depend on
         * q, the rest has no fixed point to be evaluated at */
        out->chi_1 = x->sw * slope0_sq(x->act);
        out->xi_grad = xi_of(out->chi_1);
        out->status = PDX_THEORY_NOT_APPLICABLE;
        return;
    }
    double q = out->q_star;
    out->chi_1 = x->sw * expect1(x, q, 1);
    out->slope_q = out->chi_1 + x->sw * expect1(x, q, 2);
    if (x->failed)
        return;
    if (out->chi_1 <= 1.0) {
        out->c_star = 1.0; /* ordered (or critical): chi_c = chi_1 */
        out->chi_c = out->chi_1;
    } else {
        if (find_c_star(x, q, out->chi_1, &out->c_star) != 0)
            return;
        out->chi_c = out->chi_1 - 1.0 < NEAR_CRITICAL
                         ? 2.0 - out->chi_1
                         : x->sw * expect2(x, q, out->c_star, 1, 0);
    }
    if (x->failed)
        return;
    out->xi_q = xi_of(out->slope_q);
    out->xi_c = xi_of(out->chi_c);
    out->xi_grad = xi_of(out->chi_1);
    out->status = PDX_THEORY_SOLVED;
}

pdx_status pdx_theory_deep_point(pdx_theory_workspace *ws,
                                 const pdx_deep_problem *pb,
                                 pdx_deep_point *out, pdx_error *err)
{
    deep_ctx x;
    point_clear(out);
    pdx_status st = ctx_open(&x, ws, pb, err);
    if (st != PDX_OK)
        return st;
    point_eval(&x, out);
    return PDX_OK;
}

/* q^l, 1 - c^l (kept as such: c^l near 1 loses no digits) and chi^l =
 * sigma_w2 E[phi'(sqrt(q^l) z)^2] of layers 1 .. depth (chi may be NULL)
 * from inputs of length q0 and 1 - c0 = omc0; NaN from a failure on. */
static void run_layers(deep_ctx *x, double q0, double omc0, size_t depth,
                       double *q, double *omc, double *chi)
{
    /* layer 1: the input enters linearly */
    double ql = x->sw * q0 + x->sb;
    double dl = ql > 0.0 ? x->sw * q0 * omc0 / ql : 0.0;
    size_t l = 0;
    for (;;) {
        q[l] = ql;
        omc[l] = fmax(0.0, fmin(2.0, dl));
        if (chi != NULL)
            chi[l] = isfinite(ql) ? x->sw * expect1(x, ql, 1) : NAN;
        if (++l == depth || x->failed || !isfinite(ql))
            break;
        double qn = x->sw * expect1(x, ql, 0) + x->sb;
        /* q12 = q^{l+1} + sw (E phi phi(c) - E phi^2), accurate at c ~ 1 */
        double diff = corr_diff(x, ql, omc[l - 1]);
        if (ql == qn && omc[l - 1] == 0.0) {
            for (; l < depth; l++) { /* a fixed point: the rest is equal */
                q[l] = ql;
                omc[l] = 0.0;
                if (chi != NULL)
                    chi[l] = chi[l - 1];
            }
            break;
        }
        dl = qn > 0.0 ? -x->sw * diff / qn : omc[l - 1];
        ql = qn;
    }
    if (x->failed && l > 0)
        l--; /* the failing layer's values are not to be trusted */
    for (; l < depth; l++) {
        q[l] = omc[l] = NAN;
        if (chi != NULL)
            chi[l] = NAN;
    }
}

static pdx_status check_layers(double q0, size_t depth, pdx_error *err)
{
    if (!(q0 >= 0.0) || !isfinite(q0) || depth == 0)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "q0",
                             "deep theory: need q0 >= 0 (finite) and depth "
                             ">= 1 (got %g, %zu)",
                             q0, depth);
    return PDX_OK;
}

pdx_status pdx_theory_deep_layers(pdx_theory_workspace *ws,
                                  const pdx_deep_problem *pb, double q0,
                                  double c0, size_t depth, double *q,
                                  double *c, double *chi, int *status,
                                  pdx_error *err)
{
    *status = PDX_THEORY_NOT_CONVERGED;
    if (!(c0 >= -1.0 && c0 <= 1.0))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "c0",
                             "deep theory: c0 must be in [-1, 1], not %g",
                             c0);
    deep_ctx x;
    pdx_status st = check_layers(q0, depth, err);
    if (st == PDX_OK)
        st = ctx_open(&x, ws, pb, err);
    if (st != PDX_OK)
        return st;
    run_layers(&x, q0, 1.0 - c0, depth, q, c, chi);
    for (size_t l = 0; l < depth; l++)
        c[l] = 1.0 - c[l]; /* c held 1 - c */
    *status = x.failed ? PDX_THEORY_NOT_CONVERGED : PDX_THEORY_SOLVED;
    return PDX_OK;
}

pdx_status pdx_theory_deep_curve_length(pdx_theory_workspace *ws,
                                        const pdx_deep_problem *pb,
                                        double q0, size_t points,
                                        size_t depth, double *length,
                                        int *status, pdx_error *err)
{
    *status = PDX_THEORY_NOT_CONVERGED;
    if (points < 3)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "points",
                             "deep theory: a curve needs >= 3 points, not "
                             "%zu",
                             points);
    deep_ctx x;
    pdx_status st = check_layers(q0, depth, err);
    if (st == PDX_OK)
        st = ctx_open(&x, ws, pb, err);
    double *q = st == PDX_OK ? malloc(depth * sizeof *q) : NULL;
    if (st == PDX_OK && q == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                           "out of memory");
    if (st != PDX_OK)
        return st;
    /* neighbouring points of the circle: correlation cos(2 pi/C), so
     * 1 - c0 = 2 sin(pi/C)^2; a chord of the image at layer l is
     * sqrt(2 q^l (1 - c^l)) long (over sqrt(width)) */
    double s = sin(M_PI / (double)points);
    run_layers(&x, q0, 2.0 * s * s, depth, q, length, NULL);
    for (size_t l = 0; l < depth; l++)
        length[l] = (double)points * sqrt(2.0 * q[l] * length[l]);
    free(q);
    *status = x.failed ? PDX_THEORY_NOT_CONVERGED : PDX_THEORY_SOLVED;
    return PDX_OK;
}

/* chi_1 - 1 at sigma_w2 = sw (q* solved at sw). */
static double chi_gap(double sw, void *p)
{
    deep_ctx *x = p;
    x->sw = sw;
    double q;
    if (find_q_star(x, &q) != 0) {
        x->failed = 1;
        return NAN;
    }
    return sw * expect1(x, q, 1) - 1.0;
}

pdx_status pdx_theory_deep_critical(pdx_theory_workspace *ws, int activation,
                                    double sigma_b2, pdx_deep_critical *out,
                                    pdx_error *err)
{
    out->status = PDX_THEORY_NOT_CONVERGED;
    out->sigma_w2 = out->q_star = NAN;
    pdx_deep_problem pb = {activation, 1.0, sigma_b2, 0};
    deep_ctx x;
    pdx_status st = ctx_open(&x, ws, &pb, err);
    if (st != PDX_OK)
        return st;
    double w0 = 1.0 / slope0_sq(activation); /* chi_1 at q* = 0 is w/w0 */
    if (homogeneous(activation) || (sigma_b2 == 0.0 && odd(activation))) {
        /* chi_1 = sigma_w2 phi'(0)^2 at q* = 0 (bounded phi, no bias) and
         * for every q (relu, linear); with a bias relu and linear have no
         * finite q* there: chi_1 = 1 is no order-to-chaos transition */
        out->sigma_w2 = w0;
        int finite = sigma_b2 == 0.0;
        out->q_star = finite ? 0.0 : INFINITY;
        out->status = finite ? PDX_THEORY_SOLVED : PDX_THEORY_NOT_APPLICABLE;
            return PDX_OK;
    }
    /* bounded phi with |phi'| <= phi'(0): chi_1 <= sigma_w2 / w0, so chi_1
     * <= 1 at w0; double the upper end until chi_1 > 1 */
    double hi = 2.0 * w0, gap = chi_gap(hi, &x);
    while (gap <= 0.0 && hi < 1e6 && !x.failed) {
        hi *= 2.0;
        gap = chi_gap(hi, &x);
    }
    double root;
    if (gap > 0.0 && !x.failed && brent(chi_gap, &x, w0, hi, &root) == 0 &&
        !x.failed) {
        x.sw = root;
        if (find_q_star(&x, &out->q_star) == 0 && !x.failed) {
            out->sigma_w2 = root;
            out->status = PDX_THEORY_SOLVED;
        }
    }
    return PDX_OK;
}

/* ------------------------------------------------------------------------ */
/* One cell of a grid (pdx theory SPEC)                                      */

static void put_cell(double *const *vars, pdx_theory_var v, double value)
{
    if (vars[v] != NULL)
        *vars[v] = value;
}

/* The per-layer variables of a propagate cell; returns its status. */
static int deep_cell_layers(pdx_theory_workspace *ws,
                            const pdx_deep_problem *pb, const pdx_params *p,
                            double *const *vars, size_t n_layers)
{
    size_t depth = (size_t)p->student_depth;
    if (depth > n_layers)
        depth = n_layers;
    if (depth == 0 || vars[PDX_TH_Q_LAYER] == NULL)
        return PDX_THEORY_SOLVED;
    int st = PDX_THEORY_NOT_CONVERGED, st_len = PDX_THEORY_NOT_CONVERGED;
    if (pdx_theory_deep_layers(ws, pb, p->propagate_q0, p->propagate_c0,
                               depth, vars[PDX_TH_Q_LAYER],
                               vars[PDX_TH_C_LAYER], vars[PDX_TH_CHI_LAYER],
                               &st, NULL) != PDX_OK ||
        pdx_theory_deep_curve_length(
            ws, pb, p->propagate_q0, (size_t)p->propagate_curve_points, depth,
            vars[PDX_TH_CURVE_LENGTH_LAYER], &st_len, NULL) != PDX_OK)
        return PDX_THEORY_NOT_APPLICABLE; /* arguments out of the maps' range */
    return st == PDX_THEORY_SOLVED && st_len == PDX_THEORY_SOLVED
               ? PDX_THEORY_SOLVED
               : PDX_THEORY_NOT_CONVERGED;
}

int pdx_th_deep_cell(pdx_theory_workspace *ws, const pdx_params *p,
                     double *const *vars, size_t n_layers)
{
    pdx_deep_problem pb = {p->student_activation, p->student_sigma_w2,
                           p->student_sigma_b2, 0};
    pdx_deep_point pt;
    if (pdx_theory_deep_point(ws, &pb, &pt, NULL) != PDX_OK)
        return PDX_THEORY_NOT_APPLICABLE;
    pdx_deep_critical cr;
    if (pdx_theory_deep_critical(ws, pb.activation, pb.sigma_b2, &cr,
                                 NULL) != PDX_OK)
        cr.status = PDX_THEORY_NOT_APPLICABLE;
    put_cell(vars, PDX_TH_Q_STAR, pt.q_star);
    put_cell(vars, PDX_TH_C_STAR, pt.c_star);
    put_cell(vars, PDX_TH_CHI_1, pt.chi_1);
    put_cell(vars, PDX_TH_CHI_C, pt.chi_c);
    put_cell(vars, PDX_TH_SLOPE_Q, pt.slope_q);
    put_cell(vars, PDX_TH_XI_Q, pt.xi_q);
    put_cell(vars, PDX_TH_XI_C, pt.xi_c);
    put_cell(vars, PDX_TH_XI_GRAD, pt.xi_grad);
    put_cell(vars, PDX_TH_SIGMA_W2_CRITICAL,
             cr.status == PDX_THEORY_SOLVED ? cr.sigma_w2 : NAN);
    put_cell(vars, PDX_TH_TRAINABLE_DEPTH, 6.0 * pt.xi_c);
    /* the layers are finite at any depth, even where q* is not (relu
     * above sigma_w2 = 2): a propagate cell is solved when they are */
    int st = pt.status;
    if (p->train_algorithm == PDX_ALG_PROPAGATE) {
        int layers = deep_cell_layers(ws, &pb, p, vars, n_layers);
        if (layers != PDX_THEORY_SOLVED || st == PDX_THEORY_NOT_APPLICABLE)
            st = layers;
    }
    return st;
}
