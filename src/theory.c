/* theory.c — shared numerics of the theory module (special functions,
 * Gaussian integrals, workspace), names of the theories. The perceptron
 * theories are in theory_perceptron.c, the committee-machine ODEs in
 * theory_scm.c, the evaluation of a spec's grid in theory_grid.c. */
#include "pdx/theory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_erf.h>

#include "theory_internal.h"

static const char *const theory_names[PDX_THEORY_KIND_COUNT] = {
    [PDX_THEORY_NONE] = "none",
    [PDX_THEORY_HEBB] = "hebb",
    [PDX_THEORY_HEBB_CLIPPED] = "hebb-clipped",
    [PDX_THEORY_GIBBS_SPHERICAL] = "gibbs-spherical",
    [PDX_THEORY_GIBBS_HIGH_T] = "gibbs-high-temperature",
    [PDX_THEORY_BAYES_SPHERICAL] = "bayes-spherical",
    [PDX_THEORY_GIBBS_ISING] = "gibbs-ising",
    [PDX_THEORY_SCM_ODE] = "scm-ode",
    [PDX_THEORY_DEEP] = "deep-mean-field",
};

void pdx_theory_init(void)
{
    gsl_set_error_handler_off();
}

const char *pdx_theory_name(pdx_theory_kind kind)
{
    if ((int)kind < 0 || kind >= PDX_THEORY_KIND_COUNT)
        return "none";
    return theory_names[kind];
}

int pdx_theory_find(const char *name)
{
    if (name == NULL)
        return -1;
    for (int k = 0; k < PDX_THEORY_KIND_COUNT; k++)
        if (strcmp(theory_names[k], name) == 0)
            return k;
    return -1;
}

double pdx_theory_H(double x)
{
    return 0.5 * erfc(x / M_SQRT2);
}

double pdx_theory_log_H(double x)
{
    /* gsl_sf_log_erfc is accurate for any x, including where erfc
     * underflows (x/sqrt 2 > 26.5). */
    return gsl_sf_log_erfc(x / M_SQRT2) - M_LN2;
}

double pdx_theory_mills(double x)
{
    /* gsl_sf_hazard(x) = exp(-x^2/2) / (sqrt(2 pi) Q(x)), Q = H. */
    return gsl_sf_hazard(x);
}

double pdx_th_phi(double x)
{
    return exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
}

double pdx_th_logaddexp(double a, double b)
{
    if (a == -INFINITY)
        return b;
    if (b == -INFINITY)
        return a;
    double m = a > b ? a : b;
    return m + log1p(exp(-fabs(a - b)));
}

pdx_status pdx_theory_workspace_create(pdx_theory_workspace **out,
                                       pdx_error *err)
{
    *out = NULL;
    pdx_theory_workspace *ws = calloc(1, sizeof *ws);
    if (ws != NULL)
        ws->quad = gsl_integration_workspace_alloc(PDX_TH_QUAD_LIMIT);
    if (ws == NULL || ws->quad == NULL) {
        free(ws);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate a theory workspace");
    }
    *out = ws;
    return PDX_OK;
}

void pdx_theory_workspace_destroy(pdx_theory_workspace **ws)
{
    if (ws == NULL || *ws == NULL)
        return;
    gsl_integration_workspace_free((*ws)->quad);
    free(*ws);
    *ws = NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct gsl_adapter {
    pdx_th_fn f;
    void *params;
} gsl_adapter;

static double call_adapter(double t, void *p)
{
    const gsl_adapter *a = p;
    double v = a->f(t, a->params);
    return isfinite(v) ? v : 0.0; /* 0 * inf in far tails */
}

int pdx_th_integrate(pdx_theory_workspace *ws, pdx_th_fn f, void *params,
                     double center, const double *scales, size_t n_scales,
                     double *result)
{
    enum { MAX_POINTS = 64 };
    static const double multiples[] = {0.25, 1.0, 2.0, 4.0, 8.0, 16.0};
    double lo = -16.0, hi = 16.0;
    if (isfinite(center)) {
        if (center - 16.0 < lo)
            lo = fmax(center - 16.0, -60.0);
        if (center + 16.0 > hi)
            hi = fmin(center + 16.0, 60.0);
    } else {
        center = 0.0;
    }
    double pts[MAX_POINTS];
    size_t n = 0;
    pts[n++] = lo;
    pts[n++] = hi;
    pts[n++] = 0.0;
    if (center > lo && center < hi)
        pts[n++] = center;
    for (size_t s = 0; s < n_scales; s++) {
        double w = fabs(scales[s]);
        if (!(w > 0.0) || !isfinite(w))
            continue;
        /* around 0 and, if elsewhere, around the centre */
        const double origins[2] = {0.0, center};
        for (size_t o = 0; o < (center != 0.0 ? 2u : 1u); o++)
            for (size_t m = 0; m < sizeof multiples / sizeof *multiples; m++)
                for (int sign = -1; sign <= 1 && n < MAX_POINTS; sign += 2) {
                    double p = origins[o] + sign * multiples[m] * w;
                    if (p > lo && p < hi)
                        pts[n++] = p;
                }
    }
    qsort(pts, n, sizeof *pts, by_value);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || pts[i] - pts[k - 1] >
                          1e-9 + 0.05 * fmin(fabs(pts[i]), fabs(pts[k - 1])))
            pts[k++] = pts[i];
    /* qag (Gauss-Kronrod 61) on every interval between break points: the
     * integrands are smooth, and qagp's extrapolation misreads their
     * underflowing tails as round-off (GSL_EROUND on a Gaussian). */
    gsl_adapter adapter = {f, params};
    gsl_function F = {call_adapter, &adapter};
    double total = 0.0, total_err = 0.0;
    int rc = GSL_SUCCESS;
    for (size_t i = 0; i + 1 < k; i++) {
        double part = 0.0, part_err = 0.0;
        int r = gsl_integration_qag(&F, pts[i], pts[i + 1], 1e-15, 1e-11,
                                    PDX_TH_QUAD_LIMIT, GSL_INTEG_GAUSS61,
                                    ws->quad, &part, &part_err);
        if (r != GSL_SUCCESS && rc == GSL_SUCCESS)
            rc = r;
        total += part;
        total_err += part_err;
    }
    *result = total;
    if (rc != GSL_SUCCESS && isfinite(total) &&
        total_err <= 1e-9 * (1.0 + fabs(total)))
        rc = GSL_SUCCESS; /* round-off limited, but accurate enough */
    if (!isfinite(total))
        rc = rc != GSL_SUCCESS ? rc : GSL_EFAILED;
    return rc;
}
