/* grid.c — Cartesian product of a spec's axes; task <-> cell <-> params. */
#include "pdx/grid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/rng.h"

/* Largest number of tasks: flat indices stay exact in a double. */
#define PDX_GRID_MAX_TASKS 9007199254740992.0

static double axis_max(const pdx_spec *spec, pdx_key_id id, double base)
{
    for (size_t a = 0; a < spec->n_axes; a++)
        if (spec->axes[a].key == id) {
            double m = spec->axes[a].values[0];
            for (size_t i = 1; i < spec->axes[a].n; i++)
                m = fmax(m, spec->axes[a].values[i]);
            return m;
        }
    return base;
}

/* 1 if key `id` takes only the value `value` over the grid. */
static int axis_all(const pdx_spec *spec, pdx_key_id id, double base,
                    double value)
{
    for (size_t a = 0; a < spec->n_axes; a++)
        if (spec->axes[a].key == id) {
            for (size_t i = 0; i < spec->axes[a].n; i++)
                if (spec->axes[a].values[i] != value)
                    return 0;
            return 1;
        }
    return base == value;
}

/* 1 if key `id` takes the value `value` in some cell of the grid. */
static int axis_any(const pdx_spec *spec, pdx_key_id id, double base,
                    double value)
{
    for (size_t a = 0; a < spec->n_axes; a++)
        if (spec->axes[a].key == id) {
            for (size_t i = 0; i < spec->axes[a].n; i++)
                if (spec->axes[a].values[i] == value)
                    return 1;
            return 0;
        }
    return base == value;
}

/* 1 if some cell trains on a fixed training set (neither online nor
 * propagate). */
static int any_training_set(const pdx_spec *spec)
{
    int alg = spec->base.train_algorithm;
    for (size_t a = 0; a < spec->n_axes; a++)
        if (spec->axes[a].key == PDX_K_TRAIN_ALGORITHM) {
            for (size_t i = 0; i < spec->axes[a].n; i++) {
                int v = (int)spec->axes[a].values[i];
                if (v != PDX_ALG_ONLINE && v != PDX_ALG_PROPAGATE)
                    return 1;
            }
            return 0;
        }
    return alg != PDX_ALG_ONLINE && alg != PDX_ALG_PROPAGATE;
}

/* Largest depth and width of the deep nets of one side (kind key, depth
 * and width keys), 0 if no cell has one. */
static void deep_max(const pdx_spec *spec, pdx_key_id kind, pdx_key_id depth,
                     pdx_key_id width, size_t *max_depth, size_t *max_width)
{
    *max_depth = *max_width = 0;
    if (!axis_any(spec, kind, pdx_params_get(&spec->base, kind),
                  PDX_MODEL_DEEP))
        return;
    *max_depth = (size_t)axis_max(spec, depth,
                                  pdx_params_get(&spec->base, depth));
    *max_width = (size_t)axis_max(spec, width,
                                  pdx_params_get(&spec->base, width));
}

/* What coupled simulations hold per task: the most replicas of
 * replicated training and the longest ladder of parallel tempering (0:
 * no such cell). */
static void grid_coupled_workspace(pdx_grid *grid)
{
    const pdx_spec *spec = grid->spec;
    int alg = spec->base.train_algorithm;
    grid->max_replica_count =
        axis_any(spec, PDX_K_TRAIN_ALGORITHM, alg, PDX_ALG_REPLICATED_MC) ||
                axis_any(spec, PDX_K_TRAIN_ALGORITHM, alg,
                         PDX_ALG_REPLICATED_SGD)
            ? (size_t)axis_max(spec, PDX_K_TRAIN_REPLICA_COUNT,
                               (double)spec->base.train_replica_count)
            : 0;
    grid->max_ladder = 0;
    if (axis_any(spec, PDX_K_TRAIN_PARALLEL_TEMPERING,
                 spec->base.train_parallel_tempering, 1))
        for (size_t i = 0; i < spec->n_axes; i++)
            if (spec->axes[i].key == PDX_K_TRAIN_TEMPERATURE)
                grid->max_ladder = spec->axes[i].n;
}

/* What deep students need per step: a batch of examples (sgd: at most
 * train.batch, gd: the whole set) and propagate's columns. */
static void grid_deep_workspace(pdx_grid *grid)
{
    const pdx_spec *spec = grid->spec;
    grid->max_deep_batch = 0;
    grid->max_propagate_columns = 0;
    if (grid->max_student_depth == 0)
        return;
    if (grid->max_train_size > 0) {
        size_t P = (size_t)grid->max_train_size;
        size_t B = (size_t)axis_max(spec, PDX_K_TRAIN_BATCH,
                                    (double)spec->base.train_batch);
        int gd = axis_any(spec, PDX_K_TRAIN_ALGORITHM,
                          spec->base.train_algorithm, PDX_ALG_GD);
        grid->max_deep_batch = gd || B > P ? P : B;
    }
    if (grid->max_layers > 0)
        grid->max_propagate_columns =
            2 +
            (size_t)axis_max(spec, PDX_K_PROPAGATE_CURVE_POINTS,
                             (double)spec->base.propagate_curve_points) +
            (size_t)axis_max(spec, PDX_K_PROPAGATE_PROBES,
                             (double)spec->base.propagate_probes);
}

pdx_status pdx_grid_create(pdx_grid **out, const pdx_spec *spec,
                           pdx_error *err)
{
    *out = NULL;
    pdx_grid *grid = calloc(1, sizeof *grid);
    if (grid == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, spec->path, 0, 0, NULL,
                             "out of memory building the grid");
    grid->spec = spec;
    size_t slots = spec->n_axes ? spec->n_axes : 1;
    grid->shape = calloc(slots, sizeof *grid->shape);
    grid->dim_axis = calloc(slots, sizeof *grid->dim_axis);
    grid->dim_members = calloc(slots, sizeof *grid->dim_members);
    if (grid->shape == NULL || grid->dim_axis == NULL ||
        grid->dim_members == NULL) {
        pdx_grid_destroy(&grid);
        return pdx_error_set(err, PDX_ERR_NOMEM, spec->path, 0, 0, NULL,
                             "out of memory building the grid");
    }
    double cells = 1.0;
    for (size_t a = 0; a < spec->n_axes;) {
        size_t end = a + 1;
        while (end < spec->n_axes && spec->axes[a].zip != 0 &&
               spec->axes[end].zip == spec->axes[a].zip)
            end++;
        grid->shape[grid->n_axes] = spec->axes[a].n;
        grid->dim_axis[grid->n_axes] = a;
        grid->dim_members[grid->n_axes] = end - a;
        grid->n_axes++;
        cells *= (double)spec->axes[a].n;
        a = end;
    }
    double tasks = cells * (double)spec->base.replicas;
    if (tasks > PDX_GRID_MAX_TASKS) {
        pdx_grid_destroy(&grid);
        return pdx_error_set(err, PDX_ERR_TOO_BIG, spec->path, 0, 0,
                             "replicas",
                             "the grid has %.3g tasks (cells x replicas); at "
                             "most 2^53 are supported",
                             tasks);
    }
    grid->n_cells = (uint64_t)cells;
    grid->replicas = (uint64_t)spec->base.replicas;
    grid->n_tasks = grid->n_cells * grid->replicas;
    grid->max_student_hidden = (size_t)axis_max(
        spec, PDX_K_STUDENT_HIDDEN, (double)spec->base.student_hidden);
    grid->max_teacher_hidden = (size_t)axis_max(
        spec, PDX_K_TEACHER_HIDDEN, (double)spec->base.teacher_hidden);
    /* perceptrons have one unit whatever student.hidden says */
    if (axis_all(spec, PDX_K_STUDENT_KIND, spec->base.student_kind,
                 PDX_MODEL_PERCEPTRON))
        grid->max_student_hidden = 1;
    if (axis_all(spec, PDX_K_TEACHER_KIND, spec->base.teacher_kind,
                 PDX_MODEL_PERCEPTRON))
        grid->max_teacher_hidden = 1;
    grid->max_N = (int64_t)axis_max(spec, PDX_K_N, (double)spec->base.N);
    /* finite training sets: the largest P any cell may have */
    grid->max_train_size = 0;
    if (any_training_set(spec)) {
        double p = floor(axis_max(spec, PDX_K_DATA_ALPHA,
                                  spec->base.data_alpha) *
                             (double)grid->max_N +
                         0.5);
        grid->max_train_size = p < 1.0 ? 1 : (int64_t)p;
    }
    /* the test set is needed by any cell without a closed form or that
     * asks for it; be conservative: any such cell may have the largest
     * test size */
    int64_t max_test = 0;
    for (uint64_t cell = 0; cell < grid->n_cells; cell++) {
        pdx_params p;
        pdx_grid_cell_params(grid, cell, &p);
        int closed = p.teacher_kind == PDX_MODEL_PERCEPTRON
                         ? p.student_kind == PDX_MODEL_PERCEPTRON
                         : (p.student_activation == PDX_ACT_ERF &&
                            p.teacher_activation == PDX_ACT_ERF) ||
                               (p.student_activation == PDX_ACT_LINEAR &&
                                p.teacher_activation == PDX_ACT_LINEAR);
        if (p.student_kind == PDX_MODEL_DEEP ||
            p.teacher_kind == PDX_MODEL_DEEP)
            closed = 0;
        int needs_test = p.train_algorithm != PDX_ALG_PROPAGATE &&
                         (p.record_eg == PDX_EG_TEST_SET ||
                          p.record_budget_count > 0 ||
                          (p.record_eg == PDX_EG_AUTO && !closed));
        if (needs_test && p.record_test_size > max_test)
            max_test = p.record_test_size;
        if (cell > 4096 && max_test > 0)
            break; /* cheap bound for huge grids */
    }
    if (max_test > 0)
        max_test = (int64_t)fmax(
            (double)max_test,
            axis_max(spec, PDX_K_RECORD_TEST_SIZE,
                     (double)spec->base.record_test_size));
    grid->max_test_size = max_test;
    deep_max(spec, PDX_K_STUDENT_KIND, PDX_K_STUDENT_DEPTH,
             PDX_K_STUDENT_WIDTH, &grid->max_student_depth,
             &grid->max_student_width);
    deep_max(spec, PDX_K_TEACHER_KIND, PDX_K_TEACHER_DEPTH,
             PDX_K_TEACHER_WIDTH, &grid->max_teacher_depth,
             &grid->max_teacher_width);
    grid->max_layers =
        axis_any(spec, PDX_K_TRAIN_ALGORITHM, spec->base.train_algorithm,
                 PDX_ALG_PROPAGATE)
            ? grid->max_student_depth
            : 0;
    grid_deep_workspace(grid);
    grid_coupled_workspace(grid);
    *out = grid;
    return PDX_OK;
}

void pdx_grid_destroy(pdx_grid **grid)
{
    if (grid == NULL || *grid == NULL)
        return;
    free((*grid)->shape);
    free((*grid)->dim_axis);
    free((*grid)->dim_members);
    free(*grid);
    *grid = NULL;
}

void pdx_grid_cell_index(const pdx_grid *grid, uint64_t cell, size_t *index)
{
    for (size_t a = grid->n_axes; a-- > 0;) {
        index[a] = (size_t)(cell % grid->shape[a]);
        cell /= grid->shape[a];
    }
}

void pdx_grid_cell_params(const pdx_grid *grid, uint64_t cell,
                          pdx_params *params)
{
    const pdx_spec *spec = grid->spec;
    *params = spec->base;
    pdx_spec_set_cell(spec, cell, params);
    pdx_params_resolve(params, spec);
}

/* What a key contributes to the cell key besides its value: its id for
 * the keys up to record.separable (the order of the key table then; the
 * keys of every file written before stay what they were), else a hash
 * (FNV-1a) of its name, so that a key's cells do not depend on where it
 * sits in the table: keys added on parallel branches keep, once merged,
 * the streams they had on their branch. */
static uint64_t key_salt(const pdx_key *key, size_t id)
{
    if (id <= PDX_K_RECORD_SEPARABLE)
        return id;
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *c = key->name; *c != '\0'; c++)
        h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
    return h;
}

uint64_t pdx_grid_cell_key(const pdx_params *params)
{
    size_t count;
    const pdx_key *keys = pdx_spec_keys(&count);
    uint64_t h = 0x6A09E667F3BCC908ull;
    for (size_t id = 0; id < count; id++) {
        if (keys[id].type == PDX_KEY_STRING || keys[id].type == PDX_KEY_TIMES ||
            id == PDX_K_SEED || id == PDX_K_REPLICAS ||
            id == PDX_K_RECORD_OVERLAPS || /* what is written, not computed */
            id == PDX_K_RECORD_SEPARABLE ||  /* computed beside, no change */
            id == PDX_K_TRAIN_NOISE_SCALE || /* in learning_rate already */
            id == PDX_K_RECORD_EVIDENCE || id == PDX_K_RECORD_PRIOR_PRECISION ||
            id == PDX_K_RECORD_BAYES ||  /* a second chain beside the first */
            id == PDX_K_RECORD_PERTURBATION_DRAWS || /* measured, no change */
            (id >= PDX_K_RECORD_NOISE_EIGEN &&   /* issue 17: measured beside */
             id <= PDX_K_RECORD_CURRENT_BURN_IN))
            continue;
        /* issue 14 item 4: in the key only when turned on, so that the
         * cells of specs without them keep their streams */
        if ((id == PDX_K_TRAIN_ENTRY || id == PDX_K_TRAIN_PARALLEL_TEMPERING) &&
            pdx_params_get(params, (pdx_key_id)id) == 0.0)
            continue;
        /* keys of deep networks only where they apply, so that the cells
         * of specs without them keep the keys they had (issue 15) */
        if (id >= PDX_K_STUDENT_DEPTH &&
            !pdx_params_uses_key(params, (pdx_key_id)id))
            continue;
        /* how the robust error is measured never changes training */
        if (id >= PDX_K_RECORD_BUDGETS && id <= PDX_K_RECORD_ATTACK_RESTARTS &&
            !(id == PDX_K_RECORD_NORM && params->train_adversarial_budget > 0))
            continue;
        /* replicated training's keys only where they apply (issue 16) */
        if (id >= PDX_K_TRAIN_REPLICA_COUNT &&
            !pdx_params_uses_key(params, (pdx_key_id)id))
            continue;
        double v = pdx_params_get(params, (pdx_key_id)id);
        uint64_t bits;
        if (v == 0.0)
            v = 0.0; /* -0 and +0 are the same cell */
        memcpy(&bits, &v, sizeof bits);
        h = pdx_rng_mix64(h ^ pdx_rng_mix64(bits + key_salt(&keys[id], id)));
    }
    return h;
}

int64_t pdx_grid_steps_at(const pdx_params *params, double time)
{
    double steps = floor(time * (double)pdx_params_steps_per_time(params) +
                         0.5);
    if (params->train_algorithm == PDX_ALG_HEBB) {
        double P = (double)pdx_params_train_size(params);
        steps = steps > P ? P : steps; /* one pass */
    }
    return steps < 0 ? 0 : (int64_t)steps;
}

int64_t pdx_grid_total_steps(const pdx_params *params)
{
    return pdx_grid_steps_at(params, pdx_params_finite(params)
                                         ? params->train_epochs
                                         : params->train_alpha);
}

/* Multiply-adds of one input through a deep net of one side. */
static double deep_net_work(const pdx_params *p, int student)
{
    double N = (double)p->N;
    double n = (double)(student ? p->student_width : p->teacher_width);
    double L = (double)(student ? p->student_depth : p->teacher_depth);
    return N * n + (L - 1.0) * n * n + 15.0 * L * n; /* + activations */
}

/* Work of a deep task: propagate (each layer's Gaussians and its
 * columns), or training by backpropagation (3 passes per example) plus
 * the test set at the checkpoints and the training set's labels. */
static double deep_task_cost(const pdx_params *p)
{
    double P = (double)pdx_params_train_size(p);
    double teacher = p->teacher_kind == PDX_MODEL_DEEP
                         ? deep_net_work(p, 0)
                         : 2.0 * (double)p->N *
                               (double)pdx_params_teacher_units(p);
    if (p->train_algorithm == PDX_ALG_PROPAGATE) {
        double N = (double)p->N, n = (double)p->student_width;
        double fan = N * n + ((double)p->student_depth - 1.0) * n * n;
        double cols = 2.0 + (double)(p->propagate_curve_points +
                                     p->propagate_probes);
        return fan * (20.0 + 2.0 * cols);
    }
    double net = 2.0 * deep_net_work(p, 1);
    double copies = p->train_algorithm == PDX_ALG_REPLICATED_SGD
                        ? (double)p->train_replica_count /* y replicas */
                        : 1.0;
    return p->train_epochs * P * 3.0 * net * copies +
           2.0 * (double)p->record_test_size * (net + 2.0 * teacher) +
           P * ((double)p->N * 20.0 + 2.0 * teacher);
}

/* Work of a finite-set task: examples seen times the work per example. */
static double finite_task_cost(const pdx_params *params)
{
    if (params->student_kind == PDX_MODEL_DEEP ||
        params->teacher_kind == PDX_MODEL_DEEP)
        return deep_task_cost(params);
    double N = (double)params->N;
    double K = (double)pdx_params_student_units(params);
    double M = (double)pdx_params_teacher_units(params);
    double P = (double)pdx_params_train_size(params);
    double epochs = params->train_epochs;
    double work;
    switch (params->train_algorithm) {
    case PDX_ALG_HEBB: work = 2.0 * P * N; break;
    case PDX_ALG_PERCEPTRON: work = epochs * P * 2.0 * N; break;
    case PDX_ALG_METROPOLIS:
        work = epochs * N * P *
               (params->student_weights == PDX_WEIGHTS_SPHERICAL ? 8.0 : 4.0);
        if (params->train_parallel_tempering && params->train_ladder_size > 0)
            work *= (double)params->train_ladder_size; /* the whole ladder */
        if (params->train_entry == PDX_ENTRY_PERCEPTRON)
            work += 100.0 * N * P; /* a typical entry (at most 10^4 epochs) */
        break;
    case PDX_ALG_LANGEVIN:
        work = epochs * (P * 6.0 * N * K + 30.0 * N * K);
        break;
    case PDX_ALG_REPLICATED_MC: /* y replicas' moves, O(P) each */
        work = epochs * (double)params->train_replica_count * N * K * P *
               4.0;
        break;
    case PDX_ALG_REPLICATED_SGD:
        work = epochs * (double)params->train_replica_count * P *
               (6.0 * N * K + 40.0 * K);
        break;
    case PDX_ALG_ENTROPY_SGD: /* sgd's gradients plus the inner and
                               * outer updates of every weight */
        work = epochs * (P * (6.0 * N * K + 40.0 * K) +
                         (double)pdx_params_steps_per_time(params) *
                             (8.0 + (params->train_esgd_noise > 0 ? 20.0
                                                                  : 0.0)) *
                             N * K);
        break;
    case PDX_ALG_SGD:
    case PDX_ALG_GD:
    default: work = epochs * P * (6.0 * N * K + 40.0 * K); break;
    }
    if (params->train_adversarial_budget > 0.0) /* an attack per example */
        work *= 1.0 + (params->train_adversarial_attack == PDX_ATTACK_FGSM
                           ? 2.0
                           : 2.0 * (double)params->train_adversarial_steps);
    /* record.bayes: a second chain, its training set and samples */
    if (params->record_bayes && params->student_kind == PDX_MODEL_PERCEPTRON &&
        (params->train_algorithm == PDX_ALG_METROPOLIS ||
         params->train_algorithm == PDX_ALG_LANGEVIN))
        work = 2.0 * work + P * N * (20.0 + 2.0 * M) + 4.0 * epochs * N;
    /* both train.start values: the other start's chain (issue 14) */
    if (params->train_start_pair && params->student_kind == PDX_MODEL_PERCEPTRON &&
        (params->train_algorithm == PDX_ALG_METROPOLIS ||
         params->train_algorithm == PDX_ALG_LANGEVIN))
        work *= 2.0;
    /* the training set (and a test set, at most once per checkpoint) */
    work += P * N * (20.0 + 2.0 * M);
    /* the separability LP (GLPK's dual simplex, dense rows): measured
     * 0.5 s at N = 200, P = 400 on a 2020s core, ~N^2 P */
    if (params->record_separable && params->train_algorithm != PDX_ALG_PROPAGATE)
        work += 200.0 * N * N * P;
    /* the Laplace evidence: about 15 Newton steps, each a Hessian (P N^2)
     * and its Cholesky factor (N^3/3) (src/evidence.c) */
    if (params->record_evidence != PDX_EVIDENCE_NONE)
        work += 15.0 * (P * N * N + N * N * N / 3.0 + 4.0 * P * N);
    return work;
}

/* Work of an online task. */
static double online_task_cost(const pdx_params *params)
{
    double N = (double)params->N;
    double K = (double)params->student_hidden;
    double M = (double)params->teacher_hidden;
    double steps = (double)pdx_grid_steps_at(params, params->train_alpha);
    /* per step: N Gaussians (~20 flop each), K+M dot products, K updates */
    double per_step = N * (20.0 + 2.0 * (K + M) + 2.0 * K);
    return steps * per_step;
}

/* Work of the robust error at the checkpoints (issue 18): per test input
 * one distance (exact), or budgets x starts x steps of a forward and a
 * gradient pass and the teacher's check (fgsm, pgd). */
static double robust_cost(const pdx_params *p)
{
    if (p->record_budget_count == 0)
        return 0.0;
    double N = (double)p->N, K = (double)pdx_params_student_units(p);
    double M = (double)pdx_params_teacher_units(p);
    int attack = p->record_attack;
    if (attack == PDX_ATTACK_AUTO)
        attack = p->student_kind == PDX_MODEL_PERCEPTRON ? PDX_ATTACK_EXACT
                                                         : PDX_ATTACK_PGD;
    /* one step: the student's gradient and output, the teacher's check
     * (deep students: a forward and a backward pass to the input) */
    double step = p->student_kind == PDX_MODEL_DEEP
                      ? 6.0 * deep_net_work(p, 1) + 2.0 * N * M
                      : N * (8.0 * K + 2.0 * M);
    double per_input;
    if (attack == PDX_ATTACK_EXACT)
        per_input = N * (p->record_norm == PDX_NORM_LINF ? 40.0 : 6.0);
    else if (attack == PDX_ATTACK_FGSM)
        per_input = (double)p->record_budget_count * step;
    else
        per_input = (double)p->record_budget_count *
                    (double)p->record_attack_restarts *
                    (double)p->record_attack_steps * step;
    return (double)p->record_checkpoints * (double)p->record_test_size *
           per_input;
}

/* Work of the local energy at the checkpoints (issue 16): per size and
 * draw, the perturbation (a Gaussian or uniform per weight) and a pass
 * over the training set. */
static double flatness_cost(const pdx_params *p)
{
    if (p->record_perturbation_count == 0 || !pdx_params_finite(p))
        return 0.0;
    double N = (double)p->N, K = (double)pdx_params_student_units(p);
    double P = (double)pdx_params_train_size(p);
    return (double)p->record_checkpoints *
           (double)p->record_perturbation_count *
           (double)p->record_perturbation_draws *
           (N * K * 22.0 + P * (2.0 * N * K + 20.0 * K));
}

/* Work of one spectrum of issue 17's D: the gradients, their centring,
 * the smaller Gram matrix and its eigendecomposition (exact), or 11
 * products with D on k + 16 vectors (beyond PDX_NOISE_EXACT_MAX). */
static double noise_spectrum_cost(const pdx_params *p, double k)
{
    double P = (double)pdx_params_train_size(p), N = (double)p->N;
    double d = (double)pdx_params_student_units(p) * (N + 1.0);
    double m = P < d ? P : d;
    double work = P * d * 6.0;
    if (m <= PDX_NOISE_EXACT_MAX)
        work += m * P * d + 12.0 * m * m * m;
    else
        work += 11.0 * (k + 16.0) * 2.0 * P * d;
    return work;
}

/* Work of the gradient-noise geometry at the checkpoints and of the
 * current's steps (issue 17; 0 when not asked for). */
static double noise_cost(const pdx_params *p)
{
    if (p->record_noise_eigen <= 0 || !pdx_params_noise_applies(p))
        return 0.0;
    double k = (double)p->record_noise_eigen;
    double work = (double)p->record_checkpoints * noise_spectrum_cost(p, k);
    if (p->record_current) {
        double d = (double)pdx_params_student_units(p) * ((double)p->N + 1.0);
        int64_t from = pdx_grid_steps_at(p, p->record_current_burn_in);
        double steps = (double)(pdx_grid_total_steps(p) - from);
        /* per step: the projection, and the trainer driven one step at
         * a time (about 250 units a call, measured on sgd with B = 1) */
        work += noise_spectrum_cost(p, k) +
                steps * (d * (2.0 * k + 2.0) + 250.0);
    }
    return work;
}

double pdx_grid_task_cost(const pdx_params *params)
{
    if (params->record_perturbation_count > 0) {
        pdx_params plain = *params;
        plain.record_perturbation_count = 0;
        return pdx_grid_task_cost(&plain) + flatness_cost(params);
    }
    if (params->record_noise_eigen > 0) /* issue 17, beside the rest */
        return (pdx_params_finite(params) ? finite_task_cost(params)
                                          : online_task_cost(params)) +
               robust_cost(params) + noise_cost(params);
    if (params->record_budget_count > 0)
        return (pdx_params_finite(params) ? finite_task_cost(params)
                                          : online_task_cost(params)) +
               robust_cost(params);
    if (pdx_params_finite(params))
        return finite_task_cost(params);
    return online_task_cost(params);
}

void pdx_grid_describe_task(const pdx_grid *grid, uint64_t task, char *buf,
                            size_t size)
{
    const pdx_spec *spec = grid->spec;
    uint64_t cell = task / grid->replicas;
    uint64_t replica = task % grid->replicas;
    size_t used = 0;
    buf[0] = '\0';
    size_t index[64];
    size_t n = grid->n_axes < 64 ? grid->n_axes : 64;
    pdx_grid_cell_index(grid, cell, index);
    for (size_t a = 0; a < spec->n_axes && used < size; a++) {
        size_t d = 0;
        while (d + 1 < n && grid->dim_axis[d + 1] <= a)
            d++;
        const pdx_axis *axis = &spec->axes[a];
        const pdx_key *key = &pdx_spec_keys(NULL)[axis->key];
        double v = axis->values[index[d]];
        int w;
        if (key->type == PDX_KEY_CHOICE)
            w = snprintf(buf + used, size - used, "%s=%s, ", key->name,
                         pdx_spec_choice_name(axis->key, (int)v));
        else
            w = snprintf(buf + used, size - used, "%s=%.6g, ", key->name, v);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used < size)
        snprintf(buf + used, size - used, "replica=%llu",
                 (unsigned long long)replica);
}

/* ------------------------------------------------------------------------ */
/* Shards                                                                    */

typedef struct cell_cost {
    uint64_t cell;
    double cost;
} cell_cost;

static int by_cell_cost_desc(const void *a, const void *b)
{
    const cell_cost *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? 1 : -1;
    return x->cell < y->cell ? -1 : x->cell > y->cell;
}

/* A shard's load in the deal: cost so far, then tasks so far (so that
 * tasks of no cost are dealt round-robin too), then the shard index. */
typedef struct shard_load {
    double cost;
    uint64_t tasks;
    uint64_t shard;
} shard_load;

static int load_less(const shard_load *x, const shard_load *y)
{
    if (x->cost != y->cost)
        return x->cost < y->cost;
    if (x->tasks != y->tasks)
        return x->tasks < y->tasks;
    return x->shard < y->shard;
}

/* Restore the heap order after the root grew. */
static void load_sift_down(shard_load *heap, uint64_t n)
{
    uint64_t i = 0;
    for (;;) {
        uint64_t l = 2 * i + 1, r = l + 1, least = i;
        if (l < n && load_less(&heap[l], &heap[least]))
            least = l;
        if (r < n && load_less(&heap[r], &heap[least]))
            least = r;
        if (least == i)
            return;
        shard_load t = heap[i];
        heap[i] = heap[least];
        heap[least] = t;
        i = least;
    }
}

pdx_status pdx_grid_shard_deal(const pdx_grid *grid, uint64_t count,
                               uint32_t **shard_of, pdx_error *err)
{
    *shard_of = NULL;
    if (count == 0 || count > UINT32_MAX)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "shard",
                             "%llu shards: the count must be 1 .. %lu",
                             (unsigned long long)count,
                             (unsigned long)UINT32_MAX);
    uint32_t *out = malloc((size_t)(grid->n_tasks ? grid->n_tasks : 1) *
                           sizeof *out);
    /* Shards beyond the number of tasks never receive one: the deal gives
     * the first n_tasks shards one task each before any gets a second. */
    uint64_t live = count < grid->n_tasks ? count : grid->n_tasks;
    shard_load *heap = malloc((size_t)(live > 0 ? live : 1) * sizeof *heap);
    cell_cost *cells = malloc((size_t)(grid->n_cells ? grid->n_cells : 1) *
                              sizeof *cells);
    if (out == NULL || heap == NULL || cells == NULL) {
        free(out);
        free(heap);
        free(cells);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, "shard",
                             "out of memory dealing %llu tasks to %llu "
                             "shards",
                             (unsigned long long)grid->n_tasks,
                             (unsigned long long)count);
    }
    for (uint64_t c = 0; c < grid->n_cells; c++) {
        pdx_params p;
        pdx_grid_cell_params(grid, c, &p);
        cells[c].cell = c;
        cells[c].cost = pdx_grid_task_cost(&p);
    }
    qsort(cells, (size_t)grid->n_cells, sizeof *cells, by_cell_cost_desc);
    for (uint64_t s = 0; s < live; s++)
        heap[s] = (shard_load){0.0, 0, s}; /* ascending: a valid heap */
    for (uint64_t c = 0; c < grid->n_cells && live > 0; c++)
        for (uint64_t r = 0; r < grid->replicas; r++) {
            out[cells[c].cell * grid->replicas + r] = (uint32_t)heap[0].shard;
            heap[0].cost += cells[c].cost;
            heap[0].tasks++;
            load_sift_down(heap, live);
        }
    free(heap);
    free(cells);
    *shard_of = out;
    return PDX_OK;
}

pdx_status pdx_grid_shard_tasks(const pdx_grid *grid, uint64_t index,
                                uint64_t count, uint64_t **tasks, uint64_t *n,
                                pdx_error *err)
{
    *tasks = NULL;
    *n = 0;
    if (count == 0 || index >= count)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "shard",
                             "shard %llu of %llu does not exist (shards are "
                             "numbered 0 .. count-1)",
                             (unsigned long long)index,
                             (unsigned long long)count);
    uint32_t *shard_of = NULL;
    pdx_status st = pdx_grid_shard_deal(grid, count, &shard_of, err);
    if (st != PDX_OK)
        return st;
    uint64_t used = 0;
    for (uint64_t t = 0; t < grid->n_tasks; t++)
        used += shard_of[t] == index;
    uint64_t *out = used > 0 ? malloc((size_t)used * sizeof *out) : NULL;
    if (used > 0 && out == NULL) {
        free(shard_of);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, "shard",
                             "out of memory");
    }
    used = 0;
    for (uint64_t t = 0; t < grid->n_tasks; t++)
        if (shard_of[t] == index)
            out[used++] = t; /* ascending */
    free(shard_of);
    *tasks = out;
    *n = used;
    return PDX_OK;
}

/* ------------------------------------------------------------------------ */
/* Extending a grid                                                          */

static int same_number(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static void format_value(pdx_key_id id, double v, char *buf, size_t size)
{
    const pdx_key *key = &pdx_spec_keys(NULL)[id];
    const char *choice = key->type == PDX_KEY_CHOICE
                             ? pdx_spec_choice_name(id, (int)v)
                             : NULL;
    if (choice != NULL)
        snprintf(buf, size, "%s", choice);
    else if (isnan(v) && (key->flags & PDX_KEYF_DERIVED))
        snprintf(buf, size, "%s", key->default_text);
    else /* the shortest text that reads back as v */
        for (int digits = 6; digits <= 17; digits++) {
            snprintf(buf, size, "%.*g", digits, v);
            if (strtod(buf, NULL) == v)
                break;
        }
}

/* The map of pdx_grid_embed: for each dimension of `from`, the index in
 * `to` of each of its values (a zip group's members must match too). */
static pdx_status embed_map(const pdx_grid *from, const pdx_grid *to,
                            size_t **map, pdx_error *err)
{
    const pdx_spec *a = from->spec, *b = to->spec;
    const pdx_key *keys = pdx_spec_keys(NULL);
    size_t total = 0;
    for (size_t d = 0; d < from->n_axes; d++)
        total += from->shape[d];
    size_t *m = malloc((total ? total : 1) * sizeof *m);
    if (m == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    size_t at = 0;
    for (size_t d = 0; d < from->n_axes; d++) {
        const pdx_axis *x = &a->axes[from->dim_axis[d]];
        const pdx_axis *y = &b->axes[to->dim_axis[d]];
        for (size_t j = 0; j < x->n; j++, at++) {
            size_t found = y->n;
            for (size_t l = 0; l < y->n && found == y->n; l++)
                if (x->values[j] == y->values[l])
                    found = l;
            /* the other members of a zip group keep their values too */
            size_t member = 1;
            while (found < y->n && member < from->dim_members[d] &&
                   x[member].values[j] == y[member].values[found])
                member++;
            if (found < y->n && member < from->dim_members[d]) {
                char v[64], w[64];
                format_value(x[member].key, x[member].values[j], v, sizeof v);
                format_value(x->key, x->values[j], w, sizeof w);
                free(m);
                return pdx_error_set(
                    err, PDX_ERR_MISMATCH, b->path, y[member].line,
                    y[member].column, keys[x[member].key].name,
                    "value %s of the file's zip group at %s = %s is not "
                    "this spec's value there; an extension keeps the zipped "
                    "values",
                    v, keys[x->key].name, w);
            }
            if (found == y->n) {
                char v[64];
                format_value(x->key, x->values[j], v, sizeof v);
                free(m);
                return pdx_error_set(
                    err, PDX_ERR_MISMATCH, b->path, y->line, y->column,
                    keys[x->key].name,
                    "value %s of the file's axis is not a value of this "
                    "spec's axis; an extension keeps every value (exactly: "
                    "write them as a list if a lin/log range rounds them "
                    "differently)",
                    v);
            }
            m[at] = found;
        }
    }
    *map = m;
    return PDX_OK;
}

/* Parallel tempering (issue 14 item 4): a task's results depend on the
 * whole temperature ladder, so an extension keeps the ladder as it is. */
static pdx_status embed_ladder(const pdx_spec *a, const pdx_spec *b,
                               pdx_error *err)
{
    if (!a->base.train_parallel_tempering)
        return PDX_OK;
    for (size_t i = 0; i < a->n_axes && i < b->n_axes; i++) {
        if (a->axes[i].key != PDX_K_TRAIN_TEMPERATURE)
            continue;
        int same = a->axes[i].n == b->axes[i].n;
        for (size_t j = 0; same && j < a->axes[i].n; j++)
            same = a->axes[i].values[j] == b->axes[i].values[j];
        if (!same)
            return pdx_error_set(err, PDX_ERR_MISMATCH, b->path, 0, 0,
                                 "train.temperature",
                                 "with train.parallel_tempering every task "
                                 "simulates the whole temperature ladder: "
                                 "an extension cannot change it (run a new "
                                 "file)");
    }
    return PDX_OK;
}

/* The hot/cold check (issue 14 item 4): a Monte Carlo task whose grid
 * has both train.start values also runs the other start, so an extension
 * may not add or drop that pair. */
static pdx_status embed_start_pair(const pdx_spec *a, const pdx_spec *b,
                                   pdx_error *err)
{
    pdx_params pa = a->base, pb = b->base; /* the same in every cell */
    pdx_params_resolve(&pa, a);
    pdx_params_resolve(&pb, b);
    if (pa.train_start_pair == pb.train_start_pair)
        return PDX_OK;
    return pdx_error_set(err, PDX_ERR_MISMATCH, b->path, 0, 0, "train.start",
                         "with both train.start values in the grid every "
                         "Monte Carlo task checks the other start: an "
                         "extension cannot add or drop hot or cold (run a "
                         "new file)");
}

pdx_status pdx_grid_embed(const pdx_grid *from, const pdx_grid *to,
                          size_t **map, pdx_error *err)
{
    *map = NULL;
    const pdx_spec *a = from->spec, *b = to->spec;
    const pdx_key *keys = pdx_spec_keys(NULL);
    int n_axes_differ = a->n_axes != b->n_axes;
    for (size_t i = 0; i < a->n_axes && i < b->n_axes && !n_axes_differ; i++)
        n_axes_differ = a->axes[i].key != b->axes[i].key;
    if (n_axes_differ) {
        char have[512] = "", want[512] = "";
        for (size_t i = 0, u = 0; i < a->n_axes && u < sizeof have; i++)
            u += (size_t)snprintf(have + u, sizeof have - u, "%s%s",
                                  i ? ", " : "", keys[a->axes[i].key].name);
        for (size_t i = 0, u = 0; i < b->n_axes && u < sizeof want; i++)
            u += (size_t)snprintf(want + u, sizeof want - u, "%s%s",
                                  i ? ", " : "", keys[b->axes[i].key].name);
        return pdx_error_set(err, PDX_ERR_MISMATCH, b->path, 0, 0, NULL,
                             "the axes differ: (%s) in the file's spec, (%s) "
                             "in this spec; an extension may only add "
                             "values to the same axes, in the same order",
                             have, want);
    }
    int zips_differ = from->n_axes != to->n_axes;
    for (size_t d = 0; d < from->n_axes && !zips_differ; d++)
        zips_differ = from->dim_axis[d] != to->dim_axis[d] ||
                      from->dim_members[d] != to->dim_members[d];
    if (zips_differ)
        return pdx_error_set(err, PDX_ERR_MISMATCH, b->path, 0, 0, "zip",
                             "the zip groups differ between the file's spec "
                             "and this spec; an extension keeps them");
    if (from->replicas > to->replicas)
        return pdx_error_set(err, PDX_ERR_MISMATCH, b->path, 0, 0, "replicas",
                             "the file has %llu replicas, this spec %llu; an "
                             "extension may add replicas, not remove them",
                             (unsigned long long)from->replicas,
                             (unsigned long long)to->replicas);
    pdx_status ladder = embed_start_pair(a, b, err);
    if (ladder == PDX_OK)
        ladder = embed_ladder(a, b, err);
    if (ladder != PDX_OK)
        return ladder;
    size_t count;
    keys = pdx_spec_keys(&count);
    for (size_t id = 0; id < count; id++) {
        int is_axis = 0;
        for (size_t i = 0; i < a->n_axes; i++)
            is_axis |= (size_t)a->axes[i].key == id;
        if (is_axis || id == PDX_K_NAME || id == PDX_K_REPLICAS)
            continue;
        const pdx_key *k = &keys[id];
        int same = 1;
        char have[64] = "", want[64] = "";
        if (k->type == PDX_KEY_STRING) {
            const char *x = (const char *)&a->base + k->offset;
            const char *y = (const char *)&b->base + k->offset;
            same = strcmp(x, y) == 0;
            snprintf(have, sizeof have, "'%s'", x);
            snprintf(want, sizeof want, "'%s'", y);
        } else if (k->type == PDX_KEY_TIMES) {
            size_t na, nb;
            const double *ta = pdx_spec_list(a, (pdx_key_id)id, &na);
            const double *tb = pdx_spec_list(b, (pdx_key_id)id, &nb);
            same = na == nb;
            for (size_t t = 0; same && t < na; t++)
                same = ta[t] == tb[t];
            const char *what = id == PDX_K_RECORD_TIMES ? "times" : "values";
            snprintf(have, sizeof have, "%zu %s", na, what);
            snprintf(want, sizeof want, "%zu %s", nb, what);
            if (na == nb)
                snprintf(want, sizeof want, "other values");
        } else {
            double x = pdx_params_get(&a->base, (pdx_key_id)id);
            double y = pdx_params_get(&b->base, (pdx_key_id)id);
            same = same_number(x, y);
            format_value((pdx_key_id)id, x, have, sizeof have);
            format_value((pdx_key_id)id, y, want, sizeof want);
        }
        if (!same)
            return pdx_error_set(err, PDX_ERR_MISMATCH, b->path, 0, 0, k->name,
                                 "%s in the file's spec, %s in this spec; an "
                                 "extension may only add axis values (and "
                                 "replicas)",
                                 have, want);
    }
    return embed_map(from, to, map, err);
}

void pdx_grid_layout_dims(const pdx_grid *grid, pdx_layout *layout)
{
    layout->dim_size[PDX_DIM_TIME] = grid->spec->n_times;
    layout->dim_size[PDX_DIM_STUDENT_UNIT] = grid->max_student_hidden;
    layout->dim_size[PDX_DIM_STUDENT_UNIT2] = grid->max_student_hidden;
    layout->dim_size[PDX_DIM_TEACHER_UNIT] = grid->max_teacher_hidden;
    layout->dim_size[PDX_DIM_TEACHER_UNIT2] = grid->max_teacher_hidden;
    layout->dim_size[PDX_DIM_LAYER] = grid->max_layers;
    layout->dim_size[PDX_DIM_BUDGET] = grid->spec->n_budgets;
    layout->dim_size[PDX_DIM_PERTURBATION] = grid->spec->n_perturbations;
    layout->dim_size[PDX_DIM_EIGEN] =
        (size_t)grid->spec->base.record_noise_eigen;
    layout->dim_size[PDX_DIM_EIGEN2] =
        (size_t)grid->spec->base.record_noise_eigen;
}
