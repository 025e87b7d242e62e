"""Store benchmark: ingest 10M score rows from Parquet, then the model x task scores table
with 95% bootstrap intervals (1,000 resamples), against pandas groupby + a numpy
bootstrap loop on the same rows.

Each phase runs in its own process so its peak memory (ru_maxrss) is its own.

    .venv/bin/python benchmarks/bench_store.py [--rows 10000000] [--workdir DIR]

Results go to stdout as a Markdown table (copy them into benchmarks/RESULTS.md).
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

MODELS = 40
TASKS = 25


def make_dataset(root: Path, rows: int, seed: int = 0) -> None:
    """An assay Parquet dataset of ``rows`` binary score rows (models x tasks x items)."""
    import duckdb

    from assay.store import Store, export_parquet

    items = rows // (MODELS * TASKS)
    with Store(root / "gen.duckdb") as st:
        con = st.connection
        # per-model ability and per-item difficulty, so the table has structure
        con.execute(
            f"""
            INSERT INTO scores
            SELECT 'run-' || m AS run_id, 'model-' || m AS model_id, 'task-' || t AS task,
                   CAST(i AS VARCHAR) AS item_id, 0 AS sample_index, '' AS prompt_variant,
                   'acc' AS metric,
                   CAST(hash(m, t, i, {seed}) % 1000 < 300 + 10 * m AS DOUBLE) AS value
            FROM range({MODELS}) r1(m), range({TASKS}) r2(t), range({items}) r3(i)
            """
        ).fetchall()
        con.execute(
            f"INSERT INTO runs (run_id, source, granularity, status) "
            f"SELECT 'run-' || m, 'bench', 'item', 'complete' FROM range({MODELS}) r(m)"
        ).fetchall()
        export_parquet(st, root / "dataset")
    (root / "gen.duckdb").unlink()
    del duckdb


def phase_ingest(root: Path) -> dict[str, float]:
    from assay.store import Store, import_parquet

    store_path = root / "bench.duckdb"
    if store_path.exists():
        store_path.unlink()
    with Store(store_path) as st:
        t0 = time.perf_counter()
        summary = import_parquet(st, root / "dataset")
        elapsed = time.perf_counter() - t0
        n = st.count("scores")
    return {"seconds": elapsed, "rows": n, "new": summary.new.get("scores", 0)}


def phase_scores(root: Path) -> dict[str, float]:
    from assay.analysis.stats import scores_table
    from assay.store import Store

    with Store(root / "bench.duckdb", read_only=True) as st:
        t0 = time.perf_counter()
        table = scores_table(st, resamples=1000, confidence=0.95, seed=0)
        elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "cells": len(table)}


def phase_pandas(root: Path) -> dict[str, float]:
    """The usual way: pandas groupby for the means, a numpy bootstrap loop per cell."""
    import numpy as np
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_parquet(
        root / "dataset" / "scores", columns=["model_id", "task", "item_id", "value"]
    )
    per_item = (
        df.groupby(["model_id", "task", "item_id"], observed=True)["value"].mean().reset_index()
    )
    rng = np.random.default_rng(0)
    out = []
    for (model, task), grp in per_item.groupby(["model_id", "task"], observed=True):
        x = grp["value"].to_numpy()
        n = len(x)
        means = np.empty(1000)
        for start in range(0, 1000, 100):
            idx = rng.integers(0, n, size=(100, n))
            means[start : start + 100] = x[idx].mean(axis=1)
        lo, hi = np.quantile(means, [0.025, 0.975])
        out.append((model, task, x.mean(), lo, hi))
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "cells": len(out)}


PHASES = {"ingest": phase_ingest, "scores": phase_scores, "pandas": phase_pandas}


def run_phase(name: str, root: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--workdir", str(root)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--phase", choices=sorted(PHASES), default=None)
    args = parser.parse_args()

    if args.phase:
        result = PHASES[args.phase](args.workdir)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    root = args.workdir or Path(tempfile.mkdtemp(prefix="assay-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        make_dataset(root, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        ingest = run_phase("ingest", root)
        scores = run_phase("scores", root)
        pandas = run_phase("pandas", root)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(
        f"rows: {ingest['rows']:,} ({MODELS} models x {TASKS} tasks x {args.rows // (MODELS * TASKS):,} items)"
    )
    print()
    print("| phase | tool | seconds | peak RSS (MB) |")
    print("|---|---|---:|---:|")
    print(
        f"| ingest from Parquet | assay `import_parquet` | {ingest['seconds']:.2f} | {ingest['peak_rss_mb']:.0f} |"
    )
    print(
        f"| scores table, 1,000 resamples | assay `scores_table` | {scores['seconds']:.2f} | {scores['peak_rss_mb']:.0f} |"
    )
    print(
        f"| scores table, 1,000 resamples | pandas groupby + numpy loop | {pandas['seconds']:.2f} | {pandas['peak_rss_mb']:.0f} |"
    )
    print()
    print(f"scores table speed-up over pandas+numpy: {pandas['seconds'] / scores['seconds']:.1f}x")


if __name__ == "__main__":
    main()
