"""The scores table: intervals agree with scipy's bootstrap and behave as intervals must."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from assay.analysis.stats import scores_table
from assay.analysis.stats._bootstrap import CellLevels, bootstrap_means
from assay.errors import InputError
from assay.schema import Run, Score
from assay.store import Store


def _levels(x: np.ndarray) -> CellLevels:
    v, c = np.unique(x, return_counts=True)
    return CellLevels(v.astype(float), c.astype(np.int64))


@pytest.mark.parametrize(
    "sample",
    [
        np.random.default_rng(1).binomial(1, 0.3, 300).astype(float),  # binary
        np.random.default_rng(2).choice([0.0, 0.25, 0.5, 1.0], 250),  # partial credit
        np.random.default_rng(3).beta(2, 5, 400),  # continuous: resampled by index
    ],
    ids=["binary", "levels", "continuous"],
)
def test_interval_matches_scipy_bootstrap(sample: np.ndarray) -> None:
    low, high = bootstrap_means(
        [_levels(sample)], resamples=20_000, confidence=0.95, rng=np.random.default_rng(0)
    )
    ref = stats.bootstrap(
        (sample,), np.mean, n_resamples=20_000, method="percentile", rng=np.random.default_rng(9)
    ).confidence_interval
    # two independent Monte Carlo runs: endpoints agree to a few thousandths
    assert low[0] == pytest.approx(ref.low, abs=0.006)
    assert high[0] == pytest.approx(ref.high, abs=0.006)


def test_coverage_of_a_known_mean() -> None:
    """95% intervals cover the true rate in about 95% of simulated benchmarks."""
    rng = np.random.default_rng(5)
    cells = [_levels(rng.binomial(1, 0.4, 200).astype(float)) for _ in range(600)]
    low, high = bootstrap_means(cells, resamples=2000, confidence=0.95, rng=rng)
    coverage = np.mean((low <= 0.4) & (high >= 0.4))
    assert 0.92 <= coverage <= 0.975


def _write(store: Store, rows: list[Score], runs: list[Run] | None = None) -> None:
    store.write(
        {"runs": runs or [Run(r, "test") for r in sorted({s.run_id for s in rows})], "scores": rows}
    )


def test_table_means_and_properties(store: Store) -> None:
    rng = np.random.default_rng(0)
    rows = [
        Score("r", m, t, str(i), "acc", float(rng.random() < p))
        for m, p in (("weak", 0.3), ("strong", 0.8))
        for t in ("t1", "t2")
        for i in range(150)
    ]
    _write(store, rows)
    table = scores_table(store, seed=1)
    assert len(table) == 4
    for cell in table.cells:
        values = [s.value for s in rows if s.model_id == cell.model_id and s.task == cell.task]
        assert cell.mean == pytest.approx(np.mean(values))
        assert cell.ci_low <= cell.mean <= cell.ci_high
        assert cell.n_items == 150
    again = scores_table(store, seed=1)
    assert again.to_dict() == table.to_dict()
    assert table.signature["resamples"] == 1000
    assert table.signature["seed"] == 1


def test_samples_are_averaged_per_item(store: Store) -> None:
    """Five identical samples per item must not shrink the interval (items are the unit)."""
    rng = np.random.default_rng(0)
    base = rng.binomial(1, 0.5, 100).astype(float)
    rows = [Score("r", "m", "one", str(i), "acc", v) for i, v in enumerate(base)]
    rows += [
        Score("r", "m", "five", str(i), "acc", v, sample_index=k)
        for i, v in enumerate(base)
        for k in range(5)
    ]
    _write(store, rows)
    table = scores_table(store, seed=3)
    one, five = table.cell("m", "one"), table.cell("m", "five")
    assert five.n_items == 100
    assert (five.ci_high - five.ci_low) == pytest.approx(one.ci_high - one.ci_low, abs=0.03)


def test_an_ungradable_sample_leaves_the_item_to_its_other_samples(store: Store) -> None:
    # item 0: samples 1 and NaN (one sample could not be graded); item 1: only NaN;
    # items 2-9: 0. The table and the item reader of compare/rank_models agree on it.
    from assay.analysis.stats._items import read_item_scores

    rows = [
        Score("r", "m", "t", "0", "acc", 1.0),
        Score("r", "m", "t", "0", "acc", math.nan, sample_index=1),
    ]
    rows += [Score("r", "m", "t", "1", "acc", math.nan)]
    rows += [Score("r", "m", "t", str(i), "acc", 0.0) for i in range(2, 10)]
    _write(store, rows)
    cell = scores_table(store).cell("m", "t")
    assert cell.n_items == 9
    assert cell.n_missing == 1
    assert cell.mean == pytest.approx(1 / 9)
    items = read_item_scores(
        store, models=None, tasks=None, metric=None, runs="latest", cluster=None, func="t"
    )
    assert items["value"].notna().sum() == cell.n_items
    assert items["value"].mean() == pytest.approx(cell.mean)


def test_latest_run_wins_and_missing_items_are_counted(store: Store) -> None:
    old = [Score("old", "m", "t", str(i), "acc", 0.0) for i in range(10)]
    new = [Score("new", "m", "t", str(i), "acc", 1.0 if i < 8 else None) for i in range(10)]
    _write(
        store,
        old + new,
        [
            Run("old", "test", created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
            Run("new", "test", created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)),
        ],
    )
    cell = scores_table(store).cell("m", "t")
    assert cell.runs == ("new",)
    assert cell.mean == 1.0
    assert cell.n_items == 8
    assert cell.n_missing == 2
    pooled = scores_table(store, runs="all").cell("m", "t")
    assert pooled.runs == ("new", "old")
    assert pooled.n_items == 10
    assert pooled.mean == pytest.approx(np.mean([0.5] * 8 + [0.0] * 2))


def test_primary_metric_and_explicit_metric(store: Store) -> None:
    rows = [
        Score("r", "m", "t", str(i), m, float(i % 2))
        for i in range(6)
        for m in ("acc_norm,none", "acc,none", "acc,strict")
    ]
    _write(store, rows)
    assert scores_table(store).cell("m", "t").metric == "acc,none"
    assert scores_table(store, metric="acc_norm,none").cell("m", "t").metric == "acc_norm,none"
    with pytest.raises(InputError, match="stored metrics"):
        scores_table(store, metric="bleu")
    with pytest.raises(InputError, match="'runs' parameter"):
        scores_table(store, runs="newest")  # type: ignore[arg-type]


def test_row_order_does_not_change_the_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(4)
    rows = [
        Score("r", f"m{j}", "t", str(i), "acc", float(rng.random() < 0.5))
        for j in range(3)
        for i in range(50)
    ]
    with Store(tmp_path / "a.duckdb") as a, Store(tmp_path / "b.duckdb") as b:
        _write(a, rows)
        _write(b, rows[::-1])
        assert scores_table(a, seed=7).to_dict() == scores_table(b, seed=7).to_dict()


def test_renders_escaped(store: Store) -> None:
    _write(store, [Score("r", "<script>x</script>", "[red]t", "1", "acc", 1.0)])
    table = scores_table(store)
    assert "<script>" not in table._repr_html_()
    assert "&lt;script&gt;" in table._repr_html_()
