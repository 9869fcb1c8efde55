/* cpu_check.c — a pdx built with -march=native (meson -Dnative=true, the
 * default) uses the instruction sets of the machine that compiled it.
 * Run on an older CPU (a cluster's compute node, say) it would die of
 * SIGILL somewhere inside a kernel; this constructor, compiled for the
 * baseline x86-64 instruction set and run before main, says so instead and
 * exits 1. The sets checked are those meson found -march=native to enable
 * (PDX_NEEDS_*: the ones pdx's kernels are written for). */
#include <stdio.h>
#include <stdlib.h>

#if defined(__x86_64__)
__attribute__((constructor)) static void pdx_cpu_check(void)
{
    __builtin_cpu_init();
    const char *missing = NULL;
#ifdef PDX_NEEDS_AVX512F
    if (missing == NULL && !__builtin_cpu_supports("avx512f"))
        missing = "AVX-512F";
#endif
#ifdef PDX_NEEDS_AVX512DQ
    if (missing == NULL && !__builtin_cpu_supports("avx512dq"))
        missing = "AVX-512DQ";
#endif
#ifdef PDX_NEEDS_AVX512VL
    if (missing == NULL && !__builtin_cpu_supports("avx512vl"))
        missing = "AVX-512VL";
#endif
#ifdef PDX_NEEDS_AVX2
    if (missing == NULL && !__builtin_cpu_supports("avx2"))
        missing = "AVX2";
#endif
#ifdef PDX_NEEDS_FMA
    if (missing == NULL && !__builtin_cpu_supports("fma"))
        missing = "FMA";
#endif
#ifdef PDX_CPU_CHECK_TEST /* tests/meson.build: the message and exit */
    if (missing == NULL)
        missing = "a test feature";
#endif
    if (missing == NULL)
        return;
    fprintf(stderr,
            "pdx: error: this pdx was built for a CPU with %s (meson's "
            "-Dnative=true compiles with -march=native), and this CPU lacks "
            "it: build pdx on this machine, or with -Dnative=false or "
            "-Dc_args=-march=<the oldest CPU that will run it> (the results "
            "are the same bits)\n",
            missing);
    exit(1);
}
#endif
