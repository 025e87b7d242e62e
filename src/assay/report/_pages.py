"""The pages: template contexts and plots shared by the web app and the static export.

Links differ between the two (``/models/KEY`` on the server, ``models/KEY.html`` on disk)
and are made by :class:`Links`; everything else (views, plots, templates) is the same, so
the export shows what the server shows.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from assay._display import format_cell
from assay._version import __version__
from assay.report._leaderboard import describe_cell
from assay.report._plots import Plot, plot_fragment
from assay.report._source import ReportSource, slug

__all__ = ["Links", "PageRenderer", "page_plots"]


@dataclass(frozen=True)
class Links:
    """URLs of the pages: ``static=False`` for the server, ``True`` for files on disk
    (relative to a page ``depth`` folders below the export's root)."""

    static: bool = False
    depth: int = 0

    def at(self, depth: int) -> Links:
        return Links(self.static, depth)

    @property
    def _root(self) -> str:
        return "../" * self.depth if self.static else "/"

    def _page(self, server: str, query: dict[str, Any] | None, static: str) -> str:
        if self.static:
            return self._root + static
        q = {k: v for k, v in (query or {}).items() if v is not None}
        return server + ("?" + urlencode(q) if q else "")

    def home(self, group: str | None = None) -> str:
        return self._page(
            "/", {"group": group}, f"group-{slug(group)}.html" if group else "index.html"
        )

    def model(self, name: str) -> str:
        return self._page(f"/models/{slug(name)}", None, f"models/{slug(name)}.html")

    def task(self, name: str) -> str:
        return self._page(f"/tasks/{slug(name)}", None, f"tasks/{slug(name)}.html")

    def items(self, task: str, page: int = 1) -> str:
        return self._page(
            f"/tasks/{slug(task)}/items", {"page": page}, f"tasks/{slug(task)}-items-{page}.html"
        )

    def card(self, kind: str, name: str) -> str:
        return self._page(f"/{kind}/{slug(name)}/card.md", None, f"{kind}/{slug(name)}-card.md")

    def pairwise(self, task: str | None = None, judge: str | None = None) -> str:
        if task is None:
            return self._page("/pairwise", None, "pairwise/index.html")
        return self._page(
            "/pairwise",
            {"task": slug(task), "judge": slug(judge) if judge else None},
            f"pairwise/{slug(task)}--{slug(judge) if judge else 'all'}.html",
        )

    def analyses(self, kind: str) -> str:
        return self._page(f"/{kind}s", None, f"{kind}s.html")

    def analysis_plot(self, kind: str, index: int) -> str:
        return self._page(
            f"/analyses/{kind}/{index}/plot.html", None, f"analyses/{kind}-{index}.html"
        )

    def analysis_png(self, kind: str, index: int) -> str:
        return self._page(
            f"/analyses/{kind}/{index}/plot.png", None, f"analyses/{kind}-{index}.png"
        )

    def lint(self) -> str:
        return self._page("/lint", None, "lint.html")

    def asset(self, name: str) -> str:
        return self._root + "static/" + name

    def png(self, page: str, key: str, name: str) -> str:
        return self._page(f"/png/{page}/{key}/{name}.png", None, f"png/{page}-{key}-{name}.png")


def page_plots(source: ReportSource, page: str, key: str) -> dict[str, Plot]:
    """The plots of one page (``page`` in leaderboard/model/task/pairwise; ``key`` the
    group, model, task or ``task--judge`` key)."""
    if page == "leaderboard":
        group = None if key == "all" else source.resolve_group(key)
        board = source.leaderboard(group)
        top = board.rows[:40]
        return {
            "means": Plot(
                "intervals",
                f"mean score, top {len(top)} models",
                xlabel="mean over tasks",
                labels=tuple(r.model for r in top),
                estimates=tuple(r.mean for r in top),
                low=tuple(r.ci_low for r in top),
                high=tuple(r.ci_high for r in top),
            )
        }
    if page == "model":
        view = source.model(source.resolve("models", key))
        plots: dict[str, Plot] = {}
        if view.cells:
            plots["scores"] = Plot(
                "intervals",
                f"scores of {view.model}",
                xlabel="mean",
                labels=tuple(c.task for c in view.cells),
                estimates=tuple(c.mean for c in view.cells),
                low=tuple(c.ci_low for c in view.cells),
                high=tuple(c.ci_high for c in view.cells),
            )
        if view.history:
            series: dict[str, tuple[list[str], list[float]]] = {}
            for h in view.history:
                xs, ys = series.setdefault(h.task, ([], []))
                xs.append(h.created_at or h.run_id)
                ys.append(h.mean)
            plots["history"] = Plot(
                "lines", "score history over runs", xlabel="run", ylabel="mean", series=series
            )
        return plots
    if page == "task":
        tv = source.task(source.resolve("tasks", key))
        return {
            "difficulty": Plot(
                "histogram",
                f"item difficulty on {tv.task}: mean score over models",
                xlabel="mean score of the item",
                ylabel="items",
                values=tv.difficulty,
            )
        }
    if page == "pairwise":
        tkey, _, jkey = key.partition("--")
        task = source.resolve("pairwise", tkey)
        judge = None if jkey in ("", "all") else source.resolve("judges", jkey)
        pv = source.pairwise(task, judge)
        entries = pv.ratings.entries
        return {
            "winrate": Plot(
                "heatmap",
                "empirical win rate (row vs column)",
                labels=pv.models,
                matrix=pv.win_rate,
            ),
            "ratings": Plot(
                "intervals",
                "Bradley-Terry ratings",
                xlabel="rating",
                labels=tuple(e.model for e in entries),
                estimates=tuple(e.rating for e in entries),
                low=tuple(e.ci_low if e.ci_low is not None else e.rating for e in entries),
                high=tuple(e.ci_high if e.ci_high is not None else e.rating for e in entries),
            ),
        }
    raise KeyError(page)


def _answer_rows(answers: Any, hrefs: dict[str, str], metric: str) -> Markup:
    """The rows of an item's answers table, escaped. Written out here rather than in the
    template: one item explorer page may hold ten thousand answers (1,000 models x 10
    items) and Jinja's per-cell overhead would triple the page's time."""
    esc = html.escape
    metric_e = esc(metric)
    parts = []
    for a in answers:
        model = esc(a.model)
        run = esc(a.run_id)
        sample = str(a.sample_index) + (f" / {esc(a.prompt_variant)}" if a.prompt_variant else "")
        if a.output is not None:
            output = esc(a.output)
        else:
            output = esc(f"error: {a.error}") if a.error else "(not stored)"
        parts.append(
            f'<tr><td><a href="{hrefs[a.model]}">{model}</a></td><td>{sample}</td>'
            f'<td><pre class="text output">{output}</pre></td>'
            f'<td title="{metric_e}; run {run}">{esc(format_cell(a.score))}</td>'
            f'<td class="runs">{run}</td></tr>'
        )
    return Markup("".join(parts))  # every value above is escaped


class PageRenderer:
    """Renders the pages of a :class:`ReportSource` with the package's templates."""

    def __init__(self, source: ReportSource) -> None:
        self.source = source
        folder = resources.files("assay.report") / "templates"
        self.env = Environment(
            loader=FileSystemLoader(str(folder)),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["num"] = format_cell
        self.env.filters["tojson_attr"] = lambda v: json.dumps(v, default=str, sort_keys=True)
        self.env.globals["slug"] = slug

    def _render(self, template: str, links: Links, **context: Any) -> str:
        source = self.source
        groups = source.leaderboard().groups
        return self.env.get_template(template).render(
            links=links,
            version=__version__,
            groups=groups,
            describe=describe_cell,
            **context,
        )

    def _plots(self, links: Links, page: str, key: str) -> dict[str, Markup]:
        return {
            name: Markup(plot_fragment(p, f"plot-{page}-{name}", links.png(page, key, name)))
            for name, p in page_plots(self.source, page, key).items()
        }

    def leaderboard(self, links: Links, group: str | None) -> str:
        board = self.source.leaderboard(group)
        key = "all" if group is None else slug(group)
        return self._render(
            "leaderboard.html",
            links,
            board=board,
            plots=self._plots(links, "leaderboard", key),
            title="Leaderboard" + (f": {group}" if group else ""),
        )

    def model(self, links: Links, model: str) -> str:
        view = self.source.model(model)
        card = self.source.model_card(model)
        return self._render(
            "model.html",
            links,
            view=view,
            card=card,
            plots=self._plots(links, "model", slug(model)),
            title=f"Model {model}",
        )

    def task(self, links: Links, task: str) -> str:
        view = self.source.task(task)
        card = self.source.data_card(task)
        return self._render(
            "task.html",
            links,
            view=view,
            card=card,
            plots=self._plots(links, "task", slug(task)),
            title=f"Task {task}",
        )

    def items(self, links: Links, task: str, page: int) -> str:
        view = self.source.items(task, page)
        # one link per model, not per answer: a page holds thousands of answers
        hrefs = {a.model: "" for item in view.items for a in item["answers"]}
        hrefs = {m: html.escape(links.model(m)) for m in hrefs}
        rows = {
            item["item_id"]: _answer_rows(item["answers"], hrefs, view.metric)
            for item in view.items
        }
        return self._render(
            "items.html", links, view=view, rows=rows, title=f"Items of {task}, page {page}"
        )

    def pairwise(self, links: Links, task: str | None, judge: str | None) -> str:
        tasks, judges = self.source.pairwise_index()
        if task is None:
            return self._render(
                "pairwise.html",
                links,
                view=None,
                tasks=tasks,
                judges=judges,
                plots={},
                title="Pairwise",
            )
        view = self.source.pairwise(task, judge)
        key = f"{slug(task)}--{slug(judge) if judge else 'all'}"
        return self._render(
            "pairwise.html",
            links,
            view=view,
            tasks=tasks,
            judges=judges,
            plots=self._plots(links, "pairwise", key),
            title=f"Pairwise: {task}",
        )

    def analyses(self, links: Links, kind: str) -> str:
        entries = [(i, a) for i, a in enumerate(self.source.analyses) if a.kind == kind]
        return self._render(
            "analyses.html",
            links,
            kind=kind,
            entries=[(i, a, Markup(a.table_html or "")) for i, a in entries],
            title="Predictions" if kind == "prediction" else "Subsets",
        )

    def lint(self, links: Links) -> str:
        return self._render(
            "lint.html", links, report=self.source.lint(), title="Leaderboard smells"
        )

    def error(self, links: Links, status: int, message: str) -> str:
        return self._render("error.html", links, status=status, message=message, title="Error")
