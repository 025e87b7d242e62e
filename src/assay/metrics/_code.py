"""Repeated trials: pass@k, pass^k and pass rates, Claw-Eval task scores, and grading
code samples in the harness sandbox.

An item here is a *task* tried ``n`` times (``n`` code samples, ``n`` agent trials); its
statistics are ``(n, c)``, the number of trials and of successes. The per-task
estimators are exact functions of ``(n, c)``:

- pass@k, the chance that at least one of ``k`` trials drawn without replacement from the
  ``n`` succeeds: ``1 − C(n−c, k)/C(n, k)``;
- pass^k, the chance that all ``k`` drawn trials succeed: ``C(c, k)/C(n, k)``.

Both are unbiased for the per-task probabilities ``1 − (1−p)^k`` and ``p^k`` when the
trials are i.i.d. with success probability ``p``. The plug-in ``(c/n)^k`` that some code
reports for pass^k is *not*: it treats the ``n`` observed trials as the population and
draws with replacement, so the same successful trial may be counted ``k`` times. It is
biased upwards (by Jensen's inequality, ``E[(c/n)^k] >= p^k``) and is positive even when
fewer than ``k`` trials succeeded: with ``c = 2`` of ``n = 3``, ``(2/3)^3 = 0.296``,
whereas no draw of 3 trials out of those 3 has all succeeding, so pass^3 = 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assay.errors import InputError
from assay.metrics._core import (
    Metric,
    _missing,
    as_floats,
    check_number,
    check_option,
    register,
)

if TYPE_CHECKING:
    from assay.harness.sandbox import SandboxLimits
    from assay.harness.tasks import TaskItem

__all__ = [
    "ClawEval",
    "PassAtK",
    "PassHatK",
    "PassRate",
    "claw_eval_task_score",
    "grade_samples",
    "pass_at_k",
    "pass_hat_k",
    "trial_counts",
]


def _counts(n: ArrayLike, c: ArrayLike, k: int, where: str) -> tuple[NDArray[Any], ...]:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"the 'k' parameter of {where} must be an integer >= 1; got {k!r}")
    n_arr = np.asarray(n)
    c_arr = np.asarray(c)
    for name, arr in (("n", n_arr), ("c", c_arr)):
        if arr.dtype.kind == "f":
            if np.isnan(arr).any():
                raise InputError(f"{where}: {name} contains NaN")
            if not np.array_equal(arr, np.floor(arr)):
                raise InputError(f"{where}: {name} must hold whole numbers")
        elif arr.dtype.kind not in "iub":
            raise InputError(f"{where}: {name} must be integers; got dtype {arr.dtype}")
    n_arr, c_arr = np.broadcast_arrays(n_arr.astype(np.int64), c_arr.astype(np.int64))
    if (c_arr < 0).any() or (c_arr > n_arr).any():
        raise InputError(f"{where}: every c must satisfy 0 <= c <= n")
    if (n_arr < k).any():
        first = int(np.flatnonzero(n_arr.ravel() < k)[0])
        raise InputError(
            f"{where}: k={k} needs at least k trials per task; task {first} has "
            f"n={int(n_arr.ravel()[first])} (lower k or draw more samples)"
        )
    return n_arr, c_arr


def pass_at_k(n: ArrayLike, c: ArrayLike, k: int) -> NDArray[np.float64]:
    """Unbiased pass@k of each task from ``n`` trials with ``c`` successes.

    ``1 − C(n−c, k)/C(n, k)``, evaluated as ``1 − Π_{j=0}^{k−1} (n−c−j)/(n−j)``: a product
    of ``k`` factors in [0, 1] (no large binomial coefficients, no overflow, exact 1 when
    ``n − c < k`` because a factor is 0). Vectorised over tasks: ``k`` array passes.

    Parameters
    ----------
    n, c
        Trials and successes per task (broadcast together); ``0 <= c <= n``.
    k
        Draws, ``1 <= k <= n`` for every task.

    Raises
    ------
    InputError
        ``k < 1``, ``n < k``, ``c`` outside ``[0, n]`` or non-integer counts.

    References
    ----------
    Chen, M. et al. (2021). Evaluating large language models trained on code.
    arXiv:2107.03374 (unbiased estimator, §2.1, and its numerically stable form).
    """
    n_arr, c_arr = _counts(n, c, k, "pass_at_k")
    return 1.0 - _by_distinct_pairs(n_arr, n_arr - c_arr, int(k))


def pass_hat_k(n: ArrayLike, c: ArrayLike, k: int) -> NDArray[np.float64]:
    """pass^k of each task: the chance that ``k`` of its trials, drawn without
    replacement, all succeed, ``C(c, k)/C(n, k) = Π_{j=0}^{k−1} (c−j)/(n−j)``.

    Non-increasing in ``k``; ``pass^1 = c/n``; 0 when ``c < k``. This is τ-bench's
    definition; the plug-in ``(c/n)^k`` differs (see the module documentation).

    Raises
    ------
    InputError
        As :func:`pass_at_k`.

    References
    ----------
    Yao, S. et al. (2024). τ-bench: a benchmark for tool-agent-user interaction in
    real-world domains. arXiv:2406.12045 (pass^k).
    """
    n_arr, c_arr = _counts(n, c, k, "pass_hat_k")
    return _by_distinct_pairs(n_arr, c_arr, int(k))


def _by_distinct_pairs(n: NDArray[np.int64], m: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    """``C(m, k)/C(n, k) = Π_{j<k} (m−j)/(n−j)`` elementwise.

    Many tasks share the same ``(n, m)`` (a fixed number of samples leaves at most
    ``n + 1`` distinct pairs), so on large inputs with ``k > 2`` the product is evaluated
    once per distinct pair and looked up (a dense table indexed by the pair, no sort):
    the cost no longer grows with ``k`` times the number of tasks.
    """
    if k > 2 and n.size > 4096:
        width = int(m.max(initial=0)) + 1
        key = n.ravel() * width + m.ravel()
        size = int(key.max()) + 1
        if size <= 4 * n.size + 1_000_000:
            present = np.zeros(size, dtype=bool)
            present[key] = True
            pairs = np.flatnonzero(present)
            table = np.empty(size, dtype=np.float64)
            table[pairs] = _binomial_ratio(pairs // width, pairs % width, k)
            out: NDArray[np.float64] = table[key].reshape(n.shape)
            return out
    return _binomial_ratio(n, m, k)


def _binomial_ratio(n: NDArray[np.int64], m: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    ratio = np.ones(n.shape, dtype=np.float64)
    for j in range(k):
        ratio *= np.maximum(m - j, 0) / (n - j)
    return ratio


def trial_counts(
    outcomes: Sequence[Any], *, success_threshold: float | None = None, where: str = "trials"
) -> NDArray[np.float64]:
    """``(n, c)`` per task from each task's trial outcomes.

    Parameters
    ----------
    outcomes
        One sequence of trial outcomes per task (any length >= 1; tasks may differ). An
        outcome is a bool or 0/1, or a reward when ``success_threshold`` is given. NaN or
        ``None`` outcomes (trials that errored before grading) are not counted as trials;
        a task without any counted trial gives a NaN row. A pair ``(n, c)`` given as a
        dict ``{"n": ..., "c": ...}`` is taken as is.
    success_threshold
        A trial succeeds when its reward is >= this threshold (Claw-Eval: 0.75; τ-bench:
        ``1 - 1e-6``). ``None``: outcomes must be 0/1 or booleans.

    Returns
    -------
    ndarray of shape (n_tasks, 2)
        Columns ``n`` and ``c``.
    """
    out = np.full((len(outcomes), 2), np.nan)
    for i, task in enumerate(outcomes):
        if isinstance(task, dict):
            if "n" not in task or "c" not in task:
                raise InputError(
                    f"{where}: task {i} as a mapping must give 'n' (trials) and 'c' (passes); "
                    f"got keys {sorted(map(str, task))}"
                )
            out[i] = (
                check_number(task["n"], where, f"task {i}'s n"),
                check_number(task["c"], where, f"task {i}'s c"),
            )
            continue
        if task is None:
            continue
        if isinstance(task, (str, bytes)) or not hasattr(task, "__len__"):
            raise InputError(
                f"{where}: each task's outcomes must be a sequence of trial outcomes; "
                f"task {i} is {task!r}"
            )
        values = as_floats(
            [math.nan if v is None else v for v in task], where, f"task {i}'s outcomes"
        )
        values = values[~np.isnan(values)]
        if values.size == 0:
            continue
        if success_threshold is None:
            if not np.isin(values, (0.0, 1.0)).all():
                bad = values[~np.isin(values, (0.0, 1.0))][0]
                raise InputError(
                    f"{where}: task {i} has outcome {bad!r}; outcomes must be 0/1 or "
                    "booleans, or pass success_threshold to count rewards"
                )
            successes = values.sum()
        else:
            successes = float((values >= success_threshold).sum())
        out[i] = (values.size, successes)
    return out


@dataclass(frozen=True)
class _TrialMetric(Metric):
    """Metrics over ``(n, c)`` per task; ``references`` are not used."""

    columns: ClassVar[tuple[str, ...]] = ("n", "c")
    success_threshold: float | None = None

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        return trial_counts(predictions, success_threshold=self.success_threshold, where=self.name)

    def per_task(self, stats: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each task's value (NaN where its row is NaN)."""
        ok = ~np.isnan(stats).any(axis=1)
        out = np.full(stats.shape[0], np.nan)
        out[ok] = self.rate(stats[ok, 0], stats[ok, 1])
        return out

    def rate(self, n: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
        """The value of tasks with ``n`` trials of which ``c`` succeeded."""
        raise NotImplementedError

    def _check_k(self) -> None:
        k = getattr(self, "k", 1)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            check_option(type(self).__name__, "k", k, "an integer >= 1")

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        return float(self.per_task(stats).mean())

    def aggregate_resamples(
        self, stats: NDArray[np.float64], indices: NDArray[np.intp]
    ) -> list[float | dict[str, float]]:
        if np.isnan(stats).any():  # propagate: every resample with a NaN row is NaN
            return [self.aggregate(stats[idx]) for idx in indices]
        values = self.per_task(stats)
        return [float(v) for v in values[indices].mean(axis=1)]


@register
@dataclass(frozen=True)
class PassAtK(_TrialMetric):
    """Mean over tasks of the unbiased pass@k (see :func:`pass_at_k`).

    ``predictions`` holds each task's trial outcomes (see :func:`trial_counts`).
    Every task needs at least ``k`` counted trials (:class:`InputError` otherwise).

    References
    ----------
    Chen, M. et al. (2021). Evaluating large language models trained on code.
    arXiv:2107.03374.
    """

    name: ClassVar[str] = "pass_at_k"
    k: int = 1

    def __post_init__(self) -> None:
        self._check_k()

    def rate(self, n: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
        return pass_at_k(n, c, self.k)


@register
@dataclass(frozen=True)
class PassHatK(_TrialMetric):
    """Mean over tasks of pass^k, τ-bench's "all k trials succeed" (see :func:`pass_hat_k`).

    References
    ----------
    Yao, S. et al. (2024). τ-bench. arXiv:2406.12045.
    """

    name: ClassVar[str] = "pass_hat_k"
    k: int = 1

    def __post_init__(self) -> None:
        self._check_k()

    def rate(self, n: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
        return pass_hat_k(n, c, self.k)


@register
@dataclass(frozen=True)
class PassRate(_TrialMetric):
    """Mean over tasks of each task's success rate ``c/n`` (tasks may have different
    numbers of trials; each task weighs the same). Equal to pass@1 and pass^1.

    References
    ----------
    Chen, M. et al. (2021). arXiv:2107.03374 (pass@1 as the mean per-task pass rate).
    """

    name: ClassVar[str] = "pass_rate"

    def rate(self, n: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(c / n, dtype=np.float64)


# --------------------------------------------------------------------------- Claw-Eval


def claw_eval_task_score(completion: float, robustness: float, safety: float) -> float:
    """Claw-Eval's score of one trial: ``safety × (0.8 completion + 0.2 robustness)``,
    rounded to 4 decimals (a trial passes at >= 0.75).

    Raises
    ------
    InputError
        A dimension outside [0, 1] or NaN.

    References
    ----------
    Ye, et al. (2026). Claw-Eval. arXiv:2604.06132 (repository ``claw-eval/claw-eval``).
    """
    for name, value in (("completion", completion), ("robustness", robustness), ("safety", safety)):
        if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
            raise InputError(
                f"the {name!r} parameter of claw_eval_task_score must be in [0, 1]; got {value!r}"
            )
    return round(safety * (0.8 * completion + 0.2 * robustness), 4)


@register
@dataclass(frozen=True)
class ClawEval(Metric):
    """Claw-Eval's aggregation of trial scores over tasks: average score, Pass@k (any
    trial passes) and Pass^k (every trial passes), with ``k = trials``.

    ``predictions`` holds each task's trial scores (see :func:`claw_eval_task_score`);
    a task with fewer than ``trials`` scores is padded with 0 (missing or errored trials
    count as failures, as Claw-Eval's summary does); more than ``trials`` is an error.
    Unlike :class:`PassAtK` these are the *observed* any/all over exactly ``trials``
    trials, not estimators from a larger pool.

    References
    ----------
    Ye, et al. (2026). Claw-Eval. arXiv:2604.06132 (``score_summary.py``).
    """

    name: ClassVar[str] = "claw_eval"
    columns: ClassVar[tuple[str, ...]] = ("mean_score", "any_pass", "all_pass")
    trials: int = 3
    threshold: float = 0.75

    def __post_init__(self) -> None:
        if isinstance(self.trials, bool) or not isinstance(self.trials, int) or self.trials < 1:
            check_option("ClawEval", "trials", self.trials, "an integer >= 1")
        if not 0.0 <= self.threshold <= 1.0:
            check_option("ClawEval", "threshold", self.threshold, "in [0, 1]")

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        out = np.empty((len(predictions), 3))
        for i, task in enumerate(predictions):
            if _missing(task):
                out[i] = math.nan
                continue
            if isinstance(task, str | bytes) or not hasattr(task, "__iter__"):
                raise InputError(
                    f"claw_eval: task {i} must be a list of trial scores; got {task!r}"
                )
            trial = as_floats(
                [math.nan if s is None else s for s in task],
                "claw_eval",
                f"task {i}'s trial scores",
            )
            scores = [0.0 if s != s else float(s) for s in trial]
            if len(scores) > self.trials:
                raise InputError(
                    f"claw_eval: task {i} has {len(scores)} trial scores; at most "
                    f"trials={self.trials}"
                )
            if any(not 0.0 <= s <= 1.0 for s in scores):
                raise InputError(f"claw_eval: task {i} has a trial score outside [0, 1]")
            scores += [0.0] * (self.trials - len(scores))
            passed = [s >= self.threshold for s in scores]
            out[i] = (sum(scores) / self.trials, float(any(passed)), float(all(passed)))
        return out

    def aggregate(self, stats: NDArray[np.float64]) -> dict[str, float]:
        mean = stats.mean(axis=0)
        return {
            "average_score": float(mean[0]),
            f"pass@{self.trials}": float(mean[1]),
            f"pass^{self.trials}": float(mean[2]),
        }

    def _nan_value(self) -> dict[str, float]:
        keys = ("average_score", f"pass@{self.trials}", f"pass^{self.trials}")
        return dict.fromkeys(keys, math.nan)


# --------------------------------------------------------------------------- execution


def grade_samples(
    item: TaskItem, completions: Sequence[str], *, limits: SandboxLimits | None = None
) -> NDArray[np.bool_]:
    """Run each completion of a HumanEval-style item against its tests in the harness
    sandbox (:func:`assay.harness.tasks.humaneval.grade_code`); True where it passed.

    The result per item feeds :class:`PassAtK` / :class:`PassHatK` as one task's
    outcomes. Code never runs in the evaluating process.

    Raises
    ------
    InputError
        The item has no ``entry_point``/``test`` metadata.
    AssayError
        The sandbox could not run a program at all (not the completion's fault).
    """
    from assay.harness.tasks.humaneval import GRADING_LIMITS, grade_code

    chosen = GRADING_LIMITS if limits is None else limits
    return np.array(
        [grade_code(item, completion, chosen)[0] == 1.0 for completion in completions],
        dtype=bool,
    )
