/* mt19937.c — numpy's legacy RandomState, as far as scikit-learn's shuffle
 * splits need it, so ramp cuts the same folds as a Python kit.
 *
 * The generator is Matsumoto and Nishimura's MT19937, written here from the
 * 2002 reference definition: init_genrand seeding (numpy's RandomState(int)
 * for a seed in [0, 2^32)), the twist over 624 words, the usual tempering.
 * On top of it, numpy's legacy draws as documented for RandomState:
 *   interval(max)   uniform in [0, max]: the smallest all-ones mask >= max,
 *                   32-bit draws masked and rejected while > max, or 64-bit
 *                   draws (high word first) when max does not fit in 32 bits;
 *   shuffle(a, n)   Fisher–Yates from the end: for i = n-1 .. 1,
 *                   swap a[i] with a[interval(i)];
 *   permutation(n)  shuffle of 0, 1, ..., n-1;
 *   choice(k, m)    without replacement: permutation(k)[:m].
 * Every function draws exactly as many words as numpy does, so a sequence of
 * calls leaves the state where numpy's would be. Not thread-safe on one
 * state; no allocation.
 */
#include "core/coreInt.h"

#define MT_N 624
#define MT_M 397

void ramp__mt_seed(ramp__mt *m, uint32_t seed)
{
    m->key[0] = seed;
    for (uint32_t i = 1; i < MT_N; i++) {
        uint32_t p = m->key[i - 1];
        m->key[i] = 1812433253u * (p ^ (p >> 30)) + i;
    }
    m->pos = MT_N;
}

/* regenerates all 624 words (the "twist") */
static void mt_twist(ramp__mt *m)
{
    uint32_t *k = m->key;
    for (int i = 0; i < MT_N; i++) {
        uint32_t y = (k[i] & 0x80000000u) | (k[(i + 1) % MT_N] & 0x7fffffffu);
        k[i] = k[(i + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    m->pos = 0;
}

uint32_t ramp__mt_next32(ramp__mt *m)
{
    if (m->pos >= MT_N) mt_twist(m);
    uint32_t y = m->key[m->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t ramp__mt_next64(ramp__mt *m)
{
    uint64_t hi = ramp__mt_next32(m);
    return hi << 32 | ramp__mt_next32(m);
}

uint64_t ramp__mt_interval(ramp__mt *m, uint64_t max)
{
    if (max == 0) return 0;
    uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    uint64_t v;
    if (max <= 0xffffffffu) {
        do
            v = ramp__mt_next32(m) & mask;
        while (v > max);
    } else {
        do
            v = ramp__mt_next64(m) & mask;
        while (v > max);
    }
    return v;
}

void ramp__mt_shuffle(ramp__mt *m, uint32_t *a, size_t n)
{
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)ramp__mt_interval(m, i);
        uint32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void ramp__mt_permutation(ramp__mt *m, uint32_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint32_t)i;
    ramp__mt_shuffle(m, out, n);
}

void ramp__mt_choice(ramp__mt *m, uint32_t *out, size_t k, size_t size)
{
    (void)size; /* numpy draws the whole permutation, then keeps the first `size` */
    ramp__mt_permutation(m, out, k);
}
