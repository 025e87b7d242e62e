"""Time-series anomaly detection: PATE and PATE-F1, point-adjusted F1, range-based
precision and recall.

Inputs are one series at a time: ``y_true`` (0/1 per time step, 1 = anomalous) and a
prediction of the same length (a 0/1 vector, or a continuous anomaly score for PATE).
An *event* is a maximal run of 1s. The registered metrics (``pate``, ``pate_f1``,
``point_adjusted_f1``, ``range_precision``, ``range_recall``) treat each series as one
item (prediction = the series' scores, reference = its labels) and average over series.

Everything is vectorised over time steps: PATE's weights have closed forms (the sums of
distances over an event are arithmetic series), the true-positive mass at every
threshold comes from one sort-free pass (``searchsorted`` + ``bincount``), and only the
partially detected events are revisited per threshold.

References
----------
Ghorbani, R., Reinders, M. J. T. & Tax, D. M. J. (2024). PATE: Proximity-aware time series
anomaly evaluation. *KDD* (arXiv:2405.12096; reference code: PyPI ``PATE`` 0.1.1).
Xu, H. et al. (2018). Unsupervised anomaly detection via variational auto-encoder for
seasonal KPIs in web applications. *WWW* (point adjustment).
Tatbul, N., Lee, T. J., Zdonik, S., Alam, M. & Gottschlich, J. (2018). Precision and
recall for time series. *NeurIPS* (arXiv:1803.03639; reference code: PyPI ``prts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError
from assay.metrics._core import MeanMetric, check_option, register, warn_degenerate

__all__ = [
    "PATE",
    "PATEF1",
    "PointAdjustedF1",
    "RangePrecision",
    "RangeRecall",
    "pate",
    "pate_f1",
    "point_adjusted_f1",
    "range_precision",
    "range_recall",
]

Bias = Literal["flat", "front", "middle", "back"]
Cardinality = Literal["one", "reciprocal"]
_BIASES = ("flat", "front", "middle", "back")
_CARDINALITIES = ("one", "reciprocal")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# --------------------------------------------------------------------------- input


def _labels(y: Any, owner: str, what: str) -> NDArray[np.bool_]:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise InputError(f"{owner}: {what} must be one-dimensional; got shape {arr.shape}")
    if arr.size == 0:
        raise InputError(f"{owner}: {what} is empty")
    if arr.dtype == bool:
        return arr
    num = arr.astype(np.float64)
    bad = ~np.isin(num, (0.0, 1.0))
    if bad.any():
        raise InputError(
            f"{owner}: {what} must hold only 0 and 1; got {arr[bad][0]!r} at position {int(np.flatnonzero(bad)[0])}"
        )
    return np.asarray(num == 1.0, dtype=bool)


def _scores(y: Any, n: int, owner: str) -> FloatArray:
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim != 1:
        raise InputError(f"{owner}: y_score must be one-dimensional; got shape {arr.shape}")
    if arr.size != n:
        raise InputError(
            f"{owner}: y_true and y_score must have the same length; got {n} and {arr.size}"
        )
    if not np.isfinite(arr).all():
        raise InputError(
            f"{owner}: y_score has a NaN or infinite value at position {int(np.flatnonzero(~np.isfinite(arr))[0])}"
        )
    return arr


def _events(mask: NDArray[np.bool_]) -> tuple[IntArray, IntArray]:
    """Start and end (inclusive) of every maximal run of True."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return np.flatnonzero(d == 1).astype(np.int64), np.flatnonzero(d == -1).astype(np.int64) - 1


def _check_buffer(owner: str, name: str, value: object) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 0:
        check_option(owner, name, value, "an integer >= 0")


# --------------------------------------------------------------------------- PATE


def _buffer_grid(size: int, n_splits: int, include_zero: bool) -> IntArray:
    if include_zero:
        grid = np.linspace(0, size, n_splits + 1)
    else:
        grid = np.linspace(size / n_splits, size, n_splits)
    return np.floor(grid).astype(np.int64)


@dataclass(frozen=True)
class _Zones:
    """Per time step: the true-positive weight a predicted point earns and, for points of
    a pre-buffer, the event whose detection that weight needs (-1 elsewhere)."""

    tp_weight: FloatArray
    pre_event: IntArray


def _zones(starts: IntArray, ends: IntArray, n: int, early: int, delay: int) -> _Zones:
    next_start = np.r_[starts[1:], n]
    post_end = np.minimum(ends + delay, next_start - 1)
    prev_post_end = np.r_[-1, post_end[:-1]]
    pre_start = np.maximum.reduce([np.zeros_like(starts), starts - early, prev_post_end + 1])
    tp = np.zeros(n, dtype=np.float64)
    pre_event = np.full(n, -1, dtype=np.int64)
    twice_mid = starts + ends  # 2 x the event's midpoint: keeps the weights exact ratios
    for lo, hi, kind in (
        (starts, ends + 1, "in"),
        (ends + 1, post_end + 1, "post"),
        (pre_start, starts, "pre"),
    ):
        length = np.maximum(hi - lo, 0)
        if length.sum() == 0:
            continue
        event = np.repeat(np.arange(starts.size), length)
        x = np.repeat(lo - np.r_[0, np.cumsum(length)[:-1]], length) + np.arange(length.sum())
        if kind == "in":
            tp[x] = 1.0
        elif kind == "post":
            # 1 - sum_y |x - y| / sum_y |post_end - y| over the event's points y
            tp[x] = (2 * post_end[event] - 2 * x) / (2 * post_end[event] - twice_mid[event])
        else:
            # 1 - sum_y |y - x| / sum_y |y - pre_start| over the event's points y
            tp[x] = (2 * x - 2 * pre_start[event]) / (twice_mid[event] - 2 * pre_start[event])
            pre_event[x] = event
    return _Zones(tp, pre_event)


def _false_negatives(
    anomaly_scores: FloatArray, starts: IntArray, ends: IntArray, thresholds: FloatArray
) -> FloatArray:
    """Weighted false negatives at each threshold (independent of the buffers).

    An undetected event counts its length; a partly detected one counts each missed
    point 1 up to ``start + delta`` (delta = length of the event's first detected run)
    and ``1 - sum_{y=start}^{start+delta} |p - y| / sum_{y in event} |end - y|`` after.
    """
    length = ends - starts + 1
    offsets = np.r_[0, np.cumsum(length)[:-1]]
    pos = np.arange(anomaly_scores.size) - np.repeat(offsets, length)
    ev_len = np.repeat(length, length).astype(np.float64)
    top = np.maximum.reduceat(anomaly_scores, offsets)
    low = np.minimum.reduceat(anomaly_scores, offsets)
    big = np.iinfo(np.int64).max
    out = np.empty(thresholds.size, dtype=np.float64)
    for t_i, thr in enumerate(thresholds):
        undetected = top < thr
        partial = ~undetected & (low < thr)
        fn = float(length[undetected].sum())
        if partial.any():
            hit = anomaly_scores >= thr
            first = np.minimum.reduceat(np.where(hit, pos, big), offsets)
            first_rep = np.repeat(first, length)
            gap = np.minimum.reduceat(
                np.where(~hit & (pos > first_rep), pos, np.repeat(length, length)), offsets
            )
            delta = np.repeat(gap - first, length).astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                far = 1.0 - (delta + 1) * (2 * pos - delta) / (ev_len * (ev_len - 1))
            weight = np.where(pos <= delta, 1.0, far)
            missed = np.add.reduceat(np.where(hit, 0.0, weight), offsets)
            fn += float(missed[partial].sum())
        out[t_i] = fn
    return out


def _mass_at_or_above(
    keys: FloatArray, weights: FloatArray | None, ascending: FloatArray
) -> FloatArray:
    """For each threshold in ``ascending``: the summed weight of keys >= it."""
    count = np.searchsorted(ascending, keys, side="right")
    per = np.bincount(count, weights=weights, minlength=ascending.size + 1)
    return np.asarray((per.sum() - np.cumsum(per))[: ascending.size], dtype=np.float64)


def _pr_at_thresholds(
    y_score: FloatArray,
    thresholds: FloatArray,
    zones: _Zones,
    event_top: FloatArray,
    fn: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    order = np.argsort(thresholds, kind="stable")
    ascending = thresholds[order]
    # a pre-buffer point earns its weight only while its event is detected somewhere
    pre = zones.pre_event >= 0
    keys = y_score.copy()
    keys[pre] = np.minimum(y_score[pre], event_top[zones.pre_event[pre]])
    tp_sorted = _mass_at_or_above(keys, zones.tp_weight, ascending)
    pred_sorted = _mass_at_or_above(y_score, None, ascending)
    tp = np.empty_like(tp_sorted)
    tp[order] = tp_sorted
    n_pred = np.empty_like(pred_sorted)
    n_pred[order] = pred_sorted
    fp = n_pred - tp
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
    return precision, recall


def _thresholds(
    y_true: NDArray[np.bool_],
    y_score: FloatArray,
    drop_intermediate: bool,
    n_thresholds: int | None,
) -> FloatArray:
    """Distinct scores from the highest down (as scikit-learn's binary classification
    curve), collinear ones pruned, optionally reduced to percentiles."""
    order = np.argsort(y_score, kind="mergesort")[::-1]
    s = y_score[order]
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    thresholds = s[last]
    tps = np.cumsum(y_true[order])[last]
    if drop_intermediate and tps.size > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        thresholds = thresholds[keep]
    if n_thresholds is not None:
        thresholds = np.percentile(thresholds, np.linspace(100, 0, n_thresholds))
    return thresholds


def _clean_auc(recall: FloatArray, precision: FloatArray) -> float:
    """Trapezoidal area under (recall, precision) after dropping every point whose recall
    is below an earlier one."""
    keep = recall >= np.maximum.accumulate(recall)
    r, p = recall[keep], precision[keep]
    return float(np.sum(np.diff(r) * (p[1:] + p[:-1]) / 2.0))


def _validate_pate(
    owner: str, early: int, delay: int, n_splits: int, n_thresholds: int | None
) -> None:
    _check_buffer(owner, "early", early)
    _check_buffer(owner, "delay", delay)
    if not isinstance(n_splits, int) or isinstance(n_splits, bool) or n_splits < 1:
        check_option(owner, "n_splits", n_splits, "an integer >= 1")
    if n_thresholds is not None and (
        not isinstance(n_thresholds, int) or isinstance(n_thresholds, bool) or n_thresholds < 2
    ):
        check_option(owner, "n_thresholds", n_thresholds, "None or an integer >= 2")


def pate(
    y_true: Any,
    y_score: Any,
    *,
    early: int = 100,
    delay: int = 100,
    n_splits: int = 1,
    include_zero: bool = True,
    n_thresholds: int | None = 250,
    drop_intermediate: bool = True,
) -> float:
    """PATE: the proximity-aware area under the precision-recall curve of a continuous
    anomaly score, averaged over a grid of buffer sizes.

    Each label event ``[s, e]`` gets a pre-buffer of up to ``early`` steps and a
    post-buffer of up to ``delay`` steps (cut so that buffers of neighbouring events do
    not overlap; the earlier event's post-buffer wins). A predicted point inside an event
    is a true positive; in a buffer it is a true positive with weight
    ``w = 1 - sum_y |x - y| / sum_y |b - y|`` (``b`` the far end of the buffer, ``y`` over
    the event) and a false positive with ``1 - w``, except that pre-buffer points count
    as false positives when the event itself is not detected; elsewhere it is a false
    positive. A missed event counts its length as false negatives; a partly detected one
    counts its missed points with a weight decreasing after the onset. The
    precision-recall curve over thresholds starts at (0, 1), points whose recall falls
    below an earlier one are dropped, and the area is trapezoidal.

    Parameters
    ----------
    y_true
        0/1 labels per time step.
    y_score
        Continuous anomaly scores (larger = more anomalous), same length.
    early, delay
        Largest pre-buffer and post-buffer sizes (time steps).
    n_splits, include_zero
        The buffer grid: ``n_splits`` sizes per side from ``early / n_splits`` (or 0 with
        ``include_zero``, adding one size) to ``early``, likewise for ``delay``, every
        combination; the value is the mean over the grid.
    n_thresholds
        ``None`` uses every distinct score as a threshold (exact); an integer replaces
        them by that many percentiles of the distinct scores (the reference code's
        ``Big_Data`` mode, on by default there with 250: kept as assay's default so that
        values match the published tool).
    drop_intermediate
        Drop thresholds at which the point-wise true-positive count does not change on
        either side (as the reference code).

    Returns
    -------
    float
        In [0, 1]; NaN with a :class:`~assay.errors.DegenerateDataWarning` when
        ``y_true`` has no anomaly (recall is undefined; the reference code returns a
        number there).

    References
    ----------
    Ghorbani, R., Reinders, M. J. T. & Tax, D. M. J. (2024). PATE: Proximity-aware time
    series anomaly evaluation. *KDD*. arXiv:2405.12096.
    """
    owner = "pate"
    _validate_pate(owner, early, delay, n_splits, n_thresholds)
    truth = _labels(y_true, owner, "y_true")
    score = _scores(y_score, truth.size, owner)
    starts, ends = _events(truth)
    if starts.size == 0:
        return warn_degenerate(owner, "y_true has no anomaly")
    thresholds = _thresholds(truth, score, drop_intermediate, n_thresholds)
    anomaly_scores = score[truth]
    offsets = np.r_[0, np.cumsum(ends - starts + 1)[:-1]]
    event_top = np.maximum.reduceat(anomaly_scores, offsets)
    fn = _false_negatives(anomaly_scores, starts, ends, thresholds)
    areas = []
    for e_size in _buffer_grid(early, n_splits, include_zero):
        for d_size in _buffer_grid(delay, n_splits, include_zero):
            zones = _zones(starts, ends, truth.size, int(e_size), int(d_size))
            precision, recall = _pr_at_thresholds(score, thresholds, zones, event_top, fn)
            areas.append(_clean_auc(np.r_[0.0, recall], np.r_[1.0, precision]))
    return float(np.mean(areas))


def pate_f1(
    y_true: Any,
    y_pred: Any,
    *,
    early: int = 100,
    delay: int = 100,
    n_splits: int = 1,
    include_zero: bool = True,
) -> float:
    """PATE-F1: the proximity-weighted F1 of binary predictions (``y_pred > 0`` is a
    predicted anomaly), averaged over the buffer grid; weights as in :func:`pate`.

    NaN with a :class:`~assay.errors.DegenerateDataWarning` when ``y_true`` has no anomaly.

    References
    ----------
    Ghorbani, R., Reinders, M. J. T. & Tax, D. M. J. (2024). PATE: Proximity-aware time
    series anomaly evaluation. *KDD*. arXiv:2405.12096.
    """
    owner = "pate_f1"
    _validate_pate(owner, early, delay, n_splits, None)
    truth = _labels(y_true, owner, "y_true")
    pred = _scores(y_pred, truth.size, owner) > 0
    starts, ends = _events(truth)
    if starts.size == 0:
        return warn_degenerate(owner, "y_true has no anomaly")
    score = pred.astype(np.float64)
    one = np.array([1.0])
    anomaly_scores = score[truth]
    offsets = np.r_[0, np.cumsum(ends - starts + 1)[:-1]]
    event_top = np.maximum.reduceat(anomaly_scores, offsets)
    fn = _false_negatives(anomaly_scores, starts, ends, one)
    f1s = []
    for e_size in _buffer_grid(early, n_splits, include_zero):
        for d_size in _buffer_grid(delay, n_splits, include_zero):
            zones = _zones(starts, ends, truth.size, int(e_size), int(d_size))
            p, r = (float(v[0]) for v in _pr_at_thresholds(score, one, zones, event_top, fn))
            f1s.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
    return float(np.mean(f1s))


# --------------------------------------------------------------------------- point adjustment


def point_adjusted_f1(y_true: Any, y_pred: Any, *, k_percent: float = 0.0) -> float:
    """F1 after point adjustment: every label event in which more than ``k_percent`` % of
    the points (with the default 0: at least one point) are predicted is counted as
    wholly predicted; predictions outside events are unchanged.

    Point adjustment inflates scores (one hit credits a whole long event); report it
    beside PATE or range-based metrics, not alone. NaN with a warning when there is no
    anomaly in ``y_true``.

    References
    ----------
    Xu, H. et al. (2018). Unsupervised anomaly detection via variational auto-encoder for
    seasonal KPIs in web applications. *WWW*. Kim, S. et al. (2022). Towards a rigorous
    evaluation of time-series anomaly detection. *AAAI* (PA%K).
    """
    owner = "point_adjusted_f1"
    if not 0.0 <= k_percent < 100.0:
        check_option(owner, "k_percent", k_percent, "in [0, 100)")
    truth = _labels(y_true, owner, "y_true")
    pred = _labels(y_pred, owner, "y_pred")
    if pred.size != truth.size:
        raise InputError(
            f"{owner}: y_true and y_pred must have the same length; got {truth.size} and {pred.size}"
        )
    starts, ends = _events(truth)
    if starts.size == 0:
        return warn_degenerate(owner, "y_true has no anomaly")
    length = ends - starts + 1
    offsets = np.r_[0, np.cumsum(length)[:-1]]
    hits = np.add.reduceat(pred[truth].astype(np.int64), offsets)
    credited = hits > (k_percent / 100.0) * length if k_percent > 0 else hits > 0
    tp = float(length[credited].sum())
    fp = float((pred & ~truth).sum())
    fn = float(length.sum() - tp)
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


# --------------------------------------------------------------------------- range-based


def _bias_mass(upto: FloatArray, length: FloatArray, bias: str) -> FloatArray:
    """sum_{t=1}^{upto} delta(t, length) for the positional bias delta."""
    n = upto
    if bias == "flat":
        return n
    if bias == "back":
        return n * (n + 1) / 2
    if bias == "front":
        return n * (length + 1) - n * (n + 1) / 2
    half = np.floor(length / 2.0)  # middle: t while t <= length / 2, then length - t + 1
    m = np.minimum(n, half)
    rest = np.maximum(n - half, 0)
    mass = m * (m + 1) / 2 + rest * (length + 1) - (half + rest) * (half + rest + 1) / 2
    return np.asarray(mass + half * (half + 1) / 2, dtype=np.float64)


def _range_score(
    own_s: IntArray,
    own_e: IntArray,
    other_s: IntArray,
    other_e: IntArray,
    alpha: float,
    cardinality: str,
    bias: str,
) -> float:
    """Mean over the ``own`` ranges of alpha * existence + (1 - alpha) * gamma * sum omega."""
    if own_s.size == 0:
        return 0.0
    lo = np.searchsorted(other_e, own_s, side="left")  # first other range ending at/after start
    hi = np.searchsorted(other_s, own_e, side="right")  # past the last other range starting by end
    count = np.maximum(hi - lo, 0)
    own = np.repeat(np.arange(own_s.size), count)
    other = np.repeat(lo - np.r_[0, np.cumsum(count)[:-1]], count) + np.arange(count.sum())
    length = (own_e - own_s + 1).astype(np.float64)
    a = (np.maximum(own_s[own], other_s[other]) - own_s[own]).astype(
        np.float64
    )  # 0-based first overlap
    b = (np.minimum(own_e[own], other_e[other]) - own_s[own] + 1).astype(np.float64)  # 1-based last
    ln = length[own]
    omega = (_bias_mass(b, ln, bias) - _bias_mass(a, ln, bias)) / _bias_mass(ln, ln, bias)
    overlap = np.bincount(own, weights=omega, minlength=own_s.size)
    gamma = (
        np.where(count > 1, 1.0 / np.maximum(count, 1), 1.0) if cardinality == "reciprocal" else 1.0
    )
    per = alpha * (count > 0) + (1 - alpha) * gamma * overlap
    return float(per.mean())


def _range_inputs(
    owner: str, y_true: Any, y_pred: Any, alpha: float, cardinality: str, bias: str
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    if not 0.0 <= alpha <= 1.0:
        check_option(owner, "alpha", alpha, "in [0, 1]")
    check_option(owner, "cardinality", cardinality, _CARDINALITIES)
    check_option(owner, "bias", bias, _BIASES)
    truth = _labels(y_true, owner, "y_true")
    pred = _labels(y_pred, owner, "y_pred")
    if pred.size != truth.size:
        raise InputError(
            f"{owner}: y_true and y_pred must have the same length; got {truth.size} and {pred.size}"
        )
    return (*_events(truth), *_events(pred))


def range_precision(
    y_true: Any,
    y_pred: Any,
    *,
    alpha: float = 0.0,
    cardinality: Cardinality = "one",
    bias: Bias = "flat",
) -> float:
    """Range-based precision (Tatbul et al. 2018): mean over predicted ranges of
    ``alpha * existence + (1 - alpha) * gamma * sum_i omega(P, P ∩ R_i, delta)``.

    The paper's precision has no existence term (``alpha=0``, the default); a non-zero
    ``alpha`` reproduces ``prts.ts_precision``, which applies it to precision too.
    ``bias`` is the positional weight delta over the predicted range; ``cardinality``
    ``"reciprocal"`` divides by the number of overlapping real ranges. 0 when nothing is
    predicted (as ``prts``).

    References
    ----------
    Tatbul, N. et al. (2018). Precision and recall for time series. *NeurIPS*.
    """
    rs, re_, ps, pe = _range_inputs("range_precision", y_true, y_pred, alpha, cardinality, bias)
    return _range_score(ps, pe, rs, re_, alpha, cardinality, bias)


def range_recall(
    y_true: Any,
    y_pred: Any,
    *,
    alpha: float = 0.0,
    cardinality: Cardinality = "one",
    bias: Bias = "flat",
) -> float:
    """Range-based recall (Tatbul et al. 2018): mean over real ranges of
    ``alpha * existence + (1 - alpha) * gamma * sum_j omega(R, R ∩ P_j, delta)``.

    NaN with a warning when ``y_true`` has no anomaly (``prts`` returns 0 there).

    References
    ----------
    Tatbul, N. et al. (2018). Precision and recall for time series. *NeurIPS*.
    """
    rs, re_, ps, pe = _range_inputs("range_recall", y_true, y_pred, alpha, cardinality, bias)
    if rs.size == 0:
        return warn_degenerate("range_recall", "y_true has no anomaly")
    return _range_score(rs, re_, ps, pe, alpha, cardinality, bias)


# --------------------------------------------------------------------------- registered


@dataclass(frozen=True)
class _SeriesMetric(MeanMetric):
    """Mean over series (items) of a per-series value; prediction = scores or 0/1 per
    step, reference = 0/1 labels per step."""

    def _value(self, y_true: Any, y_pred: Any) -> float:
        raise NotImplementedError

    def score(self, prediction: Any, reference: Any) -> float:
        return self._value(reference, prediction)


@register
@dataclass(frozen=True)
class PATE(_SeriesMetric):
    """:func:`pate` per series, averaged over series."""

    name: ClassVar[str] = "pate"
    early: int = 100
    delay: int = 100
    n_splits: int = 1
    include_zero: bool = True
    n_thresholds: int | None = 250
    drop_intermediate: bool = True

    def __post_init__(self) -> None:
        _validate_pate("PATE", self.early, self.delay, self.n_splits, self.n_thresholds)

    def _value(self, y_true: Any, y_pred: Any) -> float:
        return pate(
            y_true,
            y_pred,
            early=self.early,
            delay=self.delay,
            n_splits=self.n_splits,
            include_zero=self.include_zero,
            n_thresholds=self.n_thresholds,
            drop_intermediate=self.drop_intermediate,
        )


@register
@dataclass(frozen=True)
class PATEF1(_SeriesMetric):
    """:func:`pate_f1` per series, averaged over series."""

    name: ClassVar[str] = "pate_f1"
    early: int = 100
    delay: int = 100
    n_splits: int = 1
    include_zero: bool = True

    def __post_init__(self) -> None:
        _validate_pate("PATEF1", self.early, self.delay, self.n_splits, None)

    def _value(self, y_true: Any, y_pred: Any) -> float:
        return pate_f1(
            y_true,
            y_pred,
            early=self.early,
            delay=self.delay,
            n_splits=self.n_splits,
            include_zero=self.include_zero,
        )


@register
@dataclass(frozen=True)
class PointAdjustedF1(_SeriesMetric):
    """:func:`point_adjusted_f1` per series, averaged over series."""

    name: ClassVar[str] = "point_adjusted_f1"
    k_percent: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.k_percent < 100.0:
            check_option("PointAdjustedF1", "k_percent", self.k_percent, "in [0, 100)")

    def _value(self, y_true: Any, y_pred: Any) -> float:
        return point_adjusted_f1(y_true, y_pred, k_percent=self.k_percent)


@dataclass(frozen=True)
class _RangeMetric(_SeriesMetric):
    alpha: float = 0.0
    cardinality: Cardinality = "one"
    bias: Bias = "flat"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        if not 0.0 <= self.alpha <= 1.0:
            check_option(owner, "alpha", self.alpha, "in [0, 1]")
        check_option(owner, "cardinality", self.cardinality, _CARDINALITIES)
        check_option(owner, "bias", self.bias, _BIASES)


@register
@dataclass(frozen=True)
class RangePrecision(_RangeMetric):
    """:func:`range_precision` per series, averaged over series."""

    name: ClassVar[str] = "range_precision"

    def _value(self, y_true: Any, y_pred: Any) -> float:
        return range_precision(
            y_true, y_pred, alpha=self.alpha, cardinality=self.cardinality, bias=self.bias
        )


@register
@dataclass(frozen=True)
class RangeRecall(_RangeMetric):
    """:func:`range_recall` per series, averaged over series."""

    name: ClassVar[str] = "range_recall"

    def _value(self, y_true: Any, y_pred: Any) -> float:
        return range_recall(
            y_true, y_pred, alpha=self.alpha, cardinality=self.cardinality, bias=self.bias
        )
