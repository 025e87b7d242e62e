"""Subsets as runnable task files, and the selection read back from a subset's items.

A subset task is the source task restricted to the selected items, under its own name.
Each selected item's metadata carries ``subset``: the selection method, its weight and
stratum, the source task, and, on the first selected item of each stratum, the ids of
every item of that stratum. The runner stores item metadata with the items, so the
selection can be rebuilt exactly from the store (``selection_from_items``) after the
subset has been run, without the task file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assay.analysis.subset._selection import Selection
from assay.errors import InputError
from assay.harness.tasks import Task, TaskItem

__all__ = ["selection_from_items", "subset_task", "write_task_file"]

_KEY = "subset"


def subset_task(
    task: Task,
    selection: Selection,
    *,
    name: str | None = None,
    source_metric: str | None = None,
) -> Task:
    """``task`` restricted to the selected items, with the selection in item metadata.

    The selection must have been made on ``task``'s items (every selected id must be
    one of them).
    """
    _check_task(task, "subset_task")
    if not isinstance(selection, Selection):
        raise InputError(
            f"the 'selection' parameter of subset_task must be a Selection; got "
            f"{type(selection).__name__}"
        )
    by_id = {it.item_id: it for it in task.items}
    missing = [i for i in selection.items if i not in by_id]
    if missing:
        raise InputError(
            f"{len(missing)} selected item(s) are not items of task {task.name!r} "
            f"(first: {missing[0]!r}); select on the task's own items"
        )
    members: dict[int, list[str]] = {}
    for item_id, s in zip(selection.item_ids, selection.strata.tolist(), strict=True):
        members.setdefault(int(s), []).append(item_id)
    digest = hashlib.sha256(json.dumps(selection.to_dict(), sort_keys=True).encode()).hexdigest()[
        :8
    ]
    seen_strata: set[int] = set()
    items: list[TaskItem] = []
    for pos, (idx, w) in enumerate(zip(selection.indices, selection.weights, strict=True)):
        s = int(selection.strata[idx])
        info: dict[str, Any] = {
            "method": selection.method,
            "weight": float(w),
            "stratum": s,
            "stratum_variance": (
                float(selection.stratum_variance[s])
                if s < selection.stratum_variance.size
                and np.isfinite(selection.stratum_variance[s])
                else None
            ),
            "order": pos,
            "n_items": selection.n_items,
            "source_task": task.name,
            "source_version": task.version,
            "source_metric": source_metric,
            "params": dict(selection.params),
            "selection": digest,
        }
        if s not in seen_strata:
            info["stratum_items"] = members[s]
            seen_strata.add(s)
        if pos == 0:
            # strata no selected item stands for (a budget below the number of strata)
            represented = {int(selection.strata[i]) for i in selection.indices}
            empty = {str(k): v for k, v in members.items() if k not in represented}
            if empty:
                info["other_strata"] = empty
        item = by_id[selection.item_ids[idx]]
        items.append(dataclasses.replace(item, metadata={**dict(item.metadata), _KEY: info}))
    return dataclasses.replace(
        task,
        name=name or f"{task.name}-subset",
        version=f"{task.version}-{selection.method}{selection.budget}-{digest}",
        items=tuple(items),
        few_shot_items=task.few_shot_items or (task.items if task.few_shot else ()),
        description=(
            f"{selection.budget} of {selection.n_items} items of {task.name} "
            f"(version {task.version}) selected by {selection.method}"
        ),
        metadata={**dict(task.metadata), _KEY: selection.signature},
    )


def write_task_file(task: Task, path: str | Path) -> Path:
    """Write ``task`` as an assay YAML task file (items inline) that ``load_task`` reads."""
    _check_task(task, "write_task_file")
    if not isinstance(path, str | PathLike):
        raise InputError(
            f"the 'path' parameter of write_task_file must be a file path; got "
            f"{type(path).__name__}"
        )
    path = Path(path)
    if path.suffix not in (".yaml", ".yml"):
        raise InputError(f"{path}: a subset task file must end in .yaml or .yml")
    if task.few_shot_items:
        raise InputError(
            f"task {task.name!r} takes few-shot examples from items outside the subset, "
            "which a task file cannot hold; use a task without few-shot examples"
        )
    doc: dict[str, Any] = {
        "name": task.name,
        "version": task.version,
        "kind": task.kind,
        "templates": dict(task.templates),
        "choice_prefix": task.choice_prefix,
        "few_shot": task.few_shot,
        "few_shot_seed": task.few_shot_seed,
        "prompt_format": task.prompt_format,
        "stop": list(task.stop),
        "max_tokens": task.max_tokens,
        "answer_pattern": task.answer_pattern,
        "metric": task.metric,
        "samples": task.samples,
        "temperature": task.temperature,
        "description": task.description,
        "metadata": _plain(task.metadata),
        "items": [
            {
                "id": it.item_id,
                "input": it.input,
                "target": it.target,
                **({"choices": list(it.choices)} if it.choices is not None else {}),
                "metadata": _plain(it.metadata),
            }
            for it in task.items
        ],
    }
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: write_task_file cannot write the task file: {exc}") from None
    return path


def _check_task(task: Any, caller: str) -> None:
    if not isinstance(task, Task):
        raise InputError(
            f"the 'task' parameter of {caller} must be a Task (see assay.harness.tasks."
            f"load_task); got {type(task).__name__}"
        )


def _plain(value: Any) -> Any:
    """Mappings and tuples as plain dicts and lists (YAML-safe)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


#: the subset metadata fields every selected item carries, and how each is read
_FIELDS: dict[str, Any] = {"order": int, "stratum": int, "weight": float, "n_items": int}


def _subset_info(item_id: str, info: Mapping[str, Any]) -> Mapping[str, Any]:
    """The item's subset metadata, its required fields checked to be present and readable."""
    for name, kind in _FIELDS.items():
        value = info.get(name)
        try:
            kind(value)
        except (TypeError, ValueError):
            raise InputError(
                f"item {item_id!r}: the subset metadata field {name!r} must be "
                f"{'an integer' if kind is int else 'a number'}; got {value!r}"
            ) from None
    ids = info.get("stratum_items")
    if ids is not None and (isinstance(ids, str) or not isinstance(ids, Sequence)):
        raise InputError(
            f"item {item_id!r}: the subset metadata field 'stratum_items' must be a list of "
            f"item ids; got {ids!r}"
        )
    other = info.get("other_strata")
    if other is not None and (
        not isinstance(other, Mapping) or not all(str(k).isdigit() for k in other)
    ):
        raise InputError(
            f"item {item_id!r}: the subset metadata field 'other_strata' must map strata "
            f"(integers) to item ids; got {other!r}"
        )
    variance = info.get("stratum_variance")
    if variance is not None and (
        isinstance(variance, bool) or not isinstance(variance, int | float)
    ):
        raise InputError(
            f"item {item_id!r}: the subset metadata field 'stratum_variance' must be a number "
            f"or null; got {variance!r}"
        )
    return info


def selection_from_items(items: Iterable[tuple[str, Mapping[str, Any] | None]]) -> Selection:
    """Rebuild the selection from a subset task's ``(item_id, metadata)`` pairs.

    Works on a loaded subset :class:`~assay.harness.tasks.Task` (``[(it.item_id,
    it.metadata) for it in task.items]``) and on the store's ``items`` rows of a run.
    """
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise InputError(
            "the 'items' parameter of selection_from_items must be (item_id, metadata) pairs; "
            f"got {type(items).__name__}"
        )
    entries = []
    for pair in items:
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise InputError(
                "the 'items' parameter of selection_from_items must be (item_id, metadata) "
                f"pairs; got {pair!r}"
            )
        item_id, meta = pair
        info = (meta or {}).get(_KEY) if isinstance(meta, Mapping) else None
        if not isinstance(info, Mapping):
            raise InputError(
                f"item {item_id!r} carries no subset metadata; was the task written by "
                "`assay subset select`?"
            )
        entries.append((str(item_id), _subset_info(str(item_id), info)))
    if not entries:
        raise InputError("no items to rebuild a subset selection from")
    digests = {e[1].get("selection") for e in entries}
    if len(digests) != 1:
        raise InputError(f"the items come from {len(digests)} different selections")
    entries.sort(key=lambda e: int(e[1]["order"]))
    strata_items: dict[int, list[str]] = {}
    for _, info in entries:
        if "stratum_items" in info:
            strata_items[int(info["stratum"])] = [str(x) for x in info["stratum_items"]]
        for k, ids in (info.get("other_strata") or {}).items():
            strata_items[int(k)] = [str(x) for x in ids]
    needed = {int(info["stratum"]) for _, info in entries}
    if needed - set(strata_items):
        raise InputError(
            "the subset metadata lacks the item list of stratum "
            f"{sorted(needed - set(strata_items))[0]}; the items are incomplete"
        )
    item_ids: list[str] = []
    strata: list[int] = []
    for s in sorted(strata_items):
        item_ids.extend(strata_items[s])
        strata.extend([s] * len(strata_items[s]))
    first = entries[0][1]
    if len(item_ids) != int(first["n_items"]):
        raise InputError(
            f"the subset metadata lists {len(item_ids)} items of the benchmark; "
            f"expected {first['n_items']}"
        )
    pos = {i: k for k, i in enumerate(item_ids)}
    n_strata = max(strata) + 1
    variance = np.full(n_strata, np.nan)
    for _, info in entries:
        v = info.get("stratum_variance")
        if v is not None:
            variance[int(info["stratum"])] = float(v)
    # strata are renumbered 0..k-1 in sorted order, already so when written by subset_task
    return Selection(
        method=str(first["method"]),
        item_ids=tuple(item_ids),
        indices=np.array([pos[i] for i, _ in entries], dtype=np.int64),
        weights=np.array([float(info["weight"]) for _, info in entries]),
        strata=np.asarray(strata, dtype=np.int64),
        stratum_variance=variance,
        params={
            **dict(first.get("params") or {}),
            "source_task": first.get("source_task"),
            "source_version": first.get("source_version"),
            "source_metric": first.get("source_metric"),
        },
    )
