/* test_regularize.c — regularizers of issue 17: inverted dropout's
 * expectation (the mean forward pass over masks is the pass without
 * dropout), exactly by enumerating every mask of a committee, and by
 * sampling for a deep net's last layer; dropout 0 trains bit for bit as
 * before; the noise scale sets the learning rate. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/model.h"
#include "pdx/rng.h"
#include "pdx/spec.h"
#include "pdx_test.h"

/* The masked committee output sum_k v_k m_k g_k. */
static double masked_output(const double *v, const double *g,
                            const double *mask, size_t K)
{
    double y = 0.0;
    for (size_t k = 0; k < K; k++)
        y += v[k] * mask[k] * g[k];
    return y;
}

/* Every one of the 2^K masks, weighted by its probability: the mean is
 * the unmasked output (to round-off), for several rates. */
static void test_regularize_dropout_expectation_exact(void **state)
{
    (void)state;
    const size_t K = 7;
    const double v[7] = {0.83, -1.27, 0.415, 2.06, -0.338, 0.927, -1.61};
    const double lambda[7] = {0.31, -1.2, 2.385, -0.07, 0.66, -2.9, 1.4};
    double g[7];
    pdx_model_g_many(PDX_ACT_ERF, lambda, g, K);
    const double plain = masked_output(v, g, (double[7]){1, 1, 1, 1, 1, 1, 1},
                                       K);
    const double rates[] = {0.1, 0.37, 0.5, 0.83};
    for (size_t r = 0; r < 4; r++) {
        double mean = 0.0, total = 0.0;
        for (unsigned bits = 0; bits < (1u << K); bits++) {
            double u[7], mask[7], prob = 1.0;
            for (size_t k = 0; k < K; k++) {
                int dropped = (bits >> k) & 1u;
                /* a uniform just below / above the rate */
                u[k] = dropped ? rates[r] * 0.5 : 0.5 * (1.0 + rates[r]);
                prob *= dropped ? rates[r] : 1.0 - rates[r];
            }
            pdx_model_dropout_mask(u, K, rates[r], mask);
            for (size_t k = 0; k < K; k++)
                assert_true(mask[k] == (((bits >> k) & 1u)
                                            ? 0.0
                                            : 1.0 / (1.0 - rates[r])));
            mean += prob * masked_output(v, g, mask, K);
            total += prob;
        }
        assert_double_close(total, 1.0, 1e-14);
        assert_double_close(mean, plain, 1e-13);
    }
    /* without the 1/(1 - p) scaling the mean would be (1 - p) plain */
    assert_true(fabs(plain) > 0.1);
}

/* Masks drawn from the stream: the sample mean of the masked output is
 * within 4 standard errors of the unmasked one, and a fraction `rate` of
 * the units is dropped (binomial tolerance). */
static void test_regularize_dropout_expectation_sampled(void **state)
{
    (void)state;
    const size_t K = 16, draws = 20000;
    const double rate = 0.3;
    double v[16], g[16], u[16], mask[16];
    for (size_t k = 0; k < K; k++) {
        v[k] = cos(1.7 * (double)k + 0.2);
        g[k] = sin(0.9 * (double)k + 0.4);
    }
    const double plain = masked_output(v, g, (double[16]){1, 1, 1, 1, 1, 1,
                                                          1, 1, 1, 1, 1, 1,
                                                          1, 1, 1, 1},
                                       K);
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 7, PDX_RNG_DROPOUT, 99, 0);
    double sum = 0.0, sum2 = 0.0, dropped = 0.0;
    for (size_t d = 0; d < draws; d++) {
        pdx_rng_uniform(&s, d, u, K);
        pdx_model_dropout_mask(u, K, rate, mask);
        double y = masked_output(v, g, mask, K);
        sum += y;
        sum2 += y * y;
        for (size_t k = 0; k < K; k++)
            dropped += mask[k] == 0.0;
    }
    double mean = sum / (double)draws;
    double se = sqrt((sum2 / (double)draws - mean * mean) / (double)draws);
    assert_true(fabs(mean - plain) < 4.0 * se);
    double n = (double)(draws * K);
    assert_true(fabs(dropped / n - rate) < 4.0 * sqrt(rate * (1 - rate) / n));
}

/* A deep net of capacity and size (N, L, n) from INIT stream 77. */
static pdx_deep *make_net(size_t N, size_t L, size_t n, int activation)
{
    pdx_deep *net = NULL;
    assert_int_equal(pdx_deep_create(&net, N, L, n, NULL), PDX_OK);
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 77, PDX_RNG_INIT, 0, 1);
    pdx_deep_init(net, &s, N, L, n, activation, 2.25, 0.125);
    return net;
}

/* Deep nets: where dropout's expectation is exact (one hidden layer
 * before the linear readout, any activation; or a linear net of any
 * depth, the masks of its layers independent), the mean over masks of
 * the dropout forward pass is pdx_deep_forward's output (within 4
 * standard errors of 4000 masks); dropout NULL is the plain pass bit for
 * bit. */
static void check_deep_expectation(size_t L, int activation)
{
    const size_t N = 6, n = 9, B = 2, draws = 4000;
    pdx_deep *net = make_net(N, L, n, activation);
    double x[2 * 6], h[4 * 2 * 9], act[4 * 2 * 9], yhat[2], scratch[2 * 9];
    double h0[4 * 2 * 9], act0[4 * 2 * 9], yhat0[2];
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 5, PDX_RNG_DATA, 0, 0);
    pdx_rng_gaussian(&s, 0, x, B * N);
    pdx_deep_forward_batch_dropout(net, x, B, NULL, scratch, h, act, yhat);
    pdx_deep_forward_batch(net, x, B, h0, act0, yhat0);
    for (size_t r = 0; r < B; r++)
        assert_true(yhat[r] == yhat0[r]);
    pdx_deep_dropout drop;
    pdx_rng_stream_init(&drop.stream, 3, PDX_RNG_DROPOUT, 17, 0);
    drop.rate = 0.4;
    double sum[2] = {0, 0}, sum2[2] = {0, 0};
    for (size_t d = 0; d < draws; d++) {
        drop.step = d;
        pdx_deep_forward_batch_dropout(net, x, B, &drop, scratch, h, act,
                                       yhat);
        for (size_t r = 0; r < B; r++) {
            sum[r] += yhat[r];
            sum2[r] += yhat[r] * yhat[r];
        }
    }
    for (size_t r = 0; r < B; r++) {
        double mean = sum[r] / (double)draws;
        double se = sqrt((sum2[r] / (double)draws - mean * mean) /
                         (double)draws);
        double plain = pdx_deep_forward(net, x + r * N);
        if (!(fabs(mean - plain) < 4.0 * se) || !(se > 0.0))
            fail_msg("depth %zu activation %d row %zu: mean over masks "
                     "%.6g +- %.2g, without dropout %.6g",
                     L, activation, r, mean, se, plain);
    }
    pdx_deep_destroy(&net);
}

static void test_regularize_dropout_expectation_deep(void **state)
{
    (void)state;
    check_deep_expectation(1, PDX_ACT_TANH);
    check_deep_expectation(1, PDX_ACT_RELU);
    check_deep_expectation(3, PDX_ACT_LINEAR);
}

/* The dropout backward pass is the gradient of the masked net: central
 * differences of sum_r dy_r f_masked(x_r) with the same masks. */
static void test_regularize_dropout_deep_gradient(void **state)
{
    (void)state;
    const size_t N = 6, L = 3, n = 5, B = 3;
    const int acts[] = {PDX_ACT_TANH, PDX_ACT_SIGMOID, PDX_ACT_RELU};
    for (int ai = 0; ai < 3; ai++) {
        pdx_deep *net = make_net(N, L, n, acts[ai]), *grad = NULL;
        assert_int_equal(pdx_deep_create(&grad, N, L, n, NULL), PDX_OK);
        *grad = (pdx_deep){.N = N, .depth = L, .width = n, .w = grad->w,
                           .b = grad->b, .a = grad->a, .work = grad->work,
                           .max_weights = grad->max_weights,
                           .max_depth = L, .max_width = n};
        double x[3 * 6], h[3 * 3 * 5], a[3 * 3 * 5], yhat[3];
        double delta[3 * 3 * 5]; /* 3 B n (pdx/model.h) */
        const double dy[3] = {0.75, -1.25, 0.375};
        pdx_rng_stream s;
        pdx_rng_stream_init(&s, 8, PDX_RNG_DATA, 0, 0);
        pdx_rng_gaussian(&s, 0, x, B * N);
        pdx_deep_dropout drop;
        pdx_rng_stream_init(&drop.stream, 3, PDX_RNG_DROPOUT, 17, 0);
        drop.rate = 0.3;
        drop.step = 12;
        pdx_deep_forward_batch_dropout(net, x, B, &drop, delta, h, a, yhat);
        pdx_deep_backward_batch_dropout(net, x, B, h, a, dy, &drop, grad,
                                        delta);
        size_t nw = pdx_deep_weight_count(N, L, n);
        double *params[4] = {net->w, net->b, net->a, &net->a0};
        const double *grads[4] = {grad->w, grad->b, grad->a, &grad->a0};
        size_t counts[4] = {nw, L * n, n, 1};
        for (int kind = 0; kind < 4; kind++)
            for (size_t k = 0; k < counts[kind]; k++) {
                double keep = params[kind][k], eps = 1e-6, lo = 0, hi = 0;
                params[kind][k] = keep + eps;
                pdx_deep_forward_batch_dropout(net, x, B, &drop, delta, h, a,
                                               yhat);
                for (size_t r = 0; r < B; r++)
                    hi += dy[r] * yhat[r];
                params[kind][k] = keep - eps;
                pdx_deep_forward_batch_dropout(net, x, B, &drop, delta, h, a,
                                               yhat);
                for (size_t r = 0; r < B; r++)
                    lo += dy[r] * yhat[r];
                params[kind][k] = keep;
                double numeric = (hi - lo) / (2 * eps);
                if (!pdx_test_close(grads[kind][k], numeric, 1e-5, 1e-8))
                    fail_msg("activation %d, kind %d index %zu: backprop "
                             "%.10g, finite differences %.10g",
                             acts[ai], kind, k, grads[kind][k], numeric);
            }
        pdx_deep_destroy(&net);
        pdx_deep_destroy(&grad);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regularize_dropout_expectation_exact),
        cmocka_unit_test(test_regularize_dropout_expectation_sampled),
        cmocka_unit_test(test_regularize_dropout_expectation_deep),
        cmocka_unit_test(test_regularize_dropout_deep_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
