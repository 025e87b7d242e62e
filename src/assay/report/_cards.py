"""Data cards for tasks and model card stubs, filled from the store, as Markdown and HTML.

The data card follows the minimum content of Data Cards (Pushkarna et al., 2022): origin,
size, splits, licence, intended use and known issues. What the store knows (size,
splits, versions, sources, data hash) is filled in; what only people know (licence,
intended use, known issues) comes from a card file and is listed as missing otherwise,
as the Data Cards toolkit's validator reports missing fields.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assay._version import __version__
from assay.analysis.stats._inputs import check_store, is_real
from assay.errors import InputError
from assay.report._inputs import check_fields
from assay.report._leaderboard import task_data_hashes
from assay.store import Store

__all__ = [
    "DATA_CARD_FIELDS",
    "MODEL_CARD_FIELDS",
    "DataCard",
    "ModelCard",
    "data_card",
    "load_card_file",
    "model_card",
]

#: fields people fill in (the store cannot know them)
DATA_CARD_FIELDS: tuple[str, ...] = ("origin", "licence", "intended_use", "known_issues")
MODEL_CARD_FIELDS: tuple[str, ...] = ("developer", "licence", "intended_use", "limitations")


def load_card_file(path: str | Path) -> dict[str, dict[str, dict[str, str]]]:
    """Read a YAML card file: ``{"tasks": {task: {field: text}}, "models": {...}}``.

    Only the fields of :data:`DATA_CARD_FIELDS` (tasks) and :data:`MODEL_CARD_FIELDS`
    (models) are allowed; anything else is an error naming the key.
    """
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise InputError(
            f"the 'path' parameter of load_card_file must be a file path; got {path!r}"
        )
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{p}: cannot read the card file: {exc}") from exc
    if not isinstance(doc, dict) or set(doc) - {"tasks", "models"}:
        raise InputError(f"{p}: a card file maps 'tasks' and/or 'models' to cards")
    out: dict[str, dict[str, dict[str, str]]] = {"tasks": {}, "models": {}}
    for section, allowed in (("tasks", DATA_CARD_FIELDS), ("models", MODEL_CARD_FIELDS)):
        cards = doc.get(section) or {}
        if not isinstance(cards, dict):
            raise InputError(
                f"{p}: {section} must map each {section[:-1]} name to its fields; "
                f"got {type(cards).__name__}"
            )
        for name, fields in cards.items():
            if not isinstance(fields, dict):
                raise InputError(f"{p}: {section}.{name} must map fields to text")
            unknown = set(fields) - set(allowed)
            if unknown:
                raise InputError(
                    f"{p}: {section}.{name} has unknown field(s) {sorted(unknown)}; "
                    f"allowed: {list(allowed)}"
                )
            for k, v in fields.items():
                if isinstance(v, dict | list):
                    raise InputError(
                        f"{p}: {section}.{name}.{k} must be text; got a {type(v).__name__}"
                    )
            # an empty field (``licence:``) is not recorded, not the text "None"
            out[section][str(name)] = {k: str(v) for k, v in fields.items() if v is not None}
    return out


def _md_escape(text: object) -> str:
    """Text safe in a Markdown table cell or line (no HTML, no table breaks)."""
    s = html.escape(str(text), quote=False)
    return s.replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True)
class DataCard:
    """The data card of one task."""

    task: str
    n_items: int
    versions: tuple[str, ...]
    splits: dict[str, int]
    sources: tuple[str, ...]
    n_models: int
    data_hash: str | None
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def missing(self) -> tuple[str, ...]:
        """The human-written fields not recorded."""
        return tuple(f for f in DATA_CARD_FIELDS if not self.fields.get(f))

    def to_rows(self) -> list[tuple[str, str]]:
        rows = [
            ("task", self.task),
            ("origin", self.fields.get("origin") or "not recorded"),
            ("size", f"{self.n_items} items"),
            (
                "splits",
                ", ".join(f"{k}: {v}" for k, v in sorted(self.splits.items())) or "not recorded",
            ),
            ("versions", ", ".join(v or "(none)" for v in self.versions) or "not recorded"),
            ("sources", ", ".join(self.sources) or "not recorded"),
            ("models evaluated", str(self.n_models)),
            ("data hash", self.data_hash or "not recorded"),
        ]
        rows += [
            (f.replace("_", " "), self.fields.get(f) or "not recorded")
            for f in DATA_CARD_FIELDS
            if f != "origin"
        ]
        return rows

    def to_markdown(self) -> str:
        """The card as Markdown."""
        lines = [f"# Data card: {_md_escape(self.task)}", "", "| field | value |", "|---|---|"]
        lines += [f"| {_md_escape(k)} | {_md_escape(v)} |" for k, v in self.to_rows()]
        if self.missing:
            lines += ["", f"Missing fields: {', '.join(self.missing)}."]
        lines += ["", f"Generated by assay {__version__} from the store."]
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        return _card_html(f"Data card: {self.task}", self.to_rows(), self.missing)


@dataclass(frozen=True)
class ModelCard:
    """A model card stub filled from the models table and the scores."""

    model: str
    metadata: dict[str, Any]
    tasks: tuple[tuple[str, float, float, float], ...]
    sources: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(f for f in MODEL_CARD_FIELDS if not self.fields.get(f))

    def to_rows(self) -> list[tuple[str, str]]:
        rows = [("model", self.model)]
        for key in ("family", "parameters", "training_tokens", "training_flops", "checkpoint_step"):
            v = self.metadata.get(key)
            rows.append(
                (
                    key.replace("_", " "),
                    "not recorded" if v is None else f"{v:g}" if isinstance(v, float) else str(v),
                )
            )
        extra = self.metadata.get("metadata")
        if extra:
            rows.append(("stored metadata", json.dumps(extra, sort_keys=True, default=str)))
        rows.append(("evaluation sources", ", ".join(self.sources) or "not recorded"))
        rows += [
            (f.replace("_", " "), self.fields.get(f) or "not recorded") for f in MODEL_CARD_FIELDS
        ]
        return rows

    def to_markdown(self) -> str:
        lines = [f"# Model card: {_md_escape(self.model)}", "", "| field | value |", "|---|---|"]
        lines += [f"| {_md_escape(k)} | {_md_escape(v)} |" for k, v in self.to_rows()]
        if self.tasks:
            lines += ["", "## Evaluation results", "", "| task | mean | 95% CI |", "|---|---|---|"]
            lines += [
                f"| {_md_escape(t)} | {m:.4f} | [{lo:.4f}, {hi:.4f}] |"
                for t, m, lo, hi in self.tasks
            ]
        if self.missing:
            lines += ["", f"Missing fields: {', '.join(self.missing)}."]
        lines += ["", f"Stub generated by assay {__version__} from the store."]
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        rows = self.to_rows() + [
            (f"score on {t}", f"{m:.4f} [{lo:.4f}, {hi:.4f}]") for t, m, lo, hi in self.tasks
        ]
        return _card_html(f"Model card: {self.model}", rows, self.missing)


def _card_html(title: str, rows: list[tuple[str, str]], missing: tuple[str, ...]) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    note = (
        f'<p class="missing">Missing fields: {html.escape(", ".join(missing))}.</p>'
        if missing
        else ""
    )
    return f'<table class="card"><caption>{html.escape(title)}</caption>{body}</table>{note}'


def data_card(store: Store, task: str, *, fields: Mapping[str, str] | None = None) -> DataCard:
    """The data card of ``task`` from the store, with the human-written ``fields``."""
    check_store(store, "data_card")
    if not isinstance(task, str):
        raise InputError(f"the 'task' parameter of data_card must be a task name; got {task!r}")
    fields = check_fields(fields, DATA_CARD_FIELDS, "data_card")
    n = (
        store.query("SELECT count(DISTINCT item_id) AS n FROM items WHERE task = ?", [task])
        .column("n")[0]
        .as_py()
    )
    n_scored = store.query(
        "SELECT count(DISTINCT item_id) AS i, count(DISTINCT model_id) AS m FROM scores WHERE task = ?",
        [task],
    ).to_pylist()[0]
    if not n and not n_scored["i"]:
        raise InputError(f"no task {task!r} in the store")
    versions = tuple(
        store.query("SELECT DISTINCT task_version FROM items WHERE task = ? ORDER BY 1", [task])
        .column("task_version")
        .to_pylist()
    )
    splits = {
        r["split"]: r["n"]
        for r in store.query(
            """SELECT json_extract_string(metadata, '$.split') AS split,
                      count(DISTINCT item_id) AS n
               FROM items WHERE task = ? AND json_extract_string(metadata, '$.split') IS NOT NULL
               GROUP BY 1""",
            [task],
        ).to_pylist()
    }
    sources = tuple(
        store.query(
            """SELECT DISTINCT r.source FROM runs r
               WHERE r.run_id IN (SELECT DISTINCT run_id FROM scores WHERE task = ?
                                  UNION SELECT DISTINCT run_id FROM aggregates WHERE task = ?)
               ORDER BY 1""",
            [task, task],
        )
        .column("source")
        .to_pylist()
    )
    return DataCard(
        task=task,
        n_items=int(n or n_scored["i"]),
        versions=versions,
        splits=splits,
        sources=sources,
        n_models=int(n_scored["m"]),
        data_hash=task_data_hashes(store, [task]).get(task),
        fields=dict(fields or {}),
    )


def _check_scores(scores: object) -> tuple[tuple[str, float, float, float], ...]:
    if isinstance(scores, str | bytes) or not isinstance(scores, Sequence):
        raise InputError(
            "the 'scores' parameter of model_card must be a sequence of (task, mean, low, "
            f"high) tuples; got {scores!r}"
        )
    for s in scores:
        if (
            not isinstance(s, Sequence)
            or len(s) != 4
            or not isinstance(s[0], str)
            or not all(is_real(x) for x in s[1:])
        ):
            raise InputError(
                "the 'scores' parameter of model_card must hold (task, mean, low, high) "
                f"tuples of a name and three numbers; got {s!r}"
            )
    return tuple((str(t), float(m), float(lo), float(hi)) for t, m, lo, hi in scores)


def model_card(
    store: Store,
    model: str,
    *,
    scores: tuple[tuple[str, float, float, float], ...] = (),
    fields: Mapping[str, str] | None = None,
) -> ModelCard:
    """A model card stub for ``model``: stored metadata, evaluation sources, ``scores``
    (task, mean, low, high) and the human-written ``fields``."""
    check_store(store, "model_card")
    if not isinstance(model, str):
        raise InputError(f"the 'model' parameter of model_card must be a model name; got {model!r}")
    fields = check_fields(fields, MODEL_CARD_FIELDS, "model_card")
    scores = _check_scores(scores)
    rows = store.read("models", where={"model_id": model}).to_pylist()
    metadata: dict[str, Any] = {}
    if rows:
        metadata = {k: v for k, v in rows[0].items() if k not in ("model_id",) and v is not None}
        if isinstance(metadata.get("metadata"), str):
            with contextlib.suppress(ValueError):
                metadata["metadata"] = json.loads(metadata["metadata"])
    sources = tuple(
        store.query(
            """SELECT DISTINCT r.source FROM runs r WHERE r.run_id IN (
                   SELECT DISTINCT run_id FROM scores WHERE model_id = ?
                   UNION SELECT DISTINCT run_id FROM aggregates WHERE model_id = ?) ORDER BY 1""",
            [model, model],
        )
        .column("source")
        .to_pylist()
    )
    if not rows and not sources:
        raise InputError(f"no model {model!r} in the store")
    return ModelCard(model, metadata, scores, sources, dict(fields or {}))
