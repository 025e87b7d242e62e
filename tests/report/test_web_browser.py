"""The web app and the static export driven in a real headless Chromium."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.report import ReportSource, create_app, export_site
from assay.report._source import slug
from assay.schema import Comparison, Item, Model, Response, Run, Score
from assay.store import Store

pytestmark = pytest.mark.slow

INJECT_MODEL = '<img src=x onerror="alert(1)">'
INJECT_ATTR = '" onmouseover="alert(2)" data-x="'
INJECT_TASK = "<svg/onload=alert(3)>"
INJECT_OUTPUT = "</pre><script>alert(4)</script><b id=pwned>bold</b>"
INJECT_INPUT = '<iframe src="javascript:alert(5)"></iframe>\'"><img src=y onerror=alert(6)>'


@pytest.fixture(scope="module")
def real_server(real_store: Path, serve: Any) -> Iterator[Any]:
    source = ReportSource(real_store, resamples=200)
    with serve(create_app(source)) as server:
        server.source = source
        yield server


def _visit(watched: Any, url: str, shots: Path, name: str) -> Any:
    response = watched.page.goto(url)
    assert response is not None, url
    assert response.status == 200, url
    watched.page.wait_for_load_state("load")
    watched.page.screenshot(path=str(shots / f"{name}.png"), full_page=False)
    return response


def _column(page: Any, table: str, index: int) -> list[str]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr:not([hidden])",
        f"rows => rows.map(r => r.cells[{index}].getAttribute('data-value'))",
    )


def test_leaderboard_sorts_and_filters_real_data(
    real_server: Any, page: Any, screenshots: Path
) -> None:
    _visit(page, real_server.url + "/", screenshots, "leaderboard")
    p = page.page
    rows = p.locator("#leaderboard tbody tr")
    assert rows.count() >= 40  # ChemBench's 22 models, arena-bench's 16, lm-eval, Inspect
    headers = p.locator("#leaderboard thead th").all_inner_texts()
    assert "chembench" in headers
    assert "arena-bench-v1" in headers
    # the provenance of a number: its runs, metric, items and data hash
    title = p.locator("#leaderboard tbody tr").first.locator("td").nth(2).get_attribute("title")
    assert "macro mean" in title
    cell_titles = p.eval_on_selector_all(
        "#leaderboard tbody td[title*='runs ']", "c => c.map(x => x.title)"
    )
    assert cell_titles
    assert all("data " in t and "assay " in t for t in cell_titles)
    # the plot rendered by plotly.js, served locally
    p.wait_for_selector("figure.plot .main-svg")

    # sorting: "mean" is numeric, high to low first, then low to high
    p.locator("#leaderboard thead th", has_text="mean").first.click()
    means = [float(x) for x in _column(p, "leaderboard", 2)]
    assert means == sorted(means, reverse=True)
    p.locator("#leaderboard thead th", has_text="mean").first.click()
    means = [float(x) for x in _column(p, "leaderboard", 2)]
    assert means == sorted(means)
    p.locator("#leaderboard thead th", has_text="model").first.click()
    names = [x.lower() for x in _column(p, "leaderboard", 1)]
    assert names == sorted(names)
    # a task column: models without the task go last
    chem = headers.index("chembench")
    p.locator("#leaderboard thead th").nth(chem).click(position={"x": 2, "y": 2})
    values = _column(p, "leaderboard", chem)
    filled = [float(v) for v in values if v]
    assert filled == sorted(filled, reverse=True)
    assert all(values[: len(filled)])

    # filtering models by name
    p.fill("#model-filter", "gpt-4")
    visible = _column(p, "leaderboard", 1)
    assert visible
    assert all("gpt-4" in v.lower() for v in visible)
    p.fill("#model-filter", "")

    # filtering by task group: the select navigates to the group's leaderboard
    group = "leaderboard_math_hard"
    p.select_option("#group-select", label=group)
    p.wait_for_url(f"**group={group}")
    headers = p.locator("#leaderboard thead th").all_inner_texts()[6:]
    assert headers
    assert all(h.startswith("leaderboard_math") for h in headers)
    p.screenshot(path=str(screenshots / "leaderboard-group.png"))
    assert page.errors == []
    assert page.dialogs == []


def test_item_explorer_pages(real_server: Any, page: Any, screenshots: Path) -> None:
    _visit(page, f"{real_server.url}/tasks/{slug('winogrande')}", screenshots, "task")
    p = page.page
    p.wait_for_selector("figure.plot .main-svg")  # item difficulty histogram
    assert p.locator("#task-scores tbody tr").count() >= 2
    p.click("#explore")
    p.wait_for_url("**/items?page=1")
    assert p.inner_text("#page-info") == "page 1 of 1"
    # winogrande has 10 items, 10 per page: check an item with each model's output
    first = p.locator("section.item").first
    assert first.locator("pre.input").inner_text().strip()
    assert first.locator("table.answers tbody tr").count() >= 2
    p.screenshot(path=str(screenshots / "items.png"))

    _visit(
        page,
        f"{real_server.url}/tasks/{slug('chembench')}/items?page=1",
        screenshots,
        "items-chembench",
    )
    assert p.inner_text("#page-info") == "page 1 of 286"
    ids1 = p.eval_on_selector_all("section.item", "s => s.map(x => x.dataset.item)")
    p.click("#next")
    p.wait_for_url("**page=2")
    ids2 = p.eval_on_selector_all("section.item", "s => s.map(x => x.dataset.item)")
    assert len(ids1) == len(ids2) == 10
    assert not set(ids1) & set(ids2)
    assert p.locator("section.item").first.locator("table.answers tbody tr").count() == 22
    p.click("#prev")
    p.wait_for_url("**page=1")
    assert page.errors == []
    assert page.dialogs == []


def test_every_page_loads_without_console_errors(
    real_server: Any, page: Any, screenshots: Path
) -> None:
    url = real_server.url
    model = "gpt-4o"
    _visit(page, f"{url}/models/{slug(model)}", screenshots, "model")
    assert page.page.locator("#model-scores tbody tr").count() >= 1
    assert "Model card" in page.page.inner_text("main")

    _visit(page, f"{url}/pairwise", screenshots, "pairwise-index")
    page.page.click("text=human")
    page.page.wait_for_selector("#ratings")
    page.page.wait_for_selector("figure.plot .main-svg")
    page.page.screenshot(path=str(screenshots / "pairwise.png"), full_page=True)
    assert page.page.locator("#ratings tbody tr").count() == 9  # nine models in the human votes
    assert page.page.locator("#winrate tbody tr").count() == 9
    assert "%" in page.page.locator("#ratings thead").inner_text()  # the interval column

    # no model sizes in this store: no scaling backtest
    _visit(page, url + "/predictions", screenshots, "predictions")
    assert page.page.locator("#no-analysis").is_visible()
    # the item matrices are large enough for the report's own subset backtests
    _visit(page, url + "/subsets", screenshots, "subsets")
    assert page.page.locator("#no-analysis").count() == 0
    titles = page.page.locator("section.analysis h2").all_inner_texts()
    assert any("chembench" in t for t in titles), titles
    page.page.wait_for_selector("iframe.plot-frame")
    _visit(page, url + "/lint", screenshots, "lint")
    smells = page.page.eval_on_selector_all("section.smell", "s => s.map(x => x.dataset.smell)")
    assert "non-separable" in smells
    assert "duplicate-model" in smells
    md = page.page.goto(f"{url}/tasks/{slug('chembench')}/card.md")
    assert md is not None
    assert md.status == 200
    assert "# Data card: chembench" in md.text()
    assert page.errors == []
    assert page.dialogs == []


def _raw(url: str, method: str, path: str) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    con = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        con.putrequest(method, path, skip_accept_encoding=True)
        con.putheader("Content-Length", "0")
        con.endheaders()
        resp = con.getresponse()
        return resp.status, resp.read()
    finally:
        con.close()


def test_path_traversal_refused_and_no_write_endpoint(
    real_server: Any, page: Any, real_store: Path
) -> None:
    url = real_server.url
    assert _raw(url, "GET", "/static/app.css")[0] == 200
    for path in (
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/vendor/../../_web.py",
        "/static/%2e%2e/_web.py",
        "/static/..\\..\\_web.py",
        "/static//etc/passwd",
        "/tasks/..%2f..%2fetc%2fpasswd",
        "/png/task/..%2f..%2f/x.png",
    ):
        status, body = _raw(url, "GET", path)
        assert status in (400, 404), (path, status)
        assert b"root:" not in body
        assert b"create_app" not in body
    # the same through the browser, whose URL parser normalises dots itself
    resp = page.page.goto(url + "/static/%2e%2e/_web.py")
    assert resp is not None
    assert resp.status in (400, 404)

    before = real_store.stat().st_mtime_ns
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in (
            "/",
            "/api/leaderboard.json",
            f"/tasks/{slug('chembench')}",
            "/lint",
            "/static/app.css",
        ):
            assert _raw(url, method, path)[0] == 405, (method, path)
    assert real_store.stat().st_mtime_ns == before
    routes = {
        m for r in real_server.server.config.app.routes for m in getattr(r, "methods", ()) or ()
    }
    assert routes <= {"GET", "HEAD"}


def _malicious_store(path: Path) -> None:
    models = [INJECT_MODEL, INJECT_ATTR, "plain-model"]
    with Store(path) as st:
        st.write(
            {
                "runs": [Run(run_id="r1", source="test")],
                "models": [Model(model_id=m) for m in models],
                "items": [
                    Item(task=INJECT_TASK, item_id=str(i), input=INJECT_INPUT, target=INJECT_OUTPUT)
                    for i in range(5)
                ],
                "responses": [
                    Response(
                        run_id="r1",
                        model_id=m,
                        task=INJECT_TASK,
                        item_id=str(i),
                        output=INJECT_OUTPUT,
                    )
                    for m in models
                    for i in range(5)
                ],
                "scores": [
                    Score(
                        run_id="r1",
                        model_id=m,
                        task=INJECT_TASK,
                        item_id=str(i),
                        metric="acc",
                        value=float((i + j) % 2),
                    )
                    for j, m in enumerate(models)
                    for i in range(5)
                ],
                "comparisons": [
                    Comparison(
                        run_id="r1",
                        task=INJECT_TASK,
                        item_id=str(i),
                        model_a=a,
                        model_b=b,
                        judge=INJECT_ATTR,
                        winner=w,
                    )
                    for i in range(4)
                    for a, b, w in (
                        (models[0], models[1], "a"),
                        (models[1], models[2], "b"),
                        (models[0], models[2], "tie"),
                    )
                ],
            }
        )


def test_injection_payloads_render_inert(
    tmp_path: Path, serve: Any, page: Any, screenshots: Path
) -> None:
    store = tmp_path / "evil.duckdb"
    _malicious_store(store)
    source = ReportSource(store, resamples=50)
    with serve(create_app(source)) as server:
        pages = {
            "evil-leaderboard": "/",
            "evil-model": f"/models/{slug(INJECT_MODEL)}",
            "evil-model-attr": f"/models/{slug(INJECT_ATTR)}",
            "evil-task": f"/tasks/{slug(INJECT_TASK)}",
            "evil-items": f"/tasks/{slug(INJECT_TASK)}/items?page=1",
            "evil-pairwise": f"/pairwise?task={slug(INJECT_TASK)}&judge={slug(INJECT_ATTR)}",
            "evil-lint": "/lint",
        }
        p = page.page
        for name, path in pages.items():
            _visit(page, server.url + path, screenshots, name)
            for el in p.locator("td, th, a, pre").all()[:60]:
                el.hover(timeout=2000, force=True)  # would fire an injected onmouseover
            injected = p.evaluate(
                """() => {
                    const bad = [];
                    for (const el of document.querySelectorAll('*')) {
                        for (const a of el.attributes) {
                            if (a.name.startsWith('on')) bad.push(el.tagName + ' ' + a.name);
                            if (/javascript:/i.test(a.value)) bad.push(el.tagName + ' ' + a.name);
                        }
                    }
                    for (const s of document.querySelectorAll('script')) {
                        if (!s.src && s.type !== 'application/json') bad.push('inline script');
                    }
                    if (document.querySelector('#pwned, iframe, img[src=x], img[src=y], svg[onload]'))
                        bad.push('injected element');
                    return bad;
                }"""
            )
            assert injected == [], (name, injected)
            text = p.inner_text("body")
            if name in ("evil-leaderboard", "evil-model"):
                assert INJECT_MODEL in text, name
            if name in ("evil-task", "evil-items"):
                assert INJECT_TASK in text, name
            if name == "evil-items":
                assert INJECT_OUTPUT in text
                assert INJECT_INPUT in text
            if name == "evil-pairwise":
                assert INJECT_MODEL in text
                assert INJECT_ATTR in text
        assert page.dialogs == []
        assert page.errors == []


def test_static_export_opens_from_disk(
    real_server: Any, page: Any, screenshots: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    ticks: list[tuple[str, int, int]] = []
    export_site(
        real_server.source,
        out,
        max_item_pages=2,
        png=False,
        on_progress=lambda section, done, total: ticks.append((section, done, total)),
    )
    # progress by section, each counting up to its total, in page order
    sections = list(dict.fromkeys(s for s, _, _ in ticks))
    assert sections == ["leaderboard", "models", "tasks", "pairwise"]
    for section in ("models", "tasks", "pairwise"):
        counts = [(d, t) for s, d, t in ticks if s == section]
        assert [d for d, _ in counts] == list(range(1, len(counts) + 1))
        assert counts[-1][0] == counts[-1][1]
    p = page.page
    p.goto(real_server.url + "/")
    served = p.inner_text("#leaderboard")
    p.goto(real_server.url + f"/tasks/{slug('chembench')}/items?page=2")
    served_items = p.inner_text("main")

    p.goto((out / "index.html").as_uri())
    p.wait_for_selector("figure.plot .main-svg")
    p.screenshot(path=str(screenshots / "static-index.png"))
    assert p.inner_text("#leaderboard") == served
    p.locator("#leaderboard thead th", has_text="mean").first.click()
    means = [float(x) for x in _column(p, "leaderboard", 2)]
    assert means == sorted(means, reverse=True)
    # links work between files: a model page, a task page, its item pages
    p.click(f"#leaderboard a[href='models/{slug('gpt-4o')}.html']")
    p.wait_for_selector("#model-scores")
    p.go_back()
    p.goto((out / "tasks" / f"{slug('chembench')}.html").as_uri())
    p.click("#explore")
    p.click("#next")
    p.wait_for_url("**-items-2.html")
    assert p.inner_text("main") == served_items
    p.screenshot(path=str(screenshots / "static-items.png"))
    p.goto((out / "pairwise" / "index.html").as_uri())
    p.click("text=human")
    p.wait_for_selector("#ratings")
    p.goto((out / "lint.html").as_uri())
    assert p.locator("section.smell").count() >= 1
    assert page.errors == []
    assert page.dialogs == []
    data = json.loads(_raw(real_server.url, "GET", "/api/leaderboard.json")[1])
    assert [r["model"] for r in data["rows"]][:3] == [
        line.split("\t")[1] for line in served.strip().splitlines()[1:4]
    ]
