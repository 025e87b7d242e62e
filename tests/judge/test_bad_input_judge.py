"""Bad input to every public entry point of assay.judge's agreement statistics: an
InputError naming the function or parameter, never a bare numpy / pandas / Python
exception; legal but degenerate input returns a result with a DegenerateDataWarning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.errors import DegenerateDataWarning
from assay.judge import (
    cohen_kappa,
    fleiss_kappa,
    judge_agreement,
    krippendorff_alpha,
    position_bias,
)
from bad_input import raises

NAN = np.nan


def _verdicts() -> pd.DataFrame:
    rows = []
    for item in ("1", "2", "3"):
        rows += [
            {"item_id": item, "model_a": "x", "model_b": "y", "judge": "human",
             "winner": "a", "position": "ab"},
            {"item_id": item, "model_a": "x", "model_b": "y", "judge": "gpt",
             "winner": "a", "position": "ab"},
            {"item_id": item, "model_a": "y", "model_b": "x", "judge": "gpt",
             "winner": "b", "position": "ba"},
        ]  # fmt: skip
    return pd.DataFrame(rows)


def _lists() -> np.ndarray:
    """2 units x 2 raters whose labels are lists (unhashable)."""
    out = np.empty((2, 2), dtype=object)
    for i in range(2):
        for j in range(2):
            out[i, j] = [i + j]
    return out


# ----------------------------------------------------------------------------- judge

JUDGE_CASES: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
    ("cohen-lengths", lambda: cohen_kappa([1, 2], [1]), ("cohen_kappa",)),
    ("cohen-scalar", lambda: cohen_kappa(5, [1]), ("'rater1'",)),
    ("cohen-none", lambda: cohen_kappa([1, 2], None), ("'rater2'",)),
    ("cohen-empty", lambda: cohen_kappa([], []), ("cohen_kappa",)),
    ("cohen-missing", lambda: cohen_kappa([1, None], [1, 2]), ("nan_policy",)),
    ("cohen-all-missing", lambda: cohen_kappa([None], [1], nan_policy="omit"), ("cohen_kappa",)),
    ("cohen-unhashable", lambda: cohen_kappa([[1], [2]], [[1], [2]]), ("cohen_kappa",)),
    ("cohen-labels-unknown", lambda: cohen_kappa([1, 2], [1, 3], labels=[1, 2]), ("'labels'",)),
    ("cohen-labels-dup", lambda: cohen_kappa([1, 2], [1, 2], labels=[1, 2, 1]), ("'labels'",)),
    ("cohen-labels-str", lambda: cohen_kappa(["a", "b"], ["a", "b"], labels="ab"), ("'labels'",)),
    ("cohen-weights", lambda: cohen_kappa([1], [1], weights="cubic"), ("'weights'",)),
    ("cohen-nan_policy", lambda: cohen_kappa([1], [1], nan_policy="drop"), ("'nan_policy'",)),
    ("cohen-resamples", lambda: cohen_kappa([1], [1], resamples=-1), ("'resamples'",)),
    ("cohen-resamples-float", lambda: cohen_kappa([1], [1], resamples=1.5), ("'resamples'",)),
    ("cohen-confidence", lambda: cohen_kappa([1], [1], confidence=1.0), ("'confidence'",)),
    ("cohen-confidence-nan", lambda: cohen_kappa([1], [1], confidence=NAN), ("'confidence'",)),
    ("fleiss-empty", lambda: fleiss_kappa([]), ("fleiss_kappa",)),
    ("fleiss-ragged", lambda: fleiss_kappa([[1, 2], [1]]), ("fleiss_kappa",)),
    ("fleiss-1d", lambda: fleiss_kappa([1, 2, 3]), ("fleiss_kappa",)),
    ("fleiss-missing", lambda: fleiss_kappa([[1, None], [1, 2]]), ("fleiss_kappa",)),
    ("fleiss-one-rater", lambda: fleiss_kappa([[1], [2]]), ("fleiss_kappa",)),
    ("fleiss-unhashable", lambda: fleiss_kappa(_lists()), ("fleiss_kappa",)),
    ("fleiss-layout", lambda: fleiss_kappa([[1, 2]], layout="wide"), ("'layout'",)),
    ("fleiss-counts-str", lambda: fleiss_kappa([["a", "b"]], layout="counts"), ("fleiss_kappa",)),
    (
        "fleiss-counts-negative",
        lambda: fleiss_kappa([[3, -1], [1, 1]], layout="counts"),
        ("fleiss_kappa",),
    ),
    (
        "fleiss-counts-nan",
        lambda: fleiss_kappa([[1, NAN], [1, 1]], layout="counts"),
        ("fleiss_kappa",),
    ),
    (
        "fleiss-counts-unequal",
        lambda: fleiss_kappa([[1, 1], [2, 1]], layout="counts"),
        ("fleiss_kappa",),
    ),
    (
        "fleiss-counts-zero",
        lambda: fleiss_kappa([[0, 0], [0, 0]], layout="counts"),
        ("fleiss_kappa",),
    ),
    ("fleiss-confidence", lambda: fleiss_kappa([[1, 2]], confidence=0.0), ("'confidence'",)),
    ("kripp-empty", lambda: krippendorff_alpha([]), ("krippendorff_alpha",)),
    ("kripp-1d", lambda: krippendorff_alpha([1, 2]), ("krippendorff_alpha",)),
    ("kripp-ragged", lambda: krippendorff_alpha([[1, 2], [1]]), ("krippendorff_alpha",)),
    (
        "kripp-all-missing",
        lambda: krippendorff_alpha([[NAN, NAN], [1, NAN]]),
        ("krippendorff_alpha",),
    ),
    ("kripp-level", lambda: krippendorff_alpha([[1, 2]], level="ranked"), ("'level'",)),
    (
        "kripp-interval-str",
        lambda: krippendorff_alpha([[1, "a"], [1, 2]], level="interval"),
        ("krippendorff_alpha",),
    ),
    (
        "kripp-interval-bool",
        lambda: krippendorff_alpha([[True, False], [1, 2]], level="interval"),
        ("krippendorff_alpha",),
    ),
    (
        "kripp-interval-inf",
        lambda: krippendorff_alpha([[1, np.inf], [1, 2]], level="interval"),
        ("krippendorff_alpha",),
    ),
    (
        "kripp-ratio-negative",
        lambda: krippendorff_alpha([[1, -1], [1, 2]], level="ratio"),
        ("krippendorff_alpha",),
    ),
    ("kripp-unhashable", lambda: krippendorff_alpha(_lists()), ("krippendorff_alpha",)),
    ("kripp-resamples", lambda: krippendorff_alpha([[1, 2]], resamples="x"), ("'resamples'",)),
    ("judge-data", lambda: judge_agreement("x"), ("judge_agreement",)),
    ("judge-empty", lambda: judge_agreement(_verdicts().iloc[0:0]), ("judge_agreement",)),
    ("judge-no-item", lambda: judge_agreement(_verdicts().drop(columns="item_id")), ("item_id",)),
    ("judge-no-winner", lambda: judge_agreement(_verdicts().drop(columns="winner")), ("winner",)),
    ("judge-winner", lambda: judge_agreement(_verdicts().assign(winner="x")), ("winner",)),
    ("judge-null-model", lambda: judge_agreement(_verdicts().assign(model_a=None)), ("model_a",)),
    ("judge-reference", lambda: judge_agreement(_verdicts(), reference="expert"), ("expert",)),
    ("judge-judges", lambda: judge_agreement(_verdicts(), judges=["nope"]), ("nope",)),
    ("judge-judges-str", lambda: judge_agreement(_verdicts(), judges="gpt"), ("'judges'",)),
    (
        "judge-replicate-str",
        lambda: judge_agreement(_verdicts().assign(replicate="x")),
        ("replicate",),
    ),
    (
        "judge-replicate-float",
        lambda: judge_agreement(_verdicts().assign(replicate=1.5)),
        ("replicate",),
    ),
    ("judge-position", lambda: judge_agreement(_verdicts().assign(position="xy")), ("position",)),
    ("judge-resamples", lambda: judge_agreement(_verdicts(), resamples=-1), ("'resamples'",)),
    ("judge-confidence", lambda: judge_agreement(_verdicts(), confidence="x"), ("'confidence'",)),
    (
        "bias-unknown_position",
        lambda: position_bias(_verdicts(), unknown_position="x"),
        ("'unknown_position'",),
    ),
    ("bias-confidence", lambda: position_bias(_verdicts(), confidence=2.0), ("'confidence'",)),
    ("bias-judges", lambda: position_bias(_verdicts(), judges=["nope"]), ("nope",)),
    ("bias-judges-str", lambda: position_bias(_verdicts(), judges="gpt"), ("'judges'",)),
    ("bias-position", lambda: position_bias(_verdicts().assign(position="xy")), ("position",)),
    (
        "bias-no-position",
        lambda: position_bias(_verdicts().assign(position=""), unknown_position="raise"),
        ("position",),
    ),
    (
        "bias-one-order",
        lambda: position_bias(_verdicts()[_verdicts()["position"] == "ab"]),
        ("both orders",),
    ),
    ("bias-data", lambda: position_bias([1, 2]), ("position_bias",)),
    (
        "agreement-no-interval",
        lambda: cohen_kappa([1, 2], [1, 2], resamples=0).confidence_interval(),
        ("resamples",),
    ),
    ("judge-row", lambda: judge_agreement(_verdicts(), resamples=10).row("nope"), ("nope",)),
]


@pytest.mark.parametrize(("call", "names"), [pytest.param(c, n, id=i) for i, c, n in JUDGE_CASES])
def test_judge_bad_input(call: Callable[[], Any], names: tuple[str, ...]) -> None:
    raises(call, *names)


def test_judge_degenerate_inputs_warn() -> None:
    """Legal but degenerate: every label in one category gives NaN with a warning."""
    with pytest.warns(DegenerateDataWarning, match="undefined"):
        got = cohen_kappa([1, 1, 1], [1, 1, 1], resamples=0)
    assert np.isnan(got.statistic)
    with pytest.warns(DegenerateDataWarning, match="undefined"):
        assert np.isnan(fleiss_kappa([[1, 1], [1, 1]], resamples=0).statistic)
    with pytest.warns(DegenerateDataWarning, match="undefined"):
        assert np.isnan(krippendorff_alpha([[1, 1], [1, 1]], resamples=0).statistic)
    # labels of mixed types are legal for nominal data: ordered by type, then value
    assert cohen_kappa([1, "a", 1], [1, "a", "a"], resamples=0).n == 3
