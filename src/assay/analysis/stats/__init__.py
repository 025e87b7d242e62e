"""Statistics over stored item rows: intervals, paired comparisons, power."""

from assay.analysis.stats._compare import (
    Comparison,
    TaskComparison,
    compare,
    rank_models,
    seed_variance,
)
from assay.analysis.stats._inputs import ConfidenceInterval
from assay.analysis.stats._interval import BootstrapInterval, bootstrap_interval, standard_error
from assay.analysis.stats._multiple import AdjustedPValues, adjust_pvalues
from assay.analysis.stats._paired import (
    PairedTest,
    mcnemar_test,
    paired_bootstrap,
    paired_bootstrap_many,
    paired_permutation_test,
    sign_test,
)
from assay.analysis.stats._power import PowerAnalysis, items_needed, minimum_detectable_difference
from assay.analysis.stats._rank import ModelRank, RankTable, rank_intervals
from assay.analysis.stats._scores import PRIMARY_METRICS, ScoreCell, ScoresTable, scores_table
from assay.analysis.stats._variance import VarianceComponents, variance_components

__all__ = [
    "PRIMARY_METRICS",
    "AdjustedPValues",
    "BootstrapInterval",
    "Comparison",
    "ConfidenceInterval",
    "ModelRank",
    "PairedTest",
    "PowerAnalysis",
    "RankTable",
    "ScoreCell",
    "ScoresTable",
    "TaskComparison",
    "VarianceComponents",
    "adjust_pvalues",
    "bootstrap_interval",
    "compare",
    "items_needed",
    "mcnemar_test",
    "minimum_detectable_difference",
    "paired_bootstrap",
    "paired_bootstrap_many",
    "paired_permutation_test",
    "rank_intervals",
    "rank_models",
    "scores_table",
    "seed_variance",
    "sign_test",
    "standard_error",
    "variance_components",
]
