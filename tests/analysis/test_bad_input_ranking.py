"""Every public entry point of analysis.ranking refuses bad input clearly.

Each case calls one function with one kind of bad input and expects either an
:class:`~assay.errors.InputError` whose message names the function or the parameter, or
(for legal but degenerate data) a result, with at most a :class:`DegenerateDataWarning`
or :class:`ConvergenceWarning`. Any other exception escaping fails the case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest

from assay.analysis.ranking import (
    BradleyTerry,
    EloRating,
    StoredVerdicts,
    aggregate_scores,
    failure_sensitivity,
    propose_pairs,
    swiss_tournament,
    varco_arena,
    what_if,
)
from assay.errors import InputError, NotFittedError
from bad_input import Case, case, check

NAN = float("nan")
INF = float("inf")
A = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
B = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
R = 50  # resamples: keep every case fast


# ----------------------------------------------------------------------------- ranking

BATTLES = pd.DataFrame(
    {
        "model_a": ["x", "y", "z", "x", "y", "z"],
        "model_b": ["y", "z", "x", "z", "x", "y"],
        "winner": ["a", "b", "tie", "a", "both_bad", "b"],
    }
)
SCORES = pd.DataFrame({"b1": [0.9, 0.5, 0.2], "b2": [0.4, 0.8, 0.1]}, index=["m1", "m2", "m3"])


def _battle_data_cases(where: str, fit: Callable[[Any], Any]) -> Iterator[Any]:
    yield case(f"{where}-none", lambda: fit(None), "'data'")
    yield case(f"{where}-str", lambda: fit("battles.csv"), "'data'")
    yield case(f"{where}-int", lambda: fit(3), "'data'")
    yield case(f"{where}-empty-frame", lambda: fit(BATTLES.iloc[:0]), where)
    yield case(f"{where}-empty-list", lambda: fit([]), where)
    yield case(f"{where}-no-winner-col", lambda: fit(BATTLES.drop(columns="winner")), "'winner'")
    yield case(
        f"{where}-misnamed-col", lambda: fit(BATTLES.rename(columns={"model_a": "a"})), "'model_a'"
    )
    yield case(
        f"{where}-bad-winner",
        lambda: fit(BATTLES.assign(winner=["a", "b", "draw", "a", "a", "b"])),
        "'draw'",
    )
    yield case(
        f"{where}-null-model",
        lambda: fit(BATTLES.assign(model_a=[None, "y", "z", "x", "y", "z"])),
        "model_a",
    )
    yield case(
        f"{where}-self-pair",
        lambda: fit(BATTLES.assign(model_b=["x", "z", "x", "z", "x", "y"])),
        where,
    )
    yield case(
        f"{where}-ragged-mapping",
        lambda: fit({"model_a": ["x", "y"], "model_b": ["y"], "winner": ["a"]}),
        where,
        "'data'",
    )
    yield case(
        f"{where}-scalar-mapping",
        lambda: fit({"model_a": "x", "model_b": "y", "winner": "a"}),
        where,
        "'data'",
    )
    yield case(
        f"{where}-mixed-rows",
        lambda: fit([{"model_a": "x", "model_b": "y", "winner": "a"}, 5]),
        "'data'",
    )
    yield case(
        f"{where}-dict-rows-mixed-types",
        lambda: fit(
            [
                {"model_a": "x", "model_b": "y", "winner": "a"},
                {"model_a": 1, "model_b": [2], "winner": "b"},
            ]
        ),
        where,
        "'data'",
    )
    yield case(
        f"{where}-numeric-models",
        lambda: fit(BATTLES.assign(model_a=[1, 2, 3, 1, 2, 3], model_b=[2, 3, 1, 3, 1, 2])),
        where,
        ok=True,
    )
    yield case(f"{where}-one-pair", lambda: fit(BATTLES.iloc[:1]), where, ok=True)
    yield case(
        f"{where}-disconnected",
        lambda: fit(
            pd.DataFrame({"model_a": ["p", "r"], "model_b": ["q", "s"], "winner": ["a", "tie"]})
        ),
        where,
        ok=True,
    )


def _estimator_cases() -> Iterator[Any]:
    def bt(**kw: Any) -> Callable[[], Any]:
        return lambda: BradleyTerry(**kw).fit(BATTLES, bootstrap=0)

    def elo(**kw: Any) -> Callable[[], Any]:
        return lambda: EloRating(**kw).fit(BATTLES, bootstrap=0)

    yield from _battle_data_cases("BradleyTerry.fit", lambda d: BradleyTerry().fit(d, bootstrap=0))
    yield from _battle_data_cases("EloRating.fit", lambda d: EloRating().fit(d, bootstrap=0))
    yield case("BradleyTerry-ties", bt(ties="glenn"), "'ties'")
    yield case("BradleyTerry-scale-0", bt(scale=0), "'scale'")
    yield case("BradleyTerry-scale-str", bt(scale="400"), "'scale'")
    yield case("BradleyTerry-base-nan", bt(base=NAN), "'base'")
    yield case("BradleyTerry-alpha-neg", bt(alpha=-1.0), "'alpha'")
    yield case("BradleyTerry-max-iter-float", bt(max_iter=10.5), "'max_iter'")
    yield case("BradleyTerry-tol-0", bt(tol=0), "'tol'")
    yield case("BradleyTerry-anchor-int", bt(anchor=3), "'anchor'")
    yield case("BradleyTerry-anchor-unknown", bt(anchor="nope"), "'nope'")
    yield case("BradleyTerry-style-str", bt(style="length"), "'style'")
    yield case("BradleyTerry-style-missing-cols", bt(style=["length"]), "'length'")
    yield case(
        "BradleyTerry-style-text",
        lambda: BradleyTerry(style=["len"]).fit(
            BATTLES.assign(len_a=["a"] * 6, len_b=[1] * 6), bootstrap=0
        ),
        "'len_a'",
    )
    yield case(
        "BradleyTerry-style-negative",
        lambda: BradleyTerry(style=["len"]).fit(
            BATTLES.assign(len_a=[-1.0] * 6, len_b=[1.0] * 6), bootstrap=0
        ),
        "'len_a'",
    )
    yield case(
        "BradleyTerry-style-bad-json",
        lambda: BradleyTerry(style=["len"]).fit(
            BATTLES.assign(metadata=["{not json"] * 6), bootstrap=0
        ),
        "metadata",
        "BradleyTerry.fit",
    )
    yield case(
        "BradleyTerry-bootstrap-neg",
        lambda: BradleyTerry().fit(BATTLES, bootstrap=-1),
        "'bootstrap'",
    )
    yield case(
        "BradleyTerry-bootstrap-float",
        lambda: BradleyTerry().fit(BATTLES, bootstrap=2.5),
        "'bootstrap'",
    )
    yield case(
        "BradleyTerry-confidence",
        lambda: BradleyTerry().fit(BATTLES, bootstrap=5, confidence=1.5),
        "'confidence'",
    )
    yield case(
        "BradleyTerry-confidence-str",
        lambda: BradleyTerry().fit(BATTLES, bootstrap=5, confidence="0.9"),
        "'confidence'",
    )
    yield case(
        "BradleyTerry-seed", lambda: BradleyTerry().fit(BATTLES, bootstrap=5, seed="x"), "'seed'"
    )
    yield case("BradleyTerry-set-params", lambda: BradleyTerry().set_params(k=3), "'k'")
    yield case(
        "BradleyTerry-predict-unknown",
        lambda: (
            BradleyTerry()
            .fit(BATTLES, bootstrap=0)
            .predict_proba(pd.DataFrame({"model_a": ["x"], "model_b": ["nope"]}))
        ),
        "'nope'",
    )
    yield case(
        "BradleyTerry-predict-none",
        lambda: BradleyTerry().fit(BATTLES, bootstrap=0).predict_proba(None),
        "'data'",
    )
    yield case(
        "BradleyTerry-entry-unknown",
        lambda: BradleyTerry().fit(BATTLES, bootstrap=0).ratings_.entry("nope"),
        "'nope'",
    )
    yield case(
        "BradleyTerry-interval-no-bootstrap",
        lambda: BradleyTerry().fit(BATTLES, bootstrap=0).ratings_.confidence_interval("x"),
        "'x'",
    )
    yield case(
        "BradleyTerry-win-matrix",
        lambda: BradleyTerry().fit(BATTLES, bootstrap=0).ratings_.win_probability_matrix("all"),
        "'count_ties'",
    )
    yield case("EloRating-k-neg", elo(k=-1), "'k'")
    yield case("EloRating-k-inf", elo(k=INF), "'k'")
    yield case("EloRating-scale", elo(scale=0), "'scale'")
    yield case("EloRating-order", elo(order="random"), "'order'")
    yield case(
        "EloRating-bootstrap", lambda: EloRating().fit(BATTLES, bootstrap="10"), "'bootstrap'"
    )
    yield case("EloRating-seed", lambda: EloRating().fit(BATTLES, bootstrap=5, seed=-3), "'seed'")
    yield case(
        "EloRating-predict-unknown",
        lambda: (
            EloRating()
            .fit(BATTLES, bootstrap=0)
            .predict_proba(pd.DataFrame({"model_a": ["x"], "model_b": ["nope"]}))
        ),
        "'nope'",
    )


def _aggregate_cases() -> Iterator[Any]:
    for n, f in (
        ("aggregate_scores", aggregate_scores),
        ("what_if", what_if),
        ("swiss_tournament", swiss_tournament),
        ("failure_sensitivity", failure_sensitivity),
    ):
        kw: dict[str, Any] = {"runs": R} if f in (swiss_tournament, failure_sensitivity) else {}
        if f is aggregate_scores:
            kw = {"resamples": R}

        def call(
            scores: Any, f: Any = f, kw: dict[str, Any] = kw, **more: Any
        ) -> Callable[[], Any]:
            return lambda: f(scores, **{**kw, **more})

        yield case(f"{n}-none", call(None), "'scores'")
        yield case(f"{n}-list", call([[0.1, 0.2], [0.3, 0.4]]), "'scores'")
        yield case(f"{n}-flat-mapping", call({"m1": 0.5, "m2": 0.7}), "'scores'", n)
        yield case(f"{n}-one-model", call(SCORES.iloc[:1]), n)
        yield case(f"{n}-no-benchmark", call(SCORES.iloc[:, :0]), n)
        yield case(f"{n}-empty", call(pd.DataFrame()), n)
        yield case(f"{n}-strings", call(SCORES.assign(b1=["a", "b", "c"])), n)
        yield case(f"{n}-inf", call(SCORES.assign(b1=[INF, 0.1, 0.2])), n)
        yield case(f"{n}-duplicate-models", call(SCORES.set_axis(["m1", "m1", "m3"])), n)
        yield case(f"{n}-duplicate-benchmarks", call(SCORES.set_axis(["b1", "b1"], axis=1)), n)
        yield case(
            f"{n}-all-missing-model", call(SCORES.assign(b1=[NAN, 0.1, 0.2], b2=[NAN, 0.1, 0.3])), n
        )
        yield case(f"{n}-lower-str", call(SCORES, lower_is_better="b1"), "'lower_is_better'")
        yield case(f"{n}-lower-unknown", call(SCORES, lower_is_better=["b9"]), "'lower_is_better'")
        if f is not what_if:
            yield case(f"{n}-seed", call(SCORES, seed="x"), "'seed'")
    a = "aggregate_scores"
    yield case(f"{a}-method", lambda: aggregate_scores(SCORES, method="median"), "'method'")
    yield case(f"{a}-resamples", lambda: aggregate_scores(SCORES, resamples=-1), "'resamples'")
    yield case(f"{a}-confidence", lambda: aggregate_scores(SCORES, confidence=0), "'confidence'")
    yield case(
        f"{a}-some-missing",
        lambda: aggregate_scores(SCORES.assign(b1=[NAN, 0.1, 0.2]), resamples=R),
        a,
        ok=True,
    )
    yield case(
        f"{a}-interval-none",
        lambda: aggregate_scores(SCORES, resamples=0).confidence_interval("m1"),
        "'m1'",
    )
    yield case(
        f"{a}-entry-unknown", lambda: aggregate_scores(SCORES, resamples=0).entry("nope"), "'nope'"
    )
    w = "what_if"
    yield case(f"{w}-kinds-str", lambda: what_if(SCORES, kinds="drop"), "'kinds'")
    yield case(f"{w}-kinds-unknown", lambda: what_if(SCORES, kinds=["swap"]), "'kinds'")
    yield case(f"{w}-zero-value", lambda: what_if(SCORES, zero_value=NAN), "'zero_value'")
    yield case(f"{w}-zero-value-str", lambda: what_if(SCORES, zero_value="0"), "'zero_value'")
    yield case(f"{w}-drop-one-benchmark", lambda: what_if(SCORES[["b1"]], kinds=["drop"]), w)
    s = "swiss_tournament"
    yield case(
        f"{s}-missing-score", lambda: swiss_tournament(SCORES.assign(b1=[NAN, 0.1, 0.2]), runs=R), s
    )
    yield case(
        f"{s}-rounds-unknown", lambda: swiss_tournament(SCORES, rounds=["b9"], runs=R), "'rounds'"
    )
    yield case(f"{s}-rounds-str", lambda: swiss_tournament(SCORES, rounds="b1", runs=R), "'rounds'")
    yield case(f"{s}-rounds-empty", lambda: swiss_tournament(SCORES, rounds=[], runs=R), "'rounds'")
    yield case(
        f"{s}-rounds-repeat",
        lambda: swiss_tournament(SCORES, rounds=["b1", "b1"], runs=R),
        "'rounds'",
    )
    yield case(
        f"{s}-eliminate-neg", lambda: swiss_tournament(SCORES, eliminate=-1, runs=R), "'eliminate'"
    )
    yield case(
        f"{s}-eliminate-length",
        lambda: swiss_tournament(SCORES, eliminate=[1], runs=R),
        "'eliminate'",
    )
    yield case(
        f"{s}-eliminate-float",
        lambda: swiss_tournament(SCORES, eliminate=0.5, runs=R),
        "'eliminate'",
    )
    yield case(
        f"{s}-eliminate-all", lambda: swiss_tournament(SCORES, eliminate=5, runs=R), s, ok=True
    )
    yield case(f"{s}-runs-0", lambda: swiss_tournament(SCORES, runs=0), "'runs'")
    yield case(
        f"{s}-tie-policy", lambda: swiss_tournament(SCORES, tie_policy="x", runs=R), "'tie_policy'"
    )
    yield case(
        f"{s}-odd-policy", lambda: swiss_tournament(SCORES, odd_policy="x", runs=R), "'odd_policy'"
    )
    yield case(
        f"{s}-confidence", lambda: swiss_tournament(SCORES, confidence=1, runs=R), "'confidence'"
    )
    yield case(f"{s}-all-equal", lambda: swiss_tournament(SCORES * 0, runs=R), s, ok=True)
    yield case(
        f"{s}-entry-unknown",
        lambda: swiss_tournament(SCORES, runs=R).confidence_interval("nope"),
        "'nope'",
    )
    fs = "failure_sensitivity"
    yield case(
        f"{fs}-levels-empty", lambda: failure_sensitivity(SCORES, levels=[], runs=R), "'levels'"
    )
    yield case(
        f"{fs}-levels-neg", lambda: failure_sensitivity(SCORES, levels=[-1, 0], runs=R), "'levels'"
    )
    yield case(
        f"{fs}-levels-unsorted",
        lambda: failure_sensitivity(SCORES, levels=[2, 1], runs=R),
        "'levels'",
    )
    yield case(
        f"{fs}-levels-int", lambda: failure_sensitivity(SCORES, levels=2, runs=R), "'levels'"
    )
    yield case(f"{fs}-runs", lambda: failure_sensitivity(SCORES, runs=0), "'runs'")
    yield case(
        f"{fs}-tie-policy",
        lambda: failure_sensitivity(SCORES, tie_policy="x", runs=R),
        "'tie_policy'",
    )


class _Judge:
    def __init__(self, answer: Any = "a") -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self, item: str, model_a: str, model_b: str) -> Any:
        self.calls += 1
        return self.answer


VERDICTS = BATTLES.assign(item_id=["i1", "i1", "i1", "i2", "i2", "i2"])


def _tournament_cases() -> Iterator[Any]:
    p = "propose_pairs"
    yield case(f"{p}-models-none", lambda: propose_pairs(None, None, 1), "'models'")
    yield case(f"{p}-models-str", lambda: propose_pairs(None, "xy", 1), "'models'")
    yield case(f"{p}-models-int", lambda: propose_pairs(None, 5, 1), "'models'")
    yield case(f"{p}-one-model", lambda: propose_pairs(None, ["x"], 1), "'models'")
    yield case(f"{p}-duplicate-models", lambda: propose_pairs(None, ["x", "x"], 1), "'models'")
    yield case(f"{p}-n-neg", lambda: propose_pairs(None, ["x", "y"], -1), "'n'")
    yield case(f"{p}-n-float", lambda: propose_pairs(None, ["x", "y"], 1.5), "'n'")
    yield case(f"{p}-k", lambda: propose_pairs(None, ["x", "y"], 1, k=0), "'k'")
    yield case(f"{p}-scale", lambda: propose_pairs(None, ["x", "y"], 1, scale=-1), "'scale'")
    yield case(f"{p}-base", lambda: propose_pairs(None, ["x", "y"], 1, base=NAN), "'base'")
    yield case(
        f"{p}-allow-repeats",
        lambda: propose_pairs(None, ["x", "y"], 1, allow_repeats="yes"),
        "'allow_repeats'",
    )
    yield case(f"{p}-seed", lambda: propose_pairs(None, ["x", "y"], 1, seed="x"), "'seed'")
    yield case(f"{p}-unknown-verdict-model", lambda: propose_pairs(BATTLES, ["x", "y"], 1), "'z'")
    yield case(
        f"{p}-bad-comparisons", lambda: propose_pairs(5, ["x", "y"], 1), "'data'", "'comparisons'"
    )
    yield case(
        f"{p}-bad-winner",
        lambda: propose_pairs(BATTLES.assign(winner="draw"), ["x", "y", "z"], 1),
        "'draw'",
    )
    yield case(f"{p}-all-judged", lambda: propose_pairs(BATTLES, ["x", "y", "z"], 5), p, ok=True)
    v = "varco_arena"
    yield case(
        f"{v}-models-str", lambda: varco_arena("xy", ["i1"], _Judge(), bootstrap=0), "'models'"
    )
    yield case(
        f"{v}-one-model", lambda: varco_arena(["x"], ["i1"], _Judge(), bootstrap=0), "'models'"
    )
    yield case(
        f"{v}-models-none", lambda: varco_arena(None, ["i1"], _Judge(), bootstrap=0), "'models'"
    )
    yield case(
        f"{v}-items-empty", lambda: varco_arena(["x", "y"], [], _Judge(), bootstrap=0), "'items'"
    )
    yield case(
        f"{v}-items-none", lambda: varco_arena(["x", "y"], None, _Judge(), bootstrap=0), "'items'"
    )
    yield case(
        f"{v}-items-str", lambda: varco_arena(["x", "y"], "item", _Judge(), bootstrap=0), "'items'"
    )
    yield case(
        f"{v}-items-repeat",
        lambda: varco_arena(["x", "y"], ["i", "i"], _Judge(), bootstrap=0),
        "'items'",
    )
    yield case(
        f"{v}-judge", lambda: varco_arena(["x", "y"], ["i1"], "gpt-4", bootstrap=0), "'judge'"
    )
    yield case(
        f"{v}-judge-answer",
        lambda: varco_arena(["x", "y"], ["i1"], _Judge("A"), bootstrap=0),
        "'A'",
    )
    yield case(
        f"{v}-both-orders",
        lambda: varco_arena(["x", "y"], ["i1"], _Judge(), both_orders=1, bootstrap=0),
        "'both_orders'",
    )
    yield case(
        f"{v}-ties",
        lambda: varco_arena(["x", "y"], ["i1"], _Judge(), ties="x", bootstrap=0),
        "'ties'",
    )
    yield case(
        f"{v}-scale",
        lambda: varco_arena(["x", "y"], ["i1"], _Judge(), scale=0, bootstrap=0),
        "'scale'",
    )
    yield case(
        f"{v}-anchor",
        lambda: varco_arena(["x", "y"], ["i1"], _Judge(), anchor="nope", bootstrap=0),
        "'nope'",
    )
    yield case(
        f"{v}-bootstrap-neg",
        lambda: varco_arena(["x", "y"], ["i1"], _Judge(), bootstrap=-1),
        "'bootstrap'",
    )
    yield case(
        f"{v}-bootstrap-float",
        lambda: varco_arena(["x", "y"], ["i1"], _Judge(), bootstrap=1.5),
        "'bootstrap'",
    )
    yield case(
        f"{v}-confidence",
        lambda: varco_arena(["x", "y"], ["i1"], _Judge(), confidence=2),
        "'confidence'",
    )
    yield case(f"{v}-seed", lambda: varco_arena(["x", "y"], ["i1"], _Judge(), seed="x"), "'seed'")
    yield case(
        f"{v}-one-sided",
        lambda: varco_arena(["x", "y", "z"], ["i1", "i2"], _Judge(), bootstrap=5),
        v,
        ok=True,
    )
    sv = "StoredVerdicts"
    yield case(f"{sv}-none", lambda: StoredVerdicts(None), sv)
    yield case(f"{sv}-no-item-id", lambda: StoredVerdicts(BATTLES), "'item_id'")
    yield case(f"{sv}-bad-winner", lambda: StoredVerdicts(VERDICTS.assign(winner="draw")), "'draw'")
    yield case(f"{sv}-empty", lambda: StoredVerdicts(VERDICTS.iloc[:0]), sv)
    yield case(f"{sv}-missing-verdict", lambda: StoredVerdicts(VERDICTS)("i9", "x", "y"), "'i9'")
    yield case(
        f"{sv}-in-arena-missing",
        lambda: varco_arena(["x", "y", "w"], ["i1"], StoredVerdicts(VERDICTS), bootstrap=0),
        sv,
    )
    yield case(
        f"{sv}-in-arena",
        lambda: varco_arena(["x", "y", "z"], ["i1", "i2"], StoredVerdicts(VERDICTS), bootstrap=0),
        v,
        ok=True,
    )


@pytest.mark.parametrize("c", [*_estimator_cases(), *_aggregate_cases(), *_tournament_cases()])
def test_ranking_refuses_bad_input(c: Case) -> None:
    check(c)


def test_unfitted_estimators_raise_not_fitted() -> None:
    for est in (BradleyTerry(), EloRating()):
        with pytest.raises(NotFittedError, match="not fitted"):
            est.predict_proba(BATTLES)


def test_varco_arena_checks_options_before_it_asks_the_judge() -> None:
    judge = _Judge()
    with pytest.raises(InputError, match="'ties'"):
        varco_arena(["x", "y"], ["i1", "i2"], judge, ties="glenn", bootstrap=0)
    with pytest.raises(InputError, match="'bootstrap'"):
        varco_arena(["x", "y"], ["i1", "i2"], judge, bootstrap=-1)
    assert judge.calls == 0
