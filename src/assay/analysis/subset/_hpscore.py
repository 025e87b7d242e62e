"""HP-Score: how much prompting scaffolding a model needs, from ordered prompt variants.

The Hierarchical Prompting Taxonomy orders prompting strategies by cognitive demand
(role prompting, zero-shot CoT, three-shot CoT, least-to-most, generated knowledge). An
item's score is the 1-based level of the first strategy under which the model solves it,
or ``len(levels) + penalty`` when none does; the HP-Score is the mean over items (lower
is better: the model needs less help). In assay the levels are a task's prompt variants
(the ``prompt_variant`` column of ``scores``), named in order by the caller.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from assay._display import TableView
from assay._version import __version__
from assay.analysis.stats._bootstrap import CellLevels, bootstrap_means, resolve_rng
from assay.analysis.stats._inputs import check_confidence, check_number
from assay.errors import DegenerateDataWarning, InputError

__all__ = ["HPT_PENALTIES", "HPScoreCell", "HPScores", "hp_score"]

#: dataset penalties added to ``len(levels)`` for unsolved items in the HPT code
#: (devichand579/HPT); other datasets: pass your own ``penalty``
HPT_PENALTIES: Mapping[str, float] = {"boolq": 1.71, "csqa": 2.52, "iwslt": 1.92, "samsum": 2.23}


@dataclass(frozen=True, slots=True)
class HPScoreCell:
    """One model's HP-Score on one task.

    ``level_counts[j]`` counts items first solved at level ``j + 1``; ``n_unsolved``
    items scored ``len(levels) + penalty``; ``n_dropped`` items were left out because a
    level before the one that solved them (or any level, for unsolved items) was missing.
    """

    model_id: str
    task: str
    hp_score: float
    ci_low: float
    ci_high: float
    n_items: int
    n_unsolved: int
    n_dropped: int
    level_counts: tuple[int, ...]

    def confidence_interval(self) -> tuple[float, float]:
        """The bootstrap interval of the HP-Score."""
        return (self.ci_low, self.ci_high)


@dataclass(frozen=True)
class HPScores(TableView):
    """HP-Scores per model and task with percentile bootstrap intervals over items."""

    cells: tuple[HPScoreCell, ...]
    levels: tuple[str, ...]
    signature: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cells)

    def cell(self, model_id: str, task: str | None = None) -> HPScoreCell:
        """The cell of ``model_id`` (and ``task`` when several tasks are present)."""
        hits = [c for c in self.cells if c.model_id == model_id and task in (None, c.task)]
        if len(hits) != 1:
            raise InputError(
                f"no single HP-Score cell for model {model_id!r}, task {task!r}; "
                f"cells: {[(c.model_id, c.task) for c in self.cells]}"
            )
        return hits[0]

    def to_dict(self) -> dict[str, Any]:
        """Cells, levels and signature as plain Python values."""
        return {
            "cells": [asdict(c) for c in self.cells],
            "levels": list(self.levels),
            "signature": self.signature,
        }

    def to_pandas(self) -> pd.DataFrame:
        """One row per cell."""
        return pd.DataFrame([asdict(c) for c in self.cells])

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""
        cols = ["model", "task", "HP-Score", "CI", "items", "unsolved", "dropped"]
        cols += [f"L{j + 1} {name}" for j, name in enumerate(self.levels)]
        rows: list[list[object]] = [
            [
                c.model_id,
                c.task,
                c.hp_score,
                f"[{c.ci_low:.3f}, {c.ci_high:.3f}]",
                c.n_items,
                c.n_unsolved,
                c.n_dropped,
                *c.level_counts,
            ]
            for c in self.cells
        ]
        return cols, rows

    @property
    def title(self) -> str:
        conf = self.signature.get("confidence", 0.95)
        return f"HP-Score (lower = less scaffolding needed), {conf:.0%} bootstrap intervals"


def _frame(data: Any, metric: str | None, task: str | None) -> pd.DataFrame:
    from assay.store import Store

    if isinstance(data, Store):
        where: dict[str, Any] = {}
        if task is not None:
            where["task"] = task
        if metric is not None:
            where["metric"] = metric
        df = data.read("scores", where=where, format="pandas")
        if metric is None and df["metric"].nunique() > 1:
            raise InputError(
                f"the scores hold several metrics {sorted(df['metric'].unique())}; choose one "
                "with the 'metric' parameter (--metric on the command line)"
            )
        return df
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"hp_score needs a Store or a pandas DataFrame; got {type(data).__name__}")
    need = {"model_id", "item_id", "prompt_variant", "value"}
    missing = need - set(data.columns)
    if missing:
        raise InputError(f"hp_score: the frame lacks column(s) {sorted(missing)}")
    df = data.copy()
    if "task" not in df:
        df["task"] = task or ""
    elif task is not None:
        df = df[df["task"] == task]
    if metric is not None and "metric" in df:
        df = df[df["metric"] == metric]
    return df


def hp_score(
    data: Any,
    levels: Sequence[str],
    *,
    penalty: float = 1.0,
    threshold: float = 0.5,
    task: str | None = None,
    metric: str | None = None,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int | np.random.Generator | None = 0,
) -> HPScores:
    """The hierarchical prompting score of each model from its per-level item results.

    Parameters
    ----------
    data
        A :class:`~assay.store.Store` (its ``scores`` rows) or a long frame with columns
        ``model_id``, ``item_id``, ``prompt_variant``, ``value`` (and optionally ``task``,
        ``metric``). Samples and runs of the same item and level are averaged.
    levels
        The prompt variants in increasing order of scaffolding (HPT: role, zero-shot
        CoT, three-shot CoT, least-to-most, generated knowledge). Other variants are ignored.
    penalty
        Added to ``len(levels)`` for items no level solves. HPT's per-dataset values are
        in :data:`HPT_PENALTIES`; the default 1.0 for other datasets is assay's choice.
    threshold
        An item counts as solved at a level when its (sample-averaged) value is
        ``>= threshold`` (HPT uses 0.15-0.20 for BLEU/ROUGE on generation tasks).
    task, metric
        Restrict to one task / metric (the metric is required when several are stored).
    confidence, resamples, seed
        The percentile bootstrap over items.

    Returns
    -------
    HPScores
        One cell per model and task.

    Notes
    -----
    The harness runs every variant of every item; HPT stops at the first level that
    solves an item. The score only reads levels up to the first solving one, so the two
    agree; an item whose results stop (a level missing) before it is solved is dropped
    and counted, with a :class:`~assay.errors.DegenerateDataWarning`.

    References
    ----------
    Budagam, D. et al. (2024). Hierarchical prompting taxonomy: a universal evaluation
    framework for large language models. arXiv:2406.12644 (code: devichand579/HPT).
    """
    if isinstance(levels, str) or not isinstance(levels, Iterable):
        raise InputError(
            "the 'levels' parameter of hp_score must be a list of prompt variants in order; "
            f"got {levels!r}"
        )
    levels = [str(v) for v in levels]
    if not levels or len(set(levels)) != len(levels):
        raise InputError(
            f"the 'levels' parameter of hp_score must name distinct prompt variants; got {levels}"
        )
    check_number(penalty, "penalty", "hp_score", low=0, strict=False)
    check_number(threshold, "threshold", "hp_score", low=-math.inf)
    check_confidence(confidence, "hp_score")
    check_number(resamples, "resamples", "hp_score", low=1, strict=False, integer=True)
    df = _frame(data, metric, task)
    present = set(df["prompt_variant"].unique()) if len(df) else set()
    absent = [v for v in levels if v not in present]
    if len(absent) == len(levels):
        raise InputError(
            f"hp_score: none of the levels {levels} is a stored prompt variant; variants are "
            f"{sorted(present)}"
        )
    df = df[df["prompt_variant"].isin(levels) & df["value"].notna()]
    numeric = pd.to_numeric(df["value"], errors="coerce")
    bad = ~np.isfinite(numeric.to_numpy(dtype=np.float64))
    if bad.any():
        raise InputError(
            f"hp_score: column 'value' must hold finite numbers; got "
            f"{df['value'].to_numpy()[bad][0]!r} in {int(bad.sum())} row(s)"
        )
    df = df.assign(value=numeric)
    wide = (
        df.groupby(["model_id", "task", "item_id", "prompt_variant"])["value"]
        .mean()
        .unstack("prompt_variant")
        .reindex(columns=levels)
    )
    values = wide.to_numpy(dtype=np.float64)
    solved = values >= threshold
    observed = ~np.isnan(values)
    # the first solving level, and whether every earlier level was observed
    any_solved = solved.any(axis=1)
    first = np.where(any_solved, solved.argmax(axis=1), len(levels))
    prefix_ok = np.array(
        [observed[r, : min(f + 1, len(levels))].all() for r, f in enumerate(first)], dtype=bool
    )
    item_score = np.where(any_solved, first + 1.0, len(levels) + penalty)

    rng = resolve_rng(seed)
    keys = wide.index.droplevel(["item_id"])  # type: ignore[list-item]  # pandas-stubs: Sequence[Never]
    cells: list[HPScoreCell] = []
    cell_levels: list[CellLevels] = []
    n_dropped_total = 0
    for key, rows in pd.Series(np.arange(len(wide)), index=keys).groupby(level=[0, 1], sort=True):
        model_id, task_name = cast(tuple[str, str], key)
        r = rows.to_numpy()
        ok = r[prefix_ok[r]]
        dropped = int(r.size - ok.size)
        n_dropped_total += dropped
        if ok.size == 0:
            continue
        scores = item_score[ok]
        vals, counts = np.unique(scores, return_counts=True)
        cell_levels.append(CellLevels(vals, counts.astype(np.int64)))
        firsts = first[ok]
        cells.append(
            HPScoreCell(
                model_id=str(model_id),
                task=str(task_name),
                hp_score=float(scores.mean()),
                ci_low=float("nan"),
                ci_high=float("nan"),
                n_items=int(ok.size),
                n_unsolved=int((firsts == len(levels)).sum()),
                n_dropped=dropped,
                level_counts=tuple(int((firsts == j).sum()) for j in range(len(levels))),
            )
        )
    if n_dropped_total:
        warnings.warn(
            f"hp_score dropped {n_dropped_total} item(s) whose results are missing at a "
            "level before the one that solves them",
            DegenerateDataWarning,
            stacklevel=2,
        )
    if absent:
        warnings.warn(
            f"levels {absent} have no stored results",
            DegenerateDataWarning,
            stacklevel=2,
        )
    if cells:
        low, high = bootstrap_means(
            cell_levels, resamples=resamples, confidence=confidence, rng=rng
        )
        cells = [
            HPScoreCell(**{**asdict(c), "ci_low": float(lo), "ci_high": float(hi)})
            for c, lo, hi in zip(cells, low, high, strict=True)
        ]
    signature = {
        "method": "HP-Score (hierarchical prompting taxonomy), percentile bootstrap over items",
        "levels": levels,
        "penalty": penalty,
        "threshold": threshold,
        "metric": metric,
        "confidence": confidence,
        "resamples": resamples,
        "seed": seed if isinstance(seed, int) else None,
        "n": int(sum(c.n_items for c in cells)),
        "assay_version": __version__,
    }
    return HPScores(cells=tuple(cells), levels=tuple(levels), signature=signature)
