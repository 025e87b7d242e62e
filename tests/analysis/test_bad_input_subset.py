"""Bad input to every public entry point of analysis.subset: an InputError naming the
function or parameter, never a bare numpy / pandas / Python exception; legal but
degenerate input returns a result with a DegenerateDataWarning."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

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
)
from assay.harness.tasks import Task, TaskItem
from assay.store import Store
from bad_input import fitted_irt, item_scores, raises

NAN = np.nan


@functools.cache
def _selection() -> Selection:
    return RandomSelector(4, seed=0).fit(item_scores()).selection_


@functools.cache
def _estimator() -> ScoreEstimator:
    return ScoreEstimator("mean").fit(item_scores(), _selection())


def _hp_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model_id": ["m"] * 4,
            "item_id": ["1", "1", "2", "2"],
            "prompt_variant": ["l1", "l2", "l1", "l2"],
            "value": [0.0, 1.0, 1.0, 1.0],
        }
    )


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


RAGGED = [[0.0, 1.0], [1.0]]
Y = item_scores

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
        lambda: AnchorSelector(4, embedding="irt", irt=fitted_irt()).fit(Y()[:, :5]),
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
        lambda: ScoreEstimator("pirt", irt=fitted_irt()).fit(
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
    (
        "Adaptive-budget",
        lambda: AdaptiveTest(fitted_irt(), budget=0).run(lambda i: 1.0),
        ("'budget'",),
    ),
    (
        "Adaptive-budget-big",
        lambda: AdaptiveTest(fitted_irt(), budget=99).run(lambda i: 1.0),
        ("'budget'",),
    ),
    (
        "Adaptive-confidence",
        lambda: AdaptiveTest(fitted_irt(), budget=2, confidence=1.0).run(lambda i: 1.0),
        ("'confidence'",),
    ),
    ("Adaptive-answer-none", lambda: AdaptiveTest(fitted_irt(), budget=2).run(None), ("'answer'",)),
    (
        "Adaptive-answer-str",
        lambda: AdaptiveTest(fitted_irt(), budget=2).run(lambda i: "x"),
        ("answer",),
    ),
    (
        "Adaptive-answer-nan",
        lambda: AdaptiveTest(fitted_irt(), budget=2).run(lambda i: NAN),
        ("answer",),
    ),
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
    raises(call, *names)


def test_subset_results_bad_keys() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssayWarning)
        bt = subset_backtest(
            item_scores(), budgets=(3,), methods=[("random", "mean")], random_seeds=5
        )
    raises(lambda: bt.mae(99, "random", "mean"), "budget")
    raises(lambda: bt.mae(3, "anchor", "gpirt"), "budget")
    raises(lambda: bt.best(99), "budget")
    hp = hp_score(_hp_frame(), ["l1", "l2"], resamples=10)
    raises(lambda: hp.cell("nope"), "nope")


def test_training_matrix_bad_input(store: Store) -> None:
    from assay.schema import Run, Score

    raises(lambda: training_matrix("x", "t"), "'store'")
    raises(lambda: training_matrix(store, "t"), "'t'")
    store.write(
        {
            "runs": [Run("r", "t")],
            "scores": [Score("r", "m", "t", str(i), "acc", 1.0) for i in range(3)],
        }
    )
    raises(lambda: training_matrix(store, "t", metric="f1"), "'metric'")
    raises(lambda: training_matrix(store, "t", exclude_models="m"), "'exclude_models'")
    Y, models, _, metric = training_matrix(store, "t")
    assert Y.shape == (1, 3)
    assert models == ("m",)
    assert metric == "acc"
    # every model held out is legal (random selection needs no training models)
    assert training_matrix(store, "t", exclude_models=["m"])[0].shape == (0, 3)


def test_write_task_file_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    raises(lambda: write_task_file(_task(), tmp_path / "file" / "y.yaml"), "write_task_file")


def test_subset_degenerate_inputs_warn() -> None:
    with pytest.warns(DegenerateDataWarning, match="have no score"):
        est = _estimator().estimate([1.0, NAN, 0.0, 1.0])
    assert 0.0 <= est.estimate <= 1.0
    with pytest.warns(DegenerateDataWarning, match="no training scores"):
        sel = StratifiedSelector(4).fit(np.where(np.arange(10) < 2, NAN, item_scores()))
    assert sel.items_.size == 4
