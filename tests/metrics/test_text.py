"""Text metrics against sacrebleu, rouge-score, rapidfuzz, NLTK and the methods note."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import DegenerateDataWarning, InputError
from assay.metrics import exact_match, get_metric, squad_normalize

sacrebleu = pytest.importorskip("sacrebleu")
rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
bleu_score = pytest.importorskip("nltk.translate.bleu_score")
nltk_metrics = pytest.importorskip("nltk.metrics.distance")

HYPS = [
    "The cat sat on the mat.",
    "fix null pointer in parser",
    "A quick brown fox jumps over the lazy dog",
    "update readme",
    "",
    "Add unit tests for the tokenizer module and refactor helpers",
]
REFS = [
    "The cat is sitting on the mat.",
    "fix null pointer exception in parser",
    "The quick brown fox jumped over the lazy dog",
    "update readme file",
    "remove unused imports",
    "add tests for tokenizer module; refactor helper functions",
]
REFS2 = [
    "There is a cat on the mat.",
    "Fix NPE in the parser",
    "A fast brown fox leaps over a lazy dog",
    "update the readme",
    "drop unused imports",
    "Add tokenizer tests and refactor helpers",
]

# the note's worked commit-message example
NOTE_REF, NOTE_GEN = "fix null pointer exception in parser", "fix null pointer in parser"


# --------------------------------------------------------------------------- sacrebleu


@pytest.mark.parametrize(
    "options",
    [{}, {"tokenize": "intl", "lowercase": True}, {"smooth_method": "floor", "smooth_value": 0.1}],
)
def test_bleu_equals_sacrebleu(options: dict[str, object]) -> None:
    ours = get_metric("bleu", **options).compute(
        HYPS, [[a, b] for a, b in zip(REFS, REFS2, strict=False)]
    )
    theirs = sacrebleu.corpus_bleu(HYPS, [REFS, REFS2], **options)
    assert ours.value == pytest.approx(theirs.score, abs=1e-9)
    assert ours.stats.shape == (len(HYPS), 10)


def test_bleu_with_a_varying_number_of_references() -> None:
    refs = [[REFS[0], REFS2[0]], REFS[1], [REFS[2]], REFS[3], REFS[4], [REFS[5], REFS2[5]]]
    ours = get_metric("bleu").compute(HYPS, refs).value
    second = [REFS2[0], None, None, None, None, REFS2[5]]
    theirs = sacrebleu.corpus_bleu(HYPS, [REFS, second]).score
    assert ours == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("options", [{}, {"word_order": 2}, {"lowercase": True, "beta": 1}])
def test_chrf_equals_sacrebleu(options: dict[str, object]) -> None:
    ours = get_metric("chrf", **options).compute(HYPS, REFS).value
    theirs = sacrebleu.metrics.CHRF(**options).corpus_score(HYPS, [REFS]).score
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_bleu_bootstrap_reaggregates_without_regrading() -> None:
    metric = get_metric("bleu")
    result = metric.compute(HYPS * 20, REFS * 20)
    low, high = result.confidence_interval(resamples=300, seed=1)
    assert low <= result.value <= high
    # resampling every row exactly once gives the corpus value back
    again = metric.aggregate_resamples(result.stats, np.arange(result.n)[None, :])
    assert again[0] == pytest.approx(result.value)


# --------------------------------------------------------------------------- commit BLEU


def test_b_norm_worked_example_is_51_15() -> None:
    result = get_metric("b_norm").compute([NOTE_GEN], [NOTE_REF])
    assert result.value == pytest.approx(51.15, abs=5e-3)
    # identical two-token message: 100 (smoothing keeps short messages whole)
    assert get_metric("b_norm").compute(["update readme"], ["update readme"]).value == (
        pytest.approx(100.0)
    )
    # case and punctuation are normalised away
    assert get_metric("b_norm").compute(["Fix: parser."], ["fix : parser ."]).value == (
        pytest.approx(100.0)
    )


def test_b_cc_equals_nltk_method5_and_the_worked_examples() -> None:
    smooth = bleu_score.SmoothingFunction().method5
    b_cc = get_metric("b_cc")
    assert b_cc.compute([NOTE_GEN], [NOTE_REF]).value == pytest.approx(37.59, abs=5e-3)
    assert b_cc.compute(["update readme"], ["update readme"]).value == pytest.approx(
        39.04, abs=5e-3
    )
    hyps = [h for h in HYPS if h]
    refs = [[r, r2] for h, r, r2 in zip(HYPS, REFS, REFS2, strict=False) if h]
    ours = b_cc.compute(hyps, refs).stats[:, 0]
    theirs = [
        100 * bleu_score.sentence_bleu([x.split() for x in r], h.split(), smoothing_function=smooth)
        for h, r in zip(hyps, refs, strict=False)
    ]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_b_moses_equals_nltk_corpus_bleu_without_smoothing() -> None:
    # every message has >= 4 tokens: NLTK counts a sentence without 4-grams as one
    # 4-gram in the denominator (max(1, count)), multi-bleu.perl and sacrebleu do not
    hyps = [
        "fix null pointer exception in the parser",
        "update readme file now",
        "Add all the tests",
    ]
    refs = [
        "fix null pointer exception in parser",
        "update the readme file now",
        "Add the unit tests",
    ]
    ours = get_metric("b_moses").compute(hyps, refs).value
    theirs = 100 * bleu_score.corpus_bleu([[r.split()] for r in refs], [h.split() for h in hyps])
    assert ours == pytest.approx(theirs, abs=1e-9)
    # no 4-gram match anywhere in the corpus: B-Moses is 0 (the note's edge case)
    short = get_metric("b_moses").compute([NOTE_GEN, "update readme"], [NOTE_REF, "update"])
    assert short.value == 0.0
    with pytest.raises(InputError, match="b_moses fixes"):
        get_metric("b_moses", smooth_method="exp")


# --------------------------------------------------------------------------- rouge, F1, EM


@pytest.mark.parametrize("rouge_type", ["rouge1", "rouge2", "rougeL", "rougeLsum"])
@pytest.mark.parametrize("use_stemmer", [False, True])
def test_rouge_equals_rouge_score(rouge_type: str, use_stemmer: bool) -> None:
    scorer = rouge_scorer.RougeScorer([rouge_type], use_stemmer=use_stemmer)
    metric = get_metric("rouge", rouge_type=rouge_type, use_stemmer=use_stemmer)
    ours = metric.compute(HYPS, REFS).stats[:, 0]
    theirs = [scorer.score(r, h)[rouge_type].fmeasure for h, r in zip(HYPS, REFS, strict=False)]
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
    multi = metric.compute(HYPS, [[a, b] for a, b in zip(REFS, REFS2, strict=False)]).stats[:, 0]
    best = [
        scorer.score_multi([a, b], h)[rouge_type].fmeasure
        for h, a, b in zip(HYPS, REFS, REFS2, strict=False)
    ]
    np.testing.assert_allclose(multi, best, atol=1e-12)


def test_rouge_l_by_hand() -> None:
    # LCS("the cat sat", "the cat sat down") = 3: P = 1, R = 3/4, F = 6/7
    result = get_metric("rouge", rouge_type="rougeL").compute(["the cat sat"], ["the cat sat down"])
    assert result.value == pytest.approx(6 / 7)


def test_token_f1_squad_examples() -> None:
    f1 = get_metric("token_f1")
    # "cat sat" vs "cat sat down" after removing articles/punctuation: P=1, R=2/3
    assert f1.compute(["The cat sat."], ["a cat sat down"]).value == pytest.approx(0.8)
    assert f1.compute(["Denver Broncos"], [["Broncos", "Denver Broncos!"]]).value == 1.0
    assert f1.compute(["the"], ["a"]).value == 1.0  # both empty after normalisation
    assert f1.compute(["Paris"], ["the"]).value == 0.0
    assert squad_normalize("The  Eiffel-Tower, in PARIS!") == "eiffeltower in paris"


def test_exact_match_options() -> None:
    assert get_metric("exact_match").compute(["Paris."], ["Paris"]).value == 1.0
    assert get_metric("exact_match").compute(["paris"], ["Paris"]).value == 0.0
    assert get_metric("exact_match", ignore_case=True).compute(["paris"], ["Paris"]).value == 1.0
    squad = get_metric("exact_match", normalization="squad")
    assert squad.compute(["The Paris!"], ["paris"]).value == 1.0
    pattern = get_metric("exact_match", pattern=r"answer is (\w+)")
    assert pattern.compute(["so the answer is 42."], ["42"]).value == 1.0
    assert exact_match("RABBIT", "rabbit") == 0.0  # the function the harness uses
    with pytest.raises(InputError, match="regular expression"):
        get_metric("exact_match", pattern="(")
    with pytest.raises(InputError, match="'normalization' parameter"):
        get_metric("exact_match", normalization="nfkc")


# --------------------------------------------------------------------------- edit distance


def test_edit_similarity_worked_example_pools_the_corpus() -> None:
    preds, refs = ["fix bug", "update readme"], ["fix bugs", "update readme file"]
    result = get_metric("edit_similarity").compute(preds, refs)
    assert result.value == pytest.approx(1 - 6 / 26, abs=1e-12)
    assert result.value == pytest.approx(0.7692, abs=5e-5)
    per_item = get_metric("edit_distance", normalized=True).compute(preds, refs)
    assert 1 - per_item.value == pytest.approx(0.7986, abs=5e-5)


def test_edit_distance_equals_nltk() -> None:
    pairs = list(zip([*HYPS, "kitten", "", "flaw"], [*REFS, "sitting", "", "lawn"], strict=False))
    ours = get_metric("edit_distance").compute(*map(list, zip(*pairs, strict=False))).stats[:, 0]
    theirs = [nltk_metrics.edit_distance(a, b) for a, b in pairs]
    np.testing.assert_array_equal(ours, theirs)
    similarity = get_metric("edit_similarity").compute(*map(list, zip(*pairs, strict=False))).value
    pooled = sum(theirs) / sum(max(len(a), len(b)) for a, b in pairs)
    assert similarity == pytest.approx(1 - pooled)


def test_edit_similarity_of_empty_strings_is_nan_with_warning() -> None:
    with pytest.warns(DegenerateDataWarning, match="empty"):
        value = get_metric("edit_similarity").compute(["", ""], ["", ""]).value
    assert np.isnan(value)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "name", ["bleu", "chrf", "b_norm", "b_cc", "rouge", "token_f1", "edit_similarity"]
)
def test_bad_text_input(name: str) -> None:
    metric = get_metric(name)
    with pytest.raises(InputError, match="same length"):
        metric.compute(["a", "b"], ["a"])
    with pytest.raises(InputError, match="must be a string"):
        metric.compute([3], ["a"])
    with pytest.raises(InputError, match="reference must be"):
        metric.compute(["a"], [[]])
    with pytest.warns(DegenerateDataWarning, match="no items"):
        empty = metric.compute([], [])
    assert np.isnan(empty.value)
    # a missing prediction is an ungradable item: NaN unless omitted
    omitted = metric.compute(["the cat", None], ["the cat", "a dog"], nan_policy="omit")
    assert omitted.n_omitted == 1
    assert omitted.n == 1
    with pytest.raises(InputError, match="could not be graded"):
        metric.compute(["the cat", None], ["the cat", "a dog"], nan_policy="raise")


# --------------------------------------------------------------------------- properties

sentences = st.lists(
    st.sampled_from(["the", "a", "cat", "dog", "sat", "ran", "on", "mat", "fast", "."]), max_size=8
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(sentences, sentences), min_size=1, max_size=12), st.randoms())
def test_metrics_unchanged_under_item_order_and_bounded(pairs, random) -> None:  # type: ignore[no-untyped-def]
    preds = [" ".join(p) for p, _ in pairs]
    refs = [" ".join(r) for _, r in pairs]
    order = list(range(len(pairs)))
    random.shuffle(order)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # all-empty corpora
        for name, top in [("bleu", 100), ("chrf", 100), ("b_norm", 100), ("edit_similarity", 1)]:
            metric = get_metric(name)
            a = metric.compute(preds, refs).value
            b = metric.compute([preds[i] for i in order], [refs[i] for i in order]).value
            if np.isnan(a):
                assert np.isnan(b)
                continue
            assert a == pytest.approx(b, abs=1e-9)
            assert 0 <= a <= top + 1e-9
