"""Converting a parsed Inspect log into assay's rows (:mod:`assay.io.inspect_log` detects
and reads the files, then hands each log to :class:`_Converter`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from assay.errors import FormatError
from assay.io._base import ImportBatch, content_hash
from assay.schema import (
    Aggregate,
    Item,
    Model,
    Response,
    Run,
    Score,
    TableName,
    TraceStep,
    records_to_table,
    to_json,
)

#: the runs' ``source``
_SOURCE: Final = "inspect"
_STATUS: Final[dict[str, str]] = {
    "success": "complete",
    "cancelled": "cancelled",
    "error": "error",
    "started": "partial",
}
_WORD_VALUES: Final[dict[str, float]] = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
_BOOL_WORDS: Final[dict[str, float]] = {"yes": 1.0, "true": 1.0, "no": 0.0, "false": 0.0}
_ATTACHMENT: Final = "attachment://"
_EXPLANATION_CHARS: Final = 1000
_BASE57: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass
class _Log:
    """A log as parsed JSON: the header (everything but the samples) and the samples,
    each with where it came from (an archive member or ``samples[i]``)."""

    path: Path
    header: dict[str, Any]
    samples: list[tuple[str, Any]]
    header_source: str


# --------------------------------------------------------------------------- conversion


class _Malformed(Exception):
    """A sample field is not what Inspect writes (turned into a FormatError)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _obj(value: Any, field: str) -> dict[str, Any]:
    """``value`` as a JSON object (``{}`` for null)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Malformed(field, f"expected a JSON object, got {type(value).__name__}")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Malformed(field, f"expected a JSON list, got {type(value).__name__}")
    return value


def _text(content: Any, field: str) -> str:
    """The text of a message's content (a string or a list of content parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type") == "text":
                text = part.get("text")
                if isinstance(text, str):
                    parts.append(text)
        return "\n".join(parts)
    raise _Malformed(
        field, f"expected text or a list of content parts, got {type(content).__name__}"
    )


def _resolve(value: Any, attachments: Mapping[str, Any], missing: set[str]) -> Any:
    """``value`` with every ``attachment://<hash>`` string replaced by its content."""
    if isinstance(value, str):
        if value.startswith(_ATTACHMENT):
            key = value[len(_ATTACHMENT) :]
            if key in attachments:
                return attachments[key]
            missing.add(key)
        return value
    if isinstance(value, list):
        return [_resolve(v, attachments, missing) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, attachments, missing) for k, v in value.items()}
    return value


def _number(value: Any) -> float | None:
    """A finite-or-infinite float from a JSON number; None for null, NaN and non-numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return None if math.isnan(f) else f


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if math.isfinite(value) else None


def _score_to_float(value: Any) -> tuple[float | None, bool]:
    """Convert one scalar Inspect score value; the flag is False when it could not be
    converted (an unknown string or a nested value)."""
    if value is None:
        return None, True
    if isinstance(value, bool):
        return (1.0 if value else 0.0), True
    if isinstance(value, int | float):
        f = float(value)
        return (None if math.isnan(f) else f), True
    if isinstance(value, str):
        if value in _WORD_VALUES:
            return _WORD_VALUES[value], True
        word = value.strip().lower()
        if word in _BOOL_WORDS:
            return _BOOL_WORDS[word], True
        try:
            f = float(word)
        except ValueError:
            return None, False
        return (None if math.isnan(f) else f), True
    return None, False


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC)


def _base57_id_hash(content: str) -> str:
    """The 22-character id Inspect derives for a log without ``eval_id``: BLAKE2s-128 of
    the text, written in the base-57 alphabet of shortuuid (last 22 digits)."""
    number = int.from_bytes(hashlib.blake2s(content.encode(), digest_size=16).digest(), "big")
    digits: list[str] = []
    while number:
        number, rem = divmod(number, 57)
        digits.append(_BASE57[rem])
    text = "".join(reversed(digits)) or _BASE57[0]
    return text[-22:].rjust(22, _BASE57[0])


def _drop_none(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != {} and v != []}


class _Converter:
    """Turns one parsed log into the rows of one batch."""

    def __init__(self, log: _Log) -> None:
        self.log = log
        self.path = log.path
        self.header = log.header
        self.notes: list[str] = []
        try:
            self.spec = _obj(self.header.get("eval"), "eval")
            self.plan = _obj(self.header.get("plan"), "plan")
            self.results = _obj(self.header.get("results"), "results")
            self.stats = _obj(self.header.get("stats"), "stats")
            self.eval_config = _obj(self.spec.get("config"), "eval.config")
        except _Malformed as exc:
            raise FormatError(self.path, exc.message, field=exc.field) from exc
        task = self.spec.get("task")
        if not isinstance(task, str) or not task:
            raise FormatError(self.path, "the eval spec names no task", field="eval.task")
        model = self.spec.get("model")
        if not isinstance(model, str) or not model:
            raise FormatError(self.path, "the eval spec names no model", field="eval.model")
        self.task: str = task
        self.model_id: str = model
        version = self.spec.get("task_version")
        self.task_version = "" if version is None else str(version)
        status = self.header.get("status")
        if status not in _STATUS:
            raise FormatError(
                self.path,
                f"unknown log status {status!r}; expected one of {', '.join(_STATUS)}",
                field="status",
            )
        self.status = _STATUS[status]
        self.run_id = self._run_id()
        self.served_as: set[str] = set()
        self.unconverted: dict[str, Counter[str]] = {}

    # ---------------------------------------------------------------- batch
    def batch(self) -> ImportBatch:
        items: dict[str, Item] = {}
        responses: list[Response] = []
        scores: list[Score] = []
        traces: list[TraceStep] = []
        seen: set[tuple[str, int]] = set()
        n_errors = 0
        missing_attachments: set[str] = set()
        for where, sample in self.log.samples:
            try:
                item, response, sample_scores, steps = self._sample(sample, missing_attachments)
            except _Malformed as exc:
                raise FormatError(self.path, exc.message, field=f"{where}: {exc.field}") from exc
            key = (item.item_id, response.sample_index)
            if key in seen:
                raise FormatError(
                    self.path,
                    f"sample {item.item_id!r}, epoch {response.sample_index + 1} appears twice",
                    field=where,
                )
            seen.add(key)
            items.setdefault(item.item_id, item)
            responses.append(response)
            scores.extend(sample_scores)
            traces.extend(steps)
            n_errors += response.status == "error"
        self._sample_notes(len(responses), n_errors, missing_attachments)
        try:
            aggregates = self._aggregates()
            run = self._run(bool(responses))
            model = self._model()
        except _Malformed as exc:
            raise FormatError(self.path, exc.message, field=exc.field) from exc
        tables: dict[TableName, pa.Table] = {
            "runs": records_to_table("runs", [run]),
            "models": records_to_table("models", [model]),
            "items": records_to_table("items", items.values()),
            "responses": records_to_table("responses", responses),
            "scores": records_to_table("scores", scores),
            "traces": records_to_table("traces", traces),
            "aggregates": records_to_table("aggregates", aggregates),
        }
        return ImportBatch(
            source=_SOURCE,
            files=(str(self.path),),
            run_id=self.run_id,
            tables=tables,
            notes=tuple(self.notes),
        )

    # ---------------------------------------------------------------- runs, models
    def _run_id(self) -> str:
        eval_id = self.spec.get("eval_id")
        if isinstance(eval_id, str) and eval_id:
            return f"inspect-{eval_id}"
        parts = [self.spec.get(k) for k in ("run_id", "task_id", "created")]
        if all(isinstance(p, str) and p for p in parts):
            return f"inspect-{_base57_id_hash(''.join(parts))}"  # type: ignore[arg-type]
        return f"inspect-{content_hash([self.path])}"

    def _run(self, has_samples: bool) -> Run:
        spec, cfg = self.spec, self.eval_config
        dataset = _obj(spec.get("dataset"), "eval.dataset")
        generate = {**_obj(spec.get("model_generate_config"), "eval.model_generate_config")}
        plan_config = _obj(self.plan.get("config"), "plan.config")
        steps = [
            _drop_none({"solver": s.get("solver"), "params": s.get("params")})
            for s in _list(self.plan.get("steps"), "plan.steps")
            if isinstance(s, dict)
        ]
        config = _drop_none(
            {
                "task": self.task,
                "task_version": spec.get("task_version"),
                "task_file": spec.get("task_file"),
                "task_registry_name": spec.get("task_registry_name"),
                "task_args": spec.get("task_args"),
                "solver": spec.get("solver"),
                "solver_args": spec.get("solver_args"),
                "model": self.model_id,
                "model_args": spec.get("model_args"),
                "model_base_url": spec.get("model_base_url"),
                "model_roles": spec.get("model_roles"),
                "generate_config": generate,
                "plan_generate_config": plan_config,
                "plan": steps,
                "dataset": {k: v for k, v in dataset.items() if k != "sample_ids"},
                "sandbox": spec.get("sandbox"),
                "scorers": [
                    s.get("name")
                    for s in _list(spec.get("scorers"), "eval.scorers")
                    if isinstance(s, dict)
                ],
                **{
                    k: cfg.get(k)
                    for k in (
                        "epochs",
                        "epochs_reducer",
                        "limit",
                        "sample_id",
                        "message_limit",
                        "token_limit",
                        "time_limit",
                        "working_limit",
                        "fail_on_error",
                    )
                },
            }
        )
        selection = {
            "dataset": dataset,
            "limit": cfg.get("limit"),
            "sample_id": cfg.get("sample_id"),
        }
        data_hash = hashlib.sha256((to_json(selection) or "").encode()).hexdigest()[:16]
        revision = _obj(spec.get("revision"), "eval.revision")
        commit = revision.get("commit")
        seed = _int(generate.get("seed"))
        if seed is None:
            seed = _int(plan_config.get("seed"))
        error = self.header.get("error")
        if isinstance(error, dict):
            error = _drop_none(
                {"message": error.get("message"), "traceback": error.get("traceback")}
            )
        metadata = _drop_none(
            {
                "log_version": self.header.get("version"),
                "log_header": self.log.header_source,
                "inspect_status": self.header.get("status"),
                "eval_id": spec.get("eval_id"),
                "inspect_run_id": spec.get("run_id"),
                "eval_set_id": spec.get("eval_set_id"),
                "task_id": spec.get("task_id"),
                "inspect_version": _obj(spec.get("packages"), "eval.packages").get("inspect_ai"),
                "packages": spec.get("packages"),
                "revision": revision,
                "tags": spec.get("tags"),
                "eval_metadata": spec.get("metadata"),
                "log_metadata": self.header.get("metadata"),
                "invalidated": self.header.get("invalidated") or None,
                "total_samples": self.results.get("total_samples"),
                "completed_samples": self.results.get("completed_samples"),
                "started_at": self.stats.get("started_at"),
                "completed_at": self.stats.get("completed_at"),
                "model_usage": self.stats.get("model_usage"),
                "error": error,
            }
        )
        return Run(
            run_id=self.run_id,
            source=_SOURCE,
            granularity="item" if has_samples else "aggregate",
            status=self.status,  # type: ignore[arg-type]
            created_at=_parse_time(spec.get("created")),
            source_path=str(self.path),
            config=config,
            code_hash=commit if isinstance(commit, str) and commit else None,
            data_hash=data_hash,
            seed=seed,
            metadata=metadata,
        )

    def _model(self) -> Model:
        provider = self.model_id.split("/", 1)[0] if "/" in self.model_id else None
        return Model(
            model_id=self.model_id,
            metadata=_drop_none(
                {
                    "provider": provider,
                    "model_args": self.spec.get("model_args"),
                    "base_url": self.spec.get("model_base_url"),
                    "served_as": sorted(self.served_as),
                }
            )
            or None,
        )

    # ---------------------------------------------------------------- samples
    def _sample(
        self, raw: Any, missing: set[str]
    ) -> tuple[Item, Response, list[Score], list[TraceStep]]:
        sample = _obj(raw, "sample")
        sample_id = sample.get("id")
        if isinstance(sample_id, bool) or not isinstance(sample_id, str | int) or sample_id == "":
            raise _Malformed("id", f"expected a sample id (text or integer), got {sample_id!r}")
        epoch = sample.get("epoch")
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
            raise _Malformed("epoch", f"expected an epoch number >= 1, got {epoch!r}")
        item_id = str(sample_id)
        attachments = _obj(sample.get("attachments"), "attachments")

        def resolved(key: str) -> Any:
            value = sample.get(key)
            return _resolve(value, attachments, missing) if attachments else value

        item = self._item(item_id, resolved("input"), resolved("target"), sample)
        messages = [_obj(m, "messages") for m in _list(resolved("messages"), "messages")]
        output = _obj(resolved("output"), "output")
        sample_scores = resolved("scores")
        if sample_scores is None and "score" in sample:  # log format 1: one unnamed score
            sample_scores = {self._first_scorer(): resolved("score")}
        score_map = _obj(sample_scores, "scores")
        response = self._response(item_id, epoch, sample, messages, output, score_map)
        scores = self._scores(item_id, epoch - 1, score_map)
        steps = self._traces(item_id, epoch - 1, messages, sample)
        return item, response, scores, steps

    def _item(self, item_id: str, input_: Any, target: Any, sample: Mapping[str, Any]) -> Item:
        metadata = dict(_obj(sample.get("metadata"), "metadata"))
        if isinstance(input_, list):
            msgs = [_obj(m, "input") for m in input_]
            texts = [_text(m.get("content"), "input") for m in msgs]
            metadata["input_messages"] = [
                {"role": m.get("role"), "content": t} for m, t in zip(msgs, texts, strict=True)
            ]
            text: str | None = "\n\n".join(texts)
        elif isinstance(input_, str) or input_ is None:
            text = input_
        else:
            raise _Malformed(
                "input", f"expected text or a list of messages, got {type(input_).__name__}"
            )
        if isinstance(target, list):
            targets = [str(t) for t in target]
            target_text: str | None = targets[0] if len(targets) == 1 else to_json(targets)
        elif target is None or isinstance(target, str):
            target_text = target
        else:
            raise _Malformed(
                "target", f"expected text or a list of texts, got {type(target).__name__}"
            )
        choices = sample.get("choices")
        choice_list = [str(c) for c in _list(choices, "choices")] if choices else None
        return Item(
            task=self.task,
            task_version=self.task_version,
            item_id=item_id,
            input=text,
            target=target_text,
            choices=choice_list,
            metadata=metadata or None,
        )

    def _response(
        self,
        item_id: str,
        epoch: int,
        sample: Mapping[str, Any],
        messages: list[dict[str, Any]],
        output: Mapping[str, Any],
        score_map: Mapping[str, Any],
    ) -> Response:
        choices = _list(output.get("choices"), "output.choices")
        first = _obj(choices[0], "output.choices[0]") if choices else {}
        completion = output.get("completion")
        if not isinstance(completion, str) or not completion:
            completion = None
            if first:
                completion = _text(
                    _obj(first.get("message"), "output.choices[0].message").get("content"),
                    "output.choices[0].message.content",
                )
            else:
                for m in reversed(messages):
                    if m.get("role") == "assistant":
                        completion = _text(m.get("content"), "messages.content")
                        break
        served = output.get("model")
        if isinstance(served, str) and served:
            self.served_as.add(served)
        model_usage = _obj(sample.get("model_usage"), "model_usage")
        usage = model_usage.get(self.model_id)
        if not isinstance(usage, dict):
            usage = output.get("usage")
        usage = _obj(usage, "usage")
        error = sample.get("error")
        message: str | None = None
        if isinstance(error, dict):
            message = str(error.get("message") or "error")
        elif isinstance(error, str) and error:
            message = error
        total_time = _number(sample.get("total_time"))
        working_time = _number(sample.get("working_time"))
        score_meta = {}
        for name, score in score_map.items():
            if isinstance(score, dict):
                explanation = score.get("explanation")
                if isinstance(explanation, str) and len(explanation) > _EXPLANATION_CHARS:
                    explanation = explanation[:_EXPLANATION_CHARS] + " …[truncated]"
                score_meta[name] = _drop_none(
                    {
                        "value": score.get("value"),
                        "answer": score.get("answer"),
                        "explanation": explanation,
                    }
                )
        retries = sample.get("error_retries")
        metadata = _drop_none(
            {
                "epoch": epoch,
                "uuid": sample.get("uuid"),
                "served_as": served,
                "stop_reason": first.get("stop_reason"),
                "limit": sample.get("limit"),
                "usage": model_usage or output.get("usage"),
                "total_time": total_time,
                "working_time": working_time,
                "output_time": _number(output.get("time")),
                "error_retries": len(retries) if isinstance(retries, list) else None,
                "message_count": len(messages),
                "scores": score_meta,
            }
        )
        return Response(
            run_id=self.run_id,
            model_id=self.model_id,
            task=self.task,
            item_id=item_id,
            sample_index=epoch - 1,
            task_version=self.task_version,
            output=completion,
            input_tokens=_int(usage.get("input_tokens")),
            output_tokens=_int(usage.get("output_tokens")),
            latency_s=total_time if total_time is not None else working_time,
            cost=_number(usage.get("total_cost")),
            status="error" if message is not None else "ok",
            error=message,
            metadata=metadata,
        )

    def _first_scorer(self) -> str:
        for s in _list(self.results.get("scores"), "results.scores"):
            if isinstance(s, dict) and isinstance(s.get("name"), str):
                return str(s["name"])
        scorer = _obj(self.results.get("scorer"), "results.scorer")
        return str(scorer.get("name") or "score")

    def _scores(self, item_id: str, index: int, score_map: Mapping[str, Any]) -> list[Score]:
        rows: list[Score] = []
        for scorer, score in score_map.items():
            value = _obj(score, f"scores.{scorer}").get("value")
            if isinstance(value, dict):
                parts = [(f"{scorer}/{k}", v) for k, v in value.items()]
            elif isinstance(value, list):
                parts = [(f"{scorer}/{i}", v) for i, v in enumerate(value)]
            else:
                parts = [(scorer, value)]
            for metric, v in parts:
                number, ok = _score_to_float(v)
                if not ok:
                    text = v if isinstance(v, str) else json.dumps(v)[:40]
                    self.unconverted.setdefault(metric, Counter())[text[:40]] += 1
                rows.append(
                    Score(
                        run_id=self.run_id,
                        model_id=self.model_id,
                        task=self.task,
                        item_id=item_id,
                        metric=metric,
                        value=number,
                        sample_index=index,
                    )
                )
        return rows

    def _traces(
        self, item_id: str, trial: int, messages: list[dict[str, Any]], sample: Mapping[str, Any]
    ) -> list[TraceStep]:
        if not messages:
            return []
        times = self._event_times(sample) if any("id" in m for m in messages) else {}
        steps: list[TraceStep] = []

        def add(**kw: Any) -> None:
            steps.append(
                TraceStep(
                    run_id=self.run_id,
                    model_id=self.model_id,
                    task=self.task,
                    item_id=item_id,
                    trial=trial,
                    step=len(steps),
                    **kw,
                )
            )

        for i, m in enumerate(messages):
            role = m.get("role")
            text = _text(m.get("content"), f"messages[{i}].content")
            if role == "tool":
                error = m.get("error")
                if isinstance(error, dict) and error.get("message"):
                    kind = error.get("type") or "error"
                    text = f"{text}\n" if text else ""
                    text += f"error ({kind}): {error.get('message')}"
                add(
                    kind="observation",
                    role="tool",
                    tool=m.get("function"),
                    result=text,
                    timestamp=times.get(str(m.get("tool_call_id"))),
                )
                continue
            stamp = times.get(str(m.get("id")))
            add(
                kind="message",
                role=role if isinstance(role, str) else None,
                result=text,
                timestamp=stamp,
            )
            for call in _list(m.get("tool_calls"), f"messages[{i}].tool_calls"):
                call = _obj(call, f"messages[{i}].tool_calls")
                args = call.get("arguments")
                add(
                    kind="action",
                    role=role if isinstance(role, str) else None,
                    tool=call.get("function"),
                    arguments=args if isinstance(args, dict) else {"raw": args},
                    timestamp=stamp,
                )
        return steps

    @staticmethod
    def _event_times(sample: Mapping[str, Any]) -> dict[str, dt.datetime]:
        """When each model output message (by id) and each tool call (by call id) ended."""
        events = sample.get("events")
        times: dict[str, dt.datetime] = {}
        if not isinstance(events, list):
            return times
        for ev in events:
            if not isinstance(ev, dict) or ev.get("event") not in ("model", "tool"):
                continue
            stamp = _parse_time(ev.get("completed")) or _parse_time(ev.get("timestamp"))
            if stamp is None:
                continue
            if ev["event"] == "tool":
                if isinstance(ev.get("id"), str):
                    times[ev["id"]] = stamp
                continue
            output = ev.get("output")
            for choice in output.get("choices") or [] if isinstance(output, dict) else []:
                msg = choice.get("message") if isinstance(choice, dict) else None
                if isinstance(msg, dict) and isinstance(msg.get("id"), str):
                    times[msg["id"]] = stamp
        return times

    # ---------------------------------------------------------------- aggregates
    def _aggregates(self) -> list[Aggregate]:
        eval_scores = self.results.get("scores")
        if eval_scores is None and "scorer" in self.results:  # log format 1
            old = _obj(self.results.get("scorer"), "results.scorer")
            eval_scores = [
                {**old, "scorer": old.get("name"), "metrics": self.results.get("metrics")}
            ]
        entries = [_obj(e, "results.scores") for e in _list(eval_scores, "results.scores")]
        fallback_n = _int(self.results.get("completed_samples"))
        if fallback_n is None:
            fallback_n = _int(self.results.get("total_samples"))
        ways = Counter((e.get("scorer") or e.get("name"), e.get("name")) for e in entries)
        rows: list[Aggregate] = []
        for e in entries:
            scorer = str(e.get("scorer") or e.get("name") or "score")
            name = str(e.get("name") or scorer)
            base = scorer if name == scorer else f"{scorer}/{name}"
            reducer = e.get("reducer")
            if reducer and ways[(e.get("scorer") or e.get("name"), e.get("name"))] > 1:
                base = f"{base}@{reducer}"
            metrics = e.get("metrics")
            if isinstance(metrics, list):
                metrics = {str(m.get("name")): m for m in metrics if isinstance(m, dict)}
            values: dict[str, float | None] = {}
            for key, m in _obj(metrics, "results.scores.metrics").items():
                values[str(key)] = _number(m.get("value") if isinstance(m, dict) else m)
            n = _int(e.get("scored_samples"))
            if n is None:
                n = fallback_n
            stderr_of = None
            if "stderr" in values:
                others = [k for k in values if k != "stderr"]
                if "accuracy" in values:
                    stderr_of = "accuracy"
                elif "mean" in values:
                    stderr_of = "mean"
                elif len(others) == 1:
                    stderr_of = others[0]
            for key, value in values.items():
                if key == "stderr" and stderr_of is not None:
                    continue
                rows.append(
                    Aggregate(
                        run_id=self.run_id,
                        model_id=self.model_id,
                        task=self.task,
                        metric=f"{base}/{key}",
                        value=value,
                        stderr=values["stderr"] if key == stderr_of else None,
                        n=n,
                    )
                )
        return rows

    # ---------------------------------------------------------------- notes
    def _sample_notes(self, n_responses: int, n_errors: int, missing: set[str]) -> None:
        if self.log.header_source == "_journal/start.json":
            self.notes.append(
                "the archive has no header.json (the run was cancelled, crashed or is still "
                "going): the spec comes from _journal/start.json, the status is 'partial' and "
                "there are no reported aggregates"
            )
        if not n_responses:
            self.notes.append("the log holds no samples: only run-level rows were imported")
        if n_errors:
            self.notes.append(
                f"{n_errors} of {n_responses} samples ended in an error (status 'error')"
            )
        completed = _int(self.results.get("completed_samples"))
        epochs = _int(self.eval_config.get("epochs")) or 1
        if (
            self.status == "complete"
            and completed is not None
            and n_responses
            and (n_responses != completed * epochs)
        ):
            self.notes.append(
                f"the results report {completed} completed samples x {epochs} epochs, but the "
                f"log holds {n_responses} sample records"
            )
        if self.status in ("cancelled", "error", "partial"):
            dataset = self.spec.get("dataset")
            total = _int(dataset.get("samples")) if isinstance(dataset, dict) else None
            of = f" of the dataset's {total}" if total is not None else ""
            self.notes.append(
                f"the run did not finish (Inspect status {self.header.get('status')!r}): "
                f"{n_responses} sample record(s){of} were imported"
            )
        if missing:
            self.notes.append(
                f"{len(missing)} attachment reference(s) had no attachment and were kept as "
                "'attachment://...' text"
            )
        for metric, values in sorted(self.unconverted.items()):
            shown = ", ".join(repr(v) for v, _ in values.most_common(3))
            self.notes.append(
                f"{sum(values.values())} '{metric}' score value(s) are not numbers or "
                f"C/I/P/N ({shown}); stored as null"
            )
