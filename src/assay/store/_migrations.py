"""Schema versions of the store and the migrations between them.

The store records its schema version in the ``assay_meta`` table. Opening a store written
by an older assay runs each migration from its version up to :data:`SCHEMA_VERSION` inside
one transaction; a failure leaves the file exactly as it was. A store written by a newer
assay is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import duckdb

from assay.errors import StoreError
from assay.schema import SCHEMAS, TABLES, TableName
from assay.store._sql import execute

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "create_table_sql", "migrate"]

SCHEMA_VERSION: Final[int] = 1

# MIGRATIONS[v] upgrades a store from version v to v + 1. Version 1 is the first layout;
# a change to SCHEMAS bumps SCHEMA_VERSION and adds the step that brings old files along.
Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: dict[int, Migration] = {}

_DUCK_TYPES: Final[dict[str, str]] = {
    "string": "VARCHAR",
    "large_string": "VARCHAR",
    "double": "DOUBLE",
    "float": "FLOAT",
    "int64": "BIGINT",
    "int32": "INTEGER",
    "bool": "BOOLEAN",
    "timestamp[us, tz=UTC]": "TIMESTAMPTZ",
    "list<item: string>": "VARCHAR[]",
    "list<item: double>": "DOUBLE[]",
    "list<item: bool>": "BOOLEAN[]",
}


def create_table_sql(table: TableName) -> str:
    """The ``CREATE TABLE`` statement of ``table``, derived from its Arrow schema."""
    cols = []
    for f in SCHEMAS[table]:
        sql_type = _DUCK_TYPES[str(f.type)]
        cols.append(f'"{f.name}" {sql_type}{"" if f.nullable else " NOT NULL"}')
    return f'CREATE TABLE IF NOT EXISTS "{table}" ({", ".join(cols)})'


def _version(con: duckdb.DuckDBPyConnection) -> int | None:
    has_meta = con.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'assay_meta'"
    ).fetchall()[0][0]
    if not has_meta:
        return None
    rows = con.sql("SELECT value FROM assay_meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else None


def migrate(con: duckdb.DuckDBPyConnection, path: str, *, read_only: bool) -> int:
    """Create or upgrade the tables of the store behind ``con``; return its version."""
    version = _version(con)
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: the store has schema version {version}, newer than this assay "
            f"understands ({SCHEMA_VERSION}); upgrade assay to read it"
        )
    if version == SCHEMA_VERSION:
        return version
    if read_only:
        raise StoreError(
            f"{path}: the store has schema version {version} and needs migrating to "
            f"{SCHEMA_VERSION}; open it once without read_only to migrate it"
        )
    execute(con, "BEGIN TRANSACTION")
    try:
        if version is None:
            execute(con, "CREATE TABLE assay_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            for table in TABLES:
                execute(con, create_table_sql(table))
        else:
            for v in range(version, SCHEMA_VERSION):
                step = MIGRATIONS.get(v)
                if step is None:
                    raise StoreError(f"{path}: no migration from schema version {v} to {v + 1}")
                step(con)
        execute(
            con,
            "INSERT OR REPLACE INTO assay_meta VALUES ('schema_version', ?)",
            [str(SCHEMA_VERSION)],
        )
        execute(con, "COMMIT")
    except BaseException as exc:
        execute(con, "ROLLBACK")
        if isinstance(exc, StoreError):
            raise
        if isinstance(exc, duckdb.Error):
            raise StoreError(f"{path}: migrating the store failed: {exc}") from exc
        raise
    return SCHEMA_VERSION
