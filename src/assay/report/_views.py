"""What each page shows, read from the store: model, task, item explorer, pairwise views.

Every view is a frozen dataclass of plain values computed from stored rows; the web app
and the static export render the same views with the same templates.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from assay._display import TableView
from assay.analysis.ranking import BradleyTerry, Ratings
from assay.analysis.stats import ScoreCell
from assay.errors import AssayWarning, InputError
from assay.report._leaderboard import Leaderboard, query_selection
from assay.store import Store

__all__ = [
    "HistoryPoint",
    "ItemRow",
    "ItemsPage",
    "ModelView",
    "PairwiseView",
    "SkillScore",
    "TaskView",
    "items_page",
    "model_view",
    "pairwise_view",
    "task_view",
]

#: item metadata keys read as skills / categories, in order (assay's choice)
SKILL_KEYS: tuple[str, ...] = ("skills", "skill", "subject", "category", "tags", "topic")


@dataclass(frozen=True, slots=True)
class SkillScore:
    """A model's mean on the items tagged with one skill (from item metadata)."""

    skill: str
    mean: float
    n_items: int


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """A model's mean on a task in one run."""

    run_id: str
    created_at: str | None
    task: str
    metric: str
    mean: float
    n_items: int


@dataclass(frozen=True)
class ModelView(TableView):
    """Everything the model page shows."""

    model: str
    cells: tuple[ScoreCell, ...]
    rank: int | None
    n_ranked: int
    skills: tuple[SkillScore, ...]
    history: tuple[HistoryPoint, ...]
    metadata: dict[str, Any]
    rating: dict[str, Any] | None = None

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["task", "metric", "mean", "95% CI", "items", "runs"]
        rows: list[list[object]] = [
            [
                c.task,
                c.metric,
                c.mean,
                f"[{c.ci_low:.4f}, {c.ci_high:.4f}]",
                c.n_items,
                " ".join(c.runs),
            ]
            for c in self.cells
        ]
        return cols, rows

    @property
    def title(self) -> str:
        return f"scores of {self.model}"


@dataclass(frozen=True)
class TaskView(TableView):
    """Everything the task page shows but the item explorer."""

    task: str
    metric: str
    cells: tuple[ScoreCell, ...]
    n_items: int
    difficulty: tuple[float, ...]
    disagreement: tuple[dict[str, Any], ...]
    data_hash: str | None
    versions: tuple[str, ...]

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["model", "mean", "95% CI", "items", "runs"]
        rows: list[list[object]] = [
            [c.model_id, c.mean, f"[{c.ci_low:.4f}, {c.ci_high:.4f}]", c.n_items, " ".join(c.runs)]
            for c in self.cells
        ]
        return cols, rows

    @property
    def title(self) -> str:
        return f"{self.task} ({self.metric})"


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One model's answer to one item."""

    model: str
    run_id: str
    sample_index: int
    prompt_variant: str
    output: str | None
    status: str | None
    error: str | None
    score: float | None


@dataclass(frozen=True)
class ItemsPage:
    """One page of the item explorer: items with every model's output and score."""

    task: str
    metric: str
    page: int
    per_page: int
    n_items: int
    items: tuple[dict[str, Any], ...]

    @property
    def n_pages(self) -> int:
        return max(1, math.ceil(self.n_items / self.per_page))


@dataclass(frozen=True)
class PairwiseView:
    """Win rates and Bradley-Terry ratings from the stored pairwise verdicts."""

    task: str
    judge: str | None
    tasks: tuple[str, ...]
    judges: tuple[str, ...]
    models: tuple[str, ...]
    win_rate: tuple[tuple[float | None, ...], ...]
    battles: tuple[tuple[int, ...], ...]
    predicted: tuple[tuple[float | None, ...], ...]
    ratings: Ratings
    n_battles: int
    signature: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- builders


def model_view(store: Store, board: Leaderboard, model: str) -> ModelView:
    """The model page of ``model`` from the all-task leaderboard ``board``."""
    row = next((r for r in board.rows if r.model == model), None)
    cells = tuple(c for c in (row.cells if row else ()) if c is not None)
    meta_rows = store.read("models", where={"model_id": model}).to_pylist()
    if row is None and not meta_rows:
        known = store.query(
            "SELECT count(*) AS n FROM comparisons WHERE model_a = ? OR model_b = ?",
            [model, model],
        ).column("n")[0]
        if not known.as_py():
            raise InputError(f"no model {model!r} in the store")
    metadata: dict[str, Any] = {}
    if meta_rows:
        m = meta_rows[0]
        metadata = {
            k: v for k, v in m.items() if k not in ("model_id", "metadata") and v is not None
        }
        if m.get("metadata"):
            try:
                metadata["metadata"] = json.loads(m["metadata"])
            except ValueError:
                metadata["metadata"] = m["metadata"]
    skills: tuple[SkillScore, ...] = ()
    history: tuple[HistoryPoint, ...] = ()
    if cells:
        skills = _skills(store, cells)
        history = _history(store, model, cells)
    return ModelView(
        model=model,
        cells=cells,
        rank=row.rank if row else None,
        n_ranked=len(board.rows),
        skills=skills,
        history=history,
        metadata=metadata,
    )


def _skills(store: Store, cells: Sequence[ScoreCell]) -> tuple[SkillScore, ...]:
    keys = ", ".join(f"json_extract(i.metadata, '$.{k}')" for k in SKILL_KEYS)
    tab = query_selection(
        store,
        cells,
        f"""
        WITH v AS (
            SELECT s.task, s.item_id, avg(s.value) AS v
            FROM scores s JOIN _assay_sel USING (model_id, task, metric, run_id)
            WHERE s.value IS NOT NULL AND NOT isnan(s.value) GROUP BY ALL
        ),
        tagged AS (
            SELECT DISTINCT i.task, i.item_id, coalesce({keys}) AS tag
            FROM items i WHERE i.metadata IS NOT NULL
              AND i.task IN (SELECT DISTINCT task FROM _assay_sel)
        )
        SELECT v.v, t.tag FROM v JOIN tagged t USING (task, item_id) WHERE t.tag IS NOT NULL
        """,
    )
    sums: dict[str, list[float]] = {}
    for v, tag in zip(tab.column("v").to_pylist(), tab.column("tag").to_pylist(), strict=True):
        try:
            parsed = json.loads(tag)
        except (TypeError, ValueError):
            parsed = tag
        for t in parsed if isinstance(parsed, list) else [parsed]:
            sums.setdefault(str(t), []).append(float(v))
    return tuple(
        SkillScore(skill=k, mean=float(np.mean(vs)), n_items=len(vs))
        for k, vs in sorted(sums.items())
    )


def _history(store: Store, model: str, cells: Sequence[ScoreCell]) -> tuple[HistoryPoint, ...]:
    pairs = [(c.task, c.metric) for c in cells]
    cond = " OR ".join("(s.task = ? AND s.metric = ?)" for _ in pairs)
    rows = store.query(
        f"""
        WITH per_item AS (
            SELECT s.run_id, s.task, s.metric, s.item_id, avg(s.value) AS v
            FROM scores s WHERE s.model_id = ? AND ({cond})
              AND s.value IS NOT NULL AND NOT isnan(s.value) GROUP BY ALL
        )
        SELECT p.run_id, CAST(r.created_at AS VARCHAR) AS created_at, p.task, p.metric,
               avg(p.v) AS mean, count(*) AS n
        FROM per_item p LEFT JOIN runs r USING (run_id)
        GROUP BY p.run_id, r.created_at, p.task, p.metric
        ORDER BY r.created_at NULLS FIRST, p.run_id, p.task
        """,
        [model, *[x for p in pairs for x in p]],
    ).to_pylist()
    return tuple(
        HistoryPoint(r["run_id"], r["created_at"], r["task"], r["metric"], r["mean"], r["n"])
        for r in rows
    )


def task_view(store: Store, board: Leaderboard, task: str, *, top: int = 20) -> TaskView:
    """The task page of ``task`` from the all-task leaderboard ``board``."""
    col = next((t for t in board.tasks if t.task == task), None)
    if col is None:
        raise InputError(f"no item-level scores for task {task!r}")
    cells = tuple(
        sorted(
            board.task_cells(task),
            key=lambda c: (-c.mean, c.model_id),
        )
    )
    per_item = query_selection(
        store,
        cells,
        """
        WITH v AS (
            SELECT s.model_id, s.item_id, avg(s.value) AS v
            FROM scores s JOIN _assay_sel USING (model_id, task, metric, run_id)
            WHERE s.value IS NOT NULL AND NOT isnan(s.value) GROUP BY ALL
        )
        SELECT item_id, avg(v) AS mean, coalesce(stddev_pop(v), 0) AS spread,
               count(*) AS n_models, min(v) AS lo, max(v) AS hi
        FROM v GROUP BY item_id
        """,
    )
    means = per_item.column("mean").to_numpy(zero_copy_only=False)
    frame = per_item.to_pandas()
    frame = frame[frame["n_models"] >= 2].sort_values(
        ["spread", "item_id"], ascending=[False, True]
    )
    worst = frame.head(top)
    inputs = _item_text(store, task, worst["item_id"].tolist())
    disagreement = tuple(
        {
            "item_id": r.item_id,
            "mean": float(r.mean),
            "spread": float(r.spread),
            "n_models": int(r.n_models),
            "input": inputs.get(r.item_id, (None, None))[0],
            "target": inputs.get(r.item_id, (None, None))[1],
        }
        for r in worst.itertuples()
    )
    versions = tuple(
        store.query("SELECT DISTINCT task_version FROM items WHERE task = ? ORDER BY 1", [task])
        .column("task_version")
        .to_pylist()
    )
    return TaskView(
        task=task,
        metric=col.metric,
        cells=cells,
        n_items=len(means),
        difficulty=tuple(float(x) for x in means),
        disagreement=disagreement,
        data_hash=col.data_hash,
        versions=versions,
    )


def _item_text(store: Store, task: str, ids: Sequence[str]) -> dict[str, tuple[Any, Any]]:
    if not ids:
        return {}
    rows = store.query(
        f"""SELECT item_id, arg_max(input, task_version) AS input,
                   arg_max(target, task_version) AS target
            FROM items WHERE task = ? AND item_id IN ({", ".join("?" * len(ids))})
            GROUP BY item_id""",
        [task, *ids],
    ).to_pylist()
    return {r["item_id"]: (r["input"], r["target"]) for r in rows}


def items_page(
    store: Store, board: Leaderboard, task: str, *, page: int = 1, per_page: int = 10
) -> ItemsPage:
    """Page ``page`` (1-based) of the item explorer of ``task``: each item's input and
    target, and every model's output and score in the runs the leaderboard uses."""
    for name, value in (("page", page), ("per_page", per_page)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputError(
                f"the {name!r} parameter of items_page must be an integer >= 1; got {value!r}"
            )
    col = next((t for t in board.tasks if t.task == task), None)
    if col is None:
        raise InputError(f"no item-level scores for task {task!r}")
    cells = board.task_cells(task)
    n_items = (
        store.query("SELECT count(DISTINCT item_id) AS n FROM items WHERE task = ?", [task])
        .column("n")[0]
        .as_py()
    )
    source = "items"
    if not n_items:
        source = "scores"
        n_items = (
            store.query("SELECT count(DISTINCT item_id) AS n FROM scores WHERE task = ?", [task])
            .column("n")[0]
            .as_py()
        )
    ids = (
        store.query(
            f"SELECT DISTINCT item_id FROM {source} WHERE task = ? ORDER BY item_id LIMIT ? OFFSET ?",
            [task, per_page, (page - 1) * per_page],
        )
        .column("item_id")
        .to_pylist()
    )
    text = _item_text(store, task, ids)
    answers: dict[str, list[ItemRow]] = {i: [] for i in ids}
    if ids:
        marks = ", ".join("?" * len(ids))
        tab = query_selection(
            store,
            cells,
            f"""
            WITH sc AS (
                SELECT s.model_id, s.run_id, s.item_id, s.sample_index, s.prompt_variant,
                       s.value
                FROM scores s JOIN _assay_sel USING (model_id, task, metric, run_id)
                WHERE s.task = ? AND s.item_id IN ({marks})
            ),
            rs AS (
                SELECT r.model_id, r.run_id, r.item_id, r.sample_index, r.prompt_variant,
                       r.output, r.status, r.error
                FROM responses r
                JOIN (SELECT DISTINCT model_id, run_id FROM _assay_sel WHERE task = ?) u
                  USING (model_id, run_id)
                WHERE r.task = ? AND r.item_id IN ({marks})
            )
            SELECT coalesce(sc.model_id, rs.model_id) AS model_id,
                   coalesce(sc.run_id, rs.run_id) AS run_id,
                   coalesce(sc.item_id, rs.item_id) AS item_id,
                   coalesce(sc.sample_index, rs.sample_index) AS sample_index,
                   coalesce(sc.prompt_variant, rs.prompt_variant) AS prompt_variant,
                   rs.output, rs.status, rs.error, sc.value
            FROM sc FULL JOIN rs USING (model_id, run_id, item_id, sample_index, prompt_variant)
            ORDER BY item_id, model_id, sample_index, prompt_variant
            """,
            [task, *ids, task, task, *ids],
        )
        cols = tab.to_pydict()  # columnar: a page may hold tens of thousands of answers
        for m, run, item, k, variant, output, status, error, v in zip(
            cols["model_id"],
            cols["run_id"],
            cols["item_id"],
            cols["sample_index"],
            cols["prompt_variant"],
            cols["output"],
            cols["status"],
            cols["error"],
            cols["value"],
            strict=True,
        ):
            answers[item].append(
                ItemRow(
                    model=m,
                    run_id=run,
                    sample_index=int(k),
                    prompt_variant=variant,
                    output=output,
                    status=status,
                    error=error,
                    score=None if v is None or v != v else float(v),
                )
            )
    items = tuple(
        {
            "item_id": i,
            "input": text.get(i, (None, None))[0],
            "target": text.get(i, (None, None))[1],
            "answers": tuple(answers[i]),
        }
        for i in ids
    )
    return ItemsPage(task, col.metric, page, per_page, int(n_items), items)


def pairwise_tasks(store: Store) -> tuple[list[str], dict[str, list[str]]]:
    """Tasks holding pairwise verdicts, and the judges of each."""
    rows = store.query(
        "SELECT task, judge, count(*) AS n FROM comparisons GROUP BY ALL ORDER BY task, judge"
    ).to_pylist()
    judges: dict[str, list[str]] = {}
    for r in rows:
        judges.setdefault(r["task"], []).append(r["judge"])
    return sorted(judges), judges


def pairwise_view(
    store: Store,
    task: str,
    *,
    judge: str | None = None,
    bootstrap: int = 200,
    seed: int | np.random.Generator | None = 0,
) -> PairwiseView:
    """Empirical win rates and Bradley-Terry ratings (ties half, bootstrap intervals) of
    the verdicts on ``task``, from one judge or (``judge=None``) all of them."""
    tasks, judges = pairwise_tasks(store)
    if task not in judges:
        raise InputError(f"no pairwise verdicts for task {task!r}; tasks with verdicts: {tasks}")
    if judge is not None and judge not in judges[task]:
        raise InputError(f"no verdicts of judge {judge!r} on {task!r}; judges are {judges[task]}")
    where: dict[str, Any] = {"task": task}
    if judge is not None:
        where["judge"] = judge
    battles = store.read(
        "comparisons", where=where, columns=["model_a", "model_b", "winner"], format="pandas"
    )
    with warnings.catch_warnings(record=True) as caught:
        # the page shows the fit's caveats (disconnected graph, unbounded ratings) as notes
        warnings.simplefilter("always", AssayWarning)
        bt = BradleyTerry().fit(battles, bootstrap=bootstrap, seed=seed)
    ratings = bt.ratings_
    models = ratings.models
    index = {m: i for i, m in enumerate(models)}
    k = len(models)
    score = np.zeros((k, k))
    count = np.zeros((k, k), dtype=np.int64)
    value = {"a": (1.0, 0.0), "b": (0.0, 1.0), "tie": (0.5, 0.5), "both_bad": (0.5, 0.5)}
    grouped = battles.groupby(["model_a", "model_b", "winner"]).size()
    for key, n in grouped.items():
        a, b, w = (str(x) for x in key)  # type: ignore[attr-defined]
        i, j = index[a], index[b]
        sa, sb = value[w]
        score[i, j] += sa * n
        score[j, i] += sb * n
        count[i, j] += n
        count[j, i] += n
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(count > 0, score / np.maximum(count, 1), np.nan)
    predicted = ratings.win_probability_matrix().to_numpy()

    def cells(m: np.ndarray) -> tuple[tuple[float | None, ...], ...]:
        return tuple(tuple(None if not np.isfinite(x) else float(x) for x in row) for row in m)

    return PairwiseView(
        task=task,
        judge=judge,
        tasks=tuple(tasks),
        judges=tuple(judges[task]),
        models=models,
        win_rate=cells(rate),
        battles=tuple(tuple(int(x) for x in row) for row in count),
        predicted=cells(predicted),
        ratings=ratings,
        n_battles=len(battles),
        signature=dict(ratings.signature),
        notes=tuple(dict.fromkeys(str(w.message) for w in caught)),
    )


def frame_of(view: PairwiseView) -> pd.DataFrame:
    """The empirical win-rate matrix as a DataFrame (row model's score against column)."""
    return pd.DataFrame(
        [[np.nan if x is None else x for x in row] for row in view.win_rate],
        index=pd.Index(view.models, name="model"),
        columns=list(view.models),
    )
