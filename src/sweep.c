/* sweep.c — OpenMP over tasks, replica by replica, longest first; commits and progress. */
#include "pdx/sweep.h"

#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pdx/observe.h"
#include "pdx/rng.h"
#include "pdx/train.h"
#include "sweep_partner.h"
#include "vec8.h"
#include "sweep_progress.h"
#include "sweep_tests.h"


static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

pdx_sweep_options pdx_sweep_options_default(void)
{
    pdx_sweep_options o;
    memset(&o, 0, sizeof o);
    o.progress_interval = 10.0;
    o.shard_count = 1;
    o.grace_seconds = 20.0;
    o.commit_window = PDX_SWEEP_COMMIT_WINDOW;
    return o;
}

/* The variables no cell of the grid produces, as a pdx_layout omit mask:
 * the averages after burn-in outside the trainers that sample them
 * (metropolis, langevin), accept_rate outside metropolis, and what is
 * trained (eg, Q, R, v, norm, training errors, loss, time_to_fit) when
 * every cell only propagates signals (issue 19); separable unless some
 * cell asks for the test (record.separable). */
static uint64_t sweep_omitted(const pdx_grid *grid)
{
    int averages = 0, metropolis = 0, trains = 0, separable = 0;
    int evidence = 0;
    int entry = 0, tempering = 0;
    int replicated = 0;
    for (uint64_t c = 0;
         c < grid->n_cells &&
         !(averages && metropolis && trains && separable && evidence &&
           replicated);
         c++) {
        pdx_params params;
        pdx_grid_cell_params(grid, c, &params);
        averages |= pdx_trainer_samples_averages(&params);
        metropolis |= params.train_algorithm == PDX_ALG_METROPOLIS ||
                      params.train_algorithm == PDX_ALG_REPLICATED_MC;
        trains |= params.train_algorithm != PDX_ALG_PROPAGATE;
        separable |= params.record_separable;
        evidence |= params.record_evidence != PDX_EVIDENCE_NONE;
        entry |= params.train_entry != PDX_ENTRY_NONE &&
                 params.train_algorithm == PDX_ALG_METROPOLIS;
        tempering |= params.train_parallel_tempering &&
                     params.train_algorithm == PDX_ALG_METROPOLIS;
        replicated |= params.train_algorithm == PDX_ALG_REPLICATED_MC ||
                      params.train_algorithm == PDX_ALG_REPLICATED_SGD;
    }
    uint64_t omit = 0;
    if (!trains)
        omit |= 1u << PDX_OBS_EG | 1u << PDX_OBS_Q | 1u << PDX_OBS_R |
                1u << PDX_OBS_V | 1u << PDX_OBS_NORM |
                1u << PDX_OBS_TRAIN_ERROR | 1u << PDX_OBS_TRAIN_ERROR_CLEAN |
                1u << PDX_OBS_LOSS | 1u << PDX_OBS_TIME_TO_FIT;
    if (!averages)
        omit |= 1u << PDX_OBS_EG_MEAN | 1u << PDX_OBS_TRAIN_ERROR_MEAN |
                1u << PDX_OBS_TRAIN_ERROR_CLEAN_MEAN | 1u << PDX_OBS_R_MEAN;
    if (!metropolis)
        omit |= 1u << PDX_OBS_ACCEPT_RATE;
    if (!averages) /* issue 14 item 4: the equilibration diagnostics */
        omit |= (uint64_t)1 << PDX_OBS_TAU_ENERGY |
                (uint64_t)1 << PDX_OBS_TAU_EG | (uint64_t)1 << PDX_OBS_N_EFF |
                (uint64_t)1 << PDX_OBS_DRIFT_Z |
                (uint64_t)1 << PDX_OBS_EQUILIBRATED |
                (uint64_t)1 << PDX_OBS_TRAIN_ERROR_SEM |
                (uint64_t)1 << PDX_OBS_EG_SEM;
    if (!entry)
        omit |= (uint64_t)1 << PDX_OBS_ENTRY_EPOCHS;
    if (!tempering)
        omit |= (uint64_t)1 << PDX_OBS_SWAP_RATE;
    if (!separable)
        omit |= (uint64_t)1 << PDX_OBS_SEPARABLE;
    if (!evidence)
        for (int v = PDX_OBS_LOG_EVIDENCE; v <= PDX_OBS_EVIDENCE_EG; v++)
            omit |= (uint64_t)1 << v;
    if (!grid->spec->base.record_bayes) /* not an axis: every cell's */
        omit |= (uint64_t)1 << PDX_OBS_Q_PAIR | (uint64_t)1 << PDX_OBS_Q_MEAN |
                (uint64_t)1 << PDX_OBS_EG_BAYES;
    if (!replicated)
        omit |= (uint64_t)1 << PDX_OBS_SUCCESS |
                (uint64_t)1 << PDX_OBS_TIME_TO_SUCCESS |
                (uint64_t)1 << PDX_OBS_REPLICA_DISTANCE |
                (uint64_t)1 << PDX_OBS_REPLICA_TRAIN_ERROR |
                (uint64_t)1 << PDX_OBS_REPLICA_EG;
    if (!grid->spec->base.record_overlaps)
        omit |= 1u << PDX_OBS_Q | 1u << PDX_OBS_R | 1u << PDX_OBS_T;
    return omit | pdx__partner_omit(grid); /* hot_cold_z (issue 14) */
}

void pdx_sweep_layout(const pdx_grid *grid, pdx_layout *layout)
{
    memset(layout, 0, sizeof *layout);
    /* finite training sets add their variables after the online ones,
     * deep nets that propagate signals the per-layer ones after those,
     * budgets the robust ones last */
    size_t base = grid->max_layers > 0        ? PDX_OBS_COUNT
                  : grid->max_train_size > 0 ? PDX_OBS_FINITE_COUNT
                                             : PDX_OBS_ONLINE_COUNT;
    const int noise = grid->spec->base.record_noise_eigen > 0;
    layout->vars = pdx_observe_layout_variables_all(
        base, grid->spec->n_budgets > 0, grid->spec->n_perturbations > 0,
        noise, &layout->n_vars); /* robust, local energy, noise last */
    pdx_grid_layout_dims(grid, layout);
    layout->omit = sweep_omitted(grid);
    if (noise && !grid->spec->base.record_current) /* issue 17 */
        for (size_t v = PDX_NOISE_CURRENT; v < PDX_NOISE_COUNT; v++)
            layout->omit |= (uint64_t)1 << (pdx_observe_noise_base(layout) + v);
}

/* Units an observer keeps averages for: only finite training sets take
 * burn-in averages. */
static size_t averages_units(size_t units, const pdx_grid *grid)
{
    return grid->max_train_size > 0 ? units : 0;
}

pdx_trainer_deep_limits pdx_sweep_deep_limits(const pdx_grid *grid)
{
    pdx_trainer_deep_limits d = {
        grid->max_student_depth, grid->max_student_width,
        grid->max_teacher_depth, grid->max_teacher_width,
        grid->max_deep_batch,    grid->max_propagate_columns,
        grid->max_replica_count, grid->max_ladder};
    return d;
}

/* Trained weights of the grid's largest student (issue 17's D). */
static size_t noise_max_d(const pdx_grid *grid)
{
    return grid->max_student_hidden * ((size_t)grid->max_N + 1);
}

/* The commit group's values take at most this many bytes. */
#define PDX_SWEEP_GROUP_BYTES (16.0 * 1024 * 1024)

double pdx_sweep_memory_bytes(const pdx_grid *grid, int threads)
{
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    double per_task = 0.0;
    for (size_t v = 0; v < layout.n_vars; v++)
        per_task += 8.0 * (double)pdx_layout_var_size(&layout, v);
    const pdx_trainer_deep_limits deep = pdx_sweep_deep_limits(grid);
    double per_thread =
        pdx_trainer_workspace_bytes_deep((size_t)grid->max_N,
                                         grid->max_student_hidden,
                                         grid->max_teacher_hidden,
                                         (size_t)grid->max_test_size,
                                         (size_t)grid->max_train_size,
                                         &deep) +
        pdx_observer_bytes(averages_units(grid->max_student_hidden, grid),
                           averages_units(grid->max_teacher_hidden, grid)) +
        (grid->spec->n_budgets > 0
             ? pdx_attacker_bytes((size_t)grid->max_N, grid->max_student_depth,
                                  grid->max_student_width,
                                  grid->spec->n_budgets)
             : 0.0) +
        pdx_flattener_bytes(grid) +
        (grid->spec->base.record_noise_eigen > 0
             ? pdx_noise_meter_bytes(
                   (size_t)grid->max_train_size, noise_max_d(grid),
                   (size_t)grid->spec->base.record_noise_eigen)
             : 0.0) +
        per_task;
    if (grid->spec->base.record_bayes) /* the second chain (record.bayes) */
        per_thread += pdx_trainer_workspace_bytes_deep(
                          (size_t)grid->max_N, 1, 1,
                          (size_t)grid->max_test_size,
                          (size_t)grid->max_train_size, NULL) +
                      pdx_pair_observer_bytes((size_t)grid->max_N);
    per_thread += pdx__partner_bytes(grid); /* the hot/cold check */
    /* task list, job list and the status array, ~64 bytes per task */
    double shared = (double)grid->n_tasks * 64.0;
    /* the commit group: copies of finished tasks, at most 16 MiB */
    double group = (per_task + 64.0) * (double)grid->n_tasks;
    if (group > PDX_SWEEP_GROUP_BYTES)
        group = PDX_SWEEP_GROUP_BYTES;
    return (double)threads * per_thread + shared + group;
}

/* Online tasks of one replica that share the teacher and N also share the
 * input stream; a bundle of up to PDX_BUNDLE of them is run in lockstep so
 * that each input (and the teacher's output on it) is generated once for
 * all of them. Every task's arithmetic is the same as when run alone, so
 * results do not depend on the bundling. */
#define PDX_BUNDLE 8

/* Per-thread workspace: PDX_BUNDLE trainers (the first one sized for test
 * sets and training sets), an observer, one set of result buffers per
 * trainer, and a bundle's shared input x (max_N + 2, 64-byte aligned) and
 * teacher scratch nu (max_M). */
typedef struct worker {
    pdx_trainer *trainer[PDX_BUNDLE];
    pdx_observer *observer;
    pdx_attacker *attacker; /* NULL unless the spec has record.budgets */
    pdx_trainer *twin;      /* record.bayes: the second chain, and */
    pdx_pair_observer *pair; /* its pair observer (else NULL) */
    pdx__partner *partner;  /* both train.start values: the other's chain */
    pdx_flattener *flattener; /* NULL unless record.perturbations */
    pdx_noise_meter *noise; /* NULL unless record.noise_eigen > 0 */
    double *x, *nu;
    double **values[PDX_BUNDLE];
    size_t n_vars;
    /* set by pdx_sweep_run: the stop request and when it was first seen,
     * and the run's abort flag (a failed creation or commit) */
    const pdx_sweep_options *options;
    double *stop_since;
    const volatile int *abort_run;
    const struct run_shared *shared; /* the commit group to poll */
} worker;

static void group_poll(const struct run_shared *c);

/* Has the grace period of a stop request run out (or a second signal
 * come)? Running tasks are then abandoned: left pending, to be run again
 * by the next run. Checked between blocks of steps. */
static int worker_abandons(const worker *w)
{
    if (w->abort_run != NULL && *w->abort_run)
        return 1; /* nothing more can be committed */
    if (w->shared != NULL)
        group_poll(w->shared); /* a commit group due is written */
    const pdx_sweep_options *o = w->options;
    if (o == NULL || o->stop == NULL || *o->stop == 0)
        return 0;
    if (*o->stop >= 2)
        return 1; /* asked again: stop at once */
    double now = now_seconds(), since;
#pragma omp critical(pdx_stop)
    {
        if (*w->stop_since == 0.0) {
            *w->stop_since = now;
            if (!o->quiet)
                fprintf(stderr,
                        "\npdx: stopping: running tasks have %g s to finish "
                        "(signal again to stop at once)\n",
                        o->grace_seconds);
        }
        since = *w->stop_since;
    }
    return now - since >= o->grace_seconds;
}

static void worker_destroy(worker *w)
{
    pdx_observer_destroy(&w->observer);
    pdx_attacker_destroy(&w->attacker);
    pdx_trainer_destroy(&w->twin);
    pdx_pair_observer_destroy(&w->pair);
    pdx__partner_destroy(&w->partner);
    pdx_flattener_destroy(&w->flattener);
    pdx_noise_meter_destroy(&w->noise);
    free(w->x);
    free(w->nu);
    w->x = w->nu = NULL;
    for (int b = 0; b < PDX_BUNDLE; b++) {
        pdx_trainer_destroy(&w->trainer[b]);
        if (w->values[b] != NULL)
            for (size_t v = 0; v < w->n_vars; v++)
                free(w->values[b][v]);
        free(w->values[b]);
        w->values[b] = NULL;
    }
}

/* The most samples after burn-in a task of the grid takes (one per sweep
 * or epoch from ceil(burn_in) to epochs): the observer's series. */
static size_t sweep_max_samples(const pdx_grid *grid,
                                const pdx_layout *layout)
{
    double most = 0.0;
    if (layout->omit >> PDX_OBS_EQUILIBRATED & 1u)
        return 0; /* no cell samples averages */
    for (uint64_t c = 0; grid->max_train_size > 0 && c < grid->n_cells; c++) {
        pdx_params p;
        pdx_grid_cell_params(grid, c, &p);
        if (!pdx_trainer_samples_averages(&p))
            continue;
        double n = floor(p.train_epochs + 0.5) - ceil(p.train_burn_in) + 2.0;
        if (n > most)
            most = n;
    }
    return (size_t)most;
}

static pdx_status worker_init(worker *w, const pdx_grid *grid,
                              const pdx_layout *layout,
                              const pdx_test_source *tests, pdx_error *err)
{
    memset(w, 0, sizeof *w);
    w->n_vars = layout->n_vars;
    pdx_status st = pdx_observer_create(
        &w->observer, averages_units(grid->max_student_hidden, grid),
        averages_units(grid->max_teacher_hidden, grid), err);
    if (st == PDX_OK)
        st = pdx_observer_reserve(w->observer, sweep_max_samples(grid, layout),
                                   err);
    if (st == PDX_OK && grid->spec->n_budgets > 0)
        st = pdx_attacker_create(&w->attacker, (size_t)grid->max_N,
                                 grid->max_student_hidden,
                                 grid->max_student_depth,
                                 grid->max_student_width, grid->spec->budgets,
                                 grid->spec->n_budgets, err);
    if (st == PDX_OK && grid->spec->base.record_bayes) /* perceptrons */
    {
        /* a perceptron twin: no deep nets, no replicas; the ladder */
        pdx_trainer_deep_limits twin = {0};
        twin.ladder = grid->max_ladder;
        st = pdx_trainer_create_deep(&w->twin, (size_t)grid->max_N, 1, 1,
                                     (size_t)grid->max_test_size,
                                     (size_t)grid->max_train_size, &twin,
                                     err);
    }
    if (st == PDX_OK && grid->spec->base.record_bayes)
        st = pdx_pair_observer_create(&w->pair, (size_t)grid->max_N, err);
    if (st == PDX_OK)
        st = pdx__partner_create(&w->partner, grid,
                                 sweep_max_samples(grid, layout), err);
    if (st == PDX_OK && grid->spec->n_perturbations > 0)
        st = pdx_flattener_create(&w->flattener, grid, err);
    if (st == PDX_OK && grid->spec->base.record_noise_eigen > 0)
        st = pdx_noise_meter_create(
            &w->noise, (size_t)grid->max_train_size, noise_max_d(grid),
            (size_t)grid->spec->base.record_noise_eigen, err);
    if (st != PDX_OK) {
        pdx_observer_destroy(&w->observer);
        pdx_attacker_destroy(&w->attacker);
        pdx_trainer_destroy(&w->twin);
        pdx_pair_observer_destroy(&w->pair);
        pdx__partner_destroy(&w->partner);
        return st;
    }
    w->x = pdx_alloc_doubles((size_t)grid->max_N + 2);
    w->nu = pdx_alloc_doubles(grid->max_teacher_hidden);
    if (w->x == NULL || w->nu == NULL)
        goto nomem;
    const pdx_trainer_deep_limits deep = pdx_sweep_deep_limits(grid);
    for (int b = 0; b < PDX_BUNDLE; b++) {
        st = pdx_trainer_create_deep(
            &w->trainer[b], (size_t)grid->max_N, grid->max_student_hidden,
            grid->max_teacher_hidden,
            b == 0 && tests == NULL ? (size_t)grid->max_test_size : 0,
            b == 0 ? (size_t)grid->max_train_size : 0, b == 0 ? &deep : NULL,
            err);
        if (st == PDX_OK && b == 0 && tests != NULL) /* shared test sets */
            pdx_trainer_share_tests(w->trainer[0], tests,
                                    (size_t)grid->max_test_size);
        if (st != PDX_OK) {
            worker_destroy(w);
            return st;
        }
        w->values[b] = calloc(layout->n_vars, sizeof *w->values[b]);
        if (w->values[b] == NULL)
            goto nomem;
        for (size_t v = 0; v < layout->n_vars; v++) {
            w->values[b][v] =
                malloc(pdx_layout_var_size(layout, v) * sizeof(double));
            if (w->values[b][v] == NULL)
                goto nomem;
        }
    }
    return PDX_OK;
nomem:
    worker_destroy(w);
    return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                         "cannot allocate result buffers");
}

static void fill_nan(double **values, const pdx_layout *layout)
{
    for (size_t v = 0; v < layout->n_vars; v++) {
        size_t n = pdx_layout_var_size(layout, v);
        for (size_t i = 0; i < n; i++)
            values[v][i] = NAN;
    }
}

/* Per-member state of a bundle run. */
typedef struct member {
    pdx_params params;
    int64_t total_steps;          /* of the trainer, once set */
    const pdx_committee *teacher; /* of the trainer, once set */
    size_t next_time;   /* index of the next checkpoint to record */
    int8_t status;
    int finished;       /* nothing left to do */
} member;

/* Step of checkpoint `ti` of a member, or -1 when it lies after the end of
 * training (those checkpoints stay NaN). */
static int64_t checkpoint_step(const pdx_spec *spec, const member *m,
                               size_t ti)
{
    if (ti >= spec->n_times)
        return -1;
    int64_t step = pdx_grid_steps_at(&m->params, spec->times[ti]);
    return step > m->total_steps ? -1 : step;
}

/* Run n online tasks of one bundle (same seed, replica, N and teacher) in
 * lockstep; statuses and steps go to status[] and steps[]. */
static void run_online_bundle(worker *w, const pdx_grid *grid,
                              const pdx_layout *layout, const uint64_t *tasks,
                              size_t n, int8_t *status, int64_t *steps)
{
    const pdx_spec *spec = grid->spec;
    member m[PDX_BUNDLE];
    int64_t max_total = 0;
    size_t draws = 0;
    uint64_t replica = tasks[0] % grid->replicas;
    for (size_t i = 0; i < n; i++) {
        pdx_trainer *t = w->trainer[i];
        pdx_grid_cell_params(grid, tasks[i] / grid->replicas, &m[i].params);
        fill_nan(w->values[i], layout);
        m[i].next_time = 0;
        m[i].status = PDX_TASK_DONE;
        m[i].finished = 0;
        if (pdx_trainer_set(t, &m[i].params, (uint64_t)spec->base.seed,
                            replica, NULL) != PDX_OK) {
            m[i].status = PDX_TASK_FAILED;
            m[i].finished = 1;
            continue;
        }
        pdx_observe_teacher(t, layout, w->values[i]);
        m[i].total_steps = pdx_trainer_total_steps(t);
        m[i].teacher = pdx_trainer_teacher(t);
        if (m[i].total_steps > max_total)
            max_total = m[i].total_steps;
        size_t d = pdx_trainer_online_draws(&m[i].params);
        if (d > draws)
            draws = d;
    }
    pdx_rng_stream inputs;
    pdx_rng_stream_init(&inputs, (uint64_t)spec->base.seed, PDX_RNG_INPUTS, 0,
                        replica);
    double *x = w->x;
    for (int64_t step = 0;; step++) {
        if ((step & 4095) == 4095 && worker_abandons(w)) {
            for (size_t i = 0; i < n; i++)
                if (!m[i].finished) {
                    m[i].status = PDX_TASK_PENDING;
                    m[i].finished = 1;
                }
            break;
        }
        int any_active = 0;
        const pdx_committee *teacher = NULL;
        for (size_t i = 0; i < n; i++) {
            pdx_trainer *t = w->trainer[i];
            if (m[i].finished)
                continue;
            /* checkpoints at this step (before the step is taken) */
            int64_t at;
            while ((at = checkpoint_step(spec, &m[i], m[i].next_time)) ==
                   step) {
                if (pdx_trainer_check(t)) {
                    m[i].status = PDX_TASK_DIVERGED;
                    m[i].finished = 1;
                    break;
                }
                pdx_observe_measure(t, layout, m[i].next_time, w->values[i]);
                pdx_observe_robust(w->attacker, t, layout, m[i].next_time,
                                   w->values[i]);
                m[i].next_time++;
            }
            if (m[i].finished)
                continue;
            if (step >= m[i].total_steps) {
                if (pdx_trainer_check(t))
                    m[i].status = PDX_TASK_DIVERGED;
                m[i].finished = 1;
                continue;
            }
            any_active = 1;
            teacher = m[i].teacher;
        }
        if (!any_active || step >= max_total)
            break;
        pdx_rng_gaussian(&inputs, (uint64_t)step, x, draws);
        double y = pdx_model_forward(teacher, x, w->nu);
        for (size_t i = 0; i < n; i++) {
            if (m[i].finished)
                continue;
            if (pdx_trainer_online_step(w->trainer[i], x, y)) {
                m[i].status = PDX_TASK_DIVERGED;
                m[i].finished = 1;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        status[i] = m[i].status;
        steps[i] = pdx_trainer_step(w->trainer[i]);
    }
}

/* Run one task on a fixed training set with the worker's first trainer:
 * checkpoints (times after train.epochs stay NaN), samples for the
 * averages at each sweep (epoch) from train.burn_in on (metropolis,
 * langevin), then the per-task values. */
static void run_finite_task(worker *w, const pdx_grid *grid,
                            const pdx_layout *layout, uint64_t task,
                            int8_t *status, int64_t *steps)
{
    const pdx_spec *spec = grid->spec;
    pdx_trainer *t = w->trainer[0];
    double **out = w->values[0];
    pdx_params params;
    pdx_grid_cell_params(grid, task / grid->replicas, &params);
    fill_nan(out, layout);
    *status = PDX_TASK_DONE;
    if (pdx_trainer_set_cell(t, &params, (uint64_t)spec->base.seed,
                             pdx_grid_cell_key(&params),
                             task % grid->replicas, NULL) != PDX_OK) {
        *status = PDX_TASK_FAILED;
        *steps = 0;
        return;
    }
    pdx_observe_teacher(t, layout, out);
    pdx_observer_start(w->observer);
    const int averages = pdx_trainer_samples_averages(&params);
    /* record.bayes: a second chain on the same data, stepped alongside */
    pdx_trainer *twin = params.record_bayes && averages &&
                                params.student_kind == PDX_MODEL_PERCEPTRON
                            ? w->twin
                            : NULL;
    /* and both train.start values: the other start's chain (issue 14) */
    if ((twin != NULL &&
         pdx_trainer_set_chain(twin, &params, (uint64_t)spec->base.seed,
                               pdx_grid_cell_key(&params),
                               task % grid->replicas, 1, NULL) != PDX_OK) ||
        pdx__partner_set(w->partner, &params, (uint64_t)spec->base.seed,
                         task % grid->replicas) != 0) {
        *status = PDX_TASK_FAILED;
        *steps = 0;
        return;
    }
    if (twin != NULL)
        pdx_pair_observer_start(w->pair);
    const int64_t per_time = pdx_trainer_steps_per_time(t);
    const int64_t total_steps = pdx_trainer_total_steps(t);
    /* samples at whole sweeps (epochs) from burn_in on */
    int64_t sample = (int64_t)ceil(params.train_burn_in) * per_time;
    /* the probability current (issue 17): every step from its burn-in */
    const int current = w->noise != NULL && params.record_current &&
                        pdx_params_noise_applies(&params);
    const int64_t from =
        current ? pdx_grid_steps_at(&params, params.record_current_burn_in)
                : total_steps + 1;
    int64_t cstep = from;
    size_t ti = 0;
    for (;;) {
        /* checked between checkpoints, and every 256 steps of the current */
        int between = cstep <= from || cstep > total_steps ||
                      (cstep - from) % 256 == 0;
        if (between && worker_abandons(w)) {
            *status = PDX_TASK_PENDING;
            *steps = pdx_trainer_step(t);
            return;
        }
        int64_t next = total_steps;
        int64_t at = -1;
        if (ti < spec->n_times && spec->times[ti] <= params.train_epochs) {
            at = pdx_grid_steps_at(&params, spec->times[ti]);
            if (at < next)
                next = at;
        }
        if (averages && sample <= total_steps && sample < next)
            next = sample;
        if (cstep <= total_steps && cstep < next)
            next = cstep;
        if (pdx_trainer_iterate(t, next) ||
            (twin != NULL && pdx_trainer_iterate(twin, next))) {
            *status = PDX_TASK_DIVERGED;
            break;
        }
        pdx__partner_iterate(w->partner, next);
        if (next == cstep) {
            if (cstep == from)
                pdx_observe_current_start(w->noise, t, total_steps - from,
                                          layout, out);
            else
                pdx_observe_current_push(w->noise, t);
            cstep++;
        }
        if (averages && next == sample) {
            pdx_observe_sample(w->observer, t, layout, out);
            if (twin != NULL)
                pdx_observe_pair_sample(w->pair, t, twin);
            pdx__partner_sample(w->partner, layout, out);
            sample += per_time;
        }
        while (ti < spec->n_times && spec->times[ti] <= params.train_epochs &&
               pdx_grid_steps_at(&params, spec->times[ti]) == next) {
            pdx_observe_measure(t, layout, ti, out);
            pdx_observe_robust(w->attacker, t, layout, ti, out);
            if (twin != NULL)
                pdx_observe_pair_measure(t, twin, layout, ti, out);
            pdx_observe_flatness(w->flattener, t, layout, ti, out);
            pdx_observe_noise(w->noise, t, layout, ti, out);
            ti++;
        }
        int more_times = ti < spec->n_times &&
                         spec->times[ti] <= params.train_epochs;
        int more_samples = averages && sample <= total_steps;
        if (next >= total_steps && !more_times && !more_samples &&
            cstep > total_steps)
            break;
    }
    if (*status == PDX_TASK_DONE) {
        pdx_observe_task(w->observer, t, layout, out);
        if (twin != NULL)
            pdx_observe_pair_task(w->pair, t, layout, out);
        pdx__partner_finish(w->partner, out);
        if (current)
            pdx_observe_current_finish(w->noise, layout, out);
    }
    *steps = pdx_trainer_step(t);
}

/* Whether a task may share a bundle: online, eg in closed form (no test
 * set: only the first trainer of a worker holds one). */
static int bundle_key(const pdx_grid *grid, uint64_t task, uint64_t *key)
{
    pdx_params p;
    pdx_grid_cell_params(grid, task / grid->replicas, &p);
    int needs_test = p.record_eg == PDX_EG_TEST_SET ||
                     p.record_budget_count > 0 ||
                     (p.record_eg == PDX_EG_AUTO &&
                      !pdx_trainer_has_closed_form(&p));
    if (p.train_algorithm != PDX_ALG_ONLINE || needs_test)
        return 0;
    uint64_t k = pdx_rng_mix64(task % grid->replicas);
    k = pdx_rng_mix64(k ^ (uint64_t)p.N);
    k = pdx_rng_mix64(k ^ (uint64_t)p.teacher_hidden);
    k = pdx_rng_mix64(k ^ (uint64_t)p.teacher_activation);
    k = pdx_rng_mix64(k ^ (uint64_t)p.teacher_kind);
    if (p.teacher_normalise != PDX_NORMALISE_NONE) /* (none: keys as before) */
        k = pdx_rng_mix64(k ^ ((uint64_t)p.teacher_normalise << 40));
    *key = k;
    return 1;
}

/* A unit of scheduling: one task, or a bundle of online tasks sharing
 * their input stream (tasks[0..n-1] index the sorted task list). */
typedef struct job {
    size_t first, n;
    double cost;
    uint64_t replica; /* of the first task */
} job;

/* One replica after another, longest first within each: the jobs the
 * threads take in a row share their replica's test set (drawn once,
 * src/sweep_tests.c, and warm in the cache) and training set (a thread's
 * trainer keeps one; a smaller alpha's is a prefix of the larger one it
 * holds), and the smallest jobs still come last. Longest first over all
 * replicas (the order before) alternated replicas between equal costs and
 * made a thread draw its training sets again and again: W2
 * (sweeps/bench-minibatch.yaml) on 1 thread went from 652 to 640 ms. */
static int by_replica_then_cost(const void *a, const void *b)
{
    const job *x = a, *y = b;
    if (x->replica != y->replica)
        return x->replica < y->replica ? -1 : 1;
    if (x->cost != y->cost)
        return x->cost < y->cost ? 1 : -1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Where a run's first error goes (written inside critical(pdx_hdf5)). */
typedef struct run_failure {
    pdx_status *result;
    pdx_error *err;
    volatile int *abort_run;
} run_failure;

/* The run fails: keep the first error; nothing more is committed. */
static void fail_run(run_failure *run, pdx_status status, const pdx_error *e)
{
    if (*run->result == PDX_OK) {
        *run->result = status;
        if (run->err != NULL)
            *run->err = *e;
    }
    *run->abort_run = 1;
}

/* Pending tasks with their bundle keys, sorted so that tasks of one key
 * are adjacent (unbundleable tasks last, each on its own). */
typedef struct pending {
    uint64_t task;
    uint64_t key;
    int bundleable;
    double cost;
} pending;

static int by_key(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    if (x->bundleable != y->bundleable)
        return x->bundleable ? -1 : 1;
    if (x->bundleable && x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->task < y->task ? -1 : x->task > y->task;
}

/* The shard's pending tasks (todo, sorted by bundle key; their summed
 * cost into *cost_total) and the jobs that run them (bundles of online
 * tasks sharing an input stream), replica by replica, longest first within
 * each (by_replica_then_cost). The caller frees
 * *todo_out and *jobs_out. Returns PDX_OK, PDX_ERR_NOMEM or the shard
 * dealing's error. */
static pdx_status plan_jobs(const pdx_grid *grid, const int8_t *status,
                            const pdx_sweep_options *options,
                            pdx_sweep_summary *summary, pending **todo_out,
                            size_t *n_todo_out, job **jobs_out,
                            size_t *n_jobs_out, double *cost_total,
                            pdx_error *err)
{
    /* this process's tasks: the whole grid, or one shard of it */
    uint64_t *mine = NULL, n_mine = grid->n_tasks;
    if (options->shard_count > 1) {
        pdx_status st = pdx_grid_shard_tasks(grid, options->shard_index,
                                             options->shard_count, &mine,
                                             &n_mine, err);
        if (st != PDX_OK)
            return st;
    }
    size_t cap = (size_t)n_mine + 1;
    size_t n_todo = 0, n_jobs = 0;
    pending *todo = malloc(cap * sizeof *todo);
    job *jobs = malloc(cap * sizeof *jobs);
    if (todo == NULL || jobs == NULL) {
        free(mine);
        free(todo);
        free(jobs);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the task list");
    }
    for (uint64_t m = 0; m < n_mine; m++) {
        uint64_t task = mine != NULL ? mine[m] : m;
        summary->tasks++;
        if (status != NULL && status[task] != PDX_TASK_PENDING) {
            summary->skipped++;
            continue;
        }
        pdx_params p;
        pdx_grid_cell_params(grid, task / grid->replicas, &p);
        pending *e = &todo[n_todo++];
        e->task = task;
        e->cost = pdx_grid_task_cost(&p);
        e->bundleable = bundle_key(grid, task, &e->key);
        *cost_total += e->cost;
    }
    free(mine);
    qsort(todo, n_todo, sizeof *todo, by_key);
    size_t max_bundle = options->max_bundle > 0 &&
                                options->max_bundle < PDX_BUNDLE
                            ? (size_t)options->max_bundle
                            : PDX_BUNDLE;
    for (size_t i = 0; i < n_todo;) {
        job *j = &jobs[n_jobs++];
        j->first = i;
        j->n = 1;
        j->cost = todo[i].cost;
        j->replica = todo[i].task % grid->replicas;
        while (todo[i].bundleable && i + j->n < n_todo && j->n < max_bundle &&
               todo[i + j->n].bundleable && todo[i + j->n].key == todo[i].key) {
            j->cost += todo[i + j->n].cost;
            j->n++;
        }
        i += j->n;
    }
    qsort(jobs, n_jobs, sizeof *jobs, by_replica_then_cost);
    *todo_out = todo;
    *n_todo_out = n_todo;
    *jobs_out = jobs;
    *n_jobs_out = n_jobs;
    return PDX_OK;
}

/* The commit group: finished tasks waiting to be committed together
 * (pdx_store_commit_many: one write per variable, one flush pair), with
 * copies of their values. Touched only inside critical(pdx_hdf5), but for
 * `due`, which group_poll reads without the lock (atomically). */
typedef struct commit_group {
    pdx_task_record *recs; /* cap */
    double *pool;          /* cap * per_task values */
    double **ptrs;         /* cap * n_vars: the records' values */
    size_t *job_task;      /* cap: index in the sorted task list (cost) */
    size_t n, cap, n_vars, per_task;
    double window;         /* seconds a finished task may wait */
    double due;            /* when the group must be written (0: empty) */
} commit_group;

/* Tasks the group holds: at most PDX_SWEEP_GROUP_BYTES of values and the
 * tasks to run, at least a whole bundle. */
static size_t group_capacity(const pdx_layout *layout, size_t n_todo,
                             size_t *per_task)
{
    *per_task = 0;
    for (size_t v = 0; v < layout->n_vars; v++)
        *per_task += pdx_layout_var_size(layout, v);
    double cap = PDX_SWEEP_GROUP_BYTES /
                 (8.0 * (double)*per_task + sizeof(pdx_task_record) + 64.0);
    if (cap > 1 << 20)
        cap = 1 << 20;
    if (cap > (double)n_todo)
        cap = (double)n_todo;
    return cap < PDX_BUNDLE ? PDX_BUNDLE : (size_t)cap;
}

static void group_free(commit_group *g)
{
    free(g->recs);
    free(g->pool);
    free(g->ptrs);
    free(g->job_task);
    memset(g, 0, sizeof *g);
}

static pdx_status group_init(commit_group *g, const pdx_layout *layout,
                             size_t n_todo, double window, pdx_error *err)
{
    memset(g, 0, sizeof *g);
    g->window = window > 0.0 ? window : 0.0;
    g->n_vars = layout->n_vars;
    g->cap = group_capacity(layout, n_todo, &g->per_task);
    if (g->window <= 0.0)
        g->cap = PDX_BUNDLE; /* each job committed alone */
    g->recs = malloc(g->cap * sizeof *g->recs);
    g->pool = malloc(g->cap * (g->per_task + 1) * sizeof *g->pool);
    g->ptrs = malloc(g->cap * (g->n_vars + 1) * sizeof *g->ptrs);
    g->job_task = malloc(g->cap * sizeof *g->job_task);
    if (g->recs == NULL || g->pool == NULL || g->ptrs == NULL ||
        g->job_task == NULL) {
        group_free(g);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the commit group");
    }
    for (size_t i = 0; i < g->cap; i++) {
        double *at = g->pool + i * g->per_task;
        for (size_t v = 0; v < g->n_vars; v++) {
            g->ptrs[i * g->n_vars + v] = at;
            at += pdx_layout_var_size(layout, v);
        }
        g->recs[i].values = (const double *const *)(g->ptrs + i * g->n_vars);
    }
    return PDX_OK;
}

/* What the threads of one run share, for commit_job. */
typedef struct run_shared {
    pdx_store **store;            /* set once the file exists */
    volatile int *store_ready;    /* commits wait for it */
    volatile int *abort_run;
    run_failure *run;
    const pending *todo;
    pdx_sweep_summary *summary;   /* counted inside critical(pdx_hdf5) */
    progress *prog;
    commit_group *group;
    const pdx_layout *layout;
    const pdx_sweep_options *options;
    double start;                 /* of the sweep (now_seconds) */
    double *cost_computed;        /* of the jobs computed so far (atomic) */
    int *frame_claimed;           /* the frame is being or was built */
} run_shared;

/* Commit the group (inside critical(pdx_hdf5)) and count its tasks; a
 * failure stops the run (its tasks stay pending in the file). */
static void group_commit(const run_shared *c, pdx_error *local_err)
{
    commit_group *g = c->group;
    if (g->n == 0 || *c->abort_run) {
        g->n = 0;
#pragma omp atomic write
        g->due = 0.0;
        return;
    }
    double t0 = now_seconds();
    pdx_status cst = pdx_store_commit_many(*c->store, g->recs, g->n, local_err);
    c->summary->commits++;
    c->summary->commit_seconds += now_seconds() - t0;
    if (cst != PDX_OK) {
        fail_run(c->run, cst, local_err);
    } else {
        for (size_t r = 0; r < g->n; r++) {
            const pdx_task_record *rec = &g->recs[r];
            c->summary->run++;
            c->summary->steps += (double)rec->steps;
            if (rec->status == PDX_TASK_DONE)
                c->summary->done++;
            else if (rec->status == PDX_TASK_DIVERGED)
                c->summary->diverged++;
            else
                c->summary->failed++;
            c->prog->finished++;
            c->prog->cost_done += c->todo[g->job_task[r]].cost;
        }
        pdx__progress_report(c->prog, 0);
    }
    g->n = 0;
#pragma omp atomic write
    g->due = 0.0;
}

/* Does the file exist yet (created by the first thread)? */
static int store_ready_now(const run_shared *c)
{
    int ready;
#pragma omp atomic read
    ready = *c->store_ready;
    return ready;
}

/* Write the group if its oldest task has waited the window (called by
 * every worker between blocks of work, so that a finished task waits at
 * most the window plus one such block). */
static void group_poll(const run_shared *c)
{
    double due;
#pragma omp atomic read
    due = c->group->due;
    if (due == 0.0 || now_seconds() < due || !store_ready_now(c))
        return;
    pdx_error local_err;
    pdx_error_clear(&local_err);
#pragma omp critical(pdx_hdf5)
    if (c->group->due != 0.0 && now_seconds() >= c->group->due)
        group_commit(c, &local_err);
}

/* Write whatever the group holds (a thread out of jobs, the run's end). */
static void group_drain(const run_shared *c)
{
    pdx_error local_err;
    pdx_error_clear(&local_err);
    for (int ready = 0; !ready;) { /* the file being created */
#pragma omp atomic read
        ready = *c->store_ready;
        if (!ready)
            sched_yield();
    }
#pragma omp critical(pdx_hdf5)
    group_commit(c, &local_err);
}

/* Add the finished tasks of job j (status, steps and the worker's values
 * of each member; abandoned ones stay pending) to the commit group, and
 * write the group once the file exists when it is full or due (inside
 * critical(pdx_hdf5)). */
static void commit_job(const run_shared *c, worker *w, const job *j,
                       const uint64_t *tasks, const int8_t *task_status,
                       const int64_t *steps, double t0, pdx_error *local_err)
{
    /* a bundle's wall time is shared equally by its tasks */
    double now = now_seconds();
    double wall = (now - t0) / (double)j->n;
    commit_group *g = c->group;
    for (int ready = 0; !ready;) { /* the file being created */
#pragma omp atomic read
        ready = *c->store_ready;
        if (!ready)
            sched_yield();
    }
#pragma omp critical(pdx_hdf5)
    if (!*c->abort_run) {
        if (g->n + j->n > g->cap)
            group_commit(c, local_err);
        for (size_t i = 0; i < j->n && !*c->abort_run; i++) {
            if (task_status[i] == PDX_TASK_PENDING)
                continue; /* abandoned after the grace period */
            pdx_task_record *rec = &g->recs[g->n];
            rec->task = tasks[i];
            rec->status = task_status[i];
            rec->steps = steps[i];
            rec->wall_seconds = wall;
            for (size_t v = 0; v < g->n_vars; v++)
                memcpy(g->ptrs[g->n * g->n_vars + v], w->values[i][v],
                       pdx_layout_var_size(c->layout, v) * sizeof(double));
            g->job_task[g->n] = j->first + i;
            g->n++;
            if (g->due == 0.0) {
#pragma omp atomic write
                g->due = now + g->window;
            }
        }
        if (g->n > 0 && (g->window <= 0.0 || now >= g->due))
            group_commit(c, local_err);
    }
}

/* The finished file's frame (pdx_store_prepare_finish: its attributes
 * and empty compressed variables, which do not depend on the results) is
 * built by one thread while the others compute: by the first to see the
 * work left estimated at under PDX_FRAME_AHEAD_SECONDS (from the cost
 * computed so far and the time it took), else by the first thread out of
 * jobs (`out`). Built after the last job instead, it kept the other
 * threads waiting (W2, sweeps/bench-minibatch.yaml, 2 threads: 4 ms of
 * 0.36 s). Not built earlier, since a killed run leaves it behind as a
 * temporary file (which the next run removes on this host). A failure is
 * left to pdx_store_finish, which builds it again and reports. */
#define PDX_FRAME_AHEAD_SECONDS 1.0

static void build_frame_ahead(const run_shared *c, int out)
{
    const pdx_sweep_options *options = c->options;
    if (!options->prepare_finish)
        return;
    int claimed;
#pragma omp atomic read
    claimed = *c->frame_claimed;
    if (claimed)
        return;
    if (!out) {
        double done;
#pragma omp atomic read
        done = *c->cost_computed;
        double elapsed = now_seconds() - c->start;
        double left = c->prog->cost_total - done;
        if (!(done > 0.0) || left * elapsed > PDX_FRAME_AHEAD_SECONDS * done)
            return;
    }
    if (!store_ready_now(c))
        return;
#pragma omp atomic capture
    claimed = (*c->frame_claimed)++;
    if (claimed)
        return;
#pragma omp critical(pdx_hdf5)
    if (!*c->abort_run && *c->store != NULL &&
        !(options->stop != NULL && *options->stop)) {
        pdx_error frame_err;
        pdx_error_clear(&frame_err);
        (void)pdx_store_prepare_finish(*c->store, &frame_err);
    }
}

/* Run job j (a finite task or a bundle of online ones) and hand its
 * results to the commit group. */
static void run_job(const run_shared *c, worker *w, const pdx_grid *grid,
                    const job *j, pdx_error *local_err)
{
    uint64_t tasks[PDX_BUNDLE];
    int8_t task_status[PDX_BUNDLE];
    int64_t steps[PDX_BUNDLE];
    for (size_t i = 0; i < j->n; i++)
        tasks[i] = c->todo[j->first + i].task;
    double t0 = now_seconds();
    pdx_params first;
    pdx_grid_cell_params(grid, tasks[0] / grid->replicas, &first);
    if (j->n == 1 && pdx_params_finite(&first))
        run_finite_task(w, grid, c->layout, tasks[0], task_status, steps);
    else
        run_online_bundle(w, grid, c->layout, tasks, j->n, task_status,
                          steps);
    commit_job(c, w, j, tasks, task_status, steps, t0, local_err);
#pragma omp atomic update
    *c->cost_computed += j->cost;
    build_frame_ahead(c, 0);
}

pdx_status pdx_sweep_run(const pdx_grid *grid, const pdx_layout *layout,
                         pdx_store *store, const int8_t *status,
                         const pdx_sweep_options *options,
                         pdx_sweep_summary *summary, pdx_error *err)
{
    memset(summary, 0, sizeof *summary);
    pending *todo = NULL;
    job *jobs = NULL;
    size_t n_todo = 0, n_jobs = 0;
    progress prog = {0};
    pdx_status pst = plan_jobs(grid, status, options, summary, &todo, &n_todo,
                               &jobs, &n_jobs, &prog.cost_total, err);
    if (pst != PDX_OK)
        return pst;

    int threads = options->threads > 0 ? options->threads
                                       : omp_get_max_threads();
    if ((size_t)threads > n_jobs && n_jobs > 0)
        threads = (int)n_jobs;
    summary->threads = threads;
    pdx__progress_start(&prog, options, n_todo);

    pdx_status result = PDX_OK;
    volatile int abort_run = 0;
    double stop_since = 0.0; /* when a worker first saw the stop request */
    pdx_sweep_new_store *create = options->create;
    if (create != NULL)
        create->store = store = NULL;
    int store_ready = create == NULL; /* commits wait for it */
    double cost_computed = 0.0;
    int frame_claimed = 0;
    run_failure run = {&result, err, &abort_run};
    commit_group group;
    pdx_sweep_tests *tests = NULL;
    pst = group_init(&group, layout, n_todo, options->commit_window, err);
    if (pst == PDX_OK) /* the test sets the threads share */
        pst = pdx_sweep_tests_create(&tests, grid, threads, err);
    if (pst != PDX_OK) {
        group_free(&group);
        free(todo);
        free(jobs);
        return pst;
    }
    double start = now_seconds();
    run_shared shared = {&store,  &store_ready, &abort_run, &run,
                         todo,    summary,      &prog,      &group,
                         layout,  options,      start,      &cost_computed,
                         &frame_claimed};

#pragma omp parallel num_threads(threads)
    {
        pdx_error local_err;
        pdx_error_clear(&local_err);
        /* A new file is created by the first thread while the others start
         * computing; HDF5 is called only inside critical(pdx_hdf5). */
        if (create != NULL && omp_get_thread_num() == 0) {
#pragma omp critical(pdx_hdf5)
            {
                pdx_status cst = pdx_store_create(
                    &create->store, create->path, grid, layout,
                    create->provenance, create->options, &local_err);
                if (cst != PDX_OK)
                    fail_run(&run, cst, &local_err);
                else
                    store = create->store;
#pragma omp atomic write
                store_ready = 1;
            }
        }
        worker w;
        pdx_status wst = worker_init(&w, grid, layout,
                                     pdx_sweep_tests_source(tests), &local_err);
        w.options = options;
        w.stop_since = &stop_since;
        w.abort_run = &abort_run;
        w.shared = &shared;
        if (wst != PDX_OK) {
#pragma omp critical(pdx_hdf5)
            fail_run(&run, wst, &local_err);
        }
#pragma omp for schedule(dynamic, 1) nowait
        for (size_t ji = 0; ji < n_jobs; ji++) {
            if (abort_run || wst != PDX_OK ||
                (options->stop != NULL && *options->stop))
                continue;
            run_job(&shared, &w, grid, &jobs[ji], &local_err);
        }
        /* the tasks this thread and others finished are written before
         * it waits or leaves */
        group_drain(&shared);
        build_frame_ahead(&shared, 1);
        worker_destroy(&w);
    }
    group_free(&group);
    summary->test_sets = pdx_sweep_tests_destroy(&tests);
    summary->wall_seconds = now_seconds() - start;
    if (prog.enabled)
        pdx__progress_report(&prog, 1);
    free(todo);
    free(jobs);
    if (result == PDX_OK && options->stop != NULL && *options->stop &&
        summary->run + summary->skipped < summary->tasks)
        result = pdx_error_set(err, PDX_ERR_STOPPED, NULL, 0, 0, NULL,
                               "stopped by a signal after %llu of %llu tasks; "
                               "run the same command again to resume",
                               (unsigned long long)(summary->run +
                                                    summary->skipped),
                               (unsigned long long)summary->tasks);
    return result;
}
