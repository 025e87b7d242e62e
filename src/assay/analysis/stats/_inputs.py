"""Checking the arguments the analysis functions share (statistics, rankings,
predictions), with assay's messages."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assay.errors import InputError
from assay.store import Store

__all__ = [
    "Alternative",
    "ConfidenceInterval",
    "IntervalMethod",
    "NanPolicy",
    "check_choice",
    "check_confidence",
    "check_name",
    "check_names",
    "check_number",
    "check_open_unit",
    "check_resamples",
    "check_store",
    "complete_cases",
    "encode_clusters",
    "float_array",
    "float_vector",
    "is_real",
    "required_names",
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


def is_real(value: object) -> bool:
    """Whether ``value`` is one real number (not a bool, text, a list or an array)."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def check_open_unit(value: object, name: str, func: str) -> None:
    """Raise :class:`InputError` unless ``value`` is a number in (0, 1)."""
    if not is_real(value) or not 0.0 < value < 1.0:  # type: ignore[operator]
        raise InputError(f"the {name!r} parameter of {func} must be in (0, 1); got {value!r}")


def check_number(
    value: Any,
    name: str,
    func: str,
    *,
    low: float,
    high: float = math.inf,
    strict: bool = True,
    integer: bool = False,
) -> None:
    """Raise :class:`InputError` unless ``value`` is a finite number above ``low`` (>= when
    not ``strict``) and at most ``high``; an integer when ``integer``."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if strict else value >= low) and value <= high
    if not ok:
        what = "an integer" if integer else "a finite number"
        rel = ">" if strict else ">="
        bound = f" and <= {high:g}" if math.isfinite(high) else ""
        raise InputError(
            f"the {name!r} parameter of {func} must be {what} {rel} {low:g}{bound}; got {value!r}"
        )


def check_confidence(confidence: float, func: str) -> float:
    """``confidence`` as a float, when it is a number in (0, 1)."""
    check_open_unit(confidence, "confidence", func)
    return float(confidence)


def check_resamples(resamples: int, func: str, minimum: int = 1) -> None:
    if (
        not isinstance(resamples, int | np.integer)
        or isinstance(resamples, bool)
        or resamples < minimum
    ):
        raise InputError(
            f"the 'resamples' parameter of {func} must be an integer >= {minimum}; "
            f"got {resamples!r}"
        )


def check_store(store: object, func: str) -> None:
    """Raise :class:`InputError` unless ``store`` is an open :class:`~assay.store.Store`."""
    if not isinstance(store, Store):
        raise InputError(
            f"the 'store' parameter of {func} must be an assay Store (assay.store.Store(path)); "
            f"got {type(store).__name__}"
        )


def check_name(value: object, name: str, func: str) -> str:
    """``value`` if it is a non-empty name, else :class:`InputError`."""
    if not isinstance(value, str) or not value:
        raise InputError(f"the {name!r} parameter of {func} must be a name (text); got {value!r}")
    return value


def check_names(value: object, name: str, func: str, *, one: bool = False) -> list[str] | None:
    """The names in ``value`` as a list (``None`` stays ``None``).

    A single string is one name when ``one`` is true and an error otherwise (iterating it
    would select its letters).
    """
    if value is None:
        return None
    return required_names(value, name, func, one=one)


def required_names(value: object, name: str, func: str, *, one: bool = False) -> list[str]:
    """The names in ``value`` as a list, as :func:`check_names` but ``None`` refused."""
    if isinstance(value, str) and one:
        return [value]
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        wrap = f" (wrap one name in a list: [{value!r}])" if isinstance(value, str) else ""
        raise InputError(
            f"the {name!r} parameter of {func} must be a list of names; got {value!r}{wrap}"
        )
    names = list(value)
    bad = [v for v in names if not isinstance(v, str)]
    if bad:
        raise InputError(f"the {name!r} parameter of {func} must hold names (text); got {bad[0]!r}")
    return names


def seed_of(seed: int | np.random.Generator | None) -> int | None:
    """The seed as it goes into a signature (a generator has no reproducible seed)."""
    return int(seed) if isinstance(seed, int | np.integer) else None


def float_array(
    x: ArrayLike,
    name: str,
    func: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    finite: bool = False,
) -> NDArray[np.float64]:
    """A float array from ``x``: text and ragged rows are refused, and infinite values (NaN
    too when ``finite``); with ``ndim``, the number of dimensions (one of them, for a
    tuple) is checked."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"the {name!r} parameter of {func} must be a rectangular array of numbers; {exc}"
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            dims = " or ".join(str(d) for d in allowed)
            raise InputError(
                f"the {name!r} parameter of {func} must be {dims}-dimensional; got shape {arr.shape}"
            )
    if finite and not np.isfinite(arr).all():
        raise InputError(f"the {name!r} parameter of {func} holds NaN or infinite values")
    if np.isinf(arr).any():
        raise InputError(f"the {name!r} parameter of {func} holds infinite values")
    return arr


def float_vector(x: ArrayLike, name: str, func: str) -> NDArray[np.float64]:
    """A 1-d float array from ``x`` (infinite values rejected)."""
    arr = float_array(x, name, func)
    if arr.ndim != 1:
        raise InputError(
            f"the {name!r} parameter of {func} must be one-dimensional; got shape {arr.shape}"
        )
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
