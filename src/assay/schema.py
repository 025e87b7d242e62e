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

Keys, JSON columns (stored as text) and the allowed values of enumerated columns are
declared here and validated by the store on every write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import pyarrow as pa

__all__ = [
    "JSON_COLUMNS",
    "KEYS",
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


def to_json(value: Any) -> str | None:
    """Serialise ``value`` for a JSON column (``None`` stays ``None``; keys sorted).

    Non-finite floats are written as the strings ``"NaN"``/``"Infinity"`` so the text is
    strict JSON that any engine can parse.
    """
    if value is None:
        return None
    return json.dumps(_finite(value), sort_keys=True, ensure_ascii=False, default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
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


def records_to_table(table: TableName, records: Iterable[object | Mapping[str, Any]]) -> pa.Table:
    """Build the Arrow table of ``table`` from records or plain dicts.

    JSON columns given as Python objects are serialised with :func:`to_json`; missing
    columns are null.
    """
    schema = SCHEMAS[table]
    json_cols = JSON_COLUMNS[table]
    rows: list[dict[str, Any]] = []
    for rec in records:
        row = (
            {f.name: getattr(rec, f.name) for f in dataclasses.fields(rec)}  # type: ignore[arg-type]
            if dataclasses.is_dataclass(rec)
            else dict(rec)  # type: ignore[call-overload]
        )
        for col in json_cols:
            v = row.get(col)
            if v is not None and not isinstance(v, str):
                row[col] = to_json(v)
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=_relaxed(schema))


def empty_table(table: TableName) -> pa.Table:
    """An empty Arrow table with the schema of ``table``."""
    return _relaxed(SCHEMAS[table]).empty_table()


def _relaxed(schema: pa.Schema) -> pa.Schema:
    """The schema with every field nullable: nulls in key columns are reported by the
    store's validation with a clear message rather than by Arrow."""
    return pa.schema([f.with_nullable(True) for f in schema])
