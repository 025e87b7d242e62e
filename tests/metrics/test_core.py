"""The metric contract: registry, signatures, NaN policy, bootstrap, rendering, and
``assay score`` recomputing a metric over stored responses."""

from __future__ import annotations

import json
import warnings
from dataclasses import FrozenInstanceError, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

import assay.metrics as metrics
from assay.cli.score import score
from assay.errors import DegenerateDataWarning, InputError
from assay.metrics import (
    MeanMetric,
    Metric,
    get_metric,
    list_metrics,
    metric_from_signature,
    metric_label,
    register,
    rescore,
)
from assay.schema import Item, Response, Run, Score
from assay.store import Store

#: a small valid input per metric of this package (predictions, references)
EXAMPLES: dict[str, tuple[list[Any], list[Any] | None]] = {
    "exact_match": (["Paris", "Rome", "x"], ["Paris", "Milan", "x"]),
    "token_f1": (["the cat sat", "a dog", "x"], ["cat sat down", "dog", "y"]),
    "bleu": (
        ["the cat sat on the mat", "a dog ran", "hi"],
        ["the cat is on the mat", "a dog ran off", "hi"],
    ),
    "chrf": (["the cat sat", "a dog", "hi"], ["the cat sits", "a dog", "ho"]),
    "b_moses": (["a b c d e", "a b c d", "x y"], ["a b c d e", "a b c d x", "x y"]),
    "b_norm": (["fix bug", "update readme", "x"], ["fix bugs", "update readme file", "y"]),
    "b_cc": (["fix bug now", "update readme", "x"], ["fix bugs now", "update readme file", "y"]),
    "rouge": (["the cat sat", "a dog", "x"], ["the cat", "a dog ran", "y"]),
    "edit_distance": (["kitten", "flaw", ""], ["sitting", "lawn", "a"]),
    "edit_similarity": (["kitten", "flaw", ""], ["sitting", "lawn", "a"]),
    "pass_at_k": ([[1, 0, 0], [1, 1, 0], [0, 0, 0]], None),
    "pass_hat_k": ([[1, 0, 0], [1, 1, 0], [0, 0, 0]], None),
    "pass_rate": ([[1, 0], [1, 1, 0], [0, 0, 0, 1]], None),
    "claw_eval": ([[0.9, 0.8, 0.7], [0.5, 0.9, 0.2], [0.1]], None),
    "accuracy": ([0, 1, 1], [0, 1, 0]),
    "f1": ([0, 1, 1], [0, 1, 0]),
    "auroc": ([0.1, 0.8, 0.6], [0, 1, 0]),
    "auprc": ([0.1, 0.8, 0.6], [0, 1, 0]),
    "high_risk_auprc": ([0.1, 0.8, 0.6], [0.2, 0.9, 0.4]),
    "ece": ([0.1, 0.8, 0.6], [0, 1, 0]),
    "brier": ([0.1, 0.8, 0.6], [0, 1, 0]),
}
OPTIONS: dict[str, dict[str, Any]] = {"high_risk_auprc": {"threshold": 0.5}}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_metric_follows_the_contract(name: str) -> None:
    assert name in list_metrics()
    metric = get_metric(name, **OPTIONS.get(name, {}))
    assert isinstance(metric, Metric)
    with pytest.raises(FrozenInstanceError):
        metric.name2 = 1  # type: ignore[attr-defined]
    preds, refs = EXAMPLES[name]
    result = metric.compute(preds, refs)
    # the value is a function of the stats rows only
    again = metric.from_stats(result.stats)
    assert again.value == result.value
    assert result.stats.shape[0] == len(preds)
    # the signature names everything needed to rebuild the metric
    sig = result.signature
    assert sig["metric"] == name
    assert sig["n"] == len(preds)
    assert sig["version"] == metrics._core.__version__
    json.dumps(result.to_dict())
    rebuilt = metric_from_signature(json.loads(json.dumps(sig)))
    assert rebuilt == metric
    assert rebuilt.compute(preds, refs).value == result.value
    # a bootstrap interval (one per key for multi-valued metrics), reproducible by seed
    ci = result.confidence_interval(resamples=50, seed=0)
    assert ci == result.confidence_interval(resamples=50, seed=np.random.default_rng(0))
    # renders in the terminal and in a notebook, escaped
    console = Console(record=True, width=160)
    console.print(result)
    assert name in console.export_text()
    assert "<table>" in result._repr_html_()


#: inputs of the wrong kind: text, ragged lists, mappings, objects, an infinity, booleans
BAD_INPUTS: list[tuple[list[Any], list[Any]]] = [
    (["A", "B"], ["A", "C"]),
    ([None, "x"], ["a", None]),
    ([[1, [2]], 3], [1, 2]),
    ([{"a": 1}], [{"b": 2}]),
    ([[1, 2], [3]], [[1, 2], [3, 4]]),
    ([object()], [object()]),
    ([np.inf], [1.0]),
    ([True], [False]),
]
#: options a metric cannot be built without
REQUIRED_OPTIONS: dict[str, dict[str, Any]] = {
    "high_risk_auprc": {"threshold": 0.5},
    "safety_grade": {"reference_rate": 0.5},
    "weighted_score": {"tree": {"a": 1.0}},
}


@pytest.mark.parametrize("name", list_metrics())
def test_every_metric_refuses_bad_input_with_an_input_error(name: str) -> None:
    # a metric given the wrong kind of input either computes a value or says which item
    # and what was expected (an InputError), never a bare ValueError, TypeError or KeyError
    metric = get_metric(name, **REQUIRED_OPTIONS.get(name, {}))
    messages = []
    for preds, refs in BAD_INPUTS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DegenerateDataWarning)
                metric.compute(preds, refs, nan_policy="omit")
        except InputError as e:
            messages.append(str(e))
    assert all(name in m or type(metric).__name__ in m for m in messages), messages


def test_reverse_item_order_gives_the_same_value() -> None:
    for name, (preds, refs) in EXAMPLES.items():
        metric = get_metric(name, **OPTIONS.get(name, {}))
        forward = metric.compute(preds, refs).value
        backward = metric.compute(preds[::-1], None if refs is None else refs[::-1]).value
        if isinstance(forward, dict):
            assert forward == pytest.approx(backward), name
        else:
            assert forward == pytest.approx(backward, abs=1e-12), name


def test_unknown_names_and_options_are_clear_errors() -> None:
    with pytest.raises(InputError, match="registered metric; got 'blue'"):
        get_metric("blue")
    with pytest.raises(InputError, match=r"no option\(s\) \['order'\]"):
        get_metric("bleu", order=3)
    with pytest.raises(InputError, match="'metric' key"):
        metric_from_signature({"options": {}})
    with pytest.raises(InputError, match="'nan_policy' parameter"):
        get_metric("accuracy").compute([1], [1], nan_policy="drop")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="must be a sequence"):
        get_metric("accuracy").compute(3, [1])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'resamples' parameter"):
        get_metric("accuracy").compute([1], [1]).confidence_interval(resamples=0)
    with pytest.raises(InputError, match="'level' parameter"):
        get_metric("accuracy").compute([1], [1]).confidence_interval(level=95)


def test_nan_policy_and_empty_input() -> None:
    metric = get_metric("exact_match")
    propagated = metric.compute(["a", None], ["a", "b"])
    assert np.isnan(propagated.value)
    omitted = metric.compute(["a", None], ["a", "b"], nan_policy="omit")
    assert (omitted.value, omitted.n, omitted.n_omitted) == (1.0, 1, 1)
    assert omitted.signature["n_omitted"] == 1
    with pytest.warns(DegenerateDataWarning, match="no items"):
        empty = metric.compute([], [])
    assert np.isnan(empty.value)
    assert empty.confidence_interval() == (pytest.approx(np.nan, nan_ok=True),) * 2
    with pytest.warns(DegenerateDataWarning, match="1 omitted"):
        metric.compute([None], ["a"], nan_policy="omit")


def test_bootstrap_resamples_stats_without_regrading() -> None:
    calls = {"stats": 0}

    @dataclass(frozen=True)
    class Counting(MeanMetric):
        name: ClassVar[str] = "_test_counting"

        def score(self, prediction: Any, reference: Any) -> float:
            calls["stats"] += 1
            return float(prediction == reference)

    rng = np.random.default_rng(5)
    truth = rng.integers(0, 2, size=300)
    result = Counting().compute(list(truth), [1] * 300)
    assert calls["stats"] == 300
    low, high = result.confidence_interval(resamples=2000, seed=1)
    assert calls["stats"] == 300  # no item graded again
    # the percentile interval of a mean of 0/1 items: close to the normal approximation
    p = result.value
    half = 1.96 * np.sqrt(p * (1 - p) / 300)
    assert low == pytest.approx(p - half, abs=0.01)
    assert high == pytest.approx(p + half, abs=0.01)


def test_register_rejects_name_clashes_and_bad_classes() -> None:
    @dataclass(frozen=True)
    class Clash(MeanMetric):
        name: ClassVar[str] = "bleu"

    with pytest.raises(TypeError, match="taken"):
        register(Clash)

    class NotADataclass(Metric):
        name: ClassVar[str] = "_test_plain"

    with pytest.raises(TypeError, match="dataclass"):
        register(NotADataclass)


def test_metric_label_names_non_default_options() -> None:
    assert metric_label(get_metric("rouge")) == "rouge"
    assert metric_label(get_metric("rouge", rouge_type="rouge1")) == "rouge[rouge_type=rouge1]"
    assert metric_label(get_metric("high_risk_auprc", threshold=0.5)) == (
        "high_risk_auprc[threshold=0.5]"
    )


def test_public_api_is_sorted_and_exported() -> None:
    for name in metrics.__all__:
        assert hasattr(metrics, name)
    assert len(set(metrics.__all__)) == len(metrics.__all__)


# --------------------------------------------------------------------------- assay score


@pytest.fixture
def run_store(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    items = [
        Item("qa", str(i), "v1", f"q{i}", target)
        for i, target in enumerate(["Paris", "Rome", "Oslo"])
    ]
    outputs = {"m1": ["Paris", "rome", "Oslo."], "m2": ["Lyon", "Rome", None]}
    responses = [
        Response("r1", model, "qa", str(i), task_version="v1", output=text,
                 status="ok" if text is not None else "error")
        for model, texts in outputs.items()
        for i, text in enumerate(texts)
    ]  # fmt: skip
    passes = [
        Score("r1", "m1", "code", "p0", "pass", v, sample_index=s)
        for s, v in enumerate([1.0, 0.0, 1.0, 1.0])
    ] + [
        Score("r1", "m1", "code", "p1", "pass", v, sample_index=s)
        for s, v in enumerate([0.0, 0.0, 1.0, 0.0])
    ]
    with Store(path) as st:
        st.write({"runs": [Run("r1", "test")], "items": items, "responses": responses,
                  "scores": passes})  # fmt: skip
    return path


def test_rescore_writes_scores_and_aggregates_idempotently(run_store: Path) -> None:
    with Store(run_store) as st:
        first = rescore(st, "r1", get_metric("exact_match", ignore_case=True))
        rescore(st, "r1", get_metric("exact_match", ignore_case=True))
        rows = st.read("scores", where={"metric": first.label}, format="pandas")
        aggs = st.read("aggregates", where={"metric": first.label}, format="pandas")
    assert first.label == "exact_match[ignore_case=True]"
    assert len(rows) == 6  # one per response, not duplicated by the second run
    by_key = {(r.model_id, r.item_id): r.value for r in rows.itertuples()}
    assert by_key[("m1", "1")] == 1.0
    assert by_key[("m1", "2")] == 1.0
    assert np.isnan(by_key[("m2", "2")])  # an errored response is an unscored row
    values = dict(zip(aggs["model_id"], aggs["value"], strict=True))
    assert values == {"m1": 1.0, "m2": 0.5}
    assert first.results[("m2", "qa")].n_omitted == 1


def test_rescore_trial_metric_from_stored_outcomes(run_store: Path) -> None:
    with Store(run_store) as st:
        result = rescore(st, "r1", get_metric("pass_at_k", k=2))
        agg = st.read("aggregates", where={"metric": "pass_at_k[k=2]"}, format="pandas")
        with pytest.raises(InputError, match="no 'passed' scores"):
            rescore(st, "r1", get_metric("pass_rate"), outcome_metric="passed")
        with pytest.raises(InputError, match="no responses"):
            rescore(st, "nope", get_metric("bleu"))
    expected = ((1 - 0 / 6) + (1 - 3 / 6)) / 2  # c=3 and c=1 of n=4
    assert result.results[("m1", "code")].value == pytest.approx(expected)
    assert agg["value"].tolist() == [pytest.approx(expected)]


def test_score_command(run_store: Path) -> None:
    app = typer.Typer()
    app.command()(score)
    runner = CliRunner()
    res = runner.invoke(
        app, ["r1", "--metric", "token_f1", "--store", str(run_store), "-o", "json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["metric"] == "token_f1"
    assert doc["signature"]["metric"] == "token_f1"
    res = runner.invoke(
        app, ["r1", "-m", "pass_hat_k", "--option", "k=3", "--store", str(run_store), "-o", "csv"]
    )
    assert res.exit_code == 0, res.output
    assert "pass_hat_k[k=3]" in res.stdout
    bad = runner.invoke(app, ["r1", "-m", "bleu", "--option", "order=2", "--store", str(run_store)])
    assert bad.exit_code == 1
    missing = runner.invoke(app, ["zz", "-m", "bleu", "--store", str(run_store)])
    assert missing.exit_code == 1
    # a metric whose items are not text (a panel metric) is refused up front, naming what
    # can be recomputed over stored responses; nothing is written
    panel = runner.invoke(app, ["r1", "-m", "alpha_ic", "--store", str(run_store)])
    assert panel.exit_code == 1
    said = " ".join(panel.output.split())
    assert "alpha_ic does not grade a text response" in said
    assert "exact_match" in said
    assert "pass_at_k" in said
    with Store(run_store, read_only=True) as st:
        assert len(st.read("aggregates", where={"metric": "alpha_ic"})) == 0
    with Store(run_store, read_only=True) as st:
        assert len(st.read("scores", where={"metric": "token_f1"})) == 6
