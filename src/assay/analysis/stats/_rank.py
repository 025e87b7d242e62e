"""Rank intervals and the separability of adjacent ranks, from one joint bootstrap.

Items (or clusters) are resampled once per round and *every* model's mean is taken on the
same draw, so each round gives a ranking; the spread of a model's rank over rounds is its
rank interval. For each adjacent pair of the observed ranking, the same draws give the
distribution of the difference of means, hence an interval and a p-value; Holm's
correction over the ``M - 1`` adjacent pairs decides which neighbours are statistically
distinct.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from assay._display import TableView
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import (
    NanPolicy,
    check_choice,
    check_confidence,
    check_resamples,
    complete_cases,
    float_array,
)
from assay.analysis.stats._interval import bootstrap_units, interval_from_draws, signature
from assay.analysis.stats._multiple import Correction, adjust_pvalues
from assay.analysis.stats._paired import bootstrap_pvalue
from assay.analysis.stats._resample import units_of
from assay.errors import InputError

__all__ = ["ModelRank", "RankTable", "rank_intervals"]


@dataclass(frozen=True, slots=True)
class ModelRank:
    """One model's row of a :class:`RankTable`.

    ``gap`` is the model's lead over the next model down, in the better direction (a
    difference of means, >= 0 up to ties), with its interval and p-values; the ``gap_*``
    fields are ``None`` for the last model.
    """

    model: str
    mean: float
    low: float
    high: float
    rank: int
    rank_low: int
    rank_high: int
    p_best: float
    next_model: str | None
    gap: float | None
    gap_low: float | None
    gap_high: float | None
    gap_pvalue: float | None
    gap_pvalue_adjusted: float | None
    distinct_from_next: bool | None


_SCHEMA = pa.schema(
    [
        ("model", pa.string()),
        ("mean", pa.float64()),
        ("low", pa.float64()),
        ("high", pa.float64()),
        ("rank", pa.int64()),
        ("rank_low", pa.int64()),
        ("rank_high", pa.int64()),
        ("p_best", pa.float64()),
        ("next_model", pa.string()),
        ("gap", pa.float64()),
        ("gap_low", pa.float64()),
        ("gap_high", pa.float64()),
        ("gap_pvalue", pa.float64()),
        ("gap_pvalue_adjusted", pa.float64()),
        ("distinct_from_next", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class RankTable(TableView):
    """Models in rank order with score intervals, rank intervals and separability.

    ``rank`` is the competition rank of the observed means (1 = best; tied means share a
    rank); ``rank_low``/``rank_high`` the percentile interval of the bootstrap ranks;
    ``p_best`` the share of rounds in which the model ranks first.
    ``distinct_from_next`` says whether the model's lead over the next one is
    statistically significant after the correction in ``signature["params"]["adjust"]``.
    """

    rows: tuple[ModelRank, ...]
    n_items: int
    n_clusters: int
    n_missing: int
    confidence: float
    resamples: int
    signature: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, model: str) -> ModelRank:
        """The row of ``model``."""
        for r in self.rows:
            if r.model == model:
                return r
        ranked = [r.model for r in self.rows][:20]
        raise InputError(f"RankTable.row: unknown model {model!r}; the table ranks {ranked}")

    @property
    def tiers(self) -> list[list[str]]:
        """Groups of adjacent models that are not separated from each other."""
        groups: list[list[str]] = [[]]
        for r in self.rows:
            groups[-1].append(r.model)
            if r.distinct_from_next:
                groups.append([])
        return [g for g in groups if g]

    def to_arrow(self) -> pa.Table:
        """One row per model, in rank order."""
        return pa.Table.from_pylist([asdict(r) for r in self.rows], schema=_SCHEMA)

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()

    def to_dict(self) -> dict[str, Any]:
        """Rows, counts and signature as plain Python values (JSON-serialisable)."""
        return {
            "rows": [asdict(r) for r in self.rows],
            "n_items": self.n_items,
            "n_clusters": self.n_clusters,
            "n_missing": self.n_missing,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "signature": self.signature,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        conf = f"{self.confidence:.0%}"
        cols = ["rank", f"{conf} rank interval", "model", "mean", f"{conf} CI", "P(best)"]
        cols += ["gap to next", "adj. p", "distinct"]
        rows: list[list[object]] = []
        for r in self.rows:
            gap = None if r.gap is None else f"{r.gap:.4f} [{r.gap_low:.4f}, {r.gap_high:.4f}]"
            distinct = (
                None if r.distinct_from_next is None else ("yes" if r.distinct_from_next else "no")
            )
            rows.append(
                [
                    r.rank,
                    f"{r.rank_low}-{r.rank_high}",
                    r.model,
                    r.mean,
                    f"[{r.low:.4f}, {r.high:.4f}]",
                    r.p_best,
                    gap,
                    r.gap_pvalue_adjusted,
                    distinct,
                ]
            )
        return cols, rows

    @property
    def title(self) -> str:
        return (
            f"ranking over {self.n_items} items ({self.resamples} joint bootstrap rounds); "
            f"'distinct': lead over the next model significant after "
            f"{self.signature.get('params', {}).get('adjust', 'holm')} correction"
        )


def rank_intervals(
    scores: ArrayLike,
    models: Sequence[str],
    *,
    clusters: ArrayLike | Sequence[object] | None = None,
    higher_is_better: bool = True,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int | np.random.Generator | None = 0,
    adjust: Correction = "holm",
    nan_policy: NanPolicy = "omit",
) -> RankTable:
    """Rank intervals of models scored on the same items, and a separability table.

    Parameters
    ----------
    scores
        Items x models matrix of per-item scores (column ``j`` is ``models[j]``).
    models
        Model names, one per column.
    clusters
        One label per item: resample whole clusters.
    higher_is_better
        ``False`` for losses and error rates.
    confidence
        Level of the score, rank and gap intervals, and ``1 - confidence`` is the level
        at which adjacent models are called distinct.
    resamples
        Joint bootstrap rounds.
    seed
        Seed or generator.
    adjust
        Correction over the adjacent pairs: ``"holm"`` or ``"bh"``.
    nan_policy
        ``"omit"``: drop items where any model lacks a score (counted in ``n_missing``);
        ``"raise"``: reject them.

    Returns
    -------
    RankTable

    References
    ----------
    Hall, P. & Miller, H. (2009). Using the bootstrap to quantify the authority of an
    empirical ranking. *Annals of Statistics* 37(6B), 3929-3959.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics* 6(2), 65-70.
    """
    func = "rank_intervals"
    check_choice(adjust, Correction, "adjust", func)
    check_choice(nan_policy, NanPolicy, "nan_policy", func)
    check_confidence(confidence, func)
    check_resamples(resamples, func)
    rng = resolve_rng(seed, func)
    if isinstance(models, str | bytes) or not isinstance(models, Iterable):
        raise InputError(
            f"the 'models' parameter of {func} must be a list of model names, one per column "
            f"of 'scores'; got {models!r}"
        )
    x = float_array(scores, "scores", func)
    names = [str(m) for m in models]
    if x.ndim != 2 or x.shape[1] != len(names):
        raise InputError(
            f"{func}: 'scores' must be an items x models matrix with one column per model "
            f"({len(names)}); got shape {x.shape}"
        )
    if len(set(names)) != len(names):
        raise InputError(f"{func}: model names must be unique; got {names}")
    if len(names) < 2:
        raise InputError(f"{func}: ranking needs at least two models; got {len(names)}")
    missing = np.asarray(np.isnan(x).any(axis=1), dtype=np.bool_)
    keep, codes, n_missing = complete_cases(missing, clusters, nan_policy, func)
    x = x[keep]
    if x.shape[0] == 0:
        raise InputError(f"{func}: no item has a score for every model")
    sign = 1.0 if higher_is_better else -1.0
    units = units_of(x, codes)
    draws, low, high = bootstrap_units(
        units, method="percentile", confidence=confidence, resamples=resamples, seed=rng
    )
    means = units.means()
    alpha = (1.0 - confidence) / 2.0
    boot_ranks = rankdata(-sign * draws, method="min", axis=1)
    rank_low = np.quantile(boot_ranks, alpha, axis=0, method="lower")
    rank_high = np.quantile(boot_ranks, 1.0 - alpha, axis=0, method="higher")
    p_best = (boot_ranks == 1).mean(axis=0)
    obs_rank = rankdata(-sign * means, method="min")
    order = sorted(range(len(names)), key=lambda j: (obs_rank[j], names[j]))

    upper, lower = np.array(order[:-1]), np.array(order[1:])
    gap_draws = sign * (draws[:, upper] - draws[:, lower])
    gaps = sign * (means[upper] - means[lower])
    g_low, g_high = interval_from_draws(gap_draws, gaps, method="percentile", confidence=confidence)
    pvals = bootstrap_pvalue(gap_draws, "two-sided")
    adjusted = adjust_pvalues(pvals, method=adjust, alpha=1.0 - confidence)

    rows = []
    for pos, j in enumerate(order):
        last = pos == len(order) - 1
        rows.append(
            ModelRank(
                model=names[j],
                mean=float(means[j]),
                low=float(low[j]),
                high=float(high[j]),
                rank=int(obs_rank[j]),
                rank_low=int(rank_low[j]),
                rank_high=int(rank_high[j]),
                p_best=float(p_best[j]),
                next_model=None if last else names[order[pos + 1]],
                gap=None if last else float(gaps[pos]),
                gap_low=None if last else float(g_low[pos]),
                gap_high=None if last else float(g_high[pos]),
                gap_pvalue=None if last else float(pvals[pos]),
                gap_pvalue_adjusted=None if last else adjusted.adjusted[pos],
                distinct_from_next=None if last else adjusted.reject[pos],
            )
        )
    return RankTable(
        rows=tuple(rows),
        n_items=int(x.shape[0]),
        n_clusters=units.n_units,
        n_missing=n_missing,
        confidence=confidence,
        resamples=resamples,
        signature=signature(
            "joint percentile bootstrap of means; ranks per round; adjacent gaps tested",
            n=int(x.shape[0]),
            resamples=resamples,
            seed=seed,
            params={
                "confidence": confidence,
                "adjust": adjust,
                "higher_is_better": higher_is_better,
                "clustered": codes is not None,
                "models": names,
            },
        ),
    )
