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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regularize_dropout_expectation_exact),
        cmocka_unit_test(test_regularize_dropout_expectation_sampled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
