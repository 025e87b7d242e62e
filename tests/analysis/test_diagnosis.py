"""Skill diagnosis: DINA and FinCDM recover simulated skills; Q-matrix from skill tags."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from assay.analysis.diagnosis import DINA, FinCDM, QMatrix, SkillMastery, q_matrix
from assay.analysis.irt import item_matrix
from assay.errors import InputError, NotFittedError
from assay.schema import Item, Run, Score
from assay.store import Store


def _simulate(
    n_models: int, n_items: int = 120, n_skills: int = 6, *, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """DINA data: items need 1-2 skills; per-item slip and guess in [0.05, 0.2]."""
    rng = np.random.default_rng(seed)
    Q = np.zeros((n_items, n_skills), dtype=int)
    for i in range(n_items):
        Q[i, rng.choice(n_skills, size=1 + i % 2, replace=False)] = 1
    alpha = (rng.random((n_models, n_skills)) < 0.5).astype(int)
    slip = rng.uniform(0.05, 0.2, n_items)
    guess = rng.uniform(0.05, 0.2, n_items)
    eta = (alpha @ Q.T == Q.sum(axis=1)).astype(float)
    p = eta * (1 - slip) + (1 - eta) * guess
    return (rng.random(p.shape) < p).astype(float), Q, alpha, slip, guess


def test_dina_recovers_mastery_slip_and_guess() -> None:
    Y, Q, alpha, slip, guess = _simulate(600, seed=0)
    dina = DINA().fit(Y, Q)
    assert dina.converged_
    m = dina.mastery_
    assert isinstance(m, SkillMastery)
    assert m.mastery.shape == (600, 6)
    accuracy = ((m.mastery > 0.5) == alpha).mean(axis=0)
    assert accuracy.min() >= 0.9
    assert (dina.map_pattern_ == alpha).all(axis=1).mean() >= 0.9
    assert np.abs(dina.slip_ - slip).mean() < 0.03
    assert np.abs(dina.guess_ - guess).mean() < 0.03
    assert np.corrcoef(dina.guess_, guess)[0, 1] > 0.7
    # the pattern prior matches the simulated (independent, p = 0.5) skills
    assert np.abs(dina.pattern_prior_ - 1 / 64).max() < 0.02
    # the reported uncertainty is honest: classifications with P near 1 or 0 are right
    sure = (m.mastery > 0.99) | (m.mastery < 0.01)
    assert ((m.mastery[sure] > 0.5) == alpha[sure]).mean() > 0.99
    pred = dina.predict_proba()
    assert pred.shape == Y.shape
    assert pred.min() > 0
    assert pred.max() < 1


def test_dina_e_step_matches_bayes_rule_by_hand() -> None:
    Y, Q, *_ = _simulate(30, n_items=40, n_skills=3, seed=1)
    Y[2, 5] = np.nan  # a missing answer is simply left out of the likelihood
    dina = DINA().fit(Y, Q)
    patterns = list(itertools.product((0, 1), repeat=3))
    for m in (0, 2):
        logpost = []
        for k, pat in enumerate(patterns):
            lp = np.log(dina.pattern_prior_[k])
            for i in range(40):
                if np.isnan(Y[m, i]):
                    continue
                has = all(pat[j] for j in range(3) if Q[i, j])
                p = 1 - dina.slip_[i] if has else dina.guess_[i]
                lp += np.log(p) if Y[m, i] == 1 else np.log(1 - p)
            logpost.append(lp)
        post = np.exp(np.array(logpost) - max(logpost))
        post /= post.sum()
        assert np.allclose(dina.posterior_[m], post, atol=1e-10)
        assert np.allclose(dina.mastery_.mastery[m], post @ np.array(patterns), atol=1e-10)


def test_fincdm_mastery_tracks_true_skills_with_intervals() -> None:
    Y, Q, alpha, _, _ = _simulate(40, seed=2)
    fin = FinCDM(seed=0, resamples=20).fit(Y, Q)
    m = fin.mastery_
    assert m.mastery.min() == 0.0
    assert m.mastery.max() == 1.0
    for k in range(6):
        assert spearmanr(m.mastery[:, k], alpha[:, k])[0] > 0.7
    assert np.all(m.low <= m.mastery)
    assert np.all(m.mastery <= m.high)
    assert m.signature["resamples"] == 20
    lacking = m.lacking(0.5)
    assert lacking
    precision = np.mean([alpha[int(x.model), int(x.skill)] == 0 for x in lacking])
    assert precision >= 0.9
    report = m.lacking_report()
    assert set(report) == set(m.models)
    # response reconstruction is informative (held-in AUC-like check)
    pred = fin.predict()
    assert np.corrcoef(pred.ravel(), Y.ravel())[0, 1] > 0.5
    again = FinCDM(seed=0, resamples=20).fit(Y, Q).mastery_
    assert np.array_equal(again.mastery, m.mastery)
    assert np.array_equal(again.high, m.high)


def test_dina_lacking_report_and_rendering() -> None:
    Y, Q, alpha, _, _ = _simulate(200, seed=3)
    m = DINA().fit(Y, Q).mastery_
    report = m.lacking_report()
    for r, model in enumerate(m.models[:20]):
        truly = {str(k) for k in range(6) if alpha[r, k] == 0}
        assert len(set(report[model]) ^ truly) <= 1
    cols, rows = m.to_rows()
    assert cols[:3] == ["model", "skill", "mastery"]
    assert len(rows) == 200 * 6
    assert "<table>" in m._repr_html_()
    assert m.to_dict()["lacking"] == report


def test_q_matrix_from_store_tags(store: Store) -> None:
    items = [
        Item("arith", f"a{i}", metadata={"skill": "arithmetic", "subskill": sub})
        for i, sub in enumerate(["add", "mul", "add", "sub"])
    ] + [Item("arith", "x", metadata={"other": 1})]
    store.write({"items": items})
    q = q_matrix(store, task="arith", key="subskill")
    assert q.skills == ("add", "mul", "sub")
    assert q.items == ("a0", "a1", "a2", "a3")
    assert q.Q.tolist() == [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]]
    q2 = q_matrix(store, task="arith")
    assert q2.skills == ("arithmetic",)
    frame = pd.DataFrame({"item_id": ["1", "2"], "skills": [["a", "b"], "b, c"]})
    q3 = q_matrix(frame)
    assert q3.Q.tolist() == [[1, 1, 0], [0, 1, 1]]
    assert q_matrix({"1": ["a"], "2": "b"}).skills == ("a", "b")
    with pytest.raises(InputError, match="no item has skill tags"):
        q_matrix(store, task="arith", key="nope")
    # end to end: scores and tags from the store
    rows = [
        Score("r", m, "arith", f"a{i}", "em", float((i + k) % 2))
        for k, m in enumerate(["m1", "m2", "m3"])
        for i in range(4)
    ]
    store.write({"runs": [Run("r", "t")], "scores": rows})
    Y = item_matrix(store, task="arith")
    fitted = DINA().fit(Y, q.align(Y.items))
    assert fitted.mastery_.models == ("m1", "m2", "m3")
    assert fitted.mastery_.skills == ("add", "mul", "sub")


def test_bad_input() -> None:
    Y, Q, *_ = _simulate(20, n_items=30, n_skills=3, seed=4)
    bad = Q.copy()
    bad[0] = 0
    with pytest.raises(InputError, match="need no skill"):
        DINA().fit(Y, bad)
    with pytest.raises(InputError, match="with 30"):
        DINA().fit(Y, Q[:10])
    with pytest.raises(InputError, match="at most 15"):
        DINA().fit(np.zeros((3, 16)), np.eye(16, dtype=int))
    qm = QMatrix(Q.astype(np.int8), tuple(f"i{k}" for k in range(30)), ("a", "b", "c"))
    with pytest.raises(InputError, match="no skill tags"):
        qm.align(["i0", "zz"])
    with pytest.raises(InputError, match="'rank' parameter of FinCDM"):
        FinCDM(rank=0).fit(Y, Q)
    with pytest.raises(NotFittedError):
        DINA().predict_proba()
    with pytest.raises(NotFittedError):
        FinCDM().predict()


def test_cli_diagnose(store: Store, tmp_path: Path) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from assay.cli.diagnose import diagnose

    Y, Q, alpha, _, _ = _simulate(60, n_items=60, n_skills=3, seed=5)
    items = [
        Item("t", f"q{i}", metadata={"skills": [f"s{k}" for k in range(3) if Q[i, k]]})
        for i in range(60)
    ]
    rows = [
        Score("r", f"m{m:02d}", "t", f"q{i}", "acc", float(Y[m, i]))
        for m in range(60)
        for i in range(60)
    ]
    store.write({"items": items, "runs": [Run("r", "test")], "scores": rows})
    store.close()
    path = store.path
    root = typer.Typer()
    root.command("diagnose")(diagnose)
    root.command("noop")(lambda: None)
    res = CliRunner().invoke(root, ["diagnose", "--store", path, "--task", "t", "-o", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["skills"] == ["s0", "s1", "s2"]
    mastery = np.array(data["mastery"])
    assert ((mastery > 0.5) == alpha).mean() >= 0.9
    res = CliRunner().invoke(root, ["diagnose", "--store", path, "--task", "t"])
    assert res.exit_code == 0
    assert "skills lacking" in res.stdout
