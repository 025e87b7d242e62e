"""``assay scores``: the model x task table of means with bootstrap intervals."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assay.analysis.stats import scores_table
from assay.cli._common import StoreOption, command, err, open_store, out

__all__ = ["scores"]


@command
def scores(
    store: StoreOption = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Only this task (repeatable).")
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only this model (repeatable).")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(help="Metric to average (default: each task's headline metric)."),
    ] = None,
    runs: Annotated[
        str, typer.Option(help="latest: each model's newest run per task; all: pool runs.")
    ] = "latest",
    confidence: Annotated[float, typer.Option(help="Interval level.")] = 0.95,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
    format: Annotated[
        str, typer.Option("--format", "-o", help="table, wide, csv or json (on stdout).")
    ] = "table",
) -> None:
    """Mean score of each model on each task with percentile bootstrap intervals,
    computed from the stored item rows (items resampled, samples averaged per item)."""
    if format not in ("table", "wide", "csv", "json"):
        raise typer.BadParameter(
            f"expected table, wide, csv or json; got {format!r}", param_hint="--format"
        )
    with open_store(store, read_only=True) as st:
        result = scores_table(
            st,
            metric=metric,
            tasks=task,
            models=model,
            runs=runs,  # type: ignore[arg-type]  # validated by scores_table
            confidence=confidence,
            resamples=resamples,
            seed=seed,
        )
    if not len(result):
        err.print("no item-level scores match; `assay ls tasks` lists what is stored")
        raise typer.Exit(1)
    if format == "csv":
        result.to_pandas().assign(runs=lambda d: d["runs"].map(" ".join)).to_csv(
            sys.stdout, index=False
        )
    elif format == "json":
        sys.stdout.write(result.to_json() + "\n")
    else:
        from assay._display import rich_table

        cols, rows = result.to_rows("wide" if format == "wide" else "long")
        out.print(rich_table(cols, rows, title=result.title))
        sig = result.signature
        err.print(
            f"{sig['method']}; {sig['resamples']} resamples, seed {sig['seed']}, "
            f"runs={sig['runs']}, assay {sig['assay_version']}"
        )
