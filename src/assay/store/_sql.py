"""Running a statement on a DuckDB connection to completion.

DuckDB 2 keeps a statement's result open until it is fetched, and refuses further work on
the connection meanwhile (even an ``INSERT`` returns a row count). Every statement the
store runs for its effect goes through :func:`execute`, which fetches the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

__all__ = ["execute"]


def execute(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run ``sql`` and return all its rows (the connection is free afterwards)."""
    return con.execute(sql, list(params) if params else []).fetchall()
