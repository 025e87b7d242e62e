"""Grading generated text: answer extraction, exact match, token F1, BLEU, chrF, ROUGE,
the commit-message BLEU variants and edit distance.

Every metric here takes ``predictions`` (strings; ``None`` for an item without output,
which grades NaN) and ``references`` (one string, or a non-empty sequence of strings when
an item has several references). Scales follow the reference tools: BLEU, chrF and the
commit-message BLEU variants are on 0-100 (as sacrebleu and the CMG papers report them),
everything else on 0-1.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError
from assay.metrics._core import (
    MeanMetric,
    Metric,
    check_option,
    register,
    require,
    warn_degenerate,
)

__all__ = [
    "BCC",
    "BLEU",
    "BMoses",
    "BNorm",
    "ChrF",
    "EditDistance",
    "EditSimilarity",
    "ExactMatch",
    "Rouge",
    "TokenF1",
    "exact_match",
    "extract_answer",
    "normalize_answer",
    "squad_normalize",
]

_SPACE = re.compile(r"\s+")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)
_WORD_OR_PUNCT = re.compile(r"[\w]+|[^\s\w]")

Normalization = Literal["whitespace", "squad"]


def normalize_answer(text: str, *, ignore_case: bool = False) -> str:
    """The comparison form of an answer: surrounding whitespace stripped, inner runs of
    whitespace collapsed to one space, a trailing full stop removed, and the case folded
    only when ``ignore_case`` (case is kept by default: "RABBIT" is not "rabbit")."""
    text = _SPACE.sub(" ", text.strip()).removesuffix(".").strip()
    return text.casefold() if ignore_case else text


def squad_normalize(text: str) -> str:
    """The SQuAD answer normalisation: lower case, ASCII punctuation removed, the articles
    "a", "an", "the" removed, whitespace collapsed (in that order).

    References
    ----------
    Rajpurkar, P. et al. (2016). SQuAD: 100,000+ questions for machine comprehension of
    text. *EMNLP* (official evaluation script v1.1, ``normalize_answer``).
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def extract_answer(output: str, pattern: str = "") -> str:
    """The answer in ``output``: the first group of ``pattern`` (or the whole match when
    the pattern has no group) at its first match; the stripped output when ``pattern``
    is empty; the empty string when the pattern does not match."""
    if not pattern:
        return output.strip()
    match = re.search(pattern, output)
    if match is None:
        return ""
    return match.group(1) if match.groups() else match.group(0)


def exact_match(prediction: str, target: str, *, ignore_case: bool = False) -> float:
    """1.0 when the normalised prediction equals the normalised target, else 0.0
    (see :func:`normalize_answer`)."""
    return float(
        normalize_answer(prediction, ignore_case=ignore_case)
        == normalize_answer(target, ignore_case=ignore_case)
    )


# --------------------------------------------------------------------------- input checks


def _refs(reference: Any, metric: str) -> list[str]:
    """One item's references as a non-empty list of strings."""
    if isinstance(reference, str):
        return [reference]
    if isinstance(reference, Sequence) and reference and all(isinstance(r, str) for r in reference):
        return list(reference)
    raise InputError(
        f"{metric}: a reference must be a string or a non-empty sequence of strings; "
        f"got {reference!r}"
    )


def _text(prediction: Any, metric: str) -> str:
    if not isinstance(prediction, str):
        raise InputError(
            f"{metric}: a prediction must be a string (or None when missing); got "
            f"{type(prediction).__name__} {prediction!r}"
        )
    return prediction


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class _TextMeanMetric(MeanMetric):
    """A mean over items of a text scorer, the best over several references."""

    grades_text: ClassVar[bool] = True

    def score(self, prediction: Any, reference: Any) -> float:
        pred = _text(prediction, self.name)
        return max(self.score_one(pred, ref) for ref in _refs(reference, self.name))

    def score_one(self, prediction: str, reference: str) -> float:
        raise NotImplementedError


# --------------------------------------------------------------------------- exact match, F1


@register
@dataclass(frozen=True)
class ExactMatch(_TextMeanMetric):
    """Share of items whose answer equals a reference after normalisation.

    Options
    -------
    pattern
        Regular expression that extracts the answer from the prediction
        (see :func:`extract_answer`); empty: the whole stripped prediction.
    normalization
        ``"whitespace"`` (assay's default, :func:`normalize_answer`: whitespace collapsed,
        a trailing full stop dropped, case kept unless ``ignore_case``) or ``"squad"``
        (:func:`squad_normalize`: lower case, punctuation and articles removed).
    ignore_case
        Fold case (``"whitespace"`` normalisation only; ``"squad"`` always folds).

    With several references an item scores 1 when any of them matches.

    References
    ----------
    Rajpurkar, P. et al. (2016). SQuAD: 100,000+ questions for machine comprehension of
    text. *EMNLP* (exact match after normalisation).
    """

    name: ClassVar[str] = "exact_match"
    pattern: str = ""
    normalization: Normalization = "whitespace"
    ignore_case: bool = False

    def __post_init__(self) -> None:
        check_option("ExactMatch", "normalization", self.normalization, ("whitespace", "squad"))
        if not isinstance(self.pattern, str):
            check_option("ExactMatch", "pattern", self.pattern, "a regular expression string")
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise InputError(
                f"the 'pattern' parameter of ExactMatch must be a valid regular expression; "
                f"got {self.pattern!r} ({exc})"
            ) from None

    def _norm(self, text: str) -> str:
        if self.normalization == "squad":
            return squad_normalize(text)
        return normalize_answer(text, ignore_case=self.ignore_case)

    def score_one(self, prediction: str, reference: str) -> float:
        answer = extract_answer(prediction, self.pattern)
        return float(self._norm(answer) == self._norm(reference))


@register
@dataclass(frozen=True)
class TokenF1(_TextMeanMetric):
    """Mean over items of the SQuAD token-overlap F1 between answer and reference.

    Both texts are normalised with :func:`squad_normalize` and split on whitespace;
    precision and recall count the multiset overlap of tokens. When either side has no
    tokens the item scores 1 if both are empty and 0 otherwise (the SQuAD 2.0
    convention). With several references an item takes the best F1.

    References
    ----------
    Rajpurkar, P. et al. (2016). SQuAD: 100,000+ questions for machine comprehension of
    text. *EMNLP*. Rajpurkar, P., Jia, R. & Liang, P. (2018). Know what you don't know:
    unanswerable questions for SQuAD. *ACL* (empty-answer convention).
    """

    name: ClassVar[str] = "token_f1"
    pattern: str = ""

    def score_one(self, prediction: str, reference: str) -> float:
        pred = squad_normalize(extract_answer(prediction, self.pattern)).split()
        ref = squad_normalize(reference).split()
        if not pred or not ref:
            return float(pred == ref)
        common = sum((Counter(pred) & Counter(ref)).values())
        if common == 0:
            return 0.0
        precision, recall = common / len(pred), common / len(ref)
        return 2 * precision * recall / (precision + recall)


# --------------------------------------------------------------------------- sacrebleu


@functools.lru_cache(maxsize=32)
def _sacrebleu(kind: str, options: tuple[tuple[str, Any], ...]) -> Any:
    metrics = require("sacrebleu.metrics")
    cls = metrics.BLEU if kind == "bleu" else metrics.CHRF
    return cls(**dict(options))


@dataclass(frozen=True)
class _CorpusMetric(Metric):
    """A corpus metric: per-item count vectors summed, then scored once."""

    grades_text: ClassVar[bool] = True

    def _scorer(self) -> Any:
        raise NotImplementedError

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        scorer = self._scorer()
        width = len(self.columns)
        out = np.full((len(predictions), width), np.nan)
        rows = [
            i
            for i, (p, r) in enumerate(zip(predictions, references, strict=True))
            if not (_is_missing(p) or _is_missing(r))
        ]
        if not rows:
            return out
        hyps = [_text(predictions[i], self.name) for i in rows]
        refs = [_refs(references[i], self.name) for i in rows]
        most = max(len(r) for r in refs)
        # sacrebleu takes reference *streams*; a shorter list is padded with None
        streams = [[r[j] if j < len(r) else None for r in refs] for j in range(most)]
        seg = scorer._extract_corpus_statistics(hyps, streams)
        out[rows] = np.asarray(seg, dtype=np.float64)
        return out

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        totals = stats.sum(axis=0)
        return float(self._scorer()._compute_score_from_stats(totals.tolist()).score)

    def aggregate_resamples(
        self, stats: NDArray[np.float64], indices: NDArray[np.intp]
    ) -> list[float | dict[str, float]]:
        scorer = self._scorer()
        n = stats.shape[0]
        out: list[float | dict[str, float]] = []
        for idx in indices:
            totals = np.bincount(idx, minlength=n) @ stats
            out.append(float(scorer._compute_score_from_stats(totals.tolist()).score))
        return out


@register
@dataclass(frozen=True)
class BLEU(_CorpusMetric):
    """Corpus BLEU (0-100) computed by sacrebleu.

    Per-item statistics are sacrebleu's segment statistics (hypothesis length, closest
    reference length, matched and total n-grams per order); the corpus value sums them,
    so a bootstrap resamples segments without re-tokenising (as sacrebleu's own
    ``--confidence`` does). Options are sacrebleu's: ``tokenize`` (``"13a"``,
    ``"none"``, ``"intl"``, ``"char"``, ``"zh"``...), ``lowercase``, ``smooth_method``
    (``"exp"``, ``"floor"``, ``"add-k"``, ``"none"``), ``smooth_value`` and
    ``max_ngram_order``.

    References
    ----------
    Papineni, K. et al. (2002). BLEU: a method for automatic evaluation of machine
    translation. *ACL*. Post, M. (2018). A call for clarity in reporting BLEU scores.
    *WMT* (sacrebleu).
    """

    name: ClassVar[str] = "bleu"
    columns: ClassVar[tuple[str, ...]] = (
        "sys_len", "ref_len", *(f"match_{n}" for n in range(1, 5)),
        *(f"total_{n}" for n in range(1, 5)),
    )  # fmt: skip
    tokenize: str = "13a"
    lowercase: bool = False
    smooth_method: Literal["exp", "floor", "add-k", "none"] = "exp"
    smooth_value: float | None = None

    def __post_init__(self) -> None:
        check_option("BLEU", "smooth_method", self.smooth_method, ("exp", "floor", "add-k", "none"))
        tokenizers = require("sacrebleu.metrics.bleu").BLEU.TOKENIZERS
        check_option("BLEU", "tokenize", self.tokenize, tokenizers)

    def _scorer(self) -> Any:
        opts = (
            ("tokenize", self.tokenize),
            ("lowercase", self.lowercase),
            ("smooth_method", self.smooth_method),
            ("smooth_value", self.smooth_value),
            ("force", True),
        )
        return _sacrebleu("bleu", opts)


@register
@dataclass(frozen=True)
class BMoses(BLEU):
    """B-Moses: corpus BLEU as Moses ``multi-bleu.perl`` computes it (0-100).

    Whitespace tokens, case-sensitive unless ``lowercase``, no smoothing (any n-gram
    order without a match anywhere in the corpus gives 0), brevity penalty with the
    closest reference length. Computed by sacrebleu with ``tokenize="none"`` and
    ``smooth_method="none"``, which implements exactly these choices.

    References
    ----------
    Tao, W. et al. (2021). On the evaluation of commit message generation models: an
    experimental study. *ICSME* (B-Moses). Koehn, P. et al. (2007). Moses: open source
    toolkit for statistical machine translation. *ACL* (``multi-bleu.perl``).
    """

    name: ClassVar[str] = "b_moses"
    tokenize: str = "none"
    smooth_method: Literal["exp", "floor", "add-k", "none"] = "none"

    def __post_init__(self) -> None:
        if (self.tokenize, self.smooth_method, self.smooth_value) != ("none", "none", None):
            raise InputError(
                "b_moses fixes tokenize='none', smooth_method='none' and smooth_value=None; "
                "use the 'bleu' metric for other choices"
            )


@register
@dataclass(frozen=True)
class ChrF(_CorpusMetric):
    """Corpus chrF (0-100) computed by sacrebleu; ``word_order=2`` gives chrF++.

    Per-item statistics are sacrebleu's character (and word) n-gram counts, summed over
    the corpus before the F-score. ``char_order``, ``word_order``, ``beta``,
    ``lowercase``, ``whitespace`` and ``eps_smoothing`` are sacrebleu's options.

    References
    ----------
    Popović, M. (2015). chrF: character n-gram F-score for automatic MT evaluation.
    *WMT*. Popović, M. (2017). chrF++: words helping character n-grams. *WMT*.
    """

    name: ClassVar[str] = "chrf"
    char_order: int = 6
    word_order: int = 0
    beta: int = 2
    lowercase: bool = False
    whitespace: bool = False
    eps_smoothing: bool = False

    def __post_init__(self) -> None:
        for opt in ("char_order", "beta"):
            if not isinstance(getattr(self, opt), int) or getattr(self, opt) < 1:
                check_option("ChrF", opt, getattr(self, opt), "an integer >= 1")
        if not isinstance(self.word_order, int) or not 0 <= self.word_order <= 2:
            check_option("ChrF", "word_order", self.word_order, "0, 1 or 2")

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(f"s{i}" for i in range(3 * (self.char_order + self.word_order)))

    def _scorer(self) -> Any:
        opts = (
            ("char_order", self.char_order),
            ("word_order", self.word_order),
            ("beta", self.beta),
            ("lowercase", self.lowercase),
            ("whitespace", self.whitespace),
            ("eps_smoothing", self.eps_smoothing),
        )
        return _sacrebleu("chrf", opts)


# --------------------------------------------------------------------------- commit BLEU


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _clipped(hyp: Sequence[str], refs: Sequence[Sequence[str]], n: int) -> tuple[int, int]:
    """Matched (clipped by the most frequent reference count) and total n-grams."""
    counts = _ngrams(hyp, n)
    best: Counter[tuple[str, ...]] = Counter()
    for ref in refs:
        best |= _ngrams(ref, n)
    matched = sum(min(c, best[g]) for g, c in counts.items())
    return matched, sum(counts.values())


@register
@dataclass(frozen=True)
class BNorm(_TextMeanMetric):
    """B-Norm: sentence-level smoothed BLEU-4 averaged over messages (0-100).

    The metric the commit-message study found to agree best with human judgement.
    Each message and reference is lower-cased and split into words and single
    punctuation marks (``[\\w]+|[^\\s\\w]``). Per message, with ``m_n``/``t_n`` the matched
    and total n-grams, ``r`` the shortest reference length and ``c`` the message length::

        log s = (1/4) Σ_{n=1..4} [log(m_n + a_n + ε) − log(t_n + a_n + ε)]
                + min(0, 1 − (r + 1)/(c + 1)),     a_1 = 0, a_n = 1 for n >= 2

    with ``ε`` the smallest positive double, so that a message without any unigram match
    scores (practically) 0 and an empty message scores exp(−r) (the reference
    implementation's edge behaviour, kept). The value is 100 × the mean of ``s``.

    References
    ----------
    Tao, W. et al. (2021). On the evaluation of commit message generation models: an
    experimental study. *ICSME* (B-Norm; repository ``DeepSoftwareAnalytics/
    CommitMsgEmpirical``, ``metrics/B-Norm.py``). Lin, C.-Y. & Och, F. J. (2004).
    ORANGE: a method for evaluating automatic evaluation metrics for machine
    translation. *COLING* (add-one smoothing).
    """

    name: ClassVar[str] = "b_norm"

    def score(self, prediction: Any, reference: Any) -> float:
        pred = _WORD_OR_PUNCT.findall(_text(prediction, self.name).strip().lower())
        refs = [_WORD_OR_PUNCT.findall(r.strip().lower()) for r in _refs(reference, self.name)]
        tiny = 2.2250738585072014e-308  # sys.float_info.min, as the reference script
        log_s = 0.0
        for n in range(1, 5):
            matched, total = _clipped(pred, refs, n)
            add = 0 if n == 1 else 1
            log_s += math.log(matched + add + tiny) - math.log(total + add + tiny)
        r = min(len(ref) for ref in refs)
        log_s = log_s / 4 + min(0.0, 1 - (r + 1) / (len(pred) + 1))
        return 100.0 * math.exp(log_s)


@register
@dataclass(frozen=True)
class BCC(_TextMeanMetric):
    """B-CC: sentence BLEU-4 with smoothing method 5 of Chen & Cherry, averaged (0-100).

    As NLTK's ``sentence_bleu(..., smoothing_function=SmoothingFunction().method5)``
    computes it: whitespace tokens, case-sensitive; modified precisions ``p_n`` (a
    denominator of at least 1), the message scores 0 without any unigram match;
    otherwise ``p_0' = p_1 + 1`` and ``p_n' = (p_{n-1}' + p_n + p_{n+1})/3`` for n = 1..4
    (``p_5`` the 5-gram precision), ``log s = (1/4) Σ log p_n'`` over positive ``p_n'``,
    times the brevity penalty with the closest reference length. Short messages score low
    even when identical to the reference ("update readme": 39.04).

    References
    ----------
    Chen, B. & Cherry, C. (2014). A systematic comparison of smoothing techniques for
    sentence-level BLEU. *WMT*. Tao, W. et al. (2021). On the evaluation of commit
    message generation models. *ICSME* (B-CC).
    """

    name: ClassVar[str] = "b_cc"

    def score(self, prediction: Any, reference: Any) -> float:
        hyp = _text(prediction, self.name).split()
        refs = [r.split() for r in _refs(reference, self.name)]
        precisions = []
        for n in range(1, 6):
            matched, total = _clipped(hyp, refs, n)
            precisions.append(matched / max(1, total))
        if precisions[0] == 0.0:
            return 0.0
        c = len(hyp)
        r = min((abs(len(ref) - c), len(ref)) for ref in refs)[1]
        bp = 1.0 if c > r else math.exp(1 - r / c)
        smoothed, prev = [], precisions[0] + 1
        for n in range(4):
            prev = (prev + precisions[n] + precisions[n + 1]) / 3
            smoothed.append(prev)
        return 100.0 * bp * math.exp(math.fsum(0.25 * math.log(p) for p in smoothed if p > 0))


# --------------------------------------------------------------------------- ROUGE


@functools.lru_cache(maxsize=16)
def _rouge_scorer(rouge_type: str, use_stemmer: bool) -> Any:
    module = require("rouge_score.rouge_scorer")
    return module.RougeScorer([rouge_type], use_stemmer=use_stemmer)


@register
@dataclass(frozen=True)
class Rouge(_TextMeanMetric):
    """Mean over items of ROUGE computed by Google's ``rouge-score`` package (0-1).

    Options: ``rouge_type`` (``"rouge1"``, ``"rouge2"``, ``"rougeL"``, ``"rougeLsum"``),
    ``measure`` (``"fmeasure"``, ``"precision"``, ``"recall"``) and ``use_stemmer``
    (Porter stemmer). With several references an item takes the best by ``measure``.

    References
    ----------
    Lin, C.-Y. (2004). ROUGE: a package for automatic evaluation of summaries. *Text
    Summarization Branches Out*.
    """

    name: ClassVar[str] = "rouge"
    rouge_type: Literal["rouge1", "rouge2", "rougeL", "rougeLsum"] = "rougeL"
    measure: Literal["fmeasure", "precision", "recall"] = "fmeasure"
    use_stemmer: bool = False

    def __post_init__(self) -> None:
        check_option(
            "Rouge", "rouge_type", self.rouge_type, ("rouge1", "rouge2", "rougeL", "rougeLsum")
        )
        check_option("Rouge", "measure", self.measure, ("fmeasure", "precision", "recall"))

    def score_one(self, prediction: str, reference: str) -> float:
        scores = _rouge_scorer(self.rouge_type, self.use_stemmer).score(reference, prediction)
        return float(getattr(scores[self.rouge_type], self.measure))


# --------------------------------------------------------------------------- edit distance


def _levenshtein() -> Any:
    return require("rapidfuzz.distance.Levenshtein")


@register
@dataclass(frozen=True)
class EditDistance(_TextMeanMetric):
    """Mean character Levenshtein distance (computed by rapidfuzz); lower is better.

    With ``normalized=True`` each distance is divided by the longer string's length
    (0 for two empty strings), the normalised edit distance the online-offline
    commit-message study found closest to users' editing effort. With several references
    an item takes the smallest distance.

    References
    ----------
    Levenshtein, V. I. (1966). Binary codes capable of correcting deletions, insertions
    and reversals. *Soviet Physics Doklady* 10(8). Tsvetkov, A. et al. (2024). Towards
    realistic evaluation of commit message generation by matching online and offline
    settings. arXiv:2410.12046.
    """

    name: ClassVar[str] = "edit_distance"
    higher_is_better: ClassVar[bool] = False
    normalized: bool = False

    def score(self, prediction: Any, reference: Any) -> float:
        pred = _text(prediction, self.name)
        return min(self.score_one(pred, ref) for ref in _refs(reference, self.name))

    def score_one(self, prediction: str, reference: str) -> float:
        dist = float(_levenshtein().distance(prediction, reference))
        if not self.normalized:
            return dist
        longest = max(len(prediction), len(reference))
        return dist / longest if longest else 0.0


@register
@dataclass(frozen=True)
class EditSimilarity(Metric):
    """Corpus-pooled edit similarity ``1 − Σ ED(pred, ref) / Σ max(|pred|, |ref|)`` (0-1).

    Distances and lengths are pooled over the corpus before dividing, as the
    CommitChronicle evaluation code does, so long messages weigh more than in a mean of
    per-item ratios (preds ["fix bug", "update readme"] against ["fix bugs",
    "update readme file"]: 1 − 6/26 = 0.7692, not 0.7986). Distances are character
    Levenshtein distances computed by rapidfuzz; with several references the closest
    (smallest distance) is used. Undefined (NaN, with a warning) when every string is
    empty.

    References
    ----------
    Eliseeva, A. et al. (2023). From commit message generation to history-aware commit
    message completion. *ASE*, arXiv:2308.07655 (edit similarity).
    """

    grades_text: ClassVar[bool] = True

    name: ClassVar[str] = "edit_similarity"
    columns: ClassVar[tuple[str, ...]] = ("distance", "max_length")

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        lev = _levenshtein()
        out = np.full((len(predictions), 2), np.nan)
        for i, (p, r) in enumerate(zip(predictions, references, strict=True)):
            if _is_missing(p) or _is_missing(r):
                continue
            pred = _text(p, self.name)
            out[i] = min(
                (float(lev.distance(pred, ref)), float(max(len(pred), len(ref))))
                for ref in _refs(r, self.name)
            )
        return out

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        distance, length = stats.sum(axis=0)
        if length == 0:
            return warn_degenerate(self.name, "every prediction and reference is empty")
        return float(1.0 - distance / length)
