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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from assay._version import __version__
from assay.errors import InputError

__all__ = ["Selection", "as_matrix", "check_irt"]


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
        idx = _integers(self.indices, "indices")
        w = _floats(self.weights, "weights")
        strata = _integers(self.strata, "strata")
        variance = _floats(self.stratum_variance, "stratum_variance")
        if idx.ndim != 1 or idx.size == 0:
            raise InputError(
                "Selection: 'indices' must list at least one selected item (a flat list of "
                f"positions); got shape {idx.shape}"
            )
        if idx.min() < 0 or idx.max() >= n_items or np.unique(idx).size != idx.size:
            raise InputError(
                f"Selection: the selected 'indices' must be distinct positions in "
                f"0..{n_items - 1}; got {idx}"
            )
        if w.shape != idx.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise InputError(
                "Selection: the selection 'weights' must be finite, >= 0, one per selected item"
            )
        if not np.isclose(w.sum(), 1.0):
            raise InputError(f"Selection: the selection 'weights' must sum to 1; got {w.sum():.6g}")
        if strata.shape != (n_items,) or (strata.size and strata.min() < 0):
            raise InputError(
                f"Selection: 'strata' must give one stratum (an integer >= 0) per item "
                f"({n_items}); got shape {strata.shape}"
            )
        object.__setattr__(self, "indices", idx)
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "strata", strata)
        object.__setattr__(self, "stratum_variance", variance)

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
        if not isinstance(doc, Mapping):
            raise InputError(
                f"Selection.from_dict needs a selection document (a mapping); got "
                f"{type(doc).__name__}"
            )
        missing = [
            k
            for k in ("method", "item_ids", "indices", "weights", "strata", "stratum_variance")
            if k not in doc
        ]
        if missing:
            raise InputError(f"a selection document needs the field {missing[0]!r}")
        for key in ("item_ids", "indices", "weights", "strata", "stratum_variance"):
            if isinstance(doc[key], str | bytes) or not isinstance(doc[key], Iterable):
                raise InputError(
                    f"the field {key!r} of a selection document must be a list; got "
                    f"{type(doc[key]).__name__}"
                )
        params = doc.get("params") or {}
        if not isinstance(params, Mapping):
            raise InputError(
                f"the field 'params' of a selection document must be a mapping; got "
                f"{type(params).__name__}"
            )
        return cls(
            method=str(doc["method"]),
            item_ids=tuple(str(i) for i in doc["item_ids"]),
            indices=doc["indices"],
            weights=doc["weights"],
            strata=doc["strata"],
            stratum_variance=cast(
                Any, [np.nan if v is None else v for v in doc["stratum_variance"]]
            ),
            params=dict(params),
        )

    def __repr__(self) -> str:
        return (
            f"Selection(method={self.method!r}, budget={self.budget}, "
            f"n_items={self.n_items}, strata={np.unique(self.strata).size})"
        )


def _floats(value: Any, name: str) -> NDArray[np.float64]:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"Selection: {name!r} must be numbers; {exc}") from None


def _integers(value: Any, name: str) -> NDArray[np.int64]:
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"Selection: {name!r} must be integers; {exc}") from None
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iu" and not (
        arr.dtype.kind == "f" and np.all(np.isfinite(arr) & (arr == np.round(arr)))
    ):
        raise InputError(f"Selection: {name!r} must be integers; got {arr.ravel()[:5].tolist()}")
    return arr.astype(np.int64)


def check_irt(irt: Any, caller: str, n_items: int | None = None, *, predicts: bool = True) -> None:
    """Raise unless ``irt`` is a fitted IRT model (or an object with its fitted parameters,
    and, when ``predicts``, its ``predict_proba`` and ``estimate_ability``) on ``n_items``."""
    from assay.analysis.irt import IRT

    if isinstance(irt, IRT):
        irt._check_fitted(caller)
    needs = ["discrimination_", "difficulty_"]
    needs += ["predict_proba", "estimate_ability"] if predicts else []
    lacking = [n for n in needs if not hasattr(irt, n)]
    if lacking:
        raise InputError(
            f"the 'irt' parameter of {caller} must be a fitted IRT; got {type(irt).__name__} "
            f"(it has no {lacking[0]})"
        )
    k = int(np.shape(irt.difficulty_)[0]) if np.ndim(irt.difficulty_) else 0
    if n_items is not None and k != n_items:
        raise InputError(
            f"the 'irt' parameter of {caller} has parameters for {k} items but the matrix "
            f"has {n_items}; fit it on the same items"
        )


def as_matrix(
    Y: Any, item_ids: Sequence[str] | None = None, *, caller: str
) -> tuple[NDArray[np.float64], tuple[str, ...]]:
    """The models x items array and item ids of an ``ItemMatrix`` or an array.

    Values must lie in [0, 1] (NaN = missing). Item ids default to ``"0".."N-1"``.
    """
    ids = getattr(Y, "items", None)
    try:
        arr = np.asarray(getattr(Y, "Y", Y), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"the 'Y' parameter of {caller} must be a models x items matrix of scores in "
            f"[0, 1] (NaN = missing), with rows of equal length; {exc}"
        ) from None
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
