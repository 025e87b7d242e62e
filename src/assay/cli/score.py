"""``assay score RUN --metric NAME``: recompute a metric over a run's stored responses."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape

from assay.cli._common import StoreOption, command, err, fail, open_store, out
from assay.errors import InputError
from assay.metrics import get_metric, list_metrics
from assay.metrics._rescore import rescore

__all__ = ["score"]


def _parse_option(text: str) -> tuple[str, Any]:
    """``k=v``: the value read as JSON when it parses (numbers, true/false, null, lists),
    else as a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise typer.BadParameter(f"expected KEY=VALUE; got {text!r}", param_hint="--option")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


@command
def score(
    run: Annotated[str, typer.Argument(help="A run id, or a unique prefix of one.")],
    metric: Annotated[str, typer.Option("--metric", "-m", help="Registered metric name.")] = "",
    option: Annotated[
        list[str] | None,
        typer.Option("--option", help="Metric option KEY=VALUE (repeatable); JSON values."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--as", help="Store the rows under this metric name (default: derived)."),
    ] = None,
    outcome_metric: Annotated[
        str, typer.Option(help="Trial metrics: the stored per-sample outcome metric.")
    ] = "pass",
    store: StoreOption = None,
    format: Annotated[
        str, typer.Option("--format", "-o", help="table, csv or json (on stdout).")
    ] = "table",
) -> None:
    """Recompute a metric over a run's stored responses (output against the item's
    target) and store per-response score rows and per-model-task aggregate rows, without
    running the model again. Re-running replaces the same rows (idempotent)."""
    if format not in ("table", "csv", "json"):
        raise typer.BadParameter(
            f"expected table, csv or json; got {format!r}", param_hint="--format"
        )
    if not metric:
        raise fail(f"give --metric NAME, one of: {', '.join(list_metrics())}", code=2)
    options = dict(_parse_option(o) for o in option or [])
    chosen = get_metric(metric, **options)
    with open_store(store, read_only=False) as st:
        matches = (
            st.query("SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY run_id", [run])
            .column("run_id")
            .to_pylist()
        )
        if not matches:
            raise InputError(f"no run {run!r} in {st.path}; `assay ls runs` lists them")
        if len(matches) > 1 and run not in matches:
            raise InputError(f"{run!r} matches {len(matches)} runs: {', '.join(matches[:5])}")
        run_id = run if run in matches else matches[0]
        result = rescore(st, run_id, chosen, label=name, outcome_metric=outcome_metric)
    cols, rows = result.to_rows()
    if format == "json":
        doc = {
            "run_id": run_id,
            "metric": result.label,
            "signature": next(iter(result.results.values())).signature,
            "rows": [dict(zip(cols, r, strict=True)) for r in rows],
        }
        json.dump(doc, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    elif format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(cols)
        writer.writerows(rows)
    else:
        from assay._display import rich_table

        out.print(rich_table(cols, rows, title=f"{result.label} on run {run_id}"))
    err.print(
        f"stored {result.n_scores} score rows and {len(rows)} aggregate rows as "
        f"{escape(result.label)!r} (assay score is idempotent: re-running replaces them)"
    )
