"""The lm-evaluation-harness importer: v0.4 results + samples files, legacy v0.3 files."""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pytest

from assay.errors import FormatError
from assay.io._base import ImportBatch
from assay.io.lm_eval import LmEvalImporter
from assay.store import Store

#: ../shared/data relative to the repository root (absent in a user's clone)
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LM_EVAL = SHARED / "lm_eval_harness_outputs"
KT = LM_EVAL / "kt_lm_eval_v0.4"
MALFORMED = (
    KT
    / "llama3.1-pro16-0827-Inst_241016"
    / "samples_ko_winogrande_2024-11-19T14-19-15.115705.jsonl.gz"
)
F = TypeVar("F", bound=Callable[..., Any])
_skip_without_shared = pytest.mark.skipif(
    not LM_EVAL.is_dir(), reason="needs ../shared/data (public evaluation data)"
)


def needs_shared(test: F) -> F:
    """Mark a test that reads ../shared/data; skipped with the reason when it is absent."""
    return pytest.mark.shared_data(_skip_without_shared(test))  # type: ignore[no-any-return]


DATE = "2025-02-13T18-27-04.338360"
IMP = LmEvalImporter()


# --------------------------------------------------------------------------- fixtures


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in records)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _mc_record(doc_id: int, logprobs: list[float], gold: int) -> dict[str, Any]:
    choices = ["Paris", "Rome", "Oslo"]
    best = max(range(len(logprobs)), key=lambda i: logprobs[i])
    return {
        "doc_id": doc_id,
        "doc": {"question": f"Capital {doc_id}?", "choices": choices, "answer": gold},
        "target": gold,
        "arguments": {
            f"gen_args_{j}": {"arg_0": f"Question: capital {doc_id}?\nAnswer:", "arg_1": f" {c}"}
            for j, c in enumerate(choices)
        },
        # raw responses as lm-eval sanitises them: strings inside nested lists
        "resps": [[[str(lp), str(j == best)]] for j, lp in enumerate(logprobs)],
        "filtered_resps": [[str(lp), str(j == best)] for j, lp in enumerate(logprobs)],
        "filter": "none",
        "metrics": ["acc", "acc_norm"],
        "doc_hash": "d" * 64,
        "prompt_hash": "p" * 64,
        "target_hash": "t" * 64,
        "acc": float(best == gold),
        "acc_norm": best == gold,  # a bool: stored as 1.0 / 0.0
    }


def _gen_records(doc_id: int, answer: str, strict: str, flexible: str) -> list[dict[str, Any]]:
    base = {
        "doc_id": doc_id,
        "doc": {"question": f"2+{doc_id}?", "answer": answer},
        "target": answer,
        "arguments": {"gen_args_0": {"arg_0": f"Q: 2+{doc_id}?\nA:", "arg_1": {"until": ["\n"]}}},
        "resps": [[f"The answer is {flexible}."]],
        "metrics": ["exact_match"],
    }
    return [
        {**base, "filtered_resps": [strict], "filter": "strict-match",
         "exact_match": float(strict == answer)},
        {**base, "filtered_resps": [flexible], "filter": "flexible-extract",
         "exact_match": float(flexible == answer)},
    ]  # fmt: skip


def _v04_run(directory: Path, *, gen_gzip: bool = True) -> list[Path]:
    """A v0.4 run: results file, a multiple-choice and a two-filter generation task."""
    directory.mkdir(parents=True, exist_ok=True)
    mc = [
        _mc_record(0, [-1.5, -0.5, -3.0], 1),
        _mc_record(1, [-0.2, -0.9, -4.0], 2),
        _mc_record(2, [-2.0, -2.5, -0.1], 2),
        _mc_record(3, [-0.3, -1.0, -1.1], 0),
    ]
    gen = [
        *_gen_records(0, "2", "2", "2"),
        *_gen_records(1, "3", "[invalid]", "3"),
        *_gen_records(2, "4", "5", "5"),
    ]
    mc_acc = sum(r["acc"] for r in mc) / len(mc)
    results = {
        "results": {
            "toy": {"alias": "toy", " ": " "},
            "toy_mc": {
                "alias": " - toy_mc",
                "acc,none": mc_acc,
                "acc_stderr,none": 0.25,
                "acc_norm,none": mc_acc,
                "acc_norm_stderr,none": "N/A",
            },
            "toy_gen": {
                "alias": " - toy_gen",
                "exact_match,strict-match": 1 / 3,
                "exact_match_stderr,strict-match": 0.33,
                "exact_match,flexible-extract": 2 / 3,
                "exact_match_stderr,flexible-extract": 0.33,
            },
        },
        "group_subtasks": {"toy": ["toy_mc", "toy_gen"]},
        "configs": {
            "toy_mc": {"task": "toy_mc", "output_type": "multiple_choice"},
            "toy_gen": {
                "task": "toy_gen",
                "output_type": "generate_until",
                "filter_list": [{"name": "strict-match"}, {"name": "flexible-extract"}],
            },
        },
        "versions": {"toy_mc": 1.0, "toy_gen": 2},
        "n-shot": {"toy_mc": 0, "toy_gen": 5},
        "n-samples": {
            "toy_mc": {"original": 100, "effective": 4},
            "toy_gen": {"original": 50, "effective": 3},
        },
        "config": {
            "model": "hf",
            "model_args": "pretrained=EleutherAI/pythia-160m-deduped,revision=step3000",
            "model_num_parameters": 0,
            "random_seed": 0,
            "limit": 4,
        },
        "git_hash": "abc1234",
        "date": 1739467624.5,
        "lm_eval_version": "0.4.8",
    }
    res = directory / f"results_{DATE}.json"
    res.write_text(json.dumps(results, indent=2))
    gen_name = f"samples_toy_gen_{DATE}.jsonl" + (".gz" if gen_gzip else "")
    return [
        res,
        _write_jsonl(directory / f"samples_toy_mc_{DATE}.jsonl", mc),
        _write_jsonl(directory / gen_name, gen),
    ]


def _v03_file(path: Path) -> Path:
    doc = {
        "results": {
            "lambada_openai": {"ppl": 26.0, "ppl_stderr": 0.9, "acc": 0.38, "acc_stderr": 0.007},
            "winogrande": {"acc": 0.5, "acc_stderr": 0.014},
        },
        "versions": {"lambada_openai": 0, "winogrande": 0},
        "config": {
            "model": "hf-causal",
            "model_args": "pretrained=EleutherAI/pythia-v1.1-1.4b-deduped,revision=step143000",
            "num_fewshot": 0,
            "batch_size": 16,
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps(doc, indent=2).encode()))
    return path


def _rows(batch: ImportBatch, table: str) -> list[dict[str, Any]]:
    t: pa.Table | None = batch.tables.get(table)  # type: ignore[call-overload]
    return [] if t is None else t.to_pylist()


def _scores(batch: ImportBatch) -> dict[tuple[str, str, str], float | None]:
    return {(r["task"], r["item_id"], r["metric"]): r["value"] for r in _rows(batch, "scores")}


# --------------------------------------------------------------------------- self-made files


def test_claims_and_groups_a_v04_run(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "EleutherAI__pythia-160m-deduped")
    v03 = _v03_file(tmp_path / "legacy" / "1.4b-deduped_step143000.json.gz")
    assert all(IMP.claims(f) for f in [*files, v03])
    groups = IMP.group([v03, *reversed(files)])
    assert [g[0] for g in groups] == [files[0], v03]  # the results file leads its group
    assert [set(g) for g in groups] == [set(files), {v03}]


def test_claims_rejects_other_tools_files(tmp_path: Path) -> None:
    inspect_log = tmp_path / "2024-10-08T15-15-33_01-00_math_x.json"
    inspect_log.write_text(
        json.dumps(
            {
                "version": 2,
                "status": "success",
                "eval": {"task": "math"},
                "results": {"scores": []},
            },
            indent=2,
        )
    )
    helm_list = tmp_path / "stats.json"
    helm_list.write_text(json.dumps([{"name": {"name": "exact_match"}, "mean": 0.5}]))
    helm_spec = tmp_path / "run_spec.json"
    helm_spec.write_text(json.dumps({"name": "mmlu:subject=x", "scenario_spec": {}}))
    lighteval = tmp_path / "results_2024-05-01T10-00-00.000000.json"
    lighteval.write_text(json.dumps({"config_general": {}, "results": {"all": {"acc": 0.5}}}))
    not_json = tmp_path / f"samples_toy_{DATE}.jsonl"
    not_json.write_text("hello\n")
    csv = tmp_path / "scores.csv"
    csv.write_text("model,task,score\n")
    for path in (inspect_log, helm_list, helm_spec, lighteval, not_json, csv):
        assert not IMP.claims(path), path.name


def test_reads_a_v04_run(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "EleutherAI__pythia-160m-deduped")
    batch = IMP.read(tuple(files))
    assert batch.source == "lm-eval"
    assert batch.run_id.startswith("lm-eval-")
    assert batch.notes == ()
    assert batch.rows() == {
        "runs": 1, "models": 1, "items": 7, "responses": 7, "scores": 14, "aggregates": 4,
    }  # fmt: skip

    (run,) = _rows(batch, "runs")
    assert run["granularity"] == "item"
    assert run["status"] == "complete"
    assert run["source_path"] == str(files[0].parent)
    assert run["created_at"].timestamp() == pytest.approx(1739467624.5)
    assert run["seed"] == 0
    config, meta = json.loads(run["config"]), json.loads(run["metadata"])
    assert config["model_args"].startswith("pretrained=")
    assert config["n-shot"] == {"toy_mc": 0, "toy_gen": 5}
    assert meta["lm_eval_version"] == "0.4.8"
    assert meta["git_hash"] == "abc1234"

    (model,) = _rows(batch, "models")
    assert model["model_id"] == "EleutherAI/pythia-160m-deduped@step3000"
    assert model["family"] == "pythia-deduped"
    assert model["parameters"] == pytest.approx(1.6e8)
    assert model["checkpoint_step"] == 3000

    items = {(r["task"], r["item_id"]): r for r in _rows(batch, "items")}
    mc0 = items["toy_mc", "0"]
    # the version, qualified by a hash of the config fields that define the items
    assert mc0["task_version"].startswith("1.0+")
    assert len(mc0["task_version"]) == 12
    assert mc0["input"] == "Question: capital 0?\nAnswer:"
    assert mc0["choices"] == [" Paris", " Rome", " Oslo"]
    assert mc0["target"] == "1"
    assert json.loads(mc0["metadata"])["choices"] == ["Paris", "Rome", "Oslo"]
    assert items["toy_gen", "1"]["task_version"].startswith("2+")
    assert items["toy_gen", "1"]["choices"] is None

    responses = {(r["task"], r["item_id"]): r for r in _rows(batch, "responses")}
    r0 = responses["toy_mc", "0"]
    assert r0["choice_logprobs"] == [-1.5, -0.5, -3.0]
    assert r0["choice_greedy"] == [False, True, False]
    assert r0["output"] is None
    assert (r0["sample_index"], r0["prompt_variant"], r0["status"]) == (0, "", "ok")
    g1 = responses["toy_gen", "1"]
    assert g1["output"] == "[invalid]"  # the first filter's output
    gmeta = json.loads(g1["metadata"])
    assert gmeta["filters"] == ["strict-match", "flexible-extract"]
    assert gmeta["filtered"] == {"strict-match": "[invalid]", "flexible-extract": "3"}
    assert gmeta["resps"] == ["The answer is 3."]

    scores = _scores(batch)
    assert scores["toy_mc", "0", "acc,none"] == 1.0
    assert scores["toy_mc", "0", "acc_norm,none"] == 1.0
    assert scores["toy_mc", "1", "acc,none"] == 0.0
    assert scores["toy_gen", "1", "exact_match,strict-match"] == 0.0
    assert scores["toy_gen", "1", "exact_match,flexible-extract"] == 1.0

    aggregates = {(r["task"], r["metric"]): r for r in _rows(batch, "aggregates")}
    assert aggregates["toy_mc", "acc,none"]["stderr"] == 0.25
    assert aggregates["toy_mc", "acc_norm,none"]["stderr"] is None  # "N/A"
    assert aggregates["toy_mc", "acc,none"]["n"] == 4
    assert ("toy", " ") not in aggregates
    _assert_means_match(batch)


def test_run_id_is_a_content_hash(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "a")
    run_id = IMP.read(tuple(files)).run_id
    assert IMP.read(tuple(files)).run_id == run_id
    # the same contents, stored elsewhere and not gzipped: the same run
    assert IMP.read(tuple(_v04_run(tmp_path / "b", gen_gzip=False))).run_id == run_id
    files[0].write_text(files[0].read_text().replace('"limit": 4', '"limit": 5'))
    assert IMP.read(tuple(files)).run_id != run_id


def test_old_samples_without_filter_field_follow_the_filter_list(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "m", gen_gzip=False)
    records = [json.loads(line) for line in files[2].read_text().splitlines()]
    # older harness versions: no "filter"/"metrics" fields, all docs of one filter first
    ordered = [r for r in records if r["filter"] == "strict-match"] + [
        r for r in records if r["filter"] == "flexible-extract"
    ]
    for r in ordered:
        del r["filter"], r["metrics"]
    _write_jsonl(files[2], ordered)
    scores = _scores(IMP.read(tuple(files)))
    assert scores["toy_gen", "1", "exact_match,strict-match"] == 0.0
    assert scores["toy_gen", "1", "exact_match,flexible-extract"] == 1.0


def test_reads_a_legacy_v03_file(tmp_path: Path) -> None:
    path = _v03_file(tmp_path / "pythia-1.4b-deduped" / "1.4b-deduped_step143000.json.gz")
    batch = IMP.read((path,))
    assert batch.notes == ("legacy v0.3 file: aggregates only",)
    assert set(batch.tables) == {"runs", "models", "aggregates"}
    (run,) = _rows(batch, "runs")
    assert run["granularity"] == "aggregate"
    assert run["created_at"] is None
    assert json.loads(run["metadata"])["num_fewshot"] == 0
    (model,) = _rows(batch, "models")
    assert model["model_id"] == "EleutherAI/pythia-v1.1-1.4b-deduped@step143000"
    assert (model["family"], model["parameters"], model["checkpoint_step"]) == (
        "pythia-deduped", 1.4e9, 143000,
    )  # fmt: skip
    aggregates = {
        (r["task"], r["metric"]): (r["value"], r["stderr"], r["n"])
        for r in _rows(batch, "aggregates")
    }
    assert aggregates == {
        ("lambada_openai", "ppl"): (26.0, 0.9, None),
        ("lambada_openai", "acc"): (0.38, 0.007, None),
        ("winogrande", "acc"): (0.5, 0.014, None),
    }


def test_results_without_samples_give_aggregates_only(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "m")
    batch = IMP.read((files[0],))
    assert batch.notes == ("results file without samples files: aggregates only",)
    assert _rows(batch, "runs")[0]["granularity"] == "aggregate"
    assert "scores" not in batch.tables


def test_samples_without_results_give_item_rows(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "EleutherAI__pythia-160m-deduped")
    files[0].unlink()
    (group,) = IMP.group(files[1:])
    batch = IMP.read(group)
    assert batch.notes == ("samples files without a results file: item rows only, no aggregates",)
    assert "aggregates" not in batch.tables
    assert batch.rows()["scores"] == 14
    (model,) = _rows(batch, "models")
    assert model["model_id"] == "EleutherAI/pythia-160m-deduped"  # from the directory name
    assert {r["task_version"] for r in _rows(batch, "items")} == {""}
    created = _rows(batch, "runs")[0]["created_at"]
    assert created.isoformat().startswith("2025-02-13T18:27:04")


def test_split_record_names_file_and_line(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "m", gen_gzip=False)
    lines = files[1].read_text().splitlines()
    broken = lines[1].replace('"target"', '\n"target"', 1)  # a raw line break in record 2
    files[1].write_text("\n".join([lines[0], broken, *lines[2:]]) + "\n")
    with pytest.raises(FormatError) as info:
        IMP.read(tuple(files))
    err = info.value
    assert err.path == str(files[1])
    assert err.line == 2
    assert files[1].name in str(err)
    assert "line 2" in str(err)
    assert "split over several lines" in str(err)


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("[1, 2]", None, "expected a JSON object"),
        ('{"doc": {}}', "doc_id", "integer 'doc_id'"),
        ('{"doc_id": 0, "doc": {}', None, "line ends inside a JSON record"),
        ('{"doc_id": 0, "doc": {}}} ', None, "not valid JSON"),
    ],
)
def test_bad_samples_lines(tmp_path: Path, line: str, field: str | None, expected: str) -> None:
    files = _v04_run(tmp_path / "m", gen_gzip=False)
    with files[1].open("a") as fh:
        fh.write(line + "\n")
    with pytest.raises(FormatError, match=expected) as info:
        IMP.read(tuple(files))
    assert (info.value.line, info.value.field) == (5, field)


def test_same_doc_and_filter_twice_is_an_error(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "m", gen_gzip=False)
    lines = files[2].read_text().splitlines()
    files[2].write_text("\n".join([*lines, lines[0]]) + "\n")
    with pytest.raises(FormatError, match="doc_id 0 appears twice") as info:
        IMP.read(tuple(files))
    assert (info.value.line, info.value.field) == (7, "doc_id")


def test_unknown_results_files_are_errors(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "m")
    doc = json.loads(files[0].read_text())
    changes: list[tuple[dict[str, Any], str]] = [
        ({"lm_eval_version": "1.2.0"}, "lm_eval_version"),
        ({"results": [1, 2]}, "results"),
        ({"results": {"toy_mc": 0.5}}, "results.toy_mc"),
        ({"results": {"toy_mc": {"acc,none": "high"}}}, "results.toy_mc.acc,none"),
    ]
    for change, field in changes:
        files[0].write_text(json.dumps({**doc, **change}))
        with pytest.raises(FormatError) as info:
            IMP.read(tuple(files))
        assert info.value.field == field
    files[0].write_text(json.dumps({"results": {"t": {"acc": 0.5}}, "mystery": 1}))
    with pytest.raises(FormatError, match="unknown results layout") as info:
        IMP.read((files[0],))
    assert info.value.field == "mystery"
    files[0].write_text('{"results": {\n  "t": ')
    with pytest.raises(FormatError, match="not valid JSON") as info:
        IMP.read((files[0],))
    assert info.value.line == 2


def test_batch_writes_idempotently(tmp_path: Path) -> None:
    files = _v04_run(tmp_path / "m")
    v03 = _v03_file(tmp_path / "old" / "x.json.gz")
    batches = [IMP.read(tuple(files)), IMP.read((v03,))]
    with Store(tmp_path / "s.duckdb") as store:
        for b in batches:
            store.write(b.tables)
        counts = store.counts()
        for b in batches:
            again = store.write(b.tables)
            assert again.total_new == 0
        assert store.counts() == counts
    assert counts["scores"] == 14
    assert counts["aggregates"] == 7


# --------------------------------------------------------------------------- real files


def _real_groups() -> list[tuple[Path, ...]]:
    if not LM_EVAL.is_dir():
        return []
    files = [p for p in sorted(LM_EVAL.rglob("*")) if p.is_file() and IMP.claims(p)]
    return IMP.group(files)


REAL_GROUPS = _real_groups()
GOOD_GROUPS = [g for g in REAL_GROUPS if MALFORMED not in g]


def _group_id(group: tuple[Path, ...]) -> str:
    return str(group[0].relative_to(LM_EVAL))


@pytest.fixture(scope="module")
def real_batches() -> list[ImportBatch]:
    return [IMP.read(g) for g in GOOD_GROUPS]


@needs_shared
@pytest.mark.parametrize("group", GOOD_GROUPS, ids=_group_id)
def test_every_real_group_reads(group: tuple[Path, ...]) -> None:
    batch = IMP.read(group)
    assert batch.rows()["runs"] == 1
    assert batch.rows()["models"] == 1
    version = "v0.3" if "pythia_repo_v0.3_format" in str(group[0]) else "v0.4"
    granularity = _rows(batch, "runs")[0]["granularity"]
    assert granularity == ("item" if len(group) > 1 else "aggregate")
    assert json.loads(_rows(batch, "runs")[0]["metadata"])["format"] == f"lm-eval {version}"
    if len(group) > 1:
        assert batch.rows()["scores"] >= batch.rows()["responses"] == batch.rows()["items"] > 0


@needs_shared
def test_real_files_are_claimed_and_grouped() -> None:
    files = [p for p in LM_EVAL.rglob("*") if p.is_file()]
    assert {p.name for p in files if not IMP.claims(p)} == {"SOURCE.md"}
    assert len(REAL_GROUPS) == 75
    assert sum(len(g) for g in REAL_GROUPS) == len(files) - 1
    inspect_logs = SHARED / "inspect_ai_logs"
    if inspect_logs.is_dir():
        assert not any(IMP.claims(p) for p in inspect_logs.rglob("*.json*"))


@needs_shared
def test_real_malformed_file_fails_with_file_and_line() -> None:
    (group,) = [g for g in REAL_GROUPS if MALFORMED in g]
    with pytest.raises(FormatError) as info:
        IMP.read(group)
    message = str(info.value)
    assert MALFORMED.name in message
    assert "line 1" in message
    assert info.value.line == 1
    assert "split over several lines" in message


def _raw_records(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@needs_shared
@pytest.mark.parametrize(
    ("directory", "name", "filters"),
    [
        # samples with "filter" and "metrics" fields
        ("gpt-4o", "samples_winogrande_2024-12-23T14-29-31.806745.jsonl.gz", None),
        # no "filter" field, three filters: each doc three times, in filter_list order
        (
            "llama3.1-pro16-0827-Inst_241016",
            "samples_ko_winogrande_2024-11-19T14-38-02.552165.jsonl.gz",
            ["get-option", "get-answer1", "get-answer2"],
        ),
        # multiple choice (log-likelihood pairs as strings), no filter field
        (
            "__vfroot__n22-model__f6e12a6705dc47f5af9f2b6bce90e0d4__93__40__e3564e474cf19dfb7e2fc364fe61__llama3.1-pro16-0827-Inst-nc-chat_241016",
            "samples_winogrande_2024-12-23T13-17-27.691350.jsonl.gz",
            ["none"],
        ),
        # integer metric values, 307 docs
        (
            "upstage__SOLAR-10.7B-Instruct-v1.0",
            "samples_leaderboard_math_algebra_hard_2024-11-14T16-01-56.818889.jsonl.gz",
            ["none"],
        ),
    ],
)
def test_real_scores_equal_the_raw_sample_values(
    real_batches: list[ImportBatch], directory: str, name: str, filters: list[str] | None
) -> None:
    path = KT / directory / name
    (batch,) = [b for b in real_batches if str(path) in b.files]
    task = name.removeprefix("samples_").rsplit("_", 1)[0]
    scores = _scores(batch)
    responses = {r["item_id"]: r for r in _rows(batch, "responses") if r["task"] == task}
    seen: dict[int, int] = defaultdict(int)
    n_checked = 0
    for rec in _raw_records(path):
        if filters is None:
            filt, metrics = rec["filter"], rec["metrics"]
        else:
            filt = filters[seen[rec["doc_id"]]]
            seen[rec["doc_id"]] += 1
            metrics = [k for k in ("acc", "exact_match") if k in rec]
        for m in metrics:
            assert scores[task, str(rec["doc_id"]), f"{m},{filt}"] == float(rec[m])
            n_checked += 1
        resp = responses[str(rec["doc_id"])]
        if resp["choice_logprobs"] is not None:
            assert resp["choice_logprobs"] == [float(r[0][0]) for r in rec["resps"]]
            assert resp["choice_greedy"] == [r[0][1] == "True" for r in rec["resps"]]
    assert n_checked == sum(1 for k in scores if k[0] == task)


def _assert_means_match(batch: ImportBatch) -> int:
    """Each reported aggregate with item scores equals the mean of those scores."""
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (task, _, metric), v in _scores(batch).items():
        values[task, metric].append(math.nan if v is None else v)
    checked = 0
    for agg in _rows(batch, "aggregates"):
        items = values.get((agg["task"], agg["metric"]))
        if items is None:  # a group, or a task without a samples file
            continue
        assert sum(items) / len(items) == pytest.approx(agg["value"], abs=1e-9), agg
        if agg["n"] is not None:
            assert len(items) == agg["n"]
        checked += 1
    return checked


@needs_shared
def test_real_item_means_equal_reported_aggregates(real_batches: list[ImportBatch]) -> None:
    checked = sum(_assert_means_match(b) for b in real_batches)
    # every v0.4 task with a samples file reports its metric: all of them are checked
    assert checked == 32


@needs_shared
def test_real_models(real_batches: list[ImportBatch]) -> None:
    models = {r["model_id"]: r for b in real_batches for r in _rows(b, "models")}
    pythia = models["EleutherAI/pythia-v1.1-1.4b-deduped@step143000"]
    assert (pythia["family"], pythia["parameters"], pythia["checkpoint_step"]) == (
        "pythia-deduped", 1.4e9, 143000,
    )  # fmt: skip
    assert models["bigscience/bloom-1b7"]["parameters"] == pytest.approx(1.7e9)
    assert models["facebook/opt-125m"]["family"] == "opt"
    llama = models["meta-llama/Llama-3.1-8B-Instruct"]
    assert llama["parameters"] == 8030261248  # model_num_parameters, not the name
    assert models["gpt-4o"]["parameters"] is None


@needs_shared
def test_real_batches_write_idempotently(tmp_path: Path, real_batches: list[ImportBatch]) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        for b in real_batches:
            store.write(b.tables)
        counts = store.counts()
        for b in real_batches:
            assert store.write(b.tables).total_new == 0
        assert store.counts() == counts
    assert counts["runs"] == len(GOOD_GROUPS)
    assert counts["scores"] == sum(b.rows().get("scores", 0) for b in real_batches)
