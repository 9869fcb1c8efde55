/* sweep_partner.c — the hot/cold check of Monte Carlo tasks (issue 14
 * item 4; docs/TRAINERS.md, "Equilibrated Monte Carlo").
 *
 * A chain trapped in a metastable state with a short autocorrelation time
 * (a binary student on the poor branch above alpha_c, a T = 0 walk on an
 * island of the version space) passes every test of its own series; only
 * the other start shows it. So when the grid has both train.start values,
 * each Monte Carlo task also runs its partner: the same cell with the
 * other start, set and stepped exactly as that cell's own task (its cell
 * key, chain 0, the same seed and replica, the same stops), so the
 * partner's samples are the partner task's own, and the hot and the cold
 * task compute the same pair and the same verdict. The price is twice the
 * work of those tasks (pdx plan counts it). */
#include "sweep_partner.h"

#include <math.h>
#include <stdlib.h>

struct pdx__partner {
    pdx_trainer *trainer;
    pdx_observer *observer;
    int active;   /* the current task has a partner */
    int diverged; /* ... and it diverged */
};

int pdx__partner_applies(const pdx_params *params)
{
    return params->train_start_pair &&
           params->student_kind == PDX_MODEL_PERCEPTRON &&
           pdx_trainer_samples_averages(params);
}

static int grid_has_partners(const pdx_grid *grid)
{
    for (uint64_t c = 0; grid->max_train_size > 0 && c < grid->n_cells; c++) {
        pdx_params p;
        pdx_grid_cell_params(grid, c, &p);
        if (pdx__partner_applies(&p))
            return 1;
    }
    return 0;
}

/* The partner trainer's limits: a perceptron student, the ladder. */
static pdx_trainer_deep_limits partner_limits(const pdx_grid *grid)
{
    pdx_trainer_deep_limits d = {0};
    d.ladder = grid->max_ladder;
    return d;
}

pdx_status pdx__partner_create(pdx__partner **out, const pdx_grid *grid,
                               size_t samples, pdx_error *err)
{
    *out = NULL;
    if (!grid_has_partners(grid))
        return PDX_OK;
    pdx__partner *p = calloc(1, sizeof *p);
    if (p == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the hot/cold partner");
    const pdx_trainer_deep_limits lim = partner_limits(grid);
    pdx_status st = pdx_trainer_create_deep(
        &p->trainer, (size_t)grid->max_N, 1, grid->max_teacher_hidden,
        (size_t)grid->max_test_size, (size_t)grid->max_train_size, &lim, err);
    if (st == PDX_OK)
        st = pdx_observer_create(&p->observer, 1, grid->max_teacher_hidden,
                                 err);
    if (st == PDX_OK)
        st = pdx_observer_reserve(p->observer, samples, err);
    if (st != PDX_OK) {
        pdx__partner_destroy(&p);
        return st;
    }
    *out = p;
    return PDX_OK;
}

void pdx__partner_destroy(pdx__partner **partner)
{
    if (partner == NULL || *partner == NULL)
        return;
    pdx_trainer_destroy(&(*partner)->trainer);
    pdx_observer_destroy(&(*partner)->observer);
    free(*partner);
    *partner = NULL;
}

double pdx__partner_bytes(const pdx_grid *grid)
{
    if (!grid_has_partners(grid))
        return 0.0;
    const pdx_trainer_deep_limits lim = partner_limits(grid);
    /* the series: two doubles per sweep (epoch) of the longest task */
    double samples = 0.0;
    for (uint64_t c = 0; c < grid->n_cells; c++) {
        pdx_params p;
        pdx_grid_cell_params(grid, c, &p);
        double n = p.train_epochs - p.train_burn_in + 2.0;
        if (pdx__partner_applies(&p) && n > samples)
            samples = n;
    }
    return pdx_trainer_workspace_bytes_deep(
               (size_t)grid->max_N, 1, grid->max_teacher_hidden,
               (size_t)grid->max_test_size, (size_t)grid->max_train_size,
               &lim) +
           pdx_observer_bytes(1, grid->max_teacher_hidden) + 16.0 * samples;
}

uint64_t pdx__partner_omit(const pdx_grid *grid)
{
    return grid_has_partners(grid) ? 0 : (uint64_t)1 << PDX_OBS_HOT_COLD_Z;
}

int pdx__partner_set(pdx__partner *partner, const pdx_params *params,
                     uint64_t seed, uint64_t replica)
{
    if (partner == NULL)
        return 0;
    partner->active = pdx__partner_applies(params);
    partner->diverged = 0;
    if (!partner->active)
        return 0;
    pdx_params other = *params;
    other.train_start =
        params->train_start == PDX_START_HOT ? PDX_START_COLD : PDX_START_HOT;
    if (pdx_trainer_set_cell(partner->trainer, &other, seed,
                             pdx_grid_cell_key(&other), replica,
                             NULL) != PDX_OK) {
        partner->active = 0;
        return -1;
    }
    pdx_observer_start(partner->observer);
    return 0;
}

void pdx__partner_iterate(pdx__partner *partner, int64_t until)
{
    if (partner != NULL && partner->active && !partner->diverged &&
        pdx_trainer_iterate(partner->trainer, until))
        partner->diverged = 1;
}

void pdx__partner_sample(pdx__partner *partner, const pdx_layout *layout,
                         double *const *out)
{
    if (partner != NULL && partner->active && !partner->diverged)
        pdx_observe_sample(partner->observer, partner->trainer, layout, out);
}

/* |a - b| / sqrt(sa^2 + sb^2): 0 for equal means, inf for different
 * means without a standard error, NaN when a mean is NaN. */
static double hot_cold_z(double a, double b, double sa, double sb)
{
    double d = fabs(a - b), se = sqrt(sa * sa + sb * sb);
    if (isnan(d))
        return NAN;
    return d == 0.0 ? 0.0 : se > 0.0 ? d / se : INFINITY;
}

void pdx__partner_finish(const pdx__partner *partner, double *const *out)
{
    if (partner == NULL || !partner->active ||
        isnan(out[PDX_OBS_EQUILIBRATED][0]))
        return; /* no verdict of its own (no samples): none to combine */
    if (partner->diverged) {
        out[PDX_OBS_EQUILIBRATED][0] = 0.0;
        return; /* hot_cold_z stays NaN */
    }
    pdx_equilibration e;
    double te, eg;
    pdx_observe_equilibration(partner->observer, partner->trainer, &e);
    pdx_observer_means(partner->observer, &te, &eg);
    /* the larger of the two, NaN ignored (both NaN: NaN): the same
     * operations in the same order in the hot and the cold task */
    double z = hot_cold_z(out[PDX_OBS_TRAIN_ERROR_MEAN][0], te,
                          out[PDX_OBS_TRAIN_ERROR_SEM][0], e.sem_energy);
    double z_eg = hot_cold_z(out[PDX_OBS_EG_MEAN][0], eg,
                             out[PDX_OBS_EG_SEM][0], e.sem_eg);
    if (isnan(z) || z_eg > z)
        z = z_eg;
    out[PDX_OBS_HOT_COLD_Z][0] = z;
    int ok = out[PDX_OBS_EQUILIBRATED][0] == 1.0 && e.equilibrated &&
             z <= PDX_EQ_HOT_COLD_Z_MAX;
    out[PDX_OBS_EQUILIBRATED][0] = ok ? 1.0 : 0.0;
}
