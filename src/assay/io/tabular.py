"""Importing plain tables: long per-item score tables and pairwise-verdict CSVs.

Long tables
-----------
A CSV (optionally gzipped) or Parquet file with one row per (model, task, item, sample,
metric, prompt variant). Columns are found by name, case-insensitively, trying the
aliases in order:

=============== ============================================= ==============================
field           accepted column names                         when absent
=============== ============================================= ==============================
model           model, model_id, model_name                   error
item            item, item_id, question_id, task_id, doc_id   error
score           score, value, correct, passed                 error
task            task, benchmark, dataset                      the file's stem (noted)
sample          sample, sample_index, sample_idx              0
metric          metric                                        ``"score"``
prompt variant  prompt_variant                                ``""``
=============== ============================================= ==============================

Scores are numbers or ``true``/``false`` (any case, read as 1/0); empty cells and ``NA``,
``N/A``, ``NaN``, ``null``, ``None`` are unscored (null). Up to ten other columns are kept
per response in ``responses.metadata`` (first row of each response); more are dropped
with a note. Sample indices are stored as given (a 1-based ``sample_index`` stays 1-based).

Pairwise CSVs
-------------
A CSV with ``model_a``, ``model_b`` and ``winner`` and optionally ``judge``, an item
column (``item``, ``question_id``, ``item_id``), a task column (``task``, ``benchmark``),
``judge_type``/``judge_kind``, ``vote_index``/``replicate`` and ``position``; every other
column goes to ``comparisons.metadata``. ``winner`` may be ``a``/``model_a``,
``b``/``model_b``, ``tie``, ``tie (bothbad)``/``both_bad`` (any case) or the literal name
of ``model_a`` or ``model_b``. The judge kind is ``human`` for ``human``, ``humans``,
``crowd``, ``expert``, ``annotator``, empty when the cell is empty, and ``model`` for any
other value (``llm``, ``model``, ``gpt-4``, ...). The task defaults to the file's stem, the
judge to ``"unknown"``, the item to ``"-"``. Without a ``vote_index``/``replicate``
column, verdicts that repeat a (task, item, model_a, model_b, judge, position) key are
numbered replicates 0, 1, 2, ... in file order; with one, its values are stored as given
and a repeated key is an error.

Line numbers in errors are CSV lines (the header is line 1, so data row ``i`` (0-based) is
line ``i + 2``; a quoted value spanning lines shifts later numbers) and, for Parquet,
1-based record numbers.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from assay.errors import FormatError
from assay.io._base import ImportBatch, content_hash, read_bytes, stem
from assay.schema import SCHEMAS, Run, TableName, records_to_table

__all__ = ["LongTableImporter", "PairwiseCsvImporter"]

MODEL_COLUMNS: Final = ("model", "model_id", "model_name")
TASK_COLUMNS: Final = ("task", "benchmark", "dataset")
ITEM_COLUMNS: Final = ("item", "item_id", "question_id", "task_id", "doc_id")
SCORE_COLUMNS: Final = ("score", "value", "correct", "passed")
SAMPLE_COLUMNS: Final = ("sample", "sample_index", "sample_idx")
METRIC_COLUMNS: Final = ("metric",)
VARIANT_COLUMNS: Final = ("prompt_variant",)

PAIR_ITEM_COLUMNS: Final = ("item", "question_id", "item_id")
PAIR_TASK_COLUMNS: Final = ("task", "benchmark")
JUDGE_KIND_COLUMNS: Final = ("judge_type", "judge_kind")
REPLICATE_COLUMNS: Final = ("vote_index", "replicate")

#: cell values read as a missing score
_NULL_TOKENS: Final = ["", "na", "n/a", "nan", "null", "none"]
_HUMAN_KINDS: Final = ["human", "humans", "crowd", "expert", "annotator"]
#: other columns kept as response / comparison metadata at most
MAX_METADATA_COLUMNS: Final = 10
_HEADER_PEEK: Final = 1 << 16


# --------------------------------------------------------------------------- file access


def _is_csv(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".csv") or name.endswith(".csv.gz")


def _is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(".parquet")


def _peek_header(path: Path) -> list[str] | None:
    """The column names of a CSV or Parquet file, reading only its first bytes (or the
    Parquet footer); ``None`` when the file cannot be read as such."""
    try:
        if _is_parquet(path):
            return list(pq.read_schema(path).names)
        opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            first = fh.readline(_HEADER_PEEK)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, pa.ArrowException):
        return None
    return _parse_header(first)


def _parse_header(line: str) -> list[str] | None:
    rows = list(csv.reader(io.StringIO(line)))
    return rows[0] if rows and rows[0] else None


def _find(header: Sequence[str], aliases: Sequence[str]) -> str | None:
    """The first column of ``header`` named like one of ``aliases`` (case-insensitive)."""
    lower: dict[str, str] = {}
    for h in header:
        lower.setdefault(h.strip().lower(), h)
    for a in aliases:
        if a in lower:
            return lower[a]
    return None


def _read(path: Path, string_columns: Sequence[str]) -> tuple[pa.Table, int]:
    """The whole table, with ``string_columns`` read as text, and the offset that turns
    a 0-based row index into a line (CSV) or record (Parquet) number."""
    if _is_parquet(path):
        try:
            return pq.read_table(path), 1
        except (OSError, pa.ArrowException) as exc:
            raise FormatError(path, f"not a readable Parquet file: {exc}") from exc
    data = read_bytes(path)
    header = _parse_header(data[: data.find(b"\n") + 1 or len(data)].decode("utf-8-sig", "replace"))
    raw_names = header or []
    dup = sorted({h for h in raw_names if raw_names.count(h) > 1})
    if dup:
        raise FormatError(path, "the column appears twice in the header", line=1, field=dup[0])
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in string_columns},
        strings_can_be_null=False,
    )
    for newlines_in_values in (False, True):
        try:
            table = pacsv.read_csv(
                pa.BufferReader(data),
                parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values),
                convert_options=convert,
            )
        except pa.ArrowInvalid as exc:
            if not newlines_in_values and "CSV parse error" in str(exc):
                continue  # perhaps a quoted value spans lines: parse again allowing it
            raise FormatError(path, f"not a readable CSV file: {exc}") from exc
        return table, 2
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- validation


def _first(frame: pl.DataFrame, mask: pl.Expr) -> int | None:
    """The index of the first row where ``mask`` is true, or ``None``."""
    hits = frame.select(mask.fill_null(False).alias("m")).to_series().arg_true()
    return int(hits[0]) if len(hits) else None


def _key_text(frame: pl.DataFrame, column: str, field: str, path: Path, offset: int) -> pl.Expr:
    """The column as trimmed text; an empty or missing cell is a FormatError."""
    expr = pl.col(column).cast(pl.String).str.strip_chars()
    bad = _first(frame, expr.is_null() | (expr == ""))
    if bad is not None:
        raise FormatError(
            path,
            f"the {field} is empty (column {column!r}); every row needs one",
            line=bad + offset,
            field=field,
        )
    return expr


def _numbers(frame: pl.DataFrame, column: str, field: str, path: Path, offset: int) -> pl.Expr:
    """The column as float64: numbers, ``true``/``false`` (1/0), null for missing cells."""
    dtype = frame.schema[column]
    if dtype == pl.Null:
        return pl.lit(None, dtype=pl.Float64)
    if dtype == pl.Boolean or dtype.is_numeric():
        return pl.col(column).cast(pl.Float64).fill_nan(None)
    if dtype != pl.String:
        raise FormatError(
            path,
            f"column {column!r} holds {dtype}; expected numbers or true/false",
            field=field,
        )
    text = pl.col(column).str.strip_chars()
    low = text.str.to_lowercase()
    missing = text.is_null() | low.is_in(_NULL_TOKENS)
    value = (
        pl.when(low == "true")
        .then(pl.lit(1.0))
        .when(low == "false")
        .then(pl.lit(0.0))
        .otherwise(text.cast(pl.Float64, strict=False))
    )
    bad = _first(frame, value.is_null() & ~missing)
    if bad is not None:
        raise FormatError(
            path,
            f"not a number: {frame[column][bad]!r}; expected a number, true or false",
            line=bad + offset,
            field=field,
        )
    return pl.when(missing).then(None).otherwise(value).fill_nan(None)


def _integers(frame: pl.DataFrame, column: str, field: str, path: Path, offset: int) -> pl.Expr:
    """The column as int32; a missing, fractional or non-numeric cell is a FormatError."""
    dtype = frame.schema[column]
    if dtype.is_integer():
        as_float = pl.col(column).cast(pl.Float64)
    elif dtype.is_float():
        as_float = pl.col(column)
    else:
        as_float = pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    bad = _first(
        frame,
        as_float.is_null()
        | as_float.is_nan()
        | (as_float != as_float.round(0))
        | (as_float.abs() > 2**31 - 1),
    )
    if bad is not None:
        raise FormatError(
            path,
            f"not a whole number: {frame[column][bad]!r}",
            line=bad + offset,
            field=field,
        )
    return as_float.cast(pl.Int32)


def _metadata(frame: pl.DataFrame, extras: Sequence[str]) -> pl.Expr:
    """Extra columns as one JSON object per row (keys sorted, NaN as null)."""
    parts = []
    for c in sorted(extras):
        dtype = frame.schema[c]
        if dtype.is_float():
            parts.append(pl.col(c).fill_nan(None))
        elif dtype.is_numeric() or dtype in (pl.Boolean, pl.String, pl.Null):
            parts.append(pl.col(c))
        else:
            parts.append(pl.col(c).cast(pl.String))
    return pl.struct(parts).struct.json_encode()


def _to_table(name: TableName, frame: pl.DataFrame) -> pa.Table:
    """``frame`` with exactly the columns and types of table ``name`` (missing → null)."""
    arrow = frame.to_arrow()
    columns = []
    fields = []
    for f in SCHEMAS[name]:
        if f.name in arrow.column_names:
            columns.append(arrow.column(f.name).cast(f.type))
        else:
            columns.append(pa.nulls(arrow.num_rows, f.type))
        fields.append(f.with_nullable(True))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _batch(
    source: str,
    path: Path,
    run_id: str,
    cols: _LongColumns | _PairColumns,
    extras: Sequence[str],
    tables: dict[TableName, pa.Table],
    notes: Sequence[str],
) -> ImportBatch:
    """The batch of one file: its run row, then ``tables``. The run's config records the
    column read for each field, the metadata columns and, without a task column, the
    task taken from the file's stem."""
    config: dict[str, Any] = {"columns": cols.named, "metadata_columns": sorted(extras)}
    if cols.task is None:
        config["task"] = stem(path)
    run = Run(
        run_id=run_id,
        source=source,
        source_path=str(path),
        granularity="item",
        status="complete",
        config=config,
    )
    return ImportBatch(
        source=source,
        files=(str(path),),
        run_id=run_id,
        tables={"runs": records_to_table("runs", [run]), **tables},
        notes=tuple(notes),
    )


def _missing(path: Path, field: str, aliases: Sequence[str], header: Sequence[str]) -> FormatError:
    return FormatError(
        path,
        f"no {field} column; expected one named {', '.join(aliases)} "
        f"(the header has {', '.join(header)})",
        line=1,
        field=field,
    )


@dataclass(frozen=True)
class _Columns:
    """The column the header has for each field of a table (``None``: an optional field
    the header lacks)."""

    @property
    def named(self) -> dict[str, str]:
        """Field name → column, for the fields the header has."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def used(self) -> set[str]:
        return set(self.named.values())


_C = TypeVar("_C", bound=_Columns)


def _load(
    files: tuple[Path, ...], what: str, columns: Callable[[Path, Sequence[str]], _C]
) -> tuple[Path, _C, pl.DataFrame, int]:
    """The one file of ``files``, its columns (found by ``columns`` in the header), its
    rows (those columns read as text) and the offset from row index to line number."""
    if len(files) != 1:
        raise FormatError(files[0], f"{what} is imported one file at a time")
    path = files[0]
    header = _peek_header(path)
    if not header:
        if path.name.lower().endswith(".gz"):
            read_bytes(path)  # a broken gzip stream is named as such
        raise FormatError(path, "no header row; expected column names on the first line")
    cols = columns(path, header)
    table, offset = _read(path, sorted(cols.used))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return path, cols, frame, offset


def _task(
    frame: pl.DataFrame, column: str | None, path: Path, offset: int, notes: list[str]
) -> pl.Expr:
    """The task column as text or, without one, the file's stem (with a note)."""
    if column is not None:
        return _key_text(frame, column, "task", path, offset)
    notes.append(f"no task column: the task is the file's stem {stem(path)!r}")
    return pl.lit(stem(path), dtype=pl.String)


def _extras(frame: pl.DataFrame, cols: _Columns, table: str, notes: list[str]) -> list[str]:
    """The other columns, kept in ``<table>.metadata``; none (with a note) when there are
    more than :data:`MAX_METADATA_COLUMNS`."""
    extras = [c for c in frame.columns if c not in cols.used]
    if len(extras) > MAX_METADATA_COLUMNS:
        notes.append(
            f"{len(extras)} other columns were not kept (at most "
            f"{MAX_METADATA_COLUMNS} go to {table}.metadata)"
        )
        return []
    return extras


def _first_repeat(rows: pl.DataFrame, keys: list[str]) -> tuple[int, int, str] | None:
    """The index of the first row whose ``keys`` repeat an earlier row's, the index of
    that earlier row and the key as text (``"model_id 'm', task 't', ..."``); ``None``
    when every key is unique."""
    first = rows.select(pl.struct(keys).is_first_distinct().alias("f")).to_series()
    if first.all():
        return None
    dup = int((~first).arg_true()[0])
    key = rows.row(dup, named=True)
    match = pl.all_horizontal([pl.col(k).eq_missing(key[k]) for k in keys])
    earlier = int(rows.select(match.arg_true().first()).item())
    return dup, earlier, ", ".join(f"{k} {key[k]!r}" for k in keys)


# --------------------------------------------------------------------------- long tables


@dataclass(frozen=True)
class _LongColumns(_Columns):
    model: str
    item: str
    score: str
    task: str | None
    sample: str | None
    metric: str | None
    prompt_variant: str | None


def _long_columns(path: Path, header: Sequence[str]) -> _LongColumns:
    model = _find(header, MODEL_COLUMNS)
    item = _find(header, ITEM_COLUMNS)
    score = _find(header, SCORE_COLUMNS)
    if model is None:
        raise _missing(path, "model", MODEL_COLUMNS, header)
    if item is None:
        raise _missing(path, "item", ITEM_COLUMNS, header)
    if score is None:
        raise _missing(path, "score", SCORE_COLUMNS, header)
    return _LongColumns(
        model=model,
        item=item,
        score=score,
        task=_find(header, TASK_COLUMNS),
        sample=_find(header, SAMPLE_COLUMNS),
        metric=_find(header, METRIC_COLUMNS),
        prompt_variant=_find(header, VARIANT_COLUMNS),
    )


class LongTableImporter:
    """Reads a long table of per-item scores (CSV, CSV.gz or Parquet) as one run.

    Claims a ``.csv``, ``.csv.gz`` or ``.parquet`` file whose header (peeked, not read)
    has a model, an item and a score column and no ``winner`` column. The run id is
    ``"table-"`` plus a hash of the file's contents. See the module docstring for the
    columns.
    """

    name = "long-table"

    def claims(self, path: Path) -> bool:
        if not (_is_csv(path) or _is_parquet(path)) or not path.is_file():
            return False
        header = _peek_header(path)
        if not header:
            return False
        if _find(header, ("winner",)) is not None:
            return False
        return all(
            _find(header, aliases) is not None
            for aliases in (MODEL_COLUMNS, ITEM_COLUMNS, SCORE_COLUMNS)
        )

    def group(self, paths: Sequence[Path]) -> list[tuple[Path, ...]]:
        return [(p,) for p in paths]

    def read(self, files: tuple[Path, ...]) -> ImportBatch:
        path, cols, frame, offset = _load(files, "a long table", _long_columns)
        notes: list[str] = []
        exprs = {
            "model_id": _key_text(frame, cols.model, "model", path, offset),
            "task": _task(frame, cols.task, path, offset, notes),
            "item_id": _key_text(frame, cols.item, "item", path, offset),
            "sample_index": _integers(frame, cols.sample, "sample", path, offset)
            if cols.sample
            else pl.lit(0, dtype=pl.Int32),
            "metric": _key_text(frame, cols.metric, "metric", path, offset)
            if cols.metric
            else pl.lit("score", dtype=pl.String),
            "prompt_variant": pl.col(cols.prompt_variant)
            .cast(pl.String)
            .str.strip_chars()
            .fill_null("")
            if cols.prompt_variant
            else pl.lit("", dtype=pl.String),
            "value": _numbers(frame, cols.score, "score", path, offset),
        }
        extras = _extras(frame, cols, "responses", notes)
        if extras:
            exprs["metadata"] = _metadata(frame, extras)
        rows = frame.select(**exprs)

        keys = ["model_id", "task", "item_id", "sample_index", "metric", "prompt_variant"]
        rows = _drop_exact_repeats(rows.with_row_index("_row"), keys, offset, notes)
        _check_unique(rows, keys, path, offset)
        rows = rows.drop("_row")

        run_id = "table-" + content_hash([path])
        rows = rows.with_columns(
            run_id=pl.lit(run_id, dtype=pl.String), task_version=pl.lit("", dtype=pl.String)
        )
        response_keys = ["model_id", "task", "item_id", "sample_index", "prompt_variant"]
        responses = (
            rows
            if cols.metric is None
            else rows.unique(subset=response_keys, keep="first", maintain_order=True)
        ).with_columns(status=pl.lit("ok", dtype=pl.String))
        items = rows.select("task", "task_version", "item_id").unique(maintain_order=True)
        models = rows.select("model_id").unique(maintain_order=True)
        tables: dict[TableName, pa.Table] = {
            "models": _to_table("models", models),
            "items": _to_table("items", items),
            "responses": _to_table("responses", responses),
            "scores": _to_table("scores", rows),
        }
        return _batch(self.name, path, run_id, cols, extras, tables, notes)


def _drop_exact_repeats(
    rows: pl.DataFrame, keys: list[str], offset: int, notes: list[str]
) -> pl.DataFrame:
    """Rows that repeat an earlier row's key *and* score (the same judgment exported
    twice, say) are kept once, with a note; conflicting repeats stay for
    :func:`_check_unique` to report."""
    first = rows.select(pl.struct([*keys, "value"]).is_first_distinct().alias("f")).to_series()
    if first.all():
        return rows
    repeats = rows.filter(~first)
    example = int(repeats["_row"][0]) + offset
    notes.append(
        f"{repeats.height} rows repeat an earlier row's key and score exactly (first on line "
        f"{example}); each was kept once"
    )
    return rows.filter(first)


def _check_unique(rows: pl.DataFrame, keys: list[str], path: Path, offset: int) -> None:
    """Raise on two rows with the same key (and, after :func:`_drop_exact_repeats`,
    different scores), naming both lines (``rows`` carries its source ``_row``)."""
    repeat = _first_repeat(rows, keys)
    if repeat is None:
        return
    dup, earlier, what = repeat
    raise FormatError(
        path,
        f"a second row, with a different score, for {what} (the first is on line "
        f"{int(rows['_row'][earlier]) + offset}); each (model, task, item, sample, metric, "
        "prompt_variant) may appear once",
        line=int(rows["_row"][dup]) + offset,
        field="item",
    )


# --------------------------------------------------------------------------- pairwise


@dataclass(frozen=True)
class _PairColumns(_Columns):
    model_a: str
    model_b: str
    winner: str
    judge: str | None
    item: str | None
    task: str | None
    judge_kind: str | None
    replicate: str | None
    position: str | None


def _pair_columns(path: Path, header: Sequence[str]) -> _PairColumns:
    required = {}
    for name in ("model_a", "model_b", "winner"):
        col = _find(header, (name,))
        if col is None:
            raise _missing(path, name, (name,), header)
        required[name] = col
    return _PairColumns(
        **required,
        judge=_find(header, ("judge",)),
        item=_find(header, PAIR_ITEM_COLUMNS),
        task=_find(header, PAIR_TASK_COLUMNS),
        judge_kind=_find(header, JUDGE_KIND_COLUMNS),
        replicate=_find(header, REPLICATE_COLUMNS),
        position=_find(header, ("position",)),
    )


class PairwiseCsvImporter:
    """Reads a CSV of pairwise verdicts (``model_a``, ``model_b``, ``winner``) as one run.

    Claims a ``.csv`` or ``.csv.gz`` file whose header (peeked, not read) has
    ``model_a``, ``model_b`` and ``winner`` columns. The run id is ``"pairwise-"`` plus a
    hash of the file's contents. See the module docstring for the columns and values.
    """

    name = "pairwise"

    def claims(self, path: Path) -> bool:
        if not _is_csv(path) or not path.is_file():
            return False
        header = _peek_header(path)
        return bool(header) and all(
            _find(header or [], (c,)) is not None for c in ("model_a", "model_b", "winner")
        )

    def group(self, paths: Sequence[Path]) -> list[tuple[Path, ...]]:
        return [(p,) for p in paths]

    def read(self, files: tuple[Path, ...]) -> ImportBatch:
        path, cols, frame, offset = _load(files, "a pairwise CSV", _pair_columns)
        notes: list[str] = []
        model_a = _key_text(frame, cols.model_a, "model_a", path, offset)
        model_b = _key_text(frame, cols.model_b, "model_b", path, offset)
        exprs: dict[str, pl.Expr] = {
            "task": _task(frame, cols.task, path, offset, notes),
            "item_id": _key_text(frame, cols.item, "item", path, offset)
            if cols.item
            else pl.lit("-", dtype=pl.String),
            "model_a": model_a,
            "model_b": model_b,
            "judge": _optional_text(cols.judge, "unknown"),
            "position": _positions(frame, cols.position, path, offset),
            "judge_kind": _judge_kinds(cols.judge_kind, cols.judge),
            "winner": _winners(frame, cols, model_a, model_b, path, offset),
        }
        if cols.item is None:
            notes.append("no item column: every verdict has item '-'")
        extras = _extras(frame, cols, "comparisons", notes)
        if extras:
            exprs["metadata"] = _metadata(frame, extras)
        rows = frame.select(**exprs)

        group = ["task", "item_id", "model_a", "model_b", "judge", "position"]
        if cols.replicate is not None:
            replicate = frame.select(
                _integers(frame, cols.replicate, "replicate", path, offset)
            ).to_series()
            rows = rows.with_columns(replicate=replicate)
            _check_unique_verdicts(rows, [*group, "replicate"], cols.replicate, path, offset)
        else:
            rows = rows.with_columns(replicate=pl.int_range(pl.len(), dtype=pl.Int32).over(group))
            repeated = int(rows.select((pl.col("replicate") > 0).sum()).item())
            if repeated:
                notes.append(
                    f"{repeated} verdicts repeat a (task, item, model_a, model_b, judge, "
                    "position) key and no vote_index/replicate column says which vote "
                    "they are: numbered as replicates 0, 1, 2, ... in file order"
                )

        run_id = "pairwise-" + content_hash([path])
        rows = rows.with_columns(run_id=pl.lit(run_id, dtype=pl.String))
        models = pl.concat(
            [rows.select(model_id="model_a"), rows.select(model_id="model_b")]
        ).unique(maintain_order=True)
        tables: dict[TableName, pa.Table] = {
            "models": _to_table("models", models),
            "comparisons": _to_table("comparisons", rows),
        }
        return _batch(self.name, path, run_id, cols, extras, tables, notes)


def _optional_text(column: str | None, default: str) -> pl.Expr:
    if column is None:
        return pl.lit(default, dtype=pl.String)
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text.is_null() | (text == "")).then(pl.lit(default)).otherwise(text)


def _judge_kinds(kind: str | None, judge: str | None) -> pl.Expr:
    """human / model / "" from a judge-type column, else from a judge named ``human``."""
    if kind is None:
        if judge is None:
            return pl.lit("", dtype=pl.String)
        low = pl.col(judge).cast(pl.String).str.strip_chars().str.to_lowercase()
        return pl.when(low.is_in(["human", "humans"])).then(pl.lit("human")).otherwise(pl.lit(""))
    low = pl.col(kind).cast(pl.String).str.strip_chars().str.to_lowercase()
    return (
        pl.when(low.is_null() | (low == ""))
        .then(pl.lit(""))
        .when(low.is_in(_HUMAN_KINDS))
        .then(pl.lit("human"))
        .otherwise(pl.lit("model"))
    )


def _positions(frame: pl.DataFrame, column: str | None, path: Path, offset: int) -> pl.Expr:
    if column is None:
        return pl.lit("", dtype=pl.String)
    low = pl.col(column).cast(pl.String).str.strip_chars().str.to_lowercase().fill_null("")
    bad = _first(frame, ~low.is_in(["ab", "ba", ""]))
    if bad is not None:
        raise FormatError(
            path,
            f"unknown position {frame[column][bad]!r}; expected ab, ba or an empty cell",
            line=bad + offset,
            field="position",
        )
    return low


def _winners(
    frame: pl.DataFrame,
    cols: _PairColumns,
    model_a: pl.Expr,
    model_b: pl.Expr,
    path: Path,
    offset: int,
) -> pl.Expr:
    text = pl.col(cols.winner).cast(pl.String).str.strip_chars()
    low = text.str.to_lowercase()
    winner = (
        pl.when(low.is_in(["a", "model_a"]))
        .then(pl.lit("a"))
        .when(low.is_in(["b", "model_b"]))
        .then(pl.lit("b"))
        .when(low == "tie")
        .then(pl.lit("tie"))
        .when(low.is_in(["tie (bothbad)", "both_bad"]))
        .then(pl.lit("both_bad"))
        .when(text == model_a)
        .then(pl.lit("a"))
        .when(text == model_b)
        .then(pl.lit("b"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    bad = _first(frame, winner.is_null())
    if bad is not None:
        row = frame.row(bad, named=True)
        raise FormatError(
            path,
            f"unknown winner {row[cols.winner]!r}; expected a, model_a, b, model_b, tie, "
            f"tie (bothbad), both_bad or one of the two models "
            f"({row[cols.model_a]!r}, {row[cols.model_b]!r})",
            line=bad + offset,
            field="winner",
        )
    return winner


def _check_unique_verdicts(
    rows: pl.DataFrame, keys: list[str], column: str, path: Path, offset: int
) -> None:
    repeat = _first_repeat(rows, keys)
    if repeat is None:
        return
    dup, earlier, what = repeat
    raise FormatError(
        path,
        f"a second verdict for {what} (the first is on line {earlier + offset}); "
        f"the {column!r} column must tell repeated votes apart",
        line=dup + offset,
        field=column,
    )
