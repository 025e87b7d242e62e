"""Lifelong-learning metrics (l2metrics): performance maintenance, forward and backward
transfer, performance relative to a single-task expert, and sample efficiency.

The plain functions take one lifetime (or one task); the registered metrics take one
*item* per task or per task pair and average over the items on which the metric is
defined (l2metrics skips the others), keeping ``(score, defined)`` per item so that a
bootstrap resamples tasks without recomputing anything:

- ``performance_maintenance``: an item is a task; prediction = that task's blocks in
  lifetime order (:func:`blocks_by_task` splits a lifetime).
- ``forward_transfer``, ``backward_transfer``: an item is an ordered task pair; prediction
  = the target task's performance after training the source task, reference = before.
- ``relative_performance``, ``sample_efficiency``: an item is a task; prediction = the
  lifelong learner's curve on it, reference = the single-task expert's curve.

References
----------
New, A. et al. (2022). Lifelong learning metrics. arXiv:2201.08278. Baker, M. M. et al.
(2023). A domain-agnostic approach for characterization of lifelong learning systems.
*Neural Networks* (arXiv:2301.07799).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError
from assay.metrics._core import (
    DefinedMeanMetric,
    as_floats,
    check_number,
    check_option,
    register,
    warn_degenerate,
)

__all__ = [
    "BackwardTransfer",
    "ForwardTransfer",
    "PerformanceMaintenance",
    "RelativePerformance",
    "SampleEfficiency",
    "blocks_by_task",
    "performance_maintenance",
    "relative_performance",
    "sample_efficiency",
    "transfer",
]

FloatArray = NDArray[np.float64]
Block = tuple[str, Literal["train", "eval"], float]
Reference = Literal["mrlep", "mrtlp"]
TransferKind = Literal["contrast", "ratio"]
_REFERENCES = ("mrlep", "mrtlp")
_TRANSFER_KINDS = ("contrast", "ratio")


# --------------------------------------------------------------------------- maintenance


def _check_block(block: Any, i: int, owner: str) -> tuple[str, str, float]:
    if (
        not isinstance(block, Sequence)
        or isinstance(block, str)
        or len(block) != 3
        or block[1] not in ("train", "eval")
    ):
        raise InputError(
            f"{owner}: block {i} must be (task, 'train'|'eval', performance); got {block!r}"
        )
    try:
        perf = float(block[2])
    except (TypeError, ValueError):
        raise InputError(f"{owner}: block {i} has a non-numeric performance {block[2]!r}") from None
    if math.isnan(perf):
        raise InputError(f"{owner}: block {i} has a NaN performance")
    return str(block[0]), str(block[1]), perf


def blocks_by_task(blocks: Sequence[Block]) -> dict[str, list[Block]]:
    """A lifetime's blocks grouped by task, each task's blocks in lifetime order: the
    items of the ``performance_maintenance`` metric (``compute(list(result.values()))``).

    Raises
    ------
    InputError
        A block that is not ``(task, "train" | "eval", performance)`` or has a NaN
        performance.
    """
    out: dict[str, list[Block]] = {}
    for i, block in enumerate(blocks):
        task, _, _ = _check_block(block, i, "blocks_by_task")
        out.setdefault(task, []).append(block)
    return out


def _maintenance(blocks: Sequence[tuple[str, float]], reference: str) -> float | None:
    """Mean maintenance of one task from its ``(kind, performance)`` blocks, or None when
    the task is never evaluated after its reference point."""
    ref: float | None = None
    just_trained = False
    diffs: list[float] = []
    for kind, perf in blocks:
        if kind == "train":
            just_trained = True
            if reference == "mrtlp":
                ref = perf
            continue
        if reference == "mrlep" and just_trained:
            ref = perf
        elif ref is not None:
            diffs.append(perf - ref)
        just_trained = False
    return float(np.mean(diffs)) if diffs else None


@register
@dataclass(frozen=True)
class PerformanceMaintenance(DefinedMeanMetric):
    """Performance maintenance over a lifetime: for every evaluation of a task after its
    reference point, the evaluation's performance minus the reference; mean per task,
    then mean over tasks. Negative values mean forgetting.

    An item is a task: prediction = that task's blocks in lifetime order, each
    ``(task, "train" | "eval", terminal performance)`` (or ``("train" | "eval",
    performance)``); references are unused. :func:`blocks_by_task` splits a lifetime
    into these items. A task never evaluated after its reference point has no
    maintenance and is left out (``defined`` = 0), as l2metrics does.

    ``reference``: ``"mrlep"``, the most recent evaluation of the task that directly
    follows one of its training blocks; ``"mrtlp"``, the most recent training block of
    the task (assay's reading of l2metrics' two options).

    References
    ----------
    New, A. et al. (2022). Lifelong learning metrics. arXiv:2201.08278.
    """

    name: ClassVar[str] = "performance_maintenance"
    uses_reference: ClassVar[bool] = False
    undefined_reason: ClassVar[str] = "no task is evaluated after its reference point"
    reference: Reference = "mrlep"

    def __post_init__(self) -> None:
        check_option("PerformanceMaintenance", "reference", self.reference, _REFERENCES)

    def score(self, prediction: Any, reference: Any) -> float | None:
        if not isinstance(prediction, Sequence) or isinstance(prediction, str):
            raise InputError(
                f"{self.name}: an item must be a list of one task's blocks; got "
                f"{type(prediction).__name__}"
            )
        task: str | None = None
        pairs: list[tuple[str, float]] = []
        for i, block in enumerate(prediction):
            named = not (
                isinstance(block, Sequence) and not isinstance(block, str) and len(block) == 2
            )
            name, kind, perf = _check_block(block if named else ("", *block), i, self.name)
            if named:
                if task is not None and name != task:
                    raise InputError(
                        f"{self.name}: an item is one task's blocks; block {i} is of task "
                        f"{name!r}, the earlier ones of {task!r} (blocks_by_task splits a "
                        "lifetime)"
                    )
                task = name
            pairs.append((kind, perf))
        return _maintenance(pairs, self.reference)


def performance_maintenance(blocks: Sequence[Block], *, reference: Reference = "mrlep") -> float:
    """Performance maintenance over a lifetime: for every evaluation of a task after its
    reference point, the evaluation's performance minus the reference; mean per task,
    then mean over tasks. Negative values mean forgetting. The registered metric
    ``performance_maintenance`` (:class:`PerformanceMaintenance`) takes one task per item.

    Parameters
    ----------
    blocks
        The lifetime in order, one ``(task, "train" | "eval", terminal performance)`` per
        block (terminal performance: mean of the last 10 % of a training block, all of an
        evaluation block).
    reference
        ``"mrlep"``: the most recent evaluation of the task that directly follows one of
        its training blocks; ``"mrtlp"``: the most recent training block of the task.
        assay's reading of l2metrics' two options.

    References
    ----------
    New, A. et al. (2022). Lifelong learning metrics. arXiv:2201.08278.
    """
    check_option("performance_maintenance", "reference", reference, _REFERENCES)
    metric = PerformanceMaintenance(reference=reference)
    tasks: dict[str, list[tuple[str, float]]] = {}
    for i, block in enumerate(blocks):
        task, kind, perf = _check_block(block, i, metric.name)
        tasks.setdefault(task, []).append((kind, perf))
    stats = np.zeros((len(tasks), 2))
    for row, pairs in enumerate(tasks.values()):
        value = _maintenance(pairs, reference)
        if value is not None:
            stats[row] = (value, 1.0)
    return metric.aggregate(stats)


# --------------------------------------------------------------------------- transfer


def _transfer_value(before: float, after: float, kind: str) -> float | None:
    den = before + after if kind == "contrast" else before
    if den == 0:
        return None
    return float((after - before) / den if kind == "contrast" else after / before)


def transfer(before: float, after: float, *, kind: TransferKind = "contrast") -> float:
    """Transfer between tasks from a task's performance before (``before``) and after
    (``after``) training another task: ``"contrast"`` ``(after - before) / (after + before)``
    (l2metrics' default), ``"ratio"`` ``after / before``. Forward transfer evaluates task
    B before and after training A with B not yet trained; backward transfer after B's
    own training. NaN with a warning where the denominator is 0 (l2metrics skips it).
    The registered metrics ``forward_transfer`` and ``backward_transfer`` average it over
    task pairs.

    References
    ----------
    New et al. (2022); Baker et al. (2023).
    """
    check_option("transfer", "kind", kind, _TRANSFER_KINDS)
    if math.isnan(before) or math.isnan(after):
        raise InputError("transfer: NaN performance")
    value = _transfer_value(before, after, kind)
    if value is None:
        return warn_degenerate("transfer", f"the {kind} denominator is 0")
    return value


@dataclass(frozen=True)
class _Transfer(DefinedMeanMetric):
    """Mean over task pairs of :func:`transfer`; prediction = after, reference = before."""

    columns: ClassVar[tuple[str, ...]] = ("transfer", "defined")
    undefined_reason: ClassVar[str] = "every task pair has a zero denominator"
    kind: TransferKind = "contrast"

    def __post_init__(self) -> None:
        check_option(type(self).__name__, "kind", self.kind, _TRANSFER_KINDS)

    def score(self, prediction: Any, reference: Any) -> float | None:
        after = check_number(prediction, self.name, "the after performance")
        before = check_number(reference, self.name, "the before performance")
        return _transfer_value(before, after, self.kind)


@register
@dataclass(frozen=True)
class ForwardTransfer(_Transfer):
    """Forward transfer: the mean over ordered task pairs (A, B) of :func:`transfer`
    from B's performance before training A (reference) to after (prediction), B not yet
    trained. ``kind``: ``"contrast"`` (l2metrics' default) or ``"ratio"``. Pairs whose
    denominator is 0 are left out (``defined`` = 0), as l2metrics does. The pairing is the
    caller's: the metric does not see the lifetime.

    References
    ----------
    New, A. et al. (2022). arXiv:2201.08278. Baker, M. M. et al. (2023). arXiv:2301.07799.
    """

    name: ClassVar[str] = "forward_transfer"


@register
@dataclass(frozen=True)
class BackwardTransfer(_Transfer):
    """Backward transfer: as :class:`ForwardTransfer`, for pairs (A, B) where A is trained
    after B's own first training (B evaluated before and after training A).

    References
    ----------
    New, A. et al. (2022). arXiv:2201.08278. Baker, M. M. et al. (2023). arXiv:2301.07799.
    """

    name: ClassVar[str] = "backward_transfer"


# --------------------------------------------------------------------------- relative to an expert


def _curve(values: Any, owner: str, what: str) -> FloatArray:
    arr = as_floats(values, owner, what)
    if arr.ndim != 1 or arr.size == 0 or not np.isfinite(arr).all():
        raise InputError(f"{owner}: {what} must be a non-empty finite vector")
    return arr


def _relative(task: FloatArray, expert: FloatArray) -> float | None:
    m = min(task.size, expert.size)
    den = expert[:m].sum()
    return None if den == 0 else float(task[:m].sum() / den)


def _saturation(curve: FloatArray, window: int) -> tuple[float, int]:
    smooth = np.convolve(curve, np.ones(window) / window, mode="valid") if window > 1 else curve
    top = float(smooth.max())
    return top, int(np.flatnonzero(smooth >= top)[0]) + window  # experiences to saturation


def _efficiency(task: FloatArray, expert: FloatArray, window: int) -> float | None:
    sat_a, exp_a = _saturation(task, window)
    sat_b, exp_b = _saturation(expert, window)
    if sat_b <= 0:
        return None
    slope = np.polyfit(np.arange(task.size), task, 1)[0] if task.size > 1 else 0.0
    if sat_a < 0.2 * sat_b or slope < 0:
        return 0.0
    return float((sat_a / sat_b) * (exp_b / exp_a))


def _check_window(owner: str, window: Any, longest: int | None = None) -> None:
    ok = isinstance(window, int) and not isinstance(window, bool) and window >= 1
    if not ok or (longest is not None and window > longest):
        check_option(owner, "window", window, "an integer in [1, length of the shorter curve]")


@register
@dataclass(frozen=True)
class RelativePerformance(DefinedMeanMetric):
    """Performance relative to a single-task expert, averaged over tasks.

    An item is a task: prediction = the lifelong learner's performance curve on it,
    reference = the single-task expert's curve. Per task, the sum of the learner's
    performance over the first m training experiences over the expert's sum over the
    same m (m = the shorter length); a task whose expert sum is 0 is left out.

    References
    ----------
    New, A. et al. (2022). Lifelong learning metrics. arXiv:2201.08278.
    """

    name: ClassVar[str] = "relative_performance"
    undefined_reason: ClassVar[str] = "the expert's performance sums to 0 on every task"

    def score(self, prediction: Any, reference: Any) -> float | None:
        task = _curve(prediction, self.name, "the task curve")
        expert = _curve(reference, self.name, "the expert curve")
        return _relative(task, expert)


def relative_performance(task_curve: Any, expert_curve: Any) -> float:
    """Performance relative to a single-task expert: sum of the lifelong learner's
    performance over the first m training experiences / the expert's sum over the same
    m (m = the shorter length). NaN with a warning when the expert's sum is 0. The
    registered metric ``relative_performance`` averages it over tasks.

    References
    ----------
    New et al. (2022).
    """
    a = _curve(task_curve, "relative_performance", "task_curve")
    b = _curve(expert_curve, "relative_performance", "expert_curve")
    value = _relative(a, b)
    if value is None:
        return warn_degenerate("relative_performance", "the expert's performance sums to 0")
    return value


@register
@dataclass(frozen=True)
class SampleEfficiency(DefinedMeanMetric):
    """Sample efficiency relative to a single-task expert, averaged over tasks.

    An item is a task: prediction = the lifelong learner's curve, reference = the
    expert's (see :func:`sample_efficiency` for the per-task value; ``window`` must not
    exceed the shorter curve of any task). A task whose expert never rises above 0 is
    left out.

    References
    ----------
    New, A. et al. (2022). Lifelong learning metrics. arXiv:2201.08278.
    """

    name: ClassVar[str] = "sample_efficiency"
    undefined_reason: ClassVar[str] = "the expert never rises above 0 on any task"
    window: int = 1

    def __post_init__(self) -> None:
        _check_window("SampleEfficiency", self.window)

    def score(self, prediction: Any, reference: Any) -> float | None:
        task = _curve(prediction, self.name, "the task curve")
        expert = _curve(reference, self.name, "the expert curve")
        if self.window > min(task.size, expert.size):
            raise InputError(
                f"{self.name}: window={self.window} is longer than a curve "
                f"({task.size} and {expert.size} experiences)"
            )
        return _efficiency(task, expert, self.window)


def sample_efficiency(task_curve: Any, expert_curve: Any, *, window: int = 1) -> float:
    """Sample efficiency relative to a single-task expert:
    ``(sat_task / sat_expert) * (experiences_expert / experiences_task)``, ``sat`` the
    maximum of the moving average (``window`` experiences; 1 = no smoothing, assay's
    choice) and ``experiences`` the number needed to first reach it. 0 when the task
    saturates below 20 % of the expert or its least-squares training slope is negative.
    The registered metric ``sample_efficiency`` averages it over tasks.

    References
    ----------
    New et al. (2022).
    """
    a = _curve(task_curve, "sample_efficiency", "task_curve")
    b = _curve(expert_curve, "sample_efficiency", "expert_curve")
    _check_window("sample_efficiency", window, min(a.size, b.size))
    value = _efficiency(a, b, window)
    if value is None:
        return warn_degenerate("sample_efficiency", "the expert never rises above 0")
    return value
