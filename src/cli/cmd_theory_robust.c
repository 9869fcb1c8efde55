/* cmd_theory_robust.c — `pdx theory --curve NAME --budgets E1,E2,...`:
 * the robust error of perceptron students in closed form
 * (pdx_theory_robust_error, docs/THEORY.md) along a perceptron curve. */
#include "cmd_theory_robust.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"

#include "pdx/spec.h"


int pdx_cli_theory_robust_rows(pdx_theory_kind kind, const double *alpha,
                               const pdx_perceptron_point *pts, size_t n,
                               double T, double label_noise,
                               int teacher_binary,
                               const pdx_cli_robust_opts *o, int header)
{
    int student_binary =
        kind == PDX_THEORY_GIBBS_ISING || kind == PDX_THEORY_HEBB_CLIPPED;
    const char *norm = o->norm == PDX_NORM_LINF ? "linf" : "l2";
    if (header)
        printf("alpha,T,label_noise,R,norm,N,budget,robust_error,"
               "robust_error_consistent,robust_distance,status\n");
    for (size_t i = 0; i < n; i++) {
        const pdx_perceptron_point *p = &pts[i];
        int solved = p->status == PDX_THEORY_SOLVED;
        double rho = pdx_theory_robust_l1_ratio(p->R, teacher_binary,
                                                student_binary);
        double d = solved ? pdx_theory_robust_distance(p->R, o->norm, o->N,
                                                       rho)
                          : NAN;
        for (size_t j = 0; j < o->n_budgets; j++) {
            double e = solved ? pdx_theory_robust_error(
                                    p->R, pdx_theory_robust_kappa(
                                              o->norm, o->budgets[j], o->N,
                                              rho))
                              : NAN;
            double ec = solved && o->norm == PDX_NORM_L2
                            ? pdx_theory_robust_error_consistent(
                                  p->R, o->budgets[j])
                            : NAN;
            printf("%.10g,%.10g,%.10g,%.10g,%s,%.10g,%.10g,%.10g,%.10g,%.10g,"
                   "%s\n",
                   alpha[i], T, label_noise, p->R, norm, o->N, o->budgets[j],
                   e, ec, d,
                   solved ? "solved"
                          : p->status == PDX_THEORY_NOT_APPLICABLE
                                ? "not_applicable"
                                : "not_converged");
        }
    }
    return 0;
}

/* A comma-separated list of numbers >= 0 into *out (malloc'd). */
static int parse_budgets(const char *text, double **out, size_t *n)
{
    size_t cap = 1;
    for (const char *c = text; *c; c++)
        cap += *c == ',';
    double *v = malloc(cap * sizeof *v);
    if (v == NULL)
        return -1;
    size_t k = 0;
    const char *c = text;
    while (k < cap) {
        char *end;
        v[k] = strtod(c, &end);
        if (end == c || !(v[k] >= 0.0) || !isfinite(v[k]) ||
            (*end != ',' && *end != '\0')) {
            free(v);
            return -1;
        }
        k++;
        if (*end == '\0')
            break;
        c = end + 1;
    }
    *out = v;
    *n = k;
    return 0;
}

int pdx_cli_theory_robust_option(int is_norm, const char *arg,
                                 pdx_cli_robust_opts *o)
{
    if (is_norm) {
        if (strcmp(arg, "l2") != 0 && strcmp(arg, "linf") != 0)
            return pdx_cli_usage_error("pdx theory",
                                       "--norm: '%s' is not l2 or linf", arg);
        o->norm = strcmp(arg, "linf") == 0 ? PDX_NORM_LINF : PDX_NORM_L2;
        return -1;
    }
    free(o->budgets);
    o->budgets = NULL;
    o->n_budgets = 0;
    if (parse_budgets(arg, &o->budgets, &o->n_budgets) != 0)
        return pdx_cli_usage_error("pdx theory",
                                   "--budgets: '%s' is not a list of numbers "
                                   ">= 0 (E1,E2,...)",
                                   arg);
    return -1;
}
