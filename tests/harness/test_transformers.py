"""The transformers adapter on SmolLM2-135M-Instruct dequantised from the bundled GGUF.

Skipped where torch/transformers (the ``transformers`` extra, not installed by default)
or the bundled model are missing, or where the checkpoint cannot be built; the checkpoint
is built once by ``benchmarks/_dequantise.py`` into ``~/.cache/assay/smollm2-hf``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.harness.models import GenerationRequest, LoglikelihoodRequest, load_model

torch = pytest.importorskip("torch", reason="needs the transformers extra (torch)")
pytest.importorskip("transformers", reason="needs the transformers extra (transformers)")

_DEQUANTISE = Path(__file__).resolve().parents[2] / "benchmarks" / "_dequantise.py"


@pytest.fixture(scope="module")
def checkpoint() -> Path:
    """The dequantised checkpoint directory (built on first use), or a skip."""
    for module in ("gguf", "accelerate"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"dequantising the bundled GGUF needs {module}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    spec = importlib.util.spec_from_file_location("_assay_dequantise", _DEQUANTISE)
    if spec is None or spec.loader is None:
        pytest.skip(f"{_DEQUANTISE} is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        path: Path = module.dequantise()
    except Exception as exc:  # no bundled model, or this transformers cannot read GGUF
        pytest.skip(f"cannot build the dequantised checkpoint: {type(exc).__name__}: {exc}")
    return path


@pytest.fixture(scope="module")
def model(checkpoint: Path):  # type: ignore[no-untyped-def]
    return load_model(f"transformers:{checkpoint}")


def _direct(model, context: str, continuation: str) -> tuple[float, bool, int]:  # type: ignore[no-untyped-def]
    """Log-likelihood from one plain forward pass over context + continuation."""
    ctx = model.tokenize(context)
    whole = model.tokenize(context + continuation)
    assert whole[: len(ctx)] == ctx
    with torch.inference_mode():
        logits = model._model(input_ids=torch.tensor([whole]), use_cache=False).logits[0]
    lp = torch.log_softmax(logits.double(), dim=-1)
    total = 0.0
    greedy = True
    for i in range(len(ctx), len(whole)):
        total += float(lp[i - 1, whole[i]])
        greedy &= int(lp[i - 1].argmax()) == whole[i]
    return total, greedy, len(whole) - len(ctx)


QUESTIONS = [
    ("Question: What is 2 + 3?\nAnswer:", (" 5", " 6", " 23", " 4 apples")),
    ("Question: Which word is reversed 'tac'?\nAnswer:", (" cat", " act", " tic", " cot")),
    ("The capital of France is", (" Paris", " London", " Berlin and Rome", " a city")),
    ("Question: Is 7 greater than 3?\nAnswer:", (" yes", " no")),
    # shares a prefix with the first context: the cached prefix is reused
    ("Question: What is 2 + 4?\nAnswer:", (" 6", " 7", " six")),
]


def test_loglikelihoods_equal_a_direct_forward_pass(model) -> None:  # type: ignore[no-untyped-def]
    for context, choices in QUESTIONS:
        got = model.loglikelihood(LoglikelihoodRequest(context, choices))
        assert got.context_tokens == model.count_tokens(context)
        for i, choice in enumerate(choices):
            expected, greedy, n_tokens = _direct(model, context, choice)
            assert got.logprobs[i] == pytest.approx(expected, abs=1e-4)
            assert got.greedy[i] == greedy
            assert got.continuation_tokens[i] == n_tokens


def test_context_runs_once_and_is_reused(model) -> None:  # type: ignore[no-untyped-def]
    context, choices = QUESTIONS[1]
    model.loglikelihood(LoglikelihoodRequest("Unrelated text first.", (" a", " b")))
    got = model.loglikelihood(LoglikelihoodRequest(context, choices))
    longest_run = max(got.continuation_tokens) - 1
    # the context once, then one batch of the continuations without their last tokens
    assert got.tokens_evaluated <= got.context_tokens + len(choices) * longest_run
    again = model.loglikelihood(LoglikelihoodRequest(context, choices))
    assert again.logprobs == pytest.approx(got.logprobs, abs=1e-6)
    assert again.tokens_evaluated == got.tokens_evaluated - got.context_tokens


def test_results_do_not_depend_on_what_ran_before(model) -> None:  # type: ignore[no-untyped-def]
    a = model.loglikelihood(LoglikelihoodRequest(*QUESTIONS[0]))
    model.loglikelihood(LoglikelihoodRequest(*QUESTIONS[4]))
    model.generate(GenerationRequest("Once upon a time", max_tokens=5))
    b = model.loglikelihood(LoglikelihoodRequest(*QUESTIONS[0]))
    assert a.logprobs == pytest.approx(b.logprobs, abs=1e-4)  # float32 rounding


@pytest.mark.slow
def test_conformance_on_builtin_items(model) -> None:  # type: ignore[no-untyped-def]
    from assay.harness.conformance import check_model

    # cached, batched scoring equals one plain pass per continuation (~0.3 s an item on
    # two CPU cores in float32, so 40 items rather than the 100 of the llama.cpp test)
    report = check_model(model, items=40)
    assert len(report.rows) == 160
    assert report.ok, report.title
    assert report.max_diff <= 1e-4
    assert report.argmax_agreement == 1.0


@pytest.mark.slow
def test_agrees_with_the_llamacpp_adapter_on_most_items(model) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python")
    from assay.harness.conformance import check_model

    # Q4_1 in llama.cpp (which also quantises activations to 8 bits) vs the same weights
    # dequantised to float32: close, not equal
    report = check_model(model, reference=load_model("llamacpp:smollm2"), items=40, tolerance=1.0)
    assert report.argmax_agreement >= 0.85, report.title
    diffs = sorted(r.diff for r in report.rows)
    assert diffs[len(diffs) // 2] < 0.2  # median |difference| of a continuation


def test_generation_is_greedy_and_stops(model) -> None:  # type: ignore[no-untyped-def]
    prompt = "Once upon a time"
    got = model.generate(GenerationRequest(prompt, max_tokens=10))
    ids = model.tokenize(prompt)
    with torch.inference_mode():
        ref = model._model.generate(
            torch.tensor([ids]), max_new_tokens=10, do_sample=False, pad_token_id=model._pad
        )
    assert got.text == model._tok.decode(ref[0, len(ids) :], skip_special_tokens=True)
    assert (got.output_tokens, got.finish_reason) == (10, "length")
    assert got.input_tokens == len(ids)
    req = GenerationRequest("Question: What is 2 + 3?\nAnswer:", max_tokens=12, stop=("\n",))
    first = model.generate(req)
    assert "\n" not in first.text
    assert first.output_tokens <= 12
    assert model.generate(req).text == first.text
    chat = model.generate(GenerationRequest("Say hello.", max_tokens=8, chat=True))
    assert chat.input_tokens > model.count_tokens("Say hello.")
    sampled = GenerationRequest(prompt, max_tokens=8, temperature=1.0, seed=3)
    assert model.generate(sampled).text == model.generate(sampled).text


def test_token_logprobs_cover_the_text(model) -> None:  # type: ignore[no-untyped-def]
    text = "Question: What is 2 + 3?\nAnswer: 5"
    got = model.token_logprobs(text)
    assert "".join(got.tokens) == text
    assert got.logprobs[0] is None  # no BOS token: the first token has no log-probability
    expected, _, _ = _direct(model, "Question: What is 2 + 3?\nAnswer:", " 5")
    assert got.total_from(len("Question: What is 2 + 3?\nAnswer:")) == pytest.approx(
        expected, abs=1e-4
    )


def test_identity_and_errors(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ident = model.identity()
    assert ident["adapter"] == "transformers"
    assert len(ident["model_sha256"]) == 64
    assert ident["torch"] == torch.__version__
    assert model.identity() == ident
    with pytest.raises(InputError, match="at least one"):
        model.loglikelihood(LoglikelihoodRequest("x", ()))
    with pytest.raises(InputError, match="context is empty"):
        model.loglikelihood(LoglikelihoodRequest("", (" a",)))
    with pytest.raises(InputError, match=r"config\.json"):
        load_model(f"transformers:{tmp_path}")
    with pytest.raises(InputError, match="checkpoint directory"):
        load_model("transformers")


def test_runs_a_task_into_the_store(model, store) -> None:  # type: ignore[no-untyped-def]
    from assay.harness.runner import run_task
    from assay.harness.tasks.builtin import builtin_task

    task = builtin_task("arithmetic", n_items=6)
    outcome = run_task(store, task, model, variants=["default"], progress=False)
    assert (outcome.status, outcome.done, outcome.errors) == ("complete", 6, 0)
    rows = store.query(
        "SELECT count(*) AS n FROM scores WHERE run_id = ? AND metric = 'acc'", [outcome.run_id]
    ).to_pylist()
    assert rows[0]["n"] == 6
