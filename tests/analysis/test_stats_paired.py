"""Paired comparisons, multiple-comparison corrections and power against scipy/statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.descriptivestats import sign_test as sm_sign_test
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower

from assay.analysis.stats import (
    adjust_pvalues,
    items_needed,
    mcnemar_test,
    minimum_detectable_difference,
    paired_bootstrap,
    paired_bootstrap_many,
    paired_permutation_test,
    sign_test,
)
from assay.errors import DegenerateDataWarning, InputError


def _pair(n: int, seed: int, shift: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.normal(0.5, 0.2, n)
    return base + shift + rng.normal(0, 0.15, n), base + rng.normal(0, 0.15, n)


# -- paired bootstrap ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_paired_bootstrap_matches_scipy_paired_bootstrap(method: str) -> None:
    a, b = _pair(120, 0)
    res = paired_bootstrap(a, b, method=method, resamples=20_000, seed=1)  # type: ignore[arg-type]
    ref = stats.bootstrap(
        (a, b),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        paired=True,
        n_resamples=20_000,
        method=method,
        rng=np.random.default_rng(2),
    ).confidence_interval
    width = ref.high - ref.low
    assert res.low == pytest.approx(ref.low, abs=0.03 * width)
    assert res.high == pytest.approx(ref.high, abs=0.03 * width)
    assert res.difference == pytest.approx(np.mean(a - b))
    d = a - b
    assert res.effect_kind == "cohen_dz"
    assert res.effect_size == pytest.approx(d.mean() / d.std(ddof=1))


def test_paired_bootstrap_pvalue_is_consistent_with_its_interval() -> None:
    a, b = _pair(200, 3, shift=0.05)
    res = paired_bootstrap(a, b, resamples=5000, seed=0)
    assert (res.pvalue < 0.05) == (res.low > 0 or res.high < 0)
    null = paired_bootstrap(*_pair(200, 4, shift=0.0), resamples=2000, seed=0)
    assert null.pvalue > 0.05


def test_paired_bootstrap_coverage_of_the_true_difference() -> None:
    """Over 400 simulated comparisons the 90% interval covers the true gap ~90%."""
    rng = np.random.default_rng(8)
    hits = 0
    for _ in range(400):
        a = rng.binomial(1, 0.6, 150).astype(float)
        b = np.where(rng.random(150) < 0.7, a, rng.binomial(1, 0.5, 150)).astype(float)
        truth = 0.6 - (0.7 * 0.6 + 0.3 * 0.5)
        r = paired_bootstrap(a, b, confidence=0.9, resamples=400, seed=rng)
        hits += r.low <= truth <= r.high
    assert abs(hits / 400 - 0.9) < 0.045  # binomial sd of 400 draws: 1.5 points


# -- permutation -----------------------------------------------------------------------


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_exact_permutation_pvalue_equals_scipy(alternative: str) -> None:
    a, b = _pair(12, 5, shift=0.08)
    res = paired_permutation_test(a, b, alternative=alternative, resamples=10_000)  # type: ignore[arg-type]
    ref = stats.permutation_test(
        (a, b),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        alternative=alternative,
        n_resamples=10_000,
    )
    assert res.signature["params"]["exact"] is True
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    assert res.statistic == pytest.approx(ref.statistic)


def test_random_permutation_pvalue_agrees_with_scipy() -> None:
    a, b = _pair(60, 6, shift=0.04)
    res = paired_permutation_test(a, b, resamples=20_000, seed=0)
    ref = stats.permutation_test(
        (a, b),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        n_resamples=20_000,
        rng=np.random.default_rng(1),
    )
    assert res.signature["params"]["exact"] is False
    assert res.pvalue == pytest.approx(ref.pvalue, abs=4 * np.sqrt(ref.pvalue / 20_000) + 1e-3)


def test_permutation_test_holds_its_level_with_clusters() -> None:
    """Correlated items (shared passages): flipping clusters keeps the type I error."""
    rng = np.random.default_rng(9)
    labels = np.repeat(np.arange(30), 4)
    rejections = 0
    for _ in range(300):
        shared = rng.normal(0, 1, 30)[labels]
        a = shared + rng.normal(0, 0.3, 120)
        b = shared + rng.normal(0, 0.3, 120) + rng.normal(0, 0.5, 30)[labels]
        r = paired_permutation_test(a, b, clusters=labels, resamples=300, seed=rng)
        rejections += r.pvalue <= 0.05
    assert rejections / 300 <= 0.05 + 0.035


# -- McNemar and sign test -------------------------------------------------------------


def test_mcnemar_matches_statsmodels_exact() -> None:
    rng = np.random.default_rng(10)
    a = rng.binomial(1, 0.7, 90).astype(float)
    b = np.where(rng.random(90) < 0.6, a, rng.binomial(1, 0.5, 90)).astype(float)
    res = mcnemar_test(a, b)
    n10 = int(((a == 1) & (b == 0)).sum())
    n01 = int(((a == 0) & (b == 1)).sum())
    table = [[int(((a == 1) & (b == 1)).sum()), n10], [n01, int(((a == 0) & (b == 0)).sum())]]
    ref = mcnemar(table, exact=True)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    assert (res.a_better, res.b_better) == (n10, n01)
    assert res.effect_kind == "odds_ratio"
    assert res.effect_size == pytest.approx(n10 / n01)
    assert res.effect_low < res.effect_size < res.effect_high
    assert res.difference == pytest.approx((n10 - n01) / 90)


def test_sign_test_matches_statsmodels() -> None:
    a, b = _pair(45, 11, shift=0.05)
    b[:3] = a[:3]  # ties are left out
    res = sign_test(a, b)
    _, p_ref = sm_sign_test(a - b, mu0=0)
    assert res.pvalue == pytest.approx(p_ref, rel=1e-12)
    assert res.a_better + res.b_better == 42


def test_mcnemar_rejects_non_binary_and_warns_without_discordance() -> None:
    with pytest.raises(InputError, match=r"must be 0 or 1; found 0\.5"):
        mcnemar_test([1.0, 0.5], [0.0, 1.0])
    with pytest.warns(DegenerateDataWarning, match="never differ"):
        res = mcnemar_test([1, 0, 1], [1, 0, 1])
    assert res.pvalue == 1.0


# -- bad input shared by the paired tests ----------------------------------------------


@pytest.mark.parametrize("test", [paired_bootstrap, paired_permutation_test, sign_test])
def test_paired_input_errors(test: object) -> None:
    fn = test  # type: ignore[assignment]
    with pytest.raises(InputError, match="'a' has 3 items and 'b' has 2"):
        fn([1.0, 2.0, 3.0], [1.0, 2.0])  # type: ignore[operator]
    with pytest.raises(InputError, match="empty input"):
        fn([], [])  # type: ignore[operator]
    with pytest.raises(InputError, match="nan_policy='omit'"):
        fn([1.0, np.nan, 0.2], [1.0, 2.0, 0.1], nan_policy="raise")  # type: ignore[operator]
    with pytest.raises(InputError, match="'alternative' parameter"):
        fn([1.0, 2.0], [0.0, 1.0], alternative="bigger")  # type: ignore[operator]


def test_missing_items_are_left_out_and_counted() -> None:
    a = np.array([1.0, 0.9, np.nan, 0.7, 0.8, 0.75])
    b = np.array([0.5, np.nan, 0.4, 0.3, 0.2, 0.35])
    res = paired_permutation_test(a, b)
    assert res.n == 4
    assert res.n_missing == 2


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=3, max_size=60).filter(
        lambda r: len({x - y for x, y in r}) > 1
    )
)
def test_paired_results_do_not_depend_on_row_order(rows: list[tuple[int, int]]) -> None:
    a = np.array([r[0] for r in rows], dtype=float)
    b = np.array([r[1] for r in rows], dtype=float)
    perm = np.random.default_rng(0).permutation(len(rows))
    for fn in (mcnemar_test, sign_test):
        assert fn(a, b).pvalue == fn(a[perm], b[perm]).pvalue
    boot = paired_bootstrap(a, b, resamples=300, seed=1)
    assert boot.low - 1e-12 <= boot.difference <= boot.high + 1e-12
    perm_test = paired_permutation_test(a, b, resamples=4096)
    if perm_test.signature["params"]["exact"]:
        assert perm_test.pvalue == pytest.approx(
            paired_permutation_test(a[perm], b[perm], resamples=4096).pvalue
        )


# -- multiple comparisons --------------------------------------------------------------


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjustment_matches_statsmodels_multipletests(ours: str, theirs: str) -> None:
    p = np.random.default_rng(12).uniform(0, 0.2, 25) ** 2
    p[3] = p[7]  # a tie
    res = adjust_pvalues(p, method=ours, alpha=0.05)  # type: ignore[arg-type]
    reject, adjusted, _, _ = multipletests(p, alpha=0.05, method=theirs)
    np.testing.assert_allclose(res.adjusted, adjusted, rtol=1e-12)
    assert list(res.reject) == list(reject)


def test_adjustment_rejects_bad_pvalues() -> None:
    with pytest.raises(InputError, match=r"must lie in \[0, 1\]; got 1.5"):
        adjust_pvalues([0.1, 1.5])
    with pytest.raises(InputError, match="is NaN"):
        adjust_pvalues([0.1, np.nan])
    with pytest.raises(InputError, match="'method' parameter of adjust_pvalues"):
        adjust_pvalues([0.1], method="sidak")  # type: ignore[arg-type]
    assert len(adjust_pvalues([])) == 0


# -- power -----------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "alpha", "power"), [(50, 0.05, 0.8), (400, 0.01, 0.9)])
def test_continuous_power_matches_statsmodels(n: int, alpha: float, power: float) -> None:
    sd = 0.3
    mdd = minimum_detectable_difference(n, sd=sd, alpha=alpha, power=power)
    effect = TTestPower().solve_power(nobs=n, alpha=alpha, power=power)
    assert mdd.difference == pytest.approx(effect * sd, rel=1e-5)
    need = items_needed(mdd.difference, sd=sd, alpha=alpha, power=power)
    assert need.n_items_exact == pytest.approx(n, rel=1e-4)
    ref_n = TTestPower().solve_power(effect_size=0.05 / sd, alpha=alpha, power=power)
    assert items_needed(0.05, sd=sd, alpha=alpha, power=power).n_items == int(np.ceil(ref_n))


def test_binary_power_reaches_its_target_in_simulation() -> None:
    """Items needed for McNemar: simulated exact-McNemar power at that n is ~0.8."""
    psi, delta = 0.2, 0.06
    need = items_needed(delta, discordance=psi, alpha=0.05, power=0.8)
    n = need.n_items
    rng = np.random.default_rng(13)
    p10, p01 = (psi + delta) / 2, (psi - delta) / 2
    cells = rng.multinomial(n, [p10, p01, 1 - psi], size=4000)
    pvals = np.array([stats.binomtest(int(w), int(w + lose)).pvalue for w, lose, _ in cells])
    simulated = np.mean(pvals <= 0.05)
    assert simulated == pytest.approx(0.8, abs=0.04)
    back = minimum_detectable_difference(n, discordance=psi, alpha=0.05, power=0.8)
    assert back.difference == pytest.approx(delta, rel=0.02)


def test_power_from_observed_scores_picks_the_design() -> None:
    rng = np.random.default_rng(14)
    a = rng.binomial(1, 0.6, 300).astype(float)
    b = np.where(rng.random(300) < 0.8, a, 1 - a)
    res = minimum_detectable_difference(300, a=a, b=b)
    assert res.design == "binary"
    assert res.discordance == pytest.approx(np.mean(a != b))
    cont = minimum_detectable_difference(300, a=a + rng.random(300), b=b)
    assert cont.design == "continuous"


def test_power_input_errors() -> None:
    with pytest.raises(InputError, match="exactly one of 'sd'"):
        items_needed(0.1)
    with pytest.raises(InputError, match="exactly one of 'sd'"):
        items_needed(0.1, sd=0.2, discordance=0.3)
    with pytest.raises(InputError, match="difference <= discordance"):
        items_needed(0.3, discordance=0.2)
    with pytest.raises(InputError, match="'power' parameter"):
        items_needed(0.1, sd=0.2, power=1.2)
    with pytest.warns(DegenerateDataWarning, match="cannot reach power"):
        res = minimum_detectable_difference(5, discordance=0.05)
    assert np.isnan(res.difference)


def test_paired_bootstrap_many_equals_one_at_a_time_on_shared_draws() -> None:
    rng = np.random.default_rng(15)
    ref = rng.binomial(1, 0.6, 300).astype(float)
    scores = rng.binomial(1, [0.5, 0.6, 0.7], (300, 3)).astype(float)
    many = paired_bootstrap_many(scores, ref, resamples=3000, seed=4)
    assert len(many) == 3
    for j, res in enumerate(many):
        one = paired_bootstrap(scores[:, j], ref, resamples=3000, seed=4)
        assert res.difference == pytest.approx(one.difference)
        width = one.high - one.low
        assert res.low == pytest.approx(one.low, abs=0.05 * width)
        assert res.high == pytest.approx(one.high, abs=0.05 * width)
    with pytest.raises(InputError, match="one row per reference item"):
        paired_bootstrap_many(scores[:10], ref)
