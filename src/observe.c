/* observe.c — order parameters and generalization error; the observer's
 * burn-in averages. Reads trainers through pdx/train.h's getters only. */
#include "pdx/observe.h"

#include "pdx/evidence.h"
#include "pdx/separable.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

struct pdx_observer {
    size_t max_K, max_M;
    /* averages over sweeps (epochs) after train.burn_in */
    double sum_eg, sum_train_error, sum_train_error_clean;
    double *sum_R;          /* K x M of the current task */
    int64_t n_samples;
    /* the samples' series (pdx_observer_reserve): training error, eg */
    double *series_energy, *series_eg;
    size_t series_room;
};

pdx_status pdx_observer_create(pdx_observer **out, size_t max_K, size_t max_M,
                               pdx_error *err)
{
    *out = NULL;
    pdx_observer *o = calloc(1, sizeof *o);
    if (o == NULL || (o->sum_R = calloc(max_K * max_M + 1,
                                        sizeof *o->sum_R)) == NULL) {
        free(o);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate an observer of %.0f bytes",
                             pdx_observer_bytes(max_K, max_M));
    }
    o->max_K = max_K;
    o->max_M = max_M;
    *out = o;
    return PDX_OK;
}

void pdx_observer_destroy(pdx_observer **observer)
{
    if (observer == NULL || *observer == NULL)
        return;
    free((*observer)->sum_R);
    free((*observer)->series_energy);
    free((*observer)->series_eg);
    free(*observer);
    *observer = NULL;
}

double pdx_observer_bytes(size_t max_K, size_t max_M)
{
    return 8.0 * (double)max_K * (double)max_M;
}

void pdx_observer_start(pdx_observer *o)
{
    o->sum_eg = o->sum_train_error = o->sum_train_error_clean = 0.0;
    for (size_t i = 0; i < o->max_K * o->max_M; i++)
        o->sum_R[i] = 0.0;
    o->n_samples = 0;
}

pdx_status pdx_observer_reserve(pdx_observer *o, size_t max_samples,
                                pdx_error *err)
{
    if (max_samples <= o->series_room)
        return PDX_OK;
    free(o->series_energy);
    free(o->series_eg);
    o->series_room = 0;
    o->series_energy = malloc(max_samples * sizeof *o->series_energy);
    o->series_eg = malloc(max_samples * sizeof *o->series_eg);
    if (o->series_energy == NULL || o->series_eg == NULL) {
        free(o->series_energy);
        free(o->series_eg);
        o->series_energy = o->series_eg = NULL;
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the series of %zu samples",
                             max_samples);
    }
    o->series_room = max_samples;
    return PDX_OK;
}

int64_t pdx_observer_samples(const pdx_observer *o)
{
    return o->n_samples;
}

static const pdx_var_desc variables[PDX_OBS_COUNT] = {
    [PDX_OBS_EG] = {"eg",
                    "generalization error against the clean teacher: "
                    "<(y - yhat)^2>/2, or P(sign yhat != y) for +-1 labels",
                    "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_Q] = {"Q", "student-student overlap w_k.w_l/N", "1", 3,
                   {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT, PDX_DIM_STUDENT_UNIT2}},
    [PDX_OBS_R] = {"R", "student-teacher overlap w_k.B_m/N", "1", 3,
                   {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT, PDX_DIM_TEACHER_UNIT}},
    [PDX_OBS_T] = {"T", "teacher-teacher overlap B_m.B_n/N", "1", 2,
                   {PDX_DIM_TEACHER_UNIT, PDX_DIM_TEACHER_UNIT2}},
    [PDX_OBS_V] = {"v", "student second-layer weight v_k", "1", 2,
                   {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT}},
    [PDX_OBS_NORM] = {"norm", "mean squared first-layer weight sum_k Q_kk/K",
                      "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_TRAIN_ERROR] = {"train_error",
                             "training error against the training labels "
                             "(noisy): fraction misclassified, or "
                             "<(y - yhat)^2>/2 for real labels",
                             "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_TRAIN_ERROR_CLEAN] = {"train_error_clean",
                                   "training error against the clean teacher "
                                   "labels of the training inputs",
                                   "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_LOSS] = {"loss", "mean training loss (noisy labels, no decay)",
                      "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_TIME_TO_FIT] = {"time_to_fit",
                             "first time the training error (noisy labels) "
                             "was 0 (epochs or sweeps; NaN: never)",
                             "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_EG_MEAN] = {"eg_mean",
                         "eg averaged over the sweeps (epochs) after "
                         "train.burn_in",
                         "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_TRAIN_ERROR_MEAN] = {"train_error_mean",
                                  "train_error averaged after train.burn_in",
                                  "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_TRAIN_ERROR_CLEAN_MEAN] = {"train_error_clean_mean",
                                        "train_error_clean averaged after "
                                        "train.burn_in",
                                        "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_R_MEAN] = {"R_mean", "R averaged after train.burn_in", "1", 2,
                        {PDX_DIM_STUDENT_UNIT, PDX_DIM_TEACHER_UNIT}},
    [PDX_OBS_ACCEPT_RATE] = {"accept_rate",
                             "fraction of Metropolis moves accepted", "1", 0,
                             {PDX_DIM_TIME}},
    [PDX_OBS_SEPARABLE] = {"separable",
                           "1 if the training set (inputs and noisy "
                           "labels) is strictly linearly separable "
                           "through the origin, 0 if not: an exact test "
                           "(linear program, GLPK); NaN for real labels "
                           "or where the LP failed (record.separable)",
                           "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_LOG_EVIDENCE] = {"log_evidence",
                              "Laplace log-evidence ln P(y|X) of the "
                              "training labels under record.evidence's "
                              "likelihood and the prior N(0, 1/lambda), "
                              "lambda = record.prior_precision: "
                              "evidence_cost + evidence_occam (pdx/evidence.h)",
                              "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_EVIDENCE_COST] = {"evidence_cost",
                               "-C(w0) = sum ln P(y|x, w0) - lambda |w0|^2/2 "
                               "at the MAP weights w0",
                               "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_EVIDENCE_OCCAM] = {"evidence_occam",
                                "Occam factor -(1/2) ln det(H/lambda), H the "
                                "Hessian of C at w0",
                                "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_EVIDENCE_NULL] = {"evidence_null",
                               "log-evidence of the null model (each label "
                               "+-1 with probability 1/2): -P ln 2",
                               "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_EVIDENCE_EG] = {"evidence_eg",
                             "generalization error arccos(R/sqrt(QT))/pi of "
                             "the MAP weights w0",
                             "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_Q_PAIR] = {"q",
                        "overlap w.w'/N of the students of two independent "
                        "chains sampling the same training set "
                        "(record.bayes; the cosine for spherical and "
                        "binary students)",
                        "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_Q_MEAN] = {"q_mean", "q averaged after train.burn_in "
                                  "(record.bayes)",
                        "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_EG_BAYES] = {"eg_bayes",
                          "classification error of the centre of mass of "
                          "both chains' samples after train.burn_in, the "
                          "Bayes estimator (record.bayes)",
                          "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_TAU_ENERGY] = {"tau_energy",
                            "integrated autocorrelation time of the "
                            "training error (the Monte Carlo energy) over "
                            "the samples after train.burn_in, in sweeps "
                            "(epochs): Sokal's automatic window M >= 5 tau, "
                            "or the batch-means estimate (20 batches) when "
                            "larger; NaN for a constant series",
                            "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_TAU_EG] = {"tau_eg",
                        "integrated autocorrelation time of eg over the "
                        "samples after train.burn_in (as tau_energy)",
                        "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_N_EFF] = {"n_eff",
                       "effective number of independent samples after "
                       "train.burn_in: n / (2 max(tau_energy, tau_eg))",
                       "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_DRIFT_Z] = {"drift_z",
                         "Geweke's drift |z|: mean of the first 10 % of the "
                         "samples after burn-in against the last 50 %, in "
                         "standard errors (tau-corrected); the larger of "
                         "the training error's and eg's",
                         "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_EQUILIBRATED] = {"equilibrated",
                              "1 if the test says the task sampled its "
                              "Gibbs measure, else 0. Test (docs/"
                              "TRAINERS.md): >= 100 samples after burn-in; "
                              "each non-constant series (training error, "
                              "eg) has a Sokal window and drift_z <= 4; "
                              "not both constant; n_eff >= 50; at T = 0 "
                              "every training error sample is 0; with "
                              "train.entry, an entry was found; when the "
                              "grid has both train.start values, the "
                              "other start's task passes too and "
                              "hot_cold_z <= 4",
                              "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_ENTRY_EPOCHS] = {"entry_epochs",
                              "train.entry perceptron: epochs of the "
                              "perceptron rule until no training error "
                              "(0: the start was in the version space; "
                              "NaN: no entry within 10000 epochs)",
                              "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_SWAP_RATE] = {"swap_rate",
                           "train.parallel_tempering: fraction of accepted "
                           "exchanges between this cell's temperature and "
                           "the next higher one of the ladder (NaN at the "
                           "top)",
                           "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_TRAIN_ERROR_SEM] = {"train_error_sem",
                                 "standard error of train_error_mean: "
                                 "sqrt(2 tau_energy var / n) over the n "
                                 "samples after train.burn_in (0 for a "
                                 "constant series)",
                                 "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_EG_SEM] = {"eg_sem",
                        "standard error of eg_mean: sqrt(2 tau_eg var / n)",
                        "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_Q_LAYER] = {"q_layer",
                         "propagate: length q^l = |h^l|^2/width of the "
                         "pre-activations of input a at layer l",
                         "1", 1, {PDX_DIM_LAYER}},
    [PDX_OBS_C_LAYER] = {"c_layer",
                         "propagate: correlation c^l = h_a.h_b/(|h_a||h_b|) "
                         "of the two inputs' pre-activations at layer l",
                         "1", 1, {PDX_DIM_LAYER}},
    [PDX_OBS_CHI_LAYER] = {"chi_layer",
                           "propagate: mean squared singular value "
                           "tr(J J^T)/width of the Jacobian J = D W^l of "
                           "g(h^(l-1)) -> g(h^l) (x -> g(h^1) at l = 1), "
                           "from random probes",
                           "1", 1, {PDX_DIM_LAYER}},
    [PDX_OBS_CURVE_LENGTH_LAYER] = {"curve_length_layer",
                                    "propagate: length of the image h^l of "
                                    "the input great circle, divided by "
                                    "sqrt(width) (the input circle: 2 pi "
                                    "sqrt(q0))",
                                    "1", 1, {PDX_DIM_LAYER}},
    [PDX_OBS_SUCCESS] = {"success",
                         "replicated training: 1 if the centre or a "
                         "replica reached zero training error (noisy "
                         "labels) by the end, else 0; NaN for real labels",
                         "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_TIME_TO_SUCCESS] = {"time_to_success",
                                 "replicated training: first time (sweeps "
                                 "or epochs) the centre or a replica had "
                                 "zero training error (NaN: never)",
                                 "1", 0, {PDX_DIM_TIME}},
    [PDX_OBS_REPLICA_DISTANCE] = {"replica_distance",
                                  "replicated training: mean over the "
                                  "replicas of |w^a - centre|^2/(K N) of "
                                  "the first-layer weights (binary: 4 x "
                                  "the fraction of weights that differ)",
                                  "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_REPLICA_TRAIN_ERROR] = {"replica_train_error",
                                     "replicated training: the replicas' "
                                     "mean training error (noisy labels; "
                                     "train_error is the centre's)",
                                     "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_REPLICA_EG] = {"replica_eg",
                            "replicated training: the replicas' mean "
                            "generalization error (eg is the centre's)",
                            "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_HOT_COLD_Z] = {"hot_cold_z",
                            "grids with both train.start values: "
                            "max over train_error_mean and eg_mean of "
                            "|hot - cold| / sqrt(sem_hot^2 + sem_cold^2), "
                            "the hot and cold start of the same cell and "
                            "replica (the same value in both tasks); "
                            "equilibrated needs <= 4",
                            "1", 0, {PDX_DIM_TIME}},
};

const pdx_var_desc *pdx_observe_variables(size_t *count)
{
    if (count != NULL)
        *count = PDX_OBS_COUNT;
    return variables;
}

/* <g(a) g(b)> for jointly Gaussian a, b with covariances C_aa, C_bb, C_ab
 * and g(z) = erf(z/sqrt 2): (2/pi) asin(C_ab / sqrt((1+C_aa)(1+C_bb))). */
static double erf_pair(double c_ab, double c_aa, double c_bb)
{
    return (2.0 / M_PI) * asin(c_ab / sqrt((1.0 + c_aa) * (1.0 + c_bb)));
}

double pdx_observe_eg_closed_form(int activation, size_t K, size_t M,
                                  const double *Q, size_t ldq,
                                  const double *R, size_t ldr,
                                  const double *T, size_t ldt,
                                  const double *v, const double *vt)
{
    if (activation != PDX_ACT_ERF && activation != PDX_ACT_LINEAR)
        return NAN;
    int erf_units = activation == PDX_ACT_ERF;
    double ss = 0.0, tt = 0.0, st = 0.0;
    for (size_t k = 0; k < K; k++)
        for (size_t l = 0; l < K; l++) {
            double q = Q[k * ldq + l];
            ss += v[k] * v[l] *
                  (erf_units ? erf_pair(q, Q[k * ldq + k], Q[l * ldq + l]) : q);
        }
    for (size_t n = 0; n < M; n++)
        for (size_t m = 0; m < M; m++) {
            double t = T[n * ldt + m];
            tt += vt[n] * vt[m] *
                  (erf_units ? erf_pair(t, T[n * ldt + n], T[m * ldt + m]) : t);
        }
    for (size_t k = 0; k < K; k++)
        for (size_t n = 0; n < M; n++) {
            double r = R[k * ldr + n];
            st += v[k] * vt[n] *
                  (erf_units ? erf_pair(r, Q[k * ldq + k], T[n * ldt + n]) : r);
        }
    return 0.5 * (ss + tt - 2.0 * st);
}

double pdx_observe_eg_test_set(const pdx_trainer *t)
{
    return pdx_observe_eg_test_set_of(t, pdx_trainer_student(t));
}

double pdx_observe_eg_test_set_of(const pdx_trainer *t,
                                  const pdx_committee *s)
{
    const double *test_x, *test_y;
    const size_t test_size = pdx_trainer_test_set(t, &test_x, &test_y);
    const int classification = pdx_trainer_classification(t);
    const size_t N = s->N, K = s->K; /* K <= 64: spec student.hidden */
    const double scale = 1.0 / sqrt((double)N);
    /* a block of inputs at a time, so that their activations are
     * evaluated together (vectorised); the same bits as
     * pdx_model_forward on each input */
    enum { BLOCK = 16 };
    double act[BLOCK * 64];
    double sum = 0.0;
    if (s->deep != NULL) { /* blocks of inputs through the deep net */
        double yhat[PDX_DEEP_BLOCK];
        for (size_t first = 0; first < test_size; first += PDX_DEEP_BLOCK) {
            size_t nb = test_size - first < PDX_DEEP_BLOCK ? test_size - first
                                                           : PDX_DEEP_BLOCK;
            pdx_deep_outputs(s->deep, test_x + first * N, nb, yhat);
            for (size_t b = 0; b < nb; b++) {
                double y = test_y[first + b];
                if (classification) {
                    sum += (yhat[b] >= 0.0) != (y > 0.0);
                } else {
                    double d = y - yhat[b];
                    sum += 0.5 * d * d;
                }
            }
        }
        return test_size > 0 ? sum / (double)test_size : NAN;
    }
    for (size_t first = 0; first < test_size; first += BLOCK) {
        size_t nb = test_size - first < BLOCK ? test_size - first : BLOCK;
        for (size_t b = 0; b < nb; b++) {
            double *lambda = act + b * K;
            pdx_model_dot_rows(s->w, K, N, test_x + (first + b) * N, N,
                               lambda);
            for (size_t k = 0; k < K; k++)
                lambda[k] *= scale;
        }
        pdx_model_g_many(s->activation, act, act, nb * K);
        for (size_t b = 0; b < nb; b++) {
            double yhat = 0.0;
            for (size_t k = 0; k < K; k++)
                yhat += s->v[k] * act[b * K + k];
            double y = test_y[first + b];
            if (classification) {
                sum += (yhat >= 0.0) != (y > 0.0);
            } else {
                double d = y - yhat;
                sum += 0.5 * d * d;
            }
        }
    }
    return test_size > 0 ? sum / (double)test_size : NAN;
}

double pdx_observe_eg_perceptron(double Q, double R, double T)
{
    if (!(Q > 0.0) || !(T > 0.0))
        return 0.5;
    double c = R / sqrt(Q * T);
    c = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
    return acos(c) / M_PI;
}

/* eg of the trainer's student from its order parameters (ld = leading
 * sizes) or its test set. */
static double measure_eg(const pdx_trainer *t, const double *Q, size_t ldq,
                         const double *R, size_t ldr, const double *T,
                         size_t ldt)
{
    const pdx_params *p = pdx_trainer_params(t);
    /* a test set made for the robust error only leaves eg in closed form */
    if (pdx_trainer_test_set(t, NULL, NULL) > 0 &&
        !(p->record_eg != PDX_EG_TEST_SET && pdx_trainer_has_closed_form(p)))
        return pdx_observe_eg_test_set(t);
    if (pdx_trainer_student(t)->deep != NULL)
        return NAN; /* deep nets: a test set only */
    if (pdx_trainer_classification(t))
        return pdx_observe_eg_perceptron(Q[0], R[0], T[0]);
    const pdx_committee *s = pdx_trainer_student(t);
    const pdx_committee *b = pdx_trainer_teacher(t);
    return pdx_observe_eg_closed_form(s->activation, s->K, b->K, Q, ldq, R,
                                      ldr, T, ldt, s->v, b->v);
}

void pdx_observe_teacher(const pdx_trainer *t, const pdx_layout *layout,
                         double *const *out)
{
    const pdx_committee *b = pdx_trainer_teacher(t);
    const size_t N = b->N, M = b->K;
    const size_t mm = layout->dim_size[PDX_DIM_TEACHER_UNIT];
    double *T = out[PDX_OBS_T];
    for (size_t n = 0; n < M; n++)
        for (size_t m = 0; m < M; m++)
            T[n * mm + m] =
                pdx_model_dot(b->w + n * N, b->w + m * N, N) / (double)N;
}

void pdx_observe_measure(pdx_trainer *t, const pdx_layout *layout,
                         size_t ti, double *const *out)
{
    if (pdx_trainer_params(t)->train_algorithm == PDX_ALG_PROPAGATE)
        return; /* no training: its values are per layer (observe_task) */
    const pdx_committee *s = pdx_trainer_student(t);
    const pdx_committee *b = pdx_trainer_teacher(t);
    const size_t N = s->N, K = s->K, M = b->K;
    const size_t kk = layout->dim_size[PDX_DIM_STUDENT_UNIT];
    const size_t mm = layout->dim_size[PDX_DIM_TEACHER_UNIT];
    double *Q = out[PDX_OBS_Q] + ti * kk * kk;
    double *R = out[PDX_OBS_R] + ti * kk * mm;
    double *v = out[PDX_OBS_V] + ti * kk;
    const double *T = out[PDX_OBS_T];
    double norm = 0.0;
    for (size_t k = 0; k < K; k++) {
        const double *wk = s->w + k * N;
        for (size_t l = 0; l < K; l++)
            Q[k * kk + l] = pdx_model_dot(wk, s->w + l * N, N) / (double)N;
        for (size_t m = 0; m < M; m++)
            R[k * mm + m] = pdx_model_dot(wk, b->w + m * N, N) / (double)N;
        v[k] = s->v[k];
        norm += Q[k * kk + k];
    }
    out[PDX_OBS_NORM][ti] = norm / (double)K;
    out[PDX_OBS_EG][ti] = measure_eg(t, Q, kk, R, mm, T, mm);
    if (pdx_observe_robust_base(layout) > PDX_OBS_LOSS &&
        pdx_params_finite(pdx_trainer_params(t))) {
        double loss;
        out[PDX_OBS_TRAIN_ERROR][ti] = pdx_trainer_train_error(t, 0, &loss);
        out[PDX_OBS_LOSS][ti] = loss;
        out[PDX_OBS_TRAIN_ERROR_CLEAN][ti] = pdx_trainer_train_error(t, 1,
                                                                     NULL);
    }
    if (pdx_observe_robust_base(layout) > PDX_OBS_REPLICA_EG)
        pdx_observe_replicas(t, layout, ti, out);
}

void pdx_observe_sample(pdx_observer *o, pdx_trainer *t,
                        const pdx_layout *layout, double *const *out)
{
    const pdx_committee *s = pdx_trainer_student(t);
    const pdx_committee *b = pdx_trainer_teacher(t);
    const size_t N = s->N, K = s->K, M = b->K;
    const size_t mm = layout->dim_size[PDX_DIM_TEACHER_UNIT];
    assert(K * M <= o->max_K * o->max_M);
    double Q[64 * 64], R[64 * 64];
    for (size_t k = 0; k < K; k++) {
        const double *wk = s->w + k * N;
        for (size_t l = 0; l < K; l++)
            Q[k * K + l] = pdx_model_dot(wk, s->w + l * N, N) / (double)N;
        for (size_t m = 0; m < M; m++)
            R[k * M + m] = pdx_model_dot(wk, b->w + m * N, N) / (double)N;
    }
    double eg = measure_eg(t, Q, K, R, M, out[PDX_OBS_T], mm);
    double energy = pdx_trainer_train_error(t, 0, NULL);
    if ((size_t)o->n_samples < o->series_room) {
        o->series_energy[o->n_samples] = energy;
        o->series_eg[o->n_samples] = eg;
    }
    o->sum_eg += eg;
    o->sum_train_error += energy;
    o->sum_train_error_clean += pdx_trainer_train_error(t, 1, NULL);
    for (size_t i = 0; i < K * M; i++)
        o->sum_R[i] += R[i];
    o->n_samples++;
}

/* The Laplace evidence of the task's training set (record.evidence): its
 * workspace (N^2 + 5 N + 2 P doubles) is allocated per task, since it is
 * needed once per task and only when asked for; NaN if that fails. */
static void observe_evidence(const pdx_trainer *t, const pdx_dataset *d,
                             double *const *out)
{
    const pdx_params *p = pdx_trainer_params(t);
    const pdx_committee *b = pdx_trainer_teacher(t);
    const size_t N = d->N;
    double *work = malloc((pdx_evidence_workspace_doubles(d->P, N) + N) *
                          sizeof *work);
    if (work == NULL)
        return;
    double *w = work + pdx_evidence_workspace_doubles(d->P, N);
    pdx_evidence_result r;
    if (pdx_evidence_laplace(d->x, d->y, d->P, N, p->record_prior_precision,
                             p->record_evidence, work, w, &r) == 0) {
        out[PDX_OBS_LOG_EVIDENCE][0] = r.log_evidence;
        out[PDX_OBS_EVIDENCE_COST][0] = r.cost;
        out[PDX_OBS_EVIDENCE_OCCAM][0] = r.occam;
        out[PDX_OBS_EVIDENCE_NULL][0] = r.null_model;
        double Q = pdx_model_dot(w, w, N) / (double)N;
        double R = pdx_model_dot(w, b->w, N) / (double)N;
        double T = pdx_model_dot(b->w, b->w, N) / (double)N;
        out[PDX_OBS_EVIDENCE_EG][0] = pdx_observe_eg_perceptron(Q, R, T);
    }
    free(work);
}

void pdx_observe_equilibration(const pdx_observer *o, const pdx_trainer *t,
                               pdx_equilibration *e)
{
    const pdx_params *p = pdx_trainer_params(t);
    *e = (pdx_equilibration){NAN, NAN, NAN, NAN, NAN, NAN, 0};
    if ((size_t)o->n_samples <= o->series_room)
        pdx_equilibration_assess(o->series_energy, o->series_eg,
                                 (size_t)o->n_samples,
                                 p->train_temperature == 0.0, e);
    /* a version-space entry that failed: not equilibrated, whatever the
     * series say */
    if (p->train_entry != PDX_ENTRY_NONE &&
        isnan(pdx_trainer_entry_epochs(t)) &&
        p->student_weights == PDX_WEIGHTS_SPHERICAL)
        e->equilibrated = 0;
}

void pdx_observer_means(const pdx_observer *o, double *train_error_mean,
                        double *eg_mean)
{
    const double n = (double)o->n_samples;
    *train_error_mean = o->n_samples > 0 ? o->sum_train_error / n : NAN;
    *eg_mean = o->n_samples > 0 ? o->sum_eg / n : NAN;
}

/* The equilibration diagnostics of the task's samples (issue 14 item 4;
 * src/equilibrate.c), the version-space entry and the swap rate. */
static void observe_equilibration(const pdx_observer *o, const pdx_trainer *t,
                                  double *const *out)
{
    out[PDX_OBS_ENTRY_EPOCHS][0] = pdx_trainer_entry_epochs(t);
    out[PDX_OBS_SWAP_RATE][0] = pdx_trainer_swap_rate(t);
    pdx_equilibration e;
    pdx_observe_equilibration(o, t, &e);
    out[PDX_OBS_TAU_ENERGY][0] = e.tau_energy;
    out[PDX_OBS_TAU_EG][0] = e.tau_eg;
    out[PDX_OBS_N_EFF][0] = e.n_eff;
    out[PDX_OBS_DRIFT_Z][0] = e.drift_z;
    out[PDX_OBS_EQUILIBRATED][0] = (double)e.equilibrated;
    out[PDX_OBS_TRAIN_ERROR_SEM][0] = e.sem_energy;
    out[PDX_OBS_EG_SEM][0] = e.sem_eg;
}

void pdx_observe_task(const pdx_observer *o, const pdx_trainer *t,
                      const pdx_layout *layout, double *const *out)
{
    if (pdx_observe_robust_base(layout) <= PDX_OBS_ACCEPT_RATE ||
        !pdx_params_finite(pdx_trainer_params(t)))
        return;
    out[PDX_OBS_TIME_TO_FIT][0] = pdx_trainer_time_to_fit(t);
    if (pdx_observe_robust_base(layout) > PDX_OBS_REPLICA_EG)
        pdx_observe_replicas_task(t, out);
    if (pdx_observe_robust_base(layout) > PDX_OBS_CURVE_LENGTH_LAYER) {
        const double *q, *c, *chi, *length;
        size_t L = pdx_trainer_layers(t, &q, &c, &chi, &length);
        assert(L <= layout->dim_size[PDX_DIM_LAYER]);
        for (size_t l = 0; l < L; l++) {
            out[PDX_OBS_Q_LAYER][l] = q[l];
            out[PDX_OBS_C_LAYER][l] = c[l];
            out[PDX_OBS_CHI_LAYER][l] = chi[l];
            out[PDX_OBS_CURVE_LENGTH_LAYER][l] = length[l];
        }
    }
    double accept_rate = pdx_trainer_accept_rate(t);
    if (!isnan(accept_rate))
        out[PDX_OBS_ACCEPT_RATE][0] = accept_rate;
    const pdx_dataset *d = pdx_trainer_dataset(t);
    if (pdx_trainer_params(t)->record_separable && d != NULL &&
        d->classification && d->P > 0) {
        int r = pdx_separable(d->x, d->y, d->P, d->N, NULL);
        out[PDX_OBS_SEPARABLE][0] = r < 0 ? NAN : (double)r;
    }
    if (pdx_trainer_params(t)->record_evidence != PDX_EVIDENCE_NONE &&
        d != NULL && d->classification && d->P > 0)
        observe_evidence(t, d, out);
    if (o == NULL || o->n_samples == 0)
        return;
    const double n = (double)o->n_samples;
    const size_t K = pdx_trainer_student(t)->K, M = pdx_trainer_teacher(t)->K;
    const size_t mm = layout->dim_size[PDX_DIM_TEACHER_UNIT];
    out[PDX_OBS_EG_MEAN][0] = o->sum_eg / n;
    out[PDX_OBS_TRAIN_ERROR_MEAN][0] = o->sum_train_error / n;
    out[PDX_OBS_TRAIN_ERROR_CLEAN_MEAN][0] = o->sum_train_error_clean / n;
    for (size_t k = 0; k < K; k++)
        for (size_t m = 0; m < M; m++)
            out[PDX_OBS_R_MEAN][k * mm + m] = o->sum_R[k * M + m] / n;
    observe_equilibration(o, t, out);
}
