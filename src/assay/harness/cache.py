"""A request cache: the same request to the same model is answered once.

The key is a SHA-256 over the model's identity (weights hash, adapter, library version,
settings), the kind of request and every field of the request (context, continuations,
generation settings, seed). Results are stored in a SQLite file, safe to share between
processes (Ray workers) and between runs: a second run that asks what an earlier run
already asked -- another item limit, another task sharing items -- costs nothing.
Results read from the cache report ``tokens_evaluated = 0``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from assay.harness.models._base import (
    AsyncModelAdapter,
    ChoiceScores,
    Generation,
    GenerationRequest,
    LoglikelihoodRequest,
    ModelAdapter,
)

__all__ = ["CachedAsyncModel", "CachedModel", "RequestCache", "cached", "request_key"]


def request_key(identity: dict[str, Any], kind: str, request: object) -> str:
    """The cache key of ``request`` (a dataclass) sent to the model with ``identity``."""
    doc = {"model": identity, "kind": kind, "request": dataclasses.asdict(request)}  # type: ignore[call-overload]
    blob = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class RequestCache:
    """A SQLite file of ``key -> JSON result``.

    Parameters
    ----------
    path
        The cache file (created with its directory when missing).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        with self._lock:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute(
                "CREATE TABLE IF NOT EXISTS requests (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            self._con.commit()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._con.execute("SELECT value FROM requests WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        value: dict[str, Any] = json.loads(row[0])
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        blob = json.dumps(value, sort_keys=True)
        with self._lock:
            self._con.execute("INSERT OR REPLACE INTO requests VALUES (?, ?)", (key, blob))
            self._con.commit()

    def close(self) -> None:
        with self._lock:
            self._con.close()


def _scores_from(value: dict[str, Any]) -> ChoiceScores:
    return ChoiceScores(
        logprobs=tuple(value["logprobs"]),
        greedy=tuple(value["greedy"]),
        continuation_tokens=tuple(value["continuation_tokens"]),
        context_tokens=int(value["context_tokens"]),
        tokens_evaluated=0,
    )


def _generation_from(value: dict[str, Any]) -> Generation:
    return Generation(
        text=value["text"],
        input_tokens=int(value["input_tokens"]),
        output_tokens=int(value["output_tokens"]),
        finish_reason=value["finish_reason"],
        metadata={**value.get("metadata", {}), "cached": True},
    )


class CachedModel:
    """A synchronous adapter whose answers go through a :class:`RequestCache`.

    Its ``model_id`` and ``identity()`` are the wrapped model's: caching never changes
    what a run is.
    """

    def __init__(self, model: ModelAdapter, cache: RequestCache) -> None:
        self.inner = model
        self.cache = cache
        self.name = model.name
        self.model_id = model.model_id
        self._identity = model.identity()

    def __getattr__(self, attr: str) -> Any:  # family, parameters, chat_prompt, ...
        return getattr(self.inner, attr)

    def identity(self) -> dict[str, Any]:
        return self._identity

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def loglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores:
        key = request_key(self._identity, "loglikelihood", request)
        hit = self.cache.get(key)
        if hit is not None:
            return _scores_from(hit)
        result = self.inner.loglikelihood(request)
        self.cache.put(key, dataclasses.asdict(result))
        return result

    def generate(self, request: GenerationRequest) -> Generation:
        key = request_key(self._identity, "generate", request)
        hit = self.cache.get(key)
        if hit is not None:
            return _generation_from(hit)
        result = self.inner.generate(request)
        self.cache.put(key, {**dataclasses.asdict(result), "metadata": dict(result.metadata)})
        return result


class CachedAsyncModel:
    """An asynchronous adapter whose answers go through a :class:`RequestCache`."""

    def __init__(self, model: AsyncModelAdapter, cache: RequestCache) -> None:
        self.inner = model
        self.cache = cache
        self.name = model.name
        self.model_id = model.model_id
        self.max_concurrency = model.max_concurrency
        self._identity = model.identity()

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def identity(self) -> dict[str, Any]:
        return self._identity

    async def aloglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores:
        key = request_key(self._identity, "loglikelihood", request)
        hit = self.cache.get(key)
        if hit is not None:
            return _scores_from(hit)
        result = await self.inner.aloglikelihood(request)
        self.cache.put(key, dataclasses.asdict(result))
        return result

    async def agenerate(self, request: GenerationRequest) -> Generation:
        key = request_key(self._identity, "generate", request)
        hit = self.cache.get(key)
        if hit is not None:
            return _generation_from(hit)
        result = await self.inner.agenerate(request)
        self.cache.put(key, {**dataclasses.asdict(result), "metadata": dict(result.metadata)})
        return result

    async def aclose(self) -> None:
        await self.inner.aclose()


def cached(
    model: ModelAdapter | AsyncModelAdapter, cache: RequestCache
) -> CachedModel | CachedAsyncModel:
    """``model`` behind ``cache`` (synchronous or asynchronous as the model is)."""
    if isinstance(model, AsyncModelAdapter):
        return CachedAsyncModel(model, cache)
    return CachedModel(model, cache)
