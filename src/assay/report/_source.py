"""Where the pages read from: a store opened read-only per use, with results cached until
the store changes.

The web app opens the store file read-only for each request and closes it afterwards, so
the file stays free for writers between requests (DuckDB allows one writer process per
file). Expensive results (the leaderboard's bootstrap, its separability, the pairwise
fits) are cached under the store's fingerprint (size and modification time of the file
and its write-ahead log); a write to the store changes the fingerprint and the next
request recomputes.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import check_confidence, check_number
from assay.errors import InputError
from assay.report._cards import (
    DATA_CARD_FIELDS,
    MODEL_CARD_FIELDS,
    DataCard,
    ModelCard,
    data_card,
    model_card,
)
from assay.report._inputs import check_fields, check_text_map
from assay.report._leaderboard import Leaderboard, leaderboard
from assay.report._smells import LintReport, lint_leaderboard
from assay.report._views import (
    ItemsPage,
    ModelView,
    PairwiseView,
    TaskView,
    items_page,
    model_view,
    pairwise_tasks,
    pairwise_view,
    task_view,
)
from assay.store import Store

__all__ = ["AnalysisView", "ReportSource", "slug"]

T = TypeVar("T")
AnalysisKind = Literal["prediction", "subset"]


def slug(name: str) -> str:
    """A file- and URL-safe name for ``name``, unique through a short hash suffix."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60] or "x"
    return f"{base}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class AnalysisView:
    """A stored analysis shown on the prediction or subset page.

    Attributes
    ----------
    kind
        ``"prediction"`` or ``"subset"``.
    title
        The heading.
    table_html
        The result object's own HTML (``_repr_html_``: assay's renderers escape every
        cell), or ``None``.
    plot_html
        A complete HTML document of the plot (plotly, with plotly.js inlined), shown in a
        sandboxed frame, or ``None``.
    plot_png
        The PNG of the same plot, or ``None``.
    signature
        The result's signature, shown as provenance.
    """

    kind: AnalysisKind
    title: str
    table_html: str | None = None
    plot_html: str | None = None
    plot_png: bytes | None = None
    signature: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_result(
        cls,
        kind: AnalysisKind,
        result: Any,
        *,
        title: str | None = None,
        plot_html: str | Path | None = None,
        plot_png: bytes | Path | None = None,
    ) -> AnalysisView:
        """An analysis view of a result object (prediction, subset selection, ...) and
        the plot files its analysis wrote (``plot_html``/``plot_png`` paths or content)."""
        if kind not in ("prediction", "subset"):
            raise InputError(
                f"the 'kind' parameter of AnalysisView.from_result must be 'prediction' or "
                f"'subset'; got {kind!r}"
            )
        if not isinstance(plot_html, str | Path | None):
            raise InputError(
                "the 'plot_html' parameter of AnalysisView.from_result must be HTML text, a "
                f"Path or None; got {type(plot_html).__name__}"
            )
        if not isinstance(plot_png, bytes | Path | None):
            raise InputError(
                "the 'plot_png' parameter of AnalysisView.from_result must be PNG bytes, a "
                f"Path or None; got {type(plot_png).__name__}"
            )
        table = result._repr_html_() if hasattr(result, "_repr_html_") else None
        try:
            html_doc = plot_html.read_text("utf-8") if isinstance(plot_html, Path) else plot_html
            png = plot_png.read_bytes() if isinstance(plot_png, Path) else plot_png
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"AnalysisView.from_result: cannot read the plot file: {exc}") from exc
        sig = getattr(result, "signature", None)
        return cls(
            kind=kind,
            title=title or getattr(result, "title", None) or type(result).__name__,
            table_html=table,
            plot_html=html_doc,
            plot_png=png,
            signature=dict(sig) if isinstance(sig, Mapping) else {},
        )


def _check_duckdb_file(path: str) -> None:
    """Refuse a file that is not a DuckDB database (the magic ``DUCK`` at byte 8), before
    the first request opens it."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the store: {exc.strerror or exc}") from exc
    if head[8:12] != b"DUCK":
        raise InputError(f"{path}: not an assay store (the file is not a DuckDB database)")


def _check_cards(cards: object) -> dict[str, dict[str, dict[str, str]]]:
    """Card fields as :func:`~assay.report.load_card_file` returns them."""
    if cards is None:
        return {}
    if not isinstance(cards, Mapping) or set(cards) - {"tasks", "models"}:
        raise InputError(
            "the 'cards' parameter of ReportSource must map 'tasks' and/or 'models' to "
            f"cards (see load_card_file); got {cards!r}"
        )
    out: dict[str, dict[str, dict[str, str]]] = {}
    for section, allowed in (("tasks", DATA_CARD_FIELDS), ("models", MODEL_CARD_FIELDS)):
        given = cards.get(section) or {}
        if not isinstance(given, Mapping):
            raise InputError(
                f"the 'cards' parameter of ReportSource: {section} must map names to "
                f"fields; got {type(given).__name__}"
            )
        out[section] = {
            str(name): check_fields(fields, allowed, "ReportSource", f"cards.{section}.{name}")
            for name, fields in given.items()
        }
    return out


class ReportSource:
    """The store behind the report, with a cache that a change of the store invalidates.

    Parameters
    ----------
    store
        A store file path (opened read-only for each use) or an open :class:`Store`
        (used as is; its fingerprint is its row counts).
    groups
        Explicit ``{task: group}`` assignments.
    cards
        Human-written card fields, ``{"tasks": {task: {...}}, "models": {...}}``
        (see :func:`assay.report.load_card_file`).
    analyses
        Prediction and subset analyses to show, besides those the report computes from
        the store: the prediction backtest when the models table has size ladders, and
        subset backtests of the largest tasks.
    contamination
        Suspected contamination flags for the smell check.
    confidence, resamples, seed
        Of the intervals.
    items_per_page
        Items per page of the item explorer.
    """

    def __init__(
        self,
        store: str | Path | Store,
        *,
        groups: Mapping[str, str] | None = None,
        cards: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None,
        analyses: Sequence[AnalysisView] = (),
        contamination: Sequence[Mapping[str, str]] | None = None,
        confidence: float = 0.95,
        resamples: int = 1000,
        seed: int = 0,
        items_per_page: int = 10,
    ) -> None:
        if isinstance(store, Store):
            self._store: Store | None = store
            self.path = store.path
        elif isinstance(store, str | os.PathLike) and str(store):
            self._store = None
            self.path = str(store)
            if not Path(self.path).is_file():
                raise InputError(f"{self.path}: no store at this path")
            _check_duckdb_file(self.path)
        else:
            raise InputError(
                "the 'store' parameter of ReportSource must be a store file path or an "
                f"assay.store.Store; got {store!r}"
            )
        self.groups = check_text_map(groups, "groups", "ReportSource")
        self.cards = _check_cards(cards)
        if isinstance(analyses, str | bytes) or not all(
            isinstance(a, AnalysisView) for a in analyses
        ):
            raise InputError(
                "the 'analyses' parameter of ReportSource must be a sequence of AnalysisView; "
                f"got {analyses!r}"
            )
        self._given = tuple(analyses)
        if isinstance(contamination, str | bytes | Mapping):
            raise InputError(
                "the 'contamination' parameter of ReportSource must be a list of flags, each "
                f"{{'model': ..., 'task': ..., 'reason': ...}}; got {contamination!r}"
            )
        self.contamination = list(contamination or [])
        self.confidence = check_confidence(confidence, "ReportSource")
        for name, value in (("resamples", resamples), ("items_per_page", items_per_page)):
            check_number(value, name, "ReportSource", low=1, strict=False, integer=True)
        self.resamples = int(resamples)
        resolve_rng(seed, "ReportSource")  # refuses a seed numpy cannot use, up front
        self.seed = seed
        self.items_per_page = int(items_per_page)
        self._held: Store | None = None
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._fingerprint: tuple[Any, ...] | None = None
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[Any, ...], threading.Lock] = {}

    @property
    def analyses(self) -> tuple[AnalysisView, ...]:
        """The analyses given, then those computed from the store (the backtests of
        :func:`assay.report._analyses.prediction_views` and ``subset_views``), cached
        while the store is unchanged."""
        from assay.report._analyses import prediction_views, subset_views

        computed = self.cached(
            ("analyses",),
            lambda st: (*prediction_views(st, seed=self.seed), *subset_views(st, seed=self.seed)),
        )
        return self._given + computed

    # ------------------------------------------------------------------ store access
    @contextmanager
    def open(self) -> Iterator[Store]:
        """The store, read-only, for one use."""
        held = self._store or self._held
        if held is not None:
            yield held
            return
        with Store(self.path, read_only=True) as st:
            yield st

    @contextmanager
    def session(self) -> Iterator[ReportSource]:
        """Keep the store open for a batch of uses (the static export); the file is locked
        against writers meanwhile."""
        if self._store is not None or self._held is not None:
            yield self
            return
        with Store(self.path, read_only=True) as st:
            self._held = st
            try:
                yield self
            finally:
                self._held = None

    def fingerprint(self) -> tuple[Any, ...]:
        """What identifies the store's content: size and mtime of the file and its WAL."""
        if self._store is not None:
            return tuple(sorted(self._store.counts().items()))
        parts: list[Any] = []
        for p in (Path(self.path), Path(self.path + ".wal")):
            try:
                s = p.stat()
                parts += [s.st_size, s.st_mtime_ns]
            except FileNotFoundError:
                parts += [None, None]
        return tuple(parts)

    def cached(self, key: tuple[Any, ...], build: Callable[[Store], T]) -> T:
        """``build(store)``, computed once per key while the store is unchanged."""
        fp = self.fingerprint()
        with self._lock:
            if fp != self._fingerprint:
                self._cache.clear()
                self._fingerprint = fp
            if key in self._cache:
                return self._cache[key]  # type: ignore[no-any-return]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one computation per key even when requests arrive together
            with self._lock:
                if key in self._cache and self._fingerprint == fp:
                    return self._cache[key]  # type: ignore[no-any-return]
            with self.open() as st:
                value = build(st)
            with self._lock:
                if self._fingerprint == fp:
                    self._cache[key] = value
            return value

    # ------------------------------------------------------------------ views
    def leaderboard(self, group: str | None = None) -> Leaderboard:
        """The leaderboard of ``group`` (``None``: all tasks)."""
        full = self.cached(
            ("leaderboard", None),
            lambda st: leaderboard(
                st,
                groups=self.groups,
                confidence=self.confidence,
                resamples=self.resamples,
                seed=self.seed,
            ),
        )
        if group is None:
            return full
        return self.cached(
            ("leaderboard", group),
            lambda st: leaderboard(
                st,
                group=group,
                groups=self.groups,
                confidence=self.confidence,
                table=full.cells,
                table_signature=full.signature,
            ),
        )

    def names(self) -> dict[str, dict[str, str]]:
        """Slug to name of every model, task and pairwise task/judge of the store."""

        def build(st: Store) -> dict[str, dict[str, str]]:
            board = self.leaderboard()
            models = set(st.query("SELECT model_id FROM models").column("model_id").to_pylist())
            models |= {r.model for r in board.rows}
            models |= set(
                st.query(
                    "SELECT DISTINCT model_a AS m FROM comparisons "
                    "UNION SELECT DISTINCT model_b FROM comparisons"
                )
                .column("m")
                .to_pylist()
            )
            tasks = {t.task for t in board.tasks}
            ptasks, judges = pairwise_tasks(st)
            return {
                "models": {slug(m): m for m in models},
                "tasks": {slug(t): t for t in tasks},
                "pairwise": {slug(t): t for t in ptasks},
                "judges": {slug(j): j for js in judges.values() for j in js},
            }

        return self.cached(("names",), build)

    def resolve(self, kind: str, key: str) -> str:
        """The name behind a slug, or an InputError."""
        names = self.names()
        if kind not in names:
            raise InputError(
                f"the 'kind' parameter of ReportSource.resolve must be one of {list(names)}; "
                f"got {kind!r}"
            )
        name = names[kind].get(key)
        if name is None:
            raise InputError(f"no {kind[:-1]} with key {key!r}")
        return name

    def resolve_group(self, key: str) -> str:
        """The task group behind a slug, or an InputError."""
        for g in self.leaderboard().groups:
            if slug(g) == key:
                return g
        raise InputError(f"no task group with key {key!r}")

    def model(self, model: str) -> ModelView:
        return self.cached(("model", model), lambda st: model_view(st, self.leaderboard(), model))

    def task(self, task: str) -> TaskView:
        return self.cached(("task", task), lambda st: task_view(st, self.leaderboard(), task))

    def items(self, task: str, page: int) -> ItemsPage:
        board = self.leaderboard()
        with self.open() as st:
            return items_page(st, board, task, page=page, per_page=self.items_per_page)

    def pairwise_index(self) -> tuple[list[str], dict[str, list[str]]]:
        return self.cached(("pairwise-index",), pairwise_tasks)

    def pairwise(self, task: str, judge: str | None) -> PairwiseView:
        return self.cached(
            ("pairwise", task, judge),
            lambda st: pairwise_view(st, task, judge=judge, seed=self.seed),
        )

    def lint(self, group: str | None = None) -> LintReport:
        board = self.leaderboard(group)
        return self.cached(
            ("lint", group),
            lambda st: lint_leaderboard(st, board, contamination=self.contamination),
        )

    def data_card(self, task: str) -> DataCard:
        fields = self.cards.get("tasks", {}).get(task)
        return self.cached(("data-card", task), lambda st: data_card(st, task, fields=fields))

    def model_card(self, model: str) -> ModelCard:
        fields = self.cards.get("models", {}).get(model)
        view = self.model(model)
        scores = tuple((c.task, c.mean, c.ci_low, c.ci_high) for c in view.cells)
        return self.cached(
            ("model-card", model),
            lambda st: model_card(st, model, scores=scores, fields=fields),
        )
