/* model_deep.c — deep fully connected networks (pdx/model.h): Poole's
 * normalisation, initialisation from a counter-based stream, forward
 * passes of one input or a batch, backpropagation.
 *
 * Weights are stored transposed (W^T, fan_in x width), so that the
 * affine map of a batch is an outer-product kernel over the output units:
 * every pre-activation is a sum over its inputs in order from +0 (a lane
 * of a vector or the scalar tail: the same operations). The gradient of a
 * weight sums over the batch in order, a backpropagated error is
 * pdx_model_dot_rows over the units above (eight partial sums combined
 * pairwise). No BLAS library: see the README's Speed section. */
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

/* C[r][i] = sum_k A(r, k) M[k][i] (+ bias[i] after the sum), k ascending
 * from +0, for rows r < R (<= 6) of A = A + r sr + k sk and the n columns
 * of M (K x n, row-major): 8 columns at a time in vectors, R rows sharing
 * each load of M. Column i's sum has the same operations in a vector lane
 * as in the scalar tail, so the bits do not depend on the vector width,
 * on R or on where a batch starts. */
static inline void product_block(const double *A, size_t sr, size_t sk,
                                 int R, const double *M, size_t K, size_t n,
                                 const double *bias, double *C, size_t ldc)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        pdx_vd acc[6][PDX_VN];
        for (int r = 0; r < 6; r++)
            for (int h = 0; h < PDX_VN; h++)
                acc[r][h] = (pdx_vd){0};
        for (size_t k = 0; k < K; k++) {
            pdx_vd m[PDX_VN];
            for (int h = 0; h < PDX_VN; h++)
                m[h] = pdx_vd_load(M + k * n + i + (size_t)h * PDX_VW);
            for (int r = 0; r < R; r++) {
                const double a = A[(size_t)r * sr + k * sk];
                for (int h = 0; h < PDX_VN; h++)
                    acc[r][h] += a * m[h];
            }
        }
        for (int r = 0; r < R; r++)
            for (int h = 0; h < PDX_VN; h++) {
                pdx_vd v = acc[r][h];
                if (bias != NULL)
                    v += pdx_vd_load(bias + i + (size_t)h * PDX_VW);
                pdx_vd_store(C + (size_t)r * ldc + i + (size_t)h * PDX_VW, v);
            }
    }
    for (; i < n; i++)
        for (int r = 0; r < R; r++) {
            double acc = 0.0;
            for (size_t k = 0; k < K; k++)
                acc += A[(size_t)r * sr + k * sk] * M[k * n + i];
            C[(size_t)r * ldc + i] = bias != NULL ? acc + bias[i] : acc;
        }
}

/* C (rows x n) = A (rows x K, strides sr, sk) M (K x n) (+ bias). */
static void product(const double *A, size_t sr, size_t sk, size_t rows,
                    const double *M, size_t K, size_t n, const double *bias,
                    double *C)
{
    size_t r = 0;
    for (; r + 6 <= rows; r += 6)
        product_block(A + r * sr, sr, sk, 6, M, K, n, bias, C + r * n, n);
    if (rows - r == 5)
        product_block(A + r * sr, sr, sk, 5, M, K, n, bias, C + r * n, n);
    else if (rows - r == 4)
        product_block(A + r * sr, sr, sk, 4, M, K, n, bias, C + r * n, n);
    else if (rows - r == 3)
        product_block(A + r * sr, sr, sk, 3, M, K, n, bias, C + r * n, n);
    else if (rows - r == 2)
        product_block(A + r * sr, sr, sk, 2, M, K, n, bias, C + r * n, n);
    else if (rows - r == 1)
        product_block(A + r * sr, sr, sk, 1, M, K, n, bias, C + r * n, n);
}

void pdx_deep_affine(const double *W, const double *bias, size_t n_out,
                     size_t fan_in, const double *in, size_t ld_in, size_t B,
                     double *out)
{
    product(in, ld_in, 1, B, W, fan_in, n_out, bias, out);
}

/* ---- activations of deep nets ----
 * tanh is pdx's own, vectorised: tanh x = sign(x) e/(e + 2) with e =
 * expm1(2|x|) from a degree-13 Taylor polynomial of expm1 on |r| <=
 * ln2/2 after y = k ln2 + r (ln2 in two parts), within 2 ulp of libm's
 * (tests/test_deep.c), the same bits in every build and with every libm.
 * (Committee machines keep libm's tanh, so their results stay as they
 * were.) The other activations are pdx_model_g's. */
/* |tanh(x)| from y = min(2|x|, 40) (tanh(20) = 1 in double; the clamp
 * is a loop of its own: in this one GCC 12 does not vectorise it) */
static inline double deep_tanh_abs(double y)
{
    const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
    const double magic = 0x1.8p52; /* integers have spacing 1 around it */
    /* k = round(y / ln2) as a double and as the bits of k + magic */
    double km = y * 1.4426950408889634 + magic;
    uint64_t kbits;
    memcpy(&kbits, &km, sizeof kbits);
    double k = km - magic;
    double r = (y - k * ln2_hi) - k * ln2_lo;
    double p = 1.0 / 6227020800.0; /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r * r + r; /* expm1(r) */
    /* 2^k: k (0 .. 58) is the low bits of kbits; the magic's are 0 */
    uint64_t bits = ((kbits & 0xFFFFu) + 1023u) << 52;
    double two_k;
    memcpy(&two_k, &bits, sizeof two_k);
    double e = two_k * p + (two_k - 1.0); /* expm1(y) */
    return e / (e + 2.0);
}

void pdx_deep_g_many(int activation, const double *z, double *out, size_t n)
{
    if (activation == PDX_ACT_TANH) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            double y = 2.0 * fabs(z[i]);
            out[i] = isless(y, 40.0) ? y : 40.0;
        }
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            double t = copysign(deep_tanh_abs(out[i]), z[i]);
            out[i] = isnan(z[i]) ? z[i] : t;
        }
        return;
    }
    pdx_model_g_many(activation, z, out, n);
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
    double *d = delta, *below = delta + B * n;
    /* readout: grad a_i = sum_r dyhat_r g(h^L_r)_i, grad a_0 = sum_r
     * dyhat_r (r ascending from +0) */
    const double *top = act + (L - 1) * B * n;
    product(dyhat, 0, 1, 1, top, B, n, NULL, grad->a);
    double a0 = 0.0;
    for (size_t r = 0; r < B; r++)
        a0 += dyhat[r];
    grad->a0 = a0;
    layer_dg(g, drop, h + (L - 1) * B * n, top, d, B * n);
    for (size_t r = 0; r < B; r++)
        for (size_t i = 0; i < n; i++)
            d[r * n + i] *= dyhat[r] * net->a[i];
    if (drop != NULL)
        apply_dropout(drop, L, B * n, below, d);
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
        /* below[r][j] = sum_i W^T[j][i] d[r][i], times g'(h^(l-1)) */
        const double *Wt = net->w + layer_offset(N, n, l);
        for (size_t r = 0; r < B; r++)
            pdx_model_dot_rows(Wt, n, n, d + r * n, n, below + r * n);
        const double *hb = h + (l - 2) * B * n, *ab = act + (l - 2) * B * n;
        double *dg = d; /* d is spent: its room takes g'(h^(l-1)) */
        layer_dg(g, drop, hb, ab, dg, B * n);
        for (size_t k = 0; k < B * n; k++)
            below[k] *= dg[k];
        if (drop != NULL)
            apply_dropout(drop, l - 1, B * n, d, below);
        double *t = d;
        d = below;
        below = t;
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
