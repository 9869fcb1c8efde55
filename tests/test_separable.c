/* test_separable.c — the exact separability test (src/separable.c, GLPK)
 * on sets with a known answer and against Cover's (1965) counting
 * theorem: P points in general position in R^N with random labels are
 * linearly separable (through the origin) with probability
 * C(P, N) = 2^(1-P) sum_{k=0}^{N-1} binom(P-1, k). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "pdx/separable.h"
#include "pdx_test.h"

static void test_separable_small(void **state)
{
    (void)state;
    double m;
    assert_int_equal(pdx_separable(NULL, NULL, 0, 3, &m), 1);
    /* opposite points, opposite labels: w = (1, 0) */
    const double x1[] = {1, 0, -1, 0};
    const double y1[] = {1, -1};
    assert_int_equal(pdx_separable(x1, y1, 2, 2, &m), 1);
    /* w* = (1, w2) with any |w2| <= 1: margin 1/|w*| in [1/sqrt 2, 1] */
    assert_true(m >= M_SQRT1_2 - 1e-12 && m <= 1.0 + 1e-12);
    /* opposite points, equal labels: no w through the origin */
    const double y2[] = {1, 1};
    assert_int_equal(pdx_separable(x1, y2, 2, 2, &m), 0);
    assert_true(m == 0.0);
    /* three points on a line through 0 with labels +, -, + */
    const double x3[] = {1, 1, 2, 2, -1, -1};
    const double y3[] = {1, -1, -1};
    assert_int_equal(pdx_separable(x3, y3, 3, 2, NULL), 0);
    /* a point at the origin cannot be strictly classified */
    const double x4[] = {0, 0, 1, 0};
    assert_int_equal(pdx_separable(x4, y1, 2, 2, NULL), 0);
    assert_true(pdx_separable_thread_safe() == 0 ||
                pdx_separable_thread_safe() == 1);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
    return sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
}

static double cover(size_t P, size_t N)
{
    double sum = 0.0, binom = 1.0; /* binom(P-1, k) */
    for (size_t k = 0; k < N && k <= P - 1; k++) {
        sum += binom;
        binom = binom * (double)(P - 1 - k) / (double)(k + 1);
    }
    return sum * pow(2.0, 1.0 - (double)P);
}

/* Cover's fraction within 4 standard errors at N = 10 over alpha 1 .. 3,
 * and every separable set's LP solution separates it. */
static void test_separable_cover(void **state)
{
    (void)state;
    enum { N = 10, SETS = 400 };
    const size_t Ps[] = {10, 16, 20, 24, 30};
    double x[30 * N], y[30];
    for (size_t ip = 0; ip < sizeof Ps / sizeof *Ps; ip++) {
        size_t P = Ps[ip];
        int hits = 0;
        for (int s = 0; s < SETS; s++) {
            for (size_t i = 0; i < P * N; i++)
                x[i] = normal();
            for (size_t mu = 0; mu < P; mu++)
                y[mu] = uniform() < 0.5 ? -1.0 : 1.0;
            double m;
            int r = pdx_separable(x, y, P, N, &m);
            assert_true(r == 0 || r == 1);
            if (r == 1)
                assert_true(m > 0.0);
            hits += r;
        }
        double c = cover(P, N), frac = (double)hits / SETS;
        double se = sqrt(c * (1.0 - c) / SETS) + 1.0 / SETS;
        if (!(fabs(frac - c) <= 4.0 * se))
            fail_msg("P %zu N %d: %g separable, Cover %g", P, (int)N, frac,
                     c);
    }
    assert_true(fabs(cover(20, 10) - 0.5) < 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separable_small),
        cmocka_unit_test(test_separable_cover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
