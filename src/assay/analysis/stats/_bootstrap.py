"""Percentile bootstrap of many means at once, exact and fast.

The bootstrap distribution of a mean over ``n`` items depends only on how many items
carry each distinct value. When a cell has few distinct values (binary correctness,
partial credit in steps, pass rates from a handful of samples) drawing the counts of
each value from a multinomial gives *exactly* the distribution that drawing ``n``
item indices with replacement gives, at a cost that does not grow with ``n``. Cells
with many distinct values are resampled by index, in chunks that bound memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError

__all__ = ["CellLevels", "bootstrap_means", "resolve_rng"]

#: a cell with at most this many distinct values is resampled through its value counts
MAX_LEVELS = 64
#: elements per chunk when resampling by index (bounds memory to ~ 8 bytes x this)
_CHUNK = 20_000_000


def resolve_rng(
    seed: int | np.random.Generator | None, where: str | None = None
) -> np.random.Generator:
    """A generator from a seed or a generator (``None`` gives a fresh random seed).

    A seed numpy cannot use (text, a negative or fractional number) raises
    :class:`InputError` naming the 'seed' parameter of ``where``.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if not isinstance(seed, bool):
        try:
            return np.random.default_rng(seed)
        except (TypeError, ValueError):
            pass
    of = f" of {where}" if where else ""
    raise InputError(
        f"the 'seed' parameter{of} must be an integer >= 0, a numpy.random.Generator or "
        f"None; got {seed!r}"
    )


@dataclass(frozen=True, slots=True)
class CellLevels:
    """The item values of one cell as distinct values and their counts."""

    values: NDArray[np.float64]
    counts: NDArray[np.int64]

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def mean(self) -> float:
        return float((self.values * self.counts).sum() / self.n)


def bootstrap_means(
    cells: Sequence[CellLevels],
    *,
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Percentile bootstrap intervals of the mean of each cell.

    Parameters
    ----------
    cells
        One :class:`CellLevels` per cell; every cell must hold at least one item.
    resamples
        Bootstrap resamples per cell.
    confidence
        Two-sided confidence level, e.g. 0.95.
    rng
        The random generator (cells are drawn in order, so a seed fixes the result).

    Returns
    -------
    low, high
        Interval bounds per cell (``low == high == mean`` for a cell of one value).

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13
    (percentile intervals).
    """
    k = len(cells)
    low = np.empty(k)
    high = np.empty(k)
    alpha = (1.0 - confidence) / 2.0
    q = np.array([alpha, 1.0 - alpha])

    binary: list[int] = []
    few: list[int] = []
    many: list[int] = []
    for i, c in enumerate(cells):
        if len(c.values) <= 2:
            binary.append(i)
        elif len(c.values) <= MAX_LEVELS:
            few.append(i)
        else:
            many.append(i)

    if binary:
        idx = np.array(binary)
        lo_v = np.empty(len(idx))
        hi_v = np.empty(len(idx))
        n = np.empty(len(idx), dtype=np.int64)
        p_hi = np.empty(len(idx))
        for j, i in enumerate(idx):
            c = cells[i]
            lo_v[j] = c.values[0]
            hi_v[j] = c.values[-1]
            n[j] = c.n
            p_hi[j] = c.counts[-1] / c.n if len(c.values) == 2 else 0.0
        # resampled mean = lo + (hi - lo) * Binomial(n, p_hi) / n
        for start in range(0, len(idx), max(1, _CHUNK // resamples)):
            sl = slice(start, start + max(1, _CHUNK // resamples))
            draws = rng.binomial(n[sl], p_hi[sl], size=(resamples, len(n[sl])))
            means = lo_v[sl] + (hi_v[sl] - lo_v[sl]) * draws / n[sl]
            qs = np.quantile(means, q, axis=0)
            low[idx[sl]] = qs[0]
            high[idx[sl]] = qs[1]

    if few:
        # pad each cell's levels to a common width; zero-probability levels never occur
        width = max(len(cells[i].values) for i in few)
        step = max(1, _CHUNK // (resamples * width))
        for start in range(0, len(few), step):
            chunk = few[start : start + step]
            vals = np.zeros((len(chunk), width))
            pvals = np.zeros((len(chunk), width))
            n = np.empty(len(chunk), dtype=np.int64)
            for j, i in enumerate(chunk):
                c = cells[i]
                vals[j, : len(c.values)] = c.values
                pvals[j, : len(c.values)] = c.counts / c.n
                n[j] = c.n
            counts = rng.multinomial(n, pvals, size=(resamples, len(chunk)))
            means = (counts * vals).sum(axis=2) / n
            qs = np.quantile(means, q, axis=0)
            low[chunk] = qs[0]
            high[chunk] = qs[1]

    for i in many:
        c = cells[i]
        items = np.repeat(c.values, c.counts)
        n_i = len(items)
        means = np.empty(resamples)
        rows = max(1, _CHUNK // n_i)
        for start in range(0, resamples, rows):
            stop = min(resamples, start + rows)
            draw = rng.integers(0, n_i, size=(stop - start, n_i))
            means[start:stop] = items[draw].mean(axis=1)
        low[i], high[i] = np.quantile(means, q)

    return low, high
