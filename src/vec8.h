/* vec8.h — eight doubles as one vector (GCC/Clang vector extension: one
 * AVX-512 register, two AVX2 or four SSE2 ones). Lane l is computed with
 * exactly the operations of the scalar code on element l, so kernels
 * written with it keep the bits of their scalar twins at every width. */
#ifndef PDX_VEC8_H
#define PDX_VEC8_H

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

#endif
