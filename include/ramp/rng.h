/* ramp/rng.h — explicit, seeded random streams.
 *
 * ramp has no global random state. Every random choice (shuffles, splits,
 * augmentation) draws from a ramp_rng that the caller owns and seeds, so a
 * run is reproducible whatever the number of threads. The generator is
 * xoshiro256** seeded through splitmix64; streams derived from the same seed
 * with different keys (epoch, sample index, ...) are independent for all
 * practical purposes.
 *
 *     ramp_rng r;
 *     ramp_rng_seed(&r, seed, ramp_rng_key(epoch, index));
 *     double u = ramp_rng_uniform(&r);   // [0, 1)
 */
#ifndef RAMP_RNG_H
#define RAMP_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ramp_rng {
    uint64_t s[4];
} ramp_rng;

/* Seeds `r` from (seed, stream): two streams with different `stream` values
   are unrelated sequences. Not thread-safe on one `r`; use one per thread. */
void ramp_rng_seed(ramp_rng *r, uint64_t seed, uint64_t stream);

/* Mixes two 64-bit keys into one stream id (order matters). */
uint64_t ramp_rng_key(uint64_t a, uint64_t b);

/* Next 64 random bits. */
uint64_t ramp_rng_u64(ramp_rng *r);

/* Uniform double in [0, 1) with 53 random bits. */
double ramp_rng_uniform(ramp_rng *r);

/* Uniform integer in [0, n) without modulo bias; n == 0 gives 0. */
uint64_t ramp_rng_below(ramp_rng *r, uint64_t n);

/* Shuffles idx[0..n) in place (Fisher–Yates). */
void ramp_rng_shuffle(ramp_rng *r, uint32_t *idx, uint32_t n);

#ifdef __cplusplus
}
#endif
#endif
