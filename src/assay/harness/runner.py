"""Running a model over a task into the store, resumably.

A run's id is a hash of everything that determines its results (task content hash, model
identity, item limit, prompt variants, samples, seed), so running the same thing again
*resumes* it: units (item x prompt variant x sample) whose response is stored with status
``ok`` are skipped, failed ones are retried, missing ones are done. Finished units are
written in small transactions (a response and its scores together), so a crash or a kill
loses at most the units not yet flushed and never leaves half a unit or a duplicate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from assay._display import html_table, rich_table
from assay._version import __version__
from assay.errors import InputError, ModelError
from assay.harness.models import GenerationRequest, LoglikelihoodRequest, ModelAdapter
from assay.harness.tasks._spec import Task, TaskItem
from assay.metrics import choice_accuracy, exact_match, extract_answer
from assay.schema import Item, Model, Response, Run, Score
from assay.store import Store

__all__ = ["RunOutcome", "run_id_for", "run_task"]


@dataclass(frozen=True)
class RunOutcome:
    """What one call of :func:`run_task` did."""

    run_id: str
    task: str
    model_id: str
    status: str
    units: int
    done: int
    already_stored: int
    errors: int
    tokens_evaluated: int = 0
    seconds: float = 0.0
    error_examples: tuple[str, ...] = field(default_factory=tuple)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["run", "task", "model", "status", "units", "done now", "already stored", "errors"]
        return cols, [
            [
                self.run_id,
                self.task,
                self.model_id,
                self.status,
                self.units,
                self.done,
                self.already_stored,
                self.errors,
            ]
        ]

    def __rich__(self) -> object:
        cols, rows = self.to_rows()
        return rich_table(cols, rows, title="run")

    def _repr_html_(self) -> str:
        cols, rows = self.to_rows()
        return html_table(cols, rows, title="run")


def run_id_for(
    task: Task,
    model: ModelAdapter,
    *,
    limit: int | None,
    variants: Sequence[str],
    samples: int,
    seed: int,
) -> str:
    """The deterministic id of a run: the same inputs give the same id (and so resume)."""
    doc = {
        "task": task.name,
        "task_hash": task.content_hash,
        "model": model.identity(),
        "limit": limit,
        "variants": list(variants),
        "samples": samples,
        "seed": seed,
    }
    blob = json.dumps(doc, sort_keys=True, default=str)
    return "run-" + hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Unit:
    item: TaskItem
    variant: str
    sample: int


def run_task(
    store: Store,
    task: Task,
    model: ModelAdapter,
    *,
    limit: int | None = None,
    variants: Sequence[str] | None = None,
    samples: int | None = None,
    seed: int = 0,
    flush_every: int = 16,
    progress: bool = True,
) -> RunOutcome:
    """Evaluate ``model`` on ``task`` and store every item's response and scores.

    Parameters
    ----------
    store
        Where responses, scores, the run, the model and the items are written.
    task
        The task.
    model
        Any :class:`~assay.harness.models.ModelAdapter`.
    limit
        Only the first ``limit`` items.
    variants
        Prompt variants to run (default: all of the task's templates).
    samples
        Completions per item (default: the task's ``samples``).
    seed
        Base seed; sample ``k`` of an item is generated with ``seed + k``.
    flush_every
        Units per store transaction.
    progress
        Show a progress bar (items, rate, ETA, errors) on stderr.

    Returns
    -------
    RunOutcome
        The run id, its status and how many units were done, skipped and failed.
    """
    chosen = list(variants) if variants is not None else sorted(task.templates)
    for v in chosen:
        if v not in task.templates:
            raise InputError(
                f"task {task.name!r} has no prompt variant {v!r}; variants are {sorted(task.templates)}"
            )
    n_samples = samples if samples is not None else task.samples
    if n_samples < 1:
        raise InputError(f"the 'samples' parameter of run_task must be >= 1; got {n_samples}")
    if limit is not None and limit < 1:
        raise InputError(f"the 'limit' parameter of run_task must be >= 1; got {limit}")
    items = list(task.select(limit))
    run_id = run_id_for(task, model, limit=limit, variants=chosen, samples=n_samples, seed=seed)

    existing = store.read("runs", where={"run_id": run_id}).to_pylist()
    created = existing[0]["created_at"] if existing else dt.datetime.now(dt.UTC)
    run_row = Run(
        run_id=run_id,
        source="assay",
        granularity="item",
        status="running",
        created_at=created,
        config={
            "task": task.name,
            "task_version": task.version,
            "limit": limit,
            "variants": chosen,
            "samples": n_samples,
            "kind": task.kind,
            "metric": task.metric,
            "few_shot": task.few_shot,
            "few_shot_seed": task.few_shot_seed,
            "prompt_format": task.prompt_format,
            "max_tokens": task.max_tokens,
            "stop": list(task.stop),
            "temperature": task.temperature,
            "model": model.identity(),
        },
        assay_version=__version__,
        data_hash=task.content_hash,
        seed=seed,
        metadata={"python": platform.python_version(), "platform": platform.platform()},
    )
    store.write(
        {
            "runs": [run_row],
            "models": [_model_row(model)],
            "items": [
                Item(
                    task=task.name,
                    task_version=task.version,
                    item_id=it.item_id,
                    input=it.input,
                    target=it.target,
                    choices=it.choices,
                    metadata=dict(it.metadata),
                )
                for it in items
            ],
        }
    )

    done_keys = {
        (r["item_id"], r["prompt_variant"], r["sample_index"])
        for r in store.query(
            "SELECT item_id, prompt_variant, sample_index FROM responses "
            "WHERE run_id = ? AND status = 'ok'",
            [run_id],
        ).to_pylist()
    }
    units = [_Unit(it, v, k) for it in items for v in chosen for k in range(n_samples)]
    pending = [u for u in units if (u.item.item_id, u.variant, u.sample) not in done_keys]

    started = time.perf_counter()
    done = errors = tokens = 0
    examples: list[str] = []
    responses: list[Response] = []
    scores: list[Score] = []

    def flush() -> None:
        if responses:
            store.write({"responses": list(responses), "scores": list(scores)})
            responses.clear()
            scores.clear()

    status = "running"
    try:
        with _progress(progress, task.name, len(units), len(units) - len(pending)) as tick:
            for unit in pending:
                resp, unit_scores, evaluated = _evaluate(task, model, run_id, unit, seed)
                responses.append(resp)
                scores.extend(unit_scores)
                tokens += evaluated
                done += 1
                if resp.status == "error":
                    errors += 1
                    if len(examples) < 3:
                        examples.append(f"{unit.item.item_id}: {resp.error}")
                tick(errors)
                if len(responses) >= flush_every:
                    flush()
            flush()
        status = "complete"
    except KeyboardInterrupt:
        flush()
        status = "partial"
        raise
    finally:
        if status == "running":  # an unexpected exception: keep what was flushed
            status = "partial"
        store.write({"runs": [_with_status(run_row, status, done, errors)]})
    return RunOutcome(
        run_id=run_id,
        task=task.name,
        model_id=model.model_id,
        status=status,
        units=len(units),
        done=done,
        already_stored=len(units) - len(pending),
        errors=errors,
        tokens_evaluated=tokens,
        seconds=time.perf_counter() - started,
        error_examples=tuple(examples),
    )


def _with_status(run: Run, status: str, done: int, errors: int) -> Run:
    meta = dict(run.metadata or {})
    meta.update({"last_session_units": done, "last_session_errors": errors})
    return Run(
        **{
            **{f: getattr(run, f) for f in run.__dataclass_fields__},
            "status": status,
            "metadata": meta,
        }
    )


def _model_row(model: ModelAdapter) -> Model:
    return Model(
        model_id=model.model_id,
        family=getattr(model, "family", None),
        parameters=getattr(model, "parameters", None),
        metadata={"adapter": model.identity()},
    )


def _evaluate(
    task: Task, model: ModelAdapter, run_id: str, unit: _Unit, seed: int
) -> tuple[Response, list[Score], int]:
    """One unit: the response row, its score rows and the tokens evaluated."""
    item = unit.item
    key: dict[str, Any] = {
        "run_id": run_id,
        "model_id": model.model_id,
        "task": task.name,
        "item_id": item.item_id,
        "sample_index": unit.sample,
        "prompt_variant": unit.variant,
    }
    metrics = ("acc", "acc_norm") if task.kind == "multiple_choice" else (task.metric,)
    t0 = time.perf_counter()
    try:
        prompt = task.prompt(item, unit.variant)
        if task.kind == "multiple_choice":
            if task.prompt_format == "chat":
                chat_prompt = getattr(model, "chat_prompt", None)
                if chat_prompt is None:
                    raise ModelError(f"the {model.name} adapter cannot format chat prompts")
                prompt = chat_prompt(prompt)
            choices = item.choices or ()
            result = model.loglikelihood(LoglikelihoodRequest(prompt, task.continuations(item)))
            values = choice_accuracy(result.logprobs, choices, item.gold)
            best = max(range(len(choices)), key=result.logprobs.__getitem__)
            response = Response(
                **key,
                task_version=task.version,
                output=choices[best],
                choice_logprobs=result.logprobs,
                choice_greedy=result.greedy,
                input_tokens=result.context_tokens,
                output_tokens=sum(result.continuation_tokens),
                latency_s=time.perf_counter() - t0,
                metadata={
                    "tokens_evaluated": result.tokens_evaluated,
                    "continuation_tokens": list(result.continuation_tokens),
                },
            )
            evaluated = result.tokens_evaluated
        else:
            gen = model.generate(
                GenerationRequest(
                    prompt=prompt,
                    max_tokens=task.max_tokens,
                    stop=task.stop,
                    temperature=task.temperature,
                    seed=seed + unit.sample,
                    chat=task.prompt_format == "chat",
                )
            )
            answer = extract_answer(gen.text, task.answer_pattern)
            values = {task.metric: exact_match(answer, item.target)}
            response = Response(
                **key,
                task_version=task.version,
                output=gen.text,
                input_tokens=gen.input_tokens,
                output_tokens=gen.output_tokens,
                latency_s=time.perf_counter() - t0,
                metadata={"answer": answer, "finish_reason": gen.finish_reason},
            )
            evaluated = gen.input_tokens + gen.output_tokens
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # any failure of one item becomes its error row
        detail = f"{type(exc).__name__}: {exc}"
        response = Response(
            **key,
            task_version=task.version,
            status="error",
            error=detail,
            latency_s=time.perf_counter() - t0,
            metadata={"traceback": traceback.format_exc(limit=5)},
        )
        return response, [Score(**key, metric=m, value=None) for m in metrics], 0
    return response, [Score(**key, metric=m, value=v) for m, v in values.items()], evaluated


@contextmanager
def _progress(
    enabled: bool, name: str, total: int, completed: int
) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (units, rate, errors, elapsed, ETA); yields its tick."""
    if not enabled:
        yield lambda errors: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("[red]{task.fields[errors]} errors"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        handle = bar.add_task(name, total=total, completed=completed, errors=0, rate="")
        started = time.perf_counter()
        count = 0

        def tick(errors: int) -> None:
            nonlocal count
            count += 1
            rate = count / max(time.perf_counter() - started, 1e-9)
            bar.update(handle, advance=1, errors=errors, rate=f"{rate:.1f}/s")

        yield tick
