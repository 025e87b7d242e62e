"""Per-item scorers and set-level metrics."""

from assay.metrics._choice import choice_accuracy
from assay.metrics._text import exact_match, extract_answer, normalize_answer

__all__ = ["choice_accuracy", "exact_match", "extract_answer", "normalize_answer"]
