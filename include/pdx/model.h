/* pdx/model.h — soft committee machines and their kernels.
 *
 * A committee machine with K hidden units computes
 *     f(x) = sum_k v_k g(lambda_k),  lambda_k = w_k . x / sqrt(N)
 * (Saad-Solla / Goldt normalisation). Weights are caller-owned arrays;
 * kernels never allocate and are thread-safe on distinct data.
 *
 * Reductions use a fixed order of partial sums, so results do not depend on
 * the vector width the compiler chooses. */
#ifndef PDX_MODEL_H
#define PDX_MODEL_H

#include <stddef.h>

#include "pdx/rng.h"
#include "pdx/spec.h"

typedef struct pdx_deep pdx_deep;

typedef struct pdx_committee {
    size_t N;        /* input dimension */
    size_t K;        /* hidden units (0 for a deep net) */
    int activation;  /* pdx_activation */
    double *w;       /* K x N first-layer weights, row-major */
    double *v;       /* K second-layer weights */
    pdx_deep *deep;  /* not NULL: the model is this deep net (K = 0, w and
                      * v unused; pdx_model_forward runs the deep net) */
} pdx_committee;

/* The first-layer rows B_m (M rows of N, row-major, caller-owned) of the
 * committee or perceptron teacher of (seed, replica): N(0, 1) entries from
 * the TEACHER stream (block m: row m), their signs when `binary`, then
 * teacher.normalise `normalise` (pdx_teacher_normalise): none leaves them,
 * unit_norm rescales each to |B_m|^2 = N, orthonormal makes them
 * orthogonal by modified Gram-Schmidt in the order m = 0, 1, ... and
 * rescales each to |B_m|^2 = N (M <= N). The same numbers wherever it is
 * called (trainers, theory). Thread-safe; never allocates. */
void pdx_model_teacher_rows(double *B, size_t M, size_t N, uint64_t seed,
                            uint64_t replica, int binary, int normalise);

/* T_mn = B_m.B_n / N of M rows of N (T: M x M, row-major). */
void pdx_model_teacher_overlaps(const double *B, size_t M, size_t N,
                                double *T);

/* g(z) for an activation (erf means erf(z/sqrt 2), see pdx_model_g_many). */
double pdx_model_g(int activation, double z);

/* out[i] = g(z[i]), i < n: the same bits as pdx_model_g, vectorised for
 * erf (which pdx evaluates from its own table, within 2e-15 of libm). */
void pdx_model_g_many(int activation, const double *z, double *out,
                      size_t n);

/* g'(z); 0 for sign. */
double pdx_model_dg(int activation, double z);

/* Inverted dropout (issue 17): mask[k] = 0 if u[k] < rate (the unit is
 * dropped, probability rate), else 1/(1 - rate), so that the mean of a
 * masked unit's output over masks is its unmasked output. u holds n
 * uniforms in (0, 1); u and mask may be the same array. 0 <= rate < 1. */
void pdx_model_dropout_mask(const double *u, size_t n, double rate,
                            double *mask);

/* x . y over n entries (fixed summation order). */
double pdx_model_dot(const double *x, const double *y, size_t n);

/* out[r] = w_r . x for the rows w_r = w + r ld, r < rows: each
 * bit-identical to pdx_model_dot(w_r, x, n), x read once for 4 rows. */
void pdx_model_dot_rows(const double *w, size_t rows, size_t ld,
                        const double *x, size_t n, double *out);

/* Pre-activations lambda[k] = w_k . x / sqrt(N) and the output f(x); a
 * deep net's output (lambda unused) if model->deep is set. */
double pdx_model_forward(const pdx_committee *model, const double *x,
                         double *lambda);

/* ---- Deep fully connected networks (src/model_deep.c) ----
 *
 * Poole et al. (2016) normalisation: with L = depth hidden layers of
 * n = width units and input x of dimension N,
 *     h^1 = W^1 x + b^1,   h^l = W^l g(h^(l-1)) + b^l  (2 <= l <= L),
 *     f(x) = a . g(h^L) + a_0,
 * W^l_ij ~ N(0, sigma_w2 / fan_in) (fan_in = N for l = 1, else n),
 * b^l_i ~ N(0, sigma_b2), a_i ~ N(0, sigma_w2 / n), a_0 ~ N(0, sigma_b2)
 * at initialisation: pre-activations stay O(1) at any width, and the
 * mean-field length map is q^l = sigma_w2 E[g(sqrt(q^(l-1)) z)^2] +
 * sigma_b2 with q^0 = |x|^2 / N.
 *
 * Random numbers (a stream named by the caller: TEACHER or INIT of
 * (seed, replica)): row i of W^l is the first fan_in Gaussians of block
 * (l << 32) | i, b^l the first n of block (l << 32) | 0xFFFFFFFF, a
 * block 0, a_0 block 0xFFFFFFFF. So a narrower or shallower net is part
 * of a wider or deeper one of the same stream, and nets of different
 * sigma_w2, sigma_b2 share their Gaussians (common random numbers).
 *
 * Sums run in a fixed order (chains of fma() in order from +0: the
 * affine maps over their inputs, weight gradients over the batch, errors
 * over the units above), so results depend neither on threads nor on the
 * batch's cut nor on the vector width (an FMA unit or glibc's correctly
 * rounded fma(): the same bits). Thread-safe on distinct nets; no
 * allocation but pdx_deep_create. */
/* Inputs a forward pass without gradients takes at a time. */
#define PDX_DEEP_BLOCK 48

struct pdx_deep {
    size_t N, depth, width;
    int activation;           /* pdx_activation */
    double sigma_w2, sigma_b2;
    double *w;     /* (W^1)^T (N x n), (W^2)^T .. (W^L)^T (n x n), each
                    * row-major: W^l_ij at w_l[j n + i] */
    double *b;     /* depth x n biases */
    double *a;     /* n readout weights */
    double a0;     /* readout bias */
    double *work;  /* 2 PDX_DEEP_BLOCK max(n, N) scratch of the forward
                    * passes without gradients */
    size_t max_weights, max_depth, max_width; /* capacity */
};

/* Weights W^1 .. W^L of a net (N n + (L - 1) n^2). */
size_t pdx_deep_weight_count(size_t N, size_t depth, size_t width);

/* Bytes pdx_deep_create allocates for this capacity. */
double pdx_deep_bytes(size_t max_N, size_t max_depth, size_t max_width);

/* A net of capacity (max_N, max_depth, max_width): *out owned by the
 * caller (pdx_deep_destroy). Returns PDX_OK or PDX_ERR_NOMEM. */
pdx_status pdx_deep_create(pdx_deep **out, size_t max_N, size_t max_depth,
                           size_t max_width, pdx_error *err);
void pdx_deep_destroy(pdx_deep **net);

/* Draw the net's weights (sizes within the capacity, asserted) from
 * `stream` as described above. */
void pdx_deep_init(pdx_deep *net, const pdx_rng_stream *stream, size_t N,
                   size_t depth, size_t width, int activation,
                   double sigma_w2, double sigma_b2);

/* Layer l (1-based) alone: W^T (fan_in x width) and b (width; also
 * fan_in doubles of scratch before it is written), the same numbers
 * pdx_deep_init puts there (for nets too large to keep whole). */
void pdx_deep_make_layer(const pdx_rng_stream *stream, size_t l,
                         size_t fan_in, size_t width, double sigma_w2,
                         double sigma_b2, double *W, double *b);

/* out[r * n_out + i] = (sum_j in_r[j] W[j n_out + i]) + bias_i for the B
 * inputs in_r = in + r ld_in (W = W^T: fan_in x n_out row-major; bias NULL:
 * none), the sum over j a chain of fma() in order from +0: the same bits
 * for any B and any vector width. */
void pdx_deep_affine(const double *W, const double *bias, size_t n_out,
                     size_t fan_in, const double *in, size_t ld_in, size_t B,
                     double *out);

/* f(x) of one input (uses net->work), the bits of pdx_deep_outputs. */
double pdx_deep_forward(const pdx_deep *net, const double *x);

/* yhat[r] = f(x_r) of B inputs (x: B x N row-major), PDX_DEEP_BLOCK at a
 * time through net->work. */
void pdx_deep_outputs(const pdx_deep *net, const double *x, size_t B,
                      double *yhat);

/* out[i] = g(z[i]) as deep nets evaluate it: tanh is pdx's own vectorised
 * tanh (within 4 ulp of libm's, the same bits with every libm), the
 * others pdx_model_g_many's. z and out must not overlap. */
void pdx_deep_g_many(int activation, const double *z, double *out,
                     size_t n);

/* Forward pass of a batch of B inputs (x: B x N row-major) keeping what
 * backpropagation needs: pre-activations h (depth x B x n: layer l-1 at
 * h + (l-1) B n) and activations act (same layout), outputs yhat (B). */
void pdx_deep_forward_batch(const pdx_deep *net, const double *x, size_t B,
                            double *h, double *act, double *yhat);

/* Gradient of sum_r dyhat[r] f(x_r) with respect to every parameter,
 * after pdx_deep_forward_batch on the same inputs: into grad (a net of the
 * same sizes: grad->w, grad->b, grad->a, grad->a0), using `delta` (3 B n
 * doubles) as scratch. */
void pdx_deep_backward_batch(const pdx_deep *net, const double *x, size_t B,
                             const double *h, const double *act,
                             const double *dyhat, pdx_deep *grad,
                             double *delta);

/* The gradient of the net's output with respect to its input x (N) into
 * grad (N), by backpropagation through the activations only; h and act
 * (depth x n each) and delta (2 n) are scratch. Returns f(x) of
 * pdx_deep_forward_batch. Used by the attacks of the robust error. */
double pdx_deep_input_gradient(const pdx_deep *net, const double *x,
                               double *h, double *act, double *delta,
                               double *grad);

/* Inverted dropout of a deep net's hidden units in training (issue 17):
 * after layer l's activation, unit i of batch row r is multiplied by the
 * mask of pdx_model_dropout_mask at rate `rate`, from uniform r n + i of
 * block (step << 20) | (l - 1) of `stream` (PDX_RNG_DROPOUT of the cell;
 * depth < 2^20). The masks are drawn again in the backward pass (no
 * memory for them). */
typedef struct pdx_deep_dropout {
    pdx_rng_stream stream;
    uint64_t step;
    double rate;   /* 0 < rate < 1 */
} pdx_deep_dropout;

/* pdx_deep_forward_batch with dropout `drop` (NULL: none, the same bits
 * as pdx_deep_forward_batch); act holds the masked activations; scratch
 * holds B n doubles. */
void pdx_deep_forward_batch_dropout(const pdx_deep *net, const double *x,
                                    size_t B, const pdx_deep_dropout *drop,
                                    double *scratch, double *h, double *act,
                                    double *yhat);

/* pdx_deep_backward_batch after pdx_deep_forward_batch_dropout with the
 * same `drop`: the gradient of the masked net. */
void pdx_deep_backward_batch_dropout(const pdx_deep *net, const double *x,
                                     size_t B, const double *h,
                                     const double *act, const double *dyhat,
                                     const pdx_deep_dropout *drop,
                                     pdx_deep *grad, double *delta);

/* 1 if every parameter is finite and every layer's sum_ij W_ij^2 / n (its
 * effective sigma_w2) is at most `limit`. */
int pdx_deep_check(const pdx_deep *net, double limit);

#endif
