"""Statistics straight from the store: compare two models, rank many, split seed variance."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from assay._display import TableView
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import (
    Alternative,
    IntervalMethod,
    check_choice,
    check_confidence,
    check_name,
    check_names,
    check_resamples,
    check_store,
)
from assay.analysis.stats._interval import signature
from assay.analysis.stats._items import check_models, read_item_scores, read_replicate_scores
from assay.analysis.stats._multiple import Correction, adjust_pvalues
from assay.analysis.stats._paired import (
    PairedTest,
    mcnemar_test,
    paired_bootstrap,
    paired_permutation_test,
    sign_test,
)
from assay.analysis.stats._rank import RankTable, rank_intervals
from assay.analysis.stats._scores import RunPolicy
from assay.analysis.stats._variance import Design, VarianceComponents, variance_components
from assay.errors import DegenerateDataWarning, InputError
from assay.store import Store

__all__ = ["Comparison", "TaskComparison", "compare", "rank_models", "seed_variance"]

TestMethod = Literal["bootstrap", "permutation", "mcnemar", "sign"]
Factor = Literal["sample_index", "prompt_variant"]

POOLED = "(pooled)"


@dataclass(frozen=True, slots=True)
class TaskComparison:
    """The paired test on one task (or on all items pooled, task ``"(pooled)"``)."""

    task: str
    metric: str
    test: PairedTest
    pvalue_adjusted: float
    significant: bool


@dataclass(frozen=True)
class Comparison(TableView):
    """Model A against model B, per task and pooled over all items.

    ``pvalue_adjusted`` corrects the per-task p-values for the number of tasks (the
    pooled row is one more member of the family when there are several tasks);
    ``significant`` is ``pvalue_adjusted <= 1 - confidence``.
    """

    model_a: str
    model_b: str
    rows: tuple[TaskComparison, ...]
    skipped: tuple[str, ...]
    signature: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, task: str) -> TaskComparison:
        for r in self.rows:
            if r.task == task:
                return r
        raise InputError(
            f"Comparison.row: no comparison on task {task!r}; tasks are "
            f"{[r.task for r in self.rows][:20]}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_a": self.model_a,
            "model_b": self.model_b,
            "rows": [
                {
                    "task": r.task,
                    "metric": r.metric,
                    "pvalue_adjusted": r.pvalue_adjusted,
                    "significant": r.significant,
                    **{k: v for k, v in r.test.to_dict().items() if k != "signature"},
                }
                for r in self.rows
            ],
            "skipped": list(self.skipped),
            "signature": self.signature,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_arrow(self) -> pa.Table:
        """One row per task (the pooled row last)."""
        return pa.Table.from_pylist(self.to_dict()["rows"])

    def to_pandas(self) -> pd.DataFrame:
        frame: pd.DataFrame = self.to_arrow().to_pandas()
        return frame

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        conf = self.signature.get("params", {}).get("confidence", 0.95)
        adj = self.signature.get("params", {}).get("adjust", "holm")
        cols = ["task", "metric", "A - B", f"{conf:.0%} CI", "p-value", f"p ({adj})"]
        cols += ["effect", "items", "A better", "B better", "left out"]
        rows: list[list[object]] = []
        for r in self.rows:
            t = r.test
            rows.append(
                [
                    r.task,
                    r.metric,
                    t.difference,
                    f"[{t.low:.4f}, {t.high:.4f}]",
                    t.pvalue,
                    r.pvalue_adjusted,
                    f"{t.effect_kind} {t.effect_size:.3f}",
                    t.n,
                    t.a_better,
                    t.b_better,
                    t.n_missing,
                ]
            )
        return cols, rows

    @property
    def title(self) -> str:
        method = self.rows[0].test.method if self.rows else ""
        return f"{self.model_a} vs {self.model_b}: {method}"


def _run_test(
    method: TestMethod,
    a: np.ndarray,
    b: np.ndarray,
    clusters: np.ndarray | None,
    *,
    interval: IntervalMethod,
    alternative: Alternative,
    confidence: float,
    resamples: int,
    rng: np.random.Generator,
) -> PairedTest:
    if method == "bootstrap":
        return paired_bootstrap(
            a,
            b,
            clusters=clusters,
            method=interval,
            alternative=alternative,
            confidence=confidence,
            resamples=resamples,
            seed=rng,
        )
    if method == "permutation":
        return paired_permutation_test(
            a,
            b,
            clusters=clusters,
            alternative=alternative,
            confidence=confidence,
            resamples=resamples,
            seed=rng,
        )
    if method == "mcnemar":
        return mcnemar_test(a, b, alternative=alternative, confidence=confidence)
    return sign_test(a, b, alternative=alternative, confidence=confidence)


def _cluster_labels(frame: pd.DataFrame, with_task: bool) -> np.ndarray:
    """Cluster label per item; an item without one is its own cluster."""
    own = "\x1fitem\x1f" + frame["item_id"].astype(str)
    lab = frame["cluster"].where(frame["cluster"].notna(), own).astype(str)
    if with_task:
        lab = frame["task"].astype(str) + "\x1f" + lab
    return lab.to_numpy()


def compare(
    store: Store,
    model_a: str,
    model_b: str,
    *,
    task: str | Sequence[str] | None = None,
    metric: str | None = None,
    method: TestMethod = "bootstrap",
    interval: IntervalMethod = "percentile",
    cluster: str | None = None,
    alternative: Alternative = "two-sided",
    adjust: Correction = "holm",
    runs: RunPolicy = "latest",
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int | np.random.Generator | None = 0,
) -> Comparison:
    """Compare two models on the items both were scored on, per task and pooled.

    Item rows are read as :func:`scores_table` reads them (the task's headline metric
    unless ``metric`` is given, each model's latest run, samples averaged per item).
    Items scored for only one model, or missing for either, are left out of the test
    and counted in ``n_missing`` of the row.

    Parameters
    ----------
    store
        The store.
    model_a, model_b
        The two models (``A - B`` is reported).
    task
        One task, several, or ``None`` for every task both models have.
    metric
        The metric (default: each task's headline metric).
    method
        ``"bootstrap"`` (paired bootstrap), ``"permutation"`` (sign flips),
        ``"mcnemar"`` (exact, 0/1 scores) or ``"sign"`` (exact sign test).
    interval
        Bootstrap interval, ``"percentile"`` or ``"bca"`` (``method="bootstrap"``).
    cluster
        An item metadata key (e.g. ``"passage"``): items sharing its value are resampled
        or sign-flipped together (bootstrap and permutation only).
    alternative
        ``"two-sided"``, ``"greater"`` (A better) or ``"less"``.
    adjust
        Correction of the per-task p-values: ``"holm"`` or ``"bh"``.
    runs
        ``"latest"`` or ``"all"`` (see :func:`scores_table`).
    confidence, resamples, seed
        Interval level, resamples, seed or generator.

    Returns
    -------
    Comparison
        One row per task, then a ``"(pooled)"`` row over all items of all tasks when
        there are several tasks.

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 16.
    Dror, R. et al. (2018). The hitchhiker's guide to testing statistical significance
    in natural language processing. *ACL*, 1383-1392.
    Holm, S. (1979). *Scandinavian Journal of Statistics* 6(2), 65-70.
    Miller, E. (2024). Adding error bars to evals. arXiv:2411.00640.
    """
    func = "compare"
    check_store(store, func)
    check_name(model_a, "model_a", func)
    check_name(model_b, "model_b", func)
    check_choice(method, TestMethod, "method", func)
    check_choice(interval, IntervalMethod, "interval", func)
    check_choice(alternative, Alternative, "alternative", func)
    check_choice(adjust, Correction, "adjust", func)
    check_confidence(confidence, func)
    check_resamples(resamples, func)
    rng = resolve_rng(seed, func)
    if model_a == model_b:
        raise InputError(f"{func}: model A and model B are both {model_a!r}; pick two models")
    if cluster is not None and method in ("mcnemar", "sign"):
        raise InputError(
            f"{func}: the {method} test treats items as independent; use method='bootstrap' "
            "or 'permutation' with 'cluster'"
        )
    tasks = check_names(task, "task", func, one=True)
    check_models(store, [model_a, model_b], func)
    frame = read_item_scores(
        store,
        models=[model_a, model_b],
        tasks=tasks,
        metric=metric,
        runs=runs,
        cluster=cluster,
        func=func,
    )
    if tasks is not None:
        missing = sorted(set(tasks) - set(frame["task"]))
        if missing:
            raise InputError(
                f"{func}: no scores of {model_a!r} or {model_b!r} on task {missing[0]!r}"
            )
    wide = frame.pivot_table(
        index=["task", "metric", "item_id"],
        columns="model_id",
        values="value",
        aggfunc="first",
        dropna=False,
    ).reindex(columns=[model_a, model_b])
    wide = wide.reset_index()
    if cluster is not None:
        cl = frame.drop_duplicates(["task", "item_id"]).set_index(["task", "item_id"])["cluster"]
        wide["cluster"] = cl.reindex(pd.MultiIndex.from_frame(wide[["task", "item_id"]])).to_numpy()
    else:
        wide["cluster"] = None

    results: list[tuple[str, str, PairedTest]] = []
    skipped: list[str] = []
    kw: dict[str, Any] = {
        "interval": interval,
        "alternative": alternative,
        "confidence": confidence,
        "resamples": resamples,
        "rng": rng,
    }
    for (t, m), part in wide.groupby(["task", "metric"], sort=True):
        a = part[model_a].to_numpy(dtype=float)
        b = part[model_b].to_numpy(dtype=float)
        if not (~np.isnan(a) & ~np.isnan(b)).any():
            skipped.append(str(t))
            continue
        clusters = _cluster_labels(part, False) if cluster is not None else None
        results.append((str(t), str(m), _run_test(method, a, b, clusters, **kw)))
    if skipped:
        warnings.warn(
            f"{func}: {model_a!r} and {model_b!r} share no scored item on task(s) "
            f"{', '.join(skipped)}; left out",
            DegenerateDataWarning,
            stacklevel=2,
        )
    if not results:
        raise InputError(f"{func}: {model_a!r} and {model_b!r} share no scored item")
    if len(results) > 1:
        a = wide[model_a].to_numpy(dtype=float)
        b = wide[model_b].to_numpy(dtype=float)
        clusters = _cluster_labels(wide, True) if cluster is not None else None
        metrics = sorted({m for _, m, _ in results})
        label = metrics[0] if len(metrics) == 1 else "mixed"
        results.append((POOLED, label, _run_test(method, a, b, clusters, **kw)))
    adjusted = adjust_pvalues(
        [r.pvalue for _, _, r in results], method=adjust, alpha=1.0 - confidence
    )
    rows = tuple(
        TaskComparison(t, m, r, adjusted.adjusted[i], adjusted.reject[i])
        for i, (t, m, r) in enumerate(results)
    )
    return Comparison(
        model_a=model_a,
        model_b=model_b,
        rows=rows,
        skipped=tuple(skipped),
        signature=signature(
            f"compare: {rows[0].test.method}",
            n=int(sum(r.test.n for r in rows if r.task != POOLED)),
            resamples=resamples if method in ("bootstrap", "permutation") else None,
            seed=seed,
            params={
                "method": method,
                "interval": interval,
                "cluster": cluster,
                "alternative": alternative,
                "adjust": adjust,
                "runs": runs,
                "metric": metric if metric is not None else "primary per task",
                "confidence": confidence,
            },
        ),
    )


def rank_models(
    store: Store,
    *,
    task: str | Sequence[str] | None = None,
    metric: str | None = None,
    models: Sequence[str] | None = None,
    cluster: str | None = None,
    higher_is_better: bool = True,
    adjust: Correction = "holm",
    runs: RunPolicy = "latest",
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int | np.random.Generator | None = 0,
) -> RankTable:
    """Rank intervals and separability of stored models (see :func:`rank_intervals`).

    Items of all selected tasks are pooled (an item is a ``(task, item_id)`` pair); items
    not scored for every model are left out and counted in ``n_missing``.

    References
    ----------
    Hall, P. & Miller, H. (2009). Using the bootstrap to quantify the authority of an
    empirical ranking. *Annals of Statistics* 37(6B), 3929-3959.
    """
    func = "rank_models"
    check_store(store, func)
    check_choice(adjust, Correction, "adjust", func)
    check_confidence(confidence, func)
    check_resamples(resamples, func)
    resolve_rng(seed, func)  # checked here; rank_intervals draws from it
    models = check_names(models, "models", func)
    tasks = check_names(task, "task", func, one=True)
    if models is not None:
        check_models(store, models, func)
    frame = read_item_scores(
        store, models=models, tasks=tasks, metric=metric, runs=runs, cluster=cluster, func=func
    )
    if frame.empty:
        raise InputError(f"{func}: no item-level scores match the selection")
    wide = frame.pivot_table(
        index=["task", "item_id"],
        columns="model_id",
        values="value",
        aggfunc="first",
        dropna=False,
    )
    if models is not None:
        wide = wide.reindex(columns=list(models))
    clusters = None
    if cluster is not None:
        cl = frame.drop_duplicates(["task", "item_id"]).set_index(["task", "item_id"])["cluster"]
        part = wide.index.to_frame(index=False)
        part["cluster"] = cl.reindex(wide.index).to_numpy()
        clusters = _cluster_labels(part, True)
    return rank_intervals(
        wide.to_numpy(dtype=float),
        [str(c) for c in wide.columns],
        clusters=clusters,
        higher_is_better=higher_is_better,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        adjust=adjust,
        nan_policy="omit",
    )


def seed_variance(
    store: Store,
    model: str,
    task: str,
    *,
    factor: Factor = "sample_index",
    metric: str | None = None,
    runs: RunPolicy = "latest",
) -> VarianceComponents:
    """Variance components of one model's scores on one task across seeds or prompts.

    ``factor="sample_index"``: the samples of an item (seeds, trials) are exchangeable, a
    nested design. ``factor="prompt_variant"``: every item under every prompt variant, a
    crossed design (see :func:`variance_components`).

    References
    ----------
    Searle, S. R., Casella, G. & McCulloch, C. E. (1992). *Variance Components*, ch. 3-4.
    """
    func = "seed_variance"
    check_store(store, func)
    check_name(model, "model", func)
    check_name(task, "task", func)
    check_choice(factor, Factor, "factor", func)
    check_models(store, [model], func)
    rows = read_replicate_scores(store, model=model, task=task, metric=metric, runs=runs, func=func)
    if rows.empty:
        raise InputError(f"{func}: no scores of {model!r} on task {task!r}")
    design: Design = "nested" if factor == "sample_index" else "crossed"
    cells = rows.groupby(["item_id", factor], as_index=False)["value"].mean()
    return variance_components(
        cells["value"].to_numpy(dtype=float),
        cells["item_id"].to_numpy(),
        cells[factor].to_numpy(),
        design=design,
    )
