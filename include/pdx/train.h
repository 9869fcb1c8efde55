/* pdx/train.h — a trainer: one task's teacher, student and data, driven
 * from outside ("set, iterate, observe").
 *
 * A trainer is a per-thread workspace sized once for the largest cell of a
 * grid; pdx_trainer_set prepares one task without allocating, and
 * pdx_trainer_iterate advances it without allocating. */
#ifndef PDX_TRAIN_H
#define PDX_TRAIN_H

#include <stddef.h>
#include <stdint.h>

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
    double *test_x;         /* test_size x N, row-major */
    double *test_y;         /* clean teacher outputs on test_x */
    /* workspace */
    size_t max_N, max_K, max_M, max_test;
    double *x;              /* one input (+1 for label noise) */
    double *lambda;         /* K student pre-activations */
    double *nu;             /* M teacher pre-activations */
    double *coef;           /* K update coefficients */
    uint64_t seed, replica;
} pdx_trainer;

/* A workspace for cells up to these sizes (max_test = 0: no test sets).
 * Returns PDX_OK or PDX_ERR_NOMEM (message gives the bytes asked for). */
pdx_status pdx_trainer_create(pdx_trainer **out, size_t max_N, size_t max_K,
                              size_t max_M, size_t max_test, pdx_error *err);
void pdx_trainer_destroy(pdx_trainer **trainer);

/* Bytes pdx_trainer_create would allocate for these sizes. */
double pdx_trainer_workspace_bytes(size_t max_N, size_t max_K, size_t max_M,
                                   size_t max_test);

/* 1 if eg has a closed form for these activations (erf/erf, linear/linear). */
int pdx_trainer_has_closed_form(const pdx_params *params);

/* Prepare task (params, seed, replica): teacher from the TEACHER stream,
 * student from the INIT stream, test set (if the cell needs one) from the
 * TEST stream. Returns PDX_OK or PDX_ERR_USAGE when params exceed the
 * workspace. Never allocates. */
pdx_status pdx_trainer_set(pdx_trainer *trainer, const pdx_params *params,
                           uint64_t seed, uint64_t replica, pdx_error *err);

/* Run online SGD until `until_step` (capped at total_steps) or divergence.
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
