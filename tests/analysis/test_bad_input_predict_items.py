# mypy: disable-error-code="arg-type, list-item, dict-item"
"""Bad input to the item-level entry points of assay.analysis.predict (COD, PassUntil,
the per-choice analysis, checkpoint monitoring): each call either returns a result (legal
but degenerate data, possibly with a DegenerateDataWarning) or raises InputError (or
NotFittedError before fit) naming the function, parameter, column or item at fault. No
other exception type may escape, and no warning other than assay's (pytest turns a numpy
RuntimeWarning, a sign of a silent NaN, into an error)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.analysis.predict import (
    COD,
    PassUntilScaling,
    choice_analysis,
    choice_metrics,
    cod_curve,
    estimate_pass_until,
    kendall_tau_rows,
    mean_shift,
    monitor_checkpoints,
)
from assay.errors import (
    NotFittedError,
)
from bad_input import refused_or_result, with_columns

Call = Callable[[], object]


# ---------------------------------------------------------------- small valid inputs


@functools.cache
def _pass_until_scaling() -> PassUntilScaling:
    rates = np.array([[0.01, 0.05, 0.2, 0.5], [0.02, 0.08, 0.3, 0.6]])
    return PassUntilScaling().fit(rates, [1e8, 3e8, 1e9, 3e9])


def _cod_rates() -> tuple[np.ndarray, np.ndarray]:
    compute = np.array([1.0, 2.0, 4.0, 8.0, 16.0]) * 1e20
    cu = compute / compute[0]
    rows = [cod_curve(cu, 3.0 * s, 0.5, 0.1, 0.0) for s in np.linspace(0.95, 1.05, 30)]
    return np.vstack(rows), compute


@functools.cache
def _cod() -> COD:
    p, c = _cod_rates()
    return COD(min_cluster_size=5).fit(p, c)


def _choices(n_models: int = 4) -> pd.DataFrame:
    rows = []
    for m in range(n_models):
        for i in range(3):
            rows.append(
                {
                    "model_id": f"m{m}",
                    "family": "f",
                    "training_flops": 10 ** (20 + m),
                    "task": "t",
                    "item_id": f"i{i}",
                    "gold": 0,
                    "choice_logprobs": [-3 + 0.5 * m + 0.1 * i, -2.0, -2.5 - 0.1 * m],
                }
            )
    return pd.DataFrame(rows)


def _checkpoints() -> pd.DataFrame:
    rows = []
    for s in range(2):
        for k, step in enumerate((1, 10, 100, 1000)):
            for task in ("a", "b"):
                rows.append(
                    {
                        "series": f"s{s}",
                        "checkpoint_step": step,
                        "task": task,
                        "score": 0.2 + 0.1 * k + 0.01 * s,
                    }
                )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the cases
# (id, call, expected): expected is a regex the InputError message must match, or a
# predicate on the result for legal (degenerate) input.
CASES: list[tuple[str, Call, str | Callable[[Any], bool]]] = [
    # COD
    (
        "COD-ragged",
        lambda: COD().fit([[0.1, 0.2, 0.3], [0.1, 0.2]], [1, 2, 4]),
        "'pass_rates'.*COD.fit",
    ),
    (
        "COD-strings",
        lambda: COD().fit(np.array([["a", "b", "c"]]), [1, 2, 4]),
        "'pass_rates'.*COD.fit",
    ),
    (
        "COD-compute-strings",
        lambda: COD().fit(np.zeros((5, 3)), ["a", "b", "c"]),
        "'compute'.*COD.fit",
    ),
    ("COD-compute-2d", lambda: COD().fit(np.zeros((5, 3)), np.ones((3, 1))), "'compute'.*COD.fit"),
    (
        "COD-compute-inf",
        lambda: COD().fit(np.zeros((5, 3)), [1.0, 2.0, math.inf]),
        "'compute'.*COD.fit",
    ),
    ("COD-compute-nan", lambda: COD().fit(np.zeros((5, 3)), [1.0, 2.0, math.nan]), "compute"),
    ("COD-rates-out-of-range", lambda: COD().fit(np.full((5, 3), 1.5), [1, 2, 4]), "pass_rates"),
    ("COD-no-items", lambda: COD().fit(np.zeros((0, 3)), [1, 2, 4]), "'pass_rates'.*COD.fit.*item"),
    ("COD-mismatch", lambda: COD().fit(np.zeros((5, 3)), [1, 2, 4, 8]), "pass_rates"),
    (
        "COD-anchors-out-of-range",
        lambda: COD(min_cluster_size=5).fit(*_cod_rates(), anchors=np.full((30, 1), 2.0)),
        "'anchors'.*COD.fit",
    ),
    (
        "COD-anchors-nan",
        lambda: COD(min_cluster_size=5).fit(*_cod_rates(), anchors=np.full((30, 1), math.nan)),
        "'anchors'.*COD.fit",
    ),
    (
        "COD-anchors-rows",
        lambda: COD(min_cluster_size=5).fit(*_cod_rates(), anchors=np.zeros((3, 1))),
        "anchors",
    ),
    ("COD-bad-bandwidth", lambda: COD(bandwidth=-1.0).fit(*_cod_rates()), "'bandwidth'.*COD"),
    ("COD-string-bandwidth", lambda: COD(bandwidth="auto").fit(*_cod_rates()), "'bandwidth'.*COD"),
    (
        "COD-bad-min-cluster",
        lambda: COD(min_cluster_size=0).fit(*_cod_rates()),
        "'min_cluster_size'.*COD",
    ),
    ("COD-bad-max-spread", lambda: COD(max_spread=-0.1).fit(*_cod_rates()), "'max_spread'.*COD"),
    ("COD-string-threshold", lambda: COD(a_min="1").fit(*_cod_rates()), "'a_min'.*COD"),
    ("COD-nan-threshold", lambda: COD(min_rise=math.nan).fit(*_cod_rates()), "'min_rise'.*COD"),
    ("COD-bad-mapping", lambda: COD(mapping="cubic").fit(*_cod_rates()), "'mapping'.*COD"),
    ("COD-predict-unfitted", lambda: COD().predict(1e21), NotFittedError),
    ("COD-predict-string", lambda: _cod().predict("big"), "'compute'.*COD.predict"),
    ("COD-predict-negative", lambda: _cod().predict(-1.0), "'compute'.*COD.predict"),
    ("COD-predict-zero", lambda: _cod().predict(0.0), "'compute'.*COD.predict"),
    ("COD-predict-nan", lambda: _cod().predict(math.nan), "'compute'.*COD.predict"),
    ("cod_curve-strings", lambda: cod_curve(np.array(["a"]), 1.0, 1.0, 0.0, 0.0), "cod_curve"),
    (
        "cod_curve-non-positive",
        lambda: cod_curve(np.array([0.0, 1.0]), 1.0, 1.0, 0.0, 0.0),
        "'c'.*cod_curve",
    ),
    ("mean_shift-1d", lambda: mean_shift(np.array([0.1, 0.2]), 0.1), "'x'.*mean_shift"),
    ("mean_shift-empty", lambda: mean_shift(np.zeros((0, 3)), 0.1), "'x'.*mean_shift"),
    (
        "mean_shift-bad-bandwidth",
        lambda: mean_shift(np.zeros((4, 3)), -0.1),
        "'bandwidth'.*mean_shift",
    ),
    ("mean_shift-nan", lambda: mean_shift(np.full((4, 3), math.nan), 0.1), "'x'.*mean_shift"),
    (
        "mean_shift-bad-iterations",
        lambda: mean_shift(np.zeros((4, 3)), 0.1, iterations=0),
        "'iterations'.*mean_shift",
    ),
    # estimate_pass_until
    ("pass_until-empty", lambda: estimate_pass_until([], []), "estimate_pass_until"),
    (
        "pass_until-mismatch",
        lambda: estimate_pass_until([3, 4], [2]),
        "estimate_pass_until.*length",
    ),
    (
        "pass_until-ragged",
        lambda: estimate_pass_until([[3, 4], [5]], [[2, 2], [2]]),
        "'draws'.*estimate_pass_until",
    ),
    (
        "pass_until-strings",
        lambda: estimate_pass_until(["3"], ["x"]),
        "'(draws|passes)'.*estimate_pass_until",
    ),
    (
        "pass_until-float-draws",
        lambda: estimate_pass_until([3.5], [2]),
        "'draws'.*estimate_pass_until.*integer",
    ),
    (
        "pass_until-nan-draws",
        lambda: estimate_pass_until([math.nan], [2]),
        "'draws'.*estimate_pass_until",
    ),
    (
        "pass_until-negative-passes",
        lambda: estimate_pass_until([3], [-1]),
        "estimate_pass_until.*passes",
    ),
    ("pass_until-zero-draws", lambda: estimate_pass_until([0], [0]), "estimate_pass_until.*draws"),
    (
        "pass_until-too-many-passes",
        lambda: estimate_pass_until([5], [3]),
        "estimate_pass_until.*passes",
    ),
    (
        "pass_until-r-string",
        lambda: estimate_pass_until([5], [2], r="2"),
        "'r'.*estimate_pass_until",
    ),
    (
        "pass_until-r-float",
        lambda: estimate_pass_until([5], [2], r=2.5),
        "'r'.*estimate_pass_until",
    ),
    (
        "pass_until-r-one-unbiased",
        lambda: estimate_pass_until([5], [1], r=1),
        "'r'.*estimate_pass_until",
    ),
    (
        "pass_until-bad-estimator",
        lambda: estimate_pass_until([5], [2], estimator="naive"),
        "'estimator'",
    ),
    (
        "pass_until-confidence-string",
        lambda: estimate_pass_until([5], [2], confidence="95%"),
        "'confidence'.*estimate_pass_until",
    ),
    (
        "pass_until-item-ids-mismatch",
        lambda: estimate_pass_until([5, 6], [2, 2], item_ids=["a"]),
        "'item_ids'.*estimate_pass_until",
    ),
    (
        "pass_until-item-ids-string",
        lambda: estimate_pass_until([5, 6], [2, 2], item_ids="ab"),
        "'item_ids'.*estimate_pass_until",
    ),
    (
        "pass_until-all-censored",
        lambda: estimate_pass_until([100, 100], [0, 0]),
        lambda r: r.statistic == 0 and r.ci_high > 0,
    ),
    # PassUntilScaling
    (
        "PassUntilScaling-bad-level",
        lambda: PassUntilScaling("item").fit(np.full((1, 3), 0.1), [1, 2, 3]),
        "'level'",
    ),
    (
        "PassUntilScaling-two-sizes",
        lambda: PassUntilScaling().fit(np.full((1, 2), 0.1), [1, 2]),
        "at least 3",
    ),
    (
        "PassUntilScaling-mismatch",
        lambda: PassUntilScaling().fit(np.full((1, 3), 0.1), [1, 2, 3, 4]),
        "one column per size",
    ),
    (
        "PassUntilScaling-strings",
        lambda: PassUntilScaling().fit(np.array([["a", "b", "c"]]), [1, 2, 3]),
        "'rates'.*PassUntilScaling.fit",
    ),
    (
        "PassUntilScaling-ragged",
        lambda: PassUntilScaling().fit([[0.1, 0.2, 0.3], [0.1]], [1, 2, 3]),
        "'rates'.*PassUntilScaling.fit",
    ),
    (
        "PassUntilScaling-rates-out-of-range",
        lambda: PassUntilScaling().fit(np.array([[0.1, 0.2, 1.5]]), [1, 2, 3]),
        "'rates'.*PassUntilScaling.fit",
    ),
    (
        "PassUntilScaling-negative-rates",
        lambda: PassUntilScaling().fit(np.array([[0.1, -0.2, 0.3]]), [1, 2, 3]),
        "'rates'.*PassUntilScaling.fit",
    ),
    (
        "PassUntilScaling-zero-size",
        lambda: PassUntilScaling().fit(np.full((1, 3), 0.1), [0, 2, 3]),
        "'sizes'.*PassUntilScaling.fit",
    ),
    (
        "PassUntilScaling-string-sizes",
        lambda: PassUntilScaling().fit(np.full((1, 3), 0.1), ["a", "b", "c"]),
        "'sizes'.*PassUntilScaling.fit",
    ),
    (
        "PassUntilScaling-3d",
        lambda: PassUntilScaling().fit(np.full((1, 1, 3), 0.1), [1, 2, 3]),
        "'rates'.*PassUntilScaling.fit",
    ),
    (
        "PassUntilScaling-no-items",
        lambda: PassUntilScaling().fit(np.zeros((0, 3)), [1, 2, 3]),
        "'rates'.*PassUntilScaling.fit",
    ),
    (
        "PassUntilScaling-nothing-passes",
        lambda: PassUntilScaling().fit(np.zeros((2, 3)), [1, 2, 3]),
        "PassUntilScaling.fit.*(no item|every item)",
    ),
    ("PassUntilScaling-predict-unfitted", lambda: PassUntilScaling().predict(1e9), NotFittedError),
    ("PassUntilScaling-to-frame-unfitted", lambda: PassUntilScaling().to_frame(), NotFittedError),
    ("PassUntilScaling-alpha-unfitted", lambda: PassUntilScaling().alpha_, NotFittedError),
    (
        "PassUntilScaling-predict-string",
        lambda: _pass_until_scaling().predict("big"),
        "'size'.*PassUntilScaling.predict",
    ),
    (
        "PassUntilScaling-predict-zero",
        lambda: _pass_until_scaling().predict(0.0),
        "'size'.*PassUntilScaling.predict",
    ),
    (
        "PassUntilScaling-predict-nan",
        lambda: _pass_until_scaling().predict(math.nan),
        "'size'.*PassUntilScaling.predict",
    ),
    # choice_metrics and kendall_tau_rows
    (
        "choice_metrics-1d",
        lambda: choice_metrics(np.array([-1.0, -2.0]), np.array([0])),
        "'logprobs'.*choice_metrics",
    ),
    (
        "choice_metrics-gold-out-of-range",
        lambda: choice_metrics(np.array([[-1.0, -2.0]]), np.array([2])),
        "'correct'.*choice_metrics",
    ),
    (
        "choice_metrics-gold-negative",
        lambda: choice_metrics(np.array([[-1.0, -2.0]]), np.array([-1])),
        "'correct'.*choice_metrics",
    ),
    (
        "choice_metrics-gold-float",
        lambda: choice_metrics(np.array([[-1.0, -2.0]]), np.array([0.5])),
        "'correct'.*choice_metrics",
    ),
    (
        "choice_metrics-mismatch",
        lambda: choice_metrics(np.array([[-1.0, -2.0]]), np.array([0, 1])),
        "choice_metrics.*'correct'",
    ),
    (
        "choice_metrics-strings",
        lambda: choice_metrics(np.array([["a", "b"]]), np.array([0])),
        "'logprobs'.*choice_metrics",
    ),
    (
        "choice_metrics-gold-on-missing",
        lambda: choice_metrics(np.array([[-1.0, np.nan]]), np.array([1])),
        "choice_metrics.*(missing|NaN)",
    ),
    (
        "choice_metrics-all-missing-row",
        lambda: choice_metrics(np.array([[np.nan, np.nan]]), np.array([0])),
        "choice_metrics.*(missing|NaN)",
    ),
    (
        "choice_metrics-posinf",
        lambda: choice_metrics(np.array([[math.inf, -1.0]]), np.array([0])),
        "'logprobs'.*choice_metrics",
    ),
    (
        "kendall-1d-values",
        lambda: kendall_tau_rows(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])),
        "'values'.*kendall_tau_rows",
    ),
    (
        "kendall-mismatch",
        lambda: kendall_tau_rows(np.array([1.0, 2.0]), np.ones((2, 3))),
        "kendall_tau_rows",
    ),
    (
        "kendall-ties-in-x",
        lambda: kendall_tau_rows(np.array([1.0, 1.0, 2.0]), np.ones((2, 3))),
        "'x'.*kendall_tau_rows.*distinct",
    ),
    (
        "kendall-strings",
        lambda: kendall_tau_rows(np.array(["a", "b"]), np.ones((1, 2))),
        "'x'.*kendall_tau_rows",
    ),
    (
        "kendall-constant-row",
        lambda: kendall_tau_rows(np.array([1.0, 2.0, 3.0]), np.ones((1, 3))),
        lambda r: bool(np.isnan(r).all()),
    ),
    # choice_analysis
    ("choice_analysis-bad-method", lambda: choice_analysis(_choices(), method="tau"), "'method'"),
    ("choice_analysis-not-a-frame", lambda: choice_analysis([1, 2]), "'data'.*choice_analysis"),
    (
        "choice_analysis-missing-column",
        lambda: choice_analysis(_choices().drop(columns="gold")),
        "choice_analysis.*gold",
    ),
    (
        "choice_analysis-unknown-task",
        lambda: choice_analysis(_choices(), task="nope"),
        "choice_analysis.*'nope'",
    ),
    ("choice_analysis-empty", lambda: choice_analysis(_choices().iloc[:0]), "no multiple-choice"),
    ("choice_analysis-two-models", lambda: choice_analysis(_choices(2)), "at least 3"),
    (
        "choice_analysis-logprobs-not-lists",
        lambda: choice_analysis(with_columns(_choices(), choice_logprobs=-1.0)),
        "choice_analysis.*choice_logprobs",
    ),
    (
        "choice_analysis-gold-out-of-range",
        lambda: choice_analysis(with_columns(_choices(), gold=5)),
        "choice_analysis.*gold",
    ),
    (
        "choice_analysis-no-compute",
        lambda: choice_analysis(_choices().drop(columns="training_flops")),
        "no compute",
    ),
    (
        "choice_analysis-same-compute",
        lambda: choice_analysis(with_columns(_choices(), training_flops=1e20)),
        "choice_analysis.*compute",
    ),
    (
        "choice_analysis-no-family-column",
        lambda: choice_analysis(_choices().drop(columns="family")),
        lambda r: len(r.summary) == 5,
    ),
    # monitor_checkpoints
    ("monitor-not-a-frame", lambda: monitor_checkpoints([]), "'frame'.*monitor_checkpoints"),
    (
        "monitor-missing-column",
        lambda: monitor_checkpoints(_checkpoints().drop(columns="score")),
        "columns",
    ),
    (
        "monitor-bad-series-column",
        lambda: monitor_checkpoints(_checkpoints(), series="run"),
        "columns",
    ),
    (
        "monitor-empty",
        lambda: monitor_checkpoints(_checkpoints().iloc[:0]),
        "monitor_checkpoints.*(empty|no row)",
    ),
    (
        "monitor-all-nan",
        lambda: monitor_checkpoints(with_columns(_checkpoints(), score=math.nan)),
        "monitor_checkpoints.*(empty|no rows|score)",
    ),
    (
        "monitor-string-scores",
        lambda: monitor_checkpoints(with_columns(_checkpoints(), score=(0, "x"))),
        "monitor_checkpoints.*score",
    ),
    (
        "monitor-inf-scores",
        lambda: monitor_checkpoints(with_columns(_checkpoints(), score=(0, math.inf))),
        "monitor_checkpoints.*score",
    ),
    (
        "monitor-two-checkpoints",
        lambda: monitor_checkpoints(_checkpoints().query("checkpoint_step < 100")),
        "at least 3",
    ),
    (
        "monitor-science-string",
        lambda: monitor_checkpoints(_checkpoints(), science="s1", web=["s0"]),
        "'science'.*monitor_checkpoints",
    ),
    (
        "monitor-science-unknown",
        lambda: monitor_checkpoints(_checkpoints(), science=["s9"], web=["s0"]),
        "'science'.*monitor_checkpoints.*s9",
    ),
    (
        "monitor-web-without-science",
        lambda: monitor_checkpoints(_checkpoints(), web=["s0"]),
        "'science'.*'web'|'web'.*'science'",
    ),
    (
        "monitor-one-series",
        lambda: monitor_checkpoints(_checkpoints().query("series == 's0'")),
        lambda r: bool(np.isnan(r.table["rank_consistency"]).all()),
    ),
]


@pytest.mark.parametrize(("call", "expected"), [pytest.param(c, e, id=i) for i, c, e in CASES])
def test_bad_input_is_refused_clearly(call: Call, expected: Any) -> None:
    refused_or_result(call, expected)
