"""Leaderboard smells: what makes a published ranking misleading, with the rows at fault.

Each check returns the rows of the store (or of the leaderboard) that cause the smell, so a
report can be acted on. Every smell is filed under one of the eight smell types of Zhao et
al. (LBOps); the mapping of these concrete checks onto the types is assay's choice, since
the paper's own definitions were not available.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from assay._display import TableView
from assay._version import __version__
from assay.analysis.stats._inputs import check_store
from assay.errors import InputError
from assay.report._leaderboard import Leaderboard, task_groups
from assay.store import Store

__all__ = ["SMELLS", "LintReport", "Smell", "SmellCode", "lint_leaderboard"]

SmellCode = Literal[
    "no-interval",
    "non-separable",
    "mismatched-settings",
    "missing-provenance",
    "duplicate-model",
    "stale-task-version",
    "different-items",
    "incomplete-aggregate",
    "contamination",
]

#: code -> (LBOps smell type, what it means)
SMELLS: dict[str, tuple[str, str]] = {
    "no-interval": (
        "Missing Entity",
        "a score is ranked without an interval (reported aggregate without stderr and no "
        "item rows to compute one)",
    ),
    "non-separable": (
        "Misdisplayed Entity",
        "adjacent ranks whose paired difference interval contains 0: the order is not "
        "supported by the data",
    ),
    "mismatched-settings": (
        "Mismatched Entity",
        "models on one task were evaluated under different settings (shots, prompt "
        "variant, template, max tokens)",
    ),
    "missing-provenance": (
        "Missing Entity",
        "a run behind a number lacks its time, its code identity or its data identity",
    ),
    "duplicate-model": (
        "Redundant Entity",
        "two model ids name the same model (an alias) or have identical item scores",
    ),
    "stale-task-version": (
        "Deprecated Entity",
        "a score comes from an older version of the task than the newest stored",
    ),
    "different-items": (
        "Mismatched Entity",
        "models on one task were scored on different item subsets",
    ),
    "incomplete-aggregate": (
        "Missing Entity",
        "a group aggregate averages components that are missing for some models",
    ),
    "contamination": (
        "Mismatched Entity",
        "a score is flagged as suspected contamination",
    ),
}

_SETTING_KEYS = {
    "shots": ("num_fewshot", "n_shot", "fewshot", "shots"),
    "max_tokens": ("max_tokens", "max_gen_toks", "max_new_tokens", "max_length"),
    "template": ("chat_template_sha", "template", "doc_to_text", "prompt_template"),
}


@dataclass(frozen=True)
class Smell:
    """One smell found, with the rows that cause it."""

    code: SmellCode
    message: str
    rows: tuple[dict[str, Any], ...]

    @property
    def kind(self) -> str:
        """The LBOps smell type."""
        return SMELLS[self.code][0]


@dataclass(frozen=True)
class LintReport(TableView):
    """Every smell found in a leaderboard."""

    smells: tuple[Smell, ...]
    signature: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.smells

    def codes(self) -> set[str]:
        return {s.code for s in self.smells}

    def to_dict(self) -> dict[str, Any]:
        return {
            "smells": [
                {"code": s.code, "kind": s.kind, "message": s.message, "rows": list(s.rows)}
                for s in self.smells
            ],
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["smell", "type", "message", "rows", "example"]
        rows: list[list[object]] = [
            [
                s.code,
                s.kind,
                s.message,
                len(s.rows),
                json.dumps(s.rows[0], default=str, sort_keys=True) if s.rows else None,
            ]
            for s in self.smells
        ]
        return cols, rows

    @property
    def title(self) -> str:
        return "leaderboard smells"


# --------------------------------------------------------------------------- checks


def _no_interval(store: Store, board: Leaderboard) -> list[dict[str, Any]]:
    scored = {(c.model_id, c.task) for c in board.cells}
    rows = store.query(
        """SELECT a.model_id, a.task, a.metric, a.value, a.run_id FROM aggregates a
           WHERE a.stderr IS NULL AND a.value IS NOT NULL ORDER BY 1, 2, 3"""
    ).to_pylist()
    return [r for r in rows if (r["model_id"], r["task"]) not in scored]


def _non_separable(board: Leaderboard) -> list[dict[str, Any]]:
    out = []
    for r in board.rows:
        s = r.separability
        if s is not None and s.separable is False:
            out.append(
                {
                    "rank": r.rank,
                    "model": s.model,
                    "next_model": s.next_model,
                    "difference": s.difference,
                    "low": s.low,
                    "high": s.high,
                    "group": board.group,
                }
            )
    return out


def _find(config: Any, keys: Sequence[str], task: str) -> Any:
    """The first value of ``keys`` in a run config, preferring the task's own section
    (lm-eval ``configs[task]`` and ``n-shot[task]``)."""
    if not isinstance(config, Mapping):
        return None
    section = (config.get("configs") or {}).get(task)
    for source in (section, config):
        if not isinstance(source, Mapping):
            continue
        for k in keys:
            if k in source and source[k] not in (None, ""):
                return source[k]
        gen = source.get("generation_kwargs") or source.get("gen_kwargs")
        if isinstance(gen, Mapping):
            for k in keys:
                if k in gen:
                    return gen[k]
    if keys is _SETTING_KEYS["shots"]:
        nshot = config.get("n-shot")
        if isinstance(nshot, Mapping) and task in nshot:
            return nshot[task]
    return None


def _settings(store: Store, board: Leaderboard) -> list[dict[str, Any]]:
    used = {(c.model_id, c.task, r) for c in board.cells for r in c.runs}
    if not used:
        return []
    run_ids = sorted({r for _, _, r in used})
    configs = {
        r["run_id"]: r["config"]
        for r in store.read(
            "runs", where={"run_id": run_ids}, columns=["run_id", "config"]
        ).to_pylist()
    }
    variants: dict[tuple[str, str], set[str]] = {}
    for r in store.query(
        "SELECT DISTINCT model_id, task, run_id, prompt_variant FROM scores"
    ).to_pylist():
        if (r["model_id"], r["task"], r["run_id"]) in used:
            variants.setdefault((r["model_id"], r["task"]), set()).add(r["prompt_variant"])
    per_task: dict[str, list[dict[str, Any]]] = {}
    for model, task, run in sorted(used):
        try:
            config = json.loads(configs.get(run) or "null")
        except ValueError:
            config = None
        row: dict[str, Any] = {"task": task, "model": model, "run_id": run}
        for name, keys in _SETTING_KEYS.items():
            v = _find(config, keys, task)
            if name == "template" and isinstance(v, str) and len(v) > 40:
                import hashlib

                v = "sha1:" + hashlib.sha1(v.encode()).hexdigest()[:12]
            row[name] = v if v is None or isinstance(v, int | float | str) else json.dumps(v)
        row["prompt_variant"] = ",".join(sorted(variants.get((model, task), {""})))
        per_task.setdefault(task, []).append(row)
    out = []
    for _task, rows in sorted(per_task.items()):
        differing = [
            k
            for k in ("shots", "max_tokens", "template", "prompt_variant")
            if len({json.dumps(r[k]) for r in rows}) > 1
        ]
        if len({r["model"] for r in rows}) > 1 and differing:
            for r in rows:
                out.append({**r, "differs": ",".join(differing)})
    return out


def _provenance(store: Store, board: Leaderboard) -> list[dict[str, Any]]:
    run_ids = sorted({r for c in board.cells for r in c.runs})
    if not run_ids:
        return []
    out = []
    for r in store.read("runs", where={"run_id": run_ids}).to_pylist():
        meta: dict[str, Any] = {}
        with contextlib.suppress(ValueError):
            meta = json.loads(r["metadata"] or "{}")
        missing = []
        if r["created_at"] is None:
            missing.append("created_at")
        if not (
            r["code_hash"]
            or r["assay_version"]
            or meta.get("git_hash")
            or meta.get("revision")
            or meta.get("packages")
        ):
            missing.append("code identity")
        if not (r["data_hash"] or meta.get("task_hashes") or meta.get("data_hash")):
            missing.append("data hash")
        if missing:
            out.append(
                {"run_id": r["run_id"], "source": r["source"], "missing": ", ".join(missing)}
            )
    return out


def _alias_key(model: str) -> str:
    name = model.split("/")[-1].split("__")[-1]
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def _duplicates(store: Store, board: Leaderboard) -> list[dict[str, Any]]:
    models = sorted(
        set(store.query("SELECT model_id FROM models").column("model_id").to_pylist())
        | {r.model for r in board.rows}
    )
    groups: dict[str, list[str]] = {}
    for m in models:
        groups.setdefault(_alias_key(m), []).append(m)
    out = [
        {"models": ", ".join(ms), "reason": "alias (same name after normalising)"}
        for ms in groups.values()
        if len(ms) > 1
    ]
    rows = store.query(
        """WITH v AS (
               SELECT model_id, task, metric,
                      md5(string_agg(item_id || '=' || CAST(value AS VARCHAR), ','
                                     ORDER BY item_id, sample_index, prompt_variant)) AS h,
                      count(*) AS n
               FROM scores GROUP BY ALL HAVING count(*) >= 20)
           SELECT task, metric, list(model_id ORDER BY model_id) AS models
           FROM v GROUP BY task, metric, h HAVING count(*) > 1 ORDER BY task"""
    ).to_pylist()
    for r in rows:
        out.append(
            {
                "models": ", ".join(r["models"]),
                "reason": f"identical item scores on {r['task']} ({r['metric']})",
            }
        )
    return out


def _stale(store: Store, board: Leaderboard) -> list[dict[str, Any]]:
    used = {(c.model_id, c.task, r) for c in board.cells for r in c.runs}
    rows = store.query(
        """WITH v AS (
               SELECT DISTINCT s.model_id, s.task, s.run_id, s.task_version, r.created_at
               FROM responses s JOIN runs r USING (run_id)
               WHERE s.task_version IS NOT NULL AND s.task_version <> ''),
           newest AS (
               SELECT task, arg_max(task_version, created_at) AS newest,
                      count(DISTINCT task_version) AS k
               FROM v WHERE created_at IS NOT NULL GROUP BY task)
           SELECT v.model_id, v.task, v.run_id, v.task_version AS version, n.newest
           FROM v JOIN newest n USING (task)
           WHERE n.k > 1 AND v.task_version <> n.newest ORDER BY 2, 1, 3"""
    ).to_pylist()
    return [r for r in rows if (r["model_id"], r["task"], r["run_id"]) in used]


def _different_items(store: Store, board: Leaderboard) -> list[dict[str, Any]]:
    by_task: dict[str, list[Any]] = {}
    for c in board.cells:
        by_task.setdefault(c.task, []).append(c)
    out = []
    for task, cells in sorted(by_task.items()):
        counts = {c.n_items + c.n_missing for c in cells}
        if len(cells) > 1 and len(counts) > 1:
            most = max(c.n_items + c.n_missing for c in cells)
            out += [
                {"task": task, "model": c.model_id, "items": c.n_items + c.n_missing, "most": most}
                for c in sorted(cells, key=lambda c: c.model_id)
                if c.n_items + c.n_missing < most
            ]
    return out


def _incomplete(store: Store, board: Leaderboard) -> list[dict[str, Any]]:
    grouping = task_groups(store, [t.task for t in board.tasks])
    members: dict[str, set[str]] = {}
    for t, g in grouping.items():
        if g is not None:
            members.setdefault(g, set()).add(t)
    out = []
    for r in board.rows:
        have = {c.task for c in r.cells if c is not None}
        for g, tasks in sorted(members.items()):
            if have & tasks and tasks - have:
                out.append(
                    {
                        "model": r.model,
                        "group": g,
                        "missing": ", ".join(sorted(tasks - have)),
                        "present": len(have & tasks),
                    }
                )
    # groups that a source reported as an aggregate while some subtask is absent
    for row in store.query(
        "SELECT DISTINCT run_id, metadata FROM runs WHERE metadata LIKE '%group_subtasks%'"
    ).to_pylist():
        try:
            subtasks = json.loads(row["metadata"]).get("group_subtasks") or {}
        except ValueError:
            continue
        for parent, children in subtasks.items():
            if not children:
                continue
            have = set(
                store.query(
                    "SELECT DISTINCT task FROM aggregates WHERE run_id = ?", [row["run_id"]]
                )
                .column("task")
                .to_pylist()
            )
            lost = sorted(set(children) - have)
            if parent in have and lost:
                out.append({"run_id": row["run_id"], "group": parent, "missing": ", ".join(lost)})
    return out


def _contamination(
    store: Store, board: Leaderboard, flags: Sequence[Mapping[str, str]] | None
) -> list[dict[str, Any]]:
    out = [dict(f) for f in flags or ()]
    for r in store.query(
        "SELECT model_id, metadata FROM models WHERE metadata LIKE '%contamina%'"
    ).to_pylist():
        try:
            meta = json.loads(r["metadata"])
        except ValueError:
            continue
        flagged = meta.get("contamination") or meta.get("contaminated_tasks")
        if isinstance(flagged, Mapping):
            out += [
                {"model": r["model_id"], "task": t, "reason": str(v)} for t, v in flagged.items()
            ]
        elif isinstance(flagged, list):
            out += [{"model": r["model_id"], "task": str(t), "reason": "flagged"} for t in flagged]
    shown = {(c.model_id, c.task) for c in board.cells}
    return [f for f in out if (f.get("model"), f.get("task")) in shown or not f.get("task")]


def _check_flags(flags: object) -> list[dict[str, str]]:
    """The contamination flags as dicts of text (``None``: no flags)."""
    if flags is None:
        return []
    if isinstance(flags, str | bytes | Mapping) or not isinstance(flags, Sequence):
        raise InputError(
            "the 'contamination' parameter of lint_leaderboard must be a list of flags, each "
            f"{{'model': ..., 'task': ..., 'reason': ...}}; got {flags!r}"
        )
    out = []
    for i, f in enumerate(flags):
        if not isinstance(f, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in f.items()
        ):
            raise InputError(
                f"the 'contamination' parameter of lint_leaderboard: flag {i} must map "
                f"'model', 'task' and 'reason' to text; got {f!r}"
            )
        out.append(dict(f))
    return out


def lint_leaderboard(
    store: Store,
    board: Leaderboard,
    *,
    contamination: Sequence[Mapping[str, str]] | None = None,
) -> LintReport:
    """Check a leaderboard built from ``store`` for the smells of :data:`SMELLS`.

    Parameters
    ----------
    store
        The store the leaderboard was computed from.
    board
        The leaderboard (:func:`assay.report.leaderboard`).
    contamination
        Suspected contamination flags, each ``{"model": ..., "task": ..., "reason": ...}``;
        flags stored in a model's metadata (``contamination``: ``{task: reason}`` or a list
        of tasks) are read too.

    Returns
    -------
    LintReport
        One :class:`Smell` per smell found, each with the rows that cause it.

    References
    ----------
    Zhao, Z., Bangash, A. A., Côgo, F. R., Adams, B. & Hassan, A. E. (2024). On the
    workflows and smells of leaderboard operations (LBOps): an exploratory study of
    foundation model leaderboards. arXiv:2407.04065.
    """
    check_store(store, "lint_leaderboard")
    if not isinstance(board, Leaderboard):
        raise InputError(
            "the 'board' parameter of lint_leaderboard must be a Leaderboard "
            f"(assay.report.leaderboard); got {type(board).__name__}"
        )
    contamination = _check_flags(contamination)
    checks: list[tuple[SmellCode, list[dict[str, Any]]]] = [
        ("no-interval", _no_interval(store, board)),
        ("non-separable", _non_separable(board)),
        ("mismatched-settings", _settings(store, board)),
        ("missing-provenance", _provenance(store, board)),
        ("duplicate-model", _duplicates(store, board)),
        ("stale-task-version", _stale(store, board)),
        ("different-items", _different_items(store, board)),
        ("incomplete-aggregate", _incomplete(store, board)),
        ("contamination", _contamination(store, board, contamination)),
    ]
    smells = tuple(Smell(code, SMELLS[code][1], tuple(rows)) for code, rows in checks if rows)
    return LintReport(
        smells,
        {"group": board.group, "assay_version": __version__, "checks": [c for c, _ in checks]},
    )
