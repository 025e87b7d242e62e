"""Bootstrap intervals and standard errors against scipy, statsmodels and simulated truth."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from assay.analysis.stats import BootstrapInterval, bootstrap_interval, standard_error
from assay.analysis.stats._interval import interval_from_draws
from assay.analysis.stats._resample import resample_means, units_of
from assay.errors import DegenerateDataWarning, InputError

SAMPLES = {
    "binary": np.random.default_rng(1).binomial(1, 0.3, 300).astype(float),
    "skewed": np.random.default_rng(2).exponential(1.0, 150),
    "beta": np.random.default_rng(3).beta(2, 5, 400),
}


@pytest.mark.parametrize("method", ["percentile", "bca"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_interval_agrees_with_scipy_bootstrap(name: str, method: str) -> None:
    x = SAMPLES[name]
    res = bootstrap_interval(x, method=method, resamples=20_000, seed=0)  # type: ignore[arg-type]
    ref = stats.bootstrap(
        (x,), np.mean, n_resamples=20_000, method=method, rng=np.random.default_rng(7)
    ).confidence_interval
    width = ref.high - ref.low
    # two independent Monte Carlo runs of 20,000: endpoints agree to ~2% of the width
    assert res.low == pytest.approx(ref.low, abs=0.03 * width)
    assert res.high == pytest.approx(ref.high, abs=0.03 * width)
    assert res.statistic == pytest.approx(np.mean(x))
    assert res.n == len(x)
    assert res.n_clusters == len(x)
    assert res.n_missing == 0


def test_bca_shifts_the_interval_as_scipy_does_for_skewed_data() -> None:
    x = SAMPLES["skewed"]
    pct = bootstrap_interval(x, method="percentile", resamples=20_000, seed=1)
    bca = bootstrap_interval(x, method="bca", resamples=20_000, seed=1)
    ref_p = stats.bootstrap((x,), np.mean, n_resamples=20_000, method="percentile", rng=3)
    ref_b = stats.bootstrap((x,), np.mean, n_resamples=20_000, method="BCa", rng=3)
    # right-skewed data: BCa moves both ends up relative to the percentile interval
    assert np.sign(bca.high - pct.high) == np.sign(
        ref_b.confidence_interval.high - ref_p.confidence_interval.high
    )
    assert bca.high > pct.high


def test_standard_error_without_clusters_is_scipy_sem() -> None:
    x = SAMPLES["beta"]
    assert standard_error(x) == pytest.approx(stats.sem(x), rel=1e-12)


def test_clustered_standard_error_matches_statsmodels_cluster_robust_ols() -> None:
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(40), rng.integers(1, 9, 40))
    effect = rng.normal(0, 1, 40)[groups]
    y = 0.5 + effect + rng.normal(0, 0.5, len(groups))
    fit = sm.OLS(y, np.ones((len(y), 1))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert standard_error(y, clusters=groups) == pytest.approx(fit.bse[0], rel=1e-10)
    # correlated items: the clustered error is larger than the naive one
    assert standard_error(y, clusters=groups) > 1.5 * stats.sem(y)


def test_clustered_bootstrap_resamples_whole_clusters() -> None:
    """Every cluster enters a resample with all its items: with two clusters of constant
    values, resampled means can only be the two values and their size-weighted mix."""
    x = np.array([0.0, 0.0, 0.0, 1.0])
    units = units_of(x[:, None], np.array([0, 0, 0, 1]))
    draws = resample_means(units, 2000, np.random.default_rng(0))[:, 0]
    assert set(np.round(draws, 12)) <= {0.0, 1.0, 0.25}


def _coverage(method: str, clustered: bool, n_sims: int, seed: int) -> float:
    """Coverage of 90% intervals over ``n_sims`` simulated benchmarks, vectorised: each
    benchmark is a column, all resampled in one pass by the engine behind
    bootstrap_interval (a column's draws depend only on that column's values)."""
    rng = np.random.default_rng(seed)
    if clustered:
        sizes = rng.integers(2, 6, 60)
        labels = np.repeat(np.arange(60), sizes)
        x = rng.normal(0.0, 1.0, (60, n_sims))[labels] + rng.normal(0, 1.0, (len(labels), n_sims))
        truth, codes = 0.0, labels
    else:
        x, truth, codes = rng.exponential(1.0, (80, n_sims)), 1.0, None
    units = units_of(x, codes)
    draws = resample_means(units, 1999, rng)
    low, high = interval_from_draws(
        draws,
        units.means(),
        method=method,  # type: ignore[arg-type]
        confidence=0.9,
        jackknife=units.jackknife() if method == "bca" else None,
    )
    # the public function computes exactly this for one column
    one = bootstrap_interval(
        x[:, 0],
        clusters=codes,
        method=method,
        confidence=0.9,
        resamples=1999,
        seed=5,  # type: ignore[arg-type]
    )
    assert one.low < units.means()[0] < one.high
    return float(np.mean((low <= truth) & (truth <= high)))


@pytest.mark.parametrize(
    ("method", "clustered"),
    [("percentile", True), ("bca", False), ("bca", True), ("percentile", False)],
)
def test_coverage_is_within_two_points_of_nominal(method: str, clustered: bool) -> None:
    coverage = _coverage(method, clustered, 4000, seed=11)
    # 4000 benchmarks: Monte Carlo sd of the coverage ~0.5 points
    assert abs(coverage - 0.9) <= 0.02, coverage


def test_ignoring_clusters_undercovers() -> None:
    """The reason for clustering: a naive interval on correlated items is too narrow."""
    rng = np.random.default_rng(12)
    misses_naive = misses_clustered = 0
    for _ in range(100):
        center = rng.normal(0.0, 1.0, 40)
        labels = np.repeat(np.arange(40), 5)
        x = center[labels] + rng.normal(0, 0.3, 200)
        naive = bootstrap_interval(x, confidence=0.9, resamples=300, seed=rng)
        clus = bootstrap_interval(x, clusters=labels, confidence=0.9, resamples=300, seed=rng)
        misses_naive += not naive.low <= 0 <= naive.high
        misses_clustered += not clus.low <= 0 <= clus.high
    assert misses_naive > 2 * misses_clustered


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=-5, max_value=5, allow_nan=False), min_size=2, max_size=40).filter(
        lambda v: np.ptp(v) > 0
    ),
    st.sampled_from(["percentile", "bca"]),
)
def test_interval_contains_its_estimate_and_ignores_row_order(
    values: list[float], method: str
) -> None:
    r = bootstrap_interval(values, method=method, resamples=400, seed=3)  # type: ignore[arg-type]
    assert r.low - 1e-12 <= r.statistic <= r.high + 1e-12
    shuffled = list(np.random.default_rng(0).permutation(values))
    r2 = bootstrap_interval(shuffled, method=method, resamples=400, seed=3)  # type: ignore[arg-type]
    # a different order is a different resampling stream; the estimate is identical and
    # the interval agrees within Monte Carlo error
    assert r2.statistic == pytest.approx(r.statistic)
    assert r2.se == pytest.approx(r.se)


def test_same_seed_same_interval_and_signature() -> None:
    a = bootstrap_interval(SAMPLES["beta"], seed=5, resamples=500)
    b = bootstrap_interval(SAMPLES["beta"], seed=5, resamples=500)
    assert a == b
    assert a.signature["seed"] == 5
    assert a.signature["resamples"] == 500
    assert a.signature["n"] == 400
    assert "assay_version" in a.signature
    assert a.confidence_interval() == (a.low, a.high)
    assert a.to_dict()["method"] == "percentile"
    assert "<table>" in a._repr_html_()


def test_nan_policy_and_bad_input() -> None:
    x = np.array([1.0, np.nan, 0.0, 1.0])
    r = bootstrap_interval(x, resamples=200)
    assert r.n == 3
    assert r.n_missing == 1
    with pytest.raises(InputError, match="nan_policy='omit'"):
        bootstrap_interval(x, nan_policy="raise")
    with pytest.raises(InputError, match="empty input or all missing"):
        bootstrap_interval([])
    with pytest.raises(InputError, match="'method' parameter of bootstrap_interval"):
        bootstrap_interval([1.0, 2.0], method="student")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'confidence'"):
        bootstrap_interval([1.0, 2.0], confidence=95)
    with pytest.raises(InputError, match="one label per item"):
        bootstrap_interval([1.0, 2.0], clusters=["a"])
    with pytest.raises(InputError, match="infinite"):
        bootstrap_interval([1.0, np.inf])


def test_constant_values_warn_and_give_a_zero_width_interval() -> None:
    with pytest.warns(DegenerateDataWarning, match="all 5 values are equal"):
        r = bootstrap_interval(np.ones(5), method="bca", resamples=100)
    assert r.low == r.high == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(bootstrap_interval([0.0, 1.0], resamples=50), BootstrapInterval)
