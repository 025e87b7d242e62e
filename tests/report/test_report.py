"""The report's numbers, smells, cards, plots and commands, against independent references."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from scipy import stats
from typer.testing import CliRunner

from assay.errors import InputError
from assay.report import (
    Plot,
    ReportSource,
    adjacent_separability,
    data_card,
    leaderboard,
    lint_leaderboard,
    load_card_file,
)
from assay.report._plots import plot_fragment
from assay.schema import Aggregate, Item, Model, Response, Run, Score
from assay.store import Store

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _scores(model: str, task: str, values: Any, run: str = "r1") -> list[Score]:
    return [
        Score(
            run_id=run, model_id=model, task=task, item_id=f"{i:04d}", metric="acc", value=float(v)
        )
        for i, v in enumerate(values)
    ]


def _run(run_id: str, minutes: int = 0, **kw: Any) -> Run:
    base = {"created_at": T0 + dt.timedelta(minutes=minutes), "code_hash": "c", "data_hash": "d"}
    base.update(kw)
    return Run(run_id=run_id, source="test", **base)


# --------------------------------------------------------------------------- separability


def test_separability_matches_a_paired_normal_interval(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 400
    base = rng.random(n)
    a = (base < 0.7).astype(float)
    b = (base + rng.normal(0, 0.2, n) < 0.6).astype(float)  # correlated with a
    a2 = rng.integers(0, 5, 150) / 4.0  # partial credit on a second task
    b2 = rng.integers(0, 5, 150) / 4.0
    with Store(tmp_path / "s.duckdb") as st:
        st.write(
            {
                "runs": [_run("r1")],
                "scores": _scores("A", "t1", a)
                + _scores("B", "t1", b)
                + _scores("A", "t2", a2)
                + _scores("B", "t2", b2),
            }
        )
        board = leaderboard(st, resamples=200)
        order = [r.model for r in board.rows]
        (sep,) = adjacent_separability(st, order, board.cells, confidence=0.9)
    sign = 1 if order[0] == "A" else -1
    d1, d2 = sign * (a - b), sign * (a2 - b2)
    # reference: a normal interval for a mean of two independent paired-difference means
    se = np.sqrt(stats.sem(d1) ** 2 + stats.sem(d2) ** 2) / 2
    lo, hi = stats.norm.interval(0.9, loc=(d1.mean() + d2.mean()) / 2, scale=se)
    assert sep.difference == pytest.approx((d1.mean() + d2.mean()) / 2, abs=1e-12)
    assert (sep.low, sep.high) == pytest.approx((lo, hi), abs=1e-12)
    assert sep.n_items == 550
    assert sep.n_tasks == 2
    assert sep.separable == (lo > 0 or hi < 0)


def test_separability_recovers_a_simulated_gap(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 2000
    with Store(tmp_path / "s.duckdb") as st:
        st.write(
            {
                "runs": [_run("r1")],
                "scores": _scores("strong", "t", rng.random(n) < 0.80)
                + _scores("mid1", "t", rng.random(n) < 0.60)
                + _scores("mid2", "t", rng.random(n) < 0.60),
            }
        )
        board = leaderboard(st, resamples=200, seed=0)
    assert board.rows[0].model == "strong"
    assert board.rows[0].separability.separable is True  # true gap 0.20
    assert board.rows[1].separability.separable is False  # true gap 0
    assert board.rows[2].separability is None


# --------------------------------------------------------------------------- leaderboard


def test_leaderboard_means_ranks_and_groups(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows: list[Score] = []
    truth = []
    for m, p in (("m1", 0.3), ("m2", 0.5), ("m3", 0.7)):
        for task, n in (("grp_a", 120), ("grp_b", 80), ("solo", 50)):
            v = (rng.random(n) < p).astype(float)
            rows += _scores(m, task, v)
            truth.append({"model": m, "task": task, "mean": v.mean()})
    with Store(tmp_path / "s.duckdb") as st:
        st.write({"runs": [_run("r1")], "scores": rows})
        board = leaderboard(st, resamples=300)
        sub = leaderboard(st, group="grp", resamples=300)
        with pytest.raises(InputError, match="'group' parameter"):
            leaderboard(st, group="nope")
    ref = pd.DataFrame(truth)
    macro = ref.groupby("model")["mean"].mean().sort_values(ascending=False)
    assert [r.model for r in board.rows] == list(macro.index)
    for r in board.rows:
        assert r.mean == pytest.approx(macro[r.model], abs=1e-12)
        assert r.ci_low <= r.mean <= r.ci_high
        for c in r.cells:
            assert c is not None
            assert c.ci_low <= c.mean <= c.ci_high
    assert board.groups == ("grp",)
    assert [t.task for t in sub.tasks] == ["grp_a", "grp_b"]
    grp = ref[ref.task.str.startswith("grp")].groupby("model")["mean"].mean()
    assert {r.model: r.mean for r in sub.rows} == pytest.approx(grp.to_dict(), abs=1e-12)
    assert "&lt;" not in board._repr_html_()
    json.loads(board.to_json())


def test_repr_html_escapes_names(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        st.write({"runs": [_run("r1")], "scores": _scores("<b>x</b>", "t", [1, 0, 1])})
        board = leaderboard(st, resamples=20)
    assert "<b>x</b>" not in board._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in board._repr_html_()


def test_cache_follows_store_changes_and_leaves_the_file_free(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        st.write({"runs": [_run("r1")], "scores": _scores("m1", "t", [1, 0, 1, 1])})
    source = ReportSource(path, resamples=20)
    first = source.leaderboard()
    assert source.leaderboard() is first  # cached
    with Store(path) as st:  # a writer can open the file between uses
        st.write({"scores": _scores("m2", "t", [0, 0, 1, 0])})
    again = source.leaderboard()
    assert again is not first
    assert [r.model for r in again.rows] == ["m1", "m2"]


# --------------------------------------------------------------------------- smells


def _smelly_store(path: Path) -> None:
    rng = np.random.default_rng(5)
    same = rng.random(300) < 0.5
    with Store(path) as st:
        st.write(
            {
                "runs": [
                    _run("r-old", 0, config={"configs": {"t1": {"num_fewshot": 0}}}),
                    _run("r-new", 10, config={"configs": {"t1": {"num_fewshot": 5}}}),
                    Run(run_id="r-bare", source="csv"),
                ],
                "models": [Model(model_id="Org/Model-X"), Model(model_id="org__model_x")],
                "responses": [
                    Response(
                        run_id="r-old",
                        model_id="Org/Model-X",
                        task="t1",
                        item_id=f"{i:04d}",
                        task_version="1",
                    )
                    for i in range(300)
                ]
                + [
                    Response(
                        run_id="r-new",
                        model_id="org__model_x",
                        task="t1",
                        item_id=f"{i:04d}",
                        task_version="2",
                    )
                    for i in range(300)
                ],
                "scores": _scores("Org/Model-X", "t1", same, "r-old")
                + _scores("org__model_x", "t1", same, "r-new")
                + _scores("short", "t1", rng.random(200) < 0.9, "r-bare")
                + _scores("Org/Model-X", "grp_a", rng.random(50) < 0.5, "r-old")
                + _scores("Org/Model-X", "grp_b", rng.random(50) < 0.5, "r-old")
                + _scores("org__model_x", "grp_a", rng.random(50) < 0.5, "r-new"),
                "aggregates": [
                    Aggregate(
                        run_id="r-bare", model_id="agg-only", task="t1", metric="acc", value=0.4
                    )
                ],
            }
        )


def test_lint_finds_each_smell_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    _smelly_store(path)
    with Store(path, read_only=True) as st:
        board = leaderboard(st, resamples=100)
        report = lint_leaderboard(
            st, board, contamination=[{"model": "short", "task": "t1", "reason": "leaked"}]
        )
    found = {s.code: s for s in report.smells}
    assert set(found) == {
        "no-interval",
        "non-separable",
        "mismatched-settings",
        "missing-provenance",
        "duplicate-model",
        "stale-task-version",
        "different-items",
        "incomplete-aggregate",
        "contamination",
    }
    assert found["no-interval"].rows[0]["model_id"] == "agg-only"
    assert {r["model"] for r in found["non-separable"].rows} >= {"Org/Model-X"} or {
        r["next_model"] for r in found["non-separable"].rows
    } >= {"Org/Model-X"}
    settings = {(r["model"], r["shots"]) for r in found["mismatched-settings"].rows}
    assert ("Org/Model-X", 0) in settings
    assert ("org__model_x", 5) in settings
    assert [r["run_id"] for r in found["missing-provenance"].rows] == ["r-bare"]
    reasons = " ".join(r["reason"] for r in found["duplicate-model"].rows)
    assert "alias" in reasons
    assert "identical item scores on t1" in reasons
    assert [
        (r["model_id"], r["version"], r["newest"]) for r in found["stale-task-version"].rows
    ] == [("Org/Model-X", "1", "2")]
    assert [(r["model"], r["items"], r["most"]) for r in found["different-items"].rows] == [
        ("short", 200, 300)
    ]
    assert [(r["model"], r["missing"]) for r in found["incomplete-aggregate"].rows] == [
        ("org__model_x", "grp_b")
    ]
    assert found["contamination"].rows[0]["reason"] == "leaked"
    assert report.to_dict()["smells"][0]["kind"]


def test_lint_of_a_clean_leaderboard_is_empty(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    with Store(tmp_path / "s.duckdb") as st:
        st.write(
            {
                "runs": [_run("r1"), _run("r2", 1)],
                "scores": _scores("good", "t", rng.random(500) < 0.9)
                + _scores("bad", "t", rng.random(500) < 0.2, "r2"),
            }
        )
        board = leaderboard(st, resamples=100)
        assert lint_leaderboard(st, board).ok


# --------------------------------------------------------------------------- cards and plots


def test_data_card_fields_markdown_and_validation(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        st.write(
            {
                "runs": [_run("r1")],
                "items": [
                    Item(
                        task="t|x",
                        item_id=str(i),
                        input="q",
                        metadata={"split": "test" if i < 3 else "dev"},
                    )
                    for i in range(5)
                ],
                "scores": _scores("m", "t|x", [1, 0, 1, 1, 0]),
            }
        )
        card = data_card(st, "t|x", fields={"licence": "CC-BY <4.0>"})
    assert card.n_items == 5
    assert card.splits == {"dev": 2, "test": 3}
    assert card.missing == ("origin", "intended_use", "known_issues")
    md = card.to_markdown()
    assert "# Data card: t\\|x" in md
    assert "CC-BY &lt;4.0&gt;" in md
    assert "test: 3" in md
    assert "<4.0>" not in card._repr_html_()
    bad = tmp_path / "cards.yaml"
    bad.write_text("tasks:\n  t:\n    licence: MIT\n    colour: red\n")
    with pytest.raises(InputError, match="unknown field"):
        load_card_file(bad)


def test_plot_png_and_plotly_show_the_same_data() -> None:
    values = (0.1, 0.5, 0.5, 0.9)
    plot = Plot("histogram", "difficulty </script><b>", values=values)
    fig = plot.plotly_json()
    assert fig["data"][0]["x"] == list(values)
    assert plot.png()[:8] == b"\x89PNG\r\n\x1a\n"
    frag = plot_fragment(plot, "p1", "x.png")
    assert "</script><b>" not in frag  # neither in the JSON block nor in the caption
    iv = Plot(
        "intervals", "r", labels=("a", "b"), estimates=(1.0, 2.0), low=(0.5, 1.5), high=(1.5, 3.0)
    )
    err = iv.plotly_json()["data"][0]["error_x"]
    assert err["array"] == [0.5, 1.0]
    assert err["arrayminus"] == [0.5, 0.5]
    assert iv.png()[:4] == b"\x89PNG"


# --------------------------------------------------------------------------- commands


def _app(*commands: Any) -> typer.Typer:
    app = typer.Typer()
    for name, fn in commands:
        app.command(name)(fn)
    app.command("noop", hidden=True)(lambda: None)
    return app


def test_lint_and_card_commands(tmp_path: Path) -> None:
    from assay.cli.card import card
    from assay.cli.lint_leaderboard import lint_leaderboard as lint_cmd

    path = tmp_path / "s.duckdb"
    _smelly_store(path)
    flags = tmp_path / "flags.csv"
    flags.write_text("model,task,reason\nshort,t1,seen in training\n")
    app = _app(("lint-leaderboard", lint_cmd), ("card", card))
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "lint-leaderboard",
            "--store",
            str(path),
            "-o",
            "json",
            "--contamination",
            str(flags),
            "--resamples",
            "50",
        ],
    )
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    assert "contamination" in {s["code"] for s in doc["smells"]}
    res = runner.invoke(app, ["card", "--store", str(path), "--task", "t1"])
    assert res.exit_code == 0
    assert "# Data card: t1" in res.stdout
    res = runner.invoke(app, ["card", "--store", str(path), "--model", "short"])
    assert res.exit_code == 0
    assert "| t1 |" in res.stdout


def test_report_and_serve_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.cli.report import report
    from assay.cli.serve import serve

    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        st.write({"runs": [_run("r1")], "scores": _scores("m", "t", [1, 0, 1])})
    app = _app(("report", report), ("serve", serve))
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "report",
            "--store",
            str(path),
            "--out",
            str(tmp_path / "site"),
            "--no-png",
            "--resamples",
            "20",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "static" / "vendor" / "plotly.min.js").stat().st_size > 1_000_000

    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    res = runner.invoke(app, ["serve", "--store", str(path)])
    assert res.exit_code == 0, res.output
    assert calls[0]["host"] == "127.0.0.1"
    methods = {m for r in calls[0]["app"].routes for m in getattr(r, "methods", ()) or ()}
    assert methods <= {"GET", "HEAD"}


def test_real_chembench_data_card(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        card = data_card(st, "chembench")
    assert card.n_items == 2854
    assert card.n_models == 22
    assert card.sources == ("long-table",)
