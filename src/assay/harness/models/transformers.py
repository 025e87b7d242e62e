"""The transformers adapter: a Hugging Face causal LM checkpoint in this process (PyTorch).

Log-likelihoods come from the logits (``log_softmax`` in float64), never from a library's
own scoring helper. The shared context of a multiple-choice item is run once, with its
key/value cache kept; the continuations then run together as one batch on top of that
cache (each continuation without its last token, whose logits are not needed), so an
item costs the context plus the longest continuation times the number of choices, not
choices x context. The cache of the last context is kept between requests, so the next
item re-runs only what differs after the common prefix of the two contexts (few-shot
prompts share almost everything). Numbers equal one plain forward pass over context +
continuation (tested to 1e-4).

Generation is a plain greedy (or seeded sampling) loop over the cache, stopping at the
end-of-sequence token, after ``max_tokens`` tokens or at the first stop sequence in the
decoded text (which is cut off).

Needs the ``transformers`` extra: ``pip install 'assay[transformers]'``. On a machine
without a GPU, install the CPU build of torch first, or pip pulls a CUDA build of several
gigabytes.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from assay.errors import InputError, ModelError, PrerequisiteError
from assay.harness.models._base import (
    ChoiceScores,
    Generation,
    GenerationRequest,
    LoglikelihoodRequest,
    TokenLogprobs,
)

__all__ = ["TransformersModel"]

_INSTALL = (
    "the transformers adapter needs torch and transformers: pip install 'assay[transformers]'"
)
#: files whose contents decide the model's outputs (weights, config, tokenizer)
_HASHED_SUFFIXES = (".safetensors", ".bin", ".json", ".model", ".txt", ".jinja", ".tiktoken")


@lru_cache(maxsize=8)
def _dir_sha256(path: str, stamp: tuple[tuple[str, int, float], ...]) -> str:
    """SHA-256 over the names and contents of the files in ``stamp`` (name, size, mtime)."""
    h = hashlib.sha256()
    for name, _size, _mtime in stamp:
        h.update(name.encode() + b"\0")
        with open(os.path.join(path, name), "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()


def _stamp(path: Path) -> tuple[tuple[str, int, float], ...]:
    files = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(_HASHED_SUFFIXES))
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime) for p in files)


class TransformersModel:
    """A causal language model from a Hugging Face checkpoint directory, run by PyTorch.

    Parameters
    ----------
    model
        A local checkpoint directory (``config.json``, weights, tokenizer files). Nothing
        is downloaded: a hub name is refused.
    dtype
        ``"float32"`` (default), ``"bfloat16"`` or ``"float16"``.
    threads
        CPU threads for PyTorch (default: PyTorch's own choice).
    max_length
        Context window in tokens (default: the config's ``max_position_embeddings``).
    model_id
        The name stored for the model (default: the directory's name).
    """

    name = "transformers"

    def __init__(
        self,
        model: str | Path,
        *,
        dtype: str = "float32",
        threads: int | None = None,
        max_length: int | None = None,
        model_id: str | None = None,
    ) -> None:
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise PrerequisiteError(_INSTALL) from exc
        path = Path(model).expanduser()
        if not (path / "config.json").is_file():
            raise InputError(
                f"{model}: not a Hugging Face checkpoint directory (no config.json); the "
                "transformers adapter loads local checkpoints only (transformers:PATH)"
            )
        if dtype not in ("float32", "bfloat16", "float16"):
            raise InputError(
                f"the 'dtype' parameter of TransformersModel must be 'float32', 'bfloat16' "
                f"or 'float16'; got {dtype!r}"
            )
        if threads is not None:
            torch.set_num_threads(max(1, threads))
        self._torch: Any = torch
        self._transformers_version = transformers.__version__
        self.path = path.resolve()
        self.dtype = dtype
        try:
            self._tok: Any = transformers.AutoTokenizer.from_pretrained(
                str(self.path), local_files_only=True
            )
            self._model: Any = transformers.AutoModelForCausalLM.from_pretrained(
                str(self.path), dtype=getattr(torch, dtype), local_files_only=True
            )
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{self.path}: transformers could not load the model: {exc}") from exc
        self._model.eval()  # type: ignore[no-untyped-call]  # untyped in transformers
        # transformers 5 renamed ``past_key_values`` to ``cache`` (the old name warns)
        params = inspect.signature(self._model.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"
        self._keep_arg = next(
            (n for n in ("logits_to_keep", "num_logits_to_keep") if n in params), None
        )
        config = self._model.config
        window = max_length or getattr(config, "max_position_embeddings", None) or 2048
        self.max_length = int(window)
        self.model_id = model_id or self.path.name
        self.family: str | None = getattr(config, "model_type", None)
        self.parameters = float(sum(p.numel() for p in self._model.parameters()))
        bos = self._tok.bos_token_id
        probe = self._tok.encode("a", add_special_tokens=True)
        self._add_bos = bos is not None and bool(probe) and probe[0] == bos
        eos = config.eos_token_id if config.eos_token_id is not None else self._tok.eos_token_id
        self._eos: frozenset[int] = frozenset(
            eos if isinstance(eos, list) else [] if eos is None else [eos]
        )
        pad = self._tok.pad_token_id
        self._pad = int(pad if pad is not None else next(iter(self._eos), 0))
        # the key/value cache of the last context scored, and the logits after its end
        self._ctx_tokens: list[int] = []
        self._ctx_cache: Any = None
        self._ctx_last: Any = None

    def __repr__(self) -> str:
        return f"TransformersModel({str(self.path)!r})"

    # ------------------------------------------------------------------ identity
    def identity(self) -> dict[str, Any]:
        """Checkpoint hash, library versions and settings: what makes outputs reproducible."""
        return {
            "adapter": self.name,
            "model_dir": self.path.name,
            "model_sha256": _dir_sha256(str(self.path), _stamp(self.path)),
            "model_type": self.family,
            "transformers": self._transformers_version,
            "torch": self._torch.__version__,
            "dtype": self.dtype,
            "max_length": self.max_length,
        }

    # ------------------------------------------------------------------ tokens
    def tokenize(self, text: str, *, add_bos: bool = True) -> list[int]:
        """Tokens of ``text`` (with the tokenizer's special prefix when ``add_bos``, unless
        the text already starts with the BOS token's text, as a chat prompt does)."""
        special = add_bos and not (
            self._tok.bos_token and self._add_bos and text.startswith(self._tok.bos_token)
        )
        return list(self._tok.encode(text, add_special_tokens=special))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def chat_prompt(self, user: str) -> str:
        """``user`` as a one-turn chat in the model's own template, ready for the reply."""
        if not getattr(self._tok, "chat_template", None):
            raise ModelError(f"{self.path.name} has no chat template; use the plain prompt format")
        prompt: str = self._tok.apply_chat_template(
            [{"role": "user", "content": user}], tokenize=False, add_generation_prompt=True
        )
        return prompt

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

    def _forward(self, ids: Any, cache: Any, *, last_only: bool = False) -> tuple[Any, Any]:
        """Logits of ``ids`` run on top of ``cache`` (``None``: from scratch) and the
        cache after them; ``last_only`` computes the logits of the last position only."""
        kwargs: dict[str, Any] = {self._cache_arg: cache, "use_cache": True}
        if last_only and self._keep_arg is not None:
            kwargs[self._keep_arg] = 1
        out = self._model(input_ids=ids, **kwargs)
        return out.logits, getattr(out, self._cache_arg)

    # ------------------------------------------------------------------ scoring
    def _context(self, ctx: list[int]) -> tuple[Any, Any, int]:
        """The cache after ``ctx`` and the log-probabilities that follow it, re-running
        only what differs from the cached context; returns them and the tokens run."""
        torch = self._torch
        if ctx == self._ctx_tokens and self._ctx_cache is not None:
            return self._ctx_cache, self._ctx_last, 0
        common = 0
        limit = min(len(self._ctx_tokens), len(ctx) - 1)  # run at least one token
        while common < limit and self._ctx_tokens[common] == ctx[common]:
            common += 1
        cache = self._ctx_cache if common > 0 else None
        if cache is not None:
            surplus = len(self._ctx_tokens) - common
            if surplus:
                cache.crop(-surplus)
        # forget the old state first: if the pass below fails, nothing stale is reused
        self._ctx_tokens, self._ctx_cache, self._ctx_last = [], None, None
        ids = torch.tensor([ctx[common:]], dtype=torch.long)
        logits, cache = self._forward(ids, cache, last_only=True)
        last = torch.log_softmax(logits[0, -1].double(), dim=-1)
        self._ctx_tokens, self._ctx_cache, self._ctx_last = list(ctx), cache, last
        return cache, last, len(ctx) - common

    def loglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores:
        """Log-likelihood of each continuation after the context: the context once, then
        the continuations as one batch over its cache."""
        if not request.continuations:
            raise InputError("a log-likelihood request needs at least one continuation")
        torch = self._torch
        splits = [self._split(request.context, c) for c in request.continuations]
        ctx = splits[0][0]
        if not ctx:
            raise InputError("the context is empty after tokenization; nothing to condition on")
        conts = [cont for _, cont in splits]
        if any(not cont for cont in conts):
            raise InputError("a continuation is empty after tokenization; nothing to score")
        longest = max(len(c) for c in conts)
        if len(ctx) + longest > self.max_length:
            raise ModelError(
                f"context ({len(ctx)} tokens) + longest continuation ({longest}) exceeds "
                f"the model's window of {self.max_length} tokens"
            )
        with torch.inference_mode():
            cache, last, evaluated = self._context(ctx)
            # each continuation but its last token: the logits after it are not needed
            rows = [i for i, c in enumerate(conts) if len(c) > 1]
            run_lp: dict[int, Any] = {}
            if rows:
                width = max(len(conts[i]) - 1 for i in rows)
                batch = torch.full((len(rows), width), self._pad, dtype=torch.long)
                for r, i in enumerate(rows):
                    batch[r, : len(conts[i]) - 1] = torch.tensor(conts[i][:-1])
                # right padding needs no mask: causal attention never looks ahead of a token
                cache.batch_repeat_interleave(len(rows))
                try:
                    logits, _ = self._forward(batch, cache)
                except BaseException:
                    self._ctx_tokens, self._ctx_cache, self._ctx_last = [], None, None
                    raise
                # back to the context alone, batch of one, for the next request
                cache.crop(-width)
                cache.batch_select_indices(torch.tensor([0]))
                lp = torch.log_softmax(logits.double(), dim=-1)
                evaluated += len(rows) * width
                for r, i in enumerate(rows):
                    run_lp[i] = lp[r, : len(conts[i]) - 1]
            logprobs: list[float] = []
            greedy: list[bool] = []
            for i, cont in enumerate(conts):
                dist = last.unsqueeze(0)
                if i in run_lp:
                    dist = torch.cat([dist, run_lp[i]], dim=0)
                target = torch.tensor(cont, dtype=torch.long)
                token_lp = dist.gather(1, target.unsqueeze(1)).squeeze(1)
                logprobs.append(float(token_lp.sum()))
                greedy.append(bool((dist.argmax(dim=1) == target).all()))
        return ChoiceScores(
            logprobs=tuple(logprobs),
            greedy=tuple(greedy),
            continuation_tokens=tuple(len(c) for c in conts),
            context_tokens=len(ctx),
            tokens_evaluated=evaluated,
        )

    def token_logprobs(self, text: str) -> TokenLogprobs:
        """Every token of ``text`` with its log-probability given the tokens before it,
        from one fresh pass (the reference path: no cache). The first token has no
        log-probability (``None``) unless the tokenizer puts a BOS token first."""
        torch = self._torch
        tokens = self.tokenize(text)
        if not tokens:
            raise InputError("the text is empty after tokenization")
        if len(tokens) > self.max_length:
            raise ModelError(f"{len(tokens)} tokens exceed the window of {self.max_length}")
        with torch.inference_mode():
            logits = self._model(input_ids=torch.tensor([tokens]), use_cache=False).logits[0]
            lp = torch.log_softmax(logits.double(), dim=-1)
        start = 1 if self._add_bos else 0
        pieces: list[str] = []
        offsets: list[int] = []
        logprobs: list[float | None] = []
        previous = ""
        for i in range(start, len(tokens)):
            decoded = self._tok.decode(tokens[start : i + 1], clean_up_tokenization_spaces=False)
            pieces.append(decoded[len(previous) :])
            offsets.append(len(previous))
            previous = decoded
            logprobs.append(float(lp[i - 1, tokens[i]]) if i > 0 else None)
        return TokenLogprobs(tuple(pieces), tuple(offsets), tuple(logprobs))

    # ------------------------------------------------------------------ generation
    def generate(self, request: GenerationRequest) -> Generation:
        """A completion of the prompt (chat-formatted when ``request.chat``): greedy at
        temperature 0, else sampled with ``request.seed``."""
        torch = self._torch
        prompt = self.chat_prompt(request.prompt) if request.chat else request.prompt
        ids = self.tokenize(prompt)
        if not ids:
            raise InputError("the prompt is empty after tokenization")
        if len(ids) + request.max_tokens > self.max_length:
            raise ModelError(
                f"prompt ({len(ids)} tokens) + max_tokens ({request.max_tokens}) exceeds "
                f"the model's window of {self.max_length} tokens"
            )
        generator = None
        if request.temperature > 0:
            generator = torch.Generator().manual_seed(request.seed)
        generated: list[int] = []
        text = ""
        finish = "length"
        with torch.inference_mode():
            logits, cache = self._forward(torch.tensor([ids]), None, last_only=True)
            logits = logits[0, -1]
            for step in range(request.max_tokens):
                if generator is None:
                    token = int(logits.argmax())
                else:
                    probs = torch.softmax(logits.double() / request.temperature, dim=-1)
                    token = int(torch.multinomial(probs, 1, generator=generator))
                if token in self._eos:
                    finish = "stop"
                    break
                generated.append(token)
                text = self._tok.decode(generated, skip_special_tokens=True)
                cuts = [i for i in (text.find(s) for s in request.stop if s) if i >= 0]
                if cuts:
                    text = text[: min(cuts)]
                    finish = "stop"
                    break
                if step + 1 < request.max_tokens:
                    logits, cache = self._forward(torch.tensor([[token]]), cache)
                    logits = logits[0, -1]
        return Generation(
            text=text,
            input_tokens=len(ids),
            output_tokens=len(generated),
            finish_reason=finish,
        )
