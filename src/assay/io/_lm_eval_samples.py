"""Reading lm-evaluation-harness ``samples_*.jsonl`` files into item, response and score
rows, and the column buffers they fill (:mod:`assay.io.lm_eval` reads the results files
and calls this module for the samples)."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from assay.errors import FormatError
from assay.io._base import read_bytes
from assay.schema import TableName, empty_table, to_json

#: fields of a samples record that are not per-sample metric values
_SAMPLE_FIELDS: Final = frozenset(
    {
        "doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter",
        "metrics", "doc_hash", "prompt_hash", "target_hash", "task_name",
    }
)  # fmt: skip
_TEXT_LIMIT: Final = 4000
_LOGLIK_TYPES: Final = frozenset({"multiple_choice", "loglikelihood"})


@dataclass(frozen=True)
class _ModelInfo:
    model_id: str
    family: str | None = None
    parameters: float | None = None
    checkpoint_step: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _number(value: Any) -> float | None:
    """A metric value as a float: bools are 1.0/0.0 (also as the strings lm-eval writes
    for numpy bools), "N/A" and other non-numbers are None."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            flag = _bool(value)
            return None if flag is None else float(flag)
    return None


# --------------------------------------------------------------------------- samples files


#: task config fields that decide what an item is (its prompt, target and choices)
_ITEM_DEFINING = (
    "output_type",
    "dataset_path",
    "dataset_name",
    "test_split",
    "doc_to_text",
    "doc_to_target",
    "doc_to_choice",
    "target_delimiter",
    "fewshot_delimiter",
)


def _task_version(version: Any, config: dict[str, Any]) -> str:
    """The task version, qualified by a hash of the config fields that define its items.

    Two configurations of one task name with the same version (a generation and a
    multiple-choice variant, say) have different prompts and targets; the hash keeps
    their item rows apart, while runs of the same configuration on different models
    share items (``n_shot`` and model arguments are left out on purpose).
    """
    base = "" if version is None else str(version)
    defining = {k: config[k] for k in _ITEM_DEFINING if k in config}
    if not defining:
        return base
    digest = hashlib.sha256(json.dumps(defining, sort_keys=True, default=str).encode())
    return f"{base}+{digest.hexdigest()[:8]}"


def _read_samples(
    path: Path,
    task: str,
    task_version: str,
    config: Mapping[str, Any],
    tables: _Tables,
    notes: list[str],
) -> None:
    output_type = config.get("output_type") if isinstance(config.get("output_type"), str) else None
    filters = _filter_names(config)
    seen: dict[tuple[int, str], int] = {}
    occurrences: dict[int, int] = {}
    docs: dict[int, int] = {}  # doc_id -> row index in responses
    metric_cache: dict[frozenset[str], list[str]] = {}
    non_numeric: set[str] = set()
    data = read_bytes(path)
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        rec = _parse_line(path, number, raw)
        doc_id = rec.get("doc_id")
        if isinstance(doc_id, str) and doc_id.strip().lstrip("-").isdigit():
            doc_id = int(doc_id)
        if not isinstance(doc_id, int) or isinstance(doc_id, bool):
            raise FormatError(
                path,
                f"expected an integer 'doc_id' in every samples record; got {doc_id!r}",
                line=number,
                field="doc_id",
            )
        filt = rec.get("filter")
        inferred = not isinstance(filt, str)
        if not isinstance(filt, str):
            k = occurrences.get(doc_id, 0)
            filt = filters[min(k, len(filters) - 1)]
            occurrences[doc_id] = k + 1
        if (doc_id, filt) in seen:
            how = (
                f" (records without a 'filter' field are matched in order to the task's "
                f"filters: {', '.join(filters)})"
                if inferred
                else ""
            )
            raise FormatError(
                path,
                f"doc_id {doc_id} appears twice with filter {filt!r} (first on line "
                f"{seen[doc_id, filt]}){how}; expected one record per document and filter",
                line=number,
                field="doc_id",
            )
        seen[doc_id, filt] = number
        item_id = str(doc_id)

        names = rec.get("metrics")
        if not isinstance(names, list):
            names = _infer_metrics(rec, config, metric_cache)
        for metric in names:
            if not isinstance(metric, str) or metric not in rec:
                continue
            raw_value = rec[metric]
            value = _number(raw_value)
            if value is None and raw_value is not None:
                non_numeric.add(metric)
                continue
            tables.scores.add(task=task, item_id=item_id, metric=f"{metric},{filt}", value=value)

        output = _first_output(rec.get("filtered_resps"))
        if doc_id in docs:
            meta = tables.response_meta[docs[doc_id]]
            meta.setdefault("filters", [meta["filter"]]).append(filt)
            meta.setdefault(
                "filtered", {meta["filter"]: tables.responses.data["output"][docs[doc_id]]}
            )
            meta["filtered"][filt] = output
            continue
        docs[doc_id] = _add_doc(rec, task, task_version, item_id, filt, output, output_type, tables)
    if non_numeric:
        notes.append(
            f"{path.name}: the values of {', '.join(sorted(non_numeric))} are not numbers "
            "(per-sample inputs of a corpus-level metric such as BLEU); no score rows for them"
        )


def _parse_line(path: Path, number: int, raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"not UTF-8 text (byte {exc.start + 1})", line=number) from exc
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            why = (
                f"the line ends inside a JSON record ({exc.msg} at column {exc.colno}): the "
                "record is split over several lines (a raw line break inside it?)"
            )
        else:
            why = f"not valid JSON: {exc.msg} at column {exc.colno}"
        raise FormatError(
            path, f"{why}; expected one complete JSON object per line", line=number
        ) from exc
    if not isinstance(rec, dict):
        raise FormatError(
            path,
            f"expected a JSON object (one samples record) per line; got {type(rec).__name__}",
            line=number,
        )
    return rec


def _filter_names(config: Mapping[str, Any]) -> list[str]:
    """The task's filters in the order lm-eval writes them; ``["none"]`` without any."""
    flist = config.get("filter_list")
    if isinstance(flist, list):
        names = [f.get("name") for f in flist if isinstance(f, dict)]
        if names and all(isinstance(n, str) for n in names):
            return names  # type: ignore[return-value]
    return ["none"]


def _infer_metrics(
    rec: Mapping[str, Any], config: Mapping[str, Any], cache: dict[frozenset[str], list[str]]
) -> list[str]:
    """The metric fields of a record without a ``metrics`` list (older harness versions)."""
    keys = frozenset(rec)
    if keys not in cache:
        listed: list[str] = []
        mlist = config.get("metric_list")
        if isinstance(mlist, list):
            for m in mlist:
                name = m.get("metric") if isinstance(m, dict) else None
                if isinstance(name, str) and name in rec:
                    listed.append(name)
        if not listed:
            listed = [
                k
                for k, v in rec.items()
                if k not in _SAMPLE_FIELDS and (v is None or isinstance(v, int | float | bool))
            ]
        cache[keys] = listed
    return cache[keys]


def _add_doc(
    rec: Mapping[str, Any],
    task: str,
    task_version: str,
    item_id: str,
    filt: str,
    output: str | None,
    output_type: str | None,
    tables: _Tables,
) -> int:
    requests = _requests(rec.get("arguments"))
    prompt = _text(requests[0][0]) if requests else None
    logprobs: list[float] | None = None
    greedy: list[bool] | None = None
    if output_type in _LOGLIK_TYPES or output_type is None:
        pairs = _loglik_pairs(rec.get("resps"), rec.get("filtered_resps"), len(requests))
        if pairs is not None:
            logprobs = [p[0] for p in pairs]
            greedy = [p[1] for p in pairs]
    is_loglik = logprobs is not None
    choices: list[str] | None = None
    if is_loglik and (
        output_type == "multiple_choice" or (output_type is None and len(requests) > 1)
    ):
        contexts, conts = [r[0] for r in requests], [r[1] for r in requests]
        if all(isinstance(c, str) for c in conts):
            choices = conts
        # "multiple input" tasks (winogrande): the contexts differ, not the continuation
        same = len(requests) > 1 and len(set(map(str, conts))) == 1
        if same and all(isinstance(c, str) for c in contexts):
            prompt, choices = _split_contexts(contexts)
    target = rec.get("target")
    doc = rec.get("doc")
    if isinstance(doc, str):
        with contextlib.suppress(ValueError):
            doc = json.loads(doc)
    if doc is not None and not isinstance(doc, dict):
        doc = {"doc": doc}
    tables.items.add(
        task=task,
        task_version=task_version,
        item_id=item_id,
        input=prompt,
        target=_target(target),
        choices=choices,
        metadata=_doc_json(doc) if doc is not None else None,
    )
    meta: dict[str, Any] = {"filter": filt}
    if not is_loglik:
        raw = rec.get("resps")
        gens = raw[0] if isinstance(raw, list) and raw and isinstance(raw[0], list) else raw
        if gens is not None and gens != [output]:
            meta["resps"] = _shrink(gens)
        if requests and isinstance(requests[0][1], dict):
            meta["gen_kwargs"] = requests[0][1]
    for key in ("doc_hash", "prompt_hash", "target_hash"):
        if isinstance(rec.get(key), str):
            meta[key] = rec[key]
    tables.responses.add(
        task=task,
        item_id=item_id,
        task_version=task_version,
        output=None if is_loglik else output,
        choice_logprobs=logprobs,
        choice_greedy=greedy,
    )
    tables.response_meta.append(meta)
    return len(tables.response_meta) - 1


def _split_contexts(contexts: list[str]) -> tuple[str, list[str]]:
    """The shared start of the contexts (cut at a word boundary) and what follows it."""
    first, last = min(contexts), max(contexts)
    n = next((i for i, (x, y) in enumerate(zip(first, last, strict=False)) if x != y), len(first))
    prefix = first[:n]
    rests = [c[len(prefix) :] for c in contexts]
    if prefix[-1:].isalnum() and any(r[:1].isalnum() for r in rests):
        prefix = prefix[: max(prefix.rfind(" "), prefix.rfind("\n")) + 1]
    return prefix, [c[len(prefix) :] for c in contexts]


def _target(target: Any) -> str | None:
    if target is None or isinstance(target, str):
        return target
    if isinstance(target, int | float):
        return str(target)
    return _json(target)


def _requests(args: Any) -> list[tuple[Any, Any]]:
    """``(arg_0, arg_1)`` of each request: context and continuation or gen kwargs."""
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            return [(args, None)]
    out: list[tuple[Any, Any]] = []
    if isinstance(args, dict):
        for _, req in sorted(args.items(), key=lambda kv: _index(kv[0])):
            if isinstance(req, dict):
                out.append((req.get("arg_0"), req.get("arg_1")))
            elif isinstance(req, list | tuple):
                out.append((req[0] if req else None, req[1] if len(req) > 1 else None))
    elif isinstance(args, list):
        for req in args:
            if isinstance(req, list | tuple):
                out.append((req[0] if req else None, req[1] if len(req) > 1 else None))
            else:
                out.append((req, None))
    return out


def _index(key: str) -> int:
    tail = key.rpartition("_")[2]
    return int(tail) if tail.isdigit() else 0


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return str(value[0])
    return json.dumps(value, ensure_ascii=False)


def _first_output(filtered: Any) -> str | None:
    """The first filtered response as text (a generation, or None)."""
    if isinstance(filtered, str):
        if not filtered.lstrip().startswith("["):
            return str(filtered)
        try:
            filtered = json.loads(filtered)
        except ValueError:
            return str(filtered)
    while isinstance(filtered, list):
        if not filtered:
            return None
        filtered = filtered[0]
    if filtered is None:
        return None
    if isinstance(filtered, str):
        return filtered
    return json.dumps(filtered, ensure_ascii=False)


def _loglik_pairs(resps: Any, filtered: Any, n_requests: int) -> list[tuple[float, bool]] | None:
    """``(logprob, is_greedy)`` per request, or None when the responses are not pairs."""
    for source in (resps, filtered):
        if isinstance(source, str):
            source = _literal(source)
        if not isinstance(source, list) or not source:
            continue
        if n_requests and len(source) != n_requests:
            continue
        pairs = [_loglik_pair(x) for x in source]
        if all(p is not None for p in pairs):
            return pairs  # type: ignore[return-value]
    return None


def _loglik_pair(x: Any) -> tuple[float, bool] | None:
    if type(x) is list and len(x) == 1 and type(x[0]) is list and len(x[0]) == 2:
        x = x[0]  # the usual [[logprob, is_greedy]]
    for _ in range(4):
        if isinstance(x, str):
            x = _literal(x)
        if not isinstance(x, list | tuple):
            return None
        if len(x) == 1 or (x and isinstance(x[0], list | tuple)):
            x = x[0]  # one element, or several repeats of the request: the first
            continue
        if len(x) != 2:
            return None
        lp = None if isinstance(x[0], bool) else _number(x[0])
        greedy = _bool(x[1])
        return (lp, greedy) if lp is not None and greedy is not None else None
    return None


def _literal(s: str) -> Any:
    s = s.strip()
    if not s or s[0] not in "[(" or len(s) > 1000:
        return None
    try:
        return ast.literal_eval(s)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _json(value: Any) -> str | None:
    """:func:`assay.schema.to_json`, with a fast path for values without NaN/infinity."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError):
        return to_json(value)


def _doc_json(doc: Mapping[str, Any]) -> str | None:
    """The document as JSON, its long strings cut so that item rows stay moderate."""
    text = _json(doc)
    if text is not None and len(text) > _TEXT_LIMIT:
        text = _json(_shrink(doc))
    return text


def _shrink(value: Any, limit: int = _TEXT_LIMIT) -> Any:
    """``value`` with every string longer than ``limit`` characters cut (marked)."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return value[:limit] + f"... [{len(value) - limit} more characters]"
    if isinstance(value, dict):
        return {k: _shrink(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_shrink(v, limit) for v in value]
    return value


# --------------------------------------------------------------------------- tables


class _Columns:
    """Column lists of one table; constant columns are filled when the table is built."""

    def __init__(self, table: TableName, fixed: Mapping[str, Any]) -> None:
        self.schema = empty_table(table).schema
        self.fixed = dict(fixed)
        self.data: dict[str, list[Any]] = {n: [] for n in self.schema.names if n not in self.fixed}

    def add(self, **values: Any) -> None:
        """Append one row: a value for every column that is not fixed."""
        for name, value in values.items():
            self.data[name].append(value)

    def __len__(self) -> int:
        return len(next(iter(self.data.values())))

    def to_arrow(self) -> pa.Table:
        n = len(self)
        arrays = []
        for f in self.schema:
            values = self.data[f.name] if f.name in self.data else [self.fixed[f.name]] * n
            arrays.append(pa.array(values, type=f.type))
        return pa.Table.from_arrays(arrays, schema=self.schema)


class _Tables:
    """The rows of one batch, built column by column."""

    def __init__(self, run_id: str, model_id: str) -> None:
        key = {"run_id": run_id, "model_id": model_id}
        item_key = {**key, "sample_index": 0, "prompt_variant": ""}
        unknown = dict.fromkeys(("input_tokens", "output_tokens", "latency_s", "cost", "error"))
        self.items = _Columns("items", {})
        self.responses = _Columns(
            "responses", {**item_key, **unknown, "status": "ok", "metadata": None}
        )
        self.response_meta: list[dict[str, Any]] = []
        self.scores = _Columns("scores", item_key)
        self.aggregates = _Columns("aggregates", key)
        self._runs = _Columns("runs", dict.fromkeys(("assay_version", "code_hash", "data_hash")))
        self._models = _Columns("models", dict.fromkeys(("training_tokens", "training_flops")))

    def run(self, row: Mapping[str, Any]) -> None:
        self._runs.add(**row)

    def model(self, info: _ModelInfo) -> None:
        self._models.add(
            model_id=info.model_id,
            family=info.family,
            parameters=info.parameters,
            checkpoint_step=info.checkpoint_step,
            metadata=to_json(info.metadata) if info.metadata else None,
        )

    def finish(self) -> dict[TableName, pa.Table]:
        responses = self.responses.to_arrow()
        meta = pa.array([_json(m) for m in self.response_meta], type=pa.string())
        responses = responses.set_column(
            responses.schema.get_field_index("metadata"), "metadata", meta
        )
        built: Iterable[tuple[TableName, pa.Table]] = (
            ("runs", self._runs.to_arrow()),
            ("models", self._models.to_arrow()),
            ("items", self.items.to_arrow()),
            ("responses", responses),
            ("scores", self.scores.to_arrow()),
            ("aggregates", self.aggregates.to_arrow()),
        )
        return {name: t for name, t in built if t.num_rows}
