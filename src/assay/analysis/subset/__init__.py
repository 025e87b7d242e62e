"""Small item subsets that stand in for whole benchmarks, with honest error bars.

Selectors (:class:`RandomSelector`, :class:`StratifiedSelector`, :class:`AnchorSelector`,
:class:`ColdStartSelector`) choose the items; :class:`ScoreEstimator` estimates a new
model's full-benchmark score from them (weighted mean, p-IRT, gp-IRT), each estimate
with an interval; :class:`AdaptiveTest` picks items one at a time by information;
:func:`subset_backtest` measures all of them on held-out models; :func:`hp_score` is the
hierarchical prompting score over ordered prompt variants.
"""

from assay.analysis.subset._adaptive import AdaptiveTest
from assay.analysis.subset._backtest import BacktestRow, SubsetBacktest, subset_backtest
from assay.analysis.subset._embed import embed_texts
from assay.analysis.subset._estimate import EstimatorMethod, ScoreEstimate, ScoreEstimator
from assay.analysis.subset._hpscore import HPT_PENALTIES, HPScoreCell, HPScores, hp_score
from assay.analysis.subset._selection import Selection
from assay.analysis.subset._selectors import (
    AnchorSelector,
    ColdStartSelector,
    RandomSelector,
    StratifiedSelector,
)
from assay.analysis.subset._stored import training_matrix
from assay.analysis.subset._taskfile import selection_from_items, subset_task, write_task_file

__all__ = [
    "HPT_PENALTIES",
    "AdaptiveTest",
    "AnchorSelector",
    "BacktestRow",
    "ColdStartSelector",
    "EstimatorMethod",
    "HPScoreCell",
    "HPScores",
    "RandomSelector",
    "ScoreEstimate",
    "ScoreEstimator",
    "Selection",
    "StratifiedSelector",
    "SubsetBacktest",
    "embed_texts",
    "hp_score",
    "selection_from_items",
    "subset_backtest",
    "subset_task",
    "training_matrix",
    "write_task_file",
]
