"""Writing an Arrow table to stdout as a rich table, CSV or JSON lines."""

from __future__ import annotations

import csv
import json
import sys

import pyarrow as pa

from assay._display import rich_table
from assay.cli._common import OutputFormat, out

__all__ = ["emit"]


def emit(table: pa.Table, format: OutputFormat, *, title: str | None = None) -> None:
    """Print ``table`` on stdout in ``format`` (JSON is one object per row, as a list)."""
    if format == "table":
        rows = [list(r.values()) for r in table.to_pylist()]
        out.print(rich_table(table.column_names, rows, title=title))
    elif format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(table.column_names)
        for r in table.to_pylist():
            writer.writerow(["" if v is None else v for v in r.values()])
    else:
        json.dump(table.to_pylist(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
