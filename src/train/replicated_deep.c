/* replicated_deep.c — replicated SGD of deep students (issue 16 item 1;
 * replicated_sgd.c is the same algorithm for perceptrons, committees and
 * two-layer students): y replicas theta^a of the deep student, each
 * trained by minibatch SGD on the same batches (the sgd order of
 * examples) plus the coupling (gamma/2) sum_a |theta^a - c|^2 over every
 * parameter (weights, biases, readout and its bias):
 *
 *   theta^a <- theta^a - eta (grad_a + decay theta^a + gamma (theta^a - c)),
 *
 * c of the parameters before the step; train.replica_coupling traced: c
 * is the replicas' mean; centre: c <- c + eta gamma sum_a (theta^a - c)
 * after the replicas. The gradient is the deep family's (deep_step.c: the
 * same kernels, every sum in a fixed order), so the bits depend on
 * neither threads nor shards, and y = 1, gamma = 0 is the deep sgd row
 * bit for bit. gamma(t) as replicated_sgd.c; the trainer's student (its
 * net) is the centre. Success, time to success and train.replica_stop as
 * replicated_sgd.c. Replica a > 0 starts from the INIT stream keyed
 * (seed, a, replica) (replica 0 is the trainer's student, INIT keyed 0).
 * No random numbers besides those; no allocation. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"

typedef struct rdeep_state {
    size_t y;
    double time_to_success;
    pdx_committee *rep;  /* y committees whose deep nets are nets[a] */
    pdx_deep *nets;      /* y replica nets over the workspace */
    pdx_deep centre;     /* c (centre coupling) or the mean */
    double *params;      /* replica a's weights, biases, readout at
                          * params + a stride (n_params of them; the
                          * centre's at a = max y) */
    size_t stride, n_params;
    pdx__deep_step step; /* the gradient and the batch's arrays */
} rdeep_state;

static size_t rdeep_struct_doubles(size_t max_y)
{
    return (max_y * (sizeof(pdx_committee) + sizeof(pdx_deep)) + 7) / 8;
}

/* Nothing without a replicated cell of a trained deep student. */
static double rdeep_workspace_doubles(const pdx__trainer_sizes *sz)
{
    const size_t Y = sz->deep.replicas;
    if (Y == 0 || sz->deep.batch == 0 || sz->deep.student_depth == 0)
        return 0.0;
    return (double)rdeep_struct_doubles(Y) +
           (double)(Y + 1) * pdx__deep_param_doubles(sz) +
           pdx__deep_step_doubles(sz);
}

/* The centre shown as the student: c or the mean of the replicas. */
static void rdeep_centre(pdx_trainer *t, rdeep_state *r, int mean)
{
    double *c = r->centre.w;
    if (mean) {
        const double inv_y = 1.0 / (double)r->y;
        for (size_t j = 0; j < r->n_params; j++) {
            double sum = 0.0;
            for (size_t a = 0; a < r->y; a++)
                sum += r->params[a * r->stride + j];
            c[j] = sum * inv_y;
        }
        double sum = 0.0;
        for (size_t a = 0; a < r->y; a++)
            sum += r->nets[a].a0;
        r->centre.a0 = sum * inv_y;
    }
    double *from[4], *to[4];
    size_t len[4];
    pdx__deep_parts(&r->centre, from, len);
    pdx__deep_parts(t->student.deep, to, len);
    for (size_t q = 0; q < 4; q++)
        memcpy(to[q], from[q], len[q] * sizeof *to[q]);
}

/* 1 if committee c classifies every training example correctly. */
static int rdeep_fits(pdx_trainer *t, const pdx_committee *c)
{
    const pdx_dataset *d = t->data;
    const size_t N = d->N;
    for (size_t mu = 0; mu < d->P; mu++)
        if (pdx__misclassified(pdx_model_forward(c, d->x + mu * N, NULL),
                               d->y[mu]))
            return 0;
    return 1;
}

static void rdeep_note(pdx_trainer *t, rdeep_state *r, double time)
{
    if (!t->classification || !isnan(r->time_to_success))
        return;
    int centre_fits = rdeep_fits(t, &t->student);
    if (centre_fits && isnan(t->time_to_fit))
        t->time_to_fit = time;
    int found = centre_fits;
    for (size_t a = 0; a < r->y && !found; a++)
        found = rdeep_fits(t, &r->rep[a]);
    if (found)
        r->time_to_success = time;
}

static void rdeep_start(pdx_trainer *t)
{
    rdeep_state *r = pdx__family_state(t);
    const pdx_params *p = &t->params;
    pdx_deep *s = t->student.deep;
    const size_t max_y = t->sizes.deep.replicas;
    const size_t stride = (size_t)pdx__deep_param_doubles(&t->sizes);
    double *ws = pdx__family_doubles(t);
    r->y = (size_t)p->train_replica_count;
    assert(r->y >= 1 && r->y <= max_y);
    r->time_to_success = NAN;
    r->rep = (pdx_committee *)(void *)ws;
    r->nets = (pdx_deep *)(void *)(r->rep + max_y);
    ws += rdeep_struct_doubles(max_y);
    r->params = ws;
    r->stride = stride;
    r->n_params = pdx_deep_weight_count(s->N, s->depth, s->width) +
                  (s->depth + 1) * s->width;
    for (size_t a = 0; a < r->y; a++) {
        pdx__deep_view(&r->nets[a], s, ws + a * stride);
        r->rep[a] = t->student;
        r->rep[a].deep = &r->nets[a];
        if (a == 0) {
            double *from[4], *to[4];
            size_t len[4];
            pdx__deep_parts(s, from, len);
            pdx__deep_parts(&r->nets[0], to, len);
            for (size_t q = 0; q < 4; q++)
                memcpy(to[q], from[q], len[q] * sizeof *to[q]);
        } else {
            pdx_rng_stream init;
            pdx_rng_stream_init(&init, t->seed, PDX_RNG_INIT, a, t->replica);
            pdx_deep_init(&r->nets[a], &init, s->N, s->depth, s->width,
                          p->student_activation, p->student_sigma_w2,
                          p->student_sigma_b2);
        }
    }
    pdx__deep_view(&r->centre, s, ws + max_y * stride);
    pdx__deep_step_init(t, &r->step, ws + (max_y + 1) * stride);
    rdeep_centre(t, r, 1);
}

/* theta -= eta (g scale + decay theta + gamma (theta - c)) over n
 * parameters: the deep sgd row's step plus the coupling. */
static void rdeep_descend(double *restrict th, const double *restrict g,
                          const double *restrict c, size_t n, double eta,
                          double scale, double decay, double gamma)
{
    for (size_t j = 0; j < n; j++)
        th[j] -= eta * (g[j] * scale + decay * th[j] + gamma * (th[j] - c[j]));
}

/* One step of every replica on the batch idx[0..b-1], then the centre. */
static int rdeep_step(pdx_trainer *t, rdeep_state *r, const uint32_t *idx,
                      size_t b, double gamma)
{
    const double eta = t->params.train_learning_rate;
    const double decay = t->params.train_weight_decay;
    const int centre = t->params.train_replica_coupling == PDX_COUPLING_CENTRE;
    const double scale = 1.0 / (double)b;
    double *c[4], *g[4];
    size_t len[4];
    pdx__deep_parts(&r->centre, c, len);
    pdx__deep_parts(&r->step.grad, g, len);
    for (size_t a = 0; a < r->y; a++) {
        if (pdx__deep_gradient(t, &r->step, &r->nets[a], idx, b, NULL))
            return 1;
        double *w[4];
        pdx__deep_parts(&r->nets[a], w, len);
        for (size_t q = 0; q < 4; q++)
            rdeep_descend(w[q], g[q], c[q], len[q], eta, scale, decay, gamma);
    }
    if (centre) {
        double *cw = r->centre.w;
        for (size_t j = 0; j < r->n_params; j++) {
            double pull = 0.0;
            for (size_t a = 0; a < r->y; a++)
                pull += r->params[a * r->stride + j] - cw[j];
            cw[j] += eta * gamma * pull;
        }
        double pull = 0.0;
        for (size_t a = 0; a < r->y; a++)
            pull += r->nets[a].a0 - r->centre.a0;
        r->centre.a0 += eta * gamma * pull;
    }
    rdeep_centre(t, r, !centre);
    return 0;
}

static double rdeep_gamma(const pdx_params *p, int64_t epoch)
{
    double gamma = p->train_replica_gamma;
    if (p->train_replica_gamma_growth > 0.0)
        gamma *= pow(1.0 + p->train_replica_gamma_growth, (double)epoch);
    return gamma < p->train_replica_gamma_max ? gamma
                                              : p->train_replica_gamma_max;
}

static int rdeep_iterate(pdx_trainer *t, int64_t until)
{
    rdeep_state *r = pdx__family_state(t);
    const size_t P = t->data->P;
    const size_t B = (size_t)t->params.train_batch < P
                         ? (size_t)t->params.train_batch
                         : P;
    const int stop = t->params.train_replica_stop;
    for (; t->step < until; t->step++) {
        int64_t epoch = t->step / t->steps_per_epoch;
        int64_t pos = t->step % t->steps_per_epoch;
        if (pos == 0)
            rdeep_note(t, r, (double)epoch);
        if (stop && !isnan(r->time_to_success)) {
            t->step = until; /* frozen at the solution */
            break;
        }
        if (epoch != t->perm_epoch)
            pdx__make_perm(t, epoch);
        size_t first = (size_t)pos * B;
        size_t b = first + B <= P ? B : P - first;
        if (rdeep_step(t, r, t->perm + first, b,
                       rdeep_gamma(&t->params, epoch)))
            return 1;
    }
    if (t->step == t->total_steps)
        rdeep_note(t, r, (double)t->step / (double)t->steps_per_epoch);
    return 0;
}

static size_t rdeep_replicas(const pdx_trainer *t,
                             const pdx_committee **replicas,
                             double *time_to_success)
{
    const rdeep_state *r = pdx__family_state_const(t);
    if (replicas != NULL)
        *replicas = r->rep;
    if (time_to_success != NULL)
        *time_to_success = r->time_to_success;
    return r->y;
}

static const pdx__trainer_algorithm rdeep_algorithms[] = {
    {"replicated_sgd", PDX_ALG_REPLICATED_SGD, 0},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_replicated_deep = {
    .family = "replicated_deep",
    .algorithms = rdeep_algorithms,
    .finite = 1,
    .deep = 1,
    .state_bytes = sizeof(rdeep_state),
    .workspace_doubles = rdeep_workspace_doubles,
    .start = rdeep_start,
    .iterate = rdeep_iterate,
    .replicas = rdeep_replicas,
};
