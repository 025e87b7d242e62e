"""Rank intervals, separability and variance components against truth and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.formula.api import ols
from statsmodels.stats.anova import anova_lm

from assay.analysis.stats import RankTable, rank_intervals, variance_components
from assay.errors import InputError

TRUE_RATES = np.array([0.80, 0.76, 0.74, 0.70, 0.60, 0.59])
NAMES = [f"m{i}" for i in range(len(TRUE_RATES))]


def _benchmark(rng: np.random.Generator, n: int = 400) -> np.ndarray:
    # items differ in difficulty, shared by every model (paired structure)
    difficulty = rng.normal(0, 1.0, n)
    logits = np.log(TRUE_RATES / (1 - TRUE_RATES))[None, :] - difficulty[:, None] * 0.0
    return (rng.random((n, len(TRUE_RATES))) < 1 / (1 + np.exp(-logits))).astype(float)


def test_rank_intervals_cover_the_true_rank_at_about_the_nominal_rate() -> None:
    rng = np.random.default_rng(0)
    true_rank = np.arange(1, len(TRUE_RATES) + 1)
    hits = np.zeros(len(TRUE_RATES))
    sims = 200
    for _ in range(sims):
        table = rank_intervals(_benchmark(rng), NAMES, confidence=0.9, resamples=400, seed=rng)
        for j, name in enumerate(NAMES):
            r = table.row(name)
            hits[j] += r.rank_low <= true_rank[j] <= r.rank_high
    coverage = hits / sims
    # marginal bootstrap rank intervals are conservative for well-separated models and
    # near nominal for close ones; none may fall clearly below 90%
    assert coverage.min() >= 0.85, coverage
    assert coverage.mean() >= 0.88, coverage


def test_separability_of_adjacent_models() -> None:
    rng = np.random.default_rng(1)
    table = rank_intervals(_benchmark(rng, 3000), NAMES, resamples=2000, seed=2)
    assert [r.model for r in table.rows] == NAMES
    # 0.80 vs 0.76 over 3000 items is distinct; 0.60 vs 0.59 is not
    assert table.row("m0").distinct_from_next is True
    assert table.row("m4").distinct_from_next is False
    assert table.row("m5").distinct_from_next is None
    assert table.row("m5").gap is None
    assert ["m4", "m5"] in table.tiers
    adjusted = [r.gap_pvalue_adjusted for r in table.rows[:-1]]
    raw = [r.gap_pvalue for r in table.rows[:-1]]
    assert all(a >= p for a, p in zip(adjusted, raw, strict=True))


def test_gap_interval_agrees_with_scipy_paired_bootstrap() -> None:
    rng = np.random.default_rng(3)
    x = _benchmark(rng, 500)
    table = rank_intervals(x, NAMES, resamples=20_000, seed=4)
    top = table.rows[0]
    j, k = NAMES.index(top.model), NAMES.index(str(top.next_model))
    ref = stats.bootstrap(
        (x[:, j], x[:, k]),
        lambda a, b, axis: np.mean(a - b, axis=axis),
        paired=True,
        n_resamples=20_000,
        method="percentile",
        rng=np.random.default_rng(5),
    ).confidence_interval
    width = ref.high - ref.low
    assert top.gap_low == pytest.approx(ref.low, abs=0.03 * width)
    assert top.gap_high == pytest.approx(ref.high, abs=0.03 * width)


def test_lower_is_better_reverses_the_order() -> None:
    rng = np.random.default_rng(6)
    x = _benchmark(rng, 800)
    up = rank_intervals(x, NAMES, resamples=300, seed=0)
    down = rank_intervals(x, NAMES, resamples=300, seed=0, higher_is_better=False)
    assert [r.model for r in down.rows] == [r.model for r in up.rows][::-1]
    assert all(r.gap is None or r.gap >= 0 for r in down.rows)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_ranking_does_not_depend_on_row_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.random((30, 4))
    perm = rng.permutation(30)
    a = rank_intervals(x, list("abcd"), resamples=200, seed=1)
    b = rank_intervals(x[perm], list("abcd"), resamples=200, seed=1)
    assert [r.model for r in a.rows] == [r.model for r in b.rows]
    assert [r.rank for r in a.rows] == [r.rank for r in b.rows]
    for r in a.rows:
        assert r.low - 1e-12 <= r.mean <= r.high + 1e-12
        assert r.rank_low <= r.rank <= r.rank_high or r.rank_low <= r.rank_high


def test_rank_table_outputs() -> None:
    rng = np.random.default_rng(7)
    table = rank_intervals(_benchmark(rng, 200), NAMES, resamples=300, seed=0)
    assert isinstance(table, RankTable)
    assert len(table) == 6
    arrow = table.to_arrow()
    assert arrow.column_names[:3] == ["model", "mean", "low"]
    assert arrow.num_rows == 6
    assert arrow.column("distinct_from_next").to_pylist()[-1] is None
    d = table.to_dict()
    assert d["signature"]["resamples"] == 300
    assert d["signature"]["seed"] == 0
    assert "<table>" in table._repr_html_()
    assert "m0" in table._repr_html_()
    assert table.__rich__() is not None
    assert table.to_json().startswith("{")


def test_rank_input_errors() -> None:
    with pytest.raises(InputError, match="one column per model"):
        rank_intervals(np.zeros((5, 3)), ["a", "b"])
    with pytest.raises(InputError, match="at least two models"):
        rank_intervals(np.zeros((5, 1)), ["a"])
    with pytest.raises(InputError, match="unique"):
        rank_intervals(np.zeros((5, 2)), ["a", "a"])
    x = np.array([[1.0, np.nan], [0.0, 1.0], [1.0, 1.0]])
    assert rank_intervals(x, ["a", "b"], resamples=50).n_missing == 1
    with pytest.raises(InputError, match="no item has a score for every model"):
        rank_intervals(np.full((3, 2), np.nan), ["a", "b"])


# -- variance components ---------------------------------------------------------------


def test_nested_components_match_statsmodels_anova_and_recover_the_truth() -> None:
    rng = np.random.default_rng(8)
    items, seeds = 400, 5
    item_effect = rng.normal(0, 0.3, items)
    y = 0.5 + np.repeat(item_effect, seeds) + rng.normal(0, 0.1, items * seeds)
    item = np.repeat(np.arange(items), seeds)
    seed = np.tile(np.arange(seeds), items)
    res = variance_components(y, item, seed, design="nested")
    frame = pd.DataFrame({"y": y, "item": item})
    table = anova_lm(ols("y ~ C(item)", data=frame).fit())
    assert res.mean_squares["between_items"] == pytest.approx(table["mean_sq"].iloc[0], rel=1e-9)
    assert res.mean_squares["within_items"] == pytest.approx(table["mean_sq"].iloc[1], rel=1e-9)
    assert res.components["item"] == pytest.approx(0.09, rel=0.15)
    assert res.components["within"] == pytest.approx(0.01, rel=0.1)  # 1600 df: sd 3.5%
    assert res.n_items == items
    assert res.n_replicates == seeds
    assert sum(res.shares.values()) == pytest.approx(1.0)


def test_crossed_components_match_statsmodels_two_way_anova() -> None:
    rng = np.random.default_rng(9)
    items, variants = 300, 4
    y = (
        rng.normal(0, 0.3, items)[:, None]
        + rng.normal(0, 0.2, variants)[None, :]
        + rng.normal(0, 0.1, (items, variants))
    ).ravel()
    item = np.repeat(np.arange(items), variants)
    variant = np.tile([f"v{j}" for j in range(variants)], items)
    res = variance_components(y, item, variant, design="crossed")
    frame = pd.DataFrame({"y": y, "item": item, "variant": variant})
    table = anova_lm(ols("y ~ C(item) + C(variant)", data=frame).fit())
    assert res.mean_squares["items"] == pytest.approx(table["mean_sq"].iloc[0], rel=1e-9)
    assert res.mean_squares["variants"] == pytest.approx(table["mean_sq"].iloc[1], rel=1e-9)
    assert res.mean_squares["residual"] == pytest.approx(table["mean_sq"].iloc[2], rel=1e-9)
    assert res.components["residual"] == pytest.approx(0.01, rel=0.1)


def test_variance_input_errors() -> None:
    with pytest.raises(InputError, match="one replicate"):
        variance_components([1.0, 2.0], ["a", "b"], [0, 0])
    with pytest.raises(InputError, match="exactly once"):
        variance_components([1.0, 2.0, 3.0], ["a", "a", "b"], ["x", "y", "x"], design="crossed")
    with pytest.raises(InputError, match="one entry per row"):
        variance_components([1.0, 2.0], ["a"], [0, 1])
    with pytest.raises(InputError, match="'design' parameter"):
        variance_components([1.0, 2.0], ["a", "b"], [0, 1], design="mixed")  # type: ignore[arg-type]
