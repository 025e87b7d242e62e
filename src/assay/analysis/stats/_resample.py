"""The resampling engine: bootstrap means of many columns at once, clusters optional.

Every statistic in this package is a mean of per-item values (a score, or the paired
difference of two models' scores), so a bootstrap resample only needs how many times each
unit was drawn. The engine draws unit indices exactly (no Poisson approximation), turns
them into a counts matrix ``(resamples, units)`` with one ``bincount`` per block and
multiplies it by the unit totals ``(units, columns)``: one matrix product gives the
resampled means of every column (every model, every difference) from the *same* draws.

Clusters (items sharing a passage, a prompt or a seed) are the units when given: the
cluster totals and sizes are resampled together and each resampled mean is the ratio
``counts @ totals / counts @ sizes``, the clustered bootstrap of a mean.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Units", "resample_means", "units_of"]

#: counts-matrix cells per block (working memory ~ 8 bytes x this)
_BLOCK_CELLS = 8_000_000
#: fewest resamples per block (see _count_blocks)
_MIN_ROWS = 256
#: up to this many units, a block's counts come from one draw and one bincount
_SMALL = 4096


@dataclass(frozen=True, slots=True)
class Units:
    """Resampling units: per-unit column totals and unit sizes (items per unit)."""

    totals: NDArray[np.float64]  # (units, columns)
    sizes: NDArray[np.float64]  # (units,)
    clustered: bool

    @property
    def n_units(self) -> int:
        return int(self.sizes.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.sizes.sum())

    def means(self) -> NDArray[np.float64]:
        """The observed mean of every column."""
        return np.asarray(self.totals.sum(axis=0) / self.sizes.sum(), dtype=np.float64)

    def jackknife(self) -> NDArray[np.float64]:
        """Leave-one-unit-out means, shape ``(units, columns)``."""
        total = self.totals.sum(axis=0)
        size = self.sizes.sum()
        return np.asarray((total - self.totals) / (size - self.sizes)[:, None], np.float64)

    def standard_errors(self) -> NDArray[np.float64]:
        """Cluster-robust standard error of every column's mean.

        ``G/(G-1) * sum_g (sum_{i in g} (x_i - mean))^2 / n^2``; with one item per unit
        this is the usual ``s / sqrt(n)`` (``ddof=1``).
        """
        g = self.n_units
        if g < 2:
            return np.full(self.totals.shape[1], np.nan)
        resid = self.totals - self.sizes[:, None] * self.means()[None, :]
        var = g / (g - 1) * (resid**2).sum(axis=0) / self.n_items**2
        return np.asarray(np.sqrt(var), dtype=np.float64)


def units_of(values: NDArray[np.float64], clusters: NDArray[np.int64] | None = None) -> Units:
    """Group the rows of ``values`` (items x columns) into resampling units.

    ``clusters`` holds one integer code per item in ``0..G-1`` (every code used).
    """
    if clusters is None:
        return Units(values, np.ones(values.shape[0]), clustered=False)
    g = int(clusters.max()) + 1
    totals = np.zeros((g, values.shape[1]))
    np.add.at(totals, clusters, values)
    sizes = np.bincount(clusters, minlength=g).astype(np.float64)
    return Units(totals, sizes, clustered=True)


def _count_blocks(
    n_units: int, resamples: int, rng: np.random.Generator, dtype: type[np.floating[Any]]
) -> Iterator[NDArray[np.floating[Any]]]:
    """Blocks of rows of the counts matrix: how often each unit was drawn per resample.

    Each row is ``n_units`` exact index draws with replacement, counted by ``bincount``.
    """
    # OpenBLAS is an order of magnitude slower per row on blocks of fewer than ~128
    # rows, so blocks hold at least _MIN_ROWS resamples whatever their width
    rows = max(_MIN_ROWS, _BLOCK_CELLS // max(n_units, 1))
    int_type = np.int32 if n_units < 2**31 else np.int64
    for start in range(0, resamples, rows):
        b = min(rows, resamples - start)
        if n_units <= _SMALL:
            # narrow: one draw and one bincount for the whole block
            idx = rng.integers(0, n_units, size=(b, n_units), dtype=np.int64)
            idx += (np.arange(b, dtype=np.int64) * n_units)[:, None]
            flat = np.bincount(idx.ravel(), minlength=b * n_units)
            yield flat.reshape(b, n_units).astype(dtype)
            continue
        counts = np.empty((b, n_units), dtype=dtype)
        for r in range(b):
            idx = rng.integers(0, n_units, size=n_units, dtype=int_type)
            counts[r] = np.bincount(idx, minlength=n_units)
        yield counts


def _exact_in_float32(units: Units) -> bool:
    """Whether float32 products and sums are exact: integer totals whose resampled sums
    stay below 2**24 (binary scores and their differences on up to ~16 million units)."""
    t = units.totals
    if not np.array_equal(t, np.round(t)):
        return False
    bound = float(np.abs(t).max(initial=0.0)) * units.n_units
    size_bound = float(units.sizes.max(initial=0.0)) * units.n_units
    return max(bound, size_bound) < 2**24


def resample_means(units: Units, resamples: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Bootstrap means of every column, shape ``(resamples, columns)``.

    All columns share the same draws, so differences and ranks between columns are
    those of a joint (paired) bootstrap. Integer-valued data (0/1 scores) are multiplied
    in float32, where every product and partial sum is exact; other data in float64.
    """
    dtype: type[np.floating[Any]] = np.float32 if _exact_in_float32(units) else np.float64
    totals = units.totals.astype(dtype)
    sizes = units.sizes.astype(dtype)
    out = np.empty((resamples, units.totals.shape[1]))
    start = 0
    for counts in _count_blocks(units.n_units, resamples, rng, dtype):
        stop = start + counts.shape[0]
        sums = (counts @ totals).astype(np.float64)
        if units.clustered:
            sums /= (counts @ sizes).astype(np.float64)[:, None]
        else:
            sums /= units.n_units
        out[start:stop] = sums
        start = stop
    return out
