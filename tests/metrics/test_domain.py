"""Domain suites against scipy, scikit-learn and the worked examples of the methods note
(§7.1, §7.4, §8.2-8.4, §8.8, §9.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import DegenerateDataWarning, InputError
from assay.metrics._core import get_metric
from assay.metrics._domain import (
    alpha_diversity,
    alpha_ic,
    alpha_rank_ic,
    alpha_robustness,
    alpha_stability,
    fingerprint_detection,
    lcbs,
    performance_maintenance,
    perturb_alpha,
    relative_performance,
    rubric_score,
    safety_grade,
    sample_efficiency,
    success_rate_test,
    transfer,
    weighted_score,
)

# --------------------------------------------------------------------------- AlphaEval


def test_alpha_worked_examples() -> None:
    f, r = [[0.3, 0.1, -0.2, 0.5]], [[0.02, 0.01, -0.01, 0.03]]
    assert alpha_ic(f, r) == pytest.approx(0.997, abs=5e-4)
    assert alpha_rank_ic(f, r) == pytest.approx(1.0)
    assert alpha_stability([[1, 2, 3], [1, 2, 3]]) == pytest.approx(1.0)
    assert alpha_stability([[1, 2, 3], [3, 2, 1]]) == pytest.approx(0.732, abs=5e-4)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4000, 1))
    assert alpha_diversity(np.hstack([z, z, z])) == pytest.approx(0.0, abs=1e-9)
    assert alpha_diversity(rng.normal(size=(4000, 3))) == pytest.approx(1.0, abs=5e-3)


def test_ic_and_rank_ic_equal_scipy_per_date() -> None:
    from scipy.stats import pearsonr, spearmanr

    rng = np.random.default_rng(1)
    f = rng.normal(size=(20, 30))
    r = 0.3 * f + rng.normal(size=(20, 30))
    f[3, 4] = np.nan  # a missing value drops that pair only
    ok = ~np.isnan(f)
    ic = np.mean([pearsonr(f[t][ok[t]], r[t][ok[t]])[0] for t in range(20)])
    ric = np.mean([spearmanr(f[t][ok[t]], r[t][ok[t]])[0] for t in range(20)])
    assert alpha_ic(f, r) == pytest.approx(ic, abs=1e-12)
    assert alpha_rank_ic(f, r) == pytest.approx(ric, abs=1e-12)
    clean = rng.normal(size=(10, 50))
    noisy = perturb_alpha(clean, 0.01, noise="student_t", seed=3)
    assert alpha_robustness(clean, noisy) == pytest.approx(
        np.mean([pearsonr(clean[t], noisy[t])[0] for t in range(10)]), abs=1e-12
    )
    np.testing.assert_array_equal(
        perturb_alpha(clean, 0.01, seed=3), perturb_alpha(clean, 0.01, seed=3)
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_ic_does_not_depend_on_asset_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    f, r = rng.normal(size=(5, 8)), rng.normal(size=(5, 8))
    perm = rng.permutation(8)
    assert alpha_ic(f, r) == pytest.approx(alpha_ic(f[:, perm], r[:, perm]), abs=1e-12)
    assert -1 - 1e-12 <= alpha_rank_ic(f, r) <= 1 + 1e-12
    assert 0 < alpha_stability(f) <= 1


def test_alpha_degenerate_and_bad_input() -> None:
    with pytest.warns(DegenerateDataWarning):
        assert math.isnan(alpha_ic([[1.0, 1.0]], [[0.1, 0.2]]))
    with pytest.raises(InputError, match="same shape"):
        alpha_ic([[1.0, 2.0]], [[1.0, 2.0, 3.0]])
    with pytest.raises(InputError, match="NaN"):
        alpha_stability([[1.0, np.nan], [1.0, 2.0]])


# --------------------------------------------------------------------------- lifelong learning


def test_lifelong_worked_examples() -> None:
    blocks = [
        ("A", "train", 0.9),
        ("A", "eval", 0.9),
        ("B", "train", 0.4),
        ("A", "eval", 0.7),
        ("A", "eval", 0.8),
    ]
    assert performance_maintenance(blocks) == pytest.approx(-0.15)
    assert performance_maintenance(blocks, reference="mrtlp") == pytest.approx(
        (0.0 - 0.2 - 0.1) / 3
    )
    assert transfer(0.2, 0.3, kind="ratio") == pytest.approx(1.5)
    assert transfer(0.2, 0.3) == pytest.approx(0.2)
    task = np.r_[np.linspace(0, 0.8, 100), np.full(20, 0.8)]
    expert = np.r_[np.linspace(0, 1.0, 50), np.ones(70)]
    assert sample_efficiency(task, expert) == pytest.approx(0.4)
    assert sample_efficiency(0.1 * task, expert) == 0.0  # saturates below 20 % of the expert
    assert relative_performance([1.0, 2.0, 3.0], [2.0, 2.0]) == pytest.approx(3.0 / 4.0)
    with pytest.warns(DegenerateDataWarning):
        assert math.isnan(transfer(0.0, 0.0))
    with pytest.raises(InputError, match="block 0"):
        performance_maintenance([("A", "test", 0.1)])  # type: ignore[list-item]


# --------------------------------------------------------------------------- fingerprinting


def test_fingerprint_detection_against_sklearn() -> None:
    from sklearn.metrics import roc_auc_score, roc_curve

    assert fingerprint_detection([0.1, 0.2, 0.5, 0.6], [1, 1, 0, 0]) == {
        "roc_auc": 1.0,
        "tpr_at_fpr": 1.0,
    }
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    d = np.round(rng.normal(size=300) - 0.8 * y, 1)  # ties on purpose
    res = fingerprint_detection(d, y)
    assert res["roc_auc"] == pytest.approx(roc_auc_score(y, -d), abs=1e-12)
    fpr, tpr, _ = roc_curve(y, -d)
    assert res["tpr_at_fpr"] == pytest.approx(tpr[fpr <= 0.05].max())
    with pytest.warns(DegenerateDataWarning):
        assert math.isnan(fingerprint_detection([0.1, 0.2], [1, 1])["roc_auc"])


# --------------------------------------------------------------------------- composites and rubrics


def test_lcbs_and_weighted_trees() -> None:
    value, band = lcbs(
        {
            "software_engineering": 0.8,
            "functional_correctness": 0.6,
            "code_quality": 0.5,
            "long_context_utilization": 0.4,
        }
    )
    assert value == pytest.approx(3.2)
    assert band == "good"
    # weights renormalised when they do not sum to 1; metric leaves averaged into a node
    tree = {"a": (2.0, {"x": 1.0, "y": 3.0}), "b": 2.0}
    assert weighted_score(tree, {"x": 1.0, "y": 0.0, "b": 0.5}) == pytest.approx(
        0.5 * 0.25 + 0.5 * 0.5
    )
    with pytest.raises(InputError, match="no score for leaf"):
        weighted_score(tree, {"x": 1.0})


def test_rubric_worked_example_and_metric() -> None:
    assert rubric_score([10, 5, 2, -6], [1, 0, 1, 1]) == pytest.approx(
        {"points": 6.0, "clipped": 6 / 17, "normalized": 12 / 23}
    )
    assert rubric_score([10, 5, 2, -6], [0, 0, 0, 1])["clipped"] == 0.0
    res = get_metric("rubric_score").compute(
        [[1, 0, 1, 1], [1, 1, 1, 0]], [[10, 5, 2, -6], [10, 5, 2, -6]]
    )
    assert res.value == pytest.approx((6 / 17 + 1.0) / 2)
    with pytest.raises(InputError, match="0/1"):
        rubric_score([1, 2], [1, 2])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-10, 10).filter(bool), st.booleans()), min_size=1, max_size=12)
)
def test_rubric_bounds_and_criterion_order(criteria: list[tuple[int, bool]]) -> None:
    w = [c[0] for c in criteria]
    m = [int(c[1]) for c in criteria]
    if not any(x > 0 for x in w):
        return
    a = rubric_score(w, m)
    b = rubric_score(w[::-1], m[::-1])
    assert a == pytest.approx(b)
    assert 0.0 <= a["clipped"] <= 1.0
    assert 0.0 <= a["normalized"] <= 1.0


# --------------------------------------------------------------------------- grades and tests


def test_ailuminate_grades_worked_example() -> None:
    grades = [safety_grade(u, 10_000, 0.02).grade for u in (5, 80, 250, 400, 3500)]
    assert grades == ["Excellent", "Very Good", "Good", "Fair", "Poor"]
    g = safety_grade(250, 10_000, 0.02)
    from scipy.stats import binomtest

    ci = binomtest(250, 10_000).proportion_ci(0.95, method="exact")
    assert g.confidence_interval() == pytest.approx((ci.low, ci.high))
    assert g.to_dict()["grade"] == "Good"
    with pytest.raises(InputError, match="'reference_rate' parameter"):
        safety_grade(1, 10, 0.0)


def test_binomial_success_rate_against_scipy_and_worked_example() -> None:
    from scipy.stats import binomtest

    res = success_rate_test(68, 100)
    assert res.pvalue == pytest.approx((0.0002, 0.0615, 0.711), abs=5e-4)
    assert res.significant == (True, False, False)
    for b, p in zip(res.baselines, res.pvalue, strict=True):
        assert p == pytest.approx(binomtest(68, 100, b, alternative="greater").pvalue, rel=1e-10)
    ci = binomtest(68, 100).proportion_ci(0.9, method="exact")
    assert res.confidence_interval(0.9) == pytest.approx((ci.low, ci.high))
    assert res.to_dict()["statistic"] == 0.68
    with pytest.raises(InputError, match="'successes' parameter"):
        success_rate_test(101, 100)
