"""Scaling fits with a 1,000-round bootstrap over models, for every task x family curve of
the Pythia / OPT / BLOOM data (final checkpoints, zero-shot accuracy): assay's batched
solver against a per-fit loop of scipy.optimize.least_squares (timed on a sample of the
fits and scaled up), in one run.

    .venv/bin/python benchmarks/bench_predict.py [--resamples 1000] [--scipy-fits 2000]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from assay.analysis.predict import ScalingLaw

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pythia_scaling"
TOKENS = {
    "pythia": 143_000 * 2_097_152,
    "pythia-deduped": 143_000 * 2_097_152,
    "opt": 180e9,
    "bloom": 341e9,
}


def frame() -> pd.DataFrame:
    d = pd.read_csv(DATA / "pythia_opt_bloom_lm_eval_tidy.csv.gz")
    f = d[(d["step"].isna() | (d["step"] == 143000)) & (d["shots"] == 0) & (d["metric"] == "acc")]
    return pd.DataFrame(
        {
            "model_id": f["model_name"],
            "family": f["model_family"],
            "parameters": f["params_nominal"].astype(float),
            "training_tokens": f["model_family"].map(TOKENS),
            "task": f["task"],
            "score": f["value"],
        }
    )


def scipy_loop(data: pd.DataFrame, n_fits: int, rng: np.random.Generator) -> float:
    """Seconds per bootstrap fit of the power law with scipy (bounded TRF)."""
    groups = [g for _, g in data.groupby(["task", "family"])]
    t0 = time.perf_counter()
    for k in range(n_fits):
        g = groups[k % len(groups)]
        x = np.log10(6 * g["parameters"].to_numpy() * g["training_tokens"].to_numpy())
        y = g["score"].to_numpy()
        idx = rng.integers(0, len(x), len(x))
        xr = x.min()
        least_squares(
            lambda t, xi=x[idx] - xr, yi=y[idx]: t[0] + t[1] * 10 ** (-t[2] * xi) - yi,
            [0.6, -0.2, 0.5],
            bounds=([0, -1, 0], [1, 1, 3]),
        )
    return (time.perf_counter() - t0) / n_fits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--scipy-fits", type=int, default=2000)
    args = ap.parse_args()
    data = frame()
    curves = data.groupby(["task", "family"]).ngroups
    print(
        f"{curves} task x family curves, {data['model_id'].nunique()} models, "
        f"{args.resamples} bootstrap rounds each"
    )
    seconds = {}
    for form in ("power_law", "sigmoid"):
        t0 = time.perf_counter()
        law = ScalingLaw(form, chance=0.0, resamples=args.resamples, seed=0).fit(data)  # type: ignore[arg-type]
        dt = seconds[form] = time.perf_counter() - t0
        print(
            f"assay ScalingLaw({form}): fit + {args.resamples} rounds of {len(law.curves_)} "
            f"curves in {dt:.2f} s"
        )
    per_fit = scipy_loop(data, args.scipy_fits, np.random.default_rng(0))
    total = per_fit * curves * (args.resamples + 1)
    print(
        f"scipy least_squares loop: {per_fit * 1e3:.2f} ms per fit -> {total:.1f} s for the "
        f"same {curves * (args.resamples + 1)} power-law fits (estimated from {args.scipy_fits})"
    )
    print(f"speed-up (power law): {total / seconds['power_law']:.1f}x")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
