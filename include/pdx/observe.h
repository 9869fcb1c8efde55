/* pdx/observe.h — what is measured at each checkpoint, and the table of
 * result variables it fills (handed to the store as a pdx_layout). */
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
    PDX_OBS_COUNT
} pdx_observe_var;

/* The result variables (static table): PDX_OBS_COUNT entries, of which an
 * online sweep's files hold the first PDX_OBS_ONLINE_COUNT. */
const pdx_var_desc *pdx_observe_variables(size_t *count);

/* Accumulate one sample of eg, the training errors and R into the
 * trainer's averages (metropolis sweeps, langevin epochs after burn-in).
 * Reads T from out[PDX_OBS_T]. */
void pdx_observe_sample(pdx_trainer *trainer, const pdx_layout *layout,
                        double *const *out);

/* Per-task values of a finished finite-set task: time_to_fit, the
 * averages, the acceptance rate. */
void pdx_observe_task(const pdx_trainer *trainer, const pdx_layout *layout,
                      double *const *out);

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
 * Uses trainer->lambda as scratch. */
void pdx_observe_measure(pdx_trainer *trainer, const pdx_layout *layout,
                         size_t time_index, double *const *out);

/* Teacher overlaps T into out[PDX_OBS_T] (no time dimension). */
void pdx_observe_teacher(const pdx_trainer *trainer, const pdx_layout *layout,
                         double *const *out);

#endif
