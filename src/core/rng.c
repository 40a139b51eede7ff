/* rng.c — xoshiro256** seeded by splitmix64 (both public-domain algorithms
 * by Blackman and Vigna, written here from their published definitions). */
#include "ramp/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t ramp_rng_key(uint64_t a, uint64_t b)
{
    uint64_t x = a * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL;
    uint64_t h = splitmix64(&x);
    x = h ^ (b + 0x632be59bd9b4e019ULL);
    return splitmix64(&x);
}

void ramp_rng_seed(ramp_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = ramp_rng_key(seed, stream);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* never all zero */
}

uint64_t ramp_rng_u64(ramp_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double ramp_rng_uniform(ramp_rng *r)
{
    return (double)(ramp_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t ramp_rng_below(ramp_rng *r, uint64_t n)
{
    if (n == 0) return 0;
    /* Rejection sampling: discard the top partial range. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = ramp_rng_u64(r);
    } while (x >= limit);
    return x % n;
}

void ramp_rng_shuffle(ramp_rng *r, uint32_t *idx, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)ramp_rng_below(r, i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
