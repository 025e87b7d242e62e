"""The result of a skill diagnosis: each model's mastery of each skill."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assay._display import html_table, rich_table
from assay.analysis.stats._inputs import check_number
from assay.errors import InputError

__all__ = ["LackingSkill", "SkillMastery"]


@dataclass(frozen=True, slots=True)
class LackingSkill:
    """A skill a model is judged to lack, with the evidence."""

    model: str
    skill: str
    mastery: float
    low: float
    high: float


@dataclass(frozen=True, slots=True, eq=False)
class SkillMastery:
    """Mastery of every skill by every model, with uncertainty.

    Attributes
    ----------
    models, skills
        Row and column labels.
    mastery
        ``(n_models, n_skills)`` in [0, 1]. DINA: the posterior probability that the
        model has the skill. FinCDM: the min-max normalised factor score.
    low, high
        Interval of each value: DINA, the probability itself (a posterior probability
        already states the uncertainty); FinCDM, a percentile interval over bootstrap
        resamples of items.
    se
        DINA: posterior sd of the 0/1 mastery, ``sqrt(p (1 - p))``; FinCDM: bootstrap sd.
    method, signature
        What produced it (method, parameters, version, n, resamples, seed).
    """

    models: tuple[str, ...]
    skills: tuple[str, ...]
    mastery: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    se: NDArray[np.float64]
    method: str
    signature: dict[str, Any] = field(default_factory=dict)

    def confidence_interval(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self.low, self.high

    def lacking(self, threshold: float = 0.5) -> tuple[LackingSkill, ...]:
        """Skills each model lacks: the whole interval lies below ``threshold``."""
        check_number(threshold, "threshold", "SkillMastery.lacking", low=0.0, strict=False)
        if threshold > 1:
            raise InputError(
                f"the 'threshold' parameter of SkillMastery.lacking must be in [0, 1]; got "
                f"{threshold!r}"
            )
        rows, cols = np.nonzero(self.high < threshold)
        return tuple(
            LackingSkill(
                self.models[r],
                self.skills[c],
                float(self.mastery[r, c]),
                float(self.low[r, c]),
                float(self.high[r, c]),
            )
            for r, c in zip(rows, cols, strict=True)
        )

    def lacking_report(self, threshold: float = 0.5) -> dict[str, list[str]]:
        """``{model: [skills it lacks]}`` for every model (empty lists included)."""
        out: dict[str, list[str]] = {m: [] for m in self.models}
        for item in self.lacking(threshold):
            out[item.model].append(item.skill)
        return out

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Long table: model, skill, mastery, low, high, se."""
        cols = ["model", "skill", "mastery", "low", "high", "se"]
        rows = [
            [
                m,
                s,
                float(self.mastery[i, j]),
                float(self.low[i, j]),
                float(self.high[i, j]),
                float(self.se[i, j]),
            ]
            for i, m in enumerate(self.models)
            for j, s in enumerate(self.skills)
        ]
        return cols, rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": list(self.models),
            "skills": list(self.skills),
            "mastery": self.mastery.tolist(),
            "low": self.low.tolist(),
            "high": self.high.tolist(),
            "se": self.se.tolist(),
            "method": self.method,
            "lacking": self.lacking_report(),
            "signature": self.signature,
        }

    def _matrix_rows(self) -> tuple[list[str], list[list[Any]]]:
        cols = ["model", *self.skills]
        rows = [[m, *(float(v) for v in self.mastery[i])] for i, m in enumerate(self.models)]
        return cols, rows

    def __rich__(self) -> object:
        cols, rows = self._matrix_rows()
        return rich_table(cols, rows, title=f"skill mastery ({self.method})")

    def _repr_html_(self) -> str:
        cols, rows = self._matrix_rows()
        return html_table(cols, rows, title=f"skill mastery ({self.method})")
