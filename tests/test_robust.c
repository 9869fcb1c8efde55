/* test_robust.c — the robust error of issue 18: budget 0 is the clean
 * error bit for bit, the exact consistent distance against independent
 * solutions of its linear programme, PGD against the exact answer on
 * perceptrons, and FGSM/PGD on committees (sound: every counted input has
 * a delta that flips the student). */
#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/observe.h"
#include "pdx/rng.h"
#include "pdx/sweep.h"
#include "pdx/theory.h"
#include "pdx_test.h"
#include "../src/train/train_internal.h"

/* One task of the first cell of `text`, trained to the end and measured at
 * checkpoint 0: the layout, its buffers (values[v]) and the budgets. */
typedef struct measured {
    pdx_spec *spec;
    pdx_grid *grid;
    pdx_layout layout;
    double **values;
    pdx_params params;
    pdx_trainer *trainer;
} measured;

static void measure(measured *m, const char *text, uint64_t cell)
{
    memset(m, 0, sizeof *m);
    pdx_error err;
    if (pdx_spec_parse_string(&m->spec, text, strlen(text), "robust.yaml",
                              &err) != PDX_OK)
        fail_msg("spec: %s", err.message);
    assert_int_equal(pdx_grid_create(&m->grid, m->spec, NULL), PDX_OK);
    pdx_sweep_layout(m->grid, &m->layout);
    m->values = calloc(m->layout.n_vars, sizeof *m->values);
    for (size_t v = 0; v < m->layout.n_vars; v++) {
        size_t n = pdx_layout_var_size(&m->layout, v);
        m->values[v] = malloc((n ? n : 1) * sizeof(double));
        for (size_t i = 0; i < n; i++)
            m->values[v][i] = NAN;
    }
    pdx_grid_cell_params(m->grid, cell, &m->params);
    const pdx_params *p = &m->params;
    m->trainer = pdx_test_trainer_for(m->grid);
    if (pdx_trainer_set_cell(m->trainer, p, 7, pdx_grid_cell_key(p), 0,
                             &err) != PDX_OK)
        fail_msg("set: %s", err.message);
    assert_int_equal(pdx_trainer_iterate(m->trainer,
                                         pdx_trainer_total_steps(m->trainer)),
                     0);
    pdx_attacker *a = NULL;
    assert_int_equal(pdx_attacker_create(&a, (size_t)p->N, 8,
                                         m->grid->max_student_depth,
                                         m->grid->max_student_width,
                                         m->spec->budgets, m->spec->n_budgets,
                                         NULL),
                     PDX_OK);
    pdx_observe_teacher(m->trainer, &m->layout, m->values);
    pdx_observe_measure(m->trainer, &m->layout, 0, m->values);
    pdx_observe_robust(a, m->trainer, &m->layout, 0, m->values);
    pdx_attacker_destroy(&a);
}

static void measured_free(measured *m)
{
    for (size_t v = 0; v < m->layout.n_vars; v++)
        free(m->values[v]);
    free(m->values);
    pdx_trainer_destroy(&m->trainer);
    pdx_grid_destroy(&m->grid);
    pdx_spec_destroy(&m->spec);
}

static const double *robust(const measured *m, int var)
{
    return m->values[pdx_observe_robust_base(&m->layout) + (size_t)var];
}

#define PERCEPTRON_SPEC(norm, attack)                                          \
    "N: 150\nteacher: {kind: perceptron}\n"                                   \
    "student: {kind: perceptron, weights: continuous}\n"                      \
    "data: {alpha: 2}\ntrain: {algorithm: hebb, epochs: 1}\n"                 \
    "record: {times: [1], eg: test_set, test_size: 3000, "                    \
    "budgets: [0, 0.02, 0.1, 0.4, 1.5], norm: " norm ", attack: " attack "}\n"

#define COMMITTEE_SPEC(attack, budgets)                                        \
    "N: 40\nteacher: {kind: perceptron}\n"                                    \
    "student: {kind: committee, hidden: 3, activation: erf}\n"                \
    "data: {alpha: 3}\ntrain: {algorithm: sgd, epochs: 20, "                  \
    "learning_rate: 0.5, loss: logistic}\n"                                   \
    "record: {times: [20], test_size: 400, budgets: " budgets ", "            \
    "attack: " attack ", attack_steps: 8, attack_restarts: 2}\n"

/* Budget 0 is the clean error on the same test set, bit for bit, for the
 * exact answer and for the attacks. */
static void test_robust_budget_zero_is_clean_error(void **state)
{
    (void)state;
    const char *specs[] = {PERCEPTRON_SPEC("l2", "exact"),
                           PERCEPTRON_SPEC("linf", "pgd"),
                           COMMITTEE_SPEC("pgd", "[0, 0.5]"),
                           COMMITTEE_SPEC("fgsm", "[0, 0.5]")};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        measured m;
        measure(&m, specs[i], 0);
        double eg = m.values[PDX_OBS_EG][0];
        assert_true(eg > 0.0 && eg < 0.5);
        assert_memory_equal(&robust(&m, PDX_ROBUST_ERROR)[0], &eg,
                            sizeof eg);
        assert_memory_equal(&robust(&m, PDX_ROBUST_ERROR_CONSISTENT)[0], &eg,
                            sizeof eg);
        measured_free(&m);
    }
}

/* The robust error rises with the budget; the consistent one is at most
 * the plain one; exact students record their attack (1) and distance. */
static void test_robust_monotone_and_recorded(void **state)
{
    (void)state;
    measured m;
    measure(&m, PERCEPTRON_SPEC("[l2, linf]", "[exact, pgd]"), 0);
    const double *e = robust(&m, PDX_ROBUST_ERROR);
    const double *c = robust(&m, PDX_ROBUST_ERROR_CONSISTENT);
    for (size_t j = 1; j < 5; j++) {
        assert_true(e[j] >= e[j - 1]);
        assert_true(c[j] >= c[j - 1]);
        assert_true(c[j] <= e[j]);
    }
    assert_true(e[4] > e[0] + 0.3); /* an l2 budget of 1.5 breaks most */
    assert_true(robust(&m, PDX_ROBUST_ATTACK)[0] == PDX_ATTACK_EXACT);
    assert_true(robust(&m, PDX_ROBUST_DISTANCE)[0] > 0.1);
    measured_free(&m);
}

/* PGD never reports a lower robust error than the exact value on
 * perceptrons (for a linear student its steps reach the optimal delta),
 * nor a higher one (every counted input has its delta): equal, for both
 * norms. FGSM on a linear student is optimal too. */
static void test_robust_pgd_matches_exact_on_perceptrons(void **state)
{
    (void)state;
    const char *norms[] = {"l2", "linf"};
    for (int n = 0; n < 2; n++) {
        char exact[1024], pgd[1024], fgsm[1024];
        snprintf(exact, sizeof exact, PERCEPTRON_SPEC("%s", "exact"),
                 norms[n]);
        snprintf(pgd, sizeof pgd, PERCEPTRON_SPEC("%s", "pgd"), norms[n]);
        snprintf(fgsm, sizeof fgsm, PERCEPTRON_SPEC("%s", "fgsm"), norms[n]);
        measured me, mp, mf;
        measure(&me, exact, 0);
        measure(&mp, pgd, 0);
        measure(&mf, fgsm, 0);
        const double *e = robust(&me, PDX_ROBUST_ERROR);
        const double *g = robust(&mp, PDX_ROBUST_ERROR);
        const double *f = robust(&mf, PDX_ROBUST_ERROR);
        const double *ec = robust(&me, PDX_ROBUST_ERROR_CONSISTENT);
        const double *gc = robust(&mp, PDX_ROBUST_ERROR_CONSISTENT);
        for (size_t j = 0; j < 5; j++) {
            if (g[j] < e[j] || g[j] > e[j] || f[j] != e[j])
                fail_msg("%s budget %zu: exact %.6g, pgd %.6g, fgsm %.6g",
                         norms[n], j, e[j], g[j], f[j]);
            /* an attack that ignores the teacher finds fewer consistent
             * deltas than there are, never more */
            assert_true(gc[j] <= ec[j]);
        }
        assert_true(robust(&mp, PDX_ROBUST_ATTACK)[0] == PDX_ATTACK_PGD);
        assert_true(isnan(robust(&mp, PDX_ROBUST_DISTANCE)[0]));
        measured_free(&me);
        measured_free(&mp);
        measured_free(&mf);
    }
}

/* Committees: PGD with restarts finds at least what FGSM finds at these
 * budgets, and both find something. */
static void test_robust_committee_attacks(void **state)
{
    (void)state;
    measured mp, mf;
    measure(&mp, COMMITTEE_SPEC("pgd", "[0, 0.3, 1]"), 0);
    measure(&mf, COMMITTEE_SPEC("fgsm", "[0, 0.3, 1]"), 0);
    const double *g = robust(&mp, PDX_ROBUST_ERROR);
    const double *f = robust(&mf, PDX_ROBUST_ERROR);
    assert_true(f[1] > f[0] && f[2] > f[1]);
    for (size_t j = 0; j < 3; j++)
        assert_true(g[j] >= f[j]);
    assert_true(robust(&mf, PDX_ROBUST_ATTACK)[0] == PDX_ATTACK_FGSM);
    measured_free(&mp);
    measured_free(&mf);
}

#define DEEP_SPEC(attack, budgets, norm)                                       \
    "N: 30\nteacher: {kind: perceptron}\n"                                    \
    "student: {kind: deep, depth: 3, width: 16, activation: tanh, "           \
    "sigma_w2: 1.5}\n"                                                        \
    "data: {alpha: 4}\ntrain: {algorithm: sgd, epochs: 15, batch: 8, "        \
    "learning_rate: 0.05}\n"                                                  \
    "record: {times: [15], test_size: 300, budgets: " budgets ", "            \
    "norm: " norm ", attack: " attack ", attack_steps: 8, "                   \
    "attack_restarts: 2}\n"

/* The input gradient of a deep net against central differences, for
 * smooth activations and relu (away from its kinks: a relu net is
 * piecewise linear, so a small step stays on one piece). */
static void test_robust_deep_input_gradient(void **state)
{
    (void)state;
    enum { N = 11, L = 4, n = 9 };
    const int acts[] = {PDX_ACT_TANH, PDX_ACT_ERF, PDX_ACT_RELU};
    pdx_deep *net = NULL;
    assert_int_equal(pdx_deep_create(&net, N, L, n, NULL), PDX_OK);
    double h[L * n], act[L * n], delta[2 * n], grad[N], x[N], xp[N];
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 5, PDX_RNG_TEST, 0, 0);
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        pdx_deep_init(net, &s, N, L, n, acts[k], 1.7, 0.05);
        pdx_rng_gaussian(&s, 100 + k, x, N);
        double y = pdx_deep_input_gradient(net, x, h, act, delta, grad);
        assert_double_close(y, pdx_deep_forward(net, x), 1e-12);
        for (size_t j = 0; j < N; j++) {
            const double step = 1e-6;
            memcpy(xp, x, sizeof x);
            xp[j] = x[j] + step;
            double up = pdx_deep_forward(net, xp);
            xp[j] = x[j] - step;
            double down = pdx_deep_forward(net, xp);
            double fd = (up - down) / (2 * step);
            if (fabs(fd - grad[j]) > 1e-6 * (1 + fabs(fd)))
                fail_msg("activation %d, x_%zu: backpropagated %.10g, "
                         "central difference %.10g",
                         acts[k], j, grad[j], fd);
        }
    }
    pdx_deep_destroy(&net);
}

/* Deep students are attacked (issue 18): budget 0 is the clean error bit
 * for bit, the robust error rises with the budget, PGD with restarts finds
 * at least what FGSM finds, and the attack used is recorded, in both
 * norms; every counted input has a delta that flips the student (the
 * check of attack_check), so an input gradient of the wrong sign would
 * leave the error at the clean one. */
static void test_robust_deep_students(void **state)
{
    (void)state;
    const char *norms[] = {"l2", "linf"};
    const char *budgets[] = {"[0, 0.3, 1, 3]", "[0, 0.03, 0.1, 0.3]"};
    for (int k = 0; k < 2; k++) {
        char pgd[1024], fgsm[1024];
        snprintf(pgd, sizeof pgd, DEEP_SPEC("pgd", "%s", "%s"), budgets[k],
                 norms[k]);
        snprintf(fgsm, sizeof fgsm, DEEP_SPEC("fgsm", "%s", "%s"),
                 budgets[k], norms[k]);
        measured mp, mf;
        measure(&mp, pgd, 0);
        measure(&mf, fgsm, 0);
        double eg = mp.values[PDX_OBS_EG][0];
        assert_true(eg > 0.0 && eg < 0.4);
        const double *g = robust(&mp, PDX_ROBUST_ERROR);
        const double *f = robust(&mf, PDX_ROBUST_ERROR);
        assert_memory_equal(&g[0], &eg, sizeof eg);
        assert_memory_equal(&f[0], &eg, sizeof eg);
        for (size_t j = 1; j < 4; j++) {
            assert_true(g[j] >= g[j - 1] && f[j] >= f[j - 1]);
            if (g[j] < f[j])
                fail_msg("%s budget %zu: pgd %.4f below fgsm %.4f", norms[k],
                         j, g[j], f[j]);
        }
        assert_true(f[3] > eg + 0.2); /* a large budget breaks many */
        assert_true(g[3] > eg + 0.2);
        assert_true(robust(&mp, PDX_ROBUST_ATTACK)[0] == PDX_ATTACK_PGD);
        assert_true(robust(&mf, PDX_ROBUST_ATTACK)[0] == PDX_ATTACK_FGSM);
        measured_free(&mp);
        measured_free(&mf);
    }
    /* auto picks pgd for a deep student */
    measured ma;
    measure(&ma, DEEP_SPEC("auto", "[0, 0.3]", "l2"), 0);
    assert_true(robust(&ma, PDX_ROBUST_ATTACK)[0] == PDX_ATTACK_PGD);
    measured_free(&ma);
}

/* Smallest t with a delta in the box |delta_i| <= t, u.delta <= -a and
 * v.delta >= -b, by bisection over t and, for each t, the primal: the
 * largest v.delta with u.delta <= -a (a fractional knapsack: start at
 * delta = t sign(v), then move the coordinates of least |v_i|/|u_i| to
 * -t sign(u_i) until u.delta <= -a). */
static int box_feasible(const double *u, const double *v, size_t N, double a,
                        double b, double t)
{
    double ud = 0.0, vd = 0.0;
    double ratio[16];
    size_t order[16];
    for (size_t i = 0; i < N; i++) {
        double d = v[i] >= 0 ? t : -t;
        ud += u[i] * d;
        vd += v[i] * d;
        ratio[i] = u[i] != 0 ? fabs(v[i]) / fabs(u[i]) : INFINITY;
        order[i] = i;
    }
    for (size_t i = 0; i < N; i++) /* insertion sort by ratio */
        for (size_t j = i; j > 0 && ratio[order[j]] < ratio[order[j - 1]];
             j--) {
            size_t s = order[j];
            order[j] = order[j - 1];
            order[j - 1] = s;
        }
    for (size_t k = 0; k < N && ud > -a; k++) {
        size_t i = order[k];
        double from = v[i] >= 0 ? t : -t, to = u[i] > 0 ? -t : t;
        double room = u[i] * (from - to); /* reduction of u.delta available */
        if (room <= 0)
            continue;
        double need = ud + a, frac = need < room ? need / room : 1.0;
        double d = from + frac * (to - from);
        ud += u[i] * (d - from);
        vd += v[i] * (d - from);
    }
    return ud <= -a + 1e-12 && vd >= -b - 1e-12;
}

static void test_robust_consistent_distance_linf(void **state)
{
    (void)state;
    pdx_rng_stream stream;
    pdx_rng_stream_init(&stream, 99, PDX_RNG_TEST, 0, 0);
    for (uint64_t trial = 0; trial < 200; trial++) {
        enum { N = 9 };
        double g[2 * N + 2];
        pdx_rng_gaussian(&stream, trial, g, 2 * N + 2);
        const double *w = g, *B = g + N;
        double a = fabs(g[2 * N]), b = fabs(g[2 * N + 1]);
        double kinks[N];
        size_t nk = 0;
        for (size_t i = 0; i < N; i++)
            if (w[i] / B[i] > 0)
                kinks[nk++] = w[i] / B[i];
        for (size_t i = 1; i < nk; i++)
            for (size_t j = i; j > 0 && kinks[j] < kinks[j - 1]; j--) {
                double s = kinks[j];
                kinks[j] = kinks[j - 1];
                kinks[j - 1] = s;
            }
        double t = pdx_robust_consistent_distance(PDX_NORM_LINF, w, B, N, a, b,
                                                  kinks, nk);
        assert_true(isfinite(t) && t > 0);
        if (!box_feasible(w, B, N, a, b, t * (1 + 1e-9)) ||
            box_feasible(w, B, N, a, b, t * (1 - 1e-6)))
            fail_msg("trial %lu: t* = %.17g is not the smallest feasible "
                     "budget",
                     (unsigned long)trial, t);
        /* never below the plain distance a/|w|_1 */
        double l1 = 0;
        for (size_t i = 0; i < N; i++)
            l1 += fabs(w[i]);
        assert_true(t >= a / l1 * (1 - 1e-12));
    }
}

/* l2: the closed form against the dual max over s >= 0 of
 * (a - s b)/|s B - w|_2 on a fine grid. */
static void test_robust_consistent_distance_l2(void **state)
{
    (void)state;
    pdx_rng_stream stream;
    pdx_rng_stream_init(&stream, 98, PDX_RNG_TEST, 0, 0);
    for (uint64_t trial = 0; trial < 100; trial++) {
        enum { N = 7 };
        double g[2 * N + 2];
        pdx_rng_gaussian(&stream, trial, g, 2 * N + 2);
        const double *w = g, *B = g + N;
        double a = fabs(g[2 * N]), b = fabs(g[2 * N + 1]);
        double t = pdx_robust_consistent_distance(PDX_NORM_L2, w, B, N, a, b,
                                                  NULL, 0);
        double best = 0;
        for (int k = 0; k <= 200000; k++) {
            double s = (a / b) * k / 200000.0, n2 = 0;
            for (size_t i = 0; i < N; i++)
                n2 += (s * B[i] - w[i]) * (s * B[i] - w[i]);
            double r = (a - s * b) / sqrt(n2);
            if (r > best)
                best = r;
        }
        assert_double_close(t, best, 1e-6);
    }
}

/* No budgets: no robust variables, and nothing measured. */
static void test_robust_absent_without_budgets(void **state)
{
    (void)state;
    measured m;
    measure(&m,
            "N: 50\nteacher: {kind: perceptron}\nstudent: {kind: perceptron}\n"
            "data: {alpha: 1}\ntrain: {algorithm: hebb, epochs: 1}\n"
            "record: {times: [1]}\n",
            0);
    assert_int_equal(m.layout.n_vars, PDX_OBS_FINITE_COUNT);
    assert_int_equal(m.layout.dim_size[PDX_DIM_BUDGET], 0);
    assert_int_equal(pdx_observe_robust_base(&m.layout), m.layout.n_vars);
    /* eg stays in closed form when budgets force a test set */
    measured_free(&m);
}

/* A test set made for the robust error leaves eg in closed form. */
static void test_robust_keeps_closed_form_eg(void **state)
{
    (void)state;
#define CLOSED_FORM_SPEC(extra)                                                \
    "N: 80\nteacher: {kind: perceptron}\nstudent: {kind: perceptron}\n"     \
    "data: {alpha: 1}\ntrain: {algorithm: hebb, epochs: 1}\n"                 \
    "record: {times: [1]" extra "}\n"
    const char *with = CLOSED_FORM_SPEC(", budgets: [0, 0.1], test_size: 500");
    const char *without = CLOSED_FORM_SPEC("");
    measured a, b;
    measure(&a, with, 0);
    measure(&b, without, 0);
    assert_memory_equal(a.values[PDX_OBS_EG], b.values[PDX_OBS_EG],
                        sizeof(double));
    assert_true(robust(&a, PDX_ROBUST_ERROR)[0] != a.values[PDX_OBS_EG][0]);
    measured_free(&a);
    measured_free(&b);
}

/* The closed form E(kappa, R) against the exact robust error measured on
 * the test set of a Hebb student at N = 300: for the student's own R =
 * w.B/(|w||B|) and kappa (l2: eps; linf: eps |w|_1/|w|_2) the formula is
 * exact for Gaussian x, so the measurement must lie within 3 binomial
 * standard errors of the test set. Loads and budgets held back from the
 * other tests. */
static void test_robust_closed_form_matches_simulation(void **state)
{
    (void)state;
    const char *loads[] = {"0.7", "3", "12"};
    const char *norms[] = {"l2", "linf"};
    for (size_t a = 0; a < 3; a++)
        for (size_t n = 0; n < 2; n++) {
            char text[1024];
            snprintf(text, sizeof text,
                     "N: 300\nteacher: {kind: perceptron}\n"
                     "student: {kind: perceptron, weights: continuous}\n"
                     "data: {alpha: %s}\ntrain: {algorithm: hebb, "
                     "epochs: 1}\nrecord: {times: [1], test_size: 20000, "
                     "budgets: [0, 0.015, 0.07, 0.3, 0.9], norm: %s}\n",
                     loads[a], norms[n]);
            measured m;
            measure(&m, text, 0);
            const pdx_committee *s = pdx_trainer_student(m.trainer);
            const pdx_committee *b = pdx_trainer_teacher(m.trainer);
            const size_t N = s->N;
            double ww = pdx_model_dot(s->w, s->w, N);
            double R = pdx_model_dot(s->w, b->w, N) /
                       sqrt(ww * pdx_model_dot(b->w, b->w, N));
            double l1 = 0;
            for (size_t i = 0; i < N; i++)
                l1 += fabs(s->w[i]);
            const double *e = robust(&m, PDX_ROBUST_ERROR);
            for (size_t j = 0; j < m.spec->n_budgets; j++) {
                double eps = m.spec->budgets[j];
                double kappa = n == 0 ? eps : eps * l1 / sqrt(ww);
                double E = pdx_theory_robust_error(R, kappa);
                double se = sqrt(E * (1 - E) / 20000.0);
                if (fabs(e[j] - E) > 3 * se + 1e-12)
                    fail_msg("alpha %s %s eps %g: simulated %.5f, closed form "
                             "%.5f (R %.4f, kappa %.4f, 3 se %.5f)",
                             loads[a], norms[n], eps, e[j], E, R, kappa,
                             3 * se);
                if (n == 1)
                    continue;
                /* the consistent variant (l2): exact given R */
                double c = robust(&m, PDX_ROBUST_ERROR_CONSISTENT)[j];
                double Ec = pdx_theory_robust_error_consistent(R, eps);
                double sec = sqrt(Ec * (1 - Ec) / 20000.0);
                assert_true(Ec <= E + 1e-12);
                if (fabs(c - Ec) > 3 * sec + 1e-12)
                    fail_msg("alpha %s eps %g: consistent simulated %.5f, "
                             "closed form %.5f (R %.4f, 3 se %.5f)",
                             loads[a], eps, c, Ec, R, 3 * sec);
            }
            /* the mean minimal perturbation, (1 + R)/sqrt(2 pi) in l2 */
            double d = robust(&m, PDX_ROBUST_DISTANCE)[0];
            double dth = pdx_theory_robust_distance(
                R, n == 0 ? PDX_NORM_L2 : PDX_NORM_LINF, (double)N,
                l1 / sqrt(ww * (double)N));
            assert_double_close(d, dth, 0.03);
            measured_free(&m);
        }
}

/* Limits of the closed form: budget 0 is arccos(R)/pi, R = 1 gives
 * erf(kappa/sqrt 2), a large budget breaks everything; the l1 ratio of a
 * Gaussian-like student is sqrt(2/pi), of a binary one 1. */
static void test_robust_closed_form_limits(void **state)
{
    (void)state;
    for (double R = -0.9; R < 1.0; R += 0.3)
        assert_double_close(pdx_theory_robust_error(R, 0), acos(R) / M_PI,
                            1e-15);
    assert_double_close(pdx_theory_robust_error(1.0, 0.7), erf(0.7 / M_SQRT2),
                        1e-13);
    assert_double_close(pdx_theory_robust_error(0.999999, 0.7),
                        erf(0.7 / M_SQRT2), 1e-3);
    assert_double_close(pdx_theory_robust_error(0.5, 30), 1.0, 1e-12);
    assert_double_close(pdx_theory_robust_l1_ratio(0.3, 0, 0), sqrt(2 / M_PI),
                        1e-15);
    assert_double_close(pdx_theory_robust_l1_ratio(0.3, 1, 1), 1.0, 1e-15);
    /* binary teacher, R -> 0: Gaussian; R -> 1: the teacher's own 1 */
    assert_double_close(pdx_theory_robust_l1_ratio(1e-9, 1, 0), sqrt(2 / M_PI),
                        1e-8);
    assert_double_close(pdx_theory_robust_l1_ratio(1 - 1e-12, 1, 0), 1.0,
                        1e-5);
    /* consistent: at R = 0 as the plain one (min(0, .) = 0); below it */
    assert_double_close(pdx_theory_robust_error_consistent(0.0, 0.8),
                        pdx_theory_robust_error(0.0, 0.8), 1e-12);
    assert_true(pdx_theory_robust_error_consistent(0.9, 0.5) <
                pdx_theory_robust_error(0.9, 0.5) - 1e-3);
    assert_true(pdx_theory_robust_error_consistent(0.9, 0.5) >
                acos(0.9) / M_PI + 1e-3);
    assert_double_close(pdx_theory_robust_error_consistent(0.7, 0),
                        acos(0.7) / M_PI, 1e-15);
    /* the integral: E(kappa, 0) = 1/2 + (Phi(kappa) - 1/2) */
    assert_double_close(pdx_theory_robust_error(0.0, 0.8),
                        0.5 + 0.5 * erf(0.8 / M_SQRT2), 1e-12);
}

/* Adversarial training's attack: inside the ball, on its surface for
 * fgsm in linf, and the training loss grows (fgsm and pgd, both norms). */
static void test_robust_adversarial_input(void **state)
{
    (void)state;
    const char *variants[][2] = {{"l2", "fgsm"}, {"linf", "fgsm"},
                                 {"l2", "pgd"}, {"linf", "pgd"}};
    for (size_t v = 0; v < 4; v++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "N: 40\nteacher: {kind: perceptron}\n"
                 "student: {kind: committee, hidden: 3}\n"
                 "data: {alpha: 2}\ntrain: {algorithm: sgd, epochs: 3, "
                 "loss: logistic, adversarial_budget: 0.2, "
                 "adversarial_attack: %s, adversarial_steps: 4}\n"
                 "record: {times: [3], norm: %s}\n",
                 variants[v][1], variants[v][0]);
        measured m;
        measure(&m, text, 0);
        pdx_trainer *t = m.trainer;
        const pdx_dataset *d = pdx_trainer_dataset(t);
        const size_t N = 40;
        double out[40], lambda[8], g[64];
        int linf = strcmp(variants[v][0], "linf") == 0;
        for (size_t mu = 0; mu < 20; mu++) {
            const double *x = d->x + mu * N;
            pdx__adversarial_input(t, x, d->y[mu], out);
            double norm = 0;
            for (size_t j = 0; j < N; j++)
                norm = linf ? fmax(norm, fabs(out[j] - x[j]))
                            : norm + (out[j] - x[j]) * (out[j] - x[j]);
            if (!linf)
                norm = sqrt(norm);
            assert_true(norm <= 0.2 * (1 + 1e-12));
            assert_true(norm > 0.19);
            double s = 1 / sqrt((double)N);
            double clean = pdx__student_output(pdx_trainer_student(t), x,
                                               lambda, g, s);
            double adv = pdx__student_output(pdx_trainer_student(t), out,
                                             lambda, g, s);
            /* logistic loss log(1 + exp(-y yhat)) grows: y yhat falls */
            assert_true(d->y[mu] * adv < d->y[mu] * clean);
        }
        measured_free(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robust_budget_zero_is_clean_error),
        cmocka_unit_test(test_robust_monotone_and_recorded),
        cmocka_unit_test(test_robust_pgd_matches_exact_on_perceptrons),
        cmocka_unit_test(test_robust_committee_attacks),
        cmocka_unit_test(test_robust_deep_input_gradient),
        cmocka_unit_test(test_robust_deep_students),
        cmocka_unit_test(test_robust_consistent_distance_linf),
        cmocka_unit_test(test_robust_consistent_distance_l2),
        cmocka_unit_test(test_robust_absent_without_budgets),
        cmocka_unit_test(test_robust_keeps_closed_form_eg),
        cmocka_unit_test(test_robust_closed_form_matches_simulation),
        cmocka_unit_test(test_robust_closed_form_limits),
        cmocka_unit_test(test_robust_adversarial_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
