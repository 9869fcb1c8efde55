/* rules.c — the learning rules of perceptrons on a fixed training set,
 * one example a step (P steps an epoch): the Hebb rule (one pass; later
 * times hold its result) and the perceptron rule in a fresh order each
 * epoch (SHUFFLE block e: P uniforms, keyed by (seed, cell_key, replica)).
 * Binary students are sign(J) of hidden continuous weights J (clipped
 * rules); J starts as the student's weights before the signs
 * (trainer->grad_w, pdx_trainer_set). No allocation. */
#include <math.h>
#include <string.h>

#include "train_internal.h"

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
        pdx__to_sphere(s->w, N);
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
            pdx__note_fit(t);
        if (epoch != t->perm_epoch)
            pdx__make_perm(t, epoch);
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
                pdx__to_sphere(w, N);
        }
    }
}

/* The Hebb rule starts from zero (student and hidden weights) and makes
 * one pass over the training set. */
static void rules_start(pdx_trainer *t)
{
    if (t->params.train_algorithm != PDX_ALG_HEBB)
        return;
    const size_t N = t->student.N;
    memset(t->student.w, 0, N * sizeof *t->student.w);
    memset(t->grad_w, 0, N * sizeof *t->grad_w);
    if (t->total_steps > (int64_t)t->data->P)
        t->total_steps = (int64_t)t->data->P;
}

static int rules_iterate(pdx_trainer *t, int64_t until)
{
    if (t->params.train_algorithm == PDX_ALG_HEBB)
        run_hebb(t, until);
    else
        run_perceptron(t, until);
    if (t->step == t->total_steps)
        pdx__note_fit(t);
    return 0;
}

static const pdx__trainer_algorithm rules_algorithms[] = {
    {"hebb", PDX_ALG_HEBB, 0},
    {"perceptron", PDX_ALG_PERCEPTRON, 0},
    {NULL, 0, 0},
};

const pdx__trainer_type pdx__trainer_rules = {
    .family = "rules",
    .algorithms = rules_algorithms,
    .finite = 1,
    .start = rules_start,
    .iterate = rules_iterate,
};
