/* pdx/rng.h — counter-based random streams (Philox4x32-10).
 *
 * A stream is named by (seed, purpose, cell key, replica); within it, a
 * block index (e.g. the SGD step) selects an independent run of numbers, so
 * any block can be generated directly (O(1) skip-ahead) and results never
 * depend on thread count, schedule or resume point.
 *
 * Key derivation (version PDX_RNG_KEY_VERSION, stored in result files):
 *   key[0..1]  = 64-bit mix of (seed, purpose, cell_key)
 *   counter    = {i, block_lo, block_hi, replica}
 * where i counts Philox calls within the block. */
#ifndef PDX_RNG_H
#define PDX_RNG_H

#include <stddef.h>
#include <stdint.h>

#define PDX_RNG_NAME "philox4x32-10"
/* Version of the streams (key derivation and the uniform and Gaussian
 * transforms), stored in result files as rng_key_version. 1: first
 * release; 2: Gaussians from 3 words per pair (32-bit angle); 3: from 2
 * words per pair (40-bit radius, 24-bit angle). A file is only resumed or
 * merged by a pdx of its own version. */
#define PDX_RNG_KEY_VERSION 3

/* Purposes of streams (stable: part of the key derivation). */
typedef enum pdx_rng_purpose {
    PDX_RNG_TEACHER = 1,     /* teacher weights: (seed, replica) */
    PDX_RNG_INIT = 2,        /* student initialisation: (seed, replica) */
    PDX_RNG_INPUTS = 3,      /* online inputs: (seed, replica), block = step */
    PDX_RNG_LABEL_NOISE = 4, /* label noise: (seed, replica), block = step */
    PDX_RNG_TEST = 5,        /* test set: (seed, replica) */
    PDX_RNG_DATA = 6,        /* training inputs: (seed, replica), block = mu */
    PDX_RNG_DATA_NOISE = 7,  /* label/input noise: (seed, replica), block =
                              * mu + (kind << 40), see data.c */
    PDX_RNG_SHUFFLE = 8,     /* sgd/perceptron epoch permutations:
                              * (seed, cell, replica), block = epoch */
    PDX_RNG_DYNAMICS = 9,    /* Langevin noise (block = step), Metropolis
                              * moves (block = sweep): (seed, cell, replica) */
    PDX_RNG_START = 10,      /* hot start of perceptron students:
                              * (seed, replica) */
    PDX_RNG_PROBES = 11,     /* propagate: input directions (blocks 0, 1)
                              * and Jacobian probes (block (l << 32) | p):
                              * (seed, replica) */
    PDX_RNG_ATTACK = 12,     /* random starts of attacks (issue 18):
                              * (seed, cell, replica), block hashed from
                              * (checkpoint, input, budget, start) */
    PDX_RNG_DROPOUT = 13,    /* dropout masks (issue 17): (seed, cell,
                              * replica), block (step << 24) | example
                              * (committees), (step << 20) | layer (deep) */
    PDX_RNG_EXCHANGE = 14,   /* parallel-tempering swaps (issue 14):
                              * (seed, ladder, replica), block = sweep */
    PDX_RNG_FLATNESS = 16    /* perturbations of the local energy (issue
                              * 16): (seed, cell, replica), block
                              * (checkpoint << 40) | (size << 20) | draw */
} pdx_rng_purpose;

typedef struct pdx_rng_stream {
    uint32_t key[2];
    uint32_t replica;
} pdx_rng_stream;

/* Name a stream. cell_key is 0 for streams shared by all cells of a
 * replica. Pure function of its arguments; thread-safe. */
void pdx_rng_stream_init(pdx_rng_stream *stream, uint64_t seed,
                         pdx_rng_purpose purpose, uint64_t cell_key,
                         uint64_t replica);

/* Fill out[0..n-1] with standard Gaussian numbers, the first n of block
 * `block` of the stream (a prefix of a longer fill of the same block).
 * Box-Muller, 2 words per pair: Philox call i = 96 c + j (j < 96) gives
 * words (w0, w1, w2, w3); outputs 384 c + 2j, +1 come from (a, b) =
 * (w0, w1) and outputs 384 c + 192 + 2j, +1 from (a, b) = (w2, w3), as
 * (r cos t, r sin t) with r = sqrt(-2 ln u), u = (a 2^8 + (b >> 24) + 1/2)
 * 2^-40, and t = q pi/2 + (pi/2) ((b mod 2^22 + 1/2) 2^-22 - 1/2) with
 * q = (b >> 22) mod 4 (uniform on the circle). |out| < 7.54 always (the
 * 40-bit radius; P(|N(0,1)| > 7.54) = 5e-14). ln, cos and sin are
 * polynomials within about 1 ulp of libm. Thread-safe, no allocation. */
void pdx_rng_gaussian(const pdx_rng_stream *stream, uint64_t block,
                      double *out, size_t n);

/* Fill out[0..n-1] with uniforms in (0, 1) (53-bit), block `block`. */
void pdx_rng_uniform(const pdx_rng_stream *stream, uint64_t block,
                     double *out, size_t n);

/* One Philox4x32-10 evaluation (reference, for tests). */
void pdx_rng_philox(const uint32_t counter[4], const uint32_t key[2],
                    uint32_t out[4]);

/* SplitMix64 finaliser: a bijective 64-bit mix used for key derivation. */
uint64_t pdx_rng_mix64(uint64_t x);

#endif
