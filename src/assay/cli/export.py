"""``assay export --parquet DIR``: the store as a hive-partitioned Parquet dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, err, open_store
from assay.store import export_parquet

__all__ = ["export"]


@command
def export(
    parquet: Annotated[
        Path, typer.Option("--parquet", help="Directory to write the Parquet dataset to.")
    ],
    store: StoreOption = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing dataset at DIR.")
    ] = False,
) -> None:
    """Export every table to Parquet, partitioned by task, readable by DuckDB, Polars or
    Spark; `assay import DIR` reads it back into another store."""
    with open_store(store, read_only=True) as st:
        path = export_parquet(st, parquet, overwrite=overwrite)
        counts = st.counts()
    err.print(f"wrote {path}: " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
