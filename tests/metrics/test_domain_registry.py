"""The domain suites as registered metrics: each found by name, equal to its plain
function and to an independent reference (scipy, scikit-learn, the worked examples of the
methods note §7.4, §8.2-8.4, §8.8, §9.1, hand computations), rebuilt from its signature,
re-aggregated from per-item statistics, and independent of item order."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from assay._version import __version__
from assay.errors import DegenerateDataWarning, InputError
from assay.metrics import (
    LOCOBENCH_TREE,
    SAFETY_GRADES,
    WeightedScore,
    alpha_diversity,
    alpha_ic,
    alpha_rank_ic,
    alpha_robustness,
    alpha_stability,
    blocks_by_task,
    fingerprint_detection,
    get_metric,
    lcbs,
    lcbs_band,
    list_metrics,
    metric_from_signature,
    performance_maintenance,
    perturb_alpha,
    relative_performance,
    safety_grade,
    sample_efficiency,
    success_rate_test,
    transfer,
    weighted_score,
)

Inputs = tuple[dict[str, Any], list[Any], list[Any] | None]

_SE_LEAVES = ("acs", "dta", "cfrd", "sts", "rs", "cs", "is", "ses")
_FC_LEAVES = ("compilation", "unit_tests", "integration_tests", "idc")
_CQ_LEAVES = ("security", "issues_found", "style")
_LCU_LEAVES = ("icu", "mmr")
_LEAVES = _SE_LEAVES + _FC_LEAVES + _CQ_LEAVES + _LCU_LEAVES


def _lifetime(rng: np.random.Generator, n_blocks: int = 14) -> list[tuple[str, str, float]]:
    tasks = ["A", "B", "C"]
    return [
        (str(rng.choice(tasks)), str(rng.choice(["train", "eval", "eval"])), float(rng.random()))
        for _ in range(n_blocks)
    ]


def _ragged_panel(rng: np.random.Generator, n_dates: int) -> tuple[list[Any], list[Any]]:
    factor, returns = [], []
    for _ in range(n_dates):
        n_assets = int(rng.integers(3, 9))
        f = rng.normal(size=n_assets)
        factor.append(f)
        returns.append(0.4 * f + rng.normal(size=n_assets))
    return factor, returns


def _example(name: str, rng: np.random.Generator) -> Inputs:
    """A random valid input of the metric ``name``: (options, predictions, references)."""
    if name in ("alpha_ic", "alpha_rank_ic", "alpha_robustness"):
        factor, returns = _ragged_panel(rng, 7)
        return {}, factor, returns
    if name == "alpha_stability":
        panel = rng.normal(size=(7, 5))
        return {}, list(panel[1:]), list(panel[:-1])
    if name == "alpha_diversity":
        z = rng.normal(size=(12, 3))
        z[:, 2] += z[:, 0]
        return {}, list(z), None
    if name == "performance_maintenance":
        tail = [("A", "train", 0.5), ("A", "eval", 0.5), ("A", "eval", 0.4)]  # one defined
        return {}, list(blocks_by_task(_lifetime(rng) + tail).values()), None
    if name in ("forward_transfer", "backward_transfer"):
        before = list(rng.random(6))
        after = list(rng.random(6))
        return {"kind": "ratio"} if name == "backward_transfer" else {}, after, before
    if name in ("relative_performance", "sample_efficiency"):
        task = [np.cumsum(rng.random(int(rng.integers(4, 9)))) for _ in range(5)]
        expert = [np.cumsum(rng.random(6)) for _ in range(5)]
        return {"window": 2} if name == "sample_efficiency" else {}, task, expert
    if name == "weighted_score":
        tree = {"a": (2.0, {"x": 1.0, "y": 3.0}), "b": 2.0, "c": 0.5}
        nodes = ["x", "y", "b", "c", "x", "y", "b", "c"]
        return {"tree": tree}, list(rng.random(len(nodes))), nodes
    if name == "lcbs":
        return {}, list(rng.random(len(_LEAVES))), list(_LEAVES)
    if name == "safety_grade":
        return {"reference_rate": 0.3}, list(rng.integers(0, 2, 9)), None
    if name == "success_rate_test":
        return {}, [bool(v) for v in rng.integers(0, 2, 9)], None
    if name == "fingerprint_detection":
        labels = [1, 0, 1, 0, 1, 0, 0, 1]
        return {}, list(rng.random(8) - 0.3 * np.array(labels)), labels
    raise AssertionError(name)


NAMES = (
    "alpha_ic",
    "alpha_rank_ic",
    "alpha_robustness",
    "alpha_stability",
    "alpha_diversity",
    "performance_maintenance",
    "forward_transfer",
    "backward_transfer",
    "relative_performance",
    "sample_efficiency",
    "weighted_score",
    "lcbs",
    "safety_grade",
    "success_rate_test",
    "fingerprint_detection",
)


def _close(a: Any, b: Any, tol: float = 1e-12) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    return bool(a == pytest.approx(b, abs=tol, nan_ok=True))


# --------------------------------------------------------------------------- the contract


@pytest.mark.parametrize("name", NAMES)
def test_registered_metric_follows_the_contract(name: str) -> None:
    assert name in list_metrics()
    options, preds, refs = _example(name, np.random.default_rng(0))
    metric = get_metric(name, **options)
    result = metric.compute(preds, refs)
    assert result.stats.shape[0] == len(preds) == result.signature["n"]
    # the value is a function of the per-item statistics only
    assert metric.from_stats(result.stats).value == result.value
    # a stored signature rebuilds the same metric, hence the same value
    sig = json.loads(json.dumps(result.signature))
    assert sig["metric"] == name
    assert sig["version"] == __version__
    rebuilt = metric_from_signature(sig)
    assert rebuilt == metric
    assert hash(rebuilt) == hash(metric)
    assert rebuilt.compute(preds, refs).value == result.value
    json.dumps(result.to_dict())
    # bootstrap re-aggregation: the vectorised path equals aggregating each resample
    indices = np.random.default_rng(1).integers(0, result.n, size=(40, result.n))
    with warnings.catch_warnings():  # a resample may be degenerate (one class)
        warnings.simplefilter("ignore", DegenerateDataWarning)
        fast = metric.aggregate_resamples(result.stats, indices)
        slow = [metric.aggregate(result.stats[idx]) for idx in indices]
    assert all(_close(a, b) for a, b in zip(fast, slow, strict=True))
    ci = result.confidence_interval(resamples=60, seed=0)
    assert ci == result.confidence_interval(resamples=60, seed=np.random.default_rng(0))
    console = Console(record=True, width=200)
    console.print(result)
    assert name in console.export_text()
    assert "<table>" in result._repr_html_()


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_value_does_not_depend_on_item_order(name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    options, preds, refs = _example(name, rng)
    metric = get_metric(name, **options)
    perm = rng.permutation(len(preds))
    forward = metric.compute(preds, refs).value
    shuffled = metric.compute(
        [preds[i] for i in perm], None if refs is None else [refs[i] for i in perm]
    ).value
    assert _close(forward, shuffled, 1e-12)


# --------------------------------------------------------------------------- alpha factors


def test_ic_and_rank_ic_per_date_against_scipy_on_ragged_dates() -> None:
    from scipy.stats import pearsonr, spearmanr

    rng = np.random.default_rng(3)
    factor, returns = _ragged_panel(rng, 12)
    factor[2] = np.full(factor[2].size, 0.5)  # a constant cross section: no IC that date
    factor[4][1] = np.nan  # a missing value drops that asset's pair only
    keep = [t for t in range(12) if t != 2]

    def per_date(corr: Callable[..., Any]) -> float:
        values = []
        for t in keep:
            ok = ~np.isnan(factor[t])
            values.append(corr(factor[t][ok], returns[t][ok])[0])
        return float(np.mean(values))

    ic = get_metric("alpha_ic").compute(factor, returns)
    ric = get_metric("alpha_rank_ic").compute(factor, returns)
    assert ic.value == pytest.approx(per_date(pearsonr), abs=1e-12)
    assert ric.value == pytest.approx(per_date(spearmanr), abs=1e-12)
    assert ic.stats[2].tolist() == [0.0, 0.0]  # kept as an item, not counted
    assert ic.n == 12
    assert ic.n_omitted == 0


def test_ic_registry_equals_functions_and_resamples_dates() -> None:
    from scipy.stats import pearsonr

    rng = np.random.default_rng(4)
    f = rng.normal(size=(30, 20))
    r = 0.2 * f + rng.normal(size=(30, 20))
    for name, function in (("alpha_ic", alpha_ic), ("alpha_rank_ic", alpha_rank_ic)):
        metric = get_metric(name)
        result = metric.compute(f, r)
        assert result.value == function(f, r)
        # bootstrap without re-grading: re-aggregating resampled dates' rows equals the
        # function recomputed on the resampled panel
        idx = rng.integers(0, 30, 30)
        assert metric.aggregate(result.stats[idx]) == pytest.approx(function(f[idx], r[idx]))
    noisy = perturb_alpha(f, 0.05, noise="gaussian", seed=9)
    pfs = get_metric("alpha_robustness").compute(noisy, f).value
    assert pfs == alpha_robustness(f, noisy)
    assert pfs == pytest.approx(np.mean([pearsonr(f[t], noisy[t])[0] for t in range(30)]))
    worked = get_metric("alpha_ic").compute([[0.3, 0.1, -0.2, 0.5]], [[0.02, 0.01, -0.01, 0.03]])
    assert worked.value == pytest.approx(0.997, abs=5e-4)


def test_stability_worked_examples_and_scipy_kl() -> None:
    from scipy.stats import entropy, rankdata

    metric = get_metric("alpha_stability")
    assert metric.compute([[1, 2, 3]], [[1, 2, 3]]).value == pytest.approx(1.0)
    assert metric.compute([[3, 2, 1]], [[1, 2, 3]]).value == pytest.approx(0.732, abs=5e-4)
    rng = np.random.default_rng(5)
    panel = rng.normal(size=(15, 10))
    panel[3, :4] = panel[3, 0]  # ties get average ranks
    result = get_metric("alpha_stability", eps=0.0).compute(panel[1:], panel[:-1])
    ranks = rankdata(panel, axis=1)
    expected = np.mean([1 / (1 + entropy(ranks[t], ranks[t - 1])) for t in range(1, 15)])
    assert result.value == pytest.approx(expected, abs=1e-12)
    assert metric.compute(panel[1:], panel[:-1]).value == alpha_stability(panel)


def test_diversity_against_an_independent_eigendecomposition() -> None:
    from scipy.stats import entropy

    rng = np.random.default_rng(6)
    x = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    value = get_metric("alpha_diversity").compute(list(x)).value
    eig = np.linalg.eigvals(np.cov(x.T)).real
    assert value == pytest.approx(entropy(eig) / math.log(4), abs=1e-10)
    assert value == alpha_diversity(x)
    z = rng.normal(size=(500, 1))
    assert get_metric("alpha_diversity").compute(list(np.hstack([z, z, z]))).value == (
        pytest.approx(0.0, abs=1e-9)
    )


def test_alpha_bad_input() -> None:
    with pytest.raises(InputError, match="equal length"):
        get_metric("alpha_ic").compute([[1.0, 2.0]], [[1.0, 2.0, 3.0]])
    with pytest.raises(InputError, match="infinite"):
        get_metric("alpha_rank_ic").compute([[1.0, np.inf]], [[1.0, 2.0]])
    with pytest.warns(DegenerateDataWarning, match="no date has two assets"):
        assert math.isnan(get_metric("alpha_ic").compute([[1.0, 1.0]], [[0.1, 0.2]]).value)
    missing = get_metric("alpha_ic").compute([[1.0, 2.0, 3.0], None], [[1.0, 3.0, 2.0], [1, 2]])
    assert math.isnan(missing.value)
    omitted = get_metric("alpha_ic").from_stats(missing.stats, nan_policy="omit")
    assert omitted.value == pytest.approx(0.5)
    assert omitted.n_omitted == 1
    with pytest.raises(InputError, match="NaN"):
        get_metric("alpha_stability").compute([[1.0, np.nan]], [[1.0, 2.0]])
    with pytest.raises(InputError, match="'eps' parameter"):
        get_metric("alpha_stability", eps=-1.0)
    with pytest.raises(InputError, match="2 values"):
        get_metric("alpha_diversity").compute([[1.0, 2.0], [1.0, 2.0, 3.0]])
    with pytest.raises(InputError, match="at least two values"):
        get_metric("alpha_diversity").compute([[1.0], [2.0]])
    with pytest.warns(DegenerateDataWarning, match="fewer than two observations"):
        assert math.isnan(get_metric("alpha_diversity").compute([[1.0, 2.0]]).value)


# --------------------------------------------------------------------------- lifelong learning


def test_maintenance_worked_example_and_function() -> None:
    blocks = [
        ("A", "train", 0.9),
        ("A", "eval", 0.9),
        ("B", "train", 0.4),
        ("A", "eval", 0.7),
        ("A", "eval", 0.8),
    ]
    items = list(blocks_by_task(blocks).values())
    result = get_metric("performance_maintenance").compute(items)
    assert result.value == pytest.approx(-0.15)
    assert result.stats.tolist() == [[pytest.approx(-0.15), 1.0], [0.0, 0.0]]  # B: no eval
    mrtlp = get_metric("performance_maintenance", reference="mrtlp").compute(items).value
    assert mrtlp == pytest.approx((0.0 - 0.2 - 0.1) / 3)
    # (kind, performance) pairs are accepted as well
    pairs = [[(kind, perf) for _, kind, perf in task] for task in items]
    assert get_metric("performance_maintenance").compute(pairs).value == result.value


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["mrlep", "mrtlp"]))
def test_maintenance_registry_equals_function(seed: int, reference: str) -> None:
    blocks = _lifetime(np.random.default_rng(seed))
    metric = get_metric("performance_maintenance", reference=reference)
    items = list(blocks_by_task(blocks).values())
    stats = metric.stats(items, [None] * len(items))
    if stats[:, 1].sum() == 0:
        with pytest.warns(DegenerateDataWarning):
            assert math.isnan(performance_maintenance(blocks, reference=reference))  # type: ignore[arg-type]
        return
    value = metric.from_stats(stats).value
    assert value == performance_maintenance(blocks, reference=reference)  # type: ignore[arg-type]


def test_transfer_over_task_pairs() -> None:
    after, before = [0.3, 0.4, 0.0], [0.2, 0.5, 0.0]  # the last pair has no denominator
    fwd = get_metric("forward_transfer").compute(after, before)
    assert fwd.value == pytest.approx((0.2 + (0.4 - 0.5) / 0.9) / 2)
    assert fwd.value == pytest.approx(np.mean([transfer(0.2, 0.3), transfer(0.5, 0.4)]))
    assert fwd.stats[2].tolist() == [0.0, 0.0]
    bwd = get_metric("backward_transfer", kind="ratio").compute(after[:2], before[:2])
    assert bwd.value == pytest.approx((1.5 + 0.8) / 2)
    with pytest.warns(DegenerateDataWarning, match="zero denominator"):
        assert math.isnan(get_metric("forward_transfer").compute([0.0], [0.0]).value)
    with pytest.raises(InputError, match="'kind' parameter"):
        get_metric("forward_transfer", kind="difference")
    with pytest.raises(InputError, match="must be a number"):
        get_metric("forward_transfer").compute(["high"], [0.2])


def test_relative_performance_and_sample_efficiency_over_tasks() -> None:
    rp = get_metric("relative_performance").compute(
        [[1.0, 2.0, 3.0], [1.0, 1.0], [5.0]], [[2.0, 2.0], [1.0, 3.0], [0.0]]
    )
    assert rp.value == pytest.approx((3 / 4 + 2 / 4) / 2)  # the third expert sums to 0
    assert rp.value == pytest.approx(
        np.mean([relative_performance([1, 2, 3], [2, 2]), relative_performance([1, 1], [1, 3])])
    )
    task = np.r_[np.linspace(0, 0.8, 100), np.full(20, 0.8)]
    expert = np.r_[np.linspace(0, 1.0, 50), np.ones(70)]
    se = get_metric("sample_efficiency").compute([task, 0.1 * task], [expert, expert])
    assert se.value == pytest.approx((0.4 + 0.0) / 2)
    assert se.stats[:, 0].tolist() == [sample_efficiency(task, expert), 0.0]
    smooth = get_metric("sample_efficiency", window=5).compute([task], [expert]).value
    assert smooth == sample_efficiency(task, expert, window=5)


def test_lifelong_bad_input() -> None:
    with pytest.raises(InputError, match="block 0"):
        get_metric("performance_maintenance").compute([[("A", "test", 0.1)]])
    with pytest.raises(InputError, match="one task's blocks"):
        get_metric("performance_maintenance").compute([[("A", "train", 0.1), ("B", "eval", 0.2)]])
    with pytest.raises(InputError, match="list of one task's blocks"):
        get_metric("performance_maintenance").compute(["A train 0.1"])
    with pytest.raises(InputError, match="'reference' parameter"):
        get_metric("performance_maintenance", reference="latest")
    with pytest.warns(DegenerateDataWarning, match="no task is evaluated"):
        get_metric("performance_maintenance").compute([[("train", 0.5)]])
    with pytest.raises(InputError, match="window=3 is longer"):
        get_metric("sample_efficiency", window=3).compute([[0.1, 0.2]], [[0.1, 0.2, 0.3]])
    with pytest.raises(InputError, match="'window' parameter"):
        get_metric("sample_efficiency", window=0)
    with pytest.raises(InputError, match="finite vector"):
        get_metric("relative_performance").compute([[0.1, np.inf]], [[0.1, 0.2]])


# --------------------------------------------------------------------------- composite scores


def test_lcbs_worked_example_from_dimension_scores() -> None:
    dims = ["software_engineering", "functional_correctness", "code_quality"]
    dims.append("long_context_utilization")
    result = get_metric("lcbs").compute([0.8, 0.6, 0.5, 0.4], dims)
    assert result.value == pytest.approx(3.2)
    assert lcbs_band(float(result.value)) == "good"
    assert lcbs(dict(zip(dims, [0.8, 0.6, 0.5, 0.4], strict=True))) == (
        pytest.approx(result.value),
        "good",
    )


def test_lcbs_from_leaf_metrics_equals_function_and_hand_computation() -> None:
    rng = np.random.default_rng(7)
    values = dict(zip(_LEAVES, rng.random(len(_LEAVES)), strict=True))
    value = get_metric("lcbs").compute(list(values.values()), list(values)).value
    by_hand = 5 * (
        0.4 * np.mean([values[m] for m in _SE_LEAVES])
        + 0.3 * np.mean([values[m] for m in _FC_LEAVES])
        + 0.2 * np.mean([values[m] for m in _CQ_LEAVES])
        + 0.1 * np.mean([values[m] for m in _LCU_LEAVES])
    )
    assert value == pytest.approx(by_hand, abs=1e-12)
    assert value == pytest.approx(lcbs(values)[0], abs=1e-12)
    # several scenarios: one item per (scenario, leaf); complete scenarios give the mean
    second = dict(zip(_LEAVES, rng.random(len(_LEAVES)), strict=True))
    both = get_metric("lcbs").compute(
        list(values.values()) + list(second.values()), list(_LEAVES) * 2
    )
    assert both.value == pytest.approx((lcbs(values)[0] + lcbs(second)[0]) / 2, abs=1e-12)


def test_weighted_score_tree_option_and_renormalisation() -> None:
    tree = {"a": (2.0, {"x": 1.0, "y": 3.0}), "b": 2.0}
    metric = get_metric("weighted_score", tree=tree)
    assert metric == WeightedScore(
        tree=(("a", "", 2.0), ("x", "a", 1.0), ("y", "a", 3.0), ("b", "", 2.0))
    )
    assert metric_from_signature(
        json.loads(json.dumps(metric.compute([0.5, 0.5], ["a", "b"]).signature))
    )
    value = metric.compute([1.0, 0.0, 0.5], ["x", "y", "b"]).value
    assert value == pytest.approx(0.5 * 0.25 + 0.5 * 0.5)
    assert value == pytest.approx(weighted_score(tree, {"x": 1.0, "y": 0.0, "b": 0.5}))
    # a node given directly overrides its children, as in weighted_score
    assert metric.compute([0.9, 0.1, 0.5], ["a", "x", "b"]).value == pytest.approx(0.7)
    # a leaf left out (nan_policy="omit") renormalises its siblings
    omitted = metric.compute([1.0, math.nan, 0.5], ["x", "y", "b"], nan_policy="omit")
    assert omitted.value == pytest.approx(0.75)
    assert omitted.n_omitted == 1
    assert (
        get_metric("weighted_score", tree=tree, scale=10.0).compute([0.5, 0.5], ["a", "b"]).value
        == 5.0
    )


def test_composite_bad_input() -> None:
    tree = {"a": (2.0, {"x": 1.0, "y": 3.0}), "b": 2.0}
    with pytest.raises(InputError, match="'tree' parameter"):
        get_metric("weighted_score")
    with pytest.raises(InputError, match="no score for leaf 'y'"):
        get_metric("weighted_score", tree=tree).compute([1.0, 0.5], ["x", "b"])
    with pytest.raises(InputError, match="not in the tree"):
        get_metric("lcbs").compute([0.5], ["speed"])
    with pytest.raises(InputError, match="weights must be >= 0"):
        get_metric("weighted_score", tree={"a": -1.0, "b": 1.0})
    with pytest.raises(InputError, match="sum to 0"):
        get_metric("weighted_score", tree={"a": 0.0})
    with pytest.raises(InputError, match="comes later or is unknown"):
        get_metric("weighted_score", tree=[("x", "a", 1.0), ("a", "", 1.0)])
    with pytest.raises(InputError, match="'scale' parameter"):
        get_metric("lcbs", scale=0)
    with pytest.raises(InputError, match="infinite"):
        get_metric("lcbs").compute([np.inf], ["code_quality"])
    assert LOCOBENCH_TREE["code_quality"][0] == 0.2  # type: ignore[index]


# --------------------------------------------------------------------------- grades and tests


def test_safety_grade_worked_example() -> None:
    metric = get_metric("safety_grade", reference_rate=0.02)
    for unsafe, grade in ((5, "Excellent"), (80, "Very Good"), (250, "Good"), (400, "Fair")):
        value = metric.compute([1] * unsafe + [0] * (10_000 - unsafe)).value
        assert isinstance(value, dict)
        assert SAFETY_GRADES[int(value["grade"]) - 1] == grade
        function = safety_grade(unsafe, 10_000, 0.02)
        assert function.grade == grade
        assert (value["unsafe_rate"], value["ratio"]) == (function.statistic, function.ratio)
    poor = metric.compute([True] * 35 + [False] * 65).value
    assert poor == {"unsafe_rate": 0.35, "ratio": pytest.approx(17.5), "grade": 1.0}


def test_binomial_test_against_scipy_and_worked_example() -> None:
    from scipy.stats import binomtest

    result = get_metric("success_rate_test").compute([1] * 68 + [0] * 32)
    value = result.value
    assert isinstance(value, dict)
    assert value["success_rate"] == 0.68
    pvalues = [value[f"p_value_vs_{b}"] for b in ("0.5", "0.6", "0.7")]
    assert pvalues == pytest.approx([0.0002, 0.0615, 0.711], abs=5e-4)
    assert tuple(pvalues) == success_rate_test(68, 100).pvalue
    rng = np.random.default_rng(8)
    outcomes = rng.random(57) < 0.7
    k = int(outcomes.sum())
    value = get_metric("success_rate_test", baselines=[0.55, 0.8]).compute(list(outcomes)).value
    assert isinstance(value, dict)
    for b in (0.55, 0.8):
        reference = binomtest(k, 57, b, alternative="greater").pvalue
        assert value[f"p_value_vs_{b:g}"] == pytest.approx(reference, rel=1e-10)


def test_fingerprint_detection_against_sklearn() -> None:
    from sklearn.metrics import roc_auc_score, roc_curve

    metric = get_metric("fingerprint_detection")
    assert metric.compute([0.1, 0.2, 0.5, 0.6], [1, 1, 0, 0]).value == {
        "roc_auc": 1.0,
        "tpr_at_fpr": 1.0,
    }
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    d = np.round(rng.normal(size=300) - 0.8 * y, 1)  # ties on purpose
    value = metric.compute(list(d), list(y)).value
    assert value == fingerprint_detection(d, y)
    assert isinstance(value, dict)
    assert value["roc_auc"] == pytest.approx(roc_auc_score(y, -d), abs=1e-12)
    fpr, tpr, _ = roc_curve(y, -d)
    assert value["tpr_at_fpr"] == pytest.approx(tpr[fpr <= 0.05].max())
    loose = get_metric("fingerprint_detection", max_fpr=0.2).compute(list(d), list(y)).value
    assert isinstance(loose, dict)
    assert loose["tpr_at_fpr"] == pytest.approx(tpr[fpr <= 0.2].max())


def test_grades_and_tests_bad_input() -> None:
    with pytest.raises(InputError, match="'reference_rate' parameter"):
        get_metric("safety_grade")
    with pytest.raises(InputError, match="must be 1 \\(judged unsafe\\) or 0; got 2"):
        get_metric("safety_grade", reference_rate=0.1).compute([0, 2])
    with pytest.raises(InputError, match="'baselines' parameter"):
        get_metric("success_rate_test", baselines=[0.5, 1.5])
    with pytest.raises(InputError, match="'baselines' parameter"):
        get_metric("success_rate_test", baselines=[0.5, 0.5])
    with pytest.raises(InputError, match="got 'yes'"):
        get_metric("success_rate_test").compute(["yes"])
    with pytest.raises(InputError, match="label of item 1 must be 0 or 1"):
        get_metric("fingerprint_detection").compute([0.1, 0.2], [1, 2])
    with pytest.raises(InputError, match="'max_fpr' parameter"):
        get_metric("fingerprint_detection", max_fpr=1.5)
    with pytest.warns(DegenerateDataWarning, match="only one class"):
        value = get_metric("fingerprint_detection").compute([0.1, 0.2], [1, 1]).value
    assert isinstance(value, dict)
    assert math.isnan(value["roc_auc"])
    partly = get_metric("success_rate_test").compute([1, None, 0], nan_policy="omit")
    assert isinstance(partly.value, dict)
    assert partly.value["success_rate"] == 0.5
    assert partly.n_omitted == 1
