"""``assay monitor``: which benchmarks carry a usable signal over training checkpoints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, err, open_store, out

__all__ = ["monitor"]


@command
def monitor(
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Only this task (repeatable).")
    ] = None,
    metric: Annotated[str | None, typer.Option(help="Metric to follow (default acc).")] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Write monitor.png and monitor.html to this directory.")
    ] = None,
    format: Annotated[str, typer.Option("--format", "-o", help="table, csv or json.")] = "table",
    store: StoreOption = None,
) -> None:
    """Monotonicity, signal-to-noise, rank consistency and the E2LM composite of each task
    over the stored checkpoints (models with a checkpoint_step; one series per family and
    parameter count)."""
    from assay.analysis.predict import monitor_checkpoints, scaling_frame

    if format not in ("table", "csv", "json"):
        raise typer.BadParameter(
            f"expected table, csv or json; got {format!r}", param_hint="--format"
        )
    with open_store(store, read_only=True) as st:
        frame = scaling_frame(st, tasks=task, metric=metric)
    frame = frame.dropna(subset=["checkpoint_step"])
    if frame.empty:
        err.print("no scores of models with a checkpoint_step in the models table")
        raise typer.Exit(1)
    frame["series"] = (
        frame["family"].fillna("-") + "/" + frame["parameters"].map(lambda p: f"{p:.3g}")
    )
    result = monitor_checkpoints(frame)
    if format == "csv":
        result.table.to_csv(sys.stdout, index=False)
    elif format == "json":
        sys.stdout.write(result.to_json() + "\n")
    else:
        out.print(result)
    if plot is not None:
        from assay.analysis.predict._plot import plot_checkpoints

        png, html = plot_checkpoints(frame, plot)
        err.print(f"wrote {png} and {html}", markup=False)
