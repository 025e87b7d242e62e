"""Per-choice probability analysis (simulated family, against scipy's correlations, from a
store), training monitoring (simulated curves and the Pythia checkpoints), plots and the
predict / monitor / run --until-pass commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from scipy.stats import kendalltau
from typer.testing import CliRunner

from assay.analysis.predict import (
    ScalingLaw,
    choice_analysis,
    choice_metrics,
    kendall_tau_rows,
    monitor_checkpoints,
)
from assay.errors import InputError
from assay.schema import Item, Model, Response, Run, Score
from assay.store import Store


def _family(seed: int = 1, n_items: int = 500) -> pd.DataFrame:
    """The methods notes' simulation: the correct choice's log-likelihood trends with
    compute, the incorrect ones drift at random per item."""
    rng = np.random.default_rng(seed)
    logc = np.linspace(0, 3.5, 8)
    beta = rng.normal(0.2, 0.4, (n_items, 3))
    rows = []
    for m, lc in enumerate(logc):
        correct = -3 + 0.5 * lc + rng.normal(0, 0.05, n_items)
        wrong = -3 + beta * lc + rng.normal(0, 0.3, (n_items, 3))
        for i in range(n_items):
            rows.append(
                {
                    "model_id": f"m{m}",
                    "family": "f",
                    "training_flops": 10 ** (20 + lc),
                    "task": "t",
                    "item_id": f"i{i}",
                    "gold": 0,
                    "choice_logprobs": [correct[i], *wrong[i]],
                }
            )
    return pd.DataFrame(rows)


def test_choice_metrics_by_hand() -> None:
    lp = np.array([[np.log(0.5), np.log(0.3), np.log(0.2)], [np.log(0.1), np.log(0.6), np.nan]])
    met = choice_metrics(lp, np.array([0, 0]))
    assert met["p_choices"].tolist() == pytest.approx([0.5, 0.1 / 0.7])
    assert met["acc"].tolist() == [1.0, 0.0]
    assert met["neg_brier"][0] == pytest.approx(-(0.25 + 0.09 + 0.04))
    assert met["p_correct"][1] == pytest.approx(0.1)


def test_kendall_tau_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    x = np.arange(9.0)
    v = rng.integers(0, 3, (50, 9)).astype(float)  # many ties
    ours = kendall_tau_rows(x, v)
    for row, t in zip(v, ours, strict=True):
        ref = kendalltau(x, row).statistic
        assert (np.isnan(t) and np.isnan(ref)) or t == pytest.approx(ref)


def test_predictability_degrades_along_the_chain() -> None:
    result = choice_analysis(_family())
    s = result.summary.set_index("metric")
    assert s.loc["logp_correct", "mean"] > 0.99
    assert s.loc["logp_correct", "mean"] > s.loc["p_choices", "mean"] > s.loc["acc", "mean"]
    assert s.loc["acc", "nan_fraction"] > 0
    assert s.loc["logp_correct", "nan_fraction"] == 0 == s.loc["p_choices", "nan_fraction"]
    pearson = choice_analysis(_family(), method="pearson").summary.set_index("metric")
    assert pearson.loc["logp_correct", "mean"] > pearson.loc["p_correct", "mean"]


def test_choice_analysis_from_store(tmp_path: Path) -> None:
    fam = _family(n_items=20)
    with Store(tmp_path / "s.duckdb") as st:
        st.write(
            {
                "runs": [Run(run_id="r", source="assay")],
                "models": [
                    Model(model_id=f"m{m}", family="f", training_flops=10 ** (20 + lc))
                    for m, lc in enumerate(np.linspace(0, 3.5, 8))
                ],
                "items": [
                    Item(task="t", item_id=f"i{i}", target="a", choices=["a", "b", "c", "d"])
                    for i in range(20)
                ],
                "responses": [
                    Response(
                        run_id="r",
                        model_id=r.model_id,
                        task="t",
                        item_id=r.item_id,
                        task_version="",
                        choice_logprobs=r.choice_logprobs,
                    )
                    for r in fam.itertuples()
                ],
            }
        )
        from_store = choice_analysis(st, task="t")
    direct = choice_analysis(fam)
    pd.testing.assert_frame_equal(from_store.summary, direct.summary)
    with pytest.raises(InputError, match="at least 3"):
        choice_analysis(fam[fam["model_id"].isin(["m0", "m1"])])


def _curves(seed: int, noise: dict[str, float], amp: dict[str, float]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    steps = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) * 1000
    rows = []
    for s, scale in enumerate([1.0, 1.3, 1.6, 2.0]):  # larger models learn more
        for task in noise:
            y = (
                0.25
                + amp[task] * scale * (1 - np.exp(-steps / 60_000))
                + rng.normal(0, noise[task], len(steps))
            )
            rows += [
                {"series": f"s{s}", "checkpoint_step": st, "task": task, "score": v}
                for st, v in zip(steps, y, strict=True)
            ]
    return pd.DataFrame(rows)


def test_monitor_separates_good_and_noisy_benchmarks() -> None:
    frame = _curves(0, {"good": 0.003, "noisy": 0.03}, {"good": 0.15, "noisy": 0.005})
    table = monitor_checkpoints(frame).table.set_index("task")
    assert table.loc["good", "sq"] > 0.8
    assert table.loc["noisy", "sq"] < 0.2
    assert table.loc["good", "rank_consistency"] > 0.6 > table.loc["noisy", "rank_consistency"]
    assert table.loc["good", "e2lm"] > table.loc["noisy", "e2lm"]
    assert np.isnan(table.loc["good", "cs"])
    with_cs = monitor_checkpoints(frame, science=["s3"], web=["s0"]).table.set_index("task")
    assert with_cs.loc["good", "cs"] > 0
    with pytest.raises(InputError, match="at least 3"):
        monitor_checkpoints(frame[frame["checkpoint_step"] <= 2000])


@pytest.mark.shared_data
def test_monitor_pythia_checkpoints(shared_data: Path) -> None:
    d = pd.read_csv(shared_data / "pythia_scaling" / "pythia_opt_bloom_lm_eval_tidy.csv.gz")
    d = d[
        (d["model_family"] == "pythia")
        & (d["shots"] == 0)
        & (d["metric"] == "acc")
        & d["task"].isin(["lambada_openai", "arc_easy", "piqa", "logiqa", "wsc"])
    ]
    frame = d.rename(columns={"model_name": "series", "step": "checkpoint_step", "value": "score"})
    table = monitor_checkpoints(frame).table.set_index("task")
    # LAMBADA and ARC-Easy rise steadily from early on; LogiQA and WSC stay near chance
    assert min(table.loc["lambada_openai", "e2lm"], table.loc["arc_easy", "e2lm"]) > max(
        table.loc["logiqa", "e2lm"], table.loc["wsc", "e2lm"]
    )


def test_plots_write_png_and_html(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("plotly")
    from assay.analysis.predict._plot import plot_checkpoints, plot_prediction

    params = np.geomspace(1e8, 1e10, 5)
    frame = pd.DataFrame(
        {
            "model_id": [f"m{i}" for i in range(5)],
            "family": "f",
            "parameters": params,
            "training_tokens": 3e11,
            "task": "t",
            "score": 0.3 + 0.05 * np.arange(5),
        }
    )
    law = ScalingLaw("power_law", resamples=50).fit(frame)
    pred = law.predict(
        pd.DataFrame(
            {"family": ["f"], "parameters": [3e10], "training_tokens": [3e11], "model_id": ["big"]}
        )
    )
    png, html = plot_prediction(law, pred, tmp_path)
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "plotly" in html.read_text()
    png2, html2 = plot_checkpoints(_curves(0, {"good": 0.01}, {"good": 0.1}), tmp_path)
    assert png2.stat().st_size > 1000
    assert html2.stat().st_size > 1000


# ---------------------------------------------------------------- commands


def _app() -> typer.Typer:
    from assay.cli.monitor import monitor
    from assay.cli.predict import predict
    from assay.cli.run import run

    app = typer.Typer()
    app.command("predict")(predict)
    app.command("monitor")(monitor)
    app.command("run")(run)
    return app


def _scaling_store(path: Path) -> None:
    params = [1e8, 3e8, 1e9, 3e9, 1e10]
    with Store(path) as st:
        st.write(
            {
                "runs": [Run(run_id="r", source="assay")],
                "models": [
                    Model(model_id=f"m{i}", family="f", parameters=p, training_tokens=3e11)
                    for i, p in enumerate(params)
                ]
                + [Model(model_id="big", family="f", parameters=1e11, training_tokens=3e11)]
                + [
                    Model(
                        model_id=f"m{i}@{s}",
                        family="g",
                        parameters=p,
                        training_tokens=3e11,
                        checkpoint_step=s,
                    )
                    for i, p in enumerate(params[:2])
                    for s in (1, 10, 100, 1000)
                ],
                "scores": [
                    Score(
                        run_id="r",
                        model_id=f"m{i}",
                        task="t",
                        item_id=f"q{q}",
                        metric="acc",
                        value=float(q < 10 + 6 * i),
                    )
                    for i in range(5)
                    for q in range(40)
                ]
                + [
                    Score(
                        run_id="r",
                        model_id=f"m{i}@{s}",
                        task="t",
                        item_id=f"q{q}",
                        metric="acc",
                        value=float(q < 5 + 3 * k + i),
                    )
                    for i in range(2)
                    for k, s in enumerate((1, 10, 100, 1000))
                    for q in range(40)
                ],
            }
        )


def test_predict_and_monitor_commands(tmp_path: Path) -> None:
    pytest.importorskip("plotly")
    db = tmp_path / "s.duckdb"
    _scaling_store(db)
    runner = CliRunner()
    res = runner.invoke(
        _app(),
        [
            "predict",
            "--store",
            str(db),
            "--target",
            "big",
            "--task",
            "t",
            "--resamples",
            "100",
            "--plot",
            str(tmp_path / "p"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout[: res.stdout.rindex("}") + 1])["rows"]
    assert [r["model_id"] for r in rows] == ["big"]
    assert rows[0]["ci_low"] < rows[0]["prediction"]
    assert (tmp_path / "p" / "predict.png").exists()
    assert (tmp_path / "p" / "predict.html").exists()
    res = runner.invoke(_app(), ["monitor", "--store", str(db), "--plot", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "e2lm" in res.stdout
    assert (tmp_path / "m" / "monitor.html").exists()
    res = runner.invoke(
        _app(), ["predict", "--store", str(db), "--method", "cubic", "--target", "big"]
    )
    assert res.exit_code == 2


def test_run_until_pass_command(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        _app(),
        [
            "run",
            "--task",
            "builtin:arithmetic_gen",
            "--model",
            "mock",
            "--limit",
            "3",
            "--until-pass",
            "20",
            "--store",
            str(tmp_path / "s.duckdb"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "PassUntil" in res.stdout
    with Store(tmp_path / "s.duckdb", read_only=True) as st:
        assert st.count("responses") > 0
