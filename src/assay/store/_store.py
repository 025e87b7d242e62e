"""The results store: one DuckDB file holding every table of :mod:`assay.schema`."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay.errors import InputError, StoreError
from assay.schema import (
    KEYS,
    NON_NEGATIVE,
    SCHEMAS,
    TABLES,
    VALUES,
    TableName,
    check_table,
    records_to_table,
)
from assay.store._migrations import migrate
from assay.store._sql import execute

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

__all__ = ["DEFAULT_STORE", "Store", "WriteSummary"]

DEFAULT_STORE = "assay.duckdb"

Frame = Literal["arrow", "pandas", "polars"]
Filter = Mapping[str, Any]
_staging = itertools.count()


@dataclass(frozen=True, slots=True)
class WriteSummary:
    """What one transactional write did, per table.

    ``new[t]`` rows of table ``t`` had keys not stored before; ``replaced[t]`` rows
    replaced stored rows with the same key (an upsert).
    """

    new: Mapping[str, int] = field(default_factory=dict)
    replaced: Mapping[str, int] = field(default_factory=dict)

    @property
    def total_new(self) -> int:
        """Rows added over all tables."""
        return sum(self.new.values())

    def merge(self, other: WriteSummary) -> WriteSummary:
        """The summary of this write followed by ``other``."""
        new = dict(self.new)
        replaced = dict(self.replaced)
        for t, n in other.new.items():
            new[t] = new.get(t, 0) + n
        for t, n in other.replaced.items():
            replaced[t] = replaced.get(t, 0) + n
        return WriteSummary(new=new, replaced=replaced)


class Store:
    """The results store, a single DuckDB file.

    Parameters
    ----------
    path
        The database file (created with the current schema when missing), or
        ``":memory:"`` for a store that lives only as long as the object.
    read_only
        Open without the right to write; several readers may share a file.

    Notes
    -----
    Every :meth:`write` is one transaction: either all its rows are stored or none are.
    A key written twice is an upsert. DuckDB allows one writing process per file; a
    second writer gets a :class:`~assay.errors.StoreError` naming the lock.
    """

    def __init__(self, path: str | Path = DEFAULT_STORE, *, read_only: bool = False) -> None:
        if not isinstance(path, str | os.PathLike) or not str(path):
            raise InputError(
                f"the 'path' parameter of Store must be a file path or ':memory:'; got {path!r}"
            )
        if not isinstance(read_only, bool):
            raise InputError(
                f"the 'read_only' parameter of Store must be True or False; got {read_only!r}"
            )
        self.path = str(path)
        self.read_only = read_only
        self._closed = False
        if read_only and self.path != ":memory:" and not Path(self.path).exists():
            raise StoreError(f"{self.path}: no store at this path")
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"{self.path}: cannot create the store's folder: {exc.strerror or exc}"
                ) from exc
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc
        self._lock = threading.RLock()
        self.schema_version = migrate(self._con, self.path, read_only=read_only)

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the file. The object cannot be used afterwards."""
        with self._lock:
            self._con.close()
            self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed; open a new Store to use it")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"Store({self.path!r}, {mode}, schema v{self.schema_version})"

    # ------------------------------------------------------------------ writing
    def write(
        self,
        tables: Mapping[TableName, pa.Table | Iterable[object]],
    ) -> WriteSummary:
        """Upsert rows into one or more tables in a single transaction.

        Parameters
        ----------
        tables
            For each table name, an Arrow table (columns of its schema; missing
            nullable columns are filled with nulls) or an iterable of records from
            :mod:`assay.schema`.

        Returns
        -------
        WriteSummary
            How many rows were new and how many replaced stored rows.

        Raises
        ------
        StoreError
            The store is read-only, or the write failed (nothing was stored).
        InputError
            A table name, column, key or enumerated value is invalid (nothing was stored).
        """
        self._check_open()
        if self.read_only:
            raise StoreError(f"{self.path}: the store is open read-only")
        if not isinstance(tables, Mapping):
            raise InputError(
                "the 'tables' parameter of Store.write must map table names to rows; "
                f"got {type(tables).__name__}"
            )
        prepared = {name: self._prepare(name, rows) for name, rows in tables.items()}
        new: dict[str, int] = {}
        replaced: dict[str, int] = {}
        with self._lock:
            execute(self._con, "BEGIN TRANSACTION")
            try:
                # models first, so that later tables may refer to them
                for name in sorted(prepared, key=lambda t: TABLES.index(t)):
                    n_new, n_repl = self._upsert(name, prepared[name])
                    new[name] = n_new
                    replaced[name] = n_repl
                execute(self._con, "COMMIT")
            except BaseException as exc:
                execute(self._con, "ROLLBACK")
                if isinstance(exc, duckdb.Error):
                    raise StoreError(f"{self.path}: write failed, nothing stored: {exc}") from exc
                raise
        return WriteSummary(new=new, replaced=replaced)

    def _prepare(self, name: str, rows: pa.Table | Iterable[object]) -> pa.Table:
        table_name = check_table(name, "Store.write")
        schema = SCHEMAS[table_name]
        table = rows if isinstance(rows, pa.Table) else records_to_table(table_name, rows)
        unknown = [c for c in table.column_names if c not in schema.names]
        if unknown:
            raise InputError(
                f"table {name!r} has no column(s) {unknown}; expected columns {schema.names}"
            )
        columns = []
        for f in schema:
            if f.name in table.column_names:
                col = table.column(f.name)
                if col.type != f.type:
                    try:
                        col = col.cast(f.type)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                        raise InputError(
                            f"table {name!r}, column {f.name!r}: expected {f.type}, "
                            f"got {col.type} ({exc})"
                        ) from exc
            elif f.nullable:
                col = pa.nulls(table.num_rows, f.type)
            else:
                raise InputError(f"table {name!r}: the required column {f.name!r} is missing")
            columns.append(col)
        table = pa.Table.from_arrays(columns, schema=schema.with_metadata(None).remove_metadata())
        self._validate(table_name, table)
        return table

    def _validate(self, name: TableName, table: pa.Table) -> None:
        schema = SCHEMAS[name]
        for f in schema:
            if f.nullable:
                continue
            col = table.column(f.name)
            if col.null_count:
                row = pc.index(pc.is_null(col), True).as_py()
                raise InputError(
                    f"table {name!r}, row {row}: the key column {f.name!r} is null; "
                    "every key column needs a value"
                )
        for (tname, col_name), allowed in VALUES.items():
            if tname != name:
                continue
            col = table.column(col_name)
            bad = pc.invert(pc.is_in(col, value_set=pa.array(allowed)))
            bad = pc.and_kleene(bad, pc.is_valid(col))
            if pc.any(bad).as_py():
                row = pc.index(bad, True).as_py()
                raise InputError(
                    f"table {name!r}, row {row}, column {col_name!r}: expected one of "
                    f"{list(allowed)}; got {col[row].as_py()!r}"
                )
        for col_name in NON_NEGATIVE[name]:
            negative = pc.fill_null(pc.less(table.column(col_name), 0), False)
            if pc.any(negative).as_py():
                row = pc.index(negative, True).as_py()
                raise InputError(
                    f"table {name!r}, row {row}, column {col_name!r}: expected a value >= 0; "
                    f"got {table.column(col_name)[row].as_py()!r}"
                )
        for col_name in ("task", "model_id", "run_id", "item_id", "model_a", "model_b"):
            if col_name in schema.names and col_name in KEYS[name]:
                col = table.column(col_name)
                empty = pc.equal(col, "")
                if pc.any(empty).as_py():
                    row = pc.index(empty, True).as_py()
                    raise InputError(
                        f"table {name!r}, row {row}: the key column {col_name!r} is empty"
                    )

    def _upsert(self, name: TableName, table: pa.Table) -> tuple[int, int]:
        if table.num_rows == 0:
            return 0, 0
        keys = KEYS[name]
        view = f"_assay_stage_{next(_staging)}"
        self._con.register(view, table)
        try:
            key_list = ", ".join(f'"{k}"' for k in keys)
            n_dup = self._one(
                f"SELECT count(*) FROM (SELECT {key_list} FROM {view} GROUP BY ALL HAVING count(*) > 1)"
            )
            source = view
            if n_dup:
                # the same key twice in one write: the later row wins, as two writes would
                source = f"{view}_dedup"
                cols = ", ".join(f'"{c}"' for c in table.column_names)
                execute(
                    self._con,
                    f"CREATE TEMP TABLE {source} AS SELECT {cols} FROM ("
                    f"SELECT *, row_number() OVER (PARTITION BY {key_list} "
                    f"ORDER BY _ord DESC) AS _rn FROM (SELECT *, row_number() OVER () AS _ord "
                    f"FROM {view})) WHERE _rn = 1",
                )
            n_rows = table.num_rows - self._dup_excess(source, view, n_dup)
            stored = self._one(f'SELECT count(*) FROM (SELECT 1 FROM "{name}" LIMIT 1)')
            replaced = 0
            if stored:
                if name == "models":
                    return self._merge_models(source, n_rows)
                match = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
                replaced = self._one(f'DELETE FROM "{name}" AS t USING {source} AS s WHERE {match}')
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            execute(self._con, f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM {source}')
            if source != view:
                execute(self._con, f"DROP TABLE {source}")
            return n_rows - replaced, replaced
        finally:
            self._con.unregister(view)

    def _dup_excess(self, source: str, view: str, n_dup: int) -> int:
        if not n_dup:
            return 0
        return self._one(f"SELECT count(*) FROM {view}") - self._one(
            f"SELECT count(*) FROM {source}"
        )

    def _merge_models(self, source: str, n_rows: int) -> tuple[int, int]:
        """Models merge field by field: a later write that knows less (a null) keeps
        what an earlier one stored; metadata objects are merged key by key."""
        cols = [f.name for f in SCHEMAS["models"] if f.name != "model_id"]
        merged = ", ".join(
            "CASE WHEN s.metadata IS NULL THEN t.metadata "
            "WHEN t.metadata IS NULL OR t.metadata = s.metadata THEN s.metadata "
            "ELSE CAST(json_merge_patch(t.metadata, s.metadata) AS VARCHAR) END AS metadata"
            if c == "metadata"
            else f'coalesce(s."{c}", t."{c}") AS "{c}"'
            for c in cols
        )
        execute(
            self._con,
            f"CREATE TEMP TABLE _assay_models_merge AS SELECT s.model_id, {merged} "
            f"FROM {source} AS s LEFT JOIN models AS t USING (model_id)",
        )
        replaced = self._one(
            "DELETE FROM models AS t USING _assay_models_merge AS s WHERE t.model_id = s.model_id"
        )
        execute(self._con, "INSERT INTO models SELECT * FROM _assay_models_merge")
        execute(self._con, "DROP TABLE _assay_models_merge")
        if source.endswith("_dedup"):
            execute(self._con, f"DROP TABLE {source}")
        return n_rows - replaced, replaced

    def _one(self, sql: str, params: Sequence[Any] | None = None) -> int:
        rows = execute(self._con, sql, params)
        return int(rows[0][0]) if rows else 0

    # ------------------------------------------------------------------ reading
    @overload
    def read(
        self,
        table: TableName,
        *,
        where: Filter | None = ...,
        columns: Sequence[str] | None = ...,
        format: Literal["arrow"] = ...,
    ) -> pa.Table: ...
    @overload
    def read(
        self,
        table: TableName,
        *,
        where: Filter | None = ...,
        columns: Sequence[str] | None = ...,
        format: Literal["pandas"],
    ) -> pd.DataFrame: ...
    @overload
    def read(
        self,
        table: TableName,
        *,
        where: Filter | None = ...,
        columns: Sequence[str] | None = ...,
        format: Literal["polars"],
    ) -> pl.DataFrame: ...

    def read(
        self,
        table: TableName,
        *,
        where: Filter | None = None,
        columns: Sequence[str] | None = None,
        format: Frame = "arrow",
    ) -> pa.Table | pd.DataFrame | pl.DataFrame:
        """Read a table, optionally filtered, as an Arrow, pandas or polars frame.

        Parameters
        ----------
        table
            One of :data:`assay.schema.TABLES`.
        where
            ``{column: value}`` keeps rows equal to ``value``; a list or tuple keeps rows
            equal to any of its values; ``None`` keeps rows where the column is null.
        columns
            The columns to return (all when omitted).
        format
            ``"arrow"`` (a :class:`pyarrow.Table`), ``"pandas"`` or ``"polars"``.
        """
        check_table(table, "Store.read")
        if format not in ("arrow", "pandas", "polars"):
            raise InputError(
                "the 'format' parameter of Store.read must be 'arrow', 'pandas' or 'polars'; "
                f"got {format!r}"
            )
        if isinstance(columns, str | bytes):
            raise InputError(
                "the 'columns' parameter of Store.read must be a list of column names; "
                f"got the string {columns!r}"
            )
        if where is not None and not isinstance(where, Mapping):
            raise InputError(
                "the 'where' parameter of Store.read must map columns to values; "
                f"got {type(where).__name__}"
            )
        names = SCHEMAS[table].names
        cols = list(columns) if columns is not None else names
        for c in cols:
            if c not in names:
                raise InputError(f"table {table!r} has no column {c!r}; columns are {names}")
        sql = f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in cols)} FROM "{table}"'
        clauses: list[str] = []
        params: list[Any] = []
        for col, value in (where or {}).items():
            if col not in names:
                raise InputError(f"table {table!r} has no column {col!r} to filter on")
            _check_filter_value(table, col, value)
            if value is None:
                clauses.append(f'"{col}" IS NULL')
            elif isinstance(value, list | tuple | set | frozenset):
                values = list(value)
                if not values:
                    clauses.append("FALSE")
                    continue
                clauses.append(f'"{col}" IN ({", ".join("?" * len(values))})')
                params.extend(_python_value(v) for v in values)
            else:
                clauses.append(f'"{col}" = ?')
                params.append(_python_value(value))
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        key_order = [k for k in KEYS[table] if k in cols]
        if key_order:
            sql += " ORDER BY " + ", ".join(f'"{k}"' for k in key_order)
        arrow = self.query(sql, params)
        schema = pa.schema([SCHEMAS[table].field(c) for c in cols])
        arrow = arrow.cast(pa.schema([f.with_nullable(True) for f in schema]))
        return _convert(arrow, format)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a SQL query on the store's tables and return the result as Arrow.

        The store's tables are the names of :data:`assay.schema.TABLES`. Use ``?``
        placeholders and ``params`` for values.
        """
        self._check_open()
        if not isinstance(sql, str):
            raise InputError(
                f"the 'sql' parameter of Store.query must be a string; got {type(sql).__name__}"
            )
        if params is not None and (
            isinstance(params, str | bytes) or not isinstance(params, Sequence)
        ):
            raise InputError(
                "the 'params' parameter of Store.query must be a list of values for the "
                f"'?' placeholders; got {params!r}"
            )
        with self._lock:
            try:
                return self._con.sql(sql, params=list(params or [])).to_arrow_table()
            except duckdb.Error as exc:
                raise StoreError(f"{self.path}: query failed: {exc}") from exc

    def count(self, table: TableName) -> int:
        """The number of rows of ``table``."""
        check_table(table, "Store.count")
        self._check_open()
        with self._lock:
            return self._one(f'SELECT count(*) FROM "{table}"')

    def counts(self) -> dict[str, int]:
        """Row counts of every table."""
        return {t: self.count(t) for t in TABLES}

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The underlying DuckDB connection, for engines that want it (e.g. the bulk
        Parquet import). Writes through it bypass validation; prefer :meth:`write`."""
        return self._con


def _check_filter_value(table: TableName, col: str, value: Any) -> None:
    """Raise an :class:`InputError` when a ``where`` value cannot be compared with the
    column (a string for a number column, a number for a text column, ...)."""
    if value is None:
        return
    values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    col_type = SCHEMAS[table].field(col).type
    try:
        pa.array(values, type=col_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise InputError(
            f"the 'where' parameter of Store.read: column {col!r} of table {table!r} holds "
            f"{col_type} values; got {value!r}"
        ) from exc


def _python_value(value: Any) -> Any:
    """A numpy scalar (a value taken from a numpy or pandas column) as the Python value
    DuckDB binds."""
    return value.item() if isinstance(value, np.generic) else value


def _convert(table: pa.Table, format: Frame) -> Any:
    if format == "arrow":
        return table
    if format == "pandas":
        return table.to_pandas()
    if format == "polars":
        import polars as pl

        return pl.from_arrow(table)
    raise InputError(
        f"the 'format' parameter must be 'arrow', 'pandas' or 'polars'; got {format!r}"
    )
