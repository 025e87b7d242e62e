"""The Q-matrix: which skills each item needs, from the items' skill tags."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from assay.errors import InputError

__all__ = ["QMatrix", "q_matrix"]

#: metadata keys read for skill tags, in order (a list, or a comma-separated string)
SKILL_KEYS = ("skills", "skill_tags", "skill")


@dataclass(frozen=True, slots=True, eq=False)
class QMatrix:
    """Items x skills 0/1 matrix: ``Q[i, k] = 1`` when item ``i`` needs skill ``k``."""

    Q: NDArray[np.int8]
    items: tuple[str, ...]
    skills: tuple[str, ...]

    def __repr__(self) -> str:
        return f"QMatrix({len(self.items)} items x {len(self.skills)} skills)"

    def align(self, items: Sequence[str]) -> QMatrix:
        """The rows for ``items`` (in that order); an error names items without tags."""
        if isinstance(items, str) or not isinstance(items, Iterable):
            raise InputError(
                f"the 'items' parameter of QMatrix.align must be a list of item ids; got {items!r}"
            )
        items = list(items)
        pos = {label: k for k, label in enumerate(self.items)}
        missing = [i for i in items if i not in pos]
        if missing:
            raise InputError(
                f"{len(missing)} item(s) have no skill tags in the Q-matrix, e.g. "
                f"{missing[:3]}; tag them or drop them from the score matrix"
            )
        rows = np.array([pos[i] for i in items], dtype=np.int64)
        return QMatrix(self.Q[rows], tuple(items), self.skills)


def _tags(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list | tuple | set | np.ndarray):
        return [str(t).strip() for t in value if str(t).strip()]
    return [str(value)]


def q_matrix(
    source: Any,
    task: str | None = None,
    *,
    key: str | None = None,
) -> QMatrix:
    """Build the Q-matrix from skill tags.

    Parameters
    ----------
    source
        An :class:`assay.store.Store` (its ``items`` table; tags are read from the JSON
        ``metadata``), a frame with ``item_id`` and ``skills`` (a list or a comma-separated
        string per item; ``task`` optional), or a mapping ``{item_id: [skills]}``.
    task
        Keep this task only; with several tasks items are labelled ``"task/item_id"``
        (as :func:`assay.analysis.irt.item_matrix` labels them).
    key
        The metadata key holding the tags; by default the first of ``skills``,
        ``skill_tags``, ``skill`` that an item has (builtin tasks: ``skill``, and a finer
        ``subskill``).
    """
    from assay.store import Store

    if isinstance(source, Store):
        where = {"task": task} if task is not None else None
        frame = source.read(
            "items", where=where, columns=["task", "item_id", "metadata"], format="pandas"
        )
        tags = [_from_metadata(m, key) for m in frame["metadata"]]
        ids = _labels(frame)
    elif isinstance(source, dict):
        ids = [str(k) for k in source]
        tags = [_tags(v) for v in source.values()]
    elif isinstance(source, pd.DataFrame):
        col = key or "skills"
        if "item_id" not in source.columns or col not in source.columns:
            raise InputError(
                f"the 'source' parameter of q_matrix must have columns item_id and {col!r}; "
                f"got {list(source.columns)}"
            )
        frame = source if task is None or "task" not in source else source[source.task == task]
        ids = _labels(frame)
        labels = pd.Series(ids, dtype=object)
        dup = sorted(set(labels[labels.duplicated()]))
        if dup:
            raise InputError(
                f"q_matrix: the frame has more than one row for item(s) {dup[:5]}; give each "
                f"item one row with all its skills (a list or a comma-separated string in {col!r})"
            )
        tags = [_tags(v) for v in frame[col]]
    else:
        raise InputError(
            "the 'source' parameter of q_matrix must be a Store, a frame with item_id and "
            f"skills, or a dict; got {type(source).__name__}"
        )
    keep = [k for k, t in enumerate(tags) if t]
    if not keep:
        raise InputError(
            "no item has skill tags (metadata keys "
            f"{[key] if key else list(SKILL_KEYS)}); tag items to diagnose skills"
        )
    skills = tuple(sorted({s for k in keep for s in tags[k]}))
    col_of = {s: j for j, s in enumerate(skills)}
    Q = np.zeros((len(keep), len(skills)), dtype=np.int8)
    for r, k in enumerate(keep):
        for s in tags[k]:
            Q[r, col_of[s]] = 1
    return QMatrix(Q, tuple(ids[k] for k in keep), skills)


def _labels(frame: pd.DataFrame) -> list[str]:
    item = frame["item_id"].astype(str)
    if "task" in frame.columns and frame["task"].nunique() > 1:
        item = frame["task"].astype(str) + "/" + item
    return item.tolist()


def _from_metadata(raw: Any, key: str | None) -> list[str]:
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return []
    meta = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(meta, dict):
        return []
    for k in (key,) if key else SKILL_KEYS:
        if k in meta:
            return _tags(meta[k])
    return []
