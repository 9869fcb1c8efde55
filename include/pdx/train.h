/* pdx/train.h — a trainer: one task's teacher, student and data, driven
 * from outside ("set, iterate, observe").
 *
 * Algorithms (train.algorithm), one family of them per row of the trainer
 * table (src/train/, docs/TRAINERS.md):
 * - online: SGD on fresh inputs (time alpha = steps/N);
 * - gradient, on a fixed training set (pdx/data.h): minibatch SGD (one
 *   step = one minibatch, ceil(P/B) an epoch), full-batch gradient descent
 *   and Langevin dynamics (one step = one epoch). The plain gradient of the
 *   mean loss of the batch plus weight_decay/2 (|w|^2 + |v|^2), as
 *   torch.optim.SGD does; Langevin adds sqrt(2 eta T) N(0, 1) to every
 *   trained weight each step, so that its stationary law is
 *   exp(-(mean loss + decay)/T);
 * - rules: the Hebb rule and the perceptron rule (one step = one example,
 *   P steps an epoch);
 * - metropolis: Monte Carlo of perceptrons (one step = one attempted move,
 *   N a sweep);
 * - deep: sgd and gd of deep students (student.kind deep) by
 *   backpropagation, the same steps as the gradient family;
 * - propagate: no training; signals through the random deep student
 *   (per-layer length, correlation, Jacobian, curve length).
 *
 * A trainer is a per-thread workspace sized once for the largest cell of a
 * grid; pdx_trainer_set prepares one task without allocating, and
 * pdx_trainer_iterate advances it without allocating. The object is
 * opaque; what other modules read of it goes through the getters below.
 *
 * Thread-safety: a trainer is used by one thread at a time; distinct
 * trainers may be used from distinct threads concurrently (the table and
 * every other shared datum are read-only). */
#ifndef PDX_TRAIN_H
#define PDX_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "pdx/data.h"
#include "pdx/error.h"
#include "pdx/model.h"
#include "pdx/spec.h"

typedef struct pdx_trainer pdx_trainer;

/* A workspace for cells up to these sizes (max_test = 0: no test sets),
 * online learning only (pdx_trainer_create_finite for training sets).
 * *out receives the trainer, owned by the caller (pdx_trainer_destroy), or
 * NULL on failure. Returns PDX_OK or PDX_ERR_NOMEM (the message gives the
 * bytes asked for). */
pdx_status pdx_trainer_create(pdx_trainer **out, size_t max_N, size_t max_K,
                              size_t max_M, size_t max_test, pdx_error *err);

/* As pdx_trainer_create, with room for training sets of up to max_P
 * examples (max_P = 0: online only) and every finite-set family's
 * workspace. Returns PDX_OK or PDX_ERR_NOMEM. */
pdx_status pdx_trainer_create_finite(pdx_trainer **out, size_t max_N,
                                     size_t max_K, size_t max_M,
                                     size_t max_test, size_t max_P,
                                     pdx_error *err);

/* Deep networks and replicated students a trainer must hold (all 0:
 * none). */
typedef struct pdx_trainer_deep_limits {
    size_t student_depth, student_width; /* deep students */
    size_t teacher_depth, teacher_width; /* deep teachers */
    size_t batch;   /* examples per step of a deep student's training
                     * (0: deep students are only probed by propagate) */
    size_t columns; /* propagate: 2 + curve_points + probes (0: none) */
    size_t replicas; /* replicated training: the most coupled replicas y
                      * of a cell (0: no replicated cell; a trainer
                      * created without limits holds PDX_TRAINER_MAX_Y) */
    size_t ladder;   /* parallel tempering: the most temperatures of a
                      * ladder (0: no tempering cell; without limits
                      * PDX_LADDER_MAX) */
} pdx_trainer_deep_limits;

/* The most coupled replicas of replicated training (train.replica_count's
 * bound). */
#define PDX_TRAINER_MAX_Y 64

/* As pdx_trainer_create_finite, with room for the deep networks of
 * `deep` (NULL: none): the trained student, its gradient and the batch's
 * activations; propagate's one layer at a time and its columns; the
 * teacher. Returns PDX_OK or PDX_ERR_NOMEM. */
pdx_status pdx_trainer_create_deep(pdx_trainer **out, size_t max_N,
                                   size_t max_K, size_t max_M,
                                   size_t max_test, size_t max_P,
                                   const pdx_trainer_deep_limits *deep,
                                   pdx_error *err);

/* Bytes pdx_trainer_create_deep would allocate. */
double pdx_trainer_workspace_bytes_deep(size_t max_N, size_t max_K,
                                        size_t max_M, size_t max_test,
                                        size_t max_P,
                                        const pdx_trainer_deep_limits *deep);

/* Frees the trainer and sets *trainer to NULL; NULL or *trainer NULL is
 * fine. */
void pdx_trainer_destroy(pdx_trainer **trainer);

/* Bytes pdx_trainer_create would allocate for these sizes (an estimate:
 * arrays exactly, the object itself by an upper bound). */
double pdx_trainer_workspace_bytes(size_t max_N, size_t max_K, size_t max_M,
                                   size_t max_test);

/* Bytes pdx_trainer_create_finite would allocate. */
double pdx_trainer_workspace_bytes_finite(size_t max_N, size_t max_K,
                                          size_t max_M, size_t max_test,
                                          size_t max_P);

/* The family (row of the trainer table: "online", "gradient", "rules",
 * "metropolis") serving a train.algorithm value, and into *name (if not
 * NULL) the algorithm's name; NULL (and *name NULL) if no row serves it.
 * The strings are static. */
const char *pdx_trainer_family(int algorithm, const char **name);

/* 1 if the algorithm of params samples burn-in averages (the sweep calls
 * pdx_observe_sample at each sweep or epoch from train.burn_in on:
 * metropolis, langevin), else 0. */
int pdx_trainer_samples_averages(const pdx_params *params);

/* 1 if eg has a closed form for these activations (erf/erf, linear/linear;
 * perceptron student and teacher). */
int pdx_trainer_has_closed_form(const pdx_params *params);

/* Prepare task (params, seed, replica): teacher from the TEACHER stream,
 * student from the INIT stream (perceptron students: START), test set (if
 * the cell needs one) from the TEST stream, training set (pdx/data.h),
 * then the family's own start. Per-cell streams (minibatch order, Langevin
 * and Metropolis noise) are keyed by pdx_grid_cell_key(params), which the
 * caller passes as cell_key (pdx_trainer_set: 0). Test and training sets
 * are kept when the next task has the same ones. Returns PDX_OK,
 * PDX_ERR_USAGE when params exceed the workspace or no row serves
 * train.algorithm, or the status of pdx_dataset_generate. Never
 * allocates. */
pdx_status pdx_trainer_set(pdx_trainer *trainer, const pdx_params *params,
                           uint64_t seed, uint64_t replica, pdx_error *err);
pdx_status pdx_trainer_set_cell(pdx_trainer *trainer,
                                const pdx_params *params, uint64_t seed,
                                uint64_t cell_key, uint64_t replica,
                                pdx_error *err);

/* The second chain of record.bayes (issue 14), as pdx_trainer_set_cell
 * for chain 0: the same teacher, test and training sets, an independent
 * start (hot perceptron starts from the START stream of cell `chain`
 * instead of 0) and independent dynamics (per-cell streams keyed by
 * pdx_rng_mix64(cell_key ^ pdx_rng_mix64(chain)) instead of cell_key).
 * chain 0 is pdx_trainer_set_cell itself. Same returns. */
pdx_status pdx_trainer_set_chain(pdx_trainer *trainer,
                                 const pdx_params *params, uint64_t seed,
                                 uint64_t cell_key, uint64_t replica,
                                 uint64_t chain, pdx_error *err);

/* Train the task set last until `until_step` (capped at the total) or
 * divergence. Returns 1 if the run is diverged (non-finite error signal
 * or weights, or Q_kk above train.divergence_norm at the end), else 0. */
int pdx_trainer_iterate(pdx_trainer *trainer, int64_t until_step);

/* Lower-level online stepping, for running several trainers of one replica
 * on a shared input stream (the sweep's bundles): x holds the step's input
 * (pdx_trainer_online_draws entries: N, plus one for label noise), y_clean
 * the teacher's output on it. Online tasks only. Advances the step.
 * Returns 1 if the run diverged (non-finite error signal), else 0. No
 * allocation. */
int pdx_trainer_online_step(pdx_trainer *trainer, const double *x,
                            double y_clean);

/* Gaussian draws per online step for these parameters. */
size_t pdx_trainer_online_draws(const pdx_params *params);

/* Check the weights (finite, Q_kk below train.divergence_norm); marks the
 * run diverged if not. Returns 1 if the run is diverged, else 0. */
int pdx_trainer_check(pdx_trainer *trainer);

/* Training error of the current student: the fraction of training
 * examples it misclassifies (+-1 labels; prediction sign(yhat), 0 counts
 * as +1) or the mean (y - yhat)^2/2 (real labels), against the training
 * labels (clean = 0) or the clean teacher labels (clean = 1); and the mean
 * training loss into *loss (if not NULL). NaN without a training set.
 * Uses the trainer's scratch (hence not const). */
double pdx_trainer_train_error(pdx_trainer *trainer, int clean, double *loss);

/* ---- Getters (of the task set last; pointers into the trainer, valid
 * until the next pdx_trainer_set or destroy; never NULL unless said). */

const pdx_params *pdx_trainer_params(const pdx_trainer *trainer);
const pdx_committee *pdx_trainer_student(const pdx_trainer *trainer);
const pdx_committee *pdx_trainer_teacher(const pdx_trainer *trainer);

/* 1 if labels are +-1 (a perceptron teacher), else 0. */
int pdx_trainer_classification(const pdx_trainer *trainer);

/* The training set; NULL for online tasks. */
const pdx_dataset *pdx_trainer_dataset(const pdx_trainer *trainer);

/* Size of the test set (0: the task uses none; then *x, *y are NULL);
 * *x receives its inputs (size x N, row-major) and *y the clean teacher
 * outputs, each if not NULL. */
size_t pdx_trainer_test_set(const pdx_trainer *trainer, const double **x,
                            const double **y);

/* Steps taken, the task's total, and steps per unit of time (N for online
 * and Metropolis, an epoch for the other finite-set algorithms). */
int64_t pdx_trainer_step(const pdx_trainer *trainer);
int64_t pdx_trainer_total_steps(const pdx_trainer *trainer);
int64_t pdx_trainer_steps_per_time(const pdx_trainer *trainer);

/* First time (epochs or sweeps) the training error against the noisy
 * labels was 0; NaN if never (or online). */
double pdx_trainer_time_to_fit(const pdx_trainer *trainer);

/* Fraction of Monte Carlo moves accepted; NaN for other algorithms or
 * before the first step. */
double pdx_trainer_accept_rate(const pdx_trainer *trainer);
/* train.entry perceptron: the epochs the perceptron rule took to reach no
 * training error (0: the start was in the version space), NaN when none
 * was found or no entry was asked for (issue 14 item 4). */
double pdx_trainer_entry_epochs(const pdx_trainer *trainer);
/* train.parallel_tempering: the fraction of accepted exchanges between
 * the task's temperature and the next higher one of the ladder (NaN at
 * the top, or without tempering). */
double pdx_trainer_swap_rate(const pdx_trainer *trainer);

/* Replicated training (issue 16; train.algorithm replicated_mc,
 * replicated_sgd): the number y of replicas (0 for other trainers: then
 * *replicas is NULL and *time_to_success NaN). *replicas (if not NULL)
 * receives an array of y committees (the replicas' current weights; the
 * trainer's student is their centre), *time_to_success (if not NULL) the
 * first time (sweeps or epochs) the centre or a replica had no training
 * error against the noisy labels (NaN: not yet, or real labels). */
size_t pdx_trainer_replicas(const pdx_trainer *trainer,
                            const pdx_committee **replicas,
                            double *time_to_success);

/* Per-layer measurements of a finished propagate task (train.algorithm
 * propagate): the number of layers L (0: the task measures none, and the
 * pointers are NULL), and into *q, *c, *chi, *length (each if not NULL)
 * arrays of L values, layer l at index l - 1 (see pdx/observe.h,
 * q_layer ... curve_length_layer). */
size_t pdx_trainer_layers(const pdx_trainer *trainer, const double **q,
                          const double **c, const double **chi,
                          const double **length);

/* The task's stream names (seed, cell key, replica) as pdx_trainer_set_cell
 * received them, for observers that draw their own random numbers (the
 * attacks' random starts, issue 18). */
void pdx_trainer_stream_names(const pdx_trainer *trainer, uint64_t *seed,
                              uint64_t *cell_key, uint64_t *replica);

/* The training error and mean training loss (into *loss if not NULL) of
 * another model of the student's shape (a perturbed copy: the local
 * energy, issue 16) on the task's training set, defined as
 * pdx_trainer_train_error(trainer, 0, loss) defines them for the student.
 * NaN without a training set. Reentrant: uses no trainer scratch (a deep
 * model runs through its own net's scratch). */
double pdx_trainer_train_error_of(const pdx_trainer *trainer,
                                  const pdx_committee *model, double *loss);

/* ---- Per-example gradients (issue 17; src/train/example_grad.c) ----
 * The trained parameters of a non-deep student on a finite training set:
 * w (K x N, row k at k N), then v (K) when the second layer is trained.
 * Their number d (0: deep students, online tasks). */
size_t pdx_trainer_parameter_count(const pdx_trainer *trainer);

/* The current parameters into out (d doubles); returns d. */
size_t pdx_trainer_parameters(const pdx_trainer *trainer, double *out);

/* The gradient of each training example's loss at the current weights,
 * example mu into G[mu ld .. mu ld + d - 1] (P rows), and the gradient of
 * the weight decay (weight_decay x parameters) into decay_grad (d, if not
 * NULL). Returns d (0: nothing written). Uses the trainer's scratch, the
 * student is not changed. */
size_t pdx_trainer_example_gradients(pdx_trainer *trainer, double *G,
                                     size_t ld, double *decay_grad);

/* ---- Test sets shared between trainers (issue 20: a sweep's threads
 * make each test set once; src/sweep_tests.c) ----
 * A source of test sets: acquire makes the test set `key` names (as the
 * trainer would make it: test_size inputs of N from the TEST stream and
 * the teacher's labels) current for trainer t, pointing *x (test_size x
 * N) and *y (test_size) at it, made with pdx_trainer_fill_tests(t, ...)
 * by whichever trainers need it first; `held` is what t's previous
 * acquire returned (NULL: nothing), released. Returns the entry t now
 * holds (NULL when test_size is 0). */
typedef struct pdx_test_source {
    void *(*acquire)(void *ctx, const pdx_trainer *t, void *held,
                     const uint64_t key[4], size_t test_size, size_t N,
                     double **x, double **y);
    void *ctx;
} pdx_test_source;

/* From now on the trainer's test sets (up to max_test inputs) come from
 * src (kept by pointer; NULL: its own). The trainer must have been
 * created with max_test = 0. */
void pdx_trainer_share_tests(pdx_trainer *trainer, const pdx_test_source *src,
                             size_t max_test);

/* Test sets a trainer for these sizes keeps (1 or 2: two unless two
 * would take over 64 MiB). */
int pdx_trainer_test_slots(size_t max_N, size_t max_test);

/* Rows first..end-1 of the test set of the task set last (inputs into
 * x + mu N, labels into y[mu]), the bits pdx_trainer_set would make
 * there. Uses the trainer's scratch. */
void pdx_trainer_fill_tests(const pdx_trainer *trainer, size_t first,
                            size_t end, double *x, double *y);

#endif
