"""Statistics over stored item rows: intervals, paired comparisons, power."""

from assay.analysis.stats._scores import PRIMARY_METRICS, ScoreCell, ScoresTable, scores_table

__all__ = ["PRIMARY_METRICS", "ScoreCell", "ScoresTable", "scores_table"]
