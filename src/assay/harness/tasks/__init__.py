"""Tasks: the specification, loaders and the built-in generated tasks."""

from assay.harness.tasks._load import load_task
from assay.harness.tasks._spec import PromptFormat, Task, TaskItem, TaskKind
from assay.harness.tasks.bigbench import load_bigbench
from assay.harness.tasks.builtin import BUILTIN_TASKS, builtin_task

__all__ = [
    "BUILTIN_TASKS",
    "PromptFormat",
    "Task",
    "TaskItem",
    "TaskKind",
    "builtin_task",
    "load_bigbench",
    "load_task",
]
