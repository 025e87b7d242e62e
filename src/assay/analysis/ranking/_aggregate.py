"""Aggregating scores across benchmarks: mean, mean win rate (HELM), Borda; what-if.

Every aggregate here is a mean or a sum over benchmarks of a per-benchmark
*contribution* of each model (its score, its win rate against the other models, its
Borda points), so resampling benchmarks, dropping one, or changing one model's score on
one benchmark recomputes only what changed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import kendalltau, rankdata

from assay._version import __version__
from assay.analysis.ranking._base import check_confidence, check_number, seed_record
from assay.analysis.ranking._table import ModelTable, TableResult
from assay.analysis.stats import ScoresTable
from assay.analysis.stats._bootstrap import resolve_rng
from assay.errors import DegenerateDataWarning, InputError

__all__ = [
    "AggregateEntry",
    "BenchmarkAggregate",
    "ScoreMatrix",
    "WhatIf",
    "WhatIfRow",
    "aggregate_scores",
    "read_scores",
    "what_if",
]

AggregateMethod = Literal["mean", "mean_win_rate", "borda"]
WhatIfKind = Literal["drop", "zero"]

_TITLES = {"mean": "mean score", "mean_win_rate": "mean win rate", "borda": "Borda count"}


@dataclass(frozen=True)
class ScoreMatrix:
    """Scores oriented so that higher is better, NaN where a model has no score.

    Attributes
    ----------
    models, benchmarks
        Row and column names, in input order.
    values
        Shape ``(models, benchmarks)``; lower-is-better columns are negated.
    lower_is_better
        The benchmarks that were negated.
    """

    models: tuple[str, ...]
    benchmarks: tuple[str, ...]
    values: NDArray[np.float64]
    lower_is_better: tuple[str, ...]

    def frame(self) -> pd.DataFrame:
        """The oriented values as a models x benchmarks frame."""
        return pd.DataFrame(
            self.values, index=pd.Index(self.models, name="model"), columns=list(self.benchmarks)
        )


def read_scores(scores: Any, *, lower_is_better: Sequence[str] = (), where: str) -> ScoreMatrix:
    """Validate a score matrix.

    Parameters
    ----------
    scores
        A pandas DataFrame with one row per model (the index holds model names) and one
        column per benchmark; a :class:`~assay.analysis.stats.ScoresTable` (the output of
        ``scores_table(store)``: its means, models x tasks); or a mapping
        ``{model: {benchmark: score}}``.
    lower_is_better
        Benchmarks where a lower score is better (error rates, perplexity).
    where
        The caller's name, for messages.
    """
    if isinstance(scores, ScoresTable):
        frame = pd.DataFrame(
            [(c.model_id, c.task, c.mean) for c in scores.cells],
            columns=["model", "benchmark", "mean"],
        ).pivot(index="model", columns="benchmark", values="mean")
    elif isinstance(scores, pd.DataFrame):
        frame = scores
    elif isinstance(scores, Mapping):
        flat = [m for m, v in scores.items() if not isinstance(v, Mapping)]
        if flat:
            raise InputError(
                f"the 'scores' parameter of {where}: a mapping must be {{model: {{benchmark: "
                f"score}}}}; the value of {flat[0]!r} is {scores[flat[0]]!r}, not a mapping"
            )
        frame = pd.DataFrame.from_dict({str(m): dict(v) for m, v in scores.items()}, orient="index")
    else:
        raise InputError(
            f"the 'scores' parameter of {where} must be a models x benchmarks pandas "
            "DataFrame, a ScoresTable (scores_table(store)) or a {model: {benchmark: score}} "
            f"mapping; got {type(scores).__name__}"
        )
    if isinstance(lower_is_better, str) or not isinstance(lower_is_better, Sequence):
        raise InputError(
            f"the 'lower_is_better' parameter of {where} must be a list of benchmark names; "
            f"got {lower_is_better!r}"
        )
    if frame.shape[0] < 2 or frame.shape[1] < 1:
        raise InputError(
            f"{where}: needs at least two models (rows) and one benchmark (column); got "
            f"{frame.shape[0]} x {frame.shape[1]}"
        )
    models = tuple(str(m) for m in frame.index)
    benchmarks = tuple(str(b) for b in frame.columns)
    for kind, names in (("model", models), ("benchmark", benchmarks)):
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError(f"{where}: {kind} names must be unique; repeated: {dup[:8]}")
    unknown = [b for b in lower_is_better if b not in benchmarks]
    if unknown:
        raise InputError(
            f"{where}: 'lower_is_better' names unknown benchmarks {unknown}; benchmarks are "
            f"{list(benchmarks)[:20]}"
        )
    try:
        values = frame.apply(pd.to_numeric, errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: scores must be numbers (NaN for missing): {exc}") from None
    if np.isinf(values).any():
        i, j = np.argwhere(np.isinf(values))[0]
        raise InputError(
            f"{where}: the score of {models[i]!r} on {benchmarks[j]!r} is infinite; scores "
            "must be finite (NaN for missing)"
        )
    flip = np.array([b in set(lower_is_better) for b in benchmarks])
    values = np.where(flip[None, :], -values, values)
    return ScoreMatrix(models, benchmarks, values, tuple(lower_is_better))


# ----------------------------------------------------------------------------- aggregates


def _check_method(method: Any, where: str) -> None:
    if method not in get_args(AggregateMethod):
        raise InputError(
            f"the 'method' parameter of {where} must be one of "
            f"{', '.join(repr(m) for m in get_args(AggregateMethod))}; got {method!r}"
        )


def contributions(values: NDArray[np.float64], method: AggregateMethod) -> NDArray[np.float64]:
    """Each model's contribution on each benchmark (NaN where it has none).

    ``"mean"``: the score. ``"mean_win_rate"``: the share of the other models with a
    score on the benchmark that it beats, ties counting one half (HELM); NaN on a
    benchmark with fewer than two scores. ``"borda"``: the number of models it beats
    plus half the number it ties (Borda points with averaged ties).
    """
    present = np.isfinite(values)
    if method == "mean":
        return np.where(present, values, np.nan)
    v = np.where(present, values, np.nan)
    with np.errstate(invalid="ignore"):
        beats = (v[:, None, :] > v[None, :, :]).sum(1)
        ties = (v[:, None, :] == v[None, :, :]).sum(1) - 1  # minus itself
    points = beats + 0.5 * ties
    if method == "borda":
        return np.where(present, points, np.nan)
    others = present.sum(0) - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = points / others[None, :]
    return np.where(present & (others[None, :] >= 1), rate, np.nan)


def combine(
    contrib: NDArray[np.float64], method: AggregateMethod, weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Aggregates for benchmark weights ``(..., benchmarks)`` (resample counts or 0/1)."""
    known = np.isfinite(contrib)
    c = np.where(known, contrib, 0.0)
    total = weights @ c.T
    used = weights @ known.T
    if method == "borda":
        return np.where(used > 0, total, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(used > 0, total / used, np.nan)


def _ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rank 1 = the largest; equal values share the smallest rank; NaN stays NaN."""
    ranks: NDArray[np.float64] = rankdata(-values, method="min", axis=-1, nan_policy="omit")
    return ranks


@dataclass(frozen=True, slots=True)
class AggregateEntry:
    """One model's aggregate, interval, rank and rank interval (over benchmark
    resamples), and how many benchmarks entered it."""

    model: str
    value: float
    ci_low: float | None
    ci_high: float | None
    rank: int
    rank_low: int | None
    rank_high: int | None
    n_benchmarks: int


@dataclass(frozen=True)
class BenchmarkAggregate(ModelTable[AggregateEntry]):
    """Models ranked by an aggregate of their benchmark scores.

    Attributes
    ----------
    entries
        One :class:`AggregateEntry` per model, best first.
    method
        ``"mean"``, ``"mean_win_rate"`` or ``"borda"``.
    benchmarks
        The benchmarks aggregated.
    confidence
        Level of the intervals (bootstrap over benchmarks).
    contributions
        Models x benchmarks frame of each model's per-benchmark contribution (score,
        win rate or Borda points).
    signature
        Method, options, resamples, seed, assay version.
    """

    entries: tuple[AggregateEntry, ...]
    method: AggregateMethod
    benchmarks: tuple[str, ...]
    confidence: float
    contributions: pd.DataFrame = field(repr=False, compare=False)
    signature: dict[str, Any] = field(default_factory=dict)

    def confidence_interval(self, model: str) -> tuple[float, float]:
        """The interval of ``model``'s aggregate over benchmark resamples."""
        e = self.entry(model)
        if e.ci_low is None or e.ci_high is None:
            raise InputError(f"no interval for {model!r}: aggregated with resamples=0")
        return e.ci_low, e.ci_high

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values."""
        return {
            "entries": [asdict(e) for e in self.entries],
            "method": self.method,
            "benchmarks": list(self.benchmarks),
            "confidence": self.confidence,
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""
        cols = ["rank", "model", _TITLES[self.method], f"{self.confidence:.0%} CI"]
        cols += ["rank range", "benchmarks"]
        rows: list[list[object]] = []
        for e in self.entries:
            ci = f"[{e.ci_low:.3f}, {e.ci_high:.3f}]" if e.ci_low is not None else None
            ranks = f"{e.rank_low}-{e.rank_high}" if e.rank_low is not None else None
            rows.append([e.rank, e.model, e.value, ci, ranks, e.n_benchmarks])
        return cols, rows

    @property
    def title(self) -> str:
        rounds = self.signature.get("resamples", 0)
        text = f"{_TITLES[self.method]} over {len(self.benchmarks)} benchmarks"
        if rounds:
            text += f", {self.confidence:.0%} intervals over benchmark resamples ({rounds})"
        return text


def _warn_missing(matrix: ScoreMatrix, method: AggregateMethod, where: str) -> None:
    missing = ~np.isfinite(matrix.values)
    if not missing.any():
        return
    none = [matrix.models[i] for i in np.flatnonzero(missing.all(1))]
    if none:
        raise InputError(f"{where}: models {none[:8]} have no score on any benchmark")
    short = [
        f"{matrix.models[i]} ({int(missing[i].sum())})" for i in np.flatnonzero(missing.any(1))
    ]
    effect = {
        "mean": "their mean is over fewer benchmarks",
        "mean_win_rate": "their win rate is over the benchmarks they have (as HELM)",
        "borda": "they get no points on those benchmarks",
    }[method]
    warnings.warn(
        f"{where}: {len(short)} models lack scores on some benchmarks "
        f"({', '.join(short[:8])}); {effect}",
        DegenerateDataWarning,
        stacklevel=3,
    )


def aggregate_scores(
    scores: Any,
    *,
    method: AggregateMethod = "mean_win_rate",
    lower_is_better: Sequence[str] = (),
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = 0,
) -> BenchmarkAggregate:
    """Rank models by an aggregate of their scores across benchmarks.

    Parameters
    ----------
    scores
        Models x benchmarks: a pandas DataFrame (index = models), a ``ScoresTable``
        from ``scores_table(store)`` or ``{model: {benchmark: score}}``; NaN is missing.
    method
        ``"mean"``: the mean score over the benchmarks a model has. ``"mean_win_rate"``
        (HELM): on each benchmark, the share of the other models with a score that the
        model beats, ties counting one half; averaged over the benchmarks it has.
        ``"borda"``: the sum over benchmarks of the number of models it beats plus half
        the number it ties.
    lower_is_better
        Benchmarks where lower scores are better.
    resamples, confidence, seed
        Intervals of the aggregate and of the rank: percentiles over resamples of the
        benchmarks drawn with replacement (how much the ranking depends on which
        benchmarks were chosen; assay's choice). 0 for none.

    Returns
    -------
    BenchmarkAggregate

    References
    ----------
    Liang, P. et al. (2023). Holistic evaluation of language models. *TMLR* (mean win
    rate; ``compute_aggregate_row_win_rates`` in stanford-crfm/helm).
    de Borda, J.-C. (1781). Memoire sur les elections au scrutin. *Histoire de
    l'Academie Royale des Sciences*.
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13.
    """
    where = "aggregate_scores"
    _check_method(method, where)
    check_number(resamples, "resamples", where, low=0, strict=False, integer=True)
    check_confidence(confidence, where)
    rng = resolve_rng(seed, where)
    matrix = read_scores(scores, lower_is_better=lower_is_better, where=where)
    _warn_missing(matrix, method, where)
    contrib = contributions(matrix.values, method)
    k = len(matrix.benchmarks)
    value = combine(contrib, method, np.ones(k))
    rank = _ranks(value)
    ci = rank_ci = None
    if resamples:
        w = rng.multinomial(k, np.full(k, 1.0 / k), size=resamples).astype(float)
        draws = combine(contrib, method, w)
        q = [(1 - confidence) / 2, (1 + confidence) / 2]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a model absent from a resample
            ci = np.nanquantile(draws, q, axis=0)
            rank_ci = np.nanquantile(_ranks(draws), q, axis=0, method="inverted_cdf")
    n_used = np.isfinite(contrib).sum(1)
    order = sorted(range(len(matrix.models)), key=lambda i: (rank[i], matrix.models[i]))
    entries = tuple(
        AggregateEntry(
            model=matrix.models[i],
            value=float(value[i]),
            ci_low=float(ci[0, i]) if ci is not None else None,
            ci_high=float(ci[1, i]) if ci is not None else None,
            rank=int(rank[i]),
            rank_low=int(rank_ci[0, i]) if rank_ci is not None else None,
            rank_high=int(rank_ci[1, i]) if rank_ci is not None else None,
            n_benchmarks=int(n_used[i]),
        )
        for i in order
    )
    frame = pd.DataFrame(
        contrib, index=pd.Index(matrix.models, name="model"), columns=list(matrix.benchmarks)
    )
    return BenchmarkAggregate(
        entries=entries,
        method=method,
        benchmarks=matrix.benchmarks,
        confidence=float(confidence),
        contributions=frame,
        signature={
            "method": method,
            "lower_is_better": list(matrix.lower_is_better),
            "ties": "half a win (win rate, Borda)",
            "missing": "left out per benchmark",
            "interval": "percentile, benchmarks resampled" if resamples else None,
            "resamples": int(resamples),
            "confidence": float(confidence),
            "seed": seed_record(seed),
            "assay_version": __version__,
            "n_models": len(matrix.models),
            "n_benchmarks": k,
        },
    )


# ----------------------------------------------------------------------------- what-if


@dataclass(frozen=True, slots=True)
class WhatIfRow:
    """One scenario: a benchmark dropped, or one model's score on one set to a value.

    ``model`` is the model whose score was changed (``"zero"``) or the model whose rank
    moved most (``"drop"``); ``rank_before``/``rank_after`` are that model's ranks.
    ``max_shift`` is the largest rank move of any model, ``n_changed`` how many models
    moved, ``kendall_tau`` the rank correlation of the aggregates before and after.
    """

    scenario: WhatIfKind
    benchmark: str
    model: str
    rank_before: int
    rank_after: int
    shift: int
    max_shift: int
    n_changed: int
    kendall_tau: float


@dataclass(frozen=True)
class WhatIf(TableResult):
    """How ranks move when a benchmark is dropped or a model's score is zeroed.

    Attributes
    ----------
    rows
        One :class:`WhatIfRow` per scenario.
    ranks
        Scenario x model frame of ranks (the first row, ``"baseline"``, is the original).
    method
        The aggregate used.
    signature
        Method, options and assay version.
    """

    rows: tuple[WhatIfRow, ...]
    ranks: pd.DataFrame = field(repr=False, compare=False)
    method: AggregateMethod = "mean_win_rate"
    signature: dict[str, Any] = field(default_factory=dict)

    def to_pandas(self) -> pd.DataFrame:
        """One row per scenario."""
        return pd.DataFrame([asdict(r) for r in self.rows])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values."""
        return {
            "rows": [asdict(r) for r in self.rows],
            "ranks": {str(k): v for k, v in self.ranks.to_dict(orient="index").items()},
            "method": self.method,
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""
        cols = ["scenario", "benchmark", "model", "rank", "after", "shift", "max shift", "tau"]
        rows: list[list[object]] = [
            [
                r.scenario,
                r.benchmark,
                r.model,
                r.rank_before,
                r.rank_after,
                r.shift,
                r.max_shift,
                r.kendall_tau,
            ]
            for r in self.rows
        ]
        return cols, rows

    @property
    def title(self) -> str:
        return f"what-if: rank moves under {_TITLES[self.method]}"


def what_if(
    scores: Any,
    *,
    method: AggregateMethod = "mean_win_rate",
    lower_is_better: Sequence[str] = (),
    kinds: Sequence[WhatIfKind] = ("drop", "zero"),
    zero_value: float = 0.0,
) -> WhatIf:
    """Rank moves when one benchmark is dropped, or one model scores ``zero_value`` on one.

    Parameters
    ----------
    scores
        Models x benchmarks (as :func:`aggregate_scores`).
    method
        The aggregate (as :func:`aggregate_scores`).
    lower_is_better
        Benchmarks where lower scores are better.
    kinds
        ``"drop"``: each benchmark left out in turn. ``"zero"``: each (model,
        benchmark) score set to ``zero_value`` in turn (a failed or missing submission;
        the robustness check of the Swiss-system paper, one score at a time).
    zero_value
        The score a zeroed entry gets (on the benchmark's own scale).

    Returns
    -------
    WhatIf

    References
    ----------
    Liu, J. et al. (2025). LLM Swiss Round: aggregating multi-benchmark performance via
    competitive Swiss-system dynamics. arXiv:2512.21010 (zeroed-score robustness).
    """
    where = "what_if"
    _check_method(method, where)
    if isinstance(kinds, str) or not kinds or any(k not in get_args(WhatIfKind) for k in kinds):
        raise InputError(
            f"the 'kinds' parameter of {where} must be a non-empty list of 'drop' and "
            f"'zero'; got {kinds!r}"
        )
    if not isinstance(zero_value, int | float) or not np.isfinite(zero_value):
        raise InputError(
            f"the 'zero_value' parameter of {where} must be a finite number; got {zero_value!r}"
        )
    matrix = read_scores(scores, lower_is_better=lower_is_better, where=where)
    _warn_missing(matrix, method, where)
    values = matrix.values
    contrib = contributions(values, method)
    m, k = values.shape
    base_value = combine(contrib, method, np.ones(k))
    base = _ranks(base_value)
    labels: list[str] = ["baseline"]
    table: list[NDArray[np.float64]] = [base]
    rows: list[WhatIfRow] = []

    def record(kind: WhatIfKind, bench: int, target: int | None, value: NDArray[Any]) -> None:
        after = _ranks(value)
        moved = np.abs(np.nan_to_num(after - base))
        i = int(np.argmax(moved)) if target is None else target
        both = np.isfinite(base_value) & np.isfinite(value)
        tau = float(kendalltau(base_value[both], value[both]).statistic) if both.sum() > 1 else 1.0
        rows.append(
            WhatIfRow(
                scenario=kind,
                benchmark=matrix.benchmarks[bench],
                model=matrix.models[i],
                rank_before=int(base[i]),
                rank_after=int(after[i]) if np.isfinite(after[i]) else -1,
                shift=int(after[i] - base[i]) if np.isfinite(after[i]) else 0,
                max_shift=int(moved.max()),
                n_changed=int((moved > 0).sum()),
                kendall_tau=tau,
            )
        )
        suffix = f" {matrix.models[target]}" if target is not None else ""
        labels.append(f"{kind} {matrix.benchmarks[bench]}{suffix}")
        table.append(after)

    if "drop" in kinds:
        if k < 2:
            raise InputError(f"{where}: dropping a benchmark needs at least two benchmarks")
        for j in range(k):
            w = np.ones(k)
            w[j] = 0.0
            with np.errstate(invalid="ignore"):
                record("drop", j, None, combine(contrib, method, w))
    if "zero" in kinds:
        flip = {b for b in matrix.lower_is_better}
        for j in range(k):
            oriented = -zero_value if matrix.benchmarks[j] in flip else zero_value
            for i in range(m):
                changed = values.copy()
                changed[i, j] = oriented
                column = contributions(changed[:, j : j + 1], method)
                c = contrib.copy()
                c[:, j] = column[:, 0]
                record("zero", j, i, combine(c, method, np.ones(k)))
    ranks = pd.DataFrame(np.array(table), index=labels, columns=list(matrix.models))
    return WhatIf(
        rows=tuple(rows),
        ranks=ranks,
        method=method,
        signature={
            "method": method,
            "kinds": list(kinds),
            "zero_value": float(zero_value),
            "lower_is_better": list(matrix.lower_is_better),
            "assay_version": __version__,
            "n_models": m,
            "n_benchmarks": k,
        },
    )
