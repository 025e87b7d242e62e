"""Leave-one-model-out backtests on real item-level matrices (ChemBench, arena-bench-v1).

Budgets 25, 50, 100; every selector x estimator beside random sampling with the same
budget (500 random subsets per held-out model and budget). Selector seeds: 2 per
held-out model (kept small so the file runs in well under a minute).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from assay.analysis.subset import subset_backtest

pytestmark = pytest.mark.shared_data

HAVE_IRT = importlib.util.find_spec("assay.analysis.irt") is not None
BASE = (("stratified", "mean"), ("anchor", "mean"))
IRT_METHODS = (
    ("random", "pirt"),
    ("random", "gpirt"),
    ("anchor", "gpirt"),
    ("anchor-irt", "gpirt"),
)


def chembench(shared_data) -> np.ndarray:
    df = pd.read_csv(shared_data / "item_level_matrices" / "chembench_binary_long.csv.gz")
    return df.pivot_table(index="model", columns="item_id", values="score").to_numpy()


def arena(shared_data) -> np.ndarray:
    df = pd.read_csv(
        shared_data / "item_level_matrices" / "arena_bench_v1_single_grades_long.csv.gz"
    )
    # grades 1-10 -> [0, 1]; gpt-3.5-turbo's two judgment files are averaged per question
    wide = df.pivot_table(index="model", columns="item_id", values="score", aggfunc="mean")
    return ((wide - 1) / 9).to_numpy()


# ChemBench has items every model gets wrong: the IRT fits say so (and set them aside)
@pytest.mark.filterwarnings("ignore:IRT.fit left:assay.errors.DegenerateDataWarning")
@pytest.mark.parametrize("dataset", ["chembench", "arena"])
def test_backtest_beats_random_sampling(shared_data, dataset):
    Y = chembench(shared_data) if dataset == "chembench" else arena(shared_data)
    methods = BASE + (IRT_METHODS if HAVE_IRT else ())
    res = subset_backtest(Y, budgets=(25, 50, 100), methods=methods, seeds=(0, 1))
    print(f"\n{dataset}: {Y.shape}")
    print(res.to_pandas().sort_values(["budget", "mae"]).to_string(index=False))
    for b in (25, 50, 100):
        assert res.best(b).mae < res.random_mae[b]
    # every interval is reported with its coverage; the weighted mean's is near nominal
    for r in res.rows:
        if r.estimator == "mean":
            assert r.coverage >= 0.8, r
    if dataset == "chembench":
        # the target (met by anchor points alone: 0.0236 vs 0.0373, 0.63x)
        assert res.best(100).mae <= 0.7 * res.random_mae[100]
