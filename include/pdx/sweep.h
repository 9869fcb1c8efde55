/* pdx/sweep.h — running every task of a grid in parallel into a store.
 *
 * The module with `omp parallel` (besides the repack's compression loop
 * in src/store/finish.c, which calls no HDF5). Tasks still pending are run
 * longest-first with a dynamic schedule, one trainer workspace per thread;
 * each finished task is committed to the store inside one named critical
 * section, the only place HDF5 is called from during a run: file creation
 * and the finished file's frame, done while other threads compute, take
 * the same critical section. */
#ifndef PDX_SWEEP_H
#define PDX_SWEEP_H

#include <signal.h>
#include <stdint.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/layout.h"
#include "pdx/store.h"
#include "pdx/train.h"

/* A result file to create during the run (pdx_store_create with these
 * arguments): the team's first thread creates it while the others start
 * on their first jobs, and commits wait for it; nothing is committed if it
 * fails. */
typedef struct pdx_sweep_new_store {
    const char *path;
    const pdx_provenance *provenance;
    const pdx_store_options *options;
    pdx_store *store; /* out: the new store; NULL if creation failed */
} pdx_sweep_new_store;

/* Default commit window, seconds: a kill loses at most the tasks
 * finished in the last window (plus those still running). */
#define PDX_SWEEP_COMMIT_WINDOW 1.0
#define PDX_SWEEP_MAX_COMMIT_WINDOW 3600.0

typedef struct pdx_sweep_options {
    int threads;                /* 0: OpenMP's default */
    int quiet;                  /* no progress output */
    int progress_tty;           /* 1: live bar; 0: a line every interval */
    double progress_interval;   /* seconds between log lines (default 10) */
    volatile sig_atomic_t *stop;/* non-zero: stop taking tasks; running
                                   ones finish within grace_seconds or are
                                   abandoned (left pending); 2 or more:
                                   abandon them at once */
    double grace_seconds;       /* default 20 */
    uint64_t shard_index;       /* run the tasks pdx_grid_shard_tasks deals */
    uint64_t shard_count;       /*   to shard_index (1 shard: all tasks) */
    int max_bundle;             /* online tasks sharing an input stream run
                                   in lockstep, up to this many (0: the
                                   default 8; 1: each task alone); results
                                   are identical for any value */
    pdx_sweep_new_store *create;/* non-NULL: create the store during the
                                   run (pdx_sweep_run's store is NULL) */
    double commit_window;       /* seconds a finished task may wait to be
                                   committed with others (one write per
                                   variable and one flush pair per group);
                                   0: each job alone. Default
                                   PDX_SWEEP_COMMIT_WINDOW */
    int prepare_finish;         /* build the finished file's frame
                                   (pdx_store_prepare_finish) during the
                                   run: once the work left is estimated
                                   under a second, or by the first thread
                                   out of jobs */
} pdx_sweep_options;

typedef struct pdx_sweep_summary {
    uint64_t tasks;      /* tasks in this shard */
    uint64_t skipped;    /* already finished before this run */
    uint64_t run;        /* finished by this run */
    uint64_t done, diverged, failed;
    double steps;        /* SGD steps taken by this run */
    double wall_seconds;
    uint64_t commits;      /* commit groups written */
    double commit_seconds; /* wall time spent writing them */
    int threads;
    uint64_t test_sets;    /* test sets drawn (each once: the threads
                            * share them, issue 20) */
} pdx_sweep_summary;

/* Options with defaults: all threads, progress on, one shard. */
pdx_sweep_options pdx_sweep_options_default(void);

/* The variables and dimension sizes of a grid's result files. */
void pdx_sweep_layout(const pdx_grid *grid, pdx_layout *layout);

/* The deep networks, replicas and ladders a trainer needs to run every
 * cell of the grid (what each worker thread's trainer is created with). */
pdx_trainer_deep_limits pdx_sweep_deep_limits(const pdx_grid *grid);

/* Bytes of memory a run needs with `threads` threads. */
double pdx_sweep_memory_bytes(const pdx_grid *grid, int threads);

/* Run the pending tasks (status[task] == 0; status may be NULL for "all
 * pending") of the shard into `store`, or into the store options->create
 * makes. Returns PDX_OK, PDX_ERR_STOPPED (options->stop was raised;
 * finished tasks are committed), PDX_ERR_NOMEM, the store's error for a
 * failed creation (options->create->store stays NULL) or for a failed
 * commit (the run stops; the file stays valid). */
pdx_status pdx_sweep_run(const pdx_grid *grid, const pdx_layout *layout,
                         pdx_store *store, const int8_t *status,
                         const pdx_sweep_options *options,
                         pdx_sweep_summary *summary, pdx_error *err);

#endif
