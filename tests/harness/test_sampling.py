"""The in-process sampler against the distributions it must draw from (scipy's chi-square
test on seeded draws) and the filters' definitions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import chisquare

from assay.harness.models._sampling import SamplerSettings, pick_token, trim_at_stop

LOGITS = np.array([2.0, 1.5, 1.0, 0.2, -0.5, -1.0, -3.0, -6.0])


def _freq(settings: SamplerSettings, n: int = 10_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    draws = [pick_token(LOGITS, settings, rng) for _ in range(n)]
    return np.bincount(draws, minlength=len(LOGITS))


def test_greedy_is_the_argmax() -> None:
    rng = np.random.default_rng(0)
    assert pick_token(LOGITS[::-1], SamplerSettings(0.0), rng) == len(LOGITS) - 1


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_unfiltered_draws_follow_the_tempered_softmax(temperature: float) -> None:
    counts = _freq(SamplerSettings(temperature, top_k=0, top_p=1.0, min_p=0.0))
    expected = softmax(LOGITS / temperature) * counts.sum()
    # chi-square needs expected counts above ~5: the rarest tokens are pooled into one cell
    rare = expected < 5
    obs = np.append(counts[~rare], counts[rare].sum()) if rare.any() else counts
    exp = np.append(expected[~rare], expected[rare].sum()) if rare.any() else expected
    assert chisquare(obs, exp).pvalue > 1e-3


def test_filters_keep_the_defined_sets() -> None:
    p = softmax(LOGITS)
    # top-k: the k most likely, renormalised
    counts = _freq(SamplerSettings(1.0, top_k=3, top_p=1.0, min_p=0.0))
    assert counts[3:].sum() == 0
    assert chisquare(counts[:3], p[:3] / p[:3].sum() * counts.sum()).pvalue > 1e-3
    # top-p: the smallest prefix whose mass reaches p (here the first three: 0.84 < 0.9)
    cum = np.cumsum(p)
    keep = int(np.argmax(cum >= 0.9)) + 1
    counts = _freq(SamplerSettings(1.0, top_k=0, top_p=0.9, min_p=0.0))
    assert counts[keep:].sum() == 0
    assert (counts[:keep] > 0).all()
    # min-p: probabilities at least min_p times the largest
    counts = _freq(SamplerSettings(1.0, top_k=0, top_p=1.0, min_p=0.2))
    allowed = p >= 0.2 * p.max()
    assert counts[~allowed].sum() == 0
    assert (counts[allowed] > 0).all()


def test_same_seed_same_draws() -> None:
    s = SamplerSettings(0.8)
    a = [pick_token(LOGITS, s, np.random.default_rng(7)) for _ in range(5)]
    b = [pick_token(LOGITS, s, np.random.default_rng(7)) for _ in range(5)]
    assert a == b


def test_trim_at_stop() -> None:
    assert trim_at_stop("12\nQuestion", ("\n",)) == ("12", True)
    assert trim_at_stop("a;b.c", (".", ";")) == ("a", True)
    assert trim_at_stop("abc", ("\n", "")) == ("abc", False)


# ------------------------------------------------------------------ on the bundled model
def _llama(n_ctx: int = 512):
    llama_cpp = pytest.importorskip("llama_cpp", reason="needs the local extra (llama-cpp-python)")
    from assay.errors import PrerequisiteError
    from assay.harness.models.llamacpp import resolve_model_file

    try:
        path = resolve_model_file("smollm2")
    except PrerequisiteError as exc:
        pytest.skip(str(exc))
    return llama_cpp.Llama(
        model_path=str(path), n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx,
        n_threads=2, logits_all=True, seed=0, verbose=False,
    )  # fmt: skip


def test_greedy_generation_equals_llama_cpp_python() -> None:
    """Greedy text from the reused prompt state equals llama-cpp-python's own
    create_completion at temperature 0 on a fresh context."""
    from assay.harness.models._sampling import PromptState, sample_llama

    ours, ref = _llama(), _llama()
    state = PromptState()
    for prompt in (
        "Question: What is 12 + 7?\nAnswer:",
        "The capital of France is",
        "def add(a, b):",
    ):
        tokens = ours.tokenize(prompt.encode())
        text, n, _ = sample_llama(
            ours, tokens, max_tokens=12, stop=("\n\n",), settings=SamplerSettings(0.0),
            seed=0, state=state,
        )  # fmt: skip
        ref.reset()
        out = ref.create_completion(prompt, max_tokens=12, stop=["\n\n"], temperature=0.0)
        assert text == out["choices"][0]["text"]
        assert n <= 12


def test_samples_do_not_depend_on_what_ran_before() -> None:
    from assay.harness.models._sampling import PromptState, sample_llama

    llm, fresh = _llama(), _llama()
    state = PromptState()
    prompt = llm.tokenize(b"Question: What is 47 * 3?\nAnswer:")
    other = llm.tokenize(b"Once upon a time")

    def draw(model, seed: int, st: PromptState) -> str:
        return sample_llama(
            model, prompt, max_tokens=8, stop=("\n",), settings=SamplerSettings(1.0),
            seed=seed, state=st,
        )[0]  # fmt: skip

    first = [draw(llm, s, state) for s in range(6)]
    assert len(set(first)) > 1  # sampling at temperature 1 varies across seeds
    again = draw(llm, 2, state)
    # something else runs in the same context, then the prompt again (re-evaluated)
    sample_llama(
        llm, other, max_tokens=5, stop=(), settings=SamplerSettings(1.0), seed=9, state=state
    )
    assert [again, draw(llm, 4, state)] == [first[2], first[4]]
    assert draw(fresh, 4, PromptState()) == first[4]
