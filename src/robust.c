/* robust.c — the robust error of issue 18: at each checkpoint, the
 * fraction of test inputs x for which some delta with |delta| <= eps
 * (record.norm) makes the student's sign differ from the teacher's clean
 * label, at every budget eps of record.budgets; its "consistent" variant
 * (only delta that keep the teacher's label); exactly for perceptron
 * students (the distance |w.x| / |w|_dual to the student's plane), by
 * FGSM or PGD for committees (docs/FORMAT.md, "Robust error").
 * Reads trainers through pdx/train.h's getters only. */
#include "pdx/observe.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/data.h"
#include "pdx/model.h"
#include "pdx/rng.h"

static const pdx_var_desc robust_variables[PDX_ROBUST_COUNT] = {
    [PDX_ROBUST_ERROR] = {"robust_error",
                          "robust error: fraction of test inputs x for which "
                          "some delta with |delta| <= budget (record.norm) "
                          "makes sign(student(x + delta)) differ from the "
                          "teacher's clean label of x",
                          "1", 2, {PDX_DIM_TIME, PDX_DIM_BUDGET}},
    [PDX_ROBUST_ERROR_CONSISTENT] = {"robust_error_consistent",
                                     "consistent robust error: as "
                                     "robust_error, counting only delta "
                                     "that leave the teacher's label of "
                                     "x + delta equal to its label of x",
                                     "1", 2, {PDX_DIM_TIME, PDX_DIM_BUDGET}},
    [PDX_ROBUST_DISTANCE] = {"robust_distance",
                             "mean over test inputs of the minimal "
                             "perturbation |delta| (record.norm) that makes "
                             "the student's sign differ from the clean "
                             "label (0 for misclassified inputs); exact "
                             "attack only, NaN otherwise",
                             "1", 1, {PDX_DIM_TIME}},
    [PDX_ROBUST_ATTACK] = {"robust_attack",
                           "how robust_error was found: 1 exact, 2 fgsm, "
                           "3 pgd (record.attack)",
                           "1", 0, {PDX_DIM_TIME}},
};

/* The layouts' tables: the first `base` observe variables then the robust
 * ones, for the three bases (online, finite sets, per layer). */
enum { N_BASES = 3, MAX_LAYOUT_VARS = PDX_OBS_COUNT + PDX_ROBUST_COUNT };
static const size_t bases[N_BASES] = {PDX_OBS_ONLINE_COUNT,
                                      PDX_OBS_FINITE_COUNT, PDX_OBS_COUNT};
static pdx_var_desc with_robust[N_BASES][MAX_LAYOUT_VARS];
static pthread_once_t with_robust_once = PTHREAD_ONCE_INIT;

static void fill_with_robust(void)
{
    const pdx_var_desc *vars = pdx_observe_variables(NULL);
    for (size_t b = 0; b < N_BASES; b++) {
        memcpy(with_robust[b], vars, bases[b] * sizeof *vars);
        memcpy(with_robust[b] + bases[b], robust_variables,
               sizeof robust_variables);
    }
}

const pdx_var_desc *pdx_observe_layout_variables(size_t base, int robust,
                                                 size_t *count)
{
    const pdx_var_desc *vars = pdx_observe_variables(NULL);
    *count = base;
    if (!robust)
        return vars;
    pthread_once(&with_robust_once, fill_with_robust);
    for (size_t b = 0; b < N_BASES; b++)
        if (bases[b] == base) {
            *count = base + PDX_ROBUST_COUNT;
            return with_robust[b];
        }
    return vars; /* not a base of pdx/observe.h: no robust variables */
}

size_t pdx_observe_robust_base(const pdx_layout *layout)
{
    size_t n = pdx_observe_flat_base(layout); /* the local energy's last */
    if (layout->dim_size[PDX_DIM_BUDGET] == 0 || n < PDX_ROBUST_COUNT)
        return n;
    return n - PDX_ROBUST_COUNT;
}

/* ---- the workspace ---- */

struct pdx_attacker {
    size_t max_N, max_K;
    size_t max_depth, max_width; /* deep students (0: none) */
    double *deep_work;  /* their input gradient: h, act (depth x width
                         * each) and 2 width of backpropagation */
    const double *budgets;
    size_t n_budgets;
    double *x_adv, *delta, *grad, *kinks, *nu;
    unsigned char *broken; /* per budget: plain, consistent */
};

static size_t deep_work_doubles(size_t max_depth, size_t max_width)
{
    return max_depth > 0 ? 2 * (max_depth + 1) * max_width : 0;
}

double pdx_attacker_bytes(size_t max_N, size_t max_depth, size_t max_width,
                          size_t n_budgets)
{
    return 8.0 * (5.0 * (double)max_N + 64.0 +
                  (double)deep_work_doubles(max_depth, max_width)) +
           2.0 * (double)n_budgets;
}

pdx_status pdx_attacker_create(pdx_attacker **out, size_t max_N,
                               size_t max_K, size_t max_depth,
                               size_t max_width, const double *budgets,
                               size_t n_budgets, pdx_error *err)
{
    *out = NULL;
    pdx_attacker *a = calloc(1, sizeof *a);
    size_t n = max_N > 0 ? max_N : 1;
    size_t deep = deep_work_doubles(max_depth, max_width);
    if (a != NULL && deep > 0) {
        a->deep_work = malloc(deep * sizeof *a->deep_work);
        if (a->deep_work == NULL) {
            free(a);
            a = NULL;
        }
    }
    if (a != NULL) {
        a->x_adv = malloc(n * sizeof *a->x_adv);
        a->delta = malloc(n * sizeof *a->delta);
        a->grad = malloc(n * sizeof *a->grad);
        a->kinks = malloc(n * sizeof *a->kinks);
        a->nu = malloc((n + 64) * sizeof *a->nu);
        a->broken = calloc(2 * n_budgets + 2, 1);
    }
    if (a == NULL || a->x_adv == NULL || a->delta == NULL ||
        a->grad == NULL || a->kinks == NULL || a->nu == NULL ||
        a->broken == NULL) {
        pdx_attacker_destroy(&a);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the attacks' workspace of "
                             "%.0f bytes",
                             pdx_attacker_bytes(max_N, max_depth, max_width,
                                                n_budgets));
    }
    a->max_N = max_N;
    a->max_K = max_K;
    a->max_depth = max_depth;
    a->max_width = max_width;
    a->budgets = budgets;
    a->n_budgets = n_budgets;
    *out = a;
    return PDX_OK;
}

void pdx_attacker_destroy(pdx_attacker **attacker)
{
    if (attacker == NULL || *attacker == NULL)
        return;
    pdx_attacker *a = *attacker;
    free(a->x_adv);
    free(a->delta);
    free(a->grad);
    free(a->kinks);
    free(a->nu);
    free(a->broken);
    free(a->deep_work);
    free(a);
    *attacker = NULL;
}

/* ---- perceptron students: exact ---- */

/* sum_i |s B_i - w_i| */
static double kink_norm(const double *w, const double *B, size_t N, double s)
{
    double g = 0.0;
    for (size_t i = 0; i < N; i++)
        g += fabs(s * B[i] - w[i]);
    return g;
}

/* (a - s b) / |s B - w|_1, the linf bound of the dual at s (inf where the
 * denominator vanishes with a positive numerator). */
static double kink_ratio(const double *w, const double *B, size_t N,
                         double a, double b, double s)
{
    double num = a - s * b, g = kink_norm(w, B, N, s);
    if (g > 0.0)
        return num / g;
    return num > 0.0 ? INFINITY : 0.0;
}

double pdx_robust_consistent_distance(int norm, const double *w,
                                      const double *B, size_t N, double a,
                                      double b, const double *kinks,
                                      size_t n_kinks)
{
    if (norm == PDX_NORM_L2) {
        /* min |delta| with u.delta <= -a, v.delta >= -b (u = s w, v = s B):
         * the projection on the first plane if it keeps the second
         * constraint, else the point of both planes in span(u, v) */
        double uu = pdx_model_dot(w, w, N), vv = pdx_model_dot(B, B, N);
        double uv = pdx_model_dot(w, B, N);
        if (a * uv <= b * uu)
            return a / sqrt(uu);
        double det = uu * vv - uv * uv;
        if (!(det > 1e-14 * uu * vv))
            return INFINITY;
        double t2 = (a * a * vv - 2.0 * a * b * uv + b * b * uu) / det;
        return sqrt(t2 > 0.0 ? t2 : 0.0);
    }
    /* linf: by LP duality t* = max over s >= 0 of (a - s b) / |s v - u|_1,
     * quasi-concave in s and maximal at s = 0 or a kink s = w_i/B_i in
     * (0, a/b) (the ratio is monotone between kinks): binary search over
     * the sorted candidates {0, kinks below a/b}. */
    size_t m = n_kinks;
    if (b > 0.0) {
        size_t lo = 0, hi = n_kinks; /* first kink >= a/b */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (kinks[mid] * b < a)
                lo = mid + 1;
            else
                hi = mid;
        }
        m = lo;
    }
    size_t lo = 0, hi = m; /* candidate c: 0 for s = 0, else kinks[c - 1] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double s0 = mid == 0 ? 0.0 : kinks[mid - 1], s1 = kinks[mid];
        if (kink_ratio(w, B, N, a, b, s0) < kink_ratio(w, B, N, a, b, s1))
            lo = mid + 1;
        else
            hi = mid;
    }
    return kink_ratio(w, B, N, a, b, lo == 0 ? 0.0 : kinks[lo - 1]);
}

static int compare_doubles(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The robust error of a perceptron student on the test set (x, y, n),
 * exactly: plain and consistent per budget into err, cons; the mean
 * minimal perturbation returned. */
static double robust_exact(pdx_attacker *at, const pdx_trainer *t,
                           const double *x, const double *y, size_t n,
                           double *err, double *cons)
{
    const pdx_committee *s = pdx_trainer_student(t);
    const pdx_committee *teacher = pdx_trainer_teacher(t);
    const pdx_params *p = pdx_trainer_params(t);
    const size_t N = s->N, nb = at->n_budgets;
    const double *w = s->w;
    const int linf = p->record_norm == PDX_NORM_LINF;
    /* the consistent variant needs the teacher's plane */
    const double *B = p->teacher_kind == PDX_MODEL_PERCEPTRON && teacher->K == 1
                          ? teacher->w
                          : NULL;
    double dual = 0.0;
    if (linf)
        for (size_t i = 0; i < N; i++)
            dual += fabs(w[i]);
    else
        dual = sqrt(pdx_model_dot(w, w, N));
    size_t n_kinks = 0;
    if (B != NULL && linf) {
        for (size_t i = 0; i < N; i++)
            if (B[i] != 0.0 && w[i] / B[i] > 0.0)
                at->kinks[n_kinks++] = w[i] / B[i];
        qsort(at->kinks, n_kinks, sizeof *at->kinks, compare_doubles);
    }
    double distance_sum = 0.0;
    for (size_t mu = 0; mu < n; mu++) {
        const double *xm = x + mu * N;
        double lambda[64];
        double yhat = pdx_model_forward(s, xm, lambda);
        int label = y[mu] > 0.0 ? 1 : -1;
        if ((yhat >= 0.0) != (label > 0)) { /* wrong at every budget */
            for (size_t j = 0; j < nb; j++) {
                err[j] += 1.0;
                cons[j] += 1.0;
            }
            continue;
        }
        double a = label * pdx_model_dot(w, xm, N);
        double d = a / dual;
        distance_sum += d;
        double dc = NAN;
        if (B != NULL)
            dc = pdx_robust_consistent_distance(
                p->record_norm, w, B, N, a, label * pdx_model_dot(B, xm, N),
                at->kinks, n_kinks);
        for (size_t j = 0; j < nb; j++) {
            double eps = at->budgets[j];
            if (eps > 0.0 && d <= eps)
                err[j] += 1.0;
            if (eps > 0.0 && dc <= eps)
                cons[j] += 1.0;
        }
    }
    if (B == NULL)
        for (size_t j = 0; j < nb; j++)
            cons[j] = NAN;
    return distance_sum / (double)n;
}

/* ---- committees: FGSM and PGD ---- */

/* d student(x) / dx into grad: sum_k v_k g'(lambda_k) w_k / sqrt(N) for
 * committees, backpropagation for deep students (in at->deep_work);
 * returns the output. */
static double student_gradient(pdx_attacker *at, const pdx_committee *s,
                               const double *x, double *grad)
{
    if (s->deep != NULL) {
        const pdx_deep *net = s->deep;
        double *h = at->deep_work, *act = h + net->depth * net->width;
        return pdx_deep_input_gradient(net, x, h, act,
                                       act + net->depth * net->width, grad);
    }
    double lambda[64];
    double yhat = pdx_model_forward(s, x, lambda);
    const size_t N = s->N;
    const double scale = 1.0 / sqrt((double)N);
    memset(grad, 0, N * sizeof *grad);
    for (size_t k = 0; k < s->K; k++) {
        double c = s->v[k] * pdx_model_dg(s->activation, lambda[k]) * scale;
        const double *wk = s->w + k * N;
        for (size_t i = 0; i < N; i++)
            grad[i] += c * wk[i];
    }
    return yhat;
}

/* delta -= step * label * direction(grad), then delta back into the ball
 * of radius eps. */
static void attack_step(int linf, double *delta, const double *grad,
                        size_t N, double label, double step, double eps)
{
    if (linf) {
        for (size_t i = 0; i < N; i++) {
            double g = grad[i] > 0.0 ? 1.0 : grad[i] < 0.0 ? -1.0 : 0.0;
            double d = delta[i] - step * label * g;
            delta[i] = d > eps ? eps : d < -eps ? -eps : d;
        }
        return;
    }
    double gn = sqrt(pdx_model_dot(grad, grad, N));
    if (gn > 0.0)
        for (size_t i = 0; i < N; i++)
            delta[i] -= step * label * grad[i] / gn;
    double dn = sqrt(pdx_model_dot(delta, delta, N));
    if (dn > eps)
        for (size_t i = 0; i < N; i++)
            delta[i] *= eps / dn;
}

/* A start of the attack: 0, or uniform in the ball (linf: the box; l2:
 * a Gaussian direction at radius eps u^(1/N)). */
static void attack_start(const pdx_rng_stream *stream, uint64_t block,
                         int linf, double eps, double *delta, size_t N)
{
    if (linf) {
        pdx_rng_uniform(stream, block, delta, N);
        for (size_t i = 0; i < N; i++)
            delta[i] = (2.0 * delta[i] - 1.0) * eps;
        return;
    }
    double u;
    pdx_rng_gaussian(stream, block, delta, N);
    pdx_rng_uniform(stream, block ^ 0x5555555555555555ull, &u, 1);
    double dn = sqrt(pdx_model_dot(delta, delta, N));
    double r = dn > 0.0 ? eps * pow(u, 1.0 / (double)N) / dn : 0.0;
    for (size_t i = 0; i < N; i++)
        delta[i] *= r;
}

/* What x + delta does: bit 0 the student's sign differs from the label,
 * bit 1 also the teacher's label is kept. */
static int attack_check(pdx_attacker *at, const pdx_trainer *t,
                        const double *x, int label)
{
    const pdx_committee *s = pdx_trainer_student(t);
    const size_t N = s->N;
    for (size_t i = 0; i < N; i++)
        at->x_adv[i] = x[i] + at->delta[i];
    double lambda[64];
    double yhat = pdx_model_forward(s, at->x_adv, lambda);
    if ((yhat >= 0.0) == (label > 0))
        return 0;
    double yt = pdx_data_label(pdx_trainer_teacher(t),
                               pdx_trainer_classification(t), at->x_adv,
                               at->nu);
    return 1 | ((yt > 0.0) == (label > 0) ? 2 : 0);
}

/* Attack one correctly classified input x at budget eps: bits as
 * attack_check, over every start and step (stops once both are found). */
static int attack_input(pdx_attacker *at, const pdx_trainer *t,
                        const pdx_rng_stream *stream, uint64_t block,
                        int attack, const double *x, int label, double eps)
{
    const pdx_params *p = pdx_trainer_params(t);
    const pdx_committee *s = pdx_trainer_student(t);
    const size_t N = s->N;
    const int linf = p->record_norm == PDX_NORM_LINF;
    const int64_t steps = attack == PDX_ATTACK_FGSM ? 1 : p->record_attack_steps;
    const int64_t starts =
        attack == PDX_ATTACK_FGSM ? 1 : p->record_attack_restarts;
    const double step = attack == PDX_ATTACK_FGSM ? eps
                                                  : 2.5 * eps / (double)steps;
    int found = 0;
    for (int64_t r = 0; r < starts && found != 3; r++) {
        if (r == 0)
            memset(at->delta, 0, N * sizeof *at->delta);
        else
            attack_start(stream, pdx_rng_mix64(block + (uint64_t)r), linf,
                         eps, at->delta, N);
        for (int64_t k = 0; k < steps && found != 3; k++) {
            for (size_t i = 0; i < N; i++)
                at->x_adv[i] = x[i] + at->delta[i];
            student_gradient(at, s, at->x_adv, at->grad);
            attack_step(linf, at->delta, at->grad, N, (double)label, step,
                        eps);
            found |= attack_check(at, t, x, label);
        }
    }
    return found;
}

static void robust_attack(pdx_attacker *at, const pdx_trainer *t, int attack,
                          size_t ti, const double *x, const double *y,
                          size_t n, double *err, double *cons)
{
    const pdx_committee *s = pdx_trainer_student(t);
    const size_t N = s->N, nb = at->n_budgets;
    uint64_t seed, cell_key, replica;
    pdx_trainer_stream_names(t, &seed, &cell_key, &replica);
    pdx_rng_stream stream;
    pdx_rng_stream_init(&stream, seed, PDX_RNG_ATTACK, cell_key, replica);
    for (size_t mu = 0; mu < n; mu++) {
        const double *xm = x + mu * N;
        double lambda[64];
        double yhat = pdx_model_forward(s, xm, lambda);
        int label = y[mu] > 0.0 ? 1 : -1;
        if ((yhat >= 0.0) != (label > 0)) {
            for (size_t j = 0; j < nb; j++) {
                err[j] += 1.0;
                cons[j] += 1.0;
            }
            continue;
        }
        /* budgets ascending: a delta found at eps serves every larger eps */
        int found = 0;
        for (size_t j = 0; j < nb; j++) {
            double eps = at->budgets[j];
            if (eps > 0.0 && found != 3) {
                uint64_t block = pdx_rng_mix64(
                    pdx_rng_mix64(pdx_rng_mix64(ti) ^ mu) ^ ((uint64_t)j << 20));
                found |= attack_input(at, t, &stream, block, attack, xm, label,
                                      eps);
            }
            err[j] += (found & 1) ? 1.0 : 0.0;
            cons[j] += (found & 2) ? 1.0 : 0.0;
        }
    }
}

void pdx_observe_robust(pdx_attacker *at, const pdx_trainer *t,
                        const pdx_layout *layout, size_t ti,
                        double *const *out)
{
    const size_t base = pdx_observe_robust_base(layout);
    const size_t nb = layout->dim_size[PDX_DIM_BUDGET];
    if (base == pdx_observe_noise_base(layout) || at == NULL ||
        nb != at->n_budgets)
        return;
    const pdx_params *p = pdx_trainer_params(t);
    const double *x, *y;
    size_t n = pdx_trainer_test_set(t, &x, &y);
    if (n == 0 || p->record_budget_count == 0)
        return;
    int perceptron = p->student_kind == PDX_MODEL_PERCEPTRON;
    int attack = p->record_attack;
    if (attack == PDX_ATTACK_AUTO)
        attack = perceptron ? PDX_ATTACK_EXACT : PDX_ATTACK_PGD;
    double *err = out[base + PDX_ROBUST_ERROR] + ti * nb;
    double *cons = out[base + PDX_ROBUST_ERROR_CONSISTENT] + ti * nb;
    for (size_t j = 0; j < nb; j++)
        err[j] = cons[j] = 0.0;
    double distance = NAN;
    if (attack == PDX_ATTACK_EXACT)
        distance = robust_exact(at, t, x, y, n, err, cons);
    else
        robust_attack(at, t, attack, ti, x, y, n, err, cons);
    for (size_t j = 0; j < nb; j++) {
        err[j] /= (double)n;
        cons[j] /= (double)n;
    }
    out[base + PDX_ROBUST_DISTANCE][ti] = distance;
    out[base + PDX_ROBUST_ATTACK][0] = (double)attack;
}
