"""Financial alpha-factor metrics (AlphaEval): IC, RankIC, ranking stability, robustness
to perturbation, and diversity of a set of factors.

The inputs are panels: factor values and next-period returns per ``(date, asset)``. The
plain functions take whole panels; the registered metrics take one *item* per date (or
per date transition, or per observation) so that a bootstrap resamples dates and
re-aggregates the per-item statistics without recomputing any correlation:

- ``alpha_ic``, ``alpha_rank_ic``: an item is a date; prediction = the factor's cross
  section, reference = the returns realised after it (vectors over that date's assets;
  dates may have different assets). Statistics: the date's correlation and whether it is
  defined.
- ``alpha_robustness``: an item is a date; prediction = the perturbed cross section,
  reference = the clean one.
- ``alpha_stability``: an item is a transition between consecutive dates; prediction =
  the cross section on date ``t``, reference = the one on ``t - 1`` (the same assets in
  the same order). Statistic: ``1 / (1 + KL)`` of that transition.
- ``alpha_diversity``: an item is an observation; prediction = the values of the K
  factors on it (references unused). Statistics: the K values (the covariance needs
  them all).

References
----------
Ding, Z. et al. (2025). AlphaEval: a comprehensive and efficient evaluation framework for
formula alpha mining. arXiv:2508.13174. Grinold, R. C. & Kahn, R. N. (2000). *Active
Portfolio Management*, ch. 6.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError
from assay.metrics._core import (
    DefinedMeanMetric,
    MeanMetric,
    Metric,
    _missing,
    as_floats,
    check_option,
    register,
    warn_degenerate,
)

__all__ = [
    "AlphaDiversity",
    "AlphaIC",
    "AlphaRankIC",
    "AlphaRobustness",
    "AlphaStability",
    "alpha_diversity",
    "alpha_ic",
    "alpha_rank_ic",
    "alpha_robustness",
    "alpha_stability",
    "perturb_alpha",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


# --------------------------------------------------------------------------- input


def _panel(values: Any, owner: str, what: str) -> FloatArray:
    arr = as_floats(values, owner, what)
    if arr.ndim != 2 or arr.size == 0:
        raise InputError(
            f"{owner}: {what} must be a non-empty (n_dates, n_assets) matrix; got shape {arr.shape}"
        )
    if np.isinf(arr).any():
        raise InputError(f"{owner}: {what} has an infinite value")
    return arr


def _same_shape(a: FloatArray, b: FloatArray, owner: str) -> None:
    if a.shape != b.shape:
        raise InputError(
            f"{owner}: the two panels must have the same shape; got {a.shape} and {b.shape}"
        )


def _cross_sections(
    owner: str, predictions: Sequence[Any], references: Sequence[Any]
) -> Iterator[tuple[IntArray, FloatArray, FloatArray]]:
    """The items' paired cross sections, stacked by length (one block per number of
    assets) so that each block is computed in one vectorised pass. Missing items (a
    ``None`` or NaN in place of a vector) are not yielded."""
    groups: dict[int, list[tuple[int, FloatArray, FloatArray]]] = {}
    for i, (p, r) in enumerate(zip(predictions, references, strict=True)):
        if _missing(p) or _missing(r):
            continue
        a = as_floats(p, owner, f"item {i}'s prediction")
        b = as_floats(r, owner, f"item {i}'s reference")
        if a.ndim != 1 or a.shape != b.shape:
            raise InputError(
                f"{owner}: item {i} must be a prediction vector and a reference vector of "
                f"equal length (one value per asset); got shapes {a.shape} and {b.shape}"
            )
        if np.isinf(a).any() or np.isinf(b).any():
            raise InputError(f"{owner}: item {i} has an infinite value")
        groups.setdefault(a.size, []).append((i, a, b))
    for rows in groups.values():
        index = np.array([row[0] for row in rows], dtype=np.intp)
        yield index, np.stack([row[1] for row in rows]), np.stack([row[2] for row in rows])


# --------------------------------------------------------------------------- IC and RankIC


def _row_ranks(x: FloatArray) -> FloatArray:
    """Average ranks (1-based) within each row, NaN kept as NaN."""
    from scipy.stats import rankdata

    if x.shape[1] == 0:
        return x.copy()
    return np.asarray(rankdata(x, axis=1, nan_policy="omit"), dtype=np.float64)


def _correlations(a: FloatArray, b: FloatArray, *, rank: bool) -> FloatArray:
    """Per row: ``(r, defined)``, ``r`` the Pearson (``rank``: Spearman) correlation over
    the columns where both values are present; undefined (``r`` = 0) for rows with fewer
    than two such pairs or no variance."""
    ok = ~(np.isnan(a) | np.isnan(b))
    if rank:
        a = _row_ranks(np.where(ok, a, np.nan))
        b = _row_ranks(np.where(ok, b, np.nan))
    n = ok.sum(axis=1)
    a0 = np.where(ok, a, 0.0)
    b0 = np.where(ok, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = a0.sum(axis=1) / n
        mb = b0.sum(axis=1) / n
        da = np.where(ok, a0 - ma[:, None], 0.0)
        db = np.where(ok, b0 - mb[:, None], 0.0)
        den = np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
        r = (da * db).sum(axis=1) / den
    defined = (n >= 2) & (den > 0)
    return np.column_stack([np.where(defined, r, 0.0), defined.astype(np.float64)])


@dataclass(frozen=True)
class _CrossSectionCorrelation(DefinedMeanMetric):
    """Mean over dates of a cross-sectional correlation (the items are dates)."""

    columns: ClassVar[tuple[str, ...]] = ("correlation", "defined")
    undefined_reason: ClassVar[str] = "no date has two assets with varying values"
    rank: ClassVar[bool] = False

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> FloatArray:
        out = np.full((len(predictions), 2), np.nan)
        for index, a, b in _cross_sections(self.name, predictions, references):
            out[index] = _correlations(a, b, rank=self.rank)
        return out


@register
@dataclass(frozen=True)
class AlphaIC(_CrossSectionCorrelation):
    """Information coefficient: the mean over dates of the cross-sectional Pearson
    correlation between a factor and the returns realised after it.

    An item is a date: prediction = the factor values of that date's assets, reference
    = their next-period returns (AlphaEval: ``close[t+1] / close[t] - 1``), vectors of
    equal length (dates may differ in their assets). A NaN value leaves out that asset's
    pair only; a date with fewer than two pairs or a constant side has no correlation
    and is left out of the mean (its ``defined`` statistic is 0), as AlphaEval does.

    References
    ----------
    Ding et al. (2025), AlphaEval, arXiv:2508.13174. Grinold, R. C. & Kahn, R. N. (2000).
    *Active Portfolio Management*, ch. 6.
    """

    name: ClassVar[str] = "alpha_ic"


@register
@dataclass(frozen=True)
class AlphaRankIC(_CrossSectionCorrelation):
    """RankIC: :class:`AlphaIC` on cross-sectional ranks (the mean daily Spearman
    correlation; ties get average ranks, ranked over the assets present on both sides).

    References
    ----------
    Ding et al. (2025), AlphaEval, arXiv:2508.13174.
    """

    name: ClassVar[str] = "alpha_rank_ic"
    rank: ClassVar[bool] = True


@register
@dataclass(frozen=True)
class AlphaRobustness(_CrossSectionCorrelation):
    """Perturbation fidelity (AlphaEval's PFS): the mean over dates of the Pearson
    correlation between perturbed and clean factor values (see :func:`perturb_alpha`).

    An item is a date: prediction = the perturbed cross section, reference = the clean
    one.

    References
    ----------
    Ding et al. (2025), AlphaEval, arXiv:2508.13174.
    """

    name: ClassVar[str] = "alpha_robustness"


def _panel_correlation(
    metric: _CrossSectionCorrelation, first: Any, second: Any, names: tuple[str, str]
) -> float:
    a = _panel(first, metric.name, names[0])
    b = _panel(second, metric.name, names[1])
    _same_shape(a, b, metric.name)
    return float(metric.aggregate(_correlations(a, b, rank=metric.rank)))


def alpha_ic(factor: Any, returns: Any) -> float:
    """Information coefficient: mean over dates of the cross-sectional Pearson correlation
    between factor values and next-period returns (NaN pairs left out; dates with fewer
    than two assets or a constant column skipped). The registered metric ``alpha_ic``
    (:class:`AlphaIC`) takes one date per item.

    Parameters
    ----------
    factor, returns
        ``(n_dates, n_assets)`` matrices; ``returns[t]`` is the return realised after
        the factor value ``factor[t]`` (AlphaEval: close[t+1] / close[t] - 1).

    References
    ----------
    Ding et al. (2025), AlphaEval. Grinold, R. C. & Kahn, R. N. (2000). *Active Portfolio
    Management*, ch. 6.
    """
    return _panel_correlation(AlphaIC(), factor, returns, ("factor", "returns"))


def alpha_rank_ic(factor: Any, returns: Any) -> float:
    """RankIC: :func:`alpha_ic` on cross-sectional ranks (mean daily Spearman correlation)."""
    return _panel_correlation(AlphaRankIC(), factor, returns, ("factor", "returns"))


def alpha_robustness(clean: Any, perturbed: Any) -> float:
    """Perturbation fidelity (AlphaEval's PFS): mean over dates of the Pearson correlation
    between clean and perturbed factor values (see :func:`perturb_alpha`)."""
    return _panel_correlation(AlphaRobustness(), perturbed, clean, ("perturbed", "clean"))


def perturb_alpha(
    factor: Any,
    variance: float,
    *,
    noise: Literal["gaussian", "student_t"] = "gaussian",
    seed: int | np.random.Generator | None = None,
) -> FloatArray:
    """Multiplicatively perturbed factor values ``x * (1 + e)``, ``e`` Gaussian with the
    given ``variance`` or Student-t with 3 degrees of freedom rescaled to it (AlphaEval's
    two robustness perturbations)."""
    check_option("perturb_alpha", "noise", noise, ("gaussian", "student_t"))
    if not (math.isfinite(variance) and variance >= 0):
        check_option("perturb_alpha", "variance", variance, "a finite number >= 0")
    f = as_floats(factor, "perturb_alpha", "factor")
    rng = np.random.default_rng(seed)
    if noise == "gaussian":
        e = rng.normal(0.0, math.sqrt(variance), size=f.shape)
    else:
        e = rng.standard_t(3, size=f.shape) * math.sqrt(variance / 3.0)  # Var(t_3) = 3
    return np.asarray(f * (1.0 + e), dtype=np.float64)


# --------------------------------------------------------------------------- stability


def _ranking_stability(current: FloatArray, previous: FloatArray, eps: float) -> FloatArray:
    """Per row: ``1 / (1 + KL(p_t || p_{t-1}))`` of the rank distributions."""
    cur = _row_ranks(current)
    prev = _row_ranks(previous)
    p = cur / cur.sum(axis=1, keepdims=True)
    q = prev / prev.sum(axis=1, keepdims=True)
    kl = (p * np.log((p + eps) / (q + eps))).sum(axis=1)
    return np.asarray(1.0 / (1.0 + kl), dtype=np.float64)


@register
@dataclass(frozen=True)
class AlphaStability(MeanMetric):
    """Ranking stability (AlphaEval's RRE): the mean over consecutive dates of
    ``1 / (1 + KL(p_t || p_{t-1}))`` with ``p_t(a) = rank_t(a) / sum_a rank_t(a)``; 1 when
    the ranking never changes.

    An item is a transition between consecutive dates: prediction = the factor's cross
    section on date ``t``, reference = the one on ``t - 1`` (same assets, same order, no
    NaN: the rank distributions need every asset). For a panel ``f``:
    ``compute(f[1:], f[:-1])``. ``eps`` is added inside the logarithm (AlphaEval: 1e-8).

    References
    ----------
    Ding et al. (2025), AlphaEval, arXiv:2508.13174.
    """

    name: ClassVar[str] = "alpha_stability"
    columns: ClassVar[tuple[str, ...]] = ("stability",)
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if not isinstance(self.eps, int | float) or not (math.isfinite(self.eps) and self.eps >= 0):
            check_option("AlphaStability", "eps", self.eps, "a finite number >= 0")

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> FloatArray:
        out = np.full((len(predictions), 1), np.nan)
        for index, cur, prev in _cross_sections(self.name, predictions, references):
            if np.isnan(cur).any() or np.isnan(prev).any():
                bad = index[int(np.flatnonzero(np.isnan(cur).any(1) | np.isnan(prev).any(1))[0])]
                raise InputError(
                    f"{self.name}: item {bad} has NaN; the rank distributions need every "
                    "asset on both dates"
                )
            if cur.shape[1] == 0:
                raise InputError(f"{self.name}: item {index[0]} has no asset")
            out[index, 0] = _ranking_stability(cur, prev, self.eps)
        return out


def alpha_stability(factor: Any, *, eps: float = 1e-8) -> float:
    """Ranking stability (AlphaEval's RRE): mean over consecutive dates of
    ``1 / (1 + KL(p_t || p_{t-1}))`` with ``p_t(a) = rank_t(a) / sum_a rank_t(a)``; 1 when
    the ranking never changes. ``eps`` is added inside the logarithm (AlphaEval: 1e-8).
    Needs a complete panel (no NaN) with at least two dates. The registered metric
    ``alpha_stability`` (:class:`AlphaStability`) takes one date transition per item.

    References
    ----------
    Ding et al. (2025), AlphaEval.
    """
    metric = AlphaStability(eps=eps)
    f = _panel(factor, metric.name, "factor")
    if np.isnan(f).any():
        raise InputError(
            "alpha_stability: the factor panel has NaN; the rank distributions need every asset on every date"
        )
    if f.shape[0] < 2:
        return warn_degenerate(metric.name, "fewer than two dates")
    return metric.aggregate(_ranking_stability(f[1:], f[:-1], eps)[:, None])


# --------------------------------------------------------------------------- diversity


@register
@dataclass(frozen=True)
class AlphaDiversity(Metric):
    """Diversity of K factors: the entropy of the normalised eigenvalues of their
    covariance divided by ``log K``, in [0, 1] (0: all factors collinear; 1: uncorrelated
    with equal variance).

    An item is an observation (e.g. one (date, asset), each factor z-scored per date):
    prediction = the K factor values on it, references unused. The statistics are the K
    values themselves (K columns; ``columns`` names the first of them), from which the
    covariance is recomputed on every bootstrap resample. An observation with a NaN value
    is ungradable (left to ``nan_policy``).

    References
    ----------
    Ding et al. (2025), AlphaEval, arXiv:2508.13174.
    """

    name: ClassVar[str] = "alpha_diversity"
    columns: ClassVar[tuple[str, ...]] = ("factor_1", "factor_2")

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> FloatArray:
        rows: list[FloatArray | None] = []
        width = 0
        for i, p in enumerate(predictions):
            if _missing(p):
                rows.append(None)
                continue
            x = as_floats(p, self.name, f"item {i}")
            if x.ndim != 1 or x.size < 2 or (width and x.size != width):
                expected = f"{width} values" if width else "at least two values"
                raise InputError(
                    f"{self.name}: item {i} must be the values of every factor "
                    f"({expected}); got shape {x.shape}"
                )
            if np.isinf(x).any():
                raise InputError(f"{self.name}: item {i} has an infinite value")
            width = x.size
            rows.append(None if np.isnan(x).any() else x)
        out = np.full((len(rows), max(width, 2)), np.nan)
        for i, row in enumerate(rows):
            if row is not None:
                out[i] = row
        return out

    def aggregate(self, stats: FloatArray) -> float:
        if np.isnan(stats).any():
            return math.nan
        if stats.shape[0] < 2:
            return warn_degenerate(self.name, "fewer than two observations")
        eig = np.clip(np.linalg.eigvalsh(np.cov(stats, rowvar=False)), 0.0, None)
        if eig.sum() == 0:
            return warn_degenerate(self.name, "every factor is constant")
        p = eig / eig.sum()
        p = p[p > 1e-12]
        return float(-(p * np.log(p)).sum() / math.log(stats.shape[1]))


def alpha_diversity(factors: Any) -> float:
    """Diversity of K factors: entropy of the normalised eigenvalues of their covariance
    divided by log K, in [0, 1] (0: all factors collinear; 1: uncorrelated with equal
    variance). The registered metric ``alpha_diversity`` (:class:`AlphaDiversity`) takes
    one observation per item.

    Parameters
    ----------
    factors
        ``(n_observations, K)``: one column per factor (e.g. stacked over dates and
        assets, each z-scored per date).

    References
    ----------
    Ding et al. (2025), AlphaEval.
    """
    x = as_floats(factors, "alpha_diversity", "factors")
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise InputError(
            f"alpha_diversity: factors must be (n_observations >= 2, K >= 2); got shape {x.shape}"
        )
    if not np.isfinite(x).all():
        raise InputError("alpha_diversity: factors have NaN or infinite values")
    return AlphaDiversity().aggregate(x)
