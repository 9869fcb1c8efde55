/* pdx/theory.h — statistical-mechanics predictions on the grid of a spec,
 * computed with GSL.
 *
 * Perceptrons (teacher y = sign(B.x), student sign(J.x), inputs
 * x ~ N(0, I_N), alpha = P/N examples per weight, eg = arccos(R)/pi with R
 * the normalised teacher-student overlap):
 *   hebb                    Hebb rule J = sum_mu y_mu x_mu (Vallet 1989;
 *                           Engel & Van den Broeck 2001, ch. 2)
 *   hebb-clipped            the same, clipped to binary weights sign(J)
 *   gibbs-spherical         Gibbs learning of spherical students at
 *                           temperature T with energy = number of training
 *                           errors, replica-symmetric saddle point in
 *                           (q, R) (Seung, Sompolinsky & Tishby 1992;
 *                           Engel & Van den Broeck ch. 2 and 4); T = 0 is
 *                           version-space learning, where R = q without
 *                           label noise; with noise it exists below the
 *                           interpolation threshold only
 *   gibbs-high-temperature  its T -> infinity limit at fixed alpha/T
 *                           (annealed, exact there): eg = arctan(pi T /
 *                           (alpha (1-2p))) / pi
 *   bayes-spherical         the Bayes-optimal student (centre of mass of
 *                           the version space, or of the posterior at the
 *                           Nishimori temperature with label noise p):
 *                           R = sqrt(q) of Gibbs learning
 *   gibbs-ising             Gibbs learning of binary (Ising) students of
 *                           a binary teacher (Gyorgyi 1990; Sompolinsky,
 *                           Tishby & Seung 1990): the poor-generalization
 *                           RS branch, the perfect-generalization state
 *                           R = 1, the first-order transition alpha_c(T)
 *                           and the spinodal alpha_sp(T)
 * Label noise p (the probability that a training label is flipped) enters
 * every formula; eg is always measured against the clean teacher.
 *
 * Soft committee machines (erf units g(z) = erf(z/sqrt 2), online SGD, the
 * conventions of pdx/train.h):
 *   scm-ode                 the Saad & Solla (1995) / Goldt et al. (2019)
 *                           ODEs for Q, R (and v when the second layer is
 *                           trained), teacher output noise included,
 *                           integrated with gsl_odeiv2 (rk8pd, adaptive
 *                           step, error control); eg from the closed form;
 *                           plateau height and length; maximal learning
 *                           rate eta_max (linear stability of the perfect
 *                           solution, realizable K = M students)
 *
 * Numerics: Gaussian integrals with gsl_integration_qag on the intervals
 * between break points at the integrand's scales; H(x) = erfc(x/sqrt 2)/2 and
 * log H through gsl_sf_log_erfc and gsl_sf_hazard so that tails never
 * underflow; saddle points with gsl_multiroot (hybrids) by continuation in
 * alpha; every saddle point checked by the residual of its equations
 * written without cancellations (and solved in that form where the first
 * form loses its precision: small q, high temperature); transition lines
 * with gsl_root (brent) and bisection. GSL's
 * error handler must be off (pdx_theory_init does it); a failure to
 * converge is a per-point status, never a crash or an abort.
 *
 * Thread-safety: every function is thread-safe on distinct workspaces;
 * pdx_theory_init must have been called once before. */
#ifndef PDX_THEORY_H
#define PDX_THEORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/layout.h"
#include "pdx/spec.h"

/* Per-cell (per-point) status, stored in theory files (stable values;
 * 2 and 3 are the result files' diverged and failed, never used here). */
typedef enum pdx_theory_status {
    PDX_THEORY_PENDING = 0,
    PDX_THEORY_SOLVED = 1,
    PDX_THEORY_NOT_APPLICABLE = 4,
    PDX_THEORY_NOT_CONVERGED = 5
} pdx_theory_status;

/* Which formula a cell uses (stable values, stored in theory files). */
typedef enum pdx_theory_kind {
    PDX_THEORY_NONE = 0,
    PDX_THEORY_HEBB = 1,
    PDX_THEORY_HEBB_CLIPPED = 2,
    PDX_THEORY_GIBBS_SPHERICAL = 3,
    PDX_THEORY_GIBBS_HIGH_T = 4,
    PDX_THEORY_BAYES_SPHERICAL = 5,
    PDX_THEORY_GIBBS_ISING = 6,
    PDX_THEORY_SCM_ODE = 7,
    PDX_THEORY_DEEP = 8,  /* deep-mean-field: random deep students (the
                           * flag's meanings list it only in files with
                           * deep cells) */
    PDX_THEORY_KIND_COUNT
} pdx_theory_kind;

/* Phase of a gibbs-ising point (stable values, stored in theory files). */
typedef enum pdx_ising_phase {
    PDX_PHASE_NONE = 0,          /* not an Ising point */
    PDX_PHASE_POOR = 1,          /* alpha < alpha_c: poor generalization */
    PDX_PHASE_PERFECT_METASTABLE = 2, /* alpha_c <= alpha < alpha_sp:
                                       * perfect, poor branch metastable */
    PDX_PHASE_PERFECT = 3        /* alpha >= alpha_sp: perfect only */
} pdx_ising_phase;

/* Call once at start-up: switches GSL's abort-on-error handler off. */
void pdx_theory_init(void);

/* Name of a theory ("hebb", "gibbs-spherical", ...; "none"). Never NULL. */
const char *pdx_theory_name(pdx_theory_kind kind);

/* Theory named `name` (as pdx_theory_name), or -1. */
int pdx_theory_find(const char *name);

/* Numerical special functions (exposed for tests).
 * H(x) = int_x^inf Dt = erfc(x/sqrt 2)/2; log H(x) without underflow for
 * large x; the Mills ratio exp(-x^2/2)/sqrt(2 pi)/H(x). */
double pdx_theory_H(double x);
double pdx_theory_log_H(double x);
double pdx_theory_mills(double x);

/* ------------------------------------------------------------------------ */
/* Perceptrons                                                               */

typedef struct pdx_perceptron_problem {
    double temperature;  /* T >= 0 (gibbs-*; 0: zero temperature) */
    double label_noise;  /* p in [0, 1/2): training labels flipped */
    int teacher_binary;  /* teacher weights +-1 (else Gaussian) */
} pdx_perceptron_problem;

typedef struct pdx_perceptron_point {
    int status;          /* pdx_theory_status */
    double alpha;
    double eg;           /* generalization error (stable state) */
    double R;            /* normalised teacher-student overlap */
    double q;            /* overlap of two students on the same data
                          * (Gibbs, Bayes; NaN otherwise) */
    double et;           /* training error against the (noisy) training
                          * labels (Gibbs; NaN otherwise) */
    double et_clean;     /* against the clean teacher labels (Gibbs) */
    double phi;          /* (1/N) <ln Z> = -beta f at T > 0, the entropy
                          * of the version space at T = 0 (Gibbs) */
    double eg_large_alpha; /* the large-alpha asymptote at this alpha
                            * (NaN where none is known) */
    /* gibbs-ising only (NaN otherwise) */
    int phase;           /* pdx_ising_phase */
    double eg_poor, R_poor, q_poor, phi_poor, et_poor; /* poor branch */
    double eg_perfect, phi_perfect;                     /* R = 1 state */
    double alpha_c;      /* first-order transition: phi_poor = phi_perfect */
    double alpha_sp;     /* spinodal: the poor branch ends */
    /* the residual of the saddle-point equations at the reported state:
     * the largest relative mismatch of the two sides of an equation
     * (theory_gibbs_check.c); a point is SOLVED only if it is at most
     * PDX_THEORY_RESIDUAL_TOL. 0 for closed forms (hebb, hebb-clipped,
     * gibbs-high-temperature) and the perfect Ising state R = 1; NaN where
     * nothing was solved */
    double residual;
} pdx_perceptron_point;

/* The largest residual of a solved perceptron point (pdx_perceptron_point
 * .residual; theory files' variable `residual`). */
#define PDX_THEORY_RESIDUAL_TOL 1e-6

typedef struct pdx_theory_workspace pdx_theory_workspace;

/* A workspace (GSL integration workspaces, root finders). Returns PDX_OK
 * or PDX_ERR_NOMEM. */
pdx_status pdx_theory_workspace_create(pdx_theory_workspace **out,
                                       pdx_error *err);
void pdx_theory_workspace_destroy(pdx_theory_workspace **ws);


/* Evaluate perceptron theory `kind` (HEBB .. GIBBS_ISING) at the n loads
 * alpha[0..n-1] (any order, alpha > 0) for one problem. Saddle points are
 * followed by continuation in alpha (so a curve costs about as much as its
 * largest alpha). Every point gets a status: solved, not applicable (e.g.
 * gibbs-ising with a Gaussian teacher or at T = 0 with label noise;
 * gibbs-spherical at T = 0 with label noise from the interpolation
 * threshold pdx_theory_gardner_capacity on, where no student fits the
 * noisy training set; below it the version space of the noisy labels,
 * with q > R, et = 0 and et_clean = p) or not
 * converged (GSL failed, or the residual of the saddle-point equations is
 * above PDX_THEORY_RESIDUAL_TOL: see pdx_perceptron_point.residual). Returns PDX_OK, or PDX_ERR_USAGE for bad arguments (kind not
 * a perceptron theory, alpha <= 0 or not finite, T < 0, p outside
 * [0, 1/2)). */
pdx_status pdx_theory_perceptron(pdx_theory_workspace *ws, pdx_theory_kind kind,
                                 const pdx_perceptron_problem *problem,
                                 const double *alpha, size_t n,
                                 pdx_perceptron_point *out, pdx_error *err);

/* The Hebb rule (kind HEBB or HEBB_CLIPPED) after `epochs` passes over
 * the P = alpha N examples, one example a step (epochs < 1: the first
 * epochs P examples, which is all pdx's one-pass trainer does; epochs > 1
 * models repeated passes, example mu counted n_mu = k + 1 or k times for
 * k = floor(epochs)):
 * the field h = sum_mu n_mu y_mu x_mu / sqrt N has teacher component
 * (1-2p) sqrt(2/pi) alpha epochs and noise variance alpha sum n_mu^2 / P.
 * epochs = 1 is pdx_theory_perceptron's hebb. Fills *out (status SOLVED,
 * or NOT_APPLICABLE for epochs <= 0). */
void pdx_theory_hebb_at(pdx_theory_kind kind,
                        const pdx_perceptron_problem *problem, double alpha,
                        double epochs, pdx_perceptron_point *out);

/* The high-temperature limit of Ising Gibbs learning of a binary teacher:
 * alpha/T -> kappa at the first-order transition (*kappa_c) and at the
 * spinodal of the poor branch (*kappa_sp), from -beta f = s(R) - kappa
 * [p + (1-2p) arccos(R)/pi], s the entropy of Ising vectors at overlap R.
 * Returns 0, or -1 if a root was not found. */
int pdx_theory_ising_high_temperature(double label_noise, double *kappa_c,
                                      double *kappa_sp);

/* Large-alpha coefficient c of Gibbs learning of spherical students at
 * temperature T with label noise p: eg ~ c / alpha (from the alpha ->
 * infinity limit of the saddle-point equations, solved as such).
 * c(0) = 0.6247 (Engel & Van den Broeck ch. 2: 0.625). NaN if it does
 * not converge. */
double pdx_theory_gibbs_large_alpha(pdx_theory_workspace *ws,
                                    double temperature, double label_noise);

/* ------------------------------------------------------------------------ */
/* Soft committee machines (erf), online SGD                                 */

typedef enum pdx_scm_init {
    PDX_SCM_INIT_TYPICAL = 0,  /* Q = s^2 I, R = 0, T = I plus deterministic
                                * O(1/sqrt N) overlaps of typical size:
                                * R_kn = s z_kn / sqrt N, Q_kl = s^2 z'_kl
                                * / sqrt N (z: fixed normal quantiles in a
                                * fixed scrambled order) */
    PDX_SCM_INIT_EXPECTED = 1, /* Q = s^2 I, R = 0, T = I exactly: the
                                * symmetric trajectory (never leaves the
                                * plateau) */
    PDX_SCM_INIT_GIVEN = 2     /* Q0, R0, T0, v0 given (e.g. a replica's
                                * measured initial overlaps) */
} pdx_scm_init;

typedef struct pdx_scm_problem {
    size_t K, M;            /* student and teacher hidden units */
    double eta;             /* learning rate of the first layer */
    double eta_second;      /* of the second layer (if trained) */
    int train_second;       /* 1: v trained */
    double second_layer_init; /* initial v_k */
    double init_scale;      /* s: initial weights ~ N(0, s^2) */
    double output_noise;    /* sigma: teacher output noise std */
    double N;               /* input dimension (TYPICAL initial overlaps) */
    int init;               /* pdx_scm_init */
    const double *Q0;       /* GIVEN: K x K */
    const double *R0;       /* GIVEN: K x M */
    const double *T0;       /* M x M teacher overlaps B_m.B_n/N, for any
                             * init (NULL: identity; TYPICAL scales R_kn
                             * by sqrt(T_nn), the size of w_k.B_n/N) */
    const double *v0;       /* GIVEN: K (NULL: second_layer_init) */
} pdx_scm_problem;

/* A problem with the defaults of the spec's keys (K = M = 2, eta = 0.5,
 * s = 1e-3, N = 500, fixed v = 1, typical initial overlaps). */
pdx_scm_problem pdx_theory_scm_default(void);

/* Integrate the ODEs and write, for each of the n ascending times
 * (alpha = steps/N >= 0), eg[i], Q[i*K*K ..], R[i*K*M ..], v[i*K ..]
 * (any of them may be NULL); *status is SOLVED, or NOT_CONVERGED when the
 * integrator failed (the entries from the failing time on are NaN).
 * Returns PDX_OK or PDX_ERR_USAGE / PDX_ERR_NOMEM. */
pdx_status pdx_theory_scm_trajectory(const pdx_scm_problem *problem,
                                     const double *times, size_t n,
                                     double *eg, double *Q, double *R,
                                     double *v, int *status, pdx_error *err);

/* A fixed point of the committee ODEs in the symmetric subspace (all
 * Q_kk equal, all Q_kl (k != l) equal, all R_kn equal, all v_k equal). */
typedef struct pdx_scm_fixed_point {
    double eg;
    double Q, C, R, v;  /* Q_kk, Q_kl (k != l; = Q: students collinear),
                         * R_kn, v_k */
    double growth;      /* largest real part of the eigenvalues of the
                         * Jacobian of the full flow (all Q, R, v) */
    int unstable;       /* eigenvalues with real part > 1e-9 eta: 0 stable,
                         * >= 1 a saddle (a plateau the dynamics leaves) */
    int visited;        /* 1: the trajectory's plateau sits at it */
} pdx_scm_fixed_point;

#define PDX_SCM_MAX_FIXED_POINTS 8

/* Plateau of the slow phase: |d eg / d(eta alpha)| <= this eg (eg changes
 * by less than 0.1 % per unit of eta alpha). */
#define PDX_SCM_PLATEAU_SLOW 1e-3

typedef struct pdx_scm_plateau_info {
    size_t n_fixed;     /* symmetric fixed points found */
    pdx_scm_fixed_point fixed[PDX_SCM_MAX_FIXED_POINTS];
    double eg;          /* eg of the visited fixed point (or of the one
                         * the trajectory heads for; NaN: none) */
    double growth;      /* its escape rate (largest real eigenvalue) */
    double start, end;  /* the trajectory's plateau (NaN: none; end NaN:
                         * still on it at alpha_max) */
} pdx_scm_plateau_info;

/* The symmetric fixed points and the plateau of the trajectory from the
 * problem's initial conditions up to alpha_max.
 * Fixed points: roots (gsl_multiroot hybrids) of the flow restricted to
 * the symmetric subspace, started from the states of the symmetric
 * trajectory (Q = s^2 I, R = 0) wherever it is slow and from their
 * collinear projections (C = Q); each with the eigenvalues of the
 * Jacobian of the full flow there. Plateau: the longest interval during
 * which the trajectory is slow, |d eg / d(eta alpha)| <=
 * PDX_SCM_PLATEAU_SLOW eg (crossings interpolated between steps), and
 * symmetric (the R_kn at its slowest point within 5 % of each other);
 * the visited fixed point is the root reached from the trajectory's
 * slowest point projected onto the symmetric subspace, if eg there is
 * within 1 % of the fixed point's (else, e.g. a slow drift beyond eta_max,
 * there is no plateau). When the trajectory has no plateau by alpha_max,
 * start and end are NaN and eg, growth are those of the root reached from
 * its state at alpha_max projected onto the symmetric subspace (the
 * plateau it heads for; none marked visited); with alpha_max <= 0 (no
 * trajectory), of the first fixed point the symmetric trajectory comes to.
 * K = 1: no plateau (eg NaN, no fixed points).
 * Returns PDX_OK (values NaN when not found), PDX_ERR_USAGE,
 * PDX_ERR_NOMEM. */
pdx_status pdx_theory_scm_fixed_points(const pdx_scm_problem *problem,
                                       double alpha_max,
                                       pdx_scm_plateau_info *info,
                                       pdx_error *err);

/* The plateau of pdx_theory_scm_fixed_points: eg at the visited fixed
 * point and the interval [*start, *end] of the trajectory's plateau. */
pdx_status pdx_theory_scm_plateau(const pdx_scm_problem *problem,
                                  double alpha_max, double *eg_plateau,
                                  double *start, double *end, pdx_error *err);

/* The maximal learning rate: the largest eta below which the perfect
 * solution Q = R = T = I, v = 1 is linearly stable (all eigenvalues of
 * the ODE's Jacobian there have negative real parts; output noise
 * ignored). Defined for K = M with v fixed at 1 or trained; NaN otherwise.
 * With a trained second layer, eta_second scales with eta. */
double pdx_theory_scm_eta_max(const pdx_scm_problem *problem);

/* eg = <(y - yhat)^2>/2 of erf committees from Q, R, T, v (closed form,
 * the same as the simulation's). */
double pdx_theory_scm_eg(size_t K, size_t M, const double *Q, const double *R,
                         const double *T, const double *v);

/* The erf averages of Saad & Solla (1995), exposed for tests: for a
 * covariance matrix C (n x n, row-major) of jointly Gaussian fields,
 * I2 = <g(a) g(b)>, I3 = <g'(a) b g(c)>, I4 = <g'(a) g'(b) g(c) g(d)>,
 * J2 = <g'(a) g'(b)>, g(z) = erf(z/sqrt 2). */
double pdx_theory_scm_I2(const double *C, size_t n, size_t a, size_t b);
double pdx_theory_scm_I3(const double *C, size_t n, size_t a, size_t b,
                         size_t c);
double pdx_theory_scm_I4(const double *C, size_t n, size_t a, size_t b,
                         size_t c, size_t d);
double pdx_theory_scm_J2(const double *C, size_t n, size_t a, size_t b);

/* ------------------------------------------------------------------------ */
/* Random deep networks: mean-field signal propagation                       */
/* (Poole et al. 2016; Schoenholz et al. 2017; src/theory_deep.c and
 * docs/THEORY.md). Weights N(0, sigma_w2/fan_in), biases N(0, sigma_b2),
 * h^1 = W^1 x + b^1, h^l = W^l phi(h^{l-1}) + b^l; two inputs of equal
 * length. */

typedef struct pdx_deep_problem {
    int activation;  /* pdx_activation: tanh, erf (erf(z/sqrt 2)), relu,
                      * linear, hard_tanh, sigmoid */
    double sigma_w2; /* > 0 */
    double sigma_b2; /* >= 0 */
    int numeric;     /* 1: Gaussian integrals also where a closed form
                      * exists (erf, relu, linear; for tests) */
} pdx_deep_problem;

typedef struct pdx_deep_point {
    int status;      /* solved; not_applicable when q has no finite fixed
                      * point (relu: sigma_w2 > 2, or = 2 with a bias;
                      * linear: sigma_w2 > 1, or = 1 with a bias): then
                      * q_star = inf, chi_1 and xi_grad are given and the
                      * rest is NaN; not_converged (all NaN) */
    double q_star;   /* stable fixed point of the length map */
    double c_star;   /* stable fixed point of the correlation map (1 in
                      * the ordered phase chi_1 <= 1) */
    double chi_1;    /* sigma_w2 E[phi'(sqrt(q*) z)^2] */
    double chi_c;    /* slope of the correlation map at c* */
    double slope_q;  /* slope of the length map at q*: chi_1 + sigma_w2
                      * E[phi'' phi] */
    double xi_q;     /* -1/ln(slope_q) */
    double xi_c;     /* -1/ln(chi_c); inf at chi_c = 1 */
    double xi_grad;  /* -1/ln(chi_1); < 0 where gradients grow */
} pdx_deep_point;

typedef struct pdx_deep_critical {
    int status;      /* solved; not_applicable for relu and linear with
                      * sigma_b2 > 0 (chi_1 = 1 at sigma_w2 = 2 resp. 1,
                      * but q* is infinite there: no transition) */
    double sigma_w2; /* the order-to-chaos line: chi_1 = 1 */
    double q_star;   /* q* there */
} pdx_deep_critical;

/* The fixed points, chi's and depth scales at one (sigma_w2, sigma_b2).
 * Returns PDX_OK (a failure to converge is out->status) or PDX_ERR_USAGE
 * (unknown activation, sigma_w2 <= 0, sigma_b2 < 0, not finite). */
pdx_status pdx_theory_deep_point(pdx_theory_workspace *ws,
                                 const pdx_deep_problem *problem,
                                 pdx_deep_point *out, pdx_error *err);

/* q^l and c^l of layers l = 1 .. depth into q[l-1], c[l-1], from inputs of
 * length q0 = |x|^2/N and correlation c0: q^1 = sigma_w2 q0 + sigma_b2,
 * c^1 = (sigma_w2 q0 c0 + sigma_b2)/q^1, then the maps; chi (may be NULL)
 * gets chi^l = sigma_w2 E[phi'(sqrt(q^l) z)^2], the mean squared singular
 * value of the Jacobian of g(h^(l-1)) -> g(h^l) (pdx's chi_layer).
 * *status solved or not_converged (values from the failing layer on NaN).
 * PDX_ERR_USAGE for bad arguments (q0 < 0, c0 outside [-1, 1], depth 0,
 * as above). */
pdx_status pdx_theory_deep_layers(pdx_theory_workspace *ws,
                                  const pdx_deep_problem *problem, double q0,
                                  double c0, size_t depth, double *q,
                                  double *c, double *chi, int *status,
                                  pdx_error *err);

/* Poole et al.'s expressivity measure as pdx's propagate measures it
 * (curve_length_layer): the length, over sqrt(width), of the image after
 * layer l = 1 .. depth of the closed polygon of `points` points on the
 * great circle of radius sqrt(N q0): points * sqrt(2 q^l (1 - c^l)) with
 * c^l from c^0 = cos(2 pi/points) (the chord of neighbouring points).
 * Close to c = 1 the map is expanded in 1 - c (Price's theorem), which
 * the 2-D integrals cannot resolve (docs/THEORY.md). Same
 * statuses and errors as pdx_theory_deep_layers (points >= 3). */
pdx_status pdx_theory_deep_curve_length(pdx_theory_workspace *ws,
                                        const pdx_deep_problem *problem,
                                        double q0, size_t points,
                                        size_t depth, double *length,
                                        int *status, pdx_error *err);

/* The order-to-chaos line: sigma_w2 with chi_1 = 1 at this sigma_b2
 * (tanh: 1 at sigma_b2 = 0; erf: pi/2; relu 2; linear 1). */
pdx_status pdx_theory_deep_critical(pdx_theory_workspace *ws, int activation,
                                    double sigma_b2, pdx_deep_critical *out,
                                    pdx_error *err);

/* ------------------------------------------------------------------------ */
/* Grids (pdx theory SPEC)                                                   */

/* Largest K + M of a committee cell that `pdx theory SPEC` integrates
 * (larger cells are not applicable; the cost grows as K^2 (K+M)^2). */
#define PDX_THEORY_SCM_MAX_UNITS 32

/* The theory that applies to a cell, or PDX_THEORY_NONE. */
pdx_theory_kind pdx_theory_for_params(const pdx_params *params);

/* Indices of the float64 variables of theory files (docs/FORMAT.md,
 * "Theory files"). Names follow the result files where the quantity is the
 * same (eg, Q, R, v, train_error, eg_mean, R_mean, ...). */
typedef enum pdx_theory_var {
    PDX_TH_EG = 0,              /* (time) */
    PDX_TH_Q,                   /* (time, student_unit, student_unit2) */
    PDX_TH_R,                   /* (time, student_unit, teacher_unit) */
    PDX_TH_V,                   /* (time, student_unit) */
    PDX_TH_QOVERLAP,            /* "q" (time) */
    PDX_TH_TRAIN_ERROR,         /* (time) */
    PDX_TH_TRAIN_ERROR_CLEAN,   /* (time) */
    PDX_TH_EG_MEAN,             /* per cell */
    PDX_TH_TRAIN_ERROR_MEAN,
    PDX_TH_TRAIN_ERROR_CLEAN_MEAN,
    PDX_TH_R_MEAN,              /* (student_unit, teacher_unit) */
    PDX_TH_PHI,
    PDX_TH_EG_LARGE_ALPHA,
    PDX_TH_EG_POOR,
    PDX_TH_R_POOR,
    PDX_TH_PHI_POOR,
    PDX_TH_EG_PERFECT,
    PDX_TH_PHI_PERFECT,
    PDX_TH_ALPHA_C,
    PDX_TH_ALPHA_SP,
    PDX_TH_PLATEAU_EG,
    PDX_TH_PLATEAU_START,
    PDX_TH_PLATEAU_END,
    PDX_TH_ETA_MAX,
    PDX_TH_RESIDUAL,            /* per cell: of the saddle-point equations */
    PDX_TH_PLATEAU_GROWTH,      /* per cell: escape rate of the plateau */
    PDX_TH_EG_BAYES,            /* per cell: the Gibbs centre of mass's eg */
    PDX_TH_BASE_COUNT,          /* grids without deep students stop here */
    /* deep students, per cell (docs/THEORY.md): */
    PDX_TH_Q_STAR = PDX_TH_BASE_COUNT,
    PDX_TH_C_STAR,
    PDX_TH_CHI_1,
    PDX_TH_CHI_C,
    PDX_TH_SLOPE_Q,
    PDX_TH_XI_Q,
    PDX_TH_XI_C,
    PDX_TH_XI_GRAD,
    PDX_TH_SIGMA_W2_CRITICAL,   /* the order-to-chaos line at the cell's
                                 * sigma_b2 */
    PDX_TH_TRAINABLE_DEPTH,     /* 6 xi_c */
    PDX_TH_DEEP_COUNT,          /* ... and without propagate cells here */
    /* train.algorithm propagate, per layer (layer): */
    PDX_TH_Q_LAYER = PDX_TH_DEEP_COUNT,
    PDX_TH_C_LAYER,
    PDX_TH_CHI_LAYER,
    PDX_TH_CURVE_LENGTH_LAYER,
    PDX_TH_LAYER_COUNT,         /* grids without record.budgets stop here */
    /* record.budgets, perceptron theories (issue 18; src/theory_robust.c) */
    PDX_TH_ROBUST_ERROR = PDX_TH_LAYER_COUNT, /* (time, budget) */
    PDX_TH_ROBUST_DISTANCE,     /* (time) */
    PDX_TH_ROBUST_ERROR_CONSISTENT, /* (time, budget): l2 only */
    PDX_TH_COUNT
} pdx_theory_var;

/* The pdx_theory_var of variable v of a layout from pdx_theory_layout
 * (the robust variables follow the others in its table). */
size_t pdx_theory_layout_var(const pdx_layout *layout, size_t v);

/* ---- Robust error of perceptrons (issue 18; docs/THEORY.md) ----
 * Teacher sign(B.x), student sign(w.x), x ~ N(0, I): with the normalised
 * overlap R = cos(w, B), a perturbation of budget eps shifts the
 * student's normalised margin w.x/|w|_2 by at most kappa (l2: kappa =
 * eps; linf: kappa = eps |w|_1/|w|_2), and the robust error is
 *   E(kappa, R) = arccos(R)/pi + 2 int_0^kappa Dx H(-R x / sqrt(1 - R^2))
 * (Dx the Gaussian measure, H(-z) = Phi(z)). */
double pdx_theory_robust_error(double R, double kappa);

/* The consistent variant for l2 budgets (only delta that keep the
 * teacher's label count): the smallest such delta of an input both
 * classify right, with a = |lambda_s|, b = |lambda_t|, is a when a R <= b,
 * else sqrt((a^2 - 2 a b R + b^2)/(1 - R^2)) (the point of both planes),
 * so that
 *   E_c(kappa, R) = arccos(R)/pi
 *                   + 2 int_0^kappa Dx Phi(min(R x/sqrt(1 - R^2),
 *                                              sqrt(kappa^2 - x^2))).
 * kappa = eps (l2 only: in linf the smallest delta depends on every
 * weight, not on R alone). */
double pdx_theory_robust_error_consistent(double R, double kappa);

/* |w|_1 / (|w|_2 sqrt(N)) of a typical student of overlap R, assuming w
 * is its teacher's direction plus an isotropic Gaussian remainder:
 * E|R b + sqrt(1 - R^2) z| with b a teacher entry over its rms (Gaussian
 * teacher: sqrt(2/pi) for every R; binary teacher: R (1 - 2 H(R/s)) +
 * s sqrt(2/pi) exp(-R^2/(2 s^2)), s = sqrt(1 - R^2)); 1 for binary
 * students. */
double pdx_theory_robust_l1_ratio(double R, int teacher_binary,
                                  int student_binary);

/* kappa of a budget eps in `norm` (pdx_norm) at input dimension N with
 * the student's l1 ratio rho (above): eps, or eps rho sqrt(N). */
double pdx_theory_robust_kappa(int norm, double eps, double N, double rho);

/* Mean minimal perturbation E[d] (d = 0 for misclassified inputs, else
 * |w.x|/|w|_dual): (1 + R)/sqrt(2 pi) for l2, divided by rho sqrt(N) for
 * linf. */
double pdx_theory_robust_distance(double R, int norm, double N, double rho);

/* The float64 variables of theory files (static table; shapes are
 * (axes..., dims...) without a replica dimension). */
const pdx_var_desc *pdx_theory_variables(size_t *count);

/* The layout of a grid's theory file (variables, dimension sizes): the
 * first PDX_TH_BASE_COUNT variables, the deep students' per-cell ones up
 * to PDX_TH_DEEP_COUNT when a cell has a deep student, and the per-layer
 * ones when a cell propagates (so files of other sweeps stay as they
 * were). */
void pdx_theory_layout(const pdx_grid *grid, pdx_layout *layout);

/* 1 if some cell of the grid has a deep student (its theory file has the
 * deep variables and the deep-mean-field theory). */
int pdx_theory_grid_has_deep(const pdx_grid *grid);

/* Everything `pdx theory SPEC` computes, per cell. */
typedef struct pdx_theory_grid_result {
    uint64_t n_cells;
    int8_t *status;      /* n_cells pdx_theory_status */
    int8_t *theory;      /* n_cells pdx_theory_kind */
    int8_t *phase;       /* n_cells pdx_ising_phase */
    double *values[PDX_TH_COUNT]; /* n_cells x block of each variable,
                                   * NaN where not computed */
    uint64_t solved, not_applicable, not_converged;
} pdx_theory_grid_result;

/* Evaluate every cell of `grid`, serially (perceptron cells that differ
 * only in data.alpha share one continuation, so a whole load axis costs
 * about one curve). `progress` (may be NULL) receives a line
 * every few seconds. On success *out owns new arrays
 * (pdx_theory_grid_result_clear); cells that do not converge are marked,
 * not errors. Returns PDX_OK, PDX_ERR_NOMEM. */
pdx_status pdx_theory_evaluate_grid(const pdx_grid *grid,
                                    pdx_theory_grid_result *out,
                                    FILE *progress, pdx_error *err);

/* Options of pdx_theory_evaluate_grid_with (zero: the defaults). */
typedef struct pdx_theory_grid_options {
    int replica_teachers; /* 1: scm-ode cells integrate each replica's own
                           * teacher overlaps T (the teacher of (seed,
                           * replica, teacher.normalise) as the simulation
                           * draws it) and write the mean over the spec's
                           * replicas of eg, Q, R, v, to set against the
                           * simulation's replica mean like for like; 0:
                           * T = I (the N -> infinity teacher) */
} pdx_theory_grid_options;

/* pdx_theory_evaluate_grid with options (NULL: the defaults). */
pdx_status pdx_theory_evaluate_grid_with(const pdx_grid *grid,
                                         const pdx_theory_grid_options *options,
                                         pdx_theory_grid_result *out,
                                         FILE *progress, pdx_error *err);
void pdx_theory_grid_result_clear(pdx_theory_grid_result *result);

/* ------------------------------------------------------------------------ */
/* Capacities (theory_capacity.c)                                            */

/* The Gardner capacity of a spherical perceptron: the largest alpha = P/N
 * at which some weight vector gives every training pattern the margin
 * y w.x/|w| >= kappa (kappa >= 0), for labels of a teacher of which a
 * fraction label_noise F in [0, 1] is replaced by random ones (flip
 * probability F/2; F = 1: random labels, the storage problem, where
 * alpha_c = pdx_theory_gardner_random(kappa), 2 at kappa = 0). Replica
 * symmetric at q -> 1, exact for kappa >= 0 (the volume is convex):
 * alpha_c = max_R (1 - R^2)/(2 I(R)), I(R) = int_{-inf}^kappa Dt
 * [(1-p) H(-s t) + p H(s t)] (kappa - t)^2, s = R/sqrt(1-R^2); *R is the
 * maximiser, the teacher overlap of the last solutions (NaN for F = 1).
 * F = 0, kappa = 0: alpha_c = inf, R = 1. Returns a pdx_theory_status
 * (NOT_APPLICABLE for kappa < 0 or F outside [0, 1]). */
int pdx_theory_gardner_capacity(pdx_theory_workspace *ws, double kappa,
                                double label_noise, double *alpha_c,
                                double *R);

/* Closed form of the storage capacity with margin kappa (random labels):
 * 1/alpha_c = (1 + kappa^2) H(-kappa) + kappa phi(kappa) (Gardner 1988). */
double pdx_theory_gardner_random(double kappa);

/* The replica-symmetric entropy of binary weights (+-1) that store P =
 * alpha N random patterns with margin kappa >= 0 (Gardner & Derrida 1988):
 * s = extr_{q, qhat} [-qhat (1-q)/2 + int Dz ln 2cosh(sqrt(qhat) z)
 *                     + alpha int Dt ln H((kappa + sqrt(q) t)/sqrt(1-q))].
 * Where it is negative it is only an upper bound (the true entropy is
 * zero: no solutions); its zero is the Krauth-Mezard capacity. */
typedef struct pdx_binary_storage_point {
    int status;          /* pdx_theory_status */
    double alpha, kappa;
    double q, qhat;      /* the RS saddle point */
    double entropy;      /* s (per weight, nats) */
    double annealed_entropy; /* ln 2 + alpha ln H(kappa) */
    double residual;     /* largest relative mismatch of the saddle point */
} pdx_binary_storage_point;

/* Solve at alpha (start: {q, qhat} to continue from, or NULL). Returns
 * out->status. */
int pdx_theory_binary_storage(pdx_theory_workspace *ws, double alpha,
                              double kappa, const double start[2],
                              pdx_binary_storage_point *out);

/* The Krauth-Mezard capacity: the alpha where the RS entropy vanishes
 * (0.8330786 at kappa = 0; Krauth & Mezard 1989, Ding & Sun 2019), to a
 * relative 1e-12, and q there. Returns a pdx_theory_status. */
int pdx_theory_binary_capacity(pdx_theory_workspace *ws, double kappa,
                               double *alpha_c, double *q_c);

/* The Franz-Parisi potential of the binary storage problem: the local
 * entropy (per weight, nats) of the solutions at Hamming distance
 * `distance` d in (0, 1/2) -- overlap p = 1 - 2d -- from a typical
 * solution (drawn uniformly from all solutions), replica symmetric
 * (Franz & Parisi 1995; Huang & Kabashima 2014). It equals the storage
 * entropy at the typical distance (1 - q)/2 and the binary entropy of d
 * as alpha -> 0; where it is negative near d = 0, no solution lies that
 * close to a typical one (typical solutions are isolated). Formulas and
 * accuracy: theory_franz_parisi.c and docs/THEORY.md. start: {q1, t} to
 * continue from (NULL: from the typical point). Returns out->status
 * (NOT_APPLICABLE beyond the capacity, where the storage entropy is
 * negative, or for d outside (0, 1/2)). */
typedef struct pdx_franz_parisi_point {
    int status;               /* pdx_theory_status */
    double alpha, kappa, distance, p;
    double entropy;           /* the local entropy V(d) */
    double storage_entropy;   /* the storage entropy s(alpha) */
    double q_ref, qhat_ref;   /* the typical solutions' RS saddle point */
    double q1, t;             /* overlaps of the constrained replicas */
    double qhat1, that, phat; /* their conjugates (phat fixes p) */
    double residual;          /* |q1' - q1| + |t' - t| of the map */
} pdx_franz_parisi_point;

int pdx_theory_franz_parisi(pdx_theory_workspace *ws, double alpha,
                            double kappa, double distance,
                            const double start[2],
                            pdx_franz_parisi_point *out);

#endif
