"""Classification, ranking-by-score, calibration and risk: accuracy, F1, AUROC, AUPRC
(high-risk AUPRC), expected calibration error, Brier score, reliability-diagram data.

Conventions: ``predictions`` are predicted labels (accuracy, F1), scores where larger
means "more positive" (AUROC, AUPRC), or probabilities of being correct / of the
positive class (ECE, Brier); ``references`` are the true labels, 0/1 correctness, or
continuous risk targets (high-risk AUPRC). Binary labels are 0/1 or booleans unless a
``pos_label`` says which label is positive. When ``labels`` declares the label set, a
label outside it is an :class:`InputError`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from assay._display import TableView
from assay.errors import InputError
from assay.metrics._core import (
    MeanMetric,
    Metric,
    as_floats,
    check_option,
    register,
    warn_degenerate,
)

__all__ = [
    "AUPRC",
    "AUROC",
    "ECE",
    "F1",
    "Accuracy",
    "Brier",
    "HighRiskAUPRC",
    "ReliabilityDiagram",
    "reliability_diagram",
]

Binning = Literal["equal_width", "equal_mass"]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _hashable(value: Any, what: str, metric: str) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    try:
        hash(value)
    except TypeError:
        raise InputError(f"{metric}: a {what} must be a single label; got {value!r}") from None
    return value


def _check_declared(value: Any, labels: tuple[Any, ...] | None, what: str, metric: str) -> None:
    if labels is not None and value not in labels:
        raise InputError(
            f"{metric}: {what} {value!r} is not one of the declared labels {list(labels)}"
        )


def _binary(value: Any, pos_label: Any, what: str, metric: str) -> float:
    """1.0/0.0 for a binary label (0/1, bool, or ``pos_label`` vs anything else)."""
    if isinstance(value, np.generic):
        value = value.item()
    if pos_label is not None:
        return float(value == pos_label)
    if isinstance(value, bool) or value in (0, 1):
        return float(value)
    raise InputError(
        f"{metric}: a binary {what} must be 0/1 or a boolean; got {value!r} "
        "(pass pos_label to name the positive label)"
    )


def _score(value: Any, what: str, metric: str, *, unit: bool = False) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{metric}: a {what} must be a number; got {value!r}") from None
    if math.isinf(out):
        raise InputError(f"{metric}: a {what} must be finite; got {value!r}")
    if unit and not 0.0 <= out <= 1.0:
        raise InputError(f"{metric}: a {what} must be a probability in [0, 1]; got {value!r}")
    return out


# --------------------------------------------------------------------------- labels


@register
@dataclass(frozen=True)
class Accuracy(MeanMetric):
    """Share of items whose predicted label equals the true label.

    ``labels`` (optional) declares the label set: a prediction or reference outside it
    raises :class:`InputError`.
    """

    grades_text: ClassVar[bool] = True

    name: ClassVar[str] = "accuracy"
    labels: tuple[Any, ...] | None = None

    def score(self, prediction: Any, reference: Any) -> float:
        pred = _hashable(prediction, "prediction", self.name)
        ref = _hashable(reference, "reference", self.name)
        _check_declared(pred, self.labels, "prediction", self.name)
        _check_declared(ref, self.labels, "reference", self.name)
        return float(pred == ref)


@register
@dataclass(frozen=True)
class F1(Metric):
    """F1 score: binary, or macro/micro averaged over classes.

    Options
    -------
    average
        ``"binary"``: F1 of ``pos_label``; ``"macro"``: unweighted mean of the per-class
        F1; ``"micro"``: F1 of the pooled true/false positives (equal to accuracy for
        single-label data when every class is counted).
    pos_label
        The positive label for ``"binary"`` (default 1; booleans count as 0/1).
    labels
        The declared label set. Macro and micro average over it (a declared class that
        never occurs counts); without it, over the labels that occur in predictions or
        references, as scikit-learn does.

    A class whose F1 is 0/0 (never predicted and never true) has no F1: binary F1 is then
    NaN with a :class:`~assay.errors.DegenerateDataWarning`, and macro F1 leaves the class
    out with that warning (scikit-learn's ``zero_division=np.nan``).

    Per-item statistics are the true and predicted class indices (into the sorted
    declared or observed labels), so a bootstrap recomputes the confusion matrix.

    References
    ----------
    van Rijsbergen, C. J. (1979). *Information Retrieval*, 2nd ed., ch. 7 (F-measure).
    Sokolova, M. & Lapalme, G. (2009). A systematic analysis of performance measures for
    classification tasks. *Information Processing & Management* 45(4) (macro/micro).
    """

    grades_text: ClassVar[bool] = True

    name: ClassVar[str] = "f1"
    columns: ClassVar[tuple[str, ...]] = ("true", "predicted")
    average: Literal["binary", "macro", "micro"] = "binary"
    pos_label: Any = 1
    labels: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        check_option("F1", "average", self.average, ("binary", "macro", "micro"))
        if (
            self.labels is not None
            and self.average == "binary"
            and self.pos_label not in self.labels
        ):
            check_option("F1", "pos_label", self.pos_label, self.labels)

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        pairs: list[tuple[Any, Any] | None] = []
        for p, r in zip(predictions, references, strict=True):
            if _missing(p) or _missing(r):
                pairs.append(None)
                continue
            pred = _hashable(p, "prediction", self.name)
            ref = _hashable(r, "reference", self.name)
            _check_declared(pred, self.labels, "prediction", self.name)
            _check_declared(ref, self.labels, "reference", self.name)
            pairs.append((ref, pred))
        out = np.full((len(pairs), 2), np.nan)
        if self.average == "binary":
            observed = {v for pair in pairs if pair is not None for v in pair}
            if len(observed) > 2 or (len(observed) == 2 and self.pos_label not in observed):
                raise InputError(
                    f"f1: average='binary' needs two labels, one of them pos_label="
                    f"{self.pos_label!r}; got labels {sorted(map(repr, observed))} "
                    "(use average='macro' or 'micro', or set pos_label)"
                )
            for i, pair in enumerate(pairs):
                if pair is not None:
                    out[i] = [float(v == self.pos_label) for v in pair]
            return out
        if self.labels is not None:
            classes = list(self.labels)
        else:
            observed = {v for pair in pairs if pair is not None for v in pair}
            try:
                classes = sorted(observed)
            except TypeError:  # labels of mixed types: order by their text
                classes = sorted(observed, key=repr)
        index = {label: i for i, label in enumerate(classes)}
        for i, pair in enumerate(pairs):
            if pair is not None:
                out[i] = [index[pair[0]], index[pair[1]]]
        return out

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        true, pred = stats[:, 0].astype(np.int64), stats[:, 1].astype(np.int64)
        if self.average == "binary":
            return _f1(int((true & pred).sum()), int(pred.sum()), int(true.sum()), self.name)
        classes = np.arange(len(self.labels)) if self.labels is not None else np.union1d(true, pred)
        k = int(classes.max()) + 1 if classes.size else 0
        tp = np.bincount(true[true == pred], minlength=k)[classes]
        n_pred = np.bincount(pred, minlength=k)[classes]
        n_true = np.bincount(true, minlength=k)[classes]
        if self.average == "micro":
            return _f1(int(tp.sum()), int(n_pred.sum()), int(n_true.sum()), self.name)
        denom = n_pred + n_true
        defined = denom > 0
        if not defined.all():
            missing = int((~defined).sum())
            if not defined.any():
                return warn_degenerate(self.name, "no class occurs")
            warn_degenerate(self.name, f"{missing} declared class(es) never occur; left out")
        return float(np.mean(2 * tp[defined] / denom[defined]))


def _f1(tp: int, n_pred: int, n_true: int, metric: str) -> float:
    if n_pred + n_true == 0:
        return warn_degenerate(metric, "no positive prediction and no positive label (0/0)")
    return 2 * tp / (n_pred + n_true)


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class _ScoredBinary(Metric):
    """Stats ``(label01, score)`` per item."""

    columns: ClassVar[tuple[str, ...]] = ("label", "score")
    pos_label: Any = None

    def _label(self, reference: Any) -> float:
        return _binary(reference, self.pos_label, "reference", self.name)

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        out = np.full((len(predictions), 2), np.nan)
        for i, (p, r) in enumerate(zip(predictions, references, strict=True)):
            if _missing(p) or _missing(r):
                continue
            out[i] = (self._label(r), _score(p, "score", self.name))
        return out


@register
@dataclass(frozen=True)
class AUROC(_ScoredBinary):
    """Area under the ROC curve: the chance that a random positive scores above a random
    negative, ties counting one half (the Mann-Whitney U statistic / (n⁺ n⁻)).

    Larger scores must mean "more positive" (pass a negated distance, not a distance).
    NaN with a :class:`~assay.errors.DegenerateDataWarning` when only one class occurs.

    References
    ----------
    Hanley, J. A. & McNeil, B. J. (1982). The meaning and use of the area under a
    receiver operating characteristic (ROC) curve. *Radiology* 143(1).
    """

    name: ClassVar[str] = "auroc"

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        from scipy.stats import rankdata

        labels, scores = stats[:, 0], stats[:, 1]
        n_pos = float(labels.sum())
        n_neg = float(labels.size - n_pos)
        if n_pos == 0 or n_neg == 0:
            return warn_degenerate(self.name, "only one class among the labels")
        ranks = rankdata(scores)  # average ranks: ties count one half
        u = ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2
        return float(u / (n_pos * n_neg))


@register
@dataclass(frozen=True)
class AUPRC(_ScoredBinary):
    """Area under the precision-recall curve as average precision,
    ``AP = Σ_t (R_t − R_{t−1}) P_t`` over the distinct score thresholds ``t`` (from the
    highest down), the step-wise sum scikit-learn's ``average_precision_score`` computes
    (no interpolation). NaN with a warning when there is no positive.

    References
    ----------
    Manning, C. D., Raghavan, P. & Schütze, H. (2008). *Introduction to Information
    Retrieval*, §8.4. Davis, J. & Goadrich, M. (2006). The relationship between
    precision-recall and ROC curves. *ICML*.
    """

    name: ClassVar[str] = "auprc"

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        labels, scores = stats[:, 0], stats[:, 1]
        n_pos = labels.sum()
        if n_pos == 0:
            return warn_degenerate(self.name, "no positive label")
        order = np.argsort(-scores, kind="stable")
        s, y = scores[order], labels[order]
        # the last index of each run of equal scores closes one threshold
        last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]
        tp = np.cumsum(y)[last]
        precision = tp / (last + 1)
        recall = tp / n_pos
        return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


@register
@dataclass(frozen=True)
class HighRiskAUPRC(AUPRC):
    """Average precision of a risk score at finding high-risk items: the positives are
    the items whose continuous risk target is at least ``threshold``.

    The SIA-Bench high-risk AUPRC; the paper's cut-off is not published, so
    ``threshold`` has no default (assay's choice: the caller must state it, and it is
    kept in the signature). References here are the risk targets, predictions the
    predicted risks.

    References
    ----------
    STARS / SIA-Bench, arXiv:2604.10286 (HR-AUPRC; definition reconstructed as average
    precision with "target >= high-risk cut" as positives).
    """

    name: ClassVar[str] = "high_risk_auprc"
    threshold: float = math.nan

    def __post_init__(self) -> None:
        if not isinstance(self.threshold, (int, float)) or math.isnan(self.threshold):
            check_option(
                "HighRiskAUPRC", "threshold", self.threshold, "a number (the high-risk cut)"
            )

    def _label(self, reference: Any) -> float:
        return float(_score(reference, "risk target", self.name) >= self.threshold)


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class ReliabilityDiagram(TableView):
    """Per-bin data of a reliability diagram (empty bins included, with NaN means).

    Attributes
    ----------
    edges
        ``n_bins + 1`` bin edges; bin ``b`` holds confidences in ``(edges[b], edges[b+1]]``
        (the first bin also holds ``edges[0]``).
    count, confidence, accuracy
        Items, mean confidence and mean correctness per bin.
    binning
        ``"equal_width"`` or ``"equal_mass"``.
    """

    edges: NDArray[np.float64]
    count: NDArray[np.int64]
    confidence: NDArray[np.float64]
    accuracy: NDArray[np.float64]
    binning: str

    @property
    def ece(self) -> float:
        """Expected calibration error: count-weighted mean gap between accuracy and
        confidence."""
        used = self.count > 0
        total = self.count.sum()
        if total == 0:
            return math.nan
        gaps = np.abs(self.accuracy[used] - self.confidence[used])
        return float(np.sum(self.count[used] / total * gaps))

    def to_dict(self) -> dict[str, Any]:
        """Bins as plain lists (NaN for empty bins)."""
        return {
            "binning": self.binning,
            "edges": self.edges.tolist(),
            "count": self.count.tolist(),
            "confidence": self.confidence.tolist(),
            "accuracy": self.accuracy.tolist(),
            "ece": self.ece,
        }

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        rows = [
            [float(self.edges[b]), float(self.edges[b + 1]), int(self.count[b]),
             float(self.confidence[b]), float(self.accuracy[b])]
            for b in range(self.count.size)
        ]  # fmt: skip
        return ["from", "to", "n", "confidence", "accuracy"], rows

    @property
    def title(self) -> str:
        return f"reliability ({self.binning}), ECE {self.ece:.4f}"


def _bin_edges(conf: NDArray[np.float64], n_bins: int, binning: str) -> NDArray[np.float64]:
    if binning == "equal_width":
        return np.linspace(0.0, 1.0, n_bins + 1)
    return np.asarray(np.quantile(conf, np.linspace(0.0, 1.0, n_bins + 1)), dtype=np.float64)


def _bins(
    conf: NDArray[np.float64], correct: NDArray[np.float64], n_bins: int, binning: str
) -> ReliabilityDiagram:
    edges = _bin_edges(conf, n_bins, binning)
    # right-closed bins: a confidence equal to an inner edge goes to the lower bin
    which = np.searchsorted(edges[1:-1], conf, side="left")
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, weights=conf, minlength=n_bins) / count
        mean_acc = np.bincount(which, weights=correct, minlength=n_bins) / count
    return ReliabilityDiagram(edges, count, mean_conf, mean_acc, binning)


def _check_binning(owner: str, n_bins: Any, binning: Any) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        check_option(owner, "n_bins", n_bins, "an integer >= 1")
    check_option(owner, "binning", binning, ("equal_width", "equal_mass"))


def _calibration_stats(
    confidences: Sequence[Any], correct: Sequence[Any], metric: str
) -> NDArray[np.float64]:
    out = np.full((len(confidences), 2), np.nan)
    for i, (p, r) in enumerate(zip(confidences, correct, strict=True)):
        if _missing(p) or _missing(r):
            continue
        out[i] = (
            _score(p, "confidence", metric, unit=True),
            _binary(r, None, "correctness", metric),
        )
    return out


def reliability_diagram(
    confidences: Sequence[float],
    correct: Sequence[Any],
    *,
    n_bins: int = 10,
    binning: Binning = "equal_width",
) -> ReliabilityDiagram:
    """Reliability-diagram data: per confidence bin, items, mean confidence, accuracy.

    Parameters
    ----------
    confidences
        Predicted probability of being correct (or of the positive class), in [0, 1].
    correct
        1/0 (or booleans): whether the prediction was correct (or the label positive).
    n_bins
        Number of bins.
    binning
        ``"equal_width"``: edges at ``0, 1/M, ..., 1``; ``"equal_mass"``: edges at the
        quantiles of the confidences (as scikit-learn's ``strategy="quantile"``; tied
        confidences may leave a bin empty). Bins are right-closed.

    References
    ----------
    DeGroot, M. H. & Fienberg, S. E. (1983). The comparison and evaluation of
    forecasters. *The Statistician* 32. Niculescu-Mizil, A. & Caruana, R. (2005).
    Predicting good probabilities with supervised learning. *ICML*.
    """
    _check_binning("reliability_diagram", n_bins, binning)
    if len(confidences) != len(correct):
        raise InputError(
            f"reliability_diagram: {len(confidences)} confidences but {len(correct)} "
            "correctness values"
        )
    stats = _calibration_stats(confidences, correct, "reliability_diagram")
    if np.isnan(stats).any():
        raise InputError("reliability_diagram: confidences and correctness must not be NaN")
    if stats.shape[0] == 0:
        raise InputError("reliability_diagram: no items")
    return _bins(stats[:, 0], stats[:, 1], n_bins, binning)


@register
@dataclass(frozen=True)
class ECE(Metric):
    """Expected calibration error ``Σ_b (|B_b|/N) |acc(B_b) − conf(B_b)|``.

    ``predictions`` are confidences in [0, 1], ``references`` 1/0 correctness. The
    binning (``binning``, ``n_bins``) is an option, so it is recorded in the signature;
    the default, 10 equal-width right-closed bins, is the usual one. Equal-mass edges
    are recomputed from the items aggregated (so also per bootstrap resample).

    References
    ----------
    Naeini, M. P., Cooper, G. F. & Hauskrecht, M. (2015). Obtaining well calibrated
    probabilities using Bayesian binning. *AAAI*. Guo, C. et al. (2017). On calibration
    of modern neural networks. *ICML*.
    """

    name: ClassVar[str] = "ece"
    higher_is_better: ClassVar[bool] = False
    columns: ClassVar[tuple[str, ...]] = ("confidence", "correct")
    n_bins: int = 10
    binning: Binning = "equal_width"

    def __post_init__(self) -> None:
        _check_binning("ECE", self.n_bins, self.binning)

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        return _calibration_stats(predictions, references, self.name)

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        return _bins(stats[:, 0], stats[:, 1], self.n_bins, self.binning).ece


@register
@dataclass(frozen=True)
class Brier(MeanMetric):
    """Mean Brier score; lower is better.

    Binary: ``predictions`` are probabilities of the positive class and ``references``
    0/1 (or ``pos_label``); an item scores ``(p − y)²``. Multi-class: a prediction is a
    probability vector over classes ``0..K−1`` and the reference the true class index;
    an item scores ``Σ_j (p_j − 1[j = y])²`` (values in [0, 2]).

    References
    ----------
    Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
    *Monthly Weather Review* 78(1).
    """

    name: ClassVar[str] = "brier"
    higher_is_better: ClassVar[bool] = False
    pos_label: Any = None

    def score(self, prediction: Any, reference: Any) -> float:
        if isinstance(prediction, (Sequence, np.ndarray)) and not isinstance(prediction, str):
            probs = as_floats(prediction, "brier", "a probability vector")
            if probs.ndim != 1 or probs.size < 2:
                raise InputError(
                    f"brier: a probability vector needs >= 2 classes; got {prediction!r}"
                )
            if ((probs < 0) | (probs > 1)).any() or not math.isclose(
                probs.sum(), 1.0, abs_tol=1e-6
            ):
                raise InputError(
                    f"brier: probabilities must be in [0, 1] and sum to 1; got {prediction!r}"
                )
            if (
                isinstance(reference, bool)
                or not isinstance(reference, (int, np.integer))
                or not 0 <= reference < probs.size
            ):
                raise InputError(
                    f"brier: the reference of a probability vector must be a class index in "
                    f"0..{probs.size - 1}; got {reference!r}"
                )
            target = np.zeros(probs.size)
            target[int(reference)] = 1.0
            return float(np.sum((probs - target) ** 2))
        p = _score(prediction, "probability", self.name, unit=True)
        y = _binary(reference, self.pos_label, "reference", self.name)
        return (p - y) ** 2
