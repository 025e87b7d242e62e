"""Choosing the next token from a row of logits, for in-process models.

llama.cpp's own sampler reads the logits of the context's last decode, so every sample
of a prompt would need the prompt evaluated again. The in-process adapters sample from a
saved row of logits instead: a prompt is evaluated once, and each of its samples starts
from that row. The chain is llama-cpp-python's default one (top-k 40, top-p 0.95, min-p
0.05, then temperature), with numpy's PCG64 seeded per request as the random source, so a
request (prompt, settings, seed) always gives the same text, whatever ran before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["PromptState", "SamplerSettings", "pick_token", "sample_llama", "trim_at_stop"]


@dataclass(frozen=True, slots=True)
class SamplerSettings:
    """The sampling chain: ``temperature`` 0 is greedy (the other fields are unused)."""

    temperature: float
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05


def pick_token(
    logits: NDArray[np.floating[Any]], settings: SamplerSettings, rng: np.random.Generator
) -> int:
    """The next token: the argmax when greedy, else a draw from the filtered distribution.

    Filters apply in llama.cpp's order: the ``top_k`` largest logits; the smallest set of
    those whose probabilities (at temperature 1) reach ``top_p``; the tokens with at least
    ``min_p`` times the largest probability; then the survivors' logits are divided by the
    temperature and one token is drawn. Each filter keeps at least one token.
    """
    if settings.temperature <= 0:
        return int(np.argmax(logits))
    x = np.asarray(logits, dtype=np.float64)
    k = x.shape[0] if settings.top_k <= 0 else min(settings.top_k, x.shape[0])
    ids = np.argpartition(-x, k - 1)[:k] if k < x.shape[0] else np.arange(x.shape[0])
    order = np.argsort(-x[ids], kind="stable")
    ids = ids[order]
    z = x[ids]
    p = np.exp(z - z[0])
    p /= p.sum()
    if settings.top_p < 1.0:
        keep = int(np.searchsorted(np.cumsum(p), settings.top_p) + 1)
        ids, z, p = ids[:keep], z[:keep], p[:keep]
    if settings.min_p > 0.0:
        keep = max(1, int((p >= settings.min_p * p[0]).sum()))
        ids, z = ids[:keep], z[:keep]
    w = np.exp((z - z[0]) / settings.temperature)
    return int(ids[rng.choice(len(ids), p=w / w.sum())])


def trim_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """``text`` up to the first stop sequence, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


@dataclass
class PromptState:
    """The prompt whose evaluation the llama.cpp context holds, and its last logits.

    The adapter owns one and calls :meth:`clear` whenever it evaluates anything else
    (scoring rewrites the cache with other batch splits, whose numbers differ).
    """

    tokens: list[int] = field(default_factory=list)
    logits: NDArray[np.float32] | None = None

    def clear(self) -> None:
        self.tokens, self.logits = [], None


def sample_llama(
    llm: Any,
    prompt: list[int],
    *,
    max_tokens: int,
    stop: tuple[str, ...],
    settings: SamplerSettings,
    seed: int | None,
    state: PromptState,
) -> tuple[str, int, str]:
    """Generate from a ``llama_cpp.Llama`` after ``prompt``: text, tokens made, finish reason.

    The prompt is evaluated in one batch from an empty cache, unless ``state`` says the
    context already holds exactly that evaluation: then the previous sample's tokens are
    dropped and sampling restarts from the saved logits, which gives the same numbers as
    evaluating the prompt again (the cache holds the same cells, computed the same way).
    Each generated token is then evaluated alone. The text stops before the first stop
    sequence or an end-of-generation token, or after ``max_tokens`` tokens.
    """
    import llama_cpp

    n_vocab = llm.n_vocab()
    if state.tokens != prompt or state.logits is None:
        state.clear()
        llm.reset()
        llm.eval(prompt)
        state.logits = _last_logits(llama_cpp, llm, n_vocab).copy()
        state.tokens = list(prompt)
    else:
        llm.n_tokens = len(prompt)  # the next eval drops the previous sample's cells
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    rng = np.random.default_rng(seed)
    logits: NDArray[np.float32] = state.logits
    made: list[int] = []
    text, finish = "", "length"
    for _ in range(max_tokens):
        token = pick_token(logits, settings, rng)
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            finish = "stop"
            break
        made.append(token)
        text, stopped = trim_at_stop(llm.detokenize(made).decode("utf-8", errors="ignore"), stop)
        if stopped:
            finish = "stop"
            break
        if len(made) == max_tokens:
            break
        llm.eval([token])
        logits = _last_logits(llama_cpp, llm, n_vocab)
    return text, len(made), finish


def _last_logits(llama_cpp: Any, llm: Any, n_vocab: int) -> NDArray[np.float32]:
    ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    out: NDArray[np.float32] = np.ctypeslib.as_array(ptr, shape=(n_vocab,))
    return out
