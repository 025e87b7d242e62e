"""The harness: tasks, model adapters and the resumable runner.

:func:`evaluate` runs one :class:`Unit` (an item under one prompt variant and sample
index) and returns the rows it adds to the store, for callers that schedule their own
units (PassUntil samples an item until it passes); :func:`run_task` runs a whole task.
"""

from assay.harness._evaluate import Unit, UnitResult, evaluate
from assay.harness.runner import RunOutcome, item_rows, run_id_for, run_task

__all__ = [
    "RunOutcome",
    "Unit",
    "UnitResult",
    "evaluate",
    "item_rows",
    "run_id_for",
    "run_task",
]
