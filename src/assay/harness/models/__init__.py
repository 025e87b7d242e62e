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
    TokenLogprobs,
)

__all__ = [
    "ADAPTERS",
    "AsyncModelAdapter",
    "ChoiceScores",
    "Generation",
    "GenerationRequest",
    "LoglikelihoodRequest",
    "ModelAdapter",
    "TokenLogprobs",
    "load_model",
]

#: adapter names accepted by :func:`load_model`
ADAPTERS: tuple[str, ...] = ("llamacpp", "mock", "openai", "transformers")


def load_model(
    spec: str, *, api_key: str | None = None, threads: int | None = None
) -> ModelAdapter | AsyncModelAdapter:
    """Build a model adapter from ``ADAPTER[:ARGUMENT]``.

    ``llamacpp:smollm2`` (the bundled SmolLM2-135M-Instruct), ``llamacpp:PATH.gguf``,
    ``mock`` or ``mock:NAME``, ``openai:MODEL@BASE_URL`` (an OpenAI-compatible server,
    e.g. ``openai:smollm2@http://127.0.0.1:8080/v1``; ``api_key`` is its bearer token,
    which the CLI reads from ``OPENAI_API_KEY``), ``transformers:PATH`` (a local Hugging
    Face checkpoint directory; the ``transformers`` extra). Heavy libraries are imported only for
    the adapter asked for. ``threads`` caps the CPU threads of in-process models (a Ray
    worker that reserves one CPU passes 1: llama.cpp's threads spin while they wait, so
    more threads than reserved cores slow everything down).
    """
    adapter, _, arg = spec.partition(":")
    if adapter == "llamacpp":
        from assay.harness.models.llamacpp import LlamaCppModel

        return LlamaCppModel(arg or "smollm2", n_threads=threads)
    if adapter == "mock":
        from assay.harness.models.mock import MockModel

        return MockModel(arg or "mock")
    if adapter == "openai":
        from assay.harness.models.openai import OpenAIModel

        model, _, base_url = arg.partition("@")
        if "://" in model:
            raise InputError(
                f"{spec!r}: the openai adapter's spec is openai:MODEL@BASE_URL; {model!r} is "
                f"a URL, not a model name (e.g. openai:smollm2@{model})"
            )
        if not model:
            raise InputError(
                f"{spec!r}: the openai adapter needs a model name: openai:MODEL@BASE_URL "
                "(e.g. openai:smollm2@http://127.0.0.1:8080/v1)"
            )
        if base_url:
            return OpenAIModel(model, base_url, api_key=api_key)
        return OpenAIModel(model, api_key=api_key)
    if adapter == "transformers":
        from assay.harness.models.transformers import TransformersModel

        if not arg:
            raise InputError(
                f"{spec!r}: the transformers adapter needs a checkpoint directory: "
                "transformers:PATH"
            )
        return TransformersModel(arg, threads=threads)
    raise InputError(
        f"unknown model adapter {adapter!r} in {spec!r}; expected one of {', '.join(ADAPTERS)} "
        "(e.g. llamacpp:smollm2)"
    )
