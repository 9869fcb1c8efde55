/* theory_grid.c — `pdx theory SPEC`: which theory applies to each cell of a
 * spec's grid, the variables of theory files, and their evaluation. */
#include "pdx/theory.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pdx/model.h"
#include "theory_internal.h"

static const pdx_var_desc variables[PDX_TH_COUNT] = {
    [PDX_TH_EG] = {"eg",
                   "predicted generalization error (perceptrons: "
                   "arccos(R)/pi, the equilibrium value at every time for "
                   "Gibbs learning; committees: <(y - yhat)^2>/2)",
                   "1", 1, {PDX_DIM_TIME}},
    [PDX_TH_Q] = {"Q", "predicted student-student overlap w_k.w_l/N "
                       "(committees)",
                  "1", 3,
                  {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT, PDX_DIM_STUDENT_UNIT2}},
    [PDX_TH_R] = {"R",
                  "predicted student-teacher overlap w_k.B_m/N (perceptrons: "
                  "normalised, R/sqrt(Q T), at unit 0, 0)",
                  "1", 3,
                  {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT, PDX_DIM_TEACHER_UNIT}},
    [PDX_TH_V] = {"v", "predicted student second-layer weight v_k", "1", 2,
                  {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT}},
    [PDX_TH_QOVERLAP] = {"q",
                         "overlap of two students trained on the same data "
                         "(replica overlap; Gibbs and Bayes learning)",
                         "1", 1, {PDX_DIM_TIME}},
    [PDX_TH_TRAIN_ERROR] = {"train_error",
                            "predicted training error against the training "
                            "labels (noisy; Gibbs learning)",
                            "1", 1, {PDX_DIM_TIME}},
    [PDX_TH_TRAIN_ERROR_CLEAN] = {"train_error_clean",
                                  "predicted training error against the "
                                  "clean teacher labels (Gibbs learning)",
                                  "1", 1, {PDX_DIM_TIME}},
    [PDX_TH_EG_MEAN] = {"eg_mean",
                        "equilibrium eg, to compare with the simulation's "
                        "average after burn-in (Gibbs learning)",
                        "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_TRAIN_ERROR_MEAN] = {"train_error_mean",
                                 "equilibrium train_error (Gibbs learning)",
                                 "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_TRAIN_ERROR_CLEAN_MEAN] = {"train_error_clean_mean",
                                       "equilibrium train_error_clean (Gibbs "
                                       "learning)",
                                       "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_R_MEAN] = {"R_mean",
                       "equilibrium normalised overlap R (Gibbs learning; "
                       "unit 0, 0)",
                       "1", 2, {PDX_DIM_STUDENT_UNIT, PDX_DIM_TEACHER_UNIT}},
    [PDX_TH_PHI] = {"phi",
                    "(1/N) <ln Z> of the stable state: -f/T at T > 0, the "
                    "version-space entropy at T = 0 (Gibbs learning)",
                    "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_EG_LARGE_ALPHA] = {"eg_large_alpha",
                               "large-alpha asymptote of eg at this alpha "
                               "(c/alpha, c/sqrt(alpha), ...; NaN where none "
                               "is known)",
                               "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_EG_POOR] = {"eg_poor",
                        "eg of the poor-generalization RS branch (Ising "
                        "weights; NaN beyond its spinodal)",
                        "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_R_POOR] = {"R_poor", "R of the poor-generalization branch", "1",
                       0, {PDX_DIM_TIME}},
    [PDX_TH_PHI_POOR] = {"phi_poor", "phi of the poor-generalization branch",
                         "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_EG_PERFECT] = {"eg_perfect",
                           "eg of the perfect-generalization state R = 1 "
                           "(Ising weights): 0",
                           "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_PHI_PERFECT] = {"phi_perfect",
                            "phi of the perfect state: -alpha p / T (0 "
                            "without label noise)",
                            "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_ALPHA_C] = {"alpha_c",
                        "first-order transition load alpha_c(T): phi_poor = "
                        "phi_perfect (Ising weights)",
                        "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_ALPHA_SP] = {"alpha_spinodal",
                         "spinodal load: the poor branch ends (Ising "
                         "weights)",
                         "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_PLATEAU_EG] = {"plateau_eg",
                           "eg at the symmetric fixed point, when it is a "
                           "saddle (committees, K >= 2)",
                           "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_PLATEAU_START] = {"plateau_start",
                              "first time the ODE trajectory is within 1% "
                              "of plateau_eg",
                              "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_PLATEAU_END] = {"plateau_end",
                            "time the trajectory leaves the 1% band (NaN: "
                            "not before train.alpha)",
                            "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_ETA_MAX] = {"eta_max",
                        "maximal learning rate: the perfect solution is "
                        "linearly stable below it (committees, K = M)",
                        "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_RESIDUAL] = {"residual",
                         "residual of the saddle-point equations at the "
                         "reported state (largest relative mismatch; "
                         "solved only if <= 1e-6; 0 for closed forms)",
                         "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_PLATEAU_GROWTH] = {"plateau_growth",
                               "largest real part of the eigenvalues of the "
                               "flow's Jacobian at the plateau's fixed point "
                               "(> 0: a saddle, the rate of escape)",
                               "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_EG_BAYES] = {"eg_bayes",
                         "eg of the centre of mass of the Gibbs measure "
                         "(the simulation's eg_bayes, record.bayes): "
                         "arccos(R/sqrt(q))/pi; the Bayes-optimal error "
                         "where the Gibbs measure is the posterior (T = 0 "
                         "without label noise, the Nishimori temperature "
                         "with it; Gibbs learning)",
                         "1", 0, {PDX_DIM_TIME}},
    /* deep students (mean field, docs/THEORY.md) */
    [PDX_TH_Q_STAR] = {"q_star",
                       "fixed point q* of the length map q -> sigma_w2 "
                       "E[g(sqrt(q) z)^2] + sigma_b2 (inf: q diverges)",
                       "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_C_STAR] = {"c_star",
                       "stable fixed point c* of the correlation map (1 in "
                       "the ordered phase)",
                       "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_CHI_1] = {"chi_1",
                      "chi_1 = sigma_w2 E[g'(sqrt(q*) z)^2] (order: < 1, "
                      "chaos: > 1)",
                      "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_CHI_C] = {"chi_c",
                      "slope of the correlation map at c*", "1", 0,
                      {PDX_DIM_TIME}},
    [PDX_TH_SLOPE_Q] = {"slope_q",
                        "slope of the length map at q*: chi_1 + sigma_w2 "
                        "E[g'' g]",
                        "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_XI_Q] = {"xi_q", "depth scale of q: -1/ln(slope_q)", "1", 0,
                     {PDX_DIM_TIME}},
    [PDX_TH_XI_C] = {"xi_c",
                     "depth scale of correlations: -1/ln(chi_c) (inf at the "
                     "order-to-chaos line)",
                     "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_XI_GRAD] = {"xi_grad",
                        "gradient depth scale -1/ln(chi_1) (< 0: gradients "
                        "grow)",
                        "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_SIGMA_W2_CRITICAL] = {"sigma_w2_critical",
                                  "the order-to-chaos line: sigma_w2 with "
                                  "chi_1 = 1 at the cell's sigma_b2",
                                  "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_TRAINABLE_DEPTH] = {"trainable_depth",
                                "6 xi_c: the depth up to which deep nets "
                                "train (Schoenholz et al. 2017)",
                                "1", 0, {PDX_DIM_TIME}},
    [PDX_TH_Q_LAYER] = {"q_layer",
                        "mean-field length q^l of the pre-activations at "
                        "layer l (inputs |x|^2/N = propagate.q0)",
                        "1", 1, {PDX_DIM_LAYER}},
    [PDX_TH_C_LAYER] = {"c_layer",
                        "mean-field correlation c^l of two inputs of "
                        "correlation propagate.c0 at layer l",
                        "1", 1, {PDX_DIM_LAYER}},
    [PDX_TH_CHI_LAYER] = {"chi_layer",
                          "mean-field sigma_w2 E[g'(sqrt(q^l) z)^2]: the "
                          "mean squared singular value of layer l's "
                          "Jacobian",
                          "1", 1, {PDX_DIM_LAYER}},
    [PDX_TH_CURVE_LENGTH_LAYER] = {"curve_length_layer",
                                   "mean-field length over sqrt(width) of "
                                   "the image at layer l of the input "
                                   "circle's polygon (propagate."
                                   "curve_points points)",
                                   "1", 1, {PDX_DIM_LAYER}},
    [PDX_TH_ROBUST_ERROR] = {"robust_error",
                             "perceptrons: robust error at the budget, "
                             "arccos(R)/pi + 2 int_0^kappa Dx H(-R x/sqrt(1 "
                             "- R^2)), kappa = eps (l2) or eps sqrt(N) "
                             "|w|_1/(|w|_2 sqrt(N)) (linf; docs/THEORY.md)",
                             "1", 2, {PDX_DIM_TIME, PDX_DIM_BUDGET}},
    [PDX_TH_ROBUST_DISTANCE] = {"robust_distance",
                                "perceptrons: mean minimal perturbation, "
                                "(1 + R)/sqrt(2 pi) (l2; linf: over sqrt(N) "
                                "|w|_1/(|w|_2 sqrt(N)))",
                                "1", 1, {PDX_DIM_TIME}},
    [PDX_TH_ROBUST_ERROR_CONSISTENT] = {"robust_error_consistent",
                                        "perceptrons, l2 budgets: consistent "
                                        "robust error (only delta that keep "
                                        "the teacher's label), arccos(R)/pi + "
                                        "2 int_0^eps Dx Phi(min(R x/sqrt(1 - "
                                        "R^2), sqrt(eps^2 - x^2))); NaN for "
                                        "linf",
                                        "1", 2, {PDX_DIM_TIME, PDX_DIM_BUDGET}},
};

/* The theory layouts with budgets: the first `base` variables then the
 * robust ones (base: PDX_TH_BASE_COUNT, _DEEP_COUNT or _LAYER_COUNT). */
enum { TH_ROBUST = PDX_TH_COUNT - PDX_TH_ROBUST_ERROR };
static const size_t th_bases[3] = {PDX_TH_BASE_COUNT, PDX_TH_DEEP_COUNT,
                                   PDX_TH_LAYER_COUNT};
static pdx_var_desc th_with_robust[3][PDX_TH_COUNT];
static pthread_once_t th_with_robust_once = PTHREAD_ONCE_INIT;

static void fill_th_with_robust(void)
{
    for (size_t b = 0; b < 3; b++) {
        memcpy(th_with_robust[b], variables, th_bases[b] * sizeof *variables);
        memcpy(th_with_robust[b] + th_bases[b],
               variables + PDX_TH_ROBUST_ERROR,
               TH_ROBUST * sizeof *variables);
    }
}

size_t pdx_theory_layout_var(const pdx_layout *layout, size_t v)
{
    if (layout->dim_size[PDX_DIM_BUDGET] == 0 || v + TH_ROBUST < layout->n_vars)
        return v;
    return PDX_TH_ROBUST_ERROR + (v + TH_ROBUST - layout->n_vars);
}

const pdx_var_desc *pdx_theory_variables(size_t *count)
{
    if (count != NULL)
        *count = PDX_TH_COUNT;
    return variables;
}

int pdx_theory_grid_has_deep(const pdx_grid *grid)
{
    return grid->max_student_depth > 0;
}

void pdx_theory_layout(const pdx_grid *grid, pdx_layout *layout)
{
    memset(layout, 0, sizeof *layout);
    layout->vars = variables;
    pdx_grid_layout_dims(grid, layout);
    layout->dim_size[PDX_DIM_PERTURBATION] = 0; /* no local energy here */
    size_t b = !pdx_theory_grid_has_deep(grid)          ? 0
               : layout->dim_size[PDX_DIM_LAYER] == 0 ? 1
                                                      : 2;
    layout->n_vars = th_bases[b];
    if (layout->dim_size[PDX_DIM_BUDGET] > 0) {
        pthread_once(&th_with_robust_once, fill_th_with_robust);
        layout->vars = th_with_robust[b];
        layout->n_vars += TH_ROBUST;
    }
}

pdx_theory_kind pdx_theory_for_params(const pdx_params *p)
{
    if (p->student_kind == PDX_MODEL_DEEP)
        return PDX_THEORY_DEEP;
    if (p->teacher_kind == PDX_MODEL_PERCEPTRON &&
        p->student_kind == PDX_MODEL_PERCEPTRON) {
        /* the theories cover label noise only */
        if (p->data_input_noise > 0.0 || p->data_input_corruption > 0.0 ||
            p->teacher_output_noise > 0.0)
            return PDX_THEORY_NONE;
        switch (p->train_algorithm) {
        case PDX_ALG_HEBB:
            return p->student_weights == PDX_WEIGHTS_BINARY
                       ? PDX_THEORY_HEBB_CLIPPED
                       : PDX_THEORY_HEBB;
        case PDX_ALG_METROPOLIS:
            if (p->student_weights == PDX_WEIGHTS_SPHERICAL)
                return PDX_THEORY_GIBBS_SPHERICAL;
            if (p->student_weights == PDX_WEIGHTS_BINARY)
                return PDX_THEORY_GIBBS_ISING;
            return PDX_THEORY_NONE;
        default: return PDX_THEORY_NONE;
        }
    }
    if (p->teacher_kind == PDX_MODEL_COMMITTEE &&
        p->student_kind == PDX_MODEL_COMMITTEE &&
        p->train_algorithm == PDX_ALG_ONLINE &&
        p->teacher_activation == PDX_ACT_ERF &&
        p->student_activation == PDX_ACT_ERF && p->train_weight_decay == 0.0)
        return PDX_THEORY_SCM_ODE;
    return PDX_THEORY_NONE;
}

void pdx_theory_grid_result_clear(pdx_theory_grid_result *r)
{
    if (r == NULL)
        return;
    free(r->status);
    free(r->theory);
    free(r->phase);
    for (size_t v = 0; v < PDX_TH_COUNT; v++)
        free(r->values[v]);
    memset(r, 0, sizeof *r);
}

typedef struct grid_ctx {
    const pdx_grid *grid;
    pdx_layout layout;
    size_t block[PDX_TH_COUNT];
    size_t n_times, kk, mm; /* times, K_max, M_max */
    pdx_theory_grid_result *out;
    pdx_theory_grid_options options;
} grid_ctx;

static double *cell_var(const grid_ctx *c, uint64_t cell, pdx_theory_var v)
{
    return c->out->values[v] + cell * c->block[v];
}

/* Last time a cell's run reaches (online: train.alpha; finite sets:
 * train.epochs). */
static double cell_horizon(const pdx_params *p)
{
    if (p->train_algorithm == PDX_ALG_ONLINE)
        return p->train_alpha;
    return isnan(p->train_epochs) ? INFINITY : p->train_epochs;
}

/* The cell's trajectory (times 0 .. n-1) into eg, Q, R, v: of T = I, or
 * with replica_teachers the mean over the spec's replicas of the
 * trajectories of each replica's own teacher overlaps T (its teacher drawn
 * as the simulation draws it: pdx_model_teacher_rows). Returns the status
 * (NOT_CONVERGED if any replica's integration failed). */
static int scm_trajectories(const grid_ctx *c, uint64_t cell,
                            const pdx_params *p, pdx_scm_problem *pb,
                            size_t n)
{
    const size_t K = pb->K, M = pb->M, N = (size_t)p->N;
    const int own = c->options.replica_teachers;
    const uint64_t replicas = own ? (uint64_t)c->grid->spec->base.replicas : 1;
    double *eg = malloc((n + 1) * sizeof *eg);
    double *Q = malloc((n * K * K + 1) * sizeof *Q);
    double *R = malloc((n * K * M + 1) * sizeof *R);
    double *v = malloc((n * K + 1) * sizeof *v);
    double *B = own ? malloc(M * N * sizeof *B) : NULL;
    double *T = malloc(M * M * sizeof *T);
    int status = PDX_THEORY_NOT_CONVERGED;
    int ok = eg != NULL && Q != NULL && R != NULL && v != NULL &&
             T != NULL && (B != NULL || !own);
    double *vars[4] = {cell_var(c, cell, PDX_TH_EG),
                       cell_var(c, cell, PDX_TH_Q),
                       cell_var(c, cell, PDX_TH_R),
                       cell_var(c, cell, PDX_TH_V)};
    int all_solved = 1;
    for (uint64_t r = 0; ok && r < replicas; r++) {
        if (own) {
            pdx_model_teacher_rows(B, M, N, (uint64_t)p->seed, r, 0,
                                   p->teacher_normalise);
            pdx_model_teacher_overlaps(B, M, N, T);
            pb->T0 = T;
        }
        ok = pdx_theory_scm_trajectory(pb, c->grid->spec->times, n, eg, Q, R,
                                       v, &status, NULL) == PDX_OK;
        all_solved &= ok && status == PDX_THEORY_SOLVED;
        /* the mean, summed in replica order (one replica: the values) */
        const double w = 1.0 / (double)replicas;
#define SCM_MEAN(dst, x) (dst) = r == 0 ? w * (x) : (dst) + w * (x)
        for (size_t i = 0; ok && i < n; i++) {
            SCM_MEAN(vars[0][i], eg[i]);
            for (size_t k = 0; k < K; k++) {
                for (size_t l = 0; l < K; l++)
                    SCM_MEAN(vars[1][(i * c->kk + k) * c->kk + l],
                             Q[(i * K + k) * K + l]);
                for (size_t m = 0; m < M; m++)
                    SCM_MEAN(vars[2][(i * c->kk + k) * c->mm + m],
                             R[(i * K + k) * M + m]);
                SCM_MEAN(vars[3][i * c->kk + k], v[i * K + k]);
            }
        }
#undef SCM_MEAN
    }
    if (!ok || !all_solved)
        status = PDX_THEORY_NOT_CONVERGED;
    free(eg);
    free(Q);
    free(R);
    free(v);
    free(B);
    free(T);
    return status;
}

static void eval_scm(const grid_ctx *c, uint64_t cell, const pdx_params *p)
{
    const pdx_spec *spec = c->grid->spec;
    const size_t K = (size_t)p->student_hidden, M = (size_t)p->teacher_hidden;
    pdx_scm_problem pb = pdx_theory_scm_default();
    pb.K = K;
    pb.M = M;
    pb.eta = p->train_learning_rate;
    pb.train_second = p->student_second_layer == PDX_SECOND_TRAINED;
    pb.eta_second = p->train_learning_rate_second;
    pb.second_layer_init = p->student_second_layer_init;
    pb.init_scale = p->student_init_scale;
    pb.output_noise = p->teacher_output_noise;
    pb.N = (double)p->N;
    pb.init = PDX_SCM_INIT_TYPICAL;
    /* the flow costs K^2 (K+M)^2 erf averages: beyond K + M = 32 a cell
     * would take many minutes (pdx theory --curve scm-ode still does it) */
    if (K + M > PDX_THEORY_SCM_MAX_UNITS) {
        c->out->status[cell] = PDX_THEORY_NOT_APPLICABLE;
        return;
    }
    double horizon = cell_horizon(p);
    size_t n = 0;
    while (n < spec->n_times && spec->times[n] <= horizon)
        n++;
    int status = scm_trajectories(c, cell, p, &pb, n);
    pb.T0 = NULL; /* the plateau and eta_max: of the T = I teacher */
    pdx_scm_plateau_info plateau;
    if (pdx_theory_scm_fixed_points(&pb, p->train_alpha, &plateau, NULL) ==
        PDX_OK) {
        *cell_var(c, cell, PDX_TH_PLATEAU_EG) = plateau.eg;
        *cell_var(c, cell, PDX_TH_PLATEAU_START) = plateau.start;
        *cell_var(c, cell, PDX_TH_PLATEAU_END) = plateau.end;
        *cell_var(c, cell, PDX_TH_PLATEAU_GROWTH) = plateau.growth;
    }
    *cell_var(c, cell, PDX_TH_ETA_MAX) = pdx_theory_scm_eta_max(&pb);
    c->out->status[cell] = (int8_t)status;
}

static pdx_perceptron_problem perceptron_problem(const pdx_params *p)
{
    pdx_perceptron_problem pb;
    pb.temperature = p->train_temperature;
    /* data.label_noise replaces a label by a random one: flipped with
     * probability label_noise / 2 */
    pb.label_noise = 0.5 * p->data_label_noise;
    pb.teacher_binary = p->teacher_weights == PDX_TEACHER_BINARY;
    return pb;
}

static void eval_hebb(const grid_ctx *c, uint64_t cell, const pdx_params *p,
                      pdx_theory_kind kind)
{
    const pdx_spec *spec = c->grid->spec;
    pdx_perceptron_problem pb = perceptron_problem(p);
    double horizon = cell_horizon(p);
    int status = PDX_THEORY_SOLVED;
    if (!(pb.label_noise < 0.5) || !(p->data_alpha > 0.0))
        status = PDX_THEORY_NOT_APPLICABLE;
    for (size_t i = 0; i < spec->n_times && status == PDX_THEORY_SOLVED;
         i++) {
        double t = spec->times[i];
        if (!(t > 0.0) || t > horizon)
            continue;
        /* pdx's Hebb trainer makes one pass, an example a step: at time t
         * it has used min(round(t P), P) examples */
        double P = (double)pdx_params_train_size(p);
        double used = (double)pdx_grid_steps_at(p, t);
        if (!(used > 0.0))
            continue;
        pdx_perceptron_point pt;
        pdx_theory_hebb_at(kind, &pb, p->data_alpha, used / P, &pt);
        cell_var(c, cell, PDX_TH_EG)[i] = pt.eg;
        cell_var(c, cell, PDX_TH_R)[i * c->kk * c->mm] = pt.R;
    }
    if (status == PDX_THEORY_SOLVED) {
        pdx_perceptron_point one_pass;
        pdx_theory_hebb_at(kind, &pb, p->data_alpha, 1.0, &one_pass);
        *cell_var(c, cell, PDX_TH_EG_LARGE_ALPHA) = one_pass.eg_large_alpha;
        *cell_var(c, cell, PDX_TH_RESIDUAL) = one_pass.residual;
    }
    c->out->status[cell] = (int8_t)status;
}

/* One Gibbs point into a cell: equilibrium values at every time up to the
 * cell's horizon, and the per-cell variables. */
static void store_gibbs(const grid_ctx *c, uint64_t cell, const pdx_params *p,
                        const pdx_perceptron_point *pt)
{
    const pdx_spec *spec = c->grid->spec;
    double horizon = cell_horizon(p);
    c->out->status[cell] = (int8_t)pt->status;
    c->out->phase[cell] = (int8_t)pt->phase;
    *cell_var(c, cell, PDX_TH_RESIDUAL) = pt->residual;
    if (pt->status != PDX_THEORY_SOLVED)
        return;
    for (size_t i = 0; i < spec->n_times; i++) {
        if (spec->times[i] > horizon)
            continue;
        cell_var(c, cell, PDX_TH_EG)[i] = pt->eg;
        cell_var(c, cell, PDX_TH_R)[i * c->kk * c->mm] = pt->R;
        cell_var(c, cell, PDX_TH_QOVERLAP)[i] = pt->q;
        cell_var(c, cell, PDX_TH_TRAIN_ERROR)[i] = pt->et;
        cell_var(c, cell, PDX_TH_TRAIN_ERROR_CLEAN)[i] = pt->et_clean;
    }
    *cell_var(c, cell, PDX_TH_EG_MEAN) = pt->eg;
    *cell_var(c, cell, PDX_TH_TRAIN_ERROR_MEAN) = pt->et;
    *cell_var(c, cell, PDX_TH_TRAIN_ERROR_CLEAN_MEAN) = pt->et_clean;
    cell_var(c, cell, PDX_TH_R_MEAN)[0] = pt->R;
    *cell_var(c, cell, PDX_TH_PHI) = pt->phi;
    *cell_var(c, cell, PDX_TH_EG_LARGE_ALPHA) = pt->eg_large_alpha;
    *cell_var(c, cell, PDX_TH_EG_POOR) = pt->eg_poor;
    *cell_var(c, cell, PDX_TH_R_POOR) = pt->R_poor;
    *cell_var(c, cell, PDX_TH_PHI_POOR) = pt->phi_poor;
    *cell_var(c, cell, PDX_TH_EG_PERFECT) = pt->eg_perfect;
    *cell_var(c, cell, PDX_TH_PHI_PERFECT) = pt->phi_perfect;
    *cell_var(c, cell, PDX_TH_ALPHA_C) = pt->alpha_c;
    *cell_var(c, cell, PDX_TH_ALPHA_SP) = pt->alpha_sp;
    /* the thermal mean <w> has overlap R sqrt(q) with the teacher and
     * norm sqrt(q) (normalised R, q) */
    double eg_bayes = pt->q == 0.0 ? 0.5 : NAN; /* q = 0: <w> = 0 */
    if (pt->q > 0.0 && !isnan(pt->R))
        eg_bayes = acos(fmax(-1.0, fmin(1.0, pt->R / sqrt(pt->q)))) / M_PI;
    *cell_var(c, cell, PDX_TH_EG_BAYES) = eg_bayes;
}

/* Cells of one Gibbs curve: same theory, temperature, noise, teacher. */
static int same_curve(const pdx_params *a, const pdx_params *b,
                      pdx_theory_kind ka, pdx_theory_kind kb)
{
    return ka == kb && a->train_temperature == b->train_temperature &&
           a->data_label_noise == b->data_label_noise &&
           a->teacher_weights == b->teacher_weights;
}

static pdx_status eval_gibbs_group(const grid_ctx *c,
                                   pdx_theory_workspace *ws,
                                   const uint64_t *cells,
                                   const pdx_params *params, size_t n,
                                   pdx_theory_kind kind, pdx_error *err)
{
    pdx_perceptron_problem pb = perceptron_problem(&params[0]);
    int applicable = pb.temperature >= 0.0 && isfinite(pb.temperature) &&
                     pb.label_noise < 0.5;
    double *alpha = malloc(n * sizeof *alpha);
    pdx_perceptron_point *pts = malloc(n * sizeof *pts);
    if (alpha == NULL || pts == NULL) {
        free(alpha);
        free(pts);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        alpha[i] = params[i].data_alpha;
        applicable &= alpha[i] > 0.0 && isfinite(alpha[i]);
    }
    pdx_status st = PDX_OK;
    if (!applicable) {
        for (size_t i = 0; i < n; i++)
            c->out->status[cells[i]] = PDX_THEORY_NOT_APPLICABLE;
    } else {
        st = pdx_theory_perceptron(ws, kind, &pb, alpha, n, pts, err);
        for (size_t i = 0; st == PDX_OK && i < n; i++)
            store_gibbs(c, cells[i], &params[i], &pts[i]);
    }
    free(alpha);
    free(pts);
    return st;
}

/* The robust error of a solved perceptron cell at every time it has an
 * overlap R and every budget (issue 18). */
static void eval_robust(const grid_ctx *c, uint64_t cell, const pdx_params *p,
                        pdx_theory_kind kind)
{
    if (c->out->status[cell] != PDX_THEORY_SOLVED ||
        !(kind == PDX_THEORY_HEBB || kind == PDX_THEORY_HEBB_CLIPPED ||
          kind == PDX_THEORY_GIBBS_SPHERICAL ||
          kind == PDX_THEORY_GIBBS_ISING))
        return;
    const pdx_spec *spec = c->grid->spec;
    const size_t nb = spec->n_budgets;
    int student_binary = p->student_weights == PDX_WEIGHTS_BINARY;
    int teacher_binary = p->teacher_weights == PDX_TEACHER_BINARY;
    for (size_t i = 0; i < c->n_times; i++) {
        double R = cell_var(c, cell, PDX_TH_R)[i * c->kk * c->mm];
        if (isnan(R))
            continue;
        double rho = pdx_theory_robust_l1_ratio(R, teacher_binary,
                                                student_binary);
        for (size_t j = 0; j < nb; j++) {
            cell_var(c, cell, PDX_TH_ROBUST_ERROR)[i * nb + j] =
                pdx_theory_robust_error(
                    R, pdx_theory_robust_kappa(p->record_norm, spec->budgets[j],
                                               (double)p->N, rho));
            if (p->record_norm == PDX_NORM_L2)
                cell_var(c, cell, PDX_TH_ROBUST_ERROR_CONSISTENT)[i * nb + j] =
                    pdx_theory_robust_error_consistent(R, spec->budgets[j]);
        }
        cell_var(c, cell, PDX_TH_ROBUST_DISTANCE)[i] =
            pdx_theory_robust_distance(R, p->record_norm, (double)p->N, rho);
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

pdx_status pdx_theory_evaluate_grid(const pdx_grid *grid,
                                    pdx_theory_grid_result *out,
                                    FILE *progress, pdx_error *err)
{
    return pdx_theory_evaluate_grid_with(grid, NULL, out, progress, err);
}

pdx_status pdx_theory_evaluate_grid_with(const pdx_grid *grid,
                                         const pdx_theory_grid_options *options,
                                         pdx_theory_grid_result *out,
                                         FILE *progress, pdx_error *err)
{
    memset(out, 0, sizeof *out);
    grid_ctx c;
    memset(&c, 0, sizeof c);
    c.grid = grid;
    c.out = out;
    if (options != NULL)
        c.options = *options;
    pdx_theory_layout(grid, &c.layout);
    c.n_times = c.layout.dim_size[PDX_DIM_TIME];
    c.kk = c.layout.dim_size[PDX_DIM_STUDENT_UNIT];
    c.mm = c.layout.dim_size[PDX_DIM_TEACHER_UNIT];
    const uint64_t n_cells = grid->n_cells;
    out->n_cells = n_cells;
    out->status = calloc(n_cells, 1);
    out->theory = calloc(n_cells, 1);
    out->phase = calloc(n_cells, 1);
    int ok = out->status != NULL && out->theory != NULL && out->phase != NULL;
    pdx_layout all = c.layout; /* every variable, by pdx_theory_var */
    all.vars = variables;
    for (size_t v = 0; v < PDX_TH_COUNT && ok; v++) {
        c.block[v] = pdx_layout_var_size(&all, v);
        size_t n = (size_t)n_cells * c.block[v];
        out->values[v] = malloc((n > 0 ? n : 1) * sizeof(double));
        ok = out->values[v] != NULL;
        for (size_t i = 0; ok && i < n; i++)
            out->values[v][i] = NAN;
    }
    pdx_params *params = ok ? malloc(n_cells * sizeof *params) : NULL;
    uint64_t *group = ok ? malloc(n_cells * sizeof *group) : NULL;
    pdx_params *group_params =
        ok ? malloc(n_cells * sizeof *group_params) : NULL;
    pdx_theory_workspace *ws = NULL;
    if (!ok || params == NULL || group == NULL || group_params == NULL ||
        pdx_theory_workspace_create(&ws, err) != PDX_OK) {
        free(params);
        free(group);
        free(group_params);
        pdx_theory_grid_result_clear(out);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory for the theory of %llu cells",
                             (unsigned long long)n_cells);
    }
    for (uint64_t cell = 0; cell < n_cells; cell++) {
        pdx_grid_cell_params(grid, cell, &params[cell]);
        out->theory[cell] = (int8_t)pdx_theory_for_params(&params[cell]);
    }
    pdx_status st = PDX_OK;
    double last = now_seconds();
    for (uint64_t cell = 0; cell < n_cells && st == PDX_OK; cell++) {
        pdx_theory_kind kind = (pdx_theory_kind)out->theory[cell];
        if (out->status[cell] != PDX_THEORY_PENDING)
            continue; /* done with its group */
        switch (kind) {
        case PDX_THEORY_NONE:
            out->status[cell] = PDX_THEORY_NOT_APPLICABLE;
            break;
        case PDX_THEORY_SCM_ODE: eval_scm(&c, cell, &params[cell]); break;
        case PDX_THEORY_DEEP: {
            double *vars[PDX_TH_COUNT];
            for (size_t v = 0; v < PDX_TH_COUNT; v++)
                vars[v] = v < c.layout.n_vars ? cell_var(&c, cell, v) : NULL;
            out->status[cell] = (int8_t)pdx_th_deep_cell(
                ws, &params[cell], vars, c.layout.dim_size[PDX_DIM_LAYER]);
            break;
        }
        case PDX_THEORY_HEBB:
        case PDX_THEORY_HEBB_CLIPPED:
            eval_hebb(&c, cell, &params[cell], kind);
            break;
        default: {
            size_t n = 0;
            for (uint64_t j = cell; j < n_cells; j++)
                if (out->status[j] == PDX_THEORY_PENDING &&
                    same_curve(&params[cell], &params[j], kind,
                               (pdx_theory_kind)out->theory[j])) {
                    group[n] = j;
                    group_params[n++] = params[j];
                }
            st = eval_gibbs_group(&c, ws, group, group_params, n, kind, err);
            break;
        }
        }
        if (progress != NULL && now_seconds() - last > 5.0) {
            last = now_seconds();
            fprintf(progress, "pdx: theory: %llu of %llu cells\n",
                    (unsigned long long)(cell + 1),
                    (unsigned long long)n_cells);
        }
    }
    for (uint64_t cell = 0; cell < n_cells && c.layout.dim_size[PDX_DIM_BUDGET];
         cell++)
        eval_robust(&c, cell, &params[cell], (pdx_theory_kind)out->theory[cell]);
    for (uint64_t cell = 0; cell < n_cells; cell++) {
        if (out->status[cell] == PDX_THEORY_PENDING)
            out->status[cell] = PDX_THEORY_NOT_CONVERGED;
        switch (out->status[cell]) {
        case PDX_THEORY_SOLVED: out->solved++; break;
        case PDX_THEORY_NOT_APPLICABLE: out->not_applicable++; break;
        default: out->not_converged++; break;
        }
    }
    pdx_theory_workspace_destroy(&ws);
    free(params);
    free(group);
    free(group_params);
    if (st != PDX_OK)
        pdx_theory_grid_result_clear(out);
    return st;
}
