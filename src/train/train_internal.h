/* train_internal.h — shared by train.c and train_finite.c only. */
#ifndef PDX_TRAIN_INTERNAL_H
#define PDX_TRAIN_INTERNAL_H

#include "pdx/train.h"

/* After the training set is made: per-task state of the finite-set
 * trainers (Metropolis fields and energy, time to fit, averages). */
void pdx__trainer_finite_start(pdx_trainer *t);

/* pdx_trainer_iterate for the finite-set algorithms. */
int pdx__trainer_finite_iterate(pdx_trainer *t, int64_t until_step);

#endif
