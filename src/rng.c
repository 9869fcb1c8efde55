/* rng.c — Philox4x32-10 streams, block fills of uniforms and Gaussians.
 *
 * The block fills evaluate PDX_RNG_LANES counters at once with vector
 * multiplies; the words are identical to Random123's philox4x32 reference,
 * which the tests check. Gaussians (stream version 2) use 3 words per
 * Box-Muller pair: 52 bits for the radius, 32 for the angle; see
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

/* Counters evaluated together (a multiple of 24: see PDX_RNG_EXTRA). */
#define PDX_RNG_LANES 96

/* Lanes hold 32-bit words in 64-bit slots: the multiply then maps to one
 * 32x32->64 vector multiply per lane (vpmuludq) with no packing between
 * 32- and 64-bit vectors, which is what makes the rounds cheap. */
typedef struct philox_lanes {
    uint64_t x0[PDX_RNG_LANES], x1[PDX_RNG_LANES], x2[PDX_RNG_LANES],
        x3[PDX_RNG_LANES];
} philox_lanes;

/* One Philox round on lanes [j, j+W) with 32x32->64 vector multiplies.
 * Compilers do not find vpmuludq in plain C (they emit the slower 64x64
 * vpmullq), so the AVX-512 and AVX2 builds use intrinsics; all variants
 * compute the same integers, which the tests check against Random123. */
#if defined(__AVX512F__)
#include <immintrin.h>
static void philox_rounds(philox_lanes *L, int lanes, const uint32_t key[2])
{
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0);
    const __m512i m1 = _mm512_set1_epi64(PHILOX_M1);
    const __m512i low = _mm512_set1_epi64(0xFFFFFFFF);
    for (int j = 0; j < lanes; j += 8) {
        __m512i x0 = _mm512_loadu_si512(L->x0 + j);
        __m512i x1 = _mm512_loadu_si512(L->x1 + j);
        __m512i x2 = _mm512_loadu_si512(L->x2 + j);
        __m512i x3 = _mm512_loadu_si512(L->x3 + j);
        uint32_t k0 = key[0], k1 = key[1];
        for (int round = 0; round < 10; round++) {
            __m512i p0 = _mm512_mul_epu32(x0, m0);
            __m512i p1 = _mm512_mul_epu32(x2, m1);
            __m512i y0 = _mm512_xor_si512(
                _mm512_xor_si512(_mm512_srli_epi64(p1, 32), x1),
                _mm512_set1_epi64(k0));
            __m512i y2 = _mm512_xor_si512(
                _mm512_xor_si512(_mm512_srli_epi64(p0, 32), x3),
                _mm512_set1_epi64(k1));
            x1 = _mm512_and_si512(p1, low);
            x3 = _mm512_and_si512(p0, low);
            x0 = y0;
            x2 = y2;
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        _mm512_storeu_si512(L->x0 + j, x0);
        _mm512_storeu_si512(L->x1 + j, x1);
        _mm512_storeu_si512(L->x2 + j, x2);
        _mm512_storeu_si512(L->x3 + j, x3);
    }
}
#elif defined(__AVX2__)
#include <immintrin.h>
static void philox_rounds(philox_lanes *L, int lanes, const uint32_t key[2])
{
    const __m256i m0 = _mm256_set1_epi64x(PHILOX_M0);
    const __m256i m1 = _mm256_set1_epi64x(PHILOX_M1);
    const __m256i low = _mm256_set1_epi64x(0xFFFFFFFF);
    for (int j = 0; j < lanes; j += 4) {
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(L->x0 + j));
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(L->x1 + j));
        __m256i x2 = _mm256_loadu_si256((const __m256i *)(L->x2 + j));
        __m256i x3 = _mm256_loadu_si256((const __m256i *)(L->x3 + j));
        uint32_t k0 = key[0], k1 = key[1];
        for (int round = 0; round < 10; round++) {
            __m256i p0 = _mm256_mul_epu32(x0, m0);
            __m256i p1 = _mm256_mul_epu32(x2, m1);
            __m256i y0 = _mm256_xor_si256(
                _mm256_xor_si256(_mm256_srli_epi64(p1, 32), x1),
                _mm256_set1_epi64x(k0));
            __m256i y2 = _mm256_xor_si256(
                _mm256_xor_si256(_mm256_srli_epi64(p0, 32), x3),
                _mm256_set1_epi64x(k1));
            x1 = _mm256_and_si256(p1, low);
            x3 = _mm256_and_si256(p0, low);
            x0 = y0;
            x2 = y2;
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        _mm256_storeu_si256((__m256i *)(L->x0 + j), x0);
        _mm256_storeu_si256((__m256i *)(L->x1 + j), x1);
        _mm256_storeu_si256((__m256i *)(L->x2 + j), x2);
        _mm256_storeu_si256((__m256i *)(L->x3 + j), x3);
    }
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

void pdx_rng_uniform(const pdx_rng_stream *stream, uint64_t block,
                     double *out, size_t n)
{
    philox_lanes L;
    uint32_t c1 = (uint32_t)block, c2 = (uint32_t)(block >> 32);
    size_t done = 0;
    for (uint32_t first = 0; done < n; first += PDX_RNG_LANES) {
        philox_fill(&L, PDX_RNG_LANES, first, c1, c2, stream->replica,
                    stream->key);
        double u[2 * PDX_RNG_LANES];
#pragma omp simd
        for (int j = 0; j < PDX_RNG_LANES; j++) {
            u[2 * j] = uniform52(L.x0[j], L.x1[j]);
            u[2 * j + 1] = uniform52(L.x2[j], L.x3[j]);
        }
        size_t take = n - done < 2 * PDX_RNG_LANES ? n - done
                                                     : 2 * PDX_RNG_LANES;
        memcpy(out + done, u, take * sizeof *out);
        done += take;
    }
}

/* -2 log(u) for u in (0, 1): u = m 2^e with m in [sqrt(1/2), sqrt 2),
 * log m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172, series to s^19
 * (truncation < 1e-16 relative). Branch-free so that loops vectorise. */
static inline double minus_two_log(double u)
{
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    /* exponent as a double without an int->double conversion (which has
     * no AVX2 instruction): put the biased exponent into 2^52's mantissa */
    uint64_t ebits = 0x4330000000000000ull | (bits >> 52);
    double de;
    memcpy(&de, &ebits, sizeof de);
    de = de - (0x1.0p52 + 1023.0);
    uint64_t mbits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
    double m;
    memcpy(&m, &mbits, sizeof m);
    int big = m > 1.4142135623730951;
    m = big ? 0.5 * m : m;
    de = big ? de + 1.0 : de;
    double s = (m - 1.0) / (m + 1.0);
    double z = s * s;
    double p = 1.0 / 19;
    p = p * z + 1.0 / 17;
    p = p * z + 1.0 / 15;
    p = p * z + 1.0 / 13;
    p = p * z + 1.0 / 11;
    p = p * z + 1.0 / 9;
    p = p * z + 1.0 / 7;
    p = p * z + 1.0 / 5;
    p = p * z + 1.0 / 3;
    p = p * z + 1.0;
    const double ln2_hi = 6.93147180369123816490e-01;
    const double ln2_lo = 1.90821492927058770002e-10;
    double log_u = de * ln2_hi + (2.0 * s * p + de * ln2_lo);
    return -2.0 * log_u;
}

/* Round to the nearest integer (ties away from zero do not matter here)
 * for |x| < 2^51, by the 1.5 * 2^52 trick, which vectorises on SSE2. */
static inline double round_nearest(double x)
{
    const double magic = 0x1.8p52;
    return (x + magic) - magic;
}

/* cos and sin of 2 pi x for x in (0, 1): reduce to y in [-1/8, 1/8] and a
 * quadrant q, Taylor series of phi = 2 pi y to phi^15 / phi^16
 * (truncation < 5e-17), then rotate by q pi/2. */
static inline void cos_sin_two_pi(double x, double *c_out, double *s_out)
{
    double w = x - round_nearest(x);          /* [-0.5, 0.5], exact */
    double q = round_nearest(4.0 * w);        /* -2 .. 2 */
    double y = w - 0.25 * q;                  /* [-1/8, 1/8], exact */
    double phi = 6.283185307179586476925286766559 * y;
    double z = phi * phi;
    double sp = 1.0 / 1307674368000.0;         /* 1/15! */
    sp = sp * -z + 1.0 / 6227020800.0;         /* 1/13! */
    sp = sp * -z + 1.0 / 39916800.0;           /* 1/11! */
    sp = sp * -z + 1.0 / 362880.0;             /* 1/9!  */
    sp = sp * -z + 1.0 / 5040.0;               /* 1/7!  */
    sp = sp * -z + 1.0 / 120.0;
    sp = sp * -z + 1.0 / 6.0;
    sp = sp * -z + 1.0;
    double sn = phi * sp;
    double cp = 1.0 / 20922789888000.0;        /* 1/16! */
    cp = cp * -z + 1.0 / 87178291200.0;        /* 1/14! */
    cp = cp * -z + 1.0 / 479001600.0;          /* 1/12! */
    cp = cp * -z + 1.0 / 3628800.0;            /* 1/10! */
    cp = cp * -z + 1.0 / 40320.0;              /* 1/8!  */
    cp = cp * -z + 1.0 / 720.0;
    cp = cp * -z + 1.0 / 24.0;
    cp = cp * -z + 0.5;
    double cs = 1.0 - z * cp;
    /* rotate (cs, sn) by q quarter turns; q = +-2 are the same half turn */
    double c = cs, s = sn;
    c = q == 1.0 ? -sn : c;
    s = q == 1.0 ? cs : s;
    c = q == -1.0 ? sn : c;
    s = q == -1.0 ? -cs : s;
    c = fabs(q) == 2.0 ? -cs : c;
    s = fabs(q) == 2.0 ? -sn : s;
    *c_out = c;
    *s_out = s;
}

/* Uniform in (0, 1) from one 32-bit word: enough resolution for an angle
 * (2 pi / 2^32), not for a radius. */
static inline double uniform32(uint64_t w)
{
    return ((double)(uint32_t)w + 0.5) * 0x1.0p-32;
}

/* Random words per Box-Muller pair: 2 for the radius (52 bits), 1 for the
 * angle (32 bits). Lane j gives a pair from (x0, x1 | x2); the x3 words of
 * lanes j, j + E, j + 2E give E more pairs. */
#define PDX_RNG_EXTRA (PDX_RNG_LANES / 24 * 8)
#define PDX_RNG_PAIRS (PDX_RNG_LANES + PDX_RNG_EXTRA)

static inline void box_muller(double u_radius, double u_angle, double *g0,
                              double *g1)
{
    double r = sqrt(minus_two_log(u_radius));
    double c, s;
    cos_sin_two_pi(u_angle, &c, &s);
    *g0 = r * c;
    *g1 = r * s;
}

/* Main pairs of lanes [0, lanes) into g[0 .. 2 lanes). */
static void box_muller_main(const philox_lanes *restrict L, int lanes,
                            double *restrict g)
{
#pragma omp simd
    for (int j = 0; j < lanes; j++)
        box_muller(uniform52(L->x0[j], L->x1[j]), uniform32(L->x2[j]),
                   &g[2 * j], &g[2 * j + 1]);
}

/* Extra pairs from the x3 words of all lanes into g[0 .. 2 EXTRA). */
static void box_muller_extra(const philox_lanes *restrict L,
                             double *restrict g)
{
#pragma omp simd
    for (int i = 0; i < PDX_RNG_EXTRA; i++)
        box_muller(uniform52(L->x3[i], L->x3[i + PDX_RNG_EXTRA]),
                   uniform32(L->x3[i + 2 * PDX_RNG_EXTRA]), &g[2 * i],
                   &g[2 * i + 1]);
}

void pdx_rng_gaussian(const pdx_rng_stream *stream, uint64_t block,
                      double *out, size_t n)
{
    philox_lanes L;
    double g[2 * PDX_RNG_PAIRS];
    const uint32_t c1 = (uint32_t)block, c2 = (uint32_t)(block >> 32);
    const size_t main_outputs = 2 * PDX_RNG_LANES;
    for (uint32_t first = 0; n > 0; first += PDX_RNG_LANES) {
        if (n >= 2 * PDX_RNG_PAIRS) {
            philox_fill(&L, PDX_RNG_LANES, first, c1, c2, stream->replica,
                        stream->key);
            box_muller_main(&L, PDX_RNG_LANES, out);
            box_muller_extra(&L, out + main_outputs);
            out += 2 * PDX_RNG_PAIRS;
            n -= 2 * PDX_RNG_PAIRS;
        } else if (n > main_outputs) {
            philox_fill(&L, PDX_RNG_LANES, first, c1, c2, stream->replica,
                        stream->key);
            box_muller_main(&L, PDX_RNG_LANES, out);
            box_muller_extra(&L, g);
            memcpy(out + main_outputs, g, (n - main_outputs) * sizeof *out);
            n = 0;
        } else {
            /* only the first lanes' main pairs: round up to 8 lanes */
            int lanes = (int)((n / 2 + 1 + 7) / 8 * 8);
            if (lanes > PDX_RNG_LANES)
                lanes = PDX_RNG_LANES;
            philox_fill(&L, lanes, first, c1, c2, stream->replica,
                        stream->key);
            box_muller_main(&L, lanes, g);
            memcpy(out, g, n * sizeof *out);
            n = 0;
        }
    }
}
