"""Model adapters behind one protocol; ``load_model("llamacpp:smollm2")`` builds one."""

from __future__ import annotations

from assay.errors import InputError
from assay.harness.models._base import (
    AsyncModelAdapter,
    ChoiceScores,
    Generation,
    GenerationRequest,
    LoglikelihoodRequest,
    ModelAdapter,
)

__all__ = [
    "ADAPTERS",
    "AsyncModelAdapter",
    "ChoiceScores",
    "Generation",
    "GenerationRequest",
    "LoglikelihoodRequest",
    "ModelAdapter",
    "load_model",
]

#: adapter names accepted by :func:`load_model`
ADAPTERS: tuple[str, ...] = ("llamacpp", "mock")


def load_model(spec: str) -> ModelAdapter:
    """Build a model adapter from ``ADAPTER[:ARGUMENT]``.

    ``llamacpp:smollm2`` (the bundled SmolLM2-135M-Instruct), ``llamacpp:PATH.gguf``,
    ``mock`` or ``mock:NAME``. Heavy libraries are imported only for the adapter asked for.
    """
    adapter, _, arg = spec.partition(":")
    if adapter == "llamacpp":
        from assay.harness.models.llamacpp import LlamaCppModel

        return LlamaCppModel(arg or "smollm2")
    if adapter == "mock":
        from assay.harness.models.mock import MockModel

        return MockModel(arg or "mock")
    raise InputError(
        f"unknown model adapter {adapter!r} in {spec!r}; expected one of {', '.join(ADAPTERS)} "
        "(e.g. llamacpp:smollm2)"
    )
