"""The data model: one row is one fact.

Every table has an Arrow schema (the single source of truth: the DuckDB tables, the
Parquet export and the typed records all derive from it) and an explicit key. Writing a
row whose key is already stored replaces it (an upsert), never duplicates it.

Tables
------
runs
    One evaluation run: who produced it (``source``), with what configuration, when.
    ``granularity`` is ``"item"`` when item-level rows exist and ``"aggregate"`` when the
    source reported only aggregates (lm-evaluation-harness v0.3 files, for example).
models
    One model or checkpoint, with the metadata scaling methods need.
items
    One task item: input, target, choices and metadata (skills, difficulty, split).
responses
    One model output for one item (per sample and prompt variant), with per-choice
    log-likelihoods for multiple choice, token counts, latency, cost, status and error.
scores
    One metric value of one response (long format).
comparisons
    One pairwise verdict from a judge (human or model).
traces
    One step of an agent trajectory.
aggregates
    A task-level value *reported by a source*, kept for provenance and for checking
    re-computed means; never used where item rows exist.

Keys, JSON columns (stored as text), the allowed values of enumerated columns and the
count and index columns that cannot be negative are declared here and validated by the
store on every write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import pyarrow as pa

from assay.errors import InputError

__all__ = [
    "JSON_COLUMNS",
    "KEYS",
    "NON_NEGATIVE",
    "RECORDS",
    "SCHEMAS",
    "TABLES",
    "VALUES",
    "Aggregate",
    "Comparison",
    "Item",
    "Model",
    "Response",
    "Run",
    "Score",
    "TableName",
    "TraceStep",
    "Winner",
    "check_table",
    "empty_table",
    "records_to_table",
    "to_json",
]

TableName = Literal[
    "runs", "models", "items", "responses", "scores", "comparisons", "traces", "aggregates"
]
TABLES: Final[tuple[TableName, ...]] = get_args(TableName)

Winner = Literal["a", "b", "tie", "both_bad"]
Granularity = Literal["item", "aggregate"]
RunStatus = Literal["running", "complete", "partial", "cancelled", "error"]
ResponseStatus = Literal["ok", "error"]
Position = Literal["ab", "ba", ""]
JudgeKind = Literal["human", "model", ""]
TraceKind = Literal["message", "action", "observation"]

_TS = pa.timestamp("us", tz="UTC")

SCHEMAS: Final[dict[TableName, pa.Schema]] = {
    "runs": pa.schema(
        [
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("created_at", _TS),
            pa.field("source", pa.string(), nullable=False),
            pa.field("source_path", pa.string()),
            pa.field("granularity", pa.string(), nullable=False),
            pa.field("status", pa.string(), nullable=False),
            pa.field("config", pa.string()),
            pa.field("assay_version", pa.string()),
            pa.field("code_hash", pa.string()),
            pa.field("data_hash", pa.string()),
            pa.field("seed", pa.int64()),
            pa.field("metadata", pa.string()),
        ]
    ),
    "models": pa.schema(
        [
            pa.field("model_id", pa.string(), nullable=False),
            pa.field("family", pa.string()),
            pa.field("parameters", pa.float64()),
            pa.field("training_tokens", pa.float64()),
            pa.field("training_flops", pa.float64()),
            pa.field("checkpoint_step", pa.int64()),
            pa.field("metadata", pa.string()),
        ]
    ),
    "items": pa.schema(
        [
            pa.field("task", pa.string(), nullable=False),
            pa.field("task_version", pa.string(), nullable=False),
            pa.field("item_id", pa.string(), nullable=False),
            pa.field("input", pa.string()),
            pa.field("target", pa.string()),
            pa.field("choices", pa.list_(pa.string())),
            pa.field("metadata", pa.string()),
        ]
    ),
    "responses": pa.schema(
        [
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("model_id", pa.string(), nullable=False),
            pa.field("task", pa.string(), nullable=False),
            pa.field("item_id", pa.string(), nullable=False),
            pa.field("sample_index", pa.int32(), nullable=False),
            pa.field("prompt_variant", pa.string(), nullable=False),
            pa.field("task_version", pa.string()),
            pa.field("output", pa.string()),
            pa.field("choice_logprobs", pa.list_(pa.float64())),
            pa.field("choice_greedy", pa.list_(pa.bool_())),
            pa.field("input_tokens", pa.int64()),
            pa.field("output_tokens", pa.int64()),
            pa.field("latency_s", pa.float64()),
            pa.field("cost", pa.float64()),
            pa.field("status", pa.string(), nullable=False),
            pa.field("error", pa.string()),
            pa.field("metadata", pa.string()),
        ]
    ),
    "scores": pa.schema(
        [
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("model_id", pa.string(), nullable=False),
            pa.field("task", pa.string(), nullable=False),
            pa.field("item_id", pa.string(), nullable=False),
            pa.field("sample_index", pa.int32(), nullable=False),
            pa.field("prompt_variant", pa.string(), nullable=False),
            pa.field("metric", pa.string(), nullable=False),
            pa.field("value", pa.float64()),
        ]
    ),
    "comparisons": pa.schema(
        [
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("task", pa.string(), nullable=False),
            pa.field("item_id", pa.string(), nullable=False),
            pa.field("model_a", pa.string(), nullable=False),
            pa.field("model_b", pa.string(), nullable=False),
            pa.field("judge", pa.string(), nullable=False),
            pa.field("position", pa.string(), nullable=False),
            pa.field("replicate", pa.int32(), nullable=False),
            pa.field("judge_kind", pa.string()),
            pa.field("winner", pa.string(), nullable=False),
            pa.field("metadata", pa.string()),
        ]
    ),
    "traces": pa.schema(
        [
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("model_id", pa.string(), nullable=False),
            pa.field("task", pa.string(), nullable=False),
            pa.field("item_id", pa.string(), nullable=False),
            pa.field("trial", pa.int32(), nullable=False),
            pa.field("step", pa.int32(), nullable=False),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("role", pa.string()),
            pa.field("tool", pa.string()),
            pa.field("arguments", pa.string()),
            pa.field("result", pa.string()),
            pa.field("side_effects", pa.string()),
            pa.field("timestamp", _TS),
        ]
    ),
    "aggregates": pa.schema(
        [
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("model_id", pa.string(), nullable=False),
            pa.field("task", pa.string(), nullable=False),
            pa.field("metric", pa.string(), nullable=False),
            pa.field("value", pa.float64()),
            pa.field("stderr", pa.float64()),
            pa.field("n", pa.int64()),
        ]
    ),
}

KEYS: Final[dict[TableName, tuple[str, ...]]] = {
    "runs": ("run_id",),
    "models": ("model_id",),
    "items": ("task", "task_version", "item_id"),
    "responses": ("run_id", "model_id", "task", "item_id", "sample_index", "prompt_variant"),
    "scores": (
        "run_id",
        "model_id",
        "task",
        "item_id",
        "sample_index",
        "prompt_variant",
        "metric",
    ),
    "comparisons": (
        "run_id",
        "task",
        "item_id",
        "model_a",
        "model_b",
        "judge",
        "position",
        "replicate",
    ),
    "traces": ("run_id", "model_id", "task", "item_id", "trial", "step"),
    "aggregates": ("run_id", "model_id", "task", "metric"),
}

JSON_COLUMNS: Final[dict[TableName, tuple[str, ...]]] = {
    "runs": ("config", "metadata"),
    "models": ("metadata",),
    "items": ("metadata",),
    "responses": ("metadata",),
    "scores": (),
    "comparisons": ("metadata",),
    "traces": ("arguments", "side_effects"),
    "aggregates": (),
}

VALUES: Final[dict[tuple[TableName, str], tuple[str, ...]]] = {
    ("runs", "granularity"): get_args(Granularity),
    ("runs", "status"): get_args(RunStatus),
    ("responses", "status"): get_args(ResponseStatus),
    ("comparisons", "winner"): get_args(Winner),
    ("comparisons", "position"): get_args(Position),
    ("comparisons", "judge_kind"): get_args(JudgeKind),
    ("traces", "kind"): get_args(TraceKind),
}


#: counts and indices: a negative value is an error. (Float columns such as ``parameters``,
#: ``cost`` or ``stderr`` are stored as given.)
NON_NEGATIVE: Final[dict[TableName, tuple[str, ...]]] = {
    "runs": (),
    "models": ("checkpoint_step",),
    "items": (),
    "responses": ("sample_index", "input_tokens", "output_tokens"),
    "scores": ("sample_index",),
    "comparisons": ("replicate",),
    "traces": ("trial", "step"),
    "aggregates": ("n",),
}


def to_json(value: Any) -> str | None:
    """Serialise ``value`` for a JSON column (``None`` stays ``None``; keys sorted).

    Non-finite floats are written as the strings ``"NaN"``/``"Infinity"`` so the text is
    strict JSON that any engine can parse.
    """
    if value is None:
        return None
    return json.dumps(_finite(value, ()), sort_keys=True, ensure_ascii=False, default=str)


def _finite(value: Any, path: tuple[int, ...]) -> Any:
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, Mapping | list | tuple):
        if id(value) in path:
            raise InputError("to_json: the value contains itself (a circular reference)")
        inner = (*path, id(value))
        if isinstance(value, Mapping):
            return {str(k): _finite(v, inner) for k, v in value.items()}
        return [_finite(v, inner) for v in value]
    return value


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Run:
    """A row of ``runs``."""

    run_id: str
    source: str
    granularity: Granularity = "item"
    status: RunStatus = "complete"
    created_at: dt.datetime | None = None
    source_path: str | None = None
    config: Mapping[str, Any] | None = None
    assay_version: str | None = None
    code_hash: str | None = None
    data_hash: str | None = None
    seed: int | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Model:
    """A row of ``models``: a model or checkpoint with its scaling metadata."""

    model_id: str
    family: str | None = None
    parameters: float | None = None
    training_tokens: float | None = None
    training_flops: float | None = None
    checkpoint_step: int | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """A row of ``items``."""

    task: str
    item_id: str
    task_version: str = ""
    input: str | None = None
    target: str | None = None
    choices: Sequence[str] | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Response:
    """A row of ``responses``: one output of one model on one item."""

    run_id: str
    model_id: str
    task: str
    item_id: str
    sample_index: int = 0
    prompt_variant: str = ""
    task_version: str | None = None
    output: str | None = None
    choice_logprobs: Sequence[float] | None = None
    choice_greedy: Sequence[bool] | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_s: float | None = None
    cost: float | None = None
    status: ResponseStatus = "ok"
    error: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Score:
    """A row of ``scores``: one metric value of one response (``None`` = unscored)."""

    run_id: str
    model_id: str
    task: str
    item_id: str
    metric: str
    value: float | None
    sample_index: int = 0
    prompt_variant: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    """A row of ``comparisons``: one pairwise verdict."""

    run_id: str
    task: str
    item_id: str
    model_a: str
    model_b: str
    judge: str
    winner: Winner
    position: Position = ""
    replicate: int = 0
    judge_kind: JudgeKind = ""
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TraceStep:
    """A row of ``traces``: one step of an agent trajectory."""

    run_id: str
    model_id: str
    task: str
    item_id: str
    step: int
    kind: TraceKind
    trial: int = 0
    role: str | None = None
    tool: str | None = None
    arguments: Mapping[str, Any] | None = None
    result: str | None = None
    side_effects: Sequence[Any] | Mapping[str, Any] | None = None
    timestamp: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A row of ``aggregates``: a task-level value reported by a source."""

    run_id: str
    model_id: str
    task: str
    metric: str
    value: float | None
    stderr: float | None = None
    n: int | None = None


RECORDS: Final[dict[TableName, type]] = {
    "runs": Run,
    "models": Model,
    "items": Item,
    "responses": Response,
    "scores": Score,
    "comparisons": Comparison,
    "traces": TraceStep,
    "aggregates": Aggregate,
}


def check_table(table: object, func: str) -> TableName:
    """``table`` if it names a table of the store, else an :class:`InputError` naming
    ``func``'s ``table`` parameter."""
    if not isinstance(table, str) or table not in SCHEMAS:
        raise InputError(
            f"unknown table {table!r}: the 'table' parameter of {func} must be one of "
            f"{list(TABLES)}"
        )
    return table  # type: ignore[return-value]


def records_to_table(table: TableName, records: Iterable[object | Mapping[str, Any]]) -> pa.Table:
    """Build the Arrow table of ``table`` from records or plain dicts.

    JSON columns given as Python objects are serialised with :func:`to_json`; missing
    columns are null.

    Raises
    ------
    InputError
        ``table`` is not a table name; a record is neither a record (e.g.
        :class:`Score` for ``"scores"``) nor a mapping, or has a field that is not a
        column of ``table``; or a value does not fit its column's type.
    """
    schema = SCHEMAS[check_table(table, "records_to_table")]
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
        raise InputError(
            f"the 'records' parameter of records_to_table must be an iterable of "
            f"{RECORDS[table].__name__} records or mappings; got {type(records).__name__}"
        )
    json_cols = JSON_COLUMNS[table]
    columns = frozenset(schema.names)
    own = RECORDS[table]
    own_fields = tuple(f.name for f in dataclasses.fields(own))
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(records):
        if type(rec) is own:  # the table's own record type: its fields are its columns
            row = {name: getattr(rec, name) for name in own_fields}
        elif dataclasses.is_dataclass(rec) and not isinstance(rec, type):
            row = {f.name: getattr(rec, f.name) for f in dataclasses.fields(rec)}
        elif isinstance(rec, Mapping):
            row = dict(rec)
        else:
            raise InputError(
                f"records_to_table: table {table!r}, row {i} must be a "
                f"{RECORDS[table].__name__} record or a mapping; got {type(rec).__name__}"
            )
        unknown = [] if type(rec) is own else [k for k in row if k not in columns]
        if unknown:
            raise InputError(
                f"records_to_table: table {table!r}, row {i} (a {type(rec).__name__}) has "
                f"no column(s) {unknown}; expected columns {schema.names}"
            )
        for col in json_cols:
            v = row.get(col)
            if v is not None and not isinstance(v, str):
                row[col] = to_json(v)
        rows.append(row)
    _check_values(table, schema, rows)
    try:
        return pa.Table.from_pylist(rows, schema=_relaxed(schema))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        _locate_bad_value(table, schema, rows)
        raise InputError(f"records_to_table: table {table!r}: {exc}") from exc


def _check_values(table: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
    """Refuse the values Arrow would convert silently into something else: a string
    where a list belongs (it becomes a list of characters) and a fractional number
    where an integer belongs (it is truncated)."""
    for f in schema:
        is_list = pa.types.is_list(f.type)
        if not is_list and not pa.types.is_integer(f.type):
            continue
        values = [row.get(f.name) for row in rows]
        kinds = set(map(type, values))  # one pass in C; the rows are read only on a hit
        if is_list and not kinds & {str, bytes}:
            continue
        if not is_list and not any(issubclass(k, float) for k in kinds):
            continue
        for i, v in enumerate(values):
            if (is_list and isinstance(v, str | bytes)) or (
                not is_list and isinstance(v, float) and not v.is_integer()
            ):
                raise InputError(
                    f"records_to_table: table {table!r}, row {i}, column {f.name!r}: "
                    f"expected {f.type}; got {v!r}"
                )


def _locate_bad_value(table: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
    """Raise an :class:`InputError` naming the first row and column Arrow cannot convert."""
    for f in schema:
        try:
            pa.array([row.get(f.name) for row in rows], type=f.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            for i, row in enumerate(rows):
                v = row.get(f.name)
                try:
                    pa.array([v], type=f.type)
                except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                    raise InputError(
                        f"records_to_table: table {table!r}, row {i}, column {f.name!r}: "
                        f"expected {f.type}; got {v!r} ({type(v).__name__})"
                    ) from exc


def empty_table(table: TableName) -> pa.Table:
    """An empty Arrow table with the schema of ``table``."""
    return _relaxed(SCHEMAS[check_table(table, "empty_table")]).empty_table()


def _relaxed(schema: pa.Schema) -> pa.Schema:
    """The schema with every field nullable: nulls in key columns are reported by the
    store's validation with a clear message rather than by Arrow."""
    return pa.schema([f.with_nullable(True) for f in schema])
