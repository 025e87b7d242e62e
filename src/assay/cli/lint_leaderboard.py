"""``assay lint-leaderboard``: the smells that make a published ranking misleading."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, err, out, store_path
from assay.errors import InputError

__all__ = ["lint_leaderboard"]


def _flags(path: Path) -> list[dict[str, str]]:
    """Contamination flags from a CSV with columns model, task and (optional) reason."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the contamination flags: {exc}") from exc
    for i, r in enumerate(rows, start=2):
        if not r.get("model") or not r.get("task"):
            raise InputError(f"{path}, line {i}: a flag needs 'model' and 'task' columns")
    return [{"model": r["model"], "task": r["task"], "reason": r.get("reason") or ""} for r in rows]


@command
def lint_leaderboard(
    store: StoreOption = None,
    group: Annotated[str | None, typer.Option(help="Only this task group.")] = None,
    contamination: Annotated[
        Path | None,
        typer.Option(help="CSV of suspected contamination (columns model, task, reason)."),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-o", help="table or json (on stdout).")
    ] = "table",
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples of the intervals.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
) -> None:
    """Check the store's leaderboard for smells: missing or non-separating intervals,
    mismatched settings, missing provenance, duplicate or aliased models, stale task
    versions, different item subsets, incomplete aggregates, contamination flags.
    Each smell lists the rows that cause it. Exits with 1 when a smell is found."""
    if format not in ("table", "json"):
        raise typer.BadParameter(f"expected table or json; got {format!r}", param_hint="--format")
    from assay.report import ReportSource

    source = ReportSource(
        store_path(store),
        contamination=_flags(contamination) if contamination else None,
        resamples=resamples,
        seed=seed,
    )
    report = source.lint(group)
    if format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, default=str) + "\n")
    else:
        out.print(report)
        for s in report.smells:
            err.print(f"{s.code}: {len(s.rows)} row(s); `-o json` lists them")
    if not report.ok:
        raise typer.Exit(1)
