"""The fitted-object contract shared by the rating models (after scikit-learn's).

The constructor only stores its keyword parameters; ``fit`` validates them, learns, sets
attributes ending in ``_`` and returns ``self``; using a learned attribute's method before
``fit`` raises :class:`~assay.errors.NotFittedError`.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Self

import numpy as np

from assay.analysis.ranking._battles import Battles, describe_components
from assay.analysis.stats._inputs import check_confidence, check_number
from assay.errors import DegenerateDataWarning, InputError, NotFittedError

__all__ = [
    "RatingEstimator",
    "check_bootstrap",
    "check_confidence",
    "check_number",
    "model_names",
    "seed_record",
    "style_names",
    "warn_if_disconnected",
]


class RatingEstimator:
    """Parameter handling and the fitted check."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters and their current values."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters (validated at the next ``fit``)."""
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise InputError(
                    f"{type(self).__name__} has no parameter {key!r}; parameters are "
                    f"{sorted(valid)}"
                )
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if sig.parameters[name].default is not value and sig.parameters[name].default != value
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _check_fitted(self, where: str) -> None:
        if not hasattr(self, "ratings_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(battles) before {where}"
            )


def check_bootstrap(bootstrap: Any, confidence: Any, where: str) -> None:
    """Raise unless ``bootstrap`` is an integer >= 0 and ``confidence`` is in (0, 1)."""
    check_number(bootstrap, "bootstrap", where, low=0, strict=False, integer=True)
    check_confidence(confidence, where)


def warn_if_disconnected(battles: Battles, labels: np.ndarray, anchor: str | None) -> None:
    """A DegenerateDataWarning naming the components when there is more than one."""
    n = int(labels.max()) + 1
    if n == 1:
        return
    how = (
        f"the anchor {anchor!r} fixes only its own component, every other one is centred"
        if anchor is not None
        else "each component is centred"
    )
    warnings.warn(
        f"the comparison graph has {n} components that were never compared with each "
        f"other: {describe_components(battles, labels)}; ratings and ranks are comparable "
        f"only within a component ({how} on base separately; see each entry's "
        "'component'). Add battles between the components to rate them on one scale.",
        DegenerateDataWarning,
        stacklevel=3,
    )


def model_names(models: Any, where: str) -> list[str]:
    """Validate the 'models' parameter: at least two distinct names (as strings)."""
    if isinstance(models, str | bytes) or not isinstance(models, Iterable):
        raise InputError(
            f"the 'models' parameter of {where} must be a list of at least two model names; "
            f"got {models!r}"
        )
    names = [str(m) for m in models]
    if len(names) < 2 or len(set(names)) != len(names):
        raise InputError(
            f"the 'models' parameter of {where} must hold at least two distinct names; "
            f"got {names[:20]}"
        )
    return names


def seed_record(seed: Any) -> int | None:
    """The seed as recorded in a signature (``None`` for a generator or no seed)."""
    return int(seed) if isinstance(seed, int | np.integer) else None


def style_names(style: Any, where: str) -> tuple[str, ...]:
    """Validate the 'style' parameter: ``None`` or a list of distinct feature names."""
    if style is None:
        return ()
    if isinstance(style, str) or not isinstance(style, Sequence):
        raise InputError(
            f"the 'style' parameter of {where} must be None or a list of feature names "
            f"(e.g. ['length']); got {style!r}"
        )
    names = tuple(style)
    if not all(isinstance(s, str) and s for s in names) or len(set(names)) != len(names):
        raise InputError(
            f"the 'style' parameter of {where} must hold distinct non-empty names; got {style!r}"
        )
    return names
