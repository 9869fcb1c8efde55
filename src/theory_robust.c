/* theory_robust.c — the robust error of perceptron students in closed
 * form from the overlap R (issue 18; docs/THEORY.md, "Robust error"). */
#include "pdx/theory.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>

#include "pdx/spec.h"

/* Phi(z), the standard normal distribution function. */
static double normal_cdf(double z)
{
    return 0.5 * erfc(-z / M_SQRT2);
}

typedef struct robust_ctx {
    double c;          /* R / sqrt(1 - R^2) */
    double kappa;      /* the budget's margin shift */
    int consistent;    /* 1: min(c x, sqrt(kappa^2 - x^2)) */
} robust_ctx;

static double robust_integrand(double x, void *params)
{
    const robust_ctx *ctx = params;
    double z = x > 0.0 ? ctx->c * x : 0.0;
    if (ctx->consistent) {
        double w = ctx->kappa * ctx->kappa - x * x;
        double s = sqrt(w > 0.0 ? w : 0.0);
        z = z < s ? z : s;
    }
    return exp(-0.5 * x * x) / sqrt(2.0 * M_PI) * normal_cdf(z);
}

/* arccos(R)/pi + 2 int_0^kappa Dx Phi(z(x)), z as robust_integrand. */
static double robust_integral(double R, double kappa, int consistent)
{
    if (isnan(R) || isnan(kappa) || kappa < 0.0)
        return NAN;
    R = R > 1.0 ? 1.0 : R < -1.0 ? -1.0 : R;
    double clean = acos(R) / M_PI;
    if (kappa == 0.0)
        return clean;
    double top = kappa < 40.0 ? kappa : 40.0; /* Dx is 0 beyond */
    if (R >= 1.0 && !consistent)
        return 2.0 * (normal_cdf(top) - 0.5);
    if (R <= -1.0)
        return 1.0;
    robust_ctx ctx = {R < 1.0 ? R / sqrt(1.0 - R * R) : INFINITY, kappa,
                      consistent};
    gsl_function f = {robust_integrand, &ctx};
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(200);
    if (ws == NULL)
        return NAN;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    double value = NAN, abserr;
    int st = gsl_integration_qag(&f, 0.0, top, 1e-14, 1e-12, 200,
                                 GSL_INTEG_GAUSS41, ws, &value, &abserr);
    gsl_set_error_handler(old);
    gsl_integration_workspace_free(ws);
    if (st != GSL_SUCCESS && !(abserr < 1e-9))
        return NAN;
    double e = clean + 2.0 * value;
    return e > 1.0 ? 1.0 : e;
}

double pdx_theory_robust_error(double R, double kappa)
{
    return robust_integral(R, kappa, 0);
}

double pdx_theory_robust_error_consistent(double R, double kappa)
{
    return robust_integral(R, kappa, 1);
}

double pdx_theory_robust_l1_ratio(double R, int teacher_binary,
                                  int student_binary)
{
    if (student_binary)
        return 1.0;
    if (!teacher_binary || isnan(R))
        return sqrt(2.0 / M_PI);
    R = fabs(R) > 1.0 ? 1.0 : fabs(R);
    double s = sqrt(1.0 - R * R);
    if (s == 0.0)
        return 1.0; /* the binary teacher itself */
    return R * (1.0 - 2.0 * normal_cdf(-R / s)) +
           s * sqrt(2.0 / M_PI) * exp(-0.5 * R * R / (s * s));
}

double pdx_theory_robust_kappa(int norm, double eps, double N, double rho)
{
    return norm == PDX_NORM_LINF ? eps * rho * sqrt(N) : eps;
}

double pdx_theory_robust_distance(double R, int norm, double N, double rho)
{
    double d = (1.0 + R) / sqrt(2.0 * M_PI);
    return norm == PDX_NORM_LINF ? d / (rho * sqrt(N)) : d;
}
