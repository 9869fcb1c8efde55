/* pdx/grid.h — the Cartesian product of a spec's axes, tasks and shards.
 *
 * A cell is one point of the product of the spec's axes (document order,
 * first axis slowest). A task is (cell, replica) with flat index
 * task = cell * replicas + replica. Shard k of n owns the tasks that a
 * longest-processing-time deal gives it (pdx_grid_shard_tasks). */
#ifndef PDX_GRID_H
#define PDX_GRID_H

#include <stddef.h>
#include <stdint.h>

#include "pdx/error.h"
#include "pdx/layout.h"
#include "pdx/spec.h"

typedef struct pdx_grid {
    const pdx_spec *spec;  /* borrowed; must outlive the grid */
    size_t n_axes;         /* dimensions of the cells: an axis of its own
                            * or a whole zip group each (issue 19), so
                            * spec->n_axes when the spec has no zip: */
    size_t *shape;         /* n_axes sizes */
    uint64_t n_cells;      /* product of shape (1 without axes) */
    uint64_t replicas;
    uint64_t n_tasks;      /* n_cells * replicas */
    size_t max_student_hidden; /* largest K over the grid */
    size_t max_teacher_hidden; /* largest M over the grid */
    int64_t max_N;
    int64_t max_test_size;     /* largest test set any cell needs (0 if none) */
    int64_t max_train_size;    /* largest training set P (0: online only) */
    /* deep networks (issue 15): the largest depth and width of the deep
     * students and teachers any cell may have (0: no deep net), and the
     * layer dimension of results: L_max over the cells that propagate
     * signals (0: no cell does; no layer dimension) */
    size_t max_student_depth, max_student_width;
    size_t max_teacher_depth, max_teacher_width;
    size_t max_layers;
    size_t max_deep_batch;      /* examples per step of a deep student's
                                 * training (sgd: batch, gd: P; 0: none) */
    size_t max_propagate_columns; /* propagate: 2 + curve_points + probes */
    size_t *dim_axis;      /* n_axes: the first axis of each dimension in
                            * spec->axes (its coordinate names it) */
    size_t *dim_members;   /* n_axes: axes of each dimension (1, or the
                            * size of its zip group; they follow the
                            * first in spec->axes) */
    size_t max_replica_count; /* replicated training: the most coupled
                               * replicas y of a cell (0: none) */
    size_t max_ladder;        /* parallel tempering: the temperature
                               * axis's length (0: no tempering cell) */
} pdx_grid;

/* Build the grid of a validated spec. Fails with PDX_ERR_TOO_BIG (naming
 * the spec file) when the number of tasks overflows 2^53. Returns PDX_OK,
 * PDX_ERR_TOO_BIG, PDX_ERR_NOMEM. */
pdx_status pdx_grid_create(pdx_grid **out, const pdx_spec *spec,
                           pdx_error *err);
void pdx_grid_destroy(pdx_grid **grid);

/* Axis indices of `cell` (n_axes entries). Thread-safe. */
void pdx_grid_cell_index(const pdx_grid *grid, uint64_t cell, size_t *index);

/* Complete, resolved parameters of `cell`. Thread-safe. */
void pdx_grid_cell_params(const pdx_grid *grid, uint64_t cell,
                          pdx_params *params);

/* 64-bit identity of a cell computed from its parameter values (not its
 * index), so that extending an axis changes no existing cell's key; keys
 * after record.separable enter by a hash of their name, not their place
 * in the key table (src/grid.c, key_salt). */
uint64_t pdx_grid_cell_key(const pdx_params *params);

/* Estimated work of one task of these parameters, in floating-point
 * operations (for scheduling longest-first and for `pdx plan`). */
double pdx_grid_task_cost(const pdx_params *params);

/* Number of steps to reach time t: online alpha = steps/N; finite sets
 * time x pdx_params_steps_per_time (the Hebb rule stops after one pass). */
int64_t pdx_grid_steps_at(const pdx_params *params, double time);

/* Steps of the whole task (train.alpha or train.epochs). */
int64_t pdx_grid_total_steps(const pdx_params *params);

/* "train.learning_rate=0.5, student.hidden=4, replica=2" for messages. */
void pdx_grid_describe_task(const pdx_grid *grid, uint64_t task, char *buf,
                            size_t size);

/* The tasks of shard `index` of `count` (ascending, *tasks a new array of
 * *n entries, free() it; NULL when *n is 0). Tasks are dealt in order of
 * decreasing cost (ties: ascending task index), each to the shard with the
 * least cost so far (ties: the lowest shard index): shards interleave over
 * the grid and their costs differ by at most one task's cost, whatever the
 * grid's shape. The deal depends only on the grid and `count`, so every
 * process of a job computes the same partition. Returns PDX_OK,
 * PDX_ERR_USAGE (count 0 or index >= count), PDX_ERR_NOMEM.
 * Thread-safe. */
pdx_status pdx_grid_shard_tasks(const pdx_grid *grid, uint64_t index,
                                uint64_t count, uint64_t **tasks, uint64_t *n,
                                pdx_error *err);

/* The whole deal at once: (*shard_of)[task] = the shard of each task of
 * the grid among `count` (a new array of n_tasks entries, free()); the
 * same partition as pdx_grid_shard_tasks gives shard by shard, for callers
 * that read many shards (merge, info). Returns PDX_OK, PDX_ERR_USAGE
 * (count 0 or above 2^32 - 1), PDX_ERR_NOMEM. Thread-safe. */
pdx_status pdx_grid_shard_deal(const pdx_grid *grid, uint64_t count,
                               uint32_t **shard_of, pdx_error *err);

/* Whether the grid `from` lies inside the grid `to` (an extended spec):
 * the same axis keys in the same order, every value of every axis of
 * `from` also a value of the same axis of `to`, at most as many replicas,
 * and every other key equal (the name may differ). On success *map is a
 * new array (free()) holding, for each axis a of `from` in turn, the index
 * in `to` of each of its values: the entries of axis a start at the sum of
 * the sizes of the axes before it. Returns PDX_OK, PDX_ERR_MISMATCH (the
 * message names the key and the value), PDX_ERR_NOMEM. Thread-safe. */
pdx_status pdx_grid_embed(const pdx_grid *from, const pdx_grid *to,
                          size_t **map, pdx_error *err);

/* Set the extra dimension sizes of a result layout for this grid: time
 * (record.times), student and teacher units (largest K and M), layers
 * (max_layers). */
void pdx_grid_layout_dims(const pdx_grid *grid, pdx_layout *layout);

#endif
