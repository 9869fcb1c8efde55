/* replicated_sgd.c — replicated SGD (issue 16; Baldassi et al. 2016,
 * PNAS 113, E7655, "replicated gradient descent"): y replicas of a
 * perceptron (continuous or spherical weights), committee or twolayer
 * student, each trained by minibatch SGD on the same batches (the plain
 * sgd trainer's order of examples), plus the coupling energy
 * (gamma/2) sum_a |w^a - c|^2 of the first-layer weights to a centre c:
 *
 *   w^a <- w^a - eta (grad_a + decay w^a + gamma (w^a - c)),
 *
 * with c of the weights before the step. train.replica_coupling traced:
 * c is the replicas' mean (the minimiser of the coupling: the centre
 * traced out at zero temperature); centre: c has its own step on the
 * coupling after the replicas', c <- c + eta gamma sum_a (w^a - c).
 * Second-layer weights (twolayer, trained) follow plain sgd and are not
 * coupled; the centre's are the replicas' mean. Spherical perceptrons are
 * put back on the sphere after each step (the centre is not).
 *
 * gamma(t) = min(train.replica_gamma (1 + train.replica_gamma_growth)^t,
 * train.replica_gamma_max), t the whole epochs done. One step = one
 * minibatch for every replica (ceil(P/B) an epoch). y = 1, gamma = 0 is
 * the plain sgd trainer bit for bit for batches B >= 2 (its fused and
 * accumulated updates do the same additions; B = 1 updates in place).
 *
 * Success (+-1 labels): at the start of every epoch and at the end, the
 * first time the centre or a replica classifies every training example
 * (noisy labels) correctly; train.replica_stop freezes the state there.
 * The trainer's student is the centre.
 *
 * Random numbers: the SHUFFLE stream of plain sgd (pdx__make_perm);
 * replica a > 0 starts from the INIT (committees) or START (perceptrons)
 * stream keyed (seed, a, replica); replica 0 is the trainer's student.
 * No allocation. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"


typedef struct rsgd_state {
    size_t y;
    double time_to_success;
    pdx_committee *rep;  /* y committees */
    double *w;           /* y x K x N */
    double *v;           /* y x K */
    double *centre;      /* K x N: c (centre coupling) or the mean */
} rsgd_state;

static size_t rsgd_committee_doubles(size_t max_y)
{
    return (sizeof(pdx_committee) * max_y + 7) / 8;
}

/* Nothing when the sweep has no replicated cell (sz->deep.replicas 0). */
static double rsgd_workspace_doubles(const pdx__trainer_sizes *sz)
{
    double KN = (double)sz->max_K * (double)sz->max_N;
    double Y = (double)sz->deep.replicas;
    if (sz->deep.replicas == 0)
        return 0.0;
    return Y * (KN + (double)sz->max_K) + KN +
           (double)rsgd_committee_doubles(sz->deep.replicas);
}

static int rsgd_perceptron(const pdx_trainer *t)
{
    return t->params.student_kind == PDX_MODEL_PERCEPTRON;
}

/* Replica a's initial weights (a > 0), as make_student in trainer.c does
 * for the student, from streams keyed by a. */
static void rsgd_init_replica(pdx_trainer *t, pdx_committee *c, size_t a)
{
    const pdx_params *p = &t->params;
    const size_t N = c->N, K = c->K;
    pdx_rng_stream s;
    if (rsgd_perceptron(t)) {
        pdx_rng_stream_init(&s, t->seed, PDX_RNG_START, a, t->replica);
        pdx_rng_gaussian(&s, 0, c->w, N);
        if (p->student_weights == PDX_WEIGHTS_SPHERICAL)
            pdx__to_sphere(c->w, N);
        else
            for (size_t j = 0; j < N; j++)
                c->w[j] *= p->student_init_scale;
        c->v[0] = 1.0;
        return;
    }
    pdx_rng_stream_init(&s, t->seed, PDX_RNG_INIT, a, t->replica);
    for (size_t k = 0; k < K; k++) {
        double *w = c->w + k * N;
        pdx_rng_gaussian(&s, k, w, N);
        for (size_t j = 0; j < N; j++)
            w[j] *= p->student_init_scale;
        c->v[k] = p->student_second_layer_init;
    }
    if (p->student_kind == PDX_MODEL_TWOLAYER) {
        pdx_rng_gaussian(&s, (uint64_t)1 << 32, c->v, K);
        double scale = p->student_second_layer_init / sqrt((double)K);
        for (size_t k = 0; k < K; k++)
            c->v[k] *= scale;
    }
}

/* The centre shown as the student: c (or the mean of the replicas), the
 * mean second layer. */
static void rsgd_centre(pdx_trainer *t, rsgd_state *r, int mean)
{
    const size_t N = t->student.N, K = t->student.K, KN = K * N;
    const double inv_y = 1.0 / (double)r->y;
    if (mean) {
        for (size_t j = 0; j < KN; j++) {
            double s = 0.0;
            for (size_t a = 0; a < r->y; a++)
                s += r->w[a * KN + j];
            r->centre[j] = s * inv_y;
        }
    }
    memcpy(t->student.w, r->centre, KN * sizeof *r->centre);
    for (size_t k = 0; k < K; k++) {
        double s = 0.0;
        for (size_t a = 0; a < r->y; a++)
            s += r->v[a * K + k];
        t->student.v[k] = s * inv_y;
    }
}

/* 1 if committee c classifies every training example correctly. */
static int rsgd_fits(pdx_trainer *t, const pdx_committee *c)
{
    const pdx_dataset *d = t->data;
    const size_t N = d->N;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    double g[64];
    for (size_t mu = 0; mu < d->P; mu++)
        if (pdx__misclassified(pdx__student_output(c, d->x + mu * N,
                                                   t->lambda, g, inv_sqrt_N),
                               d->y[mu]))
            return 0;
    return 1;
}

/* Success and the centre's time to fit, at time `time` (epochs). */
static void rsgd_note(pdx_trainer *t, rsgd_state *r, double time)
{
    if (!t->classification || !isnan(r->time_to_success))
        return;
    int centre_fits = rsgd_fits(t, &t->student);
    if (centre_fits && isnan(t->time_to_fit))
        t->time_to_fit = time;
    int found = centre_fits;
    for (size_t a = 0; a < r->y && !found; a++)
        found = rsgd_fits(t, &r->rep[a]);
    if (found)
        r->time_to_success = time;
}

static void rsgd_start(pdx_trainer *t)
{
    rsgd_state *r = pdx__family_state(t);
    const size_t N = t->student.N, K = t->student.K;
    const size_t mKN = t->sizes.max_K * t->sizes.max_N;
    const size_t max_y = t->sizes.deep.replicas;
    double *ws = pdx__family_doubles(t);
    r->y = (size_t)t->params.train_replica_count;
    assert(r->y <= max_y);
    r->time_to_success = NAN;
    r->rep = (pdx_committee *)(void *)ws;
    ws += rsgd_committee_doubles(max_y);
    r->w = ws;
    ws += max_y * mKN;
    r->v = ws;
    ws += max_y * t->sizes.max_K;
    r->centre = ws;
    for (size_t a = 0; a < r->y; a++) {
        pdx_committee *c = &r->rep[a];
        *c = t->student;
        c->w = r->w + a * K * N;
        c->v = r->v + a * K;
        if (a == 0) {
            memcpy(c->w, t->student.w, K * N * sizeof *c->w);
            memcpy(c->v, t->student.v, K * sizeof *c->v);
        } else {
            rsgd_init_replica(t, c, a);
        }
    }
    rsgd_centre(t, r, 1);
}

/* One step of every replica on the batch idx[0..b-1], then the centre. */
static int rsgd_step(pdx_trainer *t, rsgd_state *r, const uint32_t *idx,
                     size_t b, double gamma)
{
    const size_t N = t->student.N, K = t->student.K, KN = K * N;
    const double eta = t->params.train_learning_rate;
    const double eta_v = t->params.train_learning_rate_second;
    const double decay = t->params.train_weight_decay;
    const int centre = t->params.train_replica_coupling == PDX_COUPLING_CENTRE;
    const int train_v = !rsgd_perceptron(t) &&
                        (t->params.student_kind == PDX_MODEL_TWOLAYER ||
                         t->params.student_second_layer == PDX_SECOND_TRAINED);
    const int sphere = rsgd_perceptron(t) &&
                       t->params.student_weights == PDX_WEIGHTS_SPHERICAL;
    const double scale = 1.0 / (double)b;
    const double *restrict c = r->centre;
    for (size_t a = 0; a < r->y; a++) {
        pdx_committee *rep = &r->rep[a];
        if (pdx__batch_gradient(t, rep, idx, b, train_v))
            return 1;
        if (train_v)
            for (size_t k = 0; k < K; k++)
                rep->v[k] -= eta_v * (t->grad_v[k] * scale +
                                      decay * rep->v[k]);
        double *restrict w = rep->w;
        const double *restrict gw = t->grad_w;
        for (size_t j = 0; j < KN; j++)
            w[j] -= eta * (gw[j] * scale + decay * w[j] +
                           gamma * (w[j] - c[j]));
        if (sphere)
            pdx__to_sphere(w, N);
    }
    if (centre) {
        for (size_t j = 0; j < KN; j++) {
            double pull = 0.0;
            for (size_t a = 0; a < r->y; a++)
                pull += r->w[a * KN + j] - r->centre[j];
            r->centre[j] += eta * gamma * pull;
        }
    }
    rsgd_centre(t, r, !centre);
    return 0;
}

static int rsgd_iterate(pdx_trainer *t, int64_t until)
{
    rsgd_state *r = pdx__family_state(t);
    const int stop = t->params.train_replica_stop;
    for (; t->step < until; t->step++) {
        int64_t epoch = t->step / t->steps_per_epoch;
        int64_t pos = t->step % t->steps_per_epoch;
        if (pos == 0)
            rsgd_note(t, r, (double)epoch);
        if (stop && !isnan(r->time_to_success)) {
            t->step = until; /* frozen at the solution */
            break;
        }
        const uint32_t *idx;
        size_t b = pdx__epoch_batch(t, epoch, pos, &idx);
        if (rsgd_step(t, r, idx, b,
                  pdx__replica_gamma(&t->params, (double)epoch)))
            return 1;
    }
    if (t->step == t->total_steps)
        rsgd_note(t, r, (double)t->step / (double)t->steps_per_epoch);
    return 0;
}

static size_t rsgd_replicas(const pdx_trainer *t,
                            const pdx_committee **replicas,
                            double *time_to_success)
{
    const rsgd_state *r = pdx__family_state_const(t);
    if (replicas != NULL)
        *replicas = r->rep;
    if (time_to_success != NULL)
        *time_to_success = r->time_to_success;
    return r->y;
}

static const pdx__trainer_algorithm rsgd_algorithms[] = {
    {"replicated_sgd", PDX_ALG_REPLICATED_SGD, 0},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_replicated_sgd = {
    .family = "replicated_sgd",
    .algorithms = rsgd_algorithms,
    .finite = 1,
    .state_bytes = sizeof(rsgd_state),
    .workspace_doubles = rsgd_workspace_doubles,
    .start = rsgd_start,
    .iterate = rsgd_iterate,
    .replicas = rsgd_replicas,
};
