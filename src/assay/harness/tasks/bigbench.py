"""Loading a BIG-bench JSON task (``task.json``) as an assay :class:`Task`.

A BIG-bench JSON task is one object: ``examples`` (required) and optional prompt settings
(``task_prefix``, ``example_input_prefix``, ``example_output_prefix``, ``choice_prefix``,
``append_choices_to_input``, ``few_shot_example_separator``, ``output_regex``,
``stop_string``) beside descriptive keys (``canary``, ``name``, ``description``,
``keywords``, ``metrics``, ``preferred_score``, ...). An example has an ``input`` and either
``target_scores`` (``{choice: score}``, multiple choice) or ``target`` (a string or a list
of acceptable strings, generation), and optionally a ``comment``.

The zero-shot prompt is BIG-bench's::

    task_prefix + example_input_prefix + input [+ choices] + example_output_prefix

with BIG-bench's defaults (``"\\nQ: "``, ``"\\nA: "``, ``"\\n  choice: "``). For multiple
choice with ``append_choices_to_input`` (the default) the choices are appended to the item's
input, each after ``choice_prefix``, as BIG-bench appends them to the example's input;
they are listed in the file's key order (BIG-bench shows a seeded random permutation,
which depends on its own random-number calls and is not reproduced). Each choice is
scored as the continuation right after ``example_output_prefix`` (``choice_prefix`` of the
task is empty). Every setting, default or given, is recorded in the task's metadata under
``"loader"``.

Differences from BIG-bench's own evaluation, all recorded or visible in the task:

- Duplicate examples (identical JSON) are dropped as BIG-bench drops them; the indices of
  the dropped ones are listed in ``metadata["loader"]["duplicate_examples"]``.
- Generation is graded by exact match against the first target; every acceptable target
  is kept in the item's ``metadata["targets"]``. ``stop_string`` stops the generation
  (so it is not part of the answer); ``output_regex``, or BIG-bench's default answer
  pattern when neither is given, extracts the answer.
- Multiple choice is graded by accuracy against the first highest-scoring choice; all
  choices sharing the highest score are in ``metadata["correct_choices"]`` and the scores
  in ``metadata["target_scores"]``, from which BIG-bench's ``multiple_choice_grade`` can
  be recomputed.
- Few-shot prompting is not set up (BIG-bench chooses the number of shots at evaluation
  time); ``few_shot_example_separator`` is recorded only.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from assay.errors import FormatError, InputError
from assay.harness.tasks._spec import Task, TaskItem, TaskKind

__all__ = ["load_bigbench"]

#: BIG-bench's defaults for the prompt settings a task.json may leave out
_DEFAULTS: dict[str, Any] = {
    "task_prefix": "",
    "example_input_prefix": "\nQ: ",
    "example_output_prefix": "\nA: ",
    "choice_prefix": "\n  choice: ",
    "append_choices_to_input": True,
    "few_shot_example_separator": "\n",
}
#: BIG-bench's answer pattern when a task gives neither ``output_regex`` nor ``stop_string``:
#: the first run of characters up to a sentence end or a line break
_DEFAULT_OUTPUT_REGEX = r"[^\.\?\!\;\n]+"
_EXAMPLE_KEYS = ("input", "target", "target_scores", "comment")


def load_bigbench(path: Path, *, name: str | None = None) -> Task:
    """A task from a BIG-bench JSON task file.

    Parameters
    ----------
    path
        The ``task.json`` file of one BIG-bench JSON task (for a task split into subtasks,
        the ``task.json`` of one subtask).
    name
        The task's name; by default the file's ``name`` field, else its directory's name.

    Returns
    -------
    Task
        ``"multiple_choice"`` when the examples have ``target_scores``, ``"generation"``
        when they have ``target``; one item per distinct example, with id the example's
        0-based index zero-padded to the width of the largest index (``"07"``), template
        ``"default"`` as described in the module docstring, version the file's ``version``
        or ``"1"``. Task metadata: every top-level key but ``examples`` and ``"loader"``
        (the prompt settings in force, the dropped duplicates). Item metadata: ``idx``,
        ``comment`` when given, any other key of the example, and ``target_scores`` and
        ``correct_choices`` (multiple choice) or ``targets`` (generation).

    Raises
    ------
    FormatError
        The file is not JSON, or a field is missing or of the wrong type; the error names
        the field (``examples[3].target_scores``) and, for invalid JSON, the line.
    """
    path = Path(path)
    doc = _read(path)
    settings = _settings(path, doc)
    examples = doc.get("examples")
    if not isinstance(examples, list) or not examples:
        raise FormatError(
            path,
            "a BIG-bench JSON task needs a non-empty `examples` list (a task split into "
            "subtasks keeps its examples in each subtask's task.json: load one of those)",
            field="examples",
        )
    kept, duplicates = _examples(path, examples)
    kind = _kind(path, kept)
    width = len(str(len(examples) - 1))
    items = tuple(_item(path, i, ex, kind, settings, item_id=str(i).zfill(width)) for i, ex in kept)
    task_name = name or _text(path, doc, "name", "") or path.resolve().parent.name
    metadata = {k: v for k, v in doc.items() if k != "examples"}
    metadata["loader"] = {
        "format": "bigbench",
        "settings": settings,
        "duplicate_examples": duplicates,
    }
    fields: dict[str, Any] = {}
    if kind == "generation":
        regex = settings["output_regex"]
        stop = settings["stop_string"]
        fields["answer_pattern"] = regex or ("" if stop else _DEFAULT_OUTPUT_REGEX)
        fields["stop"] = (stop,) if stop else ()
        fields["metric"] = "exact_match"
    else:
        fields["choice_prefix"] = ""
    template = (
        _escape(settings["task_prefix"] + settings["example_input_prefix"])
        + "{input}"
        + _escape(settings["example_output_prefix"])
    )
    try:
        return Task(
            name=task_name,
            version=str(doc.get("version", "1")),
            kind=kind,
            items=items,
            templates={"default": template},
            description=_text(path, doc, "description", ""),
            metadata=metadata,
            **fields,
        )
    except InputError as exc:
        raise FormatError(path, str(exc)) from exc


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FormatError(path, "no such BIG-bench task file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"not UTF-8 text: {exc}") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(path, f"invalid JSON: {exc.msg}", line=exc.lineno) from exc
    if not isinstance(doc, dict):
        raise FormatError(
            path, f"expected a JSON object at the top level; got {type(doc).__name__}"
        )
    return doc


def _text(path: Path, doc: dict[str, Any], key: str, default: str) -> str:
    value = doc.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise FormatError(
            path, f"must be a string; got {type(value).__name__} {value!r}", field=key
        )
    return value


def _settings(path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """The prompt settings in force: the file's, else BIG-bench's defaults."""
    settings: dict[str, Any] = {}
    for key, default in _DEFAULTS.items():
        if isinstance(default, bool):
            value = doc.get(key, default)
            if not isinstance(value, bool):
                raise FormatError(path, f"must be true or false; got {value!r}", field=key)
            settings[key] = value
        else:
            settings[key] = _text(path, doc, key, default)
    settings["stop_string"] = _text(path, doc, "stop_string", "")
    regex = _text(path, doc, "output_regex", "")
    if regex:
        try:
            groups = re.compile(regex).groups
        except re.error as exc:
            raise FormatError(
                path, f"not a valid regular expression: {exc}", field="output_regex"
            ) from exc
        if groups > 1:
            raise FormatError(
                path,
                f"{regex!r} has {groups} capturing groups; at most one is allowed (make the "
                "others non-capturing: (?:...))",
                field="output_regex",
            )
    settings["output_regex"] = regex
    return settings


def _examples(
    path: Path, examples: list[Any]
) -> tuple[list[tuple[int, dict[str, Any]]], list[int]]:
    """The examples with their indices, each an object with a string ``input`` and a
    ``target`` or ``target_scores``, duplicates (identical JSON) dropped; and the indices
    of the dropped ones."""
    seen: set[str] = set()
    kept: list[tuple[int, dict[str, Any]]] = []
    dropped: list[int] = []
    for i, ex in enumerate(examples):
        if not isinstance(ex, dict):
            raise FormatError(
                path,
                "an example must be an object with `input` and `target` or "
                f"`target_scores`; got {type(ex).__name__}",
                field=f"examples[{i}]",
            )
        value = ex.get("input")
        if not isinstance(value, str):
            problem = "is missing" if value is None else f"must be a string; got {value!r}"
            raise FormatError(
                path, f"the example's `input` {problem}", field=f"examples[{i}].input"
            )
        if "target" not in ex and "target_scores" not in ex:
            raise FormatError(
                path,
                "the example has neither `target` (generation) nor `target_scores` "
                "(multiple choice)",
                field=f"examples[{i}].target",
            )
        key = json.dumps(ex, sort_keys=True, ensure_ascii=False)
        if key in seen:
            dropped.append(i)
            continue
        seen.add(key)
        kept.append((i, ex))
    return kept, dropped


def _kind(path: Path, examples: list[tuple[int, dict[str, Any]]]) -> TaskKind:
    """``"multiple_choice"`` when every example has target_scores, ``"generation"`` when
    none has; a task mixing the two is rejected at its first odd example."""
    first_index, first = examples[0]
    kind: TaskKind = "multiple_choice" if "target_scores" in first else "generation"
    for i, ex in examples:
        this = "multiple_choice" if "target_scores" in ex else "generation"
        if this != kind:
            raise FormatError(
                path,
                f"example {first_index} is {kind.replace('_', ' ')} but this one is "
                f"{this.replace('_', ' ')}; a task mixing examples with and without "
                "`target_scores` is not supported: split it into two task files",
                field=f"examples[{i}]",
            )
    return kind


def _targets(path: Path, i: int, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(t, str) for t in value):
        return list(value)
    raise FormatError(
        path,
        f"`target` must be a string or a non-empty list of strings; got {value!r}",
        field=f"examples[{i}].target",
    )


def _scores(path: Path, i: int, value: Any) -> dict[str, float]:
    field = f"examples[{i}].target_scores"
    if not isinstance(value, dict) or len(value) < 2:
        raise FormatError(
            path,
            f"`target_scores` must be an object of at least two choices and their "
            f"scores; got {value!r}",
            field=field,
        )
    bad = {
        k: v
        for k, v in value.items()
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
    }
    if bad:
        raise FormatError(path, f"every score must be a finite number; got {bad}", field=field)
    return value


def _item(
    path: Path,
    i: int,
    ex: dict[str, Any],
    kind: TaskKind,
    settings: dict[str, Any],
    *,
    item_id: str,
) -> TaskItem:
    raw_input: str = ex["input"]
    metadata: dict[str, Any] = {k: v for k, v in ex.items() if k not in _EXAMPLE_KEYS}
    metadata["idx"] = i
    if "comment" in ex:
        metadata["comment"] = ex["comment"]
    if "target" in ex:
        metadata["targets"] = _targets(path, i, ex["target"])
    if kind == "generation":
        return TaskItem(
            item_id=item_id, input=raw_input, target=metadata["targets"][0], metadata=metadata
        )
    scores = _scores(path, i, ex["target_scores"])
    choices = tuple(scores)
    best = max(scores.values())
    correct = [c for c in choices if scores[c] == best]
    metadata["target_scores"] = scores
    metadata["correct_choices"] = correct
    text = raw_input
    if settings["append_choices_to_input"]:
        prefix = settings["choice_prefix"]
        text += prefix + prefix.join(choices)
    return TaskItem(
        item_id=item_id, input=text, target=correct[0], choices=choices, metadata=metadata
    )


def _escape(literal: str) -> str:
    """``literal`` as text of a ``str.format`` template: braces doubled."""
    return literal.replace("{", "{{").replace("}", "}}")
