"""Fixtures of the report tests: a store of real data, a live server, a headless Chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.store import Store

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CHROMIUM = Path("/usr/bin/chromium")
#: flags that keep Chromium off the network (Playwright adds a fresh --user-data-dir)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: real data, imported through assay's importers: lm-eval v0.4 item files, Inspect logs,
#: the Vicuna-80 pairwise votes and the ChemBench / arena-bench item matrices
REAL_PATHS = [
    "inspect_ai_logs",
    "pairwise_vicuna80_prd",
    "item_level_matrices",
    "lm_eval_harness_outputs/kt_lm_eval_v0.4/LGAI-EXAONE__EXAONE-3.0-7.8B-Instruct",
    "lm_eval_harness_outputs/kt_lm_eval_v0.4/gpt-4o",
    "lm_eval_harness_outputs/kt_lm_eval_v0.4/upstage__SOLAR-10.7B-Instruct-v1.0",
]


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file filled with real data from ../shared/data (skips when absent)."""
    if not SHARED.is_dir():
        pytest.skip("needs ../shared/data (public evaluation data, present in CI)")
    from assay.io import import_paths

    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    with Store(path) as st:
        report = import_paths(st, [SHARED / p for p in REAL_PATHS])
        assert report.ok, [o.error for o in report.failed]
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving an app on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def serve() -> Callable[[Any], LiveServer]:
    """Make a live server for an app (use as a context manager)."""
    return LiveServer


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (the Debian package) driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.skip(
            "needs Chromium at /usr/bin/chromium (apt-get install chromium chromium-driver)"
        )
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright from PyPI")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Watched:
    """A browser page that records console errors, page errors and dialogs."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

        def on_dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)


@pytest.fixture
def page(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests write a screenshot of each page (under pytest's basetemp)."""
    path = tmp_path_factory.getbasetemp() / "screenshots"
    path.mkdir(exist_ok=True)
    return path
