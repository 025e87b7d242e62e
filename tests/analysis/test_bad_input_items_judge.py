"""Bad input to every public entry point of analysis.irt, analysis.subset,
analysis.diagnosis and judge: an InputError naming the function or parameter (a
NotFittedError for a fitted object used before fit), never a bare numpy / pandas /
Python exception; legal but degenerate input returns a result with a
DegenerateDataWarning."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.analysis.diagnosis import DINA, FinCDM, QMatrix, q_matrix
from assay.analysis.irt import IRT, irt_diagnostics, item_matrix
from assay.analysis.subset import (
    AdaptiveTest,
    AnchorSelector,
    ColdStartSelector,
    RandomSelector,
    ScoreEstimator,
    Selection,
    StratifiedSelector,
    embed_texts,
    hp_score,
    selection_from_items,
    subset_backtest,
    subset_task,
    training_matrix,
    write_task_file,
)
from assay.errors import (
    AssayWarning,
    DegenerateDataWarning,
    InputError,
    NotFittedError,
)
from assay.harness.tasks import Task, TaskItem
from assay.judge import (
    cohen_kappa,
    fleiss_kappa,
    judge_agreement,
    krippendorff_alpha,
    position_bias,
)
from assay.store import Store

NAN = np.nan


# ----------------------------------------------------------------------------- inputs


@functools.cache
def _Y() -> np.ndarray:
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
def _irt() -> IRT:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssayWarning)
        return IRT(model="2pl").fit(_Y())


@functools.cache
def _selection() -> Selection:
    return RandomSelector(4, seed=0).fit(_Y()).selection_


@functools.cache
def _estimator() -> ScoreEstimator:
    return ScoreEstimator("mean").fit(_Y(), _selection())


def _long() -> pd.DataFrame:
    return pd.DataFrame(
        {"model_id": ["a", "a", "b", "b"], "item_id": ["1", "2", "1", "2"], "value": [0, 1, 1, 1]}
    )


def _Q() -> np.ndarray:
    return np.tile(np.eye(2, dtype=int), (5, 1))


def _hp_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model_id": ["m"] * 4,
            "item_id": ["1", "1", "2", "2"],
            "prompt_variant": ["l1", "l2", "l1", "l2"],
            "value": [0.0, 1.0, 1.0, 1.0],
        }
    )


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


def _task() -> Task:
    items = tuple(TaskItem(item_id=str(i), input=f"q{i}", target="a") for i in range(10))
    return Task(name="quiz", version="1", kind="generation", items=items)


def _subset_items() -> list[tuple[str, Any]]:
    task = subset_task(_task(), _selection())
    return [(it.item_id, dict(it.metadata)) for it in task.items]


def _with_subset(edit: Callable[[dict[str, Any]], None]) -> list[tuple[str, Any]]:
    items = _subset_items()
    for _, meta in items:
        info = dict(meta["subset"])
        edit(info)
        meta["subset"] = info
    return items


def _lists() -> np.ndarray:
    """2 units x 2 raters whose labels are lists (unhashable)."""
    out = np.empty((2, 2), dtype=object)
    for i in range(2):
        for j in range(2):
            out[i, j] = [i + j]
    return out


# ----------------------------------------------------------------------------- the check


def _expect_clear(call: Callable[[], Any], names: tuple[str, ...], allow: Any = InputError) -> Any:
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


def _raises(call: Callable[[], Any], *names: str, allow: Any = InputError) -> None:
    out = _expect_clear(call, names, allow)
    assert isinstance(out, allow), f"no error; returned {out!r}"


# ----------------------------------------------------------------------------- irt

Y = _Y
RAGGED = [[0.0, 1.0], [1.0]]

IRT_CASES: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
    ("item_matrix-not-a-frame", lambda: item_matrix(42), ("item_matrix",)),
    ("item_matrix-empty", lambda: item_matrix(_long().iloc[0:0]), ("item_matrix",)),
    (
        "item_matrix-misnamed",
        lambda: item_matrix(_long().rename(columns={"model_id": "model"})),
        ("model_id",),
    ),
    (
        "item_matrix-strings",
        lambda: item_matrix(_long().assign(value=["x", "1", "0", "1"])),
        ("item_matrix",),
    ),
    ("item_matrix-all-nan", lambda: item_matrix(_long().assign(value=NAN)), ("item_matrix",)),
    (
        "item_matrix-inf",
        lambda: item_matrix(_long().assign(value=[0, np.inf, 1, 1])),
        ("item_matrix",),
    ),
    (
        "item_matrix-out-of-range",
        lambda: item_matrix(_long().assign(value=[0, 2, 1, 1])),
        ("item_matrix",),
    ),
    ("item_matrix-metric-missing", lambda: item_matrix(_long(), metric="acc"), ("metric",)),
    (
        "item_matrix-metric-unknown",
        lambda: item_matrix(_long().assign(metric="em"), metric="acc"),
        ("metric",),
    ),
    (
        "item_matrix-task-none",
        lambda: item_matrix(_long().assign(task="t"), task="u"),
        ("item_matrix",),
    ),
    ("IRT-model", lambda: IRT(model="3pl").fit(Y()), ("'model'",)),
    ("IRT-dims", lambda: IRT(model="m2pl", dims=0).fit(Y()), ("'dims'",)),
    ("IRT-dims-2pl", lambda: IRT(dims=2).fit(Y()), ("'dims'",)),
    ("IRT-scores", lambda: IRT(scores="x").fit(Y()), ("'scores'",)),
    ("IRT-max_iter", lambda: IRT(max_iter=0).fit(Y()), ("'max_iter'",)),
    ("IRT-tol", lambda: IRT(tol=-1).fit(Y()), ("'tol'",)),
    ("IRT-tol-nan", lambda: IRT(tol=NAN).fit(Y()), ("'tol'",)),
    ("IRT-fit-1d", lambda: IRT().fit([0.0, 1.0]), ("IRT.fit",)),
    ("IRT-fit-none", lambda: IRT().fit(None), ("IRT.fit",)),
    ("IRT-fit-ragged", lambda: IRT().fit(RAGGED), ("IRT.fit",)),
    ("IRT-fit-strings", lambda: IRT().fit([["a", "b"], ["c", "d"]]), ("IRT.fit",)),
    ("IRT-fit-inf", lambda: IRT().fit(np.where(Y() == 1, np.inf, 0)), ("IRT.fit",)),
    ("IRT-fit-negative", lambda: IRT().fit(Y() - 1), ("IRT.fit",)),
    ("IRT-fit-empty", lambda: IRT().fit(np.empty((0, 0))), ("IRT.fit",)),
    ("IRT-fit-one-model", lambda: IRT().fit(Y()[:1]), ("IRT.fit",)),
    ("IRT-fit-all-nan", lambda: IRT().fit(np.full((4, 4), NAN)), ("IRT.fit",)),
    ("IRT-fit-binary", lambda: IRT(scores="binary").fit(Y() * 0.5), ("scores",)),
    ("IRT-proba-strings", lambda: _irt().predict_proba("x"), ("ability",)),
    ("IRT-proba-nan", lambda: _irt().predict_proba([NAN]), ("ability",)),
    ("IRT-proba-inf", lambda: _irt().predict_proba([np.inf]), ("ability",)),
    ("IRT-proba-columns", lambda: _irt().predict_proba([[0.1, 0.2]]), ("ability",)),
    ("IRT-proba-item-label", lambda: _irt().predict_proba(items=["nope"]), ("predict_proba",)),
    ("IRT-proba-item-index", lambda: _irt().predict_proba(items=[99]), ("predict_proba",)),
    ("IRT-proba-item-float", lambda: _irt().predict_proba(items=[1.5]), ("predict_proba",)),
    ("IRT-proba-item-mask", lambda: _irt().predict_proba(items=[True, False]), ("predict_proba",)),
    ("IRT-info-strings", lambda: _irt().item_information("x"), ("item_information",)),
    ("IRT-testinfo-nan", lambda: _irt().test_information([NAN]), ("ability",)),
    ("IRT-ability-strings", lambda: _irt().estimate_ability(["a"] * 10), ("responses",)),
    ("IRT-ability-ragged", lambda: _irt().estimate_ability(RAGGED, [0, 1]), ("responses",)),
    ("IRT-ability-length", lambda: _irt().estimate_ability([1, 0], [0, 1, 2]), ("responses",)),
    ("IRT-ability-range", lambda: _irt().estimate_ability([2.0] * 10), ("responses",)),
    ("IRT-ability-inf", lambda: _irt().estimate_ability([np.inf] + [1.0] * 9), ("responses",)),
    (
        "IRT-ability-method",
        lambda: _irt().estimate_ability([1.0] * 10, method="mle"),
        ("'method'",),
    ),
    (
        "AbilityEstimate-confidence",
        lambda: _irt().estimate_ability([1.0] * 10).confidence_interval(1.5),
        ("confidence",),
    ),
    (
        "AbilityEstimate-confidence-str",
        lambda: _irt().estimate_ability([1.0] * 10).confidence_interval("x"),
        ("confidence",),
    ),
    ("diag-not-irt", lambda: irt_diagnostics("x", Y()), ("irt",)),
    ("diag-shape", lambda: irt_diagnostics(_irt(), Y()[:, :3]), ("irt_diagnostics",)),
    ("diag-ragged", lambda: irt_diagnostics(_irt(), RAGGED), ("irt_diagnostics",)),
    (
        "diag-fit_range-order",
        lambda: irt_diagnostics(_irt(), Y(), fit_range=(1.3, 0.7)),
        ("fit_range",),
    ),
    ("diag-fit_range-scalar", lambda: irt_diagnostics(_irt(), Y(), fit_range=0.5), ("fit_range",)),
    (
        "diag-fit_range-short",
        lambda: irt_diagnostics(_irt(), Y(), fit_range=(0.7,)),
        ("fit_range",),
    ),
    (
        "diag-fit_range-str",
        lambda: irt_diagnostics(_irt(), Y(), fit_range=("a", "b")),
        ("fit_range",),
    ),
    ("diag-q3", lambda: irt_diagnostics(_irt(), Y(), q3_threshold="x"), ("q3_threshold",)),
    ("diag-q3-nan", lambda: irt_diagnostics(_irt(), Y(), q3_threshold=NAN), ("q3_threshold",)),
    ("diag-alpha", lambda: irt_diagnostics(_irt(), Y(), alpha=2.0), ("alpha",)),
    ("diag-alpha-zero", lambda: irt_diagnostics(_irt(), Y(), alpha=0.0), ("alpha",)),
    ("diag-max_pairs", lambda: irt_diagnostics(_irt(), Y(), max_pairs=-1), ("max_pairs",)),
    ("diag-max_pairs-str", lambda: irt_diagnostics(_irt(), Y(), max_pairs="x"), ("max_pairs",)),
]


@pytest.mark.parametrize(("call", "names"), [pytest.param(c, n, id=i) for i, c, n in IRT_CASES])
def test_irt_bad_input(call: Callable[[], Any], names: tuple[str, ...]) -> None:
    _raises(call, *names)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: IRT().predict_proba(), id="predict_proba"),
        pytest.param(lambda: IRT().estimate_ability([1.0]), id="estimate_ability"),
        pytest.param(lambda: irt_diagnostics(IRT(), _Y()), id="irt_diagnostics"),
        pytest.param(lambda: IRT().to_rows(), id="to_rows"),
        pytest.param(lambda: DINA().predict_proba(), id="DINA"),
        pytest.param(lambda: FinCDM().predict(), id="FinCDM"),
        pytest.param(lambda: ScoreEstimator().estimate([1.0]), id="ScoreEstimator"),
        pytest.param(lambda: RandomSelector().items_, id="RandomSelector"),
        pytest.param(lambda: AdaptiveTest(IRT()).run(lambda i: 1.0), id="AdaptiveTest.run"),
        pytest.param(lambda: AdaptiveTest(_irt()).estimate(), id="AdaptiveTest.estimate"),
        pytest.param(
            lambda: AnchorSelector(4, embedding="irt", irt=IRT()).fit(_Y()), id="AnchorSelector"
        ),
    ],
)
def test_unfitted(call: Callable[[], Any]) -> None:
    _raises(call, "fit", "run", allow=NotFittedError)


def test_item_matrix_store_without_rows(store: Store) -> None:
    _raises(lambda: item_matrix(store, task="nope"), "item_matrix")


def test_irt_degenerate_inputs_warn() -> None:
    """Legal but degenerate: an estimate from no scored item is the prior, with a warning."""
    with pytest.warns(DegenerateDataWarning, match="no scored item"):
        est = _irt().estimate_ability([NAN] * 10)
    assert est.n_items == 0
    assert np.isfinite(est.ability).all()
    # an empty item list is legal: no columns
    assert _irt().predict_proba(items=[]).shape == (8, 0)


# ----------------------------------------------------------------------------- subset

SUBSET_CASES: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
    ("Random-budget-0", lambda: RandomSelector(0).fit(Y()), ("'budget'",)),
    ("Random-budget-str", lambda: RandomSelector("5").fit(Y()), ("'budget'",)),
    ("Random-budget-big", lambda: RandomSelector(99).fit(Y()), ("'budget'",)),
    ("Random-Y-str", lambda: RandomSelector(2).fit("abc"), ("RandomSelector.fit",)),
    ("Random-Y-ragged", lambda: RandomSelector(2).fit(RAGGED), ("RandomSelector.fit",)),
    ("Random-Y-1d", lambda: RandomSelector(2).fit([0.0, 1.0]), ("RandomSelector.fit",)),
    ("Random-Y-no-items", lambda: RandomSelector(2).fit(np.empty((3, 0))), ("RandomSelector.fit",)),
    ("Random-Y-range", lambda: RandomSelector(2).fit(Y() * 3), ("RandomSelector.fit",)),
    ("Random-ids-length", lambda: RandomSelector(2).fit(Y(), ["a"]), ("RandomSelector.fit",)),
    ("Random-ids-dup", lambda: RandomSelector(2).fit(Y(), ["a"] * 10), ("RandomSelector.fit",)),
    ("Stratified-by", lambda: StratifiedSelector(4, by="x").fit(Y()), ("'by'",)),
    ("Stratified-n_strata", lambda: StratifiedSelector(4, n_strata=0).fit(Y()), ("'n_strata'",)),
    (
        "Stratified-n_strata-str",
        lambda: StratifiedSelector(4, n_strata="2").fit(Y()),
        ("'n_strata'",),
    ),
    ("Stratified-labels-none", lambda: StratifiedSelector(4, by="labels").fit(Y()), ("labels",)),
    (
        "Stratified-labels-length",
        lambda: StratifiedSelector(4, by="labels").fit(Y(), labels=[1]),
        ("labels",),
    ),
    (
        "Stratified-no-models",
        lambda: StratifiedSelector(4).fit(np.empty((0, 10))),
        ("StratifiedSelector",),
    ),
    ("Anchor-embedding", lambda: AnchorSelector(4, embedding="x").fit(Y()), ("'embedding'",)),
    ("Anchor-n_init", lambda: AnchorSelector(4, n_init=0).fit(Y()), ("'n_init'",)),
    ("Anchor-n_init-str", lambda: AnchorSelector(4, n_init="x").fit(Y()), ("'n_init'",)),
    ("Anchor-one-model", lambda: AnchorSelector(4).fit(Y()[:1]), ("AnchorSelector",)),
    (
        "Anchor-irt-not-irt",
        lambda: AnchorSelector(4, embedding="irt", irt="x").fit(Y()),
        ("'irt'",),
    ),
    (
        "Anchor-irt-other-items",
        lambda: AnchorSelector(4, embedding="irt", irt=_irt()).fit(Y()[:, :5]),
        ("'irt'",),
    ),
    ("ColdStart-features", lambda: ColdStartSelector(2, features="x").fit(Y()), ("'features'",)),
    ("ColdStart-text-str", lambda: ColdStartSelector(2).fit("some text"), ("ColdStartSelector",)),
    ("ColdStart-text-empty", lambda: ColdStartSelector(2).fit([]), ("embed_texts",)),
    ("ColdStart-text-blank", lambda: ColdStartSelector(2).fit(["a", " "]), ("item text",)),
    (
        "ColdStart-given-ragged",
        lambda: ColdStartSelector(2, features="given").fit(RAGGED),
        ("ColdStartSelector",),
    ),
    (
        "ColdStart-given-str",
        lambda: ColdStartSelector(2, features="given").fit([["a"], ["b"]]),
        ("ColdStartSelector",),
    ),
    (
        "ColdStart-given-nan",
        lambda: ColdStartSelector(2, features="given").fit([[NAN], [1.0]]),
        ("ColdStartSelector",),
    ),
    (
        "ColdStart-given-no-features",
        lambda: ColdStartSelector(2, features="given").fit(np.empty((5, 0))),
        ("ColdStartSelector",),
    ),
    (
        "ColdStart-n_components",
        lambda: ColdStartSelector(2, features="given", n_components=-1).fit(Y().T),
        ("'n_components'",),
    ),
    (
        "ColdStart-n_components-float",
        lambda: ColdStartSelector(2, features="given", n_components=1.5).fit(Y().T),
        ("'n_components'",),
    ),
    (
        "ColdStart-n_components-str",
        lambda: ColdStartSelector(2, features="given", n_components="x").fit(Y().T),
        ("'n_components'",),
    ),
    (
        "ColdStart-ids",
        lambda: ColdStartSelector(2, features="given").fit(Y().T, ["a"]),
        ("ColdStartSelector",),
    ),
    (
        "ColdStart-n_init",
        lambda: ColdStartSelector(2, features="given", n_init=0).fit(Y().T),
        ("'n_init'",),
    ),
    ("embed-str", lambda: embed_texts("one text"), ("texts",)),
    ("embed-none", lambda: embed_texts(None), ("embed_texts",)),
    ("embed-number", lambda: embed_texts([1]), ("item text",)),
    ("embed-batch", lambda: embed_texts(["a"], batch_size=0), ("batch_size",)),
    ("Selection-empty", lambda: Selection("m", ("a", "b"), [], [], [0, 0], [NAN]), ("indices",)),
    (
        "Selection-range",
        lambda: Selection("m", ("a", "b"), [5], [1.0], [0, 0], [NAN]),
        ("indices",),
    ),
    (
        "Selection-str-index",
        lambda: Selection("m", ("a", "b"), ["x"], [1.0], [0, 0], [NAN]),
        ("indices",),
    ),
    (
        "Selection-2d",
        lambda: Selection("m", ("a", "b"), [[0, 1]], [1.0], [0, 0], [NAN]),
        ("indices",),
    ),
    (
        "Selection-weights-str",
        lambda: Selection("m", ("a", "b"), [0], ["x"], [0, 0], [NAN]),
        ("weights",),
    ),
    (
        "Selection-weights-nan",
        lambda: Selection("m", ("a", "b"), [0], [NAN], [0, 0], [NAN]),
        ("weights",),
    ),
    (
        "Selection-weights-sum",
        lambda: Selection("m", ("a", "b"), [0], [0.5], [0, 0], [NAN]),
        ("weights",),
    ),
    ("Selection-strata", lambda: Selection("m", ("a", "b"), [0], [1.0], [0], [NAN]), ("strata",)),
    (
        "Selection-strata-negative",
        lambda: Selection("m", ("a", "b"), [0], [1.0], [0, -1], [NAN]),
        ("strata",),
    ),
    (
        "Selection-strata-str",
        lambda: Selection("m", ("a", "b"), [0], [1.0], ["x", "y"], [NAN]),
        ("strata",),
    ),
    (
        "Selection-variance-str",
        lambda: Selection("m", ("a", "b"), [0], [1.0], [0, 0], ["x"]),
        ("stratum_variance",),
    ),
    ("Selection-from_dict-str", lambda: Selection.from_dict("x"), ("selection",)),
    ("Selection-from_dict-empty", lambda: Selection.from_dict({}), ("method",)),
    (
        "Selection-from_dict-ids",
        lambda: Selection.from_dict({**_selection().to_dict(), "item_ids": 5}),
        ("item_ids",),
    ),
    (
        "Selection-from_dict-weights",
        lambda: Selection.from_dict({**_selection().to_dict(), "weights": "x"}),
        ("weights",),
    ),
    ("Estimator-method", lambda: ScoreEstimator("x").fit(Y(), _selection()), ("'method'",)),
    (
        "Estimator-confidence",
        lambda: ScoreEstimator(confidence=2).fit(Y(), _selection()),
        ("'confidence'",),
    ),
    (
        "Estimator-confidence-str",
        lambda: ScoreEstimator(confidence="x").fit(Y(), _selection()),
        ("'confidence'",),
    ),
    ("Estimator-selection", lambda: ScoreEstimator().fit(Y(), "x"), ("'selection'",)),
    (
        "Estimator-Y-ragged",
        lambda: ScoreEstimator().fit(RAGGED, _selection()),
        ("ScoreEstimator.fit",),
    ),
    (
        "Estimator-Y-items",
        lambda: ScoreEstimator().fit(Y()[:, :5], _selection()),
        ("ScoreEstimator.fit",),
    ),
    (
        "Estimator-one-model",
        lambda: ScoreEstimator("pirt").fit(Y()[:1], _selection()),
        ("ScoreEstimator",),
    ),
    (
        "Estimator-irt-not-irt",
        lambda: ScoreEstimator("pirt", irt="x").fit(Y(), _selection()),
        ("'irt'",),
    ),
    (
        "Estimator-irt-items",
        lambda: ScoreEstimator("pirt", irt=_irt()).fit(
            Y()[:, :5], RandomSelector(2).fit(Y()[:, :5]).selection_
        ),
        ("'irt'",),
    ),
    (
        "Estimator-irt_dims",
        lambda: ScoreEstimator("pirt", irt_dims=0).fit(Y(), _selection()),
        ("'dims'", "'irt_dims'"),
    ),
    ("estimate-str", lambda: _estimator().estimate("abcd"), ("responses",)),
    ("estimate-length", lambda: _estimator().estimate([1.0]), ("responses",)),
    ("estimate-range", lambda: _estimator().estimate([2.0] * 4), ("responses",)),
    ("estimate-inf", lambda: _estimator().estimate([np.inf, 1.0, 0.0, 1.0]), ("responses",)),
    ("estimate-all-nan", lambda: _estimator().estimate([NAN] * 4), ("ScoreEstimator.estimate",)),
    (
        "estimate-dict-str",
        lambda: _estimator().estimate(dict.fromkeys(_selection().items, "x")),
        ("responses",),
    ),
    ("estimate_many-1d", lambda: _estimator().estimate_many([1.0] * 4), ("estimate_many",)),
    ("estimate_many-ragged", lambda: _estimator().estimate_many(RAGGED), ("estimate_many",)),
    ("Adaptive-not-irt", lambda: AdaptiveTest("x").run(lambda i: 1.0), ("'irt'",)),
    ("Adaptive-budget", lambda: AdaptiveTest(_irt(), budget=0).run(lambda i: 1.0), ("'budget'",)),
    (
        "Adaptive-budget-big",
        lambda: AdaptiveTest(_irt(), budget=99).run(lambda i: 1.0),
        ("'budget'",),
    ),
    (
        "Adaptive-confidence",
        lambda: AdaptiveTest(_irt(), budget=2, confidence=1.0).run(lambda i: 1.0),
        ("'confidence'",),
    ),
    ("Adaptive-answer-none", lambda: AdaptiveTest(_irt(), budget=2).run(None), ("'answer'",)),
    ("Adaptive-answer-str", lambda: AdaptiveTest(_irt(), budget=2).run(lambda i: "x"), ("answer",)),
    ("Adaptive-answer-nan", lambda: AdaptiveTest(_irt(), budget=2).run(lambda i: NAN), ("answer",)),
    ("backtest-two-models", lambda: subset_backtest(Y()[:2], budgets=(2,)), ("subset_backtest",)),
    ("backtest-ragged", lambda: subset_backtest(RAGGED), ("subset_backtest",)),
    (
        "backtest-method-unknown",
        lambda: subset_backtest(Y(), budgets=(2,), methods=[("x", "mean")]),
        ("'methods'",),
    ),
    (
        "backtest-method-short",
        lambda: subset_backtest(Y(), budgets=(2,), methods=[("random",)]),
        ("'methods'",),
    ),
    (
        "backtest-method-str",
        lambda: subset_backtest(Y(), budgets=(2,), methods="random"),
        ("'methods'",),
    ),
    (
        "backtest-method-empty",
        lambda: subset_backtest(Y(), budgets=(2,), methods=[]),
        ("'methods'",),
    ),
    ("backtest-budgets-0", lambda: subset_backtest(Y(), budgets=(0,)), ("'budgets'",)),
    ("backtest-budgets-str", lambda: subset_backtest(Y(), budgets=("a",)), ("'budgets'",)),
    ("backtest-budgets-int", lambda: subset_backtest(Y(), budgets=5), ("'budgets'",)),
    ("backtest-budgets-empty", lambda: subset_backtest(Y(), budgets=()), ("'budgets'",)),
    ("backtest-seeds-empty", lambda: subset_backtest(Y(), budgets=(2,), seeds=()), ("'seeds'",)),
    (
        "backtest-random_seeds",
        lambda: subset_backtest(Y(), budgets=(2,), random_seeds=0),
        ("'random_seeds'",),
    ),
    (
        "backtest-confidence",
        lambda: subset_backtest(Y(), budgets=(2,), confidence=2.0),
        ("'confidence'",),
    ),
    ("backtest-irt_dims", lambda: subset_backtest(Y(), budgets=(2,), irt_dims=0), ("'irt_dims'",)),
    ("hp-data", lambda: hp_score(5, ["l1"]), ("hp_score",)),
    (
        "hp-columns",
        lambda: hp_score(_hp_frame().drop(columns="prompt_variant"), ["l1"]),
        ("prompt_variant",),
    ),
    ("hp-levels-empty", lambda: hp_score(_hp_frame(), []), ("'levels'",)),
    ("hp-levels-dup", lambda: hp_score(_hp_frame(), ["l1", "l1"]), ("'levels'",)),
    ("hp-levels-str", lambda: hp_score(_hp_frame(), "l1"), ("'levels'",)),
    ("hp-levels-none", lambda: hp_score(_hp_frame(), None), ("'levels'",)),
    ("hp-levels-absent", lambda: hp_score(_hp_frame(), ["x"]), ("hp_score",)),
    ("hp-penalty", lambda: hp_score(_hp_frame(), ["l1"], penalty=-1), ("'penalty'",)),
    ("hp-penalty-str", lambda: hp_score(_hp_frame(), ["l1"], penalty="x"), ("'penalty'",)),
    ("hp-threshold-str", lambda: hp_score(_hp_frame(), ["l1"], threshold="x"), ("'threshold'",)),
    ("hp-threshold-nan", lambda: hp_score(_hp_frame(), ["l1"], threshold=NAN), ("'threshold'",)),
    ("hp-confidence", lambda: hp_score(_hp_frame(), ["l1"], confidence=1.0), ("'confidence'",)),
    ("hp-confidence-str", lambda: hp_score(_hp_frame(), ["l1"], confidence="x"), ("'confidence'",)),
    ("hp-resamples", lambda: hp_score(_hp_frame(), ["l1"], resamples=0), ("'resamples'",)),
    ("hp-resamples-float", lambda: hp_score(_hp_frame(), ["l1"], resamples=2.5), ("'resamples'",)),
    (
        "hp-values-str",
        lambda: hp_score(_hp_frame().assign(value=["x", "1", "0", "1"]), ["l1"]),
        ("value",),
    ),
    (
        "hp-values-inf",
        lambda: hp_score(_hp_frame().assign(value=[np.inf, 1, 0, 1]), ["l1"]),
        ("value",),
    ),
    ("subset_task-task", lambda: subset_task("quiz", _selection()), ("'task'",)),
    ("subset_task-selection", lambda: subset_task(_task(), "x"), ("'selection'",)),
    (
        "subset_task-other-items",
        lambda: subset_task(_task(), Selection("m", ("x", "y"), [0], [1.0], [0, 0], [NAN])),
        ("quiz",),
    ),
    ("write_task_file-task", lambda: write_task_file("quiz", "t.yaml"), ("'task'",)),
    ("write_task_file-path", lambda: write_task_file(_task(), 5), ("'path'",)),
    ("write_task_file-suffix", lambda: write_task_file(_task(), "t.json"), (".yaml",)),
    ("from_items-none", lambda: selection_from_items(None), ("'items'",)),
    ("from_items-empty", lambda: selection_from_items([]), ("no items",)),
    ("from_items-pairs", lambda: selection_from_items([("a",)]), ("'items'",)),
    ("from_items-no-meta", lambda: selection_from_items([("a", {})]), ("subset metadata",)),
    (
        "from_items-no-order",
        lambda: selection_from_items(_with_subset(lambda d: d.pop("order"))),
        ("order",),
    ),
    (
        "from_items-weight-str",
        lambda: selection_from_items(_with_subset(lambda d: d.update(weight="x"))),
        ("weight",),
    ),
    (
        "from_items-n_items",
        lambda: selection_from_items(_with_subset(lambda d: d.pop("n_items"))),
        ("n_items",),
    ),
    (
        "from_items-variance",
        lambda: selection_from_items(_with_subset(lambda d: d.update(stratum_variance="x"))),
        ("stratum_variance",),
    ),
    (
        "from_items-other-strata",
        lambda: selection_from_items(_with_subset(lambda d: d.update(other_strata={"x": ["1"]}))),
        ("other_strata",),
    ),
    (
        "from_items-stratum",
        lambda: selection_from_items(_with_subset(lambda d: d.update(stratum="x"))),
        ("stratum",),
    ),
]


@pytest.mark.parametrize(("call", "names"), [pytest.param(c, n, id=i) for i, c, n in SUBSET_CASES])
def test_subset_bad_input(call: Callable[[], Any], names: tuple[str, ...]) -> None:
    _raises(call, *names)


def test_subset_results_bad_keys() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssayWarning)
        bt = subset_backtest(_Y(), budgets=(3,), methods=[("random", "mean")], random_seeds=5)
    _raises(lambda: bt.mae(99, "random", "mean"), "budget")
    _raises(lambda: bt.mae(3, "anchor", "gpirt"), "budget")
    _raises(lambda: bt.best(99), "budget")
    hp = hp_score(_hp_frame(), ["l1", "l2"], resamples=10)
    _raises(lambda: hp.cell("nope"), "nope")


def test_training_matrix_bad_input(store: Store) -> None:
    from assay.schema import Run, Score

    _raises(lambda: training_matrix("x", "t"), "'store'")
    _raises(lambda: training_matrix(store, "t"), "'t'")
    store.write(
        {
            "runs": [Run("r", "t")],
            "scores": [Score("r", "m", "t", str(i), "acc", 1.0) for i in range(3)],
        }
    )
    _raises(lambda: training_matrix(store, "t", metric="f1"), "'metric'")
    _raises(lambda: training_matrix(store, "t", exclude_models="m"), "'exclude_models'")
    Y, models, _, metric = training_matrix(store, "t")
    assert Y.shape == (1, 3)
    assert models == ("m",)
    assert metric == "acc"
    # every model held out is legal (random selection needs no training models)
    assert training_matrix(store, "t", exclude_models=["m"])[0].shape == (0, 3)


def test_write_task_file_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    _raises(lambda: write_task_file(_task(), tmp_path / "file" / "y.yaml"), "write_task_file")


def test_subset_degenerate_inputs_warn() -> None:
    with pytest.warns(DegenerateDataWarning, match="have no score"):
        est = _estimator().estimate([1.0, NAN, 0.0, 1.0])
    assert 0.0 <= est.estimate <= 1.0
    with pytest.warns(DegenerateDataWarning, match="no training scores"):
        sel = StratifiedSelector(4).fit(np.where(np.arange(10) < 2, NAN, _Y()))
    assert sel.items_.size == 4


# ----------------------------------------------------------------------------- diagnosis

DIAG_CASES: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
    ("DINA-max_iter", lambda: DINA(max_iter=0).fit(Y(), _Q()), ("'max_iter'",)),
    ("DINA-tol", lambda: DINA(tol="x").fit(Y(), _Q()), ("'tol'",)),
    ("DINA-tol-negative", lambda: DINA(tol=-1.0).fit(Y(), _Q()), ("'tol'",)),
    ("DINA-Y-ragged", lambda: DINA().fit(RAGGED, _Q()), ("DINA.fit",)),
    ("DINA-Y-str", lambda: DINA().fit([["a"]], _Q()), ("DINA.fit",)),
    ("DINA-Y-no-models", lambda: DINA().fit(np.empty((0, 10)), _Q()), ("DINA.fit",)),
    ("DINA-Y-no-items", lambda: DINA().fit(np.empty((3, 0)), np.empty((0, 1))), ("DINA.fit",)),
    ("DINA-Y-range", lambda: DINA().fit(Y() * 2, _Q()), ("DINA.fit",)),
    ("DINA-Q-shape", lambda: DINA().fit(Y(), _Q()[:3]), ("'Q'",)),
    ("DINA-Q-values", lambda: DINA().fit(Y(), _Q() * 2), ("'Q'",)),
    ("DINA-Q-ragged", lambda: DINA().fit(Y(), [[1, 0]] * 9 + [[1]]), ("'Q'",)),
    ("DINA-Q-str", lambda: DINA().fit(Y(), [["a", "b"]] * 10), ("'Q'",)),
    ("DINA-Q-nan", lambda: DINA().fit(Y(), np.where(_Q() == 1, NAN, 0)), ("'Q'",)),
    ("DINA-Q-no-skill", lambda: DINA().fit(Y(), np.zeros((10, 2), dtype=int)), ("skill",)),
    ("DINA-Q-too-many", lambda: DINA().fit(Y(), np.ones((10, 16), dtype=int)), ("skills",)),
    (
        "DINA-Q-items",
        lambda: DINA().fit(Y(), QMatrix(np.ones((1, 1), np.int8), ("x",), ("s",))),
        ("Q-matrix",),
    ),
    (
        "DINA-model-no-responses",
        lambda: DINA().fit(np.vstack([Y(), np.full(10, NAN)]), _Q()),
        ("DINA.fit",),
    ),
    ("FinCDM-rank", lambda: FinCDM(rank=0).fit(Y(), _Q()), ("'rank'",)),
    ("FinCDM-beta", lambda: FinCDM(beta=-1).fit(Y(), _Q()), ("'beta'",)),
    ("FinCDM-beta-nan", lambda: FinCDM(beta=NAN).fit(Y(), _Q()), ("'beta'",)),
    ("FinCDM-lam-inf", lambda: FinCDM(lam=np.inf).fit(Y(), _Q()), ("'lam'",)),
    ("FinCDM-tol", lambda: FinCDM(tol="x").fit(Y(), _Q()), ("'tol'",)),
    ("FinCDM-tol-negative", lambda: FinCDM(tol=-1.0).fit(Y(), _Q()), ("'tol'",)),
    ("FinCDM-resamples", lambda: FinCDM(resamples=-1).fit(Y(), _Q()), ("'resamples'",)),
    ("FinCDM-confidence", lambda: FinCDM(confidence=1.0).fit(Y(), _Q()), ("'confidence'",)),
    ("FinCDM-confidence-str", lambda: FinCDM(confidence="x").fit(Y(), _Q()), ("'confidence'",)),
    ("FinCDM-Y-ragged", lambda: FinCDM().fit(RAGGED, _Q()), ("FinCDM.fit",)),
    ("q_matrix-source", lambda: q_matrix(5), ("q_matrix",)),
    (
        "q_matrix-columns",
        lambda: q_matrix(pd.DataFrame({"item": ["1"], "skills": ["a"]})),
        ("item_id",),
    ),
    (
        "q_matrix-key",
        lambda: q_matrix(pd.DataFrame({"item_id": ["1"], "skills": ["a"]}), key="k"),
        ("'k'",),
    ),
    ("q_matrix-no-tags", lambda: q_matrix({"1": [], "2": None}), ("skill tags",)),
    (
        "q_matrix-duplicate",
        lambda: q_matrix(pd.DataFrame({"item_id": ["1", "1"], "skills": ["a", "b"]})),
        ("q_matrix",),
    ),
    (
        "q_matrix-task-none",
        lambda: q_matrix(
            pd.DataFrame({"task": ["t"], "item_id": ["1"], "skills": ["a"]}), task="u"
        ),
        ("skill tags",),
    ),
    (
        "QMatrix-align",
        lambda: QMatrix(np.ones((1, 1), np.int8), ("x",), ("s",)).align(["y"]),
        ("Q-matrix",),
    ),
    (
        "QMatrix-align-str",
        lambda: QMatrix(np.ones((1, 1), np.int8), ("x",), ("s",)).align("x"),
        ("'items'",),
    ),
    ("lacking-str", lambda: DINA().fit(Y(), _Q()).mastery_.lacking("x"), ("'threshold'",)),
    ("lacking-nan", lambda: DINA().fit(Y(), _Q()).mastery_.lacking(NAN), ("'threshold'",)),
    (
        "lacking_report-range",
        lambda: DINA().fit(Y(), _Q()).mastery_.lacking_report(2.0),
        ("'threshold'",),
    ),
]


@pytest.mark.parametrize(("call", "names"), [pytest.param(c, n, id=i) for i, c, n in DIAG_CASES])
def test_diagnosis_bad_input(call: Callable[[], Any], names: tuple[str, ...]) -> None:
    _raises(call, *names)


def test_q_matrix_store_without_items(store: Store) -> None:
    _raises(lambda: q_matrix(store, task="nope"), "skill tags")


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
    _raises(call, *names)


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
