"""Bad input to every public entry point of analysis.irt and analysis.diagnosis (and the
fitted objects of analysis.subset used before fit): an InputError naming the function or
parameter (a NotFittedError before fit), never a bare numpy / pandas / Python exception;
legal but degenerate input returns a result with a DegenerateDataWarning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.analysis.diagnosis import DINA, FinCDM, QMatrix, q_matrix
from assay.analysis.irt import IRT, irt_diagnostics, item_matrix
from assay.analysis.subset import (
    AdaptiveTest,
    AnchorSelector,
    RandomSelector,
    ScoreEstimator,
)
from assay.errors import (
    DegenerateDataWarning,
    NotFittedError,
)
from assay.store import Store
from bad_input import fitted_irt, item_scores, raises

NAN = np.nan


def _long() -> pd.DataFrame:
    return pd.DataFrame(
        {"model_id": ["a", "a", "b", "b"], "item_id": ["1", "2", "1", "2"], "value": [0, 1, 1, 1]}
    )


def _Q() -> np.ndarray:
    return np.tile(np.eye(2, dtype=int), (5, 1))


# ----------------------------------------------------------------------------- irt

Y = item_scores
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
    ("IRT-proba-strings", lambda: fitted_irt().predict_proba("x"), ("ability",)),
    ("IRT-proba-nan", lambda: fitted_irt().predict_proba([NAN]), ("ability",)),
    ("IRT-proba-inf", lambda: fitted_irt().predict_proba([np.inf]), ("ability",)),
    ("IRT-proba-columns", lambda: fitted_irt().predict_proba([[0.1, 0.2]]), ("ability",)),
    (
        "IRT-proba-item-label",
        lambda: fitted_irt().predict_proba(items=["nope"]),
        ("predict_proba",),
    ),
    ("IRT-proba-item-index", lambda: fitted_irt().predict_proba(items=[99]), ("predict_proba",)),
    ("IRT-proba-item-float", lambda: fitted_irt().predict_proba(items=[1.5]), ("predict_proba",)),
    (
        "IRT-proba-item-mask",
        lambda: fitted_irt().predict_proba(items=[True, False]),
        ("predict_proba",),
    ),
    ("IRT-info-strings", lambda: fitted_irt().item_information("x"), ("item_information",)),
    ("IRT-testinfo-nan", lambda: fitted_irt().test_information([NAN]), ("ability",)),
    ("IRT-ability-strings", lambda: fitted_irt().estimate_ability(["a"] * 10), ("responses",)),
    ("IRT-ability-ragged", lambda: fitted_irt().estimate_ability(RAGGED, [0, 1]), ("responses",)),
    (
        "IRT-ability-length",
        lambda: fitted_irt().estimate_ability([1, 0], [0, 1, 2]),
        ("responses",),
    ),
    ("IRT-ability-range", lambda: fitted_irt().estimate_ability([2.0] * 10), ("responses",)),
    (
        "IRT-ability-inf",
        lambda: fitted_irt().estimate_ability([np.inf] + [1.0] * 9),
        ("responses",),
    ),
    (
        "IRT-ability-method",
        lambda: fitted_irt().estimate_ability([1.0] * 10, method="mle"),
        ("'method'",),
    ),
    (
        "AbilityEstimate-confidence",
        lambda: fitted_irt().estimate_ability([1.0] * 10).confidence_interval(1.5),
        ("confidence",),
    ),
    (
        "AbilityEstimate-confidence-str",
        lambda: fitted_irt().estimate_ability([1.0] * 10).confidence_interval("x"),
        ("confidence",),
    ),
    ("diag-not-irt", lambda: irt_diagnostics("x", Y()), ("irt",)),
    ("diag-shape", lambda: irt_diagnostics(fitted_irt(), Y()[:, :3]), ("irt_diagnostics",)),
    ("diag-ragged", lambda: irt_diagnostics(fitted_irt(), RAGGED), ("irt_diagnostics",)),
    (
        "diag-fit_range-order",
        lambda: irt_diagnostics(fitted_irt(), Y(), fit_range=(1.3, 0.7)),
        ("fit_range",),
    ),
    (
        "diag-fit_range-scalar",
        lambda: irt_diagnostics(fitted_irt(), Y(), fit_range=0.5),
        ("fit_range",),
    ),
    (
        "diag-fit_range-short",
        lambda: irt_diagnostics(fitted_irt(), Y(), fit_range=(0.7,)),
        ("fit_range",),
    ),
    (
        "diag-fit_range-str",
        lambda: irt_diagnostics(fitted_irt(), Y(), fit_range=("a", "b")),
        ("fit_range",),
    ),
    ("diag-q3", lambda: irt_diagnostics(fitted_irt(), Y(), q3_threshold="x"), ("q3_threshold",)),
    (
        "diag-q3-nan",
        lambda: irt_diagnostics(fitted_irt(), Y(), q3_threshold=NAN),
        ("q3_threshold",),
    ),
    ("diag-alpha", lambda: irt_diagnostics(fitted_irt(), Y(), alpha=2.0), ("alpha",)),
    ("diag-alpha-zero", lambda: irt_diagnostics(fitted_irt(), Y(), alpha=0.0), ("alpha",)),
    ("diag-max_pairs", lambda: irt_diagnostics(fitted_irt(), Y(), max_pairs=-1), ("max_pairs",)),
    (
        "diag-max_pairs-str",
        lambda: irt_diagnostics(fitted_irt(), Y(), max_pairs="x"),
        ("max_pairs",),
    ),
]


@pytest.mark.parametrize(("call", "names"), [pytest.param(c, n, id=i) for i, c, n in IRT_CASES])
def test_irt_bad_input(call: Callable[[], Any], names: tuple[str, ...]) -> None:
    raises(call, *names)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: IRT().predict_proba(), id="predict_proba"),
        pytest.param(lambda: IRT().estimate_ability([1.0]), id="estimate_ability"),
        pytest.param(lambda: irt_diagnostics(IRT(), item_scores()), id="irt_diagnostics"),
        pytest.param(lambda: IRT().to_rows(), id="to_rows"),
        pytest.param(lambda: DINA().predict_proba(), id="DINA"),
        pytest.param(lambda: FinCDM().predict(), id="FinCDM"),
        pytest.param(lambda: ScoreEstimator().estimate([1.0]), id="ScoreEstimator"),
        pytest.param(lambda: RandomSelector().items_, id="RandomSelector"),
        pytest.param(lambda: AdaptiveTest(IRT()).run(lambda i: 1.0), id="AdaptiveTest.run"),
        pytest.param(lambda: AdaptiveTest(fitted_irt()).estimate(), id="AdaptiveTest.estimate"),
        pytest.param(
            lambda: AnchorSelector(4, embedding="irt", irt=IRT()).fit(item_scores()),
            id="AnchorSelector",
        ),
    ],
)
def test_unfitted(call: Callable[[], Any]) -> None:
    raises(call, "fit", "run", allow=NotFittedError)


def test_item_matrix_store_without_rows(store: Store) -> None:
    raises(lambda: item_matrix(store, task="nope"), "item_matrix")


def test_irt_degenerate_inputs_warn() -> None:
    """Legal but degenerate: an estimate from no scored item is the prior, with a warning."""
    with pytest.warns(DegenerateDataWarning, match="no scored item"):
        est = fitted_irt().estimate_ability([NAN] * 10)
    assert est.n_items == 0
    assert np.isfinite(est.ability).all()
    # an empty item list is legal: no columns
    assert fitted_irt().predict_proba(items=[]).shape == (8, 0)


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
    raises(call, *names)


def test_q_matrix_store_without_items(store: Store) -> None:
    raises(lambda: q_matrix(store, task="nope"), "skill tags")
