"""Running a model over a task into the store, resumably.

A run's id is a hash of everything that determines its results (task content hash, model
identity, item limit, prompt variants, samples, seed), so running the same thing again
*resumes* it: units (item x prompt variant x sample) whose response is stored with status
``ok`` are skipped, failed ones are retried, missing ones are done. Finished units are
written in small transactions (a response and its scores together), so a crash or a kill
loses at most the units not yet flushed and never leaves half a unit or a duplicate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from assay._display import TableView
from assay._version import __version__
from assay.errors import InputError
from assay.harness._evaluate import Unit
from assay.harness.cache import RequestCache, cached
from assay.harness.executors import Executor, ModelInfo, RayWorkers, iter_async, iter_local
from assay.harness.models import AsyncModelAdapter, ModelAdapter, load_model
from assay.harness.tasks._spec import Task, TaskItem
from assay.schema import Item, Model, Response, Run, Score, TableName
from assay.store import Store

__all__ = ["RunOutcome", "item_rows", "run_id_for", "run_task"]


@dataclass(frozen=True)
class RunOutcome(TableView):
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

    @property
    def title(self) -> str:
        return "run"


def run_id_for(
    task: Task,
    model_identity: dict[str, Any],
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
        "model": model_identity,
        "limit": limit,
        "variants": list(variants),
        "samples": samples,
        "seed": seed,
    }
    blob = json.dumps(doc, sort_keys=True, default=str)
    return "run-" + hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_task(
    store: Store,
    task: Task,
    model: ModelAdapter | AsyncModelAdapter | str,
    *,
    limit: int | None = None,
    variants: Sequence[str] | None = None,
    samples: int | None = None,
    seed: int = 0,
    executor: Executor = "local",
    workers: int = 2,
    ray_address: str | None = None,
    ray_temp_dir: str | Path | None = None,
    cache: RequestCache | str | Path | None = None,
    flush_every: int = 4096,
    flush_seconds: float = 1.0,
    progress: bool = True,
) -> RunOutcome:
    """Evaluate ``model`` on ``task`` and store every item's response and scores.

    Parameters
    ----------
    store
        Where responses, scores, the run, the model and the items are written (by this
        process only, whatever the executor).
    task
        The task.
    model
        A model adapter, or a spec for :func:`~assay.harness.models.load_model`
        (``"llamacpp:smollm2"``); the Ray executor needs a spec, which each worker loads.
    limit
        Only the first ``limit`` items.
    variants
        Prompt variants to run (default: all of the task's templates).
    samples
        Completions per item (default: the task's ``samples``).
    seed
        Base seed; sample ``k`` of an item is generated with ``seed + k``.
    executor
        ``"local"``: in this process (models reached over HTTP get up to their
        ``max_concurrency`` requests in flight); ``"ray"``: shards of items on Ray workers,
        each holding its own model.
    workers, ray_address, ray_temp_dir
        Ray workers, an existing cluster's address (a local instance is started when
        ``None``) and the local instance's session directory.
    cache
        A :class:`~assay.harness.cache.RequestCache` or its file: requests answered
        before (by any run) are not sent to the model again.
    flush_every, flush_seconds
        Finished units are written in one store transaction when ``flush_every`` have
        gathered or ``flush_seconds`` have passed since the last write, whichever comes
        first (and when the run stops, however it stops): a crash loses at most that much
        finished work, which a re-run redoes, and fast models are not slowed by a
        transaction per handful of items.
    progress
        Show a progress bar (units, rate, errors, ETA) on stderr.

    Returns
    -------
    RunOutcome
        The run id, its status and how many units were done, skipped and failed.
    """
    if executor not in get_args(Executor):
        raise InputError(
            f"the 'executor' parameter of run_task must be 'local' or 'ray'; got {executor!r}"
        )
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

    request_cache = RequestCache(cache) if isinstance(cache, str | Path) else cache
    workers_pool: RayWorkers | None = None
    adapter: ModelAdapter | AsyncModelAdapter | None = None
    if executor == "ray":
        if not isinstance(model, str):
            raise InputError(
                "the ray executor needs a model spec (e.g. 'llamacpp:smollm2') that each "
                "worker loads, not a model object"
            )
        workers_pool = RayWorkers(
            model,
            workers=workers,
            address=ray_address,
            temp_dir=ray_temp_dir,
            cache=None if request_cache is None else request_cache.path,
        )
        info = workers_pool.info
    else:
        adapter = load_model(model) if isinstance(model, str) else model
        if request_cache is not None:
            adapter = cached(adapter, request_cache)
        info = ModelInfo(
            model_id=adapter.model_id,
            identity=adapter.identity(),
            family=getattr(adapter, "family", None),
            parameters=getattr(adapter, "parameters", None),
        )
    try:
        return _run(
            store,
            task,
            info,
            adapter,
            workers_pool,
            items,
            chosen,
            n_samples,
            limit,
            seed,
            (flush_every, flush_seconds),
            progress,
        )
    finally:
        if workers_pool is not None:
            workers_pool.close()


def _run(
    store: Store,
    task: Task,
    info: ModelInfo,
    adapter: ModelAdapter | AsyncModelAdapter | None,
    workers_pool: RayWorkers | None,
    items: list[TaskItem],
    chosen: list[str],
    n_samples: int,
    limit: int | None,
    seed: int,
    flush_at: tuple[int, float],
    progress: bool,
) -> RunOutcome:
    run_id = run_id_for(
        task, info.identity, limit=limit, variants=chosen, samples=n_samples, seed=seed
    )
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
            "model": info.identity,
        },
        assay_version=__version__,
        data_hash=task.content_hash,
        seed=seed,
        metadata={
            "python": platform.python_version(),
            "platform": platform.platform(),
            "packages": _package_versions(),
        },
    )
    # the run, model and item rows go into the first transaction that stores results (or
    # the last one): the model gets its first requests without waiting for this write
    preamble: dict[TableName, list[Any]] = {
        "runs": [run_row],
        "models": [
            Model(
                model_id=info.model_id,
                family=info.family,
                parameters=info.parameters,
                metadata={"adapter": info.identity},
            )
        ],
        "items": item_rows(task, items),
    }

    done_keys = {
        (r["item_id"], r["prompt_variant"], r["sample_index"])
        for r in store.query(
            "SELECT item_id, prompt_variant, sample_index FROM responses "
            "WHERE run_id = ? AND status = 'ok'",
            [run_id],
        ).to_pylist()
    }
    units = [Unit(it, v, k) for it in items for v in chosen for k in range(n_samples)]
    pending = [u for u in units if u.key not in done_keys]

    if workers_pool is not None:
        results = workers_pool.iter(task, run_id, pending, seed)
    elif isinstance(adapter, AsyncModelAdapter):
        results = iter_async(task, adapter, run_id, pending, seed)
    else:
        assert adapter is not None
        results = iter_local(task, adapter, run_id, pending, seed)

    started = time.perf_counter()
    done = errors = tokens = 0
    examples: list[str] = []
    responses: list[Response] = []
    scores: list[Score] = []

    flush_every, flush_seconds = flush_at
    last_flush = time.perf_counter()

    def flush() -> None:
        nonlocal last_flush
        last_flush = time.perf_counter()
        if responses or preamble:
            store.write({**preamble, "responses": list(responses), "scores": list(scores)})
            preamble.clear()
            responses.clear()
            scores.clear()

    status = "running"
    try:
        with _progress(progress, task.name, len(units), len(units) - len(pending)) as tick:
            for result in results:
                responses.append(result.response)
                scores.extend(result.scores)
                tokens += result.tokens_evaluated
                done += 1
                if result.failed:
                    errors += 1
                    if len(examples) < 3:
                        examples.append(f"{result.response.item_id}: {result.response.error}")
                tick(errors)
                if (
                    len(responses) >= flush_every
                    or time.perf_counter() - last_flush >= flush_seconds
                ):
                    flush()
            flush()
        status = "complete"
    except KeyboardInterrupt:
        flush()
        status = "partial"
        raise
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
        if status == "running":  # an unexpected exception: keep what was flushed
            status = "partial"
        store.write({**preamble, "runs": [_with_status(run_row, status, done, errors)]})
    return RunOutcome(
        run_id=run_id,
        task=task.name,
        model_id=info.model_id,
        status=status,
        units=len(units),
        done=done,
        already_stored=len(units) - len(pending),
        errors=errors,
        tokens_evaluated=tokens,
        seconds=time.perf_counter() - started,
        error_examples=tuple(examples),
    )


def item_rows(task: Task, items: Sequence[TaskItem]) -> list[Item]:
    """The store's rows for ``items`` of ``task`` (written with a run's first results)."""
    return [
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
    ]


#: libraries whose versions can change a run's numbers
_PACKAGES = (
    "assay",
    "duckdb",
    "numpy",
    "llama-cpp-python",
    "httpx",
    "ray",
    "transformers",
    "torch",
)


def _package_versions() -> dict[str, str]:
    """Installed versions of :data:`_PACKAGES` (those that are installed)."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def _with_status(run: Run, status: str, done: int, errors: int) -> Run:
    meta = dict(run.metadata or {})
    meta.update({"last_session_units": done, "last_session_errors": errors})
    return dataclasses.replace(run, status=status, metadata=meta)  # type: ignore[arg-type]


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
