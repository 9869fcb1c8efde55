/* test_theory_deep.c — the mean-field theory of random deep networks
 * (src/theory_deep.c) against published values, exact limits, closed
 * forms and an independent computation.
 *
 * Sources:
 *   [P16]  B. Poole, S. Lahiri, M. Raghu, J. Sohl-Dickstein & S. Ganguli,
 *          "Exponential expressivity in deep neural networks through
 *          transient chaos", NeurIPS 2016 (fig. 2: tanh order-to-chaos
 *          line through sigma_w2 = 1 at sigma_b2 = 0).
 *   [S17]  S. S. Schoenholz, J. Gilmer, S. Ganguli & J. Sohl-Dickstein,
 *          "Deep information propagation", ICLR 2017 (fig. 1, 2: the
 *          critical point of tanh at sigma_b2 = 0.05 is sigma_w2 ~ 1.76;
 *          xi_c diverges at the line; relu is critical at sigma_w2 = 2,
 *          sigma_b2 = 0, as in He et al. 2015).
 *   [REF]  tests/deep_theory_reference.py: scipy's QUADPACK quad and brentq
 *          (nested 1-D quadrature for the 2-D integrals), independent of
 *          GSL and of pdx; the digits below are its output (main() for
 *          tanh, main_more() for hard_tanh and sigmoid).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/theory.h"
#include "pdx_test.h"
#include "pdx_theory_test.h"

static pdx_deep_point deep(int act, double sw, double sb, int numeric)
{
    pdx_deep_problem pb = {act, sw, sb, numeric};
    pdx_deep_point pt;
    assert_int_equal(pdx_theory_deep_point(ws, &pb, &pt, NULL), PDX_OK);
    return pt;
}

static double critical(int act, double sb, int *status)
{
    pdx_deep_critical cr;
    assert_int_equal(pdx_theory_deep_critical(ws, act, sb, &cr, NULL),
                     PDX_OK);
    *status = cr.status;
    return cr.sigma_w2;
}

/* [P16], [S17], [REF]: the tanh order-to-chaos line. */
static void test_deep_tanh_critical_line(void **state)
{
    (void)state;
    int st;
    /* [P16]: exactly 1 without biases (chi_1 = sigma_w2 tanh'(0)^2) */
    assert_double_close(critical(PDX_ACT_TANH, 0.0, &st), 1.0, 1e-15);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    /* [S17] fig. 1: ~1.76 at sigma_b2 = 0.05; [REF] 1.760954639607 */
    double w = critical(PDX_ACT_TANH, 0.05, &st);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    assert_double_near(w, 1.76, 0.005);
    assert_double_near(w, 1.760954639607, 1e-9);
    static const double sb[] = {0.01, 0.1, 0.5, 1.0, 2.0};
    static const double ref[] = {1.424205290489, 1.986072641136,
                                 2.843167459724, 3.443210912265,
                                 4.266396106127};
    double prev = 1.0;
    for (size_t i = 0; i < sizeof sb / sizeof *sb; i++) {
        w = critical(PDX_ACT_TANH, sb[i], &st);
        assert_int_equal(st, PDX_THEORY_SOLVED);
        assert_double_near(w, ref[i], 1e-9);
        assert_true(w > prev); /* the line rises with sigma_b2 */
        prev = w;
        /* on the line chi_1 = 1 and chi_c = chi_1 (c* = 1 at the edge) */
        pdx_deep_point p = deep(PDX_ACT_TANH, w, sb[i], 0);
        assert_double_near(p.chi_1, 1.0, 1e-9);
        assert_true(p.xi_c > 1e7);
        assert_true(fabs(p.xi_grad) > 1e7);
    }
}

/* [REF]: q*, chi_1 and the slope of the length map (xi_q) for tanh. */
static void test_deep_tanh_fixed_points(void **state)
{
    (void)state;
    static const struct {
        double sw, sb, q, chi, slope;
    } ref[] = {
        {0.5, 0.05, 0.087579865187, 0.431987381821, 0.371121875836},
        {1.5, 0.05, 0.418037200533, 0.938636268199, 0.551983205664},
        {2.0, 0.05, 0.721761872652, 1.047665999576, 0.486521744031},
        {4.0, 0.05, 2.195493928034, 1.342402414445, 0.318195099405},
        {2.5, 0.0, 0.973574107195, 1.172970398631, 0.466059410282},
        {1.5, 1.0, 1.743187179765, 0.556088806383, 0.154640778680},
    };
    for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
        pdx_deep_point p = deep(PDX_ACT_TANH, ref[i].sw, ref[i].sb, 0);
        assert_int_equal(p.status, PDX_THEORY_SOLVED);
        assert_double_near(p.q_star, ref[i].q, 1e-10);
        assert_double_near(p.chi_1, ref[i].chi, 1e-10);
        assert_double_near(p.slope_q, ref[i].slope, 1e-10);
        assert_double_close(p.xi_q, -1.0 / log(ref[i].slope), 1e-9);
        assert_double_close(p.xi_grad, -1.0 / log(ref[i].chi), 1e-9);
        if (ref[i].chi < 1.0) { /* ordered: c* = 1, chi_c = chi_1 */
            assert_double_close(p.c_star, 1.0, 0.0);
            assert_double_close(p.chi_c, p.chi_1, 0.0);
        }
    }
    /* no bias, sigma_w2 <= 1: q* = 0, chi_1 = sigma_w2 */
    pdx_deep_point p = deep(PDX_ACT_TANH, 0.8, 0.0, 0);
    assert_int_equal(p.status, PDX_THEORY_SOLVED);
    assert_double_close(p.q_star, 0.0, 0.0);
    assert_double_close(p.chi_1, 0.8, 1e-14);
    assert_double_close(p.xi_c, -1.0 / log(0.8), 1e-13);
}

/* [REF]: the chaotic phase, c* < 1 and chi_c < 1. */
static void test_deep_tanh_chaotic(void **state)
{
    (void)state;
    static const struct {
        double sw, sb, c, chi_c;
    } ref[] = {
        {2.0, 0.05, 0.744082419501, 0.961114791974},
        {4.0, 0.05, 0.165064962022, 0.866527995597},
        {3.0, 0.5, 0.956480110458, 0.971868005356},
    };
    for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
        pdx_deep_point p = deep(PDX_ACT_TANH, ref[i].sw, ref[i].sb, 0);
        assert_int_equal(p.status, PDX_THEORY_SOLVED);
        assert_true(p.chi_1 > 1.0);
        assert_double_near(p.c_star, ref[i].c, 1e-9);
        assert_double_near(p.chi_c, ref[i].chi_c, 1e-9);
        assert_double_close(p.xi_c, -1.0 / log(ref[i].chi_c), 1e-7);
        assert_true(p.xi_grad < 0.0); /* gradients explode */
    }
    /* no bias: the correlation map is odd, c* = 0 */
    pdx_deep_point p = deep(PDX_ACT_TANH, 2.5, 0.0, 0);
    assert_double_close(p.c_star, 0.0, 0.0);
    assert_true(p.chi_c < 1.0);
}

/* xi_c grows without bound towards the line from both sides and c*
 * falls monotonically with sigma_w2 in the chaotic phase [S17] fig. 2. */
static void test_deep_xi_c_diverges(void **state)
{
    (void)state;
    int st;
    double wc = critical(PDX_ACT_TANH, 0.05, &st);
    double prev_lo = 0.0, prev_hi = 0.0, prev_c = 1.0;
    static const double eps[] = {1e-1, 1e-2, 1e-3, 1e-4};
    for (size_t i = 0; i < sizeof eps / sizeof *eps; i++) {
        pdx_deep_point lo = deep(PDX_ACT_TANH, wc - eps[i], 0.05, 0);
        pdx_deep_point hi = deep(PDX_ACT_TANH, wc + eps[i], 0.05, 0);
        assert_int_equal(lo.status, PDX_THEORY_SOLVED);
        assert_int_equal(hi.status, PDX_THEORY_SOLVED);
        assert_true(lo.xi_c > prev_lo);
        assert_true(hi.xi_c > prev_hi);
        assert_true(hi.c_star < 1.0 && hi.c_star > prev_c - 1.0);
        prev_lo = lo.xi_c;
        prev_hi = hi.xi_c;
        /* xi_c ~ 1/|chi_1 - 1| on both sides at first order */
        assert_double_close(lo.xi_c * (1.0 - lo.chi_1), 1.0, 20 * eps[i]);
        assert_double_close(hi.xi_c * (hi.chi_1 - 1.0), 1.0, 20 * eps[i]);
    }
    assert_true(prev_lo > 1e3 && prev_hi > 1e3);
    double c_prev = 1.0;
    for (double sw = 1.8; sw < 6.0; sw += 0.4) {
        pdx_deep_point p = deep(PDX_ACT_TANH, sw, 0.05, 0);
        assert_true(p.c_star < c_prev);
        c_prev = p.c_star;
    }
}

/* erf, relu, linear: the Gaussian integrals (numeric = 1) agree with the
 * closed forms; relu's and linear's phase structure. */
static void test_deep_closed_forms_and_relu(void **state)
{
    (void)state;
    static const int acts[] = {PDX_ACT_ERF, PDX_ACT_RELU, PDX_ACT_LINEAR};
    static const double pts[][2] = {{0.7, 0.1}, {1.5, 0.05}, {3.0, 0.3}};
    for (size_t a = 0; a < 3; a++)
        for (size_t i = 0; i < 3; i++) {
            pdx_deep_point c = deep(acts[a], pts[i][0], pts[i][1], 0);
            pdx_deep_point n = deep(acts[a], pts[i][0], pts[i][1], 1);
            assert_int_equal(c.status, n.status);
            if (c.status != PDX_THEORY_SOLVED)
                continue;
            assert_double_close(n.q_star, c.q_star, 1e-9);
            assert_double_near(n.c_star, c.c_star, 1e-8);
            assert_double_close(n.chi_1, c.chi_1, 1e-9);
            assert_double_close(n.chi_c, c.chi_c, 1e-8);
            assert_double_close(n.slope_q, c.slope_q, 1e-9);
        }
    int st;
    /* erf(z/sqrt 2): phi'(0)^2 = 2/pi, so the line starts at pi/2 */
    assert_double_close(critical(PDX_ACT_ERF, 0.0, &st), M_PI / 2, 1e-15);
    /* relu [S17]: critical at sigma_w2 = 2, sigma_b2 = 0 only */
    assert_double_close(critical(PDX_ACT_RELU, 0.0, &st), 2.0, 0.0);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    critical(PDX_ACT_RELU, 0.05, &st);
    assert_int_equal(st, PDX_THEORY_NOT_APPLICABLE);
    pdx_deep_point p = deep(PDX_ACT_RELU, 2.0, 0.0, 0);
    assert_int_equal(p.status, PDX_THEORY_SOLVED);
    assert_double_close(p.chi_1, 1.0, 0.0);
    assert_true(isinf(p.xi_c) && isinf(p.xi_grad));
    p = deep(PDX_ACT_RELU, 1.0, 0.1, 0); /* q* = sb / (1 - sw/2) */
    assert_double_close(p.q_star, 0.2, 1e-15);
    assert_double_close(p.chi_c, 0.5, 1e-15);
    assert_double_close(p.c_star, 1.0, 0.0);
    /* above 2 (or at 2 with a bias) q diverges: no fixed point, no crash */
    for (int k = 0; k < 2; k++) {
        p = deep(PDX_ACT_RELU, k ? 2.0 : 2.5, 0.05, 0);
        assert_int_equal(p.status, PDX_THEORY_NOT_APPLICABLE);
        assert_true(isinf(p.q_star));
        assert_double_close(p.chi_1, k ? 1.0 : 1.25, 1e-15);
        assert_true(isnan(p.c_star) && isnan(p.xi_c));
    }
    p = deep(PDX_ACT_LINEAR, 1.2, 0.0, 0);
    assert_int_equal(p.status, PDX_THEORY_NOT_APPLICABLE);
}

/* [REF]: q^l and c^l layer by layer (tanh), and their limits. */
static void test_deep_layers(void **state)
{
    (void)state;
    pdx_deep_problem pb = {PDX_ACT_TANH, 2.0, 0.05, 0};
    double q[400], c[400];
    int st;
    assert_int_equal(pdx_theory_deep_layers(ws, &pb, 1.0, 0.5, 4, q, c, NULL, &st,
                                            NULL),
                     PDX_OK);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    static const double rq[] = {2.05, 1.098676181343, 0.872883789246,
                                0.789395711403};
    static const double rc[] = {0.512195121951, 0.489145569451,
                                0.490682012684, 0.500320741982};
    for (int l = 0; l < 4; l++) {
        assert_double_near(q[l], rq[l], 1e-10);
        assert_double_near(c[l], rc[l], 1e-10);
    }
    /* deep layers reach the fixed points */
    double chi[400];
    assert_int_equal(pdx_theory_deep_layers(ws, &pb, 1.0, 0.5, 400, q, c,
                                            chi, &st, NULL),
                     PDX_OK);
    pdx_deep_point p = deep(PDX_ACT_TANH, 2.0, 0.05, 0);
    assert_double_close(q[399], p.q_star, 1e-9);
    assert_double_near(c[399], p.c_star, 1e-7);
    /* chi^l = sigma_w2 E[tanh'(sqrt(q^l) z)^2] -> chi_1 at q* */
    assert_double_close(chi[399], p.chi_1, 1e-9);
    for (int l = 1; l < 400; l++)
        assert_true(chi[l] > 0.0 && chi[l] < 2.0);
    /* the curve length: the input polygon's chords have 1 - c0 = 2
     * sin^2(pi/C); in the chaotic phase the image grows by about
     * sqrt(chi_1) a layer at first (Poole et al. 2016, eq. 10 in the
     * small-chord limit), in the ordered phase it shrinks */
    double len[30];
    assert_int_equal(pdx_theory_deep_curve_length(ws, &pb, 1.0, 1000, 30, len,
                                                  &st, NULL),
                     PDX_OK);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    /* layer 1 is linear: sqrt(sigma_w2) times the input polygon */
    double poly = 2.0 * M_PI * 1000.0 * sin(M_PI / 1000.0) / M_PI;
    assert_double_close(len[0], sqrt(2.0) * poly, 1e-12);
    /* chord growth = sqrt(chi^(l-1)) = sqrt(sigma_w2 E[phi'^2] at
     * q^(l-1)) while chords are short: layer 2 */
    pdx_theory_deep_layers(ws, &pb, 1.0, 0.5, 1, q, c, chi, &st, NULL);
    assert_double_close(len[1] / len[0], sqrt(chi[0]), 1e-4);
    /* chaotic: near q* the growth per layer is sqrt(chi_1) */
    pb.sigma_w2 = 4.0;
    pdx_theory_deep_curve_length(ws, &pb, 1.0, 1000, 30, len, &st, NULL);
    assert_double_close(len[12] / len[11], sqrt(1.342402414445), 1e-3);
    assert_true(len[29] > 20.0 * len[0]);
    pb.sigma_w2 = 1.0;
    pdx_theory_deep_curve_length(ws, &pb, 1.0, 1000, 30, len, &st, NULL);
    assert_true(len[29] < len[0]); /* ordered: the curve contracts */
    /* ... geometrically, by sqrt(chi_1) a layer, also when 1 - c^l is far
     * below the 2-D integrals' resolution (it stalled near 1e-7 before
     * the first-order update took over there) */
    double deep_len[60];
    pdx_deep_problem ord = {PDX_ACT_TANH, 0.75, 0.3, 0};
    pdx_theory_deep_curve_length(ws, &ord, 1.0, 16, 60, deep_len, &st, NULL);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    pdx_deep_point po = deep(PDX_ACT_TANH, 0.75, 0.3, 0);
    assert_true(deep_len[59] < 1e-9);
    assert_double_close(deep_len[59] / deep_len[58], sqrt(po.chi_1), 1e-6);
    /* the same for every activation (closed forms near c = 1 too: erf's
     * asin difference, relu's arc-cosine kernel, linear exactly) */
    static const struct {
        int act;
        double sw;
    } ordered[] = {{PDX_ACT_ERF, 1.0},       {PDX_ACT_RELU, 1.2},
                   {PDX_ACT_LINEAR, 0.6},    {PDX_ACT_SIGMOID, 8.0},
                   {PDX_ACT_HARD_TANH, 0.8}};
    for (size_t i = 0; i < sizeof ordered / sizeof *ordered; i++) {
        pdx_deep_problem o = {ordered[i].act, ordered[i].sw, 0.3, 0};
        pdx_theory_deep_curve_length(ws, &o, 1.0, 16, 60, deep_len, &st,
                                     NULL);
        assert_int_equal(st, PDX_THEORY_SOLVED);
        pdx_deep_point pp = deep(ordered[i].act, ordered[i].sw, 0.3, 0);
        assert_double_close(deep_len[59] / deep_len[58], sqrt(pp.chi_1),
                            1e-6);
    }
    /* closed forms and integrals agree layer by layer (erf over 20
     * layers; relu over 10: closer to c = 1 the Kronrod estimates of its
     * kinked integrands exceed the 1e-11 budget, the closed form is
     * exact there) */
    for (int k = 0; k < 2; k++) {
        size_t n = k ? 10 : 20;
        pdx_deep_problem cf = {k ? PDX_ACT_RELU : PDX_ACT_ERF, 1.5, 0.1, 0};
        pdx_deep_problem nu = cf;
        nu.numeric = 1;
        double qa[20], ca[20], qb[20], cb[20];
        pdx_theory_deep_layers(ws, &cf, 1.0, 0.9, n, qa, ca, NULL, &st,
                               NULL);
        pdx_theory_deep_layers(ws, &nu, 1.0, 0.9, n, qb, cb, NULL, &st,
                               NULL);
        assert_int_equal(st, PDX_THEORY_SOLVED);
        for (size_t l = 0; l < n; l++) {
            assert_double_close(qa[l], qb[l], 1e-10);
            assert_double_near(ca[l], cb[l], 1e-9);
        }
    }
    /* ordered phase: c^l -> 1; c0 = 1 stays 1 */
    pb.sigma_w2 = 1.2;
    pdx_theory_deep_layers(ws, &pb, 1.0, 0.2, 400, q, c, NULL, &st, NULL);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    assert_double_near(c[399], 1.0, 1e-9);
    for (int l = 1; l < 400; l++)
        assert_true(c[l] >= c[l - 1] - 1e-12);
    pdx_theory_deep_layers(ws, &pb, 1.0, 1.0, 50, q, c, NULL, &st, NULL);
    assert_double_close(c[49], 1.0, 0.0);
    /* relu closed form: q^l = (sw/2) q^{l-1} + sb, grows above sw = 2 */
    pdx_deep_problem relu = {PDX_ACT_RELU, 3.0, 0.1, 0};
    pdx_theory_deep_layers(ws, &relu, 1.0, 0.3, 10, q, c, NULL, &st, NULL);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    assert_double_close(q[0], 3.1, 1e-15);
    for (int l = 1; l < 10; l++)
        assert_double_close(q[l], 1.5 * q[l - 1] + 0.1, 1e-14);
}

/* [REF]: hard_tanh (kinks at +-1) and sigmoid (not odd, phi(0) = 1/2:
 * q* > 0 without bias; critical only at large sigma_w2), the activations
 * the deep students also offer. */
static void test_deep_hard_tanh_and_sigmoid(void **state)
{
    (void)state;
    static const struct {
        int act;
        double sw, sb, q, chi, c, chi_c;
    } ref[] = {
        {PDX_ACT_HARD_TANH, 0.5, 0.05, 0.099714062794, 0.499229390977, 1, 0},
        {PDX_ACT_HARD_TANH, 2.0, 0.05, 1.130041986244, 1.306286239686,
         0.318911594758, 0.877770951883},
        {PDX_ACT_SIGMOID, 4.0, 0.0, 1.196914343399, 0.171581354147, 1, 0},
        {PDX_ACT_SIGMOID, 20.0, 0.5, 8.112188928845, 0.434257523618, 1, 0},
        {PDX_ACT_SIGMOID, 200.0, 0.05, 91.869304486191, 1.377787161566,
         0.937424348883, 0.794071049613},
    };
    for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
        pdx_deep_point p = deep(ref[i].act, ref[i].sw, ref[i].sb, 0);
        assert_int_equal(p.status, PDX_THEORY_SOLVED);
        assert_double_close(p.q_star, ref[i].q, 1e-10);
        assert_double_near(p.chi_1, ref[i].chi, 1e-10);
        assert_double_near(p.c_star, ref[i].c, 1e-9);
        assert_double_near(p.chi_c, ref[i].c < 1 ? ref[i].chi_c : p.chi_1,
                           1e-9);
    }
    int st;
    assert_double_near(critical(PDX_ACT_HARD_TANH, 0.05, &st),
                       1.165544689636, 1e-9);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    assert_double_close(critical(PDX_ACT_HARD_TANH, 0.0, &st), 1.0, 0.0);
    /* sigmoid: q = 0 is no fixed point, the line needs a root find even
     * without bias */
    assert_double_near(critical(PDX_ACT_SIGMOID, 0.0, &st), 103.007553855518,
                       1e-8);
    assert_int_equal(st, PDX_THEORY_SOLVED);
    assert_double_near(critical(PDX_ACT_SIGMOID, 0.05, &st),
                       103.128493990825, 1e-8);
    /* hard_tanh right at its line: the expansion of the correlation map
     * does not hold at its kinks: not converged, never a wrong value */
    double w = critical(PDX_ACT_HARD_TANH, 0.05, &st);
    pdx_deep_point p = deep(PDX_ACT_HARD_TANH, w * (1 + 1e-9), 0.05, 0);
    assert_true(p.status == PDX_THEORY_NOT_CONVERGED ||
                (p.status == PDX_THEORY_SOLVED && p.chi_1 <= 1.0));
}

static void test_deep_bad_arguments(void **state)
{
    (void)state;
    pdx_deep_point p;
    pdx_error err;
    pdx_deep_problem bad[] = {{PDX_ACT_TANH, 0.0, 0.1, 0},
                              {PDX_ACT_TANH, -1.0, 0.1, 0},
                              {PDX_ACT_TANH, NAN, 0.1, 0},
                              {PDX_ACT_TANH, 1.0, -0.1, 0},
                              {PDX_ACT_SIGN, 1.0, 0.1, 0},
                              {99, 1.0, 0.1, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pdx_error_clear(&err);
        assert_int_equal(pdx_theory_deep_point(ws, &bad[i], &p, &err),
                         PDX_ERR_USAGE);
        assert_true(strstr(err.message, "deep theory") != NULL);
    }
    pdx_deep_problem pb = {PDX_ACT_TANH, 1.0, 0.1, 0};
    double q[2], c[2];
    int st;
    assert_int_equal(pdx_theory_deep_layers(ws, &pb, 1.0, 0.5, 0, q, c, NULL, &st,
                                            NULL),
                     PDX_ERR_USAGE);
    assert_int_equal(pdx_theory_deep_layers(ws, &pb, -1.0, 0.5, 2, q, c,
                                            NULL, &st, NULL),
                     PDX_ERR_USAGE);
    assert_int_equal(pdx_theory_deep_curve_length(ws, &pb, 1.0, 2, 2, q, &st,
                                                  NULL),
                     PDX_ERR_USAGE);
    assert_int_equal(pdx_theory_deep_layers(ws, &pb, 1.0, 1.5, 2, q, c, NULL, &st,
                                            NULL),
                     PDX_ERR_USAGE);
    /* huge sigma_w2: a value or a status, never a crash */
    p = deep(PDX_ACT_TANH, 1e8, 0.05, 0);
    assert_true(p.status == PDX_THEORY_SOLVED ||
                p.status == PDX_THEORY_NOT_CONVERGED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_tanh_critical_line),
        cmocka_unit_test(test_deep_tanh_fixed_points),
        cmocka_unit_test(test_deep_tanh_chaotic),
        cmocka_unit_test(test_deep_xi_c_diverges),
        cmocka_unit_test(test_deep_closed_forms_and_relu),
        cmocka_unit_test(test_deep_layers),
        cmocka_unit_test(test_deep_hard_tanh_and_sigmoid),
        cmocka_unit_test(test_deep_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
