"""Export the store to, and import it from, a hive-partitioned Parquet dataset.

Layout of a dataset directory::

    manifest.json                  format, schema version, assay version, row counts
    runs/data_0.parquet            small tables: one file
    models/data_0.parquet
    items/task=<task>/data_0.parquet          large tables: one folder per task
    responses/task=<task>/data_0.parquet      (the value is URL-encoded in the name)
    scores/task=<task>/...
    comparisons/task=<task>/...
    traces/task=<task>/...
    aggregates/task=<task>/...

Any engine that reads hive-partitioned Parquet reads it directly, e.g.
``duckdb.sql("FROM read_parquet('DIR/scores/**/*.parquet', hive_partitioning=true)")``,
``polars.scan_parquet("DIR/scores/**/*.parquet", hive_partitioning=True)`` or
``spark.read.parquet("DIR/scores")``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Final

import pyarrow as pa

from assay._version import __version__
from assay.errors import FormatError, InputError, StoreError
from assay.schema import SCHEMAS, TABLES, TableName, check_table
from assay.store._migrations import SCHEMA_VERSION
from assay.store._sql import execute
from assay.store._store import Store, WriteSummary

__all__ = ["FORMAT_NAME", "PARTITION_BY", "check_manifest", "export_parquet", "import_parquet"]

FORMAT_NAME: Final = "assay-parquet"
PARTITION_BY: Final[dict[TableName, str | None]] = {
    "runs": None,
    "models": None,
    "items": "task",
    "responses": "task",
    "scores": "task",
    "comparisons": "task",
    "traces": "task",
    "aggregates": "task",
}


def export_parquet(store: Store, directory: str | Path, *, overwrite: bool = False) -> Path:
    """Write every table of ``store`` to a hive-partitioned Parquet dataset.

    Parameters
    ----------
    store
        The store to export.
    directory
        The dataset directory; it must not exist or be empty unless ``overwrite``.
    overwrite
        Replace an existing dataset at ``directory``.

    Returns
    -------
    Path
        The dataset directory.
    """
    _check_store(store, "export_parquet")
    out = _check_directory(directory, "export_parquet")
    if out.exists() and not out.is_dir():
        raise InputError(
            f"the 'directory' parameter of export_parquet must be a directory; {out} is a file"
        )
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise StoreError(
                f"{out}: the directory is not empty; pass overwrite=True to replace it"
            )
        if not (out / "manifest.json").exists():
            raise StoreError(
                f"{out}: refusing to overwrite a non-empty directory that is not an assay "
                "Parquet dataset (no manifest.json)"
            )
        shutil.rmtree(out)
    tmp = out.with_name(out.name + ".partial")
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    except OSError as exc:
        raise StoreError(f"{out}: cannot create the dataset directory: {exc}") from exc
    counts: dict[str, int] = {}
    con = store.connection
    for table in TABLES:
        n = store.count(table)
        counts[table] = n
        if n == 0:
            continue
        part = PARTITION_BY[table]
        cols = ", ".join(f'"{c}"' for c in SCHEMAS[table].names)
        target = tmp / table
        if part is None:
            target.mkdir()
            execute(
                con,
                f"COPY (SELECT {cols} FROM \"{table}\") TO '{_sql_path(target / 'data_0.parquet')}' "
                "(FORMAT parquet, COMPRESSION zstd)",
            )
        else:
            execute(
                con,
                f"COPY (SELECT {cols} FROM \"{table}\") TO '{_sql_path(target)}' "
                f'(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ("{part}"))',
            )
    manifest = {
        "format": FORMAT_NAME,
        "schema_version": SCHEMA_VERSION,
        "assay_version": __version__,
        "tables": {t: {"rows": counts[t], "partition_by": PARTITION_BY[t]} for t in TABLES},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.rename(out)
    return out


def read_dataset_table(directory: str | Path, table: TableName) -> pa.Table:
    """Read one table of an exported dataset as Arrow, with the schema of :mod:`assay.schema`."""
    import duckdb

    root = _check_directory(directory, "read_dataset_table") / table
    schema = SCHEMAS[check_table(table, "read_dataset_table")]
    relaxed = pa.schema([f.with_nullable(True) for f in schema])
    if not root.exists():
        return relaxed.empty_table()
    cols = ", ".join(f'"{c}"' for c in schema.names)
    con = duckdb.connect()
    try:
        result = con.sql(
            f"SELECT {cols} FROM read_parquet('{_sql_path(root)}/**/*.parquet', "
            "hive_partitioning = true, hive_types_autocast = false)"
        ).to_arrow_table()
    except duckdb.Error as exc:
        raise FormatError(root, f"cannot read the Parquet files: {exc}") from exc
    finally:
        con.close()
    try:
        return result.cast(relaxed)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise FormatError(root, f"columns do not match the {table!r} schema: {exc}") from exc


def check_manifest(directory: str | Path, rows: dict[str, int] | None = None) -> dict[str, object]:
    """Validate the manifest of a dataset directory (and, given ``rows``, that the files
    hold as many rows per table as it lists); return the manifest."""
    root = Path(directory)
    manifest_path = root / "manifest.json"
    if not manifest_path.exists():
        raise FormatError(root, "not an assay Parquet dataset: manifest.json is missing")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as exc:
        raise FormatError(manifest_path, f"invalid JSON: {exc.msg}", line=exc.lineno) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        got = manifest.get("format") if isinstance(manifest, dict) else manifest
        raise FormatError(
            manifest_path, f"expected format {FORMAT_NAME!r}; got {got!r}", field="format"
        )
    version = manifest.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise FormatError(
            manifest_path,
            f"schema version {version!r} is not one this assay reads (<= {SCHEMA_VERSION})",
            field="schema_version",
        )
    expected = manifest.get("tables", {})
    if not isinstance(expected, dict) or not all(isinstance(e, dict) for e in expected.values()):
        raise FormatError(
            manifest_path, "expected a mapping of table names to {'rows': n}", field="tables"
        )
    for t, n in (rows or {}).items():
        listed = expected.get(t, {}).get("rows")
        if listed is not None and listed != n:
            raise FormatError(
                root / t,
                f"the manifest lists {listed} rows but the files hold {n}; "
                "the dataset is incomplete",
            )
    return manifest


def import_parquet(store: Store, directory: str | Path) -> WriteSummary:
    """Upsert every table of a Parquet dataset written by :func:`export_parquet` into
    ``store``, in one transaction (a failure stores nothing)."""
    _check_store(store, "import_parquet")
    check_manifest(_check_directory(directory, "import_parquet"))
    tables = {t: read_dataset_table(directory, t) for t in TABLES}
    check_manifest(directory, {t: a.num_rows for t, a in tables.items()})
    return store.write({t: a for t, a in tables.items() if a.num_rows})


def _check_store(store: object, func: str) -> None:
    if not isinstance(store, Store):
        raise InputError(
            f"the 'store' parameter of {func} must be an assay.store.Store; "
            f"got {type(store).__name__}"
        )


def _check_directory(directory: object, func: str) -> Path:
    if not isinstance(directory, str | os.PathLike) or not str(directory):
        raise InputError(
            f"the 'directory' parameter of {func} must be a directory path; got {directory!r}"
        )
    return Path(directory)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
