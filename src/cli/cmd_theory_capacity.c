/* cmd_theory_capacity.c — `pdx theory --curve gardner-capacity |
 * binary-storage | binary-capacity | franz-parisi`: the storage capacities
 * of spherical and binary perceptrons (pdx_theory_gardner_capacity,
 * pdx_theory_binary_storage, pdx_theory_binary_capacity) and the local
 * entropy around typical binary solutions (pdx_theory_franz_parisi) as CSV
 * tables on stdout. Public headers only. */
#include "cmd_theory_capacity.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "pdx/theory.h"

const char *const pdx_cli_theory_capacity_usage =
    "\n"
    "Capacities (docs/THEORY.md, \"Capacities\"):\n"
    "usage: pdx theory --curve NAME [--kappa LIST] [--label-noise F]\n"
    "  gardner-capacity        spherical perceptron: the largest alpha at\n"
    "                          which some weights give every training pattern\n"
    "                          the margin kappa, per --kappa; labels random\n"
    "                          (F = 1, alpha_c = 2 at kappa = 0) unless\n"
    "                          --label-noise F is given (a teacher with a\n"
    "                          fraction F of labels replaced: the\n"
    "                          interpolation threshold; R = teacher overlap\n"
    "                          of the last solutions)\n"
    "  binary-storage          binary (+-1) weights, random labels: the\n"
    "                          replica-symmetric entropy of the solutions at\n"
    "                          each --alpha and the first --kappa\n"
    "  binary-capacity         its zero per --kappa: the Krauth-Mezard\n"
    "                          capacity (0.8331 at kappa = 0)\n"
    "  franz-parisi            binary weights, random labels: the local\n"
    "                          entropy of the solutions at Hamming distance\n"
    "                          d (--distance LIST) from a typical solution,\n"
    "                          per --alpha and the first --kappa (replica\n"
    "                          symmetric; negative near d = 0: typical\n"
    "                          solutions are isolated)\n"
    "      --distance LIST     Hamming distances d in (0, 1/2) (a list as\n"
    "                          --alpha)\n"
    "      --kappa LIST        margins >= 0 (default 0; a list as --alpha)\n";

static const char *const capacity_curves[] = {
    "gardner-capacity", "binary-storage", "binary-capacity", "franz-parisi"};

int pdx_cli_theory_is_capacity(const char *name)
{
    for (size_t i = 0; i < sizeof capacity_curves / sizeof *capacity_curves;
         i++)
        if (name != NULL && strcmp(name, capacity_curves[i]) == 0)
            return 1;
    return 0;
}

/* Binary entropy of d (nats): the alpha -> 0 limit, for comparison. */
static double binary_entropy(double d)
{
    return -d * log(d) - (1.0 - d) * log1p(-d);
}

static int print_franz_parisi(const pdx_cli_capacity_opts *o, double kappa,
                              pdx_theory_workspace *ws)
{
    if (o->n_distance == 0)
        return pdx_cli_usage_error("pdx theory",
                                   "--curve franz-parisi needs --distance "
                                   "D1,D2,... (Hamming distances in (0, "
                                   "1/2))");
    for (size_t j = 0; j < o->n_distance; j++)
        if (!(o->distance[j] > 0.0 && o->distance[j] < 0.5))
            return pdx_cli_usage_error("pdx theory",
                                       "--distance: %g is not in (0, 1/2)",
                                       o->distance[j]);
    printf("alpha,kappa,distance,entropy,storage_entropy,binary_entropy,"
           "q_ref,q1,t,qhat1,that,phat,residual,status\n");
    for (size_t i = 0; i < o->n_alpha; i++) {
        for (size_t j = 0; j < o->n_distance; j++) {
            /* each from the typical point: measured, continuing from the
             * last distance converges more slowly */
            pdx_franz_parisi_point pt;
            pdx_theory_franz_parisi(ws, o->alpha[i], kappa, o->distance[j],
                                    NULL, &pt);
            const double cols[] = {pt.kappa, pt.distance, pt.entropy,
                                   pt.storage_entropy,
                                   binary_entropy(pt.distance), pt.q_ref,
                                   pt.q1, pt.t, pt.qhat1, pt.that, pt.phat,
                                   pt.residual};
            printf("%.10g", pt.alpha);
            for (size_t k = 0; k < sizeof cols / sizeof *cols; k++)
                pdx_cli_put_csv(cols[k]);
            printf(",%s\n", pdx_cli_theory_status(pt.status));
            fflush(stdout);
        }
    }
    return 0;
}

static int run_curve(const char *name, const pdx_cli_capacity_opts *o,
                     pdx_theory_workspace *ws)
{
    static const double zero = 0.0;
    const double *kappa = o->n_kappa > 0 ? o->kappa : &zero;
    size_t n_kappa = o->n_kappa > 0 ? o->n_kappa : 1;
    if (strcmp(name, "gardner-capacity") == 0) {
        double F = o->label_noise_given ? o->label_noise : 1.0;
        printf("kappa,label_noise,flip_probability,alpha_c,R,status\n");
        for (size_t i = 0; i < n_kappa; i++) {
            double a, R;
            int st = pdx_theory_gardner_capacity(ws, kappa[i], F, &a, &R);
            printf("%.10g", kappa[i]);
            pdx_cli_put_csv(F);
            pdx_cli_put_csv(F / 2.0);
            pdx_cli_put_csv(a);
            pdx_cli_put_csv(R);
            printf(",%s\n", pdx_cli_theory_status(st));
        }
        return 0;
    }
    if (strcmp(name, "binary-capacity") == 0) {
        printf("kappa,alpha_c,q,status\n");
        for (size_t i = 0; i < n_kappa; i++) {
            double a, q;
            int st = pdx_theory_binary_capacity(ws, kappa[i], &a, &q);
            printf("%.10g", kappa[i]);
            pdx_cli_put_csv(a);
            pdx_cli_put_csv(q);
            printf(",%s\n", pdx_cli_theory_status(st));
        }
        return 0;
    }
    if (o->n_alpha == 0)
        return pdx_cli_usage_error("pdx theory",
                                   "--curve %s needs --alpha A1,A2,...",
                                   name);
    if (strcmp(name, "franz-parisi") == 0)
        return print_franz_parisi(o, kappa[0], ws);
    printf("alpha,kappa,q,qhat,entropy,annealed_entropy,residual,status\n");
    for (size_t i = 0; i < o->n_alpha; i++) {
        pdx_binary_storage_point pt;
        pdx_theory_binary_storage(ws, o->alpha[i], kappa[0], NULL, &pt);
        printf("%.10g", pt.alpha);
        pdx_cli_put_csv(pt.kappa);
        pdx_cli_put_csv(pt.q);
        pdx_cli_put_csv(pt.qhat);
        pdx_cli_put_csv(pt.entropy);
        pdx_cli_put_csv(pt.annealed_entropy);
        pdx_cli_put_csv(pt.residual);
        printf(",%s\n", pdx_cli_theory_status(pt.status));
    }
    return 0;
}

int pdx_cli_theory_capacity_curve(const char *name,
                                  const pdx_cli_capacity_opts *o)
{
    for (size_t i = 0; i < o->n_kappa; i++)
        if (!(o->kappa[i] >= 0.0))
            return pdx_cli_usage_error("pdx theory",
                                       "--kappa: %g is negative (the "
                                       "replica-symmetric capacities are "
                                       "exact or established only for "
                                       "kappa >= 0)",
                                       o->kappa[i]);
    if (o->label_noise_given && strcmp(name, "gardner-capacity") != 0 &&
        o->label_noise != 1.0)
        return pdx_cli_usage_error("pdx theory",
                                   "--label-noise: %s has random labels "
                                   "only",
                                   name);
    pdx_theory_workspace *ws = NULL;
    pdx_error err;
    if (pdx_theory_workspace_create(&ws, &err) != PDX_OK)
        return pdx_cli_report(&err);
    int rc = run_curve(name, o, ws);
    pdx_theory_workspace_destroy(&ws);
    return rc;
}
