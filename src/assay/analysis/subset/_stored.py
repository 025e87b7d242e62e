"""Reading what subset selection and estimation need from the store."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from assay.analysis.stats._scores import _primary
from assay.errors import InputError
from assay.store import Store

__all__ = ["headline_metric", "training_matrix"]


def headline_metric(store: Store, task: str) -> str:
    """The task's headline metric among its stored scores."""
    rows = store.query(
        "SELECT metric, count(*) AS n FROM scores WHERE task = ? GROUP BY metric", [task]
    ).to_pylist()
    if not rows:
        raise InputError(
            f"the store has no scores for task {task!r}; `assay ls tasks` lists what is stored"
        )
    return _primary([(r["metric"], r["n"]) for r in rows])


def training_matrix(
    store: Store,
    task: str,
    *,
    metric: str | None = None,
    exclude_models: Sequence[str] = (),
    item_ids: Sequence[str] | None = None,
) -> tuple[NDArray[np.float64], tuple[str, ...], tuple[str, ...], str]:
    """Models x items mean scores of ``task`` (samples, prompt variants and runs averaged).

    Returns the matrix (NaN where a model has no score on an item), the models, the item
    ids (``item_ids`` when given, else every scored item, sorted) and the metric used.
    """
    if not isinstance(store, Store):
        raise InputError(
            f"the 'store' parameter of training_matrix must be a Store; got {type(store).__name__}"
        )
    if isinstance(exclude_models, str):
        raise InputError(
            "the 'exclude_models' parameter of training_matrix must be a list of model ids; "
            f"got the string {exclude_models!r}"
        )
    metric = metric or headline_metric(store, task)
    rows = store.query(
        "SELECT model_id, item_id, avg(value) AS v FROM scores "
        "WHERE task = ? AND metric = ? AND value IS NOT NULL GROUP BY model_id, item_id",
        [task, metric],
    ).to_pydict()
    if not rows["model_id"]:
        metrics = [
            r["metric"]
            for r in store.query(
                "SELECT DISTINCT metric FROM scores WHERE task = ? ORDER BY 1", [task]
            ).to_pylist()
        ]
        raise InputError(
            f"the store has no scores of metric {metric!r} for task {task!r}; the 'metric' "
            f"parameter of training_matrix must be one of {metrics}"
        )
    excluded = set(exclude_models)
    models = tuple(sorted({m for m in rows["model_id"] if m not in excluded}))
    ids = (
        tuple(str(i) for i in item_ids)
        if item_ids is not None
        else tuple(sorted(set(rows["item_id"])))
    )
    m_pos = {m: k for k, m in enumerate(models)}
    i_pos = {i: k for k, i in enumerate(ids)}
    Y = np.full((len(models), len(ids)), np.nan)
    for m, i, v in zip(rows["model_id"], rows["item_id"], rows["v"], strict=True):
        if m in m_pos and i in i_pos:
            Y[m_pos[m], i_pos[i]] = v
    return Y, models, ids, metric
