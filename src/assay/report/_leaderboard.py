"""The leaderboard: models x tasks means with intervals, task groups, adjacent separability."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.stats import norm

from assay._display import TableView, format_cell
from assay._version import __version__
from assay.analysis.stats import ScoreCell, scores_table
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import check_confidence, check_store, required_names
from assay.errors import InputError
from assay.report._inputs import check_text_map
from assay.store import Store

__all__ = [
    "Leaderboard",
    "LeaderboardRow",
    "Separability",
    "TaskColumn",
    "adjacent_separability",
    "leaderboard",
    "query_selection",
    "task_data_hashes",
    "task_groups",
]

_SEP = re.compile(r"[_/]")


@dataclass(frozen=True, slots=True)
class TaskColumn:
    """One task of the leaderboard: its group, headline metric and data hash."""

    task: str
    group: str | None
    metric: str
    data_hash: str | None
    n_models: int


@dataclass(frozen=True, slots=True)
class Separability:
    """Whether a model is distinguishable from the model ranked just below it.

    ``difference`` is the macro mean over the tasks both models have (per task, the mean
    of the paired item differences on the items both have); ``low``/``high`` its interval;
    ``separable`` is ``True`` when the interval excludes 0, ``None`` when the two share no
    scored item.
    """

    model: str
    next_model: str
    difference: float
    low: float
    high: float
    n_tasks: int
    n_items: int
    separable: bool | None


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    """One model: rank, macro mean over its tasks with an interval, and its cells."""

    model: str
    rank: int
    mean: float
    ci_low: float
    ci_high: float
    n_tasks: int
    cells: tuple[ScoreCell | None, ...]
    separability: Separability | None


@dataclass(frozen=True)
class Leaderboard(TableView):
    """Models ranked by their mean over the tasks of a group, with intervals everywhere.

    Attributes
    ----------
    tasks
        The task columns, in order.
    rows
        One row per model, best first.
    group
        The task group shown (``None``: every task).
    groups
        Every task group of the store.
    signature
        How the numbers were computed (the scores table's signature plus the ranking and
        separability methods).
    """

    tasks: tuple[TaskColumn, ...]
    rows: tuple[LeaderboardRow, ...]
    group: str | None
    groups: tuple[str, ...]
    signature: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, model: str) -> LeaderboardRow:
        """The row of ``model``."""
        for r in self.rows:
            if r.model == model:
                return r
        raise InputError(f"no leaderboard row for model {model!r}")

    @functools.cached_property
    def cells(self) -> tuple[ScoreCell, ...]:
        """Every cell of the table."""
        return tuple(c for r in self.rows for c in r.cells if c is not None)

    @functools.cached_property
    def _by_task(self) -> dict[str, tuple[ScoreCell, ...]]:
        out: dict[str, list[ScoreCell]] = {}
        for c in self.cells:
            out.setdefault(c.task, []).append(c)
        return {t: tuple(cs) for t, cs in out.items()}

    def task_cells(self, task: str) -> tuple[ScoreCell, ...]:
        """The cells of one task (empty when the task is not on the board)."""
        return self._by_task.get(task, ())

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display (cells as ``mean [low, high]``)."""
        cols = ["rank", "model", "mean", "95% CI", "separable from next", "tasks"]
        cols += [t.task for t in self.tasks]
        rows: list[list[object]] = []
        for r in self.rows:
            sep = r.separability
            row: list[object] = [
                r.rank,
                r.model,
                r.mean,
                f"[{r.ci_low:.4f}, {r.ci_high:.4f}]",
                None
                if sep is None or sep.separable is None
                else ("yes" if sep.separable else "no"),
                f"{r.n_tasks}/{len(self.tasks)}",
            ]
            row += [
                None if c is None else f"{c.mean:.3f} [{c.ci_low:.3f}, {c.ci_high:.3f}]"
                for c in r.cells
            ]
            rows.append(row)
        return cols, rows

    def to_dict(self) -> dict[str, Any]:
        """Rows, tasks and signature as plain JSON-serialisable values."""
        return {
            "group": self.group,
            "groups": list(self.groups),
            "tasks": [
                {
                    "task": t.task,
                    "group": t.group,
                    "metric": t.metric,
                    "data_hash": t.data_hash,
                    "n_models": t.n_models,
                }
                for t in self.tasks
            ],
            "rows": [
                {
                    "model": r.model,
                    "rank": r.rank,
                    "mean": r.mean,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "n_tasks": r.n_tasks,
                    "separability": None
                    if r.separability is None
                    else {
                        "next_model": r.separability.next_model,
                        "difference": _finite(r.separability.difference),
                        "low": _finite(r.separability.low),
                        "high": _finite(r.separability.high),
                        "separable": r.separability.separable,
                    },
                    "cells": {
                        t.task: None
                        if c is None
                        else {
                            "mean": c.mean,
                            "ci_low": c.ci_low,
                            "ci_high": c.ci_high,
                            "n_items": c.n_items,
                            "runs": list(c.runs),
                        }
                        for t, c in zip(self.tasks, r.cells, strict=True)
                    },
                }
                for r in self.rows
            ],
            "signature": self.signature,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @property
    def title(self) -> str:
        scope = f"task group {self.group}" if self.group else "all tasks"
        return f"leaderboard ({scope}), {self.signature.get('confidence', 0.95):.0%} intervals"


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- groups


def task_groups(
    store: Store, tasks: Sequence[str], groups: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """The group of each task.

    In order: ``groups`` given explicitly; the parent group lm-evaluation-harness recorded
    (``group_subtasks`` in a run's metadata); the task name's first segment before ``_``
    or ``/`` when at least two tasks share it (assay's choice); otherwise no group.
    """
    check_store(store, "task_groups")
    tasks = required_names(tasks, "tasks", "task_groups")
    groups = check_text_map(groups, "groups", "task_groups")
    out: dict[str, str | None] = dict.fromkeys(tasks)
    parents: dict[str, str] = {}
    meta = store.query(
        "SELECT DISTINCT metadata FROM runs WHERE metadata LIKE '%group_subtasks%'"
    ).column("metadata")
    for text in meta.to_pylist():
        try:
            subtasks = json.loads(text).get("group_subtasks") or {}
        except (ValueError, AttributeError):
            continue
        for parent, children in subtasks.items():
            for child in children or ():
                parents.setdefault(str(child), str(parent))
    prefix_count: dict[str, int] = {}
    for t in tasks:
        p = _SEP.split(t, maxsplit=1)[0]
        prefix_count[p] = prefix_count.get(p, 0) + 1
    for t in tasks:
        if groups and t in groups:
            out[t] = groups[t]
        elif t in parents:
            out[t] = parents[t]
        else:
            p = _SEP.split(t, maxsplit=1)[0]
            out[t] = p if p != t and prefix_count[p] >= 2 else None
    return out


def task_data_hashes(store: Store, tasks: Sequence[str] | None = None) -> dict[str, str]:
    """A hash of each task's stored items (version, id, input, target), 16 hex digits.

    This is the "dataset hash" shown beside every number: two stores with the same hash
    for a task scored the same items with the same text.
    """
    where = ""
    params: list[Any] = []
    if tasks is not None:
        if not tasks:
            return {}
        where = f"WHERE task IN ({', '.join('?' * len(tasks))})"
        params = list(tasks)
    rows = store.query(
        f"""SELECT task, substr(md5(string_agg(
                concat_ws(chr(31), task_version, item_id, coalesce(input, ''),
                          coalesce(target, '')), chr(30) ORDER BY task_version, item_id)), 1, 16)
                AS h
            FROM items {where} GROUP BY task""",
        params,
    ).to_pylist()
    return {r["task"]: r["h"] for r in rows}


# --------------------------------------------------------------------------- separability


def _selection_table(cells: Sequence[ScoreCell]) -> pa.Table:
    rows = {"model_id": [], "task": [], "metric": [], "run_id": []}  # type: dict[str, list[str]]
    for c in cells:
        for run in c.runs:
            rows["model_id"].append(c.model_id)
            rows["task"].append(c.task)
            rows["metric"].append(c.metric)
            rows["run_id"].append(run)
    return pa.table(rows, schema=pa.schema([(k, pa.string()) for k in rows]))


def query_selection(
    store: Store,
    cells: Sequence[ScoreCell],
    sql: str,
    params: Sequence[Any] | None = None,
    *,
    extra: Mapping[str, pa.Table] | None = None,
) -> pa.Table:
    """Run ``sql`` with the table ``_assay_sel`` (model_id, task, metric, run_id: the rows
    behind ``cells``) and the ``extra`` tables visible to it."""
    # a cursor is a connection of its own: the registered tables stay local to it
    con = store.connection.cursor()
    try:
        con.register("_assay_sel", _selection_table(cells))
        for name, table in (extra or {}).items():
            con.register(name, table)
        return con.sql(sql, params=list(params or [])).to_arrow_table()
    finally:
        con.close()


def adjacent_separability(
    store: Store,
    order: Sequence[str],
    cells: Sequence[ScoreCell],
    *,
    confidence: float = 0.95,
) -> list[Separability]:
    """Paired intervals of the difference between each model and the next one in ``order``.

    For models ``a`` and ``b`` and each task both have, the item values of the runs and
    metric of their cells are paired on the items both have; the per-task mean
    difference ``d_t`` has variance ``s_t^2 / n_t`` (sample variance of the paired
    differences). The pair's difference is the macro mean of ``d_t`` over the shared
    tasks, with a normal interval from the summed variances (tasks independent). The
    pair is separable when the interval excludes 0.

    This normal approximation on paired item differences is assay's choice, made so that
    a leaderboard of a thousand models is checked in one SQL pass; it stands in until the
    separability table of :mod:`assay.analysis.stats` is available.

    References
    ----------
    Miller, E. (2024). Adding error bars to evals: a statistical approach to language
    model evaluations. arXiv:2411.00640 (paired differences, clustered standard errors).
    """
    check_store(store, "adjacent_separability")
    order = required_names(order, "order", "adjacent_separability")
    twice = sorted({m for m in order if order.count(m) > 1})
    if twice:
        raise InputError(
            f"the 'order' parameter of adjacent_separability names each model once; "
            f"got {twice} more than once"
        )
    cells = _check_cells(cells, "cells", "adjacent_separability")
    confidence = check_confidence(confidence, "adjacent_separability")
    if len(order) < 2:
        return []
    pairs = pa.table(
        {
            "pos": pa.array(range(len(order) - 1), pa.int64()),
            "a": pa.array(order[:-1], pa.string()),
            "b": pa.array(order[1:], pa.string()),
        }
    )
    stats = query_selection(
        store,
        cells,
        """
                WITH v AS (
                    SELECT s.model_id, s.task, s.item_id, avg(s.value) AS v
                    FROM scores s JOIN _assay_sel USING (model_id, task, metric, run_id)
                    WHERE s.value IS NOT NULL AND NOT isnan(s.value)
                    GROUP BY ALL
                ),
                d AS (
                    SELECT p.pos, va.task, va.v - vb.v AS d
                    FROM _assay_pairs p
                    JOIN v va ON va.model_id = p.a
                    JOIN v vb ON vb.model_id = p.b AND vb.task = va.task
                              AND vb.item_id = va.item_id
                )
                SELECT pos, task, avg(d) AS m, coalesce(var_samp(d), 0) AS var, count(*) AS n
                FROM d GROUP BY pos, task ORDER BY pos, task
                """,
        extra={"_assay_pairs": pairs},
    )
    z = float(norm.ppf((1 + confidence) / 2))
    pos = stats.column("pos").to_numpy()
    m = stats.column("m").to_numpy()
    var = stats.column("var").to_numpy()
    n = stats.column("n").to_numpy()
    out: list[Separability] = []
    for p in range(len(order) - 1):
        sel_p = pos == p
        k = int(sel_p.sum())
        if k == 0:
            out.append(
                Separability(order[p], order[p + 1], math.nan, math.nan, math.nan, 0, 0, None)
            )
            continue
        diff = float(m[sel_p].mean())
        se = float(np.sqrt((var[sel_p] / n[sel_p]).sum()) / k)
        low, high = diff - z * se, diff + z * se
        out.append(
            Separability(
                model=order[p],
                next_model=order[p + 1],
                difference=diff,
                low=low,
                high=high,
                n_tasks=k,
                n_items=int(n[sel_p].sum()),
                separable=bool(low > 0 or high < 0),
            )
        )
    return out


# --------------------------------------------------------------------------- leaderboard


def leaderboard(
    store: Store,
    *,
    group: str | None = None,
    groups: Mapping[str, str] | None = None,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int | np.random.Generator | None = 0,
    table: Sequence[ScoreCell] | None = None,
    table_signature: Mapping[str, Any] | None = None,
) -> Leaderboard:
    """Rank the models of a store by their macro mean over a group's tasks.

    Parameters
    ----------
    store
        The store (item-level ``scores`` rows are read through
        :func:`assay.analysis.stats.scores_table`).
    group
        Only the tasks of this group (see :func:`task_groups`); ``None`` for all tasks.
    groups
        Explicit ``{task: group}`` assignments, overriding the derived ones.
    confidence, resamples, seed
        Of the per-cell bootstrap intervals.
    table, table_signature
        Precomputed cells of ``scores_table`` (all tasks) and their signature, to reuse
        one bootstrap for several groups.

    Returns
    -------
    Leaderboard
        Models best first. A model's interval combines its per-task interval half-widths
        as independent normal errors, ``sqrt(sum se_t^2) / T`` with
        ``se_t = (high_t - low_t) / (2 z)`` (assay's choice); models with fewer tasks than
        the group are ranked on the tasks they have and show their coverage.
    """
    check_store(store, "leaderboard")
    confidence = check_confidence(confidence, "leaderboard")
    resolve_rng(seed, "leaderboard")  # refuses a seed numpy cannot use, up front
    groups = check_text_map(groups, "groups", "leaderboard")
    if table_signature is not None and not isinstance(table_signature, Mapping):
        raise InputError(
            "the 'table_signature' parameter of leaderboard must be a mapping; "
            f"got {type(table_signature).__name__}"
        )
    if table is None:
        st = scores_table(store, confidence=confidence, resamples=resamples, seed=seed)
        cells, sig = st.cells, dict(st.signature)
    else:
        cells = _check_cells(table, "table", "leaderboard")
        sig = dict(table_signature or {})
    all_tasks = sorted({c.task for c in cells})
    grouping = task_groups(store, all_tasks, groups)
    group_names = tuple(sorted({g for g in grouping.values() if g is not None}))
    if group is not None and group not in group_names:
        raise InputError(
            f"the 'group' parameter of leaderboard must be one of {list(group_names)} or "
            f"None; got {group!r}"
        )
    tasks = [t for t in all_tasks if group is None or grouping[t] == group]
    task_set = set(tasks)
    cells = tuple(c for c in cells if c.task in task_set)
    hashes = task_data_hashes(store, tasks)
    by_model: dict[str, dict[str, ScoreCell]] = {}
    for c in cells:
        by_model.setdefault(c.model_id, {})[c.task] = c
    z = float(norm.ppf((1 + confidence) / 2))
    summary = []
    for model, mc in by_model.items():
        means = np.array([c.mean for c in mc.values()])
        half = np.array([(c.ci_high - c.ci_low) / (2 * z) for c in mc.values()])
        mean = float(means.mean())
        se = float(np.sqrt((half**2).sum()) / len(means))
        summary.append((model, mean, mean - z * se, mean + z * se, len(mc)))
    summary.sort(key=lambda s: (-s[1], s[0]))
    order = [s[0] for s in summary]
    seps = adjacent_separability(store, order, cells, confidence=confidence)
    rows = []
    rank = 0
    previous = math.inf
    for i, (model, mean, lo, hi, k) in enumerate(summary):
        if mean < previous:
            rank = i + 1
            previous = mean
        rows.append(
            LeaderboardRow(
                model=model,
                rank=rank,
                mean=mean,
                ci_low=lo,
                ci_high=hi,
                n_tasks=k,
                cells=tuple(by_model[model].get(t) for t in tasks),
                separability=seps[i] if i < len(seps) else None,
            )
        )
    n_models = {t: 0 for t in tasks}
    for c in cells:
        n_models[c.task] += 1
    columns = tuple(
        TaskColumn(
            task=t,
            group=grouping[t],
            metric=next(c.metric for c in cells if c.task == t),
            data_hash=hashes.get(t),
            n_models=n_models[t],
        )
        for t in tasks
    )
    sig.update(
        {
            "ranking": "macro mean over the model's tasks; interval from per-task half-widths",
            "separability": "paired item differences, macro over shared tasks, normal interval",
            "group": group,
            "assay_version": __version__,
        }
    )
    return Leaderboard(columns, tuple(rows), group, group_names, sig)


def _check_cells(cells: object, name: str, func: str) -> tuple[ScoreCell, ...]:
    """``cells`` as a tuple of :class:`~assay.analysis.stats.ScoreCell`."""
    if isinstance(cells, str | bytes) or not isinstance(cells, Sequence):
        raise InputError(
            f"the {name!r} parameter of {func} must be a sequence of ScoreCell (the cells "
            f"of assay.analysis.stats.scores_table); got {type(cells).__name__}"
        )
    for c in cells:
        if not isinstance(c, ScoreCell):
            raise InputError(
                f"the {name!r} parameter of {func} must hold ScoreCell objects; "
                f"got {type(c).__name__}"
            )
    return tuple(cells)


def describe_cell(cell: ScoreCell, data_hash: str | None) -> str:
    """The provenance of one cell as one line (the tooltip of a number)."""
    return (
        f"{cell.model_id} on {cell.task}: {format_cell(cell.mean)} "
        f"[{format_cell(cell.ci_low)}, {format_cell(cell.ci_high)}]; metric {cell.metric}; "
        f"{cell.n_items} items, {cell.n_missing} missing; runs {', '.join(cell.runs)}; "
        f"data {data_hash or 'unhashed'}; assay {__version__}"
    )
