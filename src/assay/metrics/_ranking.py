"""Ranking and recommendation: precision, recall and hit rate at k, reciprocal rank,
average precision, NDCG, and the beyond-accuracy metrics of recommender systems
(catalogue coverage, intra-list diversity, novelty, serendipity).

Two layers. The array layer works on a :class:`RankedGains` (one row per query: the
relevance grade of the item at each rank, and the query's ideal grades), built in bulk
from two data frames by :func:`rank_gains`; every function of that layer returns one
value per query, so a mean over queries (and a bootstrap over queries) is one numpy
call. The registered metrics (``precision_at_k``, ``recall_at_k``, ``hit_rate_at_k``,
``mrr``, ``map``, ``ndcg``) grade one query at a time: the prediction is the ranked list
of item ids, the reference the relevant items (a collection, every item grade 1) or a
mapping item -> relevance grade (grades <= 0 are not relevant).

Conventions (those of ranx and of trec_eval): a query is evaluated when it has at least
one relevant item; precision@k divides by k even when fewer than k items were ranked;
average precision divides by the number of relevant items (not by k); a query without a
hit has reciprocal rank 0.

References
----------
Järvelin, K. & Kekäläinen, J. (2002). Cumulated gain-based evaluation of IR techniques.
*ACM TOIS* 20(4). Burges, C. et al. (2005). Learning to rank using gradient descent.
*ICML* (exponential gain). Voorhees, E. M. (1999). The TREC-8 question answering track
report (mean reciprocal rank). Manning, C. D., Raghavan, P. & Schütze, H. (2008).
*Introduction to Information Retrieval*, ch. 8. Bassani, E. (2022). ranx: a blazing-fast
Python library for ranking evaluation. *ECIR*. Ziegler, C.-N. et al. (2005). Improving
recommendation lists through topic diversification. *WWW* (intra-list similarity).
Castells, P., Vargas, S. & Wang, J. (2011). Novelty and diversity metrics for recommender
systems. *DDR workshop*. Jadon, A. & Patil, A. (2023). A comprehensive survey of
evaluation techniques for recommendation systems. arXiv:2312.16015.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from assay.errors import InputError
from assay.metrics._core import Metric, check_option, register, warn_degenerate

__all__ = [
    "MAP",
    "MRR",
    "NDCG",
    "HitRateAtK",
    "PrecisionAtK",
    "RankedGains",
    "RecallAtK",
    "average_precision",
    "catalogue_coverage",
    "hit_rate_at_k",
    "intra_list_diversity",
    "ndcg_at_k",
    "novelty",
    "precision_at_k",
    "rank_gains",
    "recall_at_k",
    "reciprocal_rank",
    "serendipity",
]

Gain = Literal["raw", "exp"]
_GAINS = ("raw", "exp")

# --------------------------------------------------------------------------- array layer


@dataclass(frozen=True)
class RankedGains:
    """Per-query relevance at each rank: the sufficient statistics of ranking metrics.

    Attributes
    ----------
    gains
        ``(n_queries, depth)``: the relevance grade of the item ranked at each position
        (0 for an item that is not relevant or a position past the end of the list).
    ideal
        ``(n_queries, depth)``: the query's relevant grades sorted from the highest, 0
        past the number of relevant items (the ideal ranking of NDCG).
    n_relevant
        ``(n_queries,)``: number of relevant items of each query (all of them, not only
        those within ``depth``).
    queries
        The query ids, in row order.
    """

    gains: NDArray[np.float64]
    ideal: NDArray[np.float64]
    n_relevant: NDArray[np.int64]
    queries: NDArray[Any]

    @property
    def depth(self) -> int:
        """Number of ranks kept."""
        return int(self.gains.shape[1])


def rank_gains(
    qrels: pd.DataFrame,
    run: pd.DataFrame,
    *,
    depth: int = 10,
    query: str = "query",
    item: str = "item",
    relevance: str = "relevance",
    score: str = "score",
) -> RankedGains:
    """Build :class:`RankedGains` from relevance judgements and a scored run, in bulk.

    Parameters
    ----------
    qrels
        One row per judged (query, item) with its ``relevance`` grade; grades <= 0 are
        not relevant. Queries without a relevant item are not evaluated.
    run
        One row per retrieved (query, item) with its ``score``; larger ranks higher and
        ties are broken by the item id (ascending; assay's choice, ranx breaks them by
        its internal order). Queries absent from ``run`` are evaluated with an empty
        list (every metric 0); queries absent from ``qrels`` are ignored.
    depth
        Ranks kept (the largest k that will be asked for).
    query, item, relevance, score
        Column names.
    """
    _check_k("rank_gains", depth, "depth")
    for frame, cols, what in (
        (qrels, (query, item, relevance), "qrels"),
        (run, (query, item, score), "run"),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InputError(
                f"rank_gains: {what} has no column(s) {missing}; it has {list(frame.columns)}"
            )
    rel = qrels[relevance].to_numpy(dtype=np.float64)
    if np.isnan(rel).any():
        raise InputError("rank_gains: qrels has NaN relevance grades")
    keep = rel > 0
    q_ids = qrels[query].to_numpy()[keep]
    q_items = qrels[item].to_numpy()[keep]
    rel = rel[keep]
    q_code, queries = pd.factorize(q_ids)
    n_q = len(queries)
    r_code = pd.Index(queries).get_indexer(run[query].to_numpy())
    in_run = r_code >= 0
    r_code = r_code[in_run]
    r_items = run[item].to_numpy()[in_run]
    r_score = run[score].to_numpy(dtype=np.float64)[in_run]
    if np.isnan(r_score).any():
        raise InputError("rank_gains: run has NaN scores")
    i_code, _ = pd.factorize(np.concatenate([q_items, r_items]))
    qi_code, ri_code = i_code[: len(q_items)], i_code[len(q_items) :]
    n_items = int(i_code.max()) + 1 if i_code.size else 1

    # relevance of each retrieved item through a sorted (query, item) key
    q_key = q_code.astype(np.int64) * n_items + qi_code
    order = np.argsort(q_key, kind="stable")
    q_key, q_rel = q_key[order], rel[order]
    if q_key.size > 1 and (np.diff(q_key) == 0).any():
        raise InputError("rank_gains: qrels judges the same (query, item) twice")
    r_key = r_code.astype(np.int64) * n_items + ri_code
    pos = np.searchsorted(q_key, r_key)
    pos_c = np.minimum(pos, max(q_key.size - 1, 0))
    hit = (q_key.size > 0) & (q_key[pos_c] == r_key) if q_key.size else np.zeros(r_key.size, bool)
    r_rel = np.where(hit, q_rel[pos_c] if q_key.size else 0.0, 0.0)

    gains = np.zeros((n_q, depth), dtype=np.float64)
    order = np.lexsort((ri_code, -r_score, r_code))
    rank = _rank_within(r_code[order])
    top = rank < depth
    gains[r_code[order][top], rank[top]] = r_rel[order][top]

    ideal = np.zeros((n_q, depth), dtype=np.float64)
    order = np.lexsort((-rel, q_code))
    rank = _rank_within(q_code[order])
    top = rank < depth
    ideal[q_code[order][top], rank[top]] = rel[order][top]
    n_relevant = np.bincount(q_code, minlength=n_q).astype(np.int64)
    return RankedGains(gains, ideal, n_relevant, np.asarray(queries))


def _rank_within(sorted_groups: NDArray[np.intp]) -> NDArray[np.int64]:
    """0-based position of each row inside its run of equal group codes."""
    n = sorted_groups.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n, dtype=np.int64) - first


def _cut(g: RankedGains, k: int, owner: str) -> NDArray[np.float64]:
    _check_k(owner, k, "k")
    if k > g.depth:
        raise InputError(
            f"{owner}: k={k} is deeper than the ranked gains (depth {g.depth}); rebuild them with depth >= k"
        )
    return g.gains[:, :k]


def precision_at_k(g: RankedGains, k: int = 10) -> NDArray[np.float64]:
    """Per query: relevant items among the first k, divided by k."""
    return np.asarray((_cut(g, k, "precision_at_k") > 0).sum(axis=1) / k, dtype=np.float64)


def recall_at_k(g: RankedGains, k: int = 10) -> NDArray[np.float64]:
    """Per query: relevant items among the first k, divided by the number of relevant items."""
    hits = (_cut(g, k, "recall_at_k") > 0).sum(axis=1)
    return np.asarray(hits / np.maximum(g.n_relevant, 1), dtype=np.float64)


def hit_rate_at_k(g: RankedGains, k: int = 10) -> NDArray[np.float64]:
    """Per query: 1 when a relevant item is among the first k, else 0."""
    return np.asarray((_cut(g, k, "hit_rate_at_k") > 0).any(axis=1), dtype=np.float64)


def reciprocal_rank(g: RankedGains, k: int = 10) -> NDArray[np.float64]:
    """Per query: 1 / rank of the first relevant item within the first k, 0 without one."""
    rel = _cut(g, k, "reciprocal_rank") > 0
    first = rel.argmax(axis=1)
    return np.where(rel.any(axis=1), 1.0 / (first + 1), 0.0)


def average_precision(g: RankedGains, k: int = 10) -> NDArray[np.float64]:
    """Per query: the sum of precision at the rank of each relevant item within the first
    k, divided by the number of relevant items."""
    rel = (_cut(g, k, "average_precision") > 0).astype(np.float64)
    prec = np.cumsum(rel, axis=1) / np.arange(1, k + 1)
    return np.asarray((prec * rel).sum(axis=1) / np.maximum(g.n_relevant, 1), dtype=np.float64)


def ndcg_at_k(g: RankedGains, k: int = 10, *, gain: Gain = "raw") -> NDArray[np.float64]:
    """Per query: DCG@k / ideal DCG@k with discount 1/log2(rank + 1); gain ``"raw"`` uses
    the grade (Järvelin & Kekäläinen), ``"exp"`` uses 2^grade - 1 (Burges et al.)."""
    check_option("ndcg_at_k", "gain", gain, _GAINS)
    cut = _cut(g, k, "ndcg_at_k")
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    gains, ideal = (
        (cut, g.ideal[:, :k]) if gain == "raw" else (np.exp2(cut) - 1, np.exp2(g.ideal[:, :k]) - 1)
    )
    dcg = gains @ discount
    idcg = ideal @ discount
    return np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0)


def _check_k(owner: str, k: object, name: str) -> None:
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        check_option(owner, name, k, "an integer >= 1")


# --------------------------------------------------------------------------- registered metrics


def _query_gains(ranked: Any, relevant: Any, k: int, owner: str) -> RankedGains:
    """RankedGains of one query from its ranked ids and its judgements."""
    if isinstance(ranked, str | bytes) or not isinstance(ranked, Sequence | np.ndarray):
        raise InputError(
            f"{owner}: a prediction must be a ranked sequence of item ids; got {type(ranked).__name__}"
        )
    if isinstance(relevant, Mapping):
        grades = {key: float(v) for key, v in relevant.items()}
    elif isinstance(relevant, Collection) and not isinstance(relevant, str | bytes):
        grades = dict.fromkeys(relevant, 1.0)
    else:
        raise InputError(
            f"{owner}: a reference must be a collection of relevant ids or a mapping id -> grade; got {type(relevant).__name__}"
        )
    positive = sorted((v for v in grades.values() if v > 0), reverse=True)
    gains = np.zeros((1, k))
    seen: set[Hashable] = set()
    for r, key in enumerate(list(ranked)[:k]):
        if key in seen:
            raise InputError(f"{owner}: item {key!r} is ranked twice in one list")
        seen.add(key)
        gains[0, r] = max(grades.get(key, 0.0), 0.0)
    ideal = np.zeros((1, k))
    ideal[0, : min(k, len(positive))] = positive[:k]
    return RankedGains(gains, ideal, np.array([len(positive)]), np.array([0]))


@dataclass(frozen=True)
class _RankingMetric(Metric):
    """Mean over queries of a per-query ranking score."""

    k: int = 10

    def __post_init__(self) -> None:
        _check_k(type(self).__name__, self.k, "k")

    def _per_query(self, g: RankedGains) -> NDArray[np.float64]:
        raise NotImplementedError

    def _one(self, prediction: Any, reference: Any) -> list[float]:
        g = _query_gains(prediction, reference, self.k, self.name)
        if g.n_relevant[0] == 0:
            return [math.nan] * len(self.columns)  # no relevant item: not evaluated
        return [float(v) for v in self._per_query_row(g)]

    def _per_query_row(self, g: RankedGains) -> list[float]:
        return [float(self._per_query(g)[0])]

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        return np.array(
            [self._one(p, r) for p, r in zip(predictions, references, strict=True)],
            dtype=np.float64,
        ).reshape(len(predictions), len(self.columns))

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        return float(stats[:, 0].mean())


@register
@dataclass(frozen=True)
class PrecisionAtK(_RankingMetric):
    """Mean over queries of (relevant items in the top k) / k. See :func:`precision_at_k`."""

    name: ClassVar[str] = "precision_at_k"

    def _per_query(self, g: RankedGains) -> NDArray[np.float64]:
        return precision_at_k(g, self.k)


@register
@dataclass(frozen=True)
class RecallAtK(_RankingMetric):
    """Mean over queries of (relevant items in the top k) / (relevant items)."""

    name: ClassVar[str] = "recall_at_k"

    def _per_query(self, g: RankedGains) -> NDArray[np.float64]:
        return recall_at_k(g, self.k)


@register
@dataclass(frozen=True)
class HitRateAtK(_RankingMetric):
    """Share of queries with at least one relevant item in the top k."""

    name: ClassVar[str] = "hit_rate_at_k"

    def _per_query(self, g: RankedGains) -> NDArray[np.float64]:
        return hit_rate_at_k(g, self.k)


@register
@dataclass(frozen=True)
class MAP(_RankingMetric):
    """Mean average precision at k (average precision normalised by the number of relevant
    items, as ranx and trec_eval)."""

    name: ClassVar[str] = "map"

    def _per_query(self, g: RankedGains) -> NDArray[np.float64]:
        return average_precision(g, self.k)


@register
@dataclass(frozen=True)
class NDCG(_RankingMetric):
    """Mean NDCG@k; ``gain="raw"`` (Järvelin) or ``"exp"`` (Burges: 2^grade - 1)."""

    name: ClassVar[str] = "ndcg"
    gain: Gain = "raw"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_option("NDCG", "gain", self.gain, _GAINS)

    def _per_query(self, g: RankedGains) -> NDArray[np.float64]:
        return ndcg_at_k(g, self.k, gain=self.gain)


@register
@dataclass(frozen=True)
class MRR(_RankingMetric):
    """Mean reciprocal rank at k.

    ``only_hits=False`` (the standard definition) averages over every query, a query
    without a relevant item in the top k counting 0. ``only_hits=True`` averages only
    over queries with a hit (the variant of the Microsoft ``recommenders`` code that
    Jadon & Patil 2023 reuse); NaN with a warning when no query has a hit.
    """

    name: ClassVar[str] = "mrr"
    columns: ClassVar[tuple[str, ...]] = ("reciprocal_rank", "hit")
    only_hits: bool = False

    def _per_query_row(self, g: RankedGains) -> list[float]:
        rr = float(reciprocal_rank(g, self.k)[0])
        return [rr, float(rr > 0)]

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        if not self.only_hits:
            return float(stats[:, 0].mean())
        hits = stats[:, 1].sum()
        if hits == 0:
            return warn_degenerate(self.name, "no query has a relevant item in the top k")
        return float(stats[:, 0].sum() / hits)


# --------------------------------------------------------------------------- beyond accuracy


def _frame(df: pd.DataFrame, cols: Sequence[str], owner: str, what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{owner}: {what} must be a pandas DataFrame; got {type(df).__name__}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{owner}: {what} has no column(s) {missing}; it has {list(df.columns)}")
    if len(df) == 0:
        raise InputError(f"{owner}: {what} is empty")
    return df


def catalogue_coverage(
    recommendations: pd.DataFrame, train: pd.DataFrame, *, item: str = "item"
) -> float:
    """Distinct recommended items / distinct items in ``train`` (the catalogue)."""
    _frame(recommendations, [item], "catalogue_coverage", "recommendations")
    _frame(train, [item], "catalogue_coverage", "train")
    return float(recommendations[item].nunique() / train[item].nunique())


def novelty(recommendations: pd.DataFrame, train: pd.DataFrame, *, item: str = "item") -> float:
    """Mean over recommendation slots of -log2(share of training interactions with the item)
    (Castells et al. 2011). An item never seen in ``train`` has infinite novelty: it is an
    :class:`InputError`."""
    _frame(recommendations, [item], "novelty", "recommendations")
    _frame(train, [item], "novelty", "train")
    counts = train[item].value_counts()
    share = recommendations[item].map(counts).to_numpy(dtype=np.float64) / len(train)
    if np.isnan(share).any():
        unseen = recommendations[item][np.isnan(share)].iloc[0]
        raise InputError(f"novelty: recommended item {unseen!r} never occurs in train")
    return float(np.mean(-np.log2(share)))


def _item_similarity(
    train: pd.DataFrame, user: str, item: str, item_features: pd.DataFrame | None
) -> tuple[pd.Index, Any]:
    """Item index and a function (codes_a, codes_b) -> cosine similarity."""
    if item_features is not None:
        feats = item_features.to_numpy(dtype=np.float64)
        norms = np.linalg.norm(feats, axis=1)
        unit = np.divide(feats, norms[:, None], out=np.zeros_like(feats), where=norms[:, None] > 0)
        index = pd.Index(item_features.index)

        def sim(a: NDArray[np.intp], b: NDArray[np.intp]) -> NDArray[np.float64]:
            return np.asarray(np.einsum("ij,ij->i", unit[a], unit[b]), dtype=np.float64)

        return index, sim
    from scipy import sparse

    pairs = train[[user, item]].drop_duplicates()
    u_code, _ = pd.factorize(pairs[user])
    i_code, index = pd.factorize(pairs[item])
    x = sparse.csr_matrix(
        (np.ones(len(pairs)), (u_code, i_code)), shape=(u_code.max() + 1, len(index))
    )
    co = (x.T @ x).tocsr()
    count = np.asarray(co.diagonal(), dtype=np.float64)

    def sim_co(a: NDArray[np.intp], b: NDArray[np.intp]) -> NDArray[np.float64]:
        shared = np.asarray(co[a, b], dtype=np.float64).ravel()
        return shared / np.sqrt(count[a] * count[b])

    return pd.Index(index), sim_co


def _codes(index: pd.Index, values: Any, owner: str) -> NDArray[np.intp]:
    codes = index.get_indexer(values)
    if (codes < 0).any():
        bad = np.asarray(values)[codes < 0][0]
        raise InputError(
            f"{owner}: item {bad!r} has no similarity (absent from train or item_features)"
        )
    return codes


def intra_list_diversity(
    recommendations: pd.DataFrame,
    train: pd.DataFrame | None = None,
    *,
    item_features: pd.DataFrame | None = None,
    user: str = "user",
    item: str = "item",
) -> float:
    """1 - mean over users of the mean pairwise similarity of their recommended items.

    Similarity is the cosine of item feature vectors (``item_features``, indexed by item)
    when given, else the co-occurrence cosine from ``train``:
    users(i and j) / sqrt(users(i) * users(j)) (Ziegler et al. 2005, as in Microsoft
    ``recommenders``). Users with fewer than two recommendations have no pair and are
    left out; NaN with a warning when no user has two.
    """
    owner = "intra_list_diversity"
    _frame(recommendations, [user, item], owner, "recommendations")
    if item_features is None:
        if train is None:
            raise InputError(f"{owner}: give train (co-occurrence similarity) or item_features")
        _frame(train, [user, item], owner, "train")
    index, sim = _item_similarity(
        train if train is not None else pd.DataFrame(), user, item, item_features
    )
    recs = recommendations[[user, item]].drop_duplicates()
    u_code, _ = pd.factorize(recs[user])
    i_code = _codes(index, recs[item].to_numpy(), owner)
    # all within-user pairs (i < j) through a self-join on the user code
    left = pd.DataFrame({"u": u_code, "i": i_code, "r": np.arange(len(recs))})
    pairs = left.merge(left, on="u")
    pairs = pairs[pairs["r_x"] < pairs["r_y"]]
    if pairs.empty:
        return warn_degenerate(owner, "no user has two recommended items")
    s = sim(pairs["i_x"].to_numpy(), pairs["i_y"].to_numpy())
    per_user = pd.Series(s).groupby(pairs["u"].to_numpy()).mean()
    return float(1.0 - per_user.mean())


def serendipity(
    recommendations: pd.DataFrame,
    train: pd.DataFrame,
    *,
    item_features: pd.DataFrame | None = None,
    user: str = "user",
    item: str = "item",
    relevant: str = "relevant",
) -> float:
    """Mean over users of the mean over their recommended items of
    (1 - mean similarity of the item to the user's training items) x relevance.

    ``relevant`` (0/1 or a grade in [0, 1]) says whether the recommendation turned out
    relevant; similarity as in :func:`intra_list_diversity`. Users without training
    items are an :class:`InputError` (their similarity is undefined).
    """
    owner = "serendipity"
    _frame(recommendations, [user, item, relevant], owner, "recommendations")
    _frame(train, [user, item], owner, "train")
    index, sim = _item_similarity(train, user, item, item_features)
    hist = train[[user, item]].drop_duplicates()
    recs = recommendations[[user, item, relevant]].drop_duplicates([user, item])
    rel = recs[relevant].to_numpy(dtype=np.float64)
    if np.isnan(rel).any():
        raise InputError(f"{owner}: the {relevant!r} column has NaN")
    known = set(hist[user].unique())
    absent = [u for u in recs[user].unique() if u not in known]
    if absent:
        raise InputError(f"{owner}: user {absent[0]!r} has recommendations but no training items")
    left = pd.DataFrame(
        {
            user: recs[user].to_numpy(),
            "i": _codes(index, recs[item].to_numpy(), owner),
            "row": np.arange(len(recs)),
        }
    )
    right = pd.DataFrame(
        {user: hist[user].to_numpy(), "j": _codes(index, hist[item].to_numpy(), owner)}
    )
    pairs = left.merge(right, on=user)
    s = sim(pairs["i"].to_numpy(), pairs["j"].to_numpy())
    mean_sim = (
        pd.Series(s)
        .groupby(pairs["row"].to_numpy())
        .mean()
        .reindex(np.arange(len(recs)))
        .to_numpy()
    )
    per_rec = (1.0 - mean_sim) * rel
    per_user = pd.Series(per_rec).groupby(recs[user].to_numpy()).mean()
    return float(per_user.mean())
