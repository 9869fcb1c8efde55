/* sweep_partner.h — the hot/cold check of Monte Carlo tasks (issue 14
 * item 4; src/sweep_partner.c). Internal to the sweep. */
#ifndef PDX_SWEEP_PARTNER_H
#define PDX_SWEEP_PARTNER_H

#include <stdint.h>

#include "pdx/grid.h"
#include "pdx/layout.h"
#include "pdx/observe.h"
#include "pdx/train.h"

/* One worker thread's partner chain: a trainer and an observer. Opaque;
 * every function accepts NULL (a grid without both starts) and then does
 * nothing. */
typedef struct pdx__partner pdx__partner;

/* Whether a task of these parameters runs its partner: a Monte Carlo
 * (metropolis, langevin) perceptron task of a grid whose train.start
 * axis holds both hot and cold. */
int pdx__partner_applies(const pdx_params *params);

/* A partner for the grid's tasks (samples: the observer's series room,
 * as the worker's own), or *out NULL when no cell of the grid has one.
 * PDX_OK or PDX_ERR_NOMEM. */
pdx_status pdx__partner_create(pdx__partner **out, const pdx_grid *grid,
                               size_t samples, pdx_error *err);
void pdx__partner_destroy(pdx__partner **partner);

/* Bytes a worker's partner takes (0 when no cell has one), and the
 * layout's omit bits of the variables only partners produce. */
double pdx__partner_bytes(const pdx_grid *grid);
uint64_t pdx__partner_omit(const pdx_grid *grid);

/* Set the partner for the task of `params` (the same cell with the other
 * start, chain 0, the same seed and replica: exactly the computation of
 * that cell's own task) or turn it off when the task has none. Returns
 * -1 when the trainer cannot be set (the task then fails), else 0. */
int pdx__partner_set(pdx__partner *partner, const pdx_params *params,
                     uint64_t seed, uint64_t replica);

/* Step the partner to `until` (as the task's own trainer), and take a
 * sample of it where the task takes one of its own (out: the task's
 * values, for T). */
void pdx__partner_iterate(pdx__partner *partner, int64_t until);
void pdx__partner_sample(pdx__partner *partner, const pdx_layout *layout,
                         double *const *out);

/* After pdx_observe_task: hot_cold_z into out, and equilibrated = 1 only
 * if the task, its partner and their agreement all pass. */
void pdx__partner_finish(const pdx__partner *partner, double *const *out);

#endif
