/* model_deep.c — deep fully connected networks (pdx/model.h): Poole's
 * normalisation, initialisation from a counter-based stream, forward
 * passes of one input or a batch, backpropagation.
 *
 * Weights are stored transposed (W^T, fan_in x width), so that the
 * affine map of a batch is one matrix kernel (product() below: register
 * tiles of fused multiply-adds) over the output units: every
 * pre-activation is a chain of fma() over its inputs in order from +0,
 * then its bias (a lane of a vector or the scalar tail: the same
 * operations, so the same bits in every build). A weight's gradient is
 * the same kernel summing over the batch in order; the errors of the
 * layer below are the kernel's W^T dT with the batch as its columns
 * (each a chain over the units above in order). No BLAS library: see the
 * README's Speed section (D1). */
#include "pdx/model.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vec8.h"

#define LAYER_BLOCK(l, i) (((uint64_t)(l) << 32) | (uint64_t)(i))
#define BIAS_ROW 0xFFFFFFFFu

size_t pdx_deep_weight_count(size_t N, size_t depth, size_t width)
{
    return width * N + (depth > 0 ? depth - 1 : 0) * width * width;
}

double pdx_deep_bytes(size_t max_N, size_t max_depth, size_t max_width)
{
    double n = (double)max_width, L = (double)max_depth;
    double weights = n * (double)max_N + (L > 1 ? L - 1 : 0) * n * n;
    double work = 2.0 * PDX_DEEP_BLOCK * (n > (double)max_N ? n : (double)max_N);
    return 8.0 * (weights + L * n + n + work) + (double)sizeof(pdx_deep);
}

pdx_status pdx_deep_create(pdx_deep **out, size_t max_N, size_t max_depth,
                           size_t max_width, pdx_error *err)
{
    *out = NULL;
    pdx_deep *net = calloc(1, sizeof *net);
    if (net != NULL) {
        net->max_weights = pdx_deep_weight_count(max_N, max_depth, max_width);
        net->max_depth = max_depth;
        net->max_width = max_width;
        net->w = pdx_alloc_doubles(net->max_weights);
        net->b = pdx_alloc_doubles(max_depth * max_width);
        net->a = pdx_alloc_doubles(max_width);
        net->work = pdx_alloc_doubles(
            2 * PDX_DEEP_BLOCK * (max_width > max_N ? max_width : max_N));
        if (net->w != NULL && net->b != NULL && net->a != NULL &&
            net->work != NULL) {
            *out = net;
            return PDX_OK;
        }
        pdx_deep_destroy(&net);
    }
    return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                         "cannot allocate a deep network of %.0f bytes",
                         pdx_deep_bytes(max_N, max_depth, max_width));
}

void pdx_deep_destroy(pdx_deep **net)
{
    if (net == NULL || *net == NULL)
        return;
    free((*net)->w);
    free((*net)->b);
    free((*net)->a);
    free((*net)->work);
    free(*net);
    *net = NULL;
}

void pdx_deep_make_layer(const pdx_rng_stream *stream, size_t l,
                         size_t fan_in, size_t width, double sigma_w2,
                         double sigma_b2, double *W, double *b)
{
    const double sw = sqrt(sigma_w2 / (double)fan_in), sb = sqrt(sigma_b2);
    double *row = b; /* unit i's incoming weights, then the biases */
    for (size_t i = 0; i < width; i++) {
        pdx_rng_gaussian(stream, LAYER_BLOCK(l, i), row, fan_in);
        for (size_t j = 0; j < fan_in; j++)
            W[j * width + i] = row[j] * sw; /* W^T: fan_in x width */
    }
    pdx_rng_gaussian(stream, LAYER_BLOCK(l, BIAS_ROW), b, width);
    for (size_t i = 0; i < width; i++)
        b[i] *= sb;
}

/* Offset of W^l (1-based) in net->w. */
static size_t layer_offset(size_t N, size_t width, size_t l)
{
    return l == 1 ? 0 : width * N + (l - 2) * width * width;
}

void pdx_deep_init(pdx_deep *net, const pdx_rng_stream *stream, size_t N,
                   size_t depth, size_t width, int activation,
                   double sigma_w2, double sigma_b2)
{
    assert(depth <= net->max_depth && width <= net->max_width &&
           pdx_deep_weight_count(N, depth, width) <= net->max_weights);
    net->N = N;
    net->depth = depth;
    net->width = width;
    net->activation = activation;
    net->sigma_w2 = sigma_w2;
    net->sigma_b2 = sigma_b2;
    for (size_t l = 1; l <= depth; l++) {
        /* make_layer needs fan_in doubles of scratch in b: the work
         * array holds 2 width x PDX_DEEP_BLOCK >= N doubles */
        double *b = net->b + (l - 1) * width;
        size_t fan_in = l == 1 ? N : width;
        double *scratch = fan_in <= width ? b : net->work;
        pdx_deep_make_layer(stream, l, fan_in, width, sigma_w2, sigma_b2,
                            net->w + layer_offset(N, width, l), scratch);
        if (scratch != b)
            memcpy(b, scratch, width * sizeof *b);
    }
    pdx_rng_gaussian(stream, 0, net->a, width);
    const double sa = sqrt(sigma_w2 / (double)width);
    for (size_t i = 0; i < width; i++)
        net->a[i] *= sa;
    pdx_rng_gaussian(stream, BIAS_ROW, &net->a0, 1);
    net->a0 *= sqrt(sigma_b2);
}

/* ---- the matrix kernel ----
 * C[r][i] = (sum_k A(r, k) M[k][i]) + bias[i] for the rows r of A = A +
 * r sr + k sk (any strides: A's numbers are broadcast one at a time) and
 * the n columns of M (K x n, row-major, leading size ldm): each sum a
 * chain of fused multiply-adds, k ascending from +0, then the bias added.
 * Tiles of R <= 6 rows x V native vectors of columns keep 6 V sums in
 * registers (12 of the 16 AVX2 registers: each broadcast number feeds V
 * FMAs, each loaded vector of M R of them); the columns left over go one
 * vector, then one number (C's fma(), the same operation) at a time. A
 * sum has the same operations wherever its tile starts, whatever R and V
 * are and in every vector width, so the bits do not depend on the batch,
 * on where it was cut, or on the machine. */
#define TILE_ROWS 6
#define TILE_V 2 /* vectors of columns per tile: 8 (AVX2), 16 (AVX-512) */

static inline __attribute__((always_inline)) void
tile(const double *A, size_t sr, size_t sk, const int R, const int V,
     const double *M, size_t ldm, size_t K, const double *bias, double *C,
     size_t ldc)
{
    pdx_vd acc[TILE_ROWS][TILE_V];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++)
            acc[r][v] = (pdx_vd){0};
    /* unrolled: the loop's own instructions were a tenth of the tile's
     * time (forward passes 10 % faster; the same operations) */
#pragma GCC unroll 4
    for (size_t k = 0; k < K; k++) {
        pdx_vd m[TILE_V];
        for (int v = 0; v < V; v++)
            m[v] = pdx_vd_load(M + k * ldm + (size_t)v * PDX_VW);
        for (int r = 0; r < R; r++) {
            const pdx_vd a = pdx_vd_bcast(A + (size_t)r * sr + k * sk);
            for (int v = 0; v < V; v++)
                acc[r][v] = pdx_vd_fma(a, m[v], acc[r][v]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) {
            pdx_vd c = acc[r][v];
            if (bias != NULL)
                c += pdx_vd_load(bias + (size_t)v * PDX_VW);
            pdx_vd_store(C + (size_t)r * ldc + (size_t)v * PDX_VW, c);
        }
}

/* The rows of one strip of V vectors of columns: tiles of 6 rows, then
 * the rest in one tile (R a constant in each call, so that the tile's
 * loops unroll and its sums stay in registers). */
static inline __attribute__((always_inline)) void
strip(const double *A, size_t sr, size_t sk, size_t rows, const int V,
      const double *M, size_t ldm, size_t K, const double *bias, double *C,
      size_t ldc)
{
    size_t r = 0;
    for (; r + TILE_ROWS <= rows; r += TILE_ROWS)
        tile(A + r * sr, sr, sk, TILE_ROWS, V, M, ldm, K, bias, C + r * ldc,
             ldc);
    A += r * sr;
    C += r * ldc;
    switch (rows - r) {
    case 5: tile(A, sr, sk, 5, V, M, ldm, K, bias, C, ldc); break;
    case 4: tile(A, sr, sk, 4, V, M, ldm, K, bias, C, ldc); break;
    case 3: tile(A, sr, sk, 3, V, M, ldm, K, bias, C, ldc); break;
    case 2: tile(A, sr, sk, 2, V, M, ldm, K, bias, C, ldc); break;
    case 1: tile(A, sr, sk, 1, V, M, ldm, K, bias, C, ldc); break;
    default: break;
    }
}

/* C (rows x n, leading size n) = A (rows x K, strides sr, sk) M (K x n)
 * (+ bias). Column strips outermost: a strip of M (K x 8 numbers with
 * AVX2) stays in the L1 cache while every row passes over it. */
static void product(const double *A, size_t sr, size_t sk, size_t rows,
                    const double *M, size_t K, size_t n, const double *bias,
                    double *C)
{
    size_t i = 0;
    for (; i + TILE_V * PDX_VW <= n; i += TILE_V * PDX_VW)
        strip(A, sr, sk, rows, TILE_V, M + i, n, K,
              bias != NULL ? bias + i : NULL, C + i, n);
    for (; i + PDX_VW <= n; i += PDX_VW)
        strip(A, sr, sk, rows, 1, M + i, n, K,
              bias != NULL ? bias + i : NULL, C + i, n);
    for (; i < n; i++)
        for (size_t r = 0; r < rows; r++) {
            double acc = 0.0;
            for (size_t k = 0; k < K; k++)
                acc = fma(A[r * sr + k * sk], M[k * n + i], acc);
            C[r * n + i] = bias != NULL ? acc + bias[i] : acc;
        }
}

void pdx_deep_affine(const double *W, const double *bias, size_t n_out,
                     size_t fan_in, const double *in, size_t ld_in, size_t B,
                     double *out)
{
    product(in, ld_in, 1, B, W, fan_in, n_out, bias, out);
}

/* ---- activations of deep nets ----
 * tanh is pdx's own, on native vectors: tanh x = sign(x) e/(e + 2) with
 * e = expm1(2|x|) from a degree-13 Taylor polynomial of expm1 on |r| <=
 * ln2/2 after y = k ln2 + r (ln2 in two parts), fused multiply-adds
 * throughout (pdx_vd_fma: the same bits in every build, with or without
 * an FMA unit, and with every libm), within 2 ulp of libm's at the
 * 20,001 points of tests/test_deep.c and within 4 ulp on 12.6 million
 * points of (-22, 22) (near |x| = 0.25, where e's error is ~1 ulp of t:
 * the formula's, the Horner form of the same polynomial did the same). Lanes are independent; a tail of fewer than one
 * vector goes through the same code padded with zeros, so an element's
 * bits do not depend on where it sits. (Committee machines keep libm's
 * tanh, so their results stay as they were.) The other activations are
 * pdx_model_g's. */
typedef int64_t deep_vi __attribute__((vector_size(PDX_VW * sizeof(int64_t))));

/* TANH_U vectors at a time, step by step in lockstep: each step's
 * operations are independent, so the core overlaps the long chains
 * (polynomial, division) of several vectors. */
#define TANH_U 4

static inline __attribute__((always_inline)) void
deep_tanh_vecs(const pdx_vd *x, pdx_vd *out)
{
    const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
    const double magic = 0x1.8p52; /* integers have spacing 1 around it */
    const deep_vi sign = (deep_vi)pdx_vd_splat(-0.0);
    const pdx_vd forty = pdx_vd_splat(40.0);
    /* 1/(i + 2)!: expm1(r) = r + r^2 sum_i c_i r^i */
    static const double c[12] = {
        0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0,
        1.0 / 40320.0, 1.0 / 362880.0, 1.0 / 3628800.0, 1.0 / 39916800.0,
        1.0 / 479001600.0, 1.0 / 6227020800.0};
    pdx_vd y[TANH_U], km[TANH_U], r[TANH_U], r2[TANH_U], r4[TANH_U];
    pdx_vd q[TANH_U][6], e[TANH_U];
    for (int u = 0; u < TANH_U; u++) {
        y[u] = (pdx_vd)((deep_vi)x[u] & ~sign);
        y[u] += y[u];
        /* y = min(2|x|, 40) (tanh(20) = 1 in double); NaN goes to 40,
         * and is put back at the end */
        deep_vi small = y[u] < forty;
        y[u] = (pdx_vd)(((deep_vi)y[u] & small) | ((deep_vi)forty & ~small));
        /* k = round(y / ln2) as a double and as the bits of k + magic */
        km[u] = pdx_vd_fma(y[u], pdx_vd_splat(1.4426950408889634),
                           pdx_vd_splat(magic));
    }
    for (int u = 0; u < TANH_U; u++) {
        pdx_vd k = km[u] - magic;
        r[u] = pdx_vd_fma(k, pdx_vd_splat(-ln2_hi), y[u]);
        r[u] = pdx_vd_fma(k, pdx_vd_splat(-ln2_lo), r[u]);
        r2[u] = r[u] * r[u];
    }
    /* the polynomial by Estrin's scheme (a chain of 5 operations, not 12) */
    for (int u = 0; u < TANH_U; u++) {
        r4[u] = r2[u] * r2[u];
        for (int i = 0; i < 6; i++)
            q[u][i] = pdx_vd_fma(pdx_vd_splat(c[2 * i + 1]), r[u],
                                 pdx_vd_splat(c[2 * i]));
    }
    for (int u = 0; u < TANH_U; u++)
        for (int i = 0; i < 3; i++)
            q[u][i] = pdx_vd_fma(q[u][2 * i + 1], r2[u], q[u][2 * i]);
    for (int u = 0; u < TANH_U; u++) {
        pdx_vd r8 = r4[u] * r4[u];
        pdx_vd p = pdx_vd_fma(q[u][1], r4[u], q[u][0]);
        p = pdx_vd_fma(q[u][2], r8, p);
        p = pdx_vd_fma(r2[u], p, r[u]); /* expm1(r) */
        /* 2^k: k (0 .. 58) is the low bits of km's; the magic's are 0 */
        pdx_vd two_k = (pdx_vd)((((deep_vi)km[u] & 0xFFFF) + 1023) << 52);
        e[u] = pdx_vd_fma(two_k, p, two_k - 1.0); /* expm1(y) */
    }
    for (int u = 0; u < TANH_U; u++) {
        pdx_vd t = e[u] / (e[u] + 2.0);
        t = (pdx_vd)((deep_vi)t | ((deep_vi)x[u] & sign));
        deep_vi number = x[u] == x[u];
        out[u] = (pdx_vd)(((deep_vi)t & number) | ((deep_vi)x[u] & ~number));
    }
}

void pdx_deep_g_many(int activation, const double *z, double *out, size_t n)
{
    if (activation != PDX_ACT_TANH) {
        pdx_model_g_many(activation, z, out, n);
        return;
    }
    pdx_vd x[TANH_U], t[TANH_U];
    size_t i = 0;
    for (; i + TANH_U * PDX_VW <= n; i += TANH_U * PDX_VW) {
        for (int u = 0; u < TANH_U; u++)
            x[u] = pdx_vd_load(z + i + (size_t)u * PDX_VW);
        deep_tanh_vecs(x, t);
        for (int u = 0; u < TANH_U; u++)
            pdx_vd_store(out + i + (size_t)u * PDX_VW, t[u]);
    }
    if (i < n) { /* the rest padded with zeros: the same operations */
        double pad[TANH_U * PDX_VW] = {0};
        memcpy(pad, z + i, (n - i) * sizeof *pad);
        for (int u = 0; u < TANH_U; u++)
            x[u] = pdx_vd_load(pad + (size_t)u * PDX_VW);
        deep_tanh_vecs(x, t);
        for (int u = 0; u < TANH_U; u++)
            pdx_vd_store(pad + (size_t)u * PDX_VW, t[u]);
        memcpy(out + i, pad, (n - i) * sizeof *pad);
    }
}

/* g'(z) from z and g(z): 1 - g^2 for tanh, g (1 - g) for sigmoid (the
 * bits of pdx_model_dg's formulas from the same g), else pdx_model_dg. */
static void dg_many(int activation, const double *z, const double *g,
                    double *out, size_t n)
{
    if (activation == PDX_ACT_TANH) {
        for (size_t i = 0; i < n; i++)
            out[i] = 1.0 - g[i] * g[i];
    } else if (activation == PDX_ACT_SIGMOID) {
        for (size_t i = 0; i < n; i++)
            out[i] = g[i] * (1.0 - g[i]);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = pdx_model_dg(activation, z[i]);
    }
}

void pdx_deep_outputs(const pdx_deep *net, const double *x, size_t B,
                      double *yhat)
{
    const size_t n = net->width, N = net->N;
    for (size_t first = 0; first < B; first += PDX_DEEP_BLOCK) {
        size_t b = B - first < PDX_DEEP_BLOCK ? B - first : PDX_DEEP_BLOCK;
        double *h = net->work, *g = net->work + PDX_DEEP_BLOCK * n;
        const double *in = x + first * N;
        for (size_t l = 1; l <= net->depth; l++) {
            size_t fan_in = l == 1 ? N : n;
            pdx_deep_affine(net->w + layer_offset(N, n, l),
                            net->b + (l - 1) * n, n, fan_in, in, fan_in, b,
                            h);
            pdx_deep_g_many(net->activation, h, g, b * n);
            in = g;
        }
        for (size_t r = 0; r < b; r++)
            yhat[first + r] = pdx_model_dot(net->a, g + r * n, n) + net->a0;
    }
}

double pdx_deep_forward(const pdx_deep *net, const double *x)
{
    double y;
    pdx_deep_outputs(net, x, 1, &y);
    return y;
}

/* Multiply the B n values v of layer l by that layer's dropout mask
 * (drawn into scratch, B n doubles). */
static void apply_dropout(const pdx_deep_dropout *drop, size_t l, size_t Bn,
                          double *scratch, double *v)
{
    pdx_rng_uniform(&drop->stream, (drop->step << 20) | (uint64_t)(l - 1),
                    scratch, Bn);
    pdx_model_dropout_mask(scratch, Bn, drop->rate, scratch);
    for (size_t k = 0; k < Bn; k++)
        v[k] *= scratch[k];
}

void pdx_deep_forward_batch(const pdx_deep *net, const double *x, size_t B,
                            double *h, double *act, double *yhat)
{
    pdx_deep_forward_batch_dropout(net, x, B, NULL, NULL, h, act, yhat);
}

void pdx_deep_forward_batch_dropout(const pdx_deep *net, const double *x,
                                    size_t B, const pdx_deep_dropout *drop,
                                    double *scratch, double *h, double *act,
                                    double *yhat)
{
    const size_t n = net->width, N = net->N;
    for (size_t l = 1; l <= net->depth; l++) {
        size_t fan_in = l == 1 ? N : n;
        const double *in = l == 1 ? x : act + (l - 2) * B * n;
        double *hl = h + (l - 1) * B * n;
        pdx_deep_affine(net->w + layer_offset(N, n, l),
                        net->b + (l - 1) * n, n, fan_in, in, fan_in, B, hl);
        pdx_deep_g_many(net->activation, hl, act + (l - 1) * B * n, B * n);
        if (drop != NULL)
            apply_dropout(drop, l, B * n, scratch, act + (l - 1) * B * n);
    }
    const double *top = act + (net->depth - 1) * B * n;
    for (size_t r = 0; r < B; r++)
        yhat[r] = pdx_model_dot(net->a, top + r * n, n) + net->a0;
}

void pdx_deep_backward_batch(const pdx_deep *net, const double *x, size_t B,
                             const double *h, const double *act,
                             const double *dyhat, pdx_deep *grad,
                             double *delta)
{
    pdx_deep_backward_batch_dropout(net, x, B, h, act, dyhat, NULL, grad,
                                    delta);
}

/* g'(z) of layer l into out: from g (dg_many) without dropout; from z
 * alone with it, since act then holds the masked g. */
static void layer_dg(int activation, const pdx_deep_dropout *drop,
                     const double *z, const double *g, double *out, size_t n)
{
    if (drop == NULL) {
        dg_many(activation, z, g, out, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = pdx_model_dg(activation, z[i]);
}

void pdx_deep_backward_batch_dropout(const pdx_deep *net, const double *x,
                                     size_t B, const double *h,
                                     const double *act, const double *dyhat,
                                     const pdx_deep_dropout *drop,
                                     pdx_deep *grad, double *delta)
{
    const size_t n = net->width, N = net->N, L = net->depth;
    const int g = net->activation;
    double *d = delta;
    /* readout: grad a_i = sum_r dyhat_r g(h^L_r)_i, grad a_0 = sum_r
     * dyhat_r (r ascending from +0) */
    const double *top = act + (L - 1) * B * n;
    product(dyhat, 0, 1, 1, top, B, n, NULL, grad->a);
    double a0 = 0.0;
    for (size_t r = 0; r < B; r++)
        a0 += dyhat[r];
    grad->a0 = a0;
    /* d (B x n, row-major) for the weight gradients, its transpose dT
     * (n x B) for the errors of the layer below: bT = W^T dT is then the
     * matrix kernel's product with the batch as its columns; with
     * dropout, the layer's mask (drawn again) multiplies d, its draws
     * going to a spent buffer */
    double *dT = d + B * n, *bT = d + 2 * B * n;
    layer_dg(g, drop, h + (L - 1) * B * n, top, d, B * n);
    for (size_t r = 0; r < B; r++)
        for (size_t i = 0; i < n; i++)
            d[r * n + i] = d[r * n + i] * (dyhat[r] * net->a[i]);
    if (drop != NULL)
        apply_dropout(drop, L, B * n, bT, d);
    for (size_t r = 0; r < B; r++)
        for (size_t i = 0; i < n; i++)
            dT[i * B + r] = d[r * n + i];
    for (size_t l = L; l >= 1; l--) {
        size_t fan_in = l == 1 ? N : n;
        const double *in = l == 1 ? x : act + (l - 2) * B * n;
        /* grad W^T[j][i] = sum_r in[r][j] d[r][i]; grad b_i = sum_r d[r][i] */
        product(in, 1, fan_in, fan_in, d, B, n, NULL,
                grad->w + layer_offset(N, n, l));
        double *gb = grad->b + (l - 1) * n;
        for (size_t i = 0; i < n; i++)
            gb[i] = 0.0;
        for (size_t r = 0; r < B; r++)
            for (size_t i = 0; i < n; i++)
                gb[i] += d[r * n + i];
        if (l == 1)
            break;
        /* bT[j][r] = sum_i W^T[j][i] dT[i][r] (W^T's rows broadcast), then
         * the errors below, times g'(h^(l-1)) (and the mask of layer l-1),
         * in both layouts (d and dT are spent: d's room takes g'(h^(l-1))
         * first, dT's the mask's draws) */
        product(net->w + layer_offset(N, n, l), n, 1, n, dT, n, B, NULL, bT);
        layer_dg(g, drop, h + (l - 2) * B * n, act + (l - 2) * B * n, d,
                 B * n);
        for (size_t r = 0; r < B; r++)
            for (size_t j = 0; j < n; j++)
                d[r * n + j] = bT[j * B + r] * d[r * n + j];
        if (drop != NULL)
            apply_dropout(drop, l - 1, B * n, dT, d);
        for (size_t r = 0; r < B; r++)
            for (size_t j = 0; j < n; j++)
                dT[j * B + r] = d[r * n + j];
    }
}

int pdx_deep_check(const pdx_deep *net, double limit)
{
    const size_t n = net->width, N = net->N;
    for (size_t l = 1; l <= net->depth; l++) {
        size_t fan_in = l == 1 ? N : n;
        const double *W = net->w + layer_offset(N, n, l);
        double sum = 0.0;
        for (size_t k = 0; k < n * fan_in; k++)
            sum += W[k] * W[k];
        if (!isfinite(sum) || sum / (double)n > limit)
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(net->b[(l - 1) * n + i]))
                return 0;
    }
    double s = pdx_model_dot(net->a, net->a, n);
    return isfinite(s) && isfinite(net->a0) && s <= limit;
}

double pdx_deep_input_gradient(const pdx_deep *net, const double *x,
                               double *h, double *act, double *delta,
                               double *grad)
{
    const size_t n = net->width, N = net->N, L = net->depth;
    const int g = net->activation;
    double y;
    pdx_deep_forward_batch(net, x, 1, h, act, &y);
    double *d = delta, *below = delta + n;
    /* d f / d h^L_i = a_i g'(h^L_i) */
    dg_many(g, h + (L - 1) * n, act + (L - 1) * n, d, n);
    for (size_t i = 0; i < n; i++)
        d[i] *= net->a[i];
    for (size_t l = L; l >= 2; l--) {
        /* below_j = sum_i W^l_ij d_i, times g'(h^(l-1)_j) */
        pdx_model_dot_rows(net->w + layer_offset(N, n, l), n, n, d, n, below);
        dg_many(g, h + (l - 2) * n, act + (l - 2) * n, d, n);
        for (size_t j = 0; j < n; j++)
            below[j] *= d[j];
        double *t = d;
        d = below;
        below = t;
    }
    /* d f / d x_j = sum_i W^1_ij d_i ((W^1)^T is N x n) */
    pdx_model_dot_rows(net->w, N, n, d, n, grad);
    return y;
}
