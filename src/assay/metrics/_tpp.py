"""Temporal point processes: log-likelihood, next-event time RMSE, next-event type
accuracy (the evaluation of EasyTPP).

Sequences are rows of padded ``(n_sequences, max_len)`` arrays with a boolean ``mask``
(True = a real event); padding is ignored everywhere. The registered metrics
(``next_time_rmse``, ``type_accuracy``) take one sequence per item (prediction: the
predicted next-event times or types per position; reference: the true ones) and pool
the positions of all sequences.

References
----------
Daley, D. J. & Vere-Jones, D. (2003). *An Introduction to the Theory of Point
Processes*, vol. I, §7.1 (the likelihood). Xue, S. et al. (2024). EasyTPP: towards open
benchmarking temporal point processes. *ICLR* (arXiv:2307.08097).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError
from assay.metrics._core import Metric, as_floats, register, warn_degenerate

__all__ = [
    "NextTimeRMSE",
    "TypeAccuracy",
    "compensator_monte_carlo",
    "next_time_rmse",
    "tpp_log_likelihood",
    "type_accuracy",
]

FloatArray = NDArray[np.float64]


def _mask(mask: Any, shape: tuple[int, ...], owner: str) -> NDArray[np.bool_]:
    if mask is None:
        return np.ones(shape, dtype=bool)
    m = np.asarray(mask)
    if m.dtype != bool or m.shape != shape:
        raise InputError(
            f"{owner}: mask must be a boolean array of shape {shape}; got {m.dtype} {m.shape}"
        )
    return m


def _array(value: Any, owner: str, what: str, numeric: bool) -> NDArray[Any]:
    if numeric:
        return as_floats(value, owner, what)
    try:
        return np.asarray(value)
    except (TypeError, ValueError):
        raise InputError(f"{owner}: {what} must be a regular sequence; got {value!r:.60}") from None


def _pair(
    a: Any, b: Any, owner: str, names: tuple[str, str], numeric: bool = True
) -> tuple[NDArray[Any], NDArray[Any]]:
    x, y = (_array(v, owner, name, numeric) for v, name in zip((a, b), names, strict=True))
    if x.shape != y.shape:
        raise InputError(
            f"{owner}: {names[0]} and {names[1]} must have the same shape; got {x.shape} and {y.shape}"
        )
    return x, y


def compensator_monte_carlo(
    intensity_samples: Any, interval_lengths: Any, mask: Any = None
) -> FloatArray:
    """Monte-Carlo compensator ``∫ sum_k lambda_k(t) dt`` per sequence.

    Parameters
    ----------
    intensity_samples
        ``(n_sequences, max_len, n_samples)``: the total intensity ``sum_k lambda_k`` at
        points drawn uniformly in each inter-event interval (EasyTPP draws them evenly).
    interval_lengths
        ``(n_sequences, max_len)``: the length of each interval.
    mask
        ``(n_sequences, max_len)``: which intervals are real.

    Returns
    -------
    numpy.ndarray
        ``(n_sequences,)``: sum over intervals of length x mean sampled intensity.
    """
    owner = "compensator_monte_carlo"
    lam = as_floats(intensity_samples, owner, "intensity_samples")
    dt = as_floats(interval_lengths, owner, "interval_lengths")
    if lam.ndim != 3 or lam.shape[:2] != dt.shape:
        raise InputError(
            f"{owner}: intensity_samples must be (n_sequences, max_len, n_samples) matching interval_lengths {dt.shape}; got {lam.shape}"
        )
    m = _mask(mask, dt.shape, owner)
    if (dt[m] < 0).any() or (lam[m] < 0).any():
        raise InputError(f"{owner}: interval lengths and intensities must be >= 0")
    return np.asarray(np.where(m, dt * lam.mean(axis=2), 0.0).sum(axis=1), dtype=np.float64)


def tpp_log_likelihood(
    event_log_intensity: Any, compensator: Any, mask: Any = None, *, per_event: bool = True
) -> float:
    """Log-likelihood of event sequences under a point-process model:
    ``sum_i log lambda_{k_i}(t_i) - ∫_0^T sum_k lambda_k(t) dt`` per sequence.

    Parameters
    ----------
    event_log_intensity
        ``(n_sequences, max_len)``: log intensity of each observed event's type at its
        time (from the model).
    compensator
        ``(n_sequences,)``: the integral of the total intensity over each sequence's
        window (exact, or :func:`compensator_monte_carlo`).
    mask
        Which events are real (padding excluded); EasyTPP also masks the first event in
        sequential prediction: pass that mask.
    per_event
        True (EasyTPP's report): total log-likelihood / total number of events; False:
        mean over sequences.

    References
    ----------
    Daley & Vere-Jones (2003), §7.1; Xue et al. (2024).
    """
    owner = "tpp_log_likelihood"
    log_lam = np.atleast_2d(as_floats(event_log_intensity, owner, "event_log_intensity"))
    comp = np.atleast_1d(as_floats(compensator, owner, "compensator"))
    if comp.shape != (log_lam.shape[0],):
        raise InputError(
            f"{owner}: compensator must have one value per sequence ({log_lam.shape[0]}); got shape {comp.shape}"
        )
    m = _mask(mask, log_lam.shape, owner)
    if np.isnan(log_lam[m]).any() or np.isnan(comp).any():
        raise InputError(f"{owner}: NaN log intensity or compensator")
    per_seq = np.where(m, log_lam, 0.0).sum(axis=1) - comp
    if per_event:
        n = int(m.sum())
        if n == 0:
            return warn_degenerate(owner, "no event under the mask")
        return float(per_seq.sum() / n)
    return float(per_seq.mean())


def next_time_rmse(predicted: Any, actual: Any, mask: Any = None) -> float:
    """Root mean squared error of one-step-ahead next-event times over masked positions.

    References
    ----------
    Xue et al. (2024), EasyTPP.
    """
    owner = "next_time_rmse"
    p, a = _pair(predicted, actual, owner, ("predicted", "actual"))
    m = _mask(mask, p.shape, owner)
    if not (np.isfinite(p[m]).all() and np.isfinite(a[m]).all()):
        raise InputError(f"{owner}: NaN or infinite times under the mask")
    if not m.any():
        return warn_degenerate(owner, "no position under the mask")
    return float(np.sqrt(np.mean((p[m] - a[m]) ** 2)))


def type_accuracy(predicted: Any, actual: Any, mask: Any = None) -> float:
    """Share of masked positions whose predicted next-event type equals the true one
    (EasyTPP's ``acc``; its error rate is ``1 - acc``)."""
    owner = "type_accuracy"
    p, a = _pair(predicted, actual, owner, ("predicted", "actual"), numeric=False)
    m = _mask(mask, p.shape, owner)
    if not m.any():
        return warn_degenerate(owner, "no position under the mask")
    return float(np.mean(p[m] == a[m]))


@register
@dataclass(frozen=True)
class NextTimeRMSE(Metric):
    """RMSE of next-event times pooled over the positions of every sequence (item); stats
    per sequence: (sum of squared errors, number of positions)."""

    name: ClassVar[str] = "next_time_rmse"
    columns: ClassVar[tuple[str, ...]] = ("squared_error", "count")
    higher_is_better: ClassVar[bool] = False

    def stats(self, predictions: Any, references: Any) -> FloatArray:
        rows = []
        for p, r in zip(predictions, references, strict=True):
            x, y = _pair(p, r, self.name, ("prediction", "reference"))
            rows.append(
                [float(np.sum((np.atleast_1d(x) - np.atleast_1d(y)) ** 2)), float(np.size(x))]
            )
        return np.array(rows, dtype=np.float64).reshape(len(rows), 2)

    def aggregate(self, stats: FloatArray) -> float:
        n = stats[:, 1].sum()
        if n == 0:
            return warn_degenerate(self.name, "no position")
        return float(np.sqrt(stats[:, 0].sum() / n))


@register
@dataclass(frozen=True)
class TypeAccuracy(Metric):
    """Next-event type accuracy pooled over the positions of every sequence (item); stats
    per sequence: (correct, positions)."""

    name: ClassVar[str] = "type_accuracy"
    columns: ClassVar[tuple[str, ...]] = ("correct", "count")

    def stats(self, predictions: Any, references: Any) -> FloatArray:
        rows = []
        for p, r in zip(predictions, references, strict=True):
            x, y = _pair(p, r, self.name, ("prediction", "reference"), numeric=False)
            rows.append([float(np.sum(np.atleast_1d(x) == np.atleast_1d(y))), float(np.size(x))])
        return np.array(rows, dtype=np.float64).reshape(len(rows), 2)

    def aggregate(self, stats: FloatArray) -> float:
        n = stats[:, 1].sum()
        if n == 0:
            return warn_degenerate(self.name, "no position")
        return float(stats[:, 0].sum() / n)
