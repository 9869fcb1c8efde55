/* deep_step.c — the minibatch gradient of a deep student (issue 15's
 * kernels, pdx/model.h), shared by the families that train deep nets:
 * deep.c (sgd, gd), replicated_deep.c (replicated_sgd) and
 * entropy_deep.c (entropy_sgd). The same calls in the same order as the
 * deep family made them itself before, so its bits do not change. */
#include <math.h>
#include <string.h>

#include "train_internal.h"

/* The gradient (weights, biases, readout at the limits' capacity) and the
 * batch's arrays: pre-activations and activations (L B n each), errors
 * (3 B n), yhat and its slope (B each), the inputs (B N). */
double pdx__deep_step_doubles(const pdx__trainer_sizes *sz)
{
    const pdx_trainer_deep_limits *d = &sz->deep;
    if (d->batch == 0 || d->student_depth == 0)
        return 0.0;
    double n = (double)d->student_width, L = (double)d->student_depth;
    double B = (double)d->batch, N = (double)sz->max_N;
    double weights = (double)pdx_deep_weight_count(sz->max_N,
                                                   d->student_depth,
                                                   d->student_width);
    return weights + L * n + n            /* the gradient */
           + 2.0 * L * B * n              /* pre-activations, activations */
           + 3.0 * B * n + 2.0 * B        /* errors; yhat, dyhat */
           + B * N;                       /* the batch's inputs */
}

double pdx__deep_param_doubles(const pdx__trainer_sizes *sz)
{
    const pdx_trainer_deep_limits *d = &sz->deep;
    return (double)pdx_deep_weight_count(sz->max_N, d->student_depth,
                                         d->student_width) +
           (double)(d->student_depth * d->student_width) +
           (double)d->student_width;
}

double *pdx__deep_step_init(pdx_trainer *t, pdx__deep_step *st, double *ws)
{
    const pdx_trainer_deep_limits *d = &t->sizes.deep;
    const size_t n = d->student_width, L = d->student_depth, B = d->batch;
    st->grad = *t->student.deep; /* sizes */
    st->grad.w = ws;
    st->grad.b = ws + pdx_deep_weight_count(t->sizes.max_N, L, n);
    st->grad.a = st->grad.b + L * n;
    st->grad.work = NULL;
    st->h = st->grad.a + n;
    st->act = st->h + L * B * n;
    st->delta = st->act + L * B * n;
    st->yhat = st->delta + 3 * B * n;
    st->dyhat = st->yhat + B;
    st->x = st->dyhat + B;
    return st->x + B * t->sizes.max_N;
}

int pdx__deep_gradient(pdx_trainer *t, pdx__deep_step *st,
                       const pdx_deep *net, const uint32_t *idx, size_t B,
                       const pdx_deep_dropout *drop)
{
    const pdx_dataset *d = t->data;
    const size_t N = net->N;
    for (size_t r = 0; r < B; r++)
        memcpy(st->x + r * N, d->x + (size_t)idx[r] * N, N * sizeof *st->x);
    /* the errors' room (3 B n) is free until the backward pass */
    pdx_deep_forward_batch_dropout(net, st->x, B, drop, st->delta, st->h,
                                   st->act, st->yhat);
    for (size_t r = 0; r < B; r++) {
        st->dyhat[r] = pdx__loss_slope(t->params.train_loss, d->y[idx[r]],
                                       st->yhat[r]);
        if (!isfinite(st->dyhat[r]))
            return 1;
    }
    pdx_deep_backward_batch_dropout(net, st->x, B, st->h, st->act, st->dyhat,
                                    drop, &st->grad, st->delta);
    return 0;
}

size_t pdx__deep_parts(pdx_deep *net, double *part[4], size_t len[4])
{
    const size_t n = net->width, L = net->depth;
    part[0] = net->w;
    len[0] = pdx_deep_weight_count(net->N, L, n);
    part[1] = net->b;
    len[1] = L * n;
    part[2] = net->a;
    len[2] = n;
    part[3] = &net->a0;
    len[3] = 1;
    return 4;
}

void pdx__deep_view(pdx_deep *view, const pdx_deep *like, double *params)
{
    *view = *like;
    view->w = params;
    view->b = params + pdx_deep_weight_count(like->N, like->depth,
                                             like->width);
    view->a = view->b + like->depth * like->width;
}
