/* vec8.h — eight doubles in the target's native vectors (GCC/Clang vector
 * extension), and 64-byte-aligned arrays. Element l is computed with
 * exactly the operations of the scalar code on element l, so kernels
 * written with it keep the bits of their scalar twins at every width. */
#ifndef PDX_VEC8_H
#define PDX_VEC8_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Kernels work on 8 doubles at a time, held as PDX_VN native vectors of
 * PDX_VW lanes: one AVX-512 register, two AVX2 or four SSE2 ones. (A
 * single 8-double vector type is lowered by GCC 12 to stack spills on a
 * target without AVX-512, which made W2 4x slower with -march=x86-64-v3.)
 * Element l of the 8 is lane l % PDX_VW of vector l / PDX_VW, computed with
 * the scalar operations of element l, so the bits do not depend on the
 * width. */
#if defined(__AVX512F__)
#define PDX_VW 8
#elif defined(__AVX__)
#define PDX_VW 4
#else
#define PDX_VW 2
#endif
#define PDX_VN (8 / PDX_VW)

typedef double pdx_vd __attribute__((vector_size(PDX_VW * sizeof(double))));

static inline pdx_vd pdx_vd_load(const double *p)
{
    pdx_vd v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void pdx_vd_store(double *p, pdx_vd v)
{
    memcpy(p, &v, sizeof v);
}

/* n zeroed doubles (at least one) on a 64-byte (cache-line) boundary, so
 * that 8 doubles at any multiple of 8 elements are one cache line: on
 * Zen 4, the malloc's 16-byte alignment made every vector load straddle
 * two lines and the W1 benchmark 15 % slower. Freed with free(). */
static inline double *pdx_alloc_doubles(size_t n)
{
    if (n > (SIZE_MAX - 64) / sizeof(double))
        return NULL;
    size_t bytes = ((n > 0 ? n : 1) * sizeof(double) + 63) / 64 * 64;
    double *p = aligned_alloc(64, bytes);
    if (p != NULL)
        memset(p, 0, bytes);
    return p;
}

/* ---- fused multiply-add on native vectors (deep nets' kernels) ----
 * Lane l of pdx_vd_fma(a, b, c) is fma(a_l, b_l, c_l): one rounding, the
 * bits of C's fma() on the lane's numbers, so kernels that use it keep
 * the bits of their scalar twins (which call fma()) at every width: the
 * FMA instruction under -march=native on a CPU with FMA, glibc's
 * correctly rounded fma() otherwise (slow, the same bits). */
#if defined(__AVX512F__) || (defined(__AVX__) && defined(__FMA__))
#include <immintrin.h>
#endif
#include <math.h>

static inline pdx_vd pdx_vd_fma(pdx_vd a, pdx_vd b, pdx_vd c)
{
#if defined(__AVX512F__)
    return (pdx_vd)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
#elif defined(__AVX__) && defined(__FMA__)
    return (pdx_vd)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
#else
    pdx_vd r;
    for (int l = 0; l < PDX_VW; l++)
        r[l] = fma(a[l], b[l], c[l]);
    return r;
#endif
}

/* Every lane a. */
static inline pdx_vd pdx_vd_splat(double a)
{
#if defined(__AVX512F__)
    return (pdx_vd)_mm512_set1_pd(a);
#elif defined(__AVX__) && defined(__FMA__)
    return (pdx_vd)_mm256_set1_pd(a);
#else
    pdx_vd v;
    for (int l = 0; l < PDX_VW; l++)
        v[l] = a;
    return v;
#endif
}

/* Every lane *p, loaded as one broadcast (GCC 12 makes the lane loop of a
 * splat a load and a lane shuffle, which took an FMA port in the matrix
 * kernel). */
static inline pdx_vd pdx_vd_bcast(const double *p)
{
#if defined(__AVX512F__)
    return (pdx_vd)_mm512_set1_pd(*p);
#elif defined(__AVX__) && defined(__FMA__)
    return (pdx_vd)_mm256_broadcast_sd(p);
#else
    return pdx_vd_splat(*p);
#endif
}

#endif
