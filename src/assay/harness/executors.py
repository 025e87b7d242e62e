"""Where units run: in this process, concurrently over HTTP, or on Ray workers.

Every executor yields :class:`~assay.harness._evaluate.UnitResult` objects as units finish,
in any order; the runner is the single writer that stores them. Stopping the iteration
(Ctrl-C, an exception in the writer) stops the executor: requests in flight are dropped
and redone on resume.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from assay.errors import InputError, PrerequisiteError
from assay.harness._evaluate import Unit, UnitResult, aevaluate, evaluate
from assay.harness.models._base import AsyncModelAdapter, ModelAdapter
from assay.harness.tasks._spec import Task

__all__ = ["Executor", "ModelInfo", "RayWorkers", "iter_async", "iter_local"]

Executor = Literal["local", "ray"]


@dataclass(frozen=True)
class ModelInfo:
    """What the runner records about a model that may live in another process."""

    model_id: str
    identity: dict[str, Any]
    family: str | None
    parameters: float | None


def iter_local(
    task: Task, model: ModelAdapter, run_id: str, units: Sequence[Unit], seed: int
) -> Iterator[UnitResult]:
    """Units one after another on an in-process model."""
    for unit in units:
        yield evaluate(task, model, run_id, unit, seed)


@dataclass(frozen=True)
class _Crash:
    exc: BaseException


_DONE = object()


def iter_async(
    task: Task, model: AsyncModelAdapter, run_id: str, units: Sequence[Unit], seed: int
) -> Iterator[UnitResult]:
    """Units with up to ``model.max_concurrency`` requests in flight.

    The event loop runs in a background thread and hands finished units to the caller
    through a queue, so the store is written from one thread only.
    """
    results: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    async def one(sem: asyncio.Semaphore, unit: Unit) -> None:
        async with sem:
            if stop.is_set():
                return
            results.put(await aevaluate(task, model, run_id, unit, seed))

    async def main() -> None:
        sem = asyncio.Semaphore(max(1, model.max_concurrency))
        try:
            await asyncio.gather(*(one(sem, u) for u in units))
        finally:
            await model.aclose()

    def drive() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # handed to the consuming thread
            results.put(_Crash(exc))
        finally:
            results.put(_DONE)

    thread = threading.Thread(target=drive, name="assay-async-executor", daemon=True)
    thread.start()
    try:
        while True:
            got = results.get()
            if got is _DONE:
                break
            if isinstance(got, _Crash):
                raise got.exc
            assert isinstance(got, UnitResult)
            yield got
    finally:
        stop.set()
        thread.join(timeout=10)


class _Worker:
    """A Ray actor holding its own copy of the model."""

    def __init__(self, spec: str, cache_path: str | None) -> None:
        from assay.harness.cache import RequestCache, cached
        from assay.harness.models import load_model

        model = load_model(spec, threads=1)  # the actor reserves one CPU
        if isinstance(model, AsyncModelAdapter):
            raise InputError(
                f"{spec}: models reached over HTTP run concurrently from one process; "
                "use the local executor for them"
            )
        if cache_path is not None:
            model = cached(model, RequestCache(cache_path))  # type: ignore[assignment]
        self.model: ModelAdapter = model

    def info(self) -> ModelInfo:
        m = self.model
        return ModelInfo(
            model_id=m.model_id,
            identity=m.identity(),
            family=getattr(m, "family", None),
            parameters=getattr(m, "parameters", None),
        )

    def run(self, task: Task, run_id: str, units: list[Unit], seed: int) -> list[UnitResult]:
        return [evaluate(task, self.model, run_id, u, seed) for u in units]


class RayWorkers:
    """Ray actors, each holding its own copy of the model, that evaluate shards of units.

    Parameters
    ----------
    spec
        The model spec each worker loads (``llamacpp:smollm2``, ``mock``, ...).
    workers
        Number of actors (each reserves one CPU).
    address
        An existing Ray cluster (``"auto"`` or ``ray://...``); ``None`` starts a local
        instance with ``workers`` CPUs.
    temp_dir
        Ray's session directory for a local instance.
    batch
        Units per request to a worker.
    cache
        A request cache file shared by the workers.
    """

    def __init__(
        self,
        spec: str,
        *,
        workers: int = 2,
        address: str | None = None,
        temp_dir: str | Path | None = None,
        batch: int = 4,
        cache: str | Path | None = None,
    ) -> None:
        try:
            import ray
        except ImportError as exc:
            raise PrerequisiteError("the ray executor needs Ray: pip install 'assay[ray]'") from exc
        if workers < 1:
            raise InputError(f"the 'workers' parameter must be >= 1; got {workers}")
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if address is None:
                kwargs["num_cpus"] = workers
                if temp_dir is not None:
                    kwargs["_temp_dir"] = str(temp_dir)
            else:
                kwargs["address"] = address
            ray.init(**kwargs)
            self._started = True
        actor: Any = ray.remote(num_cpus=1)(_Worker)  # Ray's stubs do not type actor handles
        cache_path = None if cache is None else str(cache)
        self._actors: list[Any] = [actor.remote(spec, cache_path) for _ in range(workers)]
        self.batch = batch
        self.info: ModelInfo = ray.get(self._actors[0].info.remote())

    def iter(
        self, task: Task, run_id: str, units: Sequence[Unit], seed: int
    ) -> Iterator[UnitResult]:
        """Shards of ``units`` over the actors, two shards in flight per actor."""
        ray = self._ray
        shards = iter([list(units[i : i + self.batch]) for i in range(0, len(units), self.batch)])
        task_ref = ray.put(task)
        pending: dict[Any, Any] = {}

        def submit(actor: Any) -> None:
            shard = next(shards, None)
            if shard is not None:
                pending[actor.run.remote(task_ref, run_id, shard, seed)] = actor

        for actor in self._actors:
            submit(actor)
            submit(actor)
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                ref = done[0]
                actor = pending.pop(ref)
                submit(actor)
                yield from ray.get(ref)
        finally:
            for ref in pending:
                ray.cancel(ref, force=False)

    def close(self) -> None:
        """Stop the actors (and the local Ray instance, when this object started it)."""
        for actor in self._actors:
            self._ray.kill(actor)
        if self._started:
            self._ray.shutdown()
