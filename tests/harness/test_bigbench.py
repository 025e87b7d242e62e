"""The BIG-bench JSON task loader: prompts as BIG-bench writes them, choices and targets,
errors that name the field, and a run through the runner.

The fixtures in ``tests/data/bigbench/<name>/task.json`` are invented for these tests (the
canary GUID too) and follow the structure of BIG-bench's JSON tasks: ``bracket_closing``
(multiple choice on BIG-bench's default prefixes, braces in the prefix, inputs and
choices, a tie for the highest score, a duplicate example), ``tense_of_sentence``
(multiple choice with its own prefixes and ``append_choices_to_input: false``) and
``unit_conversion`` (generation with list targets, ``output_regex`` and ``stop_string``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay.errors import FormatError
from assay.harness import run_task
from assay.harness.models.mock import MockModel
from assay.harness.tasks import Task, TaskItem, load_task
from assay.harness.tasks.bigbench import load_bigbench
from assay.metrics import extract_answer
from assay.store import Store

DATA = Path(__file__).resolve().parents[1] / "data" / "bigbench"
BRACKETS = DATA / "bracket_closing" / "task.json"
TENSE = DATA / "tense_of_sentence" / "task.json"
UNITS = DATA / "unit_conversion" / "task.json"


def _item(task: Task, item_id: str) -> TaskItem:
    return next(it for it in task.items if it.item_id == item_id)


def _write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "task.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _mc(**extra: Any) -> dict[str, Any]:
    return {
        "name": "tiny",
        "examples": [
            {"input": "1 + 1", "target_scores": {"2": 1, "3": 0}},
            {"input": "2 + 2", "target_scores": {"4": 1, "5": 0}},
        ],
        **extra,
    }


# ------------------------------------------------------------------ multiple choice
def test_multiple_choice_prompt_uses_bigbench_defaults_and_keeps_braces() -> None:
    task = load_bigbench(BRACKETS)
    assert task.kind == "multiple_choice"
    assert task.name == "bracket_closing"
    assert task.version == "1"
    assert task.metric == "acc"
    assert task.description.startswith("Pick the bracket")
    assert task.templates == {
        "default": "Sequences use {{}}, [] and (). Close the innermost open bracket.\n"
        "\nQ: {input}\nA: "
    }
    item = _item(task, "1")
    assert task.prompt(item, "default") == (
        "Sequences use {}, [] and (). Close the innermost open bracket.\n"
        "\nQ: ( { } ["
        "\n  choice: )"
        "\n  choice: ]"
        "\n  choice: }"
        "\nA: "
    )
    assert item.choices == (")", "]", "}")
    assert item.target == "]"
    assert item.gold == 1
    # each choice is scored right after the output prefix, as BIG-bench scores it
    assert task.continuations(item) == (")", "]", "}")
    assert item.metadata["comment"] == "the square bracket opened last"
    assert item.metadata["idx"] == 1
    assert item.metadata["target_scores"] == {")": 0, "]": 1, "}": 0}
    assert item.metadata["correct_choices"] == ["]"]


def test_tied_highest_scores_take_the_first_and_record_all() -> None:
    item = _item(load_bigbench(BRACKETS), "3")
    assert item.choices == ("}", "} )", "]")
    assert item.target == "}"
    assert item.gold == 0
    assert item.metadata["correct_choices"] == ["}", "} )"]


def test_duplicate_examples_are_dropped_and_recorded() -> None:
    task = load_bigbench(BRACKETS)
    assert [it.item_id for it in task.items] == ["0", "1", "2", "3"]
    assert task.metadata["loader"]["duplicate_examples"] == [4]


def test_task_metadata_keeps_the_file_and_the_settings_in_force() -> None:
    task = load_bigbench(BRACKETS)
    assert task.metadata["keywords"] == ["logical reasoning", "multiple choice", "zero-shot"]
    assert task.metadata["metrics"] == ["multiple_choice_grade"]
    assert task.metadata["preferred_score"] == "multiple_choice_grade"
    assert task.metadata["canary"].startswith("BENCHMARK DATA SHOULD NEVER APPEAR")
    assert "examples" not in task.metadata
    settings = task.metadata["loader"]["settings"]
    assert settings["example_input_prefix"] == "\nQ: "
    assert settings["example_output_prefix"] == "\nA: "
    assert settings["choice_prefix"] == "\n  choice: "
    assert settings["append_choices_to_input"] is True
    assert settings["few_shot_example_separator"] == "\n"


def test_own_prefixes_without_appended_choices() -> None:
    task = load_bigbench(TENSE)
    item = _item(task, "1")
    assert task.prompt(item, "default") == (
        "Name the tense of each sentence.\nSentence: Our train leaves at noon tomorrow.\nTense: "
    )
    assert item.input == "Our train leaves at noon tomorrow."
    assert item.choices == ("past", "present", "future")
    assert item.target == "present"
    assert item.metadata["target_scores"]["future"] == 0.5


def test_braces_in_prefixes_are_literal(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        _mc(
            task_prefix="Keep {input} and {0} as they are.",
            example_input_prefix="\n{Q}: ",
            example_output_prefix="\n{A}: ",
        ),
    )
    task = load_bigbench(path)
    assert task.prompt(task.items[0], "default") == (
        "Keep {input} and {0} as they are.\n{Q}: 1 + 1\n  choice: 2\n  choice: 3\n{A}: "
    )


def test_item_ids_are_zero_padded_to_the_largest_index(tmp_path: Path) -> None:
    examples = [{"input": f"{i} + 1", "target": str(i + 1)} for i in range(12)]
    task = load_bigbench(_write(tmp_path, {"examples": examples}))
    assert [it.item_id for it in task.items][:3] == ["00", "01", "02"]
    assert task.items[-1].item_id == "11"
    # no name in the file: the directory's name
    assert task.name == tmp_path.name


# ------------------------------------------------------------------ generation
def test_generation_with_list_targets_regex_and_stop_string() -> None:
    task = load_bigbench(UNITS)
    assert task.kind == "generation"
    assert task.version == "2"
    assert task.metric == "exact_match"
    assert task.stop == ("\n",)
    assert task.answer_pattern == r"[-+]?\d+(?:\.\d+)?"
    assert task.metadata["source"] == "invented for assay's tests"
    assert task.metadata["loader"]["settings"]["few_shot_example_separator"] == "\n\n"
    item = _item(task, "0")
    assert item.target == "2500"
    assert item.metadata["targets"] == ["2500", "2500.0"]
    assert item.choices is None
    braces = _item(task, "2")
    assert task.prompt(braces, "default") == (
        "\nQuestion: How many litres are in 750 millilitres? (write {x} as a decimal)\nAnswer: "
    )
    assert braces.metadata["comment"] == "braces in the input stay literal"
    assert extract_answer(" 2500 grams", task.answer_pattern) == "2500"


def test_generation_defaults_follow_bigbench(tmp_path: Path) -> None:
    doc = {"examples": [{"input": "Capital of France?", "target": "Paris"}]}
    task = load_bigbench(_write(tmp_path, doc))
    assert task.prompt(task.items[0], "default") == "\nQ: Capital of France?\nA: "
    # neither output_regex nor stop_string: BIG-bench's default answer pattern, no stop
    assert task.stop == ()
    assert extract_answer("\n Paris. It is", task.answer_pattern).strip() == "Paris"


def test_name_argument_wins(tmp_path: Path) -> None:
    assert load_bigbench(UNITS, name="units").name == "units"


# ------------------------------------------------------------------ load_task
@pytest.mark.parametrize(
    "spec",
    [str(UNITS), f"bigbench:{UNITS}", f"bigbench:{UNITS.parent}"],
    ids=["task.json", "bigbench:file", "bigbench:dir"],
)
def test_load_task_dispatches_to_the_bigbench_loader(spec: str) -> None:
    task = load_task(spec)
    assert task.name == "unit_conversion"
    assert task.content_hash == load_bigbench(UNITS).content_hash


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ({"name": "x"}, "examples", "non-empty `examples`"),
        ({"examples": []}, "examples", "non-empty `examples`"),
        ({"examples": ["just text"]}, "examples[0]", "must be an object"),
        ({"examples": [{"target": "a"}]}, "examples[0].input", "`input` is missing"),
        ({"examples": [{"input": 3, "target": "a"}]}, "examples[0].input", "must be a string"),
        ({"examples": [{"input": "q"}]}, "examples[0].target", "neither `target`"),
        ({"examples": [{"input": "q", "target": 7}]}, "examples[0].target", "string or"),
        ({"examples": [{"input": "q", "target": []}]}, "examples[0].target", "non-empty list"),
        (
            _mc(examples=[*_mc()["examples"], {"input": "q", "target_scores": {"a": "1", "b": 0}}]),
            "examples[2].target_scores",
            "finite number",
        ),
        (
            _mc(examples=[{"input": "q", "target_scores": {"a": True, "b": False}}]),
            "examples[0].target_scores",
            "finite number",
        ),
        (
            _mc(examples=[{"input": "q", "target_scores": {"a": 1}}]),
            "examples[0].target_scores",
            "at least two choices",
        ),
        (
            _mc(examples=[*_mc()["examples"], {"input": "q", "target": "a"}]),
            "examples[2]",
            "example 0 is multiple choice but this one is generation",
        ),
        (_mc(append_choices_to_input="yes"), "append_choices_to_input", "true or false"),
        (_mc(example_input_prefix=["Q"]), "example_input_prefix", "must be a string"),
        (_mc(output_regex="(a)(b)"), "output_regex", "capturing groups"),
        (_mc(output_regex="(unclosed"), "output_regex", "not a valid regular expression"),
    ],
)
def test_malformed_files_name_the_field(
    tmp_path: Path, doc: dict[str, Any], field: str, words: str
) -> None:
    path = _write(tmp_path, doc)
    with pytest.raises(FormatError) as info:
        load_bigbench(path)
    assert info.value.field == field
    assert words in str(info.value)
    assert str(path) in str(info.value)


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "task.json"
    path.write_text('{\n  "name": "x",\n  "examples": [\n    {"input": "q",}\n  ]\n}\n')
    with pytest.raises(FormatError, match="invalid JSON") as info:
        load_bigbench(path)
    assert info.value.line == 4


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="JSON object at the top level"):
        load_bigbench(_write(tmp_path, [{"input": "q", "target": "a"}]))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such BIG-bench task file"):
        load_task(f"bigbench:{tmp_path / 'nope' / 'task.json'}")


# ------------------------------------------------------------------ running
@pytest.mark.parametrize("path", [BRACKETS, TENSE, UNITS], ids=lambda p: p.parent.name)
def test_run_stores_one_response_per_item(tmp_path: Path, path: Path) -> None:
    task = load_bigbench(path)
    # a mock that knows every gold answer: checks that prompts, choices and gold line up
    answers = {
        task.prompt(it, "default"): it.target
        if task.kind == "multiple_choice"
        else f"{it.target} units\nmore"
        for it in task.items
    }
    with Store(tmp_path / "s.duckdb") as store:
        outcome = run_task(store, task, MockModel(answers=answers, skill=1.0), progress=False)
        assert outcome.status == "complete"
        assert store.count("responses") == len(task.items)
        assert store.count("items") == len(task.items)
        responses = store.read("responses").to_pylist()
        assert sorted(r["item_id"] for r in responses) == [it.item_id for it in task.items]
        assert all(r["status"] == "ok" for r in responses)
        scores = [r for r in store.read("scores").to_pylist() if r["metric"] == task.metric]
        assert [r["value"] for r in scores] == [1.0] * len(task.items)
