"""Reading item-level scores out of the store, the way :func:`scores_table` reads them.

Each task's metric is the one asked for or the task's headline metric; with
``runs="latest"`` each model's newest run per task is used; the samples of an item
(trials, seeds, prompt variants) are averaged so that the item is the unit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from assay.analysis.stats._scores import RunPolicy, score_selection
from assay.errors import InputError
from assay.store import Store

__all__ = ["check_models", "read_item_scores", "read_replicate_scores"]

_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")


def check_models(store: Store, models: Sequence[str], func: str) -> None:
    """Raise :class:`InputError` naming any model with no stored scores."""
    known = {r["model_id"] for r in store.query("SELECT DISTINCT model_id FROM scores").to_pylist()}
    unknown = [m for m in models if m not in known]
    if unknown:
        listed = ", ".join(sorted(known)[:20]) or "none"
        raise InputError(
            f"{func}: unknown model {unknown[0]!r}: no scores stored for it; stored models: {listed}"
        )


def read_item_scores(
    store: Store,
    *,
    models: Sequence[str] | None,
    tasks: Sequence[str] | None,
    metric: str | None,
    runs: RunPolicy,
    cluster: str | None,
    func: str,
) -> pd.DataFrame:
    """Per-item means: columns ``task, metric, item_id, model_id, value, cluster``.

    ``value`` is NaN when every sample of the item is missing. ``cluster`` is the item's
    ``metadata[cluster]`` from the ``items`` table (``None`` when absent or not asked).
    """
    if cluster is not None and not (isinstance(cluster, str) and _KEY.match(cluster)):
        raise InputError(
            f"the 'cluster' parameter of {func} must be an item metadata key (letters, digits, "
            f"'_', '.', '-'); got {cluster!r}"
        )
    sel = score_selection(store, models=models, tasks=tasks, metric=metric, runs=runs, func=func)
    cols = ["task", "metric", "item_id", "model_id", "value", "cluster"]
    if sel is None:
        return pd.DataFrame(columns=cols)
    head, params = sel
    if cluster is None:
        clusters = "SELECT NULL::VARCHAR AS task, NULL::VARCHAR AS item_id, NULL::VARCHAR AS cluster WHERE FALSE"
    else:
        clusters = (
            "SELECT task, item_id, any_value(json_extract_string(metadata, ?)) AS cluster "
            "FROM items GROUP BY ALL"
        )
        params = [*params, f'$."{cluster}"']
    sql = f"""{head},
    per_item AS (
        SELECT task, metric, item_id, model_id,
               avg(CASE WHEN isnan(value) THEN NULL ELSE value END) AS value
        FROM picked GROUP BY ALL
    ),
    cl AS ({clusters})
    SELECT p.task, p.metric, p.item_id, p.model_id, p.value, cl.cluster
    FROM per_item p LEFT JOIN cl USING (task, item_id)
    ORDER BY p.task, p.item_id, p.model_id"""
    frame: pd.DataFrame = store.query(sql, params).to_pandas()
    frame["value"] = frame["value"].astype(float)
    return frame[cols]


def read_replicate_scores(
    store: Store,
    *,
    model: str,
    task: str,
    metric: str | None,
    runs: RunPolicy,
    func: str,
) -> pd.DataFrame:
    """Rows of one model on one task, not averaged: ``item_id, sample_index,
    prompt_variant, value`` (samples of the same key in several runs are averaged)."""
    sel = score_selection(store, models=[model], tasks=[task], metric=metric, runs=runs, func=func)
    cols = ["metric", "item_id", "sample_index", "prompt_variant", "value"]
    if sel is None:
        return pd.DataFrame(columns=cols)
    head, params = sel
    sql = f"""{head}
    SELECT metric, item_id, sample_index, prompt_variant,
           avg(CASE WHEN isnan(value) THEN NULL ELSE value END) AS value
    FROM picked GROUP BY ALL ORDER BY item_id, sample_index, prompt_variant"""
    frame: pd.DataFrame = store.query(sql, params).to_pandas()
    frame["value"] = frame["value"].astype(float)
    return frame[cols]
