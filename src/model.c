/* model.c — activations and the dot-product kernel. */
#include "pdx/model.h"

#include <math.h>

#define SQRT1_2 0.70710678118654752440
#define SQRT_2_OVER_PI 0.79788456080286535588

double pdx_model_g(int activation, double z)
{
    switch (activation) {
    case PDX_ACT_ERF: return erf(z * SQRT1_2);
    case PDX_ACT_RELU: return z > 0.0 ? z : 0.0;
    case PDX_ACT_TANH: return tanh(z);
    case PDX_ACT_LINEAR: return z;
    case PDX_ACT_SIGN: return z > 0.0 ? 1.0 : z < 0.0 ? -1.0 : 0.0;
    default: return NAN;
    }
}

double pdx_model_dg(int activation, double z)
{
    switch (activation) {
    case PDX_ACT_ERF: return SQRT_2_OVER_PI * exp(-0.5 * z * z);
    case PDX_ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
    case PDX_ACT_TANH: {
        double t = tanh(z);
        return 1.0 - t * t;
    }
    case PDX_ACT_LINEAR: return 1.0;
    case PDX_ACT_SIGN: return 0.0;
    default: return NAN;
    }
}

/* Eight partial sums, combined pairwise in a fixed order: the compiler may
 * keep them in one or several vector registers without changing a bit. */
double pdx_model_dot(const double *x, const double *y, size_t n)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++)
            acc[l] += x[j + (size_t)l] * y[j + (size_t)l];
    for (int l = 0; j < n; j++, l++)
        acc[l] += x[j] * y[j];
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) +
           ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

double pdx_model_forward(const pdx_committee *model, const double *x,
                         double *lambda)
{
    double scale = 1.0 / sqrt((double)model->N);
    double out = 0.0;
    for (size_t k = 0; k < model->K; k++) {
        lambda[k] = pdx_model_dot(model->w + k * model->N, x, model->N) * scale;
        out += model->v[k] * pdx_model_g(model->activation, lambda[k]);
    }
    return out;
}
