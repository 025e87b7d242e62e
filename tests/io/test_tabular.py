"""The long-table and pairwise-CSV importers: small tables written here, then real data."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay.errors import FormatError
from assay.io._base import ImportBatch
from assay.io.tabular import LongTableImporter, PairwiseCsvImporter
from assay.store import Store

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
_skip_without_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="needs ../shared/data (public evaluation data)"
)


def needs_shared(test: Any) -> Any:
    """Mark a test as reading ../shared/data and skip it when the folder is absent."""
    return pytest.mark.shared_data(_skip_without_shared(test))


def _write(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"))
    return path


def _store_twice(batch: ImportBatch, tmp_path: Path) -> dict[str, int]:
    with Store(tmp_path / "s.duckdb") as store:
        store.write(batch.tables)
        first = store.counts()
        summary = store.write(batch.tables)
        assert store.counts() == first
    assert summary.total_new == 0
    return first


# --------------------------------------------------------------------------- long: detection


def test_long_table_claims_by_header(tmp_path: Path) -> None:
    imp = LongTableImporter()
    good = _write(tmp_path / "a.csv", "model_name,benchmark,doc_id,correct\nm,t,1,true\n")
    assert imp.claims(good)
    gz = tmp_path / "b.csv.gz"
    gz.write_bytes(gzip.compress(b"model,item_id,score\nm,1,0.5\n"))
    assert imp.claims(gz)
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.table({"model_id": ["m"], "task_id": ["x"], "value": [1.0]}), parquet)
    assert imp.claims(parquet)
    pairwise = _write(tmp_path / "d.csv", "model,model_a,model_b,item,score,winner\n")
    assert not imp.claims(pairwise)
    no_score = _write(tmp_path / "e.csv", "model,item,grade\nm,1,2\n")
    assert not imp.claims(no_score)
    text = _write(tmp_path / "f.txt", "model,item,score\n")
    assert not imp.claims(text)
    broken = tmp_path / "g.csv.gz"
    broken.write_bytes(b"not gzip at all")
    assert not imp.claims(broken)


# --------------------------------------------------------------------------- long: reading


def test_long_table_reads_aliases_metrics_and_samples(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "scores.csv",
        """
model_name,benchmark,doc_id,sample_idx,metric,correct,note
m1,arc,007,0,acc,true,x
m1,arc,007,0,f1,0.5,y
m1,arc,007,1,acc,False,z
m2,arc,007,0,acc,TRUE,
m2,gsm,1,0,acc,,w
""",
    )
    batch = LongTableImporter().read((path,))
    assert batch.source == "long-table"
    assert batch.run_id.startswith("table-")
    assert batch.rows() == {"runs": 1, "models": 2, "items": 2, "responses": 4, "scores": 5}
    scores = batch.tables["scores"].to_pylist()
    got = {
        (s["model_id"], s["task"], s["item_id"], s["sample_index"], s["metric"]): s["value"]
        for s in scores
    }
    assert got == {
        ("m1", "arc", "007", 0, "acc"): 1.0,  # the leading zero of the item id is kept
        ("m1", "arc", "007", 0, "f1"): 0.5,
        ("m1", "arc", "007", 1, "acc"): 0.0,
        ("m2", "arc", "007", 0, "acc"): 1.0,
        ("m2", "gsm", "1", 0, "acc"): None,  # an empty cell is unscored
    }
    assert {s["prompt_variant"] for s in scores} == {""}
    items = batch.tables["items"].to_pylist()
    assert [(i["task"], i["task_version"], i["item_id"]) for i in items] == [
        ("arc", "", "007"),
        ("gsm", "", "1"),
    ]
    responses = batch.tables["responses"].to_pylist()
    assert {r["status"] for r in responses} == {"ok"}
    first = next(r for r in responses if r["model_id"] == "m1" and r["sample_index"] == 0)
    assert json.loads(first["metadata"]) == {"note": "x"}
    run = batch.tables["runs"].to_pylist()[0]
    assert json.loads(run["config"])["columns"]["item"] == "doc_id"
    assert batch.notes == ()


def test_long_table_defaults_task_metric_and_sample(tmp_path: Path) -> None:
    path = _write(tmp_path / "my_bench.csv", "model,item,score\nm,a,1\nm,b,0\n")
    batch = LongTableImporter().read((path,))
    scores = batch.tables["scores"].to_pylist()
    assert {(s["task"], s["metric"], s["sample_index"]) for s in scores} == {
        ("my_bench", "score", 0)
    }
    assert any("my_bench" in n for n in batch.notes)
    assert batch.tables["responses"].column("metadata").null_count == 2


def test_long_table_reads_gzip_and_parquet(tmp_path: Path) -> None:
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(b"model,task,item_id,score\nm,t,1,0.25\nm,t,2,0.75\n"))
    batch = LongTableImporter().read((gz,))
    assert batch.tables["scores"].column("value").to_pylist() == [0.25, 0.75]

    parquet = tmp_path / "t.parquet"
    table = pa.table(
        {
            "model": ["m", "m", "m"],
            "dataset": ["d", "d", "d"],
            "item_id": [3, 4, 5],
            "passed": [True, False, None],
            "sample_index": [0, 0, 0],
        }
    )
    pq.write_table(table, parquet)
    batch = LongTableImporter().read((parquet,))
    scores = batch.tables["scores"]
    assert scores.column("item_id").to_pylist() == ["3", "4", "5"]
    assert scores.column("value").to_pylist() == [1.0, 0.0, None]
    assert scores.schema.field("sample_index").type == pa.int32()


@pytest.mark.parametrize("damage", ["crc", "deflate"])
def test_a_broken_gzip_file_is_named_as_such(tmp_path: Path, damage: str) -> None:
    from assay.io import import_paths

    data = gzip.compress(b"model,task,item_id,score\n" + b"m,t,1,0.25\n" * 200)
    data = {
        "crc": data[:-8] + bytes(8),  # the stream decodes, its checksum does not match
        "deflate": data[:12] + b"\xff" * 12 + data[24:],  # zlib.error, not an OSError
    }[damage]
    for name in ("t.csv.gz", "t.json.gz"):
        (tmp_path / name).write_bytes(data)
        with Store(tmp_path / "s.duckdb") as store:
            report = import_paths(store, [tmp_path / name])
            assert store.count("scores") == 0
        assert not report.ok
        assert "not a valid gzip file" in report.outcomes[0].error
        with pytest.raises(FormatError, match="not a valid gzip file"):
            LongTableImporter().read((tmp_path / name,))


def test_long_table_keeps_quoted_newlines(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "q.csv", 'model,task,item,score,comment\nm,t,1,1,"two\nlines"\nm,t,2,0,ok\n'
    )
    batch = LongTableImporter().read((path,))
    assert batch.rows()["scores"] == 2
    meta = batch.tables["responses"].column("metadata").to_pylist()
    assert json.loads(meta[0]) == {"comment": "two\nlines"}


def test_long_table_drops_many_extra_columns_with_a_note(tmp_path: Path) -> None:
    extra = [f"x{i}" for i in range(11)]
    path = _write(
        tmp_path / "wide.csv",
        ",".join(["model", "task", "item", "score", *extra])
        + "\n"
        + ",".join(["m", "t", "1", "1"] + ["0"] * 11)
        + "\n",
    )
    batch = LongTableImporter().read((path,))
    assert batch.tables["responses"].column("metadata").null_count == 1
    assert any("11 other columns" in n for n in batch.notes)


def test_long_table_duplicate_rows_name_the_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "dup.csv",
        "model,task,item,score\nm,t,1,1\nm,t,2,0\nm,t,3,1\nm,t,2,1\n",
    )
    with pytest.raises(FormatError, match="line 3") as info:
        LongTableImporter().read((path,))
    assert info.value.line == 5
    assert info.value.field == "item"
    assert info.value.path == str(path)


def test_long_table_exact_repeats_are_kept_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "rep.csv",
        "model,task,item,score,src\nm,t,1,1,a\nm,t,2,0,a\nm,t,1,1,b\nm,t,3,1,a\nm,t,5,0,a\nm,t,2,0.0,b\n",
    )
    batch = LongTableImporter().read((path,))
    assert batch.tables["scores"].num_rows == 4
    assert any("2 rows repeat" in n and "line 4" in n for n in batch.notes)
    # a conflicting repeat after the dropped one is still reported with its own line
    bad = _write(
        tmp_path / "bad.csv", "model,task,item,score\nm,t,1,1\nm,t,1,1\nm,t,2,0\nm,t,2,1\n"
    )
    with pytest.raises(FormatError, match="line 4") as info:
        LongTableImporter().read((bad,))
    assert info.value.line == 5


def test_long_table_non_numeric_score_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", "model,task,item,score\nm,t,1,1\nm,t,2,high\n")
    with pytest.raises(FormatError, match="'high'") as info:
        LongTableImporter().read((path,))
    assert (info.value.line, info.value.field) == (3, "score")


def test_long_table_missing_column_lists_the_aliases(tmp_path: Path) -> None:
    path = _write(tmp_path / "nomodel.csv", "system,task,item,score\nm,t,1,1\n")
    with pytest.raises(FormatError, match="model, model_id, model_name") as info:
        LongTableImporter().read((path,))
    assert info.value.field == "model"


@pytest.mark.parametrize(
    ("body", "line", "field"),
    [
        ("m,t,1,0,1\n,t,2,0,1\n", 3, "model"),
        ("m,t,1,0,1\nm,t,,0,1\n", 3, "item"),
        ("m,t,1,0,1\nm,t,2,1.5,1\n", 3, "sample"),
        ("m,t,1,x,1\n", 2, "sample"),
    ],
)
def test_long_table_bad_cells_name_line_and_field(
    tmp_path: Path, body: str, line: int, field: str
) -> None:
    path = _write(tmp_path / "cells.csv", "model,task,item,sample,score\n" + body)
    with pytest.raises(FormatError) as info:
        LongTableImporter().read((path,))
    assert (info.value.line, info.value.field) == (line, field)


# --------------------------------------------------------------------------- pairwise


def test_pairwise_claims_by_header(tmp_path: Path) -> None:
    imp = PairwiseCsvImporter()
    assert imp.claims(_write(tmp_path / "p.csv", "question_id,model_a,model_b,winner\n"))
    assert not imp.claims(_write(tmp_path / "l.csv", "model,item,score\n"))
    assert not imp.claims(_write(tmp_path / "n.csv", "model_a,model_b,verdict\n"))


def test_pairwise_maps_winners_and_judge_kinds(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "votes.csv",
        """
question_id,model_a,model_b,winner,judge,judge_type,vote_index,turn
1,x,y,model_a,alice,human,1,1
1,x,y,B,alice,human,2,1
2,x,y,tie,gpt-4,llm,1,2
2,x,y,tie (bothbad),gpt-4,gpt-4-0613,2,2
3,x,y,y,claude,model,1,1
3,y,x,y,,,1,1
""",
    )
    batch = PairwiseCsvImporter().read((path,))
    assert batch.source == "pairwise"
    assert batch.run_id.startswith("pairwise-")
    rows = batch.tables["comparisons"].to_pylist()
    assert [r["winner"] for r in rows] == ["a", "b", "tie", "both_bad", "b", "a"]
    assert [r["judge_kind"] for r in rows] == ["human", "human", "model", "model", "model", ""]
    assert [r["judge"] for r in rows] == ["alice", "alice", "gpt-4", "gpt-4", "claude", "unknown"]
    assert [r["replicate"] for r in rows] == [1, 2, 1, 2, 1, 1]
    assert {r["task"] for r in rows} == {"votes"}
    assert {r["position"] for r in rows} == {""}
    assert json.loads(rows[2]["metadata"]) == {"turn": 2}
    assert sorted(batch.tables["models"].column("model_id").to_pylist()) == ["x", "y"]
    assert batch.tables["runs"].column("granularity").to_pylist() == ["item"]


def test_pairwise_numbers_repeated_keys_without_a_vote_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "arena.csv",
        """
benchmark,item,model_a,model_b,winner,position
mt,q1,x,y,a,ab
mt,q1,x,y,b,ab
mt,q1,x,y,a,ba
mt,q1,x,y,tie,ab
""",
    )
    batch = PairwiseCsvImporter().read((path,))
    rows = batch.tables["comparisons"].to_pylist()
    assert [(r["position"], r["replicate"]) for r in rows] == [
        ("ab", 0),
        ("ab", 1),
        ("ba", 0),
        ("ab", 2),
    ]
    assert any("numbered as replicates" in n for n in batch.notes)
    assert {r["task"] for r in rows} == {"mt"}


def test_pairwise_repeated_votes_with_a_vote_column_are_an_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "v.csv",
        "item,model_a,model_b,winner,replicate\nq,x,y,a,0\nq,x,y,b,1\nq,x,y,a,0\n",
    )
    with pytest.raises(FormatError, match="line 2") as info:
        PairwiseCsvImporter().read((path,))
    assert (info.value.line, info.value.field) == (4, "replicate")


def test_pairwise_unknown_winner_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "w.csv", "model_a,model_b,winner\nx,y,a\nx,y,z\n")
    with pytest.raises(FormatError, match="'z'") as info:
        PairwiseCsvImporter().read((path,))
    assert (info.value.line, info.value.field) == (3, "winner")


def test_pairwise_bad_position_and_empty_model(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", "model_a,model_b,winner,position\nx,y,a,ab\nx,y,a,left\n")
    with pytest.raises(FormatError) as info:
        PairwiseCsvImporter().read((path,))
    assert (info.value.line, info.value.field) == (3, "position")
    path = _write(tmp_path / "e.csv", "model_a,model_b,winner\nx,,a\n")
    with pytest.raises(FormatError) as info:
        PairwiseCsvImporter().read((path,))
    assert (info.value.line, info.value.field) == (2, "model_b")


def test_pairwise_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.csv", "model_a,model_b,winner\n")
    header_only = PairwiseCsvImporter().read((path,))
    assert header_only.rows()["comparisons"] == 0
    path = _write(tmp_path / "n.csv", "model_a,winner,model_c\nx,a,y\n")
    with pytest.raises(FormatError) as info:
        PairwiseCsvImporter().read((path,))
    assert info.value.field == "model_b"


def test_tables_store_twice_without_change(tmp_path: Path) -> None:
    long = _write(tmp_path / "l.csv", "model,task,item,metric,score\nm,t,1,a,1\nm,t,1,b,0\n")
    pair = _write(tmp_path / "p.csv", "model_a,model_b,winner\nx,y,a\nx,y,b\n")
    counts = _store_twice(LongTableImporter().read((long,)), tmp_path / "one")
    assert (counts["scores"], counts["responses"], counts["items"]) == (2, 1, 1)
    counts = _store_twice(PairwiseCsvImporter().read((pair,)), tmp_path / "two")
    assert (counts["comparisons"], counts["models"]) == (2, 2)


# --------------------------------------------------------------------------- shared data


@needs_shared
def test_vicuna_pairwise_counts_match_the_csv(tmp_path: Path) -> None:
    path = SHARED / "pairwise_vicuna80_prd" / "vicuna80_pairwise_judgments.csv"
    assert PairwiseCsvImporter().claims(path)
    assert not LongTableImporter().claims(path)
    batch = PairwiseCsvImporter().read((path,))
    with path.open(newline="") as fh:
        raw = list(csv.DictReader(fh))
    labels = {"model_a": "a", "model_b": "b", "tie": "tie"}
    kinds = {"human": "human", "llm": "model"}
    expected = Counter((kinds[r["judge_type"]], labels[r["winner"]]) for r in raw)
    rows = batch.tables["comparisons"]
    got = Counter(
        zip(rows.column("judge_kind").to_pylist(), rows.column("winner").to_pylist(), strict=True)
    )
    assert got == expected
    assert rows.num_rows == len(raw) == 15040
    counts = _store_twice(batch, tmp_path)
    assert counts["comparisons"] == 15040
    assert counts["models"] == 9


@needs_shared
def test_chembench_means_match_pandas(tmp_path: Path) -> None:
    path = SHARED / "item_level_matrices" / "chembench_binary_long.csv.gz"
    assert LongTableImporter().claims(path)
    batch = LongTableImporter().read((path,))
    expected = pd.read_csv(path).groupby(["model", "benchmark"])["score"].mean()
    scores = batch.tables["scores"].to_pandas()
    got = scores.groupby(["model_id", "task"])["value"].mean()
    assert len(got) == len(expected) == 22
    assert got.to_dict() == pytest.approx(expected.to_dict())
    counts = _store_twice(batch, tmp_path)
    assert counts["scores"] == 62788
    assert counts["items"] == 2854


@needs_shared
def test_arena_bench_repeated_judgments_are_kept_once(tmp_path: Path) -> None:
    # gpt-3.5-turbo's 300 judgments appear in two files of the source with equal grades
    path = SHARED / "item_level_matrices" / "arena_bench_v1_single_grades_long.csv.gz"
    batch = LongTableImporter().read((path,))
    assert any(n.startswith("300 rows repeat") for n in batch.notes)
    frame = pd.read_csv(path)
    unique = frame.drop_duplicates(["model", "benchmark", "item_id"])
    assert len(frame) - len(unique) == 300
    scores = batch.tables["scores"].to_pandas()
    assert len(scores) == len(unique)
    expected = unique.groupby("model")["score"].mean()
    got = scores.groupby("model_id")["value"].mean()
    assert got.sort_index().to_numpy() == pytest.approx(
        expected.sort_index().to_numpy(), nan_ok=True
    )
    _store_twice(batch, tmp_path)


@needs_shared
def test_humaneval_pass_rates_match_pandas(tmp_path: Path) -> None:
    path = SHARED / "codegen_humaneval_samples" / "humaneval_samples_passfail.csv"
    assert LongTableImporter().claims(path)
    assert not LongTableImporter().claims(path.with_name("per_task_header_check.csv"))
    batch = LongTableImporter().read((path,))
    frame = pd.read_csv(path)
    scores = batch.tables["scores"].to_pandas()
    assert len(scores) == len(frame) == 4920
    assert sorted(scores["sample_index"].unique()) == list(range(1, 11))
    expected = frame.groupby(["model", "task_id"])["passed"].mean()
    got = scores.groupby(["model_id", "item_id"])["value"].mean()
    assert got.sort_index().to_numpy() == pytest.approx(expected.sort_index().to_numpy())
    per_model = scores.groupby("model_id")["value"].mean().round(3).to_dict()
    assert per_model == {"gpt-4": 0.848, "gpt-3.5-turbo": 0.77, "codellama-34b-instruct": 0.451}
    meta = json.loads(batch.tables["responses"].column("metadata")[0].as_py())
    assert {"model_dir", "result", "duration_s"} <= set(meta)
    counts = _store_twice(batch, tmp_path)
    assert counts["responses"] == 4920
    assert counts["items"] == 164
