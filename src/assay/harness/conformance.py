"""Conformance: does an adapter's log-likelihood agree with a reference computation?

Servers and libraries that return prompt log-probabilities shifted by one token, or that
reuse a cache inconsistently, produce plausible-looking but wrong multiple-choice scores.
:func:`check_model` scores a few built-in items through the adapter's own
``loglikelihood`` and through a reference path -- one fresh pass over context +
continuation, per token, by the reference model (by default the model itself, when it can
compute per-token log-probabilities) -- and reports every disagreement. When the adapter
also exposes per-token log-probabilities, it tests whether they match the reference
shifted by one token, the known failure of ``echo=True`` prompt log-probabilities for
models without a BOS token.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from assay._display import TableView
from assay.errors import InputError
from assay.harness.models._base import (
    AsyncModelAdapter,
    ChoiceScores,
    LoglikelihoodRequest,
    ModelAdapter,
    TokenLogprobs,
)
from assay.harness.tasks._spec import Task

__all__ = ["ConformanceReport", "ConformanceRow", "check_model"]

Verdict = Literal["ok", "mismatch", "shifted"]


@dataclass(frozen=True)
class ConformanceRow:
    """One continuation: the adapter's log-likelihood and the reference's."""

    item_id: str
    choice: str
    model_logprob: float
    reference_logprob: float

    @property
    def diff(self) -> float:
        return abs(self.model_logprob - self.reference_logprob)


@dataclass(frozen=True)
class ConformanceReport(TableView):
    """The outcome of :func:`check_model`."""

    model: str
    reference: str
    tolerance: float
    rows: tuple[ConformanceRow, ...]
    verdict: Verdict
    argmax_agreement: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    @property
    def max_diff(self) -> float:
        return max((r.diff for r in self.rows), default=0.0)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["item", "choice", "model log p", "reference log p", "|diff|"]
        return cols, [
            [r.item_id, r.choice, r.model_logprob, r.reference_logprob, r.diff] for r in self.rows
        ]

    @property
    def title(self) -> str:
        return (
            f"{self.model} vs {self.reference}: {self.verdict} (max |diff| "
            f"{self.max_diff:.2e}, tolerance {self.tolerance:.0e}, argmax agreement "
            f"{self.argmax_agreement:.0%})"
        )


def _scores(model: ModelAdapter | AsyncModelAdapter, request: LoglikelihoodRequest) -> ChoiceScores:
    if isinstance(model, AsyncModelAdapter):
        return asyncio.run(_ascores(model, request))
    return model.loglikelihood(request)


async def _ascores(model: AsyncModelAdapter, request: LoglikelihoodRequest) -> ChoiceScores:
    try:
        return await model.aloglikelihood(request)
    finally:
        await model.aclose()


def _token_logprobs(model: object, text: str) -> TokenLogprobs | None:
    sync = getattr(model, "token_logprobs", None)
    if sync is not None:
        result: TokenLogprobs = sync(text)
        return result
    asynchronous = getattr(model, "atoken_logprobs", None)
    if asynchronous is not None:

        async def go() -> TokenLogprobs:
            try:
                out: TokenLogprobs = await asynchronous(text)
                return out
            finally:
                await model.aclose()  # type: ignore[attr-defined]

        return asyncio.run(go())
    return None


def _distribution_shifted(
    candidate: TokenLogprobs, reference: TokenLogprobs, tolerance: float
) -> bool | None:
    """Whether the candidate scores each token with the distribution meant for the next
    one: its top alternatives at position i hold token i + 1 with the reference's
    log-probability of token i + 1. ``None`` when it reports no alternatives."""
    if candidate.top is None:
        return None
    hits = total = 0
    for i, top in enumerate(candidate.top[:-1]):
        nxt = reference.logprobs[i + 1] if i + 1 < len(reference.logprobs) else None
        if top is None or nxt is None or i + 1 >= len(candidate.tokens):
            continue
        value = top.get(candidate.tokens[i + 1])
        if value is None:
            continue
        total += 1
        hits += abs(value - nxt) <= max(tolerance, 1e-3)
    return total > 0 and hits > total / 2


def _shift_error(candidate: TokenLogprobs, reference: TokenLogprobs, shift: int) -> float:
    """Mean |difference| between candidate token i and reference token i + shift."""
    diffs = []
    for i, lp in enumerate(candidate.logprobs):
        j = i + shift
        if lp is None or not 0 <= j < len(reference.logprobs):
            continue
        ref = reference.logprobs[j]
        if ref is not None:
            diffs.append(abs(lp - ref))
    return sum(diffs) / len(diffs) if diffs else math.inf


def check_model(
    model: ModelAdapter | AsyncModelAdapter,
    *,
    reference: ModelAdapter | AsyncModelAdapter | None = None,
    task: Task | None = None,
    items: int = 8,
    tolerance: float = 1e-3,
) -> ConformanceReport:
    """Compare ``model``'s multiple-choice log-likelihoods with a reference computation.

    Parameters
    ----------
    model
        The adapter under test.
    reference
        A model with the same weights that computes per-token log-probabilities
        (``token_logprobs``); by default ``model`` itself, which then checks that its
        cached, batched scoring equals a plain pass.
    task
        A multiple-choice task to take items from (default: the built-in arithmetic task).
    items
        How many items.
    tolerance
        The largest acceptable |difference| in a continuation's log-likelihood.

    Returns
    -------
    ConformanceReport
        Per-continuation log-likelihoods, the verdict (``"ok"``, ``"mismatch"`` or
        ``"shifted"``) and how often both sides pick the same choice.
    """
    ref = reference if reference is not None else model
    if (
        getattr(ref, "token_logprobs", None) is None
        and getattr(ref, "atoken_logprobs", None) is None
    ):
        raise InputError(
            f"the reference ({ref.name}) cannot compute per-token log-probabilities; pass a "
            "reference model with the same weights, e.g. llamacpp:PATH.gguf"
        )
    if task is None:
        from assay.harness.tasks.builtin import builtin_task

        task = builtin_task("arithmetic", n_items=items)
    if task.kind != "multiple_choice":
        raise InputError(f"check_model needs a multiple-choice task; {task.name!r} is {task.kind}")
    rows: list[ConformanceRow] = []
    agree = 0
    notes: list[str] = []
    shift_votes = 0
    checked = 0
    variant = sorted(task.templates)[0]
    for item in task.items[:items]:
        context = task.prompt(item, variant)
        conts = task.continuations(item)
        got = _scores(model, LoglikelihoodRequest(context, conts))
        ref_sums: list[float] = []
        for choice, cont, lp in zip(item.choices or (), conts, got.logprobs, strict=True):
            ref_tokens = _token_logprobs(ref, context + cont)
            assert ref_tokens is not None
            ref_sum = ref_tokens.total_from(len(context))
            ref_sums.append(ref_sum)
            rows.append(ConformanceRow(item.item_id, choice, lp, ref_sum))
            if reference is not None:
                mine = _token_logprobs(model, context + cont)
                if mine is not None and len(mine.logprobs) == len(ref_tokens.logprobs):
                    checked += 1
                    aligned = _shift_error(mine, ref_tokens, 0)
                    shifted = min(_shift_error(mine, ref_tokens, s) for s in (-1, 1))
                    if (shifted < aligned / 10 and aligned > tolerance) or (
                        aligned > tolerance and _distribution_shifted(mine, ref_tokens, tolerance)
                    ):
                        shift_votes += 1
        best_model = max(range(len(conts)), key=got.logprobs.__getitem__)
        best_ref = max(range(len(conts)), key=ref_sums.__getitem__)
        agree += best_model == best_ref
    n_items = min(items, len(task.items))
    worst = max((r.diff for r in rows), default=0.0)
    verdict: Verdict = "ok" if worst <= tolerance else "mismatch"
    if checked and shift_votes > checked / 2:
        verdict = "shifted"
        notes.append(
            "the adapter's per-token log-probabilities match the reference shifted by one "
            "token: the server misaligns prompt log-probabilities"
        )
    return ConformanceReport(
        model=_describe(model),
        reference=_describe(ref) + (" (fresh single pass)" if reference is None else ""),
        tolerance=tolerance,
        rows=tuple(rows),
        verdict=verdict,
        argmax_agreement=agree / n_items if n_items else 1.0,
        notes=tuple(notes),
    )


def _describe(model: Any) -> str:
    return f"{model.name}:{model.model_id}"
