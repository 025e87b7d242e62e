"""Checking the arguments only the prediction methods take (chance floors, scaling frames,
name lists that may hold non-text ids, numeric columns), with assay's messages; the checks
every analysis function shares (numbers, confidence, arrays, seeds) are in
:mod:`assay.analysis.stats._inputs`.

Each check raises :class:`~assay.errors.InputError` naming the function (``where``), the
parameter or column and what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from assay.errors import InputError

__all__ = [
    "check_chance",
    "check_frame",
    "name_list",
    "numeric_column",
]


def check_chance(chance: Any, where: str, *, low: float = 0.0, high: float = 1.0) -> None:
    """Raise unless ``chance`` is a number in [low, high) or a ``{task: number}`` mapping."""
    values = chance.items() if isinstance(chance, Mapping) else [(None, chance)]
    for task, v in values:
        ok = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        if not ok or not low <= v < high:
            at = f" (task {task!r})" if task is not None else ""
            raise InputError(
                f"the 'chance' parameter of {where} must be a number in [{low:g}, {high:g}) "
                f"or a mapping of task names to such numbers; got {v!r}{at}"
            )


def check_frame(
    frame: Any,
    where: str,
    *,
    name: str = "frame",
    columns: Iterable[str] = (),
    empty: bool = False,
) -> None:
    """Raise unless ``frame`` is a DataFrame with ``columns`` (and rows, unless ``empty``)."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"the {name!r} parameter of {where} must be a pandas DataFrame; "
            f"got {type(frame).__name__}"
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{where}: the {name!r} frame has no column(s) {missing}; "
            f"its columns are {[str(c) for c in frame.columns]}"
        )
    if not empty and frame.empty:
        raise InputError(f"{where}: the {name!r} frame is empty (no rows)")


def name_list(value: Any, name: str, where: str) -> list[str]:
    """A list of names from ``value`` (a list, tuple, set, array or Series of names; a
    single string is refused, as iterating it would give its characters)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InputError(
            f"the {name!r} parameter of {where} must be a list of names; got {value!r}"
        )
    return [str(v) for v in value]


def numeric_column(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    """The ``column`` of ``frame`` as floats; missing values stay NaN, while text that is
    not a number and infinite values are refused, naming the first offending row."""
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    bad = (values.isna() & frame[column].notna()) | np.isinf(values)
    if bad.any():
        pos = int(np.argmax(bad.to_numpy()))
        row = frame.iloc[pos]
        who = ", ".join(f"{c} {row[c]!r}" for c in ("model_id", "task") if c in frame.columns)
        raise InputError(
            f"{where}: column {column!r} must hold finite numbers; got {row[column]!r} "
            f"(row {frame.index[pos]!r}{', ' + who if who else ''})"
        )
    return values
