"""Every public entry point of analysis.stats and analysis.ranking refuses bad input clearly.

Each case calls one function with one kind of bad input and expects either an
:class:`~assay.errors.InputError` whose message names the function or the parameter, or
(for legal but degenerate data) a result, with at most a :class:`DegenerateDataWarning`
or :class:`ConvergenceWarning`. Any other exception escaping fails the case.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
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
from assay.analysis.stats import (
    adjust_pvalues,
    bootstrap_interval,
    compare,
    items_needed,
    mcnemar_test,
    minimum_detectable_difference,
    paired_bootstrap,
    paired_bootstrap_many,
    paired_permutation_test,
    rank_intervals,
    rank_models,
    scores_table,
    seed_variance,
    sign_test,
    standard_error,
    variance_components,
)
from assay.errors import ConvergenceWarning, DegenerateDataWarning, InputError, NotFittedError
from assay.schema import Run, Score
from assay.store import Store

NAN = float("nan")
INF = float("inf")
A = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
B = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
R = 50  # resamples: keep every case fast


@dataclass(frozen=True)
class Case:
    """One call with bad input: ``names`` are the words an InputError must contain (any
    one of them); ``ok`` marks legal degenerate input that may return a result."""

    id: str
    call: Callable[[], Any]
    names: tuple[str, ...]
    ok: bool = False


def case(id: str, call: Callable[[], Any], *names: str, ok: bool = False) -> Any:
    return pytest.param(Case(id, call, names, ok), id=id)


def check(c: Case) -> None:
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


# --------------------------------------------------------------------- array statistics

PAIRED = (paired_bootstrap, paired_permutation_test, mcnemar_test, sign_test)


def _paired_cases() -> Iterator[Any]:
    for f in PAIRED:
        n = f.__name__
        extra: dict[str, Any] = (
            {"resamples": R} if f in (paired_bootstrap, paired_permutation_test) else {}
        )

        def call(f: Any = f, extra: dict[str, Any] = extra, **kw: Any) -> Callable[[], Any]:
            a = kw.pop("a", A)
            b = kw.pop("b", B)
            return lambda: f(a, b, **{**extra, **kw})

        yield case(f"{n}-empty", call(a=[], b=[]), n)
        yield case(f"{n}-all-nan", call(a=[NAN, NAN], b=[1.0, 0.0]), n)
        yield case(f"{n}-strings", call(a=["x", "y"], b=[1.0, 0.0]), "'a'", n)
        yield case(f"{n}-ragged", call(a=[[1.0, 0.0], [1.0]], b=[1.0, 0.0]), "'a'", n)
        yield case(f"{n}-2d", call(a=[[1.0, 0.0], [1.0, 1.0]], b=[1.0, 0.0]), "'a'", n)
        yield case(f"{n}-scalar", call(a=1.0, b=1.0), "'a'", n)
        yield case(f"{n}-none", call(a=None, b=[1.0]), "'a'", n)
        yield case(f"{n}-inf", call(b=[INF, 0, 0, 0, 0, 0]), "'b'", n)
        yield case(f"{n}-lengths", call(b=[1.0, 0.0]), n)
        yield case(f"{n}-nan-raise", call(a=[NAN, *A[1:]], nan_policy="raise"), n)
        yield case(f"{n}-nan-policy", call(nan_policy="drop"), "'nan_policy'")
        yield case(f"{n}-alternative", call(alternative="bigger"), "'alternative'")
        yield case(f"{n}-confidence-high", call(confidence=95), "'confidence'")
        yield case(f"{n}-confidence-nan", call(confidence=NAN), "'confidence'")
        yield case(f"{n}-confidence-str", call(confidence="0.95"), "'confidence'")
        yield case(f"{n}-one-item", call(a=[1.0], b=[0.0]), n, ok=True)
        yield case(f"{n}-identical", call(a=A, b=A), n, ok=True)
        if f in (paired_bootstrap, paired_permutation_test):
            yield case(f"{n}-resamples-0", call(resamples=0), "'resamples'")
            yield case(f"{n}-resamples-float", call(resamples=10.5), "'resamples'")
            yield case(f"{n}-resamples-bool", call(resamples=True), "'resamples'")
            yield case(f"{n}-seed-str", call(seed="abc"), "'seed'")
            yield case(f"{n}-seed-negative", call(seed=-1), "'seed'")
            yield case(f"{n}-seed-float", call(seed=1.5), "'seed'")
            yield case(f"{n}-clusters-short", call(clusters=["c1"]), "'clusters'")
            yield case(
                f"{n}-clusters-none-label",
                call(clusters=[None, "c", "c", "d", "d", "e"]),
                "'clusters'",
            )
            yield case(f"{n}-clusters-2d", call(clusters=[[1, 2]] * 6), "'clusters'")
            yield case(f"{n}-clusters-scalar", call(clusters="c"), "'clusters'")
            yield case(f"{n}-one-cluster", call(clusters=["c"] * 6), n, ok=True)
    yield case(
        "paired_bootstrap-method", lambda: paired_bootstrap(A, B, method="basic"), "'method'"
    )
    yield case(
        "mcnemar_test-not-binary", lambda: mcnemar_test([0.5, 1.0], [0.0, 1.0]), "mcnemar_test"
    )


def _one_sample_cases() -> Iterator[Any]:
    for f in (bootstrap_interval, standard_error):
        n = f.__name__
        extra: dict[str, Any] = {"resamples": R} if f is bootstrap_interval else {}

        def call(
            values: Any = A, f: Any = f, extra: dict[str, Any] = extra, **kw: Any
        ) -> Callable[[], Any]:
            return lambda: f(values, **{**extra, **kw})

        yield case(f"{n}-empty", call([]), n)
        yield case(f"{n}-all-nan", call([NAN, NAN]), n)
        yield case(f"{n}-strings", call(["a", "b"]), "'values'")
        yield case(f"{n}-ragged", call([[1.0], [1.0, 2.0]]), "'values'")
        yield case(f"{n}-2d", call([[1.0, 2.0], [3.0, 4.0]]), "'values'")
        yield case(f"{n}-scalar", call(1.0), "'values'")
        yield case(f"{n}-none", call(None), "'values'")
        yield case(f"{n}-dict", call({"a": 1.0}), "'values'")
        yield case(f"{n}-inf", call([1.0, INF]), "'values'")
        yield case(f"{n}-nan-raise", call([1.0, NAN], nan_policy="raise"), n)
        yield case(f"{n}-nan-policy", call(nan_policy="propagate"), "'nan_policy'")
        yield case(f"{n}-clusters-short", call(clusters=[1, 2]), "'clusters'")
        yield case(f"{n}-clusters-nan", call(clusters=[1, 2, NAN, 1, 2, 3]), "'clusters'")
        yield case(f"{n}-one-value", call([0.5]), n, ok=True)
        yield case(f"{n}-constant", call([1.0, 1.0, 1.0]), n, ok=True)
        yield case(f"{n}-one-cluster", call(clusters=["c"] * 6), n, ok=True)
    b = "bootstrap_interval"
    yield case(f"{b}-method", lambda: bootstrap_interval(A, method="bc"), "'method'")
    yield case(f"{b}-confidence-0", lambda: bootstrap_interval(A, confidence=0), "'confidence'")
    yield case(
        f"{b}-confidence-list", lambda: bootstrap_interval(A, confidence=[0.9]), "'confidence'"
    )
    yield case(f"{b}-resamples-neg", lambda: bootstrap_interval(A, resamples=-5), "'resamples'")
    yield case(f"{b}-resamples-str", lambda: bootstrap_interval(A, resamples="100"), "'resamples'")
    yield case(f"{b}-seed-str", lambda: bootstrap_interval(A, resamples=R, seed="x"), "'seed'")
    yield case(
        f"{b}-seed-list-neg", lambda: bootstrap_interval(A, resamples=R, seed=[-1]), "'seed'"
    )
    yield case(
        f"{b}-bca-one-value",
        lambda: bootstrap_interval([0.5], method="bca", resamples=R),
        b,
        ok=True,
    )
    yield case(
        f"{b}-bca-constant",
        lambda: bootstrap_interval([1.0] * 5, method="bca", resamples=R),
        b,
        ok=True,
    )


def _many_cases() -> Iterator[Any]:
    n = "paired_bootstrap_many"
    m = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    ref = [1.0, 0.0, 0.0]

    def call(scores: Any = m, reference: Any = ref, **kw: Any) -> Callable[[], Any]:
        return lambda: paired_bootstrap_many(scores, reference, **{"resamples": R, **kw})

    yield case(f"{n}-strings", call([["a", "b"]] * 3), "'scores'")
    yield case(f"{n}-ragged", call([[1.0, 0.0], [1.0], [0.0, 1.0]]), "'scores'")
    yield case(f"{n}-1d", call([1.0, 0.0, 1.0]), "'scores'")
    yield case(f"{n}-none", call(None), "'scores'")
    yield case(f"{n}-rows", call(m[:2]), "'scores'")
    yield case(f"{n}-no-models", call(np.zeros((3, 0))), "'scores'")
    yield case(f"{n}-inf", call([[1.0, INF], [0.0, 1.0], [1.0, 1.0]]), "'scores'")
    yield case(f"{n}-ref-strings", call(reference=["a", "b", "c"]), "'reference'")
    yield case(f"{n}-ref-inf", call(reference=[INF, 0.0, 0.0]), "'reference'")
    yield case(f"{n}-all-nan", call([[NAN, 0.0]] * 3), n)
    yield case(f"{n}-nan-raise", call([[NAN, 0.0], [0.0, 1.0], [1.0, 1.0]], nan_policy="raise"), n)
    yield case(f"{n}-nan-policy", call(nan_policy="x"), "'nan_policy'")
    yield case(f"{n}-method", call(method="x"), "'method'")
    yield case(f"{n}-alternative", call(alternative="x"), "'alternative'")
    yield case(f"{n}-confidence", call(confidence=1.0), "'confidence'")
    yield case(f"{n}-resamples", call(resamples=0), "'resamples'")
    yield case(f"{n}-seed", call(seed="x"), "'seed'")
    yield case(f"{n}-clusters", call(clusters=[1]), "'clusters'")


def _adjust_cases() -> Iterator[Any]:
    n = "adjust_pvalues"
    yield case(f"{n}-strings", lambda: adjust_pvalues(["a", "b"]), "'pvalues'", n)
    yield case(f"{n}-ragged", lambda: adjust_pvalues([[0.1], [0.2, 0.3]]), "'pvalues'", n)
    yield case(f"{n}-none", lambda: adjust_pvalues(None), "'pvalues'", n)
    yield case(f"{n}-nan", lambda: adjust_pvalues([0.1, NAN]), n)
    yield case(f"{n}-negative", lambda: adjust_pvalues([0.1, -0.2]), n)
    yield case(f"{n}-above-1", lambda: adjust_pvalues([0.1, 1.2]), n)
    yield case(f"{n}-inf", lambda: adjust_pvalues([0.1, INF]), n)
    yield case(f"{n}-method", lambda: adjust_pvalues([0.1], method="bonferroni"), "'method'")
    yield case(f"{n}-alpha", lambda: adjust_pvalues([0.1], alpha=1.5), "'alpha'")
    yield case(f"{n}-alpha-str", lambda: adjust_pvalues([0.1], alpha="0.05"), "'alpha'")
    yield case(f"{n}-alpha-nan", lambda: adjust_pvalues([0.1], alpha=NAN), "'alpha'")
    yield case(f"{n}-empty", lambda: adjust_pvalues([]), n, ok=True)


def _power_cases() -> Iterator[Any]:
    for n, f, first in (
        ("items_needed", items_needed, 0.1),
        ("minimum_detectable_difference", minimum_detectable_difference, 100),
    ):

        def call(f: Any = f, first: Any = first, **kw: Any) -> Callable[[], Any]:
            x = kw.pop("first", first)
            return lambda: f(x, **kw)

        yield case(f"{n}-no-scale", call(), n)
        yield case(f"{n}-two-scales", call(sd=1.0, discordance=0.3), n)
        yield case(f"{n}-sd-0", call(sd=0.0), "'sd'")
        yield case(f"{n}-sd-neg", call(sd=-1.0), "'sd'")
        yield case(f"{n}-sd-nan", call(sd=NAN), "'sd'")
        yield case(f"{n}-sd-inf", call(sd=INF), "'sd'")
        yield case(f"{n}-sd-str", call(sd="1"), "'sd'")
        yield case(f"{n}-discordance-0", call(discordance=0.0), "'discordance'")
        yield case(f"{n}-discordance-2", call(discordance=2.0), "'discordance'")
        yield case(f"{n}-discordance-str", call(discordance="0.3"), "'discordance'")
        yield case(f"{n}-alpha", call(sd=1.0, alpha=0.0), "'alpha'")
        yield case(f"{n}-alpha-str", call(sd=1.0, alpha="0.05"), "'alpha'")
        yield case(f"{n}-power", call(sd=1.0, power=1.0), "'power'")
        yield case(f"{n}-power-below-alpha", call(sd=1.0, power=0.01), "'power'")
        yield case(f"{n}-power-str", call(sd=1.0, power="0.8"), "'power'")
        yield case(f"{n}-only-a", call(a=A), n)
        yield case(f"{n}-ab-lengths", call(a=A, b=B[:3]), n)
        yield case(f"{n}-ab-strings", call(a=["x"] * 3, b=["y"] * 3), "'a'")
        yield case(f"{n}-ab-one-item", call(a=[1.0], b=[0.0]), n)
        yield case(f"{n}-ab-inf", call(a=[1.0, INF, 0.0], b=[0.0, 1.0, 1.0]), "'a'")
        yield case(f"{n}-ab-never-differ", call(a=A, b=A), n)
        yield case(f"{n}-ab-constant-difference", call(a=[0.5, 0.7], b=[0.4, 0.6]), n)
    yield case("items_needed-difference-0", lambda: items_needed(0.0, sd=1.0), "'difference'")
    yield case("items_needed-difference-nan", lambda: items_needed(NAN, sd=1.0), "'difference'")
    yield case("items_needed-difference-inf", lambda: items_needed(INF, sd=1.0), "'difference'")
    yield case("items_needed-difference-str", lambda: items_needed("0.1", sd=1.0), "'difference'")
    yield case(
        "items_needed-difference-too-big",
        lambda: items_needed(0.5, discordance=0.2),
        "items_needed",
    )
    yield case("items_needed-difference-tiny", lambda: items_needed(1e-300, sd=1.0), "items_needed")
    mdd = "minimum_detectable_difference"
    yield case(f"{mdd}-n-1", lambda: minimum_detectable_difference(1, sd=1.0), "'n_items'")
    yield case(f"{mdd}-n-float", lambda: minimum_detectable_difference(10.5, sd=1.0), "'n_items'")
    yield case(f"{mdd}-n-str", lambda: minimum_detectable_difference("10", sd=1.0), "'n_items'")
    yield case(f"{mdd}-n-bool", lambda: minimum_detectable_difference(True, sd=1.0), "'n_items'")
    yield case(
        f"{mdd}-unreachable",
        lambda: minimum_detectable_difference(3, discordance=0.01),
        mdd,
        ok=True,
    )


def _rank_cases() -> Iterator[Any]:
    n = "rank_intervals"
    s = [[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
    models = ["m1", "m2", "m3"]

    def call(scores: Any = s, names: Any = models, **kw: Any) -> Callable[[], Any]:
        return lambda: rank_intervals(scores, names, **{"resamples": R, **kw})

    yield case(f"{n}-strings", call([["a", "b", "c"]] * 4), "'scores'")
    yield case(f"{n}-ragged", call([[1.0, 0.0, 0.5], [1.0]]), "'scores'")
    yield case(f"{n}-1d", call([1.0, 0.0, 1.0]), "'scores'")
    yield case(f"{n}-none", call(None), "'scores'")
    yield case(f"{n}-inf", call([[INF, 0.0, 0.5], *s[1:]]), "'scores'")
    yield case(f"{n}-columns", call(names=["m1", "m2"]), "'scores'")
    yield case(f"{n}-one-model", call([[1.0], [0.0]], ["m1"]), n)
    yield case(f"{n}-duplicate-models", call(names=["m1", "m1", "m3"]), n)
    yield case(f"{n}-models-none", call(names=None), "'models'")
    yield case(f"{n}-models-str", call([[1.0, 0.0, 0.0]] * 3, "abc"), "'models'")
    yield case(f"{n}-models-int", call(names=3), "'models'")
    yield case(f"{n}-all-nan", call([[NAN, 0.0, 0.5]] * 4), n)
    yield case(f"{n}-empty", call(np.zeros((0, 3))), n)
    yield case(f"{n}-nan-raise", call([[NAN, 0.0, 0.5], *s[1:]], nan_policy="raise"), n)
    yield case(f"{n}-nan-policy", call(nan_policy="x"), "'nan_policy'")
    yield case(f"{n}-adjust", call(adjust="bonferroni"), "'adjust'")
    yield case(f"{n}-confidence", call(confidence=-0.1), "'confidence'")
    yield case(f"{n}-resamples", call(resamples=0), "'resamples'")
    yield case(f"{n}-seed", call(seed="x"), "'seed'")
    yield case(f"{n}-clusters", call(clusters=[1, 2]), "'clusters'")
    yield case(f"{n}-one-item", call([[1.0, 0.0, 0.5]]), n, ok=True)
    yield case(f"{n}-ties", call([[1.0, 1.0, 1.0]] * 4), n, ok=True)


def _variance_cases() -> Iterator[Any]:
    n = "variance_components"
    v = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    items = ["i1", "i1", "i2", "i2", "i3", "i3"]
    reps = [0, 1, 0, 1, 0, 1]

    def call(values: Any = v, it: Any = items, rp: Any = reps, **kw: Any) -> Callable[[], Any]:
        return lambda: variance_components(values, it, rp, **kw)

    yield case(f"{n}-empty", call([], [], []), n)
    yield case(f"{n}-strings", call(["a"] * 6), "'values'")
    yield case(f"{n}-inf", call([INF, *v[1:]]), "'values'")
    yield case(f"{n}-lengths", call(it=items[:4]), n)
    yield case(f"{n}-items-none", call(it=None), "'items'")
    yield case(f"{n}-items-scalar", call(it="i1"), "'items'")
    yield case(f"{n}-items-2d", call(it=[["i1", "i2"]] * 6), "'items'")
    yield case(f"{n}-replicates-none", call(rp=None), "'replicates'")
    yield case(f"{n}-replicates-2d", call(rp=[[0, 1]] * 6), "'replicates'")
    yield case(f"{n}-one-item", call(it=["i1"] * 6), n)
    yield case(f"{n}-one-replicate-each", call(v[:3], items[::2], reps[::2]), n)
    yield case(f"{n}-all-nan", call([NAN] * 6), n)
    yield case(f"{n}-design", call(design="split-plot"), "'design'")
    yield case(
        f"{n}-crossed-unbalanced", call(it=items, rp=[0, 0, 0, 1, 0, 1], design="crossed"), n
    )
    yield case(
        f"{n}-crossed-one-variant",
        call(rp=[0] * 6, it=["i1", "i2", "i3", "i4", "i5", "i6"], design="crossed"),
        n,
    )
    yield case(f"{n}-constant", call([1.0] * 6), n, ok=True)


# ----------------------------------------------------------------------- store statistics


def _fill(store: Store) -> None:
    rng = np.random.default_rng(0)
    rows = [
        Score("r1", m, t, str(i), "acc", float(rng.random() < 0.6), sample_index=s)
        for m in ("m1", "m2", "m3")
        for t in ("t1", "t2")
        for i in range(8)
        for s in range(2)
    ]
    store.write({"runs": [Run("r1", "test")], "scores": rows})


def _store_cases() -> Iterator[Any]:
    c = "compare"
    yield case(f"{c}-same-model", lambda st: compare(st, "m1", "m1", resamples=R), c)
    yield case(f"{c}-unknown-model", lambda st: compare(st, "m1", "nope", resamples=R), "'nope'")
    yield case(f"{c}-model-none", lambda st: compare(st, "m1", None, resamples=R), "model_b", c)
    yield case(f"{c}-model-list", lambda st: compare(st, ["m1"], "m2", resamples=R), "model_a", c)
    yield case(
        f"{c}-unknown-task", lambda st: compare(st, "m1", "m2", task="t9", resamples=R), "'t9'"
    )
    yield case(f"{c}-tasks-empty", lambda st: compare(st, "m1", "m2", task=[], resamples=R), c)
    yield case(f"{c}-task-int", lambda st: compare(st, "m1", "m2", task=5, resamples=R), "'task'")
    yield case(
        f"{c}-unknown-metric",
        lambda st: compare(st, "m1", "m2", metric="bleu", resamples=R),
        "'bleu'",
    )
    yield case(f"{c}-method", lambda st: compare(st, "m1", "m2", method="t"), "'method'")
    yield case(f"{c}-interval", lambda st: compare(st, "m1", "m2", interval="x"), "'interval'")
    yield case(
        f"{c}-alternative", lambda st: compare(st, "m1", "m2", alternative="x"), "'alternative'"
    )
    yield case(f"{c}-adjust", lambda st: compare(st, "m1", "m2", adjust="x"), "'adjust'")
    yield case(f"{c}-runs", lambda st: compare(st, "m1", "m2", runs="x"), "'runs'")
    yield case(f"{c}-confidence", lambda st: compare(st, "m1", "m2", confidence=2), "'confidence'")
    yield case(f"{c}-resamples", lambda st: compare(st, "m1", "m2", resamples=0), "'resamples'")
    yield case(f"{c}-seed", lambda st: compare(st, "m1", "m2", resamples=R, seed="x"), "'seed'")
    yield case(
        f"{c}-cluster-key",
        lambda st: compare(st, "m1", "m2", cluster="a b", resamples=R),
        "'cluster'",
    )
    yield case(
        f"{c}-cluster-mcnemar", lambda st: compare(st, "m1", "m2", cluster="p", method="mcnemar"), c
    )
    yield case(f"{c}-store-path", lambda st: compare("assay.duckdb", "m1", "m2"), "'store'")
    yield case(
        f"{c}-row-unknown", lambda st: compare(st, "m1", "m2", resamples=R).row("t9"), "'t9'"
    )
    r = "rank_models"
    yield case(
        f"{r}-unknown-model",
        lambda st: rank_models(st, models=["m1", "nope"], resamples=R),
        "'nope'",
    )
    yield case(
        f"{r}-one-model",
        lambda st: rank_models(st, models=["m1"], resamples=R),
        r,
        "rank_intervals",
    )
    yield case(f"{r}-models-str", lambda st: rank_models(st, models="m1", resamples=R), "'models'")
    yield case(f"{r}-unknown-task", lambda st: rank_models(st, task="t9", resamples=R), r)
    yield case(
        f"{r}-unknown-metric", lambda st: rank_models(st, metric="bleu", resamples=R), "'bleu'"
    )
    yield case(f"{r}-adjust", lambda st: rank_models(st, adjust="x"), "'adjust'")
    yield case(f"{r}-runs", lambda st: rank_models(st, runs="x"), "'runs'")
    yield case(f"{r}-confidence", lambda st: rank_models(st, confidence=0), "'confidence'")
    yield case(f"{r}-resamples", lambda st: rank_models(st, resamples=-1), "'resamples'")
    yield case(f"{r}-seed", lambda st: rank_models(st, resamples=R, seed="x"), "'seed'")
    yield case(
        f"{r}-cluster-key", lambda st: rank_models(st, cluster="$.x", resamples=R), "'cluster'"
    )
    yield case(f"{r}-store-none", lambda st: rank_models(None), "'store'")
    yield case(f"{r}-row-unknown", lambda st: rank_models(st, resamples=R).row("nope"), "'nope'")
    s = "seed_variance"
    yield case(f"{s}-unknown-model", lambda st: seed_variance(st, "nope", "t1"), "'nope'")
    yield case(f"{s}-unknown-task", lambda st: seed_variance(st, "m1", "t9"), "'t9'")
    yield case(f"{s}-factor", lambda st: seed_variance(st, "m1", "t1", factor="seed"), "'factor'")
    yield case(f"{s}-runs", lambda st: seed_variance(st, "m1", "t1", runs="x"), "'runs'")
    yield case(
        f"{s}-unknown-metric", lambda st: seed_variance(st, "m1", "t1", metric="bleu"), "'bleu'"
    )
    yield case(
        f"{s}-crossed-without-variants",
        lambda st: seed_variance(st, "m1", "t1", factor="prompt_variant"),
        s,
        "variance_components",
    )
    yield case(f"{s}-store-str", lambda st: seed_variance("x.duckdb", "m1", "t1"), "'store'")
    t = "scores_table"
    yield case(f"{t}-runs", lambda st: scores_table(st, runs="x"), "'runs'")
    yield case(f"{t}-confidence", lambda st: scores_table(st, confidence=1), "'confidence'")
    yield case(
        f"{t}-confidence-str", lambda st: scores_table(st, confidence="high"), "'confidence'"
    )
    yield case(f"{t}-resamples", lambda st: scores_table(st, resamples=0), "'resamples'")
    yield case(f"{t}-seed", lambda st: scores_table(st, seed="x"), "'seed'")
    yield case(f"{t}-unknown-metric", lambda st: scores_table(st, metric="bleu"), "'bleu'")
    yield case(f"{t}-metric-int", lambda st: scores_table(st, metric=3), "'metric'")
    yield case(f"{t}-tasks-str", lambda st: scores_table(st, tasks="t1"), "'tasks'")
    yield case(f"{t}-models-str", lambda st: scores_table(st, models="m1"), "'models'")
    yield case(f"{t}-store-df", lambda st: scores_table(pd.DataFrame()), "'store'")
    yield case(f"{t}-no-match", lambda st: scores_table(st, models=["nope"]), t, ok=True)
    yield case(
        f"{t}-cell-unknown", lambda st: scores_table(st, resamples=R).cell("nope", "t1"), "'nope'"
    )


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store(tmp_path_factory.mktemp("bad") / "assay.duckdb") as st:
        _fill(st)
        yield st


@pytest.mark.parametrize(
    "c",
    [
        *_paired_cases(),
        *_one_sample_cases(),
        *_many_cases(),
        *_adjust_cases(),
        *_power_cases(),
        *_rank_cases(),
        *_variance_cases(),
    ],
)
def test_array_statistics_refuse_bad_input(c: Case) -> None:
    check(c)


@pytest.mark.parametrize("c", list(_store_cases()))
def test_store_statistics_refuse_bad_input(c: Case, filled: Store) -> None:
    check(Case(c.id, lambda: c.call(filled), c.names, c.ok))


def test_store_statistics_on_an_empty_store(store: Store) -> None:
    check(Case("compare-empty", lambda: compare(store, "m1", "m2"), ("'m1'", "compare"), False))
    check(Case("rank_models-empty", lambda: rank_models(store), ("rank_models",), False))
    check(Case("seed_variance-empty", lambda: seed_variance(store, "m1", "t1"), ("'m1'",), False))
    check(Case("scores_table-empty", lambda: scores_table(store), ("scores_table",), True))


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
