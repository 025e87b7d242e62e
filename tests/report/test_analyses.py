"""The prediction backtest the report computes from a store with a model-size ladder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assay.report import ReportSource
from assay.schema import Aggregate, Model, Run
from assay.store import Store

pytest.importorskip("matplotlib", reason="plots need the web extra")
pytest.importorskip("plotly", reason="plots need the web extra")


def _ladder_store(path: Path, *, sizes: int) -> None:
    params = np.geomspace(1e7, 1e10, sizes)
    tokens = 20 * params
    # a noiseless power law in compute: score = 0.9 - 40 * C^-0.15
    scores = 0.9 - 40.0 * (6 * params * tokens) ** -0.15
    with Store(path) as st:
        st.write(
            {
                "runs": [Run(run_id="r", source="csv", granularity="aggregate")],
                "models": [
                    Model(model_id=f"toy-{i}", family="toy", parameters=p, training_tokens=t)
                    for i, (p, t) in enumerate(zip(params, tokens, strict=True))
                ],
                "aggregates": [
                    Aggregate(run_id="r", model_id=f"toy-{i}", task="qa", metric="acc", value=v)
                    for i, v in enumerate(scores)
                ],
            }
        )


def test_the_largest_model_is_predicted_from_the_smaller_ones(tmp_path: Path) -> None:
    _ladder_store(tmp_path / "s.duckdb", sizes=6)
    views = ReportSource(tmp_path / "s.duckdb").analyses
    assert [v.kind for v in views] == ["prediction"]
    view = views[0]
    assert view.plot_png is not None
    assert view.plot_png.startswith(b"\x89PNG")
    assert view.plot_html is not None
    assert "plotly" in view.plot_html.lower()
    assert view.table_html is not None
    assert "toy-5" in view.table_html
    assert "actual" in view.table_html
    assert view.signature


def test_no_backtest_without_a_ladder(tmp_path: Path) -> None:
    _ladder_store(tmp_path / "s.duckdb", sizes=3)  # too few sizes to hold one out
    assert ReportSource(tmp_path / "s.duckdb").analyses == ()


def test_the_largest_task_gets_a_subset_backtest(tmp_path: Path) -> None:
    from assay.schema import Score

    rng = np.random.default_rng(0)
    ability = rng.normal(size=12)
    difficulty = rng.normal(size=300)
    p = 1 / (1 + np.exp(-(ability[:, None] - difficulty[None, :])))
    y = (rng.random(p.shape) < p).astype(float)
    with Store(tmp_path / "s.duckdb") as st:
        st.write(
            {
                "runs": [Run(run_id="r", source="csv")],
                "scores": [
                    Score(
                        run_id="r",
                        model_id=f"m{i}",
                        task="big",
                        item_id=f"q{j}",
                        metric="acc",
                        value=float(y[i, j]),
                    )
                    for i in range(12)
                    for j in range(300)
                ],
            }
        )
    views = [v for v in ReportSource(tmp_path / "s.duckdb").analyses if v.kind == "subset"]
    assert len(views) == 1
    view = views[0]
    assert "big" in view.title
    assert view.plot_png is not None
    assert view.plot_png.startswith(b"\x89PNG")
    assert view.plot_html is not None
    assert "mean absolute error" in view.plot_html
    assert view.table_html is not None
    assert "anchor" in view.table_html
