"""The model x task scores table: means of stored item rows with bootstrap intervals.

Which score rows a statistic reads (each task's metric, each model's latest run) is
decided here once, by :func:`score_selection`, for the table and for the comparisons.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from assay._display import TableView
from assay._version import __version__
from assay.analysis.stats._bootstrap import CellLevels, bootstrap_means, resolve_rng
from assay.analysis.stats._inputs import (
    check_choice,
    check_confidence,
    check_names,
    check_resamples,
    check_store,
    seed_of,
)
from assay.errors import InputError
from assay.store import Store

__all__ = [
    "PRIMARY_METRICS",
    "RunPolicy",
    "ScoreCell",
    "ScoresTable",
    "score_selection",
    "scores_table",
]

RunPolicy = Literal["latest", "all"]

#: metric base names (before "," or "/") taken as a task's headline metric, in order
PRIMARY_METRICS: tuple[str, ...] = (
    "acc",
    "accuracy",
    "exact_match",
    "em",
    "pass@1",
    "passed",
    "correct",
    "match",
    "choice",
    "includes",
    "score",
    "quasi_exact_match",
    "f1",
)


@dataclass(frozen=True, slots=True)
class ScoreCell:
    """One model's mean on one task, with its interval and what it was computed from."""

    model_id: str
    task: str
    metric: str
    mean: float
    ci_low: float
    ci_high: float
    n_items: int
    n_missing: int
    runs: tuple[str, ...]


@dataclass(frozen=True)
class ScoresTable(TableView):
    """Means of item scores per model and task with percentile bootstrap intervals.

    Items are the resampling unit: the samples of an item (repeated trials, several
    runs when ``runs="all"``) are averaged first, so correlated samples never count as
    independent items. Items whose every value is missing are left out and counted in
    ``n_missing``.
    """

    cells: tuple[ScoreCell, ...]
    signature: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cells)

    def cell(self, model_id: str, task: str) -> ScoreCell:
        """The cell of ``model_id`` on ``task``."""
        for c in self.cells:
            if c.model_id == model_id and c.task == task:
                return c
        raise InputError(f"ScoresTable.cell: no score for model {model_id!r} on task {task!r}")

    def to_arrow(self) -> pa.Table:
        """One row per cell (``runs`` as a list column)."""
        rows = [asdict(c) for c in self.cells]
        for r in rows:
            r["runs"] = list(r["runs"])
        schema = pa.schema(
            [
                ("model_id", pa.string()),
                ("task", pa.string()),
                ("metric", pa.string()),
                ("mean", pa.float64()),
                ("ci_low", pa.float64()),
                ("ci_high", pa.float64()),
                ("n_items", pa.int64()),
                ("n_missing", pa.int64()),
                ("runs", pa.list_(pa.string())),
            ]
        )
        return pa.Table.from_pylist(rows, schema=schema)

    def to_pandas(self) -> Any:
        """The cells as a pandas DataFrame."""
        return self.to_arrow().to_pandas()

    def to_dict(self) -> dict[str, Any]:
        """Cells and signature as plain Python values (JSON-serialisable)."""
        cells = []
        for c in self.cells:
            d = asdict(c)
            d["runs"] = list(c.runs)
            cells.append(d)
        return {"cells": cells, "signature": self.signature}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_rows(
        self, layout: Literal["long", "wide"] = "long"
    ) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display.

        ``"long"``: one row per cell. ``"wide"``: one row per model, one column per task,
        cells as ``mean [low, high]``.
        """
        if layout == "long":
            cols = ["model", "task", "metric", "mean", "95% CI", "items", "missing"]
            rows: list[list[object]] = [
                [
                    c.model_id,
                    c.task,
                    c.metric,
                    c.mean,
                    f"[{c.ci_low:.4f}, {c.ci_high:.4f}]",
                    c.n_items,
                    c.n_missing,
                ]
                for c in self.cells
            ]
            return cols, rows
        tasks = sorted({c.task for c in self.cells})
        models = sorted({c.model_id for c in self.cells})
        lookup = {(c.model_id, c.task): c for c in self.cells}
        cols = ["model", *tasks]
        rows = []
        for m in models:
            row: list[object] = [m]
            for t in tasks:
                c = lookup.get((m, t))
                row.append(f"{c.mean:.3f} [{c.ci_low:.3f}, {c.ci_high:.3f}]" if c else None)
            rows.append(row)
        return cols, rows

    @property
    def title(self) -> str:
        conf = self.signature.get("confidence", 0.95)
        return f"mean score per model and task, {conf:.0%} bootstrap intervals"


def _primary(metrics: Sequence[tuple[str, int]]) -> str:
    """The headline metric among ``(metric, rows)`` pairs of one task."""

    def base(m: str) -> str:
        return m.replace("/", ",").split(",")[0] if "," in m else m.split("/")[-1]

    for wanted in PRIMARY_METRICS:
        hits = [m for m, _ in metrics if base(m) == wanted]
        if hits:
            return sorted(hits, key=lambda m: (not m.endswith(",none"), m))[0]
    return sorted(metrics, key=lambda mc: (-mc[1], mc[0]))[0][0]


def _task_filter(
    tasks: Sequence[str] | None, models: Sequence[str] | None
) -> tuple[str, list[Any]]:
    filters: list[str] = []
    params: list[Any] = []
    if tasks is not None:
        filters.append(f"s.task IN ({', '.join('?' * len(tasks))})" if tasks else "FALSE")
        params.extend(tasks)
    if models is not None:
        filters.append(f"s.model_id IN ({', '.join('?' * len(models))})" if models else "FALSE")
        params.extend(models)
    return (" AND ".join(filters) if filters else "TRUE"), params


def _metrics(
    store: Store, where: str, params: list[Any], metric: str | dict[str, str] | None, func: str
) -> list[tuple[str, str]]:
    """The ``(task, metric)`` pairs to read: the metric asked for or the headline one."""
    available = store.query(
        f"SELECT task, metric, count(*) AS n FROM scores s WHERE {where} GROUP BY ALL", params
    ).to_pylist()
    by_task: dict[str, list[tuple[str, int]]] = {}
    for r in available:
        by_task.setdefault(r["task"], []).append((r["metric"], r["n"]))
    chosen: dict[str, str] = {}
    for task, ms in by_task.items():
        wanted = metric if metric is None or isinstance(metric, str) else metric.get(task)
        if wanted is None:
            chosen[task] = _primary(ms)
        elif any(m == wanted for m, _ in ms):
            chosen[task] = wanted
    if isinstance(metric, str) and not chosen and by_task:
        known = sorted({m for ms in by_task.values() for m, _ in ms})
        raise InputError(
            f"{func}: no scores with metric {metric!r}; stored metrics are {known[:20]}"
        )
    return sorted(chosen.items())


_LATEST = """
    JOIN (
        SELECT model_id, task, metric, run_id FROM (
            SELECT DISTINCT s.model_id, s.task, s.metric, s.run_id, r.created_at
            FROM sel s LEFT JOIN runs r USING (run_id)
        )
        QUALIFY row_number() OVER (
            PARTITION BY model_id, task, metric
            ORDER BY created_at DESC NULLS LAST, run_id DESC) = 1
    ) latest USING (model_id, task, metric, run_id)"""


def score_selection(
    store: Store,
    *,
    models: Sequence[str] | None,
    tasks: Sequence[str] | None,
    metric: str | dict[str, str] | None,
    runs: RunPolicy,
    func: str,
) -> tuple[str, list[Any]] | None:
    """The SQL of the chosen score rows (CTEs ``sel`` and ``picked``) and its parameters.

    ``None`` when no task has the metric. See :func:`scores_table` for ``metric`` and
    ``runs``.
    """
    check_choice(runs, RunPolicy, "runs", func)
    if not (
        metric is None
        or isinstance(metric, str)
        or (
            isinstance(metric, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in metric.items())
        )
    ):
        raise InputError(
            f"the 'metric' parameter of {func} must be a metric name, a {{task: metric}} "
            f"mapping of names, or None; got {metric!r}"
        )
    where, params = _task_filter(tasks, models)
    pairs = _metrics(store, where, params, metric, func)
    if not pairs:
        return None
    pair_sql = " OR ".join("(s.task = ? AND s.metric = ?)" for _ in pairs)
    sql = f"""
    WITH sel AS (
        SELECT s.* FROM scores s WHERE ({where}) AND ({pair_sql})
    ),
    picked AS (SELECT * FROM sel {_LATEST if runs == "latest" else ""})"""
    return sql, params + [x for tm in pairs for x in tm]


def scores_table(
    store: Store,
    *,
    metric: str | dict[str, str] | None = None,
    tasks: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    runs: RunPolicy = "latest",
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int | np.random.Generator | None = 0,
) -> ScoresTable:
    """Mean score of each model on each task, with a percentile bootstrap interval.

    Parameters
    ----------
    store
        The store to read item-level ``scores`` rows from.
    metric
        The metric to average: one name for every task, a ``{task: metric}`` mapping, or
        ``None`` to take each task's headline metric (the first of
        :data:`PRIMARY_METRICS` present, preferring the unfiltered ``",none"`` variant of
        lm-eval metrics; otherwise the metric with the most rows).
    tasks, models
        Restrict to these tasks / models.
    runs
        ``"latest"``: for each model and task, use only the most recent run (by creation
        time, then run id), so that re-runs never mix. ``"all"``: pool every run, samples
        of the same item averaged together.
    confidence
        Two-sided level of the intervals.
    resamples
        Bootstrap resamples per cell.
    seed
        Seed or generator for the resampling; the same seed gives the same intervals.

    Returns
    -------
    ScoresTable
        One cell per model and task with item rows, and the signature of the computation.

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13.
    Miller, E. (2024). Adding error bars to evals. arXiv:2411.00640 (clustered intervals).
    """
    func = "scores_table"
    check_store(store, func)
    check_choice(runs, RunPolicy, "runs", func)
    check_confidence(confidence, func)
    check_resamples(resamples, func)
    rng = resolve_rng(seed, func)
    tasks = check_names(tasks, "tasks", func)
    models = check_names(models, "models", func)
    sel = score_selection(store, models=models, tasks=tasks, metric=metric, runs=runs, func=func)
    if sel is None:
        return ScoresTable((), _signature(confidence, resamples, seed, runs, metric, []))
    head, params = sel
    sql = f"""{head},
    per_item AS (
        -- an item's samples averaged, NaN (ungradable) samples left out as the item
        -- readers of compare and rank_models do: missing only when all samples are
        SELECT model_id, task, metric, item_id,
               avg(CASE WHEN isnan(value) THEN NULL ELSE value END) AS v
        FROM picked GROUP BY ALL
    ),
    levels AS (
        SELECT model_id, task, metric, v, count(*) AS c
        FROM per_item WHERE v IS NOT NULL AND NOT isnan(v) GROUP BY ALL
    ),
    missing AS (
        SELECT model_id, task, metric, count(*) FILTER (WHERE v IS NULL OR isnan(v)) AS n_missing
        FROM per_item GROUP BY ALL
    ),
    used_runs AS (
        SELECT model_id, task, metric, list(DISTINCT run_id ORDER BY run_id) AS runs
        FROM picked GROUP BY ALL
    )
    SELECT l.model_id, l.task, l.metric, l.v, l.c, m.n_missing, u.runs
    FROM levels l JOIN missing m USING (model_id, task, metric)
                  JOIN used_runs u USING (model_id, task, metric)
    ORDER BY l.model_id, l.task, l.metric, l.v
    """
    tab = store.query(sql, params)
    model_col = tab.column("model_id").to_numpy(zero_copy_only=False)
    task_col = tab.column("task").to_numpy(zero_copy_only=False)
    v = tab.column("v").to_numpy(zero_copy_only=False).astype(np.float64)
    c = tab.column("c").to_numpy(zero_copy_only=False).astype(np.int64)
    n_missing = tab.column("n_missing").to_numpy(zero_copy_only=False)
    runs_col = tab.column("runs").to_pylist()
    metric_col = tab.column("metric").to_numpy(zero_copy_only=False)

    if len(v):
        change = (
            np.flatnonzero((model_col[1:] != model_col[:-1]) | (task_col[1:] != task_col[:-1])) + 1
        )
        starts = np.concatenate([[0], change])
        stops = np.concatenate([change, [len(v)]])
    else:
        starts = stops = np.array([], dtype=np.int64)
    levels = [CellLevels(v[a:b], c[a:b]) for a, b in zip(starts, stops, strict=True)]
    low, high = bootstrap_means(levels, resamples=resamples, confidence=confidence, rng=rng)
    cells = tuple(
        ScoreCell(
            model_id=str(model_col[a]),
            task=str(task_col[a]),
            metric=str(metric_col[a]),
            mean=lv.mean,
            ci_low=float(low[i]),
            ci_high=float(high[i]),
            n_items=lv.n,
            n_missing=int(n_missing[a]),
            runs=tuple(runs_col[a]),
        )
        for i, (a, lv) in enumerate(zip(starts, levels, strict=True))
    )
    used = sorted({r for cell in cells for r in cell.runs})
    return ScoresTable(cells, _signature(confidence, resamples, seed, runs, metric, used))


def _signature(
    confidence: float,
    resamples: int,
    seed: int | np.random.Generator | None,
    runs: str,
    metric: str | dict[str, str] | None,
    run_ids: list[str],
) -> dict[str, Any]:
    return {
        "method": "percentile bootstrap, items resampled (samples averaged per item)",
        "confidence": confidence,
        "resamples": resamples,
        "seed": seed_of(seed),
        "runs": runs,
        "metric": metric if metric is not None else "primary per task",
        "runs_hash": hashlib.sha256("\n".join(run_ids).encode()).hexdigest()[:16],
        "n_runs": len(run_ids),
        "assay_version": __version__,
    }
