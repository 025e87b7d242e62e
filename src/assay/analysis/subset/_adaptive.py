"""Adaptive testing: ask next the item most informative at the current ability estimate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assay.analysis.stats._inputs import check_confidence
from assay.analysis.subset._estimate import ScoreEstimate, _ability, _make_estimate, _proba
from assay.analysis.subset._selection import Selection, check_irt
from assay.errors import InputError, NotFittedError

__all__ = ["AdaptiveTest"]


class AdaptiveTest:
    """Computerised adaptive testing over a benchmark calibrated by a fitted IRT model.

    Starting from ability ``0`` (the calibration population's mean), each step asks the
    not-yet-asked item with the largest Fisher information ``||a_i||^2 P_i (1 - P_i)`` at
    the current ability estimate (for more than one dimension the trace of the
    information matrix; assay's choice), records the score and re-estimates the ability
    with the item parameters fixed. After ``budget`` items the full-benchmark score is
    estimated as p-IRT does: observed items' mean and the model's predicted probability
    on the rest, weighted by their counts.

    Parameters
    ----------
    irt
        A fitted :class:`~assay.analysis.irt.IRT` on the benchmark's items.
    budget
        Items to ask.
    confidence
        Level of the final interval.

    References
    ----------
    Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing
    Problems*, ch. 10 (maximum-information item selection).
    Polo, F. M. et al. (2024). tinyBenchmarks. arXiv:2402.14992 (p-IRT estimate).
    """

    def __init__(self, irt: Any, *, budget: int = 50, confidence: float = 0.95) -> None:
        self.irt = irt
        self.budget = budget
        self.confidence = confidence

    def _discrimination(self) -> NDArray[np.float64]:
        a = np.asarray(getattr(self.irt, "discrimination_", None), dtype=np.float64)
        if a.ndim == 0:
            raise NotFittedError("AdaptiveTest needs a fitted IRT model (discrimination_)")
        return a[:, None] if a.ndim == 1 else a

    def run(self, answer: Callable[[int], float]) -> AdaptiveTest:
        """Ask ``budget`` items; ``answer(item_index)`` returns the score in [0, 1]."""
        check_irt(self.irt, "AdaptiveTest")
        check_confidence(self.confidence, "AdaptiveTest")
        if not callable(answer):
            raise InputError(
                "the 'answer' parameter of AdaptiveTest.run must be a function of the item "
                f"index returning its score in [0, 1]; got {type(answer).__name__}"
            )
        a = self._discrimination()
        n_items = a.shape[0]
        if (
            isinstance(self.budget, bool)
            or not isinstance(self.budget, int)
            or not (1 <= self.budget <= n_items)
        ):
            raise InputError(
                f"the 'budget' parameter of AdaptiveTest must be an int in 1..{n_items}; "
                f"got {self.budget!r}"
            )
        norms = (a * a).sum(axis=1)
        theta = np.zeros(a.shape[1])
        cov = np.full((a.shape[1], a.shape[1]), np.nan)
        asked: list[int] = []
        scores: list[float] = []
        available = np.ones(n_items, dtype=bool)
        all_items = np.arange(n_items)
        for _ in range(self.budget):
            p = _proba(self.irt, theta, all_items)
            info = np.where(available, norms * p * (1 - p), -np.inf)
            item = int(info.argmax())
            got = answer(item)
            try:
                score = float(got)
            except (TypeError, ValueError):
                raise InputError(
                    f"the answer to item {item} must be a score in [0, 1]; got {got!r}"
                ) from None
            if not 0.0 <= score <= 1.0:
                raise InputError(f"the answer to item {item} must be in [0, 1]; got {score!r}")
            asked.append(item)
            scores.append(score)
            available[item] = False
            theta, cov = _ability(self.irt, np.asarray(scores), np.asarray(asked, dtype=np.int64))
        self.items_ = np.asarray(asked, dtype=np.int64)
        self.responses_ = np.asarray(scores)
        self.ability_ = theta
        self.ability_cov_ = cov
        return self

    def estimate(self) -> ScoreEstimate:
        """The full-benchmark estimate from the items asked (after :meth:`run`)."""
        if not hasattr(self, "items_"):
            raise NotFittedError("call AdaptiveTest.run(answer) first")
        n_items = self._discrimination().shape[0]
        asked, y = self.items_, self.responses_
        unseen = np.setdiff1d(np.arange(n_items), asked)
        lam = asked.size / n_items
        p = _proba(self.irt, self.ability_, unseen) if unseen.size else np.zeros(0)
        est = lam * float(y.mean()) + (1 - lam) * (float(p.mean()) if p.size else 0.0)
        var = 0.0
        if unseen.size:
            h = 1e-4
            grad = np.empty(self.ability_.size)
            for d in range(self.ability_.size):
                step = np.zeros(self.ability_.size)
                step[d] = h
                grad[d] = (
                    _proba(self.irt, self.ability_ + step, unseen).mean()
                    - _proba(self.irt, self.ability_ - step, unseen).mean()
                ) / (2 * h)
            cov = self.ability_cov_
            ability_var = float(grad @ cov @ grad) if np.all(np.isfinite(cov)) else 0.0
            var = (1 - lam) ** 2 * (ability_var + float((p * (1 - p)).sum()) / unseen.size**2)
        sel = Selection(
            method="adaptive",
            item_ids=tuple(str(i) for i in range(n_items)),
            indices=asked,
            weights=np.full(asked.size, 1.0 / asked.size),
            strata=np.zeros(n_items, dtype=np.int64),
            stratum_variance=np.array([np.nan]),
            params={"budget": self.budget},
        )
        return _make_estimate(
            est, var, "adaptive", sel, self.confidence,
            {"ability": self.ability_.tolist(), "lambda": lam}, irt=self.irt,
        )  # fmt: skip
