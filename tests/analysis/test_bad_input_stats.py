"""Every public entry point of analysis.stats refuses bad input clearly.

Each case calls one function with one kind of bad input and expects either an
:class:`~assay.errors.InputError` whose message names the function or the parameter, or
(for legal but degenerate data) a result, with at most a :class:`DegenerateDataWarning`
or :class:`ConvergenceWarning`. Any other exception escaping fails the case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

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
from assay.schema import Run, Score
from assay.store import Store
from bad_input import Case, case, check

NAN = float("nan")
INF = float("inf")
A = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
B = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
R = 50  # resamples: keep every case fast


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
