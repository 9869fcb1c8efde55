/* cmd_theory.c — `pdx theory`: a spec's grid into a theory file, or one
 * curve as CSV on stdout. Public headers only. */
#include "cli_common.h"
#include "cmd_theory_capacity.h"
#include "cmd_theory_deep.h"
#include "cmd_theory_robust.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/rng.h"
#include "pdx/run.h"
#include "pdx/spec.h"
#include "pdx/store.h"
#include "pdx/theory.h"
#include "version.h"

#ifndef PDX_VERSION
#define PDX_VERSION "unknown"
#endif

static const char *const theory_usage =
    "usage: pdx theory SPEC [KEY=VALUE ...] [-o OUT] [--force] [--quiet]\n"
    "       pdx theory --curve NAME --alpha A1,A2,... [options]\n"
    "\n"
    "Statistical-mechanics predictions (GSL) of the learning problems pdx\n"
    "simulates.\n"
    "\n"
    "With SPEC: evaluate every cell of the spec's grid where a theory applies\n"
    "and write OUT (default <name>-theory.h5) in the layout of result files\n"
    "(same coordinates, no replica dimension, root attribute source =\n"
    "\"theory\", per-cell status solved / not_applicable / not_converged and\n"
    "the formula in `theory`; docs/FORMAT.md, \"Theory files\"):\n"
    "  perceptron teacher and student, train.algorithm hebb      -> hebb\n"
    "    (student.weights binary: hebb-clipped), at every time (epochs)\n"
    "  ... metropolis, student.weights spherical / binary        ->\n"
    "    gibbs-spherical / gibbs-ising at train.temperature (equilibrium)\n"
    "  erf committees, train.algorithm online                    -> scm-ode\n"
    "    (initial overlaps of typical size 1/sqrt(N), see --init)\n"
    "\n"
    "With --curve: print a CSV table (header row) on stdout. Curves:\n"
    "  hebb                    Hebb rule, spherical or continuous student\n"
    "  hebb-clipped            Hebb rule clipped to binary weights\n"
    "  gibbs-spherical         Gibbs learning at T, energy = training errors\n"
    "                          (replica symmetric; T = 0: version space)\n"
    "  gibbs-high-temperature  its T -> infinity limit, eg(alpha/T)\n"
    "  bayes-spherical         Bayes-optimal student\n"
    "  gibbs-ising             binary weights and teacher: poor and perfect\n"
    "                          branches, alpha_c(T), spinodal, phase\n"
    "  scm-ode                 online SGD of erf committees (Saad-Solla ODEs);\n"
    "                          alpha is the training time steps/N; R is each\n"
    "                          student unit's largest R_km, averaged over k\n"
    "  deep-*                  random deep networks: below\n"
    "\n";

/* the options (a second string: ISO C's 4095-character limit) */
static const char *const theory_usage_options =
    "  -o, --output OUT        theory file (SPEC mode). Overwrite policy (as\n"
    "                          pdx run and pdx merge): a theory file of this\n"
    "                          spec is left as it is (nothing to do); one of\n"
    "                          another spec is replaced only with --force; a\n"
    "                          result file, a spec or any other file is never\n"
    "                          written over, even with --force. If OUT is a\n"
    "                          symbolic link, its target is written\n"
    "  -f, --force             recompute and replace OUT (a theory file)\n"
    "  -q, --quiet             no summary on stderr (SPEC mode)\n"
    "      --curve NAME        one of the curves above\n"
    "      --alpha LIST        A1,A2,... or lin:START:STOP:N or log:START:STOP:N\n"
    "      --T LIST            temperature(s) (gibbs-*; default 0); a list gives\n"
    "                          one block of rows per temperature, e.g. the\n"
    "                          transition line alpha_c(T) of gibbs-ising\n"
    "      --label-noise F     fraction of training labels replaced by random\n"
    "                          ones, as data.label_noise (flip probability F/2)\n"
    "      --teacher KIND      gaussian or binary teacher weights (default:\n"
    "                          binary for gibbs-ising and hebb-clipped)\n"
    "      --epochs E          passes of the Hebb rule over the data (1; pdx's\n"
    "                          trainer makes one: E < 1 is a part of the set,\n"
    "                          E > 1 the model of repeated passes)\n"
    "      --both-branches     gibbs-ising: also the poor and perfect branches\n"
    "      --eta ETA           scm-ode learning rate (0.5)\n"
    "      --eta-second ETA    second-layer learning rate; trains it\n"
    "      --K K, --M M        student and teacher hidden units (2, 2)\n"
    "      --noise SIGMA       teacher output noise std (scm-ode)\n"
    "      --init-scale S      initial weight std (1e-3)\n"
    "      --second-layer-init V  initial v_k (1)\n"
    "      --N N               input dimension for the initial overlaps (500)\n"
    "      --fixed-points      scm-ode: the symmetric fixed points, stability\n"
    "                          and the one visited (docs/FORMAT.md)\n"
    "      --budgets LIST      perceptron curves: the robust error at these\n"
    "                          budgets eps instead of the curve's columns, a\n"
    "                          row per alpha and budget (docs/THEORY.md)\n"
    "      --norm NORM         l2 (default) or linf budgets (linf: with --N)\n"
    "      --init MODE         typical (default): R, Q off-diagonal of size\n"
    "                          s/sqrt(N); expected: R = 0 exactly (the\n"
    "                          symmetric trajectory, stays on the plateau)\n"
    "      --replica-teachers  SPEC mode, scm-ode cells: integrate each\n"
    "                          replica's own teacher overlaps T (drawn from\n"
    "                          seed and replica as pdx run draws them, with\n"
    "                          teacher.normalise) and write the mean over\n"
    "                          the replicas: like for like with the\n"
    "                          simulation's replica mean (default OUT\n"
    "                          <name>-theory-replicas.h5; an existing OUT of\n"
    "                          the same spec is replaced only with --force)\n"
    "\n"
    "Exit codes: 0 ok (points that do not converge are marked, not errors),\n"
    "1 runtime failure, 2 bad usage, bad spec or a refused output (see\n"
    "--output).\n";

static int parse_double(const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* "1,2,3", "lin:a:b:n" or "log:a:b:n" into a new array. */
static int parse_alpha_list(const char *text, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (strncmp(text, "lin:", 4) == 0 || strncmp(text, "log:", 4) == 0) {
        int is_log = text[1] == 'o';
        double a, b;
        long count;
        char tail;
        if (sscanf(text + 4, "%lf:%lf:%ld%c", &a, &b, &count, &tail) != 3 ||
            count < 1 || count > 1000000 || (is_log && (a <= 0 || b <= 0)))
            return -1;
        double *v = malloc((size_t)count * sizeof *v);
        if (v == NULL)
            return -1;
        for (long i = 0; i < count; i++) {
            double f = count > 1 ? (double)i / (double)(count - 1) : 0.0;
            v[i] = is_log ? a * pow(b / a, f) : a + (b - a) * f;
        }
        *out = v;
        *n = (size_t)count;
        return 0;
    }
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    double *v = malloc(cap * sizeof *v);
    char *copy = strdup(text);
    if (v == NULL || copy == NULL) {
        free(v);
        free(copy);
        return -1;
    }
    size_t k = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (parse_double(tok, &v[k]) != 0) {
            free(v);
            free(copy);
            return -1;
        }
        k++;
    }
    free(copy);
    if (k == 0) {
        free(v);
        return -1;
    }
    *out = v;
    *n = k;
    return 0;
}

static const char *const phase_names[] = {"none", "poor", "perfect-metastable",
                                          "perfect"};

/* ------------------------------------------------------------------------ */
/* --curve                                                                   */

typedef struct curve_opts {
    const char *name;
    double *alpha;
    size_t n_alpha;
    double T, label_noise, epochs;
    double *Ts;  /* --T list (gibbs curves: one block of rows each) */
    size_t n_T;
    int teacher; /* -1 default, 0 gaussian, 1 binary */
    int both;
    int fixed_points; /* scm-ode: the table of symmetric fixed points */
    pdx_scm_problem scm;
    int eta_second_given;
    pdx_cli_deep_opts deep;
    pdx_cli_capacity_opts capacity;
    pdx_cli_robust_opts robust; /* --budgets, --norm */
} curve_opts;

/* The CSV header row of a perceptron curve. */
static void print_perceptron_header(pdx_theory_kind kind, const curve_opts *o)
{
    switch (kind) {
    case PDX_THEORY_NONE: break;
    case PDX_THEORY_HEBB:
    case PDX_THEORY_HEBB_CLIPPED:
        printf("alpha,epochs,label_noise,eg,R,eg_large_alpha,status\n");
        break;
    case PDX_THEORY_GIBBS_SPHERICAL:
        printf("alpha,T,label_noise,eg,R,q,train_error,train_error_clean,"
               "phi,eg_large_alpha,residual,status\n");
        break;
    case PDX_THEORY_GIBBS_HIGH_T:
        printf("alpha,T,alpha_over_T,label_noise,eg,R,q,train_error,phi,"
               "eg_large_alpha,status\n");
        break;
    case PDX_THEORY_BAYES_SPHERICAL:
        printf("alpha,label_noise,eg,R,q,eg_large_alpha,residual,status\n");
        break;
    default:
        printf("alpha,T,label_noise,phase,eg,R,q,train_error,phi,alpha_c,"
               "alpha_spinodal");
        if (o->both)
            printf(",eg_poor,R_poor,q_poor,phi_poor,eg_perfect,phi_perfect");
        printf(",residual,status\n");
        break;
    }
}

static int print_perceptron_rows(pdx_theory_kind kind, const curve_opts *o,
                                 int header)
{
    pdx_perceptron_problem pb;
    pb.temperature = o->T;
    pb.label_noise = 0.5 * o->label_noise;
    int binary_default = kind == PDX_THEORY_GIBBS_ISING ||
                         kind == PDX_THEORY_HEBB_CLIPPED;
    pb.teacher_binary = o->teacher < 0 ? binary_default : o->teacher;
    pdx_perceptron_point *pts = calloc(o->n_alpha, sizeof *pts);
    if (pts == NULL)
        return 1;
    pdx_error err;
    pdx_error_clear(&err);
    pdx_status st = PDX_OK;
    if (kind == PDX_THEORY_HEBB || kind == PDX_THEORY_HEBB_CLIPPED) {
        for (size_t i = 0; i < o->n_alpha && st == PDX_OK; i++) {
            if (!(o->alpha[i] > 0.0))
                st = pdx_error_set(&err, PDX_ERR_USAGE, NULL, 0, 0, "alpha",
                                   "theory: alpha must be > 0, not %g",
                                   o->alpha[i]);
            else
                pdx_theory_hebb_at(kind, &pb, o->alpha[i], o->epochs,
                                   &pts[i]);
        }
    } else {
        pdx_theory_workspace *ws = NULL;
        st = pdx_theory_workspace_create(&ws, &err);
        if (st == PDX_OK)
            st = pdx_theory_perceptron(ws, kind, &pb, o->alpha, o->n_alpha,
                                       pts, &err);
        pdx_theory_workspace_destroy(&ws);
    }
    if (st != PDX_OK) {
        free(pts);
        return pdx_cli_report(&err);
    }
    if (o->robust.n_budgets > 0) { /* the robust error (issue 18) */
        int rc = pdx_cli_theory_robust_rows(kind, o->alpha, pts, o->n_alpha,
                                            o->T, o->label_noise,
                                            pb.teacher_binary, &o->robust,
                                            header);
        free(pts);
        return rc;
    }
    if (header)
        print_perceptron_header(kind, o);
    for (size_t i = 0; i < o->n_alpha; i++) {
        const pdx_perceptron_point *p = &pts[i];
        printf("%.10g", o->alpha[i]);
        switch (kind) {
        case PDX_THEORY_HEBB:
        case PDX_THEORY_HEBB_CLIPPED:
            pdx_cli_put_csv(o->epochs);
            pdx_cli_put_csv(o->label_noise);
            pdx_cli_put_csv(p->eg);
            pdx_cli_put_csv(p->R);
            pdx_cli_put_csv(p->eg_large_alpha);
            break;
        case PDX_THEORY_GIBBS_SPHERICAL:
            pdx_cli_put_csv(o->T);
            pdx_cli_put_csv(o->label_noise);
            pdx_cli_put_csv(p->eg);
            pdx_cli_put_csv(p->R);
            pdx_cli_put_csv(p->q);
            pdx_cli_put_csv(p->et);
            pdx_cli_put_csv(p->et_clean);
            pdx_cli_put_csv(p->phi);
            pdx_cli_put_csv(p->eg_large_alpha);
            pdx_cli_put_csv(p->residual);
            break;
        case PDX_THEORY_GIBBS_HIGH_T:
            pdx_cli_put_csv(o->T);
            pdx_cli_put_csv(o->T > 0.0 ? o->alpha[i] / o->T : NAN);
            pdx_cli_put_csv(o->label_noise);
            pdx_cli_put_csv(p->eg);
            pdx_cli_put_csv(p->R);
            pdx_cli_put_csv(p->q);
            pdx_cli_put_csv(p->et);
            pdx_cli_put_csv(p->phi);
            pdx_cli_put_csv(p->eg_large_alpha);
            break;
        case PDX_THEORY_BAYES_SPHERICAL:
            pdx_cli_put_csv(o->label_noise);
            pdx_cli_put_csv(p->eg);
            pdx_cli_put_csv(p->R);
            pdx_cli_put_csv(p->q);
            pdx_cli_put_csv(p->eg_large_alpha);
            pdx_cli_put_csv(p->residual);
            break;
        default:
            pdx_cli_put_csv(o->T);
            pdx_cli_put_csv(o->label_noise);
            printf(",%s", phase_names[p->phase >= 0 && p->phase <= 3
                                          ? p->phase
                                          : 0]);
            pdx_cli_put_csv(p->eg);
            pdx_cli_put_csv(p->R);
            pdx_cli_put_csv(p->q);
            pdx_cli_put_csv(p->et);
            pdx_cli_put_csv(p->phi);
            pdx_cli_put_csv(p->alpha_c);
            pdx_cli_put_csv(p->alpha_sp);
            if (o->both) {
                pdx_cli_put_csv(p->eg_poor);
                pdx_cli_put_csv(p->R_poor);
                pdx_cli_put_csv(p->q_poor);
                pdx_cli_put_csv(p->phi_poor);
                pdx_cli_put_csv(p->eg_perfect);
                pdx_cli_put_csv(p->phi_perfect);
            }
            pdx_cli_put_csv(p->residual);
            break;
        }
        printf(",%s\n", pdx_cli_theory_status(p->status));
    }
    free(pts);
    return 0;
}

/* One block of rows per temperature of --T (the temperature-free curves
 * ignore it). */
static int print_perceptron_curve(pdx_theory_kind kind, curve_opts *o)
{
    int uses_T = kind == PDX_THEORY_GIBBS_SPHERICAL ||
                 kind == PDX_THEORY_GIBBS_HIGH_T ||
                 kind == PDX_THEORY_GIBBS_ISING;
    size_t n = uses_T && o->n_T > 0 ? o->n_T : 1;
    for (size_t t = 0; t < n; t++) {
        o->T = uses_T && o->n_T > 0 ? o->Ts[t] : 0.0;
        int rc = print_perceptron_rows(kind, o, t == 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

typedef struct time_index {
    double t;
    size_t i;
} time_index;

static int by_time(const void *a, const void *b)
{
    const time_index *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* --fixed-points: one row per symmetric fixed point (up to the largest
 * --alpha for the trajectory's plateau). */
static int print_scm_fixed_points(const curve_opts *o)
{
    double alpha_max = 0.0;
    for (size_t i = 0; i < o->n_alpha; i++)
        alpha_max = fmax(alpha_max, o->alpha[i]);
    pdx_scm_plateau_info info;
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_theory_scm_fixed_points(&o->scm, alpha_max, &info, &err) !=
        PDX_OK)
        return pdx_cli_report(&err);
    printf("eta,K,M,fixed_point,eg,Q,C,R,v,growth,unstable,visited,"
           "plateau_start,plateau_end\n");
    for (size_t i = 0; i < info.n_fixed; i++) {
        const pdx_scm_fixed_point *f = &info.fixed[i];
        printf("%.10g,%zu,%zu,%zu", o->scm.eta, o->scm.K, o->scm.M, i);
        pdx_cli_put_csv(f->eg);
        pdx_cli_put_csv(f->Q);
        pdx_cli_put_csv(f->C);
        pdx_cli_put_csv(f->R);
        pdx_cli_put_csv(f->v);
        pdx_cli_put_csv(f->growth);
        printf(",%d,%d", f->unstable, f->visited);
        pdx_cli_put_csv(info.start);
        pdx_cli_put_csv(info.end);
        printf("\n");
    }
    return 0;
}

static int print_scm_curve(const curve_opts *o)
{
    if (o->fixed_points)
        return print_scm_fixed_points(o);
    const pdx_scm_problem *pb = &o->scm;
    const size_t K = pb->K, M = pb->M, n = o->n_alpha;
    for (size_t i = 0; i < n; i++)
        if (!(o->alpha[i] >= 0.0))
            return pdx_cli_usage_error("pdx theory",
                                       "scm-ode: times (--alpha) must be >= 0");
    time_index *order = malloc(n * sizeof *order);
    double *times = malloc(n * sizeof *times);
    double *eg = malloc(n * sizeof *eg);
    double *Q = malloc(n * K * K * sizeof *Q);
    double *R = malloc(n * K * M * sizeof *R);
    double *v = malloc(n * K * sizeof *v);
    int rc = 1;
    if (order == NULL || times == NULL || eg == NULL || Q == NULL ||
        R == NULL || v == NULL)
        goto done;
    for (size_t i = 0; i < n; i++)
        order[i] = (time_index){o->alpha[i], i};
    qsort(order, n, sizeof *order, by_time);
    for (size_t i = 0; i < n; i++)
        times[i] = order[i].t;
    pdx_error err;
    pdx_error_clear(&err);
    int status = PDX_THEORY_PENDING;
    if (pdx_theory_scm_trajectory(pb, times, n, eg, Q, R, v, &status, &err) !=
        PDX_OK) {
        rc = pdx_cli_report(&err);
        goto done;
    }
    double alpha_max = times[n - 1] > 0.0 ? times[n - 1] : 1.0;
    double plateau = NAN, start = NAN, end = NAN;
    pdx_theory_scm_plateau(pb, alpha_max, &plateau, &start, &end, NULL);
    double eta_max = pdx_theory_scm_eta_max(pb);
    printf("alpha,eta,K,M,eg,R");
    for (size_t k = 0; k < K; k++)
        for (size_t m = 0; m < M; m++)
            printf(",R_%zu_%zu", k, m);
    for (size_t k = 0; k < K; k++)
        for (size_t l = k; l < K; l++)
            printf(",Q_%zu_%zu", k, l);
    for (size_t k = 0; k < K; k++)
        printf(",v_%zu", k);
    printf(",plateau_eg,plateau_start,plateau_end,eta_max,status\n");
    /* rows in the order given */
    for (size_t r = 0; r < n; r++) {
        size_t i = 0;
        while (order[i].i != r)
            i++;
        printf("%.10g", times[i]);
        pdx_cli_put_csv(pb->eta);
        printf(",%zu,%zu", K, M);
        pdx_cli_put_csv(eg[i]);
        /* R: each student unit's largest overlap with a teacher unit,
         * averaged over the student units (-> 1 when every unit has
         * specialised on a teacher unit) */
        double r_best = 0.0;
        for (size_t k = 0; k < K; k++) {
            double best = -INFINITY;
            for (size_t m = 0; m < M; m++)
                best = fmax(best, R[(i * K + k) * M + m]);
            r_best += best / (double)K;
        }
        pdx_cli_put_csv(r_best);
        for (size_t k = 0; k < K; k++)
            for (size_t m = 0; m < M; m++)
                pdx_cli_put_csv(R[(i * K + k) * M + m]);
        for (size_t k = 0; k < K; k++)
            for (size_t l = k; l < K; l++)
                pdx_cli_put_csv(Q[(i * K + k) * K + l]);
        for (size_t k = 0; k < K; k++)
            pdx_cli_put_csv(v[i * K + k]);
        pdx_cli_put_csv(plateau);
        pdx_cli_put_csv(start);
        pdx_cli_put_csv(end);
        pdx_cli_put_csv(eta_max);
        printf(",%s\n", pdx_cli_theory_status(isnan(eg[i]) ? PDX_THEORY_NOT_CONVERGED
                                                 : PDX_THEORY_SOLVED));
    }
    rc = 0;
done:
    free(order);
    free(times);
    free(eg);
    free(Q);
    free(R);
    free(v);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* SPEC mode                                                                 */

/* The overwrite policy (pdx_output_decide) for the theory file at
 * `out_path`: -1 to write *target (malloc'ed), else the exit code (0: the
 * file is already complete for this spec; the path printed). */
static int check_output(pdx_spec *spec, const char *out_path,
                        int force, int quiet, char **target)
{
    pdx_error err, reason;
    pdx_error_clear(&err);
    pdx_error_clear(&reason);
    char sha[65], file_sha[65];
    int complete = 0;
    pdx_store_spec_sha256(spec, sha);
    /* a theory file of an older pdx holds the hash of the raw text: it is
     * of this spec when that matches, or when the text it stores parses to
     * this spec (issue 19) */
    pdx_run_older_identity(spec, out_path);
    pdx_error ignored;
    if (pdx_store_probe(out_path, file_sha, &complete, &ignored) == PDX_OK &&
        pdx_store_spec_matches(spec, file_sha))
        memcpy(sha, file_sha, sizeof sha);
    pdx_output_decision d;
    if (pdx_output_check(PDX_WRITER_THEORY, out_path, sha, force, &d, target,
                         &reason, &err) != PDX_OK)
        return pdx_cli_report(&err);
    if (d.action == PDX_OUTPUT_WRITE || d.action == PDX_OUTPUT_REPLACE)
        return -1;
    free(*target);
    *target = NULL;
    if (d.action == PDX_OUTPUT_COMPLETE) {
        if (!quiet)
            fprintf(stderr, "pdx: %s\n", reason.message);
        printf("%s\n", out_path);
        return 0;
    }
    fprintf(stderr, "pdx: error: %s\n", reason.message);
    return 2;
}

/* pdx_store_write_theory with the stop signals held back, so that an
 * interrupted pdx theory leaves no temporary behind: the file is either
 * installed or not written when a signal takes effect (a temporary of a
 * killed process is removed by the next write). */
static pdx_status write_theory_file(const char *path, const pdx_grid *grid,
                                    const pdx_store_theory *th,
                                    const pdx_provenance *prov,
                                    pdx_error *err)
{
    sigset_t stop, saved;
    sigemptyset(&stop);
    int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                     SIGALRM};
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
        sigaddset(&stop, signals[i]);
    sigprocmask(SIG_BLOCK, &stop, &saved);
    pdx_status st = pdx_store_write_theory(path, grid, th, prov, err);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    return st;
}

static const char references[] =
    "Engel & Van den Broeck, Statistical Mechanics of Learning (2001); "
    "Seung, Sompolinsky & Tishby, Phys. Rev. A 45, 6056 (1992); "
    "Gyorgyi, Phys. Rev. A 41, 7097 (1990); Saad & Solla, Phys. Rev. E "
    "52, 4225 (1995); Goldt et al., NeurIPS (2019)";
/* files with deep cells (issue 15) */
static const char deep_references[] =
    "Engel & Van den Broeck, Statistical Mechanics of Learning (2001); "
    "Seung, Sompolinsky & Tishby, Phys. Rev. A 45, 6056 (1992); "
    "Gyorgyi, Phys. Rev. A 41, 7097 (1990); Saad & Solla, Phys. Rev. E "
    "52, 4225 (1995); Goldt et al., NeurIPS (2019); Poole et al., "
    "NeurIPS (2016); Schoenholz et al., ICLR (2017)";

/* The names of the theories some cell uses, space-separated. */
static void theories_present(const pdx_theory_grid_result *res, char *text,
                             size_t size)
{
    int present[PDX_THEORY_KIND_COUNT] = {0};
    for (uint64_t c = 0; c < res->n_cells; c++)
        if (res->theory[c] >= 0 && res->theory[c] < PDX_THEORY_KIND_COUNT)
            present[res->theory[c]] = 1;
    size_t used = 0;
    text[0] = '\0';
    for (int k = 1; k < PDX_THEORY_KIND_COUNT; k++)
        if (present[k])
            used += (size_t)snprintf(text + used, size - used, "%s%s",
                                     used ? " " : "",
                                     pdx_theory_name((pdx_theory_kind)k));
}

static int run_spec(const char *spec_path, char **overrides,
                    int n_overrides, const char *out_path, int quiet,
                    int force, int replica_teachers, const char *command_line)
{
    pdx_error err;
    pdx_error_clear(&err);
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    int rc = pdx_cli_take_overrides(n_overrides, overrides, "theory");
    if (rc >= 0)
        return rc;
    rc = pdx_cli_load_spec_overrides(spec_path,
                                     (const char *const *)overrides,
                                     (size_t)n_overrides, &spec, &grid);
    if (rc != 0)
        return rc;
    char default_out[192];
    if (out_path == NULL) {
        snprintf(default_out, sizeof default_out, "%s-theory%s.h5",
                 spec->base.name, replica_teachers ? "-replicas" : "");
        out_path = default_out;
    }
    char *target = NULL;
    /* the writer's lock, before the policy looks at the file */
    pdx_output_lock *lock = NULL;
    rc = pdx_output_lock_take(&lock, out_path, &err) != PDX_OK
             ? pdx_cli_report(&err)
             : check_output(spec, out_path, force, quiet, &target);
    if (rc >= 0) {
        pdx_output_lock_release(&lock);
        pdx_grid_destroy(&grid);
        pdx_spec_destroy(&spec);
        return rc;
    }
    rc = 0;
    pdx_theory_grid_result res;
    memset(&res, 0, sizeof res);
    pdx_theory_grid_options options = {replica_teachers};
    if (pdx_theory_evaluate_grid_with(grid, &options, &res,
                                      quiet ? NULL : stderr, &err) != PDX_OK) {
        rc = pdx_cli_report(&err);
        goto done;
    }
    pdx_layout layout;
    pdx_theory_layout(grid, &layout);
    static const int8_t status_flags[] = {
        PDX_THEORY_PENDING, PDX_THEORY_SOLVED, PDX_THEORY_NOT_APPLICABLE,
        PDX_THEORY_NOT_CONVERGED};
    int8_t theory_flags[PDX_THEORY_KIND_COUNT];
    char theory_meanings[256] = "";
    size_t used = 0;
    /* deep-mean-field only in files with deep cells: the others keep the
     * flag they had */
    int deep = pdx_theory_grid_has_deep(grid);
    int n_kinds = deep ? PDX_THEORY_KIND_COUNT : PDX_THEORY_DEEP;
    for (int k = 0; k < n_kinds; k++) {
        theory_flags[k] = (int8_t)k;
        used += (size_t)snprintf(theory_meanings + used,
                                 sizeof theory_meanings - used, "%s%s",
                                 k ? " " : "",
                                 pdx_theory_name((pdx_theory_kind)k));
    }
    static const int8_t phase_flags[] = {0, 1, 2, 3};
    pdx_store_flag_var flags[3] = {
        {"status",
         "theory status: 0 pending, 1 solved, 4 not applicable, 5 not "
         "converged",
         4, status_flags, "pending solved not_applicable not_converged",
         res.status},
        {"theory", "the theory used for the cell (pdx theory --curve NAME)",
         (size_t)n_kinds, theory_flags, theory_meanings, res.theory},
        {"phase",
         "gibbs-ising phase: poor generalization (alpha < alpha_c), perfect "
         "with the poor branch metastable (alpha_c <= alpha < "
         "alpha_spinodal), perfect only",
         4, phase_flags, "none poor perfect-metastable perfect", res.phase},
    };
    /* the theories present, and what they rest on */
    char theories[256];
    theories_present(&res, theories, sizeof theories);
    const char *attrs[] = {
        "theories", theories,
        "theory_references",
        deep ? deep_references : references,
        /* only with --replica-teachers: other files stay as they were */
        "scm_teachers",
        "replicas: scm-ode values are the mean over the replicas of the "
        "ODE with each replica's own teacher overlaps T",
    };
    const double *values[PDX_TH_COUNT];
    for (size_t v = 0; v < layout.n_vars && v < PDX_TH_COUNT; v++)
        values[v] = res.values[pdx_theory_layout_var(&layout, v)];
    pdx_store_theory th = {&layout, values, flags, 3, attrs,
                           replica_teachers ? 3 : 2};
    char host[256] = "unknown", start_time[64];
    gethostname(host, sizeof host - 1);
    pdx_cli_iso_time_now(start_time, sizeof start_time);
    pdx_provenance prov = {PDX_VERSION, PDX_GIT_DESCRIBE, command_line, host,
                           start_time, PDX_RNG_NAME, PDX_RNG_KEY_VERSION};
    if (write_theory_file(target, grid, &th, &prov, &err) != PDX_OK) {
        rc = pdx_cli_report(&err);
        goto done;
    }
    if (!quiet)
        fprintf(stderr,
                "pdx: theory: %llu cells: %llu solved, %llu not applicable, "
                "%llu not converged -> %s\n",
                (unsigned long long)res.n_cells,
                (unsigned long long)res.solved,
                (unsigned long long)res.not_applicable,
                (unsigned long long)res.not_converged, out_path);
    printf("%s\n", out_path);
done:
    pdx_output_lock_release(&lock);
    free(target);
    pdx_theory_grid_result_clear(&res);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}

/* ------------------------------------------------------------------------ */

enum {
    OPT_CURVE = 256,
    OPT_ALPHA,
    OPT_T,
    OPT_LABEL_NOISE,
    OPT_TEACHER,
    OPT_EPOCHS,
    OPT_BOTH,
    OPT_FIXED,
    OPT_ETA,
    OPT_ETA_SECOND,
    OPT_K,
    OPT_M,
    OPT_NOISE,
    OPT_INIT_SCALE,
    OPT_SECOND_INIT,
    OPT_N,
    OPT_INIT,
    OPT_ACTIVATION,
    OPT_SIGMA_W2,
    OPT_SIGMA_B2,
    OPT_Q0,
    OPT_C0,
    OPT_DEPTH,
    OPT_KAPPA,
    OPT_BUDGETS,
    OPT_NORM,
    OPT_REPLICA_TEACHERS,
    OPT_DISTANCE
};

/* --curve mode: the curve named in o->name at the alphas of `alpha_text`
 * as CSV on stdout; returns the exit code. */
static int curve_rows(curve_opts *o, const char *alpha_text)
{
    if (pdx_cli_theory_is_deep(o->name))
        return pdx_cli_theory_deep_curve(o->name, &o->deep);
    if (pdx_cli_theory_is_capacity(o->name)) {
        if (alpha_text != NULL &&
            parse_alpha_list(alpha_text, &o->alpha, &o->n_alpha) != 0)
            return pdx_cli_usage_error("pdx theory",
                                       "--alpha: '%s' is not a list of loads",
                                       alpha_text);
        o->capacity.alpha = o->alpha;
        o->capacity.n_alpha = o->n_alpha;
        o->capacity.label_noise = o->label_noise;
        int rc = pdx_cli_theory_capacity_curve(o->name, &o->capacity);
        free(o->alpha);
        fflush(stdout);
        return rc;
    }
    int kind = pdx_theory_find(o->name);
    if (kind <= PDX_THEORY_NONE || kind == PDX_THEORY_DEEP)
        return pdx_cli_usage_error(
            "pdx theory",
            "--curve: unknown curve '%s' (hebb, hebb-clipped, "
            "gibbs-spherical, gibbs-high-temperature, "
            "bayes-spherical, gibbs-ising, scm-ode, deep-order-chaos, "
            "deep-scales, deep-layers, gardner-capacity, binary-storage, "
            "binary-capacity, franz-parisi)",
            o->name);
    if (alpha_text == NULL)
        return pdx_cli_usage_error("pdx theory",
                                   "--curve needs --alpha A1,A2,...");
    if (parse_alpha_list(alpha_text, &o->alpha, &o->n_alpha) != 0)
        return pdx_cli_usage_error("pdx theory",
                                   "--alpha: '%s' is not a list of numbers, "
                                   "lin:START:STOP:N or log:START:STOP:N",
                                   alpha_text);
    if (!o->eta_second_given)
        o->scm.eta_second = o->scm.eta;
    int rc = kind == PDX_THEORY_SCM_ODE
                 ? print_scm_curve(o)
                 : print_perceptron_curve((pdx_theory_kind)kind, o);
    free(o->alpha);
    free(o->Ts);
    fflush(stdout);
    return rc;
}

/* The curve, with --N for linf budgets; frees --budgets. */
static int run_curve(curve_opts *o, const char *alpha_text)
{
    o->robust.N = o->scm.N;
    int rc = curve_rows(o, alpha_text);
    free(o->robust.budgets);
    o->robust.budgets = NULL;
    return rc;
}

/* A numeric option of the curve mode into *o; -1 to go on, else the exit
 * code (the error printed). */
static int take_number(int c, const char *arg, curve_opts *o)
{
    if (c == OPT_BUDGETS || c == OPT_NORM) /* the robust error, issue 18 */
        return pdx_cli_theory_robust_option(c == OPT_NORM, arg, &o->robust);
    double x;
    if (parse_double(arg, &x) != 0)
        return pdx_cli_usage_error("pdx theory", "'%s' is not a number",
                                   arg);
    switch (c) {
    case OPT_LABEL_NOISE:
        if (x < 0 || x > 1)
            return pdx_cli_usage_error("pdx theory",
                                       "--label-noise: '%s' is not in "
                                       "[0, 1]",
                                       arg);
        o->label_noise = x;
        break;
    case OPT_EPOCHS:
        if (!(x > 0))
            return pdx_cli_usage_error(
                "pdx theory", "--epochs: '%s' is not > 0", arg);
        o->epochs = x;
        break;
    case OPT_ETA:
        if (!(x > 0))
            return pdx_cli_usage_error(
                "pdx theory", "--eta: '%s' is not > 0", arg);
        o->scm.eta = x;
        break;
    case OPT_ETA_SECOND:
        if (x < 0)
            return pdx_cli_usage_error(
                "pdx theory", "--eta-second: '%s' is negative", arg);
        o->scm.eta_second = x;
        o->scm.train_second = 1;
        o->eta_second_given = 1;
        break;
    case OPT_K:
    case OPT_M:
        if (x < 1 || x > 64 || x != floor(x))
            return pdx_cli_usage_error(
                "pdx theory",
                "--K/--M: '%s' is not an integer in "
                "1 .. 64",
                arg);
        if (c == OPT_K)
            o->scm.K = (size_t)x;
        else
            o->scm.M = (size_t)x;
        break;
    case OPT_NOISE:
        if (x < 0)
            return pdx_cli_usage_error(
                "pdx theory", "--noise: '%s' is negative", arg);
        o->scm.output_noise = x;
        break;
    case OPT_INIT_SCALE:
        if (x < 0)
            return pdx_cli_usage_error(
                "pdx theory", "--init-scale: '%s' is negative", arg);
        o->scm.init_scale = x;
        break;
    case OPT_SECOND_INIT: o->scm.second_layer_init = x; break;
    case OPT_N:
        if (x < 1)
            return pdx_cli_usage_error("pdx theory",
                                       "--N: '%s' is not >= 1", arg);
        o->scm.N = x;
        break;
    default: break;
    }
    return -1;
}

/* --T, --kappa or --distance (lists) into *o; -1 to go on, else the exit
 * code. */
static int take_list(int c, const char *arg, curve_opts *o)
{
    if (c == OPT_DISTANCE) {
        free(o->capacity.distance);
        o->capacity.distance = NULL;
        if (parse_alpha_list(arg, &o->capacity.distance,
                             &o->capacity.n_distance) != 0)
            return pdx_cli_usage_error(
                "pdx theory", "--distance: '%s' is not a list of distances",
                arg);
        return -1;
    }
    if (c == OPT_KAPPA) {
        free(o->capacity.kappa);
        o->capacity.kappa = NULL;
        if (parse_alpha_list(arg, &o->capacity.kappa,
                             &o->capacity.n_kappa) != 0)
            return pdx_cli_usage_error(
                "pdx theory", "--kappa: '%s' is not a list of margins", arg);
        return -1;
    }
    free(o->Ts);
    o->Ts = NULL;
    if (parse_alpha_list(arg, &o->Ts, &o->n_T) != 0)
        return pdx_cli_usage_error("pdx theory",
                                   "--T: '%s' is not a temperature or a list "
                                   "of them",
                                   arg);
    for (size_t i = 0; i < o->n_T; i++)
        if (!(o->Ts[i] >= 0.0)) {
            free(o->Ts);
            o->Ts = NULL;
            return pdx_cli_usage_error("pdx theory",
                                       "--T: '%s' has a negative "
                                       "temperature",
                                       arg);
        }
    return -1;
}

static void free_deep(pdx_cli_deep_opts *d)
{
    free(d->sigma_w2);
    free(d->sigma_b2);
    free(d->c0);
    memset(d, 0, sizeof *d);
}

/* An option of the deep curves into *d; -1 to go on, else the exit code. */
static int take_deep(int c, const char *arg, pdx_cli_deep_opts *d)
{
    double x;
    double **list = c == OPT_SIGMA_W2   ? &d->sigma_w2
                    : c == OPT_SIGMA_B2 ? &d->sigma_b2
                    : c == OPT_C0       ? &d->c0
                                        : NULL;
    size_t *n = c == OPT_SIGMA_W2   ? &d->n_sigma_w2
                : c == OPT_SIGMA_B2 ? &d->n_sigma_b2
                                    : &d->n_c0;
    if (c == OPT_ACTIVATION) {
        d->activation = arg;
    } else if (list != NULL) {
        free(*list);
        if (parse_alpha_list(arg, list, n) != 0)
            return pdx_cli_usage_error(
                "pdx theory",
                "'%s' is not a list of numbers, lin:START:STOP:N or "
                "log:START:STOP:N",
                arg);
    } else if (parse_double(arg, &x) != 0) {
        return pdx_cli_usage_error("pdx theory", "'%s' is not a number", arg);
    } else if (c == OPT_Q0) {
        if (!(x >= 0.0))
            return pdx_cli_usage_error("pdx theory",
                                       "--q0: '%s' is negative", arg);
        d->q0 = x;
    } else {
        if (!(x >= 1.0 && x <= 100000.0) || x != floor(x))
            return pdx_cli_usage_error(
                "pdx theory", "--depth: '%s' is not an integer in 1 .. 100000",
                arg);
        d->depth = (long)x;
    }
    return -1;
}

static const struct option theory_options[] = {
    {"output", required_argument, 0, 'o'},
    {"quiet", no_argument, 0, 'q'},
    {"force", no_argument, 0, 'f'},
    {"help", no_argument, 0, 'h'},
    {"curve", required_argument, 0, OPT_CURVE},
    {"alpha", required_argument, 0, OPT_ALPHA},
    {"T", required_argument, 0, OPT_T},
    {"temperature", required_argument, 0, OPT_T},
    {"label-noise", required_argument, 0, OPT_LABEL_NOISE},
    {"teacher", required_argument, 0, OPT_TEACHER},
    {"epochs", required_argument, 0, OPT_EPOCHS},
    {"both-branches", no_argument, 0, OPT_BOTH},
    {"fixed-points", no_argument, 0, OPT_FIXED},
    {"eta", required_argument, 0, OPT_ETA},
    {"eta-second", required_argument, 0, OPT_ETA_SECOND},
    {"K", required_argument, 0, OPT_K},
    {"M", required_argument, 0, OPT_M},
    {"noise", required_argument, 0, OPT_NOISE},
    {"init-scale", required_argument, 0, OPT_INIT_SCALE},
    {"second-layer-init", required_argument, 0, OPT_SECOND_INIT},
    {"N", required_argument, 0, OPT_N},
    {"init", required_argument, 0, OPT_INIT},
    {"activation", required_argument, 0, OPT_ACTIVATION},
    {"sigma-w2", required_argument, 0, OPT_SIGMA_W2},
    {"sigma-b2", required_argument, 0, OPT_SIGMA_B2},
    {"q0", required_argument, 0, OPT_Q0},
    {"c0", required_argument, 0, OPT_C0},
    {"depth", required_argument, 0, OPT_DEPTH},
    {"kappa", required_argument, 0, OPT_KAPPA},
    {"distance", required_argument, 0, OPT_DISTANCE},
    {"budgets", required_argument, 0, OPT_BUDGETS},
    {"norm", required_argument, 0, OPT_NORM},
    {"replica-teachers", no_argument, 0, OPT_REPLICA_TEACHERS},
    {0, 0, 0, 0}};

/* An option with a value that fills *o: a list (--T, --kappa,
 * --distance), a deep-network option or a number. -1 to go on, else the
 * exit code (the deep options freed on an error); -2 for none of them. */
static int take_value(int c, const char *arg, curve_opts *o)
{
    int rc;
    switch (c) {
    case OPT_T:
    case OPT_KAPPA:
    case OPT_DISTANCE: return take_list(c, arg, o);
    case OPT_ACTIVATION:
    case OPT_SIGMA_W2:
    case OPT_SIGMA_B2:
    case OPT_Q0:
    case OPT_C0:
    case OPT_DEPTH:
        rc = take_deep(c, arg, &o->deep);
        if (rc >= 0)
            free_deep(&o->deep);
        return rc;
    case OPT_LABEL_NOISE:
        o->capacity.label_noise_given = 1;
        /* fall through */
    case OPT_EPOCHS:
    case OPT_ETA:
    case OPT_ETA_SECOND:
    case OPT_K:
    case OPT_M:
    case OPT_NOISE:
    case OPT_INIT_SCALE:
    case OPT_SECOND_INIT:
    case OPT_N:
    case OPT_BUDGETS:
    case OPT_NORM: return take_number(c, arg, o);
    default: return -2;
    }
}

int pdx_cli_theory(int argc, char **argv, const char *command_line)
{
    pdx_theory_init();
    curve_opts o;
    memset(&o, 0, sizeof o);
    o.teacher = -1;
    o.epochs = 1.0;
    o.scm = pdx_theory_scm_default();
    o.deep.q0 = 1.0;
    const char *out_path = NULL, *alpha_text = NULL;
    int quiet = 0, force = 0, replica_teachers = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qfh", theory_options, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_path = optarg;
            if (out_path[0] == '\0')
                return pdx_cli_usage_error("pdx theory",
                                           "--output: the file name is "
                                           "empty");
            break;
        case 'q': quiet = 1; break;
        case 'f': force = 1; break;
        case 'h':
            fputs(theory_usage, stdout);
            fputs(theory_usage_options, stdout);
            fputs(pdx_cli_theory_deep_usage, stdout);
            fputs(pdx_cli_theory_capacity_usage, stdout);
            return 0;
        case OPT_CURVE: o.name = optarg; break;
        case OPT_ALPHA: alpha_text = optarg; break;
        case OPT_TEACHER:
            if (strcmp(optarg, "gaussian") == 0)
                o.teacher = 0;
            else if (strcmp(optarg, "binary") == 0)
                o.teacher = 1;
            else
                return pdx_cli_usage_error("pdx theory",
                                           "--teacher: '%s' is not gaussian or "
                                           "binary",
                                           optarg);
            break;
        case OPT_BOTH: o.both = 1; break;
        case OPT_REPLICA_TEACHERS: replica_teachers = 1; break;
        case OPT_FIXED: o.fixed_points = 1; break;
        case OPT_INIT:
            if (strcmp(optarg, "typical") == 0)
                o.scm.init = PDX_SCM_INIT_TYPICAL;
            else if (strcmp(optarg, "expected") == 0)
                o.scm.init = PDX_SCM_INIT_EXPECTED;
            else
                return pdx_cli_usage_error(
                    "pdx theory", "--init: '%s' is not typical or expected",
                    optarg);
            break;
        default:
            {
                int rc = take_value(c, optarg, &o);
                if (rc != -1)
                    return rc == -2 ? 2 : rc;
            }
            break;
        }
    }
    if (o.name == NULL) {
        if (optind >= argc)
            return pdx_cli_usage_error(
                "pdx theory", "theory needs a SPEC file or --curve NAME");
        return run_spec(argv[optind], argv + optind + 1, argc - optind - 1,
                        out_path, quiet, force, replica_teachers,
                        command_line);
    }
    int rc;
    if (optind != argc)
        rc = pdx_cli_usage_error(
            "pdx theory", "--curve takes no SPEC (got '%s')", argv[optind]);
    else
        rc = run_curve(&o, alpha_text);
    free_deep(&o.deep);
    free(o.capacity.kappa);
    free(o.capacity.distance);
    return rc;
}
