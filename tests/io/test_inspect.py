"""The Inspect AI log importer: self-made logs (stored, deflate and zstd archives, JSON
logs) and the real logs under ../shared/data/inspect_ai_logs."""

from __future__ import annotations

import copy
import gzip
import json
import math
import shutil
import struct
import zipfile
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import zstandard

from assay.errors import FormatError
from assay.io.inspect_log import InspectImporter
from assay.schema import TableName
from assay.store import Store

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LOGS = SHARED / "inspect_ai_logs"
SKIP_REASON = "needs ../shared/data (public evaluation data)"
needs_shared = pytest.mark.skipif(not LOGS.is_dir(), reason=SKIP_REASON)

STORED, DEFLATED, ZSTD = 0, 8, 93
TABLES: tuple[TableName, ...] = (
    "runs",
    "models",
    "items",
    "responses",
    "scores",
    "traces",
    "aggregates",
)
# Inspect's value_to_float defaults, written out independently of the importer
WORDS = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}


# --------------------------------------------------------------------------- fixtures


def write_zip(path: Path, members: list[tuple[str, bytes, int]]) -> None:
    """A zip archive written by hand, so that members can use zstd (method 93), which
    the standard library cannot write."""
    out = bytearray()
    central = bytearray()
    for name, data, method in members:
        if method == STORED:
            comp = data
        elif method == DEFLATED:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            comp = c.compress(data) + c.flush()
        else:
            comp = zstandard.ZstdCompressor(level=3).compress(data)
        crc, raw_name = zlib.crc32(data), name.encode()
        version = 63 if method == ZSTD else 20
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            version,
            0,
            method,
            0,
            0x21,
            crc,
            len(comp),
            len(data),
            len(raw_name),
            0,
        )
        out += raw_name + comp
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            version,
            version,
            0,
            method,
            0,
            0x21,
            crc,
            len(comp),
            len(data),
            len(raw_name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += raw_name
    cd_offset = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset, 0
    )
    path.write_bytes(bytes(out))


def sample(sid: int, epoch: int, match: str | None, **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "id": sid,
        "epoch": epoch,
        "input": f"What is {sid} + {sid}?",
        "target": str(2 * sid),
        "messages": [
            {"role": "user", "content": f"What is {sid} + {sid}?", "source": "input"},
            {"role": "assistant", "content": str(2 * sid)},
        ],
        "output": {
            "model": "mock-v1",
            "choices": [
                {"message": {"role": "assistant", "content": str(2 * sid)}, "stop_reason": "stop"}
            ],
            "usage": {"input_tokens": 5, "output_tokens": 1, "total_tokens": 6},
            "time": 0.1,
        },
        "scores": {} if match is None else {"match": {"value": match, "answer": str(2 * sid)}},
        "metadata": {"level": sid},
        "model_usage": {
            "mockllm/model": {
                "input_tokens": 10 + sid,
                "output_tokens": 3,
                "total_tokens": 13 + sid,
                "total_cost": 0.5,
            }
        },
        "total_time": 1.5,
        "working_time": 1.25,
    }
    s.update(extra)
    return s


def make_log() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A small version-2 log: 3 samples x 2 epochs, a tool-using agent sample with an
    attachment, odd score values, an errored sample and reported results."""
    spec = {
        "eval_id": "EvalIdAbc",
        "run_id": "RunId1",
        "task_id": "TaskId1",
        "created": "2025-01-02T03:04:05+01:00",
        "task": "demo/arith",
        "task_version": 1,
        "task_args": {"level": 2},
        "dataset": {"name": "arith", "samples": 3, "sample_ids": [1, 2, 3]},
        "model": "mockllm/model",
        "model_args": {},
        "model_base_url": "http://localhost:1/v1",
        "model_generate_config": {"temperature": 0.0, "seed": 7},
        "config": {"epochs": 2, "epochs_reducer": ["mean"]},
        "revision": {"type": "git", "origin": "x", "commit": "abc123"},
        "packages": {"inspect_ai": "0.3.206"},
    }
    agent = sample(
        1,
        1,
        "C",
        input="attachment://h1",
        attachments={"h1": "What is 1 + 1?", "h2": "two"},
        messages=[
            {"id": "m0", "role": "system", "content": "Be brief."},
            {"id": "m1", "role": "user", "content": "attachment://h1"},
            {
                "id": "m2",
                "role": "assistant",
                "content": [{"type": "text", "text": "Let me check."}],
                "tool_calls": [{"id": "c1", "function": "bash", "arguments": {"cmd": "ls"}}],
            },
            {
                "id": "m3",
                "role": "tool",
                "tool_call_id": "c1",
                "function": "bash",
                "content": "",
                "error": {"type": "timeout", "message": "timed out"},
            },
            {
                "id": "m4",
                "role": "assistant",
                "content": [
                    {"type": "reasoning", "reasoning": "hmm"},
                    {"type": "text", "text": "attachment://h2"},
                ],
            },
        ],
        output={
            "model": "mock-v1",
            "choices": [
                {
                    "message": {"id": "m4", "role": "assistant", "content": "2"},
                    "stop_reason": "stop",
                }
            ],
            "completion": "2",
        },
        events=[
            {
                "event": "model",
                "timestamp": "2025-01-02T03:04:06+01:00",
                "completed": "2025-01-02T03:04:07.500000+01:00",
                "output": {"choices": [{"message": {"id": "m2"}}]},
            },
            {"event": "tool", "id": "c1", "timestamp": "2025-01-02T03:04:08+01:00"},
        ],
    )
    agent["scores"]["grade"] = {"value": {"a": 1, "b": "0.5", "c": True}}
    agent["scores"]["odd"] = {"value": "maybe"}
    samples = [
        agent,
        sample(1, 2, "C"),
        sample(2, 1, "I", scores={"match": {"value": "I"}, "odd": {"value": float("nan")}}),
        sample(2, 2, "P"),
        sample(3, 1, "C"),
        sample(3, 2, None, error={"message": "boom", "traceback": "Traceback..."}),
    ]
    header = {
        "version": 2,
        "status": "success",
        "eval": spec,
        "plan": {"name": "plan", "steps": [{"solver": "generate", "params": {}}], "config": {}},
        "results": {
            "total_samples": 3,
            "completed_samples": 3,
            "scores": [
                {
                    "name": "match",
                    "scorer": "match",
                    "scored_samples": 3,
                    # per item mean over epochs: 1, 0.25, 1 (the errored epoch has no score)
                    "metrics": {
                        "accuracy": {"name": "accuracy", "value": 0.75},
                        "stderr": {"name": "stderr", "value": 0.25},
                    },
                },
                {
                    "name": "a",
                    "scorer": "grade",
                    "metrics": {"mean": {"name": "mean", "value": 1.0}},
                },
            ],
        },
        "stats": {"started_at": "2025-01-02T03:04:05+01:00", "model_usage": {}},
    }
    return header, samples


def eval_members(
    header: dict[str, Any] | None, samples: list[dict[str, Any]], method: int
) -> list[tuple[str, bytes, int]]:
    assert header is not None
    start = {"version": header["version"], "eval": header["eval"], "plan": header["plan"]}
    members = [("_journal/start.json", json.dumps(start).encode(), method)]
    members += [
        (f"samples/{s['id']}_epoch_{s['epoch']}.json", json.dumps(s).encode(), method)
        for s in samples
    ]
    members.append(("header.json", json.dumps(header).encode(), method))
    return members


def write_eval(path: Path, method: int = STORED, *, header: bool = True) -> Path:
    head, samples = make_log()
    members = eval_members(head, samples, method)
    if not header:
        members = [m for m in members if m[0] != "header.json"]
    write_zip(path, members)
    return path


def write_json(path: Path) -> Path:
    head, samples = make_log()
    text = json.dumps({**head, "samples": samples}, indent=2).encode()
    path.write_bytes(gzip.compress(text) if path.name.endswith(".gz") else text)
    return path


def rows(batch: Any, table: str) -> list[dict[str, Any]]:
    return list(batch.tables[table].to_pylist())


def without_path(table: pa.Table) -> pa.Table:
    return table.drop_columns(["source_path"]) if "source_path" in table.column_names else table


# --------------------------------------------------------------------------- claims


def test_claims_eval_zips_and_inspect_json_only(tmp_path: Path) -> None:
    imp = InspectImporter()
    assert imp.claims(write_eval(tmp_path / "a.eval"))
    assert imp.claims(write_json(tmp_path / "a.json"))
    assert imp.claims(write_json(tmp_path / "b.json.gz"))
    (tmp_path / "fake.eval").write_text("not a zip")
    assert not imp.claims(tmp_path / "fake.eval")
    lm_eval = {"results": {"arc": {"acc,none": 0.5}}, "versions": {"arc": 1}, "config": {}}
    (tmp_path / "results_x.json").write_text(json.dumps(lm_eval))
    assert not imp.claims(tmp_path / "results_x.json")
    nested = {"config": {"version": 2, "eval": {}}, "other": 1}
    (tmp_path / "nested.json").write_text(json.dumps(nested))
    assert not imp.claims(tmp_path / "nested.json")
    assert not imp.claims(tmp_path / "missing.json")
    paths = [tmp_path / "a.eval", tmp_path / "a.json"]
    assert imp.group(paths) == [(paths[0],), (paths[1],)]


# --------------------------------------------------------------------------- self-made logs


def test_stored_archive_maps_every_table(tmp_path: Path) -> None:
    batch = InspectImporter().read((write_eval(tmp_path / "log.eval"),))
    assert batch.source == "inspect"
    assert batch.run_id == "inspect-EvalIdAbc"
    assert batch.rows() == {
        "runs": 1,
        "models": 1,
        "items": 3,
        "responses": 6,
        "scores": 10,
        "traces": 16,
        "aggregates": 2,
    }
    (run,) = rows(batch, "runs")
    assert run["status"] == "complete"
    assert run["granularity"] == "item"
    assert run["created_at"].isoformat() == "2025-01-02T02:04:05+00:00"
    assert run["code_hash"] == "abc123"
    assert run["seed"] == 7
    config = json.loads(run["config"])
    assert config["task_args"] == {"level": 2}
    assert config["epochs"] == 2
    assert "sample_ids" not in config["dataset"]
    assert json.loads(run["metadata"])["inspect_version"] == "0.3.206"
    (model,) = rows(batch, "models")
    assert model["model_id"] == "mockllm/model"
    assert model["family"] is None
    assert json.loads(model["metadata"])["base_url"] == "http://localhost:1/v1"

    items = {r["item_id"]: r for r in rows(batch, "items")}
    assert items["1"]["input"] == "What is 1 + 1?"  # attachment resolved
    assert items["1"]["task"] == "demo/arith"
    assert items["1"]["task_version"] == "1"
    assert items["2"]["target"] == "4"

    responses = {(r["item_id"], r["sample_index"]): r for r in rows(batch, "responses")}
    first = responses[("1", 0)]
    assert first["output"] == "2"
    assert (first["input_tokens"], first["output_tokens"], first["cost"]) == (11, 3, 0.5)
    assert first["latency_s"] == 1.5
    assert first["status"] == "ok"
    errored = responses[("3", 1)]
    assert (errored["status"], errored["error"]) == ("error", "boom")

    scores = {
        (r["item_id"], r["sample_index"], r["metric"]): r["value"] for r in rows(batch, "scores")
    }
    assert scores[("1", 0, "match")] == 1.0
    assert scores[("2", 0, "match")] == 0.0
    assert scores[("2", 1, "match")] == 0.5
    assert scores[("1", 0, "grade/a")] == 1.0
    assert scores[("1", 0, "grade/b")] == 0.5
    assert scores[("1", 0, "grade/c")] == 1.0
    assert scores[("1", 0, "odd")] is None  # "maybe" is not a value
    assert scores[("2", 0, "odd")] is None  # NaN = unscored
    assert ("3", 1, "match") not in scores
    assert any("'odd'" in n and "'maybe'" in n for n in batch.notes)

    aggregates = {r["metric"]: r for r in rows(batch, "aggregates")}
    assert set(aggregates) == {"match/accuracy", "grade/a/mean"}
    assert aggregates["match/accuracy"]["value"] == 0.75
    assert aggregates["match/accuracy"]["stderr"] == 0.25
    assert aggregates["match/accuracy"]["n"] == 3
    assert aggregates["grade/a/mean"]["n"] == 3  # completed_samples

    steps = [r for r in rows(batch, "traces") if r["item_id"] == "1" and r["trial"] == 0]
    assert [(s["step"], s["kind"], s["role"]) for s in steps] == [
        (0, "message", "system"),
        (1, "message", "user"),
        (2, "message", "assistant"),
        (3, "action", "assistant"),
        (4, "observation", "tool"),
        (5, "message", "assistant"),
    ]
    assert steps[1]["result"] == "What is 1 + 1?"
    assert steps[3]["tool"] == "bash"
    assert json.loads(steps[3]["arguments"]) == {"cmd": "ls"}
    assert steps[4]["tool"] == "bash"
    assert steps[4]["result"] == "error (timeout): timed out"
    assert steps[5]["result"] == "two"  # reasoning left out, attachment resolved
    assert steps[2]["timestamp"].isoformat() == "2025-01-02T02:04:07.500000+00:00"
    assert steps[4]["timestamp"].isoformat() == "2025-01-02T02:04:08+00:00"
    assert steps[0]["timestamp"] is None


def test_item_means_over_epochs_equal_reported_accuracy(tmp_path: Path) -> None:
    batch = InspectImporter().read((write_eval(tmp_path / "log.eval"),))
    per_item: dict[str, list[float]] = defaultdict(list)
    for r in rows(batch, "scores"):
        if r["metric"] == "match" and r["value"] is not None:
            per_item[r["item_id"]].append(r["value"])
    means = [sum(v) / len(v) for v in per_item.values()]
    assert sum(means) / len(means) == pytest.approx(0.75, abs=1e-12)


@pytest.mark.parametrize("method", [ZSTD, DEFLATED])
def test_compressed_archives_read_like_stored_ones(tmp_path: Path, method: int) -> None:
    stored = InspectImporter().read((write_eval(tmp_path / "stored.eval"),))
    path = write_eval(tmp_path / "packed.eval", method)
    with zipfile.ZipFile(path) as zf:
        assert {i.compress_type for i in zf.infolist()} == {method}
    packed = InspectImporter().read((path,))
    for t in TABLES:
        assert without_path(packed.tables[t]).equals(without_path(stored.tables[t])), t


def test_mixed_member_methods(tmp_path: Path) -> None:
    head, samples = make_log()
    members = eval_members(head, samples, STORED)
    methods = [ZSTD, DEFLATED, STORED]
    mixed = [(n, d, methods[i % 3]) for i, (n, d, _) in enumerate(members)]
    write_zip(tmp_path / "mixed.eval", mixed)
    batch = InspectImporter().read((tmp_path / "mixed.eval",))
    assert batch.rows()["responses"] == 6


@pytest.mark.parametrize("name", ["log.json", "log.json.gz"])
def test_json_log_reads_like_the_archive(tmp_path: Path, name: str) -> None:
    archive = InspectImporter().read((write_eval(tmp_path / "log.eval"),))
    doc = InspectImporter().read((write_json(tmp_path / name),))
    assert doc.run_id == archive.run_id
    for t in TABLES[1:]:
        assert doc.tables[t].equals(archive.tables[t]), t
    (a,), (b,) = rows(archive, "runs"), rows(doc, "runs")
    meta_a, meta_b = json.loads(a.pop("metadata")), json.loads(b.pop("metadata"))
    assert (meta_a.pop("log_header"), meta_b.pop("log_header")) == ("header.json", "document")
    assert meta_a == meta_b
    assert {**a, "source_path": None} == {**b, "source_path": None}


def test_missing_header_falls_back_to_the_journal(tmp_path: Path) -> None:
    batch = InspectImporter().read((write_eval(tmp_path / "log.eval", header=False),))
    (run,) = rows(batch, "runs")
    assert run["status"] == "partial"
    assert run["run_id"] == "inspect-EvalIdAbc"
    assert json.loads(run["metadata"])["log_header"] == "_journal/start.json"
    assert batch.rows()["responses"] == 6
    assert batch.rows()["aggregates"] == 0
    assert any("no header.json" in n for n in batch.notes)


def test_version_1_json_log(tmp_path: Path) -> None:
    head, samples = make_log()
    head = {**head, "version": 1}
    head["results"] = {
        "scorer": {"name": "match", "params": {}},
        "metrics": {"accuracy": {"name": "accuracy", "value": 0.75}},
    }
    old = []
    for s in samples:
        s = dict(s)
        scores = s.pop("scores")
        if "match" in scores:
            s["score"] = scores["match"]
        old.append(s)
    (tmp_path / "v1.json").write_text(json.dumps({**head, "samples": old}))
    batch = InspectImporter().read((tmp_path / "v1.json",))
    assert {r["metric"] for r in rows(batch, "scores")} == {"match"}
    assert [r["metric"] for r in rows(batch, "aggregates")] == ["match/accuracy"]


def test_run_id_without_eval_id_is_inspects_derived_id(tmp_path: Path) -> None:
    head, samples = make_log()
    del head["eval"]["eval_id"]
    (tmp_path / "a.json").write_text(json.dumps({**head, "samples": samples}))
    first = InspectImporter().read((tmp_path / "a.json",)).run_id
    head["eval"]["created"] = "2025-01-02T03:04:06+01:00"
    (tmp_path / "b.json").write_text(json.dumps({**head, "samples": samples}))
    second = InspectImporter().read((tmp_path / "b.json",)).run_id
    alphabet = set("23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
    for run_id in (first, second):
        assert run_id.startswith("inspect-")
        assert len(run_id) == len("inspect-") + 22
        assert set(run_id.removeprefix("inspect-")) <= alphabet
    assert first != second


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("version", [3, 0, "2", None])
def test_unknown_log_version_fails(tmp_path: Path, version: Any) -> None:
    head, samples = make_log()
    head["version"] = version
    write_zip(tmp_path / "v.eval", eval_members(head, samples, STORED))
    with pytest.raises(FormatError) as err:
        InspectImporter().read((tmp_path / "v.eval",))
    assert err.value.field == "version"
    assert "1 and 2" in str(err.value)


def test_unknown_version_in_json_log_fails(tmp_path: Path) -> None:
    head, samples = make_log()
    (tmp_path / "v.json").write_text(json.dumps({**head, "version": 3, "samples": samples}))
    with pytest.raises(FormatError, match="version 3") as err:
        InspectImporter().read((tmp_path / "v.json",))
    assert err.value.field == "version"


def test_unparsable_sample_names_the_member(tmp_path: Path) -> None:
    head, samples = make_log()
    members = eval_members(head, samples, ZSTD)
    members[2] = (members[2][0], b'{"id": 1,\n "epoch": ', ZSTD)
    write_zip(tmp_path / "bad.eval", members)
    with pytest.raises(FormatError, match="not valid JSON") as err:
        InspectImporter().read((tmp_path / "bad.eval",))
    assert err.value.field == members[2][0]
    assert err.value.line == 2


def test_malformed_sample_field_names_member_and_field(tmp_path: Path) -> None:
    head, samples = make_log()
    samples[1]["epoch"] = "two"
    write_zip(tmp_path / "bad.eval", eval_members(head, samples, STORED))
    with pytest.raises(FormatError, match="epoch") as err:
        InspectImporter().read((tmp_path / "bad.eval",))
    assert err.value.field == "samples/1_epoch_two.json: epoch"


def test_corrupt_zstd_member_fails(tmp_path: Path) -> None:
    path = write_eval(tmp_path / "z.eval", ZSTD)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("header.json")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len("header.json")
    data[start + info.compress_size // 2] ^= 0xFF  # a byte inside the zstd frame
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="corrupt") as err:
        InspectImporter().read((path,))
    assert err.value.field == "header.json"


def test_unknown_status_and_duplicate_samples_fail(tmp_path: Path) -> None:
    head, samples = make_log()
    (tmp_path / "s.json").write_text(json.dumps({**head, "status": "paused", "samples": samples}))
    with pytest.raises(FormatError) as err:
        InspectImporter().read((tmp_path / "s.json",))
    assert err.value.field == "status"
    dup = [*samples, copy.deepcopy(samples[0])]
    (tmp_path / "d.json").write_text(json.dumps({**head, "samples": dup}))
    with pytest.raises(FormatError, match="appears twice"):
        InspectImporter().read((tmp_path / "d.json",))


def test_not_an_archive_or_log_fails(tmp_path: Path) -> None:
    (tmp_path / "x.eval").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(FormatError, match="zip"):
        InspectImporter().read((tmp_path / "x.eval",))
    write_zip(tmp_path / "empty.eval", [("other.json", b"{}", STORED)])
    with pytest.raises(FormatError, match=r"header\.json"):
        InspectImporter().read((tmp_path / "empty.eval",))


def test_self_made_batch_writes_to_a_store_idempotently(tmp_path: Path) -> None:
    batch = InspectImporter().read((write_eval(tmp_path / "log.eval", ZSTD),))
    with Store(tmp_path / "s.duckdb") as store:
        store.write(batch.tables)
        once = store.counts()
        store.write(batch.tables)
        assert store.counts() == once
    assert once["responses"] == 6
    assert once["scores"] == 10


# --------------------------------------------------------------------------- real logs


def real_logs() -> list[Path]:
    return sorted(p for p in LOGS.rglob("*") if p.is_file() and p.name != "SOURCE.md")


def raw_log(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Header and samples read straight from the file (these archives use deflate, which
    zipfile reads), independently of the importer."""
    if path.suffix == ".eval":
        with zipfile.ZipFile(path) as zf:
            header = json.loads(zf.read("header.json"))
            samples = [json.loads(zf.read(n)) for n in zf.namelist() if n.startswith("samples/")]
        return header, samples
    doc = json.loads(gzip.decompress(path.read_bytes()))
    return {k: v for k, v in doc.items() if k != "samples"}, doc["samples"]


def as_float(value: Any) -> float | None:
    if isinstance(value, str):
        return WORDS[value]
    f = float(value)
    return None if math.isnan(f) else f


@needs_shared
def test_every_real_log_is_claimed_and_read() -> None:
    imp = InspectImporter()
    files = real_logs()
    assert len(files) == 6
    expected = {
        "nl2bash-chat": ("complete", 136),
        "nl2bash-completion": ("complete", 136),
        "cybashbench": ("complete", 200),
        "nyuctf": ("cancelled", 1),
        "cybench": ("error", 1),
        "inspect-evals-math": ("complete", 100),
    }
    seen = set()
    for path in files:
        assert imp.claims(path), path
        batch = imp.read((path,))
        key = next(k for k in expected if f"_{k}" in path.name)
        seen.add(key)
        (run,) = rows(batch, "runs")
        assert (run["status"], batch.rows()["responses"]) == expected[key], path.name
        assert run["run_id"] == batch.run_id
        assert batch.rows()["items"] == expected[key][1]
    assert seen == set(expected)
    lm_eval = sorted((SHARED / "lm_eval_harness_outputs").rglob("results_*.json*"))[:20]
    assert not any(imp.claims(p) for p in lm_eval)


@needs_shared
def test_real_scores_equal_the_source_values() -> None:
    for path in real_logs():
        batch = InspectImporter().read((path,))
        _, samples = raw_log(path)
        stored = {
            (r["item_id"], r["sample_index"], r["metric"]): r["value"]
            for r in rows(batch, "scores")
        }
        expected = {
            (str(s["id"]), s["epoch"] - 1, name): as_float(score["value"])
            for s in samples
            for name, score in s["scores"].items()
        }
        assert stored == expected, path.name
        outputs = {(r["item_id"], r["sample_index"]): r["output"] for r in rows(batch, "responses")}
        for s in samples[:5]:
            choices = s["output"]["choices"]
            if choices:
                content = choices[0]["message"]["content"]
                text = (
                    content
                    if isinstance(content, str)
                    else "\n".join(p["text"] for p in content if p.get("type") == "text")
                )
                assert outputs[(str(s["id"]), s["epoch"] - 1)] == text


@needs_shared
def test_real_item_means_equal_reported_metrics() -> None:
    checked = 0
    for path in real_logs():
        header, _ = raw_log(path)
        if not header.get("results"):
            continue
        batch = InspectImporter().read((path,))
        per_item: dict[tuple[str, str], list[float]] = defaultdict(list)
        for r in rows(batch, "scores"):
            if r["value"] is not None:
                per_item[(r["metric"], r["item_id"])].append(r["value"])
        aggregates = {r["metric"]: r for r in rows(batch, "aggregates")}
        for entry in header["results"]["scores"]:
            # every reducer in these logs is the default mean over epochs
            assert entry.get("reducer") in (None, "mean")
            scorer = entry["scorer"]
            means = [sum(v) / len(v) for (m, _), v in per_item.items() if m == scorer]
            reported = entry["metrics"]["accuracy"]["value"]
            assert sum(means) / len(means) == pytest.approx(reported, abs=1e-9), path.name
            row = aggregates[f"{scorer}/accuracy"]
            assert row["value"] == reported
            if "stderr" in entry["metrics"]:
                assert row["stderr"] == entry["metrics"]["stderr"]["value"]
            assert row["n"] == header["results"]["completed_samples"]
            checked += 1
    assert checked == 6  # 3 cyber logs with one scorer, the math log with three


@needs_shared
def test_real_unfinished_logs_keep_their_status(tmp_path: Path) -> None:
    for key, status in [("nyuctf", "cancelled"), ("cybench", "error")]:
        (path,) = [p for p in real_logs() if f"_{key}-" in p.name]
        batch = InspectImporter().read((path,))
        assert rows(batch, "runs")[0]["status"] == status
        assert batch.rows()["aggregates"] == 0
        # the same log as a crash would leave it: no header.json
        stripped = tmp_path / path.name
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(stripped, "w") as dst:
            for info in src.infolist():
                if info.filename != "header.json":
                    dst.writestr(info, src.read(info))
        partial = InspectImporter().read((stripped,))
        (run,) = rows(partial, "runs")
        assert run["status"] == "partial"
        assert partial.run_id == batch.run_id
        assert partial.rows()["responses"] == batch.rows()["responses"]
    (errored,) = rows(batch, "responses")
    assert errored["status"] == "error"
    assert errored["error"].startswith("RuntimeError")


@needs_shared
def test_real_agent_trace_has_tool_steps_and_times() -> None:
    (path,) = [p for p in real_logs() if "_nyuctf-" in p.name]
    batch = InspectImporter().read((path,))
    _, (raw,) = raw_log(path)
    steps = rows(batch, "traces")
    n_calls = sum(len(m.get("tool_calls") or []) for m in raw["messages"])
    assert len(steps) == len(raw["messages"]) + n_calls
    assert [s["step"] for s in steps] == list(range(len(steps)))
    kinds = {s["kind"] for s in steps}
    assert kinds == {"message", "action", "observation"}
    assert all(
        s["timestamp"] is not None
        for s in steps
        if s["kind"] != "message" or s["role"] == "assistant"
    )


@needs_shared
def test_real_log_repacked_with_zstd_reads_the_same(tmp_path: Path) -> None:
    (path,) = [p for p in real_logs() if "_nl2bash-chat-" in p.name]
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i), ZSTD) for i in zf.infolist()]
    write_zip(tmp_path / path.name, members)
    original = InspectImporter().read((path,))
    repacked = InspectImporter().read((tmp_path / path.name,))
    for t in TABLES:
        assert without_path(repacked.tables[t]).equals(without_path(original.tables[t])), t


@needs_shared
def test_real_logs_write_to_a_store_idempotently(tmp_path: Path) -> None:
    batches = [InspectImporter().read((p,)) for p in real_logs()]
    with Store(tmp_path / "s.duckdb") as store:
        for b in batches:
            store.write(b.tables)
        once = store.counts()
        for b in batches:
            store.write(b.tables)
        assert store.counts() == once
    assert once["runs"] == 6
    assert once["responses"] == sum(b.rows()["responses"] for b in batches)
    assert once["scores"] == sum(b.rows()["scores"] for b in batches)


@needs_shared
def test_copy_of_a_real_json_log_reads(tmp_path: Path) -> None:
    (path,) = [p for p in real_logs() if p.name.endswith(".json.gz")]
    plain = tmp_path / path.name.removesuffix(".gz")
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    shutil.copy(path, tmp_path / path.name)
    a = InspectImporter().read((plain,))
    b = InspectImporter().read((tmp_path / path.name,))
    assert InspectImporter().claims(plain)
    for t in TABLES:
        assert without_path(a.tables[t]).equals(without_path(b.tables[t])), t
