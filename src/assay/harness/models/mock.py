"""A deterministic mock model that ships with assay, for tests and dry runs.

Scores and generations are pure functions of the request text (a SHA-256 hash), so the
same request always gets the same answer in any process, on any machine. With
``skill > 0`` the mock prefers continuations that appear in its ``answers`` mapping,
which lets tests build a model with a known accuracy.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

from assay.harness.models._base import (
    ChoiceScores,
    Generation,
    GenerationRequest,
    LoglikelihoodRequest,
)

__all__ = ["MockModel"]


def _unit(*parts: str) -> float:
    """A number in [0, 1) determined by ``parts``."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class MockModel:
    """A model whose outputs are hashes of its inputs.

    Parameters
    ----------
    model_id
        The name stored for it.
    answers
        ``{context or prompt: preferred continuation}`` (e.g. the gold answers); used with
        probability ``skill`` per request, decided by the request's hash.
    skill
        Probability of answering from ``answers`` when it has an entry.
    delay_s
        Seconds each request takes (to test interruption and progress).
    """

    name = "mock"

    def __init__(
        self,
        model_id: str = "mock",
        *,
        answers: Mapping[str, str] | None = None,
        skill: float = 0.0,
        delay_s: float = 0.0,
    ) -> None:
        self.model_id = model_id
        self.delay_s = delay_s
        self.answers = dict(answers or {})
        self.skill = skill
        self.calls = 0

    def identity(self) -> dict[str, Any]:
        return {"adapter": self.name, "model_id": self.model_id, "skill": self.skill}

    def count_tokens(self, text: str) -> int:
        return max(1, len(text.split()))

    def _knows(self, context: str) -> str | None:
        wanted = self.answers.get(context)
        if wanted is not None and _unit(self.model_id, "skill", context) < self.skill:
            return wanted
        return None

    def loglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        preferred = self._knows(request.context)
        logprobs = []
        for cont in request.continuations:
            lp = -1.0 - 9.0 * _unit(self.model_id, request.context, cont)
            if preferred is not None and cont.strip() == preferred.strip():
                lp = -0.01
            logprobs.append(lp)
        best = max(range(len(logprobs)), key=logprobs.__getitem__)
        ctx_tokens = self.count_tokens(request.context)
        lengths = tuple(self.count_tokens(c) for c in request.continuations)
        return ChoiceScores(
            logprobs=tuple(logprobs),
            greedy=tuple(i == best for i in range(len(logprobs))),
            continuation_tokens=lengths,
            context_tokens=ctx_tokens,
            tokens_evaluated=ctx_tokens + sum(lengths),
        )

    def generate(self, request: GenerationRequest) -> Generation:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        preferred = self._knows(request.prompt)
        if preferred is not None:
            text = preferred
        else:
            text = str(int(_unit(self.model_id, request.prompt, str(request.seed)) * 1000))
        return Generation(
            text=text,
            input_tokens=self.count_tokens(request.prompt),
            output_tokens=self.count_tokens(text),
        )
