"""IRT benchmark: 2PL on simulated dense binary matrices, assay against girth and py-irt.

Data: abilities ``theta ~ N(0, 1)``, discriminations ``a ~ U(0.5, 2.5)``, difficulties on
the ability scale ``d ~ N(0, 1)``; ``P(correct) = sigmoid(a (theta - d))``, i.e. assay's
slope-intercept form with ``b = a d``. Every tool fits the same 0/1 matrix with its
default options:

``assay``
    ``IRT(model="2pl").fit(Y)`` (joint MAP, alternating vectorised Newton sweeps).
``girth-mml``
    ``girth.twopl_mml(Y.T)`` (marginal ML with quadrature; items x participants input).
``py-irt``
    ``IrtModelTrainer`` with ``IrtConfig(model_type="2pl")`` (pyro SVI, hierarchical
    priors, 2,000 epochs, lr 0.1) on CPU.

Each tool runs in its own process (its own peak memory, ru_maxrss) with a time limit
(``--timeout``, 600 s = the issue's "within 10 minutes"); a tool that hits the limit at
one size, or whose time at the previous size scaled linearly by the number of cells
exceeds the limit, is not run at larger sizes. Recovery is the Pearson correlation with the truth
of abilities, discriminations, and difficulties (ability-scale ``d`` and intercept
``b = a d``).

    .venv/bin/python benchmarks/bench_irt.py [--sizes 200x2000,1000x20000]
        [--tools assay,girth-mml,py-irt] [--timeout 600] [--workdir DIR]

Results go to stdout as Markdown (copy them into benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOOLS = ("assay", "girth-mml", "py-irt")


def simulate(path: Path, n_models: int, n_items: int, seed: int = 0) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n_models)
    a = rng.uniform(0.5, 2.5, n_items)
    d = rng.normal(size=n_items)
    Y = np.empty((n_models, n_items), dtype=np.int8)
    for start in range(0, n_models, 100):  # bounded memory while simulating
        z = a * (theta[start : start + 100, None] - d)
        Y[start : start + 100] = rng.random(z.shape) < 1 / (1 + np.exp(-z))
    np.savez(path, Y=Y, theta=theta, a=a, d=d)


def _fit(tool: str, Y: Any) -> dict[str, Any]:
    """Fit and return ability, discrimination and ability-scale difficulty."""
    import numpy as np

    if tool == "assay":
        from assay.analysis.irt import IRT

        irt = IRT(model="2pl").fit(Y.astype(np.float64))
        a = irt.discrimination_[:, 0]
        return {"ability": irt.ability_[:, 0], "a": a, "b": irt.difficulty_, "iters": irt.n_iter_}
    if tool == "girth-mml":
        import girth

        res = girth.twopl_mml(Y.T.astype(int))
        a, d = np.asarray(res["Discrimination"]), np.asarray(res["Difficulty"])
        return {"ability": np.asarray(res["Ability"]), "a": a, "b": a * d}
    if tool == "py-irt":
        import pandas as pd
        from py_irt.config import IrtConfig
        from py_irt.dataset import Dataset
        from py_irt.training import IrtModelTrainer

        cols = [f"i{k}" for k in range(Y.shape[1])]
        frame = pd.DataFrame(Y.astype(int), columns=cols)
        frame.insert(0, "subject", [f"m{k}" for k in range(Y.shape[0])])
        data = Dataset.from_pandas(frame, subject_column="subject", item_columns=cols)
        trainer = IrtModelTrainer(
            data_path=None,
            config=IrtConfig(model_type="2pl", seed=0),
            dataset=data,
            verbose=False,
        )
        trainer.train(device="cpu")
        p = trainer.last_params
        item_pos = {v: int(k) for k, v in p["item_ids"].items()}
        subj_pos = {v: int(k) for k, v in p["subject_ids"].items()}
        ia = np.array([item_pos[c] for c in cols])
        sa = np.array([subj_pos[f"m{k}"] for k in range(Y.shape[0])])
        a = np.asarray(p["disc"])[ia]
        d = np.asarray(p["diff"])[ia]
        return {"ability": np.asarray(p["ability"])[sa], "a": a, "b": a * d}
    raise SystemExit(f"unknown tool {tool}")


def _import(tool: str) -> None:
    import importlib

    for name in {
        "assay": ["assay.analysis.irt"],
        "girth-mml": ["girth"],
        "py-irt": ["py_irt.training", "py_irt.dataset", "py_irt.config"],
    }.get(tool, []):
        importlib.import_module(name)


def worker(tool: str, data: Path, out: Path) -> None:
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    z = np.load(data)
    Y = z["Y"]
    _import(tool)  # import time is not fit time
    start = time.perf_counter()
    res = _fit(tool, Y)
    seconds = time.perf_counter() - start
    theta, a, d = z["theta"], z["a"], z["d"]

    def corr(x: Any, y: Any) -> float:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        return float(np.corrcoef(x[ok], y[ok])[0, 1])

    with np.errstate(all="ignore"):
        d_hat = res["b"] / res["a"]
    out.write_text(
        json.dumps(
            {
                "tool": tool,
                "seconds": seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "r_ability": corr(res["ability"], theta),
                "r_a": corr(res["a"], a),
                "r_d": corr(d_hat, d),
                "r_b": corr(res["b"], a * d),
                "iters": res.get("iters"),
            }
        )
    )


def run(tool: str, data: Path, workdir: Path, timeout: float) -> dict[str, Any]:
    out = workdir / f"{tool}-{data.stem}.json"
    cmd = [sys.executable, __file__, "--worker", tool, "--data", str(data), "--out", str(out)]
    start = time.perf_counter()
    try:
        subprocess.run(cmd, check=True, timeout=timeout, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    except subprocess.TimeoutExpired:
        return {"tool": tool, "timeout": True, "seconds": time.perf_counter() - start}
    except subprocess.CalledProcessError as exc:
        return {"tool": tool, "error": f"exit {exc.returncode}"}
    return dict(json.loads(out.read_text()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="200x2000,1000x20000")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--worker", default=None)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.out)
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_irt_"))
    workdir.mkdir(parents=True, exist_ok=True)
    tools = [t for t in args.tools.split(",") if t]
    gave_up: set[str] = set()
    rows = []
    try:
        for size in args.sizes.split(","):
            m, n = (int(x) for x in size.lower().split("x"))
            data = workdir / f"sim_{m}x{n}.npz"
            simulate(data, m, n)
            for tool in tools:
                if tool in gave_up:
                    rows.append({"size": size, "tool": tool, "skipped": True})
                    continue
                # the fit costs at least linear time in the cells: skip a run that the
                # previous size already shows cannot finish within the limit
                prev = [r for r in rows if r["tool"] == tool and "r_a" in r]
                if prev and tool != "assay":
                    pm, pn = (int(x) for x in prev[-1]["size"].lower().split("x"))
                    guess = prev[-1]["seconds"] * (m * n) / (pm * pn)
                    if guess > args.timeout:
                        rows.append({"size": size, "tool": tool, "extrapolated": guess})
                        continue
                res = run(tool, data, workdir, args.timeout)
                res["size"] = size
                rows.append(res)
                print(json.dumps(res), file=sys.stderr, flush=True)
                if res.get("timeout") or res.get("error"):
                    gave_up.add(tool)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        "| size (models x items) | tool | time (s) | peak MB | r ability | r discrimination "
        "| r difficulty (d) | r intercept (b) | assay speed-up |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if "extrapolated" in row:
            print(
                f"| {row['size']} | {row['tool']} | not run: >= {row['extrapolated']:.0f} "
                "extrapolated linearly from the smaller size | | | | | | |"
            )
            continue
        if row.get("skipped"):
            print(
                f"| {row['size']} | {row['tool']} | not run (over the limit at a smaller "
                "size) | | | | | | |"
            )
            continue
        if row.get("timeout"):
            print(f"| {row['size']} | {row['tool']} | > {args.timeout:.0f} (stopped) | | | | | | |")
            continue
        if row.get("error"):
            print(f"| {row['size']} | {row['tool']} | {row['error']} | | | | | | |")
            continue
        ours = next(r for r in rows if r["size"] == row["size"] and r["tool"] == "assay")
        speed = row["seconds"] / ours["seconds"] if "seconds" in ours else float("nan")
        print(
            f"| {row['size']} | {row['tool']} | {row['seconds']:.1f} | {row['peak_mb']:.0f} | "
            f"{row['r_ability']:.4f} | {row['r_a']:.4f} | {row['r_d']:.4f} | {row['r_b']:.4f} | "
            f"{'-' if row['tool'] == 'assay' else f'{speed:.0f}x'} |"
        )


if __name__ == "__main__":
    main()
