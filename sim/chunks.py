"""Chunks of rows: elementwise work over millions of residents done a chunk at a time.

Each step of a NumPy expression passes over its whole array; over a region's residents that is megabytes
a pass, out of the processor's cache, and a temporary as large for each step. A chunk of ``SIZE`` rows keeps
the passes in cache and the temporaries small. The results are the same, element for element.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

SIZE = 1 << 16  # rows at a time: half a megabyte of 8-byte values


def chunks(n: int) -> Iterator[slice]:
    """The slices that cover rows 0 .. n - 1, ``SIZE`` at a time."""
    return (slice(start, min(start + SIZE, n)) for start in range(0, n, SIZE))


def rows_where(n: int, holds: Callable[[slice], np.ndarray]) -> np.ndarray:
    """The rows of 0 .. n - 1 where ``holds(part)`` (true or false for each row of the chunk ``part``) is true,
    ascending: for the few residents a month's test picks out of millions, without the test's arrays over all."""
    found = [np.flatnonzero(holds(part)) + part.start for part in chunks(n)]
    return np.concatenate(found) if found else np.zeros(0, np.intp)
