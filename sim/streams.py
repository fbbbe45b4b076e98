"""Named random streams with common random numbers.

Every draw that concerns one patient is keyed by (stream, patient id, month, slot): the
same seed gives the same patient the same illness in the same month, whatever a payment
rule did to anybody else. Two scenarios run with one seed therefore differ only by their
rules (common random numbers), also after their populations diverge through deaths.

The keyed draws are counter-based, as in Random123 (Salmon et al. 2011): the SplitMix64
output function applied to ``stream key + counter * golden gamma``. A stream's key comes
from ``numpy.random.SeedSequence(seed, spawn_key=(stream code,))``. One-off bulk draws
(synthesising the population, drawing physicians) use ordinary NumPy generators spawned
from the same ``SeedSequence``.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.special import ndtri

from sim.chunks import SIZE, chunks

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
#: SplitMix64's output function: x ^= x >> shift, then x *= multiplier (none after the last shift)
_ROUNDS = ((np.uint64(30), np.uint64(0xBF58476D1CE4E5B9)), (np.uint64(27), np.uint64(0x94D049BB133111EB)), (np.uint64(31), None))
_TO_UNIT = 2.0**-53
# counter layout: patient id in bits 0-39, month in bits 40-55, slot in bits 56-63
_MONTH_SHIFT = np.uint64(40)
_SLOT_SHIFT = np.uint64(56)


def _code(name: str) -> int:
    return zlib.crc32(name.encode())


class Streams:
    """The random streams of one run, all derived from its seed."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._keys: dict[str, np.uint64] = {}

    def _sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(_code(name),))

    def key(self, name: str) -> np.uint64:
        if name not in self._keys:
            self._keys[name] = self._sequence(name).generate_state(1, np.uint64)[0]
        return self._keys[name]

    def generator(self, name: str) -> np.random.Generator:
        """A NumPy generator for one-off bulk draws of the named stream."""
        return np.random.default_rng(self._sequence(name))

    def _bits(self, name: str, ids: np.ndarray, month: int, slot: int | np.ndarray):
        """64 random bits per id, SplitMix64's output at position (id, month, slot) of the stream, a chunk of ids at a
        time (sim.chunks): yields (rows, bits), ``bits`` a buffer the next chunk overwrites."""
        ids = np.asarray(ids)
        key = self.key(name)
        high = np.uint64(month) << _MONTH_SHIFT
        per_id_slot = np.ndim(slot) > 0
        if not per_id_slot:
            high |= np.uint64(slot) << _SLOT_SHIFT
        size = min(SIZE, len(ids))
        x, scratch = np.empty(size, np.uint64), np.empty(size, np.uint64)
        for rows in chunks(len(ids)):
            n = rows.stop - rows.start
            bits, tmp = x[:n], scratch[:n]
            bits[:] = ids[rows]
            bits |= high
            if per_id_slot:
                np.left_shift(np.asarray(slot[rows], dtype=np.uint64), _SLOT_SHIFT, out=tmp)
                bits |= tmp
            bits *= _GAMMA
            bits += key
            for shift, multiplier in _ROUNDS:
                np.right_shift(bits, shift, out=tmp)
                bits ^= tmp
                if multiplier is not None:
                    bits *= multiplier
            yield rows, bits

    def uniform(self, name: str, ids: np.ndarray, month: int, slot: int | np.ndarray = 0) -> np.ndarray:
        """One uniform draw in [0, 1) per id, keyed by (stream, id, month, slot).

        ``slot`` (0-255) tells apart several draws of one resident in one month; it may be
        an array with one slot per id.
        """
        out = np.empty(len(ids))
        for rows, bits in self._bits(name, ids, month, slot):
            bits >>= np.uint64(11)
            np.multiply(bits.view(np.int64), _TO_UNIT, out=out[rows])
        return out

    def uniforms(self, name: str, ids: np.ndarray, month: int, parts: int, slot: int | np.ndarray = 0) -> list[np.ndarray]:
        """``parts`` independent uniforms per id from one keyed draw, each of 64 // parts bits.

        For the several draws every resident or episode needs each month: with three parts
        each has 21 bits, a resolution of 5e-7, fine for monthly probabilities.
        """
        bits_each = 64 // parts
        mask = np.uint64((1 << bits_each) - 1)
        dtype = np.float32 if bits_each <= 24 else np.float64
        out = [np.empty(len(ids), dtype) for _ in range(parts)]
        for rows, bits in self._bits(name, ids, month, slot):
            for i, part in enumerate(out):
                part[rows] = (bits >> np.uint64(bits_each * i)) & mask
        for part in out:
            part *= dtype(2.0**-bits_each)  # a power of two: exact
        return out


def to_normal(u: np.ndarray) -> np.ndarray:
    """Standard-normal draws from uniforms (inverse CDF), clear of the infinite ends."""
    return ndtri(np.clip(u, 1e-9, 1.0 - 1e-9))


def poisson_from_uniform(mean: np.ndarray, u: np.ndarray, most: int = 8) -> np.ndarray:
    """Poisson counts by inversion of the CDF: one uniform per count keeps draws paired.

    Counts above ``most`` are cut at ``most``; with monthly means below 1 the lost mass
    is below 1e-6.
    """
    p = np.exp(-mean)
    cdf = p.copy()
    count = np.zeros(mean.shape, dtype=np.int16)
    for k in range(1, most + 1):
        above = u > cdf
        if not above.any():
            break
        count += above
        p *= mean / k
        cdf += p
    return count
