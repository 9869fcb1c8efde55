/* metropolis.c — Metropolis Monte Carlo of perceptrons on a fixed training
 * set (Gibbs learning, Seung-Sompolinsky-Tishby): energy = training
 * errors against the noisy labels, temperature train.temperature; one
 * step = one attempted move, N steps a sweep.
 *
 * Random numbers: DYNAMICS block s (keyed by (seed, cell_key, replica)):
 * 4N uniforms, the N moves of sweep s (binary: site, acceptance;
 * spherical: two sites, angle, acceptance). No allocation.
 * train.entry perceptron: metropolis_entry.c; train.parallel_tempering:
 * tempering.c (its own streams). */
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "metropolis_move.h"
#include "train_internal.h"

/* Fields and energy are recomputed from scratch every this many sweeps,
 * so that rounding in the incremental updates cannot drift. */
#define MC_REFRESH_SWEEPS 16

/* Per-task state, at the start of trainer->family; the workspace after
 * it holds xt (N x P, the inputs transposed) and the uniforms of a sweep
 * (4 N). The fields h_mu = w.x_mu live in trainer->scratch. */
typedef struct mc_state {
    int64_t energy;         /* training errors (noisy labels) */
    int64_t accepted;       /* accepted moves */
    int64_t uniforms_sweep; /* sweep `uniforms` belongs to (-1: none) */
    double *xt;
    double *uniforms;
    double *tempering; /* tempering.c's region (train.parallel_tempering) */
} mc_state;

static double mc_workspace_doubles(const pdx__trainer_sizes *sz)
{
    return (double)sz->max_N * (double)sz->max_P /* xt */
           + 4.0 * (double)sz->max_N + 4.0       /* uniforms */
           + pdx__tempering_doubles(sz);          /* tempering.c */
}

/* Fields h_mu = w.x_mu and the energy, from scratch. */
static void mc_refresh(pdx_trainer *t, mc_state *mc)
{
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P;
    double *field = t->scratch;
    int64_t errors = 0;
    for (size_t mu = 0; mu < P; mu++) {
        field[mu] = pdx_model_dot(t->student.w, d->x + mu * N, N);
        errors += pdx__misclassified(field[mu], d->y[mu]);
    }
    mc->energy = errors;
}

static void mc_start(pdx_trainer *t)
{
    mc_state *mc = pdx__family_state(t);
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P;
    mc->xt = pdx__family_doubles(t);
    mc->uniforms = mc->xt + t->sizes.max_N * t->sizes.max_P;
    mc->energy = 0;
    mc->accepted = 0;
    mc->uniforms_sweep = -1;
    for (size_t mu = 0; mu < P; mu++)
        for (size_t j = 0; j < N; j++)
            mc->xt[j * P + mu] = d->x[mu * N + j];
    mc->tempering = mc->uniforms + 4 * t->sizes.max_N + 4;
    if (t->params.train_entry == PDX_ENTRY_PERCEPTRON &&
        t->params.student_weights == PDX_WEIGHTS_SPHERICAL)
        t->entry_epochs = pdx__metropolis_entry(t);
    mc_refresh(t, mc);
    if (t->params.train_parallel_tempering)
        pdx__tempering_start(t, mc->tempering);
    if (mc->energy == 0)
        t->time_to_fit = 0.0;
}

/* Binary weights: flip one random w_i. Spherical weights: rotate
 * (w_i, w_j), i != j random, by a uniform angle in [-move_scale,
 * move_scale], which keeps |w|^2. Fields are updated in O(P) per move. */
static void run_metropolis(pdx_trainer *t, mc_state *mc, int64_t until)
{
    pdx_committee *s = &t->student;
    const pdx_dataset *d = t->data;
    const size_t N = s->N, P = d->P;
    const double T = t->params.train_temperature;
    const int spherical = t->params.student_weights == PDX_WEIGHTS_SPHERICAL;
    const double angle = t->params.train_move_scale;
    double *restrict w = s->w;
    double *restrict h = t->scratch;
    const double *restrict y = d->y;
    pdx_rng_stream moves;
    pdx_rng_stream_init(&moves, t->seed, PDX_RNG_DYNAMICS, t->cell_key,
                        t->replica);
    for (; t->step < until; t->step++) {
        int64_t sweep = t->step / (int64_t)N;
        int64_t pos = t->step % (int64_t)N;
        if (sweep != mc->uniforms_sweep) {
            pdx_rng_uniform(&moves, (uint64_t)sweep, mc->uniforms, 4 * N);
            mc->uniforms_sweep = sweep;
            if (pos == 0 && sweep > 0 && sweep % MC_REFRESH_SWEEPS == 0) {
                if (spherical)
                    pdx__to_sphere(w, N);
                mc_refresh(t, mc);
            }
        }
        const double *u = mc->uniforms + 4 * pos;
        mc->accepted += pdx__mc_move(w, h, mc->xt, y, N, P, spherical, angle,
                                     T, u, &mc->energy);
        if (mc->energy == 0 && isnan(t->time_to_fit))
            t->time_to_fit = (double)(t->step + 1) / (double)N;
    }
}

static int mc_iterate(pdx_trainer *t, int64_t until)
{
    mc_state *mc = pdx__family_state(t);
    if (t->params.train_parallel_tempering)
        pdx__tempering_iterate(t, mc->tempering, mc->xt, until, &mc->energy,
                               &mc->accepted);
    else
        run_metropolis(t, mc, until);
    /* a fit is noted after every move; this catches none the loop missed
     * but keeps the rule of the other finite families */
    if (t->step == t->total_steps && isnan(t->time_to_fit) &&
        t->classification && mc->energy == 0)
        t->time_to_fit = (double)t->step / (double)t->steps_per_epoch;
    return 0;
}

static const double *mc_fields(const pdx_trainer *t)
{
    return t->scratch;
}

static double mc_accept_rate(const pdx_trainer *t)
{
    const mc_state *mc = pdx__family_state_const(t);
    return t->step > 0 ? (double)mc->accepted / (double)t->step : NAN;
}

/* For white-box tests (tests/test_train.c): the energy kept incrementally. */
int64_t pdx__metropolis_energy(const pdx_trainer *t);
int64_t pdx__metropolis_energy(const pdx_trainer *t)
{
    const mc_state *mc = pdx__family_state_const(t);
    return mc->energy;
}

static const pdx__trainer_algorithm mc_algorithms[] = {
    {"metropolis", PDX_ALG_METROPOLIS, 1},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_metropolis = {
    .family = "metropolis",
    .algorithms = mc_algorithms,
    .finite = 1,
    .state_bytes = sizeof(mc_state),
    .workspace_doubles = mc_workspace_doubles,
    .start = mc_start,
    .iterate = mc_iterate,
    .fields = mc_fields,
    .accept_rate = mc_accept_rate,
};
