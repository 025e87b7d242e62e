"""Generation tasks graded by a per-item metric of the registry, named in the task."""

from __future__ import annotations

import dataclasses

import pytest

from assay.errors import InputError
from assay.harness.models.mock import MockModel
from assay.harness.runner import run_task
from assay.harness.tasks import Task, TaskItem
from assay.store import Store


def _task(metric: str) -> Task:
    items = (
        TaskItem("a", "Where did the cat sit?", "on the mat today"),
        TaskItem("b", "Say hello.", "hello there"),
    )
    return Task("qa", "1", "generation", items, metric=metric)


def test_a_registered_per_item_metric_grades_each_answer(tmp_path) -> None:
    task = _task("token_f1")
    answers = {task.prompt(item, "default"): out for item, out in
               zip(task.items, ("the cat sat on the mat", "goodbye"), strict=True)}  # fmt: skip
    with Store(tmp_path / "s.duckdb") as st:
        run_task(st, task, MockModel("m", answers=answers, skill=1.0), progress=False)
        got = {r["item_id"]: r["value"] for r in st.read("scores").to_pylist()}
    # SQuAD-style token F1, by hand: articles and punctuation dropped, bags of tokens;
    # "cat sat on mat" vs "on mat today": 2 common, precision 2/4, recall 2/3
    assert got["a"] == pytest.approx(2 * (2 / 4) * (2 / 3) / (2 / 4 + 2 / 3))
    assert got["b"] == 0.0


def test_unusable_metric_names_fail_when_the_task_is_built() -> None:
    with pytest.raises(InputError, match="registered metric"):
        _task("no_such_metric")
    with pytest.raises(InputError, match="assay score RUN --metric bleu"):
        _task("bleu")
    # multiple choice keeps its own metric; the default generation metric is exact match
    assert dataclasses.replace(_task("token_f1"), metric="").metric == "exact_match"
