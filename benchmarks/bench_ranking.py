"""Ranking benchmark: Bradley-Terry with 1,000 bootstrap rounds on 1 million simulated
battles among 100 models, assay against the Chatbot Arena procedure.

The Chatbot Arena procedure is written out here (after its public notebook and
``fastchat/serve/monitor/elo_analysis.py``): every bootstrap round re-draws the battle
rows with replacement (``DataFrame.sample(frac=1, replace=True)``) and refits a
scikit-learn ``LogisticRegression`` without intercept or penalty on a design matrix with
``+ln 10`` in model a's column and ``-ln 10`` in model b's, a tie counting as one win for
each side of a duplicated battle. Two variants:

``arena-pairs``
    the notebook's ``compute_mle_elo``: battles counted into ordered-pair win tables,
    one weighted row per (pair, outcome) (``sample_weight``), 2 * 100 * 99 rows. The
    design is built with numpy here rather than the notebook's Python double loop, which
    makes this baseline faster than the original.
``arena-rows``
    one design row per battle and copy (2 million x 100, dense), as in
    ``construct_style_matrices`` without the style columns.

Both are slow enough that only ``--arena-rounds`` / ``--row-rounds`` rounds are timed; the
time of 1,000 rounds is extrapolated linearly from the time per round (each round is an
independent refit of the same size, so the cost is linear in the number of rounds).

Each side runs in its own process so that its peak memory (ru_maxrss) is its own. The
``agree`` phase refits assay and the arena-pairs procedure on the same three resamples.

    .venv/bin/python benchmarks/bench_ranking.py [--battles 1000000] [--models 100]
        [--arena-rounds 20] [--row-rounds 2] [--workdir DIR]

Results go to stdout as Markdown (copy them into benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROUNDS = 1000
SCALE = 400.0
BASE = 1000.0
ARENA_WINNER = {"a": "model_a", "b": "model_b", "tie": "tie"}


def make_battles(path: Path, battles: int, models: int, seed: int = 0) -> None:
    """Random pairs among ``models`` models; a wins with probability sigmoid(s_a - s_b),
    ties (scored as half wins by both procedures) drawn at random 10% of the time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, 0.75, models)
    a = rng.integers(0, models, battles)
    b = (a + rng.integers(1, models, battles)) % models
    win = rng.random(battles) < 1.0 / (1.0 + np.exp(-(strength[a] - strength[b])))
    winner = np.where(rng.random(battles) < 0.1, "tie", np.where(win, "a", "b"))
    names = np.array([f"model-{i:03d}" for i in range(models)])
    pq.write_table(
        pa.table({"model_a": names[a], "model_b": names[b], "winner": winner}), path / "b.parquet"
    )


def _load(root: Path) -> Any:
    import pandas as pd

    return pd.read_parquet(root / "b.parquet")


# ------------------------------------------------------------------ the Arena procedure


def arena_pairs_fit(df: Any) -> Any:
    """Chatbot Arena's ``compute_mle_elo``: win tables, weighted logistic regression."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    def table(rows: Any) -> Any:
        return pd.pivot_table(
            rows, index="model_a", columns="model_b", aggfunc="size", fill_value=0
        ).reindex(index=models, columns=models, fill_value=0)

    models = sorted(set(df["model_a"]) | set(df["model_b"]))
    a_win = table(df[df["winner"] == "model_a"])
    b_win = table(df[df["winner"] == "model_b"])
    tie = table(df[df["winner"] == "tie"])
    # row i, column j: i's wins over j counted twice, plus their ties once each way
    wins = (a_win * 2 + b_win.T * 2 + tie + tie.T).to_numpy(dtype=np.float64)
    p = len(models)
    i, j = np.nonzero(~np.eye(p, dtype=bool))
    keep = (wins[i, j] + wins[j, i]) > 0
    i, j = i[keep], j[keep]
    n = len(i)
    x = np.zeros((2 * n, p))
    x[np.arange(2 * n), np.concatenate([i, i])] = math.log(10)
    x[np.arange(2 * n), np.concatenate([j, j])] = -math.log(10)
    y = np.concatenate([np.ones(n), np.zeros(n)])
    weight = np.concatenate([wins[i, j], wins[j, i]])
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-6)
    lr.fit(x, y, sample_weight=weight)
    return pd.Series(SCALE * lr.coef_[0] + BASE, index=models)


def arena_rows_fit(df: Any) -> Any:
    """One design row per battle and copy; a tie is an a-win in one copy, a b-win in the
    other (``construct_style_matrices`` without style columns)."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    models = sorted(set(df["model_a"]) | set(df["model_b"]))
    code = pd.Series(np.arange(len(models)), index=models)
    ia = code[df["model_a"]].to_numpy()
    ib = code[df["model_b"]].to_numpy()
    n = len(df)
    x = np.zeros((2 * n, len(models)))
    rows = np.arange(2 * n)
    x[rows, np.concatenate([ia, ia])] = math.log(10)
    x[rows, np.concatenate([ib, ib])] = -math.log(10)
    winner = df["winner"].to_numpy()
    y = np.zeros(2 * n)
    y[:n][winner == "model_a"] = 1.0
    y[n:][winner == "model_a"] = 1.0
    y[:n][winner == "tie"] = 1.0  # the tie's a-win copy; its second copy stays a b-win
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-6)
    lr.fit(x, y)
    return pd.Series(SCALE * lr.coef_[0] + BASE, index=models)


def _arena_phase(root: Path, fit: Any, rounds: int) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    df = _load(root)
    df["winner"] = df["winner"].map(ARENA_WINNER)
    t0 = time.perf_counter()
    point = fit(df)
    t_point = time.perf_counter() - t0
    rng = np.random.default_rng(42)
    boot = []
    t0 = time.perf_counter()
    for _ in range(rounds):
        boot.append(fit(df.sample(frac=1.0, replace=True, random_state=rng)))
    t_rounds = time.perf_counter() - t0
    frame = pd.DataFrame(boot)
    return {
        "point_seconds": t_point,
        "rounds": rounds,
        "round_seconds": t_rounds / max(1, rounds),
        "seconds_1000": t_point + t_rounds / max(1, rounds) * ROUNDS,
        "ratings": point.to_dict(),
        "sd": frame.std().to_dict(),
    }


def phase_arena_pairs(root: Path, rounds: int) -> dict[str, Any]:
    return _arena_phase(root, arena_pairs_fit, rounds)


def phase_arena_rows(root: Path, rounds: int) -> dict[str, Any]:
    return _arena_phase(root, arena_rows_fit, rounds)


# ------------------------------------------------------------------ assay


def phase_assay(root: Path, rounds: int) -> dict[str, Any]:
    from assay.analysis.ranking import BradleyTerry

    df = _load(root)
    t0 = time.perf_counter()
    bt = BradleyTerry().fit(df, bootstrap=ROUNDS, seed=0)
    elapsed = time.perf_counter() - t0
    r = bt.ratings_
    assert r.draws is not None
    t0 = time.perf_counter()
    BradleyTerry().fit(df, bootstrap=0)
    t_point = time.perf_counter() - t0
    return {
        "seconds_1000": elapsed,
        "point_seconds": t_point,
        "ratings": {e.model: e.rating for e in r.entries},
        "sd": dict(zip(r.models, r.draws.std(axis=0, ddof=1).tolist(), strict=True)),
        "ci_width": float(sum(e.ci_high - e.ci_low for e in r.entries) / len(r)),  # type: ignore[operator]
    }


def phase_agree(root: Path, rounds: int) -> dict[str, Any]:
    """assay and the arena-pairs fit on the same resamples (3 rounds)."""
    import numpy as np

    from assay.analysis.ranking import BradleyTerry

    df = _load(root)
    arena_df = df.assign(winner=df["winner"].map(ARENA_WINNER))
    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(3):
        idx = rng.integers(0, len(df), len(df))
        ours = BradleyTerry().fit(df.iloc[idx], bootstrap=0).ratings_
        theirs = arena_pairs_fit(arena_df.iloc[idx])
        mine = {e.model: e.rating for e in ours.entries}
        worst = max(worst, _max_diff(mine, theirs.to_dict()))
    return {"max_diff": worst}


def _max_diff(x: dict[str, float], y: dict[str, float]) -> float:
    """Largest rating difference after centring both on their means (same models)."""
    mx = sum(x.values()) / len(x)
    my = sum(y[k] for k in x) / len(x)
    return max(abs((x[k] - mx) - (y[k] - my)) for k in x)


PHASES = {
    "assay": phase_assay,
    "arena-pairs": phase_arena_pairs,
    "arena-rows": phase_arena_rows,
    "agree": phase_agree,
}


def run_phase(name: str, root: Path, rounds: int) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            name,
            "--workdir",
            str(root),
            "--phase-rounds",
            str(rounds),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--battles", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--arena-rounds", type=int, default=20)
    parser.add_argument("--row-rounds", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--phase", choices=sorted(PHASES), default=None)
    parser.add_argument("--phase-rounds", type=int, default=0)
    args = parser.parse_args()

    if args.phase:
        result = PHASES[args.phase](args.workdir, args.phase_rounds)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    root = args.workdir or Path(tempfile.mkdtemp(prefix="assay-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        make_battles(root, args.battles, args.models)
        ours = run_phase("assay", root, ROUNDS)
        pairs = run_phase("arena-pairs", root, args.arena_rounds)
        rows = run_phase("arena-rows", root, args.row_rounds) if args.row_rounds else None
        agree = run_phase("agree", root, 3)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)

    print(f"battles: {args.battles:,} among {args.models} models, {ROUNDS:,} bootstrap rounds")
    print()
    print("| procedure | rounds timed | s per round | s for point + 1,000 rounds | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| assay `BradleyTerry().fit(df, bootstrap=1000)` | 1,000 | "
        f"{(ours['seconds_1000'] - ours['point_seconds']) / ROUNDS:.4f} | "
        f"{ours['seconds_1000']:.1f} | {ours['peak_rss_mb']:.0f} |"
    )
    for name, res in (("arena-pairs", pairs), ("arena-rows", rows)):
        if res is None:
            continue
        print(
            f"| Chatbot Arena, {name} (sklearn) | {res['rounds']} | {res['round_seconds']:.3f} | "
            f"{res['seconds_1000']:.0f} (extrapolated) | {res['peak_rss_mb']:.0f} |"
        )
    print()
    print(f"speed-up over arena-pairs: {pairs['seconds_1000'] / ours['seconds_1000']:.0f}x")
    if rows is not None:
        print(f"speed-up over arena-rows: {rows['seconds_1000'] / ours['seconds_1000']:.0f}x")
    print(
        "max |rating difference|, full-data fits (Elo points): "
        f"arena-pairs {_max_diff(ours['ratings'], pairs['ratings']):.4f}"
        + (f", arena-rows {_max_diff(ours['ratings'], rows['ratings']):.4f}" if rows else "")
    )
    print(f"max |rating difference| on the same 3 resamples (arena-pairs): {agree['max_diff']:.4f}")
    sd_ratio = [ours["sd"][m] / pairs["sd"][m] for m in ours["sd"]]
    print(
        f"bootstrap sd ratio assay / arena-pairs ({pairs['rounds']} rounds) over models: "
        f"median {sorted(sd_ratio)[len(sd_ratio) // 2]:.2f}, "
        f"range {min(sd_ratio):.2f}-{max(sd_ratio):.2f}"
    )
    print(f"assay mean 95% interval width: {ours['ci_width']:.1f} Elo points")


if __name__ == "__main__":
    main()
