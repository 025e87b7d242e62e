"""Static export: the web app's pages written as plain files that open from disk."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from assay.errors import InputError
from assay.report._pages import Links, PageRenderer, page_plots
from assay.report._plots import plotly_js_path
from assay.report._source import ReportSource, slug

__all__ = ["export_site"]


def export_site(
    source: ReportSource,
    out: str | Path,
    *,
    max_item_pages: int | None = None,
    png: bool = True,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> list[Path]:
    """Write every page of the report under ``out``; links between pages are relative,
    so ``out/index.html`` opens in a browser from disk with no server.

    Parameters
    ----------
    source
        The store and settings of the report.
    out
        The output folder (created; files of an earlier export are overwritten).
    max_item_pages
        At most this many item-explorer pages per task (all when ``None``).
    png
        Also write each plot as a PNG (matplotlib); the pages' PNG links need them.
    on_progress
        Called after each page group with its section (``"leaderboard"``, ``"models"``,
        ``"tasks"``, ``"pairwise"``), the number done and the section's total.

    Returns
    -------
    list of Path
        The files written.
    """
    if not isinstance(source, ReportSource):
        raise InputError(
            "the 'source' parameter of export_site must be a ReportSource; "
            f"got {type(source).__name__}"
        )
    if max_item_pages is not None and (
        not isinstance(max_item_pages, int)
        or isinstance(max_item_pages, bool)
        or max_item_pages < 1
    ):
        raise InputError(
            f"the 'max_item_pages' parameter of export_site must be >= 1 or None; "
            f"got {max_item_pages!r}"
        )
    if not isinstance(out, str | os.PathLike) or not str(out):
        raise InputError(f"the 'out' parameter of export_site must be a folder path; got {out!r}")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise InputError(f"the 'out' parameter of export_site must be a folder; {root} is a file")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"the 'out' parameter of export_site: cannot create the folder {root}: "
            f"{exc.strerror or exc}"
        ) from exc
    with source.session():
        return _export(source, root, max_item_pages, png, on_progress or _quiet)


def _quiet(section: str, done: int, total: int) -> None:
    """No progress report."""


def _export(
    source: ReportSource,
    root: Path,
    max_item_pages: int | None,
    png: bool,
    tick: Callable[[str, int, int], None],
) -> list[Path]:
    renderer = PageRenderer(source)
    top, sub = Links(static=True, depth=0), Links(static=True, depth=1)
    written: list[Path] = []

    def write(rel: str, content: str | bytes) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)

    def pngs(page: str, key: str) -> None:
        if not png:
            return
        for name, plot in page_plots(source, page, key).items():
            write(f"png/{page}-{key}-{name}.png", plot.png())

    # assets
    static = resources.files("assay.report") / "static"
    for name in ("app.css", "app.js"):
        write(f"static/{name}", (static / name).read_text(encoding="utf-8"))
    (root / "static" / "vendor").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plotly_js_path(), root / "static" / "vendor" / "plotly.min.js")
    written.append(root / "static" / "vendor" / "plotly.min.js")

    tick("leaderboard", 0, 1)
    board = source.leaderboard()
    write("index.html", renderer.leaderboard(top, None))
    pngs("leaderboard", "all")
    for i, g in enumerate(board.groups, 1):
        write(f"group-{slug(g)}.html", renderer.leaderboard(top, g))
        pngs("leaderboard", slug(g))
        tick("leaderboard", i, len(board.groups))

    names = source.names()
    models = sorted(names["models"].items())
    for i, (key, model) in enumerate(models, 1):
        write(f"models/{key}.html", renderer.model(sub, model))
        write(f"models/{key}-card.md", source.model_card(model).to_markdown())
        pngs("model", key)
        tick("models", i, len(models))
    tasks_by_key = sorted(names["tasks"].items())
    for i, (key, task) in enumerate(tasks_by_key, 1):
        write(f"tasks/{key}.html", renderer.task(sub, task))
        write(f"tasks/{key}-card.md", source.data_card(task).to_markdown())
        pngs("task", key)
        n_pages = source.items(task, 1).n_pages
        for page in range(1, (min(n_pages, max_item_pages or n_pages)) + 1):
            write(f"tasks/{key}-items-{page}.html", renderer.items(sub, task, page))
        tick("tasks", i, len(tasks_by_key))

    tasks, judges = source.pairwise_index()
    write("pairwise/index.html", renderer.pairwise(sub, None, None))
    pages = [(task, judge) for task in tasks for judge in [None, *judges[task]]]
    for i, (task, judge) in enumerate(pages, 1):
        jkey = slug(judge) if judge else "all"
        write(f"pairwise/{slug(task)}--{jkey}.html", renderer.pairwise(sub, task, judge))
        pngs("pairwise", f"{slug(task)}--{jkey}")
        tick("pairwise", i, len(pages))

    for kind in ("prediction", "subset"):
        write(f"{kind}s.html", renderer.analyses(top, kind))
    for i, a in enumerate(source.analyses):
        if a.plot_html:
            write(f"analyses/{a.kind}-{i}.html", a.plot_html)
        if a.plot_png:
            write(f"analyses/{a.kind}-{i}.png", a.plot_png)
    write("lint.html", renderer.lint(top))
    return written
