"""``assay compare``: model A against model B on the items both were scored on."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assay.analysis.stats import compare as compare_models
from assay.cli._common import StoreOption, command, err, open_store, out

__all__ = ["compare"]

_METHODS = ("bootstrap", "permutation", "mcnemar", "sign")


@command
def compare(
    model_a: Annotated[str, typer.Argument(help="Model A (the difference is A - B).")],
    model_b: Annotated[str, typer.Argument(help="Model B.")],
    store: StoreOption = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Only this task (repeatable).")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(help="Metric to compare (default: each task's headline metric)."),
    ] = None,
    method: Annotated[
        str, typer.Option(help="bootstrap, permutation, mcnemar (0/1 scores) or sign.")
    ] = "bootstrap",
    interval: Annotated[
        str, typer.Option(help="Bootstrap interval: percentile or bca.")
    ] = "percentile",
    cluster: Annotated[
        str | None,
        typer.Option(help="Item metadata key whose items are resampled together (e.g. passage)."),
    ] = None,
    adjust: Annotated[str, typer.Option(help="Correction across tasks: holm or bh.")] = "holm",
    runs: Annotated[
        str, typer.Option(help="latest: each model's newest run per task; all: pool runs.")
    ] = "latest",
    confidence: Annotated[float, typer.Option(help="Interval level.")] = 0.95,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples / permutations.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
    format: Annotated[
        str, typer.Option("--format", "-o", help="table, csv or json (on stdout).")
    ] = "table",
) -> None:
    """Paired comparison of two models per task and pooled: the mean difference with its
    interval, the p-value and the p-value corrected across tasks (exit 1 for unknown
    models or when they share no scored item)."""
    if format not in ("table", "csv", "json"):
        raise typer.BadParameter(
            f"expected table, csv or json; got {format!r}", param_hint="--format"
        )
    if method not in _METHODS:
        raise typer.BadParameter(
            f"expected one of {', '.join(_METHODS)}; got {method!r}", param_hint="--method"
        )
    with open_store(store, read_only=True) as st:
        result = compare_models(
            st,
            model_a,
            model_b,
            task=task or None,
            metric=metric,
            method=method,  # type: ignore[arg-type]  # checked above
            interval=interval,  # type: ignore[arg-type]  # validated by compare
            cluster=cluster,
            adjust=adjust,  # type: ignore[arg-type]  # validated by compare
            runs=runs,  # type: ignore[arg-type]  # validated by compare
            confidence=confidence,
            resamples=resamples,
            seed=seed,
        )
    if format == "csv":
        result.to_pandas().drop(columns=["effect_low", "effect_high"]).to_csv(
            sys.stdout, index=False
        )
    elif format == "json":
        sys.stdout.write(result.to_json() + "\n")
    else:
        from assay._display import rich_table

        out.print(rich_table(*result.to_rows(), title=result.title))
        sig = result.signature
        err.print(
            f"{sig['method']}; A - B per item; p-values corrected across rows by "
            f"{sig['params']['adjust']}; resamples {sig['resamples']}, seed {sig['seed']}, "
            f"assay {sig['assay_version']}"
        )
