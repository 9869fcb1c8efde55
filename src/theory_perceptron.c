/* theory_perceptron.c — teacher-student perceptrons: Hebb, replica-
 * symmetric Gibbs learning (spherical and Ising weights, any temperature),
 * the Bayes-optimal student, the high-temperature limit and the large-alpha
 * asymptotes.
 *
 * Notation (Engel & Van den Broeck 2001, "Statistical Mechanics of
 * Learning", ch. 2, 4, 7): Dt the standard Gaussian measure,
 * H(x) = int_x^inf Dt, alpha = P/N, beta = 1/T, p the label-flip
 * probability. The energetic part of the replica-symmetric free energy,
 * for energy = number of training errors, is 2 alpha E with
 *     E(q, R) = int Dt W(a t) L(b t),
 *     W(u) = (1-p) H(-u) + p H(u),   L(x) = ln[e^-beta + (1-e^-beta) H(-x)],
 *     a = R / sqrt(q - R^2),          b = sqrt(q / (1-q)),
 * (at T = 0, L(x) = ln H(-x)). Its derivatives follow from
 *     dE/da = (1-2p) int Dt t phi(a t) L(b t),
 *     dE/db = int Dt W(a t) t L'(b t).
 * Spherical weights: -beta f = extr_{q,R} [ ln(1-q)/2 + (q-R^2)/(2(1-q))
 *     + 2 alpha E ]  (E&VdB ch. 2 at T = 0, ch. 4 at T > 0).
 * Ising weights (binary teacher, gauge B_i = 1): -beta f = extr [
 *     -qh(1-q)/2 - Rh R + int Dz ln 2cosh(sqrt(qh) z + Rh) + 2 alpha E ]
 *     so that qh = -4 alpha dE/dq, Rh = 2 alpha dE/dR,
 *     q = int Dz tanh^2(sqrt(qh) z + Rh), R = int Dz tanh(...)
 *     (Gyorgyi 1990; Seung, Sompolinsky & Tishby 1992).
 * The training error is et = -(1/alpha) d(-beta f)/d beta
 *     = 2 int Dt W(a t) e^-beta H(b t) / [e^-beta + (1-e^-beta) H(-b t)].
 *
 * The unknowns (q, R) are parametrised as q = 1/(1+e^-u),
 * R = sqrt(q) tanh v, so that every (u, v) is admissible and 1-q and
 * q - R^2 = q / cosh^2 v are computed without cancellation near 1. */
#include "pdx/theory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multiroots.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_vector.h>

#include "theory_gibbs_internal.h"

/* ------------------------------------------------------------------------ */
/* The energetic part                                                        */

static double f_E(double t, void *p)
{
    const ab_ctx *c = p;
    return pdx_th_phi(t) * W_of(c->m, c->a * t) * L_of(c->m, c->b * t);
}

static double f_Ea(double t, void *p)
{
    const ab_ctx *c = p;
    double g = exp(-0.5 * (1.0 + c->a * c->a) * t * t) / (2.0 * M_PI);
    return (1.0 - 2.0 * c->m->p) * g * t * L_of(c->m, c->b * t);
}

static double f_Eb(double t, void *p)
{
    const ab_ctx *c = p;
    return pdx_th_phi(t) * W_of(c->m, c->a * t) * t *
           L_prime(c->m, c->b * t);
}

static double f_Et(double t, void *p)
{
    const ab_ctx *c = p;
    return 2.0 * pdx_th_phi(t) * W_of(c->m, c->a * t) *
           error_kernel(c->m, c->b * t);
}

/* training error against the clean labels: the student disagrees with a
 * kept label, or agrees with a flipped one */
static double f_Etc(double t, void *p)
{
    const ab_ctx *c = p;
    double k = error_kernel(c->m, c->b * t);
    double u = c->a * t;
    return 2.0 * pdx_th_phi(t) *
           ((1.0 - c->m->p) * pdx_theory_H(-u) * k +
            c->m->p * pdx_theory_H(u) * (1.0 - k));
}

typedef struct energetic {
    double E, Eq, ER; /* E and its derivatives in q and R */
    double Ea, Eb;
    double a, b;
    double et;        /* training error (noisy labels) */
    double et_clean;  /* training error (clean labels) */
} energetic;

/* what: 1 derivatives, 2 E, 4 et */
static int energetic_eval(pdx_theory_workspace *ws, const perc_model *m,
                          const perc_state *s, unsigned what, energetic *e)
{
    ab_ctx c = {m, s->R / sqrt(s->d), sqrt(s->q / s->omq)};
    double scales[2] = {c.a != 0.0 ? 1.0 / c.a : 0.0, 1.0 / c.b};
    int rc = 0;
    memset(e, 0, sizeof *e);
    e->a = c.a;
    e->b = c.b;
    if (what & 1u) {
        rc = pdx_th_integrate(ws, f_Ea, &c, 0.0, scales, 2, &e->Ea);
        if (rc == 0)
            rc = pdx_th_integrate(ws, f_Eb, &c, 0.0, scales, 2, &e->Eb);
        double d32 = s->d * sqrt(s->d);
        double a_R = s->q / d32, a_q = -0.5 * s->R / d32;
        double b_q = 1.0 / (2.0 * c.b * s->omq * s->omq);
        e->Eq = a_q * e->Ea + b_q * e->Eb;
        e->ER = a_R * e->Ea;
    }
    if (rc == 0 && (what & 2u))
        rc = pdx_th_integrate(ws, f_E, &c, 0.0, scales, 2, &e->E);
    if (rc == 0 && (what & 4u))
        rc = pdx_th_integrate(ws, f_Et, &c, 0.0, scales, 2, &e->et);
    if (rc == 0 && (what & 4u))
        rc = m->p > 0.0
                 ? pdx_th_integrate(ws, f_Etc, &c, 0.0, scales, 2, &e->et_clean)
                 : (e->et_clean = e->et, 0);
    return rc;
}

static double f_lncosh(double z, void *p)
{
    const ising_ctx *c = p;
    double h = fabs(c->sq * z + c->Rh);
    return pdx_th_phi(z) * (h + log1p(exp(-2.0 * h))); /* ln 2cosh h */
}

/* ------------------------------------------------------------------------ */
/* Saddle-point equations                                                    */

typedef struct solve_ctx {
    pdx_theory_workspace *ws;
    const perc_model *m;
    int failed;
} solve_ctx;

static int saddle_f(const gsl_vector *xv, void *params, gsl_vector *f)
{
    solve_ctx *c = params;
    double x[2] = {gsl_vector_get(xv, 0), gsl_vector_get(xv, 1)};
    if (!isfinite(x[0]) || !isfinite(x[1]) || fabs(x[0]) > 700.0 ||
        fabs(x[1]) > 40.0)
        return GSL_EDOM;
    perc_state s = state_of(x);
    if (!(s.d > 0.0) || !(s.omq > 0.0) || !(s.q > 0.0))
        return GSL_EDOM;
    energetic e;
    if (energetic_eval(c->ws, c->m, &s, 1u, &e) != 0) {
        c->failed = 1;
        return GSL_EFAILED;
    }
    double alpha = c->m->alpha;
    double F1, F2;
    if (!c->m->ising) {
        /* (q-R^2)/(2(1-q)^2) + 2 alpha dE/dq = 0, times (1-q)^2/(q-R^2);
         * -R/(1-q) + 2 alpha dE/dR = 0, times (1-q) */
        F1 = 0.5 + 2.0 * alpha * s.omq * s.omq * e.Eq / s.d;
        F2 = -s.R + 2.0 * alpha * s.omq * e.ER;
    } else {
        ising_conj k;
        if (pdx_th_ising_conj(c->ws, alpha, e.Eq, e.ER, &k) != 0) {
            c->failed = 1;
            return GSL_EFAILED;
        }
        F1 = k.one_minus_Phi_q / s.omq - 1.0;
        F2 = k.one_minus_Phi_R / (1.0 - s.R) - 1.0;
    }
    if (!isfinite(F1) || !isfinite(F2))
        return GSL_EDOM;
    gsl_vector_set(f, 0, F1);
    gsl_vector_set(f, 1, F2);
    return GSL_SUCCESS;
}

/* Solve the saddle point at m->alpha from `guess`; 0 on success. */
static int saddle_solve(pdx_theory_workspace *ws, const perc_model *m,
                        const double guess[2], double x[2])
{
    solve_ctx ctx = {ws, m, 0};
    gsl_multiroot_function F = {saddle_f, 2, &ctx};
    double f[2];
    /* the start's own failure is judged by its residual like any iterate
     * (hybrids may stop on a step-size problem at the root itself) */
    if (pdx_th_hybrids2(&F, guess, 100, 1e-11, 1e-13, 1e-11, x, f) ==
        GSL_ENOMEM)
        return GSL_ENOMEM;
    double r = fabs(f[0]) + fabs(f[1]);
    return isfinite(r) && r < 1e-8 && !ctx.failed ? 0 : GSL_ENOPROG;
}

/* The leading small-alpha solution: q = alpha L'(0)^2,
 * R = 2 alpha (1-2p) phi(0) L'(0) (expansion of -beta f in q and R);
 * at T = 0, p = 0 this is q = R = 2 alpha / pi. For Ising weights
 * (Nishimori at T = 0) the same start works. */
static void small_alpha_guess(const perc_model *m, double x[2])
{
    double L1 = L_prime(m, 0.0);
    double phi0 = 1.0 / SQRT_2PI;
    double q = m->alpha * L1 * L1;
    double R = 2.0 * m->alpha * (1.0 - 2.0 * m->p) * phi0 * L1;
    if (q > 0.5)
        q = 0.5;
    if (R * R >= q)
        R = 0.99 * sqrt(q);
    x_of(q, R, x);
}

/* ------------------------------------------------------------------------ */
/* Continuation in alpha                                                     */

typedef struct branch_point {
    double alpha;
    double x[2];
} branch_point;

typedef struct tracker {
    perc_model m;        /* alpha = the current point's */
    branch_point last[2];/* the two latest accepted points (extrapolation) */
    int n;               /* accepted points so far */
    double max_factor;   /* largest alpha ratio per step */
    double factor;       /* current alpha ratio */
    double max_jump;     /* largest accepted change of R in one step */
    branch_point *history; /* every accepted point (for transitions) */
    size_t n_history, cap_history;
} tracker;

static void tracker_init(tracker *t, const perc_model *m, double alpha0,
                         double max_factor, double max_jump)
{
    memset(t, 0, sizeof *t);
    t->m = *m;
    t->m.alpha = alpha0;
    t->max_factor = max_factor;
    t->factor = max_factor;
    t->max_jump = max_jump;
}

static void tracker_free(tracker *t)
{
    free(t->history);
    t->history = NULL;
}

static void tracker_record(tracker *t, double alpha, const double x[2])
{
    t->last[0] = t->last[1];
    t->last[1].alpha = alpha;
    t->last[1].x[0] = x[0];
    t->last[1].x[1] = x[1];
    t->n++;
    t->m.alpha = alpha;
    if (t->n_history == t->cap_history) {
        size_t cap = t->cap_history ? 2 * t->cap_history : 64;
        branch_point *h = realloc(t->history, cap * sizeof *h);
        if (h == NULL)
            return; /* history is an optimisation for transitions only */
        t->history = h;
        t->cap_history = cap;
    }
    t->history[t->n_history++] = t->last[1];
}

/* The high-temperature (annealed) solution as a guess: R / sqrt(1-R^2) =
 * kappa/pi with kappa = alpha (1-2p)/T, and q = R^2 plus the thermal
 * part alpha L'(0)^2. */
static void high_temperature_guess(const perc_model *m, double x[2])
{
    double L1 = L_prime(m, 0.0);
    double kappa = isinf(m->beta) ? INFINITY
                                  : m->alpha * (1.0 - 2.0 * m->p) * m->beta;
    double r = kappa / M_PI;
    double R = isinf(r) ? 0.999 : r / sqrt(1.0 + r * r);
    double q = R * R + m->alpha * L1 * L1;
    if (q > 0.999)
        q = 0.999;
    if (R * R >= q)
        R = 0.99 * sqrt(q);
    x_of(q, R, x);
}

/* The small-alpha solution to the first two orders at any temperature:
 * R = 2 alpha (1-2p) phi(0) L'(0) and q = R^2 + alpha L'(0)^2 (at high
 * temperature R^2 is not small against alpha L'(0)^2: the guess above
 * clamps it). */
static void small_alpha_point(const perc_model *m, double x[2])
{
    double L1 = L_prime(m, 0.0);
    double R = 2.0 * m->alpha * (1.0 - 2.0 * m->p) * L1 / SQRT_2PI;
    double q = R * R + m->alpha * L1 * L1;
    if (q > 0.5) {
        R *= sqrt(0.5 / q);
        q = 0.5;
    }
    x_of(q, R, x);
}

/* Start: solve at alpha0 from the small-alpha guess, else from the
 * high-temperature one, else the well-conditioned equations from the
 * small-alpha solution. */
static int tracker_start(tracker *t, pdx_theory_workspace *ws)
{
    double guess[2], x[2];
    small_alpha_guess(&t->m, guess);
    int rc = saddle_solve(ws, &t->m, guess, x);
    if (rc != 0 && !isinf(t->m.beta)) {
        high_temperature_guess(&t->m, guess);
        rc = saddle_solve(ws, &t->m, guess, x);
    }
    if (rc != 0) {
        /* the equations in their well-conditioned form (small q) */
        small_alpha_point(&t->m, guess);
        rc = pdx_th_gibbs_solve_stable(ws, &t->m, guess, x);
    }
    if (rc == 0)
        tracker_record(t, t->m.alpha, x);
    return rc;
}

/* Predicted x at alpha: linear extrapolation in log alpha. */
static void tracker_predict(const tracker *t, double alpha, double x[2])
{
    const branch_point *b = &t->last[1], *a = &t->last[0];
    if (t->n < 2 || b->alpha == a->alpha) {
        x[0] = b->x[0];
        x[1] = b->x[1];
        return;
    }
    double w = log(alpha / b->alpha) / log(b->alpha / a->alpha);
    for (int i = 0; i < 2; i++)
        x[i] = b->x[i] + w * (b->x[i] - a->x[i]);
}

/* Move the branch to `target` (above or below the current alpha). Returns
 * 0 when reached; otherwise the branch could not be continued past
 * t->m.alpha (to a relative precision of 1e-7: a spinodal, or a
 * failure). */
static int tracker_advance(tracker *t, pdx_theory_workspace *ws,
                           double target)
{
    int up = target > t->m.alpha;
    while (up ? t->m.alpha < target : t->m.alpha > target) {
        double from = t->m.alpha;
        double next = up ? from * t->factor : from / t->factor;
        if (up ? next > target : next < target)
            next = target;
        double guess[2], x[2];
        tracker_predict(t, next, guess);
        perc_model m = t->m;
        m.alpha = next;
        int rc = saddle_solve(ws, &m, guess, x);
        if (rc == 0) {
            double R_old = state_of(t->last[1].x).R;
            double R_new = state_of(x).R;
            if (fabs(R_new - R_old) > t->max_jump)
                rc = GSL_EFAILED; /* jumped to another branch */
        }
        if (rc == 0) {
            tracker_record(t, next, x);
            t->factor = fmin(t->max_factor, 1.0 + 1.5 * (t->factor - 1.0));
        } else {
            t->factor = 1.0 + 0.5 * (t->factor - 1.0);
            if (t->factor - 1.0 < 1e-7)
                return rc != 0 ? rc : GSL_EFAILED;
        }
    }
    return 0;
}

/* The branch at `alpha` below the start of `t`: continued downwards from
 * the start; where the small-alpha solution has alpha L'(0)^2 < 1e-6 (and
 * the saddle-point equations of saddle_f are lost in the integrals'
 * round-off) the well-conditioned equations are solved from the
 * small-alpha solution. */
static int branch_below(pdx_theory_workspace *ws, const tracker *t,
                        double alpha, double x[2])
{
    perc_model m = t->m;
    m.alpha = alpha;
    double L1 = L_prime(&m, 0.0);
    if (alpha * L1 * L1 < 1e-6) {
        double guess[2];
        small_alpha_point(&m, guess);
        return pdx_th_gibbs_solve_stable(ws, &m, guess, x);
    }
    tracker down;
    tracker_init(&down, &t->m, t->history[0].alpha, t->max_factor,
                 t->max_jump);
    tracker_record(&down, t->history[0].alpha, t->history[0].x);
    int rc = tracker_advance(&down, ws, alpha);
    x[0] = down.last[1].x[0];
    x[1] = down.last[1].x[1];
    tracker_free(&down);
    if (rc != 0) {
        double guess[2];
        small_alpha_point(&m, guess);
        rc = pdx_th_gibbs_solve_stable(ws, &m, guess, x);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Observables at a saddle point                                             */

typedef struct saddle_values {
    double q, R, eg, phi, et, et_clean;
} saddle_values;

static int saddle_values_at(pdx_theory_workspace *ws, const perc_model *m,
                            const double x[2], saddle_values *out)
{
    perc_state s = state_of(x);
    energetic e;
    unsigned what = 2u | 4u | (m->ising ? 1u : 0u);
    int rc = energetic_eval(ws, m, &s, what, &e);
    out->q = s.q;
    out->R = s.R;
    out->eg = acos(s.R) / M_PI;
    out->et = isinf(m->beta) ? 0.0 : e.et;
    /* T = 0: every training label is fitted, so the clean ones are missed
     * exactly where they were flipped */
    out->et_clean = isinf(m->beta) ? m->p : e.et_clean;
    if (rc != 0)
        return rc;
    if (!m->ising) {
        out->phi = 0.5 * log(s.omq) + s.d / (2.0 * s.omq) + 2.0 * m->alpha * e.E;
    } else {
        ising_conj k;
        rc = pdx_th_ising_conj(ws, m->alpha, e.Eq, e.ER, &k);
        ising_ctx c = {sqrt(k.qh), k.Rh};
        double lc = 0.0;
        if (rc == 0 && c.sq > 0.0) {
            double scales[1] = {1.0 / c.sq};
            rc = pdx_th_integrate(ws, f_lncosh, &c, -c.Rh / c.sq, scales, 1,
                                  &lc);
        } else if (rc == 0) {
            lc = log(2.0 * cosh(c.Rh));
        }
        out->phi = -0.5 * k.qh * s.omq - k.Rh * s.R + lc + 2.0 * m->alpha * e.E;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Ising: the poor branch, the transition and the spinodal                   */

typedef struct ising_lines {
    double alpha_c, alpha_sp;
    int ok;
} ising_lines;

typedef struct phi_ctx {
    pdx_theory_workspace *ws;
    const tracker *branch;
    double phi_perfect_per_alpha; /* phi_perfect = this * alpha */
    int failed;
} phi_ctx;

/* Nearest recorded branch point at or below alpha. */
static const branch_point *nearest_below(const tracker *t, double alpha)
{
    const branch_point *best = NULL;
    for (size_t i = 0; i < t->n_history; i++)
        if (t->history[i].alpha <= alpha &&
            (best == NULL || t->history[i].alpha > best->alpha))
            best = &t->history[i];
    return best;
}

static int poor_branch_at(pdx_theory_workspace *ws, const tracker *t,
                          double alpha, double x[2])
{
    const branch_point *b = nearest_below(t, alpha);
    if (b == NULL)
        return t->n_history > 0 ? branch_below(ws, t, alpha, x) : GSL_EFAILED;
    if (b->alpha == alpha) {
        x[0] = b->x[0];
        x[1] = b->x[1];
        return 0;
    }
    tracker local;
    tracker_init(&local, &t->m, b->alpha, 1.02, t->max_jump);
    tracker_record(&local, b->alpha, b->x);
    int rc = tracker_advance(&local, ws, alpha);
    x[0] = local.last[1].x[0];
    x[1] = local.last[1].x[1];
    tracker_free(&local);
    return rc;
}

static double phi_difference(double alpha, void *params)
{
    phi_ctx *c = params;
    double x[2];
    if (poor_branch_at(c->ws, c->branch, alpha, x) != 0) {
        c->failed = 1;
        return NAN;
    }
    perc_model m = c->branch->m;
    m.alpha = alpha;
    saddle_values v;
    if (saddle_values_at(c->ws, &m, x, &v) != 0) {
        c->failed = 1;
        return NAN;
    }
    return v.phi - c->phi_perfect_per_alpha * alpha;
}

/* phi of the perfect state R = q = 1: no entropy, energy = the flipped
 * labels: -beta alpha p (0 at p = 0). */
static double phi_perfect(const perc_model *m)
{
    if (m->p == 0.0)
        return 0.0;
    return isinf(m->beta) ? -INFINITY : -m->beta * m->alpha * m->p;
}

/* Follow the poor branch from small alpha to its spinodal; find where its
 * phi crosses the perfect state's. The tracker keeps the branch. */
static int ising_transition(pdx_theory_workspace *ws, tracker *t,
                            ising_lines *out)
{
    out->ok = 0;
    out->alpha_c = out->alpha_sp = NAN;
    /* the branch ends well before alpha = 10^3 (1 + T) / (1-2p)^2 (the
     * loads scale as 1/(1-2p)^2 with label noise) */
    double far = 1e3 * (1.0 + (isinf(t->m.beta) ? 0.0 : 1.0 / t->m.beta)) /
                 ((1.0 - 2.0 * t->m.p) * (1.0 - 2.0 * t->m.p));
    int rc = tracker_advance(t, ws, far);
    if (rc == 0)
        return GSL_EFAILED; /* no spinodal found */
    out->alpha_sp = t->m.alpha;
    /* the crossing: scan the recorded branch, then brent */
    perc_model m = t->m;
    double per_alpha = phi_perfect(&(perc_model){
        .alpha = 1.0, .beta = m.beta, .log1m_emb = m.log1m_emb, .p = m.p});
    phi_ctx c = {ws, t, per_alpha, 0};
    double lo = NAN, hi = NAN, g_lo = NAN;
    for (size_t i = 0; i < t->n_history; i++) {
        double a = t->history[i].alpha;
        perc_model mi = m;
        mi.alpha = a;
        saddle_values v;
        if (saddle_values_at(ws, &mi, t->history[i].x, &v) != 0)
            continue;
        double g = v.phi - per_alpha * a;
        if (g > 0.0) {
            lo = a;
            g_lo = g;
        } else if (!isnan(lo)) {
            hi = a;
            break;
        }
    }
    (void)g_lo;
    if (isnan(lo))
        return GSL_EFAILED;
    if (isnan(hi)) {
        /* the poor state is stable up to its end: the jump is at the
         * spinodal */
        out->alpha_c = out->alpha_sp;
        out->ok = 1;
        return 0;
    }
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (s == NULL)
        return GSL_ENOMEM;
    gsl_function F = {phi_difference, &c};
    rc = gsl_root_fsolver_set(s, &F, lo, hi);
    int status = GSL_CONTINUE;
    for (int iter = 0; rc == GSL_SUCCESS && status == GSL_CONTINUE &&
                       iter < 100 && !c.failed;
         iter++) {
        rc = gsl_root_fsolver_iterate(s);
        status = gsl_root_test_interval(gsl_root_fsolver_x_lower(s),
                                        gsl_root_fsolver_x_upper(s), 0.0,
                                        1e-10);
    }
    if (rc == GSL_SUCCESS && status == GSL_SUCCESS && !c.failed) {
        out->alpha_c = gsl_root_fsolver_root(s);
        out->ok = 1;
    }
    gsl_root_fsolver_free(s);
    return out->ok ? 0 : GSL_EFAILED;
}

/* ------------------------------------------------------------------------ */
/* Closed forms                                                              */

static void point_clear(pdx_perceptron_point *pt, double alpha)
{
    pt->status = PDX_THEORY_PENDING;
    pt->alpha = alpha;
    pt->eg = pt->R = pt->q = pt->et = pt->et_clean = pt->phi = NAN;
    pt->eg_large_alpha = NAN;
    pt->phase = PDX_PHASE_NONE;
    pt->eg_poor = pt->R_poor = pt->q_poor = pt->phi_poor = pt->et_poor = NAN;
    pt->eg_perfect = pt->phi_perfect = NAN;
    pt->alpha_c = pt->alpha_sp = NAN;
    pt->residual = NAN;
}

static void hebb_fill(pdx_theory_kind kind, const pdx_perceptron_problem *pb,
                      double alpha, double epochs, pdx_perceptron_point *pt)
{
    double p = pb->label_noise;
    double k = floor(epochs), f = epochs - k;
    /* per weight: signal c alpha epochs along the teacher, noise variance
     * alpha (k^2 (1-f) + (k+1)^2 f) (Vallet 1989; E&VdB ch. 3 for one
     * pass); A = signal / noise */
    double c = (1.0 - 2.0 * p) * sqrt(2.0 / M_PI);
    double a1 = alpha * epochs;
    double a2 = alpha * (k * k * (1.0 - f) + (k + 1.0) * (k + 1.0) * f);
    double A = c * a1 / sqrt(a2);
    /* one pass: A = (1-2p) sqrt(2 alpha / pi) */
    if (kind == PDX_THEORY_HEBB) {
        pt->R = A / sqrt(1.0 + A * A);
        /* 1 - R ~ 1/(2 A^2): eg ~ 1 / (pi A) = 1 / ((1-2p) sqrt(2 pi alpha))
         * for one pass */
        pt->eg_large_alpha = 1.0 / (M_PI * A);
    } else if (pb->teacher_binary) {
        /* J_i = sign(h_i), h_i ~ N(A B_i, 1) (in units of the noise), B_i
         * = +-1: R = <B sign(h)> = 1 - 2 H(A) */
        pt->R = 1.0 - 2.0 * pdx_theory_H(A);
        /* 1 - R = 2 H(A) ~ 2 phi(A)/A: eg ~ (2/pi) sqrt(phi(A)/A) */
        pt->eg_large_alpha = 2.0 / M_PI * sqrt(pdx_th_phi(A) / A);
    } else {
        /* Gaussian teacher: R = <B sign(A B + z)> = sqrt(2/pi) A/sqrt(1+A^2)
         * -> sqrt(2/pi): eg -> arccos(sqrt(2/pi))/pi */
        pt->R = sqrt(2.0 / M_PI) * A / sqrt(1.0 + A * A);
        pt->eg_large_alpha = acos(sqrt(2.0 / M_PI)) / M_PI;
    }
    pt->eg = acos(pt->R) / M_PI;
    pt->residual = 0.0; /* a closed form */
    pt->status = PDX_THEORY_SOLVED;
}

void pdx_theory_hebb_at(pdx_theory_kind kind,
                        const pdx_perceptron_problem *problem, double alpha,
                        double epochs, pdx_perceptron_point *out)
{
    point_clear(out, alpha);
    if ((kind != PDX_THEORY_HEBB && kind != PDX_THEORY_HEBB_CLIPPED) ||
        problem == NULL || !(alpha > 0.0) || !(epochs > 0.0) ||
        !isfinite(epochs) || !(problem->label_noise >= 0.0) ||
        !(problem->label_noise < 0.5)) {
        out->status = PDX_THEORY_NOT_APPLICABLE;
        return;
    }
    hebb_fill(kind, problem, alpha, epochs, out);
}

static void hebb_point(pdx_theory_kind kind, const pdx_perceptron_problem *pb,
                       pdx_perceptron_point *pt)
{
    hebb_fill(kind, pb, pt->alpha, 1.0, pt);
}

static void high_temperature_point(const pdx_perceptron_problem *pb,
                                   pdx_perceptron_point *pt)
{
    double T = pb->temperature, p = pb->label_noise, alpha = pt->alpha;
    if (!(T > 0.0)) {
        pt->status = PDX_THEORY_NOT_APPLICABLE;
        return;
    }
    /* -beta f = ln(1-R^2)/2 - (alpha/T) [p + (1-2p) arccos(R)/pi]:
     * R / sqrt(1-R^2) = kappa/pi with kappa = alpha (1-2p) / T */
    double kappa = alpha * (1.0 - 2.0 * p) / T;
    double r = kappa / M_PI;
    pt->R = r / sqrt(1.0 + r * r);
    pt->q = pt->R * pt->R;
    pt->eg = atan(M_PI / kappa) / M_PI;
    pt->et = p + (1.0 - 2.0 * p) * pt->eg;
    pt->phi = 0.5 * log1p(-pt->q) - alpha / T * pt->et;
    pt->eg_large_alpha = 1.0 / kappa;
    pt->residual = 0.0; /* a closed form */
    pt->status = PDX_THEORY_SOLVED;
}

/* ------------------------------------------------------------------------ */
/* Curves                                                                    */

typedef struct alpha_index {
    double alpha;
    size_t index;
} alpha_index;

static int by_alpha(const void *a, const void *b)
{
    const alpha_index *x = a, *y = b;
    if (x->alpha != y->alpha)
        return x->alpha < y->alpha ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Nishimori temperature of label noise p: e^-beta = p/(1-p). */
static double nishimori_temperature(double p)
{
    return p > 0.0 ? 1.0 / log((1.0 - p) / p) : 0.0;
}

/* One load's point of the Ising curve from the poor branch's values v
 * (have: they were found) and the transition lines. */
static void ising_point(pdx_perceptron_point *pt, const perc_model *m,
                        double alpha, int have, const saddle_values *v,
                        const ising_lines *lines, double label_noise)
{
    pt->alpha_c = lines->alpha_c;
    pt->alpha_sp = lines->alpha_sp;
    perc_model mi = *m;
    mi.alpha = alpha;
    pt->eg_perfect = 0.0;
    pt->phi_perfect = phi_perfect(&mi);
    if (have && alpha < lines->alpha_sp) {
        pt->eg_poor = v->eg;
        pt->R_poor = v->R;
        pt->q_poor = v->q;
        pt->phi_poor = v->phi;
        pt->et_poor = v->et;
    }
    if (!lines->ok || (!have && alpha < lines->alpha_sp)) {
        pt->status = PDX_THEORY_NOT_CONVERGED;
        return;
    }
    if (alpha < lines->alpha_c) {
        pt->phase = PDX_PHASE_POOR;
        pt->eg = v->eg;
        pt->R = v->R;
        pt->q = v->q;
        pt->phi = v->phi;
        pt->et = v->et;
        pt->et_clean = v->et_clean;
    } else {
        pt->phase = alpha < lines->alpha_sp ? PDX_PHASE_PERFECT_METASTABLE
                                            : PDX_PHASE_PERFECT;
        pt->eg = 0.0;
        pt->R = 1.0;
        pt->q = 1.0;
        pt->phi = pt->phi_perfect;
        pt->et = label_noise;
        pt->et_clean = 0.0;
    }
    pt->status = PDX_THEORY_SOLVED;
}

/* Verify the saddle point x of m by its residual (the well-conditioned
 * equations of theory_gibbs_check.c); above PDX_THEORY_RESIDUAL_TOL / 10,
 * solve those equations from x and keep their root if its residual is
 * smaller. 0 when x (in and out) passes (residual at most
 * PDX_THEORY_RESIDUAL_TOL), with its *residual (NaN: not computable). */
static int checked_point(pdx_theory_workspace *ws, const perc_model *m,
                         double x[2], double *residual)
{
    if (pdx_th_gibbs_residual(ws, m, x, residual) != 0)
        *residual = INFINITY;
    if (*residual <= 0.1 * PDX_THEORY_RESIDUAL_TOL)
        return 0;
    /* polish (or rescue) in the well-conditioned form; its iterate is
     * kept if its residual is smaller, even when the solver stopped on a
     * step-size problem at the integrals' round-off */
    double y[2], r;
    pdx_th_gibbs_solve_stable(ws, m, x, y);
    if (pdx_th_gibbs_residual(ws, m, y, &r) == 0 && r < *residual) {
        x[0] = y[0];
        x[1] = y[1];
        *residual = r;
    }
    if (isinf(*residual))
        *residual = NAN;
    return *residual <= PDX_THEORY_RESIDUAL_TOL ? 0 : GSL_EFAILED;
}

/* The load from which Gibbs learning has no version space: the
 * interpolation threshold at T = 0 with noisy labels (theory_capacity.c),
 * 0 if it is not known (nothing is applicable), else infinity. */
static double version_space_end(pdx_theory_workspace *ws, pdx_theory_kind kind,
                                double T, double p)
{
    double alpha_c, R_c;
    if (kind != PDX_THEORY_GIBBS_SPHERICAL || T != 0.0 || !(p > 0.0))
        return INFINITY;
    return pdx_theory_gardner_capacity(ws, 0.0, 2.0 * p, &alpha_c, &R_c) ==
                   PDX_THEORY_SOLVED
               ? alpha_c
               : 0.0;
}

static void saddle_curve(pdx_theory_workspace *ws, pdx_theory_kind kind,
                         const pdx_perceptron_problem *pb,
                         const alpha_index *order, size_t n,
                         pdx_perceptron_point *out)
{
    int ising = kind == PDX_THEORY_GIBBS_ISING;
    double T = pb->temperature;
    if (kind == PDX_THEORY_BAYES_SPHERICAL)
        T = nishimori_temperature(pb->label_noise);
    perc_model m = model_make(0.0, T, pb->label_noise, ising);
    /* start where the small-alpha solution has q ~ 1e-3: smaller q leave
     * the equations to the integrals' round-off (q ~ alpha L'(0)^2, and
     * L'(0) ~ 1/T at high temperature); retry further out if needed */
    double L1 = L_prime(&m, 0.0);
    double alpha0 = 1e-3 / (L1 * L1);
    /* at high temperature q ~ R^2 + alpha L'(0)^2 with R ~ 2 alpha (1-2p)
     * phi(0) L'(0) (small_alpha_point): once R^2 dominates, start where
     * the sum is 1e-3 (for Ising weights, below the transition at alpha
     * ~ 1.7 T) */
    double c2 = 2.0 / M_PI * (1.0 - 2.0 * m.p) * (1.0 - 2.0 * m.p);
    if (c2 * alpha0 > 1.0)
        alpha0 = (sqrt(1.0 + 4.0 * c2 * alpha0) - 1.0) / (2.0 * c2);
    /* Ising: the whole poor branch up to its spinodal first (for the
     * transition lines), then each point from the nearest branch point;
     * spherical: one continuation through the sorted loads */
    tracker t;
    int rc = -1;
    for (int attempt = 0; attempt < 6 && rc != 0; attempt++) {
        if (attempt > 0) {
            tracker_free(&t);
            alpha0 *= 4.0;
        }
        tracker_init(&t, &m, alpha0, ising ? 1.08 : 1.3, ising ? 0.08 : 0.3);
        rc = tracker_start(&t, ws);
    }
    ising_lines lines = {NAN, NAN, 0};
    if (ising && rc == 0 && ising_transition(ws, &t, &lines) == 0) {
        /* the transition is where the poor branch meets the perfect
         * state: that branch point must satisfy its equations too */
        double xc[2], rc_res;
        perc_model mc = m;
        mc.alpha = lines.alpha_c;
        if (poor_branch_at(ws, &t, lines.alpha_c, xc) != 0 ||
            pdx_th_gibbs_residual(ws, &mc, xc, &rc_res) != 0 ||
            !(rc_res <= PDX_THEORY_RESIDUAL_TOL))
            lines.ok = 0;
    }
    double c_large = NAN;
    if (kind == PDX_THEORY_GIBBS_SPHERICAL)
        c_large = pdx_theory_gibbs_large_alpha(ws, T, pb->label_noise);
    else if (kind == PDX_THEORY_BAYES_SPHERICAL)
        c_large = pdx_theory_gibbs_large_alpha(ws, T, pb->label_noise) /
                  M_SQRT2;

    double alpha_empty = version_space_end(ws, kind, T, m.p);
    int branch_alive = rc == 0;
    for (size_t i = 0; i < n; i++) {
        pdx_perceptron_point *pt = &out[order[i].index];
        double alpha = order[i].alpha;
        if (alpha >= alpha_empty) {
            pt->status = PDX_THEORY_NOT_APPLICABLE;
            continue;
        }
        double x[2] = {NAN, NAN};
        int have = 0;
        if (!ising) {
            if (rc != 0 || t.n_history == 0) {
                have = 0;
            } else if (alpha < t.history[0].alpha) {
                have = branch_below(ws, &t, alpha, x) == 0;
            } else {
                if (branch_alive && tracker_advance(&t, ws, alpha) != 0)
                    branch_alive = 0;
                have = branch_alive;
                x[0] = t.last[1].x[0];
                x[1] = t.last[1].x[1];
            }
        } else if (rc == 0 && lines.ok && alpha < lines.alpha_sp) {
            have = poor_branch_at(ws, &t, alpha, x) == 0;
        }
        saddle_values v = {NAN, NAN, NAN, NAN, NAN, NAN};
        double residual = NAN;
        if (have) {
            perc_model mi = m;
            mi.alpha = alpha;
            have = checked_point(ws, &mi, x, &residual) == 0 &&
                   saddle_values_at(ws, &mi, x, &v) == 0;
        }
        if (!ising) {
            pt->residual = residual;
            if (!have) {
                pt->status = PDX_THEORY_NOT_CONVERGED;
                continue;
            }
            pt->q = v.q;
            pt->eg_large_alpha = c_large / alpha;
            if (kind == PDX_THEORY_BAYES_SPHERICAL) {
                pt->R = sqrt(v.q);
                pt->eg = acos(pt->R) / M_PI;
            } else {
                pt->R = v.R;
                pt->eg = v.eg;
                pt->et = v.et;
                pt->et_clean = v.et_clean;
                pt->phi = v.phi;
            }
            pt->status = PDX_THEORY_SOLVED;
            continue;
        }
        ising_point(pt, &m, alpha, have, &v, &lines, pb->label_noise);
        pt->residual = pt->phase == PDX_PHASE_POOR ? residual
                       : pt->status == PDX_THEORY_SOLVED ? 0.0 : residual;
    }
    tracker_free(&t);
}

pdx_status pdx_theory_perceptron(pdx_theory_workspace *ws, pdx_theory_kind kind,
                                 const pdx_perceptron_problem *pb,
                                 const double *alpha, size_t n,
                                 pdx_perceptron_point *out, pdx_error *err)
{
    if (ws == NULL || pb == NULL || (n > 0 && (alpha == NULL || out == NULL)))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "theory: workspace, problem, alpha and out are "
                             "required");
    if (kind < PDX_THEORY_HEBB || kind > PDX_THEORY_GIBBS_ISING)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "theory: '%s' is not a perceptron theory",
                             pdx_theory_name(kind));
    if (!(pb->temperature >= 0.0) || !isfinite(pb->temperature))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "T",
                             "theory: the temperature must be finite and "
                             ">= 0, not %g",
                             pb->temperature);
    if (!(pb->label_noise >= 0.0) || !(pb->label_noise < 0.5))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "label_noise",
                             "theory: the label noise must be in [0, 0.5), "
                             "not %g",
                             pb->label_noise);
    for (size_t i = 0; i < n; i++)
        if (!(alpha[i] > 0.0) || !isfinite(alpha[i]))
            return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "alpha",
                                 "theory: alpha must be finite and > 0, "
                                 "not %g",
                                 alpha[i]);
    if (n == 0)
        return PDX_OK;
    for (size_t i = 0; i < n; i++)
        point_clear(&out[i], alpha[i]);

    int applicable = 1;
    switch (kind) {
    case PDX_THEORY_GIBBS_SPHERICAL: break; /* T = 0 with noise: below */
    case PDX_THEORY_GIBBS_ISING:
        applicable = pb->teacher_binary &&
                     !(pb->temperature == 0.0 && pb->label_noise > 0.0);
        break;
    default: break;
    }
    if (!applicable) {
        for (size_t i = 0; i < n; i++)
            out[i].status = PDX_THEORY_NOT_APPLICABLE;
        return PDX_OK;
    }
    if (kind == PDX_THEORY_HEBB || kind == PDX_THEORY_HEBB_CLIPPED) {
        for (size_t i = 0; i < n; i++)
            hebb_point(kind, pb, &out[i]);
        return PDX_OK;
    }
    if (kind == PDX_THEORY_GIBBS_HIGH_T) {
        for (size_t i = 0; i < n; i++)
            high_temperature_point(pb, &out[i]);
        return PDX_OK;
    }
    alpha_index *order = malloc(n * sizeof *order);
    if (order == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    for (size_t i = 0; i < n; i++)
        order[i] = (alpha_index){alpha[i], i};
    qsort(order, n, sizeof *order, by_alpha);
    saddle_curve(ws, kind, pb, order, n, out);
    free(order);
    return PDX_OK;
}
