/* train_finite.c — trainers on a fixed training set (pdx/data.h): the Hebb
 * rule, the perceptron rule, minibatch SGD, full-batch gradient descent,
 * Langevin dynamics and Metropolis Monte Carlo of perceptrons.
 *
 * Random numbers (all per cell: keyed by (seed, cell_key, replica)):
 *   SHUFFLE block e: P uniforms, the Fisher-Yates order of epoch e (sgd,
 *     perceptron rule);
 *   DYNAMICS block (s << 8) | k: N Gaussians, Langevin noise of unit k at
 *     step s (k = 255: the K second-layer weights);
 *   DYNAMICS block s: 4N uniforms, the N moves of Metropolis sweep s
 *     (binary: site, acceptance; spherical: two sites, angle, acceptance).
 *
 * Predictions are sign(yhat) with sign(0) = +1; the perceptron rule and
 * the hinge loss update when y yhat <= 0. No allocation anywhere here. */
#include <math.h>
#include <string.h>

#include "pdx/rng.h"
#include "pdx/train.h"
#include "train_internal.h"
#include "vec8.h"

/* Metropolis: fields and energy are recomputed from scratch every this
 * many sweeps, so that rounding in the incremental updates cannot drift. */
#define MC_REFRESH_SWEEPS 16

static inline int misclassified(double yhat, double y)
{
    return (yhat >= 0.0) != (y > 0.0);
}

static double loss_value(int loss, double y, double yhat)
{
    switch (loss) {
    case PDX_LOSS_LOGISTIC: {
        double z = y * yhat;
        return z > 0.0 ? log1p(exp(-z)) : -z + log1p(exp(z));
    }
    case PDX_LOSS_HINGE: {
        double z = y * yhat;
        return z < 0.0 ? -z : 0.0;
    }
    case PDX_LOSS_SQUARED:
    default: {
        double d = y - yhat;
        return 0.5 * d * d;
    }
    }
}

/* d loss / d yhat */
static inline double loss_slope(int loss, double y, double yhat)
{
    switch (loss) {
    case PDX_LOSS_LOGISTIC: return -y / (1.0 + exp(y * yhat));
    case PDX_LOSS_HINGE: return y * yhat <= 0.0 ? -y : 0.0;
    case PDX_LOSS_SQUARED:
    default: return yhat - y;
    }
}

/* Student output on x; lambda[k] receives the pre-activations and g[k]
 * (K <= 64: spec student.hidden) the activations. */
static inline double student_output(const pdx_committee *s, const double *x,
                                    double *lambda, double *g,
                                    double inv_sqrt_N)
{
    double yhat = 0.0;
    pdx_model_dot_rows(s->w, s->K, s->N, x, s->N, lambda);
    for (size_t k = 0; k < s->K; k++)
        lambda[k] *= inv_sqrt_N;
    pdx_model_g_many(s->activation, lambda, g, s->K);
    for (size_t k = 0; k < s->K; k++)
        yhat += s->v[k] * g[k];
    return yhat;
}

static void to_sphere(double *w, size_t n)
{
    double q = pdx_model_dot(w, w, n);
    if (q > 0.0) {
        double f = sqrt((double)n / q);
        for (size_t j = 0; j < n; j++)
            w[j] *= f;
    }
}

static int is_perceptron(const pdx_trainer *t)
{
    return t->params.student_kind == PDX_MODEL_PERCEPTRON;
}

/* Metropolis: fields h_mu = w.x_mu and the energy, from scratch. */
static void mc_refresh(pdx_trainer *t)
{
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P;
    int64_t errors = 0;
    for (size_t mu = 0; mu < P; mu++) {
        t->field[mu] = pdx_model_dot(t->student.w, d->x + mu * N, N);
        errors += misclassified(t->field[mu], d->y[mu]);
    }
    t->energy = errors;
}

void pdx__trainer_finite_start(pdx_trainer *t)
{
    t->perm_epoch = -1;
    t->uniforms_sweep = -1;
    t->time_to_fit = NAN;
    t->energy = 0;
    t->accepted = 0;
    t->sum_eg = t->sum_train_error = t->sum_train_error_clean = 0.0;
    memset(t->sum_R, 0, t->max_K * t->max_M * sizeof *t->sum_R);
    t->n_samples = 0;
    if (t->params.train_algorithm == PDX_ALG_METROPOLIS) {
        const pdx_dataset *d = t->data;
        const size_t N = d->N, P = d->P;
        for (size_t mu = 0; mu < P; mu++)
            for (size_t j = 0; j < N; j++)
                t->xt[j * P + mu] = d->x[mu * N + j];
        mc_refresh(t);
        if (t->energy == 0)
            t->time_to_fit = 0.0;
    }
}

double pdx_trainer_train_error(pdx_trainer *t, int clean, double *loss)
{
    if (t->data == NULL || !pdx_params_finite(&t->params)) {
        if (loss != NULL)
            *loss = NAN;
        return NAN;
    }
    const pdx_dataset *d = t->data;
    const size_t N = d->N, P = d->P;
    const double *y = clean ? d->y_clean : d->y;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const int use_fields = t->params.train_algorithm == PDX_ALG_METROPOLIS;
    double errors = 0.0, loss_sum = 0.0, g[64];
    for (size_t mu = 0; mu < P; mu++) {
        double yhat = use_fields
                          ? t->field[mu] * inv_sqrt_N
                          : student_output(&t->student, d->x + mu * N,
                                           t->lambda, g, inv_sqrt_N);
        if (t->classification)
            errors += misclassified(yhat, y[mu]);
        else
            errors += 0.5 * (y[mu] - yhat) * (y[mu] - yhat);
        if (loss != NULL)
            loss_sum += loss_value(t->params.train_loss, d->y[mu], yhat);
    }
    if (loss != NULL)
        *loss = loss_sum / (double)P;
    return errors / (double)P;
}

/* 1 if the student classifies every training example (noisy labels)
 * correctly; stops at the first error. 0 for real labels. */
static int fits(pdx_trainer *t)
{
    if (!t->classification)
        return 0;
    if (t->params.train_algorithm == PDX_ALG_METROPOLIS)
        return t->energy == 0;
    const pdx_dataset *d = t->data;
    const size_t N = d->N;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    double g[64];
    for (size_t mu = 0; mu < d->P; mu++)
        if (misclassified(student_output(&t->student, d->x + mu * N,
                                         t->lambda, g, inv_sqrt_N),
                          d->y[mu]))
            return 0;
    return 1;
}

static void note_fit(pdx_trainer *t)
{
    if (isnan(t->time_to_fit) && fits(t))
        t->time_to_fit = (double)t->step / (double)t->steps_per_epoch;
}

/* The order of epoch `epoch` (Fisher-Yates on SHUFFLE uniforms). */
static void make_perm(pdx_trainer *t, int64_t epoch)
{
    const size_t P = t->data->P;
    pdx_rng_stream shuffle;
    pdx_rng_stream_init(&shuffle, t->seed, PDX_RNG_SHUFFLE, t->cell_key,
                        t->replica);
    double *u = t->field; /* P doubles of scratch (fields: metropolis only) */
    pdx_rng_uniform(&shuffle, (uint64_t)epoch, u, P);
    for (size_t i = 0; i < P; i++)
        t->perm[i] = (uint32_t)i;
    for (size_t i = P; i-- > 1;) {
        size_t j = (size_t)(u[i] * (double)(i + 1));
        if (j > i)
            j = i;
        uint32_t tmp = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = tmp;
    }
    t->perm_epoch = epoch;
}

/* w[j] -= eta (scale sum_i c[i] rows[i][j] + decay w[j]), the sum over
 * i in order from +0: 8 weights at a time in one vector, element by
 * element the same operations as the scalar loop. */

static void fused_update(double *restrict w, size_t N,
                         const double *const *rows, const double *c,
                         size_t b, double eta, double scale, double decay)
{
    size_t j = 0;
    for (; j + 8 <= N; j += 8) {
        pdx_vd acc[PDX_VN];
        for (int h = 0; h < PDX_VN; h++)
            acc[h] = (pdx_vd){0};
        for (size_t i = 0; i < b; i++)
            for (int h = 0; h < PDX_VN; h++)
                acc[h] += c[i] * pdx_vd_load(rows[i] + j + (size_t)h * PDX_VW);
        for (int h = 0; h < PDX_VN; h++) {
            double *wj = w + j + (size_t)h * PDX_VW;
            pdx_vd wv = pdx_vd_load(wj);
            wv -= eta * (acc[h] * scale + decay * wv);
            pdx_vd_store(wj, wv);
        }
    }
    for (; j < N; j++) {
        double acc = 0.0;
        for (size_t i = 0; i < b; i++)
            acc += c[i] * rows[i][j];
        w[j] -= eta * (acc * scale + decay * w[j]);
    }
}

/* One gradient step on the examples idx[0..b-1] (idx NULL: 0..b-1), with
 * Langevin noise of temperature `temperature` (0: none). Counts the
 * misclassified examples at the current weights into *errors (if not
 * NULL). Returns 1 on a non-finite loss slope (diverged). */
static int gradient_step(pdx_trainer *t, const uint32_t *idx, size_t b,
                         double temperature, int64_t *errors)
{
    pdx_committee *s = &t->student;
    const pdx_dataset *d = t->data;
    const size_t N = s->N, K = s->K;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const double eta = t->params.train_learning_rate;
    const double eta_v = t->params.train_learning_rate_second;
    const double decay = t->params.train_weight_decay;
    const int loss = t->params.train_loss;
    const int act = s->activation;
    const int train_v = !is_perceptron(t) &&
                        (t->params.student_kind == PDX_MODEL_TWOLAYER ||
                         t->params.student_second_layer == PDX_SECOND_TRAINED);
    double *restrict gw = t->grad_w;
    double *restrict gv = t->grad_v;
    double *lambda = t->lambda;
    const int direct = b == 1 && temperature == 0.0;
    /* batches of up to FUSED examples keep their coefficients and rows and
     * sum each weight's gradient in one pass after the loop (the same
     * additions in the same order as accumulating into gw, without its
     * loads and stores per example) */
    enum { FUSED = 64 };
    const int fused = !direct && b <= FUSED;
    const double *rows[FUSED];
    double coefs[FUSED * 64]; /* [i][k], K <= 64 */
    if (!direct) {
        if (!fused)
            memset(gw, 0, K * N * sizeof *gw);
        memset(gv, 0, K * sizeof *gv);
    }
    int64_t wrong = 0;
    double g[64];
    for (size_t i = 0; i < b; i++) {
        size_t mu = idx != NULL ? idx[i] : i;
        const double *restrict x = d->x + mu * N;
        const double y = d->y[mu];
        double yhat = student_output(s, x, lambda, g, inv_sqrt_N);
        if (errors != NULL && t->classification)
            wrong += misclassified(yhat, y);
        double slope = loss_slope(loss, y, yhat);
        if (!isfinite(slope))
            return 1;
        for (size_t k = 0; k < K; k++)
            t->coef[k] = slope * s->v[k] * pdx_model_dg(act, lambda[k]) *
                         inv_sqrt_N;
        if (direct) {
            /* b = 1: update in place (the gradient is of the old weights
             * since every coefficient is already computed) */
            if (train_v)
                for (size_t k = 0; k < K; k++)
                    s->v[k] -= eta_v * (slope * g[k] + decay * s->v[k]);
            for (size_t k = 0; k < K; k++) {
                double *restrict w = s->w + k * N;
                const double c = eta * t->coef[k];
                if (decay > 0.0) {
                    const double shrink = 1.0 - eta * decay;
                    for (size_t j = 0; j < N; j++)
                        w[j] = shrink * w[j] - c * x[j];
                } else {
                    for (size_t j = 0; j < N; j++)
                        w[j] -= c * x[j];
                }
            }
        } else if (fused) {
            if (train_v)
                for (size_t k = 0; k < K; k++)
                    gv[k] += slope * g[k];
            rows[i] = x;
            memcpy(coefs + i * K, t->coef, K * sizeof *coefs);
        } else {
            if (train_v)
                for (size_t k = 0; k < K; k++)
                    gv[k] += slope * g[k];
            for (size_t k = 0; k < K; k++) {
                double *restrict gk = gw + k * N;
                const double c = t->coef[k];
                for (size_t j = 0; j < N; j++)
                    gk[j] += c * x[j];
            }
        }
    }
    if (errors != NULL)
        *errors = wrong;
    if (!direct) {
        const double scale = 1.0 / (double)b;
        pdx_rng_stream noise;
        if (temperature > 0.0)
            pdx_rng_stream_init(&noise, t->seed, PDX_RNG_DYNAMICS,
                                t->cell_key, t->replica);
        const double sigma = sqrt(2.0 * eta * temperature);
        const double sigma_v = sqrt(2.0 * eta_v * temperature);
        if (train_v) {
            for (size_t k = 0; k < K; k++)
                s->v[k] -= eta_v * (gv[k] * scale + decay * s->v[k]);
            if (temperature > 0.0) {
                /* gv is spent: reuse it for the noise */
                pdx_rng_gaussian(&noise, ((uint64_t)t->step << 8) | 255u, gv,
                                 K);
                for (size_t k = 0; k < K; k++)
                    s->v[k] += sigma_v * gv[k];
            }
        }
        for (size_t k = 0; k < K; k++) {
            double *restrict w = s->w + k * N;
            if (fused) {
                double ck[FUSED];
                for (size_t i = 0; i < b; i++)
                    ck[i] = coefs[i * K + k];
                fused_update(w, N, rows, ck, b, eta, scale, decay);
            } else {
                const double *restrict gk = gw + k * N;
                for (size_t j = 0; j < N; j++)
                    w[j] -= eta * (gk[j] * scale + decay * w[j]);
            }
            if (temperature > 0.0) {
                pdx_rng_gaussian(&noise, ((uint64_t)t->step << 8) | k, t->x,
                                 N);
                const double *restrict xi = t->x;
                for (size_t j = 0; j < N; j++)
                    w[j] += sigma * xi[j];
            }
        }
    }
    if (is_perceptron(t) && t->params.student_weights == PDX_WEIGHTS_SPHERICAL)
        to_sphere(s->w, N);
    return 0;
}

static int run_sgd(pdx_trainer *t, int64_t until)
{
    const size_t P = t->data->P;
    size_t B = (size_t)t->params.train_batch < P ? (size_t)t->params.train_batch
                                                 : P;
    for (; t->step < until; t->step++) {
        int64_t epoch = t->step / t->steps_per_epoch;
        int64_t pos = t->step % t->steps_per_epoch;
        if (pos == 0)
            note_fit(t);
        if (epoch != t->perm_epoch)
            make_perm(t, epoch);
        size_t first = (size_t)pos * B;
        size_t b = first + B <= P ? B : P - first;
        if (gradient_step(t, t->perm + first, b, 0.0, NULL))
            return 1;
    }
    return 0;
}

static int run_full_batch(pdx_trainer *t, int64_t until, double temperature)
{
    for (; t->step < until; t->step++) {
        int64_t errors = 0;
        if (gradient_step(t, NULL, t->data->P, temperature, &errors))
            return 1;
        if (t->classification && errors == 0 && isnan(t->time_to_fit))
            t->time_to_fit = (double)t->step; /* errors of w(step) */
    }
    return 0;
}

/* The Hebb rule J = sum_mu y_mu x_mu / sqrt N, one example a step; the
 * student is J (continuous), J rescaled (spherical) or sign(J) (binary,
 * clipped). */
static void run_hebb(pdx_trainer *t, int64_t until)
{
    pdx_committee *s = &t->student;
    const pdx_dataset *d = t->data;
    const size_t N = s->N;
    const int weights = t->params.student_weights;
    double *restrict J = weights == PDX_WEIGHTS_CONTINUOUS ? s->w : t->grad_w;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    for (; t->step < until; t->step++) {
        const double *restrict x = d->x + (size_t)t->step * N;
        const double c = d->y[t->step] * inv_sqrt_N;
        for (size_t j = 0; j < N; j++)
            J[j] += c * x[j];
    }
    if (weights == PDX_WEIGHTS_SPHERICAL) {
        memcpy(s->w, J, N * sizeof *J);
        to_sphere(s->w, N);
    } else if (weights == PDX_WEIGHTS_BINARY) {
        for (size_t j = 0; j < N; j++)
            s->w[j] = J[j] >= 0.0 ? 1.0 : -1.0;
    }
}

/* The perceptron rule in a fresh order each epoch: when the student
 * misclassifies (y yhat <= 0), J += eta y x / sqrt N. Spherical students
 * are rescaled after each update; binary students are sign(J), whose
 * mistakes drive the updates of the hidden J (clipped perceptron). */
static void run_perceptron(pdx_trainer *t, int64_t until)
{
    pdx_committee *s = &t->student;
    const pdx_dataset *d = t->data;
    const size_t N = s->N, P = d->P;
    const int weights = t->params.student_weights;
    const double inv_sqrt_N = 1.0 / sqrt((double)N);
    const double eta = t->params.train_learning_rate;
    double *restrict w = s->w;
    double *restrict J = t->grad_w;
    for (; t->step < until; t->step++) {
        int64_t epoch = t->step / (int64_t)P;
        int64_t pos = t->step % (int64_t)P;
        if (pos == 0)
            note_fit(t);
        if (epoch != t->perm_epoch)
            make_perm(t, epoch);
        size_t mu = t->perm[pos];
        const double *restrict x = d->x + mu * N;
        const double y = d->y[mu];
        double yhat = pdx_model_dot(w, x, N) * inv_sqrt_N;
        if (y * yhat > 0.0)
            continue;
        const double c = eta * y * inv_sqrt_N;
        if (weights == PDX_WEIGHTS_BINARY) {
            for (size_t j = 0; j < N; j++) {
                J[j] += c * x[j];
                w[j] = J[j] >= 0.0 ? 1.0 : -1.0;
            }
        } else {
            for (size_t j = 0; j < N; j++)
                w[j] += c * x[j];
            if (weights == PDX_WEIGHTS_SPHERICAL)
                to_sphere(w, N);
        }
    }
}

/* Metropolis at temperature T with energy = training errors (noisy
 * labels). Binary weights: flip one random w_i. Spherical weights: rotate
 * (w_i, w_j), i != j random, by a uniform angle in [-move_scale,
 * move_scale], which keeps |w|^2. Fields are updated in O(P) per move. */
static void run_metropolis(pdx_trainer *t, int64_t until)
{
    pdx_committee *s = &t->student;
    const pdx_dataset *d = t->data;
    const size_t N = s->N, P = d->P;
    const double T = t->params.train_temperature;
    const int spherical = t->params.student_weights == PDX_WEIGHTS_SPHERICAL;
    const double angle = t->params.train_move_scale;
    double *restrict w = s->w;
    double *restrict h = t->field;
    const double *restrict y = d->y;
    pdx_rng_stream moves;
    pdx_rng_stream_init(&moves, t->seed, PDX_RNG_DYNAMICS, t->cell_key,
                        t->replica);
    for (; t->step < until; t->step++) {
        int64_t sweep = t->step / (int64_t)N;
        int64_t pos = t->step % (int64_t)N;
        if (sweep != t->uniforms_sweep) {
            pdx_rng_uniform(&moves, (uint64_t)sweep, t->uniforms, 4 * N);
            t->uniforms_sweep = sweep;
            if (pos == 0 && sweep > 0 && sweep % MC_REFRESH_SWEEPS == 0) {
                if (spherical)
                    to_sphere(w, N);
                mc_refresh(t);
            }
        }
        const double *u = t->uniforms + 4 * pos;
        size_t i = (size_t)(u[0] * (double)N);
        if (i >= N)
            i = N - 1;
        const double *restrict xi = t->xt + i * P;
        int64_t dE = 0;
        if (!spherical) {
            const double step_i = -2.0 * w[i];
            for (size_t mu = 0; mu < P; mu++) {
                double hn = h[mu] + step_i * xi[mu];
                dE += misclassified(hn, y[mu]) - misclassified(h[mu], y[mu]);
            }
            int accept = dE <= 0 || (T > 0.0 && u[1] < exp(-(double)dE / T));
            if (accept) {
                w[i] = -w[i];
                for (size_t mu = 0; mu < P; mu++)
                    h[mu] += step_i * xi[mu];
            }
            if (accept) {
                t->energy += dE;
                t->accepted++;
            }
        } else {
            size_t j = (size_t)(u[1] * (double)(N - 1));
            if (j >= N - 1)
                j = N - 2;
            if (j >= i)
                j++;
            const double *restrict xj = t->xt + j * P;
            double theta = angle * (2.0 * u[2] - 1.0);
            double c = cos(theta), sn = sin(theta);
            double wi = c * w[i] - sn * w[j];
            double wj = sn * w[i] + c * w[j];
            double di = wi - w[i], dj = wj - w[j];
            for (size_t mu = 0; mu < P; mu++) {
                double hn = h[mu] + di * xi[mu] + dj * xj[mu];
                dE += misclassified(hn, y[mu]) - misclassified(h[mu], y[mu]);
            }
            int accept = dE <= 0 || (T > 0.0 && u[3] < exp(-(double)dE / T));
            if (accept) {
                w[i] = wi;
                w[j] = wj;
                for (size_t mu = 0; mu < P; mu++)
                    h[mu] += di * xi[mu] + dj * xj[mu];
                t->energy += dE;
                t->accepted++;
            }
        }
        if (t->energy == 0 && isnan(t->time_to_fit))
            t->time_to_fit = (double)(t->step + 1) / (double)N;
    }
}

int pdx__trainer_finite_iterate(pdx_trainer *t, int64_t until)
{
    if (until > t->total_steps)
        until = t->total_steps;
    int diverged = 0;
    switch (t->params.train_algorithm) {
    case PDX_ALG_HEBB: run_hebb(t, until); break;
    case PDX_ALG_PERCEPTRON: run_perceptron(t, until); break;
    case PDX_ALG_SGD: diverged = run_sgd(t, until); break;
    case PDX_ALG_GD: diverged = run_full_batch(t, until, 0.0); break;
    case PDX_ALG_LANGEVIN:
        diverged = run_full_batch(t, until, t->params.train_temperature);
        break;
    case PDX_ALG_METROPOLIS: run_metropolis(t, until); break;
    default: break;
    }
    if (diverged) {
        t->diverged = 1;
        return 1;
    }
    if (t->step == t->total_steps)
        note_fit(t);
    return pdx_trainer_check(t);
}
