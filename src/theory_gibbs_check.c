/* theory_gibbs_check.c — the saddle-point equations of Gibbs learning of
 * perceptrons in a well-conditioned, relative form: the residual that every
 * solved point is checked against, and a solver for the points where the
 * form of theory_perceptron.c loses its precision (small q: high
 * temperature, small alpha). Notation at the top of theory_perceptron.c.
 *
 * In theory_perceptron.c, dE/dq = a_q E_a + b_q E_b with two terms that are
 * each of order R L'(0) / (sqrt(q) d^{3/2}) and nearly cancel when q is
 * small (at T = 1000, alpha = 2 they are 10^7 times the sum). Integrating
 * by parts in t (phi(t) phi(a t) = e^{-(1+a^2) t^2/2} / (2 pi), W' =
 * (1-2p) phi, L'' = -L' (x + L')) removes the cancellation exactly:
 *     I1 = int dt e^{-(1+a^2) t^2 / 2} L'(b t),
 *     I2 = int Dt W(a t) L''(b t),
 *     dE/dR = (1-2p) b I1 / (2 pi sqrt(d)),
 *     dE/dq = (1-2p) a b I1 / (4 pi (1-q)) + I2 / (2 (1-q)^2),
 * (d = q - R^2, 1 + a^2 = q/d, b^2 (1-q)^2 = q (1-q)). The equations are
 * then written relative to their terms:
 *   spherical  1 + A + B = 0 with A = alpha (1-q) (1-2p) a b I1 / (pi d),
 *              B = 2 alpha I2 / d (the q equation, 1 + 4 alpha (1-q)^2
 *              dE/dq / d = 0): G1 = (1 + A + B) / max(1, |A|, |B|);
 *              R = 2 alpha (1-q) dE/dR (the R equation):
 *              G2 = (2 alpha (1-q) dE/dR - R) / max of the two sides;
 *   Ising      G1 = (<tanh^2> - q) / (q (1-q)),
 *              G2 = (<tanh> - R) / (R (1-R)),
 *              with qh = -4 alpha dE/dq, Rh = 2 alpha dE/dR;
 * and the residual is max(|G1|, |G2|): the mismatch of each equation
 * relative to its largest term (for Ising weights, relative to q or 1 - q
 * and R or 1 - R, whichever is smaller). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multiroots.h>
#include <gsl/gsl_vector.h>

#include "theory_gibbs_internal.h"

/* ------------------------------------------------------------------------ */
/* Ising entropic part                                                       */

static double f_sech2(double z, void *p)
{
    const ising_ctx *c = p;
    double h = c->sq * z + c->Rh;
    double ch = cosh(h);
    return pdx_th_phi(z) / (ch * ch);
}

static double f_one_minus_tanh(double z, void *p)
{
    const ising_ctx *c = p;
    double h = c->sq * z + c->Rh;
    return pdx_th_phi(z) * 2.0 / (1.0 + exp(2.0 * h));
}

int pdx_th_ising_conj(pdx_theory_workspace *ws, double alpha, double Eq,
                      double ER, ising_conj *out)
{
    out->qh = -4.0 * alpha * Eq;
    out->Rh = 2.0 * alpha * ER;
    if (!(out->qh > 0.0))
        out->qh = 0.0;
    ising_ctx c = {sqrt(out->qh), out->Rh};
    double center = c.sq > 0.0 ? -c.Rh / c.sq : 0.0;
    double scales[1] = {c.sq > 0.0 ? 1.0 / c.sq : 0.0};
    if (c.sq == 0.0) {
        double t = tanh(c.Rh);
        out->one_minus_Phi_q = 1.0 - t * t;
        out->one_minus_Phi_R = 1.0 - t;
        return 0;
    }
    int rc = pdx_th_integrate(ws, f_sech2, &c, center, scales, 1,
                              &out->one_minus_Phi_q);
    if (rc == 0)
        rc = pdx_th_integrate(ws, f_one_minus_tanh, &c, center, scales, 1,
                              &out->one_minus_Phi_R);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The derivatives of E without cancellation                                 */

static double f_I1(double t, void *p)
{
    const ab_ctx *c = p;
    return exp(-0.5 * (1.0 + c->a * c->a) * t * t) * L_prime(c->m, c->b * t);
}

static double f_I2(double t, void *p)
{
    const ab_ctx *c = p;
    double x = c->b * t, l1 = L_prime(c->m, x);
    return pdx_th_phi(t) * W_of(c->m, c->a * t) * -l1 * (x + l1);
}

typedef struct tanh_ctx {
    ising_ctx field;
    int power;
} tanh_ctx;

static double f_tanh_power(double z, void *p)
{
    const tanh_ctx *c = p;
    double t = tanh(c->field.sq * z + c->field.Rh);
    return pdx_th_phi(z) * (c->power == 2 ? t * t : t);
}

/* The relative equations G1, G2 at x. 0 or a GSL error code. */
static int relative_equations(pdx_theory_workspace *ws, const perc_model *m,
                              const double x[2], double G[2])
{
    perc_state s = state_of(x);
    if (!(s.d > 0.0) || !(s.omq > 0.0) || !(s.q > 0.0) || !(s.R > 0.0))
        return GSL_EDOM;
    ab_ctx c = {m, s.R / sqrt(s.d), sqrt(s.q / s.omq)};
    double scales[3] = {1.0 / sqrt(1.0 + c.a * c.a),
                        c.a != 0.0 ? 1.0 / c.a : 0.0, 1.0 / c.b};
    double I1, I2;
    int rc = pdx_th_integrate(ws, f_I1, &c, 0.0, scales, 3, &I1);
    if (rc == 0)
        rc = pdx_th_integrate(ws, f_I2, &c, 0.0, scales + 1, 2, &I2);
    if (rc != 0)
        return rc;
    double k = (1.0 - 2.0 * m->p) * c.b * I1;
    double ER = k / (2.0 * M_PI * sqrt(s.d));
    double Eq = k * c.a / (4.0 * M_PI * s.omq) + I2 / (2.0 * s.omq * s.omq);
    if (!m->ising) {
        /* 1 + A + B = 0 and E_R = R: each relative to its largest term */
        double A = m->alpha * s.omq * k * c.a / (M_PI * s.d);
        double B = 2.0 * m->alpha * I2 / s.d;
        double ER_side = 2.0 * m->alpha * s.omq * ER;
        G[0] = (1.0 + A + B) / fmax(1.0, fmax(fabs(A), fabs(B)));
        G[1] = (ER_side - s.R) / fmax(s.R, fabs(ER_side));
    } else {
        ising_conj kc;
        rc = pdx_th_ising_conj(ws, m->alpha, Eq, ER, &kc);
        if (rc != 0)
            return rc;
        /* small q or R: <tanh^2>, <tanh> directly (1 - (1 - <.>) would
         * leave them to the integrals' absolute error) */
        double Phi_q = 1.0 - kc.one_minus_Phi_q, Phi_R = 1.0 - kc.one_minus_Phi_R;
        ising_ctx ic = {sqrt(kc.qh), kc.Rh};
        double center = ic.sq > 0.0 ? -ic.Rh / ic.sq : 0.0;
        double sc[1] = {ic.sq > 0.0 ? 1.0 / ic.sq : 0.0};
        if (s.q < 0.5)
            rc = pdx_th_integrate(ws, f_tanh_power, &(tanh_ctx){ic, 2},
                                  center, sc, 1, &Phi_q);
        if (rc == 0 && s.R < 0.5)
            rc = pdx_th_integrate(ws, f_tanh_power, &(tanh_ctx){ic, 1},
                                  center, sc, 1, &Phi_R);
        if (rc != 0)
            return rc;
        G[0] = s.q < 0.5 ? (Phi_q - s.q) / (s.q * s.omq)
                         : (s.omq - kc.one_minus_Phi_q) / (s.q * s.omq);
        G[1] = s.R < 0.5 ? (Phi_R - s.R) / (s.R * (1.0 - s.R))
                         : ((1.0 - s.R) - kc.one_minus_Phi_R) /
                               (s.R * (1.0 - s.R));
    }
    return isfinite(G[0]) && isfinite(G[1]) ? 0 : GSL_EDOM;
}

int pdx_th_gibbs_residual(pdx_theory_workspace *ws, const perc_model *m,
                          const double x[2], double *residual)
{
    double G[2];
    *residual = NAN;
    int rc = relative_equations(ws, m, x, G);
    if (rc == 0)
        *residual = fmax(fabs(G[0]), fabs(G[1]));
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Solver                                                                    */

typedef struct stable_ctx {
    pdx_theory_workspace *ws;
    const perc_model *m;
} stable_ctx;

static int stable_f(const gsl_vector *xv, void *params, gsl_vector *f)
{
    const stable_ctx *c = params;
    double x[2] = {gsl_vector_get(xv, 0), gsl_vector_get(xv, 1)}, G[2];
    if (!isfinite(x[0]) || !isfinite(x[1]) || fabs(x[0]) > 700.0 ||
        fabs(x[1]) > 40.0)
        return GSL_EDOM;
    int rc = relative_equations(c->ws, c->m, x, G);
    if (rc != 0)
        return rc == GSL_EDOM ? GSL_EDOM : GSL_EFAILED;
    gsl_vector_set(f, 0, G[0]);
    gsl_vector_set(f, 1, G[1]);
    return GSL_SUCCESS;
}

int pdx_th_hybrids2(gsl_multiroot_function *F, const double start[2],
                    int max_iter, double res_tol, double delta_abs,
                    double delta_rel, double x[2], double f[2])
{
    gsl_multiroot_fsolver *s =
        gsl_multiroot_fsolver_alloc(gsl_multiroot_fsolver_hybrids, 2);
    gsl_vector *x0 = gsl_vector_alloc(2);
    if (s == NULL || x0 == NULL) {
        gsl_vector_free(x0);
        if (s != NULL)
            gsl_multiroot_fsolver_free(s);
        return GSL_ENOMEM;
    }
    gsl_vector_set(x0, 0, start[0]);
    gsl_vector_set(x0, 1, start[1]);
    int rc = gsl_multiroot_fsolver_set(s, F, x0);
    int status = GSL_CONTINUE;
    for (int iter = 0; rc == GSL_SUCCESS && status == GSL_CONTINUE &&
                       iter < max_iter;
         iter++) {
        if (gsl_multiroot_fsolver_iterate(s) != GSL_SUCCESS)
            break;
        status = gsl_multiroot_test_residual(s->f, res_tol);
        if (status == GSL_CONTINUE && delta_abs > 0.0)
            status = gsl_multiroot_test_delta(s->dx, s->x, delta_abs,
                                              delta_rel);
    }
    for (int k = 0; k < 2; k++) {
        x[k] = gsl_vector_get(s->x, k);
        f[k] = gsl_vector_get(s->f, k);
    }
    gsl_vector_free(x0);
    gsl_multiroot_fsolver_free(s);
    return rc;
}

int pdx_th_gibbs_solve_stable(pdx_theory_workspace *ws, const perc_model *m,
                              const double guess[2], double x[2])
{
    stable_ctx ctx = {ws, m};
    gsl_multiroot_function F = {stable_f, 2, &ctx};
    double xs[2], f[2];
    x[0] = guess[0];
    x[1] = guess[1];
    if (pdx_th_hybrids2(&F, guess, 200, 1e-13, 0.0, 0.0, xs, f) != 0)
        return GSL_ENOPROG;
    double r = fmax(fabs(f[0]), fabs(f[1]));
    x[0] = xs[0];
    x[1] = xs[1];
    return isfinite(r) && r < 1e-10 ? 0 : GSL_ENOPROG;
}
