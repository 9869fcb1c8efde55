/* tempering.c — replica exchange (parallel tempering) for Metropolis
 * (train.parallel_tempering; issue 14 item 4; docs/TRAINERS.md).
 *
 * Design: every task of a ladder (the cells that differ only in
 * train.temperature) simulates the WHOLE ladder and records the
 * configuration that sits at its own temperature. The ladder's
 * trajectory depends only on (seed, ladder, replica), never on which
 * cell computes it, so the L tasks of a ladder are independent tasks of
 * the sweep as before: results are bit-identical for any thread count,
 * shard layout and resume point, at the price of computing each ladder
 * L times (pdx plan counts it).
 *
 * Random numbers (ladder key = pdx_grid_cell_key of the cell with
 * train.temperature 0, the same for every cell of the ladder):
 *   moves: DYNAMICS (seed, ladder, replica), block sweep * L + l: the 4N
 *     uniforms of the N moves at ladder position l in that sweep (the
 *     configuration there, whichever it is);
 *   swaps: EXCHANGE (seed, ladder, replica), block sweep: L uniforms.
 * A sweep: for each of the N steps, one move at every position l =
 * 0 .. L-1 (ascending temperature); after sweep s (applied before the
 * first move of sweep s + 1, so a cut never changes where it happens)
 * the pairs (l, l + 1) with l = s mod 2 exchange their configurations
 * with probability min(1, exp((1/T_l - 1/T_{l+1}) (E_l - E_{l+1}))),
 * which keeps the product of the Boltzmann measures (detailed balance);
 * at T_l = 0 an exchange is accepted iff E_l >= E_{l+1}. Configurations
 * move, temperatures stay: slot[l] names the configuration at l. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/rng.h"
#include "metropolis_move.h"
#include "train_internal.h"

#define PT_REFRESH_SWEEPS 16 /* as metropolis.c's MC_REFRESH_SWEEPS */

typedef struct pt_state {
    int L, k;                      /* ladder size, this task's position */
    uint64_t ladder_key;
    int64_t uniforms_sweep;        /* sweep the uniforms belong to */
    int64_t accepted;              /* moves accepted at position k */
    double T[PDX_LADDER_MAX];      /* ascending */
    int slot[PDX_LADDER_MAX];      /* configuration at position l */
    int64_t energy[PDX_LADDER_MAX];/* of configuration c */
    int64_t tries[PDX_LADDER_MAX], swaps[PDX_LADDER_MAX]; /* pair (l, l+1) */
    double *w, *h;                 /* configuration c: w + c N, h + c P */
    double *uniforms;              /* L x 4N */
} pt_state;

double pdx__tempering_doubles(const pdx__trainer_sizes *sz)
{
    /* the ladder's configurations and fields only where a sweep has
     * tempering cells (sz->deep.ladder: its longest ladder) */
    return (double)(sizeof(pt_state) / sizeof(double) + 1) +
           (double)sz->deep.ladder *
               (5.0 * (double)sz->max_N + (double)sz->max_P);
}

/* Fields and energy of configuration c from scratch. */
static void pt_refresh(const pdx_trainer *t, pt_state *pt, int c)
{
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P;
    double *w = pt->w + (size_t)c * N, *h = pt->h + (size_t)c * P;
    int64_t errors = 0;
    for (size_t mu = 0; mu < P; mu++) {
        h[mu] = pdx_model_dot(w, d->x + mu * N, N);
        errors += pdx__misclassified(h[mu], d->y[mu]);
    }
    pt->energy[c] = errors;
}

void pdx__tempering_start(pdx_trainer *t, double *region)
{
    pt_state *pt = (pt_state *)region;
    const pdx_params *p = &t->params;
    const size_t N = t->data->N, P = t->data->P;
    memset(pt, 0, sizeof *pt);
    pt->L = p->train_ladder_size;
    assert((size_t)pt->L <= t->sizes.deep.ladder);
    for (int l = 0; l < pt->L; l++) { /* insertion sort, ascending */
        double v = p->train_ladder[l];
        int m = l;
        for (; m > 0 && pt->T[m - 1] > v; m--)
            pt->T[m] = pt->T[m - 1];
        pt->T[m] = v;
    }
    for (int l = 0; l < pt->L; l++)
        if (pt->T[l] == p->train_temperature)
            pt->k = l;
    pdx_params ladder = *p;
    ladder.train_temperature = 0.0;
    pt->ladder_key = pdx_grid_cell_key(&ladder);
    pt->uniforms_sweep = -1;
    pt->w = region + sizeof(pt_state) / sizeof(double) + 1;
    pt->h = pt->w + (size_t)pt->L * N;
    pt->uniforms = pt->h + (size_t)pt->L * P;
    for (int c = 0; c < pt->L; c++) { /* every position starts alike */
        pt->slot[c] = c;
        memcpy(pt->w + (size_t)c * N, t->student.w, N * sizeof(double));
        pt_refresh(t, pt, c);
    }
}

/* The exchanges after sweep s. */
static void pt_exchange(const pdx_trainer *t, pt_state *pt, int64_t s)
{
    double u[PDX_LADDER_MAX];
    pdx_rng_stream swaps;
    pdx_rng_stream_init(&swaps, t->seed, PDX_RNG_EXCHANGE, pt->ladder_key,
                        t->replica);
    pdx_rng_uniform(&swaps, (uint64_t)s, u, (size_t)pt->L);
    for (int l = (int)(s % 2); l + 1 < pt->L; l += 2) {
        int a = pt->slot[l], b = pt->slot[l + 1];
        int64_t dE = pt->energy[a] - pt->energy[b];
        int accept;
        if (dE >= 0)
            accept = 1;
        else if (pt->T[l] == 0.0)
            accept = 0;
        else
            accept = u[l] < exp((1.0 / pt->T[l] - 1.0 / pt->T[l + 1]) *
                                (double)dE);
        pt->tries[l]++;
        if (accept) {
            pt->swaps[l]++;
            pt->slot[l] = b;
            pt->slot[l + 1] = a;
        }
    }
}

/* The start of sweep `sweep`: the previous sweep's exchanges, the
 * periodic refresh, the sweep's uniforms. */
static void pt_new_sweep(const pdx_trainer *t, pt_state *pt, int64_t sweep,
                         int64_t pos)
{
    const size_t N = t->data->N;
    if (pos == 0 && sweep > 0) {
        pt_exchange(t, pt, sweep - 1);
        if (sweep % PT_REFRESH_SWEEPS == 0)
            for (int c = 0; c < pt->L; c++) {
                if (t->params.student_weights == PDX_WEIGHTS_SPHERICAL)
                    pdx__to_sphere(pt->w + (size_t)c * N, N);
                pt_refresh(t, pt, c);
            }
    }
    pdx_rng_stream moves;
    pdx_rng_stream_init(&moves, t->seed, PDX_RNG_DYNAMICS, pt->ladder_key,
                        t->replica);
    for (int l = 0; l < pt->L; l++)
        pdx_rng_uniform(&moves, (uint64_t)(sweep * pt->L + l),
                        pt->uniforms + (size_t)l * 4 * N, 4 * N);
    pt->uniforms_sweep = sweep;
}

void pdx__tempering_iterate(pdx_trainer *t, double *region, const double *xt,
                            int64_t until, int64_t *energy, int64_t *accepted)
{
    pt_state *pt = (pt_state *)region;
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P;
    const int spherical = t->params.student_weights == PDX_WEIGHTS_SPHERICAL;
    const double angle = t->params.train_move_scale;
    for (; t->step < until; t->step++) {
        int64_t sweep = t->step / (int64_t)N;
        int64_t pos = t->step % (int64_t)N;
        if (sweep != pt->uniforms_sweep)
            pt_new_sweep(t, pt, sweep, pos);
        for (int l = 0; l < pt->L; l++) {
            int c = pt->slot[l];
            int ok = pdx__mc_move(pt->w + (size_t)c * N, pt->h + (size_t)c * P,
                                  xt, d->y, N, P, spherical, angle, pt->T[l],
                                  pt->uniforms + (size_t)l * 4 * N + 4 * pos,
                                  &pt->energy[c]);
            if (l == pt->k)
                pt->accepted += ok;
        }
        if (pt->energy[pt->slot[pt->k]] == 0 && isnan(t->time_to_fit))
            t->time_to_fit = (double)(t->step + 1) / (double)N;
    }
    /* the configuration at this task's temperature is the student */
    int c = pt->slot[pt->k];
    memcpy(t->student.w, pt->w + (size_t)c * N, N * sizeof(double));
    memcpy(t->scratch, pt->h + (size_t)c * P, P * sizeof(double));
    *energy = pt->energy[c];
    *accepted = pt->accepted;
    t->swap_rate = pt->k + 1 < pt->L && pt->tries[pt->k] > 0
                       ? (double)pt->swaps[pt->k] / (double)pt->tries[pt->k]
                       : NAN;
}
