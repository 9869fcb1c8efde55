/* test_rng.c — Philox streams: reference agreement, determinism, statistics. */
#include <stdlib.h>
#include <string.h>

#include "pdx/rng.h"
#include "pdx_test.h"

/* The vectorised block fill equals Random123's philox4x32-10 reference:
 * uniform j of block b comes from counter {j/2, b_lo, b_hi, replica}. */
static void test_rng_matches_reference(void **state)
{
    (void)state;
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 8675309, PDX_RNG_INPUTS, 0, 5);
    double u[300];
    uint64_t block = 0x100000007ull; /* exercises the high counter word */
    pdx_rng_uniform(&s, block, u, 300);
    for (uint32_t i = 0; i < 150; i++) {
        uint32_t ctr[4] = {i, (uint32_t)block, (uint32_t)(block >> 32), 5};
        uint32_t out[4];
        pdx_rng_philox(ctr, s.key, out);
        uint64_t w0 = ((uint64_t)out[0] << 32 | out[1]) >> 12;
        uint64_t w1 = ((uint64_t)out[2] << 32 | out[3]) >> 12;
        assert_double_close(u[2 * i], (double)w0 * 0x1.0p-52 + 0x1.0p-53,
                            1e-15);
        assert_double_close(u[2 * i + 1], (double)w1 * 0x1.0p-52 + 0x1.0p-53,
                            1e-15);
    }
}

/* The Gaussian transform matches Box-Muller computed with libm on the
 * documented words (rng.h, stream version 3): for Philox call 96 c + j,
 * outputs 384 c + 2j, +1 from words (w0, w1) and 384 c + 192 + 2j, +1 from
 * (w2, w3); 40-bit radius uniform, 24-bit angle with the quadrant in its
 * top 2 bits. The polynomials agree with libm to a few ulp. */
static void test_rng_gaussian_matches_libm_box_muller(void **state)
{
    (void)state;
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 314159, PDX_RNG_INIT, 0x1234, 9);
    enum { CHUNKS = 3, N = 384 * CHUNKS };
    double g[N];
    uint64_t block = 11;
    pdx_rng_gaussian(&s, block, g, N);
    double worst = 0.0;
    for (uint32_t c = 0; c < CHUNKS; c++) {
        for (uint32_t j = 0; j < 96; j++) {
            uint32_t ctr[4] = {96 * c + j, (uint32_t)block, 0, 9}, w[4];
            pdx_rng_philox(ctr, s.key, w);
            for (int half = 0; half < 2; half++) {
                uint32_t a = w[2 * half], b = w[2 * half + 1];
                uint64_t k40 = ((uint64_t)a << 8) | (b >> 24);
                double u = ((double)k40 + 0.5) * 0x1.0p-40;
                double r = sqrt(-2.0 * log(u));
                uint32_t q = (b >> 22) & 3u;
                double th = 1.5707963267948966 *
                            (q + ((double)(b & 0x3FFFFFu) + 0.5) * 0x1.0p-22 -
                             0.5);
                size_t o = 384 * c + 192 * (size_t)half + 2 * j;
                double e0 = fabs(g[o] - r * cos(th)) / (1.0 + r);
                double e1 = fabs(g[o + 1] - r * sin(th)) / (1.0 + r);
                worst = fmax(worst, fmax(e0, e1));
            }
        }
    }
    /* the libm reference itself rounds th and r: a few ulp of 1 + r */
    if (worst > 1e-15)
        fail_msg("Gaussian transform differs from libm by %g", worst);
}

/* Random123's published known-answer vector for philox4x32-10. */
static void test_rng_philox_known_answer(void **state)
{
    (void)state;
    uint32_t ctr[4] = {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344};
    uint32_t key[2] = {0xa4093822, 0x299f31d0};
    uint32_t out[4];
    pdx_rng_philox(ctr, key, out);
    assert_int_equal(out[0], 0xd16cfe09);
    assert_int_equal(out[1], 0x94fdcceb);
    assert_int_equal(out[2], 0x5001e420);
    assert_int_equal(out[3], 0x24126ea1);
}

/* A fill of n is a prefix of a longer fill of the same block, and blocks,
 * replicas, purposes and seeds give different numbers. */
static void test_rng_prefix_and_independence(void **state)
{
    (void)state;
    pdx_rng_stream s, r, p, q;
    pdx_rng_stream_init(&s, 42, PDX_RNG_INPUTS, 0, 3);
    pdx_rng_stream_init(&r, 42, PDX_RNG_INPUTS, 0, 4);
    pdx_rng_stream_init(&p, 42, PDX_RNG_TEACHER, 0, 3);
    pdx_rng_stream_init(&q, 42ull + (1ull << 32), PDX_RNG_INPUTS, 0, 3);
    double a[333], b[1000], c[333], d[333], e[333], f[333];
    pdx_rng_gaussian(&s, 17, a, 333);
    pdx_rng_gaussian(&s, 17, b, 1000);
    assert_memory_equal(a, b, sizeof a);
    pdx_rng_gaussian(&s, 18, c, 333);
    pdx_rng_gaussian(&r, 17, d, 333);
    pdx_rng_gaussian(&p, 17, e, 333);
    pdx_rng_gaussian(&q, 17, f, 333);
    assert_memory_not_equal(a, c, sizeof a);
    assert_memory_not_equal(a, d, sizeof a);
    assert_memory_not_equal(a, e, sizeof a);
    assert_memory_not_equal(a, f, sizeof a); /* seeds are 64-bit */
    /* every partial-fill path (lanes rounded up, the second half of a
     * chunk, a chunk and a bit) gives a prefix of the long fill */
    static const size_t lengths[] = {1,   2,   3,   15,  16,  17,  191,
                                     192, 193, 194, 383, 384, 385, 999};
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        double *x = malloc(lengths[i] * sizeof *x);
        assert_non_null(x);
        pdx_rng_gaussian(&s, 17, x, lengths[i]);
        if (memcmp(x, b, lengths[i] * sizeof *x) != 0)
            fail_msg("a fill of %zu is not a prefix", lengths[i]);
        free(x);
    }
}

/* Streams of neighbouring replicas, blocks and purposes are uncorrelated:
 * the sample correlation of 2e5 paired outputs is within 5 sd of 0. */
static void test_rng_streams_uncorrelated(void **state)
{
    (void)state;
    enum { N = 200000 };
    double *x = malloc(4 * N * sizeof *x);
    assert_non_null(x);
    pdx_rng_stream s, r, p;
    pdx_rng_stream_init(&s, 5, PDX_RNG_INPUTS, 0, 0);
    pdx_rng_stream_init(&r, 5, PDX_RNG_INPUTS, 0, 1);
    pdx_rng_stream_init(&p, 5, PDX_RNG_TEST, 0, 0);
    pdx_rng_gaussian(&s, 0, x, N);
    pdx_rng_gaussian(&r, 0, x + N, N);     /* next replica */
    pdx_rng_gaussian(&s, 1, x + 2 * N, N); /* next block */
    pdx_rng_gaussian(&p, 0, x + 3 * N, N); /* other purpose */
    for (int other = 1; other < 4; other++) {
        double xy = 0;
        for (int i = 0; i < N; i++)
            xy += x[i] * x[other * N + i];
        assert_double_near(xy / N, 0.0, 5.0 / sqrt((double)N));
    }
    /* and within a stream, lag 1 and the two members of a pair */
    double lag = 0;
    for (int i = 1; i < N; i++)
        lag += x[i] * x[i - 1];
    assert_double_near(lag / (N - 1), 0.0, 5.0 / sqrt((double)N));
    free(x);
}

/* Moments, tails and a chi-square on bins of 2e6 Gaussians; thresholds are
 * ~5 standard deviations of each statistic, so a correct generator fails
 * with probability < 1e-5 and this seed is fixed. */
static void test_rng_gaussian_statistics(void **state)
{
    (void)state;
    enum { BLOCK = 1000, BLOCKS = 2000 };
    const double n = (double)BLOCK * BLOCKS;
    double *g = malloc(BLOCK * sizeof *g);
    assert_non_null(g);
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 2385, PDX_RNG_TEST, 0, 1);
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0, tail3 = 0, tail4 = 0, top = 0;
    /* 20 equiprobable bins of N(0,1): edges are the normal quantiles */
    static const double edges[19] = {
        -1.6448536, -1.2815516, -1.0364334, -0.8416212, -0.6744898,
        -0.5244005, -0.3853205, -0.2533471, -0.1256613, 0.0,
        0.1256613,  0.2533471,  0.3853205,  0.5244005,  0.6744898,
        0.8416212,  1.0364334,  1.2815516,  1.6448536};
    double bins[20] = {0};
    for (int b = 0; b < BLOCKS; b++) {
        pdx_rng_gaussian(&s, (uint64_t)b, g, BLOCK);
        for (int i = 0; i < BLOCK; i++) {
            double x = g[i], x2 = x * x;
            m1 += x;
            m2 += x2;
            m3 += x2 * x;
            m4 += x2 * x2;
            tail3 += fabs(x) > 3.0;
            tail4 += fabs(x) > 4.0;
            top = fmax(top, fabs(x));
            int k = 0;
            while (k < 19 && x > edges[k])
                k++;
            bins[k] += 1;
        }
    }
    free(g);
    m1 /= n, m2 /= n, m3 /= n, m4 /= n;
    assert_double_near(m1, 0.0, 5.0 * sqrt(1.0 / n));
    assert_double_near(m2, 1.0, 5.0 * sqrt(2.0 / n));
    assert_double_near(m3, 0.0, 5.0 * sqrt(15.0 / n));
    assert_double_near(m4, 3.0, 5.0 * sqrt(96.0 / n));
    double p3 = 0.0026997960632601866; /* P(|x| > 3) */
    assert_double_near(tail3 / n, p3, 5.0 * sqrt(p3 * (1 - p3) / n));
    double p4 = 6.334248366623996e-05; /* P(|x| > 4) */
    assert_double_near(tail4 / n, p4, 5.0 * sqrt(p4 * (1 - p4) / n));
    /* the 40-bit radius bounds |x| by sqrt(2 ln 2^41) = 7.54 */
    assert_true(top < 7.55);
    double chi2 = 0.0, expect = n / 20.0;
    for (int k = 0; k < 20; k++)
        chi2 += (bins[k] - expect) * (bins[k] - expect) / expect;
    /* 19 degrees of freedom: P(chi2 > 50) ~ 1e-4 */
    if (chi2 > 50.0)
        fail_msg("chi-square on 20 bins = %g (19 dof) is too large", chi2);
}

/* Uniforms are in (0, 1) and decorrelated between neighbouring outputs. */
static void test_rng_uniform_range_and_correlation(void **state)
{
    (void)state;
    enum { N = 200000 };
    double *u = malloc(N * sizeof *u);
    assert_non_null(u);
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 77, PDX_RNG_LABEL_NOISE, 0x5eed, 0);
    pdx_rng_uniform(&s, 3, u, N);
    double mean = 0, lag = 0;
    for (int i = 0; i < N; i++) {
        assert_true(u[i] > 0.0 && u[i] < 1.0);
        mean += u[i];
        if (i > 0)
            lag += (u[i] - 0.5) * (u[i - 1] - 0.5);
    }
    free(u);
    mean /= N;
    lag /= (N - 1) * (1.0 / 12.0);
    assert_double_near(mean, 0.5, 5.0 * sqrt(1.0 / 12.0 / N));
    assert_double_near(lag, 0.0, 5.0 / sqrt((double)N));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_matches_reference),
        cmocka_unit_test(test_rng_philox_known_answer),
        cmocka_unit_test(test_rng_gaussian_matches_libm_box_muller),
        cmocka_unit_test(test_rng_prefix_and_independence),
        cmocka_unit_test(test_rng_streams_uncorrelated),
        cmocka_unit_test(test_rng_gaussian_statistics),
        cmocka_unit_test(test_rng_uniform_range_and_correlation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
