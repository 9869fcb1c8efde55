/* replicated_mc.c — replicated Metropolis / simulated annealing of binary
 * perceptrons and binary committee machines (issue 16; Baldassi et al.
 * 2016, PNAS 113, E7655: the robust ensemble). y replicas w^a in
 * {-1,+1}^(K N) of the student (K = 1: a perceptron; K odd > 1: a
 * committee of K sign units, output sign(sum_k sign(w_k.x)), the second
 * layer fixed at 1; only train.mc_energy errors), each with
 * the energy E(w^a) of train.mc_energy on the training set (noisy
 * labels), coupled to a centre c with the Hamming distance
 * d(w, c) = sum_i (1 - w_i c_i)/2:
 *
 *   P(c, w^1..w^y) ~ exp(-beta sum_a E(w^a) - gamma sum_a d(w^a, c)).
 *
 * train.replica_coupling traced sums c out: the replicas interact through
 * sum_i ln 2cosh((gamma/2) S_i), S_i = sum_a w_i^a, and the centre shown
 * is the majority sign(S_i) (a tie gives +1). centre keeps c and updates
 * it by heat bath (P(c_i = +1) = 1/(1 + exp(-gamma S_i))) after every
 * sweep of the replicas. Both leave the same marginal law of the replicas
 * invariant (tests/test_replicated.c checks it against exact enumeration).
 *
 * Schedules, t the number of whole sweeps done: beta(t) = (1 +
 * train.beta_growth)^t / train.temperature (temperature 0: beta = inf),
 * gamma(t) = min(train.replica_gamma (1 + train.replica_gamma_growth)^t,
 * train.replica_gamma_max). One step = one attempted flip of one replica's
 * weight (a site of K N, unit k = site / N); a sweep (the unit of time) =
 * y K N steps, the replicas taking turns (step s moves replica s mod y).
 * y = 1, gamma = 0 and no beta growth is the plain metropolis trainer
 * move for move (perceptrons).
 *
 * Success: the first time a replica (checked after every move) or the
 * centre (after every move, traced; after every sweep, centre) has no
 * training error; train.replica_stop freezes the state there.
 *
 * Random numbers: DYNAMICS block s (keyed by (seed, cell_key, replica)):
 * 4 y K N + K N uniforms, 4 per move (site, acceptance, two unused: the
 * plain trainer's layout) then K N for the centre's heat bath. Replica
 * a > 0 starts from the START stream keyed (seed, a, replica), K N
 * Gaussians' signs (replica 0 is the trainer's student; a committee's
 * are the signs of its initial weights). No allocation. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"

/* Fields, energies and the centre's fields are recomputed from scratch
 * every this many sweeps (the plain trainer's period). */
#define RMC_REFRESH_SWEEPS 16

typedef struct rmc_state {
    size_t y;
    int64_t accepted;
    int64_t uniforms_sweep; /* sweep `uniforms` belongs to (-1: none) */
    int64_t centre_errors;
    int64_t sweep_schedule; /* sweep of beta, gamma, log_cosh (-1: none) */
    double temperature;     /* 1/beta of the current sweep (0: zero T) */
    double gamma;
    double time_to_success;
    size_t K;               /* units: 1 (perceptron) or K (committee) */
    pdx_committee *rep;     /* y committees over w */
    double *w;              /* y x K x N replica weights */
    double *h;              /* y x K x P fields w_k^a.x_mu */
    double *vote;           /* y x P: sum_k sign(h_k^a) (committees) */
    double *hc;             /* K x P fields of the centre */
    double *vote_c;         /* P votes of the centre (committees) */
    double *S;              /* K N sums over replicas */
    double *energy;         /* y energies */
    int64_t *errors;        /* y training errors */
    double *log_cosh;       /* 2y + 1: ln cosh(gamma S/2), S = -y..y */
    double *xt;             /* N x P inputs, transposed */
    double *uniforms;       /* 4 y K N + K N */
} rmc_state;

static size_t committee_doubles(size_t max_y)
{
    return (sizeof(pdx_committee) * max_y + 7) / 8;
}

/* Nothing when the sweep has no replicated cell (sz->deep.replicas 0),
 * so that other sweeps do not hold the transposed inputs. */
static double rmc_workspace_doubles(const pdx__trainer_sizes *sz)
{
    double N = (double)sz->max_N, P = (double)sz->max_P;
    double Y = (double)sz->deep.replicas;
    double K = sz->max_K > 1 ? (double)sz->max_K : 1.0;
    if (sz->deep.replicas == 0)
        return 0.0;
    return N * P + Y * K * (N + P) + Y * P + K * P + P + K * N + 2.0 * Y +
           2.0 * Y + 1.0 + (4.0 * Y + 1.0) * K * N +
           (double)committee_doubles(sz->deep.replicas) + 8.0;
}

/* sign with sign(0) = 0, as the committee's sign units (pdx_model_g). */
static double rmc_sign(double h)
{
    return h > 0.0 ? 1.0 : h < 0.0 ? -1.0 : 0.0;
}

static double pattern_energy(int energy, double h, double y,
                             double inv_sqrt_N)
{
    if (energy == PDX_ENERGY_STABILITY) {
        double s = -y * h * inv_sqrt_N;
        return s > 0.0 ? s : 0.0;
    }
    return (double)pdx__misclassified(h, y);
}

/* Fields, energies, errors and the centre's fields from scratch. */
static void rmc_refresh(pdx_trainer *t, rmc_state *r)
{
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P, K = r->K;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const int energy = t->params.train_mc_energy;
    if (K > 1) {
        for (size_t a = 0; a <= r->y; a++) { /* a = y: the centre */
            const double *w = a < r->y ? r->w + a * K * N : t->student.w;
            double *h = a < r->y ? r->h + a * K * P : r->hc;
            double *vote = a < r->y ? r->vote + a * P : r->vote_c;
            int64_t errors = 0;
            for (size_t mu = 0; mu < P; mu++) {
                vote[mu] = 0.0;
                for (size_t k = 0; k < K; k++) {
                    h[k * P + mu] = pdx_model_dot(w + k * N, d->x + mu * N, N);
                    vote[mu] += rmc_sign(h[k * P + mu]);
                }
                errors += pdx__misclassified(vote[mu], d->y[mu]);
            }
            if (a < r->y) {
                r->energy[a] = (double)errors;
                r->errors[a] = errors;
            } else {
                r->centre_errors = errors;
            }
        }
        return;
    }
    for (size_t a = 0; a < r->y; a++) {
        double *h = r->h + a * P, e = 0.0;
        int64_t errors = 0;
        for (size_t mu = 0; mu < P; mu++) {
            h[mu] = pdx_model_dot(r->w + a * N, d->x + mu * N, N);
            e += pattern_energy(energy, h[mu], d->y[mu], inv_sqrt_N);
            errors += pdx__misclassified(h[mu], d->y[mu]);
        }
        r->energy[a] = e;
        r->errors[a] = errors;
    }
    int64_t errors = 0;
    for (size_t mu = 0; mu < P; mu++) {
        r->hc[mu] = pdx_model_dot(t->student.w, d->x + mu * N, N);
        errors += pdx__misclassified(r->hc[mu], d->y[mu]);
    }
    r->centre_errors = errors;
}

/* Replica a's initial weights (K N): the student's signs (a = 0) or the
 * signs of the START stream keyed by a. */
static void rmc_init_replica(pdx_trainer *t, double *w, size_t a, size_t K)
{
    const size_t n = K * t->student.N;
    if (a == 0) {
        for (size_t j = 0; j < n; j++) /* perceptrons: signs already */
            w[j] = t->student.w[j] >= 0.0 ? 1.0 : -1.0;
        return;
    }
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, t->seed, PDX_RNG_START, a, t->replica);
    pdx_rng_gaussian(&s, 0, w, n);
    for (size_t j = 0; j < n; j++)
        w[j] = w[j] >= 0.0 ? 1.0 : -1.0;
}

static void rmc_start(pdx_trainer *t)
{
    rmc_state *r = pdx__family_state(t);
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P;
    const size_t max_N = t->sizes.max_N, max_P = t->sizes.max_P;
    const size_t max_y = t->sizes.deep.replicas;
    const size_t max_K = t->sizes.max_K > 1 ? t->sizes.max_K : 1;
    const size_t K = t->student.K, KN = K * N;
    double *ws = pdx__family_doubles(t);
    r->y = (size_t)t->params.train_replica_count;
    r->K = K;
    assert(r->y <= max_y && K <= max_K);
    if (K > 1) { /* a committee of sign units, second layer 1 */
        t->student.activation = PDX_ACT_SIGN;
        for (size_t k = 0; k < K; k++)
            t->student.v[k] = 1.0;
    }
    r->rep = (pdx_committee *)(void *)ws;
    ws += committee_doubles(max_y);
    r->xt = ws;
    ws += max_N * max_P;
    r->w = ws;
    ws += max_y * max_K * max_N;
    r->h = ws;
    ws += max_y * max_K * max_P;
    r->vote = ws;
    ws += max_y * max_P;
    r->hc = ws;
    ws += max_K * max_P;
    r->vote_c = ws;
    ws += max_P;
    r->S = ws;
    ws += max_K * max_N;
    r->energy = ws;
    ws += max_y;
    r->errors = (int64_t *)(void *)ws;
    ws += max_y;
    r->log_cosh = ws;
    ws += 2 * max_y + 1;
    r->uniforms = ws;
    r->accepted = 0;
    r->uniforms_sweep = -1;
    r->sweep_schedule = -1;
    r->time_to_success = NAN;
    for (size_t mu = 0; mu < P; mu++)
        for (size_t j = 0; j < N; j++)
            r->xt[j * P + mu] = d->x[mu * N + j];
    for (size_t a = 0; a < r->y; a++) {
        rmc_init_replica(t, r->w + a * KN, a, K);
        r->rep[a] = t->student;
        r->rep[a].w = r->w + a * KN;
    }
    for (size_t i = 0; i < KN; i++) {
        double S = 0.0;
        for (size_t a = 0; a < r->y; a++)
            S += r->w[a * KN + i];
        r->S[i] = S;
        t->student.w[i] = S >= 0.0 ? 1.0 : -1.0; /* the centre */
    }
    rmc_refresh(t, r);
    int solved = r->centre_errors == 0;
    for (size_t a = 0; a < r->y; a++)
        solved |= r->errors[a] == 0;
    if (r->centre_errors == 0)
        t->time_to_fit = 0.0;
    if (solved)
        r->time_to_success = 0.0;
}

/* ln cosh(x), stable for large |x|. */
static double log_cosh(double x)
{
    double a = fabs(x);
    return a + log1p(exp(-2.0 * a)) - M_LN2;
}

/* beta, gamma and the coupling table of sweep `sweep`. */
static void rmc_schedule(pdx_trainer *t, rmc_state *r, int64_t sweep)
{
    const pdx_params *p = &t->params;
    double s = (double)sweep;
    r->temperature = p->train_beta_growth > 0.0
                         ? p->train_temperature /
                               pow(1.0 + p->train_beta_growth, s)
                         : p->train_temperature;
    double gamma = p->train_replica_gamma;
    if (p->train_replica_gamma_growth > 0.0)
        gamma *= pow(1.0 + p->train_replica_gamma_growth, s);
    r->gamma = gamma < p->train_replica_gamma_max ? gamma
                                                  : p->train_replica_gamma_max;
    for (size_t k = 0; k <= 2 * r->y; k++)
        r->log_cosh[k] = log_cosh(0.5 * r->gamma *
                                  ((double)k - (double)r->y));
    r->sweep_schedule = sweep;
}

/* Flip the centre's weight at site (unit k = site / N, input i): its
 * fields, votes and errors. */
static void rmc_flip_centre(pdx_trainer *t, rmc_state *r, size_t site)
{
    const size_t P = t->data->P, N = t->data->N;
    const size_t k = site / N, i = site % N;
    const double *restrict xi = r->xt + i * P;
    const double *restrict y = t->data->y;
    double *restrict hc = r->hc + k * P;
    const double step = -2.0 * t->student.w[site];
    int64_t dE = 0;
    if (r->K > 1) {
        double *restrict vote = r->vote_c;
        for (size_t mu = 0; mu < P; mu++) {
            double hn = hc[mu] + step * xi[mu];
            double vn = vote[mu] + rmc_sign(hn) - rmc_sign(hc[mu]);
            dE += pdx__misclassified(vn, y[mu]) -
                  pdx__misclassified(vote[mu], y[mu]);
            hc[mu] = hn;
            vote[mu] = vn;
        }
    } else {
        for (size_t mu = 0; mu < P; mu++) {
            double hn = hc[mu] + step * xi[mu];
            dE += pdx__misclassified(hn, y[mu]) -
                  pdx__misclassified(hc[mu], y[mu]);
            hc[mu] = hn;
        }
    }
    t->student.w[site] = -t->student.w[site];
    r->centre_errors += dE;
}

/* Success and the centre's time to fit at time `time` (sweeps). */
static void rmc_note(pdx_trainer *t, rmc_state *r, size_t a, double time)
{
    if (r->centre_errors == 0 && isnan(t->time_to_fit))
        t->time_to_fit = time;
    if (isnan(r->time_to_success) &&
        (r->centre_errors == 0 || r->errors[a] == 0))
        r->time_to_success = time;
}

/* The energy change dE and error change of flipping w_i^a (fields h). */
static double rmc_delta(const rmc_state *r, const pdx_dataset *d, size_t i,
                        const double *restrict h, double step, int energy,
                        int64_t *d_errors)
{
    const size_t P = d->P;
    const double *restrict xi = r->xt + i * P;
    const double *restrict y = d->y;
    int64_t dErr = 0;
    if (energy == PDX_ENERGY_ERRORS) {
        for (size_t mu = 0; mu < P; mu++) {
            double hn = h[mu] + step * xi[mu];
            dErr += pdx__misclassified(hn, y[mu]) -
                    pdx__misclassified(h[mu], y[mu]);
        }
        *d_errors = dErr;
        return (double)dErr;
    }
    const double inv_sqrt_N = 1.0 / sqrt((double)d->N);
    double dE = 0.0;
    for (size_t mu = 0; mu < P; mu++) {
        double hn = h[mu] + step * xi[mu];
        double so = -y[mu] * h[mu] * inv_sqrt_N, sn = -y[mu] * hn * inv_sqrt_N;
        dE += (sn > 0.0 ? sn : 0.0) - (so > 0.0 ? so : 0.0);
        dErr += pdx__misclassified(hn, y[mu]) - pdx__misclassified(h[mu], y[mu]);
    }
    *d_errors = dErr;
    return dE;
}

/* A committee's error change (the energy) of flipping input i's weight
 * of the unit whose fields are h, the replica's votes `vote`. */
static double rmc_delta_committee(const rmc_state *r, const pdx_dataset *d,
                                  size_t i, const double *restrict h,
                                  const double *restrict vote, double step,
                                  int64_t *d_errors)
{
    const size_t P = d->P;
    const double *restrict xi = r->xt + i * P;
    const double *restrict y = d->y;
    int64_t dErr = 0;
    for (size_t mu = 0; mu < P; mu++) {
        double hn = h[mu] + step * xi[mu];
        double vn = vote[mu] + rmc_sign(hn) - rmc_sign(h[mu]);
        dErr += pdx__misclassified(vn, y[mu]) -
                pdx__misclassified(vote[mu], y[mu]);
    }
    *d_errors = dErr;
    return (double)dErr;
}

/* Accept the flip of input i's weight of the unit with fields h (and
 * the votes of its replica, committees). */
static void rmc_apply(const rmc_state *r, size_t P, size_t i,
                      double *restrict h, double *restrict vote, double step)
{
    const double *restrict xi = r->xt + i * P;
    if (r->K > 1) {
        for (size_t mu = 0; mu < P; mu++) {
            double hn = h[mu] + step * xi[mu];
            vote[mu] += rmc_sign(hn) - rmc_sign(h[mu]);
            h[mu] = hn;
        }
        return;
    }
    for (size_t mu = 0; mu < P; mu++)
        h[mu] += step * xi[mu];
}

/* The centre's heat bath after sweep `sweep` (coupling centre). */
static void rmc_centre_sweep(pdx_trainer *t, rmc_state *r, int64_t sweep)
{
    const size_t KN = r->K * t->student.N;
    const double *u = r->uniforms + 4 * r->y * KN;
    for (size_t i = 0; i < KN; i++) {
        double p_up = 1.0 / (1.0 + exp(-r->gamma * r->S[i]));
        double c = u[i] < p_up ? 1.0 : -1.0;
        if (c != t->student.w[i])
            rmc_flip_centre(t, r, i);
    }
    rmc_note(t, r, 0, (double)(sweep + 1));
}

/* The change of the coupling's log weight of flipping replica weight
 * w (site `site`, step -2 w). */
static double rmc_coupling_change(const pdx_trainer *t, const rmc_state *r,
                                  size_t site, double w, int centre)
{
    if (!(r->gamma > 0.0))
        return 0.0;
    if (centre)
        return -r->gamma * t->student.w[site] * w;
    size_t k = (size_t)(r->S[site] + (double)r->y);
    size_t kn = (size_t)(r->S[site] - 2.0 * w + (double)r->y);
    return r->log_cosh[kn] - r->log_cosh[k];
}

static void run_replicated(pdx_trainer *t, rmc_state *r, int64_t until)
{
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P, y = r->y, K = r->K, KN = K * N;
    const int energy = t->params.train_mc_energy;
    const int centre = t->params.train_replica_coupling == PDX_COUPLING_CENTRE;
    const int stop = t->params.train_replica_stop;
    const int64_t per_sweep = (int64_t)(y * KN);
    pdx_rng_stream moves;
    pdx_rng_stream_init(&moves, t->seed, PDX_RNG_DYNAMICS, t->cell_key,
                        t->replica);
    for (; t->step < until; t->step++) {
        if (stop && !isnan(r->time_to_success)) {
            t->step = until; /* frozen at the solution */
            break;
        }
        int64_t sweep = t->step / per_sweep;
        int64_t pos = t->step % per_sweep;
        if (sweep != r->uniforms_sweep) {
            pdx_rng_uniform(&moves, (uint64_t)sweep, r->uniforms,
                            4 * y * KN + KN);
            r->uniforms_sweep = sweep;
            if (pos == 0 && sweep > 0 && sweep % RMC_REFRESH_SWEEPS == 0)
                rmc_refresh(t, r);
        }
        if (sweep != r->sweep_schedule)
            rmc_schedule(t, r, sweep);
        const double *u = r->uniforms + 4 * pos;
        const size_t a = (size_t)pos % y;
        size_t site = (size_t)(u[0] * (double)KN);
        if (site >= KN)
            site = KN - 1;
        const size_t i = site % N;
        double *restrict w = r->w + a * KN;
        double *restrict h = r->h + (a * K + site / N) * P;
        double *restrict vote = r->vote + a * P;
        const double step_i = -2.0 * w[site];
        int64_t d_errors;
        double dE = K > 1 ? rmc_delta_committee(r, d, i, h, vote, step_i,
                                                &d_errors)
                          : rmc_delta(r, d, i, h, step_i, energy, &d_errors);
        /* the coupling's change of the log weight */
        double dC = rmc_coupling_change(t, r, site, w[site], centre);
        int accept;
        if (r->temperature > 0.0) {
            double x = -dE / r->temperature + dC;
            accept = x >= 0.0 || u[1] < exp(x);
        } else {
            accept = dE < 0.0 || (dE == 0.0 && (dC >= 0.0 || u[1] < exp(dC)));
        }
        if (accept) {
            w[site] = -w[site];
            rmc_apply(r, P, i, h, vote, step_i);
            r->energy[a] += dE;
            r->errors[a] += d_errors;
            r->S[site] += step_i;
            r->accepted++;
            if (!centre &&
                (r->S[site] >= 0.0 ? 1.0 : -1.0) != t->student.w[site])
                rmc_flip_centre(t, r, site);
        }
        rmc_note(t, r, a, (double)(t->step + 1) / (double)per_sweep);
        if (centre && pos == per_sweep - 1)
            rmc_centre_sweep(t, r, sweep);
    }
}

static int rmc_iterate(pdx_trainer *t, int64_t until)
{
    rmc_state *r = pdx__family_state(t);
    run_replicated(t, r, until);
    return 0;
}

/* The centre's fields w.x_mu (perceptrons; a committee's training error
 * is computed from its outputs: NULL). */
static const double *rmc_fields(const pdx_trainer *t)
{
    const rmc_state *r = pdx__family_state_const(t);
    return r->K > 1 ? NULL : r->hc;
}

static double rmc_accept_rate(const pdx_trainer *t)
{
    const rmc_state *r = pdx__family_state_const(t);
    return t->step > 0 ? (double)r->accepted / (double)t->step : NAN;
}

static size_t rmc_replicas(const pdx_trainer *t,
                           const pdx_committee **replicas,
                           double *time_to_success)
{
    const rmc_state *r = pdx__family_state_const(t);
    if (replicas != NULL)
        *replicas = r->rep;
    if (time_to_success != NULL)
        *time_to_success = r->time_to_success;
    return r->y;
}

/* For white-box tests (tests/test_replicated.c): replica a's energy and
 * training errors as kept incrementally. */
double pdx__replicated_energy(const pdx_trainer *t, size_t a,
                              int64_t *errors);
double pdx__replicated_energy(const pdx_trainer *t, size_t a,
                              int64_t *errors)
{
    const rmc_state *r = pdx__family_state_const(t);
    if (errors != NULL)
        *errors = r->errors[a];
    return r->energy[a];
}

static const pdx__trainer_algorithm rmc_algorithms[] = {
    {"replicated_mc", PDX_ALG_REPLICATED_MC, 0},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_replicated_mc = {
    .family = "replicated_mc",
    .algorithms = rmc_algorithms,
    .finite = 1,
    .state_bytes = sizeof(rmc_state),
    .workspace_doubles = rmc_workspace_doubles,
    .start = rmc_start,
    .iterate = rmc_iterate,
    .fields = rmc_fields,
    .accept_rate = rmc_accept_rate,
    .replicas = rmc_replicas,
};
