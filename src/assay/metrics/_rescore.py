"""Recomputing a metric over a run's stored responses, without running the model again."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.errors import InputError
from assay.metrics._code import ClawEval, _TrialMetric
from assay.metrics._core import _REGISTRY, MeanMetric, Metric, MetricResult, list_metrics
from assay.schema import Aggregate, Score
from assay.store import Store

__all__ = ["RescoreResult", "metric_label", "rescore"]

#: responses joined to their items' targets (a response without a task version takes
#: the item's newest version)
_RESPONSES_SQL = """
SELECT r.model_id, r.task, r.item_id, r.sample_index, r.prompt_variant, r.status,
       r.output, i.target
FROM responses r
LEFT JOIN items i
  ON i.task = r.task AND i.item_id = r.item_id
 AND (r.task_version IS NULL OR i.task_version = r.task_version)
WHERE r.run_id = ?
QUALIFY row_number() OVER (
    PARTITION BY r.model_id, r.task, r.item_id, r.sample_index, r.prompt_variant
    ORDER BY i.task_version DESC NULLS LAST) = 1
ORDER BY r.model_id, r.task, r.item_id, r.sample_index, r.prompt_variant
"""

_OUTCOMES_SQL = """
SELECT model_id, task, item_id, list(value ORDER BY sample_index, prompt_variant) AS outcomes
FROM scores WHERE run_id = ? AND metric = ?
GROUP BY model_id, task, item_id
ORDER BY model_id, task, item_id
"""


@dataclass(frozen=True)
class RescoreResult:
    """What :func:`rescore` computed and stored.

    Attributes
    ----------
    run_id, label
        The run and the metric name the rows were stored under.
    results
        The metric's result per ``(model_id, task)``.
    n_scores
        Score rows written (per-response metrics only; 0 for corpus metrics).
    """

    run_id: str
    label: str
    results: dict[tuple[str, str], MetricResult] = field(default_factory=dict)
    n_scores: int = 0

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        rows: list[list[Any]] = []
        for (model, task), res in sorted(self.results.items()):
            values = res.value if isinstance(res.value, dict) else {"": res.value}
            for key, value in values.items():
                name = f"{self.label}.{key}" if key else self.label
                rows.append([model, task, name, value, res.n, res.n_omitted])
        return ["model", "task", "metric", "value", "n", "omitted"], rows


def metric_label(metric: Metric) -> str:
    """The name stored rows get: the metric's name, followed by the options that differ
    from their defaults (``rouge[rouge_type=rouge1]``), so that variants do not
    overwrite each other."""
    changed = {
        f.name: getattr(metric, f.name)
        for f in dataclasses.fields(metric)
        if f.default is dataclasses.MISSING or f.default != getattr(metric, f.name)
    }
    if not changed:
        return metric.name
    return metric.name + "[" + ",".join(f"{k}={v}" for k, v in sorted(changed.items())) + "]"


def rescore(
    store: Store,
    run_id: str,
    metric: Metric,
    *,
    label: str | None = None,
    outcome_metric: str = "pass",
) -> RescoreResult:
    """Recompute ``metric`` over the stored responses of ``run_id`` and store the rows.

    Per-response metrics (:class:`~assay.metrics.MeanMetric`: exact match, token F1,
    ROUGE, ...) grade each response's ``output`` against its item's ``target`` and
    write one ``scores`` row per response (value ``None`` for a response without output
    or an item without target). Every metric also writes one ``aggregates`` row per
    model and task (the metric over that cell's items; several rows for multi-valued
    metrics). Trial metrics (pass@k, pass^k, pass rate, Claw-Eval) read each item's
    outcomes from the stored scores named ``outcome_metric`` instead of grading text.
    Writing is an upsert, so re-running is idempotent.

    Parameters
    ----------
    store
        An open, writable store.
    run_id
        The run.
    metric
        The metric (from :func:`~assay.metrics.get_metric`).
    label
        The metric name for the stored rows (default :func:`metric_label`).
    outcome_metric
        For trial metrics: the stored per-response metric holding each trial's outcome.

    Raises
    ------
    InputError
        The run has no responses (or, for trial metrics, no ``outcome_metric`` scores).
    """
    name = metric_label(metric) if label is None else label
    result = RescoreResult(run_id, name)
    if isinstance(metric, _TrialMetric | ClawEval):
        table = store.query(_OUTCOMES_SQL, [run_id, outcome_metric]).to_pylist()
        if not table:
            raise InputError(
                f"run {run_id!r} has no {outcome_metric!r} scores to compute {metric.name} "
                "from (pass outcome_metric=... to name the per-trial metric)"
            )
        for (model, task), rows in _cells(table):
            outcomes = [row["outcomes"] for row in rows]
            result.results[(model, task)] = metric.compute(outcomes, nan_policy="omit")
    else:
        if not metric.grades_text:
            usable = [n for n in list_metrics() if _usable(n)]
            raise InputError(
                f"{metric.name} does not grade a text response against a text target (its "
                "items are numbers, vectors, rankings or trees): compute it in Python with "
                f"assay.metrics.get_metric({metric.name!r}).compute(...). Over stored "
                f"responses: {', '.join(usable)}"
            )
        table = store.query(_RESPONSES_SQL, [run_id]).to_pylist()
        if not table:
            raise InputError(f"run {run_id!r} has no responses; `assay ls runs` lists runs")
        scores: list[Score] = []
        for (model, task), rows in _cells(table):
            preds = [row["output"] if row["status"] == "ok" else None for row in rows]
            refs = [row["target"] for row in rows]
            stats = metric.stats(preds, refs)
            result.results[(model, task)] = metric.from_stats(stats, nan_policy="omit")
            if isinstance(metric, MeanMetric):
                values = stats[:, 0]
                scores.extend(
                    Score(
                        run_id=run_id,
                        model_id=model,
                        task=task,
                        item_id=row["item_id"],
                        sample_index=row["sample_index"],
                        prompt_variant=row["prompt_variant"],
                        metric=name,
                        value=None if np.isnan(v) else float(v),
                    )
                    for row, v in zip(rows, values, strict=True)
                )
        if scores:
            store.write({"scores": scores})
        result = RescoreResult(run_id, name, result.results, len(scores))
    aggregates = [
        Aggregate(
            run_id=run_id,
            model_id=model,
            task=task,
            metric=f"{name}.{key}" if key else name,
            value=None if value != value else float(value),
            n=res.n,
        )
        for (model, task), res in result.results.items()
        for key, value in (res.value.items() if isinstance(res.value, dict) else [("", res.value)])
    ]
    store.write({"aggregates": aggregates})
    return result


def _cells(
    rows: Sequence[dict[str, Any]],
) -> list[tuple[tuple[str, str], list[dict[str, Any]]]]:
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        cells.setdefault((row["model_id"], row["task"]), []).append(row)
    return list(cells.items())


def _usable(name: str) -> bool:
    """Whether the registered metric ``name`` can be recomputed over stored responses."""
    cls = _REGISTRY[name]
    return bool(cls.grades_text) or issubclass(cls, _TrialMetric | ClawEval)
