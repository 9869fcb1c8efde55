/* current.c — the estimator of the stationary probability current (issue
 * 17): for a stationary series y_0 .. y_n of k-vectors, the antisymmetric
 * part of the lag-one covariance
 *   J = (1/n) sum_{t<n} (y_{t+1} y_t^T - y_t y_{t+1}^T),
 * an estimate of <y_{t+1} y_t^T> - <y_t y_{t+1}^T>. A reversible process
 * (detailed balance: Langevin dynamics, an Ornstein-Uhlenbeck process
 * whose drift H and diffusion D commute) has J = 0; for the discretised
 * OU process y_{t+1} = A y_t + xi, <y_{t+1} y_t^T> = A S with S the
 * stationary covariance (S = A S A^T + cov xi), so J = A S - S A^T
 * (docs/FORMAT.md, "Probability currents"). A constant offset of y
 * changes J by boundary terms of order 1/n only.
 *
 * Standard error by batch means: transition t (0 .. n-1) belongs to batch
 * floor(t B / n) of B = PDX_CURRENT_BATCHES (fewer when n < 2B), and
 * se^2 = sum_b (J_b - J)^2 / (B (B - 1)) with J_b the batch's mean. */
#include "pdx/observe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pdx_current {
    size_t max_k, k;
    int64_t transitions, done;
    int batches;
    double *prev;     /* y_t (k) */
    double *sums;     /* PDX_CURRENT_BATCHES x k x k: sum of y_t+1 y_t^T */
    int64_t count[PDX_CURRENT_BATCHES];
    int started;
};

double pdx_current_bytes(size_t max_k)
{
    return 8.0 * (double)max_k * (1.0 + PDX_CURRENT_BATCHES * (double)max_k) +
           (double)sizeof(pdx_current);
}

pdx_status pdx_current_create(pdx_current **out, size_t max_k, pdx_error *err)
{
    *out = NULL;
    pdx_current *c = calloc(1, sizeof *c);
    size_t k = max_k > 0 ? max_k : 1;
    if (c != NULL) {
        c->max_k = max_k;
        c->prev = malloc(k * sizeof *c->prev);
        c->sums = malloc((size_t)PDX_CURRENT_BATCHES * k * k *
                         sizeof *c->sums);
    }
    if (c == NULL || c->prev == NULL || c->sums == NULL) {
        pdx_current_destroy(&c);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory for the current's sums (%.0f "
                             "bytes)",
                             pdx_current_bytes(max_k));
    }
    *out = c;
    return PDX_OK;
}

void pdx_current_destroy(pdx_current **current)
{
    if (current == NULL || *current == NULL)
        return;
    free((*current)->prev);
    free((*current)->sums);
    free(*current);
    *current = NULL;
}

void pdx_current_start(pdx_current *c, size_t k, int64_t transitions)
{
    c->k = k <= c->max_k ? k : c->max_k;
    c->transitions = transitions > 0 ? transitions : 0;
    c->done = 0;
    c->started = 0;
    c->batches = PDX_CURRENT_BATCHES;
    if (c->transitions < 2 * PDX_CURRENT_BATCHES)
        c->batches = (int)(c->transitions / 2 > 1 ? c->transitions / 2 : 1);
    memset(c->count, 0, sizeof c->count);
    memset(c->sums, 0,
           (size_t)PDX_CURRENT_BATCHES * c->k * c->k * sizeof *c->sums);
}

void pdx_current_push(pdx_current *c, const double *y)
{
    const size_t k = c->k;
    if (c->started && c->done < c->transitions) {
        int b = (int)(c->done * c->batches / c->transitions);
        double *s = c->sums + (size_t)b * k * k;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++)
                s[i * k + j] += y[i] * c->prev[j];
        c->count[b]++;
        c->done++;
    }
    memcpy(c->prev, y, k * sizeof *y);
    c->started = 1;
}

int64_t pdx_current_result(const pdx_current *c, double *J, double *se,
                           double *chi2)
{
    const size_t k = c->k;
    *chi2 = 0.0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double total = 0.0;
            for (int b = 0; b < c->batches; b++) {
                const double *s = c->sums + (size_t)b * k * k;
                total += s[i * k + j] - s[j * k + i];
            }
            double mean = c->done > 0 ? total / (double)c->done : NAN;
            double var = 0.0;
            int used = 0;
            for (int b = 0; b < c->batches; b++) {
                if (c->count[b] == 0)
                    continue;
                const double *s = c->sums + (size_t)b * k * k;
                double m = (s[i * k + j] - s[j * k + i]) /
                           (double)c->count[b];
                var += (m - mean) * (m - mean);
                used++;
            }
            J[i * k + j] = i == j ? 0.0 : mean;
            se[i * k + j] =
                used >= 2 ? sqrt(var / ((double)used * (double)(used - 1)))
                          : NAN;
            if (i == j)
                se[i * k + j] = 0.0;
            if (i < j)
                *chi2 += (mean / se[i * k + j]) * (mean / se[i * k + j]);
        }
    return c->done;
}
