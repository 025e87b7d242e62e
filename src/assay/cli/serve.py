"""``assay serve``: the web leaderboard over a store, read-only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, err, store_path
from assay.errors import PrerequisiteError

__all__ = ["serve"]


@command
def serve(
    store: StoreOption = None,
    host: Annotated[
        str, typer.Option(help="Interface to bind (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0-65535).", min=0, max=65535)] = 8000,
    cards: Annotated[
        Path | None, typer.Option(help="YAML file of card fields (licence, intended use, ...).")
    ] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples of the intervals.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
) -> None:
    """Serve the leaderboard and its drill-down pages from the store.

    The store is opened read-only for each request and the app has no write endpoint;
    numbers are cached until the store file changes. Binds to 127.0.0.1 unless --host
    says otherwise.
    """
    from assay.report import ReportSource, create_app, load_card_file

    try:
        import uvicorn
    except ImportError:
        raise PrerequisiteError("assay serve needs uvicorn: pip install 'assay[web]'") from None
    path = store_path(store)
    source = ReportSource(
        path,
        cards=load_card_file(cards) if cards else None,
        resamples=resamples,
        seed=seed,
    )
    app = create_app(source)
    err.print(f"serving {path} (read-only) on http://{host}:{port}/  (Ctrl-C stops)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]warning:[/] bound to {host}: reachable from other machines")
    uvicorn.run(app, host=host, port=port, log_level="warning")
