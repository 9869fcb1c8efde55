/* test_theory_capacity.c — storage capacities (src/theory_capacity.c)
 * against published values, closed forms and exact limits.
 *
 * Sources:
 *   [C65]  T. M. Cover, "Geometrical and statistical properties of systems
 *          of linear inequalities ...", IEEE Trans. Electron. Comput. 14
 *          (1965): random labels are linearly separable up to alpha = 2.
 *   [G88]  E. Gardner, "The space of interactions in neural network
 *          models", J. Phys. A 21, 257 (1988): 1/alpha_c(kappa) =
 *          int_{-kappa}^inf Dt (t + kappa)^2.
 *   [GD88] E. Gardner & B. Derrida, "Optimal storage properties of neural
 *          network models", J. Phys. A 21, 271 (1988): the RS entropy of
 *          binary weights; at small alpha it is the annealed ln 2 + alpha
 *          ln H(kappa) to first order.
 *   [KM89] W. Krauth & M. Mezard, "Storage capacity of memory networks with
 *          binary couplings", J. Phys. France 50, 3057 (1989): the RS
 *          entropy vanishes at alpha ~ 0.83 (kappa = 0).
 *   [DS19] J. Ding & N. Sun, "Capacity lower bound for the Ising
 *          perceptron", STOC 2019: alpha* = 0.833078599 (their eq. (1.2)).
 *   [LIM]  the expansion of pdx_theory_gardner_capacity near random labels
 *          (kappa = 0, flip probability p -> 1/2): R = (2/pi)(1 - 2p) and
 *          alpha_c = 2 + 8 (1 - 2p)^2 / pi^2 to leading order (docs/THEORY.md,
 *          "Capacities").
 */
#include <math.h>
#include <stdlib.h>

#include "pdx/theory.h"
#include "pdx_test.h"
#include "pdx_theory_test.h"

static double gardner(double kappa, double F, double *R)
{
    double a, r;
    assert_int_equal(pdx_theory_gardner_capacity(ws, kappa, F, &a, &r),
                     PDX_THEORY_SOLVED);
    if (R != NULL)
        *R = r;
    return a;
}

/* [C65], [G88]: random labels, the numerical maximisation against the
 * closed form. */
static void test_gardner_random_labels(void **state)
{
    (void)state;
    assert_true(fabs(gardner(0.0, 1.0, NULL) - 2.0) < 1e-10);
    assert_true(fabs(pdx_theory_gardner_random(0.0) - 2.0) < 1e-15);
    const double kappas[] = {0.1, 0.25, 0.5, 1.0, 2.0, 3.0};
    double last = 2.0;
    for (size_t i = 0; i < sizeof kappas / sizeof *kappas; i++) {
        double R, a = gardner(kappas[i], 1.0, &R);
        double closed = pdx_theory_gardner_random(kappas[i]);
        assert_true(fabs(a - closed) < 1e-9 * closed);
        assert_true(isnan(R));
        assert_true(a < last);
        last = a;
    }
    /* kappa = 1: 1/((2 H(-1) + phi(1)) = 0.519572 */
    assert_true(fabs(pdx_theory_gardner_random(1.0) - 0.5195722296) < 1e-9);
}

/* [LIM]: near random labels, and the limits of the interpolation
 * threshold with label noise. */
static void test_gardner_label_noise(void **state)
{
    (void)state;
    double R;
    assert_true(isinf(gardner(0.0, 0.0, &R)));
    assert_true(R == 1.0);
    const double F[] = {0.999, 0.9999};
    for (size_t i = 0; i < 2; i++) {
        double one_minus_2p = 1.0 - F[i];
        double a = gardner(0.0, F[i], &R);
        assert_true(fabs(R / one_minus_2p - 2.0 / M_PI) < 1e-3);
        double excess = (a - 2.0) / (one_minus_2p * one_minus_2p);
        assert_true(fabs(excess - 8.0 / (M_PI * M_PI)) < 1e-2);
    }
    /* less noise, a larger threshold and a better teacher overlap; with a
     * margin, smaller than without */
    const double Fs[] = {1.0, 0.8, 0.5, 0.2, 0.1, 0.05, 0.01};
    double last_a = 0.0, last_R = -1.0;
    for (size_t i = 0; i < sizeof Fs / sizeof *Fs; i++) {
        double a = gardner(0.0, Fs[i], &R);
        double r = isnan(R) ? 0.0 : R;
        assert_true(a > last_a);
        assert_true(r > last_R || (i == 0 && r == 0.0));
        double Rk, ak = gardner(0.5, Fs[i], &Rk);
        assert_true(ak < a);
        last_a = a;
        last_R = r;
    }
    /* F = 0.2 (p = 0.1): 2.99229 (an LP test of N = 200 training sets,
     * tests/capacity_lp_check.py, crosses 1/2 at alpha ~ 2.95) */
    assert_true(fabs(gardner(0.0, 0.2, NULL) - 2.992286) < 1e-5);
}

/* [KM89], [DS19], [GD88]: binary weights. */
static void test_binary_storage(void **state)
{
    (void)state;
    double a, q;
    assert_int_equal(pdx_theory_binary_capacity(ws, 0.0, &a, &q),
                     PDX_THEORY_SOLVED);
    assert_true(fabs(a - 0.833078599) < 1e-8);
    assert_true(q > 0.5 && q < 0.6);
    /* a margin lowers it */
    double a1, q1;
    assert_int_equal(pdx_theory_binary_capacity(ws, 0.5, &a1, &q1),
                     PDX_THEORY_SOLVED);
    assert_true(a1 < a && q1 > q);
    /* the entropy at the capacity is 0, below it the annealed value bounds
     * it from above, and they agree to first order at small alpha */
    pdx_binary_storage_point pt;
    assert_int_equal(pdx_theory_binary_storage(ws, a, 0.0, NULL, &pt),
                     PDX_THEORY_SOLVED);
    assert_true(fabs(pt.entropy) < 1e-9);
    assert_true(pt.residual < 1e-10);
    const double alphas[] = {1e-3, 0.01, 0.1, 0.5};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(pdx_theory_binary_storage(ws, alphas[i], 0.0, NULL,
                                                   &pt),
                         PDX_THEORY_SOLVED);
        assert_true(pt.entropy < pt.annealed_entropy);
        assert_true(pt.annealed_entropy - pt.entropy <
                    alphas[i] * alphas[i]);
    }
    /* starting from a solution gives the same point */
    pdx_binary_storage_point again;
    double start[2] = {pt.q, pt.qhat};
    assert_int_equal(pdx_theory_binary_storage(ws, 0.5, 0.0, start, &again),
                     PDX_THEORY_SOLVED);
    assert_true(fabs(again.entropy - pt.entropy) < 1e-12);
}

static void test_capacity_bad_arguments(void **state)
{
    (void)state;
    double a, R;
    assert_int_equal(pdx_theory_gardner_capacity(ws, -0.1, 1.0, &a, &R),
                     PDX_THEORY_NOT_APPLICABLE);
    assert_int_equal(pdx_theory_gardner_capacity(ws, 0.0, 1.5, &a, &R),
                     PDX_THEORY_NOT_APPLICABLE);
    assert_true(isnan(a) && isnan(R));
    assert_int_equal(pdx_theory_binary_capacity(ws, NAN, &a, &R),
                     PDX_THEORY_NOT_APPLICABLE);
    pdx_binary_storage_point pt;
    assert_int_equal(pdx_theory_binary_storage(ws, 0.0, 0.0, NULL, &pt),
                     PDX_THEORY_NOT_APPLICABLE);
    assert_int_equal(pdx_theory_binary_storage(ws, 0.5, -1.0, NULL, &pt),
                     PDX_THEORY_NOT_APPLICABLE);
}

/* The Franz-Parisi potential (local entropy around typical binary
 * solutions) against what is known exactly:
 * - at the typical distance (1 - q)/2 it is the storage entropy s(alpha)
 *   (all solutions sit there);
 * - to first order in alpha it is H2(d) + alpha E1(d), E1(d) = 2 int_0^inf
 *   Du ln H(-p u/sqrt(1-p^2)), p = 1 - 2d: each pattern, whose field on
 *   the typical solution is a half-Gaussian, is also satisfied by a
 *   fraction H(-p u/sqrt(1-p^2)) of the weights at distance d (computed
 *   here by its own quadrature, not the library's);
 * - it never exceeds H2(d) or s(alpha), grows with d up to the typical
 *   distance, and is negative close to d = 0 at alpha = 0.5: typical
 *   solutions are isolated (Huang & Kabashima 2014). */
static double binary_entropy(double d)
{
    return -d * log(d) - (1.0 - d) * log1p(-d);
}

static double first_order(double d)
{
    double p = 1.0 - 2.0 * d, r = p / sqrt(1.0 - p * p), sum = 0.0;
    const double h = 1e-3;
    for (int i = 0; i <= 12000; i++) { /* trapezoid on [0, 12] */
        double u = i * h, w = (i == 0 || i == 12000) ? 0.5 : 1.0;
        double phi = exp(-0.5 * u * u) / sqrt(2.0 * M_PI);
        sum += w * 2.0 * phi * log(0.5 * erfc(-r * u / sqrt(2.0)));
    }
    return sum * h;
}

static void test_franz_parisi(void **state)
{
    (void)state;
    pdx_franz_parisi_point pt;
    /* the typical distance carries the storage entropy */
    pdx_binary_storage_point typical;
    assert_int_equal(pdx_theory_binary_storage(ws, 0.5, 0.0, NULL, &typical),
                     PDX_THEORY_SOLVED);
    double d_typ = 0.5 * (1.0 - typical.q);
    assert_int_equal(pdx_theory_franz_parisi(ws, 0.5, 0.0, d_typ, NULL, &pt),
                     PDX_THEORY_SOLVED);
    assert_double_near(pt.entropy, typical.entropy, 1e-6);
    assert_double_near(pt.storage_entropy, typical.entropy, 1e-12);
    assert_true(pt.residual <= PDX_THEORY_RESIDUAL_TOL);
    /* first order in alpha */
    const double small = 0.002, ds[] = {0.05, 0.2, 0.4};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(
            pdx_theory_franz_parisi(ws, small, 0.0, ds[i], NULL, &pt),
            PDX_THEORY_SOLVED);
        double want = binary_entropy(ds[i]) + small * first_order(ds[i]);
        print_message("franz-parisi alpha %g d %g: %.9f, first order %.9f\n",
                      small, ds[i], pt.entropy, want);
        assert_double_near(pt.entropy, want, 10.0 * small * small);
    }
    /* bounds, monotonicity and isolation at alpha = 0.5 */
    const double dd[] = {0.002, 0.01, 0.05, 0.2};
    double last = -INFINITY;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(pdx_theory_franz_parisi(ws, 0.5, 0.0, dd[i], NULL,
                                                 &pt),
                         PDX_THEORY_SOLVED);
        print_message("franz-parisi alpha 0.5 d %g: %.7f\n", dd[i],
                      pt.entropy);
        assert_true(pt.entropy > last);
        assert_true(pt.entropy < binary_entropy(dd[i]));
        assert_true(pt.entropy < typical.entropy);
        last = pt.entropy;
        if (i == 0)
            assert_true(pt.entropy < 0.0);
    }
    /* outside the domain */
    assert_int_equal(pdx_theory_franz_parisi(ws, 0.9, 0.0, 0.1, NULL, &pt),
                     PDX_THEORY_NOT_APPLICABLE); /* beyond alpha_c 0.833 */
    assert_int_equal(pdx_theory_franz_parisi(ws, 0.5, 0.0, 0.5, NULL, &pt),
                     PDX_THEORY_NOT_APPLICABLE);
    assert_int_equal(pdx_theory_franz_parisi(ws, 0.5, 0.0, 0.0, NULL, &pt),
                     PDX_THEORY_NOT_APPLICABLE);
    assert_int_equal(pdx_theory_franz_parisi(ws, 0.0, 0.0, 0.1, NULL, &pt),
                     PDX_THEORY_NOT_APPLICABLE);
    assert_true(isnan(pt.entropy));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gardner_random_labels),
        cmocka_unit_test(test_gardner_label_noise),
        cmocka_unit_test(test_binary_storage),
        cmocka_unit_test(test_capacity_bad_arguments),
        cmocka_unit_test(test_franz_parisi),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
