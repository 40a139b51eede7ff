"""Known-answer vectors for test_core.c's test_rng_vectors and
test_mt_vectors: prints the C constants pasted there.

ramp_rng (include/ramp/rng.h) is written here again in plain Python from the
published definitions of splitmix64 and xoshiro256** (Blackman and Vigna)
plus rng.c's key mixing, independently of the C code; ramp__mt (the MT19937
of src/core/mt19937.c) is checked against numpy's legacy RandomState itself.

    /usr/bin/python3 tests/gen_rng_vectors.py    # needs numpy
"""
import numpy as np

M = (1 << 64) - 1


def splitmix64(x):
    """One splitmix64 step: (new state, output)."""
    x = (x + 0x9E3779B97F4A7C15) & M
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return x, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


def key(a, b):
    x = (a * 0xD1342543DE82EF95 + 0x2545F4914F6CDD1D) & M
    x, h = splitmix64(x)
    x = h ^ ((b + 0x632BE59BD9B4E019) & M)
    return splitmix64(x)[1]


class Xoshiro:
    def __init__(self, s):
        self.s = list(s)

    @classmethod
    def seeded(cls, seed, stream):
        x = key(seed, stream)
        s = []
        for _ in range(4):
            x, v = splitmix64(x)
            s.append(v)
        if not any(s):
            s[0] = 1
        return cls(s)

    def u64(self):
        s = self.s
        out = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def uniform(self):
        return (self.u64() >> 11) * 2.0**-53

    def below(self, n):
        if n == 0:
            return 0
        limit = M - M % n
        while True:
            x = self.u64()
            if x < limit:
                return x % n

    def shuffle(self, a):
        for i in range(len(a), 1, -1):
            j = self.below(i)
            a[i - 1], a[j] = a[j], a[i - 1]


def c_u64(v):
    return ", ".join("0x%016xu" % x for x in v)


# the published xoshiro256** from state {1, 2, 3, 4} (no seeding)
r = Xoshiro([1, 2, 3, 4])
print("raw {1,2,3,4}:", c_u64([r.u64() for _ in range(6)]))
# splitmix64's published test stream from 1234567
x, out = 1234567, []
for _ in range(3):
    x, v = splitmix64(x)
    out.append(v)
print("splitmix64(1234567):", out)
print("key(1, 2), key(2, 1):", c_u64([key(1, 2), key(2, 1)]))
r = Xoshiro.seeded(42, 7)
print("seed(42, 7) state:", c_u64(r.s))
print("seed(42, 7) u64:", c_u64([r.u64() for _ in range(4)]))
r = Xoshiro.seeded(0, 0)
print("seed(0, 0) uniform x3:", ", ".join(r.uniform().hex() for _ in range(3)))
r = Xoshiro.seeded(3, 1)
print("seed(3, 1) below(7) x8, below(2^63+1) x2:",
      [r.below(7) for _ in range(8)], [r.below((1 << 63) + 1) for _ in range(2)])
r = Xoshiro.seeded(2026, 5)
a = list(range(12))
r.shuffle(a)
print("seed(2026, 5) shuffle(0..11):", a, "then u64", c_u64([r.u64()]))

# MT19937 against numpy's RandomState
rs = np.random.RandomState(20261204)
bg = np.random.MT19937()
bg.state = {"bit_generator": "MT19937",
            "state": {"key": rs.get_state()[1], "pos": rs.get_state()[2]}}
print("mt(20261204) raw32 x5:", [int(v) for v in bg.random_raw(5)])
rs = np.random.RandomState(7)
a = np.arange(100, 111, dtype=np.int64)
rs.shuffle(a)
print("mt(7) shuffle(100..110):", [int(v) for v in a])
rs = np.random.RandomState(11)
print("mt(11) permutation(9) then choice(20, 5):", [int(v) for v in rs.permutation(9)],
      [int(v) for v in rs.choice(20, 5, replace=False)])
