"""The PRD Vicuna-80 verdicts (../shared/data/pairwise_vicuna80_prd): human-vote ratings
with intervals, agreement of each model judge with the humans, each judge's position
bias; through the Python API and the ``rank`` / ``agreement`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from assay.analysis.ranking import BradleyTerry
from assay.cli.agreement import agreement
from assay.cli.rank import rank
from assay.io import import_paths
from assay.io.tabular import PairwiseCsvImporter
from assay.judge import judge_agreement, position_bias
from assay.store import Store

JUDGES = {"bard", "claude", "gpt-3.5-turbo", "gpt-4", "vicuna-13b"}


def _csv(shared_data: Path) -> Path:
    return shared_data / "pairwise_vicuna80_prd" / "vicuna80_pairwise_judgments.csv"


@pytest.fixture
def verdicts(shared_data: Path) -> pd.DataFrame:
    table = PairwiseCsvImporter().read((_csv(shared_data),)).tables["comparisons"]
    frame: pd.DataFrame = table.to_pandas()
    return frame


@pytest.mark.shared_data
def test_human_vote_ratings(verdicts: pd.DataFrame) -> None:
    human = verdicts[verdicts["judge_kind"] == "human"]
    r = BradleyTerry().fit(human, bootstrap=500, seed=0).ratings_
    assert len(r) == 9
    assert {e.model for e in r.entries[:2]} == {"gpt4", "claude"}
    for e in r.entries:
        assert e.ci_low is not None
        assert e.ci_high is not None
        assert e.ci_low <= e.rating <= e.ci_high


@pytest.mark.shared_data
def test_judge_human_agreement(verdicts: pd.DataFrame) -> None:
    from sklearn.metrics import cohen_kappa_score

    result = judge_agreement(verdicts, resamples=300, seed=0)
    assert {r.judge for r in result.rows} == JUDGES | {"human"}
    for row in result.rows[1:]:
        assert row.n_units == 800  # 10 pairs of the 5 judged models x 80 questions
        assert row.n_items == 80
        assert row.agreement_ci is not None
        assert row.kappa_ci is not None
        assert row.agreement_ci[0] <= row.agreement <= row.agreement_ci[1]
        assert row.kappa_ci[0] <= row.kappa <= row.kappa_ci[1]  # type: ignore[operator]
    # GPT-4 agrees with the human majority more than the weakest judge does
    assert result.row("gpt-4").kappa > result.row("vicuna-13b").kappa  # type: ignore[operator]
    # independent check of GPT-4's kappa: pandas majority vote + scikit-learn
    v = verdicts.assign(
        lo=np.minimum(verdicts["model_a"], verdicts["model_b"]),
        flip=verdicts["model_a"] > verdicts["model_b"],
    )
    v["label"] = np.where(
        v["winner"] == "tie", "tie", np.where((v["winner"] == "a") ^ v["flip"], "lo", "hi")
    )
    v["pair"] = v[["model_a", "model_b"]].apply(lambda r: tuple(sorted(r)), axis=1)
    humans = v[v["judge_kind"] == "human"].groupby(["item_id", "pair"])["label"]
    majority = humans.agg(lambda s: s.mode()[0] if len(s.mode()) == 1 else None).dropna()
    gpt4 = v[v["judge"] == "gpt-4"].join(majority.rename("majority"), on=["item_id", "pair"])
    gpt4 = gpt4.dropna(subset=["majority"])
    expected = cohen_kappa_score(gpt4["majority"], gpt4["label"])
    assert result.row("gpt-4").kappa == pytest.approx(expected, abs=1e-12)
    assert result.row("gpt-4").n_kappa * 2 == len(gpt4)  # both orders of each unit


@pytest.mark.shared_data
def test_position_bias(verdicts: pd.DataFrame) -> None:
    result = position_bias(verdicts)
    assert {r.judge for r in result.rows} == JUDGES
    # independent consistency check for GPT-4: the same model preferred in both orders
    g = verdicts[verdicts["judge"] == "gpt-4"]
    win = np.where(
        g["winner"] == "a", g["model_a"], np.where(g["winner"] == "b", g["model_b"], "tie")
    )
    g = g.assign(win=win, pair=g[["model_a", "model_b"]].apply(lambda r: tuple(sorted(r)), axis=1))
    per_unit = g.groupby(["item_id", "pair"])["win"].agg(lambda s: s.nunique() == 1)
    assert result.row("gpt-4").consistency == pytest.approx(per_unit.mean())
    assert result.row("gpt-4").n_units == len(per_unit) == 800
    # the PRD paper reports GPT-4 favouring the first answer and Claude the second
    assert result.row("gpt-4").first_bias > result.row("gpt-4").second_bias
    assert result.row("gpt-4").pvalue < 1e-6
    assert result.row("claude").second_bias > result.row("claude").first_bias


@pytest.mark.shared_data
def test_rank_and_agreement_commands(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "assay.duckdb"
    with Store(path) as st:
        import_paths(st, [_csv(shared_data)])
        assert st.count("comparisons") == 15040
    app = typer.Typer()
    app.command("rank")(rank)
    app.command("agreement")(agreement)
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "rank",
            "--from",
            "pairwise",
            "--judge-kind",
            "human",
            "--store",
            str(path),
            "--resamples",
            "100",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    ratings = json.loads(res.stdout)["ratings"]
    assert len(ratings) == 9
    assert {r["model"] for r in ratings[:2]} == {"gpt4", "claude"}
    res = runner.invoke(
        app, ["agreement", "--store", str(path), "--resamples", "100", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert {r["judge"] for r in body["position_bias"]["rows"]} == JUDGES
    res = runner.invoke(app, ["agreement", "--store", str(path), "--resamples", "50"])
    assert res.exit_code == 0
    assert "gpt-4" in res.stdout
    res = runner.invoke(app, ["rank", "--from", "votes", "--store", str(path)])
    assert res.exit_code == 2
    res = runner.invoke(
        app, ["rank", "--from", "pairwise", "--judge", "nobody", "--store", str(path)]
    )
    assert res.exit_code == 1


def test_rank_from_scores_command(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    rows = ["model,task,item,score"]
    rng = np.random.default_rng(0)
    for m, p in (("strong", 0.8), ("mid", 0.5), ("weak", 0.2)):
        for t in ("t1", "t2", "t3"):
            rows += [f"{m},{t},{i},{int(rng.random() < p)}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    store = tmp_path / "assay.duckdb"
    with Store(store) as st:
        import_paths(st, [path])
    app = typer.Typer()
    app.command("rank")(rank)
    app.command("agreement")(agreement)
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "rank",
            "--from",
            "scores",
            "--store",
            str(store),
            "--format",
            "json",
            "--resamples",
            "200",
        ],
    )
    assert res.exit_code == 0, res.output
    entries = json.loads(res.stdout)["entries"]
    assert [e["model"] for e in entries] == ["strong", "mid", "weak"]
    for method in ("mean", "borda", "swiss"):
        res = runner.invoke(
            app,
            [
                "rank",
                "--from",
                "scores",
                "--method",
                method,
                "--store",
                str(store),
                "--resamples",
                "100",
                "--what-if",
            ],
        )
        assert res.exit_code == 0, res.output
        assert "strong" in res.stdout
    res = runner.invoke(app, ["rank", "--from", "scores", "--method", "elo", "--store", str(store)])
    assert res.exit_code == 2
    res = runner.invoke(app, ["agreement", "--store", str(store)])
    assert res.exit_code == 1  # no verdicts stored
