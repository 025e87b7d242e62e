"""The web app: FastAPI routers over a :class:`ReportSource`, pages rendered on the server.

The app is read-only: it opens the store read-only and has no route that writes, so any
POST, PUT, PATCH or DELETE is answered 405. Every response carries a Content-Security-
Policy that allows scripts only from the app itself (no inline script runs, so text that
reaches a page cannot execute), and static files are served only from the package's
``static`` folder (paths that leave it are refused).
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from assay.errors import InputError, PrerequisiteError
from assay.report._pages import Links, PageRenderer, page_plots
from assay.report._plots import plotly_js_path
from assay.report._source import ReportSource

try:  # the web extra; FastAPI resolves the endpoints' annotations in this module's globals
    from fastapi import FastAPI, Query, Request
    from fastapi.responses import (
        FileResponse,
        HTMLResponse,
        JSONResponse,
        PlainTextResponse,
        Response,
    )
    from fastapi.staticfiles import StaticFiles

    _HAVE_FASTAPI = True
except ImportError:  # pragma: no cover - create_app says what to install
    _HAVE_FASTAPI = False

__all__ = ["CSP", "create_app"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; frame-ancestors 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)
#: the analyses' own plot documents inline plotly.js: they run sandboxed, in an opaque origin
_FRAME_CSP = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:"
)


def create_app(source: ReportSource) -> Any:
    """The FastAPI application serving the leaderboard and drill-down pages of ``source``.

    Routes: ``/`` (leaderboard, ``?group=``), ``/models/KEY``, ``/tasks/KEY``,
    ``/tasks/KEY/items?page=N``, ``/pairwise?task=KEY&judge=KEY``, ``/predictions``,
    ``/subsets``, ``/lint``, the cards as Markdown (``/tasks/KEY/card.md``,
    ``/models/KEY/card.md``), plots as PNG (``/png/...``), ``/api/leaderboard.json`` and
    ``/static/...``. Keys are the slugs the pages link to.
    """
    if not isinstance(source, ReportSource):
        raise InputError(
            "the 'source' parameter of create_app must be a ReportSource; "
            f"got {type(source).__name__}"
        )
    if not _HAVE_FASTAPI:
        raise PrerequisiteError("the web app needs fastapi: pip install 'assay[web]'")
    renderer = PageRenderer(source)
    links = Links(static=False)
    app = FastAPI(title="assay report", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.exception_handler(InputError)
    async def not_found(request: Request, exc: InputError) -> HTMLResponse:
        return HTMLResponse(renderer.error(links, 404, str(exc)), status_code=404)

    def page(html: str) -> HTMLResponse:
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    @app.get("/", response_class=HTMLResponse)
    def home(group: str | None = None) -> HTMLResponse:
        name = None if not group else _group(group)
        # the rendered page is cached with the numbers: a thousand models x fifty tasks
        # is 50,000 cells of template work per request otherwise
        html = source.cached(
            ("html", "leaderboard", name), lambda st: renderer.leaderboard(links, name)
        )
        return page(html)

    def _group(key: str) -> str:
        if key in source.leaderboard().groups:
            return key
        return source.resolve_group(key)

    @app.get("/api/leaderboard.json")
    def api_leaderboard(group: str | None = None) -> JSONResponse:
        name = None if not group else _group(group)
        return JSONResponse(source.leaderboard(name).to_dict())

    @app.get("/models/{key}", response_class=HTMLResponse)
    def model(key: str) -> HTMLResponse:
        return page(renderer.model(links, source.resolve("models", key)))

    @app.get("/models/{key}/card.md")
    def model_card(key: str) -> PlainTextResponse:
        card = source.model_card(source.resolve("models", key))
        return PlainTextResponse(card.to_markdown(), media_type="text/markdown; charset=utf-8")

    @app.get("/tasks/{key}", response_class=HTMLResponse)
    def task(key: str) -> HTMLResponse:
        return page(renderer.task(links, source.resolve("tasks", key)))

    @app.get("/tasks/{key}/items", response_class=HTMLResponse)
    def items(key: str, number: Annotated[int, Query(alias="page", ge=1)] = 1) -> HTMLResponse:
        return page(renderer.items(links, source.resolve("tasks", key), number))

    @app.get("/tasks/{key}/card.md")
    def task_card(key: str) -> PlainTextResponse:
        card = source.data_card(source.resolve("tasks", key))
        return PlainTextResponse(card.to_markdown(), media_type="text/markdown; charset=utf-8")

    @app.get("/pairwise", response_class=HTMLResponse)
    def pairwise(task: str | None = None, judge: str | None = None) -> HTMLResponse:
        name = None if task is None else source.resolve("pairwise", task)
        who = None if not judge or judge == "all" else source.resolve("judges", judge)
        return page(renderer.pairwise(links, name, who))

    @app.get("/predictions", response_class=HTMLResponse)
    def predictions() -> HTMLResponse:
        return page(renderer.analyses(links, "prediction"))

    @app.get("/subsets", response_class=HTMLResponse)
    def subsets() -> HTMLResponse:
        return page(renderer.analyses(links, "subset"))

    def _analysis(kind: str, index: int) -> Any:
        if kind not in ("prediction", "subset") or not 0 <= index < len(source.analyses):
            raise InputError(f"no {kind} analysis {index}")
        a = source.analyses[index]
        if a.kind != kind:
            raise InputError(f"no {kind} analysis {index}")
        return a

    @app.get("/analyses/{kind}/{index}/plot.html")
    def analysis_plot(kind: str, index: int) -> HTMLResponse:
        a = _analysis(kind, index)
        if not a.plot_html:
            raise InputError(f"the {kind} analysis {index} has no interactive plot")
        return HTMLResponse(a.plot_html, headers={"Content-Security-Policy": _FRAME_CSP})

    @app.get("/analyses/{kind}/{index}/plot.png")
    def analysis_png(kind: str, index: int) -> Response:
        a = _analysis(kind, index)
        if not a.plot_png:
            raise InputError(f"the {kind} analysis {index} has no PNG")
        return Response(a.plot_png, media_type="image/png")

    @app.get("/lint", response_class=HTMLResponse)
    def lint() -> HTMLResponse:
        return page(renderer.lint(links))

    @app.get("/png/{page_name}/{key}/{name}.png")
    def png(page_name: str, key: str, name: str) -> Response:
        if page_name not in ("leaderboard", "model", "task", "pairwise"):
            raise InputError(f"no page {page_name!r}")
        plots = source.cached(
            ("png", page_name, key),
            lambda st: {n: p.png() for n, p in page_plots(source, page_name, key).items()},
        )
        if name not in plots:
            raise InputError(f"no plot {name!r} on this page")
        return Response(plots[name], media_type="image/png")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/vendor/plotly.min.js")
    def plotly_js() -> FileResponse:
        return FileResponse(plotly_js_path(), media_type="text/javascript")

    static_dir = str(resources.files("assay.report") / "static")
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    return app
