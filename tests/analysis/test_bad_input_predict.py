# mypy: disable-error-code="arg-type, list-item, dict-item"
"""Bad input to the scaling-law entry points of assay.analysis.predict (scaling frames and
ladders, ScalingLaw, StackedEnsemble, ObservationalScaling, backtest): each call either
returns a result (legal but degenerate data, possibly with a DegenerateDataWarning) or
raises InputError (or NotFittedError before fit) naming the function, parameter, column
or item at fault. No other exception type may escape, and no warning other than assay's
(pytest turns a numpy RuntimeWarning, a sign of a silent NaN, into an error)."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.analysis.predict import (
    ObservationalScaling,
    ScalingLaw,
    StackedEnsemble,
    backtest,
    check_ladders,
    choice_analysis,
    doubtful_ladders,
    resolve_compute,
    scaling_frame,
)
from assay.errors import (
    DegenerateDataWarning,
    InputError,
    NotFittedError,
)
from assay.schema import Model, Run, Score
from assay.store import Store
from bad_input import refused_or_result, with_columns

Call = Callable[[], object]


# ---------------------------------------------------------------- small valid inputs
def _frame(n_models: int = 5, tasks: tuple[str, ...] = ("t1", "t2", "t3")) -> pd.DataFrame:
    rows = []
    for fam, shift in (("f", 0.0), ("g", 0.05)):
        for i in range(n_models):
            for j, task in enumerate(tasks):
                rows.append(
                    {
                        "model_id": f"{fam}{i}",
                        "family": fam,
                        "parameters": 1e8 * 2**i,
                        "training_tokens": 1e11,
                        "task": task,
                        "score": 0.3 + 0.08 * i + 0.02 * j + shift,
                    }
                )
    return pd.DataFrame(rows)


TARGET = pd.DataFrame(
    {"model_id": ["big"], "family": ["f"], "parameters": [4e9], "training_tokens": [1e11]}
)


@functools.cache
def _law() -> ScalingLaw:
    return ScalingLaw("linear", resamples=20).fit(_frame())


@functools.cache
def _ensemble() -> StackedEnsemble:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return StackedEnsemble(("linear", "last"), resamples=20).fit(_frame())


@functools.cache
def _observational() -> ObservationalScaling:
    return ObservationalScaling(1, resamples=5).fit(_frame())


# ---------------------------------------------------------------- the cases
# (id, call, expected): expected is a regex the InputError message must match, or a
# predicate on the result for legal (degenerate) input.
CASES: list[tuple[str, Call, str | Callable[[Any], bool]]] = [
    # resolve_compute
    ("resolve_compute-not-a-frame", lambda: resolve_compute([1, 2]), "'frame'.*resolve_compute"),
    (
        "resolve_compute-bad-axis",
        lambda: resolve_compute(_frame(), "flops"),
        "'axis'.*resolve_compute",
    ),
    (
        "resolve_compute-string-sizes",
        lambda: resolve_compute(with_columns(_frame(), parameters="big")),
        lambda r: r.isna().all(),
    ),
    (
        "resolve_compute-negative",
        lambda: resolve_compute(with_columns(_frame(), parameters=-1.0)),
        lambda r: r.isna().all(),
    ),
    # check_ladders
    (
        "check_ladders-not-a-frame",
        lambda: check_ladders({"model_id": [1]}),
        "'frame'.*check_ladders",
    ),
    (
        "check_ladders-missing-column",
        lambda: check_ladders(_frame().drop(columns="score")),
        "column.*score",
    ),
    ("check_ladders-empty", lambda: check_ladders(_frame().iloc[:0]), "empty|no rows"),
    (
        "check_ladders-string-score",
        lambda: check_ladders(with_columns(_frame(), score=(0, "high"))),
        "score.*'high'|'high'.*score",
    ),
    (
        "check_ladders-inf-score",
        lambda: check_ladders(with_columns(_frame(), score=(0, math.inf))),
        "score.*inf|infinite",
    ),
    ("check_ladders-bad-min-sizes", lambda: check_ladders(_frame(), min_sizes=0), "'min_sizes'"),
    (
        "check_ladders-string-min-sizes",
        lambda: check_ladders(_frame(), min_sizes="3"),
        "'min_sizes'",
    ),
    (
        "check_ladders-bad-on-invalid",
        lambda: check_ladders(_frame(), on_invalid="warn"),
        "'on_invalid'",
    ),
    ("check_ladders-two-sizes", lambda: check_ladders(_frame(2)), "at least 3"),
    # doubtful_ladders
    (
        "doubtful_ladders-unchecked-frame",
        lambda: doubtful_ladders(_frame()),
        "doubtful_ladders.*'x'|check_ladders",
    ),
    ("doubtful_ladders-not-a-frame", lambda: doubtful_ladders([]), "doubtful_ladders"),
    # ScalingLaw
    ("ScalingLaw-bad-form", lambda: ScalingLaw("cubic").fit(_frame()), "'form'.*ScalingLaw"),
    (
        "ScalingLaw-string-resamples",
        lambda: ScalingLaw(resamples="10").fit(_frame()),
        "'resamples'.*ScalingLaw",
    ),
    (
        "ScalingLaw-float-resamples",
        lambda: ScalingLaw(resamples=2.5).fit(_frame()),
        "'resamples'.*ScalingLaw",
    ),
    (
        "ScalingLaw-string-confidence",
        lambda: ScalingLaw(confidence="high").fit(_frame()),
        "'confidence'.*ScalingLaw",
    ),
    (
        "ScalingLaw-nan-confidence",
        lambda: ScalingLaw(confidence=math.nan).fit(_frame()),
        "'confidence'.*ScalingLaw",
    ),
    (
        "ScalingLaw-value-range-scalar",
        lambda: ScalingLaw(value_range=1.0).fit(_frame()),
        "'value_range'.*ScalingLaw",
    ),
    (
        "ScalingLaw-value-range-strings",
        lambda: ScalingLaw(value_range=("a", "b")).fit(_frame()),
        "'value_range'.*ScalingLaw",
    ),
    (
        "ScalingLaw-value-range-nan",
        lambda: ScalingLaw(value_range=(0.0, math.nan)).fit(_frame()),
        "'value_range'.*ScalingLaw",
    ),
    (
        "ScalingLaw-chance-string",
        lambda: ScalingLaw(chance="quarter").fit(_frame()),
        "'chance'.*ScalingLaw",
    ),
    (
        "ScalingLaw-chance-out-of-range",
        lambda: ScalingLaw(chance=1.5).fit(_frame()),
        "'chance'.*ScalingLaw",
    ),
    (
        "ScalingLaw-chance-map-string",
        lambda: ScalingLaw(chance={"t1": "x"}).fit(_frame()),
        "'chance'.*ScalingLaw",
    ),
    (
        "ScalingLaw-restarts-string",
        lambda: ScalingLaw("sigmoid", restarts="8").fit(_frame()),
        "'restarts'.*ScalingLaw",
    ),
    (
        "ScalingLaw-restarts-zero",
        lambda: ScalingLaw("sigmoid", restarts=0).fit(_frame()),
        "'restarts'.*ScalingLaw",
    ),
    ("ScalingLaw-bad-seed", lambda: ScalingLaw(seed="x").fit(_frame()), "'seed'.*ScalingLaw"),
    ("ScalingLaw-bad-axis", lambda: ScalingLaw(axis="flops").fit(_frame()), "'axis'.*ScalingLaw"),
    ("ScalingLaw-not-a-frame", lambda: ScalingLaw().fit([1, 2, 3]), "'frame'.*ScalingLaw.fit"),
    (
        "ScalingLaw-empty-frame",
        lambda: ScalingLaw().fit(_frame().iloc[:0]),
        "ScalingLaw.fit.*(empty|no rows)",
    ),
    (
        "ScalingLaw-all-nan-scores",
        lambda: ScalingLaw().fit(with_columns(_frame(), score=math.nan)),
        "ScalingLaw.fit.*score",
    ),
    (
        "ScalingLaw-string-scores",
        lambda: ScalingLaw().fit(with_columns(_frame(), score="x")),
        "score",
    ),
    ("ScalingLaw-predict-unfitted", lambda: ScalingLaw().predict(TARGET), NotFittedError),
    (
        "ScalingLaw-predict-not-a-frame",
        lambda: _law().predict({"family": "f"}),
        "'targets'.*ScalingLaw.predict",
    ),
    (
        "ScalingLaw-predict-unknown-family",
        lambda: _law().predict(with_columns(TARGET, family="h")),
        "family 'h'",
    ),
    (
        "ScalingLaw-predict-unknown-task",
        lambda: _law().predict(with_columns(TARGET, task="nope")),
        "task 'nope'",
    ),
    (
        "ScalingLaw-predict-no-sizes",
        lambda: _law().predict(TARGET.drop(columns="parameters")),
        "cannot place",
    ),
    (
        "ScalingLaw-predict-string-size",
        lambda: _law().predict(with_columns(TARGET, parameters="big")),
        "cannot place",
    ),
    (
        "ScalingLaw-predict-empty",
        lambda: _law().predict(TARGET.iloc[:0]),
        "ScalingLaw.predict.*'targets'.*(empty|no rows)",
    ),
    (
        "ScalingLaw-curve-values-strings",
        lambda: _law().curve_values("t1", "f", ["a"]),
        "'x'.*ScalingLaw.curve_values",
    ),
    (
        "ScalingLaw-curve-values-unknown",
        lambda: _law().curve_values("t9", "f", np.array([20.0])),
        "task 't9'",
    ),
    # StackedEnsemble
    (
        "StackedEnsemble-bad-member",
        lambda: StackedEnsemble(["cubic"]).fit(_frame()),
        "'members'.*StackedEnsemble",
    ),
    (
        "StackedEnsemble-string-members",
        lambda: StackedEnsemble("linear").fit(_frame()),
        "'members'.*StackedEnsemble",
    ),
    (
        "StackedEnsemble-no-members",
        lambda: StackedEnsemble([]).fit(_frame()),
        "'members'.*StackedEnsemble",
    ),
    (
        "StackedEnsemble-string-resamples",
        lambda: StackedEnsemble(resamples="5").fit(_frame()),
        "'resamples'.*StackedEnsemble",
    ),
    (
        "StackedEnsemble-bad-confidence",
        lambda: StackedEnsemble(confidence=95).fit(_frame()),
        "'confidence'.*StackedEnsemble",
    ),
    (
        "StackedEnsemble-chance-string",
        lambda: StackedEnsemble(("linear",), chance="x").fit(_frame()),
        "'chance'.*StackedEnsemble",
    ),
    (
        "StackedEnsemble-bad-seed",
        lambda: StackedEnsemble(("linear",), seed=1.5).fit(_frame()),
        "'seed'.*StackedEnsemble",
    ),
    (
        "StackedEnsemble-bad-axis",
        lambda: StackedEnsemble(axis="x").fit(_frame()),
        "'axis'.*StackedEnsemble",
    ),
    (
        "StackedEnsemble-not-a-frame",
        lambda: StackedEnsemble().fit(None),
        "'frame'.*StackedEnsemble.fit",
    ),
    (
        "StackedEnsemble-empty",
        lambda: StackedEnsemble().fit(_frame().iloc[:0]),
        "StackedEnsemble.fit.*(empty|no rows)",
    ),
    ("StackedEnsemble-two-sizes", lambda: StackedEnsemble().fit(_frame(2)), "no family is left"),
    ("StackedEnsemble-predict-unfitted", lambda: StackedEnsemble().predict(TARGET), NotFittedError),
    (
        "StackedEnsemble-predict-not-a-frame",
        lambda: _ensemble().predict("big"),
        "'targets'.*StackedEnsemble.predict",
    ),
    (
        "StackedEnsemble-predict-unknown-family",
        lambda: _ensemble().predict(with_columns(TARGET, family="h")),
        "family 'h'",
    ),
    (
        "StackedEnsemble-predict-no-sizes",
        lambda: _ensemble().predict(TARGET[["model_id", "family"]]),
        "cannot place.*'big'",
    ),
    (
        "StackedEnsemble-predict-empty",
        lambda: _ensemble().predict(TARGET.iloc[:0]),
        "StackedEnsemble.predict.*'targets'.*(empty|no rows)",
    ),
    # ObservationalScaling
    (
        "Observational-missing-column",
        lambda: ObservationalScaling(1).fit(_frame().drop(columns="task")),
        "ObservationalScaling.fit.*task",
    ),
    (
        "Observational-not-a-frame",
        lambda: ObservationalScaling(1).fit([]),
        "'frame'.*ObservationalScaling.fit",
    ),
    (
        "Observational-empty",
        lambda: ObservationalScaling(1).fit(_frame().iloc[:0]),
        "ObservationalScaling.fit.*(empty|no rows)|at least two tasks",
    ),
    (
        "Observational-one-task",
        lambda: ObservationalScaling(1).fit(_frame(tasks=("t1",))),
        "at least two tasks",
    ),
    (
        "Observational-string-components",
        lambda: ObservationalScaling("two").fit(_frame()),
        "'n_components'",
    ),
    (
        "Observational-float-components",
        lambda: ObservationalScaling(1.5).fit(_frame()),
        "'n_components'",
    ),
    (
        "Observational-too-many-components",
        lambda: ObservationalScaling(4).fit(_frame()),
        "'n_components'",
    ),
    (
        "Observational-negative-resamples",
        lambda: ObservationalScaling(1, resamples=-1).fit(_frame()),
        "'resamples'.*ObservationalScaling",
    ),
    (
        "Observational-string-resamples",
        lambda: ObservationalScaling(1, resamples="5").fit(_frame()),
        "'resamples'.*ObservationalScaling",
    ),
    (
        "Observational-bad-slopes",
        lambda: ObservationalScaling(1, slopes="own").fit(_frame()),
        "'slopes'",
    ),
    (
        "Observational-bad-confidence",
        lambda: ObservationalScaling(1, confidence=1.0).fit(_frame()),
        "'confidence'",
    ),
    (
        "Observational-chance-string",
        lambda: ObservationalScaling(1, chance="x").fit(_frame()),
        "'chance'.*ObservationalScaling",
    ),
    (
        "Observational-bad-axis",
        lambda: ObservationalScaling(1, axis="x").fit(_frame()),
        "'axis'.*ObservationalScaling",
    ),
    (
        "Observational-bad-seed",
        lambda: ObservationalScaling(1, seed="x").fit(_frame()),
        "'seed'.*ObservationalScaling",
    ),
    (
        "Observational-string-scores",
        lambda: ObservationalScaling(1).fit(with_columns(_frame(), score=(0, "x"))),
        "score",
    ),
    (
        "Observational-inf-scores",
        lambda: ObservationalScaling(1).fit(with_columns(_frame(), score=(0, math.inf))),
        "score",
    ),
    (
        "Observational-predict-unfitted",
        lambda: ObservationalScaling().predict(TARGET),
        NotFittedError,
    ),
    (
        "Observational-predict-not-a-frame",
        lambda: _observational().predict([1]),
        "'targets'.*ObservationalScaling.predict",
    ),
    (
        "Observational-predict-tasks-string",
        lambda: _observational().predict(TARGET, tasks="t1"),
        "'tasks'.*ObservationalScaling.predict",
    ),
    (
        "Observational-predict-unknown-task",
        lambda: _observational().predict(TARGET, tasks=["t9"]),
        "t9",
    ),
    (
        "Observational-predict-unknown-family",
        lambda: _observational().predict(with_columns(TARGET, family="h")),
        "family 'h'",
    ),
    (
        "Observational-predict-no-sizes",
        lambda: _observational().predict(TARGET[["model_id", "family"]]),
        "cannot place",
    ),
    (
        "Observational-predict-empty",
        lambda: _observational().predict(TARGET.iloc[:0]),
        "ObservationalScaling.predict.*'targets'.*(empty|no rows)",
    ),
    # backtest
    ("backtest-bad-method", lambda: backtest(_frame(), methods=["cubic"]), "'methods'.*backtest"),
    (
        "backtest-methods-string",
        lambda: backtest(_frame(), methods="linear"),
        "'methods'.*backtest",
    ),
    (
        "backtest-negative-resamples",
        lambda: backtest(_frame(), methods=["linear"], resamples=-1),
        "'resamples'.*backtest",
    ),
    (
        "backtest-bad-confidence",
        lambda: backtest(_frame(), methods=["linear"], confidence=0),
        "'confidence'.*backtest",
    ),
    (
        "backtest-bad-components",
        lambda: backtest(_frame(), methods=["linear"], n_components=0),
        "'n_components'.*backtest",
    ),
    (
        "backtest-chance-string",
        lambda: backtest(_frame(), methods=["sigmoid"], chance="x"),
        "'chance'.*backtest",
    ),
    ("backtest-bad-axis", lambda: backtest(_frame(), axis="x"), "'axis'.*backtest"),
    (
        "backtest-bad-seed",
        lambda: backtest(_frame(), methods=["linear"], seed="x"),
        "'seed'.*backtest",
    ),
    ("backtest-not-a-frame", lambda: backtest("frame.csv"), "'frame'.*backtest"),
    ("backtest-empty", lambda: backtest(_frame().iloc[:0]), "backtest.*(empty|no rows)"),
    ("backtest-three-sizes", lambda: backtest(_frame(3), methods=["linear"]), "four or more sizes"),
    (
        "backtest-missing-column",
        lambda: backtest(_frame().drop(columns="model_id")),
        "column.*model_id",
    ),
    (
        "backtest-baselines-only",
        lambda: backtest(_frame(), methods=[], resamples=5),
        lambda r: set(r.summary["method"]) == {"linear", "last"},
    ),
    (
        "Backtest-mae-unknown",
        lambda: backtest(_frame(), methods=["linear"], resamples=5).mae("cubic"),
        "'method'.*mae.*'cubic'|cubic",
    ),
    (
        "Backtest-best-baselines-only",
        lambda: backtest(_frame(), methods=[], resamples=5).best,
        "best.*baseline",
    ),
]


@pytest.mark.parametrize(("call", "expected"), [pytest.param(c, e, id=i) for i, c, e in CASES])
def test_bad_input_is_refused_clearly(call: Call, expected: Any) -> None:
    refused_or_result(call, expected)


def _store(path: Path) -> Store:
    st = Store(path)
    st.write(
        {
            "runs": [Run(run_id="r", source="assay")],
            "models": [
                Model(model_id=f"m{i}", family="f", parameters=1e8 * 3**i, training_tokens=3e11)
                for i in range(3)
            ],
            "scores": [
                Score(
                    run_id="r",
                    model_id=f"m{i}",
                    task="t",
                    item_id=f"q{q}",
                    metric="acc",
                    value=float(q < 2 + 2 * i),
                )
                for i in range(3)
                for q in range(10)
            ],
        }
    )
    return st


def test_scaling_frame_bad_input(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as empty:
        assert scaling_frame(empty).empty  # an empty store is legal: nothing to predict
    with _store(tmp_path / "s.duckdb") as st:
        assert len(scaling_frame(st)) == 3
        with pytest.raises(InputError, match=r"'tasks'.*scaling_frame.*'nope'"):
            scaling_frame(st, tasks=["nope"])
        with pytest.raises(InputError, match=r"'tasks'.*scaling_frame"):
            scaling_frame(st, tasks="t")
        with pytest.raises(InputError, match=r"'models'.*scaling_frame.*'m9'"):
            scaling_frame(st, models=["m0", "m9"])
        with pytest.raises(InputError, match=r"'metric'.*scaling_frame.*'f1'"):
            scaling_frame(st, metric="f1")
        with pytest.raises(InputError, match=r"'store'.*scaling_frame"):
            scaling_frame(tmp_path)
        with pytest.raises(InputError, match=r"choice_analysis.*'nope'"):
            choice_analysis(st, task="nope")
