"""The runner: idempotent re-runs, resume after interruption, explicit error rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.errors import FormatError, InputError, ModelError
from assay.harness import run_task
from assay.harness.models import ChoiceScores, LoglikelihoodRequest
from assay.harness.models.mock import MockModel
from assay.harness.tasks import Task, TaskItem, load_task
from assay.store import Store


def _task(n: int = 20) -> Task:
    items = tuple(
        TaskItem(
            f"q{i}",
            f"{i} + 1 = ?",
            str(i + 1),
            choices=(str(i), str(i + 1), str(i + 2)),
            metadata={"difficulty": 1 + i % 3},
        )
        for i in range(n)
    )
    return Task(
        "plus-one",
        "1",
        "multiple_choice",
        items,
        templates={"default": "Q: {input}\nA:", "terse": "{input}"},
    )


def _rows(store: Store) -> list[tuple]:
    return sorted(
        (r["item_id"], r["prompt_variant"], r["sample_index"], r["metric"], r["value"])
        for r in store.read("scores").to_pylist()
    )


def test_run_stores_every_unit_and_rerun_changes_nothing(store: Store) -> None:
    task = _task()
    outcome = run_task(store, task, MockModel(), progress=False)
    assert outcome.status == "complete"
    assert outcome.units == 40
    assert outcome.done == 40
    assert store.count("responses") == 40
    assert store.count("scores") == 80
    assert store.count("items") == 20
    before = _rows(store)
    again = run_task(store, task, MockModel(), progress=False)
    assert again.run_id == outcome.run_id
    assert again.done == 0
    assert again.already_stored == 40
    assert _rows(store) == before
    run = store.read("runs").to_pylist()[0]
    assert run["status"] == "complete"
    assert run["data_hash"] == task.content_hash
    assert json.loads(run["config"])["model"]["adapter"] == "mock"


def test_accuracy_of_a_model_with_known_skill(store: Store) -> None:
    task = _task(200)
    answers = {task.prompt(it, "default"): it.target for it in task.items}
    run_task(
        store, task, MockModel(answers=answers, skill=1.0), variants=["default"], progress=False
    )
    acc = (
        store.query("SELECT avg(value) AS a FROM scores WHERE metric = 'acc'")
        .column("a")[0]
        .as_py()
    )
    assert acc == 1.0


class _Interrupting(MockModel):
    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def loglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores:
        if self.calls >= self.after:
            raise KeyboardInterrupt
        return super().loglikelihood(request)


def test_interrupted_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    task = _task()
    with Store(tmp_path / "ref.duckdb") as ref:
        run_task(ref, task, MockModel(), progress=False)
        expected = _rows(ref)
    with Store(tmp_path / "s.duckdb") as st:
        for after in (7, 9, 11):  # 27 of 40 units over three interrupted sessions
            with pytest.raises(KeyboardInterrupt):
                run_task(st, task, _Interrupting(after), flush_every=5, progress=False)
            assert st.read("runs").to_pylist()[0]["status"] == "partial"
        outcome = run_task(st, task, MockModel(), progress=False)
        assert outcome.status == "complete"
        assert outcome.already_stored > 0
        assert _rows(st) == expected
        dupes = (
            st.query(
                "SELECT count(*) AS n FROM (SELECT item_id, prompt_variant FROM responses GROUP BY ALL HAVING count(*) > 1)"
            )
            .column("n")[0]
            .as_py()
        )
        assert dupes == 0


class _Failing(MockModel):
    def loglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores:
        if request.context.split("\n")[0].removeprefix("Q: ") == "3 + 1 = ?":
            raise ModelError("context too long (simulated)")
        return super().loglikelihood(request)


def test_failed_items_are_error_rows_and_retried(store: Store) -> None:
    task = _task()
    outcome = run_task(store, task, _Failing(), progress=False)
    assert outcome.errors == 2  # item q3 under both variants
    errors = store.read("responses", where={"status": "error"}).to_pylist()
    assert {r["item_id"] for r in errors} == {"q3"}
    assert "simulated" in errors[0]["error"]
    nulls = (
        store.query("SELECT count(*) AS n FROM scores WHERE value IS NULL").column("n")[0].as_py()
    )
    assert nulls == 4
    retried = run_task(store, task, MockModel(), progress=False)
    assert retried.done == 2
    assert retried.errors == 0
    assert store.read("responses", where={"status": "error"}).num_rows == 0
    assert store.count("responses") == 40


def test_bad_arguments(store: Store) -> None:
    with pytest.raises(InputError, match="prompt variant"):
        run_task(store, _task(), MockModel(), variants=["nope"], progress=False)
    with pytest.raises(InputError, match="limit"):
        run_task(store, _task(), MockModel(), limit=0, progress=False)


def test_generation_task(store: Store) -> None:
    items = tuple(TaskItem(f"g{i}", f"say {i}", str(i)) for i in range(10))
    task = Task("say", "1", "generation", items, answer_pattern=r"(\d+)")
    answers = {task.prompt(it, "default"): f"{it.target} apples" for it in items}
    run_task(store, task, MockModel(answers=answers, skill=1.0), progress=False)
    values = store.read("scores").column("value").to_pylist()
    assert values == [1.0] * 10
    meta = json.loads(store.read("responses").to_pylist()[0]["metadata"])
    assert meta["answer"] == "0"


def test_task_files_load_with_clear_errors(tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text(
        json.dumps({"id": "a", "input": "1+1", "target": "2", "choices": ["2", "3"]})
        + "\n"
        + json.dumps({"id": "b", "input": "1+2", "target": "3", "choices": ["3", "4"]})
        + "\n"
    )
    task = load_task(str(items))
    assert task.kind == "multiple_choice"
    assert len(task.items) == 2
    assert task.name == "items"
    yml = tmp_path / "t.yaml"
    yml.write_text(
        "name: sums\nversion: 2\nkind: multiple_choice\nitems_file: items.jsonl\nfew_shot: 1\n"
    )
    task = load_task(str(yml))
    assert task.version == "2"
    assert task.few_shot == 1
    assert task.prompt(task.items[0], "default").startswith("1+2 3\n\n1+1")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "a", "input": "x", "target": "y"}) + "\n{not json\n")
    with pytest.raises(FormatError, match=r"bad.jsonl, line 2"):
        load_task(str(bad))
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(
        json.dumps({"id": "a", "input": "x", "target": "z", "choices": ["x", "y"]}) + "\n"
    )
    with pytest.raises(FormatError, match="not one of the choices"):
        load_task(str(wrong))
    typo = tmp_path / "typo.yaml"
    typo.write_text("name: t\nitem: []\n")
    with pytest.raises(FormatError, match="unknown task field"):
        load_task(str(typo))


def test_exact_match_normalisation() -> None:
    from assay.metrics import exact_match

    assert exact_match("  42. ", "42") == 1.0
    assert exact_match("a  b", "a b") == 1.0
    assert exact_match("rabbit", "RABBIT") == 0.0
    assert exact_match("rabbit", "RABBIT", ignore_case=True) == 1.0
