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


@pytest.fixture(scope="module")
def reference(model):  # type: ignore[no-untyped-def]
    """An independent llama-cpp-python ``Llama`` on the same file and settings (flash
    attention, micro-batches of 63 tokens), through its high-level ``eval``."""
    import llama_cpp

    from assay.harness.models.llamacpp import _UBATCH

    return llama_cpp.Llama(
        model_path=str(model.path),
        n_ctx=512,
        n_batch=_UBATCH,
        n_ubatch=_UBATCH,
        flash_attn=True,
        logits_all=True,
        n_threads=model._threads,
        verbose=False,
    )


def _direct(model, reference, context: str, continuation: str) -> tuple[float, bool]:  # type: ignore[no-untyped-def]
    """Log-likelihood from one fresh pass over context + continuation, from the logits."""
    ctx = model.tokenize(context)
    whole = model.tokenize(context + continuation)
    assert whole[: len(ctx)] == ctx
    reference.reset()
    reference.eval(whole)
    logits = reference.scores[: len(whole)].astype(np.float64)
    logz = np.log(np.exp(logits - logits.max(axis=1, keepdims=True)).sum(axis=1)) + logits.max(
        axis=1
    )
    total = 0.0
    greedy = True
    for i in range(len(ctx), len(whole)):
        total += logits[i - 1, whole[i]] - logz[i - 1]
        greedy &= int(np.argmax(logits[i - 1])) == whole[i]
    reference.reset()
    return total, greedy


LONG = (
    "Question: Which of these expressions is True: not (False and (False and True)); "
    "not (True and not False); not (True or False) or False; (False and False) or "
    "(False and True)? Think about each of the four expressions in turn, step by step, then answer.\nAnswer:"
)
QUESTIONS = [
    ("Question: What is 2 + 3?\nAnswer:", (" 5", " 6", " 23", " 4")),
    ("Question: Which word is reversed 'tac'?\nAnswer:", (" cat", " act", " tic", " cot")),
    ("The capital of France is", (" Paris", " London", " Berlin and Rome", " a city")),
    ("Question: Is 7 greater than 3?\nAnswer:", (" yes", " no")),
    # 60+ context tokens and long choices: the item spans several micro-batches
    (
        LONG,
        (
            " not (False and (False and True))",
            " not (True and not False)",
            " not (True or False) or False",
            " (False and False) or (False and True)",
        ),
    ),
]


def test_loglikelihoods_equal_a_direct_computation(model, reference) -> None:  # type: ignore[no-untyped-def]
    assert len(model.tokenize(LONG)) > 63
    for context, choices in QUESTIONS:
        got = model.loglikelihood(LoglikelihoodRequest(context, choices))
        for i, choice in enumerate(choices):
            expected, greedy = _direct(model, reference, context, choice)
            assert got.logprobs[i] == pytest.approx(expected, abs=1e-4)
            assert got.greedy[i] == greedy


def test_context_is_evaluated_once(model) -> None:  # type: ignore[no-untyped-def]
    model._forget()
    context, choices = QUESTIONS[2]
    got = model.loglikelihood(LoglikelihoodRequest(context, choices))
    minimum = got.context_tokens + sum(got.continuation_tokens)
    # the context once, each choice but its last token
    assert got.tokens_evaluated <= minimum - len(choices)
    # scoring the same item again reuses the cached context (all but its last token)
    again = model.loglikelihood(LoglikelihoodRequest(context, choices))
    assert again.logprobs == got.logprobs
    assert again.tokens_evaluated == 1 + got.tokens_evaluated - got.context_tokens


def test_choices_share_their_common_first_tokens(model, reference) -> None:  # type: ignore[no-untyped-def]
    context = "Question: What is 12 + 30?\nAnswer:"
    choices = (" 42", " 43", " 52", " 4")
    n = len(model.tokenize(context))
    conts = [model._continuation(context, model.tokenize(context), c) for c in choices]
    shared = {tuple(c[: j + 1]) for c in conts for j in range(len(c) - 1)}
    assert len(shared) < sum(len(c) - 1 for c in conts)  # " " and "4" are shared
    model._forget()
    got = model.loglikelihood(LoglikelihoodRequest(context, choices))
    assert got.tokens_evaluated == n + len(shared)
    for c, lp, greedy in zip(choices, got.logprobs, got.greedy, strict=True):
        expected, expected_greedy = _direct(model, reference, context, c)
        assert lp == pytest.approx(expected, abs=1e-4)
        assert greedy == expected_greedy


def test_results_do_not_depend_on_what_ran_before_or_alongside(model) -> None:  # type: ignore[no-untyped-def]
    context, choices = QUESTIONS[1]
    model._forget()
    alone = model.loglikelihood(LoglikelihoodRequest(context, choices))
    # after other items (a cached prefix, stale cells), generation and a reference pass
    model.loglikelihood(LoglikelihoodRequest(*QUESTIONS[4]))
    model.loglikelihood(LoglikelihoodRequest("Question: Which word is it?\nAnswer:", (" a",)))
    model.generate(GenerationRequest("Once upon a time", max_tokens=5))
    after = model.loglikelihood(LoglikelihoodRequest(context, choices))
    model.token_logprobs(context + choices[0])
    after_reference = model.loglikelihood(LoglikelihoodRequest(context, choices))
    # batched with other choices: before, between and after, in one decode
    others = (" dog", *choices[:2], " tac tac tac", *choices[2:], " c")
    mixed = model.loglikelihood(LoglikelihoodRequest(context, others))
    mixed_lp = [mixed.logprobs[others.index(c)] for c in choices]
    # more choices than one decode holds (sequences): several decodes
    many = tuple(f" {w}" for w in range(40)) + choices
    crowded = model.loglikelihood(LoglikelihoodRequest(context, many))
    for got in (after.logprobs, after_reference.logprobs, mixed_lp, crowded.logprobs[40:]):
        assert list(got) == pytest.approx(list(alone.logprobs), abs=1e-6)
    assert crowded.greedy[40:] == alone.greedy


def test_single_token_choices_on_a_cached_context(model, reference) -> None:  # type: ignore[no-untyped-def]
    # everything but the context's last token is cached and no choice needs a second
    # token: the decode still runs two tokens (a one-token batch is never run)
    context, choices = QUESTIONS[3]
    n = len(model.tokenize(context))
    single = tuple(c for c in choices if len(model.tokenize(context + c)) == n + 1)
    assert single, "' yes' and ' no' are single tokens for SmolLM2"
    model.loglikelihood(LoglikelihoodRequest(context, choices))
    got = model.loglikelihood(LoglikelihoodRequest(context, single))
    assert got.tokens_evaluated == 2
    for c, lp in zip(single, got.logprobs, strict=True):
        assert lp == pytest.approx(_direct(model, reference, context, c)[0], abs=1e-4)


def test_token_logprobs_equal_a_direct_computation(model, reference) -> None:  # type: ignore[no-untyped-def]
    context, choices = QUESTIONS[4]
    ref = model.token_logprobs(context + choices[0])
    expected, _ = _direct(model, reference, context, choices[0])
    assert ref.total_from(len(context)) == pytest.approx(expected, abs=1e-4)


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
