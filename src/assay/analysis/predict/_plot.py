"""Plots of predictions and checkpoint curves: a PNG (matplotlib) and an interactive HTML
page (plotly) of the same data. Both libraries are the ``web`` extra, imported lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from assay.analysis.predict._scaling import ScalingLaw, ScalingPrediction
from assay.errors import PrerequisiteError

__all__ = ["plot_checkpoints", "plot_prediction"]


def _libs() -> tuple[Any, Any]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import plotly.graph_objects as go
    except ImportError as exc:
        raise PrerequisiteError(
            f"plots need matplotlib and plotly ({exc.name} is missing): pip install 'assay[web]'"
        ) from None
    return plt, go


def _panels(law: ScalingLaw, prediction: ScalingPrediction) -> list[dict[str, Any]]:
    """The data behind each (task, family) panel: points, curve, band, predictions."""
    alpha = (1 - law.confidence) / 2
    out = []
    pred = prediction.to_pandas()
    for (task, family), rows in pred.groupby(["task", "family"], sort=True):
        data = law.data_[(law.data_["task"] == task) & (law.data_["family"] == family)]
        lo_x = float(min(data["x"].min(), rows["log10_compute"].min()))
        hi_x = float(max(data["x"].max(), rows["log10_compute"].max()))
        grid = np.linspace(lo_x - 0.1, hi_x + 0.1, 120)
        fit, draws = law.curve_values(str(task), str(family), grid)
        band = np.quantile(draws, [alpha, 1 - alpha], axis=0) if draws is not None else None
        out.append(
            {
                "task": task,
                "family": family,
                "data": data,
                "grid": grid,
                "fit": fit,
                "band": band,
                "pred": rows,
            }
        )
    return out


def plot_prediction(
    law: ScalingLaw, prediction: ScalingPrediction, directory: str | Path, *, name: str = "predict"
) -> tuple[Path, Path]:
    """Write ``NAME.png`` and ``NAME.html``: each (task, family) with the models' scores,
    the fitted curve, its bootstrap band and the predictions with their intervals."""
    plt, go = _libs()
    from plotly.subplots import make_subplots

    panels = _panels(law, prediction)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    n = len(panels)
    cols = min(3, n)
    nrows = (n + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.5 * cols, 3.4 * nrows), squeeze=False)
    hfig = make_subplots(
        rows=nrows, cols=cols, subplot_titles=[f"{p['task']} / {p['family']}" for p in panels]
    )
    for i, p in enumerate(panels):
        ax = axes[i // cols][i % cols]
        r, c = i // cols + 1, i % cols + 1
        if p["band"] is not None:
            ax.fill_between(p["grid"], p["band"][0], p["band"][1], alpha=0.25, label="curve band")
            hfig.add_trace(
                go.Scatter(
                    x=np.concatenate([p["grid"], p["grid"][::-1]]),
                    y=np.concatenate([p["band"][1], p["band"][0][::-1]]),
                    fill="toself",
                    opacity=0.25,
                    line={"width": 0},
                    name="curve band",
                    showlegend=i == 0,
                ),
                row=r,
                col=c,
            )
        ax.plot(p["grid"], p["fit"], label=f"{law.form} fit")
        hfig.add_trace(
            go.Scatter(
                x=p["grid"], y=p["fit"], mode="lines", name=f"{law.form} fit", showlegend=i == 0
            ),
            row=r,
            col=c,
        )
        d = p["data"]
        ax.scatter(d["x"], d["score"], color="black", s=14, label="models", zorder=3)
        hfig.add_trace(
            go.Scatter(
                x=d["x"],
                y=d["score"],
                mode="markers",
                text=d["model_id"],
                name="models",
                marker={"color": "black"},
                showlegend=i == 0,
            ),
            row=r,
            col=c,
        )
        pr = p["pred"]
        err = np.vstack([pr["prediction"] - pr["ci_low"], pr["ci_high"] - pr["prediction"]])
        ax.errorbar(
            pr["log10_compute"],
            pr["prediction"],
            yerr=err,
            fmt="o",
            color="red",
            label="prediction",
            zorder=4,
        )
        hfig.add_trace(
            go.Scatter(
                x=pr["log10_compute"],
                y=pr["prediction"],
                mode="markers",
                text=pr["model_id"],
                name="prediction",
                marker={"color": "red", "size": 9},
                showlegend=i == 0,
                error_y={"type": "data", "symmetric": False, "array": err[1], "arrayminus": err[0]},
            ),
            row=r,
            col=c,
        )
        ax.set_title(f"{p['task']} / {p['family']}", fontsize=9)
        ax.set_xlabel("log10 compute")
        ax.set_ylabel("score")
    for j in range(n, nrows * cols):
        axes[j // cols][j % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    png = directory / f"{name}.png"
    html = directory / f"{name}.html"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    hfig.update_layout(title=prediction.title, height=320 * nrows)
    hfig.write_html(html, include_plotlyjs=True, full_html=True)
    return png, html


def plot_checkpoints(
    frame: pd.DataFrame, directory: str | Path, *, series: str = "series", name: str = "monitor"
) -> tuple[Path, Path]:
    """Write ``NAME.png`` and ``NAME.html``: each task's score against checkpoint step, one
    line per series."""
    plt, go = _libs()
    from plotly.subplots import make_subplots

    step = "checkpoint_step" if "checkpoint_step" in frame.columns else "training_tokens"
    tasks = sorted(frame["task"].unique())
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cols = min(3, len(tasks))
    nrows = (len(tasks) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.5 * cols, 3.2 * nrows), squeeze=False)
    hfig = make_subplots(rows=nrows, cols=cols, subplot_titles=tasks)
    for i, task in enumerate(tasks):
        ax = axes[i // cols][i % cols]
        g = frame[frame["task"] == task]
        for s_name, s in g.groupby(series, sort=True):
            s = s.groupby(step)["score"].mean().sort_index()
            x = np.maximum(s.index.to_numpy(dtype=float), 1.0)
            ax.plot(x, s.to_numpy(), marker=".", label=str(s_name))
            hfig.add_trace(
                go.Scatter(
                    x=x, y=s.to_numpy(), mode="lines+markers", name=str(s_name), showlegend=i == 0
                ),
                row=i // cols + 1,
                col=i % cols + 1,
            )
        ax.set_xscale("log")
        ax.set_title(task, fontsize=9)
        ax.set_xlabel(step)
        hfig.update_xaxes(type="log", row=i // cols + 1, col=i % cols + 1)
    for j in range(len(tasks), nrows * cols):
        axes[j // cols][j % cols].axis("off")
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    png = directory / f"{name}.png"
    html = directory / f"{name}.html"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    hfig.update_layout(title="scores over checkpoints", height=300 * nrows)
    hfig.write_html(html, include_plotlyjs=True, full_html=True)
    return png, html
