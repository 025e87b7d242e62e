"""Prediction: scaling fits, observational scaling, COD, PassUntil, per-choice
probability analysis and training monitoring."""

from assay.analysis.predict._backtest import BACKTEST_METHODS, Backtest, backtest
from assay.analysis.predict._choice import (
    CHOICE_METRICS,
    ChoiceAnalysis,
    choice_analysis,
    choice_metrics,
    kendall_tau_rows,
)
from assay.analysis.predict._cod import COD, CODPrediction, cod_curve, mean_shift
from assay.analysis.predict._ensemble import StackedEnsemble
from assay.analysis.predict._ladder import (
    Skipped,
    check_ladders,
    doubtful_ladders,
    resolve_compute,
    scaling_frame,
)
from assay.analysis.predict._monitor import Monitor, monitor_checkpoints
from assay.analysis.predict._observational import ObservationalScaling
from assay.analysis.predict._passuntil import (
    PassUntilItem,
    PassUntilResult,
    PassUntilScaling,
    estimate_pass_until,
    pass_until,
)
from assay.analysis.predict._scaling import PredictedScore, ScalingLaw, ScalingPrediction

__all__ = [
    "BACKTEST_METHODS",
    "CHOICE_METRICS",
    "COD",
    "Backtest",
    "CODPrediction",
    "ChoiceAnalysis",
    "Monitor",
    "ObservationalScaling",
    "PassUntilItem",
    "PassUntilResult",
    "PassUntilScaling",
    "PredictedScore",
    "ScalingLaw",
    "ScalingPrediction",
    "Skipped",
    "StackedEnsemble",
    "backtest",
    "check_ladders",
    "choice_analysis",
    "choice_metrics",
    "cod_curve",
    "doubtful_ladders",
    "estimate_pass_until",
    "kendall_tau_rows",
    "mean_shift",
    "monitor_checkpoints",
    "pass_until",
    "resolve_compute",
    "scaling_frame",
]
