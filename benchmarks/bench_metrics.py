"""Metric families side by side with their reference tools, in one run.

1. PATE over a long series (default 1,000,000 points) against the PyPI package ``PATE``
   (0.1.1), both with the package defaults (buffers 100/100, include_zero, 250
   percentile thresholds). Two detectors over the same labels (``--detector``):
   ``noisy`` (white noise smoothed over 5 steps: its score crosses every threshold tens of
   thousands of times, and the package's cost grows with the square of those events, so
   it runs on a slice, ``--pate-slice`` points, and the full series gives assay's time
   alone) and ``smooth`` (noise smoothed over 200 steps plus a response to each anomaly,
   like a forecasting-residual detector: the package finishes the full million points
   when ``--pate-slice`` equals ``--points``).
2. Ranking metrics (precision, recall, hit rate, MRR, MAP, NDCG at 10) over one million
   queries against ranx: both from the same pandas frames, timed with and without the
   frame conversion, values compared.

Times come from untraced calls; peak memory is the tracemalloc peak of a second, traced
call of assay (numpy buffers included). The reference tools' peaks are not reported:
tracemalloc slows the PATE package's pure-Python loops many-fold and does not see
numba's allocations in ranx.

Usage: python benchmarks/bench_metrics.py [--points N] [--pate-slice N] [--queries N]
       [--detector noisy|smooth]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from assay.metrics._ranking import (
    average_precision,
    hit_rate_at_k,
    ndcg_at_k,
    precision_at_k,
    rank_gains,
    recall_at_k,
    reciprocal_rank,
)
from assay.metrics._timeseries import pate


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Result and wall seconds of one call (no tracing: tracemalloc slows Python code)."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def peak_mib(fn: Callable[[], Any]) -> float:
    """tracemalloc peak (MiB) of a second, traced call."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def series(n: int, seed: int = 0, detector: str = "noisy") -> tuple[np.ndarray, np.ndarray]:
    """Labels with ~0.5 % of points in events of 5-60 steps, and a detector's score."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=np.int64)
    starts = rng.choice(n - 100, size=max(1, n // 4000), replace=False)
    for s in starts:
        y[s : s + int(rng.integers(5, 60))] = 1
    if detector == "smooth":  # slow-moving noise and a bump where each anomaly is
        noise = np.convolve(rng.standard_normal(n), np.ones(200) / np.sqrt(200), mode="same")
        return y, 0.5 * noise + 3 * np.convolve(y.astype(float), np.ones(20) / 20, mode="same")
    score = rng.random(n) + 0.8 * y * rng.random(n)
    score = np.convolve(score, np.ones(5) / 5, mode="same")  # detectors are smooth
    return y, score


def bench_pate(points: int, slice_points: int, detector: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pate.PATE_metric import PATE

    y, s = series(points, detector=detector)
    ys, ss = y[:slice_points], s[:slice_points]
    ref, t_ref = timed(lambda: PATE(ys, ss))
    ours_s, t_ours_s = timed(lambda: pate(ys, ss))
    ours, t_ours = timed(lambda: pate(y, s))
    m_ours_s, m_ours = peak_mib(lambda: pate(ys, ss)), peak_mib(lambda: pate(y, s))
    print(f"PATE, {detector} detector, slice of {slice_points:,} points (package defaults)")
    print(f"  PATE package {t_ref:9.3f} s  peak      n/a      value {ref:.12f}")
    print(f"  assay        {t_ours_s:9.3f} s  peak {m_ours_s:8.1f} MiB  value {ours_s:.12f}")
    print(f"  speed-up {t_ref / t_ours_s:,.0f}x   |difference| {abs(ref - ours_s):.2e}")
    print(
        f"PATE, full series of {points:,} points: assay {t_ours:.3f} s, peak {m_ours:.1f} MiB, value {ours:.6f}"
    )
    if slice_points < points:
        print(
            f"  package time extrapolated linearly from the slice: >= {t_ref * points / slice_points:,.0f} s "
            "(its categorisation is quadratic in events, so this is a lower bound)"
        )


def judgements(n_queries: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """3 relevant items (grades 1-3) among 12 candidates; 10 of the 12 retrieved, scored."""
    rng = np.random.default_rng(seed)
    q = np.arange(n_queries)
    docs = np.argsort(rng.random((n_queries, 12)), axis=1) + rng.integers(0, 1000, (n_queries, 1))
    retrieved = np.take_along_axis(
        docs, np.argsort(rng.random((n_queries, 12)), axis=1)[:, :10], axis=1
    )
    qrels = pd.DataFrame(
        {
            "query": np.repeat(q, 3).astype(str).astype(object),
            "item": docs[:, :3].ravel().astype(str).astype(object),
            "relevance": rng.integers(1, 4, n_queries * 3),
        }
    )
    run = pd.DataFrame(
        {
            "query": np.repeat(q, 10).astype(str).astype(object),
            "item": retrieved.ravel().astype(str).astype(object),
            "score": rng.random(n_queries * 10),
        }
    )
    as_obj = {"query": object, "item": object}  # ranx requires object (str) id columns
    return qrels.astype(as_obj), run.astype(as_obj)


def bench_ranking(n_queries: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ranx

    qrels, run = judgements(n_queries)
    names = ["precision@10", "recall@10", "hit_rate@10", "mrr@10", "map@10", "ndcg@10"]
    # warm ranx's numba JIT on a small input so compilation is not timed
    small_q, small_r = judgements(100)
    ranx.evaluate(
        ranx.Qrels.from_df(small_q, "query", "item", "relevance"),
        ranx.Run.from_df(small_r, "query", "item", "score"),
        names,
    )

    def ranx_build() -> tuple[Any, Any]:
        return ranx.Qrels.from_df(qrels, "query", "item", "relevance"), ranx.Run.from_df(
            run, "query", "item", "score"
        )

    (rq, rr), t_rb = timed(ranx_build)
    ref, t_re = timed(lambda: ranx.evaluate(rq, rr, names))

    def ours_eval(g: Any) -> dict[str, float]:
        return {
            "precision@10": float(precision_at_k(g, 10).mean()),
            "recall@10": float(recall_at_k(g, 10).mean()),
            "hit_rate@10": float(hit_rate_at_k(g, 10).mean()),
            "mrr@10": float(reciprocal_rank(g, 10).mean()),
            "map@10": float(average_precision(g, 10).mean()),
            "ndcg@10": float(ndcg_at_k(g, 10).mean()),
        }

    g, t_ob = timed(lambda: rank_gains(qrels, run, depth=10))
    ours, t_oe = timed(lambda: ours_eval(g))
    m_ours = max(peak_mib(lambda: rank_gains(qrels, run, depth=10)), peak_mib(lambda: ours_eval(g)))
    worst = max(abs(ours[k] - ref[k]) for k in names)
    print(
        f"Ranking metrics @10 over {n_queries:,} queries ({len(run):,} run rows, {len(qrels):,} judgements)"
    )
    print(
        f"  ranx   build {t_rb:7.2f} s  evaluate {t_re:6.2f} s  total {t_rb + t_re:7.2f} s  peak n/a (numba)"
    )
    print(
        f"  assay  build {t_ob:7.2f} s  evaluate {t_oe:6.2f} s  total {t_ob + t_oe:7.2f} s  peak {m_ours:8.1f} MiB"
    )
    print(
        f"  total time ratio assay/ranx {(t_ob + t_oe) / (t_rb + t_re):.2f}; evaluate-only ratio {t_oe / t_re:.2f}; "
        f"max |difference| {worst:.1e}"
    )
    for k in names:
        print(f"    {k:13s} ranx {ref[k]:.12f}  assay {ours[k]:.12f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--pate-slice", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--detector", choices=("noisy", "smooth"), default="noisy")
    args = parser.parse_args()
    bench_pate(args.points, args.pate_slice, args.detector)
    bench_ranking(args.queries)


if __name__ == "__main__":
    main()
