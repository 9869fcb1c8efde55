/* observe_replicas.c — what replicated training (issue 16) adds to the
 * observations: the replicas' distance to their centre, their training
 * and generalization errors, success and the time to success. The centre
 * is the trainer's student, observed as any student (eg, train_error,
 * time_to_fit). Reads trainers through pdx/train.h's getters only. */
#include "pdx/observe.h"

#include <math.h>

/* Training error of committee s on the trainer's training set (noisy
 * labels): as pdx_trainer_train_error. */
static double replica_train_error(const pdx_trainer *t,
                                  const pdx_committee *s)
{
    const pdx_dataset *d = pdx_trainer_dataset(t);
    const size_t N = d->N;
    double lambda[64], errors = 0.0;
    for (size_t mu = 0; mu < d->P; mu++) {
        double yhat = pdx_model_forward(s, d->x + mu * N, lambda);
        if (d->classification)
            errors += (yhat >= 0.0) != (d->y[mu] > 0.0);
        else
            errors += 0.5 * (d->y[mu] - yhat) * (d->y[mu] - yhat);
    }
    return errors / (double)d->P;
}

/* eg of committee s: the test set if the task has one, else the closed
 * forms (perceptron: arccos(R/sqrt(QT))/pi; erf or linear committees). */
static double replica_eg(const pdx_trainer *t, const pdx_committee *s)
{
    const pdx_committee *b = pdx_trainer_teacher(t);
    const size_t N = s->N, K = s->K, M = b->K;
    if (pdx_trainer_test_set(t, NULL, NULL) > 0)
        return pdx_observe_eg_test_set_of(t, s);
    double Q[64 * 64], R[64 * 64], T[64 * 64];
    for (size_t k = 0; k < K; k++) {
        for (size_t l = 0; l < K; l++)
            Q[k * K + l] =
                pdx_model_dot(s->w + k * N, s->w + l * N, N) / (double)N;
        for (size_t m = 0; m < M; m++)
            R[k * M + m] =
                pdx_model_dot(s->w + k * N, b->w + m * N, N) / (double)N;
    }
    for (size_t n = 0; n < M; n++)
        for (size_t m = 0; m < M; m++)
            T[n * M + m] =
                pdx_model_dot(b->w + n * N, b->w + m * N, N) / (double)N;
    if (pdx_trainer_classification(t))
        return pdx_observe_eg_perceptron(Q[0], R[0], T[0]);
    return pdx_observe_eg_closed_form(s->activation, K, M, Q, K, R, M, T, M,
                                      s->v, b->v);
}

/* |a - b|^2 over n numbers. */
static double squared_distance(const double *a, const double *b, size_t n)
{
    double d2 = 0.0;
    for (size_t j = 0; j < n; j++) {
        double d = a[j] - b[j];
        d2 += d * d;
    }
    return d2;
}

/* |w^a - c|^2 per parameter: the first-layer weights of committees and
 * perceptrons; every parameter (weights, biases, readout and its bias) of
 * deep nets. */
static double replica_distance(const pdx_committee *r, const pdx_committee *c)
{
    if (c->deep == NULL) {
        const size_t KN = c->K * c->N;
        return squared_distance(r->w, c->w, KN) / (double)KN;
    }
    const pdx_deep *a = r->deep, *b = c->deep;
    const size_t n = b->width, W = pdx_deep_weight_count(b->N, b->depth, n);
    double d0 = a->a0 - b->a0;
    double d2 = squared_distance(a->w, b->w, W) +
                squared_distance(a->b, b->b, b->depth * n) +
                squared_distance(a->a, b->a, n) + d0 * d0;
    return d2 / (double)(W + (b->depth + 1) * n + 1);
}

void pdx_observe_replicas(pdx_trainer *t, const pdx_layout *layout,
                          size_t ti, double *const *out)
{
    (void)layout;
    const pdx_committee *rep;
    const size_t y = pdx_trainer_replicas(t, &rep, NULL);
    if (y == 0)
        return;
    const pdx_committee *c = pdx_trainer_student(t);
    double distance = 0.0, train_error = 0.0, eg = 0.0;
    for (size_t a = 0; a < y; a++) {
        distance += replica_distance(&rep[a], c);
        train_error += replica_train_error(t, &rep[a]);
        eg += replica_eg(t, &rep[a]);
    }
    out[PDX_OBS_REPLICA_DISTANCE][ti] = distance / (double)y;
    out[PDX_OBS_REPLICA_TRAIN_ERROR][ti] = train_error / (double)y;
    out[PDX_OBS_REPLICA_EG][ti] = eg / (double)y;
}

void pdx_observe_replicas_task(const pdx_trainer *t, double *const *out)
{
    double time;
    if (pdx_trainer_replicas(t, NULL, &time) == 0)
        return;
    out[PDX_OBS_TIME_TO_SUCCESS][0] = time;
    out[PDX_OBS_SUCCESS][0] =
        pdx_trainer_classification(t) ? (isnan(time) ? 0.0 : 1.0) : NAN;
}
