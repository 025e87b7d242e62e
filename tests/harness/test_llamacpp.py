"""The llama.cpp adapter on the bundled SmolLM2-135M model (real model, in-process)."""

from __future__ import annotations

import numpy as np
import pytest

from assay.errors import InputError
from assay.harness.models import GenerationRequest, LoglikelihoodRequest, load_model

pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (`make test` installs it)")


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model("llamacpp:smollm2")


def _direct(model, context: str, continuation: str) -> tuple[float, bool]:  # type: ignore[no-untyped-def]
    """Log-likelihood from one fresh pass over context + continuation, from the logits."""
    llm = model._llm
    ctx = model.tokenize(context)
    whole = model.tokenize(context + continuation)
    assert whole[: len(ctx)] == ctx
    llm.reset()
    llm.eval(whole)
    logits = llm.scores[: len(whole)].astype(np.float64)
    logz = np.log(np.exp(logits - logits.max(axis=1, keepdims=True)).sum(axis=1)) + logits.max(
        axis=1
    )
    total = 0.0
    greedy = True
    for i in range(len(ctx), len(whole)):
        total += logits[i - 1, whole[i]] - logz[i - 1]
        greedy &= int(np.argmax(logits[i - 1])) == whole[i]
    llm.reset()
    return total, greedy


QUESTIONS = [
    ("Question: What is 2 + 3?\nAnswer:", (" 5", " 6", " 23", " 4")),
    ("Question: Which word is reversed 'tac'?\nAnswer:", (" cat", " act", " tic", " cot")),
    ("The capital of France is", (" Paris", " London", " Berlin and Rome", " a city")),
    ("Question: Is 7 greater than 3?\nAnswer:", (" yes", " no")),
]


def test_loglikelihoods_equal_a_direct_computation(model) -> None:  # type: ignore[no-untyped-def]
    for context, choices in QUESTIONS:
        got = model.loglikelihood(LoglikelihoodRequest(context, choices))
        for i, choice in enumerate(choices):
            expected, greedy = _direct(model, context, choice)
            assert got.logprobs[i] == pytest.approx(expected, abs=1e-4)
            assert got.greedy[i] == greedy


def test_context_is_evaluated_once(model) -> None:  # type: ignore[no-untyped-def]
    model._llm.reset()
    context, choices = QUESTIONS[2]
    got = model.loglikelihood(LoglikelihoodRequest(context, choices))
    minimum = got.context_tokens + sum(got.continuation_tokens)
    assert got.tokens_evaluated <= minimum
    # scoring the same item again reuses the cached context entirely
    again = model.loglikelihood(LoglikelihoodRequest(context, choices))
    assert again.logprobs == pytest.approx(got.logprobs, abs=1e-6)
    assert again.tokens_evaluated < got.tokens_evaluated


def test_results_do_not_depend_on_what_ran_before(model) -> None:  # type: ignore[no-untyped-def]
    a = model.loglikelihood(LoglikelihoodRequest(*QUESTIONS[0]))
    model.loglikelihood(LoglikelihoodRequest(*QUESTIONS[1]))
    model.generate(GenerationRequest("Once upon a time", max_tokens=5))
    b = model.loglikelihood(LoglikelihoodRequest(*QUESTIONS[0]))
    assert a.logprobs == pytest.approx(b.logprobs, abs=1e-5)


def test_generation_is_greedy_and_stops(model) -> None:  # type: ignore[no-untyped-def]
    req = GenerationRequest("Question: What is 2 + 3?\nAnswer:", max_tokens=12, stop=("\n",))
    first = model.generate(req)
    assert "\n" not in first.text
    assert first.output_tokens <= 12
    assert model.generate(req).text == first.text
    chat = model.generate(GenerationRequest("Say hello.", max_tokens=8, chat=True))
    assert chat.input_tokens > model.count_tokens("Say hello.")


def test_identity_and_errors(model) -> None:  # type: ignore[no-untyped-def]
    ident = model.identity()
    assert len(ident["model_sha256"]) == 64
    assert ident["adapter"] == "llamacpp"
    with pytest.raises(InputError, match="at least one"):
        model.loglikelihood(LoglikelihoodRequest("x", ()))
    with pytest.raises(InputError, match="not a GGUF file"):
        load_model("llamacpp:/nonexistent/model.gguf")


class _ShiftedServer:
    """Simulates a server whose prompt log-probabilities are shifted by one token."""

    name = "shifted"

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.model_id = inner.model_id

    def identity(self) -> dict[str, str]:
        return {"adapter": "shifted"}

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def token_logprobs(self, text: str):  # type: ignore[no-untyped-def]
        from assay.harness.models import TokenLogprobs

        ref = self.inner.token_logprobs(text)
        shifted = (*ref.logprobs[1:], None)
        return TokenLogprobs(ref.tokens, ref.offsets, shifted)

    def loglikelihood(self, request):  # type: ignore[no-untyped-def]
        from assay.harness.models import ChoiceScores

        sums = tuple(
            self.token_logprobs(request.context + c).total_from(len(request.context))
            for c in request.continuations
        )
        n = len(sums)
        return ChoiceScores(sums, (False,) * n, (1,) * n, 1, 0)

    def generate(self, request):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def test_conformance_passes_for_the_adapter_and_catches_a_shift(model) -> None:  # type: ignore[no-untyped-def]
    from assay.harness.conformance import check_model

    # 100 built-in four-choice items: cached, batched scoring equals one plain pass per
    # continuation computed from the logits
    report = check_model(model, items=100)
    assert len(report.rows) == 400
    assert report.ok, report.title
    assert report.max_diff <= 1e-4
    assert report.argmax_agreement == 1.0
    bad = check_model(_ShiftedServer(model), reference=model, items=4)
    assert bad.verdict == "shifted"
    assert "shifted by one token" in bad.notes[0]
