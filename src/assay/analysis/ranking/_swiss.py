"""Competitive Swiss-System Dynamics: benchmarks as the rounds of a Swiss tournament.

Models meet opponents with the same record; round ``k`` is decided by benchmark ``k``;
after each round some of the lowest-scoring models are eliminated. The Monte Carlo
average of each model's final points (its *expected win score*) rewards models that keep
winning as the benchmarks get harder, and elimination punishes early failures, which is
what separates robust generalists from specialists (Liu et al., 2025).

All Monte Carlo runs advance together, one round at a time, as ``(runs, models)`` arrays.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import rankdata

from assay._version import __version__
from assay.analysis.ranking._aggregate import ScoreMatrix, read_scores
from assay.analysis.ranking._base import check_confidence, check_number, seed_record
from assay.analysis.ranking._table import ModelTable, TableResult
from assay.analysis.stats._bootstrap import resolve_rng
from assay.errors import DegenerateDataWarning, InputError

__all__ = [
    "FailureSensitivity",
    "SwissEntry",
    "SwissResult",
    "failure_sensitivity",
    "swiss_tournament",
]

TiePolicy = Literal["coin", "half", "none"]
OddPolicy = Literal["bye0", "float_down"]

#: models never eliminated below this many active (assay's choice)
_KEEP = 2


@dataclass(frozen=True, slots=True)
class SwissEntry:
    """One model's expected win score with its Monte Carlo standard error, and the
    distribution of its final rank over the runs (rank 1 = most points; equal points
    share the best rank)."""

    model: str
    expected_score: float
    se: float
    ci_low: float
    ci_high: float
    rank: int
    mean_rank: float
    rank_low: int
    rank_high: int
    p_first: float


@dataclass(frozen=True)
class SwissResult(ModelTable[SwissEntry]):
    """Expected win scores of a Monte Carlo Swiss tournament over benchmarks.

    Attributes
    ----------
    entries
        One :class:`SwissEntry` per model, by expected score.
    rounds
        The benchmarks in round order.
    eliminate
        Models eliminated after each round.
    confidence
        Level of the score intervals (normal, from the Monte Carlo standard error) and
        of the rank intervals (percentiles of the final rank over runs).
    signature
        Options, runs, seed and assay version.
    """

    entries: tuple[SwissEntry, ...]
    rounds: tuple[str, ...]
    eliminate: tuple[int, ...]
    confidence: float
    signature: dict[str, Any] = field(default_factory=dict)

    def confidence_interval(self, model: str) -> tuple[float, float]:
        """Monte Carlo interval of ``model``'s expected win score."""
        e = self.entry(model)
        return e.ci_low, e.ci_high

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values."""
        return {
            "entries": [asdict(e) for e in self.entries],
            "rounds": list(self.rounds),
            "eliminate": list(self.eliminate),
            "confidence": self.confidence,
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""
        level = f"{self.confidence:.0%}"
        cols = ["rank", "model", "expected score", f"{level} MC CI", "mean rank"]
        cols += [f"{level} rank range", "P(first)"]
        rows: list[list[object]] = [
            [
                e.rank,
                e.model,
                e.expected_score,
                f"[{e.ci_low:.3f}, {e.ci_high:.3f}]",
                e.mean_rank,
                f"{e.rank_low}-{e.rank_high}",
                e.p_first,
            ]
            for e in self.entries
        ]
        return cols, rows

    @property
    def title(self) -> str:
        sig = self.signature
        return (
            f"Swiss-system expected win score: {len(self.rounds)} rounds, {sig.get('runs')} "
            f"runs, odd groups {sig.get('odd_policy')}, ties {sig.get('tie_policy')}"
        )


def _schedule(eliminate: Any, k: int, where: str) -> tuple[int, ...]:
    if isinstance(eliminate, int | np.integer) and not isinstance(eliminate, bool):
        values = [int(eliminate)] * k
    elif isinstance(eliminate, Sequence) and not isinstance(eliminate, str):
        values = list(eliminate)
        if len(values) != k or not all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values
        ):
            raise InputError(
                f"the 'eliminate' parameter of {where} must be an integer or one integer per "
                f"round ({k}); got {eliminate!r}"
            )
    else:
        raise InputError(
            f"the 'eliminate' parameter of {where} must be an integer or one integer per "
            f"round ({k}); got {eliminate!r}"
        )
    if any(v < 0 for v in values):
        raise InputError(f"the 'eliminate' parameter of {where} must be >= 0; got {eliminate!r}")
    return tuple(int(v) for v in values)


def _check_options(runs: Any, tie_policy: Any, odd_policy: Any, where: str) -> None:
    check_number(runs, "runs", where, low=1, strict=False, integer=True)
    if tie_policy not in get_args(TiePolicy):
        raise InputError(
            f"the 'tie_policy' parameter of {where} must be 'coin', 'half' or 'none'; "
            f"got {tie_policy!r}"
        )
    if odd_policy not in get_args(OddPolicy):
        raise InputError(
            f"the 'odd_policy' parameter of {where} must be 'bye0' or 'float_down'; "
            f"got {odd_policy!r}"
        )


def _simulate(
    values: NDArray[np.float64],
    schedule: tuple[int, ...],
    runs: int,
    tie_policy: TiePolicy,
    odd_policy: OddPolicy,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Final points of every model in every run, shape ``(runs, models)``."""
    m, k = values.shape
    points = np.zeros((runs, m))
    active = np.ones((runs, m), dtype=bool)
    rows = np.arange(runs)[:, None]
    idx = np.arange(m)[None, :]
    for r in range(k):
        # pairing: active models by points (best first), random order within equal points
        key = np.where(active, points, -np.inf)
        order = np.lexsort((rng.random((runs, m)), -key), axis=-1)
        sorted_pts = np.take_along_axis(key, order, axis=1)
        n_active = active.sum(1, keepdims=True)
        if odd_policy == "float_down":
            pos = np.broadcast_to(idx, (runs, m))
            same_next = np.ones((runs, m), dtype=bool)
        else:
            start = np.ones((runs, m), dtype=bool)
            start[:, 1:] = sorted_pts[:, 1:] != sorted_pts[:, :-1]
            group_start = np.maximum.accumulate(np.where(start, idx, 0), axis=1)
            pos = idx - group_start
            same_next = np.zeros((runs, m), dtype=bool)
            same_next[:, :-1] = ~start[:, 1:]
        first = (pos % 2 == 0) & (idx + 1 < n_active) & same_next
        first[:, -1] = False
        run_i, slot = np.nonzero(first)
        a = order[run_i, slot]
        b = order[run_i, slot + 1]
        sa, sb = values[a, r], values[b, r]
        gain_a = (sa > sb).astype(float)
        gain_b = (sb > sa).astype(float)
        tied = sa == sb
        if tie_policy == "coin":
            coin = rng.random(len(a)) < 0.5
            gain_a[tied] = coin[tied]
            gain_b[tied] = ~coin[tied]
        elif tie_policy == "half":
            gain_a[tied] = 0.5
            gain_b[tied] = 0.5
        np.add.at(points, (run_i, a), gain_a)
        np.add.at(points, (run_i, b), gain_b)
        t = schedule[r]
        if t and r < k - 1:
            # eliminate t models at random among the lowest points (spilling upward)
            key = np.where(active, points, np.inf)
            low = np.lexsort((rng.random((runs, m)), key), axis=-1)
            cut = np.minimum(t, np.maximum(n_active - _KEEP, 0))
            out = idx < cut
            active[rows.repeat(m, 1)[out], low[out]] = False
    return points


def _summarise(
    matrix: ScoreMatrix,
    points: NDArray[np.float64],
    confidence: float,
) -> tuple[SwissEntry, ...]:
    runs = points.shape[0]
    mean = points.mean(0)
    se = points.std(0, ddof=1) / np.sqrt(runs) if runs > 1 else np.zeros(len(mean))
    from scipy.stats import norm

    z = float(norm.ppf((1 + confidence) / 2))
    ranks = rankdata(-points, method="min", axis=1)
    q = [(1 - confidence) / 2, (1 + confidence) / 2]
    rank_ci = np.quantile(ranks, q, axis=0, method="inverted_cdf")
    point_rank = rankdata(-mean, method="min")
    order = sorted(range(len(mean)), key=lambda i: (point_rank[i], matrix.models[i]))
    return tuple(
        SwissEntry(
            model=matrix.models[i],
            expected_score=float(mean[i]),
            se=float(se[i]),
            ci_low=float(mean[i] - z * se[i]),
            ci_high=float(mean[i] + z * se[i]),
            rank=int(point_rank[i]),
            mean_rank=float(ranks[:, i].mean()),
            rank_low=int(rank_ci[0, i]),
            rank_high=int(rank_ci[1, i]),
            p_first=float((ranks[:, i] == 1).mean()),
        )
        for i in order
    )


def _matrix(
    scores: Any, rounds: Sequence[str] | None, lower: Sequence[str], where: str
) -> ScoreMatrix:
    matrix = read_scores(scores, lower_is_better=lower, where=where)
    if isinstance(rounds, str):
        raise InputError(
            f"the 'rounds' parameter of {where} must be a list of benchmarks; got {rounds!r}"
        )
    if rounds is not None:
        unknown = [b for b in rounds if b not in matrix.benchmarks]
        if unknown or len(set(rounds)) != len(rounds) or not len(rounds):
            raise InputError(
                f"the 'rounds' parameter of {where} must list distinct benchmarks of the "
                f"scores; unknown: {unknown}; benchmarks are {list(matrix.benchmarks)[:20]}"
            )
        cols = [matrix.benchmarks.index(b) for b in rounds]
        matrix = ScoreMatrix(
            matrix.models, tuple(rounds), matrix.values[:, cols], matrix.lower_is_better
        )
    missing = np.argwhere(~np.isfinite(matrix.values))
    if len(missing):
        i, j = missing[0]
        raise InputError(
            f"{where}: {matrix.models[i]!r} has no score on {matrix.benchmarks[j]!r} "
            f"({len(missing)} missing scores); every model plays every round: fill or drop "
            "them first"
        )
    return matrix


def swiss_tournament(
    scores: Any,
    *,
    rounds: Sequence[str] | None = None,
    eliminate: int | Sequence[int] = 0,
    runs: int = 2000,
    tie_policy: TiePolicy = "coin",
    odd_policy: OddPolicy = "bye0",
    lower_is_better: Sequence[str] = (),
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = 0,
) -> SwissResult:
    """Competitive Swiss-System Dynamics: expected win scores over benchmark rounds.

    In every Monte Carlo run all models start with 0 points. Round ``k`` (benchmark
    ``k``): active models are grouped by points and paired at random within a group;
    the pair's better score on benchmark ``k`` wins a point; then ``eliminate[k]``
    models with the fewest points leave, chosen at random among equal points (a group
    smaller than the quota is removed whole and the rest come from the next group up).
    Eliminated models keep their points. The result is each model's mean final points
    (expected win score) and the distribution of its final rank.

    Parameters
    ----------
    scores
        Models x benchmarks (a pandas DataFrame, a ``ScoresTable`` or a mapping); no
        missing scores.
    rounds
        The benchmarks in round order, foundational to advanced (default: the column
        order). The result depends on this order.
    eliminate
        Models eliminated after each round: one integer for every round, or one per
        round. At least two models always stay (assay's choice).
    runs
        Monte Carlo runs (the paper uses 100,000; the standard error shrinks as
        ``1/sqrt(runs)``).
    tie_policy
        Equal scores on a benchmark (not specified in the paper; assay's choice):
        ``"coin"`` a random winner, ``"half"`` half a point each, ``"none"`` no point.
    odd_policy
        A group of odd size: ``"bye0"`` one random member sits out the round with no
        point (the paper as summarised); ``"float_down"`` classic Swiss, the odd member
        plays the top of the next group down (only the last model overall sits out).
        With ``"bye0"`` a model alone in its group never plays: a model that lost its
        early rounds can finish with 0 points however well it would do later (the
        zero-point bye trap); ``"float_down"`` avoids it.
    lower_is_better
        Benchmarks where lower scores are better.
    confidence
        Level of the intervals.
    seed
        Seed or generator of the pairings, byes, coin flips and eliminations.

    Returns
    -------
    SwissResult

    References
    ----------
    Liu, J., Wu, ..., Huang, Namkoong, H. (2025). LLM Swiss Round: aggregating
    multi-benchmark performance via competitive Swiss-system dynamics. arXiv:2512.21010.
    The tie rule, the elimination spill-over and the minimum of two survivors are
    assay's choices (the paper does not specify them).
    """
    where = "swiss_tournament"
    _check_options(runs, tie_policy, odd_policy, where)
    check_confidence(confidence, where)
    rng = resolve_rng(seed, where)
    matrix = _matrix(scores, rounds, lower_is_better, where)
    schedule = _schedule(eliminate, len(matrix.benchmarks), where)
    if len(matrix.benchmarks) < np.log2(len(matrix.models)):
        warnings.warn(
            f"{where}: {len(matrix.benchmarks)} rounds for {len(matrix.models)} models "
            "(fewer than log2 of the models): many models end on equal points",
            DegenerateDataWarning,
            stacklevel=2,
        )
    points = _simulate(matrix.values, schedule, int(runs), tie_policy, odd_policy, rng)
    return SwissResult(
        entries=_summarise(matrix, points, confidence),
        rounds=matrix.benchmarks,
        eliminate=schedule,
        confidence=float(confidence),
        signature=_signature(matrix, schedule, runs, tie_policy, odd_policy, seed),
    )


def _signature(
    matrix: ScoreMatrix,
    schedule: tuple[int, ...],
    runs: int,
    tie_policy: str,
    odd_policy: str,
    seed: Any,
) -> dict[str, Any]:
    return {
        "method": "competitive swiss-system dynamics",
        "rounds": list(matrix.benchmarks),
        "eliminate": list(schedule),
        "min_survivors": _KEEP,
        "runs": int(runs),
        "tie_policy": tie_policy,
        "odd_policy": odd_policy,
        "lower_is_better": list(matrix.lower_is_better),
        "seed": seed_record(seed),
        "assay_version": __version__,
        "n_models": len(matrix.models),
    }


@dataclass(frozen=True)
class FailureSensitivity(TableResult):
    """Expected win scores and ranks as the elimination intensity grows.

    Attributes
    ----------
    levels
        The elimination intensities ``T`` (models eliminated after every round).
    expected
        Models x levels frame of expected win scores.
    ranks
        Models x levels frame of ranks by expected win score.
    results
        The :class:`SwissResult` of each level.
    signature
        Options, runs, seed and assay version.
    """

    levels: tuple[int, ...]
    expected: pd.DataFrame = field(repr=False, compare=False)
    ranks: pd.DataFrame = field(repr=False, compare=False)
    results: tuple[SwissResult, ...] = field(repr=False, compare=False)
    signature: dict[str, Any] = field(default_factory=dict)

    def rank_shift(self) -> pd.Series:
        """Rank at the highest level minus rank at the lowest (positive = fell behind):
        large for specialists whose early-round losses become fatal, small for robust
        generalists."""
        return (self.ranks[self.levels[-1]] - self.ranks[self.levels[0]]).rename("rank_shift")

    def to_pandas(self) -> pd.DataFrame:
        """Long frame: model, level, expected score, rank."""
        rows = [
            (m, t, float(self.expected.loc[m, t]), int(self.ranks.loc[m, t]))
            for m in self.expected.index
            for t in self.levels
        ]
        return pd.DataFrame(rows, columns=["model", "eliminate", "expected_score", "rank"])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values."""
        return {
            "levels": list(self.levels),
            "expected": {
                m: {str(k): v for k, v in row.items()}
                for m, row in self.expected.to_dict(orient="index").items()
            },
            "ranks": {
                m: {str(k): int(v) for k, v in row.items()}
                for m, row in self.ranks.to_dict(orient="index").items()
            },
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows (one per model) for display."""
        shift = self.rank_shift()
        cols = ["model", *[f"T={t}" for t in self.levels], "rank shift"]
        rows: list[list[object]] = []
        for m in self.expected.index:
            cells = [
                f"{self.expected.loc[m, t]:.2f} (#{int(self.ranks.loc[m, t])})" for t in self.levels
            ]
            rows.append([m, *cells, int(shift[m])])
        return cols, rows

    @property
    def title(self) -> str:
        return "failure sensitivity: expected win score (rank) by elimination per round"


def failure_sensitivity(
    scores: Any,
    *,
    levels: Sequence[int] = (0, 1, 2),
    rounds: Sequence[str] | None = None,
    runs: int = 2000,
    tie_policy: TiePolicy = "coin",
    odd_policy: OddPolicy = "bye0",
    lower_is_better: Sequence[str] = (),
    seed: int | np.random.Generator | None = 0,
) -> FailureSensitivity:
    """Sweep the elimination intensity of :func:`swiss_tournament`.

    For each ``T`` in ``levels``, ``T`` models are eliminated after every round. Models
    whose rank barely moves are robust generalists; models that fall once early losses
    become fatal are aggressive specialists (Liu et al., 2025).

    Parameters
    ----------
    scores, rounds, runs, tie_policy, odd_policy, lower_is_better, seed
        As :func:`swiss_tournament` (one generator drives every level in turn).
    levels
        Elimination intensities, increasing.

    Returns
    -------
    FailureSensitivity

    References
    ----------
    Liu, J. et al. (2025). LLM Swiss Round. arXiv:2512.21010 (failure sensitivity
    analysis).
    """
    where = "failure_sensitivity"
    if (
        isinstance(levels, str)
        or not isinstance(levels, Sequence)
        or not levels
        or not all(
            isinstance(t, int | np.integer) and not isinstance(t, bool) and t >= 0 for t in levels
        )
        or list(levels) != sorted(set(levels))
    ):
        raise InputError(
            f"the 'levels' parameter of {where} must be increasing distinct integers >= 0; "
            f"got {levels!r}"
        )
    # checked here so that a message names this function, not swiss_tournament
    _check_options(runs, tie_policy, odd_policy, where)
    _matrix(scores, rounds, lower_is_better, where)
    rng = resolve_rng(seed, where)
    results = tuple(
        swiss_tournament(
            scores,
            rounds=rounds,
            eliminate=int(t),
            runs=runs,
            tie_policy=tie_policy,
            odd_policy=odd_policy,
            lower_is_better=lower_is_better,
            seed=rng,
        )
        for t in levels
    )
    models = [e.model for e in results[0].entries]
    expected = pd.DataFrame(
        {
            int(t): [r.entry(m).expected_score for m in models]
            for t, r in zip(levels, results, strict=True)
        },
        index=pd.Index(models, name="model"),
    )
    ranks = pd.DataFrame(
        {int(t): [r.entry(m).rank for m in models] for t, r in zip(levels, results, strict=True)},
        index=pd.Index(models, name="model"),
    )
    sig = dict(results[0].signature)
    sig.pop("eliminate")
    sig["levels"] = [int(t) for t in levels]
    sig["seed"] = seed_record(seed)
    return FailureSensitivity(
        levels=tuple(int(t) for t in levels),
        expected=expected,
        ranks=ranks,
        results=results,
        signature=sig,
    )
