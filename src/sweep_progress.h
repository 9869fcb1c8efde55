/* sweep_progress.h — the sweep's progress lines (src/sweep_progress.c). */
#ifndef PDX_SWEEP_PROGRESS_H
#define PDX_SWEEP_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "pdx/sweep.h"

/* Progress state, touched only inside the critical section. */
typedef struct progress {
    int enabled, tty;
    double interval, start, last;
    double cost_total, cost_done;
    uint64_t total, finished;
} progress;

/* Start counting n_todo tasks (options: quiet, tty, interval). */
void pdx__progress_start(progress *p, const pdx_sweep_options *options,
                         size_t n_todo);

/* A progress line (tty: a bar redrawn at most every 0.2 s; else a line
 * every interval), and the last one when final. */
void pdx__progress_report(progress *p, int final);

#endif
