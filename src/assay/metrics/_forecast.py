"""Probabilistic forecasting: the CRPS of a sample forecast, and the region-of-interest
CRPS with a constraint penalty of Context-is-Key (RCRPS).

A forecast is a matrix of samples ``(n_samples, n_steps)`` (a vector is one step);
the target is a vector of ``n_steps`` values (a scalar is one step).

References
----------
Gneiting, T. & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
estimation. *JASA* 102(477). Ferro, C. A. T. (2014). Fair scores for ensemble forecasts.
*QJRMS* 140. Zamo, M. & Naveau, P. (2018). Estimation of the continuous ranked
probability score with limited information and applications to ensemble weather
forecasts. *Math. Geosci.* 50 (probability-weighted-moment form). Williams, A. R. et al.
(2025). Context is key: a benchmark for forecasting with essential textual information.
*ICML* (arXiv:2410.18959).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError
from assay.metrics._core import MeanMetric, as_floats, check_option, register

__all__ = ["CRPS", "RCRPS", "Constraint", "crps", "rcrps"]

Estimator = Literal["fair", "empirical"]
Violation = Literal["linear", "exponential"]
_ESTIMATORS = ("fair", "empirical")
_VIOLATIONS = ("linear", "exponential")

FloatArray = NDArray[np.float64]


def _forecast(target: Any, samples: Any, owner: str) -> tuple[FloatArray, FloatArray]:
    y = np.atleast_1d(as_floats(target, owner, "target"))
    x = as_floats(samples, owner, "samples")
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim != 1 or x.ndim != 2:
        raise InputError(
            f"{owner}: target must be a vector and samples a (n_samples, n_steps) matrix; got shapes {y.shape} and {x.shape}"
        )
    if x.shape[1] != y.size:
        raise InputError(f"{owner}: samples have {x.shape[1]} steps but the target has {y.size}")
    if y.size == 0 or x.shape[0] == 0:
        raise InputError(f"{owner}: empty target or no samples")
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise InputError(f"{owner}: target and samples must be finite (no NaN or infinity)")
    return y, x


def crps(target: Any, samples: Any, *, estimator: Estimator = "fair") -> FloatArray:
    """CRPS of a sample forecast at every step.

    ``estimator="fair"`` (default) is the unbiased estimator of
    ``E|X - y| - E|X - X'| / 2`` (pairs of distinct samples: divisor ``n(n - 1)``),
    computed as ``mean|X - y| + b0 - 2 b1`` from probability-weighted moments of the
    sorted samples, as Context-is-Key does; ``"empirical"`` is the CRPS of the empirical
    distribution of the samples (divisor ``n^2``, as properscoring). The fair estimator
    needs at least two samples.

    Returns
    -------
    numpy.ndarray
        One value per step (lower is better).

    References
    ----------
    Gneiting & Raftery (2007); Ferro (2014); Zamo & Naveau (2018).
    """
    check_option("crps", "estimator", estimator, _ESTIMATORS)
    y, x = _forecast(target, samples, "crps")
    n = x.shape[0]
    if estimator == "fair" and n < 2:
        raise InputError(
            "crps: the fair estimator needs at least two samples; pass estimator='empirical' for one"
        )
    xs = np.sort(x, axis=0)
    coef = 2.0 * np.arange(1, n + 1) - n - 1.0  # sum_{i,j}|xi - xj| = 2 sum_i coef_i x_(i)
    spread = coef @ xs / (n * (n - 1) if estimator == "fair" else n * n)
    return np.asarray(np.abs(x - y).mean(axis=0) - spread, dtype=np.float64)


@dataclass(frozen=True)
class Constraint:
    """A bound every forecast value should respect: ``kind="max"`` (x <= bound) or
    ``"min"`` (x >= bound); ``bound`` a number or one value per step."""

    kind: Literal["max", "min"]
    bound: float | Sequence[float]

    def __post_init__(self) -> None:
        check_option("Constraint", "kind", self.kind, ("max", "min"))


def rcrps(
    target: Any,
    samples: Any,
    *,
    scaling: float,
    region_of_interest: Any = None,
    roi_weight: float = 0.5,
    constraints: Sequence[Constraint] = (),
    violation_factor: float = 10.0,
    violation: Violation = "linear",
    log_transform: bool = False,
) -> float:
    """Region-of-interest CRPS with a constraint penalty (RCRPS, Context-is-Key).

    ``RCRPS = scaling * crps + penalty`` where ``crps`` is
    ``roi_weight * mean_ROI(CRPS) + (1 - roi_weight) * mean_rest(CRPS)`` (the plain mean
    without a region of interest, or when the region covers every step), and ``penalty``
    is the CRPS, against 0, of the samples' violations ``f(violation_factor * v_i)``:
    ``v_i`` = mean over steps of ``scaling``-scaled excess over each constraint, summed
    over constraints; ``f`` identity (``"linear"``) or ``e^z - 1``. With
    ``log_transform`` the value is ``log(1 + RCRPS)``. Per-step CRPS uses the fair
    estimator.

    Parameters
    ----------
    target, samples
        Target vector ``(n_steps,)`` and samples ``(n_samples, n_steps)``.
    scaling
        The task's scale factor ``alpha`` (Context-is-Key: 1 / mean range of the target
        over the task's instances); must be > 0.
    region_of_interest
        Boolean mask over steps, or integer step indices, or None.
    roi_weight
        Weight of the region of interest, in [0, 1].
    constraints
        :class:`Constraint` objects; the target is assumed to satisfy them.
    violation_factor, violation, log_transform
        See above; defaults are the benchmark's (10, linear, no log).

    References
    ----------
    Williams, A. R. et al. (2025). Context is key: a benchmark for forecasting with
    essential textual information. *ICML*. arXiv:2410.18959.
    """
    owner = "rcrps"
    check_option(owner, "violation", violation, _VIOLATIONS)
    if not (isinstance(scaling, int | float) and math.isfinite(scaling) and scaling > 0):
        check_option(owner, "scaling", scaling, "a finite number > 0")
    if not 0.0 <= roi_weight <= 1.0:
        check_option(owner, "roi_weight", roi_weight, "in [0, 1]")
    y, x = _forecast(target, samples, owner)
    per_step = crps(y, x)
    mask = _roi_mask(region_of_interest, y.size, owner)
    if mask is None or mask.all() or not mask.any():
        value = float(per_step.mean())
    else:
        value = roi_weight * float(per_step[mask].mean()) + (1 - roi_weight) * float(
            per_step[~mask].mean()
        )
    violations = np.zeros(x.shape[0])
    for c in constraints:
        if not isinstance(c, Constraint):
            raise InputError(
                f"{owner}: constraints must be Constraint objects; got {type(c).__name__}"
            )
        bound = np.broadcast_to(np.asarray(c.bound, dtype=np.float64), (y.size,))
        excess = x - bound if c.kind == "max" else bound - x
        violations += np.clip(scaling * excess, 0.0, None).mean(axis=1)
    penalty = 0.0
    if constraints:
        z = violation_factor * violations
        f = z if violation == "linear" else np.expm1(z)
        penalty = float(crps(np.zeros(1), f[:, None])[0]) if f.size > 1 else float(abs(f[0]))
    raw = scaling * value + penalty
    return math.log1p(raw) if log_transform else raw


def _roi_mask(roi: Any, n: int, owner: str) -> NDArray[np.bool_] | None:
    if roi is None:
        return None
    arr = np.asarray(roi)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise InputError(
                f"{owner}: the region-of-interest mask has {arr.size} entries; the forecast has {n} steps"
            )
        return arr
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(
            f"{owner}: region_of_interest must be a boolean mask or step indices; got dtype {arr.dtype}"
        )
    if arr.size and (arr.min() < -n or arr.max() >= n):
        raise InputError(f"{owner}: a region-of-interest index is outside 0..{n - 1}")
    mask = np.zeros(n, dtype=bool)
    mask[arr] = True
    return mask


@register
@dataclass(frozen=True)
class CRPS(MeanMetric):
    """Mean CRPS over items; an item is a forecast (prediction: samples, a vector for one
    step or ``(n_samples, n_steps)``) of a target (reference: a number or a vector), and
    its score is the mean of :func:`crps` over its steps."""

    name: ClassVar[str] = "crps"
    higher_is_better: ClassVar[bool] = False
    estimator: Estimator = "fair"

    def __post_init__(self) -> None:
        check_option("CRPS", "estimator", self.estimator, _ESTIMATORS)

    def score(self, prediction: Any, reference: Any) -> float:
        return float(crps(reference, prediction, estimator=self.estimator).mean())


@register
@dataclass(frozen=True)
class RCRPS(MeanMetric):
    """Mean :func:`rcrps` over forecast instances.

    The prediction is the samples matrix; the reference a mapping with ``"target"``,
    ``"scaling"`` and optionally ``"region_of_interest"`` and ``"constraints"`` (a list of
    ``{"kind": "max"|"min", "bound": ...}``). ``cap`` clips each instance's value (the
    benchmark's aggregate caps at 5) before averaging.
    """

    name: ClassVar[str] = "rcrps"
    higher_is_better: ClassVar[bool] = False
    roi_weight: float = 0.5
    violation_factor: float = 10.0
    violation: Violation = "linear"
    log_transform: bool = False
    cap: float | None = None

    def __post_init__(self) -> None:
        check_option("RCRPS", "violation", self.violation, _VIOLATIONS)
        if not 0.0 <= self.roi_weight <= 1.0:
            check_option("RCRPS", "roi_weight", self.roi_weight, "in [0, 1]")

    def score(self, prediction: Any, reference: Any) -> float:
        if (
            not isinstance(reference, Mapping)
            or "target" not in reference
            or "scaling" not in reference
        ):
            raise InputError("rcrps: a reference must be a mapping with 'target' and 'scaling'")
        constraints = [
            c if isinstance(c, Constraint) else Constraint(c["kind"], c["bound"])
            for c in reference.get("constraints", ())
        ]
        value = rcrps(
            reference["target"],
            prediction,
            scaling=float(reference["scaling"]),
            region_of_interest=reference.get("region_of_interest"),
            roi_weight=self.roi_weight,
            constraints=constraints,
            violation_factor=self.violation_factor,
            violation=self.violation,
            log_transform=self.log_transform,
        )
        return min(value, self.cap) if self.cap is not None else value
