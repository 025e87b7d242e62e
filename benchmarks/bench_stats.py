"""Paired bootstrap at leaderboard scale: assay vs scipy.stats.bootstrap in one run.

Workload (issue 5): 100,000 items x 100 models of 0/1 scores; every model is compared
with a reference model (model 0), i.e. 99 paired comparisons, each a percentile paired
bootstrap of the mean difference with 10,000 resamples. assay draws the resampled items
once and multiplies one counts matrix by the 99 difference columns
(:func:`assay.analysis.stats.paired_bootstrap_many`).

scipy.stats.bootstrap (``paired=True``) runs one comparison at a time; running all 99
at full size would take far too long, so it runs a slice (``--scipy-pairs`` comparisons
with ``--scipy-resamples`` resamples on all items) and its time is scaled linearly to the
full workload (its cost is linear in pairs and in resamples). assay runs the same slice
too, and the intervals of the slice are compared.

Run:  .venv/bin/python benchmarks/bench_stats.py [--items 100000 --models 100 --resamples 10000]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
from scipy import stats

from assay.analysis.stats import paired_bootstrap_many


def _peak(fn):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, dt, peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--resamples", type=int, default=10_000)
    ap.add_argument("--scipy-pairs", type=int, default=2)
    ap.add_argument("--scipy-resamples", type=int, default=1_000)
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    rates = np.linspace(0.55, 0.75, args.models)
    scores = (rng.random((args.items, args.models)) < rates).astype(np.float64)
    ref, others = scores[:, 0], scores[:, 1:]
    pairs = others.shape[1]
    print(
        f"workload: {args.items:,} items x {args.models} models (0/1), {pairs} paired "
        f"comparisons vs model 0, {args.resamples:,} resamples, percentile intervals"
    )

    full, t_full, mem_full = _peak(
        lambda: paired_bootstrap_many(others, ref, resamples=args.resamples, seed=1)
    )
    print(f"assay  full workload: {t_full:8.2f} s   peak traced memory {mem_full:8.1f} MiB")

    k, b = args.scipy_pairs, args.scipy_resamples
    sl, t_sl, mem_sl = _peak(lambda: paired_bootstrap_many(others[:, :k], ref, resamples=b, seed=2))

    def run_scipy() -> list[tuple[float, float]]:
        cis = []
        for j in range(k):
            ci = stats.bootstrap(
                (others[:, j], ref),
                lambda x, y, axis: np.mean(x - y, axis=axis),
                paired=True,
                vectorized=True,
                n_resamples=b,
                batch=50,
                method="percentile",
                rng=np.random.default_rng(3 + j),
            ).confidence_interval
            cis.append((float(ci.low), float(ci.high)))
        return cis

    ref_cis, t_sp, mem_sp = _peak(run_scipy)
    scale = (pairs / k) * (args.resamples / b)
    print(
        f"slice: {k} comparisons x {b:,} resamples on all items\n"
        f"assay  slice:         {t_sl:8.2f} s   peak traced memory {mem_sl:8.1f} MiB\n"
        f"scipy  slice:         {t_sp:8.2f} s   peak traced memory {mem_sp:8.1f} MiB  "
        f"(batch=50)\n"
        f"ratio on the slice (scipy / assay): {t_sp / t_sl:6.1f}x\n"
        f"scipy scaled to the full workload: {t_sp * scale:8.1f} s  "
        f"-> assay is {t_sp * scale / t_full:6.1f}x faster"
    )
    worst = max(
        max(abs(a.low - lo), abs(a.high - hi)) / (hi - lo)
        for a, (lo, hi) in zip(sl, ref_cis, strict=True)
    )
    print(f"slice intervals: largest endpoint gap {worst:.1%} of the interval width")
    print(
        f"full run: first comparison {full[0].difference:+.4f} "
        f"[{full[0].low:+.4f}, {full[0].high:+.4f}]; "
        f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
