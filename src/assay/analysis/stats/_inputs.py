"""Checking the arguments every statistics function shares, with assay's messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assay.errors import InputError

__all__ = [
    "Alternative",
    "ConfidenceInterval",
    "IntervalMethod",
    "NanPolicy",
    "check_choice",
    "check_confidence",
    "check_resamples",
    "complete_cases",
    "encode_clusters",
    "float_vector",
    "seed_of",
]

NanPolicy = Literal["omit", "raise"]
IntervalMethod = Literal["percentile", "bca"]
Alternative = Literal["two-sided", "greater", "less"]


class ConfidenceInterval(NamedTuple):
    """Lower and upper bound of an interval."""

    low: float
    high: float


def check_choice(value: object, literal: Any, name: str, func: str) -> None:
    """Raise :class:`InputError` unless ``value`` is one of the ``Literal`` type's values."""
    allowed = get_args(literal)
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise InputError(f"the {name!r} parameter of {func} must be one of {listed}; got {value!r}")


def check_confidence(confidence: float, func: str) -> None:
    if not 0.0 < confidence < 1.0:
        raise InputError(
            f"the 'confidence' parameter of {func} must be in (0, 1); got {confidence!r}"
        )


def check_resamples(resamples: int, func: str, minimum: int = 1) -> None:
    if not isinstance(resamples, int | np.integer) or resamples < minimum:
        raise InputError(
            f"the 'resamples' parameter of {func} must be an integer >= {minimum}; "
            f"got {resamples!r}"
        )


def seed_of(seed: int | np.random.Generator | None) -> int | None:
    """The seed as it goes into a signature (a generator has no reproducible seed)."""
    return int(seed) if isinstance(seed, int | np.integer) else None


def float_vector(x: ArrayLike, name: str, func: str) -> NDArray[np.float64]:
    """A 1-d float array from ``x`` (infinite values rejected)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the {name!r} parameter of {func} must be numbers; {exc}") from None
    if arr.ndim != 1:
        raise InputError(
            f"the {name!r} parameter of {func} must be one-dimensional; got shape {arr.shape}"
        )
    if np.isinf(arr).any():
        raise InputError(f"the {name!r} parameter of {func} holds infinite values")
    return arr


def encode_clusters(
    clusters: ArrayLike | Sequence[object] | None, n: int, func: str
) -> NDArray[np.int64] | None:
    """Integer codes ``0..G-1`` for the cluster labels of ``n`` items (``None`` stays)."""
    if clusters is None:
        return None
    labels = np.asarray(clusters, dtype=object)
    if labels.ndim != 1 or len(labels) != n:
        raise InputError(
            f"the 'clusters' parameter of {func} must hold one label per item "
            f"({n}); got {len(labels) if labels.ndim == 1 else labels.shape}"
        )
    if any(lab is None or (isinstance(lab, float) and np.isnan(lab)) for lab in labels):
        raise InputError(f"the 'clusters' parameter of {func} holds missing labels")
    _, codes = np.unique(labels.astype(str), return_inverse=True)
    return codes.astype(np.int64)


def complete_cases(
    missing: NDArray[np.bool_],
    clusters: ArrayLike | Sequence[object] | None,
    nan_policy: NanPolicy,
    func: str,
) -> tuple[NDArray[np.bool_], NDArray[np.int64] | None, int]:
    """Apply ``nan_policy`` to the items flagged in ``missing``.

    Returns the mask of the items kept, the cluster codes of the kept items (renumbered
    ``0..G-1``; ``None`` without clusters) and how many items were left out.
    """
    codes = encode_clusters(clusters, len(missing), func)
    k = int(missing.sum())
    if k and nan_policy == "raise":
        raise InputError(
            f"{func}: {k} items have missing (NaN) values; pass nan_policy='omit' to leave them out"
        )
    keep = ~missing
    if k and codes is not None:
        codes = np.unique(codes[keep], return_inverse=True)[1].astype(np.int64)
    return keep, codes, k
