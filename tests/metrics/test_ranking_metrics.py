"""Ranking and recommender metrics against ranx, scikit-learn and the worked examples of
the methods note (metrics-and-agents.md §2)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import DegenerateDataWarning, InputError
from assay.metrics._core import get_metric
from assay.metrics._ranking import (
    average_precision,
    catalogue_coverage,
    hit_rate_at_k,
    intra_list_diversity,
    ndcg_at_k,
    novelty,
    precision_at_k,
    rank_gains,
    recall_at_k,
    reciprocal_rank,
    serendipity,
)


def _random_judgements(n_queries: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    qrels, run = [], []
    for q in range(n_queries):
        docs = rng.choice(40, 20, replace=False)
        for d, r in zip(docs[:8], rng.integers(0, 4, 8), strict=True):
            qrels.append((f"q{q}", f"d{d}", int(r)))
        for d, s in zip(docs[4:], rng.random(16), strict=True):
            run.append((f"q{q}", f"d{d}", float(s)))
    return (
        pd.DataFrame(qrels, columns=["query", "item", "relevance"]),
        pd.DataFrame(run, columns=["query", "item", "score"]),
    )


def test_worked_example_of_the_note() -> None:
    # relevant {A, B}, ranked [A, C, B], k = 3 (note §2.4)
    pred, ref = [["A", "C", "B"]], [{"A", "B"}]
    values = {
        name: get_metric(name, k=3).compute(pred, ref).value
        for name in ("precision_at_k", "recall_at_k", "ndcg", "map", "mrr", "hit_rate_at_k")
    }
    assert values["ndcg"] == pytest.approx(0.9197, abs=5e-5)
    assert values["map"] == pytest.approx(0.8333, abs=5e-5)
    assert values["precision_at_k"] == pytest.approx(2 / 3)
    assert values["recall_at_k"] == 1.0
    assert values["mrr"] == 1.0
    assert values["hit_rate_at_k"] == 1.0


def test_against_ranx_on_random_graded_judgements() -> None:
    ranx = pytest.importorskip("ranx")
    qrels, run = _random_judgements(300, seed=3)
    as_obj = {"query": object, "item": object}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ranx / numba import-time deprecations
        ref = ranx.evaluate(
            ranx.Qrels.from_df(
                qrels.astype(as_obj), q_id_col="query", doc_id_col="item", score_col="relevance"
            ),
            ranx.Run.from_df(
                run.astype(as_obj), q_id_col="query", doc_id_col="item", score_col="score"
            ),
            [
                "precision@10",
                "recall@10",
                "hit_rate@10",
                "mrr@10",
                "map@10",
                "ndcg@10",
                "ndcg_burges@10",
                "ndcg@5",
            ],
        )
    g = rank_gains(qrels, run, depth=10)
    ours = {
        "precision@10": precision_at_k(g, 10),
        "recall@10": recall_at_k(g, 10),
        "hit_rate@10": hit_rate_at_k(g, 10),
        "mrr@10": reciprocal_rank(g, 10),
        "map@10": average_precision(g, 10),
        "ndcg@10": ndcg_at_k(g, 10),
        "ndcg_burges@10": ndcg_at_k(g, 10, gain="exp"),
        "ndcg@5": ndcg_at_k(g, 5),
    }
    for name, per_query in ours.items():
        assert per_query.mean() == pytest.approx(ref[name], abs=1e-12), name


def test_registered_metrics_equal_the_array_layer() -> None:
    qrels, run = _random_judgements(60, seed=5)
    g = rank_gains(qrels, run, depth=10)
    preds, refs = [], []
    for q in g.queries:
        r = run[run["query"] == q].sort_values(["score", "item"], ascending=[False, True])
        preds.append(list(r["item"]))
        j = qrels[qrels["query"] == q]
        refs.append(dict(zip(j["item"], j["relevance"], strict=True)))
    assert get_metric("ndcg", k=10).compute(preds, refs).value == pytest.approx(
        ndcg_at_k(g, 10).mean()
    )
    assert get_metric("map", k=10).compute(preds, refs).value == pytest.approx(
        average_precision(g, 10).mean()
    )
    assert get_metric("recall_at_k", k=10).compute(preds, refs).value == pytest.approx(
        recall_at_k(g, 10).mean()
    )


def test_mrr_variant_averages_only_queries_with_a_hit() -> None:
    preds = [["a", "b"], ["x", "y"], ["y", "b"]]
    refs = [{"b"}, {"q"}, {"b"}]
    standard = get_metric("mrr", k=2).compute(preds, refs).value
    hits_only = get_metric("mrr", k=2, only_hits=True).compute(preds, refs).value
    assert standard == pytest.approx((0.5 + 0 + 0.5) / 3)
    assert hits_only == pytest.approx(0.5)
    with pytest.warns(DegenerateDataWarning):
        assert math.isnan(get_metric("mrr", k=1, only_hits=True).compute([["x"]], [{"q"}]).value)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 10))
def test_query_order_does_not_matter_and_values_are_bounded(seed: int, k: int) -> None:
    qrels, run = _random_judgements(15, seed)
    rng = np.random.default_rng(seed)
    g1 = rank_gains(qrels, run, depth=10)
    g2 = rank_gains(
        qrels.sample(frac=1.0, random_state=rng), run.sample(frac=1.0, random_state=rng), depth=10
    )
    for f in (
        precision_at_k,
        recall_at_k,
        hit_rate_at_k,
        reciprocal_rank,
        average_precision,
        ndcg_at_k,
    ):
        a, b = f(g1, k), f(g2, k)
        assert a.mean() == pytest.approx(b.mean(), abs=1e-12)
        assert ((a >= 0) & (a <= 1 + 1e-12)).all()


def test_bad_input_is_rejected() -> None:
    qrels, run = _random_judgements(3, seed=1)
    with pytest.raises(InputError, match="'k' parameter"):
        get_metric("ndcg", k=0)
    with pytest.raises(InputError, match="no column"):
        rank_gains(qrels.rename(columns={"relevance": "rel"}), run)
    bad = run.copy()
    bad.loc[0, "score"] = np.nan
    with pytest.raises(InputError, match="NaN"):
        rank_gains(qrels, bad)
    with pytest.raises(InputError, match="twice"):
        rank_gains(pd.concat([qrels, qrels.iloc[[0]]]), run)
    with pytest.raises(InputError, match="deeper"):
        ndcg_at_k(rank_gains(qrels, run, depth=3), 5)
    with pytest.raises(InputError, match="ranked twice"):
        get_metric("ndcg", k=3).compute([["a", "a"]], [{"a"}])
    # a query with no relevant item is not gradable: NaN row, left to nan_policy
    res = get_metric("ndcg", k=3).compute([["a"], ["b"]], [{"a"}, set()], nan_policy="omit")
    assert res.value == 1.0
    assert res.n_omitted == 1


def test_novelty_and_coverage_worked_example() -> None:
    train = pd.DataFrame({"user": [1, 2, 3, 4, 5, 6], "item": ["A", "A", "A", "B", "C", "D"]})
    recs = pd.DataFrame({"user": [1, 1, 2, 2], "item": ["A", "C", "B", "D"]})
    assert novelty(recs, train) == pytest.approx((1 + 3 * math.log2(6)) / 4)
    assert novelty(recs, train) == pytest.approx(2.1887, abs=5e-5)
    assert catalogue_coverage(recs, train) == 1.0
    with pytest.raises(InputError, match="never occurs"):
        novelty(pd.DataFrame({"user": [1], "item": ["Z"]}), train)


def _cooccurrence_cosine(train: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    from sklearn.metrics.pairwise import cosine_similarity

    matrix = pd.crosstab(train["user"], train["item"]).clip(upper=1)
    return pd.DataFrame(
        cosine_similarity(matrix.T.to_numpy()), index=matrix.columns, columns=matrix.columns
    ), list(matrix.columns)


def test_diversity_and_serendipity_against_sklearn_cosine() -> None:
    rng = np.random.default_rng(7)
    items = [f"i{j}" for j in range(12)]
    train = pd.DataFrame(
        [(u, it) for u in range(30) for it in rng.choice(items, 5, replace=False)],
        columns=["user", "item"],
    )
    recs = pd.DataFrame(
        [
            (u, it, int(rng.integers(0, 2)))
            for u in range(10)
            for it in rng.choice(items, 4, replace=False)
        ],
        columns=["user", "item", "relevant"],
    )
    sim, _ = _cooccurrence_cosine(train)
    per_user = []
    for _, grp in recs.groupby("user"):
        its = list(grp["item"])
        per_user.append(np.mean([sim.loc[a, b] for i, a in enumerate(its) for b in its[i + 1 :]]))
    assert intra_list_diversity(recs, train) == pytest.approx(1 - np.mean(per_user), abs=1e-12)

    per_user = []
    for u, grp in recs.groupby("user"):
        hist = list(train.loc[train["user"] == u, "item"])
        vals = [
            (1 - np.mean([sim.loc[i, h] for h in hist])) * r
            for i, r in zip(grp["item"], grp["relevant"], strict=True)
        ]
        per_user.append(np.mean(vals))
    assert serendipity(recs, train) == pytest.approx(np.mean(per_user), abs=1e-12)

    from sklearn.metrics.pairwise import cosine_similarity

    feats = pd.DataFrame(rng.normal(size=(12, 4)), index=items)
    fsim = pd.DataFrame(cosine_similarity(feats.to_numpy()), index=items, columns=items)
    per_user = []
    for _, grp in recs.groupby("user"):
        its = list(grp["item"])
        per_user.append(np.mean([fsim.loc[a, b] for i, a in enumerate(its) for b in its[i + 1 :]]))
    assert intra_list_diversity(recs, item_features=feats) == pytest.approx(
        1 - np.mean(per_user), abs=1e-12
    )


def test_diversity_degenerate_and_bad_input() -> None:
    train = pd.DataFrame({"user": [1, 2], "item": ["a", "b"]})
    with pytest.warns(DegenerateDataWarning):
        assert math.isnan(intra_list_diversity(pd.DataFrame({"user": [1], "item": ["a"]}), train))
    with pytest.raises(InputError, match="no similarity"):
        intra_list_diversity(pd.DataFrame({"user": [1, 1], "item": ["a", "z"]}), train)
    with pytest.raises(InputError, match="no training items"):
        serendipity(pd.DataFrame({"user": [9], "item": ["a"], "relevant": [1]}), train)
