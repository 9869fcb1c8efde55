/* pdx/train.h — a trainer: one task's teacher, student and data, driven
 * from outside ("set, iterate, observe").
 *
 * Algorithms (train.algorithm): online SGD on fresh inputs (time alpha =
 * steps/N), and on a fixed training set (pdx/data.h): the Hebb rule and
 * the perceptron rule (one step = one example, P steps an epoch),
 * minibatch SGD (one step = one minibatch, ceil(P/B) an epoch), full-batch
 * gradient descent and Langevin dynamics (one step = one epoch), and
 * Metropolis Monte Carlo of perceptrons (one step = one attempted move, N
 * a sweep). Finite-set gradient trainers follow the plain gradient of the
 * mean loss of the batch plus weight_decay/2 (|w|^2 + |v|^2), as
 * torch.optim.SGD does; Langevin adds sqrt(2 eta T) N(0, 1) to every
 * trained weight each step, so that its stationary law is
 * exp(-(mean loss + decay)/T).
 *
 * A trainer is a per-thread workspace sized once for the largest cell of a
 * grid; pdx_trainer_set prepares one task without allocating, and
 * pdx_trainer_iterate advances it without allocating. */
#ifndef PDX_TRAIN_H
#define PDX_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "pdx/data.h"
#include "pdx/error.h"
#include "pdx/model.h"
#include "pdx/spec.h"

typedef struct pdx_trainer {
    pdx_params params;
    pdx_committee student;
    pdx_committee teacher;
    int64_t step;           /* SGD steps taken */
    int64_t total_steps;    /* round(train.alpha * N) */
    int diverged;           /* 1 once the run is diverged */
    size_t test_size;       /* inputs in the test set (0 if unused) */
    double *test_x;         /* test_size x N, row-major (the current slot) */
    double *test_y;         /* clean teacher outputs on test_x */
    /* workspace */
    size_t max_N, max_K, max_M, max_test;
    double *x;              /* one input (+1 for label noise) */
    double *lambda;         /* K student pre-activations */
    double *nu;             /* M teacher pre-activations */
    double *coef;           /* K update coefficients */
    uint64_t seed, replica;
    /* Test sets held: slot test_slot is current (test_x, test_y), the
     * other the previous one, so that a thread alternating between two
     * replicas does not regenerate them (test_slots = 1 when two would
     * exceed PDX_TEST_CACHE_BYTES). test_keys: what each was made from. */
    int test_slots, test_slot;
    double *test_x_slot[2], *test_y_slot[2];
    uint64_t test_keys[2][4];

    /* fixed training sets (max_P = 0: none) */
    size_t max_P;
    int classification;     /* +-1 labels (perceptron teacher) */
    pdx_dataset *data;      /* the training set */
    int64_t steps_per_epoch;/* steps in one unit of time */
    double *grad_w;         /* K x N gradient; hidden weights J (clipped) */
    double *grad_v;         /* K */
    double *field;          /* P local fields w.x (metropolis) */
    double *xt;             /* N x P transposed inputs (metropolis) */
    double *uniforms;       /* 4 max(N, 1) per sweep (metropolis) */
    uint32_t *perm;         /* P: the current epoch's order */
    int64_t perm_epoch;     /* epoch perm belongs to (-1: none) */
    int64_t uniforms_sweep; /* sweep `uniforms` belongs to (-1: none) */
    uint64_t cell_key;      /* pdx_grid_cell_key: per-cell streams */
    int64_t energy;         /* metropolis: training errors (noisy labels) */
    int64_t accepted;       /* metropolis: accepted moves */
    double time_to_fit;     /* first time the training error was 0 (NaN) */
    /* averages over sweeps (epochs) after train.burn_in */
    double sum_eg, sum_train_error, sum_train_error_clean;
    double *sum_R;          /* K x M */
    int64_t n_samples;
} pdx_trainer;

/* A workspace for cells up to these sizes (max_test = 0: no test sets).
 * Returns PDX_OK or PDX_ERR_NOMEM (message gives the bytes asked for).
 * Online learning only: pdx_trainer_create_finite for training sets. */
pdx_status pdx_trainer_create(pdx_trainer **out, size_t max_N, size_t max_K,
                              size_t max_M, size_t max_test, pdx_error *err);

/* As pdx_trainer_create, with room for training sets of up to max_P
 * examples (max_P = 0: online only). */
pdx_status pdx_trainer_create_finite(pdx_trainer **out, size_t max_N,
                                     size_t max_K, size_t max_M,
                                     size_t max_test, size_t max_P,
                                     pdx_error *err);
void pdx_trainer_destroy(pdx_trainer **trainer);

/* Bytes pdx_trainer_create would allocate for these sizes. */
double pdx_trainer_workspace_bytes(size_t max_N, size_t max_K, size_t max_M,
                                   size_t max_test);

/* Bytes pdx_trainer_create_finite would allocate. */
double pdx_trainer_workspace_bytes_finite(size_t max_N, size_t max_K,
                                          size_t max_M, size_t max_test,
                                          size_t max_P);

/* Training error of the current student: the fraction of training
 * examples it misclassifies (+-1 labels; prediction sign(yhat), 0 counts
 * as +1) or the mean (y - yhat)^2/2 (real labels), against the training
 * labels (clean = 0) or the clean teacher labels (clean = 1); and the mean
 * training loss into *loss (if not NULL). NaN without a training set. */
double pdx_trainer_train_error(pdx_trainer *trainer, int clean, double *loss);

/* 1 if eg has a closed form for these activations (erf/erf, linear/linear). */
int pdx_trainer_has_closed_form(const pdx_params *params);

/* Prepare task (params, seed, replica): teacher from the TEACHER stream,
 * student from the INIT stream (perceptron students: START), test set (if
 * the cell needs one) from the TEST stream, training set (pdx/data.h).
 * Per-cell streams (minibatch order, Langevin and Metropolis noise) are
 * keyed by pdx_grid_cell_key(params), which the caller passes as
 * cell_key. Test and training sets are kept when the next task has the
 * same ones. Returns PDX_OK or PDX_ERR_USAGE when params exceed the
 * workspace. Never allocates. */
pdx_status pdx_trainer_set(pdx_trainer *trainer, const pdx_params *params,
                           uint64_t seed, uint64_t replica, pdx_error *err);
pdx_status pdx_trainer_set_cell(pdx_trainer *trainer,
                                const pdx_params *params, uint64_t seed,
                                uint64_t cell_key, uint64_t replica,
                                pdx_error *err);

/* Train until `until_step` (capped at total_steps) or divergence.
 * Returns 1 if the run is diverged (non-finite error signal or weights,
 * or Q_kk above train.divergence_norm at the end), else 0. */
int pdx_trainer_iterate(pdx_trainer *trainer, int64_t until_step);

/* Lower-level online stepping, for running several trainers of one replica
 * on a shared input stream (the sweep's bundles): x holds the step's input
 * (pdx_trainer_online_draws entries: N, plus one for label noise), y_clean
 * the teacher's output on it. Advances trainer->step. Returns 1 if the run
 * diverged (non-finite error signal), else 0. No allocation. */
int pdx_trainer_online_step(pdx_trainer *trainer, const double *x,
                            double y_clean);

/* Gaussian draws per online step for these parameters. */
size_t pdx_trainer_online_draws(const pdx_params *params);

/* Check the weights (finite, Q_kk below train.divergence_norm); marks the
 * run diverged if not. Returns trainer->diverged. */
int pdx_trainer_check(pdx_trainer *trainer);

#endif
