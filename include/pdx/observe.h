/* pdx/observe.h — what is measured at each checkpoint, and the table of
 * result variables it fills (handed to the store as a pdx_layout).
 *
 * Measurements read the trainer through its getters (pdx/train.h) and
 * never change it. What accumulates over a task (the burn-in averages of
 * Metropolis and Langevin runs) lives in a pdx_observer, one per worker
 * thread, reset per task by pdx_observer_start.
 *
 * Thread-safety: the functions are reentrant; an observer, like a
 * trainer, is used by one thread at a time. None allocates but
 * pdx_observer_create. */
#ifndef PDX_OBSERVE_H
#define PDX_OBSERVE_H

#include <stddef.h>

#include "pdx/layout.h"
#include "pdx/train.h"

/* Indices of the variables in pdx_observe_variables(). */
typedef enum pdx_observe_var {
    PDX_OBS_EG = 0,
    PDX_OBS_Q,
    PDX_OBS_R,
    PDX_OBS_T,
    PDX_OBS_V,
    PDX_OBS_NORM,
    PDX_OBS_ONLINE_COUNT,          /* the variables of online sweeps */
    /* finite training sets add these (per checkpoint) */
    PDX_OBS_TRAIN_ERROR = PDX_OBS_ONLINE_COUNT,
    PDX_OBS_TRAIN_ERROR_CLEAN,
    PDX_OBS_LOSS,
    /* ... and these per task (no time dimension) */
    PDX_OBS_TIME_TO_FIT,
    PDX_OBS_EG_MEAN,
    PDX_OBS_TRAIN_ERROR_MEAN,
    PDX_OBS_TRAIN_ERROR_CLEAN_MEAN,
    PDX_OBS_R_MEAN,
    PDX_OBS_ACCEPT_RATE,
    PDX_OBS_SEPARABLE,             /* record.separable */
    PDX_OBS_LOG_EVIDENCE,          /* record.evidence (issue 17) */
    PDX_OBS_EVIDENCE_COST,
    PDX_OBS_EVIDENCE_OCCAM,
    PDX_OBS_EVIDENCE_NULL,
    PDX_OBS_EVIDENCE_EG,
    PDX_OBS_Q_PAIR,                /* record.bayes: q = w.w'/N per time */
    PDX_OBS_Q_MEAN,                /* ... q averaged after burn-in */
    PDX_OBS_EG_BAYES,              /* ... eg of the centre of mass */
    /* equilibration diagnostics (issue 14 item 4; metropolis, langevin) */
    PDX_OBS_TAU_ENERGY,
    PDX_OBS_TAU_EG,
    PDX_OBS_N_EFF,
    PDX_OBS_DRIFT_Z,
    PDX_OBS_EQUILIBRATED,
    PDX_OBS_ENTRY_EPOCHS,          /* train.entry perceptron */
    PDX_OBS_SWAP_RATE,             /* train.parallel_tempering */
    PDX_OBS_TRAIN_ERROR_SEM,       /* standard errors of the averages */
    PDX_OBS_EG_SEM,
    /* replicated training (issue 16; src/observe_replicas.c) */
    PDX_OBS_SUCCESS,               /* per task */
    PDX_OBS_TIME_TO_SUCCESS,       /* per task */
    PDX_OBS_REPLICA_DISTANCE,      /* per checkpoint */
    PDX_OBS_REPLICA_TRAIN_ERROR,   /* per checkpoint */
    PDX_OBS_REPLICA_EG,            /* per checkpoint */
    PDX_OBS_HOT_COLD_Z,            /* issue 14: both starts in the grid */
    PDX_OBS_FINITE_COUNT,          /* the variables of finite-set sweeps */
    /* sweeps with cells that propagate signals through deep nets add the
     * per-layer values (layer dimension; NaN beyond a cell's depth) */
    PDX_OBS_Q_LAYER = PDX_OBS_FINITE_COUNT,
    PDX_OBS_C_LAYER,
    PDX_OBS_CHI_LAYER,
    PDX_OBS_CURVE_LENGTH_LAYER,
    PDX_OBS_COUNT
} pdx_observe_var;

/* The result variables (static table): PDX_OBS_COUNT entries, of which an
 * online sweep's files hold the first PDX_OBS_ONLINE_COUNT, a finite-set
 * sweep's the first PDX_OBS_FINITE_COUNT, and a sweep with a layer
 * dimension (train.algorithm propagate) all. */
const pdx_var_desc *pdx_observe_variables(size_t *count);

/* ---- Robust error (issue 18; src/robust.c) ----
 * A layout with a budget dimension (record.budgets) ends with these
 * variables, after the online, finite-set or per-layer ones: variable
 * pdx_observe_robust_base(layout) + PDX_ROBUST_*. */
typedef enum pdx_robust_var {
    PDX_ROBUST_ERROR = 0,          /* time x budget */
    PDX_ROBUST_ERROR_CONSISTENT,   /* time x budget */
    PDX_ROBUST_DISTANCE,           /* time: mean minimal perturbation */
    PDX_ROBUST_ATTACK,             /* per task: the pdx_attack used */
    PDX_ROBUST_COUNT
} pdx_robust_var;

/* The variables of a layout: the first `base` of pdx_observe_variables()
 * (PDX_OBS_ONLINE_COUNT, PDX_OBS_FINITE_COUNT or PDX_OBS_COUNT), followed
 * by the PDX_ROBUST_COUNT robust ones when `robust`. Static tables,
 * thread-safe. */
const pdx_var_desc *pdx_observe_layout_variables(size_t base, int robust,
                                                 size_t *count);

/* Index of the layout's first robust variable: its variable count when it
 * has no budget dimension. */
size_t pdx_observe_robust_base(const pdx_layout *layout);

/* The workspace of the attacks of one worker thread (inputs of dimension
 * up to max_N, students of up to max_K units, deep students of up to
 * max_depth layers of max_width units; 0: none) and the budgets (sorted
 * ascending; the caller keeps them alive). Opaque. */
typedef struct pdx_attacker pdx_attacker;

pdx_status pdx_attacker_create(pdx_attacker **out, size_t max_N,
                               size_t max_K, size_t max_depth,
                               size_t max_width, const double *budgets,
                               size_t n_budgets, pdx_error *err);
void pdx_attacker_destroy(pdx_attacker **attacker);
double pdx_attacker_bytes(size_t max_N, size_t max_depth, size_t max_width,
                          size_t n_budgets);

/* The robust error of the trainer's student now, at every budget, into
 * checkpoint `time_index` of the robust variables (nothing when the
 * layout has no budget dimension): on the task's test set, exactly for
 * perceptron students (record.attack exact or auto), else by FGSM or PGD
 * (docs/FORMAT.md, "Robust error"). Deterministic: random starts come
 * from the (seed, cell, replica) ATTACK stream. */
void pdx_observe_robust(pdx_attacker *attacker, const pdx_trainer *trainer,
                        const pdx_layout *layout, size_t time_index,
                        double *const *out);

/* The consistent minimal perturbation for perceptron student w and
 * teacher B: the smallest |delta| (norm) with sign(w.(x + delta)) != s and
 * sign(B.(x + delta)) = s, s = +-1 the clean label, given a = s w.x > 0,
 * b = s B.x >= 0 and, for linf, the positive kinks w_i/B_i sorted
 * ascending (n_kinks of them). inf when there is none. */
double pdx_robust_consistent_distance(int norm, const double *w,
                                      const double *B, size_t N, double a,
                                      double b, const double *kinks,
                                      size_t n_kinks);

/* The test-set error of committee `student` (the trainer's student or
 * one of its replicas) on the trainer's test set: as
 * pdx_observe_eg_test_set. */
double pdx_observe_eg_test_set_of(const pdx_trainer *trainer,
                                  const pdx_committee *student);

/* Replicated training (issue 16): at checkpoint ti, the replicas' mean
 * squared distance to the centre per weight, their mean training error
 * and eg (nothing for other trainers). */
void pdx_observe_replicas(pdx_trainer *trainer, const pdx_layout *layout,
                          size_t ti, double *const *out);

/* ... and per task: success (1 or 0; NaN for real labels) and the time
 * to success. */
void pdx_observe_replicas_task(const pdx_trainer *trainer,
                               double *const *out);

/* ---- Local energy (issue 16; src/flatness.c) ----
 * A layout with a perturbation dimension (record.perturbations) ends with
 * these variables, after the robust ones (if any): variable
 * pdx_observe_flat_base(layout) + PDX_FLAT_*. Each is time x perturbation:
 * the mean over record.perturbation_draws perturbed copies of the student
 * and its standard error. */
typedef enum pdx_flat_var {
    PDX_FLAT_ENERGY = 0,  /* training error of the perturbed student */
    PDX_FLAT_ENERGY_SE,
    PDX_FLAT_LOSS,        /* training loss of the perturbed student */
    PDX_FLAT_LOSS_SE,
    PDX_FLAT_COUNT
} pdx_flat_var;

/* The PDX_FLAT_COUNT local-energy variables (static). */
const pdx_var_desc *pdx_observe_flat_variables(void);

/* Index of the layout's first local-energy variable: its variable count
 * when it has no perturbation dimension. */
size_t pdx_observe_flat_base(const pdx_layout *layout);

/* The workspace of one worker thread's perturbed copies (students of up
 * to max_K x max_N weights, and deep students of up to max_depth layers
 * of max_width units: 0 for none) and the sizes (sorted ascending; the
 * caller keeps them alive). Opaque. */
typedef struct pdx_flattener pdx_flattener;

pdx_status pdx_flattener_create(pdx_flattener **out, size_t max_N,
                                size_t max_K, size_t max_depth,
                                size_t max_width, const double *sizes,
                                size_t n_sizes, pdx_error *err);
void pdx_flattener_destroy(pdx_flattener **flattener);
double pdx_flattener_bytes(size_t max_N, size_t max_K, size_t max_depth,
                           size_t max_width);

/* The local energy of the trainer's student now, at every size, into
 * checkpoint `time_index` of the local-energy variables (nothing when the
 * layout has no perturbation dimension or the task has no training set):
 * binary perceptron students get round(p K N) distinct weights flipped,
 * other students w_i -> w_i (1 + sigma z_i) on every first-layer weight
 * (deep students: on every parameter -- the weights of every layer, the
 * biases, the readout and its bias);
 * the training error and loss of each perturbed copy (noisy labels,
 * pdx_trainer_train_error_of), averaged over record.perturbation_draws
 * draws. Deterministic: draw d of size j at checkpoint t is block
 * (t << 40) | (j << 20) | d of the (seed, cell, replica) FLATNESS
 * stream. */
void pdx_observe_flatness(pdx_flattener *flattener,
                          const pdx_trainer *trainer,
                          const pdx_layout *layout, size_t time_index,
                          double *const *out);

/* The observation state of one task: sums of eg, the training errors
 * and R over the samples taken after burn-in, and their count. Opaque. */
typedef struct pdx_observer pdx_observer;

/* An observer for tasks with up to max_K student and max_M teacher units
 * (0, 0: tasks without averages, e.g. online sweeps: pdx_observe_sample
 * must then not be called). *out receives it, owned by the caller
 * (pdx_observer_destroy), or NULL on failure. Returns PDX_OK or
 * PDX_ERR_NOMEM. */
pdx_status pdx_observer_create(pdx_observer **out, size_t max_K, size_t max_M,
                               pdx_error *err);

/* Frees the observer and sets *observer to NULL; NULL is fine. */
void pdx_observer_destroy(pdx_observer **observer);

/* Bytes of the arrays pdx_observer_create allocates for these sizes. */
double pdx_observer_bytes(size_t max_K, size_t max_M);

/* Forget the previous task's samples (call after pdx_trainer_set). */
void pdx_observer_start(pdx_observer *observer);

/* Samples taken since pdx_observer_start. */
int64_t pdx_observer_samples(const pdx_observer *observer);

/* Accumulate one sample of eg, the training errors and R of the trainer's
 * current student into the observer (metropolis sweeps, langevin epochs
 * after burn-in). Reads T from out[PDX_OBS_T] (pdx_observe_teacher). The
 * task's K x M must fit the observer's sizes (asserted). */
void pdx_observe_sample(pdx_observer *observer, pdx_trainer *trainer,
                        const pdx_layout *layout, double *const *out);

/* Per-task values of a finished finite-set task into out: time_to_fit,
 * the acceptance rate (Monte Carlo), the averages of the observer's
 * samples (if any), and the per-layer values of propagate tasks (layouts
 * with the layer variables). Nothing for online tasks or online
 * layouts. */
void pdx_observe_task(const pdx_observer *observer,
                      const pdx_trainer *trainer, const pdx_layout *layout,
                      double *const *out);

/* ---- Bayes by simulation (record.bayes, issue 14; src/bayes.c) ----
 * Two chains (trainers set with pdx_trainer_set_chain 0 and 1) sample the
 * same Gibbs measure of the same training set. A pdx_pair_observer (one
 * per worker thread) keeps the sum of both chains' students over the
 * samples after burn-in (their centre of mass, the Bayes estimator of the
 * posterior mean) and of their overlap q. Opaque; used by one thread at
 * a time. */
typedef struct pdx_pair_observer pdx_pair_observer;

/* A pair observer for students of up to max_N weights (one perceptron
 * unit). Returns PDX_OK or PDX_ERR_NOMEM (*out NULL). */
pdx_status pdx_pair_observer_create(pdx_pair_observer **out, size_t max_N,
                                    pdx_error *err);
void pdx_pair_observer_destroy(pdx_pair_observer **pair);
double pdx_pair_observer_bytes(size_t max_N);

/* Forget the previous task's samples. */
void pdx_pair_observer_start(pdx_pair_observer *pair);

/* q = w.w'/N of the two chains' (perceptron) students at checkpoint
 * `time_index` into out[PDX_OBS_Q_PAIR]. */
void pdx_observe_pair_measure(const pdx_trainer *a, const pdx_trainer *b,
                              const pdx_layout *layout, size_t time_index,
                              double *const *out);

/* One sample of both chains: their students added to the centre of mass
 * (a first, then b, weight by weight), q to its sum. */
void pdx_observe_pair_sample(pdx_pair_observer *pair, const pdx_trainer *a,
                             const pdx_trainer *b);

/* q_mean and eg_bayes = arccos(w_cm.B / (|w_cm| |B|)) / pi of the centre
 * of mass w_cm of the samples (teacher B of trainer a) into out; nothing
 * without samples. */
void pdx_observe_pair_task(const pdx_pair_observer *pair,
                           const pdx_trainer *a, const pdx_layout *layout,
                           double *const *out);

/* Series of the samples after burn-in: room for up to max_samples of
 * each (the most sweeps, epochs, a task of the sweep samples). Returns
 * PDX_OK or PDX_ERR_NOMEM; samples beyond the room are not kept (their
 * task's diagnostics are then NaN and not equilibrated). */
pdx_status pdx_observer_reserve(pdx_observer *observer, size_t max_samples,
                                pdx_error *err);

/* ---- Equilibration diagnostics (issue 14 item 4; src/equilibrate.c) ----
 * The integrated autocorrelation time tau_int = 1/2 + sum_{t=1}^{M}
 * rho(t) of x[0..n-1] (rho(t) = C(t)/C(0), C(t) the mean of (x_i - m)
 * (x_{i+t} - m) over the n - t pairs), with Sokal's automatic window: the
 * smallest M >= 5 tau(M) (M < n/2). In units of the sampling interval; the
 * variance of the mean is 2 tau var/n. NaN for a constant series (or
 * n < 2); *window (may be NULL) receives M, 0 when no window was found
 * below n/2 (tau is then the sum up to n/2, unreliable). */
double pdx_autocorr_time(const double *x, size_t n, size_t *window);

/* The batch-means estimate of tau_int: x split into PDX_EQ_BATCHES
 * batches of b = n / PDX_EQ_BATCHES (the rest left out), tau = b
 * var(batch means) / (2 var). Sees slow modes of small amplitude that end
 * Sokal's window early; noisy (relative error ~ sqrt(2 / (batches - 1))).
 * NaN for b < 2 or a constant series. */
double pdx_batch_means_time(const double *x, size_t n);
#define PDX_EQ_BATCHES 20

/* Geweke's drift statistic: |mean of the first 10 % - mean of the last
 * 50 %| over its standard error sqrt(2 tau (var_a/n_a + var_b/n_b)). NaN
 * when n < 20, 0 for equal means, inf for different constant parts. */
double pdx_drift_z(const double *x, size_t n, double tau);

/* The verdict's thresholds. */
#define PDX_EQ_MIN_SAMPLES 100    /* samples after burn-in */
#define PDX_EQ_MIN_EFFECTIVE 50.0 /* n / (2 tau) */
#define PDX_EQ_DRIFT_Z_MAX 4.0    /* |z| of either series */

typedef struct pdx_equilibration {
    double tau_energy, tau_eg; /* the larger of Sokal's and the batch-means
                                * estimate; NaN: constant series */
    double n_eff;              /* n / (2 max tau) */
    double drift_z;            /* the larger |z| of the two series */
    double sem_energy, sem_eg; /* sqrt(2 tau var / n) of the means (0 for a
                                * constant series) */
    int equilibrated;
} pdx_equilibration;

/* The test `equilibrated` of a task's samples after burn-in (the energy
 * is the training error, eg the generalization error, one sample per
 * sweep or epoch): at least PDX_EQ_MIN_SAMPLES samples; every
 * non-constant series has a Sokal window and |drift z| <=
 * PDX_EQ_DRIFT_Z_MAX; at least one series is not constant (else
 * nothing moved); n_eff >= PDX_EQ_MIN_EFFECTIVE; and at zero
 * temperature every energy sample is 0 (the Gibbs measure at T = 0 lives
 * on the version space). */
void pdx_equilibration_assess(const double *energy, const double *eg,
                              size_t n, int zero_temperature,
                              pdx_equilibration *out);

/* The verdict of the samples observer `o` took of trainer `t` since
 * pdx_observer_start, as the task's variables have it (without the
 * hot/cold check): pdx_equilibration_assess, and not equilibrated when
 * train.entry found no entry. */
void pdx_observe_equilibration(const pdx_observer *o, const pdx_trainer *t,
                               pdx_equilibration *e);

/* The means of the training error and eg over the observer's samples
 * (NaN without samples). */
void pdx_observer_means(const pdx_observer *o, double *train_error_mean,
                        double *eg_mean);

/* Hot/cold check (issue 14 item 4): a task whose grid has both
 * train.start values is equilibrated only if the other start's task of
 * the same cell and replica is too and their means of the training error
 * and eg agree within this many standard errors (hot_cold_z). */
#define PDX_EQ_HOT_COLD_Z_MAX 4.0

/* Classification error arccos(R / sqrt(Q T)) / pi of a perceptron student
 * against a perceptron teacher (0.5 when Q or T is 0). */
double pdx_observe_eg_perceptron(double Q, double R, double T);

/* Generalization error in closed form from the order parameters of erf/erf
 * or linear/linear committees: Q (K x K), R (K x M), T (M x M), second
 * layers v (K), vt (M); matrices row-major with the given leading sizes.
 * eg = <(y - yhat)^2> / 2. Returns NaN for other activations. */
double pdx_observe_eg_closed_form(int activation, size_t K, size_t M,
                                  const double *Q, size_t ldq,
                                  const double *R, size_t ldr,
                                  const double *T, size_t ldt,
                                  const double *v, const double *vt);

/* eg = mean over the trainer's test set of (y - yhat)^2 / 2, or of
 * [sign(yhat) != y] for +-1 labels (sign(0) = +1). */
double pdx_observe_eg_test_set(const pdx_trainer *trainer);

/* Measure the trainer now into checkpoint slot `time_index` of the
 * per-variable buffers out[PDX_OBS_COUNT] laid out as the layout says
 * (sizes from `layout`; entries beyond the cell's K, M stay untouched).
 * Reads T from out[PDX_OBS_T]. Not const: the training error uses the
 * trainer's scratch (the student is not changed). */
void pdx_observe_measure(pdx_trainer *trainer, const pdx_layout *layout,
                         size_t time_index, double *const *out);

/* Teacher overlaps T into out[PDX_OBS_T] (no time dimension). */
void pdx_observe_teacher(const pdx_trainer *trainer, const pdx_layout *layout,
                         double *const *out);

/* ---- Gradient-noise geometry and probability currents (issue 17;
 * src/noise.c, src/current.c; docs/FORMAT.md, "Gradient-noise geometry").
 * With record.noise_eigen = k > 0 a layout ends with these variables,
 * after every other (the robust ones included): variable
 * pdx_observe_noise_base(layout) + PDX_NOISE_*. */
typedef enum pdx_noise_var {
    PDX_NOISE_EIGENVALUES = 0,   /* time x eigen: top k eigenvalues of D */
    PDX_NOISE_TRACE,             /* time: tr D */
    PDX_NOISE_RANK,              /* time: participation ratio */
    PDX_NOISE_RANK99,            /* time: eigenvalues holding 99 % of tr D */
    PDX_NOISE_RANK99_FRACTION,   /* time: rank99 / d */
    PDX_NOISE_SNR,               /* time: |grad f|^2 / tr D */
    PDX_NOISE_DIMENSION,         /* per task: d, the trained weights */
    PDX_NOISE_CURRENT,           /* eigen x eigen2: antisymmetric lag-one
                                  * covariance (record.current) */
    PDX_NOISE_CURRENT_SE,        /* eigen x eigen2: its batch-means se */
    PDX_NOISE_CURRENT_CHI2,      /* per task: sum over i < j of (J/se)^2 */
    PDX_NOISE_CURRENT_STEPS,     /* per task: transitions summed */
    PDX_NOISE_CURRENT_EIGENVALUES, /* eigen: D's eigenvalues at burn-in */
    PDX_NOISE_COUNT
} pdx_noise_var;

/* The PDX_NOISE_COUNT noise variables (static). */
const pdx_var_desc *pdx_observe_noise_variables(void);

/* The variables of a layout: pdx_observe_layout_variables(base, robust),
 * then the PDX_FLAT_COUNT local-energy ones when `flat`, then the
 * PDX_NOISE_COUNT noise ones when `noise` (src/observe_layout.c). Static
 * tables, thread-safe. */
const pdx_var_desc *pdx_observe_layout_variables_all(size_t base,
                                                     int robust, int flat,
                                                     int noise,
                                                     size_t *count);

/* Index of the layout's first noise variable: its variable count when it
 * has no eigen dimension. */
size_t pdx_observe_noise_base(const pdx_layout *layout);

/* PDX_NOISE_EXACT_MAX (pdx/layout.h): exact eigendecomposition up to
 * min(P, d) of this, beyond it subspace iteration (docs/FORMAT.md). */

/* The spectrum summary of D at the current weights. */
typedef struct pdx_noise_summary {
    size_t d;            /* trained weights (0: the task has none) */
    double trace;        /* tr D */
    double rank;         /* participation ratio (tr D)^2 / tr D^2 */
    double rank99;       /* fewest eigenvalues holding 99 % of tr D */
    double snr;          /* |grad f|^2 / tr D, grad f the full-batch
                          * gradient of the objective (decay included) */
    int exact;           /* 1: every eigenvalue computed; 0: the top ones
                          * (rank an upper bound, rank99 NaN if the top
                          * ones hold less than 99 %) */
} pdx_noise_summary;

/* Workspace of one worker thread: training sets of up to max_P examples,
 * up to max_d weights, k eigenvalues, the current's k directions. */
typedef struct pdx_noise_meter pdx_noise_meter;

pdx_status pdx_noise_meter_create(pdx_noise_meter **out, size_t max_P,
                                  size_t max_d, size_t k, pdx_error *err);
void pdx_noise_meter_destroy(pdx_noise_meter **meter);
double pdx_noise_meter_bytes(size_t max_P, size_t max_d, size_t k);

/* (Unlike the observer, pdx_noise_spectrum and pdx_observe_noise allocate
 * the decomposition's workspace per call, O(min(P, d)^2) doubles; out of
 * memory leaves the eigenvalues NaN.)
 * D's k largest eigenvalues (NaN beyond min(P, d)) into eig, the summary
 * into *sum, for the trainer's student now; with `vectors` the
 * eigenvectors too (kept in the meter for the current). exact_max: the
 * largest min(P, d) decomposed exactly (PDX_NOISE_EXACT_MAX). Returns d
 * (0: the task has no trained weights; nothing written). */
size_t pdx_noise_spectrum(pdx_noise_meter *meter, pdx_trainer *trainer,
                          size_t k, size_t exact_max, int vectors,
                          double *eig, pdx_noise_summary *sum);

/* The eigenvectors the last call with `vectors` found: *k of them (rows of
 * *d weights, unit length, largest |component| positive). */
const double *pdx_noise_meter_directions(const pdx_noise_meter *meter,
                                         size_t *k, size_t *d);

/* The geometry at checkpoint time_index into the noise variables (nothing
 * when the layout has none or the task does not apply). */
void pdx_observe_noise(pdx_noise_meter *meter, pdx_trainer *trainer,
                       const pdx_layout *layout, size_t time_index,
                       double *const *out);

/* The current of a task: at its burn-in step, fix the directions (top k
 * eigenvectors of D) and the reference weights (start); after each later
 * step, add the transition (push); at the end, write the result (finish). */
void pdx_observe_current_start(pdx_noise_meter *meter, pdx_trainer *trainer,
                               int64_t transitions, const pdx_layout *layout,
                               double *const *out);
void pdx_observe_current_push(pdx_noise_meter *meter,
                              const pdx_trainer *trainer);
void pdx_observe_current_finish(pdx_noise_meter *meter,
                                const pdx_layout *layout, double *const *out);

/* The estimator alone (src/current.c): for a series y_0, y_1, ..., y_n of
 * k-vectors, J = (1/n) sum_t (y_t+1 y_t^T - y_t y_t+1^T) and its standard
 * error by batch means (PDX_CURRENT_BATCHES batches of consecutive
 * transitions, as equal as n allows). */
#define PDX_CURRENT_BATCHES 20
typedef struct pdx_current pdx_current;

pdx_status pdx_current_create(pdx_current **out, size_t max_k,
                              pdx_error *err);
void pdx_current_destroy(pdx_current **current);
double pdx_current_bytes(size_t max_k);
/* Start a series of k-vectors with `transitions` transitions (n). */
void pdx_current_start(pdx_current *current, size_t k, int64_t transitions);
/* The next vector of the series (the first one starts it). */
void pdx_current_push(pdx_current *current, const double *y);
/* J and se (k x k, row-major; se NaN with fewer than 2 batches) and the
 * chi^2 sum over i < j of (J_ij / se_ij)^2; returns the transitions
 * summed. */
int64_t pdx_current_result(const pdx_current *current, double *J, double *se,
                           double *chi2);

#endif
