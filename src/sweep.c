/* sweep.c — OpenMP over tasks, longest first; commits and progress. */
#include "pdx/sweep.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pdx/observe.h"
#include "pdx/train.h"

typedef struct task_entry {
    uint64_t task;
    double cost;
} task_entry;

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
    return o;
}

void pdx_sweep_layout(const pdx_grid *grid, pdx_layout *layout)
{
    memset(layout, 0, sizeof *layout);
    layout->vars = pdx_observe_variables(&layout->n_vars);
    layout->dim_size[PDX_DIM_TIME] = grid->spec->n_times;
    layout->dim_size[PDX_DIM_STUDENT_UNIT] = grid->max_student_hidden;
    layout->dim_size[PDX_DIM_STUDENT_UNIT2] = grid->max_student_hidden;
    layout->dim_size[PDX_DIM_TEACHER_UNIT] = grid->max_teacher_hidden;
    layout->dim_size[PDX_DIM_TEACHER_UNIT2] = grid->max_teacher_hidden;
}

static size_t var_size(const pdx_layout *layout, size_t v)
{
    size_t n = 1;
    for (size_t d = 0; d < layout->vars[v].n_dims; d++)
        n *= layout->dim_size[layout->vars[v].dims[d]];
    return n;
}

double pdx_sweep_memory_bytes(const pdx_grid *grid, int threads)
{
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    double per_task = 0.0;
    for (size_t v = 0; v < layout.n_vars; v++)
        per_task += 8.0 * (double)var_size(&layout, v);
    double per_thread =
        pdx_trainer_workspace_bytes((size_t)grid->max_N,
                                    grid->max_student_hidden,
                                    grid->max_teacher_hidden,
                                    (size_t)grid->max_test_size) +
        per_task;
    /* task list (index + cost) and the status array */
    double shared = (double)grid->n_tasks * (sizeof(task_entry) + 1.0);
    return (double)threads * per_thread + shared;
}

static int by_cost_desc(const void *a, const void *b)
{
    const task_entry *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? 1 : -1;
    return x->task < y->task ? -1 : x->task > y->task;
}

/* Progress state, touched only inside the critical section. */
typedef struct progress {
    int enabled, tty;
    double interval, start, last;
    double cost_total, cost_done;
    uint64_t total, finished;
} progress;

static void format_duration(double s, char *buf, size_t size)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, size, "?");
    else if (s < 3600)
        snprintf(buf, size, "%d:%02d", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, size, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60,
                 (int)s % 60);
}

static void progress_report(progress *p, int final)
{
    if (!p->enabled)
        return;
    double t = now_seconds();
    double min_gap = p->tty ? 0.2 : p->interval;
    if (!final && t - p->last < min_gap)
        return;
    p->last = t;
    double frac = p->cost_total > 0 ? p->cost_done / p->cost_total : 1.0;
    double elapsed = t - p->start;
    double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : NAN;
    char el[32], et[32];
    format_duration(elapsed, el, sizeof el);
    format_duration(eta, et, sizeof et);
    if (p->tty) {
        char bar[31];
        int filled = (int)(frac * 30.0);
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %5.1f%%  %llu/%llu tasks  elapsed %s  ETA %s ",
                bar, 100.0 * frac, (unsigned long long)p->finished,
                (unsigned long long)p->total, el, et);
        if (final)
            fputc('\n', stderr);
    } else {
        fprintf(stderr,
                "pdx: %5.1f%% done, %llu/%llu tasks, elapsed %s, ETA %s\n",
                100.0 * frac, (unsigned long long)p->finished,
                (unsigned long long)p->total, el, et);
    }
    fflush(stderr);
}

/* Per-thread buffers: one array per layout variable. */
typedef struct worker {
    pdx_trainer *trainer;
    double **values;
    size_t n_vars;
} worker;

static void worker_destroy(worker *w)
{
    pdx_trainer_destroy(&w->trainer);
    if (w->values != NULL)
        for (size_t v = 0; v < w->n_vars; v++)
            free(w->values[v]);
    free(w->values);
    w->values = NULL;
}

static pdx_status worker_init(worker *w, const pdx_grid *grid,
                              const pdx_layout *layout, pdx_error *err)
{
    memset(w, 0, sizeof *w);
    pdx_status st = pdx_trainer_create(
        &w->trainer, (size_t)grid->max_N, grid->max_student_hidden,
        grid->max_teacher_hidden, (size_t)grid->max_test_size, err);
    if (st != PDX_OK)
        return st;
    w->n_vars = layout->n_vars;
    w->values = calloc(layout->n_vars, sizeof *w->values);
    if (w->values == NULL)
        goto nomem;
    for (size_t v = 0; v < layout->n_vars; v++) {
        w->values[v] = malloc(var_size(layout, v) * sizeof(double));
        if (w->values[v] == NULL)
            goto nomem;
    }
    return PDX_OK;
nomem:
    worker_destroy(w);
    return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                         "cannot allocate result buffers");
}

/* Run one task into the worker's buffers; returns its pdx_task_status. */
static int8_t run_task(worker *w, const pdx_grid *grid,
                       const pdx_layout *layout, uint64_t task,
                       int64_t *steps)
{
    const pdx_spec *spec = grid->spec;
    for (size_t v = 0; v < layout->n_vars; v++) {
        size_t n = var_size(layout, v);
        for (size_t i = 0; i < n; i++)
            w->values[v][i] = NAN;
    }
    pdx_params params;
    uint64_t cell = task / grid->replicas, replica = task % grid->replicas;
    pdx_grid_cell_params(grid, cell, &params);
    pdx_trainer *t = w->trainer;
    if (pdx_trainer_set(t, &params, (uint64_t)spec->base.seed, replica,
                        NULL) != PDX_OK) {
        *steps = 0;
        return PDX_TASK_FAILED;
    }
    pdx_observe_teacher(t, layout, w->values);
    int8_t status = PDX_TASK_DONE;
    for (size_t ti = 0; ti < spec->n_times; ti++) {
        int64_t target = pdx_grid_steps_at(&params, spec->times[ti]);
        if (target > t->total_steps)
            break; /* checkpoints after train.alpha stay NaN */
        if (pdx_trainer_iterate(t, target)) {
            status = PDX_TASK_DIVERGED;
            break;
        }
        pdx_observe_measure(t, layout, ti, w->values);
    }
    if (status == PDX_TASK_DONE && t->step < t->total_steps &&
        pdx_trainer_iterate(t, t->total_steps))
        status = PDX_TASK_DIVERGED;
    *steps = t->step;
    return status;
}

pdx_status pdx_sweep_run(const pdx_grid *grid, const pdx_layout *layout,
                         pdx_store *store, const int8_t *status,
                         const pdx_sweep_options *options,
                         pdx_sweep_summary *summary, pdx_error *err)
{
    memset(summary, 0, sizeof *summary);
    const uint64_t shards = options->shard_count ? options->shard_count : 1;
    size_t n_todo = 0;
    task_entry *todo = malloc((size_t)(grid->n_tasks / shards + 1) *
                              sizeof *todo);
    if (todo == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the task list");
    progress prog = {0};
    for (uint64_t task = options->shard_index; task < grid->n_tasks;
         task += shards) {
        summary->tasks++;
        if (status != NULL && status[task] != PDX_TASK_PENDING) {
            summary->skipped++;
            continue;
        }
        pdx_params p;
        pdx_grid_cell_params(grid, task / grid->replicas, &p);
        todo[n_todo].task = task;
        todo[n_todo].cost = pdx_grid_task_cost(&p);
        prog.cost_total += todo[n_todo].cost;
        n_todo++;
    }
    qsort(todo, n_todo, sizeof *todo, by_cost_desc);

    int threads = options->threads > 0 ? options->threads
                                       : omp_get_max_threads();
    if ((uint64_t)threads > n_todo && n_todo > 0)
        threads = (int)n_todo;
    summary->threads = threads;
    prog.enabled = !options->quiet && n_todo > 0;
    prog.tty = options->progress_tty;
    prog.interval = options->progress_interval > 0 ? options->progress_interval
                                                   : 10.0;
    prog.start = prog.last = now_seconds();
    prog.total = n_todo;

    pdx_status result = PDX_OK;
    volatile int abort_run = 0;
    double start = now_seconds();

#pragma omp parallel num_threads(threads)
    {
        worker w;
        pdx_error local_err;
        pdx_error_clear(&local_err);
        pdx_status wst = worker_init(&w, grid, layout, &local_err);
        if (wst != PDX_OK) {
#pragma omp critical(pdx_hdf5)
            {
                if (result == PDX_OK) {
                    result = wst;
                    if (err != NULL)
                        *err = local_err;
                }
                abort_run = 1;
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < n_todo; i++) {
            if (abort_run || wst != PDX_OK ||
                (options->stop != NULL && *options->stop))
                continue;
            uint64_t task = todo[i].task;
            double t0 = now_seconds();
            int64_t steps = 0;
            int8_t task_status = run_task(&w, grid, layout, task, &steps);
            pdx_task_record rec;
            rec.task = task;
            rec.status = task_status;
            rec.steps = steps;
            rec.wall_seconds = now_seconds() - t0;
            rec.values = (const double *const *)w.values;
#pragma omp critical(pdx_hdf5)
            {
                if (!abort_run) {
                    pdx_status cst = pdx_store_commit(store, &rec, &local_err);
                    if (cst != PDX_OK) {
                        if (result == PDX_OK) {
                            result = cst;
                            if (err != NULL)
                                *err = local_err;
                        }
                        abort_run = 1;
                    } else {
                        summary->run++;
                        summary->steps += (double)steps;
                        if (task_status == PDX_TASK_DONE)
                            summary->done++;
                        else if (task_status == PDX_TASK_DIVERGED)
                            summary->diverged++;
                        else
                            summary->failed++;
                        prog.finished++;
                        prog.cost_done += todo[i].cost;
                        progress_report(&prog, 0);
                    }
                }
            }
        }
        worker_destroy(&w);
    }
    summary->wall_seconds = now_seconds() - start;
    if (prog.enabled)
        progress_report(&prog, 1);
    free(todo);
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
