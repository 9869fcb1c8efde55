/* vec8.h — eight doubles as one vector (GCC/Clang vector extension: one
 * AVX-512 register, two AVX2 or four SSE2 ones). Lane l is computed with
 * exactly the operations of the scalar code on element l, so kernels
 * written with it keep the bits of their scalar twins at every width. */
#ifndef PDX_VEC8_H
#define PDX_VEC8_H

#include <stdlib.h>
#include <string.h>

typedef double pdx_v8 __attribute__((vector_size(64)));

static inline pdx_v8 pdx_v8_load(const double *p)
{
    pdx_v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void pdx_v8_store(double *p, pdx_v8 v)
{
    memcpy(p, &v, sizeof v);
}

/* n zeroed doubles (at least one) on a 64-byte (cache-line) boundary, so
 * that a pdx_v8 load at any multiple of 8 elements touches one line: on
 * Zen 4, the malloc's 16-byte alignment made every vector load straddle
 * two lines and the W1 benchmark 15 % slower. Freed with free(). */
static inline double *pdx_alloc_doubles(size_t n)
{
    size_t bytes = ((n > 0 ? n : 1) * sizeof(double) + 63) / 64 * 64;
    double *p = aligned_alloc(64, bytes);
    if (p != NULL)
        memset(p, 0, bytes);
    return p;
}

#endif
