/* cmd_theory_deep.c — `pdx theory --curve deep-order-chaos | deep-scales |
 * deep-layers`: the mean-field theory of random deep networks
 * (pdx_theory_deep_*) as CSV tables on stdout. Public headers only. */
#include "cmd_theory_deep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "pdx/theory.h"

const char *const pdx_cli_theory_deep_usage =
    "\n"
    "Random deep networks, mean-field theory (Poole et al. 2016, Schoenholz\n"
    "et al. 2017; W ~ N(0, sigma_w2/fan_in), b ~ N(0, sigma_b2); docs/THEORY.md):\n"
    "With SPEC, cells with student.kind deep get deep-mean-field: q_star,\n"
    "c_star, chi_1, chi_c, slope_q, xi_q, xi_c, xi_grad, sigma_w2_critical,\n"
    "trainable_depth (6 xi_c); propagate cells also q_layer, c_layer,\n"
    "chi_layer and curve_length_layer on the results' layer dimension.\n"
    "usage: pdx theory --curve deep-NAME --sigma-b2 LIST [options]\n"
    "  deep-order-chaos        the order-to-chaos line: sigma_w2 at chi_1 = 1\n"
    "                          for each --sigma-b2\n"
    "  deep-scales             q*, c*, chi_1, chi_c, the slope of the length\n"
    "                          map, the depth scales xi_q, xi_c and xi_grad\n"
    "                          over --sigma-w2 x --sigma-b2\n"
    "  deep-layers             q^l and c^l for l = 1 .. --depth from inputs\n"
    "                          of length --q0 and correlation --c0\n"
    "                          (docs/THEORY.md)\n"
    "      --activation A      deep curves: tanh (default), erf (erf(z/sqrt 2)),\n"
    "                          relu, linear, hard_tanh or sigmoid\n"
    "      --sigma-w2 LIST     deep curves: weight variances times fan-in (> 0;\n"
    "                          a list as --alpha)\n"
    "      --sigma-b2 LIST     deep curves: bias variances (>= 0)\n"
    "      --q0 Q              deep-layers: input length |x|^2/N (1)\n"
    "      --c0 LIST           deep-layers: input correlation(s) in [-1, 1]\n"
    "                          (0.5)\n"
    "      --depth L           deep-layers: number of layers\n"
;

static const char *const deep_curves[] = {"deep-order-chaos", "deep-scales",
                                          "deep-layers"};

int pdx_cli_theory_is_deep(const char *name)
{
    for (size_t i = 0; i < sizeof deep_curves / sizeof *deep_curves; i++)
        if (name != NULL && strcmp(name, deep_curves[i]) == 0)
            return 1;
    return 0;
}

/* The activation of --activation (tanh when not given), or -1. */
static int deep_activation(const char *name)
{
    static const struct {
        const char *name;
        int act;
    } acts[] = {{"tanh", PDX_ACT_TANH},
                {"erf", PDX_ACT_ERF},
                {"relu", PDX_ACT_RELU},
                {"linear", PDX_ACT_LINEAR},
                {"hard_tanh", PDX_ACT_HARD_TANH},
                {"sigmoid", PDX_ACT_SIGMOID}};
    if (name == NULL)
        return PDX_ACT_TANH;
    for (size_t i = 0; i < sizeof acts / sizeof *acts; i++)
        if (strcmp(name, acts[i].name) == 0)
            return acts[i].act;
    return -1;
}

static int check_list(const char *option, const double *v, size_t n,
                      double min, int strict)
{
    for (size_t i = 0; i < n; i++)
        if (strict ? !(v[i] > min) : !(v[i] >= min))
            return pdx_cli_usage_error("pdx theory",
                                       "%s: %g is not %s %g", option, v[i],
                                       strict ? ">" : ">=", min);
    return 0;
}

static int order_chaos(pdx_theory_workspace *ws, int act, const char *aname,
                       const pdx_cli_deep_opts *o)
{
    printf("activation,sigma_b2,sigma_w2,q_star,status\n");
    for (size_t i = 0; i < o->n_sigma_b2; i++) {
        pdx_deep_critical cr;
        pdx_error err;
        pdx_error_clear(&err);
        if (pdx_theory_deep_critical(ws, act, o->sigma_b2[i], &cr, &err) !=
            PDX_OK)
            return pdx_cli_report(&err);
        printf("%s", aname);
        pdx_cli_put_csv(o->sigma_b2[i]);
        pdx_cli_put_csv(cr.sigma_w2);
        pdx_cli_put_csv(cr.q_star);
        printf(",%s\n", pdx_cli_theory_status(cr.status));
    }
    return 0;
}

static int scales(pdx_theory_workspace *ws, int act, const char *aname,
                  const pdx_cli_deep_opts *o)
{
    printf("activation,sigma_w2,sigma_b2,q_star,c_star,chi_1,chi_c,slope_q,"
           "xi_q,xi_c,xi_grad,status\n");
    for (size_t b = 0; b < o->n_sigma_b2; b++)
        for (size_t w = 0; w < o->n_sigma_w2; w++) {
            pdx_deep_problem pb = {act, o->sigma_w2[w], o->sigma_b2[b], 0};
            pdx_deep_point p;
            pdx_error err;
            pdx_error_clear(&err);
            if (pdx_theory_deep_point(ws, &pb, &p, &err) != PDX_OK)
                return pdx_cli_report(&err);
            printf("%s", aname);
            const double v[] = {pb.sigma_w2, pb.sigma_b2, p.q_star,
                                p.c_star,    p.chi_1,     p.chi_c,
                                p.slope_q,   p.xi_q,      p.xi_c,
                                p.xi_grad};
            for (size_t k = 0; k < sizeof v / sizeof *v; k++)
                pdx_cli_put_csv(v[k]);
            printf(",%s\n", pdx_cli_theory_status(p.status));
        }
    return 0;
}

static int layers(pdx_theory_workspace *ws, int act, const char *aname,
                  const pdx_cli_deep_opts *o)
{
    static const double default_c0 = 0.5;
    const double *c0 = o->c0 != NULL ? o->c0 : &default_c0;
    size_t n_c0 = o->c0 != NULL ? o->n_c0 : 1;
    size_t depth = (size_t)o->depth;
    double *q = malloc(depth * sizeof *q), *c = malloc(depth * sizeof *c);
    if (q == NULL || c == NULL) {
        free(q);
        free(c);
        fprintf(stderr, "pdx: error: out of memory\n");
        return 1;
    }
    int rc = 0;
    printf("activation,sigma_w2,sigma_b2,q0,c0,layer,q,c,q_star,c_star,"
           "status\n");
    for (size_t b = 0; b < o->n_sigma_b2 && rc == 0; b++)
        for (size_t w = 0; w < o->n_sigma_w2 && rc == 0; w++)
            for (size_t k = 0; k < n_c0 && rc == 0; k++) {
                pdx_deep_problem pb = {act, o->sigma_w2[w], o->sigma_b2[b],
                                       0};
                pdx_deep_point p;
                pdx_error err;
                pdx_error_clear(&err);
                int st = PDX_THEORY_PENDING;
                if (pdx_theory_deep_point(ws, &pb, &p, &err) != PDX_OK ||
                    pdx_theory_deep_layers(ws, &pb, o->q0, c0[k], depth, q,
                                           c, NULL, &st, &err) != PDX_OK) {
                    rc = pdx_cli_report(&err);
                    break;
                }
                for (size_t l = 0; l < depth; l++) {
                    printf("%s", aname);
                    pdx_cli_put_csv(pb.sigma_w2);
                    pdx_cli_put_csv(pb.sigma_b2);
                    pdx_cli_put_csv(o->q0);
                    pdx_cli_put_csv(c0[k]);
                    printf(",%zu", l + 1);
                    pdx_cli_put_csv(q[l]);
                    pdx_cli_put_csv(c[l]);
                    pdx_cli_put_csv(p.q_star);
                    pdx_cli_put_csv(p.c_star);
                    printf(",%s\n", pdx_cli_theory_status(st));
                }
            }
    free(q);
    free(c);
    return rc;
}

int pdx_cli_theory_deep_curve(const char *name, const pdx_cli_deep_opts *o)
{
    int act = deep_activation(o->activation);
    if (act < 0)
        return pdx_cli_usage_error("pdx theory",
                                   "--activation: '%s' is not tanh, erf, "
                                   "relu, linear, hard_tanh or sigmoid",
                                   o->activation);
    const char *aname = o->activation != NULL ? o->activation : "tanh";
    int order = strcmp(name, "deep-order-chaos") == 0;
    if (o->sigma_b2 == NULL)
        return pdx_cli_usage_error("pdx theory",
                                   "--curve %s needs --sigma-b2 LIST", name);
    if (!order && o->sigma_w2 == NULL)
        return pdx_cli_usage_error("pdx theory",
                                   "--curve %s needs --sigma-w2 LIST", name);
    int rc = check_list("--sigma-b2", o->sigma_b2, o->n_sigma_b2, 0.0, 0);
    if (rc == 0 && o->sigma_w2 != NULL)
        rc = check_list("--sigma-w2", o->sigma_w2, o->n_sigma_w2, 0.0, 1);
    if (rc != 0)
        return rc;
    if (strcmp(name, "deep-layers") == 0) {
        if (o->depth < 1)
            return pdx_cli_usage_error("pdx theory",
                                       "--curve deep-layers needs --depth L "
                                       "(L >= 1)");
        for (size_t i = 0; o->c0 != NULL && i < o->n_c0; i++)
            if (!(o->c0[i] >= -1.0 && o->c0[i] <= 1.0))
                return pdx_cli_usage_error("pdx theory",
                                           "--c0: %g is not in [-1, 1]",
                                           o->c0[i]);
    }
    pdx_theory_workspace *ws = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_theory_workspace_create(&ws, &err) != PDX_OK)
        return pdx_cli_report(&err);
    rc = order ? order_chaos(ws, act, aname, o)
         : strcmp(name, "deep-scales") == 0 ? scales(ws, act, aname, o)
                                             : layers(ws, act, aname, o);
    pdx_theory_workspace_destroy(&ws);
    fflush(stdout);
    return rc;
}
