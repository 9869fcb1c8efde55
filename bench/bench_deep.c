/* bench_deep.c — flop rate of the deep-network kernels at the sizes of
 * benchmark D1 (N = 100, width 64, depth 32, batch 16, tanh) next to the
 * machine's peak, and (when the build found OpenBLAS) OpenBLAS's dgemm on
 * the same products, single-threaded. Prints one JSON line. A benchmark,
 * not a test: it asserts nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pdx/model.h"
#if defined(PDX_BENCH_OPENBLAS)
/* OpenBLAS's Fortran entry (GSL, linked into pdx, brings its own slow
 * reference cblas_dgemm, which would shadow OpenBLAS's) */
void dgemm_(const char *ta, const char *tb, const int *m, const int *n,
            const int *k, const double *alpha, const double *a,
            const int *lda, const double *b, const int *ldb,
            const double *beta, double *c, const int *ldc);
void openblas_set_num_threads(int);
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_ghz(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    double mhz = NAN;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "cpu MHz", 7) == 0) {
            const char *colon = strchr(line, ':');
            if (colon != NULL)
                mhz = atof(colon + 1);
            break;
        }
    if (f != NULL)
        fclose(f);
    return mhz / 1000.0;
}

int main(void)
{
    enum { N = 100, L = 32, n = 64, B = 16 };
    pdx_deep *net = NULL, *grad = NULL;
    if (pdx_deep_create(&net, N, L, n, NULL) != PDX_OK ||
        pdx_deep_create(&grad, N, L, n, NULL) != PDX_OK)
        return 1;
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 1, PDX_RNG_INIT, 0, 0);
    pdx_deep_init(net, &s, N, L, n, PDX_ACT_TANH, 1.75, 0.05);
    pdx_deep_init(grad, &s, N, L, n, PDX_ACT_TANH, 1.75, 0.05);
    static double x[B * N], h[L * B * n], act[L * B * n], delta[3 * B * n];
    double yhat[B], dy[B];
    pdx_rng_gaussian(&s, 7, x, B * N);
    for (int r = 0; r < B; r++)
        dy[r] = 0.01 * (r - 7.5);
    /* one SGD step's passes: forward, weight gradients, errors */
    const double macs = (double)B * ((double)N * n + (L - 1.0) * n * n);
    const double step_flops = 3.0 * 2.0 * macs;
    long steps = 0;
    double t0 = now(), t;
    do {
        for (int k = 0; k < 50; k++, steps++) {
            pdx_deep_forward_batch(net, x, B, h, act, yhat);
            pdx_deep_backward_batch(net, x, B, h, act, dy, grad, delta);
        }
        t = now() - t0;
    } while (t < 1.0);
    double step_gflops = step_flops * (double)steps / t / 1e9;
    /* the affine kernel alone: C (16 x 64) = A (16 x 64) W^T (64 x 64) */
    static double A[B * n], C[B * n];
    memcpy(A, act, sizeof A);
    const double *W = net->w + (size_t)N * n;
    long reps = 0;
    t0 = now();
    do {
        for (int k = 0; k < 1000; k++, reps++)
            pdx_deep_affine(W, net->b, n, n, A, n, B, C);
        t = now() - t0;
    } while (t < 1.0);
    double affine_gflops = 2.0 * B * n * n * (double)reps / t / 1e9;
    double ghz = cpu_ghz();
    printf("{\"shape\": \"N=%d, width %d, depth %d, batch %d, tanh\", "
           "\"sgd_step_gflops\": %.3f, \"affine_16x64x64_gflops\": %.3f, ",
           N, n, L, B, step_gflops, affine_gflops);
#if defined(PDX_BENCH_OPENBLAS)
    openblas_set_num_threads(1);
    const int nn = n, bb = B;
    const double one = 1.0, zero = 0.0;
    reps = 0;
    t0 = now();
    do {
        for (int k = 0; k < 1000; k++, reps++)
            /* row-major C = A W^T is column-major C^T = (W^T)^T A^T */
            dgemm_("N", "N", &nn, &bb, &nn, &one, W, &nn, A, &nn, &zero, C,
                   &nn);
        t = now() - t0;
    } while (t < 1.0);
    printf("\"openblas_dgemm_16x64x64_gflops\": %.3f, ",
           2.0 * B * n * n * (double)reps / t / 1e9);
#else
    printf("\"openblas_dgemm_16x64x64_gflops\": null, ");
#endif
    /* AVX2 cores of this kind: two 256-bit FMA (or mul and add) pipes,
     * 16 double flops per cycle; pdx's kernels use separate multiplies and
     * adds (no FMA: the bits stay those of the scalar code) */
    printf("\"cpu_ghz\": %.3f, \"peak_gflops_per_core\": %.1f}\n", ghz,
           16.0 * ghz);
    pdx_deep_destroy(&net);
    pdx_deep_destroy(&grad);
    return 0;
}
