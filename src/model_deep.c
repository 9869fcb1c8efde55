/* model_deep.c — deep fully connected networks (pdx/model.h): Poole's
 * normalisation, initialisation from a counter-based stream, forward
 * passes of one input or a batch, backpropagation.
 *
 * Every sum runs in a fixed order: an affine map is pdx_model_dot_rows
 * (eight partial sums combined pairwise), the gradient of a weight sums
 * over the batch in order from +0, the backpropagated error of a unit
 * sums over the units of the layer above in order. No BLAS: at the widths
 * of the shipped sweeps (n <= 256, batches of 16) these kernels measured
 * within reach of OpenBLAS (docs/TRAINERS.md, "Deep networks"), and their
 * bits do not depend on the library's build or the CPU it dispatches to. */
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
    return 8.0 * (weights + L * n + 3.0 * n) + (double)sizeof(pdx_deep);
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
        net->work = pdx_alloc_doubles(2 * max_width);
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
    for (size_t i = 0; i < width; i++) {
        double *row = W + i * fan_in;
        pdx_rng_gaussian(stream, LAYER_BLOCK(l, i), row, fan_in);
        for (size_t j = 0; j < fan_in; j++)
            row[j] *= sw;
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
    for (size_t l = 1; l <= depth; l++)
        pdx_deep_make_layer(stream, l, l == 1 ? N : width, width, sigma_w2,
                            sigma_b2, net->w + layer_offset(N, width, l),
                            net->b + (l - 1) * width);
    pdx_rng_gaussian(stream, 0, net->a, width);
    const double sa = sqrt(sigma_w2 / (double)width);
    for (size_t i = 0; i < width; i++)
        net->a[i] *= sa;
    pdx_rng_gaussian(stream, BIAS_ROW, &net->a0, 1);
    net->a0 *= sqrt(sigma_b2);
}

void pdx_deep_affine(const double *W, const double *bias, size_t n_out,
                     size_t fan_in, const double *in, size_t ld_in, size_t B,
                     double *out)
{
    for (size_t r = 0; r < B; r++) {
        double *o = out + r * n_out;
        pdx_model_dot_rows(W, n_out, fan_in, in + r * ld_in, fan_in, o);
        for (size_t i = 0; i < n_out; i++)
            o[i] += bias[i];
    }
}

double pdx_deep_forward(const pdx_deep *net, const double *x)
{
    const size_t n = net->width, N = net->N;
    double *h = net->work, *g = net->work + n;
    const double *in = x;
    for (size_t l = 1; l <= net->depth; l++) {
        size_t fan_in = l == 1 ? N : n;
        pdx_deep_affine(net->w + layer_offset(N, n, l),
                        net->b + (l - 1) * n, n, fan_in, in, fan_in, 1, h);
        pdx_model_g_many(net->activation, h, g, n);
        in = g;
    }
    return pdx_model_dot(net->a, g, n) + net->a0;
}

void pdx_deep_forward_batch(const pdx_deep *net, const double *x, size_t B,
                            double *h, double *act, double *yhat)
{
    const size_t n = net->width, N = net->N;
    for (size_t l = 1; l <= net->depth; l++) {
        size_t fan_in = l == 1 ? N : n;
        const double *in = l == 1 ? x : act + (l - 2) * B * n;
        double *hl = h + (l - 1) * B * n;
        pdx_deep_affine(net->w + layer_offset(N, n, l),
                        net->b + (l - 1) * n, n, fan_in, in, fan_in, B, hl);
        pdx_model_g_many(net->activation, hl, act + (l - 1) * B * n, B * n);
    }
    const double *top = act + (net->depth - 1) * B * n;
    for (size_t r = 0; r < B; r++)
        yhat[r] = pdx_model_dot(net->a, top + r * n, n) + net->a0;
}

/* grad_W[i][j] = sum_r d[r][i] in[r][j] (r in order from +0), grad_b[i] =
 * sum_r d[r][i]: 8 columns j at a time in vectors, element by element the
 * scalar operations. */
static void outer_sum(const double *d, size_t n_out, const double *in,
                      size_t fan_in, size_t B, double *gW, double *gb)
{
    for (size_t i = 0; i < n_out; i++) {
        double *restrict row = gW + i * fan_in;
        size_t j = 0;
        for (; j + 8 <= fan_in; j += 8) {
            pdx_vd acc[PDX_VN];
            for (int h = 0; h < PDX_VN; h++)
                acc[h] = (pdx_vd){0};
            for (size_t r = 0; r < B; r++) {
                const double c = d[r * n_out + i];
                for (int h = 0; h < PDX_VN; h++)
                    acc[h] += c * pdx_vd_load(in + r * fan_in + j +
                                              (size_t)h * PDX_VW);
            }
            for (int h = 0; h < PDX_VN; h++)
                pdx_vd_store(row + j + (size_t)h * PDX_VW, acc[h]);
        }
        for (; j < fan_in; j++) {
            double acc = 0.0;
            for (size_t r = 0; r < B; r++)
                acc += d[r * n_out + i] * in[r * fan_in + j];
            row[j] = acc;
        }
        double acc = 0.0;
        for (size_t r = 0; r < B; r++)
            acc += d[r * n_out + i];
        gb[i] = acc;
    }
}

/* below[r][j] = sum_i W[i][j] d[r][i] (i in order from +0). */
static void back_through(const double *W, size_t n_out, size_t fan_in,
                         const double *d, size_t B, double *below)
{
    for (size_t r = 0; r < B; r++) {
        double *restrict o = below + r * fan_in;
        memset(o, 0, fan_in * sizeof *o);
        for (size_t i = 0; i < n_out; i++) {
            const double c = d[r * n_out + i];
            const double *restrict w = W + i * fan_in;
            size_t j = 0;
            for (; j + 8 <= fan_in; j += 8)
                for (int h = 0; h < PDX_VN; h++) {
                    double *oj = o + j + (size_t)h * PDX_VW;
                    pdx_vd_store(oj, pdx_vd_load(oj) +
                                         c * pdx_vd_load(w + j +
                                                         (size_t)h * PDX_VW));
                }
            for (; j < fan_in; j++)
                o[j] += c * w[j];
        }
    }
}

void pdx_deep_backward_batch(const pdx_deep *net, const double *x, size_t B,
                             const double *h, const double *act,
                             const double *dyhat, pdx_deep *grad,
                             double *delta)
{
    const size_t n = net->width, N = net->N, L = net->depth;
    const int g = net->activation;
    double *d = delta, *below = delta + B * n;
    /* readout */
    const double *top = act + (L - 1) * B * n;
    double a0 = 0.0;
    for (size_t r = 0; r < B; r++)
        a0 += dyhat[r];
    grad->a0 = a0;
    outer_sum(dyhat, 1, top, n, B, grad->a, &a0);
    const double *hl = h + (L - 1) * B * n;
    for (size_t r = 0; r < B; r++)
        for (size_t i = 0; i < n; i++)
            d[r * n + i] = dyhat[r] * net->a[i] *
                           pdx_model_dg(g, hl[r * n + i]);
    for (size_t l = L; l >= 1; l--) {
        size_t fan_in = l == 1 ? N : n;
        const double *in = l == 1 ? x : act + (l - 2) * B * n;
        outer_sum(d, n, in, fan_in, B, grad->w + layer_offset(N, n, l),
                  grad->b + (l - 1) * n);
        if (l == 1)
            break;
        back_through(net->w + layer_offset(N, n, l), n, n, d, B, below);
        const double *hb = h + (l - 2) * B * n;
        for (size_t k = 0; k < B * n; k++)
            below[k] *= pdx_model_dg(g, hb[k]);
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
