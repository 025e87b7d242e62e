"""The harness: tasks, model adapters and the resumable runner."""

from assay.harness.runner import RunOutcome, run_id_for, run_task

__all__ = ["RunOutcome", "run_id_for", "run_task"]
