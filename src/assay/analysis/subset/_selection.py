"""A selected subset of a benchmark's items: which items, their weights, their strata.

A :class:`Selection` is what every selector produces and what every estimator reads. It
stands alone (no fitted object needed) so that it can be written into a task file and
read back by ``assay subset estimate``.

Each item of the full benchmark belongs to one *stratum* (a cluster, a difficulty band,
a metadata group, or the single stratum of simple random sampling). A selected item
carries the weight of the part of the benchmark it stands for; the weights sum to one,
so the weighted mean of a model's scores on the selected items estimates its mean over
all items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assay._version import __version__
from assay.errors import InputError

__all__ = ["Selection", "as_matrix"]


@dataclass(frozen=True, eq=False)
class Selection:
    """The items chosen to stand in for a benchmark.

    Attributes
    ----------
    method
        The selector that chose them (``"random"``, ``"stratified"``, ``"anchor"``,
        ``"anchor-irt"``, ``"cold-start"``).
    item_ids
        Every item of the full benchmark, in the order of the training matrix.
    indices
        Positions of the selected items in ``item_ids``.
    weights
        Weight of each selected item (sums to 1).
    strata
        Stratum of every benchmark item (length ``len(item_ids)``).
    stratum_variance
        Within-stratum variance of item scores per stratum, averaged over the training
        models (``NaN`` where unknown: cold start, or strata of one item).
    params
        The selector's parameters (budget, seed, ...), for the signature.
    """

    method: str
    item_ids: tuple[str, ...]
    indices: NDArray[np.int64]
    weights: NDArray[np.float64]
    strata: NDArray[np.int64]
    stratum_variance: NDArray[np.float64]
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n_items = len(self.item_ids)
        idx = np.asarray(self.indices, dtype=np.int64)
        w = np.asarray(self.weights, dtype=np.float64)
        strata = np.asarray(self.strata, dtype=np.int64)
        if idx.ndim != 1 or idx.size == 0:
            raise InputError("a selection needs at least one selected item")
        if idx.min() < 0 or idx.max() >= n_items or np.unique(idx).size != idx.size:
            raise InputError(
                f"selected indices must be distinct positions in 0..{n_items - 1}; got {idx}"
            )
        if w.shape != idx.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise InputError("selection weights must be finite, >= 0, one per selected item")
        if not np.isclose(w.sum(), 1.0):
            raise InputError(f"selection weights must sum to 1; got {w.sum():.6g}")
        if strata.shape != (n_items,):
            raise InputError(
                f"strata must give one stratum per item ({n_items}); got {strata.shape}"
            )
        object.__setattr__(self, "indices", idx)
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "strata", strata)
        object.__setattr__(
            self, "stratum_variance", np.asarray(self.stratum_variance, dtype=np.float64)
        )

    @property
    def budget(self) -> int:
        """Number of selected items."""
        return int(self.indices.size)

    @property
    def n_items(self) -> int:
        """Number of items of the full benchmark."""
        return len(self.item_ids)

    @property
    def items(self) -> tuple[str, ...]:
        """Ids of the selected items, in selection order."""
        return tuple(self.item_ids[i] for i in self.indices)

    @property
    def signature(self) -> dict[str, Any]:
        """What reproduces this selection: method, parameters, sizes, assay version."""
        return {
            "method": self.method,
            "params": dict(self.params),
            "budget": self.budget,
            "n_items": self.n_items,
            "assay_version": __version__,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document; :meth:`from_dict` reads it back exactly."""
        return {
            "method": self.method,
            "item_ids": list(self.item_ids),
            "indices": self.indices.tolist(),
            "weights": self.weights.tolist(),
            "strata": self.strata.tolist(),
            "stratum_variance": [None if np.isnan(v) else float(v) for v in self.stratum_variance],
            "params": dict(self.params),
            "assay_version": __version__,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Selection:
        """The selection written by :meth:`to_dict`."""
        try:
            return cls(
                method=str(doc["method"]),
                item_ids=tuple(str(i) for i in doc["item_ids"]),
                indices=np.asarray(doc["indices"], dtype=np.int64),
                weights=np.asarray(doc["weights"], dtype=np.float64),
                strata=np.asarray(doc["strata"], dtype=np.int64),
                stratum_variance=np.asarray(
                    [np.nan if v is None else v for v in doc["stratum_variance"]],
                    dtype=np.float64,
                ),
                params=dict(doc.get("params") or {}),
            )
        except KeyError as exc:
            raise InputError(f"a selection document needs the field {exc}") from None

    def __repr__(self) -> str:
        return (
            f"Selection(method={self.method!r}, budget={self.budget}, "
            f"n_items={self.n_items}, strata={np.unique(self.strata).size})"
        )


def as_matrix(
    Y: Any, item_ids: Sequence[str] | None = None, *, caller: str
) -> tuple[NDArray[np.float64], tuple[str, ...]]:
    """The models x items array and item ids of an ``ItemMatrix`` or an array.

    Values must lie in [0, 1] (NaN = missing). Item ids default to ``"0".."N-1"``.
    """
    ids = getattr(Y, "items", None)
    arr = np.asarray(getattr(Y, "Y", Y), dtype=np.float64)
    if arr.ndim != 2:
        raise InputError(
            f"the 'Y' parameter of {caller} must be a models x items matrix; got shape {arr.shape}"
        )
    if arr.shape[1] == 0:
        raise InputError(f"the 'Y' parameter of {caller} has no items")
    finite = arr[np.isfinite(arr)]
    if np.isinf(arr).any() or (finite.size and (finite.min() < 0 or finite.max() > 1)):
        raise InputError(
            f"the 'Y' parameter of {caller} must hold scores in [0, 1] (NaN for missing); "
            f"got values in [{np.nanmin(arr):.4g}, {np.nanmax(arr):.4g}]; rescale first "
            "(e.g. grades 1-10 -> (g - 1) / 9)"
        )
    if item_ids is not None:
        ids = tuple(str(i) for i in item_ids)
    elif ids is not None:
        ids = tuple(str(i) for i in ids)
    else:
        ids = tuple(str(i) for i in range(arr.shape[1]))
    if len(ids) != arr.shape[1]:
        raise InputError(f"{caller}: {len(ids)} item ids for a matrix of {arr.shape[1]} items")
    if len(set(ids)) != len(ids):
        raise InputError(f"{caller}: item ids must be distinct")
    return arr, ids
