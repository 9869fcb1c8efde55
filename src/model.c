/* model.c — activations and the dot-product kernel. */
#include "pdx/model.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "erf_table.h"
#include "vec8.h"

#define SQRT1_2 0.70710678118654752440
#define SQRT_2_OVER_PI 0.79788456080286535588
#define TWO_OVER_SQRT_PI 1.12837916709551257390

static inline double bits_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static inline uint64_t double_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* erf(x) from the table of scripts/gen-erf-table.py: 32 polynomials of
 * degree 9 on [0, 6), 2/sqrt(pi) x below 2^-26 (so erf(0) = 0), 1 from 6
 * on (erf(6) = 1 - 2e-17), odd, NaN kept. Absolute error about 1e-15
 * (tests/test_model.c bounds it by 2e-15 against libm). Written so that
 * GCC vectorises loops of it (coefficients gathered, no branches: the
 * interval index comes from the bits of a rounded double and is clamped
 * as an integer); the same bits in every build (no FMA contraction). An
 * index at an interval's edge may pick either neighbour: both
 * polynomials hold there. */
static inline double erf_table(double x)
{
    const double magic = 0x1.8p52; /* integers have spacing 1 around it */
    double t = fabs(x);
    uint64_t i = double_bits((t * (1.0 / PDX_ERF_WIDTH) - 0.5) + magic) -
                 double_bits(magic);
    i = i < PDX_ERF_INTERVALS - 1 ? i : PDX_ERF_INTERVALS - 1;
    double centre = (bits_double(i + double_bits(magic)) - magic) + 0.5;
    double u = (t - centre * PDX_ERF_WIDTH) * (2.0 / PDX_ERF_WIDTH);
    _Static_assert(PDX_ERF_TERMS == 10, "Horner below has 10 terms");
    double p = pdx_erf_coef[9][i];
    p = p * u + pdx_erf_coef[8][i];
    p = p * u + pdx_erf_coef[7][i];
    p = p * u + pdx_erf_coef[6][i];
    p = p * u + pdx_erf_coef[5][i];
    p = p * u + pdx_erf_coef[4][i];
    p = p * u + pdx_erf_coef[3][i];
    p = p * u + pdx_erf_coef[2][i];
    p = p * u + pdx_erf_coef[1][i];
    p = p * u + pdx_erf_coef[0][i];
    double small = TWO_OVER_SQRT_PI * t;
    p = isless(t, 0x1.0p-26) ? small : p;
    p = isless(t, PDX_ERF_TOP) ? p : 1.0;
    p = copysign(p, x);
    return isnan(x) ? x : p;
}

double pdx_model_g(int activation, double z)
{
    switch (activation) {
    case PDX_ACT_ERF: return erf_table(z * SQRT1_2);
    case PDX_ACT_RELU: return z > 0.0 ? z : 0.0;
    case PDX_ACT_TANH: return tanh(z);
    case PDX_ACT_LINEAR: return z;
    case PDX_ACT_SIGN: return z > 0.0 ? 1.0 : z < 0.0 ? -1.0 : 0.0;
    case PDX_ACT_HARD_TANH: return z > 1.0 ? 1.0 : z < -1.0 ? -1.0 : z;
    case PDX_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    default: return NAN;
    }
}

void pdx_model_g_many(int activation, const double *z, double *out,
                      size_t n)
{
    if (activation == PDX_ACT_ERF) {
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            out[i] = erf_table(z[i] * SQRT1_2);
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = pdx_model_g(activation, z[i]);
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
    case PDX_ACT_HARD_TANH: return z > -1.0 && z < 1.0 ? 1.0 : 0.0;
    case PDX_ACT_SIGMOID: {
        double s = 1.0 / (1.0 + exp(-z));
        return s * (1.0 - s);
    }
    default: return NAN;
    }
}

/* Eight partial sums, combined pairwise in a fixed order: the compiler may
 * keep them in one or several vector registers without changing a bit. */
static inline double combine8(const double acc[8])
{
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) +
           ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

double pdx_model_dot(const double *x, const double *y, size_t n)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++)
            acc[l] += x[j + (size_t)l] * y[j + (size_t)l];
    for (int l = 0; j < n; j++, l++)
        acc[l] += x[j] * y[j];
    return combine8(acc);
}

/* out[r] = w_r . x for R rows w_r = w + r ld (R <= 4): x is read once for
 * all rows, and lane l of acc[r] is pdx_model_dot's acc[l] of row r, so
 * each row keeps its bits. */
static inline void dot_rows_block(const double *w, size_t ld, int R,
                                  const double *x, size_t n, double *out)
{
    pdx_vd acc[4][PDX_VN];
    for (int r = 0; r < 4; r++)
        for (int h = 0; h < PDX_VN; h++)
            acc[r][h] = (pdx_vd){0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        pdx_vd xv[PDX_VN];
        for (int h = 0; h < PDX_VN; h++)
            xv[h] = pdx_vd_load(x + j + (size_t)h * PDX_VW);
        for (int r = 0; r < R; r++)
            for (int h = 0; h < PDX_VN; h++)
                acc[r][h] += pdx_vd_load(w + (size_t)r * ld + j +
                                         (size_t)h * PDX_VW) *
                             xv[h];
    }
    for (int r = 0; r < R; r++) {
        double a[8];
        memcpy(a, acc[r], sizeof a);
        const double *wr = w + (size_t)r * ld;
        for (size_t i = j, l = 0; i < n; i++, l++)
            a[l] += wr[i] * x[i];
        out[r] = combine8(a);
    }
}

void pdx_model_dot_rows(const double *w, size_t rows, size_t ld,
                        const double *x, size_t n, double *out)
{
    size_t r = 0;
    for (; r + 4 <= rows; r += 4)
        dot_rows_block(w + r * ld, ld, 4, x, n, out + r);
    if (rows - r == 3)
        dot_rows_block(w + r * ld, ld, 3, x, n, out + r);
    else if (rows - r == 2)
        dot_rows_block(w + r * ld, ld, 2, x, n, out + r);
    else if (rows - r == 1)
        dot_rows_block(w + r * ld, ld, 1, x, n, out + r);
}

double pdx_model_forward(const pdx_committee *model, const double *x,
                         double *lambda)
{
    if (model->deep != NULL)
        return pdx_deep_forward(model->deep, x);
    double scale = 1.0 / sqrt((double)model->N);
    double out = 0.0;
    double g[64]; /* K <= 64: spec student.hidden, teacher.hidden */
    pdx_model_dot_rows(model->w, model->K, model->N, x, model->N, lambda);
    for (size_t k = 0; k < model->K; k++)
        lambda[k] *= scale;
    pdx_model_g_many(model->activation, lambda, g, model->K);
    for (size_t k = 0; k < model->K; k++)
        out += model->v[k] * g[k];
    return out;
}

void pdx_model_dropout_mask(const double *u, size_t n, double rate,
                            double *mask)
{
    const double keep = 1.0 / (1.0 - rate);
    for (size_t k = 0; k < n; k++)
        mask[k] = u[k] < rate ? 0.0 : keep;
}

/* ---- teachers (committee and perceptron) ---- */

void pdx_model_teacher_rows(double *B, size_t M, size_t N, uint64_t seed,
                            uint64_t replica, int binary, int normalise)
{
    pdx_rng_stream stream;
    pdx_rng_stream_init(&stream, seed, PDX_RNG_TEACHER, 0, replica);
    for (size_t m = 0; m < M; m++) {
        double *b = B + m * N;
        pdx_rng_gaussian(&stream, m, b, N);
        if (binary)
            for (size_t j = 0; j < N; j++)
                b[j] = b[j] >= 0.0 ? 1.0 : -1.0;
    }
    if (normalise == PDX_NORMALISE_NONE)
        return;
    for (size_t m = 0; m < M; m++) {
        double *b = B + m * N;
        /* modified Gram-Schmidt against the rows before (orthonormal) */
        for (size_t o = 0; normalise == PDX_NORMALISE_ORTHONORMAL && o < m;
             o++) {
            const double *c = B + o * N;
            double proj = pdx_model_dot(b, c, N) / (double)N; /* |c|^2 = N */
            for (size_t j = 0; j < N; j++)
                b[j] -= proj * c[j];
        }
        double norm2 = pdx_model_dot(b, b, N);
        if (norm2 == (double)N || !(norm2 > 0.0))
            continue; /* binary rows: already |B|^2 = N, kept bit for bit */
        double scale = sqrt((double)N / norm2);
        for (size_t j = 0; j < N; j++)
            b[j] *= scale;
    }
}

void pdx_model_teacher_overlaps(const double *B, size_t M, size_t N,
                                double *T)
{
    for (size_t m = 0; m < M; m++)
        for (size_t o = 0; o < M; o++)
            T[m * M + o] = pdx_model_dot(B + m * N, B + o * N, N) / (double)N;
}
