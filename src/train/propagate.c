/* propagate.c — the propagate family: signals through the random deep
 * student at initialisation, no training (train.algorithm propagate).
 *
 * Per hidden layer l = 1 .. L of the student (pdx/model.h, Poole's
 * normalisation), made afresh from the INIT stream one layer at a time
 * (so that depth is not bounded by memory):
 *   q^l   = |h^l_a|^2 / n, the length of input a's pre-activations;
 *   c^l   = h^l_a . h^l_b / (|h^l_a| |h^l_b|), inputs a, b of correlation
 *           propagate.c0;
 *   chi^l = tr(J J^T) / n of the layer's Jacobian J = D W^l (D =
 *           diag g'(h^l_a)) from g(h^(l-1)_a) (x at l = 1) to g(h^l_a),
 *           estimated as (fan_in / n) mean_p |J v_p|^2 / |v_p|^2 over
 *           Gaussian probes v_p (for a Gaussian v, v/|v| is uniform on
 *           the sphere, so each term is unbiased); its mean-field value is
 *           sigma_w2 E[g'(sqrt(q^l) z)^2];
 *   length^l = sum_k |h^l(theta_(k+1)) - h^l(theta_k)| / sqrt(n) over the
 *           images of C = propagate.curve_points points theta_k = 2 pi k/C
 *           of the great circle x(theta) = sqrt(N q0) (u cos theta + u'
 *           sin theta) (closed; Poole et al. 2016's expressivity measure;
 *           the input circle has 2 pi sqrt(q0) C sin(pi/C)/pi).
 * Inputs: u, u' orthonormal (Gram-Schmidt of blocks 0, 1 of the PROBES
 * stream of (seed, replica)), x_a = sqrt(N q0) u, x_b = sqrt(N q0) (c0 u
 * + sqrt(1 - c0^2) u'); probe p of layer l is block (l << 32) | p of the
 * PROBES stream. Every cell of a replica shares them and the weights'
 * Gaussians (common random numbers). The work happens in `start`; the
 * task's steps only count checkpoints. No allocation. */
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "train_internal.h"

typedef struct propagate_state {
    size_t layers; /* measured layers (the cell's depth) */
} propagate_state;

static size_t wider(size_t a, size_t b)
{
    return a > b ? a : b;
}

static double propagate_doubles(const pdx__trainer_sizes *sz)
{
    const pdx_trainer_deep_limits *d = &sz->deep;
    if (d->columns == 0)
        return 0.0;
    double n = (double)d->student_width;
    double m = (double)wider(d->student_width, sz->max_N);
    double cols = (double)d->columns;
    return n * m + n + cols * (2.0 * m + 2.0 * n) +
           4.0 * (double)d->student_depth;
}

/* The workspace's arrays for this task. */
typedef struct propagate_arrays {
    double *W, *b, *X, *H, *V, *U, *q, *c, *chi, *length;
} propagate_arrays;

static propagate_arrays arrays_of(const pdx_trainer *t)
{
    const pdx_trainer_deep_limits *d = &t->sizes.deep;
    const size_t n = d->student_width, m = wider(n, t->sizes.max_N);
    const size_t cols = d->columns, L = d->student_depth;
    propagate_arrays a;
    /* the workspace after the state (pdx__family_doubles) */
    a.W = (double *)((char *)t->family +
                     (sizeof(propagate_state) + 63) / 64 * 64);
    a.b = a.W + n * m;
    a.X = a.b + n;
    a.H = a.X + cols * m;
    a.V = a.H + cols * n;
    a.U = a.V + cols * m;
    a.q = a.U + cols * n;
    a.c = a.q + L;
    a.chi = a.c + L;
    a.length = a.chi + L;
    return a;
}

/* The inputs: x_a, x_b and the C points of the circle, rows of X. */
static void make_inputs(pdx_trainer *t, const pdx_rng_stream *probes,
                        double *X)
{
    const pdx_params *p = &t->params;
    const size_t N = (size_t)p->N, C = (size_t)p->propagate_curve_points;
    double *u = t->x; /* N scratch, then u' in row 1 of X */
    double *v = X + N;
    pdx_rng_gaussian(probes, 0, u, N);
    pdx_rng_gaussian(probes, 1, v, N);
    double uu = pdx_model_dot(u, u, N);
    for (size_t j = 0; j < N; j++)
        u[j] /= sqrt(uu);
    double uv = pdx_model_dot(u, v, N);
    for (size_t j = 0; j < N; j++)
        v[j] -= uv * u[j];
    double vv = pdx_model_dot(v, v, N);
    for (size_t j = 0; j < N; j++)
        v[j] /= sqrt(vv);
    const double r = sqrt((double)N * p->propagate_q0);
    const double c0 = p->propagate_c0, s0 = sqrt(fmax(0.0, 1.0 - c0 * c0));
    for (size_t k = 0; k < C; k++) {
        double theta = 2.0 * M_PI * (double)k / (double)C;
        double *x = X + (2 + k) * N;
        for (size_t j = 0; j < N; j++)
            x[j] = r * (cos(theta) * u[j] + sin(theta) * v[j]);
    }
    for (size_t j = 0; j < N; j++) { /* row 1 holds u' until here */
        double uj = u[j], vj = v[j];
        X[j] = r * uj;
        X[N + j] = r * (c0 * uj + s0 * vj);
    }
}

/* chi of layer l: probes v (fan_in) through J = D W (D = g'(h_a)). */
static double layer_chi(pdx_trainer *t, const pdx_rng_stream *probes,
                        size_t l, const propagate_arrays *a, size_t fan_in,
                        size_t n)
{
    const size_t np = (size_t)t->params.propagate_probes;
    const int g = t->student.activation;
    for (size_t k = 0; k < np; k++)
        pdx_rng_gaussian(probes, ((uint64_t)l << 32) | k, a->V + k * fan_in,
                         fan_in);
    double *zero = a->U + np * n; /* n zeros: no bias */
    memset(zero, 0, n * sizeof *zero);
    pdx_deep_affine(a->W, zero, n, fan_in, a->V, fan_in, np, a->U);
    double sum = 0.0;
    for (size_t k = 0; k < np; k++) {
        double *Jv = a->U + k * n;
        for (size_t i = 0; i < n; i++)
            Jv[i] *= pdx_model_dg(g, a->H[i]); /* row 0: input a */
        sum += pdx_model_dot(Jv, Jv, n) /
               pdx_model_dot(a->V + k * fan_in, a->V + k * fan_in, fan_in);
    }
    return (double)fan_in / (double)n * sum / (double)np;
}

static void propagate_start(pdx_trainer *t)
{
    propagate_state *st = pdx__family_state(t);
    const pdx_params *p = &t->params;
    const size_t N = (size_t)p->N, L = (size_t)p->student_depth;
    const size_t n = (size_t)p->student_width;
    const size_t C = (size_t)p->propagate_curve_points, rows = 2 + C;
    const int g = t->student.activation;
    propagate_arrays a = arrays_of(t);
    pdx_rng_stream init, probes;
    pdx_rng_stream_init(&init, t->seed, PDX_RNG_INIT, 0, t->replica);
    pdx_rng_stream_init(&probes, t->seed, PDX_RNG_PROBES, 0, t->replica);
    make_inputs(t, &probes, a.X);
    for (size_t l = 1; l <= L; l++) {
        const size_t fan_in = l == 1 ? N : n;
        pdx_deep_make_layer(&init, l, fan_in, n, p->student_sigma_w2,
                            p->student_sigma_b2, a.W, a.b);
        pdx_deep_affine(a.W, a.b, n, fan_in, a.X, fan_in, rows, a.H);
        const double *ha = a.H, *hb = a.H + n;
        double aa = pdx_model_dot(ha, ha, n), bb = pdx_model_dot(hb, hb, n);
        a.q[l - 1] = aa / (double)n;
        a.c[l - 1] = pdx_model_dot(ha, hb, n) / sqrt(aa * bb);
        double length = 0.0;
        for (size_t k = 0; k < C; k++) {
            const double *h0 = a.H + (2 + k) * n;
            const double *h1 = a.H + (2 + (k + 1) % C) * n;
            double d2 = 0.0;
            for (size_t i = 0; i < n; i++)
                d2 += (h1[i] - h0[i]) * (h1[i] - h0[i]);
            length += sqrt(d2);
        }
        a.length[l - 1] = length / sqrt((double)n);
        a.chi[l - 1] = layer_chi(t, &probes, l, &a, fan_in, n);
        pdx_model_g_many(g, a.H, a.X, rows * n); /* next layer's input */
    }
    st->layers = L;
}

static int propagate_iterate(pdx_trainer *t, int64_t until)
{
    t->step = until; /* the work was done in start */
    return 0;
}

static size_t propagate_layers(const pdx_trainer *t, const double **q,
                               const double **c, const double **chi,
                               const double **length)
{
    const propagate_state *st = pdx__family_state_const(t);
    propagate_arrays a = arrays_of(t);
    if (q != NULL)
        *q = a.q;
    if (c != NULL)
        *c = a.c;
    if (chi != NULL)
        *chi = a.chi;
    if (length != NULL)
        *length = a.length;
    return st->layers;
}

static const pdx__trainer_algorithm propagate_algorithms[] = {
    {"propagate", PDX_ALG_PROPAGATE, 0},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_propagate = {
    .family = "propagate",
    .algorithms = propagate_algorithms,
    .finite = 0,
    .deep = 1,
    .state_bytes = sizeof(propagate_state),
    .workspace_doubles = propagate_doubles,
    .start = propagate_start,
    .iterate = propagate_iterate,
    .layers = propagate_layers,
};
