/* theory_scm.c — online learning of soft committee machines with erf units:
 * the order-parameter ODEs of Saad & Solla (Phys. Rev. Lett. 74, 4337 and
 * Phys. Rev. E 52, 4225, 1995), with a trained second layer and teacher
 * output noise as in Goldt, Advani, Saxe, Krzakala & Zdeborova (NeurIPS
 * 2019).
 *
 * Conventions of pdx's simulation (src/train/online.c): g(z) = erf(z/sqrt 2),
 * lambda_k = w_k.x/sqrt N, nu_n = B_n.x/sqrt N, teacher second layer
 * v*_n = 1, delta = sum_n v*_n g(nu_n) + sigma zeta - sum_k v_k g(lambda_k),
 * w_k += eta/sqrt N delta v_k g'(lambda_k) x, v_k += eta_v/N delta
 * g(lambda_k). With Q = w.w/N, R = w.B/N, T = B.B/N and time alpha = steps/N,
 * in the limit N -> infinity:
 *   dR_kn/dalpha = eta v_k <g'(lambda_k) nu_n delta>
 *   dQ_kl/dalpha = eta v_k <g'(lambda_k) lambda_l delta> + (k <-> l)
 *                  + eta^2 v_k v_l <g'(lambda_k) g'(lambda_l) delta^2>
 *   dv_k/dalpha  = eta_v <g(lambda_k) delta>
 * and eg = <delta^2>/2 without the noise. Writing delta = sum_u c_u g(x_u)
 * over all units u (students with c = -v, teachers with c = +v*), the
 * averages are the integrals I2, I3, I4, J2 of Saad & Solla (1995, PRE,
 * appendix), closed forms for erf. */
#include "pdx/theory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multiroots.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_roots.h>

/* ------------------------------------------------------------------------ */
/* The erf averages                                                          */

#define CC(i, j) C[(i) * n + (j)]

double pdx_theory_scm_I2(const double *C, size_t n, size_t a, size_t b)
{
    return (2.0 / M_PI) *
           asin(CC(a, b) / sqrt((1.0 + CC(a, a)) * (1.0 + CC(b, b))));
}

double pdx_theory_scm_I3(const double *C, size_t n, size_t a, size_t b,
                         size_t c)
{
    double lambda3 = (1.0 + CC(a, a)) * (1.0 + CC(c, c)) - CC(a, c) * CC(a, c);
    return (2.0 / M_PI) / sqrt(lambda3) *
           (CC(b, c) * (1.0 + CC(a, a)) - CC(a, b) * CC(a, c)) /
           (1.0 + CC(a, a));
}

double pdx_theory_scm_I4(const double *C, size_t n, size_t a, size_t b,
                         size_t c, size_t d)
{
    double l4 = (1.0 + CC(a, a)) * (1.0 + CC(b, b)) - CC(a, b) * CC(a, b);
    double l0 = l4 * CC(c, d) - CC(b, c) * CC(b, d) * (1.0 + CC(a, a)) -
                CC(a, c) * CC(a, d) * (1.0 + CC(b, b)) +
                CC(a, b) * CC(a, c) * CC(b, d) +
                CC(a, b) * CC(a, d) * CC(b, c);
    double l1 = l4 * (1.0 + CC(c, c)) - CC(b, c) * CC(b, c) * (1.0 + CC(a, a)) -
                CC(a, c) * CC(a, c) * (1.0 + CC(b, b)) +
                2.0 * CC(a, b) * CC(a, c) * CC(b, c);
    double l2 = l4 * (1.0 + CC(d, d)) - CC(b, d) * CC(b, d) * (1.0 + CC(a, a)) -
                CC(a, d) * CC(a, d) * (1.0 + CC(b, b)) +
                2.0 * CC(a, b) * CC(a, d) * CC(b, d);
    double r = l0 / sqrt(l1 * l2);
    if (r > 1.0)
        r = 1.0;
    if (r < -1.0)
        r = -1.0;
    return 4.0 / (M_PI * M_PI) / sqrt(l4) * asin(r);
}

double pdx_theory_scm_J2(const double *C, size_t n, size_t a, size_t b)
{
    return (2.0 / M_PI) /
           sqrt((1.0 + CC(a, a)) * (1.0 + CC(b, b)) - CC(a, b) * CC(a, b));
}

#undef CC

double pdx_theory_scm_eg(size_t K, size_t M, const double *Q, const double *R,
                         const double *T, const double *v)
{
    size_t n = K + M;
    double C[(64 + 64) * (64 + 64)];
    double c[128];
    if (n > 128)
        return NAN;
    for (size_t k = 0; k < K; k++) {
        for (size_t l = 0; l < K; l++)
            C[k * n + l] = Q[k * K + l];
        for (size_t m = 0; m < M; m++)
            C[k * n + K + m] = C[(K + m) * n + k] = R[k * M + m];
        c[k] = -v[k];
    }
    for (size_t m = 0; m < M; m++) {
        for (size_t o = 0; o < M; o++)
            C[(K + m) * n + K + o] = T != NULL ? T[m * M + o] : (m == o);
        c[K + m] = 1.0;
    }
    double sum = 0.0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++)
            sum += c[a] * c[b] * pdx_theory_scm_I2(C, n, a, b);
    return 0.5 * sum;
}

/* ------------------------------------------------------------------------ */
/* The ODE system                                                            */

typedef struct scm_sys {
    size_t K, M, n;       /* n = K + M units */
    size_t nQ, dim;       /* K(K+1)/2 entries of Q; state dimension */
    int train_v;
    double eta, eta_v, sigma2;
    double *T;            /* M x M */
    double *v_fixed;      /* K (fixed second layer) */
    double *C;            /* n x n covariance */
    double *c;            /* n signed output weights */
} scm_sys;

static size_t q_index(size_t K, size_t k, size_t l)
{
    if (k > l) {
        size_t t = k;
        k = l;
        l = t;
    }
    /* rows k = 0..K-1 of the upper triangle, each K - k long */
    return k * K - k * (k - 1) / 2 + (l - k);
}

static void sys_free(scm_sys *s)
{
    free(s->T);
    free(s->v_fixed);
    free(s->C);
    free(s->c);
    memset(s, 0, sizeof *s);
}

static int sys_init(scm_sys *s, const pdx_scm_problem *p)
{
    memset(s, 0, sizeof *s);
    s->K = p->K;
    s->M = p->M;
    s->n = p->K + p->M;
    s->nQ = p->K * (p->K + 1) / 2;
    s->train_v = p->train_second != 0;
    s->dim = s->nQ + p->K * p->M + (s->train_v ? p->K : 0);
    s->eta = p->eta;
    s->eta_v = p->eta_second;
    s->sigma2 = p->output_noise * p->output_noise;
    s->T = calloc(p->M * p->M, sizeof *s->T);
    s->v_fixed = calloc(p->K, sizeof *s->v_fixed);
    s->C = calloc(s->n * s->n, sizeof *s->C);
    s->c = calloc(s->n, sizeof *s->c);
    if (s->T == NULL || s->v_fixed == NULL || s->C == NULL || s->c == NULL) {
        sys_free(s);
        return -1;
    }
    for (size_t m = 0; m < p->M; m++)
        for (size_t o = 0; o < p->M; o++)
            s->T[m * p->M + o] =
                p->T0 != NULL ? p->T0[m * p->M + o]
                    : (m == o ? 1.0 : 0.0);
    for (size_t k = 0; k < p->K; k++)
        s->v_fixed[k] = p->init == PDX_SCM_INIT_GIVEN && p->v0 != NULL
                            ? p->v0[k]
                            : p->second_layer_init;
    return 0;
}

/* The covariance C and output weights c of state y. */
static void sys_load(scm_sys *s, const double *y)
{
    const size_t K = s->K, M = s->M, n = s->n;
    for (size_t k = 0; k < K; k++) {
        for (size_t l = 0; l < K; l++)
            s->C[k * n + l] = y[q_index(K, k, l)];
        for (size_t m = 0; m < M; m++)
            s->C[k * n + K + m] = s->C[(K + m) * n + k] =
                y[s->nQ + k * M + m];
        s->c[k] = -(s->train_v ? y[s->nQ + K * M + k] : s->v_fixed[k]);
    }
    for (size_t m = 0; m < M; m++) {
        for (size_t o = 0; o < M; o++)
            s->C[(K + m) * n + K + o] = s->T[m * M + o];
        s->c[K + m] = 1.0;
    }
}

/* Entries of the flow at the state loaded by sys_load (v_k = -c_k). */
static double flow_R(const scm_sys *s, size_t k, size_t m)
{
    const size_t K = s->K, n = s->n;
    double sum = 0.0;
    for (size_t u = 0; u < n; u++)
        sum += s->c[u] * pdx_theory_scm_I3(s->C, n, k, K + m, u);
    return s->eta * -s->c[k] * sum;
}

static double flow_Q(const scm_sys *s, size_t k, size_t l)
{
    const size_t n = s->n;
    const double *C = s->C, *c = s->c;
    double vk = -c[k], vl = -c[l];
    double s1 = 0.0, s2 = 0.0, s4 = 0.0;
    for (size_t u = 0; u < n; u++) {
        s1 += c[u] * pdx_theory_scm_I3(C, n, k, l, u);
        s2 += c[u] * pdx_theory_scm_I3(C, n, l, k, u);
    }
    for (size_t u = 0; u < n; u++) {
        s4 += c[u] * c[u] * pdx_theory_scm_I4(C, n, k, l, u, u);
        for (size_t w = u + 1; w < n; w++)
            s4 += 2.0 * c[u] * c[w] * pdx_theory_scm_I4(C, n, k, l, u, w);
    }
    s4 += s->sigma2 * pdx_theory_scm_J2(C, n, k, l);
    return s->eta * (vk * s1 + vl * s2) + s->eta * s->eta * vk * vl * s4;
}

static double flow_v(const scm_sys *s, size_t k)
{
    double sum = 0.0;
    for (size_t u = 0; u < s->n; u++)
        sum += s->c[u] * pdx_theory_scm_I2(s->C, s->n, k, u);
    return s->eta_v * sum;
}

static int state_finite(const scm_sys *s, const double *y)
{
    for (size_t i = 0; i < s->dim; i++)
        if (!isfinite(y[i]))
            return 0;
    return 1;
}

static int scm_rhs(double t, const double y[], double dydt[], void *params)
{
    (void)t;
    scm_sys *s = params;
    const size_t K = s->K, M = s->M;
    if (!state_finite(s, y))
        return GSL_EBADFUNC;
    sys_load(s, y);
    for (size_t k = 0; k < K; k++)
        for (size_t m = 0; m < M; m++)
            dydt[s->nQ + k * M + m] = flow_R(s, k, m);
    for (size_t k = 0; k < K; k++)
        for (size_t l = k; l < K; l++)
            dydt[q_index(K, k, l)] = flow_Q(s, k, l);
    if (s->train_v)
        for (size_t k = 0; k < K; k++)
            dydt[s->nQ + K * M + k] = flow_v(s, k);
    if (!state_finite(s, dydt))
        return GSL_EBADFUNC;
    return GSL_SUCCESS;
}

static double state_eg(scm_sys *s, const double *y)
{
    sys_load(s, y);
    double sum = 0.0;
    for (size_t a = 0; a < s->n; a++)
        for (size_t b = 0; b < s->n; b++)
            sum += s->c[a] * s->c[b] * pdx_theory_scm_I2(s->C, s->n, a, b);
    return fmax(0.0, 0.5 * sum); /* >= 0 up to rounding */
}

/* Fixed pseudo-normal numbers of unit size: normal quantiles of the
 * golden-ratio sequence frac(0.5 + i phi), i = 1, 2, ... */
static double typical_normal(size_t i)
{
    double u = fmod(0.5 + (double)i * 0.61803398874989485, 1.0);
    return gsl_cdf_ugaussian_Pinv(u);
}

static void initial_state(const scm_sys *s, const pdx_scm_problem *p,
                          double *y)
{
    const size_t K = s->K, M = s->M;
    double s2 = p->init_scale * p->init_scale;
    double n_sqrt = p->N > 0.0 ? sqrt(p->N) : INFINITY;
    size_t draw = 0;
    for (size_t k = 0; k < K; k++)
        for (size_t l = k; l < K; l++) {
            double q;
            if (p->init == PDX_SCM_INIT_GIVEN)
                q = p->Q0[k * K + l];
            else
                q = k == l ? s2 : 0.0;
            if (p->init == PDX_SCM_INIT_TYPICAL && k != l)
                q = s2 * typical_normal(++draw + 1000) / n_sqrt;
            y[q_index(K, k, l)] = q;
        }
    for (size_t k = 0; k < K; k++)
        for (size_t m = 0; m < M; m++) {
            double r = 0.0;
            if (p->init == PDX_SCM_INIT_GIVEN)
                r = p->R0[k * M + m];
            else if (p->init == PDX_SCM_INIT_TYPICAL)
                r = p->init_scale * typical_normal(k * M + m + 1) / n_sqrt *
                    (p->T0 != NULL ? sqrt(s->T[m * M + m]) : 1.0);
            y[s->nQ + k * M + m] = r;
        }
    if (s->train_v)
        for (size_t k = 0; k < K; k++)
            y[s->nQ + K * M + k] = s->v_fixed[k];
}

static void unpack(const scm_sys *s, const double *y, double *Q, double *R,
                   double *v)
{
    const size_t K = s->K, M = s->M;
    if (Q != NULL)
        for (size_t k = 0; k < K; k++)
            for (size_t l = 0; l < K; l++)
                Q[k * K + l] = y[q_index(K, k, l)];
    if (R != NULL)
        memcpy(R, y + s->nQ, K * M * sizeof *R);
    if (v != NULL)
        for (size_t k = 0; k < K; k++)
            v[k] = s->train_v ? y[s->nQ + K * M + k] : s->v_fixed[k];
}

pdx_scm_problem pdx_theory_scm_default(void)
{
    pdx_scm_problem p;
    memset(&p, 0, sizeof p);
    p.K = 2;
    p.M = 2;
    p.eta = 0.5;
    p.eta_second = 0.5;
    p.train_second = 0;
    p.second_layer_init = 1.0;
    p.init_scale = 1e-3;
    p.output_noise = 0.0;
    p.N = 500;
    p.init = PDX_SCM_INIT_TYPICAL;
    return p;
}

static pdx_status check_problem(const pdx_scm_problem *p, pdx_error *err)
{
    if (p == NULL || p->K < 1 || p->M < 1 || p->K > 64 || p->M > 64)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "K, M",
                             "scm-ode: K and M must be in 1 .. 64");
    if (!(p->eta > 0.0) || !isfinite(p->eta) ||
        (p->train_second && !(p->eta_second >= 0.0)) ||
        !(p->init_scale >= 0.0) || !(p->output_noise >= 0.0) ||
        !isfinite(p->second_layer_init))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "eta",
                             "scm-ode: eta > 0, eta_second >= 0, init_scale "
                             ">= 0 and output_noise >= 0 are required");
    if (p->init == PDX_SCM_INIT_GIVEN && (p->Q0 == NULL || p->R0 == NULL))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "init",
                             "scm-ode: given initial conditions need Q0 "
                             "and R0");
    if (p->init == PDX_SCM_INIT_TYPICAL && !(p->N >= 1.0))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "N",
                             "scm-ode: typical initial conditions need "
                             "N >= 1");
    return PDX_OK;
}

pdx_status pdx_theory_scm_trajectory(const pdx_scm_problem *p,
                                     const double *times, size_t n_times,
                                     double *eg, double *Q, double *R,
                                     double *v, int *status, pdx_error *err)
{
    pdx_status st = check_problem(p, err);
    if (st != PDX_OK)
        return st;
    for (size_t i = 0; i < n_times; i++)
        if (!(times[i] >= 0.0) || (i > 0 && times[i] < times[i - 1]))
            return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "times",
                                 "scm-ode: times must be >= 0 and "
                                 "ascending");
    scm_sys s;
    if (sys_init(&s, p) != 0)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    const size_t K = p->K, M = p->M;
    double *y = calloc(s.dim, sizeof *y);
    if (y == NULL) {
        sys_free(&s);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    }
    initial_state(&s, p, y);
    gsl_odeiv2_system sys = {scm_rhs, NULL, s.dim, &s};
    gsl_odeiv2_driver *d = gsl_odeiv2_driver_alloc_y_new(
        &sys, gsl_odeiv2_step_rk8pd, 1e-4, 1e-11, 1e-10);
    if (d == NULL) {
        free(y);
        sys_free(&s);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    }
    gsl_odeiv2_driver_set_nmax(d, 10000000);
    double t = 0.0;
    int failed = 0;
    for (size_t i = 0; i < n_times; i++) {
        if (!failed && times[i] > t) {
            int rc = gsl_odeiv2_driver_apply(d, &t, times[i], y);
            if (rc != GSL_SUCCESS)
                failed = 1;
        }
        if (failed) {
            if (eg != NULL)
                eg[i] = NAN;
            for (size_t j = 0; Q != NULL && j < K * K; j++)
                Q[i * K * K + j] = NAN;
            for (size_t j = 0; R != NULL && j < K * M; j++)
                R[i * K * M + j] = NAN;
            for (size_t j = 0; v != NULL && j < K; j++)
                v[i * K + j] = NAN;
            continue;
        }
        if (eg != NULL)
            eg[i] = state_eg(&s, y);
        unpack(&s, y, Q != NULL ? Q + i * K * K : NULL,
               R != NULL ? R + i * K * M : NULL, v != NULL ? v + i * K : NULL);
    }
    if (status != NULL)
        *status = failed ? PDX_THEORY_NOT_CONVERGED : PDX_THEORY_SOLVED;
    gsl_odeiv2_driver_free(d);
    free(y);
    sys_free(&s);
    return PDX_OK;
}

/* ------------------------------------------------------------------------ */
/* Jacobians and eigenvalues                                                 */

/* The Jacobian of the flow at y (central differences) into J (dim x dim).
 * 0 on success. */
static int jacobian(scm_sys *s, const double *y, gsl_matrix *J)
{
    const size_t n = s->dim;
    double *yp = malloc(n * sizeof *yp), *f1 = malloc(n * sizeof *f1),
           *f2 = malloc(n * sizeof *f2);
    int rc = yp != NULL && f1 != NULL && f2 != NULL ? 0 : -1;
    for (size_t j = 0; j < n && rc == 0; j++) {
        memcpy(yp, y, n * sizeof *yp);
        double h = 1e-6 * fmax(1.0, fabs(y[j]));
        yp[j] = y[j] + h;
        rc = scm_rhs(0.0, yp, f1, s) == GSL_SUCCESS ? 0 : -1;
        yp[j] = y[j] - h;
        if (rc == 0)
            rc = scm_rhs(0.0, yp, f2, s) == GSL_SUCCESS ? 0 : -1;
        for (size_t i = 0; i < n && rc == 0; i++)
            gsl_matrix_set(J, i, j, (f1[i] - f2[i]) / (2.0 * h));
    }
    free(yp);
    free(f1);
    free(f2);
    return rc;
}

/* Largest real part of the eigenvalues of J (J is overwritten). NaN on
 * failure. */
static double max_real_eig(gsl_matrix *J)
{
    const size_t n = J->size1;
    gsl_vector_complex *eval = gsl_vector_complex_alloc(n);
    gsl_eigen_nonsymm_workspace *w = gsl_eigen_nonsymm_alloc(n);
    double result = NAN;
    if (eval != NULL && w != NULL && gsl_eigen_nonsymm(J, eval, w) == GSL_SUCCESS) {
        result = -INFINITY;
        for (size_t i = 0; i < n; i++)
            result = fmax(result, GSL_REAL(gsl_vector_complex_get(eval, i)));
    }
    gsl_eigen_nonsymm_free(w);
    gsl_vector_complex_free(eval);
    return result;
}

/* ------------------------------------------------------------------------ */
/* Plateau                                                                   */

/* The symmetric subspace: Q_kk = qd, Q_kl = qo, R_kn = r, v_k = vd. */
typedef struct sym_ctx {
    scm_sys *s;
    double *y, *dy;
    size_t n_red; /* 3 or 4 (trained v); 2 or 3 when K = 1 */
} sym_ctx;

static void sym_expand(const sym_ctx *c, const double *r, double *y)
{
    const scm_sys *s = c->s;
    size_t i = 0;
    double qd = r[i++];
    double qo = s->K > 1 ? r[i++] : 0.0;
    double rr = r[i++];
    for (size_t k = 0; k < s->K; k++)
        for (size_t l = k; l < s->K; l++)
            y[q_index(s->K, k, l)] = k == l ? qd : qo;
    for (size_t j = 0; j < s->K * s->M; j++)
        y[s->nQ + j] = rr;
    if (s->train_v)
        for (size_t k = 0; k < s->K; k++)
            y[s->nQ + s->K * s->M + k] = r[i];
}

static int sym_rhs(double t, const double r[], double dr[], void *params)
{
    (void)t;
    sym_ctx *c = params;
    scm_sys *s = c->s;
    sym_expand(c, r, c->y);
    if (!state_finite(s, c->y))
        return GSL_EBADFUNC;
    sys_load(s, c->y);
    /* by symmetry every unit (and teacher unit) has the same flow */
    size_t i = 0;
    dr[i++] = flow_Q(s, 0, 0);
    if (s->K > 1)
        dr[i++] = flow_Q(s, 0, 1);
    dr[i++] = flow_R(s, 0, 0);
    if (s->train_v)
        dr[i++] = flow_v(s, 0);
    for (size_t j = 0; j < i; j++)
        if (!isfinite(dr[j]))
            return GSL_EBADFUNC;
    return GSL_SUCCESS;
}

static int sym_f(const gsl_vector *x, void *params, gsl_vector *f)
{
    sym_ctx *c = params;
    double r[4], dr[4];
    for (size_t i = 0; i < c->n_red; i++)
        r[i] = gsl_vector_get(x, i);
    int rc = sym_rhs(0.0, r, dr, c);
    if (rc != GSL_SUCCESS)
        return rc;
    for (size_t i = 0; i < c->n_red; i++)
        gsl_vector_set(f, i, dr[i]);
    return GSL_SUCCESS;
}

/* Expand the reduced state to the full one in c->y and check that it is
 * admissible: qd > 0 and the covariance of the K + M fields positive
 * semi-definite (to rounding). */
static int sym_admissible(sym_ctx *c, const double *r)
{
    scm_sys *s = c->s;
    sym_expand(c, r, c->y);
    if (!state_finite(s, c->y) || !(r[0] > 0.0))
        return 0;
    sys_load(s, c->y);
    const size_t n = s->n;
    gsl_matrix *C = gsl_matrix_alloc(n, n);
    gsl_vector *eval = gsl_vector_alloc(n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(n);
    int ok = 0;
    if (C != NULL && eval != NULL && w != NULL) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                gsl_matrix_set(C, i, j, s->C[i * n + j]);
        if (gsl_eigen_symm(C, eval, w) == GSL_SUCCESS)
            ok = gsl_vector_min(eval) >= -1e-9 * (1.0 + gsl_vector_max(eval));
    }
    gsl_eigen_symm_free(w);
    gsl_vector_free(eval);
    gsl_matrix_free(C);
    return ok;
}

/* A root of the reduced flow from `start` (hybrids). 0 on success. */
static int sym_root(sym_ctx *c, const double *start, double *root)
{
    gsl_multiroot_fsolver *solver =
        gsl_multiroot_fsolver_alloc(gsl_multiroot_fsolver_hybrids, c->n_red);
    gsl_vector *x = gsl_vector_alloc(c->n_red);
    int ok = 0;
    if (solver != NULL && x != NULL) {
        for (size_t j = 0; j < c->n_red; j++)
            gsl_vector_set(x, j, start[j]);
        gsl_multiroot_function F = {sym_f, c->n_red, c};
        if (gsl_multiroot_fsolver_set(solver, &F, x) == GSL_SUCCESS) {
            int status = GSL_CONTINUE;
            for (int iter = 0; iter < 200 && status == GSL_CONTINUE; iter++) {
                if (gsl_multiroot_fsolver_iterate(solver) != GSL_SUCCESS)
                    break;
                status = gsl_multiroot_test_residual(solver->f, 1e-14);
            }
            double res = 0.0;
            for (size_t j = 0; j < c->n_red; j++) {
                res += fabs(gsl_vector_get(solver->f, j));
                root[j] = gsl_vector_get(solver->x, j);
            }
            ok = res < 1e-12 * fmax(1.0, c->s->eta) &&
                 sym_admissible(c, root);
        }
    }
    gsl_vector_free(x);
    gsl_multiroot_fsolver_free(solver);
    return ok ? 0 : -1;
}

/* Eigenvalues of J (overwritten): the largest real part and the number
 * of real parts above tol. 0 on success. */
static int eig_stats(gsl_matrix *J, double tol, double *lead, int *n_pos)
{
    const size_t n = J->size1;
    gsl_vector_complex *eval = gsl_vector_complex_alloc(n);
    gsl_eigen_nonsymm_workspace *w = gsl_eigen_nonsymm_alloc(n);
    int rc = -1;
    if (eval != NULL && w != NULL &&
        gsl_eigen_nonsymm(J, eval, w) == GSL_SUCCESS) {
        *lead = -INFINITY;
        *n_pos = 0;
        for (size_t i = 0; i < n; i++) {
            double re = GSL_REAL(gsl_vector_complex_get(eval, i));
            *lead = fmax(*lead, re);
            *n_pos += re > tol;
        }
        rc = 0;
    }
    gsl_eigen_nonsymm_free(w);
    gsl_vector_complex_free(eval);
    return rc;
}

/* Add the root r to info (unless known); its index, or -1. */
static int add_fixed_point(sym_ctx *c, const double *r,
                           pdx_scm_plateau_info *info)
{
    scm_sys *s = c->s;
    for (size_t i = 0; i < info->n_fixed; i++) {
        const pdx_scm_fixed_point *f = &info->fixed[i];
        double known[4], d = 0.0;
        size_t j = 0;
        known[j++] = f->Q;
        if (s->K > 1)
            known[j++] = f->C;
        known[j++] = f->R;
        if (s->train_v)
            known[j++] = f->v;
        for (j = 0; j < c->n_red; j++)
            d = fmax(d, fabs(r[j] - known[j]) / (1e-3 + fabs(known[j])));
        if (d < 1e-6)
            return (int)i;
    }
    if (info->n_fixed == PDX_SCM_MAX_FIXED_POINTS)
        return -1;
    pdx_scm_fixed_point *f = &info->fixed[info->n_fixed];
    size_t j = 0;
    f->Q = r[j++];
    f->C = s->K > 1 ? r[j++] : NAN;
    f->R = r[j++];
    f->v = s->train_v ? r[j] : s->v_fixed[0];
    f->visited = 0;
    double *y = malloc(s->dim * sizeof *y);
    gsl_matrix *J = gsl_matrix_alloc(s->dim, s->dim);
    int ok = y != NULL && J != NULL;
    if (ok) {
        sym_expand(c, r, y);
        f->eg = state_eg(s, y);
        ok = jacobian(s, y, J) == 0 &&
             eig_stats(J, 1e-9 * s->eta, &f->growth, &f->unstable) == 0;
    }
    free(y);
    gsl_matrix_free(J);
    if (!ok)
        return -1;
    return (int)info->n_fixed++;
}

/* The projection of a full state onto the symmetric subspace (means). */
static void sym_reduce(const sym_ctx *c, const double *y, double *r)
{
    const scm_sys *s = c->s;
    const size_t K = s->K, M = s->M;
    double qd = 0.0, qo = 0.0, rr = 0.0, vd = 0.0;
    for (size_t k = 0; k < K; k++)
        for (size_t l = k; l < K; l++)
            *(k == l ? &qd : &qo) += y[q_index(K, k, l)];
    for (size_t j = 0; j < K * M; j++)
        rr += y[s->nQ + j];
    for (size_t k = 0; s->train_v && k < K; k++)
        vd += y[s->nQ + K * M + k];
    size_t i = 0;
    r[i++] = qd / (double)K;
    if (K > 1)
        r[i++] = qo / (double)(K * (K - 1) / 2);
    r[i++] = rr / (double)(K * M);
    if (s->train_v)
        r[i] = vd / (double)K;
}

/* Fixed points from the symmetric trajectory (Q = s^2 I, R = 0): where it
 * is slow, a root from its state and from the state's collinear
 * projection (C = Q). The first found is info->fixed[0]. */
static void symmetric_fixed_points(sym_ctx *c, const pdx_scm_problem *p,
                                   pdx_scm_plateau_info *info)
{
    scm_sys *s = c->s;
    double r[4] = {0}, dr[4], root[4], start[4];
    size_t i = 0;
    r[i++] = p->init_scale * p->init_scale;
    if (s->K > 1)
        r[i++] = 0.0;
    r[i++] = 0.0;
    if (s->train_v)
        r[i] = p->second_layer_init;
    gsl_odeiv2_system sys = {sym_rhs, NULL, c->n_red, c};
    gsl_odeiv2_driver *d = gsl_odeiv2_driver_alloc_y_new(
        &sys, gsl_odeiv2_step_rk8pd, 1e-4, 1e-12, 1e-10);
    if (d == NULL)
        return;
    gsl_odeiv2_driver_set_nmax(d, 1000000);
    double t = 0.0, horizon = 1.0 / p->eta;
    int settled = 0;
    for (int rounds = 0; rounds < 60 && !settled; rounds++) {
        if (gsl_odeiv2_driver_apply(d, &t, t + horizon, r) != GSL_SUCCESS)
            break;
        horizon *= 1.5;
        if (sym_rhs(0.0, r, dr, c) != GSL_SUCCESS)
            break;
        double speed = 0.0;
        for (size_t j = 0; j < c->n_red; j++)
            speed = fmax(speed, fabs(dr[j]) / (1e-3 + fabs(r[j])));
        settled = speed < 1e-7 * p->eta;
        if (speed > 1e-2 * p->eta)
            continue;
        for (int collinear = 0; collinear <= (s->K > 1); collinear++) {
            memcpy(start, r, sizeof start);
            if (collinear)
                start[1] = start[0];
            if (sym_root(c, start, root) == 0)
                add_fixed_point(c, root, info);
        }
    }
    gsl_odeiv2_driver_free(d);
}

/* The slowest symmetric phase of the trajectory: the longest run of slow
 * steps (|d eg/d(eta alpha)| <= PDX_SCM_PLATEAU_SLOW eg, from the
 * difference of eg over a step, at the step's midpoint) whose slowest state
 * is symmetric; its bounds (the slowness crossing, interpolated between
 * midpoints) and that state into y_slow; the state at alpha_max into
 * y_end. 0 if found. */
typedef struct slow_run {
    double start, end, best_ratio;
    int open, symmetric;
} slow_run;

static int trajectory_plateau(scm_sys *s, const pdx_scm_problem *p,
                              double alpha_max, double *start, double *end,
                              double *y_slow, double *y_end)
{
    double *y = calloc(2 * s->dim, sizeof *y), *y_best = y + s->dim;
    gsl_odeiv2_step *step =
        gsl_odeiv2_step_alloc(gsl_odeiv2_step_rk8pd, s->dim);
    gsl_odeiv2_control *control = gsl_odeiv2_control_y_new(1e-11, 1e-10);
    gsl_odeiv2_evolve *evolve = gsl_odeiv2_evolve_alloc(s->dim);
    int found = 0;
    if (y == NULL || step == NULL || control == NULL || evolve == NULL)
        goto done;
    initial_state(s, p, y);
    gsl_odeiv2_system sys = {scm_rhs, NULL, s->dim, s};
    const double slow = PDX_SCM_PLATEAU_SLOW;
    double t = 0.0, h = 1e-4, t_prev = 0.0, eg_prev = state_eg(s, y);
    double mid_prev = NAN, ratio_prev = NAN;
    slow_run cur = {NAN, NAN, INFINITY, 0, 0}, best = cur;
    for (long n = 0; n < 10000000 && t < alpha_max; n++) {
        if (gsl_odeiv2_evolve_apply(evolve, control, step, &sys, &t,
                                    alpha_max, &h, y) != GSL_SUCCESS)
            break;
        double eg = state_eg(s, y), mid = 0.5 * (t + t_prev);
        double ratio = fabs(eg - eg_prev) /
                       (p->eta * (t - t_prev) * fmax(0.5 * (eg + eg_prev),
                                                     1e-300));
        int is_slow = ratio <= slow && eg > 1e-10;
        /* where ratio crosses `slow` between the two midpoints */
        double cross = isnan(ratio_prev) || ratio == ratio_prev
                           ? t_prev
                           : mid_prev + (mid - mid_prev) *
                                            (ratio_prev - slow) /
                                            (ratio_prev - ratio);
        if (is_slow && !cur.open)
            cur = (slow_run){isnan(ratio_prev) ? t_prev : cross, NAN,
                             INFINITY, 1, 0};
        if (is_slow && ratio < cur.best_ratio) {
            cur.best_ratio = ratio;
            double rmin = INFINITY, rmax = -INFINITY;
            for (size_t j = 0; j < s->K * s->M; j++) {
                rmin = fmin(rmin, y[s->nQ + j]);
                rmax = fmax(rmax, y[s->nQ + j]);
            }
            cur.symmetric = rmax - rmin <= 0.05 * fmax(fabs(rmax), fabs(rmin));
            if (cur.symmetric)
                memcpy(y_best, y, s->dim * sizeof *y);
        }
        if (!is_slow && cur.open) {
            cur.end = cross;
            cur.open = 0;
            if (cur.symmetric &&
                (!found || cur.end - cur.start > best.end - best.start)) {
                best = cur;
                found = 1;
                memcpy(y_slow, y_best, s->dim * sizeof *y);
            }
        }
        t_prev = t;
        eg_prev = eg;
        mid_prev = mid;
        ratio_prev = ratio;
    }
    if (cur.open && cur.symmetric &&
        (!found || t - cur.start > best.end - best.start)) {
        best = cur;
        best.end = NAN; /* still there at alpha_max */
        found = 1;
        memcpy(y_slow, y_best, s->dim * sizeof *y);
    }
    if (found) {
        *start = best.start;
        *end = best.end;
    }
    memcpy(y_end, y, s->dim * sizeof *y);
done:
    gsl_odeiv2_evolve_free(evolve);
    gsl_odeiv2_control_free(control);
    gsl_odeiv2_step_free(step);
    free(y);
    return found ? 0 : -1;
}

pdx_status pdx_theory_scm_fixed_points(const pdx_scm_problem *p,
                                       double alpha_max,
                                       pdx_scm_plateau_info *info,
                                       pdx_error *err)
{
    memset(info, 0, sizeof *info);
    info->eg = info->growth = info->start = info->end = NAN;
    pdx_status st = check_problem(p, err);
    if (st != PDX_OK)
        return st;
    if (p->K < 2)
        return PDX_OK; /* one unit: nothing to specialise */
    scm_sys s;
    if (sys_init(&s, p) != 0)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    sym_ctx c = {&s, calloc(s.dim, sizeof(double)),
                 calloc(s.dim, sizeof(double)),
                 (s.K > 1 ? 3u : 2u) + (s.train_v ? 1u : 0u)};
    double *y_slow = calloc(2 * s.dim, sizeof *y_slow), *y_end = y_slow + s.dim;
    if (c.y == NULL || c.dy == NULL || y_slow == NULL) {
        free(c.y);
        free(c.dy);
        free(y_slow);
        sys_free(&s);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    }
    symmetric_fixed_points(&c, p, info);
    int visited = -1;
    double r[4], root[4];
    int heading = -1; /* no plateau by alpha_max: the one it heads for */
    int found = alpha_max > 0.0 ? trajectory_plateau(&s, p, alpha_max,
                                                     &info->start, &info->end,
                                                     y_slow, y_end)
                                : -1;
    if (found == 0) {
        /* a plateau is a stay near a fixed point: the root reached from
         * the slowest state, where eg is within 1 % of the fixed point's
         * (a slow drift with no fixed point, e.g. beyond eta_max, is none) */
        double eg_slow = state_eg(&s, y_slow);
        sym_reduce(&c, y_slow, r);
        int i = sym_root(&c, r, root) == 0 ? add_fixed_point(&c, root, info)
                                           : -1;
        if (i >= 0 && fabs(info->fixed[i].eg - eg_slow) <=
                          0.01 * info->fixed[i].eg)
            visited = i;
        else
            info->start = info->end = NAN;
    } else if (alpha_max > 0.0) {
        /* not on a plateau yet: the root reached from the state at
         * alpha_max (projected), the plateau it heads for */
        sym_reduce(&c, y_end, r);
        if (sym_root(&c, r, root) == 0)
            heading = add_fixed_point(&c, root, info);
    } else if (info->n_fixed > 0) {
        heading = 0; /* no trajectory: the symmetric trajectory's first */
    }
    if (visited >= 0) {
        info->fixed[visited].visited = 1;
        heading = visited;
    }
    if (heading >= 0) {
        info->eg = info->fixed[heading].eg;
        info->growth = info->fixed[heading].growth;
    }
    free(c.y);
    free(c.dy);
    free(y_slow);
    sys_free(&s);
    return PDX_OK;
}

pdx_status pdx_theory_scm_plateau(const pdx_scm_problem *p, double alpha_max,
                                  double *eg_plateau, double *start,
                                  double *end, pdx_error *err)
{
    pdx_scm_plateau_info info;
    pdx_status st = pdx_theory_scm_fixed_points(p, alpha_max, &info, err);
    *eg_plateau = info.eg;
    *start = info.start;
    *end = info.end;
    return st;
}

/* ------------------------------------------------------------------------ */
/* Maximal learning rate                                                     */

/* At the perfect solution every term of the flow vanishes and the flow is
 * eta X + eta^2 Y (eta_second = ratio eta), so its Jacobian is exactly
 * J(eta) = eta A + eta^2 B: two Jacobians give A and B, and the sign of
 * the leading eigenvalue of J(eta)/eta = A + eta B decides stability. */
typedef struct eta_ctx {
    gsl_matrix *A, *B, *work;
} eta_ctx;

static double perfect_growth(double eta, void *params)
{
    const eta_ctx *c = params;
    gsl_matrix_memcpy(c->work, c->B);
    gsl_matrix_scale(c->work, eta);
    gsl_matrix_add(c->work, c->A);
    return max_real_eig(c->work);
}

/* Jacobian at the perfect solution with learning rate eta into J. */
static int perfect_jacobian(const pdx_scm_problem *p, double ratio,
                            double eta, gsl_matrix *J)
{
    pdx_scm_problem q = *p;
    q.eta = eta;
    q.eta_second = ratio * eta;
    q.output_noise = 0.0;
    q.init = PDX_SCM_INIT_EXPECTED;
    q.T0 = NULL; /* the perfect solution of T = I */
    q.second_layer_init = 1.0;
    scm_sys s;
    if (sys_init(&s, &q) != 0)
        return -1;
    double *y = calloc(s.dim, sizeof *y);
    int rc = -1;
    if (y != NULL) {
        for (size_t k = 0; k < s.K; k++) {
            for (size_t l = k; l < s.K; l++)
                y[q_index(s.K, k, l)] = k == l ? 1.0 : 0.0;
            for (size_t m = 0; m < s.M; m++)
                y[s.nQ + k * s.M + m] = k == m ? 1.0 : 0.0;
            if (s.train_v)
                y[s.nQ + s.K * s.M + k] = 1.0;
        }
        rc = jacobian(&s, y, J);
    }
    free(y);
    sys_free(&s);
    return rc;
}

double pdx_theory_scm_eta_max(const pdx_scm_problem *p)
{
    if (check_problem(p, NULL) != PDX_OK || p->K != p->M)
        return NAN;
    if (!p->train_second && p->second_layer_init != 1.0)
        return NAN;
    double ratio = p->train_second ? p->eta_second / p->eta : 0.0;
    size_t dim = p->K * (p->K + 1) / 2 + p->K * p->M +
                 (p->train_second ? p->K : 0);
    eta_ctx c = {gsl_matrix_alloc(dim, dim), gsl_matrix_alloc(dim, dim),
                 gsl_matrix_alloc(dim, dim)};
    double root = NAN;
    if (c.A == NULL || c.B == NULL || c.work == NULL ||
        perfect_jacobian(p, ratio, 1.0, c.A) != 0 ||
        perfect_jacobian(p, ratio, 2.0, c.B) != 0)
        goto done;
    /* J1 = A + B, J2 = 2A + 4B: B = (J2 - 2 J1)/2, A = J1 - B */
    gsl_matrix_memcpy(c.work, c.A);
    gsl_matrix_scale(c.work, 2.0);
    gsl_matrix_sub(c.B, c.work);
    gsl_matrix_scale(c.B, 0.5);
    gsl_matrix_sub(c.A, c.B);
    /* scan upward for the first sign change, then brent */
    double lo = 1e-3, g_lo = perfect_growth(lo, &c), hi = NAN;
    if (!(g_lo < 0.0))
        goto done;
    for (double eta = lo * 1.1; eta < 1e3; eta *= 1.1) {
        double g = perfect_growth(eta, &c);
        if (isnan(g))
            goto done;
        if (g >= 0.0) {
            hi = eta;
            break;
        }
        lo = eta;
    }
    if (isnan(hi))
        goto done;
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (s == NULL)
        goto done;
    gsl_function F = {perfect_growth, &c};
    if (gsl_root_fsolver_set(s, &F, lo, hi) == GSL_SUCCESS) {
        int status = GSL_CONTINUE;
        for (int iter = 0; iter < 100 && status == GSL_CONTINUE; iter++) {
            if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
                break;
            status = gsl_root_test_interval(gsl_root_fsolver_x_lower(s),
                                            gsl_root_fsolver_x_upper(s), 0.0,
                                            1e-10);
        }
        if (status == GSL_SUCCESS)
            root = gsl_root_fsolver_root(s);
    }
    gsl_root_fsolver_free(s);
done:
    gsl_matrix_free(c.A);
    gsl_matrix_free(c.B);
    gsl_matrix_free(c.work);
    return root;
}
