"""The HELM importer, on a small run directory in HELM's layout (tests/data/helm)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from assay.errors import FormatError
from assay.io.helm import HelmImporter, parse_run_name
from assay.store import Store

RUN_NAME = (
    "mmlu:subject=anatomy,method=multiple_choice_joint,model=openai_gpt2,"
    "data_augmentation=canonical"
)
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "helm" / RUN_NAME


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture run directory, under runs/<suite>/."""
    target = tmp_path / "benchmark_output" / "runs" / "v1" / RUN_NAME
    shutil.copytree(FIXTURE, target)
    return target


def _files(d: Path) -> tuple[Path, ...]:
    (group,) = HelmImporter().group(sorted(d.iterdir()))
    return group


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _dump(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2))


# --------------------------------------------------------------------------- detection


def test_claims_the_stats_file_and_its_companions_only_beside_it(tmp_path: Path) -> None:
    imp = HelmImporter()
    assert imp.claims(FIXTURE / "per_instance_stats.json")
    assert imp.claims(FIXTURE / "run_spec.json")
    assert imp.claims(FIXTURE / "scenario_state.json")
    lone = tmp_path / "run_spec.json"
    shutil.copy(FIXTURE / "run_spec.json", lone)
    assert not imp.claims(lone)
    other = tmp_path / "results.json"
    other.write_text("{}")
    assert not imp.claims(other)
    assert imp.group([lone]) == []


def test_groups_a_directory_into_one_unit_with_its_companions() -> None:
    imp = HelmImporter()
    everything = imp.group(sorted(FIXTURE.iterdir()))
    only_stats = imp.group([FIXTURE / "per_instance_stats.json"])
    assert everything == only_stats
    (group,) = everything
    assert [p.name for p in group] == [
        "per_instance_stats.json",
        "run_spec.json",
        "scenario_state.json",
    ]


def test_parse_run_name() -> None:
    scenario, args = parse_run_name("mmlu:subject=anatomy,method=multiple_choice_joint")
    assert scenario == "mmlu"
    assert args == [("subject", "anatomy"), ("method", "multiple_choice_joint")]
    assert parse_run_name("boolq") == ("boolq", [])


# --------------------------------------------------------------------------- reading


def test_reads_the_fixture_run(run_dir: Path) -> None:
    batch = HelmImporter().read(_files(run_dir))
    assert batch.source == "helm"
    assert batch.run_id.startswith("helm-")
    assert batch.notes == ()
    assert batch.rows() == {
        "runs": 1,
        "models": 1,
        "items": 6,
        "responses": 8,
        "scores": 24,
    }
    scores = batch.tables["scores"].to_pylist()
    assert {s["task"] for s in scores} == {"mmlu:subject=anatomy"}
    assert {s["model_id"] for s in scores} == {"openai/gpt2"}
    assert {s["metric"] for s in scores} == {
        "exact_match",
        "quasi_exact_match",
        "num_prompt_tokens",
    }
    assert {s["prompt_variant"] for s in scores} == {"", "mild_mix"}

    # every score equals the stat's mean in the file
    expected = {}
    for entry in _load(run_dir / "per_instance_stats.json"):
        variant = entry.get("perturbation", {}).get("name", "")
        for stat in entry["stats"]:
            key = (entry["instance_id"], entry["train_trial_index"], variant, stat["name"]["name"])
            expected[key] = stat["mean"]
    got = {
        (s["item_id"], s["sample_index"], s["prompt_variant"], s["metric"]): s["value"]
        for s in scores
    }
    assert got == expected
    originals = [
        s["value"] for s in scores if s["metric"] == "exact_match" and s["prompt_variant"] == ""
    ]
    assert sum(originals) / len(originals) == pytest.approx(0.5)

    run = batch.tables["runs"].to_pylist()[0]
    assert run["granularity"] == "item"
    assert json.loads(run["config"])["name"] == RUN_NAME
    meta = json.loads(run["metadata"])
    assert meta["suite"] == "v1"
    assert meta["run_name"] == RUN_NAME


def test_items_and_responses_come_from_the_scenario_state(run_dir: Path) -> None:
    batch = HelmImporter().read(_files(run_dir))
    items = {i["item_id"]: i for i in batch.tables["items"].to_pylist()}
    anatomy = items["id45"]
    assert anatomy["input"].startswith("Which chamber of the heart")
    assert anatomy["target"] == "Right ventricle"
    assert anatomy["choices"] == [
        "Left atrium",
        "Left ventricle",
        "Right atrium",
        "Right ventricle",
    ]
    assert json.loads(anatomy["metadata"]) == {"split": "test"}
    # the item keeps the unperturbed input even though a perturbed copy exists
    assert not items["id27"]["input"].startswith("the sciatic")

    responses = {
        (r["item_id"], r["prompt_variant"]): r for r in batch.tables["responses"].to_pylist()
    }
    original = responses[("id12", "")]
    assert original["output"] == " B"
    assert original["status"] == "ok"
    assert original["input_tokens"] == 41
    assert original["output_tokens"] == 1
    assert original["latency_s"] == pytest.approx(0.08)
    assert json.loads(original["metadata"]) == {"mapped_output": "Palatine bone"}
    perturbed = responses[("id81", "mild_mix")]
    assert perturbed["output"] == " B"
    assert json.loads(perturbed["metadata"])["input"].startswith("which cranial nerve")


def test_the_run_id_is_a_content_hash(run_dir: Path) -> None:
    imp = HelmImporter()
    first = imp.read(_files(run_dir)).run_id
    assert imp.read(_files(run_dir)).run_id == first
    stats = _load(run_dir / "per_instance_stats.json")
    stats[0]["stats"][0]["mean"] = 0.0
    _dump(run_dir / "per_instance_stats.json", stats)
    assert imp.read(_files(run_dir)).run_id != first


def test_without_scenario_state_items_carry_only_the_split(run_dir: Path) -> None:
    (run_dir / "scenario_state.json").unlink()
    batch = HelmImporter().read(_files(run_dir))
    assert any("scenario_state.json" in n for n in batch.notes)
    items = batch.tables["items"].to_pylist()
    assert len(items) == 6
    assert all(i["input"] is None and i["target"] is None for i in items)
    assert all(json.loads(i["metadata"]) == {"split": "test"} for i in items)
    assert batch.tables["responses"].column("output").null_count == 8


def test_without_run_spec_the_directory_name_gives_task_and_model(run_dir: Path) -> None:
    (run_dir / "run_spec.json").unlink()
    batch = HelmImporter().read(_files(run_dir))
    assert any("run_spec.json" in n for n in batch.notes)
    scores = batch.tables["scores"]
    assert set(scores.column("model_id").to_pylist()) == {"openai_gpt2"}
    assert set(scores.column("task").to_pylist()) == {"mmlu:subject=anatomy"}


def test_a_failed_request_is_an_error_response(run_dir: Path) -> None:
    state = _load(run_dir / "scenario_state.json")
    result = state["request_states"][0]["result"]
    result.update(success=False, completions=[], error="rate limited")
    _dump(run_dir / "scenario_state.json", state)
    batch = HelmImporter().read(_files(run_dir))
    row = next(r for r in batch.tables["responses"].to_pylist() if r["item_id"] == "id12")
    assert row["status"] == "error"
    assert row["error"] == "rate limited"
    assert row["output"] is None


def test_the_same_metric_under_two_splits_stays_distinct(run_dir: Path) -> None:
    stats = _load(run_dir / "per_instance_stats.json")
    extra = json.loads(json.dumps(stats[0]["stats"][0]))
    extra["name"]["split"] = "valid"
    extra["mean"] = 0.25
    stats[0]["stats"].append(extra)
    _dump(run_dir / "per_instance_stats.json", stats)
    batch = HelmImporter().read(_files(run_dir))
    metrics = {
        s["metric"]: s["value"]
        for s in batch.tables["scores"].to_pylist()
        if s["item_id"] == stats[0]["instance_id"] and s["prompt_variant"] == ""
    }
    assert metrics["exact_match@test"] == 1.0
    assert metrics["exact_match@valid"] == 0.25
    assert "quasi_exact_match" in metrics


def test_a_stat_without_mean_uses_sum_over_count(run_dir: Path) -> None:
    stats = _load(run_dir / "per_instance_stats.json")
    stat = stats[0]["stats"][2]
    del stat["mean"]
    stat.update(count=2, sum=10.0)
    empty = stats[1]["stats"][2]
    for k in ("mean", "min", "max", "variance", "stddev"):
        empty.pop(k)
    empty.update(count=0, sum=0)
    _dump(run_dir / "per_instance_stats.json", stats)
    scores = HelmImporter().read(_files(run_dir)).tables["scores"].to_pylist()
    by_key = {(s["item_id"], s["prompt_variant"], s["metric"]): s["value"] for s in scores}
    assert by_key[(stats[0]["instance_id"], "", "num_prompt_tokens")] == 5.0
    variant = stats[1].get("perturbation", {}).get("name", "")
    assert by_key[(stats[1]["instance_id"], variant, "num_prompt_tokens")] is None


# --------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda s: s[1]["stats"][2].pop("name"), "[1].stats[2].name"),
        (lambda s: s[1]["stats"][2]["name"].update(name=7), "[1].stats[2].name.name"),
        (lambda s: s[0]["stats"][0].update(mean="high"), "[0].stats[0].mean"),
        (lambda s: s[3].update(stats={"exact_match": 1}), "[3].stats"),
        (lambda s: s[2].pop("instance_id"), "[2].instance_id"),
        (lambda s: s[4].update(perturbation={"robustness": True}), "[4].perturbation.name"),
    ],
)
def test_a_malformed_stats_file_names_the_field(run_dir: Path, mutate: Any, field: str) -> None:
    stats = _load(run_dir / "per_instance_stats.json")
    mutate(stats)
    _dump(run_dir / "per_instance_stats.json", stats)
    with pytest.raises(FormatError) as info:
        HelmImporter().read(_files(run_dir))
    assert info.value.field == field
    assert info.value.path.endswith("per_instance_stats.json")


def test_a_duplicated_stat_is_an_error(run_dir: Path) -> None:
    stats = _load(run_dir / "per_instance_stats.json")
    stats[0]["stats"].append(stats[0]["stats"][0])
    _dump(run_dir / "per_instance_stats.json", stats)
    with pytest.raises(FormatError, match="appears twice") as info:
        HelmImporter().read(_files(run_dir))
    assert info.value.field == "[0].stats[3].name"


def test_invalid_json_names_the_line(run_dir: Path) -> None:
    path = run_dir / "per_instance_stats.json"
    path.write_text('[\n  {"instance_id": "id1",\n  oops\n]')
    with pytest.raises(FormatError, match="not valid JSON") as info:
        HelmImporter().read(_files(run_dir))
    assert info.value.line == 3


def test_a_malformed_scenario_state_names_the_field(run_dir: Path) -> None:
    state = _load(run_dir / "scenario_state.json")
    del state["request_states"][5]["instance"]["id"]
    _dump(run_dir / "scenario_state.json", state)
    with pytest.raises(FormatError) as info:
        HelmImporter().read(_files(run_dir))
    assert info.value.field == "request_states[5].instance.id"


def test_a_run_spec_without_a_name_is_an_error(run_dir: Path) -> None:
    spec = _load(run_dir / "run_spec.json")
    del spec["name"]
    _dump(run_dir / "run_spec.json", spec)
    with pytest.raises(FormatError) as info:
        HelmImporter().read(_files(run_dir))
    assert info.value.field == "name"


# --------------------------------------------------------------------------- store


def test_writing_the_batch_twice_changes_nothing(run_dir: Path, tmp_path: Path) -> None:
    batch = HelmImporter().read(_files(run_dir))
    with Store(tmp_path / "s.duckdb") as store:
        store.write(batch.tables)
        first = store.counts()
        again = store.write(batch.tables)
        assert store.counts() == first
    assert again.total_new == 0
    assert first["scores"] == 24
    assert first["responses"] == 8
    assert first["items"] == 6
