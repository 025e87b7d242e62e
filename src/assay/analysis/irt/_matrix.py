"""The models x items score matrix that IRT and skill diagnosis are fitted on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from assay.errors import InputError

__all__ = ["ItemMatrix", "item_matrix"]


@dataclass(frozen=True, slots=True, eq=False)
class ItemMatrix:
    """A dense models x items score matrix (``NaN`` = the model was not run on the item).

    Attributes
    ----------
    Y
        ``float64`` array of shape ``(n_models, n_items)`` with values in [0, 1] or NaN.
    models, items
        Row and column labels.
    binary
        Whether every observed value is 0 or 1.
    """

    Y: NDArray[np.float64]
    models: tuple[str, ...]
    items: tuple[str, ...]
    binary: bool

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.models), len(self.items))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        return self.Y if dtype is None else self.Y.astype(dtype)

    def __repr__(self) -> str:
        observed = float(np.isfinite(self.Y).mean()) if self.Y.size else 0.0
        kind = "binary" if self.binary else "fractional"
        return (
            f"ItemMatrix({len(self.models)} models x {len(self.items)} items, {kind}, "
            f"{observed:.0%} observed)"
        )

    def to_frame(self) -> pd.DataFrame:
        """The matrix in long form: ``model_id``, ``item_id``, ``value`` (observed cells)."""
        rows, cols = np.nonzero(np.isfinite(self.Y))
        return pd.DataFrame(
            {
                "model_id": np.asarray(self.models, dtype=object)[rows],
                "item_id": np.asarray(self.items, dtype=object)[cols],
                "value": self.Y[rows, cols],
            }
        )


def item_matrix(source: Any, task: str | None = None, metric: str | None = None) -> ItemMatrix:
    """Build the models x items matrix from the store's scores or a long frame.

    Several samples or prompt variants of one (model, item) are averaged, so a cell holds
    the model's mean score on the item (a pass rate when the metric is 0/1).

    Parameters
    ----------
    source
        An :class:`assay.store.Store` (its ``scores`` table) or a long frame (pandas,
        polars or Arrow) with columns ``model_id``, ``item_id`` and ``value``, and
        optionally ``task`` and ``metric``.
    task
        Keep this task only. When several tasks remain, items are labelled
        ``"task/item_id"``.
    metric
        Keep this metric only; required when the rows hold more than one metric.

    Returns
    -------
    ItemMatrix
        Models and items sorted by label.
    """
    frame = _read(source, task)
    for col in ("model_id", "item_id", "value"):
        if col not in frame.columns:
            raise InputError(
                f"the 'source' parameter of item_matrix must have columns model_id, item_id "
                f"and value; column {col!r} is missing (columns: {list(frame.columns)})"
            )
    if task is not None and "task" in frame.columns:
        frame = frame[frame["task"] == task]
    if frame.empty:
        where = f" for task {task!r}" if task is not None else ""
        raise InputError(f"item_matrix found no scored items{where}")
    if "metric" in frame.columns:
        metrics = sorted(frame["metric"].dropna().unique().tolist())
        if metric is not None:
            if metric not in metrics:
                raise InputError(
                    f"the 'metric' parameter of item_matrix must be one of {metrics}; "
                    f"got {metric!r}"
                )
            frame = frame[frame["metric"] == metric]
        elif len(metrics) > 1:
            raise InputError(
                f"the scores hold several metrics {metrics}; choose one with the 'metric' "
                "parameter (--metric on the command line)"
            )
    elif metric is not None:
        raise InputError("the 'metric' parameter of item_matrix needs a 'metric' column")
    frame = frame[frame["value"].notna()]
    if frame.empty:
        where = f" for task {task!r}" if task is not None else ""
        raise InputError(f"item_matrix found no scored items{where}")
    item = frame["item_id"].astype(str)
    if "task" in frame.columns and frame["task"].nunique() > 1:
        item = frame["task"].astype(str) + "/" + item
    long = pd.DataFrame(
        {
            "model_id": frame["model_id"].astype(str).to_numpy(),
            "item_id": item.to_numpy(),
            "value": _numbers(frame["value"]),
        }
    )
    cells = long.groupby(["model_id", "item_id"], sort=True)["value"].mean()
    models = tuple(sorted(cells.index.get_level_values(0).unique()))
    items = tuple(sorted(cells.index.get_level_values(1).unique()))
    Y = np.full((len(models), len(items)), np.nan)
    r = pd.Index(models).get_indexer(cells.index.get_level_values(0))
    c = pd.Index(items).get_indexer(cells.index.get_level_values(1))
    Y[r, c] = cells.to_numpy()
    lo, hi = float(np.nanmin(Y)), float(np.nanmax(Y))
    if lo < 0 or hi > 1 or not np.isfinite(lo) or not np.isfinite(hi):
        raise InputError(
            f"item_matrix: the item scores (column 'value') must lie in [0, 1]; got values in "
            f"[{lo:.4g}, {hi:.4g}]; rescale them first (e.g. grades 1-10 -> (g - 1) / 9)"
        )
    observed = Y[np.isfinite(Y)]
    binary = bool(np.all((observed == 0) | (observed == 1)))
    return ItemMatrix(Y=Y, models=models, items=items, binary=binary)


def _numbers(values: pd.Series) -> NDArray[np.float64]:
    """The 'value' column as floats; an error names the first cell that is not a number."""
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna().to_numpy() & values.notna().to_numpy()
    if bad.any():
        first = values.to_numpy()[bad][0]
        raise InputError(
            f"item_matrix: column 'value' must hold numbers (scores in [0, 1]); got {first!r} "
            f"in {int(bad.sum())} row(s)"
        )
    return np.asarray(parsed, dtype=np.float64)


def _read(source: Any, task: str | None) -> pd.DataFrame:
    from assay.store import Store

    if isinstance(source, Store):
        where = {"task": task} if task is not None else None
        return source.read(
            "scores",
            where=where,
            columns=["model_id", "task", "item_id", "metric", "value"],
            format="pandas",
        )
    if isinstance(source, pd.DataFrame):
        return source
    to_pandas = getattr(source, "to_pandas", None)
    if callable(to_pandas):
        frame = to_pandas()
        if isinstance(frame, pd.DataFrame):
            return frame
    raise InputError(
        "the 'source' parameter of item_matrix must be a Store or a long frame with columns "
        f"model_id, item_id, value; got {type(source).__name__}"
    )


def as_array(Y: Any, caller: str) -> tuple[NDArray[np.float64], tuple[str, ...] | None]:
    """The float array and item labels of an ``ItemMatrix`` or array, checked to be in [0, 1]."""
    items = getattr(Y, "items", None) if isinstance(Y, ItemMatrix) else None
    try:
        arr = np.array(Y.Y if isinstance(Y, ItemMatrix) else Y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"the 'Y' parameter of {caller} must be a models x items matrix of scores in "
            f"[0, 1] (NaN = missing), with rows of equal length; {exc}"
        ) from None
    if arr.ndim != 2:
        raise InputError(
            f"the 'Y' parameter of {caller} must be a models x items matrix; got shape {arr.shape}"
        )
    if arr.size == 0:
        raise InputError(f"the 'Y' parameter of {caller} is empty; got shape {arr.shape}")
    if np.isinf(arr).any():
        raise InputError(f"the 'Y' parameter of {caller} has infinite values; use NaN for missing")
    if np.isfinite(arr).any():
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        if lo < 0 or hi > 1:
            raise InputError(
                f"the 'Y' parameter of {caller} must hold scores in [0, 1] (NaN = missing); "
                f"got values in [{lo:.4g}, {hi:.4g}]; rescale first (e.g. grades 1-10 -> "
                "(g - 1) / 9)"
            )
    return arr, items
