"""``assay report --out DIR``: the web pages as a static site that opens from disk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, err, progress_bar, store_path

__all__ = ["report"]


@command
def report(
    out: Annotated[Path, typer.Option("--out", "-O", help="Folder to write the site to.")],
    store: StoreOption = None,
    cards: Annotated[
        Path | None, typer.Option(help="YAML file of card fields (licence, intended use, ...).")
    ] = None,
    max_item_pages: Annotated[
        int | None, typer.Option(help="At most this many item-explorer pages per task.")
    ] = None,
    png: Annotated[bool, typer.Option(help="Also write every plot as a PNG.")] = True,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples of the intervals.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
) -> None:
    """Write the leaderboard, model, task, item, pairwise and analysis pages, the cards
    (Markdown) and the plots (PNG) under --out; open OUT/index.html in a browser."""
    from assay.report import ReportSource, export_site, load_card_file

    source = ReportSource(
        store_path(store),
        cards=load_card_file(cards) if cards else None,
        resamples=resamples,
        seed=seed,
    )
    with progress_bar() as progress:
        bar = progress.add_task("leaderboard", total=None)

        def on_progress(section: str, done: int, total: int) -> None:
            progress.update(bar, description=section, completed=done, total=total)

        files = export_site(
            source, out, max_item_pages=max_item_pages, png=png, on_progress=on_progress
        )
    err.print(f"wrote {len(files)} files; open {out / 'index.html'}")
