/* rng.c — Philox4x32-10 streams, block fills of uniforms and Gaussians.
 *
 * The block fills evaluate PDX_RNG_LANES counters at once with vector
 * multiplies; the words are identical to Random123's philox4x32 reference,
 * which the tests check. Gaussians (stream version 3) use 2 words per
 * Box-Muller pair: 40 bits for the radius, 24 for the angle; see
 * pdx_rng_gaussian in rng.h for the exact layout. */
#include "pdx/rng.h"

#include <Random123/philox.h>
#include <math.h>
#include <string.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

uint64_t pdx_rng_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void pdx_rng_stream_init(pdx_rng_stream *stream, uint64_t seed,
                         pdx_rng_purpose purpose, uint64_t cell_key,
                         uint64_t replica)
{
    uint64_t k = pdx_rng_mix64(seed);
    k = pdx_rng_mix64(k ^ ((uint64_t)purpose * 0xD6E8FEB86659FD93ull));
    k = pdx_rng_mix64(k ^ cell_key);
    stream->key[0] = (uint32_t)k;
    stream->key[1] = (uint32_t)(k >> 32);
    stream->replica = (uint32_t)replica;
}

void pdx_rng_philox(const uint32_t counter[4], const uint32_t key[2],
                    uint32_t out[4])
{
    philox4x32_ctr_t c = {{counter[0], counter[1], counter[2], counter[3]}};
    philox4x32_key_t k = {{key[0], key[1]}};
    philox4x32_ctr_t r = philox4x32_R(10, c, k);
    memcpy(out, r.v, sizeof r.v);
}

/* Counters evaluated together (a multiple of 8, the widest vector). */
#define PDX_RNG_LANES 96

/* Lanes hold 32-bit words in 64-bit slots: the multiply then maps to one
 * 32x32->64 vector multiply per lane (vpmuludq) with no packing between
 * 32- and 64-bit vectors, which is what makes the rounds cheap. */
typedef struct philox_lanes {
    uint64_t x0[PDX_RNG_LANES], x1[PDX_RNG_LANES], x2[PDX_RNG_LANES],
        x3[PDX_RNG_LANES];
} philox_lanes;

/* Philox rounds on lanes [0, lanes) with 32x32->64 vector multiplies.
 * Compilers do not find vpmuludq in plain C (they emit the slower 64x64
 * vpmullq), so the AVX-512 and AVX2 builds use intrinsics; all variants
 * compute the same integers, which the tests check against Random123.
 * vpmuludq reads only the low 32 bits of each slot, so the rounds carry
 * the high halves of the products along as garbage and mask once at the
 * end. GROUPS vectors are in flight at once: one chain of 10 rounds is
 * latency-bound (multiply, shift, xor, multiply ...), several fill the
 * pipes. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define PHILOX_WIDTH 8
#define PHILOX_GROUPS 4
typedef __m512i philox_vec;
#define VEC_SET1(x) _mm512_set1_epi64(x)
#define VEC_LOAD(p) _mm512_loadu_si512(p)
#define VEC_STORE(p, v) _mm512_storeu_si512(p, v)
#define VEC_MUL32(a, b) _mm512_mul_epu32(a, b)
#define VEC_HIGH32(a) _mm512_srli_epi64(a, 32)
#define VEC_XOR3(a, b, c) _mm512_ternarylogic_epi64(a, b, c, 0x96)
#define VEC_AND(a, b) _mm512_and_si512(a, b)
#elif defined(__AVX2__)
#include <immintrin.h>
#define PHILOX_WIDTH 4
#define PHILOX_GROUPS 3
typedef __m256i philox_vec;
#define VEC_SET1(x) _mm256_set1_epi64x(x)
#define VEC_LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define VEC_STORE(p, v) _mm256_storeu_si256((__m256i *)(p), v)
#define VEC_MUL32(a, b) _mm256_mul_epu32(a, b)
#define VEC_HIGH32(a) _mm256_srli_epi64(a, 32)
#define VEC_XOR3(a, b, c) _mm256_xor_si256(_mm256_xor_si256(a, b), c)
#define VEC_AND(a, b) _mm256_and_si256(a, b)
#endif

#ifdef PHILOX_WIDTH
/* Rounds on G vectors of lanes starting at lane j (G <= PHILOX_GROUPS). */
static inline void philox_rounds_vec(philox_lanes *L, int j, int G,
                                     const uint32_t key[2])
{
    const philox_vec m0 = VEC_SET1(PHILOX_M0), m1 = VEC_SET1(PHILOX_M1);
    const philox_vec low = VEC_SET1(0xFFFFFFFF);
    philox_vec x0[PHILOX_GROUPS], x1[PHILOX_GROUPS], x2[PHILOX_GROUPS],
        x3[PHILOX_GROUPS];
    for (int g = 0; g < G; g++) {
        int at = j + PHILOX_WIDTH * g;
        x0[g] = VEC_LOAD(L->x0 + at);
        x1[g] = VEC_LOAD(L->x1 + at);
        x2[g] = VEC_LOAD(L->x2 + at);
        x3[g] = VEC_LOAD(L->x3 + at);
    }
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        const philox_vec key0 = VEC_SET1(k0), key1 = VEC_SET1(k1);
        for (int g = 0; g < G; g++) {
            philox_vec p0 = VEC_MUL32(x0[g], m0);
            philox_vec p1 = VEC_MUL32(x2[g], m1);
            x0[g] = VEC_XOR3(VEC_HIGH32(p1), x1[g], key0);
            x2[g] = VEC_XOR3(VEC_HIGH32(p0), x3[g], key1);
            x1[g] = p1;
            x3[g] = p0;
        }
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    for (int g = 0; g < G; g++) {
        int at = j + PHILOX_WIDTH * g;
        VEC_STORE(L->x0 + at, VEC_AND(x0[g], low));
        VEC_STORE(L->x1 + at, VEC_AND(x1[g], low));
        VEC_STORE(L->x2 + at, VEC_AND(x2[g], low));
        VEC_STORE(L->x3 + at, VEC_AND(x3[g], low));
    }
}

/* lanes: a multiple of PHILOX_WIDTH. */
static void philox_rounds(philox_lanes *L, int lanes, const uint32_t key[2])
{
    const int step = PHILOX_WIDTH * PHILOX_GROUPS;
    int j = 0;
    for (; j + step <= lanes; j += step)
        philox_rounds_vec(L, j, PHILOX_GROUPS, key);
    for (; j < lanes; j += PHILOX_WIDTH)
        philox_rounds_vec(L, j, 1, key);
}
#else
static void philox_rounds(philox_lanes *L, int lanes, const uint32_t key[2])
{
    uint64_t k0 = key[0], k1 = key[1];
    const uint64_t low = 0xFFFFFFFFull;
    for (int round = 0; round < 10; round++) {
        for (int j = 0; j < lanes; j++) {
            uint64_t p0 = (uint64_t)PHILOX_M0 * L->x0[j];
            uint64_t p1 = (uint64_t)PHILOX_M1 * L->x2[j];
            uint64_t y0 = (p1 >> 32) ^ L->x1[j] ^ k0;
            uint64_t y2 = (p0 >> 32) ^ L->x3[j] ^ k1;
            L->x1[j] = p1 & low;
            L->x3[j] = p0 & low;
            L->x0[j] = y0;
            L->x2[j] = y2;
        }
        k0 = (k0 + PHILOX_W0) & low;
        k1 = (k1 + PHILOX_W1) & low;
    }
}
#endif

/* Evaluate Philox4x32-10 for counters {first+j, c1, c2, c3}, j < LANES. */
static void philox_fill(philox_lanes *L, int lanes, uint32_t first,
                        uint32_t c1, uint32_t c2, uint32_t c3,
                        const uint32_t key[2])
{
    for (int j = 0; j < lanes; j++) {
        L->x0[j] = (uint32_t)(first + (uint32_t)j);
        L->x1[j] = c1;
        L->x2[j] = c2;
        L->x3[j] = c3;
    }
    philox_rounds(L, lanes, key);
}

/* Uniform in (0, 1) from 52 random bits: [1, 2) by the exponent trick,
 * minus 1, plus half an ulp of 2^-52 so that it is never 0 or 1. */
static inline double uniform52(uint64_t hi, uint64_t lo)
{
    uint64_t bits = 0x3FF0000000000000ull |
                    ((((uint64_t)hi << 32) | lo) >> 12);
    double d;
    memcpy(&d, &bits, sizeof d);
    return (d - 1.0) + 0x1.0p-53;
}

/* Lanes rounded up to whole vectors holding `pairs` pairs of outputs. */
static int lanes_for(size_t pairs)
{
    size_t lanes = (pairs + 7) / 8 * 8;
    return lanes > PDX_RNG_LANES ? PDX_RNG_LANES : (int)lanes;
}

void pdx_rng_uniform(const pdx_rng_stream *stream, uint64_t block,
                     double *out, size_t n)
{
    philox_lanes L;
    uint32_t c1 = (uint32_t)block, c2 = (uint32_t)(block >> 32);
    size_t done = 0;
    for (uint32_t first = 0; done < n; first += PDX_RNG_LANES) {
        /* only the lanes this fill needs (whole vectors) */
        int lanes = lanes_for((n - done + 1) / 2);
        philox_fill(&L, lanes, first, c1, c2, stream->replica, stream->key);
        double u[2 * PDX_RNG_LANES];
#pragma omp simd
        for (int j = 0; j < lanes; j++) {
            u[2 * j] = uniform52(L.x0[j], L.x1[j]);
            u[2 * j + 1] = uniform52(L.x2[j], L.x3[j]);
        }
        size_t take = n - done < 2 * PDX_RNG_LANES ? n - done
                                                     : 2 * PDX_RNG_LANES;
        memcpy(out + done, u, take * sizeof *out);
        done += take;
    }
}

static inline double bits_to_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* The polynomials below use fma(): one rounding per step, the same bits
 * with or without an FMA unit (an instruction under -march=native, glibc's
 * correctly rounded fma() otherwise), and half the operations of mul+add. */

/* -2 log(u) for u in (0, 1), branch-free so that loops vectorise:
 * u = 2^k m with m in [sqrt(1/2), sqrt 2) by integer arithmetic on the
 * bits, then log m = f - (f^2/2 - s (f^2/2 + R(s^2))) with f = m - 1,
 * s = f / (2 + f) and fdlibm's minimax R (error < 2^-58.45 on |s| < 0.1716);
 * k ln 2 in two parts. Relative error about 1 ulp (the tests bound it by
 * 4e-16 against libm). */
static inline double minus_two_log(double u)
{
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    bits += 0x3FF0000000000000ull - 0x3FE6A09E00000000ull;
    /* exponent as a double without an int->double conversion (which has
     * no AVX2 instruction): put it into 2^52's mantissa */
    double k = bits_to_double(0x4330000000000000ull | (bits >> 52)) -
               (0x1.0p52 + 1023.0);
    double m = bits_to_double((bits & 0x000FFFFFFFFFFFFFull) +
                              0x3FE6A09E00000000ull);
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double r = 1.479819860511658591e-01;
    r = fma(r, z, 1.531383769920937332e-01);
    r = fma(r, z, 1.818357216161805012e-01);
    r = fma(r, z, 2.222219843214978396e-01);
    r = fma(r, z, 2.857142874366239149e-01);
    r = fma(r, z, 3.999999999940941908e-01);
    r = fma(r, z, 6.666666666666735130e-01);
    r = r * z;
    double hfsq = 0.5 * f * f;
    const double ln2_hi = 6.93147180369123816490e-01;
    const double ln2_lo = 1.90821492927058770002e-10;
    double log_u =
        fma(k, ln2_hi, f - (hfsq - fma(s, hfsq + r, k * ln2_lo)));
    return -2.0 * log_u;
}

/* cos and sin of the angle q pi/2 + phi, q = k >> 22 (0..3) and
 * phi = (pi/2) ((k mod 2^22 + 1/2) / 2^22 - 1/2) in (-pi/4, pi/4), for a
 * 24-bit k: the quadrant comes from the bits, so there is no range
 * reduction. Cephes' minimax polynomials for sin and cos on [-pi/4, pi/4]
 * (absolute error below 1e-16), then a quarter-turn rotation by swaps and
 * sign flips. */
static inline void cos_sin_angle(uint64_t k, double *c_out, double *s_out)
{
    const double half_pi = 1.5707963267948966192;
    uint64_t q = (k >> 22) & 3u;
    double f = bits_to_double(0x4330000000000000ull | (k & 0x3FFFFFu)) -
               0x1.0p52;
    double phi = fma(f, 0x1.0p-22 * half_pi, (0x1.0p-23 - 0.5) * half_pi);
    double z = phi * phi;
    double sp = 1.58962301576546568060e-10;
    sp = fma(sp, z, -2.50507477628578072866e-8);
    sp = fma(sp, z, 2.75573136213857245213e-6);
    sp = fma(sp, z, -1.98412698295895385996e-4);
    sp = fma(sp, z, 8.33333333332211858878e-3);
    sp = fma(sp, z, -1.66666666666666307295e-1);
    double sn = fma(phi * z, sp, phi);
    double cp = -1.13585365213876817300e-11;
    cp = fma(cp, z, 2.08757008419747316778e-9);
    cp = fma(cp, z, -2.75573141792967388112e-7);
    cp = fma(cp, z, 2.48015872888517045348e-5);
    cp = fma(cp, z, -1.38888888888730564116e-3);
    cp = fma(cp, z, 4.16666666666665929218e-2);
    double cs = fma(z * z, cp, fma(-0.5, z, 1.0));
    /* quarter turns: q = 1 (-sin, cos), 2 (-cos, -sin), 3 (sin, -cos) */
    double c = (q & 1u) ? sn : cs;
    double s = (q & 1u) ? cs : sn;
    uint64_t cb, sb;
    memcpy(&cb, &c, sizeof cb);
    memcpy(&sb, &s, sizeof sb);
    cb ^= ((q ^ (q >> 1)) & 1u) << 63;
    sb ^= (q >> 1) << 63;
    memcpy(c_out, &cb, sizeof cb);
    memcpy(s_out, &sb, sizeof sb);
}

/* One Box-Muller pair from two words (a, b): the radius from the 40-bit
 * uniform ((a 2^8 + (b >> 24)) + 1/2) 2^-40, the angle from the low 24 bits
 * of b. */
static inline void box_muller(uint64_t a, uint64_t b, double *g0,
                              double *g1)
{
    uint64_t k40 = (a << 8) | (b >> 24);
    double u = (bits_to_double(0x3FF0000000000000ull | (k40 << 12)) - 1.0) +
               0x1.0p-41;
    double r = sqrt(minus_two_log(u));
    double c, s;
    cos_sin_angle(b, &c, &s);
    *g0 = r * c;
    *g1 = r * s;
}

/* Pairs from words (x0, x1) of lanes [0, lanes) into g[0 .. 2 lanes). */
static void box_muller_01(const philox_lanes *restrict L, int lanes,
                          double *restrict g)
{
#pragma omp simd
    for (int j = 0; j < lanes; j++)
        box_muller(L->x0[j], L->x1[j], &g[2 * j], &g[2 * j + 1]);
}

/* Pairs from words (x2, x3) of lanes [0, lanes) into g[0 .. 2 lanes). */
static void box_muller_23(const philox_lanes *restrict L, int lanes,
                          double *restrict g)
{
#pragma omp simd
    for (int j = 0; j < lanes; j++)
        box_muller(L->x2[j], L->x3[j], &g[2 * j], &g[2 * j + 1]);
}

void pdx_rng_gaussian(const pdx_rng_stream *stream, uint64_t block,
                      double *out, size_t n)
{
    enum { HALF = 2 * PDX_RNG_LANES, CHUNK = 4 * PDX_RNG_LANES };
    philox_lanes L;
    double g[HALF];
    const uint32_t c1 = (uint32_t)block, c2 = (uint32_t)(block >> 32);
    for (uint32_t first = 0; n > 0; first += PDX_RNG_LANES) {
        if (n >= CHUNK) {
            philox_fill(&L, PDX_RNG_LANES, first, c1, c2, stream->replica,
                        stream->key);
            box_muller_01(&L, PDX_RNG_LANES, out);
            box_muller_23(&L, PDX_RNG_LANES, out + HALF);
            out += CHUNK;
            n -= CHUNK;
        } else if (n > HALF) {
            philox_fill(&L, PDX_RNG_LANES, first, c1, c2, stream->replica,
                        stream->key);
            box_muller_01(&L, PDX_RNG_LANES, out);
            int lanes = lanes_for((n - HALF + 1) / 2);
            box_muller_23(&L, lanes, g);
            memcpy(out + HALF, g, (n - HALF) * sizeof *out);
            n = 0;
        } else {
            int lanes = lanes_for((n + 1) / 2);
            philox_fill(&L, lanes, first, c1, c2, stream->replica,
                        stream->key);
            box_muller_01(&L, lanes, g);
            memcpy(out, g, n * sizeof *out);
            n = 0;
        }
    }
}
