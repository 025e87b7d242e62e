"""Aggregation across benchmarks: hand-computed values, HELM's definition, what-if."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from assay.analysis.ranking import aggregate_scores, what_if
from assay.errors import DegenerateDataWarning, InputError

NAN = float("nan")


def _hand() -> pd.DataFrame:
    return pd.DataFrame({"x": [0.9, 0.7, 0.7], "y": [0.4, 0.7, NAN]}, index=["A", "B", "C"])


def _values(result) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {e.model: e.value for e in result.entries}


def test_hand_computed_example() -> None:
    with pytest.warns(DegenerateDataWarning, match="lack scores"):
        mean = aggregate_scores(_hand(), method="mean", resamples=0)
    assert _values(mean) == pytest.approx({"A": 0.65, "B": 0.7, "C": 0.7})
    assert [(e.model, e.rank) for e in mean.entries] == [("B", 1), ("C", 1), ("A", 3)]
    # x: A beats both (1), B and C tie (0.5 / 2); y: B beats A
    with pytest.warns(DegenerateDataWarning):
        wr = aggregate_scores(_hand(), method="mean_win_rate", resamples=0)
    assert _values(wr) == pytest.approx({"A": 0.5, "B": 0.625, "C": 0.25})
    assert wr.entry("C").n_benchmarks == 1
    with pytest.warns(DegenerateDataWarning):
        borda = aggregate_scores(_hand(), method="borda", resamples=0)
    assert _values(borda) == pytest.approx({"A": 2.0, "B": 1.5, "C": 0.5})


def _helm_win_rates(table: pd.DataFrame, lower: set[str]) -> list[float | None]:
    """HELM's mean win rate written from its definition (value counts, ties half)."""
    per_row: list[list[float]] = [[] for _ in range(len(table))]
    for col in table.columns:
        values = [v for v in table[col] if not math.isnan(v)]
        if len(values) < 2:
            continue
        count: dict[float, int] = defaultdict(int)
        for v in values:
            count[v] += 1
        wins: dict[float, float] = {}
        below = 0
        for v, c in sorted(count.items(), reverse=col in lower):
            wins[v] = below + (c - 1) / 2
            below += c
        for i, v in enumerate(table[col]):
            if not math.isnan(v):
                per_row[i].append(wins[v] / (len(values) - 1))
    return [float(np.mean(r)) if r else None for r in per_row]


def test_mean_win_rate_matches_helm_definition() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 5, size=(9, 6)).astype(float) / 4  # many ties
    values[rng.random(values.shape) < 0.15] = NAN
    values[0, :] = 0.5  # no model without scores
    table = pd.DataFrame(values, index=[f"m{i}" for i in range(9)], columns=list("abcdef"))
    with pytest.warns(DegenerateDataWarning):
        got = aggregate_scores(table, lower_is_better=["c"], resamples=0)
    expected = _helm_win_rates(table, {"c"})
    for i, model in enumerate(table.index):
        assert got.entry(model).value == pytest.approx(expected[i])


def test_lower_is_better_flips_the_order() -> None:
    table = pd.DataFrame({"err": [0.1, 0.3, 0.2]}, index=["a", "b", "c"])
    r = aggregate_scores(table, lower_is_better=["err"], resamples=0)
    assert [e.model for e in r.entries] == ["a", "c", "b"]


def test_benchmark_bootstrap_intervals_contain_estimates() -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.random((6, 12)) + np.arange(6)[:, None] * 0.1)
    table.index = [f"m{i}" for i in range(6)]
    r1 = aggregate_scores(table, method="mean", resamples=500, seed=1)
    r2 = aggregate_scores(table, method="mean", resamples=500, seed=1)
    assert r1.to_dict() == r2.to_dict()
    for e in r1.entries:
        assert e.ci_low is not None
        assert e.ci_high is not None
        assert e.ci_low <= e.value <= e.ci_high
        assert e.rank_low is not None
        assert e.rank_high is not None
        assert e.rank_low <= e.rank <= e.rank_high
    assert r1.entries[0].model == "m5"
    assert r1.signature["resamples"] == 500
    assert "<table>" in r1._repr_html_()


def test_scores_table_input(store) -> None:  # type: ignore[no-untyped-def]
    from assay.analysis.stats import ScoreCell, ScoresTable

    cells = tuple(
        ScoreCell(m, t, "acc", v, v, v, 10, 0, ("r",))
        for m, t, v in [("a", "t1", 0.5), ("b", "t1", 0.6), ("a", "t2", 0.9), ("b", "t2", 0.1)]
    )
    r = aggregate_scores(ScoresTable(cells), method="mean", resamples=0)
    assert _values(r) == pytest.approx({"a": 0.7, "b": 0.35})


def test_what_if_hand_example() -> None:
    table = pd.DataFrame(
        {"x": [0.9, 0.8, 0.1], "y": [0.9, 0.3, 0.8], "z": [0.1, 0.9, 0.8]}, index=["A", "B", "C"]
    )
    base = aggregate_scores(table, method="mean", resamples=0)
    # means: B 0.667, A 0.633, C 0.567
    assert [(e.model, e.rank) for e in base.entries] == [("B", 1), ("A", 2), ("C", 3)]
    w = what_if(table, method="mean")
    drop_x = next(r for r in w.rows if r.scenario == "drop" and r.benchmark == "x")
    # without x: A 0.5, B 0.6, C 0.8 -> C jumps from 3 to 1
    assert drop_x.model == "C"
    assert (drop_x.rank_before, drop_x.rank_after, drop_x.shift) == (3, 1, -2)
    zero = next(r for r in w.rows if r.scenario == "zero" and r.model == "A" and r.benchmark == "y")
    # A's mean becomes 0.333: last
    assert (zero.rank_before, zero.rank_after, zero.shift) == (2, 3, 1)
    assert next(iter(w.ranks.index)) == "baseline"
    assert len(w.rows) == 3 + 9


def test_bad_input() -> None:
    with pytest.raises(InputError, match="'method' parameter of aggregate_scores"):
        aggregate_scores(_hand(), method="median")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="at least two models"):
        aggregate_scores(pd.DataFrame({"x": [1.0]}, index=["a"]))
    with pytest.raises(InputError, match="unknown benchmarks"):
        aggregate_scores(_hand(), lower_is_better=["nope"])
    with pytest.raises(InputError, match="no score on any benchmark"):
        aggregate_scores(pd.DataFrame({"x": [1.0, NAN]}, index=["a", "b"]))
    with pytest.raises(InputError, match="must be a models x benchmarks"):
        aggregate_scores([1, 2, 3])
    with pytest.raises(InputError, match="'kinds' parameter of what_if"):
        what_if(_hand(), kinds=["swap"])  # type: ignore[list-item]
