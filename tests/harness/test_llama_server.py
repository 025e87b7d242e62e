"""assay against a real OpenAI-compatible server: llama-cpp-python's own server running
the bundled model on 127.0.0.1.

It also records a real finding: this server's echoed prompt log-probabilities are
shifted by one token (each token is scored with the distribution meant for the next),
which `check_model` reports, and which would silently give wrong multiple-choice scores.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assay.harness import run_task
from assay.harness.conformance import check_model
from assay.harness.models import load_model
from assay.harness.models.openai import OpenAIModel
from assay.harness.tasks import builtin_task
from assay.store import Store

for module in (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
):
    pytest.importorskip(
        module, reason="needs llama-cpp-python's server extras (`make test` installs them)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from assay.harness.models.llamacpp import resolve_model_file

    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(resolve_model_file("smollm2")),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "1",
        # the adapter's numerics (flash attention, micro-batches of at most 63 tokens), so
        # that the only difference check_model can find is the server's shift
        "--flash_attn",
        "true",
        "--n_batch",
        "63",
        "--n_ubatch",
        "63",
    ]
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("llama-cpp-python's server did not start")
            time.sleep(0.5)
        yield url
        proc.terminate()
        proc.wait(timeout=30)


def test_generation_run_through_the_server(server: str, tmp_path: Path) -> None:
    task = builtin_task("arithmetic_gen", n_items=6)
    model = OpenAIModel("smollm2", server, max_concurrency=2, timeout_s=60)
    with Store(tmp_path / "s.duckdb") as st:
        outcome = run_task(st, task, model, variants=["default"], progress=False)
        assert outcome.status == "complete"
        assert outcome.errors == 0
        rows = st.read("responses").to_pylist()
    assert len(rows) == 6
    assert all(r["status"] == "ok" and "\n" not in (r["output"] or "") for r in rows)


def test_check_model_reports_the_servers_shifted_logprobs(server: str) -> None:
    model = OpenAIModel("smollm2", server, max_concurrency=2, timeout_s=60)
    report = check_model(model, reference=load_model("llamacpp:smollm2", threads=1), items=2)
    assert report.verdict == "shifted"
    assert report.max_diff > 1.0
