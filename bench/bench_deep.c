/* bench_deep.c — flop rate of the deep-network kernels at the sizes of
 * benchmark D1 (N = 100, width 64, depth 32, batch 16, tanh) next to the
 * machine's peak, and (when the build found OpenBLAS) OpenBLAS's dgemm on
 * the same product, single-threaded. Prints one JSON line. A benchmark,
 * not a test: it asserts nothing.
 *
 * Every time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that
 * a busy neighbour on a shared machine does not deflate the rates (its
 * cache traffic still may). The peak is measured too: 12 independent
 * chains of 4-double FMAs (the kernel's own instruction), which run at the
 * clock the core really keeps (a VM's /proc/cpuinfo gives the nominal
 * clock: 2.25 GHz on the reference machine, whose cores run at ~3.3). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pdx/model.h"
#include "vec8.h"
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

/* Flop/s of 12 independent chains of pdx_vd_fma (2 flop per lane). */
static double measured_peak(void)
{
    enum { C = 12 };
    pdx_vd acc[C];
    for (int c = 0; c < C; c++)
        acc[c] = pdx_vd_splat(1.0 + 1e-3 * c);
    const pdx_vd m = pdx_vd_splat(0.999999), b = pdx_vd_splat(1e-6);
    long reps = 0;
    double t0 = now(), t;
    do {
        for (int k = 0; k < 100000; k++)
            for (int c = 0; c < C; c++)
                acc[c] = pdx_vd_fma(acc[c], m, b);
        reps += 100000;
        t = now() - t0;
    } while (t < 0.5);
    double sink = 0.0;
    for (int c = 0; c < C; c++)
        sink += acc[c][0];
    if (!(sink > 0.0))
        fprintf(stderr, "bench_deep: peak loop lost its values\n");
    return 2.0 * PDX_VW * C * (double)reps / t;
}

int main(void)
{
    enum { N = 100, L = 32, n = 64, B = 16, T = 9984 /* 208 blocks of 48 */ };
    pdx_deep *net = NULL, *grad = NULL;
    if (pdx_deep_create(&net, N, L, n, NULL) != PDX_OK ||
        pdx_deep_create(&grad, N, L, n, NULL) != PDX_OK)
        return 1;
    pdx_rng_stream s;
    pdx_rng_stream_init(&s, 1, PDX_RNG_INIT, 0, 0);
    pdx_deep_init(net, &s, N, L, n, PDX_ACT_TANH, 1.75, 0.05);
    pdx_deep_init(grad, &s, N, L, n, PDX_ACT_TANH, 1.75, 0.05);
    static double x[T * N], h[L * B * n], act[L * B * n], delta[3 * B * n];
    static double yt[T];
    double yhat[B], dy[B];
    pdx_rng_gaussian(&s, 7, x, T * N);
    for (int r = 0; r < B; r++)
        dy[r] = 0.01 * (r - 7.5);
    /* multiply-adds of one forward pass of the batch */
    const double macs = (double)B * ((double)N * n + (L - 1.0) * n * n);
    /* one SGD step: forward, weight gradients, errors (not below layer 1) */
    const double step_flops = 2.0 * (3.0 * macs - (double)B * N * n);
    long steps = 0;
    double t0 = now(), t, t_fwd = 0.0;
    do {
        for (int k = 0; k < 50; k++, steps++) {
            double f0 = now();
            pdx_deep_forward_batch(net, x, B, h, act, yhat);
            t_fwd += now() - f0;
            pdx_deep_backward_batch(net, x, B, h, act, dy, grad, delta);
        }
        t = now() - t0;
    } while (t < 1.0);
    double step_gflops = step_flops * (double)steps / t / 1e9;
    double fwd_gflops = 2.0 * macs * (double)steps / t_fwd / 1e9;
    double bwd_gflops = (step_flops - 2.0 * macs) * (double)steps /
                        (t - t_fwd) / 1e9;
    /* the test set's outputs (forward passes without gradients, blocks of
     * PDX_DEEP_BLOCK inputs) */
    long sets = 0;
    t0 = now();
    do {
        pdx_deep_outputs(net, x, T, yt);
        sets++;
        t = now() - t0;
    } while (t < 1.0);
    double test_gflops = 2.0 * macs / B * T * (double)sets / t / 1e9;
    /* tanh alone */
    static double z[L * B * n], g[L * B * n];
    memcpy(z, h, sizeof z);
    long reps = 0;
    t0 = now();
    do {
        for (int k = 0; k < 20; k++, reps++)
            pdx_deep_g_many(PDX_ACT_TANH, z, g, L * B * n);
        t = now() - t0;
    } while (t < 0.5);
    double tanh_ns = t / (double)reps / (L * B * n) * 1e9;
    /* the affine kernel alone: C (16 x 64) = A (16 x 64) W^T (64 x 64) */
    static double A[B * n], C[B * n];
    memcpy(A, act, sizeof A);
    const double *W = net->w + (size_t)N * n;
    reps = 0;
    t0 = now();
    do {
        for (int k = 0; k < 1000; k++, reps++)
            pdx_deep_affine(W, net->b, n, n, A, n, B, C);
        t = now() - t0;
    } while (t < 1.0);
    double affine_gflops = 2.0 * B * n * n * (double)reps / t / 1e9;
    double ghz = cpu_ghz(), peak = measured_peak() / 1e9;
    printf("{\"shape\": \"N=%d, width %d, depth %d, batch %d, tanh\", "
           "\"sgd_step_gflops\": %.3f, \"forward_gflops\": %.3f, "
           "\"backward_gflops\": %.3f, \"test_set_gflops\": %.3f, "
           "\"tanh_ns\": %.3f, \"affine_16x64x64_gflops\": %.3f, ",
           N, n, L, B, step_gflops, fwd_gflops, bwd_gflops, test_gflops,
           tanh_ns, affine_gflops);
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
    /* AVX2 cores of this kind: two 256-bit FMA pipes, 16 double flop per
     * cycle at the nominal clock; the measured peak is the same loop's
     * rate at the clock the core keeps */
    printf("\"cpu_ghz\": %.3f, \"peak_gflops_per_core\": %.1f, "
           "\"measured_peak_gflops_per_core\": %.1f}\n",
           ghz, 16.0 * ghz, peak);
    pdx_deep_destroy(&net);
    pdx_deep_destroy(&grad);
    return 0;
}
