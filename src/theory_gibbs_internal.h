/* theory_gibbs_internal.h — what the files of Gibbs learning of
 * perceptrons share (theory_perceptron.c: the saddle points and curves;
 * theory_gibbs_check.c: the residual of the saddle-point equations and
 * their well-conditioned form; theory_gibbs_large_alpha.c: the large-alpha
 * asymptote): the model, the order parameters and the functions L, L', W
 * of the energetic part (notation at the top of theory_perceptron.c). */
#ifndef PDX_THEORY_GIBBS_INTERNAL_H
#define PDX_THEORY_GIBBS_INTERNAL_H

#include <math.h>

#include <gsl/gsl_multiroots.h>

#include "theory_internal.h"

#define SQRT_2PI 2.5066282746310002

/* ------------------------------------------------------------------------ */
/* Model and order parameters                                                */

typedef struct perc_model {
    double alpha;
    double beta;        /* INFINITY at T = 0 */
    double log1m_emb;   /* ln(1 - e^-beta); 0 at T = 0 */
    double p;           /* label noise */
    int ising;          /* binary student (and teacher) */
} perc_model;

/* The parameters of a Gaussian integrand of t that depends on the model
 * through a t and b t (the energetic part and its derivatives). */
typedef struct ab_ctx {
    const perc_model *m;
    double a, b;
} ab_ctx;

typedef struct perc_state {
    double q, omq, R, d; /* q, 1 - q, R, q - R^2 */
} perc_state;

static inline perc_model model_make(double alpha, double temperature, double p,
                             int ising)
{
    perc_model m;
    m.alpha = alpha;
    m.beta = temperature > 0.0 ? 1.0 / temperature : INFINITY;
    m.log1m_emb = isinf(m.beta) ? 0.0 : log1p(-exp(-m.beta));
    m.p = p;
    m.ising = ising;
    return m;
}

static inline perc_state state_of(const double x[2])
{
    perc_state s;
    double u = x[0], v = x[1];
    s.q = 1.0 / (1.0 + exp(-u));
    s.omq = 1.0 / (1.0 + exp(u));
    double c = cosh(v);
    s.R = sqrt(s.q) * tanh(v);
    s.d = s.q / (c * c);
    return s;
}

static inline void x_of(double q, double R, double x[2])
{
    x[0] = log(q / (1.0 - q));
    double r = R / sqrt(q);
    if (r > 1.0 - 1e-15)
        r = 1.0 - 1e-15;
    if (r < -1.0 + 1e-15)
        r = -1.0 + 1e-15;
    x[1] = atanh(r);
}

/* L(x) = ln psi(x), L'(x), and e^-beta H(x) / psi(x). */
static inline double L_of(const perc_model *m, double x)
{
    double lh = pdx_theory_log_H(-x);
    if (isinf(m->beta))
        return lh;
    return pdx_th_logaddexp(-m->beta, m->log1m_emb + lh);
}

static inline double L_prime(const perc_model *m, double x)
{
    if (isinf(m->beta))
        return pdx_theory_mills(-x);
    double log_phi = -0.5 * x * x - 0.5 * log(2.0 * M_PI);
    return exp(m->log1m_emb + log_phi - L_of(m, x));
}

static inline double error_kernel(const perc_model *m, double x)
{
    if (isinf(m->beta))
        return 0.0;
    return exp(-m->beta + pdx_theory_log_H(x) - L_of(m, x));
}

static inline double W_of(const perc_model *m, double u)
{
    return (1.0 - m->p) * pdx_theory_H(-u) + m->p * pdx_theory_H(u);
}

/* ------------------------------------------------------------------------ */
/* Ising entropic part                                                       */

typedef struct ising_ctx {
    double sq, Rh; /* sqrt(qh), Rh */
} ising_ctx;

typedef struct ising_conj {
    double qh, Rh;
    double one_minus_Phi_q, one_minus_Phi_R; /* 1 - <tanh^2>, 1 - <tanh> */
} ising_conj;

/* The conjugate fields qh = -4 alpha dE/dq, Rh = 2 alpha dE/dR (qh
 * clipped at 0) and 1 - <tanh^2>, 1 - <tanh> over Dz of
 * tanh(sqrt(qh) z + Rh). 0 or a GSL error code. */
int pdx_th_ising_conj(pdx_theory_workspace *ws, double alpha, double Eq,
                      double ER, ising_conj *out);

/* ------------------------------------------------------------------------ */
/* Residual of the saddle-point equations                                    */

/* The residual of the saddle-point equations of m at x (q = 1/(1+e^-x0),
 * R = sqrt(q) tanh x1), each equation written in a relative form without
 * cancellations (theory_gibbs_check.c): the largest relative mismatch.
 * 0 and *residual, or a GSL error code (*residual = NaN). */
int pdx_th_gibbs_residual(pdx_theory_workspace *ws, const perc_model *m,
                          const double x[2], double *residual);

/* GSL's hybrids on the 2-D system F from start[2]: at most max_iter
 * iterations, until |f| passes the residual test at res_tol and, when
 * delta_abs > 0, then the step test (delta_abs, delta_rel). x and f get
 * the last iterate and its function values, also when the start fails.
 * 0 when the solver ran, GSL_ENOMEM, or the start's GSL error code. The
 * caller judges the root (theory_perceptron.c, theory_gibbs_check.c,
 * theory_gibbs_large_alpha.c each with its own acceptance). */
int pdx_th_hybrids2(gsl_multiroot_function *F, const double start[2],
                    int max_iter, double res_tol, double delta_abs,
                    double delta_rel, double x[2], double f[2]);

/* Solve the well-conditioned (relative) form of the saddle-point
 * equations of m from `guess` (GSL hybrids). 0 on success (residual below
 * 1e-10), else a GSL error code; x holds the last iterate. */
int pdx_th_gibbs_solve_stable(pdx_theory_workspace *ws, const perc_model *m,
                              const double guess[2], double x[2]);

#endif
