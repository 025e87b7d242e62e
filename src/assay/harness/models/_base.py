"""The model adapter protocol and the requests and results that cross it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "AsyncModelAdapter",
    "ChoiceScores",
    "Generation",
    "GenerationRequest",
    "LoglikelihoodRequest",
    "ModelAdapter",
    "TokenLogprobs",
]


@dataclass(frozen=True)
class LoglikelihoodRequest:
    """Score each continuation after a shared context."""

    context: str
    continuations: tuple[str, ...]


@dataclass(frozen=True)
class ChoiceScores:
    """Log-likelihoods of each continuation given the context.

    Attributes
    ----------
    logprobs
        Sum of the log-probabilities of each continuation's tokens.
    greedy
        Whether each continuation is what greedy decoding would produce.
    continuation_tokens
        Tokens in each continuation (for length-normalised scores).
    context_tokens
        Tokens in the context.
    tokens_evaluated
        Tokens the model actually ran through for this request (shared context once, then
        each continuation: the minimum is context + sum of continuations).
    """

    logprobs: tuple[float, ...]
    greedy: tuple[bool, ...]
    continuation_tokens: tuple[int, ...]
    context_tokens: int
    tokens_evaluated: int


@dataclass(frozen=True)
class TokenLogprobs:
    """The tokens of a text with their character offsets and log-probabilities (each
    given the tokens before it; ``None`` where the model gives none, e.g. the first)."""

    tokens: tuple[str, ...]
    offsets: tuple[int, ...]
    logprobs: tuple[float | None, ...]
    #: the top alternatives the model reported at each position, when it reports them
    top: tuple[dict[str, float] | None, ...] | None = None

    def total_from(self, char: int) -> float:
        """Sum of the log-probabilities of the tokens starting at or after ``char``."""
        return float(
            sum(
                lp
                for off, lp in zip(self.offsets, self.logprobs, strict=True)
                if off >= char and lp is not None
            )
        )


@dataclass(frozen=True)
class GenerationRequest:
    """Generate a continuation of ``prompt``."""

    prompt: str
    max_tokens: int = 32
    stop: tuple[str, ...] = ()
    temperature: float = 0.0
    seed: int = 0
    chat: bool = False


@dataclass(frozen=True)
class Generation:
    """A generated completion (text without the stop sequence)."""

    text: str
    input_tokens: int
    output_tokens: int
    finish_reason: str = "stop"
    metadata: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class ModelAdapter(Protocol):
    """What the runner needs from a model.

    ``model_id`` names the model in the store; ``identity()`` returns what makes its
    outputs reproducible (weights file hash, adapter and library versions, settings) and
    is recorded in every run.
    """

    name: str
    model_id: str

    def identity(self) -> dict[str, Any]: ...

    def loglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores: ...

    def generate(self, request: GenerationRequest) -> Generation: ...

    def count_tokens(self, text: str) -> int: ...


@runtime_checkable
class AsyncModelAdapter(Protocol):
    """A model reached over the network: the runner keeps up to ``max_concurrency``
    requests in flight. Retries, backoff and timeouts are the adapter's job; a request
    that still fails raises :class:`~assay.errors.ModelError` (the runner stores it as an
    explicit error row and retries it on resume)."""

    name: str
    model_id: str
    max_concurrency: int

    def identity(self) -> dict[str, Any]: ...

    async def aloglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores: ...

    async def agenerate(self, request: GenerationRequest) -> Generation: ...

    async def aclose(self) -> None: ...
