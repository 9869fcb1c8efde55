/* bayes.c — Bayes by simulation (record.bayes, issue 14 item 5): the
 * overlap q of two independent chains sampling the same Gibbs measure, and
 * the error of the centre of mass of their samples, the Bayes estimator
 * (the posterior mean when the measure is the posterior: the Nishimori
 * case, docs/TRAINERS.md). Reads trainers through pdx/train.h only. */
#include "pdx/observe.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/model.h"

struct pdx_pair_observer {
    size_t max_N;
    double *sum_w;     /* sum of both chains' students over the samples */
    double sum_q;      /* sum of their overlaps q */
    int64_t n_samples; /* samples (pairs) taken */
};

pdx_status pdx_pair_observer_create(pdx_pair_observer **out, size_t max_N,
                                    pdx_error *err)
{
    *out = NULL;
    pdx_pair_observer *p = calloc(1, sizeof *p);
    if (p == NULL ||
        (p->sum_w = calloc(max_N + 1, sizeof *p->sum_w)) == NULL) {
        free(p);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate a pair observer of %.0f bytes",
                             pdx_pair_observer_bytes(max_N));
    }
    p->max_N = max_N;
    *out = p;
    return PDX_OK;
}

void pdx_pair_observer_destroy(pdx_pair_observer **pair)
{
    if (pair == NULL || *pair == NULL)
        return;
    free((*pair)->sum_w);
    free(*pair);
    *pair = NULL;
}

double pdx_pair_observer_bytes(size_t max_N)
{
    return 8.0 * (double)(max_N + 1) + (double)sizeof(pdx_pair_observer);
}

void pdx_pair_observer_start(pdx_pair_observer *pair)
{
    memset(pair->sum_w, 0, pair->max_N * sizeof *pair->sum_w);
    pair->sum_q = 0.0;
    pair->n_samples = 0;
}

/* q = w_a.w_b/N of the two chains' single-unit students. */
static double pair_overlap(const pdx_trainer *a, const pdx_trainer *b)
{
    const pdx_committee *sa = pdx_trainer_student(a);
    const pdx_committee *sb = pdx_trainer_student(b);
    assert(sa->N == sb->N && sa->K == 1 && sb->K == 1);
    return pdx_model_dot(sa->w, sb->w, sa->N) / (double)sa->N;
}

void pdx_observe_pair_measure(const pdx_trainer *a, const pdx_trainer *b,
                              const pdx_layout *layout, size_t time_index,
                              double *const *out)
{
    assert(time_index < layout->dim_size[PDX_DIM_TIME]);
    (void)layout;
    out[PDX_OBS_Q_PAIR][time_index] = pair_overlap(a, b);
}

void pdx_observe_pair_sample(pdx_pair_observer *pair, const pdx_trainer *a,
                             const pdx_trainer *b)
{
    const pdx_committee *sa = pdx_trainer_student(a);
    const pdx_committee *sb = pdx_trainer_student(b);
    assert(sa->N <= pair->max_N);
    for (size_t j = 0; j < sa->N; j++)
        pair->sum_w[j] += sa->w[j] + sb->w[j];
    pair->sum_q += pair_overlap(a, b);
    pair->n_samples++;
}

void pdx_observe_pair_task(const pdx_pair_observer *pair,
                           const pdx_trainer *a, const pdx_layout *layout,
                           double *const *out)
{
    (void)layout;
    if (pair == NULL || pair->n_samples == 0)
        return;
    const pdx_committee *b = pdx_trainer_teacher(a);
    const size_t N = pdx_trainer_student(a)->N;
    out[PDX_OBS_Q_MEAN][0] = pair->sum_q / (double)pair->n_samples;
    /* the centre of mass's direction is that of the sum */
    double Q = pdx_model_dot(pair->sum_w, pair->sum_w, N) / (double)N;
    double R = pdx_model_dot(pair->sum_w, b->w, N) / (double)N;
    double T = pdx_model_dot(b->w, b->w, N) / (double)N;
    out[PDX_OBS_EG_BAYES][0] = pdx_observe_eg_perceptron(Q, R, T);
}
