"""Spark's xxhash64 and pmod in plain Python, apart from sluice's C, for the
tests to say where a key must land. Checked against Spark's documented
xxhash64('Spark', array(123), 2) = 5602566077635097486 (run this file)."""
import struct

M = 2**64 - 1
P1, P2, P3 = 11400714785074694791, 14029467366897019727, 1609587929392839161
P4, P5 = 9650029242287828579, 2870177450012600261


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def _round(acc, lane):
    return (_rotl((acc + lane * P2) & M, 31) * P1) & M


def xxh64(data, seed):
    n, p = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed & M, (seed - P1) & M]
        while p + 32 <= n:
            for i in range(4):
                v[i] = _round(v[i], struct.unpack_from('<Q', data, p + 8 * i)[0])
            p += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M
        for x in v:
            h = ((h ^ _round(0, x)) * P1 + P4) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while p + 8 <= n:
        h = (_rotl(h ^ _round(0, struct.unpack_from('<Q', data, p)[0]), 27) * P1 + P4) & M
        p += 8
    if p + 4 <= n:
        h = (_rotl(h ^ ((struct.unpack_from('<I', data, p)[0] * P1) & M), 23) * P2 + P3) & M
        p += 4
    while p < n:
        h = (_rotl(h ^ ((data[p] * P5) & M), 11) * P1) & M
        p += 1
    h ^= h >> 33
    h = (h * P2) & M
    h ^= h >> 29
    h = (h * P3) & M
    return h ^ (h >> 32)


def xxhash64(*values):
    """Spark's xxhash64 of longs (ints here) and strings; None is skipped."""
    h = 42
    for v in values:
        if v is None:
            continue
        h = xxh64(struct.pack('<q', v) if isinstance(v, int) else v.encode(), h)
    return h - 2**64 if h >= 2**63 else h


def pmod(a, n):
    r = abs(a) % abs(n) * (1 if a >= 0 else -1)  # Java's remainder
    return (r + n) % n if r < 0 else r


if __name__ == '__main__':
    h = xxh64(b'Spark', 42)
    for i in (123, 2):
        h = xxh64(struct.pack('<i', i), h)
    assert h == 5602566077635097486, h
    print('ok')
