"""``assay import PATH...``: store other tools' results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, err, open_store, progress_bar
from assay.io import ImportFormat, ImportOutcome, import_paths

__all__ = ["import_"]


@command
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to import.")],
    store: StoreOption = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="Force one importer instead of detecting.")
    ] = "auto",
    replace: Annotated[
        bool, typer.Option("--replace", help="Re-write runs that are already stored.")
    ] = False,
) -> None:
    """Import lm-eval, Inspect, HELM, CSV/Parquet and pairwise files into the store.

    Each run is stored in one transaction: a malformed file stores nothing and is
    reported, the others are stored. Re-importing the same files changes nothing.
    Exits with 1 when any file failed.
    """
    fmt: ImportFormat = format  # type: ignore[assignment]  # validated by import_paths
    with (
        open_store(store, read_only=False) as st,
        progress_bar() as progress,
    ):
        bar = progress.add_task("importing", total=None)

        def on_progress(outcome: ImportOutcome, done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total, description=outcome.importer)

        report = import_paths(st, paths, format=fmt, replace=replace, on_progress=on_progress)
        counts = st.counts()
    shown = [o for o in report.outcomes if o.status != "skipped"]
    for o in shown:
        if o.status == "failed":
            err.print(f"[red]failed[/]    {_escape(o.error or '')}")
        elif o.status == "unchanged":
            err.print(f"unchanged  {o.importer:<13} {o.run_id}  (already stored)")
        else:
            rows = ", ".join(f"{n} {t}" for t, n in o.rows.items() if n)
            err.print(f"[green]stored[/]     {o.importer:<13} {o.run_id}  {rows}")
        for note in o.notes:
            err.print(f"           note: {_escape(note)}")
    stored = sum(o.status == "stored" for o in shown)
    unchanged = sum(o.status == "unchanged" for o in shown)
    skipped = len(report.outcomes) - len(shown)
    err.print(
        f"{stored} stored, {unchanged} unchanged, {len(report.failed)} failed"
        + (f", {skipped} unrecognised files under directories skipped" if skipped else "")
        + f"; store {st.path} holds "
        + ", ".join(f"{n} {t}" for t, n in counts.items() if n)
    )
    if not report.ok:
        raise typer.Exit(1)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
