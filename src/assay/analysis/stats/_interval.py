"""Bootstrap intervals (percentile and BCa) and cluster-robust standard errors of a mean."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr, ndtri

from assay._display import TableView
from assay._version import __version__
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import (
    ConfidenceInterval,
    IntervalMethod,
    NanPolicy,
    check_choice,
    check_confidence,
    check_resamples,
    complete_cases,
    float_vector,
    seed_of,
)
from assay.analysis.stats._resample import Units, resample_means, units_of
from assay.errors import DegenerateDataWarning, InputError

__all__ = [
    "BootstrapInterval",
    "bootstrap_interval",
    "bootstrap_units",
    "interval_from_draws",
    "signature",
    "standard_error",
]


def interval_from_draws(
    draws: NDArray[np.float64],
    observed: NDArray[np.float64],
    *,
    method: IntervalMethod,
    confidence: float,
    jackknife: NDArray[np.float64] | None = None,
    stacklevel: int = 3,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Percentile or BCa bounds of each column of ``draws`` (resamples x columns).

    BCa follows Efron & Tibshirani (1993), eq. 14.9-14.15: the bias correction ``z0`` is
    the normal quantile of the share of draws below the estimate (draws equal to it count
    one half, as scipy does), the acceleration ``a`` comes from the leave-one-unit-out
    ``jackknife`` estimates (units x columns). ``stacklevel`` is that of the warning when
    BCa is undefined for a column.
    """
    alpha = (1.0 - confidence) / 2.0
    if method == "percentile":
        q = np.quantile(draws, [alpha, 1.0 - alpha], axis=0)
        return q[0], q[1]
    if jackknife is None:  # pragma: no cover - internal misuse
        raise ValueError("BCa needs the jackknife estimates")
    b = draws.shape[0]
    share = ((draws < observed).sum(axis=0) + (draws <= observed).sum(axis=0)) / (2.0 * b)
    z0 = ndtri(share)
    dev = jackknife.mean(axis=0) - jackknife
    num = (dev**3).sum(axis=0)
    den = (dev**2).sum(axis=0) ** 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(den > 0, num / (6.0 * den), 0.0)
        z_lo, z_hi = ndtri(alpha), ndtri(1.0 - alpha)
        a1 = ndtr(z0 + (z0 + z_lo) / (1.0 - acc * (z0 + z_lo)))
        a2 = ndtr(z0 + (z0 + z_hi) / (1.0 - acc * (z0 + z_hi)))
    low = np.empty(draws.shape[1])
    high = np.empty(draws.shape[1])
    for j in range(draws.shape[1]):
        if not (np.isfinite(a1[j]) and np.isfinite(a2[j])):
            warnings.warn(
                "the BCa correction is undefined (every bootstrap estimate lies on one side "
                "of the observed one); using the percentile interval for this column",
                DegenerateDataWarning,
                stacklevel=stacklevel,
            )
            a1[j], a2[j] = alpha, 1.0 - alpha
        low[j], high[j] = np.quantile(draws[:, j], [a1[j], a2[j]])
    return low, high


def bootstrap_units(
    units: Units,
    *,
    method: IntervalMethod,
    confidence: float,
    resamples: int,
    seed: int | np.random.Generator | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Resample ``units`` and bound the mean of each column: ``(draws, low, high)``.

    With a single unit every draw is the estimate and BCa's jackknife is undefined, so
    the percentile interval is used. The BCa warning names the caller of the function
    that calls this one.
    """
    draws = resample_means(units, resamples, resolve_rng(seed))
    use = method if units.n_units > 1 else "percentile"
    low, high = interval_from_draws(
        draws,
        units.means(),
        method=use,
        confidence=confidence,
        jackknife=units.jackknife() if use == "bca" else None,
        stacklevel=4,
    )
    return draws, low, high


@dataclass(frozen=True)
class BootstrapInterval(TableView):
    """A mean with its bootstrap interval and its (cluster-robust) standard error.

    Attributes
    ----------
    statistic
        The mean of the item values.
    low, high
        The interval bounds.
    se
        Cluster-robust analytic standard error of the mean (items are their own clusters
        when no clusters were given, which gives ``s / sqrt(n)``).
    confidence
        Two-sided level of the interval.
    method
        ``"percentile"`` or ``"bca"``.
    n
        Items used; ``n_clusters`` the resampling units (equal to ``n`` without clusters);
        ``n_missing`` the items left out for missing values.
    """

    statistic: float
    low: float
    high: float
    se: float
    confidence: float
    method: str
    n: int
    n_clusters: int
    n_missing: int
    resamples: int
    signature: dict[str, Any] = field(default_factory=dict)

    def confidence_interval(self) -> ConfidenceInterval:
        """The interval as ``(low, high)``."""
        return ConfidenceInterval(self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain Python values."""
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["mean", f"{self.confidence:.0%} CI", "SE", "items", "clusters", "missing"]
        ci = f"[{self.low:.4f}, {self.high:.4f}]"
        return cols, [[self.statistic, ci, self.se, self.n, self.n_clusters, self.n_missing]]

    @property
    def title(self) -> str:
        return f"mean with {self.method} bootstrap interval ({self.resamples} resamples)"


def _prepare(
    values: ArrayLike,
    clusters: ArrayLike | Sequence[object] | None,
    nan_policy: NanPolicy,
    func: str,
) -> tuple[NDArray[np.float64], NDArray[np.int64] | None, int]:
    check_choice(nan_policy, NanPolicy, "nan_policy", func)
    x = float_vector(values, "values", func)
    keep, codes, n_missing = complete_cases(np.isnan(x), clusters, nan_policy, func)
    x = x[keep]
    if len(x) == 0:
        raise InputError(f"{func}: no values to summarise (empty input or all missing)")
    return x, codes, n_missing


def standard_error(
    values: ArrayLike,
    *,
    clusters: ArrayLike | Sequence[object] | None = None,
    nan_policy: NanPolicy = "omit",
) -> float:
    """Standard error of the mean of ``values``, robust to clustered items.

    ``SE^2 = G/(G-1) * sum_g (sum_{i in g} (x_i - mean))^2 / n^2`` over the ``G``
    clusters; items that share a passage, a prompt or a seed are correlated, and pooling
    them as independent understates the error. Without clusters every item is its own
    cluster and this is ``s / sqrt(n)``.

    Parameters
    ----------
    values
        One value per item.
    clusters
        One cluster label per item, or ``None``.
    nan_policy
        ``"omit"`` leaves out missing values, ``"raise"`` rejects them.

    References
    ----------
    Liang, K.-Y. & Zeger, S. L. (1986). Longitudinal data analysis using generalized
    linear models. *Biometrika* 73(1), 13-22.
    Miller, E. (2024). Adding error bars to evals. arXiv:2411.00640, eq. 4.
    """
    x, codes, _ = _prepare(values, clusters, nan_policy, "standard_error")
    units = units_of(x[:, None], codes)
    if units.n_units < 2:
        warnings.warn(
            "standard_error: one resampling unit only; the standard error is undefined (NaN)",
            DegenerateDataWarning,
            stacklevel=2,
        )
    return float(units.standard_errors()[0])


def bootstrap_interval(
    values: ArrayLike,
    *,
    clusters: ArrayLike | Sequence[object] | None = None,
    method: IntervalMethod = "percentile",
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int | np.random.Generator | None = 0,
    nan_policy: NanPolicy = "omit",
) -> BootstrapInterval:
    """Bootstrap interval of the mean of per-item values, clusters optional.

    Parameters
    ----------
    values
        One value per item (a score, or a paired difference).
    clusters
        One label per item (passage, prompt, seed...); whole clusters are resampled and
        the resampled mean is the ratio of resampled totals to resampled sizes.
    method
        ``"percentile"`` or ``"bca"`` (bias-corrected and accelerated; the acceleration
        uses the leave-one-cluster-out jackknife).
    confidence
        Two-sided level.
    resamples
        Number of bootstrap resamples.
    seed
        Seed or generator; the same seed gives the same interval.
    nan_policy
        ``"omit"`` leaves out NaN values (counted in ``n_missing``), ``"raise"`` rejects.

    Returns
    -------
    BootstrapInterval

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13-14.
    Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their Application*,
    sec. 3.8 (resampling clusters).
    Miller, E. (2024). Adding error bars to evals. arXiv:2411.00640.
    """
    func = "bootstrap_interval"
    check_choice(method, IntervalMethod, "method", func)
    check_confidence(confidence, func)
    check_resamples(resamples, func)
    rng = resolve_rng(seed, func)
    x, codes, n_missing = _prepare(values, clusters, nan_policy, func)
    units = units_of(x[:, None], codes)
    if np.ptp(x) == 0:
        warnings.warn(
            f"{func}: all {len(x)} values are equal; the interval has zero width",
            DegenerateDataWarning,
            stacklevel=2,
        )
    _, low, high = bootstrap_units(
        units, method=method, confidence=confidence, resamples=resamples, seed=rng
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        se = float(units.standard_errors()[0])
    return BootstrapInterval(
        statistic=float(units.means()[0]),
        low=float(low[0]),
        high=float(high[0]),
        se=se,
        confidence=confidence,
        method=method,
        n=len(x),
        n_clusters=units.n_units,
        n_missing=n_missing,
        resamples=resamples,
        signature=signature(
            f"{method} bootstrap of the mean"
            + (", clusters resampled" if codes is not None else ", items resampled"),
            n=len(x),
            resamples=resamples,
            seed=seed,
            params={"confidence": confidence, "clustered": codes is not None},
        ),
    )


def signature(
    method: str,
    *,
    n: int,
    resamples: int | None,
    seed: int | np.random.Generator | None,
    params: dict[str, Any],
) -> dict[str, Any]:
    """The reproducibility signature every result of this package carries."""
    return {
        "method": method,
        "params": params,
        "n": n,
        "resamples": resamples,
        "seed": seed_of(seed),
        "assay_version": __version__,
    }
