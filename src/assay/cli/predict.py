"""``assay predict``: predict a larger model's scores from a family's smaller ones."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from assay.cli._common import StoreOption, command, err, open_store, out

__all__ = ["predict"]

_METHODS = ("power_law", "sigmoid", "linear", "observational")


@command
def predict(
    target: Annotated[
        list[str] | None,
        typer.Option("--target", help="A model of the models table to predict (repeatable)."),
    ] = None,
    family: Annotated[str | None, typer.Option(help="Family of a target given by size.")] = None,
    parameters: Annotated[float | None, typer.Option(help="Target's parameter count.")] = None,
    tokens: Annotated[float | None, typer.Option(help="Target's training tokens.")] = None,
    flops: Annotated[float | None, typer.Option(help="Target's training FLOPs.")] = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Only this task (repeatable).")
    ] = None,
    method: Annotated[
        str, typer.Option(help="power_law, sigmoid, linear or observational.")
    ] = "power_law",
    chance: Annotated[float, typer.Option(help="Chance floor of the sigmoid.")] = 0.0,
    metric: Annotated[str | None, typer.Option(help="Metric to fit (default acc).")] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap replicates over models.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    backtest: Annotated[
        bool, typer.Option("--backtest", help="Hold out each family's largest model instead.")
    ] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Write predict.png and predict.html to this directory.")
    ] = None,
    format: Annotated[str, typer.Option("--format", "-o", help="table, csv or json.")] = "table",
    store: StoreOption = None,
) -> None:
    """Fit scaling curves on the stored scores of each family and predict TARGET's scores,
    with bootstrap intervals; families that cannot be fitted are named on stderr."""
    from assay.analysis.predict import ObservationalScaling, ScalingLaw, scaling_frame
    from assay.analysis.predict import backtest as run_backtest

    if method not in _METHODS:
        raise typer.BadParameter(
            f"expected one of {', '.join(_METHODS)}; got {method!r}", param_hint="--method"
        )
    if format not in ("table", "csv", "json"):
        raise typer.BadParameter(
            f"expected table, csv or json; got {format!r}", param_hint="--format"
        )
    with open_store(store, read_only=True) as st:
        frame = scaling_frame(st, tasks=task, metric=metric)
        models = st.read("models", format="pandas")
    if frame.empty:
        err.print("no scores match; `assay ls tasks` lists what is stored")
        raise typer.Exit(1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if backtest:
            result = run_backtest(frame, chance=chance, resamples=resamples, seed=seed)
            _emit(result.summary, format, result)
            for w in caught:
                err.print(f"warning: {w.message}", markup=False)
            return
        targets = _targets(models, target, family, parameters, tokens, flops)
        train = frame[~frame["model_id"].isin(targets["model_id"])]
        if method == "observational":
            model = ObservationalScaling(chance=chance, resamples=min(resamples, 200), seed=seed)
            prediction = model.fit(train).predict(targets, tasks=task)
        else:
            law = ScalingLaw(
                method,  # type: ignore[arg-type]  # checked against _METHODS above
                chance=chance,
                resamples=resamples,
                on_invalid="skip",
                seed=seed,
            ).fit(train)
            prediction = law.predict(targets)
    for w in caught:
        err.print(f"warning: {w.message}", markup=False)
    _emit(prediction.to_pandas(), format, prediction)
    if plot is not None:
        if method == "observational":
            err.print("plots are drawn for curve fits (power_law, sigmoid, linear)")
        else:
            from assay.analysis.predict._plot import plot_prediction

            png, html = plot_prediction(law, prediction, plot)
            err.print(f"wrote {png} and {html}", markup=False)


def _targets(
    models: pd.DataFrame,
    names: list[str] | None,
    family: str | None,
    parameters: float | None,
    tokens: float | None,
    flops: float | None,
) -> pd.DataFrame:
    rows = []
    for name in names or []:
        hit = models[models["model_id"] == name]
        if hit.empty:
            raise typer.BadParameter(
                f"no model {name!r} in the models table", param_hint="--target"
            )
        rows.append(hit.iloc[0].to_dict())
    if parameters is not None or flops is not None:
        if family is None:
            raise typer.BadParameter("a target given by size needs --family", param_hint="--family")
        rows.append(
            {
                "model_id": "target",
                "family": family,
                "parameters": parameters,
                "training_tokens": tokens,
                "training_flops": flops,
            }
        )
    if not rows:
        raise typer.BadParameter(
            "give --target MODEL or --family with --parameters/--flops", param_hint="--target"
        )
    return pd.DataFrame(rows)


def _emit(frame: pd.DataFrame, format: str, result: object) -> None:
    if format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif format == "json":
        sys.stdout.write(result.to_json() + "\n")  # type: ignore[attr-defined]
    else:
        out.print(result)
