/* observe.c — order parameters and generalization error. */
#include "pdx/observe.h"

#include <math.h>

static const pdx_var_desc variables[PDX_OBS_COUNT] = {
    [PDX_OBS_EG] = {"eg",
                    "generalization error <(y - yhat)^2>/2 against the clean "
                    "teacher",
                    "1", 1, {PDX_DIM_TIME}},
    [PDX_OBS_Q] = {"Q", "student-student overlap w_k.w_l/N", "1", 3,
                   {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT, PDX_DIM_STUDENT_UNIT2}},
    [PDX_OBS_R] = {"R", "student-teacher overlap w_k.B_m/N", "1", 3,
                   {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT, PDX_DIM_TEACHER_UNIT}},
    [PDX_OBS_T] = {"T", "teacher-teacher overlap B_m.B_n/N", "1", 2,
                   {PDX_DIM_TEACHER_UNIT, PDX_DIM_TEACHER_UNIT2}},
    [PDX_OBS_V] = {"v", "student second-layer weight v_k", "1", 2,
                   {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT}},
    [PDX_OBS_NORM] = {"norm", "mean squared first-layer weight sum_k Q_kk/K",
                      "1", 1, {PDX_DIM_TIME}},
};

const pdx_var_desc *pdx_observe_variables(size_t *count)
{
    if (count != NULL)
        *count = PDX_OBS_COUNT;
    return variables;
}

/* <g(a) g(b)> for jointly Gaussian a, b with covariances C_aa, C_bb, C_ab
 * and g(z) = erf(z/sqrt 2): (2/pi) asin(C_ab / sqrt((1+C_aa)(1+C_bb))). */
static double erf_pair(double c_ab, double c_aa, double c_bb)
{
    return (2.0 / M_PI) * asin(c_ab / sqrt((1.0 + c_aa) * (1.0 + c_bb)));
}

double pdx_observe_eg_closed_form(int activation, size_t K, size_t M,
                                  const double *Q, size_t ldq,
                                  const double *R, size_t ldr,
                                  const double *T, size_t ldt,
                                  const double *v, const double *vt)
{
    if (activation != PDX_ACT_ERF && activation != PDX_ACT_LINEAR)
        return NAN;
    int erf_units = activation == PDX_ACT_ERF;
    double ss = 0.0, tt = 0.0, st = 0.0;
    for (size_t k = 0; k < K; k++)
        for (size_t l = 0; l < K; l++) {
            double q = Q[k * ldq + l];
            ss += v[k] * v[l] *
                  (erf_units ? erf_pair(q, Q[k * ldq + k], Q[l * ldq + l]) : q);
        }
    for (size_t n = 0; n < M; n++)
        for (size_t m = 0; m < M; m++) {
            double t = T[n * ldt + m];
            tt += vt[n] * vt[m] *
                  (erf_units ? erf_pair(t, T[n * ldt + n], T[m * ldt + m]) : t);
        }
    for (size_t k = 0; k < K; k++)
        for (size_t n = 0; n < M; n++) {
            double r = R[k * ldr + n];
            st += v[k] * vt[n] *
                  (erf_units ? erf_pair(r, Q[k * ldq + k], T[n * ldt + n]) : r);
        }
    return 0.5 * (ss + tt - 2.0 * st);
}

double pdx_observe_eg_test_set(const pdx_trainer *t)
{
    const size_t N = t->student.N;
    double sum = 0.0;
    double lambda[64];
    for (size_t mu = 0; mu < t->test_size; mu++) {
        double yhat = pdx_model_forward(&t->student, t->test_x + mu * N,
                                        lambda);
        double d = t->test_y[mu] - yhat;
        sum += 0.5 * d * d;
    }
    return t->test_size > 0 ? sum / (double)t->test_size : NAN;
}

void pdx_observe_teacher(const pdx_trainer *t, const pdx_layout *layout,
                         double *const *out)
{
    const size_t N = t->teacher.N, M = t->teacher.K;
    const size_t mm = layout->dim_size[PDX_DIM_TEACHER_UNIT];
    double *T = out[PDX_OBS_T];
    for (size_t n = 0; n < M; n++)
        for (size_t m = 0; m < M; m++)
            T[n * mm + m] = pdx_model_dot(t->teacher.w + n * N,
                                          t->teacher.w + m * N, N) /
                            (double)N;
}

void pdx_observe_measure(pdx_trainer *t, const pdx_layout *layout,
                         size_t ti, double *const *out)
{
    const pdx_committee *s = &t->student, *b = &t->teacher;
    const size_t N = s->N, K = s->K, M = b->K;
    const size_t kk = layout->dim_size[PDX_DIM_STUDENT_UNIT];
    const size_t mm = layout->dim_size[PDX_DIM_TEACHER_UNIT];
    double *Q = out[PDX_OBS_Q] + ti * kk * kk;
    double *R = out[PDX_OBS_R] + ti * kk * mm;
    double *v = out[PDX_OBS_V] + ti * kk;
    const double *T = out[PDX_OBS_T];
    double norm = 0.0;
    for (size_t k = 0; k < K; k++) {
        const double *wk = s->w + k * N;
        for (size_t l = 0; l < K; l++)
            Q[k * kk + l] = pdx_model_dot(wk, s->w + l * N, N) / (double)N;
        for (size_t m = 0; m < M; m++)
            R[k * mm + m] = pdx_model_dot(wk, b->w + m * N, N) / (double)N;
        v[k] = s->v[k];
        norm += Q[k * kk + k];
    }
    out[PDX_OBS_NORM][ti] = norm / (double)K;
    if (t->test_size > 0)
        out[PDX_OBS_EG][ti] = pdx_observe_eg_test_set(t);
    else
        out[PDX_OBS_EG][ti] = pdx_observe_eg_closed_form(
            s->activation, K, M, Q, kk, R, mm, T, mm, s->v, b->v);
}
