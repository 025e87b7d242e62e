"""What the bad-input tests share (``tests/*/test_bad_input_*.py``): the checks that a call
given bad input raises an error naming what is wrong, or, for legal but degenerate input,
returns a result, with nothing else escaping; a frame editor; and a small item matrix with
its 2PL fit.

The checks differ in what they accept, as their tests were written: :func:`expect_clear`
lets any assay warning through and returns what happened; :func:`check` (a :class:`Case`)
allows only the degenerate-data and convergence warnings and needs ``ok`` for a result;
:func:`refused_or_result` matches the message with a regular expression.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.analysis.irt import IRT
from assay.errors import AssayWarning, ConvergenceWarning, DegenerateDataWarning, InputError

__all__ = [
    "Case",
    "case",
    "check",
    "expect_clear",
    "fitted_irt",
    "item_scores",
    "raises",
    "refused_or_result",
    "with_columns",
]


def expect_clear(call: Callable[[], Any], names: tuple[str, ...], allow: Any = InputError) -> Any:
    """Run ``call``; an ``allow`` error must name one of ``names``; no other exception and
    no warning outside assay's warning tree may escape. Returns the result, if any."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = call()
        except allow as exc:
            msg = str(exc)
            assert any(n in msg for n in names), f"the message names none of {names}: {msg}"
            out = exc
        except Exception as exc:
            pytest.fail(f"{type(exc).__name__} escaped: {exc}")
    stray = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if not issubclass(w.category, AssayWarning)
    ]
    assert not stray, f"non-assay warnings: {stray}"
    return out


def raises(call: Callable[[], Any], *names: str, allow: Any = InputError) -> None:
    """:func:`expect_clear`, and the call must have raised."""
    out = expect_clear(call, names, allow)
    assert isinstance(out, allow), f"no error; returned {out!r}"


@dataclass(frozen=True)
class Case:
    """One call with bad input: ``names`` are the words an InputError must contain (any
    one of them); ``ok`` marks legal degenerate input that may return a result."""

    id: str
    call: Callable[[], Any]
    names: tuple[str, ...]
    ok: bool = False


def case(id: str, call: Callable[[], Any], *names: str, ok: bool = False) -> Any:
    """A :class:`Case` as a pytest parameter with its id."""
    return pytest.param(Case(id, call, names, ok), id=id)


def check(c: Case) -> None:
    """Run the case: an InputError naming one of its names, or (``ok``) a result with at
    most degenerate-data or convergence warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = c.call()
        except InputError as exc:
            msg = str(exc)
            assert any(n in msg for n in c.names), f"{c.id}: message names none of {c.names}: {msg}"
            return
    strange = [
        w for w in caught if not issubclass(w.category, DegenerateDataWarning | ConvergenceWarning)
    ]
    assert not strange, f"{c.id}: unexpected warnings {[str(w.message) for w in strange]}"
    assert c.ok, f"{c.id}: returned {result!r} instead of raising InputError"
    assert result is not None


def refused_or_result(call: Callable[[], object], expected: Any) -> None:
    """``expected``: a regex the InputError message must match, an exception type the call
    must raise, or a predicate its result must satisfy (legal degenerate input)."""
    with warnings.catch_warnings():
        # legal degenerate data may warn with assay's own warnings, nothing else
        warnings.simplefilter("ignore", DegenerateDataWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        if isinstance(expected, str):
            with pytest.raises(InputError, match=expected):
                call()
        elif isinstance(expected, type):
            with pytest.raises(expected):
                call()
        else:
            assert expected(call())


def with_columns(frame: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """A copy of ``frame`` with columns replaced: a value for the whole column, or a
    ``(row index, value)`` pair for one cell (the column becomes ``object``)."""
    out = frame.copy()
    for name, value in columns.items():
        if isinstance(value, tuple):
            out[name] = out[name].astype(object)
            out.loc[value[0], name] = value[1]
        else:
            out[name] = value
    return out


@functools.cache
def item_scores() -> np.ndarray:
    """8 models x 10 items of 0/1 scores, no constant item."""
    rng = np.random.default_rng(3)
    theta = np.linspace(-1.5, 1.5, 8)[:, None]
    b = np.linspace(-1.0, 1.0, 10)[None, :]
    Y = (rng.random((8, 10)) < 1 / (1 + np.exp(-(theta - b)))).astype(float)
    Y[0, :] = 0.0
    Y[-1, :] = 1.0
    Y[1, ::2] = 1.0
    Y[2, 1::2] = 1.0
    return Y


@functools.cache
def fitted_irt() -> IRT:
    """A 2PL fitted on :func:`item_scores`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssayWarning)
        return IRT(model="2pl").fit(item_scores())
